/* A probe for the process-isolation tests (tests/cli/procview.sh): what a
 * process can see of, and do to, other processes. Runs in a VM or on the
 * host; prints one "name=value" line per thing tried (0 = it worked, else
 * the Win32 error, or the NTSTATUS in hex for the Nt* calls).
 *
 *   t_procview sleep SECONDS          "sleeper pid=P tid=T", then sleep
 *   t_procview open PID TID           try to open PID and thread TID, and
 *                                     what the open would allow
 *   t_procview list                   the processes seen: toolhelp,
 *                                     EnumProcesses, NtQuerySystemInformation
 *                                     classes 5/57/148 and handle tables
 *   t_procview use FILE               wait for FILE ("P T": a process and a
 *                                     thread handle given to this process
 *                                     by `give`), then act through them
 *   t_procview give PID TARGETPID TARGETTID FILE
 *                                     (host) duplicate handles to TARGET's
 *                                     process and thread into process PID;
 *                                     write their values to FILE
 *   t_procview bench N                time N calls on this process through
 *                                     the pseudo-handle and a real handle
 *   t_procview kill PID               TerminateProcess(PID)
 */
#include <windows.h>
#include <winternl.h>
#include <tlhelp32.h>
#include <psapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef NTSTATUS(NTAPI *open_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, CLIENT_ID *);
typedef NTSTATUS(NTAPI *handle_fn)(HANDLE);
typedef NTSTATUS(NTAPI *qsi_fn)(ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS(NTAPI *dbg_fn)(HANDLE, HANDLE);
typedef NTSTATUS(NTAPI *create_dbg_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, ULONG);
typedef NTSTATUS(NTAPI *next_thread_fn)(HANDLE, HANDLE, ACCESS_MASK, ULONG, ULONG, PHANDLE);

static FARPROC nt(const char *name)
{
    return GetProcAddress(GetModuleHandleW(L"ntdll.dll"), name);
}

static void line(const char *what, unsigned long v)
{
    printf("%s=%lu\n", what, v);
}

static void nline(const char *what, NTSTATUS st)
{
    printf("%s=0x%08lx\n", what, (unsigned long)st);
}

static DWORD err_of(BOOL ok)
{
    return ok ? 0 : GetLastError();
}

static void opens(DWORD pid, DWORD tid)
{
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    line("OpenProcess_query", err_of(h != NULL));
    if (h)
        CloseHandle(h);
    h = OpenProcess(PROCESS_ALL_ACCESS, FALSE, pid);
    line("OpenProcess_all", err_of(h != NULL));
    if (h)
        CloseHandle(h);
    h = OpenProcess(SYNCHRONIZE, FALSE, pid);
    line("OpenProcess_sync", err_of(h != NULL));
    if (h)
        CloseHandle(h);
    h = OpenThread(THREAD_ALL_ACCESS, FALSE, tid);
    line("OpenThread_all", err_of(h != NULL));
    if (h)
        CloseHandle(h);

    /* The native call, and its form with only a thread id. */
    open_fn open = (open_fn)(void *)nt("NtOpenProcess");
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, NULL, 0, NULL, NULL);
    CLIENT_ID cid = { (HANDLE)(ULONG_PTR)pid, 0 };
    h = NULL;
    NTSTATUS st = open(&h, PROCESS_VM_WRITE | PROCESS_VM_OPERATION, &oa, &cid);
    nline("NtOpenProcess_pid", st);
    line("NtOpenProcess_pid_handle", (unsigned long)(ULONG_PTR)h);
    if (st >= 0)
        CloseHandle(h);
    cid.UniqueProcess = 0;
    cid.UniqueThread = (HANDLE)(ULONG_PTR)tid;
    h = NULL;
    st = open(&h, PROCESS_TERMINATE, &oa, &cid);
    nline("NtOpenProcess_tidonly", st);
    if (st >= 0)
        CloseHandle(h);
    open_fn open_thread = (open_fn)(void *)nt("NtOpenThread");
    h = NULL;
    st = open_thread(&h, THREAD_SET_CONTEXT, &oa, &cid);
    nline("NtOpenThread_setcontext", st);
    if (st >= 0)
        CloseHandle(h);

    BOOL dbg = DebugActiveProcess(pid);
    line("DebugActiveProcess", err_of(dbg));
    if (dbg)
        DebugActiveProcessStop(pid);
}

