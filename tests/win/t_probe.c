/* A probe program for the run/containment tests. It tells what it sees of
 * its VM, and starts children in the ways a program does.
 *
 *   t_probe                      print one "probe ..." line about itself
 *   t_probe tree N [METHOD]      print it, then start "t_probe tree N-1" and
 *                                wait; METHOD: cp (CreateProcess), cmd
 *                                (cmd /c), shell (ShellExecuteEx), mix
 *                                (cycle through the three, the default)
 *   t_probe echo                 copy stdin to stdout, one line to stderr
 *   t_probe sleep SECONDS        sleep
 *   t_probe exit CODE            exit with CODE
 */
#include <windows.h>
#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static void report(void)
{
    BOOL in_job = FALSE;
    IsProcessInJob(GetCurrentProcess(), NULL, &in_job);
    unsigned hooks = 0;
    const wchar_t *vm = NULL;
    HMODULE layer = GetModuleHandleW(L"plume_layer.dll");
    if (layer) {
        unsigned (*status)(void) = (unsigned (*)(void))(void *)GetProcAddress(layer, "plume_layer_status");
        const wchar_t *(*vmname)(void) = (const wchar_t *(*)(void))(void *)GetProcAddress(layer, "plume_layer_vm");
        if (status)
            hooks = status();
        if (vmname)
            vm = vmname();
    }
    char line[256];
    int n = snprintf(line, sizeof line, "probe pid=%lu job=%d hooks=%u vm=%ls\n",
                     GetCurrentProcessId(), in_job ? 1 : 0, hooks, vm ? vm : L"-");
    fputs(line, stdout);
    fflush(stdout);
    /* Children started by ShellExecuteEx have no stdout of ours: they also
     * append the line to %PROBE_LOG% when it is set. */
    wchar_t log[MAX_PATH];
    if (GetEnvironmentVariableW(L"PROBE_LOG", log, MAX_PATH)) {
        HANDLE f = CreateFileW(log, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                               OPEN_ALWAYS, 0, NULL);
        DWORD w;
        if (f != INVALID_HANDLE_VALUE) {
            WriteFile(f, line, (DWORD)n, &w, NULL);
            CloseHandle(f);
        }
    }
}

static DWORD wait_exit(HANDLE p)
{
    DWORD code = 1;
    WaitForSingleObject(p, INFINITE);
    GetExitCodeProcess(p, &code);
    CloseHandle(p);
    return code;
}

static int spawn(const wchar_t *method, int depth, const wchar_t *next_method)
{
    wchar_t self[MAX_PATH], args[64], cmd[2 * MAX_PATH];
    GetModuleFileNameW(NULL, self, MAX_PATH);
    swprintf(args, 64, L"tree %d %ls", depth, next_method);
    if (!wcscmp(method, L"shell")) {
        SHELLEXECUTEINFOW sei;
        memset(&sei, 0, sizeof sei);
        sei.cbSize = sizeof sei;
        sei.fMask = SEE_MASK_NOCLOSEPROCESS | SEE_MASK_NOASYNC | SEE_MASK_FLAG_NO_UI;
        sei.lpFile = self;
        sei.lpParameters = args;
        sei.nShow = SW_HIDE;
        if (!ShellExecuteExW(&sei) || !sei.hProcess) {
            printf("probe error: ShellExecuteEx failed: %lu\n", GetLastError());
            return 1;
        }
        return (int)wait_exit(sei.hProcess);
    }
    if (!wcscmp(method, L"cmd"))
        swprintf(cmd, 2 * MAX_PATH, L"cmd.exe /c \"\"%ls\" %ls\"", self, args);
    else
        swprintf(cmd, 2 * MAX_PATH, L"\"%ls\" %ls", self, args);
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    fflush(stdout);
    if (!CreateProcessW(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
        printf("probe error: CreateProcess failed: %lu\n", GetLastError());
        return 1;
    }
    CloseHandle(pi.hThread);
    return (int)wait_exit(pi.hProcess);
}

int wmain(int argc, wchar_t **argv)
{
    if (argc < 2) {
        report();
        return 0;
    }
    if (!wcscmp(argv[1], L"tree") && argc >= 3) {
        int depth = _wtoi(argv[2]);
        const wchar_t *method = argc >= 4 ? argv[3] : L"mix";
        report();
        if (depth <= 0)
            return 0;
        static const wchar_t *cycle[] = { L"cp", L"cmd", L"shell" };
        const wchar_t *use = method, *next = method;
        if (!wcscmp(method, L"mix")) {
            use = cycle[depth % 3];
        }
        return spawn(use, depth - 1, next);
    }
    if (!wcscmp(argv[1], L"echo")) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
            fwrite(buf, 1, n, stdout);
        fprintf(stderr, "probe stderr line\n");
        return 0;
    }
    if (!wcscmp(argv[1], L"sleep") && argc >= 3) {
        report();
        Sleep((DWORD)_wtoi(argv[2]) * 1000);
        return 0;
    }
    if (!wcscmp(argv[1], L"exit") && argc >= 3)
        return _wtoi(argv[2]);
    fprintf(stderr, "t_probe: bad arguments\n");
    return 2;
}
