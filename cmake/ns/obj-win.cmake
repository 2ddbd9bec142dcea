# obj namespace: Windows-side tests and extra layer sources. Included by
# cmake/windows.cmake after every target is defined (plume_layer, plume, ...);
# plume_win_test() and plume_cli_test() come from tests/win/tests.cmake.

# The test program of the object namespace: creates, opens and holds named
# objects, pipes, mailslots and ports in a VM or on the host (tests/cli/obj.sh).
add_executable(t_obj tests/win/t_obj.c)
target_link_options(t_obj PRIVATE -municode)
target_link_libraries(t_obj PRIVATE ntdll)
plume_cli_test(obj)

# The host-endpoint rules as data (endpoints.conf, vm.conf "endpoint ="
# lines, plume endpoints): a pipe server and client (tests/cli/endpoints.sh).
add_executable(t_endpoint tests/win/t_endpoint.c)
target_link_options(t_endpoint PRIVATE -municode)
target_link_libraries(t_endpoint PRIVATE advapi32)
plume_cli_test(endpoints)
