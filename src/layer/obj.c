/* Named kernel objects, named pipes, mailslots, LPC/ALPC ports: renamed
 * per VM (docs/ns-obj.md). The names are mapped by src/core/objname.c; this
 * file hooks the calls that take them:
 *
 *   NtCreate/NtOpen Mutant, Event, Semaphore, Section, Timer, JobObject,
 *     IoCompletion, SymbolicLinkObject (and its target), DirectoryObject,
 *     KeyedEvent (and the Ex forms where ntdll has them)
 *   NtCreateNamedPipeFile, NtCreateMailslotFile; opens of pipes and
 *     mailslots come through dispatch.c (obj_create_file)
 *   NtFsControlFile: FSCTL_PIPE_WAIT (WaitNamedPipe) carries a pipe name in
 *     its buffer; every other control code passes straight through. This
 *     file owns the NtFsControlFile hook: another namespace that needs it
 *     gets a call from here.
 *   NtCreatePort, NtCreateWaitablePort, NtConnectPort, NtSecureConnectPort,
 *     NtAlpcCreatePort, NtAlpcConnectPort, NtAlpcConnectPortEx (those ntdll
 *     exports: Wine 8 has no NtAlpc* and stubs the LPC ones)
 *   NtQueryDirectoryObject: a container lists only the VM's own names
 *
 * A call without a name, or made by the layer itself, goes straight to the
 * original. A renamed handle is put in the handle table (HT_OBJ, OBJ_RENAMED)
 * so that NtQueryObject gives back the virtual name; a RootDirectory handle
 * the layer has looked up is remembered there too (OBJ_ROOT, its real
 * name), so that a relative name is mapped without asking the system
 * again. The original calls run outside layer_enter/leave (they may block,
 * and an APC that runs meanwhile must be virtualized too). */
#include "layer.h"
#include "dispatch.h"
#include "htab.h"
#include "objname.h"

#include <winternl.h>
#include <string.h>

#define OBJ_ROOT 0x1u       /* a directory or pipe root the layer looked up */
#define OBJ_RENAMED 0x2u    /* a handle whose name the layer rewrote */

#define ST_ACCESS_DENIED ((NTSTATUS)0xC0000022L)
#define ST_NAME_INVALID ((NTSTATUS)0xC0000033L)
#define ST_NAME_NOT_FOUND ((NTSTATUS)0xC0000034L)
#define ST_PATH_NOT_FOUND ((NTSTATUS)0xC000003AL)
#define ST_NAME_TOO_LONG ((NTSTATUS)0xC0000106L)
#define ST_NO_MEMORY ((NTSTATUS)0xC0000017L)
#define ST_BUFFER_OVERFLOW ((NTSTATUS)0x80000005L)
#define ST_BUFFER_TOO_SMALL ((NTSTATUS)0xC0000023L)
#define ST_INFO_LENGTH_MISMATCH ((NTSTATUS)0xC0000004L)
#define FSCTL_PIPE_WAIT_CODE 0x00110018u
#define PIPE_WAIT_NAME_OFFSET 14u   /* FILE_PIPE_WAIT_FOR_BUFFER.Name */
#define NAME_INFO_CLASS 1

/* --- the originals -------------------------------------------------------------- */
typedef NTSTATUS(NTAPI *open3_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES);
typedef NTSTATUS(NTAPI *create_mutant_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, BOOLEAN);
typedef NTSTATUS(NTAPI *create_event_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, ULONG,
                                          BOOLEAN);
typedef NTSTATUS(NTAPI *create_semaphore_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, LONG,
                                              LONG);
typedef NTSTATUS(NTAPI *create_section_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES,
                                            PLARGE_INTEGER, ULONG, ULONG, HANDLE);
typedef NTSTATUS(NTAPI *create_ulong_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, ULONG);
typedef NTSTATUS(NTAPI *create_symlink_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES,
                                            PUNICODE_STRING);
typedef NTSTATUS(NTAPI *create_dir_ex_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, HANDLE,
                                           ULONG);
typedef NTSTATUS(NTAPI *create_pipe_fn)(PHANDLE, ULONG, POBJECT_ATTRIBUTES, PIO_STATUS_BLOCK,
                                         ULONG, ULONG, ULONG, ULONG, ULONG, ULONG, ULONG, ULONG,
                                         ULONG, PLARGE_INTEGER);
typedef NTSTATUS(NTAPI *create_mailslot_fn)(PHANDLE, ULONG, POBJECT_ATTRIBUTES,
                                             PIO_STATUS_BLOCK, ULONG, ULONG, ULONG,
                                             PLARGE_INTEGER);
typedef NTSTATUS(NTAPI *fs_control_fn)(HANDLE, HANDLE, PVOID, PVOID, PIO_STATUS_BLOCK, ULONG,
                                        PVOID, ULONG, PVOID, ULONG);
typedef NTSTATUS(NTAPI *create_port_fn)(PHANDLE, POBJECT_ATTRIBUTES, ULONG, ULONG, ULONG_PTR);
typedef NTSTATUS(NTAPI *connect_port_fn)(PHANDLE, PUNICODE_STRING, PVOID, PVOID, PVOID, PULONG,
                                          PVOID, PULONG);
typedef NTSTATUS(NTAPI *secure_connect_fn)(PHANDLE, PUNICODE_STRING, PVOID, PVOID, PVOID, PVOID,
                                            PULONG, PVOID, PULONG);
typedef NTSTATUS(NTAPI *alpc_create_fn)(PHANDLE, POBJECT_ATTRIBUTES, PVOID);
typedef NTSTATUS(NTAPI *alpc_connect_fn)(PHANDLE, PUNICODE_STRING, POBJECT_ATTRIBUTES, PVOID,
                                          ULONG, PVOID, PVOID, PVOID, PVOID, PVOID, PVOID);
typedef NTSTATUS(NTAPI *alpc_connect_ex_fn)(PHANDLE, POBJECT_ATTRIBUTES, POBJECT_ATTRIBUTES,
                                             PVOID, ULONG, PVOID, PVOID, PVOID, PVOID, PVOID,
                                             PVOID);

/* One identifier a hooked call; the list drives the hook table below. */
enum {
    C_OPEN_MUTANT, C_OPEN_EVENT, C_OPEN_SEMAPHORE, C_OPEN_SECTION, C_OPEN_TIMER, C_OPEN_JOB,
    C_OPEN_IOCOMPLETION, C_OPEN_SYMLINK, C_OPEN_DIR, C_OPEN_KEYED_EVENT,
    C_CREATE_MUTANT, C_CREATE_EVENT, C_CREATE_SEMAPHORE, C_CREATE_SECTION, C_CREATE_TIMER,
    C_CREATE_JOB, C_CREATE_IOCOMPLETION, C_CREATE_SYMLINK, C_CREATE_DIR, C_CREATE_DIR_EX,
    C_CREATE_KEYED_EVENT, C_CREATE_PIPE, C_CREATE_MAILSLOT, C_CREATE_PORT,
    C_CREATE_WAITABLE_PORT, C_CONNECT_PORT, C_SECURE_CONNECT_PORT, C_ALPC_CREATE,
    C_ALPC_CONNECT, C_ALPC_CONNECT_EX, C_COUNT
};

