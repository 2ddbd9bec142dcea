/* plume start VM, plume svc VM ...: a VM's services, from the host, over
 * the VM's service manager's pipe (docs/ns-svc.md). */
#include "cli.h"
#include "svcctl.h"
#include "store.h"
#include "vmjob.h"
#include "launch.h"
#include "vmarg.h"
#include "jobname.h"
#include "client.h"

#include <winsvc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static const char start_help[] =
    "Usage: plume start VM\n"
    "Starts VM: its service manager, then its auto-start services in\n"
    "dependency order. Returns when each is running or has failed, and\n"
    "reports which did which. On a VM already started it does nothing and\n"
    "says so.\n\n"
    "Exit code: 0 when every auto-start service runs; 1 when one failed or\n"
    "the VM cannot be started.\n";

static const char svc_help[] =
    "Usage: plume svc VM list [--json]\n"
    "       plume svc VM query NAME [--json]\n"
    "       plume svc VM config NAME\n"
    "       plume svc VM start NAME [ARGS...]\n"
    "       plume svc VM stop|pause|continue NAME\n"
    "Manages the services of VM from the host, through the VM's service\n"
    "manager (started when it is not running, without the auto-start\n"
    "services: see plume start). start, stop, pause and continue wait until\n"
    "the service reaches the state asked for (or fails) and report it.\n\n"
    "Exit code: 0; 1 when the operation failed (the Win32 error is shown).\n";

/* --- the VM's pipe and its manager ------------------------------------------- */
typedef struct vmconn {
    vm_info vm;
    wchar_t pipe[SCMC_PIPE_MAX];    /* \\.\pipe\PlumeSCM.<tag> */
    wchar_t alt[SCMC_PIPE_MAX * 2]; /* the same, renamed by the objects namespace */
} vmconn;

static DWORD vm_open(const char *cmd, const char *name, vmconn *c)
{
    DWORD e = cli_find_vm(cmd, name, &c->vm);
    if (e)
        return e;
    wchar_t root[STORE_PATH_MAX];
    uint16_t r16[STORE_PATH_MAX], v16[64], tag[128];
    if ((e = store_root(root, STORE_PATH_MAX)) != 0)
        return fail_win(cmd, e, "cannot find the store"), e;
    copy_w16(r16, root, STORE_PATH_MAX);
    for (size_t i = 0;; i++)
        if ((v16[i] = (unsigned char)c->vm.name[i]) == 0)
            break;
    if (!plume_vm_tag(r16, v16, tag, 128) || scmc_pipe_name(tag, c->pipe))
        return fail(cmd, "the VM's tag is too long"), ERROR_BAD_PATHNAME;
    /* Until the objects namespace exempts "PlumeSCM." (plume-internal, the
     * VM's own tag only), the manager's pipe, created inside the VM, is
     * renamed "Plume.<tag>.PlumeSCM.<tag>": try that name second. The one
     * place for this workaround. */
    _snwprintf(c->alt, SCMC_PIPE_MAX * 2, L"\\\\.\\pipe\\Plume.%ls.%ls", (wchar_t *)tag,
               c->pipe + 9);
    c->alt[SCMC_PIPE_MAX * 2 - 1] = 0;
    return 0;
}

static HANDLE vm_connect(vmconn *c)
{
    HANDLE h = scmc_connect(c->pipe, 10000);
    if (h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_FILE_NOT_FOUND)
        h = scmc_connect(c->alt, 10000);
    return h;
}

/* Starts the VM's manager inside the VM (suspended, in the VM's job, the
 * layer injected, resumed) and waits for its pipe. *started: 1 when this
 * call started it. */
