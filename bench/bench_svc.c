/* Service benchmark (issue 5):
 *   bench_svc cycle NAME N   N start+stop cycles of service NAME through
 *                            whichever SCM this process sees (the host's
 *                            when run directly; the VM's manager under
 *                            `plume run VM --`): prints "cycle ms X.XX"
 *   bench_svc ws [IMAGE]     the working set of every plume-scm.exe
 *                            (KiB): "plume-scm PID ws_kib N"; with IMAGE,
 *                            of every process of that image: "proc PID
 *                            ws_kib N"
 *   bench_svc startstop NAME N
 *                            N cycles, each timed in two parts: StartService
 *                            until RUNNING, then stop until STOPPED; prints
 *                            "start_ms X" and "stop_ms Y" for each cycle
 *   bench_svc mem PID...     for each Windows PID: "mem PID ws_kib N
 *                            private_kib N image NAME" (GetProcessMemoryInfo:
 *                            under Wine the working set is the Unix RSS)
 *   bench_svc idle SECONDS   does nothing for SECONDS: a trivial process
 *                            whose memory is the baseline of a Wine process
 * The ratio VM/host of `cycle` is the figure (target <= 1.2). */
#include <windows.h>
#include <winsvc.h>
#include <psapi.h>
#include <tlhelp32.h>
#include <stdio.h>
#include <wchar.h>
#include <stdlib.h>
#include <string.h>

static int wait_state(SC_HANDLE s, DWORD want)
{
    SERVICE_STATUS st;
    for (int i = 0; i < 20000; i++) {
        if (!QueryServiceStatus(s, &st))
            return -1;
        if (st.dwCurrentState == want)
            return 0;
        Sleep(1);
    }
    return -1;
}

/* The service, with every right; NULL (said on stdout) when it cannot. */
static SC_HANDLE open_service(const wchar_t *name)
{
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS);
    SC_HANDLE s = scm ? OpenServiceW(scm, name, SERVICE_ALL_ACCESS) : NULL;
    if (!s)
        printf("open: error %lu\n", GetLastError());
    return s;
}

int wmain(int argc, wchar_t **argv)
{
    if (argc >= 4 && !wcscmp(argv[1], L"cycle")) {
        SC_HANDLE s = open_service(argv[2]);
        if (!s)
            return 1;
        int n = _wtoi(argv[3]);
        LARGE_INTEGER f, a, b;
        QueryPerformanceFrequency(&f);
        QueryPerformanceCounter(&a);
        for (int i = 0; i < n; i++) {
            SERVICE_STATUS st;
            if (!StartServiceW(s, 0, NULL) || wait_state(s, SERVICE_RUNNING) ||
                !ControlService(s, SERVICE_CONTROL_STOP, &st) || wait_state(s, SERVICE_STOPPED)) {
                printf("cycle %d: error %lu\n", i, GetLastError());
                return 1;
            }
        }
        QueryPerformanceCounter(&b);
        printf("cycle ms %.2f\n", (double)(b.QuadPart - a.QuadPart) * 1000.0 / (double)f.QuadPart / n);
        return 0;
    }
    if (argc >= 4 && !wcscmp(argv[1], L"startstop")) {
        SC_HANDLE s = open_service(argv[2]);
        if (!s)
            return 1;
        int n = _wtoi(argv[3]);
        LARGE_INTEGER f, a, b, c;
        QueryPerformanceFrequency(&f);
        for (int i = 0; i < n; i++) {
            SERVICE_STATUS st;
            QueryPerformanceCounter(&a);
            if (!StartServiceW(s, 0, NULL) || wait_state(s, SERVICE_RUNNING)) {
                printf("start %d: error %lu\n", i, GetLastError());
                return 1;
            }
            QueryPerformanceCounter(&b);
            if (!ControlService(s, SERVICE_CONTROL_STOP, &st) || wait_state(s, SERVICE_STOPPED)) {
                printf("stop %d: error %lu\n", i, GetLastError());
                return 1;
            }
            QueryPerformanceCounter(&c);
            printf("start_ms %.3f\nstop_ms %.3f\n",
                   (double)(b.QuadPart - a.QuadPart) * 1000.0 / (double)f.QuadPart,
                   (double)(c.QuadPart - b.QuadPart) * 1000.0 / (double)f.QuadPart);
        }
        return 0;
    }
    if (argc >= 2 && !wcscmp(argv[1], L"mem")) {
        for (int i = 2; i < argc; i++) {
            DWORD pid = (DWORD)_wtoi(argv[i]);
            HANDLE p = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, FALSE, pid);
            PROCESS_MEMORY_COUNTERS_EX c = { .cb = sizeof c };
            wchar_t image[MAX_PATH] = L"?";
            DWORD len = MAX_PATH;
            if (p && GetProcessMemoryInfo(p, (PROCESS_MEMORY_COUNTERS *)&c, sizeof c)) {
                if (QueryFullProcessImageNameW(p, 0, image, &len)) {
                    wchar_t *base = wcsrchr(image, L'\\');
                    if (base)
                        memmove(image, base + 1, (wcslen(base + 1) + 1) * sizeof(wchar_t));
                }
                printf("mem %lu ws_kib %lu private_kib %lu image %ls\n", pid,
                       (unsigned long)(c.WorkingSetSize / 1024),
                       (unsigned long)(c.PrivateUsage / 1024), image);
            } else {
                printf("mem %lu error %lu\n", pid, GetLastError());
            }
            if (p)
                CloseHandle(p);
        }
        return 0;
    }
    if (argc >= 3 && !wcscmp(argv[1], L"idle")) {
        Sleep((DWORD)_wtoi(argv[2]) * 1000);
        return 0;
    }
    if (argc >= 2 && !wcscmp(argv[1], L"ws")) {
        const wchar_t *image = argc >= 3 ? argv[2] : L"plume-scm.exe";
        const char *label = argc >= 3 ? "proc" : "plume-scm";
        HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
        PROCESSENTRY32W pe = { .dwSize = sizeof pe };
        for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
            if (_wcsicmp(pe.szExeFile, image) || pe.th32ProcessID == GetCurrentProcessId())
                continue;
            HANDLE p = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, FALSE,
                                   pe.th32ProcessID);
            PROCESS_MEMORY_COUNTERS c = { .cb = sizeof c };
            if (p && GetProcessMemoryInfo(p, &c, sizeof c))
                printf("%s %lu ws_kib %lu\n", label, pe.th32ProcessID,
                       (unsigned long)(c.WorkingSetSize / 1024));
            if (p)
                CloseHandle(p);
        }
        CloseHandle(snap);
        return 0;
    }
    fprintf(stderr, "usage: bench_svc cycle NAME N | startstop NAME N | mem PID... | idle S | ws\n");
    return 2;
}