static void *real[C_COUNT];
static fs_control_fn real_fs_control;

/* A hooked call's arguments; the name goes separately (invoke's oa). */
typedef struct call {
    int id;
    PHANDLE h;
    ULONG_PTR a[12];    /* the arguments after the object attributes (or
                           after the access mask: see invoke) */
} call;

#define A(i, T) ((T)c->a[i])

/* Calls the original with oa as the object attributes (for the connect
 * calls, oa->ObjectName is the port name). */
static NTSTATUS invoke(const call *c, POBJECT_ATTRIBUTES oa)
{
    void *f = real[c->id];
    switch (c->id) {
    case C_OPEN_MUTANT: case C_OPEN_EVENT: case C_OPEN_SEMAPHORE: case C_OPEN_SECTION:
    case C_OPEN_TIMER: case C_OPEN_JOB: case C_OPEN_IOCOMPLETION: case C_OPEN_SYMLINK:
    case C_OPEN_DIR: case C_OPEN_KEYED_EVENT: case C_CREATE_JOB: case C_CREATE_DIR:
        return ((open3_fn)f)(c->h, A(0, ACCESS_MASK), oa);
    case C_CREATE_MUTANT:
        return ((create_mutant_fn)f)(c->h, A(0, ACCESS_MASK), oa, A(1, BOOLEAN));
    case C_CREATE_EVENT:
        return ((create_event_fn)f)(c->h, A(0, ACCESS_MASK), oa, A(1, ULONG), A(2, BOOLEAN));
    case C_CREATE_SEMAPHORE:
        return ((create_semaphore_fn)f)(c->h, A(0, ACCESS_MASK), oa, A(1, LONG), A(2, LONG));
    case C_CREATE_SECTION:
        return ((create_section_fn)f)(c->h, A(0, ACCESS_MASK), oa, A(1, PLARGE_INTEGER),
                                      A(2, ULONG), A(3, ULONG), A(4, HANDLE));
    case C_CREATE_TIMER: case C_CREATE_IOCOMPLETION: case C_CREATE_KEYED_EVENT:
        return ((create_ulong_fn)f)(c->h, A(0, ACCESS_MASK), oa, A(1, ULONG));
    case C_CREATE_SYMLINK:
        return ((create_symlink_fn)f)(c->h, A(0, ACCESS_MASK), oa, A(1, PUNICODE_STRING));
    case C_CREATE_DIR_EX:
        return ((create_dir_ex_fn)f)(c->h, A(0, ACCESS_MASK), oa, A(1, HANDLE), A(2, ULONG));
    case C_CREATE_PIPE:
        return ((create_pipe_fn)f)(c->h, A(0, ULONG), oa, A(1, PIO_STATUS_BLOCK), A(2, ULONG),
                                   A(3, ULONG), A(4, ULONG), A(5, ULONG), A(6, ULONG),
                                   A(7, ULONG), A(8, ULONG), A(9, ULONG), A(10, ULONG),
                                   A(11, PLARGE_INTEGER));
    case C_CREATE_MAILSLOT:
        return ((create_mailslot_fn)f)(c->h, A(0, ULONG), oa, A(1, PIO_STATUS_BLOCK),
                                       A(2, ULONG), A(3, ULONG), A(4, ULONG),
                                       A(5, PLARGE_INTEGER));
    case C_CREATE_PORT: case C_CREATE_WAITABLE_PORT:
        return ((create_port_fn)f)(c->h, oa, A(0, ULONG), A(1, ULONG), A(2, ULONG_PTR));
    case C_CONNECT_PORT:
        return ((connect_port_fn)f)(c->h, oa->ObjectName, A(0, PVOID), A(1, PVOID),
                                    A(2, PVOID), A(3, PULONG), A(4, PVOID), A(5, PULONG));
    case C_SECURE_CONNECT_PORT:
        return ((secure_connect_fn)f)(c->h, oa->ObjectName, A(0, PVOID), A(1, PVOID),
                                      A(2, PVOID), A(3, PVOID), A(4, PULONG), A(5, PVOID),
                                      A(6, PULONG));
    case C_ALPC_CREATE:
        return ((alpc_create_fn)f)(c->h, oa, A(0, PVOID));
    case C_ALPC_CONNECT:
        return ((alpc_connect_fn)f)(c->h, oa->ObjectName, A(0, POBJECT_ATTRIBUTES), A(1, PVOID),
                                    A(2, ULONG), A(3, PVOID), A(4, PVOID), A(5, PVOID),
                                    A(6, PVOID), A(7, PVOID), A(8, PVOID));
    case C_ALPC_CONNECT_EX:
        return ((alpc_connect_ex_fn)f)(c->h, oa, A(0, POBJECT_ATTRIBUTES), A(1, PVOID),
                                       A(2, ULONG), A(3, PVOID), A(4, PVOID), A(5, PVOID),
                                       A(6, PVOID), A(7, PVOID), A(8, PVOID));
    }
    return ST_ACCESS_DENIED;
}

/* --- names ----------------------------------------------------------------------- */
#define PREP_STACK 512

static void *heap_alloc(size_t n)
{
    return HeapAlloc(GetProcessHeap(), 0, n);
}

static void heap_free(void *p)
{
    if (p)
        HeapFree(GetProcessHeap(), 0, p);
}

enum { ACT_PASS, ACT_RENAME, ACT_REFUSE, ACT_NOT_OURS };

/* A call's mapped name. */
typedef struct prep {
    OBJECT_ATTRIBUTES oa;       /* the caller's, with the renamed name */
    UNICODE_STRING us;
    objname_out r;
    const uint16_t *root;       /* the root's real name (NULL: no root) */
    size_t root_len;
    htab_entry ent;
    int have_ent;
    void *root_heap;
    uint16_t *out;
    uint16_t *out_heap;
    uint16_t stack[PREP_STACK];
} prep;

static void prep_release(prep *p)
{
    if (p->have_ent)
        htab_release(&p->ent);
    heap_free(p->root_heap);
    heap_free(p->out_heap);
    p->have_ent = 0;
    p->root_heap = p->out_heap = NULL;
}

/* Looks a handle's real name up with the real NtQueryObject; remembers it
 * as a root. 0, or the status to refuse with. */
