/* The NT calls that several namespaces share are hooked once, in
 * dispatch.c, which hands each call to the namespaces in turn:
 *
 *   NtCreateFile, NtOpenFile   pipes and mailslots (obj.c), then disk files
 *                              (file.c); anything else passes through
 *   NtQueryObject              ObjectNameInformation: the namespace that
 *                              knows the handle puts back the virtual name
 *   NtClose                    forgets the handle (htab_del, then the
 *                              namespace's on_close when it has data)
 *   NtDuplicateObject          copies the handle's entry within the process
 *                              (procview.c vets duplication into and out of
 *                              other processes first)
 *
 * Each namespace function returns 1 when it took the call (and sets *st),
 * 0 when the name or handle is not its own. */
#ifndef PLUME_LAYER_DISPATCH_H
#define PLUME_LAYER_DISPATCH_H

#include <windows.h>
#include <winternl.h>

/* NtCreateFile's arguments; NtOpenFile comes as disposition FILE_OPEN with
 * no allocation size, attributes or EA, and is_open set. A namespace may
 * change fields (say, oa to a renamed name) and call nt_create_original. */
typedef struct nt_create_args {
    PHANDLE handle;
    ACCESS_MASK access;
    POBJECT_ATTRIBUTES oa;
    PIO_STATUS_BLOCK iosb;
    PLARGE_INTEGER alloc;
    ULONG attrs, share, disposition, options;
    PVOID ea;
    ULONG ea_len;
    int is_open;
} nt_create_args;

/* The real call (NtOpenFile's original when is_open and nothing requires
 * NtCreateFile, else NtCreateFile's). */
NTSTATUS nt_create_original(const nt_create_args *a);
/* The real NtQueryObject, NtClose, NtDuplicateObject. */
NTSTATUS nt_query_object_original(HANDLE h, ULONG cls, PVOID buf, ULONG len, PULONG ret);
NTSTATUS nt_close_original(HANDLE h);
NTSTATUS nt_duplicate_original(HANDLE sp, HANDLE sh, HANDLE tp, PHANDLE th, ACCESS_MASK acc,
                               ULONG attrs, ULONG opts);

/* obj.c: pipes (\Device\NamedPipe\, \??\pipe\, ...) and mailslots. */
int obj_create_file(nt_create_args *a, NTSTATUS *st);
/* file.c: disk files and directories. */
int file_create_file(nt_create_args *a, NTSTATUS *st);

/* NtQueryObject(ObjectNameInformation) after the original succeeded:
 * rewrite buf (an OBJECT_NAME_INFORMATION) to the virtual name. Return 1
 * when the handle was theirs (*st may become STATUS_BUFFER_OVERFLOW...). */
int file_query_name(HANDLE h, PVOID buf, ULONG len, PULONG ret, NTSTATUS *st);
int reg_query_name(HANDLE h, PVOID buf, ULONG len, PULONG ret, NTSTATUS *st);
int obj_query_name(HANDLE h, PVOID buf, ULONG len, PULONG ret, NTSTATUS *st);

/* NtDuplicateObject between processes: procview.c says whether the call
 * may go on (returns 1 and sets *st to refuse it). */
int procview_duplicate(HANDLE sp, HANDLE sh, HANDLE tp, NTSTATUS *st);

/* The shared hooks: installed by dispatch_init (called before the
 * namespaces' inits). */
int dispatch_init(void);

#endif
