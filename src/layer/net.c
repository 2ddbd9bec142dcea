/* Network: the VM's own IPv4 address (docs/ns-net.md).
 *
 * A VM created with --ip has its address in the boot block. Its programs
 * bind 0.0.0.0 / 127.0.0.1 to that address instead, reach "127.0.0.1" at
 * that address, and see back the addresses they asked for. The rules are
 * pure (src/core/netmap.c); this file hooks ws2_32 when it loads
 * (layer_on_load) and keeps the little state the rules need:
 *
 *   g_st      per socket, what the program asked (NET_F_*), for
 *             getsockname/getpeername; set by bind/connect when they map,
 *             dropped by closesocket/accept; a fixed table (no allocation)
 *   g_bound   a direct-mapped cache of sockets known to be bound, so a
 *             sendto to loopback asks the system at most once a socket
 *   g_ext     the ports of datagrams received from 127.0.0.1 itself (the
 *             host, outside the VM): a reply to 127.0.0.1:port goes back
 *             there, it is not mapped to the VM's address
 *
 * A VM without an address installs no hook at all (the fast path is the
 * unhooked function). The layer does not import ws2_32: it calls the
 * originals through the trampolines and resolves getsockopt by name. */
#include "layer.h"
#include "netmap.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <stddef.h>
#include <string.h>

static uint32_t g_ip; /* the VM's address, host order */

/* --- originals ------------------------------------------------------------ */
typedef int(WSAAPI *addr_fn)(SOCKET, const struct sockaddr *, int);
typedef int(WSAAPI *name_fn)(SOCKET, struct sockaddr *, int *);
typedef int(WSAAPI *wsaconnect_fn)(SOCKET, const struct sockaddr *, int, LPWSABUF, LPWSABUF,
                                   LPQOS, LPQOS);
typedef int(WSAAPI *sendto_fn)(SOCKET, const char *, int, int, const struct sockaddr *, int);
typedef int(WSAAPI *wsasendto_fn)(SOCKET, LPWSABUF, DWORD, LPDWORD, DWORD,
                                  const struct sockaddr *, int, LPWSAOVERLAPPED,
                                  LPWSAOVERLAPPED_COMPLETION_ROUTINE);
typedef int(WSAAPI *recvfrom_fn)(SOCKET, char *, int, int, struct sockaddr *, int *);
typedef int(WSAAPI *wsarecvfrom_fn)(SOCKET, LPWSABUF, DWORD, LPDWORD, LPDWORD,
                                    struct sockaddr *, LPINT, LPWSAOVERLAPPED,
                                    LPWSAOVERLAPPED_COMPLETION_ROUTINE);
typedef SOCKET(WSAAPI *accept_fn)(SOCKET, struct sockaddr *, int *);
typedef SOCKET(WSAAPI *wsaaccept_fn)(SOCKET, struct sockaddr *, LPINT, LPCONDITIONPROC,
                                     DWORD_PTR);
typedef int(WSAAPI *close_fn)(SOCKET);
typedef int(WSAAPI *ioctl_fn)(SOCKET, DWORD, LPVOID, DWORD, LPVOID, DWORD, LPDWORD,
                              LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE);
typedef int(WSAAPI *sendmsg_fn)(SOCKET, LPWSAMSG, DWORD, LPDWORD, LPWSAOVERLAPPED,
                                LPWSAOVERLAPPED_COMPLETION_ROUTINE);
typedef int(WSAAPI *getsockopt_fn)(SOCKET, int, int, char *, int *);
typedef BOOL(WSAAPI *byname_w_fn)(SOCKET, LPWSTR, LPWSTR, LPDWORD, LPSOCKADDR, LPDWORD,
                                  LPSOCKADDR, const struct timeval *, LPWSAOVERLAPPED);
typedef BOOL(WSAAPI *byname_a_fn)(SOCKET, LPCSTR, LPCSTR, LPDWORD, LPSOCKADDR, LPDWORD,
                                  LPSOCKADDR, const struct timeval *, LPWSAOVERLAPPED);
typedef BOOL(WSAAPI *bylist_fn)(SOCKET, PSOCKET_ADDRESS_LIST, LPDWORD, LPSOCKADDR, LPDWORD,
                                LPSOCKADDR, const struct timeval *, LPWSAOVERLAPPED);
typedef BOOL(PASCAL *connectex_fn)(SOCKET, const struct sockaddr *, int, PVOID, DWORD,
                                   LPDWORD, LPOVERLAPPED);
