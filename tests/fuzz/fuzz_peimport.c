/* libFuzzer target: the injected import block from arbitrary original
 * import directories. */
#include "boot.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[8192];
    plume_boot boot;
    memset(&boot, 0, sizeof boot);
    uint32_t dsize = 0;
    uint32_t rva = size >= 4 ? (uint32_t)data[0] << 16 | (uint32_t)data[1] << 8 : 0x1000;
    size_t n = peimport_build(data, size, rva, &boot, "C:\\p\\plume_layer.dll", out, sizeof out,
                              &dsize);
    if (n) {
        size_t count = peimport_count(data, size);
        if (dsize != (count + 2) * sizeof(pe_import_desc) || n > sizeof out)
            abort();
    }
    return 0;
}
