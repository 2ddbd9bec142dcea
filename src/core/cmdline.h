/* Building a Windows command line from an argument vector, so that
 * CommandLineToArgvW and the C runtimes split it back into the same
 * arguments. Pure C; UTF-16 as uint16_t. */
#ifndef PLUME_CORE_CMDLINE_H
#define PLUME_CORE_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

/* Appends arg to buf[0..*len) (with a separating space when *len > 0),
 * quoted when needed, and terminates it. Returns 0, or -1 when it does not
 * fit in cap units (buf is then left as it was). */
int cmdline_append(uint16_t *buf, size_t cap, size_t *len, const uint16_t *arg);

#endif
