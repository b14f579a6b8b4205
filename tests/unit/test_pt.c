/*
 * kernel/pt.c against kernel/pt.h. Tables are 4 KiB aligned_alloc blocks and
 * their host address doubles as the "physical" address (x86_64 user
 * addresses fit the 52-bit PTE address field).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/errno.h"
#include "kernel/pt.h"
#include "check.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define CACHE_BITS (PTE_PWT | PTE_PCD)

struct host {
	void *tables[4096];
	int n;
	int limit;              /* alloc fails once n reaches it */
};

static uint64_t host_alloc(void *ctx)
{
	struct host *h = ctx;
	void *t;

	if (h->n >= h->limit || h->n >= 4096)
		return 0;
	t = aligned_alloc(4096, 4096);
	memset(t, 0, 4096);
	h->tables[h->n++] = t;
	return (uint64_t)(uintptr_t)t;
}

static void *host_virt(void *ctx, uint64_t phys)
{
	struct host *h = ctx;

	/* Only addresses this allocator handed out are tables. */
	for (int i = 0; i < h->n; i++)
		if ((uint64_t)(uintptr_t)h->tables[i] == phys)
			return h->tables[i];
	fprintf(stderr, "virt(%#lx): not a table\n", (unsigned long)phys);
	abort();
}

static struct host H;
static struct pt_ops ops = { host_alloc, host_virt, &H };
static uint64_t root;

static void fresh(int limit)
{
	for (int i = 0; i < H.n; i++)
		free(H.tables[i]);
	H.n = 0;
	H.limit = 4096;
	root = host_alloc(&H);
	H.limit = limit;
}

/* Lookup va; checks the translation and the cache type; returns the entry (0 if unmapped). */
static uint64_t expect_map(int line, uint64_t va, uint64_t pa, enum pt_cache cache)
{
	uint64_t got = 0xdead, e = 0;
	int r = pt_lookup(&ops, root, va, &got, &e);

	if (!check_eq_(line, "pt_lookup returns 0", 0, (uint64_t)r))
		return 0;
	check_eq_(line, "translated address", pa, got);
	check_eq_(line, "cache bits", pt_cache_bits(cache), e & CACHE_BITS);
	check_eq_(line, "present bit", PTE_P, e & PTE_P);
	return e;
}
#define EXPECT_MAP(va, pa, cache) expect_map(__LINE__, va, pa, cache)

static void expect_unmapped(int line, uint64_t va)
{
	uint64_t pa = 0, e = 0;

	check_eq_(line, "pt_lookup of an unmapped address", (uint64_t)-ENOENT,
		  (uint64_t)pt_lookup(&ops, root, va, &pa, &e));
}
#define EXPECT_UNMAPPED(va) expect_unmapped(__LINE__, va)

static void cache_bits(void)
{
	CHECK_EQ(0, pt_cache_bits(PT_WB));
	CHECK_EQ(PTE_PWT, pt_cache_bits(PT_WC));
	CHECK_EQ(PTE_PWT | PTE_PCD, pt_cache_bits(PT_UC));
	/* The PAT entries those select: 0 = WB (06), 1 = WC (01), 3 = UC (00). */
	CHECK_EQ(0x06, PT_PAT_VALUE & 0xff);
	CHECK_EQ(0x01, (PT_PAT_VALUE >> 8) & 0xff);
	CHECK_EQ(0x00, (PT_PAT_VALUE >> 24) & 0xff);
}

