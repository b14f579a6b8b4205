/*
 * Clocks, and the vDSO they are read through: the kernel hands the program
 * a small shared object (AT_SYSINFO_EHDR) whose __vdso_clock_gettime musl
 * calls instead of the system call, on Linux and on remora (docs/libc.md).
 * The case finds that symbol itself, the way a loader would, calls it
 * directly, and checks that it, musl's clock_gettime and the real system
 * call tell one time: never backwards across the three, realtime agreeing
 * with time(), gettimeofday() and the host's own clock (the mtime the host
 * gives a file written now). Effects only: no duration is judged beyond
 * what POSIX promises (a sleep lasts at least as long as asked).
 */
#include "posix.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

typedef int (*cgt_fn)(clockid_t, struct timespec *);

/* The address of the vDSO's dynamic symbol `name` of version `ver`, or
 * NULL: the ELF header's program headers give the load bias (PT_LOAD) and
 * the dynamic section; DT_HASH's chain count is the number of symbols. */
static void *vdso_sym(const char *name, const char *ver)
{
	const char *base = (const char *)getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const void *)base;
	const Elf64_Dyn *dyn = NULL;
	const Elf64_Sym *syms = NULL;
	const Elf64_Word *hash = NULL;
	const Elf64_Half *versym = NULL;
	const Elf64_Verdef *verdef = NULL;
	const char *strings = NULL;
	long bias = -1;

	if (!base || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return NULL;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(base + eh->e_phoff + (size_t)i * eh->e_phentsize);
		if (ph->p_type == PT_LOAD && bias == -1)
			bias = (long)ph->p_offset - (long)ph->p_vaddr;
		else if (ph->p_type == PT_DYNAMIC)
			dyn = (const void *)(base + ph->p_offset);
	}
	if (!dyn || bias == -1)
		return NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		const void *p = base + bias + dyn->d_un.d_ptr;
		switch (dyn->d_tag) {
		case DT_STRTAB: strings = p; break;
		case DT_SYMTAB: syms = p; break;
		case DT_HASH: hash = p; break;
		case DT_VERSYM: versym = p; break;
		case DT_VERDEF: verdef = p; break;
		}
	}
	if (!strings || !syms || !hash)
		return NULL;
	for (Elf64_Word i = 0; i < hash[1]; i++) {
		if (syms[i].st_shndx == SHN_UNDEF || strcmp(strings + syms[i].st_name, name))
			continue;
		if (versym && verdef) {
			const Elf64_Verdef *d = verdef;
			int found = 0;
			for (;;) {
				const Elf64_Verdaux *aux = (const void *)((const char *)d + d->vd_aux);
				if ((d->vd_ndx & 0x7fff) == (versym[i] & 0x7fff) &&
				    !(d->vd_flags & VER_FLG_BASE) && !strcmp(strings + aux->vda_name, ver))
					found = 1;
				if (found || !d->vd_next)
					break;
				d = (const void *)((const char *)d + d->vd_next);
			}
			if (!found)
				continue;
		}
		return (void *)(base + bias + syms[i].st_value);
	}
	return NULL;
}

