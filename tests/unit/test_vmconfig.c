/* Unit tests of src/core/vmconfig.c: parse, format, round trip, and
 * robustness against arbitrary bytes (run under ASan + UBSan). */
#include "vmconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CHECK, CHECK_MSG, UNIT_REPORT: the shared assertion helpers. */
#include "unit.h"

/* Parses a heap copy of exactly len bytes, so ASan sees any overread. */
static int parse_exact(const char *text, size_t len, vm_config *cfg, char *err, size_t cap)
{
    char *copy = malloc(len ? len : 1);
    if (copy == NULL)
        abort();
    memcpy(copy, text, len);
    int rc = vmconfig_parse(copy, len, cfg, err, cap);
    free(copy);
    return rc;
}

#define LONG_COMMENT \
    "# 0123456789012345678901234567890123456789012345678901234567890123456789" \
    "0123456789012345678901234567890123456789012345678901234567890123456789" \
    "0123456789012345678901234567890123456789012345678901234567890123456789" \
    "0123456789012345678901234567890123456789012"  /* 255 bytes */

static void test_parse_table(void)
{
    static const struct {
        const char *text;
        int ok;
        const char *name;       /* ok: expected name */
        int has_ip;
        uint32_t ip;
        long long created;
        const char *err;        /* !ok: a part of the message */
    } cases[] = {
        /* Good ones. */
        { "version = 1\nname = web1\n", 1, "web1", 0, 0, 0, NULL },
        { "# Plume VM config\nversion = 1\nname = web1\nip = 127.0.0.2\ncreated = 1764094657\n",
          1, "web1", 1, 0x7f000002u, 1764094657LL, NULL },
        { "version = 1\r\nname = a\r\nip = 10.0.0.9\r\n", 1, "a", 1, 0x0a000009u, 0, NULL },
        { "\xef\xbb\xbfversion = 1\nname = a\n", 1, "a", 0, 0, 0, NULL },
        { "  version=1  \n\tname\t=\tA-b_c\t\n\n   \n# x\n  # y = z\n", 1, "A-b_c", 0, 0, 0, NULL },
        { "name = a\nversion = 1\ncreated = -5\n", 1, "a", 0, 0, -5, NULL },
        { "name = a\nversion = 1\ncreated = 9223372036854775807\n", 1, "a", 0, 0,
          9223372036854775807LL, NULL },
        { "name = a\nversion = 1\ncreated = -9223372036854775808\n", 1, "a", 0, 0,
          -9223372036854775807LL - 1, NULL },
        { "# \xc3\xa9t\xc3\xa9 \xff comment\nversion = 1\nname = a\n", 1, "a", 0, 0, 0, NULL },
        { LONG_COMMENT "\nversion = 1\nname = a\n", 1, "a", 0, 0, 0, NULL },
        { LONG_COMMENT "\r\nversion = 1\nname = a\n", 1, "a", 0, 0, 0, NULL },
        /* The last line may lack its end (as Notepad saves files). */
        { "version = 1\nname = a", 1, "a", 0, 0, 0, NULL },
        { "version = 1\nname = a\r", 1, "a", 0, 0, 0, NULL },
        { "version = 1\nname = a\n# comment", 1, "a", 0, 0, 0, NULL },
        /* Bad ones. */
        { "", 0, NULL, 0, 0, 0, "missing 'version'" },
        { "\n\n# only comments\n", 0, NULL, 0, 0, 0, "missing 'version'" },
        { "version = 1\n", 0, NULL, 0, 0, 0, "missing 'name'" },
        { "name = a\n", 0, NULL, 0, 0, 0, "missing 'version'" },
        { "version = 1\nname = a\ncolour = red\n", 0, NULL, 0, 0, 0,
          "line 3: unknown key 'colour'" },
        { "version = 1\nname = a\nname = b\n", 0, NULL, 0, 0, 0, "line 3: repeated key 'name'" },
        { "version = 1\nversion = 1\nname = a\n", 0, NULL, 0, 0, 0, "repeated key 'version'" },
        { "version = 2\nname = a\n", 0, NULL, 0, 0, 0, "unsupported version 2" },
        { "colour = red\nversion = 7\nname = a\n", 0, NULL, 0, 0, 0, "unsupported version 7" },
        { "version = 0\nname = a\n", 0, NULL, 0, 0, 0, "unsupported version 0" },
        { "version = one\nname = a\n", 0, NULL, 0, 0, 0, "invalid version" },
        { "version = \nname = a\n", 0, NULL, 0, 0, 0, "invalid version" },
        { "version = 1\nname = a b\n", 0, NULL, 0, 0, 0, "line 2: invalid name 'a b'" },
        { "version = 1\nname =\n", 0, NULL, 0, 0, 0, "invalid name '': is empty" },
        { "version = 1\nname = abcdefghijklmnopqrstuvwxyz0123456\n", 0, NULL, 0, 0, 0,
          "longer than 32" },
        { "version = 1\nname = con\n", 0, NULL, 0, 0, 0, "reserved" },
        { "version = 1\nname = a\nip = 1.2.3\n", 0, NULL, 0, 0, 0, "invalid ip '1.2.3'" },
        { "version = 1\nname = a\nip = 256.1.1.1\n", 0, NULL, 0, 0, 0, "invalid ip" },
        { "version = 1\nname = a\nip = 1.2.3.4.5.6.7.8.9\n", 0, NULL, 0, 0, 0, "invalid ip" },
        { "version = 1\nname = a\nip =\n", 0, NULL, 0, 0, 0, "invalid ip" },
        { "version = 1\nname = a\ncreated = soon\n", 0, NULL, 0, 0, 0, "invalid created" },
        { "version = 1\nname = a\ncreated = 9223372036854775808\n", 0, NULL, 0, 0, 0,
          "invalid created" },
        { "version = 1\nname = a\ncreated = 1.5\n", 0, NULL, 0, 0, 0, "invalid created" },
        { "version = 1\rname = a\n", 0, NULL, 0, 0, 0, "control character 0x0d" },
        { "version = 1\nname = a\x01\n", 0, NULL, 0, 0, 0, "control character 0x01" },
        { "version = 1\nname = a\n\x7f\n", 0, NULL, 0, 0, 0, "control character 0x7f" },
        { "version = 1\njust words\nname = a\n", 0, NULL, 0, 0, 0, "line 2: expected" },
        { "version = 1\n= a\nname = a\n", 0, NULL, 0, 0, 0, "unknown key ''" },
        { "Version = 1\nname = a\n", 0, NULL, 0, 0, 0, "unknown key 'Version'" },
        { "version = 1\nname = a\n" LONG_COMMENT "x\n", 0, NULL, 0, 0, 0,
          "line 3: longer than 255" },
        { "version = 1\nname = a\n\xc3\xa9 = 1\n", 0, NULL, 0, 0, 0, "unknown key '?\?'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[200] = "untouched";
        vm_config cfg;
        memset(&cfg, 0xAB, sizeof cfg);
        int rc = parse_exact(cases[i].text, strlen(cases[i].text), &cfg, err, sizeof err);
        char ctx[256];
        snprintf(ctx, sizeof ctx, "case %zu: %s", i, err);
        if (cases[i].ok) {
            CHECK_MSG(rc == 0, ctx);
            if (rc == 0) {
                CHECK_MSG(strcmp(cfg.name, cases[i].name) == 0, ctx);
                CHECK_MSG(cfg.has_ip == cases[i].has_ip, ctx);
                CHECK_MSG(!cfg.has_ip || cfg.ip == cases[i].ip, ctx);
                CHECK_MSG(cfg.created == cases[i].created, ctx);
            }
        } else {
            CHECK_MSG(rc == -1, ctx);
            CHECK_MSG(strstr(err, cases[i].err) != NULL, ctx);
            /* out is left alone on failure */
            unsigned char pattern[sizeof cfg];
            memset(pattern, 0xAB, sizeof pattern);
            CHECK_MSG(memcmp(&cfg, pattern, sizeof cfg) == 0, ctx);
        }
    }
}

static void test_parse_edges(void)
{
    char err[128];
    vm_config cfg;
    /* A NUL byte anywhere is refused, even inside a comment. */
    static const char nul[] = "version = 1\nname = a\n# x\0y\n";
    CHECK(parse_exact(nul, sizeof nul - 1, &cfg, err, sizeof err) == -1);
    CHECK(strstr(err, "NUL") != NULL);
    /* len is obeyed: a valid prefix of a longer buffer parses alone. */
    static const char two[] = "version = 1\nname = a\ncolour = red\n";
    CHECK(parse_exact(two, 21, &cfg, err, sizeof err) == 0);
    CHECK(parse_exact(two, sizeof two - 1, &cfg, err, sizeof err) == -1);
    /* NULL err / tiny err, NULL out. */
    CHECK(vmconfig_parse("version = 1\nname = a\n", 21, NULL, NULL, 0) == 0);
    CHECK(vmconfig_parse("x\n", 2, &cfg, NULL, 0) == -1);
    char tiny[4];
    CHECK(vmconfig_parse("x\n", 2, &cfg, tiny, sizeof tiny) == -1);
    CHECK(strlen(tiny) == 3);
    CHECK(vmconfig_parse(NULL, 0, &cfg, err, sizeof err) == -1);
    CHECK(vmconfig_parse(NULL, 5, &cfg, err, sizeof err) == -1);
    /* A very long line is refused without scanning past len. */
    size_t n = 1 << 20;
    char *big = malloc(n);
    if (big == NULL)
        abort();
    memset(big, 'x', n);
    CHECK(vmconfig_parse(big, n, &cfg, err, sizeof err) == -1);
    CHECK(strstr(err, "longer") != NULL);
    big[n - 1] = '\n';
    CHECK(vmconfig_parse(big, n, &cfg, err, sizeof err) == -1);
    CHECK(strstr(err, "longer than 255") != NULL);
    free(big);
}

static int same_config(const vm_config *a, const vm_config *b)
{
    return strcmp(a->name, b->name) == 0 && a->has_ip == b->has_ip &&
           (!a->has_ip || a->ip == b->ip) && a->created == b->created;
}

static void random_name(char *name)
{
    static const char chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    int n = 1 + rand() % VM_NAME_MAX;
    for (int i = 0; i < n; i++)
        name[i] = chars[rand() % (int)(sizeof chars - 1)];
    name[n] = 0;
    /* "com1" & co. are refused by vmname_check: prefix them. */
    if (vmname_check(name) != NULL)
        name[0] = 'x';
}

static void test_format(void)
{
    vm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    strcpy(cfg.name, "web1");
    cfg.has_ip = 1;
    cfg.ip = 0x7f000002u;
    cfg.created = 1764094657;
    char buf[256];
    size_t n = vmconfig_format(&cfg, buf, sizeof buf);
    static const char want[] =
        "# Plume VM config\nversion = 1\nname = web1\nip = 127.0.0.2\ncreated = 1764094657\n";
    CHECK(n == sizeof want - 1);
    CHECK(strcmp(buf, want) == 0);
    /* Exactly enough room (text + NUL) works; one byte less does not. */
    CHECK(vmconfig_format(&cfg, buf, sizeof want) == sizeof want - 1);
    CHECK(vmconfig_format(&cfg, buf, sizeof want - 1) == 0);
    CHECK(vmconfig_format(&cfg, buf, 1) == 0);
    CHECK(vmconfig_format(&cfg, buf, 0) == 0);
    /* No ip line when there is none. */
    cfg.has_ip = 0;
    n = vmconfig_format(&cfg, buf, sizeof buf);
    CHECK(n > 0 && strstr(buf, "ip") == NULL);
    /* An invalid config is not written. */
    strcpy(cfg.name, "a b");
    CHECK(vmconfig_format(&cfg, buf, sizeof buf) == 0);
    cfg.name[0] = 0;
    CHECK(vmconfig_format(&cfg, buf, sizeof buf) == 0);
    memset(cfg.name, 'a', sizeof cfg.name);     /* unterminated */
    CHECK(vmconfig_format(&cfg, buf, sizeof buf) == 0);
    CHECK(vmconfig_format(NULL, buf, sizeof buf) == 0);
}

/* format then parse gives back the config, for many random configs. */
static void test_roundtrip(void)
{
    srand(4242);
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        vm_config cfg, back;
        memset(&cfg, 0, sizeof cfg);
        random_name(cfg.name);
        cfg.has_ip = rand() % 2;
        cfg.ip = cfg.has_ip ? ((uint32_t)rand() << 16) ^ (uint32_t)rand() : 0;
        switch (i % 4) {
        case 0: cfg.created = 0; break;
        case 1: cfg.created = (int64_t)rand() * 1000; break;
        case 2: cfg.created = -(int64_t)rand(); break;
        default: cfg.created = i % 8 == 3 ? INT64_MAX : INT64_MIN; break;
        }
        char buf[256], err[128];
        size_t n = vmconfig_format(&cfg, buf, sizeof buf);
        if (n == 0 || n != strlen(buf) ||
            parse_exact(buf, n, &back, err, sizeof err) != 0 || !same_config(&cfg, &back)) {
            if (bad++ < 5)
                printf("round trip failed: %s\n", buf);
        }
    }
    CHECK(bad == 0);
}

