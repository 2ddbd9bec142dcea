/* Unit tests for hook planning (src/core/hookplan.c).
 *
 * The corpus is real prologue bytes: Wine 8 ntdll/kernelbase exports
 * (copied from x86_64-w64-mingw32-objdump output of
 * /usr/lib/x86_64-linux-gnu/wine/x86_64-windows/{ntdll,kernelbase}.dll,
 * Wine 8.0), Windows 7/10 syscall stubs and typical MSVC prologues.
 * Every accepted plan is checked by decoding the trampoline back: each
 * relocated instruction must reach the same absolute address as the
 * original, and the final jmp must return right behind the stolen bytes. */
#include "hookplan.h"
#include "x64dec.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

/* ---- corpus: Wine 8.0 ntdll.dll ---- */

/* NtCreateFile @ 0x17000d3b0: the Wine 8 syscall stub, number 0x1d. */
static const uint8_t wine_NtCreateFile[32] = {
    0x4c, 0x8b, 0xd1, 0xb8, 0x1d, 0x00, 0x00, 0x00, 0xf6, 0x04, 0x25, 0x08,
    0x03, 0xfe, 0x7f, 0x01, 0x75, 0x03, 0x0f, 0x05, 0xc3, 0xeb, 0x01, 0xc3,
    0xff, 0x14, 0x25, 0x00, 0x10, 0xfe, 0x7f, 0xc3,
};
/* NtClose @ 0x17000d2b0, number 0x15. */
static const uint8_t wine_NtClose[32] = {
    0x4c, 0x8b, 0xd1, 0xb8, 0x15, 0x00, 0x00, 0x00, 0xf6, 0x04, 0x25, 0x08,
    0x03, 0xfe, 0x7f, 0x01, 0x75, 0x03, 0x0f, 0x05, 0xc3, 0xeb, 0x01, 0xc3,
    0xff, 0x14, 0x25, 0x00, 0x10, 0xfe, 0x7f, 0xc3,
};
/* NtCreateUserProcess @ 0x17000d5f0, number 0x2f. */
static const uint8_t wine_NtCreateUserProcess[32] = {
    0x4c, 0x8b, 0xd1, 0xb8, 0x2f, 0x00, 0x00, 0x00, 0xf6, 0x04, 0x25, 0x08,
    0x03, 0xfe, 0x7f, 0x01, 0x75, 0x03, 0x0f, 0x05, 0xc3, 0xeb, 0x01, 0xc3,
    0xff, 0x14, 0x25, 0x00, 0x10, 0xfe, 0x7f, 0xc3,
};
/* LdrLoadDll @ 0x170034a30: hot-patch lea, pushes, lea r12,[rip+x]. */
static const uint8_t wine_LdrLoadDll[32] = {
    0x48, 0x8d, 0xa4, 0x24, 0x00, 0x00, 0x00, 0x00, 0x41, 0x55, 0x41, 0x54,
    0x55, 0x57, 0x56, 0x53, 0x48, 0x83, 0xec, 0x48, 0x4c, 0x8d, 0x25, 0xd5,
    0x4b, 0x03, 0x00, 0x48, 0x89, 0xcf, 0x49, 0x8b,
};
/* RtlMapGenericMask @ 0x17004c7e0: mov; test; jns rel8 at offset 4. */
static const uint8_t wine_RtlMapGenericMask[32] = {
    0x8b, 0x01, 0x85, 0xc0, 0x79, 0x04, 0x0b, 0x02, 0x89, 0x01, 0xa9, 0x00,
    0x00, 0x00, 0x40, 0x74, 0x05, 0x0b, 0x42, 0x04, 0x89, 0x01, 0xa9, 0x00,
    0x00, 0x00, 0x20, 0x74, 0x05, 0x0b, 0x42, 0x08,
};
/* RtlReleaseRelativeName @ 0x170042160: a lone ret, then a long nop. */
static const uint8_t wine_RtlReleaseRelativeName[16] = {
    0xc3, 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0f, 0x1f, 0x40, 0x00,
};
/* MD5Init @ 0x1700229b0: two RIP-relative loads in a row. */
static const uint8_t wine_MD5Init[32] = {
    0x48, 0x8b, 0x05, 0x41, 0xbb, 0x04, 0x00, 0xf3, 0x0f, 0x6f, 0x05, 0x51,
    0xbb, 0x04, 0x00, 0x48, 0x89, 0x41, 0x10, 0x0f, 0x11, 0x01, 0xc3, 0x66,
    0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* ---- corpus: Wine 8.0 kernelbase.dll ---- */

/* CreateProcessInternalW @ 0x7b05c3a0. */
static const uint8_t wine_CreateProcessInternalW[32] = {
    0x48, 0x8d, 0xa4, 0x24, 0x00, 0x00, 0x00, 0x00, 0x41, 0x57, 0x41, 0x56,
    0x41, 0x55, 0x41, 0x54, 0x55, 0x57, 0x56, 0x53, 0x48, 0x81, 0xec, 0x98,
    0x05, 0x00, 0x00, 0x4c, 0x8d, 0x25, 0xae, 0xb9,
};
/* VirtualAlloc @ 0x7b03ef50. */
static const uint8_t wine_VirtualAlloc[32] = {
    0x48, 0x8d, 0xa4, 0x24, 0x00, 0x00, 0x00, 0x00, 0x48, 0x83, 0xec, 0x48,
    0x48, 0x89, 0x54, 0x24, 0x30, 0x48, 0x8d, 0x54, 0x24, 0x38, 0x48, 0x89,
    0x4c, 0x24, 0x38, 0x48, 0xc7, 0xc1, 0xff, 0xff,
};
/* DebugBreak @ 0x7b0139d0: jmp rel32 to DbgBreakPoint (0x7b083ec0), as an
 * already-hooked function looks. */
static const uint8_t wine_DebugBreak[16] = {
    0xe9, 0xeb, 0x04, 0x07, 0x00, 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00,
    0x00, 0x00, 0x00, 0x00,
};
/* DbgBreakPoint @ 0x7b083ec0: import thunk jmp [rip+x], nop padding. */
static const uint8_t wine_DbgBreakPoint[16] = {
    0xff, 0x25, 0x62, 0xfe, 0x04, 0x00, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
    0x90, 0x90, 0x90, 0x90,
};
/* StrRChrW @ 0x7b071ef0: test rcx,rcx; je rel8 (+0x5b). */
static const uint8_t wine_StrRChrW[32] = {
    0x48, 0x85, 0xc9, 0x74, 0x5b, 0x48, 0x85, 0xd2, 0x74, 0x26, 0x31, 0xc0,
    0x48, 0x39, 0xd1, 0x73, 0x18, 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x66, 0x44, 0x3b, 0x01, 0x48, 0x0f, 0x44, 0xc1,
};
/* StrCmpNCW @ 0x7b070cd0: sub rsp,28; call rel32 StrCmpNW (0x7b070b90). */
static const uint8_t wine_StrCmpNCW[16] = {
    0x48, 0x83, 0xec, 0x28, 0xe8, 0xb7, 0xfe, 0xff, 0xff, 0x48, 0x83, 0xc4,
    0x28, 0xc3, 0x66, 0x90,
};
/* GetCommandLineW @ 0x7b05b700: mov rax,[rip+x]; ret. */
static const uint8_t wine_GetCommandLineW[32] = {
    0x48, 0x8b, 0x05, 0xa1, 0x1f, 0x05, 0x00, 0xc3, 0x0f, 0x1f, 0x84, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
    0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
};

/* ---- corpus: Windows stubs ---- */

/* Windows 10/11 NtCreateFile (number 0x55). */
static const uint8_t win10_NtCreateFile[24] = {
    0x4c, 0x8b, 0xd1, 0xb8, 0x55, 0x00, 0x00, 0x00, 0xf6, 0x04, 0x25, 0x08,
    0x03, 0xfe, 0x7f, 0x01, 0x75, 0x03, 0x0f, 0x05, 0xc3, 0xcd, 0x2e, 0xc3,
};
/* Windows 7 NtCreateFile (number 0x52). */
static const uint8_t win7_NtCreateFile[16] = {
    0x4c, 0x8b, 0xd1, 0xb8, 0x52, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3, 0x0f,
    0x1f, 0x44, 0x00, 0x00,
};

/* ---- corpus: MSVC-style prologues ---- */

static const uint8_t msvc_mov_rbx[] = { /* mov [rsp+8],rbx; push rdi; sub rsp,20 */
    0x48, 0x89, 0x5c, 0x24, 0x08, 0x57, 0x48, 0x83, 0xec, 0x20, 0xcc, 0xcc,
};
static const uint8_t msvc_push_rbx[] = { /* rex push rbx; sub rsp,20 */
    0x40, 0x53, 0x48, 0x83, 0xec, 0x20, 0x8b, 0xd9, 0xcc, 0xcc,
};
static const uint8_t msvc_mov_rax_rsp[] = { /* mov rax,rsp; mov [rax+8],rbx */
    0x48, 0x8b, 0xc4, 0x48, 0x89, 0x58, 0x08, 0x48, 0x89, 0x68, 0x10,
};
static const uint8_t msvc_mov_r11_rsp[] = { /* mov r11,rsp; mov [r11+8],rbx */
    0x4c, 0x8b, 0xdc, 0x49, 0x89, 0x5b, 0x08, 0x49, 0x89, 0x73, 0x10,
};
static const uint8_t msvc_sub_rsp[] = { /* sub rsp,28; mov rax,[rip+x]; call rel32 */
    0x48, 0x83, 0xec, 0x28, 0x48, 0x8b, 0x05, 0x10, 0x20, 0x30, 0x00,
    0xe8, 0x00, 0x01, 0x00, 0x00,
};
static const uint8_t msvc_push_ff[] = { /* push rbx (ff /6); sub rsp,20 */
    0xff, 0xf3, 0x48, 0x83, 0xec, 0x20, 0x48, 0x8b, 0xd9,
};
static const uint8_t msvc_mov_rip_call[] = { /* mov rax,[rip-x]; call [rip+y] */
    0x48, 0x8b, 0x05, 0x00, 0xf0, 0xff, 0xff, 0xff, 0x15, 0x10, 0x00, 0x00,
    0x00,
};

/* ---- addresses ---- */

#define CODE_ADDR 0x00007ffb12340000ull
#define TRAMP_ADDR (CODE_ADDR - 0x10000000ull) /* 256 MB below */
#define RELAY_ADDR (CODE_ADDR + 0x08000000ull) /* 128 MB above */

/* Little-endian reads from generated code. */
static int32_t rd32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)(uint32_t)rd32(p) | (uint64_t)(uint32_t)rd32(p + 4) << 32;
}

