/* Unit tests of command-line quoting (src/core/cmdline.c): each argument
 * vector must come back whole from a CommandLineToArgvW-style splitter,
 * written here from the documented rules. */
#include "cmdline.h"
#include "jobname.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;
#define T(cond) do { if (cond) passed++; else { failed++; \
    printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

static void w16(uint16_t *dst, const char *s)
{
    while ((*dst++ = (unsigned char)*s++) != 0)
        ;
}

static int eq(const uint16_t *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (*a != (unsigned char)*b)
            return 0;
    return *a == 0 && *b == 0;
}

/* Splits by the CommandLineToArgvW rules (arguments after the first). */
static int split(const uint16_t *s, uint16_t out[][256], int max)
{
    int n = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || n == max)
            return n;
        int len = 0, inq = 0;
        while (*s && (inq || (*s != ' ' && *s != '\t'))) {
            if (*s == '\\') {
                int bs = 0;
                while (*s == '\\') {
                    bs++;
                    s++;
                }
                if (*s == '"') {
                    for (int i = 0; i < bs / 2; i++)
                        out[n][len++] = '\\';
                    if (bs % 2) {
                        out[n][len++] = '"';
                        s++;
                    }
                } else {
                    for (int i = 0; i < bs; i++)
                        out[n][len++] = '\\';
                }
            } else if (*s == '"') {
                if (inq && s[1] == '"') {
                    out[n][len++] = '"';
                    s += 2;
                    continue;
                }
                inq = !inq;
                s++;
            } else {
                out[n][len++] = *s++;
            }
        }
        out[n++][len] = 0;
    }
}

static void roundtrip(const char **args, int n)
{
    uint16_t buf[4096], a[256];
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        w16(a, args[i]);
        T(cmdline_append(buf, 4096, &len, a) == 0);
    }
    static uint16_t got[16][256];
    int m = split(buf, got, 16);
    T(m == n);
    for (int i = 0; i < n && i < m; i++) {
        if (!eq(got[i], args[i])) {
            failed++;
            printf("FAIL: argument %d '%s' did not round-trip\n", i, args[i]);
        }
    }
}

int main(void)
{
    const char *a1[] = { "prog.exe", "plain" };
    roundtrip(a1, 2);
    const char *a2[] = { "C:\\Program Files\\x.exe", "two words", "" };
    roundtrip(a2, 3);
    const char *a3[] = { "a\"b", "c\\\"d", "end\\", "sp ace\\", "\\\\server\\share\\" };
    roundtrip(a3, 5);
    const char *a4[] = { "tab\there", "\"", "\\", "\\\\\"\\\\" };
    roundtrip(a4, 4);

    /* Exact forms for the simple cases. */
    uint16_t buf[64], a[64];
    size_t len = 0;
    w16(a, "x");
    cmdline_append(buf, 64, &len, a);
    w16(a, "a b");
    cmdline_append(buf, 64, &len, a);
    T(eq(buf, "x \"a b\""));
    /* Overflow leaves the buffer as it was. */
    uint16_t small[8];
    len = 0;
    w16(a, "abc");
    T(cmdline_append(small, 8, &len, a) == 0 && len == 3);
    w16(a, "defgh");
    T(cmdline_append(small, 8, &len, a) == -1);
    T(len == 3 && eq(small, "abc"));

    /* Job names are lower-cased, and refused when they do not fit. */
    uint16_t vm[8], name[64], name2[64], root[64], root2[64];
    w16(vm, "MyVM_1");
    w16(root, "C:\\ProgramData\\Plume");
    T(plume_job_name(root, vm, name, 64) == 30);
    T(memcmp(name, u"Global\\PlumeVM.", 30) == 0 && eq(name + 23, ".myvm_1"));
    w16(root2, "c:\\programdata\\plume\\");
    T(plume_job_name(root2, vm, name2, 64) == 30 && memcmp(name, name2, 31 * 2) == 0);
    w16(root2, "C:\\plume-tests\\x");
    T(plume_job_name(root2, vm, name2, 64) > 0 && memcmp(name, name2, 30 * 2) != 0);
    T(plume_job_name(root, vm, name, 20) == 0);

    /* Random arguments round-trip. */
    srand(1);
    for (int iter = 0; iter < 2000; iter++) {
        static char store[6][40];
        const char *args[6];
        int n = 1 + rand() % 6;
        for (int i = 0; i < n; i++) {
            int l = rand() % 12;
            for (int k = 0; k < l; k++)
                store[i][k] = " \t\"\\ab"[rand() % 6];
            store[i][l] = 0;
            args[i] = store[i];
        }
        int before = failed;
        roundtrip(args, n);
        if (failed != before)
            break;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
