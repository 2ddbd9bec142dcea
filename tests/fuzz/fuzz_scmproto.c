/* libFuzzer target: the service protocol decoder on arbitrary bytes. */
#include "scmproto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint32_t aligned[65536 / 4];
    if (size > sizeof aligned)
        return 0;
    memcpy(aligned, data, size);
    const uint8_t *buf = (const uint8_t *)aligned;
    uint32_t len = scm_peek_length(buf, size);
    if (len == 0 || len > size)
        return 0;
    scm_msg m;
    if (scm_decode(buf, len, &m) == 0) {
        uint32_t off = 0;
        scm_entry e;
        for (int i = 0; i < 10000 && scm_next_entry(&m, &off, &e) == 0; i++)
            ;
        /* Multi-strings (args, deps, the created/deleted names) stay in the buffer. */
        if (m.names && scm_msz_len(m.names) * 2 > len)
            abort();
        if (m.args && scm_msz_len(m.args) * 2 > len)
            abort();
    }
    return 0;
}
