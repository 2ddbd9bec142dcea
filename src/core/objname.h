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
 * VM's name; the VM's object, once it exists, always wins. */
#define OBJN_RULE_FALLBACK 0x1u

typedef struct objname_rule {
    int cls;             /* OBJN_C_* */
    const char *name;    /* below the container; case-insensitive; a final
                            '*' matches any rest */
    unsigned flags;      /* OBJN_RULE_* */
    const char *why;
} objname_rule;

extern const objname_rule objname_rules[];
extern const size_t objname_rule_count;

/* Flags of the first rule of class cls matching s[0..len) (0 when none). */
unsigned objname_rule_flags(int cls, const uint16_t *s, size_t len);

#endif
