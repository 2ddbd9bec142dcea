/* Registry names (regpath.h). Pure C. */
#include "regpath.h"

#define BS 0x5c   /* '\' */

static const char K_REGISTRY[] = "REGISTRY";
static const char K_MACHINE[] = "MACHINE";
static const char K_USER[] = "USER";
static const char PRIV_BASE[] = "\\REGISTRY\\MACHINE\\Software\\Plume\\VMs\\";

uint16_t regpath_fold(uint16_t c)
{
    if (c >= 'a' && c <= 'z')
        return (uint16_t)(c - 32);
    if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
        return (uint16_t)(c - 32);
    return c;
}

int regpath_cmp(const uint16_t *a, size_t na, const uint16_t *b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    for (size_t i = 0; i < n; i++) {
        uint16_t x = regpath_fold(a[i]), y = regpath_fold(b[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return na == nb ? 0 : (na < nb ? -1 : 1);
}

/* Component s[0..n) equals ASCII word w, case-insensitively. */
static int comp_is(const uint16_t *s, size_t n, const char *w)
{
    size_t i = 0;
    for (; i < n && w[i]; i++)
        if (regpath_fold(s[i]) != (uint16_t)w[i])
            return 0;
    return i == n && w[i] == 0;
}

/* Appends ASCII text. */
static int put_ascii(uint16_t *out, size_t cap, size_t *len, const char *s)
{
    for (; *s; s++) {
        if (*len >= cap)
            return -1;
        out[(*len)++] = (uint16_t)(unsigned char)*s;
    }
    return 0;
}

static int put_units(uint16_t *out, size_t cap, size_t *len, const uint16_t *s, size_t n)
{
    if (n > cap - *len)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[(*len)++] = s[i];
    return 0;
}

/* Appends the components of s[0..n) to out, each as "\comp"; counts them
 * in *ncomp. -1 on an over-long component or overflow. */
static int put_components(uint16_t *out, size_t cap, size_t *len, const uint16_t *s, size_t n,
                          size_t *ncomp)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && s[i] == BS)
            i++;
        size_t start = i;
        while (i < n && s[i] != BS)
            i++;
        size_t cl = i - start;
        if (cl == 0)
            break;
        if (cl > REGPATH_COMPONENT_MAX)
            return -1;
        if (*len >= cap)
            return -1;
        out[(*len)++] = BS;
        if (put_units(out, cap, len, s + start, cl) != 0)
            return -1;
        (*ncomp)++;
    }
    return 0;
}

/* The i-th component (0-based) of canonical v: sets *at, *cn. 0 when absent. */
static int component(const uint16_t *v, size_t n, size_t idx, size_t *at, size_t *cn)
{
    size_t i = 0, k = 0;
    while (i < n) {
        if (v[i] != BS)
            return 0;
        size_t s = ++i;
        while (i < n && v[i] != BS)
            i++;
        if (k == idx) {
            *at = s;
            *cn = i - s;
            return 1;
        }
        k++;
    }
    return 0;
}

/* Classifies a canonical name and rewrites its first two components. */
static int classify(uint16_t *v, size_t n)
{
    size_t a, an, b, bn;
    if (!component(v, n, 0, &a, &an) || !comp_is(v + a, an, K_REGISTRY))
        return RP_OTHER;
    if (!component(v, n, 1, &b, &bn))
        return RP_OTHER;
    int kind;
    const char *word;
    if (comp_is(v + b, bn, K_MACHINE)) {
        kind = RP_MACHINE;
        word = K_MACHINE;
    } else if (comp_is(v + b, bn, K_USER)) {
        kind = RP_USER;
        word = K_USER;
    } else {
        return RP_OTHER;
    }
    for (size_t i = 0; i < an; i++)
        v[a + i] = (uint16_t)K_REGISTRY[i];
    for (size_t i = 0; i < bn; i++)
        v[b + i] = (uint16_t)word[i];
    if (kind == RP_MACHINE) {
        size_t c, cn, d, dn;
        if (component(v, n, 2, &c, &cn) && comp_is(v + c, cn, "SOFTWARE") &&
            component(v, n, 3, &d, &dn) && comp_is(v + d, dn, "PLUME"))
            return RP_HIDDEN;
    }
    return kind;
}

