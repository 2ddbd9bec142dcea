/* Dependencies between the services of the database: the graph is built
 * from the records on each use (a database is small) and ordered by the
 * pure code of src/core/svcdeps.c. A "+GROUP" dependency stands for every
 * service of that load-order group; a group with no member cannot be
 * satisfied (as Windows: the start fails with ERROR_SERVICE_DEPENDENCY_FAIL). */
#include "scm.h"
#include "svcdeps.h"

#include <stdlib.h>
#include <wchar.h>

typedef struct graph {
    uint32_t *first, *idx;
    svcdeps_graph g;
    DWORD missing; /* a dependency names no service: its dependent's index + 1 */
} graph;

/* Edge targets that are no service (svcdeps skips indexes >= n). */
#define DEP_MISSING UINT32_MAX           /* DependOnService names no service */
#define DEP_EMPTY_GROUP (UINT32_MAX - 1) /* DependOnGroup names a group with no member */

static size_t index_of(svc *s)
{
    for (size_t i = 0; i < g_nsvcs; i++)
        if (g_svcs[i] == s)
            return i;
    return (size_t)-1;
}

static void graph_free(graph *gr)
{
    free(gr->first);
    free(gr->idx);
}

static int graph_build(graph *gr)
{
    size_t n = g_nsvcs, edges = 0;
    gr->missing = 0;
    /* First pass counts, second fills. */
    for (int pass = 0; pass < 2; pass++) {
        size_t e = 0;
        for (size_t i = 0; i < n; i++) {
            if (pass)
                gr->first[i] = (uint32_t)e;
            for (const wchar_t *d = g_svcs[i]->deps; d && *d; d += wcslen(d) + 1) {
                if (*d == L'+') {
                    size_t members = 0;
                    for (size_t j = 0; j < n; j++)
                        if (g_svcs[j]->group &&
                            scm_wieq((const uint16_t *)g_svcs[j]->group,
                                     (const uint16_t *)(d + 1))) {
                            if (pass)
                                gr->idx[e] = (uint32_t)j;
                            e++;
                            members++;
                        }
                    if (!members) {
                        if (pass)
                            gr->idx[e] = DEP_EMPTY_GROUP;
                        e++;
                    }
                    continue;
                }
                svc *t = db_find(d);
                if (pass) {
                    gr->idx[e] = t ? (uint32_t)index_of(t) : DEP_MISSING;
                    if (!t && !gr->missing)
                        gr->missing = (DWORD)i + 1;
                }
                e++;
            }
        }
        if (!pass) {
            edges = e;
            gr->first = calloc(n + 1, sizeof *gr->first);
            gr->idx = calloc(edges + 1, sizeof *gr->idx);
            if (!gr->first || !gr->idx) {
                graph_free(gr);
                return -1;
            }
        } else {
            gr->first[n] = (uint32_t)e;
        }
    }
    gr->g.n = n;
    gr->g.first = gr->first;
    gr->g.idx = gr->idx;
    return 0;
}

DWORD graph_start_order(svc **roots, size_t nroots, svc ***out, size_t *n)
{
    graph gr;
    *out = NULL;
    *n = 0;
    if (graph_build(&gr))
        return ERROR_NOT_ENOUGH_MEMORY;
    size_t cnt = g_nsvcs;
    uint32_t *r = calloc(nroots + 1, sizeof *r), *order = calloc(cnt + 1, sizeof *order);
    uint8_t *work = calloc(cnt + 1, 1);
    DWORD err = 0;
    if (!r || !order || !work) {
        err = ERROR_NOT_ENOUGH_MEMORY;
        goto done;
    }
    for (size_t i = 0; i < nroots; i++)
        r[i] = (uint32_t)index_of(roots[i]);
    uint32_t cyc = 0;
    long k = svcdeps_start_order(&gr.g, r, nroots, order, cnt, work, &cyc);
    if (k == -1) {
        err = ERROR_CIRCULAR_DEPENDENCY;
        goto done;
    }
    if (k < 0) {
        err = ERROR_NOT_ENOUGH_MEMORY;
        goto done;
    }
    /* A dependency that names no service, or a group with no member, on
     * the way: fails the start. */
    for (long i = 0; i < k; i++)
        for (uint32_t e = gr.first[order[i]]; e < gr.first[order[i] + 1]; e++) {
            if (gr.idx[e] == DEP_MISSING) {
                err = ERROR_SERVICE_DEPENDENCY_DELETED;
                goto done;
            }
            if (gr.idx[e] == DEP_EMPTY_GROUP && !err)
                err = ERROR_SERVICE_DEPENDENCY_FAIL;
        }
    if (err)
        goto done;
    *out = calloc((size_t)k + 1, sizeof **out);
    if (!*out) {
        err = ERROR_NOT_ENOUGH_MEMORY;
        goto done;
    }
    for (long i = 0; i < k; i++)
        (*out)[i] = g_svcs[order[i]];
    *n = (size_t)k;
done:
    free(r);
    free(order);
    free(work);
    graph_free(&gr);
    return err;
}

size_t graph_active_dependents(svc *s, svc ***out, DWORD state_mask)
{
    graph gr;
    *out = NULL;
    if (graph_build(&gr))
        return 0;
    size_t cnt = g_nsvcs, m = 0;
    uint32_t *order = calloc(cnt + 1, sizeof *order), *stack = calloc(cnt + 1, sizeof *stack);
    uint8_t *work = calloc(cnt + 1, 1);
    *out = calloc(cnt + 1, sizeof **out);
    if (order && stack && work && *out) {
        long k = svcdeps_dependents(&gr.g, (uint32_t)index_of(s), order, cnt, work, stack);
        for (long i = 0; i < k; i++) {
            svc *d = g_svcs[order[i]];
            DWORD bit = d->st.state == SERVICE_STOPPED ? SERVICE_INACTIVE : SERVICE_ACTIVE;
            if (state_mask & bit)
                (*out)[m++] = d;
        }
    }
    free(order);
    free(stack);
    free(work);
    graph_free(&gr);
    return m;
}
