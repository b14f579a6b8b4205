/*
 * Process, time and miscellaneous calls. remora runs one program as one
 * process (pid 1) with one thread, as root; there is no fork, exec or
 * signal delivery.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>

#include "kernel/clock.h"
#include "kernel/errno.h"
#include "kernel/kprintf.h"
#include "kernel/mem.h"
#include "kernel/random.h"
#include "kernel/x86.h"
#include "libc/libc.h"

#define MSR_FS_BASE 0xC0000100
#define MSR_GS_BASE 0xC0000101
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

#define PTR_OK(p, n) do { if (!uptr_ok((const void *)(uintptr_t)(p), (n), true)) return -EFAULT; } while (0)

static uint64_t start_ns;
static uint64_t sigmask;
static struct k_sigaction { uint64_t handler, flags, restorer, mask; } sigactions[65];

static long sys_exit_group(const uint64_t *a)
{
	app_exit((int)a[0]);
}

static long sys_arch_prctl(const uint64_t *a)
{
	switch (a[0]) {
	case ARCH_SET_FS:
		wrmsr(MSR_FS_BASE, a[1]);
		return 0;
	case ARCH_SET_GS:
		wrmsr(MSR_GS_BASE, a[1]);
		return 0;
	case ARCH_GET_FS:
		PTR_OK(a[1], 8);
		*(uint64_t *)(uintptr_t)a[1] = rdmsr(MSR_FS_BASE);
		return 0;
	case ARCH_GET_GS:
		PTR_OK(a[1], 8);
		*(uint64_t *)(uintptr_t)a[1] = rdmsr(MSR_GS_BASE);
		return 0;
	default:
		return -EINVAL;
	}
}

static long sys_one(const uint64_t *a) { (void)a; return 1; }     /* getpid, gettid, ... */
static long sys_zero(const uint64_t *a) { (void)a; return 0; }    /* getuid, getppid, ... */
static long sys_set_tid_address(const uint64_t *a) { (void)a; return 1; }
static long sys_setsid(const uint64_t *a) { (void)a; return -EPERM; }  /* already a session leader */

static long sys_uname(const uint64_t *a)
{
	struct utsname *u = (void *)(uintptr_t)a[0];

	PTR_OK(u, sizeof(*u));
	memset(u, 0, sizeof(*u));
	strcpy(u->sysname, "remora");
	strcpy(u->nodename, "remora");
	strcpy(u->release, "0.1");
	strcpy(u->version, "#1");
	strcpy(u->machine, "x86_64");
	return 0;
}

/* ---- time ---- */

static int clock_now(uint64_t clk, struct timespec *ts)
{
	uint64_t ns;

	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
		ns = clock_realtime_ns();
		break;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		ns = clock_monotonic_ns();
		break;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		/* One CPU, one program: its CPU time is the time since it
		 * started (kernel time on its behalf included). */
		ns = clock_monotonic_ns() - start_ns;
		break;
	default:
		return -EINVAL;
	}
	ts->tv_sec = (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
	return 0;
}

static long sys_clock_gettime(const uint64_t *a)
{
	PTR_OK(a[1], sizeof(struct timespec));
	return clock_now(a[0], (struct timespec *)(uintptr_t)a[1]);
}

static long sys_clock_getres(const uint64_t *a)
{
	struct timespec ts;
	long err = clock_now(a[0], &ts);

	if (err || !a[1])
		return err;
	PTR_OK(a[1], sizeof(ts));
	*(struct timespec *)(uintptr_t)a[1] = (struct timespec){ 0, 1 };
	return 0;
}

static long sys_gettimeofday(const uint64_t *a)
{
	if (a[0]) {
		uint64_t ns = clock_realtime_ns();
		struct { int64_t sec, usec; } *tv = (void *)(uintptr_t)a[0];
		PTR_OK(a[0], 16);
		tv->sec = (int64_t)(ns / 1000000000u);
		tv->usec = (int64_t)(ns % 1000000000u / 1000);
	}
	if (a[1]) {
		PTR_OK(a[1], 8);
		memset((void *)(uintptr_t)a[1], 0, 8);  /* timezone: UTC */
	}
	return 0;
}

static long sys_time(const uint64_t *a)
{
	int64_t t = (int64_t)(clock_realtime_ns() / 1000000000u);

	if (a[0]) {
		PTR_OK(a[0], 8);
		*(int64_t *)(uintptr_t)a[0] = t;
	}
	return t;
}

/* Sleep by halting until the timer interrupt (100 Hz) passes the deadline:
 * the CPU is idle, not spinning; a sleep may end up to one tick late. */
