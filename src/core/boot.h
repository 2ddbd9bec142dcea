/* The boot block: what a VM process's layer must know about its VM, and
 * the import-table injection that loads the layer first. Pure C.
 *
 * Injection (see docs/ARCHITECTURE.md): the creator of a suspended process
 * writes one block into it, within 4 GB above its image base:
 *
 *   plume_boot      magic, the VM, the layer's path, the original import
 *                   and bound-import directories of the image
 *   descriptors     the layer's import descriptor first, then the image's
 *                   own, then a zero descriptor
 *   ILT, IAT        one by-ordinal import (ordinal 1) of the layer, each
 *                   followed by a zero entry
 *   name            the layer's full path (ANSI), as the loader wants it
 *
 * and points the image's import directory at the descriptors. The loader
 * then loads and initialises the layer before any DLL of the program. The
 * layer finds the block through the import directory (just before the
 * descriptors), copies it and puts the original directories back. */
#ifndef PLUME_CORE_BOOT_H
#define PLUME_CORE_BOOT_H

#include <stddef.h>
#include <stdint.h>

#define PLUME_BOOT_MAGIC 0x544f4f42454d554cull /* "LUMEBOOT" */
#define PLUME_BOOT_VERSION 1
#define PLUME_BOOT_PATH 520     /* UTF-16 units, terminated */
#define PLUME_BOOT_NAME 33
#define PLUME_BOOT_HAS_IP 0x1u  /* plume_boot.flags: the VM has its own address */

typedef struct plume_boot {
    uint64_t magic;
    uint32_t version;
    uint32_t size;                 /* sizeof(plume_boot) */
    uint32_t orig_import_rva, orig_import_size;
    uint32_t orig_bound_rva, orig_bound_size;
    uint32_t flags;
    uint32_t ip;                   /* the VM's IPv4 address, host byte order,
                                      when flags has PLUME_BOOT_HAS_IP */
    uint16_t vm_name[PLUME_BOOT_NAME];      /* as created */
    uint16_t vm_dir[PLUME_BOOT_PATH];       /* the VM's folder in the store */
    uint16_t store_root[PLUME_BOOT_PATH];   /* %PLUME_ROOT% */
    uint16_t layer_path[PLUME_BOOT_PATH];   /* the layer DLL, for children */
    uint16_t cwd[PLUME_BOOT_PATH];          /* the current directory the creator
                                               gave the process (Win32 form), or
                                               empty; set again by the layer once
                                               the file hooks are in */
} plume_boot;

/* The 20-byte IMAGE_IMPORT_DESCRIPTOR, spelled out. */
typedef struct pe_import_desc {
    uint32_t original_first_thunk;
    uint32_t time_date_stamp;
    uint32_t forwarder_chain;
    uint32_t name;
    uint32_t first_thunk;
} pe_import_desc;

/* Offset of the descriptors inside the block. */
#define PLUME_BOOT_DESC_OFFSET ((sizeof(plume_boot) + 15u) & ~(size_t)15u)

/* Counts the descriptors of an import directory read from an image: those
 * before the first zero one, and never past `size` bytes. */
size_t peimport_count(const uint8_t *dir, size_t size);

/* Builds the block for an image whose original import directory is
 * dir[0..dir_size) (its descriptors are copied, count from peimport_count),
 * to be written at block_rva (relative to the image base). `boot` gives
 * every field but the sizes, which are set here; `layer_ansi` is the
 * layer's path. Returns the block's length, or 0 when cap is too small or
 * the path is empty or too long. *desc_size gets the new directory size. */
size_t peimport_build(const uint8_t *dir, size_t dir_size, uint32_t block_rva,
                      const plume_boot *boot, const char *layer_ansi,
                      uint8_t *out, size_t cap, uint32_t *desc_size);

#endif
