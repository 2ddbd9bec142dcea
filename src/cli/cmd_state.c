/* plume diff / commit / discard: a VM's changes. (Being written.) */
#include "cli.h"

int cmd_diff(int argc, wchar_t **argv)
{
    (void)argc;
    (void)argv;
    return fail("diff", "not implemented yet");
}

int cmd_commit(int argc, wchar_t **argv)
{
    (void)argc;
    (void)argv;
    return fail("commit", "not implemented yet");
}

int cmd_discard(int argc, wchar_t **argv)
{
    (void)argc;
    (void)argv;
    return fail("discard", "not implemented yet");
}
