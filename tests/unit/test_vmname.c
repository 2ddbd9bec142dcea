/* Unit tests of src/core/vmname.c: names, IPv4 parsing and formatting. */
#include "vmname.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CHECK, CHECK_MSG, UNIT_REPORT: the shared assertion helpers. */
#include "unit.h"

static void test_names(void)
{
    static const struct {
        const char *name;
        const char *why;        /* NULL: valid; else a word of the reason */
    } cases[] = {
        { "a", NULL },
        { "web1", NULL },
        { "Web-1_x", NULL },
        { "_", NULL },
        { "-", NULL },
        { "0", NULL },
        { "abcdefghijklmnopqrstuvwxyz012345", NULL },          /* 32 */
        { "abcdefghijklmnopqrstuvwxyz0123456", "longer" },     /* 33 */
        { "", "empty" },
        { "a b", "only letters" },
        { "a/b", "only letters" },
        { "a\\b", "only letters" },
        { "..", "only letters" },
        { ".", "only letters" },
        { "a.b", "only letters" },
        { "a:b", "only letters" },
        { "\xc3\xa9t\xc3\xa9", "only letters" },               /* "été" */
        { "tab\there", "only letters" },
        { "con", "reserved" },
        { "CON", "reserved" },
        { "Nul", "reserved" },
        { "aux", "reserved" },
        { "prn", "reserved" },
        { "com1", "reserved" },
        { "LPT9", "reserved" },
        { "conin$", "only letters" },
        { "com", NULL },
        { "com10", NULL },
        { "console", NULL },
        { "lptx", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = vmname_check(cases[i].name);
        if (cases[i].why == NULL)
            CHECK_MSG(why == NULL, cases[i].name);
        else
            CHECK_MSG(why != NULL && strstr(why, cases[i].why) != NULL, cases[i].name);
    }
    CHECK(vmname_check(NULL) != NULL);
    /* A name longer than the limit is refused without reading it all. */
    char big[4096];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(vmname_check(big) != NULL);
}

static void test_equal(void)
{
    static const struct {
        const char *a, *b;
        int eq;
    } cases[] = {
        { "a", "a", 1 },
        { "a", "A", 1 },
        { "Web-1_X", "wEB-1_x", 1 },
        { "a", "b", 0 },
        { "a", "ab", 0 },
        { "ab", "a", 0 },
        { "", "", 1 },
        { "_", "-", 0 },
        { "[", "{", 0 },        /* differ by 0x20 but are not letters */
        { "@", "`", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_MSG(!!vmname_equal(cases[i].a, cases[i].b) == cases[i].eq, cases[i].a);
        CHECK_MSG(!!vmname_equal(cases[i].b, cases[i].a) == cases[i].eq, cases[i].b);
    }
    CHECK(!vmname_equal("a", NULL));
    CHECK(!vmname_equal(NULL, "a"));
}

static void test_ipv4(void)
{
    static const struct {
        const char *s;
        int ok;
        uint32_t addr;
    } cases[] = {
        { "127.0.0.2", 1, 0x7f000002u },
        { "0.0.0.0", 1, 0 },
        { "255.255.255.255", 1, 0xffffffffu },
        { "10.1.2.3", 1, 0x0a010203u },
        { "192.168.100.200", 1, 0xc0a864c8u },
        { "1.2.3", 0, 0 },
        { "1.2.3.4.5", 0, 0 },
        { "256.1.1.1", 0, 0 },
        { "1.2.3.256", 0, 0 },
        { "1.2.3.999", 0, 0 },
        { "1.2.3.1000", 0, 0 },
        { "01.2.3.4", 0, 0 },
        { "1.2.3.04", 0, 0 },
        { "1..3.4", 0, 0 },
        { ".1.2.3", 0, 0 },
        { "1.2.3.", 0, 0 },
        { "1.2.3.4.", 0, 0 },
        { " 1.2.3.4", 0, 0 },
        { "1.2.3.4 ", 0, 0 },
        { "+1.2.3.4", 0, 0 },
        { "-1.2.3.4", 0, 0 },
        { "0x7f.0.0.1", 0, 0 },
        { "a.b.c.d", 0, 0 },
        { "", 0, 0 },
        { "1.2.3.4/24", 0, 0 },
        { "4294967297.0.0.0", 0, 0 },
        { "127.1", 0, 0 },
        { "2130706433", 0, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t addr = 0x12345678u;
        const char *why = NULL;
        int rc = ipv4_parse(cases[i].s, &addr, &why);
        if (cases[i].ok) {
            CHECK_MSG(rc == 0 && addr == cases[i].addr, cases[i].s);
        } else {
            CHECK_MSG(rc == -1 && why != NULL && why[0] != 0, cases[i].s);
            CHECK_MSG(addr == 0x12345678u, cases[i].s);   /* untouched */
        }
    }
    CHECK(ipv4_parse(NULL, NULL, NULL) == -1);
    CHECK(ipv4_parse("1.2.3.4", NULL, NULL) == 0);

    static const struct {
        uint32_t addr;
        const char *s;
    } fmt[] = {
        { 0, "0.0.0.0" },
        { 0xffffffffu, "255.255.255.255" },
        { 0x7f000002u, "127.0.0.2" },
        { 0x0a00640au, "10.0.100.10" },
    };
    for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
        char buf[16];
        ipv4_format(fmt[i].addr, buf);
        CHECK_MSG(strcmp(buf, fmt[i].s) == 0, fmt[i].s);
    }
}

/* Every address formats to text that parses back to it. */
static void test_ipv4_roundtrip(void)
{
    srand(12345);
    int bad = 0;
    for (int i = 0; i < 100000; i++) {
        uint32_t a = ((uint32_t)rand() << 16) ^ (uint32_t)rand(), back = 0;
        if (i < 256)
            a = (uint32_t)i * 0x01010101u;
        char buf[16];
        ipv4_format(a, buf);
        if (ipv4_parse(buf, &back, NULL) != 0 || back != a)
            bad++;
    }
    CHECK(bad == 0);
}

/* Random strings from the characters that matter never crash the checks,
 * and whatever parses formats back to the same text. */
static void test_random(void)
{
    static const char alphabet[] = "0123456789..aZ_- \t/\\\xff";
    srand(777);
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        char s[24];
        int n = rand() % (int)sizeof s;
        for (int j = 0; j < n; j++)
            s[j] = alphabet[rand() % (int)(sizeof alphabet - 1)];
        s[n] = 0;
        uint32_t a;
        const char *why = NULL;
        if (ipv4_parse(s, &a, &why) == 0) {
            char buf[16];
            ipv4_format(a, buf);
            if (strcmp(buf, s) != 0)
                bad++;
        } else if (why == NULL) {
            bad++;
        }
        const char *nwhy = vmname_check(s);
        int valid = n >= 1 && n <= 32 && strspn(s, "0123456789aZ_-") == (size_t)n;
        if ((nwhy == NULL) != valid)
            bad++;
    }
    CHECK(bad == 0);
}

int main(void)
{
    test_names();
    test_equal();
    test_ipv4();
    test_ipv4_roundtrip();
    test_random();
    return UNIT_REPORT();
}
