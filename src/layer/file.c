/* Files: copy-on-write. (Being written.) */
#include "layer.h"
#include "dispatch.h"

int file_init(void)
{
    return 0;
}

int file_create_file(nt_create_args *a, NTSTATUS *st)
{
    (void)a;
    (void)st;
    return 0;
}

int file_query_name(HANDLE h, PVOID buf, ULONG len, PULONG ret, NTSTATUS *st)
{
    (void)h; (void)buf; (void)len; (void)ret; (void)st;
    return 0;
}
