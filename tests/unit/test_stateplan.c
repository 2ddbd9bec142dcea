/* Unit tests of src/core/stateplan.c: origin records, the plan of one name
 * of the files tree, path filters, registry display names. */
#include "stateplan.h"
#include "unit.h"

#include <stdlib.h>

static size_t w(uint16_t *out, const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        out[n] = (uint16_t)(unsigned char)s[n];
    return n;
}

/* The filter's path as ASCII (for comparisons). */
static const char *narrow(const uint16_t *p, size_t n)
{
    static char buf[SP_PATH_MAX + 1];
    size_t i = 0;
    for (; i < n && i < SP_PATH_MAX; i++)
        buf[i] = p[i] < 128 ? (char)p[i] : '?';
    buf[i] = 0;
    return buf;
}

static const uint16_t SID[] = { 'S', '-', '1', '-', '5', '-', '2', '1' };

static int parse(const char *s, sp_filter *f)
{
    uint16_t in[512];
    size_t n = w(in, s);
    return sp_filter_parse(in, n, SID, 8, f);
}

static void expect_filter(const char *in, int kind, const char *want)
{
    static sp_filter f;
    unit_ctx = in;
    CHECK_EQ_INT(parse(in, &f), kind);
    if (kind != SP_K_BAD)
        CHECK_MSG(strcmp(narrow(f.p, f.n), want) == 0, narrow(f.p, f.n));
}

static void test_origin(void)
{
    unit_ctx = "origin";
    sp_origin o = { 0x01d9aabbccddeeffLL, 123456789012LL }, r;
    uint8_t b[SP_ORIGIN_SIZE];
    sp_origin_format(&o, b);
    CHECK_MEM(b, "PLOR\x01\0\0\0", 8);
    CHECK_EQ_INT(sp_origin_parse(b, sizeof b, &r), 1);
    CHECK(r.lwt == o.lwt && r.size == o.size);
    CHECK_EQ_INT(sp_origin_parse(b, 0, &r), 0);
    CHECK_EQ_INT(sp_origin_parse(NULL, 0, &r), 0);
    CHECK_EQ_INT(sp_origin_parse(b, 23, &r), -1);
    CHECK_EQ_INT(sp_origin_parse(b, 25, &r), -1);
    b[4] = 2;
    CHECK_EQ_INT(sp_origin_parse(b, sizeof b, &r), -1);
    b[4] = 1;
    b[0] = 'X';
    CHECK_EQ_INT(sp_origin_parse(b, sizeof b, &r), -1);
}

static void test_plan(void)
{
    sp_facts f;
    sp_plan p;

    unit_ctx = "new file";
    memset(&f, 0, sizeof f);
    f.priv = SP_FILE;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.change, SPC_ADDED);
    CHECK_EQ_INT(p.conflict, SPX_NONE);
    CHECK(p.copy && p.drop && !p.del_host);

    unit_ctx = "copy-up, host unchanged";
    memset(&f, 0, sizeof f);
    f.priv = SP_FILE;
    f.host = SP_FILE;
    f.host_lwt = 1000;
    f.host_size = 8;
    f.has_origin = 1;
    f.origin.lwt = 1000;
    f.origin.size = 8;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.change, SPC_MODIFIED);
    CHECK_EQ_INT(p.conflict, SPX_NONE);
    CHECK(p.copy && p.drop);

    unit_ctx = "copy-up, host changed";
    f.host_lwt = 1001;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.conflict, SPX_CHANGED);
    f.host_lwt = 1000;
    f.host_size = 9;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.conflict, SPX_CHANGED);

    unit_ctx = "copy-up, same content (already committed)";
    f.same = 1;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.change, SPC_NONE);
    CHECK_EQ_INT(p.conflict, SPX_NONE);
    CHECK(!p.copy && p.drop);

    unit_ctx = "copy-up, host deleted since";
    memset(&f, 0, sizeof f);
    f.priv = SP_FILE;
    f.has_origin = 1;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.change, SPC_MODIFIED);
    CHECK_EQ_INT(p.conflict, SPX_HOST_DELETED);

    unit_ctx = "no origin, host file older than the VM's";
    memset(&f, 0, sizeof f);
    f.priv = SP_FILE;
    f.host = SP_FILE;
    f.host_lwt = 50;
    f.priv_ctime = 100;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.conflict, SPX_NONE);
    unit_ctx = "no origin, host file newer than the VM's";
    f.host_lwt = 150;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.conflict, SPX_CREATED);

    unit_ctx = "deleted, marker with origin";
    memset(&f, 0, sizeof f);
    f.marker = 1;
    f.host = SP_FILE;
    f.host_lwt = 7;
    f.host_size = 3;
    f.has_morigin = 1;
    f.morigin.lwt = 7;
    f.morigin.size = 3;
    f.mark_time = 1;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.change, SPC_DELETED);
    CHECK_EQ_INT(p.conflict, SPX_NONE);   /* the origin wins over the time */
    CHECK(p.del_host && p.drop && !p.copy);
    f.host_size = 4;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.conflict, SPX_AFTER_DELETE);

    unit_ctx = "deleted, empty marker";
    f.has_morigin = 0;
    f.mark_time = 100;
    f.host_lwt = 99;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.conflict, SPX_NONE);
    f.host_lwt = 101;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.conflict, SPX_AFTER_DELETE);

    unit_ctx = "marker, host gone too";
    f.host = SP_NONE;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.change, SPC_NONE);
    CHECK(p.drop && !p.del_host);

    unit_ctx = "host-only name under a deleted directory";
    memset(&f, 0, sizeof f);
    f.opaque = 1;
    f.host = SP_DIR;
    f.host_lwt = 5;
    f.mark_time = 10;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.change, SPC_DELETED);
    CHECK(p.del_host);
    CHECK_EQ_INT(p.conflict, SPX_NONE);

    unit_ctx = "nothing anywhere";
    memset(&f, 0, sizeof f);
    sp_plan_file(&f, &p);
    CHECK(!p.change && !p.drop && !p.del_host && !p.copy);

    unit_ctx = "new directory";
    memset(&f, 0, sizeof f);
    f.priv = SP_DIR;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.change, SPC_ADDED);
    CHECK(p.mkdir && p.recurse && !p.child_opaque);

    unit_ctx = "directory deleted and re-created";
    f.host = SP_DIR;
    f.marker = 1;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.change, SPC_NONE);
    CHECK(p.recurse && p.child_opaque && !p.mkdir);

    unit_ctx = "file where the host has a directory";
    memset(&f, 0, sizeof f);
    f.priv = SP_FILE;
    f.host = SP_DIR;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.conflict, SPX_TYPE);
    f.marker = 1;
    f.mark_time = 10;
    sp_plan_file(&f, &p);
    CHECK_EQ_INT(p.conflict, SPX_NONE);
    CHECK(p.del_host && p.copy);

    for (int c = 0; c <= SPX_TYPE; c++)
        CHECK(sp_conflict_text(c) != NULL && (c == 0) == (sp_conflict_text(c)[0] == 0));
    CHECK(!strcmp(sp_change_text(SPC_DELETED), "deleted"));
}

