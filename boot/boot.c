/*
 * The edge between the loaders and the kernel: boot/entry.asm lands here in
 * long mode with the loader's kind and its information pointer, and this file
 * translates multiboot info or a PVH start_info into one struct boot_info.
 * Exercise: `make run` (multiboot on -M pc), `make run MACHINE=microvm` (PVH).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernel/boot_info.h"
#include "boot/multiboot.h"
#include "boot/pvh.h"

/* Values boot/entry.asm passes in EDI. */
#define BOOT_KIND_MULTIBOOT 1
#define BOOT_KIND_PVH       2

static struct boot_info boot_info;

static void add_mmap(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t kind)
{
	if (len == 0 || bi->nmmap == BOOT_MMAP_MAX)
		return;
	bi->mmap[bi->nmmap++] = (struct boot_mmap_entry){ base, len, kind };
}

static void copy_cmdline(struct boot_info *bi, uint64_t paddr)
{
	const char *s = (const char *)(uintptr_t)paddr;

	if (paddr == 0)
		return;
	/* Truncate rather than trust the loader's string to be short. */
	strncpy(bi->cmdline, s, BOOT_CMDLINE_MAX - 1);
	bi->cmdline[BOOT_CMDLINE_MAX - 1] = '\0';
}

static void from_multiboot(struct boot_info *bi, uint32_t magic, const struct multiboot_info *mbi)
{
	bi->loader = "multiboot";
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
		return;
	if (mbi->flags & MULTIBOOT_INFO_LOADER) {
		const char *name = (const char *)(uintptr_t)mbi->boot_loader_name;
		if (strncmp(name, "GRUB", 4) == 0 || strncmp(name, "GNU GRUB", 8) == 0)
			bi->loader = "multiboot (GRUB)";
		else if (strncmp(name, "qemu", 4) == 0)
			bi->loader = "multiboot (QEMU)";
	}
	if (mbi->flags & MULTIBOOT_INFO_CMDLINE) {
		/* Multiboot loaders (QEMU, GRUB) put the image's path first. */
		const char *s = (const char *)(uintptr_t)mbi->cmdline;
		while (*s && *s != ' ')
			s++;
		while (*s == ' ')
			s++;
		copy_cmdline(bi, (uintptr_t)s);
	}
	if (mbi->flags & MULTIBOOT_INFO_MMAP) {
		uintptr_t p = mbi->mmap_addr, end = p + mbi->mmap_length;
		while (p + sizeof(struct multiboot_mmap_entry) <= end) {
			const struct multiboot_mmap_entry *e = (const void *)p;
			add_mmap(bi, e->addr, e->len, e->type);
			p += e->size + 4;
		}
	} else if (mbi->flags & MULTIBOOT_INFO_MEMORY) {
		/* No map: the two classic ranges are all we know. */
		add_mmap(bi, 0, (uint64_t)mbi->mem_lower << 10, MEM_RAM);
		add_mmap(bi, 1 << 20, (uint64_t)mbi->mem_upper << 10, MEM_RAM);
	}
}

static void from_pvh(struct boot_info *bi, const struct hvm_start_info *si)
{
	bi->loader = "pvh";
	if (si->magic != HVM_START_MAGIC)
		return;
	copy_cmdline(bi, si->cmdline_paddr);
	bi->rsdp = si->rsdp_paddr;
	if (si->version >= 1 && si->memmap_paddr != 0) {
		const struct hvm_memmap_table_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
		for (uint32_t i = 0; i < si->memmap_entries; i++)
			add_mmap(bi, e[i].addr, e[i].size, e[i].type);
	}
}

/* Called from boot/entry.asm; kind and info come from the 32-bit entry. */
void boot_main(uint32_t kind, uint32_t info, uint32_t magic)
{
	struct boot_info *bi = &boot_info;

	/* The BIOS data area's EBDA segment (at 0x40E), where an RSDP may be;
	 * read now, while the early tables still map page 0. */
	if (kind != BOOT_KIND_PVH) {
		uintptr_t bda_ebda = 0x40e;
		/* Hide the constant: gcc treats small addresses as NULL + offset. */
		__asm__("" : "+r"(bda_ebda));
		bi->ebda = (uint64_t)*(volatile uint16_t *)bda_ebda << 4;
	}
	if (kind == BOOT_KIND_PVH)
		from_pvh(bi, (const struct hvm_start_info *)(uintptr_t)info);
	else
		from_multiboot(bi, magic, (const struct multiboot_info *)(uintptr_t)info);
	kmain(bi);
}
