/* Filtering the process lists that NtQuerySystemInformation returns down
 * to the processes of one VM (procview namespace). Pure C: the buffers are
 * taken as bytes laid out as on x86-64 Windows.
 *
 * SYSTEM_PROCESS_INFORMATION (classes 5, 57, 148; and the inner buffer of
 * 53): a chain of variable-size entries linked by NextEntryOffset (0 ends
 * it); each entry is followed by its threads (and, by class, more data),
 * and ImageName.Buffer is an absolute pointer, usually into the entry's own
 * block. Filtering compacts the kept blocks to the front of the buffer, in
 * order, fixes NextEntryOffset and moves each kept ImageName.Buffer that
 * points into the buffer along with the bytes it points to (a name that
 * pointed into a removed block becomes empty).
 *
 * Handle tables (classes 16 and 64): a count then fixed-size entries, each
 * with its owner's process id; entries of other processes are removed. */
#ifndef PLUME_CORE_PROCFILTER_H
#define PLUME_CORE_PROCFILTER_H

#include <stddef.h>
#include <stdint.h>

/* x86-64 SYSTEM_PROCESS_INFORMATION offsets. */
#define PF_PROC_NEXT 0          /* ULONG NextEntryOffset */
#define PF_PROC_NAME_LEN 56     /* USHORT ImageName.Length */
#define PF_PROC_NAME_MAX 58     /* USHORT ImageName.MaximumLength */
#define PF_PROC_NAME_PTR 64     /* PWSTR ImageName.Buffer */
#define PF_PROC_PID 80          /* HANDLE UniqueProcessId */
#define PF_PROC_PPID 88         /* HANDLE InheritedFromUniqueProcessId */
#define PF_PROC_SIZE 256        /* sizeof(SYSTEM_PROCESS_INFORMATION) */

/* Says whether the process `pid` stays in the list (1) or goes (0). */
typedef int (*pf_keep_fn)(uint64_t pid, void *ctx);

#define PF_BAD ((size_t)-1)

/* Filters the process list in buf[0..used) (`buf` is also the address the
 * Buffer pointers are relative to). Entries need not be aligned (Wine packs
 * them). Returns the new used length; 0 when no process is kept (the
 * buffer is then unchanged: an empty list cannot be expressed); PF_BAD when
 * the list is malformed (offsets out of bounds or overlapping; nothing is
 * changed). */
size_t pf_filter_procs(uint8_t *buf, size_t used, pf_keep_fn keep, void *ctx);

/* A handle table layout: the count (count_size 4 or 8 bytes) at offset 0,
 * entries from header_size on, each entry_size bytes with the owner's
 * process id (pid_size 2 or 8 bytes) at pid_offset. */
typedef struct pf_table {
    size_t header_size, count_size, entry_size, pid_offset, pid_size;
} pf_table;

/* SystemHandleInformation (16) and SystemExtendedHandleInformation (64). */
extern const pf_table pf_handle_table, pf_handle_table_ex;

/* Removes the entries of processes not kept, in place, and sets the count.
 * Returns the new used length (header + kept entries), or PF_BAD when the
 * count does not fit in `used` (nothing is changed). */
size_t pf_filter_table(uint8_t *buf, size_t used, const pf_table *t, pf_keep_fn keep, void *ctx);

#endif
