/* Merged directory listings for the files namespace. Pure C, no C runtime.
 *
 * A VM's view of a directory is the host's entries, plus the VM's private
 * ones (which win on a name clash), minus those the VM deleted. The layer
 * collects the three kinds into one array; dm_merge sorts it by name
 * (case-insensitively, "." and ".." first, as NTFS lists) and keeps one
 * entry a name:
 *   - a DM_PRIVATE entry if there is one;
 *   - else nothing when a DM_DELETED entry (a deletion marker) names it;
 *   - else the DM_HOST entry.
 * DM_DELETED entries never appear in the result. */
#ifndef PLUME_CORE_DIRMERGE_H
#define PLUME_CORE_DIRMERGE_H

#include <stddef.h>
#include <stdint.h>

enum { DM_HOST = 0, DM_PRIVATE = 1, DM_DELETED = 2 };

typedef struct dm_ent {
    const uint16_t *name;
    size_t len;
    int src;        /* DM_HOST, DM_PRIVATE, DM_DELETED */
    size_t idx;     /* the caller's: where the entry's data is */
} dm_ent;

/* Sorts e[0..n) (scratch: n entries of room) and compacts it to the merged
 * view; returns the number of entries kept. Stable: among equal names of
 * the same source the first wins. */
size_t dm_merge(dm_ent *e, size_t n, dm_ent *scratch);

/* The listing order: -1, 0, 1. "." and ".." sort before every other name. */
int dm_order(const uint16_t *a, size_t an, const uint16_t *b, size_t bn);

#endif
