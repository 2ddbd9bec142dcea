/* plume diff / commit / discard: a VM's changes against the host
 * (docs/ns-state.md; the walk is src/store/vmstate.c). */
#include "cli.h"
#include "vmarg.h"
#include "store.h"
#include "vmjob.h"
#include "vmstate.h"
#include "svcctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define STOP_TIMEOUT_MS 30000

static const char diff_help[] =
    "Usage: plume diff VM [--json]\n"
    "Shows VM's changes against the host: files and directories added,\n"
    "modified and deleted, registry keys and values added, modified and deleted.\n"
    "One line each: CHANGE KIND PATH, CHANGE being added, modified or deleted,\n"
    "KIND file, key or value; a directory's path ends in '\\'; a value's path is\n"
    "its key's, '\\', and its name ('(default)' for the default value). A change\n"
    "that 'plume commit' would refuse ends in '(conflict: REASON)'. The last line\n"
    "counts them ('No changes.' when there are none).\n"
    "Registry paths are HKLM\\..., HKCU\\... (the current user) and HKU\\...\n"
    "\n"
    "Options:\n"
    "  --json      print a JSON array instead: {\"kind\": \"file\"|\"key\"|\"value\",\n"
    "              \"change\": \"added\"|\"modified\"|\"deleted\", \"path\", \"conflict\":\n"
    "              true|false, \"reason\" (the conflict's, or null)}, with \"dir\" for\n"
    "              files and \"key\" and \"name\" for values\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exit codes: 0 shown; 1 failed (no such VM...); 2 bad command line.\n";

static const char commit_help[] =
    "Usage: plume commit VM [PATH...] [--force] [--overwrite]\n"
    "Applies VM's changes to the host: all of them, or those at or under the\n"
    "given PATHs: Windows paths (C:\\dir\\file) and registry paths (HKLM\\...,\n"
    "HKCU\\..., HKU\\..., HKCR\\... meaning HKLM\\Software\\Classes). Each change is\n"
    "reported as it is done ('added file C:\\x', 'deleted key HKLM\\...'), then\n"
    "removed from the VM, which from then on sees the host's (now equal)\n"
    "version. Files are replaced atomically (written beside the target, then\n"
    "renamed over it). An interrupted commit can be run again: it does what is\n"
    "left.\n"
    "\n"
    "A file the host changed since the VM copied it (or deleted it, or made its\n"
    "own) is a conflict: it is reported ('conflict file ...: REASON') and left\n"
    "in the VM, and the other changes are committed. Registry values have no\n"
    "conflicts: the VM's value wins.\n"
    "\n"
    "Refused while the VM has processes, unless --force.\n"
    "\n"
    "Options:\n"
    "  --force      stop the VM's processes first (like 'plume stop VM')\n"
    "  --overwrite  commit conflicting files too, replacing the host's changes\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit codes: 0 everything selected was committed; 1 something was not\n"
    "(a conflict, an error: what was reported as done is done, the rest is\n"
    "still in the VM), or the commit could not start (nothing was changed);\n"
    "2 bad command line.\n";

static const char discard_help[] =
    "Usage: plume discard VM [--force]\n"
    "Drops all of VM's changes: its private files, deletion markers and\n"
    "private registry tree. The VM stays (its config is kept) and sees the host\n"
    "as a new VM does. Refused while the VM has processes, unless --force.\n"
    "\n"
    "Options:\n"
    "  --force     stop the VM's processes first (like 'plume stop VM')\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exit codes: 0 discarded; 1 failed; 2 bad command line.\n";

/* Finds VM `wname`; 0 or an exit code (the error printed). */
static int find_vm(const char *cmd, const wchar_t *wname, vm_info *vm)
{
    char n[128];
    to_utf8(wname, n, sizeof n);
    return cli_find_vm(cmd, n, vm) ? PLUME_EXIT_FAIL : 0;
}