typedef void(PASCAL *acceptaddrs_fn)(PVOID, DWORD, DWORD, DWORD, struct sockaddr **, LPINT,
                                     struct sockaddr **, LPINT);

static addr_fn real_bind, real_connect;
static name_fn real_getsockname, real_getpeername;
static wsaconnect_fn real_wsaconnect;
static sendto_fn real_sendto;
static wsasendto_fn real_wsasendto;
static recvfrom_fn real_recvfrom;
static wsarecvfrom_fn real_wsarecvfrom;
static accept_fn real_accept;
static wsaaccept_fn real_wsaaccept;
static close_fn real_closesocket;
static ioctl_fn real_wsaioctl;
static sendmsg_fn real_wsasendmsg, real_ptr_sendmsg;
static getsockopt_fn real_getsockopt;
static byname_w_fn real_byname_w;
static byname_a_fn real_byname_a;
static bylist_fn real_bylist;
static connectex_fn real_connectex;
static acceptaddrs_fn real_acceptaddrs;

/* --- per-socket state ------------------------------------------------------- */
#define NST 1024
static struct {
    SOCKET s;
    unsigned f;
} g_st[NST];
static volatile LONG g_st_count;
static SRWLOCK g_st_lock = SRWLOCK_INIT;

/* Callers are inside the layer (layer_enter). */
static unsigned st_get(SOCKET s)
{
    unsigned f = 0;
    if (!g_st_count)
        return 0;
    AcquireSRWLockShared(&g_st_lock);
    for (int i = 0; i < NST; i++)
        if (g_st[i].s == s) {
            f = g_st[i].f;
            break;
        }
    ReleaseSRWLockShared(&g_st_lock);
    return f;
}

/* f = (f & ~clear) | set. -1 when the table is full. */
static int st_set(SOCKET s, unsigned clear, unsigned set)
{
    int at = -1, r = 0;
    AcquireSRWLockExclusive(&g_st_lock);
    for (int i = 0; i < NST; i++) {
        if (g_st[i].s == s) {
            at = i;
            break;
        }
        if (at < 0 && g_st[i].s == 0)
            at = i;
    }
    if (at < 0) {
        r = -1;
    } else {
        if (g_st[at].s != s) {
            g_st[at].s = s;
            g_st[at].f = 0;
            InterlockedIncrement(&g_st_count);
        }
        g_st[at].f = (g_st[at].f & ~clear) | set;
    }
    ReleaseSRWLockExclusive(&g_st_lock);
    return r;
}

static void st_del(SOCKET s)
{
    if (!g_st_count)
        return;
    AcquireSRWLockExclusive(&g_st_lock);
    for (int i = 0; i < NST; i++)
        if (g_st[i].s == s) {
            g_st[i].s = 0;
            g_st[i].f = 0;
            InterlockedDecrement(&g_st_count);
            break;
        }
    ReleaseSRWLockExclusive(&g_st_lock);
}

/* Sockets known to be bound (a hint: a stale entry only costs the
 * auto-bind, see autobind). */
#define NBOUND 256
static volatile SOCKET g_bound[NBOUND];
#define BOUND_SLOT(s) (((size_t)(s) >> 2) & (NBOUND - 1))

/* Ports that sent us datagrams from 127.0.0.1 (the host). */
#define NEXT 64
static volatile LONG g_ext[NEXT];
static volatile LONG g_ext_next;

static int ext_has(uint16_t port)
{
    for (int i = 0; i < NEXT; i++)
        if (g_ext[i] == port)
            return 1;
    return 0;
}

static void ext_add(uint16_t port)
{
    if (!port || ext_has(port))
        return;
    LONG i = InterlockedIncrement(&g_ext_next) & (NEXT - 1);
    InterlockedExchange(&g_ext[i], port);
}

/* --- helpers (inside the layer) -------------------------------------------- */
static void forget(SOCKET s)
{
    if (g_bound[BOUND_SLOT(s)] == s)
        g_bound[BOUND_SLOT(s)] = 0;
    st_del(s);
}

/* An AF_INET6 socket with IPV6_V6ONLY off. */
static int dualstack(SOCKET s)
{
    DWORD v6only = 1;
    int n = sizeof v6only;
    if (!real_getsockopt || real_getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, (char *)&v6only, &n))
        return 0;
    return v6only == 0;
}

