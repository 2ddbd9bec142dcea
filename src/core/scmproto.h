/* The service protocol: Plume's own wire format between VM processes (the
 * layer's SCM client and service-side hooks, plume.exe) and a VM's service
 * manager (plume-scm.exe), over \\.\pipe\PlumeSCM.<vm tag>. Pure C, no
 * Windows calls; strings are UTF-16 (uint16_t). See docs/ns-svc.md.
 *
 * A message (little-endian):
 *
 *   u32 magic      SCM_MAGIC ("PSCM")
 *   u32 length     of the whole message, header included (<= SCM_MAX_MSG)
 *   u32 op         SCM_OP_* (a reply carries the request's op)
 *   u32 err        a reply: the Win32 error code (0 success); requests: 0
 *   fields         each: u32 tag (SCM_F_*), u32 size, then size bytes,
 *                  padded with zeros to a multiple of 4
 *
 * Field payloads: u32 fields are 4 bytes; SCM_F_STATUS is 9 u32s (the
 * SERVICE_STATUS_PROCESS layout); strings are UTF-16 with their
 * terminating 0 included (size even, >= 2, last unit 0, no other 0 unit);
 * multi-strings (deps, args) are a run of terminated strings ended by an
 * extra 0 (an empty one is a single 0 unit); SCM_F_ENTRIES is u32 count,
 * then count records of: string name, string display, 9 u32 status, each
 * string as u32 size + units padded to 4. Unknown tags are skipped;
 * a tag given twice, a bad size or a bad string makes the message bad.
 *
 * The decoder never reads outside the buffer and accepts any input
 * (it is fuzzed): it returns 0 and fills the message, or -1. */
#ifndef PLUME_CORE_SCMPROTO_H
#define PLUME_CORE_SCMPROTO_H

#include <stddef.h>
#include <stdint.h>

#define SCM_MAGIC 0x4d435350u /* "PSCM" */
#define SCM_HEADER 16u
#define SCM_MAX_MSG (1u << 20)

/* Requests (client -> manager, on a client connection). */
enum {
    SCM_OP_OPEN_SCM = 1,   /* access -> handle */
    SCM_OP_OPEN,           /* handle, name, access -> handle */
    SCM_OP_CREATE,         /* handle, name, display, access, type, start, errctl,
                              path, group, deps, account, password -> handle, tag */
    SCM_OP_CLOSE,          /* handle */
    SCM_OP_DELETE,         /* handle */
    SCM_OP_START,          /* handle, args */
    SCM_OP_CONTROL,        /* handle, control -> status */
    SCM_OP_QUERY,          /* handle -> status, name */
    SCM_OP_QUERY_CONFIG,   /* handle -> type, start, errctl, path, group, tag,
                              deps, account, display, desc */
    SCM_OP_CHANGE_CONFIG,  /* handle, any of type start errctl path group deps
                              account password display desc (absent: no change) */
    SCM_OP_ENUM,           /* handle, type, state -> entries */
    SCM_OP_DEPENDENTS,     /* handle, state -> entries */
    SCM_OP_KEY_NAME,       /* handle, display -> name */
    SCM_OP_DISPLAY_NAME,   /* handle, name -> display */
    SCM_OP_SET_STATUS,     /* service side: token, name, status */
    SCM_OP_BOOT,           /* plume start: the auto-start services -> entries */
    SCM_OP_SHUTDOWN,       /* plume stop: stop all, timeout (control) -> entries */
    /* On a dispatcher connection (service process <-> manager): */
    SCM_OP_HELLO,          /* service -> manager: token, pid; reply: name, args */
    SCM_OP_CTRL,           /* manager -> service: name, control; reply: err */
    SCM_OP_EXIT,           /* manager -> service: every service stopped */
    SCM_OP_RUN,            /* manager -> service: name, args, seq: start another
                              service of the process's table (share process);
                              reply: seq, err */
    /* More client requests (appended: the numbers above never change). */
    SCM_OP_WAIT,           /* handle, state (a SERVICE_NOTIFY_* mask), seq (the
                              last change seen, 0 first) -> status, seq, state
                              (SERVICE_NOTIFY_DELETE_PENDING when marked for delete):
                              returns when a state of the mask is reached or the
                              service changed after seq (no polling).
                              On a manager handle (mask CREATED/DELETED): ->
                              names, seq (the last event), state (triggered):
                              returns when services were created or deleted
                              after seq. Without seq: a probe answered at once
                              (the handle's checks; a service marked for delete
                              1072; seq = the manager's last event) */
    SCM_OP_LOCK,           /* handle (manager) -> handle (the lock) */
    SCM_OP_UNLOCK,         /* handle (the lock) */
    SCM_OP_LOCK_STATUS,    /* handle (manager) -> state (1 locked), name (owner),
                              exitcode (seconds held) */
    SCM_OP_QUERY_SD,       /* handle, flags (SECURITY_INFORMATION) -> sd: the
                              parts asked for (QueryServiceObjectSecurity) */
    SCM_OP_SET_SD,         /* handle, flags (SECURITY_INFORMATION), sd: those
                              parts replaced (SetServiceObjectSecurity) */
    SCM_OP_MAX
};

