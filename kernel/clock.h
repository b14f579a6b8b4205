/*
 * Time. A monotonic clock in nanoseconds since clock_init(): kvmclock when
 * the hypervisor offers it, otherwise the TSC calibrated against the PIT.
 * Wall-clock time is the CMOS RTC read once at boot plus monotonic time.
 */
#pragma once

#include <stdint.h>

/* Pick and calibrate the clock source, read the RTC. After vm_init(). */
void clock_init(void);

/* Nanoseconds since clock_init(); never goes backwards. */
uint64_t clock_monotonic_ns(void);

/* Nanoseconds since 1970-01-01 00:00:00 UTC. */
uint64_t clock_realtime_ns(void);

/* "kvmclock" or "tsc". */
const char *clock_source(void);

/* The clock's state (kernel/clock_data.h), for the vDSO (libc/vdso/vdso.c):
 * it reads it, and raises `last`, from the program's calls. */
struct clock_data;
struct clock_data *clock_data(void);