static void test_filters(void)
{
    expect_filter("C:\\plume\\x", SP_K_FILE, "C:\\plume\\x");
    expect_filter("c:/plume//x/", SP_K_FILE, "C:\\plume\\x");
    expect_filter("C:\\a\\.\\b\\..\\c. .", SP_K_FILE, "C:\\a\\c");
    expect_filter("C:\\..\\..", SP_K_FILE, "C:\\");
    expect_filter("d:\\", SP_K_FILE, "D:\\");
    expect_filter("C:x", SP_K_BAD, "");
    expect_filter("x.txt", SP_K_BAD, "");
    expect_filter("\\\\server\\share", SP_K_BAD, "");
    expect_filter("C:\\a*b", SP_K_BAD, "");
    expect_filter("", SP_K_BAD, "");
    expect_filter("HKLM\\Software\\X", SP_K_REG, "\\REGISTRY\\MACHINE\\Software\\X");
    expect_filter("hkey_local_machine\\Software\\X\\", SP_K_REG, "\\REGISTRY\\MACHINE\\Software\\X");
    expect_filter("HKLM", SP_K_REG, "\\REGISTRY\\MACHINE");
    expect_filter("HKCU\\Software", SP_K_REG, "\\REGISTRY\\USER\\S-1-5-21\\Software");
    expect_filter("HKU\\.DEFAULT", SP_K_REG, "\\REGISTRY\\USER\\.DEFAULT");
    expect_filter("HKCR\\.txt", SP_K_REG, "\\REGISTRY\\MACHINE\\Software\\Classes\\.txt");
    expect_filter("\\Registry\\Machine\\System", SP_K_REG, "\\REGISTRY\\MACHINE\\System");
    expect_filter("HKLM\\a/b", SP_K_REG, "\\REGISTRY\\MACHINE\\a/b");
    expect_filter("HKXX\\a", SP_K_BAD, "");
    expect_filter("\\Registry\\Other", SP_K_BAD, "");
    expect_filter("HKLMx", SP_K_BAD, "");

    static sp_filter f[2];
    parse("C:\\plume\\dir", &f[0]);
    parse("HKLM\\Software\\T", &f[1]);
    uint16_t p[64];
    size_t n;
    unit_ctx = "select";
    n = w(p, "C:\\plume\\dir");
    CHECK_EQ_INT(sp_select(f, 2, SP_K_FILE, p, n), SP_SELECTED);
    n = w(p, "c:\\PLUME\\dir\\sub\\f");
    CHECK_EQ_INT(sp_select(f, 2, SP_K_FILE, p, n), SP_SELECTED);
    n = w(p, "C:\\plume\\dir2");
    CHECK_EQ_INT(sp_select(f, 2, SP_K_FILE, p, n), SP_UNRELATED);
    n = w(p, "C:\\plume");
    CHECK_EQ_INT(sp_select(f, 2, SP_K_FILE, p, n), SP_ANCESTOR);
    n = w(p, "C:\\");
    CHECK_EQ_INT(sp_select(f, 2, SP_K_FILE, p, n), SP_ANCESTOR);
    n = w(p, "\\REGISTRY\\MACHINE\\Software\\T\\x");
    CHECK_EQ_INT(sp_select(f, 2, SP_K_REG, p, n), SP_SELECTED);
    CHECK_EQ_INT(sp_select(f, 2, SP_K_FILE, p, n), SP_UNRELATED);
    n = w(p, "\\REGISTRY\\MACHINE\\Software\\Tx");
    CHECK_EQ_INT(sp_select(f, 2, SP_K_REG, p, n), SP_UNRELATED);
    CHECK_EQ_INT(sp_select(f, 0, SP_K_REG, p, n), SP_SELECTED);
}

