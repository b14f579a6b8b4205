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
#include <stdint.h>

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

/* A new empty page for (vn, index) (replacing none: the caller checked),
 * evicting the least recently used page if the budget is full (writing it
 * back first if dirty). NULL if no memory could be had. */
struct cpage *pcache_add(struct vnode *vn, uint64_t index);

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

/* Counters for tests and trace: pages cached, budget, hits, misses. */
struct pcache_stats {
	uint64_t pages, max_pages, hits, misses, evictions, writebacks;
};
void pcache_stats(struct pcache_stats *st);
void pcache_count(bool hit);
