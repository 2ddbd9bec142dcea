/* VM names and IPv4 addresses: validation, comparison, formatting.
 * Pure C: no Windows calls, no locale (all character tests are ASCII). */
#include "vmname.h"

#include <string.h>

static int is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static unsigned char ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Case-insensitive equality of the NUL-terminated ASCII strings a and b. */
static int ascii_ieq(const char *a, const char *b)
{
    for (;; a++, b++) {
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
            return 0;
        if (*a == 0)
            return 1;
    }
}

/* Device names Windows reserves in every folder: a folder named "con" (or
 * "COM1") cannot be made or opened through the usual Win32 paths. */
static int is_reserved_device(const char *name)
{
    static const char *const fixed[] = { "con", "prn", "aux", "nul", "conin$", "conout$" };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (ascii_ieq(name, fixed[i]))
            return 1;
    /* COM1..COM9, LPT1..LPT9 (COM0/LPT0 too: newer Windows reserves them). */
    if (strlen(name) == 4 && name[3] >= '0' && name[3] <= '9') {
        char three[4] = { name[0], name[1], name[2], 0 };
        if (ascii_ieq(three, "com") || ascii_ieq(three, "lpt"))
            return 1;
    }
    return 0;
}

const char *vmname_check(const char *name)
{
    if (name == NULL || name[0] == 0)
        return "is empty";
    size_t n = 0;
    for (; name[n] != 0; n++) {
        if (n >= VM_NAME_MAX)
            return "is longer than 32 characters";
        if (!is_name_char((unsigned char)name[n]))
            return "may contain only letters, digits, '_' and '-'";
    }
    if (is_reserved_device(name))
        return "is reserved by Windows for a device (like CON or COM1)";
    return NULL;
}

int vmname_equal(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return ascii_ieq(a, b);
}

int ipv4_parse(const char *s, uint32_t *addr, const char **why)
{
    static const char *const shape = "must be four numbers 0-255 separated by dots, like 127.0.0.2";
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    if (s == NULL || s[0] == 0) {
        *why = "is empty";
        return -1;
    }
    uint32_t value = 0;
    const char *p = s;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (*p != '.') {
                *why = shape;
                return -1;
            }
            p++;
        }
        /* 1 to 3 decimal digits; no sign, no spaces, no hex. */
        unsigned num = 0;
        int digits = 0;
        const char *start = p;
        while (*p >= '0' && *p <= '9') {
            if (digits == 3) {
                *why = shape;
                return -1;
            }
            num = num * 10 + (unsigned)(*p - '0');
            digits++;
            p++;
        }
        if (digits == 0) {
            *why = shape;
            return -1;
        }
        if (digits > 1 && start[0] == '0') {
            /* "010" means 8 to some parsers and 10 to others. */
            *why = "has a number with a leading zero";
            return -1;
        }
        if (num > 255) {
            *why = "has a number greater than 255";
            return -1;
        }
        value = (value << 8) | num;
    }
    if (*p != 0) {
        *why = shape;
        return -1;
    }
    if (addr != NULL)
        *addr = value;
    return 0;
}

/* Writes the decimal form of v (0..255) at p; returns the end. */
static char *put_octet(char *p, unsigned v)
{
    if (v >= 100)
        *p++ = (char)('0' + v / 100);
    if (v >= 10)
        *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

void ipv4_format(uint32_t addr, char buf[16])
{
    char *p = buf;
    for (int shift = 24; shift >= 0; shift -= 8) {
        p = put_octet(p, (addr >> shift) & 0xffu);
        if (shift > 0)
            *p++ = '.';
    }
    *p = 0;
}