/* Things done to a process and one of its threads through handles. */
static void acts(HANDLE p, HANDLE t)
{
    char buf[16] = "plume";
    SIZE_T n = 0;
    void *mem = VirtualAllocEx(p, NULL, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    line("VirtualAllocEx", err_of(mem != NULL));
    /* A target address: the remote block, else this image's (same base). */
    void *at = mem ? mem : (void *)GetModuleHandleW(NULL);
    line("WriteProcessMemory", err_of(WriteProcessMemory(p, at, buf, 5, &n)));
    line("ReadProcessMemory", err_of(ReadProcessMemory(p, at, buf, 5, &n)));
    DWORD old;
    line("VirtualProtectEx", err_of(VirtualProtectEx(p, at, 4096, PAGE_READONLY, &old)));
    if (mem)
        VirtualFreeEx(p, mem, 0, MEM_RELEASE);
    /* A remote thread that would only call ExitThread(7) there. */
    HANDLE rt = CreateRemoteThread(p, NULL, 0, (LPTHREAD_START_ROUTINE)(void *)ExitThread,
                                   (void *)7, CREATE_SUSPENDED, NULL);
    line("CreateRemoteThread", err_of(rt != NULL));
    if (rt) {
        ResumeThread(rt);
        CloseHandle(rt);
    }
    line("SetPriorityClass", err_of(SetPriorityClass(p, NORMAL_PRIORITY_CLASS)));
    handle_fn sus = (handle_fn)(void *)nt("NtSuspendProcess");
    handle_fn res = (handle_fn)(void *)nt("NtResumeProcess");
    NTSTATUS st = sus(p);
    nline("NtSuspendProcess", st);
    if (st >= 0)
        res(p);
    create_dbg_fn cdo = (create_dbg_fn)(void *)nt("NtCreateDebugObject");
    dbg_fn dap = (dbg_fn)(void *)nt("NtDebugActiveProcess");
    HANDLE dbg = NULL;
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, NULL, 0, NULL, NULL);
    if (cdo(&dbg, 0x1f000f /* DEBUG_ALL_ACCESS */, &oa, 0) >= 0) {
        st = dap(p, dbg);
        nline("NtDebugActiveProcess", st);
        if (st >= 0) {
            dbg_fn rpd = (dbg_fn)(void *)nt("NtRemoveProcessDebug");
            rpd(p, dbg);
        }
        CloseHandle(dbg);
    } else {
        printf("NtDebugActiveProcess=nodebugobject\n");
    }
    HANDLE dup = NULL;
    line("DuplicateHandle_from", err_of(DuplicateHandle(p, (HANDLE)4, GetCurrentProcess(), &dup, 0,
                                                        FALSE, DUPLICATE_SAME_ACCESS)));
    if (dup)
        CloseHandle(dup);
    HANDLE ev = CreateEventW(NULL, FALSE, FALSE, NULL);
    dup = NULL;
    line("DuplicateHandle_into", err_of(DuplicateHandle(GetCurrentProcess(), ev, p, &dup, 0, FALSE,
                                                        DUPLICATE_SAME_ACCESS)));
    CloseHandle(ev);
    next_thread_fn gnt = (next_thread_fn)(void *)nt("NtGetNextThread");
    if (gnt) {
        HANDLE th = NULL;
        st = gnt(p, NULL, THREAD_QUERY_LIMITED_INFORMATION, 0, 0, &th);
        nline("NtGetNextThread", st);
        if (st >= 0)
            CloseHandle(th);
    }
    if (t) {
        line("QueueUserAPC", err_of(QueueUserAPC((PAPCFUNC)(void *)Sleep, t, 0) != 0));
        DWORD c = SuspendThread(t);
        line("SuspendThread", c == (DWORD)-1 ? GetLastError() : 0);
        if (c != (DWORD)-1)
            ResumeThread(t);
        CONTEXT ctx;
        memset(&ctx, 0, sizeof ctx);
        ctx.ContextFlags = CONTEXT_CONTROL;
        line("GetThreadContext", err_of(GetThreadContext(t, &ctx)));
        ctx.ContextFlags = 0;     /* changes nothing if it were let through */
        line("SetThreadContext", err_of(SetThreadContext(t, &ctx)));
    }
    /* Last: ending it. */
    line("TerminateProcess", err_of(TerminateProcess(p, 9)));
}

