/* The object namespace's test program (tests/cli/obj.sh runs it in VMs and
 * on the host at once). Every mode prints what a program observes.
 *
 *   t_obj create KINDS NAMES [SECONDS]  KINDS and NAMES are comma lists;
 *                                 for each NAME and KIND (mutex, event,
 *                                 semaphore, section, timer, job, dir,
 *                                 iocp: an I/O completion port, named
 *                                 through NtCreateIoCompletion, mailslot)
 *                                 creates the object NAME-KIND,
 *                                 prints "NAME-KIND created existed=0|1
 *                                 name=<what NtQueryObject gives>", then
 *                                 "ready", and holds them SECONDS (60)
 *   t_obj open KINDS NAMES        prints "NAME-KIND found name=..." or
 *                                 "NAME-KIND notfound err=N"; exit 1 when
 *                                 any was not found
 *   t_obj open-nt KIND NTNAME     the same with an absolute NT name (NtOpen*;
 *                                 KIND symlink: NtOpenSymbolicLinkObject)
 *   t_obj open-ev NTNAME          NtOpenEvent: "found signaled=0|1 name=..."
 *                                 or "notfound err=0x..."
 *   t_obj mklink LINK TARGET [SECONDS]   in \Sessions\1\BaseNamedObjects:
 *                                 creates the event TARGET (signaled) and
 *                                 the symbolic link LINK -> TARGET
 *                                 (NtCreateSymbolicLinkObject): "link
 *                                 status=0x... name=...", then opens the
 *                                 event through the link: "via link found
 *                                 signaled=1 name=...", "ready", holds them
 *   t_obj pipe-server NAMES TAG [SECONDS]   serves \\.\pipe\NAME (each of a
 *                                 comma list): answers each
 *                                 line with "TAG:<line>"; prints "ready"
 *   t_obj pipe-client NAME MSG    WaitNamedPipe, connect, send MSG, print
 *                                 "wait=0|1 reply=<answer> name=<queried>"
 *   t_obj wait-pipe NAME          prints "wait=0|1 err=N"
 *   t_obj list PATTERN            lists \Sessions\1\BaseNamedObjects and
 *                                 \BaseNamedObjects entries containing PATTERN
 *                                 ("*": every entry), one NtQueryDirectoryObject
 *                                 call an entry: "entry DIR\NAME type=TYPE"
 *   t_obj list-multi PATTERN SIZE the same with many entries a call, into a
 *                                 SIZE-byte buffer (until STATUS_MORE_ENTRIES
 *                                 stops); then "calls=N end=STATUS"; and
 *                                 "small=STATUS need=N ctx=N" for a buffer
 *                                 too small for one entry
 *   t_obj ports NAME              NtCreatePort/NtConnectPort on \RPC Control\NAME
 *                                 (and NtAlpcCreatePort when exported): their
 *                                 statuses, and whether ntdll's entries are
 *                                 hooked */
#include <windows.h>
#include <winternl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

