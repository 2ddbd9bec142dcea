/* plume start VM, plume svc VM ...: a VM's services. (Being written.) */
#include "cli.h"

int cmd_start(int argc, wchar_t **argv)
{
    (void)argc;
    (void)argv;
    return fail("start", "not implemented yet");
}

int cmd_svc(int argc, wchar_t **argv)
{
    (void)argc;
    (void)argv;
    return fail("svc", "not implemented yet");
}
