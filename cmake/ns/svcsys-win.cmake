# Windows tests of the svcsys area (see tests/cli); included by cmake/windows.cmake.
