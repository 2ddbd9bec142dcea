/* Unit tests of src/core/forigin.c (origin records). */
#include "unit.h"
#include "forigin.h"

int main(void)
{
    uint8_t r[FOR_SIZE];
    unit_ctx = "encode";
    for_encode(r, 0x01D9A1B2C3D4E5F6LL, 10);
    static const uint8_t want[FOR_SIZE] = { 'P', 'L', 'O', 'R', 1, 0, 0, 0,
                                            0xF6, 0xE5, 0xD4, 0xC3, 0xB2, 0xA1, 0xD9, 0x01,
                                            10, 0, 0, 0, 0, 0, 0, 0 };
    CHECK_MEM(r, want, FOR_SIZE);

    unit_ctx = "round trip";
    int64_t t = 0, s = 0;
    CHECK_EQ_INT(for_decode(r, FOR_SIZE, &t, &s), 1);
    CHECK_EQ_U64(t, 0x01D9A1B2C3D4E5F6ULL);
    CHECK_EQ_INT(s, 10);
    for_encode(r, -1, 0x7FFFFFFFFFFFFFFFLL);
    CHECK_EQ_INT(for_decode(r, FOR_SIZE, &t, &s), 1);
    CHECK_EQ_INT(t, -1);
    CHECK_EQ_U64(s, 0x7FFFFFFFFFFFFFFFULL);
    CHECK_EQ_INT(for_decode(r, FOR_SIZE, NULL, NULL), 1);

    unit_ctx = "not a record";
    CHECK_EQ_INT(for_decode(r, 0, &t, &s), 0);      /* an empty marker */
    CHECK_EQ_INT(for_decode(r, 23, &t, &s), 0);     /* torn */
    CHECK_EQ_INT(for_decode(r, 25, &t, &s), 0);     /* longer */
    CHECK_EQ_INT(for_decode(NULL, 24, &t, &s), 0);
    for (int i = 0; i < 8; i++) {
        uint8_t b[FOR_SIZE];
        memcpy(b, r, FOR_SIZE);
        b[i] ^= 0x20;
        CHECK_EQ_INT(for_decode(b, FOR_SIZE, &t, &s), 0); /* magic, version */
    }
    /* every byte string of the right size either decodes the same values
     * it encodes, or is refused */
    uint32_t x = 12345;
    for (int k = 0; k < 10000; k++) {
        uint8_t b[FOR_SIZE];
        for (int i = 0; i < FOR_SIZE; i++) {
            x = x * 1103515245u + 12345u;
            b[i] = (uint8_t)(x >> 16);
        }
        if (k & 1)
            memcpy(b, "PLOR\1\0\0\0", 8);
        if (for_decode(b, FOR_SIZE, &t, &s)) {
            uint8_t c[FOR_SIZE];
            for_encode(c, t, s);
            CHECK_MEM(c, b, FOR_SIZE);
        }
    }
    return UNIT_REPORT();
}
