# state (diff/commit/discard): core sources and unit tests.
list(APPEND PLUME_CORE_SOURCES src/core/stateplan.c)
list(APPEND PLUME_UNIT_TESTS test_stateplan)