static NTSTATUS query_root(HANDLE root, prep *p)
{
    ULONG_PTR small[(sizeof(UNICODE_STRING) + 1024) / sizeof(ULONG_PTR)];
    void *buf = small;
    ULONG need = 0;
    NTSTATUS st = nt_query_object_original(root, NAME_INFO_CLASS, buf, sizeof small, &need);
    if ((st == ST_BUFFER_OVERFLOW || st == ST_BUFFER_TOO_SMALL ||
         st == ST_INFO_LENGTH_MISMATCH) && need > sizeof small && need < 0x20000) {
        if (!(p->root_heap = heap_alloc(need)))
            return ST_NO_MEMORY;
        buf = p->root_heap;
        st = nt_query_object_original(root, NAME_INFO_CLASS, buf, need, &need);
    }
    if (st < 0)
        return st;
    UNICODE_STRING *u = buf;
    size_t n = u->Buffer ? u->Length / 2 : 0;
    /* Remembered when there is memory for it; used as it is either way. */
    if (htab_put(root, HT_OBJ, OBJ_ROOT, NULL, u->Buffer, n, u->Buffer, n) == 0 &&
        htab_get(root, &p->ent)) {
        p->have_ent = 1;
        p->root = p->ent.real;
        p->root_len = p->ent.real_len;
        return 0;
    }
    if (buf == small) {
        /* (small goes out of scope: keep a copy) */
        if (!(p->root_heap = heap_alloc(n * 2 + 2)))
            return ST_NO_MEMORY;
        memcpy(p->root_heap, u->Buffer, n * 2);
        p->root = p->root_heap;
    } else {
        p->root = u->Buffer;
    }
    p->root_len = n;
    return 0;
}

/* Maps oa's name. query: look unknown roots up (object calls); without it
 * a root the layer does not know is not ours (file opens). Returns ACT_*;
 * *st is set for ACT_REFUSE. Called inside layer_enter. */
static int prepare(POBJECT_ATTRIBUTES oa, unsigned flags, int query, prep *p, NTSTATUS *st)
{
    p->have_ent = 0;
    p->root_heap = p->out_heap = NULL;
    p->root = NULL;
    p->root_len = 0;
    if (oa->RootDirectory) {
        if (htab_count != 0 && htab_get(oa->RootDirectory, &p->ent)) {
            p->have_ent = 1;
            if (p->ent.kind != HT_OBJ && !query)
                return ACT_NOT_OURS;
            p->root = p->ent.real_len || !p->ent.name ? p->ent.real : p->ent.name;
            p->root_len = p->ent.real_len || !p->ent.name ? p->ent.real_len : p->ent.name_len;
            if (!p->root) {
                p->root = (const uint16_t *)L"";
                p->root_len = 0;
            }
        } else if (!query) {
            return ACT_NOT_OURS;
        } else if ((*st = query_root(oa->RootDirectory, p)) < 0) {
            return ACT_REFUSE;
        }
    }
    const uint16_t *name = (const uint16_t *)oa->ObjectName->Buffer;
    size_t len = oa->ObjectName->Length / 2;
    size_t cap = len + objname_extra(g_vmtag_len);
    p->out = p->stack;
    if (cap > PREP_STACK) {
        if (!(p->out_heap = heap_alloc(cap * 2))) {
            *st = ST_NO_MEMORY;
            return ACT_REFUSE;
        }
        p->out = p->out_heap;
    }
    int res = objname_map(p->root, p->root_len, name, len, g_vmtag, g_vmtag_len, flags, p->out,
                          cap, &p->r);
    if (!query && p->r.cls == OBJN_C_NONE)
        return ACT_NOT_OURS;
    switch (res) {
    case OBJN_PASS:
        return ACT_PASS;
    case OBJN_RENAME:
        p->us.Buffer = (PWSTR)p->out;
        p->us.Length = p->us.MaximumLength = (USHORT)(p->r.len * 2);
        p->oa = *oa;
        p->oa.ObjectName = &p->us;
        return ACT_RENAME;
    case OBJN_DENY:
        *st = ST_ACCESS_DENIED;
        return ACT_REFUSE;
    case OBJN_INVALID:
        *st = ST_NAME_INVALID;
        return ACT_REFUSE;
    default:
        *st = ST_NAME_TOO_LONG;
        return ACT_REFUSE;
    }
}

/* root + separator + s, on the heap (NULL when out of memory). */
static uint16_t *compose(const prep *p, const uint16_t *s, size_t n, size_t *len)
{
    int sep = p->root && (p->root_len == 0 || p->root[p->root_len - 1] != '\\');
    size_t rl = p->root ? p->root_len : 0;
    uint16_t *d = heap_alloc((rl + (size_t)sep + n + 1) * 2);
    if (!d)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < rl; i++)
        d[k++] = p->root[i];
    if (sep)
        d[k++] = '\\';
    for (size_t i = 0; i < n; i++)
        d[k++] = s[i];
    *len = k;
    return d;
}

/* Puts h in the handle table: virtual and real full names. 0 or -1. */
static int remember(HANDLE h, const prep *p, POBJECT_ATTRIBUTES oa, uint32_t flags)
{
    size_t vl = 0, rl = 0;
    uint16_t *v = compose(p, (const uint16_t *)oa->ObjectName->Buffer,
                          oa->ObjectName->Length / 2, &vl);
    uint16_t *r = flags & OBJ_RENAMED ? compose(p, p->out, p->r.len, &rl) : NULL;
    int ok = v && (r || !(flags & OBJ_RENAMED)) &&
             htab_put(h, HT_OBJ, flags, NULL, v, vl, r ? r : v, r ? rl : vl) == 0;
    heap_free(v);
    heap_free(r);
    return ok ? 0 : -1;
}

static int not_found(NTSTATUS st)
{
    return st == ST_NAME_NOT_FOUND || st == ST_PATH_NOT_FOUND;
}

static int named(POBJECT_ATTRIBUTES oa)
{
    return oa && oa->ObjectName && oa->ObjectName->Buffer && oa->ObjectName->Length >= 2;
}

/* The common path of every object call. flags: OBJN_CREATE for creates. */
static NTSTATUS obj_call(const call *c, POBJECT_ATTRIBUTES oa, unsigned flags)
{
    if (!named(oa) || layer_inside())
        return invoke(c, oa);
    prep p;
    NTSTATUS st = 0;
    layer_enter();
    int act = prepare(oa, flags | OBJN_STRICT, 1, &p, &st);
    layer_leave();
    if (act == ACT_REFUSE) {
        /* nothing to do but refuse */
    } else if (act != ACT_RENAME) {
        st = invoke(c, oa);
        if (st >= 0 && p.r.is_root && c->h && (c->id == C_OPEN_DIR)) {
            layer_enter();
            remember(*c->h, &p, oa, OBJ_ROOT);   /* best effort: a cache */
            layer_leave();
        }
    } else {
        st = invoke(c, &p.oa);
        if (st >= 0 && c->h) {
            layer_enter();
            if (remember(*c->h, &p, oa, OBJ_RENAMED) != 0) {
                nt_close_original(*c->h);
                *c->h = NULL;
                st = ST_NO_MEMORY;
            }
            layer_leave();
        } else if (not_found(st) && p.r.fallback && !(flags & OBJN_CREATE)) {
            st = invoke(c, oa);   /* the host's system endpoint */
        }
    }
    layer_enter();
    prep_release(&p);
    layer_leave();
    return st;
}

