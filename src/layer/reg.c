/* Registry: copy-on-write. (Being written.) */
#include "layer.h"
#include "dispatch.h"

int reg_init(void)
{
    return 0;
}

int reg_query_name(HANDLE h, PVOID buf, ULONG len, PULONG ret, NTSTATUS *st)
{
    (void)h; (void)buf; (void)len; (void)ret; (void)st;
    return 0;
}
