/*
 * virtio-pci modern transport (virtio 1.2 §4.1). See virtio_pci.h.
 * Exercised by every boot with a virtio device, e.g.
 *   tests/qemu-run --machine q35 --virtiofs DIR --image build/remora
 * which attaches QEMU's vhost-user-fs-pci served by /usr/lib/qemu/virtiofsd.
 */
#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtio_pci.h"
#include "kernel/clock.h"
#include "kernel/errno.h"
#include "kernel/kprintf.h"
#include "kernel/mem.h"
#include "kernel/mmio.h"

#define CC(field) (vp->common + offsetof(struct virtio_pci_common_cfg, field))

/* Map capability `off`'s structure if it lies inside its BAR: 0, -EIO. */
static int cap_region(struct virtio_pci *vp, uint8_t off, uint64_t coff, uint64_t clen,
		      uintptr_t *va)
{
	struct pci_dev *d = vp->pci;
	uint8_t bar = pci_read8(d, off + offsetof(struct virtio_pci_cap, bar));
	struct pci_bar *b;

	if (bar > 5)
		return -EIO;
	b = &d->bar[bar];
	if (b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64)
		return -EIO;
	/* Overflow-safe: coff + clen <= size without computing coff + clen. */
	if (coff > b->size || clen > b->size - coff)
		return -EIO;
	if (!b->virt && !pci_bar_map(d, bar, PT_UC))
		return -EIO;
	*va = (uintptr_t)b->virt + coff;
	return 0;
}

int virtio_pci_probe(struct virtio_pci *vp, struct pci_dev *d)
{
	bool have_common = false, have_notify = false, have_isr = false;

	vp->pci = d;
	vp->nshm = 0;
	for (uint8_t off = pci_cap_find(d, PCI_CAP_ID_VNDR, 0); off;
	     off = pci_cap_find(d, PCI_CAP_ID_VNDR, off)) {
		uint8_t type = pci_read8(d, off + offsetof(struct virtio_pci_cap, cfg_type));
		uint8_t caplen = pci_read8(d, off + offsetof(struct virtio_pci_cap, cap_len));
		uint64_t coff = pci_read32(d, off + offsetof(struct virtio_pci_cap, offset));
		uint64_t clen = pci_read32(d, off + offsetof(struct virtio_pci_cap, length));
		uintptr_t va;

		if (caplen < sizeof(struct virtio_pci_cap))
			continue;
		/* §4.1.4: the driver uses the first capability of each type it
		 * can use; later ones are alternatives. */
		switch (type) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			if (have_common || clen < sizeof(struct virtio_pci_common_cfg))
				break;
			if (cap_region(vp, off, coff, clen, &va))
				return -EIO;
			vp->common = va;
			have_common = true;
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			if (have_notify || caplen < sizeof(struct virtio_pci_notify_cap))
				break;
			if (cap_region(vp, off, coff, clen, &va))
				return -EIO;
			vp->notify = va;
			vp->notify_len = (uint32_t)clen;
			vp->notify_mult = pci_read32(d, off + offsetof(struct virtio_pci_notify_cap,
								       notify_off_multiplier));
			have_notify = true;
			break;
		case VIRTIO_PCI_CAP_ISR_CFG:
			if (have_isr || clen < 1)
				break;
			if (cap_region(vp, off, coff, clen, &va))
				return -EIO;
			vp->isr = va;
			have_isr = true;
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			if (vp->device)
				break;
			if (cap_region(vp, off, coff, clen, &va))
				return -EIO;
			vp->device = va;
			vp->device_len = (uint32_t)clen;
			break;
		case VIRTIO_PCI_CAP_SHARED_MEMORY_CFG: {
			struct virtio_shm *s;
			uint8_t bar = pci_read8(d, off + offsetof(struct virtio_pci_cap, bar));

			if (caplen < sizeof(struct virtio_pci_cap64) || vp->nshm == VIRTIO_PCI_MAX_SHM ||
			    bar > 5)
				break;
			coff |= (uint64_t)pci_read32(d, off + offsetof(struct virtio_pci_cap64, offset_hi)) << 32;
			clen |= (uint64_t)pci_read32(d, off + offsetof(struct virtio_pci_cap64, length_hi)) << 32;
			/* Checked against the BAR, overflow-safe; not mapped
			 * here: the DAX code maps the window itself. */
			if (coff > d->bar[bar].size || clen > d->bar[bar].size - coff ||
			    (d->bar[bar].kind != PCI_BAR_MEM64 && d->bar[bar].kind != PCI_BAR_MEM32)) {
				kprintf("virtio: %02x:%02x.%x: shared memory region %u outside bar%u; ignored\n",
					d->bus, d->dev, d->fn,
					pci_read8(d, off + offsetof(struct virtio_pci_cap, id)), bar);
				break;
			}
			s = &vp->shm[vp->nshm++];
			s->id = pci_read8(d, off + offsetof(struct virtio_pci_cap, id));
			s->bar = bar;
			s->addr = d->bar[bar].addr + coff;
			s->len = clen;
			break;
		}
		default:
			break;
		}
	}
	if (!have_common || !have_notify || !have_isr) {
		kprintf("virtio: %02x:%02x.%x: no modern interface (common %d notify %d isr %d)\n",
			d->bus, d->dev, d->fn, have_common, have_notify, have_isr);
		return -ENODEV;
	}
	pci_enable(d);
	kprintf("virtio: %02x:%02x.%x: modern, notify multiplier %u, device config %u bytes, %d shm region%s\n",
		d->bus, d->dev, d->fn, vp->notify_mult, vp->device_len, vp->nshm,
		vp->nshm == 1 ? "" : "s");
	for (int i = 0; i < vp->nshm; i++)
		kprintf("virtio:   shm id %u: bar%u 0x%lx len 0x%lx\n", vp->shm[i].id, vp->shm[i].bar,
			vp->shm[i].addr, vp->shm[i].len);
	return 0;
}

