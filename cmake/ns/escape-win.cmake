# Escape suite (tests/escape): probes and the escape.suite test.
# Included by cmake/windows.cmake after every target is defined;
# PLUME_TEST_ENV comes from tests/win/tests.cmake.

# The probe: every attempt of a VM program to reach outside its VM, and the
# host-side helpers (targets, holder, snapshots) of tests/escape/run.sh.
add_executable(escape tests/escape/escape.c)
target_link_options(escape PRIVATE -municode)
target_link_libraries(escape PRIVATE ntdll advapi32 ws2_32 mswsock)

add_test(NAME escape.suite COMMAND bash ${CMAKE_SOURCE_DIR}/tests/escape/run.sh)
set_tests_properties(escape.suite PROPERTIES FIXTURES_REQUIRED wine
                     ENVIRONMENT "${PLUME_TEST_ENV}")
