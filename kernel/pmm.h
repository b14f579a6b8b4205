/*
 * Physical page allocator: one bit per 4 KiB page over [0, npages), set when
 * the page is in use or not RAM. Pure code over memory the caller provides, so
 * tests/unit/test_pmm.c drives it on the host; kernel/mem.c owns the kernel's
 * instance. No locking: remora runs one CPU and calls it with interrupts off
 * or from thread context only.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE  UINT64_C(4096)
#define PAGE_SHIFT 12

struct pmm {
	uint64_t *bitmap;       /* bit set = page used */
	uint64_t npages;        /* pages covered, from physical address 0 */
	uint64_t nfree;
	uint64_t hint;          /* a page index at or below the lowest free page */
};

/* 64-bit words of bitmap needed to cover npages. */
static inline size_t pmm_bitmap_words(uint64_t npages) { return (npages + 63) / 64; }

/* Start with every page in use. bitmap holds pmm_bitmap_words(npages) words. */
void pmm_setup(struct pmm *p, uint64_t *bitmap, uint64_t npages);

/* Mark the whole pages inside [base, base+len) free (rounding inward) /
 * every page touching it used (rounding outward). Ranges past npages are
 * clipped. */
void pmm_add_free(struct pmm *p, uint64_t base, uint64_t len);
void pmm_reserve(struct pmm *p, uint64_t base, uint64_t len);

/* Allocate n contiguous pages whose physical range lies inside [min, max)
 * and starts on a multiple of align pages (align a power of two, >= 1).
 * Returns the physical address, or 0 when no such run exists (page 0 is
 * never handed out). */
uint64_t pmm_alloc(struct pmm *p, uint64_t n, uint64_t align, uint64_t min, uint64_t max);

/* Free n pages at phys. Returns 0, or -EINVAL if phys is unaligned, out of
 * range, or any of the pages is already free (a double free). */
int pmm_free(struct pmm *p, uint64_t phys, uint64_t n);
