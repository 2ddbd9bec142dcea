#include "jobname.h"

static uint16_t lower(uint16_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint16_t)(c + 32) : c;
}

size_t plume_vm_tag(const uint16_t *root, const uint16_t *vm, uint16_t *buf, size_t cap)
{
    /* FNV-1a over the lower-cased root, without a trailing backslash. */
    size_t rlen = 0;
    while (root[rlen])
        rlen++;
    while (rlen > 0 && (root[rlen - 1] == '\\' || root[rlen - 1] == '/'))
        rlen--;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < rlen; i++) {
        uint16_t c = lower(root[i] == '/' ? '\\' : root[i]);
        h = (h ^ (c & 0xff)) * 16777619u;
        h = (h ^ (c >> 8)) * 16777619u;
    }
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
#define PUT(c) do { if (n + 1 >= cap) return 0; buf[n++] = (uint16_t)(c); } while (0)
    for (int s = 28; s >= 0; s -= 4)
        PUT(hex[(h >> s) & 15]);
    PUT('.');
    for (; *vm; vm++)
        PUT(lower(*vm));
#undef PUT
    buf[n] = 0;
    return n;
}

size_t plume_job_name(const uint16_t *root, const uint16_t *vm, uint16_t *buf, size_t cap)
{
    static const char prefix[] = "Global\\PlumeVM.";
    size_t n = 0;
    for (const char *p = prefix; *p; p++) {
        if (n + 1 >= cap)
            return 0;
        buf[n++] = (uint16_t)*p;
    }
    size_t t = plume_vm_tag(root, vm, buf + n, cap - n);
    return t ? n + t : 0;
}
