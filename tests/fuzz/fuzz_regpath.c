/* libFuzzer target: registry name resolution; a resolved name resolves to
 * itself, and its private name maps back to it. */
#include "regpath.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint16_t in[4096], out[8192], again[8192];
    size_t n = size / 2 > 4096 ? 4096 : size / 2;
    memcpy(in, data, n * 2);
    size_t split = n ? in[0] % (n + 1) : 0;
    size_t olen = 0, alen = 0;
    int kind;
    if (split > 0 && split < n && in[split] != '\\')
        kind = regpath_resolve(in, split, in + split, n - split, out, 8192, &olen);
    else
        kind = regpath_resolve(NULL, 0, in, n, out, 8192, &olen);
    if (olen > 8192)
        abort();
    if (olen) {
        int k2 = regpath_resolve(NULL, 0, out, olen, again, 8192, &alen);
        if (k2 != kind || alen != olen || memcmp(again, out, olen * 2))
            abort();
        (void)regpath_rest_off(out, olen, kind);
        (void)regpath_leaf_off(out, olen);
        (void)regpath_hash(out, olen);
    }
    return 0;
}