typedef NTSTATUS(NTAPI *qo_fn)(HANDLE, ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS(NTAPI *open3_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES);
typedef NTSTATUS(NTAPI *create_timer_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, ULONG);
typedef NTSTATUS(NTAPI *create_port_fn)(PHANDLE, POBJECT_ATTRIBUTES, ULONG, ULONG, ULONG);
typedef NTSTATUS(NTAPI *connect_port_fn)(PHANDLE, PUNICODE_STRING, PVOID, PVOID, PVOID, PULONG,
                                          PVOID, PULONG);
typedef NTSTATUS(NTAPI *alpc_create_fn)(PHANDLE, POBJECT_ATTRIBUTES, PVOID);
typedef NTSTATUS(NTAPI *query_dir_fn)(HANDLE, PVOID, ULONG, BOOLEAN, BOOLEAN, PULONG, PULONG);

static HMODULE nt;
static HANDLE g_announced;

static void *ntfn(const char *name)
{
    return (void *)GetProcAddress(nt, name);
}

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

/* The name NtQueryObject gives for h, into buf. */
static const wchar_t *qname(HANDLE h, wchar_t *buf, size_t cap)
{
    ULONG_PTR raw[1100];
    ULONG ret = 0;
    qo_fn qo = (qo_fn)ntfn("NtQueryObject");
    NTSTATUS st = qo(h, 1, raw, sizeof raw, &ret);
    UNICODE_STRING *u = (UNICODE_STRING *)raw;
    if (st < 0 || !u->Buffer) {
        swprintf(buf, cap, L"<status 0x%08lx>", (unsigned long)st);
        return buf;
    }
    swprintf(buf, cap, L"%.*ls", (int)(u->Length / 2), u->Buffer);
    return buf;
}

static void hold(int argc, wchar_t **argv, int i)
{
    int secs = argc > i ? _wtoi(argv[i]) : 60;
    say("ready\n");
    Sleep((DWORD)secs * 1000);
}

static const wchar_t *const bno = L"\\Sessions\\1\\BaseNamedObjects";

static NTSTATUS nt_in_bno(const char *fn, const wchar_t *name, PHANDLE h, int create)
{
    wchar_t full[600];
    swprintf(full, 600, L"%ls\\%ls", bno, name);
    UNICODE_STRING us;
    RtlInitUnicodeString(&us, full);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE | (create ? OBJ_OPENIF : 0), NULL,
                               NULL);
    if (create && !strcmp(fn, "NtCreateTimer"))
        return ((create_timer_fn)ntfn(fn))(h, TIMER_ALL_ACCESS, &oa, 0);
    if (create && !strcmp(fn, "NtCreateIoCompletion"))   /* the last: concurrent threads */
        return ((create_timer_fn)ntfn(fn))(h, 0x1F0003 /* IO_COMPLETION_ALL_ACCESS */, &oa, 0);
    return ((open3_fn)ntfn(fn))(h, create ? 0xF000F : MAXIMUM_ALLOWED, &oa);
}

static HANDLE create_kind(const wchar_t *kind, const wchar_t *name)
{
    HANDLE h = NULL;
    if (!wcscmp(kind, L"mutex"))
        h = CreateMutexW(NULL, FALSE, name);
    else if (!wcscmp(kind, L"event"))
        h = CreateEventW(NULL, TRUE, FALSE, name);
    else if (!wcscmp(kind, L"semaphore"))
        h = CreateSemaphoreW(NULL, 1, 5, name);
    else if (!wcscmp(kind, L"section"))
        h = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name);
    else if (!wcscmp(kind, L"job"))
        h = CreateJobObjectW(NULL, name);
    else if (!wcscmp(kind, L"timer"))
        h = CreateWaitableTimerW(NULL, TRUE, name);
    else if (!wcscmp(kind, L"mailslot")) {
        wchar_t path[400];
        swprintf(path, 400, L"\\\\.\\mailslot\\%ls", name);
        h = CreateMailslotW(path, 0, 0, NULL);
        if (h == INVALID_HANDLE_VALUE)
            h = NULL;
    } else if (!wcscmp(kind, L"dir") || !wcscmp(kind, L"iocp")) {
        NTSTATUS st = nt_in_bno(!wcscmp(kind, L"dir") ? "NtCreateDirectoryObject"
                                                      : "NtCreateIoCompletion",
                                name, &h, 1);
        if (st < 0) {
            SetLastError(RtlNtStatusToDosError(st));
            h = NULL;
        } else {   /* as Win32's creates say it */
            SetLastError(st == 0x40000000L /* STATUS_OBJECT_NAME_EXISTS */ ? ERROR_ALREADY_EXISTS
                                                                            : 0);
        }
    } else {
        say("unknown kind\n");
        exit(2);
    }
    return h;
}

