/* Network namespace rules: how a VM with its own IPv4 address sees the
 * network (docs/ns-net.md). Pure C: sockaddrs are read as the bytes Windows
 * lays out (family as a little-endian u16 with AF_INET = 2, AF_INET6 = 23;
 * port and address in network byte order).
 *
 *   bind     0.0.0.0 and 127.0.0.1 become the VM's address; any other
 *            127.x.y.z (another VM's address on this machine) is refused;
 *            :: and ::1 become ::ffff:<VM> on a dual-stack socket and are
 *            refused on an IPv6-only one; anything else passes.
 *   connect  127.0.0.1 (and ::ffff:127.0.0.1) becomes the VM's address;
 *   sendto   ::1 becomes ::ffff:<VM> on a dual-stack socket and is refused
 *            on an IPv6-only one; 0.0.0.0 and :: are refused (Windows
 *            refuses them; Linux, under Wine, would read them as the
 *            host's loopback); anything else passes.
 *   reports  getsockname/getpeername/recvfrom show the VM's address as
 *            the address the program asked for (net_show_*).
 *
 * An IPv4 address is a uint32_t in host byte order. */
#ifndef PLUME_CORE_NETMAP_H
#define PLUME_CORE_NETMAP_H

#include <stddef.h>
#include <stdint.h>

#define NET_AF_INET 2
#define NET_AF_INET6 23
#define NET_SA_IN_LEN 16
#define NET_SA_IN6_LEN 28
#define NET_LOOPBACK 0x7f000001u

/* Actions. */
enum { NET_PASS = 0, NET_REWRITE = 1, NET_REFUSE = 2 };

/* Per-socket flags: what the program asked (kept by the layer, used to
 * show it back). */
#define NET_F_ASK_ANY 0x01u   /* bound to 0.0.0.0 / :: (mapped) */
#define NET_F_ASK_LO 0x02u    /* bound to 127.0.0.1 / ::1 (mapped) */
#define NET_F_ASK_V6 0x04u    /* ... in the native IPv6 form (:: or ::1) */
#define NET_F_CONN_LO 0x08u   /* connected to 127.0.0.1 / ::1 (mapped) */
#define NET_F_CONN_V6 0x10u   /* ... in the native IPv6 form (::1) */
#define NET_F_CONN_VM 0x20u   /* connected to the VM's own address as such */
#define NET_F_ASK_MASK (NET_F_ASK_ANY | NET_F_ASK_LO | NET_F_ASK_V6)
#define NET_F_CONN_MASK (NET_F_CONN_LO | NET_F_CONN_V6 | NET_F_CONN_VM)

/* The IPv4 address of sa (AF_INET, or AF_INET6 holding a v4-mapped
 * ::ffff:a.b.c.d): 1 and *ip, else 0 (also when len is too short). */
int net_v4_of(const void *sa, size_t len, uint32_t *ip);
/* 1 when sa is AF_INET6 with address :: (any) or ::1 (loopback). */
int net_is_v6_any(const void *sa, size_t len);
int net_is_v6_loopback(const void *sa, size_t len);
/* 1 when ip is in 127.0.0.0/8. */
int net_is_loopback4(uint32_t ip);

/* Sets the address of sa to the IPv4 ip, keeping family, port (and
 * flowinfo/scope of AF_INET6, where it is written v4-mapped). */
void net_set_v4(void *sa, size_t len, uint32_t ip);

/* Bind of sa (len bytes) in a VM with address vmip. dualstack: the socket
 * is AF_INET6 with IPV6_V6ONLY off (the layer asks only when sa is :: or
 * ::1). On NET_REWRITE, out (at least len bytes, len <= 28) gets the
 * address to really bind. *flags gets NET_F_ASK_* (0 when nothing was
 * mapped). */
int net_map_bind(uint32_t vmip, const void *sa, size_t len, int dualstack, void *out,
                 unsigned *flags);

/* Connect or send to sa. As net_map_bind; *flags gets NET_F_CONN_*;
 * *autobind is set to 1 when the socket, if unbound, should first be bound
 * to the VM's address (port 0), so that the peer sees the VM's address:
 * when the final destination is the VM's address, or a loopback address
 * and the VM's address is a loopback one. */
int net_map_connect(uint32_t vmip, const void *sa, size_t len, int dualstack, void *out,
                    unsigned *flags, int *autobind);

/* Rewrites in place the local address a getsockname returned, when it is
 * the VM's address: to what the program asked for. connected: the socket
 * has a peer; peer_is_vm: that peer is the VM's address. */
void net_show_local(uint32_t vmip, void *sa, size_t len, unsigned flags, int connected,
                    int peer_is_vm);
/* Rewrites in place a peer address (getpeername, accept): the VM's address
 * shows as loopback (an in-VM client), unless the program connected to the
 * VM's address by that name (NET_F_CONN_VM). */
void net_show_peer(uint32_t vmip, void *sa, size_t len, unsigned flags);
/* The source address of a received datagram, in place: the VM's address
 * shows as loopback. Returns 1 when the source is 127.0.0.1 itself (a
 * sender outside the VM: the host), whose replies must not be mapped. */
int net_show_from(uint32_t vmip, void *sa, size_t len);

/* The port of sa (host order), 0 when it has none. */
uint16_t net_port_of(const void *sa, size_t len);

#endif