static void sleep_until(uint64_t deadline, uint64_t (*now)(void))
{
	while (now() < deadline)
		__asm__ volatile("sti; hlt" ::: "memory");
}

static long do_nanosleep(uint64_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
	uint64_t (*now)(void) = (clk == CLOCK_REALTIME || clk == CLOCK_TAI) ? clock_realtime_ns : clock_monotonic_ns;
	uint64_t ns, deadline;

	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME && clk != CLOCK_TAI)
		return clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID ? -EINVAL : -EOPNOTSUPP;
	if (!uptr_ok(req, sizeof(*req), false))
		return -EFAULT;
	if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000)
		return -EINVAL;
	ns = (uint64_t)req->tv_sec * 1000000000u + (uint64_t)req->tv_nsec;
	deadline = (flags & TIMER_ABSTIME) ? ns : now() + ns;
	sleep_until(deadline, now);
	if (rem && !(flags & TIMER_ABSTIME) && uptr_ok(rem, sizeof(*rem), true))
		*rem = (struct timespec){ 0, 0 };
	return 0;
}

static long sys_nanosleep(const uint64_t *a)
{
	return do_nanosleep(CLOCK_MONOTONIC, 0, (const void *)(uintptr_t)a[0], (void *)(uintptr_t)a[1]);
}

static long sys_clock_nanosleep(const uint64_t *a)
{
	return do_nanosleep(a[0], (int)a[1], (const void *)(uintptr_t)a[2], (void *)(uintptr_t)a[3]);
}

/* ---- randomness ---- */

static long sys_getrandom(const uint64_t *a)
{
	unsigned char *p = (void *)(uintptr_t)a[0];
	size_t n = a[1] > 33554431 ? 33554431 : a[1];      /* Linux caps one call */

	if (a[2] & ~(uint64_t)7)     /* GRND_NONBLOCK 1, GRND_RANDOM 2, GRND_INSECURE 4 */
		return -EINVAL;
	PTR_OK(p, n);
	random_bytes(p, n);
	return (long)n;
}

/* ---- signals: recorded, never delivered ---- */

