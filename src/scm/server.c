/* The pipe server and the protocol's requests (see docs/ns-svc.md). One
 * thread per connection; a connection whose first message is HELLO
 * becomes a service's dispatcher connection (procmgr.c). */
#include "scm.h"
#include "client.h"

#include <sddl.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define SC_GROUP_ID L'+'

/* LockServiceDatabase: the lock's id (0: unlocked), and the event that
 * tells the watcher of its owner process that it was released. */
static uint32_t g_dblock, g_dblock_count;
static DWORD g_dblock_since;
static HANDLE g_dblock_released;

/* The client's pid on the connection being served (GetNamedPipeClientProcessId). */
static __thread DWORD t_client_pid;

typedef struct lock_watch {
    HANDLE proc, released;
    uint32_t id;
    DWORD pid;
} lock_watch;

/* Windows releases the database lock when the process holding it ends:
 * this thread waits for the owner's end (or the lock's release). */
static DWORD WINAPI lock_watcher(void *arg)
{
    lock_watch *lw = arg;
    HANDLE hs[2] = { lw->released, lw->proc };
    DWORD r = WaitForMultipleObjects(2, hs, FALSE, INFINITE);
    if (r == WAIT_OBJECT_0 + 1) {
        EnterCriticalSection(&g_lock);
        if (g_dblock == lw->id) {
            g_dblock = 0;
            if (g_dblock_released == lw->released)
                g_dblock_released = NULL;
            scm_log("database lock released: its owner (pid %lu) ended",
                    (unsigned long)lw->pid);
        }
        LeaveCriticalSection(&g_lock);
    }
    CloseHandle(lw->proc);
    CloseHandle(lw->released);
    free(lw);
    return 0;
}

/* Watches the lock's owner (lock held); the lock is not taken when the
 * owner cannot be watched (a leaked lock would block every start). */
static DWORD lock_watch_start(uint32_t id, DWORD pid)
{
    lock_watch *lw = calloc(1, sizeof *lw);
    if (!lw)
        return ERROR_NOT_ENOUGH_MEMORY;
    lw->id = id;
    lw->pid = pid;
    lw->proc = pid ? OpenProcess(SYNCHRONIZE, FALSE, pid) : NULL;
    lw->released = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE t = lw->proc && lw->released ? CreateThread(NULL, 0, lock_watcher, lw, 0, NULL) : NULL;
    if (!t) {
        DWORD e = pid ? GetLastError() : ERROR_INVALID_PARAMETER;
        if (lw->proc)
            CloseHandle(lw->proc);
        if (lw->released)
            CloseHandle(lw->released);
        free(lw);
        return e ? e : ERROR_NOT_ENOUGH_MEMORY;
    }
    CloseHandle(t);
    /* The event stays valid: the watcher closes it after the wait ends, and
     * it is only set (below) while it is still the current lock's. */
    g_dblock_released = lw->released;
    return 0;
}

static DWORD map_access(DWORD a, int is_scm)
{
    DWORD all = is_scm ? SC_MANAGER_ALL_ACCESS : SERVICE_ALL_ACCESS;
    if (a & (GENERIC_ALL | MAXIMUM_ALLOWED))
        a |= all;
    if (a & GENERIC_READ)
        a |= is_scm ? (STANDARD_RIGHTS_READ | SC_MANAGER_ENUMERATE_SERVICE |
                       SC_MANAGER_QUERY_LOCK_STATUS)
                    : (STANDARD_RIGHTS_READ | SERVICE_QUERY_CONFIG | SERVICE_QUERY_STATUS |
                       SERVICE_INTERROGATE | SERVICE_ENUMERATE_DEPENDENTS);
    if (a & GENERIC_WRITE)
        a |= is_scm ? (STANDARD_RIGHTS_WRITE | SC_MANAGER_CREATE_SERVICE |
                       SC_MANAGER_MODIFY_BOOT_CONFIG)
                    : (STANDARD_RIGHTS_WRITE | SERVICE_CHANGE_CONFIG);
    if (a & GENERIC_EXECUTE)
        a |= is_scm ? (STANDARD_RIGHTS_EXECUTE | SC_MANAGER_CONNECT | SC_MANAGER_LOCK)
                    : (STANDARD_RIGHTS_EXECUTE | SERVICE_START | SERVICE_STOP |
                       SERVICE_PAUSE_CONTINUE | SERVICE_USER_DEFINED_CONTROL);
    return a & (all | STANDARD_RIGHTS_ALL | ACCESS_SYSTEM_SECURITY);
}

/* --- service security descriptors (Query/SetServiceObjectSecurity) ---------- */
/* What CreateService gives a service on Windows: SYSTEM and the
 * administrators full control, interactive and service users read. */
#define DEFAULT_SVC_SDDL                                                                \
    L"O:SYG:SYD:(A;;CCLCSWRPWPDTLOCRRC;;;SY)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)"    \
    L"(A;;CCLCSWLOCRRC;;;IU)(A;;CCLCSWLOCRRC;;;SU)"                                    \
    L"S:(AU;FA;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;WD)"
#define SD_PARTS (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION |            \
                  DACL_SECURITY_INFORMATION | SACL_SECURITY_INFORMATION)

/* A self-relative SD (malloc) made of, for each part, new's when its bit is
 * in info, else old's (old NULL: left out). */
