/* The job object of a running VM (see vmjob.h). */
#include "vmjob.h"
#include "jobname.h"
#include "store.h"

void vmjob_name(const char *vm, wchar_t *buf, size_t cap)
{
    uint16_t w[64];
    wchar_t root[STORE_PATH_MAX];
    size_t i = 0;
    for (; vm[i] && i + 1 < sizeof w / sizeof w[0]; i++)
        w[i] = (unsigned char)vm[i];
    w[i] = 0;
    if (store_root(root, STORE_PATH_MAX) != ERROR_SUCCESS ||
        !plume_job_name((const uint16_t *)root, w, (uint16_t *)buf, cap)) {
        if (cap)
            buf[0] = 0;
    }
}

HANDLE vmjob_open(const char *vm, DWORD access, int create)
{
    wchar_t name[128];
    vmjob_name(vm, name, sizeof name / sizeof name[0]);
    if (create)
        return CreateJobObjectW(NULL, name);
    return OpenJobObjectW(access, FALSE, name);
}

DWORD vmjob_pids(HANDLE job, DWORD *pids, DWORD cap, DWORD *count)
{
    /* JOBOBJECT_BASIC_PROCESS_ID_LIST with room for 1024 ids. */
    struct {
        DWORD assigned, listed;
        ULONG_PTR ids[1024];
    } list;
    *count = 0;
    if (!QueryInformationJobObject(job, JobObjectBasicProcessIdList, &list, sizeof list, NULL)) {
        DWORD e = GetLastError();
        if (e != ERROR_MORE_DATA)
            return e;
    }
    DWORD n = list.listed;
    for (DWORD i = 0; i < n && i < cap; i++)
        pids[i] = (DWORD)list.ids[i];
    *count = list.assigned > n ? list.assigned : n;
    return ERROR_SUCCESS;
}

DWORD vmjob_count(const char *vm)
{
    HANDLE job = vmjob_open(vm, JOB_OBJECT_QUERY, 0);
    if (!job)
        return 0;
    JOBOBJECT_BASIC_ACCOUNTING_INFORMATION acct;
    DWORD n = 0;
    if (QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &acct, sizeof acct,
                                  NULL))
        n = acct.ActiveProcesses;
    CloseHandle(job);
    return n;
}

DWORD vmjob_stop(const char *vm, DWORD timeout_ms, DWORD *ended)
{
    *ended = 0;
    HANDLE job = vmjob_open(vm, JOB_OBJECT_TERMINATE | JOB_OBJECT_QUERY, 0);
    if (!job)
        return ERROR_SUCCESS;
    JOBOBJECT_BASIC_ACCOUNTING_INFORMATION acct;
    if (QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &acct, sizeof acct,
                                  NULL))
        *ended = acct.ActiveProcesses;
    DWORD start = GetTickCount(), e = ERROR_SUCCESS;
    for (;;) {
        /* Again each round: a process created meanwhile is ended too. */
        if (!TerminateJobObject(job, ERROR_PROCESS_ABORTED) && *ended) {
            e = GetLastError();
            break;
        }
        if (!QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &acct,
                                       sizeof acct, NULL)) {
            e = GetLastError();
            break;
        }
        if (acct.ActiveProcesses == 0)
            break;
        if (GetTickCount() - start > timeout_ms) {
            e = ERROR_TIMEOUT;
            break;
        }
        Sleep(20);
    }
    CloseHandle(job);
    return e;
}
