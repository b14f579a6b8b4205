/*
 * drivers/pci/pci_bar.c against drivers/pci/pci_bar.h.
 *
 * Recorded cases: data/<machine>.txt holds what remora printed with the
 * kernel option pci.dump under QEMU 7.2 (the command line is in each file's
 * header): each function's config space and, per BAR slot, the value and the
 * all-ones read-back. data/<machine>.info-pci.txt is QEMU's own account of
 * the same machine (monitor `info pci`, taken after the kernel had sized and
 * restored the BARs, with -no-shutdown keeping the VM around). The expected
 * kind, prefetchability, address and size of every BAR come from that file
 * ("BARn: I/O at A [E]", "32 bit memory at A [E]", "64 bit prefetchable
 * memory at A [E]": size = E - A + 1); a slot QEMU does not list must decode
 * as NONE. BAR6 (the expansion ROM) is not a BAR slot and is skipped.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/pci/pci_bar.h"
#include "check.h"

#define MAXFN 64

struct expect_bar {
	bool present;
	enum pci_bar_kind kind;
	bool prefetch;
	uint64_t addr, size;
};

struct fn {
	unsigned bus, dev, fn;
	int nbars;                      /* BAR slots in the dump (6 or 2) */
	uint32_t val[6], mask[6];
	uint32_t cfg[64];               /* config space words */
	int ncfg;                       /* words seen */
	bool in_info;
	struct expect_bar exp[6];
};

static struct fn fns[MAXFN];
static int nfns;

static struct fn *find_fn(unsigned bus, unsigned dev, unsigned f, bool create)
{
	for (int i = 0; i < nfns; i++)
		if (fns[i].bus == bus && fns[i].dev == dev && fns[i].fn == f)
			return &fns[i];
	if (!create || nfns == MAXFN)
		return NULL;
	fns[nfns] = (struct fn){ .bus = bus, .dev = dev, .fn = f };
	return &fns[nfns++];
}

static const char *kind_str(enum pci_bar_kind k)
{
	return k == PCI_BAR_IO ? "io" : k == PCI_BAR_MEM32 ? "mem32" : k == PCI_BAR_MEM64 ? "mem64" : "none";
}

/* Reads data/<name>.txt and data/<name>.info-pci.txt into fns[]; 0 or a failed check. */
static int load(const char *name)
{
	char path[256], line[512];
	FILE *f;
	struct fn *cur = NULL;

	nfns = 0;
	snprintf(path, sizeof path, "data/%s.txt", name);
	if (!(f = fopen(path, "r"))) {
		CHECK_FAIL("a readable data file", path);
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		unsigned b, d, fn, off, w[4];
		int pos;
		if (line[0] == '#')
			continue;
		if (sscanf(line, "pcidump: %x:%x.%x bars%n", &b, &d, &fn, &pos) == 3 && strstr(line, " bars ")) {
			struct fn *x = find_fn(b, d, fn, true);
			char *p = line + pos;
			unsigned v, m;
			int k;
			while (x && x->nbars < 6 && sscanf(p, " %x/%x%n", &v, &m, &k) == 2) {
				x->val[x->nbars] = v, x->mask[x->nbars] = m;
				x->nbars++;
				p += k;
			}
		} else if (sscanf(line, "pcidump: %x:%x.%x %x %x %x %x %x", &b, &d, &fn, &off,
				  &w[0], &w[1], &w[2], &w[3]) == 8) {
			struct fn *x = find_fn(b, d, fn, true);
			if (x && off < 256 && off % 16 == 0) {
				memcpy(&x->cfg[off / 4], w, sizeof w);
				x->ncfg += 4;
			}
		} else {
			CHECK_FAIL("a pcidump line", line);
		}
	}
	fclose(f);

	snprintf(path, sizeof path, "data/%s.info-pci.txt", name);
	if (!(f = fopen(path, "r"))) {
		CHECK_FAIL("a readable data file", path);
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		unsigned b, d, fn, n;
		unsigned long long a, e;
		char what[64];
		if (sscanf(line, " Bus %u, device %u, function %u:", &b, &d, &fn) == 3) {
			cur = find_fn(b, d, fn, false);
			if (!cur) {
				char s[64];
				snprintf(s, sizeof s, "%02x:%02x.%x missing from the dump", b, d, fn);
				CHECK_FAIL("every function QEMU lists in the dump", s);
				continue;
			}
			cur->in_info = true;
		} else if (cur && sscanf(line, " BAR%u: %63[^\n]", &n, what) == 2 && strstr(line, " at ") &&
			   sscanf(strstr(line, " at "), " at %llx [%llx]", &a, &e) == 2) {
			struct expect_bar x = { .present = true, .addr = a, .size = e - a + 1 };
			if (n == 6)
				continue;       /* expansion ROM */
			if (strncmp(what, "I/O ", 4) == 0)
				x.kind = PCI_BAR_IO;
			else if (strncmp(what, "32 bit ", 7) == 0)
				x.kind = PCI_BAR_MEM32;
			else if (strncmp(what, "64 bit ", 7) == 0)
				x.kind = PCI_BAR_MEM64;
			else
				CHECK_FAIL("I/O, 32 bit or 64 bit", what);
			x.prefetch = strstr(what, "prefetchable") != NULL;
			if (n < 6)
				cur->exp[n] = x;
		}
	}
	fclose(f);
	return 0;
}

