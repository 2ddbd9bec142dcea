/* Unit tests of the network namespace rules (src/core/netmap.c). */
#include "unit.h"
#include "netmap.h"

#include <stdint.h>

#define VM 0x7f000002u          /* 127.0.0.2 */
#define OTHER 0x7f000003u       /* 127.0.0.3: another VM */
#define ADAPTER 0x0a000007u     /* 10.0.0.7: an adapter's address */

typedef struct { uint8_t b[28]; } sa_t;

static sa_t v4(uint32_t ip, uint16_t port)
{
    sa_t s = { { 0 } };
    s.b[0] = NET_AF_INET;
    s.b[2] = (uint8_t)(port >> 8);
    s.b[3] = (uint8_t)port;
    s.b[4] = (uint8_t)(ip >> 24);
    s.b[5] = (uint8_t)(ip >> 16);
    s.b[6] = (uint8_t)(ip >> 8);
    s.b[7] = (uint8_t)ip;
    return s;
}

/* AF_INET6; last = 0 (::), 1 (::1); mapped: ::ffff:ip instead. */
static sa_t v6(int last, uint16_t port)
{
    sa_t s = { { 0 } };
    s.b[0] = NET_AF_INET6;
    s.b[2] = (uint8_t)(port >> 8);
    s.b[3] = (uint8_t)port;
    s.b[23] = (uint8_t)last;
    s.b[24] = 5; /* scope id, kept */
    return s;
}

static sa_t mapped(uint32_t ip, uint16_t port)
{
    sa_t s = v6(0, port);
    s.b[18] = s.b[19] = 0xff;
    s.b[20] = (uint8_t)(ip >> 24);
    s.b[21] = (uint8_t)(ip >> 16);
    s.b[22] = (uint8_t)(ip >> 8);
    s.b[23] = (uint8_t)ip;
    return s;
}

static void test_bind(void)
{
    unit_ctx = "bind";
    sa_t out, want;
    unsigned f;
    sa_t any = v4(0, 7000), lo = v4(NET_LOOPBACK, 7000);
    CHECK_EQ_INT(net_map_bind(VM, &any, 16, 0, &out, &f), NET_REWRITE);
    want = v4(VM, 7000);
    CHECK_MEM(out.b, want.b, 16);
    CHECK_EQ_INT(f, NET_F_ASK_ANY);
    CHECK_EQ_INT(net_map_bind(VM, &lo, 16, 0, &out, &f), NET_REWRITE);
    CHECK_MEM(out.b, want.b, 16);
    CHECK_EQ_INT(f, NET_F_ASK_LO);
    /* The VM's own address, and an outside address, pass. */
    sa_t own = v4(VM, 1), ext = v4(0xc0000202u, 1);
    CHECK_EQ_INT(net_map_bind(VM, &own, 16, 0, &out, &f), NET_PASS);
    CHECK_EQ_INT(f, 0);
    CHECK_EQ_INT(net_map_bind(VM, &ext, 16, 0, &out, &f), NET_PASS);
    /* Another VM's loopback address: refused. */
    sa_t oth = v4(OTHER, 7000);
    CHECK_EQ_INT(net_map_bind(VM, &oth, 16, 0, &out, &f), NET_REFUSE);
    /* A VM on an adapter address: loopback binds go to the adapter. */
    CHECK_EQ_INT(net_map_bind(ADAPTER, &lo, 16, 0, &out, &f), NET_REWRITE);
    want = v4(ADAPTER, 7000);
    CHECK_MEM(out.b, want.b, 16);
    /* Too short: passes (the system refuses it). */
    CHECK_EQ_INT(net_map_bind(VM, &any, 8, 0, &out, &f), NET_PASS);
    CHECK_EQ_INT(net_map_bind(VM, NULL, 0, 0, &out, &f), NET_PASS);
}