static void map_4k_lookup(void)
{
	uint64_t e;

	fresh(4096);
	CHECK_EQ(0, pt_map(&ops, root, 0x401000, 0x12345000, 0x1000, PT_WB, PT_WRITE));
	e = EXPECT_MAP(0x401123, 0x12345123, PT_WB);
	CHECK_EQ(PTE_W, e & PTE_W);
	CHECK_EQ(0, e & PTE_PS);                /* also the PAT bit of a 4 KiB entry */
	CHECK_EQ(0, e & PTE_U);
	CHECK_EQ(0, e & PTE_NX);
	CHECK_EQ(0x12345000, e & PTE_ADDR);
	EXPECT_UNMAPPED(0x400fff);
	EXPECT_UNMAPPED(0x402000);
	CHECK_EQ(0, pt_map(&ops, root, 0x402000, 0xfd000000, 0x1000, PT_WC, PT_WRITE | PT_NOEXEC));
	e = EXPECT_MAP(0x402fff, 0xfd000fff, PT_WC);
	CHECK_EQ(PTE_NX, e & PTE_NX);
	CHECK_EQ(0, pt_map(&ops, root, 0x403000, 0xfebc0000, 0x1000, PT_UC, PT_USER));
	e = EXPECT_MAP(0x403008, 0xfebc0008, PT_UC);
	CHECK_EQ(0, e & PTE_W);
	CHECK_EQ(PTE_U, e & PTE_U);
	CHECK_EQ(0, e & PTE_PS);
	/* Replacing a mapping. */
	CHECK_EQ(0, pt_map(&ops, root, 0x401000, 0x55555000, 0x1000, PT_UC, 0));
	EXPECT_MAP(0x401000, 0x55555000, PT_UC);
	EXPECT_MAP(0x402000, 0xfd000000, PT_WC);
}

static void map_2m_when_aligned(void)
{
	uint64_t e;

	fresh(4096);
	CHECK_EQ(0, pt_map(&ops, root, 0x40000000, 0x80000000, 4 * MiB, PT_WB, PT_WRITE));
	e = EXPECT_MAP(0x40000000, 0x80000000, PT_WB);
	CHECK_EQ(PTE_PS, e & PTE_PS);
	e = EXPECT_MAP(0x403ff123, 0x803ff123, PT_WB);
	CHECK_EQ(PTE_PS, e & PTE_PS);
	EXPECT_UNMAPPED(0x40400000);
	EXPECT_UNMAPPED(0x3ffff000);
	/* Exactly one table per level and no page table. */
	CHECK_EQ(3, H.n);

	/* pa not 2 MiB aligned: 4 KiB pages. */
	CHECK_EQ(0, pt_map(&ops, root, 0x80000000, 0x90001000, 2 * MiB, PT_WB, 0));
	e = EXPECT_MAP(0x801ff000, 0x90200000, PT_WB);
	CHECK_EQ(0, e & PTE_PS);
	/* va and pa aligned but less than 2 MiB: 4 KiB pages. */
	CHECK_EQ(0, pt_map(&ops, root, 0xc0000000, 0xa0000000, 2 * MiB - 0x1000, PT_WB, 0));
	e = EXPECT_MAP(0xc0000000, 0xa0000000, PT_WB);
	CHECK_EQ(0, e & PTE_PS);
	EXPECT_UNMAPPED(0xc01ff000);
	/* Unaligned head and tail around a whole aligned 2 MiB. */
	CHECK_EQ(0, pt_map(&ops, root, 0x1ff000, 0x1ff000, 2 * MiB + 0x2000, PT_UC, 0));
	e = EXPECT_MAP(0x1ff000, 0x1ff000, PT_UC);
	CHECK_EQ(0, e & PTE_PS);
	e = EXPECT_MAP(0x300000, 0x300000, PT_UC);
	CHECK_EQ(PTE_PS, e & PTE_PS);
	e = EXPECT_MAP(0x400000, 0x400000, PT_UC);
	CHECK_EQ(0, e & PTE_PS);
	EXPECT_UNMAPPED(0x401000);
	EXPECT_UNMAPPED(0x1fe000);
}

