/* Unit tests of dependency ordering (src/core/svcdeps.c). */
#include "svcdeps.h"
#include "unit.h"

static long pos(const uint32_t *order, long n, uint32_t v)
{
    for (long i = 0; i < n; i++)
        if (order[i] == v)
            return i;
    return -1;
}

int main(void)
{
    uint8_t work[16];
    uint32_t order[16], stack[16], cyc = 99;

    unit_ctx = "chain";
    /* 0 depends on 1, 1 on 2; 3 depends on 1 and 2; 4 alone. */
    const uint32_t first[] = { 0, 1, 2, 2, 4, 4 };
    const uint32_t idx[] = { 1, 2, 1, 2 };
    svcdeps_graph g = { 5, first, idx };
    uint32_t root = 0;
    long n = svcdeps_start_order(&g, &root, 1, order, 16, work, &cyc);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(order[0], 2);
    CHECK_EQ_INT(order[1], 1);
    CHECK_EQ_INT(order[2], 0);

    unit_ctx = "several roots, each once";
    uint32_t roots[] = { 3, 0, 4 };
    n = svcdeps_start_order(&g, roots, 3, order, 16, work, &cyc);
    CHECK_EQ_INT(n, 5);
    CHECK(pos(order, n, 2) < pos(order, n, 1));
    CHECK(pos(order, n, 1) < pos(order, n, 3));
    CHECK(pos(order, n, 1) < pos(order, n, 0));
    CHECK(pos(order, n, 4) >= 0);

    unit_ctx = "cap";
    CHECK_EQ_INT(svcdeps_start_order(&g, &root, 1, order, 2, work, &cyc), -2);

    unit_ctx = "dependents in stop order";
    n = svcdeps_dependents(&g, 2, order, 16, work, stack);
    CHECK_EQ_INT(n, 3);
    CHECK(pos(order, n, 0) < pos(order, n, 1));
    CHECK(pos(order, n, 3) < pos(order, n, 1));
    n = svcdeps_dependents(&g, 4, order, 16, work, stack);
    CHECK_EQ_INT(n, 0);
    n = svcdeps_dependents(&g, 0, order, 16, work, stack);
    CHECK_EQ_INT(n, 0);

    unit_ctx = "cycle";
    /* 0 -> 1 -> 2 -> 0, 3 -> 0 */
    const uint32_t cf[] = { 0, 1, 2, 3, 4 };
    const uint32_t ci[] = { 1, 2, 0, 0 };
    svcdeps_graph c = { 4, cf, ci };
    root = 3;
    cyc = 99;
    CHECK_EQ_INT(svcdeps_start_order(&c, &root, 1, order, 16, work, &cyc), -1);
    CHECK(cyc <= 2);
    /* a self-dependency */
    const uint32_t sf[] = { 0, 1 };
    const uint32_t si[] = { 0 };
    svcdeps_graph s = { 1, sf, si };
    root = 0;
    CHECK_EQ_INT(svcdeps_start_order(&s, &root, 1, order, 16, work, &cyc), -1);
    /* dependents of a cycle member terminate */
    n = svcdeps_dependents(&c, 0, order, 16, work, stack);
    CHECK_EQ_INT(n, 3);

    unit_ctx = "unknown targets ignored";
    const uint32_t uf[] = { 0, 2 };
    const uint32_t ui[] = { 7, 0xffffffffu };
    svcdeps_graph u = { 1, uf, ui };
    root = 0;
    CHECK_EQ_INT(svcdeps_start_order(&u, &root, 1, order, 16, work, &cyc), 1);

    unit_ctx = "a long chain";
    static uint32_t lf[2001], li[2000], lo[2000];
    static uint8_t lw[2000];
    for (uint32_t i = 0; i < 2000; i++) {
        lf[i] = i;
        li[i] = i + 1; /* the last one points past n: ignored */
    }
    lf[2000] = 2000;
    svcdeps_graph l = { 2000, lf, li };
    root = 0;
    CHECK_EQ_INT(svcdeps_start_order(&l, &root, 1, lo, 2000, lw, &cyc), 2000);
    CHECK_EQ_INT(lo[0], 1999);
    CHECK_EQ_INT(lo[1999], 0);
    return UNIT_REPORT();
}