static HANDLE manager(const char *cmd, vmconn *c, int *started)
{
    *started = 0;
    HANDLE h = vm_connect(c);
    if (h != INVALID_HANDLE_VALUE)
        return h;
    plume_boot boot;
    wchar_t bindir[PLUME_BOOT_PATH], line[PLUME_BOOT_PATH + 256];
    DWORD e = launch_boot(&c->vm, &boot, bindir);
    if (e) {
        fail_win(cmd, e, "cannot find the layer DLL beside plume.exe");
        return INVALID_HANDLE_VALUE;
    }
    _snwprintf(line, PLUME_BOOT_PATH + 256, L"\"%lsplume-scm.exe\" --pipe %ls", bindir, c->pipe);
    line[PLUME_BOOT_PATH + 255] = 0;
    HANDLE job = vmjob_open(c->vm.name, JOB_OBJECT_ALL_ACCESS, 1);
    if (!job) {
        fail_win(cmd, GetLastError(), "cannot create the job object of VM '%s'", c->vm.name);
        return INVALID_HANDLE_VALUE;
    }
    winecompat_before_vm_start();
    STARTUPINFOW si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES; /* none: it outlives this command */
    PROCESS_INFORMATION pi;
    int created;
    e = launch_suspended(job, &boot, line, DETACHED_PROCESS, FALSE, &si, &pi, &created);
    if (e) {
        if (!created)
            fail_win(cmd, e, "cannot start plume-scm.exe");
        else
            fail_win(cmd, e, "cannot start the service manager in VM '%s'", c->vm.name);
        CloseHandle(job);
        return INVALID_HANDLE_VALUE;
    }
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    for (int i = 0; !e && i < 1000; i++) {
        h = vm_connect(c);
        if (h != INVALID_HANDLE_VALUE)
            break;
        if (WaitForSingleObject(pi.hProcess, 10) == WAIT_OBJECT_0) {
            /* Another manager won the race (it exits at once), or it failed. */
            h = vm_connect(c);
            if (h == INVALID_HANDLE_VALUE) {
                DWORD code = 0;
                GetExitCodeProcess(pi.hProcess, &code);
                fail(cmd, "the service manager of VM '%s' ended at start (exit code %lu)",
                     c->vm.name, (unsigned long)code);
            }
            break;
        }
    }
    if (!e && h == INVALID_HANDLE_VALUE && WaitForSingleObject(pi.hProcess, 0) != WAIT_OBJECT_0)
        fail(cmd, "the service manager of VM '%s' does not answer", c->vm.name);
    CloseHandle(pi.hProcess);
    CloseHandle(job);
    *started = h != INVALID_HANDLE_VALUE;
    return h;
}

/* One request on h; the reply (free with scmc_free) or NULL (reported). */
static uint8_t *ask(const char *cmd, HANDLE h, scm_writer *w, scm_msg *m)
{
    DWORD e = scmc_send(h, w->buf, scm_end(w));
    uint8_t *r = e ? NULL : scmc_recv(h, m, &e);
    if (!r)
        fail_win(cmd, e, "the service manager did not answer");
    return r;
}

/* --- plume svc shutdown (for plume stop) ---------------------------------------- */
typedef struct shutdown_req {
    HANDLE h;
    DWORD timeout_ms, running;
} shutdown_req;

static DWORD WINAPI shutdown_thread(void *arg)
{
    shutdown_req *q = arg;
    static uint8_t buf[4096] __attribute__((aligned(8)));
    scm_writer w;
    scm_begin(&w, buf, sizeof buf, SCM_OP_SHUTDOWN, 0);
    scm_put_u32(&w, SCM_F_CONTROL, q->timeout_ms);
    scm_msg m;
    DWORD e = scmc_send(q->h, buf, scm_end(&w));
    uint8_t *r = e ? NULL : scmc_recv(q->h, &m, &e);
    if (r) {
        uint32_t off = 0;
        scm_entry en;
        while (scm_next_entry(&m, &off, &en) == 0)
            q->running++;
    }
    scmc_free(r);
    return 0;
}

/* No manager runs, yet its record of service processes is in the VM's
 * store (%SystemRoot%\plume-scm.procs, see src/scm/procmgr.c): it was
 * killed. plume stop ends every process of the VM next, so the record is
 * obsolete: removed, lest a later manager take another process that got
 * one of its ids for an orphan. <vm>\files\<drive>\<path>. */
static void forget_service_processes(const vm_info *vm)
{
    wchar_t win[MAX_PATH], path[STORE_PATH_MAX + MAX_PATH + 64];
    UINT n = GetWindowsDirectoryW(win, MAX_PATH);
    if (!n || n >= MAX_PATH || win[1] != L':' || win[2] != L'\\')
        return;
    _snwprintf(path, sizeof path / sizeof *path, L"%ls\\files\\%lc\\%ls\\plume-scm.procs",
               vm->dir, (wint_t)towupper(win[0]), win + 3);
    path[sizeof path / sizeof *path - 1] = 0;
    DeleteFileW(path);
}

/* The manager stops the services within timeout_ms (it ends those that
 * do not stop: a handler that never returns included). This waits at most
 * SHUTDOWN_MARGIN_MS longer for its answer: a manager that does not
 * answer (hung) is then ended with the rest of the VM by plume stop. */
