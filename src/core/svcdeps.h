/* Service dependency ordering: pure C, no allocation.
 *
 * A graph of n services (0..n-1) in compressed form: the services that
 * service i depends on are idx[first[i]] .. idx[first[i + 1] - 1]
 * (first has n + 1 entries). Edge targets >= n are ignored (a dependency
 * that names no service is the caller's business: it fails the start). */
#ifndef PLUME_CORE_SVCDEPS_H
#define PLUME_CORE_SVCDEPS_H

#include <stddef.h>
#include <stdint.h>

typedef struct svcdeps_graph {
    size_t n;
    const uint32_t *first; /* n + 1 offsets into idx */
    const uint32_t *idx;
} svcdeps_graph;

/* Start order of the roots: every service they depend on, transitively,
 * before the services that depend on it, each once; the roots themselves
 * included. work: n bytes of scratch. Returns the number written to
 * order (cap >= n is always enough), or -1 when there is a cycle among
 * them (*cycle, when not NULL, gets a service on it), or -2 when cap is
 * too small. */
long svcdeps_start_order(const svcdeps_graph *g, const uint32_t *roots, size_t nroots,
                         uint32_t *order, size_t cap, uint8_t *work, uint32_t *cycle);

/* The services that depend on t, transitively (t excluded), in stop order:
 * each before the services it depends on. work: n bytes; stack: n
 * entries. Returns their number (never a cycle error: a cycle is
 * reported by the start order). */
long svcdeps_dependents(const svcdeps_graph *g, uint32_t t, uint32_t *order, size_t cap,
                        uint8_t *work, uint32_t *stack);

#endif
