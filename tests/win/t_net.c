/* Network test program (run inside VMs by tests/cli/net.sh, and natively
 * as win.t_net). Modes:
 *
 *   t_net                              = check none 7100 (native self-check)
 *   t_net check VMIP|none PORT         in-process checks of what a program in
 *                                      a VM sees (uses PORT..PORT+4); prints
 *                                      ok/FAIL lines and "N passed, N failed"
 *   t_net tcp-server PORT NAME [SECS]  binds 0.0.0.0:PORT, answers NAME to
 *                                      each connection, for SECS (default 60)
 *   t_net udp-server PORT NAME [SECS]  the same over UDP (replies to the sender)
 *   t_net tcp-client HOST PORT         prints "reply=<answer>"; exit 0 if any
 *   t_net udp-client HOST PORT         the same over UDP (3 tries, 2 s each)
 *
 * Every wait is bounded. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

static void check(int cond, const char *what, const char *detail)
{
    if (cond) {
        passed++;
        printf("ok   %s\n", what);
    } else {
        failed++;
        printf("FAIL %s (%s)\n", what, detail ? detail : "");
    }
    fflush(stdout);
}

/* "a.b.c.d:port" or "[v6]:port" */
static const char *fmt(const void *sa, int len, char *buf)
{
    char host[64] = "?";
    const struct sockaddr *s = sa;
    unsigned port = 0;
    if (len >= (int)sizeof(struct sockaddr_in) && s->sa_family == AF_INET) {
        const struct sockaddr_in *in = sa;
        inet_ntop(AF_INET, (void *)&in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        sprintf(buf, "%s:%u", host, port);
    } else if (len >= (int)sizeof(struct sockaddr_in6) && s->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = sa;
        inet_ntop(AF_INET6, (void *)&in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        sprintf(buf, "[%s]:%u", host, port);
    } else {
        sprintf(buf, "(family %d, len %d)", len > 0 ? s->sa_family : -1, len);
    }
    return buf;
}

static struct sockaddr_in v4(const char *ip, int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((u_short)port);
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
        /* A name ("localhost"): its first IPv4 address. */
        struct addrinfo hints, *res = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_INET;
        if (!getaddrinfo(ip, NULL, &hints, &res) && res) {
            a.sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
            freeaddrinfo(res);
        }
    }
    return a;
}

static struct sockaddr_in6 v6(const char *ip, int port)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((u_short)port);
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return a;
}

static void timeouts(SOCKET s, DWORD ms)
{
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (char *)&ms, sizeof ms);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (char *)&ms, sizeof ms);
}

static int readable(SOCKET s, int ms)
{
    fd_set r;
    FD_ZERO(&r);
    FD_SET(s, &r);
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    return select(0, &r, NULL, NULL, &tv) == 1;
}

static const char *sockname(SOCKET s, char *buf)
{
    struct sockaddr_storage a;
    int n = sizeof a;
    if (getsockname(s, (struct sockaddr *)&a, &n)) {
        sprintf(buf, "error %d", WSAGetLastError());
        return buf;
    }
    return fmt(&a, n, buf);
}

static const char *peername(SOCKET s, char *buf)
{
    struct sockaddr_storage a;
    int n = sizeof a;
    if (getpeername(s, (struct sockaddr *)&a, &n)) {
        sprintf(buf, "error %d", WSAGetLastError());
        return buf;
    }
    return fmt(&a, n, buf);
}

static int starts(const char *s, const char *head)
{
    return strncmp(s, head, strlen(head)) == 0;
}

/* --- servers and clients -------------------------------------------------- */
static int tcp_server(int port, const char *name, int secs)
{
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in a = v4("0.0.0.0", port);
    char b1[80];
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 16)) {
        printf("tcp-server: bind/listen failed: %d\n", WSAGetLastError());
        return 1;
    }
    printf("tcp-server %s listening local=%s\n", name, sockname(l, b1));
    fflush(stdout);
    DWORD end = GetTickCount() + (DWORD)secs * 1000;
    while ((LONG)(end - GetTickCount()) > 0) {
        if (!readable(l, 200))
            continue;
        SOCKET c = accept(l, NULL, NULL);
        if (c == INVALID_SOCKET)
            continue;
        timeouts(c, 2000);
        char req[64];
        recv(c, req, sizeof req, 0);
        send(c, name, (int)strlen(name), 0);
        shutdown(c, SD_SEND);
        closesocket(c);
    }
    closesocket(l);
    return 0;
}

