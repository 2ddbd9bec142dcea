/* Services: the SCM API of a VM process goes to the VM's own service
 * manager (plume-scm.exe), over \\.\pipe\PlumeSCM.<vm tag>, in Plume's own
 * protocol (src/core/scmproto.h, docs/ns-svc.md). Never to the host's SCM.
 *
 * Where: under Wine 8 (checked with objdump) advapi32's service exports
 * are forwarders to sechost.dll, which implements both the W and A forms;
 * advapi32 itself keeps a few (EnumServicesStatus*, the A forms of
 * EnumDependentServices, GetServiceKeyName, GetServiceDisplayName, the
 * database lock). On Windows 10/11 the same split holds. So the hooks go
 * on sechost's exports (covering advapi32's forwarders) and on advapi32's
 * own ones, installed as each DLL is mapped (LdrRegisterDllNotification:
 * it also sees the static imports of the program, which are loaded
 * without LdrLoadDll). Every SCM export of both is hooked: what is not
 * implemented here fails with ERROR_CALL_NOT_IMPLEMENTED, never reaching
 * the host SCM (fail closed).
 *
 * Client side: SC_HANDLEs are this file's own values (a slot table) that
 * carry the manager's handle id. Each call takes a pipe connection from a
 * small pool (one request, one reply). When no manager listens, the first
 * call starts one (inside the VM: the process hooks contain it) and waits
 * for its pipe.
 *
 * Service side: a process the manager started finds PLUME_SVC_TOKEN in its
 * environment. StartServiceCtrlDispatcher connects with it (HELLO), runs
 * ServiceMain in a new thread and then serves controls on that connection
 * until the manager says EXIT. RegisterServiceCtrlHandler(Ex) and
 * SetServiceStatus work on this file's own status handles. */
#include "layer.h"
#include "hook.h"
#include "client.h"

#include <winsvc.h>
#include <winternl.h>

#define MAX_SC_HANDLES 4096
#define SC_HANDLE_BASE ((uintptr_t)0x00005c5c00000000ull)
#define SS_HANDLE_BASE ((uintptr_t)0x00005c5d00000000ull)
#define POOL 4
#define MAX_SERVICES 64
#define NAME_UNITS 520 /* a name or display name, with room */

static wchar_t g_pipe[SCMC_PIPE_MAX];
static int g_ready;

/* The hooks run outside layer_enter on purpose: the pipe's name must go
 * through the objects namespace exactly as the manager's own
 * CreateNamedPipe does (both in the VM), and the manager's process must be
 * contained by proc.c like any other child. Nothing here calls the SCM. */

/* --- small helpers (no C runtime) --------------------------------------------- */
static void *mem_alloc(size_t n)
{
    return HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, n ? n : 1);
}

static void mem_free(void *p)
{
    if (p)
        HeapFree(GetProcessHeap(), 0, p);
}

static size_t wlen(const wchar_t *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void wcopy(wchar_t *d, const wchar_t *s)
{
    while ((*d++ = *s++) != 0)
        ;
}

static size_t msz_len(const wchar_t *s)
{
    return scm_msz_len((const uint16_t *)s);
}

/* ANSI -> UTF-16 on the heap (NULL stays NULL). multi: a multi-string. */
static wchar_t *a2w(const char *s, int multi)
{
    if (!s)
        return NULL;
    int n = 0;
    if (multi) {
        while (s[n])
            n += lstrlenA(s + n) + 1;
        n++;
    } else {
        n = lstrlenA(s) + 1;
    }
    int wn = MultiByteToWideChar(CP_ACP, 0, s, n, NULL, 0);
    wchar_t *w = mem_alloc((size_t)(wn + 1) * sizeof *w);
    if (w)
        MultiByteToWideChar(CP_ACP, 0, s, n, w, wn);
    return w;
}

/* --- the pipe: connections and the manager ----------------------------------- */
static SRWLOCK g_pool_lock = SRWLOCK_INIT;
static HANDLE g_pool[POOL];
static int g_npool;

/* Starts the VM's manager (inside the VM: this process's hooks put it in
 * the VM) when no one listens on the pipe. */
static DWORD start_manager(void)
{
    static wchar_t cmd[3 * PLUME_BOOT_PATH + 256];
    const wchar_t *layer = (const wchar_t *)g_boot.layer_path;
    size_t n = 0, dir = 0;
    cmd[n++] = L'"';
    for (size_t i = 0; layer[i]; i++)
        if (layer[i] == L'\\')
            dir = i + 1;
    for (size_t i = 0; i < dir; i++)
        cmd[n++] = layer[i];
    wcopy(cmd + n, L"plume-scm.exe\" --pipe ");
    n = wlen(cmd);
    wcopy(cmd + n, g_pipe);
    STARTUPINFOW si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES; /* none: the manager must not hold ours */
    PROCESS_INFORMATION pi;
    if (!CreateProcessW(NULL, cmd, NULL, NULL, FALSE, DETACHED_PROCESS, NULL, NULL, &si, &pi))
        return GetLastError();
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return 0;
}

static HANDLE conn_get(DWORD *err)
{
    AcquireSRWLockExclusive(&g_pool_lock);
    HANDLE h = g_npool ? g_pool[--g_npool] : INVALID_HANDLE_VALUE;
    ReleaseSRWLockExclusive(&g_pool_lock);
    if (h != INVALID_HANDLE_VALUE)
        return h;
    h = scmc_connect(g_pipe, 10000);
    if (h != INVALID_HANDLE_VALUE)
        return h;
    DWORD e = GetLastError();
    if (e != ERROR_FILE_NOT_FOUND) {
        *err = RPC_S_SERVER_UNAVAILABLE;
        return INVALID_HANDLE_VALUE;
    }
    /* No manager: start one, then wait for its pipe. */
    static SRWLOCK start_lock = SRWLOCK_INIT;
    AcquireSRWLockExclusive(&start_lock);
    h = scmc_connect(g_pipe, 10000);
    if (h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_FILE_NOT_FOUND) {
        e = start_manager();
        for (int i = 0; i < 1000 && !e; i++) {
            h = scmc_connect(g_pipe, 10000);
            if (h != INVALID_HANDLE_VALUE || GetLastError() != ERROR_FILE_NOT_FOUND)
                break;
            Sleep(10);
        }
    }
    ReleaseSRWLockExclusive(&start_lock);
    if (h == INVALID_HANDLE_VALUE)
        *err = RPC_S_SERVER_UNAVAILABLE;
    return h;
}

static void conn_put(HANDLE h)
{
    AcquireSRWLockExclusive(&g_pool_lock);
    if (g_npool < POOL) {
        g_pool[g_npool++] = h;
        h = INVALID_HANDLE_VALUE;
    }
    ReleaseSRWLockExclusive(&g_pool_lock);
    if (h != INVALID_HANDLE_VALUE)
        CloseHandle(h);
}

/* One request, one reply. Returns the reply's buffer (scmc_free) or NULL
 * with *err set; the reply's own error is in m->err. */
static uint8_t *transact(const uint8_t *req, size_t n, scm_msg *m, DWORD *err)
{
    if (!n) {
        *err = ERROR_INSUFFICIENT_BUFFER;
        return NULL;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        HANDLE h = conn_get(err);
        if (h == INVALID_HANDLE_VALUE)
            return NULL;
        DWORD e = scmc_send(h, req, n);
        uint8_t *r = e ? NULL : scmc_recv(h, m, &e);
        if (r) {
            conn_put(h);
            return r;
        }
        CloseHandle(h); /* a stale pooled connection: try a fresh one */
        *err = RPC_S_SERVER_UNAVAILABLE;
    }
    return NULL;
}

/* --- SC handles ------------------------------------------------------------------ */
static struct {
    volatile LONG used;
    uint32_t remote;
    int is_scm;
    struct notify_rec *notify; /* a pending NotifyServiceStatusChange (g_notify_lock) */
    uint32_t dbseq; /* a manager handle: the last created/deleted event notified */
} g_sch[MAX_SC_HANDLES];

/* NotifyServiceStatusChange: one pending request per handle, served by a
 * worker thread of its own. */
typedef struct notify_rec {
    uint32_t remote;        /* the manager's handle id */
    DWORD mask;
    SERVICE_NOTIFYW *buf;   /* the caller's (same layout in the A form) */
    HANDLE thread;          /* the caller's thread (THREAD_SET_CONTEXT) */
    int cancelled;          /* the handle was closed (g_notify_lock) */
    int is_scm;             /* a manager handle: SERVICE_NOTIFY_CREATED / DELETED */
    int ansi;               /* the A form: pszServiceNames in ANSI */
    uint32_t seq;           /* the manager's: the last event seen */
} notify_rec;

static SRWLOCK g_notify_lock = SRWLOCK_INIT;

/* The handle in slot i goes away: its pending notification is dropped
 * (the worker sees it cancelled and frees it; no callback, as Windows). */
static void notify_cancel(long i)
{
    AcquireSRWLockExclusive(&g_notify_lock);
    if (g_sch[i].notify) {
        g_sch[i].notify->cancelled = 1;
        g_sch[i].notify = NULL;
    }
    ReleaseSRWLockExclusive(&g_notify_lock);
}

static SC_HANDLE sch_new(uint32_t remote, int is_scm)
{
    for (LONG i = 0; i < MAX_SC_HANDLES; i++)
        if (InterlockedCompareExchange(&g_sch[i].used, 1, 0) == 0) {
            g_sch[i].remote = remote;
            g_sch[i].is_scm = is_scm;
            g_sch[i].dbseq = 0;
            return (SC_HANDLE)(SC_HANDLE_BASE + (uintptr_t)i * 16);
        }
    return NULL;
}

/* The slot of h, or -1. */
static long sch_slot(SC_HANDLE h)
{
    uintptr_t v = (uintptr_t)h;
    if (v < SC_HANDLE_BASE || (v - SC_HANDLE_BASE) % 16)
        return -1;
    uintptr_t i = (v - SC_HANDLE_BASE) / 16;
    if (i >= MAX_SC_HANDLES || !g_sch[i].used)
        return -1;
    return (long)i;
}

/* --- requests ------------------------------------------------------------------- */
typedef struct req {
    uint8_t *buf;
    scm_writer w;
    uint8_t *reply;
    scm_msg m;
} req;

static int req_begin(req *r, uint32_t op)
{
    r->reply = NULL;
    r->buf = scmc_alloc();
    if (!r->buf) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return -1;
    }
    scm_begin(&r->w, r->buf, SCM_MAX_MSG, op, 0);
    return 0;
}

/* With a handle of this process: -1 (ERROR_INVALID_HANDLE) when it is not
 * one, or not of the kind wanted (want_scm: 1 manager, 0 service, -1 any). */
static int req_begin_h(req *r, uint32_t op, SC_HANDLE h, int want_scm)
{
    long i = sch_slot(h);
    if (i < 0 || (want_scm >= 0 && g_sch[i].is_scm != want_scm)) {
        SetLastError(ERROR_INVALID_HANDLE);
        return -1;
    }
    if (req_begin(r, op))
        return -1;
    scm_put_u32(&r->w, SCM_F_HANDLE, g_sch[i].remote);
    return 0;
}

static void req_end(req *r)
{
    scmc_free(r->buf);
    scmc_free(r->reply);
}

/* Sends; 0 when the manager said success. Else the last error is set and
 * -1 returned (r->m holds the reply when there was one). */
static int req_do(req *r)
{
    DWORD e = 0;
    r->reply = transact(r->buf, scm_end(&r->w), &r->m, &e);
    if (!r->reply) {
        SetLastError(e);
        return -1;
    }
    if (r->m.err) {
        SetLastError(r->m.err);
        return -1;
    }
    return 0;
}

