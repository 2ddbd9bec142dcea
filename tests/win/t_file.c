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
 *   loaddrv NAME     NtLoadDriver(\Registry\Machine\System\CurrentControlSet\
 *                    Services\NAME): "loaddrv: status=0x..."
 *   ntacc NTPATH HEX NtCreateFile(FILE_OPEN) with exactly the access HEX:
 *                    "ntacc: ok" or "ntacc: status=0x...". With WRITE_DAC in
 *                    HEX, then a NULL DACL through it (NtSetSecurityObject):
 *                    " dacl=0x..."; with WRITE_OWNER, the user as owner:
 *                    " owner=0x..."
 *   ea NTPATH        an open for FILE_WRITE_EA, then NtSetEaFile of one EA
 *                    (PLUMEEA=val): "ea: open=0x... set=0x..."
 *   supersede NTPATH TEXT   NtCreateFile(FILE_SUPERSEDE) for writing, then
 *                    TEXT: "supersede: ok info=N" (N: the IO_STATUS_BLOCK's
 *                    Information, 0 FILE_SUPERSEDED, 2 FILE_CREATED)
 *   rawvol PATH      CreateFileW(PATH, GENERIC_READ): "rawvol: open=ok|error=N",
 *                    then a read of 512 bytes " read=ok|error=N" and a write of
 *                    the bytes read (maybe none) back at offset 0 " write=ok|error=N"
 *   ntlist DIR PATTERN CLASS   NtQueryDirectoryFile on DIR (an NT path) with
 *                    the information class CLASS, the mask PATTERN, a
 *                    256-byte buffer (several calls), then again from a
 *                    RestartScan: "ntlist: class=C calls=N n=M: NAMES" (in
 *                    the order returned), "ntlist-restart: ..." the same, and
 *                    for the classes with a size "ntlist-sizes: NAME=SIZE..."
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
typedef NTSTATUS(NTAPI *loaddrv_fn)(PUNICODE_STRING);
typedef NTSTATUS(NTAPI *setea_fn)(HANDLE, PIO_STATUS_BLOCK, PVOID, ULONG);
typedef NTSTATUS(NTAPI *setsec_fn)(HANDLE, SECURITY_INFORMATION, PSECURITY_DESCRIPTOR);
typedef NTSTATUS(NTAPI *qdir_fn)(HANDLE, HANDLE, PIO_APC_ROUTINE, PVOID, PIO_STATUS_BLOCK, PVOID,
                                 ULONG, ULONG, BOOLEAN, PUNICODE_STRING, BOOLEAN);

static void *ntfn(const char *name)
{
    return (void *)GetProcAddress(GetModuleHandleW(L"ntdll.dll"), name);
}

static NTSTATUS nt_create(HANDLE *h, const wchar_t *p, ACCESS_MASK acc, ULONG disp, ULONG opts,
                          PIO_STATUS_BLOCK io, PVOID ea, ULONG ea_len)
{
    UNICODE_STRING us;
    OBJECT_ATTRIBUTES oa;
    RtlInitUnicodeString(&us, p);
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, NULL, NULL);
    return NtCreateFile(h, acc, &oa, io, NULL, FILE_ATTRIBUTE_NORMAL,
                        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, disp, opts, ea,
                        ea_len);
}

/* The name and size of a FILE_*_INFORMATION entry of class cls. */
static void entry_name(const BYTE *e, ULONG cls, const wchar_t **name, ULONG *len, LONGLONG *size)
{
    ULONG lo = 60, no;
    switch (cls) {
    case 1: no = 64; break;   /* FileDirectoryInformation */
    case 2: no = 68; break;   /* FileFullDirectoryInformation */
    case 3: no = 94; break;   /* FileBothDirectoryInformation */
    case 12: lo = 8; no = 12; break;   /* FileNamesInformation */
    case 37: no = 104; break; /* FileIdBothDirectoryInformation */
    default: no = 80; break;  /* 38: FileIdFullDirectoryInformation */
    }
    *len = *(const ULONG *)(e + lo) / 2;
    *name = (const wchar_t *)(e + no);
    *size = cls == 12 ? -1 : *(const LONGLONG *)(e + 40);
}

/* One pass of NtQueryDirectoryFile over h (restart: RestartScan on the
 * first call); prints "TAG: class=C calls=N n=M: NAMES". */
