/* The layer DLL: loaded first into every VM process (see src/core/boot.h),
 * it installs the hooks of each virtualized namespace. One file per
 * namespace:
 *   proc.c      processes: containment (every child in the VM)
 *   procview.c  processes: isolation (no access to processes outside)
 *   obj.c       named kernel objects, pipes, mailslots, ALPC/LPC ports
 *   net.c       network: the VM's own IP address
 *   reg.c       registry: copy-on-write
 *   file.c      files: copy-on-write
 *   svc.c       services: the SCM API goes to the VM's service manager
 *   dispatch.c  the NT calls several namespaces share (dispatch.h)
 *   htab.c      the handle table (htab.h)
 *
 * No C runtime here: kernel32 and ntdll only (crt.c has mem*). */
#ifndef PLUME_LAYER_H
#define PLUME_LAYER_H

#include <windows.h>
#include "boot.h"

/* What this process knows of its VM (a copy of the boot block). */
extern plume_boot g_boot;
/* This VM's job object (held for the life of the process). */
extern HANDLE g_job;
/* "<store hash>.<vm>" (src/core/jobname.h): makes the VM's names unique. */
extern uint16_t g_vmtag[PLUME_BOOT_NAME + 16];
extern size_t g_vmtag_len;

/* Reports a layer error on stderr and in the debugger log. */
void layer_error(const char *what, const char *why);
/* "Win32 error N" into buf. */
const char *layer_errstr(DWORD err, char *buf, size_t cap);

/* Hooks module!name (the module must be loaded). On failure reports it
 * and returns -1: the namespace's init then fails, and so does the
 * process start (fail closed). */
int layer_hook(const wchar_t *module, const char *name, void *detour, void **orig);

/* Calls cb(module handle) once `module` (e.g. L"ws2_32.dll") is loaded:
 * now if it is, else as the loader maps it (LdrRegisterDllNotification;
 * an LdrLoadDll hook where that is missing), before its entry point. A
 * callback that fails should report and leave its functions unhooked. */
int layer_on_load(const wchar_t *module, void (*cb)(HMODULE));

/* Re-entrancy guard, per thread: a hook that calls code which may reach
 * other hooks (kernel32, ntdll) brackets it with layer_enter/layer_leave,
 * and a hook entered while the thread is inside the layer passes straight
 * to the original. layer_enter returns 0 when already inside. Reads and
 * writes one TLS slot; keeps the thread's last error as it was. */
int layer_enter(void);
void layer_leave(void);
int layer_inside(void);

/* Namespaces: each installs its hooks; 0 on success. */
int proc_init(void);
int procview_init(void);
int obj_init(void);
int net_init(void);
int reg_init(void);
int file_init(void);
int svc_init(void);

#endif
