/* plume run VM -- PROGRAM [ARGS...]: a program inside a VM. */
#include "cli.h"
#include "store.h"
#include "vmjob.h"
#include "inject.h"
#include "cmdline.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

/* Exit codes when plume itself cannot run the program (as docker run). */
#define RUN_EXIT_PLUME 125
#define RUN_EXIT_CANNOT 126
#define RUN_EXIT_NOTFOUND 127

static const char run_help[] =
    "Usage: plume run VM -- PROGRAM [ARGS...]\n"
    "Runs PROGRAM inside VM, with stdin, stdout and stderr passed through.\n"
    "PROGRAM is found as CreateProcess finds it (its own folder, the system\n"
    "folders, PATH). Every process it starts, and they start, is in the VM.\n\n"
    "Exit code: PROGRAM's own; or 125 when plume fails (no such VM, ...),\n"
    "126 when PROGRAM cannot be started, 127 when it is not found.\n";

static BOOL WINAPI ignore_ctrl(DWORD type)
{
    (void)type;
    return TRUE; /* the program gets it and decides; we report its exit */
}

static void copy_w16(uint16_t *dst, const wchar_t *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (uint16_t)src[i];
    dst[i] = 0;
}

/* The boot block for the first process of a run (children copy it). */
static DWORD make_boot(const vm_info *vm, plume_boot *b)
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
    wcscpy(slash ? slash + 1 : w, L"plume_layer.dll");
    if (GetFileAttributesW(w) == INVALID_FILE_ATTRIBUTES)
        return ERROR_MOD_NOT_FOUND;
    copy_w16(b->layer_path, w, PLUME_BOOT_PATH);
    return ERROR_SUCCESS;
}

static HANDLE inheritable(DWORD which)
{
    HANDLE h = GetStdHandle(which), dup = NULL;
    if (h == NULL || h == INVALID_HANDLE_VALUE)
        return NULL;
    if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &dup, 0, TRUE,
                         DUPLICATE_SAME_ACCESS))
        return h;
    return dup;
}

int cmd_run(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        out("%s", run_help);
        return PLUME_EXIT_OK;
    }
    int i = 1;
    if (i < argc && !wcscmp(argv[i], L"--"))
        i++;
    if (i >= argc)
        return usage_error("run", "no VM given");
    char name[128];
    to_utf8(argv[i++], name, sizeof name);
    if (i < argc && !wcscmp(argv[i], L"--"))
        i++;
    else if (i < argc && argv[i][0] == L'-' && argv[i][1] == L'-')
        return usage_error("run", "unknown option '%s'", to_utf8(argv[i], (char[128]){0}, 128));
    if (i >= argc)
        return usage_error("run", "no program given");

    vm_info vm;
    DWORD e = store_find(name, &vm);
    if (e == ERROR_INVALID_NAME || e == ERROR_NOT_FOUND) {
        fail("run", e == ERROR_NOT_FOUND ? "no VM named '%s'" : "invalid VM name '%s'", name);
        return RUN_EXIT_PLUME;
    }
    if (e) {
        fail_win("run", e, "cannot read VM '%s'", name);
        return RUN_EXIT_PLUME;
    }
    plume_boot boot;
    if ((e = make_boot(&vm, &boot)) != 0) {
        fail_win("run", e, "cannot find the layer DLL beside plume.exe");
        return RUN_EXIT_PLUME;
    }

    static uint16_t cmdline[32768];
    size_t len = 0;
    for (int k = i; k < argc; k++)
        if (cmdline_append(cmdline, sizeof cmdline / sizeof cmdline[0], &len,
                           (const uint16_t *)argv[k]) != 0) {
            fail("run", "the command line is longer than 32767 characters");
            return RUN_EXIT_PLUME;
        }

    HANDLE job = vmjob_open(vm.name, JOB_OBJECT_ALL_ACCESS, 1);
    if (!job) {
        fail_win("run", GetLastError(), "cannot create the job object of VM '%s'", vm.name);
        return RUN_EXIT_PLUME;
    }

    winecompat_before_vm_start();
    STARTUPINFOW si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = inheritable(STD_INPUT_HANDLE);
    si.hStdOutput = inheritable(STD_OUTPUT_HANDLE);
    si.hStdError = inheritable(STD_ERROR_HANDLE);
    PROCESS_INFORMATION pi;
    fflush(stdout);
    if (!CreateProcessW(NULL, (wchar_t *)cmdline, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL,
                        NULL, &si, &pi)) {
        e = GetLastError();
        char prog[512];
        fail_win("run", e, "cannot start '%s'", to_utf8(argv[i], prog, sizeof prog));
        return (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) ? RUN_EXIT_NOTFOUND
                                                                          : RUN_EXIT_CANNOT;
    }
    e = ERROR_SUCCESS;
    if (!AssignProcessToJobObject(job, pi.hProcess))
        e = GetLastError();
    else
        e = plume_inject(pi.hProcess, &boot);
    if (e != ERROR_SUCCESS) {
        TerminateProcess(pi.hProcess, ERROR_ACCESS_DENIED);
        char prog[512];
        to_utf8(argv[i], prog, sizeof prog);
        if (e == ERROR_NOT_SUPPORTED)
            fail("run", "cannot run '%s' in a VM: only 64-bit programs can run in a VM", prog);
        else
            fail_win("run", e, "cannot load the layer into '%s'", prog);
        return RUN_EXIT_CANNOT;
    }
    SetConsoleCtrlHandler(ignore_ctrl, TRUE);
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    WaitForSingleObject(pi.hProcess, INFINITE);
    DWORD code = 0;
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hProcess);
    CloseHandle(job);
    return (int)code;
}