/* Binds an unbound socket to the VM's address (port 0) before it reaches
 * the VM's address or a loopback one, so the peer sees the VM's address
 * (and replies reach it). `like` is the destination (its family). */
static void autobind(SOCKET s, const struct sockaddr *like, int len)
{
    if (g_bound[BOUND_SLOT(s)] == s)
        return;
    struct sockaddr_storage cur;
    int n = sizeof cur;
    uint32_t ip = 0;
    if (real_getsockname(s, (struct sockaddr *)&cur, &n) == 0 &&
        !(net_v4_of(&cur, (size_t)n, &ip) && ip == 0 && net_port_of(&cur, (size_t)n) == 0) &&
        !net_is_v6_any(&cur, (size_t)n)) {
        g_bound[BOUND_SLOT(s)] = s; /* already bound */
        return;
    }
    struct sockaddr_storage me;
    memset(&me, 0, sizeof me);
    if (len > NET_SA_IN6_LEN)
        len = NET_SA_IN6_LEN;
    memcpy(&me, like, (size_t)len);
    ((struct sockaddr_in *)&me)->sin_port = 0;
    net_set_v4(&me, (size_t)len, g_ip);
    if (real_bind(s, (struct sockaddr *)&me, len) == 0)
        g_bound[BOUND_SLOT(s)] = s;
}

/* Maps a destination. Returns 0 (and maybe *sa, *len changed to buf) or
 * the WSA error to refuse with. *f gets NET_F_CONN_*. is_send: a datagram
 * (a reply to the host is not mapped); bind_first: auto-bind. */
static int map_dest(SOCKET s, const struct sockaddr **sa, int *len, void *buf, unsigned *f,
                    int is_send, int bind_first)
{
    int dual = 0, ab = 0;
    uint32_t ip;
    *f = 0;
    if (*len <= 0)
        return 0;
    if (is_send && net_v4_of(*sa, (size_t)*len, &ip) && ip == NET_LOOPBACK &&
        ext_has(net_port_of(*sa, (size_t)*len)))
        return 0;
    if (net_is_v6_loopback(*sa, (size_t)*len))
        dual = dualstack(s);
    int act = net_map_connect(g_ip, *sa, (size_t)*len, dual, buf, f, &ab);
    if (act == NET_REFUSE)
        return net_is_v6_loopback(*sa, (size_t)*len)
                   ? (is_send ? WSAEHOSTUNREACH : WSAECONNREFUSED)
                   : WSAEADDRNOTAVAIL;
    if (act == NET_REWRITE) {
        *sa = buf;
        if (*len > NET_SA_IN6_LEN)
            *len = NET_SA_IN6_LEN;
    }
    if (ab && bind_first)
        autobind(s, *sa, *len);
    return 0;
}

/* Quick test on the hot path: could this destination need the rules?
 * (loopback, the VM's own address, 0.0.0.0, or IPv6 ::/::1) */
static int dest_interesting(const struct sockaddr *sa, int len)
{
    uint32_t ip;
    if (!sa || len <= 0)
        return 0;
    if (net_v4_of(sa, (size_t)len, &ip))
        return ip == 0 || ip == g_ip || net_is_loopback4(ip);
    return net_is_v6_any(sa, (size_t)len) || net_is_v6_loopback(sa, (size_t)len);
}

/* --- hooks --------------------------------------------------------------------- */
static int WSAAPI hk_bind(SOCKET s, const struct sockaddr *sa, int len)
{
    if (layer_inside() || !sa || len <= 0)
        return real_bind(s, sa, len);
    layer_enter();
    DWORD err = GetLastError();
    int dual = 0;
    if (net_is_v6_any(sa, (size_t)len) || net_is_v6_loopback(sa, (size_t)len))
        dual = dualstack(s);
    unsigned char buf[NET_SA_IN6_LEN];
    unsigned f = 0;
    int act = net_map_bind(g_ip, sa, (size_t)len, dual, buf, &f);
    int r;
    if (act == NET_REFUSE) {
        err = WSAEADDRNOTAVAIL;
        r = SOCKET_ERROR;
    } else if (act == NET_PASS) {
        SetLastError(err);
        layer_leave();
        return real_bind(s, sa, len);
    } else if (st_set(s, NET_F_ASK_MASK, f) != 0) {
        err = WSAENOBUFS; /* cannot remember it: refuse (fail closed) */
        r = SOCKET_ERROR;
    } else {
        SetLastError(err);
        r = real_bind(s, (const struct sockaddr *)buf, len > NET_SA_IN6_LEN ? NET_SA_IN6_LEN : len);
        err = GetLastError();
        if (r != 0)
            st_set(s, NET_F_ASK_MASK, 0);
        else
            g_bound[BOUND_SLOT(s)] = s;
    }
    SetLastError(err);
    layer_leave();
    return r;
}

