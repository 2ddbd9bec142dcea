/* The service protocol's encoder and decoder (see scmproto.h). */
#include "scmproto.h"

#include <string.h>

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

size_t scm_wlen(const uint16_t *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t scm_msz_len(const uint16_t *s)
{
    size_t n = 0;
    while (s[n])
        n += scm_wlen(s + n) + 1;
    return n + 1;
}

static uint16_t lower(uint16_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint16_t)(c + 32) : c;
}

int scm_wieq(const uint16_t *a, const uint16_t *b)
{
    for (; *a && *b; a++, b++)
        if (lower(*a) != lower(*b))
            return 0;
    return *a == *b;
}

/* --- encoding --------------------------------------------------------------- */
void scm_begin(scm_writer *w, uint8_t *buf, size_t cap, uint32_t op, uint32_t err)
{
    w->buf = buf;
    w->cap = cap > SCM_MAX_MSG ? SCM_MAX_MSG : cap;
    w->len = 0;
    w->bad = 0;
    w->entries_at = 0;
    if (w->cap < SCM_HEADER) {
        w->bad = 1;
        return;
    }
    wr32(buf, SCM_MAGIC);
    wr32(buf + 4, 0);
    wr32(buf + 8, op);
    wr32(buf + 12, err);
    w->len = SCM_HEADER;
}

/* Appends n bytes (p may be NULL: zeros), padded to 4. */
static void put_raw(scm_writer *w, const void *p, size_t n)
{
    size_t padded = (n + 3) & ~(size_t)3;
    if (w->bad || padded < n || w->cap - w->len < padded) {
        w->bad = 1;
        return;
    }
    if (p)
        memcpy(w->buf + w->len, p, n);
    else
        memset(w->buf + w->len, 0, n);
    memset(w->buf + w->len + n, 0, padded - n);
    w->len += padded;
}

static void put_u32raw(scm_writer *w, uint32_t v)
{
    uint8_t b[4];
    wr32(b, v);
    put_raw(w, b, 4);
}

static void put_units(scm_writer *w, const uint16_t *s, size_t units)
{
    size_t n = units * 2;
    size_t padded = (n + 3) & ~(size_t)3;
    if (w->bad || units > SCM_MAX_MSG || w->cap - w->len < padded) {
        w->bad = 1;
        return;
    }
    for (size_t i = 0; i < units; i++) {
        w->buf[w->len + 2 * i] = (uint8_t)s[i];
        w->buf[w->len + 2 * i + 1] = (uint8_t)(s[i] >> 8);
    }
    memset(w->buf + w->len + n, 0, padded - n);
    w->len += padded;
}

void scm_put_u32(scm_writer *w, uint32_t tag, uint32_t v)
{
    put_u32raw(w, tag);
    put_u32raw(w, 4);
    put_u32raw(w, v);
}

void scm_put_str(scm_writer *w, uint32_t tag, const uint16_t *s)
{
    if (!s)
        return;
    size_t units = scm_wlen(s) + 1;
    put_u32raw(w, tag);
    put_u32raw(w, (uint32_t)(units * 2));
    put_units(w, s, units);
}

void scm_put_msz(scm_writer *w, uint32_t tag, const uint16_t *s)
{
    static const uint16_t empty[1] = { 0 };
    if (!s)
        s = empty;
    size_t units = scm_msz_len(s);
    put_u32raw(w, tag);
    put_u32raw(w, (uint32_t)(units * 2));
    put_units(w, s, units);
}

static void put_status_raw(scm_writer *w, const scm_status *st)
{
    const uint32_t v[9] = { st->type, st->state, st->accepted, st->win32_exit,
                            st->specific_exit, st->checkpoint, st->wait_hint, st->pid,
                            st->flags };
    for (int i = 0; i < 9; i++)
        put_u32raw(w, v[i]);
}

void scm_put_status(scm_writer *w, const scm_status *st)
{
    put_u32raw(w, SCM_F_STATUS);
    put_u32raw(w, 36);
    put_status_raw(w, st);
}

void scm_entries_begin(scm_writer *w)
{
    put_u32raw(w, SCM_F_ENTRIES);
    put_u32raw(w, 0);
    if (!w->bad)
        w->entries_at = w->len;
    put_u32raw(w, 0);
}