static uint8_t *sd_compose(const void *old, const void *new_, DWORD info, DWORD *size)
{
    SECURITY_DESCRIPTOR abs;
    if (!InitializeSecurityDescriptor(&abs, SECURITY_DESCRIPTOR_REVISION))
        return NULL;
    PSID sid;
    PACL acl;
    BOOL def, present;
    SECURITY_DESCRIPTOR_CONTROL ctl = 0, keep = 0;
    DWORD rev;
    const void *src = (info & OWNER_SECURITY_INFORMATION) ? new_ : old;
    if (src && GetSecurityDescriptorOwner((PSECURITY_DESCRIPTOR)src, &sid, &def) && sid)
        SetSecurityDescriptorOwner(&abs, sid, def);
    src = (info & GROUP_SECURITY_INFORMATION) ? new_ : old;
    if (src && GetSecurityDescriptorGroup((PSECURITY_DESCRIPTOR)src, &sid, &def) && sid)
        SetSecurityDescriptorGroup(&abs, sid, def);
    src = (info & DACL_SECURITY_INFORMATION) ? new_ : old;
    if (src && GetSecurityDescriptorDacl((PSECURITY_DESCRIPTOR)src, &present, &acl, &def) &&
        present) {
        SetSecurityDescriptorDacl(&abs, TRUE, acl, def);
        if (GetSecurityDescriptorControl((PSECURITY_DESCRIPTOR)src, &ctl, &rev))
            keep |= ctl & (SE_DACL_PROTECTED | SE_DACL_AUTO_INHERITED | SE_DACL_AUTO_INHERIT_REQ);
    }
    src = (info & SACL_SECURITY_INFORMATION) ? new_ : old;
    if (src && GetSecurityDescriptorSacl((PSECURITY_DESCRIPTOR)src, &present, &acl, &def) &&
        present) {
        SetSecurityDescriptorSacl(&abs, TRUE, acl, def);
        if (GetSecurityDescriptorControl((PSECURITY_DESCRIPTOR)src, &ctl, &rev))
            keep |= ctl & (SE_SACL_PROTECTED | SE_SACL_AUTO_INHERITED | SE_SACL_AUTO_INHERIT_REQ);
    }
    if (keep)
        SetSecurityDescriptorControl(&abs, keep, keep);
    DWORD n = 0;
    MakeSelfRelativeSD(&abs, NULL, &n);
    uint8_t *out = n ? malloc(n) : NULL;
    if (out && !MakeSelfRelativeSD(&abs, out, &n)) {
        free(out);
        out = NULL;
    }
    *size = n;
    return out;
}

/* The manager's own (Query/SetServiceObjectSecurity on a manager handle):
 * Windows' SCM default (`sc sdshow scmanager`): authenticated users
 * connect; interactive and service users connect, enumerate, query the
 * lock status, read; SYSTEM those and lock; administrators all; an audit
 * SACL. Kept in memory for the manager's life (docs/ns-svc.md). */
#define DEFAULT_SCM_SDDL                                                                \
    L"O:SYG:SYD:(A;;CC;;;AU)(A;;CCLCRPRC;;;IU)(A;;CCLCRPRC;;;SU)(A;;CCLCRPWPRC;;;SY)"  \
    L"(A;;KA;;;BA)S:(AU;FA;KA;;;WD)(AU;OIIOFA;GA;;;WD)"
static uint8_t *g_scm_sd;

/* s's SD (s NULL: the manager's): its own, or the default (LocalFree'd by
 * the caller when *dflt). */
static const void *sd_of(svc *s, PSECURITY_DESCRIPTOR *dflt)
{
    *dflt = NULL;
    if (s ? s->sd != NULL : g_scm_sd != NULL)
        return s ? s->sd : g_scm_sd;
    ULONG n;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(s ? DEFAULT_SVC_SDDL
                                                                : DEFAULT_SCM_SDDL,
                                                              SDDL_REVISION_1, dflt, &n))
        *dflt = NULL;
    return *dflt;
}

static int valid_name(const uint16_t *n)
{
    size_t len = n ? scm_wlen(n) : 0;
    if (len == 0 || len > 256)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (n[i] == '/' || n[i] == '\\')
            return 0;
    return 1;
}

static int valid_type(DWORD t)
{
    DWORD base = t & ~(DWORD)SERVICE_INTERACTIVE_PROCESS;
    if (t & SERVICE_INTERACTIVE_PROCESS)
        return base == SERVICE_WIN32_OWN_PROCESS || base == SERVICE_WIN32_SHARE_PROCESS;
    return base == SERVICE_WIN32_OWN_PROCESS || base == SERVICE_WIN32_SHARE_PROCESS ||
           base == SERVICE_KERNEL_DRIVER || base == SERVICE_FILE_SYSTEM_DRIVER;
}

static int valid_start(DWORD start, DWORD type)
{
    if (start > SERVICE_DISABLED)
        return 0;
    if (start <= SERVICE_SYSTEM_START && (type & SERVICE_WIN32))
        return 0;
    return 1;
}

/* A display name another service has as its name or display name. */
static int display_taken(const uint16_t *d, svc *self)
{
    for (size_t i = 0; i < g_nsvcs; i++)
        if (g_svcs[i] != self && (scm_wieq((const uint16_t *)g_svcs[i]->display, d) ||
                                  scm_wieq((const uint16_t *)g_svcs[i]->name, d)))
            return 1;
    return 0;
}

