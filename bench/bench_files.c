/* File-heavy workload: unpack a tree of small files from an archive, read
 * every file back and check it, then delete the tree. bench/run runs it
 * natively and inside a VM, interleaved, and takes medians.
 *
 *   bench_files pack ARCHIVE N    writes an archive of N files (100 bytes to
 *                                 4 KiB each, in N/100 folders)
 *   bench_files run ARCHIVE DIR   unpacks ARCHIVE under DIR (which must not
 *                                 exist), reads each file back and compares
 *                                 it, deletes the tree; prints
 *                                 "unpack_ms X", "read_ms Y", "delete_ms Z"
 *
 * Archive: "PLBF", u32 count; then per file: u16 name bytes, the name
 * (UTF-16, relative, "dNN\fNNNN.dat"), u32 size, the bytes. */
#include <windows.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static double now_ms(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart * 1000.0 / (double)f.QuadPart;
}

static int pack(const wchar_t *path, int n)
{
    HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "bench_files: cannot create the archive (%lu)\n", GetLastError());
        return 1;
    }
    DWORD w;
    uint32_t count = (uint32_t)n, seed = 12345;
    WriteFile(h, "PLBF", 4, &w, NULL);
    WriteFile(h, &count, 4, &w, NULL);
    static unsigned char data[4096];
    for (int i = 0; i < n; i++) {
        wchar_t name[64];
        int len = swprintf(name, 64, L"d%02d\\f%04d.dat", i / 100, i);
        uint16_t nb = (uint16_t)(len * 2);
        seed = seed * 1103515245u + 12345u;
        uint32_t size = 100 + (seed >> 8) % 3997;
        for (uint32_t k = 0; k < size; k++)
            data[k] = (unsigned char)('a' + (k * 7 + (uint32_t)i) % 26);
        WriteFile(h, &nb, 2, &w, NULL);
        WriteFile(h, name, nb, &w, NULL);
        WriteFile(h, &size, 4, &w, NULL);
        WriteFile(h, data, size, &w, NULL);
    }
    CloseHandle(h);
    return 0;
}

struct entry {
    wchar_t name[64];
    const unsigned char *data;
    uint32_t size;
};

static int run(const wchar_t *archive, const wchar_t *dir)
{
    HANDLE h = CreateFileW(archive, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "bench_files: cannot open the archive (%lu)\n", GetLastError());
        return 1;
    }
    double t0 = now_ms();
    DWORD size = GetFileSize(h, NULL), got = 0;
    unsigned char *buf = malloc(size);
    if (!buf || !ReadFile(h, buf, size, &got, NULL) || got != size || memcmp(buf, "PLBF", 4)) {
        fprintf(stderr, "bench_files: cannot read the archive\n");
        return 1;
    }
    CloseHandle(h);
    uint32_t n;
    memcpy(&n, buf + 4, 4);
    struct entry *e = calloc(n, sizeof *e);
    size_t off = 8;
    for (uint32_t i = 0; i < n; i++) {
        uint16_t nb;
        memcpy(&nb, buf + off, 2);
        off += 2;
        memcpy(e[i].name, buf + off, nb < 126 ? nb : 126);
        off += nb;
        memcpy(&e[i].size, buf + off, 4);
        off += 4;
        e[i].data = buf + off;
        off += e[i].size;
    }
    /* Unpack: the folders, then each file. */
    wchar_t path[MAX_PATH], last[MAX_PATH] = L"";
    if (!CreateDirectoryW(dir, NULL)) {
        fprintf(stderr, "bench_files: cannot create %ls (%lu)\n", dir, GetLastError());
        return 1;
    }
    for (uint32_t i = 0; i < n; i++) {
        wchar_t sub[64];
        wcscpy(sub, e[i].name);
        *wcschr(sub, L'\\') = 0;
        if (wcscmp(sub, last)) {
            swprintf(path, MAX_PATH, L"%ls\\%ls", dir, sub);
            if (!CreateDirectoryW(path, NULL)) {
                fprintf(stderr, "bench_files: mkdir %ls (%lu)\n", path, GetLastError());
                return 1;
            }
            wcscpy(last, sub);
        }
        swprintf(path, MAX_PATH, L"%ls\\%ls", dir, e[i].name);
        HANDLE f = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, 0, NULL);
        DWORD w;
        if (f == INVALID_HANDLE_VALUE || !WriteFile(f, e[i].data, e[i].size, &w, NULL) ||
            w != e[i].size) {
            fprintf(stderr, "bench_files: write %ls (%lu)\n", path, GetLastError());
            return 1;
        }
        CloseHandle(f);
    }
    double t1 = now_ms();
    /* Read back and compare. */
    static unsigned char rb[8192];
    for (uint32_t i = 0; i < n; i++) {
        swprintf(path, MAX_PATH, L"%ls\\%ls", dir, e[i].name);
        HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
        DWORD r = 0;
        if (f == INVALID_HANDLE_VALUE || !ReadFile(f, rb, sizeof rb, &r, NULL) || r != e[i].size ||
            memcmp(rb, e[i].data, r)) {
            fprintf(stderr, "bench_files: read back %ls: wrong (%lu)\n", path, GetLastError());
            return 1;
        }
        CloseHandle(f);
    }
    double t2 = now_ms();
    /* Delete the tree. */
    last[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        swprintf(path, MAX_PATH, L"%ls\\%ls", dir, e[i].name);
        if (!DeleteFileW(path)) {
            fprintf(stderr, "bench_files: delete %ls (%lu)\n", path, GetLastError());
            return 1;
        }
        if (i + 1 == n || wcsncmp(e[i].name, e[i + 1].name, 3)) {
            wchar_t sub[64];
            wcscpy(sub, e[i].name);
            *wcschr(sub, L'\\') = 0;
            swprintf(path, MAX_PATH, L"%ls\\%ls", dir, sub);
            RemoveDirectoryW(path);
        }
    }
    RemoveDirectoryW(dir);
    double t3 = now_ms();
    printf("unpack_ms %.3f\nread_ms %.3f\ndelete_ms %.3f\n", t1 - t0, t2 - t1, t3 - t2);
    free(e);
    free(buf);
    return 0;
}

int wmain(int argc, wchar_t **argv)
{
    if (argc == 4 && !wcscmp(argv[1], L"pack"))
        return pack(argv[2], _wtoi(argv[3]) > 0 ? _wtoi(argv[3]) : 5000);
    if (argc == 4 && !wcscmp(argv[1], L"run"))
        return run(argv[2], argv[3]);
    fprintf(stderr, "usage: bench_files pack ARCHIVE N | run ARCHIVE DIR\n");
    return 2;
}
