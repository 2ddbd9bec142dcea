# Native (Linux) build of src/core and its unit tests, under ASan + UBSan.
set(PLUME_SAN -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
add_library(plume_core_native STATIC ${PLUME_CORE_SOURCES})
target_include_directories(plume_core_native PUBLIC ${CMAKE_SOURCE_DIR}/src/core)
target_compile_options(plume_core_native PUBLIC -g ${PLUME_SAN})
target_link_options(plume_core_native PUBLIC ${PLUME_SAN})
foreach(t ${PLUME_UNIT_TESTS})
    add_executable(${t} tests/unit/${t}.c)
    target_link_libraries(${t} plume_core_native)
    add_test(NAME unit.${t} COMMAND ${t})
endforeach()

# Cross-check of the length decoder against objdump on Wine's DLLs.
add_executable(x64dec_crosscheck tests/unit/x64dec_crosscheck.c)
target_link_libraries(x64dec_crosscheck plume_core_native)

# Fuzz targets (tests/fuzz, run with libFuzzer by scripts/fuzz): here each
# replays its corpus once under ASan + UBSan, as a regression test.
set(PLUME_FUZZ_TARGETS fuzz_x64dec fuzz_hookplan fuzz_vmconfig fuzz_peimport
    fuzz_ntpath fuzz_regpath fuzz_objname fuzz_scmproto)
foreach(t ${PLUME_FUZZ_TARGETS})
    add_executable(${t}_replay tests/fuzz/${t}.c tests/fuzz/replay.c)
    # The targets are C as libFuzzer wants them; replay.c needs POSIX dirent.
    target_compile_definitions(${t}_replay PRIVATE _DEFAULT_SOURCE)
    target_link_libraries(${t}_replay plume_core_native)
endforeach()
