/*
 * The page cache (fs/pcache.c) on the host: lookups, the LRU order of
 * eviction within the budget, dirty pages written back before they go (and
 * kept when that fails), range drops, and dirty pages visited in index
 * order. The kernel's page allocator and heap are stubbed with calloc.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/pcache.h"
#include "check.h"

/* ---- stubs for what pcache.c takes from the kernel ---- */
static long frames_out;
void *kmalloc(size_t n) { return calloc(1, n); }
void kfree(void *p) { free(p); }
void *page_alloc_range(uint64_t n, uint64_t align, uint64_t min, uint64_t max)
{
	(void)align, (void)min, (void)max;
	frames_out += (long)n;
	return calloc(n, 4096);
}
void page_free(void *p, uint64_t n) { frames_out -= (long)n; free(p); }
uint64_t mem_top(void) { return 64u << 20; }

/* Two fake vnodes: only their addresses matter to the cache. */
static char vn_a, vn_b;
#define A ((struct vnode *)&vn_a)
#define B ((struct vnode *)&vn_b)

static int wb_calls, wb_fail;
static uint64_t wb_last;
static int writeback(struct cpage *pg)
{
	wb_calls++;
	wb_last = pg->index;
	if (wb_fail)
		return -5;
	pg->dirty = false;
	return 0;
}

static void reset(uint64_t budget)
{
	pcache_drop(A, 0);
	pcache_drop(B, 0);
	wb_calls = wb_fail = 0;
	pcache_init(budget, writeback);
}

/* A page added is found again; another vnode's index is another page. */
static void add_then_find(void)
{
	struct cpage *p;

	reset(16);
	p = pcache_add(A, 7);
	CHECK(p != NULL);
	memcpy(p->data, "abc", 3);
	p->valid = 3;
	CHECK(pcache_find(A, 7) == p);
	CHECK(pcache_find(B, 7) == NULL);
	CHECK(pcache_find(A, 8) == NULL);
}

/* At the budget the least recently used page goes; a find counts as a use. */
static void lru_eviction_order(void)
{
	struct pcache_stats st;

	reset(16);
	for (uint64_t i = 0; i < 16; i++)
		CHECK(pcache_add(A, i) != NULL);
	CHECK(pcache_find(A, 0) != NULL);       /* 0 is now the most recent */
	CHECK(pcache_add(A, 100) != NULL);      /* evicts 1, the oldest */
	CHECK(pcache_find(A, 1) == NULL);
	CHECK(pcache_find(A, 0) != NULL);
	pcache_stats(&st);
	CHECK_EQ(16, st.pages);
	CHECK_EQ(16, st.max_pages);
}

/* A dirty page is written back before it is evicted; if writeback fails it
 * stays (and a clean page goes instead). */
static void dirty_written_before_eviction(void)
{
	struct cpage *p;

	reset(16);
	for (uint64_t i = 0; i < 16; i++)
		pcache_add(A, i);
	p = pcache_find(A, 0);
	pcache_find(A, 0);
	/* Make the oldest (1) dirty. */
	p = pcache_find(A, 1);
	p->dirty = true;
	for (uint64_t i = 2; i < 16; i++)
		pcache_find(A, i);
	pcache_find(A, 0);
	/* LRU order now: 1 (oldest, dirty), 2, ..., 15, 0. */
	CHECK(pcache_add(A, 200) != NULL);
	CHECK_EQ(1, wb_calls);
	CHECK_EQ(1, wb_last);
	CHECK(pcache_find(A, 1) == NULL);

	reset(16);
	for (uint64_t i = 0; i < 16; i++)
		pcache_add(A, i)->dirty = (i == 0);
	wb_fail = 1;
	CHECK(pcache_add(A, 300) != NULL);      /* 0 cannot go: 1 goes */
	CHECK(pcache_find(A, 0) != NULL);
	CHECK(pcache_find(A, 1) == NULL);
	wb_fail = 0;
}

/* pcache_drop removes from an index on, only for that vnode. */
static void drop_range(void)
{
	reset(64);
	for (uint64_t i = 0; i < 10; i++) {
		pcache_add(A, i);
		pcache_add(B, i);
	}
	pcache_drop(A, 4);
	for (uint64_t i = 0; i < 10; i++) {
		CHECK((pcache_find(A, i) != NULL) == (i < 4));
		CHECK(pcache_find(B, i) != NULL);
	}
}

static uint64_t seen[64];
static int nseen;
static int visit(struct cpage *pg, void *arg)
{
	(void)arg;
	seen[nseen++] = pg->index;
	return 0;
}

/* Dirty pages come in index order whatever the LRU order; clean ones and
 * other vnodes' are skipped. */
static void dirty_in_index_order(void)
{
	static const uint64_t idx[] = { 9, 2, 30, 5, 17 };

	reset(64);
	for (unsigned i = 0; i < 5; i++)
		pcache_add(A, idx[i])->dirty = true;
	pcache_add(A, 3);
	pcache_add(B, 1)->dirty = true;
	nseen = 0;
	CHECK_EQ(0, pcache_each_dirty(A, visit, NULL));
	CHECK_EQ(5, nseen);
	CHECK_EQ(2, seen[0]);
	CHECK_EQ(5, seen[1]);
	CHECK_EQ(9, seen[2]);
	CHECK_EQ(17, seen[3]);
	CHECK_EQ(30, seen[4]);
}

/* Every frame handed out comes back when the pages go. */
static void frames_balance(void)
{
	reset(32);
	for (uint64_t i = 0; i < 100; i++)
		pcache_add(A, i);
	pcache_drop(A, 0);
	CHECK_EQ(0, frames_out);
}

int main(void)
{
	RUN(add_then_find);
	RUN(lru_eviction_order);
	RUN(dirty_written_before_eviction);
	RUN(drop_range);
	RUN(dirty_in_index_order);
	RUN(frames_balance);
	return CHECK_DONE();
}