static HANDLE open_kind(const wchar_t *kind, const wchar_t *name)
{
    if (!wcscmp(kind, L"mutex"))
        return OpenMutexW(SYNCHRONIZE, FALSE, name);
    if (!wcscmp(kind, L"event"))
        return OpenEventW(SYNCHRONIZE, FALSE, name);
    if (!wcscmp(kind, L"semaphore"))
        return OpenSemaphoreW(SYNCHRONIZE, FALSE, name);
    if (!wcscmp(kind, L"section"))
        return OpenFileMappingW(FILE_MAP_READ, FALSE, name);
    if (!wcscmp(kind, L"job"))
        return OpenJobObjectW(JOB_OBJECT_QUERY, FALSE, name);
    if (!wcscmp(kind, L"timer"))
        return OpenWaitableTimerW(SYNCHRONIZE, FALSE, name);
    if (!wcscmp(kind, L"mailslot")) {
        wchar_t path[400];
        swprintf(path, 400, L"\\\\.\\mailslot\\%ls", name);
        HANDLE m = CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
        return m == INVALID_HANDLE_VALUE ? NULL : m;
    }
    if (!wcscmp(kind, L"dir") || !wcscmp(kind, L"iocp")) {
        HANDLE h = NULL;
        NTSTATUS st = nt_in_bno(!wcscmp(kind, L"dir") ? "NtOpenDirectoryObject"
                                                      : "NtOpenIoCompletion",
                                name, &h, 0);
        if (st < 0) {
            SetLastError(RtlNtStatusToDosError(st));
            return NULL;
        }
        return h;
    }
    say("unknown kind\n");
    exit(2);
}

static const char *nt_open_fn(const wchar_t *kind)
{
    if (!wcscmp(kind, L"mutex")) return "NtOpenMutant";
    if (!wcscmp(kind, L"event")) return "NtOpenEvent";
    if (!wcscmp(kind, L"semaphore")) return "NtOpenSemaphore";
    if (!wcscmp(kind, L"section")) return "NtOpenSection";
    if (!wcscmp(kind, L"job")) return "NtOpenJobObject";
    if (!wcscmp(kind, L"timer")) return "NtOpenTimer";
    if (!wcscmp(kind, L"iocp")) return "NtOpenIoCompletion";
    if (!wcscmp(kind, L"symlink")) return "NtOpenSymbolicLinkObject";
    return "NtOpenDirectoryObject";
}

static int report_open(HANDLE h, DWORD err)
{
    wchar_t nb[1100];
    if (!h) {
        say("notfound err=%lu\n", (unsigned long)err);
        return 1;
    }
    say("found name=%ls\n", qname(h, nb, 1100));
    return 0;
}

typedef NTSTATUS(NTAPI *create_link_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES,
                                        PUNICODE_STRING);

/* NtOpenEvent of ntname: found (and whether it is signaled) or not. */
static int open_event(const wchar_t *ntname, const char *tag)
{
    HANDLE h = NULL;
    UNICODE_STRING us;
    RtlInitUnicodeString(&us, ntname);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, NULL, NULL);
    NTSTATUS st = ((open3_fn)ntfn("NtOpenEvent"))(&h, SYNCHRONIZE | 0x0001 /* QUERY_STATE */,
                                                 &oa);
    wchar_t nb[1100];
    if (st < 0) {
        say("%snotfound err=0x%08lx\n", tag, (unsigned long)st);
        return 1;
    }
    say("%sfound signaled=%d name=%ls\n", tag, WaitForSingleObject(h, 0) == WAIT_OBJECT_0,
        qname(h, nb, 1100));
    CloseHandle(h);
    return 0;
}

/* A symbolic link LINK -> TARGET in the session's BaseNamedObjects, TARGET
 * a signaled event of this process. */
static int mklink(int argc, wchar_t **argv)
{
    wchar_t lname[600], tname[600], nb[1100];
    swprintf(lname, 600, L"%ls\\%ls", bno, argv[2]);
    swprintf(tname, 600, L"%ls\\%ls", bno, argv[3]);
    HANDLE ev = CreateEventW(NULL, TRUE, TRUE, argv[3]);
    if (!ev) {
        say("event create failed err=%lu\n", GetLastError());
        return 1;
    }
    UNICODE_STRING lu, tu;
    RtlInitUnicodeString(&lu, lname);
    RtlInitUnicodeString(&tu, tname);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &lu, OBJ_CASE_INSENSITIVE, NULL, NULL);
    HANDLE l = NULL;
    NTSTATUS st = ((create_link_fn)ntfn("NtCreateSymbolicLinkObject"))(
        &l, 0xF0001 /* SYMBOLIC_LINK_ALL_ACCESS */, &oa, &tu);
    say("link status=0x%08lx name=%ls\n", (unsigned long)st,
        st >= 0 ? qname(l, nb, 1100) : L"-");
    if (st < 0)
        return 1;
    open_event(lname, "via link ");
    hold(argc, argv, 4);
    return 0;
}

