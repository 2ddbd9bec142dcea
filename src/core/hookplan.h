/* Hook planning: decides how to patch a function's prologue and builds the
 * trampoline bytes. Pure C: no Windows calls, addresses are plain numbers.
 *
 * Layout of a hook:
 *   target:  E9 rel32 -> relay            (5 bytes; the rest of the stolen
 *                                          bytes are filled with CC)
 *   relay:   FF 25 00000000 <detour:8>     (14 bytes, written by the engine,
 *                                          within +-2 GB of target)
 *   tramp:   <stolen instructions, relocated> FF 25 00000000 <target+stolen>
 *            (within +-2 GB of target, so RIP-relative operands can be fixed)
 */
#ifndef PLUME_CORE_HOOKPLAN_H
#define PLUME_CORE_HOOKPLAN_H

#include <stddef.h>
#include <stdint.h>

#define HOOK_PATCH_MIN 5      /* bytes of the jmp rel32 written at the target */
#define HOOK_TRAMP_MAX 128    /* a trampoline never needs more */
#define HOOK_RELAY_LEN 14

typedef struct hook_plan {
    size_t stolen;            /* whole instructions covered by the patch (>= 5) */
    size_t tramp_len;         /* bytes of tramp[] used */
    uint8_t patch[16];        /* bytes to write at target: E9 rel32 then CC fill */
    size_t patch_len;         /* == stolen */
    int64_t syscall_number;   /* NT syscall number read from the stub, or -1 */
} hook_plan;

/* code: at least `avail` readable bytes of the target (32 is plenty).
 * code_addr, tramp_addr, relay_addr: the runtime addresses of target,
 * trampoline and relay. Fills tramp[0..tramp_cap) and *out.
 * Returns 0 on success. On refusal returns -1 and sets *why to a static
 * English sentence; nothing is to be patched then. */
int hook_plan_make(const uint8_t *code, size_t avail, uint64_t code_addr,
                   uint64_t tramp_addr, uint64_t relay_addr,
                   uint8_t *tramp, size_t tramp_cap,
                   hook_plan *out, const char **why);

/* Writes the 14-byte relay "jmp [rip+0]; dq dest" into buf. */
void hook_write_absjmp(uint8_t *buf, uint64_t dest);

/* Returns the NT system-call number when code[0..avail) begins with an NT
 * syscall stub (mov r10,rcx; mov eax,imm32 -- the layout of Windows 10/11
 * and of Wine 8), else -1. */
int64_t hook_syscall_number(const uint8_t *code, size_t avail);

#endif