#define SHUTDOWN_MARGIN_MS 5000
DWORD svc_shutdown_vm(const char *vm, DWORD timeout_ms)
{
    vmconn c;
    vm_info tmp;
    if (store_find(vm, &tmp))
        return 0;
    if (vm_open("stop", vm, &c))
        return 0;
    HANDLE h = vm_connect(&c);
    if (h == INVALID_HANDLE_VALUE) {
        forget_service_processes(&c.vm);
        return 0;
    }
    static shutdown_req q;
    q = (shutdown_req){ h, timeout_ms, 0 };
    HANDLE t = CreateThread(NULL, 0, shutdown_thread, &q, 0, NULL);
    if (!t) {
        shutdown_thread(&q);
    } else if (WaitForSingleObject(t, timeout_ms + SHUTDOWN_MARGIN_MS) == WAIT_TIMEOUT) {
        /* Left blocked on the pipe: the manager's end breaks it. */
        CloseHandle(t);
        return 1;
    } else {
        CloseHandle(t);
    }
    CloseHandle(h);
    return q.running;
}

/* --- output helpers ---------------------------------------------------------------- */
static const char *state_name(DWORD s)
{
    static const char *const names[] = { "?", "STOPPED", "START_PENDING", "STOP_PENDING",
                                         "RUNNING", "CONTINUE_PENDING", "PAUSE_PENDING",
                                         "PAUSED" };
    return s < 8 ? names[s] : "?";
}

static const char *errmsg(DWORD e, char *buf, size_t cap)
{
    wchar_t w[512];
    if (!FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0,
                        w, 512, NULL))
        w[0] = 0;
    to_utf8(w, buf, cap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
                 buf[n - 1] == '.'))
        buf[--n] = 0;
    return buf;
}

/* --- plume start ----------------------------------------------------------------- */
int cmd_start(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        out("%s", start_help);
        return PLUME_EXIT_OK;
    }
    if (argc != 2 || argv[1][0] == L'-')
        return usage_error("start", argc < 2 ? "no VM given" : "unexpected arguments");
    char name[128];
    vmconn c;
    if (vm_open("start", to_utf8(argv[1], name, sizeof name), &c))
        return PLUME_EXIT_FAIL;
    int started;
    HANDLE h = manager("start", &c, &started);
    if (h == INVALID_HANDLE_VALUE)
        return PLUME_EXIT_FAIL;
    uint8_t *buf = scmc_alloc();
    scm_writer w;
    scm_begin(&w, buf, SCM_MAX_MSG, SCM_OP_BOOT, 0);
    scm_msg m;
    uint8_t *r = ask("start", h, &w, &m);
    scmc_free(buf);
    CloseHandle(h);
    if (!r)
        return PLUME_EXIT_FAIL;
    if (m.err == ERROR_SERVICE_ALREADY_RUNNING) {
        scmc_free(r);
        out("VM '%s' is already started.\n", c.vm.name);
        return PLUME_EXIT_OK;
    }
    if (m.err) {
        scmc_free(r);
        return fail_win("start", m.err, "cannot start VM '%s'", c.vm.name);
    }
    uint32_t off = 0, ok = 0, bad = 0, delayed = 0;
    scm_entry en;
    while (scm_next_entry(&m, &off, &en) == 0) {
        char sn[300], msg[300];
        to_utf8((const wchar_t *)en.name, sn, sizeof sn);
        if (en.status.state == SERVICE_RUNNING && en.status.win32_exit == 0) {
            out("  %-24s running (pid %lu)\n", sn, (unsigned long)en.status.pid);
            ok++;
        } else if (en.status.flags & SCM_STATUS_DELAYED) {
            /* A delayed auto-start service: the manager starts it after
             * AutoStartDelay; neither a success nor a failure yet. */
            out("  %-24s delayed (starts after AutoStartDelay)\n", sn);
            delayed++;
        } else {
            DWORD e = en.status.win32_exit;
            out("  %-24s failed: %s (error %lu)\n", sn, errmsg(e, msg, sizeof msg),
                (unsigned long)e);
            bad++;
        }
    }
    scmc_free(r);
    if (delayed)
        out("Started VM '%s': %lu of %lu auto-start services running, %lu delayed.\n",
            c.vm.name, (unsigned long)ok, (unsigned long)(ok + bad), (unsigned long)delayed);
    else
        out("Started VM '%s': %lu of %lu auto-start services running.\n", c.vm.name,
            (unsigned long)ok, (unsigned long)(ok + bad));
    return bad ? PLUME_EXIT_FAIL : PLUME_EXIT_OK;
}

/* --- plume svc --------------------------------------------------------------------- */
typedef struct session {
    HANDLE pipe;
    uint8_t *buf;
    uint32_t scm, svc;
} session;

static DWORD sess_call(session *s, scm_writer *w, scm_msg *m, uint8_t **reply)
{
    *reply = ask("svc", s->pipe, w, m);
    if (!*reply)
        return ERROR_BROKEN_PIPE;
    return m->err;
}

