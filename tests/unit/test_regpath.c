/* Unit tests of src/core/regpath.c: registry names, private mapping, merged
 * listings. */
#include "unit.h"
#include "regpath.h"

#include <stdlib.h>

/* ASCII -> UTF-16 in a static ring of buffers. */
static const uint16_t *W(const char *s)
{
    static uint16_t ring[8][512];
    static int at;
    uint16_t *b = ring[at++ & 7];
    size_t i = 0;
    for (; s[i] && i < 511; i++)
        b[i] = (uint16_t)(unsigned char)s[i];
    b[i] = 0;
    return b;
}

static size_t L(const char *s)
{
    return strlen(s);
}

/* u16[0..n) equals ASCII s exactly. */
static int eq(const uint16_t *u, size_t n, const char *s)
{
    if (n != strlen(s))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (u[i] != (uint16_t)(unsigned char)s[i])
            return 0;
    return 1;
}

static uint16_t out[1024];
static size_t outn;

static int resolve(const char *root, const char *rel)
{
    return regpath_resolve(root ? W(root) : NULL, root ? L(root) : 0, W(rel), L(rel), out,
                           1024, &outn);
}

static void test_resolve(void)
{
    unit_ctx = "resolve";
    CHECK_EQ_INT(resolve(NULL, "\\Registry\\Machine\\Software\\X"), RP_MACHINE);
    CHECK(eq(out, outn, "\\REGISTRY\\MACHINE\\Software\\X"));
    CHECK_EQ_INT(resolve(NULL, "\\registry\\user\\S-1-5-21\\Software\\"), RP_USER);
    CHECK(eq(out, outn, "\\REGISTRY\\USER\\S-1-5-21\\Software"));
    CHECK_EQ_INT(resolve(NULL, "\\Registry\\Machine"), RP_MACHINE);
    CHECK(eq(out, outn, "\\REGISTRY\\MACHINE"));
    CHECK_EQ_INT(resolve(NULL, "\\Registry"), RP_OTHER);
    CHECK_EQ_INT(resolve(NULL, "\\Registry\\A\\x"), RP_OTHER);
    CHECK_EQ_INT(resolve(NULL, "\\Registry\\Machinery"), RP_OTHER);
    CHECK_EQ_INT(resolve(NULL, "\\Device\\Foo"), RP_OTHER);
    CHECK_EQ_INT(resolve("\\REGISTRY\\MACHINE", "Software\\Plume"), RP_HIDDEN);
    CHECK_EQ_INT(resolve("\\REGISTRY\\MACHINE", "software\\plume\\VMs\\x"), RP_HIDDEN);
    CHECK_EQ_INT(resolve("\\REGISTRY\\MACHINE", "Software\\Plumed"), RP_MACHINE);
    CHECK_EQ_INT(resolve("\\REGISTRY\\MACHINE\\Software", ""), RP_MACHINE);
    CHECK(eq(out, outn, "\\REGISTRY\\MACHINE\\Software"));
    CHECK_EQ_INT(resolve("\\REGISTRY\\MACHINE\\Software", "A\\B"), RP_MACHINE);
    CHECK(eq(out, outn, "\\REGISTRY\\MACHINE\\Software\\A\\B"));
    CHECK_EQ_INT(resolve("\\REGISTRY\\USER", "S-1\\Software"), RP_USER);
    CHECK_EQ_INT(resolve("\\REGISTRY", "Machine\\x"), RP_MACHINE);
    CHECK(eq(out, outn, "\\REGISTRY\\MACHINE\\x"));
    /* malformed */
    CHECK_EQ_INT(resolve(NULL, "Registry\\Machine"), RP_INVALID);
    CHECK_EQ_INT(resolve(NULL, ""), RP_INVALID);
    CHECK_EQ_INT(resolve(NULL, "\\"), RP_INVALID);
    CHECK_EQ_INT(resolve("\\REGISTRY\\MACHINE", "\\Software"), RP_INVALID);
    CHECK_EQ_INT(resolve("\\REGISTRY\\MACHINE", "a\\\\b"), RP_INVALID);
    CHECK_EQ_INT(resolve("Software", "a"), RP_INVALID);
    CHECK_EQ_INT(outn, 0);
    /* component length */
    char longc[300];
    memset(longc, 'a', 256);
    longc[256] = 0;
    CHECK_EQ_INT(resolve("\\REGISTRY\\MACHINE", longc), RP_INVALID);
    longc[255] = 0;
    CHECK_EQ_INT(resolve("\\REGISTRY\\MACHINE", longc), RP_MACHINE);
    /* capacity */
    size_t n;
    CHECK_EQ_INT(regpath_resolve(NULL, 0, W("\\Registry\\Machine\\x"), 19, out, 10, &n),
                 RP_INVALID);
    CHECK_EQ_INT(regpath_resolve(NULL, 0, W("\\Registry\\Machine\\x"), 19, out, 19, &n),
                 RP_MACHINE);
    CHECK_EQ_INT(regpath_resolve(NULL, 0, NULL, 5, out, 19, &n), RP_INVALID);
}

