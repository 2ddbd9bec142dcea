/* Namespace microbenchmark: the cost of common calls inside a VM against
 * the same calls natively, measured in one run, interleaved.
 *
 *   bench_ns [ROUNDS [CALLS]]    prepares the data, then for each round
 *                                runs "bench_ns --inner" natively and
 *                                through "plume run benchns --", prints
 *                                median per-call times and ratios
 *   bench_ns --inner N           times N calls of each kind, prints one
 *                                line "name microseconds" per kind
 *
 * Prints ratios, asserts nothing. Run next to plume.exe (bench/run). */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include "stats.h"

#define KINDS 6
static const char *kind_names[KINDS] = {
    "open+close, untouched host file",
    "open+close, copied-up file",
    "list a directory of 1,000 files",
    "registry open+query, untouched key",
    "create a named mutex",
    "pipe create+connect",
};
static const wchar_t data_dir[] = L"C:\\plume-bench-data";

static double now_us(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart * 1e6 / (double)f.QuadPart;
}

#define median bench_median
static const char *kind_keys[KINDS] = {
    "open_untouched", "open_copied", "list_1000", "reg_open_query", "mutex_create", "pipe_connect",
};

static int open_close(const wchar_t *path)
{
    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return 0;
    CloseHandle(h);
    return 1;
}

static int op(int kind, int i)
{
    wchar_t path[MAX_PATH];
    switch (kind) {
    case 0:
        swprintf(path, MAX_PATH, L"%ls\\untouched.txt", data_dir);
        return open_close(path);
    case 1:
        swprintf(path, MAX_PATH, L"%ls\\copied.txt", data_dir);
        return open_close(path);
    case 2: {
        WIN32_FIND_DATAW fd;
        swprintf(path, MAX_PATH, L"%ls\\many\\*", data_dir);
        HANDLE f = FindFirstFileW(path, &fd);
        if (f == INVALID_HANDLE_VALUE)
            return 0;
        int n = 1;
        while (FindNextFileW(f, &fd))
            n++;
        FindClose(f);
        return n >= 1000;
    }
    case 3: {
        HKEY k;
        if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"Software\\Microsoft\\Windows NT\\CurrentVersion",
                          0, KEY_READ, &k) != ERROR_SUCCESS)
            return 0;
        wchar_t v[64];
        DWORD sz = sizeof v;
        LONG e = RegQueryValueExW(k, L"CurrentVersion", NULL, NULL, (BYTE *)v, &sz);
        RegCloseKey(k);
        return e == ERROR_SUCCESS;
    }
    case 4: {
        HANDLE m = CreateMutexW(NULL, FALSE, L"Local\\PlumeBenchMutex");
        if (!m)
            return 0;
        CloseHandle(m);
        return 1;
    }
    case 5: {
        wchar_t name[64];
        swprintf(name, 64, L"\\\\.\\pipe\\plume-bench-%lu-%d", GetCurrentProcessId(), i);
        HANDLE s = CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 512, 512, 0, NULL);
        if (s == INVALID_HANDLE_VALUE)
            return 0;
        HANDLE c = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
        int ok = c != INVALID_HANDLE_VALUE;
        if (ok)
            CloseHandle(c);
        CloseHandle(s);
        return ok;
    }
    }
    return 0;
}

