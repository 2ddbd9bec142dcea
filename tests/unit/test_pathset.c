/* The path hash set of the files namespace's fast path (src/core/pathset.c). */
#include "unit.h"
#include "pathset.h"

#include <stdlib.h>

static size_t w(uint16_t *o, const char *s)
{
    size_t n = 0;
    while (s[n]) {
        o[n] = (uint16_t)(unsigned char)s[n];
        n++;
    }
    return n;
}

static uint64_t key(const char *s)
{
    uint16_t b[256];
    return ps_key(b, w(b, s));
}

static int anc(const pathset *ps, const char *s)
{
    uint16_t b[256];
    return ps_has_self_or_ancestor(ps, b, w(b, s));
}

static void grow(pathset *s)
{
    pathset d = { 0 };
    d.cap = ps_cap_for(s->n * 2 + 1);
    d.slot = calloc(d.cap, sizeof *d.slot);
    CHECK(ps_move(&d, s) == 0);
    free(s->slot);
    *s = d;
}

static void add(pathset *s, uint64_t k)
{
    while (ps_add(s, k) != 0)
        grow(s);
}

int main(void)
{
    unit_ctx = "key";
    CHECK(key("\\??\\C:\\dir\\f.txt") == key("\\??\\c:\\DIR\\F.TXT"));
    CHECK(key("\\??\\C:\\dir\\f.txt") != key("\\??\\C:\\dir\\g.txt"));
    CHECK(key("\\??\\C:\\dir") != key("\\??\\C:\\dir\\"));
    CHECK(key("\\??\\C:\\a") != key("\\??\\D:\\a"));
    CHECK(key("") != 0);
    {
        /* non-ASCII units share one class: e with acute, either case */
        uint16_t a[3] = { 'x', 0xe9, 'y' }, b[3] = { 'X', 0xc9, 'Y' }, c[3] = { 'x', 0x101, 'y' };
        CHECK(ps_key(a, 3) == ps_key(b, 3));
        CHECK(ps_key(a, 3) == ps_key(c, 3));
        CHECK(ps_key(a, 3) != ps_key(a, 2));
    }

    unit_ctx = "empty";
    pathset s = { 0 };
    CHECK(!ps_has(&s, key("\\??\\C:\\a")));
    CHECK(!anc(&s, "\\??\\C:\\a\\b"));
    CHECK(ps_add(&s, 5) == -1); /* no table yet */
    CHECK_EQ_INT(ps_cap_for(0), 16);
    CHECK(ps_cap_for(100) * 3 >= 101 * 4);

    unit_ctx = "add/has";
    add(&s, key("\\??\\C:\\dir"));
    CHECK(ps_has(&s, key("\\??\\c:\\Dir")));
    CHECK(!ps_has(&s, key("\\??\\C:\\dir2")));
    size_t n0 = s.n;
    add(&s, key("\\??\\C:\\DIR"));
    CHECK_EQ_INT(s.n, n0); /* no duplicates */

    unit_ctx = "ancestors";
    CHECK(anc(&s, "\\??\\C:\\dir"));
    CHECK(anc(&s, "\\??\\C:\\dir\\x"));
    CHECK(anc(&s, "\\??\\C:\\DIR\\x\\y.txt:s"));
    CHECK(!anc(&s, "\\??\\C:\\dirx"));
    CHECK(!anc(&s, "\\??\\C:\\dirx\\y"));
    CHECK(!anc(&s, "\\??\\C:\\"));
    CHECK(!anc(&s, "\\??\\C:\\a\\dir")); /* a later component of that name is no ancestor */
    CHECK(!anc(&s, "\\??\\D:\\dir\\x"));
    add(&s, key("\\??\\E:\\"));
    CHECK(anc(&s, "\\??\\E:\\"));
    CHECK(anc(&s, "\\??\\E:\\any\\path"));
    CHECK(!anc(&s, "\\??\\F:\\any\\path"));

    unit_ctx = "many";
    char p[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(p, sizeof p, "\\??\\C:\\d%d\\f%d.txt", i % 97, i);
        add(&s, key(p));
    }
    int all = 1, none = 1;
    for (int i = 0; i < 5000; i++) {
        snprintf(p, sizeof p, "\\??\\c:\\D%d\\F%d.TXT", i % 97, i);
        all &= ps_has(&s, key(p));
        snprintf(p, sizeof p, "\\??\\C:\\d%d\\g%d.txt", i % 97, i);
        none &= !ps_has(&s, key(p));
    }
    CHECK(all);
    CHECK(none);
    CHECK(s.n * 4 <= s.cap * 3);
    CHECK(anc(&s, "\\??\\C:\\d3\\f3.txt"));
    CHECK(anc(&s, "\\??\\C:\\d3\\f3.txt\\below"));
    CHECK(!anc(&s, "\\??\\C:\\d3"));

    unit_ctx = "move too small";
    pathset t = { calloc(16, 8), 16, 0 };
    CHECK(ps_move(&t, &s) == -1);
    free(t.slot);
    free(s.slot);
    return UNIT_REPORT();
}