/* --- the hooks ---------------------------------------------------------------------- */
#define OPEN_HOOK(fn, id)                                                              \
    static NTSTATUS NTAPI fn(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa)         \
    {                                                                                  \
        call c = { id, h, { acc } };                                                   \
        return obj_call(&c, oa, 0);                                                    \
    }
OPEN_HOOK(hk_open_mutant, C_OPEN_MUTANT)
OPEN_HOOK(hk_open_event, C_OPEN_EVENT)
OPEN_HOOK(hk_open_semaphore, C_OPEN_SEMAPHORE)
OPEN_HOOK(hk_open_section, C_OPEN_SECTION)
OPEN_HOOK(hk_open_timer, C_OPEN_TIMER)
OPEN_HOOK(hk_open_job, C_OPEN_JOB)
OPEN_HOOK(hk_open_iocompletion, C_OPEN_IOCOMPLETION)
OPEN_HOOK(hk_open_symlink, C_OPEN_SYMLINK)
OPEN_HOOK(hk_open_dir, C_OPEN_DIR)
OPEN_HOOK(hk_open_keyed_event, C_OPEN_KEYED_EVENT)

static NTSTATUS NTAPI hk_create_job(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa)
{
    call c = { C_CREATE_JOB, h, { acc } };
    return obj_call(&c, oa, OBJN_CREATE);
}

static NTSTATUS NTAPI hk_create_dir(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa)
{
    call c = { C_CREATE_DIR, h, { acc } };
    return obj_call(&c, oa, OBJN_CREATE);
}

static NTSTATUS NTAPI hk_create_dir_ex(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                       HANDLE shadow, ULONG fl)
{
    call c = { C_CREATE_DIR_EX, h, { acc, (ULONG_PTR)shadow, fl } };
    return obj_call(&c, oa, OBJN_CREATE);
}

static NTSTATUS NTAPI hk_create_mutant(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                       BOOLEAN owner)
{
    call c = { C_CREATE_MUTANT, h, { acc, owner } };
    return obj_call(&c, oa, OBJN_CREATE);
}

static NTSTATUS NTAPI hk_create_event(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                      ULONG type, BOOLEAN state)
{
    call c = { C_CREATE_EVENT, h, { acc, type, state } };
    return obj_call(&c, oa, OBJN_CREATE);
}

static NTSTATUS NTAPI hk_create_semaphore(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                          LONG init, LONG max)
{
    call c = { C_CREATE_SEMAPHORE, h, { acc, (ULONG_PTR)(LONG_PTR)init, (ULONG_PTR)(LONG_PTR)max } };
    return obj_call(&c, oa, OBJN_CREATE);
}

static NTSTATUS NTAPI hk_create_section(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                        PLARGE_INTEGER size, ULONG prot, ULONG attrs, HANDLE file)
{
    call c = { C_CREATE_SECTION, h, { acc, (ULONG_PTR)size, prot, attrs, (ULONG_PTR)file } };
    return obj_call(&c, oa, OBJN_CREATE);
}

static NTSTATUS NTAPI hk_create_timer(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                      ULONG type)
{
    call c = { C_CREATE_TIMER, h, { acc, type } };
    return obj_call(&c, oa, OBJN_CREATE);
}

static NTSTATUS NTAPI hk_create_iocompletion(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                             ULONG threads)
{
    call c = { C_CREATE_IOCOMPLETION, h, { acc, threads } };
    return obj_call(&c, oa, OBJN_CREATE);
}

static NTSTATUS NTAPI hk_create_keyed_event(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                            ULONG fl)
{
    call c = { C_CREATE_KEYED_EVENT, h, { acc, fl } };
    return obj_call(&c, oa, OBJN_CREATE);
}

/* A symbolic link's target is a name too: mapped like an open (a VM's link
 * must not lead to the host's object of that name). */
static NTSTATUS NTAPI hk_create_symlink(PHANDLE h, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                        PUNICODE_STRING target)
{
    call c = { C_CREATE_SYMLINK, h, { acc, (ULONG_PTR)target } };
    if (!named(oa) || layer_inside() || !target || !target->Buffer || target->Length < 2)
        return obj_call(&c, oa, OBJN_CREATE);
    OBJECT_ATTRIBUTES toa;
    InitializeObjectAttributes(&toa, target, 0, NULL, NULL);
    prep p;
    NTSTATUS st = 0;
    layer_enter();
    int act = prepare(&toa, OBJN_STRICT, 1, &p, &st);
    layer_leave();
    /* A VM's link may only point into the VM's own names: a target that
     * is not renamed (a container itself, or anything outside them, such
     * as \Device\...) would let names under the link reach the host's
     * objects or devices past every other hook (escape suite, O14). */
    if (act == ACT_RENAME) {
        c.a[1] = (ULONG_PTR)&p.us;
        st = obj_call(&c, oa, OBJN_CREATE);
    } else if (act != ACT_REFUSE) {
        st = ST_ACCESS_DENIED;
    }
    layer_enter();
    prep_release(&p);
    layer_leave();
    return st;
}

static NTSTATUS NTAPI hk_create_pipe(PHANDLE h, ULONG acc, POBJECT_ATTRIBUTES oa,
                                     PIO_STATUS_BLOCK io, ULONG share, ULONG disp, ULONG opts,
                                     ULONG type, ULONG rmode, ULONG compl, ULONG maxinst,
                                     ULONG inq, ULONG outq, PLARGE_INTEGER timeout)
{
    call c = { C_CREATE_PIPE, h, { acc, (ULONG_PTR)io, share, disp, opts, type, rmode, compl,
                                   maxinst, inq, outq, (ULONG_PTR)timeout } };
    return obj_call(&c, oa, OBJN_CREATE);
}

static NTSTATUS NTAPI hk_create_mailslot(PHANDLE h, ULONG acc, POBJECT_ATTRIBUTES oa,
                                         PIO_STATUS_BLOCK io, ULONG opts, ULONG quota,
                                         ULONG maxmsg, PLARGE_INTEGER timeout)
{
    call c = { C_CREATE_MAILSLOT, h, { acc, (ULONG_PTR)io, opts, quota, maxmsg,
                                       (ULONG_PTR)timeout } };
    return obj_call(&c, oa, OBJN_CREATE);
}

