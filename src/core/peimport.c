/* Import-table injection: the pure part (see boot.h). */
#include "boot.h"

#include <string.h>

size_t peimport_count(const uint8_t *dir, size_t size)
{
    size_t n = 0;
    while ((n + 1) * sizeof(pe_import_desc) <= size) {
        pe_import_desc d;
        memcpy(&d, dir + n * sizeof d, sizeof d);
        if (d.name == 0)
            break;
        n++;
    }
    return n;
}

size_t peimport_build(const uint8_t *dir, size_t dir_size, uint32_t block_rva,
                      const plume_boot *boot, const char *layer_ansi,
                      uint8_t *out, size_t cap, uint32_t *desc_size)
{
    size_t name_len = strlen(layer_ansi);
    if (name_len == 0 || name_len >= PLUME_BOOT_PATH)
        return 0;
    size_t n = peimport_count(dir, dir_size);
    size_t descs = PLUME_BOOT_DESC_OFFSET;
    size_t descs_len = (n + 2) * sizeof(pe_import_desc);
    size_t ilt = (descs + descs_len + 15u) & ~(size_t)15u;
    size_t iat = ilt + 16;
    size_t name = iat + 16;
    size_t total = name + name_len + 1;
    if (total > cap || (uint64_t)block_rva + total > UINT32_MAX)
        return 0;

    memset(out, 0, total);
    plume_boot b = *boot;
    b.magic = PLUME_BOOT_MAGIC;
    b.version = PLUME_BOOT_VERSION;
    b.size = (uint32_t)sizeof b;
    memcpy(out, &b, sizeof b);

    pe_import_desc layer = {
        .original_first_thunk = block_rva + (uint32_t)ilt,
        .name = block_rva + (uint32_t)name,
        .first_thunk = block_rva + (uint32_t)iat,
    };
    memcpy(out + descs, &layer, sizeof layer);
    if (n)
        memcpy(out + descs + sizeof layer, dir, n * sizeof(pe_import_desc));
    /* Import by ordinal 1; each thunk array ends with a zero entry. */
    uint64_t by_ordinal = 0x8000000000000000ull | 1u;
    memcpy(out + ilt, &by_ordinal, sizeof by_ordinal);
    memcpy(out + iat, &by_ordinal, sizeof by_ordinal);
    memcpy(out + name, layer_ansi, name_len + 1);
    *desc_size = (uint32_t)descs_len;
    return total;
}
