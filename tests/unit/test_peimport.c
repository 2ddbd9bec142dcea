/* Unit tests of the import-table injection block (src/core/peimport.c). */
#include "boot.h"

#include <stdio.h>
#include <string.h>

static int passed, failed;
#define T(cond) do { if (cond) passed++; else { failed++; \
    printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

static pe_import_desc desc_at(const uint8_t *p)
{
    pe_import_desc d;
    memcpy(&d, p, sizeof d);
    return d;
}

int main(void)
{
    /* Two original descriptors, then the zero one, then junk. */
    pe_import_desc orig[4] = {
        { 0x2000, 0, 0, 0x2100, 0x3000 },
        { 0x2040, 0, 0, 0x2110, 0x3040 },
        { 0, 0, 0, 0, 0 },
        { 1, 2, 3, 4, 5 },
    };
    T(peimport_count((const uint8_t *)orig, sizeof orig) == 2);
    T(peimport_count((const uint8_t *)orig, 2 * sizeof orig[0] + 10) == 2);
    T(peimport_count((const uint8_t *)orig, sizeof orig[0] + 19) == 1);
    T(peimport_count((const uint8_t *)orig, 0) == 0);

    plume_boot boot;
    memset(&boot, 0, sizeof boot);
    boot.vm_name[0] = 'a';
    boot.orig_import_rva = 0x1234;
    static uint8_t out[8192];
    uint32_t dsize = 0;
    const uint32_t rva = 0x40000;
    const char *layer = "C:\\Plume\\plume_layer.dll";
    size_t len = peimport_build((const uint8_t *)orig, sizeof orig, rva, &boot, layer, out,
                                sizeof out, &dsize);
    T(len > PLUME_BOOT_DESC_OFFSET);
    plume_boot b;
    memcpy(&b, out, sizeof b);
    T(b.magic == PLUME_BOOT_MAGIC);
    T(b.version == PLUME_BOOT_VERSION);
    T(b.size == sizeof b);
    T(b.vm_name[0] == 'a' && b.orig_import_rva == 0x1234);
    T(dsize == 4 * sizeof(pe_import_desc));
    T(PLUME_BOOT_DESC_OFFSET % 16 == 0 && PLUME_BOOT_DESC_OFFSET >= sizeof(plume_boot));

    const uint8_t *descs = out + PLUME_BOOT_DESC_OFFSET;
    pe_import_desc first = desc_at(descs);
    /* The layer's descriptor comes first; its name and thunks are in the block. */
    T(first.name >= rva && first.name < rva + len);
    T(strcmp((const char *)out + (first.name - rva), layer) == 0);
    T(first.original_first_thunk != first.first_thunk);
    uint64_t ilt, iat, ilt_end, iat_end;
    memcpy(&ilt, out + (first.original_first_thunk - rva), 8);
    memcpy(&iat, out + (first.first_thunk - rva), 8);
    memcpy(&ilt_end, out + (first.original_first_thunk - rva) + 8, 8);
    memcpy(&iat_end, out + (first.first_thunk - rva) + 8, 8);
    T(ilt == (0x8000000000000000ull | 1) && iat == ilt);
    T(ilt_end == 0 && iat_end == 0);
    /* Then the originals, unchanged, then a zero descriptor. */
    pe_import_desc d1 = desc_at(descs + 20), d2 = desc_at(descs + 40), d3 = desc_at(descs + 60);
    T(memcmp(&d1, &orig[0], sizeof d1) == 0);
    T(memcmp(&d2, &orig[1], sizeof d2) == 0);
    T(d3.name == 0 && d3.first_thunk == 0 && d3.original_first_thunk == 0);
    T(peimport_count(descs, dsize) == 3);
    /* Thunk arrays and name do not overlap the descriptors. */
    T(first.original_first_thunk - rva >= PLUME_BOOT_DESC_OFFSET + dsize);

    /* An image with no imports. */
    len = peimport_build(NULL, 0, rva, &boot, layer, out, sizeof out, &dsize);
    T(len > 0 && dsize == 2 * sizeof(pe_import_desc));

    /* Refusals: too small a buffer, empty or overlong path, RVA overflow. */
    T(peimport_build((const uint8_t *)orig, sizeof orig, rva, &boot, layer, out, 100, &dsize) == 0);
    T(peimport_build((const uint8_t *)orig, sizeof orig, rva, &boot, "", out, sizeof out, &dsize) == 0);
    char longp[PLUME_BOOT_PATH + 10];
    memset(longp, 'x', sizeof longp - 1);
    longp[sizeof longp - 1] = 0;
    T(peimport_build((const uint8_t *)orig, sizeof orig, rva, &boot, longp, out, sizeof out, &dsize) == 0);
    T(peimport_build((const uint8_t *)orig, sizeof orig, 0xFFFFFF00u, &boot, layer, out, sizeof out, &dsize) == 0);

    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
