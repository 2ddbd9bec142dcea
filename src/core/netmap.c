/* Network namespace rules (netmap.h). Pure C. */
#include "netmap.h"

#include <string.h>

static unsigned family_of(const void *sa, size_t len)
{
    const uint8_t *b = sa;
    if (!sa || len < 2)
        return 0;
    return (unsigned)b[0] | (unsigned)b[1] << 8;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* AF_INET6: the 16 address bytes start at offset 8. */
static const uint8_t v4mapped_head[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int net_v4_of(const void *sa, size_t len, uint32_t *ip)
{
    const uint8_t *b = sa;
    unsigned fam = family_of(sa, len);
    if (fam == NET_AF_INET && len >= NET_SA_IN_LEN) {
        *ip = be32(b + 4);
        return 1;
    }
    if (fam == NET_AF_INET6 && len >= NET_SA_IN6_LEN && !memcmp(b + 8, v4mapped_head, 12)) {
        *ip = be32(b + 20);
        return 1;
    }
    return 0;
}

static int v6_is(const void *sa, size_t len, uint8_t last)
{
    const uint8_t *b = sa;
    if (family_of(sa, len) != NET_AF_INET6 || len < NET_SA_IN6_LEN)
        return 0;
    for (int i = 0; i < 15; i++)
        if (b[8 + i])
            return 0;
    return b[23] == last;
}

int net_is_v6_any(const void *sa, size_t len)
{
    return v6_is(sa, len, 0);
}

int net_is_v6_loopback(const void *sa, size_t len)
{
    return v6_is(sa, len, 1);
}

int net_is_loopback4(uint32_t ip)
{
    return (ip >> 24) == 127;
}

void net_set_v4(void *sa, size_t len, uint32_t ip)
{
    uint8_t *b = sa;
    unsigned fam = family_of(sa, len);
    if (fam == NET_AF_INET && len >= NET_SA_IN_LEN) {
        put_be32(b + 4, ip);
    } else if (fam == NET_AF_INET6 && len >= NET_SA_IN6_LEN) {
        memcpy(b + 8, v4mapped_head, 12);
        put_be32(b + 20, ip);
    }
}

/* Writes the "any" or "loopback" address into sa, in the form the flags
 * say the program used (native IPv6 :: / ::1, or IPv4 / v4-mapped). */
static void set_shown(void *sa, size_t len, int loopback, int native_v6)
{
    uint8_t *b = sa;
    if (family_of(sa, len) == NET_AF_INET6 && native_v6 && len >= NET_SA_IN6_LEN) {
        memset(b + 8, 0, 16);
        b[23] = loopback ? 1 : 0;
        return;
    }
    net_set_v4(sa, len, loopback ? NET_LOOPBACK : 0);
}

static int copy_rewrite(const void *sa, size_t len, void *out, uint32_t ip)
{
    if (len > NET_SA_IN6_LEN)
        len = NET_SA_IN6_LEN;
    memcpy(out, sa, len);
    net_set_v4(out, len, ip);
    return NET_REWRITE;
}

int net_map_bind(uint32_t vmip, const void *sa, size_t len, int dualstack, void *out,
                 unsigned *flags)
{
    uint32_t ip;
    *flags = 0;
    if (net_v4_of(sa, len, &ip)) {
        if (ip == 0 || ip == NET_LOOPBACK) {
            *flags = ip ? NET_F_ASK_LO : NET_F_ASK_ANY;
            return copy_rewrite(sa, len, out, vmip);
        }
        if (net_is_loopback4(ip) && ip != vmip)
            return NET_REFUSE; /* another VM's address on this machine */
        return NET_PASS;
    }
    int any = net_is_v6_any(sa, len), lo = net_is_v6_loopback(sa, len);
    if (!any && !lo)
        return NET_PASS;
    if (!dualstack)
        return NET_REFUSE; /* an IPv6-only socket cannot hold an IPv4 address */
    *flags = (any ? NET_F_ASK_ANY : NET_F_ASK_LO) | NET_F_ASK_V6;
    return copy_rewrite(sa, len, out, vmip);
}

int net_map_connect(uint32_t vmip, const void *sa, size_t len, int dualstack, void *out,
                    unsigned *flags, int *autobind)
{
    uint32_t ip;
    *flags = 0;
    *autobind = 0;
    if (net_v4_of(sa, len, &ip)) {
        if (ip == 0)
            return NET_REFUSE;
        int act = NET_PASS;
        if (ip == NET_LOOPBACK) {
            *flags = NET_F_CONN_LO;
            act = copy_rewrite(sa, len, out, vmip);
            ip = vmip;
        } else if (ip == vmip) {
            *flags = NET_F_CONN_VM;
        }
        *autobind = ip == vmip || (net_is_loopback4(vmip) && net_is_loopback4(ip));
        return act;
    }
    if (net_is_v6_any(sa, len))
        return NET_REFUSE;
    if (!net_is_v6_loopback(sa, len))
        return NET_PASS;
    if (!dualstack)
        return NET_REFUSE;
    *flags = NET_F_CONN_LO | NET_F_CONN_V6;
    *autobind = 1;
    return copy_rewrite(sa, len, out, vmip);
}

void net_show_local(uint32_t vmip, void *sa, size_t len, unsigned flags, int connected,
                    int peer_is_vm)
{
    uint32_t ip;
    if (!net_v4_of(sa, len, &ip) || ip != vmip)
        return;
    if (flags & NET_F_CONN_LO) {
        set_shown(sa, len, 1, (flags & NET_F_CONN_V6) != 0);
    } else if (!connected) {
        if (flags & (NET_F_ASK_ANY | NET_F_ASK_LO))
            set_shown(sa, len, (flags & NET_F_ASK_LO) != 0, (flags & NET_F_ASK_V6) != 0);
    } else if (flags & NET_F_ASK_LO) {
        set_shown(sa, len, 1, (flags & NET_F_ASK_V6) != 0);
    } else if (peer_is_vm && !(flags & NET_F_CONN_VM)) {
        set_shown(sa, len, 1, 0);
    }
}

void net_show_peer(uint32_t vmip, void *sa, size_t len, unsigned flags)
{
    uint32_t ip;
    if (!net_v4_of(sa, len, &ip) || ip != vmip || (flags & NET_F_CONN_VM))
        return;
    set_shown(sa, len, 1, (flags & NET_F_CONN_V6) != 0);
}

int net_show_from(uint32_t vmip, void *sa, size_t len)
{
    uint32_t ip;
    if (!net_v4_of(sa, len, &ip))
        return 0;
    if (ip == vmip) {
        net_set_v4(sa, len, NET_LOOPBACK);
        return 0;
    }
    return ip == NET_LOOPBACK;
}

uint16_t net_port_of(const void *sa, size_t len)
{
    const uint8_t *b = sa;
    unsigned fam = family_of(sa, len);
    if ((fam == NET_AF_INET && len >= NET_SA_IN_LEN) ||
        (fam == NET_AF_INET6 && len >= NET_SA_IN6_LEN))
        return (uint16_t)(b[2] << 8 | b[3]);
    return 0;
}