static void bad_alignment(void)
{
	fresh(4096);
	CHECK_EQ(-EINVAL, pt_map(&ops, root, 0x1001, 0x2000, 0x1000, PT_WB, 0));
	CHECK_EQ(-EINVAL, pt_map(&ops, root, 0x1000, 0x2001, 0x1000, PT_WB, 0));
	CHECK_EQ(-EINVAL, pt_map(&ops, root, 0x1000, 0x2000, 0x1001, PT_WB, 0));
	CHECK_EQ(-EINVAL, pt_map(&ops, root, 0x1800, 0x2800, 0x800, PT_WB, 0));
	EXPECT_UNMAPPED(0x1000);
	EXPECT_UNMAPPED(0x1800);
	CHECK_EQ(0, pt_map(&ops, root, 0x1000, 0x2000, 0x1000, PT_WB, 0));
	CHECK_EQ(-EINVAL, pt_unmap(&ops, root, 0x1800, 0x1000));
	CHECK_EQ(-EINVAL, pt_unmap(&ops, root, 0x1000, 0x800));
	EXPECT_MAP(0x1000, 0x2000, PT_WB);
}

static void non_canonical(void)
{
	fresh(4096);
	CHECK_EQ(-EINVAL, pt_map(&ops, root, 0x0000800000000000, 0x1000, 0x1000, PT_WB, 0));
	CHECK_EQ(-EINVAL, pt_map(&ops, root, 0xffff7ffffffff000, 0x1000, 0x1000, PT_WB, 0));
	/* Starts canonical, runs into the hole. */
	CHECK_EQ(-EINVAL, pt_map(&ops, root, 0x00007ffffffff000, 0x1000, 0x2000, PT_WB, 0));
	CHECK_EQ(-EINVAL, pt_unmap(&ops, root, 0x0000800000000000, 0x1000));
	/* Low half up to the very top of the address space (va + len wraps to 0). */
	CHECK_EQ(-EINVAL, pt_unmap(&ops, root, 0x1000, 0xfffffffffffff000));
	CHECK_EQ(-EINVAL, pt_map(&ops, root, 0x1000, 0x1000, 0xfffffffffffff000, PT_WB, 0));
	EXPECT_UNMAPPED(0x00007ffffffff000);
	/* The edges of both halves are fine. */
	CHECK_EQ(0, pt_map(&ops, root, 0x00007ffffffff000, 0x1000, 0x1000, PT_WB, 0));
	EXPECT_MAP(0x00007fffffffffff, 0x1fff, PT_WB);
	CHECK_EQ(0, pt_map(&ops, root, 0xffff800000000000, 0x3000, 0x1000, PT_WB, 0));
	EXPECT_MAP(0xffff800000000010, 0x3010, PT_WB);
	/* Different canonical addresses are different pages (no aliasing in the index). */
	EXPECT_UNMAPPED(0x0000000000000000);
}

static void top_of_address_space(void)
{
	fresh(4096);
	/* The last page and the last 2 MiB (as a -2 GiB kernel would map). */
	CHECK_EQ(0, pt_map(&ops, root, 0xfffffffffffff000, 0x5000, 0x1000, PT_WB, 0));
	EXPECT_MAP(0xffffffffffffffff, 0x5fff, PT_WB);
	CHECK_EQ(0, pt_map(&ops, root, 0xffffffff80000000, 0x200000, 0x80000000 - 0x1000, PT_WB, 0));
	EXPECT_MAP(0xffffffff80000000, 0x200000, PT_WB);
	CHECK_EQ(0, pt_unmap(&ops, root, 0xfffffffffffff000, 0x1000));
	EXPECT_UNMAPPED(0xfffffffffffff000);
}

