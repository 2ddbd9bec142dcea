/* Cross-checks x64_decode against objdump.
 *
 * Reads `objdump -d --insn-width=16` output on stdin. Instructions at
 * consecutive addresses are gathered into one byte stream, then each one
 * is decoded from its place in that stream (so the decoder sees the bytes
 * that follow, as it would in memory) and its length compared with
 * objdump's. Lines objdump could not decode ("(bad)") are skipped.
 * Prints each mismatch and ends with "N passed, N failed". */
#include "x64dec.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct insn_line {
    size_t off;      /* offset in the block's byte stream */
    size_t len;      /* objdump's length */
    int bad;         /* objdump printed (bad) */
    char text[96];   /* objdump's disassembly, for messages */
    unsigned long long addr;
} insn_line;

static uint8_t *bytes;
static size_t nbytes, capbytes;
static insn_line *lines;
static size_t nlines, caplines;
static unsigned long long block_end;
static int passed, failed;
#ifndef MAX_REPORT
#define MAX_REPORT 50
#endif
static int max_report = MAX_REPORT;

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t ncap = *cap ? *cap * 2 : 4096;
    while (ncap < need)
        ncap *= 2;
    p = realloc(p, ncap * elem);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    *cap = ncap;
    return p;
}

/* True when objdump's text is only prefix names ("rex.W", "cs rex.X"...):
 * a prefix objdump could not attach to an instruction. */
static int is_prefix_text(const char *t)
{
    static const char *const names[] = {
        "rex", "data16", "addr32", "cs", "ds", "es", "ss", "fs", "gs",
        "lock", "rep", "repz", "repnz", "bnd", "notrack", "xacquire",
        "xrelease",
    };
    int words = 0;
    while (*t) {
        size_t w = strcspn(t, " .");
        size_t k, found = 0;
        for (k = 0; k < sizeof names / sizeof names[0]; k++)
            if (strlen(names[k]) == w && strncmp(t, names[k], w) == 0)
                found = 1;
        if (!found)
            return 0;
        words++;
        t += strcspn(t, " "); /* skip ".W" suffixes */
        while (*t == ' ')
            t++;
    }
    return words > 0;
}

/* Checks every instruction of the current block, then empties it. */
static void flush_block(void)
{
    for (size_t k = 0; k < nlines; k++) {
        insn_line *l = &lines[k];
        x64_insn d;
        int n;
        if (l->bad)
            continue;
        /* objdump resyncs after (bad) at an arbitrary point: skip the
         * instruction right after one, its start is a guess. */
        if (k > 0 && lines[k - 1].bad)
            continue;
        /* objdump shows a prefix it cannot attach (e.g. REX before
         * another prefix) as its own line; the CPU folds it into the next
         * instruction, and so does x64_decode. Nothing to compare. */
        if (is_prefix_text(l->text))
            continue;
        n = x64_decode(bytes + l->off, nbytes - l->off, &d);
        if ((size_t)n == l->len) {
            passed++;
            continue;
        }
        /* objdump merges fwait (9B) into fstcw/fstsw/...; the CPU and
         * x64_decode see two instructions. */
        if (n == 1 && bytes[l->off] == 0x9B && l->len > 1 &&
            (size_t)x64_decode(bytes + l->off + 1, nbytes - l->off - 1, &d) ==
                l->len - 1) {
            passed++;
            continue;
        }
        failed++;
        if (max_report > 0) {
            max_report--;
            printf("MISMATCH at %llx: objdump len %zu, x64_decode %d:",
                   l->addr, l->len, n);
            for (size_t j = 0; j < l->len; j++)
                printf(" %02x", bytes[l->off + j]);
            printf("   %s\n", l->text);
        }
    }
    nbytes = 0;
    nlines = 0;
}

static void handle_line(char *s)
{
    char *p = s;
    char *end;
    unsigned long long addr;
    uint8_t buf[32];
    size_t n = 0;

    while (*p == ' ')
        p++;
    addr = strtoull(p, &end, 16);
    if (end == p || end[0] != ':' || end[1] != '\t')
        return; /* not an instruction line */
    p = end + 2;
    /* hex byte pairs separated by single spaces, up to the next tab */
    while (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1]) &&
           (p[2] == ' ' || p[2] == '\t' || p[2] == '\0' || p[2] == '\n')) {
        if (n < sizeof buf)
            buf[n++] = (uint8_t)strtoul((char[]){p[0], p[1], 0}, NULL, 16);
        p += 2;
        while (*p == ' ')
            p++;
    }
    if (n == 0)
        return;
    while (*p == '\t' || *p == ' ')
        p++;

    if (nlines > 0 && addr != block_end)
        flush_block();
    bytes = grow(bytes, &capbytes, nbytes + n, 1);
    lines = grow(lines, &caplines, nlines + 1, sizeof *lines);
    insn_line *l = &lines[nlines++];
    l->off = nbytes;
    l->len = n;
    l->addr = addr;
    l->bad = strstr(p, "(bad)") != NULL || strncmp(p, ".byte", 5) == 0 ||
             *p == '\0' || *p == '\n';
    snprintf(l->text, sizeof l->text, "%s", p);
    l->text[strcspn(l->text, "\n")] = '\0';
    memcpy(bytes + nbytes, buf, n);
    nbytes += n;
    block_end = addr + n;
}

int main(void)
{
    static char line[4096];
    while (fgets(line, sizeof line, stdin))
        handle_line(line);
    flush_block();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
