/* Live test of the hook engine under Wine (or Windows): hooks real ntdll
 * exports and checks that both the hook and the original behaviour run;
 * checks that what cannot be relocated is refused and left untouched. */
#include <windows.h>
#include <winternl.h>
#include <stdio.h>
#include <string.h>

#include "hook.h"
#include "hookplan.h"

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; \
    printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); printf(__VA_ARGS__); printf("\n"); } } while (0)

typedef NTSTATUS(NTAPI *create_file_fn)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES,
                                         PIO_STATUS_BLOCK, PLARGE_INTEGER, ULONG, ULONG, ULONG,
                                         ULONG, PVOID, ULONG);
typedef NTSTATUS(NTAPI *close_fn)(HANDLE);
typedef NTSTATUS(NTAPI *ldr_load_fn)(PWSTR, PULONG, PUNICODE_STRING, PVOID *);

static create_file_fn real_create_file;
static close_fn real_close;
static ldr_load_fn real_ldr_load;
static volatile LONG n_create, n_close, n_load;
static wchar_t last_name[512];

static NTSTATUS NTAPI my_create_file(PHANDLE h, ACCESS_MASK a, POBJECT_ATTRIBUTES oa,
                                     PIO_STATUS_BLOCK io, PLARGE_INTEGER sz, ULONG attr,
                                     ULONG share, ULONG disp, ULONG opt, PVOID ea, ULONG eal)
{
    InterlockedIncrement(&n_create);
    if (oa && oa->ObjectName) {
        size_t n = oa->ObjectName->Length / 2;
        if (n > 511)
            n = 511;
        memcpy(last_name, oa->ObjectName->Buffer, n * 2);
        last_name[n] = 0;
    }
    return real_create_file(h, a, oa, io, sz, attr, share, disp, opt, ea, eal);
}

static NTSTATUS NTAPI my_close(HANDLE h)
{
    InterlockedIncrement(&n_close);
    return real_close(h);
}

static NTSTATUS NTAPI my_ldr_load(PWSTR path, PULONG flags, PUNICODE_STRING name, PVOID *base)
{
    InterlockedIncrement(&n_load);
    return real_ldr_load(path, flags, name, base);
}

__attribute__((noinline)) static int add(int a, int b)
{
    volatile int x = a;
    return x + b;
}

static int (*real_add)(int, int);
static int my_add(int a, int b)
{
    return real_add(a, b) * 100;
}

/* Executable memory holding `code`, then CC padding. */
static BYTE *make_code(const BYTE *code, size_t n)
{
    BYTE *p = VirtualAlloc(NULL, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE);
    memset(p, 0xCC, 4096);
    memcpy(p, code, n);
    return p;
}