static long sys_rt_sigaction(const uint64_t *a)
{
	int sig = (int)a[0];

	if (sig < 1 || sig > 64 || a[3] != 8)
		return -EINVAL;
	if (a[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (a[2]) {
		PTR_OK(a[2], sizeof(struct k_sigaction));
		*(struct k_sigaction *)(uintptr_t)a[2] = sigactions[sig];
	}
	if (a[1]) {
		PTR_OK(a[1], sizeof(struct k_sigaction));
		sigactions[sig] = *(const struct k_sigaction *)(uintptr_t)a[1];
	}
	return 0;
}

static long sys_rt_sigprocmask(const uint64_t *a)
{
	uint64_t set;

	if (a[3] != 8)
		return -EINVAL;
	if (a[2]) {
		PTR_OK(a[2], 8);
		*(uint64_t *)(uintptr_t)a[2] = sigmask;
	}
	if (!a[1])
		return 0;
	PTR_OK(a[1], 8);
	set = *(const uint64_t *)(uintptr_t)a[1] & ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
	switch (a[0]) {
	case SIG_BLOCK: sigmask |= set; break;
	case SIG_UNBLOCK: sigmask &= ~set; break;
	case SIG_SETMASK: sigmask = set; break;
	default: return -EINVAL;
	}
	return 0;
}

static long sys_sigaltstack(const uint64_t *a)
{
	if (a[1]) {
		PTR_OK(a[1], sizeof(stack_t));
		memset((void *)(uintptr_t)a[1], 0, sizeof(stack_t));
		((stack_t *)(uintptr_t)a[1])->ss_flags = SS_DISABLE;
	}
	return 0;
}

/* kill/tkill/tgkill: only the program itself exists. A signal it has not
 * ignored ends it the way the default action would (status 128 + signal,
 * as a shell reports it); handlers are never run. */
static long send_self(uint64_t pid, uint64_t sig)
{
	if (sig > 64)
		return -EINVAL;
	if (pid != 1 && (int64_t)pid != 0 && (int64_t)pid != -1)
		return -ESRCH;
	if (sig == 0 || sigactions[sig].handler == (uint64_t)(uintptr_t)SIG_IGN)
		return 0;
	if (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT)
		return 0;       /* default action: ignore */
	kprintf("remora: the program sent itself signal %lu: terminated\n", sig);
	app_exit(128 + (int)sig);
}
static long sys_kill(const uint64_t *a) { return send_self(a[0], a[1]); }
static long sys_tkill(const uint64_t *a) { return send_self(a[0], a[1]); }
static long sys_tgkill(const uint64_t *a) { return send_self(a[0], a[2]); }

/* ---- limits and accounting ---- */

static long sys_prlimit64(const uint64_t *a)
{
	struct rlimit *old = (void *)(uintptr_t)a[3];

	if (a[0] != 0 && a[0] != 1)
		return -ESRCH;
	if (a[1] >= RLIM_NLIMITS)
		return -EINVAL;
	if (old) {
		PTR_OK(old, sizeof(*old));
		old->rlim_cur = old->rlim_max = RLIM_INFINITY;
		if (a[1] == RLIMIT_NOFILE)
			old->rlim_cur = old->rlim_max = FD_MAX;
		if (a[1] == RLIMIT_STACK)
			old->rlim_cur = 8u << 20;
	}
	if (a[2])
		PTR_OK(a[2], sizeof(struct rlimit));     /* accepted; nothing enforces limits */
	return 0;
}
static long sys_getrlimit(const uint64_t *a)
{
	uint64_t b[4] = { 0, a[0], 0, a[1] };
	return sys_prlimit64(b);
}
static long sys_setrlimit(const uint64_t *a)
{
	uint64_t b[4] = { 0, a[0], a[1], 0 };
	return sys_prlimit64(b);
}

static long sys_sysinfo(const uint64_t *a)
{
	struct sysinfo *si = (void *)(uintptr_t)a[0];

	PTR_OK(si, sizeof(*si));
	memset(si, 0, sizeof(*si));
	si->uptime = (long)(clock_monotonic_ns() / 1000000000u);
	si->totalram = mem_top();
	si->freeram = mem_free_bytes();
	si->procs = 1;
	si->mem_unit = 1;
	return 0;
}

static long sys_getrusage(const uint64_t *a)
{
	struct rusage *ru = (void *)(uintptr_t)a[1];
	uint64_t us = (clock_monotonic_ns() - start_ns) / 1000;

	PTR_OK(ru, sizeof(*ru));
	memset(ru, 0, sizeof(*ru));
	ru->ru_utime.tv_sec = (time_t)(us / 1000000);
	ru->ru_utime.tv_usec = (suseconds_t)(us % 1000000);
	return 0;
}

static long sys_sched_yield(const uint64_t *a) { (void)a; return 0; }

void sys_misc_register(syscall_fn *t)
{
	start_ns = clock_monotonic_ns();
	t[SYS_exit] = sys_exit_group;   /* one thread: ending it ends the program */
	t[SYS_exit_group] = sys_exit_group;
	t[SYS_arch_prctl] = sys_arch_prctl;
	t[SYS_set_tid_address] = sys_set_tid_address;
	t[SYS_set_robust_list] = sys_zero;
	t[SYS_getpid] = sys_one;
	t[SYS_gettid] = sys_one;
	t[SYS_getpgrp] = sys_one;
	t[SYS_getpgid] = sys_one;
	t[SYS_getsid] = sys_one;
	t[SYS_getppid] = sys_zero;
	t[SYS_getuid] = sys_zero;
	t[SYS_geteuid] = sys_zero;
	t[SYS_getgid] = sys_zero;
	t[SYS_getegid] = sys_zero;
	t[SYS_setsid] = sys_setsid;
	t[SYS_uname] = sys_uname;
	t[SYS_clock_gettime] = sys_clock_gettime;
	t[SYS_clock_getres] = sys_clock_getres;
	t[SYS_gettimeofday] = sys_gettimeofday;
	t[SYS_time] = sys_time;
	t[SYS_nanosleep] = sys_nanosleep;
	t[SYS_clock_nanosleep] = sys_clock_nanosleep;
	t[SYS_getrandom] = sys_getrandom;
	t[SYS_rt_sigaction] = sys_rt_sigaction;
	t[SYS_rt_sigprocmask] = sys_rt_sigprocmask;
	t[SYS_sigaltstack] = sys_sigaltstack;
	t[SYS_kill] = sys_kill;
	t[SYS_tkill] = sys_tkill;
	t[SYS_tgkill] = sys_tgkill;
	t[SYS_prlimit64] = sys_prlimit64;
	t[SYS_getrlimit] = sys_getrlimit;
	t[SYS_setrlimit] = sys_setrlimit;
	t[SYS_sysinfo] = sys_sysinfo;
	t[SYS_getrusage] = sys_getrusage;
	t[SYS_sched_yield] = sys_sched_yield;
}