static const char *recorded_name;

static void recorded(void)
{
	int nchecked = 0;

	if (load(recorded_name))
		return;
	if (!CHECK(nfns > 3))
		return;
	for (int i = 0; i < nfns; i++) {
		struct fn *x = &fns[i];
		char id[32], e[128], s[128];
		struct pci_bar out[6];
		int hdr, want_n = 0, n;

		snprintf(id, sizeof id, "%02x:%02x.%x", x->bus, x->dev, x->fn);
		if (!x->in_info) {
			CHECK_FAIL("every dumped function in QEMU's list", id);
			continue;
		}
		/* The recording is consistent: full config space, BAR count from the
		 * header type, and the BAR values are those in config space. */
		hdr = (x->cfg[3] >> 16) & 0x7f;
		if (!CHECK_EQ(64, x->ncfg) || !CHECK_EQ(hdr == 0 ? 6 : hdr == 1 ? 2 : 0, x->nbars))
			continue;
		for (int k = 0; k < x->nbars; k++)
			CHECK_EQ(x->cfg[4 + k], x->val[k]);

		memset(out, 0xa5, sizeof out);
		n = pci_bar_decode(x->val, x->mask, x->nbars, out);
		for (int k = 0; k < x->nbars; k++) {
			const struct expect_bar *w = &x->exp[k];
			const struct pci_bar *g = &out[k];
			bool ok;
			want_n += w->present;
			if (w->present)
				ok = g->kind == w->kind && g->prefetch == w->prefetch &&
				     g->addr == w->addr && g->size == w->size;
			else
				ok = g->kind == PCI_BAR_NONE;
			if (!ok) {
				snprintf(e, sizeof e, "%s bar%d %s%s 0x%llx size 0x%llx", id, k,
					 w->present ? kind_str(w->kind) : "none", w->prefetch ? " pref" : "",
					 (unsigned long long)w->addr, (unsigned long long)w->size);
				snprintf(s, sizeof s, "%s%s 0x%llx size 0x%llx", kind_str(g->kind),
					 g->prefetch ? " pref" : "", (unsigned long long)g->addr,
					 (unsigned long long)g->size);
				CHECK_FAIL(e, s);
			}
			nchecked += w->present;
		}
		if (!CHECK_EQ(want_n, n))
			fprintf(stderr, "    (function %s)\n", id);
	}
	CHECK(nchecked >= 5);
}