/* The common body of connect-like calls: maps sa, records the flags.
 * Returns 0 to go on with (*sa, *len), or a WSA error. */
static int conn_prepare(SOCKET s, const struct sockaddr **sa, int *len, void *buf,
                        int bind_first)
{
    layer_enter();
    DWORD err = GetLastError();
    unsigned f;
    int e = map_dest(s, sa, len, buf, &f, 0, bind_first);
    if (!e && f && st_set(s, NET_F_CONN_MASK, f) != 0)
        e = WSAENOBUFS; /* cannot remember it: refuse (fail closed) */
    else if (!e && !f && (st_get(s) & NET_F_CONN_MASK))
        st_set(s, NET_F_CONN_MASK, 0);
    SetLastError(e ? (DWORD)e : err);
    layer_leave();
    return e;
}

static int WSAAPI hk_connect(SOCKET s, const struct sockaddr *sa, int len)
{
    if (layer_inside() || !dest_interesting(sa, len))
        return real_connect(s, sa, len);
    unsigned char buf[NET_SA_IN6_LEN];
    if (conn_prepare(s, &sa, &len, buf, 1))
        return SOCKET_ERROR;
    return real_connect(s, sa, len);
}

static int WSAAPI hk_wsaconnect(SOCKET s, const struct sockaddr *sa, int len, LPWSABUF cd,
                                LPWSABUF cld, LPQOS sq, LPQOS gq)
{
    if (layer_inside() || !dest_interesting(sa, len))
        return real_wsaconnect(s, sa, len, cd, cld, sq, gq);
    unsigned char buf[NET_SA_IN6_LEN];
    if (conn_prepare(s, &sa, &len, buf, 1))
        return SOCKET_ERROR;
    return real_wsaconnect(s, sa, len, cd, cld, sq, gq);
}

static BOOL PASCAL hk_connectex(SOCKET s, const struct sockaddr *sa, int len, PVOID data,
                                DWORD n, LPDWORD sent, LPOVERLAPPED ov)
{
    if (layer_inside() || !dest_interesting(sa, len))
        return real_connectex(s, sa, len, data, n, sent, ov);
    unsigned char buf[NET_SA_IN6_LEN];
    /* ConnectEx wants a bound socket (Windows refuses an unbound one):
     * no auto-bind, the program's own bind was mapped. */
    if (conn_prepare(s, &sa, &len, buf, 0))
        return FALSE;
    return real_connectex(s, sa, len, data, n, sent, ov);
}

/* Datagrams: no per-socket state, the reply ring and the bound cache. */
static int send_prepare(SOCKET s, const struct sockaddr **to, int *tolen, void *buf)
{
    layer_enter();
    DWORD err = GetLastError();
    unsigned f;
    int e = map_dest(s, to, tolen, buf, &f, 1, 1);
    SetLastError(e ? (DWORD)e : err);
    layer_leave();
    return e;
}

static int WSAAPI hk_sendto(SOCKET s, const char *b, int n, int fl, const struct sockaddr *to,
                            int tolen)
{
    if (layer_inside() || !dest_interesting(to, tolen))
        return real_sendto(s, b, n, fl, to, tolen);
    unsigned char buf[NET_SA_IN6_LEN];
    if (send_prepare(s, &to, &tolen, buf))
        return SOCKET_ERROR;
    return real_sendto(s, b, n, fl, to, tolen);
}

static int WSAAPI hk_wsasendto(SOCKET s, LPWSABUF b, DWORD nb, LPDWORD sent, DWORD fl,
                               const struct sockaddr *to, int tolen, LPWSAOVERLAPPED ov,
                               LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    if (layer_inside() || !dest_interesting(to, tolen))
        return real_wsasendto(s, b, nb, sent, fl, to, tolen, ov, cr);
    unsigned char buf[NET_SA_IN6_LEN];
    if (send_prepare(s, &to, &tolen, buf))
        return SOCKET_ERROR;
    return real_wsasendto(s, b, nb, sent, fl, to, tolen, ov, cr);
}

