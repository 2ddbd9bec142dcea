/* Unit tests of process-list filtering (src/core/procfilter.c): lists laid
 * out as NtQuerySystemInformation returns them on x86-64 Windows. */
#include "procfilter.h"
#include "unit.h"

#include <stdint.h>
#include <string.h>

static _Alignas(16) uint8_t buf[8192];

/* Appends an entry: pid, nthreads threads of tsize bytes, then the name
 * (UTF-16) in the block itself. Returns the entry's offset. */
static size_t add(size_t *used, size_t *last, uint64_t pid, int nthreads, size_t tsize,
                  const char *name)
{
    size_t off = *used;
    memset(buf + off, 0, PF_PROC_SIZE);
    memcpy(buf + off + PF_PROC_PID, &pid, 8);
    uint32_t nt = (uint32_t)nthreads;
    memcpy(buf + off + 4, &nt, 4);
    size_t at = off + PF_PROC_SIZE;
    memset(buf + at, 0xab, (size_t)nthreads * tsize);
    at += (size_t)nthreads * tsize;
    size_t n = strlen(name);
    uint16_t len = (uint16_t)(2 * n), max = (uint16_t)(2 * n + 2);
    for (size_t i = 0; i <= n; i++) {
        uint16_t c = (unsigned char)name[i];
        memcpy(buf + at + 2 * i, &c, 2);
    }
    memcpy(buf + off + PF_PROC_NAME_LEN, &len, 2);
    memcpy(buf + off + PF_PROC_NAME_MAX, &max, 2);
    uint64_t p = (uint64_t)(uintptr_t)(buf + at);
    if (!n)
        p = 0;
    memcpy(buf + off + PF_PROC_NAME_PTR, &p, 8);
    at += 2 * n + 2;
    at = (at + 7) & ~(size_t)7;
    if (*last != (size_t)-1) {
        uint32_t next = (uint32_t)(off - *last);
        memcpy(buf + *last, &next, 4);
    }
    *last = off;
    *used = at;
    return off;
}

static int keep_set(uint64_t pid, void *ctx)
{
    for (const uint64_t *p = ctx; *p; p++)
        if (*p == pid)
            return 1;
    return 0;
}

/* Walks the list: pids and names as "pid:name," into out. */
static void walk(size_t used, char *out, size_t cap)
{
    size_t off = 0, n = 0;
    out[0] = 0;
    for (int guard = 0; guard < 100; guard++) {
        uint64_t pid, p;
        uint16_t len;
        memcpy(&pid, buf + off + PF_PROC_PID, 8);
        memcpy(&p, buf + off + PF_PROC_NAME_PTR, 8);
        memcpy(&len, buf + off + PF_PROC_NAME_LEN, 2);
        char name[64] = "";
        if (p) {
            const uint8_t *s = (const uint8_t *)(uintptr_t)p;
            if (s < buf || s + len > buf + used) {
                strcpy(name, "<OUT>");
            } else {
                for (size_t i = 0; i < len / 2 && i < 63; i++)
                    name[i] = (char)s[2 * i];
                name[len / 2 < 63 ? len / 2 : 63] = 0;
            }
        }
        n += (size_t)snprintf(out + n, cap - n, "%llu:%s,", (unsigned long long)pid, name);
        uint32_t next;
        memcpy(&next, buf + off, 4);
        if (!next)
            return;
        off += next;
        if (off >= used) {
            snprintf(out + n, cap - n, "<PAST END>");
            return;
        }
    }
}

static size_t build(void)
{
    size_t used = 0, last = (size_t)-1;
    memset(buf, 0, sizeof buf);
    add(&used, &last, 0, 2, 80, "");             /* System Idle Process: no name */
    add(&used, &last, 4, 3, 80, "System");
    add(&used, &last, 100, 1, 80, "a.exe");
    add(&used, &last, 200, 2, 80, "tasklist.exe");
    add(&used, &last, 300, 1, 80, "host.exe");
    add(&used, &last, 400, 4, 80, "b.exe");
    return used;
}