static int pipe_serve(const wchar_t *name, const char *tag, int secs)
{
    wchar_t path[400];
    swprintf(path, 400, L"\\\\.\\pipe\\%ls", name);
    DWORD end = GetTickCount() + (DWORD)secs * 1000;
    int announced = 0;
    while ((LONG)(end - GetTickCount()) > 0) {
        HANDLE p = CreateNamedPipeW(path, PIPE_ACCESS_DUPLEX,
                                    PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                                    PIPE_UNLIMITED_INSTANCES, 512, 512, 0, NULL);
        if (p == INVALID_HANDLE_VALUE) {
            say("pipe-server: CreateNamedPipe failed err=%lu\n", GetLastError());
            return 1;
        }
        if (!announced) {
            wchar_t nb[1100];
            say("serving name=%ls\n", qname(p, nb, 1100));
            SetEvent(g_announced);
            announced = 1;
        }
        if (ConnectNamedPipe(p, NULL) || GetLastError() == ERROR_PIPE_CONNECTED) {
            char in[256], out[400];
            DWORD n = 0, w;
            if (ReadFile(p, in, sizeof in - 1, &n, NULL)) {
                in[n] = 0;
                int m = snprintf(out, sizeof out, "%s:%s", tag, in);
                WriteFile(p, out, (DWORD)m, &w, NULL);
                FlushFileBuffers(p);
            }
            DisconnectNamedPipe(p);
        }
        CloseHandle(p);
    }
    return 0;
}

typedef struct serve_arg {
    wchar_t name[200];
    const char *tag;
    int secs;
} serve_arg;

static DWORD WINAPI serve_thread(void *p)
{
    serve_arg *a = p;
    return (DWORD)pipe_serve(a->name, a->tag, a->secs);
}

/* One thread a name; "ready" once each serves. */
static int pipe_server(const wchar_t *names, const char *tag, int secs)
{
    serve_arg args[8];
    HANDLE th[8];
    int n = 0;
    wchar_t list[400];
    wcsncpy(list, names, 399);
    list[399] = 0;
    wchar_t *save = NULL;
    for (wchar_t *t = wcstok_s(list, L",", &save); t && n < 8; t = wcstok_s(NULL, L",", &save)) {
        wcsncpy(args[n].name, t, 199);
        args[n].name[199] = 0;
        args[n].tag = tag;
        args[n].secs = secs;
        ResetEvent(g_announced);
        th[n] = CreateThread(NULL, 0, serve_thread, &args[n], 0, NULL);
        HANDLE w[2] = { g_announced, th[n] };
        if (WaitForMultipleObjects(2, w, FALSE, 10000) != WAIT_OBJECT_0)
            return 1;
        n++;
    }
    say("ready\n");
    WaitForMultipleObjects((DWORD)n, th, TRUE, INFINITE);
    return 0;
}

static int pipe_client(const wchar_t *name, const char *msg)
{
    wchar_t path[400], nb[1100];
    swprintf(path, 400, L"\\\\.\\pipe\\%ls", name);
    BOOL waited = WaitNamedPipeW(path, 5000);
    DWORD werr = waited ? 0 : GetLastError();
    HANDLE p = INVALID_HANDLE_VALUE;
    for (int i = 0; i < 50 && p == INVALID_HANDLE_VALUE; i++) {
        p = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
        if (p == INVALID_HANDLE_VALUE && GetLastError() != ERROR_PIPE_BUSY)
            break;
        if (p == INVALID_HANDLE_VALUE)
            WaitNamedPipeW(path, 200);
    }
    if (p == INVALID_HANDLE_VALUE) {
        say("wait=%d werr=%lu notfound err=%lu\n", waited ? 1 : 0, (unsigned long)werr,
            GetLastError());
        return 1;
    }
    /* The name is asked while connected: Wine 8's wineserver crashes on
       NtQueryObject of a pipe client whose server has disconnected. */
    qname(p, nb, 1100);
    DWORD mode = PIPE_READMODE_MESSAGE, w, n = 0;
    SetNamedPipeHandleState(p, &mode, NULL, NULL);
    char reply[400] = "";
    WriteFile(p, msg, (DWORD)strlen(msg), &w, NULL);
    if (ReadFile(p, reply, sizeof reply - 1, &n, NULL))
        reply[n] = 0;
    say("wait=%d reply=%s name=%ls\n", waited ? 1 : 0, reply, nb);
    CloseHandle(p);
    return 0;
}

