/*
 * The kernel's page allocator instance. The bitmap is carved from the first
 * RAM range above the kernel image that can hold it (below 4 GiB, where the
 * early page tables reach); then every RAM range is freed, and what must
 * stay is reserved again: the first MiB (BIOS data, real-mode leftovers),
 * the kernel image, and the bitmap.
 */
#include <stdint.h>
#include <string.h>

#include "kernel/kprintf.h"
#include "kernel/mem.h"
#include "kernel/panic.h"

#define FOUR_GIB (4ull << 30)

extern char __image_start[], __image_end[];

static struct pmm pmm;
static uint64_t top;

static const char *kind_name(uint32_t kind, char *buf, size_t n)
{
	switch (kind) {
	case MEM_RAM: return "ram";
	case MEM_RESERVED: return "reserved";
	case MEM_ACPI_RECLAIM: return "acpi";
	case MEM_ACPI_NVS: return "nvs";
	case MEM_BAD: return "bad";
	}
	ksnprintf(buf, n, "type%u", kind);
	return buf;
}

void mem_init(const struct boot_info *bi)
{
	uint64_t kstart = (uintptr_t)__image_start, kend = (uintptr_t)__image_end;
	uint64_t words, bytes, bitmap = 0, usable;

	for (uint32_t i = 0; i < bi->nmmap; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		char buf[16];
		kprintf("mem: 0x%016lx-0x%016lx %s\n", e->base, e->base + e->len - 1,
			kind_name(e->kind, buf, sizeof(buf)));
		if (e->kind == MEM_RAM && e->base + e->len > top)
			top = e->base + e->len;
	}
	if (top == 0)
		panic("mem: the loader gave no usable RAM");

	words = pmm_bitmap_words(top >> PAGE_SHIFT);
	bytes = (words * 8 + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	for (uint32_t i = 0; i < bi->nmmap && !bitmap; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		uint64_t lo = e->base, hi = e->base + e->len;
		if (e->kind != MEM_RAM)
			continue;
		if (lo < kend)
			lo = kend;
		lo = (lo + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		if (lo >= (1 << 20) && lo + bytes <= hi && lo + bytes <= FOUR_GIB)
			bitmap = lo;
	}
	if (!bitmap)
		panic("mem: no room for the page bitmap (%lu bytes)", bytes);

	pmm_setup(&pmm, (uint64_t *)(uintptr_t)bitmap, top >> PAGE_SHIFT);
	for (uint32_t i = 0; i < bi->nmmap; i++)
		if (bi->mmap[i].kind == MEM_RAM)
			pmm_add_free(&pmm, bi->mmap[i].base, bi->mmap[i].len);
	/* A map may list overlapping ranges: reserved wins over RAM. */
	for (uint32_t i = 0; i < bi->nmmap; i++)
		if (bi->mmap[i].kind != MEM_RAM)
			pmm_reserve(&pmm, bi->mmap[i].base, bi->mmap[i].len);
	usable = pmm.nfree;
	pmm_reserve(&pmm, 0, 1 << 20);
	pmm_reserve(&pmm, kstart, kend - kstart);
	pmm_reserve(&pmm, bitmap, bytes);
	kprintf("mem: %lu MiB usable, %lu MiB free\n", (usable * PAGE_SIZE) >> 20,
		(pmm.nfree * PAGE_SIZE) >> 20);
}

void *page_alloc_range(uint64_t n, uint64_t align, uint64_t min, uint64_t max)
{
	uint64_t pa = pmm_alloc(&pmm, n, align, min, max);

	if (!pa)
		return NULL;
	memset((void *)(uintptr_t)pa, 0, n * PAGE_SIZE);
	return (void *)(uintptr_t)pa;
}

void *page_alloc(uint64_t n)
{
	return page_alloc_range(n, 1, 0, FOUR_GIB);
}

void page_free(void *p, uint64_t n)
{
	if (pmm_free(&pmm, (uintptr_t)p, n) != 0)
		panic("mem: bad page_free(%p, %lu)", p, n);
}

uint64_t mem_top(void) { return top; }

uint64_t mem_free_bytes(void) { return pmm.nfree * 4096; }
