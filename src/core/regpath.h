/* Registry names for the registry namespace (src/layer/reg.c, and later
 * commit/diff in plume.exe). Pure C, no Windows calls; UTF-16 as uint16_t.
 * Every function takes counted strings (not terminated) and is safe on any
 * input: lengths are bounded, nothing is read past what is given.
 *
 * Virtual names are NT registry names as a VM process sees them:
 *   \REGISTRY\MACHINE\...   HKLM (and HKCR, \Registry\Machine\Software\Classes)
 *   \REGISTRY\USER\...      HKU, HKCU (\Registry\User\<SID>)
 * Canonical form (regpath_resolve): one '\' between components, none at the
 * end, the first two components spelled "\REGISTRY\MACHINE" or
 * "\REGISTRY\USER" (as Windows reports them), the rest as given.
 *
 * The VM's private state (docs/ns-reg.md):
 *   \REGISTRY\MACHINE\Software\Plume\VMs\<tag>\Machine\<rest>   private keys
 *   \REGISTRY\MACHINE\Software\Plume\VMs\<tag>\User\<rest>
 *   \REGISTRY\MACHINE\Software\Plume\VMs\<tag>\Deleted\Machine\<rest>
 *   \REGISTRY\MACHINE\Software\Plume\VMs\<tag>\Deleted\User\<rest>
 * where <rest> is the virtual name after \REGISTRY\MACHINE or \REGISTRY\USER
 * (with its leading '\', empty for the root itself). */
#ifndef PLUME_CORE_REGPATH_H
#define PLUME_CORE_REGPATH_H

#include <stddef.h>
#include <stdint.h>

#define REGPATH_MAX 32767       /* UTF-16 units of a full name */
#define REGPATH_COMPONENT_MAX 255

enum regpath_kind {
    RP_INVALID = 0,     /* malformed: the call fails (STATUS_OBJECT_NAME_INVALID) */
    RP_OTHER,           /* not under \REGISTRY\MACHINE or \REGISTRY\USER */
    RP_MACHINE,         /* \REGISTRY\MACHINE and below */
    RP_USER,            /* \REGISTRY\USER and below */
    RP_HIDDEN,          /* \REGISTRY\MACHINE\Software\Plume and below: Plume's
                           own state, invisible in a VM */
};

/* Which tree a private name is in (regpath_private). */
enum regpath_tree {
    RT_KEYS = 0,        /* <tag>\Machine, <tag>\User: the private keys */
    RT_DELETED,         /* <tag>\Deleted\...: deletion markers */
};

/* Case folding as the registry compares names (to upper case): ASCII and
 * Latin-1; other characters compare as they are. */
uint16_t regpath_fold(uint16_t c);

/* Case-insensitive comparison of two names: <0, 0, >0 (upper-case order,
 * the order in which Windows lists subkeys). */
int regpath_cmp(const uint16_t *a, size_t na, const uint16_t *b, size_t nb);

/* Resolves a name given to NtOpenKey/NtCreateKey into its canonical
 * virtual form. `root` is the virtual name of the RootDirectory handle
 * (NULL, 0 when there is none: then `rel` must be absolute); `rel` is the
 * ObjectName (relative when root is given: it must not start with '\';
 * may be empty: the root itself). Repeated '\' are one separator; one
 * trailing '\' is dropped; a component longer than REGPATH_COMPONENT_MAX
 * is invalid. Writes out[0..*outlen) (not terminated) and returns the
 * kind; RP_INVALID (and *outlen 0) when malformed or longer than cap. */
int regpath_resolve(const uint16_t *root, size_t nroot, const uint16_t *rel, size_t nrel,
                    uint16_t *out, size_t cap, size_t *outlen);

/* Offset in canonical name `v` of its "rest": the part after
 * \REGISTRY\MACHINE or \REGISTRY\USER (starting with '\', or empty for
 * the root itself). n for other kinds. */
size_t regpath_rest_off(const uint16_t *v, size_t n, int kind);

/* The private name of canonical virtual name v (kind RP_MACHINE/RP_USER)
 * for VM `tag` in tree `tree`. Returns its length, or 0 when it does not
 * fit in cap or the kind is wrong. */
size_t regpath_private(const uint16_t *v, size_t n, int kind, const uint16_t *tag,
                       size_t ntag, int tree, uint16_t *out, size_t cap);

/* The private state's root: \REGISTRY\MACHINE\Software\Plume\VMs\<tag>.
 * Returns its length or 0. */
size_t regpath_vm_root(const uint16_t *tag, size_t ntag, uint16_t *out, size_t cap);

/* The virtual name of a real name (as NtQueryKey reports it): a name in
 * VM `tag`'s private key tree maps back to its virtual name; any other
 * name is its own virtual name (canonicalized). Returns the kind, as
 * regpath_resolve; *in_private says whether it was a private name
 * (RP_HIDDEN for the rest of Plume's tree, and for Deleted\...). */
