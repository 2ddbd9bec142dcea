/* Wine workarounds of plume.exe: the one place for them.
 *
 * Under Wine, a "desktop" process (explorer.exe /desktop) is started the
 * first time any process of a wineserver session needs a desktop window,
 * from inside Wine's own code (not through the hooked NtCreateUserProcess
 * export), as a child of that process. If the first such process were a VM
 * process, the desktop process would land in the VM's job without the
 * layer, and `plume stop` would end it. Windows has no such process (its
 * desktop belongs to winlogon/csrss), so on Windows this does nothing
 * useful and costs one call. */
#include "cli.h"

void winecompat_before_vm_start(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    if (!ntdll || !GetProcAddress(ntdll, "wine_get_version"))
        return;
    /* Makes Wine start the desktop process now, as plume.exe's child,
     * outside every VM. */
    GetDesktopWindow();
}
