# Fault injection (tests/fault): probes and the fault.kills test.
# Included by cmake/windows.cmake after every target is defined;
# PLUME_TEST_ENV comes from tests/win/tests.cmake.

# The writer that is killed, and the checks run in a VM or on the host.
add_executable(fault_w tests/fault/fault_w.c)
target_link_options(fault_w PRIVATE -municode)
target_link_libraries(fault_w PRIVATE advapi32)

add_test(NAME fault.kills COMMAND bash ${CMAKE_SOURCE_DIR}/tests/fault/kills.sh)
set_tests_properties(fault.kills PROPERTIES FIXTURES_REQUIRED wine
                     ENVIRONMENT "${PLUME_TEST_ENV}" TIMEOUT 600)
