/*
 * Local APIC driver. Register offsets from the SDM (table 11-1). The timer is
 * calibrated by counting its ticks over a known span of the monotonic clock
 * (TSC or kvmclock), then run periodically.
 */
#include <stdint.h>

#include "kernel/apic.h"
#include "kernel/clock.h"
#include "kernel/irq.h"
#include "kernel/kprintf.h"
#include "kernel/mmio.h"
#include "kernel/panic.h"
#include "kernel/vm.h"
#include "kernel/x86.h"

#define APIC_ID        0x020
#define APIC_VERSION   0x030
#define APIC_EOI       0x0b0
#define APIC_SVR       0x0f0    /* spurious vector register */
#define APIC_ICR_LO    0x300
#define APIC_ICR_HI    0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INIT  0x380
#define APIC_TIMER_COUNT 0x390
#define APIC_TIMER_DIV   0x3e0

#define SVR_ENABLE       (1u << 8)
#define LVT_MASKED       (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)
#define ICR_DEST_SELF    (1u << 18)
#define ICR_PENDING      (1u << 12)
#define APIC_BASE_ENABLE (1u << 11)

static uintptr_t base;
static volatile uint64_t ticks;

static uint32_t rd(uint32_t reg) { return mmio_read32(base + reg); }
static void wr(uint32_t reg, uint32_t v) { mmio_write32(base + reg, v); }

static void pic_disable(void)
{
	/* ICW1-4: remap the PICs to vectors 32-47 so a spurious PIC interrupt
	 * cannot look like an exception, then mask every line. */
	outb(0x20, 0x11); outb(0xa0, 0x11);
	outb(0x21, 0x20); outb(0xa1, 0x28);
	outb(0x21, 0x04); outb(0xa1, 0x02);
	outb(0x21, 0x01); outb(0xa1, 0x01);
	outb(0x21, 0xff); outb(0xa1, 0xff);
}

static void timer_tick(void *arg)
{
	(void)arg;
	ticks++;
}

void apic_init(void)
{
	uint32_t r[4];
	uint64_t msr;

	cpuid(1, 0, r);
	if (!(r[3] & (1u << 9)))
		panic("apic: this CPU has no local APIC");
	pic_disable();
	msr = rdmsr(MSR_APIC_BASE);
	base = (uintptr_t)vm_map(msr & 0xffffff000ull, 4096, PT_UC);
	if (!base)
		panic("apic: cannot map the local APIC registers");
	wrmsr(MSR_APIC_BASE, msr | APIC_BASE_ENABLE);

	wr(APIC_LVT_TIMER, LVT_MASKED);
	wr(APIC_LVT_LINT0, LVT_MASKED);
	wr(APIC_LVT_LINT1, LVT_MASKED);
	wr(APIC_LVT_ERROR, LVT_MASKED);
	wr(APIC_SVR, SVR_ENABLE | APIC_SPURIOUS_VECTOR);
	apic_eoi();
	kprintf("apic: id %u version 0x%x at 0x%lx\n", apic_id(), rd(APIC_VERSION) & 0xff, base);
}

void apic_timer_start(void)
{
	uint64_t t0, t1;
	uint32_t counted, per_tick;

	/* Count down from the maximum for 10 ms of monotonic time. */
	wr(APIC_TIMER_DIV, 0x3);                /* divide by 16 */
	wr(APIC_LVT_TIMER, LVT_MASKED);
	t0 = clock_monotonic_ns();
	wr(APIC_TIMER_INIT, 0xffffffff);
	do {
		t1 = clock_monotonic_ns();
	} while (t1 - t0 < 10000000);
	counted = 0xffffffff - rd(APIC_TIMER_COUNT);
	wr(APIC_TIMER_INIT, 0);
	per_tick = (uint32_t)((uint64_t)counted * 1000000000 / (t1 - t0) / APIC_TIMER_HZ);
	if (per_tick == 0)
		per_tick = 1;

	irq_set_fixed(APIC_TIMER_VECTOR, timer_tick, 0);
	wr(APIC_LVT_TIMER, LVT_TIMER_PERIODIC | APIC_TIMER_VECTOR);
	wr(APIC_TIMER_INIT, per_tick);
	kprintf("apic: timer %u Hz, %u counts per tick\n", APIC_TIMER_HZ, per_tick);
}

uint64_t apic_timer_ticks(void)
{
	return ticks;
}

void apic_eoi(void)
{
	wr(APIC_EOI, 0);
}

void apic_self_ipi(int vector)
{
	wr(APIC_ICR_HI, 0);
	wr(APIC_ICR_LO, ICR_DEST_SELF | (uint32_t)(vector & 0xff));
	while (rd(APIC_ICR_LO) & ICR_PENDING)
		pause();
}

uint32_t apic_id(void)
{
	return rd(APIC_ID) >> 24;
}

void apic_msi_message(int vector, uint64_t *addr, uint32_t *data)
{
	/* Address: 0xFEE, destination ID in bits 19:12, RH = DM = 0. */
	*addr = 0xfee00000ull | ((uint64_t)(apic_id() & 0xff) << 12);
	/* Data: vector, delivery mode fixed (000), edge, assert. */
	*data = (uint32_t)(vector & 0xff);
}
