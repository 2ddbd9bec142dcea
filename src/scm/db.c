/* The database: one record per subkey of
 * HKLM\SYSTEM\CurrentControlSet\Services that has a Type. Read through the
 * normal registry API: inside the VM the registry namespace makes this the
 * VM's copy-on-write view (every host service is there, changes stay in
 * the VM). Config changes are written back at once. */
#include "scm.h"
#include "svcfail.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define SERVICES_KEY L"SYSTEM\\CurrentControlSet\\Services"

svc **g_svcs;
size_t g_nsvcs;

static wchar_t *read_str(HKEY k, const wchar_t *value, int multi)
{
    DWORD type = 0, size = 0;
    if (RegQueryValueExW(k, value, NULL, &type, NULL, &size) != 0)
        return NULL;
    if (multi ? type != REG_MULTI_SZ : (type != REG_SZ && type != REG_EXPAND_SZ))
        return NULL;
    wchar_t *s = calloc(size / sizeof(wchar_t) + 2, sizeof(wchar_t));
    if (!s)
        return NULL;
    if (RegQueryValueExW(k, value, NULL, &type, (BYTE *)s, &size) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

static DWORD read_dword(HKEY k, const wchar_t *value, DWORD def)
{
    DWORD v, size = sizeof v, type = 0;
    if (RegQueryValueExW(k, value, NULL, &type, (BYTE *)&v, &size) != 0 || type != REG_DWORD)
        return def;
    return v;
}

/* DependOnService and DependOnGroup ("+GROUP") into one multi-string. */
static wchar_t *read_deps(HKEY k)
{
    wchar_t *svcs = read_str(k, L"DependOnService", 1);
    wchar_t *groups = read_str(k, L"DependOnGroup", 1);
    size_t n = 1;
    for (wchar_t *p = svcs; p && *p; p += wcslen(p) + 1)
        n += wcslen(p) + 1;
    for (wchar_t *p = groups; p && *p; p += wcslen(p) + 1)
        n += wcslen(p) + 2;
    wchar_t *d = calloc(n, sizeof *d), *o = d;
    if (d) {
        for (wchar_t *p = svcs; p && *p; p += wcslen(p) + 1)
            o = wcscpy(o, p) + wcslen(p) + 1;
        for (wchar_t *p = groups; p && *p; p += wcslen(p) + 1) {
            *o++ = L'+';
            o = wcscpy(o, p) + wcslen(p) + 1;
        }
        *o = 0;
    }
    free(svcs);
    free(groups);
    return d;
}

static svc *new_record(const wchar_t *name)
{
    svc *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    wcsncpy(s->name, name, NAME_MAX_UNITS - 1);
    s->st.state = SERVICE_STOPPED;
    s->st.win32_exit = ERROR_SERVICE_NEVER_STARTED; /* as Windows: 1077 */
    svc **a = realloc(g_svcs, (g_nsvcs + 1) * sizeof *a);
    if (!a) {
        free(s);
        return NULL;
    }
    g_svcs = a;
    g_svcs[g_nsvcs++] = s;
    return s;
}

static void load_one(HKEY services, const wchar_t *name)
{
    HKEY k;
    if (RegOpenKeyExW(services, name, 0, KEY_READ, &k) != 0)
        return;
    DWORD type = read_dword(k, L"Type", 0);
    if (type) {
        svc *s = new_record(name);
        if (s) {
            s->type = type;
            s->start = read_dword(k, L"Start", SERVICE_DEMAND_START);
            s->errctl = read_dword(k, L"ErrorControl", SERVICE_ERROR_NORMAL);
            s->tag = read_dword(k, L"Tag", 0);
            s->path = read_str(k, L"ImagePath", 0);
            s->group = read_str(k, L"Group", 0);
            s->account = read_str(k, L"ObjectName", 0);
            s->desc = read_str(k, L"Description", 0);
            s->deps = read_deps(k);
            s->delayed = read_dword(k, L"DelayedAutostart", 0);
            s->fa_nonfatal = read_dword(k, L"FailureActionsOnNonCrashFailures", 0);
            s->fa_reboot = read_str(k, L"RebootMessage", 0);
            s->fa_command = read_str(k, L"FailureCommand", 0);
            uint8_t blob[20 + 8 * SVCFAIL_MAX];
            DWORD bt = 0, bs = sizeof blob;
            svcfail_action acts[SVCFAIL_MAX];
            uint32_t cnt = 0;
            if (RegQueryValueExW(k, L"FailureActions", NULL, &bt, blob, &bs) == 0 &&
                bt == REG_BINARY && svcfail_parse(blob, bs, &s->fa_reset, acts, SVCFAIL_MAX, &cnt) == 0) {
                s->fa_count = cnt;
                for (uint32_t i = 0; i < cnt; i++) {
                    s->fa[2 * i] = acts[i].type;
                    s->fa[2 * i + 1] = acts[i].delay;
                }
            }
            HKEY sk;
            if (RegOpenKeyExW(k, L"Security", 0, KEY_READ, &sk) == 0) {
                DWORD st = 0, ss = 0;
                if (RegQueryValueExW(sk, L"Security", NULL, &st, NULL, &ss) == 0 &&
                    st == REG_BINARY && ss >= sizeof(SECURITY_DESCRIPTOR_RELATIVE) &&
                    ss <= SCM_MAX_SD && (s->sd = malloc(ss)) != NULL) {
                    if (RegQueryValueExW(sk, L"Security", NULL, &st, s->sd, &ss) == 0 &&
                        IsValidSecurityDescriptor(s->sd) &&
                        GetSecurityDescriptorLength(s->sd) <= ss) {
                        s->sd_size = ss;
                    } else {
                        free(s->sd);
                        s->sd = NULL;
                    }
                }
                RegCloseKey(sk);
            }
            wchar_t *d = read_str(k, L"DisplayName", 0);
            wcsncpy(s->display, d ? d : name, NAME_MAX_UNITS - 1);
            free(d);
            s->st.type = type;
        }
    }
    RegCloseKey(k);
}

void db_load(void)
{
    HKEY services;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, SERVICES_KEY, 0, KEY_READ, &services) != 0) {
        scm_log("cannot open the services key");
        return;
    }
    wchar_t name[NAME_MAX_UNITS];
    for (DWORD i = 0;; i++) {
        DWORD n = NAME_MAX_UNITS;
        LONG r = RegEnumKeyExW(services, i, name, &n, NULL, NULL, NULL, NULL);
        if (r == ERROR_NO_MORE_ITEMS)
            break;
        if (r == 0)
            load_one(services, name);
    }
    RegCloseKey(services);
}