static void test_private(void)
{
    unit_ctx = "private";
    const uint16_t *tag = W("0123abcd.vm1");
    uint16_t p[512];
    resolve(NULL, "\\Registry\\Machine\\Software\\Test");
    size_t n = regpath_private(out, outn, RP_MACHINE, tag, 12, RT_KEYS, p, 512);
    CHECK(eq(p, n, "\\REGISTRY\\MACHINE\\Software\\Plume\\VMs\\0123abcd.vm1\\Machine\\Software\\Test"));
    n = regpath_private(out, outn, RP_MACHINE, tag, 12, RT_DELETED, p, 512);
    CHECK(eq(p, n, "\\REGISTRY\\MACHINE\\Software\\Plume\\VMs\\0123abcd.vm1\\Deleted\\Machine\\Software\\Test"));
    resolve(NULL, "\\Registry\\User");
    n = regpath_private(out, outn, RP_USER, tag, 12, RT_KEYS, p, 512);
    CHECK(eq(p, n, "\\REGISTRY\\MACHINE\\Software\\Plume\\VMs\\0123abcd.vm1\\User"));
    CHECK_EQ_INT(regpath_private(out, outn, RP_OTHER, tag, 12, RT_KEYS, p, 512), 0);
    CHECK_EQ_INT(regpath_private(out, outn, RP_USER, tag, 12, RT_KEYS, p, 20), 0);
    CHECK_EQ_INT(regpath_vm_root(W("a\\b"), 3, p, 512), 0);
    CHECK_EQ_INT(regpath_vm_root(tag, 0, p, 512), 0);

    /* back from real names */
    int inp;
    size_t on;
    const char *r = "\\REGISTRY\\MACHINE\\SOFTWARE\\PLUME\\VMS\\0123ABCD.VM1\\Machine\\Software\\Test";
    CHECK_EQ_INT(regpath_from_real(W(r), L(r), tag, 12, out, 1024, &on, &inp), RP_MACHINE);
    CHECK_EQ_INT(inp, 1);
    CHECK(eq(out, on, "\\REGISTRY\\MACHINE\\Software\\Test"));
    r = "\\Registry\\Machine\\Software\\Plume\\VMs\\0123abcd.vm1\\User";
    CHECK_EQ_INT(regpath_from_real(W(r), L(r), tag, 12, out, 1024, &on, &inp), RP_USER);
    CHECK(eq(out, on, "\\REGISTRY\\USER"));
    r = "\\Registry\\Machine\\Software\\Plume\\VMs\\0123abcd.vm1\\User\\Software\\Plume";
    CHECK_EQ_INT(regpath_from_real(W(r), L(r), tag, 12, out, 1024, &on, &inp), RP_USER);
    r = "\\Registry\\Machine\\Software\\Plume\\VMs\\0123abcd.vm1\\Machine\\Software\\Plume\\x";
    CHECK_EQ_INT(regpath_from_real(W(r), L(r), tag, 12, out, 1024, &on, &inp), RP_HIDDEN);
    CHECK_EQ_INT(inp, 1);
    r = "\\Registry\\Machine\\Software\\Plume\\VMs\\0123abcd.vm1\\Deleted\\Machine\\x";
    CHECK_EQ_INT(regpath_from_real(W(r), L(r), tag, 12, out, 1024, &on, &inp), RP_HIDDEN);
    CHECK_EQ_INT(inp, 0);
    r = "\\Registry\\Machine\\Software\\Plume\\VMs\\other.vm\\Machine\\x";
    CHECK_EQ_INT(regpath_from_real(W(r), L(r), tag, 12, out, 1024, &on, &inp), RP_HIDDEN);
    CHECK_EQ_INT(inp, 0);
    r = "\\Registry\\Machine\\Software\\Other";
    CHECK_EQ_INT(regpath_from_real(W(r), L(r), tag, 12, out, 1024, &on, &inp), RP_MACHINE);
    CHECK_EQ_INT(inp, 0);
    CHECK(eq(out, on, "\\REGISTRY\\MACHINE\\Software\\Other"));
}

