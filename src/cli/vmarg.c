/* The VM named on a command line (vmarg.h). */
#include "cli.h"
#include "vmarg.h"

DWORD cli_find_vm(const char *cmd, const char *name, vm_info *vm)
{
    DWORD e = store_find(name, vm);
    if (e == ERROR_NOT_FOUND)
        fail(cmd, "no VM named '%s'", name);
    else if (e == ERROR_INVALID_NAME)
        fail(cmd, "invalid VM name '%s'", name);
    else if (e)
        fail_win(cmd, e, "cannot read VM '%s'", name);
    return e;
}
