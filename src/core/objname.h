/* Object names of a VM: which NT object names are renamed per VM, how, and
 * which may fall back to the host's object (the rule table). Pure C, no
 * Windows calls; UTF-16 as uint16_t; robust to any input (fuzzed).
 *
 * The scheme (docs/ns-obj.md): a name inside one of the shared containers
 *
 *   \BaseNamedObjects, \Sessions\N\BaseNamedObjects, \Sessions\BNOLINKS\N
 *     (and their Global\, Local\, Session\N\ links)      kernel objects
 *   \RPC Control                                        LPC/ALPC ports
 *   \Device\NamedPipe, \??\pipe (\GLOBAL??, \DosDevices)  named pipes
 *   \Device\Mailslot, \??\mailslot (...)                  mailslots
 *
 * (also reached through \??\GLOBALROOT) has its first component below the
 * container, for pipes and mailslots the whole rest, prefixed with
 * "Plume.<tag>." where tag is the VM's tag (src/core/jobname.h):
 *
 *   Global\X                   -> Global\Plume.<tag>.X
 *   \BaseNamedObjects\D\Y      -> \BaseNamedObjects\Plume.<tag>.D\Y
 *   \??\pipe\lrpc\svcctl       -> \??\pipe\Plume.<tag>.lrpc\svcctl
 *
 * Every name a VM uses gets its own prefix, so a VM that spells another
 * VM's prefix gets "Plume.<mine>.Plume.<other>..." : never the other's. */
#ifndef PLUME_CORE_OBJNAME_H
#define PLUME_CORE_OBJNAME_H

#include <stddef.h>
#include <stdint.h>

/* objname_map results. */
enum {
    OBJN_PASS = 0,     /* use the name as it is */
    OBJN_RENAME,       /* use out[0..len) (relative to the same root) */
    OBJN_DENY,         /* refuse: a create outside every container */
    OBJN_INVALID,      /* refuse: a malformed name (empty component) */
    OBJN_TOOLONG,      /* refuse: the renamed name does not fit */
};

/* Container classes. */
enum {
    OBJN_C_NONE = 0,   /* outside every container (system namespace) */
    OBJN_C_BNO,        /* BaseNamedObjects: mutants, events, sections, ... */
    OBJN_C_RPC,        /* \RPC Control: ports */
    OBJN_C_PIPE,       /* the named-pipe file system */
    OBJN_C_MAILSLOT,   /* the mailslot file system */
};

/* objname_map flags. */
#define OBJN_CREATE 0x1u   /* the call creates the object (server side) */
#define OBJN_STRICT 0x2u   /* refuse malformed names outside containers too */

typedef struct objname_out {
    int cls;          /* the container the name is in */
    int is_root;      /* the name is the container itself (\??\pipe\) */
    int fallback;     /* a rule lets an open retry the host's name when
                         the VM has no object of that name */
    size_t len;       /* OBJN_RENAME: units written to out */
    size_t at;        /* OBJN_RENAME: where the prefix went in out */
} objname_out;

/* Maps the name a VM program used to the name really opened.
 *
 * root/root_len: the real NT name of the RootDirectory handle (NULL, 0
 * when there is none; Wine names the root directory "", Windows "\"),
 * name/name_len: the name relative to it (absolute when root is NULL),
 * tag/tag_len: the VM's tag. A root that is already inside a container's
 * first component (a VM's own renamed directory) needs no renaming.
 * Names outside every container pass (opens reach the host's system
 * namespace) unless flags has OBJN_CREATE: a VM must not create objects
 * there (OBJN_DENY). Returns one of OBJN_PASS... and fills *r. */
int objname_map(const uint16_t *root, size_t root_len, const uint16_t *name, size_t name_len,
                const uint16_t *tag, size_t tag_len, unsigned flags, uint16_t *out, size_t cap,
                objname_out *r);

/* Units objname_map may need for out: name_len + this. */
size_t objname_extra(size_t tag_len);

/* The name a VM should see: removes the first "Plume.<tag>." that starts a
 * component (after a backslash), in place. Returns the new length. */
size_t objname_strip(uint16_t *name, size_t len, const uint16_t *tag, size_t tag_len);

/* The container class of a directory whose real NT name is name[0..len)
 * when that directory IS a container (\BaseNamedObjects,
 * \Sessions\1\BaseNamedObjects, its Global\ link, \RPC Control...);
 * OBJN_C_NONE for any other name (the root, \Sessions, a directory below a
 * container's first component such as a VM's own renamed one). */
int objname_container(const uint16_t *name, size_t len);

/* What a VM sees of an entry of a container's listing
 * (NtQueryDirectoryObject). cls: the container's class; name, type: the
 * entry's name and object type name as the system lists them. */
enum {
    OBJN_V_HIDE = 0,   /* the host's, another VM's, or Plume's own */
    OBJN_V_SHOW,       /* a structural entry of the system, shown as it is */
    OBJN_V_OWN,        /* the VM's: shown without its first
                          objname_extra(tag_len) units ("Plume.<tag>.") */
};
int objname_visible(int cls, const uint16_t *name, size_t len, const uint16_t *type,
                    size_t type_len, const uint16_t *tag, size_t tag_len);

/* The rule table: names that an open (a client) may take from the host
 * while the VM runs no instance of its own. Servers always create the
 * VM's name; the VM's object, once it exists, always wins.
 *
 * The table is data: built-in defaults (objname_rules[]), overridden by
 * rules files (objname_rules_parse: the store's endpoints.conf, then a
 * VM's "endpoint = ..." lines in its vm.conf), merged into an
 * objname_ruleset that objname_rules_use makes the one objname_map obeys.
 * A few names are locked (objname_locked[]): the service control manager's
 * endpoints never fall back, whatever a file says, and neither does any
 * name starting with "Plume" (Plume's own and other VMs' names). */