/* Refuses a running VM unless force, which stops it. 0 or an exit code. */
static int not_running(const char *cmd, const vm_info *vm, int force)
{
    DWORD n = vmjob_count(vm->name);
    if (n == 0)
        return 0;
    if (!force)
        return fail(cmd, "VM '%s' is running (%lu process%s); stop it with 'plume stop %s' "
                    "or use --force; nothing was changed", vm->name, (unsigned long)n,
                    n == 1 ? "" : "es", vm->name);
    /* As plume stop: the VM's services first (reverse dependency order,
     * bounded), then every process of its job. */
    svc_shutdown_vm(vm->name, 20000);
    DWORD ended = 0, e = vs_stop(vm->name, STOP_TIMEOUT_MS, &ended);
    if (e == ERROR_TIMEOUT)
        return fail(cmd, "the processes of VM '%s' did not end within %d s; nothing was "
                    "changed", vm->name, STOP_TIMEOUT_MS / 1000);
    if (e)
        return fail_win(cmd, e, "cannot stop VM '%s'; nothing was changed", vm->name);
    if (ended < n)
        ended = n;
    out("Stopped VM '%s' (%lu process%s ended).\n", vm->name, (unsigned long)ended,
        ended == 1 ? "" : "es");
    return 0;
}

static const char *kind_text(int k)
{
    return k == VS_KEY ? "key" : k == VS_VALUE ? "value" : "file";
}

/* --- diff ------------------------------------------------------------------------ */

typedef struct diff_ctx {
    int json;
    unsigned long n;
} diff_ctx;

static void diff_line(const vs_change *c, void *p)
{
    diff_ctx *d = p;
    if (d->json) {
        out("%s\n  {\"kind\": \"%s\", \"change\": \"%s\", \"path\": ", d->n ? "," : "",
            kind_text(c->kind), sp_change_text(c->change));
        out_json_str(c->path);
        out(", \"conflict\": %s, \"reason\": ", c->conflict ? "true" : "false");
        if (c->conflict)
            out_json_str(sp_conflict_text(c->conflict));
        else
            out("null");
        if (c->kind == VS_FILE)
            out(", \"dir\": %s", c->dir ? "true" : "false");
        if (c->kind == VS_VALUE) {
            out(", \"key\": ");
            out_json_str(c->key);
            out(", \"name\": ");
            out_json_str(c->name);
        }
        out("}");
    } else {
        out("%-8s %-5s %s", sp_change_text(c->change), kind_text(c->kind), c->path);
        if (c->conflict)
            out("  (conflict: %s)", sp_conflict_text(c->conflict));
        out("\n");
    }
    d->n++;
}

int cmd_diff(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        out("%s", diff_help);
        return PLUME_EXIT_OK;
    }
    const wchar_t *name = NULL;
    int json = 0;
    char a[256];
    for (int i = 1; i < argc; i++) {
        if (!wcscmp(argv[i], L"--json"))
            json = 1;
        else if (argv[i][0] == L'-' && argv[i][1])
            return usage_error("diff", "unknown option '%s'", to_utf8(argv[i], a, sizeof a));
        else if (name)
            return usage_error("diff", "unexpected argument '%s'", to_utf8(argv[i], a, sizeof a));
        else
            name = argv[i];
    }
    if (!name)
        return usage_error("diff", "no VM given");
    vm_info vm;
    int rc = find_vm("diff", name, &vm);
    if (rc)
        return rc;
    diff_ctx d = { json, 0 };
    vs_opts o;
    memset(&o, 0, sizeof o);
    o.report = diff_line;
    o.ctx = &d;
    if (json)
        out("[");
    vs_totals t;
    DWORD e = vs_walk(&vm, &o, &t);
    if (json)
        out("%s]\n", d.n ? "\n" : "");
    if (e)
        return fail_win("diff", e, "cannot read the changes of VM '%s'", vm.name);
    if (!json) {
        if (t.changes == 0)
            out("No changes.\n");
        else
            out("%lu change%s, %lu conflict%s.\n", t.changes, t.changes == 1 ? "" : "s",
                t.conflicts, t.conflicts == 1 ? "" : "s");
    }
    return PLUME_EXIT_OK;
}

/* --- commit ---------------------------------------------------------------------- */

static void sys_text(DWORD e, char *buf, size_t cap)
{
    wchar_t w[512];
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e,
                             0, w, 512, NULL);
    while (n > 0 && (w[n - 1] == L'\n' || w[n - 1] == L'\r' || w[n - 1] == L'.'))
        w[--n] = 0;
    if (n == 0)
        wcscpy(w, L"system error");
    to_utf8(w, buf, cap);
}

static void commit_line(const vs_change *c, void *p)
{
    (void)p;
    if (c->done) {
        out("%s %s %s\n", sp_change_text(c->change), kind_text(c->kind), c->path);
    } else if (c->error) {
        char msg[1024];
        sys_text(c->error, msg, sizeof msg);
        out("failed %s %s %s: %s: %s (error %lu)\n", sp_change_text(c->change),
            kind_text(c->kind), c->path, c->why ? c->why : "cannot apply it", msg,
            (unsigned long)c->error);
    } else if (c->conflict) {
        out("conflict %s %s: %s (use --overwrite to commit it anyway)\n", kind_text(c->kind),
            c->path, sp_conflict_text(c->conflict));
    }
}

