/* x86-64 instruction-length decoder (64-bit mode only).
 *
 * Table driven: each opcode of the one-byte and 0F maps has an operand
 * kind telling whether a ModRM byte and which immediate follow. A few
 * opcodes (groups, moffs, enter...) get special handling below.
 *
 * Deliberate refusals (return 0), all never seen in compiler output:
 *   - 66-prefixed relative branches without REX.W (Intel and AMD
 *     disagree on them);
 *   - xbegin (C7 F8), a relative branch the hook engine could not move;
 *   - 67-prefixed RIP-relative operands (EIP-relative addressing);
 *   - XOP (8F with ModRM.reg != 0) and EVEX maps other than 0F/0F38/0F3A;
 *   - VEX/EVEX after a 66/F2/F3/F0/REX prefix (#UD on the CPU);
 *   - undefined 0F38/0F3A legacy opcodes.
 * Lengths agree with objdump on all of Wine's x86-64 DLLs; see
 * tests/unit/x64dec_crosscheck.sh. */
#include "x64dec.h"

#include <string.h>

#define X64_MAX_LEN 15

/* Operand kinds. */
enum {
    K_BAD = 0, /* invalid in 64-bit mode (or not handled) */
    K_NON,     /* nothing after the opcode */
    K_M,       /* ModRM */
    K_MB,      /* ModRM + imm8 */
    K_MZ,      /* ModRM + imm16/32 */
    K_MR,      /* ModRM, always a register form (mov cr/dr): no SIB/disp */
    K_IB,      /* imm8 */
    K_IW,      /* imm16 */
    K_IZ,      /* imm16/32 */
    K_IV,      /* imm16/32/64: mov r, imm */
    K_MO,      /* moffs: 8 bytes, 4 with 67 */
    K_EN,      /* enter: imm16 + imm8 */
    K_J8,      /* rel8 */
    K_J32,     /* rel32 */
    K_G3,      /* F6/F7: ModRM, imm only for /0 and /1 */
    K_PFX,     /* legacy prefix (handled before the table) */
    K_REX,     /* REX prefix (handled before the table) */
    K_ESC,     /* 0F escape, or 0F38/0F3A escape in the 0F map */
    K_VEX,     /* C4/C5 */
    K_EVX,     /* 62 */
    K_78       /* 0F 78: vmread, or extrq/insertq with two imm8 */
};

/* Short names so the tables read as a grid. */
#define B_ K_BAD
#define N_ K_NON
#define M_ K_M
#define MB K_MB
#define MZ K_MZ
#define MR K_MR
#define IB K_IB
#define IW K_IW
#define IZ K_IZ
#define IV K_IV
#define MO K_MO
#define EN K_EN
#define J1 K_J8
#define J4 K_J32
#define G3 K_G3
#define PF K_PFX
#define RX K_REX
#define ES K_ESC
#define VX K_VEX
#define EV K_EVX
#define X8 K_78

static const uint8_t map1[256] = {
/*       0  1  2  3  4  5  6  7  8  9  A  B  C  D  E  F */
/* 0 */ M_,M_,M_,M_,IB,IZ,B_,B_,M_,M_,M_,M_,IB,IZ,B_,ES,
/* 1 */ M_,M_,M_,M_,IB,IZ,B_,B_,M_,M_,M_,M_,IB,IZ,B_,B_,
/* 2 */ M_,M_,M_,M_,IB,IZ,PF,B_,M_,M_,M_,M_,IB,IZ,PF,B_,
/* 3 */ M_,M_,M_,M_,IB,IZ,PF,B_,M_,M_,M_,M_,IB,IZ,PF,B_,
/* 4 */ RX,RX,RX,RX,RX,RX,RX,RX,RX,RX,RX,RX,RX,RX,RX,RX,
/* 5 */ N_,N_,N_,N_,N_,N_,N_,N_,N_,N_,N_,N_,N_,N_,N_,N_,
/* 6 */ B_,B_,EV,M_,PF,PF,PF,PF,IZ,MZ,IB,MB,N_,N_,N_,N_,
/* 7 */ J1,J1,J1,J1,J1,J1,J1,J1,J1,J1,J1,J1,J1,J1,J1,J1,
/* 8 */ MB,MZ,B_,MB,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,
/* 9 */ N_,N_,N_,N_,N_,N_,N_,N_,N_,N_,B_,N_,N_,N_,N_,N_,
/* A */ MO,MO,MO,MO,N_,N_,N_,N_,IB,IZ,N_,N_,N_,N_,N_,N_,
/* B */ IB,IB,IB,IB,IB,IB,IB,IB,IV,IV,IV,IV,IV,IV,IV,IV,
/* C */ MB,MB,IW,N_,VX,VX,MB,MZ,EN,N_,IW,N_,N_,IB,B_,N_,
/* D */ M_,M_,M_,M_,B_,B_,B_,N_,M_,M_,M_,M_,M_,M_,M_,M_,
/* E */ J1,J1,J1,J1,IB,IB,IB,IB,J4,J4,B_,J1,N_,N_,N_,N_,
/* F */ PF,N_,PF,PF,N_,N_,G3,G3,N_,N_,N_,N_,N_,N_,M_,M_,
};

