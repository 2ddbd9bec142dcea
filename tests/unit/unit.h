/* Tiny assertion helpers for the native unit tests.
 *
 * Each test program includes this once, calls the CHECK macros, and ends
 * main() with `return UNIT_REPORT();`, which prints "N passed, N failed"
 * and yields nonzero when anything failed. Set unit_ctx to a short label
 * (a test-case name) to have it printed with each failure. */
#ifndef PLUME_TESTS_UNIT_H
#define PLUME_TESTS_UNIT_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static int unit_passed;
static int unit_failed;
static const char *unit_ctx = "";

static inline void unit_fail_head(const char *file, int line)
{
    unit_failed++;
    printf("FAIL %s:%d [%s]: ", file, line, unit_ctx ? unit_ctx : "");
}

static inline void unit_dump(const char *label, const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    printf("    %s:", label);
    for (size_t i = 0; i < n; i++)
        printf(" %02x", b[i]);
    printf("\n");
}

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (cond) {                                                        \
            unit_passed++;                                                 \
        } else {                                                           \
            unit_fail_head(__FILE__, __LINE__);                            \
            printf("%s\n", #cond);                                         \
        }                                                                  \
    } while (0)

/* Like CHECK, with an extra context string printed on failure. */
#define CHECK_MSG(cond, msg)                                               \
    do {                                                                   \
        if (cond) {                                                        \
            unit_passed++;                                                 \
        } else {                                                           \
            unit_fail_head(__FILE__, __LINE__);                            \
            printf("%s (%s)\n", #cond, (msg));                             \
        }                                                                  \
    } while (0)

/* Integer equality; values are shown in decimal and hex. */
#define CHECK_EQ_INT(a, b)                                                 \
    do {                                                                   \
        long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);      \
        if (unit_a_ == unit_b_) {                                          \
            unit_passed++;                                                 \
        } else {                                                           \
            unit_fail_head(__FILE__, __LINE__);                            \
            printf("%s == %s: %lld (0x%llx) != %lld (0x%llx)\n", #a, #b,   \
                   unit_a_, (unsigned long long)unit_a_, unit_b_,          \
                   (unsigned long long)unit_b_);                           \
        }                                                                  \
    } while (0)

/* Unsigned 64-bit equality (addresses). */
#define CHECK_EQ_U64(a, b)                                                 \
    do {                                                                   \
        unsigned long long unit_a_ = (unsigned long long)(a);              \
        unsigned long long unit_b_ = (unsigned long long)(b);              \
        if (unit_a_ == unit_b_) {                                          \
            unit_passed++;                                                 \
        } else {                                                           \
            unit_fail_head(__FILE__, __LINE__);                            \
            printf("%s == %s: 0x%llx != 0x%llx\n", #a, #b, unit_a_,        \
                   unit_b_);                                               \
        }                                                                  \
    } while (0)

/* Byte-for-byte equality of n bytes; both buffers are dumped on failure. */
#define CHECK_MEM(a, b, n)                                                 \
    do {                                                                   \
        size_t unit_n_ = (n);                                              \
        if (memcmp((a), (b), unit_n_) == 0) {                              \
            unit_passed++;                                                 \
        } else {                                                           \
            unit_fail_head(__FILE__, __LINE__);                            \
            printf("%s == %s (%zu bytes)\n", #a, #b, unit_n_);             \
            unit_dump("got ", (a), unit_n_);                               \
            unit_dump("want", (b), unit_n_);                               \
        }                                                                  \
    } while (0)

#define CHECK_STR_NONEMPTY(s)                                              \
    CHECK((s) != NULL && (s)[0] != '\0')

/* Prints the summary line; use as `return UNIT_REPORT();`. */
#define UNIT_REPORT()                                                      \
    (printf("%d passed, %d failed\n", unit_passed, unit_failed),           \
     unit_failed != 0 ? 1 : 0)

#endif