static int sendmsg_common(sendmsg_fn real, SOCKET s, LPWSAMSG m, DWORD fl, LPDWORD sent,
                          LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    if (layer_inside() || !m || !dest_interesting(m->name, m->namelen))
        return real(s, m, fl, sent, ov, cr);
    unsigned char buf[NET_SA_IN6_LEN];
    const struct sockaddr *to = m->name;
    int tolen = m->namelen;
    if (send_prepare(s, &to, &tolen, buf))
        return SOCKET_ERROR;
    WSAMSG copy = *m;
    copy.name = (LPSOCKADDR)to;
    copy.namelen = tolen;
    int r = real(s, &copy, fl, sent, ov, cr);
    m->dwFlags = copy.dwFlags;
    m->Control = copy.Control;
    return r;
}

static int WSAAPI hk_wsasendmsg(SOCKET s, LPWSAMSG m, DWORD fl, LPDWORD sent,
                                LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    return sendmsg_common(real_wsasendmsg, s, m, fl, sent, ov, cr);
}

static int WSAAPI hk_ptr_sendmsg(SOCKET s, LPWSAMSG m, DWORD fl, LPDWORD sent,
                                 LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    return sendmsg_common(real_ptr_sendmsg, s, m, fl, sent, ov, cr);
}

/* A datagram's source: the VM's address shows as 127.0.0.1; a sender at
 * 127.0.0.1 itself is the host, remembered so the reply goes back to it. */
static void show_from(struct sockaddr *from, const int *fromlen)
{
    if (from && fromlen && *fromlen > 0 && net_show_from(g_ip, from, (size_t)*fromlen))
        ext_add(net_port_of(from, (size_t)*fromlen));
}

static int WSAAPI hk_recvfrom(SOCKET s, char *b, int n, int fl, struct sockaddr *from,
                              int *fromlen)
{
    int r = real_recvfrom(s, b, n, fl, from, fromlen);
    if (r >= 0 && !layer_inside())
        show_from(from, fromlen);
    return r;
}

static int WSAAPI hk_wsarecvfrom(SOCKET s, LPWSABUF b, DWORD nb, LPDWORD got, LPDWORD fl,
                                 struct sockaddr *from, LPINT fromlen, LPWSAOVERLAPPED ov,
                                 LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    int r = real_wsarecvfrom(s, b, nb, got, fl, from, fromlen, ov, cr);
    /* Completed now: the source is there. (A pending overlapped receive
     * fills it later, unseen: docs/ns-net.md, limits.) */
    if (r == 0 && !layer_inside())
        show_from(from, fromlen);
    return r;
}

static int WSAAPI hk_getsockname(SOCKET s, struct sockaddr *sa, int *len)
{
    int r = real_getsockname(s, sa, len);
    uint32_t ip;
    if (r != 0 || layer_inside() || !sa || !len || !net_v4_of(sa, (size_t)*len, &ip) ||
        ip != g_ip)
        return r;
    layer_enter();
    DWORD err = GetLastError();
    unsigned f = st_get(s);
    struct sockaddr_storage peer;
    int pn = sizeof peer;
    int connected = real_getpeername(s, (struct sockaddr *)&peer, &pn) == 0;
    int peer_is_vm = connected && net_v4_of(&peer, (size_t)pn, &ip) && ip == g_ip;
    net_show_local(g_ip, sa, (size_t)*len, f, connected, peer_is_vm);
    SetLastError(err);
    layer_leave();
    return r;
}

static int WSAAPI hk_getpeername(SOCKET s, struct sockaddr *sa, int *len)
{
    int r = real_getpeername(s, sa, len);
    uint32_t ip;
    if (r != 0 || layer_inside() || !sa || !len || !net_v4_of(sa, (size_t)*len, &ip) ||
        ip != g_ip)
        return r;
    layer_enter();
    DWORD err = GetLastError();
    net_show_peer(g_ip, sa, (size_t)*len, st_get(s));
    SetLastError(err);
    layer_leave();
    return r;
}

static void accepted(SOCKET a, struct sockaddr *sa, const int *len)
{
    if (a == INVALID_SOCKET || layer_inside())
        return;
    layer_enter();
    DWORD err = GetLastError();
    forget(a); /* a handle value may be reused: no stale state */
    if (sa && len && *len > 0)
        net_show_peer(g_ip, sa, (size_t)*len, 0);
    SetLastError(err);
    layer_leave();
}