static void test_bind_v6(void)
{
    unit_ctx = "bind v6";
    sa_t out, want;
    unsigned f;
    sa_t any = v6(0, 7000), lo = v6(1, 7000);
    CHECK_EQ_INT(net_map_bind(VM, &any, 28, 0, &out, &f), NET_REFUSE);
    CHECK_EQ_INT(net_map_bind(VM, &lo, 28, 0, &out, &f), NET_REFUSE);
    CHECK_EQ_INT(net_map_bind(VM, &any, 28, 1, &out, &f), NET_REWRITE);
    want = mapped(VM, 7000);
    CHECK_MEM(out.b, want.b, 28);
    CHECK_EQ_INT(f, NET_F_ASK_ANY | NET_F_ASK_V6);
    CHECK_EQ_INT(net_map_bind(VM, &lo, 28, 1, &out, &f), NET_REWRITE);
    CHECK_EQ_INT(f, NET_F_ASK_LO | NET_F_ASK_V6);
    /* v4-mapped forms follow the IPv4 rules. */
    sa_t mlo = mapped(NET_LOOPBACK, 9);
    CHECK_EQ_INT(net_map_bind(VM, &mlo, 28, 1, &out, &f), NET_REWRITE);
    want = mapped(VM, 9);
    CHECK_MEM(out.b, want.b, 28);
    CHECK_EQ_INT(f, NET_F_ASK_LO);
    /* A global IPv6 address passes. */
    sa_t g = v6(0, 1);
    g.b[8] = 0x20;
    g.b[9] = 0x01;
    CHECK_EQ_INT(net_map_bind(VM, &g, 28, 0, &out, &f), NET_PASS);
}

static void test_connect(void)
{
    unit_ctx = "connect";
    sa_t out, want;
    unsigned f;
    int ab;
    sa_t lo = v4(NET_LOOPBACK, 7000);
    CHECK_EQ_INT(net_map_connect(VM, &lo, 16, 0, &out, &f, &ab), NET_REWRITE);
    want = v4(VM, 7000);
    CHECK_MEM(out.b, want.b, 16);
    CHECK_EQ_INT(f, NET_F_CONN_LO);
    CHECK_EQ_INT(ab, 1);
    sa_t own = v4(VM, 7000);
    CHECK_EQ_INT(net_map_connect(VM, &own, 16, 0, &out, &f, &ab), NET_PASS);
    CHECK_EQ_INT(f, NET_F_CONN_VM);
    CHECK_EQ_INT(ab, 1);
    /* Another VM: unchanged, but from our address. */
    sa_t oth = v4(OTHER, 7000);
    CHECK_EQ_INT(net_map_connect(VM, &oth, 16, 0, &out, &f, &ab), NET_PASS);
    CHECK_EQ_INT(f, 0);
    CHECK_EQ_INT(ab, 1);
    /* The outside: unchanged, source left to the system. */
    sa_t ext = v4(0x08080808u, 53);
    CHECK_EQ_INT(net_map_connect(VM, &ext, 16, 0, &out, &f, &ab), NET_PASS);
    CHECK_EQ_INT(ab, 0);
    /* On an adapter address, loopback goes to it; other loopback stays. */
    CHECK_EQ_INT(net_map_connect(ADAPTER, &lo, 16, 0, &out, &f, &ab), NET_REWRITE);
    CHECK_EQ_INT(ab, 1);
    CHECK_EQ_INT(net_map_connect(ADAPTER, &oth, 16, 0, &out, &f, &ab), NET_PASS);
    CHECK_EQ_INT(ab, 0);
    /* 0.0.0.0 and :: as destinations: refused. */
    sa_t any = v4(0, 1), any6 = v6(0, 1);
    CHECK_EQ_INT(net_map_connect(VM, &any, 16, 0, &out, &f, &ab), NET_REFUSE);
    CHECK_EQ_INT(net_map_connect(VM, &any6, 28, 1, &out, &f, &ab), NET_REFUSE);
    /* ::1: refused on IPv6-only, mapped on dual-stack. */
    sa_t lo6 = v6(1, 7000);
    CHECK_EQ_INT(net_map_connect(VM, &lo6, 28, 0, &out, &f, &ab), NET_REFUSE);
    CHECK_EQ_INT(net_map_connect(VM, &lo6, 28, 1, &out, &f, &ab), NET_REWRITE);
    want = mapped(VM, 7000);
    CHECK_MEM(out.b, want.b, 28);
    CHECK_EQ_INT(f, NET_F_CONN_LO | NET_F_CONN_V6);
    sa_t mlo = mapped(NET_LOOPBACK, 7000);
    CHECK_EQ_INT(net_map_connect(VM, &mlo, 28, 1, &out, &f, &ab), NET_REWRITE);
    CHECK_MEM(out.b, want.b, 28);
    CHECK_EQ_INT(f, NET_F_CONN_LO);
}

