/* The handle table (htab.h): open addressing keyed by handle value, under
 * a slim reader/writer lock. Memory from the process heap, only on the
 * slow path (a handle the layer must remember). */
#include "htab.h"

typedef struct slot {
    HANDLE h;           /* NULL: empty; TOMB: deleted */
    htab_entry e;
} slot;

#define TOMB ((HANDLE)(LONG_PTR)-2)

static SRWLOCK lock = SRWLOCK_INIT;
static slot *slots;
static size_t cap;          /* power of two */
static size_t used;         /* live + tombstones */
volatile LONG htab_count;
static void (*free_fn[8])(void *);

static size_t hash(HANDLE h)
{
    uint64_t v = (uint64_t)(ULONG_PTR)h >> 2;
    return (size_t)((v * 0x9E3779B97F4A7C15ull) >> 20);
}

static void *zalloc(size_t n)
{
    return HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, n);
}

static void zfree(void *p)
{
    if (p)
        HeapFree(GetProcessHeap(), 0, p);
}

static uint16_t *dup16(const uint16_t *s, size_t n)
{
    uint16_t *d = HeapAlloc(GetProcessHeap(), 0, (n + 1) * sizeof *d);
    if (d) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
        d[n] = 0;
    }
    return d;
}

static slot *find(HANDLE h)
{
    if (!slots)
        return NULL;
    for (size_t i = hash(h) & (cap - 1), k = 0; k < cap; i = (i + 1) & (cap - 1), k++) {
        if (slots[i].h == h)
            return &slots[i];
        if (slots[i].h == NULL)
            return NULL;
    }
    return NULL;
}

static int grow(void)
{
    size_t ncap = cap ? cap * 2 : 256;
    slot *ns = zalloc(ncap * sizeof *ns);
    if (!ns)
        return -1;
    size_t live = 0;
    for (size_t i = 0; i < cap; i++) {
        if (slots[i].h == NULL || slots[i].h == TOMB)
            continue;
        size_t j = hash(slots[i].h) & (ncap - 1);
        while (ns[j].h)
            j = (j + 1) & (ncap - 1);
        ns[j] = slots[i];
        live++;
    }
    zfree(slots);
    slots = ns;
    cap = ncap;
    used = live;
    return 0;
}

static void clear(htab_entry *e)
{
    zfree(e->name);
    zfree(e->real);
    e->name = e->real = NULL;
}

int htab_put(HANDLE h, int kind, uint32_t flags, void *data, const uint16_t *name,
             size_t name_len, const uint16_t *real, size_t real_len)
{
    uint16_t *n = dup16(name ? name : (const uint16_t *)L"", name ? name_len : 0);
    uint16_t *r = dup16(real ? real : (const uint16_t *)L"", real ? real_len : 0);
    if (!n || !r) {
        zfree(n);
        zfree(r);
        return -1;
    }
    AcquireSRWLockExclusive(&lock);
    slot *s = find(h);
    if (s) {
        clear(&s->e);
    } else {
        if ((used + 1) * 2 > cap && grow() != 0) {
            ReleaseSRWLockExclusive(&lock);
            zfree(n);
            zfree(r);
            return -1;
        }
        size_t i = hash(h) & (cap - 1);
        while (slots[i].h != NULL && slots[i].h != TOMB)
            i = (i + 1) & (cap - 1);
        if (slots[i].h == NULL)
            used++;
        s = &slots[i];
        s->h = h;
        InterlockedIncrement(&htab_count);
    }
    s->e.kind = kind;
    s->e.flags = flags;
    s->e.data = data;
    s->e.name = n;
    s->e.name_len = name ? name_len : 0;
    s->e.real = r;
    s->e.real_len = real ? real_len : 0;
    ReleaseSRWLockExclusive(&lock);
    return 0;
}

int htab_get(HANDLE h, htab_entry *out)
{
    if (htab_count == 0)
        return 0;
    int found = 0;
    AcquireSRWLockShared(&lock);
    slot *s = find(h);
    if (s) {
        *out = s->e;
        out->name = dup16(s->e.name, s->e.name_len);
        out->real = dup16(s->e.real, s->e.real_len);
        found = out->name && out->real;
        if (!found)
            clear(out);
    }
    ReleaseSRWLockShared(&lock);
    return found;
}

void htab_release(htab_entry *e)
{
    clear(e);
}

int htab_kind(HANDLE h)
{
    if (htab_count == 0)
        return HT_NONE;
    AcquireSRWLockShared(&lock);
    slot *s = find(h);
    int k = s ? s->e.kind : HT_NONE;
    ReleaseSRWLockShared(&lock);
    return k;
}

void htab_on_free(int kind, void (*fn)(void *data))
{
    if (kind >= 0 && kind < 8)
        free_fn[kind] = fn;
}

void *htab_del(HANDLE h)
{
    if (htab_count == 0)
        return NULL;
    void *data = NULL;
    int kind = HT_NONE;
    AcquireSRWLockExclusive(&lock);
    slot *s = find(h);
    if (s) {
        data = s->e.data;
        kind = s->e.kind;
        clear(&s->e);
        s->h = TOMB;
        InterlockedDecrement(&htab_count);
    }
    ReleaseSRWLockExclusive(&lock);
    if (data && kind > 0 && kind < 8 && free_fn[kind]) {
        free_fn[kind](data);
        data = NULL;
    }
    return data;
}

void htab_dup(HANDLE from, HANDLE to)
{
    htab_entry e;
    if (!htab_get(from, &e))
        return;
    /* The copy shares no data pointer: the namespace's state is per handle. */
    htab_put(to, e.kind, e.flags, NULL, e.name, e.name_len, e.real, e.real_len);
    htab_release(&e);
}
