/* Import-table injection into a suspended process (see boot.h). */
#include "inject.h"

#include <winternl.h>
#include <stddef.h>

typedef NTSTATUS(NTAPI *query_process_fn)(HANDLE, PROCESSINFOCLASS, PVOID, ULONG, PULONG);

#define BLOCK_CAP 12288

static int rd(HANDLE p, const void *addr, void *buf, SIZE_T n)
{
    SIZE_T got = 0;
    return ReadProcessMemory(p, addr, buf, n, &got) && got == n;
}

/* Reserves a block within 4 GB above the image (import RVAs are 32-bit). */
static BYTE *alloc_above(HANDLE p, BYTE *base, DWORD image_size, SIZE_T size)
{
    const ULONG_PTR gran = 0x10000;
    ULONG_PTR a = ((ULONG_PTR)base + image_size + gran - 1) & ~(gran - 1);
    ULONG_PTR limit = (ULONG_PTR)base + 0xFFF00000ull - size;
    while (a < limit) {
        MEMORY_BASIC_INFORMATION mbi;
        if (!VirtualQueryEx(p, (void *)a, &mbi, sizeof mbi))
            return NULL;
        if (mbi.State == MEM_FREE) {
            BYTE *r = VirtualAllocEx(p, (void *)a, size, MEM_RESERVE | MEM_COMMIT,
                                     PAGE_READWRITE);
            if (r)
                return r;
        }
        ULONG_PTR next = (ULONG_PTR)mbi.BaseAddress + mbi.RegionSize;
        a = (next + gran - 1) & ~(gran - 1);
        if (a <= (ULONG_PTR)mbi.BaseAddress)
            break;
    }
    return NULL;
}

static int to_ansi_path(const uint16_t *w, char *out, size_t cap)
{
    /* The loader wants an ANSI name; use the short form for non-ASCII. */
    wchar_t shortp[PLUME_BOOT_PATH];
    const wchar_t *src = (const wchar_t *)w;
    for (const uint16_t *q = w; *q; q++)
        if (*q > 0x7e) {
            DWORD n = GetShortPathNameW(src, shortp, PLUME_BOOT_PATH);
            if (n == 0 || n >= PLUME_BOOT_PATH)
                return 0;
            src = shortp;
            break;
        }
    size_t i = 0;
    for (; src[i]; i++) {
        if (src[i] > 0x7e || i + 1 >= cap)
            return 0;
        out[i] = (char)src[i];
    }
    out[i] = 0;
    return i > 0;
}

DWORD plume_inject(HANDLE process, const plume_boot *boot)
{
    static query_process_fn query;
    if (!query)
        query = (query_process_fn)(void *)GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                                        "NtQueryInformationProcess");
    PROCESS_BASIC_INFORMATION pbi;
    ULONG rl;
    if (!query || query(process, ProcessBasicInformation, &pbi, sizeof pbi, &rl) < 0)
        return ERROR_ACCESS_DENIED;

    BYTE *base = NULL;
    if (!rd(process, (BYTE *)pbi.PebBaseAddress + 0x10, &base, sizeof base) || !base)
        return ERROR_PARTIAL_COPY;
    IMAGE_DOS_HEADER dos;
    IMAGE_NT_HEADERS64 nt;
    if (!rd(process, base, &dos, sizeof dos) || dos.e_magic != IMAGE_DOS_SIGNATURE ||
        !rd(process, base + dos.e_lfanew, &nt, sizeof nt) || nt.Signature != IMAGE_NT_SIGNATURE)
        return ERROR_BAD_EXE_FORMAT;
    if (nt.FileHeader.Machine != IMAGE_FILE_MACHINE_AMD64 ||
        nt.OptionalHeader.Magic != IMAGE_NT_OPTIONAL_HDR64_MAGIC)
        return ERROR_NOT_SUPPORTED;
    if (nt.OptionalHeader.NumberOfRvaAndSizes <= IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT)
        return ERROR_BAD_EXE_FORMAT;

    IMAGE_DATA_DIRECTORY *dd = nt.OptionalHeader.DataDirectory;
    IMAGE_DATA_DIRECTORY imp = dd[IMAGE_DIRECTORY_ENTRY_IMPORT];
    BYTE old[BLOCK_CAP / 2];
    /* The directory's size often covers all of .idata; the descriptors
     * end at the first zero one (peimport_count). */
    DWORD old_size = imp.Size < sizeof old ? imp.Size : (DWORD)sizeof old;
    if (old_size && !rd(process, base + imp.VirtualAddress, old, old_size))
        return ERROR_BAD_EXE_FORMAT;

    plume_boot b = *boot;
    b.orig_import_rva = imp.VirtualAddress;
    b.orig_import_size = imp.Size;
    b.orig_bound_rva = dd[IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT].VirtualAddress;
    b.orig_bound_size = dd[IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT].Size;
    char layer[PLUME_BOOT_PATH];
    if (!to_ansi_path(boot->layer_path, layer, sizeof layer))
        return ERROR_BAD_PATHNAME;

    BYTE *block = alloc_above(process, base, nt.OptionalHeader.SizeOfImage, BLOCK_CAP);
    if (!block)
        return ERROR_NOT_ENOUGH_MEMORY;
    BYTE buf[BLOCK_CAP];
    uint32_t desc_size = 0;
    DWORD rva = (DWORD)(block - base);
    size_t len = peimport_build(old, old_size, rva, &b, layer, buf, sizeof buf, &desc_size);
    DWORD err = ERROR_SUCCESS;
    SIZE_T wrote;
    if (!len) {
        err = ERROR_BUFFER_OVERFLOW;
    } else if (!WriteProcessMemory(process, block, buf, len, &wrote) || wrote != len) {
        err = GetLastError();
    } else {
        /* Point the import directory at ours; drop bound imports (they
         * describe the old table). */
        IMAGE_DATA_DIRECTORY nd[IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT + 1];
        for (int i = 0; i <= IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT; i++)
            nd[i] = dd[i];
        nd[IMAGE_DIRECTORY_ENTRY_IMPORT].VirtualAddress = rva + (DWORD)PLUME_BOOT_DESC_OFFSET;
        nd[IMAGE_DIRECTORY_ENTRY_IMPORT].Size = desc_size;
        nd[IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT].VirtualAddress = 0;
        nd[IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT].Size = 0;
        BYTE *at = base + dos.e_lfanew + offsetof(IMAGE_NT_HEADERS64, OptionalHeader.DataDirectory);
        DWORD prot;
        if (!VirtualProtectEx(process, at, sizeof nd, PAGE_READWRITE, &prot)) {
            err = GetLastError();
        } else {
            if (!WriteProcessMemory(process, at, nd, sizeof nd, &wrote) || wrote != sizeof nd)
                err = GetLastError();
            VirtualProtectEx(process, at, sizeof nd, prot, &prot);
        }
    }
    if (err != ERROR_SUCCESS)
        VirtualFreeEx(process, block, 0, MEM_RELEASE);
    return err;
}
