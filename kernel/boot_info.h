/*
 * The neutral description of the machine that boot/ hands to kmain().
 * boot/boot.c fills it once from whichever loader ran (multiboot or PVH);
 * nothing past boot/ looks at a loader structure again. Everything here is a
 * copy: the loader's own memory may be reused once kmain() starts.
 */
#pragma once

#include <stdint.h>

#define BOOT_MMAP_MAX    64
#define BOOT_CMDLINE_MAX 1024

/* Memory map entry types, numbered as in the E820 / ACPI address map. */
enum mem_kind {
	MEM_RAM = 1,            /* usable */
	MEM_RESERVED = 2,
	MEM_ACPI_RECLAIM = 3,   /* ACPI tables; RAM once they are parsed */
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
};

struct boot_mmap_entry {
	uint64_t base;
	uint64_t len;
	uint32_t kind;          /* enum mem_kind; unknown values are kept */
};

struct boot_info {
	const char *loader;     /* for the log only: "multiboot", "pvh", ... */
	char cmdline[BOOT_CMDLINE_MAX];
	uint64_t rsdp;          /* ACPI RSDP if the loader said where, else 0 */
	uint64_t ebda;          /* BIOS extended data area (from the BDA), or 0 */
	uint32_t nmmap;
	struct boot_mmap_entry mmap[BOOT_MMAP_MAX];
};

/* Entered once from boot/ with interrupts off, on the boot stack. */
void kmain(struct boot_info *bi) __attribute__((noreturn));
