/*
 * A split virtqueue (virtio 1.2 §2.7), driver side. Pure code: it touches only
 * the memory it is given, so tests/unit/test_virtq.c drives it on the host
 * with a simulated device, and tests/fuzz/ feeds it hostile used rings.
 *
 * Verbs: virtq_add() a request made of device-readable ("out") buffers
 * followed by device-writable ("in") buffers with a token, virtq_kick() to
 * publish and notify, virtq_get_used() to collect completed tokens.
 *
 * Memory model: buffers are named by pointers, and a pointer is the
 * guest-physical address (the kernel identity-maps RAM). A buffer must be
 * physically contiguous, which in an identity map any contiguous range is.
 *
 * The device is untrusted: virtq_get_used() range-checks every used index, id
 * and length. On a violation the queue is marked broken, the reason is logged
 * once, and from then on add/get_used fail; virtq_detach() hands back every
 * token still outstanding so its waiter can be failed with -EIO.
 *
 * Not thread-safe: one caller at a time (the kernel runs one thread; the
 * interrupt handler only wakes the waiter and never touches the ring).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio/virtio.h"

#define VIRTQ_INDIRECT_MAX 64   /* descriptors per indirect table: a FUSE request
                                   * of 4 + 60 page-cache pages fits in one */

struct virtq_buf {
	const void *addr;
	uint32_t len;
};

/* Per head descriptor: what the driver remembers about a chain in flight.
 * Kept outside the shared ring so the device cannot alter it. */
struct virtq_slot {
	void *token;            /* non-NULL while the chain is in flight */
	uint32_t in_len;        /* device-writable bytes: the most len may say */
	uint16_t ndesc;         /* ring descriptors the chain holds */
	uint16_t next;          /* free list link / chain link */
};

struct virtq {
	/* The three parts shared with the device (§2.7): */
	struct virtq_desc *desc;        /* size entries */
	struct virtq_avail *avail;      /* + used_event after ring[size] */
	struct virtq_used *used;        /* + avail_event after ring[size] */
	struct virtq_desc *indirect;    /* size tables of VIRTQ_INDIRECT_MAX */

	uint16_t size;                  /* entries, a power of 2 */
	uint16_t index;                 /* queue number on the device */
	bool use_indirect;              /* VIRTIO_F_RING_INDIRECT_DESC negotiated */
	bool use_event_idx;             /* VIRTIO_F_RING_EVENT_IDX negotiated */
	bool broken;                    /* the device broke the protocol */
	bool irq_wanted;                /* virtq_want_interrupt() state */

	/* Driver state. */
	struct virtq_slot *slot;        /* size entries */
	uint16_t free_head;             /* first free descriptor */
	uint16_t num_free;              /* free descriptors */
	uint16_t inflight;              /* chains added and not yet used */
	uint16_t avail_idx;             /* next avail index to publish (shadow) */
	uint16_t kicked_idx;            /* avail idx at the last notify decision */
	uint16_t last_used;             /* next used entry to read */

	/* Notify the device that queue `index` has new buffers. */
	void (*notify)(struct virtq *vq, void *arg);
	void *notify_arg;
	/* Console output for the broken message and trace=virtq; may be NULL. */
	int (*log)(const char *fmt, ...);
	bool trace;
	const char *name;

	/* Counters for docs/ and trace. */
	uint64_t n_added, n_kicks, n_kicks_suppressed, n_used;
};

/* Bytes of memory (4096-aligned, zeroed) virtq_init() needs for a queue of
 * `size` entries: rings, indirect tables and the slot array. */
size_t virtq_mem_size(uint16_t size);

/* Lay the queue out in mem. size must be a power of 2 in [1, 32768]: 0 or
 * -EINVAL. The ring addresses for the device are then vq->desc, vq->avail and
 * vq->used. */
int virtq_init(struct virtq *vq, uint16_t index, uint16_t size, void *mem,
	       bool indirect, bool event_idx);

/* Queue a request: bufs[0..nout) are read by the device, bufs[nout..nout+nin)
 * written by it. token (non-NULL) comes back from virtq_get_used(). Not
 * visible to the device until virtq_kick(). Returns 0; -ENOSPC if the ring
 * lacks room now (collect used entries, then retry); -EINVAL for no buffers,
 * a zero-length buffer, a NULL token, or more buffers than the ring could
 * ever hold; -EIO if the queue is broken. */
int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned nout,
	      unsigned nin, void *token);

/* Publish what virtq_add() queued and notify the device unless it asked not
 * to be (event idx or VIRTQ_USED_F_NO_NOTIFY). */
void virtq_kick(struct virtq *vq);

/* The next completed request: its token, with *len set to the bytes the
 * device says it wrote (checked <= the request's writable bytes). NULL if
 * none has completed or the queue is broken (then see virtq_detach()). */
void *virtq_get_used(struct virtq *vq, uint32_t *len);

/* True if the device has completed entries not yet collected (a cheap
 * peek for pollers). False on a broken queue. */
bool virtq_has_used(const struct virtq *vq);

/* Ask for an interrupt on the next completion (false: none wanted). With
 * want = true returns true if completions are already pending, so the caller
 * must not wait for an interrupt that may already have been suppressed. */
bool virtq_want_interrupt(struct virtq *vq, bool want);

/* One token still in flight, removed from the queue; NULL when none is left.
 * For a broken queue or after the device was reset. */
void *virtq_detach(struct virtq *vq);

/* Mark the queue broken (also used internally); logs `why` once. */
void virtq_set_broken(struct virtq *vq, const char *why);