int regpath_resolve(const uint16_t *root, size_t nroot, const uint16_t *rel, size_t nrel,
                    uint16_t *out, size_t cap, size_t *outlen)
{
    size_t len = 0, ncomp = 0;
    *outlen = 0;
    if (out == NULL || cap == 0 || (nrel && rel == NULL) || (nroot && root == NULL))
        return RP_INVALID;
    if (cap > REGPATH_MAX)
        cap = REGPATH_MAX;
    if (nroot > 0) {
        if (root[0] != BS)
            return RP_INVALID;
        if (nrel > 0 && rel[0] == BS)
            return RP_INVALID;
        if (put_components(out, cap, &len, root, nroot, &ncomp) != 0)
            return RP_INVALID;
    } else {
        if (nrel == 0 || rel[0] != BS)
            return RP_INVALID;
    }
    /* Inside the relative part, an empty component other than a trailing
     * one is malformed ("a\\b"): the object manager refuses it too. */
    for (size_t i = 1; i < nrel; i++)
        if (rel[i] == BS && rel[i - 1] == BS && i + 1 < nrel)
            return RP_INVALID;
    if (put_components(out, cap, &len, rel, nrel, &ncomp) != 0)
        return RP_INVALID;
    if (len == 0) {
        /* "\" alone: the object manager's root, never a key. */
        return RP_INVALID;
    }
    *outlen = len;
    return classify(out, len);
}

size_t regpath_rest_off(const uint16_t *v, size_t n, int kind)
{
    size_t b, bn;
    if ((kind != RP_MACHINE && kind != RP_USER && kind != RP_HIDDEN) ||
        !component(v, n, 1, &b, &bn))
        return n;
    return b + bn;
}

size_t regpath_vm_root(const uint16_t *tag, size_t ntag, uint16_t *out, size_t cap)
{
    size_t len = 0;
    if (out == NULL || ntag == 0 || tag == NULL || ntag > REGPATH_COMPONENT_MAX)
        return 0;
    for (size_t i = 0; i < ntag; i++)
        if (tag[i] == BS || tag[i] == 0)
            return 0;
    if (put_ascii(out, cap, &len, PRIV_BASE) != 0 || put_units(out, cap, &len, tag, ntag) != 0)
        return 0;
    return len;
}

size_t regpath_private(const uint16_t *v, size_t n, int kind, const uint16_t *tag,
                       size_t ntag, int tree, uint16_t *out, size_t cap)
{
    if (kind != RP_MACHINE && kind != RP_USER)
        return 0;
    size_t len = regpath_vm_root(tag, ntag, out, cap);
    if (len == 0)
        return 0;
    if (tree == RT_DELETED && put_ascii(out, cap, &len, "\\Deleted") != 0)
        return 0;
    if (put_ascii(out, cap, &len, kind == RP_MACHINE ? "\\Machine" : "\\User") != 0)
        return 0;
    size_t r = regpath_rest_off(v, n, kind);
    if (put_units(out, cap, &len, v + r, n - r) != 0 || len > REGPATH_MAX)
        return 0;
    return len;
}

int regpath_from_real(const uint16_t *real, size_t n, const uint16_t *tag, size_t ntag,
                      uint16_t *out, size_t cap, size_t *outlen, int *in_private)
{
    *in_private = 0;
    int kind = regpath_resolve(NULL, 0, real, n, out, cap, outlen);
    if (kind != RP_HIDDEN)
        return kind;
    /* Plume's tree: is it this VM's private key tree? */
    size_t at, cn, len = *outlen;
    if (!component(out, len, 4, &at, &cn) || !comp_is(out + at, cn, "VMS") ||
        !component(out, len, 5, &at, &cn) || regpath_cmp(out + at, cn, tag, ntag) != 0 ||
        !component(out, len, 6, &at, &cn))
        return RP_HIDDEN;
    int kind2;
    if (comp_is(out + at, cn, K_MACHINE))
        kind2 = RP_MACHINE;
    else if (comp_is(out + at, cn, K_USER))
        kind2 = RP_USER;
    else
        return RP_HIDDEN;
    /* out = "\REGISTRY\" + MACHINE|USER + rest */
    size_t rest = at + cn;
    uint16_t tmp_head[20];
    size_t h = 0;
    put_ascii(tmp_head, 20, &h, kind2 == RP_MACHINE ? "\\REGISTRY\\MACHINE" : "\\REGISTRY\\USER");
    size_t restn = len - rest;
    /* Move the rest to just after the head (the head is shorter than what
     * precedes rest, so a forward copy is safe). */
    for (size_t i = 0; i < restn; i++)
        out[h + i] = out[rest + i];
    for (size_t i = 0; i < h; i++)
        out[i] = tmp_head[i];
    *outlen = h + restn;
    *in_private = 1;
    return classify(out, *outlen);
}