static DWORD open_service(session *s, const wchar_t *name, DWORD access)
{
    scm_writer w;
    scm_msg m;
    uint8_t *r;
    scm_begin(&w, s->buf, SCM_MAX_MSG, SCM_OP_OPEN_SCM, 0);
    scm_put_u32(&w, SCM_F_ACCESS, SC_MANAGER_ALL_ACCESS);
    DWORD e = sess_call(s, &w, &m, &r);
    s->scm = m.handle;
    scmc_free(r);
    if (e || !name)
        return e;
    scm_begin(&w, s->buf, SCM_MAX_MSG, SCM_OP_OPEN, 0);
    scm_put_u32(&w, SCM_F_HANDLE, s->scm);
    scm_put_str(&w, SCM_F_NAME, (const uint16_t *)name);
    scm_put_u32(&w, SCM_F_ACCESS, access);
    e = sess_call(s, &w, &m, &r);
    s->svc = m.handle;
    scmc_free(r);
    return e;
}

static DWORD query(session *s, scm_status *st, DWORD *exitcode)
{
    scm_writer w;
    scm_msg m;
    uint8_t *r;
    scm_begin(&w, s->buf, SCM_MAX_MSG, SCM_OP_QUERY, 0);
    scm_put_u32(&w, SCM_F_HANDLE, s->svc);
    DWORD e = sess_call(s, &w, &m, &r);
    if (!e) {
        *st = m.status;
        if (exitcode)
            *exitcode = m.exitcode;
    }
    scmc_free(r);
    return e;
}

static void print_status(const char *name, const scm_status *st, DWORD exitcode, int json)
{
    if (json) {
        out("{\"name\": ");
        out_json_str(name);
        out(", \"state\": \"%s\", \"pid\": %lu, \"win32_exit_code\": %lu, "
            "\"service_exit_code\": %lu, \"process_exit_code\": %lu, \"checkpoint\": %lu, "
            "\"wait_hint\": %lu, \"controls_accepted\": %lu}\n",
            state_name(st->state), (unsigned long)st->pid, (unsigned long)st->win32_exit,
            (unsigned long)st->specific_exit, (unsigned long)exitcode,
            (unsigned long)st->checkpoint, (unsigned long)st->wait_hint,
            (unsigned long)st->accepted);
        return;
    }
    out("SERVICE_NAME: %s\n", name);
    out("  STATE             : %lu %s\n", (unsigned long)st->state, state_name(st->state));
    out("  PID               : %lu\n", (unsigned long)st->pid);
    out("  WIN32_EXIT_CODE   : %lu\n", (unsigned long)st->win32_exit);
    out("  SERVICE_EXIT_CODE : %lu\n", (unsigned long)st->specific_exit);
    out("  PROCESS_EXIT_CODE : %lu\n", (unsigned long)exitcode);
    out("  CHECKPOINT        : %lu\n", (unsigned long)st->checkpoint);
    out("  WAIT_HINT         : %lu\n", (unsigned long)st->wait_hint);
}

/* Waits while the state is `pending` (wait hints and checkpoints as sc and
 * net do): the final status in *st. */
static DWORD wait_state(session *s, DWORD pending, scm_status *st)
{
    DWORD cp = 0, since = GetTickCount(), e;
    for (;;) {
        if ((e = query(s, st, NULL)) != 0)
            return e;
        if (st->state != pending)
            return 0;
        if (st->checkpoint != cp) {
            cp = st->checkpoint;
            since = GetTickCount();
        }
        DWORD hint = st->wait_hint < 2000 ? 2000 : st->wait_hint;
        if (GetTickCount() - since > hint)
            return ERROR_SERVICE_REQUEST_TIMEOUT;
        Sleep(hint / 10 < 50 ? hint / 10 : 50);
    }
}

