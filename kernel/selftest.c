/*
 * Self tests that need the real machine: memory above 4 GiB, the timer and
 * clocks, interrupt delivery, MSI-X programming, and the panic path.
 */
#include <stdint.h>
#include <string.h>

#include "drivers/pci/pci.h"
#include "drivers/pci/pci_regs.h"
#include "kernel/apic.h"
#include "kernel/clock.h"
#include "kernel/cmdline.h"
#include "kernel/heap.h"
#include "kernel/irq.h"
#include "kernel/kprintf.h"
#include "kernel/mem.h"
#include "kernel/mmio.h"
#include "kernel/panic.h"
#include "kernel/rtc.h"
#include "kernel/selftest.h"
#include "kernel/x86.h"

#define FOUR_GIB (4ull << 30)

static const struct cmdline *cmd;
extern const struct selftest_suite __suites_start[], __suites_end[];
static char why[160];

#define FAIL(...) do { ksnprintf(why, sizeof(why), __VA_ARGS__); return -1; } while (0)

/* Allocate pages above 4 GiB, write a pattern through the identity map, read
 * it back. Needs a machine with RAM there (-m 6G). */
static int t_highmem(void)
{
	enum { N = 512 };                       /* 2 MiB */
	uint64_t *p = page_alloc_range(N, 1, FOUR_GIB, UINT64_MAX);

	if (!p)
		FAIL("expected pages above 4 GiB, saw none (top of RAM 0x%lx)", mem_top());
	for (uint64_t i = 0; i < N * 512; i++)
		p[i] = (uintptr_t)&p[i] ^ 0x5a5a5a5a5a5a5a5aull;
	for (uint64_t i = 0; i < N * 512; i++)
		if (p[i] != ((uintptr_t)&p[i] ^ 0x5a5a5a5a5a5a5a5aull))
			FAIL("expected pattern at %p, saw 0x%lx", (void *)&p[i], p[i]);
	kprintf("selftest: highmem: wrote and read 2 MiB at %p\n", (void *)p);
	page_free(p, N);
	return 0;
}

static int t_heap(void)
{
	enum { N = 200 };
	static void *blk[N];
	size_t before = heap_in_use();

	for (int i = 0; i < N; i++) {
		size_t sz = (size_t)(i * 37) % 9000 + 1;
		blk[i] = kmalloc(sz);
		if (!blk[i])
			FAIL("expected kmalloc(%zu) to succeed, saw NULL", sz);
		if ((uintptr_t)blk[i] & 15)
			FAIL("expected 16-byte alignment, saw %p", blk[i]);
		memset(blk[i], i & 0xff, sz);
	}
	for (int i = 0; i < N; i++) {
		size_t sz = (size_t)(i * 37) % 9000 + 1;
		for (size_t k = 0; k < sz; k++)
			if (((unsigned char *)blk[i])[k] != (i & 0xff))
				FAIL("expected block %d intact, saw byte %zu changed (overlap)", i, k);
	}
	for (int i = 0; i < N; i++)
		kfree(blk[i]);
	if (heap_in_use() != before)
		FAIL("expected %zu bytes in use after freeing all, saw %zu", before, heap_in_use());
	return 0;
}

/* Deliberately fault; the panic report must name this function. */
__attribute__((noinline)) void selftest_fault_victim(void);
__attribute__((noinline)) void selftest_fault_victim(void)
{
	*(volatile uint64_t *)0xdead000000ull = 1;   /* never mapped */
}

static int t_pagefault(void)
{
	selftest_fault_victim();
	FAIL("expected a page fault, saw the write succeed");
}

/* Deliberately panic; the report must name this function. */
__attribute__((noinline)) void selftest_panic_victim(void);
__attribute__((noinline)) void selftest_panic_victim(void)
{
	panic("selftest: deliberate panic");
}

static int t_panic(void)
{
	selftest_panic_victim();
	FAIL("expected panic() not to return, saw it return");
}

/* The monotonic clock against the RTC: one RTC second is between 0.5 and 2
 * seconds of monotonic time (wide: TCG runs on a busy host). */
static int t_clock(void)
{
	struct rtc_time t;
	int s0;
	uint64_t a, b, prev = clock_monotonic_ns();

	rtc_read(&t);
	s0 = t.sec;
	do {
		rtc_read(&t);
	} while (t.sec == s0);
	a = clock_monotonic_ns();
	s0 = t.sec;
	do {
		uint64_t now = clock_monotonic_ns();
		if (now < prev)
			FAIL("expected monotonic time, saw %lu after %lu", now, prev);
		prev = now;
		rtc_read(&t);
	} while (t.sec == s0);
	b = clock_monotonic_ns();
	if (b - a < 500000000ull || b - a > 2000000000ull)
		FAIL("expected one RTC second to be 0.5-2 s of monotonic time, saw %lu ns", b - a);
	kprintf("selftest: clock: one RTC second = %lu ns (%s)\n", b - a, clock_source());
	return 0;
}

/* The APIC timer interrupts: ticks advance while the CPU halts. */
static int t_timer(void)
{
	uint64_t t0 = apic_timer_ticks(), n0 = clock_monotonic_ns();

	while (apic_timer_ticks() < t0 + 10 && clock_monotonic_ns() - n0 < 5000000000ull)
		hlt();
	if (apic_timer_ticks() < t0 + 10)
		FAIL("expected 10 timer ticks within 5 s, saw %lu", apic_timer_ticks() - t0);
	return 0;
}