/* Checks one accepted plan against the original code. */
static void verify_plan(const uint8_t *code, size_t avail, uint64_t code_addr,
                        uint64_t tramp_addr, uint64_t relay_addr,
                        const uint8_t *tramp, const hook_plan *p)
{
    size_t off = 0, t = 0;
    int32_t rel;

    CHECK(p->stolen >= HOOK_PATCH_MIN && p->stolen <= sizeof p->patch);
    CHECK(p->stolen <= avail);
    CHECK_EQ_INT(p->patch_len, p->stolen);
    CHECK(p->tramp_len <= HOOK_TRAMP_MAX);

    /* patch: E9 rel32 to the relay, then CC */
    CHECK_EQ_INT(p->patch[0], 0xE9);
    rel = rd32(p->patch + 1);
    CHECK_EQ_U64(code_addr + 5 + (int64_t)rel, relay_addr);
    for (size_t k = HOOK_PATCH_MIN; k < p->stolen; k++)
        CHECK_EQ_INT(p->patch[k], 0xCC);

    /* walk original and trampoline in step */
    while (off < p->stolen) {
        x64_insn o, n;
        uint64_t o_next, o_dest, n_next;
        int olen = x64_decode(code + off, avail - off, &o);
        CHECK(olen > 0);
        if (olen <= 0 || t >= p->tramp_len)
            return;
        o_next = code_addr + off + (size_t)olen;
        if (o.flags & X64_F_REL) {
            o_dest = o_next + (int64_t)o.rel;
            if (o.branch == X64_BR_CALL) {
                /* call [rip+2]; jmp +8; dq dest */
                static const uint8_t seq[8] = {0xFF, 0x15, 0x02, 0, 0, 0, 0xEB, 0x08};
                uint64_t dq;
                CHECK_MEM(tramp + t, seq, sizeof seq);
                dq = rd64(tramp + t + 8);
                CHECK_EQ_U64(dq, o_dest);
                t += 16;
            } else if (o.branch == X64_BR_JCC) {
                /* inverted jcc rel8 skipping an absolute jmp */
                uint64_t dq;
                int nlen = x64_decode(tramp + t, p->tramp_len - t, &n);
                CHECK_EQ_INT(nlen, 2);
                CHECK_EQ_INT(n.branch, X64_BR_JCC);
                CHECK_EQ_INT(n.cond, o.cond ^ 1);
                CHECK_EQ_INT(n.rel, 14);
                CHECK_EQ_INT(tramp[t + 2], 0xFF);
                CHECK_EQ_INT(tramp[t + 3], 0x25);
                rel = rd32(tramp + t + 4);
                CHECK_EQ_INT(rel, 0);
                dq = rd64(tramp + t + 8);
                CHECK_EQ_U64(dq, o_dest);
                t += 16;
            } else {
                uint64_t dq;
                CHECK_EQ_INT(o.branch, X64_BR_JMP);
                CHECK_EQ_INT(tramp[t], 0xFF);
                CHECK_EQ_INT(tramp[t + 1], 0x25);
                rel = rd32(tramp + t + 2);
                CHECK_EQ_INT(rel, 0);
                dq = rd64(tramp + t + 6);
                CHECK_EQ_U64(dq, o_dest);
                t += 14;
            }
        } else {
            int nlen = x64_decode(tramp + t, p->tramp_len - t, &n);
            CHECK_EQ_INT(nlen, olen);
            CHECK_EQ_INT(n.flags, o.flags);
            if (nlen != olen)
                return;
            n_next = tramp_addr + t + (size_t)nlen;
            if (o.flags & X64_F_RIPREL) {
                /* same absolute operand; all other bytes identical */
                CHECK_EQ_U64(n_next + (int64_t)n.disp, o_next + (int64_t)o.disp);
                CHECK_MEM(tramp + t, code + off, o.disp_off);
                CHECK_MEM(tramp + t + o.disp_off + 4, code + off + o.disp_off + 4,
                          (size_t)olen - o.disp_off - 4);
            } else {
                CHECK_MEM(tramp + t, code + off, (size_t)olen);
            }
            t += (size_t)olen;
        }
        off += (size_t)olen;
        if ((o.flags & X64_F_TERM) && off < p->stolen) {
            /* the rest of the stolen bytes is int3/nop padding */
            for (; off < p->stolen; off++)
                CHECK(code[off] == 0xCC || code[off] == 0x90);
        }
    }
    CHECK_EQ_INT(off, p->stolen);

    /* final jmp back behind the stolen bytes */
    CHECK_EQ_INT(p->tramp_len, t + 14);
    if (p->tramp_len == t + 14) {
        uint64_t dq;
        CHECK_EQ_INT(tramp[t], 0xFF);
        CHECK_EQ_INT(tramp[t + 1], 0x25);
        rel = rd32(tramp + t + 2);
        CHECK_EQ_INT(rel, 0);
        dq = rd64(tramp + t + 6);
        CHECK_EQ_U64(dq, code_addr + p->stolen);
    }
}

