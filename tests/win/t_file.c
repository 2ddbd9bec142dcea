/* The files namespace's probe: runs a list of operations on files and
 * prints one line each, for tests/cli/file.sh (inside and outside VMs).
 *
 *   t_file OP ARGS... [OP ARGS...]...
 *   read P | write P TEXT | append P TEXT | overwrite P TEXT | truncate P N
 *   delete P | mkdir P | rmdir P | rename A B | link A B | exists P
 *   list PATTERN | stat P | name P | nt NTPATH | ntattr NTPATH
 *   rel DIR NAME | map P | byid P | ntcreate NTPATH | vol NTPATH
 *   dispo P SEQ      open P for DELETE, set the delete disposition to each
 *                    digit of SEQ in turn (1 TRUE, 0 FALSE), then close
 *   dispoex P SEQ    the same with FileDispositionInformationEx
 *   short P          GetShortPathNameW of P
 *   qdirex PATTERN   a listing through NtQueryDirectoryFileEx (when ntdll
 *                    exports it)
 *   attrib P HEX     SetFileAttributesW(P, HEX), then its attributes
 *   reopen P TEXT    a read-only open of P, ReOpenFile for GENERIC_WRITE,
 *                    then writes TEXT through the new handle
 *   rosize P N       a read-only open of P, then FileEndOfFileInformation N
 *                    through it (Windows refuses: no write access)
 *   hold P MS        opens P for reading, sharing nothing, for MS ms
 *
 * Exit status: 0 (each line says how the operation went). */
#include <windows.h>
#include <winternl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void err(const char *op, DWORD e)
{
    printf("%s: error=%lu\n", op, (unsigned long)e);
}

static void nterr(const char *op, NTSTATUS st)
{
    printf("%s: status=0x%08lx\n", op, (unsigned long)st);
}

static void print_content(const char *op, HANDLE h)
{
    char buf[4096];
    DWORD got = 0;
    if (!ReadFile(h, buf, sizeof buf - 1, &got, NULL)) {
        err(op, GetLastError());
        return;
    }
    buf[got] = 0;
    printf("%s: content=[%s]\n", op, buf);
}

static void put(const wchar_t *p, const wchar_t *text, DWORD disp, DWORD acc, int at_end)
{
    HANDLE h = CreateFileW(p, acc, FILE_SHARE_READ, NULL, disp, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        err("write", GetLastError());
        return;
    }
    char buf[1024];
    int n = WideCharToMultiByte(CP_UTF8, 0, text, -1, buf, sizeof buf, NULL, NULL) - 1;
    DWORD w;
    if (at_end)
        SetFilePointer(h, 0, NULL, FILE_END);
    if (!WriteFile(h, buf, (DWORD)n, &w, NULL))
        err("write", GetLastError());
    else
        printf("write: ok %d\n", n);
    CloseHandle(h);
}

static int cmpw(const void *a, const void *b)
{
    return _wcsicmp(*(wchar_t *const *)a, *(wchar_t *const *)b);
}

static NTSTATUS nt_open(HANDLE *h, const wchar_t *p, ACCESS_MASK acc, ULONG opts, HANDLE root)
{
    UNICODE_STRING us;
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK io;
    RtlInitUnicodeString(&us, p);
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, root, NULL);
    return NtOpenFile(h, acc, &oa, &io, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                      opts | FILE_SYNCHRONOUS_IO_NONALERT);
}

typedef NTSTATUS(NTAPI *qattr_fn)(POBJECT_ATTRIBUTES, PFILE_BASIC_INFORMATION);

