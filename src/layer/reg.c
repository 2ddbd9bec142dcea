/* Registry: copy-on-write (docs/ns-reg.md).
 *
 * The VM's private registry is a real key tree,
 *   \REGISTRY\MACHINE\Software\Plume\VMs\<tag>\Machine\...   (\REGISTRY\MACHINE)
 *   \REGISTRY\MACHINE\Software\Plume\VMs\<tag>\User\...      (\REGISTRY\USER)
 *   \REGISTRY\MACHINE\Software\Plume\VMs\<tag>\Deleted\{Machine,User}\...
 *       deletion markers: a key there with the value "PlumeDeleted"
 * (names in src/core/regpath.h). A key is read from its private copy when
 * there is one, else from the host unless it or a parent carries a deletion
 * marker. A private key holds all of its values (copy-up copies the host's);
 * its subkeys are the merge of its private subkeys and, unless marked
 * deleted, the host key's subkeys minus marked ones.
 *
 * Every process of the VM keeps the set of its private keys and markers
 * (hashes of the virtual names), rebuilt by walking the private tree when a
 * generation counter shared by the VM's processes (a small named section)
 * moves: an open of an untouched key costs a hash lookup.
 *
 * Every key handle the layer returns is in the handle table (HT_KEY, the
 * virtual name; KF_PRIVATE when it is a private key). Writes through a
 * handle to a host key (one opened for reading, duplicated with more
 * access...) never reach the host: they copy up by name and write the
 * private copy. Reads through such a handle follow the private copy once
 * there is one.
 *
 * Names are canonicalized through the host's registry links first (a small
 * table read at start: learn_links), so that every spelling of a key is one
 * private key. NtRenameKey copies the VM's view of the tree under the new
 * name and deletes the old name in the VM (rename_cow). */
#include "layer.h"
#include "dispatch.h"
#include "htab.h"
#include "regpath.h"

#include <winternl.h>

#ifndef STATUS_ACCESS_DENIED
#define STATUS_ACCESS_DENIED ((NTSTATUS)0xC0000022L)
#endif
#define ST_OK ((NTSTATUS)0)
#define ST_NAME_NOT_FOUND ((NTSTATUS)0xC0000034L)
#define ST_NAME_INVALID ((NTSTATUS)0xC0000033L)
#define ST_NO_MEMORY ((NTSTATUS)0xC0000017L)
#define ST_KEY_DELETED ((NTSTATUS)0xC000017CL)
#define ST_CANNOT_DELETE ((NTSTATUS)0xC0000121L)
#define ST_NO_MORE_ENTRIES ((NTSTATUS)0x8000001AL)
#define ST_BUFFER_OVERFLOW ((NTSTATUS)0x80000005L)
#define ST_BUFFER_TOO_SMALL ((NTSTATUS)0xC0000023L)
#define ST_INFO_LENGTH_MISMATCH ((NTSTATUS)0xC0000004L)
#define ST_NAME_COLLISION ((NTSTATUS)0xC0000035L)
#define ST_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)

#define KEY_BASIC 0
#define KEY_FULL 2
#define KEY_NAME 3
#define KEY_CACHED 4
#define KEYVAL_FULL 1
#define OBJ_BASIC_INFO 0
#define REG_CREATED_NEW 1
#define REG_OPENED_EXISTING 2
#define OPT_CREATE_LINK 0x2

#define KF_PRIVATE 0x1u
#define KF_MERGE 0x2u       /* a host handle whose listing hides Plume's tree */
#define KF_RENAMED 0x4u     /* renamed by the VM: the system's name of it is stale */

/* The NT information structures (not all in mingw-w64's headers). */
typedef struct kbasic { LARGE_INTEGER time; ULONG title, name_len; WCHAR name[1]; } kbasic;
typedef struct kvfull {
    ULONG title, type, data_off, data_len, name_len;
    WCHAR name[1];
} kvfull;
typedef struct kname_info { ULONG name_len; WCHAR name[1]; } kname_info;
typedef struct kfull {
    LARGE_INTEGER time;
    ULONG title, class_off, class_len, subkeys, max_name, max_class, values, max_vname,
        max_vdata;
    WCHAR cls[1];
} kfull;

/* The rights that let a handle change a key. */
#define WRITE_RIGHTS (KEY_SET_VALUE | KEY_CREATE_SUB_KEY | KEY_CREATE_LINK | DELETE | \
                      WRITE_DAC | WRITE_OWNER | GENERIC_WRITE | GENERIC_ALL)

typedef NTSTATUS(NTAPI *create_key_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, ULONG,
                                        PUNICODE_STRING, ULONG, PULONG);
