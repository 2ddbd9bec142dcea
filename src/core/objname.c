/* Object names of a VM (objname.h). */
#include "objname.h"

#define NPOS ((size_t)-1)
#define NAME_MAX_UNITS 32767u   /* a UNICODE_STRING holds at most this */

static const char prefix_head[] = "Plume.";   /* + tag + "." */
#define PREFIX_HEAD_LEN 6u

/* --- the rule table ------------------------------------------------------------
 * Names of the host's system endpoints that a VM's clients may reach while
 * the VM has no instance of its own (see docs/ns-obj.md). */
const objname_rule objname_rules[] = {
    /* RPC endpoint mapper (rpcss): ncacn_np, Windows ALPC, Wine ncalrpc. */
    { OBJN_C_PIPE, "epmapper", OBJN_RULE_FALLBACK, "endpoint mapper (ncacn_np)" },
    { OBJN_C_RPC, "epmapper", OBJN_RULE_FALLBACK, "endpoint mapper (ncalrpc, Windows)" },
    { OBJN_C_PIPE, "lrpc\\epmapper", OBJN_RULE_FALLBACK, "endpoint mapper (ncalrpc, Wine)" },
    { OBJN_C_PIPE, "lrpc\\wine_epmapper", OBJN_RULE_FALLBACK, "Wine rpcss's own endpoint" },
    { OBJN_C_PIPE, "lrpc\\irot", OBJN_RULE_FALLBACK, "running object table (Wine rpcss)" },
    { OBJN_C_RPC, "irot", OBJN_RULE_FALLBACK, "running object table" },
    /* Service control manager: its endpoints (svcctl, ntsvcs) have NO
     * fallback: a VM's SCM calls go to the VM's own manager (svc.c), and a
     * program speaking the SCM's RPC protocol itself must not reach the
     * host's SCM (escape suite, Q18). Only its "started" events fall back. */
    { OBJN_C_BNO, "__wine_SvcctlStartedEvent", OBJN_RULE_FALLBACK,
      "Wine's SCM is up (sechost starts one when it is missing)" },
    { OBJN_C_BNO, "SvcctlStartEvent_A3752DX", OBJN_RULE_FALLBACK, "Windows's SCM is up" },
    { OBJN_C_PIPE, "lrpc\\plugplay", OBJN_RULE_FALLBACK, "Plug and Play (Wine)" },
    { OBJN_C_RPC, "plugplay", OBJN_RULE_FALLBACK, "Plug and Play (Windows)" },
};
const size_t objname_rule_count = sizeof objname_rules / sizeof objname_rules[0];

/* --- the containers --------------------------------------------------------------
 * Patterns are backslash-separated components: "#" is a number, "*" any
 * one component, anything else literal (case-insensitive). */
static const struct {
    const char *pat;
    int cls;
} containers[] = {
    { "\\BaseNamedObjects", OBJN_C_BNO },
    { "\\Sessions\\#\\BaseNamedObjects", OBJN_C_BNO },
    { "\\Sessions\\BNOLINKS\\#", OBJN_C_BNO },
    { "\\RPC Control", OBJN_C_RPC },
    { "\\Device\\NamedPipe", OBJN_C_PIPE },
    { "\\Device\\Mailslot", OBJN_C_MAILSLOT },
};

/* Directories of DOS device names: below them pipe\ and mailslot\ are the
 * pipe and mailslot file systems, GLOBALROOT\ the root again, and Global\
 * the global directory. */
static const char *const dos_dirs[] = {
    "\\??", "\\GLOBAL??", "\\DosDevices", "\\Sessions\\#\\DosDevices\\*",
};

/* Names the object manager compares case-insensitively: ASCII, and the two
 * non-ASCII letters whose upper case is ASCII (dotless i, long s), so that
 * they cannot spell a container the matcher would miss. */
static uint16_t fold(uint16_t c)
{
    if (c >= 'A' && c <= 'Z')
        return (uint16_t)(c + 32);
    if (c == 0x0131)
        return 'i';
    if (c == 0x017f)
        return 's';
    return c;
}

/* The full name as the object manager sees it: root, a separator when
 * needed, name; read through at() without copying. */
typedef struct view {
    const uint16_t *r, *n;
    size_t rl, nl, len, rootpart;
    int sep;
} view;

static uint16_t at(const view *v, size_t i)
{
    if (i < v->rl)
        return v->r[i];
    i -= v->rl;
    if (v->sep) {
        if (i == 0)
            return '\\';
        i--;
    }
    return v->n[i];
}

/* Matches pattern pat at pos; returns the position after it (followed by
 * a backslash or the end), or NPOS. */
