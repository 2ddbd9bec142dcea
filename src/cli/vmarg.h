/* The VM named on a command line. */
#ifndef PLUME_CLI_VMARG_H
#define PLUME_CLI_VMARG_H

#include "store.h"

/* Finds VM `name` for command `cmd`. On failure prints the message every
 * command uses ("no VM named 'x'", "invalid VM name 'x'", or the system's
 * error) and returns the Win32 error; 0 when found. */
DWORD cli_find_vm(const char *cmd, const char *name, vm_info *vm);

#endif
