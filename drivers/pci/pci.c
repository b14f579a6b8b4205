/*
 * PCI enumeration. Every device number of every bus in range is probed
 * (brute force finds functions behind bridges without walking them, and the
 * number of buses in a VM is small); function 0's header type says whether
 * functions 1-7 exist. BARs are sized with decoding off, so a BAR briefly
 * holding all ones never claims addresses.
 * Exercise: tests/boot/run-tests pci-devices (compares with QEMU's query-pci).
 */
#include <stddef.h>
#include <stdint.h>

#include "drivers/pci/pci.h"
#include "drivers/pci/pci_bar.h"
#include "drivers/pci/pci_cfg.h"
#include "drivers/pci/pci_regs.h"
#include "kernel/cmdline.h"
#include "kernel/kprintf.h"
#include "kernel/vm.h"

static struct pci_dev devs[PCI_MAX_DEVS];
static int ndevs;

uint8_t pci_read8(const struct pci_dev *d, uint16_t off) { return (uint8_t)pci_cfg_read(d->bus, d->dev, d->fn, off, 1); }
uint16_t pci_read16(const struct pci_dev *d, uint16_t off) { return (uint16_t)pci_cfg_read(d->bus, d->dev, d->fn, off, 2); }
uint32_t pci_read32(const struct pci_dev *d, uint16_t off) { return pci_cfg_read(d->bus, d->dev, d->fn, off, 4); }
void pci_write8(const struct pci_dev *d, uint16_t off, uint8_t v) { pci_cfg_write(d->bus, d->dev, d->fn, off, 1, v); }
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v) { pci_cfg_write(d->bus, d->dev, d->fn, off, 2, v); }
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v) { pci_cfg_write(d->bus, d->dev, d->fn, off, 4, v); }

/* Read every BAR's value and all-ones read-back into val/mask. */
static void size_bars(const struct pci_dev *d, int nbars, uint32_t val[], uint32_t mask[])
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);

	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (int i = 0; i < nbars; i++) {
		uint16_t off = (uint16_t)(PCI_BAR0 + 4 * i);
		val[i] = pci_read32(d, off);
		pci_write32(d, off, 0xffffffffu);
		mask[i] = pci_read32(d, off);
		pci_write32(d, off, val[i]);
	}
	pci_write16(d, PCI_COMMAND, cmd);
}

void *pci_bar_map(struct pci_dev *d, int n, enum pt_cache cache)
{
	struct pci_bar *b;

	if (n < 0 || n > 5)
		return NULL;
	b = &d->bar[n];
	if ((b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64) || b->addr == 0)
		return NULL;
	b->virt = vm_map(b->addr, b->size, cache);
	return b->virt;
}

