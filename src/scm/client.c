/* The service protocol's transport: see client.h. */
#include "client.h"

int scmc_pipe_name(const uint16_t *tag, wchar_t *buf)
{
    const wchar_t *p = SCMC_PIPE_PREFIX;
    size_t n = 0;
    while (*p)
        buf[n++] = *p++;
    while (*tag) {
        if (n + 1 >= SCMC_PIPE_MAX)
            return -1;
        buf[n++] = (wchar_t)*tag++;
    }
    buf[n] = 0;
    return 0;
}

HANDLE scmc_connect(const wchar_t *pipe, DWORD timeout_ms)
{
    DWORD start = GetTickCount();
    for (;;) {
        HANDLE h = CreateFileW(pipe, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                               0, NULL);
        if (h != INVALID_HANDLE_VALUE)
            return h;
        DWORD e = GetLastError();
        if (e != ERROR_PIPE_BUSY)
            return INVALID_HANDLE_VALUE;
        DWORD spent = GetTickCount() - start;
        if (spent >= timeout_ms) {
            SetLastError(ERROR_PIPE_BUSY);
            return INVALID_HANDLE_VALUE;
        }
        if (!WaitNamedPipeW(pipe, timeout_ms - spent))
            Sleep(5);
    }
}

DWORD scmc_send(HANDLE h, const uint8_t *msg, size_t n)
{
    while (n) {
        DWORD w = 0;
        if (!WriteFile(h, msg, (DWORD)n, &w, NULL))
            return GetLastError();
        if (w == 0)
            return ERROR_BROKEN_PIPE;
        msg += w;
        n -= w;
    }
    return 0;
}

static DWORD read_all(HANDLE h, uint8_t *p, DWORD n)
{
    while (n) {
        DWORD r = 0;
        if (!ReadFile(h, p, n, &r, NULL)) {
            DWORD e = GetLastError();
            if (e != ERROR_MORE_DATA)
                return e;
        }
        if (r == 0)
            return ERROR_BROKEN_PIPE;
        p += r;
        n -= r;
    }
    return 0;
}

uint8_t *scmc_alloc(void)
{
    return HeapAlloc(GetProcessHeap(), 0, SCM_MAX_MSG);
}

void scmc_free(uint8_t *buf)
{
    if (buf)
        HeapFree(GetProcessHeap(), 0, buf);
}

uint8_t *scmc_recv(HANDLE h, scm_msg *m, DWORD *err)
{
    uint8_t head[SCM_HEADER];
    DWORD e = read_all(h, head, SCM_HEADER);
    if (e) {
        *err = e;
        return NULL;
    }
    uint32_t len = scm_peek_length(head, SCM_HEADER);
    if (!len) {
        *err = ERROR_INVALID_DATA;
        return NULL;
    }
    /* HeapAlloc gives 16-byte aligned memory: the decoder wants 4. */
    uint8_t *buf = HeapAlloc(GetProcessHeap(), 0, len);
    if (!buf) {
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    for (int i = 0; i < (int)SCM_HEADER; i++)
        buf[i] = head[i];
    if ((e = read_all(h, buf + SCM_HEADER, len - SCM_HEADER)) != 0 ||
        scm_decode(buf, len, m) != 0) {
        HeapFree(GetProcessHeap(), 0, buf);
        *err = e ? e : ERROR_INVALID_DATA;
        return NULL;
    }
    *err = 0;
    return buf;
}
