/* Origin records: see forigin.h. */
#include "forigin.h"

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

void for_encode(uint8_t out[FOR_SIZE], int64_t last_write, int64_t size)
{
    out[0] = 'P';
    out[1] = 'L';
    out[2] = 'O';
    out[3] = 'R';
    out[4] = FOR_VERSION;
    out[5] = out[6] = out[7] = 0;
    put64(out + 8, (uint64_t)last_write);
    put64(out + 16, (uint64_t)size);
}

int for_decode(const uint8_t *in, size_t n, int64_t *last_write, int64_t *size)
{
    if (!in || n != FOR_SIZE || in[0] != 'P' || in[1] != 'L' || in[2] != 'O' || in[3] != 'R' ||
        in[4] != FOR_VERSION || in[5] || in[6] || in[7])
        return 0;
    if (last_write)
        *last_write = (int64_t)get64(in + 8);
    if (size)
        *size = (int64_t)get64(in + 16);
    return 1;
}
