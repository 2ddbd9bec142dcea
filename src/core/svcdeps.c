/* Service dependency ordering (see svcdeps.h). Iterative depth-first
 * walks with explicit stacks, so deep chains cannot overflow the C stack. */
#include "svcdeps.h"

#include <string.h>

enum { WHITE = 0, GRAY = 1, BLACK = 2 };

long svcdeps_start_order(const svcdeps_graph *g, const uint32_t *roots, size_t nroots,
                         uint32_t *order, size_t cap, uint8_t *work, uint32_t *cycle)
{
    /* The current path (a node stays GRAY until all its dependencies are
     * BLACK; its edges are rescanned from the first) is kept at the tail of
     * `order`, growing down; the result fills order[0..count) growing up. */
    size_t n = g->n, count = 0;
    memset(work, WHITE, n);
    for (size_t r = 0; r < nroots; r++) {
        uint32_t root = roots[r];
        if (root >= n || work[root] == BLACK)
            continue;
        size_t depth = 0;
        if (count + 1 > cap)
            return -2;
        order[cap - 1 - depth++] = root;
        work[root] = GRAY;
        while (depth) {
            uint32_t v = order[cap - depth];
            uint32_t next = UINT32_MAX;
            for (uint32_t e = g->first[v]; e < g->first[v + 1]; e++) {
                uint32_t d = g->idx[e];
                if (d >= n)
                    continue;
                if (work[d] == GRAY) {
                    if (cycle)
                        *cycle = d;
                    return -1;
                }
                if (work[d] == WHITE) {
                    next = d;
                    break;
                }
            }
            if (next != UINT32_MAX) {
                if (count + depth + 1 > cap)
                    return -2;
                work[next] = GRAY;
                order[cap - 1 - depth++] = next;
            } else {
                work[v] = BLACK;
                depth--;
                order[count++] = v;
            }
        }
    }
    return (long)count;
}

long svcdeps_dependents(const svcdeps_graph *g, uint32_t t, uint32_t *order, size_t cap,
                        uint8_t *work, uint32_t *stack)
{
    /* Post-order over the reverse edges from t gives each dependent after
     * the ones that depend on it... reversed at the end: the deepest
     * dependents (which must stop first) come first. */
    size_t n = g->n, count = 0, sp = 0;
    if (t >= n)
        return 0;
    memset(work, WHITE, n);
    work[t] = GRAY;
    stack[sp++] = t;
    while (sp) {
        uint32_t v = stack[sp - 1];
        uint32_t next = UINT32_MAX;
        /* Reverse edges: every u that lists v. */
        for (uint32_t u = 0; u < n && next == UINT32_MAX; u++) {
            if (work[u] != WHITE)
                continue;
            for (uint32_t e = g->first[u]; e < g->first[u + 1]; e++)
                if (g->idx[e] == v) {
                    next = u;
                    break;
                }
        }
        if (next != UINT32_MAX) {
            work[next] = GRAY;
            stack[sp++] = next;
        } else {
            work[v] = BLACK;
            sp--;
            if (v != t) {
                if (count >= cap)
                    return -2;
                order[count++] = v;
            }
        }
    }
    /* Post-order on reverse edges puts a service after those depending on
     * it: already the stop order. */
    return (long)count;
}
