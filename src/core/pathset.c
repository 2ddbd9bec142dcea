/* The path hash set of the files namespace's fast path (pathset.h). */
#include "pathset.h"

#define FNV_OFF 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fold(uint16_t c)
{
    if (c >= 'a' && c <= 'z')
        return (uint64_t)(c - 32);
    if (c > 0x7f)
        return 0xffff; /* one class: case tables differ there */
    return c;
}

static uint64_t step(uint64_t h, uint16_t c)
{
    uint64_t u = fold(c);
    h ^= u & 0xff;
    h *= FNV_PRIME;
    h ^= u >> 8;
    h *= FNV_PRIME;
    return h;
}

/* A finalizer (splitmix64's), so that the low bits index well. */
static uint64_t fin(uint64_t h, size_t n)
{
    h ^= (uint64_t)n * 0x9e3779b97f4a7c15ull;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h ? h : 1;
}

uint64_t ps_key(const uint16_t *v, size_t n)
{
    uint64_t h = FNV_OFF;
    for (size_t i = 0; i < n; i++)
        h = step(h, v[i]);
    return fin(h, n);
}

int ps_has(const pathset *s, uint64_t k)
{
    if (!s->cap)
        return 0;
    size_t m = s->cap - 1;
    for (size_t i = (size_t)k & m;; i = (i + 1) & m) {
        uint64_t x = s->slot[i];
        if (x == k)
            return 1;
        if (x == 0)
            return 0;
    }
}

static void put(pathset *s, uint64_t k)
{
    size_t m = s->cap - 1;
    for (size_t i = (size_t)k & m;; i = (i + 1) & m) {
        if (s->slot[i] == k)
            return;
        if (s->slot[i] == 0) {
            s->slot[i] = k;
            s->n++;
            return;
        }
    }
}

int ps_add(pathset *s, uint64_t k)
{
    if (ps_has(s, k))
        return 0;
    if (!s->cap || (s->n + 1) * 4 > s->cap * 3)
        return -1;
    put(s, k);
    return 0;
}

size_t ps_cap_for(size_t n)
{
    size_t c = 16;
    while (c * 3 < (n + 1) * 4)
        c *= 2;
    return c;
}

int ps_move(pathset *dst, const pathset *src)
{
    if ((dst->n + src->n) * 4 > dst->cap * 3)
        return -1;
    for (size_t i = 0; i < src->cap; i++)
        if (src->slot[i])
            put(dst, src->slot[i]);
    return 0;
}

int ps_has_self_or_ancestor(const pathset *s, const uint16_t *v, size_t n)
{
    if (!s->n)
        return 0;
    if (n <= 7)
        return ps_has(s, ps_key(v, n));
    uint64_t h = FNV_OFF;
    size_t i = 0;
    for (; i < 7; i++)
        h = step(h, v[i]);
    if (ps_has(s, fin(h, 7)))
        return 1;
    for (; i < n; i++) {
        if (v[i] == '\\' && ps_has(s, fin(h, i)))
            return 1;
        h = step(h, v[i]);
    }
    return ps_has(s, fin(h, n));
}
