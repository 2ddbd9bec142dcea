/* The layer DLL's entry: finds the boot block, joins the VM's job,
 * installs every namespace's hooks. Runs before any DLL of the program. */
#include "layer.h"
#include "hook.h"
#include "jobname.h"
#include "dispatch.h"

#include <winternl.h>
#include <stddef.h>

plume_boot g_boot;
HANDLE g_job;
uint16_t g_vmtag[PLUME_BOOT_NAME + 16];
size_t g_vmtag_len;
static int g_active;
static DWORD g_tls = TLS_OUT_OF_INDEXES;

/* --- re-entrancy guard ------------------------------------------------------
 * The slot is read through the TEB (TlsSlots at gs:[0x1480], the x64 TEB
 * layout of Windows, which Wine keeps): TlsGetValue would reset the
 * thread's last error, which a hook must not do. The layer asks for a slot
 * below 64, the ones the TEB holds. */
static void **tls_slot(void)
{
    void **teb;
    __asm__("movq %%gs:0x30, %0" : "=r"(teb));
    return (void **)((BYTE *)teb + 0x1480) + g_tls;
}

int layer_inside(void)
{
    return g_tls < 64 && *tls_slot() != NULL;
}

int layer_enter(void)
{
    if (g_tls >= 64)
        return 0;
    void **slot = tls_slot();
    if (*slot)
        return 0;
    *slot = (void *)1;
    return 1;
}

void layer_leave(void)
{
    if (g_tls < 64)
        *tls_slot() = NULL;
}

/* --- hooks and module-load callbacks ----------------------------------------- */
int layer_hook(const wchar_t *module, const char *name, void *detour, void **orig)
{
    const char *why = "";
    if (hook_export(module, name, detour, orig, &why) != 0) {
        layer_error(name, why);
        return -1;
    }
    return 0;
}

#define MAX_ON_LOAD 8
static struct {
    const wchar_t *module;
    void (*cb)(HMODULE);
    volatile LONG done;
} on_load[MAX_ON_LOAD];
static volatile LONG n_on_load;

typedef NTSTATUS(NTAPI *ldr_load_dll_fn)(PWSTR, PULONG, PVOID, PVOID *);
static ldr_load_dll_fn real_ldr_load_dll;

static void run_on_load(void)
{
    for (LONG i = 0; i < n_on_load; i++) {
        if (on_load[i].done)
            continue;
        HMODULE m = GetModuleHandleW(on_load[i].module);
        if (m && InterlockedExchange(&on_load[i].done, 1) == 0)
            on_load[i].cb(m);
    }
}

static NTSTATUS NTAPI hk_ldr_load_dll(PWSTR path, PULONG flags, PVOID name, PVOID *base)
{
    NTSTATUS st = real_ldr_load_dll(path, flags, name, base);
    if (st >= 0 && n_on_load) {
        DWORD err = GetLastError();
        run_on_load();
        SetLastError(err);
    }
    return st;
}

/* The loader's notification sees every DLL as it is mapped, the program's
 * static imports included (they are loaded without LdrLoadDll). */
typedef NTSTATUS(NTAPI *ldr_register_fn)(ULONG, void (NTAPI *)(ULONG, const void *, void *),
                                          void *, void **);

static void NTAPI on_dll_notification(ULONG reason, const void *data, void *ctx)
{
    (void)data;
    (void)ctx;
    if (reason == 1 /* LDR_DLL_NOTIFICATION_REASON_LOADED */ && n_on_load) {
        DWORD err = GetLastError();
        run_on_load();
        SetLastError(err);
    }
}

int layer_on_load(const wchar_t *module, void (*cb)(HMODULE))
{
    static int watching;
    if (n_on_load == MAX_ON_LOAD)
        return -1;
    on_load[n_on_load].module = module;
    on_load[n_on_load].cb = cb;
    n_on_load++;
    if (!watching) {
        ldr_register_fn reg = (ldr_register_fn)(void *)GetProcAddress(
            GetModuleHandleW(L"ntdll.dll"), "LdrRegisterDllNotification");
        void *cookie;
        if (reg && reg(0, on_dll_notification, NULL, &cookie) >= 0)
            watching = 1;
        else if (layer_hook(L"ntdll.dll", "LdrLoadDll", (void *)hk_ldr_load_dll,
                            (void **)&real_ldr_load_dll))
            return -1;
        else
            watching = 1;
    }
    run_on_load();
    return 0;
}

static void put(HANDLE h, const char *s)
{
    DWORD n = 0, w;
    while (s[n])
        n++;
    if (h && h != INVALID_HANDLE_VALUE)
        WriteFile(h, s, n, &w, NULL);
}

void layer_error(const char *what, const char *why)
{
    HANDLE h = GetStdHandle(STD_ERROR_HANDLE);
    put(h, "plume layer: ");
    put(h, what);
    put(h, ": ");
    put(h, why);
    put(h, "\r\n");
    OutputDebugStringA(what);
}

const char *layer_errstr(DWORD err, char *buf, size_t cap)
{
    static const char head[] = "Win32 error ";
    char digits[12];
    size_t n = 0, d = 0;
    do {
        digits[d++] = (char)('0' + err % 10);
        err /= 10;
    } while (err && d < sizeof digits);
    for (const char *p = head; *p && n + 1 < cap; p++)
        buf[n++] = *p;
    while (d && n + 1 < cap)
        buf[n++] = digits[--d];
    buf[n] = 0;
    return buf;
}