void pci_enable(struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);

	pci_write16(d, PCI_COMMAND, cmd | PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

static void dump_config(const struct pci_dev *d, const uint32_t val[], const uint32_t mask[], int nbars)
{
	/* Recorded images for tests/unit come from this (kernel option pci.dump). */
	for (int off = 0; off < 256; off += 16) {
		kprintf("pcidump: %02x:%02x.%x %02x", d->bus, d->dev, d->fn, off);
		for (int i = 0; i < 16; i += 4)
			kprintf(" %08x", pci_read32(d, (uint16_t)(off + i)));
		kprintf("\n");
	}
	kprintf("pcidump: %02x:%02x.%x bars", d->bus, d->dev, d->fn);
	for (int i = 0; i < nbars; i++)
		kprintf(" %08x/%08x", val[i], mask[i]);
	kprintf("\n");
}

/* "pci:   caps 11@98 09@84 ...": ID@offset, in list order. */
static void log_caps(const struct pci_dev *d)
{
	uint8_t p = 0;
	int n = 0;

	for (int steps = 0; steps < 48 && (p = pci_cap_next(d, p)); steps++, n++)
		kprintf("%s %02x@%02x", n ? "" : "pci:   caps", pci_read8(d, p), p);
	if (n)
		kprintf("\n");
}

static void add_function(int bus, int dev, int fn, int dump)
{
	struct pci_dev *d;
	uint32_t cls, val[6], mask[6];
	int nbars;

	if (ndevs == PCI_MAX_DEVS) {
		kprintf("pci: more than %d functions; %02x:%02x.%x ignored\n", PCI_MAX_DEVS, bus, dev, fn);
		return;
	}
	d = &devs[ndevs++];
	d->bus = (uint8_t)bus, d->dev = (uint8_t)dev, d->fn = (uint8_t)fn;
	d->vendor = pci_read16(d, PCI_VENDOR_ID);
	d->device = pci_read16(d, PCI_DEVICE_ID);
	cls = pci_read32(d, PCI_CLASS_REVISION);
	d->class = (uint8_t)(cls >> 24), d->subclass = (uint8_t)(cls >> 16), d->progif = (uint8_t)(cls >> 8);
	d->header_type = pci_read8(d, PCI_HEADER_TYPE) & 0x7f;
	nbars = d->header_type == PCI_HEADER_TYPE_NORMAL ? 6 : d->header_type == PCI_HEADER_TYPE_BRIDGE ? 2 : 0;

	kprintf("pci: %02x:%02x.%x %04x:%04x class %02x:%02x:%02x\n", bus, dev, fn,
		d->vendor, d->device, d->class, d->subclass, d->progif);
	if (nbars == 0)
		return;
	size_bars(d, nbars, val, mask);
	pci_bar_decode(val, mask, nbars, d->bar);
	if (dump)
		dump_config(d, val, mask, nbars);
	for (int i = 0; i < nbars; i++) {
		struct pci_bar *b = &d->bar[i];
		if (b->kind == PCI_BAR_NONE)
			continue;
		kprintf("pci:   bar%d %s%s 0x%lx size 0x%lx%s\n", i, pci_bar_kind_name(b->kind),
			b->prefetch ? " pref" : "", b->addr, b->size, b->addr ? "" : " (unassigned)");
		/* Device registers: uncached until a driver asks otherwise. */
		if (b->kind != PCI_BAR_IO)
			pci_bar_map(d, i, PT_UC);
	}
	log_caps(d);
}

void pci_init(const struct cmdline *cl)
{
	int first, last;
	int dump = cl && cmdline_get(cl, "pci.dump") != NULL;

	pci_cfg_init();
	pci_cfg_bus_range(&first, &last);
	kprintf("pci: config access %s, buses %d-%d\n", pci_access_method(), first, last);
	for (int bus = first; bus <= last; bus++) {
		for (int dev = 0; dev < 32; dev++) {
			if ((pci_cfg_read(bus, dev, 0, PCI_VENDOR_ID, 2) & 0xffff) == 0xffff)
				continue;
			int multi = pci_cfg_read(bus, dev, 0, PCI_HEADER_TYPE, 1) & PCI_HEADER_MULTIFUNC;
			for (int fn = 0; fn < (multi ? 8 : 1); fn++)
				if ((pci_cfg_read(bus, dev, fn, PCI_VENDOR_ID, 2) & 0xffff) != 0xffff)
					add_function(bus, dev, fn, dump);
		}
	}
	kprintf("pci: %d functions\n", ndevs);
}

struct pci_dev *pci_get(int n)
{
	return n >= 0 && n < ndevs ? &devs[n] : NULL;
}

struct pci_dev *pci_find(uint16_t vendor, uint16_t device, int index)
{
	for (int i = 0; i < ndevs; i++)
		if (devs[i].vendor == vendor && (device == 0xffff || devs[i].device == device) && index-- == 0)
			return &devs[i];
	return NULL;
}

const char *pci_access_method(void)
{
	return pci_cfg_is_ecam() ? "ecam" : "legacy";
}
