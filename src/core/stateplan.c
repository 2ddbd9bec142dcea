/* The plan of plume diff / commit: see stateplan.h. */
#include "stateplan.h"

#include <string.h>

/* --- origin records ---------------------------------------------------------- */

static uint64_t get_le(const uint8_t *b, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

static void put_le(uint8_t *b, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++, v >>= 8)
        b[i] = (uint8_t)(v & 0xff);
}

int sp_origin_parse(const uint8_t *b, size_t n, sp_origin *o)
{
    if (n == 0)
        return 0;
    if (b == NULL || n != SP_ORIGIN_SIZE || memcmp(b, "PLOR", 4) != 0 || get_le(b + 4, 4) != 1)
        return -1;
    if (o != NULL) {
        o->lwt = (int64_t)get_le(b + 8, 8);
        o->size = (int64_t)get_le(b + 16, 8);
    }
    return 1;
}

void sp_origin_format(const sp_origin *o, uint8_t out[SP_ORIGIN_SIZE])
{
    memcpy(out, "PLOR", 4);
    put_le(out + 4, 1, 4);
    put_le(out + 8, (uint64_t)o->lwt, 8);
    put_le(out + 16, (uint64_t)o->size, 8);
}

/* --- one name ------------------------------------------------------------------ */

static int origin_matches(const sp_origin *o, const sp_facts *f)
{
    return o->lwt == f->host_lwt && o->size == f->host_size;
}

/* The host entry the VM deleted (own marker or a marked ancestor) is about
 * to be replaced or removed: did the host change it since? */
static int after_delete(const sp_facts *f)
{
    if (f->marker && f->has_morigin && f->host == SP_FILE)
        return !origin_matches(&f->morigin, f);
    /* No origin known (an empty marker, a marked ancestor, a directory):
     * anything written after the marker was is a change since. */
    return f->host_lwt > f->mark_time;
}

void sp_plan_file(const sp_facts *f, sp_plan *p)
{
    memset(p, 0, sizeof *p);
    int gone = f->marker || f->opaque;   /* the host entry is deleted in the VM's view */
    if (f->priv == SP_FILE) {
        p->copy = 1;
        p->drop = 1;
        if (f->host == SP_NONE) {
            /* A copy-up whose host file is gone since: the VM's version
             * would bring it back. */
            p->change = f->has_origin ? SPC_MODIFIED : SPC_ADDED;
            if (f->has_origin && !gone)
                p->conflict = SPX_HOST_DELETED;
        } else if (f->host == SP_FILE) {
            if (f->same) {
                /* Nothing to apply (a copy-up never written, or a commit
                 * interrupted after the rename): only the drop is left. */
                p->copy = 0;
                return;
            }
            p->change = SPC_MODIFIED;
            if (f->has_origin)
                p->conflict = origin_matches(&f->origin, f) ? SPX_NONE : SPX_CHANGED;
            else if (gone)
                p->conflict = after_delete(f) ? SPX_AFTER_DELETE : SPX_NONE;
            else
                p->conflict = f->host_lwt > f->priv_ctime ? SPX_CREATED : SPX_NONE;
        } else {
            p->change = SPC_MODIFIED;
            p->del_host = 1;
            p->conflict = !gone ? SPX_TYPE : after_delete(f) ? SPX_AFTER_DELETE : SPX_NONE;
        }
        return;
    }
    if (f->priv == SP_DIR) {
        p->recurse = 1;
        p->child_opaque = gone;
        p->drop = 1;
        if (f->host == SP_NONE) {
            p->change = SPC_ADDED;
            p->mkdir = 1;
        } else if (f->host == SP_FILE) {
            p->change = SPC_MODIFIED;
            p->del_host = 1;
            p->mkdir = 1;
            p->conflict = !gone ? SPX_TYPE : after_delete(f) ? SPX_AFTER_DELETE : SPX_NONE;
        }
        return;
    }
    /* No private entry. */
    if (gone && f->host != SP_NONE) {
        p->change = SPC_DELETED;
        p->del_host = 1;
        p->drop = 1;
        p->conflict = after_delete(f) ? SPX_AFTER_DELETE : SPX_NONE;
        return;
    }
    p->drop = f->marker;    /* a marker of something the host no longer has */
}

const char *sp_conflict_text(int c)
{
    switch (c) {
    case SPX_CHANGED: return "the host changed it since the VM copied it";
    case SPX_HOST_DELETED: return "the host deleted it since the VM copied it";
    case SPX_CREATED: return "the host wrote it after the VM made its own";
    case SPX_AFTER_DELETE: return "the host changed it since the VM deleted it";
    case SPX_TYPE: return "a file on one side, a directory on the other";
    default: return "";
    }
}

