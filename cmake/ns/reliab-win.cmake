# Windows tests of the reliab area (see tests/cli); included by cmake/windows.cmake.
# Reliability (issue 7): the service manager killed, a stop that hangs,
# disk full during copy-up, concurrent writers, bad input. Scripts in
# tests/fault and tests/cli; docs/fault.md. PLUME_TEST_ENV comes from
# tests/win/tests.cmake.

# A test service with modes that outlive, hang or never stop.
add_executable(rel_svc tests/win/rel_svc.c)
target_link_options(rel_svc PRIVATE -municode)
target_link_libraries(rel_svc PRIVATE advapi32)
# The writer/checker of the disk-full and hammer tests.
add_executable(rel_w tests/win/rel_w.c)
target_link_options(rel_w PRIVATE -municode)
target_link_libraries(rel_w PRIVATE advapi32)

function(plume_fault_test name)
    add_test(NAME fault.${name} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/fault/${name}.sh)
    set_tests_properties(fault.${name} PROPERTIES FIXTURES_REQUIRED wine
                         ENVIRONMENT "${PLUME_TEST_ENV}" TIMEOUT 300)
endfunction()
plume_fault_test(scmkill)
plume_fault_test(stophang)
plume_fault_test(diskfull)
plume_fault_test(hammer)
plume_cli_test(badinput)
