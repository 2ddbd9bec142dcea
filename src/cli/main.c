/* plume.exe: light, OS-level virtual machines for Windows. */
#include "cli.h"
#include "svcctl.h"

#include <stdio.h>
#include <wchar.h>
#include <fcntl.h>
#include <io.h>

static const struct {
    const wchar_t *name;
    int (*fn)(int, wchar_t **);
    const char *summary;
} commands[] = {
    { L"create", cmd_create, "create a VM" },
    { L"list",   cmd_list,   "list the VMs" },
    { L"delete", cmd_delete, "delete a VM and all its state" },
    { L"run",    cmd_run,    "run a program inside a VM" },
    { L"ps",     cmd_ps,     "list a VM's processes" },
    { L"start",  cmd_start,  "start a VM: its service manager and auto-start services" },
    { L"stop",   cmd_stop,   "end all of a VM's processes" },
    { L"svc",    cmd_svc,    "manage a VM's services from the host" },
    { L"install", cmd_install, "register a host service that starts a VM at boot" },
    { L"uninstall", cmd_uninstall, "remove a VM's host service" },
    { L"service-host", cmd_service_host, NULL },   /* the host service's process */
    { L"diff",   cmd_diff,   "show a VM's changes against the host" },
    { L"commit", cmd_commit, "apply a VM's changes to the host" },
    { L"discard", cmd_discard, "drop all of a VM's changes" },
    { L"endpoints", cmd_endpoints, "show the rules for reaching the host's system endpoints" },
};

static void help(void)
{
    out("Usage: plume COMMAND [ARGS...]\n"
        "Light, OS-level virtual machines for Windows.\n\n"
        "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char name[32];
        if (commands[i].summary)   /* internal commands have none */
            out("  %-9s %s\n", to_utf8(commands[i].name, name, sizeof name),
                commands[i].summary);
    }
    out("\n'plume COMMAND --help' tells more about one command.\n"
        "State lives under %%PLUME_ROOT%% (default %%ProgramData%%\\Plume).\n");
}

int wmain(int argc, wchar_t **argv)
{
    /* Keep "\n" as is on pipes: scripts read this output. */
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);

    if (argc < 2 || !wcscmp(argv[1], L"help") || !wcscmp(argv[1], L"--help") ||
        !wcscmp(argv[1], L"-h") || !wcscmp(argv[1], L"/?")) {
        if (argc >= 3 && !wcscmp(argv[1], L"help")) {
            wchar_t *hargv[] = { argv[2], L"--help", NULL };
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (!_wcsicmp(argv[2], commands[i].name))
                    return commands[i].fn(2, hargv);
        }
        help();
        return argc < 2 ? PLUME_EXIT_USAGE : PLUME_EXIT_OK;
    }
    if (!wcscmp(argv[1], L"--version")) {
        out("plume %s\n", "0.1.0");
        return PLUME_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!_wcsicmp(argv[1], commands[i].name)) {
            int rc = commands[i].fn(argc - 1, argv + 1);
            fflush(stdout);
            return rc;
        }
    char name[128];
    fprintf(stderr, "plume: unknown command '%s'\nTry 'plume --help'.\n",
            to_utf8(argv[1], name, sizeof name));
    return PLUME_EXIT_USAGE;
}
