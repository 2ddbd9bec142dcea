# svc: core sources and unit tests. Included by CMakeLists.txt.
