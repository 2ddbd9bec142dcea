/* A DLL the early-injection test imports statically: its entry point checks
 * that the layer's hooks are already in place when it runs. */
#include <windows.h>

__declspec(dllexport) int early_dll_result = -1;

__declspec(dllexport) int early_hooks_active(void);
/* 1 when the layer is loaded, says it is active, and ntdll's
 * NtCreateUserProcess starts with the hook's jmp. */
int early_hooks_active(void)
{
    HMODULE layer = GetModuleHandleW(L"plume_layer.dll");
    if (!layer)
        return 0;
    unsigned (*status)(void) = (unsigned (*)(void))(void *)GetProcAddress(layer, "plume_layer_status");
    const unsigned char *fn = (const unsigned char *)(void *)GetProcAddress(
        GetModuleHandleW(L"ntdll.dll"), "NtCreateUserProcess");
    return status && status() > 0 && fn && fn[0] == 0xE9;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
    (void)inst;
    (void)reserved;
    if (reason == DLL_PROCESS_ATTACH)
        early_dll_result = early_hooks_active();
    return TRUE;
}
