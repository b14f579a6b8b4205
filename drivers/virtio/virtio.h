/*
 * virtio 1.2 definitions shared by the transport, the ring and the devices:
 * device status bits (§2.1), reserved feature bits (§6), the split
 * virtqueue layout (§2.7) and the PCI capabilities and common configuration
 * structure (§4.1.4). Transcribed from the specification's text.
 *
 * Wire fields are little-endian; on x86 the le*_to_cpu helpers compile to
 * nothing, but they mark where the device's byte order applies.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef uint16_t le16;
typedef uint32_t le32;
typedef uint64_t le64;

static inline uint16_t le16_to_cpu(le16 v) { return v; }
static inline uint32_t le32_to_cpu(le32 v) { return v; }
static inline uint64_t le64_to_cpu(le64 v) { return v; }
static inline le16 cpu_to_le16(uint16_t v) { return v; }
static inline le32 cpu_to_le32(uint32_t v) { return v; }
static inline le64 cpu_to_le64(uint64_t v) { return v; }

/* §2.1 Device Status Field. */
#define VIRTIO_STATUS_ACKNOWLEDGE        1
#define VIRTIO_STATUS_DRIVER             2
#define VIRTIO_STATUS_DRIVER_OK          4
#define VIRTIO_STATUS_FEATURES_OK        8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED             128

/* §6 Reserved Feature Bits (bit numbers). */
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX     29
#define VIRTIO_F_VERSION_1          32
#define VIRTIO_F_ACCESS_PLATFORM    33
#define VIRTIO_F_RING_PACKED        34
#define VIRTIO_F_IN_ORDER           35
#define VIRTIO_F_ORDER_PLATFORM     36
#define VIRTIO_F_SR_IOV             37
#define VIRTIO_F_NOTIFICATION_DATA  38
#define VIRTIO_F_NOTIF_CONFIG_DATA  39
#define VIRTIO_F_RING_RESET         40

#define VIRTIO_BIT(n) (1ull << (n))

/* §2.7.5 The Virtqueue Descriptor Table: 16-byte aligned. */
struct virtq_desc {
	le64 addr;              /* guest-physical address of the buffer */
	le32 len;               /* bytes */
	le16 flags;             /* VIRTQ_DESC_F_* */
	le16 next;              /* index of the next descriptor if F_NEXT */
};
#define VIRTQ_DESC_F_NEXT     1 /* the chain continues at `next` */
#define VIRTQ_DESC_F_WRITE    2 /* device writes (otherwise reads) */
#define VIRTQ_DESC_F_INDIRECT 4 /* buffer holds a table of descriptors */
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc");
_Static_assert(offsetof(struct virtq_desc, flags) == 12, "virtq_desc.flags");

/* §2.7.6 The Virtqueue Available Ring: 2-byte aligned. ring[] has queue
 * size entries and is followed by used_event (with EVENT_IDX). */
struct virtq_avail {
	le16 flags;             /* VIRTQ_AVAIL_F_NO_INTERRUPT */
	le16 idx;               /* where the driver puts the next entry (mod 2^16) */
	le16 ring[];
};
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

/* §2.7.8 The Virtqueue Used Ring: 4-byte aligned. ring[] has queue size
 * entries and is followed by avail_event (with EVENT_IDX). */
struct virtq_used_elem {
	le32 id;                /* head index of the completed chain */
	le32 len;               /* bytes the device wrote into the chain */
};
struct virtq_used {
	le16 flags;             /* VIRTQ_USED_F_NO_NOTIFY */
	le16 idx;
	struct virtq_used_elem ring[];
};
#define VIRTQ_USED_F_NO_NOTIFY 1
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem");
_Static_assert(offsetof(struct virtq_used, ring) == 4, "virtq_used.ring");

/* §2.7.10 "Should the driver notify/interrupt?": true if the other side
 * asked to hear about index `event` and it lies in (old, new]. */
static inline int virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* §4.1.4 Virtio Structure PCI Capabilities (vendor-specific, ID 0x09). */
#define PCI_CAP_ID_VNDR 0x09

