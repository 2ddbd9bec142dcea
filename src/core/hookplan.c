/* Hook planning: chooses the stolen instructions and relocates them into
 * a trampoline. See hookplan.h for the layout. */
#include "hookplan.h"

#include "x64dec.h"

#include <string.h>

#define ABSJMP_LEN 14    /* FF 25 00000000 abs64 */
#define ABSCALL_LEN 16   /* FF 15 02000000 EB 08 abs64 */
#define JCC_LEN 16       /* 7x 0E + absolute jmp */
#define MAX_STOLEN_INSNS HOOK_PATCH_MIN

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put_u64(uint8_t *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

/* True when dest - src fits in an int32 (two's complement wrap-around). */
static int fits_rel32(uint64_t dest, uint64_t src, int32_t *rel)
{
    int64_t d = (int64_t)(dest - src);
    if (d < INT32_MIN || d > INT32_MAX)
        return 0;
    if (rel)
        *rel = (int32_t)d;
    return 1;
}

void hook_write_absjmp(uint8_t *buf, uint64_t dest)
{
    buf[0] = 0xFF;
    buf[1] = 0x25;
    put_u32(buf + 2, 0);
    put_u64(buf + 6, dest);
}

int64_t hook_syscall_number(const uint8_t *code, size_t avail)
{
    /* 4C 8B D1 = mov r10, rcx; B8 imm32 = mov eax, imm32 */
    if (!code || avail < 8)
        return -1;
    if (code[0] != 0x4C || code[1] != 0x8B || code[2] != 0xD1 ||
        code[3] != 0xB8)
        return -1;
    return (int64_t)((uint32_t)code[4] | ((uint32_t)code[5] << 8) |
                     ((uint32_t)code[6] << 16) | ((uint32_t)code[7] << 24));
}

/* Reasons for refusing a hook. */
#define MSG_ARGS "No code or no output was given."
#define MSG_AVAIL "Fewer than 5 bytes of code are available at the target."
#define MSG_RELAY "The relay is not within 2 GB of the target."
#define MSG_CUT \
    "The code buffer ends inside a prologue instruction; more bytes are needed."
#define MSG_UNDECODABLE "A prologue instruction could not be decoded."
#define MSG_TOO_SHORT \
    "The function returns or jumps away within its first 5 bytes and other " \
    "code follows, so it is too short to patch."
#define MSG_TOO_LONG \
    "The instructions covering the first 5 bytes are longer than 16 bytes."
#define MSG_LOOP \
    "A loop/jrcxz instruction in the prologue cannot be relocated."
#define MSG_INTO_STOLEN \
    "A branch in the prologue targets the bytes being overwritten."
#define MSG_RIP_REACH \
    "A RIP-relative operand would be more than 2 GB away from the trampoline."
#define MSG_CAP "The trampoline buffer is too small."

static int refuse(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return -1;
}

/* Tells a truncated buffer from undecodable bytes: pads the tail with
 * zeros (valid ModRM/displacement/immediate bytes) and decodes again. */
static int truncated(const uint8_t *code, size_t avail)
{
    uint8_t buf[15];
    x64_insn d;
    int n;
    if (avail >= sizeof buf)
        return 0;
    memset(buf, 0, sizeof buf);
    memcpy(buf, code, avail);
    n = x64_decode(buf, sizeof buf, &d);
    return n > 0 && (size_t)n > avail;
}

int hook_plan_make(const uint8_t *code, size_t avail, uint64_t code_addr,
                   uint64_t tramp_addr, uint64_t relay_addr,
                   uint8_t *tramp, size_t tramp_cap,
                   hook_plan *out, const char **why)
{
    x64_insn insn[MAX_STOLEN_INSNS];
    size_t ninsn = 0;
    size_t covered = 0; /* bytes of whole instructions decoded */
    size_t stolen;
    size_t need;
    size_t t = 0;
    size_t k;
    int32_t rel = 0;

    if (why)
        *why = NULL;
    if (out) {
        memset(out, 0, sizeof *out);
        out->syscall_number = -1;
    }
    if (!code || !out)
        return refuse(why, MSG_ARGS);
    if (avail < HOOK_PATCH_MIN)
        return refuse(why, MSG_AVAIL);
    if (!fits_rel32(relay_addr, code_addr + HOOK_PATCH_MIN, &rel))
        return refuse(why, MSG_RELAY);

    /* Pass 1: pick the whole instructions that cover the patch. */
    while (covered < HOOK_PATCH_MIN) {
        x64_insn *d = &insn[ninsn];
        if (x64_decode(code + covered, avail - covered, d) == 0)
            return refuse(why, truncated(code + covered, avail - covered)
                                   ? MSG_CUT : MSG_UNDECODABLE);
        ninsn++;
        covered += d->len;
        if ((d->flags & X64_F_TERM) && covered < HOOK_PATCH_MIN) {
            /* Control ends here; only int3/nop padding may follow (avail
             * >= 5 was checked above). */
            for (k = covered; k < HOOK_PATCH_MIN; k++)
                if (code[k] != 0xCC && code[k] != 0x90)
                    return refuse(why, MSG_TOO_SHORT);
            break; /* the padding is stolen but not copied */
        }
    }
    stolen = covered < HOOK_PATCH_MIN ? HOOK_PATCH_MIN : covered;
    if (stolen > sizeof out->patch)
        return refuse(why, MSG_TOO_LONG);

    /* Pass 2: check branches and RIP-relative reach, size the trampoline.
     * Nothing is written before every check has passed. */
    need = 0;
    for (k = 0, covered = 0; k < ninsn; covered += insn[k].len, k++) {
        const x64_insn *d = &insn[k];
        uint64_t next = code_addr + covered + d->len;
        if (d->flags & X64_F_REL) {
            uint64_t dest = next + (uint64_t)(int64_t)d->rel;
            if (d->branch == X64_BR_LOOP)
                return refuse(why, MSG_LOOP);
            if (dest - code_addr < stolen)
                return refuse(why, MSG_INTO_STOLEN);
            need += d->branch == X64_BR_JMP    ? ABSJMP_LEN
                    : d->branch == X64_BR_CALL ? ABSCALL_LEN
                                               : JCC_LEN;
        } else {
            if (d->flags & X64_F_RIPREL) {
                uint64_t abs = next + (uint64_t)(int64_t)d->disp;
                if (!fits_rel32(abs, tramp_addr + need + d->len, NULL))
                    return refuse(why, MSG_RIP_REACH);
            }
            need += d->len;
        }
    }
    need += ABSJMP_LEN;
    if (!tramp || tramp_cap < need)
        return refuse(why, MSG_CAP);

    /* Pass 3: emit the trampoline. */
    for (k = 0, covered = 0; k < ninsn; covered += insn[k].len, k++) {
        const x64_insn *d = &insn[k];
        const uint8_t *src = code + covered;
        uint64_t next = code_addr + covered + d->len;
        if (d->flags & X64_F_REL) {
            uint64_t dest = next + (uint64_t)(int64_t)d->rel;
            if (d->branch == X64_BR_JMP) {
                hook_write_absjmp(tramp + t, dest);
                t += ABSJMP_LEN;
            } else if (d->branch == X64_BR_CALL) {
                /* call [rip+2]; jmp +8; dq dest */
                static const uint8_t call_seq[8] = {
                    0xFF, 0x15, 0x02, 0x00, 0x00, 0x00, 0xEB, 0x08
                };
                memcpy(tramp + t, call_seq, sizeof call_seq);
                put_u64(tramp + t + 8, dest);
                t += ABSCALL_LEN;
            } else {
                /* inverted jcc over an absolute jmp to the target */
                tramp[t] = (uint8_t)(0x70 | (d->cond ^ 1));
                tramp[t + 1] = ABSJMP_LEN;
                hook_write_absjmp(tramp + t + 2, dest);
                t += JCC_LEN;
            }
        } else {
            memcpy(tramp + t, src, d->len);
            if (d->flags & X64_F_RIPREL) {
                /* same absolute operand from the new address (checked) */
                uint64_t abs = next + (uint64_t)(int64_t)d->disp;
                int32_t nd = 0;
                fits_rel32(abs, tramp_addr + t + d->len, &nd);
                put_u32(tramp + t + d->disp_off, (uint32_t)nd);
            }
            t += d->len;
        }
    }
    /* jump back behind the stolen bytes (harmless after a ret/jmp) */
    hook_write_absjmp(tramp + t, code_addr + stolen);
    t += ABSJMP_LEN;

    out->stolen = stolen;
    out->tramp_len = t;
    out->patch[0] = 0xE9;
    put_u32(out->patch + 1, (uint32_t)rel);
    memset(out->patch + HOOK_PATCH_MIN, 0xCC, stolen - HOOK_PATCH_MIN);
    out->patch_len = stolen;
    out->syscall_number = hook_syscall_number(code, avail);
    return 0;
}
