/* plume ps VM, plume stop VM: a VM's processes. */
#include "cli.h"
#include "store.h"
#include "vmarg.h"
#include "vmjob.h"
#include "svcctl.h"

#include <psapi.h>
#include <winternl.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#define MAX_PIDS 1024
#define STOP_TIMEOUT_MS 30000

static const char ps_help[] =
    "Usage: plume ps VM [--json]\n"
    "Lists the processes running inside VM: process id, parent's process id,\n"
    "whether the Plume layer is loaded in it, and its image.\n"
    "A VM that is not running has none. --json prints a JSON array of\n"
    "{\"pid\", \"ppid\", \"layer\", \"image\"} objects.\n\n"
    "Exit code: 0; 1 when there is no such VM or it cannot be inspected.\n";

static const char stop_help[] =
    "Usage: plume stop VM\n"
    "Stops VM: first its services, in reverse dependency order (at most\n"
    "20 s), then ends every process left, and returns when they are all\n"
    "gone (at most 30 s more). Stopping a VM that is not running does\n"
    "nothing.\n\n"
    "Exit code: 0; 1 when there is no such VM or a process would not end.\n";

/* Parses "VM [--json]"; returns 0 or an exit code. */
static int parse_vm(const char *cmd, int argc, wchar_t **argv, int allow_json, vm_info *vm,
                    int *json)
{
    const wchar_t *name = NULL;
    *json = 0;
    for (int i = 1; i < argc; i++) {
        char a[128];
        if (allow_json && !wcscmp(argv[i], L"--json"))
            *json = 1;
        else if (argv[i][0] == L'-' && argv[i][1])
            return usage_error(cmd, "unknown option '%s'", to_utf8(argv[i], a, sizeof a));
        else if (name)
            return usage_error(cmd, "unexpected argument '%s'", to_utf8(argv[i], a, sizeof a));
        else
            name = argv[i];
    }
    if (!name)
        return usage_error(cmd, "no VM given");
    char n[128];
    to_utf8(name, n, sizeof n);
    return cli_find_vm(cmd, n, vm) ? PLUME_EXIT_FAIL : 0;
}

typedef struct proc_row {
    DWORD pid, ppid;
    int layer;          /* 1 yes, 0 no, -1 unknown */
    char image[1024];
} proc_row;

static int has_layer(HANDLE p)
{
    HMODULE mods[512];
    DWORD need = 0;
    if (!EnumProcessModulesEx(p, mods, sizeof mods, &need, LIST_MODULES_ALL))
        return -1;
    DWORD n = need / sizeof mods[0];
    if (n > 512)
        n = 512;
    for (DWORD i = 0; i < n; i++) {
        wchar_t base[MAX_PATH];
        if (GetModuleBaseNameW(p, mods[i], base, MAX_PATH) && !_wcsicmp(base, L"plume_layer.dll"))
            return 1;
    }
    return 0;
}

static void inspect(DWORD pid, proc_row *r)
{
    memset(r, 0, sizeof *r);
    r->pid = pid;
    r->layer = -1;
    strcpy(r->image, "?");
    HANDLE p = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, FALSE, pid);
    if (!p)
        p = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (!p)
        return;
    wchar_t img[1024];
    DWORD n = 1024;
    if (QueryFullProcessImageNameW(p, 0, img, &n))
        to_utf8(img, r->image, sizeof r->image);
    PROCESS_BASIC_INFORMATION pbi;
    ULONG rl;
    if (NtQueryInformationProcess(p, ProcessBasicInformation, &pbi, sizeof pbi, &rl) >= 0)
        r->ppid = (DWORD)pbi.InheritedFromUniqueProcessId;
    r->layer = has_layer(p);
    CloseHandle(p);
}

int cmd_ps(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        out("%s", ps_help);
        return PLUME_EXIT_OK;
    }
    vm_info vm;
    int json, rc = parse_vm("ps", argc, argv, 1, &vm, &json);
    if (rc)
        return rc;
    static DWORD pids[MAX_PIDS];
    DWORD count = 0;
    HANDLE job = vmjob_open(vm.name, JOB_OBJECT_QUERY, 0);
    if (job) {
        DWORD e = vmjob_pids(job, pids, MAX_PIDS, &count);
        CloseHandle(job);
        if (e)
            return fail_win("ps", e, "cannot list the processes of VM '%s'", vm.name);
        if (count > MAX_PIDS)
            count = MAX_PIDS;
    }
    if (!json)
        out("%-8s %-8s %-5s %s\n", "PID", "PPID", "LAYER", "IMAGE");
    else
        out("[");
    for (DWORD i = 0; i < count; i++) {
        static proc_row r;
        inspect(pids[i], &r);
        const char *layer = r.layer > 0 ? "yes" : r.layer == 0 ? "no" : "?";
        if (!json) {
            out("%-8lu %-8lu %-5s %s\n", (unsigned long)r.pid, (unsigned long)r.ppid, layer,
                r.image);
        } else {
            out("%s\n  {\"pid\": %lu, \"ppid\": %lu, \"layer\": %s, \"image\": ", i ? "," : "",
                (unsigned long)r.pid, (unsigned long)r.ppid,
                r.layer > 0 ? "true" : r.layer == 0 ? "false" : "null");
            out_json_str(r.image);
            out("}");
        }
    }
    if (json)
        out("%s]\n", count ? "\n" : "");
    return PLUME_EXIT_OK;
}

int cmd_stop(int argc, wchar_t **argv)
{
    if (wants_help(argc, argv)) {
        out("%s", stop_help);
        return PLUME_EXIT_OK;
    }
    vm_info vm;
    int json, rc = parse_vm("stop", argc, argv, 0, &vm, &json);
    if (rc)
        return rc;
    /* Services first: stopped in reverse dependency order, within a bound. */
    DWORD services = svc_shutdown_vm(vm.name, 20000);
    DWORD before = 0;
    DWORD e = vmjob_stop(vm.name, STOP_TIMEOUT_MS, &before);
    if (e == ERROR_TIMEOUT)
        return fail("stop", "%lu processes of VM '%s' did not end within %d s",
                    (unsigned long)vmjob_count(vm.name), vm.name, STOP_TIMEOUT_MS / 1000);
    if (e)
        return fail_win("stop", e, "cannot end the processes of VM '%s'", vm.name);
    if (before == 0 && services == 0) {
        out("VM '%s' is not running.\n", vm.name);
        return PLUME_EXIT_OK;
    }
    if (services)
        out("Stopped %lu service%s of VM '%s'.\n", (unsigned long)services,
            services == 1 ? "" : "s", vm.name);
    out("Stopped VM '%s' (%lu processes ended).\n", vm.name, (unsigned long)before);
    return PLUME_EXIT_OK;
}
