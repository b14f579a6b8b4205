/*
 * The clock's state, and the one function that turns it into monotonic
 * nanoseconds. Two readers share it: the kernel (kernel/clock.c) and the
 * vDSO (libc/vdso/vdso.c), which the program calls for clock_gettime
 * without a system call and which finds this struct through the pointer
 * the kernel leaves in the page before the vDSO's code (docs/libc.md).
 * So this header stands alone: no kernel function, only what both sides
 * can compile (the vDSO is position-independent code in the program's
 * call frames).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* kvmclock's per-CPU time page (Linux Documentation/virt/kvm/x86/msr.rst,
 * "pvclock"): time = system_time + scaled(tsc - tsc_timestamp), consistent
 * while `version` is even and unchanged across the read. */
struct pvclock_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;           /* ns */
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};
_Static_assert(sizeof(struct pvclock_time_info) == 32, "pvclock layout");

enum clock_src { CLOCK_SRC_TSC, CLOCK_SRC_KVM };

struct clock_data {
	uint32_t source;                /* enum clock_src; fixed after clock_init() */
	uint32_t pad0;
	uint64_t tsc0;                  /* TSC: the count at clock_init() */
	uint64_t ns_per_tsc_q32;        /* TSC: ns per tick, 32.32 fixed point */
	const struct pvclock_time_info *pvclock;  /* kvmclock: the hypervisor writes it */
	uint64_t kvm0;                  /* kvmclock: its time at clock_init() */
	uint64_t epoch_ns;              /* REALTIME at monotonic 0 (the RTC at boot) */
	uint64_t last;                  /* the latest monotonic time handed out */
};

static inline uint64_t clock_data_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t clock_data_kvmclock(const struct pvclock_time_info *p)
{
	uint32_t v;
	uint64_t ns;

	do {
		v = __atomic_load_n(&p->version, __ATOMIC_ACQUIRE);
		uint64_t delta = clock_data_rdtsc() - p->tsc_timestamp;
		if (p->tsc_shift < 0)
			delta >>= -p->tsc_shift;
		else
			delta <<= p->tsc_shift;
		ns = p->system_time + (uint64_t)(((unsigned __int128)delta * p->tsc_to_system_mul) >> 32);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((v & 1) || v != __atomic_load_n(&p->version, __ATOMIC_ACQUIRE));
	return ns;
}

/* Nanoseconds since clock_init(), never less than any value handed out
 * before (by either reader: `last` is raised with a compare-and-swap, so an
 * interrupt between the read and the update cannot lower it). */
static inline uint64_t clock_data_monotonic(struct clock_data *d)
{
	uint64_t now, last;

	if (d->source == CLOCK_SRC_KVM)
		now = clock_data_kvmclock(d->pvclock) - d->kvm0;
	else
		now = (uint64_t)(((unsigned __int128)(clock_data_rdtsc() - d->tsc0) * d->ns_per_tsc_q32) >> 32);
	last = __atomic_load_n(&d->last, __ATOMIC_RELAXED);
	do {
		if (now <= last)
			return last;    /* the source stepped back a little */
	} while (!__atomic_compare_exchange_n(&d->last, &last, now, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return now;
}