int regpath_from_real(const uint16_t *real, size_t n, const uint16_t *tag, size_t ntag,
                      uint16_t *out, size_t cap, size_t *outlen, int *in_private);

/* Offset of the last component of canonical name v (n when v is empty),
 * so the parent is v[0..off-1) when off > 0. */
size_t regpath_leaf_off(const uint16_t *v, size_t n);

/* Case-insensitive 64-bit hash of a name (FNV-1a over folded units). */
uint64_t regpath_hash(const uint16_t *v, size_t n);

/* --- registry symbolic links (docs/ns-reg.md, "Links") ------------------------------

 * The host's links (\REGISTRY\MACHINE\SYSTEM\CurrentControlSet ->
 * ...\ControlSet001, ...), learnt once per process: every spelling of a key
 * must reach one virtual key, so names are canonicalized through them
 * before anything else. `from` and `to` are canonical virtual names
 * (regpath_resolve) of kind RP_MACHINE or RP_USER, `from` not a root. */
typedef struct regpath_link {
    const uint16_t *from;
    size_t nfrom;
    const uint16_t *to;
    size_t nto;
} regpath_link;

#define REGPATH_LINK_DEPTH 16   /* rewrites of one name, at most (a loop fails) */

/* The first link of t[0..nt) that name v[0..n) goes through: v is the
 * link's name or below it (component-wise, case-insensitively). With
 * open_link set (OBJ_OPENLINK, REG_OPTION_OPEN_LINK), the name of a link
 * itself is not followed: only names below it. Returns its index, or -1. */
long regpath_link_match(const regpath_link *t, size_t nt, const uint16_t *v, size_t n,
                        int open_link);

/* Canonicalizes name v[0..n) (canonical, from regpath_resolve) through the
 * links: while a link matches, its name is replaced by its target. Writes
 * out[0..*outlen) (out may be v: then it is rewritten in place) and
 * returns the kind of the result; RP_INVALID (and *outlen 0) when it does
 * not fit in cap or does not settle in REGPATH_LINK_DEPTH rewrites. A name
 * no link matches is copied unchanged (*rewrites 0). rewrites may be NULL. */
int regpath_follow_links(const regpath_link *t, size_t nt, const uint16_t *v, size_t n,
                         int open_link, uint16_t *out, size_t cap, size_t *outlen,
                         unsigned *rewrites);

/* --- reserved names: copy-up temporaries (docs/ns-reg.md) ------------------------

 * Copy-up fills a private key under a temporary sibling name and renames it
 * into place, so a private key never exists with only part of its values.
 * A key name (one component) starting with U+FFFF "plume-copy."
 * (case-insensitively) is reserved: hidden from the VM everywhere (host or
 * private), never opened or created for it, skipped by diff and commit.
 * regpath_tmp_name makes U+FFFF "plume-copy.<pid>.<tid>" (lower-case hex).
 * U+FFFF makes it sort after every other name: Wine 8's NtRenameKey
 * overwrites the next sibling when a key moves exactly one place up the
 * sorted list, so the rename must only ever move the key down. */
#define REGPATH_TMP_PREFIX_LEN 12
#define REGPATH_TMP_MAX 32      /* units of a name regpath_tmp_name makes */

/* Whether component c[0..n) is a reserved name. */
int regpath_is_tmp(const uint16_t *c, size_t n);

/* Whether any component of name v[0..n) is a reserved name. */
int regpath_has_tmp(const uint16_t *v, size_t n);

/* The temporary name of thread tid of process pid: its length (at most
 * REGPATH_TMP_MAX), 0 when cap is too small. */
size_t regpath_tmp_name(uint32_t pid, uint32_t tid, uint16_t *out, size_t cap);

/* The owner of a temporary name of regpath_tmp_name's form: 1 and *pid, or
 * 0 when c is not exactly of that form. */
int regpath_tmp_owner(const uint16_t *c, size_t n, uint32_t *pid);

/* --- merged listings --------------------------------------------------------- */

/* A name in a listing: `src` says where it comes from (the caller's code). */
typedef struct regname {
    const uint16_t *s;
    size_t n;
    int src;
} regname;

/* Sorts a listing in place, case-insensitively (heap sort, no allocation). */
void regname_sort(regname *a, size_t n);

/* The merged listing of a key: the private names, and the host names that
 * are neither private (case-insensitively) nor in `del` (deleted or hidden
 * names). Each input is sorted here (in place); out (room for np + nh)
 * gets the result, sorted, without duplicates (a private name wins; a
 * name repeated within one input is kept once). Returns its length. */
size_t regname_merge(regname *priv, size_t np, regname *host, size_t nh, regname *del,
                     size_t nd, regname *out);

#endif
