/* Namespace procview: see layer.h. (Being written.) */
#include "layer.h"

int procview_init(void)
{
    return 0;
}
