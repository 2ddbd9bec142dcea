# Windows tests of the svcsys area (system services in a VM: RpcSs,
# MSIServer; see docs/ns-svc.md); included by cmake/windows.cmake.

# rpc_ep.exe: a hand-built RPC interface, its server (RpcEpRegister) and
# client (RpcEpResolveBinding, a raw call), for tests/cli/svc_rpc.sh.
add_executable(rpc_ep tests/win/rpc_ep.c)
target_link_options(rpc_ep PRIVATE -municode)
target_link_libraries(rpc_ep PRIVATE rpcrt4 advapi32 ole32 uuid)
plume_cli_test(svc_rpc)

# msi_probe.exe: the Windows Installer database's view (MsiQueryProductState,
# MsiEnumProducts), for tests/cli/svc_msi.sh (which builds its MSI with
# msitools' wixl from tests/msi/plume_msi_test.wxs).
add_executable(msi_probe tests/win/msi_probe.c)
target_link_options(msi_probe PRIVATE -municode)
target_link_libraries(msi_probe PRIVATE msi)
plume_cli_test(svc_msi)
# msi_ca.dll: the package's DLL custom action (runs in msiexec -Embedding).
add_library(msi_ca SHARED tests/win/msi_ca.c)
set_target_properties(msi_ca PROPERTIES PREFIX "")
target_link_libraries(msi_ca PRIVATE msi)
add_dependencies(msi_probe msi_ca)
