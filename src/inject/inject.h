/* Loading the layer into a new process before any of its own code runs.
 * Used by plume.exe (the first process of a run) and by the layer itself
 * (every child a VM process creates). No C runtime: it lives in the layer. */
#ifndef PLUME_INJECT_H
#define PLUME_INJECT_H

#include <windows.h>
#include "boot.h"

/* `process` was created suspended and has not run. Writes the boot block
 * (a copy of *boot) into it and makes the layer its first import (see
 * src/core/boot.h). The process needs PROCESS_VM_OPERATION, _VM_READ,
 * _VM_WRITE and _QUERY_INFORMATION access. Returns a Win32 error code:
 * ERROR_NOT_SUPPORTED for an image that is not a 64-bit PE (32-bit
 * programs cannot run in a VM), ERROR_BAD_EXE_FORMAT for a malformed one.
 * On failure the process is unchanged but for a freed allocation; the
 * caller must terminate it (Plume fails closed). */
DWORD plume_inject(HANDLE process, const plume_boot *boot);

#endif