static long long ns(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

void case_clock(void)
{
	cgt_fn vcgt = (cgt_fn)vdso_sym("__vdso_clock_gettime", "LINUX_2.6");
	time_t (*vtime)(time_t *) = (time_t (*)(time_t *))vdso_sym("__vdso_time", "LINUX_2.6");
	int (*vgtod)(struct timeval *, void *) =
		(int (*)(struct timeval *, void *))vdso_sym("__vdso_gettimeofday", "LINUX_2.6");
	struct timespec a, b, c, d, req = { 0, 20 * 1000 * 1000 };
	struct timeval tv;
	struct stat st;
	long long prev, advanced = 0, backwards = 0;
	int fd;

	say("vdso", "%s", yes(vcgt != NULL));
	say("vdso_time", "%s", yes(vtime != NULL));
	say("vdso_gettimeofday", "%s", yes(vgtod != NULL));
	if (!vcgt || !vtime || !vgtod)
		return;

	/* musl, the vDSO directly, the system call, musl: one clock. */
	say("order_libc", "%s", R(clock_gettime(CLOCK_MONOTONIC, &a)));
	say("order_vdso", "%d", vcgt(CLOCK_MONOTONIC, &b));
	say("order_syscall", "%s", R(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &c)));
	say("order_libc2", "%s", R(clock_gettime(CLOCK_MONOTONIC, &d)));
	say("order_never_backwards", "%s", yes(ns(&a) <= ns(&b) && ns(&b) <= ns(&c) && ns(&c) <= ns(&d)));
	say("nsec_in_range", "%s", yes(b.tv_nsec >= 0 && b.tv_nsec < 1000000000));

	/* Many reads in a row: never backwards, and the clock moves. */
	clock_gettime(CLOCK_MONOTONIC, &a);
	prev = ns(&a);
	for (int i = 0; i < 100000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		backwards += ns(&a) < prev;
		advanced += ns(&a) > prev;
		prev = ns(&a);
	}
	say("steps_backwards", "%lld", backwards);
	say("steps_advance", "%s", yes(advanced > 0));

	/* A sleep lasts at least what was asked, on the vDSO's clock too. */
	vcgt(CLOCK_MONOTONIC, &a);
	say("nanosleep", "%s", R(nanosleep(&req, NULL)));
	vcgt(CLOCK_MONOTONIC, &b);
	say("slept_at_least", "%s", yes(ns(&b) - ns(&a) >= ns(&req)));

	/* Wall-clock time, four ways, within a second of each other. */
	say("realtime", "%s", R(clock_gettime(CLOCK_REALTIME, &a)));
	say("realtime_vdso", "%d", vcgt(CLOCK_REALTIME, &b));
	say("gettimeofday", "%s", R(gettimeofday(&tv, NULL)));
	say("realtime_vs_vdso", "%s", yes(llabs(ns(&b) - ns(&a)) < 1000000000LL));
	say("realtime_vs_time", "%s", yes(llabs((long long)time(NULL) - a.tv_sec) <= 1));
	say("realtime_vs_vdso_time", "%s", yes(llabs((long long)vtime(NULL) - a.tv_sec) <= 1));
	say("realtime_vs_gettimeofday", "%s", yes(llabs((long long)tv.tv_sec - a.tv_sec) <= 1));
	say("vdso_gettimeofday_call", "%d", vgtod(&tv, NULL));
	say("vdso_gettimeofday_usec", "%s", yes(tv.tv_usec >= 0 && tv.tv_usec < 1000000));

	/* ... and with the host's clock: the mtime it gives a file now. */
	fd = open("stamp", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	say("stamp_write", "%s", R(write(fd, "now\n", 4)));
	say("stamp_fstat", "%s", R(fstat(fd, &st)));
	close(fd);
	say("time_vs_host", "%s", yes(llabs((long long)time(NULL) - (long long)st.st_mtime) <= 5));

	/* The other clocks: kept ones, and those the vDSO hands to the kernel. */
	say("monotonic_raw", "%s", R(clock_gettime(CLOCK_MONOTONIC_RAW, &a)));
	say("monotonic_coarse", "%s", R(clock_gettime(CLOCK_MONOTONIC_COARSE, &a)));
	say("realtime_coarse", "%s", R(clock_gettime(CLOCK_REALTIME_COARSE, &a)));
	say("boottime", "%s", R(clock_gettime(CLOCK_BOOTTIME, &a)));
	say("process_cputime", "%s", R(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a)));
	say("thread_cputime_vdso", "%d", vcgt(CLOCK_THREAD_CPUTIME_ID, &a));
	say("bad_clock", "%s", R(clock_gettime((clockid_t)999, &a)));
	say("bad_clock_vdso", "%d", vcgt((clockid_t)999, &a));
	say("getres", "%s", R(clock_getres(CLOCK_MONOTONIC, &a)));
}
