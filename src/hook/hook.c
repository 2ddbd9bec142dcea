/* The hook engine: memory near targets, patching; see hook.h. */
#include "hook.h"
#include "hookplan.h"

#define SLOT_SIZE 192           /* relay (16) + trampoline (HOOK_TRAMP_MAX) */
#define BLOCK_SIZE 0x10000
#define MAX_BLOCKS 16
#define MAX_HOOKS 256
#define READ_BYTES 32

typedef struct near_block {
    BYTE *base;
    unsigned used;              /* slots handed out */
} near_block;

typedef struct hook_rec {
    void *target;
    BYTE saved[READ_BYTES];     /* the target's bytes before patching */
} hook_rec;

static near_block blocks[MAX_BLOCKS];
static unsigned nblocks;
static hook_rec hooks[MAX_HOOKS];
static unsigned nhooks;
static volatile LONG lock;

static void acquire(void)
{
    while (InterlockedCompareExchange(&lock, 1, 0) != 0)
        SwitchToThread();
}

static void release(void)
{
    InterlockedExchange(&lock, 0);
}

static int reachable(const BYTE *a, const BYTE *b, SIZE_T len)
{
    /* Every byte of [b, b+len) within a signed 32-bit displacement of a. */
    INT64 lo = (INT64)(b - a), hi = (INT64)(b + len - a);
    const INT64 lim = 0x7FFF0000ll;
    return lo > -lim && lo < lim && hi > -lim && hi < lim;
}

/* Finds a free 64 KB region within reach of target and reserves it. */
static BYTE *alloc_near(const BYTE *target)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    const ULONG_PTR gran = BLOCK_SIZE;
    ULONG_PTR lo = (ULONG_PTR)si.lpMinimumApplicationAddress;
    ULONG_PTR hi = (ULONG_PTR)si.lpMaximumApplicationAddress;
    ULONG_PTR t = (ULONG_PTR)target & ~(gran - 1);
    /* Search outwards from the target, both directions in turn. */
    for (ULONG_PTR d = gran; d < 0x7FF00000ull; d += gran) {
        for (int dir = 0; dir < 2; dir++) {
            ULONG_PTR a = dir ? t + d : t - d;
            if ((dir == 0 && t < d + lo) || a < lo || a + gran > hi)
                continue;
            MEMORY_BASIC_INFORMATION mbi;
            if (!VirtualQuery((void *)a, &mbi, sizeof mbi) || mbi.State != MEM_FREE ||
                (ULONG_PTR)mbi.BaseAddress + mbi.RegionSize < a + gran)
                continue;
            BYTE *r = VirtualAlloc((void *)a, gran, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READ);
            if (r && reachable(target, r, gran))
                return r;
            if (r)
                VirtualFree(r, 0, MEM_RELEASE);
        }
    }
    return NULL;
}

/* A free slot in a block within reach of target. */
static BYTE *slot_near(const BYTE *target)
{
    for (unsigned i = 0; i < nblocks; i++)
        if (blocks[i].used < BLOCK_SIZE / SLOT_SIZE && reachable(target, blocks[i].base, BLOCK_SIZE))
            return blocks[i].base + SLOT_SIZE * blocks[i].used;
    if (nblocks == MAX_BLOCKS)
        return NULL;
    BYTE *b = alloc_near(target);
    if (!b)
        return NULL;
    blocks[nblocks].base = b;
    blocks[nblocks].used = 0;
    nblocks++;
    return b;
}

static void slot_taken(BYTE *slot)
{
    for (unsigned i = 0; i < nblocks; i++)
        if (slot >= blocks[i].base && slot < blocks[i].base + BLOCK_SIZE)
            blocks[i].used++;
}

static void copy(BYTE *dst, const BYTE *src, SIZE_T n)
{
    for (SIZE_T i = 0; i < n; i++)
        dst[i] = src[i];
}