/* --- originals and the pass-through rule ------------------------------------ */
#define ORIG(name) static void *o_##name
#define PASS(name, type, ...) \
    if (layer_inside() || !g_ready) return ((type)o_##name)(__VA_ARGS__)

ORIG(OpenSCManagerW); ORIG(OpenSCManagerA); ORIG(OpenServiceW); ORIG(OpenServiceA);
ORIG(CreateServiceW); ORIG(CreateServiceA); ORIG(CloseServiceHandle); ORIG(DeleteService);
ORIG(StartServiceW); ORIG(StartServiceA); ORIG(ControlService); ORIG(QueryServiceStatus);
ORIG(QueryServiceStatusEx); ORIG(QueryServiceConfigW); ORIG(QueryServiceConfigA);
ORIG(ChangeServiceConfigW); ORIG(ChangeServiceConfigA); ORIG(QueryServiceConfig2W);
ORIG(ChangeServiceConfig2W); ORIG(EnumServicesStatusExW); ORIG(EnumServicesStatusW);
ORIG(EnumDependentServicesW); ORIG(GetServiceKeyNameW); ORIG(GetServiceDisplayNameW);
ORIG(StartServiceCtrlDispatcherW); ORIG(StartServiceCtrlDispatcherA);
ORIG(RegisterServiceCtrlHandlerW); ORIG(RegisterServiceCtrlHandlerA);
ORIG(RegisterServiceCtrlHandlerExW); ORIG(RegisterServiceCtrlHandlerExA);
ORIG(SetServiceStatus); ORIG(QueryServiceConfig2A); ORIG(ChangeServiceConfig2A);
ORIG(NotifyServiceStatusChangeW); ORIG(NotifyServiceStatusChangeA);
ORIG(LockServiceDatabase); ORIG(UnlockServiceDatabase); ORIG(QueryServiceLockStatusW);
ORIG(QueryServiceLockStatusA); ORIG(QueryServiceObjectSecurity); ORIG(SetServiceObjectSecurity);
ORIG(EnumServicesStatusExA); ORIG(EnumServicesStatusA); ORIG(EnumDependentServicesA);
ORIG(GetServiceKeyNameA); ORIG(GetServiceDisplayNameA); ORIG(ControlServiceExW);
ORIG(ControlServiceExA);

typedef SC_HANDLE(WINAPI *open_scm_w)(LPCWSTR, LPCWSTR, DWORD);
typedef SC_HANDLE(WINAPI *open_scm_a)(LPCSTR, LPCSTR, DWORD);
typedef SC_HANDLE(WINAPI *open_svc_w)(SC_HANDLE, LPCWSTR, DWORD);
typedef SC_HANDLE(WINAPI *open_svc_a)(SC_HANDLE, LPCSTR, DWORD);
typedef SC_HANDLE(WINAPI *create_w)(SC_HANDLE, LPCWSTR, LPCWSTR, DWORD, DWORD, DWORD, DWORD,
                                    LPCWSTR, LPCWSTR, LPDWORD, LPCWSTR, LPCWSTR, LPCWSTR);
typedef SC_HANDLE(WINAPI *create_a)(SC_HANDLE, LPCSTR, LPCSTR, DWORD, DWORD, DWORD, DWORD,
                                    LPCSTR, LPCSTR, LPDWORD, LPCSTR, LPCSTR, LPCSTR);
typedef BOOL(WINAPI *h_fn)(SC_HANDLE);
typedef BOOL(WINAPI *start_w)(SC_HANDLE, DWORD, LPCWSTR *);
typedef BOOL(WINAPI *start_a)(SC_HANDLE, DWORD, LPCSTR *);
typedef BOOL(WINAPI *control_fn)(SC_HANDLE, DWORD, LPSERVICE_STATUS);
typedef BOOL(WINAPI *query_fn)(SC_HANDLE, LPSERVICE_STATUS);
typedef BOOL(WINAPI *query_ex_fn)(SC_HANDLE, SC_STATUS_TYPE, LPBYTE, DWORD, LPDWORD);
typedef BOOL(WINAPI *qconfig_w)(SC_HANDLE, LPQUERY_SERVICE_CONFIGW, DWORD, LPDWORD);
typedef BOOL(WINAPI *qconfig_a)(SC_HANDLE, LPQUERY_SERVICE_CONFIGA, DWORD, LPDWORD);
typedef BOOL(WINAPI *change_w)(SC_HANDLE, DWORD, DWORD, DWORD, LPCWSTR, LPCWSTR, LPDWORD,
                               LPCWSTR, LPCWSTR, LPCWSTR, LPCWSTR);
typedef BOOL(WINAPI *change_a)(SC_HANDLE, DWORD, DWORD, DWORD, LPCSTR, LPCSTR, LPDWORD,
                               LPCSTR, LPCSTR, LPCSTR, LPCSTR);
typedef BOOL(WINAPI *qconfig2_w)(SC_HANDLE, DWORD, LPBYTE, DWORD, LPDWORD);
typedef BOOL(WINAPI *change2_w)(SC_HANDLE, DWORD, LPVOID);
typedef BOOL(WINAPI *enum_ex_w)(SC_HANDLE, SC_ENUM_TYPE, DWORD, DWORD, LPBYTE, DWORD, LPDWORD,
                                LPDWORD, LPDWORD, LPCWSTR);
typedef BOOL(WINAPI *enum_w)(SC_HANDLE, DWORD, DWORD, LPENUM_SERVICE_STATUSW, DWORD, LPDWORD,
                             LPDWORD, LPDWORD);
typedef BOOL(WINAPI *enum_dep_w)(SC_HANDLE, DWORD, LPENUM_SERVICE_STATUSW, DWORD, LPDWORD,
                                 LPDWORD);
typedef BOOL(WINAPI *name_w)(SC_HANDLE, LPCWSTR, LPWSTR, LPDWORD);
typedef BOOL(WINAPI *dispatcher_w)(const SERVICE_TABLE_ENTRYW *);
typedef BOOL(WINAPI *dispatcher_a)(const SERVICE_TABLE_ENTRYA *);
typedef SERVICE_STATUS_HANDLE(WINAPI *reg_w)(LPCWSTR, LPHANDLER_FUNCTION);
typedef SERVICE_STATUS_HANDLE(WINAPI *reg_a)(LPCSTR, LPHANDLER_FUNCTION);
typedef SERVICE_STATUS_HANDLE(WINAPI *reg_ex_w)(LPCWSTR, LPHANDLER_FUNCTION_EX, LPVOID);
typedef SERVICE_STATUS_HANDLE(WINAPI *reg_ex_a)(LPCSTR, LPHANDLER_FUNCTION_EX, LPVOID);
typedef BOOL(WINAPI *set_status_fn)(SERVICE_STATUS_HANDLE, LPSERVICE_STATUS);
typedef DWORD(WINAPI *notify_w)(SC_HANDLE, DWORD, PSERVICE_NOTIFYW);
typedef SC_LOCK(WINAPI *lock_fn)(SC_HANDLE);
typedef BOOL(WINAPI *enum_ex_a)(SC_HANDLE, SC_ENUM_TYPE, DWORD, DWORD, LPBYTE, DWORD, LPDWORD,
                                LPDWORD, LPDWORD, LPCSTR);
typedef BOOL(WINAPI *enum_a)(SC_HANDLE, DWORD, DWORD, LPENUM_SERVICE_STATUSA, DWORD, LPDWORD,
                             LPDWORD, LPDWORD);
typedef BOOL(WINAPI *enum_dep_a)(SC_HANDLE, DWORD, LPENUM_SERVICE_STATUSA, DWORD, LPDWORD,
                                 LPDWORD);
typedef BOOL(WINAPI *name_a)(SC_HANDLE, LPCSTR, LPSTR, LPDWORD);
typedef BOOL(WINAPI *control_ex_fn)(SC_HANDLE, DWORD, DWORD, PVOID);
typedef BOOL(WINAPI *qsec_fn)(SC_HANDLE, SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, DWORD,
                              LPDWORD);
typedef BOOL(WINAPI *ssec_fn)(SC_HANDLE, SECURITY_INFORMATION, PSECURITY_DESCRIPTOR);
typedef BOOL(WINAPI *unlock_fn)(SC_LOCK);
typedef BOOL(WINAPI *lock_status_w)(SC_HANDLE, LPQUERY_SERVICE_LOCK_STATUSW, DWORD, LPDWORD);
typedef BOOL(WINAPI *lock_status_a)(SC_HANDLE, LPQUERY_SERVICE_LOCK_STATUSA, DWORD, LPDWORD);
typedef DWORD(WINAPI *notify_a)(SC_HANDLE, DWORD, PSERVICE_NOTIFYA);

/* --- the client API ------------------------------------------------------------- */
static SC_HANDLE open_scm(const wchar_t *machine, const wchar_t *db, DWORD access)
{
    if (machine && machine[0] &&
        !(machine[0] == L'.' && !machine[1]) &&
        !(machine[0] == L'\\' && machine[1] == L'\\' && machine[2] == L'.' && !machine[3])) {
        SetLastError(ERROR_ACCESS_DENIED); /* another machine's SCM: not from a VM */
        return NULL;
    }
    if (db && lstrcmpiW(db, SERVICES_ACTIVE_DATABASEW)) {
        SetLastError(lstrcmpiW(db, SERVICES_FAILED_DATABASEW) ? ERROR_INVALID_NAME
                                                              : ERROR_DATABASE_DOES_NOT_EXIST);
        return NULL;
    }
    req r;
    if (req_begin(&r, SCM_OP_OPEN_SCM))
        return NULL;
    scm_put_u32(&r.w, SCM_F_ACCESS, access);
    SC_HANDLE h = NULL;
    if (req_do(&r) == 0 && !(h = sch_new(r.m.handle, 1)))
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    req_end(&r);
    if (h)
        SetLastError(0);
    return h;
}

static SC_HANDLE WINAPI hk_OpenSCManagerW(LPCWSTR machine, LPCWSTR db, DWORD access)
{
    PASS(OpenSCManagerW, open_scm_w, machine, db, access);
    SC_HANDLE h = open_scm(machine, db, access);
    return h;
}

static SC_HANDLE WINAPI hk_OpenSCManagerA(LPCSTR machine, LPCSTR db, DWORD access)
{
    PASS(OpenSCManagerA, open_scm_a, machine, db, access);
    wchar_t *m = a2w(machine, 0), *d = a2w(db, 0);
    SC_HANDLE h = open_scm(m, d, access);
    mem_free(m);
    mem_free(d);
    return h;
}

static SC_HANDLE open_service(SC_HANDLE scm, const wchar_t *name, DWORD access)
{
    req r;
    if (req_begin_h(&r, SCM_OP_OPEN, scm, 1))
        return NULL;
    if (!name) {
        req_end(&r);
        SetLastError(ERROR_INVALID_ADDRESS);
        return NULL;
    }
    scm_put_str(&r.w, SCM_F_NAME, (const uint16_t *)name);
    scm_put_u32(&r.w, SCM_F_ACCESS, access);
    SC_HANDLE h = NULL;
    if (req_do(&r) == 0 && !(h = sch_new(r.m.handle, 0)))
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    req_end(&r);
    return h;
}

static SC_HANDLE WINAPI hk_OpenServiceW(SC_HANDLE scm, LPCWSTR name, DWORD access)
{
    PASS(OpenServiceW, open_svc_w, scm, name, access);
    SC_HANDLE h = open_service(scm, name, access);
    return h;
}

static SC_HANDLE WINAPI hk_OpenServiceA(SC_HANDLE scm, LPCSTR name, DWORD access)
{
    PASS(OpenServiceA, open_svc_a, scm, name, access);
    wchar_t *n = a2w(name, 0);
    SC_HANDLE h = (name && !n) ? NULL : open_service(scm, n, access);
    mem_free(n);
    return h;
}

static SC_HANDLE create_service(SC_HANDLE scm, LPCWSTR name, LPCWSTR display, DWORD access,
                                DWORD type, DWORD start, DWORD errctl, LPCWSTR path,
                                LPCWSTR group, LPDWORD tag, LPCWSTR deps, LPCWSTR account,
                                LPCWSTR password)
{
    req r;
    if (req_begin_h(&r, SCM_OP_CREATE, scm, 1))
        return NULL;
    if (tag && (!group || !group[0])) {
        req_end(&r);
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    scm_put_str(&r.w, SCM_F_NAME, (const uint16_t *)name);
    scm_put_str(&r.w, SCM_F_DISPLAY, (const uint16_t *)display);
    scm_put_u32(&r.w, SCM_F_ACCESS, access);
    scm_put_u32(&r.w, SCM_F_TYPE, type);
    scm_put_u32(&r.w, SCM_F_START, start);
    scm_put_u32(&r.w, SCM_F_ERRCTL, errctl);
    scm_put_str(&r.w, SCM_F_PATH, (const uint16_t *)path);
    scm_put_str(&r.w, SCM_F_GROUP, (const uint16_t *)group);
    if (deps)
        scm_put_msz(&r.w, SCM_F_DEPS, (const uint16_t *)deps);
    scm_put_str(&r.w, SCM_F_ACCOUNT, (const uint16_t *)account);
    scm_put_str(&r.w, SCM_F_PASSWORD, (const uint16_t *)password);
    SC_HANDLE h = NULL;
    if (req_do(&r) == 0) {
        if (!(h = sch_new(r.m.handle, 0)))
            SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        else if (tag)
            *tag = r.m.tag;
    }
    req_end(&r);
    return h;
}

static SC_HANDLE WINAPI hk_CreateServiceW(SC_HANDLE scm, LPCWSTR name, LPCWSTR display,
                                          DWORD access, DWORD type, DWORD start, DWORD errctl,
                                          LPCWSTR path, LPCWSTR group, LPDWORD tag,
                                          LPCWSTR deps, LPCWSTR account, LPCWSTR password)
{
    PASS(CreateServiceW, create_w, scm, name, display, access, type, start, errctl, path,
         group, tag, deps, account, password);
    SC_HANDLE h = create_service(scm, name, display, access, type, start, errctl, path, group,
                                 tag, deps, account, password);
    return h;
}

static SC_HANDLE WINAPI hk_CreateServiceA(SC_HANDLE scm, LPCSTR name, LPCSTR display,
                                          DWORD access, DWORD type, DWORD start, DWORD errctl,
                                          LPCSTR path, LPCSTR group, LPDWORD tag, LPCSTR deps,
                                          LPCSTR account, LPCSTR password)
{
    PASS(CreateServiceA, create_a, scm, name, display, access, type, start, errctl, path,
         group, tag, deps, account, password);
    wchar_t *n = a2w(name, 0), *d = a2w(display, 0), *p = a2w(path, 0), *g = a2w(group, 0);
    wchar_t *dp = a2w(deps, 1), *ac = a2w(account, 0), *pw = a2w(password, 0);
    SC_HANDLE h = create_service(scm, n, d, access, type, start, errctl, p, g, tag, dp, ac, pw);
    mem_free(n); mem_free(d); mem_free(p); mem_free(g);
    mem_free(dp); mem_free(ac); mem_free(pw);
    return h;
}

static BOOL WINAPI hk_CloseServiceHandle(SC_HANDLE h)
{
    PASS(CloseServiceHandle, h_fn, h);
    long i = sch_slot(h);
    BOOL ok = FALSE;
    req r;
    if (i < 0) {
        SetLastError(ERROR_INVALID_HANDLE);
    } else if (req_begin_h(&r, SCM_OP_CLOSE, h, -1) == 0) {
        notify_cancel(i);
        req_do(&r); /* the handle goes away here, whatever the manager said */
        req_end(&r);
        g_sch[i].used = 0;
        ok = TRUE;
    }
    return ok;
}

/* A request on a service handle that returns only success. */
static BOOL simple(uint32_t op, SC_HANDLE h)
{
    req r;
    if (req_begin_h(&r, op, h, 0))
        return FALSE;
    BOOL ok = req_do(&r) == 0;
    req_end(&r);
    return ok;
}

static BOOL WINAPI hk_DeleteService(SC_HANDLE h)
{
    PASS(DeleteService, h_fn, h);
    BOOL ok = simple(SCM_OP_DELETE, h);
    return ok;
}

static BOOL start_service(SC_HANDLE h, DWORD argc, const wchar_t *const *argv)
{
    req r;
    if (req_begin_h(&r, SCM_OP_START, h, 0))
        return FALSE;
    size_t n = 1;
    for (DWORD i = 0; argv && i < argc; i++)
        n += argv[i] ? wlen(argv[i]) + 1 : 1;
    wchar_t *args = mem_alloc(n * sizeof *args), *o = args;
    if (!args) {
        req_end(&r);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    /* Empty arguments cannot be carried in a multi-string: skipped. */
    for (DWORD i = 0; argv && i < argc; i++)
        if (argv[i] && argv[i][0]) {
            wcopy(o, argv[i]);
            o += wlen(argv[i]) + 1;
        }
    *o = 0;
    scm_put_msz(&r.w, SCM_F_ARGS, (const uint16_t *)args);
    mem_free(args);
    BOOL ok = req_do(&r) == 0;
    req_end(&r);
    return ok;
}

static BOOL WINAPI hk_StartServiceW(SC_HANDLE h, DWORD argc, LPCWSTR *argv)
{
    PASS(StartServiceW, start_w, h, argc, argv);
    BOOL ok = start_service(h, argc, argv);
    return ok;
}

static BOOL WINAPI hk_StartServiceA(SC_HANDLE h, DWORD argc, LPCSTR *argv)
{
    PASS(StartServiceA, start_a, h, argc, argv);
    wchar_t **w = argc ? mem_alloc(argc * sizeof *w) : NULL;
    for (DWORD i = 0; w && argv && i < argc; i++)
        w[i] = a2w(argv[i], 0);
    BOOL ok = start_service(h, argv ? argc : 0, (const wchar_t *const *)w);
    for (DWORD i = 0; w && argv && i < argc; i++)
        mem_free(w[i]);
    mem_free(w);
    return ok;
}

static void to_status(const scm_status *s, SERVICE_STATUS *o)
{
    o->dwServiceType = s->type;
    o->dwCurrentState = s->state;
    o->dwControlsAccepted = s->accepted;
    o->dwWin32ExitCode = s->win32_exit;
    o->dwServiceSpecificExitCode = s->specific_exit;
    o->dwCheckPoint = s->checkpoint;
    o->dwWaitHint = s->wait_hint;
}

static void to_status_process(const scm_status *s, SERVICE_STATUS_PROCESS *o)
{
    to_status(s, (SERVICE_STATUS *)o);
    o->dwProcessId = s->pid;
    o->dwServiceFlags = s->flags;
}

/* A control; *out gets the status the manager replied with (also with
 * most errors, as Windows): *have says whether there was one. */
static BOOL control_service(SC_HANDLE h, DWORD control, scm_status *out, int *have)
{
    req r;
    BOOL ok = FALSE;
    *have = 0;
    if (req_begin_h(&r, SCM_OP_CONTROL, h, 0) == 0) {
        scm_put_u32(&r.w, SCM_F_CONTROL, control);
        ok = req_do(&r) == 0;
        if (r.reply && SCM_HAS(&r.m, STATUS)) {
            *out = r.m.status;
            *have = 1;
        }
        req_end(&r);
    }
    return ok;
}

static BOOL WINAPI hk_ControlService(SC_HANDLE h, DWORD control, LPSERVICE_STATUS st)
{
    PASS(ControlService, control_fn, h, control, st);
    scm_status s;
    int have;
    BOOL ok = control_service(h, control, &s, &have);
    if (have && st) {
        DWORD e = GetLastError();
        to_status(&s, st);
        SetLastError(e);
    }
    return ok;
}

/* ControlServiceEx W/A: level SERVICE_CONTROL_STATUS_REASON_INFO only; the
 * reason and comment are accepted and not kept (no event log in a VM). */
static BOOL control_ex(SC_HANDLE h, DWORD control, DWORD level, void *params)
{
    if (level != SERVICE_CONTROL_STATUS_REASON_INFO) {
        SetLastError(ERROR_INVALID_LEVEL);
        return FALSE;
    }
    if (!params) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    scm_status s;
    int have;
    BOOL ok = control_service(h, control, &s, &have);
    if (have) {
        DWORD e = GetLastError();
        to_status_process(&s, &((SERVICE_CONTROL_STATUS_REASON_PARAMSW *)params)->ServiceStatus);
        SetLastError(e);
    }
    return ok;
}

static BOOL WINAPI hk_ControlServiceExW(SC_HANDLE h, DWORD control, DWORD level, PVOID params)
{
    PASS(ControlServiceExW, control_ex_fn, h, control, level, params);
    BOOL ok = control_ex(h, control, level, params);
    return ok;
}

static BOOL WINAPI hk_ControlServiceExA(SC_HANDLE h, DWORD control, DWORD level, PVOID params)
{
    PASS(ControlServiceExA, control_ex_fn, h, control, level, params);
    BOOL ok = control_ex(h, control, level, params); /* same layout in the A form */
    return ok;
}

/* The status of a service handle into *out. */
static BOOL query(SC_HANDLE h, scm_status *out)
{
    req r;
    if (req_begin_h(&r, SCM_OP_QUERY, h, 0))
        return FALSE;
    BOOL ok = req_do(&r) == 0;
    if (ok)
        *out = r.m.status;
    req_end(&r);
    return ok;
}

static BOOL WINAPI hk_QueryServiceStatus(SC_HANDLE h, LPSERVICE_STATUS st)
{
    PASS(QueryServiceStatus, query_fn, h, st);
    scm_status s;
    BOOL ok = FALSE;
    if (!st)
        SetLastError(ERROR_INVALID_ADDRESS);
    else if ((ok = query(h, &s)) != 0)
        to_status(&s, st);
    return ok;
}

static BOOL WINAPI hk_QueryServiceStatusEx(SC_HANDLE h, SC_STATUS_TYPE level, LPBYTE buf,
                                           DWORD size, LPDWORD needed)
{
    PASS(QueryServiceStatusEx, query_ex_fn, h, level, buf, size, needed);
    BOOL ok = FALSE;
    scm_status s;
    if (level != SC_STATUS_PROCESS_INFO) {
        SetLastError(ERROR_INVALID_LEVEL);
    } else if (size < sizeof(SERVICE_STATUS_PROCESS)) {
        if (needed)
            *needed = sizeof(SERVICE_STATUS_PROCESS);
        SetLastError(sch_slot(h) < 0 ? ERROR_INVALID_HANDLE : ERROR_INSUFFICIENT_BUFFER);
    } else if ((ok = query(h, &s)) != 0) {
        to_status_process(&s, (SERVICE_STATUS_PROCESS *)buf);
        if (needed)
            *needed = sizeof(SERVICE_STATUS_PROCESS);
    }
    return ok;
}

/* QueryServiceConfig, W or A: the fixed part, then the strings. */
static BOOL query_config(SC_HANDLE h, void *buf, DWORD size, LPDWORD needed, int ansi)
{
    req r;
    if (req_begin_h(&r, SCM_OP_QUERY_CONFIG, h, 0))
        return FALSE;
    if (req_do(&r)) {
        req_end(&r);
        return FALSE;
    }
    static const uint16_t empty[2] = { 0, 0 };
    const wchar_t *str[5] = {
        (const wchar_t *)(r.m.path ? r.m.path : empty),
        (const wchar_t *)(r.m.group ? r.m.group : empty),
        (const wchar_t *)(r.m.deps ? r.m.deps : empty),
        (const wchar_t *)(r.m.account ? r.m.account : empty),
        (const wchar_t *)(r.m.display ? r.m.display : empty),
    };
    size_t units[5], total = ansi ? sizeof(QUERY_SERVICE_CONFIGA) : sizeof(QUERY_SERVICE_CONFIGW);
    for (int i = 0; i < 5; i++) {
        units[i] = i == 2 ? msz_len(str[i]) : wlen(str[i]) + 1;
        total += ansi ? (size_t)WideCharToMultiByte(CP_ACP, 0, str[i], (int)units[i], NULL, 0,
                                                    NULL, NULL)
                      : units[i] * sizeof(wchar_t);
    }
    if (needed)
        *needed = (DWORD)total;
    if (!buf || size < total) {
        req_end(&r);
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return FALSE;
    }
    QUERY_SERVICE_CONFIGW *c = buf; /* same layout in both forms, pointers aside */
    c->dwServiceType = r.m.type;
    c->dwStartType = r.m.start;
    c->dwErrorControl = r.m.errctl;
    c->dwTagId = r.m.tag;
    uint8_t *p = (uint8_t *)buf + (ansi ? sizeof(QUERY_SERVICE_CONFIGA)
                                        : sizeof(QUERY_SERVICE_CONFIGW));
    void *ptrs[5];
    for (int i = 0; i < 5; i++) {
        ptrs[i] = p;
        if (ansi) {
            int n = WideCharToMultiByte(CP_ACP, 0, str[i], (int)units[i], (char *)p,
                                        (int)(size - (DWORD)(p - (uint8_t *)buf)), NULL, NULL);
            p += n;
        } else {
            memcpy(p, str[i], units[i] * sizeof(wchar_t));
            p += units[i] * sizeof(wchar_t);
        }
    }
    c->lpBinaryPathName = ptrs[0];
    c->lpLoadOrderGroup = ptrs[1];
    c->lpDependencies = ptrs[2];
    c->lpServiceStartName = ptrs[3];
    c->lpDisplayName = ptrs[4];
    req_end(&r);
    return TRUE;
}

static BOOL WINAPI hk_QueryServiceConfigW(SC_HANDLE h, LPQUERY_SERVICE_CONFIGW c, DWORD size,
                                          LPDWORD needed)
{
    PASS(QueryServiceConfigW, qconfig_w, h, c, size, needed);
    BOOL ok = query_config(h, c, size, needed, 0);
    return ok;
}

static BOOL WINAPI hk_QueryServiceConfigA(SC_HANDLE h, LPQUERY_SERVICE_CONFIGA c, DWORD size,
                                          LPDWORD needed)
{
    PASS(QueryServiceConfigA, qconfig_a, h, c, size, needed);
    BOOL ok = query_config(h, c, size, needed, 1);
    return ok;
}

static BOOL change_config(SC_HANDLE h, DWORD type, DWORD start, DWORD errctl, LPCWSTR path,
                          LPCWSTR group, LPDWORD tag, LPCWSTR deps, LPCWSTR account,
                          LPCWSTR password, LPCWSTR display)
{
    req r;
    if (req_begin_h(&r, SCM_OP_CHANGE_CONFIG, h, 0))
        return FALSE;
    if (type != SERVICE_NO_CHANGE)
        scm_put_u32(&r.w, SCM_F_TYPE, type);
    if (start != SERVICE_NO_CHANGE)
        scm_put_u32(&r.w, SCM_F_START, start);
    if (errctl != SERVICE_NO_CHANGE)
        scm_put_u32(&r.w, SCM_F_ERRCTL, errctl);
    scm_put_str(&r.w, SCM_F_PATH, (const uint16_t *)path);
    scm_put_str(&r.w, SCM_F_GROUP, (const uint16_t *)group);
    if (deps)
        scm_put_msz(&r.w, SCM_F_DEPS, (const uint16_t *)deps);
    scm_put_str(&r.w, SCM_F_ACCOUNT, (const uint16_t *)account);
    scm_put_str(&r.w, SCM_F_PASSWORD, (const uint16_t *)password);
    scm_put_str(&r.w, SCM_F_DISPLAY, (const uint16_t *)display);
    BOOL ok = req_do(&r) == 0;
    if (ok && tag)
        *tag = 0;
    req_end(&r);
    return ok;
}

static BOOL WINAPI hk_ChangeServiceConfigW(SC_HANDLE h, DWORD type, DWORD start, DWORD errctl,
                                           LPCWSTR path, LPCWSTR group, LPDWORD tag,
                                           LPCWSTR deps, LPCWSTR account, LPCWSTR password,
                                           LPCWSTR display)
{
    PASS(ChangeServiceConfigW, change_w, h, type, start, errctl, path, group, tag, deps,
         account, password, display);
    BOOL ok = change_config(h, type, start, errctl, path, group, tag, deps, account, password,
                            display);
    return ok;
}

static BOOL WINAPI hk_ChangeServiceConfigA(SC_HANDLE h, DWORD type, DWORD start, DWORD errctl,
                                           LPCSTR path, LPCSTR group, LPDWORD tag, LPCSTR deps,
                                           LPCSTR account, LPCSTR password, LPCSTR display)
{
    PASS(ChangeServiceConfigA, change_a, h, type, start, errctl, path, group, tag, deps,
         account, password, display);
    wchar_t *p = a2w(path, 0), *g = a2w(group, 0), *dp = a2w(deps, 1), *ac = a2w(account, 0);
    wchar_t *pw = a2w(password, 0), *d = a2w(display, 0);
    BOOL ok = change_config(h, type, start, errctl, p, g, tag, dp, ac, pw, d);
    mem_free(p); mem_free(g); mem_free(dp); mem_free(ac); mem_free(pw); mem_free(d);
    return ok;
}

/* Length in bytes of a string in the form wanted (terminator included). */
static DWORD str_bytes(const wchar_t *w, int ansi)
{
    if (!w)
        return 0;
    return ansi ? (DWORD)WideCharToMultiByte(CP_ACP, 0, w, -1, NULL, 0, NULL, NULL)
                : (DWORD)((wlen(w) + 1) * sizeof(wchar_t));
}

/* Copies a string in the form wanted to p: the pointer to it. */
static void *str_put(uint8_t *p, const wchar_t *w, int ansi)
{
    if (ansi)
        WideCharToMultiByte(CP_ACP, 0, w, -1, (char *)p, (int)str_bytes(w, 1), NULL, NULL);
    else
        wcopy((wchar_t *)p, w);
    return p;
}

/* QueryServiceConfig2, W or A. */
static BOOL query_config2(SC_HANDLE h, DWORD level, LPBYTE buf, DWORD size, LPDWORD needed,
                          int ansi)
{
    BOOL ok = FALSE;
    req r;
    if (req_begin_h(&r, SCM_OP_QUERY_CONFIG, h, 0))
        return FALSE;
    if (req_do(&r) == 0) {
        DWORD total = 0;
        const wchar_t *desc = (const wchar_t *)r.m.desc;
        const wchar_t *reboot = (const wchar_t *)r.m.rebootmsg;
        const wchar_t *cmd = (const wchar_t *)r.m.command;
        switch (level) {
        case SERVICE_CONFIG_DESCRIPTION:
            total = sizeof(SERVICE_DESCRIPTIONW) + str_bytes(desc, ansi);
            break;
        case SERVICE_CONFIG_FAILURE_ACTIONS:
            total = sizeof(SERVICE_FAILURE_ACTIONSW) + r.m.fa_count * sizeof(SC_ACTION) +
                    str_bytes(reboot, ansi) + str_bytes(cmd, ansi);
            break;
        case SERVICE_CONFIG_DELAYED_AUTO_START_INFO:
            total = sizeof(SERVICE_DELAYED_AUTO_START_INFO);
            break;
        case SERVICE_CONFIG_FAILURE_ACTIONS_FLAG:
            total = sizeof(SERVICE_FAILURE_ACTIONS_FLAG);
            break;
        case SERVICE_CONFIG_SERVICE_SID_INFO:
            total = sizeof(SERVICE_SID_INFO);
            break;
        case SERVICE_CONFIG_PRESHUTDOWN_INFO:
            total = sizeof(SERVICE_PRESHUTDOWN_INFO);
            break;
        default:
            SetLastError(ERROR_INVALID_LEVEL);
            goto out;
        }
        if (needed)
            *needed = total;
        if (!buf || size < total) {
            SetLastError(ERROR_INSUFFICIENT_BUFFER);
            goto out;
        }
        memset(buf, 0, total);
        if (level == SERVICE_CONFIG_DESCRIPTION && desc) {
            ((SERVICE_DESCRIPTIONW *)buf)->lpDescription =
                str_put(buf + sizeof(SERVICE_DESCRIPTIONW), desc, ansi);
        } else if (level == SERVICE_CONFIG_FAILURE_ACTIONS) {
            SERVICE_FAILURE_ACTIONSW *fa = (SERVICE_FAILURE_ACTIONSW *)buf;
            uint8_t *p = buf + sizeof *fa;
            fa->dwResetPeriod = r.m.fa_reset;
            fa->cActions = r.m.fa_count;
            if (r.m.fa_count) {
                SC_ACTION *act = (SC_ACTION *)p;
                for (uint32_t i = 0; i < r.m.fa_count; i++) {
                    uint32_t t, d;
                    scm_action(&r.m, i, &t, &d);
                    act[i].Type = (SC_ACTION_TYPE)t;
                    act[i].Delay = d;
                }
                fa->lpsaActions = act;
                p += r.m.fa_count * sizeof(SC_ACTION);
            }
            if (reboot) {
                fa->lpRebootMsg = str_put(p, reboot, ansi);
                p += str_bytes(reboot, ansi);
            }
            if (cmd)
                fa->lpCommand = str_put(p, cmd, ansi);
        } else if (level == SERVICE_CONFIG_DELAYED_AUTO_START_INFO) {
            ((SERVICE_DELAYED_AUTO_START_INFO *)buf)->fDelayedAutostart = r.m.delayed != 0;
        } else if (level == SERVICE_CONFIG_FAILURE_ACTIONS_FLAG) {
            ((SERVICE_FAILURE_ACTIONS_FLAG *)buf)->fFailureActionsOnNonCrashFailures =
                r.m.flags != 0;
        } else if (level == SERVICE_CONFIG_PRESHUTDOWN_INFO) {
            ((SERVICE_PRESHUTDOWN_INFO *)buf)->dwPreshutdownTimeout = 180000;
        }
        ok = TRUE;
    }
out:
    req_end(&r);
    return ok;
}

static BOOL WINAPI hk_QueryServiceConfig2W(SC_HANDLE h, DWORD level, LPBYTE buf, DWORD size,
                                           LPDWORD needed)
{
    PASS(QueryServiceConfig2W, qconfig2_w, h, level, buf, size, needed);
    BOOL ok = query_config2(h, level, buf, size, needed, 0);
    return ok;
}

static BOOL WINAPI hk_QueryServiceConfig2A(SC_HANDLE h, DWORD level, LPBYTE buf, DWORD size,
                                           LPDWORD needed)
{
    PASS(QueryServiceConfig2A, qconfig2_w, h, level, buf, size, needed);
    BOOL ok = query_config2(h, level, buf, size, needed, 1);
    return ok;
}

/* ChangeServiceConfig2, W or A (the A strings converted by the caller's
 * wrapper below). */
static BOOL change_config2(SC_HANDLE h, DWORD level, const void *info, int ansi)
{
    BOOL ok = FALSE;
    req r;
    if (sch_slot(h) < 0) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    if (!info && level != SERVICE_CONFIG_FAILURE_ACTIONS) {
        SetLastError(ERROR_INVALID_ADDRESS);
        return FALSE;
    }
    switch (level) {
    case SERVICE_CONFIG_DESCRIPTION:
    case SERVICE_CONFIG_FAILURE_ACTIONS:
    case SERVICE_CONFIG_DELAYED_AUTO_START_INFO:
    case SERVICE_CONFIG_FAILURE_ACTIONS_FLAG:
        break;
    case SERVICE_CONFIG_SERVICE_SID_INFO:
    case SERVICE_CONFIG_PRESHUTDOWN_INFO:
        return TRUE; /* accepted; not used in a VM (docs/ns-svc.md) */
    default:
        SetLastError(ERROR_INVALID_LEVEL);
        return FALSE;
    }
    if (req_begin_h(&r, SCM_OP_CHANGE_CONFIG, h, 0))
        return FALSE;
    wchar_t *t1 = NULL, *t2 = NULL;
    if (level == SERVICE_CONFIG_DESCRIPTION) {
        const void *d = ((const SERVICE_DESCRIPTIONW *)info)->lpDescription;
        if (!d) {
            req_end(&r);
            return TRUE; /* no change */
        }
        t1 = ansi ? a2w(d, 0) : NULL;
        scm_put_str(&r.w, SCM_F_DESC, (const uint16_t *)(ansi ? t1 : d));
    } else if (level == SERVICE_CONFIG_FAILURE_ACTIONS) {
        const SERVICE_FAILURE_ACTIONSW *fa = info;
        if (fa && fa->lpsaActions) {
            if (fa->cActions > SCM_MAX_ACTIONS) {
                req_end(&r);
                SetLastError(ERROR_INVALID_PARAMETER);
                return FALSE;
            }
            uint32_t pairs[2 * SCM_MAX_ACTIONS];
            for (DWORD i = 0; i < fa->cActions; i++) {
                pairs[2 * i] = (uint32_t)fa->lpsaActions[i].Type;
                pairs[2 * i + 1] = fa->lpsaActions[i].Delay;
            }
            scm_put_actions(&r.w, fa->dwResetPeriod, fa->cActions, pairs);
        }
        const void *rb = fa ? (const void *)fa->lpRebootMsg : NULL;
        const void *cm = fa ? (const void *)fa->lpCommand : NULL;
        if (ansi) {
            rb = t1 = a2w(rb, 0);
            cm = t2 = a2w(cm, 0);
        }
        static const uint16_t none[1] = { 0 };
        /* "" deletes: sent as is (the manager drops empty strings). */
        if (rb)
            scm_put_str(&r.w, SCM_F_REBOOTMSG, *(const uint16_t *)rb ? rb : none);
        if (cm)
            scm_put_str(&r.w, SCM_F_COMMAND, *(const uint16_t *)cm ? cm : none);
    } else if (level == SERVICE_CONFIG_DELAYED_AUTO_START_INFO) {
        scm_put_u32(&r.w, SCM_F_DELAYED,
                    ((const SERVICE_DELAYED_AUTO_START_INFO *)info)->fDelayedAutostart != 0);
    } else {
        scm_put_u32(&r.w, SCM_F_FLAGS,
                    ((const SERVICE_FAILURE_ACTIONS_FLAG *)info)->fFailureActionsOnNonCrashFailures != 0);
    }
    ok = req_do(&r) == 0;
    req_end(&r);
    mem_free(t1);
    mem_free(t2);
    return ok;
}

static BOOL WINAPI hk_ChangeServiceConfig2W(SC_HANDLE h, DWORD level, LPVOID info)
{
    PASS(ChangeServiceConfig2W, change2_w, h, level, info);
    BOOL ok = change_config2(h, level, info, 0);
    return ok;
}

static BOOL WINAPI hk_ChangeServiceConfig2A(SC_HANDLE h, DWORD level, LPVOID info)
{
    PASS(ChangeServiceConfig2A, change2_w, h, level, info);
    BOOL ok = change_config2(h, level, info, 1);
    return ok;
}

/* Enumerations: the entries of a reply packed into an array of fixed
 * records (rec bytes each, status as SERVICE_STATUS or _PROCESS) with
 * the strings at the end of the buffer, from *resume on. */
static BOOL pack_entries(const scm_msg *m, BYTE *buf, DWORD size, LPDWORD needed,
                         LPDWORD returned, LPDWORD resume, int process, int ansi)
{
    DWORD rec = process ? sizeof(ENUM_SERVICE_STATUS_PROCESSW) : sizeof(ENUM_SERVICE_STATUSW);
    DWORD start = resume ? *resume : 0, i = 0, count = 0, used = 0, need_rest = 0;
    DWORD tail = size;
    uint32_t off = 0;
    scm_entry e;
    int full = 0;
    while (scm_next_entry(m, &off, &e) == 0) {
        if (i++ < start)
            continue;
        DWORD nb = str_bytes((const wchar_t *)e.name, ansi);
        DWORD db = str_bytes((const wchar_t *)e.display, ansi);
        DWORD slack = ansi ? 2 : 0; /* the realignment of the next UTF-16 strings */
        DWORD need = rec + nb + db + slack;
        if (full || !buf || used + need > size || used + rec + slack > tail - nb - db) {
            full = 1;
            need_rest += need;
            continue;
        }
        ENUM_SERVICE_STATUS_PROCESSW *r = (ENUM_SERVICE_STATUS_PROCESSW *)(buf + used);
        /* (The A records have the same layout: pointers, then the status.) */
        tail -= nb;
        tail &= ~(DWORD)1; /* UTF-16 strings stay aligned */
        r->lpServiceName = str_put(buf + tail, (const wchar_t *)e.name, ansi);
        tail -= db;
        tail &= ~(DWORD)1;
        r->lpDisplayName = str_put(buf + tail, (const wchar_t *)e.display, ansi);
        if (process)
            to_status_process(&e.status, &r->ServiceStatusProcess);
        else
            to_status(&e.status, &((ENUM_SERVICE_STATUSW *)r)->ServiceStatus);
        used += rec;
        count++;
    }
    if (returned)
        *returned = count;
    if (needed)
        *needed = need_rest;
    if (full) {
        if (resume)
            *resume = start + count;
        SetLastError(ERROR_MORE_DATA);
        return FALSE;
    }
    if (resume)
        *resume = 0;
    return TRUE;
}

/* group: EnumServicesStatusEx's pszGroupName (NULL: all; "": no group). */
static BOOL enum_services(SC_HANDLE h, DWORD type, DWORD state, BYTE *buf, DWORD size,
                          LPDWORD needed, LPDWORD returned, LPDWORD resume, int process,
                          int ansi, const wchar_t *group)
{
    req r;
    if (req_begin_h(&r, SCM_OP_ENUM, h, 1))
        return FALSE;
    scm_put_u32(&r.w, SCM_F_TYPE, type);
    scm_put_u32(&r.w, SCM_F_STATE, state);
    if (group)
        scm_put_str(&r.w, SCM_F_GROUP, (const uint16_t *)group);
    BOOL ok = req_do(&r) == 0 &&
              pack_entries(&r.m, buf, size, needed, returned, resume, process, ansi);
    req_end(&r);
    return ok;
}

static BOOL WINAPI hk_EnumServicesStatusExW(SC_HANDLE h, SC_ENUM_TYPE level, DWORD type,
                                            DWORD state, LPBYTE buf, DWORD size,
                                            LPDWORD needed, LPDWORD returned, LPDWORD resume,
                                            LPCWSTR group)
{
    PASS(EnumServicesStatusExW, enum_ex_w, h, level, type, state, buf, size, needed, returned,
         resume, group);
    BOOL ok = FALSE;
    if (level != SC_ENUM_PROCESS_INFO)
        SetLastError(ERROR_INVALID_LEVEL);
    else
        ok = enum_services(h, type, state, buf, size, needed, returned, resume, 1, 0, group);
    return ok;
}

static BOOL WINAPI hk_EnumServicesStatusW(SC_HANDLE h, DWORD type, DWORD state,
                                          LPENUM_SERVICE_STATUSW buf, DWORD size,
                                          LPDWORD needed, LPDWORD returned, LPDWORD resume)
{
    PASS(EnumServicesStatusW, enum_w, h, type, state, buf, size, needed, returned, resume);
    BOOL ok = enum_services(h, type, state, (BYTE *)buf, size, needed, returned, resume, 0, 0,
                            NULL);
    return ok;
}

static BOOL WINAPI hk_EnumServicesStatusExA(SC_HANDLE h, SC_ENUM_TYPE level, DWORD type,
                                            DWORD state, LPBYTE buf, DWORD size,
                                            LPDWORD needed, LPDWORD returned, LPDWORD resume,
                                            LPCSTR group)
{
    PASS(EnumServicesStatusExA, enum_ex_a, h, level, type, state, buf, size, needed, returned,
         resume, group);
    BOOL ok = FALSE;
    wchar_t *wg = group ? a2w(group, 0) : NULL;
    if (level != SC_ENUM_PROCESS_INFO)
        SetLastError(ERROR_INVALID_LEVEL);
    else if (group && !wg)
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    else
        ok = enum_services(h, type, state, buf, size, needed, returned, resume, 1, 1, wg);
    mem_free(wg);
    return ok;
}

static BOOL WINAPI hk_EnumServicesStatusA(SC_HANDLE h, DWORD type, DWORD state,
                                          LPENUM_SERVICE_STATUSA buf, DWORD size,
                                          LPDWORD needed, LPDWORD returned, LPDWORD resume)
{
    PASS(EnumServicesStatusA, enum_a, h, type, state, buf, size, needed, returned, resume);
    BOOL ok = enum_services(h, type, state, (BYTE *)buf, size, needed, returned, resume, 0, 1,
                            NULL);
    return ok;
}

static BOOL enum_dependents(SC_HANDLE h, DWORD state, BYTE *buf, DWORD size, LPDWORD needed,
                            LPDWORD returned, int ansi)
{
    req r;
    BOOL ok = FALSE;
    if (req_begin_h(&r, SCM_OP_DEPENDENTS, h, 0) == 0) {
        scm_put_u32(&r.w, SCM_F_STATE, state);
        ok = req_do(&r) == 0 &&
             pack_entries(&r.m, buf, size, needed, returned, NULL, 0, ansi);
        req_end(&r);
    }
    return ok;
}

static BOOL WINAPI hk_EnumDependentServicesW(SC_HANDLE h, DWORD state,
                                             LPENUM_SERVICE_STATUSW buf, DWORD size,
                                             LPDWORD needed, LPDWORD returned)
{
    PASS(EnumDependentServicesW, enum_dep_w, h, state, buf, size, needed, returned);
    BOOL ok = enum_dependents(h, state, (BYTE *)buf, size, needed, returned, 0);
    return ok;
}

static BOOL WINAPI hk_EnumDependentServicesA(SC_HANDLE h, DWORD state,
                                             LPENUM_SERVICE_STATUSA buf, DWORD size,
                                             LPDWORD needed, LPDWORD returned)
{
    PASS(EnumDependentServicesA, enum_dep_a, h, state, buf, size, needed, returned);
    BOOL ok = enum_dependents(h, state, (BYTE *)buf, size, needed, returned, 1);
    return ok;
}

static BOOL get_name(uint32_t op, SC_HANDLE h, LPCWSTR in, LPWSTR out, LPDWORD cch)
{
    req r;
    if (req_begin_h(&r, op, h, 1))
        return FALSE;
    if (!in || !cch) {
        req_end(&r);
        SetLastError(ERROR_INVALID_ADDRESS);
        return FALSE;
    }
    scm_put_str(&r.w, op == SCM_OP_KEY_NAME ? SCM_F_DISPLAY : SCM_F_NAME,
                (const uint16_t *)in);
    BOOL ok = FALSE;
    if (req_do(&r) == 0) {
        const wchar_t *v = (const wchar_t *)(op == SCM_OP_KEY_NAME ? r.m.name : r.m.display);
        DWORD n = v ? (DWORD)wlen(v) : 0;
        if (!out || *cch <= n) {
            if (out && *cch)
                out[0] = 0;
            *cch = n;
            SetLastError(ERROR_INSUFFICIENT_BUFFER);
        } else {
            wcopy(out, v ? v : L"");
            *cch = n;
            ok = TRUE;
        }
    }
    req_end(&r);
    return ok;
}

static BOOL WINAPI hk_GetServiceKeyNameW(SC_HANDLE h, LPCWSTR display, LPWSTR out, LPDWORD cch)
{
    PASS(GetServiceKeyNameW, name_w, h, display, out, cch);
    BOOL ok = get_name(SCM_OP_KEY_NAME, h, display, out, cch);
    return ok;
}

static BOOL WINAPI hk_GetServiceDisplayNameW(SC_HANDLE h, LPCWSTR name, LPWSTR out,
                                             LPDWORD cch)
{
    PASS(GetServiceDisplayNameW, name_w, h, name, out, cch);
    BOOL ok = get_name(SCM_OP_DISPLAY_NAME, h, name, out, cch);
    return ok;
}

/* GetServiceKeyNameA / GetServiceDisplayNameA: through the W form; *cch
 * in bytes of the ANSI string. */
static BOOL get_name_a(uint32_t op, SC_HANDLE h, LPCSTR in, LPSTR out, LPDWORD cch)
{
    if (!in || !cch) {
        SetLastError(sch_slot(h) < 0 ? ERROR_INVALID_HANDLE : ERROR_INVALID_ADDRESS);
        return FALSE;
    }
    wchar_t *win = a2w(in, 0);
    wchar_t tmp[NAME_UNITS];
    DWORD wn = NAME_UNITS;
    BOOL ok = win && get_name(op, h, win, tmp, &wn);
    mem_free(win);
    if (!ok)
        return FALSE;
    DWORD n = str_bytes(tmp, 1) - 1;
    if (!out || *cch <= n) {
        if (out && *cch)
            out[0] = 0;
        *cch = n;
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return FALSE;
    }
    str_put((uint8_t *)out, tmp, 1);
    *cch = n;
    return TRUE;
}

static BOOL WINAPI hk_GetServiceKeyNameA(SC_HANDLE h, LPCSTR display, LPSTR out, LPDWORD cch)
{
    PASS(GetServiceKeyNameA, name_a, h, display, out, cch);
    BOOL ok = get_name_a(SCM_OP_KEY_NAME, h, display, out, cch);
    return ok;
}

static BOOL WINAPI hk_GetServiceDisplayNameA(SC_HANDLE h, LPCSTR name, LPSTR out, LPDWORD cch)
{
    PASS(GetServiceDisplayNameA, name_a, h, name, out, cch);
    BOOL ok = get_name_a(SCM_OP_DISPLAY_NAME, h, name, out, cch);
    return ok;
}

/* --- NotifyServiceStatusChange ------------------------------------------------------ */
/* The worker: WAIT on a connection of its own (the manager blocks on its
 * condition variable, no polling; it answers ERROR_TIMEOUT after 60 s and
 * the worker asks again), then the callback goes to the caller's thread
 * as a user APC: it runs when that thread waits alertably (SleepEx,
 * WaitForSingleObjectEx, ...), as on Windows. */
/* A manager's names (a multi-string) as the caller gets them: LocalAlloc'd
 * (the callback frees them with LocalFree, as Windows), W or A. */
static void *notify_names(const wchar_t *w, int ansi)
{
    static const wchar_t none[2] = { 0, 0 };
    if (!w)
        w = none;
    size_t n = msz_len(w);
    if (!ansi) {
        wchar_t *o = LocalAlloc(LMEM_FIXED, n * sizeof *o);
        if (o)
            memcpy(o, w, n * sizeof *o);
        return o;
    }
    int an = WideCharToMultiByte(CP_ACP, 0, w, (int)n, NULL, 0, NULL, NULL);
    char *o = an > 0 ? LocalAlloc(LMEM_FIXED, (size_t)an) : NULL;
    if (o)
        WideCharToMultiByte(CP_ACP, 0, w, (int)n, o, an, NULL, NULL);
    return o;
}

static DWORD WINAPI notify_worker(void *p)
{
    notify_rec *n = p;
    uint8_t *buf = scmc_alloc();
    uint32_t seq = n->seq;
    void *names = NULL; /* CREATED/DELETED: the caller's, LocalAlloc'd */
    DWORD err = buf ? 0 : ERROR_NOT_ENOUGH_MEMORY;
    scm_status st;
    DWORD triggered = 0;
    memset(&st, 0, sizeof st);
    HANDLE h = INVALID_HANDLE_VALUE;
    while (!err) {
        if (h == INVALID_HANDLE_VALUE && (h = scmc_connect(g_pipe, 10000)) == INVALID_HANDLE_VALUE) {
            err = RPC_S_SERVER_UNAVAILABLE;
            break;
        }
        scm_writer w;
        scm_begin(&w, buf, SCM_MAX_MSG, SCM_OP_WAIT, 0);
        scm_put_u32(&w, SCM_F_HANDLE, n->remote);
        scm_put_u32(&w, SCM_F_STATE, n->mask);
        scm_put_u32(&w, SCM_F_SEQ, seq);
        scm_msg m;
        DWORD e = scmc_send(h, buf, scm_end(&w));
        uint8_t *r = e ? NULL : scmc_recv(h, &m, &e);
        if (!r) {
            err = RPC_S_SERVER_UNAVAILABLE;
            break;
        }
        AcquireSRWLockShared(&g_notify_lock);
        int cancelled = n->cancelled;
        ReleaseSRWLockShared(&g_notify_lock);
        if (cancelled) {
            scmc_free(r);
            err = ERROR_CANCELLED;
            break;
        }
        if (m.err == ERROR_TIMEOUT) {
            seq = m.seq;
            scmc_free(r);
            continue;
        }
        err = m.err;
        if (!err && n->is_scm) {
            triggered = m.state;
            seq = m.seq;
            names = notify_names((const wchar_t *)m.names, n->ansi);
            if (!names)
                err = ERROR_NOT_ENOUGH_MEMORY;
        } else if (!err) {
            st = m.status;
            DWORD bit = st.state >= 1 && st.state <= 7 ? 1u << (st.state - 1) : 0;
            triggered = (n->mask & bit) ? bit : (m.state & SERVICE_NOTIFY_DELETE_PENDING);
        }
        scmc_free(r);
        break;
    }
    if (h != INVALID_HANDLE_VALUE)
        CloseHandle(h);
    scmc_free(buf);
    /* Done: the handle may take another request. Closed meanwhile: no callback. */
    AcquireSRWLockExclusive(&g_notify_lock);
    int deliver = !n->cancelled;
    for (long i = 0; deliver && i < MAX_SC_HANDLES; i++)
        if (g_sch[i].notify == n) {
            g_sch[i].notify = NULL;
            if (n->is_scm && !err)
                g_sch[i].dbseq = seq; /* the next request goes on from here */
            break;
        }
    ReleaseSRWLockExclusive(&g_notify_lock);
    if (!deliver && names)
        LocalFree(names);
    if (deliver) {
        SERVICE_NOTIFYW *b = n->buf;
        b->dwNotificationStatus = err;
        if (!err && n->is_scm) {
            memset(&b->ServiceStatus, 0, sizeof b->ServiceStatus);
            b->dwNotificationTriggered = triggered;
        } else if (!err) {
            to_status_process(&st, &b->ServiceStatus);
            b->dwNotificationTriggered = triggered;
        }
        /* The names (CREATED/DELETED): the callback frees them (LocalFree). */
        b->pszServiceNames = (LPWSTR)names;
        /* PFN_SC_NOTIFY_CALLBACK(PVOID) and PAPCFUNC(ULONG_PTR): one argument. */
        QueueUserAPC((PAPCFUNC)(void *)b->pfnNotifyCallback, n->thread, (ULONG_PTR)b);
    }
    CloseHandle(n->thread);
    mem_free(n);
    return 0;
}

static DWORD notify_status_change(SC_HANDLE h, DWORD mask, SERVICE_NOTIFYW *buf, int ansi)
{
    long i = sch_slot(h);
    if (i < 0)
        return ERROR_INVALID_HANDLE;
    int is_scm = g_sch[i].is_scm;
    if (!buf || !buf->pfnNotifyCallback)
        return ERROR_INVALID_PARAMETER;
    if (buf->dwVersion != SERVICE_NOTIFY_STATUS_CHANGE &&
        buf->dwVersion != SERVICE_NOTIFY_STATUS_CHANGE_1)
        return ERROR_INVALID_LEVEL;
    DWORD allowed = is_scm ? (DWORD)(SERVICE_NOTIFY_CREATED | SERVICE_NOTIFY_DELETED)
                           : (DWORD)(0x7f | SERVICE_NOTIFY_DELETE_PENDING);
    if (!mask || (mask & ~allowed))
        return ERROR_INVALID_PARAMETER;
    /* The handle, its rights and (a service) its delete mark are checked now:
     * WAIT without SEQ is answered at once (a manager: its last event). */
    req r;
    if (req_begin_h(&r, SCM_OP_WAIT, h, is_scm))
        return GetLastError();
    scm_put_u32(&r.w, SCM_F_STATE, mask);
    DWORD e = req_do(&r) ? GetLastError() : 0;
    uint32_t seq = e ? 0 : r.m.seq;
    req_end(&r);
    if (e)
        return e;
    notify_rec *n = mem_alloc(sizeof *n);
    if (!n)
        return ERROR_NOT_ENOUGH_MEMORY;
    n->remote = g_sch[i].remote;
    n->mask = mask;
    n->buf = buf;
    n->is_scm = is_scm;
    n->ansi = ansi;
    if (!DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(),
                         &n->thread, THREAD_SET_CONTEXT, FALSE, 0)) {
        DWORD e = GetLastError();
        mem_free(n);
        return e;
    }
    AcquireSRWLockExclusive(&g_notify_lock);
    e = g_sch[i].notify ? ERROR_ALREADY_REGISTERED : 0;
    if (!e)
        g_sch[i].notify = n;
    /* A manager handle goes on from its last notified event (the first
     * request: from now). */
    n->seq = !is_scm ? 0 : g_sch[i].dbseq ? g_sch[i].dbseq : seq;
    ReleaseSRWLockExclusive(&g_notify_lock);
    if (e) {
        CloseHandle(n->thread);
        mem_free(n);
        return e;
    }
    HANDLE t = CreateThread(NULL, 0, notify_worker, n, 0, NULL);
    if (!t) {
        e = GetLastError();
        AcquireSRWLockExclusive(&g_notify_lock);
        g_sch[i].notify = NULL;
        ReleaseSRWLockExclusive(&g_notify_lock);
        CloseHandle(n->thread);
        mem_free(n);
        return e;
    }
    CloseHandle(t);
    return ERROR_SUCCESS;
}

static DWORD WINAPI hk_NotifyServiceStatusChangeW(SC_HANDLE h, DWORD mask, PSERVICE_NOTIFYW buf)
{
    PASS(NotifyServiceStatusChangeW, notify_w, h, mask, buf);
    DWORD e = notify_status_change(h, mask, buf, 0);
    return e;
}

static DWORD WINAPI hk_NotifyServiceStatusChangeA(SC_HANDLE h, DWORD mask, PSERVICE_NOTIFYA buf)
{
    PASS(NotifyServiceStatusChangeA, notify_a, h, mask, buf);
    /* Same layout; the names (CREATED/DELETED) in ANSI. */
    DWORD e = notify_status_change(h, mask, (SERVICE_NOTIFYW *)buf, 1);
    return e;
}

/* --- the database lock ----------------------------------------------------------- */
/* SC_LOCKs are this file's values carrying the manager's lock id. */
#define SC_LOCK_BASE ((uintptr_t)0x00005c5e00000000ull)

static SC_LOCK WINAPI hk_LockServiceDatabase(SC_HANDLE scm)
{
    PASS(LockServiceDatabase, lock_fn, scm);
    req r;
    SC_LOCK l = NULL;
    if (req_begin_h(&r, SCM_OP_LOCK, scm, 1) == 0) {
        /* The owner: the manager releases the lock when this process ends. */
        scm_put_u32(&r.w, SCM_F_PID, GetCurrentProcessId());
        if (req_do(&r) == 0)
            l = (SC_LOCK)(SC_LOCK_BASE + r.m.handle);
        req_end(&r);
    }
    return l;
}

static BOOL WINAPI hk_UnlockServiceDatabase(SC_LOCK l)
{
    PASS(UnlockServiceDatabase, unlock_fn, l);
    uintptr_t v = (uintptr_t)l;
    BOOL ok = FALSE;
    req r;
    if (v <= SC_LOCK_BASE || v - SC_LOCK_BASE > 0xffffffffu) {
        SetLastError(ERROR_INVALID_SERVICE_LOCK);
    } else if (req_begin(&r, SCM_OP_UNLOCK) == 0) {
        scm_put_u32(&r.w, SCM_F_HANDLE, (uint32_t)(v - SC_LOCK_BASE));
        ok = req_do(&r) == 0;
        req_end(&r);
    }
    return ok;
}

/* QueryServiceLockStatus, W or A: the struct, then the owner's name. */
static BOOL lock_status(SC_HANDLE scm, void *buf, DWORD size, LPDWORD needed, int ansi)
{
    req r;
    if (req_begin_h(&r, SCM_OP_LOCK_STATUS, scm, 1))
        return FALSE;
    BOOL ok = FALSE;
    if (req_do(&r) == 0) {
        const wchar_t *owner = (const wchar_t *)(r.m.name ? r.m.name : (const uint16_t *)L"");
        DWORD total = (DWORD)sizeof(QUERY_SERVICE_LOCK_STATUSW) + str_bytes(owner, ansi);
        if (needed)
            *needed = total;
        if (!buf || size < total) {
            SetLastError(ERROR_INSUFFICIENT_BUFFER);
        } else {
            QUERY_SERVICE_LOCK_STATUSW *q = buf; /* same layout in the A form */
            q->fIsLocked = r.m.state != 0;
            q->dwLockDuration = r.m.exitcode;
            q->lpLockOwner = str_put((uint8_t *)buf + sizeof *q, owner, ansi);
            ok = TRUE;
        }
    }
    req_end(&r);
    return ok;
}

static BOOL WINAPI hk_QueryServiceLockStatusW(SC_HANDLE scm, LPQUERY_SERVICE_LOCK_STATUSW q,
                                              DWORD size, LPDWORD needed)
{
    PASS(QueryServiceLockStatusW, lock_status_w, scm, q, size, needed);
    BOOL ok = lock_status(scm, q, size, needed, 0);
    return ok;
}

static BOOL WINAPI hk_QueryServiceLockStatusA(SC_HANDLE scm, LPQUERY_SERVICE_LOCK_STATUSA q,
                                              DWORD size, LPDWORD needed)
{
    PASS(QueryServiceLockStatusA, lock_status_a, scm, q, size, needed);
    BOOL ok = lock_status(scm, q, size, needed, 1);
    return ok;
}

/* --- service security descriptors ------------------------------------------------- */
/* The manager keeps each service's SD (self-relative, also in the
 * registry as Windows: Services\<name>\Security) and checks the rights. */
typedef ULONG(NTAPI *rtl_len_sd_fn)(PSECURITY_DESCRIPTOR);
typedef NTSTATUS(NTAPI *rtl_make_rel_fn)(PSECURITY_DESCRIPTOR, PSECURITY_DESCRIPTOR, PULONG);

static void *ntdll_fn(const char *name)
{
    return (void *)GetProcAddress(GetModuleHandleW(L"ntdll.dll"), name);
}

static BOOL WINAPI hk_QueryServiceObjectSecurity(SC_HANDLE h, SECURITY_INFORMATION info,
                                                 PSECURITY_DESCRIPTOR sd, DWORD size,
                                                 LPDWORD needed)
{
    PASS(QueryServiceObjectSecurity, qsec_fn, h, info, sd, size, needed);
    req r;
    BOOL ok = FALSE;
    if (!needed) {
        SetLastError(ERROR_INVALID_ADDRESS);
    } else if (req_begin_h(&r, SCM_OP_QUERY_SD, h, -1) == 0) {
        scm_put_u32(&r.w, SCM_F_FLAGS, info);
        if (req_do(&r) == 0) {
            *needed = r.m.sd_size;
            if (!sd || size < r.m.sd_size) {
                SetLastError(ERROR_INSUFFICIENT_BUFFER);
            } else {
                memcpy(sd, r.m.sd, r.m.sd_size);
                ok = TRUE;
            }
        }
        req_end(&r);
    }
    return ok;
}

static BOOL WINAPI hk_SetServiceObjectSecurity(SC_HANDLE h, SECURITY_INFORMATION info,
                                               PSECURITY_DESCRIPTOR sd)
{
    PASS(SetServiceObjectSecurity, ssec_fn, h, info, sd);
    rtl_len_sd_fn len = (rtl_len_sd_fn)ntdll_fn("RtlLengthSecurityDescriptor");
    rtl_make_rel_fn make = (rtl_make_rel_fn)ntdll_fn("RtlAbsoluteToSelfRelativeSD");
    if (sch_slot(h) < 0) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    /* (RtlValidSecurityDescriptor is BOOLEAN on Windows, NTSTATUS in Wine: the
     * manager checks the descriptor with IsValidSecurityDescriptor.) */
    if (!sd || !len || !make || ((const SECURITY_DESCRIPTOR *)sd)->Revision != 1) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    /* Absolute or self-relative: sent self-relative. */
    ULONG n = len(sd);
    if (n == 0 || n > SCM_MAX_SD) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    void *rel = mem_alloc(n);
    if (!rel) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    BOOL ok = FALSE;
    req r;
    if (((const SECURITY_DESCRIPTOR *)sd)->Control & SE_SELF_RELATIVE)
        memcpy(rel, sd, n);
    else if (make(sd, rel, &n) < 0)
        n = 0;
    if (!n) {
        SetLastError(ERROR_INVALID_PARAMETER);
    } else if (req_begin_h(&r, SCM_OP_SET_SD, h, -1) == 0) {
        scm_put_u32(&r.w, SCM_F_FLAGS, info);
        scm_put_bytes(&r.w, SCM_F_SD, rel, n);
        ok = req_do(&r) == 0;
        req_end(&r);
    }
    mem_free(rel);
    return ok;
}

/* --- the service side ------------------------------------------------------------ */
typedef struct svc_entry {
    wchar_t name[257];
    void *main;        /* LPSERVICE_MAIN_FUNCTIONW or A */
    int ansi;
    LPHANDLER_FUNCTION handler;
    LPHANDLER_FUNCTION_EX handler_ex;
    void *context;
    int registered;
} svc_entry;

static svc_entry g_svc[MAX_SERVICES];
static int g_nsvc;
static uint64_t g_token;
static DWORD g_svc_type;
static SRWLOCK g_svc_lock = SRWLOCK_INIT;

static int svc_find(const wchar_t *name)
{
    for (int i = 0; i < g_nsvc; i++)
        if (scm_wieq((const uint16_t *)g_svc[i].name, (const uint16_t *)name))
            return i;
    /* An own-process service: the name is not checked (as Windows). */
    if (g_nsvc == 1 && (g_svc_type & SERVICE_WIN32_OWN_PROCESS))
        return 0;
    return -1;
}

typedef struct main_args {
    svc_entry *e;
    DWORD argc;
    void **argv;
} main_args;

static DWORD WINAPI service_main_thread(void *p)
{
    main_args *a = p;
    if (a->e->ansi)
        ((LPSERVICE_MAIN_FUNCTIONA)a->e->main)(a->argc, (LPSTR *)a->argv);
    else
        ((LPSERVICE_MAIN_FUNCTIONW)a->e->main)(a->argc, (LPWSTR *)a->argv);
    return 0;
}

/* argv for ServiceMain: the service's name, then the start arguments. */
static main_args *make_args(svc_entry *e, const uint16_t *args)
{
    DWORD argc = 1;
    for (const uint16_t *p = args; p && *p; p += scm_wlen(p) + 1)
        argc++;
    main_args *a = mem_alloc(sizeof *a);
    void **argv = mem_alloc((argc + 1) * sizeof *argv);
    if (!a || !argv)
        return NULL;
    a->e = e;
    a->argc = argc;
    a->argv = argv;
    const uint16_t *p = args;
    for (DWORD i = 0; i < argc; i++) {
        const wchar_t *s = i == 0 ? e->name : (const wchar_t *)p;
        if (i > 0)
            p += scm_wlen(p) + 1;
        if (e->ansi) {
            int n = WideCharToMultiByte(CP_ACP, 0, s, -1, NULL, 0, NULL, NULL);
            char *c = mem_alloc((size_t)n + 1);
            if (c)
                WideCharToMultiByte(CP_ACP, 0, s, -1, c, n, NULL, NULL);
            argv[i] = c;
        } else {
            wchar_t *w = mem_alloc((wlen(s) + 1) * sizeof *w);
            if (w)
                wcopy(w, s);
            argv[i] = w;
        }
    }
    return a;
}

static DWORD call_handler(int i, DWORD control)
{
    AcquireSRWLockShared(&g_svc_lock);
    svc_entry e = g_svc[i];
    ReleaseSRWLockShared(&g_svc_lock);
    if (e.handler_ex)
        return e.handler_ex(control, 0, NULL, e.context);
    if (e.handler) {
        if (control >= 128 || control == SERVICE_CONTROL_STOP ||
            control == SERVICE_CONTROL_PAUSE || control == SERVICE_CONTROL_CONTINUE ||
            control == SERVICE_CONTROL_INTERROGATE || control == SERVICE_CONTROL_SHUTDOWN ||
            control == SERVICE_CONTROL_PARAMCHANGE ||
            (control >= SERVICE_CONTROL_NETBINDADD && control <= SERVICE_CONTROL_NETBINDDISABLE)) {
            e.handler(control);
            return NO_ERROR;
        }
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
    return ERROR_SERVICE_CANNOT_ACCEPT_CTRL; /* no handler registered yet */
}

/* The dispatcher: table has n entries (W or A). */
static BOOL dispatcher(const void *table, int ansi)
{
    wchar_t tok[32];
    DWORD n = GetEnvironmentVariableW(L"PLUME_SVC_TOKEN", tok, 32);
    if (n == 0 || n >= 32 || g_nsvc) {
        /* Not started by the VM's manager (or called twice): as Windows
         * when a service program runs from a console. */
        SetLastError(g_nsvc ? ERROR_SERVICE_ALREADY_RUNNING
                            : ERROR_FAILED_SERVICE_CONTROLLER_CONNECT);
        return FALSE;
    }
    SetEnvironmentVariableW(L"PLUME_SVC_TOKEN", NULL); /* children are no services */
    uint64_t token = 0;
    for (DWORD i = 0; i < n; i++) {
        wchar_t c = tok[i];
        token = token << 4 | (uint64_t)(c >= L'a' ? c - L'a' + 10 : c >= L'A' ? c - L'A' + 10
                                                                             : c - L'0');
    }
    /* The table. */
    const SERVICE_TABLE_ENTRYW *tw = table;
    const SERVICE_TABLE_ENTRYA *ta = table;
    for (int i = 0; i < MAX_SERVICES; i++) {
        const void *name = ansi ? (const void *)ta[i].lpServiceName
                                : (const void *)tw[i].lpServiceName;
        if (!name)
            break;
        svc_entry *e = &g_svc[g_nsvc++];
        if (ansi) {
            MultiByteToWideChar(CP_ACP, 0, ta[i].lpServiceName, -1, e->name, 256);
            e->main = (void *)ta[i].lpServiceProc;
        } else {
            size_t l = wlen(tw[i].lpServiceName);
            if (l > 256)
                l = 256;
            memcpy(e->name, tw[i].lpServiceName, l * sizeof(wchar_t));
            e->main = (void *)tw[i].lpServiceProc;
        }
        e->ansi = ansi;
    }
    if (!g_nsvc) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    HANDLE h = scmc_connect(g_pipe, 10000);
    if (h == INVALID_HANDLE_VALUE) {
        SetLastError(ERROR_FAILED_SERVICE_CONTROLLER_CONNECT);
        return FALSE;
    }
    uint8_t msg[64];
    scm_writer w;
    scm_begin(&w, msg, sizeof msg, SCM_OP_HELLO, 0);
    scm_put_u32(&w, SCM_F_TOKEN_LO, (uint32_t)token);
    scm_put_u32(&w, SCM_F_TOKEN_HI, (uint32_t)(token >> 32));
    scm_put_u32(&w, SCM_F_PID, GetCurrentProcessId());
    DWORD e = scmc_send(h, msg, scm_end(&w));
    scm_msg m;
    uint8_t *rb = e ? NULL : scmc_recv(h, &m, &e);
    if (!rb || m.err || !m.name) {
        e = rb && m.err ? m.err : ERROR_FAILED_SERVICE_CONTROLLER_CONNECT;
        scmc_free(rb);
        CloseHandle(h);
        SetLastError(e);
        return FALSE;
    }
    g_token = token;
    g_svc_type = m.type;
    int i = svc_find((const wchar_t *)m.name);
    if (i < 0) {
        scmc_free(rb);
        CloseHandle(h);
        SetLastError(ERROR_SERVICE_DOES_NOT_EXIST);
        return FALSE;
    }
    /* The name the manager knows it by. */
    wcopy(g_svc[i].name, (const wchar_t *)m.name);
    main_args *a = make_args(&g_svc[i], m.args);
    scmc_free(rb);
    HANDLE t = a ? CreateThread(NULL, 0, service_main_thread, a, 0, NULL) : NULL;
    if (!t) {
        CloseHandle(h);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    CloseHandle(t);
    /* Controls until EXIT (or the manager went away). */
    uint8_t *out = scmc_alloc();
    for (;;) {
        rb = out ? scmc_recv(h, &m, &e) : NULL;
        if (!rb || m.op == SCM_OP_EXIT)
            break;
        DWORD res = ERROR_INVALID_FUNCTION;
        if (m.op == SCM_OP_CTRL && m.name) {
            int k = svc_find((const wchar_t *)m.name);
            res = k < 0 ? ERROR_SERVICE_DOES_NOT_EXIST : call_handler(k, m.control);
        } else if (m.op == SCM_OP_RUN && m.name) {
            /* Another service of this process's table (share process). */
            int k = svc_find((const wchar_t *)m.name);
            main_args *ra = k < 0 ? NULL : make_args(&g_svc[k], m.args);
            HANDLE rt = ra ? CreateThread(NULL, 0, service_main_thread, ra, 0, NULL) : NULL;
            res = k < 0 ? ERROR_SERVICE_NOT_IN_EXE : rt ? 0 : ERROR_NOT_ENOUGH_MEMORY;
            if (rt)
                CloseHandle(rt);
        }
        uint32_t op = m.op, seq = m.seq;
        scmc_free(rb);
        rb = NULL;
        scm_begin(&w, out, SCM_MAX_MSG, op, res);
        scm_put_u32(&w, SCM_F_SEQ, seq);
        if (scmc_send(h, out, scm_end(&w)))
            break;
    }
    /* The last control's reply was written before EXIT was read: wait until
     * the manager has read it (a pipe's flush returns when the other end
     * read everything), so that the process's end, right after this
     * returns, cannot overtake the reply (ControlService would then fail
     * with 1053 although the handler took the control). */
    if (rb)
        FlushFileBuffers(h);
    scmc_free(rb);
    scmc_free(out);
    CloseHandle(h);
    return TRUE;
}

static BOOL WINAPI hk_StartServiceCtrlDispatcherW(const SERVICE_TABLE_ENTRYW *table)
{
    PASS(StartServiceCtrlDispatcherW, dispatcher_w, table);
    BOOL ok = table ? dispatcher(table, 0) : (SetLastError(ERROR_INVALID_PARAMETER), FALSE);
    return ok;
}

static BOOL WINAPI hk_StartServiceCtrlDispatcherA(const SERVICE_TABLE_ENTRYA *table)
{
    PASS(StartServiceCtrlDispatcherA, dispatcher_a, table);
    BOOL ok = table ? dispatcher(table, 1) : (SetLastError(ERROR_INVALID_PARAMETER), FALSE);
    return ok;
}

static SERVICE_STATUS_HANDLE register_handler(const wchar_t *name, LPHANDLER_FUNCTION h,
                                              LPHANDLER_FUNCTION_EX hx, void *ctx)
{
    int i = name ? svc_find(name) : -1;
    if (i < 0) {
        SetLastError(ERROR_SERVICE_DOES_NOT_EXIST);
        return NULL;
    }
    AcquireSRWLockExclusive(&g_svc_lock);
    g_svc[i].handler = h;
    g_svc[i].handler_ex = hx;
    g_svc[i].context = ctx;
    g_svc[i].registered = 1;
    ReleaseSRWLockExclusive(&g_svc_lock);
    return (SERVICE_STATUS_HANDLE)(SS_HANDLE_BASE + (uintptr_t)i * 16);
}

static SERVICE_STATUS_HANDLE WINAPI hk_RegisterServiceCtrlHandlerW(LPCWSTR name,
                                                                   LPHANDLER_FUNCTION h)
{
    PASS(RegisterServiceCtrlHandlerW, reg_w, name, h);
    SERVICE_STATUS_HANDLE r = register_handler(name, h, NULL, NULL);
    return r;
}

static SERVICE_STATUS_HANDLE WINAPI hk_RegisterServiceCtrlHandlerExW(LPCWSTR name,
                                                                     LPHANDLER_FUNCTION_EX h,
                                                                     LPVOID ctx)
{
    PASS(RegisterServiceCtrlHandlerExW, reg_ex_w, name, h, ctx);
    SERVICE_STATUS_HANDLE r = register_handler(name, NULL, h, ctx);
    return r;
}

static SERVICE_STATUS_HANDLE WINAPI hk_RegisterServiceCtrlHandlerA(LPCSTR name,
                                                                   LPHANDLER_FUNCTION h)
{
    PASS(RegisterServiceCtrlHandlerA, reg_a, name, h);
    wchar_t *n = a2w(name, 0);
    SERVICE_STATUS_HANDLE r = register_handler(n, h, NULL, NULL);
    mem_free(n);
    return r;
}

static SERVICE_STATUS_HANDLE WINAPI hk_RegisterServiceCtrlHandlerExA(LPCSTR name,
                                                                     LPHANDLER_FUNCTION_EX h,
                                                                     LPVOID ctx)
{
    PASS(RegisterServiceCtrlHandlerExA, reg_ex_a, name, h, ctx);
    wchar_t *n = a2w(name, 0);
    SERVICE_STATUS_HANDLE r = register_handler(n, NULL, h, ctx);
    mem_free(n);
    return r;
}

static BOOL WINAPI hk_SetServiceStatus(SERVICE_STATUS_HANDLE hs, LPSERVICE_STATUS st)
{
    PASS(SetServiceStatus, set_status_fn, hs, st);
    uintptr_t v = (uintptr_t)hs;
    BOOL ok = FALSE;
    uintptr_t i = (v - SS_HANDLE_BASE) / 16;
    req r;
    if (v < SS_HANDLE_BASE || (v - SS_HANDLE_BASE) % 16 || i >= (uintptr_t)g_nsvc ||
        !g_svc[i].registered) {
        SetLastError(ERROR_INVALID_HANDLE);
    } else if (!st) {
        SetLastError(ERROR_INVALID_ADDRESS);
    } else if (req_begin(&r, SCM_OP_SET_STATUS) == 0) {
        scm_status s = { st->dwServiceType, st->dwCurrentState, st->dwControlsAccepted,
                         st->dwWin32ExitCode, st->dwServiceSpecificExitCode,
                         st->dwCheckPoint, st->dwWaitHint, 0, 0 };
        scm_put_u32(&r.w, SCM_F_TOKEN_LO, (uint32_t)g_token);
        scm_put_u32(&r.w, SCM_F_TOKEN_HI, (uint32_t)(g_token >> 32));
        scm_put_str(&r.w, SCM_F_NAME, (const uint16_t *)g_svc[i].name);
        scm_put_status(&r.w, &s);
        ok = req_do(&r) == 0;
        req_end(&r);
    }
    return ok;
}

/* --- what is not implemented: refused, never passed to the host SCM ---------- */
static BOOL WINAPI hk_refuse_bool(void)
{
    SetLastError(ERROR_CALL_NOT_IMPLEMENTED);
    return FALSE;
}

static DWORD WINAPI hk_refuse_dword(void)
{
    return ERROR_CALL_NOT_IMPLEMENTED;
}

/* --- installation ---------------------------------------------------------------- */
typedef struct hook_def {
    const char *name;
    void *detour;
    void **orig;
} hook_def;

#define H(n) { #n, (void *)hk_##n, &o_##n }
static const hook_def sechost_hooks[] = {
    H(OpenSCManagerW), H(OpenSCManagerA), H(OpenServiceW), H(OpenServiceA),
    H(CreateServiceW), H(CreateServiceA), H(CloseServiceHandle), H(DeleteService),
    H(StartServiceW), H(StartServiceA), H(ControlService), H(QueryServiceStatus),
    H(QueryServiceStatusEx), H(QueryServiceConfigW), H(QueryServiceConfigA),
    H(ChangeServiceConfigW), H(ChangeServiceConfigA), H(QueryServiceConfig2W),
    H(ChangeServiceConfig2W), H(EnumServicesStatusExW), H(EnumDependentServicesW),
    H(GetServiceKeyNameW), H(GetServiceDisplayNameW), H(StartServiceCtrlDispatcherW),
    H(StartServiceCtrlDispatcherA), H(RegisterServiceCtrlHandlerW),
    H(RegisterServiceCtrlHandlerA), H(RegisterServiceCtrlHandlerExW),
    H(RegisterServiceCtrlHandlerExA), H(SetServiceStatus), H(QueryServiceConfig2A),
    H(ChangeServiceConfig2A), H(NotifyServiceStatusChangeW), H(NotifyServiceStatusChangeA),
    H(QueryServiceObjectSecurity), H(SetServiceObjectSecurity), H(ControlServiceExW),
    H(ControlServiceExA),
};
static const hook_def advapi_hooks[] = {
    H(EnumServicesStatusW), H(LockServiceDatabase), H(UnlockServiceDatabase),
    H(QueryServiceLockStatusW), H(QueryServiceLockStatusA), H(EnumServicesStatusExA),
    H(EnumServicesStatusA), H(EnumDependentServicesA), H(GetServiceKeyNameA),
    H(GetServiceDisplayNameA),
};
#undef H
/* Refused (BOOL FALSE or a handle NULL, with ERROR_CALL_NOT_IMPLEMENTED). */
static const char *const refused_bool[] = {
    "CreateServiceEx",
    "EnumServiceGroupW", "EnumServiceGroupA", "I_ScSetServiceBitsA", "I_ScSetServiceBitsW",
    "SetServiceBits", "QueryServiceDynamicInformation", "I_ScQueryServiceConfig",
    "WaitServiceState",
};
/* Refused with a DWORD error result. */
static const char *const refused_dword[] = {
    "NotifyServiceStatusChange",
    "SubscribeServiceChangeNotifications",
};

static void *g_refuse_orig[2][64];

static int install(HMODULE mod, const hook_def *defs, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        void *target = (void *)GetProcAddress(mod, defs[i].name);
        if (!target || *defs[i].orig)
            continue; /* absent here, or already hooked (a forwarder) */
        const char *why = "";
        if (hook_install(target, defs[i].detour, defs[i].orig, &why)) {
            layer_error(defs[i].name, why);
            bad = 1;
        }
    }
    return bad;
}

static int install_refusals(HMODULE mod, int slot)
{
    int bad = 0;
    static void *done[64];
    static int ndone;
    for (int kind = 0; kind < 2; kind++) {
        const char *const *names = kind ? refused_dword : refused_bool;
        size_t n = kind ? sizeof refused_dword / sizeof *refused_dword
                        : sizeof refused_bool / sizeof *refused_bool;
        for (size_t i = 0; i < n; i++) {
            void *target = (void *)GetProcAddress(mod, names[i]);
            int seen = 0;
            for (int k = 0; k < ndone; k++)
                seen |= done[k] == target;
            if (!target || seen || ndone >= 64)
                continue;
            done[ndone++] = target;
            const char *why = "";
            if (hook_install(target, kind ? (void *)hk_refuse_dword : (void *)hk_refuse_bool,
                             &g_refuse_orig[slot][i % 64], &why)) {
                layer_error(names[i], why);
                bad = 1;
            }
        }
    }
    return bad;
}

static int lower_eq(const UNICODE_STRING *u, const wchar_t *s)
{
    size_t n = u->Length / sizeof(wchar_t);
    if (n != wlen(s))
        return 0;
    for (size_t i = 0; i < n; i++) {
        wchar_t c = u->Buffer[i];
        if (c >= L'A' && c <= L'Z')
            c = (wchar_t)(c + 32);
        if (c != s[i])
            return 0;
    }
    return 1;
}

static void on_module(HMODULE mod, int is_sechost)
{
    int bad = is_sechost ? install(mod, sechost_hooks, sizeof sechost_hooks / sizeof *sechost_hooks)
                         : install(mod, advapi_hooks, sizeof advapi_hooks / sizeof *advapi_hooks);
    bad |= install_refusals(mod, is_sechost ? 0 : 1);
    if (bad) {
        /* Fail closed: a VM process must not reach the host's SCM. */
        layer_error("the service API could not be redirected", "the process is ended");
        TerminateProcess(GetCurrentProcess(), ERROR_ACCESS_DENIED);
    }
}

typedef struct ldr_notif {
    ULONG flags;
    const UNICODE_STRING *full;
    const UNICODE_STRING *base;
    void *dll_base;
    ULONG size;
} ldr_notif;
typedef VOID(CALLBACK *ldr_notif_fn)(ULONG, const ldr_notif *, PVOID);
typedef NTSTATUS(NTAPI *ldr_register_fn)(ULONG, ldr_notif_fn, PVOID, PVOID *);

static VOID CALLBACK on_dll(ULONG reason, const ldr_notif *d, PVOID ctx)
{
    (void)ctx;
    if (reason != 1 /* LDR_DLL_NOTIFICATION_REASON_LOADED */ || !d || !d->base)
        return;
    if (lower_eq(d->base, L"sechost.dll"))
        on_module((HMODULE)d->dll_base, 1);
    else if (lower_eq(d->base, L"advapi32.dll"))
        on_module((HMODULE)d->dll_base, 0);
}

int svc_init(void)
{
    if (scmc_pipe_name(g_vmtag, g_pipe)) {
        layer_error("services", "the VM tag is too long for the manager's pipe name");
        return -1;
    }
    ldr_register_fn reg = (ldr_register_fn)(void *)GetProcAddress(
        GetModuleHandleW(L"ntdll.dll"), "LdrRegisterDllNotification");
    void *cookie;
    if (!reg || reg(0, on_dll, NULL, &cookie) < 0) {
        layer_error("services", "cannot watch DLL loads (LdrRegisterDllNotification)");
        return -1;
    }
    g_ready = 1;
    HMODULE m = GetModuleHandleW(L"sechost.dll");
    if (m)
        on_module(m, 1);
    m = GetModuleHandleW(L"advapi32.dll");
    if (m)
        on_module(m, 0);
    return 0;
}
