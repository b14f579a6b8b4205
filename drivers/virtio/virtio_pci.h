/*
 * virtio over PCI, the modern interface (virtio 1.2 §4.1): one small
 * function per register operation, in the order a driver's initialisation
 * uses them (§3.1.1):
 *
 *   virtio_pci_probe       find and map the capabilities
 *   virtio_pci_reset       1. reset, wait for status 0
 *   virtio_pci_add_status  2. ACKNOWLEDGE, 3. DRIVER
 *   virtio_pci_negotiate   4-6. features, FEATURES_OK, read back
 *   virtio_pci_queue_setup 7. device-specific setup: the queues
 *   virtio_pci_add_status  8. DRIVER_OK
 *
 * Devices (drivers/virtio/virtio_fs.c) own the policy; this file only
 * speaks the transport. Legacy (transitional I/O BAR) devices are refused.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "drivers/pci/pci.h"
#include "drivers/virtio/virtq.h"

#define VIRTIO_PCI_MAX_SHM 4

/* A shared-memory region (cfg_type 8), checked to lie inside its BAR. */
struct virtio_shm {
	uint8_t id;             /* device-defined: virtio-fs uses 0 = DAX cache */
	uint8_t bar;
	uint64_t addr;          /* guest-physical start */
	uint64_t len;
};

struct virtio_pci {
	struct pci_dev *pci;
	uintptr_t common;       /* struct virtio_pci_common_cfg */
	uintptr_t isr;
	uintptr_t device;       /* device-specific configuration */
	uint32_t device_len;
	uintptr_t notify;       /* notification area base */
	uint32_t notify_len;
	uint32_t notify_mult;   /* notify_off_multiplier */
	int nshm;
	struct virtio_shm shm[VIRTIO_PCI_MAX_SHM];
	uint64_t features;      /* negotiated */
	bool msix;              /* MSI-X enabled with per-queue vectors */
};

/* Find and map the common, notify, ISR and device capabilities and record
 * shared-memory regions. 0; -ENODEV if a required one is missing; -EIO if a
 * capability points outside its BAR. Logs what it found. */
int virtio_pci_probe(struct virtio_pci *vp, struct pci_dev *d);

/* Write 0 to device_status and wait until it reads 0. 0, or -ETIMEDOUT. */
int virtio_pci_reset(struct virtio_pci *vp);

uint8_t virtio_pci_get_status(struct virtio_pci *vp);
void virtio_pci_add_status(struct virtio_pci *vp, uint8_t bits);

/* All 64 feature bits the device offers (words 0 and 1). */
uint64_t virtio_pci_device_features(struct virtio_pci *vp);

/* Write `features` (a subset of what the device offers), set FEATURES_OK and
 * read it back. 0, or -ENODEV if the device cleared FEATURES_OK. */
int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t features);

/* Copy len bytes of device-specific configuration at off into buf, retrying
 * while config_generation changes. 0, or -EIO if [off, off+len) lies outside
 * the device's configuration area. */
int virtio_pci_config_read(struct virtio_pci *vp, uint32_t off, void *buf, uint32_t len);

uint16_t virtio_pci_num_queues(struct virtio_pci *vp);

/* Set up queue `index` with at most `max_size` entries (0: the device's
 * size): allocate and lay out the ring, tell the device its addresses,
 * route its interrupts to MSI-X entry `msix_entry` (-1: none) and enable it.
 * 0; -ENOENT if the device has no such queue; -ENOMEM; -EIO if the device
 * refused the vector or its notify offset lies outside the notify area. */
int virtio_pci_queue_setup(struct virtio_pci *vp, struct virtq *vq, uint16_t index,
			   uint16_t max_size, int msix_entry);

/* Route configuration-change interrupts to MSI-X entry (-1: none). */
int virtio_pci_config_vector(struct virtio_pci *vp, int msix_entry);

/* The notify callback given to each virtq. */
void virtio_pci_notify(struct virtq *vq, void *arg);