/* Fields. */
enum {
    SCM_F_HANDLE = 1, SCM_F_ACCESS, SCM_F_TYPE, SCM_F_START, SCM_F_ERRCTL, SCM_F_TAG,
    SCM_F_CONTROL, SCM_F_STATE, SCM_F_PID, SCM_F_STATUS, SCM_F_TOKEN_LO, SCM_F_TOKEN_HI,
    SCM_F_NAME, SCM_F_DISPLAY, SCM_F_PATH, SCM_F_GROUP, SCM_F_DEPS, SCM_F_ACCOUNT,
    SCM_F_PASSWORD, SCM_F_ARGS, SCM_F_DESC, SCM_F_ENTRIES, SCM_F_EXITCODE,
    SCM_F_ACTIONS,   /* failure actions: u32 reset period (s), u32 count, then
                        count x (u32 SC_ACTION_TYPE, u32 delay ms); count <= 64 */
    SCM_F_REBOOTMSG, SCM_F_COMMAND, /* strings of the failure actions */
    SCM_F_DELAYED,   /* u32: delayed auto-start */
    SCM_F_SEQ,       /* u32: a sequence number (controls, RUN, WAIT) */
    SCM_F_SD,        /* bytes: a self-relative security descriptor (<= 64 KiB) */
    SCM_F_FLAGS,     /* u32: failure actions on non-crash failures */
    SCM_F_NAMES,     /* multi-string: services created ("/" + name) or deleted
                        (the name), WAIT on a manager handle */
    SCM_F_MAX
};

#define SCM_U32_FIELDS(X) X(HANDLE, handle) X(ACCESS, access) X(TYPE, type) \
    X(START, start) X(ERRCTL, errctl) X(TAG, tag) X(CONTROL, control) X(STATE, state) \
    X(PID, pid) X(TOKEN_LO, token_lo) X(TOKEN_HI, token_hi) X(EXITCODE, exitcode) \
    X(DELAYED, delayed) X(SEQ, seq) X(FLAGS, flags)
#define SCM_STR_FIELDS(X) X(NAME, name) X(DISPLAY, display) X(PATH, path) \
    X(GROUP, group) X(ACCOUNT, account) X(PASSWORD, password) X(DESC, desc) \
    X(REBOOTMSG, rebootmsg) X(COMMAND, command)
#define SCM_MSZ_FIELDS(X) X(DEPS, deps) X(ARGS, args) X(NAMES, names)

/* SERVICE_STATUS_PROCESS, field by field. */
typedef struct scm_status {
    uint32_t type, state, accepted, win32_exit, specific_exit, checkpoint, wait_hint,
        pid, flags;
} scm_status;

/* A decoded message. Strings point into the decoded buffer (which must be
 * 4-byte aligned and outlive the message); NULL when absent. `has` has bit
 * (1 << tag) set for each field present. */