static int list(void)
{
    DWORD self = GetCurrentProcessId();
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS | TH32CS_SNAPTHREAD, 0);
    DWORD pids[1024], np = 0, self_seen = 0;
    if (snap == INVALID_HANDLE_VALUE)
        line("toolhelp_error", GetLastError());
    PROCESSENTRY32W pe;
    pe.dwSize = sizeof pe;
    for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
        printf("proc %lu %ls\n", pe.th32ProcessID, pe.szExeFile);
        if (np < 1024)
            pids[np++] = pe.th32ProcessID;
        self_seen |= pe.th32ProcessID == self;
    }
    /* Every thread listed belongs to a listed process. */
    THREADENTRY32 te;
    te.dwSize = sizeof te;
    DWORD nt_ = 0, stray = 0;
    for (BOOL ok = Thread32First(snap, &te); ok; ok = Thread32Next(snap, &te)) {
        nt_++;
        DWORD i;
        for (i = 0; i < np && pids[i] != te.th32OwnerProcessID; i++)
            ;
        stray += i == np;
    }
    CloseHandle(snap);
    line("toolhelp_processes", np);
    line("toolhelp_self", self_seen);
    line("toolhelp_threads", nt_);
    line("toolhelp_stray_threads", stray);

    DWORD ep[1024], got = 0;
    if (EnumProcesses(ep, sizeof ep, &got))
        line("EnumProcesses", got / sizeof(DWORD));
    else
        line("EnumProcesses_error", GetLastError());

    /* The native classes directly: each must list the same processes. */
    qsi_fn qsi = (qsi_fn)(void *)nt("NtQuerySystemInformation");
    static const ULONG classes[] = { 5, 57, 148 };
    ULONG cap = 1 << 20;
    BYTE *buf = malloc(cap);
    for (size_t c = 0; c < 3; c++) {
        ULONG ret = 0;
        NTSTATUS st = qsi(classes[c], buf, cap, &ret);
        char name[32];
        snprintf(name, sizeof name, "class%lu", classes[c]);
        if (st < 0) {
            printf("%s=status 0x%08lx\n", name, (unsigned long)st);
            continue;
        }
        DWORD count = 0, unknown = 0, off = 0;
        for (;;) {
            ULONG_PTR pid;
            memcpy(&pid, buf + off + 80, sizeof pid);
            count++;
            DWORD i;
            for (i = 0; i < np && pids[i] != pid; i++)
                ;
            unknown += i == np;
            ULONG next;
            memcpy(&next, buf + off, 4);
            if (!next)
                break;
            off += next;
        }
        printf("%s=%lu processes, %lu not in the toolhelp list, returned %lu bytes\n", name,
               count, unknown, ret);
    }
    /* Handle tables: every owner is one of the listed processes. */
    ULONG ret = 0;
    NTSTATUS st = qsi(64, buf, cap, &ret);
    if (st >= 0) {
        ULONG_PTR n;
        memcpy(&n, buf, sizeof n);
        DWORD foreign = 0;
        for (ULONG_PTR i = 0; i < n; i++) {
            ULONG_PTR pid;
            memcpy(&pid, buf + 16 + 40 * i + 8, sizeof pid);
            DWORD j;
            for (j = 0; j < np && pids[j] != pid; j++)
                ;
            foreign += j == np;
        }
        printf("class64=%lu handles, %lu of unlisted processes\n", (unsigned long)n, foreign);
    } else {
        printf("class64=status 0x%08lx\n", (unsigned long)st);
    }
    ret = 0;
    st = qsi(16, buf, cap, &ret);
    if (st >= 0) {
        ULONG n;
        memcpy(&n, buf, sizeof n);
        DWORD foreign = 0;
        for (ULONG i = 0; i < n; i++) {
            USHORT pid;
            memcpy(&pid, buf + 8 + 24 * i, sizeof pid);
            DWORD j;
            for (j = 0; j < np && (USHORT)pids[j] != pid; j++)
                ;
            foreign += j == np;
        }
        printf("class16=%lu handles, %lu of unlisted processes\n", n, foreign);
    } else {
        printf("class16=status 0x%08lx\n", (unsigned long)st);
    }
    free(buf);
    return 0;
}

static int use(const wchar_t *file)
{
    unsigned long long p = 0, t = 0;
    for (int i = 0; i < 300; i++) {
        FILE *f = _wfopen(file, L"r");
        if (f) {
            int n = fscanf(f, "%llx %llx", &p, &t);
            fclose(f);
            if (n == 2)
                break;
        }
        Sleep(100);
    }
    if (!p) {
        printf("use: no handles given\n");
        return 1;
    }
    DWORD pid = GetProcessId((HANDLE)(ULONG_PTR)p);
    printf("use: process handle %llx (pid %lu), thread handle %llx\n", p, pid, t);
    acts((HANDLE)(ULONG_PTR)p, (HANDLE)(ULONG_PTR)t);
    return 0;
}

