/*
 * Error numbers, as Linux x86_64 numbers them (asm-generic/errno-base.h):
 * kernel functions return 0 or -E...; the libc seam hands them to musl as is.
 */
#pragma once

#define EPERM    1
#define ENOENT   2
#define EIO      5
#define E2BIG    7
#define EBADF    9
#define EAGAIN  11
#define ENOMEM  12
#define EFAULT  14
#define EBUSY   16
#define EEXIST  17
#define ENODEV  19
#define EINVAL  22
#define ENOSPC  28
#define ERANGE  34
#define ENOSYS  38