int main(void)
{
    char out[512];

    unit_ctx = "keep middle ones";
    size_t used = build();
    uint64_t k1[] = { 100, 200, 400, 0 };
    size_t nu = pf_filter_procs(buf, used, keep_set, k1);
    CHECK(nu > 0 && nu < used);
    walk(nu, out, sizeof out);
    CHECK_MSG(!strcmp(out, "100:a.exe,200:tasklist.exe,400:b.exe,"), out);

    unit_ctx = "keep all";
    used = build();
    uint64_t k2[] = { 4, 100, 200, 300, 400, (uint64_t)-1, 0 };
    static uint8_t copy[8192];
    memcpy(copy, buf, used);
    nu = pf_filter_procs(buf, used, keep_set, k2);
    walk(nu, out, sizeof out);
    CHECK_MSG(!strcmp(out, "4:System,100:a.exe,200:tasklist.exe,300:host.exe,400:b.exe,"), out);

    unit_ctx = "keep only the last";
    used = build();
    uint64_t k3[] = { 400, 0 };
    nu = pf_filter_procs(buf, used, keep_set, k3);
    walk(nu, out, sizeof out);
    CHECK_MSG(!strcmp(out, "400:b.exe,"), out);
    uint32_t next;
    memcpy(&next, buf, 4);
    CHECK_EQ_INT(next, 0);
    CHECK_EQ_INT(nu, PF_PROC_SIZE + 4 * 80 + 16);   /* "b.exe" + NUL = 12 bytes, to 16 */

    unit_ctx = "keep only the first kept one";
    used = build();
    uint64_t k4[] = { 100, 0 };
    nu = pf_filter_procs(buf, used, keep_set, k4);
    walk(nu, out, sizeof out);
    CHECK_MSG(!strcmp(out, "100:a.exe,"), out);

    unit_ctx = "nothing kept: unchanged";
    used = build();
    memcpy(copy, buf, used);
    uint64_t k5[] = { 999, 0 };
    CHECK_EQ_INT(pf_filter_procs(buf, used, keep_set, k5), 0);
    CHECK_MEM(buf, copy, used);

    unit_ctx = "a name in another block follows it, or goes with it";
    used = build();
    /* Point a.exe's (pid 100) name at b.exe's (pid 400) bytes, and
     * tasklist's (200) at host.exe's (300), which is removed. */
    {
        size_t offs[6], off = 0;
        for (int i = 0; i < 6; i++) {
            offs[i] = off;
            memcpy(&next, buf + off, 4);
            off += next;
        }
        memcpy(buf + offs[2] + PF_PROC_NAME_PTR, buf + offs[5] + PF_PROC_NAME_PTR, 8);
        memcpy(buf + offs[2] + PF_PROC_NAME_LEN, buf + offs[5] + PF_PROC_NAME_LEN, 4);
        memcpy(buf + offs[3] + PF_PROC_NAME_PTR, buf + offs[4] + PF_PROC_NAME_PTR, 8);
        memcpy(buf + offs[3] + PF_PROC_NAME_LEN, buf + offs[4] + PF_PROC_NAME_LEN, 4);
    }
    nu = pf_filter_procs(buf, used, keep_set, k1);
    walk(nu, out, sizeof out);
    CHECK_MSG(!strcmp(out, "100:b.exe,200:,400:b.exe,"), out);

    unit_ctx = "a name pointer outside the buffer is left alone";
    used = build();
    {
        uint64_t far = 0x12340000;
        size_t off = 0;
        memcpy(&next, buf, 4);
        off += next;   /* System */
        memcpy(buf + off + PF_PROC_NAME_PTR, &far, 8);
        uint64_t k[] = { 4, 0 };
        nu = pf_filter_procs(buf, used, keep_set, k);
        uint64_t p;
        memcpy(&p, buf + PF_PROC_NAME_PTR, 8);
        CHECK_EQ_U64(p, far);
    }

    unit_ctx = "unaligned entries, as Wine packs them";
    {
        /* Rebuild the list shifted by 2 bytes a block: copy each block to
         * an odd place and relink. */
        used = build();
        static uint8_t packed[8192];
        size_t off = 0, w = 0, prevw = (size_t)-1;
        for (;;) {
            memcpy(&next, buf + off, 4);
            size_t end = next ? off + next : used;
            size_t len = end - off + 2;                /* 2 bytes of slack: unaligned */
            memcpy(packed + w, buf + off, end - off);
            uint64_t p;
            memcpy(&p, packed + w + PF_PROC_NAME_PTR, 8);
            if (p) {
                p = p - (uint64_t)(uintptr_t)(buf + off) + (uint64_t)(uintptr_t)(buf + w);
                memcpy(packed + w + PF_PROC_NAME_PTR, &p, 8);
            }
            if (prevw != (size_t)-1) {
                uint32_t d = (uint32_t)(w - prevw);
                memcpy(packed + prevw, &d, 4);
            }
            prevw = w;
            w += next ? len : end - off;
            if (!next)
                break;
            off = end;
        }
        memcpy(buf, packed, w);
        nu = pf_filter_procs(buf, w, keep_set, k1);
        CHECK(nu != PF_BAD && nu > 0);
        walk(nu, out, sizeof out);
        CHECK_MSG(!strcmp(out, "100:a.exe,200:tasklist.exe,400:b.exe,"), out);
    }

    unit_ctx = "malformed lists are refused untouched";
    used = build();
    memcpy(copy, buf, used);
    CHECK_EQ_U64(pf_filter_procs(buf, 100, keep_set, k1), PF_BAD);     /* shorter than an entry */
    next = 3000000;
    memcpy(buf, &next, 4);                                             /* past the end */
    CHECK_EQ_U64(pf_filter_procs(buf, used, keep_set, k1), PF_BAD);
    next = 100;
    memcpy(buf, &next, 4);                                             /* overlapping */
    CHECK_EQ_U64(pf_filter_procs(buf, used, keep_set, k1), PF_BAD);
    memcpy(buf, copy, 4);
    CHECK_MEM(buf, copy, used);
    CHECK_EQ_U64(pf_filter_procs(buf, used - 400, keep_set, k1), PF_BAD); /* last entry cut short */

    unit_ctx = "handle table (class 16)";
    memset(buf, 0, sizeof buf);
    {
        uint32_t n = 5;
        memcpy(buf, &n, 4);
        uint16_t pids[5] = { 4, 100, 300, 100, 400 };
        for (int i = 0; i < 5; i++) {
            memcpy(buf + 8 + 24 * i, &pids[i], 2);
            buf[8 + 24 * i + 6] = (uint8_t)(0x10 + i);   /* HandleValue low byte: a mark */
        }
        size_t r = pf_filter_table(buf, 8 + 24 * 5, &pf_handle_table, keep_set, k1);
        CHECK_EQ_INT(r, 8 + 24 * 3);
        memcpy(&n, buf, 4);
        CHECK_EQ_INT(n, 3);
        CHECK_EQ_INT(buf[8 + 6], 0x11);
        CHECK_EQ_INT(buf[8 + 24 + 6], 0x13);
        CHECK_EQ_INT(buf[8 + 48 + 6], 0x14);
        n = 6;
        memcpy(buf, &n, 4);
        CHECK_EQ_U64(pf_filter_table(buf, 8 + 24 * 5, &pf_handle_table, keep_set, k1), PF_BAD);
    }

    unit_ctx = "handle table (class 64)";
    memset(buf, 0, sizeof buf);
    {
        uint64_t n = 3;
        memcpy(buf, &n, 8);
        uint64_t pids[3] = { 300, 200, 4 };
        for (int i = 0; i < 3; i++)
            memcpy(buf + 16 + 40 * i + 8, &pids[i], 8);
        size_t r = pf_filter_table(buf, 16 + 40 * 3, &pf_handle_table_ex, keep_set, k1);
        CHECK_EQ_INT(r, 16 + 40);
        memcpy(&n, buf, 8);
        CHECK_EQ_INT(n, 1);
        uint64_t pid;
        memcpy(&pid, buf + 16 + 8, 8);
        CHECK_EQ_INT(pid, 200);
    }
    return UNIT_REPORT();
}
