/* plume.exe's side of the service protocol (cmd_svc.c): talking to a VM's
 * service manager (plume-scm.exe) from the host. */
#ifndef PLUME_CLI_SVCCTL_H
#define PLUME_CLI_SVCCTL_H

#include <windows.h>

/* Graceful part of `plume stop VM`: when the VM's manager runs, asks it to
 * stop every service in reverse dependency order (stop, or shutdown for
 * those that accept only that), waiting at most timeout_ms, and to end
 * what is left. Prints nothing. Returns the number of services that were
 * running, or 0 when no manager runs (nothing to do). Call it before
 * ending the VM's processes. */
DWORD svc_shutdown_vm(const char *vm, DWORD timeout_ms);

/* plume install VM, plume uninstall VM, and the hidden plume service-host
 * VM ROOT (the host service's process): cmd_svc.c. Registered in main.c. */
int cmd_install(int argc, wchar_t **argv);
int cmd_uninstall(int argc, wchar_t **argv);
int cmd_service_host(int argc, wchar_t **argv);

#endif
