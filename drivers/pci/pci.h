/*
 * PCI: enumeration, configuration access, BARs, capabilities, MSI-X.
 * pci_init() scans every bus, device and function once (ECAM where ACPI's MCFG
 * offers it, else I/O ports 0xCF8/0xCFC), sizes and maps each BAR, and logs
 * `BB:DD.F vvvv:dddd class CC:SS:PP` with the BARs. Drivers then look devices
 * up with pci_find() and use the helpers below. One PCI segment (0).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/pt.h"

#define PCI_MAX_DEVS 64

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
	enum pci_bar_kind kind;
	bool prefetch;
	uint64_t addr;          /* bus address as the firmware assigned it */
	uint64_t size;          /* bytes; 0 for an unimplemented BAR */
	void *virt;             /* memory BARs: mapped address, NULL if unmapped */
};

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class, subclass, progif, header_type;
	struct pci_bar bar[6];  /* a 64-bit BAR fills its slot; the next is NONE */
	uint8_t msix_cap;       /* offset of the MSI-X capability, 0 if none */
	uint16_t msix_size;     /* table entries */
	uintptr_t msix_table;   /* mapped table, 0 until pci_msix_init() */
};

struct cmdline;

/* Enumerate and log every function. After acpi_init() and vm_init(). With
 * the option pci.dump, also print each function's config space and BAR
 * read-backs (the recorded images under tests/unit/data come from this). */
void pci_init(const struct cmdline *cl);

/* The n-th function found (0-based), or NULL past the end. */
struct pci_dev *pci_get(int n);

/* The index-th function with these IDs (0xffff matches any device). */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device, int index);

/* "ecam" or "legacy". */
const char *pci_access_method(void);

/* Configuration reads and writes of 1, 2 or 4 bytes at an aligned offset.
 * Offsets past 255 need ECAM; reads there without it return all ones. */
uint8_t pci_read8(const struct pci_dev *d, uint16_t off);
uint16_t pci_read16(const struct pci_dev *d, uint16_t off);
uint32_t pci_read32(const struct pci_dev *d, uint16_t off);
void pci_write8(const struct pci_dev *d, uint16_t off, uint8_t v);
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v);
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v);

/* Offset of the capability after the one at `after` (0: the list head), or
 * 0 at the end of the list or on a pointer outside 0x40-0xFF. */
uint8_t pci_cap_next(const struct pci_dev *d, uint8_t after);

/* Offset of the first capability with this ID after `after` (0 to start
 * from the list head), or 0 if there is none. The walk stops after 48
 * steps, so a looped list ends too. */
uint8_t pci_cap_find(const struct pci_dev *d, uint8_t id, uint8_t after);

/* Map memory BAR n with the given caching type (again, if mapped before)
 * and return its address; NULL for an I/O, missing or unassigned BAR. */
void *pci_bar_map(struct pci_dev *d, int n, enum pt_cache cache);

/* Set the command register's memory/IO decode and bus-master bits. */
void pci_enable(struct pci_dev *d);

/* Find the MSI-X capability and map its table: 0, or -ENODEV if there is
 * none, -EIO if the capability points outside its BAR. */
int pci_msix_init(struct pci_dev *d);

/* Point table entry `entry` at `vector` on this CPU and unmask it.
 * 0, or -EINVAL for an entry past the table. Needs pci_msix_init(). */
int pci_msix_set_entry(struct pci_dev *d, unsigned entry, int vector);

/* Turn MSI-X on (INTx off) or off for the function. */
void pci_msix_enable(struct pci_dev *d, bool on);
