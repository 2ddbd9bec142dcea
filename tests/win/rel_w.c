/* Writer and checker of the reliability tests (tests/fault/diskfull.sh,
 * tests/fault/hammer.sh). Run in a VM or on the host.
 *
 *   rel_w append PATH N      opens PATH (an existing file) for append and
 *                            appends N bytes 'x': prints "ok", or
 *                            "open error E" / "write error E" (Win32 codes)
 *   rel_w size PATH          prints "size N" (or "error E")
 *   rel_w setup DIR          (host) DIR\f0..f63.dat and HKLM\Software\PlumeHammer
 *                            v0..v7, all "init" records
 *   rel_w cleanup DIR        (host) removes them
 *   rel_w hammer TAG SECS DIR  rewrites the 64 files and 8 values with
 *                            records of TAG for SECS seconds, reads each
 *                            back and checks it; releases the named
 *                            semaphore Local\PlumeHammerSem and increments
 *                            a counter in the named section
 *                            Local\PlumeHammerMap once per round. Prints
 *                            "BAD ..." for each broken invariant, then
 *                            "final f<i> <seq>", "final v<i> <seq>" and
 *                            "done TAG rounds N sem P map M bad B"
 *   rel_w svcstart NAME      StartServiceW: prints "start NAME: ok" or
 *                            "start NAME: error E" (the Win32 code)
 *   rel_w verify TAG DIR     prints "now f<i> <tag> <seq>" and
 *                            "now v<i> <tag> <seq>" for each file and value
 *                            (tag "TORN" for a record that is not whole)
 *
 * A file record: 4096 bytes, "TAG:SEQ" in the first 32 (0-padded), then a
 * pattern of (TAG, SEQ), then a 32-bit checksum of the rest. The host
 * writes its records atomically (a temporary file, then MoveFileEx); a VM
 * rewrites the file in place (open existing: a copy-up with data). */
#include <windows.h>
#include <winsvc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define NF 64 /* files f0..f63 */
#define NV 8  /* values v0..v7 */
#define REC 4096
#define KEY L"Software\\PlumeHammer"

static unsigned g_bad;