typedef struct scm_msg {
    uint32_t op, err;
    uint32_t has;
#define SCM_DECL_U32(T, f) uint32_t f;
#define SCM_DECL_STR(T, f) const uint16_t *f;
    SCM_U32_FIELDS(SCM_DECL_U32)
    SCM_STR_FIELDS(SCM_DECL_STR)
    SCM_MSZ_FIELDS(SCM_DECL_STR)
    scm_status status;
    const uint8_t *entries; /* the SCM_F_ENTRIES payload (validated) */
    uint32_t entries_size, n_entries;
    const uint8_t *actions; /* SCM_F_ACTIONS: the pairs (scm_action) */
    uint32_t fa_reset, fa_count;
    const uint8_t *sd;      /* SCM_F_SD */
    uint32_t sd_size;
} scm_msg;

#define SCM_MAX_ACTIONS 64
/* In a BOOT entry's status flags: a delayed auto-start service, started later. */
#define SCM_STATUS_DELAYED 0x80000000u
#define SCM_MAX_SD 65536u

#define SCM_HAS(m, T) (((m)->has >> SCM_F_##T) & 1u)

/* One entry of an SCM_F_ENTRIES list. */
typedef struct scm_entry {
    const uint16_t *name, *display;
    scm_status status;
} scm_entry;

/* --- encoding --------------------------------------------------------------- */
typedef struct scm_writer {
    uint8_t *buf;
    size_t cap, len;
    int bad;              /* set when something did not fit */
    size_t entries_at;    /* offset of the entries field, 0 when none is open */
} scm_writer;

/* Starts a message in buf[0..cap) (cap <= SCM_MAX_MSG is enforced). */
void scm_begin(scm_writer *w, uint8_t *buf, size_t cap, uint32_t op, uint32_t err);
void scm_put_u32(scm_writer *w, uint32_t tag, uint32_t v);
/* A string (s NULL: nothing is written). */
void scm_put_str(scm_writer *w, uint32_t tag, const uint16_t *s);
/* A multi-string (run of terminated strings, ended by an empty one). */
void scm_put_msz(scm_writer *w, uint32_t tag, const uint16_t *s);
void scm_put_status(scm_writer *w, const scm_status *st);
/* Entries: scm_entries_begin, scm_put_entry..., scm_entries_end. */
void scm_entries_begin(scm_writer *w);
void scm_put_entry(scm_writer *w, const uint16_t *name, const uint16_t *display,
                   const scm_status *st);
void scm_entries_end(scm_writer *w);
/* Failure actions: pairs[2*i] = type, pairs[2*i+1] = delay (count <= 64). */
void scm_put_actions(scm_writer *w, uint32_t reset, uint32_t count, const uint32_t *pairs);
/* Raw bytes (SCM_F_SD). */
void scm_put_bytes(scm_writer *w, uint32_t tag, const void *p, uint32_t n);
/* Finishes the message: its length, or 0 when it did not fit. */
size_t scm_end(scm_writer *w);

/* --- decoding --------------------------------------------------------------- */
/* Length of the message starting in buf, from its header (at least 16
 * bytes given): 0 when the header is bad (magic, length out of range). */
uint32_t scm_peek_length(const uint8_t *buf, size_t n);
/* Decodes buf[0..n) (n == the header's length). 0 or -1. */
int scm_decode(const uint8_t *buf, size_t n, scm_msg *m);
/* Entry i of m's entries list (0 <= i < n_entries), by walking: pass
 * *off = 0 first; returns 0, or -1 at the end. */
int scm_next_entry(const scm_msg *m, uint32_t *off, scm_entry *e);
/* Failure action i (< m->fa_count) of a decoded message. */
void scm_action(const scm_msg *m, uint32_t i, uint32_t *type, uint32_t *delay);

/* Helpers on UTF-16 strings. */
size_t scm_wlen(const uint16_t *s);
/* Length in units of a multi-string, final 0 included. */
size_t scm_msz_len(const uint16_t *s);
/* Case-insensitive (ASCII letters) equality, as service names compare. */
int scm_wieq(const uint16_t *a, const uint16_t *b);

#endif