static IMAGE_DATA_DIRECTORY *image_dirs(BYTE *base)
{
    IMAGE_DOS_HEADER *dos = (IMAGE_DOS_HEADER *)base;
    IMAGE_NT_HEADERS64 *nt = (IMAGE_NT_HEADERS64 *)(base + dos->e_lfanew);
    return nt->OptionalHeader.DataDirectory;
}

/* Finds the boot block through the main image's import directory, keeps a
 * copy and puts the image's own directories back. 0 when there is none
 * (the layer was loaded by other means: it then stays inactive). */
static int take_boot(void)
{
    BYTE *base = (BYTE *)GetModuleHandleW(NULL); /* PEB->ImageBaseAddress */
    IMAGE_DATA_DIRECTORY *dd = image_dirs(base);
    DWORD rva = dd[IMAGE_DIRECTORY_ENTRY_IMPORT].VirtualAddress;
    if (rva < PLUME_BOOT_DESC_OFFSET)
        return 0;
    const plume_boot *b = (const plume_boot *)(base + rva - PLUME_BOOT_DESC_OFFSET);
    MEMORY_BASIC_INFORMATION mbi;
    if (!VirtualQuery(b, &mbi, sizeof mbi) || mbi.State != MEM_COMMIT ||
        mbi.Protect != PAGE_READWRITE ||
        (BYTE *)mbi.BaseAddress + mbi.RegionSize < (BYTE *)(b + 1))
        return 0;
    if (b->magic != PLUME_BOOT_MAGIC || b->version != PLUME_BOOT_VERSION ||
        b->size != sizeof *b)
        return 0;
    g_boot = *b;
    g_boot.vm_name[PLUME_BOOT_NAME - 1] = 0;
    g_boot.vm_dir[PLUME_BOOT_PATH - 1] = 0;
    g_boot.store_root[PLUME_BOOT_PATH - 1] = 0;
    g_boot.layer_path[PLUME_BOOT_PATH - 1] = 0;
    g_boot.cwd[PLUME_BOOT_PATH - 1] = 0;

    DWORD prot;
    void *at = &dd[IMAGE_DIRECTORY_ENTRY_IMPORT];
    SIZE_T len = sizeof(IMAGE_DATA_DIRECTORY) * (IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT + 1);
    if (VirtualProtect(at, len, PAGE_READWRITE, &prot)) {
        dd[IMAGE_DIRECTORY_ENTRY_IMPORT].VirtualAddress = b->orig_import_rva;
        dd[IMAGE_DIRECTORY_ENTRY_IMPORT].Size = b->orig_import_size;
        dd[IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT].VirtualAddress = b->orig_bound_rva;
        dd[IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT].Size = b->orig_bound_size;
        VirtualProtect(at, len, prot, &prot);
    }
    return 1;
}

static int join_job(void)
{
    uint16_t name[PLUME_BOOT_NAME + 48];
    if (!plume_job_name(g_boot.store_root, g_boot.vm_name, name, sizeof name / sizeof name[0]))
        return 0;
    g_job = OpenJobObjectW(JOB_OBJECT_ASSIGN_PROCESS | JOB_OBJECT_QUERY, FALSE,
                           (const wchar_t *)name);
    if (!g_job)
        return 0;
    BOOL in = FALSE;
    if (!IsProcessInJob(GetCurrentProcess(), g_job, &in))
        return 0;
    return in || AssignProcessToJobObject(g_job, GetCurrentProcess());
}

static BOOL attach(void)
{
    if (!take_boot())
        return TRUE;
    if (!join_job()) {
        layer_error("cannot join the VM's job object", "the process is not started");
        return FALSE;
    }
    g_vmtag_len = plume_vm_tag(g_boot.store_root, g_boot.vm_name, g_vmtag,
                               sizeof g_vmtag / sizeof g_vmtag[0]);
    g_tls = TlsAlloc();
    if (!g_vmtag_len || g_tls >= 64) {
        layer_error("cannot set up the layer", "no VM tag or TLS slot");
        return FALSE;
    }
    static int (*const inits[])(void) = { dispatch_init, proc_init, procview_init, obj_init,
                                          net_init, reg_init, file_init, svc_init };
    for (size_t i = 0; i < sizeof inits / sizeof inits[0]; i++)
        if (inits[i]() != 0)
            return FALSE;
    g_active = 1;
    /* The current directory the creator gave, again, now through the file
     * hooks (the loader's own attempt ran unhooked; see proc.c). */
    if (g_boot.cwd[0])
        SetCurrentDirectoryW((const wchar_t *)g_boot.cwd);
    return TRUE;
}

BOOL WINAPI plume_dll_entry(HINSTANCE inst, DWORD reason, LPVOID reserved);
BOOL WINAPI plume_dll_entry(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
    (void)reserved;
    if (reason == DLL_PROCESS_ATTACH) {
        DisableThreadLibraryCalls(inst);
        return attach();
    }
    return TRUE;
}

/* Exports (layer.def). Ordinal 1 is what the injected import names. */
__declspec(dllexport) unsigned plume_layer_status(void);
__declspec(dllexport) const wchar_t *plume_layer_vm(void);

/* Number of hooks in place, 0 when the layer is inactive. */
unsigned plume_layer_status(void)
{
    return g_active ? hook_count() : 0;
}

/* The VM this process runs in, or NULL. */
const wchar_t *plume_layer_vm(void)
{
    return g_active ? (const wchar_t *)g_boot.vm_name : NULL;
}