static const uint8_t map0f[256] = {
/*       0  1  2  3  4  5  6  7  8  9  A  B  C  D  E  F */
/* 0 */ M_,M_,M_,M_,B_,N_,N_,N_,N_,N_,B_,N_,B_,M_,N_,MB,
/* 1 */ M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,
/* 2 */ MR,MR,MR,MR,B_,B_,B_,B_,M_,M_,M_,M_,M_,M_,M_,M_,
/* 3 */ N_,N_,N_,N_,N_,N_,B_,N_,ES,B_,ES,B_,B_,B_,B_,B_,
/* 4 */ M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,
/* 5 */ M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,
/* 6 */ M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,
/* 7 */ MB,MB,MB,MB,M_,M_,M_,N_,X8,M_,B_,B_,M_,M_,M_,M_,
/* 8 */ J4,J4,J4,J4,J4,J4,J4,J4,J4,J4,J4,J4,J4,J4,J4,J4,
/* 9 */ M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,
/* A */ N_,N_,N_,M_,MB,M_,B_,B_,N_,N_,N_,M_,MB,M_,M_,M_,
/* B */ M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,MB,M_,M_,M_,M_,M_,
/* C */ M_,M_,MB,M_,MB,MB,MB,M_,N_,N_,N_,N_,N_,N_,N_,N_,
/* D */ M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,
/* E */ M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,
/* F */ M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,M_,
};

/* Bit sets (8 x 32 bits) of the defined legacy opcodes in the 0F38 map
 * (ModRM, no immediate) and 0F3A map (ModRM + imm8). */
static const uint32_t valid0f38[8] = {
    0x00000FFFu | (1u << 0x10) | (1u << 0x14) | (1u << 0x15) | (1u << 0x17) |
        (1u << 0x1C) | (1u << 0x1D) | (1u << 0x1E),           /* 00-1F */
    0x0000003Fu | (0xFu << 8) | (0x3Fu << 16) | (0x1FFu << 23), /* 20-3F */
    0x00000003u,                                              /* 40-5F */
    0,                                                        /* 60-7F */
    0x00000007u,                                              /* 80-9F */
    0,                                                        /* A0-BF */
    (0x3Fu << 8) | (1u << 15) | (0x1Fu << 27),                /* C0-DF */
    (0x7Fu << 16) | (1u << 24) | (1u << 25),                  /* E0-FF */
};

static const uint32_t valid0f3a[8] = {
    (0xFFu << 8) | (0xFu << 20),                              /* 00-1F */
    0x00000007u,                                              /* 20-3F */
    0x00000007u | (1u << 4),                                  /* 40-5F */
    0x0000000Fu,                                              /* 60-7F */
    0, 0,                                                     /* 80-BF */
    (1u << 12) | (1u << 14) | (1u << 15) | (1u << 31),         /* C0-DF */
    0,                                                        /* E0-FF */
};

static int bit_set(const uint32_t *set, uint8_t op)
{
    return (set[op >> 5] >> (op & 31)) & 1u;
}

static int32_t read_i32(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
                 ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    return (int32_t)v;
}

/* Reads ModRM (+SIB, displacement) at code[*pos]. Stores the ModRM byte in
 * *m. regonly: the ModRM always names registers (no SIB or disp).
 * Returns 0 when the bytes run past lim, or on EIP-relative addressing. */
