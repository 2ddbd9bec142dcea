# obj namespace: core sources and unit tests (appended to PLUME_CORE_SOURCES,
# PLUME_UNIT_TESTS). Included by the top-level CMakeLists.txt.
