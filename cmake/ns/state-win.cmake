# state (diff/commit/discard): Windows sources and tests.
target_sources(plume PRIVATE ${CMAKE_SOURCE_DIR}/src/store/vmstate.c)
target_link_libraries(plume PRIVATE advapi32)
plume_cli_test(state)
