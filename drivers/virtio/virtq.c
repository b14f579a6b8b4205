/*
 * Split virtqueue, driver side (virtio 1.2 §2.7). See virtq.h for the API.
 *
 * Layout of the memory handed to virtq_init():
 *   desc[size]                 16-byte aligned (§2.7: descriptor table)
 *   avail: flags idx ring[size] used_event   2-byte aligned
 *   used:  flags idx ring[size] avail_event  4-byte aligned (we use 64)
 *   indirect tables            size x VIRTQ_INDIRECT_MAX descriptors
 *   slot[size]                 driver-private, never read by the device
 *
 * Ordering. x86 is TSO: stores are seen in order, loads are done in order,
 * but a later load may pass an earlier store. The device runs on another
 * host thread reading and writing this memory, so:
 *   - wmb: store/store. A compiler barrier suffices on x86.
 *   - rmb: load/load.   A compiler barrier suffices on x86.
 *   - mb:  store/load.  Needs mfence.
 * Every use below says what it orders. Shared fields the device writes are
 * read through ring_read16/32, once each, into locals that are then checked.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "drivers/virtio/virtq.h"
#include "kernel/errno.h"

#define virtq_wmb() __asm__ volatile("" ::: "memory")
#define virtq_rmb() __asm__ volatile("" ::: "memory")
#define virtq_mb()  __asm__ volatile("mfence" ::: "memory")

static inline uint16_t ring_read16(const le16 *p) { return le16_to_cpu(*(const volatile le16 *)p); }
static inline uint32_t ring_read32(const le32 *p) { return le32_to_cpu(*(const volatile le32 *)p); }
static inline void ring_write16(le16 *p, uint16_t v) { *(volatile le16 *)p = cpu_to_le16(v); }

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~(size_t)((a) - 1))

struct layout {
	size_t avail, used, indirect, slot, total;
};

static struct layout layout_of(uint16_t size)
{
	struct layout l;

	l.avail = sizeof(struct virtq_desc) * size;
	l.used = ALIGN_UP(l.avail + 4 + 2 * (size_t)size + 2, 64);
	l.indirect = ALIGN_UP(l.used + 4 + sizeof(struct virtq_used_elem) * size + 2, 64);
	l.slot = l.indirect + sizeof(struct virtq_desc) * VIRTQ_INDIRECT_MAX * size;
	l.total = ALIGN_UP(l.slot + sizeof(struct virtq_slot) * size, 4096);
	return l;
}

size_t virtq_mem_size(uint16_t size)
{
	return layout_of(size).total;
}

/* used_event lives after avail->ring[size]; avail_event after used->ring[size]. */
static le16 *used_event(struct virtq *vq) { return &vq->avail->ring[vq->size]; }
static le16 *avail_event(struct virtq *vq) { return (le16 *)&vq->used->ring[vq->size]; }

int virtq_init(struct virtq *vq, uint16_t index, uint16_t size, void *mem,
	       bool indirect, bool event_idx)
{
	struct layout l;
	char *m = mem;

	if (size == 0 || size > 32768 || (size & (size - 1)))
		return -EINVAL;
	l = layout_of(size);
	memset(vq, 0, sizeof(*vq));
	memset(mem, 0, l.total);
	vq->desc = (struct virtq_desc *)m;
	vq->avail = (struct virtq_avail *)(m + l.avail);
	vq->used = (struct virtq_used *)(m + l.used);
	vq->indirect = (struct virtq_desc *)(m + l.indirect);
	vq->slot = (struct virtq_slot *)(m + l.slot);
	vq->size = size;
	vq->index = index;
	vq->use_indirect = indirect;
	vq->use_event_idx = event_idx;
	for (uint16_t i = 0; i < size; i++)
		vq->slot[i].next = (uint16_t)(i + 1);
	vq->free_head = 0;
	vq->num_free = size;
	/* A zeroed ring asks for interrupts: flags 0, used_event 0. */
	vq->irq_wanted = true;
	return 0;
}

