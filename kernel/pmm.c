/*
 * Bitmap page allocator. Allocation is first-fit from the lowest allowed page,
 * so low memory (which boot code and 32-bit DMA prefer) is used first unless
 * a caller asks for a minimum address. `hint` only ever skips pages known to
 * be in use: it is raised past full words and lowered on free.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/errno.h"
#include "kernel/pmm.h"

static int test_bit(const struct pmm *p, uint64_t i)
{
	return (p->bitmap[i / 64] >> (i % 64)) & 1;
}

static void set_bit(struct pmm *p, uint64_t i)
{
	p->bitmap[i / 64] |= 1ull << (i % 64);
}

static void clear_bit(struct pmm *p, uint64_t i)
{
	p->bitmap[i / 64] &= ~(1ull << (i % 64));
}

void pmm_setup(struct pmm *p, uint64_t *bitmap, uint64_t npages)
{
	p->bitmap = bitmap;
	p->npages = npages;
	p->nfree = 0;
	p->hint = 0;
	for (size_t i = 0; i < pmm_bitmap_words(npages); i++)
		bitmap[i] = ~0ull;
}

void pmm_add_free(struct pmm *p, uint64_t base, uint64_t len)
{
	uint64_t first = (base + PAGE_SIZE - 1) >> PAGE_SHIFT;
	uint64_t end = (base + len) >> PAGE_SHIFT;

	if (base > UINT64_MAX - (PAGE_SIZE - 1))    /* no whole page up there */
		return;

	if (base + len < base)              /* wraps: clip to the top */
		end = UINT64_MAX >> PAGE_SHIFT;
	if (end > p->npages)
		end = p->npages;
	for (uint64_t i = first; i < end; i++) {
		if (i == 0)                 /* page 0 stays: 0 means "no page" */
			continue;
		if (test_bit(p, i)) {
			clear_bit(p, i);
			p->nfree++;
		}
	}
	if (first < p->hint)
		p->hint = first;
}

void pmm_reserve(struct pmm *p, uint64_t base, uint64_t len)
{
	uint64_t first = base >> PAGE_SHIFT;
	uint64_t end = ((base + len - 1) >> PAGE_SHIFT) + 1;    /* no overflow near the top */

	if (len == 0)
		return;
	if (base + len < base)
		end = UINT64_MAX >> PAGE_SHIFT;
	if (end > p->npages)
		end = p->npages;
	for (uint64_t i = first; i < end; i++) {
		if (!test_bit(p, i)) {
			set_bit(p, i);
			p->nfree--;
		}
	}
}

uint64_t pmm_alloc(struct pmm *p, uint64_t n, uint64_t align, uint64_t min, uint64_t max)
{
	uint64_t lo = (min + PAGE_SIZE - 1) >> PAGE_SHIFT;
	uint64_t hi = max >> PAGE_SHIFT;
	uint64_t i, run;

	if (n == 0 || align == 0 || (align & (align - 1)) || n > p->nfree)
		return 0;
	if (hi > p->npages)
		hi = p->npages;
	if (lo < p->hint)
		lo = p->hint;
	if (lo == 0)
		lo = 1;
	i = (lo + align - 1) & ~(align - 1);
	while (i + n <= hi && i >= lo) {
		/* Skip whole used words quickly when aligned to one. */
		if (i % 64 == 0 && p->bitmap[i / 64] == ~0ull) {
			if (i == p->hint)       /* nothing free below hint + 64 */
				p->hint += 64;
			i = (i + 64 + align - 1) & ~(align - 1);   /* align may exceed 64 */
			continue;
		}
		for (run = 0; run < n && !test_bit(p, i + run); run++)
			;
		if (run == n) {
			for (uint64_t k = 0; k < n; k++)
				set_bit(p, i + k);
			p->nfree -= n;
			return i << PAGE_SHIFT;
		}
		/* Restart after the used page, on the next aligned index. */
		i = (i + run + 1 + align - 1) & ~(align - 1);
	}
	return 0;
}

int pmm_free(struct pmm *p, uint64_t phys, uint64_t n)
{
	uint64_t first = phys >> PAGE_SHIFT;

	if ((phys & (PAGE_SIZE - 1)) || first == 0 || n == 0 ||
	    first >= p->npages || n > p->npages - first)
		return -EINVAL;
	for (uint64_t i = 0; i < n; i++)
		if (!test_bit(p, first + i))
			return -EINVAL;
	for (uint64_t i = 0; i < n; i++)
		clear_bit(p, first + i);
	p->nfree += n;
	if (first < p->hint)
		p->hint = first;
	return 0;
}