static NTSTATUS NTAPI hk_create_port(PHANDLE h, POBJECT_ATTRIBUTES oa, ULONG info, ULONG msg,
                                     ULONG_PTR pool)
{
    call c = { C_CREATE_PORT, h, { info, msg, pool } };
    return obj_call(&c, oa, OBJN_CREATE);
}

static NTSTATUS NTAPI hk_create_waitable_port(PHANDLE h, POBJECT_ATTRIBUTES oa, ULONG info,
                                              ULONG msg, ULONG_PTR pool)
{
    call c = { C_CREATE_WAITABLE_PORT, h, { info, msg, pool } };
    return obj_call(&c, oa, OBJN_CREATE);
}

static NTSTATUS NTAPI hk_alpc_create(PHANDLE h, POBJECT_ATTRIBUTES oa, PVOID attrs)
{
    call c = { C_ALPC_CREATE, h, { (ULONG_PTR)attrs } };
    return obj_call(&c, oa, OBJN_CREATE);
}

/* Connects name a port by a UNICODE_STRING: made into object attributes. */
static NTSTATUS connect_call(call *c, PUNICODE_STRING name)
{
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    return obj_call(c, &oa, 0);
}

static NTSTATUS NTAPI hk_connect_port(PHANDLE h, PUNICODE_STRING name, PVOID qos, PVOID cview,
                                      PVOID sview, PULONG maxlen, PVOID info, PULONG infolen)
{
    call c = { C_CONNECT_PORT, h, { (ULONG_PTR)qos, (ULONG_PTR)cview, (ULONG_PTR)sview,
                                    (ULONG_PTR)maxlen, (ULONG_PTR)info, (ULONG_PTR)infolen } };
    return connect_call(&c, name);
}

static NTSTATUS NTAPI hk_secure_connect_port(PHANDLE h, PUNICODE_STRING name, PVOID qos,
                                             PVOID cview, PVOID sid, PVOID sview, PULONG maxlen,
                                             PVOID info, PULONG infolen)
{
    call c = { C_SECURE_CONNECT_PORT, h,
               { (ULONG_PTR)qos, (ULONG_PTR)cview, (ULONG_PTR)sid, (ULONG_PTR)sview,
                 (ULONG_PTR)maxlen, (ULONG_PTR)info, (ULONG_PTR)infolen } };
    return connect_call(&c, name);
}

static NTSTATUS NTAPI hk_alpc_connect(PHANDLE h, PUNICODE_STRING name, POBJECT_ATTRIBUTES coa,
                                      PVOID pattrs, ULONG fl, PVOID sid, PVOID msg, PVOID len,
                                      PVOID outa, PVOID ina, PVOID timeout)
{
    call c = { C_ALPC_CONNECT, h, { (ULONG_PTR)coa, (ULONG_PTR)pattrs, fl, (ULONG_PTR)sid,
                                    (ULONG_PTR)msg, (ULONG_PTR)len, (ULONG_PTR)outa,
                                    (ULONG_PTR)ina, (ULONG_PTR)timeout } };
    return connect_call(&c, name);
}

static NTSTATUS NTAPI hk_alpc_connect_ex(PHANDLE h, POBJECT_ATTRIBUTES poa,
                                         POBJECT_ATTRIBUTES coa, PVOID pattrs, ULONG fl,
                                         PVOID sd, PVOID msg, PVOID len, PVOID outa, PVOID ina,
                                         PVOID timeout)
{
    call c = { C_ALPC_CONNECT_EX, h, { (ULONG_PTR)coa, (ULONG_PTR)pattrs, fl, (ULONG_PTR)sd,
                                       (ULONG_PTR)msg, (ULONG_PTR)len, (ULONG_PTR)outa,
                                       (ULONG_PTR)ina, (ULONG_PTR)timeout } };
    return obj_call(&c, poa, 0);
}

/* WaitNamedPipe: FSCTL_PIPE_WAIT on a handle of the pipe file system's
 * root, the pipe's name (relative to that root) in FILE_PIPE_WAIT_FOR_BUFFER
 * {LARGE_INTEGER Timeout; ULONG NameLength; BOOLEAN TimeoutSpecified;
 * WCHAR Name[]}. The name is renamed like a pipe open, with the same
 * fallback to the host's for the rule table's names. */
static NTSTATUS NTAPI hk_fs_control(HANDLE h, HANDLE ev, PVOID apc, PVOID ctx,
                                    PIO_STATUS_BLOCK io, ULONG code, PVOID in, ULONG inlen,
                                    PVOID out, ULONG outlen)
{
    if (code != FSCTL_PIPE_WAIT_CODE || layer_inside() || !in || inlen < PIPE_WAIT_NAME_OFFSET)
        return real_fs_control(h, ev, apc, ctx, io, code, in, inlen, out, outlen);
    ULONG nlen = *(const ULONG *)((const BYTE *)in + 8);
    if (nlen > inlen - PIPE_WAIT_NAME_OFFSET || nlen < 2)
        return real_fs_control(h, ev, apc, ctx, io, code, in, inlen, out, outlen);
    static const wchar_t pipe_root[] = L"\\Device\\NamedPipe\\";
    size_t n = nlen / 2, cap = n + objname_extra(g_vmtag_len);
    size_t total = PIPE_WAIT_NAME_OFFSET + cap * 2 + nlen;
    ULONG_PTR small[(PIPE_WAIT_NAME_OFFSET + 4 * 300) / sizeof(ULONG_PTR) + 1];
    BYTE *buf = (BYTE *)small, *heap = NULL;
    NTSTATUS st;
    layer_enter();
    if (total > sizeof small && !(buf = heap = heap_alloc(total))) {
        layer_leave();
        return ST_NO_MEMORY;
    }
    /* buf: the new FILE_PIPE_WAIT_FOR_BUFFER (cap units of name), then a
     * copy of the caller's name (which need not be aligned). */
    uint16_t *name = (uint16_t *)(buf + PIPE_WAIT_NAME_OFFSET);
    uint16_t *orig = name + cap;
    memcpy(orig, (const BYTE *)in + PIPE_WAIT_NAME_OFFSET, nlen);
    objname_out r;
    int res = objname_map((const uint16_t *)pipe_root, sizeof pipe_root / 2 - 1, orig, n,
                          g_vmtag, g_vmtag_len, 0, name, cap, &r);
    layer_leave();
    if (res == OBJN_RENAME) {
        memcpy(buf, in, PIPE_WAIT_NAME_OFFSET);
        *(ULONG *)(buf + 8) = (ULONG)(r.len * 2);
        st = real_fs_control(h, ev, apc, ctx, io, code, buf,
                             (ULONG)(PIPE_WAIT_NAME_OFFSET + r.len * 2), out, outlen);
        if (not_found(st) && r.fallback)
            st = real_fs_control(h, ev, apc, ctx, io, code, in, inlen, out, outlen);
    } else if (res == OBJN_PASS) {
        st = real_fs_control(h, ev, apc, ctx, io, code, in, inlen, out, outlen);
    } else {
        st = res == OBJN_INVALID ? ST_NAME_INVALID : ST_NAME_TOO_LONG;
    }
    if (heap) {
        layer_enter();
        heap_free(heap);
        layer_leave();
    }
    return st;
}

