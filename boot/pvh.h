/*
 * The x86/HVM direct boot ABI ("PVH"), transcribed from Xen's
 * docs/misc/pvh.pandoc and public/arch-x86/hvm/start_info.h.
 * Entry: 32-bit protected mode, paging off, flat CS/DS, EBX = physical address
 * of struct hvm_start_info. The entry address comes from an ELF note of type
 * XEN_ELFNOTE_PHYS32_ENTRY owned by "Xen". Only boot/ includes this header.
 */
#pragma once

#include <stdint.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC          0x336ec578u

struct hvm_start_info {
	uint32_t magic;             /* HVM_START_MAGIC */
	uint32_t version;           /* 1 adds the memory map fields */
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;     /* C string, 0 if none */
	uint64_t rsdp_paddr;        /* ACPI RSDP, 0 if none */
	uint64_t memmap_paddr;      /* version >= 1 */
	uint32_t memmap_entries;    /* version >= 1 */
	uint32_t reserved;
};
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info layout");

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;              /* E820 numbering: 1 RAM, 2 reserved, ... */
	uint32_t reserved;
};
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry layout");