/* Plans a hook at the standard addresses and expects success. */
static int plan_ok(const char *name, const uint8_t *code, size_t avail,
                   size_t want_stolen, int64_t want_sysno,
                   uint8_t *tramp, hook_plan *p)
{
    const char *why = "unset";
    int rc;
    unit_ctx = name;
    memset(tramp, 0xEE, HOOK_TRAMP_MAX);
    rc = hook_plan_make(code, avail, CODE_ADDR, TRAMP_ADDR, RELAY_ADDR,
                        tramp, HOOK_TRAMP_MAX, p, &why);
    CHECK_EQ_INT(rc, 0);
    if (rc != 0) {
        printf("    refused: %s\n", why ? why : "(null)");
        return 0;
    }
    CHECK(why == NULL);
    CHECK_EQ_INT(p->stolen, want_stolen);
    CHECK_EQ_INT(p->syscall_number, want_sysno);
    verify_plan(code, avail, CODE_ADDR, TRAMP_ADDR, RELAY_ADDR, tramp, p);
    return 1;
}

/* Plans a hook with the given addresses and expects a refusal. */
static void plan_refused_at(const char *name, const uint8_t *code, size_t avail,
                            uint64_t code_addr, uint64_t tramp_addr,
                            uint64_t relay_addr, size_t cap)
{
    uint8_t tramp[HOOK_TRAMP_MAX], untouched[HOOK_TRAMP_MAX];
    hook_plan p;
    const char *why = NULL;
    int rc;
    unit_ctx = name;
    memset(tramp, 0xEE, sizeof tramp);
    memset(untouched, 0xEE, sizeof untouched);
    rc = hook_plan_make(code, avail, code_addr, tramp_addr, relay_addr, tramp,
                        cap, &p, &why);
    CHECK_EQ_INT(rc, -1);
    CHECK_STR_NONEMPTY(why);
    /* a refusal writes nothing to the trampoline */
    CHECK_MEM(tramp, untouched, sizeof tramp);
}