static void above_4g(void)
{
	uint64_t e;

	fresh(4096);
	CHECK_EQ(0, pt_map(&ops, root, 0x380000000000, 0x380000000000, 0x1000, PT_UC, PT_WRITE));
	EXPECT_MAP(0x380000000abc, 0x380000000abc, PT_UC);
	CHECK_EQ(0, pt_map(&ops, root, 0x380000200000, 0x380000200000, 2 * MiB, PT_WC, PT_WRITE));
	e = EXPECT_MAP(0x3800003fffff, 0x3800003fffff, PT_WC);
	CHECK_EQ(PTE_PS, e & PTE_PS);
	/* A DAX window: 1 GiB write-back at 32 GiB, identity. */
	CHECK_EQ(0, pt_map(&ops, root, 0x800000000, 0x800000000, GiB, PT_WB, PT_WRITE | PT_NOEXEC));
	for (uint64_t off = 0; off < GiB; off += 0x3fe00000 / 7) {
		e = EXPECT_MAP(0x800000000 + off, 0x800000000 + off, PT_WB);
		CHECK_EQ(PTE_PS | PTE_NX | PTE_W, e & (PTE_PS | PTE_NX | PTE_W));
	}
	EXPECT_MAP(0x800000000 + GiB - 1, 0x800000000 + GiB - 1, PT_WB);
	EXPECT_UNMAPPED(0x800000000 + GiB);
	EXPECT_UNMAPPED(0x7fffff000);
	/* Remapped to a different physical address (va != pa, both above 4 GiB). */
	CHECK_EQ(0, pt_map(&ops, root, 0x100000000, 0x3ffe00000000, 2 * MiB, PT_WB, 0));
	EXPECT_MAP(0x100123456, 0x3ffe00123456, PT_WB);
}

static void split_on_remap(void)
{
	uint64_t e;

	fresh(4096);
	CHECK_EQ(0, pt_map(&ops, root, 0x200000, 0x10000000, 2 * MiB, PT_WB, PT_WRITE | PT_NOEXEC));
	CHECK_EQ(0, pt_map(&ops, root, 0x201000, 0x20000000, 0x1000, PT_UC, PT_WRITE));
	e = EXPECT_MAP(0x201234, 0x20000234, PT_UC);
	CHECK_EQ(0, e & PTE_NX);
	CHECK_EQ(0, e & PTE_PS);
	for (uint64_t va = 0x200000; va < 0x400000; va += 0x1000) {
		if (va == 0x201000)
			continue;
		e = EXPECT_MAP(va + 0x10, 0x10000000 + (va - 0x200000) + 0x10, PT_WB);
		if (!CHECK_EQ(PTE_NX | PTE_W, e & (PTE_NX | PTE_W | PTE_PS)))
			break;
	}
	EXPECT_UNMAPPED(0x400000);
	/* Mapping the whole 2 MiB again replaces the split pages. */
	CHECK_EQ(0, pt_map(&ops, root, 0x200000, 0x40000000, 2 * MiB, PT_WC, 0));
	EXPECT_MAP(0x201000, 0x40001000, PT_WC);
	EXPECT_MAP(0x3ff000, 0x401ff000, PT_WC);
}

