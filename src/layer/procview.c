/* Processes: isolation. A VM process sees and touches only the processes
 * of its own VM: the members of the VM's job (g_job). See docs/ns-procview.md.
 *
 *  - NtOpenProcess / NtOpenThread: the real call, then the opened process
 *    (a thread's: its owner) must be in the job; else the handle is closed
 *    and the call fails with STATUS_INVALID_CID (for the VM, no such
 *    process or thread exists).
 *  - Calls that act on a process or thread through a handle obtained some
 *    other way (inherited, duplicated in from outside): memory, threads,
 *    APCs, contexts, suspend/resume/terminate, debugging, settings. A
 *    handle to a process outside the VM: STATUS_ACCESS_DENIED. The
 *    pseudo-handles (NtCurrentProcess, NtCurrentThread) and 0 cost one
 *    compare and go straight to the original.
 *  - NtDuplicateObject (through dispatch.c): both processes in the VM.
 *  - NtQuerySystemInformation(Ex): the process lists (classes 5, 53, 57,
 *    148) and the handle tables (16, 64) are filtered down to the VM's
 *    processes (src/core/procfilter.c); a process-id query (88) of a
 *    process outside fails with STATUS_INVALID_CID.
 *  - NtGetNextProcess (Windows only) skips processes outside; NtGetNextThread
 *    needs a process inside.
 *
 * When the layer cannot tell where a process is, the call is refused. */
#include "layer.h"
#include "dispatch.h"
#include "procfilter.h"

#include <winternl.h>

#define ST_ACCESS_DENIED ((NTSTATUS)0xC0000022L)
#define ST_INVALID_CID ((NTSTATUS)0xC000000BL)
#define ST_NO_MEMORY ((NTSTATUS)0xC0000017L)
#define ST_INTERNAL_ERROR ((NTSTATUS)0xC00000E5L)
#define ST_NO_MORE_ENTRIES ((NTSTATUS)0x8000001AL)
#define ST_PROCESS_NOT_IN_JOB ((NTSTATUS)0x00000123L)
#define ST_PROCESS_IN_JOB ((NTSTATUS)0x00000124L)

#define NT_CURRENT_PROCESS ((HANDLE)(LONG_PTR)-1)
#define NT_CURRENT_THREAD ((HANDLE)(LONG_PTR)-2)

#define CLS_PROCESS 5
#define CLS_HANDLE 16
#define CLS_SESSION_PROCESS 53
#define CLS_EXTENDED_PROCESS 57
#define CLS_EXTENDED_HANDLE 64
#define CLS_PROCESS_ID 88
#define CLS_FULL_PROCESS 148

#define JOB_PID_LIST 3          /* JobObjectBasicProcessIdList */
#define THREAD_BASIC_INFO 0     /* ThreadBasicInformation */
#define PROCESS_BASIC_INFO 0    /* ProcessBasicInformation */

typedef struct cid_t {
    HANDLE process, thread;
} cid_t;

typedef struct thread_basic {
    NTSTATUS exit_status;
    PVOID teb;
    cid_t cid;
    ULONG_PTR affinity;
    LONG priority, base_priority;
} thread_basic;

typedef struct process_basic {
    NTSTATUS exit_status;
    PVOID peb;
    ULONG_PTR affinity;
    LONG base_priority;
    ULONG_PTR pid, ppid;
} process_basic;

typedef struct session_process {
    ULONG session;
    ULONG size;
    PVOID buffer;
} session_process;

typedef struct process_id_info {
    HANDLE pid;
    UNICODE_STRING name;
} process_id_info;

/* --- originals ------------------------------------------------------------- */
typedef NTSTATUS(NTAPI *open_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, cid_t *);
typedef NTSTATUS(NTAPI *rw_vm_fn)(HANDLE, PVOID, PVOID, SIZE_T, PSIZE_T);
typedef NTSTATUS(NTAPI *alloc_vm_fn)(HANDLE, PVOID *, ULONG_PTR, PSIZE_T, ULONG, ULONG);
typedef NTSTATUS(NTAPI *alloc_vm_ex_fn)(HANDLE, PVOID *, PSIZE_T, ULONG, ULONG, PVOID, ULONG);
typedef NTSTATUS(NTAPI *free_vm_fn)(HANDLE, PVOID *, PSIZE_T, ULONG);
typedef NTSTATUS(NTAPI *protect_vm_fn)(HANDLE, PVOID *, PSIZE_T, ULONG, PULONG);
typedef NTSTATUS(NTAPI *map_view_fn)(HANDLE, HANDLE, PVOID *, ULONG_PTR, SIZE_T,
                                      PLARGE_INTEGER, PSIZE_T, ULONG, ULONG, ULONG);
