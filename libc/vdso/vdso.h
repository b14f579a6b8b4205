/*
 * What the kernel and the vDSO (libc/vdso/vdso.c) agree on: the page just
 * before the vDSO's ELF header, which the kernel fills in when it installs
 * the vDSO (libc/start.c) and the vDSO reads %rip-relative (vdso.lds).
 */
#pragma once

struct clock_data;

struct vdso_vvar {
	struct clock_data *clock;       /* kernel/clock_data.h: the kernel's own */
};
