/* Unit tests of the service protocol (src/core/scmproto.c): round trips of
 * every field kind, and the decoder's refusal of malformed input (it is
 * fuzzed too: every truncation and many byte flips of a valid message must
 * decode or fail cleanly under ASan/UBSan). */
#include "scmproto.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void w16(uint16_t *d, const char *s)
{
    while ((*d++ = (unsigned char)*s++) != 0)
        ;
}

static int eq(const uint16_t *a, const char *b)
{
    if (!a)
        return 0;
    for (; *a && *b; a++, b++)
        if (*a != (unsigned char)*b)
            return 0;
    return *a == 0 && *b == 0;
}

static _Alignas(8) uint8_t buf[8192];

static size_t sample(void)
{
    uint16_t name[32], disp[32], path[64], deps[32];
    w16(name, "svc_basic");
    w16(disp, "Basic Service");
    w16(path, "C:\\x\\svc_basic.exe log");
    /* "a\0b\0\0" */
    deps[0] = 'a'; deps[1] = 0; deps[2] = 'b'; deps[3] = 0; deps[4] = 0;
    scm_writer w;
    scm_begin(&w, buf, sizeof buf, SCM_OP_CREATE, 0);
    scm_put_u32(&w, SCM_F_HANDLE, 7);
    scm_put_str(&w, SCM_F_NAME, name);
    scm_put_str(&w, SCM_F_DISPLAY, disp);
    scm_put_str(&w, SCM_F_PATH, path);
    scm_put_msz(&w, SCM_F_DEPS, deps);
    scm_put_u32(&w, SCM_F_START, 3);
    scm_status st = { 0x10, 4, 7, 0, 0, 1, 2000, 1234, 0 };
    scm_put_status(&w, &st);
    scm_entries_begin(&w);
    scm_put_entry(&w, name, disp, &st);
    st.state = 1;
    scm_put_entry(&w, deps, NULL, &st);
    scm_entries_end(&w);
    const uint32_t pairs[6] = { 1, 500, 1, 1000, 0, 0 };
    scm_put_actions(&w, 86400, 3, pairs);
    scm_put_bytes(&w, SCM_F_SD, "\1\0\4\x80", 5);
    scm_put_u32(&w, SCM_F_SEQ, 9);
    return scm_end(&w);
}