#define OBJN_RULE_FALLBACK 0x1u  /* an open may reach the host's object */
#define OBJN_RULE_LOCKED 0x2u    /* objname_locked[]: cannot be changed */
#define OBJN_RULE_BAD 0x4u       /* made "private" by a bad line (the safe
                                    failure: no fallback for its name) */

typedef struct objname_rule {
    int cls;             /* OBJN_C_* */
    const char *name;    /* below the container; case-insensitive; a final
                            '*' matches any rest */
    unsigned flags;      /* OBJN_RULE_* */
    const char *why;
} objname_rule;

extern const objname_rule objname_rules[];
extern const size_t objname_rule_count;
/* The names no rule can make fall back (the SCM's pipes and ports). */
extern const objname_rule objname_locked[];
extern const size_t objname_locked_count;

/* Flags of the rule that decides the name s[0..len) of class cls in the
 * rules in force (objname_rules_use; the built-ins until then): 0 (no
 * fallback) or OBJN_RULE_FALLBACK. */
unsigned objname_rule_flags(int cls, const uint16_t *s, size_t len);

/* --- rules as data ------------------------------------------------------------ */
enum {
    OBJN_SRC_BUILTIN = 0,   /* objname_rules[] */
    OBJN_SRC_STORE,         /* %PLUME_ROOT%\endpoints.conf: every VM */
    OBJN_SRC_VM,            /* the VM's vm.conf: that VM only */
};
#define OBJN_RULES_MAX 64        /* rules in a set, built-ins included */
#define OBJN_RULE_NAME_MAX 127   /* bytes of a rule's name */
#define OBJN_RULES_LINE_MAX 255  /* bytes of a line */

typedef struct objname_rule_entry {
    int cls;                /* OBJN_C_BNO, _RPC, _PIPE, _MAILSLOT */
    unsigned flags;         /* OBJN_RULE_FALLBACK or 0 ("private");
                               OBJN_RULE_BAD for a bad line's name */
    int src;                /* OBJN_SRC_* */
    unsigned long line;     /* its line in its file; 0 for built-ins */
    const char *why;        /* built-ins: what the name is; else NULL */
    char name[OBJN_RULE_NAME_MAX + 1];
} objname_rule_entry;

typedef struct objname_ruleset {
    size_t count;
    int closed;             /* nothing falls back (a file could not be
                               read, or the set overflowed): fail closed */
    objname_rule_entry r[OBJN_RULES_MAX];
} objname_ruleset;

/* Fills s with the built-in rules. */
void objname_rules_init(objname_ruleset *s);

/* Called with each bad line of a file: its line number (1-based, every
 * line counted) and an English message (printable ASCII). */
typedef void (*objname_rules_err_fn)(void *ctx, unsigned long line, const char *msg);

/* Parses text[0..len) and merges its rules into s, as source src.
 *
 * src OBJN_SRC_STORE, a rules file: one rule a line,
 *     VERB CLASS NAME       e.g. "fallback pipe lrpc\epmapper"
 *   VERB "fallback" (an open may reach the host's object while the VM has
 *   none) or "private" (never: the VM's own only); CLASS "pipe", "port"
 *   (\RPC Control), "object" (BaseNamedObjects) or "mailslot"; NAME
 *   printable ASCII, case-insensitive, a final '*' matching any rest: for
 *   pipes and mailslots the whole name below the file system (may hold
 *   '\'), for objects and ports the first component. Blank lines and
 *   '#' comments (a line's first word, or after the rule) are ignored;
 *   lines end with LF or CRLF; a UTF-8 BOM is skipped.
 * src OBJN_SRC_VM, a vm.conf: the value of each "endpoint = RULE" line is
 *   a rule as above; every other line is vmconfig's (ignored here).
 *
 * A rule replaces an earlier one of the same class and name (any case);
 * when several patterns match a name, the last one merged wins. So the
 * order is: built-ins, the store's file, the VM's lines.
 *
 * A bad line is reported through err (may be NULL) and, as the safe
 * failure, makes its name (its third word, if any; in every class when
 * the class is not known) private: a bad line never opens anything, and
 * the other lines and the built-ins stay in force. Refused: unknown verbs or classes, bad names, extra words,
 * a "fallback" that could match a locked name (the SCM's) or a name
 * starting with "Plume", control bytes, lines longer than 255 bytes.
 * When the set is full (OBJN_RULES_MAX), or a bad line's name is too
 * long to keep (over OBJN_RULE_NAME_MAX), it is closed (no fallback at
 * all). No C runtime is used (the layer links this). Returns the number
 * of bad lines. */
size_t objname_rules_parse(objname_ruleset *s, int src, const char *text, size_t len,
                           objname_rules_err_fn err, void *ctx);

/* Nothing falls back any more (a rules file that exists but cannot be
 * read: its rules are unknown, so the safe failure is no fallback). */
void objname_rules_close(objname_ruleset *s);

/* Flags (0 or OBJN_RULE_FALLBACK) of name s[0..len) of class cls in set. */
unsigned objname_ruleset_flags(const objname_ruleset *set, int cls, const uint16_t *s,
                               size_t len);

/* Makes set the rules objname_map and objname_rule_flags obey (NULL: the
 * built-ins). The set must stay valid and unchanged while in use: the
 * layer sets it once, before its hooks are installed. */
void objname_rules_use(const objname_ruleset *set);

/* "pipe", "port", "object", "mailslot" for a class; "?" otherwise. */
const char *objname_class_name(int cls);

#endif
