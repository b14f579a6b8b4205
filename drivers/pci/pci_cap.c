/*
 * Capability lists and MSI-X. The list is device-provided data: pointers
 * must stay in 0x40-0xFC, and the walk stops after 48 steps (the most that
 * fit in 192 bytes at 4 bytes each), so a looped list cannot hang us.
 */
#include <stdbool.h>
#include <stdint.h>

#include "drivers/pci/pci.h"
#include "drivers/pci/pci_regs.h"
#include "kernel/apic.h"
#include "kernel/errno.h"
#include "kernel/mmio.h"

uint8_t pci_cap_next(const struct pci_dev *d, uint8_t after)
{
	uint8_t p;

	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	p = after ? pci_read8(d, (uint16_t)(after + 1)) : pci_read8(d, PCI_CAPABILITY_LIST);
	p &= 0xfc;
	return p >= 0x40 ? p : 0;
}

uint8_t pci_cap_find(const struct pci_dev *d, uint8_t id, uint8_t after)
{
	uint8_t p = after;

	for (int steps = 0; steps < 48; steps++) {
		p = pci_cap_next(d, p);
		if (p == 0 || pci_read8(d, p) == id)
			return p;
	}
	return 0;
}

int pci_msix_init(struct pci_dev *d)
{
	uint8_t cap = pci_cap_find(d, PCI_CAP_ID_MSIX, 0);
	uint32_t table;
	unsigned bir, size;
	uint64_t off;
	struct pci_bar *b;

	if (!cap)
		return -ENODEV;
	size = (pci_read16(d, (uint16_t)(cap + PCI_MSIX_FLAGS)) & PCI_MSIX_FLAGS_QSIZE) + 1u;
	table = pci_read32(d, (uint16_t)(cap + PCI_MSIX_TABLE));
	bir = table & PCI_MSIX_BIR_MASK;
	off = table & ~(uint32_t)PCI_MSIX_BIR_MASK;
	if (bir > 5)
		return -EIO;
	b = &d->bar[bir];
	if ((b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64) || b->addr == 0 ||
	    off + (uint64_t)size * PCI_MSIX_ENTRY_SIZE > b->size)
		return -EIO;
	if (!b->virt && !pci_bar_map(d, (int)bir, PT_UC))
		return -EIO;
	d->msix_cap = cap;
	d->msix_size = (uint16_t)size;
	d->msix_table = (uintptr_t)b->virt + off;
	return 0;
}

int pci_msix_set_entry(struct pci_dev *d, unsigned entry, int vector)
{
	uint64_t addr;
	uint32_t data;
	uintptr_t e;

	if (!d->msix_table || entry >= d->msix_size)
		return -EINVAL;
	apic_msi_message(vector, &addr, &data);
	e = d->msix_table + entry * PCI_MSIX_ENTRY_SIZE;
	/* Mask while the entry is inconsistent, then unmask. */
	mmio_write32(e + PCI_MSIX_ENTRY_CTRL, PCI_MSIX_ENTRY_CTRL_MASKED);
	mmio_write32(e + PCI_MSIX_ENTRY_ADDR_LO, (uint32_t)addr);
	mmio_write32(e + PCI_MSIX_ENTRY_ADDR_HI, (uint32_t)(addr >> 32));
	mmio_write32(e + PCI_MSIX_ENTRY_DATA, data);
	mmio_write32(e + PCI_MSIX_ENTRY_CTRL, 0);
	return 0;
}

void pci_msix_enable(struct pci_dev *d, bool on)
{
	uint16_t off = (uint16_t)(d->msix_cap + PCI_MSIX_FLAGS);
	uint16_t flags, cmd;

	if (!d->msix_cap)
		return;
	flags = pci_read16(d, off);
	flags &= (uint16_t)~PCI_MSIX_FLAGS_MASKALL;
	flags = on ? (flags | PCI_MSIX_FLAGS_ENABLE) : (flags & (uint16_t)~PCI_MSIX_FLAGS_ENABLE);
	pci_write16(d, off, flags);
	cmd = pci_read16(d, PCI_COMMAND);
	cmd = on ? (cmd | PCI_COMMAND_INTX_DISABLE) : (cmd & (uint16_t)~PCI_COMMAND_INTX_DISABLE);
	pci_write16(d, PCI_COMMAND, cmd);
}