static void test_display(void)
{
    uint16_t v[128], out[128];
    size_t n;
    unit_ctx = "display";
    n = w(v, "\\REGISTRY\\MACHINE\\Software\\X");
    CHECK_EQ_INT(sp_reg_display(v, n, SID, 8, out, 128), 15);
    CHECK(!strcmp(narrow(out, 15), "HKLM\\Software\\X"));
    n = w(v, "\\REGISTRY\\USER\\S-1-5-21\\Software");
    CHECK_EQ_INT(sp_reg_display(v, n, SID, 8, out, 128), 13);
    CHECK(!strcmp(narrow(out, 13), "HKCU\\Software"));
    n = w(v, "\\REGISTRY\\USER\\S-1-5-21-9\\Software");
    CHECK_EQ_INT(sp_reg_display(v, n, SID, 8, out, 128), 23);
    CHECK(!strcmp(narrow(out, 23), "HKU\\S-1-5-21-9\\Software"));
    n = w(v, "\\REGISTRY\\MACHINEX");
    CHECK_EQ_INT(sp_reg_display(v, n, SID, 8, out, 128), n);
    CHECK_EQ_INT(sp_reg_display(v, n, SID, 8, out, 5), 0);
}

static void test_random(void)
{
    unit_ctx = "random";
    srand(1234);
    static sp_filter f;
    int bad = 0;
    for (int iter = 0; iter < 20000; iter++) {
        uint16_t in[96];
        size_t n = (size_t)(rand() % 96);
        static const char alpha[] = "C:\\/.. HKLMCUR_aZ*\0";
        for (size_t i = 0; i < n; i++)
            in[i] = rand() % 8 ? (uint16_t)alpha[rand() % (sizeof alpha)] : (uint16_t)(rand() & 0xffff);
        int k = sp_filter_parse(in, n, SID, 8, &f);
        if (k != SP_K_BAD) {
            if (f.n == 0 || f.n >= SP_PATH_MAX)
                bad++;
            sp_select(&f, 1, k, in, n);
            uint16_t out[200];
            sp_reg_display(f.p, f.n, SID, 8, out, 200);
        }
        uint8_t b[30];
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (uint8_t)rand();
        sp_origin o;
        sp_origin_parse(b, (size_t)(rand() % 30), &o);
        sp_facts fa;
        uint8_t *fb = (uint8_t *)&fa;
        for (size_t i = 0; i < sizeof fa; i++)
            fb[i] = (uint8_t)rand();
        fa.priv = rand() % 3;
        fa.host = rand() % 3;
        sp_plan p;
        sp_plan_file(&fa, &p);
        if (p.copy && fa.priv != SP_FILE)
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
}

static void test_internal(void)
{
    static const struct { const char *path; int want; } cases[] = {
        { "C:\\windows\\plume-scm.log", 1 },
        { "c:\\WINDOWS\\Plume-SCM.procs", 1 },
        { "C:\\windows\\plume-scm.procs.tmp", 1 },
        { "C:\\windows\\plume-scm.", 0 },           /* no name after the dot */
        { "C:\\windows\\plume-scm.log\\x", 0 },     /* deeper: not the file */
        { "C:\\windows\\system32\\plume-scm.log", 0 },
        { "C:\\windows\\plume-scmXlog", 0 },
        { "C:\\pgdata\\plume-scm.log", 0 },
    };
    uint16_t b[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(sp_internal_file(b, w(b, cases[i].path)) == cases[i].want);
    CHECK(sp_internal_file(NULL, 0) == 0);
    CHECK(sp_internal_file(b, 0) == 0);
}

int main(void)
{
    test_internal();
    test_origin();
    test_plan();
    test_filters();
    test_display();
    test_random();
    return UNIT_REPORT();
}
