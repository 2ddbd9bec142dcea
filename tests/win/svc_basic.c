/* A test service (own process): svc_basic.exe LOGFILE [MODE]
 * Writes what it sees, one line each, to LOGFILE.
 *   normal     START_PENDING, then RUNNING; accepts stop, pause/continue;
 *              custom controls 128-255 are logged ("custom N")
 *   crash      as normal, but custom control 200 ends the process at once
 *              with exit code 42 (a crash as the manager sees it)
 *   never      stays START_PENDING (wait hint 1000 ms, checkpoint 1): a
 *              start that never completes
 *   noconnect  never calls StartServiceCtrlDispatcher (sleeps)
 *   slow       START_PENDING with 3 checkpoints 400 ms apart (wait hint
 *              1000 ms each), then RUNNING
 *   exit7      RUNNING; on stop reports STOPPED with service-specific
 *              exit code 7 (win32 exit ERROR_SERVICE_SPECIFIC_ERROR)
 *   params     as normal, and also accepts PARAMCHANGE and SHUTDOWN
 *              (logged "control paramchange", "control shutdown NAME";
 *              SHUTDOWN stops it)
 *   shutdown   accepts SHUTDOWN only (logged "control shutdown NAME", then
 *              STOPPED)
 * A stop is logged "control stop NAME" (NAME: the service's name), so
 * services that share a log file show the order of their stops.
 * Outside a service manager StartServiceCtrlDispatcher fails: the program
 * then prints the error and exits 1. */
#include <windows.h>
#include <winsvc.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <stdarg.h>

static wchar_t g_log[MAX_PATH];
static const wchar_t *g_mode = L"normal";
static SERVICE_STATUS_HANDLE g_h;
static SERVICE_STATUS g_st;
static HANDLE g_stop;
static DWORD g_accepts = SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_PAUSE_CONTINUE;
static char g_name[260] = "?";

/* One line, appended with a single write to a handle opened for
 * FILE_APPEND_DATA only: services of several processes may share a log
 * (the stop-order test), and such appends do not overwrite each other. */
static void logline(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    HANDLE f = CreateFileW(g_log, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (f == INVALID_HANDLE_VALUE)
        return;
    DWORD done;
    WriteFile(f, line, (DWORD)n, &done, NULL);
    CloseHandle(f);
}

static void report(DWORD state, DWORD accepted, DWORD cp, DWORD hint)
{
    g_st.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    g_st.dwCurrentState = state;
    g_st.dwControlsAccepted = accepted;
    g_st.dwCheckPoint = cp;
    g_st.dwWaitHint = hint;
    if (!SetServiceStatus(g_h, &g_st))
        logline("SetServiceStatus(%lu) failed: %lu", state, GetLastError());
}

#define ACCEPTS g_accepts

static DWORD WINAPI handler(DWORD control, DWORD type, void *data, void *ctx)
{
    (void)type; (void)data; (void)ctx;
    switch (control) {
    case SERVICE_CONTROL_STOP:
        logline("control stop %s", g_name);
        report(SERVICE_STOP_PENDING, 0, 1, 3000);
        SetEvent(g_stop);
        return NO_ERROR;
    case SERVICE_CONTROL_SHUTDOWN:
        if (!(g_accepts & SERVICE_ACCEPT_SHUTDOWN))
            return ERROR_CALL_NOT_IMPLEMENTED;
        logline("control shutdown %s", g_name);
        report(SERVICE_STOP_PENDING, 0, 1, 3000);
        SetEvent(g_stop);
        return NO_ERROR;
    case SERVICE_CONTROL_PARAMCHANGE:
        if (!(g_accepts & SERVICE_ACCEPT_PARAMCHANGE))
            return ERROR_CALL_NOT_IMPLEMENTED;
        logline("control paramchange");
        return NO_ERROR;
    case SERVICE_CONTROL_PAUSE:
        logline("control pause");
        report(SERVICE_PAUSED, ACCEPTS, 0, 0);
        return NO_ERROR;
    case SERVICE_CONTROL_CONTINUE:
        logline("control continue");
        report(SERVICE_RUNNING, ACCEPTS, 0, 0);
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        logline("control interrogate");
        return NO_ERROR;
    default:
        if (control >= 128 && control <= 255) {
            logline("custom %lu", control);
            if (control == 200 && !wcscmp(g_mode, L"crash"))
                TerminateProcess(GetCurrentProcess(), 42);
            return NO_ERROR;
        }
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

static void WINAPI service_main(DWORD argc, wchar_t **argv)
{
    char line[512] = "";
    for (DWORD i = 0; i < argc; i++) {
        char a[128];
        WideCharToMultiByte(CP_UTF8, 0, argv[i], -1, a, sizeof a, NULL, NULL);
        strncat(line, " ", sizeof line - strlen(line) - 1);
        strncat(line, a, sizeof line - strlen(line) - 1);
    }
    logline("main argc=%lu args=%s", argc, line);
    if (argc > 0)
        WideCharToMultiByte(CP_UTF8, 0, argv[0], -1, g_name, sizeof g_name, NULL, NULL);
    g_h = RegisterServiceCtrlHandlerExW(argv[0], handler, NULL);
    if (!g_h) {
        logline("RegisterServiceCtrlHandlerExW failed: %lu", GetLastError());
        return;
    }
    g_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    report(SERVICE_START_PENDING, 0, 0, 2000);
    if (!wcscmp(g_mode, L"never")) {
        report(SERVICE_START_PENDING, 0, 1, 1000);
        logline("never running");
        WaitForSingleObject(g_stop, INFINITE);
        return;
    }
    if (!wcscmp(g_mode, L"slow"))
        for (DWORD cp = 1; cp <= 3; cp++) {
            report(SERVICE_START_PENDING, 0, cp, 1000);
            Sleep(400);
        }
    report(SERVICE_RUNNING, ACCEPTS, 0, 0);
    logline("running");
    WaitForSingleObject(g_stop, INFINITE);
    if (!wcscmp(g_mode, L"exit7")) {
        g_st.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
        g_st.dwServiceSpecificExitCode = 7;
    }
    report(SERVICE_STOPPED, 0, 0, 0);
    logline("stopped");
}

int wmain(int argc, wchar_t **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: svc_basic LOGFILE [MODE]\n");
        return 2;
    }
    wcsncpy(g_log, argv[1], MAX_PATH - 1);
    if (argc > 2)
        g_mode = argv[2];
    if (!wcscmp(g_mode, L"params"))
        g_accepts |= SERVICE_ACCEPT_PARAMCHANGE | SERVICE_ACCEPT_SHUTDOWN;
    else if (!wcscmp(g_mode, L"shutdown"))
        g_accepts = SERVICE_ACCEPT_SHUTDOWN;
    logline("process %lu mode %ls", GetCurrentProcessId(), g_mode);
    if (!wcscmp(g_mode, L"noconnect")) {
        Sleep(INFINITE);
        return 0;
    }
    SERVICE_TABLE_ENTRYW table[] = { { (wchar_t *)L"svc_basic", service_main }, { NULL, NULL } };
    if (!StartServiceCtrlDispatcherW(table)) {
        DWORD e = GetLastError();
        logline("StartServiceCtrlDispatcherW failed: %lu", e);
        fprintf(stderr, "StartServiceCtrlDispatcherW failed: %lu\n", e);
        return 1;
    }
    logline("dispatcher returned");
    return 0;
}
