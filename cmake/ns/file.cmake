# file namespace: core sources and unit tests (appended to PLUME_CORE_SOURCES,
# PLUME_UNIT_TESTS). Included by the top-level CMakeLists.txt.
list(APPEND PLUME_CORE_SOURCES src/core/ntpath.c src/core/dirmerge.c src/core/forigin.c
     src/core/pathset.c)
list(APPEND PLUME_UNIT_TESTS test_ntpath test_forigin test_pathset)
