/* Starting a process inside a VM from the host (launch.h). */
#include "launch.h"
#include "inject.h"

#include <string.h>
#include <wchar.h>

void copy_w16(uint16_t *dst, const wchar_t *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (uint16_t)src[i];
    dst[i] = 0;
}

DWORD launch_boot(const vm_info *vm, plume_boot *b, wchar_t *bindir)
{
    memset(b, 0, sizeof *b);
    wchar_t w[PLUME_BOOT_PATH];
    for (size_t i = 0; vm->name[i] && i + 1 < PLUME_BOOT_NAME; i++)
        b->vm_name[i] = (unsigned char)vm->name[i];
    copy_w16(b->vm_dir, vm->dir, PLUME_BOOT_PATH);
    if (vm->cfg.has_ip) {
        b->flags |= PLUME_BOOT_HAS_IP;
        b->ip = vm->cfg.ip;
    }
    DWORD e = store_root(w, PLUME_BOOT_PATH);
    if (e)
        return e;
    copy_w16(b->store_root, w, PLUME_BOOT_PATH);
    DWORD n = GetModuleFileNameW(NULL, w, PLUME_BOOT_PATH);
    if (n == 0 || n >= PLUME_BOOT_PATH - 32)
        return ERROR_BAD_PATHNAME;
    wchar_t *slash = wcsrchr(w, L'\\');
    *(slash ? slash + 1 : w) = 0;
    if (bindir)
        wcscpy(bindir, w);
    wcscat(w, L"plume_layer.dll");
    if (GetFileAttributesW(w) == INVALID_FILE_ATTRIBUTES)
        return ERROR_MOD_NOT_FOUND;
    copy_w16(b->layer_path, w, PLUME_BOOT_PATH);
    return ERROR_SUCCESS;
}

DWORD launch_suspended(HANDLE job, const plume_boot *boot, wchar_t *cmdline, DWORD flags,
                       BOOL inherit, STARTUPINFOW *si, PROCESS_INFORMATION *pi, int *created)
{
    *created = 0;
    if (!CreateProcessW(NULL, cmdline, NULL, NULL, inherit, flags | CREATE_SUSPENDED, NULL,
                        NULL, si, pi))
        return GetLastError();
    *created = 1;
    DWORD e = ERROR_SUCCESS;
    if (!AssignProcessToJobObject(job, pi->hProcess))
        e = GetLastError();
    else
        e = plume_inject(pi->hProcess, boot);
    if (e != ERROR_SUCCESS) {
        TerminateProcess(pi->hProcess, ERROR_ACCESS_DENIED);
        CloseHandle(pi->hThread);
        CloseHandle(pi->hProcess);
        memset(pi, 0, sizeof *pi);
    }
    return e;
}
