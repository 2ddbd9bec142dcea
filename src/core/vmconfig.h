/* A VM's config file (vm.conf): UTF-8 text, one "key = value" a line,
 * '#' comments. Pure C: no Windows calls.
 *
 *   # Plume VM config
 *   version = 1
 *   name = web1
 *   ip = 127.0.0.2          (absent: the VM shares the host's network)
 *   created = 1764094657    (Unix seconds)
 */
#ifndef PLUME_CORE_VMCONFIG_H
#define PLUME_CORE_VMCONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "vmname.h"

#define VMCONFIG_VERSION 1

typedef struct vm_config {
    char name[VM_NAME_MAX + 1];
    int has_ip;
    uint32_t ip;            /* host byte order, when has_ip */
    int64_t created;        /* Unix seconds */
} vm_config;

/* Parses text[0..len). 0 on success; -1 with a message in err (e.g.
 * "line 3: unknown key 'colour'") for anything malformed: unknown or
 * repeated keys, a missing name or version, a bad name or address, an
 * unsupported version, a NUL byte, a truncated line. */
int vmconfig_parse(const char *text, size_t len, vm_config *out,
                   char *err, size_t errcap);
/* Writes the config as text into buf. Returns its length, or 0 when cap
 * is too small. Parsing the output gives back the same config. */
size_t vmconfig_format(const vm_config *cfg, char *buf, size_t cap);

#endif
