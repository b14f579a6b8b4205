/*
 * The DAX range manager (fs/virtiofs/dax.c) against a stub window that
 * records every map and unmap: hits, read-only to read-write upgrades,
 * inline reclaim of the least recently used unpinned range, pinned ranges
 * never reclaimed (EBUSY when all are pinned), batched reclaim to the low
 * water mark, truncation dropping only ranges past the end, errors from the
 * window leaving nothing half-done, and the thrashing signal.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/virtiofs/dax.h"
#include "kernel/errno.h"
#include "check.h"

#define MAXR 64
#define MB (1ull << 20)

/* The stub window: which file range each slot holds, and the call log. */
struct slot { void *owner; uint64_t foff; bool writable; bool mapped; };
static struct slot win[MAXR];
static int nmap, nunmap_calls, nunmapped, fail_map, fail_unmap;

static int stub_map(void *ctx, void *owner, uint64_t foff, uint64_t moff, uint64_t len, bool writable)
{
	(void)ctx;
	if (fail_map)
		return -EIO;
	CHECK_EQ(DAX_RANGE_SIZE, len);
	CHECK_EQ(0, moff % DAX_RANGE_SIZE);
	CHECK_EQ(0, foff % DAX_RANGE_SIZE);
	win[moff / DAX_RANGE_SIZE] = (struct slot){ owner, foff, writable, true };
	nmap++;
	return 0;
}

static int stub_unmap(void *ctx, const uint64_t *moffs, unsigned n, uint64_t len)
{
	(void)ctx;
	if (fail_unmap)
		return -EIO;
	CHECK(n >= 1 && n <= DAX_UNMAP_BATCH);
	CHECK_EQ(DAX_RANGE_SIZE, len);
	for (unsigned i = 0; i < n; i++) {
		CHECK(win[moffs[i] / DAX_RANGE_SIZE].mapped);
		win[moffs[i] / DAX_RANGE_SIZE].mapped = false;
	}
	nunmap_calls++;
	nunmapped += (int)n;
	return 0;
}

static const struct dax_window_ops ops = { stub_map, stub_unmap };
static struct dax_mgr M;
static struct dax_range R[MAXR];
static struct dax_range *H[MAXR];
static char f1, f2, f3;         /* three files: only the addresses matter */

static void setup(uint64_t window)
{
	memset(win, 0, sizeof(win));
	nmap = nunmap_calls = nunmapped = fail_map = fail_unmap = 0;
	CHECK_EQ(0, dax_init(&M, window, R, H, &ops, NULL));
}

/* The window holds whole 2 MiB ranges; a window smaller than one is refused. */
static void init_sizes(void)
{
	CHECK_EQ(2, dax_nranges(4 * MB + 4096));
	CHECK_EQ(-EINVAL, dax_init(&M, MB, R, H, &ops, NULL));
	setup(8 * MB);
	CHECK_EQ(4, M.nranges);
	CHECK_EQ(4, M.nfree);
}

/* A second get of the same 2 MiB is a hit (no map); a different offset in
 * the same range too; the window slot holds the right file range. */
static void hit_and_map(void)
{
	int err;
	struct dax_range *a, *b;

	setup(8 * MB);
	a = dax_get(&M, &f1, 5 * MB, false, &err);
	CHECK(a != NULL);
	CHECK_EQ(1, nmap);
	CHECK(win[a->slot].owner == &f1);
	CHECK_EQ(4 * MB, win[a->slot].foff);
	dax_put(&M, a);
	b = dax_get(&M, &f1, 4 * MB + 123, false, &err);
	CHECK(b == a);
	CHECK_EQ(1, nmap);
	CHECK_EQ(1, M.st.hits);
	dax_put(&M, b);
}

/* A write to a range mapped read-only remaps it read-write, in place. */
static void upgrade_to_writable(void)
{
	int err;
	struct dax_range *a, *b;

	setup(8 * MB);
	a = dax_get(&M, &f1, 0, false, &err);
	CHECK(!win[a->slot].writable);
	dax_put(&M, a);
	b = dax_get(&M, &f1, 100, true, &err);
	CHECK(b == a);
	CHECK(win[b->slot].writable);
	CHECK_EQ(2, nmap);
	CHECK_EQ(1, M.st.upgrades);
	dax_put(&M, b);
}

