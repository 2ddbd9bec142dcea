/* SCM client checks, run inside a VM by tests/cli/svc.sh:
 *   svc_client query NAME     prints "query NAME: STATE exit=W/S" or
 *                             "query NAME: error N" (OpenService's error)
 *   svc_client control NAME N  sends control N ("control NAME: state S")
 *   svc_client notifyscm N    NotifyServiceStatusChangeW (CREATED | DELETED) on
 *                             a manager handle N times; each callback:
 *                             "notifyscm: status S triggered T names [n]..."
 *   svc_client lock MS        LockServiceDatabase, holds it MS ms, exits
 *                             without unlocking ("lock: locked")
 *   svc_client notify NAME    NotifyServiceStatusChangeW(RUNNING), then waits
 *                             alertably (SleepEx) up to 30 s for the callback:
 *                             "notify NAME: registered", then its status
 *   svc_client failure NAME   prints the failure actions ("reset R actions T/D...")
 *   svc_client setfailure NAME RESET T/D...  sets them (ChangeServiceConfig2W)
 *   svc_client start NAME     StartServiceW: "start NAME: ok after T ms" or
 *                             "start NAME: error N after T ms"
 *   svc_client setdelayed NAME 0|1  ChangeServiceConfig2W (delayed auto-start)
 *   svc_client config NAME    "config NAME: start S account [A] group [G] deps [D;...]"
 *   svc_client checks BINDIR  the API's behaviour and error codes against
 *                             the VM's manager, with the test service
 *                             BINDIR\svc_basic.exe; prints each check and
 *                             "N passed, N failed"; exit 1 on a failure.
 * Every service it creates is deleted at the end. */
#include <windows.h>
#include <winsvc.h>
#include <sddl.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

static int passed, failed;
#define CHECK(what, cond)                                                        \
    do {                                                                         \
        if (cond) { passed++; printf("ok   %s\n", what); }                       \
        else { failed++; printf("FAIL %s (line %d, last error %lu)\n", what,     \
                                __LINE__, GetLastError()); }                     \
    } while (0)
#define ERR(what, call, code)                                                    \
    do {                                                                         \
        SetLastError(0);                                                         \
        BOOL r_ = (call) != 0;                                                   \
        DWORD e_ = GetLastError();                                               \
        if (!r_ && e_ == (code)) { passed++; printf("ok   %s: error %lu\n", what, e_); } \
        else { failed++; printf("FAIL %s: result %d error %lu, wanted %lu\n",   \
                                what, r_, e_, (DWORD)(code)); }                  \
    } while (0)

static SC_HANDLE scm;

/* NotifyServiceStatusChange: the callback (an APC on the caller's thread). */
static volatile LONG notified;
static SERVICE_NOTIFYW last_note;
static DWORD note_thread;
static void CALLBACK on_notify(void *p)
{
    last_note = *(SERVICE_NOTIFYW *)p;
    note_thread = GetCurrentThreadId();
    InterlockedIncrement(&notified);
}

static void note_init(SERVICE_NOTIFYW *n)
{
    memset(n, 0, sizeof *n);
    n->dwVersion = SERVICE_NOTIFY_STATUS_CHANGE;
    n->pfnNotifyCallback = on_notify;
}

/* Alertable waits until a notification arrived (or ms passed). */
static int wait_note(LONG before, DWORD ms)
{
    for (DWORD t = 0; t < ms && notified == before; t += 100)
        SleepEx(100, TRUE);
    return notified != before;
}
static wchar_t bindir[MAX_PATH];

static SC_HANDLE create(const wchar_t *name, const wchar_t *mode, DWORD start,
                        const wchar_t *deps)
{
    wchar_t path[2 * MAX_PATH];
    _snwprintf(path, 2 * MAX_PATH, L"\"%ls\\svc_basic.exe\" C:\\svc-%ls.log %ls", bindir, name,
               mode);
    return CreateServiceW(scm, name, NULL, SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS, start,
                          SERVICE_ERROR_NORMAL, path, NULL, NULL, deps, NULL, NULL);
}

static DWORD state_of(SC_HANDLE s, SERVICE_STATUS_PROCESS *p)
{
    SERVICE_STATUS_PROCESS tmp;
    DWORD need;
    if (!p)
        p = &tmp;
    if (!QueryServiceStatusEx(s, SC_STATUS_PROCESS_INFO, (BYTE *)p, sizeof *p, &need))
        return 0;
    return p->dwCurrentState;
}

/* Waits up to ms for a state. */
static int wait_for(SC_HANDLE s, DWORD state, DWORD ms)
{
    for (DWORD t = 0; t < ms; t += 20) {
        if (state_of(s, NULL) == state)
            return 1;
        Sleep(20);
    }
    return state_of(s, NULL) == state;
}

static void cleanup(const wchar_t *name)
{
    SC_HANDLE s = OpenServiceW(scm, name, SERVICE_ALL_ACCESS);
    if (!s)
        return;
    SERVICE_STATUS st;
    ControlService(s, SERVICE_CONTROL_STOP, &st);
    wait_for(s, SERVICE_STOPPED, 3000);
    DeleteService(s);
    CloseServiceHandle(s);
}