static volatile int irq_seen;
static void irq_probe(void *arg) { irq_seen = (int)(uintptr_t)arg; }

/* A vector from irq_alloc reaches its handler (self-IPI). */
static int t_irq(void)
{
	int v = irq_alloc(irq_probe, (void *)(uintptr_t)0x1234);

	if (v < 0)
		FAIL("expected a free vector, saw %d", v);
	irq_seen = 0;
	apic_self_ipi(v);
	for (int i = 0; i < 1000000 && !irq_seen; i++)
		pause();
	irq_free(v);
	if (irq_seen != 0x1234)
		FAIL("expected handler of vector %d to run, saw %d", v, irq_seen);
	return 0;
}

/* Program an MSI-X entry of the first function that has MSI-X, read the
 * table and the capability back from the device. */
static int t_msix(void)
{
	struct pci_dev *d = NULL;
	uint64_t addr;
	uint32_t data;
	int v, err;

	for (int i = 0; (d = pci_get(i)); i++)
		if (pci_cap_find(d, PCI_CAP_ID_MSIX, 0))
			break;
	if (!d)
		FAIL("expected a PCI function with MSI-X, saw none");
	if ((err = pci_msix_init(d)) != 0)
		FAIL("expected pci_msix_init to succeed, saw %d", err);
	v = irq_alloc(irq_probe, NULL);
	if (v < 0)
		FAIL("expected a free vector, saw %d", v);
	unsigned entry = d->msix_size - 1;
	if ((err = pci_msix_set_entry(d, entry, v)) != 0)
		FAIL("expected pci_msix_set_entry to succeed, saw %d", err);
	if (pci_msix_set_entry(d, d->msix_size, v) == 0)
		FAIL("expected entry %u (past the table) to be refused", d->msix_size);
	pci_msix_enable(d, true);
	apic_msi_message(v, &addr, &data);
	uintptr_t e = d->msix_table + entry * PCI_MSIX_ENTRY_SIZE;
	uint64_t got_addr = mmio_read32(e) | ((uint64_t)mmio_read32(e + 4) << 32);
	uint32_t got_data = mmio_read32(e + 8), got_ctrl = mmio_read32(e + 12);
	uint16_t flags = pci_read16(d, (uint16_t)(d->msix_cap + PCI_MSIX_FLAGS));
	pci_msix_enable(d, false);
	irq_free(v);
	if (got_addr != addr || got_data != data || (got_ctrl & 1))
		FAIL("expected entry %u = 0x%lx/0x%x unmasked, saw 0x%lx/0x%x ctrl 0x%x",
		     entry, addr, data, got_addr, got_data, got_ctrl);
	if (!(flags & PCI_MSIX_FLAGS_ENABLE))
		FAIL("expected MSI-X enabled in the capability, saw flags 0x%x", flags);
	kprintf("selftest: msix: %02x:%02x.%x entry %u -> vector %d\n", d->bus, d->dev, d->fn, entry, v);
	return 0;
}

/* The wall clock against rtc.expect=EPOCH (the harness starts QEMU's RTC
 * there with -rtc base=...,clock=vm): within 60 s. */
static int t_rtc(void)
{
	const char *s = cmdline_get(cmd, "rtc.expect");
	uint64_t want = 0, now = clock_realtime_ns() / 1000000000ull;

	if (!s)
		FAIL("expected option rtc.expect=EPOCH, saw none");
	for (; *s >= '0' && *s <= '9'; s++)
		want = want * 10 + (uint64_t)(*s - '0');
	if (now + 60 < want || now > want + 60)
		FAIL("expected wall clock within 60 s of %lu, saw %lu", want, now);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{ "highmem", t_highmem },
	{ "heap", t_heap },
	{ "pagefault", t_pagefault },
	{ "panic", t_panic },
	{ "clock", t_clock },
	{ "timer", t_timer },
	{ "irq", t_irq },
	{ "msix", t_msix },
	{ "rtc", t_rtc },
};

int selftest_run(const struct cmdline *cl)
{
	const char *list = cmdline_get(cl, "test");
	int passed = 0, failed = 0;
	size_t ntests = sizeof(tests) / sizeof(tests[0]);

	if (!list)
		return 0;
	cmd = cl;
	for (const char *p = list; *p;) {
		char name[32];
		size_t n = 0;
		while (*p && *p != ',' && n + 1 < sizeof(name))
			name[n++] = *p++;
		name[n] = '\0';
		while (*p && *p != ',')
			p++;
		if (*p == ',')
			p++;
		size_t i;
		for (i = 0; i < ntests && strcmp(tests[i].name, name) != 0; i++)
			;
		const struct selftest_suite *s;
		for (s = __suites_start; i == ntests && s < __suites_end; s++) {
			if (strcmp(s->name, name))
				continue;
			int nfail = s->run(cl);
			if (nfail == 0) {
				kprintf("selftest: %s: PASS\n", name);
				passed++;
			} else {
				kprintf("selftest: %s: FAIL: %d cases failed\n", name, nfail);
				failed++;
			}
			break;
		}
		if (i == ntests && s < __suites_end)
			continue;
		if (i == ntests) {
			kprintf("selftest: %s: FAIL: no such test\n", name);
			failed++;
			continue;
		}
		why[0] = '\0';
		if (tests[i].fn() == 0) {
			kprintf("selftest: %s: PASS\n", name);
			passed++;
		} else {
			kprintf("selftest: %s: FAIL: %s\n", name, why);
			failed++;
		}
	}
	kprintf("selftest: %d passed, %d failed\n", passed, failed);
	return failed;
}