svc *db_find(const wchar_t *name)
{
    for (size_t i = 0; i < g_nsvcs; i++)
        if (scm_wieq((const uint16_t *)g_svcs[i]->name, (const uint16_t *)name))
            return g_svcs[i];
    return NULL;
}

svc *db_find_display(const wchar_t *display)
{
    for (size_t i = 0; i < g_nsvcs; i++)
        if (scm_wieq((const uint16_t *)g_svcs[i]->display, (const uint16_t *)display))
            return g_svcs[i];
    return NULL;
}

static LONG set_str(HKEY k, const wchar_t *value, const wchar_t *s, DWORD type)
{
    if (!s)
        return RegDeleteValueW(k, value) == 0 ? 0 : 0;
    return RegSetValueExW(k, value, 0, type, (const BYTE *)s,
                          (DWORD)((wcslen(s) + 1) * sizeof *s));
}

static LONG set_dword(HKEY k, const wchar_t *value, DWORD v)
{
    return RegSetValueExW(k, value, 0, REG_DWORD, (const BYTE *)&v, sizeof v);
}

/* Splits the API's dependency list into DependOnService and DependOnGroup. */
static LONG set_deps(HKEY k, const wchar_t *deps)
{
    size_t n = deps ? scm_msz_len((const uint16_t *)deps) : 1;
    wchar_t *sv = calloc(n + 1, sizeof *sv), *gr = calloc(n + 1, sizeof *gr);
    wchar_t *so = sv, *go = gr;
    LONG r = ERROR_NOT_ENOUGH_MEMORY;
    if (sv && gr) {
        for (const wchar_t *p = deps; p && *p; p += wcslen(p) + 1) {
            if (*p == L'+')
                go = wcscpy(go, p + 1) + wcslen(p + 1) + 1;
            else
                so = wcscpy(so, p) + wcslen(p) + 1;
        }
        *so = 0;
        *go = 0;
        r = RegSetValueExW(k, L"DependOnService", 0, REG_MULTI_SZ, (const BYTE *)sv,
                           (DWORD)((so - sv + 1) * sizeof *sv));
        if (!r)
            r = RegSetValueExW(k, L"DependOnGroup", 0, REG_MULTI_SZ, (const BYTE *)gr,
                               (DWORD)((go - gr + 1) * sizeof *gr));
    }
    free(sv);
    free(gr);
    return r;
}

