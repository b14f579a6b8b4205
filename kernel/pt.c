/*
 * Page-table builder. Walks PML4 -> PDPT -> PD -> PT, allocating tables on the
 * way down; a PD entry may instead hold a 2 MiB page. Host-tested.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/errno.h"
#include "kernel/pt.h"

#define ENTRIES 512

static unsigned idx(uint64_t va, int level)     /* level 3 = PML4 ... 0 = PT */
{
	return (va >> (12 + 9 * level)) & (ENTRIES - 1);
}

static int canonical(uint64_t va)
{
	return va < (1ull << 47) || va >= 0xffff800000000000ull;
}

uint64_t pt_cache_bits(enum pt_cache cache)
{
	switch (cache) {
	case PT_WC:
		return PTE_PWT;                 /* PAT entry 1 */
	case PT_UC:
		return PTE_PWT | PTE_PCD;       /* PAT entry 3 */
	case PT_WB:
	default:
		return 0;                       /* PAT entry 0 */
	}
}

static uint64_t *table(const struct pt_ops *ops, uint64_t phys)
{
	return ops->virt(ops->ctx, phys & PTE_ADDR);
}

/* Replace the 2 MiB page in *pde by a table of 512 equivalent 4 KiB pages. */
static int split_2m(const struct pt_ops *ops, uint64_t *pde)
{
	uint64_t pt = ops->alloc(ops->ctx);
	uint64_t base = *pde & PTE_ADDR & ~(PAGE_2M - 1);
	uint64_t attrs = *pde & ~PTE_ADDR & ~PTE_PS;
	uint64_t *t;

	if (!pt)
		return -ENOMEM;
	t = table(ops, pt);
	for (int i = 0; i < ENTRIES; i++)
		t[i] = (base + (uint64_t)i * 4096) | attrs;
	/* Intermediate entries stay permissive; the leaves decide. */
	*pde = pt | PTE_P | PTE_W | (attrs & PTE_U);
	return 0;
}

/* The entry for va at `level` (1 = PD, 0 = PT), creating tables on the way
 * (and splitting a 2 MiB page in the way of a PT entry) when create is set.
 * A PD entry is returned whatever it holds. NULL with *err set on failure. */
static uint64_t *walk(const struct pt_ops *ops, uint64_t root, uint64_t va, int level,
		      int create, int *err)
{
	uint64_t *t = table(ops, root);

	for (int l = 3; l > level; l--) {
		uint64_t *e = &t[idx(va, l)];
		if (!(*e & PTE_P)) {
			uint64_t nt;
			if (!create) {
				*err = -ENOENT;
				return NULL;
			}
			nt = ops->alloc(ops->ctx);
			if (!nt) {
				*err = -ENOMEM;
				return NULL;
			}
			*e = nt | PTE_P | PTE_W | PTE_U;
		} else if (l == 1 && (*e & PTE_PS)) {
			/* Reaching below a 2 MiB page: split it first. */
			if (!create) {
				*err = -ENOENT;
				return NULL;
			}
			*err = split_2m(ops, e);
			if (*err)
				return NULL;
		}
		t = table(ops, *e);
	}
	return &t[idx(va, level)];
}

static int check_range(uint64_t va, uint64_t len)
{
	if ((va | len) & 0xfff)
		return -EINVAL;
	if (len && (va + len - 1 < va || !canonical(va) || !canonical(va + len - 1)))
		return -EINVAL;
	if (len && va < (1ull << 47) && va + len - 1 >= (1ull << 47))
		return -EINVAL;
	return 0;
}

int pt_map(const struct pt_ops *ops, uint64_t root, uint64_t va, uint64_t pa,
	   uint64_t len, enum pt_cache cache, uint64_t flags)
{
	uint64_t attrs = PTE_P | pt_cache_bits(cache) | (flags & (PTE_W | PTE_U | PTE_NX));
	int err = check_range(va, len);

	if (err)
		return err;
	/* Physical addresses have at most 52 bits. */
	if ((pa & 0xfff) || (len && (pa + len < pa || pa + len - 1 > 0x000fffffffffffffull)))
		return -EINVAL;
	while (len) {
		uint64_t *e;
		if (((va | pa) & (PAGE_2M - 1)) == 0 && len >= PAGE_2M) {
			e = walk(ops, root, va, 1, 1, &err);
			if (!e)
				return err;
			/* A table already here is abandoned (not freed): remapping
			 * whole 2 MiB regions that were once split is rare. */
			*e = pa | attrs | PTE_PS;
			va += PAGE_2M, pa += PAGE_2M, len -= PAGE_2M;
		} else {
			e = walk(ops, root, va, 0, 1, &err);
			if (!e)
				return err;
			*e = pa | attrs;
			va += 4096, pa += 4096, len -= 4096;
		}
	}
	return 0;
}

int pt_unmap(const struct pt_ops *ops, uint64_t root, uint64_t va, uint64_t len)
{
	int err = check_range(va, len);

	if (err)
		return err;
	while (len) {
		uint64_t *pde = walk(ops, root, va, 1, 0, &err);
		if (!pde || !(*pde & PTE_P)) {
			/* Nothing mapped in this 2 MiB region: skip to its end. */
			uint64_t step = PAGE_2M - (va & (PAGE_2M - 1));
			if (step > len)
				step = len;
			va += step, len -= step;
			continue;
		}
		if ((*pde & PTE_PS) && (va & (PAGE_2M - 1)) == 0 && len >= PAGE_2M) {
			*pde = 0;
			va += PAGE_2M, len -= PAGE_2M;
			continue;
		}
		uint64_t *pte = walk(ops, root, va, 0, 1, &err);   /* splits if needed */
		if (!pte)
			return err;
		*pte = 0;
		va += 4096, len -= 4096;
	}
	return 0;
}

int pt_lookup(const struct pt_ops *ops, uint64_t root, uint64_t va, uint64_t *pa, uint64_t *entry)
{
	uint64_t *t = table(ops, root);

	for (int l = 3; l >= 0; l--) {
		uint64_t e = t[idx(va, l)];
		if (!(e & PTE_P))
			return -ENOENT;
		if (l == 0 || (l == 1 && (e & PTE_PS))) {
			uint64_t mask = l == 1 ? PAGE_2M - 1 : 0xfff;
			*pa = ((e & PTE_ADDR) & ~mask) | (va & mask);
			*entry = e;
			return 0;
		}
		t = table(ops, e);
	}
	return -ENOENT;
}