static int read_modrm(const uint8_t *code, size_t lim, size_t *pos,
                      int regonly, int addr32, x64_insn *d, uint8_t *m)
{
    size_t p = *pos;
    size_t disp = 0;
    uint8_t mod, rm;

    if (p >= lim)
        return 0;
    *m = code[p++];
    mod = (uint8_t)(*m >> 6);
    rm = (uint8_t)(*m & 7);
    if (!regonly && mod != 3) {
        if (rm == 4) {
            /* SIB; base 101 with mod 00 means disp32, no base */
            if (p >= lim)
                return 0;
            if (mod == 0 && (code[p] & 7) == 5)
                disp = 4;
            p++;
        } else if (mod == 0 && rm == 5) {
            if (addr32)
                return 0; /* EIP-relative: refused */
            disp = 4;
            d->flags |= X64_F_RIPREL;
            d->disp_off = (uint8_t)p;
        }
        if (mod == 1)
            disp = 1;
        else if (mod == 2)
            disp = 4;
        if (disp > lim - p)
            return 0;
        if (d->flags & X64_F_RIPREL)
            d->disp = read_i32(code + p);
        p += disp;
    }
    *pos = p;
    return 1;
}

/* Immediate byte count of a VEX/EVEX instruction in map 1..3. */
static size_t vex_imm(unsigned map, uint8_t op)
{
    if (map == 3)
        return 1;
    if (map == 1) {
        switch (op) {
        case 0x70: case 0x71: case 0x72: case 0x73:
        case 0xC2: case 0xC4: case 0xC5: case 0xC6:
            return 1;
        default:
            break;
        }
    }
    return 0;
}