static int udp_server(int port, const char *name, int secs)
{
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_in a = v4("0.0.0.0", port);
    char b1[80];
    if (bind(u, (struct sockaddr *)&a, sizeof a)) {
        printf("udp-server: bind failed: %d\n", WSAGetLastError());
        return 1;
    }
    printf("udp-server %s listening local=%s\n", name, sockname(u, b1));
    fflush(stdout);
    DWORD end = GetTickCount() + (DWORD)secs * 1000;
    while ((LONG)(end - GetTickCount()) > 0) {
        if (!readable(u, 200))
            continue;
        char req[64];
        struct sockaddr_storage from;
        int fl = sizeof from;
        if (recvfrom(u, req, sizeof req, 0, (struct sockaddr *)&from, &fl) < 0)
            continue;
        sendto(u, name, (int)strlen(name), 0, (struct sockaddr *)&from, fl);
    }
    closesocket(u);
    return 0;
}

static int tcp_client(const char *host, int port)
{
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    timeouts(c, 3000);
    struct sockaddr_in a = v4(host, port);
    if (connect(c, (struct sockaddr *)&a, sizeof a)) {
        printf("connect failed: %d\n", WSAGetLastError());
        return 1;
    }
    send(c, "hi", 2, 0);
    char buf[64];
    int n = recv(c, buf, sizeof buf - 1, 0);
    if (n <= 0) {
        printf("no reply: %d\n", WSAGetLastError());
        return 1;
    }
    buf[n] = 0;
    char b1[80], b2[80];
    printf("reply=%s local=%s peer=%s\n", buf, sockname(c, b1), peername(c, b2));
    closesocket(c);
    return 0;
}

static int udp_client(const char *host, int port)
{
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_in a = v4(host, port);
    for (int t = 0; t < 3; t++) {
        if (sendto(u, "hi", 2, 0, (struct sockaddr *)&a, sizeof a) != 2) {
            printf("sendto failed: %d\n", WSAGetLastError());
            return 1;
        }
        if (!readable(u, 2000))
            continue;
        char buf[64], b1[80];
        struct sockaddr_storage from;
        int fl = sizeof from;
        int n = recvfrom(u, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fl);
        if (n <= 0)
            continue;
        buf[n] = 0;
        printf("reply=%s from=%s\n", buf, fmt(&from, fl, b1));
        return 0;
    }
    printf("no reply\n");
    return 1;
}

/* --- in-process checks -------------------------------------------------------- */
/* A listener on addr; returns it or INVALID_SOCKET (error in *err). */
static SOCKET listener(const void *addr, int len, int *err)
{
    SOCKET l = socket(((const struct sockaddr *)addr)->sa_family, SOCK_STREAM, IPPROTO_TCP);
    *err = 0;
    if (bind(l, addr, len) || listen(l, 8)) {
        *err = WSAGetLastError();
        closesocket(l);
        return INVALID_SOCKET;
    }
    return l;
}

/* Accepts one connection within 3 s. */
static SOCKET accept1(SOCKET l, char *peer)
{
    if (!readable(l, 3000))
        return INVALID_SOCKET;
    struct sockaddr_storage a;
    int n = sizeof a;
    SOCKET c = accept(l, (struct sockaddr *)&a, &n);
    if (c != INVALID_SOCKET && peer)
        fmt(&a, n, peer);
    return c;
}

static int port_of(const char *addr)
{
    const char *c = strrchr(addr, ':');
    return c ? atoi(c + 1) : -1;
}

