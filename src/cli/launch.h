/* Starting a process inside a VM from the host (plume run, and plume
 * start/svc for the VM's service manager): the boot block, then the
 * process created suspended, put in the VM's job, the layer injected. */
#ifndef PLUME_CLI_LAUNCH_H
#define PLUME_CLI_LAUNCH_H

#include <windows.h>
#include <stdint.h>
#include "store.h"
#include "boot.h"

/* Copies a wide string into a UTF-16 buffer of cap units (terminated,
 * truncated). */
void copy_w16(uint16_t *dst, const wchar_t *src, size_t cap);

/* The boot block of a process plume.exe starts in VM `vm` (children copy
 * it). When bindir is not NULL it gets plume.exe's folder, with its final
 * backslash (PLUME_BOOT_PATH units). ERROR_MOD_NOT_FOUND when the layer
 * DLL is not beside plume.exe. */
DWORD launch_boot(const vm_info *vm, plume_boot *b, wchar_t *bindir);

/* Creates cmdline suspended (CreateProcessW with `flags` | CREATE_SUSPENDED,
 * `inherit`, `si`), puts it in `job` and injects the layer with `boot`.
 * On success *pi holds the process and its thread, still suspended: the
 * caller resumes it. On failure returns the Win32 error; *created tells
 * whether CreateProcessW had succeeded (the process is then ended and its
 * handles closed), so callers can tell "cannot start" from "cannot
 * contain". */
DWORD launch_suspended(HANDLE job, const plume_boot *boot, wchar_t *cmdline, DWORD flags,
                       BOOL inherit, STARTUPINFOW *si, PROCESS_INFORMATION *pi, int *created);

#endif
