/* Object names of a VM (objname.h). */
#include "objname.h"

#include <string.h>

#define NPOS ((size_t)-1)
#define NAME_MAX_UNITS 32767u   /* a UNICODE_STRING holds at most this */

static const char prefix_head[] = "Plume.";   /* + tag + "." */
#define PREFIX_HEAD_LEN 6u

/* --- the rule table ------------------------------------------------------------
 * Names of the host's system endpoints that a VM's clients may reach while
 * the VM has no instance of its own (see docs/ns-obj.md): the built-in
 * defaults, which rules files override (objname_rules_parse below). */
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

/* The service control manager's endpoints: a VM must never reach the
 * host's SCM (a VM's SCM calls go to its own manager, svc.c), so no rules
 * file can make these fall back (objname_rules_parse refuses it, and
 * objname_ruleset_flags checks them first). */
const objname_rule objname_locked[] = {
    { OBJN_C_PIPE, "svcctl", OBJN_RULE_LOCKED, "service control manager (ncacn_np)" },
    { OBJN_C_PIPE, "ntsvcs", OBJN_RULE_LOCKED, "service control manager (ncacn_np alias)" },
    { OBJN_C_PIPE, "lrpc\\svcctl", OBJN_RULE_LOCKED, "service control manager (ncalrpc, Wine)" },
    { OBJN_C_PIPE, "lrpc\\ntsvcs", OBJN_RULE_LOCKED, "service control manager (ncalrpc, Wine)" },
    { OBJN_C_RPC, "svcctl", OBJN_RULE_LOCKED, "service control manager (ALPC)" },
    { OBJN_C_RPC, "ntsvcs", OBJN_RULE_LOCKED, "service control manager (ALPC)" },
};
const size_t objname_locked_count = sizeof objname_locked / sizeof objname_locked[0];

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

/* s[0..len) starts with "plume", any case: Plume's own names (its jobs
 * "PlumeVM.<tag>") and other VMs' ("Plume.<tag>.X") never fall back. */
static int plume_named(const uint16_t *s, size_t len)
{
    static const char p[] = "plume";
    if (len < 5)
        return 0;
    for (size_t i = 0; i < 5; i++)
        if (fold(s[i]) != (uint16_t)p[i])
            return 0;
    return 1;
}

unsigned objname_ruleset_flags(const objname_ruleset *set, int cls, const uint16_t *s,
                               size_t len)
{
    if (!s || !set || set->closed || plume_named(s, len))
        return 0;
    for (size_t i = 0; i < objname_locked_count; i++)
        if (objname_locked[i].cls == cls && rule_match(objname_locked[i].name, s, len))
            return 0;
    for (size_t i = set->count; i-- > 0;)
        if (set->r[i].cls == cls && rule_match(set->r[i].name, s, len))
            return set->r[i].flags & OBJN_RULE_FALLBACK;
    return 0;
}

static const objname_ruleset *active_rules;

void objname_rules_use(const objname_ruleset *set)
{
    active_rules = set;
}

unsigned objname_rule_flags(int cls, const uint16_t *s, size_t len)
{
    if (active_rules)
        return objname_ruleset_flags(active_rules, cls, s, len);
    if (!s || plume_named(s, len))
        return 0;
    for (size_t i = 0; i < objname_locked_count; i++)
        if (objname_locked[i].cls == cls && rule_match(objname_locked[i].name, s, len))
            return 0;
    for (size_t i = objname_rule_count; i-- > 0;)
        if (objname_rules[i].cls == cls && rule_match(objname_rules[i].name, s, len))
            return objname_rules[i].flags & OBJN_RULE_FALLBACK;
    return 0;
}

/* --- rules files ---------------------------------------------------------------
 * No C runtime here either (the layer links this file): messages are built
 * by hand. */
typedef struct msgbuf {
    char b[200];
    size_t n;
} msgbuf;

static void m_str(msgbuf *m, const char *s)
{
    while (*s && m->n + 1 < sizeof m->b)
        m->b[m->n++] = *s++;
    m->b[m->n] = 0;
}

