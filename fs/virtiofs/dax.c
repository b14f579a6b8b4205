/*
 * The DAX range manager (see dax.h for the lifecycle and the numbers).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fs/virtiofs/dax.h"
#include "kernel/errno.h"

#define THRASH_WINDOW 64

static uint32_t bucket(const struct dax_mgr *m, void *owner, uint64_t fidx)
{
	uint64_t h = ((uintptr_t)owner >> 4) * 0x9e3779b97f4a7c15ull ^ fidx * 0xbf58476d1ce4e5b9ull;

	return (uint32_t)((h >> 32) % m->nhash);
}

uint32_t dax_nranges(uint64_t len)
{
	uint64_t n = len >> DAX_RANGE_SHIFT;

	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

int dax_init(struct dax_mgr *m, uint64_t len, struct dax_range *ranges, struct dax_range **hash,
	     const struct dax_window_ops *ops, void *ctx)
{
	uint32_t n = dax_nranges(len);

	if (n == 0)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	memset(ranges, 0, sizeof(*ranges) * n);
	memset(hash, 0, sizeof(*hash) * n);
	m->ops = ops;
	m->ctx = ctx;
	m->nranges = m->nhash = n;
	m->ranges = ranges;
	m->hash = hash;
	/* Reclaim in the background once fewer than an eighth are free. */
	m->low_water = n / 8 ? n / 8 : 1;
	for (uint32_t i = n; i-- > 0;) {
		ranges[i].slot = i;
		ranges[i].hnext = m->free;
		m->free = &ranges[i];
	}
	m->nfree = n;
	return 0;
}

static void lru_unlink(struct dax_mgr *m, struct dax_range *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		m->lru = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		m->lru_tail = r->prev;
	r->prev = r->next = NULL;
}

static void lru_front(struct dax_mgr *m, struct dax_range *r)
{
	r->prev = NULL;
	r->next = m->lru;
	if (m->lru)
		m->lru->prev = r;
	m->lru = r;
	if (!m->lru_tail)
		m->lru_tail = r;
}

static struct dax_range *lookup(struct dax_mgr *m, void *owner, uint64_t fidx)
{
	for (struct dax_range *r = m->hash[bucket(m, owner, fidx)]; r; r = r->hnext)
		if (r->owner == owner && r->fidx == fidx)
			return r;
	return NULL;
}

static void hash_remove(struct dax_mgr *m, struct dax_range *r)
{
	struct dax_range **pp = &m->hash[bucket(m, r->owner, r->fidx)];

	while (*pp != r)
		pp = &(*pp)->hnext;
	*pp = r->hnext;
}

/* Unmap a batch of (unpinned, mapped) ranges and free them. On an unmap
 * error the ranges stay mapped and busy: nothing is reused that the host
 * may still back with the old file. */
static int release(struct dax_mgr *m, struct dax_range **rs, unsigned n)
{
	uint64_t moffs[DAX_UNMAP_BATCH];
	int err;

	if (!n)
		return 0;
	for (unsigned i = 0; i < n; i++)
		moffs[i] = (uint64_t)rs[i]->slot << DAX_RANGE_SHIFT;
	err = m->ops->unmap(m->ctx, moffs, n, DAX_RANGE_SIZE);
	if (err)
		return err;
	m->st.unmaps += n;
	m->st.unmap_batches++;
	for (unsigned i = 0; i < n; i++) {
		struct dax_range *r = rs[i];

		hash_remove(m, r);
		lru_unlink(m, r);
		r->owner = NULL;
		r->writable = false;
		r->hnext = m->free;
		m->free = r;
		m->nfree++;
	}
	return 0;
}

static uint32_t reclaim(struct dax_mgr *m, uint32_t want, uint64_t min_age)
{
	while (m->nfree < want) {
		struct dax_range *batch[DAX_UNMAP_BATCH];
		unsigned n = 0;

		/* From the LRU tail: once a range is too young, so are the rest. */
		for (struct dax_range *r = m->lru_tail; r && n < DAX_UNMAP_BATCH && m->nfree + n < want;
		     r = r->prev) {
			if (m->gets - r->used < min_age)
				break;
			if (r->pins == 0)
				batch[n++] = r;
		}
		if (n == 0 || release(m, batch, n))
			break;
	}
	return m->nfree;
}