/* With the window full, a new range takes the least recently used one's
 * slot; a recent get protects a range. */
static void inline_reclaim_lru(void)
{
	int err;
	struct dax_range *r;

	setup(4 * MB);          /* two ranges */
	dax_put(&M, dax_get(&M, &f1, 0, false, &err));
	dax_put(&M, dax_get(&M, &f2, 0, false, &err));
	dax_put(&M, dax_get(&M, &f1, 0, false, &err));  /* f1 is now the newest */
	r = dax_get(&M, &f3, 0, false, &err);
	CHECK(r != NULL);
	CHECK_EQ(1, nunmapped);
	CHECK_EQ(1, M.st.inline_reclaims);
	CHECK(win[r->slot].owner == &f3);
	/* f2 went, f1 stayed. */
	dax_put(&M, r);
	nmap = 0;
	dax_put(&M, dax_get(&M, &f1, 0, false, &err));
	CHECK_EQ(0, nmap);
}

/* Pinned ranges are never reclaimed; with all pinned the get says EBUSY. */
static void pinned_never_reclaimed(void)
{
	int err;
	struct dax_range *a, *b, *c;

	setup(4 * MB);
	a = dax_get(&M, &f1, 0, false, &err);
	b = dax_get(&M, &f2, 0, false, &err);
	c = dax_get(&M, &f3, 0, false, &err);
	CHECK(c == NULL);
	CHECK_EQ(-EBUSY, err);
	CHECK_EQ(0, nunmapped);
	dax_put(&M, a);
	c = dax_get(&M, &f3, 0, false, &err);
	CHECK(c != NULL);
	CHECK(c->slot == a->slot);
	dax_put(&M, b);
	dax_put(&M, c);
}

/* dax_reclaim frees unpinned ranges from the LRU tail, in batches of at
 * most DAX_UNMAP_BATCH, up to the number asked for. */
static void batched_reclaim(void)
{
	int err;
	struct dax_range *keep;

	setup(64 * 2 * MB);     /* 64 ranges */
	for (int i = 0; i < 64; i++)
		dax_put(&M, dax_get(&M, &f1, (uint64_t)i * 2 * MB, false, &err));
	keep = dax_get(&M, &f1, 0, false, &err);       /* pinned: must stay */
	CHECK_EQ(0, M.nfree);
	CHECK_EQ(40, dax_reclaim(&M, 40));
	CHECK_EQ(2, nunmap_calls);      /* 32 + 8 */
	CHECK_EQ(40, nunmapped);
	CHECK(win[keep->slot].mapped);
	CHECK_EQ(63, dax_reclaim(&M, 64));     /* the pinned one cannot go */
	dax_put(&M, keep);
}

/* Truncation drops the ranges wholly past the new end; the one holding the
 * end stays; other files are untouched; pinned ones are counted. */
static void drop_for_truncate(void)
{
	int err;
	struct dax_range *pinned;

	setup(16 * MB);
	for (int i = 0; i < 4; i++)
		dax_put(&M, dax_get(&M, &f1, (uint64_t)i * 2 * MB, false, &err));
	dax_put(&M, dax_get(&M, &f2, 0, false, &err));
	CHECK_EQ(0, dax_drop(&M, &f1, 3 * MB));         /* keeps [0,2) and [2,4) MiB */
	CHECK_EQ(2, nunmapped);
	nmap = 0;
	dax_put(&M, dax_get(&M, &f1, 2 * MB, false, &err));
	dax_put(&M, dax_get(&M, &f2, 0, false, &err));
	CHECK_EQ(0, nmap);
	pinned = dax_get(&M, &f1, 0, false, &err);
	CHECK_EQ(1, dax_drop(&M, &f1, 0));              /* the pinned range stays */
	dax_put(&M, pinned);
	CHECK_EQ(0, dax_drop(&M, &f1, 0));
}

/* A failing map leaves the range free; a failing unmap keeps the victim
 * mapped and in use, and the get fails with the error. */
