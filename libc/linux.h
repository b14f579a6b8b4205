/*
 * Linux x86_64 ABI layouts and numbers the seam needs that musl's headers
 * (without _GNU_SOURCE, or in 1.2.3 at all) do not show: statx, termios as
 * the kernel sees it, ioctl numbers, a few flags. From the Linux UAPI
 * documentation (statx(2), ioctl_tty(2), fcntl(2)).
 */
#pragma once

#include <fcntl.h>
#include <stdint.h>
#include <sys/uio.h>

struct linux_statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};

struct linux_statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t spare0;
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct linux_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor;
	uint32_t stx_dev_major, stx_dev_minor;
	uint64_t spare2[14];
};
_Static_assert(sizeof(struct linux_statx) == 256, "statx");
_Static_assert(__builtin_offsetof(struct linux_statx, stx_atime) == 64, "statx.atime");
_Static_assert(__builtin_offsetof(struct linux_statx, stx_rdev_major) == 128, "statx.rdev");

#define LINUX_STATX_BASIC_STATS 0x7ffu
#define LINUX_STATX__RESERVED   0x80000000u

/* struct termios as the TCGETS ioctl fills it (not glibc's/musl's larger
 * userspace struct: the kernel's has 19 control characters and no speeds). */
struct linux_termios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[19];
};
_Static_assert(sizeof(struct linux_termios) == 36, "termios");

#define LINUX_TCGETS     0x5401
#define LINUX_TCSETS     0x5402
#define LINUX_TCSETSW    0x5403
#define LINUX_TCSETSF    0x5404
#define LINUX_TIOCGPGRP  0x540F
#define LINUX_TIOCGWINSZ 0x5413

#ifndef F_OFD_GETLK
#define F_OFD_GETLK  36
#define F_OFD_SETLK  37
#define F_OFD_SETLKW 38
#endif
#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif
#ifndef AT_NO_AUTOMOUNT
#define AT_NO_AUTOMOUNT 0x800
#endif