uint32_t dax_reclaim(struct dax_mgr *m, uint32_t want)
{
	return reclaim(m, want, 0);
}

uint32_t dax_reclaim_cold(struct dax_mgr *m, uint32_t want)
{
	return reclaim(m, want, (uint64_t)m->nranges + 1);
}

static void note_get(struct dax_mgr *m, bool miss)
{
	/* A decaying count over roughly the last THRASH_WINDOW gets. */
	if (m->recent == THRASH_WINDOW) {
		m->recent /= 2;
		m->recent_misses /= 2;
	}
	m->recent++;
	m->recent_misses += miss;
}

bool dax_thrashing(const struct dax_mgr *m)
{
	/* Most recent gets missed, and the window has no room to spare: each
	 * miss costs a mapping thrown out. Misses into free ranges (a cold
	 * window) are not thrashing. */
	return m->recent >= THRASH_WINDOW / 2 && m->recent_misses * 2 > m->recent &&
	       m->nfree <= 2 * m->low_water;
}

bool dax_missing(const struct dax_mgr *m)
{
	return m->recent_misses * 8 > m->recent;
}

struct dax_range *dax_find(struct dax_mgr *m, void *owner, uint64_t foff)
{
	return lookup(m, owner, foff >> DAX_RANGE_SHIFT);
}

void dax_note_bypass(struct dax_mgr *m)
{
	m->st.bypasses++;
	note_get(m, true);
}

struct dax_range *dax_get(struct dax_mgr *m, void *owner, uint64_t foff, bool write, int *err)
{
	uint64_t fidx = foff >> DAX_RANGE_SHIFT;
	struct dax_range *r = lookup(m, owner, fidx);

	m->gets++;

	*err = 0;
	if (r) {
		if (write && !r->writable) {
			/* Upgrade: map the same range again, read-write. */
			*err = m->ops->map(m->ctx, owner, fidx << DAX_RANGE_SHIFT,
					   (uint64_t)r->slot << DAX_RANGE_SHIFT, DAX_RANGE_SIZE, true);
			if (*err)
				return NULL;
			r->writable = true;
			m->st.upgrades++;
		} else {
			m->st.hits++;
		}
		r->pins++;
		r->used = m->gets;
		lru_unlink(m, r);
		lru_front(m, r);
		note_get(m, false);
		return r;
	}
	if (!m->free) {
		/* Inline reclaim: the least recently used unpinned range. */
		struct dax_range *victim = m->lru_tail;

		while (victim && victim->pins)
			victim = victim->prev;
		if (!victim) {
			m->st.busy_fails++;
			*err = -EBUSY;
			return NULL;
		}
		if ((*err = release(m, &victim, 1)))
			return NULL;
		m->st.inline_reclaims++;
	}
	r = m->free;
	*err = m->ops->map(m->ctx, owner, fidx << DAX_RANGE_SHIFT, (uint64_t)r->slot << DAX_RANGE_SHIFT,
			   DAX_RANGE_SIZE, write);
	if (*err)
		return NULL;
	m->free = r->hnext;
	m->nfree--;
	r->owner = owner;
	r->fidx = fidx;
	r->writable = write;
	r->pins = 1;
	r->used = m->gets;
	r->hnext = m->hash[bucket(m, owner, fidx)];
	m->hash[bucket(m, owner, fidx)] = r;
	lru_front(m, r);
	m->st.maps++;
	note_get(m, true);
	return r;
}

void dax_put(struct dax_mgr *m, struct dax_range *r)
{
	(void)m;
	if (r->pins > 0)
		r->pins--;
}

int dax_drop(struct dax_mgr *m, void *owner, uint64_t from)
{
	/* Ranges wholly at or past `from`; the one holding `from` stays. */
	uint64_t fidx = (from + DAX_RANGE_SIZE - 1) >> DAX_RANGE_SHIFT;
	int stayed = 0;

	for (;;) {
		struct dax_range *batch[DAX_UNMAP_BATCH];
		unsigned n = 0;
		int err;

		stayed = 0;
		for (struct dax_range *r = m->lru; r && n < DAX_UNMAP_BATCH; r = r->next) {
			if (r->owner != owner || r->fidx < fidx)
				continue;
			if (r->pins)
				stayed++;
			else
				batch[n++] = r;
		}
		if (n == 0)
			return stayed;
		if ((err = release(m, batch, n)))
			return err;
	}
}
