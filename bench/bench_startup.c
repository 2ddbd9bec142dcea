/* Start-up benchmark: medians of 10 runs, VM versus native, in one run.
 *
 *   plume create NAME              (then delete, untimed)
 *   plume run VM -- cmd /c exit    versus    cmd /c exit
 *
 * Run inside Windows (or Wine) next to plume.exe; prints ratios, asserts
 * nothing. Usage: bench_startup [RUNS]  (PLUME_ROOT may name a scratch store) */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

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
    STARTUPINFOW si = { .cb = sizeof si };
    PROCESS_INFORMATION pi;
    double t0 = now_ms();
    if (!CreateProcessW(NULL, buf, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
        return -1;
    WaitForSingleObject(pi.hProcess, INFINITE);
    double t = now_ms() - t0;
    GetExitCodeProcess(pi.hProcess, code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return t;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int wmain(int argc, wchar_t **argv)
{
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
    for (int i = 0; i < runs; i++) {
        swprintf(cmd, 1024, L"\"%ls\" run benchvm0 -- cmd /c exit", plume);
        vm[i] = timed(cmd, &code);
        if (vm[i] < 0 || code != 0) {
            fprintf(stderr, "bench: plume run failed (%lu)\n", code);
            return 1;
        }
        native[i] = timed(L"cmd /c exit", &code);
    }
    for (int i = 0; i < runs; i++) {
        swprintf(cmd, 1024, L"\"%ls\" delete benchvm%d", plume, i);
        timed(cmd, &code);
    }
    double mc = median(create, runs), mv = median(vm, runs), mn = median(native, runs);
    printf("runs: %d (medians)\n", runs);
    printf("plume create:                  %8.1f ms\n", mc);
    printf("plume run VM -- cmd /c exit:   %8.1f ms\n", mv);
    printf("cmd /c exit (native):          %8.1f ms\n", mn);
    printf("ratio VM/native:               %8.2f x\n", mv / mn);
    return 0;
}