/* --- NtQueryDirectoryObject: a container lists only the VM's names ------------------
 * A directory whose real name is a container (objname_container: kernel
 * objects or ports) lists, for a VM, its own objects without the prefix and
 * the system's Global/Local/Session links (objname_visible); everything
 * else (the host's objects, other VMs', Plume's jobs) is left out. Other
 * directories pass through. The original is asked one entry at a time (Wine
 * 8 has no other mode) with a context of the layer's own; the caller's
 * Context counts the entries it can see, and the caller's buffer is built
 * as Windows lays it out: the OBJECT_DIRECTORY_INFORMATION array, a zeroed
 * entry, then the strings (each terminated). The original does not block:
 * it runs inside layer_enter. */
#define ST_MORE_ENTRIES ((NTSTATUS)0x00000105L)
#define ST_NO_MORE_ENTRIES ((NTSTATUS)0x8000001AL)
#define ST_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#define DIR_TMP_SMALL 4096u
#define DIR_TMP_BIG (4u * sizeof(UNICODE_STRING) + 2u * 65536u + 64u)   /* any entry */

typedef NTSTATUS(NTAPI *query_dir_fn)(HANDLE, PVOID, ULONG, BOOLEAN, BOOLEAN, PULONG, PULONG);
static query_dir_fn real_query_dir;

typedef struct dir_info {   /* OBJECT_DIRECTORY_INFORMATION */
    UNICODE_STRING name, type;
} dir_info;

/* Where recent listings stopped: the caller's Context (visible entries)
 * and the real index to go on from, so that listing a directory entry by
 * entry is not quadratic. Only a hint: a miss rescans from the start. */
#define DIR_CACHE 8
static struct {
    HANDLE h;
    ULONG vis, real;
} dir_cache[DIR_CACHE];
static unsigned dir_cache_next;
static SRWLOCK dir_lock = SRWLOCK_INIT;

static ULONG dir_cache_get(HANDLE h, ULONG vis)
{
    ULONG real = 0;
    AcquireSRWLockExclusive(&dir_lock);
    for (unsigned i = 0; i < DIR_CACHE; i++)
        if (dir_cache[i].h == h && dir_cache[i].vis == vis && vis != 0)
            real = dir_cache[i].real;
    ReleaseSRWLockExclusive(&dir_lock);
    return real;
}

static void dir_cache_put(HANDLE h, ULONG vis, ULONG real)
{
    AcquireSRWLockExclusive(&dir_lock);
    unsigned slot = dir_cache_next;
    for (unsigned i = 0; i < DIR_CACHE; i++)
        if (dir_cache[i].h == h)
            slot = i;
    if (slot == dir_cache_next)
        dir_cache_next = (dir_cache_next + 1) % DIR_CACHE;
    dir_cache[slot].h = h;
    dir_cache[slot].vis = vis;
    dir_cache[slot].real = real;
    ReleaseSRWLockExclusive(&dir_lock);
}

/* The container class of directory handle h (OBJN_C_NONE: not filtered),
 * from the handle table, else the real NtQueryObject (then remembered as a
 * root). 0, or the status to fail with. Called inside layer_enter. */
static NTSTATUS dir_class(HANDLE h, int *cls)
{
    prep p;
    NTSTATUS st = 0;
    p.have_ent = 0;
    p.root_heap = p.out_heap = NULL;
    p.root = NULL;
    p.root_len = 0;
    *cls = OBJN_C_NONE;
    if (htab_count != 0 && htab_get(h, &p.ent)) {
        p.have_ent = 1;
        /* A file or a key: not a directory object (the original says so). */
        if (p.ent.kind == HT_OBJ) {
            int real = p.ent.real_len || !p.ent.name;
            *cls = objname_container(real ? p.ent.real : p.ent.name,
                                     real ? p.ent.real_len : p.ent.name_len);
        }
    } else if ((st = query_root(h, &p)) >= 0) {
        *cls = objname_container(p.root, p.root_len);
    }
    prep_release(&p);
    return st < 0 ? st : 0;
}

static int size_error(NTSTATUS st)
{
    return st == ST_BUFFER_OVERFLOW || st == ST_BUFFER_TOO_SMALL || st == ST_INFO_LENGTH_MISMATCH;
}

