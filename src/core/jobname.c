#include "jobname.h"

size_t plume_job_name(const uint16_t *vm, uint16_t *buf, size_t cap)
{
    static const char prefix[] = "Global\\PlumeVM.";
    size_t n = 0;
    for (const char *p = prefix; *p; p++) {
        if (n + 1 >= cap)
            return 0;
        buf[n++] = (uint16_t)*p;
    }
    for (; *vm; vm++) {
        if (n + 1 >= cap)
            return 0;
        uint16_t c = *vm;
        buf[n++] = (c >= 'A' && c <= 'Z') ? (uint16_t)(c + 32) : c;
    }
    buf[n] = 0;
    return n;
}