static int do_list(session *s, int json)
{
    scm_writer w;
    scm_msg m;
    uint8_t *r;
    scm_begin(&w, s->buf, SCM_MAX_MSG, SCM_OP_ENUM, 0);
    scm_put_u32(&w, SCM_F_HANDLE, s->scm);
    scm_put_u32(&w, SCM_F_TYPE, SERVICE_WIN32);
    scm_put_u32(&w, SCM_F_STATE, SERVICE_STATE_ALL);
    DWORD e = sess_call(s, &w, &m, &r);
    if (e) {
        scmc_free(r);
        return r ? fail_win("svc", e, "cannot list the services") : PLUME_EXIT_FAIL;
    }
    uint32_t off = 0, i = 0;
    scm_entry en;
    if (json)
        out("[");
    else
        out("%-24s %-16s %-8s %s\n", "NAME", "STATE", "PID", "DISPLAY NAME");
    while (scm_next_entry(&m, &off, &en) == 0) {
        char n[300], d[300];
        to_utf8((const wchar_t *)en.name, n, sizeof n);
        to_utf8((const wchar_t *)en.display, d, sizeof d);
        if (json) {
            out("%s\n  {\"name\": ", i ? "," : "");
            out_json_str(n);
            out(", \"display_name\": ");
            out_json_str(d);
            out(", \"state\": \"%s\", \"pid\": %lu, \"win32_exit_code\": %lu}",
                state_name(en.status.state), (unsigned long)en.status.pid,
                (unsigned long)en.status.win32_exit);
        } else {
            out("%-24s %-16s %-8lu %s\n", n, state_name(en.status.state),
                (unsigned long)en.status.pid, d);
        }
        i++;
    }
    if (json)
        out("%s]\n", i ? "\n" : "");
    scmc_free(r);
    return PLUME_EXIT_OK;
}

static int do_config(session *s, const char *name)
{
    scm_writer w;
    scm_msg m;
    uint8_t *r;
    scm_begin(&w, s->buf, SCM_MAX_MSG, SCM_OP_QUERY_CONFIG, 0);
    scm_put_u32(&w, SCM_F_HANDLE, s->svc);
    DWORD e = sess_call(s, &w, &m, &r);
    if (e) {
        scmc_free(r);
        return r ? fail_win("svc", e, "cannot read the config of '%s'", name) : PLUME_EXIT_FAIL;
    }
    static const char *const starts[] = { "BOOT_START", "SYSTEM_START", "AUTO_START",
                                          "DEMAND_START", "DISABLED" };
    char a[2048];
    out("SERVICE_NAME: %s\n", name);
    out("  TYPE               : %lx %s\n", (unsigned long)m.type,
        (m.type & SERVICE_WIN32_OWN_PROCESS) ? "WIN32_OWN_PROCESS"
        : (m.type & SERVICE_WIN32_SHARE_PROCESS) ? "WIN32_SHARE_PROCESS" : "DRIVER");
    out("  START_TYPE         : %lu %s\n", (unsigned long)m.start,
        m.start < 5 ? starts[m.start] : "?");
    out("  ERROR_CONTROL      : %lu\n", (unsigned long)m.errctl);
    out("  BINARY_PATH_NAME   : %s\n", to_utf8((const wchar_t *)m.path, a, sizeof a));
    out("  LOAD_ORDER_GROUP   : %s\n", m.group ? to_utf8((const wchar_t *)m.group, a, sizeof a) : "");
    out("  DEPENDENCIES       :");
    for (const uint16_t *d = m.deps; d && *d; d += scm_wlen(d) + 1)
        out(" %s", to_utf8((const wchar_t *)d, a, sizeof a));
    out("\n");
    out("  SERVICE_START_NAME : %s\n",
        m.account ? to_utf8((const wchar_t *)m.account, a, sizeof a) : "");
    out("  DISPLAY_NAME       : %s\n",
        m.display ? to_utf8((const wchar_t *)m.display, a, sizeof a) : "");
    scmc_free(r);
    return PLUME_EXIT_OK;
}