int main(void)
{
    unit_ctx = "round trip";
    size_t n = sample();
    CHECK(n > SCM_HEADER);
    CHECK_EQ_INT(n % 4, 0);
    CHECK_EQ_INT(scm_peek_length(buf, n), n);
    scm_msg m;
    CHECK_EQ_INT(scm_decode(buf, n, &m), 0);
    CHECK_EQ_INT(m.op, SCM_OP_CREATE);
    CHECK_EQ_INT(m.handle, 7);
    CHECK_EQ_INT(m.start, 3);
    CHECK(SCM_HAS(&m, START) && SCM_HAS(&m, NAME) && !SCM_HAS(&m, TYPE));
    CHECK(eq(m.name, "svc_basic"));
    CHECK(eq(m.display, "Basic Service"));
    CHECK(eq(m.path, "C:\\x\\svc_basic.exe log"));
    CHECK(m.group == NULL);
    CHECK(m.deps && eq(m.deps, "a") && eq(m.deps + 2, "b") && m.deps[4] == 0);
    CHECK_EQ_INT(scm_msz_len(m.deps), 5);
    CHECK_EQ_INT(m.status.wait_hint, 2000);
    CHECK_EQ_INT(m.status.pid, 1234);
    CHECK_EQ_INT(m.n_entries, 2);
    scm_entry e;
    uint32_t off = 0;
    CHECK_EQ_INT(scm_next_entry(&m, &off, &e), 0);
    CHECK(eq(e.name, "svc_basic") && eq(e.display, "Basic Service"));
    CHECK_EQ_INT(e.status.state, 4);
    CHECK_EQ_INT(scm_next_entry(&m, &off, &e), 0);
    CHECK(eq(e.name, "a") && eq(e.display, ""));
    CHECK_EQ_INT(e.status.state, 1);
    CHECK_EQ_INT(scm_next_entry(&m, &off, &e), -1);

    unit_ctx = "empty multi-string and reply";
    scm_writer w;
    scm_begin(&w, buf, sizeof buf, SCM_OP_START, 1056);
    scm_put_msz(&w, SCM_F_ARGS, NULL);
    n = scm_end(&w);
    CHECK_EQ_INT(scm_decode(buf, n, &m), 0);
    CHECK_EQ_INT(m.err, 1056);
    CHECK(m.args && m.args[0] == 0);

    unit_ctx = "too small a buffer";
    scm_begin(&w, buf, 40, SCM_OP_OPEN, 0);
    uint16_t longname[64];
    w16(longname, "a-name-that-does-not-fit-in-forty-bytes");
    scm_put_str(&w, SCM_F_NAME, longname);
    CHECK_EQ_INT(scm_end(&w), 0);
    scm_begin(&w, buf, 8, SCM_OP_OPEN, 0);
    CHECK_EQ_INT(scm_end(&w), 0);

    unit_ctx = "malformed";
    n = sample();
    static _Alignas(8) uint8_t copy[8192];
    memcpy(copy, buf, n);
    copy[0] ^= 1; /* magic */
    CHECK_EQ_INT(scm_decode(copy, n, &m), -1);
    memcpy(copy, buf, n);
    CHECK_EQ_INT(scm_decode(copy, n - 4, &m), -1); /* length disagrees */
    CHECK_EQ_INT(scm_decode(copy + 4, n - 4, &m), -1);
    /* A duplicated field. */
    scm_begin(&w, buf, sizeof buf, SCM_OP_OPEN, 0);
    scm_put_u32(&w, SCM_F_HANDLE, 1);
    scm_put_u32(&w, SCM_F_HANDLE, 2);
    n = scm_end(&w);
    CHECK_EQ_INT(scm_decode(buf, n, &m), -1);
    /* An unknown field is skipped. */
    scm_begin(&w, buf, sizeof buf, SCM_OP_OPEN, 0);
    scm_put_u32(&w, 999, 1);
    scm_put_u32(&w, SCM_F_HANDLE, 2);
    n = scm_end(&w);
    CHECK_EQ_INT(scm_decode(buf, n, &m), 0);
    CHECK_EQ_INT(m.handle, 2);
    /* A string without its terminator; one with an inner 0. */
    scm_begin(&w, buf, sizeof buf, SCM_OP_OPEN, 0);
    scm_put_str(&w, SCM_F_NAME, longname);
    n = scm_end(&w);
    memcpy(copy, buf, n);
    copy[24 + 2 * 5] = 0;
    copy[24 + 2 * 5 + 1] = 0;
    CHECK_EQ_INT(scm_decode(copy, n, &m), -1);
    memcpy(copy, buf, n);
    size_t last = 24 + 2 * scm_wlen(longname);
    copy[last] = 'x';
    CHECK_EQ_INT(scm_decode(copy, n, &m), -1);
    /* A u32 field with the wrong size. */
    memcpy(copy, buf, n);
    scm_begin(&w, copy, sizeof copy, SCM_OP_OPEN, 0);
    scm_put_u32(&w, SCM_F_HANDLE, 2);
    n = scm_end(&w);
    copy[20] = 8;
    CHECK_EQ_INT(scm_decode(copy, n, &m), -1);
    /* Unaligned buffers are refused. */
    n = sample();
    memcpy(copy + 2, buf, n);
    CHECK_EQ_INT(scm_decode(copy + 2, n, &m), -1);

    unit_ctx = "fuzz: truncations and flips";
    n = sample();
    int crashes_would_show = 0;
    for (size_t cut = 0; cut < n; cut++) {
        memcpy(copy, buf, n);
        /* Keep the header length consistent with the cut. */
        uint32_t c = (uint32_t)cut;
        copy[4] = (uint8_t)c; copy[5] = (uint8_t)(c >> 8); copy[6] = 0; copy[7] = 0;
        uint8_t *h = malloc(cut ? cut : 1);
        memcpy(h, copy, cut);
        if (scm_decode(h, cut, &m) == 0) {
            uint32_t o = 0;
            scm_entry en;
            while (scm_next_entry(&m, &o, &en) == 0)
                crashes_would_show++;
        }
        free(h);
    }
    srand(1);
    int decoded = 0;
    for (int it = 0; it < 20000; it++) {
        memcpy(copy, buf, n);
        int flips = 1 + rand() % 4;
        for (int k = 0; k < flips; k++) {
            size_t at = 8 + (size_t)rand() % (n - 8);
            copy[at] = (uint8_t)rand();
        }
        uint8_t *h = malloc(n);
        memcpy(h, copy, n);
        if (scm_decode(h, n, &m) == 0) {
            decoded++;
            uint32_t o = 0;
            scm_entry en;
            while (scm_next_entry(&m, &o, &en) == 0)
                if (en.name)
                    (void)scm_wlen(en.name);
            if (m.name)
                (void)scm_wlen(m.name);
            if (m.deps)
                (void)scm_msz_len(m.deps);
        }
        free(h);
    }
    CHECK(decoded > 0 && decoded < 20000);
    (void)crashes_would_show;

    unit_ctx = "failure actions and bytes";
    n = sample();
    CHECK_EQ_INT(scm_decode(buf, n, &m), 0);
    CHECK_EQ_INT(m.fa_reset, 86400);
    CHECK_EQ_INT(m.fa_count, 3);
    uint32_t ty, de;
    scm_action(&m, 1, &ty, &de);
    CHECK_EQ_INT(ty, 1);
    CHECK_EQ_INT(de, 1000);
    scm_action(&m, 3, &ty, &de); /* out of range: zeros */
    CHECK_EQ_INT(ty, 0);
    CHECK_EQ_INT(m.sd_size, 5);
    CHECK_EQ_INT(m.seq, 9);
    CHECK(SCM_HAS(&m, SEQ) && SCM_HAS(&m, ACTIONS) && SCM_HAS(&m, SD));
    /* Too many actions, or a count that does not match the size. */
    uint32_t many[2 * (SCM_MAX_ACTIONS + 1)] = { 0 };
    scm_begin(&w, copy, sizeof copy, SCM_OP_CHANGE_CONFIG, 0);
    scm_put_actions(&w, 0, SCM_MAX_ACTIONS + 1, many);
    CHECK_EQ_INT(scm_end(&w), 0);
    scm_begin(&w, copy, sizeof copy, SCM_OP_CHANGE_CONFIG, 0);
    scm_put_actions(&w, 0, 2, many);
    n = scm_end(&w);
    CHECK(n > 0);
    copy[SCM_HEADER + 12] = 3; /* count 3 in a field sized for 2 */
    CHECK_EQ_INT(scm_decode(copy, n, &m), -1);

    unit_ctx = "security descriptors, wait, lock";
    /* SET_SD: handle, flags (SECURITY_INFORMATION), the descriptor's bytes. */
    static const uint8_t sd[20] = { 1, 0, 4, 0x80 };
    scm_begin(&w, copy, sizeof copy, SCM_OP_SET_SD, 0);
    scm_put_u32(&w, SCM_F_HANDLE, 7);
    scm_put_u32(&w, SCM_F_FLAGS, 4 /* DACL_SECURITY_INFORMATION */);
    scm_put_bytes(&w, SCM_F_SD, sd, sizeof sd);
    n = scm_end(&w);
    CHECK(n > 0);
    CHECK_EQ_INT(scm_decode(copy, n, &m), 0);
    CHECK_EQ_INT(m.op, SCM_OP_SET_SD);
    CHECK_EQ_INT(m.flags, 4);
    CHECK_EQ_INT(m.sd_size, sizeof sd);
    CHECK(m.sd && memcmp(m.sd, sd, sizeof sd) == 0);
    /* An oversized descriptor is refused. */
    static uint8_t big[SCM_MAX_SD + 4];
    uint8_t *huge = malloc(SCM_MAX_SD + 64);
    CHECK(huge != NULL);
    if (huge) {
        scm_begin(&w, huge, SCM_MAX_SD + 64, SCM_OP_SET_SD, 0);
        scm_put_bytes(&w, SCM_F_SD, big, sizeof big);
        n = scm_end(&w);
        CHECK(n > 0);
        CHECK_EQ_INT(scm_decode(huge, n, &m), -1);
        free(huge);
    }
    /* WAIT's reply: status, seq, state; QUERY_SD and the lock ops are new numbers. */
    scm_status st = { 0x10, 4, 1, 0, 0, 0, 0, 1234, 0 };
    scm_begin(&w, copy, sizeof copy, SCM_OP_WAIT, 0);
    scm_put_status(&w, &st);
    scm_put_u32(&w, SCM_F_SEQ, 41);
    scm_put_u32(&w, SCM_F_STATE, 0x200);
    n = scm_end(&w);
    CHECK_EQ_INT(scm_decode(copy, n, &m), 0);
    CHECK_EQ_INT(m.status.state, 4);
    CHECK_EQ_INT(m.status.pid, 1234);
    CHECK_EQ_INT(m.seq, 41);
    CHECK_EQ_INT(m.state, 0x200);
    CHECK(SCM_OP_LOCK_STATUS < SCM_OP_QUERY_SD && SCM_OP_QUERY_SD < SCM_OP_SET_SD &&
          SCM_OP_SET_SD < SCM_OP_MAX);

    unit_ctx = "enum group, lock owner";
    /* ENUM's group: "" (no group) is a string of its own 0 alone; absent = all. */
    static const uint16_t empty_group[1] = { 0 };
    scm_begin(&w, copy, sizeof copy, SCM_OP_ENUM, 0);
    scm_put_u32(&w, SCM_F_HANDLE, 1);
    scm_put_str(&w, SCM_F_GROUP, empty_group);
    n = scm_end(&w);
    CHECK_EQ_INT(scm_decode(copy, n, &m), 0);
    CHECK(SCM_HAS(&m, GROUP) && m.group && m.group[0] == 0);
    scm_begin(&w, copy, sizeof copy, SCM_OP_ENUM, 0);
    scm_put_u32(&w, SCM_F_HANDLE, 1);
    scm_put_str(&w, SCM_F_GROUP, NULL);
    n = scm_end(&w);
    CHECK_EQ_INT(scm_decode(copy, n, &m), 0);
    CHECK(!SCM_HAS(&m, GROUP) && m.group == NULL);
    /* LOCK carries the owner's pid. */
    scm_begin(&w, copy, sizeof copy, SCM_OP_LOCK, 0);
    scm_put_u32(&w, SCM_F_HANDLE, 1);
    scm_put_u32(&w, SCM_F_PID, 4242);
    n = scm_end(&w);
    CHECK_EQ_INT(scm_decode(copy, n, &m), 0);
    CHECK(SCM_HAS(&m, PID) && m.pid == 4242);

    /* WAIT on a manager handle: the reply's names, a multi-string ("/" = created). */
    uint16_t nm[32];
    w16(nm, "/t_new");
    w16(nm + 7, "t_old");
    nm[13] = 0;
    scm_begin(&w, copy, sizeof copy, SCM_OP_WAIT, 0);
    scm_put_msz(&w, SCM_F_NAMES, nm);
    scm_put_u32(&w, SCM_F_SEQ, 9);
    scm_put_u32(&w, SCM_F_STATE, 0x180);
    n = scm_end(&w);
    CHECK_EQ_INT(scm_decode(copy, n, &m), 0);
    CHECK(SCM_HAS(&m, NAMES) && m.names != NULL);
    CHECK(m.names && eq(m.names, "/t_new") && eq(m.names + 7, "t_old") && m.names[13] == 0);
    CHECK_EQ_INT(scm_msz_len(m.names), 14);
    CHECK_EQ_INT(m.seq, 9);
    CHECK_EQ_INT(m.state, 0x180);
    /* A names field without its final empty string is refused. */
    scm_begin(&w, copy, sizeof copy, SCM_OP_WAIT, 0);
    scm_put_str(&w, SCM_F_NAMES, nm);
    n = scm_end(&w);
    CHECK_EQ_INT(scm_decode(copy, n, &m), -1);
    CHECK(SCM_F_NAMES < SCM_F_MAX && SCM_F_MAX <= 32);

    unit_ctx = "names";
    uint16_t a[16], b[16];
    w16(a, "Svc_Basic");
    w16(b, "svc_basic");
    CHECK(scm_wieq(a, b));
    w16(b, "svc_basi");
    CHECK(!scm_wieq(a, b));
    return UNIT_REPORT();
}