/* Random bytes and random mutations of a valid file never crash (ASan and
 * UBSan watch), always give a verdict, and an accepted text formats to a
 * config that parses back to the same. */
static void test_random(void)
{
    static const char base[] =
        "# Plume VM config\r\nversion = 1\nname = web1\nip = 127.0.0.2\ncreated = 1764094657\n";
    static const char pieces[] = "=#\n\r\t \0\xff" "abc1.9-_";
    srand(99);
    int bad = 0, accepted = 0;
    for (int i = 0; i < 200000; i++) {
        char buf[512];
        size_t n;
        if (i % 3 == 0) {
            n = (size_t)rand() % 300;
            for (size_t j = 0; j < n; j++)
                buf[j] = (char)(rand() % 2 ? rand() : pieces[rand() % (int)(sizeof pieces - 1)]);
        } else {
            n = sizeof base - 1;
            memcpy(buf, base, n);
            int edits = 1 + rand() % 4;
            for (int e = 0; e < edits; e++) {
                size_t at = (size_t)rand() % n;
                switch (rand() % 3) {
                case 0:         /* replace a byte */
                    buf[at] = pieces[rand() % (int)(sizeof pieces - 1)];
                    break;
                case 1:         /* delete a byte */
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                    break;
                default:        /* insert a byte */
                    if (n < sizeof buf) {
                        memmove(buf + at + 1, buf + at, n - at);
                        buf[at] = (char)rand();
                        n++;
                    }
                    break;
                }
            }
        }
        vm_config cfg, back;
        char err[160] = "";
        int rc = parse_exact(buf, n, &cfg, err, sizeof err);
        if (rc == 0) {
            accepted++;
            char text[256];
            size_t m = vmconfig_format(&cfg, text, sizeof text);
            if (m == 0 || parse_exact(text, m, &back, err, sizeof err) != 0 ||
                !same_config(&cfg, &back))
                bad++;
        } else if (rc != -1 || err[0] == 0 || strlen(err) >= sizeof err) {
            bad++;
        } else {
            /* Messages are printable ASCII only. */
            for (const char *p = err; *p; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                    bad++;
        }
    }
    CHECK(bad == 0);
    CHECK(accepted > 100);      /* the mutations do leave some valid files */
}

int main(void)
{
    test_parse_table();
    test_parse_edges();
    test_format();
    test_roundtrip();
    test_random();
    return UNIT_REPORT();
}