size_t regpath_leaf_off(const uint16_t *v, size_t n)
{
    size_t i = n;
    while (i > 0 && v[i - 1] != BS)
        i--;
    return i;
}

uint64_t regpath_hash(const uint16_t *v, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        uint16_t c = regpath_fold(v[i]);
        h = (h ^ (c & 0xff)) * 1099511628211ull;
        h = (h ^ (c >> 8)) * 1099511628211ull;
    }
    return h;
}

/* --- links -------------------------------------------------------------------------- */

long regpath_link_match(const regpath_link *t, size_t nt, const uint16_t *v, size_t n,
                        int open_link)
{
    if (t == NULL || v == NULL)
        return -1;
    for (size_t i = 0; i < nt; i++) {
        size_t m = t[i].nfrom;
        if (m == 0 || t[i].from == NULL || m > n || (m < n && v[m] != BS))
            continue;
        if (m == n && open_link)
            continue;
        if (regpath_cmp(v, m, t[i].from, m) == 0)
            return (long)i;
    }
    return -1;
}

int regpath_follow_links(const regpath_link *t, size_t nt, const uint16_t *v, size_t n,
                         int open_link, uint16_t *out, size_t cap, size_t *outlen,
                         unsigned *rewrites)
{
    *outlen = 0;
    if (rewrites)
        *rewrites = 0;
    if (out == NULL || (n && v == NULL) || n > cap)
        return RP_INVALID;
    if (cap > REGPATH_MAX)
        cap = REGPATH_MAX;
    if (n > cap)
        return RP_INVALID;
    if (out != v)
        for (size_t i = 0; i < n; i++)
            out[i] = v[i];
    size_t len = n;
    unsigned k = 0;
    for (;;) {
        long li = regpath_link_match(t, nt, out, len, open_link);
        if (li < 0)
            break;
        const regpath_link *l = &t[li];
        if (++k > REGPATH_LINK_DEPTH || l->to == NULL || l->nto == 0)
            return RP_INVALID;
        size_t tail = len - l->nfrom, nlen = l->nto + tail;
        if (nlen > cap)
            return RP_INVALID;
        /* Move the tail to its new place (either way), then the target. */
        if (l->nto > l->nfrom)
            for (size_t i = tail; i-- > 0;)
                out[l->nto + i] = out[l->nfrom + i];
        else
            for (size_t i = 0; i < tail; i++)
                out[l->nto + i] = out[l->nfrom + i];
        for (size_t i = 0; i < l->nto; i++)
            out[i] = l->to[i];
        len = nlen;
    }
    if (rewrites)
        *rewrites = k;
    if (k == 0) {
        *outlen = len;
        return len ? classify(out, len) : RP_INVALID;
    }
    /* A target is canonical, but check the result anyway (it names a key). */
    size_t rl;
    int kind = regpath_resolve(NULL, 0, out, len, out, cap, &rl);
    if (kind == RP_INVALID)
        return RP_INVALID;
    *outlen = rl;
    return kind;
}

/* --- merged listings --------------------------------------------------------- */

static int name_cmp(const regname *a, const regname *b)
{
    return regpath_cmp(a->s, a->n, b->s, b->n);
}

static void sift(regname *a, size_t start, size_t end)
{
    size_t root = start;
    while (2 * root + 1 < end) {
        size_t child = 2 * root + 1, best = root;
        if (name_cmp(&a[best], &a[child]) < 0)
            best = child;
        if (child + 1 < end && name_cmp(&a[best], &a[child + 1]) < 0)
            best = child + 1;
        if (best == root)
            return;
        regname t = a[root];
        a[root] = a[best];
        a[best] = t;
        root = best;
    }
}

