/* Start-up benchmark: medians of RUNS runs, VM versus native, in one run.
 *
 *   plume create NAME              (then delete, untimed)
 *   plume run VM -- cmd /c exit    versus    cmd /c exit
 *   cmd /c exit started by a process inside a VM (the layer's containment:
 *   created suspended, put in the job, layer injected) versus started by
 *   a native process
 *
 * Run inside Windows (or Wine) next to plume.exe; prints ratios, asserts
 * nothing. Usage: bench_startup [RUNS]  (PLUME_ROOT may name a scratch store)
 *                 bench_startup --spawn RUNS   (prints the median spawn ms) */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include "stats.h"

static double now_ms(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart * 1000.0 / (double)f.QuadPart;
}

/* Runs a command line, waits; returns its time in ms, or -1. */
static double timed(const wchar_t *cmd, DWORD *code)
{
    wchar_t buf[1024];
    wcsncpy(buf, cmd, 1023);
    buf[1023] = 0;
    static HANDLE nul;
    if (!nul) {
        SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
        nul = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                          &sa, OPEN_EXISTING, 0, NULL);
    }
    STARTUPINFOW si = { .cb = sizeof si };
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = si.hStdOutput = si.hStdError = nul;
    PROCESS_INFORMATION pi;
    double t0 = now_ms();
    if (!CreateProcessW(NULL, buf, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
        return -1;
    WaitForSingleObject(pi.hProcess, INFINITE);
    double t = now_ms() - t0;
    GetExitCodeProcess(pi.hProcess, code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return t;
}

#define median bench_median

/* Median ms of RUNS "cmd /c exit" started by this process. */
static double spawn_median(int runs)
{
    double *v = calloc((size_t)runs, sizeof(double));
    DWORD code;
    for (int i = 0; i < runs; i++)
        v[i] = timed(L"cmd /c exit", &code);
    double m = median(v, runs);
    free(v);
    return m;
}

/* Runs a command line and reads a number from its stdout (or -1). */
static double read_number(const wchar_t *cmd)
{
    SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
    HANDLE rd, wr;
    if (!CreatePipe(&rd, &wr, &sa, 0))
        return -1;
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
        return -1;
    CloseHandle(wr);
    char text[64] = { 0 };
    DWORD n = 0, got;
    while (n < sizeof text - 1 && ReadFile(rd, text + n, sizeof text - 1 - n, &got, NULL) && got)
        n += got;
    WaitForSingleObject(pi.hProcess, INFINITE);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    CloseHandle(rd);
    return n ? atof(text) : -1;
}

int wmain(int argc, wchar_t **argv)
{
    if (argc > 2 && !wcscmp(argv[1], L"--spawn")) {
        printf("%.3f\n", spawn_median(_wtoi(argv[2]) > 0 ? _wtoi(argv[2]) : 10));
        return 0;
    }
    int runs = argc > 1 ? _wtoi(argv[1]) : 10;
    if (runs < 1 || runs > 1000)
        runs = 10;
    wchar_t plume[MAX_PATH], cmd[1024];
    GetModuleFileNameW(NULL, plume, MAX_PATH);
    wcscpy(wcsrchr(plume, L'\\') + 1, L"plume.exe");
    double *create = calloc((size_t)runs, sizeof(double));
    double *vm = calloc((size_t)runs, sizeof(double));
    double *native = calloc((size_t)runs, sizeof(double));
    DWORD code;

    for (int i = 0; i < runs; i++) {
        swprintf(cmd, 1024, L"\"%ls\" create benchvm%d", plume, i);
        create[i] = timed(cmd, &code);
        if (create[i] < 0 || code != 0) {
            fprintf(stderr, "bench: plume create failed (%lu)\n", code);
            return 1;
        }
    }
    /* Interleaved; which goes first alternates. */
    for (int i = 0; i < runs; i++) {
        if (i % 2)
            native[i] = timed(L"cmd /c exit", &code);
        swprintf(cmd, 1024, L"\"%ls\" run benchvm0 -- cmd /c exit", plume);
        vm[i] = timed(cmd, &code);
        if (vm[i] < 0 || code != 0) {
            fprintf(stderr, "bench: plume run failed (%lu)\n", code);
            return 1;
        }
        if (i % 2 == 0)
            native[i] = timed(L"cmd /c exit", &code);
    }
    wchar_t self[MAX_PATH];
    GetModuleFileNameW(NULL, self, MAX_PATH);
    /* Both from a child process started the same way, interleaved. */
    double sv[3], sn[3];
    for (int k = 0; k < 3; k++) {
        swprintf(cmd, 1024, L"\"%ls\" --spawn %d", self, runs);
        if (k != 1)
            sn[k] = read_number(cmd);
        swprintf(cmd, 1024, L"\"%ls\" run benchvm0 -- \"%ls\" --spawn %d", plume, self, runs);
        sv[k] = read_number(cmd);
        if (k == 1) {
            swprintf(cmd, 1024, L"\"%ls\" --spawn %d", self, runs);
            sn[k] = read_number(cmd);
        }
    }
    double rs[3];
    for (int k = 0; k < 3; k++)
        rs[k] = sv[k] / sn[k];
    bench_result("startup.spawn_ratio", rs, 3);
    double spawn_native = bench_result("startup.spawn_native_ms", sn, 3);
    double spawn_vm = bench_result("startup.spawn_vm_ms", sv, 3);
    for (int i = 0; i < runs; i++) {
        swprintf(cmd, 1024, L"\"%ls\" delete benchvm%d", plume, i);
        timed(cmd, &code);
    }
    /* Per-pair ratios: run i in the VM against run i natively, interleaved. */
    double *ratio = calloc((size_t)runs, sizeof(double));
    for (int i = 0; i < runs; i++)
        ratio[i] = vm[i] / native[i];
    bench_result("startup.run_ratio", ratio, runs);
    double mc = bench_result("startup.create_ms", create, runs);
    double mv = bench_result("startup.run_vm_ms", vm, runs);
    double mn = bench_result("startup.run_native_ms", native, runs);
    printf("runs: %d (medians)\n", runs);
    printf("plume create:                  %8.1f ms\n", mc);
    printf("plume run VM -- cmd /c exit:   %8.1f ms\n", mv);
    printf("cmd /c exit (native):          %8.1f ms\n", mn);
    printf("ratio VM/native:               %8.2f x\n", mv / mn);
    printf("cmd /c exit from a VM process: %8.1f ms\n", spawn_vm);
    printf("cmd /c exit from a native one: %8.1f ms\n", spawn_native);
    printf("ratio VM/native:               %8.2f x\n", spawn_vm / spawn_native);
    return 0;
}