static void plan_refused(const char *name, const uint8_t *code, size_t avail)
{
    plan_refused_at(name, code, avail, CODE_ADDR, TRAMP_ADDR, RELAY_ADDR,
                    HOOK_TRAMP_MAX);
}

static void test_syscall_stubs(void)
{
    uint8_t tramp[HOOK_TRAMP_MAX];
    hook_plan p;
    static const uint8_t want_tramp[22] = {
        0x4c, 0x8b, 0xd1, 0xb8, 0x1d, 0x00, 0x00, 0x00, /* stolen, as is */
        0xFF, 0x25, 0, 0, 0, 0,                         /* jmp [rip+0] */
        0x08, 0x00, 0x34, 0x12, 0xfb, 0x7f, 0x00, 0x00, /* CODE_ADDR + 8 */
    };
    static const uint8_t want_patch[8] = {
        /* relay - (code + 5) = 0x08000000 - 5 */
        0xE9, 0xfb, 0xff, 0xff, 0x07, 0xCC, 0xCC, 0xCC,
    };

    if (plan_ok("wine NtCreateFile", wine_NtCreateFile, 32, 8, 0x1d, tramp, &p)) {
        CHECK_EQ_INT(p.tramp_len, sizeof want_tramp);
        CHECK_MEM(tramp, want_tramp, sizeof want_tramp);
        CHECK_MEM(p.patch, want_patch, sizeof want_patch);
    }
    plan_ok("wine NtClose", wine_NtClose, 32, 8, 0x15, tramp, &p);
    plan_ok("wine NtCreateUserProcess", wine_NtCreateUserProcess, 32, 8, 0x2f,
            tramp, &p);
    plan_ok("win10 NtCreateFile", win10_NtCreateFile, sizeof win10_NtCreateFile,
            8, 0x55, tramp, &p);
    plan_ok("win7 NtCreateFile", win7_NtCreateFile, sizeof win7_NtCreateFile,
            8, 0x52, tramp, &p);

    unit_ctx = "hook_syscall_number";
    CHECK_EQ_INT(hook_syscall_number(wine_NtCreateFile, 32), 0x1d);
    CHECK_EQ_INT(hook_syscall_number(wine_NtCreateFile, 8), 0x1d);
    CHECK_EQ_INT(hook_syscall_number(wine_NtCreateFile, 7), -1);
    CHECK_EQ_INT(hook_syscall_number(NULL, 32), -1);
    CHECK_EQ_INT(hook_syscall_number(wine_LdrLoadDll, 32), -1);
    CHECK_EQ_INT(hook_syscall_number(msvc_mov_r11_rsp, sizeof msvc_mov_r11_rsp), -1);
    {
        static const uint8_t big[8] = {0x4c, 0x8b, 0xd1, 0xb8, 0xff, 0xff, 0xff, 0xff};
        static const uint8_t wide[8] = {0x4c, 0x8b, 0xd1, 0xb8, 0x34, 0x12, 0x01, 0x00};
        static const uint8_t other[8] = {0x4c, 0x8b, 0xd1, 0xb9, 0x15, 0x00, 0x00, 0x00};
        CHECK_EQ_INT(hook_syscall_number(big, 8), 0xffffffffll);
        CHECK_EQ_INT(hook_syscall_number(wide, 8), 0x11234);
        CHECK_EQ_INT(hook_syscall_number(other, 8), -1);
    }
}