/* Would s's dependencies make a cycle? */
static DWORD check_cycle(svc *s)
{
    svc **order;
    size_t n;
    DWORD e = graph_start_order(&s, 1, &order, &n);
    free(order);
    return e == ERROR_CIRCULAR_DEPENDENCY ? e : 0;
}

/* Accounts are stored and reported as configured, not honoured: every
 * service process runs with the manager's token (docs/ns-svc.md). One log
 * line says so when a service gets another account than LocalSystem, and
 * when such a service starts. A password is never stored nor logged. */
static void warn_account(const svc *s, const char *when)
{
    const wchar_t *a = s->account;
    if (!a || !a[0] || !_wcsicmp(a, L"LocalSystem") || !_wcsicmp(a, L".\\LocalSystem"))
        return;
    char n[300], an[300];
    scm_log("warning: service %s (%s): account %s is not honoured: it runs with the "
            "manager's token (the VM's user)", scm_narrow(s->name, n, sizeof n), when,
            scm_narrow(a, an, sizeof an));
}

static int cmp_svc(const void *a, const void *b)
{
    const svc *x = *(svc *const *)a, *y = *(svc *const *)b;
    return _wcsicmp(x->name, y->name);
}

static void put_entries(scm_writer *w, svc **list, size_t n)
{
    scm_entries_begin(w);
    for (size_t i = 0; i < n; i++)
        scm_put_entry(w, (const uint16_t *)list[i]->name, (const uint16_t *)list[i]->display,
                      &list[i]->st);
    scm_entries_end(w);
}

/* Delayed auto-start services: started AutoStartDelay ms (HKLM\SYSTEM\
 * CurrentControlSet\Control, default 120000 as Windows) after the boot. */
static DWORD WINAPI delayed_boot(void *arg)
{
    (void)arg;
    HKEY k;
    DWORD delay = 120000, size = sizeof delay, type = 0;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Control", 0,
                      KEY_QUERY_VALUE, &k) == 0) {
        if (RegQueryValueExW(k, L"AutoStartDelay", NULL, &type, (BYTE *)&delay, &size) ||
            type != REG_DWORD)
            delay = 120000;
        RegCloseKey(k);
    }
    Sleep(delay);
    EnterCriticalSection(&g_lock);
    svc **list = calloc(g_nsvcs + 1, sizeof *list);
    size_t n = 0;
    for (size_t i = 0; list && i < g_nsvcs; i++)
        if (g_svcs[i]->start == SERVICE_AUTO_START && g_svcs[i]->delayed &&
            !g_svcs[i]->marked_delete) {
            list[n++] = g_svcs[i];
            g_svcs[i]->pins++;
        }
    for (size_t i = 0; i < n; i++) {
        svc *s = list[i];
        if (s->st.state == SERVICE_STOPPED && s->start == SERVICE_AUTO_START && s->delayed) {
            DWORD e = svc_start(s, NULL);
            char nm[300];
            scm_log("boot (delayed): %s: %lu", scm_narrow(s->name, nm, sizeof nm),
                    (unsigned long)e);
        }
    }
    for (size_t i = 0; i < n; i++) {
        list[i]->pins--;
        db_reap(list[i]);
    }
    free(list);
    LeaveCriticalSection(&g_lock);
    return 0;
}

/* plume start: the auto-start services, dependencies first; the delayed
 * ones are reported with SCM_STATUS_DELAYED in their flags and started
 * later. */
static void boot(scm_writer *w)
{
    svc **autos = calloc(g_nsvcs + 1, sizeof *autos);
    size_t na = 0, ndelayed = 0;
    for (size_t i = 0; autos && i < g_nsvcs; i++)
        if (g_svcs[i]->start == SERVICE_AUTO_START && (g_svcs[i]->type & SERVICE_WIN32) &&
            !g_svcs[i]->marked_delete)
            autos[na++] = g_svcs[i];
    qsort(autos, na, sizeof *autos, cmp_svc);
    DWORD *errs = calloc(na + 1, sizeof *errs);
    for (size_t i = 0; i < na; i++)
        autos[i]->pins++;
    for (size_t i = 0; errs && i < na; i++) {
        svc *s = autos[i];
        DWORD e = 0;
        if (s->delayed) {
            ndelayed++;
            continue;
        }
        if (s->st.state == SERVICE_STOPPED)
            e = svc_start(s, NULL);
        if (!e)
            e = svc_wait_running(s);
        errs[i] = e;
        char n[300];
        scm_log("boot: %s: %lu", scm_narrow(s->name, n, sizeof n), (unsigned long)e);
    }
    scm_entries_begin(w);
    for (size_t i = 0; i < na; i++) {
        scm_status st = autos[i]->st;
        if (errs && errs[i])
            st.win32_exit = errs[i];
        if (autos[i]->delayed && st.state == SERVICE_STOPPED)
            st.flags |= SCM_STATUS_DELAYED;
        scm_put_entry(w, (const uint16_t *)autos[i]->name, (const uint16_t *)autos[i]->display,
                      &st);
        autos[i]->pins--;
    }
    scm_entries_end(w);
    free(errs);
    free(autos);
    if (ndelayed) {
        HANDLE t = CreateThread(NULL, 0, delayed_boot, NULL, 0, NULL);
        if (t)
            CloseHandle(t);
    }
}

