/* Origin records of the files namespace (docs/ns-file.md, "Store layout").
 * Pure C, no C runtime.
 *
 * When the VM copies a host file up into its store, the layer writes
 * <vm>\origin\X\path: what the host file was when the VM started from it.
 * A deletion marker of a host file (<vm>\deleted\X\path) carries the same
 * record. `plume commit` compares it with the host file of now to detect
 * conflicts. The record is exactly FOR_SIZE bytes:
 *
 *   0..3   "PLOR"
 *   4..7   uint32 LE  version, 1
 *   8..15  int64 LE   the host file's LastWriteTime (FILETIME, 100 ns)
 *   16..23 int64 LE   the host file's EndOfFile (size in bytes)
 */
#ifndef PLUME_CORE_FORIGIN_H
#define PLUME_CORE_FORIGIN_H

#include <stddef.h>
#include <stdint.h>

#define FOR_SIZE 24
#define FOR_VERSION 1

/* Writes the record into out[0..FOR_SIZE). */
void for_encode(uint8_t out[FOR_SIZE], int64_t last_write, int64_t size);

/* Reads in[0..n): 1 and the two values when it is a version-1 record of
 * exactly FOR_SIZE bytes, else 0 (an empty marker, a torn or foreign file). */
int for_decode(const uint8_t *in, size_t n, int64_t *last_write, int64_t *size);

#endif