static void test_misc(void)
{
    unit_ctx = "misc";
    CHECK_EQ_INT(regpath_cmp(W("abc"), 3, W("ABC"), 3), 0);
    CHECK(regpath_cmp(W("abc"), 3, W("abd"), 3) < 0);
    CHECK(regpath_cmp(W("ab"), 2, W("abc"), 3) < 0);
    CHECK(regpath_cmp(W("Z"), 1, W("_"), 1) < 0);     /* upper-case order */
    CHECK_EQ_INT(regpath_fold(0xe9), 0xc9);
    CHECK_EQ_INT(regpath_fold(0xf7), 0xf7);
    CHECK(regpath_hash(W("Software\\X"), 10) == regpath_hash(W("SOFTWARE\\x"), 10));
    CHECK(regpath_hash(W("Software\\X"), 10) != regpath_hash(W("Software\\Y"), 10));
    const char *v = "\\REGISTRY\\MACHINE\\Software\\X";
    CHECK_EQ_INT(regpath_leaf_off(W(v), L(v)), L(v) - 1);
    CHECK_EQ_INT(regpath_leaf_off(W("x"), 1), 0);
    CHECK_EQ_INT(regpath_rest_off(W(v), L(v), RP_MACHINE), 17);
    CHECK_EQ_INT(regpath_rest_off(W("\\REGISTRY\\USER"), 14, RP_USER), 14);
    CHECK_EQ_INT(regpath_rest_off(W(v), L(v), RP_OTHER), L(v));
}

/* Reserved names of copy-up temporaries. */
/* W(s), every '.' that starts a component (or s) being U+FFFF: a
 * copy-up temporary's first unit. */
static const uint16_t *TW(const char *s)
{
    uint16_t *b = (uint16_t *)W(s);
    for (size_t i = 0; b[i]; i++)
        if (b[i] == '.' && (i == 0 || b[i - 1] == '\\'))
            b[i] = 0xffff;
    return b;
}

