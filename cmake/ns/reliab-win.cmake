# Windows tests of the reliab area (see tests/cli); included by cmake/windows.cmake.