int main(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    BYTE *nt_create = (BYTE *)(void *)GetProcAddress(ntdll, "NtCreateFile");
    BYTE *ldr_load = (BYTE *)(void *)GetProcAddress(ntdll, "LdrLoadDll");
    const char *why = "";

    /* The syscall number, read from the stub before and after hooking. */
    int64_t sys_before = hook_syscall_number_of(nt_create);
    CHECK(sys_before >= 0, "NtCreateFile is not read as a syscall stub (%02x %02x %02x %02x)",
          nt_create[0], nt_create[1], nt_create[2], nt_create[3]);
    CHECK(hook_syscall_number_of(ldr_load) == -1, "LdrLoadDll read as a syscall stub");

    /* NtCreateFile: the hook runs and the file is really created. */
    DWORD e = hook_install(nt_create, (void *)my_create_file, (void **)&real_create_file, &why);
    CHECK(e == 0, "hook NtCreateFile: %lu %s", e, why);
    CHECK(nt_create[0] == 0xE9, "NtCreateFile not patched");
    CHECK(hook_syscall_number_of(nt_create) == sys_before, "syscall number changed after hooking");
    wchar_t path[MAX_PATH];
    GetTempPathW(MAX_PATH, path);
    wcscat(path, L"plume_test_hook.txt");
    DeleteFileW(path);
    LONG before = n_create;
    HANDLE f = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    CHECK(f != INVALID_HANDLE_VALUE, "CreateFileW failed: %lu", GetLastError());
    CHECK(n_create > before, "the NtCreateFile hook did not run");
    CHECK(wcsstr(last_name, L"plume_test_hook.txt") != NULL, "hook saw name '%ls'", last_name);
    DWORD w = 0;
    CHECK(WriteFile(f, "abc", 3, &w, NULL) && w == 3, "write failed");

    /* NtClose: the hook runs and the handle is really closed. */
    e = hook_export(L"ntdll.dll", "NtClose", (void *)my_close, (void **)&real_close, &why);
    CHECK(e == 0, "hook NtClose: %lu %s", e, why);
    before = n_close;
    CHECK(CloseHandle(f), "CloseHandle failed");
    CHECK(n_close > before, "the NtClose hook did not run");
    CHECK(GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES, "file not on disk");
    WIN32_FILE_ATTRIBUTE_DATA fad;
    CHECK(GetFileAttributesExW(path, GetFileExInfoStandard, &fad) && fad.nFileSizeLow == 3,
          "file size wrong");
    CHECK(!CloseHandle((HANDLE)(ULONG_PTR)0x12345678) &&
          GetLastError() == ERROR_INVALID_HANDLE, "bad handle not refused through the hook");
    DeleteFileW(path);

    /* LdrLoadDll: Wine's hot-patch prologue (lea rsp,[rsp+0]). */
    printf("LdrLoadDll starts %02x %02x %02x %02x %02x %02x %02x %02x\n", ldr_load[0],
           ldr_load[1], ldr_load[2], ldr_load[3], ldr_load[4], ldr_load[5], ldr_load[6],
           ldr_load[7]);
    e = hook_install(ldr_load, (void *)my_ldr_load, (void **)&real_ldr_load, &why);
    CHECK(e == 0, "hook LdrLoadDll: %lu %s", e, why);
    before = n_load;
    HMODULE ver = LoadLibraryW(L"version.dll");
    CHECK(ver != NULL, "LoadLibrary failed: %lu", GetLastError());
    CHECK(n_load > before, "the LdrLoadDll hook did not run");
    CHECK(ver && GetProcAddress(ver, "GetFileVersionInfoSizeW") != NULL, "module not usable");

    /* A function of our own. */
    e = hook_install((void *)add, (void *)my_add, (void **)&real_add, &why);
    CHECK(e == 0, "hook add: %lu %s", e, why);
    CHECK(add(2, 3) == 500, "hooked add gave %d", add(2, 3));

    /* Hooking twice is refused. */
    void *dummy;
    e = hook_install(nt_create, (void *)my_create_file, &dummy, &why);
    CHECK(e != 0, "a second hook on NtCreateFile was accepted");

    /* What cannot be relocated is refused and left as it was. */
    static const BYTE loop_fn[] = { 0xE3, 0x02, 0x31, 0xC0, 0x48, 0x89, 0xC8, 0xC3 };
    static const BYTE tiny_fn[] = { 0x31, 0xC0, 0xC3, 0x48, 0x89, 0xC8, 0xC3 };
    static const BYTE bad_fn[] = { 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    const BYTE *cases[] = { loop_fn, tiny_fn, bad_fn };
    size_t sizes[] = { sizeof loop_fn, sizeof tiny_fn, sizeof bad_fn };
    for (int i = 0; i < 3; i++) {
        BYTE *p = make_code(cases[i], sizes[i]);
        BYTE copy[32];
        memcpy(copy, p, 32);
        why = "";
        e = hook_install(p, (void *)my_add, &dummy, &why);
        CHECK(e != 0, "unrelocatable case %d was accepted", i);
        CHECK(why[0] != 0, "no reason given for case %d", i);
        CHECK(memcmp(copy, p, 32) == 0, "refused case %d was modified", i);
        printf("refused case %d: %s\n", i, why);
    }
    /* A tiny function followed by padding is fine. */
    static const BYTE pad_fn[] = { 0x31, 0xC0, 0xC3, 0xCC, 0xCC, 0xCC };
    BYTE *p = make_code(pad_fn, sizeof pad_fn);
    e = hook_install(p, (void *)my_add, &dummy, &why);
    CHECK(e == 0, "padded tiny function refused: %s", why);

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
