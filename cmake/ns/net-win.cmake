# net namespace: Windows-side tests and extra layer sources. Included by
# cmake/windows.cmake after every target is defined (plume_layer, plume, ...);
# plume_win_test() and plume_cli_test() come from tests/win/tests.cmake.

# t_net: run natively (win.t_net: the checks as on the host) and inside
# VMs by tests/cli/net.sh.
plume_win_test(t_net)
target_link_libraries(t_net PRIVATE ws2_32 mswsock)
plume_cli_test(net)

# The loopback echo benchmark (bench/run): built, never run as a test.
add_executable(bench_net bench/bench_net.c)
target_link_options(bench_net PRIVATE -municode)
target_link_libraries(bench_net PRIVATE ws2_32)

# tests/cli/net_udp.sh (UDP between VMs and the host) asserts the Windows
# behaviour and fails under Wine 8, whose wineserver rebinds a UDP socket
# bound to any address but 0.0.0.0 and 127.0.0.1 to 0.0.0.0 (see
# docs/ns-net.md, "Wine"). It is not registered with ctest until that can
# pass here; it runs by hand: bash tests/cli/net_udp.sh.
