# obj namespace: core sources and unit tests (appended to PLUME_CORE_SOURCES,
# PLUME_UNIT_TESTS). Included by the top-level CMakeLists.txt.
list(APPEND PLUME_CORE_SOURCES src/core/objname.c)
list(APPEND PLUME_UNIT_TESTS test_objname)