static void check_tcp(int vm, const char *vmip, int P)
{
    char b1[80], b2[80], b3[80], msg[256];
    int err;
    struct sockaddr_in any = v4("0.0.0.0", P);
    SOCKET l = listener(&any, sizeof any, &err);
    sprintf(msg, "error %d", err);
    check(l != INVALID_SOCKET, "tcp: bind 0.0.0.0 and listen", msg);
    if (l == INVALID_SOCKET)
        return;
    sprintf(b2, "0.0.0.0:%d", P);
    check(!strcmp(sockname(l, b1), b2), "tcp: listener's getsockname is 0.0.0.0:PORT", b1);

    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    timeouts(c, 3000);
    struct sockaddr_in lo = v4("127.0.0.1", P);
    int r = connect(c, (struct sockaddr *)&lo, sizeof lo);
    sprintf(msg, "error %d", WSAGetLastError());
    check(r == 0, "tcp: connect to 127.0.0.1:PORT reaches the server", msg);
    char acc_peer[80] = "";
    SOCKET a = accept1(l, acc_peer);
    check(a != INVALID_SOCKET, "tcp: the server accepts it", "");
    if (r == 0 && a != INVALID_SOCKET) {
        sprintf(b3, "127.0.0.1:%d", P);
        check(!strcmp(peername(c, b1), b3), "tcp: client's getpeername is 127.0.0.1:PORT", b1);
        sockname(c, b2);
        check(starts(b2, "127.0.0.1:"), "tcp: client's getsockname is 127.0.0.1:x", b2);
        check(starts(acc_peer, "127.0.0.1:") && port_of(acc_peer) == port_of(b2),
              "tcp: accept reports the client as 127.0.0.1:x", acc_peer);
        check(!strcmp(peername(a, b1), acc_peer), "tcp: server's getpeername agrees", b1);
        check(!strcmp(sockname(a, b1), b3), "tcp: server side's getsockname is 127.0.0.1:PORT", b1);
        send(c, "ping", 4, 0);
        char buf[8] = "";
        int n = recv(a, buf, sizeof buf, 0);
        check(n == 4 && !memcmp(buf, "ping", 4), "tcp: data flows", "");
    }
    closesocket(c);
    closesocket(a);

    if (vm) {
        /* The program may also name its VM's address. */
        c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        struct sockaddr_in own = v4(vmip, P);
        r = connect(c, (struct sockaddr *)&own, sizeof own);
        sprintf(msg, "error %d", WSAGetLastError());
        check(r == 0, "tcp: connect to the VM's address reaches the server", msg);
        a = accept1(l, acc_peer);
        sprintf(b3, "%s:%d", vmip, P);
        check(r == 0 && !strcmp(peername(c, b1), b3), "tcp: ... and getpeername shows that address", b1);
        closesocket(c);
        closesocket(a);
    }

    /* WSAConnectByNameW("localhost"). */
    c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    wchar_t port_w[16];
    swprintf(port_w, 16, L"%d", P);
    BOOL ok = WSAConnectByNameW(c, L"localhost", port_w, NULL, NULL, NULL, NULL, NULL, NULL);
    sprintf(msg, "error %d", WSAGetLastError());
    check(ok, "tcp: WSAConnectByNameW(localhost) reaches the server", msg);
    a = accept1(l, NULL);
    sprintf(b3, "127.0.0.1:%d", P);
    check(ok && !strcmp(peername(c, b1), b3), "tcp: ... getpeername 127.0.0.1:PORT", b1);
    closesocket(c);
    closesocket(a);

    /* getaddrinfo("localhost") and the usual connect loop. */
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    char ps[16];
    sprintf(ps, "%d", P);
    int connected = 0;
    if (!getaddrinfo("localhost", ps, &hints, &res)) {
        for (struct addrinfo *ai = res; ai && !connected; ai = ai->ai_next) {
            c = socket(ai->ai_family, SOCK_STREAM, IPPROTO_TCP);
            if (!connect(c, ai->ai_addr, (int)ai->ai_addrlen))
                connected = 1;
            else
                closesocket(c);
        }
        freeaddrinfo(res);
    }
    check(connected, "tcp: getaddrinfo(localhost) + connect loop reaches the server", "");
    if (connected) {
        a = accept1(l, NULL);
        check(a != INVALID_SOCKET, "tcp: ... and the server accepts it", "");
        closesocket(a);
        closesocket(c);
    }

    /* ConnectEx from a socket bound to 0.0.0.0:0. */
    c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in any0 = v4("0.0.0.0", 0);
    bind(c, (struct sockaddr *)&any0, sizeof any0);
    LPFN_CONNECTEX cx = NULL;
    GUID g = WSAID_CONNECTEX;
    DWORD got = 0;
    WSAIoctl(c, SIO_GET_EXTENSION_FUNCTION_POINTER, &g, sizeof g, &cx, sizeof cx, &got, NULL,
             NULL);
    check(cx != NULL, "tcp: WSAIoctl gives ConnectEx", "");
    if (cx) {
        OVERLAPPED ov;
        memset(&ov, 0, sizeof ov);
        ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
        DWORD sent = 0, fl = 0;
        BOOL done = cx(c, (struct sockaddr *)&lo, sizeof lo, NULL, 0, &sent, &ov);
        int e = WSAGetLastError();
        if (!done && e == ERROR_IO_PENDING)
            done = WaitForSingleObject(ov.hEvent, 3000) == WAIT_OBJECT_0 &&
                   WSAGetOverlappedResult(c, &ov, &sent, FALSE, &fl);
        sprintf(msg, "error %d / %d", e, WSAGetLastError());
        check(done, "tcp: ConnectEx to 127.0.0.1:PORT reaches the server", msg);
        setsockopt(c, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0);
        a = accept1(l, acc_peer);
        sprintf(b3, "127.0.0.1:%d", P);
        check(done && !strcmp(peername(c, b1), b3), "tcp: ... getpeername 127.0.0.1:PORT", b1);
        closesocket(a);
        CloseHandle(ov.hEvent);
    }
    closesocket(c);
    closesocket(l);

    /* A listener on 127.0.0.1 shows 127.0.0.1. */
    struct sockaddr_in lo1 = v4("127.0.0.1", P + 1);
    l = listener(&lo1, sizeof lo1, &err);
    sprintf(msg, "error %d", err);
    check(l != INVALID_SOCKET, "tcp: bind 127.0.0.1", msg);
    sprintf(b2, "127.0.0.1:%d", P + 1);
    check(l != INVALID_SOCKET && !strcmp(sockname(l, b1), b2),
          "tcp: its getsockname is 127.0.0.1:PORT", b1);
    c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    r = connect(c, (struct sockaddr *)&lo1, sizeof lo1);
    check(r == 0, "tcp: connect to it", "");
    a = accept1(l, NULL);
    closesocket(a);
    closesocket(c);
    closesocket(l);
}