/* Handles one request (lock held); writes the reply into w. */
static void handle(const scm_msg *m, scm_writer *w, uint8_t *buf)
{
    svc *s = NULL;
    DWORD access = 0;
    int is_scm = 0;
    DWORD err = 0;
    int have = SCM_HAS(m, HANDLE) && handle_get(m->handle, &s, &access, &is_scm) == 0;
#define REPLY(e) scm_begin(w, buf, SCM_MAX_MSG, m->op, (e))
#define NEED_SCM(right)                                                                 \
    do {                                                                                \
        if (!have || !is_scm) { REPLY(ERROR_INVALID_HANDLE); return; }                  \
        if ((right) && !(access & (right))) { REPLY(ERROR_ACCESS_DENIED); return; }    \
    } while (0)
#define NEED_SVC(right)                                                                 \
    do {                                                                                \
        if (!have || is_scm) { REPLY(ERROR_INVALID_HANDLE); return; }                   \
        if ((right) && !(access & (right))) { REPLY(ERROR_ACCESS_DENIED); return; }    \
    } while (0)

    switch (m->op) {
    case SCM_OP_OPEN_SCM: {
        uint32_t id = handle_new(NULL, map_access(m->access | SC_MANAGER_CONNECT, 1));
        REPLY(id ? 0 : ERROR_NOT_ENOUGH_MEMORY);
        scm_put_u32(w, SCM_F_HANDLE, id);
        return;
    }
    case SCM_OP_OPEN: {
        NEED_SCM(0);
        if (!m->name || !m->name[0]) {
            REPLY(ERROR_INVALID_NAME);
            return;
        }
        svc *t = db_find((const wchar_t *)m->name);
        if (!t) {
            REPLY(ERROR_SERVICE_DOES_NOT_EXIST);
            return;
        }
        uint32_t id = handle_new(t, map_access(m->access, 0));
        REPLY(id ? 0 : ERROR_NOT_ENOUGH_MEMORY);
        scm_put_u32(w, SCM_F_HANDLE, id);
        return;
    }
    case SCM_OP_CREATE: {
        NEED_SCM(SC_MANAGER_CREATE_SERVICE);
        if (!valid_name(m->name)) {
            REPLY(ERROR_INVALID_NAME);
            return;
        }
        if (!m->path || !m->path[0] || !valid_type(m->type) || !valid_start(m->start, m->type) ||
            m->errctl > SERVICE_ERROR_CRITICAL) {
            REPLY(ERROR_INVALID_PARAMETER);
            return;
        }
        svc *t = db_find((const wchar_t *)m->name);
        if (t) {
            REPLY(t->marked_delete ? ERROR_SERVICE_MARKED_FOR_DELETE : ERROR_SERVICE_EXISTS);
            return;
        }
        if ((m->display && m->display[0] && display_taken(m->display, NULL)) ||
            db_find_display((const wchar_t *)m->name)) {
            REPLY(ERROR_DUPLICATE_SERVICE_NAME);
            return;
        }
        err = db_create(m, &t);
        if (!err && check_cycle(t)) {
            t->marked_delete = 1;
            db_reap(t);
            REPLY(ERROR_CIRCULAR_DEPENDENCY);
            return;
        }
        if (err) {
            REPLY(err);
            return;
        }
        char n[300];
        scm_log("service %s created", scm_narrow(t->name, n, sizeof n));
        warn_account(t, "created");
        if (m->password && m->password[0])
            scm_log("service %s: a password was given: not stored", n);
        uint32_t id = handle_new(t, map_access(m->access, 0));
        REPLY(0);
        scm_put_u32(w, SCM_F_HANDLE, id);
        return;
    }
    case SCM_OP_CLOSE:
        if (!have) {
            REPLY(ERROR_INVALID_HANDLE);
            return;
        }
        handle_close(m->handle);
        WakeAllConditionVariable(&g_changed); /* a WAIT on this handle ends */
        REPLY(0);
        return;
    case SCM_OP_DELETE:
        NEED_SVC(DELETE);
        if (s->marked_delete) {
            REPLY(ERROR_SERVICE_MARKED_FOR_DELETE);
            return;
        }
        s->marked_delete = 1;
        WakeAllConditionVariable(&g_changed); /* SERVICE_NOTIFY_DELETE_PENDING */
        REPLY(0);
        return;
    case SCM_OP_START: {
        NEED_SVC(SERVICE_START);
        if (g_dblock) {
            REPLY(ERROR_SERVICE_DATABASE_LOCKED);
            return;
        }
        if (s->st.state == SERVICE_STOPPED && s->start != SERVICE_DISABLED && !s->marked_delete)
            warn_account(s, "start");
        s->pins++;
        err = svc_start(s, (const wchar_t *)m->args);
        s->pins--;
        REPLY(err);
        return;
    }
    case SCM_OP_CONTROL: {
        DWORD c = m->control, right = c == SERVICE_CONTROL_STOP ? SERVICE_STOP
                                      : c == SERVICE_CONTROL_INTERROGATE ? SERVICE_INTERROGATE
                                      : c >= 128 ? SERVICE_USER_DEFINED_CONTROL
                                                 : SERVICE_PAUSE_CONTINUE;
        NEED_SVC(right);
        scm_status st;
        s->pins++;
        err = svc_control(s, c, &st);
        s->pins--;
        REPLY(err);
        scm_put_status(w, &st);
        return;
    }
    case SCM_OP_QUERY:
        NEED_SVC(SERVICE_QUERY_STATUS);
        REPLY(0);
        scm_put_status(w, &s->st);
        scm_put_str(w, SCM_F_NAME, (const uint16_t *)s->name);
        scm_put_u32(w, SCM_F_EXITCODE, s->exit_code);
        return;
    case SCM_OP_QUERY_CONFIG:
        NEED_SVC(SERVICE_QUERY_CONFIG);
        REPLY(0);
        scm_put_u32(w, SCM_F_TYPE, s->type);
        scm_put_u32(w, SCM_F_START, s->start);
        scm_put_u32(w, SCM_F_ERRCTL, s->errctl);
        scm_put_u32(w, SCM_F_TAG, s->tag);
        scm_put_str(w, SCM_F_NAME, (const uint16_t *)s->name);
        scm_put_str(w, SCM_F_PATH, (const uint16_t *)(s->path ? s->path : L""));
        scm_put_str(w, SCM_F_GROUP, (const uint16_t *)(s->group ? s->group : L""));
        scm_put_msz(w, SCM_F_DEPS, (const uint16_t *)s->deps);
        scm_put_str(w, SCM_F_ACCOUNT, (const uint16_t *)(s->account ? s->account : L""));
        scm_put_str(w, SCM_F_DISPLAY, (const uint16_t *)s->display);
        if (s->desc)
            scm_put_str(w, SCM_F_DESC, (const uint16_t *)s->desc);
        scm_put_actions(w, s->fa_reset, s->fa_count, s->fa);
        if (s->fa_reboot)
            scm_put_str(w, SCM_F_REBOOTMSG, (const uint16_t *)s->fa_reboot);
        if (s->fa_command)
            scm_put_str(w, SCM_F_COMMAND, (const uint16_t *)s->fa_command);
        scm_put_u32(w, SCM_F_DELAYED, s->delayed);
        scm_put_u32(w, SCM_F_FLAGS, s->fa_nonfatal);
        if (s->sd)
            scm_put_bytes(w, SCM_F_SD, s->sd, s->sd_size);
        return;
    case SCM_OP_CHANGE_CONFIG: {
        NEED_SVC(SERVICE_CHANGE_CONFIG);
        if (s->marked_delete) {
            REPLY(ERROR_SERVICE_MARKED_FOR_DELETE);
            return;
        }
        DWORD type = SCM_HAS(m, TYPE) ? m->type : s->type;
        DWORD start = SCM_HAS(m, START) ? m->start : s->start;
        if ((SCM_HAS(m, TYPE) && !valid_type(type)) || !valid_start(start, type) ||
            (SCM_HAS(m, ERRCTL) && m->errctl > SERVICE_ERROR_CRITICAL) ||
            (m->path && !m->path[0])) {
            REPLY(ERROR_INVALID_PARAMETER);
            return;
        }
        if (m->display && m->display[0] && display_taken(m->display, s)) {
            REPLY(ERROR_DUPLICATE_SERVICE_NAME);
            return;
        }
        if (m->actions) {
            int restart = 0;
            for (uint32_t i = 0; i < m->fa_count; i++) {
                uint32_t t, d;
                scm_action(m, i, &t, &d);
                if (t > SC_ACTION_RUN_COMMAND) {
                    REPLY(ERROR_INVALID_PARAMETER);
                    return;
                }
                restart |= t == SC_ACTION_RESTART;
            }
            /* As Windows: a restart action needs SERVICE_START on the handle. */
            if (restart && !(access & SERVICE_START)) {
                REPLY(ERROR_ACCESS_DENIED);
                return;
            }
            s->fa_reset = m->fa_reset;
            s->fa_count = m->fa_count;
            for (uint32_t i = 0; i < m->fa_count; i++)
                scm_action(m, i, &s->fa[2 * i], &s->fa[2 * i + 1]);
        }
        if (SCM_HAS(m, DELAYED))
            s->delayed = m->delayed != 0;
        if (SCM_HAS(m, FLAGS))
            s->fa_nonfatal = m->flags != 0;
        if (m->sd) {
            uint8_t *sd = malloc(m->sd_size ? m->sd_size : 1);
            if (!sd) {
                REPLY(ERROR_NOT_ENOUGH_MEMORY);
                return;
            }
            memcpy(sd, m->sd, m->sd_size);
            free(s->sd);
            s->sd = sd;
            s->sd_size = m->sd_size;
        }
        if (m->deps) {
            wchar_t *old = s->deps;
            s->deps = scm_mszdup((const wchar_t *)m->deps);
            if (check_cycle(s)) {
                free(s->deps);
                s->deps = old;
                REPLY(ERROR_CIRCULAR_DEPENDENCY);
                return;
            }
            free(old);
        }
        s->type = type;
        s->st.type = type;
        s->start = start;
        if (SCM_HAS(m, ERRCTL))
            s->errctl = m->errctl;
#define SETSTR(f, v)                                                                    \
    if (v) {                                                                            \
        free(s->f);                                                                     \
        s->f = v[0] ? scm_wcsdup((const wchar_t *)v) : NULL;                            \
    }
        SETSTR(path, m->path)
        SETSTR(group, m->group)
        SETSTR(account, m->account)
        SETSTR(desc, m->desc)
        SETSTR(fa_reboot, m->rebootmsg)
        SETSTR(fa_command, m->command)
#undef SETSTR
        if (m->display && m->display[0])
            wcsncpy(s->display, (const wchar_t *)m->display, NAME_MAX_UNITS - 1);
        if (m->account)
            warn_account(s, "changed");
        if (m->password && m->password[0]) {
            char n[300];
            scm_log("service %s: a password was given: not stored",
                    scm_narrow(s->name, n, sizeof n));
        }
        REPLY(db_save(s));
        return;
    }
    case SCM_OP_ENUM: {
        NEED_SCM(SC_MANAGER_ENUMERATE_SERVICE);
        DWORD state = m->state, type = m->type;
        if (!state || (state & ~(DWORD)SERVICE_STATE_ALL) || !type ||
            (type & ~(DWORD)(SERVICE_WIN32 | SERVICE_DRIVER | SERVICE_INTERACTIVE_PROCESS))) {
            REPLY(ERROR_INVALID_PARAMETER);
            return;
        }
        /* The group (EnumServicesStatusEx's pszGroupName): absent = all;
         * "" = the services in no group; a name = its members (compared
         * without case), ERROR_SERVICE_DOES_NOT_EXIST when no service has
         * that group (as Windows for an unknown group). */
        const wchar_t *grp = (const wchar_t *)m->group;
        if (grp && grp[0]) {
            int known = 0;
            for (size_t i = 0; i < g_nsvcs && !known; i++)
                known = g_svcs[i]->group && scm_wieq((const uint16_t *)g_svcs[i]->group, m->group);
            if (!known) {
                REPLY(ERROR_SERVICE_DOES_NOT_EXIST);
                return;
            }
        }
        svc **list = calloc(g_nsvcs + 1, sizeof *list);
        size_t n = 0;
        for (size_t i = 0; list && i < g_nsvcs; i++) {
            svc *t = g_svcs[i];
            DWORD bit = t->st.state == SERVICE_STOPPED ? SERVICE_INACTIVE : SERVICE_ACTIVE;
            if (grp && !(grp[0] ? t->group && scm_wieq((const uint16_t *)t->group, m->group)
                                : !t->group || !t->group[0]))
                continue;
            if ((t->type & type) && (state & bit))
                list[n++] = t;
        }
        qsort(list, n, sizeof *list, cmp_svc);
        REPLY(list ? 0 : ERROR_NOT_ENOUGH_MEMORY);
        put_entries(w, list, n);
        free(list);
        return;
    }
    case SCM_OP_DEPENDENTS: {
        NEED_SVC(SERVICE_ENUMERATE_DEPENDENTS);
        DWORD state = m->state;
        if (!state || (state & ~(DWORD)SERVICE_STATE_ALL)) {
            REPLY(ERROR_INVALID_PARAMETER);
            return;
        }
        svc **list;
        size_t n = graph_active_dependents(s, &list, state);
        REPLY(0);
        put_entries(w, list, n);
        free(list);
        return;
    }
    case SCM_OP_KEY_NAME:
    case SCM_OP_DISPLAY_NAME: {
        NEED_SCM(0);
        const uint16_t *q = m->op == SCM_OP_KEY_NAME ? m->display : m->name;
        if (!q) {
            REPLY(ERROR_INVALID_PARAMETER);
            return;
        }
        svc *t = m->op == SCM_OP_KEY_NAME ? db_find_display((const wchar_t *)q)
                                          : db_find((const wchar_t *)q);
        if (!t && m->op == SCM_OP_KEY_NAME)
            t = db_find((const wchar_t *)q);
        if (!t) {
            REPLY(ERROR_SERVICE_DOES_NOT_EXIST);
            return;
        }
        REPLY(0);
        scm_put_str(w, SCM_F_NAME, (const uint16_t *)t->name);
        scm_put_str(w, SCM_F_DISPLAY, (const uint16_t *)t->display);
        return;
    }
    case SCM_OP_SET_STATUS:
        LeaveCriticalSection(&g_lock);
        err = svc_set_status(m);
        EnterCriticalSection(&g_lock);
        REPLY(err);
        return;
    case SCM_OP_BOOT:
        if (g_booted) {
            REPLY(ERROR_SERVICE_ALREADY_RUNNING);
            return;
        }
        g_booted = 1;
        scm_log("boot: starting the auto-start services");
        REPLY(0);
        boot(w);
        return;
    case SCM_OP_SHUTDOWN: {
        /* The reply lists the services that were running (not stopped)
         * when the shutdown began, with their state after it. */
        svc **list = calloc(g_nsvcs + 1, sizeof *list);
        size_t n = 0;
        for (size_t i = 0; list && i < g_nsvcs; i++)
            if (g_svcs[i]->st.state != SERVICE_STOPPED) {
                g_svcs[i]->pins++;
                list[n++] = g_svcs[i];
            }
        LeaveCriticalSection(&g_lock);
        svc_shutdown_all(SCM_HAS(m, CONTROL) ? m->control : 20000);
        EnterCriticalSection(&g_lock);
        for (size_t i = 0; i < n; i++)
            list[i]->pins--;
        qsort(list, n, sizeof *list, cmp_svc);
        REPLY(0);
        put_entries(w, list, n);
        free(list);
        return;
    }
    case SCM_OP_WAIT: {
        /* NotifyServiceStatusChange: returns when s is in a state of the
         * mask and changed since seq (0: at once when it is in one), or is
         * marked for delete (SERVICE_NOTIFY_DELETE_PENDING); at most 60 s
         * (ERROR_TIMEOUT: the client asks again). No polling. */
        if (have && is_scm) {
            /* On a manager handle: services created / deleted after seq. */
            NEED_SCM(SC_MANAGER_ENUMERATE_SERVICE);
            DWORD mask = m->state, begin = GetTickCount(), trig = 0;
            if (!mask || (mask & ~(DWORD)(SERVICE_NOTIFY_CREATED | SERVICE_NOTIFY_DELETED))) {
                REPLY(ERROR_INVALID_PARAMETER);
                return;
            }
            if (!SCM_HAS(m, SEQ)) { /* the probe: from now on */
                REPLY(0);
                scm_put_u32(w, SCM_F_SEQ, g_dbseq);
                return;
            }
            wchar_t *names = NULL;
            for (;;) {
                if ((names = db_events_since(m->seq, mask, &trig)) != NULL) {
                    err = 0;
                    break;
                }
                svc *now = NULL;
                DWORD acc2;
                int scm2 = 0;
                if (handle_get(m->handle, &now, &acc2, &scm2) || !scm2) {
                    err = ERROR_INVALID_HANDLE; /* closed meanwhile */
                    break;
                }
                DWORD spent = GetTickCount() - begin;
                if (spent >= 60000) {
                    err = ERROR_TIMEOUT;
                    break;
                }
                SleepConditionVariableCS(&g_changed, &g_lock, 60000 - spent);
            }
            REPLY(err);
            if (names) {
                scm_put_msz(w, SCM_F_NAMES, (const uint16_t *)names);
                free(names);
            }
            scm_put_u32(w, SCM_F_SEQ, err ? m->seq : g_dbseq);
            scm_put_u32(w, SCM_F_STATE, trig);
            return;
        }
        NEED_SVC(SERVICE_QUERY_STATUS);
        if (!SCM_HAS(m, SEQ)) {
            /* The probe at registration: a service marked for delete takes
             * no new registration (as Windows). */
            REPLY(s->marked_delete ? ERROR_SERVICE_MARKED_FOR_DELETE : 0);
            scm_put_status(w, &s->st);
            return;
        }
        DWORD mask = m->state, begin = GetTickCount();
        s->pins++;
        for (;;) {
            DWORD bit = s->st.state >= 1 && s->st.state <= 7 ? 1u << (s->st.state - 1) : 0;
            int fresh = !m->seq || s->change != m->seq;
            if (fresh && (mask & bit)) {
                err = 0;
                break;
            }
            if ((mask & SERVICE_NOTIFY_DELETE_PENDING) && s->marked_delete) {
                err = 0;
                break;
            }
            svc *now = NULL;
            DWORD acc2;
            int scm2;
            if (handle_get(m->handle, &now, &acc2, &scm2) || now != s) {
                err = ERROR_INVALID_HANDLE; /* closed meanwhile (CloseServiceHandle) */
                break;
            }
            DWORD spent = GetTickCount() - begin;
            if (spent >= 60000) {
                err = ERROR_TIMEOUT;
                break;
            }
            SleepConditionVariableCS(&g_changed, &g_lock, 60000 - spent);
        }
        s->pins--;
        REPLY(err);
        scm_put_status(w, &s->st);
        scm_put_u32(w, SCM_F_SEQ, s->change);
        scm_put_u32(w, SCM_F_STATE, s->marked_delete ? SERVICE_NOTIFY_DELETE_PENDING : 0);
        db_reap(s);
        return;
    }
    case SCM_OP_LOCK:
        NEED_SCM(SC_MANAGER_LOCK);
        if (g_dblock) {
            REPLY(ERROR_SERVICE_DATABASE_LOCKED);
            return;
        }
        {
            uint32_t id = 0x40000000u | (++g_dblock_count & 0xffffff);
            DWORD pid = t_client_pid ? t_client_pid : (SCM_HAS(m, PID) ? m->pid : 0);
            err = lock_watch_start(id, pid);
            if (err) {
                REPLY(err);
                return;
            }
            g_dblock = id;
        }
        g_dblock_since = GetTickCount();
        REPLY(0);
        scm_put_u32(w, SCM_F_HANDLE, g_dblock);
        return;
    case SCM_OP_UNLOCK:
        if (!SCM_HAS(m, HANDLE) || !g_dblock || m->handle != g_dblock) {
            REPLY(ERROR_INVALID_SERVICE_LOCK);
            return;
        }
        g_dblock = 0;
        if (g_dblock_released) {
            SetEvent(g_dblock_released); /* its watcher ends */
            g_dblock_released = NULL;
        }
        REPLY(0);
        return;
    case SCM_OP_LOCK_STATUS:
        NEED_SCM(SC_MANAGER_QUERY_LOCK_STATUS);
        REPLY(0);
        scm_put_u32(w, SCM_F_STATE, g_dblock != 0);
        scm_put_str(w, SCM_F_NAME, (const uint16_t *)(g_dblock ? L".\\LocalSystem" : L""));
        scm_put_u32(w, SCM_F_EXITCODE, g_dblock ? (GetTickCount() - g_dblock_since) / 1000 : 0);
        return;
    case SCM_OP_QUERY_SD:
    case SCM_OP_SET_SD: {
        DWORD info = m->flags, set = m->op == SCM_OP_SET_SD;
        if (!have) {
            REPLY(ERROR_INVALID_HANDLE);
            return;
        }
        if (is_scm)
            s = NULL; /* the manager's own descriptor */
        if (!info || (info & ~(DWORD)SD_PARTS) || (set && (!m->sd || !IsValidSecurityDescriptor(
                                                              (PSECURITY_DESCRIPTOR)m->sd) ||
                                                          GetSecurityDescriptorLength(
                                                              (PSECURITY_DESCRIPTOR)m->sd) >
                                                              m->sd_size))) {
            REPLY(ERROR_INVALID_PARAMETER);
            return;
        }
        DWORD need = 0;
        if (info & SACL_SECURITY_INFORMATION)
            need |= ACCESS_SYSTEM_SECURITY;
        if (!set && (info & ~(DWORD)SACL_SECURITY_INFORMATION))
            need |= READ_CONTROL;
        if (set && (info & DACL_SECURITY_INFORMATION))
            need |= WRITE_DAC;
        if (set && (info & (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION)))
            need |= WRITE_OWNER;
        if ((access & need) != need) {
            REPLY(ERROR_ACCESS_DENIED);
            return;
        }
        if (set && s && s->marked_delete) {
            REPLY(ERROR_SERVICE_MARKED_FOR_DELETE);
            return;
        }
        PSECURITY_DESCRIPTOR dflt;
        const void *cur = sd_of(s, &dflt);
        DWORD n = 0;
        uint8_t *sd = set ? sd_compose(cur, m->sd, info, &n) : sd_compose(NULL, cur, info, &n);
        if (dflt)
            LocalFree(dflt);
        if (!sd || n > SCM_MAX_SD) {
            free(sd);
            REPLY(sd ? ERROR_INVALID_PARAMETER : ERROR_NOT_ENOUGH_MEMORY);
            return;
        }
        if (set && !s) {
            free(g_scm_sd);
            g_scm_sd = sd;
            REPLY(0);
        } else if (set) {
            free(s->sd);
            s->sd = sd;
            s->sd_size = n;
            REPLY(db_save_sd(s));
        } else {
            REPLY(0);
            scm_put_bytes(w, SCM_F_SD, sd, n);
            free(sd);
        }
        return;
    }
    default:
        REPLY(ERROR_INVALID_FUNCTION);
        return;
    }
#undef REPLY
#undef NEED_SCM
#undef NEED_SVC
}

