/* libFuzzer target: registry name resolution; a resolved name resolves to
 * itself, and its private name maps back to it; following the links of a
 * small table stays in bounds and settles (a second pass changes nothing). */
#include "regpath.h"

#include <stdlib.h>
#include <string.h>

#define U(s) (const uint16_t *)u##s, sizeof(u##s) / 2 - 1
static const regpath_link links[] = {
    { U("\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet"), U("\\REGISTRY\\MACHINE\\System\\ControlSet001") },
    { U("\\REGISTRY\\USER\\S\\Software\\Classes"), U("\\REGISTRY\\USER\\S_Classes") },
    { U("\\REGISTRY\\MACHINE\\a"), U("\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\b\\c") },
};

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
        size_t cap = in[0] % 8192 + 1, flen = 0, glen = 0;
        unsigned rw = 0;
        int open_link = n > 1 && (in[1] & 1);
        int fk = regpath_follow_links(links, 3, out, olen, open_link, again, cap, &flen, &rw);
        if (flen > cap || (fk == RP_INVALID && flen))
            abort();
        if (fk != RP_INVALID && !open_link) {
            static uint16_t third[8192];
            if (regpath_follow_links(links, 3, again, flen, 0, third, 8192, &glen, &rw) != fk ||
                rw != 0 || glen != flen || memcmp(third, again, flen * 2))
                abort();
        }
    }
    return 0;
}