static void check_other(int vm, const char *vmip, int P)
{
    char b1[80], msg[128];
    int err;
    if (vm) {
        /* Another VM's loopback address: not ours to bind. */
        unsigned a, b, c, d;
        sscanf(vmip, "%u.%u.%u.%u", &a, &b, &c, &d);
        char other[32];
        sprintf(other, "127.%u.%u.%u", b, c, d == 250 ? 251 : 250);
        struct sockaddr_in o = v4(other, P + 1);
        SOCKET l = listener(&o, sizeof o, &err);
        sprintf(msg, "error %d", err);
        check(l == INVALID_SOCKET && err == WSAEADDRNOTAVAIL,
              "bind to another loopback address is refused (WSAEADDRNOTAVAIL)", msg);
        closesocket(l);
    }

    /* IPv6. */
    struct sockaddr_in6 any6 = v6("::", P + 2);
    SOCKET s6 = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    int r = bind(s6, (struct sockaddr *)&any6, sizeof any6);
    err = WSAGetLastError();
    sprintf(msg, "result %d error %d", r, err);
    if (vm)
        check(r != 0 && err == WSAEADDRNOTAVAIL, "ipv6: bind [::] (IPv6-only) is refused", msg);
    else
        check(r == 0, "ipv6: bind [::] works as on the host", msg);
    closesocket(s6);

    s6 = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    DWORD off = 0;
    setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, (char *)&off, sizeof off);
    r = bind(s6, (struct sockaddr *)&any6, sizeof any6);
    sprintf(msg, "error %d", WSAGetLastError());
    check(r == 0 && listen(s6, 4) == 0, "ipv6: bind [::] on a dual-stack socket", msg);
    char want[64];
    sprintf(want, "[::]:%d", P + 2);
    check(!strcmp(sockname(s6, b1), want), "ipv6: its getsockname is [::]:PORT", b1);
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in lo = v4("127.0.0.1", P + 2);
    r = connect(c, (struct sockaddr *)&lo, sizeof lo);
    sprintf(msg, "error %d", WSAGetLastError());
    check(r == 0, "ipv6: an IPv4 client reaches the dual-stack server at 127.0.0.1", msg);
    SOCKET a = accept1(s6, NULL);
    closesocket(a);
    closesocket(c);
    closesocket(s6);

    if (vm) {
        SOCKET c6 = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
        struct sockaddr_in6 lo6 = v6("::1", P);
        r = connect(c6, (struct sockaddr *)&lo6, sizeof lo6);
        err = WSAGetLastError();
        sprintf(msg, "result %d error %d", r, err);
        check(r != 0 && err == WSAECONNREFUSED, "ipv6: connect to [::1] is refused", msg);
        closesocket(c6);
    }

    /* UDP. */
    SOCKET us = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_in uany = v4("0.0.0.0", P + 3), ulo = v4("127.0.0.1", P + 3);
    r = bind(us, (struct sockaddr *)&uany, sizeof uany);
    check(r == 0, "udp: bind 0.0.0.0", "");
    sprintf(want, "0.0.0.0:%d", P + 3);
    check(!strcmp(sockname(us, b1), want), "udp: getsockname 0.0.0.0:PORT", b1);
    SOCKET uc = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    r = sendto(uc, "q", 1, 0, (struct sockaddr *)&ulo, sizeof ulo);
    struct sockaddr_storage from;
    int fl = sizeof from;
    char buf[8];
    int n = readable(us, 3000) ? recvfrom(us, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl)
                               : -1;
    check(r == 1 && n == 1, "udp: sendto 127.0.0.1:PORT reaches the server", "");
    if (n == 1) {
        fmt(&from, fl, b1);
        check(starts(b1, "127.0.0.1:"), "udp: recvfrom shows the client as 127.0.0.1:x", b1);
        sendto(us, "r", 1, 0, (struct sockaddr *)&from, fl);
        fl = sizeof from;
        n = readable(uc, 3000) ? recvfrom(uc, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl)
                               : -1;
        check(n == 1, "udp: the reply reaches the client", "");
        sprintf(want, "127.0.0.1:%d", P + 3);
        check(n == 1 && !strcmp(fmt(&from, fl, b1), want),
              "udp: the client sees it from 127.0.0.1:PORT", b1);
    }
    /* WSASendMsg to 127.0.0.1. */
    WSAMSG m;
    WSABUF wb = { 1, "m" };
    memset(&m, 0, sizeof m);
    m.name = (LPSOCKADDR)&ulo;
    m.namelen = sizeof ulo;
    m.lpBuffers = &wb;
    m.dwBufferCount = 1;
    DWORD sent = 0;
    r = WSASendMsg(uc, &m, 0, &sent, NULL, NULL);
    fl = sizeof from;
    n = readable(us, 3000) ? recvfrom(us, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) : -1;
    check(r == 0 && n == 1 && buf[0] == 'm', "udp: WSASendMsg to 127.0.0.1:PORT reaches the server",
          "");
    closesocket(uc);
    closesocket(us);
}