int wmain(int argc, wchar_t **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int i = 1; i < argc;) {
        const wchar_t *op = argv[i++];
        const wchar_t *a = i < argc ? argv[i] : L"";
        const wchar_t *b = i + 1 < argc ? argv[i + 1] : L"";
        if (!wcscmp(op, L"read")) {
            i++;
            HANDLE h = CreateFileW(a, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
            if (h == INVALID_HANDLE_VALUE)
                err("read", GetLastError());
            else {
                print_content("read", h);
                CloseHandle(h);
            }
        } else if (!wcscmp(op, L"write")) {
            i += 2;
            put(a, b, CREATE_ALWAYS, GENERIC_WRITE, 0);
        } else if (!wcscmp(op, L"append")) {
            i += 2;
            put(a, b, OPEN_ALWAYS, FILE_APPEND_DATA | SYNCHRONIZE, 0);
        } else if (!wcscmp(op, L"overwrite")) {
            i += 2;
            put(a, b, OPEN_EXISTING, GENERIC_WRITE, 0);
        } else if (!wcscmp(op, L"truncate")) {
            i += 2;
            HANDLE h = CreateFileW(a, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
            if (h == INVALID_HANDLE_VALUE)
                err("truncate", GetLastError());
            else {
                LARGE_INTEGER li;
                li.QuadPart = _wtoi(b);
                if (!SetFilePointerEx(h, li, NULL, FILE_BEGIN) || !SetEndOfFile(h))
                    err("truncate", GetLastError());
                else
                    printf("truncate: ok\n");
                CloseHandle(h);
            }
        } else if (!wcscmp(op, L"delete")) {
            i++;
            if (DeleteFileW(a))
                printf("delete: ok\n");
            else
                err("delete", GetLastError());
        } else if (!wcscmp(op, L"mkdir")) {
            i++;
            if (CreateDirectoryW(a, NULL))
                printf("mkdir: ok\n");
            else
                err("mkdir", GetLastError());
        } else if (!wcscmp(op, L"rmdir")) {
            i++;
            if (RemoveDirectoryW(a))
                printf("rmdir: ok\n");
            else
                err("rmdir", GetLastError());
        } else if (!wcscmp(op, L"rename")) {
            i += 2;
            if (MoveFileExW(a, b, MOVEFILE_REPLACE_EXISTING))
                printf("rename: ok\n");
            else
                err("rename", GetLastError());
        } else if (!wcscmp(op, L"link")) {
            i += 2;
            if (CreateHardLinkW(b, a, NULL))
                printf("link: ok\n");
            else
                err("link", GetLastError());
        } else if (!wcscmp(op, L"exists") || !wcscmp(op, L"stat")) {
            i++;
            WIN32_FILE_ATTRIBUTE_DATA d;
            if (GetFileAttributesExW(a, GetFileExInfoStandard, &d))
                printf("%ls: yes dir=%d size=%lu\n", op,
                       (d.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0,
                       (unsigned long)d.nFileSizeLow);
            else
                printf("%ls: no error=%lu\n", op, (unsigned long)GetLastError());
        } else if (!wcscmp(op, L"list")) {
            i++;
            WIN32_FIND_DATAW fd;
            HANDLE f = FindFirstFileW(a, &fd);
            if (f == INVALID_HANDLE_VALUE) {
                err("list", GetLastError());
                continue;
            }
            wchar_t *names[4096];
            int n = 0;
            do {
                if (n < 4096)
                    names[n++] = _wcsdup(fd.cFileName);
            } while (FindNextFileW(f, &fd));
            FindClose(f);
            qsort(names, (size_t)n, sizeof names[0], cmpw);
            printf("list: %d entries:", n);
            for (int k = 0; k < n; k++) {
                printf(" %ls", names[k]);
                free(names[k]);
            }
            printf("\n");
        } else if (!wcscmp(op, L"name")) {
            i++;
            HANDLE h = CreateFileW(a, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL,
                                   OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
            if (h == INVALID_HANDLE_VALUE) {
                err("name", GetLastError());
                continue;
            }
            wchar_t buf[1024];
            if (GetFinalPathNameByHandleW(h, buf, 1024, 0))
                printf("name: final=%ls\n", buf);
            else
                err("name final", GetLastError());
            BYTE ob[4096];
            ULONG ret;
            NTSTATUS st = NtQueryObject(h, ObjectNameInformation, ob, sizeof ob, &ret);
            UNICODE_STRING *u = (UNICODE_STRING *)ob;
            if (st >= 0)
                printf("name: object=%.*ls\n", u->Length / 2, u->Buffer);
            else
                nterr("name object", st);
            IO_STATUS_BLOCK io;
            st = NtQueryInformationFile(h, &io, ob, sizeof ob, (FILE_INFORMATION_CLASS)9);
            if (st >= 0)
                printf("name: file=%.*ls\n", (int)(*(ULONG *)ob / 2), (wchar_t *)(ob + 4));
            else
                nterr("name file", st);
            st = NtQueryInformationFile(h, &io, ob, sizeof ob, (FILE_INFORMATION_CLASS)18);
            if (st >= 0)
                printf("name: all=%.*ls\n", (int)(*(ULONG *)(ob + 96) / 2), (wchar_t *)(ob + 100));
            else
                nterr("name all", st);
            CloseHandle(h);
        } else if (!wcscmp(op, L"nt") || !wcscmp(op, L"byid")) {
            i++;
            HANDLE h;
            NTSTATUS st = nt_open(&h, a, GENERIC_READ | SYNCHRONIZE,
                                  FILE_NON_DIRECTORY_FILE |
                                  (!wcscmp(op, L"byid") ? FILE_OPEN_BY_FILE_ID : 0), NULL);
            if (st < 0)
                nterr("nt", st);
            else {
                print_content("nt", h);
                NtClose(h);
            }
        } else if (!wcscmp(op, L"ntwrite")) {
            i += 2;
            HANDLE h;
            NTSTATUS st = nt_open(&h, a, GENERIC_WRITE | SYNCHRONIZE, FILE_NON_DIRECTORY_FILE, NULL);
            if (st < 0)
                nterr("ntwrite", st);
            else {
                char buf[256];
                int n = WideCharToMultiByte(CP_UTF8, 0, b, -1, buf, sizeof buf, NULL, NULL) - 1;
                DWORD w;
                printf("ntwrite: %s\n", WriteFile(h, buf, (DWORD)n, &w, NULL) ? "ok" : "failed");
                NtClose(h);
            }
        } else if (!wcscmp(op, L"vol")) {
            i++;
            HANDLE h;
            NTSTATUS st = nt_open(&h, a, GENERIC_WRITE | SYNCHRONIZE, 0, NULL);
            if (st < 0)
                nterr("vol", st);
            else {
                printf("vol: opened for writing\n");
                NtClose(h);
            }
        } else if (!wcscmp(op, L"ntattr")) {
            i++;
            UNICODE_STRING us;
            OBJECT_ATTRIBUTES oa;
            FILE_BASIC_INFORMATION bi;
            RtlInitUnicodeString(&us, a);
            InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, NULL, NULL);
            qattr_fn q = (qattr_fn)(void *)GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                                        "NtQueryAttributesFile");
            NTSTATUS st = q(&oa, &bi);
            if (st < 0)
                nterr("ntattr", st);
            else
                printf("ntattr: ok attrs=0x%lx\n", (unsigned long)bi.FileAttributes);
        } else if (!wcscmp(op, L"rel")) {
            i += 2;
            HANDLE d, h;
            NTSTATUS st = nt_open(&d, a, FILE_LIST_DIRECTORY | SYNCHRONIZE, FILE_DIRECTORY_FILE,
                                  NULL);
            if (st < 0) {
                nterr("rel dir", st);
                continue;
            }
            st = nt_open(&h, b, GENERIC_READ | SYNCHRONIZE, FILE_NON_DIRECTORY_FILE, d);
            if (st < 0)
                nterr("rel", st);
            else {
                print_content("rel", h);
                NtClose(h);
            }
            NtClose(d);
        } else if (!wcscmp(op, L"map")) {
            i++;
            HANDLE h = CreateFileW(a, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
            if (h == INVALID_HANDLE_VALUE) {
                err("map", GetLastError());
                continue;
            }
            HANDLE m = CreateFileMappingW(h, NULL, PAGE_READONLY, 0, 0, NULL);
            const char *p = m ? MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0) : NULL;
            if (!p)
                err("map", GetLastError());
            else {
                DWORD sz = GetFileSize(h, NULL);
                printf("map: content=[%.*s]\n", (int)sz, p);
                UnmapViewOfFile(p);
            }
            if (m)
                CloseHandle(m);
            CloseHandle(h);
        } else if (!wcscmp(op, L"bench") || !wcscmp(op, L"benchlist")) {
            /* open+close (or a full listing) N times: microseconds each */
            i += 2;
            int n = _wtoi(b), list = !wcscmp(op, L"benchlist");
            LARGE_INTEGER f0, t0, t1;
            QueryPerformanceFrequency(&f0);
            QueryPerformanceCounter(&t0);
            for (int k = 0; k < n; k++) {
                if (list) {
                    WIN32_FIND_DATAW fd;
                    HANDLE f = FindFirstFileW(a, &fd);
                    if (f != INVALID_HANDLE_VALUE) {
                        while (FindNextFileW(f, &fd))
                            ;
                        FindClose(f);
                    }
                } else {
                    HANDLE h = CreateFileW(a, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                                           0, NULL);
                    if (h != INVALID_HANDLE_VALUE)
                        CloseHandle(h);
                }
            }
            QueryPerformanceCounter(&t1);
            printf("%ls: %.1f us\n", op,
                   (double)(t1.QuadPart - t0.QuadPart) * 1e6 / (double)f0.QuadPart / n);
        } else if (!wcscmp(op, L"dispo") || !wcscmp(op, L"dispoex")) {
            i += 2;
            int ex = !wcscmp(op, L"dispoex");
            HANDLE h = CreateFileW(a, DELETE | FILE_READ_ATTRIBUTES,
                                   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                                   OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
            if (h == INVALID_HANDLE_VALUE) {
                err(ex ? "dispoex" : "dispo", GetLastError());
                continue;
            }
            int bad = 0;
            for (const wchar_t *c = b; *c; c++) {
                IO_STATUS_BLOCK io;
                ULONG v = *c == L'1' ? 1 : 0;
                NTSTATUS st = NtSetInformationFile(h, &io, &v, ex ? 4 : 1,
                                                   (FILE_INFORMATION_CLASS)(ex ? 64 : 13));
                if (st < 0) {
                    nterr(ex ? "dispoex" : "dispo", st);
                    bad = 1;
                    break;
                }
            }
            CloseHandle(h);
            if (!bad)
                printf("%ls: ok\n", op);
        } else if (!wcscmp(op, L"short")) {
            i++;
            wchar_t buf[1024];
            if (GetShortPathNameW(a, buf, 1024))
                printf("short: %ls\n", buf);
            else
                err("short", GetLastError());
        } else if (!wcscmp(op, L"qdirex")) {
            /* NtQueryDirectoryFileEx on the directory of PATTERN, with its
             * last component as the mask: names, sorted */
            i++;
            typedef NTSTATUS(NTAPI * qdex_fn)(HANDLE, HANDLE, PIO_APC_ROUTINE, PVOID,
                                              PIO_STATUS_BLOCK, PVOID, ULONG, ULONG, ULONG,
                                              PUNICODE_STRING);
            qdex_fn q = (qdex_fn)(void *)GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                                      "NtQueryDirectoryFileEx");
            if (!q) {
                printf("qdirex: not exported\n");
                continue;
            }
            wchar_t dir[1024];
            wcsncpy(dir, a, 1023);
            dir[1023] = 0;
            wchar_t *sl = wcsrchr(dir, L'\\');
            if (!sl)
                continue;
            *sl = 0;
            HANDLE h = CreateFileW(dir, FILE_LIST_DIRECTORY | SYNCHRONIZE,
                                   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                                   OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
            if (h == INVALID_HANDLE_VALUE) {
                err("qdirex", GetLastError());
                continue;
            }
            UNICODE_STRING m;
            RtlInitUnicodeString(&m, sl + 1);
            static BYTE qb[65536];
            wchar_t *names[4096];
            int n = 0;
            ULONG flags = 1; /* SL_RESTART_SCAN */
            IO_STATUS_BLOCK io;
            while (q(h, NULL, NULL, NULL, &io, qb, sizeof qb, 12 /* FileNamesInformation */, flags,
                     &m) >= 0) {
                flags = 0;
                for (BYTE *e = qb;;) {
                    ULONG next = *(ULONG *)e, nl = *(ULONG *)(e + 8);
                    if (n < 4096)
                        names[n++] = _wcsdup(L"");
                    free(names[n - 1]);
                    names[n - 1] = calloc(nl / 2 + 1, 2);
                    memcpy(names[n - 1], e + 12, nl);
                    if (!next)
                        break;
                    e += next;
                }
            }
            CloseHandle(h);
            qsort(names, (size_t)n, sizeof names[0], cmpw);
            printf("qdirex: %d entries:", n);
            for (int k = 0; k < n; k++) {
                printf(" %ls", names[k]);
                free(names[k]);
            }
            printf("\n");
        } else if (!wcscmp(op, L"attrib")) {
            i += 2;
            DWORD want = (DWORD)wcstoul(b, NULL, 16);
            if (!SetFileAttributesW(a, want))
                err("attrib", GetLastError());
            else
                printf("attrib: ok attrs=0x%lx\n", (unsigned long)GetFileAttributesW(a));
        } else if (!wcscmp(op, L"reopen")) {
            i += 2;
            HANDLE r = CreateFileW(a, GENERIC_READ, 7, NULL, OPEN_EXISTING, 0, NULL);
            if (r == INVALID_HANDLE_VALUE) {
                err("reopen open", GetLastError());
                continue;
            }
            HANDLE w = ReOpenFile(r, GENERIC_WRITE, 7, 0);
            if (w == INVALID_HANDLE_VALUE) {
                err("reopen", GetLastError());
            } else {
                char buf[256];
                int n = WideCharToMultiByte(CP_UTF8, 0, b, -1, buf, sizeof buf, NULL, NULL) - 1;
                DWORD got;
                if (WriteFile(w, buf, (DWORD)n, &got, NULL))
                    printf("reopen: ok %lu\n", (unsigned long)got);
                else
                    err("reopen write", GetLastError());
                CloseHandle(w);
            }
            CloseHandle(r);
        } else if (!wcscmp(op, L"rosize")) {
            i += 2;
            HANDLE r = CreateFileW(a, GENERIC_READ, 7, NULL, OPEN_EXISTING, 0, NULL);
            if (r == INVALID_HANDLE_VALUE) {
                err("rosize open", GetLastError());
                continue;
            }
            typedef NTSTATUS(NTAPI * sinfo_fn)(HANDLE, PIO_STATUS_BLOCK, PVOID, ULONG, ULONG);
            sinfo_fn si = (sinfo_fn)(void *)GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                                           "NtSetInformationFile");
            IO_STATUS_BLOCK io;
            LARGE_INTEGER eof;
            eof.QuadPart = _wtoi(b);
            NTSTATUS st = si(r, &io, &eof, sizeof eof, 20 /* FileEndOfFileInformation */);
            if (st < 0)
                nterr("rosize", st);
            else
                printf("rosize: ok\n");
            CloseHandle(r);
        } else if (!wcscmp(op, L"sleep")) {
            i++;
            Sleep((DWORD)_wtoi(a));
        } else if (!wcscmp(op, L"hold")) {
            /* opens P for reading, sharing nothing, for MS milliseconds */
            i += 2;
            HANDLE h = CreateFileW(a, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
            if (h == INVALID_HANDLE_VALUE) {
                err("hold", GetLastError());
            } else {
                printf("hold: ok\n");
                fflush(stdout);
                Sleep((DWORD)_wtoi(b));
                CloseHandle(h);
            }
        } else {
            printf("unknown op %ls\n", op);
            return 2;
        }
    }
    return 0;
}
