/* libFuzzer target: hook planning on arbitrary prologues and addresses;
 * an accepted plan's patch and trampoline stay within their bounds. */
#include "hookplan.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    uint64_t delta;
    memcpy(&delta, data, 8);
    data += 8;
    size -= 8;
    uint64_t code = 0x7ff800000000ull;
    uint64_t tramp = code + (int64_t)(int32_t)(uint32_t)delta;
    uint64_t relay = code - (int64_t)(int32_t)(uint32_t)(delta >> 32);
    uint8_t out[HOOK_TRAMP_MAX];
    hook_plan plan;
    const char *why = NULL;
    if (hook_plan_make(data, size, code, tramp, relay, out, sizeof out, &plan, &why) == 0) {
        if (plan.stolen < HOOK_PATCH_MIN || plan.stolen > size || plan.patch_len != plan.stolen ||
            plan.patch_len > sizeof plan.patch || plan.tramp_len > sizeof out)
            abort();
    } else if (!why || !*why) {
        abort();
    }
    (void)hook_syscall_number(data, size);
    return 0;
}
