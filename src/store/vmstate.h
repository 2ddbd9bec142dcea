/* A VM's changes against the host: plume diff, commit, discard
 * (docs/ns-state.md). The files tree (<vm_dir>\files, deleted, origin) and
 * the private registry tree (HKLM\Software\Plume\VMs\<tag>) are walked
 * together with the host; the decisions are src/core/stateplan.c's.
 * Every call returns a Win32 error code. */
#ifndef PLUME_STORE_VMSTATE_H
#define PLUME_STORE_VMSTATE_H

#include <windows.h>
#include "store.h"
#include "stateplan.h"

enum vs_kind { VS_FILE = 0, VS_KEY, VS_VALUE };

/* One change, as the walk reports it (the strings live until the callback
 * returns). */
typedef struct vs_change {
    int kind;           /* vs_kind */
    int change;         /* SPC_ADDED, SPC_MODIFIED, SPC_DELETED */
    int conflict;       /* SPX_* (SPX_NONE: none) */
    int dir;            /* VS_FILE: a directory (path ends in '\') */
    const char *path;   /* UTF-8: C:\x\y, HKLM\x, HKLM\x\<value name> */
    const char *key;    /* VS_VALUE: the key's path; else NULL */
    const char *name;   /* VS_VALUE: the value's name ("" the default) */
    /* commit only */
    int done;           /* applied to the host */
    DWORD error;        /* not applied: this error (0: a conflict left alone) */
    const char *why;    /* error: what failed, in English */
} vs_change;

typedef void (*vs_report_fn)(const vs_change *c, void *ctx);

typedef struct vs_opts {
    int commit;                /* 0: diff (nothing is changed) */
    int overwrite;             /* commit conflicting changes too */
    const sp_filter *filters;  /* commit VM PATH...: only these (nf 0: all) */
    size_t nf;
    vs_report_fn report;
    void *ctx;
} vs_opts;

typedef struct vs_totals {
    unsigned long changes;     /* reported */
    unsigned long done;        /* applied */
    unsigned long conflicts;   /* conflicting (left alone unless overwrite) */
    unsigned long errors;      /* failed */
} vs_totals;

/* The current user's SID, "S-1-5-...": HKCU is \REGISTRY\USER\<it>. */
DWORD vs_user_sid(wchar_t *buf, size_t cap);

/* Diff or commit VM `vm` (which must not be running). 0 when the walk
 * could be done (look at *t for conflicts and errors). */
DWORD vs_walk(const vm_info *vm, const vs_opts *o, vs_totals *t);

/* Drops all of the VM's changes: files, deleted, origin (and .tmp-*
 * copy-ups) and its private registry tree. 0 when all of it is gone. */
DWORD vs_discard(const vm_info *vm, char *why, size_t whycap);

/* Ends every process of the VM and waits (at most timeout_ms) until they
 * are gone. *ended: how many there were. */
DWORD vs_stop(const char *name, DWORD timeout_ms, DWORD *ended);

#endif
