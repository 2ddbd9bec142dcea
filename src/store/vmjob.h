/* One job object per running VM: every process of the VM is in it.
 *
 * The job is named (see vmjob_name) so that any plume.exe can find it; each
 * VM process's layer holds a handle to it, so it lives exactly as long as
 * the VM has processes. */
#ifndef PLUME_STORE_VMJOB_H
#define PLUME_STORE_VMJOB_H

#include <windows.h>

/* Builds the job's object name for VM `vm` of the current store (see
 * src/core/jobname.h). */
void vmjob_name(const char *vm, wchar_t *buf, size_t cap);
/* Opens the VM's job, or creates it when create != 0. NULL with
 * GetLastError() set when it cannot (ERROR_FILE_NOT_FOUND: not running). */
HANDLE vmjob_open(const char *vm, DWORD access, int create);
/* Process ids in the job. Returns a Win32 error code. *count gets the total
 * number even when it exceeds cap. */
DWORD vmjob_pids(HANDLE job, DWORD *pids, DWORD cap, DWORD *count);
/* Number of live processes of VM `vm` (0 when it is not running). */
DWORD vmjob_count(const char *vm);
/* Ends every process of VM `vm` and waits until they are gone, at most
 * timeout_ms (ERROR_TIMEOUT then). *ended gets how many were running. A VM
 * that is not running: ERROR_SUCCESS and 0. */
DWORD vmjob_stop(const char *vm, DWORD timeout_ms, DWORD *ended);

#endif