void scm_put_entry(scm_writer *w, const uint16_t *name, const uint16_t *display,
                   const scm_status *st)
{
    static const uint16_t empty[1] = { 0 };
    if (!w->entries_at) {
        w->bad = 1;
        return;
    }
    const uint16_t *s[2] = { name ? name : empty, display ? display : empty };
    for (int i = 0; i < 2; i++) {
        size_t units = scm_wlen(s[i]) + 1;
        put_u32raw(w, (uint32_t)(units * 2));
        put_units(w, s[i], units);
    }
    put_status_raw(w, st);
    if (!w->bad)
        wr32(w->buf + w->entries_at, rd32(w->buf + w->entries_at) + 1);
}

void scm_entries_end(scm_writer *w)
{
    if (w->bad || !w->entries_at)
        return;
    wr32(w->buf + w->entries_at - 4, (uint32_t)(w->len - w->entries_at));
    w->entries_at = 0;
}

void scm_put_actions(scm_writer *w, uint32_t reset, uint32_t count, const uint32_t *pairs)
{
    if (count > SCM_MAX_ACTIONS) {
        w->bad = 1;
        return;
    }
    put_u32raw(w, SCM_F_ACTIONS);
    put_u32raw(w, 8 + 8 * count);
    put_u32raw(w, reset);
    put_u32raw(w, count);
    for (uint32_t i = 0; i < 2 * count; i++)
        put_u32raw(w, pairs[i]);
}

void scm_put_bytes(scm_writer *w, uint32_t tag, const void *p, uint32_t n)
{
    put_u32raw(w, tag);
    put_u32raw(w, n);
    put_raw(w, p, n);
}

size_t scm_end(scm_writer *w)
{
    if (w->bad || w->entries_at)
        return 0;
    wr32(w->buf + 4, (uint32_t)w->len);
    return w->len;
}

/* --- decoding --------------------------------------------------------------- */
uint32_t scm_peek_length(const uint8_t *buf, size_t n)
{
    if (n < SCM_HEADER || rd32(buf) != SCM_MAGIC)
        return 0;
    uint32_t len = rd32(buf + 4);
    if (len < SCM_HEADER || len > SCM_MAX_MSG || (len & 3))
        return 0;
    return len;
}

/* A terminated string of `size` bytes at p: even, >= 2 bytes, ends in 0,
 * no other 0 unit. */
static int valid_str(const uint8_t *p, uint32_t size)
{
    if (size < 2 || (size & 1))
        return 0;
    uint32_t units = size / 2;
    for (uint32_t i = 0; i + 1 < units; i++)
        if (p[2 * i] == 0 && p[2 * i + 1] == 0)
            return 0;
    return p[size - 2] == 0 && p[size - 1] == 0;
}

/* A multi-string: terminated strings, then an empty one, exactly filling
 * size bytes. */
static int valid_msz(const uint8_t *p, uint32_t size)
{
    if (size < 2 || (size & 1))
        return 0;
    uint32_t units = size / 2, i = 0;
    for (;;) {
        if (i >= units)
            return 0;
        if (p[2 * i] == 0 && p[2 * i + 1] == 0) /* the final empty string */
            return i + 1 == units;
        while (i < units && !(p[2 * i] == 0 && p[2 * i + 1] == 0))
            i++;
        if (i >= units)
            return 0;
        i++; /* the terminator */
    }
}

/* One string of an entry record at buf[*off..end): u32 size + units padded. */
static int entry_str(const uint8_t *buf, uint32_t end, uint32_t *off, const uint16_t **s)
{
    if (end - *off < 4)
        return -1;
    uint32_t size = rd32(buf + *off);
    *off += 4;
    if (size > end - *off || !valid_str(buf + *off, size))
        return -1;
    uint32_t padded = (size + 3) & ~3u;
    if (padded > end - *off)
        return -1;
    *s = (const uint16_t *)(const void *)(buf + *off);
    *off += padded;
    return 0;
}

static void read_status(const uint8_t *p, scm_status *st)
{
    st->type = rd32(p);
    st->state = rd32(p + 4);
    st->accepted = rd32(p + 8);
    st->win32_exit = rd32(p + 12);
    st->specific_exit = rd32(p + 16);
    st->checkpoint = rd32(p + 20);
    st->wait_hint = rd32(p + 24);
    st->pid = rd32(p + 28);
    st->flags = rd32(p + 32);
}

