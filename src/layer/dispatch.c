/* The shared NT hooks (dispatch.h): one hook per call, the namespaces in
 * turn. A call made while the thread is already inside the layer goes
 * straight to the original. */
#include "layer.h"
#include "dispatch.h"
#include "htab.h"

#define OBJECT_NAME_INFORMATION_CLASS 1
#ifndef FILE_OPEN
#define FILE_OPEN 0x00000001
#endif
#ifndef DUPLICATE_CLOSE_SOURCE
#define DUPLICATE_CLOSE_SOURCE 0x00000001
#endif

typedef NTSTATUS(NTAPI *create_file_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES,
                                         PIO_STATUS_BLOCK, PLARGE_INTEGER, ULONG, ULONG, ULONG,
                                         ULONG, PVOID, ULONG);
typedef NTSTATUS(NTAPI *open_file_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES,
                                       PIO_STATUS_BLOCK, ULONG, ULONG);
typedef NTSTATUS(NTAPI *query_object_fn)(HANDLE, ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS(NTAPI *close_fn)(HANDLE);
typedef NTSTATUS(NTAPI *duplicate_fn)(HANDLE, HANDLE, HANDLE, PHANDLE, ACCESS_MASK, ULONG, ULONG);

static create_file_fn real_create_file;
static open_file_fn real_open_file;
static query_object_fn real_query_object;
static close_fn real_close;
static duplicate_fn real_duplicate;

NTSTATUS nt_create_original(const nt_create_args *a)
{
    if (a->is_open && a->disposition == FILE_OPEN && !a->alloc && !a->attrs && !a->ea)
        return real_open_file(a->handle, a->access, a->oa, a->iosb, a->share, a->options);
    return real_create_file(a->handle, a->access, a->oa, a->iosb, a->alloc, a->attrs, a->share,
                            a->disposition, a->options, a->ea, a->ea_len);
}

NTSTATUS nt_query_object_original(HANDLE h, ULONG cls, PVOID buf, ULONG len, PULONG ret)
{
    return real_query_object(h, cls, buf, len, ret);
}

NTSTATUS nt_close_original(HANDLE h)
{
    return real_close(h);
}

NTSTATUS nt_duplicate_original(HANDLE sp, HANDLE sh, HANDLE tp, PHANDLE th, ACCESS_MASK acc,
                               ULONG attrs, ULONG opts)
{
    return real_duplicate(sp, sh, tp, th, acc, attrs, opts);
}

static NTSTATUS dispatch_create(nt_create_args *a)
{
    if (!layer_enter())
        return nt_create_original(a);
    NTSTATUS st;
    if (obj_create_file(a, &st) || file_create_file(a, &st)) {
        layer_leave();
        return st;
    }
    /* Not renamed: leave the layer before the real call, which may block
     * and run APCs; their calls must meet the hooks. */
    layer_leave();
    return nt_create_original(a);
}

static NTSTATUS NTAPI hk_create_file(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                     PIO_STATUS_BLOCK io, PLARGE_INTEGER alloc, ULONG attrs,
                                     ULONG share, ULONG disp, ULONG opts, PVOID ea, ULONG ea_len)
{
    nt_create_args a = { h, acc, oa, io, alloc, attrs, share, disp, opts, ea, ea_len, 0 };
    return dispatch_create(&a);
}

static NTSTATUS NTAPI hk_open_file(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                   PIO_STATUS_BLOCK io, ULONG share, ULONG opts)
{
    nt_create_args a = { h, acc, oa, io, NULL, 0, share, FILE_OPEN, opts, NULL, 0, 1 };
    return dispatch_create(&a);
}

static NTSTATUS NTAPI hk_query_object(HANDLE h, ULONG cls, PVOID buf, ULONG len, PULONG ret)
{
    NTSTATUS st = real_query_object(h, cls, buf, len, ret);
    if (cls != OBJECT_NAME_INFORMATION_CLASS || htab_count == 0 || !layer_enter())
        return st;
    /* Also on a too-small buffer: the needed length is the virtual one. */
    if (!file_query_name(h, buf, len, ret, &st) && !reg_query_name(h, buf, len, ret, &st))
        obj_query_name(h, buf, len, ret, &st);
    layer_leave();
    return st;
}

static NTSTATUS NTAPI hk_close(HANDLE h)
{
    if (htab_count != 0 && !layer_inside())
        htab_del(h);
    return real_close(h);
}

static int is_self(HANDLE process)
{
    return process == GetCurrentProcess() || GetProcessId(process) == GetCurrentProcessId();
}

static NTSTATUS NTAPI hk_duplicate(HANDLE sp, HANDLE sh, HANDLE tp, PHANDLE th,
                                   ACCESS_MASK acc, ULONG attrs, ULONG opts)
{
    if (layer_inside())
        return real_duplicate(sp, sh, tp, th, acc, attrs, opts);
    NTSTATUS st;
    if (procview_duplicate(sp, sh, tp, &st))
        return st;
    st = real_duplicate(sp, sh, tp, th, acc, attrs, opts);
    if (st >= 0 && htab_count != 0 && is_self(sp)) {
        if (th && tp && is_self(tp))
            htab_dup(sh, *th);
        if (opts & DUPLICATE_CLOSE_SOURCE)
            htab_del(sh);
    }
    return st;
}

int dispatch_init(void)
{
    if (layer_hook(L"ntdll.dll", "NtCreateFile", (void *)hk_create_file,
                   (void **)&real_create_file) ||
        layer_hook(L"ntdll.dll", "NtOpenFile", (void *)hk_open_file, (void **)&real_open_file) ||
        layer_hook(L"ntdll.dll", "NtQueryObject", (void *)hk_query_object,
                   (void **)&real_query_object) ||
        layer_hook(L"ntdll.dll", "NtClose", (void *)hk_close, (void **)&real_close) ||
        layer_hook(L"ntdll.dll", "NtDuplicateObject", (void *)hk_duplicate,
                   (void **)&real_duplicate))
        return -1;
    return 0;
}
