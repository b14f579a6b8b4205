/*
 * Kernel page tables over kernel/pt.c. boot/entry.asm's early tables map the
 * first 4 GiB write-back, including device holes; vm_init() replaces them with
 * tables that map only RAM (write-back) and leave device memory to vm_map().
 */
#include <stdint.h>

#include "kernel/errno.h"
#include "kernel/kprintf.h"
#include "kernel/mem.h"
#include "kernel/panic.h"
#include "kernel/vm.h"
#include "kernel/x86.h"

static uint64_t root;
static uint64_t phys_limit;     /* 1 << MAXPHYADDR */
static uint64_t noexec;         /* PT_NOEXEC once EFER.NXE is on, else 0 */

static uint64_t alloc_table(void *ctx)
{
	(void)ctx;
	return (uintptr_t)page_alloc(1);    /* zeroed, below 4 GiB */
}

static void *phys_virt(void *ctx, uint64_t phys)
{
	(void)ctx;
	return (void *)(uintptr_t)phys;
}

static const struct pt_ops ops = { alloc_table, phys_virt, NULL };

static void map_or_panic(uint64_t pa, uint64_t len, enum pt_cache cache, uint64_t flags)
{
	uint64_t lo = pa & ~0xfffull, hi = (pa + len + 0xfff) & ~0xfffull;

	if (lo == 0)
		lo = 0x1000;
	if (hi > lo && pt_map(&ops, root, lo, lo, hi - lo, cache, flags) != 0)
		panic("vm: cannot map 0x%lx-0x%lx at boot", lo, hi);
}

void vm_init(const struct boot_info *bi)
{
	uint32_t r[4];

	cpuid(0x80000000, 0, r);
	phys_limit = 1ull << 36;
	if (r[0] >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		phys_limit = 1ull << (r[0] & 0xff);
	}
	cpuid(0x80000001, 0, r);
	if (r[3] & (1u << 20)) {        /* NX: device memory is never code */
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
		noexec = PT_NOEXEC;
	}
	wrmsr(MSR_PAT, PT_PAT_VALUE);

	root = alloc_table(NULL);
	if (!root)
		panic("vm: no page for the PML4");
	/* The first MiB: BIOS data and tables (the RSDP may sit at 0xE0000). */
	map_or_panic(0, 1 << 20, PT_WB, PT_WRITE);
	for (uint32_t i = 0; i < bi->nmmap; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		if (e->kind == MEM_RAM || e->kind == MEM_ACPI_RECLAIM || e->kind == MEM_ACPI_NVS)
			map_or_panic(e->base, e->len, PT_WB, PT_WRITE);
	}
	write_cr3(root);
}

void *vm_map(uint64_t pa, uint64_t len, enum pt_cache cache)
{
	uint64_t lo = pa & ~0xfffull, hi = (pa + len + 0xfff) & ~0xfffull;

	if (len == 0 || pa + len < pa || hi > phys_limit || lo == 0)
		return NULL;
	if (pt_map(&ops, root, lo, lo, hi - lo, cache, PT_WRITE | noexec) != 0)
		return NULL;
	write_cr3(root);        /* flush: the range may have been mapped before */
	return (void *)(uintptr_t)pa;
}

void vm_unmap(uint64_t pa, uint64_t len)
{
	uint64_t lo = pa & ~0xfffull, hi = (pa + len + 0xfff) & ~0xfffull;

	if (lo == 0 || hi <= lo)
		return;
	if (pt_unmap(&ops, root, lo, hi - lo) != 0)
		panic("vm: unmap 0x%lx-0x%lx failed", lo, hi);
	write_cr3(root);
}

int vm_map_at(uint64_t va, uint64_t pa, uint64_t len, enum pt_cache cache, bool writable)
{
	if (((va | pa | len) & 0xfff) || len == 0 || va < phys_limit || pa + len < pa ||
	    pa + len > phys_limit)
		return -EINVAL;
	if (pt_map(&ops, root, va, pa, len, cache, (writable ? PT_WRITE : 0) | noexec) != 0)
		return -ENOMEM;
	write_cr3(root);
	return 0;
}

uint64_t vm_phys_limit(void)
{
	return phys_limit;
}

int vm_lookup(uint64_t va, uint64_t *pa, uint64_t *entry)
{
	return pt_lookup(&ops, root, va, pa, entry);
}