typedef NTSTATUS(NTAPI *open_key_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES);
typedef NTSTATUS(NTAPI *open_key_ex_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, ULONG);
typedef NTSTATUS(NTAPI *set_value_fn)(HANDLE, PUNICODE_STRING, ULONG, ULONG, PVOID, ULONG);
typedef NTSTATUS(NTAPI *handle_fn)(HANDLE);
typedef NTSTATUS(NTAPI *delete_value_fn)(HANDLE, PUNICODE_STRING);
typedef NTSTATUS(NTAPI *query_key_fn)(HANDLE, ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS(NTAPI *query_value_fn)(HANDLE, PUNICODE_STRING, ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS(NTAPI *query_multi_fn)(HANDLE, PVOID, ULONG, PVOID, PULONG, PULONG);
typedef NTSTATUS(NTAPI *enum_fn)(HANDLE, ULONG, ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS(NTAPI *rename_fn)(HANDLE, PUNICODE_STRING);
typedef NTSTATUS(NTAPI *notify_fn)(HANDLE, HANDLE, PVOID, PVOID, PIO_STATUS_BLOCK, ULONG,
                                    BOOLEAN, PVOID, ULONG, BOOLEAN);
typedef NTSTATUS(NTAPI *notify_multi_fn)(HANDLE, ULONG, POBJECT_ATTRIBUTES, HANDLE, PVOID,
                                          PVOID, PIO_STATUS_BLOCK, ULONG, BOOLEAN, PVOID,
                                          ULONG, BOOLEAN);
typedef NTSTATUS(NTAPI *set_info_fn)(HANDLE, ULONG, PVOID, ULONG);

static create_key_fn o_create;
static open_key_fn o_open;
static open_key_ex_fn o_openex;
static set_value_fn o_setval;
static handle_fn o_delkey, o_flush;
static delete_value_fn o_delval;
static query_key_fn o_querykey;
static query_value_fn o_queryval;
static query_multi_fn o_querymulti;
static enum_fn o_enumkey, o_enumval;
static rename_fn o_rename;
static notify_fn o_notify;
static notify_multi_fn o_notifymulti;
static set_info_fn o_setinfo;

/* --- small helpers ------------------------------------------------------------ */

static void *zalloc(size_t n)
{
    return HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, n);
}

static void zfree(void *p)
{
    if (p)
        HeapFree(GetProcessHeap(), 0, p);
}

static void close_h(HANDLE h)
{
    if (h)
        nt_close_original(h);
}

static void us_init(UNICODE_STRING *u, const uint16_t *s, size_t n)
{
    u->Buffer = (PWSTR)s;
    u->Length = (USHORT)(n * 2);
    u->MaximumLength = u->Length;
}

static void oa_init(OBJECT_ATTRIBUTES *oa, UNICODE_STRING *u, HANDLE root, ULONG attrs)
{
    oa->Length = sizeof *oa;
    oa->RootDirectory = root;
    oa->ObjectName = u;
    oa->Attributes = (attrs & ~(ULONG)OBJ_INHERIT) | OBJ_CASE_INSENSITIVE;
    oa->SecurityDescriptor = NULL;
    oa->SecurityQualityOfService = NULL;
}

/* Opens a key by its full (real) name. */
static NTSTATUS open_abs(HANDLE *h, ACCESS_MASK acc, const uint16_t *p, size_t n)
{
    UNICODE_STRING u;
    OBJECT_ATTRIBUTES oa;
    us_init(&u, p, n);
    oa_init(&oa, &u, NULL, 0);
    *h = NULL;
    return o_open(h, acc, &oa);
}

/* Deletes key h and every key below it (h: DELETE, KEY_ENUMERATE_SUB_KEYS). */
static NTSTATUS delete_tree(HANDLE h, int depth)
{
    BYTE buf[sizeof(kbasic) + 512 + 16];
    ULONG ret;
    while (depth < 512 && o_enumkey(h, 0, KEY_BASIC, buf, sizeof buf, &ret) >= 0) {
        kbasic *b = (kbasic *)buf;
        UNICODE_STRING u;
        OBJECT_ATTRIBUTES oa;
        us_init(&u, (uint16_t *)b->name, b->name_len / 2);
        oa_init(&oa, &u, h, 0);
        HANDLE c;
        NTSTATUS st = o_open(&c, DELETE | KEY_ENUMERATE_SUB_KEYS, &oa);
        if (st >= 0) {
            st = delete_tree(c, depth + 1);
            close_h(c);
        }
        if (st < 0)
            return st;
    }
    return o_delkey(h);
}

/* A name buffer: on the stack for the usual lengths, else on the heap. */
typedef struct nbuf {
    uint16_t *p;
    size_t cap, n;
    uint16_t small[600];
} nbuf;

static int nbuf_init(nbuf *b, size_t need)
{
    b->n = 0;
    if (need <= sizeof b->small / 2) {
        b->p = b->small;
        b->cap = sizeof b->small / 2;
        return 0;
    }
    b->cap = REGPATH_MAX + 1;
    b->p = zalloc(b->cap * 2);
    return b->p ? 0 : -1;
}

static void nbuf_free(nbuf *b)
{
    if (b->p && b->p != b->small)
        zfree(b->p);
    b->p = NULL;
}

/* --- the host's registry links ------------------------------------------------------- */

/* Links the layer follows in the VM's names (docs/ns-reg.md, "Links"): the
 * candidates are checked once at start; each one that is a link on this
 * host goes into the table, name and target canonical. Opens then rewrite
 * a name through the table with no registry call. */
#define MAX_LINKS 8
static regpath_link g_links[MAX_LINKS];
static size_t g_nlinks;
static size_t g_link_grow;      /* units a rewrite may add to a name, at most */

/* Canonicalizes v[0..*n) (kind) through the links, in place (cap units).
 * Returns the kind, RP_INVALID when it does not fit or loops. */
static int follow(uint16_t *v, size_t *n, size_t cap, int kind, int open_link)
{
    if (!g_nlinks || (kind != RP_MACHINE && kind != RP_USER) ||
        regpath_link_match(g_links, g_nlinks, v, *n, open_link) < 0)
        return kind;
    return regpath_follow_links(g_links, g_nlinks, v, *n, open_link, v, cap, n, NULL);
}

/* Whether v[0..n) is the name of a link itself (a host link key). */
static int is_link(const uint16_t *v, size_t n)
{
    long i = g_nlinks ? regpath_link_match(g_links, g_nlinks, v, n, 0) : -1;
    return i >= 0 && g_links[i].nfrom == n;
}

/* Reads link `name` (canonical through the links learnt so far) into the
 * table: opened as itself (OBJ_OPENLINK), its SymbolicLinkValue (REG_LINK)
 * is the target; kept when opening the name without OBJ_OPENLINK reaches
 * that target (so a plain key with such a value is no link). */
static void learn_link(const uint16_t *name, size_t n)
{
    if (g_nlinks >= MAX_LINKS)
        return;
    uint16_t *from = zalloc((n + 2) * 2), *to = zalloc((REGPATH_MAX + 1) * 2);
    BYTE *buf = zalloc(2048 + 16);
    HANDLE h = NULL, f = NULL;
    size_t fn = 0, tn = 0;
    if (!from || !to || !buf)
        goto out;
    int kind = regpath_resolve(NULL, 0, name, n, from, n + 2, &fn);
    if (kind != RP_MACHINE && kind != RP_USER)
        goto out;
    kind = follow(from, &fn, n + 2, kind, 1);
    if (kind != RP_MACHINE && kind != RP_USER)
        goto out;
    UNICODE_STRING u, vn;
    OBJECT_ATTRIBUTES oa;
    us_init(&u, from, fn);
    oa_init(&oa, &u, NULL, OBJ_OPENLINK);
    if (o_open(&h, KEY_QUERY_VALUE, &oa) < 0)
        goto out;
    static const uint16_t SLV[] = { 'S', 'y', 'm', 'b', 'o', 'l', 'i', 'c', 'L', 'i',
                                    'n', 'k', 'V', 'a', 'l', 'u', 'e' };
    us_init(&vn, SLV, sizeof SLV / 2);
    ULONG ret;
    /* KEY_VALUE_PARTIAL_INFORMATION: TitleIndex, Type, DataLength, Data. */
    if (o_queryval(h, &vn, 2, buf, 2048, &ret) < 0 || ((ULONG *)buf)[1] != REG_LINK)
        goto out;
    size_t dn = ((ULONG *)buf)[2] / 2;
    int tk = regpath_resolve(NULL, 0, (uint16_t *)(buf + 12), dn, to, REGPATH_MAX, &tn);
    if (tk != RP_MACHINE && tk != RP_USER)
        goto out;
    /* Does the name really lead there? */
    if (open_abs(&f, KEY_QUERY_VALUE, from, fn) < 0 ||
        o_querykey(f, KEY_NAME, buf, 2048, &ret) < 0)
        goto out;
    kname_info *ki = (kname_info *)buf;
    uint16_t real[600];
    size_t rn;
    int inp;
    if (ki->name_len / 2 >= 600 ||
        regpath_from_real((uint16_t *)ki->name, ki->name_len / 2, g_vmtag, g_vmtag_len, real,
                          600, &rn, &inp) != tk ||
        regpath_cmp(real, rn, to, tn) != 0)
        goto out;
    regpath_link *l = &g_links[g_nlinks++];
    l->from = from;
    l->nfrom = fn;
    l->to = to;
    l->nto = tn;
    if (tn > fn && tn - fn > g_link_grow)
        g_link_grow = tn - fn;
    from = to = NULL;   /* kept */
out:
    close_h(h);
    close_h(f);
    zfree(from);
    zfree(to);
    zfree(buf);
}

static void learn_links(void)
{
    static const char *const machine[] = {
        "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet",
        "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Hardware Profiles\\Current",
        "\\REGISTRY\\MACHINE\\Software\\Wow6432Node\\Classes",
    };
    uint16_t name[128];
    for (size_t i = 0; i < sizeof machine / sizeof machine[0]; i++) {
        size_t n = 0;
        for (const char *c = machine[i]; *c; c++)
            name[n++] = (uint16_t)*c;
        learn_link(name, n);
    }
    /* HKCU\Software\Classes: on Windows a link to \REGISTRY\USER\<SID>_Classes. */
    typedef NTSTATUS(NTAPI * fmt_fn)(PUNICODE_STRING);
    typedef void(NTAPI * free_fn)(PUNICODE_STRING);
    HMODULE nt = GetModuleHandleW(L"ntdll.dll");
    fmt_fn fmt = (fmt_fn)(void *)GetProcAddress(nt, "RtlFormatCurrentUserKeyPath");
    free_fn fr = (free_fn)(void *)GetProcAddress(nt, "RtlFreeUnicodeString");
    UNICODE_STRING cu;
    if (fmt && fr && fmt(&cu) >= 0) {
        static const char tail[] = "\\Software\\Classes";
        size_t n = cu.Length / 2;
        if (n + sizeof tail < sizeof name / 2) {
            memcpy(name, cu.Buffer, n * 2);
            for (const char *c = tail; *c; c++)
                name[n++] = (uint16_t)*c;
            learn_link(name, n);
        }
        fr(&cu);
    }
}

/* --- the VM's state: shared generation, sets of private keys and markers ----------- */

static volatile LONG *g_gen;        /* in the VM's shared section */
static LONG g_seen = -1;            /* the generation the sets reflect */
static SRWLOCK g_lock = SRWLOCK_INIT;
static uint16_t g_vmroot[PLUME_BOOT_NAME + 80];
static size_t g_vmroot_len;
/* How this system spells the roots in key names (Wine: \REGISTRY\Machine). */
static uint16_t g_spell_machine[24], g_spell_user[24];
static size_t g_spell_machine_len, g_spell_user_len;

typedef struct hset {
    uint64_t *k;    /* 0: empty, 1: removed */
    size_t cap, used, live;
} hset;
static hset g_priv, g_del;

static uint64_t hkey(uint64_t h)
{
    return h < 2 ? h + 2 : h;
}

static int hset_has(const hset *s, uint64_t h)
{
    if (!s->live)
        return 0;
    h = hkey(h);
    for (size_t i = (size_t)(h * 0x9E3779B97F4A7C15ull >> 7) & (s->cap - 1), k = 0; k < s->cap;
         i = (i + 1) & (s->cap - 1), k++) {
        if (s->k[i] == h)
            return 1;
        if (s->k[i] == 0)
            return 0;
    }
    return 0;
}

static int hset_add(hset *s, uint64_t h);

static int hset_grow(hset *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 256;
    hset n = { zalloc(ncap * 8), ncap, 0, 0 };
    if (!n.k)
        return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->k[i] > 1)
            hset_add(&n, s->k[i]);
    zfree(s->k);
    *s = n;
    return 0;
}

static int hset_add(hset *s, uint64_t h)
{
    h = hkey(h);
    if (hset_has(s, h))
        return 0;
    if ((s->used + 1) * 2 > s->cap && hset_grow(s) != 0)
        return -1;
    size_t i = (size_t)(h * 0x9E3779B97F4A7C15ull >> 7) & (s->cap - 1);
    while (s->k[i] > 1)
        i = (i + 1) & (s->cap - 1);
    if (s->k[i] == 0)
        s->used++;
    s->k[i] = h;
    s->live++;
    return 0;
}

static void hset_clear(hset *s)
{
    if (s->k)
        for (size_t i = 0; i < s->cap; i++)
            s->k[i] = 0;
    s->used = s->live = 0;
}

/* Walks the tree under open key h whose virtual name is v[0..n): adds every
 * key (keys tree) or every marked key (markers tree) to s. */
static const uint16_t MARK[] = { 'P', 'l', 'u', 'm', 'e', 'D', 'e', 'l', 'e', 't', 'e', 'd' };
#define MARK_LEN 12

static int has_mark(HANDLE h)
{
    UNICODE_STRING u;
    us_init(&u, MARK, MARK_LEN);
    BYTE buf[64];
    ULONG ret;
    return o_queryval(h, &u, 2, buf, sizeof buf, &ret) >= 0;
}

/* Whether the process that made a copy-up temporary is gone (then the
 * temporary is stale: a killed copy-up). Unsure counts as alive. */
static int owner_gone(uint32_t pid)
{
    if (pid == GetCurrentProcessId())
        return 0;
    HANDLE p = OpenProcess(SYNCHRONIZE, FALSE, pid);
    if (!p)
        return GetLastError() == ERROR_INVALID_PARAMETER;
    int gone = WaitForSingleObject(p, 0) == WAIT_OBJECT_0;
    close_h(p);
    return gone;
}

/* Deletes h's subkey c[0..n), a reserved name, when it is a stale copy-up
 * temporary. Returns 1 when it was deleted. */
static int drop_stale(HANDLE h, const uint16_t *c, size_t n)
{
    uint32_t pid;
    if (!regpath_tmp_owner(c, n, &pid) || !owner_gone(pid))
        return 0;
    UNICODE_STRING u;
    OBJECT_ATTRIBUTES oa;
    us_init(&u, c, n);
    oa_init(&oa, &u, h, 0);
    HANDLE k;
    if (o_open(&k, DELETE | KEY_ENUMERATE_SUB_KEYS, &oa) < 0)
        return 0;
    NTSTATUS st = delete_tree(k, 0);    /* a rename's temporary has subkeys */
    close_h(k);
    return st >= 0;
}

/* h's subkey at index *i or after it that is no copy-up temporary (into
 * buf, KEY_BASIC_INFORMATION), *i its index; NULL at the end. Stale
 * temporaries on the way are deleted (counted in *dropped), live ones
 * skipped. */
#define KB_CAP (sizeof(kbasic) + 512 + 16)
static kbasic *next_subkey(HANDLE h, ULONG *i, BYTE *buf, int *dropped)
{
    for (;; (*i)++) {
        ULONG ret;
        if (o_enumkey(h, *i, KEY_BASIC, buf, KB_CAP, &ret) < 0)
            return NULL;
        kbasic *b = (kbasic *)buf;
        if (!regpath_is_tmp((uint16_t *)b->name, b->name_len / 2))
            return b;
        if (drop_stale(h, (uint16_t *)b->name, b->name_len / 2)) {
            (*i)--;    /* the next name moved to index i */
            (*dropped)++;
        }
    }
}

/* Deletes the stale copy-up temporaries among h's subkeys: how many. */
static int drop_stale_all(HANDLE h)
{
    int dropped = 0;
    BYTE buf[KB_CAP];
    for (ULONG i = 0; next_subkey(h, &i, buf, &dropped); i++)
        ;
    return dropped;
}

static void walk(HANDLE h, uint16_t *v, size_t n, hset *s, int markers, int depth)
{
    if (!markers || has_mark(h))
        hset_add(s, regpath_hash(v, n));
    if (depth > 512)
        return;
    BYTE buf[KB_CAP];
    int dropped = 0;
    kbasic *b;
    for (ULONG i = 0; (b = next_subkey(h, &i, buf, &dropped)) != NULL; i++) {
        size_t cn = b->name_len / 2;
        if (n + 1 + cn > REGPATH_MAX)
            continue;
        v[n] = '\\';
        memcpy(v + n + 1, b->name, cn * 2);
        UNICODE_STRING u;
        OBJECT_ATTRIBUTES oa;
        us_init(&u, (uint16_t *)b->name, cn);
        oa_init(&oa, &u, h, 0);
        HANDLE c;
        if (o_open(&c, KEY_READ, &oa) >= 0) {
            walk(c, v, n + 1 + cn, s, markers, depth + 1);
            close_h(c);
        }
    }
}

/* Brings the sets up to date with the shared generation. Exclusive lock held. */
static void sets_rebuild(void)
{
    LONG gen = *g_gen;
    hset_clear(&g_priv);
    hset_clear(&g_del);
    uint16_t *v = zalloc((REGPATH_MAX + 1) * 2);
    uint16_t p[PLUME_BOOT_NAME + 120];
    if (!v)
        return;     /* g_seen stays: tried again next time */
    static const struct { const char *sub, *virt; int markers; } trees[] = {
        { "\\Machine", "\\REGISTRY\\MACHINE", 0 },
        { "\\User", "\\REGISTRY\\USER", 0 },
        { "\\Deleted\\Machine", "\\REGISTRY\\MACHINE", 1 },
        { "\\Deleted\\User", "\\REGISTRY\\USER", 1 },
    };
    for (size_t t = 0; t < 4; t++) {
        size_t n = g_vmroot_len;
        memcpy(p, g_vmroot, n * 2);
        for (const char *c = trees[t].sub; *c; c++)
            p[n++] = (uint16_t)*c;
        HANDLE h;
        if (open_abs(&h, KEY_READ, p, n) < 0)
            continue;
        size_t vn = 0;
        for (const char *c = trees[t].virt; *c; c++)
            v[vn++] = (uint16_t)*c;
        walk(h, v, vn, trees[t].markers ? &g_del : &g_priv, trees[t].markers, 0);
        close_h(h);
    }
    zfree(v);
    g_seen = gen;
}

static void sets_fresh(void)
{
    if (*g_gen == g_seen)
        return;
    AcquireSRWLockExclusive(&g_lock);
    if (*g_gen != g_seen)
        sets_rebuild();
    ReleaseSRWLockExclusive(&g_lock);
}

/* After this process changed the private tree: a new generation; the local
 * sets follow without a walk when nobody else changed it in between. */
static void changed(const uint16_t *v, size_t n, hset *s)
{
    AcquireSRWLockExclusive(&g_lock);
    LONG g = InterlockedIncrement(g_gen);
    if (g == g_seen + 1 && s) {
        hset_add(s, regpath_hash(v, n));
        g_seen = g;
    }
    ReleaseSRWLockExclusive(&g_lock);
}

enum { V_NONE, V_HOST, V_PRIV };

/* Where the VM's key v (canonical, kind) lives now. */
static int vis(const uint16_t *v, size_t n, int kind)
{
    if (kind == RP_HIDDEN)
        return V_NONE;
    if (kind != RP_MACHINE && kind != RP_USER)
        return V_HOST;
    sets_fresh();
    int r = V_HOST;
    AcquireSRWLockShared(&g_lock);
    if (g_priv.live && hset_has(&g_priv, regpath_hash(v, n))) {
        r = V_PRIV;
    } else if (g_del.live) {
        size_t start = regpath_rest_off(v, n, kind);
        for (size_t i = start; i <= n && r == V_HOST; i++)
            if ((i == n || v[i] == '\\') && i > start && hset_has(&g_del, regpath_hash(v, i)))
                r = V_NONE;
    }
    ReleaseSRWLockShared(&g_lock);
    return r;
}

/* Any private state at all (the fast path of the handle calls skips the
 * table when there is none). */
static int any_private(void)
{
    sets_fresh();
    return g_priv.live || g_del.live;
}

/* --- creating private keys ------------------------------------------------------ */

/* Copies every value of key `from` to key `to`. */
static NTSTATUS copy_values_from(HANDLE from, HANDLE to)
{
    ULONG cap = 4096;
    BYTE *buf = zalloc(cap);
    NTSTATUS st = buf ? ST_OK : ST_NO_MEMORY;
    for (ULONG i = 0; st >= 0;) {
        ULONG ret = 0;
        NTSTATUS e = o_enumval(from, i, KEYVAL_FULL, buf, cap, &ret);
        if (e == ST_NO_MORE_ENTRIES)
            break;
        if (e == ST_BUFFER_OVERFLOW || e == ST_BUFFER_TOO_SMALL) {
            zfree(buf);
            cap = ret + 64;
            buf = zalloc(cap);
            st = buf ? ST_OK : ST_NO_MEMORY;
            continue;
        }
        if (e < 0) {
            st = e;
            break;
        }
        kvfull *f = (kvfull *)buf;
        UNICODE_STRING u;
        us_init(&u, (uint16_t *)f->name, f->name_len / 2);
        st = o_setval(to, &u, f->title, f->type, buf + f->data_off, f->data_len);
        i++;
    }
    zfree(buf);
    return st;
}

/* Copies every value of host key v to the private key h. */
static NTSTATUS copy_values(const uint16_t *v, size_t n, HANDLE to)
{
    HANDLE from;
    NTSTATUS st = open_abs(&from, KEY_QUERY_VALUE, v, n);
    if (st == ST_NAME_NOT_FOUND)
        return ST_OK;
    if (st < 0)
        return st;
    st = copy_values_from(from, to);
    close_h(from);
    return st;
}

/* Opens private key name[0..nn) under parent, or creates it complete with
 * the values of host key v[0..vn): they are copied into a temporary sibling
 * (a reserved name, regpath_tmp_name), which is then renamed into place. So
 * the key never exists with only some of the values, whenever the process
 * dies. If another process renamed its copy in first, ours is dropped and
 * the key opened. *made: this call created the key. */
static NTSTATUS create_copy(HANDLE parent, const uint16_t *name, size_t nn, const uint16_t *v,
                            size_t vn, HANDLE *out, int *made)
{
    UNICODE_STRING u, tu;
    OBJECT_ATTRIBUTES oa, toa;
    us_init(&u, name, nn);
    oa_init(&oa, &u, parent, 0);
    *made = 0;
    *out = NULL;
    NTSTATUS st = o_open(out, KEY_ALL_ACCESS, &oa);
    if (st >= 0 || (st != ST_NAME_NOT_FOUND && st != (NTSTATUS)0xC000003AL))
        return st;
    uint16_t tn[REGPATH_TMP_MAX];
    size_t tl = regpath_tmp_name((uint32_t)GetCurrentProcessId(), (uint32_t)GetCurrentThreadId(),
                                 tn, REGPATH_TMP_MAX);
    us_init(&tu, tn, tl);
    oa_init(&toa, &tu, parent, 0);
    for (int tries = 0; tries < 3; tries++) {
        HANDLE t;
        ULONG disp = 0;
        st = o_create(&t, KEY_ALL_ACCESS, &toa, 0, NULL, 0, &disp);
        if (st < 0)
            return st;
        if (disp != REG_CREATED_NEW) {
            /* Our name, left by a killed process that had our ids. */
            o_delkey(t);
            close_h(t);
            st = ST_NAME_COLLISION;
            continue;
        }
        st = copy_values(v, vn, t);
        if (st >= 0 && (st = o_rename(t, &u)) >= 0) {
            *out = t;
            *made = 1;
            return ST_OK;
        }
        o_delkey(t);
        close_h(t);
        if (o_open(out, KEY_ALL_ACCESS, &oa) >= 0)
            return ST_OK;   /* another process's copy is in place */
        *out = NULL;
        if (st == ST_INVALID_PARAMETER)
            break;          /* a name the system will not rename to */
    }
    if (st != ST_INVALID_PARAMETER)
        return st < 0 ? st : ST_NAME_COLLISION;
    /* Wine 8 refuses to rename a key to or from "Wow6432Node": such a key is
     * created in place and then filled (not atomic: docs/ns-reg.md). */
    ULONG disp = 0;
    if ((st = o_create(out, KEY_ALL_ACCESS, &oa, 0, NULL, 0, &disp)) < 0)
        return st;
    if (disp == REG_CREATED_NEW && (st = copy_values(v, vn, *out)) < 0) {
        o_delkey(*out);
        close_h(*out);
        *out = NULL;
        return st;
    }
    *made = disp == REG_CREATED_NEW;
    return ST_OK;
}

/* Creates (or opens) every key of real name p[0..n) below its first
 * `known` units (an existing key), and returns the last one in *out
 * (KEY_ALL_ACCESS). When v is given, p is the private name of v and
 * `head` the offset in p where v's rest begins: every key created new
 * that stands for a visible host key gets the host key's values. */
static NTSTATUS make_path(const uint16_t *p, size_t n, size_t known, const uint16_t *v,
                          size_t vrest, size_t head, int kind, HANDLE *out)
{
    HANDLE h;
    NTSTATUS st = open_abs(&h, KEY_ALL_ACCESS, p, known);
    if (st < 0)
        return st;
    int made = 0;
    size_t i = known;
    while (i < n) {
        size_t s = i + 1, e = s;
        while (e < n && p[e] != '\\')
            e++;
        HANDLE c;
        size_t vn = v ? vrest + (e - head) : 0;
        if (v && e >= head && vis(v, vn, kind) == V_HOST) {
            /* Stands for a host key: created complete, or not at all. */
            int created = 0;
            st = create_copy(h, p + s, e - s, v, vn, &c, &created);
            close_h(h);
            if (st < 0)
                return st;
            h = c;
            if (created) {
                made = 1;
                changed(v, vn, &g_priv);
            }
        } else {
            UNICODE_STRING u;
            OBJECT_ATTRIBUTES oa;
            us_init(&u, p + s, e - s);
            oa_init(&oa, &u, h, 0);
            ULONG disp = 0;
            st = o_create(&c, KEY_ALL_ACCESS, &oa, 0, NULL, 0, &disp);
            close_h(h);
            if (st < 0)
                return st;
            h = c;
            if (disp == REG_CREATED_NEW) {
                made = 1;
                if (v && e >= head)
                    changed(v, vn, &g_priv);
            }
        }
        i = e;
    }
    (void)made;     /* marker-tree keys alone change no set */
    *out = h;
    return ST_OK;
}

/* "\REGISTRY\MACHINE\Software": always there, the start of every private name. */
#define KNOWN_LEN 26

/* The private name of key v in `tree` (regpath_private), into p. Returns
 * ST_OK, or the failure (p is then freed). */
static NTSTATUS private_name(nbuf *p, const uint16_t *v, size_t n, int kind, int tree)
{
    if (nbuf_init(p, n + g_vmroot_len + 24) != 0)
        return ST_NO_MEMORY;
    p->n = regpath_private(v, n, kind, g_vmtag, g_vmtag_len, tree, p->p, p->cap);
    if (p->n)
        return ST_OK;
    nbuf_free(p);
    return ST_NAME_INVALID;
}

/* Copies up key v (which must be visible): the private key and its private
 * parents. *out: the private key (KEY_ALL_ACCESS). */
static NTSTATUS copy_up(const uint16_t *v, size_t n, int kind, HANDLE *out)
{
    nbuf p;
    NTSTATUS st = private_name(&p, v, n, kind, RT_KEYS);
    if (st >= 0) {
        size_t rest = regpath_rest_off(v, n, kind);
        size_t head = p.n - (n - rest);
        st = make_path(p.p, p.n, KNOWN_LEN, v, rest, head, kind, out);
    }
    nbuf_free(&p);
    return st;
}

/* Marks key v deleted (its host key and all below are hidden). */
static NTSTATUS mark_deleted(const uint16_t *v, size_t n, int kind)
{
    HANDLE h;
    /* The parent becomes private, so that every listing of it merges. */
    size_t leaf = regpath_leaf_off(v, n);
    if (leaf > 0 && leaf - 1 > regpath_rest_off(v, n, kind) - 1 &&
        vis(v, leaf - 1, kind) == V_HOST) {
        NTSTATUS st = copy_up(v, leaf - 1, kind, &h);
        if (st < 0)
            return st;
        close_h(h);
    }
    nbuf p;
    NTSTATUS st = private_name(&p, v, n, kind, RT_DELETED);
    if (st >= 0 && (st = make_path(p.p, p.n, KNOWN_LEN, NULL, 0, 0, kind, &h)) >= 0) {
        UNICODE_STRING u;
        us_init(&u, MARK, MARK_LEN);
        DWORD one = 1;
        st = o_setval(h, &u, 0, REG_DWORD, &one, sizeof one);
        close_h(h);
        if (st >= 0)
            changed(v, n, &g_del);
    }
    nbuf_free(&p);
    return st;
}

/* Whether the host has key v (not looking at markers). */
static int host_has(const uint16_t *v, size_t n)
{
    HANDLE h;
    NTSTATUS st = open_abs(&h, KEY_QUERY_VALUE, v, n);
    if (st >= 0)
        close_h(h);
    return st != ST_NAME_NOT_FOUND && st != (NTSTATUS)0xC000003AL /* PATH_NOT_FOUND */;
}

/* Opens the private key of v with `acc`. */
static NTSTATUS open_private(HANDLE *h, ACCESS_MASK acc, ULONG attrs, const uint16_t *v,
                             size_t n, int kind, ULONG ex_opts, int use_ex)
{
    nbuf p;
    NTSTATUS st = private_name(&p, v, n, kind, RT_KEYS);
    if (st >= 0) {
        UNICODE_STRING u;
        OBJECT_ATTRIBUTES oa;
        us_init(&u, p.p, p.n);
        oa_init(&oa, &u, NULL, attrs);
        st = use_ex ? o_openex(h, acc, &oa, ex_opts) : o_open(h, acc, &oa);
    }
    nbuf_free(&p);
    return st;
}

/* --- per-handle state: the merged listing, the private copy of a host handle ------ */

typedef struct kitem {
    size_t off, len;    /* in blob */
    int src;            /* 0 private, 1 host */
    ULONG index;        /* in that source's own listing */
} kitem;

typedef struct kdata {
    HANDLE priv;        /* a host handle's key, copied up since: its private key */
    HANDLE host;        /* the host key, for the merged listing */
    LONG gen;           /* of the listing */
    int listed;
    size_t n;
    kitem *items;
    uint16_t *blob;
} kdata;

static void kdata_list_free(kdata *d)
{
    zfree(d->items);
    zfree(d->blob);
    close_h(d->host);
    d->items = NULL;
    d->blob = NULL;
    d->host = NULL;
    d->n = 0;
    d->listed = 0;
}

static void kdata_free(void *p)
{
    kdata *d = p;
    if (!d)
        return;
    kdata_list_free(d);
    close_h(d->priv);
    zfree(d);
}

/* The handle's table entry, its data created when missing. Caller holds
 * g_kd_lock (exclusive) while it uses the data. */
static SRWLOCK g_kd_lock = SRWLOCK_INIT;

static kdata *kdata_of(HANDLE h, const htab_entry *e)
{
    if (e->data)
        return e->data;
    kdata *d = zalloc(sizeof *d);
    if (!d)
        return NULL;
    if (htab_put(h, HT_KEY, e->flags, d, e->name, e->name_len, e->real, e->real_len) != 0) {
        zfree(d);
        return NULL;
    }
    return d;
}

/* What a handle refers to. */
typedef struct keyref {
    int tracked;
    htab_entry e;       /* when tracked */
    uint16_t *v;        /* virtual name */
    size_t n;
    int kind;
    int priv;           /* the handle is a private key */
    nbuf buf;           /* when not tracked */
} keyref;

static void keyref_free(keyref *r)
{
    if (r->tracked)
        htab_release(&r->e);
    nbuf_free(&r->buf);
}

/* Looks up h: the table, else its real name (NtQueryKey). Returns the
 * query's failure for a handle that is not a key. */
static NTSTATUS keyref_get(HANDLE h, keyref *r)
{
    r->buf.p = NULL;
    r->tracked = 0;
    if (htab_get(h, &r->e)) {
        if (r->e.kind != HT_KEY) {
            htab_release(&r->e);
            return (NTSTATUS)0xC0000024L; /* OBJECT_TYPE_MISMATCH */
        }
        r->tracked = 1;
        r->v = r->e.name;
        r->n = r->e.name_len;
        r->priv = (r->e.flags & KF_PRIVATE) != 0;
        r->kind = regpath_resolve(NULL, 0, r->v, r->n, r->v, r->n, &r->n);
        return ST_OK;
    }
    ULONG ret = 0;
    BYTE small[8];
    NTSTATUS st = o_querykey(h, KEY_NAME, small, sizeof small, &ret);
    if (st < 0 && st != ST_BUFFER_OVERFLOW && st != ST_BUFFER_TOO_SMALL)
        return st;
    if (ret < 4 || ret > 4 + REGPATH_MAX * 2)
        return ST_NAME_INVALID;
    kname_info *ki = zalloc(ret + 8);
    if (!ki || nbuf_init(&r->buf, ret / 2 + 8) != 0) {
        zfree(ki);
        return ST_NO_MEMORY;
    }
    st = o_querykey(h, KEY_NAME, ki, ret + 8, &ret);
    if (st >= 0) {
        r->kind = regpath_from_real((uint16_t *)ki->name, ki->name_len / 2, g_vmtag, g_vmtag_len, r->buf.p,
                                    r->buf.cap, &r->buf.n, &r->priv);
        r->kind = follow(r->buf.p, &r->buf.n, r->buf.cap, r->kind, 1);
        r->v = r->buf.p;
        r->n = r->buf.n;
        if (r->kind == RP_INVALID)
            st = ST_NAME_INVALID;
        /* A predefined root (HKLM, HKU, HKCU, HKCR: at most 4 components)
         * that advapi32 opened while the thread was inside the layer stays
         * untracked and is used as the root of most opens: remember it, or
         * every open would pay two NtQueryKey calls. Such handles are
         * never closed; a close through the hook removes the entry anyway. */
        size_t comps = 0;
        for (size_t i = 0; i < r->n; i++)
            comps += r->v[i] == '\\';
        if (st >= 0 && comps <= 4 && (r->kind == RP_MACHINE || r->kind == RP_USER))
            htab_put(h, HT_KEY, r->priv ? KF_PRIVATE : 0, NULL, r->v, r->n, NULL, 0);
    }
    zfree(ki);
    if (st < 0)
        nbuf_free(&r->buf);
    return st;
}

/* The handle to read key h through: h itself, or the private copy of a
 * host key copied up after h was opened. *st gets STATUS_KEY_DELETED when
 * the VM deleted it. Returns NULL when the call should go to h unchanged. */
static HANDLE read_target(HANDLE h, NTSTATUS *st, int *is_priv, int force)
{
    *st = ST_OK;
    *is_priv = 0;
    if (htab_count == 0 || (!force && !any_private()))
        return NULL;
    htab_entry e;
    if (!htab_get(h, &e))
        return NULL;
    HANDLE t = NULL;
    if (e.kind == HT_KEY) {
        if (e.flags & KF_PRIVATE) {
            *is_priv = 1;
        } else if (force && !any_private()) {
            *is_priv = (e.flags & KF_MERGE) ? 2 : 0;
        } else {
            int kind = regpath_resolve(NULL, 0, e.name, e.name_len, e.name, e.name_len,
                                       &e.name_len);
            int w = vis(e.name, e.name_len, kind);
            if (w == V_NONE) {
                *st = ST_KEY_DELETED;
            } else if (w == V_PRIV) {
                AcquireSRWLockExclusive(&g_kd_lock);
                kdata *d = kdata_of(h, &e);
                if (d && !d->priv)
                    open_private(&d->priv, KEY_READ, 0, e.name, e.name_len, kind, 0, 0);
                t = d ? d->priv : NULL;
                ReleaseSRWLockExclusive(&g_kd_lock);
                if (!t)
                    *st = ST_NO_MEMORY;
                *is_priv = 1;
            } else if (e.flags & KF_MERGE) {
                *is_priv = 2;
            }
        }
    }
    htab_release(&e);
    return t;
}

/* Checks that handle h was granted `need`. */
static NTSTATUS check_access(HANDLE h, ACCESS_MASK need)
{
    struct { ULONG attrs; ACCESS_MASK granted; ULONG rest[20]; } bi;
    ULONG ret;
    NTSTATUS st = nt_query_object_original(h, OBJ_BASIC_INFO, &bi, sizeof bi, &ret);
    if (st < 0)
        return st;
    return (bi.granted & need) == need ? ST_OK : STATUS_ACCESS_DENIED;
}

/* The handle to change key h through: h when it is a private key, else
 * the key is copied up and *t is a new handle to the private key (the
 * caller closes it: *own). Fail closed: nothing goes to a host key. */
static NTSTATUS write_target(HANDLE h, ACCESS_MASK need, HANDLE *t, int *own)
{
    *t = h;
    *own = 0;
    keyref r;
    NTSTATUS st = keyref_get(h, &r);
    if (st < 0)
        return st;
    if (r.priv) {
        keyref_free(&r);
        return ST_OK;
    }
    if ((r.kind != RP_MACHINE && r.kind != RP_USER) || is_link(r.v, r.n)) {
        keyref_free(&r);
        return STATUS_ACCESS_DENIED;    /* a host link itself is read only */
    }
    st = check_access(h, need);
    if (st >= 0) {
        int w = vis(r.v, r.n, r.kind);
        if (w == V_NONE)
            st = ST_KEY_DELETED;
        else if (w == V_HOST && !host_has(r.v, r.n))
            st = ST_KEY_DELETED;
        else if (w == V_HOST)
            st = copy_up(r.v, r.n, r.kind, t);
        else
            st = open_private(t, KEY_ALL_ACCESS, 0, r.v, r.n, r.kind, 0, 0);
        if (st >= 0)
            *own = 1;
        else
            *t = h;
    }
    keyref_free(&r);
    return st;
}

/* --- the merged listing of subkeys ------------------------------------------------- */

/* Reads all subkey names of h into a growing list. */
typedef struct names {
    regname *a;
    size_t n, cap;
    uint16_t *blob;
    size_t bn, bcap;
} names;

static int names_add(names *l, const uint16_t *s, size_t n, int src)
{
    if (l->n == l->cap) {
        size_t c = l->cap ? l->cap * 2 : 64;
        regname *a = zalloc(c * sizeof *a);
        if (!a)
            return -1;
        if (l->a)
            memcpy(a, l->a, l->n * sizeof *a);
        zfree(l->a);
        l->a = a;
        l->cap = c;
    }
    if (l->bn + n > l->bcap) {
        size_t c = l->bcap ? l->bcap * 2 : 4096;
        while (c < l->bn + n)
            c *= 2;
        uint16_t *b = zalloc(c * 2);
        if (!b)
            return -1;
        if (l->blob)
            memcpy(b, l->blob, l->bn * 2);
        zfree(l->blob);
        l->blob = b;
        l->bcap = c;
    }
    memcpy(l->blob + l->bn, s, n * 2);
    /* s holds an offset until the blob stops moving (see fix_names). */
    l->a[l->n].s = (const uint16_t *)(uintptr_t)l->bn;
    l->a[l->n].n = n;
    l->a[l->n].src = src;
    l->n++;
    l->bn += n;
    return 0;
}

static void fix_names(names *l)
{
    for (size_t i = 0; i < l->n; i++)
        l->a[i].s = l->blob + (uintptr_t)l->a[i].s;
}

/* Lists h's subkeys; src = (index << 1) | source. Skips names hidden by a
 * marker when v (the parent's virtual name) is given. */
static NTSTATUS list_subkeys(HANDLE h, int source, const uint16_t *v, size_t vn, int kind,
                             names *l)
{
    BYTE buf[sizeof(kbasic) + 512 + 16];
    uint16_t *full = NULL;
    for (ULONG i = 0;; i++) {
        ULONG ret;
        NTSTATUS st = o_enumkey(h, i, KEY_BASIC, buf, sizeof buf, &ret);
        if (st == ST_NO_MORE_ENTRIES)
            break;
        if (st < 0) {
            zfree(full);
            return st;
        }
        kbasic *b = (kbasic *)buf;
        size_t cn = b->name_len / 2;
        if (regpath_is_tmp((uint16_t *)b->name, cn))
            continue;   /* a copy-up temporary (or a host key of that name) */
        if (v) {
            /* Hidden: marked deleted, or Plume's own tree. */
            if (!full && !(full = zalloc((REGPATH_MAX + 1) * 2)))
                return ST_NO_MEMORY;
            if (vn + 1 + cn > REGPATH_MAX)
                continue;
            memcpy(full, v, vn * 2);
            full[vn] = '\\';
            memcpy(full + vn + 1, b->name, cn * 2);
            size_t fn;
            int k = regpath_resolve(NULL, 0, full, vn + 1 + cn, full, REGPATH_MAX, &fn);
            if (k == RP_HIDDEN || vis(full, fn, k) == V_NONE)
                continue;
            (void)kind;
        }
        if (names_add(l, (uint16_t *)b->name, cn, (int)((i << 1) | (ULONG)source)) != 0) {
            zfree(full);
            return ST_NO_MEMORY;
        }
    }
    zfree(full);
    return ST_OK;
}

static void names_free(names *l)
{
    zfree(l->a);
    zfree(l->blob);
    l->a = NULL;
    l->blob = NULL;
}

/* The subkeys the VM sees under key v: *out (m names, sorted, pointing
 * into pl's and hl's blobs; src = (index << 1) | source, 0 private, 1
 * host), merged from its private key (when priv) and the host key (unless
 * v is marked deleted, so re-created). *host: the host key, open for
 * enumeration (NULL when not listed). The caller frees pl, hl, *out and
 * closes *host, whatever is returned. */
static NTSTATUS merged_names(const uint16_t *v, size_t n, int kind, int priv, HANDLE *host,
                             names *pl, names *hl, regname **out, size_t *m)
{
    *host = NULL;
    *out = NULL;
    *m = 0;
    /* The private side through a handle of our own: the caller's may lack
     * KEY_ENUMERATE_SUB_KEYS (a DELETE-only handle counting its subkeys). */
    NTSTATUS st = ST_OK;
    if (priv) {
        HANDLE pt;
        st = open_private(&pt, KEY_ENUMERATE_SUB_KEYS, 0, v, n, kind, 0, 0);
        if (st >= 0) {
            st = list_subkeys(pt, 0, NULL, 0, kind, pl);
            close_h(pt);
        }
    }
    int opaque = 0;
    AcquireSRWLockShared(&g_lock);
    if (g_del.live) {
        size_t start = regpath_rest_off(v, n, kind);
        for (size_t i = start + 1; i <= n && !opaque; i++)
            if ((i == n || v[i] == '\\') && hset_has(&g_del, regpath_hash(v, i)))
                opaque = 1;
    }
    ReleaseSRWLockShared(&g_lock);
    if (st >= 0 && !opaque && open_abs(host, KEY_ENUMERATE_SUB_KEYS, v, n) >= 0)
        st = list_subkeys(*host, 1, v, n, kind, hl);
    if (st < 0)
        return st;
    fix_names(pl);
    fix_names(hl);
    if (!(*out = zalloc((pl->n + hl->n + 1) * sizeof **out)))
        return ST_NO_MEMORY;
    *m = regname_merge(pl->a, pl->n, hl->a, hl->n, NULL, 0, *out);
    return ST_OK;
}

/* Builds d's merged listing of private key t, virtual name v. */
static NTSTATUS build_listing(kdata *d, HANDLE t, const uint16_t *v, size_t n, int kind)
{
    kdata_list_free(d);
    names pl = { 0 }, hl = { 0 };
    LONG gen = *g_gen;
    regname *out;
    size_t m;
    NTSTATUS st = merged_names(v, n, kind, t != NULL, &d->host, &pl, &hl, &out, &m);
    if (st >= 0) {
        size_t total = 0;
        for (size_t i = 0; i < m; i++)
            total += out[i].n;
        d->items = zalloc((m + 1) * sizeof *d->items);
        d->blob = zalloc((total + 1) * 2);
        if (!d->items || !d->blob)
            st = ST_NO_MEMORY;
    }
    if (st >= 0) {
        size_t at = 0;
        for (size_t i = 0; i < m; i++) {
            memcpy(d->blob + at, out[i].s, out[i].n * 2);
            d->items[i].off = at;
            d->items[i].len = out[i].n;
            d->items[i].src = out[i].src & 1;
            d->items[i].index = (ULONG)(out[i].src >> 1);
            at += out[i].n;
        }
        d->n = m;
        d->gen = gen;
        d->listed = 1;
    }
    zfree(out);
    names_free(&pl);
    names_free(&hl);
    if (st < 0)
        kdata_list_free(d);
    return st;
}

/* The merged listing of h (a private key handle, or a host handle whose
 * key is private now: t). Caller holds g_kd_lock. */
static kdata *listing(HANDLE h, HANDLE t, int rebuild, NTSTATUS *st)
{
    htab_entry e;
    *st = ST_NO_MEMORY;
    if (!htab_get(h, &e))
        return NULL;
    kdata *d = kdata_of(h, &e);
    if (d) {
        *st = ST_OK;
        if (rebuild || !d->listed || d->gen != *g_gen) {
            int kind = regpath_resolve(NULL, 0, e.name, e.name_len, e.name, e.name_len,
                                       &e.name_len);
            *st = build_listing(d, t, e.name, e.name_len, kind);
        }
    }
    htab_release(&e);
    return *st >= 0 ? d : NULL;
}

/* --- the hooks: opening and creating --------------------------------------------- */

/* The virtual name of an open's OBJECT_ATTRIBUTES, into b, canonical
 * through the host's links (open_link: the name of a link itself stays).
 * Returns the kind, or RP_INVALID with *st set. */
static int oa_name(POBJECT_ATTRIBUTES oa, int open_link, nbuf *b, NTSTATUS *st)
{
    const uint16_t *rel = oa->ObjectName && oa->ObjectName->Buffer ?
                          (const uint16_t *)oa->ObjectName->Buffer : NULL;
    size_t nrel = rel ? oa->ObjectName->Length / 2 : 0;
    size_t grow = g_link_grow * REGPATH_LINK_DEPTH + 2;
    int kind = RP_INVALID;
    *st = ST_NAME_INVALID;
    if (!oa->RootDirectory) {
        if (nbuf_init(b, nrel + grow) != 0) {
            *st = ST_NO_MEMORY;
            return RP_INVALID;
        }
        kind = regpath_resolve(NULL, 0, rel, nrel, b->p, b->cap, &b->n);
    } else {
        keyref r;
        NTSTATUS e = keyref_get(oa->RootDirectory, &r);
        if (e < 0) {
            *st = e;
            return RP_INVALID;
        }
        if (nbuf_init(b, r.n + nrel + grow) != 0)
            *st = ST_NO_MEMORY;
        else
            kind = regpath_resolve(r.v, r.n, rel, nrel, b->p, b->cap, &b->n);
        keyref_free(&r);
    }
    return follow(b->p, &b->n, b->cap, kind, open_link);
}

static const uint16_t SOFTWARE[] = { '\\', 'R', 'E', 'G', 'I', 'S', 'T', 'R', 'Y', '\\', 'M',
                                     'A', 'C', 'H', 'I', 'N', 'E', '\\', 'S', 'O', 'F', 'T',
                                     'W', 'A', 'R', 'E' };

static NTSTATUS track(HANDLE h, int priv, const uint16_t *v, size_t n)
{
    uint32_t flags = priv ? KF_PRIVATE : 0;
    if (!priv && regpath_cmp(v, n, SOFTWARE, KNOWN_LEN) == 0)
        flags |= KF_MERGE;
    if (htab_put(h, HT_KEY, flags, NULL, v, n, NULL, 0) != 0) {
        close_h(h);
        return ST_NO_MEMORY;
    }
    return ST_OK;
}

/* An open that succeeded: h is tracked and returned to the caller. */
static NTSTATUS give(PHANDLE ph, HANDLE h, int priv, const uint16_t *v, size_t n, PULONG disp,
                     ULONG d)
{
    if (disp)
        *disp = d;
    NTSTATUS st = track(h, priv, v, n);
    if (st >= 0)
        *ph = h;
    return st;
}

/* NtCreateKey (create) / NtOpenKey / NtOpenKeyEx. */
static NTSTATUS do_open(PHANDLE ph, ACCESS_MASK acc, POBJECT_ATTRIBUTES caller_oa, int create,
                        ULONG title, PUNICODE_STRING cls, ULONG copts, PULONG disp,
                        int use_ex, ULONG ex_opts)
{
    nbuf b;
    b.p = NULL;
    NTSTATUS st;
    ULONG attrs = caller_oa->Attributes;
    if ((create ? copts : use_ex ? ex_opts : 0) & REG_OPTION_OPEN_LINK)
        attrs |= OBJ_OPENLINK;
    int open_link = (attrs & OBJ_OPENLINK) != 0;
    int kind = oa_name(caller_oa, open_link, &b, &st);
    int wants_write = (acc & WRITE_RIGHTS) != 0;
    HANDLE h = NULL;
    if (kind == RP_INVALID)
        goto out;
    if (kind == RP_OTHER) {
        /* \REGISTRY itself, application hives...: read only. */
        if (create || wants_write) {
            st = STATUS_ACCESS_DENIED;
        } else {
            st = use_ex ? o_openex(ph, acc, caller_oa, ex_opts) : o_open(ph, acc, caller_oa);
        }
        goto out;
    }
    if (kind == RP_HIDDEN || regpath_has_tmp(b.p, b.n)) {
        /* Plume's tree, or a name reserved for copy-up temporaries. */
        st = create ? STATUS_ACCESS_DENIED : ST_NAME_NOT_FOUND;
        goto out;
    }
    if (create && (copts & OPT_CREATE_LINK)) {
        st = STATUS_ACCESS_DENIED;      /* a link in the private tree could reach the host */
        goto out;
    }
    /* A host link itself (opened with OBJ_OPENLINK): read only, from the host. */
    int link_itself = open_link && is_link(b.p, b.n);
    if (link_itself && wants_write) {
        st = STATUS_ACCESS_DENIED;
        goto out;
    }
    int w = link_itself ? V_HOST : vis(b.p, b.n, kind);
    if (w == V_PRIV) {
        st = open_private(&h, acc, attrs, b.p, b.n, kind, ex_opts, use_ex);
        if (st >= 0) {
            st = give(ph, h, 1, b.p, b.n, disp, REG_OPENED_EXISTING);
            goto out;
        }
        w = V_HOST;     /* a stale set: the host decides */
    }
    if (w == V_HOST && !(wants_write)) {
        UNICODE_STRING u;
        OBJECT_ATTRIBUTES oa;
        us_init(&u, b.p, b.n);
        oa_init(&oa, &u, NULL, attrs);
        oa.SecurityDescriptor = caller_oa->SecurityDescriptor;
        st = use_ex ? o_openex(&h, acc, &oa, ex_opts) : o_open(&h, acc, &oa);
        if (st >= 0) {
            st = give(ph, h, 0, b.p, b.n, disp, REG_OPENED_EXISTING);
            goto out;
        }
        if (!create || link_itself || (st != ST_NAME_NOT_FOUND && st != (NTSTATUS)0xC000003AL))
            goto out;
        w = V_NONE;
    }
    if (w == V_HOST) {
        /* A change may follow: copy up (the host key must exist). */
        if (!host_has(b.p, b.n)) {
            w = V_NONE;
        } else {
            HANDLE c;
            st = copy_up(b.p, b.n, kind, &c);
            if (st < 0)
                goto out;
            close_h(c);
            st = open_private(&h, acc, attrs, b.p, b.n, kind, ex_opts, use_ex);
            if (st >= 0)
                st = give(ph, h, 1, b.p, b.n, disp, REG_OPENED_EXISTING);
            goto out;
        }
    }
    /* Not there for the VM. */
    if (!create) {
        st = ST_NAME_NOT_FOUND;
        goto out;
    }
    {
        size_t leaf = regpath_leaf_off(b.p, b.n);
        size_t pn = leaf ? leaf - 1 : 0;
        size_t rest = regpath_rest_off(b.p, b.n, kind);
        if (pn < rest) {
            st = STATUS_ACCESS_DENIED;     /* a new root key */
            goto out;
        }
        int pw = vis(b.p, pn, kind);
        if (pw == V_NONE || (pw == V_HOST && !host_has(b.p, pn))) {
            st = ST_NAME_NOT_FOUND;
            goto out;
        }
        HANDLE parent;
        st = copy_up(b.p, pn, kind, &parent);
        if (st < 0)
            goto out;
        UNICODE_STRING u;
        OBJECT_ATTRIBUTES oa;
        us_init(&u, b.p + leaf, b.n - leaf);
        oa_init(&oa, &u, parent, attrs);
        oa.SecurityDescriptor = caller_oa->SecurityDescriptor;
        ULONG d = 0;
        st = o_create(&h, acc, &oa, title, cls, copts, &d);
        close_h(parent);
        if (st >= 0) {
            if (d == REG_CREATED_NEW)
                changed(b.p, b.n, &g_priv);
            st = give(ph, h, 1, b.p, b.n, disp, d);
        }
    }
out:
    nbuf_free(&b);
    return st;
}

/* Every hook runs inside the layer (layer_enter) and gives the caller's
 * last error back: its end. */
static NTSTATUS leave(DWORD err, NTSTATUS st)
{
    SetLastError(err);
    layer_leave();
    return st;
}

static NTSTATUS NTAPI hk_create_key(PHANDLE ph, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                    ULONG title, PUNICODE_STRING cls, ULONG opts, PULONG disp)
{
    if (!oa || !ph || !layer_enter())
        return o_create(ph, acc, oa, title, cls, opts, disp);
    DWORD err = GetLastError();
    return leave(err, do_open(ph, acc, oa, 1, title, cls, opts, disp, 0, 0));
}

static NTSTATUS NTAPI hk_open_key(PHANDLE ph, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa)
{
    if (!oa || !ph || !layer_enter())
        return o_open(ph, acc, oa);
    DWORD err = GetLastError();
    return leave(err, do_open(ph, acc, oa, 0, 0, NULL, 0, NULL, 0, 0));
}

static NTSTATUS NTAPI hk_open_key_ex(PHANDLE ph, ACCESS_MASK acc, POBJECT_ATTRIBUTES oa,
                                     ULONG opts)
{
    if (!oa || !ph || !layer_enter())
        return o_openex(ph, acc, oa, opts);
    DWORD err = GetLastError();
    return leave(err, do_open(ph, acc, oa, 0, 0, NULL, 0, NULL, 1, opts));
}

/* --- the hooks: changes ------------------------------------------------------------ */

/* A change through key handle h: `call` (the original, its key handle
 * argument written k) goes to h when it is a private key, else to the
 * key's private copy (write_target: fail closed, never the host). */
#define WRITE_HOOK(fn, params, call)                                 \
    static NTSTATUS NTAPI fn params                                  \
    {                                                                \
        HANDLE k = h;                                                \
        if (!layer_enter())                                          \
            return call;                                             \
        DWORD err = GetLastError();                                  \
        int own;                                                     \
        NTSTATUS st = write_target(h, KEY_SET_VALUE, &k, &own);      \
        if (st >= 0)                                                 \
            st = call;                                               \
        if (own)                                                     \
            close_h(k);                                              \
        return leave(err, st);                                       \
    }

WRITE_HOOK(hk_set_value, (HANDLE h, PUNICODE_STRING name, ULONG title, ULONG type, PVOID data,
                          ULONG len), o_setval(k, name, title, type, data, len))
WRITE_HOOK(hk_delete_value, (HANDLE h, PUNICODE_STRING name), o_delval(k, name))
WRITE_HOOK(hk_set_info, (HANDLE h, ULONG cls, PVOID buf, ULONG len), o_setinfo(k, cls, buf, len))

/* The number of subkeys the VM sees under private key t (handle h). */
static NTSTATUS merged_count(HANDLE h, HANDLE t, size_t *count, size_t *maxlen)
{
    NTSTATUS st;
    AcquireSRWLockExclusive(&g_kd_lock);
    kdata *d = listing(h, t, 0, &st);
    if (d) {
        *count = d->n;
        size_t m = 0;
        for (size_t i = 0; i < d->n; i++)
            if (d->items[i].len > m)
                m = d->items[i].len;
        *maxlen = m;
    }
    ReleaseSRWLockExclusive(&g_kd_lock);
    return st;
}

static NTSTATUS NTAPI hk_delete_key(HANDLE h)
{
    if (!layer_enter())
        return o_delkey(h);
    DWORD err = GetLastError();
    keyref r;
    NTSTATUS st = keyref_get(h, &r);
    if (st >= 0) {
        HANDLE t = h;
        int own = 0;
        if ((r.kind != RP_MACHINE && r.kind != RP_USER) || is_link(r.v, r.n)) {
            st = STATUS_ACCESS_DENIED;
        } else if (!r.priv) {
            st = check_access(h, DELETE);
            if (st >= 0) {
                int w = vis(r.v, r.n, r.kind);
                if (w == V_NONE)
                    st = ST_KEY_DELETED;
                else if (w == V_PRIV && (st = open_private(&t, KEY_ALL_ACCESS, 0, r.v, r.n,
                                                           r.kind, 0, 0)) >= 0)
                    own = 1;
            }
        }
        if (st >= 0 && r.n <= regpath_rest_off(r.v, r.n, r.kind))
            st = STATUS_ACCESS_DENIED;     /* a root */
        if (st >= 0) {
            /* Refused while the VM sees subkeys under it. */
            size_t count = 0, maxlen = 0;
            if (own || r.priv) {
                if (!r.tracked) {
                    st = STATUS_ACCESS_DENIED;     /* untracked private handle: ours only */
                } else {
                    /* The listing lives on h's entry: build it on t. */
                    st = merged_count(h, t, &count, &maxlen);
                }
            } else {
                HANDLE hh;
                if (open_abs(&hh, KEY_ENUMERATE_SUB_KEYS, r.v, r.n) >= 0) {
                    names l = { 0 };
                    st = list_subkeys(hh, 1, r.v, r.n, r.kind, &l);
                    count = l.n;
                    zfree(l.a);
                    zfree(l.blob);
                    close_h(hh);
                }
            }
            if (st >= 0 && count)
                st = ST_CANNOT_DELETE;
        }
        if (st >= 0 && host_has(r.v, r.n))
            st = mark_deleted(r.v, r.n, r.kind);
        if (st >= 0 && (own || r.priv)) {
            st = o_delkey(t);
            if (st < 0) {
                /* Hidden subkeys? Stale copy-up temporaries go, then again. */
                HANDLE pt;
                if (open_private(&pt, KEY_ENUMERATE_SUB_KEYS, 0, r.v, r.n, r.kind, 0, 0) >= 0) {
                    if (drop_stale_all(pt))
                        st = o_delkey(t);
                    close_h(pt);
                }
            }
            if (st >= 0)
                changed(NULL, 0, NULL);
        }
        if (own)
            close_h(t);
        keyref_free(&r);
    }
    return leave(err, st);
}

/* --- rename: copy-on-write ------------------------------------------------------------ */

/* Copies the VM's view of key v[0..n) (its values, its subkeys' recursively)
 * into the new private key `to`. v has room for REGPATH_MAX units. */
static NTSTATUS copy_tree(uint16_t *v, size_t n, int kind, HANDLE to, int depth)
{
    if (depth > 512)
        return ST_NAME_INVALID;
    int w = vis(v, n, kind);
    HANDLE from;
    NTSTATUS st = w == V_PRIV ? open_private(&from, KEY_QUERY_VALUE, 0, v, n, kind, 0, 0)
                              : open_abs(&from, KEY_QUERY_VALUE, v, n);
    if (st < 0)
        return st;
    st = copy_values_from(from, to);
    close_h(from);
    names pl = { 0 }, hl = { 0 };
    regname *out = NULL;
    size_t m = 0;
    HANDLE host = NULL;
    if (st >= 0)
        st = merged_names(v, n, kind, w == V_PRIV, &host, &pl, &hl, &out, &m);
    close_h(host);
    for (size_t i = 0; st >= 0 && i < m; i++) {
        size_t cn = n + 1 + out[i].n;
        if (cn > REGPATH_MAX) {
            st = ST_NAME_INVALID;
            break;
        }
        v[n] = '\\';
        memcpy(v + n + 1, out[i].s, out[i].n * 2);
        UNICODE_STRING u;
        OBJECT_ATTRIBUTES oa;
        us_init(&u, out[i].s, out[i].n);
        oa_init(&oa, &u, to, 0);
        HANDLE c;
        ULONG disp = 0;
        if ((st = o_create(&c, KEY_ALL_ACCESS, &oa, 0, NULL, 0, &disp)) >= 0) {
            st = copy_tree(v, cn, kind, c, depth + 1);
            close_h(c);
        }
    }
    zfree(out);
    names_free(&pl);
    names_free(&hl);
    return st;
}

/* Renames key v (kind) to leaf name nm[0..nn) in the VM: the VM's view of
 * its tree is copied, under a temporary sibling (a reserved name), which
 * is then renamed into place; then the old name is deleted in the VM (its
 * private keys, and a marker when the host has it). The host is not
 * touched. *nv (REGPATH_MAX + 1 units) gets the new virtual name. */
static NTSTATUS rename_cow(const uint16_t *v, size_t n, int kind, const uint16_t *nm, size_t nn,
                           uint16_t *nv, size_t *nvn)
{
    size_t leaf = regpath_leaf_off(v, n), rest = regpath_rest_off(v, n, kind);
    if (n <= rest || leaf == 0 || nn == 0 || nn > REGPATH_COMPONENT_MAX)
        return nn ? STATUS_ACCESS_DENIED : ST_INVALID_PARAMETER;
    for (size_t i = 0; i < nn; i++)
        if (nm[i] == '\\')
            return ST_INVALID_PARAMETER;     /* a name, not a path (as Windows) */
    if (regpath_is_tmp(nm, nn) || leaf + nn > REGPATH_MAX)
        return STATUS_ACCESS_DENIED;
    memcpy(nv, v, leaf * 2);
    memcpy(nv + leaf, nm, nn * 2);
    *nvn = leaf + nn;
    if (regpath_resolve(NULL, 0, nv, *nvn, nv, REGPATH_MAX, nvn) != kind ||
        (g_nlinks && regpath_link_match(g_links, g_nlinks, nv, *nvn, 0) >= 0))
        return STATUS_ACCESS_DENIED;     /* Plume's tree, or a host link's name */
    int w = vis(v, n, kind), w2 = vis(nv, *nvn, kind);
    if (w2 == V_PRIV || (w2 == V_HOST && host_has(nv, *nvn)))
        return STATUS_ACCESS_DENIED;     /* the name is taken */
    if (w == V_NONE || (w == V_HOST && !host_has(v, n)))
        return ST_KEY_DELETED;
    uint16_t *buf = zalloc((REGPATH_MAX + 1) * 2);
    if (!buf)
        return ST_NO_MEMORY;
    HANDLE parent = NULL, t = NULL;
    NTSTATUS st = copy_up(v, leaf - 1, kind, &parent);
    uint16_t tn[REGPATH_TMP_MAX];
    size_t tl = regpath_tmp_name((uint32_t)GetCurrentProcessId(), (uint32_t)GetCurrentThreadId(),
                                 tn, REGPATH_TMP_MAX);
    UNICODE_STRING tu, nu;
    OBJECT_ATTRIBUTES toa;
    us_init(&tu, tn, tl);
    us_init(&nu, nv + leaf, *nvn - leaf);
    oa_init(&toa, &tu, parent, 0);
    for (int tries = 0; st >= 0 && tries < 3; tries++) {
        ULONG disp = 0;
        if ((st = o_create(&t, KEY_ALL_ACCESS, &toa, 0, NULL, 0, &disp)) < 0)
            break;
        if (disp == REG_CREATED_NEW)
            break;
        delete_tree(t, 0);      /* ours, left by a killed process with our ids */
        close_h(t);
        t = NULL;
        st = ST_NAME_COLLISION;
    }
    if (st >= 0 && t) {
        memcpy(buf, v, n * 2);
        st = copy_tree(buf, n, kind, t, 0);
        if (st >= 0)
            st = o_rename(t, &nu);
        if (st < 0)
            delete_tree(t, 0);
    }
    close_h(t);
    close_h(parent);
    if (st >= 0) {
        /* The old name goes: its private keys, and the host's key behind a marker. */
        HANDLE old;
        if (w == V_PRIV &&
            open_private(&old, DELETE | KEY_ENUMERATE_SUB_KEYS, 0, v, n, kind, 0, 0) >= 0) {
            st = delete_tree(old, 0);
            close_h(old);
        }
        if (st >= 0 && host_has(v, n))
            st = mark_deleted(v, n, kind);
        changed(NULL, 0, NULL);
    }
    zfree(buf);
    return st;
}

/* NtRenameKey: copy-on-write (rename_cow), for any key the VM sees. The
 * handle then stands for the new name: it is no longer the key's private
 * key (that one was deleted, or never was), so its calls go by the name. */
static NTSTATUS NTAPI hk_rename_key(HANDLE h, PUNICODE_STRING name)
{
    if (!layer_enter())
        return o_rename(h, name);
    DWORD err = GetLastError();
    keyref r;
    NTSTATUS st = keyref_get(h, &r);
    if (st >= 0) {
        uint16_t *nv = zalloc((REGPATH_MAX + 1) * 2);
        size_t nvn = 0;
        if ((r.kind != RP_MACHINE && r.kind != RP_USER) || is_link(r.v, r.n))
            st = STATUS_ACCESS_DENIED;
        else if (!name || !name->Buffer)
            st = ST_INVALID_PARAMETER;
        else if (!nv)
            st = ST_NO_MEMORY;
        else if ((st = check_access(h, KEY_SET_VALUE | KEY_CREATE_SUB_KEY)) >= 0)
            st = rename_cow(r.v, r.n, r.kind, (const uint16_t *)name->Buffer, name->Length / 2,
                            nv, &nvn);
        if (st >= 0) {
            AcquireSRWLockExclusive(&g_kd_lock);
            htab_entry e;
            kdata *d = NULL;
            if (htab_get(h, &e)) {
                if ((d = e.data) != NULL) {
                    kdata_list_free(d);
                    close_h(d->priv);
                    d->priv = NULL;
                }
                htab_release(&e);
            }
            htab_put(h, HT_KEY, KF_RENAMED, d, nv, nvn, NULL, 0); /* else: the old entry stays */
            ReleaseSRWLockExclusive(&g_kd_lock);
        }
        zfree(nv);
        keyref_free(&r);
    }
    return leave(err, st);
}

/* --- the hooks: reads ----------------------------------------------------------------- */

/* The handle a read through h goes to: h, or the private copy of a host
 * key copied up since h was opened; *st < 0 when the call fails (the VM
 * deleted the key). Leaves the layer. */
static HANDLE read_via(HANDLE h, NTSTATUS *st)
{
    DWORD err = GetLastError();
    int priv;
    HANDLE t = read_target(h, st, &priv, 0);
    leave(err, ST_OK);
    return t ? t : h;
}

/* A read through key handle h: `call` (the original, its key handle
 * argument written k) goes to read_via's handle. */
#define READ_HOOK(fn, params, call)                                  \
    static NTSTATUS NTAPI fn params                                  \
    {                                                                \
        HANDLE k = h;                                                \
        NTSTATUS st = ST_OK;                                         \
        if (layer_enter())                                           \
            k = read_via(h, &st);                                    \
        return st < 0 ? st : call;                                   \
    }

READ_HOOK(hk_query_value, (HANDLE h, PUNICODE_STRING name, ULONG cls, PVOID buf, ULONG len,
                           PULONG ret), o_queryval(k, name, cls, buf, len, ret))
READ_HOOK(hk_enum_value, (HANDLE h, ULONG i, ULONG cls, PVOID buf, ULONG len, PULONG ret),
          o_enumval(k, i, cls, buf, len, ret))
READ_HOOK(hk_query_multi, (HANDLE h, PVOID ve, ULONG n, PVOID buf, PULONG len, PULONG ret),
          o_querymulti(k, ve, n, buf, len, ret))
READ_HOOK(hk_flush, (HANDLE h), o_flush(k))
READ_HOOK(hk_notify, (HANDLE h, HANDLE ev, PVOID apc, PVOID ctx, PIO_STATUS_BLOCK io, ULONG filter,
                      BOOLEAN subtree, PVOID buf, ULONG len, BOOLEAN async),
          o_notify(k, ev, apc, ctx, io, filter, subtree, buf, len, async))

/* Subordinate keys (count > 0) are not virtualized (rare): refused. */
READ_HOOK(hk_notify_multi, (HANDLE h, ULONG count, POBJECT_ATTRIBUTES sub, HANDLE ev, PVOID apc,
                            PVOID ctx, PIO_STATUS_BLOCK io, ULONG filter, BOOLEAN subtree,
                            PVOID buf, ULONG len, BOOLEAN async),
          count ? STATUS_ACCESS_DENIED
                : o_notifymulti(k, count, sub, ev, apc, ctx, io, filter, subtree, buf, len, async))

static NTSTATUS NTAPI hk_enum_key(HANDLE h, ULONG i, ULONG cls, PVOID buf, ULONG len,
                                  PULONG ret)
{
    if (!layer_enter())
        return o_enumkey(h, i, cls, buf, len, ret);
    DWORD err = GetLastError();
    NTSTATUS st;
    int priv;
    HANDLE t = read_target(h, &st, &priv, 1);
    if (st >= 0 && priv) {
        AcquireSRWLockExclusive(&g_kd_lock);
        kdata *d = listing(h, priv == 2 ? NULL : t ? t : h, i == 0, &st);
        if (d) {
            if (i >= d->n) {
                st = ST_NO_MORE_ENTRIES;
            } else {
                kitem *it = &d->items[i];
                HANDLE src = it->src ? d->host : (t ? t : h);
                st = o_enumkey(src, it->index, cls, buf, len, ret);
            }
        }
        ReleaseSRWLockExclusive(&g_kd_lock);
        return leave(err, st);
    }
    leave(err, ST_OK);
    return st < 0 ? st : o_enumkey(t ? t : h, i, cls, buf, len, ret);
}

/* Spells virtual name v like this system's key names. */
static size_t spell(const uint16_t *v, size_t n, int kind, uint16_t *out, size_t cap)
{
    size_t r = regpath_rest_off(v, n, kind);
    const uint16_t *head = kind == RP_USER ? g_spell_user : g_spell_machine;
    size_t hn = kind == RP_USER ? g_spell_user_len : g_spell_machine_len;
    if (hn + (n - r) > cap)
        return 0;
    memcpy(out, head, hn * 2);
    memcpy(out + hn, v + r, (n - r) * 2);
    return hn + n - r;
}

static NTSTATUS NTAPI hk_query_key(HANDLE h, ULONG cls, PVOID buf, ULONG len, PULONG ret)
{
    if (!layer_enter())
        return o_querykey(h, cls, buf, len, ret);
    DWORD err = GetLastError();
    NTSTATUS st;
    int priv;
    HANDLE t = read_target(h, &st, &priv, 1);
    if (st < 0 || !priv || (priv == 2 && cls != KEY_FULL && cls != KEY_CACHED)) {
        leave(err, ST_OK);
        return st < 0 ? st : o_querykey(h, cls, buf, len, ret);
    }
    HANDLE q = t ? t : h;
    if (cls == KEY_NAME) {
        htab_entry e;
        st = ST_NO_MEMORY;
        if (htab_get(h, &e)) {
            int kind = regpath_resolve(NULL, 0, e.name, e.name_len, e.name, e.name_len,
                                       &e.name_len);
            nbuf b;
            if (nbuf_init(&b, e.name_len + 32) == 0) {
                b.n = spell(e.name, e.name_len, kind, b.p, b.cap);
                ULONG need = (ULONG)(4 + b.n * 2);
                if (ret)
                    *ret = need;
                if (len < 4) {
                    st = ST_BUFFER_TOO_SMALL;
                } else {
                    kname_info *ki = buf;
                    ki->name_len = (ULONG)(b.n * 2);
                    ULONG room = len - 4;
                    memcpy(ki->name, b.p, room < b.n * 2 ? room : b.n * 2);
                    st = room < b.n * 2 ? ST_BUFFER_OVERFLOW : ST_OK;
                }
                nbuf_free(&b);
            }
            htab_release(&e);
        }
    } else if (cls == KEY_FULL || cls == KEY_CACHED) {
        st = o_querykey(q, cls, buf, len, ret);
        size_t count, maxlen;
        if (st >= 0 && merged_count(h, priv == 2 ? NULL : q, &count, &maxlen) >= 0) {
            if (cls == KEY_FULL) {
                kfull *f = buf;
                f->subkeys = (ULONG)count;
                if (f->max_name < maxlen * 2)
                    f->max_name = (ULONG)(maxlen * 2);
            } else {
                /* KEY_CACHED_INFORMATION: LastWriteTime, TitleIndex, SubKeys,
                 * MaxNameLen (in units), ... */
                ULONG *u = (ULONG *)((BYTE *)buf + 12);
                u[0] = (ULONG)count;
                if (u[1] < maxlen)
                    u[1] = (ULONG)maxlen;
            }
        }
    } else {
        st = o_querykey(q, cls, buf, len, ret);
    }
    return leave(err, st);
}

/* NtQueryObject(ObjectNameInformation) on one of our private key handles:
 * the virtual name. */
int reg_query_name(HANDLE h, PVOID buf, ULONG len, PULONG ret, NTSTATUS *st)
{
    htab_entry e;
    if (!htab_get(h, &e))
        return 0;
    if (e.kind != HT_KEY) {
        htab_release(&e);
        return 0;
    }
    int mine = (e.flags & (KF_PRIVATE | KF_RENAMED)) != 0;
    if (mine) {
        int kind = regpath_resolve(NULL, 0, e.name, e.name_len, e.name, e.name_len, &e.name_len);
        nbuf b;
        if (nbuf_init(&b, e.name_len + 32) == 0) {
            b.n = spell(e.name, e.name_len, kind, b.p, b.cap);
            ULONG need = (ULONG)(sizeof(UNICODE_STRING) + (b.n + 1) * 2);
            if (ret)
                *ret = need;
            if (len >= need) {
                UNICODE_STRING *u = buf;
                u->Buffer = (PWSTR)((BYTE *)buf + sizeof *u);
                u->Length = (USHORT)(b.n * 2);
                u->MaximumLength = (USHORT)(b.n * 2 + 2);
                memcpy(u->Buffer, b.p, b.n * 2);
                u->Buffer[b.n] = 0;
                *st = ST_OK;
            } else if (*st >= 0) {
                *st = ST_INFO_LENGTH_MISMATCH;
            }
            nbuf_free(&b);
        }
    }
    htab_release(&e);
    return mine;
}

/* --- hive calls and transactions: refused ----------------------------------------- */

static NTSTATUS NTAPI hk_refuse(void)
{
    return STATUS_ACCESS_DENIED;
}

static const char *const refused[] = {
    "NtLoadKey", "NtLoadKey2", "NtLoadKeyEx", "NtSaveKey", "NtSaveKeyEx", "NtSaveMergedKeys",
    "NtRestoreKey", "NtReplaceKey", "NtUnloadKey", "NtUnloadKey2", "NtUnloadKeyEx",
    "NtCreateKeyTransacted", "NtOpenKeyTransacted", "NtOpenKeyTransactedEx", "NtCompressKey",
    "NtLockRegistryKey", "NtFreezeRegistry",
};
static void *refused_orig[sizeof refused / sizeof refused[0]];

/* --- init --------------------------------------------------------------------------- */

static int learn_spelling(const char *root, uint16_t *out, size_t *outn)
{
    uint16_t name[24];
    size_t n = 0;
    for (const char *c = root; *c; c++)
        name[n++] = (uint16_t)*c;
    HANDLE h;
    BYTE buf[128];
    ULONG ret;
    *outn = n;
    memcpy(out, name, n * 2);
    if (open_abs(&h, KEY_READ, name, n) < 0)
        return 0;
    if (o_querykey(h, KEY_NAME, buf, sizeof buf, &ret) >= 0) {
        kname_info *ki = (kname_info *)buf;
        /* Wine 8 reports \REGISTRY\Machine and \REGISTRY\User; Windows
         * \REGISTRY\MACHINE and \REGISTRY\USER. Same length either way. */
        if (ki->name_len / 2 == n)
            memcpy(out, ki->name, n * 2);
    }
    close_h(h);
    return 0;
}

int reg_init(void)
{
    HMODULE nt = GetModuleHandleW(L"ntdll.dll");
    g_vmroot_len = regpath_vm_root(g_vmtag, g_vmtag_len, g_vmroot,
                                   sizeof g_vmroot / sizeof g_vmroot[0]);
    if (!g_vmroot_len) {
        layer_error("registry", "the VM's tag does not make a key name");
        return -1;
    }
    /* The generation counter shared by the VM's processes. */
    wchar_t secname[PLUME_BOOT_NAME + 64] = L"Local\\PlumeReg.";
    size_t at = 15;
    for (size_t i = 0; i < g_vmtag_len && at + 1 < sizeof secname / sizeof secname[0]; i++)
        secname[at++] = g_vmtag[i];
    secname[at] = 0;
    int in = layer_enter();
    HANDLE sec = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096,
                                    secname);
    g_gen = sec ? MapViewOfFile(sec, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 4096) : NULL;
    if (in)
        layer_leave();
    if (!g_gen) {
        layer_error("registry", "cannot map the VM's shared registry state");
        return -1;
    }
    /* The section lives as long as a process of the VM maps it: the first
     * process starts from generation 0 and builds its sets. */
    o_querykey = (query_key_fn)(void *)GetProcAddress(nt, "NtQueryKey");
    o_open = (open_key_fn)(void *)GetProcAddress(nt, "NtOpenKey");
    o_queryval = (query_value_fn)(void *)GetProcAddress(nt, "NtQueryValueKey");
    if (!o_querykey || !o_open || !o_queryval)
        return -1;
    learn_spelling("\\REGISTRY\\MACHINE", g_spell_machine, &g_spell_machine_len);
    learn_spelling("\\REGISTRY\\USER", g_spell_user, &g_spell_user_len);
    learn_links();

    static const struct { const char *name; void *detour; void **orig; } hooks[] = {
        { "NtCreateKey", (void *)hk_create_key, (void **)&o_create },
        { "NtOpenKey", (void *)hk_open_key, (void **)&o_open },
        { "NtOpenKeyEx", (void *)hk_open_key_ex, (void **)&o_openex },
        { "NtSetValueKey", (void *)hk_set_value, (void **)&o_setval },
        { "NtDeleteKey", (void *)hk_delete_key, (void **)&o_delkey },
        { "NtDeleteValueKey", (void *)hk_delete_value, (void **)&o_delval },
        { "NtQueryKey", (void *)hk_query_key, (void **)&o_querykey },
        { "NtQueryValueKey", (void *)hk_query_value, (void **)&o_queryval },
        { "NtQueryMultipleValueKey", (void *)hk_query_multi, (void **)&o_querymulti },
        { "NtEnumerateKey", (void *)hk_enum_key, (void **)&o_enumkey },
        { "NtEnumerateValueKey", (void *)hk_enum_value, (void **)&o_enumval },
        { "NtRenameKey", (void *)hk_rename_key, (void **)&o_rename },
        { "NtNotifyChangeKey", (void *)hk_notify, (void **)&o_notify },
        { "NtNotifyChangeMultipleKeys", (void *)hk_notify_multi, (void **)&o_notifymulti },
        { "NtFlushKey", (void *)hk_flush, (void **)&o_flush },
        { "NtSetInformationKey", (void *)hk_set_info, (void **)&o_setinfo },
    };
    for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++)
        if (layer_hook(L"ntdll.dll", hooks[i].name, hooks[i].detour, hooks[i].orig))
            return -1;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (GetProcAddress(nt, refused[i]) &&
            layer_hook(L"ntdll.dll", refused[i], (void *)hk_refuse, &refused_orig[i]))
            return -1;
    htab_on_free(HT_KEY, kdata_free);
    return 0;
}