DWORD db_save(svc *s)
{
    HKEY k;
    wchar_t path[NAME_MAX_UNITS + 64];
    _snwprintf(path, NAME_MAX_UNITS + 64, L"%ls\\%ls", SERVICES_KEY, s->name);
    path[NAME_MAX_UNITS + 63] = 0;
    LONG r = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k,
                             NULL);
    if (r)
        return (DWORD)r;
    if (!r) r = set_dword(k, L"Type", s->type);
    if (!r) r = set_dword(k, L"Start", s->start);
    if (!r) r = set_dword(k, L"ErrorControl", s->errctl);
    if (!r) r = set_str(k, L"ImagePath", s->path, REG_EXPAND_SZ);
    if (!r) r = set_str(k, L"DisplayName", s->display, REG_SZ);
    if (!r) r = set_str(k, L"ObjectName", s->account, REG_SZ);
    if (!r) r = set_str(k, L"Group", s->group, REG_SZ);
    if (!r) r = set_str(k, L"Description", s->desc, REG_SZ);
    if (!r && s->tag) r = set_dword(k, L"Tag", s->tag);
    if (!r) r = set_deps(k, s->deps);
    if (!r) r = s->delayed ? set_dword(k, L"DelayedAutostart", 1)
                           : (RegDeleteValueW(k, L"DelayedAutostart"), 0);
    if (!r) r = s->fa_nonfatal ? set_dword(k, L"FailureActionsOnNonCrashFailures", 1)
                               : (RegDeleteValueW(k, L"FailureActionsOnNonCrashFailures"), 0);
    if (!r) r = set_str(k, L"RebootMessage", s->fa_reboot, REG_SZ);
    if (!r) r = set_str(k, L"FailureCommand", s->fa_command, REG_SZ);
    if (!r) {
        svcfail_action acts[SVCFAIL_MAX];
        uint8_t blob[20 + 8 * SVCFAIL_MAX];
        for (uint32_t i = 0; i < s->fa_count; i++)
            acts[i] = (svcfail_action){ s->fa[2 * i], s->fa[2 * i + 1] };
        size_t n = svcfail_format(s->fa_reset, acts, s->fa_count, blob, sizeof blob);
        if (s->fa_count || s->fa_reset)
            r = RegSetValueExW(k, L"FailureActions", 0, REG_BINARY, blob, (DWORD)n);
        else
            RegDeleteValueW(k, L"FailureActions");
    }
    RegCloseKey(k);
    return (DWORD)r;
}

DWORD db_save_sd(svc *s)
{
    HKEY k;
    wchar_t path[NAME_MAX_UNITS + 64];
    _snwprintf(path, NAME_MAX_UNITS + 64, L"%ls\\%ls\\Security", SERVICES_KEY, s->name);
    path[NAME_MAX_UNITS + 63] = 0;
    LONG r = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k,
                             NULL);
    if (r)
        return (DWORD)r;
    r = s->sd ? RegSetValueExW(k, L"Security", 0, REG_BINARY, s->sd, s->sd_size)
              : (RegDeleteValueW(k, L"Security"), 0);
    RegCloseKey(k);
    return (DWORD)r;
}