static void window_errors(void)
{
	int err;
	struct dax_range *r;

	setup(2 * MB);
	fail_map = 1;
	CHECK(dax_get(&M, &f1, 0, false, &err) == NULL);
	CHECK_EQ(-EIO, err);
	CHECK_EQ(1, M.nfree);
	fail_map = 0;
	dax_put(&M, dax_get(&M, &f1, 0, false, &err));
	fail_unmap = 1;
	CHECK(dax_get(&M, &f2, 0, false, &err) == NULL);
	CHECK_EQ(-EIO, err);
	fail_unmap = 0;
	r = dax_get(&M, &f1, 0, false, &err);          /* still mapped: a hit */
	CHECK(r != NULL);
	CHECK(win[r->slot].owner == &f1 && win[r->slot].mapped);
	dax_put(&M, r);
}

/* Cycling over more files than the window holds is thrashing; re-reading
 * what fits is not. */
static void thrashing_signal(void)
{
	int err;

	setup(4 * MB);
	for (int i = 0; i < 100; i++)
		dax_put(&M, dax_get(&M, &f1, (uint64_t)(i % 2) * 2 * MB, false, &err));
	CHECK(!dax_thrashing(&M));
	for (int i = 0; i < 100; i++)
		dax_put(&M, dax_get(&M, &f1, (uint64_t)(i % 5) * 2 * MB, false, &err));
	CHECK(dax_thrashing(&M));
}

/* Filling a roomy window misses every time but is not thrashing; once the
 * signal is on, bypassed misses keep it on and hits turn it off. */
static void thrashing_needs_a_full_window(void)
{
	int err;

	setup((uint64_t)MAXR * 2 * MB);
	for (int i = 0; i < MAXR / 2; i++)
		dax_put(&M, dax_get(&M, &f1, (uint64_t)i * 2 * MB, false, &err));
	CHECK_EQ(MAXR / 2, M.st.maps);
	CHECK(!dax_thrashing(&M));
	setup(4 * MB);
	for (int i = 0; i < 100; i++)
		dax_put(&M, dax_get(&M, &f1, (uint64_t)(i % 5) * 2 * MB, false, &err));
	CHECK(dax_thrashing(&M));
	CHECK(dax_find(&M, &f1, 4 * 2 * MB) != NULL);  /* the last one got */
	CHECK(dax_find(&M, &f1, 0) == NULL);
	for (int i = 0; i < 100; i++)
		dax_note_bypass(&M);
	CHECK(dax_thrashing(&M));
	CHECK_EQ(100, M.st.bypasses);
	for (int i = 0; i < 200; i++)
		dax_put(&M, dax_get(&M, &f1, 4 * 2 * MB, false, &err));
	CHECK(!dax_thrashing(&M));
}

/* Reclaiming ahead takes only ranges unused for nranges gets: four streams
 * cycling through a four-range window keep all four. */
static void reclaim_cold_keeps_the_working_set(void)
{
	int err;

	setup(8 * MB);
	for (int i = 0; i < 40; i++)
		dax_put(&M, dax_get(&M, &f1, (uint64_t)(i % 4) * 2 * MB, false, &err));
	CHECK_EQ(0, M.nfree);
	CHECK_EQ(0, dax_reclaim_cold(&M, 2));
	CHECK_EQ(0, nunmapped);
	/* Now only range 0 is used: the other three grow cold. */
	for (int i = 0; i < 10; i++)
		dax_put(&M, dax_get(&M, &f1, 0, false, &err));
	CHECK_EQ(2, dax_reclaim_cold(&M, 2));
	CHECK(dax_find(&M, &f1, 0) != NULL);
	CHECK_EQ(2, nunmapped);
}

int main(void)
{
	RUN(init_sizes);
	RUN(hit_and_map);
	RUN(upgrade_to_writable);
	RUN(inline_reclaim_lru);
	RUN(pinned_never_reclaimed);
	RUN(batched_reclaim);
	RUN(drop_for_truncate);
	RUN(window_errors);
	RUN(thrashing_signal);
	RUN(thrashing_needs_a_full_window);
	RUN(reclaim_cold_keeps_the_working_set);
	return CHECK_DONE();
}
