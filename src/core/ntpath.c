/* NT path names for the files namespace (ntpath.h). No C runtime. */
#include "ntpath.h"

uint16_t ntp_upcase(uint16_t c)
{
    if (c >= 'a' && c <= 'z')
        return (uint16_t)(c - 32);
    if (c < 0xe0)
        return c;
    if (c <= 0xfe)
        return c == 0xf7 ? c : (uint16_t)(c - 32);
    if (c == 0xff)
        return 0x178;
    if (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2)
        return (uint16_t)(c - 32);
    if (c >= 0x430 && c <= 0x44f)
        return (uint16_t)(c - 32);
    if (c >= 0x450 && c <= 0x45f)
        return (uint16_t)(c - 80);
    return c;
}

int ntp_eq(const uint16_t *a, size_t an, const uint16_t *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (a[i] != b[i] && ntp_upcase(a[i]) != ntp_upcase(b[i]))
            return 0;
    return 1;
}

int ntp_cmp(const uint16_t *a, size_t an, const uint16_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        uint16_t x = ntp_upcase(a[i]), y = ntp_upcase(b[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return an < bn ? -1 : an > bn ? 1 : 0;
}

int ntp_under(const uint16_t *p, size_t pn, const uint16_t *dir, size_t dn)
{
    while (dn > 0 && dir[dn - 1] == '\\')
        dn--;
    if (pn < dn || !ntp_eq(p, dn, dir, dn))
        return 0;
    return pn == dn || p[dn] == '\\' || p[dn] == ':';
}

/* Case-insensitive prefix test of an ASCII literal. */
static int lit(const uint16_t *p, size_t n, const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (i >= n || ntp_upcase(p[i]) != ntp_upcase((uint16_t)(unsigned char)s[i]))
            return 0;
    return (int)i;
}

static int is_sep(uint16_t c)
{
    return c == '\\' || c == '/';
}

static int is_letter(uint16_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int bad_char(uint16_t c)
{
    return c < 0x20 || c == '*' || c == '?' || c == '<' || c == '>' || c == '"' || c == '|';
}

/* Appends the components of src to out, which holds \??\X: and maybe
 * components already. Returns NTP_DISK, NTP_BAD or NTP_TOOLONG. */
static int emit(const uint16_t *src, size_t sn, uint16_t *out, size_t cap, size_t *olen,
                size_t *plen)
{
    size_t o = *olen, i = 0;
    size_t stream = 0, stream_len = 0;
    while (i < sn) {
        while (i < sn && is_sep(src[i]))
            i++;
        if (i >= sn)
            break;
        size_t s = i;
        while (i < sn && !is_sep(src[i]))
            i++;
        size_t e = i, colon = e;
        for (size_t k = s; k < e; k++)
            if (src[k] == ':') {
                colon = k;
                break;
            }
        int last = 1;
        for (size_t k = e; k < sn; k++)
            if (!is_sep(src[k])) {
                last = 0;
                break;
            }
        if (colon < e && !last)
            return NTP_BAD;
        size_t ne = colon;
        if (ne - s == 1 && src[s] == '.' && colon == e)
            continue;
        if (ne - s == 2 && src[s] == '.' && src[s + 1] == '.' && colon == e) {
            while (o > 6 && out[o - 1] != '\\')
                o--;
            if (o > 6)
                o--;
            continue;
        }
        while (ne > s && (src[ne - 1] == '.' || src[ne - 1] == ' '))
            ne--;
        if (ne == s) {
            if (colon < e)
                return NTP_BAD;
            continue;
        }
        for (size_t k = s; k < ne; k++)
            if (bad_char(src[k]))
                return NTP_BAD;
        if (o + 1 + (ne - s) > cap)
            return NTP_TOOLONG;
        out[o++] = '\\';
        for (size_t k = s; k < ne; k++)
            out[o++] = src[k];
        if (colon < e) {
            stream = colon;
            stream_len = e - colon;
        }
    }
    if (o == 6) {
        if (o + 1 > cap)
            return NTP_TOOLONG;
        out[o++] = '\\';
    }
    *plen = o;
    if (stream_len) {
        const uint16_t *st = src + stream;
        size_t sl = stream_len;
        /* ":name:$DATA" is ":name"; "::$DATA" and ":" are the file itself. */
        if (sl >= 6 && lit(st + sl - 6, 6, ":$DATA"))
            sl -= 6;
        if (sl > 1) {
            if (o + sl > cap)
                return NTP_TOOLONG;
            for (size_t k = 0; k < sl; k++) {
                if (k > 0 && bad_char(st[k]))
                    return NTP_BAD;
                out[o++] = st[k];
            }
        }
    }
    *olen = o;
    return NTP_DISK;
}

static int head(uint16_t *out, size_t cap, uint16_t drive)
{
    static const char h[] = "\\??\\";
    if (cap < 7)
        return 0;
    for (int i = 0; i < 4; i++)
        out[i] = (uint16_t)h[i];
    out[4] = ntp_upcase(drive);
    out[5] = ':';
    return 1;
}

int ntp_canon(const uint16_t *in, size_t n, const ntp_volmap *vm, uint16_t *out, size_t cap,
              size_t *out_len, size_t *path_len)
{
    const uint16_t *p = in;
    uint16_t drive = 0;
    int k;
    for (int round = 0; round < 4 && !drive; round++) {
        if ((k = lit(p, n, "\\??\\")) || (k = lit(p, n, "\\DosDevices\\")) ||
            (k = lit(p, n, "\\GLOBAL??\\"))) {
            p += k;
            n -= (size_t)k;
            if ((k = lit(p, n, "GLOBALROOT")) && (n == (size_t)k || is_sep(p[k]))) {
                p += k;
                n -= (size_t)k;
                if (n == 0)
                    return NTP_OTHER;
                continue;
            }
            /* Wine: \??\unix\<unix path> names a Unix path directly
             * (ntdll/unix/file.c, "unix" in any case, then a separator). */
            if ((k = lit(p, n, "unix")) && (n == (size_t)k || is_sep(p[k])))
                return NTP_UNIX;
            if (n >= 2 && is_letter(p[0]) && p[1] == ':') {
                drive = p[0];
                p += 2;
                n -= 2;
                if (n == 0) {
                    if (!head(out, cap, drive))
                        return NTP_TOOLONG;
                    *out_len = *path_len = 6;
                    return NTP_VOLUME;
                }
                if (!is_sep(p[0]))
                    return NTP_BAD;
                break;
            }
            if ((k = lit(p, n, "UNC\\"))) {
                const uint16_t *h = p + k;
                size_t hn = n - (size_t)k, hl = 0;
                while (hl < hn && !is_sep(h[hl]))
                    hl++;
                int local = (hl == 9 && lit(h, hl, "localhost")) ||
                            (hl == 9 && lit(h, hl, "127.0.0.1")) || (hl == 1 && h[0] == '.');
                if (!local || hl >= hn)
                    return NTP_OTHER;
                const uint16_t *s = h + hl + 1;
                size_t sn = hn - hl - 1;
                if (sn >= 2 && is_letter(s[0]) && s[1] == '$' && (sn == 2 || is_sep(s[2]))) {
                    drive = s[0];
                    p = s + 2;
                    n = sn - 2;
                    break;
                }
                return NTP_OTHER;
            }
            return NTP_OTHER;
        }
        if ((k = lit(p, n, "\\Device\\")) && vm) {
            for (int d = 0; d < 26; d++) {
                size_t dl = vm->dev_len[d];
                if (dl == 0 || dl > 64 || n < dl || !ntp_eq(p, dl, vm->dev[d], dl))
                    continue;
                if (n == dl) {
                    if (!head(out, cap, (uint16_t)('A' + d)))
                        return NTP_TOOLONG;
                    *out_len = *path_len = 6;
                    return NTP_VOLUME;
                }
                if (!is_sep(p[dl]))
                    continue;
                drive = (uint16_t)('A' + d);
                p += dl;
                n -= dl;
                break;
            }
            if (drive)
                break;
        }
        return NTP_OTHER;
    }
    if (!drive)
        return NTP_OTHER;
    if (!head(out, cap, drive))
        return NTP_TOOLONG;
    *out_len = 6;
    return emit(p, n, out, cap, out_len, path_len);
}

int ntp_join(const uint16_t *base, size_t bn, const uint16_t *rel, size_t rn,
             const ntp_volmap *vm, uint16_t *out, size_t cap, size_t *out_len,
             size_t *path_len)
{
    size_t ol = 0, pl = 0;
    int kind = ntp_canon(base, bn, vm, out, cap, &ol, &pl);
    if (rn == 0) {
        /* An empty name: the object itself (a re-open, e.g. ReOpenFile),
         * whatever it is: a stream, a volume. */
        *out_len = ol;
        *path_len = pl;
        return kind;
    }
    if (kind != NTP_DISK)
        return kind == NTP_VOLUME ? NTP_BAD : kind;
    if (ol != pl)
        return NTP_BAD; /* a stream is no directory */
    if (pl == 7)
        pl = 6;
    *out_len = pl;
    return emit(rel, rn, out, cap, out_len, path_len);
}

size_t ntp_parent(const uint16_t *v, size_t n)
{
    if (n <= 7)
        return 0;
    size_t i = n;
    while (i > 6 && v[i - 1] != '\\')
        i--;
    i = i > 0 ? i - 1 : 0;
    return i <= 6 ? 7 : i;
}

size_t ntp_leaf(const uint16_t *v, size_t n)
{
    size_t i = n;
    while (i > 0 && v[i - 1] != '\\')
        i--;
    return i;
}

size_t ntp_store_path(const uint16_t *base, size_t bn, const uint16_t *v, size_t vn,
                      uint16_t *out, size_t cap)
{
    if (vn < 7 || !lit(v, vn, "\\??\\") || !is_letter(v[4]) || v[5] != ':' || v[6] != '\\')
        return 0;
    size_t rest = vn == 7 ? 0 : vn - 6;
    if (bn + 2 + rest > cap)
        return 0;
    size_t o = 0;
    for (size_t i = 0; i < bn; i++)
        out[o++] = base[i];
    out[o++] = '\\';
    out[o++] = ntp_upcase(v[4]);
    for (size_t i = 0; i < rest; i++)
        out[o++] = v[6 + i];
    return o;
}

int ntp_could_change(uint32_t access, uint32_t disposition, uint32_t options)
{
    const uint32_t writes = 0x0002u     /* FILE_WRITE_DATA / FILE_ADD_FILE */
                            | 0x0004u   /* FILE_APPEND_DATA / FILE_ADD_SUBDIRECTORY */
                            | 0x0010u   /* FILE_WRITE_EA */
                            | 0x0040u   /* FILE_DELETE_CHILD */
                            | 0x0100u   /* FILE_WRITE_ATTRIBUTES */
                            | 0x00010000u /* DELETE */
                            | 0x00040000u /* WRITE_DAC */
                            | 0x00080000u /* WRITE_OWNER */
                            | 0x02000000u /* MAXIMUM_ALLOWED */
                            | 0x10000000u /* GENERIC_ALL */
                            | 0x40000000u; /* GENERIC_WRITE */
    if (access & writes)
        return 1;
    if (options & 0x00001000u) /* FILE_DELETE_ON_CLOSE */
        return 1;
    return disposition == 0 /* SUPERSEDE */ || disposition == 4 /* OVERWRITE */ ||
           disposition == 5 /* OVERWRITE_IF */ || disposition > 5;
}

int ntp_creates(uint32_t disposition)
{
    return disposition == 0 || disposition == 2 || disposition == 3 || disposition == 5;
}

/* Pattern matching: an NFA over pattern positions, as bit sets. */
#define MATCH_MAX 320

static int has_wild(const uint16_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '*' || p[i] == '?' || p[i] == '<' || p[i] == '>' || p[i] == '"')
            return 1;
    return 0;
}

int ntp_match(const uint16_t *pat, size_t pn, const uint16_t *name, size_t nn)
{
    if (pn == 0)
        return 1;
    if (!has_wild(pat, pn))
        return ntp_eq(pat, pn, name, nn);
    if (pn >= MATCH_MAX)
        return 0;
    uint64_t cur[MATCH_MAX / 64], nxt[MATCH_MAX / 64];
    for (size_t i = 0; i < MATCH_MAX / 64; i++)
        cur[i] = nxt[i] = 0;
#define GET(s, i) (((s)[(i) >> 6] >> ((i)&63)) & 1u)
#define SET(s, i) ((s)[(i) >> 6] |= (uint64_t)1 << ((i)&63))
    size_t lastdot = (size_t)-1;
    for (size_t j = 0; j < nn; j++)
        if (name[j] == '.')
            lastdot = j;
    SET(cur, 0);
    for (size_t j = 0;; j++) {
        int end = j >= nn;
        uint16_t c = end ? 0 : name[j];
        /* Epsilon moves go forward only: one ascending pass closes the set. */
        for (size_t i = 0; i < pn; i++) {
            if (!GET(cur, i))
                continue;
            uint16_t q = pat[i];
            if (q == '*' || q == '<' || (q == '>' && (end || c == '.')) || (q == '"' && end))
                SET(cur, i + 1);
        }
        if (end)
            break;
        int any = 0;
        for (size_t i = 0; i < MATCH_MAX / 64; i++)
            nxt[i] = 0;
        for (size_t i = 0; i < pn; i++) {
            if (!GET(cur, i))
                continue;
            uint16_t q = pat[i];
            if (q == '*') {
                SET(nxt, i);
                any = 1;
            } else if (q == '<') {
                if (lastdot == (size_t)-1 || j < lastdot) {
                    SET(nxt, i);
                    any = 1;
                }
            } else if (q == '?' || (q == '>' && c != '.') || (q == '"' && c == '.') ||
                       (q != '>' && q != '"' && ntp_upcase(q) == ntp_upcase(c))) {
                SET(nxt, i + 1);
                any = 1;
            }
        }
        for (size_t i = 0; i < MATCH_MAX / 64; i++)
            cur[i] = nxt[i];
        if (!any)
            return 0;
    }
    return (int)GET(cur, pn);
#undef GET
#undef SET
}

size_t ntp_tilde_next(const uint16_t *v, size_t n, size_t from, size_t *end)
{
    if (!v || n <= 7 || v[6] != '\\')
        return n;
    size_t i = from < 7 ? 7 : from;
    while (i < n) {
        size_t s = i, tilde = 0;
        while (i < n && v[i] != '\\' && v[i] != ':') {
            if (v[i] == '~')
                tilde = 1;
            i++;
        }
        if (tilde && i > s) {
            if (end)
                *end = i;
            return s;
        }
        if (i < n && v[i] == ':')
            break; /* the stream suffix */
        i++;
    }
    return n;
}
