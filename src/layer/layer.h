/* The layer DLL: loaded first into every VM process (see src/core/boot.h),
 * it installs the hooks of each virtualized namespace. One file per
 * namespace: proc.c (processes) so far. */
#ifndef PLUME_LAYER_H
#define PLUME_LAYER_H

#include <windows.h>
#include "boot.h"

/* What this process knows of its VM (a copy of the boot block). */
extern plume_boot g_boot;
/* This VM's job object (held for the life of the process). */
extern HANDLE g_job;

/* Reports a fatal layer error on stderr and in the debugger log. */
void layer_error(const char *what, const char *why);
/* "Win32 error N" into buf. */
const char *layer_errstr(DWORD err, char *buf, size_t cap);

/* Namespaces: each installs its hooks; 0 on success. */
int proc_init(void);

#endif