static size_t match_pat(const view *v, size_t pos, const char *pat)
{
    while (*pat) {
        if (*pat != '\\' || pos >= v->len || at(v, pos) != '\\')
            return NPOS;
        pos++;
        pat++;
        size_t start = pos;
        if ((*pat == '#' || *pat == '*') && (pat[1] == '\\' || pat[1] == 0)) {
            while (pos < v->len && at(v, pos) != '\\') {
                uint16_t c = at(v, pos);
                if (*pat == '#' && (c < '0' || c > '9'))
                    return NPOS;
                pos++;
            }
            if (pos == start)
                return NPOS;
            pat++;
        } else {
            while (*pat && *pat != '\\') {
                if (pos >= v->len || fold(at(v, pos)) != fold((uint8_t)*pat))
                    return NPOS;
                pos++;
                pat++;
            }
        }
        if (pos < v->len && at(v, pos) != '\\')
            return NPOS;
    }
    return pos;
}

/* Finds the container the full name is in: returns its class and sets *end
 * to the position just after it. */
static int find_container(const view *v, size_t *end)
{
    size_t pos = 0;
    /* Each round consumes at least one unit, so this ends. */
    for (;;) {
        for (size_t i = 0; i < sizeof containers / sizeof containers[0]; i++) {
            size_t e = match_pat(v, pos, containers[i].pat);
            if (e != NPOS) {
                *end = e;
                return containers[i].cls;
            }
        }
        size_t e = NPOS;
        for (size_t i = 0; i < sizeof dos_dirs / sizeof dos_dirs[0] && e == NPOS; i++)
            e = match_pat(v, pos, dos_dirs[i]);
        if (e == NPOS)
            return OBJN_C_NONE;
        size_t g;
        while ((g = match_pat(v, e, "\\Global")) != NPOS)
            e = g;
        if ((g = match_pat(v, e, "\\pipe")) != NPOS) {
            *end = g;
            return OBJN_C_PIPE;
        }
        if ((g = match_pat(v, e, "\\mailslot")) != NPOS) {
            *end = g;
            return OBJN_C_MAILSLOT;
        }
        if ((g = match_pat(v, e, "\\GLOBALROOT")) == NPOS)
            return OBJN_C_NONE;
        pos = g;   /* the rest is absolute again */
    }
}

static int has_empty_component(const view *v, size_t upto)
{
    for (size_t i = 1; i < upto && i < v->len; i++)
        if (at(v, i) == '\\' && at(v, i - 1) == '\\')
            return 1;
    return 0;
}

static int rule_match(const char *pat, const uint16_t *s, size_t len)
{
    size_t i = 0;
    for (; *pat; pat++, i++) {
        if (*pat == '*' && pat[1] == 0)
            return 1;
        if (i >= len || fold(s[i]) != fold((uint8_t)*pat))
            return 0;
    }
    return i == len;
}

unsigned objname_rule_flags(int cls, const uint16_t *s, size_t len)
{
    if (!s)
        return 0;
    for (size_t i = 0; i < objname_rule_count; i++)
        if (objname_rules[i].cls == cls && rule_match(objname_rules[i].name, s, len))
            return objname_rules[i].flags;
    return 0;
}

size_t objname_extra(size_t tag_len)
{
    return PREFIX_HEAD_LEN + tag_len + 1;
}

