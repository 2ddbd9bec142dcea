/* Processes: every process a VM process creates is in the same VM, with
 * the layer loaded before any of its own code (containment).
 *
 * NtCreateUserProcess is where every Win32 way of starting a program ends
 * (CreateProcess*, ShellExecuteEx, cmd, WinExec, ...). The hook creates the
 * child suspended and outside no job, injects the layer with this
 * process's boot block, puts the child in the VM's job, then resumes it if
 * the caller did not ask for it suspended. Any failure kills the child and
 * fails the call: nothing starts outside the VM. */
#include "layer.h"
#include "hook.h"
#include "inject.h"

#include <winternl.h>

#define PROCESS_CREATE_FLAGS_BREAKAWAY 0x00000001
#define THREAD_CREATE_FLAGS_CREATE_SUSPENDED 0x00000001
#ifndef STATUS_ACCESS_DENIED
#define STATUS_ACCESS_DENIED ((NTSTATUS)0xC0000022L)
#endif

typedef NTSTATUS(NTAPI *create_user_process_fn)(PHANDLE, PHANDLE, ACCESS_MASK, ACCESS_MASK,
                                                 POBJECT_ATTRIBUTES, POBJECT_ATTRIBUTES, ULONG,
                                                 ULONG, PVOID, PVOID, PVOID);
typedef NTSTATUS(NTAPI *create_process_ex_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, HANDLE,
                                               ULONG, HANDLE, HANDLE, HANDLE, ULONG);
typedef NTSTATUS(NTAPI *terminate_fn)(HANDLE, NTSTATUS);
typedef NTSTATUS(NTAPI *resume_fn)(HANDLE, PULONG);
typedef NTSTATUS(NTAPI *close_fn)(HANDLE);

static create_user_process_fn real_create_user_process;
static create_process_ex_fn real_create_process_ex, real_create_process;
static terminate_fn nt_terminate;
static resume_fn nt_resume;
static close_fn nt_close;

static NTSTATUS NTAPI hk_create_user_process(PHANDLE ph, PHANDLE th, ACCESS_MASK pacc,
                                             ACCESS_MASK tacc, POBJECT_ATTRIBUTES poa,
                                             POBJECT_ATTRIBUTES toa, ULONG pflags, ULONG tflags,
                                             PVOID params, PVOID info, PVOID attrs)
{
    ULONG caller_suspended = tflags & THREAD_CREATE_FLAGS_CREATE_SUSPENDED;
    pflags &= ~(ULONG)PROCESS_CREATE_FLAGS_BREAKAWAY;
    tflags |= THREAD_CREATE_FLAGS_CREATE_SUSPENDED;
    pacc |= PROCESS_VM_OPERATION | PROCESS_VM_READ | PROCESS_VM_WRITE |
            PROCESS_QUERY_INFORMATION | PROCESS_SET_QUOTA | PROCESS_TERMINATE;
    tacc |= THREAD_SUSPEND_RESUME;
    NTSTATUS st = real_create_user_process(ph, th, pacc, tacc, poa, toa, pflags, tflags,
                                           params, info, attrs);
    if (st < 0)
        return st;
    /* What follows calls kernel32 and ntdll: not through the other hooks
     * (the child's cleanup must not be vetted as a foreign process). */
    int entered = layer_enter();
    BOOL in = FALSE;
    DWORD err = ERROR_SUCCESS;
    if (!IsProcessInJob(*ph, g_job, &in))
        err = GetLastError();
    else if (!in && !AssignProcessToJobObject(g_job, *ph))
        err = GetLastError();
    if (err == ERROR_SUCCESS) {
        /* The child's ntdll opens its current directory before the layer
         * is loaded (unhooked): one that exists only in the VM fails there.
         * Hand it to the child's layer, which sets it again. */
        plume_boot boot = g_boot;
        boot.cwd[0] = 0;
        const uint8_t *pp = params;
        if (pp) {
            const UNICODE_STRING *dos = (const UNICODE_STRING *)(pp + 0x38);
            ULONG pflags_rtl = *(const ULONG *)(pp + 8);
            const uint16_t *buf = (const uint16_t *)dos->Buffer;
            if (buf && !(pflags_rtl & 1))           /* not normalized: an offset */
                buf = (const uint16_t *)(pp + (ULONG_PTR)dos->Buffer);
            size_t n = dos->Length / 2;
            if (buf && n && n < PLUME_BOOT_PATH) {
                for (size_t i = 0; i < n; i++)
                    boot.cwd[i] = buf[i];
                boot.cwd[n] = 0;
            }
        }
        err = plume_inject(*ph, &boot);
    }
    if (err != ERROR_SUCCESS) {
        char msg[64];
        layer_error("a process could not be started inside the VM",
                    layer_errstr(err, msg, sizeof msg));
        nt_terminate(*ph, STATUS_ACCESS_DENIED);
        nt_close(*th);
        nt_close(*ph);
        *ph = *th = NULL;
        if (entered)
            layer_leave();
        return STATUS_ACCESS_DENIED;
    }
    if (!caller_suspended)
        nt_resume(*th, NULL);
    if (entered)
        layer_leave();
    return st;
}

/* The old process-creation calls make a process with no thread, from a
 * section: there is no moment to load the layer first. Refused. */
static NTSTATUS NTAPI hk_create_process_ex(PHANDLE ph, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                           HANDLE parent, ULONG flags, HANDLE section,
                                           HANDLE debug, HANDLE token, ULONG reserved)
{
    (void)ph; (void)acc; (void)oa; (void)parent; (void)flags;
    (void)section; (void)debug; (void)token; (void)reserved;
    return STATUS_ACCESS_DENIED;
}

int proc_init(void)
{
    HMODULE nt = GetModuleHandleW(L"ntdll.dll");
    nt_terminate = (terminate_fn)(void *)GetProcAddress(nt, "NtTerminateProcess");
    nt_resume = (resume_fn)(void *)GetProcAddress(nt, "NtResumeThread");
    nt_close = (close_fn)(void *)GetProcAddress(nt, "NtClose");
    if (!nt_terminate || !nt_resume || !nt_close)
        return -1;
    if (layer_hook(L"ntdll.dll", "NtCreateUserProcess", (void *)hk_create_user_process,
                  (void **)&real_create_user_process))
        return -1;
    /* Absent under Wine; present on Windows. */
    if (GetProcAddress(nt, "NtCreateProcessEx") &&
        layer_hook(L"ntdll.dll", "NtCreateProcessEx", (void *)hk_create_process_ex,
                  (void **)&real_create_process_ex))
        return -1;
    if (GetProcAddress(nt, "NtCreateProcess") &&
        layer_hook(L"ntdll.dll", "NtCreateProcess", (void *)hk_create_process_ex,
                  (void **)&real_create_process))
        return -1;
    return 0;
}