static int inner(int n)
{
    /* Inside a VM this makes copied.txt a private copy (a write opens it). */
    wchar_t path[MAX_PATH];
    swprintf(path, MAX_PATH, L"%ls\\copied.txt", data_dir);
    HANDLE h = CreateFileW(path, FILE_APPEND_DATA, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (h != INVALID_HANDLE_VALUE)
        CloseHandle(h);
    for (int k = 0; k < KINDS; k++) {
        int reps = k == 2 ? (n / 20 > 0 ? n / 20 : 1) : n;
        op(k, -1); /* warm */
        double t0 = now_us();
        for (int i = 0; i < reps; i++)
            if (!op(k, i)) {
                printf("%d error\n", k);
                return 1;
            }
        printf("%d %.3f\n", k, (now_us() - t0) / reps);
    }
    return 0;
}

/* Runs a command line, parses "kind us" lines into out[]. */
static int run_inner(const wchar_t *cmd, double *out)
{
    SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
    HANDLE rd, wr;
    if (!CreatePipe(&rd, &wr, &sa, 0))
        return 0;
    SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
    wchar_t buf[1024];
    wcsncpy(buf, cmd, 1023);
    buf[1023] = 0;
    STARTUPINFOW si = { .cb = sizeof si };
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdOutput = wr;
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION pi;
    if (!CreateProcessW(NULL, buf, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
        return 0;
    CloseHandle(wr);
    char text[1024] = { 0 };
    DWORD n = 0, got;
    while (n < sizeof text - 1 && ReadFile(rd, text + n, sizeof text - 1 - n, &got, NULL) && got)
        n += got;
    WaitForSingleObject(pi.hProcess, INFINITE);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    CloseHandle(rd);
    int seen = 0;
    for (char *line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n")) {
        int k;
        double us;
        if (sscanf(line, "%d %lf", &k, &us) == 2 && k >= 0 && k < KINDS) {
            out[k] = us;
            seen++;
        } else if (strstr(line, "error")) {
            fprintf(stderr, "bench_ns: %s failed: %s\n", "a call", line);
        }
    }
    return seen == KINDS;
}

static void prepare(void)
{
    wchar_t path[MAX_PATH];
    CreateDirectoryW(data_dir, NULL);
    swprintf(path, MAX_PATH, L"%ls\\many", data_dir);
    CreateDirectoryW(path, NULL);
    for (int i = 0; i < 1000; i++) {
        swprintf(path, MAX_PATH, L"%ls\\many\\f%04d.txt", data_dir, i);
        HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, 0, NULL);
        if (h != INVALID_HANDLE_VALUE)
            CloseHandle(h);
    }
    const wchar_t *files[] = { L"untouched.txt", L"copied.txt" };
    for (int i = 0; i < 2; i++) {
        swprintf(path, MAX_PATH, L"%ls\\%ls", data_dir, files[i]);
        HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
        DWORD w;
        if (h != INVALID_HANDLE_VALUE) {
            WriteFile(h, "plume bench\n", 12, &w, NULL);
            CloseHandle(h);
        }
    }
}

int wmain(int argc, wchar_t **argv)
{
    if (argc > 2 && !wcscmp(argv[1], L"--inner"))
        return inner(_wtoi(argv[2]));
    int rounds = argc > 1 ? _wtoi(argv[1]) : 7;
    if (rounds < 1 || rounds > 100)
        rounds = 7;
    int n = argc > 2 ? _wtoi(argv[2]) : 300;
    if (n < 20 || n > 100000)
        n = 300;
    prepare();
    wchar_t self[MAX_PATH], plume[MAX_PATH], cmd[1024];
    GetModuleFileNameW(NULL, self, MAX_PATH);
    wcscpy(plume, self);
    wcscpy(wcsrchr(plume, L'\\') + 1, L"plume.exe");
    swprintf(cmd, 1024, L"\"%ls\" create benchns", plume);
    {
        STARTUPINFOW si = { .cb = sizeof si };
        PROCESS_INFORMATION pi;
        if (CreateProcessW(NULL, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) {
            WaitForSingleObject(pi.hProcess, INFINITE);
            CloseHandle(pi.hProcess);
            CloseHandle(pi.hThread);
        }
    }
    double nat[100][KINDS], vm[100][KINDS];
    /* Native and VM alternate which goes first, so that neither always
     * runs right after the other's process start. */
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 2; k++) {
            if ((k == 0) == (r % 2 == 0)) {
                swprintf(cmd, 1024, L"\"%ls\" --inner %d", self, n);
                if (!run_inner(cmd, nat[r])) {
                    fprintf(stderr, "bench_ns: the native run failed\n");
                    return 1;
                }
            } else {
                swprintf(cmd, 1024, L"\"%ls\" run benchns -- \"%ls\" --inner %d", plume, self, n);
                if (!run_inner(cmd, vm[r])) {
                    fprintf(stderr, "bench_ns: the run inside the VM failed\n");
                    return 1;
                }
            }
        }
    }
    printf("namespace calls, %d rounds of %d calls (medians, microseconds per call)\n", rounds, n);
    printf("%-38s %10s %10s %8s\n", "call", "native", "VM", "VM/nat");
    for (int k = 0; k < KINDS; k++) {
        double a[100], b[100], q[100];
        char key[64];
        for (int r = 0; r < rounds; r++) {
            a[r] = nat[r][k];
            b[r] = vm[r][k];
            q[r] = b[r] / a[r];
        }
        snprintf(key, sizeof key, "ns.%s.ratio", kind_keys[k]);
        bench_result(key, q, rounds);
        snprintf(key, sizeof key, "ns.%s.native_us", kind_keys[k]);
        double mn = bench_result(key, a, rounds);
        snprintf(key, sizeof key, "ns.%s.vm_us", kind_keys[k]);
        double mv = bench_result(key, b, rounds);
        printf("%-38s %10.1f %10.1f %7.2fx\n", kind_names[k], mn, mv, mv / mn);
    }
    swprintf(cmd, 1024, L"\"%ls\" delete benchns", plume);
    STARTUPINFOW si = { .cb = sizeof si };
    PROCESS_INFORMATION pi;
    if (CreateProcessW(NULL, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) {
        WaitForSingleObject(pi.hProcess, INFINITE);
        CloseHandle(pi.hProcess);
        CloseHandle(pi.hThread);
    }
    return 0;
}