static SOCKET WSAAPI hk_accept(SOCKET s, struct sockaddr *sa, int *len)
{
    SOCKET a = real_accept(s, sa, len);
    accepted(a, sa, len);
    return a;
}

static SOCKET WSAAPI hk_wsaaccept(SOCKET s, struct sockaddr *sa, LPINT len, LPCONDITIONPROC cp,
                                  DWORD_PTR cd)
{
    SOCKET a = real_wsaaccept(s, sa, len, cp, cd);
    accepted(a, sa, len);
    return a;
}

static void PASCAL hk_acceptaddrs(PVOID b, DWORD rx, DWORD la, DWORD ra,
                                  struct sockaddr **local, LPINT llen,
                                  struct sockaddr **remote, LPINT rlen)
{
    real_acceptaddrs(b, rx, la, ra, local, llen, remote, rlen);
    if (layer_inside() || !local || !*local || !llen || !remote || !*remote || !rlen)
        return;
    uint32_t ip;
    int peer_is_vm = net_v4_of(*remote, (size_t)*rlen, &ip) && ip == g_ip;
    net_show_local(g_ip, *local, (size_t)*llen, 0, 1, peer_is_vm);
    net_show_peer(g_ip, *remote, (size_t)*rlen, 0);
}

static int WSAAPI hk_closesocket(SOCKET s)
{
    if (!layer_inside() && (g_st_count || g_bound[BOUND_SLOT(s)] == s)) {
        layer_enter();
        DWORD err = GetLastError();
        forget(s);
        SetLastError(err);
        layer_leave();
    }
    return real_closesocket(s);
}

/* The extension functions: ConnectEx (maps its destination), WSASendMsg
 * (same as the export), GetAcceptExSockaddrs (shows addresses). AcceptEx
 * needs nothing: its listening socket was bound through bind. */
static const GUID guid_connectex = WSAID_CONNECTEX;
static const GUID guid_sendmsg = WSAID_WSASENDMSG;
static const GUID guid_acceptaddrs = WSAID_GETACCEPTEXSOCKADDRS;

/* Swaps *slot (a function the system returned) for our wrapper, keeping
 * the first one as the original. Another provider's different function
 * cannot be wrapped by this single slot: refused (fail closed). */
static int wrap(void **slot, void **real, void *wrapper)
{
    if (*slot == wrapper)
        return 0;
    PVOID prev = InterlockedCompareExchangePointer(real, *slot, NULL);
    if (prev && prev != *slot)
        return -1;
    *slot = wrapper;
    return 0;
}

static int WSAAPI hk_wsaioctl(SOCKET s, DWORD code, LPVOID in, DWORD inlen, LPVOID out,
                              DWORD outlen, LPDWORD ret, LPWSAOVERLAPPED ov,
                              LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    int r = real_wsaioctl(s, code, in, inlen, out, outlen, ret, ov, cr);
    if (r != 0 || code != SIO_GET_EXTENSION_FUNCTION_POINTER || layer_inside() || !in ||
        inlen < sizeof(GUID) || !out || outlen < sizeof(void *))
        return r;
    int bad = 0;
    if (!memcmp(in, &guid_connectex, sizeof(GUID)))
        bad = wrap((void **)out, (void **)&real_connectex, (void *)hk_connectex);
    else if (!memcmp(in, &guid_sendmsg, sizeof(GUID)))
        bad = wrap((void **)out, (void **)&real_ptr_sendmsg, (void *)hk_ptr_sendmsg);
    else if (!memcmp(in, &guid_acceptaddrs, sizeof(GUID)))
        bad = wrap((void **)out, (void **)&real_acceptaddrs, (void *)hk_acceptaddrs);
    if (bad) {
        *(void **)out = NULL;
        SetLastError(WSAEOPNOTSUPP);
        return SOCKET_ERROR;
    }
    return r;
}

/* WSAConnectByName: "localhost" and "127.0.0.1" name the VM's address (an
 * IPv4 socket only: an IPv6 one resolves ::1 and goes through connect).
 * Under Wine it ends in connect (hooked) anyway; on Windows it may not. */
static int is_loopback_name_w(const wchar_t *n)
{
    static const char *const names[] = { "localhost", "127.0.0.1" };
    if (!n)
        return 0;
    for (size_t k = 0; k < 2; k++) {
        const char *m = names[k];
        size_t i = 0;
        for (; m[i] && n[i]; i++) {
            wchar_t c = n[i];
            if (c >= L'A' && c <= L'Z')
                c = (wchar_t)(c - L'A' + L'a');
            if (c != (wchar_t)m[i])
                break;
        }
        if (!m[i] && !n[i])
            return 1;
    }
    return 0;
}

