/* Service processes: start (dependencies first), the dispatcher's hello,
 * controls, status reports, crashes, failure actions, shutdown.
 *
 * A start creates the service's process inside the VM (this process is in
 * the VM: the layer contains it) with PLUME_SVC_TOKEN=<64-bit hex> in its
 * environment. The process's StartServiceCtrlDispatcher (layer, svc.c)
 * connects to the pipe and says HELLO with the token; the reply names the
 * service to run and its arguments. From then on the manager sends
 * controls on that connection (CTRL, answered with the handler's result)
 * and, once the service reported STOPPED, EXIT, which ends the
 * dispatcher. A thread per service process waits on its handle: a process
 * that ends before its service said STOPPED is a crash, reported at once
 * as STOPPED with ERROR_PROCESS_ABORTED (as Windows) and its exit code.
 *
 * Share-process services (SERVICE_WIN32_SHARE_PROCESS) with the same image
 * (the expanded command line: "svchost.exe -k netsvcs" for every member of
 * that group) run in one process: the first start creates it, a later one
 * sends RUN (name, args) on its dispatcher connection and the dispatcher
 * runs that service's ServiceMain. EXIT goes when every service of the
 * process stopped.
 *
 * Replies on a dispatcher connection (to CTRL and RUN, matched by SEQ)
 * are read by the connection's own thread (svc_ctl_reader): a sender
 * waits for its reply at most g_ctl_timeout (30 s as Windows; then
 * ERROR_SERVICE_REQUEST_TIMEOUT) without holding any lock. */
#include "scm.h"
#include "client.h"
#include "svcfail.h"

#include <tlhelp32.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define START_WAIT_HINT 2000  /* the status of a start before the service speaks */
#define SHUTDOWN_CTL_MS 10000 /* a handler's time at a VM's shutdown (within its bound) */

DWORD g_ctl_timeout = 30000;
uint32_t g_change;
static sproc **g_procs;
static size_t g_nprocs;
static int g_shutting_down;

