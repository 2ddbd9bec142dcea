/* Unit tests of src/core/ntpath.c and src/core/dirmerge.c. */
#include "unit.h"
#include "ntpath.h"
#include "dirmerge.h"

#include <stdlib.h>

static size_t u16(const char *s, uint16_t *out)
{
    size_t n = 0;
    for (; s[n]; n++)
        out[n] = (uint16_t)(unsigned char)s[n];
    return n;
}

static char got[NTP_MAX];

static const char *narrow(const uint16_t *s, size_t n)
{
    size_t i = 0;
    for (; i < n && i + 1 < sizeof got; i++)
        got[i] = s[i] < 128 ? (char)s[i] : '#';
    got[i] = 0;
    return got;
}

static ntp_volmap vm;

static int canon(const char *in, char *outbuf, size_t *plen)
{
    uint16_t a[1024], o[1024];
    size_t n = u16(in, a), ol = 0, pl = 0;
    int k = ntp_canon(a, n, &vm, o, 1024, &ol, &pl);
    snprintf(outbuf, 1024, "%s", (k == NTP_DISK || k == NTP_VOLUME) ? narrow(o, ol) : "");
    if (plen)
        *plen = pl;
    return k;
}

static void expect(const char *in, int kind, const char *want)
{
    char out[1024];
    unit_ctx = in;
    int k = canon(in, out, NULL);
    CHECK_EQ_INT(k, kind);
    if (want)
        CHECK_MSG(strcmp(out, want) == 0, out);
}

static int match(const char *p, const char *n)
{
    uint16_t a[512], b[512];
    size_t pn = u16(p, a), nn = u16(n, b);
    return ntp_match(a, pn, b, nn);
}

