/* VM names and addresses. Pure C: no Windows calls. */
#ifndef PLUME_CORE_VMNAME_H
#define PLUME_CORE_VMNAME_H

#include <stddef.h>
#include <stdint.h>

#define VM_NAME_MAX 32

/* NULL when `name` is a valid VM name (1-32 chars of [A-Za-z0-9_-]),
 * else a static English reason ("is empty", "is longer than 32 ...", ...). */
const char *vmname_check(const char *name);
/* Case-insensitive (ASCII) equality of two names. */
int vmname_equal(const char *a, const char *b);
/* Strict dotted-quad IPv4 ("127.0.0.2"): 0 and *addr (host byte order),
 * or -1 and *why (a static English reason). */
int ipv4_parse(const char *s, uint32_t *addr, const char **why);
/* Formats addr (host byte order) as dotted quad into buf[16]. */
void ipv4_format(uint32_t addr, char buf[16]);

#endif