static uint64_t new_token(void)
{
    static LONG counter;
    LARGE_INTEGER q;
    QueryPerformanceCounter(&q);
    uint64_t x = (uint64_t)q.QuadPart ^ ((uint64_t)GetCurrentProcessId() << 32) ^
                 ((uint64_t)InterlockedIncrement(&counter) << 48) ^ (uint64_t)(uintptr_t)&q;
    /* splitmix64 */
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static void changed(void)
{
    WakeAllConditionVariable(&g_changed);
}

void svc_changed(svc *s)
{
    s->change = ++g_change;
    if (!s->change)
        s->change = ++g_change;
    changed();
}

/* Waits for a change with the lock held; 0 when ms ran out. */
static int wait_change(DWORD ms)
{
    return SleepConditionVariableCS(&g_changed, &g_lock, ms) ? 1 : 0;
}

/* --- service processes ---------------------------------------------------------- */
/* Replies read on a dispatcher connection: the last few, by SEQ. */
#define REPLIES 8
typedef struct sproc_x {
    sproc p;
    uint32_t rseq[REPLIES];
    DWORD rerr[REPLIES];
    unsigned rnext;
} sproc_x;

static sproc *sproc_new(const wchar_t *image, int shared)
{
    sproc_x *x = calloc(1, sizeof *x);
    sproc **a = realloc(g_procs, (g_nprocs + 1) * sizeof *a);
    if (a)
        g_procs = a;
    if (!x || !a) {
        free(x);
        return NULL;
    }
    x->p.image = scm_wcsdup(image);
    x->p.shared = shared;
    InitializeCriticalSection(&x->p.ctl_lock);
    g_procs[g_nprocs++] = &x->p;
    return &x->p;
}

/* Drops a pin (lock held); frees p once its process ended and no thread
 * uses it. */
static void sproc_unpin(sproc *p)
{
    if (--p->pins > 0 || !p->ended)
        return;
    for (size_t i = 0; i < g_nprocs; i++)
        if (g_procs[i] == p) {
            g_procs[i] = g_procs[--g_nprocs];
            break;
        }
    for (size_t i = 0; i < g_nsvcs; i++)
        if (g_svcs[i]->p == p)
            g_svcs[i]->p = NULL;
    DeleteCriticalSection(&p->ctl_lock);
    free(p->image);
    free(p);
}

/* Is every service of p stopped? */
static int all_stopped(sproc *p)
{
    for (size_t i = 0; i < g_nsvcs; i++)
        if (g_svcs[i]->p == p && g_svcs[i]->st.state != SERVICE_STOPPED)
            return 0;
    return 1;
}

/* Sends one message on p's dispatcher connection and, when want_reply,
 * waits for its reply (lock held on entry and exit; released meanwhile).
 * The reply's error, or ERROR_SERVICE_REQUEST_TIMEOUT (no reply within
 * g_ctl_timeout, or the process went away). */
static DWORD send_wait(sproc *p, uint32_t op, const wchar_t *name, DWORD control,
                       const wchar_t *args, DWORD timeout)
{
    sproc_x *x = (sproc_x *)p;
    p->pins++;
    uint32_t seq = ++p->seq;
    LeaveCriticalSection(&g_lock);
    uint8_t *buf = scmc_alloc();
    DWORD e = ERROR_NOT_ENOUGH_MEMORY;
    if (buf) {
        scm_writer w;
        scm_begin(&w, buf, SCM_MAX_MSG, op, 0);
        scm_put_str(&w, SCM_F_NAME, (const uint16_t *)name);
        scm_put_u32(&w, SCM_F_SEQ, seq);
        if (op == SCM_OP_CTRL)
            scm_put_u32(&w, SCM_F_CONTROL, control);
        else
            scm_put_msz(&w, SCM_F_ARGS, (const uint16_t *)(args ? args : L""));
        size_t n = scm_end(&w);
        EnterCriticalSection(&p->ctl_lock);
        EnterCriticalSection(&g_lock);
        HANDLE h = p->dead ? NULL : p->ctl;
        LeaveCriticalSection(&g_lock);
        e = !h ? ERROR_SERVICE_REQUEST_TIMEOUT : n ? scmc_send(h, buf, n) : ERROR_INSUFFICIENT_BUFFER;
        LeaveCriticalSection(&p->ctl_lock);
        scmc_free(buf);
    }
    EnterCriticalSection(&g_lock);
    if (!e) {
        DWORD begin = GetTickCount();
        for (;;) {
            int got = -1;
            for (int i = 0; i < REPLIES; i++)
                if (x->rseq[i] == seq)
                    got = i;
            if (got >= 0) {
                e = x->rerr[got];
                break;
            }
            DWORD spent = GetTickCount() - begin;
            if (p->dead || spent >= timeout) {
                /* The process went away during the control (a crash), or
                 * its handler did not return in time: as Windows. */
                e = ERROR_SERVICE_REQUEST_TIMEOUT;
                break;
            }
            wait_change(timeout - spent);
        }
    } else if (e != ERROR_SERVICE_REQUEST_TIMEOUT && e != ERROR_NOT_ENOUGH_MEMORY) {
        e = ERROR_SERVICE_REQUEST_TIMEOUT; /* a broken pipe: the process is going */
    }
    sproc_unpin(p);
    return e;
}

/* --- the record of service processes ---------------------------------------------
 * %SystemRoot%\plume-scm.procs (the VM's view, beside the log): one line
 * per live service process, "pid creation-time" (FILETIME as 64-bit
 * hex), rewritten (temporary file, then renamed) on every start and end.
 * A manager that was killed leaves it behind with the processes it
 * started, which outlive it in the VM; the next manager ends them and
 * their descendants before it serves anyone (svc_reap_orphans), so
 * its records (every service STOPPED) are true and auto-start services
 * can start again. docs/fault.md, "Service manager killed". */
static int procs_path(wchar_t *buf, size_t cap, const wchar_t *suffix)
{
    UINT k = GetWindowsDirectoryW(buf, (UINT)cap);
    if (!k || k + wcslen(suffix) + 1 > cap)
        return 0;
    wcscpy(buf + k, suffix);
    return 1;
}

static uint64_t proc_created(HANDLE h)
{
    FILETIME c, e, k, u;
    if (!GetProcessTimes(h, &c, &e, &k, &u))
        return 0;
    return (uint64_t)c.dwHighDateTime << 32 | c.dwLowDateTime;
}

/* Rewrites the record (lock held). */
static void procs_save(void)
{
    wchar_t path[MAX_PATH + 32], tmp[MAX_PATH + 32];
    if (!procs_path(path, MAX_PATH + 32, L"\\plume-scm.procs") ||
        !procs_path(tmp, MAX_PATH + 32, L"\\plume-scm.procs.tmp"))
        return;
    size_t live = 0;
    for (size_t i = 0; i < g_nprocs; i++)
        live += g_procs[i]->proc && !g_procs[i]->ended;
    if (!live) {
        DeleteFileW(path); /* none: no file (nothing in plume diff) */
        return;
    }
    FILE *f = _wfopen(tmp, L"w");
    if (!f)
        return;
    char pn[200];
    fprintf(f, "plume-scm %s\n", scm_narrow(g_pipe_name, pn, sizeof pn));
    for (size_t i = 0; i < g_nprocs; i++) {
        sproc *p = g_procs[i];
        if (p->proc && !p->ended)
            fprintf(f, "%lu %016llx\n", (unsigned long)p->pid,
                    (unsigned long long)proc_created(p->proc));
    }
    int bad = ferror(f);
    if (fclose(f) || bad || !MoveFileExW(tmp, path, MOVEFILE_REPLACE_EXISTING))
        DeleteFileW(tmp);
}

#define ORPHANS_MAX 256
typedef struct orphan {
    DWORD pid;
    uint64_t created;
    HANDLE h;   /* NULL: gone (its descendants may not be) */
    int reused; /* its id is another process's now: not its parent */
} orphan;

static int orphan_known(const orphan *o, size_t n, DWORD pid)
{
    for (size_t i = 0; i < n; i++)
        if (o[i].pid == pid)
            return 1;
    return 0;
}

size_t svc_reap_orphans(void)
{
    wchar_t path[MAX_PATH + 32];
    if (!procs_path(path, MAX_PATH + 32, L"\\plume-scm.procs"))
        return 0;
    FILE *f = _wfopen(path, L"r");
    if (!f)
        return 0;
    static orphan o[ORPHANS_MAX];
    size_t n = 0, ended = 0;
    unsigned long pid;
    unsigned long long created;
    DWORD self = GetCurrentProcessId();
    /* Only this VM's record: one another VM's manager wrote (a file
     * committed to the host, seen through) names other processes. */
    char head[256], want[256], pn[200];
    snprintf(want, sizeof want, "plume-scm %s\n", scm_narrow(g_pipe_name, pn, sizeof pn));
    if (!fgets(head, sizeof head, f) || strcmp(head, want)) {
        fclose(f);
        scm_log("plume-scm.procs is not this VM's record: ignored");
        return 0;
    }
    while (n < ORPHANS_MAX && fscanf(f, "%lu %llx", &pid, &created) == 2) {
        if (!pid || pid == self || orphan_known(o, n, (DWORD)pid))
            continue;
        o[n] = (orphan){ (DWORD)pid, created, NULL, 0 };
        HANDLE h = OpenProcess(PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE,
                               FALSE, (DWORD)pid);
        /* The same process, not another that reuses its id. */
        if (h && proc_created(h) == created)
            o[n].h = h;
        else if (h)
            CloseHandle(h), o[n].reused = 1;
        n++;
    }
    fclose(f);
    /* Their descendants: a process whose parent is one of them and that
     * was created after it (a server its service wrapper started). */
    for (int round = 0; round < 8; round++) {
        size_t before = n;
        HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
        if (snap == INVALID_HANDLE_VALUE)
            break;
        PROCESSENTRY32W pe;
        pe.dwSize = sizeof pe;
        for (BOOL more = Process32FirstW(snap, &pe); more && n < ORPHANS_MAX;
             more = Process32NextW(snap, &pe)) {
            if (pe.th32ProcessID == self || orphan_known(o, n, pe.th32ProcessID))
                continue;
            for (size_t i = 0; i < n; i++) {
                if (o[i].pid != pe.th32ParentProcessID || o[i].reused)
                    continue;
                HANDLE h = OpenProcess(PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION |
                                           SYNCHRONIZE, FALSE, pe.th32ProcessID);
                uint64_t c = h ? proc_created(h) : 0;
                if (h && c >= o[i].created) {
                    o[n++] = (orphan){ pe.th32ProcessID, c, h, 0 };
                } else if (h) {
                    CloseHandle(h);
                }
                break;
            }
        }
        CloseHandle(snap);
        if (n == before)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        if (!o[i].h)
            continue;
        if (WaitForSingleObject(o[i].h, 0) == WAIT_TIMEOUT) {
            scm_log("process %lu, left by a previous manager: ended", (unsigned long)o[i].pid);
            TerminateProcess(o[i].h, ERROR_PROCESS_ABORTED);
            ended++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!o[i].h)
            continue;
        WaitForSingleObject(o[i].h, 5000);
        CloseHandle(o[i].h);
    }
    if (ended)
        scm_log("%lu service processes left by a previous manager were ended",
                (unsigned long)ended);
    DeleteFileW(path);
    return ended;
}

/* --- failure actions ---------------------------------------------------------------- */
typedef struct restart_job {
    svc *s;
    DWORD delay;
} restart_job;

static DWORD WINAPI restarter(void *arg)
{
    restart_job *j = arg;
    svc *s = j->s;
    Sleep(j->delay);
    EnterCriticalSection(&g_lock);
    s->restart_pending = 0;
    char n[300];
    scm_narrow(s->name, n, sizeof n);
    if (g_shutting_down || s->marked_delete || s->start == SERVICE_DISABLED ||
        s->st.state != SERVICE_STOPPED) {
        scm_log("service %s: restart (failure action) not done", n);
    } else {
        DWORD e = svc_start(s, NULL);
        scm_log("service %s: restarted by its failure actions: %lu", n, (unsigned long)e);
    }
    s->pins--;
    db_reap(s);
    LeaveCriticalSection(&g_lock);
    free(j);
    return 0;
}

/* s failed (its process crashed, or it stopped with an error and its
 * failure actions apply to that): the next action (lock held). */
static void on_failure(svc *s)
{
    char n[300];
    scm_narrow(s->name, n, sizeof n);
    int i = svcfail_next(s->fa_reset, s->fa_count, &s->fails, &s->last_fail, GetTickCount64());
    if (i < 0 || g_shutting_down)
        return;
    DWORD type = s->fa[2 * i], delay = s->fa[2 * i + 1];
    scm_log("service %s: failure %lu: action %lu after %lu ms", n, (unsigned long)s->fails,
            (unsigned long)type, (unsigned long)delay);
    if (type == SC_ACTION_RESTART && !s->restart_pending) {
        restart_job *j = malloc(sizeof *j);
        if (!j)
            return;
        j->s = s;
        j->delay = delay;
        s->restart_pending = 1;
        s->pins++;
        HANDLE t = CreateThread(NULL, 0, restarter, j, 0, NULL);
        if (t) {
            CloseHandle(t);
        } else {
            s->restart_pending = 0;
            s->pins--;
            free(j);
        }
    } else if (type == SC_ACTION_RUN_COMMAND && s->fa_command && s->fa_command[0]) {
        /* Run inside the VM (this process is), %1% = the failure count. */
        wchar_t cmd[4096], cnt[16];
        _snwprintf(cnt, 16, L"%lu", (unsigned long)s->fails);
        cnt[15] = 0;
        size_t o = 0;
        for (const wchar_t *c = s->fa_command; *c && o + 16 < 4096;) {
            if (!wcsncmp(c, L"%1%", 3)) {
                for (const wchar_t *d = cnt; *d; d++)
                    cmd[o++] = *d;
                c += 3;
            } else {
                cmd[o++] = *c++;
            }
        }
        cmd[o] = 0;
        STARTUPINFOW si;
        memset(&si, 0, sizeof si);
        si.cb = sizeof si;
        PROCESS_INFORMATION pi;
        if (CreateProcessW(NULL, cmd, NULL, NULL, FALSE, DETACHED_PROCESS, NULL, NULL, &si,
                           &pi)) {
            CloseHandle(pi.hThread);
            CloseHandle(pi.hProcess);
        } else {
            scm_log("service %s: failure command: error %lu", n, (unsigned long)GetLastError());
        }
    } else if (type == SC_ACTION_REBOOT) {
        /* A VM has no reboot of its own: logged, not done (docs/ns-svc.md). */
        scm_log("service %s: reboot action not supported in a VM: nothing done", n);
    }
}

/* --- the process watcher ------------------------------------------------------ */
static DWORD WINAPI watcher(void *arg)
{
    sproc *p = arg;
    WaitForSingleObject(p->proc, INFINITE);
    DWORD code = 0;
    GetExitCodeProcess(p->proc, &code);
    char n[300];
    EnterCriticalSection(&g_lock);
    svc **mine = calloc(g_nsvcs + 1, sizeof *mine);
    size_t k = 0;
    for (size_t i = 0; i < g_nsvcs; i++) {
        svc *s = g_svcs[i];
        if (s->p != p)
            continue;
        s->exit_code = code;
        int crashed = s->st.state != SERVICE_STOPPED;
        if (crashed) {
            scm_log("service %s: its process ended (exit code %lu) while %lu: crashed",
                    scm_narrow(s->name, n, sizeof n), (unsigned long)code,
                    (unsigned long)s->st.state);
            s->st.state = SERVICE_STOPPED;
            s->st.win32_exit = ERROR_PROCESS_ABORTED;
            s->st.specific_exit = 0;
        } else {
            scm_log("service %s: process ended (exit code %lu)",
                    scm_narrow(s->name, n, sizeof n), (unsigned long)code);
        }
        s->st.accepted = s->st.checkpoint = s->st.wait_hint = s->st.pid = 0;
        s->hello = 0;
        s->p = NULL;
        svc_changed(s);
        if (crashed)
            on_failure(s);
        if (mine)
            mine[k++] = s;
    }
    p->ended = 1;
    /* With a dispatcher connection, its reader marks the process dead once
     * it has read everything: a reply already in the pipe (the handler
     * answered, then the process exited) still counts. */
    if (!p->hello)
        p->dead = 1;
    CloseHandle(p->proc);
    p->proc = NULL;
    procs_save();
    changed();
    for (size_t i = 0; i < k; i++)
        db_reap(mine[i]);
    free(mine);
    sproc_unpin(p);
    LeaveCriticalSection(&g_lock);
    return 0;
}

/* --- start ----------------------------------------------------------------- */
/* The environment block of a service: ours plus PLUME_SVC_TOKEN. */
static wchar_t *service_env(uint64_t token)
{
    wchar_t *env = GetEnvironmentStringsW();
    size_t n = 0;
    while (env[n])
        n += wcslen(env + n) + 1;
    wchar_t extra[64];
    int k = _snwprintf(extra, 64, L"PLUME_SVC_TOKEN=%016llx", (unsigned long long)token);
    wchar_t *blk = malloc((n + (size_t)k + 3) * sizeof *blk);
    if (blk) {
        size_t o = 0;
        for (size_t i = 0; i < n;) {
            size_t l = wcslen(env + i) + 1;
            if (_wcsnicmp(env + i, L"PLUME_SVC_TOKEN=", 16))
                memcpy(blk + o, env + i, l * sizeof *blk), o += l;
            i += l;
        }
        memcpy(blk + o, extra, ((size_t)k + 1) * sizeof *blk);
        o += (size_t)k + 1;
        blk[o] = 0;
    }
    FreeEnvironmentStringsW(env);
    return blk;
}

/* The running process a share-process service with this image joins. */
static sproc *shared_host(const wchar_t *image)
{
    for (size_t i = 0; i < g_nprocs; i++) {
        sproc *p = g_procs[i];
        if (p->shared && !p->exiting && !p->ended && !p->dead && p->image &&
            !_wcsicmp(p->image, image))
            return p;
    }
    return NULL;
}

/* Starts s in the running process p (share process). */
static DWORD start_in(svc *s, sproc *p, const wchar_t *args, const char *n)
{
    s->p = p;
    s->hello = 0;
    s->st = (scm_status){ s->type, SERVICE_START_PENDING, 0, 0, 0, 0, START_WAIT_HINT, p->pid, 0 };
    svc_changed(s);
    p->pins++;
    /* The process may still be connecting (its first service's start). */
    DWORD begin = GetTickCount();
    while (!p->hello && !p->ended && s->p == p) {
        DWORD spent = GetTickCount() - begin;
        if (spent >= g_pipe_timeout)
            break;
        wait_change(g_pipe_timeout - spent);
    }
    DWORD e = p->hello && !p->dead ? send_wait(p, SCM_OP_RUN, s->name, 0, args, g_ctl_timeout)
                                   : ERROR_SERVICE_REQUEST_TIMEOUT;
    if (!e && s->p == p) {
        s->hello = 1;
        scm_log("service %s: started in the running process %lu", n, (unsigned long)p->pid);
    } else {
        if (!e)
            e = ERROR_PROCESS_ABORTED;
        scm_log("service %s: the process %lu did not take it: error %lu", n,
                (unsigned long)p->pid, (unsigned long)e);
        if (s->p == p) {
            s->p = NULL;
            s->st.state = SERVICE_STOPPED;
            s->st.win32_exit = e;
            s->st.pid = 0;
            svc_changed(s);
        }
    }
    sproc_unpin(p);
    return e;
}

DWORD svc_start_one(svc *s, const wchar_t *args)
{
    char n[300];
    scm_narrow(s->name, n, sizeof n);
    if (s->marked_delete)
        return ERROR_SERVICE_MARKED_FOR_DELETE;
    if (s->start == SERVICE_DISABLED)
        return ERROR_SERVICE_DISABLED;
    /* (Its old process may still be ending after it reported STOPPED: the
     * start goes on, as on Windows; the old process's watcher then leaves
     * the record alone.) */
    if (s->st.state != SERVICE_STOPPED)
        return ERROR_SERVICE_ALREADY_RUNNING;
    if (!(s->type & SERVICE_WIN32))
        return ERROR_NOT_SUPPORTED; /* drivers: no kernel here */
    if (!s->path || !s->path[0])
        return ERROR_BAD_EXE_FORMAT;
    wchar_t *cmd = malloc(32768 * sizeof *cmd);
    if (!cmd)
        return ERROR_NOT_ENOUGH_MEMORY;
    DWORD len = ExpandEnvironmentStringsW(s->path, cmd, 32768);
    if (!len || len > 32768) {
        free(cmd);
        return ERROR_BAD_EXE_FORMAT;
    }
    int shared = (s->type & SERVICE_WIN32_SHARE_PROCESS) != 0;
    sproc *host = shared ? shared_host(cmd) : NULL;
    if (host) {
        free(cmd);
        return start_in(s, host, args, n);
    }
    sproc *p = sproc_new(cmd, shared);
    if (!p) {
        free(cmd);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    p->token = new_token();
    wchar_t *env = service_env(p->token);
    if (!env) {
        free(cmd);
        p->ended = 1;
        p->pins = 1;
        sproc_unpin(p);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    free(s->start_args);
    s->start_args = scm_mszdup(args ? args : L"");
    STARTUPINFOW si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES; /* none: a service has no console */
    PROCESS_INFORMATION pi;
    BOOL ok = CreateProcessW(NULL, cmd, NULL, NULL, FALSE,
                             CREATE_UNICODE_ENVIRONMENT | DETACHED_PROCESS | CREATE_SUSPENDED,
                             env, NULL, &si, &pi);
    DWORD e = ok ? 0 : GetLastError();
    free(env);
    free(cmd);
    if (!ok) {
        scm_log("service %s: cannot start its process: error %lu", n, (unsigned long)e);
        s->st.win32_exit = e;
        p->ended = 1;
        p->pins = 1;
        sproc_unpin(p);
        return e;
    }
    p->proc = pi.hProcess;
    p->pid = pi.dwProcessId;
    p->first = s;
    procs_save();
    p->pins = 1; /* the watcher's */
    s->p = p;
    s->hello = 0;
    s->st = (scm_status){ s->type, SERVICE_START_PENDING, 0, 0, 0, 0, START_WAIT_HINT,
                          pi.dwProcessId, 0 };
    HANDLE t = CreateThread(NULL, 0, watcher, p, 0, NULL);
    if (t) {
        CloseHandle(t);
    } else {
        TerminateProcess(pi.hProcess, ERROR_NOT_ENOUGH_MEMORY);
        WaitForSingleObject(pi.hProcess, 5000);
    }
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    scm_log("service %s: process %lu started", n, (unsigned long)pi.dwProcessId);
    svc_changed(s);

    /* StartService returns once the dispatcher took the start. */
    DWORD begin = GetTickCount();
    p->pins++;
    while (!s->hello && s->p == p && s->st.state == SERVICE_START_PENDING) {
        DWORD spent = GetTickCount() - begin;
        if (spent >= g_pipe_timeout)
            break;
        wait_change(g_pipe_timeout - spent);
    }
    if (s->hello && s->p == p) {
        sproc_unpin(p);
        return 0;
    }
    if (s->p == p && s->st.state == SERVICE_START_PENDING) {
        scm_log("service %s: did not connect within %lu ms: ended", n,
                (unsigned long)g_pipe_timeout);
        if (p->proc)
            TerminateProcess(p->proc, ERROR_SERVICE_REQUEST_TIMEOUT);
        s->st.state = SERVICE_STOPPED;
        s->st.win32_exit = ERROR_SERVICE_REQUEST_TIMEOUT;
        s->st.pid = 0;
        svc_changed(s);
        sproc_unpin(p);
        return ERROR_SERVICE_REQUEST_TIMEOUT;
    }
    sproc_unpin(p);
    return s->st.win32_exit == ERROR_PROCESS_ABORTED || s->st.state == SERVICE_STOPPED
               ? ERROR_PROCESS_ABORTED
               : 0;
}

DWORD svc_wait_running(svc *s)
{
    DWORD cp = s->st.checkpoint, since = GetTickCount();
    for (;;) {
        if (s->st.state == SERVICE_RUNNING)
            return 0;
        if (s->st.state != SERVICE_START_PENDING)
            return s->st.win32_exit ? s->st.win32_exit : ERROR_SERVICE_NOT_ACTIVE;
        if (s->st.checkpoint != cp) {
            cp = s->st.checkpoint;
            since = GetTickCount();
        }
        /* No progress within the wait hint: the start failed. */
        DWORD hint = s->st.wait_hint < START_WAIT_HINT ? START_WAIT_HINT : s->st.wait_hint;
        DWORD spent = GetTickCount() - since;
        if (spent >= hint) {
            char n[300];
            scm_log("service %s: no progress within its wait hint (%lu ms)",
                    scm_narrow(s->name, n, sizeof n), (unsigned long)hint);
            return ERROR_SERVICE_REQUEST_TIMEOUT;
        }
        wait_change(hint - spent);
    }
}

/* Whether x's dependencies are met: every DependOnService RUNNING, and for
 * each DependOnGroup at least one member of the group RUNNING (as Windows:
 * a group is satisfied by any member that started). */
static int deps_met(svc *x)
{
    for (const wchar_t *d = x->deps; d && *d; d += wcslen(d) + 1) {
        if (*d == L'+') {
            int any = 0;
            for (size_t j = 0; j < g_nsvcs && !any; j++)
                any = g_svcs[j]->group &&
                      scm_wieq((const uint16_t *)g_svcs[j]->group, (const uint16_t *)(d + 1)) &&
                      g_svcs[j]->st.state == SERVICE_RUNNING;
            if (!any)
                return 0;
        } else {
            svc *t = db_find(d);
            if (!t || t->st.state != SERVICE_RUNNING)
                return 0;
        }
    }
    return 1;
}

DWORD svc_start(svc *s, const wchar_t *args)
{
    if (s->marked_delete)
        return ERROR_SERVICE_MARKED_FOR_DELETE;
    if (s->start == SERVICE_DISABLED)
        return ERROR_SERVICE_DISABLED;
    if (s->st.state != SERVICE_STOPPED)
        return ERROR_SERVICE_ALREADY_RUNNING;
    svc **order;
    size_t n;
    DWORD e = graph_start_order(&s, 1, &order, &n);
    if (e)
        return e;
    s->pins++;
    /* Dependencies first, in order; one that fails does not stop the
     * others: a group is met by any member that runs. A service whose own
     * dependencies are not met is not started. */
    for (size_t i = 0; i < n; i++) {
        svc *d = order[i];
        if (d == s || d->st.state == SERVICE_RUNNING)
            continue;
        char dn[300], sn[300];
        DWORD de = ERROR_SERVICE_DEPENDENCY_FAIL;
        if (deps_met(d)) {
            de = 0;
            if (d->st.state == SERVICE_STOPPED)
                de = svc_start_one(d, NULL);
            if (!de)
                de = svc_wait_running(d);
        }
        if (de)
            scm_log("service %s: dependency %s failed: error %lu",
                    scm_narrow(s->name, sn, sizeof sn), scm_narrow(d->name, dn, sizeof dn),
                    (unsigned long)de);
    }
    free(order);
    e = deps_met(s) ? svc_start_one(s, args) : ERROR_SERVICE_DEPENDENCY_FAIL;
    s->pins--;
    return e;
}

/* --- the dispatcher connection ----------------------------------------------- */
sproc *svc_hello(HANDLE h, const scm_msg *m)
{
    uint64_t token = (uint64_t)m->token_hi << 32 | m->token_lo;
    uint8_t *buf = scmc_alloc();
    if (!buf)
        return NULL;
    scm_writer w;
    EnterCriticalSection(&g_lock);
    sproc *p = NULL;
    for (size_t i = 0; i < g_nprocs; i++)
        if (g_procs[i]->token == token && !g_procs[i]->hello && !g_procs[i]->ended &&
            g_procs[i]->pid == m->pid)
            p = g_procs[i];
    svc *s = p ? p->first : NULL;
    if (!s || s->p != p) {
        LeaveCriticalSection(&g_lock);
        scm_begin(&w, buf, SCM_MAX_MSG, SCM_OP_HELLO, ERROR_FAILED_SERVICE_CONTROLLER_CONNECT);
        size_t n = scm_end(&w);
        scmc_send(h, buf, n);
        scmc_free(buf);
        return NULL;
    }
    scm_begin(&w, buf, SCM_MAX_MSG, SCM_OP_HELLO, 0);
    scm_put_str(&w, SCM_F_NAME, (const uint16_t *)s->name);
    scm_put_u32(&w, SCM_F_TYPE, s->type);
    scm_put_msz(&w, SCM_F_ARGS, (const uint16_t *)s->start_args);
    size_t n = scm_end(&w);
    DWORD e = n ? scmc_send(h, buf, n) : ERROR_INSUFFICIENT_BUFFER;
    scmc_free(buf);
    if (!e) {
        p->ctl = h;
        p->hello = 1;
        p->pins++; /* the reader's */
        s->hello = 1;
        free(s->start_args);
        s->start_args = NULL;
        char nm[300];
        scm_log("service %s: dispatcher connected", scm_narrow(s->name, nm, sizeof nm));
    }
    changed();
    LeaveCriticalSection(&g_lock);
    return e ? NULL : p;
}

void svc_ctl_reader(sproc *p, HANDLE h)
{
    sproc_x *x = (sproc_x *)p;
    for (;;) {
        scm_msg m;
        DWORD e;
        uint8_t *rb = scmc_recv(h, &m, &e);
        if (!rb)
            break;
        EnterCriticalSection(&g_lock);
        if (SCM_HAS(&m, SEQ)) {
            x->rseq[x->rnext % REPLIES] = m.seq;
            x->rerr[x->rnext % REPLIES] = m.err;
            x->rnext++;
        }
        changed();
        LeaveCriticalSection(&g_lock);
        scmc_free(rb);
    }
    EnterCriticalSection(&g_lock);
    p->dead = 1;
    changed();
    LeaveCriticalSection(&g_lock);
    EnterCriticalSection(&p->ctl_lock);
    EnterCriticalSection(&g_lock);
    p->ctl = NULL;
    LeaveCriticalSection(&g_lock);
    DisconnectNamedPipe(h);
    CloseHandle(h);
    LeaveCriticalSection(&p->ctl_lock);
    EnterCriticalSection(&g_lock);
    sproc_unpin(p);
    LeaveCriticalSection(&g_lock);
}

/* Sends EXIT to a process's dispatcher once every service in it reported
 * STOPPED (in a thread of its own: the report may come from inside a
 * control handler). The dispatcher then returns and closes its end; the
 * reader sees that. */
static DWORD WINAPI exit_sender(void *arg)
{
    sproc *p = arg;
    uint8_t msg[SCM_HEADER + 16];
    scm_writer w;
    scm_begin(&w, msg, sizeof msg, SCM_OP_EXIT, 0);
    size_t n = scm_end(&w);
    EnterCriticalSection(&p->ctl_lock);
    EnterCriticalSection(&g_lock);
    HANDLE h = p->dead ? NULL : p->ctl;
    LeaveCriticalSection(&g_lock);
    if (h)
        scmc_send(h, msg, n);
    LeaveCriticalSection(&p->ctl_lock);
    EnterCriticalSection(&g_lock);
    sproc_unpin(p);
    LeaveCriticalSection(&g_lock);
    return 0;
}

DWORD svc_set_status(const scm_msg *m)
{
    if (!m->name || !SCM_HAS(m, STATUS))
        return ERROR_INVALID_PARAMETER;
    uint64_t token = (uint64_t)m->token_hi << 32 | m->token_lo;
    const scm_status *n = &m->status;
    if (n->state < SERVICE_STOPPED || n->state > SERVICE_PAUSED)
        return ERROR_INVALID_DATA;
    EnterCriticalSection(&g_lock);
    svc *s = db_find((const wchar_t *)m->name);
    if (!s || !s->p || s->p->token != token || s->p->ended) {
        LeaveCriticalSection(&g_lock);
        return ERROR_INVALID_HANDLE;
    }
    sproc *p = s->p;
    DWORD old = s->st.state;
    s->st.state = n->state;
    s->st.accepted = n->accepted;
    s->st.win32_exit = n->win32_exit;
    s->st.specific_exit = n->specific_exit;
    s->st.checkpoint = n->checkpoint;
    s->st.wait_hint = n->wait_hint;
    if (n->state == SERVICE_STOPPED) {
        s->st.accepted = 0;
        s->st.checkpoint = s->st.wait_hint = 0;
    }
    if (old != n->state) {
        char nm[300];
        scm_log("service %s: state %lu -> %lu (exit %lu/%lu)",
                scm_narrow(s->name, nm, sizeof nm), (unsigned long)old,
                (unsigned long)n->state, (unsigned long)n->win32_exit,
                (unsigned long)n->specific_exit);
    }
    if (n->state == SERVICE_STOPPED && old != SERVICE_STOPPED) {
        s->hello = 0;
        if (s->fa_nonfatal && n->win32_exit)
            on_failure(s); /* a stop with an error counts as a failure */
        if (!p->exiting && p->hello && all_stopped(p)) {
            p->exiting = 1;
            p->pins++;
            HANDLE t = CreateThread(NULL, 0, exit_sender, p, 0, NULL);
            if (t)
                CloseHandle(t);
            else
                sproc_unpin(p);
        }
    }
    svc_changed(s);
    LeaveCriticalSection(&g_lock);
    return 0;
}

/* --- controls ------------------------------------------------------------- */
static int control_known(DWORD c)
{
    return (c >= SERVICE_CONTROL_STOP && c <= SERVICE_CONTROL_NETBINDDISABLE) ||
           (c >= 128 && c <= 255);
}

static DWORD accept_bit(DWORD c)
{
    switch (c) {
    case SERVICE_CONTROL_STOP: return SERVICE_ACCEPT_STOP;
    case SERVICE_CONTROL_PAUSE:
    case SERVICE_CONTROL_CONTINUE: return SERVICE_ACCEPT_PAUSE_CONTINUE;
    case SERVICE_CONTROL_SHUTDOWN: return SERVICE_ACCEPT_SHUTDOWN;
    case SERVICE_CONTROL_PARAMCHANGE: return SERVICE_ACCEPT_PARAMCHANGE;
    case SERVICE_CONTROL_NETBINDADD:
    case SERVICE_CONTROL_NETBINDREMOVE:
    case SERVICE_CONTROL_NETBINDENABLE:
    case SERVICE_CONTROL_NETBINDDISABLE: return SERVICE_ACCEPT_NETBINDCHANGE;
    default: return 0; /* interrogate, custom: always delivered */
    }
}

/* Delivers control c to s's dispatcher (lock held on entry and exit; it
 * is released while the service's handler runs, at most timeout ms). */
static DWORD deliver(svc *s, DWORD c, DWORD timeout)
{
    if (!s->p || !s->hello)
        return ERROR_SERVICE_REQUEST_TIMEOUT; /* no dispatcher */
    s->pins++;
    DWORD e = send_wait(s->p, SCM_OP_CTRL, s->name, c, NULL, timeout);
    s->pins--;
    return e;
}

DWORD svc_control(svc *s, DWORD c, scm_status *out)
{
    if (!control_known(c))
        return ERROR_INVALID_PARAMETER;
    if (c == SERVICE_CONTROL_SHUTDOWN)
        return ERROR_INVALID_SERVICE_CONTROL; /* the system's own */
    *out = s->st;
    if (s->st.state == SERVICE_STOPPED)
        return ERROR_SERVICE_NOT_ACTIVE;
    if (c == SERVICE_CONTROL_STOP) {
        svc **deps;
        size_t nd = graph_active_dependents(s, &deps, SERVICE_ACTIVE);
        free(deps);
        if (nd)
            return ERROR_DEPENDENT_SERVICES_RUNNING;
    }
    if (c != SERVICE_CONTROL_INTERROGATE &&
        (s->st.state == SERVICE_START_PENDING || s->st.state == SERVICE_STOP_PENDING ||
         !s->hello))
        return ERROR_SERVICE_CANNOT_ACCEPT_CTRL;
    DWORD bit = accept_bit(c);
    if (bit && !(s->st.accepted & bit))
        return ERROR_INVALID_SERVICE_CONTROL;
    DWORD e = deliver(s, c, g_ctl_timeout);
    *out = s->st;
    char n[300];
    scm_log("service %s: control %lu -> %lu", scm_narrow(s->name, n, sizeof n),
            (unsigned long)c, (unsigned long)e);
    return e;
}

/* --- shutdown ---------------------------------------------------------------- */
void svc_shutdown_all(DWORD timeout_ms)
{
    DWORD begin = GetTickCount();
    EnterCriticalSection(&g_lock);
    g_shutting_down = 1;
    svc **active = calloc(g_nsvcs + 1, sizeof *active);
    size_t na = 0;
    for (size_t i = 0; active && i < g_nsvcs; i++)
        if (g_svcs[i]->st.state != SERVICE_STOPPED || g_svcs[i]->p)
            active[na++] = g_svcs[i];
    svc **order = NULL;
    size_t n = 0;
    if (na && graph_start_order(active, na, &order, &n) != 0) {
        /* A cycle: any order will do. */
        order = active;
        active = NULL;
        n = na;
    }
    for (size_t i = 0; i < n; i++)
        order[i]->pins++;
    /* Reverse start order: dependents first. */
    for (size_t k = n; k-- > 0;) {
        svc *s = order[k];
        if (s->st.state == SERVICE_STOPPED)
            continue;
        DWORD c = (s->st.accepted & SERVICE_ACCEPT_STOP) ? SERVICE_CONTROL_STOP
                  : (s->st.accepted & SERVICE_ACCEPT_SHUTDOWN) ? SERVICE_CONTROL_SHUTDOWN
                                                               : 0;
        /* Neither a handler that never returns nor a service that never
         * reports STOPPED holds the shutdown past its deadline, nor the
         * others' turns for long: a handler has SHUTDOWN_CTL_MS, a service
         * stopping must advance its checkpoint within its wait hint
         * (at least 2 s); else it is ended with the rest at the end
         * (docs/fault.md, "A stop that hangs"). */
        DWORD spent = GetTickCount() - begin, e = 0;
        if (c && s->hello && spent < timeout_ms) {
            DWORD left = timeout_ms - spent;
            e = deliver(s, c, left < SHUTDOWN_CTL_MS ? left : SHUTDOWN_CTL_MS);
        }
        DWORD cp = s->st.checkpoint, since = GetTickCount();
        while (e != ERROR_SERVICE_REQUEST_TIMEOUT && s->st.state != SERVICE_STOPPED) {
            DWORD now = GetTickCount();
            spent = now - begin;
            if (spent >= timeout_ms)
                break;
            if (s->st.checkpoint != cp) {
                cp = s->st.checkpoint;
                since = now;
            }
            DWORD hint = s->st.wait_hint < START_WAIT_HINT ? START_WAIT_HINT : s->st.wait_hint;
            if (now - since >= hint) {
                char nm[300];
                scm_log("service %s: no progress within its wait hint (%lu ms) while stopping",
                        scm_narrow(s->name, nm, sizeof nm), (unsigned long)hint);
                break;
            }
            wait_change(timeout_ms - spent > 100 ? 100 : timeout_ms - spent);
        }
    }
    /* Their processes end (EXIT was sent to each whose services all
     * stopped; the others are ended below). */
    for (;;) {
        int alive = 0;
        for (size_t i = 0; i < g_nprocs; i++)
            alive += !g_procs[i]->ended && all_stopped(g_procs[i]);
        DWORD spent = GetTickCount() - begin;
        if (!alive || spent >= timeout_ms)
            break;
        wait_change(timeout_ms - spent > 100 ? 100 : timeout_ms - spent);
    }
    /* What is left is ended. */
    for (size_t k = 0; k < n; k++) {
        svc *s = order[k];
        if (s->p && s->p->proc && s->st.state != SERVICE_STOPPED) {
            char nm[300];
            scm_log("service %s: did not stop in time: ended", scm_narrow(s->name, nm, sizeof nm));
            TerminateProcess(s->p->proc, ERROR_PROCESS_ABORTED);
        }
        s->pins--;
    }
    /* Every service process stopped or was ended: nothing for a next
     * manager to end (plume stop ends the rest of the VM). */
    wchar_t rec[MAX_PATH + 32];
    if (procs_path(rec, MAX_PATH + 32, L"\\plume-scm.procs"))
        DeleteFileW(rec);
    free(order);
    free(active);
    LeaveCriticalSection(&g_lock);
}

