/* x86-64 instruction-length decoder. Pure C: no Windows calls.
 *
 * Decodes one instruction in 64-bit mode and reports what a hook engine
 * needs to relocate it: its length, a RIP-relative memory operand, or a
 * relative branch. */
#ifndef PLUME_CORE_X64DEC_H
#define PLUME_CORE_X64DEC_H

#include <stddef.h>
#include <stdint.h>

enum x64_flags {
    X64_F_RIPREL = 1u << 0, /* has a [rip+disp32] memory operand */
    X64_F_REL    = 1u << 1, /* relative branch: jmp, jcc, call, loop, jrcxz */
    X64_F_TERM   = 1u << 2, /* control never falls through: ret, jmp, int3, ud2, hlt... */
    X64_F_SYSCALL = 1u << 3 /* syscall or int 2e */
};

enum x64_branch {
    X64_BR_NONE = 0,
    X64_BR_JMP,   /* EB rel8, E9 rel32 */
    X64_BR_JCC,   /* 70-7F rel8, 0F 80-8F rel32; cond = low nibble */
    X64_BR_CALL,  /* E8 rel32 */
    X64_BR_LOOP   /* E0-E3: loopne, loope, loop, jrcxz (rel8 only) */
};

typedef struct x64_insn {
    uint8_t len;       /* 1..15 */
    uint8_t flags;     /* X64_F_* */
    uint8_t branch;    /* X64_BR_* when X64_F_REL */
    uint8_t cond;      /* condition nibble for X64_BR_JCC */
    uint8_t disp_off;  /* offset of the disp32 inside the instruction when X64_F_RIPREL */
    uint8_t rel_off;   /* offset of the branch immediate when X64_F_REL */
    uint8_t rel_size;  /* 1 or 4 when X64_F_REL */
    int32_t disp;      /* the RIP-relative displacement when X64_F_RIPREL */
    int32_t rel;       /* the branch displacement (sign-extended) when X64_F_REL */
} x64_insn;

/* Decodes the instruction at code[0..avail). Returns its length (1..15),
 * or 0 when the bytes are not a valid 64-bit-mode instruction this decoder
 * knows, or when avail is too short to hold it. */
int x64_decode(const uint8_t *code, size_t avail, x64_insn *out);

#endif
