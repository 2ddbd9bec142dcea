/* Service benchmark (issue 5):
 *   bench_svc cycle NAME N   N start+stop cycles of service NAME through
 *                            whichever SCM this process sees (the host's
 *                            when run directly; the VM's manager under
 *                            `plume run VM --`): prints "cycle ms X.XX"
 *   bench_svc ws             the working set of every plume-scm.exe
 *                            (KiB): "plume-scm PID ws_kib N"
 * The ratio VM/host of `cycle` is the figure (target <= 1.2). */
#include <windows.h>
#include <winsvc.h>
#include <psapi.h>
#include <tlhelp32.h>
#include <stdio.h>
#include <wchar.h>
#include <stdlib.h>

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

int wmain(int argc, wchar_t **argv)
{
    if (argc >= 4 && !wcscmp(argv[1], L"cycle")) {
        SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS);
        SC_HANDLE s = scm ? OpenServiceW(scm, argv[2], SERVICE_ALL_ACCESS) : NULL;
        if (!s) {
            printf("open: error %lu\n", GetLastError());
            return 1;
        }
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
    if (argc >= 2 && !wcscmp(argv[1], L"ws")) {
        HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
        PROCESSENTRY32W pe = { .dwSize = sizeof pe };
        for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
            if (_wcsicmp(pe.szExeFile, L"plume-scm.exe"))
                continue;
            HANDLE p = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, FALSE,
                                   pe.th32ProcessID);
            PROCESS_MEMORY_COUNTERS c = { .cb = sizeof c };
            if (p && GetProcessMemoryInfo(p, &c, sizeof c))
                printf("plume-scm %lu ws_kib %lu\n", pe.th32ProcessID,
                       (unsigned long)(c.WorkingSetSize / 1024));
            if (p)
                CloseHandle(p);
        }
        CloseHandle(snap);
        return 0;
    }
    fprintf(stderr, "usage: bench_svc cycle NAME N | ws\n");
    return 2;
}
