/* Unit tests of the host-endpoint rules as data (src/core/objname.c):
 * objname_rules_parse (the store's endpoints.conf and a VM's vm.conf
 * "endpoint =" lines), the merge with the built-ins, the locked SCM names,
 * the safe failure of bad lines, and objname_map obeying the set in use. */
#include "objname.h"
#include "vmconfig.h"
#include "unit.h"

#include <stdlib.h>

static size_t u16(uint16_t *d, const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        d[n] = (uint8_t)s[n];
    d[n] = 0;
    return n;
}

static int same_fold(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if ((*a | 0x20) != (*b | 0x20))
            return 0;
    return *a == *b;
}

/* Fallback flag of an ASCII name in set. */
static unsigned fb(const objname_ruleset *s, int cls, const char *name)
{
    uint16_t w[600];
    size_t n = u16(w, name);
    return objname_ruleset_flags(s, cls, w, n);
}

/* The errors of the last parse, "LINE: message\n" each. */
static char errs[4096];
static size_t n_errs;

static void on_err(void *ctx, unsigned long line, const char *msg)
{
    (void)ctx;
    size_t at = strlen(errs);
    snprintf(errs + at, sizeof errs - at, "%lu: %s\n", line, msg);
    n_errs++;
    /* Messages are printable ASCII. */
    for (const char *p = msg; *p; p++)
        CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
}

static size_t parse(objname_ruleset *s, int src, const char *text)
{
    errs[0] = 0;
    n_errs = 0;
    size_t bad = objname_rules_parse(s, src, text, strlen(text), on_err, NULL);
    CHECK_EQ_INT(bad, n_errs);
    return bad;
}

#define HAS_ERR(sub) CHECK_MSG(strstr(errs, sub) != NULL, errs)

static void test_builtins(void)
{
    static objname_ruleset s;
    unit_ctx = "builtins";
    objname_rules_init(&s);
    CHECK_EQ_INT(s.count, objname_rule_count);
    CHECK_EQ_INT(s.closed, 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "epmapper"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "LRPC\\EpMapper"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_RPC, "epmapper"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_BNO, "__wine_SvcctlStartedEvent"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_BNO, "epmapper"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "svcctl"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "x"), 0);
    for (size_t i = 0; i < s.count; i++) {
        CHECK_EQ_INT(s.r[i].src, OBJN_SRC_BUILTIN);
        CHECK(s.r[i].why != NULL);
    }
    /* The locked names are the SCM's, and never in the built-ins. */
    CHECK(objname_locked_count >= 4);
    for (size_t i = 0; i < objname_locked_count; i++)
        CHECK_EQ_INT(fb(&s, objname_locked[i].cls, objname_locked[i].name), 0);
}

static void test_syntax(void)
{
    static objname_ruleset s;
    unit_ctx = "syntax";
    objname_rules_init(&s);
    CHECK_EQ_INT(parse(&s, OBJN_SRC_STORE,
                       "\xEF\xBB\xBF# a comment\n"
                       "\n"
                       "   \t\n"
                       "fallback pipe myapp\r\n"
                       "FALLBACK Port MyPort   # trailing comment\n"
                       "\tfallback object MyEvent\n"
                       "fallback mailslot slot\\x\n"
                       "private pipe lrpc\\irot\n"
                       "fallback pipe app\\*"),   /* no final newline */
                 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "myapp"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "MYAPP"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "myapp2"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_RPC, "myport"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_BNO, "MyEvent"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "MyEvent"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_MAILSLOT, "slot\\x"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "lrpc\\irot"), 0);      /* a built-in turned off */
    CHECK_EQ_INT(fb(&s, OBJN_C_RPC, "irot"), OBJN_RULE_FALLBACK);   /* other class kept */
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "app\\one"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "app\\"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "app"), 0);
    /* Sources and lines are kept. */
    int found = 0;
    for (size_t i = 0; i < s.count; i++)
        if (!strcmp(s.r[i].name, "MyPort")) {
            found = 1;
            CHECK_EQ_INT(s.r[i].src, OBJN_SRC_STORE);
            CHECK_EQ_INT(s.r[i].line, 5);
            CHECK_EQ_INT(s.r[i].cls, OBJN_C_RPC);
        }
    CHECK(found);
    /* The built-in lrpc\irot was replaced, not kept beside. */
    size_t irot = 0;
    for (size_t i = 0; i < s.count; i++)
        irot += s.r[i].cls == OBJN_C_PIPE && !strcmp(s.r[i].name, "lrpc\\irot");
    CHECK_EQ_INT(irot, 1);
}

