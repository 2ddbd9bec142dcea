/* Unit tests of the failure actions (src/core/svcfail.c): the registry
 * value's layout, the choice of the action (first, second, later
 * failures; the reset period), and malformed values (any input). */
#include "svcfail.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

int main(void)
{
    unit_ctx = "format and parse";
    svcfail_action a[3] = { { 1, 500 }, { 1, 2000 }, { 0, 0 } }, b[8];
    uint8_t v[256];
    size_t n = svcfail_format(86400, a, 3, v, sizeof v);
    CHECK_EQ_INT(n, 44);
    static const uint8_t head[20] = { 0x80, 0x51, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0,
                                      20, 0, 0, 0 };
    CHECK_MEM(v, head, 20);
    uint32_t reset, count;
    CHECK_EQ_INT(svcfail_parse(v, n, &reset, b, 8, &count), 0);
    CHECK_EQ_INT(reset, 86400);
    CHECK_EQ_INT(count, 3);
    CHECK_EQ_INT(b[1].type, 1);
    CHECK_EQ_INT(b[1].delay, 2000);
    CHECK_EQ_INT(svcfail_format(0, a, 3, v, 43), 0);
    /* No actions. */
    n = svcfail_format(60, a, 0, v, sizeof v);
    CHECK_EQ_INT(svcfail_parse(v, n, &reset, b, 8, &count), 0);
    CHECK_EQ_INT(count, 0);
    CHECK_EQ_INT(reset, 60);

    unit_ctx = "malformed";
    n = svcfail_format(1, a, 3, v, sizeof v);
    CHECK_EQ_INT(svcfail_parse(v, 19, &reset, b, 8, &count), -1);
    CHECK_EQ_INT(svcfail_parse(v, n - 1, &reset, b, 8, &count), -1);
    v[12] = 200; /* count beyond the value */
    CHECK_EQ_INT(svcfail_parse(v, n, &reset, b, 8, &count), -1);
    v[12] = 3;
    v[20] = 9; /* unknown action type */
    CHECK_EQ_INT(svcfail_parse(v, n, &reset, b, 8, &count), -1);
    CHECK_EQ_INT(count, 0);
    srand(2);
    for (int it = 0; it < 20000; it++) {
        size_t len = (size_t)rand() % 64;
        uint8_t *r = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++)
            r[i] = (uint8_t)(rand() % 4 == 0 ? rand() : rand() % 24);
        if (svcfail_parse(r, len, &reset, b, 8, &count) == 0)
            CHECK(count <= 8);
        free(r);
    }

    unit_ctx = "next action";
    uint32_t fails = 0;
    uint64_t last = 0;
    CHECK_EQ_INT(svcfail_next(60, 3, &fails, &last, 1000), 0);
    CHECK_EQ_INT(svcfail_next(60, 3, &fails, &last, 2000), 1);
    CHECK_EQ_INT(svcfail_next(60, 3, &fails, &last, 3000), 2);
    CHECK_EQ_INT(svcfail_next(60, 3, &fails, &last, 4000), 2); /* later: the last */
    CHECK_EQ_INT(fails, 4);
    /* The reset period passed since the last failure: first again. */
    CHECK_EQ_INT(svcfail_next(60, 3, &fails, &last, 4000 + 60000), 0);
    CHECK_EQ_INT(fails, 1);
    /* INFINITE never resets. */
    fails = 0, last = 0;
    svcfail_next(SVCFAIL_INFINITE, 2, &fails, &last, 5);
    CHECK_EQ_INT(svcfail_next(SVCFAIL_INFINITE, 2, &fails, &last, 5 + 999999999ull), 1);
    /* No actions: none, but the count goes on. */
    fails = 0, last = 0;
    CHECK_EQ_INT(svcfail_next(0, 0, &fails, &last, 10), -1);
    CHECK_EQ_INT(fails, 1);
    /* A reset period of 0: every failure is a first one. */
    CHECK_EQ_INT(svcfail_next(0, 2, &fails, &last, 20), 0);
    CHECK_EQ_INT(svcfail_next(0, 2, &fails, &last, 20), 0);
    return UNIT_REPORT();
}