int cmd_svc(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        out("%s", svc_help);
        return PLUME_EXIT_OK;
    }
    int json = 0, n = 0;
    wchar_t *pos[64];
    for (int i = 1; i < argc && n < 64; i++) {
        if (!wcscmp(argv[i], L"--json"))
            json = 1;
        else
            pos[n++] = argv[i];
    }
    if (n < 2)
        return usage_error("svc", n ? "no subcommand given" : "no VM given");
    char vm[128], sub[32], name[300] = "";
    to_utf8(pos[0], vm, sizeof vm);
    to_utf8(pos[1], sub, sizeof sub);
    static const char *const subs[] = { "list", "query", "config", "start", "stop", "pause",
                                        "continue" };
    int k = -1;
    for (int i = 0; i < 7; i++)
        if (!strcmp(sub, subs[i]))
            k = i;
    if (k < 0)
        return usage_error("svc", "unknown subcommand '%s'", sub);
    if (k == 0 && n != 2)
        return usage_error("svc", "list takes no service name");
    if (k > 0 && n < 3)
        return usage_error("svc", "%s needs a service name", sub);
    if (k != 3 && n > 3)
        return usage_error("svc", "too many arguments");
    if (json && k > 1)
        return usage_error("svc", "--json is for list and query");
    if (k > 0)
        to_utf8(pos[2], name, sizeof name);
    vmconn c;
    if (vm_open("svc", vm, &c))
        return PLUME_EXIT_FAIL;
    int started;
    session s = { INVALID_HANDLE_VALUE, NULL, 0, 0 };
    s.pipe = manager("svc", &c, &started);
    if (s.pipe == INVALID_HANDLE_VALUE)
        return PLUME_EXIT_FAIL;
    s.buf = scmc_alloc();
    DWORD e = open_service(&s, k ? pos[2] : NULL, SERVICE_ALL_ACCESS);
    int rc = PLUME_EXIT_OK;
    scm_status st;
    DWORD exitcode = 0;
    char msg[300];
    if (e) {
        rc = fail_win("svc", e, "%s%s%s", k ? "service '" : "cannot reach the manager", name,
                      k ? "'" : "");
        goto done;
    }
    switch (k) {
    case 0:
        rc = do_list(&s, json);
        break;
    case 1:
        if ((e = query(&s, &st, &exitcode)) != 0)
            rc = fail_win("svc", e, "cannot query '%s'", name);
        else
            print_status(name, &st, exitcode, json);
        break;
    case 2:
        rc = do_config(&s, name);
        break;
    case 3: {
        scm_writer w;
        scm_msg m;
        uint8_t *r;
        size_t len = 1;
        for (int i = 3; i < n; i++)
            len += wcslen(pos[i]) + 1;
        wchar_t *args = calloc(len, sizeof *args), *o = args;
        for (int i = 3; i < n; i++)
            o = wcscpy(o, pos[i]) + wcslen(pos[i]) + 1;
        scm_begin(&w, s.buf, SCM_MAX_MSG, SCM_OP_START, 0);
        scm_put_u32(&w, SCM_F_HANDLE, s.svc);
        scm_put_msz(&w, SCM_F_ARGS, (const uint16_t *)args);
        free(args);
        e = sess_call(&s, &w, &m, &r);
        scmc_free(r);
        if (!e)
            e = wait_state(&s, SERVICE_START_PENDING, &st);
        if (!e && st.state != SERVICE_RUNNING)
            e = st.win32_exit ? st.win32_exit : ERROR_SERVICE_NOT_ACTIVE;
        if (e)
            rc = fail("svc", "cannot start '%s': %s (error %lu)", name,
                      errmsg(e, msg, sizeof msg), (unsigned long)e);
        else
            out("Service '%s' is running (pid %lu).\n", name, (unsigned long)st.pid);
        break;
    }
    default: {
        static const DWORD ctl[] = { SERVICE_CONTROL_STOP, SERVICE_CONTROL_PAUSE,
                                     SERVICE_CONTROL_CONTINUE };
        static const DWORD pend[] = { SERVICE_STOP_PENDING, SERVICE_PAUSE_PENDING,
                                      SERVICE_CONTINUE_PENDING };
        static const DWORD want[] = { SERVICE_STOPPED, SERVICE_PAUSED, SERVICE_RUNNING };
        static const char *const done_word[] = { "stopped", "paused", "running" };
        int j = k - 4;
        scm_writer w;
        scm_msg m;
        uint8_t *r;
        scm_begin(&w, s.buf, SCM_MAX_MSG, SCM_OP_CONTROL, 0);
        scm_put_u32(&w, SCM_F_HANDLE, s.svc);
        scm_put_u32(&w, SCM_F_CONTROL, ctl[j]);
        e = sess_call(&s, &w, &m, &r);
        scmc_free(r);
        if (!e)
            e = wait_state(&s, pend[j], &st);
        if (!e && st.state != want[j])
            e = ERROR_SERVICE_REQUEST_TIMEOUT;
        if (e)
            rc = fail("svc", "cannot %s '%s': %s (error %lu)", sub, name,
                      errmsg(e, msg, sizeof msg), (unsigned long)e);
        else
            out("Service '%s' is %s.\n", name, done_word[j]);
        break;
    }
    }
done:
    if (s.svc || s.scm) {
        scm_writer w;
        scm_msg m;
        uint8_t *r;
        for (int i = 0; i < 2; i++) {
            uint32_t id = i ? s.scm : s.svc;
            if (!id)
                continue;
            scm_begin(&w, s.buf, SCM_MAX_MSG, SCM_OP_CLOSE, 0);
            scm_put_u32(&w, SCM_F_HANDLE, id);
            sess_call(&s, &w, &m, &r);
            scmc_free(r);
        }
    }
    scmc_free(s.buf);
    CloseHandle(s.pipe);
    return rc;
}

