/* Unit tests of src/core/objname.c: which names are renamed, how, the
 * rule table, the stripping for NtQueryObject, robustness. */
#include "objname.h"
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

static const char *TAG = "0badf00d.a";

/* Maps root/name (ASCII; root NULL for none); returns the result code and
 * the output as ASCII in got. */
static int map(const char *root, const char *name, unsigned flags, char *got, objname_out *r)
{
    uint16_t rb[512], nb[512], tb[64], out[600];
    size_t rl = root ? u16(rb, root) : 0, nl = u16(nb, name), tl = u16(tb, TAG);
    objname_out tmp;
    if (!r)
        r = &tmp;
    int res = objname_map(root ? rb : NULL, rl, nb, nl, tb, tl, flags, out, 600, r);
    got[0] = 0;
    if (res == OBJN_RENAME) {
        for (size_t i = 0; i < r->len; i++)
            got[i] = (char)out[i];
        got[r->len] = 0;
    }
    return res;
}

#define RENAMES(root, name, want)                                                   \
    do {                                                                            \
        char g_[700];                                                               \
        unit_ctx = name;                                                            \
        CHECK_EQ_INT(map(root, name, 0, g_, NULL), OBJN_RENAME);                    \
        CHECK_MSG(strcmp(g_, want) == 0, g_);                                       \
    } while (0)

#define RESULT(root, name, flags, want)                                             \
    do {                                                                            \
        char g_[700];                                                               \
        unit_ctx = name;                                                            \
        CHECK_EQ_INT(map(root, name, flags, g_, NULL), want);                       \
    } while (0)

static const char *BNO = "\\Sessions\\1\\BaseNamedObjects";

static void test_kernel_objects(void)
{
    /* Win32: relative to the session's BaseNamedObjects. */
    RENAMES(BNO, "X", "Plume.0badf00d.a.X");
    RENAMES(BNO, "Global\\X", "Global\\Plume.0badf00d.a.X");
    RENAMES(BNO, "Local\\X", "Local\\Plume.0badf00d.a.X");
    RENAMES(BNO, "Session\\2\\X", "Session\\2\\Plume.0badf00d.a.X");
    RENAMES(BNO, "global\\local\\X", "global\\local\\Plume.0badf00d.a.X");
    RENAMES("\\BaseNamedObjects", "X", "Plume.0badf00d.a.X");
    RENAMES("\\BaseNamedObjects\\", "X", "Plume.0badf00d.a.X");
    /* Absolute. */
    RENAMES(NULL, "\\BaseNamedObjects\\X", "\\BaseNamedObjects\\Plume.0badf00d.a.X");
    RENAMES(NULL, "\\basenamedobjects\\X", "\\basenamedobjects\\Plume.0badf00d.a.X");
    RENAMES(NULL, "\\Sessions\\1\\BaseNamedObjects\\X",
            "\\Sessions\\1\\BaseNamedObjects\\Plume.0badf00d.a.X");
    RENAMES(NULL, "\\Sessions\\12\\BaseNamedObjects\\Global\\X",
            "\\Sessions\\12\\BaseNamedObjects\\Global\\Plume.0badf00d.a.X");
    RENAMES(NULL, "\\Sessions\\BNOLINKS\\1\\X", "\\Sessions\\BNOLINKS\\1\\Plume.0badf00d.a.X");
    RENAMES(NULL, "\\??\\GLOBALROOT\\BaseNamedObjects\\X",
            "\\??\\GLOBALROOT\\BaseNamedObjects\\Plume.0badf00d.a.X");
    RENAMES(NULL, "\\GLOBAL??\\GLOBALROOT\\??\\GLOBALROOT\\BaseNamedObjects\\X",
            "\\GLOBAL??\\GLOBALROOT\\??\\GLOBALROOT\\BaseNamedObjects\\Plume.0badf00d.a.X");
    /* Only the first component below the container: a directory. */
    RENAMES(NULL, "\\BaseNamedObjects\\D\\Y", "\\BaseNamedObjects\\Plume.0badf00d.a.D\\Y");
    /* Relative to a root above the container. */
    RENAMES("\\Sessions\\1", "BaseNamedObjects\\X", "BaseNamedObjects\\Plume.0badf00d.a.X");
    RENAMES("", "BaseNamedObjects\\X", "BaseNamedObjects\\Plume.0badf00d.a.X"); /* Wine's root */
    RENAMES("\\", "BaseNamedObjects\\X", "BaseNamedObjects\\Plume.0badf00d.a.X");
    /* Relative to the VM's own directory (already renamed): as it is. */
    RESULT("\\BaseNamedObjects\\Plume.0badf00d.a.D", "Y", 0, OBJN_PASS);
    /* Ports. */
    RENAMES(NULL, "\\RPC Control\\epmapper", "\\RPC Control\\Plume.0badf00d.a.epmapper");
    RENAMES("\\RPC Control", "P", "Plume.0badf00d.a.P");
    /* Forging another VM's prefix gets a name of one's own. */
    RENAMES(BNO, "Plume.12345678.b.X", "Plume.0badf00d.a.Plume.12345678.b.X");
    RENAMES(BNO, "Plume.0badf00d.a.X", "Plume.0badf00d.a.Plume.0badf00d.a.X");
}