void virtq_set_broken(struct virtq *vq, const char *why)
{
	if (vq->broken)
		return;
	vq->broken = true;
	if (vq->log)
		vq->log("virtq: %s queue %u broken: %s; its requests fail with EIO\n",
			vq->name ? vq->name : "?", vq->index, why);
}

static void fill_desc(struct virtq_desc *d, const struct virtq_buf *b, bool write)
{
	d->addr = cpu_to_le64((uint64_t)(uintptr_t)b->addr);
	d->len = cpu_to_le32(b->len);
	d->flags = cpu_to_le16(write ? VIRTQ_DESC_F_WRITE : 0);
}

int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned nout,
	      unsigned nin, void *token)
{
	unsigned n = nout + nin;
	uint64_t in_len = 0;
	uint16_t head, idx;
	bool indirect;

	if (vq->broken)
		return -EIO;
	if (!token || n == 0 || n < nout)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (bufs[i].len == 0)
			return -EINVAL;
		if (i >= nout)
			in_len += bufs[i].len;
	}
	if (in_len > UINT32_MAX)
		return -EINVAL;
	indirect = vq->use_indirect && n > 1 && n <= VIRTQ_INDIRECT_MAX;
	if (!indirect && n > vq->size)
		return -EINVAL;
	if (vq->num_free < (indirect ? 1 : n))
		return -ENOSPC;

	head = vq->free_head;
	if (indirect) {
		/* One ring descriptor pointing at this head's private table. */
		struct virtq_desc *t = &vq->indirect[(size_t)head * VIRTQ_INDIRECT_MAX];

		for (unsigned i = 0; i < n; i++) {
			fill_desc(&t[i], &bufs[i], i >= nout);
			if (i + 1 < n) {
				t[i].flags |= cpu_to_le16(VIRTQ_DESC_F_NEXT);
				t[i].next = cpu_to_le16((uint16_t)(i + 1));
			}
		}
		vq->desc[head].addr = cpu_to_le64((uint64_t)(uintptr_t)t);
		vq->desc[head].len = cpu_to_le32((uint32_t)(n * sizeof(*t)));
		vq->desc[head].flags = cpu_to_le16(VIRTQ_DESC_F_INDIRECT);
		vq->free_head = vq->slot[head].next;
		vq->slot[head].ndesc = 1;
	} else {
		uint16_t d = head, prev = head;

		for (unsigned i = 0; i < n; i++) {
			fill_desc(&vq->desc[d], &bufs[i], i >= nout);
			prev = d;
			d = vq->slot[d].next;
			if (i + 1 < n) {
				vq->desc[prev].flags |= cpu_to_le16(VIRTQ_DESC_F_NEXT);
				vq->desc[prev].next = cpu_to_le16(d);
			}
		}
		vq->free_head = d;
		vq->slot[head].ndesc = (uint16_t)n;
	}
	vq->num_free -= vq->slot[head].ndesc;
	vq->slot[head].token = token;
	vq->slot[head].in_len = (uint32_t)in_len;
	vq->inflight++;
	vq->n_added++;

	/* The descriptors must be visible before the ring entry naming them,
	 * and the entry before the index (published in virtq_kick): wmb. */
	idx = vq->avail_idx & (vq->size - 1);
	virtq_wmb();
	ring_write16(&vq->avail->ring[idx], head);
	vq->avail_idx++;
	if (vq->trace && vq->log)
		vq->log("virtq: %s/%u add head %u: %u out + %u in%s, %u free\n",
			vq->name, vq->index, head, nout, nin, indirect ? " (indirect)" : "",
			vq->num_free);
	return 0;
}