int cmd_commit(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        out("%s", commit_help);
        return PLUME_EXIT_OK;
    }
    const wchar_t *name = NULL;
    int force = 0, overwrite = 0, options = 1;
    char a[1024];
    sp_filter *filters = calloc((size_t)argc, sizeof *filters);
    size_t nf = 0;
    wchar_t sid[192];
    size_t nsid = vs_user_sid(sid, sizeof sid / sizeof sid[0]) == 0 ? wcslen(sid) : 0;
    int rc = 0;
    if (!filters)
        return fail_win("commit", ERROR_NOT_ENOUGH_MEMORY, "cannot start");
    for (int i = 1; i < argc && !rc; i++) {
        if (options && !wcscmp(argv[i], L"--")) {
            options = 0;
        } else if (options && !wcscmp(argv[i], L"--force")) {
            force = 1;
        } else if (options && !wcscmp(argv[i], L"--overwrite")) {
            overwrite = 1;
        } else if (options && argv[i][0] == L'-' && argv[i][1]) {
            rc = usage_error("commit", "unknown option '%s'", to_utf8(argv[i], a, sizeof a));
        } else if (!name) {
            name = argv[i];
        } else {
            if (sp_filter_parse((const uint16_t *)argv[i], wcslen(argv[i]),
                                (const uint16_t *)sid, nsid, &filters[nf]) == SP_K_BAD)
                rc = usage_error("commit", "'%s' is neither a full Windows path (C:\\dir) nor "
                                 "a registry path (HKLM\\..., HKCU\\...)",
                                 to_utf8(argv[i], a, sizeof a));
            nf++;
        }
    }
    if (!rc && !name)
        rc = usage_error("commit", "no VM given");
    vm_info vm;
    if (!rc)
        rc = find_vm("commit", name, &vm);
    if (!rc)
        rc = not_running("commit", &vm, force);
    if (rc) {
        free(filters);
        return rc;
    }
    vs_opts o;
    memset(&o, 0, sizeof o);
    o.commit = 1;
    o.overwrite = overwrite;
    o.filters = filters;
    o.nf = nf;
    o.report = commit_line;
    vs_totals t;
    DWORD e = vs_walk(&vm, &o, &t);
    free(filters);
    if (e)
        return fail_win("commit", e, "cannot read the changes of VM '%s'", vm.name);
    if (t.changes == 0) {
        out("No changes to commit in VM '%s'.\n", vm.name);
        return PLUME_EXIT_OK;
    }
    out("Committed %lu of %lu change%s of VM '%s'.\n", t.done, t.changes,
        t.changes == 1 ? "" : "s", vm.name);
    if (t.done < t.changes) {
        unsigned long conf = t.changes - t.done - t.errors;
        return fail("commit", "%lu conflict%s and %lu failure%s left in VM '%s' (see above)",
                    conf, conf == 1 ? "" : "s", t.errors, t.errors == 1 ? "" : "s", vm.name);
    }
    return PLUME_EXIT_OK;
}

/* --- discard ---------------------------------------------------------------------- */

int cmd_discard(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        out("%s", discard_help);
        return PLUME_EXIT_OK;
    }
    const wchar_t *name = NULL;
    int force = 0;
    char a[256];
    for (int i = 1; i < argc; i++) {
        if (!wcscmp(argv[i], L"--force"))
            force = 1;
        else if (argv[i][0] == L'-' && argv[i][1])
            return usage_error("discard", "unknown option '%s'", to_utf8(argv[i], a, sizeof a));
        else if (name)
            return usage_error("discard", "unexpected argument '%s'",
                               to_utf8(argv[i], a, sizeof a));
        else
            name = argv[i];
    }
    if (!name)
        return usage_error("discard", "no VM given");
    vm_info vm;
    int rc = find_vm("discard", name, &vm);
    if (!rc)
        rc = not_running("discard", &vm, force);
    if (rc)
        return rc;
    char why[256];
    DWORD e = vs_discard(&vm, why, sizeof why);
    if (e)
        return fail_win("discard", e, "cannot discard all changes of VM '%s': %s (run it again)",
                        vm.name, why);
    out("Discarded the changes of VM '%s'.\n", vm.name);
    return PLUME_EXIT_OK;
}