static void test_tmp(void)
{
    unit_ctx = "tmp";
    uint16_t t[REGPATH_TMP_MAX];
    size_t n = regpath_tmp_name(0x1a4, 0xffffffffu, t, REGPATH_TMP_MAX);
    CHECK(t[0] == 0xffff && eq(t + 1, n - 1, "plume-copy.1a4.ffffffff"));
    CHECK_EQ_INT(regpath_tmp_name(0, 0, t, REGPATH_TMP_MAX), 15);
    CHECK(t[0] == 0xffff && eq(t + 1, 14, "plume-copy.0.0"));
    CHECK_EQ_INT(regpath_tmp_name(0x1a4, 0x20, t, 10), 0);
    CHECK(regpath_tmp_name(0xffffffffu, 0xffffffffu, t, REGPATH_TMP_MAX) <= REGPATH_TMP_MAX);
    uint32_t pid = 0;
    CHECK(regpath_tmp_owner(TW(".plume-copy.1a4.20"), 18, &pid) && pid == 0x1a4);
    CHECK(regpath_is_tmp(TW(".PLUME-COPY.x"), 13));
    CHECK(regpath_is_tmp(TW(".plume-copy."), 12));
    CHECK(!regpath_is_tmp(TW(".plume-copy"), 11));
    CHECK(!regpath_is_tmp(W("x.plume-copy.1"), 14));
    CHECK(!regpath_is_tmp(W(".plume-copy.1"), 13));     /* not U+FFFF */
    CHECK(!regpath_tmp_owner(TW(".plume-copy.x.1"), 15, &pid));       /* reserved, not ours */
    CHECK(!regpath_tmp_owner(TW(".plume-copy.1a4"), 15, &pid));
    CHECK(!regpath_tmp_owner(TW(".plume-copy.1a4."), 16, &pid));
    CHECK(!regpath_tmp_owner(TW(".plume-copy.01.1"), 16, &pid));
    CHECK(!regpath_tmp_owner(TW(".plume-copy.1.1.1"), 17, &pid));
    CHECK(!regpath_tmp_owner(TW(".plume-copy.123456789.1"), 23, &pid));
    const char *v = "\\REGISTRY\\MACHINE\\Software\\.Plume-Copy.1.2\\X";
    CHECK(regpath_has_tmp(TW(v), L(v)));
    v = "\\REGISTRY\\MACHINE\\Software\\x.plume-copy.1.2\\.plume-copyX";
    CHECK(!regpath_has_tmp(TW(v), L(v)));
    CHECK(regpath_has_tmp(TW(".plume-copy.a"), 13));
    CHECK(!regpath_has_tmp(W(""), 0));
}

static void test_merge(void)
{
    unit_ctx = "merge";
    /* Separate buffers: W()'s ring is too small for a listing. */
    static uint16_t bufs[16][16];
    const char *names[] = { "b", "A", "c", "C", "a", "d", "e", "D" };
    regname all[8];
    for (int i = 0; i < 8; i++) {
        size_t k = 0;
        for (; names[i][k]; k++)
            bufs[i][k] = (uint16_t)names[i][k];
        all[i].s = bufs[i];
        all[i].n = k;
        all[i].src = i < 3 ? 1 : 2;
    }
    /* private: b A c; host: C a d e; deleted: D (so host d goes) */
    regname priv[3] = { all[0], all[1], all[2] };
    regname host[4] = { all[3], all[4], all[5], all[6] };
    regname del[1] = { all[7] };
    regname o[7];
    size_t n = regname_merge(priv, 3, host, 4, del, 1, o);
    CHECK_EQ_INT(n, 4);
    CHECK(n == 4 && eq(o[0].s, o[0].n, "A") && o[0].src == 1);
    CHECK(n == 4 && eq(o[1].s, o[1].n, "b") && o[1].src == 1);
    CHECK(n == 4 && eq(o[2].s, o[2].n, "c") && o[2].src == 1);
    CHECK(n == 4 && eq(o[3].s, o[3].n, "e") && o[3].src == 2);
    /* A deletion marker never hides a private name. */
    regname p2[1] = { all[5] };   /* d */
    regname d2[1] = { all[7] };   /* D */
    n = regname_merge(p2, 1, NULL, 0, d2, 1, o);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(regname_merge(NULL, 0, NULL, 0, NULL, 0, o), 0);
}

/* Random inputs: nothing crashes, outputs stay in bounds (ASan). */
static void test_fuzz(void)
{
    unit_ctx = "fuzz";
    srand(1234);
    static const uint16_t alpha[] = { '\\', '\\', 'a', 'R', 'M', 0, 0xe9, 'U', '.' };
    int bad = 0;
    for (int it = 0; it < 20000; it++) {
        uint16_t in[64], root[64];
        size_t n = (size_t)(rand() % 64), nr = (size_t)(rand() % 3 == 0 ? rand() % 64 : 0);
        for (size_t i = 0; i < n; i++)
            in[i] = alpha[rand() % 9];
        for (size_t i = 0; i < nr; i++)
            root[i] = alpha[rand() % 9];
        if (nr)
            root[0] = '\\';
        size_t cap = (size_t)(rand() % 80) + 1, on = 99;
        uint16_t *o = malloc(cap * sizeof *o);
        int k = regpath_resolve(nr ? root : NULL, nr, in, n, o, cap, &on);
        if (on > cap || (k == RP_INVALID && on != 0))
            bad++;
        int inp;
        regpath_from_real(in, n, W("t.v"), 3, o, cap, &on, &inp);
        if (on > cap)
            bad++;
        uint16_t p[200];
        if (regpath_private(in, n, RP_MACHINE, W("t.v"), 3, RT_KEYS, p, 200) > 200)
            bad++;
        regpath_leaf_off(in, n);
        regpath_has_tmp(in, n);
        uint32_t pid;
        regpath_tmp_owner(in, n, &pid);
        free(o);
    }
    CHECK_EQ_INT(bad, 0);
}