static DWORD WINAPI connection(void *arg)
{
    HANDLE h = arg;
    uint8_t *out = scmc_alloc();
    ULONG cpid = 0;
    t_client_pid = GetNamedPipeClientProcessId(h, &cpid) ? cpid : 0;
    for (;;) {
        scm_msg m;
        DWORD e;
        uint8_t *in = out ? scmc_recv(h, &m, &e) : NULL;
        if (!in)
            break;
        if (m.op == SCM_OP_HELLO) {
            sproc *p = svc_hello(h, &m);
            scmc_free(in);
            scmc_free(out);
            if (!p) {
                DisconnectNamedPipe(h);
                CloseHandle(h);
            } else {
                svc_ctl_reader(p, h); /* the service's replies, until it ends */
            }
            return 0;
        }
        scm_writer w;
        EnterCriticalSection(&g_lock);
        handle(&m, &w, out);
        LeaveCriticalSection(&g_lock);
        scmc_free(in);
        size_t n = scm_end(&w);
        if (!n) {
            scm_begin(&w, out, SCM_MAX_MSG, m.op, ERROR_INSUFFICIENT_BUFFER);
            n = scm_end(&w);
        }
        if (scmc_send(h, out, n))
            break;
    }
    scmc_free(out);
    DisconnectNamedPipe(h);
    CloseHandle(h);
    return 0;
}

int server_run(const wchar_t *pipe)
{
    int first = 1;
    for (;;) {
        HANDLE h = CreateNamedPipeW(pipe,
                                    PIPE_ACCESS_DUPLEX |
                                        (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
                                    PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT |
                                        PIPE_REJECT_REMOTE_CLIENTS,
                                    PIPE_UNLIMITED_INSTANCES, 65536, 65536, 0, NULL);
        if (h == INVALID_HANDLE_VALUE) {
            scm_log("cannot create the pipe: error %lu", (unsigned long)GetLastError());
            if (first)
                return 1;
            Sleep(50);
            continue;
        }
        first = 0;
        if (!ConnectNamedPipe(h, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
            CloseHandle(h);
            continue;
        }
        HANDLE t = CreateThread(NULL, 0, connection, h, 0, NULL);
        if (t)
            CloseHandle(t);
        else
            CloseHandle(h);
    }
}