static void test_prologues(void)
{
    uint8_t tramp[HOOK_TRAMP_MAX];
    hook_plan p;

    /* Wine's 8-byte hot-patch lea is stolen whole */
    plan_ok("wine LdrLoadDll", wine_LdrLoadDll, 32, 8, -1, tramp, &p);
    plan_ok("wine CreateProcessInternalW", wine_CreateProcessInternalW, 32, 8,
            -1, tramp, &p);
    plan_ok("wine VirtualAlloc", wine_VirtualAlloc, 32, 8, -1, tramp, &p);

    plan_ok("msvc mov [rsp+8],rbx", msvc_mov_rbx, sizeof msvc_mov_rbx, 5, -1,
            tramp, &p);
    CHECK_MEM(p.patch, "\xE9", 1);
    plan_ok("msvc push rbx; sub rsp", msvc_push_rbx, sizeof msvc_push_rbx, 6,
            -1, tramp, &p);
    plan_ok("msvc mov rax,rsp", msvc_mov_rax_rsp, sizeof msvc_mov_rax_rsp, 7,
            -1, tramp, &p);
    plan_ok("msvc mov r11,rsp", msvc_mov_r11_rsp, sizeof msvc_mov_r11_rsp, 7,
            -1, tramp, &p);
    plan_ok("msvc push rbx (ff f3)", msvc_push_ff, sizeof msvc_push_ff, 6, -1,
            tramp, &p);

    /* sub rsp,28 then mov rax,[rip+x]: 11 bytes, disp rewritten */
    if (plan_ok("msvc sub rsp; mov rax,[rip+x]", msvc_sub_rsp,
                sizeof msvc_sub_rsp, 11, -1, tramp, &p)) {
        /* target = CODE+11+0x302010; new disp = target - (TRAMP+11) */
        int32_t disp;
        disp = rd32(tramp + 7);
        CHECK_EQ_INT(disp, 0x302010 + 0x10000000);
        CHECK_MEM(tramp, msvc_sub_rsp, 7);
    }
    /* mov rax,[rip-x]; call [rip+y]: only the first is stolen (7 >= 5) */
    plan_ok("msvc mov rax,[rip-x]; call [rip+y]", msvc_mov_rip_call,
            sizeof msvc_mov_rip_call, 7, -1, tramp, &p);
    plan_ok("wine GetCommandLineW", wine_GetCommandLineW, 32, 7, -1, tramp, &p);
    plan_ok("wine MD5Init", wine_MD5Init, 32, 7, -1, tramp, &p);
}

