/*
 * Clock sources.
 *
 * kvmclock (Linux Documentation/virt/kvm/x86/msr.rst, "pvclock"): the guest
 * gives the hypervisor the physical address of a struct pvclock_time_info
 * through MSR_KVM_SYSTEM_TIME_NEW; time = system_time + scaled(tsc -
 * tsc_timestamp). A version field, odd while the host updates it, makes reads
 * consistent.
 *
 * TSC: counted over 10 ms of PIT channel 0 (1.193182 MHz), median of three
 * tries; where no PIT counts, over one second of the RTC.
 */
#include <stdint.h>

#include "kernel/clock.h"
#include "kernel/clock_data.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"
#include "kernel/rtc.h"
#include "kernel/x86.h"

#define PIT_HZ              1193182u
#define PIT_CAL_MS          10
#define KVM_CPUID_SIGNATURE 0x40000000
#define KVM_CPUID_FEATURES  0x40000001
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define MSR_KVM_SYSTEM_TIME_NEW  0x4b564d01

static struct pvclock_time_info pvclock __attribute__((aligned(64)));
static struct clock_data cd;
static uint64_t tsc_hz;
static const char *tsc_reference = "PIT";

static int kvmclock_probe(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	if (!(r[2] & (1u << 31)))               /* no hypervisor */
		return 0;
	cpuid(KVM_CPUID_SIGNATURE, 0, r);
	if (r[1] != 0x4b4d564b || r[2] != 0x564b4d56 || r[3] != 0x4d)  /* "KVMKVMKVM\0\0\0" */
		return 0;
	cpuid(KVM_CPUID_FEATURES, 0, r);
	if (!(r[0] & KVM_FEATURE_CLOCKSOURCE2))
		return 0;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uintptr_t)&pvclock | 1);
	return pvclock.version != 0 || pvclock.tsc_to_system_mul != 0;
}

/* PIT channel 0's current count (counter latch command, then lo, hi). */
static uint16_t pit_count(void)
{
	uint8_t lo, hi;

	outb(0x43, 0x00);                       /* latch channel 0 */
	lo = inb(0x40);
	hi = inb(0x40);
	return (uint16_t)(lo | hi << 8);
}

/* TSC ticks per second measured over PIT_CAL_MS of PIT channel 0 counting
 * down in mode 2 from 0xffff; 0 if the PIT does not count. Channel 0 rather
 * than the usual channel 2: channel 2's gate is port 0x61, which machines
 * without a PC speaker (QEMU microvm) lack. */
static uint64_t pit_measure(void)
{
	const uint32_t want = PIT_HZ / (1000 / PIT_CAL_MS);
	uint32_t elapsed = 0;
	uint16_t prev, now;
	uint64_t t0, t1;
	long spins = 0;

	outb(0x43, 0x34);                       /* channel 0, lo/hi, mode 2 */
	outb(0x40, 0xff);
	outb(0x40, 0xff);
	prev = pit_count();
	t0 = rdtsc();
	while (elapsed < want) {
		now = pit_count();
		elapsed += (uint16_t)(prev - now);  /* counts down; wraps once at most */
		prev = now;
		if (++spins > 10000000)
			return 0;
	}
	t1 = rdtsc();
	return (t1 - t0) * PIT_HZ / elapsed;
}

/* TSC ticks per second over one RTC second: slow (up to 2 s), the fallback
 * when there is no PIT. */
static uint64_t rtc_measure(void)
{
	struct rtc_time t;
	int s0;
	uint64_t t0;

	rtc_read(&t);
	for (s0 = t.sec; t.sec == s0;)
		rtc_read(&t);
	t0 = rdtsc();
	for (s0 = t.sec; t.sec == s0;)
		rtc_read(&t);
	return rdtsc() - t0;
}

static void tsc_calibrate(void)
{
	uint64_t best = 0, m[3];

	/* Median of three: a try the host preempts can err either way. */
	for (int i = 0; i < 3; i++)
		m[i] = pit_measure();
	for (int i = 0; i < 3; i++) {
		int lower = 0, higher = 0;
		for (int k = 0; k < 3; k++) {
			lower += m[k] < m[i];
			higher += m[k] > m[i];
		}
		if (lower <= 1 && higher <= 1)
			best = m[i];
	}
	if (!best) {
		kprintf("clock: no PIT; calibrating the TSC against the RTC (slow)\n");
		best = rtc_measure();
		tsc_reference = "RTC";
	}
	if (!best)
		panic("clock: no kvmclock, PIT or RTC; cannot time");
	tsc_hz = best;
	cd.ns_per_tsc_q32 = (uint64_t)(((unsigned __int128)1000000000 << 32) / tsc_hz);
}

void clock_init(void)
{
	struct rtc_time t;

	if (kvmclock_probe()) {
		cd.pvclock = &pvclock;
		cd.kvm0 = clock_data_kvmclock(&pvclock);
		cd.source = CLOCK_SRC_KVM;
	} else {
		tsc_calibrate();
		cd.tsc0 = rdtsc();
		cd.source = CLOCK_SRC_TSC;
	}
	rtc_read(&t);
	cd.epoch_ns = rtc_to_epoch(&t) * 1000000000ull;
	if (cd.source == CLOCK_SRC_KVM)
		kprintf("clock: kvmclock\n");
	else
		kprintf("clock: tsc %lu.%03lu MHz (%s-calibrated)\n", tsc_hz / 1000000,
			(tsc_hz / 1000) % 1000, tsc_reference);
	kprintf("clock: rtc %04d-%02d-%02d %02d:%02d:%02d UTC\n", t.year, t.month, t.day,
		t.hour, t.min, t.sec);
}

uint64_t clock_monotonic_ns(void)
{
	return clock_data_monotonic(&cd);
}

uint64_t clock_realtime_ns(void)
{
	return cd.epoch_ns + clock_data_monotonic(&cd);
}

const char *clock_source(void)
{
	return cd.source == CLOCK_SRC_KVM ? "kvmclock" : "tsc";
}

struct clock_data *clock_data(void)
{
	return &cd;
}