/* Links: a prefix rewritten through a small table. */
static regpath_link LK[4];
static size_t NLK;

static void link_add(const char *from, const char *to)
{
    static uint16_t store[8][128];
    uint16_t *f = store[NLK * 2], *t = store[NLK * 2 + 1];
    size_t i;
    for (i = 0; from[i]; i++)
        f[i] = (uint16_t)(unsigned char)from[i];
    LK[NLK].from = f;
    LK[NLK].nfrom = i;
    for (i = 0; to[i]; i++)
        t[i] = (uint16_t)(unsigned char)to[i];
    LK[NLK].to = t;
    LK[NLK].nto = i;
    NLK++;
}

static int follow(const char *v, int open_link, unsigned *rw)
{
    return regpath_follow_links(LK, NLK, W(v), L(v), open_link, out, 1024, &outn, rw);
}

static void test_links(void)
{
    unit_ctx = "links";
    NLK = 0;
    link_add("\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet",
             "\\REGISTRY\\MACHINE\\System\\ControlSet001");
    link_add("\\REGISTRY\\USER\\S-1-5-21-1\\Software\\Classes",
             "\\REGISTRY\\USER\\S-1-5-21-1_Classes");
    unsigned rw = 99;
    static const struct {
        const char *in;
        int open_link, kind;
        const char *want;
        unsigned rewrites;
    } cases[] = {
        /* Below the link, any case: the target's spelling, the rest as given. */
        { "\\REGISTRY\\MACHINE\\system\\currentcontrolset\\Services\\X", 0, RP_MACHINE,
          "\\REGISTRY\\MACHINE\\System\\ControlSet001\\Services\\X", 1 },
        /* The link's own name: followed, unless open_link. */
        { "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet", 0, RP_MACHINE,
          "\\REGISTRY\\MACHINE\\System\\ControlSet001", 1 },
        { "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet", 1, RP_MACHINE,
          "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet", 0 },
        /* open_link only keeps the last component: a link above is followed. */
        { "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services", 1, RP_MACHINE,
          "\\REGISTRY\\MACHINE\\System\\ControlSet001\\Services", 1 },
        /* Not a component boundary, a parent: unchanged. */
        { "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSetX\\A", 0, RP_MACHINE,
          "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSetX\\A", 0 },
        { "\\REGISTRY\\MACHINE\\SYSTEM", 0, RP_MACHINE, "\\REGISTRY\\MACHINE\\SYSTEM", 0 },
        /* HKCU\Software\Classes (a link on Windows). */
        { "\\REGISTRY\\USER\\S-1-5-21-1\\Software\\Classes\\.txt", 0, RP_USER,
          "\\REGISTRY\\USER\\S-1-5-21-1_Classes\\.txt", 1 },
        { "\\REGISTRY\\USER\\S-1-5-21-1\\Software\\ClassesX", 0, RP_USER,
          "\\REGISTRY\\USER\\S-1-5-21-1\\Software\\ClassesX", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unit_ctx = cases[i].in;
        CHECK_EQ_INT(follow(cases[i].in, cases[i].open_link, &rw), cases[i].kind);
        CHECK(eq(out, outn, cases[i].want));
        CHECK_EQ_INT(rw, cases[i].rewrites);
    }
    unit_ctx = "links";
    CHECK_EQ_INT(regpath_link_match(LK, NLK, W("\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\A"),
                                    L("\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\A"), 1), 0);
    CHECK_EQ_INT(regpath_link_match(LK, NLK, W("\\REGISTRY\\MACHINE"), L("\\REGISTRY\\MACHINE"), 0),
                 -1);
    /* In place, growing and shrinking. */
    {
        uint16_t buf[128];
        const char *v = "\\REGISTRY\\USER\\S-1-5-21-1\\Software\\Classes\\A\\B";
        for (size_t i = 0; v[i]; i++)
            buf[i] = (uint16_t)v[i];
        size_t n;
        CHECK_EQ_INT(regpath_follow_links(LK, NLK, buf, L(v), 0, buf, 128, &n, NULL), RP_USER);
        CHECK(eq(buf, n, "\\REGISTRY\\USER\\S-1-5-21-1_Classes\\A\\B"));
    }
    /* A chain: a target that is itself below a link. */
    link_add("\\REGISTRY\\MACHINE\\Software\\Wow6432Node\\X",
             "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Y");
    CHECK_EQ_INT(follow("\\REGISTRY\\MACHINE\\Software\\Wow6432Node\\X\\Z", 0, &rw), RP_MACHINE);
    CHECK(eq(out, outn, "\\REGISTRY\\MACHINE\\System\\ControlSet001\\Y\\Z"));
    CHECK_EQ_INT(rw, 2);
    /* Too small: invalid, nothing returned; a loop: invalid. */
    CHECK_EQ_INT(regpath_follow_links(LK, NLK, W("\\REGISTRY\\MACHINE\\Software\\Wow6432Node\\X"),
                                      L("\\REGISTRY\\MACHINE\\Software\\Wow6432Node\\X"), 0, out,
                                      40, &outn, NULL),
                 RP_INVALID);
    CHECK_EQ_INT(outn, 0);
    link_add("\\REGISTRY\\MACHINE\\A", "\\REGISTRY\\MACHINE\\A\\B");
    CHECK_EQ_INT(follow("\\REGISTRY\\MACHINE\\A\\C", 0, &rw), RP_INVALID);
    CHECK_EQ_INT(outn, 0);
    /* No table: a copy. */
    CHECK_EQ_INT(regpath_follow_links(NULL, 0, W("\\REGISTRY\\USER\\x"), 16, 0, out, 1024, &outn,
                                      NULL),
                 RP_USER);
    CHECK(eq(out, outn, "\\REGISTRY\\USER\\x"));
    /* Random names through the table: bounded output, and idempotent. */
    NLK = 3;
    srand(77);
    static const char *const parts[] = { "\\REGISTRY", "\\MACHINE", "\\USER", "\\SYSTEM",
                                         "\\CurrentControlSet", "\\S-1-5-21-1", "\\Software",
                                         "\\Classes", "\\Wow6432Node", "\\X", "\\q" };
    int bad = 0;
    for (int it = 0; it < 20000; it++) {
        char v[400] = "";
        int k = rand() % 8;
        if (rand() % 4)
            strcat(v, rand() % 2 ? "\\REGISTRY\\MACHINE" : "\\REGISTRY\\USER");
        for (int i = 0; i < k; i++)
            strcat(v, parts[rand() % 11]);
        if (!v[0])
            continue;
        size_t cap = (size_t)(rand() % 90) + 1, on = 7;
        uint16_t *o = malloc(cap * sizeof *o);
        int kind = regpath_follow_links(LK, NLK, W(v), L(v), rand() % 2, o, cap, &on, NULL);
        if (on > cap || (kind == RP_INVALID && on))
            bad++;
        if (kind != RP_INVALID) {
            uint16_t again[128];
            size_t an;
            unsigned r2;
            if (regpath_follow_links(LK, NLK, o, on, 0, again, 128, &an, &r2) != kind ||
                (r2 != 0 && regpath_link_match(LK, NLK, o, on, 1) >= 0))
                bad++;
        }
        free(o);
    }
    CHECK_EQ_INT(bad, 0);
}

int main(void)
{
    test_resolve();
    test_private();
    test_misc();
    test_tmp();
    test_merge();
    test_links();
    test_fuzz();
    return UNIT_REPORT();
}