static void test_branches(void)
{
    uint8_t tramp[HOOK_TRAMP_MAX];
    hook_plan p;

    /* already hooked: jmp rel32 becomes an absolute jmp */
    if (plan_ok("wine DebugBreak (e9 rel32)", wine_DebugBreak,
                sizeof wine_DebugBreak, 5, -1, tramp, &p)) {
        static const uint8_t want[28] = {
            0xFF, 0x25, 0, 0, 0, 0,
            0xf0, 0x04, 0x3b, 0x12, 0xfb, 0x7f, 0x00, 0x00, /* CODE+0x704f0 */
            0xFF, 0x25, 0, 0, 0, 0,
            0x05, 0x00, 0x34, 0x12, 0xfb, 0x7f, 0x00, 0x00, /* CODE+5 */
        };
        CHECK_EQ_INT(p.tramp_len, sizeof want);
        CHECK_MEM(tramp, want, sizeof want);
    }
    /* import thunk: jmp [rip+x] keeps its memory operand */
    plan_ok("wine DbgBreakPoint (ff 25)", wine_DbgBreakPoint,
            sizeof wine_DbgBreakPoint, 6, -1, tramp, &p);
    /* je rel8 at offset 3 */
    if (plan_ok("wine StrRChrW (je rel8)", wine_StrRChrW, 32, 5, -1, tramp,
                &p)) {
        static const uint8_t want[19] = {
            0x48, 0x85, 0xc9,                               /* test rcx,rcx */
            0x75, 0x0e,                                     /* jne +14 */
            0xFF, 0x25, 0, 0, 0, 0,
            0x60, 0x00, 0x34, 0x12, 0xfb, 0x7f, 0x00, 0x00, /* CODE+0x60 */
        };
        CHECK_EQ_INT(p.tramp_len, sizeof want + 14);
        CHECK_MEM(tramp, want, sizeof want);
    }
    /* jns rel8 at offset 4, target just behind the stolen range */
    plan_ok("wine RtlMapGenericMask (jns rel8)", wine_RtlMapGenericMask, 32, 6,
            -1, tramp, &p);
    /* call rel32 at offset 4 */
    if (plan_ok("wine StrCmpNCW (call rel32)", wine_StrCmpNCW,
                sizeof wine_StrCmpNCW, 9, -1, tramp, &p)) {
        static const uint8_t want[20] = {
            0x48, 0x83, 0xec, 0x28,
            0xFF, 0x15, 0x02, 0, 0, 0, 0xEB, 0x08,
            0xc0, 0xfe, 0x33, 0x12, 0xfb, 0x7f, 0x00, 0x00, /* CODE-0x140 */
        };
        CHECK_EQ_INT(p.tramp_len, sizeof want + 14);
        CHECK_MEM(tramp, want, sizeof want);
    }
    {
        /* test rcx,rcx; je rel32 */
        static const uint8_t jcc32[] = {0x48, 0x85, 0xc9, 0x0f, 0x84, 0x10,
                                        0x01, 0x00, 0x00, 0xc3};
        plan_ok("je rel32", jcc32, sizeof jcc32, 9, -1, tramp, &p);
    }
    {
        /* call rel32 first, backwards */
        static const uint8_t call0[] = {0xe8, 0x00, 0xf0, 0xff, 0xff, 0x48, 0x8b, 0xc8};
        plan_ok("call rel32 at 0", call0, sizeof call0, 5, -1, tramp, &p);
    }
    {
        /* jmp rel8 followed by int3 padding: accepted */
        static const uint8_t jmp8[] = {0xeb, 0x10, 0xcc, 0xcc, 0xcc, 0x48};
        plan_ok("jmp rel8 + cc padding", jmp8, sizeof jmp8, 5, -1, tramp, &p);
    }
    {
        /* a branch to exactly the end of the stolen range is fine */
        static const uint8_t to_end[] = {0x74, 0x03, 0x90, 0x90, 0x90, 0xc3};
        plan_ok("je to stolen end", to_end, sizeof to_end, 5, -1, tramp, &p);
    }
}

static void test_short_functions(void)
{
    uint8_t tramp[HOOK_TRAMP_MAX];
    hook_plan p;
    static const uint8_t xor_ret_cc[] = {0x31, 0xc0, 0xc3, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc};
    static const uint8_t xor_ret_nop[] = {0x31, 0xc0, 0xc3, 0x90, 0xcc, 0x48, 0x89};
    static const uint8_t xor_ret_code[] = {0x31, 0xc0, 0xc3, 0x48, 0x89, 0x5c, 0x24, 0x08};
    static const uint8_t xor_ret_cut[] = {0x31, 0xc0, 0xc3, 0xcc};

    /* padding is stolen but not copied */
    if (plan_ok("xor eax,eax; ret + cc", xor_ret_cc, sizeof xor_ret_cc, 5, -1,
                tramp, &p)) {
        static const uint8_t want[3] = {0x31, 0xc0, 0xc3};
        CHECK_EQ_INT(p.tramp_len, 3 + 14);
        CHECK_MEM(tramp, want, 3);
    }
    plan_ok("xor eax,eax; ret + nop/cc", xor_ret_nop, sizeof xor_ret_nop, 5,
            -1, tramp, &p);
    plan_refused("xor eax,eax; ret + code", xor_ret_code, sizeof xor_ret_code);
    plan_refused("xor eax,eax; ret + cut padding", xor_ret_cut, sizeof xor_ret_cut);
    plan_refused("wine RtlReleaseRelativeName (ret + long nop)",
                 wine_RtlReleaseRelativeName, sizeof wine_RtlReleaseRelativeName);
    {
        static const uint8_t jmp8_code[] = {0xeb, 0x10, 0x48, 0x89, 0xc8, 0xc3};
        plan_refused("jmp rel8 + code", jmp8_code, sizeof jmp8_code);
    }
}