static uint32_t sum32(const unsigned char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void make_rec(unsigned char *r, const char *tag, unsigned seq)
{
    memset(r, 0, REC);
    snprintf((char *)r, 32, "%s:%u", tag, seq);
    uint32_t x = sum32(r, 32);
    for (size_t i = 32; i < REC - 4; i++) {
        x = x * 1103515245u + 12345u;
        r[i] = (unsigned char)(x >> 16);
    }
    uint32_t s = sum32(r, REC - 4);
    memcpy(r + REC - 4, &s, 4);
}

/* Parses a record: 1 whole (tag, seq filled), 0 torn. */
static int parse_rec(const unsigned char *r, size_t n, char *tag, unsigned *seq)
{
    if (n != REC)
        return 0;
    char head[33];
    memcpy(head, r, 32);
    head[32] = 0;
    char *c = strchr(head, ':');
    if (!c)
        return 0;
    *c = 0;
    if (strlen(head) > 15)
        return 0;
    strcpy(tag, head);
    *seq = (unsigned)strtoul(c + 1, NULL, 10);
    static unsigned char want[REC];
    make_rec(want, tag, *seq);
    return !memcmp(want, r, REC);
}

static void fpath(wchar_t *buf, const wchar_t *dir, int i, const wchar_t *ext)
{
    _snwprintf(buf, MAX_PATH, L"%ls\\f%d.%ls", dir, i, ext);
    buf[MAX_PATH - 1] = 0;
}

/* Reads file i: 1 whole, 0 torn, -1 cannot read (err in *e). */
static int read_file(const wchar_t *dir, int i, char *tag, unsigned *seq, DWORD *e)
{
    wchar_t p[MAX_PATH];
    fpath(p, dir, i, L"dat");
    static unsigned char b[REC + 16];
    HANDLE h = CreateFileW(p, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        *e = GetLastError();
        return -1;
    }
    DWORD got = 0, total = 0;
    while (total < sizeof b && ReadFile(h, b + total, sizeof b - total, &got, NULL) && got)
        total += got;
    CloseHandle(h);
    return parse_rec(b, total, tag, seq);
}

static DWORD write_file(const wchar_t *dir, int i, const char *tag, unsigned seq, int atomic)
{
    static unsigned char r[REC];
    make_rec(r, tag, seq);
    wchar_t p[MAX_PATH], t[MAX_PATH];
    fpath(p, dir, i, L"dat");
    DWORD e = 0, n = 0;
    if (atomic) {
        _snwprintf(t, MAX_PATH, L"%ls\\f%d.%lu.tmp", dir, i, GetCurrentProcessId());
        t[MAX_PATH - 1] = 0;
        HANDLE h = CreateFileW(t, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
        if (h == INVALID_HANDLE_VALUE)
            return GetLastError();
        if (!WriteFile(h, r, REC, &n, NULL) || n != REC)
            e = GetLastError() ? GetLastError() : ERROR_WRITE_FAULT;
        CloseHandle(h);
        if (!e && !MoveFileExW(t, p, MOVEFILE_REPLACE_EXISTING))
            e = GetLastError();
        if (e)
            DeleteFileW(t);
        return e;
    }
    HANDLE h = CreateFileW(p, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return GetLastError();
    if (!WriteFile(h, r, REC, &n, NULL) || n != REC || !SetEndOfFile(h))
        e = GetLastError() ? GetLastError() : ERROR_WRITE_FAULT;
    CloseHandle(h);
    return e;
}

/* Value i: 1 parsed, -1 error. */
static int read_val(HKEY k, int i, char *tag, unsigned *seq)
{
    wchar_t name[16], data[64];
    _snwprintf(name, 16, L"v%d", i);
    DWORD type, size = sizeof data - 2;
    memset(data, 0, sizeof data);
    if (RegQueryValueExW(k, name, NULL, &type, (BYTE *)data, &size) || type != REG_SZ)
        return -1;
    char a[64];
    WideCharToMultiByte(CP_UTF8, 0, data, -1, a, sizeof a, NULL, NULL);
    char *c = strchr(a, ':');
    if (!c)
        return 0;
    *c = 0;
    snprintf(tag, 16, "%s", a);
    *seq = (unsigned)strtoul(c + 1, NULL, 10);
    return 1;
}

static DWORD write_val(HKEY k, int i, const char *tag, unsigned seq)
{
    wchar_t name[16], data[64];
    _snwprintf(name, 16, L"v%d", i);
    _snwprintf(data, 64, L"%hs:%u", tag, seq);
    return RegSetValueExW(k, name, 0, REG_SZ, (const BYTE *)data,
                          (DWORD)(wcslen(data) + 1) * sizeof(wchar_t));
}

static void bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("BAD ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    g_bad++;
}

/* May this runner see a record of tag t? Its own; the host's and the
 * initial ones (for a VM: until it wrote its own). */
static int foreign(const char *me, const char *t)
{
    return strcmp(t, me) && strcmp(t, "init") && strcmp(t, "host");
}

static int hammer(const char *tag, int secs, const wchar_t *dir)
{
    int host = !strcmp(tag, "host");
    HKEY k;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, KEY, 0, KEY_QUERY_VALUE | KEY_SET_VALUE, &k)) {
        bad("cannot open HKLM\\%ls", KEY);
        return 1;
    }
    HANDLE sem = CreateSemaphoreW(NULL, 0, 0x7fffffff, L"Local\\PlumeHammerSem");
    HANDLE map = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096,
                                    L"Local\\PlumeHammerMap");
    volatile LONG *ctr = map ? MapViewOfFile(map, FILE_MAP_WRITE, 0, 0, 4096) : NULL;
    if (!sem || !ctr) {
        bad("named objects: error %lu", GetLastError());
        return 1;
    }
    unsigned fseq[NF] = { 0 }, vseq[NV] = { 0 };
    unsigned rounds = 0, ferr = 0;
    DWORD end = GetTickCount() + (DWORD)secs * 1000;
    while ((LONG)(GetTickCount() - end) < 0) {
        unsigned seq = ++rounds;
        int i = (int)(seq % NF), j = (int)(seq % NV);
        char t[16];
        unsigned s;
        DWORD e;
        /* the file: read (whole, allowed tag, our last write), rewrite */
        int r = read_file(dir, i, t, &s, &e);
        if (r == 0)
            bad("f%d torn (round %u)", i, seq);
        else if (r < 0 && e != ERROR_SHARING_VIOLATION && e != ERROR_ACCESS_DENIED)
            bad("f%d unreadable: %lu", i, e);
        else if (r > 0 && foreign(tag, t))
            bad("f%d has a record of %s", i, t);
        else if (r > 0 && fseq[i] && (strcmp(t, tag) || s != fseq[i]))
            bad("f%d: %s:%u, not our last write %u", i, t, s, fseq[i]);
        e = write_file(dir, i, tag, seq, host);
        if (!e)
            fseq[i] = seq;
        else if (e == ERROR_SHARING_VIOLATION || e == ERROR_ACCESS_DENIED)
            ferr++; /* the host's rename met an open handle: retried next round */
        else
            bad("f%d: write error %lu", i, e);
        /* the value */
        r = read_val(k, j, t, &s);
        if (r <= 0)
            bad("v%d unreadable", j);
        else if (foreign(tag, t))
            bad("v%d has a value of %s", j, t);
        else if (vseq[j] && (strcmp(t, tag) || s != vseq[j]))
            bad("v%d: %s:%u, not our last write %u", j, t, s, vseq[j]);
        if ((e = write_val(k, j, tag, seq)) != 0)
            bad("v%d: set error %lu", j, e);
        else
            vseq[j] = seq;
        /* the objects */
        if (!ReleaseSemaphore(sem, 1, NULL))
            bad("ReleaseSemaphore: %lu", GetLastError());
        InterlockedIncrement(ctr);
    }
    LONG prev = -1;
    ReleaseSemaphore(sem, 1, &prev);
    for (int i = 0; i < NF; i++)
        printf("final f%d %u\n", i, fseq[i]);
    for (int i = 0; i < NV; i++)
        printf("final v%d %u\n", i, vseq[i]);
    printf("retried %u\n", ferr);
    printf("done %s rounds %u sem %ld map %ld bad %u\n", tag, rounds, prev, (long)*ctr, g_bad);
    RegCloseKey(k);
    return g_bad ? 1 : 0;
}

