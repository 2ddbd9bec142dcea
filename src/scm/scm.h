/* plume-scm.exe: a VM's service control manager. It runs inside the VM
 * (with the layer), one per VM (a named mutex), and serves the service
 * protocol (src/core/scmproto.h, docs/ns-svc.md) on
 * \\.\pipe\PlumeSCM.<vm tag>.
 *
 *   main.c     entry, options, log, the lock, SC handles
 *   db.c       the database: HKLM\SYSTEM\CurrentControlSet\Services
 *   graph.c    dependencies: start order, dependents (src/core/svcdeps.c)
 *   procmgr.c  service processes: start, controls, status, crashes
 *   server.c   the pipe server and the protocol's requests
 *
 * One lock (g_lock) guards every service record and the handle table; a
 * condition variable (g_changed) is woken on every status change. The
 * lock is never held while waiting on a pipe or a process. */
#ifndef PLUME_SCM_H
#define PLUME_SCM_H

#include <windows.h>
#include <winsvc.h>
#include <stdint.h>
#include "scmproto.h"

#define NAME_MAX_UNITS 257

/* A service process: one per own-process service; one per image (the
 * expanded command line, e.g. "svchost.exe -k netsvcs") for share-process
 * services, which then all run in it. */
typedef struct sproc {
    HANDLE proc;
    DWORD pid;
    uint64_t token;       /* the dispatcher's proof of identity */
    HANDLE ctl;           /* the dispatcher connection, once it said hello */
    CRITICAL_SECTION ctl_lock; /* one message at a time written on ctl */
    int hello;            /* the dispatcher connected */
    int shared;           /* share-process: more services may join */
    int exiting;          /* every service stopped: EXIT sent, no one joins */
    int dead;             /* the dispatcher connection broke */
    wchar_t *image;       /* the expanded command line */
    struct svc *first;    /* the service whose start created the process */
    uint32_t seq;         /* the last message sent that waits for a reply */
    uint32_t reply_seq;   /* the last reply read (by the connection's reader) */
    DWORD reply_err;
    int pins;             /* threads using it: freed when 0 and the process ended */
    int ended;
} sproc;

typedef struct svc {
    wchar_t name[NAME_MAX_UNITS];
    wchar_t display[NAME_MAX_UNITS];
    wchar_t *path, *group, *account, *desc;
    wchar_t *deps; /* multi-string, groups as "+GROUP" (the API's form) */
    DWORD type, start, errctl, tag;
    int marked_delete;
    int handles; /* open SC handles on it */
    /* runtime */
    /* failure actions (svcfail.h) and delayed auto-start */
    uint32_t fa_reset, fa_count;
    uint32_t fa[2 * SCM_MAX_ACTIONS]; /* type, delay pairs */
    wchar_t *fa_reboot, *fa_command;
    DWORD fa_nonfatal;    /* FailureActionsOnNonCrashFailures */
    DWORD delayed;        /* DelayedAutostart */
    uint32_t fails;       /* failures since the reset period */
    uint64_t last_fail;   /* GetTickCount64 of the last one */
    int restart_pending;  /* a restart is scheduled */
    uint8_t *sd;          /* a security descriptor set by SetServiceObjectSecurity */
    DWORD sd_size;
    /* runtime */
    scm_status st;
    uint32_t change;      /* bumped on every status change (NotifyServiceStatusChange) */
    sproc *p;             /* the service's process, while it has one */
    DWORD exit_code;      /* the process's last exit code */
    wchar_t *start_args;  /* multi-string, until delivered */
    int hello;            /* its dispatcher took its start (ServiceMain runs) */
    int pins;             /* threads using the record: not freed meanwhile */
} svc;

extern CRITICAL_SECTION g_lock;
extern CONDITION_VARIABLE g_changed;
extern svc **g_svcs;
extern size_t g_nsvcs;
extern DWORD g_pipe_timeout; /* ms a service process has to connect */
extern int g_booted;
extern const wchar_t *g_pipe_name; /* \\.\pipe\PlumeSCM.<tag>: names the VM */
extern DWORD g_ctl_timeout;  /* ms a control handler has (30 s, as Windows) */
extern uint32_t g_change;    /* bumped on every status change of any service */

void scm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *scm_narrow(const wchar_t *w, char *buf, size_t cap);
wchar_t *scm_wcsdup(const wchar_t *s);
wchar_t *scm_mszdup(const wchar_t *s);

/* Handles (main.c): ids > 0; svc NULL for a manager handle. */
uint32_t handle_new(svc *s, DWORD access);
int handle_get(uint32_t id, svc **s, DWORD *access, int *is_scm);
void handle_close(uint32_t id);

/* db.c */
void db_load(void);
svc *db_find(const wchar_t *name);
svc *db_find_display(const wchar_t *display);
/* Creates the record and its key; ERROR_* */
DWORD db_create(const scm_msg *m, svc **out);
DWORD db_save(svc *s);
/* The security descriptor of s into Services\<name>\Security, value
 * Security (REG_BINARY, self-relative: as Windows). */
DWORD db_save_sd(svc *s);
/* Removes a record marked for delete once it is stopped with no handles. */
void db_reap(svc *s);
/* Services created and deleted (NotifyServiceStatusChange on a manager
 * handle), lock held: the last DB_EVENTS are kept, numbered from 1
 * (g_dbseq: the last one; 0 never names one). */
#define DB_EVENTS 256
extern uint32_t g_dbseq;
void db_event(const wchar_t *name, int created);
/* The events after seq of the mask's kinds (SERVICE_NOTIFY_CREATED /
 * DELETED) as a multi-string (malloc; created names prefixed "/"), their
 * kinds in *triggered; NULL when there is none. */
wchar_t *db_events_since(uint32_t seq, DWORD mask, DWORD *triggered);

/* graph.c (lock held) */
/* Start order for s: DWORD error (ERROR_CIRCULAR_DEPENDENCY,
 * ERROR_SERVICE_DEPENDENCY_DELETED for a missing one); out has *n entries. */
DWORD graph_start_order(svc **roots, size_t nroots, svc ***out, size_t *n);
/* Running (not STOPPED) services depending on s, in stop order. */
size_t graph_active_dependents(svc *s, svc ***out, DWORD state_mask);

/* procmgr.c; called with g_lock held (they release it while waiting). */
DWORD svc_start(svc *s, const wchar_t *args); /* with dependencies */
DWORD svc_start_one(svc *s, const wchar_t *args);
DWORD svc_wait_running(svc *s);
DWORD svc_control(svc *s, DWORD control, scm_status *out);
/* A dispatcher said hello on pipe h (lock not held). 0 when it was ours:
 * then the calling thread reads the connection's replies until it breaks
 * (svc_ctl_reader). */
sproc *svc_hello(HANDLE h, const scm_msg *m);
void svc_ctl_reader(sproc *p, HANDLE h);
/* A status change of s (lock held): wakes the waiters. */
void svc_changed(svc *s);
DWORD svc_set_status(const scm_msg *m);
/* At the manager's start (lock not needed): ends the service processes a
 * previous manager of this VM left running (it was killed), and their
 * descendants; the number ended. */
size_t svc_reap_orphans(void);
/* Stops everything in reverse dependency order within timeout_ms. */
void svc_shutdown_all(DWORD timeout_ms);

/* server.c */
int server_run(const wchar_t *pipe);

#endif