static void test_precedence(void)
{
    static objname_ruleset s;
    unit_ctx = "precedence";
    objname_rules_init(&s);
    /* The store's file turns all pipe fallbacks off but epmapper; a VM
     * turns one back on and another off. */
    CHECK_EQ_INT(parse(&s, OBJN_SRC_STORE,
                       "private pipe *\n"
                       "fallback pipe epmapper\n"
                       "fallback pipe shared\n"),
                 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "lrpc\\epmapper"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "epmapper"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_RPC, "epmapper"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "shared"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(parse(&s, OBJN_SRC_VM,
                       "# Plume VM config\n"
                       "version = 1\n"
                       "name = a\n"
                       "endpoint = fallback pipe lrpc\\epmapper\n"
                       "endpoint=private pipe shared\n"
                       "endpointx = fallback pipe nope\n"
                       "Endpoint = fallback pipe nope\n"
                       "fallback pipe nope\n"
                       "created = 1\n"),
                 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "lrpc\\epmapper"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "shared"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "nope"), 0);
    /* The last matching rule wins, whatever its pattern. */
    CHECK_EQ_INT(parse(&s, OBJN_SRC_VM, "endpoint = private pipe e*\n"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "epmapper"), 0);
    CHECK_EQ_INT(parse(&s, OBJN_SRC_VM, "endpoint = fallback pipe EPMAPPER\n"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "epmapper"), OBJN_RULE_FALLBACK);
    /* A repeated rule replaces: one entry per class and name. */
    for (size_t i = 0; i < s.count; i++)
        for (size_t j = i + 1; j < s.count; j++)
            CHECK(!(s.r[i].cls == s.r[j].cls && same_fold(s.r[i].name, s.r[j].name)));
}

static void test_errors(void)
{
    static objname_ruleset s;
    unit_ctx = "errors";
    objname_rules_init(&s);
    size_t before = s.count;
    CHECK_EQ_INT(parse(&s, OBJN_SRC_STORE, "fallback pipe\n"), 1);
    HAS_ERR("1: missing the name");
    CHECK_EQ_INT(s.count, before);
    CHECK_EQ_INT(parse(&s, OBJN_SRC_STORE, "fallbak pipe epmapper\n"), 1);
    HAS_ERR("1: unknown rule 'fallbak'");
    /* The safe failure: the bad line's name does not fall back, though a
     * built-in said it would; the other built-ins stay in force. */
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "epmapper"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "lrpc\\epmapper"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(fb(&s, OBJN_C_RPC, "irot"), OBJN_RULE_FALLBACK);

    objname_rules_init(&s);
    CHECK_EQ_INT(parse(&s, OBJN_SRC_STORE, "fallback pipes irot\n"), 1);
    HAS_ERR("unknown class 'pipes'");
    /* Class unknown: the name is private in every class. */
    CHECK_EQ_INT(fb(&s, OBJN_C_RPC, "irot"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "lrpc\\irot"), OBJN_RULE_FALLBACK);
    for (size_t i = 0; i < s.count; i++)
        if (!strcmp(s.r[i].name, "irot"))
            CHECK_EQ_INT(s.r[i].flags, OBJN_RULE_BAD);

    objname_rules_init(&s);
    CHECK_EQ_INT(parse(&s, OBJN_SRC_STORE, "fallback pipe epmapper now\n"), 1);
    HAS_ERR("unexpected 'now' after the name");
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "epmapper"), 0);

    struct {
        const char *text, *err;
    } bad[] = {
        { "fallback\n", "missing the class" },
        { "fallback port a\\b\n", "one component" },
        { "fallback object a\\b\n", "one component" },
        { "fallback pipe a\\\\b\n", "empty component" },
        { "fallback pipe \\a\n", "empty component" },
        { "fallback pipe a\\\n", "empty component" },
        { "fallback pipe a*b\n", "before its end" },
        { "fallback pipe caf\xc3\xa9\n", "printable ASCII" },
        { "fallback pipe a\x01\n", "control character 0x01" },
        { "fallback pipe a\x7f\n", "control character 0x7f" },
        { "fallback pipe *\n", "starting with 'Plume'" },
        { "fallback object P*\n", "starting with 'Plume'" },
        { "fallback object plumevm.x\n", "starting with 'Plume'" },
        { "fallback pipe Plume.0badf00d.a.X\n", "starting with 'Plume'" },
        { "fallback pipe svcctl\n", "service control manager" },
        { "fallback pipe SVCCTL\n", "service control manager" },
        { "fallback pipe ntsvcs\n", "service control manager" },
        { "fallback pipe lrpc\\svcctl\n", "service control manager" },
        { "fallback pipe lrpc\\*\n", "service control manager" },
        { "fallback pipe s*\n", "service control manager" },
        { "fallback port ntsvcs\n", "service control manager" },
        { "fallback port *\n", "Plume" },
        { "allow pipe x\n", "unknown rule 'allow'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        objname_rules_init(&s);
        unit_ctx = bad[i].text;
        CHECK_EQ_INT(parse(&s, OBJN_SRC_STORE, bad[i].text), 1);
        HAS_ERR(bad[i].err);
        HAS_ERR("1: ");
        CHECK_EQ_INT(s.closed, 0);
    }
    unit_ctx = "errors";
    /* Fine: names close to the locked ones, and "private" of a locked one. */
    objname_rules_init(&s);
    CHECK_EQ_INT(parse(&s, OBJN_SRC_STORE,
                       "fallback pipe svcct\nfallback pipe svcctl2\nprivate pipe svcctl\n"
                       "fallback pipe plum\nfallback object lrpc*\nprivate pipe *\n"
                       "fallback port svc\n"),
                 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "svcctl"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_RPC, "svc"), OBJN_RULE_FALLBACK);
    /* Line numbers count every line, comments and blanks too. */
    objname_rules_init(&s);
    CHECK_EQ_INT(parse(&s, OBJN_SRC_STORE, "# x\n\nfallback pipe ok\r\nbogus\nfallback pipe svcctl\n"),
                 2);
    HAS_ERR("4: unknown rule 'bogus'");
    HAS_ERR("5: refused: pipe svcctl");
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "ok"), OBJN_RULE_FALLBACK);
    /* vm.conf: a bad "endpoint" line, by its vm.conf line number. */
    objname_rules_init(&s);
    CHECK_EQ_INT(parse(&s, OBJN_SRC_VM, "version = 1\nname = a\nendpoint =\nendpoint = x\n"), 2);
    HAS_ERR("3: 'endpoint =' without a rule");
    HAS_ERR("4: unknown rule 'x'");
    /* A long line. */
    char longl[400];
    memset(longl, 'a', sizeof longl);
    memcpy(longl, "fallback pipe ", 14);
    longl[sizeof longl - 1] = 0;
    objname_rules_init(&s);
    CHECK_EQ_INT(parse(&s, OBJN_SRC_STORE, longl), 1);
    HAS_ERR("longer than 255 bytes");
    /* Its name cannot be kept as a private rule: the set closes. */
    CHECK_EQ_INT(s.closed, 1);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "epmapper"), 0);
}

