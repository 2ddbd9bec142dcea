/* SCM client checks, run inside a VM by tests/cli/svc.sh:
 *   svc_client query NAME     prints "query NAME: STATE exit=W/S" or
 *                             "query NAME: error N" (OpenService's error)
 *   svc_client control NAME N  sends control N ("control NAME: state S")
 *   svc_client notify NAME    NotifyServiceStatusChangeW(RUNNING), then waits
 *                             alertably (SleepEx) up to 30 s for the callback:
 *                             "notify NAME: registered", then its status
 *   svc_client failure NAME   prints the failure actions ("reset R actions T/D...")
 *   svc_client setfailure NAME RESET T/D...  sets them (ChangeServiceConfig2W)
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
                               L"t_missing_dep", L"t_dis", L"t_slow" };
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
    if (nsd)
        LocalFree(nsd);

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