int main(void)
{
    uint16_t dev[64];
    vm.dev_len[2] = u16("\\Device\\HarddiskVolume1", dev);
    memcpy(vm.dev[2], dev, sizeof dev);
    vm.dev_len[25] = u16("\\Device\\HarddiskVolume10", dev);
    memcpy(vm.dev[25], dev, sizeof dev);

    /* Every spelling of C:\dir\file gives one virtual form. */
    const char *same[] = {
        "\\??\\C:\\dir\\file", "\\??\\c:\\dir\\file", "\\??\\C:/dir/file",
        "\\??\\C:\\dir\\\\file", "\\??\\C:\\dir\\.\\file", "\\??\\C:\\dir\\x\\..\\file",
        "\\??\\C:\\dir\\file.", "\\??\\C:\\dir\\file. . ", "\\??\\C:\\dir.\\file",
        "\\DosDevices\\C:\\dir\\file", "\\GLOBAL??\\C:\\dir\\file",
        "\\??\\GLOBALROOT\\Device\\HarddiskVolume1\\dir\\file",
        "\\??\\GLOBALROOT\\??\\C:\\dir\\file", "\\Device\\HarddiskVolume1\\dir\\file",
        "\\device\\harddiskvolume1\\dir\\file", "\\??\\UNC\\localhost\\C$\\dir\\file",
        "\\??\\UNC\\127.0.0.1\\c$\\dir\\file", "\\??\\UNC\\.\\C$\\dir\\file",
        "\\??\\C:\\dir\\file::$DATA", "\\??\\C:\\dir\\file\\", "\\??\\C:\\..\\dir\\file",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        expect(same[i], NTP_DISK, "\\??\\C:\\dir\\file");
    expect("\\??\\C:\\Dir\\FILE", NTP_DISK, "\\??\\C:\\Dir\\FILE");
    expect("\\Device\\HarddiskVolume10\\a", NTP_DISK, "\\??\\Z:\\a");
    expect("\\Device\\HarddiskVolume1x\\a", NTP_OTHER, NULL);

    /* Roots, volumes, streams. */
    expect("\\??\\C:\\", NTP_DISK, "\\??\\C:\\");
    expect("\\??\\C:\\.", NTP_DISK, "\\??\\C:\\");
    expect("\\??\\C:\\..", NTP_DISK, "\\??\\C:\\");
    expect("\\??\\UNC\\localhost\\C$", NTP_DISK, "\\??\\C:\\");
    expect("\\??\\C:", NTP_VOLUME, "\\??\\C:");
    expect("\\Device\\HarddiskVolume1", NTP_VOLUME, "\\??\\C:");
    char out[1024];
    size_t pl = 0;
    unit_ctx = "stream";
    CHECK_EQ_INT(canon("\\??\\C:\\d\\f.txt:s1:$DATA", out, &pl), NTP_DISK);
    CHECK(strcmp(out, "\\??\\C:\\d\\f.txt:s1") == 0);
    CHECK_EQ_INT(pl, 14);
    CHECK_EQ_INT(canon("\\??\\C:\\d\\f.txt:s1", out, &pl), NTP_DISK);
    CHECK_EQ_INT(pl, 14);

    /* Not disk paths, or bad ones. */
    expect("\\??\\pipe\\x", NTP_OTHER, NULL);
    expect("\\Device\\NamedPipe\\x", NTP_OTHER, NULL);
    expect("\\??\\PhysicalDrive0", NTP_OTHER, NULL);
    expect("\\??\\UNC\\server\\share\\x", NTP_OTHER, NULL);
    expect("\\??\\UNC\\localhost\\share\\x", NTP_OTHER, NULL);
    expect("\\??\\GLOBALROOT", NTP_OTHER, NULL);
    expect("relative\\x", NTP_OTHER, NULL);
    expect("", NTP_OTHER, NULL);
    /* Wine's Unix-path spelling: refused, in every prefix and case. */
    expect("\\??\\unix\\tmp\\x", NTP_UNIX, NULL);
    expect("\\??\\unix/tmp/x", NTP_UNIX, NULL);
    expect("\\??\\UNIX\\tmp", NTP_UNIX, NULL);
    expect("\\??\\unix", NTP_UNIX, NULL);
    expect("\\??\\unix\\", NTP_UNIX, NULL);
    expect("\\DosDevices\\unix\\tmp", NTP_UNIX, NULL);
    expect("\\GLOBAL??\\Unix\\tmp", NTP_UNIX, NULL);
    expect("\\??\\GLOBALROOT\\??\\unix\\tmp", NTP_UNIX, NULL);
    expect("\\??\\GLOBALROOT\\GLOBAL??\\unix/tmp", NTP_UNIX, NULL);
    expect("\\??\\unixx\\tmp", NTP_OTHER, NULL);
    expect("\\??\\uni\\tmp", NTP_OTHER, NULL);
    expect("\\??\\C:\\unix\\tmp", NTP_DISK, "\\??\\C:\\unix\\tmp");
    expect("\\??\\C:x", NTP_BAD, NULL);
    expect("\\??\\C:\\a:s\\b", NTP_BAD, NULL);
    expect("\\??\\C:\\a*b", NTP_BAD, NULL);
    expect("\\??\\C:\\a\\:s", NTP_BAD, NULL);

    /* Too long. */
    {
        unit_ctx = "toolong";
        uint16_t a[64], o[8];
        size_t n = u16("\\??\\C:\\abcdefgh", a), ol, pl2;
        CHECK_EQ_INT(ntp_canon(a, n, &vm, o, 8, &ol, &pl2), NTP_TOOLONG);
        CHECK_EQ_INT(ntp_canon(a, n, &vm, o, 3, &ol, &pl2), NTP_TOOLONG);
    }

    /* Join (relative opens). */
    {
        unit_ctx = "join";
        uint16_t b[64], r[64], o[128];
        size_t bn = u16("\\??\\C:\\dir", b), rn = u16("sub\\..\\file.", r), ol, pl2;
        CHECK_EQ_INT(ntp_join(b, bn, r, rn, &vm, o, 128, &ol, &pl2), NTP_DISK);
        CHECK(strcmp(narrow(o, ol), "\\??\\C:\\dir\\file") == 0);
        bn = u16("\\??\\C:\\", b);
        rn = u16("x", r);
        CHECK_EQ_INT(ntp_join(b, bn, r, rn, &vm, o, 128, &ol, &pl2), NTP_DISK);
        CHECK(strcmp(narrow(o, ol), "\\??\\C:\\x") == 0);
        rn = 0;
        CHECK_EQ_INT(ntp_join(b, bn, r, rn, &vm, o, 128, &ol, &pl2), NTP_DISK);
        CHECK(strcmp(narrow(o, ol), "\\??\\C:\\") == 0);
        /* An empty name re-opens the object itself (ReOpenFile): a file,
         * a stream, a volume; \??\unix stays refused. */
        bn = u16("\\??\\C:\\d\\f.txt", b);
        CHECK_EQ_INT(ntp_join(b, bn, r, 0, &vm, o, 128, &ol, &pl2), NTP_DISK);
        CHECK(strcmp(narrow(o, ol), "\\??\\C:\\d\\f.txt") == 0);
        bn = u16("\\??\\C:\\d\\f.txt:s", b);
        CHECK_EQ_INT(ntp_join(b, bn, r, 0, &vm, o, 128, &ol, &pl2), NTP_DISK);
        CHECK(strcmp(narrow(o, ol), "\\??\\C:\\d\\f.txt:s") == 0);
        CHECK_EQ_INT(pl2, 14);
        rn = u16("x", r);
        CHECK_EQ_INT(ntp_join(b, bn, r, rn, &vm, o, 128, &ol, &pl2), NTP_BAD);
        bn = u16("\\??\\C:", b);
        CHECK_EQ_INT(ntp_join(b, bn, r, 0, &vm, o, 128, &ol, &pl2), NTP_VOLUME);
        CHECK_EQ_INT(ntp_join(b, bn, r, rn, &vm, o, 128, &ol, &pl2), NTP_BAD);
        bn = u16("\\??\\unix\\tmp", b);
        CHECK_EQ_INT(ntp_join(b, bn, r, 0, &vm, o, 128, &ol, &pl2), NTP_UNIX);
        CHECK_EQ_INT(ntp_join(b, bn, r, rn, &vm, o, 128, &ol, &pl2), NTP_UNIX);
    }

    /* Parent, leaf, under, store path. */
    {
        unit_ctx = "parent";
        uint16_t v[64], d[64], o[128], b[64];
        size_t n = u16("\\??\\C:\\a\\b", v);
        CHECK_EQ_INT(ntp_parent(v, n), 8);
        CHECK_EQ_INT(ntp_parent(v, 8), 7);
        CHECK_EQ_INT(ntp_parent(v, 7), 0);
        CHECK_EQ_INT(ntp_leaf(v, n), 9);
        size_t dn = u16("\\??\\c:\\A", d);
        CHECK(ntp_under(v, n, d, dn));
        CHECK(ntp_under(v, 8, d, dn));
        dn = u16("\\??\\C:\\a\\", d);
        CHECK(ntp_under(v, n, d, dn));
        dn = u16("\\??\\C:\\a\\bc", d);
        CHECK(!ntp_under(v, n, d, dn));
        dn = u16("\\??\\C:\\a\\", d);
        size_t vn = u16("\\??\\C:\\ab", v);
        CHECK(!ntp_under(v, vn, d, dn));
        size_t bn = u16("\\??\\C:\\st\\files", b);
        vn = u16("\\??\\c:\\x\\y", v);
        size_t on = ntp_store_path(b, bn, v, vn, o, 128);
        CHECK(strcmp(narrow(o, on), "\\??\\C:\\st\\files\\C\\x\\y") == 0);
        vn = u16("\\??\\C:\\", v);
        on = ntp_store_path(b, bn, v, vn, o, 128);
        CHECK(strcmp(narrow(o, on), "\\??\\C:\\st\\files\\C") == 0);
        CHECK_EQ_INT(ntp_store_path(b, bn, v, vn, o, 10), 0);
        vn = u16("\\??\\pipe", v);
        CHECK_EQ_INT(ntp_store_path(b, bn, v, vn, o, 128), 0);
    }

    /* Could change. */
    unit_ctx = "could_change";
    CHECK(!ntp_could_change(0x80000000u | 0x100000u, 1, 0x20)); /* GENERIC_READ|SYNCHRONIZE */
    CHECK(!ntp_could_change(0x1u | 0x80u, 1, 0));
    CHECK(!ntp_could_change(0x1u, 3, 0)); /* OPEN_IF, read */
    CHECK(ntp_could_change(0x2u, 1, 0));
    CHECK(ntp_could_change(0x4u, 1, 0));
    CHECK(ntp_could_change(0x100u, 1, 0));
    CHECK(ntp_could_change(0x10u, 1, 0));
    CHECK(ntp_could_change(0x10000u, 1, 0));
    CHECK(ntp_could_change(0x40000u, 1, 0));
    CHECK(ntp_could_change(0x80000u, 1, 0));
    CHECK(ntp_could_change(0x40000000u, 1, 0));
    CHECK(ntp_could_change(0x10000000u, 1, 0));
    CHECK(ntp_could_change(0x02000000u, 1, 0));
    CHECK(ntp_could_change(0x1u, 1, 0x1000));
    CHECK(ntp_could_change(0x1u, 0, 0));
    CHECK(ntp_could_change(0x1u, 4, 0));
    CHECK(ntp_could_change(0x1u, 5, 0));
    CHECK(ntp_creates(2) && ntp_creates(3) && ntp_creates(0) && ntp_creates(5));
    CHECK(!ntp_creates(1) && !ntp_creates(4));

    /* Wildcards. */
    unit_ctx = "match";
    CHECK(match("", "x"));
    CHECK(match("*", "abc"));
    CHECK(match("*", ""));
    CHECK(match("*.txt", "A.TXT"));
    CHECK(!match("*.txt", "a.txt2"));
    CHECK(match("a?c", "abc"));
    CHECK(!match("a?c", "ac"));
    CHECK(match("abc", "ABC"));
    CHECK(!match("abc", "abcd"));
    CHECK(match("f*1*", "file10.dat"));
    CHECK(match("<.txt", "a.b.txt"));   /* DOS_STAR up to the last dot */
    CHECK(match("<", "noext"));
    CHECK(match("a>>>", "a"));           /* DOS_QM at the end */
    CHECK(match("a>>>", "abc"));
    CHECK(!match("a>>>", "abcde"));
    CHECK(match("a>\">>>", "a"));        /* "a?.???" as Win32 sends it */
    CHECK(match("a>\">>>", "ab.txt"));
    CHECK(match("<\"*", "file"));        /* "*.*" */
    CHECK(match("<\"*", "file.txt"));
    CHECK(match("**?*", "x"));

    /* Merge. */
    {
        unit_ctx = "merge";
        const char *names[] = { "b", "A", "..", "c", "a", ".", "B", "d", "e", "E" };
        int src[] = { DM_HOST, DM_HOST, DM_HOST, DM_HOST, DM_PRIVATE, DM_HOST, DM_DELETED,
                      DM_DELETED, DM_PRIVATE, DM_DELETED };
        uint16_t buf[10][4];
        dm_ent e[10], s[10];
        for (int i = 0; i < 10; i++) {
            e[i].len = u16(names[i], buf[i]);
            e[i].name = buf[i];
            e[i].src = src[i];
            e[i].idx = (size_t)i;
        }
        size_t n = dm_merge(e, 10, s);
        /* . .. a(private) c e(private); b and d deleted */
        CHECK_EQ_INT(n, 5);
        const char *want[] = { ".", "..", "a", "c", "e" };
        for (size_t i = 0; i < n && i < 5; i++)
            CHECK_MSG(ntp_eq(e[i].name, e[i].len, (const uint16_t *)0, 0) ||
                          strcmp(narrow(e[i].name, e[i].len), want[i]) == 0,
                      narrow(e[i].name, e[i].len));
        CHECK_EQ_INT(e[2].src, DM_PRIVATE);
        CHECK_EQ_INT(e[4].src, DM_PRIVATE);
        CHECK_EQ_INT(dm_merge(e, 0, s), 0);
    }

    /* Robustness: random inputs never crash or overrun. */
    {
        unit_ctx = "fuzz";
        srand(1);
        uint16_t a[300], o[64];
        const uint16_t alpha[] = { '\\', '/', '.', ':', ' ', '?', 'C', 'c', '$', 'U', 'N',
                                   'G', 'L', 'a', 0, 0xe9, '*', '<', '>', '"' };
        int ok = 1;
        for (int it = 0; it < 3000; it++) {
            size_t n = (size_t)(rand() % 300);
            for (size_t i = 0; i < n; i++)
                a[i] = alpha[rand() % (int)(sizeof alpha / sizeof alpha[0])];
            if (n > 4 && rand() % 2) {
                a[0] = '\\'; a[1] = '?'; a[2] = '?'; a[3] = '\\'; a[4] = 'C';
            }
            size_t ol = 0, pl2 = 0;
            int k = ntp_canon(a, n, &vm, o, (size_t)(rand() % 64), &ol, &pl2);
            if ((k == NTP_DISK || k == NTP_VOLUME) && (pl2 > ol || ol > 64))
                ok = 0;
            ntp_match(a, n, a, n / 2);
            ntp_parent(a, n);
        }
        CHECK(ok);
    }
    {
        /* ntp_tilde_next */
        uint16_t t[128];
        size_t e = 0, n = u16("\\??\\C:\\PROGRA~1\\a\\LONGNA~2.TXT:s~1", t);
        unit_ctx = "tilde";
        CHECK_EQ_INT(ntp_tilde_next(t, n, 0, &e), 7);
        CHECK_EQ_INT(e, 15);
        CHECK_EQ_INT(ntp_tilde_next(t, n, e, &e), 18);
        CHECK_EQ_INT(e, 30);
        CHECK_EQ_INT(ntp_tilde_next(t, n, e, &e), n); /* not in the stream */
        n = u16("\\??\\C:\\a\\b", t);
        CHECK_EQ_INT(ntp_tilde_next(t, n, 0, &e), n);
        n = u16("\\??\\C:\\", t);
        CHECK_EQ_INT(ntp_tilde_next(t, n, 0, &e), n);
        n = u16("\\??\\C:\\~", t);
        CHECK_EQ_INT(ntp_tilde_next(t, n, 0, &e), 7);
        CHECK_EQ_INT(e, 8);
        CHECK_EQ_INT(ntp_tilde_next(t, n, 100, &e), n);
        CHECK_EQ_INT(ntp_tilde_next(NULL, 0, 0, &e), 0);
        n = u16("\\??\\C", t);
        CHECK_EQ_INT(ntp_tilde_next(t, n, 0, &e), n);
        /* any input: in bounds */
        uint32_t x = 7;
        for (int k = 0; k < 20000; k++) {
            static const char al[] = "\\~:a";
            size_t m = 8 + k % 24;
            u16("\\??\\C:\\", t);
            for (size_t j = 7; j < m; j++) {
                x = x * 1103515245u + 12345u;
                t[j] = (uint16_t)al[(x >> 16) % 4];
            }
            size_t at = 0, guard = 0;
            for (;;) {
                size_t c = ntp_tilde_next(t, m, at, &e);
                if (c >= m)
                    break;
                CHECK(c >= at && e > c && e <= m && t[c] != '\\');
                at = e;
                if (++guard > m)
                    break;
            }
        }
    }
    return UNIT_REPORT();
}