/* Walks one entry record within the entries payload [start, end). */
static int walk_entry(const uint8_t *base, uint32_t end, uint32_t *off, scm_entry *e)
{
    scm_entry tmp;
    if (!e)
        e = &tmp;
    if (entry_str(base, end, off, &e->name) || entry_str(base, end, off, &e->display))
        return -1;
    if (end - *off < 36)
        return -1;
    read_status(base + *off, &e->status);
    *off += 36;
    return 0;
}

int scm_decode(const uint8_t *buf, size_t n, scm_msg *m)
{
    memset(m, 0, sizeof *m);
    if (((uintptr_t)buf & 3) || n < SCM_HEADER || scm_peek_length(buf, n) != n)
        return -1;
    m->op = rd32(buf + 8);
    m->err = rd32(buf + 12);
    uint32_t off = SCM_HEADER, len = (uint32_t)n;
    while (off < len) {
        if (len - off < 8)
            return -1;
        uint32_t tag = rd32(buf + off), size = rd32(buf + off + 4);
        off += 8;
        uint32_t padded = (size + 3) & ~3u;
        if (size > len - off || padded > len - off)
            return -1;
        const uint8_t *p = buf + off;
        off += padded;
        if (tag == 0 || tag >= SCM_F_MAX)
            continue; /* unknown: skipped */
        if ((m->has >> tag) & 1u)
            return -1;
        m->has |= 1u << tag;
        switch (tag) {
#define SCM_DEC_U32(T, f)                                                               \
    case SCM_F_##T:                                                                     \
        if (size != 4)                                                                  \
            return -1;                                                                  \
        m->f = rd32(p);                                                                 \
        break;
#define SCM_DEC_STR(T, f)                                                               \
    case SCM_F_##T:                                                                     \
        if (!valid_str(p, size))                                                        \
            return -1;                                                                  \
        m->f = (const uint16_t *)(const void *)p;                                       \
        break;
#define SCM_DEC_MSZ(T, f)                                                               \
    case SCM_F_##T:                                                                     \
        if (!valid_msz(p, size))                                                        \
            return -1;                                                                  \
        m->f = (const uint16_t *)(const void *)p;                                       \
        break;
            SCM_U32_FIELDS(SCM_DEC_U32)
            SCM_STR_FIELDS(SCM_DEC_STR)
            SCM_MSZ_FIELDS(SCM_DEC_MSZ)
        case SCM_F_STATUS:
            if (size != 36)
                return -1;
            read_status(p, &m->status);
            break;
        case SCM_F_ACTIONS: {
            if (size < 8)
                return -1;
            uint32_t count = rd32(p + 4);
            if (count > SCM_MAX_ACTIONS || size != 8 + 8 * count)
                return -1;
            m->fa_reset = rd32(p);
            m->fa_count = count;
            m->actions = p + 8;
            break;
        }
        case SCM_F_SD:
            if (size > SCM_MAX_SD)
                return -1;
            m->sd = p;
            m->sd_size = size;
            break;
        case SCM_F_ENTRIES: {
            if (size < 4)
                return -1;
            uint32_t count = rd32(p), eoff = 4;
            /* Each record is at least 4+4+4+4+36 bytes. */
            if (count > (size - 4) / 52)
                return -1;
            for (uint32_t i = 0; i < count; i++)
                if (walk_entry(p, size, &eoff, NULL))
                    return -1;
            if (eoff != size)
                return -1;
            m->entries = p;
            m->entries_size = size;
            m->n_entries = count;
            break;
        }
        default:
            break;
        }
    }
    return 0;
}

void scm_action(const scm_msg *m, uint32_t i, uint32_t *type, uint32_t *delay)
{
    *type = *delay = 0;
    if (!m->actions || i >= m->fa_count)
        return;
    *type = rd32(m->actions + 8 * i);
    *delay = rd32(m->actions + 8 * i + 4);
}

int scm_next_entry(const scm_msg *m, uint32_t *off, scm_entry *e)
{
    if (!m->entries)
        return -1;
    if (*off == 0)
        *off = 4;
    if (*off >= m->entries_size)
        return -1;
    return walk_entry(m->entries, m->entries_size, off, e);
}
