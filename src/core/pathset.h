/* A set of virtual paths (src/core/ntpath.h), kept as 64-bit hashes: the
 * files namespace's fast path (docs/ns-file.md, "Fast path") asks it
 * whether a path, or one of its ancestors, may have private state. Pure C,
 * no C runtime; the caller owns the table memory.
 *
 * The hash folds case conservatively: ASCII letters to upper case, and
 * every unit above 0x7f to one class, so any two spellings the file system
 * may take for the same name (whatever its case table) hash alike. The set
 * may answer "maybe" for a path it never held (a collision, a name that
 * differs only outside ASCII); it never answers "no" for one it holds. */
#ifndef PLUME_CORE_PATHSET_H
#define PLUME_CORE_PATHSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct pathset {
    uint64_t *slot; /* cap slots, 0 = empty; cap a power of two (or 0) */
    size_t cap, n;
} pathset;

/* The key of path v[0..n) (never 0). */
uint64_t ps_key(const uint16_t *v, size_t n);

/* 1 when key k is in the set. */
int ps_has(const pathset *s, uint64_t k);

/* Adds k. Returns 0, or -1 when the table is too full (more than 3/4 used
 * after the add): move it to a larger one (ps_move) and add again. */
int ps_add(pathset *s, uint64_t k);

/* Slots for a table that can hold n keys (a power of two, at least 16). */
size_t ps_cap_for(size_t n);

/* Moves every key of src into dst (dst->slot: dst->cap zeroed slots, able
 * to hold them). Returns 0, -1 when dst is too small. */
int ps_move(pathset *dst, const pathset *src);

/* 1 when the set holds virtual path v[0..n) (\??\X:\a\b) or one of its
 * ancestors: the drive's root \??\X:\ (7 units), then each prefix that
 * ends before a backslash (\??\X:\a), then v itself. */
int ps_has_self_or_ancestor(const pathset *s, const uint16_t *v, size_t n);

#endif
