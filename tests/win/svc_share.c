/* A test program with two share-process services in its dispatch table:
 * svc_share.exe LOGFILE. share_a and share_b each log "main NAME pid N"
 * and "stop NAME" to LOGFILE; both accept stop; custom control 200 ends
 * the whole process with exit code 42 (a crash of both). The dispatcher's
 * return is logged ("dispatcher returned pid N"). */
#include <windows.h>
#include <winsvc.h>
#include <stdio.h>
#include <stdarg.h>

static wchar_t g_log[MAX_PATH];
static CRITICAL_SECTION g_cs;

static void logline(const char *fmt, ...)
{
    EnterCriticalSection(&g_cs);
    FILE *f = _wfopen(g_log, L"a");
    if (f) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        fputc('\n', f);
        fclose(f);
    }
    LeaveCriticalSection(&g_cs);
}

typedef struct one {
    const wchar_t *name;
    SERVICE_STATUS_HANDLE h;
    HANDLE stop;
} one;
static one g_one[2] = { { L"share_a", NULL, NULL }, { L"share_b", NULL, NULL } };

static void report(one *o, DWORD state)
{
    SERVICE_STATUS st = { SERVICE_WIN32_SHARE_PROCESS, state,
                          state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP : 0, 0, 0, 0, 0 };
    if (!SetServiceStatus(o->h, &st))
        logline("SetServiceStatus %ls failed: %lu", o->name, GetLastError());
}

static DWORD WINAPI handler(DWORD control, DWORD type, void *data, void *ctx)
{
    (void)type; (void)data;
    one *o = ctx;
    if (control == SERVICE_CONTROL_STOP) {
        logline("stop %ls", o->name);
        report(o, SERVICE_STOP_PENDING);
        SetEvent(o->stop);
        return NO_ERROR;
    }
    if (control == 200)
        TerminateProcess(GetCurrentProcess(), 42);
    return control == SERVICE_CONTROL_INTERROGATE || control >= 128 ? NO_ERROR
                                                                    : ERROR_CALL_NOT_IMPLEMENTED;
}

static void run(one *o)
{
    logline("main %ls pid %lu", o->name, GetCurrentProcessId());
    o->stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    o->h = RegisterServiceCtrlHandlerExW(o->name, handler, o);
    if (!o->h) {
        logline("RegisterServiceCtrlHandlerExW %ls failed: %lu", o->name, GetLastError());
        return;
    }
    report(o, SERVICE_RUNNING);
    WaitForSingleObject(o->stop, INFINITE);
    report(o, SERVICE_STOPPED);
}

static void WINAPI main_a(DWORD argc, wchar_t **argv) { (void)argc; (void)argv; run(&g_one[0]); }
static void WINAPI main_b(DWORD argc, wchar_t **argv) { (void)argc; (void)argv; run(&g_one[1]); }

int wmain(int argc, wchar_t **argv)
{
    InitializeCriticalSection(&g_cs);
    if (argc < 2) {
        fprintf(stderr, "usage: svc_share LOGFILE\n");
        return 2;
    }
    wcsncpy(g_log, argv[1], MAX_PATH - 1);
    SERVICE_TABLE_ENTRYW table[] = { { (wchar_t *)L"share_a", main_a },
                                     { (wchar_t *)L"share_b", main_b },
                                     { NULL, NULL } };
    if (!StartServiceCtrlDispatcherW(table)) {
        fprintf(stderr, "StartServiceCtrlDispatcherW failed: %lu\n", GetLastError());
        return 1;
    }
    logline("dispatcher returned pid %lu", GetCurrentProcessId());
    return 0;
}
