/* The demo's program: a tree of processes. "tree DEPTH WIDTH" starts WIDTH
 * children running "tree DEPTH-1 WIDTH" and waits for them; the leaves wait
 * until they are ended (by plume stop), so that plume ps can list them. */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

int wmain(int argc, wchar_t **argv)
{
    int depth = argc > 1 ? _wtoi(argv[1]) : 2;
    int width = argc > 2 ? _wtoi(argv[2]) : 2;
    if (width < 1 || width > 8)
        width = 2;
    printf("tree: pid %lu, depth %d\n", GetCurrentProcessId(), depth);
    fflush(stdout);
    if (depth <= 0) {
        Sleep(INFINITE);
        return 0;
    }
    wchar_t self[MAX_PATH], cmd[MAX_PATH + 32];
    GetModuleFileNameW(NULL, self, MAX_PATH);
    HANDLE kids[8];
    int n = 0;
    for (int i = 0; i < width; i++) {
        STARTUPINFOW si = { .cb = sizeof si };
        PROCESS_INFORMATION pi;
        swprintf(cmd, MAX_PATH + 32, L"\"%ls\" %d %d", self, depth - 1, width);
        if (CreateProcessW(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
            CloseHandle(pi.hThread);
            kids[n++] = pi.hProcess;
        } else {
            fprintf(stderr, "tree: CreateProcess failed: %lu\n", GetLastError());
        }
    }
    WaitForMultipleObjects((DWORD)n, kids, TRUE, INFINITE);
    return 0;
}