struct virtio_pci_cap {
	uint8_t cap_vndr;       /* 0x09 */
	uint8_t cap_next;
	uint8_t cap_len;        /* length of this capability, >= 16 */
	uint8_t cfg_type;       /* VIRTIO_PCI_CAP_* */
	uint8_t bar;            /* 0-5; other values are reserved: ignore */
	uint8_t id;             /* distinguishes several caps of one type (shm id) */
	uint8_t padding[2];
	le32 offset;            /* within the BAR */
	le32 length;            /* bytes */
};
_Static_assert(sizeof(struct virtio_pci_cap) == 16, "virtio_pci_cap");

/* cfg_type 8 (shared memory) carries 64-bit offset and length. */
struct virtio_pci_cap64 {
	struct virtio_pci_cap cap;
	le32 offset_hi;
	le32 length_hi;
};
_Static_assert(sizeof(struct virtio_pci_cap64) == 24, "virtio_pci_cap64");

struct virtio_pci_notify_cap {
	struct virtio_pci_cap cap;
	le32 notify_off_multiplier; /* queue's notify address = offset + off * this */
};
_Static_assert(sizeof(struct virtio_pci_notify_cap) == 20, "virtio_pci_notify_cap");

#define VIRTIO_PCI_CAP_COMMON_CFG        1
#define VIRTIO_PCI_CAP_NOTIFY_CFG        2
#define VIRTIO_PCI_CAP_ISR_CFG           3
#define VIRTIO_PCI_CAP_DEVICE_CFG        4
#define VIRTIO_PCI_CAP_PCI_CFG           5
#define VIRTIO_PCI_CAP_SHARED_MEMORY_CFG 8
#define VIRTIO_PCI_CAP_VENDOR_CFG        9

/* §4.1.4.3 Common configuration structure layout. Accessed only through
 * mmio_* at these offsets (virtio_pci.c), so no volatile struct. */
struct virtio_pci_common_cfg {
	le32 device_feature_select;  /* RW: which 32-bit word device_feature shows */
	le32 device_feature;         /* RO */
	le32 driver_feature_select;  /* RW */
	le32 driver_feature;         /* RW */
	le16 config_msix_vector;     /* RW: 0xffff = none */
	le16 num_queues;             /* RO */
	uint8_t device_status;       /* RW: writing 0 resets */
	uint8_t config_generation;   /* RO */
	le16 queue_select;           /* RW: the queue the fields below refer to */
	le16 queue_size;             /* RW: max on read; 0 = queue unavailable */
	le16 queue_msix_vector;      /* RW: read back 0xffff if refused */
	le16 queue_enable;           /* RW */
	le16 queue_notify_off;       /* RO */
	le64 queue_desc;             /* RW: descriptor table address */
	le64 queue_driver;           /* RW: available ring address */
	le64 queue_device;           /* RW: used ring address */
	le16 queue_notify_data;      /* RO (NOTIFICATION_DATA) */
	le16 queue_reset;            /* RW (RING_RESET) */
};
_Static_assert(offsetof(struct virtio_pci_common_cfg, config_msix_vector) == 16, "cc.msix");
_Static_assert(offsetof(struct virtio_pci_common_cfg, device_status) == 20, "cc.status");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_select) == 22, "cc.qsel");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_notify_off) == 30, "cc.qnoff");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_desc) == 32, "cc.qdesc");
_Static_assert(offsetof(struct virtio_pci_common_cfg, queue_device) == 48, "cc.qdev");
_Static_assert(sizeof(struct virtio_pci_common_cfg) == 64, "cc size");

#define VIRTIO_MSI_NO_VECTOR 0xffff

/* §4.1.2 PCI Device Discovery: modern device IDs are 0x1040 + device type. */
#define VIRTIO_PCI_VENDOR        0x1af4
#define VIRTIO_PCI_DEVICE_MODERN 0x1040
#define VIRTIO_ID_FS             26
