/*
 * ACPI table discovery. The RSDP comes from the loader (PVH gives it) or from
 * a scan of the EBDA's first KiB and 0xE0000-0xFFFFF. Every table is mapped
 * before it is read (firmware may keep tables in "reserved" memory) and its
 * checksum and length are checked; a bad table is skipped, not trusted.
 */
#include <stdint.h>
#include <string.h>

#include "kernel/acpi.h"
#include "kernel/errno.h"
#include "kernel/kprintf.h"
#include "kernel/vm.h"

#define MAX_TABLES   64
#define MAX_TABLE_LEN (16u << 20)

static const struct acpi_header *tables[MAX_TABLES];
static int ntables;

static uint8_t sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return s;
}

static const struct acpi_rsdp *check_rsdp(uint64_t pa)
{
	const struct acpi_rsdp *r = vm_map(pa, sizeof(*r), PT_WB);

	if (!r || memcmp(r->signature, "RSD PTR ", 8) != 0 || sum(r, 20) != 0)
		return NULL;
	if (r->revision >= 2 && (r->length < sizeof(*r) || sum(r, sizeof(*r)) != 0))
		return NULL;
	return r;
}

static const struct acpi_rsdp *find_rsdp(uint64_t hint, uint64_t ebda)
{
	const struct acpi_rsdp *r;

	if (hint && (r = check_rsdp(hint)))
		return r;
	if (ebda >= 0x80000 && ebda < 0xa0000)
		for (uint64_t pa = ebda; pa < ebda + 1024; pa += 16)
			if ((r = check_rsdp(pa)))
				return r;
	for (uint64_t pa = 0xe0000; pa < 0x100000; pa += 16)
		if ((r = check_rsdp(pa)))
			return r;
	return NULL;
}

/* Map a table at pa and check it; NULL if it is unreadable or corrupt. */
static const struct acpi_header *map_table(uint64_t pa)
{
	const struct acpi_header *h;

	if (pa == 0 || !(h = vm_map(pa, sizeof(*h), PT_WB)))
		return NULL;
	if (h->length < sizeof(*h) || h->length > MAX_TABLE_LEN)
		return NULL;
	if (!vm_map(pa, h->length, PT_WB) || sum(h, h->length) != 0) {
		kprintf("acpi: table %.4s at 0x%lx has a bad checksum; ignored\n", h->signature, pa);
		return NULL;
	}
	return h;
}

static void add(const struct acpi_header *h)
{
	if (h && ntables < MAX_TABLES)
		tables[ntables++] = h;
}

int acpi_init(uint64_t rsdp_hint, uint64_t ebda)
{
	const struct acpi_rsdp *r = find_rsdp(rsdp_hint, ebda);
	const struct acpi_header *root;
	int xsdt;

	if (!r) {
		kprintf("acpi: no RSDP\n");
		return -ENOENT;
	}
	xsdt = r->revision >= 2 && r->xsdt_address;
	root = map_table(xsdt ? r->xsdt_address : r->rsdt_address);
	if (!root) {
		kprintf("acpi: no valid %s\n", xsdt ? "XSDT" : "RSDT");
		return -ENOENT;
	}
	size_t esize = xsdt ? 8 : 4;
	size_t n = (root->length - sizeof(*root)) / esize;
	const uint8_t *ents = (const uint8_t *)(root + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t pa = 0;
		memcpy(&pa, ents + i * esize, esize);   /* entries are unaligned */
		const struct acpi_header *h = map_table(pa);
		add(h);
		/* The DSDT is listed only inside the FADT. */
		if (h && memcmp(h->signature, "FACP", 4) == 0) {
			const struct acpi_fadt *f = (const void *)h;
			uint64_t dsdt = f->dsdt;
			if (h->length >= offsetof(struct acpi_fadt, x_dsdt) + 8 && f->x_dsdt)
				dsdt = f->x_dsdt;
			add(map_table(dsdt));
		}
	}
	kprintf("acpi: rev %u, %d tables:", r->revision, ntables);
	for (int i = 0; i < ntables; i++)
		kprintf(" %.4s", tables[i]->signature);
	kprintf("\n");
	return 0;
}

const struct acpi_header *acpi_find(const char sig[4], int index)
{
	for (int i = 0; i < ntables; i++)
		if (memcmp(tables[i]->signature, sig, 4) == 0 && index-- == 0)
			return tables[i];
	return NULL;
}
