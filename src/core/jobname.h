/* Object names Plume uses for a VM. Pure C; UTF-16 as uint16_t. */
#ifndef PLUME_CORE_JOBNAME_H
#define PLUME_CORE_JOBNAME_H

#include <stddef.h>
#include <stdint.h>

/* "Global\PlumeVM.<vm, lower-cased>": the VM's job object. Returns the
 * length written (terminated), or 0 when it does not fit. */
size_t plume_job_name(const uint16_t *vm, uint16_t *buf, size_t cap);

#endif
