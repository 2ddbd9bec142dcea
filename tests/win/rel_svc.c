/* A test service for the reliability tests (tests/fault/scmkill.sh,
 * tests/fault/stophang.sh): rel_svc.exe LOGFILE MODE
 * Logs "pid N mode M" and what it sees to LOGFILE (one line each).
 *   normal    RUNNING; a stop reports STOPPED
 *   child     as normal, and starts "rel_svc.exe LOG sleeper" first: a
 *             child process that outlives the service's own (as a server
 *             started by its service wrapper)
 *   linger    as normal, but the process does not end when its dispatcher
 *             returns (it sleeps on)
 *   hangstop  the stop handler never returns
 *   nostop    the stop handler reports STOP_PENDING and returns; the
 *             service never reports STOPPED
 *   sleeper   no service: logs its pid and sleeps */
#include <windows.h>
#include <winsvc.h>
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <wchar.h>

static wchar_t g_log[MAX_PATH];
static const wchar_t *g_mode = L"normal";
static SERVICE_STATUS_HANDLE g_h;
static HANDLE g_stop;

static void logline(const char *fmt, ...)
{
    FILE *f = _wfopen(g_log, L"a");
    if (!f)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

static void report(DWORD state, DWORD accepted, DWORD cp, DWORD hint)
{
    SERVICE_STATUS st;
    memset(&st, 0, sizeof st);
    st.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    st.dwCurrentState = state;
    st.dwControlsAccepted = accepted;
    st.dwCheckPoint = cp;
    st.dwWaitHint = hint;
    SetServiceStatus(g_h, &st);
}

static DWORD WINAPI handler(DWORD control, DWORD type, void *data, void *ctx)
{
    (void)type; (void)data; (void)ctx;
    if (control == SERVICE_CONTROL_STOP || control == SERVICE_CONTROL_SHUTDOWN) {
        logline("control %lu", control);
        if (!wcscmp(g_mode, L"hangstop"))
            Sleep(INFINITE);
        report(SERVICE_STOP_PENDING, 0, 1, 3000);
        if (wcscmp(g_mode, L"nostop"))
            SetEvent(g_stop);
        return NO_ERROR;
    }
    return control == SERVICE_CONTROL_INTERROGATE ? NO_ERROR : ERROR_CALL_NOT_IMPLEMENTED;
}

static void WINAPI service_main(DWORD argc, wchar_t **argv)
{
    (void)argc;
    g_h = RegisterServiceCtrlHandlerExW(argv[0], handler, NULL);
    if (!g_h)
        return;
    g_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    report(SERVICE_START_PENDING, 0, 0, 2000);
    if (!wcscmp(g_mode, L"child")) {
        wchar_t exe[MAX_PATH], cmd[3 * MAX_PATH];
        GetModuleFileNameW(NULL, exe, MAX_PATH);
        _snwprintf(cmd, 3 * MAX_PATH, L"\"%ls\" \"%ls\" sleeper", exe, g_log);
        cmd[3 * MAX_PATH - 1] = 0;
        STARTUPINFOW si;
        memset(&si, 0, sizeof si);
        si.cb = sizeof si;
        PROCESS_INFORMATION pi;
        if (CreateProcessW(NULL, cmd, NULL, NULL, FALSE, DETACHED_PROCESS, NULL, NULL, &si, &pi)) {
            CloseHandle(pi.hThread);
            CloseHandle(pi.hProcess);
        } else {
            logline("child: CreateProcess failed: %lu", GetLastError());
        }
    }
    report(SERVICE_RUNNING, SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN, 0, 0);
    logline("running");
    WaitForSingleObject(g_stop, INFINITE);
    report(SERVICE_STOPPED, 0, 0, 0);
}

int wmain(int argc, wchar_t **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: rel_svc LOGFILE MODE\n");
        return 2;
    }
    wcsncpy(g_log, argv[1], MAX_PATH - 1);
    g_mode = argv[2];
    logline("pid %lu mode %ls", GetCurrentProcessId(), g_mode);
    if (!wcscmp(g_mode, L"sleeper")) {
        Sleep(INFINITE);
        return 0;
    }
    SERVICE_TABLE_ENTRYW table[] = { { (wchar_t *)L"rel_svc", service_main }, { NULL, NULL } };
    if (!StartServiceCtrlDispatcherW(table)) {
        fprintf(stderr, "StartServiceCtrlDispatcherW failed: %lu\n", GetLastError());
        return 1;
    }
    logline("dispatcher returned");
    if (!wcscmp(g_mode, L"linger"))
        Sleep(INFINITE);
    return 0;
}
