/*
 * virtio-fs device driver: bring-up and request transport. See virtio_fs.h.
 *   tests/qemu-run --machine q35 --virtiofs DIR --image build/remora
 * attaches QEMU's vhost-user-fs-pci (tag "remora") served by virtiofsd.
 */
#include <stdint.h>
#include <string.h>

#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtio_fs.h"
#include "kernel/clock.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/heap.h"
#include "kernel/irq.h"
#include "kernel/kprintf.h"
#include "kernel/mem.h"
#include "kernel/x86.h"

enum wait_mode { WAIT_POLL, WAIT_IRQ, WAIT_ADAPTIVE };

static struct virtio_fs *devs[VIRTIO_FS_MAX_DEVS];
static int ndevs;
static enum wait_mode wait_mode = WAIT_ADAPTIVE;
static uint64_t spin_ns = 50000;        /* adaptive: poll this long, then sleep */
static bool trace_virtq;

static void fs_irq(void *arg)
{
	struct virtio_fs *fs = arg;

	/* The waiter collects the ring itself; the interrupt only ends hlt. */
	fs->irqs++;
}

/* Reap completed one-way requests and free their copies. */
static void reap_hiprio(struct virtio_fs *fs)
{
	uint32_t len;
	void *tok;

	while ((tok = virtq_get_used(&fs->hiprio, &len)))
		kfree(tok);
	if (fs->hiprio.broken)
		while ((tok = virtq_detach(&fs->hiprio)))
			kfree(tok);
}

static int fs_start(struct virtio_fs *fs, struct pci_dev *d)
{
	struct virtio_pci *vp = &fs->vp;
	struct virtio_fs_config cfg;
	uint64_t offered, want;
	int err, entry = -1;

	err = virtio_pci_probe(vp, d);
	if (err)
		return err;
	/* §3.1.1 step 1: reset the device. */
	err = virtio_pci_reset(vp);
	if (err)
		return err;
	/* Steps 2-3: we noticed it, and we can drive it. */
	virtio_pci_add_status(vp, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_pci_add_status(vp, VIRTIO_STATUS_DRIVER);
	/* Step 4: features. VERSION_1 is required; indirect descriptors and
	 * event idx are taken when offered. No device-specific feature: the
	 * notification queue (VIRTIO_FS_F_NOTIFICATION) is not used. */
	offered = virtio_pci_device_features(vp);
	if (!(offered & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		kprintf("virtio-fs: device does not offer VERSION_1; not a modern device\n");
		err = -ENODEV;
		goto err_failed;
	}
	want = offered & (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC) |
			  VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX));
	/* Steps 5-6: FEATURES_OK, read back. */
	err = virtio_pci_negotiate(vp, want);
	if (err) {
		kprintf("virtio-fs: device refused features 0x%lx\n", want);
		goto err_failed;
	}
	/* Step 7: device-specific setup: config and queues. */
	err = virtio_pci_config_read(vp, 0, &cfg, sizeof(cfg));
	if (err)
		goto err_failed;
	memcpy(fs->tag, cfg.tag, VIRTIO_FS_TAG_LEN);
	fs->tag[VIRTIO_FS_TAG_LEN] = 0;
	fs->num_request_queues = le32_to_cpu(cfg.num_request_queues);
	if (fs->num_request_queues < 1) {
		kprintf("virtio-fs: %s: no request queue\n", fs->tag);
		err = -ENODEV;
		goto err_failed;
	}
	/* One MSI-X vector serves both queues we use (entry 0); the config
	 * change interrupt is not used. */
	fs->vector = -1;
	if (wait_mode != WAIT_POLL && pci_msix_init(d) == 0) {
		int v = irq_alloc(fs_irq, fs);
		if (v >= 0 && pci_msix_set_entry(d, 0, v) == 0) {
			fs->vector = v;
			entry = 0;
			pci_msix_enable(d, true);
		} else if (v >= 0) {
			irq_free(v);
		}
	}
	virtio_pci_config_vector(vp, -1);
	/* Queue sizes: one request is in flight at a time (one kernel
	 * thread), and FORGET batches are reaped on every request, so small
	 * rings suffice; each entry costs 560 bytes with its indirect table. */
	err = virtio_pci_queue_setup(vp, &fs->hiprio, 0, 64, entry);
	if (!err)
		err = virtio_pci_queue_setup(vp, &fs->req, 1, 128, entry);
	if (err) {
		kprintf("virtio-fs: %s: queue setup failed (%d)\n", fs->tag, err);
		goto err_failed;
	}
	fs->hiprio.log = fs->req.log = kprintf;
	fs->hiprio.name = fs->req.name = fs->tag;
	fs->hiprio.trace = fs->req.trace = trace_virtq;
	/* Completions of one-way requests are reaped when convenient. */
	virtq_want_interrupt(&fs->hiprio, false);
	for (int i = 0; i < vp->nshm; i++)
		if (vp->shm[i].id == 0)
			fs->dax = &vp->shm[i];
	/* Step 8: DRIVER_OK. */
	virtio_pci_add_status(vp, VIRTIO_STATUS_DRIVER_OK);
	kprintf("virtio-fs: %02x:%02x.%x tag \"%s\", %u request queue%s, queue size %u, %s%s%s, "
		"completion %s\n",
		d->bus, d->dev, d->fn, fs->tag, fs->num_request_queues,
		fs->num_request_queues == 1 ? "" : "s", fs->req.size,
		fs->req.use_indirect ? "indirect" : "direct",
		fs->req.use_event_idx ? ", event idx" : "",
		fs->dax ? ", DAX window" : "",
		fs->vector < 0 ? "poll" : wait_mode == WAIT_IRQ ? "msi-x" : "adaptive");
	return 0;

err_failed:
	virtio_pci_add_status(vp, VIRTIO_STATUS_FAILED);
	return err;
}

