# Windows tests: run under wine64 in the build's private prefix.
#
# The fixture wine.prefix creates the prefix before any of them; wine.stop
# stops the prefix's wineserver (and so every Wine process of this prefix,
# and no other) after the last.
set(PLUME_TEST_ENV "WINEPREFIX=${PLUME_WINEPREFIX}" "WINEDEBUG=-all"
    "PLUME_BIN=${CMAKE_BINARY_DIR}/bin" "PLUME_SRC=${CMAKE_SOURCE_DIR}")

add_test(NAME wine.prefix COMMAND ${CMAKE_SOURCE_DIR}/scripts/wine-prefix-init)
set_tests_properties(wine.prefix PROPERTIES FIXTURES_SETUP wine
                     ENVIRONMENT "${PLUME_TEST_ENV}")
add_test(NAME wine.stop COMMAND /usr/lib/wine/wineserver -k)
set_tests_properties(wine.stop PROPERTIES FIXTURES_CLEANUP wine
                     ENVIRONMENT "${PLUME_TEST_ENV}" WILL_FAIL OFF)

# A Windows test program: tests/win/<name>.c, run under Wine.
function(plume_win_test name)
    add_executable(${name} tests/win/${name}.c ${ARGN})
    add_test(NAME win.${name} COMMAND ${name})
    set_tests_properties(win.${name} PROPERTIES FIXTURES_REQUIRED wine
                         ENVIRONMENT "${PLUME_TEST_ENV}")
endfunction()

# A CLI test: tests/cli/<name>.sh drives plume.exe under Wine from bash.
function(plume_cli_test name)
    add_test(NAME cli.${name}
             COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/${name}.sh)
    set_tests_properties(cli.${name} PROPERTIES FIXTURES_REQUIRED wine
                         ENVIRONMENT "${PLUME_TEST_ENV}")
endfunction()

plume_cli_test(store)

plume_win_test(test_hook)
target_link_libraries(test_hook PRIVATE plume_hook)

# Programs the run/containment tests start inside VMs.
add_executable(t_probe tests/win/t_probe.c)
target_link_options(t_probe PRIVATE -municode)
target_link_libraries(t_probe PRIVATE shell32)
add_library(t_early_dll SHARED tests/win/t_early_dll.c)
set_target_properties(t_early_dll PROPERTIES PREFIX "")
add_executable(t_early tests/win/t_early.c)
target_link_libraries(t_early PRIVATE t_early_dll)
add_executable(tree demo/tree.c)
target_link_options(tree PRIVATE -municode)
plume_cli_test(run)

# Benchmarks (bench/run): built with everything, never run as tests.
add_executable(bench_startup bench/bench_startup.c)
target_link_options(bench_startup PRIVATE -municode)
add_executable(bench_ns bench/bench_ns.c)
target_link_options(bench_ns PRIVATE -municode)
add_executable(bench_files bench/bench_files.c)
target_link_options(bench_files PRIVATE -municode)
