/*
 * The page cache (see pcache.h): a hash of (vnode, index) → page, an LRU
 * list, and a budget. Memory comes from the page allocator one frame at a
 * time, so a full cache is simply `max_pages` frames.
 */
#include <stdint.h>
#include <string.h>

#include "fs/pcache.h"
#include "kernel/errno.h"
#include "kernel/heap.h"
#include "kernel/mem.h"

#define HASH 4096

static struct cpage *hash[HASH];
static struct cpage *lru_head, *lru_tail;
static uint64_t npages, max_pages;
static pcache_writeback_fn writeback;
static struct pcache_stats stats;

static unsigned slot(struct vnode *vn, uint64_t index)
{
	uint64_t h = ((uintptr_t)vn >> 4) * 0x9e3779b97f4a7c15ull ^ index * 0xbf58476d1ce4e5b9ull;
	return (unsigned)(h >> 40) % HASH;
}

void pcache_init(uint64_t max, pcache_writeback_fn wb)
{
	max_pages = max ? max : mem_top() / 4 / PCACHE_PAGE;
	if (max_pages < 16)
		max_pages = 16;
	writeback = wb;
}

static void lru_unlink(struct cpage *pg)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		lru_head = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
	else
		lru_tail = pg->prev;
	pg->prev = pg->next = NULL;
}

static void lru_front(struct cpage *pg)
{
	pg->next = lru_head;
	pg->prev = NULL;
	if (lru_head)
		lru_head->prev = pg;
	lru_head = pg;
	if (!lru_tail)
		lru_tail = pg;
}

struct cpage *pcache_find(struct vnode *vn, uint64_t index)
{
	for (struct cpage *pg = hash[slot(vn, index)]; pg; pg = pg->hnext) {
		if (pg->vn == vn && pg->index == index) {
			if (pg != lru_head) {
				lru_unlink(pg);
				lru_front(pg);
			}
			return pg;
		}
	}
	return NULL;
}

/* Take pg out of the hash and the LRU list. */
static void unlink_page(struct cpage *pg)
{
	struct cpage **pp = &hash[slot(pg->vn, pg->index)];

	while (*pp != pg)
		pp = &(*pp)->hnext;
	*pp = pg->hnext;
	lru_unlink(pg);
	npages--;
}

static void remove(struct cpage *pg)
{
	unlink_page(pg);
	page_free(pg->data, 1);
	kfree(pg);
}

/* Take the least recently used page out, for reuse; a dirty page is
 * written back first, and kept (moved to the front) if that fails, so data
 * is never silently lost. NULL if no page could go. */
static struct cpage *evict_one(void)
{
	struct cpage *pg = lru_tail;

	for (uint64_t tries = 0; pg && tries < npages; tries++) {
		struct cpage *prev = pg->prev;

		if (pg->dirty && (!writeback || writeback(pg) != 0)) {
			lru_unlink(pg);
			lru_front(pg);
			pg = prev ? prev : lru_tail;
			continue;
		}
		if (pg->dirty)
			stats.writebacks++;
		stats.evictions++;
		unlink_page(pg);
		return pg;
	}
	return NULL;
}

/* The frame and struct of an evicted page are reused at once: a full cache
 * that keeps reading (the usual steady state) then costs no allocation or
 * free per page. */
static struct cpage *add(struct vnode *vn, uint64_t index, bool zero)
{
	struct cpage *pg = npages >= max_pages ? evict_one() : NULL;
	void *data;

	if (pg) {
		data = pg->data;
		if (zero)
			pcache_zero(data);
	} else {
		pg = kmalloc(sizeof(*pg));
		if (!pg)
			return NULL;
		data = page_alloc_range(1, 1, 0x100000, UINT64_MAX);    /* zeroed */
		if (!data) {
			kfree(pg);
			return NULL;
		}
	}
	*pg = (struct cpage){ .vn = vn, .index = index, .data = data };
	pg->hnext = hash[slot(vn, index)];
	hash[slot(vn, index)] = pg;
	lru_front(pg);
	npages++;
	return pg;
}

struct cpage *pcache_add(struct vnode *vn, uint64_t index)
{
	return add(vn, index, true);
}

struct cpage *pcache_add_unzeroed(struct vnode *vn, uint64_t index)
{
	return add(vn, index, false);
}

void pcache_drop_page(struct cpage *pg)
{
	remove(pg);
}

void pcache_drop(struct vnode *vn, uint64_t from)
{
	/* Walk the LRU: the cache is bounded, and drops are rare (truncate,
	 * a changed file on open, a vnode going away). */
	for (struct cpage *pg = lru_head, *next; pg; pg = next) {
		next = pg->next;
		if (pg->vn == vn && pg->index >= from)
			remove(pg);
	}
}

int pcache_each_dirty(struct vnode *vn, int (*fn)(struct cpage *pg, void *arg), void *arg)
{
	/* Collect in index order: repeatedly take the lowest dirty index
	 * above the last one. Quadratic in the worst case, but the dirty set
	 * of one file is small between flushes. */
	uint64_t next = 0;

	for (;;) {
		struct cpage *best = NULL;
		int err;

		for (struct cpage *pg = lru_head; pg; pg = pg->next)
			if (pg->vn == vn && pg->dirty && pg->index >= next && (!best || pg->index < best->index))
				best = pg;
		if (!best)
			return 0;
		next = best->index + 1;
		err = fn(best, arg);
		if (err)
			return err > 0 ? 0 : err;
	}
}

static int flush_one(struct cpage *pg, void *arg)
{
	int err;

	(void)arg;
	err = writeback ? writeback(pg) : -EIO;
	if (!err)
		stats.writebacks++;
	return err;
}

int pcache_flush(struct vnode *vn)
{
	return pcache_each_dirty(vn, flush_one, NULL);
}

void pcache_stats(struct pcache_stats *st)
{
	*st = stats;
	st->pages = npages;
	st->max_pages = max_pages;
}

void pcache_count(bool hit)
{
	if (hit)
		stats.hits++;
	else
		stats.misses++;
}
