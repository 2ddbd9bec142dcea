/* The VM named on a command line (vmarg.h). */
#include "cli.h"
#include "vmarg.h"

DWORD cli_find_vm(const char *cmd, const char *name, vm_info *vm)
{
    char why[256];
    DWORD e = store_find_why(name, vm, why, sizeof why);
    if (e == ERROR_NOT_FOUND)
        fail(cmd, "no VM named '%s'", name);
    else if (e == ERROR_INVALID_NAME)
        fail(cmd, why[0] ? "invalid VM name '%s': %s" : "invalid VM name '%s'%s", name, why);
    else if (e && why[0])
        fail(cmd, "VM '%s' is broken: %s (error %lu)", name, why, (unsigned long)e);
    else if (e)
        fail_win(cmd, e, "cannot read VM '%s'", name);
    return e;
}