static void test_unicode_fold(void)
{
    uint16_t nb[64], tb[64], out[200];
    size_t tl = u16(tb, TAG);
    size_t nl = u16(nb, "\\Sessions\\1\\BaseNamedObjects\\X");
    nb[5] = 0x0131;  /* \Sess<dotless i>ons */
    nb[3] = 0x017f;  /* \Se<long s>sions */
    objname_out r;
    unit_ctx = "unicode fold";
    CHECK_EQ_INT(objname_map(NULL, 0, nb, nl, tb, tl, 0, out, 200, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.cls, OBJN_C_BNO);
}

static void test_pipes(void)
{
    RENAMES(NULL, "\\??\\pipe\\X", "\\??\\pipe\\Plume.0badf00d.a.X");
    RENAMES(NULL, "\\??\\PIPE\\lrpc\\svcctl", "\\??\\PIPE\\Plume.0badf00d.a.lrpc\\svcctl");
    RENAMES(NULL, "\\Device\\NamedPipe\\X", "\\Device\\NamedPipe\\Plume.0badf00d.a.X");
    RENAMES(NULL, "\\GLOBAL??\\pipe\\X", "\\GLOBAL??\\pipe\\Plume.0badf00d.a.X");
    RENAMES(NULL, "\\??\\Global\\pipe\\X", "\\??\\Global\\pipe\\Plume.0badf00d.a.X");
    RENAMES(NULL, "\\DosDevices\\pipe\\X", "\\DosDevices\\pipe\\Plume.0badf00d.a.X");
    RENAMES(NULL, "\\Sessions\\0\\DosDevices\\00000000-000003e7\\pipe\\X",
            "\\Sessions\\0\\DosDevices\\00000000-000003e7\\pipe\\Plume.0badf00d.a.X");
    RENAMES(NULL, "\\??\\GLOBALROOT\\Device\\NamedPipe\\X",
            "\\??\\GLOBALROOT\\Device\\NamedPipe\\Plume.0badf00d.a.X");
    RENAMES("\\??\\PIPE\\", "X", "Plume.0badf00d.a.X");
    RENAMES("\\Device\\NamedPipe\\", "X", "Plume.0badf00d.a.X");
    RENAMES("\\Device\\NamedPipe", "a\\b", "Plume.0badf00d.a.a\\b");
    /* The pipe name is all the rest, even with an empty component. */
    RENAMES(NULL, "\\??\\pipe\\\\X", "\\??\\pipe\\Plume.0badf00d.a.\\X");
    RENAMES(NULL, "\\??\\mailslot\\M", "\\??\\mailslot\\Plume.0badf00d.a.M");
    RENAMES(NULL, "\\Device\\MailSlot\\M", "\\Device\\MailSlot\\Plume.0badf00d.a.M");

    objname_out r;
    char g[700];
    unit_ctx = "pipe root";
    CHECK_EQ_INT(map(NULL, "\\??\\PIPE\\", 0, g, &r), OBJN_PASS);
    CHECK_EQ_INT(r.is_root, 1);
    CHECK_EQ_INT(r.cls, OBJN_C_PIPE);
    CHECK_EQ_INT(map(NULL, "\\Device\\NamedPipe", 0, g, &r), OBJN_PASS);
    CHECK_EQ_INT(r.is_root, 1);
    CHECK_EQ_INT(map(NULL, "\\Device\\Mailslot\\", 0, g, &r), OBJN_PASS);
    CHECK_EQ_INT(r.cls, OBJN_C_MAILSLOT);
    CHECK_EQ_INT(r.is_root, 1);
    /* Files are not ours. */
    unit_ctx = "files";
    CHECK_EQ_INT(map(NULL, "\\??\\C:\\windows\\pipe\\x", 0, g, &r), OBJN_PASS);
    CHECK_EQ_INT(r.cls, OBJN_C_NONE);
    CHECK_EQ_INT(map(NULL, "\\??\\pipeX\\y", 0, g, &r), OBJN_PASS);
    CHECK_EQ_INT(r.cls, OBJN_C_NONE);
    CHECK_EQ_INT(map(NULL, "\\Device\\NamedPipeX\\y", 0, g, &r), OBJN_PASS);
    CHECK_EQ_INT(r.cls, OBJN_C_NONE);
}

static void test_outside(void)
{
    objname_out r;
    char g[700];
    unit_ctx = "outside";
    /* System namespaces: opens pass, creates are refused. */
    CHECK_EQ_INT(map(NULL, "\\KnownDlls\\kernel32.dll", 0, g, &r), OBJN_PASS);
    CHECK_EQ_INT(r.cls, OBJN_C_NONE);
    CHECK_EQ_INT(map("\\KnownDlls", "kernel32.dll", 0, g, &r), OBJN_PASS);
    CHECK_EQ_INT(map(NULL, "\\KernelObjects\\X", OBJN_CREATE, g, &r), OBJN_DENY);
    CHECK_EQ_INT(map(NULL, "\\X", OBJN_CREATE, g, &r), OBJN_DENY);
    CHECK_EQ_INT(map(NULL, "\\Sessions\\1\\X", OBJN_CREATE, g, &r), OBJN_DENY);
    /* The containers themselves pass (and are roots). */
    CHECK_EQ_INT(map(NULL, "\\BaseNamedObjects", OBJN_CREATE, g, &r), OBJN_PASS);
    CHECK_EQ_INT(r.is_root, 1);
    CHECK_EQ_INT(map(BNO, "Global", 0, g, &r), OBJN_PASS);
    CHECK_EQ_INT(r.is_root, 1);
    /* Malformed names are refused, not passed to the host. */
    CHECK_EQ_INT(map(NULL, "\\BaseNamedObjects\\\\X", 0, g, &r), OBJN_INVALID);
    CHECK_EQ_INT(map(BNO, "Global\\\\X", 0, g, &r), OBJN_INVALID);
    CHECK_EQ_INT(map(NULL, "\\\\BaseNamedObjects\\X", OBJN_STRICT, g, &r), OBJN_INVALID);
    CHECK_EQ_INT(map(BNO, "\\X", 0, g, &r), OBJN_INVALID);
    /* Unnamed, or relative without a root: as they are. */
    CHECK_EQ_INT(map(NULL, "", OBJN_CREATE, g, &r), OBJN_PASS);
    CHECK_EQ_INT(map(NULL, "X", 0, g, &r), OBJN_PASS);
    CHECK_EQ_INT(map(BNO, "", 0, g, &r), OBJN_PASS);
}

static void test_rules(void)
{
    objname_out r;
    char g[700];
    unit_ctx = "rules";
    CHECK_EQ_INT(map(NULL, "\\??\\pipe\\epmapper", 0, g, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 1);
    CHECK_EQ_INT(map(NULL, "\\??\\pipe\\EPMAPPER", 0, g, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 1);
    CHECK_EQ_INT(map(NULL, "\\??\\pipe\\lrpc\\epmapper", 0, g, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 1);
    CHECK_EQ_INT(map(NULL, "\\RPC Control\\epmapper", 0, g, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 1);
    /* The SCM's pipes never fall back (escape suite Q18). */
    CHECK_EQ_INT(map("\\??\\PIPE\\", "svcctl", 0, g, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 0);
    CHECK_EQ_INT(map(NULL, "\\Device\\NamedPipe\\ntsvcs", 0, g, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 0);
    CHECK_EQ_INT(map(NULL, "\\??\\pipe\\lrpc\\svcctl", 0, g, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 0);
    CHECK_EQ_INT(map(BNO, "__wine_SvcctlStartedEvent", 0, g, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 1);
    CHECK_EQ_INT(map(BNO, "Global\\__wine_SvcctlStartedEvent", 0, g, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 1);
    /* Class matters, and the whole name. */
    CHECK_EQ_INT(map(BNO, "epmapper", 0, g, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 0);
    CHECK_EQ_INT(map(NULL, "\\??\\pipe\\epmapper2", 0, g, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 0);
    CHECK_EQ_INT(map(NULL, "\\??\\pipe\\epmappe", 0, g, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 0);
    CHECK_EQ_INT(map(NULL, "\\??\\pipe\\X", 0, g, &r), OBJN_RENAME);
    CHECK_EQ_INT(r.fallback, 0);
    /* The table is well formed. */
    for (size_t i = 0; i < objname_rule_count; i++) {
        CHECK(objname_rules[i].cls >= OBJN_C_BNO && objname_rules[i].cls <= OBJN_C_MAILSLOT);
        CHECK_STR_NONEMPTY(objname_rules[i].name);
        CHECK(strncmp(objname_rules[i].name, "Plume.", 6) != 0);
    }
    uint16_t w[16];
    size_t wl = u16(w, "epmapper");
    CHECK_EQ_INT(objname_rule_flags(OBJN_C_PIPE, w, wl), OBJN_RULE_FALLBACK);
    CHECK_EQ_INT(objname_rule_flags(OBJN_C_BNO, w, wl), 0);
    wl = u16(w, "svcctl");
    CHECK_EQ_INT(objname_rule_flags(OBJN_C_PIPE, w, wl), 0);
    CHECK_EQ_INT(objname_rule_flags(OBJN_C_PIPE, NULL, 3), 0);
}

static void test_strip(void)
{
    uint16_t b[200], tb[64], want[200];
    size_t tl = u16(tb, TAG);
    unit_ctx = "strip";
    size_t n = u16(b, "\\Sessions\\1\\BaseNamedObjects\\Plume.0badf00d.a.X");
    size_t wn = u16(want, "\\Sessions\\1\\BaseNamedObjects\\X");
    CHECK_EQ_INT(objname_strip(b, n, tb, tl), wn);
    CHECK_MEM(b, want, wn * 2);
    n = u16(b, "\\Device\\NamedPipe\\PLUME.0BADF00D.A.lrpc\\x");
    wn = u16(want, "\\Device\\NamedPipe\\lrpc\\x");
    CHECK_EQ_INT(objname_strip(b, n, tb, tl), wn);
    CHECK_MEM(b, want, wn * 2);
    /* Only once, only at a component start, only our tag. */
    n = u16(b, "\\B\\Plume.0badf00d.a.Plume.0badf00d.a.X");
    wn = u16(want, "\\B\\Plume.0badf00d.a.X");
    CHECK_EQ_INT(objname_strip(b, n, tb, tl), wn);
    CHECK_MEM(b, want, wn * 2);
    n = u16(b, "\\B\\xPlume.0badf00d.a.X");
    CHECK_EQ_INT(objname_strip(b, n, tb, tl), n);
    n = u16(b, "\\B\\Plume.0badf00d.b.X");
    CHECK_EQ_INT(objname_strip(b, n, tb, tl), n);
    n = u16(b, "\\B\\Plume.0badf00d.a");
    CHECK_EQ_INT(objname_strip(b, n, tb, tl), n);
    CHECK_EQ_INT(objname_strip(NULL, 4, tb, tl), 4);
}

/* Round trip: the stripped real name is the virtual one. */
static void test_roundtrip(void)
{
    uint16_t nb[100], tb[64], out[200];
    size_t tl = u16(tb, TAG);
    const char *names[] = { "\\BaseNamedObjects\\X", "\\??\\pipe\\a\\b", "\\RPC Control\\p",
                            "\\Sessions\\3\\BaseNamedObjects\\Session\\3\\Z" };
    unit_ctx = "roundtrip";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t nl = u16(nb, names[i]);
        objname_out r;
        CHECK_EQ_INT(objname_map(NULL, 0, nb, nl, tb, tl, 0, out, 200, &r), OBJN_RENAME);
        CHECK_EQ_INT(r.len, nl + objname_extra(tl));
        CHECK_EQ_INT(objname_strip(out, r.len, tb, tl), nl);
        CHECK_MEM(out, nb, nl * 2);
    }
}

static void test_limits(void)
{
    uint16_t tb[64];
    size_t tl = u16(tb, TAG);
    unit_ctx = "limits";
    /* Out too small, or a name that would exceed a UNICODE_STRING. */
    uint16_t nb[40], out[40];
    size_t nl = u16(nb, "\\BaseNamedObjects\\X");
    objname_out r;
    CHECK_EQ_INT(objname_map(NULL, 0, nb, nl, tb, tl, 0, out, nl + 3, &r), OBJN_TOOLONG);
    CHECK_EQ_INT(objname_map(NULL, 0, nb, nl, tb, tl, 0, NULL, 0, &r), OBJN_TOOLONG);
    size_t big = 32767;
    uint16_t *lb = malloc(big * 2), *lo = malloc((big + 64) * 2);
    u16(lb, "\\BaseNamedObjects\\");
    for (size_t i = 18; i < big; i++)
        lb[i] = 'x';
    CHECK_EQ_INT(objname_map(NULL, 0, lb, big, tb, tl, 0, lo, big + 64, &r), OBJN_TOOLONG);
    CHECK_EQ_INT(objname_map(NULL, 0, lb, big - 100, tb, tl, 0, lo, big + 64, &r), OBJN_RENAME);
    /* A NULL r is fine. */
    CHECK_EQ_INT(objname_map(NULL, 0, nb, nl, tb, tl, 0, out, 40, NULL), OBJN_RENAME);
    free(lb);
    free(lo);
}

/* Any input: random names built from the interesting pieces never crash
 * (ASan/UBSan watch) and a rename always contains the prefix once more. */
static void test_random(void)
{
    static const char *pieces[] = { "\\", "BaseNamedObjects", "Sessions", "1", "BNOLINKS",
                                    "??", "GLOBAL??", "GLOBALROOT", "pipe", "mailslot",
                                    "Device", "NamedPipe", "Global", "Local", "Session",
                                    "RPC Control", "x", "", "DosDevices", "Plume.0badf00d.a." };
    uint16_t tb[64], nb[256], rb[256], out[400];
    size_t tl = u16(tb, TAG);
    unsigned seed = 12345;
    int ok = 1;
    unit_ctx = "random";
    for (int it = 0; it < 200000 && ok; it++) {
        size_t nl = 0, rl = 0;
        int np = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 8;
        for (int p = 0; p < np; p++) {
            const char *s = pieces[((seed = seed * 1103515245u + 12345u) >> 16) % 20];
            while (*s && nl < 250)
                nb[nl++] = (uint8_t)*s++;
        }
        int use_root = (seed >> 3) & 1;
        if (use_root) {
            const char *s = (seed >> 5) & 1 ? "\\Sessions\\1\\BaseNamedObjects" : "\\??\\PIPE\\";
            while (*s)
                rb[rl++] = (uint8_t)*s++;
        }
        objname_out r;
        unsigned flags = (seed >> 7) & 3;
        int res = objname_map(use_root ? rb : NULL, rl, nb, nl, tb, tl, flags, out,
                              (seed >> 9) & 1 ? 400 : (seed >> 10) % 64, &r);
        if (res == OBJN_RENAME) {
            if (r.len != nl + objname_extra(tl) || r.cls == OBJN_C_NONE)
                ok = 0;
            /* (A name that already holds the prefix above the renamed
               component strips elsewhere: display only, see objname.h.) */
            int forged = 0;
            for (size_t i = 0; i + 6 <= nl; i++)
                forged |= nb[i] == 'P' && nb[i + 1] == 'l' && nb[i + 2] == 'u';
            size_t back = objname_strip(out, r.len, tb, tl);
            if (back != nl || (!forged && memcmp(out, nb, nl * 2) != 0))
                ok = 0;
        } else if (res < OBJN_PASS || res > OBJN_TOOLONG) {
            ok = 0;
        }
    }
    CHECK(ok);
}

/* Which directories are containers (NtQueryDirectoryObject filters them). */
static int container(const char *name)
{
    uint16_t nb[300];
    size_t n = u16(nb, name);
    return objname_container(nb, n);
}

static void test_container(void)
{
    unit_ctx = "container";
    CHECK_EQ_INT(container("\\BaseNamedObjects"), OBJN_C_BNO);
    CHECK_EQ_INT(container("\\basenamedobjects\\"), OBJN_C_BNO);
    CHECK_EQ_INT(container("\\Sessions\\1\\BaseNamedObjects"), OBJN_C_BNO);
    CHECK_EQ_INT(container("\\Sessions\\1\\BaseNamedObjects\\Global"), OBJN_C_BNO);
    CHECK_EQ_INT(container("\\Sessions\\BNOLINKS\\1"), OBJN_C_BNO);
    CHECK_EQ_INT(container("\\??\\GLOBALROOT\\BaseNamedObjects"), OBJN_C_BNO);
    CHECK_EQ_INT(container("\\RPC Control"), OBJN_C_RPC);
    CHECK_EQ_INT(container("\\Device\\NamedPipe"), OBJN_C_PIPE);
    /* Not containers: listed as they are. */
    CHECK_EQ_INT(container(""), OBJN_C_NONE);
    CHECK_EQ_INT(container("\\"), OBJN_C_NONE);
    CHECK_EQ_INT(container("\\Sessions"), OBJN_C_NONE);
    CHECK_EQ_INT(container("\\Sessions\\1"), OBJN_C_NONE);
    CHECK_EQ_INT(container("\\KnownDlls"), OBJN_C_NONE);
    CHECK_EQ_INT(container("\\BaseNamedObjects\\Plume.0badf00d.a.D"), OBJN_C_NONE);
    CHECK_EQ_INT(container("\\BaseNamedObjects\\HostDir"), OBJN_C_NONE);
    CHECK_EQ_INT(objname_container(NULL, 5), OBJN_C_NONE);
}

static int visible(int cls, const char *name, const char *type, size_t *shown)
{
    uint16_t nb[300], yb[64], tb[64];
    size_t n = u16(nb, name), y = u16(yb, type), t = u16(tb, TAG);
    int v = objname_visible(cls, nb, n, yb, y, tb, t);
    *shown = v == OBJN_V_OWN ? n - objname_extra(t) : v == OBJN_V_SHOW ? n : 0;
    return v;
}

static void test_visible(void)
{
    size_t k;
    unit_ctx = "visible";
    /* The VM's own: shown without the prefix (any case, as the system
       compares names). */
    CHECK_EQ_INT(visible(OBJN_C_BNO, "Plume.0badf00d.a.ObjT-mutex", "Mutant", &k), OBJN_V_OWN);
    CHECK_EQ_INT(k, 10);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "PLUME.0BADF00D.A.X", "Event", &k), OBJN_V_OWN);
    CHECK_EQ_INT(k, 1);
    CHECK_EQ_INT(visible(OBJN_C_RPC, "Plume.0badf00d.a.epmapper", "ALPC Port", &k), OBJN_V_OWN);
    /* ...including an own name that spells another VM's prefix. */
    CHECK_EQ_INT(visible(OBJN_C_BNO, "Plume.0badf00d.a.Plume.0badf00d.b.X", "Mutant", &k),
                 OBJN_V_OWN);
    /* Another VM's, a longer tag that starts like ours, Plume's jobs, the
       host's: hidden. */
    CHECK_EQ_INT(visible(OBJN_C_BNO, "Plume.0badf00d.b.ObjT-mutex", "Mutant", &k), OBJN_V_HIDE);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "Plume.0badf00d.ab.X", "Mutant", &k), OBJN_V_HIDE);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "Plume.0badf00d.aX", "Mutant", &k), OBJN_V_HIDE);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "Plume.0badf00d.a.", "Mutant", &k), OBJN_V_HIDE);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "Plume.0badf00d.a", "Mutant", &k), OBJN_V_HIDE);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "PlumeVM.0badf00d.a", "Job", &k), OBJN_V_HIDE);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "PlumeVM.0badf00d.b", "Job", &k), OBJN_V_HIDE);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "ObjT-mutex", "Mutant", &k), OBJN_V_HIDE);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "__wine_SvcctlStartedEvent", "Event", &k), OBJN_V_HIDE);
    CHECK_EQ_INT(visible(OBJN_C_RPC, "epmapper", "ALPC Port", &k), OBJN_V_HIDE);
    /* The system's links, as links only, in BaseNamedObjects only. */
    CHECK_EQ_INT(visible(OBJN_C_BNO, "Global", "SymbolicLink", &k), OBJN_V_SHOW);
    CHECK_EQ_INT(k, 6);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "local", "SymbolicLink", &k), OBJN_V_SHOW);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "Session", "SymbolicLink", &k), OBJN_V_SHOW);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "Global", "Mutant", &k), OBJN_V_HIDE);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "Globals", "SymbolicLink", &k), OBJN_V_HIDE);
    CHECK_EQ_INT(visible(OBJN_C_BNO, "Restricted", "Directory", &k), OBJN_V_HIDE);
    CHECK_EQ_INT(visible(OBJN_C_RPC, "Global", "SymbolicLink", &k), OBJN_V_HIDE);
    /* Other directories are not filtered by this function's callers; it
       hides everything for them. */
    CHECK_EQ_INT(visible(OBJN_C_NONE, "Plume.0badf00d.a.X", "Mutant", &k), OBJN_V_HIDE);
    CHECK_EQ_INT(visible(OBJN_C_PIPE, "Plume.0badf00d.a.X", "File", &k), OBJN_V_HIDE);
    /* Robust to anything. */
    uint16_t tb[64];
    size_t tl = u16(tb, TAG);
    CHECK_EQ_INT(objname_visible(OBJN_C_BNO, NULL, 3, NULL, 0, tb, tl), OBJN_V_HIDE);
    CHECK_EQ_INT(objname_visible(OBJN_C_BNO, tb, 0, NULL, 0, tb, tl), OBJN_V_HIDE);
    uint16_t g[6] = { 'G', 'l', 'o', 'b', 'a', 'l' };
    CHECK_EQ_INT(objname_visible(OBJN_C_BNO, g, 6, NULL, 5, tb, tl), OBJN_V_HIDE);
    CHECK_EQ_INT(objname_visible(OBJN_C_BNO, g, 6, NULL, 0, NULL, 0), OBJN_V_HIDE);
}

int main(void)
{
    test_kernel_objects();
    test_unicode_fold();
    test_pipes();
    test_outside();
    test_rules();
    test_strip();
    test_roundtrip();
    test_limits();
    test_random();
    test_container();
    test_visible();
    return UNIT_REPORT();
}
