/* Fault-injection probe (tests/fault/kills.sh): the writer that is killed,
 * and the checks that run in the VM (or on the host) after a kill.
 *
 * Usage: fault_w OP ARGS [OP ARGS...]; ops run in order, each prints one
 * line on stdout (flushed at once, so that a line printed is a line the
 * driver sees even when the process is killed right after):
 *
 *   kill MS            a thread ends this process with TerminateProcess
 *                      MS milliseconds from now (MS <= 0: no kill)
 *   fappend PATH TOK   opens PATH for append (a host file: copy-up), writes
 *                      the 16-byte record "R<TOK>\n" (TOK: 14 characters),
 *                      flushes, closes; prints "ack TOK"
 *   fcheck PATH HSIZE  reads PATH as the VM sees it: its first HSIZE bytes
 *                      must be the host pattern ('a' + i % 26), the rest
 *                      whole records; prints "fcheck PATH ok|TORN size=N
 *                      recs=TOK,TOK,..."
 *   rmake KEY V        (host) creates HKLM\KEY with values v00000.. v<V-1>
 *   rset KEY TOK       opens HKLM\KEY for KEY_SET_VALUE (copy-up), sets
 *                      value "a<TOK>"; prints "ack TOK"
 *   rcheck KEY V       reads HKLM\KEY as the VM sees it: counts the host
 *                      values present with the right data; prints
 *                      "rcheck vals=N/V bad=B acks=TOK,..."
 *   gen DIR G N        writes DIR\fNN (N files, generation G content) and
 *                      HKLM\Software\PlumeFault\C vNN = "gen G"
 *   hostreg G N        (host) checks HKLM\Software\PlumeFault\C vNN: prints
 *                      "hostreg new=X old=Y other=Z" (new: "gen G")
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define GEN_SIZE (256 * 1024)

static DWORD WINAPI killer(void *p)
{
    Sleep((DWORD)(ULONG_PTR)p);
    TerminateProcess(GetCurrentProcess(), 9);
    return 0;
}

static void vdata(wchar_t *buf, int i)   /* a host value's data */
{
    swprintf(buf, 64, L"host-value-%05d-padding-padding-padding", i);
}

static void fcheck(const wchar_t *path, long long hsize)
{
    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        printf("fcheck %ls error=%lu\n", path, GetLastError());
        return;
    }
    static char buf[1 << 20];
    long long off = 0;
    int torn = 0;
    size_t rcap = 1 << 16, rn = 0;
    char *recs = malloc(rcap);
    char rec[16];
    int rfill = 0;
    DWORD got;
    while (ReadFile(h, buf, sizeof buf, &got, NULL) && got > 0) {
        for (DWORD i = 0; i < got; i++, off++) {
            if (off < hsize) {
                if (buf[i] != 'a' + (char)(off % 26))
                    torn = 1;
            } else {
                rec[rfill++] = buf[i];
                if (rfill == 16) {
                    rfill = 0;
                    if (rec[0] != 'R' || rec[15] != '\n')
                        torn = 1;
                    else if (rn + 16 < rcap) {
                        memcpy(recs + rn, rec + 1, 14);
                        recs[rn + 14] = ',';
                        rn += 15;
                    }
                }
            }
        }
    }
    CloseHandle(h);
    if (off < hsize || rfill != 0)
        torn = 1;
    recs[rn] = 0;
    printf("fcheck %ls %s size=%lld recs=%s\n", path, torn ? "TORN" : "ok", off, recs);
    free(recs);
}

static void rcheck(const wchar_t *key, int v)
{
    HKEY k;
    LONG e = RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_QUERY_VALUE, &k);
    if (e) {
        printf("rcheck error=%ld\n", e);
        return;
    }
    int good = 0, bad = 0;
    char acks[8192];
    size_t an = 0;
    acks[0] = 0;
    for (DWORD i = 0;; i++) {
        wchar_t name[256], data[128], want[64];
        DWORD nl = 256, dl = sizeof data, type;
        e = RegEnumValueW(k, i, name, &nl, NULL, &type, (BYTE *)data, &dl);
        if (e == ERROR_NO_MORE_ITEMS)
            break;
        if (e) {
            bad++;
            continue;
        }
        if (name[0] == L'v') {
            vdata(want, _wtoi(name + 1));
            if (type == REG_SZ && !wcscmp(data, want))
                good++;
            else
                bad++;
        } else if (name[0] == L'a' && an + 20 < sizeof acks) {
            an += (size_t)snprintf(acks + an, sizeof acks - an, "%ls,", name + 1);
        }
    }
    RegCloseKey(k);
    printf("rcheck vals=%d/%d bad=%d acks=%s\n", good, v, bad, acks);
}