/* --- plume install / uninstall: a host service per VM ------------------------------
 * "Plume VM NAME", registered with the host's SCM (plume.exe runs outside
 * every VM: its SCM calls are the host's). Its process is plume.exe
 * service-host NAME ROOT: on start it runs `plume start NAME`, on stop and
 * at host shutdown `plume stop NAME` (child processes of the same plume.exe,
 * with PLUME_ROOT = the store the VM was installed from). */
static const char install_help[] =
    "Usage: plume install VM\n"
    "Registers the host service \"Plume VM <VM>\" (automatic start) that starts\n"
    "VM at host boot (plume start) and stops it at host shutdown (plume stop).\n"
    "Needs the right to create services on the host.\n\n"
    "Exit code: 0; 1 when the service cannot be registered (e.g. it exists).\n";
static const char uninstall_help[] =
    "Usage: plume uninstall VM\n"
    "Stops and removes the host service \"Plume VM <VM>\" (the VM itself is\n"
    "stopped too when the service was running).\n\n"
    "Exit code: 0; 1 when there is no such service or it cannot be removed.\n";

static void host_service_name(const char *vm, wchar_t *out, size_t cap)
{
    wchar_t w[128];
    MultiByteToWideChar(CP_UTF8, 0, vm, -1, w, 128);
    w[127] = 0;
    _snwprintf(out, cap, L"Plume VM %ls", w);
    out[cap - 1] = 0;
}

int cmd_install(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        out("%s", install_help);
        return PLUME_EXIT_OK;
    }
    if (argc != 2 || argv[1][0] == L'-')
        return usage_error("install", argc < 2 ? "no VM given" : "unexpected arguments");
    char name[128];
    vm_info vm;
    to_utf8(argv[1], name, sizeof name);
    DWORD e = cli_find_vm("install", name, &vm);
    if (e)
        return PLUME_EXIT_FAIL;
    wchar_t exe[MAX_PATH], root[STORE_PATH_MAX], svcname[160], cmd[MAX_PATH + STORE_PATH_MAX + 200];
    if (!GetModuleFileNameW(NULL, exe, MAX_PATH) || (e = store_root(root, STORE_PATH_MAX)) != 0)
        return fail_win("install", e ? e : GetLastError(), "cannot find plume.exe or the store");
    host_service_name(vm.name, svcname, 160);
    wchar_t wvm[128];
    MultiByteToWideChar(CP_UTF8, 0, vm.name, -1, wvm, 128);
    _snwprintf(cmd, sizeof cmd / sizeof *cmd, L"\"%ls\" service-host \"%ls\" \"%ls\"", exe, wvm, root);
    cmd[sizeof cmd / sizeof *cmd - 1] = 0;
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CREATE_SERVICE);
    if (!scm)
        return fail_win("install", GetLastError(), "cannot open the host's service manager");
    SC_HANDLE s = CreateServiceW(scm, svcname, svcname, SERVICE_ALL_ACCESS,
                                 SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
                                 SERVICE_ERROR_NORMAL, cmd, NULL, NULL, NULL, NULL, NULL);
    e = s ? 0 : GetLastError();
    if (s) {
        wchar_t desc[256];
        _snwprintf(desc, 256, L"Starts the Plume VM '%ls' at boot and stops it at shutdown.", wvm);
        desc[255] = 0;
        SERVICE_DESCRIPTIONW d = { desc };
        ChangeServiceConfig2W(s, SERVICE_CONFIG_DESCRIPTION, &d);
        CloseServiceHandle(s);
    }
    CloseServiceHandle(scm);
    if (e)
        return fail_win("install", e, "cannot register the host service for VM '%s'", vm.name);
    char sn[200];
    out("Installed host service '%s': VM '%s' starts at host boot.\n", to_utf8(svcname, sn, sizeof sn),
        vm.name);
    return PLUME_EXIT_OK;
}

int cmd_uninstall(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        out("%s", uninstall_help);
        return PLUME_EXIT_OK;
    }
    if (argc != 2 || argv[1][0] == L'-')
        return usage_error("uninstall", argc < 2 ? "no VM given" : "unexpected arguments");
    char name[128], sn[200];
    to_utf8(argv[1], name, sizeof name);
    wchar_t svcname[160];
    vm_info vm;
    host_service_name(store_find(name, &vm) == 0 ? vm.name : name, svcname, 160);
    to_utf8(svcname, sn, sizeof sn);
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    if (!scm)
        return fail_win("uninstall", GetLastError(), "cannot open the host's service manager");
    SC_HANDLE s = OpenServiceW(scm, svcname, SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE);
    DWORD e = s ? 0 : GetLastError();
    if (s) {
        SERVICE_STATUS st;
        if (ControlService(s, SERVICE_CONTROL_STOP, &st)) {
            /* plume stop runs in the service: wait for it (bounded). */
            for (int i = 0; i < 600 && QueryServiceStatus(s, &st) &&
                            st.dwCurrentState != SERVICE_STOPPED; i++)
                Sleep(100);
        }
        if (!DeleteService(s))
            e = GetLastError();
        CloseServiceHandle(s);
    }
    CloseServiceHandle(scm);
    if (e == ERROR_SERVICE_DOES_NOT_EXIST)
        return fail("uninstall", "no host service '%s'", sn);
    if (e)
        return fail_win("uninstall", e, "cannot remove the host service '%s'", sn);
    out("Removed host service '%s'.\n", sn);
    return PLUME_EXIT_OK;
}