uint8_t virtio_pci_get_status(struct virtio_pci *vp)
{
	return mmio_read8(CC(device_status));
}

void virtio_pci_add_status(struct virtio_pci *vp, uint8_t bits)
{
	mmio_write8(CC(device_status), virtio_pci_get_status(vp) | bits);
}

int virtio_pci_reset(struct virtio_pci *vp)
{
	uint64_t deadline = clock_monotonic_ns() + 1000000000ull;

	mmio_write8(CC(device_status), 0);
	/* §4.1.4.3.2: after writing 0 the driver must wait for a read of 0. */
	while (mmio_read8(CC(device_status)) != 0) {
		if (clock_monotonic_ns() > deadline)
			return -ETIMEDOUT;
		__asm__ volatile("pause");
	}
	return 0;
}

uint64_t virtio_pci_device_features(struct virtio_pci *vp)
{
	uint64_t f;

	mmio_write32(CC(device_feature_select), 0);
	f = mmio_read32(CC(device_feature));
	mmio_write32(CC(device_feature_select), 1);
	f |= (uint64_t)mmio_read32(CC(device_feature)) << 32;
	return f;
}

int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t features)
{
	mmio_write32(CC(driver_feature_select), 0);
	mmio_write32(CC(driver_feature), (uint32_t)features);
	mmio_write32(CC(driver_feature_select), 1);
	mmio_write32(CC(driver_feature), (uint32_t)(features >> 32));
	virtio_pci_add_status(vp, VIRTIO_STATUS_FEATURES_OK);
	/* §3.1.1 step 6: re-read; the device clears FEATURES_OK if it cannot
	 * work with this subset. */
	if (!(virtio_pci_get_status(vp) & VIRTIO_STATUS_FEATURES_OK))
		return -ENODEV;
	vp->features = features;
	return 0;
}

int virtio_pci_config_read(struct virtio_pci *vp, uint32_t off, void *buf, uint32_t len)
{
	uint8_t gen, *p = buf;

	if (!vp->device || off > vp->device_len || len > vp->device_len - off)
		return -EIO;
	/* §4.1.4.3: a multi-byte read is consistent only if config_generation
	 * is the same before and after it. */
	do {
		gen = mmio_read8(CC(config_generation));
		for (uint32_t i = 0; i < len; i++)
			p[i] = mmio_read8(vp->device + off + i);
	} while (mmio_read8(CC(config_generation)) != gen);
	return 0;
}

uint16_t virtio_pci_num_queues(struct virtio_pci *vp)
{
	return mmio_read16(CC(num_queues));
}

int virtio_pci_config_vector(struct virtio_pci *vp, int msix_entry)
{
	uint16_t v = msix_entry < 0 ? VIRTIO_MSI_NO_VECTOR : (uint16_t)msix_entry;

	mmio_write16(CC(config_msix_vector), v);
	if (mmio_read16(CC(config_msix_vector)) != v)
		return -EIO;
	return 0;
}

void virtio_pci_notify(struct virtq *vq, void *arg)
{
	/* vq->notify_arg is the queue's notify address, checked at setup.
	 * Without NOTIFICATION_DATA the value written is the queue index. */
	(void)vq;
	mmio_write16((uintptr_t)arg, vq->index);
}

int virtio_pci_queue_setup(struct virtio_pci *vp, struct virtq *vq, uint16_t index,
			   uint16_t max_size, int msix_entry)
{
	uint16_t size, noff, vec = msix_entry < 0 ? VIRTIO_MSI_NO_VECTOR : (uint16_t)msix_entry;
	uint64_t noffset;
	size_t bytes;
	void *mem;

	if (index >= virtio_pci_num_queues(vp))
		return -ENOENT;
	mmio_write16(CC(queue_select), index);
	size = mmio_read16(CC(queue_size));
	if (size == 0)
		return -ENOENT;
	/* A size that is not a power of 2 is allowed for split rings only
	 * from 1.1 on with a flag; we round down to one. */
	while (size & (size - 1))
		size &= (uint16_t)(size - 1);
	if (max_size && size > max_size)
		size = max_size;
	noff = mmio_read16(CC(queue_notify_off));
	noffset = (uint64_t)noff * vp->notify_mult;
	if (noffset > vp->notify_len || vp->notify_len - noffset < 2)
		return -EIO;

	bytes = virtq_mem_size(size);
	mem = page_alloc((bytes + 4095) / 4096);
	if (!mem)
		return -ENOMEM;
	virtq_init(vq, index, size, mem,
		   vp->features & VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC),
		   vp->features & VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX));
	vq->notify = virtio_pci_notify;
	vq->notify_arg = (void *)(vp->notify + noffset);

	mmio_write16(CC(queue_size), size);
	mmio_write64(CC(queue_desc), (uintptr_t)vq->desc);
	mmio_write64(CC(queue_driver), (uintptr_t)vq->avail);
	mmio_write64(CC(queue_device), (uintptr_t)vq->used);
	mmio_write16(CC(queue_msix_vector), vec);
	if (mmio_read16(CC(queue_msix_vector)) != vec) {
		page_free(mem, (bytes + 4095) / 4096);
		return -EIO;
	}
	mmio_write16(CC(queue_enable), 1);
	return 0;
}
