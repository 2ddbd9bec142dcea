# svc: Windows targets (plume-scm.exe, test services), tests. Included by
# cmake/windows.cmake after every target is defined.