void virtq_kick(struct virtq *vq)
{
	uint16_t old = vq->kicked_idx, new_idx = vq->avail_idx;
	bool notify;

	if (vq->broken || old == new_idx)
		return;
	/* Ring entries before the index that makes them available: wmb. */
	virtq_wmb();
	ring_write16(&vq->avail->idx, new_idx);
	vq->kicked_idx = new_idx;
	/* The new index must be visible before we read the device's
	 * suppression state, or we could miss that it went to sleep after
	 * checking an index it saw as old (store then load): mb. */
	virtq_mb();
	if (vq->use_event_idx)
		notify = virtq_need_event(ring_read16(avail_event(vq)), new_idx, old);
	else
		notify = !(ring_read16(&vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
	if (notify) {
		vq->n_kicks++;
		if (vq->notify)
			vq->notify(vq, vq->notify_arg);
	} else {
		vq->n_kicks_suppressed++;
	}
	if (vq->trace && vq->log)
		vq->log("virtq: %s/%u avail idx %u, %s\n", vq->name, vq->index, new_idx,
			notify ? "notify" : "notify suppressed");
}

/* Put a completed chain's descriptors back on the free list. */
static void free_chain(struct virtq *vq, uint16_t head)
{
	uint16_t last = head;

	for (uint16_t i = 1; i < vq->slot[head].ndesc; i++)
		last = vq->slot[last].next;
	vq->slot[last].next = vq->free_head;
	vq->free_head = head;
	vq->num_free += vq->slot[head].ndesc;
	vq->slot[head].token = NULL;
	vq->inflight--;
}

bool virtq_has_used(const struct virtq *vq)
{
	return !vq->broken && ring_read16(&vq->used->idx) != vq->last_used;
}

void *virtq_get_used(struct virtq *vq, uint32_t *len)
{
	uint16_t used_idx, pending, slot;
	uint32_t id, n;
	void *token;

	if (vq->broken)
		return NULL;
	used_idx = ring_read16(&vq->used->idx);
	pending = (uint16_t)(used_idx - vq->last_used);
	if (pending == 0)
		return NULL;
	if (pending > vq->inflight) {
		virtq_set_broken(vq, "used idx ran ahead of the requests in flight");
		return NULL;
	}
	/* Read the entry only after the index that covers it: rmb. */
	virtq_rmb();
	slot = vq->last_used & (vq->size - 1);
	id = ring_read32(&vq->used->ring[slot].id);
	n = ring_read32(&vq->used->ring[slot].len);
	if (id >= vq->size || !vq->slot[id].token) {
		virtq_set_broken(vq, "used id is not a request in flight");
		return NULL;
	}
	if (n > vq->slot[id].in_len) {
		virtq_set_broken(vq, "used len exceeds the request's writable bytes");
		return NULL;
	}
	token = vq->slot[id].token;
	free_chain(vq, (uint16_t)id);
	vq->last_used++;
	vq->n_used++;
	if (vq->use_event_idx && vq->irq_wanted) {
		/* Keep asking to hear about the entry after this one. The
		 * store need not be ordered before anything here: before
		 * anyone sleeps virtq_want_interrupt() re-checks with a full
		 * barrier. */
		ring_write16(used_event(vq), vq->last_used);
	}
	if (vq->trace && vq->log)
		vq->log("virtq: %s/%u used head %u len %u\n", vq->name, vq->index, id, n);
	*len = n;
	return token;
}

bool virtq_want_interrupt(struct virtq *vq, bool want)
{
	vq->irq_wanted = want;
	if (vq->use_event_idx) {
		/* "Interrupt me when used idx passes last_used"; when not
		 * wanted, name an index half the ring away. */
		ring_write16(used_event(vq), want ? vq->last_used : (uint16_t)(vq->last_used - 0x8000));
	} else {
		uint16_t f = ring_read16(&vq->avail->flags);
		ring_write16(&vq->avail->flags, want ? (f & ~VIRTQ_AVAIL_F_NO_INTERRUPT)
						     : (f | VIRTQ_AVAIL_F_NO_INTERRUPT));
	}
	if (!want)
		return false;
	/* The request must be visible before we look at used idx again, or a
	 * completion that raced with it would get neither interrupt nor
	 * notice (store then load): mb. */
	virtq_mb();
	return virtq_has_used(vq);
}

void *virtq_detach(struct virtq *vq)
{
	for (uint16_t i = 0; i < vq->size; i++) {
		if (vq->slot[i].token) {
			void *t = vq->slot[i].token;
			free_chain(vq, i);
			return t;
		}
	}
	return NULL;
}