static int checks(void)
{
    const wchar_t *names[] = { L"t_a", L"t_b", L"t_c", L"t_crash", L"t_never", L"t_dep_never",
                               L"t_missing_dep", L"t_dis", L"t_slow", L"t_acct",
                               L"t_user", L"t_ansi" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        cleanup(names[i]);

    /* Creation and its errors. */
    SC_HANDLE a = create(L"t_a", L"normal", SERVICE_DEMAND_START, NULL);
    CHECK("CreateService t_a", a != NULL);
    ERR("CreateService of an existing name", create(L"t_a", L"normal", SERVICE_DEMAND_START, NULL),
        ERROR_SERVICE_EXISTS);
    ERR("CreateService with a bad name", CreateServiceW(scm, L"a\\b", NULL, 0,
        SERVICE_WIN32_OWN_PROCESS, SERVICE_DEMAND_START, 0, L"x.exe", NULL, NULL, NULL, NULL,
        NULL), ERROR_INVALID_NAME);
    ERR("CreateService with a bad start type", CreateServiceW(scm, L"t_bad", NULL, 0,
        SERVICE_WIN32_OWN_PROCESS, SERVICE_BOOT_START, 0, L"x.exe", NULL, NULL, NULL, NULL,
        NULL), ERROR_INVALID_PARAMETER);
    ERR("OpenService of a missing service", OpenServiceW(scm, L"t_nosuch", SERVICE_ALL_ACCESS),
        ERROR_SERVICE_DOES_NOT_EXIST);
    ERR("a service handle is not a manager handle", OpenServiceW(a, L"t_a", 0),
        ERROR_INVALID_HANDLE);

    /* Config. */
    BYTE buf[8192];
    DWORD need = 0;
    QUERY_SERVICE_CONFIGW *qc = (QUERY_SERVICE_CONFIGW *)buf;
    ERR("QueryServiceConfig with no buffer", QueryServiceConfigW(a, NULL, 0, &need),
        ERROR_INSUFFICIENT_BUFFER);
    CHECK("QueryServiceConfig tells the size", need > sizeof *qc);
    CHECK("QueryServiceConfig", QueryServiceConfigW(a, qc, sizeof buf, &need));
    CHECK("config: own process, demand start", qc->dwServiceType == SERVICE_WIN32_OWN_PROCESS &&
                                                qc->dwStartType == SERVICE_DEMAND_START);
    CHECK("config: the binary path", wcsstr(qc->lpBinaryPathName, L"svc_basic.exe") != NULL);
    CHECK("config: LocalSystem", !wcscmp(qc->lpServiceStartName, L"LocalSystem"));

    /* Start types changed at run time. */
    CHECK("ChangeServiceConfig t_a: disabled",
          ChangeServiceConfigW(a, SERVICE_NO_CHANGE, SERVICE_DISABLED, SERVICE_NO_CHANGE, NULL,
                               NULL, NULL, NULL, NULL, NULL, NULL));
    CHECK("config: disabled", QueryServiceConfigW(a, qc, sizeof buf, &need) &&
                              qc->dwStartType == SERVICE_DISABLED);
    ERR("StartService of t_a, disabled at run time", StartServiceW(a, 0, NULL),
        ERROR_SERVICE_DISABLED);
    CHECK("... and it stays STOPPED", state_of(a, NULL) == SERVICE_STOPPED);
    CHECK("ChangeServiceConfig t_a: demand start again",
          ChangeServiceConfigW(a, SERVICE_NO_CHANGE, SERVICE_DEMAND_START, SERVICE_NO_CHANGE,
                               NULL, NULL, NULL, NULL, NULL, NULL, NULL) &&
          QueryServiceConfigW(a, qc, sizeof buf, &need) &&
          qc->dwStartType == SERVICE_DEMAND_START);
    SERVICE_DELAYED_AUTO_START_INFO dai = { TRUE };
    CHECK("ChangeServiceConfig2 (delayed auto-start) on t_a",
          ChangeServiceConfig2W(a, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &dai));
    memset(&dai, 0, sizeof dai);
    CHECK("QueryServiceConfig2 (delayed auto-start): TRUE",
          QueryServiceConfig2W(a, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, (BYTE *)&dai,
                               sizeof dai, &need) && dai.fDelayedAutostart == TRUE);
    {
        HKEY k;
        DWORD v = 0, vs = sizeof v;
        CHECK("stored: Services\\t_a DelayedAutostart = 1",
              RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Services\\t_a", 0,
                            KEY_READ, &k) == 0 &&
              RegQueryValueExW(k, L"DelayedAutostart", NULL, NULL, (BYTE *)&v, &vs) == 0 &&
              v == 1 && (RegCloseKey(k), 1));
    }
    dai.fDelayedAutostart = FALSE;
    CHECK("ChangeServiceConfig2 (delayed auto-start) back to FALSE",
          ChangeServiceConfig2W(a, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &dai) &&
          QueryServiceConfig2W(a, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, (BYTE *)&dai,
                               sizeof dai, &need) && dai.fDelayedAutostart == FALSE);

    /* Accounts: stored and reported as configured; the service runs with the
     * manager's token; a password is not stored. */
    {
        wchar_t path[2 * MAX_PATH];
        _snwprintf(path, 2 * MAX_PATH, L"\"%ls\\svc_basic.exe\" C:\\svc-t_acct.log", bindir);
        SC_HANDLE ac = CreateServiceW(scm, L"t_acct", NULL, SERVICE_ALL_ACCESS,
                                      SERVICE_WIN32_OWN_PROCESS, SERVICE_DEMAND_START,
                                      SERVICE_ERROR_NORMAL, path, NULL, NULL, NULL,
                                      L"NT AUTHORITY\\LocalService", NULL);
        CHECK("CreateService with lpServiceStartName NT AUTHORITY\\LocalService", ac != NULL);
        CHECK("QueryServiceConfig reports NT AUTHORITY\\LocalService",
              ac && QueryServiceConfigW(ac, qc, sizeof buf, &need) &&
              !wcscmp(qc->lpServiceStartName, L"NT AUTHORITY\\LocalService"));
        SERVICE_STATUS_PROCESS ap;
        CHECK("it starts and runs (with the manager's token)",
              ac && StartServiceW(ac, 0, NULL) && wait_for(ac, SERVICE_RUNNING, 5000) &&
              state_of(ac, &ap) && ap.dwProcessId != 0);
        if (ac) {
            SERVICE_STATUS as;
            CHECK("... and stops", ControlService(ac, SERVICE_CONTROL_STOP, &as) &&
                                   wait_for(ac, SERVICE_STOPPED, 5000));
            CloseServiceHandle(ac);
        }
        _snwprintf(path, 2 * MAX_PATH, L"\"%ls\\svc_basic.exe\" C:\\svc-t_user.log", bindir);
        SC_HANDLE us = CreateServiceW(scm, L"t_user", NULL, SERVICE_ALL_ACCESS,
                                      SERVICE_WIN32_OWN_PROCESS, SERVICE_DEMAND_START,
                                      SERVICE_ERROR_NORMAL, path, NULL, NULL, NULL,
                                      L".\\plumeuser", L"Pl-secret-4711");
        CHECK("CreateService with a user account and a password", us != NULL);
        CHECK("QueryServiceConfig reports .\\plumeuser",
              us && QueryServiceConfigW(us, qc, sizeof buf, &need) &&
              !wcscmp(qc->lpServiceStartName, L".\\plumeuser"));
        CHECK("ChangeServiceConfig with a new password",
              us && ChangeServiceConfigW(us, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE,
                                         SERVICE_NO_CHANGE, NULL, NULL, NULL, NULL, NULL,
                                         L"Pl-secret-4712", NULL));
        /* No value of the service's key holds the password. */
        HKEY k;
        int leaked = -1;
        if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Services\\t_user", 0,
                          KEY_READ, &k) == 0) {
            leaked = 0;
            for (DWORD i = 0;; i++) {
                wchar_t vn[256];
                BYTE vd[4096];
                DWORD vnl = 256, vdl = sizeof vd - 2;
                if (RegEnumValueW(k, i, vn, &vnl, NULL, NULL, vd, &vdl))
                    break;
                vd[vdl] = vd[vdl + 1] = 0;
                if (wcsstr((const wchar_t *)vd, L"Pl-secret") || !_wcsicmp(vn, L"Password"))
                    leaked = 1;
            }
            RegCloseKey(k);
        }
        CHECK("the password is not stored (no value of Services\\t_user holds it)", leaked == 0);
        CHECK("ObjectName in the registry: .\\plumeuser",
              RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Services\\t_user", 0,
                            KEY_READ, &k) == 0 &&
              (need = sizeof buf, RegQueryValueExW(k, L"ObjectName", NULL, NULL, buf, &need)) == 0 &&
              !wcscmp((const wchar_t *)buf, L".\\plumeuser") && (RegCloseKey(k), 1));
        if (us)
            CloseServiceHandle(us);
    }
    CHECK("ChangeServiceConfig display name",
          ChangeServiceConfigW(a, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE, NULL,
                               NULL, NULL, NULL, NULL, NULL, L"Plume test A"));
    wchar_t key[300];
    DWORD cch = 300;
    CHECK("GetServiceKeyName from the display name",
          GetServiceKeyNameW(scm, L"Plume test A", key, &cch) && !wcscmp(key, L"t_a"));
    char akey[300];
    cch = 300;
    CHECK("GetServiceKeyNameA", GetServiceKeyNameA(scm, "Plume test A", akey, &cch) &&
                                !strcmp(akey, "t_a") && cch == 3);
    cch = 300;
    CHECK("GetServiceDisplayNameA", GetServiceDisplayNameA(scm, "t_a", akey, &cch) &&
                                    !strcmp(akey, "Plume test A") && cch == 12);
    cch = 5;
    ERR("GetServiceDisplayNameA with a small buffer",
        GetServiceDisplayNameA(scm, "t_a", akey, &cch), ERROR_INSUFFICIENT_BUFFER);
    CHECK("... tells the length", cch == 12);
    ERR("GetServiceKeyNameA of an unknown display name",
        GetServiceKeyNameA(scm, "no such display", akey, &cch), ERROR_SERVICE_DOES_NOT_EXIST);

    /* NotifyServiceStatusChange: an APC to this thread, run in an alertable wait. */
    SERVICE_NOTIFYW n1, n2, n3;
    note_init(&n1);
    note_init(&n2);
    note_init(&n3);
    LONG before = notified;
    CHECK("NotifyServiceStatusChange (STOPPED) on a stopped service",
          NotifyServiceStatusChangeW(a, SERVICE_NOTIFY_STOPPED, &n1) == ERROR_SUCCESS);
    Sleep(500);
    CHECK("no callback outside an alertable wait", notified == before);
    CHECK("the callback runs in SleepEx(alertable), on this thread",
          wait_note(before, 3000) && note_thread == GetCurrentThreadId());
    CHECK("... with STOPPED, triggered STOPPED, status 0",
          last_note.dwNotificationStatus == 0 &&
          last_note.ServiceStatus.dwCurrentState == SERVICE_STOPPED &&
          last_note.dwNotificationTriggered == SERVICE_NOTIFY_STOPPED);
    ERR("NotifyServiceStatusChange on a bad handle",
        (SetLastError(NotifyServiceStatusChangeW((SC_HANDLE)(ULONG_PTR)0x1234, SERVICE_NOTIFY_RUNNING,
                                                  &n2)), FALSE), ERROR_INVALID_HANDLE);
    SC_HANDLE aq = OpenServiceW(scm, L"t_a", SERVICE_QUERY_STATUS);
    SC_HANDLE ac = OpenServiceW(scm, L"t_a", SERVICE_QUERY_STATUS);
    before = notified;
    CHECK("NotifyServiceStatusChange (RUNNING) while stopped",
          aq && NotifyServiceStatusChangeW(aq, SERVICE_NOTIFY_RUNNING, &n2) == ERROR_SUCCESS);
    CHECK("a second request on that handle: ERROR_ALREADY_REGISTERED",
          NotifyServiceStatusChangeW(aq, SERVICE_NOTIFY_STOPPED, &n3) == ERROR_ALREADY_REGISTERED);
    CHECK("another one on a handle then closed",
          ac && NotifyServiceStatusChangeW(ac, SERVICE_NOTIFY_RUNNING, &n3) == ERROR_SUCCESS &&
          CloseServiceHandle(ac));
    CHECK("no notification while it stays stopped", !wait_note(before, 700));

    /* Start, status, controls. */
    SERVICE_STATUS st;
    SERVICE_STATUS_PROCESS sp;
    ERR("ControlService on a stopped service", ControlService(a, SERVICE_CONTROL_STOP, &st),
        ERROR_SERVICE_NOT_ACTIVE);
    const wchar_t *args[] = { L"one", L"two" };
    CHECK("StartService t_a with 2 arguments", StartServiceW(a, 2, args));
    ERR("StartService of a started service", StartServiceW(a, 0, NULL),
        ERROR_SERVICE_ALREADY_RUNNING);
    CHECK("t_a reaches RUNNING", wait_for(a, SERVICE_RUNNING, 5000));
    CHECK("the RUNNING notification arrives once", wait_note(before, 5000) &&
          (SleepEx(500, TRUE), notified == before + 1) &&
          last_note.ServiceStatus.dwCurrentState == SERVICE_RUNNING &&
          last_note.dwNotificationTriggered == SERVICE_NOTIFY_RUNNING &&
          last_note.ServiceStatus.dwProcessId != 0);
    if (aq)
        CloseServiceHandle(aq);
    CHECK("QueryServiceStatusEx gives its pid", state_of(a, &sp) && sp.dwProcessId != 0);
    ERR("QueryServiceStatusEx with a small buffer",
        QueryServiceStatusEx(a, SC_STATUS_PROCESS_INFO, buf, 8, &need), ERROR_INSUFFICIENT_BUFFER);
    CHECK("pause", ControlService(a, SERVICE_CONTROL_PAUSE, &st));
    CHECK("t_a is PAUSED", wait_for(a, SERVICE_PAUSED, 3000));
    CHECK("continue", ControlService(a, SERVICE_CONTROL_CONTINUE, &st));
    CHECK("t_a is RUNNING again", wait_for(a, SERVICE_RUNNING, 3000));
    CHECK("interrogate", ControlService(a, SERVICE_CONTROL_INTERROGATE, &st) &&
                         st.dwCurrentState == SERVICE_RUNNING);
    CHECK("custom control 130", ControlService(a, 130, &st));
    ERR("a control the service does not accept (param change)",
        ControlService(a, SERVICE_CONTROL_PARAMCHANGE, &st), ERROR_INVALID_SERVICE_CONTROL);
    ERR("an undefined control code (99)", ControlService(a, 99, &st), ERROR_INVALID_PARAMETER);

    /* Dependencies: t_b depends on t_a; t_c depends on t_b. */
    SC_HANDLE b = create(L"t_b", L"normal", SERVICE_DEMAND_START, L"t_a\0");
    SC_HANDLE c = create(L"t_c", L"normal", SERVICE_DEMAND_START, L"t_b\0");
    CHECK("create t_b (on t_a) and t_c (on t_b)", b && c);
    ERR("a dependency cycle (t_a on t_c)",
        ChangeServiceConfigW(a, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE, NULL,
                             NULL, NULL, L"t_c\0", NULL, NULL, NULL), ERROR_CIRCULAR_DEPENDENCY);
    CHECK("stop t_a", ControlService(a, SERVICE_CONTROL_STOP, &st));
    CHECK("t_a is STOPPED", wait_for(a, SERVICE_STOPPED, 5000));
    CHECK("start t_c starts t_a and t_b first", StartServiceW(c, 0, NULL) &&
          state_of(a, NULL) == SERVICE_RUNNING && state_of(b, NULL) == SERVICE_RUNNING);
    CHECK("t_c reaches RUNNING", wait_for(c, SERVICE_RUNNING, 5000));
    ERR("stop t_a while t_b and t_c run", ControlService(a, SERVICE_CONTROL_STOP, &st),
        ERROR_DEPENDENT_SERVICES_RUNNING);
    ENUM_SERVICE_STATUSW deps[8];
    DWORD ndeps = 0;
    CHECK("EnumDependentServices of t_a: t_c then t_b",
          EnumDependentServicesW(a, SERVICE_ACTIVE, deps, sizeof deps, &need, &ndeps) &&
          ndeps == 2 && !wcscmp(deps[0].lpServiceName, L"t_c") &&
          !wcscmp(deps[1].lpServiceName, L"t_b"));
    DWORD nret = 0, resume = 0;
    BOOL en = EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32, SERVICE_ACTIVE, buf,
                                    sizeof buf, &need, &nret, &resume, NULL);
    CHECK("EnumServicesStatusEx lists the 3 running ones", en && nret == 3);
    ENUM_SERVICE_STATUS_PROCESSA *ea = (ENUM_SERVICE_STATUS_PROCESSA *)buf;
    en = EnumServicesStatusExA(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32, SERVICE_ACTIVE, buf,
                               sizeof buf, &need, &nret, &resume, NULL);
    CHECK("EnumServicesStatusExA: t_a, t_b, t_c with their pids",
          en && nret == 3 && !strcmp(ea[0].lpServiceName, "t_a") &&
          !strcmp(ea[0].lpDisplayName, "Plume test A") && !strcmp(ea[2].lpServiceName, "t_c") &&
          ea[1].ServiceStatusProcess.dwProcessId != 0);
    ENUM_SERVICE_STATUSA *es = (ENUM_SERVICE_STATUSA *)buf;
    en = EnumServicesStatusA(scm, SERVICE_WIN32, SERVICE_ACTIVE, es, sizeof buf, &need, &nret,
                             &resume);
    CHECK("EnumServicesStatusA", en && nret == 3 && !strcmp(es[1].lpServiceName, "t_b") &&
                                 es[1].ServiceStatus.dwCurrentState == SERVICE_RUNNING);
    ERR("EnumServicesStatusA with a small buffer",
        EnumServicesStatusA(scm, SERVICE_WIN32, SERVICE_ACTIVE, es, 60, &need, &nret, &resume),
        ERROR_MORE_DATA);
    resume = 0;
    CHECK("EnumDependentServicesA of t_a: t_c then t_b",
          EnumDependentServicesA(a, SERVICE_ACTIVE, es, sizeof buf, &need, &nret) &&
          nret == 2 && !strcmp(es[0].lpServiceName, "t_c") && !strcmp(es[1].lpServiceName, "t_b"));
    /* (Wine 8's advapi32 has no ControlServiceEx: sechost's, as advapi32 forwards on Windows.) */
    typedef BOOL(WINAPI *ctl_ex_fn)(SC_HANDLE, DWORD, DWORD, PVOID);
    HMODULE sechost = LoadLibraryW(L"sechost.dll");
    ctl_ex_fn ctl_ex_w = (ctl_ex_fn)(void *)GetProcAddress(sechost, "ControlServiceExW");
    ctl_ex_fn ctl_ex_a = (ctl_ex_fn)(void *)GetProcAddress(sechost, "ControlServiceExA");
    CHECK("(sechost's ControlServiceExW/A)", ctl_ex_w && ctl_ex_a);
    SERVICE_CONTROL_STATUS_REASON_PARAMSW rp;
    memset(&rp, 0, sizeof rp);
    rp.dwReason = SERVICE_STOP_REASON_FLAG_PLANNED | SERVICE_STOP_REASON_MAJOR_APPLICATION |
                  SERVICE_STOP_REASON_MINOR_MAINTENANCE;
    CHECK("ControlServiceExW (interrogate): the status with the pid",
          ctl_ex_w && ctl_ex_w(c, SERVICE_CONTROL_INTERROGATE, SERVICE_CONTROL_STATUS_REASON_INFO,
                               &rp) && rp.ServiceStatus.dwCurrentState == SERVICE_RUNNING &&
          rp.ServiceStatus.dwProcessId != 0);
    ERR("ControlServiceExW with an unknown level",
        ctl_ex_w && ctl_ex_w(c, SERVICE_CONTROL_INTERROGATE, 7, &rp), ERROR_INVALID_LEVEL);
    ERR("ControlServiceExA: stop t_a while its dependents run",
        ctl_ex_a && ctl_ex_a(a, SERVICE_CONTROL_STOP, SERVICE_CONTROL_STATUS_REASON_INFO, &rp),
        ERROR_DEPENDENT_SERVICES_RUNNING);
    ERR("EnumServicesStatusEx with a small buffer",
        EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32, SERVICE_STATE_ALL, buf,
                              100, &need, &nret, &resume, NULL), ERROR_MORE_DATA);
    ControlService(c, SERVICE_CONTROL_STOP, &st);
    wait_for(c, SERVICE_STOPPED, 3000);
    ControlService(b, SERVICE_CONTROL_STOP, &st);
    wait_for(b, SERVICE_STOPPED, 3000);
    CHECK("with its dependents stopped, t_a stops", ControlService(a, SERVICE_CONTROL_STOP, &st) &&
          wait_for(a, SERVICE_STOPPED, 3000));

    /* Disabled, missing dependency, a dependency that never starts. */
    SC_HANDLE dis = create(L"t_dis", L"normal", SERVICE_DISABLED, NULL);
    ERR("StartService of a disabled service", StartServiceW(dis, 0, NULL), ERROR_SERVICE_DISABLED);
    SC_HANDLE md = create(L"t_missing_dep", L"normal", SERVICE_DEMAND_START, L"t_nosuch\0");
    ERR("StartService with a dependency that does not exist", StartServiceW(md, 0, NULL),
        ERROR_SERVICE_DEPENDENCY_DELETED);
    SC_HANDLE nv = create(L"t_never", L"never", SERVICE_DEMAND_START, NULL);
    SC_HANDLE dn = create(L"t_dep_never", L"normal", SERVICE_DEMAND_START, L"t_never\0");
    DWORD t0 = GetTickCount();
    ERR("StartService whose dependency never gets to RUNNING", StartServiceW(dn, 0, NULL),
        ERROR_SERVICE_DEPENDENCY_FAIL);
    DWORD took = GetTickCount() - t0;
    CHECK("... after its wait hint (1-2.5 s)", took >= 900 && took < 2500);
    CHECK("t_never stays START_PENDING", state_of(nv, NULL) == SERVICE_START_PENDING);
    ERR("a control to a START_PENDING service", ControlService(nv, SERVICE_CONTROL_STOP, &st),
        ERROR_SERVICE_CANNOT_ACCEPT_CTRL);

    /* A slow starter with wait hints and checkpoints: t_c on t_slow. */
    SC_HANDLE sl = create(L"t_slow", L"slow", SERVICE_DEMAND_START, NULL);
    CHECK("ChangeServiceConfig: t_c depends on t_slow",
          ChangeServiceConfigW(c, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE, NULL,
                               NULL, NULL, L"t_slow\0", NULL, NULL, NULL));
    CHECK("start t_c waits for the slow dependency (checkpoints beyond one wait hint)",
          StartServiceW(c, 0, NULL) && state_of(sl, NULL) == SERVICE_RUNNING);
    wait_for(c, SERVICE_RUNNING, 3000);
    ControlService(c, SERVICE_CONTROL_STOP, &st);
    wait_for(c, SERVICE_STOPPED, 3000);

    /* A crash on a control is seen at once, with its exit code. */
    SC_HANDLE cr = create(L"t_crash", L"crash", SERVICE_DEMAND_START, NULL);
    CHECK("start t_crash", StartServiceW(cr, 0, NULL) && wait_for(cr, SERVICE_RUNNING, 3000));
    ControlService(cr, 200, &st);
    CHECK("after the crash t_crash is STOPPED at once", wait_for(cr, SERVICE_STOPPED, 500));
    state_of(cr, &sp);
    CHECK("with ERROR_PROCESS_ABORTED", sp.dwWin32ExitCode == ERROR_PROCESS_ABORTED);
    CHECK("it can start again", StartServiceW(cr, 0, NULL) && wait_for(cr, SERVICE_RUNNING, 3000));

    /* The database lock. */
    BYTE lb[512];
    QUERY_SERVICE_LOCK_STATUSW *ls = (QUERY_SERVICE_LOCK_STATUSW *)lb;
    CHECK("QueryServiceLockStatus: unlocked",
          QueryServiceLockStatusW(scm, ls, sizeof lb, &need) && !ls->fIsLocked);
    SC_LOCK lk = LockServiceDatabase(scm);
    CHECK("LockServiceDatabase", lk != NULL);
    ERR("LockServiceDatabase twice", LockServiceDatabase(scm), ERROR_SERVICE_DATABASE_LOCKED);
    ERR("StartService while the database is locked", StartServiceW(dn, 0, NULL),
        ERROR_SERVICE_DATABASE_LOCKED);
    ERR("QueryServiceLockStatus with a small buffer",
        QueryServiceLockStatusW(scm, ls, sizeof *ls, &need), ERROR_INSUFFICIENT_BUFFER);
    CHECK("... tells the size", need > sizeof *ls);
    CHECK("QueryServiceLockStatus: locked, with an owner",
          QueryServiceLockStatusW(scm, ls, sizeof lb, &need) && ls->fIsLocked &&
          ls->lpLockOwner && ls->lpLockOwner[0]);
    QUERY_SERVICE_LOCK_STATUSA *lsa = (QUERY_SERVICE_LOCK_STATUSA *)lb;
    CHECK("QueryServiceLockStatusA: locked",
          QueryServiceLockStatusA(scm, lsa, sizeof lb, &need) && lsa->fIsLocked &&
          lsa->lpLockOwner && lsa->lpLockOwner[0]);
    ERR("LockServiceDatabase with a service handle", LockServiceDatabase(dn), ERROR_INVALID_HANDLE);
    CHECK("UnlockServiceDatabase", UnlockServiceDatabase(lk));
    ERR("UnlockServiceDatabase twice", UnlockServiceDatabase(lk), ERROR_INVALID_SERVICE_LOCK);
    CHECK("unlocked again", QueryServiceLockStatusW(scm, ls, sizeof lb, &need) && !ls->fIsLocked);
    {
        /* The lock is released when the process holding it ends (as Windows):
         * a child ("svc_client lock") locks, holds it 1.5 s and exits. */
        wchar_t self[MAX_PATH], cmd[MAX_PATH + 32];
        GetModuleFileNameW(NULL, self, MAX_PATH);
        swprintf(cmd, MAX_PATH + 32, L"\"%ls\" lock 1500", self);
        STARTUPINFOW si;
        memset(&si, 0, sizeof si);
        si.cb = sizeof si;
        PROCESS_INFORMATION pi;
        BOOL cp = CreateProcessW(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi);
        CHECK("(a child that locks the database)", cp);
        int held = 0;
        for (int i = 0; cp && i < 40 && !held; i++) {
            if (QueryServiceLockStatusW(scm, ls, sizeof lb, &need) && ls->fIsLocked)
                held = 1;
            else
                Sleep(50);
        }
        CHECK("the child holds the lock", held);
        ERR("StartService while the child holds it", StartServiceW(cr, 0, NULL),
            ERROR_SERVICE_DATABASE_LOCKED);
        DWORD code = 1;
        if (cp) {
            WaitForSingleObject(pi.hProcess, 10000);
            GetExitCodeProcess(pi.hProcess, &code);
            CloseHandle(pi.hProcess);
            CloseHandle(pi.hThread);
        }
        CHECK("the child ended without unlocking (exit 0)", code == 0);
        int freed = 0;
        for (int i = 0; i < 40 && !freed; i++) {
            if (QueryServiceLockStatusW(scm, ls, sizeof lb, &need) && !ls->fIsLocked)
                freed = 1;
            else
                Sleep(50);
        }
        CHECK("its end released the lock (QueryServiceLockStatus: unlocked)", freed);
        ERR("StartService no longer gets 1055 (t_crash runs: 1056)", StartServiceW(cr, 0, NULL),
            ERROR_SERVICE_ALREADY_RUNNING);
        SC_LOCK lk2 = LockServiceDatabase(scm);
        CHECK("LockServiceDatabase succeeds again", lk2 != NULL);
        if (lk2)
            UnlockServiceDatabase(lk2);
    }

    /* Security descriptors: the default, set, returned as configured. */
    BYTE sdb[1024];
    wchar_t *sddl = NULL;
    need = 0;
    ERR("QueryServiceObjectSecurity with no buffer",
        QueryServiceObjectSecurity(cr, DACL_SECURITY_INFORMATION, NULL, 0, &need),
        ERROR_INSUFFICIENT_BUFFER);
    CHECK("... tells the size", need > 20 && need <= sizeof sdb);
    CHECK("the default: owner SYSTEM, a DACL",
          QueryServiceObjectSecurity(cr, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                                     sdb, sizeof sdb, &need) &&
          ConvertSecurityDescriptorToStringSecurityDescriptorW(
              sdb, SDDL_REVISION_1, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
              &sddl, NULL) && wcsstr(sddl, L"O:SY") && wcsstr(sddl, L"D:"));
    if (sddl)
        LocalFree(sddl);
    PSECURITY_DESCRIPTOR nsd = NULL;
    ULONG nsd_size = 0;
    CHECK("(a descriptor from SDDL)",
          ConvertStringSecurityDescriptorToSecurityDescriptorW(
              L"D:(A;;CCLCSWRPWPDTLOCRRC;;;WD)", SDDL_REVISION_1, &nsd, &nsd_size) && nsd);
    CHECK("SetServiceObjectSecurity (DACL)",
          nsd && SetServiceObjectSecurity(cr, DACL_SECURITY_INFORMATION, nsd));
    sddl = NULL;
    CHECK("the DACL comes back as set",
          QueryServiceObjectSecurity(cr, DACL_SECURITY_INFORMATION, sdb, sizeof sdb, &need) &&
          ConvertSecurityDescriptorToStringSecurityDescriptorW(
              sdb, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &sddl, NULL) &&
          !wcscmp(sddl, L"D:(A;;CCLCSWRPWPDTLOCRRC;;;WD)"));
    if (sddl)
        printf("     DACL: %ls\n", sddl), LocalFree(sddl);
    sddl = NULL;
    CHECK("the owner is kept",
          QueryServiceObjectSecurity(cr, OWNER_SECURITY_INFORMATION, sdb, sizeof sdb, &need) &&
          ConvertSecurityDescriptorToStringSecurityDescriptorW(
              sdb, SDDL_REVISION_1, OWNER_SECURITY_INFORMATION, &sddl, NULL) &&
          !wcscmp(sddl, L"O:SY"));
    if (sddl)
        LocalFree(sddl);
    HKEY sk;
    CHECK("stored in the registry (Services\\t_crash\\Security)",
          RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Services\\t_crash\\Security",
                        0, KEY_READ, &sk) == 0 &&
          RegQueryValueExW(sk, L"Security", NULL, NULL, NULL, &need) == 0 && need > 20 &&
          (RegCloseKey(sk), 1));
    SC_HANDLE cq = OpenServiceW(scm, L"t_crash", SERVICE_QUERY_STATUS);
    ERR("QueryServiceObjectSecurity without READ_CONTROL",
        QueryServiceObjectSecurity(cq, DACL_SECURITY_INFORMATION, sdb, sizeof sdb, &need),
        ERROR_ACCESS_DENIED);
    ERR("SetServiceObjectSecurity without WRITE_DAC",
        SetServiceObjectSecurity(cq, DACL_SECURITY_INFORMATION, nsd), ERROR_ACCESS_DENIED);
    ERR("SetServiceObjectSecurity with no descriptor",
        SetServiceObjectSecurity(cr, DACL_SECURITY_INFORMATION, NULL), ERROR_INVALID_PARAMETER);
    ERR("QueryServiceObjectSecurity of nothing",
        QueryServiceObjectSecurity(cr, 0, sdb, sizeof sdb, &need), ERROR_INVALID_PARAMETER);
    if (cq)
        CloseServiceHandle(cq);
    {
        /* The manager's own descriptor (a manager handle). */
        sddl = NULL;
        CHECK("QueryServiceObjectSecurity on the manager: Windows' default (owner SYSTEM, "
              "administrators all, authenticated users connect)",
              QueryServiceObjectSecurity(scm, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                                         sdb, sizeof sdb, &need) &&
              ConvertSecurityDescriptorToStringSecurityDescriptorW(
                  sdb, SDDL_REVISION_1, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                  &sddl, NULL) && wcsstr(sddl, L"O:SY") && wcsstr(sddl, L";;;BA)") &&
              wcsstr(sddl, L"(A;;CC;;;AU)"));
        if (sddl)
            printf("     manager: %ls\n", sddl), LocalFree(sddl);
        BYTE keep[1024];
        DWORD keep_n = 0;
        BOOL kept = QueryServiceObjectSecurity(scm, DACL_SECURITY_INFORMATION, keep, sizeof keep,
                                               &keep_n);
        CHECK("SetServiceObjectSecurity on the manager (DACL)",
              nsd && SetServiceObjectSecurity(scm, DACL_SECURITY_INFORMATION, nsd));
        sddl = NULL;
        CHECK("the manager's DACL comes back as set, its owner kept",
              QueryServiceObjectSecurity(scm, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                                         sdb, sizeof sdb, &need) &&
              ConvertSecurityDescriptorToStringSecurityDescriptorW(
                  sdb, SDDL_REVISION_1, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                  &sddl, NULL) && !wcscmp(sddl, L"O:SYD:(A;;CCLCSWRPWPDTLOCRRC;;;WD)"));
        if (sddl)
            LocalFree(sddl);
        CHECK("(the manager's DACL restored)",
              kept && SetServiceObjectSecurity(scm, DACL_SECURITY_INFORMATION, keep));
        SC_HANDLE mc = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
        ERR("QueryServiceObjectSecurity on a manager handle without READ_CONTROL",
            QueryServiceObjectSecurity(mc, DACL_SECURITY_INFORMATION, sdb, sizeof sdb, &need),
            ERROR_ACCESS_DENIED);
        ERR("SetServiceObjectSecurity on a manager handle without WRITE_DAC",
            SetServiceObjectSecurity(mc, DACL_SECURITY_INFORMATION, nsd), ERROR_ACCESS_DENIED);
        ERR("QueryServiceObjectSecurity on the manager: the SACL without ACCESS_SYSTEM_SECURITY",
            QueryServiceObjectSecurity(scm, SACL_SECURITY_INFORMATION, sdb, sizeof sdb, &need),
            ERROR_ACCESS_DENIED);
        if (mc)
            CloseServiceHandle(mc);
    }
    if (nsd)
        LocalFree(nsd);

    /* The A forms: OpenSCManagerA, CreateServiceA, OpenServiceA, StartServiceA,
     * QueryServiceConfigA, ChangeServiceConfigA, QueryServiceConfig2A; and
     * EnumServicesStatusW, GetServiceDisplayNameW. */
    {
        SC_HANDLE ma = OpenSCManagerA(NULL, NULL, SC_MANAGER_ALL_ACCESS);
        CHECK("OpenSCManagerA", ma != NULL);
        ERR("OpenSCManagerA of a remote machine", OpenSCManagerA("\\\\elsewhere", NULL,
            SC_MANAGER_CONNECT), ERROR_ACCESS_DENIED);
        char apath[2 * MAX_PATH];
        snprintf(apath, sizeof apath, "\"%ls\\svc_basic.exe\" C:\\svc-t_ansi.log", bindir);
        SC_HANDLE an = ma ? CreateServiceA(ma, "t_ansi", "Plume ANSI", SERVICE_ALL_ACCESS,
                                           SERVICE_WIN32_OWN_PROCESS, SERVICE_DEMAND_START,
                                           SERVICE_ERROR_NORMAL, apath, "PlumeGroupA", NULL,
                                           "t_a\0", NULL, NULL) : NULL;
        CHECK("CreateServiceA t_ansi (group PlumeGroupA, on t_a)", an != NULL);
        ERR("CreateServiceA of an existing name",
            ma ? CreateServiceA(ma, "t_ansi", NULL, SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                                SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL, apath, NULL, NULL,
                                NULL, NULL, NULL) : NULL, ERROR_SERVICE_EXISTS);
        if (an)
            CloseServiceHandle(an);
        {
            /* EnumServicesStatusEx's group: NULL all, "" no group, a name its members. */
            static BYTE eb[32768];
            DWORD en_need = 0, en_n = 0, en_res = 0;
            ENUM_SERVICE_STATUS_PROCESSW *ep = (ENUM_SERVICE_STATUS_PROCESSW *)eb;
            BOOL eok = EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32,
                                             SERVICE_STATE_ALL, eb, sizeof eb, &en_need, &en_n,
                                             &en_res, L"PlumeGroupA");
            CHECK("EnumServicesStatusExW (group PlumeGroupA): only t_ansi",
                  eok && en_n == 1 && !wcscmp(ep[0].lpServiceName, L"t_ansi"));
            en_res = 0;
            eok = EnumServicesStatusExA(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32,
                                        SERVICE_STATE_ALL, eb, sizeof eb, &en_need, &en_n,
                                        &en_res, "plumegroupa");
            ENUM_SERVICE_STATUS_PROCESSA *epa = (ENUM_SERVICE_STATUS_PROCESSA *)eb;
            CHECK("EnumServicesStatusExA (group plumegroupa, any case): only t_ansi",
                  eok && en_n == 1 && !strcmp(epa[0].lpServiceName, "t_ansi"));
            int has_ansi = 0, has_a = 0;
            en_res = 0;
            eok = EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32,
                                        SERVICE_STATE_ALL, eb, sizeof eb, &en_need, &en_n,
                                        &en_res, L"");
            for (DWORD i = 0; eok && i < en_n; i++) {
                has_ansi |= !wcscmp(ep[i].lpServiceName, L"t_ansi");
                has_a |= !wcscmp(ep[i].lpServiceName, L"t_a");
            }
            CHECK("EnumServicesStatusExW (group \"\"): t_a (no group), not t_ansi",
                  eok && has_a && !has_ansi);
            has_ansi = has_a = 0;
            en_res = 0;
            eok = EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32,
                                        SERVICE_STATE_ALL, eb, sizeof eb, &en_need, &en_n,
                                        &en_res, NULL);
            for (DWORD i = 0; eok && i < en_n; i++) {
                has_ansi |= !wcscmp(ep[i].lpServiceName, L"t_ansi");
                has_a |= !wcscmp(ep[i].lpServiceName, L"t_a");
            }
            CHECK("EnumServicesStatusExW (group NULL): both", eok && has_a && has_ansi);
            en_res = 0;
            ERR("EnumServicesStatusExW of an unknown group",
                EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32, SERVICE_STATE_ALL,
                                      eb, sizeof eb, &en_need, &en_n, &en_res, L"t_nosuch_group"),
                ERROR_SERVICE_DOES_NOT_EXIST);
        }
        ERR("OpenServiceA of a missing service", ma ? OpenServiceA(ma, "t_nosuch_a",
            SERVICE_ALL_ACCESS) : NULL, ERROR_SERVICE_DOES_NOT_EXIST);
        an = ma ? OpenServiceA(ma, "t_ansi", SERVICE_ALL_ACCESS) : NULL;
        CHECK("OpenServiceA t_ansi", an != NULL);
        QUERY_SERVICE_CONFIGA *qa = (QUERY_SERVICE_CONFIGA *)buf;
        need = 0;
        ERR("QueryServiceConfigA with a small buffer",
            an ? QueryServiceConfigA(an, qa, sizeof *qa, &need) : 0, ERROR_INSUFFICIENT_BUFFER);
        CHECK("... tells the size", need > sizeof *qa && need < sizeof buf);
        CHECK("QueryServiceConfigA: display, group, dependency, account, path, start",
              an && QueryServiceConfigA(an, qa, sizeof buf, &need) &&
              !strcmp(qa->lpDisplayName, "Plume ANSI") &&
              !strcmp(qa->lpLoadOrderGroup, "PlumeGroupA") &&
              !strcmp(qa->lpDependencies, "t_a") && qa->lpDependencies[4] == 0 &&
              !strcmp(qa->lpServiceStartName, "LocalSystem") &&
              strstr(qa->lpBinaryPathName, "svc_basic.exe") &&
              qa->dwStartType == SERVICE_DEMAND_START &&
              qa->dwServiceType == SERVICE_WIN32_OWN_PROCESS);
        CHECK("ChangeServiceConfigA: display name, auto start, error control",
              an && ChangeServiceConfigA(an, SERVICE_NO_CHANGE, SERVICE_AUTO_START,
                                         SERVICE_ERROR_IGNORE, NULL, NULL, NULL, NULL, NULL, NULL,
                                         "Plume ANSI two"));
        CHECK("QueryServiceConfigA sees the change",
              an && QueryServiceConfigA(an, qa, sizeof buf, &need) &&
              !strcmp(qa->lpDisplayName, "Plume ANSI two") &&
              qa->dwStartType == SERVICE_AUTO_START && qa->dwErrorControl == SERVICE_ERROR_IGNORE &&
              !strcmp(qa->lpLoadOrderGroup, "PlumeGroupA"));
        SERVICE_DESCRIPTIONA da = { (char *)"an ANSI description" };
        CHECK("ChangeServiceConfig2A (description)",
              an && ChangeServiceConfig2A(an, SERVICE_CONFIG_DESCRIPTION, &da));
        need = 0;
        ERR("QueryServiceConfig2A with a small buffer",
            an ? QueryServiceConfig2A(an, SERVICE_CONFIG_DESCRIPTION, buf, 4, &need) : 0,
            ERROR_INSUFFICIENT_BUFFER);
        CHECK("... tells the size", need >= sizeof(SERVICE_DESCRIPTIONA) + 20);
        SERVICE_DESCRIPTIONA *dq = (SERVICE_DESCRIPTIONA *)buf;
        CHECK("QueryServiceConfig2A (description)",
              an && QueryServiceConfig2A(an, SERVICE_CONFIG_DESCRIPTION, buf, sizeof buf, &need) &&
              dq->lpDescription && !strcmp(dq->lpDescription, "an ANSI description"));
        wchar_t wd[64];
        cch = 64;
        CHECK("GetServiceDisplayNameW", GetServiceDisplayNameW(scm, L"t_ansi", wd, &cch) &&
                                        !wcscmp(wd, L"Plume ANSI two") && cch == 14);
        cch = 4;
        ERR("GetServiceDisplayNameW with a small buffer",
            GetServiceDisplayNameW(scm, L"t_ansi", wd, &cch), ERROR_INSUFFICIENT_BUFFER);
        CHECK("... tells the length", cch == 14);
        cch = 64;
        ERR("GetServiceDisplayNameW of a missing service",
            GetServiceDisplayNameW(scm, L"t_nosuch", wd, &cch), ERROR_SERVICE_DOES_NOT_EXIST);
        const char *aargs[] = { "alpha", "beta" };
        CHECK("StartServiceA t_ansi with 2 arguments (starts t_a first)",
              an && StartServiceA(an, 2, aargs) && wait_for(an, SERVICE_RUNNING, 5000) &&
              state_of(a, NULL) == SERVICE_RUNNING);
        ERR("StartServiceA of a started service", an ? StartServiceA(an, 0, NULL) : 0,
            ERROR_SERVICE_ALREADY_RUNNING);
        char logl[4096] = "";
        FILE *lf = fopen("C:\\svc-t_ansi.log", "r");
        if (lf) {
            size_t got = fread(logl, 1, sizeof logl - 1, lf);
            logl[got] = 0;
            fclose(lf);
        }
        CHECK("the service got its name and the 2 arguments",
              strstr(logl, "argc=3 args= t_ansi alpha beta") != NULL);
        ENUM_SERVICE_STATUSW *ew = (ENUM_SERVICE_STATUSW *)buf;
        DWORD nr = 0, res = 0;
        BOOL found = FALSE;
        BOOL enw = EnumServicesStatusW(scm, SERVICE_WIN32, SERVICE_ACTIVE, ew, sizeof buf, &need,
                                       &nr, &res);
        for (DWORD i = 0; enw && i < nr; i++)
            if (!wcscmp(ew[i].lpServiceName, L"t_ansi") &&
                !wcscmp(ew[i].lpDisplayName, L"Plume ANSI two") &&
                ew[i].ServiceStatus.dwCurrentState == SERVICE_RUNNING)
                found = TRUE;
        CHECK("EnumServicesStatusW lists t_ansi RUNNING with its display name", enw && found);
        DWORD nall = nr;
        res = 0;
        enw = EnumServicesStatusW(scm, SERVICE_WIN32, SERVICE_INACTIVE, ew, sizeof buf, &need,
                                  &nr, &res);
        found = FALSE;
        for (DWORD i = 0; enw && i < nr; i++)
            if (!wcscmp(ew[i].lpServiceName, L"t_ansi"))
                found = TRUE;
        CHECK("EnumServicesStatusW (inactive) does not list it", enw && !found);
        res = 0;
        ERR("EnumServicesStatusW with a small buffer",
            EnumServicesStatusW(scm, SERVICE_WIN32, SERVICE_ACTIVE, ew, 40, &need, &nr, &res),
            ERROR_MORE_DATA);
        CHECK("... tells the size", need > 40);
        (void)nall;
        if (an) {
            SERVICE_STATUS sa;
            ControlService(an, SERVICE_CONTROL_STOP, &sa);
            wait_for(an, SERVICE_STOPPED, 3000);
            CloseServiceHandle(an);
        }
        ControlService(a, SERVICE_CONTROL_STOP, &st);
        wait_for(a, SERVICE_STOPPED, 3000);
        if (ma)
            CloseServiceHandle(ma);
    }

    /* NotifyServiceStatusChange on a manager handle: services created, deleted. */
    {
        SC_HANDLE me = OpenSCManagerW(NULL, NULL, SC_MANAGER_ENUMERATE_SERVICE);
        SC_HANDLE mcn = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
        SERVICE_NOTIFYW mn, mx;
        note_init(&mn);
        note_init(&mx);
        CHECK("NotifyServiceStatusChange (CREATED) on a manager handle without "
              "SC_MANAGER_ENUMERATE_SERVICE: 5",
              mcn && NotifyServiceStatusChangeW(mcn, SERVICE_NOTIFY_CREATED, &mx) ==
                         ERROR_ACCESS_DENIED);
        CHECK("NotifyServiceStatusChange (RUNNING) on a manager handle: 87",
              me && NotifyServiceStatusChangeW(me, SERVICE_NOTIFY_RUNNING, &mx) ==
                        ERROR_INVALID_PARAMETER);
        CHECK("NotifyServiceStatusChange (CREATED) on a service handle: 87",
              NotifyServiceStatusChangeW(a, SERVICE_NOTIFY_CREATED, &mx) == ERROR_INVALID_PARAMETER);
        LONG nb0 = notified;
        CHECK("NotifyServiceStatusChange (CREATED | DELETED) on a manager handle",
              me && NotifyServiceStatusChangeW(me, SERVICE_NOTIFY_CREATED | SERVICE_NOTIFY_DELETED,
                                               &mn) == ERROR_SUCCESS);
        CHECK("no callback while nothing is created", !wait_note(nb0, 500));
        SC_HANDLE nc = create(L"t_nc", L"normal", SERVICE_DEMAND_START, NULL);
        CHECK("CreateService t_nc: the callback, triggered CREATED, names \"/t_nc\"",
              nc && wait_note(nb0, 5000) && last_note.dwNotificationStatus == 0 &&
              last_note.dwNotificationTriggered == SERVICE_NOTIFY_CREATED &&
              last_note.pszServiceNames && !wcscmp(last_note.pszServiceNames, L"/t_nc") &&
              last_note.pszServiceNames[6] == 0 && note_thread == GetCurrentThreadId());
        CHECK("... the names are freed with LocalFree",
              last_note.pszServiceNames && LocalFree(last_note.pszServiceNames) == NULL);
        nb0 = notified;
        CHECK("registered again",
              NotifyServiceStatusChangeW(me, SERVICE_NOTIFY_CREATED | SERVICE_NOTIFY_DELETED,
                                         &mn) == ERROR_SUCCESS);
        CHECK("DeleteService t_nc", nc && DeleteService(nc));
        CHECK("a service marked for delete takes no new registration: 1072",
              nc && NotifyServiceStatusChangeW(nc, SERVICE_NOTIFY_STOPPED, &mx) ==
                        ERROR_SERVICE_MARKED_FOR_DELETE);
        CHECK("no DELETED while a handle keeps it", !wait_note(nb0, 500));
        if (nc)
            CloseServiceHandle(nc);
        CHECK("its last handle closed: triggered DELETED, names \"t_nc\" (no prefix)",
              wait_note(nb0, 5000) && last_note.dwNotificationStatus == 0 &&
              last_note.dwNotificationTriggered == SERVICE_NOTIFY_DELETED &&
              last_note.pszServiceNames && !wcscmp(last_note.pszServiceNames, L"t_nc") &&
              last_note.pszServiceNames[5] == 0);
        if (last_note.pszServiceNames)
            LocalFree(last_note.pszServiceNames);
        SERVICE_NOTIFYA na;
        memset(&na, 0, sizeof na);
        na.dwVersion = SERVICE_NOTIFY_STATUS_CHANGE;
        na.pfnNotifyCallback = on_notify;
        nb0 = notified;
        /* Wine 8's advapi32 has no NotifyServiceStatusChangeA: sechost's. */
        typedef DWORD(WINAPI * notify_a_fn)(SC_HANDLE, DWORD, PSERVICE_NOTIFYA);
        notify_a_fn notify_a = (notify_a_fn)(void *)GetProcAddress(
            LoadLibraryW(L"sechost.dll"), "NotifyServiceStatusChangeA");
        CHECK("NotifyServiceStatusChangeA (CREATED) on a manager handle",
              notify_a && notify_a(me, SERVICE_NOTIFY_CREATED, &na) == ERROR_SUCCESS);
        SC_HANDLE nc2 = create(L"t_nca", L"normal", SERVICE_DEMAND_START, NULL);
        CHECK("... CreateService t_nca: names \"/t_nca\" in ANSI",
              nc2 && wait_note(nb0, 5000) &&
              last_note.dwNotificationTriggered == SERVICE_NOTIFY_CREATED &&
              last_note.pszServiceNames &&
              !strcmp((const char *)last_note.pszServiceNames, "/t_nca") &&
              ((const char *)last_note.pszServiceNames)[7] == 0);
        if (last_note.pszServiceNames)
            LocalFree(last_note.pszServiceNames);
        nb0 = notified;
        CHECK("NotifyServiceStatusChange (DELETED) then the manager handle closed",
              NotifyServiceStatusChangeW(me, SERVICE_NOTIFY_DELETED, &mn) == ERROR_SUCCESS &&
              CloseServiceHandle(me));
        if (nc2) {
            DeleteService(nc2);
            CloseServiceHandle(nc2);
        }
        CHECK("... no callback after the close", !wait_note(nb0, 700));
        if (mcn)
            CloseServiceHandle(mcn);
    }

    /* Delete. */
    CHECK("DeleteService t_dis", DeleteService(dis));
    ERR("DeleteService twice", DeleteService(dis), ERROR_SERVICE_MARKED_FOR_DELETE);
    ERR("CreateService of a name marked for delete",
        create(L"t_dis", L"normal", SERVICE_DEMAND_START, NULL), ERROR_SERVICE_MARKED_FOR_DELETE);
    CHECK("CloseServiceHandle", CloseServiceHandle(dis));
    ERR("the handle is gone", CloseServiceHandle(dis), ERROR_INVALID_HANDLE);
    ERR("the deleted service is gone", OpenServiceW(scm, L"t_dis", SERVICE_ALL_ACCESS),
        ERROR_SERVICE_DOES_NOT_EXIST);

    SC_HANDLE hs[] = { a, b, c, cr, nv, dn, md, sl };
    for (size_t i = 0; i < sizeof hs / sizeof *hs; i++)
        if (hs[i])
            CloseServiceHandle(hs[i]);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        cleanup(names[i]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

int wmain(int argc, wchar_t **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 3) {
        fprintf(stderr, "usage: svc_client query NAME | checks BINDIR\n");
        return 2;
    }
    scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS);
    if (!scm) {
        printf("OpenSCManager: error %lu\n", GetLastError());
        return 1;
    }
    if (!wcscmp(argv[1], L"query")) {
        SC_HANDLE s = OpenServiceW(scm, argv[2], SERVICE_QUERY_STATUS);
        if (!s) {
            printf("query %ls: error %lu\n", argv[2], GetLastError());
            return 1;
        }
        SERVICE_STATUS st;
        QueryServiceStatus(s, &st);
        printf("query %ls: state %lu exit=%lu/%lu\n", argv[2], st.dwCurrentState,
               st.dwWin32ExitCode, st.dwServiceSpecificExitCode);
        CloseServiceHandle(s);
        return 0;
    }
    if (!wcscmp(argv[1], L"notifyscm")) {
        /* notifyscm N: NotifyServiceStatusChangeW (CREATED | DELETED) on a
         * manager handle, N times in a row, each callback printed. */
        SC_HANDLE m = OpenSCManagerW(NULL, NULL, SC_MANAGER_ENUMERATE_SERVICE);
        int rounds = _wtoi(argv[2]);
        for (int i = 0; i < rounds; i++) {
            SERVICE_NOTIFYW nb;
            note_init(&nb);
            LONG before = notified;
            DWORD e = m ? NotifyServiceStatusChangeW(m, SERVICE_NOTIFY_CREATED |
                                                            SERVICE_NOTIFY_DELETED, &nb)
                        : GetLastError();
            if (e) {
                printf("notifyscm: error %lu\n", e);
                return 1;
            }
            printf("notifyscm: registered\n");
            DWORD t0 = GetTickCount();
            while (notified == before && GetTickCount() - t0 < 30000)
                SleepEx(30000, TRUE);
            if (notified == before) {
                printf("notifyscm: timeout\n");
                return 1;
            }
            printf("notifyscm: status %lu triggered %lu names", last_note.dwNotificationStatus,
                   last_note.dwNotificationTriggered);
            for (const wchar_t *p = last_note.pszServiceNames; p && *p; p += wcslen(p) + 1)
                printf(" [%ls]", p);
            printf(" same thread %s\n", note_thread == GetCurrentThreadId() ? "yes" : "no");
            LocalFree(last_note.pszServiceNames);
        }
        return 0;
    }
    if (!wcscmp(argv[1], L"lock")) {
        /* lock MS: LockServiceDatabase, hold it MS ms, exit without unlocking. */
        SC_LOCK l = LockServiceDatabase(scm);
        if (!l) {
            printf("lock: error %lu\n", GetLastError());
            return 1;
        }
        printf("lock: locked\n");
        Sleep((DWORD)_wtoi(argv[2]));
        return 0;
    }
    if (!wcscmp(argv[1], L"notify")) {
        /* notify NAME: waits alertably (up to 30 s) for NAME to be RUNNING. */
        SC_HANDLE s = OpenServiceW(scm, argv[2], SERVICE_QUERY_STATUS);
        SERVICE_NOTIFYW nb;
        note_init(&nb);
        DWORD e = s ? NotifyServiceStatusChangeW(s, SERVICE_NOTIFY_RUNNING, &nb) : GetLastError();
        if (e) {
            printf("notify %ls: error %lu\n", argv[2], e);
            return 1;
        }
        printf("notify %ls: registered\n", argv[2]);
        DWORD t0 = GetTickCount();
        while (!notified && GetTickCount() - t0 < 30000)
            SleepEx(30000, TRUE);
        if (!notified) {
            printf("notify %ls: timeout\n", argv[2]);
            return 1;
        }
        printf("notify %ls: status %lu state %lu triggered %lu pid %s same thread %s\n",
               argv[2], last_note.dwNotificationStatus, last_note.ServiceStatus.dwCurrentState,
               last_note.dwNotificationTriggered,
               last_note.ServiceStatus.dwProcessId ? "yes" : "no",
               note_thread == GetCurrentThreadId() ? "yes" : "no");
        return 0;
    }
    if (!wcscmp(argv[1], L"control") && argc > 3) {
        SC_HANDLE s = OpenServiceW(scm, argv[2], SERVICE_ALL_ACCESS);
        SERVICE_STATUS st;
        if (!s || !ControlService(s, (DWORD)_wtoi(argv[3]), &st)) {
            printf("control %ls: error %lu\n", argv[2], GetLastError());
            return 1;
        }
        printf("control %ls: state %lu\n", argv[2], st.dwCurrentState);
        return 0;
    }
    if (!wcscmp(argv[1], L"start")) {
        /* start NAME: StartServiceW, with the time it took. */
        SC_HANDLE s = OpenServiceW(scm, argv[2], SERVICE_START | SERVICE_QUERY_STATUS);
        DWORD t0 = GetTickCount();
        if (!s || !StartServiceW(s, 0, NULL)) {
            DWORD e = GetLastError();
            printf("start %ls: error %lu after %lu ms\n", argv[2], e, GetTickCount() - t0);
            return 1;
        }
        printf("start %ls: ok after %lu ms\n", argv[2], GetTickCount() - t0);
        return 0;
    }
    if (!wcscmp(argv[1], L"setdelayed") && argc > 3) {
        /* setdelayed NAME 0|1: ChangeServiceConfig2W DELAYED_AUTO_START_INFO. */
        SC_HANDLE s = OpenServiceW(scm, argv[2], SERVICE_CHANGE_CONFIG);
        SERVICE_DELAYED_AUTO_START_INFO d = { _wtoi(argv[3]) != 0 };
        if (!s || !ChangeServiceConfig2W(s, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &d)) {
            printf("setdelayed %ls: error %lu\n", argv[2], GetLastError());
            return 1;
        }
        printf("setdelayed %ls: ok\n", argv[2]);
        return 0;
    }
    if (!wcscmp(argv[1], L"config")) {
        /* config NAME: the start type, account, group, dependencies. */
        SC_HANDLE s = OpenServiceW(scm, argv[2], SERVICE_QUERY_CONFIG);
        static BYTE buf[8192];
        DWORD need = 0;
        QUERY_SERVICE_CONFIGW *qc = (QUERY_SERVICE_CONFIGW *)buf;
        if (!s || !QueryServiceConfigW(s, qc, sizeof buf, &need)) {
            printf("config %ls: error %lu\n", argv[2], GetLastError());
            return 1;
        }
        printf("config %ls: start %lu account [%ls] group [%ls] deps [", argv[2],
               qc->dwStartType, qc->lpServiceStartName, qc->lpLoadOrderGroup);
        for (const wchar_t *d = qc->lpDependencies; d && *d; d += wcslen(d) + 1)
            printf("%ls;", d);
        printf("]\n");
        return 0;
    }
    if (!wcscmp(argv[1], L"setfailure") && argc > 3) {
        /* setfailure NAME RESET [TYPE/DELAY ...] */
        SC_HANDLE s = OpenServiceW(scm, argv[2], SERVICE_CHANGE_CONFIG | SERVICE_START);
        SC_ACTION acts[16];
        SERVICE_FAILURE_ACTIONSW fa = { (DWORD)wcstoul(argv[3], NULL, 10), NULL, NULL, 0, acts };
        for (int i = 4; i < argc && fa.cActions < 16; i++) {
            wchar_t *slash;
            acts[fa.cActions].Type = (SC_ACTION_TYPE)wcstoul(argv[i], &slash, 10);
            acts[fa.cActions++].Delay = *slash ? (DWORD)wcstoul(slash + 1, NULL, 10) : 0;
        }
        if (!s || !ChangeServiceConfig2W(s, SERVICE_CONFIG_FAILURE_ACTIONS, &fa)) {
            printf("setfailure %ls: error %lu\n", argv[2], GetLastError());
            return 1;
        }
        printf("setfailure %ls: ok\n", argv[2]);
        return 0;
    }
    if (!wcscmp(argv[1], L"failure")) {
        SC_HANDLE s = OpenServiceW(scm, argv[2], SERVICE_QUERY_CONFIG);
        static BYTE buf[8192];
        DWORD need = 0;
        if (!s || !QueryServiceConfig2W(s, SERVICE_CONFIG_FAILURE_ACTIONS, buf, sizeof buf, &need)) {
            printf("failure %ls: error %lu\n", argv[2], GetLastError());
            return 1;
        }
        SERVICE_FAILURE_ACTIONSW *fa = (SERVICE_FAILURE_ACTIONSW *)buf;
        printf("failure %ls: reset %lu actions", argv[2], fa->dwResetPeriod);
        for (DWORD i = 0; i < fa->cActions; i++)
            printf(" %d/%lu", (int)fa->lpsaActions[i].Type, fa->lpsaActions[i].Delay);
        printf("\n");
        return 0;
    }
    wcsncpy(bindir, argv[2], MAX_PATH - 1);
    return checks();
}
