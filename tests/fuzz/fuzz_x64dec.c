/* libFuzzer target: the x86-64 length decoder never reads past its input
 * and returns a length within bounds. */
#include "x64dec.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        x64_insn in;
        int n = x64_decode(data + off, size - off, &in);
        if (n < 0 || n > 15 || (size_t)n > size - off)
            abort();
        if (n == 0)
            off++;
        else
            off += (size_t)n;
    }
    return 0;
}
