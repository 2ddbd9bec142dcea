/* plume create / list / delete: the VM store from the command line. */
#include "cli.h"
#include "store.h"
#include "vmjob.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

/* The argument is an option (not a lone "-", which is a value). */
static int is_option(const wchar_t *a)
{
    return a[0] == L'-' && a[1] != 0;
}

/* --- time ------------------------------------------------------------------- */

/* Unix seconds -> "2026-11-25T18:00:00Z" (UTC) in buf[32]. Outside the
 * years 0000-9999 ISO 8601 needs more digits than anyone expects: then the
 * raw seconds are given. Pure arithmetic (days_from_civil, inverted). */
static const char *iso_time(int64_t t, char buf[32])
{
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                 /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);          /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    if (m <= 2)
        y++;
    if (y < 0 || y > 9999) {
        /* The seconds, by hand: no %lld (not every Windows CRT has it). */
        char tmp[24];
        size_t k = 0, j = 0;
        uint64_t u = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
        do {
            tmp[k++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        buf[j++] = '@';
        if (t < 0)
            buf[j++] = '-';
        while (k)
            buf[j++] = tmp[--k];
        buf[j] = 0;
        return buf;
    }
    snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
    return buf;
}

/* --- create ------------------------------------------------------------------- */

static void create_help(void)
{
    out("Usage: plume create NAME [--ip ADDRESS]\n"
        "Creates VM NAME: the folder <root>\\vms\\NAME holding its vm.conf and, later,\n"
        "all of its private state (<root> is %%PLUME_ROOT%%, default\n"
        "%%ProgramData%%\\Plume).\n"
        "\n"
        "NAME      1 to 32 letters, digits, '_' and '-'; unique, ignoring case.\n"
        "\n"
        "Options:\n"
        "  --ip ADDRESS  give the VM its own IPv4 address, like 127.0.0.2: unique\n"
        "                among the VMs; not 0.x.x.x, 127.0.0.1, multicast, 240.0.0.0\n"
        "                and up, nor ending in .0 or .255. Without it the VM shares\n"
        "                the host's network.\n"
        "  -h, --help    show this help\n"
        "\n"
        "Exit codes: 0 created; 1 failed (nothing was changed); 2 bad command line.\n");
}

int cmd_create(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        create_help();
        return PLUME_EXIT_OK;
    }
    const wchar_t *wname = NULL, *wip = NULL;
    int options = 1;
    char a[256];
    for (int i = 1; i < argc; i++) {
        const wchar_t *arg = argv[i];
        if (options && !wcscmp(arg, L"--")) {
            options = 0;
        } else if (options && (!wcscmp(arg, L"--ip") || !wcsncmp(arg, L"--ip=", 5))) {
            if (wip != NULL)
                return usage_error("create", "option '--ip' is given twice");
            if (arg[4] == L'=') {
                wip = arg + 5;
            } else if (i + 1 < argc) {
                wip = argv[++i];
            } else {
                return usage_error("create", "option '--ip' needs an address");
            }
        } else if (options && is_option(arg)) {
            return usage_error("create", "unknown option '%s'", to_utf8(arg, a, sizeof a));
        } else if (wname != NULL) {
            return usage_error("create", "unexpected argument '%s'", to_utf8(arg, a, sizeof a));
        } else {
            wname = arg;
        }
    }
    if (wname == NULL)
        return usage_error("create", "no VM name given");

    char name[256];
    to_utf8(wname, name, sizeof name);
    const char *why = vmname_check(name);
    if (why != NULL)
        return fail("create", "invalid VM name '%s': %s", name, why);
    uint32_t addr = 0;
    char ip[256] = "";
    if (wip != NULL) {
        to_utf8(wip, ip, sizeof ip);
        if (ipv4_parse(ip, &addr, &why) != 0)
            return fail("create", "invalid address '%s': %s", ip, why);
    }

    vm_info vm;
    char reason[256];
    DWORD e = store_create(name, wip ? &addr : NULL, &vm, reason, sizeof reason);
    switch (e) {
    case 0:
        break;
    case ERROR_INVALID_NAME:
        if (!reason[0])
            goto system_error;
        return fail("create", "invalid VM name '%s': %s", name, reason);
    case ERROR_INVALID_ADDRESS:
        if (!reason[0])
            goto system_error;
        return fail("create", "address %s cannot be a VM's address: it %s", ip, reason);
    case ERROR_ALREADY_EXISTS:
        if (!reason[0])
            goto system_error;
        if (strcmp(vm.name, name) != 0 && vm.name[0])
            return fail("create", "VM '%s' already exists (as '%s': names ignore case)", name,
                        vm.name);
        return fail("create", "VM '%s' already exists", name);
    case ERROR_ADDRESS_ALREADY_ASSOCIATED:
        if (!reason[0])
            goto system_error;
        return fail("create", "address %s is already used by VM '%s'", ip, vm.name);
    default:
    system_error: {
        char root[STORE_PATH_MAX * 3];
        wchar_t wroot[STORE_PATH_MAX];
        if (store_root(wroot, STORE_PATH_MAX) != 0)
            wroot[0] = 0;
        return fail_win("create", e, "cannot create VM '%s' in %s", name,
                        to_utf8(wroot, root, sizeof root));
    }
    }
    if (vm.cfg.has_ip) {
        char buf[16];
        ipv4_format(vm.cfg.ip, buf);
        out("Created VM '%s' with address %s.\n", vm.name, buf);
    } else {
        out("Created VM '%s'.\n", vm.name);
    }
    return PLUME_EXIT_OK;
}

