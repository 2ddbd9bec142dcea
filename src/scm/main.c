/* plume-scm.exe --pipe \\.\pipe\PlumeSCM.<tag> [--log FILE]  (default
 * %SystemRoot%\plume-scm.log)
 * A VM's service manager (see scm.h). Started inside the VM by the layer
 * (the first SCM call of a VM process) or by plume.exe (plume start, plume
 * svc); exits at once, with 0, when the VM's manager already runs. */
#include "scm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

CRITICAL_SECTION g_lock;
CONDITION_VARIABLE g_changed;
DWORD g_pipe_timeout = 30000;
int g_booted;
const wchar_t *g_pipe_name = L"";
static FILE *g_log;

char *scm_narrow(const wchar_t *w, char *buf, size_t cap)
{
    if (!w)
        w = L"(null)";
    if (!WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, (int)cap, NULL, NULL))
        buf[0] = 0;
    buf[cap - 1] = 0;
    return buf;
}

void scm_log(const char *fmt, ...)
{
    if (!g_log)
        return;
    SYSTEMTIME t;
    GetLocalTime(&t);
    EnterCriticalSection(&g_lock);
    fprintf(g_log, "%02u:%02u:%02u.%03u ", t.wHour, t.wMinute, t.wSecond, t.wMilliseconds);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(g_log, fmt, ap);
    va_end(ap);
    fputc('\n', g_log);
    fflush(g_log);
    LeaveCriticalSection(&g_lock);
}

wchar_t *scm_wcsdup(const wchar_t *s)
{
    return s ? _wcsdup(s) : NULL;
}

wchar_t *scm_mszdup(const wchar_t *s)
{
    if (!s)
        return NULL;
    size_t n = scm_msz_len((const uint16_t *)s);
    wchar_t *d = malloc(n * sizeof *d);
    if (d)
        memcpy(d, s, n * sizeof *d);
    return d;
}

/* --- SC handles ------------------------------------------------------------
 * Ids are global to the manager (any connection may use any id: a process
 * keeps a small pool of connections). */
typedef struct handle_slot {
    int used, is_scm;
    svc *s;
    DWORD access;
} handle_slot;
static handle_slot *g_handles;
static uint32_t g_nhandles;

uint32_t handle_new(svc *s, DWORD access)
{
    for (uint32_t i = 0; i < g_nhandles; i++)
        if (!g_handles[i].used) {
            g_handles[i] = (handle_slot){ 1, s == NULL, s, access };
            if (s)
                s->handles++;
            return i + 1;
        }
    uint32_t n = g_nhandles ? g_nhandles * 2 : 64;
    handle_slot *h = realloc(g_handles, n * sizeof *h);
    if (!h)
        return 0;
    memset(h + g_nhandles, 0, (n - g_nhandles) * sizeof *h);
    g_handles = h;
    g_nhandles = n;
    return handle_new(s, access);
}

int handle_get(uint32_t id, svc **s, DWORD *access, int *is_scm)
{
    if (id == 0 || id > g_nhandles || !g_handles[id - 1].used)
        return -1;
    *s = g_handles[id - 1].s;
    *access = g_handles[id - 1].access;
    *is_scm = g_handles[id - 1].is_scm;
    return 0;
}

void handle_close(uint32_t id)
{
    if (id == 0 || id > g_nhandles || !g_handles[id - 1].used)
        return;
    svc *s = g_handles[id - 1].s;
    g_handles[id - 1].used = 0;
    if (s) {
        s->handles--;
        db_reap(s);
    }
}

static DWORD read_pipe_timeout(void)
{
    HKEY k;
    DWORD v = 0, size = sizeof v, type = 0;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Control", 0,
                      KEY_QUERY_VALUE, &k) == 0) {
        if (RegQueryValueExW(k, L"ServicesPipeTimeout", NULL, &type, (BYTE *)&v, &size) != 0 ||
            type != REG_DWORD)
            v = 0;
        RegCloseKey(k);
    }
    return v ? v : 30000;
}

int wmain(int argc, wchar_t **argv)
{
    const wchar_t *pipe = NULL, *log = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!wcscmp(argv[i], L"--pipe"))
            pipe = argv[i + 1];
        else if (!wcscmp(argv[i], L"--log"))
            log = argv[i + 1];
    }
    if (!pipe || wcsncmp(pipe, L"\\\\.\\pipe\\PlumeSCM.", 18)) {
        fprintf(stderr, "usage: plume-scm --pipe \\\\.\\pipe\\PlumeSCM.<tag> [--log FILE]\n");
        return 2;
    }
    InitializeCriticalSection(&g_lock);
    InitializeConditionVariable(&g_changed);
    /* The log is in the VM's own view of the Windows folder (the store is
     * invisible from inside a VM): <vm>\files\... on the host. */
    wchar_t deflog[MAX_PATH + 32];
    if (!log) {
        UINT k = GetWindowsDirectoryW(deflog, MAX_PATH);
        if (k && k < MAX_PATH) {
            wcscpy(deflog + k, L"\\plume-scm.log");
            log = deflog;
        }
    }
    if (log)
        g_log = _wfopen(log, L"a");
    /* One manager per VM: the mutex is named after the pipe. Inside a VM
     * the objects namespace makes the name the VM's own. */
    wchar_t mname[160];
    _snwprintf(mname, 160, L"Local\\%ls", pipe + 9);
    mname[159] = 0;
    HANDLE mutex = CreateMutexW(NULL, FALSE, mname);
    if (!mutex || GetLastError() == ERROR_ALREADY_EXISTS)
        return 0;
    g_pipe_name = pipe;
    /* A previous manager of this VM that was killed left its service
     * processes running: end them before anyone is served. */
    svc_reap_orphans();
    g_pipe_timeout = read_pipe_timeout();
    /* A control handler has as long as a start's connection (as Windows:
     * ServicesPipeTimeout, 30 s by default). */
    g_ctl_timeout = g_pipe_timeout;
    db_load();
    char n[200];
    scm_log("manager %lu started on %s, %lu services, pipe timeout %lu ms",
            (unsigned long)GetCurrentProcessId(), scm_narrow(pipe, n, sizeof n), (unsigned long)g_nsvcs,
            (unsigned long)g_pipe_timeout);
    return server_run(pipe);
}