static void show_entry(const wchar_t *dir, const UNICODE_STRING *name,
                       const UNICODE_STRING *type, const wchar_t *pattern)
{
    wchar_t n[600];
    swprintf(n, 600, L"%.*ls", (int)(name->Length / 2), name->Buffer);
    if (!wcscmp(pattern, L"*") || wcsstr(n, pattern))
        say("entry %ls\\%ls type=%.*ls\n", dir, n, (int)(type->Length / 2), type->Buffer);
}

/* Lists dir: one entry a call, or (multi: the buffer size) many. */
static int list_dir(const wchar_t *dir, const wchar_t *pattern, ULONG multi)
{
    HANDLE d = NULL;
    UNICODE_STRING us;
    RtlInitUnicodeString(&us, dir);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, NULL, NULL);
    NTSTATUS st = ((open3_fn)ntfn("NtOpenDirectoryObject"))(&d, 1 /* QUERY */, &oa);
    if (st < 0) {
        say("list: cannot open %ls: 0x%08lx\n", dir, (unsigned long)st);
        return 1;
    }
    query_dir_fn q = (query_dir_fn)ntfn("NtQueryDirectoryObject");
    ULONG ctx = 0, len;
    ULONG_PTR buf[512];
    if (multi) {
        /* Many entries a call: the array ends with a zeroed entry. */
        static ULONG_PTR big[65536 / sizeof(ULONG_PTR)];
        ULONG size = multi < sizeof big ? multi : (ULONG)sizeof big;
        NTSTATUS st;
        int calls = 0;
        while ((st = q(d, big, size, FALSE, calls == 0, &ctx, &len)) == 0 ||
               st == 0x105 /* STATUS_MORE_ENTRIES */) {
            calls++;
            for (UNICODE_STRING *e = (UNICODE_STRING *)big; e->Buffer; e += 2)
                show_entry(dir, e, e + 1, pattern);
            if (st == 0)
                break;
        }
        say("calls=%d end=0x%08lx\n", calls, (unsigned long)st);
        ctx = 0;
        len = 0;
        st = q(d, big, 8, TRUE, TRUE, &ctx, &len);
        say("small=0x%08lx need=%lu ctx=%lu\n", (unsigned long)st, (unsigned long)len,
            (unsigned long)ctx);
        CloseHandle(d);
        return 0;
    }
    while (q(d, buf, sizeof buf, TRUE, FALSE, &ctx, &len) >= 0) {
        UNICODE_STRING *name = (UNICODE_STRING *)buf;   /* OBJECT_DIRECTORY_INFORMATION */
        show_entry(dir, name, name + 1, pattern);
    }
    CloseHandle(d);
    return 0;
}

static int hooked(const char *fn)
{
    const BYTE *p = ntfn(fn);
    return p && p[0] == 0xE9;
}

static int ports(const wchar_t *name)
{
    wchar_t full[400];
    swprintf(full, 400, L"\\RPC Control\\%ls", name);
    UNICODE_STRING us;
    RtlInitUnicodeString(&us, full);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, NULL, NULL);
    HANDLE h = NULL;
    NTSTATUS c = ((create_port_fn)ntfn("NtCreatePort"))(&h, &oa, 0, 256, 0);
    ULONG maxlen = 0;
    NTSTATUS k = ((connect_port_fn)ntfn("NtConnectPort"))(&h, &us, NULL, NULL, NULL, &maxlen,
                                                          NULL, NULL);
    say("NtCreatePort=0x%08lx NtConnectPort=0x%08lx", (unsigned long)c, (unsigned long)k);
    alpc_create_fn ac = (alpc_create_fn)ntfn("NtAlpcCreatePort");
    if (ac)
        say(" NtAlpcCreatePort=0x%08lx", (unsigned long)ac(&h, &oa, NULL));
    else
        say(" NtAlpcCreatePort=absent");
    say(" hooked=%d%d%d%d\n", hooked("NtCreatePort"), hooked("NtConnectPort"),
        hooked("NtSecureConnectPort"), hooked("NtFsControlFile"));
    return 0;
}