static int decode1(const uint32_t *val, const uint32_t *mask, int nbars, struct pci_bar **outp)
{
	/* Exactly nbars entries, so ASan catches a write past them. */
	struct pci_bar *out = malloc(sizeof *out * (size_t)nbars);
	memset(out, 0xa5, sizeof *out * (size_t)nbars);
	*outp = out;
	return pci_bar_decode(val, mask, nbars, out);
}

static void bar_is(int line, const struct pci_bar *b, enum pci_bar_kind kind, bool pref, uint64_t addr, uint64_t size)
{
	check_str_(line, "kind", kind_str(kind), kind_str(b->kind));
	if (kind == PCI_BAR_NONE)
		return;
	check_eq_(line, "prefetch", pref, b->prefetch);
	check_eq_(line, "addr", addr, b->addr);
	check_eq_(line, "size", size, b->size);
}
#define BAR_IS(b, ...) bar_is(__LINE__, b, __VA_ARGS__)

static void mem64_in_last_slot(void)
{
	uint32_t val[6] = { 0xfebc0000, 0, 0, 0, 0, 0xfe00000c };
	uint32_t mask[6] = { 0xfffe0000, 0, 0, 0, 0, 0xffffc00c };
	struct pci_bar *o;

	CHECK_EQ(1, decode1(val, mask, 6, &o));
	BAR_IS(&o[0], PCI_BAR_MEM32, false, 0xfebc0000, 0x20000);
	BAR_IS(&o[5], PCI_BAR_NONE, 0, 0, 0);
	free(o);
	/* A bridge: two slots, the 64-bit BAR in slot 1. */
	uint32_t bval[2] = { 0xc001, 0x0000000c }, bmask[2] = { 0xfffffff1, 0xfff0000c };
	CHECK_EQ(1, decode1(bval, bmask, 2, &o));
	BAR_IS(&o[0], PCI_BAR_IO, false, 0xc000, 0x10);
	BAR_IS(&o[1], PCI_BAR_NONE, 0, 0, 0);
	free(o);
	/* ... and in slot 0 of a bridge it is fine. */
	uint32_t cval[2] = { 0x00000004, 0x00000001 }, cmask[2] = { 0xffffff04, 0xffffffff };
	CHECK_EQ(1, decode1(cval, cmask, 2, &o));
	BAR_IS(&o[0], PCI_BAR_MEM64, false, 0x100000000, 0x100);
	BAR_IS(&o[1], PCI_BAR_NONE, 0, 0, 0);
	free(o);
}

static void io_16_bits(void)
{
	uint32_t val[6] = { 0xc041, 0x0701, 0, 0, 0, 0 };
	uint32_t mask[6] = { 0x0000ffe1, 0x0000fffd, 0, 0, 0, 0 };   /* bit 1 reserved, may read 0 or 1 */
	struct pci_bar *o;

	CHECK_EQ(2, decode1(val, mask, 6, &o));
	BAR_IS(&o[0], PCI_BAR_IO, false, 0xc040, 0x20);
	BAR_IS(&o[1], PCI_BAR_IO, false, 0x0700, 0x4);
	for (int i = 2; i < 6; i++)
		BAR_IS(&o[i], PCI_BAR_NONE, 0, 0, 0);
	free(o);
	/* The same BARs with all 32 bits implemented. */
	uint32_t mask32[6] = { 0xffffffe1, 0xfffffffd, 0, 0, 0, 0 };
	CHECK_EQ(2, decode1(val, mask32, 6, &o));
	BAR_IS(&o[0], PCI_BAR_IO, false, 0xc040, 0x20);
	BAR_IS(&o[1], PCI_BAR_IO, false, 0x0700, 0x4);
	free(o);
}

