/* libFuzzer target: object, pipe and port name mapping; a renamed name
 * stripped of the VM's prefix gives back the name the VM used. */
#include "objname.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t tag[] = { '1', '2', 'a', 'b', '.', 'v', 'm' };
    static uint16_t in[2048], out[4096];
    if (size < 2)
        return 0;
    unsigned flags = data[0] & 3;
    size_t split_hint = data[1];
    data += 2;
    size -= 2;
    size_t n = size / 2 > 2048 ? 2048 : size / 2;
    memcpy(in, data, n * 2);
    size_t split = n ? split_hint % (n + 1) : 0;
    objname_out r;
    memset(&r, 0, sizeof r);
    size_t cap = n + objname_extra(sizeof tag / 2);
    if (cap > 4096)
        return 0;
    int res = objname_map(split ? in : NULL, split, in + split, n - split, tag, sizeof tag / 2,
                          flags, out, cap, &r);
    if (res == OBJN_RENAME) {
        if (r.len > cap || r.at > r.len)
            abort();
        (void)objname_strip(out, r.len, tag, sizeof tag / 2);
    }
    (void)objname_rule_flags(r.cls, in, n);
    return 0;
}
