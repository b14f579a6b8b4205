/*
 * virtio-rng driver (virtio 1.2 §5.4), over the same transport and ring as
 * virtio-fs. Exercised by `make run` (the runner attaches virtio-rng-pci)
 * and by getrandom() on a CPU without RDRAND (QEMU's default TCG CPU).
 */
#include <stdint.h>

#include "drivers/pci/pci.h"
#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtio_pci.h"
#include "drivers/virtio/virtio_rng.h"
#include "drivers/virtio/virtq.h"
#include "kernel/errno.h"
#include "kernel/kprintf.h"

#define VIRTIO_ID_RNG 4
#define VIRTIO_PCI_DEVICE_RNG_TRANSITIONAL 0x1005

static struct virtio_pci vp;
static struct virtq vq;
static bool ready;

bool virtio_rng_init(void)
{
	struct pci_dev *d = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_MODERN + VIRTIO_ID_RNG, 0);

	if (!d)
		d = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_RNG_TRANSITIONAL, 0);
	if (!d || virtio_pci_probe(&vp, d) || virtio_pci_reset(&vp))
		return false;
	/* §3.1.1, as for virtio-fs: ACKNOWLEDGE, DRIVER, features, queue,
	 * DRIVER_OK. Completion is polled: reads are rare and short. */
	virtio_pci_add_status(&vp, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_pci_add_status(&vp, VIRTIO_STATUS_DRIVER);
	if (!(virtio_pci_device_features(&vp) & VIRTIO_BIT(VIRTIO_F_VERSION_1)) ||
	    virtio_pci_negotiate(&vp, VIRTIO_BIT(VIRTIO_F_VERSION_1)) ||
	    virtio_pci_queue_setup(&vp, &vq, 0, 8, -1)) {
		virtio_pci_add_status(&vp, VIRTIO_STATUS_FAILED);
		return false;
	}
	vq.log = kprintf;
	vq.name = "rng";
	virtq_want_interrupt(&vq, false);
	virtio_pci_add_status(&vp, VIRTIO_STATUS_DRIVER_OK);
	ready = true;
	kprintf("virtio-rng: %02x:%02x.%x ready\n", d->bus, d->dev, d->fn);
	return true;
}

long virtio_rng_read(void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t done = 0;

	if (!ready)
		return -ENODEV;
	while (done < n) {
		struct virtq_buf b = { p + done, (uint32_t)(n - done < 4096 ? n - done : 4096) };
		uint32_t len;
		void *tok;
		int err = virtq_add(&vq, &b, 0, 1, p + done);

		if (err)
			return err == -EIO ? -EIO : -EIO;
		virtq_kick(&vq);
		while (!virtq_has_used(&vq) && !vq.broken)
			__asm__ volatile("pause");
		tok = virtq_get_used(&vq, &len);
		if (!tok) {
			while (virtq_detach(&vq))
				;
			return -EIO;
		}
		done += len;    /* checked <= the buffer by virtq_get_used */
	}
	return (long)n;
}
