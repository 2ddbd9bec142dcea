# procview namespace: Windows-side tests and extra layer sources. Included by
# cmake/windows.cmake after every target is defined (plume_layer, plume, ...);
# plume_win_test() and plume_cli_test() come from tests/win/tests.cmake.

# The probe the process-isolation test runs inside VMs and on the host.
add_executable(t_procview tests/win/t_procview.c)
target_link_options(t_procview PRIVATE -municode)
target_link_libraries(t_procview PRIVATE psapi)
plume_cli_test(procview)