int objname_map(const uint16_t *root, size_t root_len, const uint16_t *name, size_t name_len,
                const uint16_t *tag, size_t tag_len, unsigned flags, uint16_t *out, size_t cap,
                objname_out *r)
{
    objname_out z = { 0 };
    if (!r)
        r = &z;
    *r = z;
    if (!name || name_len == 0)
        return OBJN_PASS;          /* unnamed, or the root itself */
    if (!root)
        root_len = 0;
    view v = { root, name, root_len, name_len, 0, 0, 0 };
    if (root) {
        if (name[0] == '\\')
            return OBJN_INVALID;   /* an absolute name with a root */
        v.sep = root_len == 0 || root[root_len - 1] != '\\';
    }
    v.rootpart = v.rl + (size_t)v.sep;
    v.len = v.rootpart + name_len;

    size_t q = 0;
    int cls = find_container(&v, &q);
    r->cls = cls;
    if (cls == OBJN_C_NONE) {
        if ((flags & OBJN_STRICT) && has_empty_component(&v, v.len))
            return OBJN_INVALID;
        return (flags & OBJN_CREATE) ? OBJN_DENY : OBJN_PASS;
    }
    if (cls == OBJN_C_BNO) {
        size_t g;
        for (;;) {
            if ((g = match_pat(&v, q, "\\Global")) != NPOS ||
                (g = match_pat(&v, q, "\\Local")) != NPOS ||
                (g = match_pat(&v, q, "\\Session\\#")) != NPOS)
                q = g;
            else
                break;
        }
    }
    if (q >= v.len || (q + 1 == v.len && at(&v, q) == '\\')) {
        r->is_root = 1;
        return OBJN_PASS;
    }
    size_t c = q + 1;   /* the first component below the container */
    if (c < v.rootpart)
        return OBJN_PASS;  /* the root is already below the container: the
                              VM's own directory (renamed when opened) */
    size_t end = v.len;
    if (cls == OBJN_C_BNO || cls == OBJN_C_RPC) {
        if (at(&v, c) == '\\')
            return OBJN_INVALID;
        for (end = c; end < v.len && at(&v, end) != '\\'; end++)
            ;
    }
    size_t nc = c - v.rootpart;   /* in name */
    if (objname_rule_flags(cls, name + nc, end - c) & OBJN_RULE_FALLBACK)
        r->fallback = 1;

    size_t extra = objname_extra(tag_len);
    if (!out || !tag || name_len > NAME_MAX_UNITS || name_len + extra > NAME_MAX_UNITS ||
        name_len + extra > cap)
        return OBJN_TOOLONG;
    size_t n = 0;
    for (size_t i = 0; i < nc; i++)
        out[n++] = name[i];
    for (const char *p = prefix_head; *p; p++)
        out[n++] = (uint16_t)*p;
    for (size_t i = 0; i < tag_len; i++)
        out[n++] = tag[i];
    out[n++] = '.';
    for (size_t i = nc; i < name_len; i++)
        out[n++] = name[i];
    r->len = n;
    r->at = nc;
    return OBJN_RENAME;
}

size_t objname_strip(uint16_t *name, size_t len, const uint16_t *tag, size_t tag_len)
{
    if (!name || !tag)
        return len;
    size_t plen = PREFIX_HEAD_LEN + tag_len + 1;
    for (size_t i = 0; i + plen <= len; i++) {
        if (i > 0 && name[i - 1] != '\\')
            continue;
        size_t k = 0;
        for (; k < PREFIX_HEAD_LEN; k++)
            if (fold(name[i + k]) != fold((uint8_t)prefix_head[k]))
                break;
        if (k < PREFIX_HEAD_LEN)
            continue;
        for (k = 0; k < tag_len; k++)
            if (fold(name[i + PREFIX_HEAD_LEN + k]) != fold(tag[k]))
                break;
        if (k < tag_len || name[i + plen - 1] != '.')
            continue;
        for (size_t j = i; j + plen < len; j++)
            name[j] = name[j + plen];
        return len - plen;
    }
    return len;
}

int objname_container(const uint16_t *name, size_t len)
{
    objname_out r;
    if (!name || len == 0)
        return OBJN_C_NONE;
    /* No output buffer: a name below a container stops at OBJN_TOOLONG,
     * the container itself passes with is_root. */
    objname_map(NULL, 0, name, len, NULL, 0, 0, NULL, 0, &r);
    return r.is_root ? r.cls : OBJN_C_NONE;
}

/* s[0..len) equals the ASCII c, case-insensitively. */
static int eq_ascii(const uint16_t *s, size_t len, const char *c)
{
    size_t i = 0;
    for (; c[i]; i++)
        if (i >= len || fold(s[i]) != fold((uint8_t)c[i]))
            return 0;
    return i == len;
}

int objname_visible(int cls, const uint16_t *name, size_t len, const uint16_t *type,
                    size_t type_len, const uint16_t *tag, size_t tag_len)
{
    if (!name || len == 0 || (cls != OBJN_C_BNO && cls != OBJN_C_RPC))
        return OBJN_V_HIDE;
    size_t plen = objname_extra(tag_len);
    if (tag && tag_len && len > plen && name[plen - 1] == '.') {
        size_t k = 0;
        while (k < PREFIX_HEAD_LEN && fold(name[k]) == fold((uint8_t)prefix_head[k]))
            k++;
        size_t t = 0;
        while (k == PREFIX_HEAD_LEN && t < tag_len &&
               fold(name[PREFIX_HEAD_LEN + t]) == fold(tag[t]))
            t++;
        if (k == PREFIX_HEAD_LEN && t == tag_len)
            return OBJN_V_OWN;
    }
    /* The links objname_map passes through (Global\, Local\, Session\):
     * the system's, in every session's BaseNamedObjects. Only as links: an
     * object of another type under such a name is somebody's. */
    if (cls == OBJN_C_BNO && type && eq_ascii(type, type_len, "SymbolicLink") &&
        (eq_ascii(name, len, "Global") || eq_ascii(name, len, "Local") ||
         eq_ascii(name, len, "Session")))
        return OBJN_V_SHOW;
    return OBJN_V_HIDE;
}
