/* Loopback echo benchmark: 1,000 TCP request-response round trips over
 * 127.0.0.1, in a process inside a VM with its own address (the layer maps
 * 127.0.0.1 to the VM's address) versus a native process, interleaved.
 *
 * Usage: bench_net [RUNS]     next to plume.exe; creates (and deletes) a
 *                             VM "benchnet" --ip 127.0.1.9 in PLUME_ROOT
 *        bench_net --echo N   one run: prints the ms of N round trips
 * Prints medians and the VM/native throughput ratio; asserts nothing. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define MSG 64

static double now_ms(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart * 1000.0 / (double)f.QuadPart;
}

static int recv_all(SOCKET s, char *b, int n)
{
    int got = 0;
    while (got < n) {
        int r = recv(s, b + got, n - got, 0);
        if (r <= 0)
            return -1;
        got += r;
    }
    return 0;
}

static DWORD WINAPI echo_server(LPVOID p)
{
    SOCKET l = (SOCKET)p;
    SOCKET c = accept(l, NULL, NULL);
    if (c == INVALID_SOCKET)
        return 1;
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, (char *)&one, sizeof one);
    char b[MSG];
    while (recv_all(c, b, MSG) == 0)
        if (send(c, b, MSG, 0) != MSG)
            break;
    closesocket(c);
    return 0;
}

/* N round trips; returns ms, or -1. */
static double echo(int n)
{
    WSADATA wd;
    WSAStartup(MAKEWORD(2, 2), &wd);
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int al = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&a, &al))
        return -1;
    HANDLE t = CreateThread(NULL, 0, echo_server, (LPVOID)l, 0, NULL);
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, (char *)&one, sizeof one);
    if (connect(c, (struct sockaddr *)&a, sizeof a))
        return -1;
    char b[MSG];
    memset(b, 'x', sizeof b);
    double t0 = now_ms();
    for (int i = 0; i < n; i++)
        if (send(c, b, MSG, 0) != MSG || recv_all(c, b, MSG))
            return -1;
    double ms = now_ms() - t0;
    closesocket(c);
    WaitForSingleObject(t, 5000);
    closesocket(l);
    return ms;
}

static DWORD run(const wchar_t *cmd, char *out, DWORD cap, int quiet)
{
    SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
    HANDLE rd, wr;
    DWORD code = 1;
    out[0] = 0;
    if (!CreatePipe(&rd, &wr, &sa, 0))
        return 1;
    SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
    wchar_t buf[1024];
    wcsncpy(buf, cmd, 1023);
    buf[1023] = 0;
    STARTUPINFOW si = { .cb = sizeof si };
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdOutput = wr;
    si.hStdError = quiet ? wr : GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION pi;
    if (!CreateProcessW(NULL, buf, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
        CloseHandle(rd);
        CloseHandle(wr);
        return 1;
    }
    CloseHandle(wr);
    DWORD n = 0, got;
    while (n < cap - 1 && ReadFile(rd, out + n, cap - 1 - n, &got, NULL) && got)
        n += got;
    out[n] = 0;
    WaitForSingleObject(pi.hProcess, INFINITE);
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    CloseHandle(rd);
    return code;
}

#include "stats.h"

int wmain(int argc, wchar_t **argv)
{
    if (argc > 2 && !wcscmp(argv[1], L"--echo")) {
        double ms = echo(_wtoi(argv[2]));
        printf("%.3f\n", ms);
        return ms < 0;
    }
    int runs = argc > 1 ? _wtoi(argv[1]) : 10;
    if (runs < 1 || runs > 100)
        runs = 10;
    const int trips = 1000;
    wchar_t plume[MAX_PATH], self[MAX_PATH], cmd[1024];
    GetModuleFileNameW(NULL, self, MAX_PATH);
    wcscpy(plume, self);
    wcscpy(wcsrchr(plume, L'\\') + 1, L"plume.exe");
    char out[256];
    swprintf(cmd, 1024, L"\"%ls\" delete benchnet", plume);
    run(cmd, out, sizeof out, 1); /* a leftover of an interrupted run */
    swprintf(cmd, 1024, L"\"%ls\" create benchnet --ip 127.0.1.9", plume);
    if (run(cmd, out, sizeof out, 1)) {
        fprintf(stderr, "bench_net: plume create benchnet --ip 127.0.1.9 failed: %s\n", out);
        return 1;
    }
    double *vm = calloc((size_t)runs, sizeof(double));
    double *nat = calloc((size_t)runs, sizeof(double));
    int bad = 0;
    for (int i = 0; i < runs && !bad; i++) {
        swprintf(cmd, 1024, L"\"%ls\" --echo %d", self, trips);
        bad |= run(cmd, out, sizeof out, 0) != 0;
        nat[i] = atof(out);
        swprintf(cmd, 1024, L"\"%ls\" run benchnet -- \"%ls\" --echo %d", plume, self, trips);
        bad |= run(cmd, out, sizeof out, 0) != 0;
        vm[i] = atof(out);
    }
    swprintf(cmd, 1024, L"\"%ls\" delete benchnet", plume);
    run(cmd, out, sizeof out, 1);
    if (bad) {
        fprintf(stderr, "bench_net: an echo run failed\n");
        return 1;
    }
    double *q = calloc((size_t)runs, sizeof(double));
    for (int i = 0; i < runs; i++)
        q[i] = nat[i] / vm[i];
    bench_result("net.throughput_ratio", q, runs);
    double mv = bench_result("net.vm_ms", vm, runs);
    double mn = bench_result("net.native_ms", nat, runs);
    printf("loopback echo, %d round trips of %d bytes, %d runs (medians)\n", trips, MSG, runs);
    printf("native:                        %8.1f ms  (%.0f round trips/s)\n", mn, trips * 1000.0 / mn);
    printf("in a VM (127.0.0.1 -> .1.9):   %8.1f ms  (%.0f round trips/s)\n", mv, trips * 1000.0 / mv);
    printf("throughput VM/native:          %8.2f x\n", mn / mv);
    return 0;
}
