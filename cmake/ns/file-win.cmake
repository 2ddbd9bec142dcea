# file namespace: Windows-side tests and extra layer sources. Included by
# cmake/windows.cmake after every target is defined (plume_layer, plume, ...);
# plume_win_test() and plume_cli_test() come from tests/win/tests.cmake.
add_executable(t_file tests/win/t_file.c)
target_link_options(t_file PRIVATE -municode)
target_link_libraries(t_file PRIVATE ntdll)
plume_cli_test(file)
