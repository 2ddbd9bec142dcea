/* Shared by the benchmarks: median, min and max of a sample, and the
 * machine-readable result line bench/run collects:
 *   R KEY MEDIAN MIN MAX N
 * (KEY: [a-z0-9_.]; the unit is part of the key's meaning, see bench/run). */
#ifndef PLUME_BENCH_STATS_H
#define PLUME_BENCH_STATS_H
#include <stdio.h>
#include <stdlib.h>

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v in place. */
static double bench_median(double *v, int n)
{
    if (n < 1)
        return -1;
    qsort(v, (size_t)n, sizeof v[0], bench_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Prints "R key median min max n" (sorts v). Returns the median. */
static double bench_result(const char *key, double *v, int n)
{
    double m = bench_median(v, n);
    if (n > 0)
        printf("R %s %.4f %.4f %.4f %d\n", key, m, v[0], v[n - 1], n);
    fflush(stdout);
    return m;
}
#endif