/* The filtered listing of container h (class cls). Inside layer_enter. */
static NTSTATUS dir_list(HANDLE h, int cls, PVOID buf, ULONG size, BOOLEAN single,
                         BOOLEAN restart, PULONG ctx, PULONG retlen)
{
    if (!ctx || (!buf && size))
        return ST_INVALID_PARAMETER;
    ULONG start = restart ? 0 : *ctx;
    ULONG real = dir_cache_get(h, start), vis = real ? start : 0;
    ULONG tcap = DIR_TMP_SMALL;
    BYTE *tmp = heap_alloc(tcap);
    if (!tmp)
        return ST_NO_MEMORY;
    if (!buf)
        size = 0;
    BYTE *out = buf;
    BYTE *top = out ? out + (size & ~1u) : NULL;   /* strings go down from here */
    dir_info *ent = buf;
    size_t n = 0, strbytes = 0;
    NTSTATUS st = 0;
    int more = 0;
    for (;;) {
        ULONG rc = real, rl = 0;
        NTSTATUS s = real_query_dir(h, tmp, tcap, TRUE, FALSE, &rc, &rl);
        if (size_error(s) && tcap < DIR_TMP_BIG) {
            heap_free(tmp);
            tcap = DIR_TMP_BIG;
            if (!(tmp = heap_alloc(tcap))) {
                st = ST_NO_MEMORY;
                break;
            }
            continue;
        }
        if (s == ST_NO_MORE_ENTRIES)
            break;
        if (s < 0) {
            st = s;   /* fail closed: nothing listed */
            break;
        }
        real++;
        const dir_info *e = (const dir_info *)tmp;
        const uint16_t *nm = (const uint16_t *)e->name.Buffer;
        size_t nl = nm ? e->name.Length / 2 : 0;
        size_t tl = e->type.Buffer ? e->type.Length / 2 : 0;
        int v = objname_visible(cls, nm, nl, (const uint16_t *)e->type.Buffer, tl, g_vmtag,
                                g_vmtag_len);
        if (v == OBJN_V_HIDE)
            continue;
        if (vis < start) {
            vis++;
            continue;
        }
        if (v == OBJN_V_OWN) {
            size_t plen = objname_extra(g_vmtag_len);
            nm += plen;
            nl -= plen;
        }
        size_t add = (nl + 1 + tl + 1) * 2;
        size_t need = (n + 2) * sizeof(dir_info) + strbytes + add;
        if (need > size) {
            if (n == 0) {
                st = ST_BUFFER_TOO_SMALL;
                if (retlen)
                    *retlen = (ULONG)need;
                real--;
            } else {
                more = 1;
                real--;   /* this one comes next time */
            }
            break;
        }
        /* name\0type\0, below the strings so far */
        uint16_t *d = (uint16_t *)(top - strbytes - add);
        memcpy(d, nm, nl * 2);
        d[nl] = 0;
        memcpy(d + nl + 1, e->type.Buffer, tl * 2);
        d[nl + 1 + tl] = 0;
        ent[n].name.Buffer = (PWSTR)d;
        ent[n].name.Length = (USHORT)(nl * 2);
        ent[n].name.MaximumLength = (USHORT)(nl < 32767 ? nl * 2 + 2 : nl * 2);
        ent[n].type.Buffer = (PWSTR)(d + nl + 1);
        ent[n].type.Length = (USHORT)(tl * 2);
        ent[n].type.MaximumLength = (USHORT)(tl < 32767 ? tl * 2 + 2 : tl * 2);
        strbytes += add;
        n++;
        vis++;
        if (single)
            break;
    }
    heap_free(tmp);
    if (st == ST_BUFFER_TOO_SMALL || st >= 0)
        *ctx = start + (ULONG)n;
    if (st < 0)
        return st;
    if (n == 0) {
        if (retlen)
            *retlen = 0;
        return ST_NO_MORE_ENTRIES;
    }
    /* The strings right after the array and its zeroed terminator. */
    BYTE *from = top - strbytes, *to = out + (n + 1) * sizeof(dir_info);
    memmove(to, from, strbytes);
    for (size_t i = 0; i < n; i++) {
        ent[i].name.Buffer = (PWSTR)((BYTE *)ent[i].name.Buffer - (from - to));
        ent[i].type.Buffer = (PWSTR)((BYTE *)ent[i].type.Buffer - (from - to));
    }
    memset(&ent[n], 0, sizeof(dir_info));
    if (retlen)
        *retlen = (ULONG)((n + 1) * sizeof(dir_info) + strbytes);
    dir_cache_put(h, start + (ULONG)n, real);
    return more ? ST_MORE_ENTRIES : 0;
}

static NTSTATUS NTAPI hk_query_dir(HANDLE h, PVOID buf, ULONG size, BOOLEAN single,
                                   BOOLEAN restart, PULONG ctx, PULONG retlen)
{
    if (layer_inside())
        return real_query_dir(h, buf, size, single, restart, ctx, retlen);
    int cls;
    layer_enter();
    NTSTATUS st = dir_class(h, &cls);
    if (st >= 0 && cls != OBJN_C_BNO && cls != OBJN_C_RPC) {
        layer_leave();
        return real_query_dir(h, buf, size, single, restart, ctx, retlen);
    }
    if (st >= 0)
        st = dir_list(h, cls, buf, size, single, restart, ctx, retlen);
    layer_leave();
    return st;
}

/* --- the shared hooks' calls (dispatch.c) -------------------------------------------- */

/* NtCreateFile/NtOpenFile: pipes and mailslots (and any name in an object
 * container). Called inside layer_enter. A name outside the containers, or
 * relative to a handle the layer did not look up, is not ours. */
int obj_create_file(nt_create_args *a, NTSTATUS *st)
{
    POBJECT_ATTRIBUTES oa = a->oa;
    if (!named(oa))
        return 0;
    if (oa->RootDirectory) {
        if (htab_count == 0 || htab_kind(oa->RootDirectory) != HT_OBJ)
            return 0;
    } else {
        /* Fast refusal: every container starts \?, \B, \D, \G, \R or \S. */
        uint16_t c0 = oa->ObjectName->Buffer[0], c1 = oa->ObjectName->Buffer[1] | 0x20;
        if (c0 != '\\' || !(c1 == ('?' | 0x20) || c1 == 'b' || c1 == 'd' || c1 == 'g' ||
                            c1 == 'r' || c1 == 's'))
            return 0;
    }
    prep p;
    int act = prepare(oa, 0, 0, &p, st);
    if (act == ACT_NOT_OURS) {
        prep_release(&p);
        return 0;
    }
    if (act == ACT_PASS) {
        *st = nt_create_original(a);
        if (*st >= 0 && p.r.is_root)
            remember(*a->handle, &p, oa, OBJ_ROOT);   /* a cache: best effort */
    } else if (act == ACT_RENAME) {
        a->oa = &p.oa;
        *st = nt_create_original(a);
        a->oa = oa;
        if (*st >= 0) {
            if (remember(*a->handle, &p, oa, OBJ_RENAMED) != 0) {
                nt_close_original(*a->handle);
                *a->handle = NULL;
                *st = ST_NO_MEMORY;
            }
        } else if (not_found(*st) && p.r.fallback) {
            *st = nt_create_original(a);
        }
    }
    prep_release(&p);
    return 1;
}

/* NtQueryObject(ObjectNameInformation): the name without the VM's prefix. */
int obj_query_name(HANDLE h, PVOID buf, ULONG len, PULONG ret, NTSTATUS *st)
{
    (void)len;
    if (htab_kind(h) != HT_OBJ)
        return 0;
    if (*st < 0 || !buf)
        return 1;
    UNICODE_STRING *u = buf;
    if (!u->Buffer)
        return 1;
    size_t n = u->Length / 2;
    size_t m = objname_strip((uint16_t *)u->Buffer, n, g_vmtag, g_vmtag_len);
    if (m != n) {
        u->Length = (USHORT)(m * 2);
        u->Buffer[m] = 0;
        if (ret && *ret >= (n - m) * 2)
            *ret -= (ULONG)((n - m) * 2);
    }
    return 1;
}