static void unmap_sub_range(void)
{
	fresh(4096);
	CHECK_EQ(0, pt_map(&ops, root, 0x600000, 0x600000, 2 * MiB, PT_UC, PT_WRITE));
	CHECK_EQ(0, pt_unmap(&ops, root, 0x601000, 0x2000));
	EXPECT_UNMAPPED(0x601000);
	EXPECT_UNMAPPED(0x602fff);
	EXPECT_MAP(0x600000, 0x600000, PT_UC);
	EXPECT_MAP(0x603000, 0x603000, PT_UC);
	EXPECT_MAP(0x7ff000, 0x7ff000, PT_UC);
	/* 4 KiB mappings, unmapping the middle one. */
	CHECK_EQ(0, pt_map(&ops, root, 0x10000000, 0x5000, 0x3000, PT_WB, 0));
	CHECK_EQ(0, pt_unmap(&ops, root, 0x10001000, 0x1000));
	EXPECT_MAP(0x10000000, 0x5000, PT_WB);
	EXPECT_UNMAPPED(0x10001000);
	EXPECT_MAP(0x10002000, 0x7000, PT_WB);
	/* A whole 2 MiB page, and a range that was never mapped. */
	CHECK_EQ(0, pt_unmap(&ops, root, 0x600000, 2 * MiB));
	EXPECT_UNMAPPED(0x600000);
	EXPECT_UNMAPPED(0x7ff000);
	CHECK_EQ(0, pt_unmap(&ops, root, 0x40000000000, 8 * MiB + 0x3000));
	CHECK_EQ(0, pt_unmap(&ops, root, 0x10000000, 0));
	EXPECT_MAP(0x10000000, 0x5000, PT_WB);
	/* A range spanning a 4 KiB mapping, a gap and a 2 MiB page. */
	CHECK_EQ(0, pt_map(&ops, root, 0x20000000, 0x20000000, 4 * MiB, PT_WB, 0));
	CHECK_EQ(0, pt_unmap(&ops, root, 0x10002000, 0x20200000 - 0x10002000 + 0x1000));
	EXPECT_MAP(0x10000000, 0x5000, PT_WB);
	EXPECT_UNMAPPED(0x10002000);
	EXPECT_UNMAPPED(0x20000000);
	EXPECT_UNMAPPED(0x20200000);
	EXPECT_MAP(0x20201000, 0x20201000, PT_WB);
}

static void lookup_unmapped(void)
{
	fresh(4096);
	EXPECT_UNMAPPED(0);
	EXPECT_UNMAPPED(0x1000);
	EXPECT_UNMAPPED(0xffffffff80000000);
	CHECK_EQ(0, pt_map(&ops, root, 0x5000, 0x5000, 0x1000, PT_WB, 0));
	EXPECT_UNMAPPED(0x4000);                /* same page table */
	EXPECT_UNMAPPED(0x205000);              /* same page directory */
	EXPECT_UNMAPPED(0x40005000);            /* same PDPT */
	EXPECT_UNMAPPED(0x8000005000);          /* another PML4 slot */
	EXPECT_MAP(0x5000, 0x5000, PT_WB);
}

static void out_of_memory(void)
{
	/* A 4 KiB page needs a PDPT, a PD and a PT besides the root. */
	fresh(3);
	CHECK_EQ(-ENOMEM, pt_map(&ops, root, 0x1000, 0x1000, 0x1000, PT_WB, 0));
	EXPECT_UNMAPPED(0x1000);
	fresh(4);
	CHECK_EQ(0, pt_map(&ops, root, 0x1000, 0x1000, 0x1000, PT_WB, 0));
	EXPECT_MAP(0x1000, 0x1000, PT_WB);
	CHECK_EQ(-ENOMEM, pt_map(&ops, root, 0x200000, 0x1000, 0x1000, PT_WB, 0));   /* new PT */
	/* A 2 MiB page needs no PT; splitting it then does. */
	fresh(3);
	CHECK_EQ(0, pt_map(&ops, root, 0x200000, 0x800000, 2 * MiB, PT_WB, 0));
	CHECK_EQ(-ENOMEM, pt_map(&ops, root, 0x201000, 0x1000, 0x1000, PT_UC, 0));
	CHECK_EQ(-ENOMEM, pt_unmap(&ops, root, 0x201000, 0x1000));
	/* The 2 MiB page survives the failed splits. */
	EXPECT_MAP(0x201000, 0x801000, PT_WB);
	EXPECT_MAP(0x3ff000, 0x9ff000, PT_WB);
}

int main(void)
{
	RUN(cache_bits);
	RUN(map_4k_lookup);
	RUN(map_2m_when_aligned);
	RUN(bad_alignment);
	RUN(non_canonical);
	RUN(top_of_address_space);
	RUN(above_4g);
	RUN(split_on_remap);
	RUN(unmap_sub_range);
	RUN(lookup_unmapped);
	RUN(out_of_memory);
	fresh(0);
	free(H.tables[0]);
	return CHECK_DONE();
}