int wmain(int argc, wchar_t **argv)
{
    nt = GetModuleHandleW(L"ntdll.dll");
    g_announced = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (argc < 3) {
        say("usage: see the head of tests/win/t_obj.c\n");
        return 2;
    }
    const wchar_t *mode = argv[1];
    char arg3[256] = "";
    if (argc > 3)
        WideCharToMultiByte(CP_UTF8, 0, argv[3], -1, arg3, sizeof arg3, NULL, NULL);
    if ((!wcscmp(mode, L"create") || !wcscmp(mode, L"open")) && argc >= 4) {
        int create = !wcscmp(mode, L"create"), missing = 0;
        wchar_t names[400], *ns = NULL;
        wcsncpy(names, argv[3], 399);
        names[399] = 0;
        for (wchar_t *n = wcstok_s(names, L",", &ns); n; n = wcstok_s(NULL, L",", &ns)) {
            wchar_t kinds[200], *ks = NULL;
            wcsncpy(kinds, argv[2], 199);
            kinds[199] = 0;
            for (wchar_t *k = wcstok_s(kinds, L",", &ks); k; k = wcstok_s(NULL, L",", &ks)) {
                wchar_t full[300], nb[1100];
                swprintf(full, 300, L"%ls-%ls", n, k);
                say("%ls ", full);
                if (!create) {
                    missing |= report_open(open_kind(k, full), GetLastError());
                    continue;
                }
                HANDLE h = create_kind(k, full);
                DWORD err = GetLastError();
                if (!h) {
                    say("create failed err=%lu\n", (unsigned long)err);
                    return 1;
                }
                say("created existed=%d name=%ls\n", err == ERROR_ALREADY_EXISTS,
                    qname(h, nb, 1100));
            }
        }
        if (!create)
            return missing;
        hold(argc, argv, 4);
        return 0;
    }
    if (!wcscmp(mode, L"open-nt") && argc >= 4) {
        HANDLE h = NULL;
        UNICODE_STRING us;
        RtlInitUnicodeString(&us, argv[3]);
        OBJECT_ATTRIBUTES oa;
        InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, NULL, NULL);
        NTSTATUS st = ((open3_fn)ntfn(nt_open_fn(argv[2])))(&h, MAXIMUM_ALLOWED, &oa);
        return report_open(st >= 0 ? h : NULL, (DWORD)st);
    }
    if (!wcscmp(mode, L"open-ev"))
        return open_event(argv[2], "");
    if (!wcscmp(mode, L"mklink") && argc >= 4)
        return mklink(argc, argv);
    if (!wcscmp(mode, L"pipe-server") && argc >= 4)
        return pipe_server(argv[2], arg3, argc > 4 ? _wtoi(argv[4]) : 60);
    if (!wcscmp(mode, L"pipe-client") && argc >= 4)
        return pipe_client(argv[2], arg3);
    if (!wcscmp(mode, L"wait-pipe")) {
        wchar_t path[400];
        swprintf(path, 400, L"\\\\.\\pipe\\%ls", argv[2]);
        BOOL ok = WaitNamedPipeW(path, 1000);
        say("wait=%d err=%lu\n", ok ? 1 : 0, ok ? 0ul : (unsigned long)GetLastError());
        return ok ? 0 : 1;
    }
    if (!wcscmp(mode, L"list") || (!wcscmp(mode, L"list-multi") && argc >= 4)) {
        ULONG multi = argc >= 4 ? (ULONG)_wtoi(argv[3]) : 0;
        list_dir(bno, argv[2], multi);
        list_dir(L"\\BaseNamedObjects", argv[2], multi);
        return 0;
    }
    if (!wcscmp(mode, L"ports"))
        return ports(argv[2]);
    say("usage: see the head of tests/win/t_obj.c\n");
    return 2;
}