static void test_full(void)
{
    static objname_ruleset s;
    unit_ctx = "full";
    objname_rules_init(&s);
    char text[OBJN_RULES_MAX * 32];
    size_t at = 0;
    for (int i = 0; i < OBJN_RULES_MAX; i++)
        at += (size_t)snprintf(text + at, sizeof text - at, "fallback pipe p%d\n", i);
    CHECK_EQ_INT(objname_rules_parse(&s, OBJN_SRC_STORE, text, at, NULL, NULL), 0);
    /* More rules than fit: nothing falls back any more (fail closed). */
    CHECK_EQ_INT(s.closed, 1);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "p1"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "epmapper"), 0);
    objname_rules_init(&s);
    objname_rules_close(&s);
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "epmapper"), 0);
    /* Robust to NULLs. */
    CHECK_EQ_INT(objname_rules_parse(NULL, OBJN_SRC_STORE, "x", 1, NULL, NULL), 0);
    CHECK_EQ_INT(objname_rules_parse(&s, OBJN_SRC_STORE, NULL, 3, NULL, NULL), 0);
    CHECK_EQ_INT(objname_rules_parse(&s, OBJN_SRC_STORE, NULL, 0, NULL, NULL), 0);
    CHECK_EQ_INT(objname_ruleset_flags(NULL, OBJN_C_PIPE, NULL, 0), 0);
    objname_rules_init(NULL);
    objname_rules_close(NULL);
}

