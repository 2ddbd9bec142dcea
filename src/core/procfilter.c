/* Process-list filtering (procfilter.h). Pure C. */
#include "procfilter.h"

#include <string.h>

const pf_table pf_handle_table = { 8, 4, 24, 0, 2 };
const pf_table pf_handle_table_ex = { 16, 8, 40, 8, 8 };

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void wr64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static uint64_t rdn(const uint8_t *p, size_t n)
{
    if (n == 2) {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    if (n == 4)
        return rd32(p);
    return rd64(p);
}

static void wrn(uint8_t *p, size_t n, uint64_t v)
{
    if (n == 4)
        wr32(p, (uint32_t)v);
    else
        wr64(p, v);
}

/* The block of the entry at `off`: [off, end). */
static size_t block_end(const uint8_t *buf, size_t off, size_t used)
{
    uint32_t next = rd32(buf + off + PF_PROC_NEXT);
    return next ? off + next : used;
}

/* Checks the chain: every entry whole, inside used, in order. (Windows
 * aligns entries to 8 bytes; Wine 8 packs them unaligned, so alignment is
 * not required: every access here is a byte copy.) */
static int chain_ok(const uint8_t *buf, size_t used)
{
    size_t off = 0, n = 0;
    for (;;) {
        if (used < PF_PROC_SIZE || off > used - PF_PROC_SIZE)
            return 0;
        uint32_t next = rd32(buf + off + PF_PROC_NEXT);
        if (!next)
            return 1;
        if (next < PF_PROC_SIZE || next > used - off || ++n > used / PF_PROC_SIZE)
            return 0;
        off += next;
    }
}

size_t pf_filter_procs(uint8_t *buf, size_t used, pf_keep_fn keep, void *ctx)
{
    if (!buf || !chain_ok(buf, used))
        return PF_BAD;
    uintptr_t base = (uintptr_t)buf;

    /* Pass 1: nothing moves. Count the kept, and rewrite each kept entry's
     * name pointer to where its bytes will be once the kept blocks are
     * packed (the new start of a block is the total size of the kept
     * blocks before it). */
    size_t kept = 0, packed = 0;
    for (size_t off = 0, end;; off = end) {
        end = block_end(buf, off, used);
        if (keep(rd64(buf + off + PF_PROC_PID), ctx)) {
            kept++;
            uint8_t *e = buf + off;
            uint64_t p = rd64(e + PF_PROC_NAME_PTR);
            uint64_t len = (uint64_t)(e[PF_PROC_NAME_LEN] | e[PF_PROC_NAME_LEN + 1] << 8);
            if (p >= base && p < base + used) {
                size_t at = (size_t)(p - base), target = PF_BAD, tnew = 0;
                int tkeep = 0;
                if (at >= off && at < end) {        /* the usual case: its own block */
                    target = off;
                    tnew = packed;
                    tkeep = 1;
                } else {                            /* another block: find it */
                    size_t newstart = 0;
                    for (size_t o = 0, oe;; o = oe) {
                        oe = block_end(buf, o, used);
                        int k = keep(rd64(buf + o + PF_PROC_PID), ctx);
                        if (at >= o && at < oe) {
                            target = o;
                            tnew = newstart;
                            tkeep = k;
                            break;
                        }
                        if (k)
                            newstart += oe - o;
                        if (oe == used)
                            break;
                    }
                }
                size_t tend = target == PF_BAD ? 0 : block_end(buf, target, used);
                if (tkeep && (uint64_t)at + len <= tend) {
                    wr64(e + PF_PROC_NAME_PTR, base + tnew + (at - target));
                } else {
                    memset(e + PF_PROC_NAME_LEN, 0, 4);
                    wr64(e + PF_PROC_NAME_PTR, 0);
                }
            }
            packed += end - off;
        }
        if (end == used)
            break;
    }
    if (!kept)
        return 0;

    /* Pass 2: pack the kept blocks in order and relink them. */
    size_t w = 0, prev = PF_BAD;
    for (size_t off = 0, end;; off = end) {
        end = block_end(buf, off, used);
        int last = end == used;
        if (keep(rd64(buf + off + PF_PROC_PID), ctx)) {
            if (w != off)
                memmove(buf + w, buf + off, end - off);
            if (prev != PF_BAD)
                wr32(buf + prev + PF_PROC_NEXT, (uint32_t)(w - prev));
            wr32(buf + w + PF_PROC_NEXT, 0);
            prev = w;
            w += end - off;
        }
        if (last)
            break;
    }
    return w;
}

size_t pf_filter_table(uint8_t *buf, size_t used, const pf_table *t, pf_keep_fn keep, void *ctx)
{
    if (!buf || used < t->header_size)
        return PF_BAD;
    uint64_t n = rdn(buf, t->count_size);
    if (n > (used - t->header_size) / t->entry_size)
        return PF_BAD;
    size_t w = t->header_size;
    for (uint64_t i = 0; i < n; i++) {
        uint8_t *e = buf + t->header_size + i * t->entry_size;
        if (!keep(rdn(e + t->pid_offset, t->pid_size), ctx))
            continue;
        if (buf + w != e)
            memmove(buf + w, e, t->entry_size);
        w += t->entry_size;
    }
    wrn(buf, t->count_size, (w - t->header_size) / t->entry_size);
    return w;
}