const char *sp_change_text(int c)
{
    switch (c) {
    case SPC_ADDED: return "added";
    case SPC_MODIFIED: return "modified";
    case SPC_DELETED: return "deleted";
    default: return "";
    }
}

/* --- names ---------------------------------------------------------------------- */

static uint16_t fold(uint16_t c)
{
    if (c >= 'a' && c <= 'z')
        return (uint16_t)(c - 32);
    if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
        return (uint16_t)(c - 32);
    return c;
}

static int eq_ci(const uint16_t *a, const uint16_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fold(a[i]) != fold(b[i]))
            return 0;
    return 1;
}

/* a[0..an) equals the ASCII string s, case-insensitively. */
static int eq_ascii(const uint16_t *a, size_t an, const char *s)
{
    size_t n = strlen(s);
    if (an != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (fold(a[i]) != fold((uint16_t)(unsigned char)s[i]))
            return 0;
    return 1;
}

int sp_under(const uint16_t *p, size_t pn, const uint16_t *d, size_t dn)
{
    if (p == NULL || d == NULL || dn > pn || !eq_ci(p, d, dn))
        return 0;
    if (pn == dn)
        return 1;
    return dn > 0 && (d[dn - 1] == '\\' || p[dn] == '\\');
}

int sp_internal_file(const uint16_t *path, size_t n)
{
    static const char pre[] = ":\\windows\\plume-scm.";
    size_t k = sizeof pre - 1;
    if (path == NULL || n <= 1 + k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        uint16_t c = path[1 + i];
        if (c >= 'A' && c <= 'Z')
            c = (uint16_t)(c + 32);
        if (c != (uint16_t)pre[i])
            return 0;
    }
    for (size_t i = 1 + k; i < n; i++)   /* the name only: no deeper path */
        if (path[i] == '\\')
            return 0;
    return 1;
}

int sp_select(const sp_filter *f, size_t nf, int kind, const uint16_t *path, size_t n)
{
    int best = nf == 0 ? SP_SELECTED : SP_UNRELATED;
    for (size_t i = 0; i < nf && best != SP_SELECTED; i++) {
        if (f[i].kind != kind)
            continue;
        if (sp_under(path, n, f[i].p, f[i].n))
            best = SP_SELECTED;
        else if (sp_under(f[i].p, f[i].n, path, n))
            best = SP_ANCESTOR;
    }
    return best;
}

/* Appends components of in[0..n) (separators '\' and '/') to out, which
 * holds *len units of which the first `floor` may not be removed by "..".
 * Each component is preceded by '\'. Returns 0 on overflow or a bad name. */
static int add_components(const uint16_t *in, size_t n, int file, uint16_t *out, size_t *len,
                          size_t floor)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (in[i] == '\\' || (file && in[i] == '/')))
            i++;
        size_t s = i;
        while (i < n && in[i] != '\\' && !(file && in[i] == '/'))
            i++;
        size_t e = i;
        if (file)   /* trailing dots and spaces go (as Win32 drops them) */
            while (e > s && (in[e - 1] == '.' || in[e - 1] == ' '))
                e--;
        if (e == s) {
            if (file && i > s && i - s == 2 && in[s] == '.' && in[s + 1] == '.') {
                /* ".." */
                while (*len > floor && out[*len - 1] != '\\')
                    (*len)--;
                if (*len > floor)
                    (*len)--;
            }
            continue;   /* "", ".", or a name of only dots and spaces */
        }
        for (size_t k = s; k < e; k++)
            if (in[k] == 0 || (file && (in[k] == ':' || in[k] == '*' || in[k] == '?' ||
                                        in[k] == '"' || in[k] == '<' || in[k] == '>' ||
                                        in[k] == '|')))
                return 0;
        if (*len + 1 + (e - s) >= SP_PATH_MAX)
            return 0;
        out[(*len)++] = '\\';
        memcpy(out + *len, in + s, (e - s) * sizeof(uint16_t));
        *len += e - s;
    }
    return 1;
}

static int put_ascii(uint16_t *out, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n >= SP_PATH_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        out[(*len)++] = (uint16_t)(unsigned char)s[i];
    return 1;
}