/* --- list ------------------------------------------------------------------------ */

static void list_help(void)
{
    out("Usage: plume list [--json]\n"
        "Lists the VMs, by name, as a table:\n"
        "  NAME     the VM's name\n"
        "  ADDRESS  its IPv4 address, or 'host' when it shares the host's network\n"
        "  STATE    'running (N processes)', 'stopped', or 'broken: <reason>' for a\n"
        "           folder whose vm.conf is missing or malformed ('plume delete'\n"
        "           removes it)\n"
        "  CREATED  when it was created (ISO 8601, UTC)\n"
        "With no VMs it prints 'No VMs.'.\n"
        "\n"
        "Options:\n"
        "  --json     print a JSON array instead: one object per VM with \"name\",\n"
        "             \"ip\" (string or null), \"state\" (\"running\", \"stopped\" or\n"
        "             \"broken\"), \"processes\", \"created\" (string or null), \"dir\"\n"
        "             and \"error\" (null, or what is broken); [] with no VMs\n"
        "  -h, --help show this help\n"
        "\n"
        "Exit codes: 0 listed; 1 the store cannot be read; 2 bad command line.\n");
}


/* What list shows of one VM. */
typedef struct list_row {
    const vm_entry *v;
    char address[16];
    char state[300];
    char created[32];
    DWORD procs;
} list_row;

static void make_row(const vm_entry *v, list_row *r)
{
    r->v = v;
    r->procs = v->info.name[0] ? vmjob_count(v->info.name) : 0;
    if (v->status != 0) {
        strcpy(r->address, "-");
        snprintf(r->state, sizeof r->state, "broken: %s", v->why);
        strcpy(r->created, "-");
        return;
    }
    if (v->info.cfg.has_ip)
        ipv4_format(v->info.cfg.ip, r->address);
    else
        strcpy(r->address, "host");
    if (r->procs > 0)
        snprintf(r->state, sizeof r->state, "running (%lu process%s)",
                 (unsigned long)r->procs, r->procs == 1 ? "" : "es");
    else
        strcpy(r->state, "stopped");
    iso_time(v->info.cfg.created, r->created);
}

int cmd_list(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        list_help();
        return PLUME_EXIT_OK;
    }
    int json = 0;
    char a[256];
    for (int i = 1; i < argc; i++) {
        if (!wcscmp(argv[i], L"--json"))
            json = 1;
        else if (is_option(argv[i]))
            return usage_error("list", "unknown option '%s'", to_utf8(argv[i], a, sizeof a));
        else
            return usage_error("list", "unexpected argument '%s'", to_utf8(argv[i], a, sizeof a));
    }

    vm_entry *list;
    size_t n;
    DWORD e = store_list(&list, &n);
    if (e) {
        char root[STORE_PATH_MAX * 3];
        wchar_t wroot[STORE_PATH_MAX];
        if (store_root(wroot, STORE_PATH_MAX) != 0)
            wroot[0] = 0;
        return fail_win("list", e, "cannot read the VM store %s",
                        to_utf8(wroot, root, sizeof root));
    }
    list_row *rows = n ? HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, n * sizeof *rows) : NULL;
    if (n && rows == NULL) {
        store_list_free(list);
        return fail_win("list", ERROR_NOT_ENOUGH_MEMORY, "cannot list the VMs");
    }
    for (size_t i = 0; i < n; i++)
        make_row(&list[i], &rows[i]);

    if (json) {
        out("[");
        for (size_t i = 0; i < n; i++) {
            const list_row *r = &rows[i];
            const vm_entry *v = r->v;
            char dir[STORE_PATH_MAX * 3];
            out("%s\n  {\"name\": ", i ? "," : "");
            out_json_str(v->folder);
            out(", \"ip\": ");
            if (v->status == 0 && v->info.cfg.has_ip)
                out_json_str(r->address);
            else
                out("null");
            out(", \"state\": \"%s\", \"processes\": %lu, \"created\": ",
                v->status ? "broken" : r->procs ? "running" : "stopped",
                (unsigned long)r->procs);
            if (v->status == 0)
                out_json_str(r->created);
            else
                out("null");
            out(", \"dir\": ");
            out_json_str(to_utf8(v->info.dir, dir, sizeof dir));
            out(", \"error\": ");
            if (v->status)
                out_json_str(v->why);
            else
                out("null");
            out("}");
        }
        out(n ? "\n]\n" : "]\n");
    } else if (n == 0) {
        out("No VMs.\n");
    } else {
        /* Column widths: a broken row's long STATE does not widen the column
         * (it is the last thing on its line: broken rows have no CREATED). */
        size_t wn = 4, wa = 7, ws = 5;
        for (size_t i = 0; i < n; i++) {
            size_t k = strlen(rows[i].v->folder);
            if (k > wn)
                wn = k;
            if ((k = strlen(rows[i].address)) > wa)
                wa = k;
            if (rows[i].v->status == 0 && (k = strlen(rows[i].state)) > ws)
                ws = k;
        }
        out("%-*s  %-*s  %-*s  %s\n", (int)wn, "NAME", (int)wa, "ADDRESS", (int)ws, "STATE",
            "CREATED");
        for (size_t i = 0; i < n; i++) {
            const list_row *r = &rows[i];
            if (r->v->status)
                out("%-*s  %-*s  %s\n", (int)wn, r->v->folder, (int)wa, r->address, r->state);
            else
                out("%-*s  %-*s  %-*s  %s\n", (int)wn, r->v->folder, (int)wa, r->address,
                    (int)ws, r->state, r->created);
        }
    }
    if (rows)
        HeapFree(GetProcessHeap(), 0, rows);
    store_list_free(list);
    return PLUME_EXIT_OK;
}