/* The host service's process: plume.exe service-host VM ROOT (hidden). */
static wchar_t g_host_vm[128];
static SERVICE_STATUS_HANDLE g_host_h;
static HANDLE g_host_stop;
static SERVICE_STATUS g_host_st;

static void host_report(DWORD state, DWORD hint)
{
    static DWORD cp;
    g_host_st.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    g_host_st.dwCurrentState = state;
    g_host_st.dwControlsAccepted =
        state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    g_host_st.dwCheckPoint = (state == SERVICE_RUNNING || state == SERVICE_STOPPED) ? 0 : ++cp;
    g_host_st.dwWaitHint = hint;
    SetServiceStatus(g_host_h, &g_host_st);
}

/* Runs plume.exe VERB VM and waits; its exit code. */
static DWORD host_plume(const wchar_t *verb)
{
    wchar_t exe[MAX_PATH], cmd[MAX_PATH + 300];
    GetModuleFileNameW(NULL, exe, MAX_PATH);
    _snwprintf(cmd, MAX_PATH + 300, L"\"%ls\" %ls \"%ls\"", exe, verb, g_host_vm);
    cmd[MAX_PATH + 299] = 0;
    STARTUPINFOW si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    PROCESS_INFORMATION pi;
    if (!CreateProcessW(NULL, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi))
        return GetLastError();
    /* Keep the host's SCM informed while it runs. */
    while (WaitForSingleObject(pi.hProcess, 1000) == WAIT_TIMEOUT)
        host_report(g_host_st.dwCurrentState, 5000);
    DWORD code = 1;
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    return code;
}

static DWORD WINAPI host_handler(DWORD control, DWORD type, void *data, void *ctx)
{
    (void)type; (void)data; (void)ctx;
    if (control == SERVICE_CONTROL_STOP || control == SERVICE_CONTROL_SHUTDOWN) {
        host_report(SERVICE_STOP_PENDING, 30000);
        SetEvent(g_host_stop);
        return NO_ERROR;
    }
    return control == SERVICE_CONTROL_INTERROGATE ? NO_ERROR : ERROR_CALL_NOT_IMPLEMENTED;
}

static void WINAPI host_main(DWORD argc, wchar_t **argv)
{
    g_host_h = RegisterServiceCtrlHandlerExW(argc ? argv[0] : L"", host_handler, NULL);
    if (!g_host_h)
        return;
    g_host_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    host_report(SERVICE_START_PENDING, 30000);
    DWORD code = host_plume(L"start");
    /* A VM whose auto-start service failed still runs: the service runs,
     * the failure is in its service-specific exit code. */
    g_host_st.dwWin32ExitCode = code ? ERROR_SERVICE_SPECIFIC_ERROR : 0;
    g_host_st.dwServiceSpecificExitCode = code;
    host_report(SERVICE_RUNNING, 0);
    WaitForSingleObject(g_host_stop, INFINITE);
    host_report(SERVICE_STOP_PENDING, 30000);
    host_plume(L"stop");
    g_host_st.dwWin32ExitCode = 0;
    g_host_st.dwServiceSpecificExitCode = 0;
    host_report(SERVICE_STOPPED, 0);
}

int cmd_service_host(int argc, wchar_t **argv)
{
    if (argc != 3)
        return usage_error("service-host", "VM and store root expected (used by the host service)");
    wcsncpy(g_host_vm, argv[1], 127);
    SetEnvironmentVariableW(L"PLUME_ROOT", argv[2]);
    wchar_t svcname[160];
    char name[128];
    host_service_name(to_utf8(argv[1], name, sizeof name), svcname, 160);
    SERVICE_TABLE_ENTRYW table[] = { { svcname, host_main }, { NULL, NULL } };
    if (!StartServiceCtrlDispatcherW(table))
        return fail_win("service-host", GetLastError(),
                        "not started by the host's service manager (see plume install)");
    return PLUME_EXIT_OK;
}