static int is_v4_socket(SOCKET s)
{
    WSAPROTOCOL_INFOW pi;
    int n = sizeof pi;
    return real_getsockopt && !real_getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&pi, &n) &&
           pi.iAddressFamily == AF_INET;
}

/* is_v4_socket inside the layer, leaving the caller's last error as it
 * was (the byname hooks ask before they decide to rewrite). */
static int is_v4_socket_quiet(SOCKET s)
{
    layer_enter();
    DWORD err = GetLastError();
    int v4 = is_v4_socket(s);
    SetLastError(err);
    layer_leave();
    return v4;
}

/* The VM's address as text ("127.0.0.2"), for a rewritten name. */
static void vm_ip_text(wchar_t *w, char *a)
{
    size_t n = 0;
    for (int k = 3; k >= 0; k--) {
        unsigned v = (g_ip >> (8 * k)) & 0xff;
        char d[3];
        int nd = 0;
        do {
            d[nd++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        while (nd)
            a[n++] = d[--nd];
        if (k)
            a[n++] = '.';
    }
    a[n] = 0;
    for (size_t i = 0; i <= n; i++)
        w[i] = (wchar_t)a[i];
}

static void byname_done(SOCKET s, LPSOCKADDR local, LPDWORD llen, LPSOCKADDR remote,
                        LPDWORD rlen)
{
    layer_enter();
    DWORD err = GetLastError();
    st_set(s, NET_F_CONN_MASK, NET_F_CONN_LO);
    if (remote && rlen)
        net_show_peer(g_ip, remote, *rlen, NET_F_CONN_LO);
    if (local && llen)
        net_show_local(g_ip, local, *llen, NET_F_CONN_LO, 1, 1);
    SetLastError(err);
    layer_leave();
}

static BOOL WSAAPI hk_byname_w(SOCKET s, LPWSTR node, LPWSTR serv, LPDWORD llen,
                               LPSOCKADDR local, LPDWORD rlen, LPSOCKADDR remote,
                               const struct timeval *tv, LPWSAOVERLAPPED ov)
{
    if (layer_inside() || !is_loopback_name_w(node))
        return real_byname_w(s, node, serv, llen, local, rlen, remote, tv, ov);
    if (!is_v4_socket_quiet(s))
        return real_byname_w(s, node, serv, llen, local, rlen, remote, tv, ov);
    wchar_t w[16];
    char a[16];
    vm_ip_text(w, a);
    BOOL ok = real_byname_w(s, w, serv, llen, local, rlen, remote, tv, ov);
    if (ok)
        byname_done(s, local, llen, remote, rlen);
    return ok;
}

static BOOL WSAAPI hk_byname_a(SOCKET s, LPCSTR node, LPCSTR serv, LPDWORD llen,
                               LPSOCKADDR local, LPDWORD rlen, LPSOCKADDR remote,
                               const struct timeval *tv, LPWSAOVERLAPPED ov)
{
    wchar_t wn[16];
    size_t i = 0;
    if (node)
        for (; node[i] && i < 15; i++)
            wn[i] = (wchar_t)(unsigned char)node[i];
    wn[i] = 0;
    if (layer_inside() || !node || node[i] || !is_loopback_name_w(wn))
        return real_byname_a(s, node, serv, llen, local, rlen, remote, tv, ov);
    if (!is_v4_socket_quiet(s))
        return real_byname_a(s, node, serv, llen, local, rlen, remote, tv, ov);
    wchar_t w[16];
    char a[16];
    vm_ip_text(w, a);
    BOOL ok = real_byname_a(s, a, serv, llen, local, rlen, remote, tv, ov);
    if (ok)
        byname_done(s, local, llen, remote, rlen);
    return ok;
}

/* WSAConnectByList (absent under Wine 8): a copy of the list, mapped. */
#define BYLIST_MAX 32
static BOOL WSAAPI hk_bylist(SOCKET s, PSOCKET_ADDRESS_LIST list, LPDWORD llen,
                             LPSOCKADDR local, LPDWORD rlen, LPSOCKADDR remote,
                             const struct timeval *tv, LPWSAOVERLAPPED ov)
{
    if (layer_inside() || !list)
        return real_bylist(s, list, llen, local, rlen, remote, tv, ov);
    if (list->iAddressCount > BYLIST_MAX) {
        SetLastError(WSAENOBUFS); /* more than we can map: refused */
        return FALSE;
    }
    union {
        SOCKET_ADDRESS_LIST head;
        unsigned char raw[sizeof(SOCKET_ADDRESS_LIST) + BYLIST_MAX * sizeof(SOCKET_ADDRESS)];
    } copy;
    SOCKET_ADDRESS *addr =
        (SOCKET_ADDRESS *)(copy.raw + offsetof(SOCKET_ADDRESS_LIST, Address));
    unsigned char bufs[BYLIST_MAX][NET_SA_IN6_LEN];
    layer_enter();
    DWORD err = GetLastError();
    int e = 0;
    copy.head.iAddressCount = list->iAddressCount;
    for (INT i = 0; i < list->iAddressCount && !e; i++) {
        const struct sockaddr *sa = list->Address[i].lpSockaddr;
        int len = list->Address[i].iSockaddrLength;
        unsigned f;
        if (dest_interesting(sa, len))
            e = map_dest(s, &sa, &len, bufs[i], &f, 0, 0);
        addr[i].lpSockaddr = (LPSOCKADDR)sa;
        addr[i].iSockaddrLength = len;
    }
    SetLastError(e ? (DWORD)e : err);
    layer_leave();
    if (e)
        return FALSE;
    return real_bylist(s, &copy.head, llen, local, rlen, remote, tv, ov);
}

/* --- installation --------------------------------------------------------------- */
static void on_ws2_32(HMODULE m)
{
    real_getsockopt = (getsockopt_fn)(void *)GetProcAddress(m, "getsockopt");
    static const struct {
        const char *name;
        void *detour;
        void **orig;
        int optional;
    } hooks[] = {
        { "getsockname", (void *)hk_getsockname, (void **)&real_getsockname, 0 },
        { "getpeername", (void *)hk_getpeername, (void **)&real_getpeername, 0 },
        { "closesocket", (void *)hk_closesocket, (void **)&real_closesocket, 0 },
        { "bind", (void *)hk_bind, (void **)&real_bind, 0 },
        { "connect", (void *)hk_connect, (void **)&real_connect, 0 },
        { "WSAConnect", (void *)hk_wsaconnect, (void **)&real_wsaconnect, 0 },
        { "sendto", (void *)hk_sendto, (void **)&real_sendto, 0 },
        { "WSASendTo", (void *)hk_wsasendto, (void **)&real_wsasendto, 0 },
        { "recvfrom", (void *)hk_recvfrom, (void **)&real_recvfrom, 0 },
        { "WSARecvFrom", (void *)hk_wsarecvfrom, (void **)&real_wsarecvfrom, 0 },
        { "accept", (void *)hk_accept, (void **)&real_accept, 0 },
        { "WSAAccept", (void *)hk_wsaaccept, (void **)&real_wsaaccept, 0 },
        { "WSAIoctl", (void *)hk_wsaioctl, (void **)&real_wsaioctl, 0 },
        { "WSASendMsg", (void *)hk_wsasendmsg, (void **)&real_wsasendmsg, 1 },
        { "WSAConnectByNameW", (void *)hk_byname_w, (void **)&real_byname_w, 1 },
        { "WSAConnectByNameA", (void *)hk_byname_a, (void **)&real_byname_a, 1 },
        { "WSAConnectByList", (void *)hk_bylist, (void **)&real_bylist, 1 },
    };
    if (!real_getsockopt) {
        layer_error("ws2_32.dll", "no getsockopt: network hooks not installed");
        return;
    }
    /* All present first, so a missing one leaves none half-installed. */
    for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++)
        if (!hooks[i].optional && !GetProcAddress(m, hooks[i].name)) {
            layer_error(hooks[i].name, "missing from ws2_32.dll: network hooks not installed");
            return;
        }
    for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++) {
        if (hooks[i].optional && !GetProcAddress(m, hooks[i].name))
            continue;
        if (layer_hook(L"ws2_32.dll", hooks[i].name, hooks[i].detour, hooks[i].orig))
            return; /* reported by layer_hook */
    }
}

int net_init(void)
{
    if (!(g_boot.flags & PLUME_BOOT_HAS_IP))
        return 0; /* the host's network as it is: no hooks */
    g_ip = g_boot.ip;
    return layer_on_load(L"ws2_32.dll", on_ws2_32);
}