static void mask_zero_is_none(void)
{
	/* Unimplemented BARs read back 0 whatever stale value they showed. */
	uint32_t val[6] = { 0xfebc0000, 0xc001, 0x0000000c, 0x00000001, 0xe0000008, 0 };
	uint32_t mask[6] = { 0, 0, 0, 0, 0, 0 };
	struct pci_bar *o;

	CHECK_EQ(0, decode1(val, mask, 6, &o));
	for (int i = 0; i < 6; i++)
		BAR_IS(&o[i], PCI_BAR_NONE, 0, 0, 0);
	free(o);
	/* An unimplemented slot 0 does not hide a 64-bit BAR in slots 1-2. */
	uint32_t v2[6] = { 0, 0xf800000c, 0x00000000, 0, 0, 0 };
	uint32_t m2[6] = { 0, 0xfc00000c, 0xffffffff, 0, 0, 0 };
	CHECK_EQ(1, decode1(v2, m2, 6, &o));
	BAR_IS(&o[0], PCI_BAR_NONE, 0, 0, 0);
	BAR_IS(&o[1], PCI_BAR_MEM64, true, 0xf8000000, 0x4000000);
	BAR_IS(&o[2], PCI_BAR_NONE, 0, 0, 0);
	free(o);
}

static void size_zero_is_none(void)
{
	/* Type bits read back but no address bit: nothing is decoded. */
	uint32_t val[6] = { 0x00000008, 0x0000000c, 0, 0x00000000, 0x00000001, 0 };
	uint32_t mask[6] = { 0x00000008, 0x0000000c, 0x00000000, 0x00000000, 0x00000001, 0 };
	struct pci_bar *o;

	CHECK_EQ(0, decode1(val, mask, 6, &o));
	for (int i = 0; i < 6; i++)
		BAR_IS(&o[i], PCI_BAR_NONE, 0, 0, 0);
	free(o);
}

static void mem_kinds(void)
{
	/* mem32 prefetchable 256 MiB; a 64-bit 64 GiB BAR above 4 GiB whose
	 * upper value would look like an I/O BAR on its own; mem32 4 KiB. */
	uint32_t val[6] = { 0xe0000008, 0x0000000c, 0x00000011, 0xfebd1000, 0, 0 };
	uint32_t mask[6] = { 0xf0000008, 0x0000000c, 0xfffffff0, 0xfffff000, 0, 0 };
	struct pci_bar *o;

	CHECK_EQ(3, decode1(val, mask, 6, &o));
	BAR_IS(&o[0], PCI_BAR_MEM32, true, 0xe0000000, 0x10000000);
	BAR_IS(&o[1], PCI_BAR_MEM64, true, 0x1100000000, 0x1000000000);
	BAR_IS(&o[2], PCI_BAR_NONE, 0, 0, 0);
	BAR_IS(&o[3], PCI_BAR_MEM32, false, 0xfebd1000, 0x1000);
	free(o);
	/* The largest 32-bit BAR: 2 GiB. */
	uint32_t v2[1] = { 0x80000000 }, m2[1] = { 0x80000000 };
	CHECK_EQ(1, decode1(v2, m2, 1, &o));
	BAR_IS(&o[0], PCI_BAR_MEM32, false, 0x80000000, 0x80000000);
	free(o);
}

static void kind_names(void)
{
	CHECK_STR("io", pci_bar_kind_name(PCI_BAR_IO));
	CHECK_STR("mem32", pci_bar_kind_name(PCI_BAR_MEM32));
	CHECK_STR("mem64", pci_bar_kind_name(PCI_BAR_MEM64));
}

static void recorded_q35_virtio(void) { recorded_name = "q35-virtio"; recorded(); }
static void recorded_pc_piix(void) { recorded_name = "pc-piix"; recorded(); }
static void recorded_q35_bridges_high(void) { recorded_name = "q35-bridges-high"; recorded(); }

int main(void)
{
	RUN(recorded_q35_virtio);
	RUN(recorded_pc_piix);
	RUN(recorded_q35_bridges_high);
	RUN(mem64_in_last_slot);
	RUN(io_16_bits);
	RUN(mask_zero_is_none);
	RUN(size_zero_is_none);
	RUN(mem_kinds);
	RUN(kind_names);
	return CHECK_DONE();
}