static void test_show(void)
{
    unit_ctx = "show";
    sa_t s, want;
    /* Listening socket bound to 0.0.0.0:7000 shows 0.0.0.0:7000. */
    s = v4(VM, 7000);
    net_show_local(VM, &s, 16, NET_F_ASK_ANY, 0, 0);
    want = v4(0, 7000);
    CHECK_MEM(s.b, want.b, 16);
    s = v4(VM, 7000);
    net_show_local(VM, &s, 16, NET_F_ASK_LO, 0, 0);
    want = v4(NET_LOOPBACK, 7000);
    CHECK_MEM(s.b, want.b, 16);
    /* A client connected to 127.0.0.1: both ends loopback. */
    s = v4(VM, 5555);
    net_show_local(VM, &s, 16, NET_F_CONN_LO, 1, 1);
    want = v4(NET_LOOPBACK, 5555);
    CHECK_MEM(s.b, want.b, 16);
    s = v4(VM, 7000);
    net_show_peer(VM, &s, 16, NET_F_CONN_LO);
    want = v4(NET_LOOPBACK, 7000);
    CHECK_MEM(s.b, want.b, 16);
    /* Connected to the VM's address by name: the truth. */
    s = v4(VM, 7000);
    net_show_peer(VM, &s, 16, NET_F_CONN_VM);
    want = v4(VM, 7000);
    CHECK_MEM(s.b, want.b, 16);
    s = v4(VM, 5555);
    net_show_local(VM, &s, 16, NET_F_CONN_VM, 1, 1);
    CHECK_MEM(s.b, v4(VM, 5555).b, 16);
    /* An accepted socket (no flags) with an in-VM client: loopback. */
    s = v4(VM, 7000);
    net_show_local(VM, &s, 16, 0, 1, 1);
    CHECK_MEM(s.b, v4(NET_LOOPBACK, 7000).b, 16);
    /* ... with a client from outside: the VM's address. */
    s = v4(VM, 7000);
    net_show_local(VM, &s, 16, 0, 1, 0);
    CHECK_MEM(s.b, v4(VM, 7000).b, 16);
    /* Other addresses untouched. */
    s = v4(OTHER, 1);
    net_show_local(VM, &s, 16, NET_F_ASK_ANY, 0, 0);
    net_show_peer(VM, &s, 16, 0);
    CHECK_MEM(s.b, v4(OTHER, 1).b, 16);
    /* IPv6 forms come back as asked. */
    s = mapped(VM, 7000);
    net_show_local(VM, &s, 28, NET_F_ASK_ANY | NET_F_ASK_V6, 0, 0);
    CHECK_MEM(s.b, v6(0, 7000).b, 28);
    s = mapped(VM, 7000);
    net_show_peer(VM, &s, 28, NET_F_CONN_LO | NET_F_CONN_V6);
    CHECK_MEM(s.b, v6(1, 7000).b, 28);
    s = mapped(VM, 7000);
    net_show_local(VM, &s, 28, NET_F_ASK_LO, 0, 0);
    CHECK_MEM(s.b, mapped(NET_LOOPBACK, 7000).b, 28);
}

static void test_from(void)
{
    unit_ctx = "from";
    sa_t s = v4(VM, 4000);
    CHECK_EQ_INT(net_show_from(VM, &s, 16), 0);
    CHECK_MEM(s.b, v4(NET_LOOPBACK, 4000).b, 16);
    s = v4(NET_LOOPBACK, 4001);
    CHECK_EQ_INT(net_show_from(VM, &s, 16), 1);
    CHECK_MEM(s.b, v4(NET_LOOPBACK, 4001).b, 16);
    s = v4(OTHER, 4002);
    CHECK_EQ_INT(net_show_from(VM, &s, 16), 0);
    CHECK_MEM(s.b, v4(OTHER, 4002).b, 16);
    CHECK_EQ_INT(net_port_of(&s, 16), 4002);
    CHECK_EQ_INT(net_port_of(&s, 4), 0);
    uint32_t ip = 0;
    s = mapped(VM, 1);
    CHECK_EQ_INT(net_v4_of(&s, 28, &ip), 1);
    CHECK_EQ_U64(ip, VM);
    CHECK_EQ_INT(net_v4_of(&s, 27, &ip), 0);
    s = v6(1, 1);
    CHECK_EQ_INT(net_v4_of(&s, 28, &ip), 0);
    CHECK_EQ_INT(net_is_v6_loopback(&s, 28), 1);
    CHECK_EQ_INT(net_is_v6_any(&s, 28), 0);
}

int main(void)
{
    test_bind();
    test_bind_v6();
    test_connect();
    test_show();
    test_from();
    return UNIT_REPORT();
}