static void list_pass(HANDLE h, const wchar_t *pattern, ULONG cls, int restart, const char *tag,
                      int sizes)
{
    static BYTE buf[256];
    static wchar_t out[65536], sz[65536];
    qdir_fn q = (qdir_fn)ntfn("NtQueryDirectoryFile");
    UNICODE_STRING m;
    RtlInitUnicodeString(&m, pattern);
    int calls = 0, n = 0;
    size_t o = 0, so = 0;
    NTSTATUS st;
    out[0] = sz[0] = 0;
    for (;;) {
        IO_STATUS_BLOCK io;
        st = q(h, NULL, NULL, NULL, &io, buf, sizeof buf, cls, FALSE,
               calls == 0 ? &m : NULL, calls == 0 && restart);
        if (st < 0) /* STATUS_NO_MORE_FILES, NO_SUCH_FILE, or an error */
            break;
        calls++;
        for (const BYTE *e = buf;;) {
            const wchar_t *name;
            ULONG len;
            LONGLONG size;
            entry_name(e, cls, &name, &len, &size);
            n++;
            o += (size_t)swprintf(out + o, 65536 - o, L" %.*ls", (int)len, name);
            if (size >= 0)
                so += (size_t)swprintf(sz + so, 65536 - so, L" %.*ls=%lld", (int)len, name, size);
            ULONG next = *(const ULONG *)e;
            if (!next)
                break;
            e += next;
        }
        if (calls > 10000)
            break;
    }
    printf("%s: class=%lu calls=%d n=%d end=0x%08lx:%ls\n", tag, (unsigned long)cls, calls, n,
           (unsigned long)st, out);
    if (sizes && cls != 12)
        printf("ntlist-sizes: class=%lu%ls\n", (unsigned long)cls, sz);
}

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
        } else if (!wcscmp(op, L"loaddrv")) {
            i++;
            wchar_t key[512];
            swprintf(key, 512, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\%ls", a);
            UNICODE_STRING us;
            RtlInitUnicodeString(&us, key);
            nterr("loaddrv", ((loaddrv_fn)ntfn("NtLoadDriver"))(&us));
        } else if (!wcscmp(op, L"ntacc")) {
            i += 2;
            ACCESS_MASK acc = (ACCESS_MASK)wcstoul(b, NULL, 16);
            HANDLE h;
            IO_STATUS_BLOCK io;
            NTSTATUS st = nt_create(&h, a, acc, FILE_OPEN, FILE_NON_DIRECTORY_FILE, &io, NULL, 0);
            if (st < 0) {
                nterr("ntacc", st);
                continue;
            }
            printf("ntacc: ok");
            setsec_fn ss = (setsec_fn)ntfn("NtSetSecurityObject");
            SECURITY_DESCRIPTOR sd;
            InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION);
            if (acc & WRITE_DAC) {
                SetSecurityDescriptorDacl(&sd, TRUE, NULL, FALSE);
                printf(" dacl=0x%08lx", (unsigned long)ss(h, DACL_SECURITY_INFORMATION, &sd));
            }
            if (acc & WRITE_OWNER) {
                HANDLE tok;
                static BYTE tu[256];
                DWORD len = 0;
                NTSTATUS os = -1;
                if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
                    if (GetTokenInformation(tok, TokenUser, tu, sizeof tu, &len) &&
                        SetSecurityDescriptorOwner(&sd, ((TOKEN_USER *)tu)->User.Sid, FALSE))
                        os = ss(h, OWNER_SECURITY_INFORMATION, &sd);
                    CloseHandle(tok);
                }
                printf(" owner=0x%08lx", (unsigned long)os);
            }
            printf("\n");
            NtClose(h);
        } else if (!wcscmp(op, L"ea")) {
            i++;
            HANDLE h;
            IO_STATUS_BLOCK io;
            NTSTATUS st = nt_create(&h, a, FILE_WRITE_EA | SYNCHRONIZE, FILE_OPEN,
                                    FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, &io,
                                    NULL, 0);
            NTSTATUS set = -1;
            if (st >= 0) {
                /* FILE_FULL_EA_INFORMATION: next, flags, name length, value
                 * length, name, NUL, value */
                static BYTE eab[64];
                memset(eab, 0, sizeof eab);
                eab[5] = 7;
                *(USHORT *)(eab + 6) = 3;
                memcpy(eab + 8, "PLUMEEA\0val", 11);
                set = ((setea_fn)ntfn("NtSetEaFile"))(h, &io, eab, 20);
                NtClose(h);
            }
            printf("ea: open=0x%08lx set=0x%08lx\n", (unsigned long)st, (unsigned long)set);
        } else if (!wcscmp(op, L"supersede")) {
            i += 2;
            HANDLE h;
            IO_STATUS_BLOCK io;
            NTSTATUS st = nt_create(&h, a, GENERIC_WRITE | SYNCHRONIZE, FILE_SUPERSEDE,
                                    FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, &io,
                                    NULL, 0);
            if (st < 0) {
                nterr("supersede", st);
                continue;
            }
            ULONG_PTR info = io.Information;
            char buf[256];
            int n = WideCharToMultiByte(CP_UTF8, 0, b, -1, buf, sizeof buf, NULL, NULL) - 1;
            DWORD w;
            if (WriteFile(h, buf, (DWORD)n, &w, NULL))
                printf("supersede: ok info=%lu\n", (unsigned long)info);
            else
                err("supersede write", GetLastError());
            NtClose(h);
        } else if (!wcscmp(op, L"rawvol")) {
            i++;
            HANDLE h = CreateFileW(a, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                                   OPEN_EXISTING, 0, NULL);
            if (h == INVALID_HANDLE_VALUE) {
                printf("rawvol: open=error=%lu\n", (unsigned long)GetLastError());
                continue;
            }
            static BYTE sec[512];
            DWORD got = 0, w = 0;
            printf("rawvol: open=ok");
            if (ReadFile(h, sec, sizeof sec, &got, NULL))
                printf(" read=ok");
            else
                printf(" read=error=%lu", (unsigned long)GetLastError());
            SetFilePointer(h, 0, NULL, FILE_BEGIN);
            /* The bytes just read, back in place (none when nothing was
             * read): even a write that went through would change nothing. */
            if (WriteFile(h, sec, got, &w, NULL))
                printf(" write=ok\n");
            else
                printf(" write=error=%lu\n", (unsigned long)GetLastError());
            CloseHandle(h);
        } else if (!wcscmp(op, L"ntlist")) {
            i += 3;
            const wchar_t *c = i - 1 < argc ? argv[i - 1] : L"12";
            HANDLE h;
            NTSTATUS st = nt_open(&h, a, FILE_LIST_DIRECTORY | SYNCHRONIZE, FILE_DIRECTORY_FILE,
                                  NULL);
            if (st < 0) {
                nterr("ntlist", st);
                continue;
            }
            ULONG cls = (ULONG)_wtoi(c);
            list_pass(h, b, cls, 0, "ntlist", 1);
            list_pass(h, b, cls, 1, "ntlist-restart", 0);
            NtClose(h);
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
