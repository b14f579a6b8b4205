/*
 * The vDSO: a small shared object the kernel hands the program through
 * AT_SYSINFO_EHDR, as Linux does, so that musl's clock_gettime (and time,
 * gettimeofday, which musl builds on it) reads the clock without a system
 * call. musl looks up __vdso_clock_gettime, version LINUX_2.6, in its
 * dynamic symbol table (DT_HASH, DT_SYMTAB, DT_STRTAB, DT_VERSYM/DT_VERDEF).
 *
 * It runs as a function of the program, in ring 0 like all of it, so it can
 * read the kernel's clock state (kernel/clock_data.h) directly: the kernel
 * copies this object to fresh pages and leaves a pointer to that state in
 * the page just before it (`vdso_vvar`, placed by vdso.lds). Clocks it does
 * not keep (the CPU-time ones) and bad arguments go to the real system
 * call, so every answer is the kernel's.
 *
 * Built position-independent with no relocations (tools: `readelf -r` on
 * build/libc/vdso/vdso.so shows none), with the kernel's compiler flags
 * otherwise: no SSE, so the program's vector registers are untouched.
 *
 *   make APP=tests/posix && ./remora run --options trace=syscall build/remora
 *   (no clock_gettime lines: the calls stay in the program)
 */
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#include "kernel/clock_data.h"
#include "libc/vdso/vdso.h"

extern struct vdso_vvar vdso_vvar __attribute__((visibility("hidden")));

struct vdso_timeval {
	int64_t tv_sec, tv_usec;
};

static long sys2(long nr, long a, long b)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return r;
}

int __vdso_clock_gettime(clockid_t clk, struct timespec *ts)
{
	struct clock_data *d = vdso_vvar.clock;
	uint64_t ns;

	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
		ns = d->epoch_ns + clock_data_monotonic(d);
		break;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		ns = clock_data_monotonic(d);
		break;
	default:
		return (int)sys2(SYS_clock_gettime, clk, (long)ts);
	}
	/* A bad pointer faults here, in the program, as it would on Linux. */
	ts->tv_sec = (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
	return 0;
}

int __vdso_gettimeofday(struct vdso_timeval *tv, void *tz)
{
	if (tz)
		return (int)sys2(SYS_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		uint64_t ns = vdso_vvar.clock->epoch_ns + clock_data_monotonic(vdso_vvar.clock);
		tv->tv_sec = (int64_t)(ns / 1000000000u);
		tv->tv_usec = (int64_t)(ns % 1000000000u / 1000);
	}
	return 0;
}

time_t __vdso_time(time_t *t)
{
	time_t now = (time_t)((vdso_vvar.clock->epoch_ns + clock_data_monotonic(vdso_vvar.clock)) /
			      1000000000u);

	if (t)
		*t = now;
	return now;
}

int __vdso_clock_getres(clockid_t clk, struct timespec *res)
{
	return (int)sys2(SYS_clock_getres, clk, (long)res);
}