void virtio_fs_init(const struct cmdline *cl)
{
	const char *w = cmdline_get(cl, "virtio.wait");
	const char *t = cmdline_get(cl, "trace");
	struct pci_dev *d;

	if (w && !strcmp(w, "poll"))
		wait_mode = WAIT_POLL;
	else if (w && !strcmp(w, "irq"))
		wait_mode = WAIT_IRQ;
	else if (w && strcmp(w, "adaptive"))
		kprintf("virtio-fs: unknown virtio.wait=%s; using adaptive\n", w);
	trace_virtq = t && cmdline_list_has(t, "virtq");

	for (int i = 0; (d = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_MODERN + VIRTIO_ID_FS, i)); i++) {
		struct virtio_fs *fs;

		if (ndevs == VIRTIO_FS_MAX_DEVS) {
			kprintf("virtio-fs: more than %d devices; the rest are ignored\n", VIRTIO_FS_MAX_DEVS);
			break;
		}
		fs = kmalloc(sizeof(*fs));
		if (!fs)
			break;
		if (fs_start(fs, d)) {
			kfree(fs);
			continue;
		}
		devs[ndevs++] = fs;
	}
}

struct virtio_fs *virtio_fs_find(const char *tag)
{
	for (int i = 0; i < ndevs; i++)
		if (!tag || !strcmp(devs[i]->tag, tag))
			return devs[i];
	return NULL;
}

bool virtio_fs_host_visible(const void *p, uint64_t len)
{
	uint64_t a = (uintptr_t)p;

	if (a + len < a || a + len > mem_top())
		return false;
	for (int i = 0; i < ndevs; i++) {
		const struct virtio_shm *w = devs[i]->dax;

		if (w && a < w->addr + w->len && a + len > w->addr)
			return false;
	}
	return true;
}

struct virtio_fs *virtio_fs_get(int n)
{
	return n >= 0 && n < ndevs ? devs[n] : NULL;
}

/* Wait until the request queue has a completion or breaks. */
static void wait_used(struct virtio_fs *fs)
{
	struct virtq *vq = &fs->req;
	uint64_t until = 0;

	if (fs->vector < 0 || wait_mode == WAIT_POLL) {
		while (!virtq_has_used(vq) && !vq->broken)
			pause();
		return;
	}
	if (wait_mode == WAIT_ADAPTIVE)
		until = clock_monotonic_ns() + spin_ns;
	while (!virtq_has_used(vq) && !vq->broken) {
		if (until && clock_monotonic_ns() < until) {
			pause();
			continue;
		}
		/* Interrupts off between the check and hlt, so the wakeup
		 * cannot slip in between: sti takes effect after hlt starts. */
		cli();
		if (virtq_want_interrupt(vq, true)) {
			sti();
			break;
		}
		fs->n_waits_hlt++;
		__asm__ volatile("sti; hlt" ::: "memory");
	}
	virtq_want_interrupt(vq, false);
}

int virtio_fs_request(struct virtio_fs *fs, const struct virtq_buf *bufs,
		      unsigned nout, unsigned nin)
{
	struct virtq *vq = &fs->req;
	uint32_t len;
	void *tok;
	int err;

	reap_hiprio(fs);
	/* One request in flight at a time: the kernel has one thread. The
	 * token is just a marker; the queue is empty when we add. */
	err = virtq_add(vq, bufs, nout, nin, (void *)bufs);
	if (err)
		return err;
	fs->n_requests++;
	virtq_kick(vq);
	for (;;) {
		wait_used(fs);
		tok = virtq_get_used(vq, &len);
		if (tok == bufs)
			return (int)len;
		if (vq->broken) {
			while (virtq_detach(vq))
				;
			return -EIO;
		}
	}
}

int virtio_fs_send_oneway(struct virtio_fs *fs, const void *msg, uint32_t len)
{
	struct virtq_buf b;
	void *copy;
	int err;

	reap_hiprio(fs);
	copy = kmalloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, msg, len);
	b = (struct virtq_buf){ copy, len };
	err = virtq_add(&fs->hiprio, &b, 1, 0, copy);
	if (err == -ENOSPC) {
		/* The device has not consumed earlier ones yet; wait for one. */
		while (!virtq_has_used(&fs->hiprio) && !fs->hiprio.broken)
			pause();
		reap_hiprio(fs);
		err = virtq_add(&fs->hiprio, &b, 1, 0, copy);
	}
	if (err) {
		kfree(copy);
		return err;
	}
	virtq_kick(&fs->hiprio);
	return 0;
}
