/* Output helpers of plume.exe: UTF-8 text, clear error messages. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
}

static void vmsg(const char *cmd, const char *fmt, va_list ap)
{
    fflush(stdout);
    fprintf(stderr, "plume%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
}

int fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(cmd, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return PLUME_EXIT_FAIL;
}

int fail_win(const char *cmd, DWORD err, const char *fmt, ...)
{
    wchar_t wmsg[512];
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vmsg(cmd, fmt, ap);
    va_end(ap);
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                             NULL, err, 0, wmsg, sizeof wmsg / sizeof wmsg[0], NULL);
    while (n > 0 && (wmsg[n - 1] == L'\n' || wmsg[n - 1] == L'\r' || wmsg[n - 1] == L'.'))
        wmsg[--n] = 0;
    if (n == 0)
        fprintf(stderr, " (error %lu)\n", (unsigned long)err);
    else
        fprintf(stderr, ": %s (error %lu)\n", to_utf8(wmsg, msg, sizeof msg),
                (unsigned long)err);
    return PLUME_EXIT_FAIL;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(cmd, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'plume %s --help'.\n", cmd ? cmd : "");
    return PLUME_EXIT_USAGE;
}

char *to_utf8(const wchar_t *w, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, (int)cap, NULL, NULL);
    if (n <= 0) {
        /* Too long: convert what fits. */
        size_t len = wcslen(w);
        while (len > 0 && (n = WideCharToMultiByte(CP_UTF8, 0, w, (int)len, buf,
                                                   (int)cap - 1, NULL, NULL)) <= 0)
            len /= 2;
        buf[n > 0 ? n : 0] = 0;
    }
    return buf;
}

int wants_help(int argc, wchar_t **argv)
{
    for (int i = 1; i < argc; i++) {
        if (wcscmp(argv[i], L"--") == 0)
            return 0;
        if (!wcscmp(argv[i], L"-h") || !wcscmp(argv[i], L"--help") || !wcscmp(argv[i], L"/?"))
            return 1;
    }
    return 0;
}

/* A JSON string, escaped. s is UTF-8. */
void out_json_str(const char *s)
{
    out("\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            out("\\%c", c);
        else if (c == '\n')
            out("\\n");
        else if (c == '\r')
            out("\\r");
        else if (c == '\t')
            out("\\t");
        else if (c < 0x20 || c == 0x7f)
            out("\\u%04x", c);
        else
            out("%c", c);
    }
    out("\"");
}