static int run_checks(const char *vmip, int port)
{
    int vm = strcmp(vmip, "none") != 0;
    printf("checks: %s, ports %d..%d\n", vm ? vmip : "no VM address", port, port + 3);
    check_tcp(vm, vmip, port);
    check_other(vm, vmip, port);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

int main(int argc, char **argv)
{
    WSADATA wd;
    if (WSAStartup(MAKEWORD(2, 2), &wd)) {
        printf("WSAStartup failed\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *mode = argc > 1 ? argv[1] : "check";
    if (!strcmp(mode, "check"))
        return run_checks(argc > 2 ? argv[2] : "none", argc > 3 ? atoi(argv[3]) : 7100);
    if (!strcmp(mode, "tcp-server") && argc > 3)
        return tcp_server(atoi(argv[2]), argv[3], argc > 4 ? atoi(argv[4]) : 60);
    if (!strcmp(mode, "udp-server") && argc > 3)
        return udp_server(atoi(argv[2]), argv[3], argc > 4 ? atoi(argv[4]) : 60);
    if (!strcmp(mode, "tcp-client") && argc > 3)
        return tcp_client(argv[2], atoi(argv[3]));
    if (!strcmp(mode, "udp-client") && argc > 3)
        return udp_client(argv[2], atoi(argv[3]));
    printf("usage: t_net [check VMIP|none PORT | tcp-server PORT NAME [SECS] | udp-server PORT "
           "NAME [SECS] | tcp-client HOST PORT | udp-client HOST PORT]\n");
    return 2;
}
