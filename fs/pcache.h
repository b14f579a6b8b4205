/*
 * The page cache: file data in 4 KiB pages, shared by all mounts, bounded
 * by a budget (cache.size=, default 1/4 of RAM) with LRU eviction. Used by
 * file systems whose mount caches data (cache=auto|always). A page belongs
 * to one vnode at one page index; `valid` bytes from its start hold file
 * data (a short page is the file's last). Dirty pages (writeback mode) are
 * written back through the owner's `writeback` callback before they are
 * dropped.
 *
 * The cache does not take vnode references: a file system drops a vnode's
 * pages (pcache_drop) before the vnode is freed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PCACHE_PAGE 4096u

struct vnode;

struct cpage {
	struct vnode *vn;
	uint64_t index;                 /* file offset / 4096 */
	uint32_t valid;                 /* bytes of data from the start */
	bool dirty;
	uint32_t dirty_from, dirty_to;  /* dirty byte range [from, to) */
	void *data;                     /* one page frame */
	struct cpage *hnext;            /* hash chain */
	struct cpage *prev, *next;      /* LRU, most recent first */
};

/* Write back one dirty page (return 0 or -errno); set by the file system
 * that owns dirty pages. */
typedef int (*pcache_writeback_fn)(struct cpage *pg);

/* Set the budget in pages (0: 1/4 of RAM). */
void pcache_init(uint64_t max_pages, pcache_writeback_fn wb);

/* The cached page, moved to the front of the LRU, or NULL. */
struct cpage *pcache_find(struct vnode *vn, uint64_t index);

/* A new empty (zeroed) page for (vn, index) (replacing none: the caller
 * checked), evicting the least recently used page if the budget is full
 * (writing it back first if dirty). NULL if no memory could be had. */
struct cpage *pcache_add(struct vnode *vn, uint64_t index);

/* The same, but the frame may hold old bytes: for a page a read from the
 * file is about to fill, whose caller zeroes whatever the read leaves
 * (zeroing a page costs about as much as a third of a 128 KiB READ's round
 * trip under emulation). */
struct cpage *pcache_add_unzeroed(struct vnode *vn, uint64_t index);

/* Drop one page (its data is gone, dirty or not). */
void pcache_drop_page(struct cpage *pg);

/* Drop vn's pages with index >= from (0: all). Dirty ones are dropped
 * without writeback: the caller flushes first when it wants the data. */
void pcache_drop(struct vnode *vn, uint64_t from);

/* Write back vn's dirty pages in index order (coalescing is the callback's
 * business). 0 or the first error. */
int pcache_flush(struct vnode *vn);

/* The dirty pages of vn in index order, for a writeback that batches:
 * calls fn for each until it returns non-zero. */
int pcache_each_dirty(struct vnode *vn, int (*fn)(struct cpage *pg, void *arg), void *arg);

/* Copy n bytes out of (or into) a cached page. A page-cache hit is mostly
 * this copy, so it is written for the emulator the benchmarks run under
 * (QEMU's TCG): there every memory access costs about the same whatever its
 * width, and the `rep movsq` of musl's memcpy pays a loop exit per 8 bytes,
 * so register moves, 256 bytes a round (one translated block each), copy
 * a page in about 70 % of the time (SSE is no faster there, and the kernel
 * does not touch vector registers). The tail of fewer than 256 bytes goes
 * to memcpy. */
static inline void pcache_copy(void *dst, const void *src, size_t n)
{
	size_t bulk = n & ~(size_t)255;

	if (bulk) {
		void *d = dst;
		const void *s = src;
		size_t left = bulk;

		__asm__ volatile(
			"1:\n\t"
			".rept 8\n\t"
			"movq (%1), %%rax\n\t"
			"movq 8(%1), %%rcx\n\t"
			"movq 16(%1), %%rdx\n\t"
			"movq 24(%1), %%r8\n\t"
			"movq %%rax, (%0)\n\t"
			"movq %%rcx, 8(%0)\n\t"
			"movq %%rdx, 16(%0)\n\t"
			"movq %%r8, 24(%0)\n\t"
			"leaq 32(%1), %1\n\t"
			"leaq 32(%0), %0\n\t"
			".endr\n\t"
			"subq $256, %2\n\t"
			"jnz 1b"
			: "+r"(d), "+r"(s), "+r"(left)
			:
			: "rax", "rcx", "rdx", "r8", "memory", "cc");
	}
	if (n > bulk)
		memcpy((char *)dst + bulk, (const char *)src + bulk, n - bulk);
}

/* Zero one page frame, with the same register stores as pcache_copy. */
static inline void pcache_zero(void *page)
{
	void *d = page;
	size_t left = PCACHE_PAGE;

	__asm__ volatile(
		"xorl %%eax, %%eax\n\t"
		"1:\n\t"
		".rept 8\n\t"
		"movq %%rax, (%0)\n\t"
		"movq %%rax, 8(%0)\n\t"
		"movq %%rax, 16(%0)\n\t"
		"movq %%rax, 24(%0)\n\t"
		"leaq 32(%0), %0\n\t"
		".endr\n\t"
		"subq $256, %1\n\t"
		"jnz 1b"
		: "+r"(d), "+r"(left)
		:
		: "rax", "memory", "cc");
}

/* Counters for tests and trace: pages cached, budget, hits, misses. */
struct pcache_stats {
	uint64_t pages, max_pages, hits, misses, evictions, writebacks;
};
void pcache_stats(struct pcache_stats *st);
void pcache_count(bool hit);
