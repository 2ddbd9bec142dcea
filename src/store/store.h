/* The VM store: %PLUME_ROOT% (default %ProgramData%\Plume).
 *
 *   <root>\vms\<name>\vm.conf     the VM's config (src/core/vmconfig.h)
 *   <root>\vms\<name>\...         all of the VM's private state
 *
 * Names are compared case-insensitively; the folder keeps the case given
 * at create. Every call returns a Win32 error code. */
#ifndef PLUME_STORE_H
#define PLUME_STORE_H

#include <windows.h>
#include "vmconfig.h"

#define STORE_PATH_MAX 1024

typedef struct vm_info {
    char name[VM_NAME_MAX + 1];   /* as created */
    wchar_t dir[STORE_PATH_MAX];  /* full path of the VM's folder */
    vm_config cfg;
} vm_info;

/* One folder of <root>\vms, as store_list sees it. */
typedef struct vm_entry {
    vm_info info;       /* info.name: the folder's name when it is a valid VM
                           name; info.cfg: only when status == 0 */
    char folder[784];   /* the folder's name, UTF-8 (for display) */
    DWORD status;       /* 0: fine; else broken: ERROR_FILE_CORRUPT (vm.conf
                           missing or malformed, bad folder name) or the
                           system error that kept vm.conf from being read */
    char why[256];      /* status != 0: what is wrong, in English */
} vm_entry;

/* The store root: %PLUME_ROOT% when set, else %ProgramData%\Plume. */
DWORD store_root(wchar_t *buf, size_t cap);
/* Finds VM `name`. ERROR_INVALID_NAME for a bad name, ERROR_NOT_FOUND when
 * there is no such VM, ERROR_FILE_CORRUPT when its config is unreadable. */
DWORD store_find(const char *name, vm_info *out);
/* The same; why (may be NULL) gets what is wrong, in English, when the
 * name is invalid (ERROR_INVALID_NAME) or the VM is broken (its status,
 * e.g. ERROR_FILE_CORRUPT: "vm.conf: missing 'name'"); else "". */
DWORD store_find_why(const char *name, vm_info *out, char *why, size_t whycap);

/* Removes what is at buf[0..len) (a \\?\ path in a buffer of 32768
 * wchar_t it may use): a file, or a folder and everything in it; links and
 * junctions are removed themselves, never followed; read-only attributes
 * are cleared. Goes on past failures; 0 when all of it is gone or nothing
 * was there. */
DWORD store_remove_tree_at(wchar_t *buf, size_t len);

/* NULL when addr (host byte order) can be a VM's address, else a static
 * English reason: 0.0.0.0/8, 127.0.0.1 (the host's own), multicast,
 * 240.0.0.0/4 and 255.255.255.255, and x.x.x.0 / x.x.x.255 are refused. */
const char *store_ip_check(uint32_t addr);

/* Creates VM `name`, with address *ip (host byte order) unless ip is NULL.
 * All or nothing: vm.conf is written in <root>\vms\.tmp-<name>-<pid> and the
 * folder renamed into place; on failure nothing is left behind. `why` (may
 * be NULL) gets the English reason of the errors a user can fix:
 *   ERROR_INVALID_NAME                bad name
 *   ERROR_INVALID_ADDRESS             *ip cannot be a VM's address
 *   ERROR_ALREADY_EXISTS              a VM of that name exists, in any case
 *                                     (out->name: its name)
 *   ERROR_ADDRESS_ALREADY_ASSOCIATED  another VM has *ip (out->name: it)
 * other codes: system errors. On success *out describes the new VM. */
DWORD store_create(const char *name, const uint32_t *ip, vm_info *out,
                   char *why, size_t whycap);

/* Lists the folders of <root>\vms (but those starting with '.'), sorted by
 * name case-insensitively, broken ones included. *list (NULL when *count
 * is 0) is freed with store_list_free. Also removes, best effort, what
 * interrupted creates and deletes left behind. */
DWORD store_list(vm_entry **list, size_t *count);
void store_list_free(vm_entry *list);

/* Deletes VM `name` and all its state; broken VMs too. Refused while the
 * VM has processes (vmjob_count). The folder is first renamed to
 * <root>\vms\.del-<name>-<pid> (atomic), then its tree is removed.
 *   ERROR_INVALID_NAME (why: the reason), ERROR_NOT_FOUND
 *   ERROR_BUSY      the VM is running; *procs gets its process count
 *   other           the folder could not be renamed (a file in it is
 *                   open, ...): nothing was changed (why: says so)
 * On success out->name is the VM's name; *leftover is 1 when the renamed
 * folder (why: its path) could not be removed completely yet: the next
 * store_delete or store_list tries again. procs, leftover may be NULL. */
DWORD store_delete(const char *name, vm_info *out, DWORD *procs, int *leftover,
                   char *why, size_t whycap);

#endif
