/* Processes: isolation. (Being written.) */
#include "layer.h"
#include "dispatch.h"

int procview_init(void)
{
    return 0;
}

int procview_duplicate(HANDLE sp, HANDLE sh, HANDLE tp, NTSTATUS *st)
{
    (void)sp; (void)sh; (void)tp; (void)st;
    return 0;
}
