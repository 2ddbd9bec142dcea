/* The plan of plume diff / commit (docs/ns-state.md). Pure C, no Windows
 * calls; UTF-16 as uint16_t, counted (not terminated) unless said. Safe on
 * any input: lengths are bounded, nothing is read past what is given.
 *
 *  - origin records (<vm_dir>\origin\X\path, and the content of a deletion
 *    marker): what the host file was when the VM copied it up or deleted it;
 *  - sp_plan_file: what one name of the files tree is (added, modified,
 *    deleted, nothing), whether it conflicts, and what a commit does;
 *  - path filters (plume commit VM PATH...): Windows paths and registry
 *    paths, and which names they select;
 *  - the display form of registry names (HKLM\..., HKCU\..., HKU\...). */
#ifndef PLUME_CORE_STATEPLAN_H
#define PLUME_CORE_STATEPLAN_H

#include <stddef.h>
#include <stdint.h>

/* --- origin records ---------------------------------------------------------- */

#define SP_ORIGIN_SIZE 24   /* "PLOR", u32 LE version 1, i64 LE LastWriteTime, i64 LE size */

typedef struct sp_origin {
    int64_t lwt;    /* the host file's LastWriteTime (FILETIME, 100 ns) then */
    int64_t size;   /* its size then */
} sp_origin;

/* 1: a valid record (*o filled); 0: empty (no origin known); -1: anything
 * else (malformed: also treated as no origin known, but reported). */
int sp_origin_parse(const uint8_t *b, size_t n, sp_origin *o);
void sp_origin_format(const sp_origin *o, uint8_t out[SP_ORIGIN_SIZE]);

/* --- one name of the files tree ------------------------------------------------ */

enum sp_type { SP_NONE = 0, SP_FILE = 1, SP_DIR = 2 };

typedef struct sp_facts {
    int priv;            /* sp_type of files\X\path */
    int marker;          /* 1: deleted\X\path is a marker FILE */
    int host;            /* sp_type of X:\path on the host */
    int64_t host_lwt;    /* a host file: its LastWriteTime; a host directory:
                            the newest LastWriteTime in its tree */
    int64_t host_size;   /* a host file: its size */
    int same;            /* priv and host are files with the same content */
    int has_origin;      /* origin\X\path is a valid record (a copy-up) */
    sp_origin origin;
    int has_morigin;     /* the marker holds a valid record */
    sp_origin morigin;
    int opaque;          /* an ancestor of path is marked deleted */
    int64_t mark_time;   /* LastWriteTime of the marker (path's own when
                            marker, else the nearest marked ancestor's) */
    int64_t priv_ctime;  /* CreationTime of the private file (when the VM
                            made it) */
} sp_facts;

enum sp_change { SPC_NONE = 0, SPC_ADDED, SPC_MODIFIED, SPC_DELETED };

enum sp_conflict {
    SPX_NONE = 0,
    SPX_CHANGED,          /* the host changed it since the VM copied it up */
    SPX_HOST_DELETED,     /* the host deleted it since the VM copied it up */
    SPX_CREATED,          /* no origin: the host wrote it after the VM made its own */
    SPX_AFTER_DELETE,     /* the host changed it since the VM deleted it */
    SPX_TYPE,             /* a file on one side, a directory on the other */
};

typedef struct sp_plan {
    int change;          /* sp_change; the subject is the private entry
                            (type priv), or the host entry for SPC_DELETED */
    int conflict;        /* sp_conflict */
    int del_host;        /* commit: remove the host entry (a tree for a dir) first */
    int copy;            /* commit: copy the private file to the host */
    int mkdir;           /* commit: create the host directory */
    int recurse;         /* walk the private directory's children */
    int child_opaque;    /* ... as under a deletion (host-only names are deleted) */
    int drop;            /* after success: drop the private file / empty
                            private directory, its origin record, its marker */
} sp_plan;

void sp_plan_file(const sp_facts *f, sp_plan *p);

/* English reason of a conflict ("" for SPX_NONE). */
const char *sp_conflict_text(int conflict);
const char *sp_change_text(int change);   /* "added", "modified", "deleted", "" */

/* --- path filters ------------------------------------------------------------- */

#define SP_PATH_MAX 4096

enum sp_kind { SP_K_BAD = 0, SP_K_FILE, SP_K_REG };

typedef struct sp_filter {
    int kind;                  /* SP_K_FILE: "X:\a\b" (X upper case, no
                                  trailing '\' but "X:\"); SP_K_REG:
                                  "\REGISTRY\MACHINE\..." or "\REGISTRY\USER\..." */
    uint16_t p[SP_PATH_MAX];
    size_t n;
} sp_filter;

/* Parses a PATH argument of plume commit: a Windows path "X:\a\b" ('/' too,
 * "." and ".." resolved, repeated separators, trailing dots and spaces of
 * components dropped), or a registry path: HKLM, HKEY_LOCAL_MACHINE, HKCU,
 * HKEY_CURRENT_USER (-> \REGISTRY\USER\<sid>), HKU, HKEY_USERS, HKCR,
 * HKEY_CLASSES_ROOT (-> \REGISTRY\MACHINE\Software\Classes), or a
 * \REGISTRY\... name; root names are case-insensitive. Returns the kind;
 * SP_K_BAD for anything else (a relative path, a UNC path, empty). */
int sp_filter_parse(const uint16_t *in, size_t n, const uint16_t *sid, size_t nsid,
                    sp_filter *out);

enum sp_sel { SP_UNRELATED = 0, SP_ANCESTOR = 1, SP_SELECTED = 2 };

/* Whether path (of kind, in the filter's form) is selected by the filters:
 * SP_SELECTED when it is one of them or lies under one (whole components,
 * case-insensitive), else SP_ANCESTOR when one lies under it, else
 * SP_UNRELATED. No filters (nf 0) select everything. */
int sp_select(const sp_filter *f, size_t nf, int kind, const uint16_t *path, size_t n);

/* 1 when a file path (X:\...) is one of the VM service manager's own
 * files, which diff and commit leave out: X:\windows\plume-scm.<anything>
 * (its log and its record of service processes, docs/fault.md). */
int sp_internal_file(const uint16_t *path, size_t n);

/* 1 when p[0..pn) is d[0..dn) or lies under it (component boundary,
 * case-insensitive, ASCII and Latin-1 folding). */
int sp_under(const uint16_t *p, size_t pn, const uint16_t *d, size_t dn);

/* The display form of a canonical registry name: \REGISTRY\MACHINE\x ->
 * HKLM\x; \REGISTRY\USER\<sid>\x -> HKCU\x (sid: the current user's);
 * \REGISTRY\USER\x -> HKU\x; anything else as it is. Writes out
 * (terminated); returns the length, or 0 when it does not fit. */
size_t sp_reg_display(const uint16_t *v, size_t n, const uint16_t *sid, size_t nsid,
                      uint16_t *out, size_t cap);

#endif