/* Readable bytes at p, up to want (stops at the end of committed memory). */
static SIZE_T readable(const BYTE *p, SIZE_T want)
{
    MEMORY_BASIC_INFORMATION mbi;
    if (!VirtualQuery(p, &mbi, sizeof mbi) || mbi.State != MEM_COMMIT ||
        (mbi.Protect & (PAGE_NOACCESS | PAGE_GUARD)))
        return 0;
    SIZE_T left = (SIZE_T)((BYTE *)mbi.BaseAddress + mbi.RegionSize - p);
    return left < want ? left : want;
}

DWORD hook_install(void *target, void *detour, void **original, const char **why)
{
    BYTE *t = target;
    if (!t || !detour || !original) {
        *why = "no target or detour";
        return ERROR_INVALID_PARAMETER;
    }
    acquire();
    DWORD err = ERROR_SUCCESS;
    for (unsigned i = 0; i < nhooks; i++)
        if (hooks[i].target == target) {
            *why = "the function is already hooked";
            err = ERROR_ALREADY_EXISTS;
            goto out;
        }
    if (nhooks == MAX_HOOKS) {
        *why = "too many hooks";
        err = ERROR_TOO_MANY_NAMES;
        goto out;
    }
    SIZE_T avail = readable(t, READ_BYTES);
    BYTE code[READ_BYTES];
    copy(code, t, avail);

    BYTE *slot = slot_near(t);
    if (!slot) {
        *why = "no free memory within 2 GB of the function";
        err = ERROR_NOT_ENOUGH_MEMORY;
        goto out;
    }
    BYTE *relay = slot, *tramp = slot + 16;
    BYTE tbytes[HOOK_TRAMP_MAX];
    hook_plan plan;
    if (hook_plan_make(code, avail, (uint64_t)t, (uint64_t)tramp, (uint64_t)relay,
                       tbytes, sizeof tbytes, &plan, why) != 0) {
        err = ERROR_NOT_SUPPORTED;
        goto out;
    }
    /* Fill the slot (relay + trampoline) while nothing points at it. */
    DWORD prot;
    if (!VirtualProtect(slot, SLOT_SIZE, PAGE_EXECUTE_READWRITE, &prot)) {
        *why = "cannot make the trampoline memory writable";
        err = GetLastError();
        goto out;
    }
    hook_write_absjmp(relay, (uint64_t)detour);
    copy(tramp, tbytes, plan.tramp_len);
    VirtualProtect(slot, SLOT_SIZE, PAGE_EXECUTE_READ, &prot);
    FlushInstructionCache(GetCurrentProcess(), slot, SLOT_SIZE);
    slot_taken(slot);

    /* Publish the trampoline before the patch can send a caller to it. */
    *original = tramp;
    MemoryBarrier();
    if (!VirtualProtect(t, plan.patch_len, PAGE_EXECUTE_READWRITE, &prot)) {
        *why = "cannot make the function writable";
        err = GetLastError();
        *original = NULL;
        goto out;
    }
    copy(t, plan.patch, plan.patch_len);
    VirtualProtect(t, plan.patch_len, prot, &prot);
    FlushInstructionCache(GetCurrentProcess(), t, plan.patch_len);

    hooks[nhooks].target = target;
    copy(hooks[nhooks].saved, code, avail);
    nhooks++;
out:
    release();
    return err;
}

DWORD hook_export(const wchar_t *module, const char *name, void *detour, void **original,
                  const char **why)
{
    HMODULE m = GetModuleHandleW(module);
    void *fn = m ? (void *)GetProcAddress(m, name) : NULL;
    if (!fn) {
        *why = "the module does not export that function";
        return ERROR_PROC_NOT_FOUND;
    }
    return hook_install(fn, detour, original, why);
}

int64_t hook_syscall_number_of(void *fn)
{
    const BYTE *code = fn;
    acquire();
    for (unsigned i = 0; i < nhooks; i++)
        if (hooks[i].target == fn)
            code = hooks[i].saved;
    release();
    SIZE_T avail = code == fn ? readable(code, 8) : 8;
    return hook_syscall_number(code, avail);
}

unsigned hook_count(void)
{
    return nhooks;
}
