/* Services: the SCM client and service-side API goes to the VM's own
 * service manager. (Being written.) */
#include "layer.h"

int svc_init(void)
{
    return 0;
}
