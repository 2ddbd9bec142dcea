/* Early injection: the layer must be active before the program's DLLs'
 * entry points and its TLS callbacks run. Prints what each saw; exits 0
 * only when both saw the hooks in place (so outside a VM it exits 1). */
#include <windows.h>
#include <stdio.h>

__declspec(dllimport) extern int early_dll_result;
__declspec(dllimport) int early_hooks_active(void);

static int tls_result = -1;

static void NTAPI tls_callback(PVOID inst, DWORD reason, PVOID reserved)
{
    (void)inst;
    (void)reserved;
    if (reason == DLL_PROCESS_ATTACH && tls_result < 0)
        tls_result = early_hooks_active();
}

/* Registers the TLS callback (the CRT's .CRT$XL? list). */
__attribute__((section(".CRT$XLB"), used)) PIMAGE_TLS_CALLBACK plume_test_tls = tls_callback;
extern const IMAGE_TLS_DIRECTORY _tls_used;

int main(void)
{
    (void)&_tls_used;
    printf("early dll_entry=%d tls_callback=%d\n", early_dll_result, tls_result);
    return early_dll_result == 1 && tls_result == 1 ? 0 : 1;
}