/* objname_map and objname_rule_flags obey the set in use. */
static void test_use(void)
{
    static objname_ruleset s;
    uint16_t nb[100], tb[32], out[200];
    size_t tl = u16(tb, "0badf00d.a");
    objname_out r;
    unit_ctx = "use";
    objname_rules_init(&s);
    CHECK_EQ_INT(parse(&s, OBJN_SRC_STORE,
                       "fallback pipe myapp\nprivate pipe lrpc\\epmapper\n"
                       "fallback object Ev\n"),
                 0);
    size_t nl = u16(nb, "\\??\\pipe\\myapp");
    CHECK_EQ_INT(objname_map(NULL, 0, nb, nl, tb, tl, 0, out, 200, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 0);   /* the built-ins until the set is used */
    objname_rules_use(&s);
    CHECK_EQ_INT(objname_map(NULL, 0, nb, nl, tb, tl, 0, out, 200, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 1);
    nl = u16(nb, "\\Device\\NamedPipe\\lrpc\\epmapper");
    CHECK_EQ_INT(objname_map(NULL, 0, nb, nl, tb, tl, 0, out, 200, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 0);
    nl = u16(nb, "Global\\Ev");
    /* Relative, without a root: not in a container. */
    CHECK_EQ_INT(objname_map(NULL, 0, nb, nl, tb, tl, 0, out, 200, &r), OBJN_PASS);
    uint16_t rb[64];
    size_t rl = u16(rb, "\\Sessions\\1\\BaseNamedObjects");
    CHECK_EQ_INT(objname_map(rb, rl, nb, nl, tb, tl, 0, out, 200, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 1);
    nl = u16(nb, "myapp");
    CHECK_EQ_INT(objname_rule_flags(OBJN_C_PIPE, nb, nl), OBJN_RULE_FALLBACK);
    objname_rules_use(NULL);
    CHECK_EQ_INT(objname_rule_flags(OBJN_C_PIPE, nb, nl), 0);
    /* Even a set that says so cannot make the locked names fall back. */
    objname_rules_init(&s);
    s.r[0].cls = OBJN_C_PIPE;
    memcpy(s.r[0].name, "svcctl", 7);
    s.r[0].flags = OBJN_RULE_FALLBACK;
    s.r[1].cls = OBJN_C_BNO;
    memcpy(s.r[1].name, "*", 2);
    s.r[1].flags = OBJN_RULE_FALLBACK;
    CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "svcctl"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_BNO, "PlumeVM.0badf00d.a"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_BNO, "Plume.0badf00d.b.X"), 0);
    CHECK_EQ_INT(fb(&s, OBJN_C_BNO, "Other"), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(objname_class_name(OBJN_C_NONE)[0], '?');
}

/* Random bytes: no crash, every name stays bounded, locked stays locked. */
static void test_random(void)
{
    static objname_ruleset s;
    unit_ctx = "random";
    srand(7);
    static const char *const words[] = { "fallback", "private", "pipe", "port", "object",
                                          "mailslot", "*", "svcctl", "a\\b", "#", " ", "\t",
                                          "\n", "\r\n", "endpoint", "=", "x*", "\\", "Plume" };
    for (int round = 0; round < 3000; round++) {
        char text[600];
        size_t n = 0;
        while (n < 500) {
            if (rand() % 4 == 0) {
                text[n++] = (char)(rand() % 256);
            } else {
                const char *w = words[rand() % (sizeof words / sizeof words[0])];
                size_t l = strlen(w);
                memcpy(text + n, w, l);
                n += l;
                text[n++] = ' ';
            }
        }
        objname_rules_init(&s);
        objname_rules_parse(&s, round % 2 ? OBJN_SRC_VM : OBJN_SRC_STORE, text, n, NULL, NULL);
        CHECK(s.count <= OBJN_RULES_MAX);
        for (size_t i = 0; i < s.count; i++)
            CHECK(memchr(s.r[i].name, 0, sizeof s.r[i].name) != NULL);
        CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "svcctl"), 0);
        CHECK_EQ_INT(fb(&s, OBJN_C_PIPE, "Plume.x.y"), 0);
    }
}

/* vm.conf itself accepts any number of "endpoint" lines (their rules
 * are checked here, not by vmconfig: a bad rule keeps the VM usable). */
static void test_vmconfig(void)
{
    unit_ctx = "vmconfig";
    vm_config c;
    char err[200];
    const char *t = "version = 1\nname = a\nendpoint = fallback pipe x\n"
                    "endpoint = bogus\nendpoint =\ncreated = 5\n";
    CHECK_EQ_INT(vmconfig_parse(t, strlen(t), &c, err, sizeof err), 0);
    CHECK_EQ_INT(c.created, 5);
    t = "version = 1\nname = a\nEndpoint = private pipe x\n";
    CHECK_EQ_INT(vmconfig_parse(t, strlen(t), &c, err, sizeof err), -1);
}

int main(void)
{
    test_vmconfig();
    test_builtins();
    test_syntax();
    test_precedence();
    test_errors();
    test_full();
    test_use();
    test_random();
    return UNIT_REPORT();
}
