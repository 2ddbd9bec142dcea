# obj namespace: core sources and unit tests (appended to PLUME_CORE_SOURCES,
# PLUME_UNIT_TESTS). Included by the top-level CMakeLists.txt.
list(APPEND PLUME_CORE_SOURCES src/core/objname.c)
# test_endpoints: the host-endpoint rules as data (objname_rules_parse).
list(APPEND PLUME_UNIT_TESTS test_objname test_endpoints)
