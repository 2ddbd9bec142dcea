/* Merged directory listings (dirmerge.h). */
#include "dirmerge.h"
#include "ntpath.h"

static int dotrank(const uint16_t *s, size_t n)
{
    if (n == 1 && s[0] == '.')
        return 0;
    if (n == 2 && s[0] == '.' && s[1] == '.')
        return 1;
    return 2;
}

int dm_order(const uint16_t *a, size_t an, const uint16_t *b, size_t bn)
{
    int ra = dotrank(a, an), rb = dotrank(b, bn);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    return ntp_cmp(a, an, b, bn);
}

/* Bottom-up merge sort (stable), ordering by name then source. */
static int rank(int src)
{
    return src == DM_PRIVATE ? 0 : src == DM_DELETED ? 1 : 2;
}

static int before(const dm_ent *x, const dm_ent *y)
{
    int c = dm_order(x->name, x->len, y->name, y->len);
    return c < 0 || (c == 0 && rank(x->src) < rank(y->src));
}

size_t dm_merge(dm_ent *e, size_t n, dm_ent *scratch)
{
    dm_ent *a = e, *b = scratch;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                b[k++] = before(&a[j], &a[i]) ? a[j++] : a[i++];
            while (i < mid)
                b[k++] = a[i++];
            while (j < hi)
                b[k++] = a[j++];
        }
        dm_ent *t = a;
        a = b;
        b = t;
    }
    if (a != e)
        for (size_t i = 0; i < n; i++)
            e[i] = a[i];
    /* Equal names are now adjacent, private first, then deleted, then host. */
    size_t out = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && dm_order(e[i].name, e[i].len, e[j].name, e[j].len) == 0)
            j++;
        if (e[i].src != DM_DELETED)
            e[out++] = e[i];
        i = j;
    }
    return out;
}