/* --- delete ------------------------------------------------------------------------ */

static void delete_help(void)
{
    out("Usage: plume delete NAME\n"
        "Deletes VM NAME (any case) and all of its state: its folder\n"
        "<root>\\vms\\NAME goes. Refused while the VM runs: stop it first with\n"
        "'plume stop NAME'. A broken VM (see 'plume list') can be deleted too.\n"
        "\n"
        "The folder is first renamed aside (atomic: if that fails, say because a\n"
        "file in it is open, nothing changes), then removed. Should some of it\n"
        "resist removal, the VM is gone all the same; the rest is removed by a\n"
        "later 'plume delete' or 'plume list'.\n"
        "\n"
        "Options:\n"
        "  -h, --help  show this help\n"
        "\n"
        "Exit codes: 0 deleted; 1 failed (nothing was changed); 2 bad command line.\n");
}

int cmd_delete(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        delete_help();
        return PLUME_EXIT_OK;
    }
    const wchar_t *wname = NULL;
    int options = 1;
    char a[256];
    for (int i = 1; i < argc; i++) {
        if (options && !wcscmp(argv[i], L"--"))
            options = 0;
        else if (options && is_option(argv[i]))
            return usage_error("delete", "unknown option '%s'", to_utf8(argv[i], a, sizeof a));
        else if (wname != NULL)
            return usage_error("delete", "unexpected argument '%s'",
                               to_utf8(argv[i], a, sizeof a));
        else
            wname = argv[i];
    }
    if (wname == NULL)
        return usage_error("delete", "no VM name given");

    char name[256], why[STORE_PATH_MAX * 3];
    to_utf8(wname, name, sizeof name);
    const char *bad = vmname_check(name);
    if (bad != NULL)
        return fail("delete", "invalid VM name '%s': %s", name, bad);
    vm_info vm;
    DWORD procs = 0;
    int leftover = 0;
    DWORD e = store_delete(name, &vm, &procs, &leftover, why, sizeof why);
    switch (e) {
    case 0:
        break;
    case ERROR_INVALID_NAME:
        return fail("delete", "invalid VM name '%s': %s", name, why);
    case ERROR_NOT_FOUND:
        return fail("delete", "no VM named '%s'", name);
    case ERROR_BUSY:
        if (procs == 0)
            goto system_error;
        return fail("delete", "VM '%s' is running (%lu process%s); stop it first with "
                    "'plume stop %s'", vm.name, (unsigned long)procs, procs == 1 ? "" : "es",
                    vm.name);
    default:
    system_error:
        if (why[0])
            return fail_win("delete", e, "cannot delete VM '%s': %s; nothing was changed",
                            vm.name[0] ? vm.name : name, why);
        return fail_win("delete", e, "cannot delete VM '%s'", vm.name[0] ? vm.name : name);
    }
    out("Deleted VM '%s'.\n", vm.name);
    if (leftover) {
        fflush(stdout);
        fprintf(stderr, "plume delete: warning: some of its files could not be removed yet "
                "(still in %s); a later 'plume delete' or 'plume list' removes them.\n", why);
    }
    return PLUME_EXIT_OK;
}
