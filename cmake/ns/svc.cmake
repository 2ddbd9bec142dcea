# svc: core sources and unit tests. Included by CMakeLists.txt.
list(APPEND PLUME_CORE_SOURCES src/core/scmproto.c src/core/svcdeps.c src/core/svcfail.c)
list(APPEND PLUME_UNIT_TESTS test_scmproto test_svcdeps test_svcfail)
