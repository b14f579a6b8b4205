/*
 * The virtio-fs device (virtio 1.2 §5.11): a tag, a high-priority queue
 * (index 0, for FORGET and BATCH_FORGET, which get no reply) and request
 * queues from index 1. This layer only moves buffers: "send this request
 * and wait for its reply", "send this without a reply", and it reports the
 * DAX window (shared memory region 0) if the device has one. FUSE itself
 * lives in fs/virtiofs/.
 *
 * Completion: the waiter polls the used ring for a while, then sleeps in
 * hlt until the queue's MSI-X interrupt (see docs/virtio.md for the
 * measurements behind the default; `virtio.wait=poll|irq|adaptive`).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtio_pci.h"
#include "drivers/virtio/virtq.h"

#define VIRTIO_FS_TAG_LEN 36
#define VIRTIO_FS_MAX_DEVS 8

/* §5.11.4 Device configuration layout: the tag is not NUL-terminated when
 * all 36 bytes are used; hence packed (num_request_queues is unaligned). */
struct virtio_fs_config {
	uint8_t tag[VIRTIO_FS_TAG_LEN];
	le32 num_request_queues;
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_fs_config) == 40, "virtio_fs_config");

struct virtio_fs {
	struct virtio_pci vp;
	char tag[VIRTIO_FS_TAG_LEN + 1];
	uint32_t num_request_queues;
	struct virtq hiprio;            /* queue 0 */
	struct virtq req;               /* queue 1: the one request queue we use */
	int vector;                     /* MSI-X vector for both queues, or -1 */
	volatile uint64_t irqs;         /* interrupts taken */
	const struct virtio_shm *dax;   /* shared memory region 0, or NULL */
	bool mounted;                   /* a FUSE session is using it */
	uint64_t n_requests, n_waits_hlt;
};

/* Find, reset and start every virtio-fs device; log each one's tag. Call
 * after pci_init(). Options: trace=virtq, virtio.wait=. */
struct cmdline;
void virtio_fs_init(const struct cmdline *cl);

/* The device with this tag; with tag NULL the first one found. NULL if none. */
struct virtio_fs *virtio_fs_find(const char *tag);

/* The n-th device (0-based), or NULL. */
struct virtio_fs *virtio_fs_get(int n);

/* Send a request on the request queue: bufs[0..nout) for the device to read,
 * bufs[nout..nout+nin) for it to write. Waits for the reply. Returns the
 * number of bytes the device wrote (checked to fit in the in-buffers), or
 * -EIO if the queue is or becomes broken, -EINVAL for bad buffers. */
int virtio_fs_request(struct virtio_fs *fs, const struct virtq_buf *bufs,
		      unsigned nout, unsigned nin);

/* True when the device can reach [p, p+len) through a descriptor: RAM
 * (identity-mapped, below mem_top) and not inside any device's shared
 * memory window. An application's shared file mapping or a window address
 * is not: such buffers are bounced (fs/virtiofs/fuse_conn.c). */
bool virtio_fs_host_visible(const void *p, uint64_t len);

/* Send a one-way request (FORGET, BATCH_FORGET) on the high-priority
 * queue. The bytes are copied, so the caller's buffer is free on return.
 * 0, -ENOMEM, or -EIO for a broken queue. */
int virtio_fs_send_oneway(struct virtio_fs *fs, const void *msg, uint32_t len);
