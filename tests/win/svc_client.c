/* SCM client checks, run inside a VM by tests/cli/svc.sh:
 *   svc_client query NAME     prints "query NAME: STATE exit=W/S" or
 *                             "query NAME: error N" (OpenService's error)
 *   svc_client control NAME N  sends control N ("control NAME: state S")
 *   svc_client failure NAME   prints the failure actions ("reset R actions T/D...")
 *   svc_client setfailure NAME RESET T/D...  sets them (ChangeServiceConfig2W)
 *   svc_client checks BINDIR  the API's behaviour and error codes against
 *                             the VM's manager, with the test service
 *                             BINDIR\svc_basic.exe; prints each check and
 *                             "N passed, N failed"; exit 1 on a failure.
 * Every service it creates is deleted at the end. */
#include <windows.h>
#include <winsvc.h>
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