int sp_filter_parse(const uint16_t *in, size_t n, const uint16_t *sid, size_t nsid,
                    sp_filter *out)
{
    out->kind = SP_K_BAD;
    out->n = 0;
    if (in == NULL || n == 0 || n >= SP_PATH_MAX)
        return SP_K_BAD;
    /* A Windows path: X:\ or X:/ */
    if (n >= 3 && ((in[0] >= 'A' && in[0] <= 'Z') || (in[0] >= 'a' && in[0] <= 'z')) &&
        in[1] == ':' && (in[2] == '\\' || in[2] == '/')) {
        out->p[0] = fold(in[0]);
        out->p[1] = ':';
        size_t len = 2;
        if (!add_components(in + 3, n - 3, 1, out->p, &len, 2))
            return SP_K_BAD;
        if (len == 2)
            out->p[len++] = '\\';
        out->n = len;
        out->kind = SP_K_FILE;
        return SP_K_FILE;
    }
    /* A registry path: ROOT[\rest] */
    size_t r = 0;
    if (in[0] == '\\') {
        /* \REGISTRY\MACHINE|USER[\rest] */
        size_t i = 1;
        while (i < n && in[i] != '\\')
            i++;
        if (!eq_ascii(in + 1, i - 1, "REGISTRY") || i >= n)
            return SP_K_BAD;
        size_t s = i + 1;
        r = s;
        while (r < n && in[r] != '\\')
            r++;
        size_t len = 0;
        if (eq_ascii(in + s, r - s, "MACHINE"))
            put_ascii(out->p, &len, "\\REGISTRY\\MACHINE");
        else if (eq_ascii(in + s, r - s, "USER"))
            put_ascii(out->p, &len, "\\REGISTRY\\USER");
        else
            return SP_K_BAD;
        if (!add_components(in + r, n - r, 0, out->p, &len, len))
            return SP_K_BAD;
        out->n = len;
        out->kind = SP_K_REG;
        return SP_K_REG;
    }
    while (r < n && in[r] != '\\' && in[r] != '/')
        r++;
    size_t len = 0;
    if (eq_ascii(in, r, "HKLM") || eq_ascii(in, r, "HKEY_LOCAL_MACHINE")) {
        put_ascii(out->p, &len, "\\REGISTRY\\MACHINE");
    } else if (eq_ascii(in, r, "HKU") || eq_ascii(in, r, "HKEY_USERS")) {
        put_ascii(out->p, &len, "\\REGISTRY\\USER");
    } else if (eq_ascii(in, r, "HKCR") || eq_ascii(in, r, "HKEY_CLASSES_ROOT")) {
        put_ascii(out->p, &len, "\\REGISTRY\\MACHINE\\Software\\Classes");
    } else if (eq_ascii(in, r, "HKCU") || eq_ascii(in, r, "HKEY_CURRENT_USER")) {
        if (sid == NULL || nsid == 0 || nsid > 256)
            return SP_K_BAD;
        put_ascii(out->p, &len, "\\REGISTRY\\USER\\");
        memcpy(out->p + len, sid, nsid * sizeof(uint16_t));
        len += nsid;
    } else {
        return SP_K_BAD;
    }
    /* Registry names may hold '/': only '\' separates. */
    for (size_t i = r; i < n; i++)
        if (in[i] == 0)
            return SP_K_BAD;
    if (r < n && in[r] == '/')
        return SP_K_BAD;
    if (!add_components(in + r, n - r, 0, out->p, &len, len))
        return SP_K_BAD;
    out->n = len;
    out->kind = SP_K_REG;
    return SP_K_REG;
}

size_t sp_reg_display(const uint16_t *v, size_t n, const uint16_t *sid, size_t nsid,
                      uint16_t *out, size_t cap)
{
    static const char mach[] = "\\REGISTRY\\MACHINE", user[] = "\\REGISTRY\\USER";
    const char *root = NULL;
    size_t skip = 0;
    if (v == NULL || out == NULL || cap == 0)
        return 0;
    if (n >= sizeof mach - 1 && eq_ascii(v, sizeof mach - 1, mach) &&
        (n == sizeof mach - 1 || v[sizeof mach - 1] == '\\')) {
        root = "HKLM";
        skip = sizeof mach - 1;
    } else if (n >= sizeof user - 1 && eq_ascii(v, sizeof user - 1, user) &&
               (n == sizeof user - 1 || v[sizeof user - 1] == '\\')) {
        size_t s = sizeof user;   /* after "\REGISTRY\USER\" */
        if (sid != NULL && nsid > 0 && n >= s + nsid && eq_ci(v + s, sid, nsid) &&
            (n == s + nsid || v[s + nsid] == '\\')) {
            root = "HKCU";
            skip = s + nsid;
        } else {
            root = "HKU";
            skip = sizeof user - 1;
        }
    }
    size_t len = 0;
    if (root != NULL) {
        size_t rn = strlen(root);
        if (rn + (n - skip) + 1 > cap)
            return 0;
        for (size_t i = 0; i < rn; i++)
            out[len++] = (uint16_t)root[i];
        memcpy(out + len, v + skip, (n - skip) * sizeof(uint16_t));
        len += n - skip;
    } else {
        if (n + 1 > cap)
            return 0;
        memcpy(out, v, n * sizeof(uint16_t));
        len = n;
    }
    out[len] = 0;
    return len;
}
