/* plume run VM -- PROGRAM [ARGS...]: a program inside a VM. */
#include "cli.h"
#include "store.h"
#include "vmjob.h"
#include "launch.h"
#include "vmarg.h"
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
    DWORD e = cli_find_vm("run", name, &vm);
    if (e)
        return RUN_EXIT_PLUME;
    plume_boot boot;
    if ((e = launch_boot(&vm, &boot, NULL)) != 0) {
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
    int created;
    e = launch_suspended(job, &boot, (wchar_t *)cmdline, 0, TRUE, &si, &pi, &created);
    if (e != ERROR_SUCCESS) {
        char prog[512];
        to_utf8(argv[i], prog, sizeof prog);
        CloseHandle(job);
        if (!created) {
            fail_win("run", e, "cannot start '%s'", prog);
            return (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) ? RUN_EXIT_NOTFOUND
                                                                              : RUN_EXIT_CANNOT;
        }
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
