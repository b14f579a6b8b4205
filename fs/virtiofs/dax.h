/*
 * The DAX range manager: which 2 MiB pieces of which files are mapped into
 * the device's cache window (virtio-fs shared memory region 0), and which to
 * give back when the window is full. Pure code over a small interface
 * (struct dax_window_ops: map and batched unmap), so tests/unit/test_dax.c
 * drives it with a stub window; fs/virtiofs/ gives it FUSE_SETUPMAPPING
 * and FUSE_REMOVEMAPPING.
 *
 * Why 2 MiB: one SETUPMAPPING round trip then serves 512 pages of I/O, and
 * the window's page tables can use 2 MiB pages; smaller ranges would cost
 * more round trips per byte, larger ones would waste a small window (Linux's
 * fs/fuse/dax.c makes the same choice).
 *
 * Lifecycle of a range: free → mapped (on the owner's per-file hash and the
 * busy LRU) → pinned while an I/O or an mmap uses it (dax_get/dax_put) →
 * unpinned, still mapped (a later access is a hit) → reclaimed (unmapped,
 * back on the free list) when the window runs short: inline when a dax_get
 * finds no free range, or in batches by dax_reclaim() when the free count
 * falls below the low-water mark. A pinned range is never reclaimed.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define DAX_RANGE_SHIFT 21
#define DAX_RANGE_SIZE  (1ull << DAX_RANGE_SHIFT)     /* 2 MiB */
#define DAX_UNMAP_BATCH 32

struct dax_window_ops {
	/* Map file range [foff, foff+len) of owner at window offset moff,
	 * read-only or read-write. 0 or -errno. */
	int (*map)(void *ctx, void *owner, uint64_t foff, uint64_t moff, uint64_t len, bool writable);
	/* Unmap n ranges of len bytes at window offsets moffs[]. 0 or -errno. */
	int (*unmap)(void *ctx, const uint64_t *moffs, unsigned n, uint64_t len);
};

struct dax_range {
	uint32_t slot;                  /* window offset = slot * DAX_RANGE_SIZE */
	void *owner;                    /* the file (vnode), NULL when free */
	uint64_t fidx;                  /* file offset / DAX_RANGE_SIZE */
	bool writable;
	int pins;
	uint64_t used;                  /* the manager's get count at the last use */
	struct dax_range *prev, *next;  /* busy LRU, most recent first */
	struct dax_range *hnext;        /* hash of (owner, fidx); free list */
};

struct dax_stats {
	uint64_t hits, maps, upgrades, unmaps, unmap_batches, inline_reclaims, busy_fails, bypasses;
};

struct dax_mgr {
	const struct dax_window_ops *ops;
	void *ctx;
	uint32_t nranges, nfree, low_water;
	struct dax_range *ranges;       /* nranges, slot i at ranges[i] */
	struct dax_range *free;
	struct dax_range *lru, *lru_tail;
	struct dax_range **hash;        /* nhash buckets */
	uint32_t nhash;
	/* Thrashing: of roughly the last 64 gets, how many missed (needed a
	 * SETUPMAPPING, or were sent around the window by dax_note_bypass). */
	uint32_t recent, recent_misses;
	uint64_t gets;                  /* a clock: dax_get calls so far */
	struct dax_stats st;
};

/* Set up for a window of len bytes (whole ranges only). ranges/hash are
 * the caller's memory: dax_mem_ranges(len) ranges and as many hash
 * buckets. 0, or -EINVAL if the window holds no range. */
uint32_t dax_nranges(uint64_t len);
int dax_init(struct dax_mgr *m, uint64_t len, struct dax_range *ranges, struct dax_range **hash,
	     const struct dax_window_ops *ops, void *ctx);

/* The range of owner covering file offset foff, mapped (read-write if
 * write) and pinned. May reclaim another range inline. NULL with *err:
 * -EBUSY when every range is pinned (the caller then goes through
 * FUSE_READ/WRITE), or the map/unmap error. */
struct dax_range *dax_get(struct dax_mgr *m, void *owner, uint64_t foff, bool write, int *err);

/* Unpin a range from dax_get. */
void dax_put(struct dax_mgr *m, struct dax_range *r);

/* Unmap owner's ranges that start at or after file offset from (0: all of
 * them), in batches. Pinned ones are skipped and counted: returns how many
 * stayed, or -errno. Truncation calls it before the SETATTR; forgetting a
 * file calls it with 0. */
int dax_drop(struct dax_mgr *m, void *owner, uint64_t from);

/* Reclaim unpinned ranges from the LRU tail, in batches, until at least
 * `want` are free (or nothing more can go). The number free after. */
uint32_t dax_reclaim(struct dax_mgr *m, uint32_t want);

/* The same, taking only cold ranges: not used in the last nranges gets.
 * Reclaiming ahead must not throw out what a small window is using: four
 * sequential streams in a four-range window touch each range every four
 * gets. */
uint32_t dax_reclaim_cold(struct dax_mgr *m, uint32_t want);

/* True when most recent gets missed while the window was (nearly) full, so
 * each one threw another mapping out: the window is too small for the
 * access pattern, and FUSE_READ/WRITE is cheaper than remapping
 * (docs/dax.md). */
bool dax_thrashing(const struct dax_mgr *m);

/* True when more than one recent get in eight missed: the working set is
 * moving, and reclaiming ahead saves round trips. */
bool dax_missing(const struct dax_mgr *m);

/* The mapped range of owner covering foff, or NULL; no pin, no LRU move. */
struct dax_range *dax_find(struct dax_mgr *m, void *owner, uint64_t foff);

/* The caller served a missing range without the window (thrashing): it
 * counts as a miss, so the signal holds while the pattern lasts. */
void dax_note_bypass(struct dax_mgr *m);
