/*
 * Multiboot 1 structures, transcribed from the Multiboot Specification 0.6.96
 * (section 3.1 "OS image format", 3.3 "Boot information format").
 * Only boot/ includes this header.
 */
#pragma once

#include <stdint.h>

#define MULTIBOOT_HEADER_MAGIC     0x1BADB002u /* in the image header */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u /* in EAX at entry */

/* Header flags (3.1.2). */
#define MULTIBOOT_PAGE_ALIGN  (1u << 0)  /* align modules on 4 KiB */
#define MULTIBOOT_MEMORY_INFO (1u << 1)  /* ask for mem_* and mmap_* */
#define MULTIBOOT_AOUT_KLUDGE (1u << 16) /* address fields are valid */

/* Info flags (3.3): which fields of struct multiboot_info are valid. */
#define MULTIBOOT_INFO_MEMORY  (1u << 0)
#define MULTIBOOT_INFO_CMDLINE (1u << 2)
#define MULTIBOOT_INFO_MMAP    (1u << 6)
#define MULTIBOOT_INFO_LOADER  (1u << 9)

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;         /* KiB below 1 MiB */
	uint32_t mem_upper;         /* KiB above 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;           /* physical address of a C string */
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;       /* bytes in the mmap buffer */
	uint32_t mmap_addr;         /* physical address of the first entry */
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;  /* physical address of a C string */
	uint32_t apm_table;
	uint32_t vbe_control_info;
	uint32_t vbe_mode_info;
	uint16_t vbe_mode;
	uint16_t vbe_interface_seg;
	uint16_t vbe_interface_off;
	uint16_t vbe_interface_len;
};
_Static_assert(sizeof(struct multiboot_info) == 88, "multiboot_info layout");

/*
 * One memory map entry. `size` counts the bytes that follow it, so the next
 * entry starts at (char *)entry + size + 4. The 64-bit fields sit at offset 4:
 * the layout really is unaligned, hence packed.
 */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;              /* 1 RAM, 3 ACPI reclaim, 4 NVS, 5 bad */
} __attribute__((packed));
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "mmap entry layout");
