/* Failure actions of a service (pure; see docs/ns-svc.md): the registry's
 * FailureActions value and the choice of the action after a failure.
 *
 * FailureActions (REG_BINARY) has Windows's layout: a 20-byte header of
 * five u32 (reset period in seconds, 0 for the reboot message pointer, 0
 * for the command pointer, the number of actions, 20 for the actions
 * pointer: their offset), then per action u32 SC_ACTION_TYPE and u32
 * delay in ms. Little endian. */
#ifndef PLUME_CORE_SVCFAIL_H
#define PLUME_CORE_SVCFAIL_H

#include <stddef.h>
#include <stdint.h>

#define SVCFAIL_MAX 64
#define SVCFAIL_INFINITE 0xffffffffu

typedef struct svcfail_action {
    uint32_t type, delay; /* SC_ACTION_NONE 0, RESTART 1, REBOOT 2, RUN_COMMAND 3 */
} svcfail_action;

/* Parses a FailureActions value: 0 (*reset, out[0..*count)) or -1 when
 * it is malformed. At most cap actions are kept (the rest are dropped). */
int svcfail_parse(const uint8_t *blob, size_t n, uint32_t *reset, svcfail_action *out,
                  uint32_t cap, uint32_t *count);

/* Writes the value: its size, or 0 when cap is too small. */
size_t svcfail_format(uint32_t reset, const svcfail_action *a, uint32_t count, uint8_t *out,
                      size_t cap);

/* A failure at now_ms (a monotonic clock). *fails and *last_ms are the
 * service's failure count and the time of its last failure (0: none): the
 * count goes back to 0 first when the reset period (seconds; INFINITE:
 * never) passed since the last failure. Returns the index of the action
 * to take (the last one for every failure beyond the count), or -1 when
 * there is no action. */
int svcfail_next(uint32_t reset_s, uint32_t count, uint32_t *fails, uint64_t *last_ms,
                 uint64_t now_ms);

#endif