typedef NTSTATUS(NTAPI *map_view_ex_fn)(HANDLE, HANDLE, PVOID *, PLARGE_INTEGER, PSIZE_T, ULONG,
                                         ULONG, PVOID, ULONG);
typedef NTSTATUS(NTAPI *unmap_fn)(HANDLE, PVOID);
typedef NTSTATUS(NTAPI *unmap_ex_fn)(HANDLE, PVOID, ULONG);
typedef NTSTATUS(NTAPI *create_thread_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, HANDLE,
                                           PVOID, PVOID, PVOID, BOOLEAN);
typedef NTSTATUS(NTAPI *create_thread_ex_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, HANDLE,
                                              PVOID, PVOID, ULONG, SIZE_T, SIZE_T, SIZE_T,
                                              PVOID);
typedef NTSTATUS(NTAPI *handle_fn)(HANDLE);
typedef NTSTATUS(NTAPI *handle_status_fn)(HANDLE, NTSTATUS);
typedef NTSTATUS(NTAPI *handle_pulong_fn)(HANDLE, PULONG);
typedef NTSTATUS(NTAPI *handle_handle_fn)(HANDLE, HANDLE);
typedef NTSTATUS(NTAPI *set_info_fn)(HANDLE, ULONG, PVOID, ULONG);
typedef NTSTATUS(NTAPI *query_info_fn)(HANDLE, ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS(NTAPI *queue_apc_fn)(HANDLE, PVOID, PVOID, PVOID, PVOID);
typedef NTSTATUS(NTAPI *context_fn)(HANDLE, PCONTEXT);
typedef NTSTATUS(NTAPI *next_process_fn)(HANDLE, ACCESS_MASK, ULONG, ULONG, PHANDLE);
typedef NTSTATUS(NTAPI *next_thread_fn)(HANDLE, HANDLE, ACCESS_MASK, ULONG, ULONG, PHANDLE);
typedef NTSTATUS(NTAPI *qsi_fn)(ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS(NTAPI *qsi_ex_fn)(ULONG, PVOID, ULONG, PVOID, ULONG, PULONG);

static open_fn real_open_process, real_open_thread;
static rw_vm_fn real_write_vm, real_read_vm;
static alloc_vm_fn real_alloc_vm;
static alloc_vm_ex_fn real_alloc_vm_ex;
static free_vm_fn real_free_vm;
static protect_vm_fn real_protect_vm;
static map_view_fn real_map_view;
static map_view_ex_fn real_map_view_ex;
static unmap_fn real_unmap;
static unmap_ex_fn real_unmap_ex;
static create_thread_fn real_create_thread;
static create_thread_ex_fn real_create_thread_ex;
static handle_fn real_suspend_process, real_resume_process;
static handle_status_fn real_terminate_process, real_terminate_thread;
static handle_pulong_fn real_suspend_thread, real_resume_thread, real_alert_resume_thread;
static handle_handle_fn real_debug_active;
static set_info_fn real_set_info_process, real_set_info_thread;
static queue_apc_fn real_queue_apc;
static context_fn real_set_context, real_get_context;
static next_process_fn real_next_process;
static next_thread_fn real_next_thread;
static qsi_fn real_qsi;
static qsi_ex_fn real_qsi_ex;

/* Not hooked: the layer's own questions. */
static handle_handle_fn nt_is_process_in_job;
static query_info_fn nt_query_thread, nt_query_job;

static ULONG_PTR g_self_pid;

/* --- where a process is -------------------------------------------------------
 * The job's process-id list, into a stack buffer or, for a big VM, the heap. */
#define PIDS_ON_STACK 256

typedef struct pid_list {
    ULONG assigned, count;
    ULONG_PTR *ids;
    void *heap;                 /* to free, or NULL */
    struct {
        ULONG assigned, count;
        ULONG_PTR ids[PIDS_ON_STACK];
    } local;
} pid_list;

/* 0, or an NTSTATUS to refuse with. */
static NTSTATUS pids_get(pid_list *l)
{
    l->heap = NULL;
    ULONG cap = PIDS_ON_STACK;
    void *buf = &l->local;
    for (int tries = 0; tries < 6; tries++) {
        ULONG size = (ULONG)(2 * sizeof(ULONG) + cap * sizeof(ULONG_PTR));
        NTSTATUS st = nt_query_job(g_job, JOB_PID_LIST, buf, size, NULL);
        ULONG *head = (ULONG *)buf;
        /* Windows says STATUS_MORE_ENTRIES (a success) when the list is cut;
         * either way the counts tell. */
        if (st >= 0 && head[1] >= head[0]) {
            l->assigned = head[0];
            l->count = head[1];
            l->ids = (ULONG_PTR *)(head + 2);
            return 0;
        }
        if (st < 0 && st != (NTSTATUS)0x80000005L /* BUFFER_OVERFLOW */ &&
            st != (NTSTATUS)0xC0000023L /* BUFFER_TOO_SMALL */ &&
            st != (NTSTATUS)0xC0000004L /* INFO_LENGTH_MISMATCH */)
            return st;
        ULONG want = (st >= 0 ? head[0] : cap * 2) + 64;
        if (l->heap)
            HeapFree(GetProcessHeap(), 0, l->heap);
        cap = want;
        l->heap = buf = HeapAlloc(GetProcessHeap(), 0, 2 * sizeof(ULONG) + cap * sizeof(ULONG_PTR));
        if (!buf)
            return ST_NO_MEMORY;
    }
    return ST_INTERNAL_ERROR;
}

static void pids_free(pid_list *l)
{
    if (l->heap)
        HeapFree(GetProcessHeap(), 0, l->heap);
    l->heap = NULL;
}

static int pids_has(const pid_list *l, uint64_t pid)
{
    for (ULONG i = 0; i < l->count; i++)
        if (l->ids[i] == pid)
            return 1;
    return 0;
}

static int keep_pid(uint64_t pid, void *ctx)
{
    return pids_has((const pid_list *)ctx, pid);
}

/* STATUS_SUCCESS when process `pid` is in the VM, ST_PROCESS_NOT_IN_JOB
 * when not, another status when it cannot be told. Inside the layer. */
static NTSTATUS pid_check(ULONG_PTR pid)
{
    if (pid == g_self_pid)
        return 0;
    pid_list l;
    NTSTATUS st = pids_get(&l);
    if (st == 0)
        st = pids_has(&l, pid) ? 0 : ST_PROCESS_NOT_IN_JOB;
    pids_free(&l);
    return st;
}

/* Reopens h in this process with `access` (the layer's question needs a
 * right the caller's handle may lack), or NULL. */
static HANDLE with_access(HANDLE h, ACCESS_MASK access)
{
    HANDLE q = NULL;
    if (nt_duplicate_original(NT_CURRENT_PROCESS, h, NT_CURRENT_PROCESS, &q, access, 0, 0) < 0)
        return NULL;
    return q;
}

/* Is the process behind handle h in the VM? As pid_check. Inside the layer. */
static NTSTATUS handle_check(HANDLE h)
{
    NTSTATUS st = nt_is_process_in_job(h, g_job);
    if (st == ST_ACCESS_DENIED) {
        /* The caller's handle may lack the query right: ask through a copy
         * with it. Windows wants PROCESS_QUERY_LIMITED_INFORMATION; Wine's
         * server checks PROCESS_QUERY_INFORMATION, hence the second try. */
        static const ACCESS_MASK rights[] = { PROCESS_QUERY_LIMITED_INFORMATION,
                                              PROCESS_QUERY_INFORMATION };
        for (size_t i = 0; i < 2 && st == ST_ACCESS_DENIED; i++) {
            HANDLE q = with_access(h, rights[i]);
            if (q) {
                st = nt_is_process_in_job(q, g_job);
                nt_close_original(q);
            }
        }
    }
    if (st == ST_PROCESS_IN_JOB)
        return 0;
    if (st == ST_PROCESS_NOT_IN_JOB)
        return st;
    return st < 0 ? st : ST_INTERNAL_ERROR;
}

/* The process id of thread handle h, or 0 with *st set. */
static ULONG_PTR thread_pid(HANDLE h, NTSTATUS *st)
{
    thread_basic tb;
    *st = nt_query_thread(h, THREAD_BASIC_INFO, &tb, sizeof tb, NULL);
    if (*st == ST_ACCESS_DENIED) {
        static const ACCESS_MASK rights[] = { THREAD_QUERY_LIMITED_INFORMATION,
                                              THREAD_QUERY_INFORMATION };
        for (size_t i = 0; i < 2 && *st == ST_ACCESS_DENIED; i++) {
            HANDLE q = with_access(h, rights[i]);
            if (q) {
                *st = nt_query_thread(q, THREAD_BASIC_INFO, &tb, sizeof tb, NULL);
                nt_close_original(q);
            }
        }
    }
    if (*st < 0)
        return 0;
    if (!tb.cid.process)
        *st = ST_INTERNAL_ERROR;
    return (ULONG_PTR)tb.cid.process;
}

static NTSTATUS thread_check(HANDLE h)
{
    NTSTATUS st;
    ULONG_PTR pid = thread_pid(h, &st);
    return pid ? pid_check(pid) : st;
}

/* The refusal for a handle the check did not pass: outside the VM is
 * ACCESS_DENIED; a handle that is no process or thread keeps the status
 * the question got (the call would have failed on it anyway). */
static NTSTATUS refusal(NTSTATUS check)
{
    if (check == ST_PROCESS_NOT_IN_JOB || check >= 0)
        return ST_ACCESS_DENIED;
    return check;
}

/* 0 when a call on process handle h may go on, else the status to fail
 * with. The pseudo-handle and 0 (both "this process" where a call takes
 * them) never get here: see GATE_PROCESS. */
static NTSTATUS process_gate(HANDLE h)
{
    if (!layer_enter())
        return 0;
    NTSTATUS st = handle_check(h);
    layer_leave();
    return st ? refusal(st) : 0;
}

static NTSTATUS thread_gate(HANDLE h)
{
    if (!layer_enter())
        return 0;
    NTSTATUS st = thread_check(h);
    layer_leave();
    return st ? refusal(st) : 0;
}

/* The zero-cost path first: this process's own pseudo-handle (and 0,
 * which NtTerminateProcess/NtTerminateThread read as "this one"). */
#define GATE_PROCESS(h)                                                   \
    do {                                                                  \
        if ((h) != NT_CURRENT_PROCESS && (h) != NULL && !layer_inside()) { \
            NTSTATUS gate_ = process_gate(h);                             \
            if (gate_)                                                    \
                return gate_;                                             \
        }                                                                 \
    } while (0)

#define GATE_THREAD(h)                                                    \
    do {                                                                  \
        if ((h) != NT_CURRENT_THREAD && (h) != NULL && !layer_inside()) {  \
            NTSTATUS gate_ = thread_gate(h);                              \
            if (gate_)                                                    \
                return gate_;                                             \
        }                                                                 \
    } while (0)

/* --- opening --------------------------------------------------------------------- */
static NTSTATUS NTAPI hk_open_process(PHANDLE ph, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                      cid_t *cid)
{
    NTSTATUS st = real_open_process(ph, acc, oa, cid);
    if (st < 0 || layer_inside())
        return st;
    /* The original read *cid and wrote *ph: both are good memory. */
    if (cid && (ULONG_PTR)cid->process == g_self_pid)
        return st;
    if (!layer_enter())
        return st;
    HANDLE h = *ph;
    NTSTATUS check = handle_check(h);
    if (check) {
        nt_close_original(h);
        *ph = NULL;
        st = check == ST_PROCESS_NOT_IN_JOB ? ST_INVALID_CID : refusal(check);
    }
    layer_leave();
    return st;
}

static NTSTATUS NTAPI hk_open_thread(PHANDLE ph, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                     cid_t *cid)
{
    NTSTATUS st = real_open_thread(ph, acc, oa, cid);
    if (st < 0 || layer_inside() || !layer_enter())
        return st;
    HANDLE h = *ph;
    NTSTATUS check = thread_check(h);
    if (check) {
        nt_close_original(h);
        *ph = NULL;
        st = check == ST_PROCESS_NOT_IN_JOB ? ST_INVALID_CID : refusal(check);
    }
    layer_leave();
    return st;
}

/* --- acting on a process through a handle -------------------------------------------- */
static NTSTATUS NTAPI hk_write_vm(HANDLE p, PVOID a, PVOID b, SIZE_T n, PSIZE_T done)
{
    GATE_PROCESS(p);
    return real_write_vm(p, a, b, n, done);
}

static NTSTATUS NTAPI hk_read_vm(HANDLE p, PVOID a, PVOID b, SIZE_T n, PSIZE_T done)
{
    GATE_PROCESS(p);
    return real_read_vm(p, a, b, n, done);
}

static NTSTATUS NTAPI hk_alloc_vm(HANDLE p, PVOID *a, ULONG_PTR z, PSIZE_T n, ULONG t, ULONG pr)
{
    GATE_PROCESS(p);
    return real_alloc_vm(p, a, z, n, t, pr);
}

static NTSTATUS NTAPI hk_alloc_vm_ex(HANDLE p, PVOID *a, PSIZE_T n, ULONG t, ULONG pr, PVOID x,
                                     ULONG c)
{
    GATE_PROCESS(p);
    return real_alloc_vm_ex(p, a, n, t, pr, x, c);
}

static NTSTATUS NTAPI hk_free_vm(HANDLE p, PVOID *a, PSIZE_T n, ULONG t)
{
    GATE_PROCESS(p);
    return real_free_vm(p, a, n, t);
}

static NTSTATUS NTAPI hk_protect_vm(HANDLE p, PVOID *a, PSIZE_T n, ULONG pr, PULONG old)
{
    GATE_PROCESS(p);
    return real_protect_vm(p, a, n, pr, old);
}

static NTSTATUS NTAPI hk_map_view(HANDLE s, HANDLE p, PVOID *a, ULONG_PTR z, SIZE_T c,
                                  PLARGE_INTEGER o, PSIZE_T n, ULONG i, ULONG t, ULONG pr)
{
    GATE_PROCESS(p);
    return real_map_view(s, p, a, z, c, o, n, i, t, pr);
}

static NTSTATUS NTAPI hk_map_view_ex(HANDLE s, HANDLE p, PVOID *a, PLARGE_INTEGER o, PSIZE_T n,
                                     ULONG t, ULONG pr, PVOID x, ULONG c)
{
    GATE_PROCESS(p);
    return real_map_view_ex(s, p, a, o, n, t, pr, x, c);
}

static NTSTATUS NTAPI hk_unmap(HANDLE p, PVOID a)
{
    GATE_PROCESS(p);
    return real_unmap(p, a);
}

static NTSTATUS NTAPI hk_unmap_ex(HANDLE p, PVOID a, ULONG f)
{
    GATE_PROCESS(p);
    return real_unmap_ex(p, a, f);
}

static NTSTATUS NTAPI hk_create_thread(PHANDLE th, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                       HANDLE p, PVOID cid, PVOID ctx, PVOID teb, BOOLEAN susp)
{
    GATE_PROCESS(p);
    return real_create_thread(th, acc, oa, p, cid, ctx, teb, susp);
}

static NTSTATUS NTAPI hk_create_thread_ex(PHANDLE th, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                          HANDLE p, PVOID start, PVOID arg, ULONG flags,
                                          SIZE_T zero, SIZE_T stack, SIZE_T max, PVOID attrs)
{
    GATE_PROCESS(p);
    return real_create_thread_ex(th, acc, oa, p, start, arg, flags, zero, stack, max, attrs);
}

static NTSTATUS NTAPI hk_suspend_process(HANDLE p)
{
    GATE_PROCESS(p);
    return real_suspend_process(p);
}

static NTSTATUS NTAPI hk_resume_process(HANDLE p)
{
    GATE_PROCESS(p);
    return real_resume_process(p);
}

static NTSTATUS NTAPI hk_terminate_process(HANDLE p, NTSTATUS code)
{
    GATE_PROCESS(p);
    return real_terminate_process(p, code);
}

static NTSTATUS NTAPI hk_set_info_process(HANDLE p, ULONG cls, PVOID b, ULONG n)
{
    GATE_PROCESS(p);
    return real_set_info_process(p, cls, b, n);
}

static NTSTATUS NTAPI hk_debug_active(HANDLE p, HANDLE dbg)
{
    GATE_PROCESS(p);
    return real_debug_active(p, dbg);
}

/* --- acting on a thread through a handle ----------------------------------------------- */
static NTSTATUS NTAPI hk_queue_apc(HANDLE t, PVOID fn, PVOID a, PVOID b, PVOID c)
{
    GATE_THREAD(t);
    return real_queue_apc(t, fn, a, b, c);
}

static NTSTATUS NTAPI hk_set_context(HANDLE t, PCONTEXT c)
{
    GATE_THREAD(t);
    return real_set_context(t, c);
}

static NTSTATUS NTAPI hk_get_context(HANDLE t, PCONTEXT c)
{
    GATE_THREAD(t);
    return real_get_context(t, c);
}

static NTSTATUS NTAPI hk_suspend_thread(HANDLE t, PULONG n)
{
    GATE_THREAD(t);
    return real_suspend_thread(t, n);
}

static NTSTATUS NTAPI hk_resume_thread(HANDLE t, PULONG n)
{
    GATE_THREAD(t);
    return real_resume_thread(t, n);
}

static NTSTATUS NTAPI hk_alert_resume_thread(HANDLE t, PULONG n)
{
    GATE_THREAD(t);
    return real_alert_resume_thread(t, n);
}

static NTSTATUS NTAPI hk_terminate_thread(HANDLE t, NTSTATUS code)
{
    GATE_THREAD(t);
    return real_terminate_thread(t, code);
}

static NTSTATUS NTAPI hk_set_info_thread(HANDLE t, ULONG cls, PVOID b, ULONG n)
{
    GATE_THREAD(t);
    return real_set_info_thread(t, cls, b, n);
}

/* --- duplication (dispatch.c's NtDuplicateObject hook asks first) ------------------------ */
int procview_duplicate(HANDLE sp, HANDLE sh, HANDLE tp, NTSTATUS *st)
{
    (void)sh;
    int self_s = sp == NT_CURRENT_PROCESS, self_t = tp == NT_CURRENT_PROCESS || tp == NULL;
    if (self_s && self_t)
        return 0;
    if (!layer_enter())
        return 0;
    NTSTATUS check = 0;
    if (!self_s)
        check = handle_check(sp);
    if (!check && !self_t)
        check = handle_check(tp);
    layer_leave();
    if (!check)
        return 0;
    *st = refusal(check);
    return 1;
}

/* --- enumeration ------------------------------------------------------------------------ */
static NTSTATUS NTAPI hk_next_process(HANDLE p, ACCESS_MASK acc, ULONG attrs, ULONG flags,
                                      PHANDLE next)
{
    if (layer_inside())
        return real_next_process(p, acc, attrs, flags, next);
    HANDLE cur = p, own = NULL;
    for (;;) {
        HANDLE n = NULL;
        NTSTATUS st = real_next_process(cur, acc, attrs, flags, &n);
        if (own)
            nt_close_original(own);
        if (st < 0)
            return st;
        if (!layer_enter()) {
            *next = n;
            return st;
        }
        NTSTATUS check = handle_check(n);
        layer_leave();
        if (!check) {
            *next = n;
            return st;
        }
        if (check != ST_PROCESS_NOT_IN_JOB) {
            nt_close_original(n);
            return refusal(check);
        }
        cur = own = n;      /* skip it: go on from there */
    }
}

static NTSTATUS NTAPI hk_next_thread(HANDLE p, HANDLE t, ACCESS_MASK acc, ULONG attrs,
                                     ULONG flags, PHANDLE next)
{
    GATE_PROCESS(p);
    return real_next_thread(p, t, acc, attrs, flags, next);
}

static int is_filtered_class(ULONG cls)
{
    return cls == CLS_PROCESS || cls == CLS_EXTENDED_PROCESS || cls == CLS_FULL_PROCESS ||
           cls == CLS_SESSION_PROCESS || cls == CLS_HANDLE || cls == CLS_EXTENDED_HANDLE ||
           cls == CLS_PROCESS_ID;
}

/* After the original succeeded: filters buf (len bytes, *used of them
 * filled) for class cls. Returns the status to give the caller. Inside the
 * layer. */
static NTSTATUS filter(ULONG cls, PVOID buf, ULONG len, ULONG *used)
{
    if (cls == CLS_PROCESS_ID) {
        process_id_info *pi = buf;
        NTSTATUS check = pid_check((ULONG_PTR)pi->pid);
        if (!check)
            return 0;
        if (pi->name.Buffer && pi->name.Length)
            memset(pi->name.Buffer, 0, pi->name.Length);
        pi->name.Length = 0;
        return check == ST_PROCESS_NOT_IN_JOB ? ST_INVALID_CID : refusal(check);
    }
    uint8_t *data = buf;
    size_t n = *used && *used <= len ? *used : len;
    if (cls == CLS_SESSION_PROCESS) {
        /* SYSTEM_SESSION_PROCESS_INFORMATION: the list is in its Buffer. */
        session_process *sp = buf;
        data = sp->buffer;
        n = *used && *used <= sp->size ? *used : sp->size;
    }
    pid_list l;
    NTSTATUS st = pids_get(&l);
    if (st)
        return st;
    size_t r;
    if (cls == CLS_HANDLE)
        r = pf_filter_table(data, n, &pf_handle_table, keep_pid, &l);
    else if (cls == CLS_EXTENDED_HANDLE)
        r = pf_filter_table(data, n, &pf_handle_table_ex, keep_pid, &l);
    else
        r = pf_filter_procs(data, n, keep_pid, &l);
    pids_free(&l);
    if (r == PF_BAD || r == 0) {
        /* Cannot be filtered safely (or nothing of the VM in it, which a
         * list that includes the caller never is): nothing leaks. */
        memset(data, 0, n);
        return ST_ACCESS_DENIED;
    }
    *used = (ULONG)r;
    return 0;
}

static NTSTATUS NTAPI hk_qsi(ULONG cls, PVOID buf, ULONG len, PULONG ret)
{
    if (!is_filtered_class(cls) || layer_inside())
        return real_qsi(cls, buf, len, ret);
    ULONG mine = 0;
    PULONG r = ret ? ret : &mine;
    NTSTATUS st = real_qsi(cls, buf, len, r);
    if (st < 0 || !buf || !layer_enter())
        return st;
    ULONG used = *r;
    NTSTATUS fs = filter(cls, buf, len, &used);
    layer_leave();
    if (fs)
        return fs;
    if (cls != CLS_PROCESS_ID)
        *r = used;
    return st;
}

static NTSTATUS NTAPI hk_qsi_ex(ULONG cls, PVOID in, ULONG in_len, PVOID buf, ULONG len,
                                PULONG ret)
{
    if (!is_filtered_class(cls) || layer_inside())
        return real_qsi_ex(cls, in, in_len, buf, len, ret);
    ULONG mine = 0;
    PULONG r = ret ? ret : &mine;
    NTSTATUS st = real_qsi_ex(cls, in, in_len, buf, len, r);
    if (st < 0 || !buf || !layer_enter())
        return st;
    ULONG used = *r;
    NTSTATUS fs = filter(cls, buf, len, &used);
    layer_leave();
    if (fs)
        return fs;
    if (cls != CLS_PROCESS_ID)
        *r = used;
    return st;
}

/* --- install ------------------------------------------------------------------------------ */
typedef struct hook_def {
    const char *name;
    void *detour;
    void **orig;
    int optional;       /* absent under Wine 8: hooked where present */
} hook_def;

int procview_init(void)
{
    HMODULE nt = GetModuleHandleW(L"ntdll.dll");
    nt_is_process_in_job = (handle_handle_fn)(void *)GetProcAddress(nt, "NtIsProcessInJob");
    nt_query_thread = (query_info_fn)(void *)GetProcAddress(nt, "NtQueryInformationThread");
    nt_query_job = (query_info_fn)(void *)GetProcAddress(nt, "NtQueryInformationJobObject");
    if (!nt_is_process_in_job || !nt_query_thread || !nt_query_job) {
        layer_error("procview", "ntdll lacks NtIsProcessInJob, NtQueryInformationThread "
                                "or NtQueryInformationJobObject");
        return -1;
    }
    g_self_pid = GetCurrentProcessId();

    static const hook_def hooks[] = {
        { "NtOpenProcess", (void *)hk_open_process, (void **)&real_open_process, 0 },
        { "NtOpenThread", (void *)hk_open_thread, (void **)&real_open_thread, 0 },
        { "NtWriteVirtualMemory", (void *)hk_write_vm, (void **)&real_write_vm, 0 },
        { "NtReadVirtualMemory", (void *)hk_read_vm, (void **)&real_read_vm, 0 },
        { "NtAllocateVirtualMemory", (void *)hk_alloc_vm, (void **)&real_alloc_vm, 0 },
        { "NtAllocateVirtualMemoryEx", (void *)hk_alloc_vm_ex, (void **)&real_alloc_vm_ex, 1 },
        { "NtFreeVirtualMemory", (void *)hk_free_vm, (void **)&real_free_vm, 0 },
        { "NtProtectVirtualMemory", (void *)hk_protect_vm, (void **)&real_protect_vm, 0 },
        { "NtMapViewOfSection", (void *)hk_map_view, (void **)&real_map_view, 0 },
        { "NtMapViewOfSectionEx", (void *)hk_map_view_ex, (void **)&real_map_view_ex, 1 },
        { "NtUnmapViewOfSection", (void *)hk_unmap, (void **)&real_unmap, 0 },
        { "NtUnmapViewOfSectionEx", (void *)hk_unmap_ex, (void **)&real_unmap_ex, 1 },
        { "NtCreateThread", (void *)hk_create_thread, (void **)&real_create_thread, 1 },
        { "NtCreateThreadEx", (void *)hk_create_thread_ex, (void **)&real_create_thread_ex, 0 },
        { "NtSuspendProcess", (void *)hk_suspend_process, (void **)&real_suspend_process, 0 },
        { "NtResumeProcess", (void *)hk_resume_process, (void **)&real_resume_process, 0 },
        { "NtTerminateProcess", (void *)hk_terminate_process, (void **)&real_terminate_process, 0 },
        { "NtSetInformationProcess", (void *)hk_set_info_process, (void **)&real_set_info_process, 0 },
        { "NtDebugActiveProcess", (void *)hk_debug_active, (void **)&real_debug_active, 0 },
        { "NtQueueApcThread", (void *)hk_queue_apc, (void **)&real_queue_apc, 0 },
        { "NtSetContextThread", (void *)hk_set_context, (void **)&real_set_context, 0 },
        { "NtGetContextThread", (void *)hk_get_context, (void **)&real_get_context, 0 },
        { "NtSuspendThread", (void *)hk_suspend_thread, (void **)&real_suspend_thread, 0 },
        { "NtResumeThread", (void *)hk_resume_thread, (void **)&real_resume_thread, 0 },
        { "NtAlertResumeThread", (void *)hk_alert_resume_thread, (void **)&real_alert_resume_thread, 1 },
        { "NtTerminateThread", (void *)hk_terminate_thread, (void **)&real_terminate_thread, 0 },
        { "NtSetInformationThread", (void *)hk_set_info_thread, (void **)&real_set_info_thread, 0 },
        { "NtGetNextProcess", (void *)hk_next_process, (void **)&real_next_process, 1 },
        { "NtGetNextThread", (void *)hk_next_thread, (void **)&real_next_thread, 1 },
        { "NtQuerySystemInformation", (void *)hk_qsi, (void **)&real_qsi, 0 },
        { "NtQuerySystemInformationEx", (void *)hk_qsi_ex, (void **)&real_qsi_ex, 1 },
    };
    for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++) {
        if (hooks[i].optional && !GetProcAddress(nt, hooks[i].name))
            continue;
        if (layer_hook(L"ntdll.dll", hooks[i].name, hooks[i].detour, hooks[i].orig))
            return -1;
    }
    return 0;
}
