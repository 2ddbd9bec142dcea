/* msi_ca.dll: a DLL custom action for tests/msi/plume_msi_test.wxs. Under
 * Wine it runs in the custom action server (msiexec -Embedding, started by
 * msi.dll) and reads the session's ProductCode back through msi's RPC to
 * the installing process. It appends "ca pid PID product CODE cmd CMDLINE"
 * to C:\plume-msi-ca.log.
 */
#include <windows.h>
#include <msi.h>
#include <msiquery.h>
#include <stdio.h>

__declspec(dllexport) UINT WINAPI PlumeCa(MSIHANDLE session)
{
    wchar_t code[64] = L"?";
    DWORD len = 64;
    char line[600];
    DWORD n, done;
    HANDLE f;

    if (MsiGetPropertyW(session, L"ProductCode", code, &len) != ERROR_SUCCESS)
        lstrcpyW(code, L"error");
    n = (DWORD)snprintf(line, sizeof line, "ca pid %lu product %ls cmd %ls\r\n",
                      GetCurrentProcessId(), code, GetCommandLineW());
    if (n >= sizeof line)
        n = sizeof line - 1;
    f = CreateFileW(L"C:\\plume-msi-ca.log", FILE_APPEND_DATA, FILE_SHARE_READ, NULL,
                    OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (f == INVALID_HANDLE_VALUE)
        return ERROR_INSTALL_FAILURE;
    WriteFile(f, line, n, &done, NULL);
    CloseHandle(f);
    return ERROR_SUCCESS;
}
