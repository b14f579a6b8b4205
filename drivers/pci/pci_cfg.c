/*
 * Configuration access methods. Mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2):
 * write enable | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc) to 0xCF8, then
 * access 0xCFC + (off & 3). ECAM: see pci_regs.h.
 */
#include <stdint.h>
#include <string.h>

#include "drivers/pci/pci_cfg.h"
#include "drivers/pci/pci_regs.h"
#include "kernel/acpi.h"
#include "kernel/kprintf.h"
#include "kernel/mmio.h"
#include "kernel/vm.h"
#include "kernel/x86.h"

#define CF8_ENABLE 0x80000000u

static uintptr_t ecam;          /* mapped address of bus 0's window, or 0 */
static int bus_first, bus_last = 255;

void pci_cfg_init(void)
{
	const struct acpi_mcfg *m = (const void *)acpi_find("MCFG", 0);
	size_t n;

	if (!m || m->header.length < sizeof(*m))
		return;
	n = (m->header.length - sizeof(*m)) / sizeof(struct acpi_mcfg_alloc);
	for (size_t i = 0; i < n; i++) {
		struct acpi_mcfg_alloc e, *a = &e;
		memcpy(&e, (const uint8_t *)(m + 1) + i * sizeof(e), sizeof(e));
		if (a->segment != 0 || a->end_bus < a->start_bus)
			continue;
		/* The window for start_bus begins at base + (start_bus << 20). */
		uint64_t lo = a->base + PCI_ECAM_OFFSET(a->start_bus, 0, 0);
		uint64_t len = (uint64_t)(a->end_bus - a->start_bus + 1) << 20;
		if (!vm_map(lo, len, PT_UC)) {
			kprintf("pci: cannot map ECAM at 0x%lx; using ports\n", lo);
			return;
		}
		ecam = (uintptr_t)a->base;
		bus_first = a->start_bus;
		bus_last = a->end_bus;
		return;
	}
}

int pci_cfg_is_ecam(void)
{
	return ecam != 0;
}

void pci_cfg_bus_range(int *first, int *last)
{
	*first = bus_first;
	*last = bus_last;
}

static int reachable(int bus, int dev, int fn, int off, int size)
{
	if (bus < bus_first || bus > bus_last || dev > 31 || fn > 7 || (off & (size - 1)))
		return 0;
	return off + size <= (ecam ? 4096 : 256);
}

/* Mechanism #1: select the dword, return the data port for the bytes. */
static uint16_t cf8_select(int bus, int dev, int fn, int off)
{
	outl(0xcf8, CF8_ENABLE | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (off & 0xfc));
	return (uint16_t)(0xcfc + (off & 3));
}

uint32_t pci_cfg_read(int bus, int dev, int fn, int off, int size)
{
	if (!reachable(bus, dev, fn, off, size))
		return 0xffffffffu;
	if (ecam) {
		uintptr_t a = ecam + PCI_ECAM_OFFSET(bus, dev, fn) + (unsigned)off;
		return size == 1 ? mmio_read8(a) : size == 2 ? mmio_read16(a) : mmio_read32(a);
	}
	uint16_t port = cf8_select(bus, dev, fn, off);
	return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

void pci_cfg_write(int bus, int dev, int fn, int off, int size, uint32_t v)
{
	if (!reachable(bus, dev, fn, off, size))
		return;
	if (ecam) {
		uintptr_t a = ecam + PCI_ECAM_OFFSET(bus, dev, fn) + (unsigned)off;
		if (size == 1)
			mmio_write8(a, (uint8_t)v);
		else if (size == 2)
			mmio_write16(a, (uint16_t)v);
		else
			mmio_write32(a, v);
		return;
	}
	uint16_t port = cf8_select(bus, dev, fn, off);
	if (size == 1)
		outb(port, (uint8_t)v);
	else if (size == 2)
		outw(port, (uint16_t)v);
	else
		outl(port, v);
}
