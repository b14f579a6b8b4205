/*
 * BAR decoding. Size = two's complement of the read-back with the type bits
 * cleared. An I/O BAR may implement only 16 address bits; its upper read-back
 * bits are then 0 and are treated as set. Host-tested by tests/unit/test_pci_bar.c.
 */
#include <stdint.h>

#include "drivers/pci/pci_bar.h"
#include "drivers/pci/pci_regs.h"

int pci_bar_decode(const uint32_t val[], const uint32_t mask[], int nbars, struct pci_bar out[])
{
	int n = 0;

	for (int i = 0; i < nbars; i++)
		out[i] = (struct pci_bar){ .kind = PCI_BAR_NONE };
	for (int i = 0; i < nbars; i++) {
		struct pci_bar *b = &out[i];
		if (mask[i] == 0)
			continue;
		if (val[i] & PCI_BAR_SPACE_IO) {
			uint32_t m = mask[i] & ~3u;
			if ((m & 0xffff0000u) == 0 && m != 0)   /* m == 0: no address bits, NONE */
				m |= 0xffff0000u;
			b->kind = PCI_BAR_IO;
			b->addr = val[i] & ~3u;
			b->size = (uint32_t)(~m + 1);
		} else if ((val[i] & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64) {
			if (i + 1 >= nbars)
				continue;
			uint64_t m = ((uint64_t)mask[i + 1] << 32) | (mask[i] & ~0xfu);
			b->kind = PCI_BAR_MEM64;
			b->prefetch = (val[i] & PCI_BAR_MEM_PREFETCH) != 0;
			b->addr = ((uint64_t)val[i + 1] << 32) | (val[i] & ~0xfu);
			b->size = ~m + 1;
			i++;            /* the upper half is not a BAR of its own */
		} else {
			uint32_t m = mask[i] & ~0xfu;
			b->kind = PCI_BAR_MEM32;
			b->prefetch = (val[i] & PCI_BAR_MEM_PREFETCH) != 0;
			b->addr = val[i] & ~0xfu;
			b->size = (uint32_t)(~m + 1);
		}
		if (b->size == 0) {     /* all address bits read back set: broken */
			*b = (struct pci_bar){ .kind = PCI_BAR_NONE };
			continue;
		}
		n++;
	}
	return n;
}

const char *pci_bar_kind_name(enum pci_bar_kind k)
{
	switch (k) {
	case PCI_BAR_IO: return "io";
	case PCI_BAR_MEM32: return "mem32";
	case PCI_BAR_MEM64: return "mem64";
	default: return "none";
	}
}