int x64_decode(const uint8_t *code, size_t avail, x64_insn *out)
{
    x64_insn d;
    size_t lim = avail < X64_MAX_LEN ? avail : X64_MAX_LEN;
    size_t i = 0;
    size_t imm = 0;
    int opsize16 = 0, addr32 = 0, lastrep = 0, lock = 0;
    uint8_t rex = 0;
    uint8_t op, kind, m = 0;
    int has_m = 0;
    int twobyte = 0;

    memset(&d, 0, sizeof d);
    if (out)
        memset(out, 0, sizeof *out);
    if (!code)
        return 0;

    /* Legacy prefixes and REX. A REX followed by a legacy prefix is
     * ignored by the CPU, so only the one right before the opcode counts. */
    for (;;) {
        if (i >= lim)
            return 0;
        op = code[i];
        kind = map1[op];
        if (kind == K_REX) {
            rex = op;
            i++;
            continue;
        }
        if (kind != K_PFX)
            break;
        if (op == 0x66)
            opsize16 = 1;
        else if (op == 0x67)
            addr32 = 1;
        else if (op == 0xF2 || op == 0xF3)
            lastrep = op;
        else if (op == 0xF0)
            lock = 1;
        rex = 0;
        i++;
    }
    i++; /* the opcode */
    kind = map1[op];

    if (kind == K_VEX || kind == K_EVX) {
        unsigned map;
        if (opsize16 || lastrep || lock || rex)
            return 0; /* #UD before VEX/EVEX */
        if (op == 0xC5) {
            if (i + 1 > lim)
                return 0;
            map = 1;
            i += 1;
        } else if (op == 0xC4) {
            if (i + 2 > lim)
                return 0;
            map = code[i] & 0x1Fu;
            i += 2;
        } else {
            if (i + 3 > lim)
                return 0;
            /* P0: reserved bit 3 must be 0; P1: bit 2 must be 1 */
            if ((code[i] & 0x08) || !(code[i + 1] & 0x04))
                return 0;
            map = code[i] & 0x07u;
            i += 3;
        }
        if (map < 1 || map > 3)
            return 0;
        if (i >= lim)
            return 0;
        op = code[i++];
        if (!(op == 0x77 && map == 1 && kind == K_VEX)) {
            if (!read_modrm(code, lim, &i, 0, addr32, &d, &m))
                return 0;
        }
        imm = vex_imm(map, op);
        if (imm > lim - i)
            return 0;
        i += imm;
        goto done;
    }

    if (kind == K_ESC) {
        if (i >= lim)
            return 0;
        op = code[i++];
        twobyte = 1;
        kind = map0f[op];
        if (kind == K_ESC) {
            /* three-byte maps 0F38 / 0F3A */
            int is3a = (op == 0x3A);
            if (i >= lim)
                return 0;
            op = code[i++];
            if (!bit_set(is3a ? valid0f3a : valid0f38, op))
                return 0;
            if (!read_modrm(code, lim, &i, 0, addr32, &d, &m))
                return 0;
            imm = is3a ? 1 : 0;
            if (imm > lim - i)
                return 0;
            i += imm;
            goto done;
        }
    }

    switch (kind) {
    case K_BAD:
    case K_PFX:
    case K_REX:
    case K_ESC:
    case K_VEX:
    case K_EVX:
        return 0;
    case K_NON:
        break;
    case K_M:
    case K_MR:
    case K_G3:
    case K_78:
        has_m = 1;
        break;
    case K_MB:
        has_m = 1;
        imm = 1;
        break;
    case K_MZ:
        has_m = 1;
        imm = (opsize16 && !(rex & 8)) ? 2 : 4;
        break;
    case K_IB:
    case K_J8:
        imm = 1;
        break;
    case K_IW:
        imm = 2;
        break;
    case K_IZ:
        imm = (opsize16 && !(rex & 8)) ? 2 : 4;
        break;
    case K_IV:
        imm = (rex & 8) ? 8 : (opsize16 ? 2 : 4);
        break;
    case K_MO:
        imm = addr32 ? 4 : 8;
        break;
    case K_EN:
        imm = 3;
        break;
    case K_J32:
        imm = 4;
        break;
    default:
        return 0;
    }

    if (has_m) {
        uint8_t reg;
        if (!read_modrm(code, lim, &i, kind == K_MR, addr32, &d, &m))
            return 0;
        reg = (uint8_t)((m >> 3) & 7);
        if (kind == K_G3 && reg < 2)
            imm = (op == 0xF6) ? 1 : ((opsize16 && !(rex & 8)) ? 2 : 4);
        if (kind == K_78 && (opsize16 || lastrep == 0xF2))
            imm = 2; /* extrq / insertq with two imm8 */
        if (!twobyte) {
            switch (op) {
            case 0x8F: /* pop r/m; other /reg values are XOP */
                if (reg != 0)
                    return 0;
                break;
            case 0xC6: /* mov r/m8, imm8; C6 F8 = xabort imm8 */
                if (reg != 0 && m != 0xF8)
                    return 0;
                break;
            case 0xC7: /* mov r/m, imm32; xbegin (C7 F8) refused */
                if (reg != 0)
                    return 0;
                break;
            case 0xFE: /* inc/dec r/m8 */
                if (reg > 1)
                    return 0;
                break;
            case 0xFF:
                if (reg == 7)
                    return 0;
                if ((reg == 3 || reg == 5) && (m >> 6) == 3)
                    return 0; /* far call/jmp need memory */
                if (reg == 4 || reg == 5)
                    d.flags |= X64_F_TERM;
                break;
            default:
                break;
            }
        }
    }

    if (imm > lim - i)
        return 0;

    if (kind == K_J8 || kind == K_J32) {
        if (opsize16 && !(rex & 8))
            return 0; /* 16-bit branch: vendor specific, refused */
        d.flags |= X64_F_REL;
        d.rel_off = (uint8_t)i;
        d.rel_size = (uint8_t)imm;
        d.rel = (imm == 1) ? (int32_t)(int8_t)code[i] : read_i32(code + i);
        if (twobyte) {
            d.branch = X64_BR_JCC;
            d.cond = (uint8_t)(op & 0x0F);
        } else if (op >= 0x70 && op <= 0x7F) {
            d.branch = X64_BR_JCC;
            d.cond = (uint8_t)(op & 0x0F);
        } else if (op >= 0xE0 && op <= 0xE3) {
            d.branch = X64_BR_LOOP;
        } else if (op == 0xE8) {
            d.branch = X64_BR_CALL;
        } else {
            d.branch = X64_BR_JMP;
            d.flags |= X64_F_TERM;
        }
    }

    if (twobyte) {
        if (op == 0x05)
            d.flags |= X64_F_SYSCALL;
        else if (op == 0x0B || op == 0xB9)
            d.flags |= X64_F_TERM; /* ud2, ud1 */
    } else {
        switch (op) {
        case 0xC2: case 0xC3: case 0xCA: case 0xCB:
        case 0xCC: case 0xCF: case 0xF4:
            d.flags |= X64_F_TERM;
            break;
        case 0xCD:
            if (code[i] == 0x2E)
                d.flags |= X64_F_SYSCALL;
            break;
        default:
            break;
        }
    }
    i += imm;

done:
    if (i > lim)
        return 0;
    d.len = (uint8_t)i;
    if (out)
        *out = d;
    return (int)i;
}
