/* Namespace obj: see layer.h. (Being written.) */
#include "layer.h"

int obj_init(void)
{
    return 0;
}
