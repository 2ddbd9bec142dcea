/* The layer's handle table: what the layer knows about a handle it gave a
 * program (its kind and the *virtual* name the program used), for the
 * calls that take a handle (relative opens through RootDirectory,
 * NtQueryObject, NtQueryKey, directory listings, ...).
 *
 * Only handles whose names the layer rewrote (or must remember) are put
 * in; the fast path of an untouched name never touches the table.
 * NtClose removes an entry; NtDuplicateObject within the process copies
 * it (both in dispatch.c). Thread-safe. */
#ifndef PLUME_LAYER_HTAB_H
#define PLUME_LAYER_HTAB_H

#include <windows.h>
#include <stdint.h>

enum htab_kind {
    HT_NONE = 0,
    HT_FILE,        /* a file or directory (files namespace) */
    HT_KEY,         /* a registry key (registry namespace) */
    HT_OBJ,         /* a named kernel object, pipe, mailslot or port */
};

#define HTAB_NAME_MAX 32767  /* UTF-16 units */

/* An entry. `name` is the virtual NT name (e.g. \??\C:\x, \Registry\Machine\x,
 * \BaseNamedObjects\x), `real` what was really opened (may be empty);
 * `data` belongs to the namespace (flags, a pointer to its own state...). */
typedef struct htab_entry {
    int kind;
    uint32_t flags;
    void *data;
    uint16_t *name;     /* not terminated; name_len units */
    size_t name_len;
    uint16_t *real;
    size_t real_len;
} htab_entry;

/* Adds or replaces the entry of h (copies the strings). 0, or -1 when out
 * of memory (the caller should then fail its call: fail closed). */
int htab_put(HANDLE h, int kind, uint32_t flags, void *data,
             const uint16_t *name, size_t name_len,
             const uint16_t *real, size_t real_len);

/* Looks h up. Returns 1 and fills *out with a copy the caller must release
 * with htab_release(), or 0 when the layer knows nothing of h. */
int htab_get(HANDLE h, htab_entry *out);
void htab_release(htab_entry *e);

/* The kind of h (HT_NONE when unknown); cheap, no copy. */
int htab_kind(HANDLE h);

/* Removes h's entry. Its data goes to the free function registered for
 * its kind (htab_on_free), or is returned when there is none. Called by
 * the NtClose hook. */
void *htab_del(HANDLE h);
void htab_on_free(int kind, void (*fn)(void *data));

/* Copies the entry of `from` to `to` (a duplicate in this process); the
 * copy has no data pointer. */
void htab_dup(HANDLE from, HANDLE to);

/* Number of entries (0 means every lookup can be skipped). */
extern volatile LONG htab_count;

#endif
