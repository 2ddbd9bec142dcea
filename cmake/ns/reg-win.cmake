# reg namespace: Windows-side tests and extra layer sources. Included by
# cmake/windows.cmake after every target is defined (plume_layer, plume, ...);
# plume_win_test() and plume_cli_test() come from tests/win/tests.cmake.

# The registry probe the CLI test drives, inside VMs and natively.
add_executable(t_reg tests/win/t_reg.c)
target_link_options(t_reg PRIVATE -municode)
target_link_libraries(t_reg PRIVATE ntdll advapi32)
plume_cli_test(reg)
