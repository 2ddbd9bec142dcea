# svc: Windows targets (plume-scm.exe, test services), tests. Included by
# cmake/windows.cmake after every target is defined.

# plume-scm.exe: a VM's service manager (runs inside the VM).
add_executable(plume-scm
    src/scm/main.c
    src/scm/db.c
    src/scm/graph.c
    src/scm/procmgr.c
    src/scm/server.c
    src/scm/client.c)
target_include_directories(plume-scm PRIVATE ${CMAKE_SOURCE_DIR}/src/scm)
target_link_options(plume-scm PRIVATE -municode)
target_link_libraries(plume-scm PRIVATE plume_core advapi32)
add_dependencies(plume plume-scm)

# The protocol's transport, in the layer (client and service side) and in
# plume.exe (plume start, plume svc).
target_sources(plume_layer PRIVATE ${CMAKE_SOURCE_DIR}/src/scm/client.c)
target_include_directories(plume_layer PRIVATE ${CMAKE_SOURCE_DIR}/src/scm)
target_sources(plume PRIVATE ${CMAKE_SOURCE_DIR}/src/scm/client.c)
target_include_directories(plume PRIVATE ${CMAKE_SOURCE_DIR}/src/scm)

# Test services and programs (tests/cli/svc.sh starts them inside VMs).
add_executable(svc_basic tests/win/svc_basic.c)
target_link_options(svc_basic PRIVATE -municode)
target_link_libraries(svc_basic PRIVATE advapi32)
plume_cli_test(svc)
plume_cli_test(svc_more)
add_executable(svc_client tests/win/svc_client.c)
target_link_options(svc_client PRIVATE -municode)
target_link_libraries(svc_client PRIVATE advapi32)
# Share-process services, svchost groups, failure actions (tests/cli/svc_*.sh).
add_executable(svc_share tests/win/svc_share.c)
target_link_options(svc_share PRIVATE -municode)
target_link_libraries(svc_share PRIVATE advapi32)
plume_cli_test(svc_share)
plume_cli_test(svc_fail)
# Benchmark (never run as a test): bench/bench_svc.c.
add_executable(bench_svc bench/bench_svc.c)
target_link_options(bench_svc PRIVATE -municode)
target_link_libraries(bench_svc PRIVATE advapi32 psapi)
plume_cli_test(svc_install)
plume_cli_test(svc_notify)