DWORD db_create(const scm_msg *m, svc **out)
{
    const wchar_t *name = (const wchar_t *)m->name;
    svc *s = new_record(name);
    if (!s)
        return ERROR_NOT_ENOUGH_MEMORY;
    s->type = m->type;
    s->start = m->start;
    s->errctl = m->errctl;
    s->path = scm_wcsdup((const wchar_t *)m->path);
    s->group = m->group && m->group[0] ? scm_wcsdup((const wchar_t *)m->group) : NULL;
    s->deps = scm_mszdup(m->deps ? (const wchar_t *)m->deps : L"");
    s->account = scm_wcsdup(m->account && m->account[0] ? (const wchar_t *)m->account
                                                       : L"LocalSystem");
    wcsncpy(s->display, m->display && m->display[0] ? (const wchar_t *)m->display : name,
            NAME_MAX_UNITS - 1);
    s->st.type = s->type;
    DWORD e = db_save(s);
    if (e) {
        g_nsvcs--;
        free(s);
        return e;
    }
    db_event(s->name, 1);
    *out = s;
    return 0;
}

/* --- created / deleted services (NotifyServiceStatusChange on a manager) --- */
uint32_t g_dbseq;
static struct db_ev {
    uint32_t seq;
    int created;
    wchar_t name[NAME_MAX_UNITS];
} g_ev[DB_EVENTS];

void db_event(const wchar_t *name, int created)
{
    if (++g_dbseq == 0)
        g_dbseq = 1;
    struct db_ev *e = &g_ev[g_dbseq % DB_EVENTS];
    e->seq = g_dbseq;
    e->created = created;
    wcsncpy(e->name, name, NAME_MAX_UNITS - 1);
    e->name[NAME_MAX_UNITS - 1] = 0;
    WakeAllConditionVariable(&g_changed);
}

wchar_t *db_events_since(uint32_t seq, DWORD mask, DWORD *triggered)
{
    *triggered = 0;
    uint32_t n = g_dbseq - seq; /* events after seq (wrapping) */
    if (n == 0)
        return NULL;
    if (n > DB_EVENTS)
        n = DB_EVENTS; /* older ones are gone: the last DB_EVENTS */
    wchar_t *out = malloc(((size_t)n * (NAME_MAX_UNITS + 1) + 1) * sizeof *out);
    if (!out)
        return NULL;
    size_t len = 0;
    for (uint32_t q = g_dbseq - n + 1, i = 0; i < n; i++, q++) {
        struct db_ev *e = &g_ev[q % DB_EVENTS];
        if (q == 0 || e->seq != q)
            continue;
        DWORD kind = e->created ? SERVICE_NOTIFY_CREATED : SERVICE_NOTIFY_DELETED;
        if (!(mask & kind))
            continue;
        *triggered |= kind;
        if (e->created)
            out[len++] = L'/';
        size_t l = wcslen(e->name);
        memcpy(out + len, e->name, (l + 1) * sizeof *out);
        len += l + 1;
    }
    out[len] = 0;
    if (!*triggered) {
        free(out);
        return NULL;
    }
    return out;
}

void db_reap(svc *s)
{
    if (!s->marked_delete || s->handles > 0 || s->pins > 0 || s->st.state != SERVICE_STOPPED || s->p ||
        s->restart_pending)
        return;
    wchar_t path[NAME_MAX_UNITS + 64];
    _snwprintf(path, NAME_MAX_UNITS + 64, L"%ls\\%ls", SERVICES_KEY, s->name);
    path[NAME_MAX_UNITS + 63] = 0;
    LONG r = RegDeleteTreeW(HKEY_LOCAL_MACHINE, path);
    if (r == 0)
        RegDeleteKeyW(HKEY_LOCAL_MACHINE, path);
    char n[300];
    scm_log("service %s deleted (registry: %ld)", scm_narrow(s->name, n, sizeof n), (long)r);
    db_event(s->name, 0);
    for (size_t i = 0; i < g_nsvcs; i++)
        if (g_svcs[i] == s) {
            g_svcs[i] = g_svcs[--g_nsvcs];
            break;
        }
    free(s->path);
    free(s->group);
    free(s->account);
    free(s->desc);
    free(s->deps);
    free(s->start_args);
    free(s->fa_reboot);
    free(s->fa_command);
    free(s->sd);
    free(s);
}
