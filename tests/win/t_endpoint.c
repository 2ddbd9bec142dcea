/* Probe of the host-endpoint rules (tests/cli/endpoints.sh):
 *
 *   t_endpoint serve NAME TAG SECONDS  a pipe server \\.\pipe\NAME that
 *                                      answers "TAG:<message>"; prints
 *                                      "ready" once it listens
 *   t_endpoint open NAME [MESSAGE]     opens \\.\pipe\NAME as a client:
 *                                      "open=1 reply=..." (with MESSAGE) or
 *                                      "open=1", else "open=0 err=N"
 *   t_endpoint start-rpcss             starts the RpcSs service (the
 *                                      endpoint mapper): "rpcss=1" once its
 *                                      lrpc\epmapper pipe answers
 *
 * Exit code 0 when the operation worked. */
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

static void say(const char *fmt, ...)
{
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    DWORD w;
    if (n > 0)
        WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), buf, (DWORD)strlen(buf), &w, NULL);
}

static int serve(const wchar_t *name, const char *tag, int secs)
{
    wchar_t path[400];
    swprintf(path, 400, L"\\\\.\\pipe\\%ls", name);
    DWORD end = GetTickCount() + (DWORD)secs * 1000;
    int announced = 0;
    while ((LONG)(end - GetTickCount()) > 0) {
        HANDLE p = CreateNamedPipeW(path, PIPE_ACCESS_DUPLEX,
                                    PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                                    PIPE_UNLIMITED_INSTANCES, 512, 512, 0, NULL);
        if (p == INVALID_HANDLE_VALUE) {
            say("serve: CreateNamedPipe failed err=%lu\n", GetLastError());
            return 1;
        }
        if (!announced) {
            say("ready\n");
            announced = 1;
        }
        if (ConnectNamedPipe(p, NULL) || GetLastError() == ERROR_PIPE_CONNECTED) {
            char in[256], out[400];
            DWORD n = 0, w;
            if (ReadFile(p, in, sizeof in - 1, &n, NULL)) {
                in[n] = 0;
                int m = snprintf(out, sizeof out, "%s:%s", tag, in);
                WriteFile(p, out, (DWORD)m, &w, NULL);
                FlushFileBuffers(p);
            }
            DisconnectNamedPipe(p);
        }
        CloseHandle(p);
    }
    return 0;
}

static HANDLE open_pipe(const wchar_t *name, DWORD *err)
{
    wchar_t path[400];
    swprintf(path, 400, L"\\\\.\\pipe\\%ls", name);
    HANDLE p = INVALID_HANDLE_VALUE;
    *err = 0;
    for (int i = 0; i < 50 && p == INVALID_HANDLE_VALUE; i++) {
        p = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
        if (p != INVALID_HANDLE_VALUE)
            break;
        *err = GetLastError();
        if (*err != ERROR_PIPE_BUSY)
            break;
        WaitNamedPipeW(path, 200);
    }
    return p;
}

static int client(const wchar_t *name, const char *msg)
{
    DWORD err;
    HANDLE p = open_pipe(name, &err);
    if (p == INVALID_HANDLE_VALUE) {
        say("open=0 err=%lu\n", (unsigned long)err);
        return 1;
    }
    if (!msg) {
        say("open=1\n");
        CloseHandle(p);
        return 0;
    }
    DWORD mode = PIPE_READMODE_MESSAGE, w, n = 0;
    SetNamedPipeHandleState(p, &mode, NULL, NULL);
    char reply[400] = "";
    WriteFile(p, msg, (DWORD)strlen(msg), &w, NULL);
    if (ReadFile(p, reply, sizeof reply - 1, &n, NULL))
        reply[n] = 0;
    say("open=1 reply=%s\n", reply);
    CloseHandle(p);
    return 0;
}

static int start_rpcss(void)
{
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE s = scm ? OpenServiceW(scm, L"RpcSs", SERVICE_START) : NULL;
    DWORD e = 0;
    if (!s || (!StartServiceW(s, 0, NULL) && (e = GetLastError()) != ERROR_SERVICE_ALREADY_RUNNING))
        say("start: err=%lu\n", (unsigned long)(s ? e : GetLastError()));
    if (s)
        CloseServiceHandle(s);
    if (scm)
        CloseServiceHandle(scm);
    for (int i = 0; i < 100; i++) {
        HANDLE p = open_pipe(L"lrpc\\epmapper", &e);
        if (p != INVALID_HANDLE_VALUE) {
            CloseHandle(p);
            say("rpcss=1\n");
            return 0;
        }
        Sleep(100);
    }
    say("rpcss=0 err=%lu\n", (unsigned long)e);
    return 1;
}

int wmain(int argc, wchar_t **argv)
{
    char a[256] = "";
    if (argc >= 5 && !wcscmp(argv[1], L"serve")) {
        WideCharToMultiByte(CP_UTF8, 0, argv[3], -1, a, sizeof a, NULL, NULL);
        return serve(argv[2], a, _wtoi(argv[4]));
    }
    if (argc >= 3 && !wcscmp(argv[1], L"open")) {
        if (argc >= 4)
            WideCharToMultiByte(CP_UTF8, 0, argv[3], -1, a, sizeof a, NULL, NULL);
        return client(argv[2], argc >= 4 ? a : NULL);
    }
    if (argc >= 2 && !wcscmp(argv[1], L"start-rpcss"))
        return start_rpcss();
    say("usage: see the head of tests/win/t_endpoint.c\n");
    return 2;
}
