/* The hook engine: inline hooks on x86-64 functions.
 *
 * hook_install patches the first instructions of `target` with a jmp to a
 * relay that jumps to `detour`; *original gets a trampoline that runs the
 * stolen instructions (relocated) and jumps back. Relay and trampoline live
 * in executable pages reserved within +-2 GB of the target. The planning
 * (what to steal, how to relocate it) is pure: src/core/hookplan.c.
 *
 * No C runtime (the engine lives in the layer DLL). Hooks are installed
 * once and never removed: the layer lives as long as its process. */
#ifndef PLUME_HOOK_H
#define PLUME_HOOK_H

#include <windows.h>
#include <stdint.h>

/* Returns 0 on success. On failure returns a Win32 error code, sets *why to
 * a static English sentence, and leaves the target untouched. */
DWORD hook_install(void *target, void *detour, void **original, const char **why);

/* hook_install on module!name. */
DWORD hook_export(const wchar_t *module, const char *name, void *detour, void **original,
                  const char **why);

/* The NT syscall number read from an Nt* stub of ntdll, or -1 when `fn`
 * is not a syscall stub. Works on hooked stubs too (reads the saved bytes). */
int64_t hook_syscall_number_of(void *fn);

/* Number of hooks installed in this process. */
unsigned hook_count(void);

#endif
