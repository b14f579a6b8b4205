/*
 * PCI configuration-space layout, from the PCI Local Bus Specification 3.0
 * (6.1 header, 6.2.5 BARs, 6.7 capabilities, 6.8.2 MSI-X) and PCI Express
 * Base 4.0 (7.2.2 ECAM). Offsets in bytes.
 */
#pragma once

#define PCI_VENDOR_ID        0x00    /* 16 bits; 0xffff: no function */
#define PCI_DEVICE_ID        0x02
#define PCI_COMMAND          0x04
#define PCI_STATUS           0x06
#define PCI_CLASS_REVISION   0x08    /* class << 24 | subclass << 16 | prog-if << 8 | rev */
#define PCI_HEADER_TYPE      0x0e    /* bits 6:0 layout, bit 7 multi-function */
#define PCI_BAR0             0x10
#define PCI_PRIMARY_BUS      0x18    /* type 1 (bridge) headers */
#define PCI_SECONDARY_BUS    0x19
#define PCI_CAPABILITY_LIST  0x34
#define PCI_INTERRUPT_LINE   0x3c

#define PCI_COMMAND_IO       (1u << 0)
#define PCI_COMMAND_MEMORY   (1u << 1)
#define PCI_COMMAND_MASTER   (1u << 2)
#define PCI_COMMAND_INTX_DISABLE (1u << 10)
#define PCI_STATUS_CAP_LIST  (1u << 4)

#define PCI_HEADER_TYPE_NORMAL 0
#define PCI_HEADER_TYPE_BRIDGE 1
#define PCI_HEADER_MULTIFUNC   0x80

/* BAR low bits. */
#define PCI_BAR_SPACE_IO     0x1
#define PCI_BAR_MEM_TYPE_MASK 0x6
#define PCI_BAR_MEM_TYPE_64  0x4
#define PCI_BAR_MEM_PREFETCH 0x8

/* Capability IDs. */
#define PCI_CAP_ID_MSI       0x05
#define PCI_CAP_ID_VNDR      0x09    /* vendor-specific: virtio uses these */
#define PCI_CAP_ID_EXP       0x10
#define PCI_CAP_ID_MSIX      0x11

/* MSI-X capability, relative to the capability's offset. */
#define PCI_MSIX_FLAGS       2       /* 16 bits: table size - 1 in 10:0 */
#define PCI_MSIX_FLAGS_QSIZE 0x07ff
#define PCI_MSIX_FLAGS_MASKALL (1u << 14)
#define PCI_MSIX_FLAGS_ENABLE (1u << 15)
#define PCI_MSIX_TABLE       4       /* 32 bits: BIR in 2:0, offset in 31:3 */
#define PCI_MSIX_PBA         8
#define PCI_MSIX_BIR_MASK    0x7

/* One MSI-X table entry (16 bytes). */
#define PCI_MSIX_ENTRY_SIZE       16
#define PCI_MSIX_ENTRY_ADDR_LO    0
#define PCI_MSIX_ENTRY_ADDR_HI    4
#define PCI_MSIX_ENTRY_DATA       8
#define PCI_MSIX_ENTRY_CTRL       12
#define PCI_MSIX_ENTRY_CTRL_MASKED 1u

/* ECAM: bus << 20 | device << 15 | function << 12 | offset. */
#define PCI_ECAM_OFFSET(b, d, f) (((uint64_t)(b) << 20) | ((uint64_t)(d) << 15) | ((uint64_t)(f) << 12))