static int verify(const wchar_t *dir)
{
    HKEY k;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, KEY, 0, KEY_QUERY_VALUE, &k)) {
        printf("no key\n");
        return 1;
    }
    for (int i = 0; i < NF; i++) {
        char t[16] = "?";
        unsigned s = 0;
        DWORD e = 0;
        int r = read_file(dir, i, t, &s, &e);
        if (r < 0)
            printf("now f%d ERR %lu\n", i, e);
        else
            printf("now f%d %s %u\n", i, r ? t : "TORN", s);
    }
    for (int i = 0; i < NV; i++) {
        char t[16] = "?";
        unsigned s = 0;
        int r = read_val(k, i, t, &s);
        printf("now v%d %s %u\n", i, r > 0 ? t : "TORN", r > 0 ? s : 0);
    }
    RegCloseKey(k);
    return 0;
}

int wmain(int argc, wchar_t **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc >= 4 && !wcscmp(argv[1], L"append")) {
        HANDLE h = CreateFileW(argv[2], FILE_APPEND_DATA, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0,
                               NULL);
        if (h == INVALID_HANDLE_VALUE) {
            printf("open error %lu\n", GetLastError());
            return 1;
        }
        DWORD n = (DWORD)_wtoi(argv[3]), w = 0;
        char *b = malloc(n ? n : 1);
        memset(b, 'x', n);
        BOOL ok = WriteFile(h, b, n, &w, NULL);
        DWORD e = ok ? (w == n ? 0 : ERROR_WRITE_FAULT) : GetLastError();
        if (!e && !CloseHandle(h))
            e = GetLastError();
        if (e) {
            printf("write error %lu\n", e);
            return 1;
        }
        printf("ok\n");
        return 0;
    }
    if (argc >= 3 && !wcscmp(argv[1], L"size")) {
        WIN32_FILE_ATTRIBUTE_DATA a;
        if (!GetFileAttributesExW(argv[2], GetFileExInfoStandard, &a)) {
            printf("error %lu\n", GetLastError());
            return 1;
        }
        printf("size %llu\n", (unsigned long long)a.nFileSizeHigh << 32 | a.nFileSizeLow);
        return 0;
    }
    if (argc >= 3 && !wcscmp(argv[1], L"setup")) {
        CreateDirectoryW(argv[2], NULL);
        HKEY k;
        if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, KEY, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL))
            return 1;
        for (int i = 0; i < NF; i++)
            if (write_file(argv[2], i, "init", 0, 1) || (i < NV && write_val(k, i, "init", 0)))
                return 1;
        RegCloseKey(k);
        printf("setup ok\n");
        return 0;
    }
    if (argc >= 3 && !wcscmp(argv[1], L"cleanup")) {
        for (int i = 0; i < NF; i++) {
            wchar_t p[MAX_PATH];
            fpath(p, argv[2], i, L"dat");
            DeleteFileW(p);
        }
        RemoveDirectoryW(argv[2]);
        RegDeleteKeyW(HKEY_LOCAL_MACHINE, KEY);
        return 0;
    }
    if (argc >= 5 && !wcscmp(argv[1], L"hammer")) {
        char tag[16];
        WideCharToMultiByte(CP_UTF8, 0, argv[2], -1, tag, sizeof tag, NULL, NULL);
        tag[15] = 0;
        return hammer(tag, _wtoi(argv[3]), argv[4]);
    }
    if (argc >= 3 && !wcscmp(argv[1], L"svcstart")) {
        SC_HANDLE m = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
        SC_HANDLE h = m ? OpenServiceW(m, argv[2], SERVICE_START) : NULL;
        BOOL ok = h && StartServiceW(h, 0, NULL);
        DWORD e = ok ? 0 : GetLastError();
        if (h)
            CloseServiceHandle(h);
        if (m)
            CloseServiceHandle(m);
        if (ok)
            printf("start %ls: ok\n", argv[2]);
        else
            printf("start %ls: error %lu\n", argv[2], e);
        return ok ? 0 : 1;
    }
    if (argc >= 4 && !wcscmp(argv[1], L"verify"))
        return verify(argv[3]);
    fprintf(stderr, "usage: see tests/win/rel_w.c\n");
    return 2;
}
