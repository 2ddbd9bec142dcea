/* plume endpoints [VM]: the host-endpoint rules in force (docs/ns-obj.md,
 * "The rule table"): the built-ins, %PLUME_ROOT%\endpoints.conf, and a
 * VM's "endpoint =" lines in its vm.conf, merged as the layer merges them
 * at each process start (src/layer/obj.c), with where each rule came from
 * and every problem of the files as FILE:LINE: problem. */
#include "cli.h"
#include "vmarg.h"
#include "store.h"
#include "objname.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

int cmd_endpoints(int argc, wchar_t **argv);

#define RULES_FILE_MAX (64 * 1024)   /* as the layer reads them */

static void endpoints_help(void)
{
    out("Usage: plume endpoints [VM]\n"
        "Shows the host endpoint rules: which names of the host's system endpoints\n"
        "(named pipes, ports, named objects, mailslots) a VM's programs may open on\n"
        "the host while the VM runs no instance of its own ('fallback'), and which\n"
        "stay the VM's own only ('private'). Once the VM runs its own instance of a\n"
        "name, it always gets the VM's. Without VM: the rules of every VM (the\n"
        "built-ins and the store's file); with VM: that VM's, its own lines included.\n"
        "\n"
        "Where the rules come from, in this order (for a name, the last matching\n"
        "rule wins; a rule replaces an earlier one of the same class and name):\n"
        "  built-in                   epmapper, irot, plugplay, the SCM's events...\n"
        "  %%PLUME_ROOT%%\\endpoints.conf  every VM: one rule a line, '#' comments\n"
        "  <VM folder>\\vm.conf         that VM: 'endpoint = RULE' lines\n"
        "A rule:  fallback|private  pipe|port|object|mailslot  NAME\n"
        "  e.g.   fallback pipe myapp\n"
        "         private pipe lrpc\\epmapper\n"
        "         fallback object __wine_SvcctlStartedEvent\n"
        "NAME is ASCII, any case; a final '*' matches any rest. For pipes and\n"
        "mailslots it is the whole name (lrpc\\epmapper), for ports (\\RPC Control)\n"
        "and objects (BaseNamedObjects) the first component.\n"
        "\n"
        "Locked, listed first: the service control manager's pipes and ports\n"
        "(svcctl, ntsvcs...) never fall back (a VM never reaches the host's SCM);\n"
        "a 'fallback' rule that could match them is refused, and so is one that\n"
        "could match a name starting with 'Plume' (Plume's and other VMs' names).\n"
        "\n"
        "A bad line is reported as FILE:LINE: problem, and its name (when it has\n"
        "one) does not fall back: the other rules stay in force. A file that exists\n"
        "but cannot be read turns every fallback off (fail closed). Rules apply to\n"
        "processes started after the change: 'plume stop' a VM to apply them to all.\n"
        "\n"
        "Output: one rule a line: VERB CLASS NAME FROM (built-in, locked, or\n"
        "FILE:LINE; '(bad line)' for a name a bad line made private).\n"
        "\n"
        "Exit codes: 0 fine; 1 a file has problems (reported; the table printed is\n"
        "the one in force) or the VM cannot be read; 2 bad command line.\n");
}

typedef struct err_ctx {
    const char *path;
    unsigned count;
} err_ctx;

static void on_err(void *ctx, unsigned long line, const char *msg)
{
    err_ctx *c = ctx;
    c->count++;
    fprintf(stderr, "plume endpoints: %s:%lu: %s\n", c->path, line, msg);
}

/* Reads path and merges its rules as src into s. Returns the number of
 * problems (bad lines, or 1 for a file that cannot be read). */
static unsigned load(objname_ruleset *s, const wchar_t *wpath, const char *path, int src)
{
    HANDLE h = CreateFileW(wpath, GENERIC_READ,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
            return 0;   /* no rules there */
        fail_win("endpoints", e, "%s: cannot be read, so nothing falls back (fail closed)",
                 path);
        objname_rules_close(s);
        return 1;
    }
    LARGE_INTEGER size;
    char *text = NULL;
    DWORD got = 0, e = 0;
    if (!GetFileSizeEx(h, &size))
        e = GetLastError();
    else if (size.QuadPart > RULES_FILE_MAX)
        e = ERROR_FILE_TOO_LARGE;
    else if (!(text = malloc((size_t)size.QuadPart + 1)))
        e = ERROR_NOT_ENOUGH_MEMORY;
    while (!e && got < (DWORD)size.QuadPart) {
        DWORD r = 0;
        if (!ReadFile(h, text + got, (DWORD)size.QuadPart - got, &r, NULL))
            e = GetLastError();
        else if (r == 0)
            break;
        got += r;
    }
    CloseHandle(h);
    if (e) {
        if (e == ERROR_FILE_TOO_LARGE)
            fail("endpoints", "%s: larger than 64 KiB, so nothing falls back (fail closed)",
                 path);
        else
            fail_win("endpoints", e, "%s: cannot be read, so nothing falls back (fail closed)",
                     path);
        objname_rules_close(s);
        free(text);
        return 1;
    }
    err_ctx c = { path, 0 };
    objname_rules_parse(s, src, text, got, on_err, &c);
    free(text);
    return c.count;
}

