/* Command-line quoting by the rules of CommandLineToArgvW: backslashes are
 * literal unless they precede a double quote; 2n backslashes + quote give n
 * backslashes and a delimiter, 2n+1 give n and a literal quote. */
#include "cmdline.h"

static int needs_quotes(const uint16_t *a)
{
    if (*a == 0)
        return 1;
    for (; *a; a++)
        if (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\v' || *a == '"')
            return 1;
    return 0;
}

int cmdline_append(uint16_t *buf, size_t cap, size_t *len, const uint16_t *arg)
{
    size_t n = *len;
#define PUT(c) do { if (n + 1 >= cap) goto overflow; buf[n++] = (uint16_t)(c); } while (0)
    if (n > 0)
        PUT(' ');
    if (!needs_quotes(arg)) {
        for (const uint16_t *p = arg; *p; p++)
            PUT(*p);
    } else {
        PUT('"');
        for (const uint16_t *p = arg;; p++) {
            size_t bs = 0;
            while (*p == '\\') {
                bs++;
                p++;
            }
            if (*p == 0) {
                /* Double them: the closing quote follows. */
                for (size_t i = 0; i < bs * 2; i++)
                    PUT('\\');
                break;
            }
            if (*p == '"') {
                for (size_t i = 0; i < bs * 2 + 1; i++)
                    PUT('\\');
            } else {
                for (size_t i = 0; i < bs; i++)
                    PUT('\\');
            }
            PUT(*p);
        }
        PUT('"');
    }
#undef PUT
    buf[n] = 0;
    *len = n;
    return 0;
overflow:
    if (*len < cap)
        buf[*len] = 0;
    return -1;
}
