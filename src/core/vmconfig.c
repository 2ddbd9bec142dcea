/* vm.conf: parse and format. Pure C: no Windows calls.
 *
 * The parser takes arbitrary bytes (it is fuzzed). Rules:
 *  - lines end with "\n" or "\r\n"; the last one may lack it (as Notepad
 *    saves); a leading UTF-8 BOM is skipped (plume writes files whole, by
 *    a rename, so a torn file does not arise from plume itself);
 *  - a line holds at most VMCONFIG_LINE_MAX bytes (without its ending);
 *  - NUL and other control bytes (but tab) are refused anywhere;
 *  - blank lines and lines starting with '#' (after blanks) are ignored;
 *  - other lines are "key = value", blanks around both trimmed; keys are
 *    version, name, ip and created, each at most once;
 *  - version and name are required; ip and created are optional;
 *  - "endpoint = RULE" lines (any number) are skipped: their rules are
 *    objname_rules_parse's (src/core/objname.h).
 * Error messages never echo control bytes: what they quote is sanitized. */
#include "vmconfig.h"

#include <stdio.h>
#include <string.h>

#define VMCONFIG_LINE_MAX 255

/* Copies up to 32 bytes of s[0..n) into buf for quoting in a message:
 * bytes outside printable ASCII become '?', a cut gets "...". */
static const char *quote(const char *s, size_t n, char buf[40])
{
    size_t lim = n > 32 ? 32 : n, j = 0;
    for (size_t i = 0; i < lim; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (n > lim) {
        memcpy(buf + j, "...", 3);
        j += 3;
    }
    buf[j] = 0;
    return buf;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Strict decimal int64: optional '-', 1+ digits, no overflow. */
static int parse_i64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && s[i] == '-') {
        neg = 1;
        i++;
    }
    if (i == n)
        return -1;
    /* Accumulate as unsigned; the magnitude limit depends on the sign. */
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return 0;
}

enum { KEY_VERSION, KEY_NAME, KEY_IP, KEY_CREATED, KEY_COUNT };
static const char *const key_names[KEY_COUNT] = { "version", "name", "ip", "created" };

int vmconfig_parse(const char *text, size_t len, vm_config *out,
                   char *err, size_t errcap)
{
    char dummy[1];
    if (err == NULL || errcap == 0) {
        err = dummy;
        errcap = sizeof dummy;
    }
    err[0] = 0;
    if (text == NULL && len > 0) {
        snprintf(err, errcap, "no text");
        return -1;
    }

    vm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int seen[KEY_COUNT] = { 0 };
    int64_t version = 0;
    /* The first error is kept while the scan goes on, so that a file of an
     * unsupported version is reported as such, not by its first unknown key. */
    char first[160] = "";
    char version_err[160] = "";
    char q[40];

    /* A NUL anywhere means this is not a text file. */
    if (len > 0 && memchr(text, 0, len) != NULL) {
        snprintf(err, errcap, "contains a NUL byte (not a text file)");
        return -1;
    }

    size_t pos = 0;
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
        pos = 3;
    unsigned long lineno = 0;
    /* FAIL records the first error and goes on with the next line. */
#define FAIL(...) { if (!first[0]) snprintf(first, sizeof first, __VA_ARGS__); continue; }
    while (pos < len && !version_err[0]) {
        lineno++;
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n > 0 && line[n - 1] == '\r')
            n--;

        if (n > VMCONFIG_LINE_MAX)
            FAIL("line %lu: longer than %d bytes", lineno, VMCONFIG_LINE_MAX)
        size_t bad = n;
        for (size_t i = 0; i < n && bad == n; i++) {
            unsigned char c = (unsigned char)line[i];
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                bad = i;
        }
        if (bad < n)
            FAIL("line %lu: control character 0x%02x", lineno,
                 (unsigned)(unsigned char)line[bad])

        /* Trim, skip blank and comment lines. */
        size_t b = 0, e = n;
        while (b < e && is_blank(line[b]))
            b++;
        while (e > b && is_blank(line[e - 1]))
            e--;
        if (b == e || line[b] == '#')
            continue;

        const char *eq = memchr(line + b, '=', e - b);
        if (eq == NULL)
            FAIL("line %lu: expected 'key = value', got '%s'", lineno, quote(line + b, e - b, q))
        size_t kb = b, ke = (size_t)(eq - line);
        while (ke > kb && is_blank(line[ke - 1]))
            ke--;
        size_t vb = (size_t)(eq - line) + 1, ve = e;
        while (vb < ve && is_blank(line[vb]))
            vb++;
        const char *key = line + kb, *val = line + vb;
        size_t klen = ke - kb, vlen = ve - vb;

        /* "endpoint = RULE" (any number): the VM's host-endpoint rules, read
         * and checked by objname_rules_parse (src/core/objname.h), not here:
         * a bad rule must not make the whole VM unreadable. */
        if (klen == 8 && memcmp(key, "endpoint", 8) == 0)
            continue;
        int k = KEY_COUNT;
        for (int i = 0; i < KEY_COUNT; i++)
            if (strlen(key_names[i]) == klen && memcmp(key, key_names[i], klen) == 0)
                k = i;
        if (k == KEY_COUNT)
            FAIL("line %lu: unknown key '%s'", lineno, quote(key, klen, q))
        if (seen[k])
            FAIL("line %lu: repeated key '%s'", lineno, key_names[k])
        seen[k] = 1;
        if (first[0] && k != KEY_VERSION)
            continue;           /* after an error only the version matters */

        switch (k) {
        case KEY_VERSION:
            if (parse_i64(val, vlen, &version) != 0)
                FAIL("line %lu: invalid version '%s'", lineno, quote(val, vlen, q))
            if (version != VMCONFIG_VERSION)
                snprintf(version_err, sizeof version_err,
                         "line %lu: unsupported version %s (this plume reads version %d)",
                         lineno, quote(val, vlen, q), VMCONFIG_VERSION);
            break;
        case KEY_NAME: {
            const char *why = vlen > VM_NAME_MAX ? "is longer than 32 characters" : NULL;
            if (why == NULL) {
                memcpy(cfg.name, val, vlen);
                cfg.name[vlen] = 0;
                why = vmname_check(cfg.name);
            }
            if (why != NULL)
                FAIL("line %lu: invalid name '%s': %s", lineno, quote(val, vlen, q), why)
            break;
        }
        case KEY_IP: {
            char ip[16];
            const char *why = "must be four numbers 0-255 separated by dots, like 127.0.0.2";
            if (vlen < sizeof ip) {
                memcpy(ip, val, vlen);
                ip[vlen] = 0;
                if (ipv4_parse(ip, &cfg.ip, &why) == 0)
                    why = NULL;
            }
            if (why != NULL)
                FAIL("line %lu: invalid ip '%s': %s", lineno, quote(val, vlen, q), why)
            cfg.has_ip = 1;
            break;
        }
        default: /* KEY_CREATED */
            if (parse_i64(val, vlen, &cfg.created) != 0)
                FAIL("line %lu: invalid created '%s': must be a whole number of seconds",
                     lineno, quote(val, vlen, q))
            break;
        }
    }