int wmain(int argc, wchar_t **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int i = 1; i < argc; i++) {
        const wchar_t *op = argv[i];
        const wchar_t *a = i + 1 < argc ? argv[i + 1] : L"";
        const wchar_t *b = i + 2 < argc ? argv[i + 2] : L"";
        const wchar_t *c = i + 3 < argc ? argv[i + 3] : L"";
        if (!wcscmp(op, L"kill")) {
            int ms = _wtoi(a);
            if (ms > 0)
                CloseHandle(CreateThread(NULL, 0, killer, (void *)(ULONG_PTR)ms, 0, NULL));
            i += 1;
        } else if (!wcscmp(op, L"fappend")) {
            HANDLE h = CreateFileW(a, FILE_APPEND_DATA | SYNCHRONIZE, FILE_SHARE_READ, NULL,
                                   OPEN_EXISTING, 0, NULL);
            if (h == INVALID_HANDLE_VALUE) {
                printf("fappend error=%lu\n", GetLastError());
            } else {
                char rec[17];
                snprintf(rec, sizeof rec, "R%-14.14ls\n", b);
                DWORD put = 0;
                BOOL ok = WriteFile(h, rec, 16, &put, NULL) && put == 16 && FlushFileBuffers(h);
                BOOL cl = CloseHandle(h);
                if (ok && cl)
                    printf("ack %.14s\n", rec + 1);
                else
                    printf("fappend error=%lu\n", GetLastError());
            }
            i += 2;
        } else if (!wcscmp(op, L"fcheck")) {
            fcheck(a, _wtoi64(b));
            i += 2;
        } else if (!wcscmp(op, L"rmake")) {
            HKEY k;
            LONG e = RegCreateKeyExW(HKEY_LOCAL_MACHINE, a, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL);
            int n = _wtoi(b);
            for (int j = 0; !e && j < n; j++) {
                wchar_t name[16], d[64];
                swprintf(name, 16, L"v%05d", j);
                vdata(d, j);
                e = RegSetValueExW(k, name, 0, REG_SZ, (BYTE *)d, (DWORD)(wcslen(d) + 1) * 2);
            }
            if (!e)
                RegCloseKey(k);
            printf("rmake %s\n", e ? "error" : "ok");
            i += 2;
        } else if (!wcscmp(op, L"rset")) {
            HKEY k;
            LONG e = RegOpenKeyExW(HKEY_LOCAL_MACHINE, a, 0, KEY_SET_VALUE, &k);
            if (!e) {
                wchar_t name[32];
                DWORD one = 1;
                swprintf(name, 32, L"a%ls", b);
                e = RegSetValueExW(k, name, 0, REG_DWORD, (BYTE *)&one, sizeof one);
                RegCloseKey(k);
            }
            if (e)
                printf("rset error=%ld\n", e);
            else
                printf("ack %ls\n", b);
            i += 2;
        } else if (!wcscmp(op, L"rcheck")) {
            rcheck(a, _wtoi(b));
            i += 2;
        } else if (!wcscmp(op, L"gen")) {
            int g = _wtoi(b), n = _wtoi(c), fails = 0;
            char *buf = malloc(GEN_SIZE);
            memset(buf, 'A' + g % 26, GEN_SIZE);
            int hl = snprintf(buf, 64, "gen %d\n", g);
            buf[hl] = 'A' + g % 26;
            HKEY k = NULL;
            if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, L"Software\\PlumeFault\\C", 0, NULL, 0,
                                KEY_ALL_ACCESS, NULL, &k, NULL))
                fails++;
            for (int j = 0; j < n; j++) {
                wchar_t p[MAX_PATH], name[16], d[32];
                swprintf(p, MAX_PATH, L"%ls\\f%02d", a, j);
                HANDLE h = CreateFileW(p, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
                DWORD put = 0;
                if (h == INVALID_HANDLE_VALUE || !WriteFile(h, buf, GEN_SIZE, &put, NULL) ||
                    put != GEN_SIZE)
                    fails++;
                if (h != INVALID_HANDLE_VALUE)
                    CloseHandle(h);
                swprintf(name, 16, L"v%02d", j);
                swprintf(d, 32, L"gen %d", g);
                if (k && RegSetValueExW(k, name, 0, REG_SZ, (BYTE *)d, (DWORD)(wcslen(d) + 1) * 2))
                    fails++;
            }
            if (k)
                RegCloseKey(k);
            free(buf);
            printf("gen %d %s\n", g, fails ? "FAILED" : "done");
            i += 3;
        } else if (!wcscmp(op, L"hostreg")) {
            int g = _wtoi(a), n = _wtoi(b), nw = 0, old = 0, other = 0;
            HKEY k;
            if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"Software\\PlumeFault\\C", 0, KEY_QUERY_VALUE, &k)) {
                printf("hostreg error\n");
            } else {
                for (int j = 0; j < n; j++) {
                    wchar_t name[16], d[32], w[32], o[32];
                    DWORD dl = sizeof d;
                    swprintf(name, 16, L"v%02d", j);
                    swprintf(w, 32, L"gen %d", g);
                    swprintf(o, 32, L"gen %d", g - 1);
                    if (RegQueryValueExW(k, name, NULL, NULL, (BYTE *)d, &dl))
                        d[0] = 0;
                    if (!wcscmp(d, w))
                        nw++;
                    else if (!wcscmp(d, o))
                        old++;
                    else
                        other++;
                }
                RegCloseKey(k);
                printf("hostreg new=%d old=%d other=%d\n", nw, old, other);
            }
            i += 2;
        } else {
            printf("unknown op %ls\n", op);
            return 2;
        }
    }
    return 0;
}
