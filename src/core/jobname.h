/* Object names Plume uses for a VM. Pure C; UTF-16 as uint16_t. */
#ifndef PLUME_CORE_JOBNAME_H
#define PLUME_CORE_JOBNAME_H

#include <stddef.h>
#include <stdint.h>

/* "Global\PlumeVM.<hash of the store root>.<vm>", lower-cased: the job
 * object of VM `vm` of the store at `root` (two stores on one machine, as
 * in the tests, never share a job). Returns the length written
 * (terminated), or 0 when it does not fit. */
size_t plume_job_name(const uint16_t *root, const uint16_t *vm, uint16_t *buf, size_t cap);

/* "<hash of the store root>.<vm>", lower-cased: the tag that makes a VM's
 * names unique on the machine (its object, pipe and port names carry it).
 * Returns the length written (terminated), or 0 when it does not fit. */
size_t plume_vm_tag(const uint16_t *root, const uint16_t *vm, uint16_t *buf, size_t cap);

#endif