static void test_refusals(void)
{
    static const uint8_t loop_fwd[] = {0x90, 0xe2, 0x10, 0x90, 0x90, 0x90};
    static const uint8_t jrcxz[] = {0xe3, 0x05, 0x48, 0x89, 0xc8, 0xc3};
    static const uint8_t back_into[] = {0x90, 0x90, 0x74, 0xfd, 0x90, 0x90};
    static const uint8_t fwd_into[] = {0x74, 0x01, 0x90, 0x48, 0x89, 0xc8, 0xc3};
    static const uint8_t to_start[] = {0x90, 0x90, 0x90, 0xeb, 0xfb, 0xcc};
    static const uint8_t to_last[] = {0x74, 0x02, 0x90, 0x90, 0x90, 0xc3};
    static const uint8_t invalid[] = {0x06, 0x90, 0x90, 0x90, 0x90, 0x90};
    static const uint8_t invalid2[] = {0x48, 0x89, 0xc8, 0x0f, 0x0a, 0x90};
    static const uint8_t too_long[] = {
        0x90, 0x90, 0x90, 0x90, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x2e,
        0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc3,
    };
    const char *why = "unset";
    hook_plan p;
    uint8_t tramp[HOOK_TRAMP_MAX];

    plan_refused("loop in prologue", loop_fwd, sizeof loop_fwd);
    plan_refused("jrcxz in prologue", jrcxz, sizeof jrcxz);
    plan_refused("branch back into stolen range", back_into, sizeof back_into);
    plan_refused("branch forward into stolen range", fwd_into, sizeof fwd_into);
    plan_refused("jmp back to the start", to_start, sizeof to_start);
    plan_refused("branch to the last stolen byte", to_last, sizeof to_last);
    plan_refused("undecodable first instruction", invalid, sizeof invalid);
    plan_refused("undecodable second instruction", invalid2, sizeof invalid2);
    plan_refused("stolen bytes over 16", too_long, sizeof too_long);

    /* avail too short */
    plan_refused("avail 4", wine_NtCreateFile, 4);
    plan_refused("avail 0", wine_NtCreateFile, 0);
    plan_refused("avail 6 cuts mov eax,imm32", wine_NtCreateFile, 6);
    plan_refused("avail 7 cuts mov eax,imm32", wine_NtCreateFile, 7);
    plan_refused("avail 6 cuts the hot-patch lea", wine_LdrLoadDll, 6);
    {
        /* the messages tell a cut buffer from bad bytes */
        const char *why_cut = NULL, *why_bad = NULL;
        hook_plan_make(wine_NtCreateFile, 6, CODE_ADDR, TRAMP_ADDR, RELAY_ADDR,
                       tramp, sizeof tramp, &p, &why_cut);
        hook_plan_make(invalid, sizeof invalid, CODE_ADDR, TRAMP_ADDR,
                       RELAY_ADDR, tramp, sizeof tramp, &p, &why_bad);
        unit_ctx = "refusal messages differ";
        CHECK(why_cut && why_bad && strcmp(why_cut, why_bad) != 0);
    }

    /* RIP-relative operand out of reach of the trampoline:
     * GetCommandLineW reads CODE+7+0x51fa1. */
    {
        uint64_t abs = CODE_ADDR + 7 + 0x51fa1;
        uint64_t t_edge = abs - 7 - (uint64_t)INT32_MAX; /* disp = INT32_MAX */
        plan_refused_at("rip-rel target > 2 GB from trampoline",
                        wine_GetCommandLineW, 32, CODE_ADDR,
                        CODE_ADDR + 0x90000000ull, RELAY_ADDR, HOOK_TRAMP_MAX);
        plan_refused_at("rip-rel target 2 GB + 1 below trampoline",
                        wine_GetCommandLineW, 32, CODE_ADDR, t_edge - 1,
                        RELAY_ADDR, HOOK_TRAMP_MAX);
        unit_ctx = "rip-rel target exactly INT32_MAX away";
        CHECK_EQ_INT(hook_plan_make(wine_GetCommandLineW, 32, CODE_ADDR, t_edge,
                                    RELAY_ADDR, tramp, sizeof tramp, &p, &why), 0);
        verify_plan(wine_GetCommandLineW, 32, CODE_ADDR, t_edge, RELAY_ADDR,
                    tramp, &p);
        /* the trampoline can be anywhere when nothing is RIP-relative */
        unit_ctx = "far trampoline, no rip-rel";
        CHECK_EQ_INT(hook_plan_make(wine_NtCreateFile, 32, CODE_ADDR,
                                    CODE_ADDR + 0x200000000ull, RELAY_ADDR,
                                    tramp, sizeof tramp, &p, &why), 0);
        verify_plan(wine_NtCreateFile, 32, CODE_ADDR, CODE_ADDR + 0x200000000ull,
                    RELAY_ADDR, tramp, &p);
        unit_ctx = "far trampoline, jcc and call";
        CHECK_EQ_INT(hook_plan_make(wine_StrCmpNCW, sizeof wine_StrCmpNCW,
                                    CODE_ADDR, 0x10000ull, RELAY_ADDR, tramp,
                                    sizeof tramp, &p, &why), 0);
        verify_plan(wine_StrCmpNCW, sizeof wine_StrCmpNCW, CODE_ADDR, 0x10000ull,
                    RELAY_ADDR, tramp, &p);
    }

    /* relay reach: rel32 from CODE+5 */
    {
        uint64_t r_max = CODE_ADDR + 5 + (uint64_t)INT32_MAX;
        uint64_t r_min = CODE_ADDR + 5 - 0x80000000ull;
        plan_refused_at("relay 4 GB away", wine_NtCreateFile, 32, CODE_ADDR,
                        TRAMP_ADDR, CODE_ADDR + 0x100000000ull, HOOK_TRAMP_MAX);
        plan_refused_at("relay INT32_MAX + 1 away", wine_NtCreateFile, 32,
                        CODE_ADDR, TRAMP_ADDR, r_max + 1, HOOK_TRAMP_MAX);
        plan_refused_at("relay INT32_MIN - 1 away", wine_NtCreateFile, 32,
                        CODE_ADDR, TRAMP_ADDR, r_min - 1, HOOK_TRAMP_MAX);
        unit_ctx = "relay at the edges of reach";
        CHECK_EQ_INT(hook_plan_make(wine_NtCreateFile, 32, CODE_ADDR, TRAMP_ADDR,
                                    r_max, tramp, sizeof tramp, &p, &why), 0);
        verify_plan(wine_NtCreateFile, 32, CODE_ADDR, TRAMP_ADDR, r_max, tramp, &p);
        CHECK_EQ_INT(hook_plan_make(wine_NtCreateFile, 32, CODE_ADDR, TRAMP_ADDR,
                                    r_min, tramp, sizeof tramp, &p, &why), 0);
        verify_plan(wine_NtCreateFile, 32, CODE_ADDR, TRAMP_ADDR, r_min, tramp, &p);
    }

    /* trampoline capacity: NtCreateFile needs 8 + 14 */
    plan_refused_at("tramp_cap 21", wine_NtCreateFile, 32, CODE_ADDR,
                    TRAMP_ADDR, RELAY_ADDR, 21);
    plan_refused_at("tramp_cap 0", wine_NtCreateFile, 32, CODE_ADDR,
                    TRAMP_ADDR, RELAY_ADDR, 0);
    unit_ctx = "tramp_cap exact";
    CHECK_EQ_INT(hook_plan_make(wine_NtCreateFile, 32, CODE_ADDR, TRAMP_ADDR,
                                RELAY_ADDR, tramp, 22, &p, &why), 0);
    /* StrCmpNCW needs 4 + 16 + 14 */
    plan_refused_at("tramp_cap 33 with call", wine_StrCmpNCW,
                    sizeof wine_StrCmpNCW, CODE_ADDR, TRAMP_ADDR, RELAY_ADDR, 33);

    /* a refusal reports syscall_number -1 and does not need why */
    unit_ctx = "refusal without why";
    CHECK_EQ_INT(hook_plan_make(invalid, sizeof invalid, CODE_ADDR, TRAMP_ADDR,
                                RELAY_ADDR, tramp, sizeof tramp, &p, NULL), -1);
    CHECK_EQ_INT(p.syscall_number, -1);
    CHECK_EQ_INT(p.stolen, 0);
}

