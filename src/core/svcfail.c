/* Failure actions: see svcfail.h. */
#include "svcfail.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

int svcfail_parse(const uint8_t *blob, size_t n, uint32_t *reset, svcfail_action *out,
                  uint32_t cap, uint32_t *count)
{
    *count = 0;
    *reset = 0;
    if (!blob || n < 20)
        return -1;
    uint32_t c = rd32(blob + 12), off = rd32(blob + 16);
    if (c == 0) {
        *reset = rd32(blob);
        return 0;
    }
    /* The actions follow the header (the offset written as the pointer). */
    if (off < 20 || off > n || c > (n - off) / 8)
        return -1;
    *reset = rd32(blob);
    for (uint32_t i = 0; i < c && i < cap; i++) {
        out[i].type = rd32(blob + off + 8 * i);
        out[i].delay = rd32(blob + off + 8 * i + 4);
        if (out[i].type > 3)
            return *count = 0, -1;
        ++*count;
    }
    return 0;
}

size_t svcfail_format(uint32_t reset, const svcfail_action *a, uint32_t count, uint8_t *out,
                      size_t cap)
{
    if (count > SVCFAIL_MAX || cap < 20 + 8 * (size_t)count)
        return 0;
    wr32(out, reset);
    wr32(out + 4, 0);
    wr32(out + 8, 0);
    wr32(out + 12, count);
    wr32(out + 16, count ? 20 : 0);
    for (uint32_t i = 0; i < count; i++) {
        wr32(out + 20 + 8 * i, a[i].type);
        wr32(out + 24 + 8 * i, a[i].delay);
    }
    return 20 + 8 * (size_t)count;
}

int svcfail_next(uint32_t reset_s, uint32_t count, uint32_t *fails, uint64_t *last_ms,
                 uint64_t now_ms)
{
    if (*last_ms && reset_s != SVCFAIL_INFINITE && now_ms >= *last_ms &&
        now_ms - *last_ms >= (uint64_t)reset_s * 1000)
        *fails = 0;
    if (*fails < UINT32_MAX)
        ++*fails;
    *last_ms = now_ms ? now_ms : 1;
    if (count == 0)
        return -1;
    return (int)(*fails <= count ? *fails - 1 : count - 1);
}
