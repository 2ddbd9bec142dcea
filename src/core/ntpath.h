/* NT path names for the files namespace. Pure C, no C runtime calls (the
 * layer links it); UTF-16 as uint16_t, never terminated unless said.
 *
 * Every spelling of a local disk file is reduced to one virtual form,
 *
 *     \??\X:\dir\file[:stream]      X an upper-case drive letter,
 *     \??\X:\                        the drive's root,
 *
 * components separated by one backslash, "." and ".." resolved, trailing
 * dots and spaces stripped, case kept as given (compare with ntp_eq).
 * Spellings understood: \??\X:\, \DosDevices\X:\, \GLOBAL??\X:\,
 * \??\GLOBALROOT\<any of these>, \Device\HarddiskVolumeN\ (through the
 * volume map), \??\UNC\localhost\X$\ (also 127.0.0.1 and "."), '/' as a
 * separator, "::$DATA" (the default stream, dropped). Wine's Unix-path
 * spelling \??\unix\<unix path> (also after \DosDevices\, \GLOBAL??\ or
 * GLOBALROOT) is NTP_UNIX: it cannot be mapped safely (symbolic links of
 * the Unix side reach anything), so the layer refuses it. Anything else
 * (other devices, pipes, remote UNC) is NTP_OTHER. */
#ifndef PLUME_CORE_NTPATH_H
#define PLUME_CORE_NTPATH_H

#include <stddef.h>
#include <stdint.h>

#define NTP_MAX 32767 /* UTF-16 units of an NT name */

enum ntp_kind {
    NTP_DISK = 1,   /* a local disk path: out has the virtual form */
    NTP_VOLUME,     /* a raw volume (\??\C:, \Device\HarddiskVolume1): out = \??\X: */
    NTP_OTHER,      /* not a disk path: pass through unchanged */
    NTP_BAD,        /* malformed (':' inside a directory name, ...) */
    NTP_TOOLONG,    /* does not fit in out */
    NTP_UNIX,       /* Wine's \??\unix\<unix path>: refused (out unset) */
};

/* The volume devices of the drives: dev[d] (dev_len[d] units) is, e.g.,
 * \Device\HarddiskVolume3 for drive 'A'+d; dev_len 0 when unknown. */
typedef struct ntp_volmap {
    uint16_t dev[26][64];
    size_t dev_len[26];
} ntp_volmap;

/* Canonicalizes in[0..n) (an absolute NT name). vm may be NULL. On
 * NTP_DISK/NTP_VOLUME, out[0..*out_len) gets the virtual form and
 * *path_len the length of its path without the ":stream" suffix. */
int ntp_canon(const uint16_t *in, size_t n, const ntp_volmap *vm, uint16_t *out, size_t cap,
              size_t *out_len, size_t *path_len);

/* Joins base (a virtual directory) and rel (a relative name) into out,
 * then canonicalizes like ntp_canon. An empty rel (rn 0) names base
 * itself: exactly ntp_canon(base), so also a file, a stream or a volume. */
int ntp_join(const uint16_t *base, size_t bn, const uint16_t *rel, size_t rn,
             const ntp_volmap *vm, uint16_t *out, size_t cap, size_t *out_len,
             size_t *path_len);

/* Case-insensitive equality and ordering (ASCII, Latin-1, Greek and
 * Cyrillic folded to upper case, like the file system's upcase table for
 * those ranges). */
uint16_t ntp_upcase(uint16_t c);
int ntp_eq(const uint16_t *a, size_t an, const uint16_t *b, size_t bn);
int ntp_cmp(const uint16_t *a, size_t an, const uint16_t *b, size_t bn);

/* 1 when p[0..pn) is `dir` or lies under it (component boundary). */
int ntp_under(const uint16_t *p, size_t pn, const uint16_t *dir, size_t dn);

/* Length of the parent of virtual path v (\??\X:\a\b -> \??\X:\a,
 * \??\X:\a -> \??\X:\); 0 for a drive's root. */
size_t ntp_parent(const uint16_t *v, size_t n);
/* Offset of the last component of v (after its last backslash). */
size_t ntp_leaf(const uint16_t *v, size_t n);

/* The store path of virtual path v (a path, no stream): base (an NT path,
 * e.g. \??\C:\ProgramData\Plume\vms\a\files) + "\X" + the rest of v, so
 * \??\C:\dir\f -> <base>\C\dir\f and \??\C:\ -> <base>\C. Returns the
 * length, 0 when v is not a virtual path or it does not fit. */
size_t ntp_store_path(const uint16_t *base, size_t bn, const uint16_t *v, size_t vn,
                      uint16_t *out, size_t cap);

/* Could an open with these arguments change the file (so it must be copied
 * up first)? Write or append data, write attributes or EA, DELETE,
 * WRITE_DAC, WRITE_OWNER, GENERIC_WRITE/ALL, MAXIMUM_ALLOWED,
 * delete-on-close, and the dispositions that supersede or overwrite. */
int ntp_could_change(uint32_t access, uint32_t disposition, uint32_t options);
/* Does the disposition create the file when it is absent? */
int ntp_creates(uint32_t disposition);

/* 8.3 short names: the first component of virtual path v[0..n) at or after
 * offset `from` that contains a '~' (a possible short name). Returns its
 * offset and sets *end to the offset after it; returns n when there is
 * none. Components start after "\??\X:\"; a ":stream" suffix of the last
 * component is not part of it. */
size_t ntp_tilde_next(const uint16_t *v, size_t n, size_t from, size_t *end);

/* File-name pattern matching of directory listings (FsRtlIsNameInExpression
 * semantics, case-insensitive): '*', '?', and the DOS forms '<' (DOS_STAR),
 * '>' (DOS_QM), '"' (DOS_DOT). An empty pattern matches everything. */
int ntp_match(const uint16_t *pat, size_t pn, const uint16_t *name, size_t nn);

#endif