/* --- installation ------------------------------------------------------------------- */
static const struct {
    const char *name;
    void *detour;
    int id;
    int optional;   /* absent from some ntdlls (Wine 8 has no NtAlpc*) */
} hooks[] = {
    { "NtOpenMutant", (void *)hk_open_mutant, C_OPEN_MUTANT, 0 },
    { "NtOpenEvent", (void *)hk_open_event, C_OPEN_EVENT, 0 },
    { "NtOpenSemaphore", (void *)hk_open_semaphore, C_OPEN_SEMAPHORE, 0 },
    { "NtOpenSection", (void *)hk_open_section, C_OPEN_SECTION, 0 },
    { "NtOpenTimer", (void *)hk_open_timer, C_OPEN_TIMER, 0 },
    { "NtOpenJobObject", (void *)hk_open_job, C_OPEN_JOB, 0 },
    { "NtOpenIoCompletion", (void *)hk_open_iocompletion, C_OPEN_IOCOMPLETION, 0 },
    { "NtOpenSymbolicLinkObject", (void *)hk_open_symlink, C_OPEN_SYMLINK, 0 },
    { "NtOpenDirectoryObject", (void *)hk_open_dir, C_OPEN_DIR, 0 },
    { "NtOpenKeyedEvent", (void *)hk_open_keyed_event, C_OPEN_KEYED_EVENT, 1 },
    { "NtCreateMutant", (void *)hk_create_mutant, C_CREATE_MUTANT, 0 },
    { "NtCreateEvent", (void *)hk_create_event, C_CREATE_EVENT, 0 },
    { "NtCreateSemaphore", (void *)hk_create_semaphore, C_CREATE_SEMAPHORE, 0 },
    { "NtCreateSection", (void *)hk_create_section, C_CREATE_SECTION, 0 },
    { "NtCreateTimer", (void *)hk_create_timer, C_CREATE_TIMER, 0 },
    { "NtCreateJobObject", (void *)hk_create_job, C_CREATE_JOB, 0 },
    { "NtCreateIoCompletion", (void *)hk_create_iocompletion, C_CREATE_IOCOMPLETION, 0 },
    { "NtCreateSymbolicLinkObject", (void *)hk_create_symlink, C_CREATE_SYMLINK, 0 },
    { "NtCreateDirectoryObject", (void *)hk_create_dir, C_CREATE_DIR, 0 },
    { "NtCreateDirectoryObjectEx", (void *)hk_create_dir_ex, C_CREATE_DIR_EX, 1 },
    { "NtCreateKeyedEvent", (void *)hk_create_keyed_event, C_CREATE_KEYED_EVENT, 1 },
    { "NtCreateNamedPipeFile", (void *)hk_create_pipe, C_CREATE_PIPE, 0 },
    { "NtCreateMailslotFile", (void *)hk_create_mailslot, C_CREATE_MAILSLOT, 0 },
    { "NtCreatePort", (void *)hk_create_port, C_CREATE_PORT, 1 },
    { "NtCreateWaitablePort", (void *)hk_create_waitable_port, C_CREATE_WAITABLE_PORT, 1 },
    { "NtConnectPort", (void *)hk_connect_port, C_CONNECT_PORT, 1 },
    { "NtSecureConnectPort", (void *)hk_secure_connect_port, C_SECURE_CONNECT_PORT, 1 },
    { "NtAlpcCreatePort", (void *)hk_alpc_create, C_ALPC_CREATE, 1 },
    { "NtAlpcConnectPort", (void *)hk_alpc_connect, C_ALPC_CONNECT, 1 },
    { "NtAlpcConnectPortEx", (void *)hk_alpc_connect_ex, C_ALPC_CONNECT_EX, 1 },
};

/* --- the rule table (docs/ns-obj.md) ----------------------------------------------
 * Read once per process, here, before any hook is in: the built-ins, then
 * <store root>\endpoints.conf, then the "endpoint =" lines of the VM's
 * vm.conf (objname_rules_parse). The set is then only read (objname_map),
 * with no I/O on the hot path. A missing file adds nothing; a file that
 * exists but cannot be read closes the set (no fallback at all: its rules
 * are unknown); bad lines make their names private (the parser's safe
 * failure). `plume endpoints` reports the problems. */
#define RULES_FILE_MAX (64 * 1024)
static objname_ruleset g_rules;

static size_t wcopy(uint16_t *d, size_t at, size_t cap, const uint16_t *s)
{
    while (*s && at + 1 < cap)
        d[at++] = *s++;
    d[at] = 0;
    return at;
}

/* Reads dir\leaf and merges its rules as source src. */
static void load_rules_file(const uint16_t *dir, const wchar_t *leaf, int src)
{
    uint16_t path[PLUME_BOOT_PATH + 32];
    size_t n = wcopy(path, 0, sizeof path / 2, dir);
    if (n == 0)
        return;   /* no such folder given: nothing to read */
    if (path[n - 1] != '\\' && path[n - 1] != '/')
        n = wcopy(path, n, sizeof path / 2, (const uint16_t *)L"\\");
    if (wcopy(path, n, sizeof path / 2, (const uint16_t *)leaf) + 1 >= sizeof path / 2) {
        objname_rules_close(&g_rules);
        return;
    }
    HANDLE h = CreateFileW((const wchar_t *)path, GENERIC_READ,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        if (e != ERROR_FILE_NOT_FOUND && e != ERROR_PATH_NOT_FOUND)
            objname_rules_close(&g_rules);
        return;
    }
    LARGE_INTEGER size;
    char *text = NULL;
    DWORD got = 0;
    int ok = GetFileSizeEx(h, &size) && size.QuadPart <= RULES_FILE_MAX &&
             (text = heap_alloc((size_t)size.QuadPart + 1)) != NULL;
    while (ok && got < (DWORD)size.QuadPart) {
        DWORD r = 0;
        if (!ReadFile(h, text + got, (DWORD)size.QuadPart - got, &r, NULL))
            ok = 0;
        else if (r == 0)
            break;
        got += r;
    }
    CloseHandle(h);
    if (ok)
        objname_rules_parse(&g_rules, src, text, got, NULL, NULL);
    else
        objname_rules_close(&g_rules);
    heap_free(text);
}

static void load_rules(void)
{
    DWORD err = GetLastError();
    int entered = layer_enter();   /* the originals: no hook of ours */
    objname_rules_init(&g_rules);
    load_rules_file(g_boot.store_root, L"endpoints.conf", OBJN_SRC_STORE);
    load_rules_file(g_boot.vm_dir, L"vm.conf", OBJN_SRC_VM);
    objname_rules_use(&g_rules);
    if (entered)
        layer_leave();
    SetLastError(err);
}

int obj_init(void)
{
    HMODULE nt = GetModuleHandleW(L"ntdll.dll");
    if (!nt)
        return -1;
    load_rules();
    for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++) {
        if (hooks[i].optional && !GetProcAddress(nt, hooks[i].name))
            continue;
        if (layer_hook(L"ntdll.dll", hooks[i].name, hooks[i].detour, &real[hooks[i].id]))
            return -1;
    }
    if (layer_hook(L"ntdll.dll", "NtFsControlFile", (void *)hk_fs_control,
                   (void **)&real_fs_control))
        return -1;
    if (layer_hook(L"ntdll.dll", "NtQueryDirectoryObject", (void *)hk_query_dir,
                   (void **)&real_query_dir))
        return -1;
    return 0;
}