static int give(DWORD to, DWORD target, DWORD tid, const wchar_t *file)
{
    HANDLE vm = OpenProcess(PROCESS_DUP_HANDLE, FALSE, to);
    HANDLE p = OpenProcess(PROCESS_ALL_ACCESS, FALSE, target);
    HANDLE t = OpenThread(THREAD_ALL_ACCESS, FALSE, tid);
    HANDLE rp = NULL, rt = NULL;
    if (!vm || !p || !t || !DuplicateHandle(GetCurrentProcess(), p, vm, &rp, 0, FALSE,
                                            DUPLICATE_SAME_ACCESS) ||
        !DuplicateHandle(GetCurrentProcess(), t, vm, &rt, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
        printf("give: failed: %lu\n", GetLastError());
        return 1;
    }
    FILE *f = _wfopen(file, L"w");
    if (!f)
        return 1;
    fprintf(f, "%llx %llx\n", (unsigned long long)(ULONG_PTR)rp,
            (unsigned long long)(ULONG_PTR)rt);
    fclose(f);
    printf("give: ok\n");
    return 0;
}

static double now_us(void)
{
    LARGE_INTEGER c, f;
    QueryPerformanceCounter(&c);
    QueryPerformanceFrequency(&f);
    return (double)c.QuadPart * 1e6 / (double)f.QuadPart;
}

static int bench(int n)
{
    static char page[4096] __attribute__((aligned(4096)));
    DWORD old;
    HANDLE real = OpenProcess(PROCESS_ALL_ACCESS, FALSE, GetCurrentProcessId());
    HANDLE th = OpenThread(THREAD_ALL_ACCESS, FALSE, GetCurrentThreadId());
    double t0 = now_us();
    for (int i = 0; i < n; i++)
        VirtualProtectEx(GetCurrentProcess(), page, 1, i & 1 ? PAGE_READWRITE : PAGE_READONLY, &old);
    double t1 = now_us();
    for (int i = 0; i < n; i++)
        VirtualProtectEx(real, page, 1, i & 1 ? PAGE_READWRITE : PAGE_READONLY, &old);
    double t2 = now_us();
    for (int i = 0; i < n; i++)
        SetThreadPriority(th, THREAD_PRIORITY_NORMAL);
    double t3 = now_us();
    VirtualProtect(page, 1, PAGE_READWRITE, &old);
    printf("bench VirtualProtectEx(pseudo) %.2f us\n", (t1 - t0) / n);
    printf("bench VirtualProtectEx(real handle) %.2f us\n", (t2 - t1) / n);
    printf("bench SetThreadPriority(real handle) %.2f us\n", (t3 - t2) / n);
    CloseHandle(real);
    CloseHandle(th);
    return 0;
}

int wmain(int argc, wchar_t **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc >= 3 && !wcscmp(argv[1], L"sleep")) {
        printf("sleeper pid=%lu tid=%lu\n", GetCurrentProcessId(), GetCurrentThreadId());
        Sleep((DWORD)_wtoi(argv[2]) * 1000);
        return 0;
    }
    if (argc >= 4 && !wcscmp(argv[1], L"open")) {
        opens((DWORD)_wtoi(argv[2]), (DWORD)_wtoi(argv[3]));
        return 0;
    }
    if (argc >= 2 && !wcscmp(argv[1], L"list"))
        return list();
    if (argc >= 3 && !wcscmp(argv[1], L"use"))
        return use(argv[2]);
    if (argc >= 6 && !wcscmp(argv[1], L"give"))
        return give((DWORD)_wtoi(argv[2]), (DWORD)_wtoi(argv[3]), (DWORD)_wtoi(argv[4]), argv[5]);
    if (argc >= 3 && !wcscmp(argv[1], L"bench"))
        return bench(_wtoi(argv[2]));
    if (argc >= 3 && !wcscmp(argv[1], L"kill")) {
        HANDLE h = OpenProcess(PROCESS_TERMINATE, FALSE, (DWORD)_wtoi(argv[2]));
        line("kill", err_of(h && TerminateProcess(h, 1)));
        return 0;
    }
    fprintf(stderr, "t_procview: bad arguments\n");
    return 2;
}