/* Quotes s[0..n) (at most 40 bytes; others than printable ASCII as '?'). */
static void m_quote(msgbuf *m, const char *s, size_t n)
{
    m_str(m, "'");
    for (size_t i = 0; i < n && i < 40 && m->n + 1 < sizeof m->b; i++) {
        unsigned char c = (unsigned char)s[i];
        m->b[m->n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    m->b[m->n] = 0;
    m_str(m, n > 40 ? "...'" : "'");
}

static void m_num(msgbuf *m, unsigned long v, int hex)
{
    char d[24];
    size_t k = 0;
    unsigned base = hex ? 16 : 10;
    do {
        d[k++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (hex && k < 2)
        d[k++] = '0';
    if (hex)
        m_str(m, "0x");
    char one[2] = { 0, 0 };
    while (k) {
        one[0] = d[--k];
        m_str(m, one);
    }
}

const char *objname_class_name(int cls)
{
    switch (cls) {
    case OBJN_C_PIPE: return "pipe";
    case OBJN_C_RPC: return "port";
    case OBJN_C_BNO: return "object";
    case OBJN_C_MAILSLOT: return "mailslot";
    default: return "?";
    }
}

static int word_is(const char *w, size_t n, const char *lit)
{
    size_t i = 0;
    for (; lit[i]; i++)
        if (i >= n || (char)fold((uint8_t)w[i]) != lit[i])
            return 0;
    return i == n;
}

static int ascii_eq_fold(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (fold((uint8_t)*a) != fold((uint8_t)*b))
            return 0;
    return *a == *b;
}

static void rules_add(objname_ruleset *s, int cls, unsigned flags, int src, unsigned long line,
                      const char *why, const char *name, size_t n)
{
    if (s->closed)
        return;
    if (n > OBJN_RULE_NAME_MAX) {
        s->closed = 1;
        return;
    }
    char nm[OBJN_RULE_NAME_MAX + 1];
    memcpy(nm, name, n);
    nm[n] = 0;
    /* A rule replaces an earlier one of the same class and name. */
    size_t j = 0;
    for (size_t i = 0; i < s->count; i++)
        if (!(s->r[i].cls == cls && ascii_eq_fold(s->r[i].name, nm)))
            s->r[j++] = s->r[i];
    s->count = j;
    if (s->count == OBJN_RULES_MAX) {
        s->closed = 1;
        return;
    }
    objname_rule_entry *e = &s->r[s->count++];
    e->cls = cls;
    e->flags = flags;
    e->src = src;
    e->line = line;
    e->why = why;
    memcpy(e->name, nm, n + 1);
}

void objname_rules_init(objname_ruleset *s)
{
    if (!s)
        return;
    s->count = 0;
    s->closed = 0;
    for (size_t i = 0; i < objname_rule_count; i++)
        rules_add(s, objname_rules[i].cls, objname_rules[i].flags, OBJN_SRC_BUILTIN, 0,
                  objname_rules[i].why, objname_rules[i].name, strlen(objname_rules[i].name));
}

void objname_rules_close(objname_ruleset *s)
{
    if (s)
        s->closed = 1;
}

/* pattern p[0..n) (a final '*' matches any rest) can match some name that
 * the ASCII lit[0..) (lower case) spells or starts with (prefix != 0). */
static int pattern_covers(const char *p, size_t n, const char *lit, int prefix)
{
    size_t i = 0;
    for (; i < n; i++) {
        if (p[i] == '*' && i + 1 == n)
            return 1;
        if (!lit[i])
            return prefix;   /* p matches only names longer than lit */
        if (fold((uint8_t)p[i]) != (uint8_t)lit[i])
            return 0;
    }
    return !lit[i];   /* p matches exactly p */
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Checks the name p[0..n) of a rule of class cls; NULL when fine, else
 * why not (for a message). */
static const char *check_name(int cls, const char *p, size_t n)
{
    if (n > OBJN_RULE_NAME_MAX)
        return "is longer than 127 bytes";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x21 || c > 0x7e)
            return "holds a byte other than printable ASCII";
        if (c == '*' && i + 1 != n)
            return "has a '*' before its end (only a final '*' matches)";
        if (c == '\\') {
            if (cls == OBJN_C_BNO || cls == OBJN_C_RPC)
                return "holds a '\\' (an object or port name is one component)";
            if (i == 0 || i + 1 == n || p[i - 1] == '\\')
                return "has an empty component";
        }
    }
    return NULL;
}

/* One rule, w[0..3) its words (lengths l), at line `line`: merges it into
 * s, or reports it and applies the safe failure. Returns 1 when bad. */
static int rule_line(objname_ruleset *s, int src, unsigned long line, const char *const w[4],
                     const size_t l[4], size_t nw, const char *bad_line,
                     objname_rules_err_fn err, void *ctx)
{
    static const int classes[] = { OBJN_C_PIPE, OBJN_C_RPC, OBJN_C_BNO, OBJN_C_MAILSLOT };
    msgbuf m = { { 0 }, 0 };
    int verb = -1, cls = -1;
    if (nw >= 1) {
        if (word_is(w[0], l[0], "fallback"))
            verb = 1;
        else if (word_is(w[0], l[0], "private"))
            verb = 0;
    }
    if (nw >= 2)
        for (size_t i = 0; i < 4; i++)
            if (word_is(w[1], l[1], objname_class_name(classes[i])))
                cls = classes[i];
    const char *why;
    if (bad_line) {
        m_str(&m, bad_line);
    } else if (verb < 0) {
        m_str(&m, "unknown rule ");
        m_quote(&m, w[0], l[0]);
        m_str(&m, " (expected 'fallback' or 'private', then pipe, port, object or mailslot, "
                  "then a name)");
    } else if (nw < 2) {
        m_str(&m, "missing the class (pipe, port, object or mailslot) and the name");
    } else if (cls < 0) {
        m_str(&m, "unknown class ");
        m_quote(&m, w[1], l[1]);
        m_str(&m, " (expected pipe, port, object or mailslot)");
    } else if (nw < 3) {
        m_str(&m, "missing the name");
    } else if (nw > 3) {
        m_str(&m, "unexpected ");
        m_quote(&m, w[3], l[3]);
        m_str(&m, " after the name (one rule a line; comments start with '#')");
    } else if ((why = check_name(cls, w[2], l[2])) != NULL) {
        m_str(&m, "the name ");
        m_quote(&m, w[2], l[2]);
        m_str(&m, " ");
        m_str(&m, why);
    } else if (verb == 1 && pattern_covers(w[2], l[2], "plume", 1)) {
        m_str(&m, "refused: ");
        m_quote(&m, w[2], l[2]);
        m_str(&m, " could match names starting with 'Plume' (Plume's own and other VMs' "
                  "names), which never fall back");
    } else {
        for (size_t i = 0; verb == 1 && i < objname_locked_count && !m.n; i++)
            if (objname_locked[i].cls == cls &&
                pattern_covers(w[2], l[2], objname_locked[i].name, 0)) {
                m_str(&m, "refused: ");
                m_str(&m, objname_class_name(cls));
                m_str(&m, " ");
                m_str(&m, objname_locked[i].name);
                m_str(&m, " is the service control manager's: a VM never reaches the "
                          "host's SCM (this rule cannot be changed)");
            }
        if (!m.n) {
            rules_add(s, cls, verb ? OBJN_RULE_FALLBACK : 0, src, line, NULL, w[2], l[2]);
            return 0;
        }
    }
    if (err)
        err(ctx, line, m.b);
    /* The safe failure: the bad line's name (if it has one) falls back to
     * nothing, in its class or, when that is unknown, in every class. */
    if (nw >= 3) {
        for (size_t i = 0; i < 4; i++)
            if (cls < 0 || cls == classes[i])
                rules_add(s, classes[i], OBJN_RULE_BAD, src, line, NULL, w[2], l[2]);
    }
    return 1;
}

size_t objname_rules_parse(objname_ruleset *s, int src, const char *text, size_t len,
                           objname_rules_err_fn err, void *ctx)
{
    if (!s || (!text && len))
        return 0;
    size_t pos = 0, bad = 0;
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
        pos = 3;
    unsigned long lineno = 0;
    while (pos < len) {
        lineno++;
        const char *line = text + pos;
        size_t n = 0;
        while (pos + n < len && line[n] != '\n')
            n++;
        pos += n + (pos + n < len ? 1 : 0);
        if (n > 0 && line[n - 1] == '\r')
            n--;
        const char *bad_line = NULL;
        msgbuf m = { { 0 }, 0 };
        for (size_t i = 0; i < n && !bad_line; i++) {
            unsigned char c = (unsigned char)line[i];
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                m_str(&m, "control character ");
                m_num(&m, c, 1);
                bad_line = m.b;
            }
        }
        if (!bad_line && n > OBJN_RULES_LINE_MAX) {
            m_str(&m, "longer than ");
            m_num(&m, OBJN_RULES_LINE_MAX, 0);
            m_str(&m, " bytes");
            bad_line = m.b;
        }
        size_t b = 0, e = n;
        while (b < e && is_space(line[b]))
            b++;
        if (b == e || line[b] == '#')
            continue;
        if (src == OBJN_SRC_VM) {
            /* vm.conf: only "endpoint = RULE" lines are ours. */
            size_t k = b;
            while (k < e && line[k] != '=')
                k++;
            if (k == e)
                continue;
            size_t ke = k;
            while (ke > b && is_space(line[ke - 1]))
                ke--;
            if (ke - b != 8 || memcmp(line + b, "endpoint", 8) != 0)
                continue;   /* vmconfig's keys are case-sensitive too */
            b = k + 1;
        }
        /* The words, up to a '#' word. Words beyond the fourth are not
         * needed: a fourth one is already an error. */
        const char *w[4] = { 0 };
        size_t l[4] = { 0 }, nw = 0;
        for (size_t i = b; i < e;) {
            while (i < e && is_space(line[i]))
                i++;
            if (i == e || line[i] == '#')
                break;
            size_t j = i;
            while (j < e && !is_space(line[j]))
                j++;
            if (nw < 4) {
                w[nw] = line + i;
                l[nw] = j - i;
            }
            nw++;
            i = j;
        }
        if (nw == 0 && !bad_line) {
            if (src != OBJN_SRC_VM)
                continue;
            bad_line = "'endpoint =' without a rule";
        }
        bad += (size_t)rule_line(s, src, lineno, w, l, nw > 4 ? 4 : nw, bad_line, err, ctx);
    }
    return bad;
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