void regname_sort(regname *a, size_t n)
{
    if (a == NULL || n < 2)
        return;
    for (size_t i = n / 2; i-- > 0;)
        sift(a, i, n);
    for (size_t end = n - 1; end > 0; end--) {
        regname t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift(a, 0, end);
    }
}

size_t regname_merge(regname *priv, size_t np, regname *host, size_t nh, regname *del,
                     size_t nd, regname *out)
{
    if (priv == NULL)
        np = 0;
    if (host == NULL)
        nh = 0;
    if (del == NULL)
        nd = 0;
    regname_sort(priv, np);
    regname_sort(host, nh);
    regname_sort(del, nd);
    size_t i = 0, j = 0, d = 0, k = 0;
    while (i < np || j < nh) {
        int take_priv;
        if (i >= np)
            take_priv = 0;
        else if (j >= nh)
            take_priv = 1;
        else
            take_priv = name_cmp(&priv[i], &host[j]) <= 0;
        regname cur = take_priv ? priv[i++] : host[j++];
        if (!take_priv) {
            while (d < nd && name_cmp(&del[d], &cur) < 0)
                d++;
            if (d < nd && name_cmp(&del[d], &cur) == 0)
                continue;
        }
        if (k > 0 && name_cmp(&out[k - 1], &cur) == 0)
            continue;   /* a duplicate: the first (private when both) stays */
        out[k++] = cur;
    }
    return k;
}

/* --- reserved names -------------------------------------------------------------- */

static const uint16_t TMP_PREFIX[REGPATH_TMP_PREFIX_LEN] = {
    0xffff, 'p', 'l', 'u', 'm', 'e', '-', 'c', 'o', 'p', 'y', '.'
};

int regpath_is_tmp(const uint16_t *c, size_t n)
{
    if (n < REGPATH_TMP_PREFIX_LEN)
        return 0;
    for (size_t i = 0; i < REGPATH_TMP_PREFIX_LEN; i++) {
        uint16_t x = regpath_fold(c[i]), y = regpath_fold(TMP_PREFIX[i]);
        if (x != y)
            return 0;
    }
    return 1;
}

int regpath_has_tmp(const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n;) {
        while (i < n && v[i] == BS)
            i++;
        size_t s = i;
        while (i < n && v[i] != BS)
            i++;
        if (regpath_is_tmp(v + s, i - s))
            return 1;
    }
    return 0;
}

static size_t put_hex(uint32_t x, uint16_t *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    int started = 0;
    for (int sh = 28; sh >= 0; sh -= 4) {
        unsigned d = (x >> sh) & 15u;
        if (d || started || sh == 0) {
            out[n++] = (uint16_t)hex[d];
            started = 1;
        }
    }
    return n;
}

size_t regpath_tmp_name(uint32_t pid, uint32_t tid, uint16_t *out, size_t cap)
{
    uint16_t b[REGPATH_TMP_MAX];
    size_t n = 0;
    for (; n < REGPATH_TMP_PREFIX_LEN; n++)
        b[n] = TMP_PREFIX[n];
    n += put_hex(pid, b + n);
    b[n++] = '.';
    n += put_hex(tid, b + n);
    if (n > cap)
        return 0;
    for (size_t i = 0; i < n; i++)
        out[i] = b[i];
    return n;
}

/* Lower-case hex digits c[0..n), 1..8 of them, no leading zero but "0". */
static int get_hex(const uint16_t *c, size_t n, uint32_t *x)
{
    if (n == 0 || n > 8 || (n > 1 && c[0] == '0'))
        return 0;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d;
        if (c[i] >= '0' && c[i] <= '9')
            d = (unsigned)(c[i] - '0');
        else if (c[i] >= 'a' && c[i] <= 'f')
            d = (unsigned)(c[i] - 'a' + 10);
        else
            return 0;
        v = (v << 4) | d;
    }
    *x = v;
    return 1;
}

int regpath_tmp_owner(const uint16_t *c, size_t n, uint32_t *pid)
{
    if (!regpath_is_tmp(c, n))
        return 0;
    size_t s = REGPATH_TMP_PREFIX_LEN, dot = s;
    while (dot < n && c[dot] != '.')
        dot++;
    uint32_t p, t;
    if (dot >= n || !get_hex(c + s, dot - s, &p) || !get_hex(c + dot + 1, n - dot - 1, &t))
        return 0;
    *pid = p;
    return 1;
}
