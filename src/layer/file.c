/* Files: copy-on-write (docs/ns-file.md).
 *
 * Every named open of a local disk path is reduced to its virtual form
 * (src/core/ntpath.h) and looked up:
 *   private copy <vm>\files\X\path exists     -> open it
 *   path or an ancestor marked deleted        -> not found (or create it privately)
 *   else the host path                        -> copied up first when the open
 *                                                could change it; new files are
 *                                                created in the store only
 * Handles opened to the store, and directory handles, are in the handle
 * table with their virtual name, for names, listings and relative opens.
 * The store itself (%PLUME_ROOT%) is invisible from the VM. */
#include "layer.h"
#include "dispatch.h"
#include "htab.h"
#include "ntpath.h"
#include "dirmerge.h"
#include "forigin.h"
#include "pathset.h"

#include <winternl.h>

#ifndef STATUS_OBJECT_NAME_NOT_FOUND
#define STATUS_OBJECT_NAME_NOT_FOUND ((NTSTATUS)0xC0000034L)
#endif
#define ST_ACCESS_DENIED ((NTSTATUS)0xC0000022L)
#define ST_NAME_NOT_FOUND ((NTSTATUS)0xC0000034L)
#define ST_PATH_NOT_FOUND ((NTSTATUS)0xC000003AL)
#define ST_NAME_COLLISION ((NTSTATUS)0xC0000035L)
#define ST_NAME_INVALID ((NTSTATUS)0xC0000033L)
#define ST_NO_MEMORY ((NTSTATUS)0xC0000017L)
#define ST_DISK_FULL ((NTSTATUS)0xC000007FL)
#define ST_NOT_EMPTY ((NTSTATUS)0xC0000101L)
#define ST_NO_MORE_FILES ((NTSTATUS)0x80000006L)
#define ST_NO_SUCH_FILE ((NTSTATUS)0xC000000FL)
#define ST_BUFFER_OVERFLOW ((NTSTATUS)0x80000005L)
#define ST_INFO_LENGTH_MISMATCH ((NTSTATUS)0xC0000004L)
#define ST_INVALID_INFO_CLASS ((NTSTATUS)0xC0000003L)
#define ST_NOT_A_DIRECTORY ((NTSTATUS)0xC0000103L)
#define ST_FILE_IS_A_DIRECTORY ((NTSTATUS)0xC00000BAL)
#define ST_NOT_SAME_DEVICE ((NTSTATUS)0xC00000D4L)

#define O_DIRECTORY 0x00000001u
#define O_SYNC_NONALERT 0x00000020u
#define O_NON_DIRECTORY 0x00000040u
#define O_DELETE_ON_CLOSE 0x00001000u
#define O_BY_FILE_ID 0x00002000u
#define O_BACKUP 0x00004000u
#define O_REPARSE 0x00200000u

#define D_SUPERSEDE 0
#define D_OPEN 1
#define D_CREATE 2
#define D_OPEN_IF 3
#define D_OVERWRITE 4
#define D_OVERWRITE_IF 5

#define C_DIRECTORY 1
#define C_FULLDIR 2
#define C_BOTHDIR 3
#define C_BASIC 4
#define C_ALLOCATION 19
#define C_EOF 20
#define C_VALID_DATA 39
#define C_NAME 9
#define C_RENAME 10
#define C_LINK 11
#define C_NAMES 12
#define C_DISPOSITION 13
#define C_ALL 18
#define C_IDBOTHDIR 37
#define C_IDFULLDIR 38
#define C_NORMALIZED 48
#define C_DISPOSITION_EX 64
#define C_RENAME_EX 65
#define C_LINK_EX 72

/* htab flags of HT_FILE entries */
#define FH_STORE 0x1u   /* the handle is to the store (real = the store path) */
#define FH_VDEL 0x2u    /* a host handle opened for a virtual delete/rename */

/* ---------------------------------------------------------------- originals */
typedef NTSTATUS(NTAPI *qattr_fn)(POBJECT_ATTRIBUTES, PVOID);
typedef NTSTATUS(NTAPI *qdir_fn)(HANDLE, HANDLE, PIO_APC_ROUTINE, PVOID, PIO_STATUS_BLOCK,
                                 PVOID, ULONG, ULONG, BOOLEAN, PUNICODE_STRING, BOOLEAN);
typedef NTSTATUS(NTAPI *qinfo_fn)(HANDLE, PIO_STATUS_BLOCK, PVOID, ULONG, ULONG);
typedef NTSTATUS(NTAPI *rw_fn)(HANDLE, HANDLE, PIO_APC_ROUTINE, PVOID, PIO_STATUS_BLOCK, PVOID,
                               ULONG, PLARGE_INTEGER, PULONG);
typedef NTSTATUS(NTAPI *loaddrv_fn)(PUNICODE_STRING);
typedef NTSTATUS(NTAPI *setev_fn)(HANDLE, PLONG);

static qattr_fn real_qattr, real_qfattr;
static qdir_fn real_qdir;
typedef NTSTATUS(NTAPI *qdirex_fn)(HANDLE, HANDLE, PIO_APC_ROUTINE, PVOID, PIO_STATUS_BLOCK,
                                   PVOID, ULONG, ULONG, ULONG, PUNICODE_STRING);
static qdirex_fn real_qdirex;
static qinfo_fn real_qinfo, real_sinfo;
static loaddrv_fn real_loaddrv;
static rw_fn nt_read, nt_write;
static setev_fn nt_set_event;

/* ------------------------------------------------------------------ state */
static int g_on;
static ntp_volmap g_vol;
#define ROOTMAX 600
static uint16_t g_files[ROOTMAX], g_del[ROOTMAX], g_orig[ROOTMAX];
static size_t g_files_len, g_del_len, g_orig_len, g_vmdir_len;
static uint16_t g_hide[2][ROOTMAX];
static size_t g_hide_len[2];
static volatile LONG g_tmp_seq;

/* ---------------------------------------------------------- small helpers */
static void *xalloc(size_t n)
{
    return HeapAlloc(GetProcessHeap(), 0, n);
}

static void xfree(void *p)
{
    if (p)
        HeapFree(GetProcessHeap(), 0, p);
}

/* A path buffer: on the stack when short, else on the heap. */
#define PB_INLINE 512
typedef struct pbuf {
    uint16_t *s;
    size_t n, cap;
    uint16_t inl[PB_INLINE];
} pbuf;

static int pb_init(pbuf *b, size_t cap)
{
    b->n = 0;
    if (cap <= PB_INLINE) {
        b->s = b->inl;
        b->cap = PB_INLINE;
        return 1;
    }
    if (cap > NTP_MAX)
        cap = NTP_MAX;
    b->s = xalloc(cap * sizeof(uint16_t));
    b->cap = b->s ? cap : 0;
    return b->s != NULL;
}

static void pb_free(pbuf *b)
{
    if (b->s && b->s != b->inl)
        xfree(b->s);
    b->s = NULL;
}

static void mkus(UNICODE_STRING *us, const uint16_t *s, size_t n)
{
    us->Buffer = (PWSTR)s;
    us->Length = (USHORT)(n * 2);
    us->MaximumLength = (USHORT)(n * 2);
}

static void mkoa(OBJECT_ATTRIBUTES *oa, UNICODE_STRING *us)
{
    InitializeObjectAttributes(oa, us, OBJ_CASE_INSENSITIVE, NULL, NULL);
}

/* The real NtCreateFile (we run inside the layer: the hook passes through).
 * *info (when given) gets the I/O status's Information (FILE_CREATED...). */
static NTSTATUS raw_create_info(HANDLE *h, ACCESS_MASK acc, const uint16_t *p, size_t n,
                                ULONG attrs, ULONG share, ULONG disp, ULONG opts,
                                ULONG_PTR *info)
{
    UNICODE_STRING us;
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK io;
    io.Information = 0;
    mkus(&us, p, n);
    mkoa(&oa, &us);
    nt_create_args a = { h, acc, &oa, &io, NULL, attrs, share, disp, opts, NULL, 0, 0 };
    NTSTATUS st = nt_create_original(&a);
    if (info)
        *info = st >= 0 ? io.Information : 0;
    return st;
}

static NTSTATUS raw_create(HANDLE *h, ACCESS_MASK acc, const uint16_t *p, size_t n,
                           ULONG attrs, ULONG share, ULONG disp, ULONG opts)
{
    return raw_create_info(h, acc, p, n, attrs, share, disp, opts, NULL);
}