static void test_absjmp(void)
{
    uint8_t buf[16];
    static const uint8_t want[14] = {
        0xFF, 0x25, 0, 0, 0, 0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
    };
    x64_insn d;
    unit_ctx = "hook_write_absjmp";
    memset(buf, 0xEE, sizeof buf);
    hook_write_absjmp(buf, 0x1122334455667788ull);
    CHECK_MEM(buf, want, sizeof want);
    CHECK_EQ_INT(buf[14], 0xEE);
    CHECK_EQ_INT(x64_decode(buf, 14, &d), 6);
    CHECK_EQ_INT(d.flags, X64_F_RIPREL | X64_F_TERM);
    CHECK_EQ_INT(d.disp, 0);
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

/* Random code buffers (exact-size heap copies, so ASan sees over-reads):
 * a plan is either refused with a reason or passes verify_plan. */
static void test_random(void)
{
    static const uint8_t hot[] = {
        0xE8, 0xE9, 0xEB, 0x74, 0x0F, 0x84, 0x48, 0x8B, 0x05, 0x8D, 0x0D,
        0xFF, 0x25, 0x15, 0xC3, 0xCC, 0x90, 0xE2, 0x66, 0x4C, 0xD1, 0xB8,
    };
    int accepted = 0, refused = 0, before = unit_failed;
    for (int iter = 0; iter < 50000 && unit_failed - before < 10; iter++) {
        size_t n = rng() % 24;
        uint8_t *code = malloc(n ? n : 1);
        uint8_t tramp[HOOK_TRAMP_MAX];
        uint64_t tramp_addr = CODE_ADDR + (uint64_t)(int64_t)(int32_t)rng() * 2u;
        hook_plan p;
        const char *why = NULL;
        if (!code)
            abort();
        for (size_t k = 0; k < n; k++)
            code[k] = (rng() & 1) ? hot[rng() % sizeof hot] : (uint8_t)rng();
        unit_ctx = "random";
        if (hook_plan_make(code, n, CODE_ADDR, tramp_addr, RELAY_ADDR, tramp,
                           sizeof tramp, &p, &why) == 0) {
            accepted++;
            verify_plan(code, n, CODE_ADDR, tramp_addr, RELAY_ADDR, tramp, &p);
        } else {
            refused++;
            CHECK_STR_NONEMPTY(why);
        }
        if (unit_failed != before)
            unit_dump("code", code, n);
        free(code);
    }
    unit_ctx = "random";
    CHECK(accepted > 1000);
    CHECK(refused > 1000);
}

int main(void)
{
    test_syscall_stubs();
    test_prologues();
    test_branches();
    test_short_functions();
    test_refusals();
    test_absjmp();
    test_random();
    return UNIT_REPORT();
}