static void row(const char *verb, const objname_rule_entry *e, const char *from)
{
    /* A bad line's name may hold any byte: shown printable. */
    char name[OBJN_RULE_NAME_MAX + 1];
    size_t i = 0;
    for (; e->name[i] && i < OBJN_RULE_NAME_MAX; i++) {
        unsigned char c = (unsigned char)e->name[i];
        name[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
    }
    name[i] = 0;
    out("%-9s %-9s %-30s %s\n", verb, objname_class_name(e->cls), name, from);
}

int cmd_endpoints(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        endpoints_help();
        return PLUME_EXIT_OK;
    }
    if (argc > 2)
        return usage_error("endpoints", "too many arguments");
    char name[256] = "";
    if (argc == 2) {
        to_utf8(argv[1], name, sizeof name);
        if (argv[1][0] == L'-')
            return usage_error("endpoints", "unknown option '%s'", name);
    }

    vm_info vm;
    memset(&vm, 0, sizeof vm);
    if (name[0] && cli_find_vm("endpoints", name, &vm) != 0)
        return PLUME_EXIT_FAIL;
    wchar_t root[STORE_PATH_MAX], wpath[STORE_PATH_MAX + 32];
    DWORD e = store_root(root, STORE_PATH_MAX);
    if (e)
        return fail_win("endpoints", e, "cannot find the store");

    static objname_ruleset set;
    char store_path[STORE_PATH_MAX * 3], vm_path[STORE_PATH_MAX * 3] = "";
    unsigned problems = 0;
    objname_rules_init(&set);
    size_t n = wcslen(root);
    swprintf(wpath, sizeof wpath / sizeof wpath[0], L"%ls%lsendpoints.conf", root,
             n && (root[n - 1] == L'\\' || root[n - 1] == L'/') ? L"" : L"\\");
    to_utf8(wpath, store_path, sizeof store_path);
    problems += load(&set, wpath, store_path, OBJN_SRC_STORE);
    if (name[0]) {
        swprintf(wpath, sizeof wpath / sizeof wpath[0], L"%ls\\vm.conf", vm.dir);
        to_utf8(wpath, vm_path, sizeof vm_path);
        problems += load(&set, wpath, vm_path, OBJN_SRC_VM);
    }

    if (name[0])
        out("Host endpoint rules of VM '%s' (the last matching rule wins):\n", vm.name);
    else
        out("Host endpoint rules of every VM (the last matching rule wins; "
            "'plume endpoints VM' adds a VM's own):\n");
    if (set.closed)
        out("CLOSED: nothing falls back (a rules file cannot be read, or holds more than "
            "%d rules)\n", OBJN_RULES_MAX);
    out("%-9s %-9s %-30s %s\n", "VERB", "CLASS", "NAME", "FROM");
    for (size_t i = 0; i < objname_locked_count; i++) {
        objname_rule_entry le;
        memset(&le, 0, sizeof le);
        le.cls = objname_locked[i].cls;
        snprintf(le.name, sizeof le.name, "%s", objname_locked[i].name);
        char from[160];
        snprintf(from, sizeof from, "locked (%s)", objname_locked[i].why);
        row("private", &le, from);
    }
    for (size_t i = 0; i < set.count; i++) {
        const objname_rule_entry *r = &set.r[i];
        char from[STORE_PATH_MAX * 3 + 64];
        if (r->src == OBJN_SRC_BUILTIN)
            snprintf(from, sizeof from, "built-in (%s)", r->why ? r->why : "");
        else
            snprintf(from, sizeof from, "%s:%lu%s",
                     r->src == OBJN_SRC_VM ? vm_path : store_path, r->line,
                     r->flags & OBJN_RULE_BAD ? " (bad line)" : "");
        const char *verb = set.closed ? "(closed)"
                           : r->flags & OBJN_RULE_FALLBACK ? "fallback" : "private";
        row(verb, r, from);
    }
    if (problems) {
        fail("endpoints", "%u problem%s: the names of bad lines do not fall back; the other "
             "rules are in force as listed", problems, problems == 1 ? "" : "s");
        return PLUME_EXIT_FAIL;
    }
    return PLUME_EXIT_OK;
}