/* 1 exists (*dir: a directory), 0 absent, -1 other error (*st). */
static int probe(const uint16_t *p, size_t n, int *dir, NTSTATUS *st)
{
    UNICODE_STRING us;
    OBJECT_ATTRIBUTES oa;
    FILE_BASIC_INFORMATION bi;
    mkus(&us, p, n);
    mkoa(&oa, &us);
    NTSTATUS s = real_qattr(&oa, &bi);
    if (st)
        *st = s;
    if (s >= 0) {
        if (dir)
            *dir = (bi.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
        return 1;
    }
    if (s == ST_NAME_NOT_FOUND || s == ST_PATH_NOT_FOUND || s == ST_NOT_A_DIRECTORY)
        return 0;
    return -1;
}

/* The fast path's cache (docs/ns-file.md, "Fast path"): two sets of
 * virtual paths (pathset.h), per process,
 *   g_pf  every private entry: each file and directory under <files>\X
 *   g_pd  every deletion marker: each file under <deleted>\X
 * each a superset of the store's (entries removed stay in the set: a
 * "maybe" costs only a probe). An open of P probes <files> only when P is
 * in g_pf, and the deletion tree only when P or an ancestor is in g_pd.
 *
 * The VM's processes share a small section: a generation counter and a
 * ring of the keys added since. A process that creates a private entry or
 * a marker adds its key (publish) after the entry exists: it increments
 * the counter and writes the key in the ring slot of the new value. The
 * others add the keys of the generations they missed; a process too far
 * behind (the slot was reused) or told so (a directory moved) rebuilds its
 * sets from the store: a walk of <files>\X and <deleted>\X. The sets are
 * read under g_lock (shared), changed under it (exclusive); only a rebuild
 * or a growth allocates. */
#define GEN_SIZE 65536
#define RING ((GEN_SIZE - 16) / 16)
enum { PK_FILE = 1, PK_DEL = 2, PK_REBUILD = 3 };
typedef struct genslot {
    volatile LONG tag; /* the generation that wrote it (0 while written) */
    volatile LONG kind;
    volatile LONG64 key;
} genslot;
typedef struct genblk {
    volatile LONG gen;
    LONG pad[3];
    genslot ring[RING];
} genblk;
static genblk *g_gen;
static volatile LONG g_cache_gen;
static int g_built; /* the sets hold the store as of g_cache_gen */
static pathset g_pf, g_pd;
static SRWLOCK g_lock = SRWLOCK_INIT;

/* Adds key k to set s, growing it when full. -1 when out of memory. */
static int set_add(pathset *s, uint64_t k)
{
    if (ps_add(s, k) == 0)
        return 0;
    pathset d = { NULL, ps_cap_for(s->n * 2 + 16), 0 };
    d.slot = xalloc(d.cap * sizeof *d.slot);
    if (!d.slot)
        return -1;
    memset(d.slot, 0, d.cap * sizeof *d.slot);
    ps_move(&d, s);
    xfree(s->slot);
    *s = d;
    return ps_add(s, k);
}

/* Tells the VM's processes (this one first) of a new private entry
 * (PK_FILE) or marker (PK_DEL) at virtual path v, or that they must
 * rebuild (PK_REBUILD, v unused). Called after the change. */
static void publish(int kind, const uint16_t *v, size_t vn)
{
    uint64_t k = kind == PK_REBUILD ? 0 : ps_key(v, vn);
    AcquireSRWLockExclusive(&g_lock);
    if (kind != PK_REBUILD && g_built && set_add(kind == PK_FILE ? &g_pf : &g_pd, k) != 0)
        g_built = 0;
    if (kind == PK_REBUILD)
        g_built = 0;
    ReleaseSRWLockExclusive(&g_lock);
    if (!g_gen)
        return;
    LONG g = InterlockedIncrement(&g_gen->gen);
    genslot *sl = &g_gen->ring[(ULONG)g % RING];
    InterlockedExchange(&sl->tag, 0);
    sl->kind = kind;
    sl->key = (LONG64)k;
    MemoryBarrier();
    InterlockedExchange(&sl->tag, g);
}

/* Walks store directory p[0..n) (a pbuf of capacity cap), adding the
 * virtual path of each entry to s: directories (and files, when files)
 * under <files>, marker files under <deleted>. vbase: where the virtual
 * path's "\X..." part starts in p is at vbase, the drive letter at vbase+1. */
static int walk_add(uint16_t *p, size_t n, size_t cap, size_t vbase, pathset *s, int files,
                    int depth)
{
    HANDLE h;
    if (depth > 64)
        return 0;
    NTSTATUS st = raw_create(&h, FILE_LIST_DIRECTORY | SYNCHRONIZE, p, n, 0,
                             FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, D_OPEN,
                             O_DIRECTORY | O_SYNC_NONALERT | O_REPARSE);
    if (st == ST_NAME_NOT_FOUND || st == ST_PATH_NOT_FOUND || st == ST_NOT_A_DIRECTORY)
        return 0;
    if (st < 0)
        return -1;
    enum { QBUF = 16 * 1024 };
    char *buf = xalloc(QBUF);
    int r = buf ? 0 : -1;
    BOOLEAN restart = TRUE;
    IO_STATUS_BLOCK io;
    while (r == 0) {
        st = real_qdir(h, NULL, NULL, NULL, &io, buf, QBUF, C_DIRECTORY, FALSE, NULL, restart);
        restart = FALSE;
        if (st == ST_NO_MORE_FILES || st == ST_NO_SUCH_FILE)
            break;
        if (st < 0) {
            r = -1;
            break;
        }
        for (char *e = buf;;) {
            ULONG next, attr, nl;
            memcpy(&next, e, 4);
            memcpy(&attr, e + 56, 4);
            memcpy(&nl, e + 60, 4);
            nl /= 2;
            const uint16_t *nm = (const uint16_t *)(e + 64);
            int dot = (nl == 1 && nm[0] == '.') || (nl == 2 && nm[0] == '.' && nm[1] == '.');
            if (!dot && n + 1 + nl <= cap) {
                int dir = (attr & FILE_ATTRIBUTE_DIRECTORY) != 0;
                p[n] = '\\';
                memcpy(p + n + 1, nm, nl * 2);
                if (files || !dir) {
                    /* the virtual path: \??\X: + the rest */
                    size_t rest = n + 1 + nl - (vbase + 2), vn = 6 + rest;
                    uint16_t *v = xalloc(vn * 2 + 2);
                    if (!v) {
                        r = -1;
                        break;
                    }
                    v[0] = '\\', v[1] = '?', v[2] = '?', v[3] = '\\';
                    v[4] = ntp_upcase(p[vbase + 1]), v[5] = ':';
                    memcpy(v + 6, p + vbase + 2, rest * 2);
                    r = set_add(s, ps_key(v, vn));
                    xfree(v);
                }
                if (r == 0 && dir)
                    r = walk_add(p, n + 1 + nl, cap, vbase, s, files, depth + 1);
            } else if (!dot) {
                r = -1;
            }
            if (r != 0 || !next)
                break;
            e += next;
        }
    }
    xfree(buf);
    nt_close_original(h);
    return r;
}

/* Rebuilds both sets from the store. 0, or -1 (the sets are then unset). */
static int rebuild(void)
{
    pathset f = { NULL, ps_cap_for(256), 0 }, d = { NULL, ps_cap_for(64), 0 };
    f.slot = xalloc(f.cap * sizeof *f.slot);
    d.slot = xalloc(d.cap * sizeof *d.slot);
    pbuf p;
    int r = f.slot && d.slot && pb_init(&p, NTP_MAX) ? 0 : -1;
    if (r == 0) {
        memset(f.slot, 0, f.cap * sizeof *f.slot);
        memset(d.slot, 0, d.cap * sizeof *d.slot);
        for (int k = 0; k < 2 && r == 0; k++) {
            const uint16_t *root = k ? g_del : g_files;
            size_t rn = k ? g_del_len : g_files_len;
            for (int x = 0; x < 26 && r == 0; x++) {
                memcpy(p.s, root, rn * 2);
                p.s[rn] = '\\';
                p.s[rn + 1] = (uint16_t)('A' + x);
                int dir = 0, e = probe(p.s, rn + 2, &dir, NULL);
                if (e < 0) {
                    r = -1;
                } else if (e == 1) {
                    uint16_t v[7] = { '\\', '?', '?', '\\', (uint16_t)('A' + x), ':', '\\' };
                    if (k == 0 || !dir)
                        r = set_add(k ? &d : &f, ps_key(v, 7));
                    if (r == 0 && dir)
                        r = walk_add(p.s, rn + 2, p.cap, rn, k ? &d : &f, !k, 0);
                }
            }
        }
        pb_free(&p);
    }
    xfree(g_pf.slot);
    xfree(g_pd.slot);
    if (r != 0) {
        xfree(f.slot);
        xfree(d.slot);
        memset(&g_pf, 0, sizeof g_pf);
        memset(&g_pd, 0, sizeof g_pd);
        return -1;
    }
    g_pf = f;
    g_pd = d;
    return 0;
}

/* Brings the sets up to the shared generation (under g_lock, exclusive). */
static void catch_up(void)
{
    LONG gen = g_gen->gen;
    if (g_built && gen == g_cache_gen)
        return;
    if (g_built) {
        for (LONG g = g_cache_gen + 1; g_built && g - gen <= 0; g++) {
            genslot *sl = &g_gen->ring[(ULONG)g % RING];
            LONG t1 = sl->tag;
            MemoryBarrier();
            LONG kind = sl->kind;
            uint64_t k = (uint64_t)sl->key;
            MemoryBarrier();
            if (t1 != g || sl->tag != g || kind == PK_REBUILD ||
                set_add(kind == PK_FILE ? &g_pf : &g_pd, k) != 0)
                g_built = 0; /* missed, being written, or a move: the store says */
        }
    }
    if (!g_built) {
        gen = g_gen->gen; /* read before the walk: later changes come as keys */
        g_built = rebuild() == 0;
    }
    g_cache_gen = gen;
}

/* Which parts of the store an open of v may have to look at: *pf the
 * private path, *pd the deletion tree. Costs no system call while the
 * VM's generation is unchanged. */
static void cache_check(const uint16_t *v, size_t vn, int *pf, int *pd)
{
    *pf = *pd = 1;
    if (!g_gen)
        return; /* no shared counter: no cache */
    if (!g_built || g_gen->gen != g_cache_gen) {
        AcquireSRWLockExclusive(&g_lock);
        catch_up();
        ReleaseSRWLockExclusive(&g_lock);
    }
    AcquireSRWLockShared(&g_lock);
    if (g_built) {
        *pf = ps_has(&g_pf, ps_key(v, vn));
        *pd = ps_has_self_or_ancestor(&g_pd, v, vn);
    }
    ReleaseSRWLockShared(&g_lock);
}

/* --------------------------------------------------------- lookup */
enum { L_HOST, L_PRIVATE, L_DELETED, L_GONE_PARENT, L_ERROR };

static int hidden(const uint16_t *v, size_t n)
{
    for (int i = 0; i < 2; i++)
        if (g_hide_len[i] && ntp_under(v, n, g_hide[i], g_hide_len[i]))
            return 1;
    return 0;
}

/* 1 when virtual name v has a ":stream" suffix (a ':' after "\\??\\X:"). */
static int has_stream(const uint16_t *v, size_t vn)
{
    for (size_t i = 6; i < vn; i++)
        if (v[i] == ':')
            return 1;
    return 0;
}

/* Is v (a path) marked deleted? 1 itself, 2 an ancestor, 0 no, -1 error. */
static int deleted(const uint16_t *v, size_t vn)
{
    pbuf m;
    if (!pb_init(&m, g_del_len + vn + 4))
        return -1;
    m.n = ntp_store_path(g_del, g_del_len, v, vn, m.s, m.cap);
    int r = 0, dir = 0;
    NTSTATUS st;
    if (m.n == 0) {
        r = -1;
    } else {
        int e = probe(m.s, m.n, &dir, &st);
        if (e == 1) {
            r = dir ? 0 : 1;
        } else if (e < 0) {
            r = -1;
        } else if (st != ST_NAME_NOT_FOUND || vn <= 7) {
            /* Walk down from the drive: stop at the first missing name (no
             * marker above) or a file (a deleted ancestor). */
            size_t base = g_del_len + 2; /* <del>\X */
            for (size_t i = base; i <= m.n; i++) {
                if (i < m.n && m.s[i] != '\\')
                    continue;
                if (i == m.n)
                    break;
                e = probe(m.s, i, &dir, NULL);
                if (e == 0)
                    break;
                if (e < 0) {
                    r = -1;
                    break;
                }
                if (!dir) {
                    r = 2;
                    break;
                }
            }
        }
    }
    pb_free(&m);
    return r;
}

/* Looks up virtual path v[0..vn) (no stream); s gets its store path. */
static int lookup(const uint16_t *v, size_t vn, pbuf *s, int *sdir)
{
    s->n = ntp_store_path(g_files, g_files_len, v, vn, s->s, s->cap);
    if (s->n == 0)
        return L_ERROR;
    int pf, pd;
    cache_check(v, vn, &pf, &pd);
    if (!pf && !pd)
        return L_HOST; /* the fast path: no private state at v */
    int e = pf ? probe(s->s, s->n, sdir, NULL) : 0;
    if (e < 0)
        return L_ERROR;
    if (e == 1)
        return L_PRIVATE;
    int d = pd ? deleted(v, vn) : 0;
    if (d < 0)
        return L_ERROR;
    if (d == 2) {
        /* Under a deleted directory: a name the VM may create when its
         * parent was made again privately. */
        size_t keep = s->n, i = s->n;
        while (i > g_files_len && s->s[i - 1] != '\\')
            i--;
        int pdir = 0;
        e = i > g_files_len + 1 ? probe(s->s, i - 1, &pdir, NULL) : 0;
        s->n = keep;
        if (e < 0)
            return L_ERROR;
        return e == 1 && pdir ? L_DELETED : L_GONE_PARENT;
    }
    return d == 1 ? L_DELETED : L_HOST;
}

/* Does v exist in the VM's view? 1 yes (*dir), 0 no, -1 error. */
static int vexists(const uint16_t *v, size_t vn, int *dir)
{
    pbuf s;
    if (!pb_init(&s, g_files_len + vn + 4))
        return -1;
    int r, l = lookup(v, vn, &s, dir);
    if (l == L_PRIVATE)
        r = 1;
    else if (l == L_HOST)
        r = probe(v, vn, dir, NULL);
    else
        r = l == L_ERROR ? -1 : 0;
    pb_free(&s);
    return r;
}

/* Publishes store path p[0..n) when it is a private entry (under
 * <files>\X) or a marker (under <deleted>\X): see publish. */
static void publish_store(const uint16_t *p, size_t n)
{
    size_t rn = 0;
    int kind = 0;
    if (n >= g_files_len + 2 && !memcmp(p, g_files, g_files_len * 2) && p[g_files_len] == '\\') {
        rn = g_files_len, kind = PK_FILE;
    } else if (n >= g_del_len + 2 && !memcmp(p, g_del, g_del_len * 2) && p[g_del_len] == '\\') {
        rn = g_del_len, kind = PK_DEL;
    }
    if (!kind || (n > rn + 2 && p[rn + 2] != '\\'))
        return; /* the store's own names (.tmp-*) */
    pbuf v;
    if (!pb_init(&v, n - rn + 8))
        return;
    v.s[0] = '\\', v.s[1] = '?', v.s[2] = '?', v.s[3] = '\\';
    v.s[4] = ntp_upcase(p[rn + 1]), v.s[5] = ':';
    v.n = 6;
    if (n == rn + 2)
        v.s[v.n++] = '\\';
    for (size_t i = rn + 2; i < n; i++)
        v.s[v.n++] = p[i];
    publish(kind, v.s, v.n);
    pb_free(&v);
}

/* mkdir -p of store path p[0..n), from the component after `floor`. Each
 * private directory it creates is published. */
static NTSTATUS make_dirs(uint16_t *p, size_t n, size_t floor)
{
    HANDLE h;
    ULONG_PTR info = 0;
    NTSTATUS st = raw_create_info(&h, FILE_LIST_DIRECTORY | SYNCHRONIZE, p, n, 0,
                                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                  D_OPEN_IF, O_DIRECTORY | O_SYNC_NONALERT, &info);
    if (st >= 0) {
        nt_close_original(h);
        if (info != FILE_OPENED)
            publish_store(p, n);
        return st;
    }
    if (st != ST_PATH_NOT_FOUND)
        return st;
    size_t i = n;
    while (i > floor && p[i - 1] != '\\')
        i--;
    if (i <= floor + 1)
        return st;
    st = make_dirs(p, i - 1, floor);
    if (st < 0)
        return st;
    st = raw_create(&h, FILE_LIST_DIRECTORY | SYNCHRONIZE, p, n, 0,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, D_OPEN_IF,
                    O_DIRECTORY | O_SYNC_NONALERT);
    if (st >= 0) {
        nt_close_original(h);
        publish_store(p, n);
    }
    return st;
}

/* The private parent directories of store path s (for virtual v). */
static NTSTATUS store_parents(const pbuf *s)
{
    size_t i = s->n;
    while (i > g_files_len && s->s[i - 1] != '\\')
        i--;
    if (i <= g_files_len + 1)
        return 0;
    return make_dirs(s->s, i - 1, g_vmdir_len);
}

static NTSTATUS set_info(HANDLE h, void *info, ULONG len, ULONG cls)
{
    IO_STATUS_BLOCK io;
    return real_sinfo(h, &io, info, len, cls);
}

static NTSTATUS delete_handle(HANDLE h)
{
    FILE_DISPOSITION_INFORMATION di = { TRUE };
    return set_info(h, &di, sizeof di, C_DISPOSITION);
}

/* Renames the open file h to NT path p (same volume). */
static NTSTATUS rename_handle(HANDLE h, const uint16_t *p, size_t n, int replace)
{
    ULONG len = (ULONG)(sizeof(FILE_RENAME_INFORMATION) + n * 2);
    FILE_RENAME_INFORMATION *ri = xalloc(len);
    if (!ri)
        return ST_NO_MEMORY;
    memset(ri, 0, len);
    ri->ReplaceIfExists = replace ? TRUE : FALSE;
    ri->RootDirectory = NULL;
    ri->FileNameLength = (ULONG)(n * 2);
    memcpy(ri->FileName, p, n * 2);
    NTSTATUS st = set_info(h, ri, len, C_RENAME);
    xfree(ri);
    return st;
}

/* <root>\.tmp-<pid><seq> into tmp (ROOTMAX + 40 units); returns its length. */
static size_t tmp_name(const uint16_t *root, size_t rn, uint16_t *tmp)
{
    size_t tn = 0;
    for (size_t i = 0; i < rn; i++)
        tmp[tn++] = root[i];
    static const char pfx[] = "\\.tmp-";
    for (const char *c = pfx; *c; c++)
        tmp[tn++] = (uint16_t)*c;
    unsigned long long tag = ((unsigned long long)GetCurrentProcessId() << 32) |
                             (unsigned)InterlockedIncrement(&g_tmp_seq);
    for (int k = 60; k >= 0; k -= 4)
        tmp[tn++] = (uint16_t)("0123456789abcdef"[(tag >> k) & 15]);
    return tn;
}

/* Writes the small file dst (a store path under root) atomically: a
 * temporary file in root, then renamed into place. replace 0 keeps an
 * existing dst (and succeeds). */
static NTSTATUS write_small(const uint16_t *root, size_t rn, const uint16_t *dst, size_t dn,
                            const uint8_t *data, ULONG len, int replace)
{
    size_t i = dn;
    while (i > rn && dst[i - 1] != '\\')
        i--;
    uint16_t *d = xalloc((dn + 1) * 2);
    if (!d)
        return ST_NO_MEMORY;
    memcpy(d, dst, dn * 2);
    NTSTATUS st = i > rn + 1 ? make_dirs(d, i - 1, g_vmdir_len) : 0;
    xfree(d);
    if (st < 0)
        return st;
    uint16_t tmp[ROOTMAX + 40];
    size_t tn = tmp_name(root, rn, tmp);
    HANDLE h;
    IO_STATUS_BLOCK io;
    st = raw_create(&h, FILE_WRITE_DATA | DELETE | SYNCHRONIZE, tmp, tn, FILE_ATTRIBUTE_NORMAL, 0,
                    D_CREATE, O_NON_DIRECTORY | O_SYNC_NONALERT);
    if (st < 0)
        return st;
    st = len ? nt_write(h, NULL, NULL, NULL, &io, (PVOID)data, len, NULL, NULL) : 0;
    if (st >= 0 && len && io.Information != len)
        st = ST_ACCESS_DENIED;
    int renamed = 0;
    if (st >= 0) {
        st = rename_handle(h, dst, dn, replace);
        if (st >= 0)
            renamed = 1;
        else if (st == ST_NAME_COLLISION && !replace)
            st = 0;
    }
    if (!renamed)
        delete_handle(h);
    nt_close_original(h);
    return st;
}

/* The origin record of virtual path v (see forigin.h): replaces any record
 * there (written only when the VM has no private entry at v: a record
 * left there is a killed copy-up's). */
static NTSTATUS write_origin(const uint16_t *v, size_t vn, const uint8_t rec[FOR_SIZE])
{
    pbuf o;
    if (!pb_init(&o, g_orig_len + vn + 4))
        return ST_NO_MEMORY;
    o.n = ntp_store_path(g_orig, g_orig_len, v, vn, o.s, o.cap);
    NTSTATUS st = o.n ? write_small(g_orig, g_orig_len, o.s, o.n, rec, FOR_SIZE, 1)
                      : ST_NAME_INVALID;
    pb_free(&o);
    return st;
}

/* The host's record of v: 1 a file (rec filled), 2 a directory, 0 absent,
 * -1 error. */
static int host_record(const uint16_t *v, size_t vn, uint8_t rec[FOR_SIZE])
{
    UNICODE_STRING us;
    OBJECT_ATTRIBUTES oa;
    FILE_NETWORK_OPEN_INFORMATION ni;
    mkus(&us, v, vn);
    mkoa(&oa, &us);
    NTSTATUS st = real_qfattr(&oa, &ni);
    if (st == ST_NAME_NOT_FOUND || st == ST_PATH_NOT_FOUND || st == ST_NOT_A_DIRECTORY)
        return 0;
    if (st < 0)
        return -1;
    if (ni.FileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        return 2;
    for_encode(rec, ni.LastWriteTime.QuadPart, ni.EndOfFile.QuadPart);
    return 1;
}

/* Reads the record file p: 1 a valid record in rec, 0 none. */
static int read_record(const uint16_t *p, size_t n, uint8_t rec[FOR_SIZE])
{
    HANDLE h;
    IO_STATUS_BLOCK io;
    uint8_t b[FOR_SIZE + 1];
    if (raw_create(&h, FILE_READ_DATA | SYNCHRONIZE, p, n, 0,
                   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, D_OPEN,
                   O_NON_DIRECTORY | O_SYNC_NONALERT) < 0)
        return 0;
    NTSTATUS st = nt_read(h, NULL, NULL, NULL, &io, b, sizeof b, NULL, NULL);
    nt_close_original(h);
    if (st < 0 || !for_decode(b, io.Information, NULL, NULL))
        return 0;
    memcpy(rec, b, FOR_SIZE);
    return 1;
}

/* Deletes the file at store path p, if any. */
static void remove_file(const uint16_t *p, size_t n)
{
    HANDLE h;
    if (raw_create(&h, DELETE | SYNCHRONIZE, p, n, 0,
                   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, D_OPEN,
                   O_NON_DIRECTORY | O_SYNC_NONALERT) >= 0) {
        delete_handle(h);
        nt_close_original(h);
    }
}

/* Copies host file src (NT path) into the store at s, atomically: into a
 * temporary name in the store's root, then renamed into place. A copy
 * that is interrupted leaves at most a .tmp-* file in the store's root,
 * which no virtual path names. with_data 0: an empty file (the open will
 * overwrite it anyway). */
static NTSTATUS copy_file(const uint16_t *src, size_t sn, const pbuf *s, int with_data,
                          int replace, int origin)
{
    HANDLE in = NULL, out = NULL;
    FILE_BASIC_INFORMATION bi;
    IO_STATUS_BLOCK io;
    NTSTATUS st = raw_create(&in, FILE_READ_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE, src, sn,
                             0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, D_OPEN,
                             O_NON_DIRECTORY | O_SYNC_NONALERT);
    if (st < 0)
        return st;
    st = real_qinfo(in, &io, &bi, sizeof bi, C_BASIC);
    if (st < 0)
        goto done;
    st = store_parents(s);
    if (st < 0)
        goto done;
    uint16_t tmp[ROOTMAX + 40];
    size_t tn = tmp_name(g_files, g_files_len, tmp);
    ULONG attrs = bi.FileAttributes & ~(ULONG)(FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_READONLY);
    st = raw_create(&out, FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | DELETE | SYNCHRONIZE, tmp, tn,
                    attrs ? attrs : FILE_ATTRIBUTE_NORMAL, 0, D_CREATE,
                    O_NON_DIRECTORY | O_SYNC_NONALERT);
    if (st < 0)
        goto done;
    if (with_data) {
        enum { CHUNK = 64 * 1024 };
        char *buf = xalloc(CHUNK);
        if (!buf) {
            st = ST_NO_MEMORY;
        } else {
            for (;;) {
                st = nt_read(in, NULL, NULL, NULL, &io, buf, CHUNK, NULL, NULL);
                if (st == (NTSTATUS)0xC0000011L) { /* STATUS_END_OF_FILE */
                    st = 0;
                    break;
                }
                if (st < 0)
                    break;
                ULONG got = (ULONG)io.Information;
                if (got == 0)
                    break;
                st = nt_write(out, NULL, NULL, NULL, &io, buf, got, NULL, NULL);
                if (st >= 0 && io.Information != got)
                    st = ST_DISK_FULL; /* a short write: the store's disk is full */
                if (st < 0)
                    break;
            }
            xfree(buf);
        }
    }
    if (st >= 0 && origin) {
        /* What the VM starts from: written before the copy is in place, so
         * a private copy of a host file never lacks its record. */
        FILE_STANDARD_INFORMATION si;
        st = real_qinfo(in, &io, &si, sizeof si, 5 /* FileStandardInformation */);
        if (st >= 0) {
            uint8_t rec[FOR_SIZE];
            for_encode(rec, bi.LastWriteTime.QuadPart, si.EndOfFile.QuadPart);
            st = write_origin(src, sn, rec);
        }
    }
    int renamed = 0;
    if (st >= 0) {
        FILE_BASIC_INFORMATION nb = bi;
        nb.FileAttributes = bi.FileAttributes & ~(ULONG)FILE_ATTRIBUTE_DIRECTORY;
        if (!nb.FileAttributes)
            nb.FileAttributes = FILE_ATTRIBUTE_NORMAL;
        set_info(out, &nb, sizeof nb, C_BASIC);
        st = rename_handle(out, s->s, s->n, replace);
        if (st >= 0) {
            renamed = 1;
            publish_store(s->s, s->n);
        } else if (st == ST_NAME_COLLISION && !replace)
            st = 0; /* another process of the VM copied it first: theirs wins */
    }
    if (!renamed)
        delete_handle(out); /* the temporary copy goes */
done:
    if (out)
        nt_close_original(out);
    if (in)
        nt_close_original(in);
    return st;
}

/* ------------------------------------------------------- deletion markers */
/* Removes the tree at NT path p (the deletion tree's subtrees). */
static void remove_tree(const uint16_t *p, size_t n, int depth)
{
    HANDLE h;
    if (depth > 64)
        return;
    NTSTATUS st = raw_create(&h, FILE_LIST_DIRECTORY | DELETE | SYNCHRONIZE, p, n, 0,
                             FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, D_OPEN,
                             O_SYNC_NONALERT | O_REPARSE);
    if (st < 0)
        return;
    char *buf = xalloc(8192);
    if (buf) {
        BOOLEAN restart = TRUE;
        IO_STATUS_BLOCK io;
        while (real_qdir(h, NULL, NULL, NULL, &io, buf, 8192, C_NAMES, FALSE, NULL, restart) >=
               0) {
            restart = FALSE;
            for (char *e = buf;;) {
                ULONG next = *(ULONG *)e, nl = *(ULONG *)(e + 8);
                const uint16_t *nm = (const uint16_t *)(e + 12);
                size_t k = nl / 2;
                if (!(k == 1 && nm[0] == '.') && !(k == 2 && nm[0] == '.' && nm[1] == '.')) {
                    pbuf c;
                    if (pb_init(&c, n + k + 2)) {
                        memcpy(c.s, p, n * 2);
                        c.s[n] = '\\';
                        memcpy(c.s + n + 1, nm, k * 2);
                        remove_tree(c.s, n + 1 + k, depth + 1);
                        pb_free(&c);
                    }
                }
                if (!next)
                    break;
                e += next;
            }
        }
        xfree(buf);
    }
    delete_handle(h);
    nt_close_original(h);
}

/* Records that virtual path v is deleted for the VM, when the host has it
 * (else there is nothing to hide). A file's marker carries an origin
 * record: the VM's origin record of v when it has one (what it started
 * from), else the host file's of now. A marker already there is kept (it
 * records the first deletion). The origin record then goes: the marker
 * holds it, or the host file is gone and nothing is left to conflict. */
static NTSTATUS mark_deleted(const uint16_t *v, size_t vn)
{
    uint8_t rec[FOR_SIZE];
    int hk = host_record(v, vn, rec);
    if (hk < 0)
        return ST_ACCESS_DENIED;
    pbuf m, o;
    if (!pb_init(&m, g_del_len + vn + 4))
        return ST_NO_MEMORY;
    if (!pb_init(&o, g_orig_len + vn + 4)) {
        pb_free(&m);
        return ST_NO_MEMORY;
    }
    NTSTATUS st = ST_NAME_INVALID;
    m.n = ntp_store_path(g_del, g_del_len, v, vn, m.s, m.cap);
    o.n = ntp_store_path(g_orig, g_orig_len, v, vn, o.s, o.cap);
    if (m.n && o.n && hk == 0) {
        st = 0;
    } else if (m.n && o.n) {
        int dir = 0, e = probe(m.s, m.n, &dir, NULL);
        if (e == 1 && dir) {
            remove_tree(m.s, m.n, 0);
            e = 0;
        }
        if (e == 1) {
            st = 0; /* marked before: that marker's record stays */
        } else if (hk == 2) {
            /* a directory: an empty marker */
            size_t i = m.n;
            while (i > g_del_len && m.s[i - 1] != '\\')
                i--;
            st = i > g_del_len + 1 ? make_dirs(m.s, i - 1, g_vmdir_len) : 0;
            if (st >= 0) {
                HANDLE h;
                st = raw_create(&h, FILE_READ_ATTRIBUTES | SYNCHRONIZE, m.s, m.n,
                                FILE_ATTRIBUTE_NORMAL, 0, D_OPEN_IF,
                                O_NON_DIRECTORY | O_SYNC_NONALERT);
                if (st >= 0)
                    nt_close_original(h);
            }
        } else {
            read_record(o.s, o.n, rec);
            st = write_small(g_del, g_del_len, m.s, m.n, rec, FOR_SIZE, 0);
        }
    }
    if (st >= 0 && o.n)
        remove_file(o.s, o.n);
    if (st >= 0 && hk != 0)
        publish(PK_DEL, v, vn);
    pb_free(&o);
    pb_free(&m);
    return st;
}

/* ----------------------------------------------------- per-handle state */
typedef struct fstate {
    int on_close_delete;   /* mark the virtual path deleted when closed */
    int vdel;              /* an FH_VDEL handle: its private directory goes too */
    size_t vn;
    uint16_t *v;
    /* listing */
    int built;
    char *blob;            /* FILE_ID_BOTH_DIR_INFORMATION records */
    size_t blob_len;
    size_t *order;         /* offsets of the merged entries, in order */
    size_t count, pos;
    uint16_t *mask;
    size_t mask_len;
    int any_returned;
} fstate;

static void fstate_free(void *p)
{
    fstate *f = p;
    if (!f)
        return;
    if (f->on_close_delete && f->v) {
        int in = layer_enter();
        mark_deleted(f->v, f->vn);
        if (f->vdel) {
            /* a private directory of that name (found empty) goes too */
            pbuf s;
            if (pb_init(&s, g_files_len + f->vn + 8)) {
                s.n = ntp_store_path(g_files, g_files_len, f->v, f->vn, s.s, s.cap);
                if (s.n)
                    remove_tree(s.s, s.n, 0);
                pb_free(&s);
            }
        }
        if (in)
            layer_leave();
    }
    xfree(f->v);
    xfree(f->blob);
    xfree(f->order);
    xfree(f->mask);
    xfree(f);
}

static fstate *fstate_new(const uint16_t *v, size_t vn)
{
    fstate *f = xalloc(sizeof *f);
    if (!f)
        return NULL;
    memset(f, 0, sizeof *f);
    f->v = xalloc((vn + 1) * 2);
    if (!f->v) {
        xfree(f);
        return NULL;
    }
    memcpy(f->v, v, vn * 2);
    f->vn = vn;
    return f;
}

/* ------------------------------------------------------------ the open */
static NTSTATUS open_as(nt_create_args *a, const uint16_t *p, size_t n, ULONG disp,
                        ACCESS_MASK acc, ULONG opts)
{
    UNICODE_STRING us;
    OBJECT_ATTRIBUTES oa = *a->oa;
    mkus(&us, p, n);
    oa.ObjectName = &us;
    oa.RootDirectory = NULL;
    nt_create_args b = *a;
    b.oa = &oa;
    b.disposition = disp;
    b.access = acc;
    b.options = opts;
    return nt_create_original(&b);
}

static int virtual_name1(const OBJECT_ATTRIBUTES *oa, pbuf *v, size_t *path_len);

/* The long name of `comp` (maybe an 8.3 short name) in directory dir (an
 * NT path): 1 and out[0..*on) (at most 255 units) when the directory has
 * an entry that this name names, else 0. */
static int long_name(const uint16_t *dir, size_t dn, const uint16_t *comp, size_t cn,
                     uint16_t *out, size_t *on)
{
    HANDLE h;
    if (raw_create(&h, FILE_LIST_DIRECTORY | SYNCHRONIZE, dir, dn, 0,
                   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, D_OPEN,
                   O_DIRECTORY | O_SYNC_NONALERT) < 0)
        return 0;
    union {
        char b[104 + 512 + 8];
        ULONGLONG align;
    } u;
    UNICODE_STRING m;
    IO_STATUS_BLOCK io;
    mkus(&m, comp, cn);
    /* no wildcards in comp (canonical names have none): the entry whose
     * long or short name is comp */
    NTSTATUS st = real_qdir(h, NULL, NULL, NULL, &io, u.b, sizeof u.b, C_BOTHDIR, TRUE, &m, TRUE);
    nt_close_original(h);
    if (st < 0)
        return 0;
    ULONG nl;
    memcpy(&nl, u.b + 60, 4);
    nl /= 2;
    if (nl == 0 || nl > 255 || 94 + nl * 2 > sizeof u.b)
        return 0;
    memcpy(out, u.b + 94, nl * 2);
    *on = nl;
    return 1;
}

/* Replaces each component of v[0..*vp) that contains a '~' (a possible 8.3
 * short name) by the long name it stands for: the private directory's
 * entry first (its names are the ones the VM lists), else the host's. Only
 * names with a '~' pay (two directory queries a component at most), so a
 * short name of a copied-up file reaches the private copy, and a short
 * spelling of the store is hidden like its long one. */
static void expand_short(pbuf *v, size_t *vp)
{
    size_t at = 0, e = 0;
    for (int guard = 0; guard < 64; guard++) {
        size_t c = ntp_tilde_next(v->s, *vp, at, &e);
        if (c >= *vp)
            return;
        size_t pn = c - 1 > 6 ? c - 1 : c; /* the parent; the root keeps its '\\' */
        uint16_t ln[256];
        size_t lnn = 0;
        int found = 0;
        pbuf sp;
        if (pb_init(&sp, g_files_len + pn + 8)) {
            sp.n = ntp_store_path(g_files, g_files_len, v->s, pn, sp.s, sp.cap);
            if (sp.n)
                found = long_name(sp.s, sp.n, v->s + c, e - c, ln, &lnn);
            pb_free(&sp);
        }
        if (!found)
            found = long_name(v->s, pn, v->s + c, e - c, ln, &lnn);
        if (found && !(lnn == e - c && !memcmp(ln, v->s + c, lnn * 2))) {
            pbuf nv;
            size_t nn = v->n - (e - c) + lnn;
            if (!pb_init(&nv, nn + 16))
                return;
            memcpy(nv.s, v->s, c * 2);
            memcpy(nv.s + c, ln, lnn * 2);
            memcpy(nv.s + c + lnn, v->s + e, (v->n - e) * 2);
            nv.n = nn;
            *vp = *vp - (e - c) + lnn;
            e = c + lnn;
            pb_free(v);
            *v = nv;
            if (v->s == nv.inl)
                v->s = v->inl; /* the inline buffer moved with the struct */
        }
        at = e;
    }
}

/* Builds the virtual name of the open (a->oa) into v. */
static int virtual_name(const OBJECT_ATTRIBUTES *oa, pbuf *v, size_t *path_len)
{
    int k = virtual_name1(oa, v, path_len);
    if (k == NTP_DISK && ntp_tilde_next(v->s, *path_len, 0, NULL) < *path_len)
        expand_short(v, path_len);
    return k;
}

static int virtual_name1(const OBJECT_ATTRIBUTES *oa, pbuf *v, size_t *path_len)
{
    /* An empty name (Length 0, maybe a NULL buffer, as Wine's ReOpenFile
     * passes) names RootDirectory itself. */
    const UNICODE_STRING *nm = oa->ObjectName;
    const uint16_t *in = nm && nm->Buffer ? (const uint16_t *)nm->Buffer : NULL;
    size_t n = in ? nm->Length / 2 : 0;
    if (!pb_init(v, n + 16))
        return NTP_TOOLONG;
    if (!oa->RootDirectory)
        return ntp_canon(in, n, &g_vol, v->s, v->cap, &v->n, path_len);
    htab_entry e;
    if (htab_get(oa->RootDirectory, &e)) {
        int k = NTP_OTHER;
        if (e.kind == HT_FILE) {
            pb_free(v);
            if (!pb_init(v, e.name_len + n + 16))
                k = NTP_TOOLONG;
            else
                k = ntp_join(e.name, e.name_len, in, n, &g_vol, v->s, v->cap, &v->n, path_len);
        }
        htab_release(&e);
        return k;
    }
    /* A directory the layer did not open (or not as a directory): ask its name. */
    ULONG len = 4096 * 2 + 64, ret = 0;
    OBJECT_NAME_INFORMATION *oni = xalloc(len);
    if (!oni)
        return NTP_TOOLONG;
    int k = NTP_OTHER;
    if (nt_query_object_original(oa->RootDirectory, 1, oni, len, &ret) >= 0 && oni->Name.Buffer) {
        pb_free(v);
        if (!pb_init(v, oni->Name.Length / 2 + n + 16))
            k = NTP_TOOLONG;
        else
            k = ntp_join((const uint16_t *)oni->Name.Buffer, oni->Name.Length / 2, in, n, &g_vol,
                         v->s, v->cap, &v->n, path_len);
    }
    xfree(oni);
    return k;
}

static int raw_device_name(const UNICODE_STRING *nm)
{
    static const char *const pats[] = { "\\??\\PhysicalDrive", "\\Device\\Harddisk",
                                        "\\??\\GLOBALROOT\\Device\\Harddisk", "\\Device\\CdRom",
                                        "\\??\\CdRom" };
    const uint16_t *s = (const uint16_t *)nm->Buffer;
    size_t n = nm->Length / 2;
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        size_t k = 0;
        const char *p = pats[i];
        while (p[k] && k < n && ntp_upcase(s[k]) == ntp_upcase((uint16_t)p[k]))
            k++;
        if (!p[k])
            return 1;
    }
    return 0;
}

static void remember(HANDLE h, uint32_t flags, fstate *f, const uint16_t *v, size_t vn,
                     const uint16_t *real, size_t rn, NTSTATUS *st)
{
    if (htab_put(h, HT_FILE, flags, f, v, vn, real, rn) != 0) {
        if (f)
            f->on_close_delete = 0; /* the open fails: nothing is deleted */
        nt_close_original(h);
        fstate_free(f);
        *st = ST_NO_MEMORY;
    }
}

/* The name of a handle the open is relative to: the handle table's, else
 * the system's. Is it a raw disk device (raw_device_name)? */
static int raw_device_root(HANDLE root)
{
    htab_entry e;
    if (htab_get(root, &e)) {
        htab_release(&e);
        return 0; /* the layer's handles are files, keys, objects */
    }
    ULONG len = 4096 * 2 + 64, ret = 0;
    OBJECT_NAME_INFORMATION *oni = xalloc(len);
    int r = 1; /* unknown: fail closed */
    if (oni && nt_query_object_original(root, 1, oni, len, &ret) >= 0)
        r = oni->Name.Buffer && raw_device_name(&oni->Name);
    xfree(oni);
    return r;
}

int file_create_file(nt_create_args *a, NTSTATUS *st)
{
    if (!g_on || !a->oa)
        return 0;
    /* A name, or an empty one relative to a handle: a re-open of that
     * handle's file (Wine's ReOpenFile passes Length 0 and a NULL buffer). */
    const UNICODE_STRING *onm = a->oa->ObjectName;
    int named = onm && onm->Buffer;
    if (!named && !(a->oa->RootDirectory && (!onm || onm->Length == 0)))
        return 0;
    int could = ntp_could_change(a->access, a->disposition, a->options);
    if (a->options & O_BY_FILE_ID) {
        *st = ST_ACCESS_DENIED;
        return 1;
    }
    pbuf v;
    size_t vp = 0;
    int kind = virtual_name(a->oa, &v, &vp);
    if (kind == NTP_BAD) {
        /* ':' in a directory name, wildcards...: NTFS refuses these names
         * (Wine might not: "...\\dosdevices\\c:\\..." reaches drive C). */
        pb_free(&v);
        *st = ST_NAME_INVALID;
        return 1;
    }
    if (kind == NTP_UNIX) {
        /* Wine's \??\unix\<unix path>: it reaches any host file and the
         * store, and cannot be mapped back safely (Unix symbolic links):
         * refused (docs/ns-file.md, Limits). */
        pb_free(&v);
        *st = ST_ACCESS_DENIED;
        return 1;
    }
    if (kind == NTP_OTHER) {
        pb_free(&v);
        if (could && ((named && raw_device_name(onm)) ||
                      (a->oa->RootDirectory && raw_device_root(a->oa->RootDirectory)))) {
            *st = ST_ACCESS_DENIED;
            return 1;
        }
        return 0;
    }
    if (kind == NTP_TOOLONG) {
        pb_free(&v);
        *st = ST_NAME_INVALID;
        return 1;
    }
    if (kind == NTP_VOLUME) {
        /* A raw volume: read-only for VM processes. */
        pb_free(&v);
        if (could) {
            *st = ST_ACCESS_DENIED;
            return 1;
        }
        return 0;
    }
    if (hidden(v.s, vp)) {
        pb_free(&v);
        *st = ST_PATH_NOT_FOUND;
        return 1;
    }
    pbuf s;
    if (!pb_init(&s, g_files_len + v.n + 8)) {
        pb_free(&v);
        *st = ST_NO_MEMORY;
        return 1;
    }
    /* The fast path (docs/ns-file.md): a plain open costs no system call
     * beyond the open itself when the path has no private state (the host
     * path, in place) or is a private entry (its store path). */
    if (a->disposition == D_OPEN && !(a->options & O_DELETE_ON_CLOSE)) {
        int pf, pd;
        cache_check(v.s, vp, &pf, &pd);
        if (!pf && !pd && !could) {
            *st = open_as(a, v.s, v.n, D_OPEN, a->access, a->options);
            if (*st >= 0 && (a->options & O_DIRECTORY))
                remember(*a->handle, 0, NULL, v.s, v.n, NULL, 0, st);
            goto out;
        }
        s.n = pf ? ntp_store_path(g_files, g_files_len, v.s, vp, s.s, s.cap) : 0;
        if (s.n && s.n + (v.n - vp) <= s.cap) {
            memcpy(s.s + s.n, v.s + vp, (v.n - vp) * 2);
            s.n += v.n - vp;
            NTSTATUS t = open_as(a, s.s, s.n, D_OPEN, a->access, a->options);
            if (t != ST_NAME_NOT_FOUND && t != ST_PATH_NOT_FOUND && t != ST_NOT_A_DIRECTORY) {
                /* the private entry exists: it wins over any marker */
                *st = t;
                if (t >= 0)
                    remember(*a->handle, FH_STORE, NULL, v.s, v.n, s.s, s.n, st);
                goto out;
            }
        }
    }
    int sdir = 0;
    int l = lookup(v.s, vp, &s, &sdir);
    size_t spath = s.n; /* the store path without the stream */
    /* The stream suffix goes on whichever path is opened. */
    if (v.n > vp) {
        if (s.n + (v.n - vp) > s.cap) {
            l = L_ERROR;
        } else {
            memcpy(s.s + s.n, v.s + vp, (v.n - vp) * 2);
            s.n += v.n - vp;
        }
    }
    ULONG disp = a->disposition, opts = a->options;
    ACCESS_MASK acc = a->access;
    fstate *f = NULL;
    int to_store = 0, vdel = 0, fresh = 0;
    switch (l) {
    case L_ERROR:
        *st = ST_ACCESS_DENIED;
        goto out;
    case L_GONE_PARENT:
        *st = ST_PATH_NOT_FOUND;
        goto out;
    case L_PRIVATE:
        to_store = 1;
        break;
    case L_DELETED:
    case L_HOST: {
        int hdir = 0;
        int hex = l == L_DELETED ? 0 : probe(v.s, vp, &hdir, NULL);
        if (hex < 0) {
            *st = ST_ACCESS_DENIED;
            goto out;
        }
        if (!hex) {
            if (!ntp_creates(disp)) {
                if (l == L_DELETED) {
                    *st = ST_NAME_NOT_FOUND;
                    goto out;
                }
                /* Absent everywhere: the host gives the right error. */
                *st = open_as(a, v.s, v.n, D_OPEN, a->access & ~(ACCESS_MASK)(DELETE | WRITE_DAC |
                              WRITE_OWNER | FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA |
                              FILE_WRITE_ATTRIBUTES | GENERIC_WRITE | GENERIC_ALL |
                              MAXIMUM_ALLOWED), a->options & ~(ULONG)O_DELETE_ON_CLOSE);
                if (*st >= 0) { /* it appeared meanwhile: do it again properly */
                    nt_close_original(*a->handle);
                    *st = ST_ACCESS_DENIED;
                }
                goto out;
            }
            /* A new file: in the store only, under a parent the VM sees. */
            size_t pn = ntp_parent(v.s, vp);
            int pdir = 0;
            int pe = pn ? vexists(v.s, pn, &pdir) : 1;
            if (pe < 0) {
                *st = ST_ACCESS_DENIED;
                goto out;
            }
            if (!pe || (pn && !pdir)) {
                *st = ST_PATH_NOT_FOUND;
                goto out;
            }
            size_t keep = s.n;
            s.n = spath;
            *st = store_parents(&s);
            s.n = keep;
            if (*st < 0)
                goto out;
            to_store = fresh = 1;
            break;
        }
        /* The host has it. */
        if (disp == D_CREATE) {
            *st = ST_NAME_COLLISION;
            goto out;
        }
        if (!could) {
            /* A read: the host file in place (with the canonical name). */
            disp = D_OPEN;
            break;
        }
        ACCESS_MASK changes = acc & ~(ACCESS_MASK)(DELETE | SYNCHRONIZE | FILE_READ_ATTRIBUTES |
                                                   FILE_READ_DATA | FILE_READ_EA |
                                                   READ_CONTROL | FILE_EXECUTE |
                                                   FILE_LIST_DIRECTORY | FILE_TRAVERSE);
        if ((acc & DELETE) && !(changes & ~(ACCESS_MASK)FILE_READ_DATA) &&
            (disp == D_OPEN || disp == D_OPEN_IF) && v.n == vp &&
            !(acc & (GENERIC_WRITE | GENERIC_ALL | MAXIMUM_ALLOWED))) {
            /* Opened to delete or rename: no copy. The host object is
             * opened without DELETE; the delete becomes a marker. */
            vdel = 1;
            acc = (acc & ~(ACCESS_MASK)DELETE) | FILE_READ_ATTRIBUTES | SYNCHRONIZE;
            disp = D_OPEN;
            f = fstate_new(v.s, vp);
            if (!f) {
                *st = ST_NO_MEMORY;
                goto out;
            }
            if (opts & O_DELETE_ON_CLOSE) {
                if (hdir && !(opts & O_NON_DIRECTORY)) {
                    /* emptiness is checked at close time */
                }
                if ((opts & O_NON_DIRECTORY) && hdir) {
                    fstate_free(f);
                    f = NULL;
                    *st = ST_FILE_IS_A_DIRECTORY;
                    goto out;
                }
                f->on_close_delete = 1;
                f->vdel = 1;
                opts &= ~(ULONG)O_DELETE_ON_CLOSE;
            }
            break;
        }
        /* Copy up, then open the copy. */
        size_t keep = s.n;
        s.n = spath;
        if (hdir) {
            if ((opts & O_NON_DIRECTORY)) {
                *st = ST_FILE_IS_A_DIRECTORY;
                s.n = keep;
                goto out;
            }
            *st = make_dirs(s.s, s.n, g_vmdir_len);
        } else {
            if (opts & O_DIRECTORY) {
                *st = ST_NOT_A_DIRECTORY;
                s.n = keep;
                goto out;
            }
            int data = !(disp == D_SUPERSEDE || disp == D_OVERWRITE || disp == D_OVERWRITE_IF);
            *st = copy_file(v.s, vp, &s, data, 0, 1);
        }
        s.n = keep;
        if (*st < 0) {
            /* Out of memory or of disk (the store's): said as such
             * (ERROR_DISK_FULL); the temporary copy is gone. */
            *st = *st == ST_NO_MEMORY || *st == ST_DISK_FULL ? *st : ST_ACCESS_DENIED;
            goto out;
        }
        if (disp == D_OVERWRITE)
            disp = D_OVERWRITE_IF;
        to_store = 1;
        break;
    }
    }
    if (to_store) {
        *st = open_as(a, s.s, s.n, disp, acc, opts);
        if (*st >= 0 && (fresh || (a->iosb && a->iosb->Information == FILE_CREATED)))
            publish(PK_FILE, v.s, vp); /* a new private entry */
        if (*st >= 0) {
            if ((opts & O_DELETE_ON_CLOSE) && v.n == vp) {
                f = fstate_new(v.s, vp);
                if (f)
                    f->on_close_delete = 1;
            }
            remember(*a->handle, FH_STORE, f, v.s, v.n, s.s, s.n, st);
        }
    } else {
        *st = open_as(a, v.s, v.n, disp, acc, opts);
        if (*st >= 0 && (vdel || (opts & O_DIRECTORY)))
            remember(*a->handle, vdel ? FH_VDEL : 0, f, v.s, v.n, NULL, 0, st);
        else if (f)
            fstate_free(f);
        f = NULL;
    }
out:
    pb_free(&s);
    pb_free(&v);
    return 1;
}

/* ------------------------------------------------------ attribute queries */
static NTSTATUS query_attr(POBJECT_ATTRIBUTES oa, PVOID out, qattr_fn real)
{
    if (!g_on || layer_inside() || !oa || !oa->ObjectName || !oa->ObjectName->Buffer)
        return real(oa, out);
    if (!layer_enter())
        return real(oa, out);
    NTSTATUS st;
    pbuf v, s;
    size_t vp = 0;
    int kind = virtual_name(oa, &v, &vp);
    if (kind != NTP_DISK) {
        pb_free(&v);
        st = kind == NTP_TOOLONG ? ST_NAME_INVALID : kind == NTP_UNIX ? ST_ACCESS_DENIED
                                                                       : real(oa, out);
        layer_leave();
        return st;
    }
    if (hidden(v.s, vp)) {
        st = ST_PATH_NOT_FOUND;
    } else if (!pb_init(&s, g_files_len + v.n + 8)) {
        st = ST_NO_MEMORY;
    } else {
        int sdir;
        int l = lookup(v.s, vp, &s, &sdir);
        UNICODE_STRING us;
        OBJECT_ATTRIBUTES o2 = *oa;
        o2.RootDirectory = NULL;
        o2.ObjectName = &us;
        if (l == L_PRIVATE) {
            if (v.n > vp && s.n + v.n - vp <= s.cap) {
                memcpy(s.s + s.n, v.s + vp, (v.n - vp) * 2);
                s.n += v.n - vp;
            }
            mkus(&us, s.s, s.n);
            st = real(&o2, out);
        } else if (l == L_HOST) {
            mkus(&us, v.s, v.n);
            st = real(&o2, out);
        } else {
            st = l == L_DELETED ? ST_NAME_NOT_FOUND : l == L_GONE_PARENT ? ST_PATH_NOT_FOUND
                                                                         : ST_ACCESS_DENIED;
        }
        pb_free(&s);
    }
    pb_free(&v);
    layer_leave();
    return st;
}

static NTSTATUS NTAPI hk_qattr(POBJECT_ATTRIBUTES oa, PVOID out)
{
    return query_attr(oa, out, real_qattr);
}

static NTSTATUS NTAPI hk_qfattr(POBJECT_ATTRIBUTES oa, PVOID out)
{
    return query_attr(oa, out, real_qfattr);
}

/* --------------------------------------------------------- listings */
/* FILE_ID_BOTH_DIR_INFORMATION, spelled out (x64 offsets). */
#define E_NEXT 0
#define E_INDEX 4
#define E_TIMES 8      /* 4 x 8: creation, access, write, change */
#define E_EOF 40
#define E_ALLOC 48
#define E_ATTR 56
#define E_NAMELEN 60
#define E_EASIZE 64
#define E_SHORTLEN 68
#define E_SHORT 70
#define E_FILEID 96
#define E_NAME 104

static ULONG rd32(const char *p, size_t off)
{
    ULONG v;
    memcpy(&v, p + off, 4);
    return v;
}

static void wr32(char *p, size_t off, ULONG v)
{
    memcpy(p + off, &v, 4);
}

typedef struct lbuild {
    char *blob;
    size_t len, cap;
    dm_ent *ents;
    size_t n, ncap;
} lbuild;

static int lb_add(lbuild *b, const char *rec, size_t reclen, int src)
{
    size_t need = (reclen + 7) & ~(size_t)7;
    if (b->len + need > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 65536;
        while (nc < b->len + need)
            nc *= 2;
        char *nb = xalloc(nc);
        if (!nb)
            return -1;
        if (b->blob)
            memcpy(nb, b->blob, b->len);
        xfree(b->blob);
        b->blob = nb;
        b->cap = nc;
    }
    if (b->n == b->ncap) {
        size_t nc = b->ncap ? b->ncap * 2 : 256;
        dm_ent *ne = xalloc(nc * sizeof *ne);
        if (!ne)
            return -1;
        if (b->ents)
            memcpy(ne, b->ents, b->n * sizeof *ne);
        xfree(b->ents);
        b->ents = ne;
        b->ncap = nc;
    }
    memcpy(b->blob + b->len, rec, reclen);
    b->ents[b->n].name = NULL;
    b->ents[b->n].len = rd32(rec, E_NAMELEN) / 2;
    b->ents[b->n].src = src;
    b->ents[b->n].idx = b->len;
    b->n++;
    b->len += need;
    return 0;
}

/* Reads the whole directory at NT path p into b. 0 when absent. */
static NTSTATUS lb_read(lbuild *b, const uint16_t *p, size_t n, int src)
{
    HANDLE h;
    NTSTATUS st = raw_create(&h, FILE_LIST_DIRECTORY | SYNCHRONIZE, p, n, 0,
                             FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, D_OPEN,
                             O_DIRECTORY | O_SYNC_NONALERT);
    if (st == ST_NAME_NOT_FOUND || st == ST_PATH_NOT_FOUND || st == ST_NOT_A_DIRECTORY)
        return 0;
    if (st < 0)
        return st;
    enum { QBUF = 64 * 1024 };
    char *buf = xalloc(QBUF);
    if (!buf) {
        nt_close_original(h);
        return ST_NO_MEMORY;
    }
    BOOLEAN restart = TRUE;
    for (;;) {
        IO_STATUS_BLOCK io;
        st = real_qdir(h, NULL, NULL, NULL, &io, buf, QBUF, C_IDBOTHDIR, FALSE, NULL, restart);
        restart = FALSE;
        if (st == ST_NO_MORE_FILES || st == ST_NO_SUCH_FILE) {
            st = 0;
            break;
        }
        if (st < 0)
            break;
        for (char *e = buf;;) {
            ULONG next = rd32(e, E_NEXT);
            size_t rl = E_NAME + rd32(e, E_NAMELEN);
            if (lb_add(b, e, rl, src) != 0) {
                st = ST_NO_MEMORY;
                break;
            }
            if (!next)
                break;
            e += next;
        }
        if (st < 0)
            break;
    }
    xfree(buf);
    nt_close_original(h);
    return st;
}

/* Builds the merged listing of virtual directory v into f. */
static NTSTATUS build_listing(fstate *f, const uint16_t *v, size_t vn)
{
    lbuild b = { 0 };
    NTSTATUS st = 0;
    int d = deleted(v, vn);
    if (d < 0)
        return ST_ACCESS_DENIED;
    pbuf s;
    if (!pb_init(&s, g_files_len + g_del_len + vn + 8))
        return ST_NO_MEMORY;
    /* The host's entries, unless this directory was deleted (a private
     * directory of the same name then replaces it whole). */
    if (!d)
        st = lb_read(&b, v, vn, DM_HOST);
    if (st >= 0) {
        s.n = ntp_store_path(g_files, g_files_len, v, vn, s.s, s.cap);
        st = s.n ? lb_read(&b, s.s, s.n, DM_PRIVATE) : ST_ACCESS_DENIED;
    }
    if (st >= 0 && !d) {
        s.n = ntp_store_path(g_del, g_del_len, v, vn, s.s, s.cap);
        st = s.n ? lb_read(&b, s.s, s.n, DM_DELETED) : ST_ACCESS_DENIED;
    }
    pb_free(&s);
    if (st >= 0) {
        /* the store is never listed */
        for (size_t i = 0; i < b.n; i++) {
            b.ents[i].name = (const uint16_t *)(b.blob + b.ents[i].idx + E_NAME);
            if (b.ents[i].src == DM_DELETED)
                continue;
            size_t nl = b.ents[i].len;
            pbuf c;
            if (pb_init(&c, vn + nl + 2)) {
                memcpy(c.s, v, vn * 2);
                c.n = vn;
                if (c.s[c.n - 1] != '\\')
                    c.s[c.n++] = '\\';
                memcpy(c.s + c.n, b.ents[i].name, nl * 2);
                c.n += nl;
                if (hidden(c.s, c.n))
                    b.ents[i].src = DM_DELETED;
                pb_free(&c);
            }
        }
        dm_ent *scratch = xalloc((b.n + 1) * sizeof *scratch);
        if (!scratch) {
            st = ST_NO_MEMORY;
        } else {
            size_t k = dm_merge(b.ents, b.n, scratch);
            xfree(scratch);
            xfree(f->order);
            f->order = xalloc((k + 1) * sizeof *f->order);
            if (!f->order) {
                st = ST_NO_MEMORY;
            } else {
                for (size_t i = 0; i < k; i++)
                    f->order[i] = b.ents[i].idx;
                f->count = k;
                xfree(f->blob);
                f->blob = b.blob;
                f->blob_len = b.len;
                b.blob = NULL;
                f->pos = 0;
                f->built = 1;
            }
        }
    }
    xfree(b.blob);
    xfree(b.ents);
    return st;
}

/* Fixed part of each class, and where its name goes. */
static int class_layout(ULONG cls, size_t *fixed, size_t *name_off)
{
    switch (cls) {
    case C_DIRECTORY: *fixed = 64; *name_off = 64; return 1;
    case C_FULLDIR: *fixed = 68; *name_off = 68; return 1;
    case C_BOTHDIR: *fixed = 94; *name_off = 94; return 1;
    case C_NAMES: *fixed = 12; *name_off = 12; return 1;
    case C_IDBOTHDIR: *fixed = 104; *name_off = 104; return 1;
    case C_IDFULLDIR: *fixed = 80; *name_off = 80; return 1;
    default: return 0;
    }
}

static void put_entry(char *o, const char *e, ULONG cls, size_t name_off, ULONG name_bytes)
{
    ULONG nl = rd32(e, E_NAMELEN);
    if (cls == C_NAMES) {
        wr32(o, 4, rd32(e, E_INDEX));
        wr32(o, 8, nl);
    } else {
        memcpy(o + 4, e + 4, 56);      /* index, times, sizes, attributes */
        wr32(o, 60, nl);
        if (cls != C_DIRECTORY)
            memcpy(o + 64, e + E_EASIZE, 4);
        if (cls == C_BOTHDIR || cls == C_IDBOTHDIR)
            memcpy(o + 68, e + E_SHORTLEN, 26);
        if (cls == C_IDBOTHDIR)
            memcpy(o + 96, e + E_FILEID, 8);
        if (cls == C_IDFULLDIR) {
            memset(o + 68, 0, 4);
            memcpy(o + 72, e + E_FILEID, 8);
        }
    }
    wr32(o, 0, 0);
    memcpy(o + name_off, e + E_NAME, name_bytes);
}

static NTSTATUS serve_listing(fstate *f, PIO_STATUS_BLOCK io, char *buf, ULONG len, ULONG cls,
                              BOOLEAN single)
{
    size_t fixed, name_off;
    if (!class_layout(cls, &fixed, &name_off))
        return ST_INVALID_INFO_CLASS;
    if (len < fixed)
        return ST_INFO_LENGTH_MISMATCH;
    size_t used = 0, last = (size_t)-1;
    NTSTATUS st = 0;
    while (f->pos < f->count) {
        const char *e = f->blob + f->order[f->pos];
        const uint16_t *nm = (const uint16_t *)(e + E_NAME);
        ULONG nl = rd32(e, E_NAMELEN);
        if (!ntp_match(f->mask, f->mask_len, nm, nl / 2)) {
            f->pos++;
            continue;
        }
        size_t at = (used + 7) & ~(size_t)7;
        if (last == (size_t)-1)
            at = 0;
        if (at + fixed + nl > len) {
            if (last == (size_t)-1) {
                /* the first entry does not fit: as much of its name as fits */
                ULONG part = (ULONG)((len - fixed) & ~(size_t)1);
                put_entry(buf, e, cls, name_off, part);
                used = len;
                f->pos++;
                st = ST_BUFFER_OVERFLOW;
                last = 0;
            }
            break;
        }
        put_entry(buf + at, e, cls, name_off, nl);
        if (last != (size_t)-1)
            wr32(buf, last, (ULONG)(at - last));
        last = at;
        used = at + fixed + nl;
        f->pos++;
        if (single)
            break;
    }
    if (last == (size_t)-1) {
        st = f->any_returned ? ST_NO_MORE_FILES : ST_NO_SUCH_FILE;
        used = 0;
    }
    f->any_returned = 1;
    io->Status = st;
    io->Information = used;
    return st;
}

/* The merged listing of an HT_FILE handle, for NtQueryDirectoryFile and
 * NtQueryDirectoryFileEx. Returns 0 (and leaves *st alone) when the handle
 * is not one of the layer's: the caller then calls its original. */
static int qdir_merged(HANDLE h, HANDLE ev, PIO_STATUS_BLOCK io, PVOID buf, ULONG len, ULONG cls,
                       BOOLEAN single, PUNICODE_STRING mask, BOOLEAN restart, NTSTATUS *st)
{
    if (!g_on || htab_count == 0 || layer_inside() || htab_kind(h) != HT_FILE)
        return 0;
    if (!layer_enter())
        return 0;
    htab_entry e;
    if (!htab_get(h, &e)) {
        layer_leave();
        return 0;
    }
    fstate *f = e.data;
    if (!f) {
        f = fstate_new(e.name, e.name_len);
        if (!f || htab_put(h, HT_FILE, e.flags, f, e.name, e.name_len, e.real, e.real_len) != 0) {
            fstate_free(f);
            htab_release(&e);
            layer_leave();
            *st = ST_NO_MEMORY;
            return 1;
        }
    }
    if (mask && mask->Buffer && (restart || !f->built)) {
        xfree(f->mask);
        f->mask_len = mask->Length / 2;
        f->mask = xalloc(f->mask_len * 2 + 2);
        if (f->mask)
            memcpy(f->mask, mask->Buffer, f->mask_len * 2);
        else
            f->mask_len = 0;
    }
    *st = 0;
    if (restart || !f->built) {
        *st = build_listing(f, e.name, e.name_len);
        f->any_returned = 0;
    }
    if (*st >= 0)
        *st = serve_listing(f, io, buf, len, cls, single);
    htab_release(&e);
    if (ev)
        nt_set_event(ev, NULL);
    layer_leave();
    return 1;
}

static NTSTATUS NTAPI hk_qdir(HANDLE h, HANDLE ev, PIO_APC_ROUTINE apc, PVOID ctx,
                              PIO_STATUS_BLOCK io, PVOID buf, ULONG len, ULONG cls,
                              BOOLEAN single, PUNICODE_STRING mask, BOOLEAN restart)
{
    NTSTATUS st;
    if (qdir_merged(h, ev, io, buf, len, cls, single, mask, restart, &st))
        return st;
    return real_qdir(h, ev, apc, ctx, io, buf, len, cls, single, mask, restart);
}

/* NtQueryDirectoryFileEx (Windows 10 1709 and later; not in Wine 8):
 * SL_RESTART_SCAN 1, SL_RETURN_SINGLE_ENTRY 2. SL_INDEX_SPECIFIED (4) has
 * no meaning for a merged listing, as on NTFS; the other flags change
 * nothing here. */
static NTSTATUS NTAPI hk_qdirex(HANDLE h, HANDLE ev, PIO_APC_ROUTINE apc, PVOID ctx,
                                PIO_STATUS_BLOCK io, PVOID buf, ULONG len, ULONG cls,
                                ULONG flags, PUNICODE_STRING mask)
{
    NTSTATUS st;
    if (qdir_merged(h, ev, io, buf, len, cls, (flags & 2) != 0, mask, (flags & 1) != 0, &st))
        return st;
    return real_qdirex(h, ev, apc, ctx, io, buf, len, cls, flags, mask);
}

/* -------------------------------------------------- names of handles */
static int virtual_entry(HANDLE h, htab_entry *e)
{
    if (!g_on || htab_count == 0 || htab_kind(h) != HT_FILE)
        return 0;
    if (!htab_get(h, e))
        return 0;
    if (!(e->flags & FH_STORE)) {
        htab_release(e);
        return 0;
    }
    return 1;
}

/* Puts the path part of virtual name v (\dir\file) into a FILE_NAME_INFORMATION. */
static NTSTATUS put_file_name(char *p, ULONG room, const uint16_t *v, size_t vn, ULONG *used)
{
    const uint16_t *path = v + 6;
    size_t pn = vn - 6;
    ULONG bytes = (ULONG)(pn * 2);
    if (room < 4)
        return ST_INFO_LENGTH_MISMATCH;
    wr32(p, 0, bytes);
    ULONG fit = room - 4 < bytes ? (room - 4) & ~1u : bytes;
    memcpy(p + 4, path, fit);
    *used = 4 + fit;
    return fit < bytes ? ST_BUFFER_OVERFLOW : 0;
}

static NTSTATUS NTAPI hk_qinfo(HANDLE h, PIO_STATUS_BLOCK io, PVOID buf, ULONG len, ULONG cls)
{
    NTSTATUS st = real_qinfo(h, io, buf, len, cls);
    if ((cls != C_NAME && cls != C_ALL && cls != C_NORMALIZED) || layer_inside())
        return st;
    if (st < 0 && st != ST_BUFFER_OVERFLOW)
        return st;
    if (!layer_enter())
        return st;
    htab_entry e;
    if (virtual_entry(h, &e)) {
        size_t off = cls == C_ALL ? 96 : 0;
        ULONG used = 0;
        if (len >= off + 4) {
            st = put_file_name((char *)buf + off, len - (ULONG)off, e.name, e.name_len, &used);
            io->Status = st;
            io->Information = off + used;
        }
        htab_release(&e);
    }
    layer_leave();
    return st;
}

int file_query_name(HANDLE h, PVOID buf, ULONG len, PULONG ret, NTSTATUS *st)
{
    htab_entry e;
    if (!virtual_entry(h, &e))
        return 0;
    /* The name in the same style as the system's: \??\X:\... (Wine) or
     * \Device\HarddiskVolumeN\... (Windows). */
    OBJECT_NAME_INFORMATION *oni = buf;
    int dev = *st >= 0 && len >= sizeof *oni && oni->Name.Buffer && oni->Name.Length >= 16 &&
              ((uint16_t *)oni->Name.Buffer)[1] == 'D';
    int d = ntp_upcase(e.name[4]) - 'A';
    size_t pre = 6, dl = 0;
    if (dev && d >= 0 && d < 26 && g_vol.dev_len[d])
        dl = g_vol.dev_len[d];
    else
        dev = 0;
    size_t n = (dev ? dl : pre) + (e.name_len - 6);
    ULONG need = (ULONG)(sizeof *oni + (n + 1) * 2);
    if (ret)
        *ret = need;
    if (len < need) {
        *st = len < sizeof *oni ? ST_INFO_LENGTH_MISMATCH : ST_BUFFER_OVERFLOW;
    } else {
        uint16_t *o = (uint16_t *)((char *)buf + sizeof *oni);
        if (dev)
            memcpy(o, g_vol.dev[d], dl * 2);
        else
            memcpy(o, e.name, pre * 2);
        memcpy(o + (dev ? dl : pre), e.name + 6, (e.name_len - 6) * 2);
        o[n] = 0;
        oni->Name.Buffer = (PWSTR)o;
        oni->Name.Length = (USHORT)(n * 2);
        oni->Name.MaximumLength = (USHORT)((n + 1) * 2);
        *st = 0;
    }
    htab_release(&e);
    return 1;
}

/* ---------------------------------------------- NtSetInformationFile */
/* Is the VM's view of directory v empty? 1 yes, 0 no, <0 error. */
static int vdir_empty(const uint16_t *v, size_t vn)
{
    fstate *f = fstate_new(v, vn);
    if (!f)
        return -1;
    NTSTATUS st = build_listing(f, v, vn);
    int r = st < 0 ? -1 : 1;
    for (size_t i = 0; st >= 0 && i < f->count; i++) {
        const char *e = f->blob + f->order[i];
        ULONG nl = rd32(e, E_NAMELEN) / 2;
        const uint16_t *nm = (const uint16_t *)(e + E_NAME);
        if (!(nl == 1 && nm[0] == '.') && !(nl == 2 && nm[0] == '.' && nm[1] == '.'))
            r = 0;
    }
    fstate_free(f);
    return r;
}

/* The target of a rename or link, as a virtual path. */
static int target_name(HANDLE src_dir_of, const htab_entry *se, const FILE_RENAME_INFORMATION *ri,
                       ULONG len, pbuf *t, size_t *tp)
{
    (void)src_dir_of;
    t->s = NULL;
    if (len < sizeof *ri || ri->FileNameLength > len - 20 || ri->FileNameLength / 2 > NTP_MAX)
        return NTP_BAD;
    const uint16_t *nm = (const uint16_t *)ri->FileName;
    size_t n = ri->FileNameLength / 2;
    UNICODE_STRING us;
    OBJECT_ATTRIBUTES oa;
    mkus(&us, nm, n);
    InitializeObjectAttributes(&oa, &us, 0, ri->RootDirectory, NULL);
    int simple = !ri->RootDirectory && n > 0 && nm[0] != '\\';
    if (simple) {
        for (size_t i = 0; i < n; i++)
            if (nm[i] == '\\' || nm[i] == '/')
                simple = 0;
    }
    if (simple) {
        size_t pn = ntp_parent(se->name, se->name_len);
        if (!pb_init(t, pn + n + 8))
            return NTP_TOOLONG;
        return ntp_join(se->name, pn, nm, n, &g_vol, t->s, t->cap, &t->n, tp);
    }
    return virtual_name(&oa, t, tp);
}

/* Is e a directory whose view includes the host's directory (a host
 * directory, or a private one that is not opaque)? */
static int merges_host_dir(const htab_entry *e)
{
    int hdir = 0;
    if (has_stream(e->name, e->name_len) || probe(e->name, e->name_len, &hdir, NULL) != 1 || !hdir)
        return 0;
    return deleted(e->name, e->name_len) == 0;
}

/* Copies up the VM's whole view of directory v, in place: afterwards the
 * private directory <files>\v holds every entry the VM sees under v (host
 * files copied up, with their origin records, as any copy-up; host
 * directories made private; an opaque private directory is whole already).
 * The VM's view does not change. */
static NTSTATUS copy_up_tree(const uint16_t *v, size_t vn, int depth)
{
    if (depth > 64)
        return ST_ACCESS_DENIED;
    pbuf s;
    if (!pb_init(&s, g_files_len + vn + 8))
        return ST_NO_MEMORY;
    int sdir = 0, l = lookup(v, vn, &s, &sdir);
    NTSTATUS st = 0;
    if (l == L_PRIVATE && !sdir)
        st = ST_ACCESS_DENIED;
    else if (l != L_PRIVATE && l != L_HOST)
        st = ST_ACCESS_DENIED;
    else if (l == L_HOST)
        st = make_dirs(s.s, s.n, g_vmdir_len);
    fstate *f = st >= 0 ? fstate_new(v, vn) : NULL;
    if (st >= 0 && !f)
        st = ST_NO_MEMORY;
    if (st >= 0)
        st = build_listing(f, v, vn);
    for (size_t i = 0; st >= 0 && i < f->count; i++) {
        const char *ent = f->blob + f->order[i];
        ULONG nl = rd32(ent, E_NAMELEN) / 2;
        const uint16_t *nm = (const uint16_t *)(ent + E_NAME);
        if ((nl == 1 && nm[0] == '.') || (nl == 2 && nm[0] == '.' && nm[1] == '.'))
            continue;
        pbuf c, cs;
        if (!pb_init(&c, vn + nl + 2)) {
            st = ST_NO_MEMORY;
            break;
        }
        memcpy(c.s, v, vn * 2);
        c.n = vn;
        if (c.s[c.n - 1] != '\\')
            c.s[c.n++] = '\\';
        memcpy(c.s + c.n, nm, nl * 2);
        c.n += nl;
        if (!pb_init(&cs, g_files_len + c.n + 8)) {
            pb_free(&c);
            st = ST_NO_MEMORY;
            break;
        }
        int cdir = 0, cl = lookup(c.s, c.n, &cs, &cdir);
        if (cl == L_HOST) {
            int hdir = 0, e = probe(c.s, c.n, &hdir, NULL);
            if (e != 1)
                st = ST_ACCESS_DENIED; /* listed, then gone: fail closed */
            else if (hdir)
                st = copy_up_tree(c.s, c.n, depth + 1);
            else
                st = copy_file(c.s, c.n, &cs, 1, 0, 1);
        } else if (cl == L_PRIVATE) {
            /* a private directory that is not opaque may still show host
             * entries below it */
            int hdir = 0, d = cdir ? deleted(c.s, c.n) : 1;
            int he = d == 0 ? probe(c.s, c.n, &hdir, NULL) : 0;
            if (d < 0 || he < 0)
                st = ST_ACCESS_DENIED; /* fail closed: host entries could be lost */
            else if (d == 0 && he == 1 && hdir)
                st = copy_up_tree(c.s, c.n, depth + 1);
        } else {
            st = ST_ACCESS_DENIED;
        }
        pb_free(&cs);
        pb_free(&c);
    }
    fstate_free(f);
    pb_free(&s);
    return st;
}

/* Opens the private directory at store path p to rename it. */
static NTSTATUS open_store_dir(HANDLE *h, const uint16_t *p, size_t n)
{
    return raw_create(h, DELETE | SYNCHRONIZE, p, n, 0,
                      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, D_OPEN,
                      O_DIRECTORY | O_SYNC_NONALERT);
}

/* Renames directory e (its view includes host entries) to virtual t
 * (store path ts), which the VM does not see (docs/ns-file.md, "Renaming
 * a directory that shows host entries"). In this order:
 *   1. copy-up of the whole view of e in place (the view does not change);
 *   2. the private directory, now complete, is renamed to ts: one rename,
 *      the new name's view is whole from then on;
 *   3. the origin records under the old name go (no private copy is left
 *      there; the host has nothing at the new name to compare them with);
 *   4. the old name is marked deleted (one empty marker, which replaces
 *      those of its children): the host's entries under it are hidden.
 * Steps 1-3 here; the caller does 4 (mark_deleted) and renames the
 * handle's entry. */
static NTSTATUS rename_merged(HANDLE h, htab_entry *e, const pbuf *ts)
{
    NTSTATUS st = copy_up_tree(e->name, e->name_len, 0);
    if (st < 0)
        return st;
    st = store_parents(ts);
    if (st < 0)
        return st;
    if (e->flags & FH_STORE) {
        st = rename_handle(h, ts->s, ts->n, 0);
    } else {
        pbuf s;
        HANDLE sh;
        if (!pb_init(&s, g_files_len + e->name_len + 8))
            return ST_NO_MEMORY;
        s.n = ntp_store_path(g_files, g_files_len, e->name, e->name_len, s.s, s.cap);
        st = s.n ? open_store_dir(&sh, s.s, s.n) : ST_NAME_INVALID;
        if (st >= 0) {
            st = rename_handle(sh, ts->s, ts->n, 0);
            nt_close_original(sh);
        }
        pb_free(&s);
    }
    if (st < 0)
        return st == ST_NAME_COLLISION ? ST_ACCESS_DENIED : st;
    publish(PK_REBUILD, NULL, 0); /* a directory of the store moved */
    pbuf o;
    if (pb_init(&o, g_orig_len + e->name_len + 8)) {
        o.n = ntp_store_path(g_orig, g_orig_len, e->name, e->name_len, o.s, o.cap);
        if (o.n)
            remove_tree(o.s, o.n, 0);
        pb_free(&o);
    }
    return 0;
}

/* The handle's state takes the new name t (store path ts); its htab entry
 * too when put. */
static void rename_entry(HANDLE h, htab_entry *e, const pbuf *t, const pbuf *ts, int put)
{
    fstate *f = e->data;
    if (f) {
        uint16_t *nv = xalloc((t->n + 1) * 2);
        if (nv) {
            memcpy(nv, t->s, t->n * 2);
            xfree(f->v);
            f->v = nv;
            f->vn = t->n;
        }
    }
    if (put && (e->flags & FH_STORE))
        htab_put(h, HT_FILE, e->flags, e->data, t->s, t->n, ts->s, ts->n);
    else if (put)
        htab_put(h, HT_FILE, e->flags, e->data, t->s, t->n, NULL, 0);
}

static NTSTATUS do_rename(HANDLE h, htab_entry *e, FILE_RENAME_INFORMATION *ri, ULONG len,
                          ULONG cls, int link)
{
    pbuf t, ts;
    size_t tp = 0;
    NTSTATUS st;
    int replace = cls == C_RENAME_EX || cls == C_LINK_EX ? (*(ULONG *)ri & 1) != 0
                                                         : ri->ReplaceIfExists != 0;
    int k = target_name(h, e, ri, len, &t, &tp);
    if (k != NTP_DISK || tp != t.n) {
        pb_free(&t);
        return k == NTP_OTHER ? ST_NOT_SAME_DEVICE : ST_NAME_INVALID;
    }
    if (hidden(t.s, tp)) {
        pb_free(&t);
        return ST_ACCESS_DENIED;
    }
    if (!pb_init(&ts, g_files_len + t.n + 8)) {
        pb_free(&t);
        return ST_NO_MEMORY;
    }
    int tdir = 0;
    int l = lookup(t.s, t.n, &ts, &tdir);
    int texists = l == L_PRIVATE ? 1 : l == L_HOST ? probe(t.s, t.n, &tdir, NULL) : 0;
    size_t pn = ntp_parent(t.s, t.n);
    int pdir = 0, pe = pn ? vexists(t.s, pn, &pdir) : 1;
    if (l == L_ERROR || texists < 0 || pe < 0) {
        st = ST_ACCESS_DENIED;
    } else if (l == L_GONE_PARENT || !pe || !pdir) {
        st = ST_PATH_NOT_FOUND;
    } else if (texists && !replace) {
        st = ST_NAME_COLLISION;
    } else if (texists && ntp_eq(t.s, t.n, e->name, e->name_len)) {
        st = 0; /* onto itself */
    } else if (!link && merges_host_dir(e)) {
        /* a directory onto an existing name: refused, as NTFS does */
        st = texists ? ST_ACCESS_DENIED : rename_merged(h, e, &ts);
        if (st >= 0) {
            st = mark_deleted(e->name, e->name_len);
            rename_entry(h, e, &t, &ts, st >= 0);
        }
    } else {
        st = store_parents(&ts);
        if (st >= 0 && l == L_HOST && texists && !tdir) {
            /* The private target will hide the host's file: record what
             * the VM replaced, as a copy-up would. */
            uint8_t rec[FOR_SIZE];
            int hk = host_record(t.s, t.n, rec);
            st = hk == 1 ? write_origin(t.s, t.n, rec) : hk < 0 ? ST_ACCESS_DENIED : 0;
        }
        if (st >= 0) {
            if (e->flags & FH_STORE) {
                if (link) {
                    ULONG nlen = (ULONG)(sizeof(FILE_RENAME_INFORMATION) + ts.n * 2);
                    FILE_RENAME_INFORMATION *ni = xalloc(nlen);
                    if (!ni) {
                        st = ST_NO_MEMORY;
                    } else {
                        memset(ni, 0, nlen);
                        ni->ReplaceIfExists = replace ? TRUE : FALSE;
                        ni->FileNameLength = (ULONG)(ts.n * 2);
                        memcpy(ni->FileName, ts.s, ts.n * 2);
                        st = set_info(h, ni, nlen, C_LINK);
                        xfree(ni);
                    }
                } else {
                    st = rename_handle(h, ts.s, ts.n, replace);
                }
                if (st >= 0) {
                    /* A directory moved: its whole subtree has new names. */
                    int mdir = 0;
                    if (!link && probe(ts.s, ts.n, &mdir, NULL) == 1 && mdir)
                        publish(PK_REBUILD, NULL, 0);
                    else
                        publish(PK_FILE, t.s, t.n);
                }
            } else {
                /* A host file: its copy goes to the target. */
                int hdir = 0;
                probe(e->name, e->name_len, &hdir, NULL);
                if (hdir)
                    st = ST_ACCESS_DENIED; /* host directories: see the docs */
                else
                    st = copy_file(e->name, e->name_len, &ts, 1, replace, 0);
            }
            if (st >= 0 && !link) {
                st = mark_deleted(e->name, e->name_len);
                rename_entry(h, e, &t, &ts, st >= 0);
            }
        }
    }
    pb_free(&ts);
    pb_free(&t);
    return st;
}

/* The NtSetInformationFile classes that change the file, besides renames,
 * links and deletes:
 *   W_COPY   on a host file's handle, applied to the private copy (copied
 *            up first). Wine checks no access for FileBasicInformation:
 *            its SetFileAttributesW opens with SYNCHRONIZE only.
 *   W_DENY   refused on a host file's handle;
 *   W_NEVER  refused on every handle: the kernel-mode forms of rename and
 *            link, which would bypass their virtualization.
 * On a store handle (the VM's own file) the others go to the system. */
enum { W_NONE, W_COPY, W_DENY, W_NEVER };

static int write_class(ULONG cls)
{
    switch (cls) {
    case C_BASIC:
    case C_ALLOCATION:
    case C_EOF:
    case C_VALID_DATA:
        return W_COPY;
    case 15: /* FileFullEaInformation */
    case 29: /* FileObjectIdInformation */
    case 31: /* FileMoveClusterInformation */
    case 36: /* FileTrackingInformation */
    case 40: /* FileShortNameInformation */
    case 44: /* FileSfioReserveInformation */
    case 67: /* FileDesiredStorageClassInformation */
    case 71: /* FileCaseSensitiveInformation */
    case 74: /* FileStorageReserveIdInformation */
    case 75: /* FileCaseSensitiveInformationForceAccessCheck */
        return W_DENY;
    case 56: /* FileRenameInformationBypassAccessCheck */
    case 57: /* FileLinkInformationBypassAccessCheck */
    case 66: /* FileRenameInformationExBypassAccessCheck */
    case 73: /* FileLinkInformationExBypassAccessCheck */
        return W_NEVER;
    }
    return W_NONE;
}

/* ObjectBasicInformation (NtQueryObject class 0). */
typedef struct obj_basic {
    ULONG attributes;
    ACCESS_MASK granted;
    ULONG rest[12];
} obj_basic;

/* A W_COPY or W_DENY class on handle h, which is no store handle: e is its
 * handle-table entry (a host directory, an FH_VDEL handle), or NULL for a
 * handle the layer did not record (a plain host open, such as the one
 * SetFileAttributesW makes; inherited ones): its name comes from the
 * system. A host file is copied up, and the change goes to the copy; the
 * host file is never changed. Unknown or odd names are refused. */
static NTSTATUS sinfo_host(HANDLE h, const htab_entry *e, PIO_STATUS_BLOCK io, PVOID buf,
                           ULONG len, ULONG cls, int wc)
{
    const uint16_t *nm = NULL;
    size_t nn = 0;
    OBJECT_NAME_INFORMATION *oni = NULL;
    if (e) {
        nm = e->name;
        nn = e->name_len;
    } else {
        ULONG ret = 0, qlen = 4096 * 2 + 64;
        oni = xalloc(qlen);
        if (!oni || nt_query_object_original(h, 1, oni, qlen, &ret) < 0) {
            xfree(oni);
            return ST_ACCESS_DENIED;
        }
        nm = (const uint16_t *)oni->Name.Buffer;
        nn = nm ? oni->Name.Length / 2 : 0;
    }
    pbuf v, s;
    size_t vp = 0;
    if (!pb_init(&v, nn + 16)) {
        xfree(oni);
        return ST_NO_MEMORY;
    }
    int k = ntp_canon(nm, nn, &g_vol, v.s, v.cap, &v.n, &vp);
    xfree(oni);
    NTSTATUS st = ST_ACCESS_DENIED;
    if (k == NTP_OTHER) {
        pb_free(&v);
        return real_sinfo(h, io, buf, len, cls); /* no disk file: a pipe... */
    }
    if (k != NTP_DISK || wc != W_COPY) {
        pb_free(&v);
        return ST_ACCESS_DENIED;
    }
    if (hidden(v.s, vp)) {
        /* a handle to the VM's own private copy the layer did not open
         * (inherited): the VM's file; anything else of the store: no */
        int own = ntp_under(v.s, vp, g_files, g_files_len);
        pb_free(&v);
        return own ? real_sinfo(h, io, buf, len, cls) : ST_ACCESS_DENIED;
    }
    ULONG need = cls == C_BASIC ? (ULONG)sizeof(FILE_BASIC_INFORMATION) : 8;
    if (len < need) {
        pb_free(&v);
        return ST_INFO_LENGTH_MISMATCH;
    }
    if (cls == C_BASIC) {
        /* All zero changes nothing: no copy for it. */
        const unsigned char *b = buf;
        size_t i = 0;
        while (i < sizeof(FILE_BASIC_INFORMATION) && !b[i])
            i++;
        if (i == sizeof(FILE_BASIC_INFORMATION)) {
            pb_free(&v);
            return real_sinfo(h, io, buf, len, cls);
        }
    } else {
        /* The size classes need write access to the data, as on Windows:
         * a read-only handle is refused (and nothing is copied). */
        obj_basic ob;
        ULONG ret = 0;
        if (nt_query_object_original(h, 0, &ob, sizeof ob, &ret) < 0 ||
            !(ob.granted & FILE_WRITE_DATA)) {
            pb_free(&v);
            return ST_ACCESS_DENIED;
        }
    }
    if (!pb_init(&s, g_files_len + v.n + 8)) {
        pb_free(&v);
        return ST_NO_MEMORY;
    }
    int sdir = 0;
    int l = lookup(v.s, vp, &s, &sdir);
    if (l == L_HOST) {
        int hdir = 0;
        int hex = probe(v.s, vp, &hdir, NULL);
        if (hex != 1)
            l = L_ERROR;
        else if (hdir)
            l = cls == C_BASIC && make_dirs(s.s, s.n, g_vmdir_len) >= 0 ? L_PRIVATE : L_ERROR;
        else
            l = copy_file(v.s, vp, &s, 1, 0, 1) >= 0 ? L_PRIVATE : L_ERROR;
    }
    if (l == L_PRIVATE && s.n + (v.n - vp) <= s.cap) {
        memcpy(s.s + s.n, v.s + vp, (v.n - vp) * 2); /* the stream, if any */
        s.n += v.n - vp;
        HANDLE ph;
        ACCESS_MASK acc = SYNCHRONIZE | (cls == C_BASIC ? FILE_WRITE_ATTRIBUTES : FILE_WRITE_DATA);
        st = raw_create(&ph, acc, s.s, s.n, 0,
                        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, D_OPEN,
                        O_SYNC_NONALERT);
        if (st >= 0) {
            st = real_sinfo(ph, io, buf, len, cls);
            nt_close_original(ph);
        }
    }
    pb_free(&s);
    pb_free(&v);
    return st;
}

static NTSTATUS NTAPI hk_sinfo(HANDLE h, PIO_STATUS_BLOCK io, PVOID buf, ULONG len, ULONG cls)
{
    int wc = g_on ? write_class(cls) : W_NONE;
    if (wc == W_NEVER)
        return ST_ACCESS_DENIED;
    if (wc != W_NONE && !layer_inside()) {
        /* The VM's own files (store handles) change in place; a host
         * file's handle: see sinfo_host. */
        htab_entry e;
        int known = htab_count != 0 && htab_kind(h) == HT_FILE;
        if (!layer_enter())
            return real_sinfo(h, io, buf, len, cls);
        NTSTATUS st;
        if (known && htab_get(h, &e)) {
            st = (e.flags & FH_STORE) ? real_sinfo(h, io, buf, len, cls)
                                      : sinfo_host(h, &e, io, buf, len, cls, wc);
            htab_release(&e);
        } else {
            st = sinfo_host(h, NULL, io, buf, len, cls, wc);
        }
        layer_leave();
        return st;
    }
    if (!g_on || layer_inside() ||
        (cls != C_RENAME && cls != C_RENAME_EX && cls != C_LINK && cls != C_LINK_EX &&
         cls != C_DISPOSITION && cls != C_DISPOSITION_EX))
        return real_sinfo(h, io, buf, len, cls);
    int known = htab_count != 0 && htab_kind(h) == HT_FILE;
    if (!known && (cls == C_DISPOSITION || cls == C_DISPOSITION_EX))
        return real_sinfo(h, io, buf, len, cls); /* a host handle without DELETE: refused there */
    if (!layer_enter())
        return real_sinfo(h, io, buf, len, cls);
    NTSTATUS st;
    htab_entry e;
    int have = known && htab_get(h, &e);
    if (!have) {
        /* A rename or link through a handle the layer did not open: only
         * when the handle is no disk file. */
        ULONG ret = 0, qlen = 4096 * 2 + 64;
        OBJECT_NAME_INFORMATION *oni = xalloc(qlen);
        st = ST_ACCESS_DENIED;
        if (oni && nt_query_object_original(h, 1, oni, qlen, &ret) >= 0 && oni->Name.Buffer) {
            pbuf v;
            size_t vp;
            if (pb_init(&v, oni->Name.Length / 2 + 8)) {
                int k = ntp_canon((const uint16_t *)oni->Name.Buffer, oni->Name.Length / 2, &g_vol,
                                  v.s, v.cap, &v.n, &vp);
                if (k == NTP_DISK && (cls == C_LINK || cls == C_LINK_EX)) {
                    /* a hard link to a host file: copy it up, link the copy */
                    pbuf s;
                    int sd;
                    if (pb_init(&s, g_files_len + v.n + 8)) {
                        int l = lookup(v.s, vp, &s, &sd);
                        st = l == L_HOST ? copy_file(v.s, vp, &s, 1, 0, 1) : l == L_PRIVATE ? 0
                                                                                        : ST_ACCESS_DENIED;
                        HANDLE ph = NULL;
                        if (st >= 0)
                            st = raw_create(&ph, SYNCHRONIZE | FILE_READ_ATTRIBUTES, s.s, s.n, 0,
                                            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                            D_OPEN, O_SYNC_NONALERT);
                        if (st >= 0) {
                            htab_entry pe = { HT_FILE, FH_STORE, NULL, v.s, vp, s.s, s.n };
                            st = do_rename(ph, &pe, buf, len, cls, 1);
                            nt_close_original(ph);
                        }
                        pb_free(&s);
                    }
                } else if (k != NTP_DISK && k != NTP_VOLUME && k != NTP_UNIX) {
                    st = real_sinfo(h, io, buf, len, cls);
                }
                pb_free(&v);
            }
        }
        xfree(oni);
        layer_leave();
        return st;
    }
    if (cls == C_DISPOSITION || cls == C_DISPOSITION_EX) {
        ULONG flags = cls == C_DISPOSITION ? (len >= 1 ? *(BOOLEAN *)buf : 0) : (len >= 4 ? *(ULONG *)buf : 0);
        int del = (flags & 1) != 0;
        int dir = 0;
        if (del && (e.flags & (FH_STORE | FH_VDEL)) && vexists(e.name, e.name_len, &dir) == 1 &&
            dir && vdir_empty(e.name, e.name_len) != 1) {
            st = ST_NOT_EMPTY;
        } else {
            /* Acted on at the close (fstate_free): the marker is written
             * then, and a disposition set back to FALSE undoes it. A store
             * handle's disposition also goes to the system, which deletes
             * the private copy at the last close. */
            st = (e.flags & FH_VDEL) ? 0 : real_sinfo(h, io, buf, len, cls);
            if (st == (NTSTATUS)0xC0000002L && cls == C_DISPOSITION_EX) {
                /* Wine 8 does not implement FileDispositionInformationEx:
                 * its DELETE flag as the plain disposition (the POSIX and
                 * other flags are not honoured there). */
                FILE_DISPOSITION_INFORMATION di = { del ? TRUE : FALSE };
                st = real_sinfo(h, io, &di, sizeof di, C_DISPOSITION);
            }
            fstate *f = e.data;
            if (st >= 0 && !f && del && has_stream(e.name, e.name_len) == 0) {
                f = fstate_new(e.name, e.name_len);
                if (!f || htab_put(h, HT_FILE, e.flags, f, e.name, e.name_len, e.real,
                                   e.real_len) != 0) {
                    fstate_free(f);
                    f = NULL;
                    st = ST_NO_MEMORY;
                    if (!(e.flags & FH_VDEL)) {
                        FILE_DISPOSITION_INFORMATION no = { FALSE };
                        set_info(h, &no, sizeof no, C_DISPOSITION);
                    }
                }
            }
            if (st >= 0 && f) {
                f->on_close_delete = del;
                f->vdel = (e.flags & FH_VDEL) != 0;
            }
        }
        if (io) {
            io->Status = st;
            io->Information = 0;
        }
    } else {
        st = do_rename(h, &e, buf, len, cls, cls == C_LINK || cls == C_LINK_EX);
        if (io) {
            io->Status = st;
            io->Information = 0;
        }
    }
    htab_release(&e);
    layer_leave();
    return st;
}

/* ------------------------------------------------------------ drivers */
static NTSTATUS NTAPI hk_loaddrv(PUNICODE_STRING name)
{
    (void)name;
    return ST_ACCESS_DENIED;
}

/* --------------------------------------------------------------- init */
static int g_first; /* the first process of the VM (no other one runs) */

/* Removes the files named .tmp-* in store root p. */
static void clean_tmp(const uint16_t *p, size_t n)
{
    HANDLE h;
    if (raw_create(&h, FILE_LIST_DIRECTORY | SYNCHRONIZE, p, n, 0,
                   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, D_OPEN,
                   O_DIRECTORY | O_SYNC_NONALERT) < 0)
        return;
    char *buf = xalloc(8192);
    static const uint16_t pfx[5] = { '.', 't', 'm', 'p', '-' };
    BOOLEAN restart = TRUE;
    IO_STATUS_BLOCK io;
    while (buf && real_qdir(h, NULL, NULL, NULL, &io, buf, 8192, C_NAMES, FALSE, NULL, restart) >= 0) {
        restart = FALSE;
        for (char *e = buf;;) {
            ULONG next = rd32(e, 0), nl = rd32(e, 8) / 2;
            const uint16_t *nm = (const uint16_t *)(e + 12);
            if (nl > 5 && nl < 64 && ntp_eq(nm, 5, pfx, 5)) {
                uint16_t c[ROOTMAX + 80];
                memcpy(c, p, n * 2);
                c[n] = '\\';
                memcpy(c + n + 1, nm, nl * 2);
                remove_file(c, n + 1 + nl);
            }
            if (!next)
                break;
            e += next;
        }
    }
    xfree(buf);
    nt_close_original(h);
}

static int canon_dir(const uint16_t *win32, uint16_t *out, size_t *on)
{
    uint16_t tmp[ROOTMAX + 8];
    size_t n = 0;
    while (win32[n] && n < ROOTMAX)
        n++;
    if (n == 0 || n >= ROOTMAX)
        return -1;
    size_t t = 0;
    const uint16_t *p = win32;
    if (n >= 4 && p[0] == '\\' && p[1] == '\\' && (p[2] == '?' || p[2] == '.') && p[3] == '\\') {
        p += 4;
        n -= 4;
    }
    tmp[t++] = '\\';
    tmp[t++] = '?';
    tmp[t++] = '?';
    tmp[t++] = '\\';
    for (size_t i = 0; i < n; i++)
        tmp[t++] = p[i];
    size_t pl;
    if (ntp_canon(tmp, t, &g_vol, out, ROOTMAX - 16, on, &pl) != NTP_DISK || pl != *on)
        return -1;
    if (*on == 7)
        *on = 6;
    return 0;
}

static void append(uint16_t *dst, size_t *dn, const char *s)
{
    while (*s)
        dst[(*dn)++] = (uint16_t)*s++;
}

int file_init(void)
{
    HMODULE nt = GetModuleHandleW(L"ntdll.dll");
    nt_read = (rw_fn)(void *)GetProcAddress(nt, "NtReadFile");
    nt_write = (rw_fn)(void *)GetProcAddress(nt, "NtWriteFile");
    nt_set_event = (setev_fn)(void *)GetProcAddress(nt, "NtSetEvent");
    if (!nt_read || !nt_write || !nt_set_event)
        return -1;
    /* The volume map: \Device\HarddiskVolumeN of each drive. */
    for (int d = 0; d < 26; d++) {
        wchar_t drv[3] = { (wchar_t)('A' + d), ':', 0 }, buf[128];
        DWORD n = QueryDosDeviceW(drv, buf, 128);
        size_t len = 0;
        while (n && len < 64 && buf[len])
            len++;
        if (n && len > 8 && len < 64 && buf[0] == '\\' && buf[1] == 'D') {
            for (size_t i = 0; i < len; i++)
                g_vol.dev[d][i] = buf[i];
            g_vol.dev_len[d] = len;
        }
    }
    SetLastError(0);
    uint16_t vd[ROOTMAX];
    size_t vn;
    if (canon_dir(g_boot.vm_dir, vd, &vn) != 0 || vn + 10 >= ROOTMAX ||
        canon_dir(g_boot.store_root, g_hide[0], &g_hide_len[0]) != 0) {
        layer_error("files", "the VM's folder is no local disk path");
        return -1;
    }
    memcpy(g_files, vd, vn * 2);
    g_files_len = g_vmdir_len = vn;
    append(g_files, &g_files_len, "\\files");
    memcpy(g_del, vd, vn * 2);
    g_del_len = vn;
    append(g_del, &g_del_len, "\\deleted");
    memcpy(g_orig, vd, vn * 2);
    g_orig_len = vn;
    append(g_orig, &g_orig_len, "\\origin");
    /* Wine: the store is also reachable through drive Z: (the Unix root).
     * Hide that spelling too. */
    typedef char *(CDECL * unixname_fn)(LPCWSTR);
    HMODULE k32 = GetModuleHandleW(L"kernel32.dll");
    unixname_fn un = (unixname_fn)(void *)GetProcAddress(k32, "wine_get_unix_file_name");
    if (un && g_vol.dev_len[25]) {
        char *u = un((LPCWSTR)g_boot.store_root);
        if (u && u[0] == '/') {
            uint16_t tmp[ROOTMAX + 8];
            size_t t = 0;
            append(tmp, &t, "\\??\\Z:");
            for (size_t i = 0; u[i] && t < ROOTMAX; i++) {
                /* <prefix>/dosdevices/c:/ is Wine's link to <prefix>/drive_c/ */
                static const char dd[] = "/dosdevices/";
                size_t k = 0;
                while (dd[k] && u[i + k] == dd[k])
                    k++;
                if (!dd[k] && u[i + k] && u[i + k + 1] == ':' &&
                    (u[i + k + 2] == '/' || !u[i + k + 2]) && t + 9 < ROOTMAX) {
                    append(tmp, &t, "/drive_");
                    tmp[t++] = (uint16_t)(unsigned char)u[i + k];
                    i += k + 1;
                    continue;
                }
                tmp[t++] = (uint16_t)(unsigned char)u[i];
            }
            size_t pl;
            if (t < ROOTMAX &&
                ntp_canon(tmp, t, &g_vol, g_hide[1], ROOTMAX - 16, &g_hide_len[1], &pl) != NTP_DISK)
                g_hide_len[1] = 0;
        }
        if (u)
            HeapFree(GetProcessHeap(), 0, u);
    }
    /* The VM's generation counter (the fast path's cache, see publish). */
    {
        wchar_t nm[PLUME_BOOT_NAME + 64] = L"Local\\PlumeFileGen2.";
        size_t k = 0;
        while (nm[k])
            k++;
        for (size_t i = 0; i < g_vmtag_len && k + 1 < sizeof nm / sizeof nm[0]; i++)
            nm[k++] = (wchar_t)g_vmtag[i];
        nm[k] = 0;
        int in = layer_enter();
        HANDLE sec = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, GEN_SIZE, nm);
        /* The section lives as long as one process of the VM does. */
        g_first = sec && GetLastError() != ERROR_ALREADY_EXISTS;
        if (sec)
            g_gen = MapViewOfFile(sec, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, GEN_SIZE);
        /* the section stays open for the life of the process */
        if (in)
            layer_leave();
        SetLastError(0);
    }
    htab_on_free(HT_FILE, fstate_free);
    if (layer_hook(L"ntdll.dll", "NtQueryAttributesFile", (void *)hk_qattr, (void **)&real_qattr) ||
        layer_hook(L"ntdll.dll", "NtQueryFullAttributesFile", (void *)hk_qfattr,
                   (void **)&real_qfattr) ||
        layer_hook(L"ntdll.dll", "NtQueryDirectoryFile", (void *)hk_qdir, (void **)&real_qdir) ||
        layer_hook(L"ntdll.dll", "NtQueryInformationFile", (void *)hk_qinfo,
                   (void **)&real_qinfo) ||
        layer_hook(L"ntdll.dll", "NtSetInformationFile", (void *)hk_sinfo,
                   (void **)&real_sinfo) ||
        layer_hook(L"ntdll.dll", "NtLoadDriver", (void *)hk_loaddrv, (void **)&real_loaddrv))
        return -1;
    /* Windows 10 1709 and later; Wine 8 does not export it. */
    if (GetProcAddress(nt, "NtQueryDirectoryFileEx") &&
        layer_hook(L"ntdll.dll", "NtQueryDirectoryFileEx", (void *)hk_qdirex,
                   (void **)&real_qdirex))
        return -1;
    if (g_first) {
        /* No process of this VM was running: a .tmp-* in the store's roots
         * is a killed copy-up's (or record's). */
        int in = layer_enter();
        clean_tmp(g_files, g_files_len);
        clean_tmp(g_orig, g_orig_len);
        clean_tmp(g_del, g_del_len);
        if (in)
            layer_leave();
    }
    g_on = 1;
    return 0;
}
