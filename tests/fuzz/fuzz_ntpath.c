/* libFuzzer target: NT path canonicalization and joining; the canonical
 * form is a fixed point (canonicalizing it again gives itself). */
#include "ntpath.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint16_t in[4096], out[8192], again[8192], joined[8192];
    size_t n = size / 2 > 4096 ? 4096 : size / 2;
    memcpy(in, data, n * 2);
    static ntp_volmap vm;
    if (!vm.dev_len[2]) {
        static const char dev[] = "\\Device\\HarddiskVolume1";
        for (size_t i = 0; dev[i]; i++)
            vm.dev[2][i] = (uint16_t)dev[i];
        vm.dev_len[2] = sizeof dev - 1;
    }
    size_t olen = 0, plen = 0;
    int kind = ntp_canon(in, n, &vm, out, 8192, &olen, &plen);
    if ((kind == NTP_DISK || kind == NTP_VOLUME) && olen <= 8192) {
        if (plen > olen)
            abort();
        size_t alen = 0, aplen = 0;
        int k2 = ntp_canon(out, olen, &vm, again, 8192, &alen, &aplen);
        if (k2 != kind || alen != olen || memcmp(again, out, olen * 2))
            abort();
        size_t half = n / 2, jlen = 0, jplen = 0;
        (void)ntp_join(out, olen, in + half, n - half, &vm, joined, 8192, &jlen, &jplen);
    }
    (void)ntp_match(in, n / 2, in + n / 2, n - n / 2);
    return 0;
}