#undef FAIL

    if (version_err[0]) {
        snprintf(err, errcap, "%s", version_err);
        return -1;
    }
    if (first[0]) {
        snprintf(err, errcap, "%s", first);
        return -1;
    }
    if (!seen[KEY_VERSION]) {
        snprintf(err, errcap, "missing 'version'");
        return -1;
    }
    if (!seen[KEY_NAME]) {
        snprintf(err, errcap, "missing 'name'");
        return -1;
    }
    if (out != NULL)
        *out = cfg;
    return 0;
}

/* Appends s to buf[*at..cap); 0 when it does not fit (leaving room for NUL). */
static int put(char *buf, size_t cap, size_t *at, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap - *at)
        return 0;
    memcpy(buf + *at, s, n + 1);
    *at += n;
    return 1;
}

static void format_i64(int64_t v, char out[24])
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    size_t j = 0;
    if (v < 0)
        out[j++] = '-';
    while (n > 0)
        out[j++] = tmp[--n];
    out[j] = 0;
}

size_t vmconfig_format(const vm_config *cfg, char *buf, size_t cap)
{
    /* Only a valid config is written: parsing the text must give it back. */
    if (cfg == NULL || buf == NULL || cap == 0 ||
        memchr(cfg->name, 0, sizeof cfg->name) == NULL || vmname_check(cfg->name) != NULL)
        return 0;
    char num[24], ip[16];
    size_t at = 0;
    buf[0] = 0;
    format_i64(VMCONFIG_VERSION, num);
    int ok = put(buf, cap, &at, "# Plume VM config\nversion = ") && put(buf, cap, &at, num) &&
             put(buf, cap, &at, "\nname = ") && put(buf, cap, &at, cfg->name) &&
             put(buf, cap, &at, "\n");
    if (ok && cfg->has_ip) {
        ipv4_format(cfg->ip, ip);
        ok = put(buf, cap, &at, "ip = ") && put(buf, cap, &at, ip) && put(buf, cap, &at, "\n");
    }
    format_i64(cfg->created, num);
    ok = ok && put(buf, cap, &at, "created = ") && put(buf, cap, &at, num) &&
         put(buf, cap, &at, "\n");
    if (!ok) {
        buf[0] = 0;
        return 0;
    }
    return at;
}
