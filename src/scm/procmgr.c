/* Service processes: start (dependencies first), the dispatcher's hello,
 * controls, status reports, crashes, shutdown.
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
 * as STOPPED with ERROR_PROCESS_ABORTED (as Windows) and its exit code. */
#include "scm.h"
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define START_WAIT_HINT 2000  /* the status of a start before the service speaks */

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

/* Waits for a change with the lock held; 0 when ms ran out. */
static int wait_change(DWORD ms)
{
    return SleepConditionVariableCS(&g_changed, &g_lock, ms) ? 1 : 0;
}

/* --- the process watcher ------------------------------------------------------ */
typedef struct watch {
    svc *s;
    HANDLE proc;
} watch;

static DWORD WINAPI watcher(void *arg)
{
    watch *w = arg;
    svc *s = w->s;
    WaitForSingleObject(w->proc, INFINITE);
    DWORD code = 0;
    GetExitCodeProcess(w->proc, &code);
    char n[300];
    EnterCriticalSection(&g_lock);
    HANDLE ctl = NULL;
    if (s->proc == w->proc) {
        s->exit_code = code;
        if (s->st.state != SERVICE_STOPPED) {
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
        ctl = s->ctl;
        s->ctl = NULL;
        s->hello = 0;
    }
    LeaveCriticalSection(&g_lock);
    if (ctl) {
        EnterCriticalSection(&s->ctl_lock);
        CloseHandle(ctl);
        LeaveCriticalSection(&s->ctl_lock);
    }
    EnterCriticalSection(&g_lock);
    if (s->proc == w->proc)
        s->proc = NULL;
    CloseHandle(w->proc);
    s->pins--;
    changed();
    db_reap(s);
    LeaveCriticalSection(&g_lock);
    free(w);
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
    wchar_t cmd[32768];
    DWORD len = ExpandEnvironmentStringsW(s->path, cmd, 32768);
    if (!len || len > 32768)
        return ERROR_BAD_EXE_FORMAT;
    s->token = new_token();
    wchar_t *env = service_env(s->token);
    if (!env)
        return ERROR_NOT_ENOUGH_MEMORY;
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
    if (!ok) {
        scm_log("service %s: cannot start its process: error %lu", n, (unsigned long)e);
        s->st.win32_exit = e;
        return e;
    }
    watch *w = malloc(sizeof *w);
    if (!w) {
        TerminateProcess(pi.hProcess, ERROR_NOT_ENOUGH_MEMORY);
        CloseHandle(pi.hProcess);
        CloseHandle(pi.hThread);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    s->proc = pi.hProcess;
    s->hello = 0;
    s->st = (scm_status){ s->type, SERVICE_START_PENDING, 0, 0, 0, 0, START_WAIT_HINT,
                          pi.dwProcessId, 0 };
    s->pins++;
    w->s = s;
    w->proc = pi.hProcess;
    HANDLE t = CreateThread(NULL, 0, watcher, w, 0, NULL);
    if (t)
        CloseHandle(t);
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    scm_log("service %s: process %lu started", n, (unsigned long)pi.dwProcessId);
    changed();

    /* StartService returns once the dispatcher took the start. */
    DWORD begin = GetTickCount();
    while (!s->hello && s->proc == pi.hProcess && s->st.state == SERVICE_START_PENDING) {
        DWORD spent = GetTickCount() - begin;
        if (spent >= g_pipe_timeout)
            break;
        wait_change(g_pipe_timeout - spent);
    }
    if (s->hello)
        return 0;
    if (s->proc == pi.hProcess && s->st.state == SERVICE_START_PENDING) {
        scm_log("service %s: did not connect within %lu ms: ended", n,
                (unsigned long)g_pipe_timeout);
        TerminateProcess(pi.hProcess, ERROR_SERVICE_REQUEST_TIMEOUT);
        s->st.state = SERVICE_STOPPED;
        s->st.win32_exit = ERROR_SERVICE_REQUEST_TIMEOUT;
        s->st.pid = 0;
        changed();
        return ERROR_SERVICE_REQUEST_TIMEOUT;
    }
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
    for (size_t i = 0; i < n && !e; i++) {
        svc *d = order[i];
        if (d == s)
            continue;
        if (d->st.state == SERVICE_RUNNING)
            continue;
        char dn[300], sn[300];
        DWORD de = 0;
        if (d->st.state == SERVICE_STOPPED)
            de = svc_start_one(d, NULL);
        if (!de)
            de = svc_wait_running(d);
        if (de) {
            scm_log("service %s: dependency %s failed: error %lu",
                    scm_narrow(s->name, sn, sizeof sn), scm_narrow(d->name, dn, sizeof dn),
                    (unsigned long)de);
            e = ERROR_SERVICE_DEPENDENCY_FAIL;
        }
    }
    free(order);
    if (!e)
        e = svc_start_one(s, args);
    s->pins--;
    return e;
}

/* --- the dispatcher connection ----------------------------------------------- */
int svc_hello(HANDLE h, const scm_msg *m)
{
    uint64_t token = (uint64_t)m->token_hi << 32 | m->token_lo;
    uint8_t *buf = scmc_alloc();
    if (!buf)
        return -1;
    scm_writer w;
    EnterCriticalSection(&g_lock);
    svc *s = NULL;
    for (size_t i = 0; i < g_nsvcs; i++)
        if (g_svcs[i]->token == token && g_svcs[i]->proc && !g_svcs[i]->hello &&
            g_svcs[i]->st.pid == m->pid)
            s = g_svcs[i];
    if (!s) {
        LeaveCriticalSection(&g_lock);
        scm_begin(&w, buf, SCM_MAX_MSG, SCM_OP_HELLO, ERROR_FAILED_SERVICE_CONTROLLER_CONNECT);
        size_t n = scm_end(&w);
        scmc_send(h, buf, n);
        scmc_free(buf);
        return -1;
    }
    scm_begin(&w, buf, SCM_MAX_MSG, SCM_OP_HELLO, 0);
    scm_put_str(&w, SCM_F_NAME, (const uint16_t *)s->name);
    scm_put_u32(&w, SCM_F_TYPE, s->type);
    scm_put_msz(&w, SCM_F_ARGS, (const uint16_t *)s->start_args);
    size_t n = scm_end(&w);
    DWORD e = n ? scmc_send(h, buf, n) : ERROR_INSUFFICIENT_BUFFER;
    scmc_free(buf);
    if (!e) {
        s->ctl = h;
        s->hello = 1;
        free(s->start_args);
        s->start_args = NULL;
        char nm[300];
        scm_log("service %s: dispatcher connected", scm_narrow(s->name, nm, sizeof nm));
    }
    changed();
    LeaveCriticalSection(&g_lock);
    return e ? -1 : 0;
}

/* Sends EXIT to a service's dispatcher once it reported STOPPED (in a
 * thread of its own: the report may come from inside a control handler,
 * while the control's sender holds ctl_lock). The connection was taken
 * from the record when STOPPED came: a new start gets a new one. */
typedef struct exit_job {
    svc *s;
    HANDLE h;
} exit_job;

static DWORD WINAPI exit_sender(void *arg)
{
    exit_job *j = arg;
    svc *s = j->s;
    EnterCriticalSection(&s->ctl_lock);
    uint8_t msg[SCM_HEADER + 16];
    scm_writer w;
    scm_begin(&w, msg, sizeof msg, SCM_OP_EXIT, 0);
    size_t n = scm_end(&w);
    scmc_send(j->h, msg, n);
    CloseHandle(j->h);
    LeaveCriticalSection(&s->ctl_lock);
    EnterCriticalSection(&g_lock);
    s->pins--;
    db_reap(s);
    LeaveCriticalSection(&g_lock);
    free(j);
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
    if (!s || s->token != token || !s->proc) {
        LeaveCriticalSection(&g_lock);
        return ERROR_INVALID_HANDLE;
    }
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
    exit_job *j = n->state == SERVICE_STOPPED && s->ctl ? malloc(sizeof *j) : NULL;
    if (j) {
        j->s = s;
        j->h = s->ctl;
        s->ctl = NULL;
        s->hello = 0;
        s->pins++;
        HANDLE t = CreateThread(NULL, 0, exit_sender, j, 0, NULL);
        if (t) {
            CloseHandle(t);
        } else {
            s->pins--;
            CloseHandle(j->h);
            free(j);
        }
    }
    changed();
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
 * is released while the service's handler runs). */
static DWORD deliver(svc *s, DWORD c)
{
    s->pins++;
    LeaveCriticalSection(&g_lock);
    EnterCriticalSection(&s->ctl_lock);
    EnterCriticalSection(&g_lock);
    HANDLE h = s->ctl;
    LeaveCriticalSection(&g_lock);
    DWORD e = ERROR_SERVICE_REQUEST_TIMEOUT; /* no dispatcher */
    if (h) {
        uint8_t *buf = scmc_alloc();
        if (buf) {
            scm_writer w;
            scm_begin(&w, buf, SCM_MAX_MSG, SCM_OP_CTRL, 0);
            scm_put_str(&w, SCM_F_NAME, (const uint16_t *)s->name);
            scm_put_u32(&w, SCM_F_CONTROL, c);
            size_t n = scm_end(&w);
            e = scmc_send(h, buf, n);
            scmc_free(buf);
            scm_msg r;
            uint8_t *rb = e ? NULL : scmc_recv(h, &r, &e);
            if (rb) {
                e = r.err;
                scmc_free(rb);
            } else {
                /* The process went away during the control (a crash):
                 * as Windows, the control timed out. */
                e = ERROR_SERVICE_REQUEST_TIMEOUT;
            }
        }
    }
    LeaveCriticalSection(&s->ctl_lock);
    EnterCriticalSection(&g_lock);
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
    DWORD e = deliver(s, c);
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
    svc **active = calloc(g_nsvcs + 1, sizeof *active);
    size_t na = 0;
    for (size_t i = 0; active && i < g_nsvcs; i++)
        if (g_svcs[i]->st.state != SERVICE_STOPPED || g_svcs[i]->proc)
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
        if (c && s->hello)
            deliver(s, c);
        while (s->st.state != SERVICE_STOPPED || s->proc) {
            DWORD spent = GetTickCount() - begin;
            if (spent >= timeout_ms)
                break;
            wait_change(timeout_ms - spent > 100 ? 100 : timeout_ms - spent);
        }
    }
    /* What is left is ended. */
    for (size_t k = 0; k < n; k++) {
        svc *s = order[k];
        if (s->proc && s->st.state != SERVICE_STOPPED) {
            char nm[300];
            scm_log("service %s: did not stop in time: ended", scm_narrow(s->name, nm, sizeof nm));
            TerminateProcess(s->proc, ERROR_PROCESS_ABORTED);
        }
        s->pins--;
    }
    free(order);
    free(active);
    LeaveCriticalSection(&g_lock);
}
