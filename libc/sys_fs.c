/*
 * File system calls: descriptors, paths, I/O, attributes, directories.
 * Each is a thin translation onto fs/vfs.h: check the application's
 * pointers (EFAULT), resolve descriptors (EBADF), convert layouts.
 * Linux's behaviour is the reference for every errno.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#include "fs/vfs.h"
#include "kernel/errno.h"
#include "kernel/heap.h"
#include "kernel/kprintf.h"
#include "libc/libc.h"
#include "libc/linux.h"

#define PATH_OK(p)                                                     \
	do {                                                           \
		long l_ = ustr_len((p), VFS_PATH_MAX);                 \
		if (l_ < 0)                                            \
			return l_;                                     \
	} while (0)
#define PTR_OK(p, n, w) do { if (!uptr_ok((const void *)(p), (n), (w))) return -EFAULT; } while (0)

static const char *P(uint64_t a) { return (const char *)(uintptr_t)a; }

/* The base directory for a *at() call: NULL for AT_FDCWD or an absolute
 * path, else the descriptor's file (or -EBADF). */
static long at_base(long dirfd, const char *path, struct file **base)
{
	*base = NULL;
	if (path && path[0] == '/')
		return 0;
	if ((int)dirfd == AT_FDCWD)
		return 0;
	*base = fd_get((int)dirfd);
	return *base ? 0 : -EBADF;
}

/* A *at() call's path checked and its base found: 0 or -errno. */
static long path_at(long dirfd, const char *path, struct file **base)
{
	long len = ustr_len(path, VFS_PATH_MAX);

	return len < 0 ? len : at_base(dirfd, path, base);
}

#define FILE_OR_EBADF(f, fd) struct file *f = fd_get((int)(fd)); if (!f) return -EBADF

/* ---- open, close, dup ---- */

static long do_openat(long dirfd, const char *path, long flags, long mode)
{
	struct file *base, *f;
	long err;
	int fd;

	PATH_OK(path);
	if ((err = at_base(dirfd, path, &base)))
		return err;
	err = vfs_open(base, path, (int)flags, (mode_t)mode, &f);
	if (err)
		return err;
	fd = fd_install(f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		vfs_close(f);
	return fd;
}

static long sys_open(const uint64_t *a) { return do_openat(AT_FDCWD, P(a[0]), (long)a[1], (long)a[2]); }
static long sys_openat(const uint64_t *a) { return do_openat((long)a[0], P(a[1]), (long)a[2], (long)a[3]); }
static long sys_creat(const uint64_t *a)
{
	return do_openat(AT_FDCWD, P(a[0]), O_CREAT | O_WRONLY | O_TRUNC, (long)a[1]);
}
static long sys_close(const uint64_t *a) { return fd_close((int)a[0]); }

static long sys_dup(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	int fd = fd_install(vfs_file_dup(f), 0, false);

	if (fd < 0)
		vfs_close(f);
	return fd;
}

static long sys_dup2(const uint64_t *a)
{
	if (!fd_get((int)a[0]))
		return -EBADF;
	if (a[0] == a[1])
		return (long)a[1];
	return fd_dup2((int)a[0], (int)a[1], false);
}

static long sys_dup3(const uint64_t *a)
{
	if (a[2] & ~(uint64_t)O_CLOEXEC)
		return -EINVAL;
	if (a[0] == a[1])
		return -EINVAL;
	return fd_dup2((int)a[0], (int)a[1], a[2] & O_CLOEXEC);
}

/* ---- I/O ---- */

static long sys_read(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	PTR_OK(a[1], a[2], true);
	return vfs_read(f, (void *)(uintptr_t)a[1], a[2]);
}

static long sys_write(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	PTR_OK(a[1], a[2], false);
	return vfs_write(f, (const void *)(uintptr_t)a[1], a[2]);
}

static long sys_pread64(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	PTR_OK(a[1], a[2], true);
	return vfs_pread(f, (void *)(uintptr_t)a[1], a[2], (off_t)a[3]);
}

static long sys_pwrite64(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	PTR_OK(a[1], a[2], false);
	return vfs_pwrite(f, (const void *)(uintptr_t)a[1], a[2], (off_t)a[3]);
}

/* readv/writev/preadv/pwritev: one buffer at a time; a short transfer
 * ends the call, as on Linux. off < 0: use (and advance) the file offset. */
static long vec_io(struct file *f, uint64_t iovp, uint64_t cnt, off_t off, bool write)
{
	const struct iovec *iov = (const void *)(uintptr_t)iovp;
	long total = 0;

	if (cnt > 1024)
		return -EINVAL;
	PTR_OK(iovp, cnt * sizeof(*iov), false);
	for (uint64_t i = 0; i < cnt; i++)
		if (!uptr_ok(iov[i].iov_base, iov[i].iov_len, !write))
			return -EFAULT;
	for (uint64_t i = 0; i < cnt; i++) {
		ssize_t n;

		if (iov[i].iov_len == 0)
			continue;
		if (write)
			n = off < 0 ? vfs_write(f, iov[i].iov_base, iov[i].iov_len)
				    : vfs_pwrite(f, iov[i].iov_base, iov[i].iov_len, off + total);
		else
			n = off < 0 ? vfs_read(f, iov[i].iov_base, iov[i].iov_len)
				    : vfs_pread(f, iov[i].iov_base, iov[i].iov_len, off + total);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((size_t)n < iov[i].iov_len)
			break;
	}
	return total;
}

static long sys_readv(const uint64_t *a) { FILE_OR_EBADF(f, a[0]); return vec_io(f, a[1], a[2], -1, false); }
static long sys_writev(const uint64_t *a) { FILE_OR_EBADF(f, a[0]); return vec_io(f, a[1], a[2], -1, true); }
static long sys_preadv(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	if ((off_t)a[3] < 0)
		return -EINVAL;
	return vec_io(f, a[1], a[2], (off_t)a[3], false);
}
static long sys_pwritev(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	if ((off_t)a[3] < 0)
		return -EINVAL;
	return vec_io(f, a[1], a[2], (off_t)a[3], true);
}
/* preadv2/pwritev2: offset -1 means the file offset; flags must be 0. */
static long sys_preadv2(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	if (a[5])
		return -EOPNOTSUPP;
	return vec_io(f, a[1], a[2], (off_t)a[3] == -1 ? -1 : (off_t)a[3], false);
}
static long sys_pwritev2(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	if (a[5])
		return -EOPNOTSUPP;
	return vec_io(f, a[1], a[2], (off_t)a[3] == -1 ? -1 : (off_t)a[3], true);
}

static long sys_lseek(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	return vfs_lseek(f, (off_t)a[1], (int)a[2]);
}

static long sys_getdents64(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	PTR_OK(a[1], a[2], true);
	return vfs_getdents(f, (void *)(uintptr_t)a[1], a[2]);
}

/* Copy through a kernel buffer (copy_file_range, sendfile). */
static long copy_range(struct file *in, off_t *inoff, struct file *out, off_t *outoff, size_t len)
{
	enum { CHUNK = 65536 };
	char *buf = kmalloc(CHUNK);
	long total = 0;

	if (!buf)
		return -ENOMEM;
	while ((size_t)total < len) {
		size_t want = len - (size_t)total < CHUNK ? len - (size_t)total : CHUNK;
		ssize_t n = inoff ? vfs_pread(in, buf, want, *inoff) : vfs_read(in, buf, want);
		ssize_t w;

		if (n <= 0) {
			if (n < 0 && !total)
				total = n;
			break;
		}
		w = outoff ? vfs_pwrite(out, buf, (size_t)n, *outoff) : vfs_write(out, buf, (size_t)n);
		if (w < 0) {
			if (!total)
				total = w;
			break;
		}
		if (inoff)
			*inoff += w;
		if (outoff)
			*outoff += w;
		total += w;
		if (w < n)
			break;
	}
	kfree(buf);
	return total;
}

static long sys_copy_file_range(const uint64_t *a)
{
	FILE_OR_EBADF(in, a[0]);
	FILE_OR_EBADF(out, a[2]);
	off_t *inoff = (off_t *)(uintptr_t)a[1], *outoff = (off_t *)(uintptr_t)a[3];

	if (a[5])
		return -EINVAL;
	if ((inoff && !uptr_ok(inoff, 8, true)) || (outoff && !uptr_ok(outoff, 8, true)))
		return -EFAULT;
	if ((vfs_file_flags(in) & O_ACCMODE) == O_WRONLY || (vfs_file_flags(out) & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (vfs_file_flags(out) & O_APPEND)
		return -EBADF;
	return copy_range(in, inoff, out, outoff, a[4]);
}

static long sys_sendfile(const uint64_t *a)
{
	FILE_OR_EBADF(out, a[0]);
	FILE_OR_EBADF(in, a[1]);
	off_t *off = (off_t *)(uintptr_t)a[2];

	if (off && !uptr_ok(off, 8, true))
		return -EFAULT;
	return copy_range(in, off, out, NULL, a[3]);
}

/* ---- stat ---- */

static long do_stat(long dirfd, const char *path, uint64_t stp, int flags)
{
	struct file *base;
	long err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	PATH_OK(path);
	PTR_OK(stp, sizeof(struct stat), true);
	if (!path[0] && (flags & AT_EMPTY_PATH) && (int)dirfd != AT_FDCWD) {
		FILE_OR_EBADF(f, dirfd);
		return vfs_fstat(f, (struct stat *)(uintptr_t)stp);
	}
	if ((err = at_base(dirfd, path, &base)))
		return err;
	return vfs_stat(base, path, (struct stat *)(uintptr_t)stp, flags);
}

static long sys_stat(const uint64_t *a) { return do_stat(AT_FDCWD, P(a[0]), a[1], 0); }
static long sys_lstat(const uint64_t *a) { return do_stat(AT_FDCWD, P(a[0]), a[1], AT_SYMLINK_NOFOLLOW); }
static long sys_newfstatat(const uint64_t *a) { return do_stat((long)a[0], P(a[1]), a[2], (int)a[3]); }
static long sys_fstat(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	PTR_OK(a[1], sizeof(struct stat), true);
	return vfs_fstat(f, (struct stat *)(uintptr_t)a[1]);
}

static long sys_statx(const uint64_t *a)
{
	struct linux_statx *sx = (void *)(uintptr_t)a[4];
	struct stat st;
	int flags = (int)a[2];
	long err;

	PTR_OK(a[4], sizeof(*sx), true);
	if (a[3] & LINUX_STATX__RESERVED)
		return -EINVAL;
	PATH_OK(P(a[1]));
	if (!P(a[1])[0] && (flags & AT_EMPTY_PATH) && (int)a[0] != AT_FDCWD) {
		FILE_OR_EBADF(f, a[0]);
		err = vfs_fstat(f, &st);
	} else {
		struct file *base;
		if ((err = at_base((long)a[0], P(a[1]), &base)))
			return err;
		err = vfs_stat(base, P(a[1]), &st, flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH));
	}
	if (err)
		return err;
	memset(sx, 0, sizeof(*sx));
	sx->stx_mask = LINUX_STATX_BASIC_STATS;
	sx->stx_blksize = (uint32_t)st.st_blksize;
	sx->stx_nlink = (uint32_t)st.st_nlink;
	sx->stx_uid = st.st_uid;
	sx->stx_gid = st.st_gid;
	sx->stx_mode = (uint16_t)st.st_mode;
	sx->stx_ino = st.st_ino;
	sx->stx_size = (uint64_t)st.st_size;
	sx->stx_blocks = (uint64_t)st.st_blocks;
	sx->stx_atime = (struct linux_statx_timestamp){ st.st_atim.tv_sec, (uint32_t)st.st_atim.tv_nsec, 0 };
	sx->stx_mtime = (struct linux_statx_timestamp){ st.st_mtim.tv_sec, (uint32_t)st.st_mtim.tv_nsec, 0 };
	sx->stx_ctime = (struct linux_statx_timestamp){ st.st_ctim.tv_sec, (uint32_t)st.st_ctim.tv_nsec, 0 };
	sx->stx_rdev_major = (uint32_t)((st.st_rdev >> 8) & 0xfff);
	sx->stx_rdev_minor = (uint32_t)((st.st_rdev & 0xff) | ((st.st_rdev >> 12) & 0xfff00));
	sx->stx_dev_major = (uint32_t)((st.st_dev >> 8) & 0xfff);
	sx->stx_dev_minor = (uint32_t)((st.st_dev & 0xff) | ((st.st_dev >> 12) & 0xfff00));
	return 0;
}

static long do_statfs(struct file *f, const char *path, uint64_t bufp)
{
	PTR_OK(bufp, sizeof(struct statfs), true);
	if (f)
		return vfs_fstatfs(f, (struct statfs *)(uintptr_t)bufp);
	PATH_OK(path);
	return vfs_statfs(NULL, path, (struct statfs *)(uintptr_t)bufp);
}
static long sys_statfs(const uint64_t *a) { return do_statfs(NULL, P(a[0]), a[1]); }
static long sys_fstatfs(const uint64_t *a) { FILE_OR_EBADF(f, a[0]); return do_statfs(f, NULL, a[1]); }

/* ---- names ---- */

static long do_mkdirat(long dirfd, const char *path, long mode)
{
	struct file *base;
	long err = path_at(dirfd, path, &base);

	return err ? err : vfs_mkdir(base, path, (mode_t)mode);
}
static long sys_mkdir(const uint64_t *a) { return do_mkdirat(AT_FDCWD, P(a[0]), (long)a[1]); }
static long sys_mkdirat(const uint64_t *a) { return do_mkdirat((long)a[0], P(a[1]), (long)a[2]); }

static long do_mknodat(long dirfd, const char *path, long mode, long dev)
{
	struct file *base;
	long err = path_at(dirfd, path, &base);

	return err ? err : vfs_mknod(base, path, (mode_t)mode, (dev_t)dev);
}
static long sys_mknod(const uint64_t *a) { return do_mknodat(AT_FDCWD, P(a[0]), (long)a[1], (long)a[2]); }
static long sys_mknodat(const uint64_t *a) { return do_mknodat((long)a[0], P(a[1]), (long)a[2], (long)a[3]); }

static long do_unlinkat(long dirfd, const char *path, long flags)
{
	struct file *base;
	long err = path_at(dirfd, path, &base);

	return err ? err : vfs_unlink(base, path, (int)flags);
}
static long sys_unlink(const uint64_t *a) { return do_unlinkat(AT_FDCWD, P(a[0]), 0); }
static long sys_rmdir(const uint64_t *a) { return do_unlinkat(AT_FDCWD, P(a[0]), AT_REMOVEDIR); }
static long sys_unlinkat(const uint64_t *a) { return do_unlinkat((long)a[0], P(a[1]), (long)a[2]); }

static long do_renameat2(long ofd, const char *op, long nfd, const char *np, long flags)
{
	struct file *ob, *nb;
	long err;

	PATH_OK(op);
	PATH_OK(np);
	if ((err = at_base(ofd, op, &ob)) || (err = at_base(nfd, np, &nb)))
		return err;
	return vfs_rename(ob, op, nb, np, (unsigned)flags);
}
static long sys_rename(const uint64_t *a) { return do_renameat2(AT_FDCWD, P(a[0]), AT_FDCWD, P(a[1]), 0); }
static long sys_renameat(const uint64_t *a) { return do_renameat2((long)a[0], P(a[1]), (long)a[2], P(a[3]), 0); }
static long sys_renameat2(const uint64_t *a)
{
	return do_renameat2((long)a[0], P(a[1]), (long)a[2], P(a[3]), (long)a[4]);
}

static long do_linkat(long ofd, const char *op, long nfd, const char *np, long flags)
{
	struct file *ob, *nb;
	long err;

	PATH_OK(op);
	PATH_OK(np);
	if ((err = at_base(ofd, op, &ob)) || (err = at_base(nfd, np, &nb)))
		return err;
	if (!op[0] && (flags & AT_EMPTY_PATH) && (int)ofd != AT_FDCWD && !ob)
		return -EBADF;
	return vfs_link(ob, op, nb, np, (int)flags);
}
static long sys_link(const uint64_t *a) { return do_linkat(AT_FDCWD, P(a[0]), AT_FDCWD, P(a[1]), 0); }
static long sys_linkat(const uint64_t *a) { return do_linkat((long)a[0], P(a[1]), (long)a[2], P(a[3]), (long)a[4]); }

static long do_symlinkat(const char *target, long dirfd, const char *path)
{
	struct file *base;
	long err;

	PATH_OK(target);
	PATH_OK(path);
	if ((err = at_base(dirfd, path, &base)))
		return err;
	return vfs_symlink(target, base, path);
}
static long sys_symlink(const uint64_t *a) { return do_symlinkat(P(a[0]), AT_FDCWD, P(a[1])); }
static long sys_symlinkat(const uint64_t *a) { return do_symlinkat(P(a[0]), (long)a[1], P(a[2])); }

static long do_readlinkat(long dirfd, const char *path, uint64_t buf, uint64_t n)
{
	struct file *base;
	long err;

	PATH_OK(path);
	if ((long)n <= 0)
		return -EINVAL;
	PTR_OK(buf, n, true);
	if ((err = at_base(dirfd, path, &base)))
		return err;
	return vfs_readlink(base, path, (char *)(uintptr_t)buf, n);
}
static long sys_readlink(const uint64_t *a) { return do_readlinkat(AT_FDCWD, P(a[0]), a[1], a[2]); }
static long sys_readlinkat(const uint64_t *a) { return do_readlinkat((long)a[0], P(a[1]), a[2], a[3]); }

/* ---- attributes ---- */

static long set_attr_at(long dirfd, const char *path, const struct vfs_attr *va, int flags)
{
	struct file *base;
	long err;

	PATH_OK(path);
	if (!path[0] && (flags & AT_EMPTY_PATH) && (int)dirfd != AT_FDCWD) {
		FILE_OR_EBADF(f, dirfd);
		return vfs_fsetattr(f, va);
	}
	if ((err = at_base(dirfd, path, &base)))
		return err;
	return vfs_setattr(base, path, va, flags);
}

static long sys_chmod(const uint64_t *a)
{
	struct vfs_attr va = { .valid = VFS_ATTR_MODE, .mode = (mode_t)a[1] };
	return set_attr_at(AT_FDCWD, P(a[0]), &va, 0);
}
static long sys_fchmodat(const uint64_t *a)
{
	struct vfs_attr va = { .valid = VFS_ATTR_MODE, .mode = (mode_t)a[2] };
	/* The syscall has no flags argument (musl handles AT_SYMLINK_NOFOLLOW
	 * itself, through O_PATH). */
	return set_attr_at((long)a[0], P(a[1]), &va, 0);
}
static long sys_fchmod(const uint64_t *a)
{
	struct vfs_attr va = { .valid = VFS_ATTR_MODE, .mode = (mode_t)a[1] };
	FILE_OR_EBADF(f, a[0]);
	return vfs_fsetattr(f, &va);
}

/* chown family: (uid_t)-1 leaves a field unchanged. */
static void owner_attr(struct vfs_attr *va, uint64_t uid, uint64_t gid)
{
	memset(va, 0, sizeof(*va));
	if ((uint32_t)uid != UINT32_MAX) {
		va->valid |= VFS_ATTR_UID;
		va->uid = (uid_t)uid;
	}
	if ((uint32_t)gid != UINT32_MAX) {
		va->valid |= VFS_ATTR_GID;
		va->gid = (gid_t)gid;
	}
}
static long sys_chown(const uint64_t *a)
{
	struct vfs_attr va;
	owner_attr(&va, a[1], a[2]);
	return set_attr_at(AT_FDCWD, P(a[0]), &va, 0);
}
static long sys_lchown(const uint64_t *a)
{
	struct vfs_attr va;
	owner_attr(&va, a[1], a[2]);
	return set_attr_at(AT_FDCWD, P(a[0]), &va, AT_SYMLINK_NOFOLLOW);
}
static long sys_fchownat(const uint64_t *a)
{
	struct vfs_attr va;
	if (a[4] & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	owner_attr(&va, a[2], a[3]);
	return set_attr_at((long)a[0], P(a[1]), &va, (int)a[4]);
}
static long sys_fchown(const uint64_t *a)
{
	struct vfs_attr va;
	FILE_OR_EBADF(f, a[0]);
	owner_attr(&va, a[1], a[2]);
	return vfs_fsetattr(f, &va);
}

static long sys_truncate(const uint64_t *a)
{
	struct vfs_attr va = { .valid = VFS_ATTR_SIZE, .size = (off_t)a[1] };
	return set_attr_at(AT_FDCWD, P(a[0]), &va, 0);
}
static long sys_ftruncate(const uint64_t *a)
{
	struct vfs_attr va = { .valid = VFS_ATTR_SIZE, .size = (off_t)a[1] };
	FILE_OR_EBADF(f, a[0]);
	return vfs_fsetattr(f, &va);
}

/* utimensat(dirfd, path, times[2], flags): NULL times = both now;
 * UTIME_OMIT leaves one alone; path NULL means dirfd itself (Linux). */
static long sys_utimensat(const uint64_t *a)
{
	const struct timespec *ts = (const void *)(uintptr_t)a[2];
	struct vfs_attr va = { .valid = VFS_ATTR_ATIME | VFS_ATTR_MTIME };
	int flags = (int)a[3];

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (ts) {
		PTR_OK(ts, 2 * sizeof(*ts), false);
		for (int i = 0; i < 2; i++)
			if (ts[i].tv_nsec != UTIME_NOW && ts[i].tv_nsec != UTIME_OMIT &&
			    (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000))
				return -EINVAL;
		va.atime = ts[0];
		va.mtime = ts[1];
		if (ts[0].tv_nsec == UTIME_OMIT)
			va.valid &= ~VFS_ATTR_ATIME;
		if (ts[1].tv_nsec == UTIME_OMIT)
			va.valid &= ~VFS_ATTR_MTIME;
		if (!va.valid)
			return 0;
	} else {
		va.atime.tv_nsec = va.mtime.tv_nsec = UTIME_NOW;
	}
	if (!a[1]) {
		FILE_OR_EBADF(f, a[0]);
		return vfs_fsetattr(f, &va);
	}
	return set_attr_at((long)a[0], P(a[1]), &va, flags);
}

static long do_faccessat(long dirfd, const char *path, long mode, long flags)
{
	struct file *base;
	long err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH))
		return -EINVAL;
	PATH_OK(path);
	if ((err = at_base(dirfd, path, &base)))
		return err;
	return vfs_access(base, path, (int)mode, (int)flags);
}
static long sys_access(const uint64_t *a) { return do_faccessat(AT_FDCWD, P(a[0]), (long)a[1], 0); }
static long sys_faccessat(const uint64_t *a) { return do_faccessat((long)a[0], P(a[1]), (long)a[2], 0); }
static long sys_faccessat2(const uint64_t *a) { return do_faccessat((long)a[0], P(a[1]), (long)a[2], (long)a[3]); }

static long sys_fsync(const uint64_t *a) { FILE_OR_EBADF(f, a[0]); return vfs_fsync(f, false); }
static long sys_fdatasync(const uint64_t *a) { FILE_OR_EBADF(f, a[0]); return vfs_fsync(f, true); }
static long sys_syncfs(const uint64_t *a) { FILE_OR_EBADF(f, a[0]); (void)f; return 0; }
/* sync(2): the guest keeps no dirty data (cache=none), so there is nothing
 * to push; host-side durability is the host's (fsync a file for that). */
static long sys_sync(const uint64_t *a) { (void)a; return 0; }

static long sys_fallocate(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	return vfs_fallocate(f, (int)a[1], (off_t)a[2], (off_t)a[3]);
}

static long sys_fadvise64(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	(void)f;
	/* Advice only; with nothing cached there is nothing to act on. */
	return a[3] <= 5 ? 0 : -EINVAL;
}

/* ---- directories ---- */

static long sys_chdir(const uint64_t *a) { PATH_OK(P(a[0])); return vfs_chdir(NULL, P(a[0])); }
static long sys_fchdir(const uint64_t *a) { FILE_OR_EBADF(f, a[0]); return vfs_fchdir(f); }
static long sys_getcwd(const uint64_t *a)
{
	PTR_OK(a[0], a[1], true);
	return vfs_getcwd((char *)(uintptr_t)a[0], a[1]);
}
static long sys_umask(const uint64_t *a) { return vfs_umask((mode_t)a[0]); }

/* ---- fcntl, ioctl ---- */

static long sys_fcntl(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	int fd = (int)a[0], cmd = (int)a[1];
	long arg = (long)a[2];

	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		int nfd;
		if (arg < 0 || arg >= FD_MAX)
			return -EINVAL;
		nfd = fd_install(vfs_file_dup(f), (int)arg, cmd == F_DUPFD_CLOEXEC);
		if (nfd < 0)
			vfs_close(f);
		return nfd;
	}
	case F_GETFD:
		return fd_get_cloexec(fd) ? FD_CLOEXEC : 0;
	case F_SETFD:
		return fd_set_cloexec(fd, arg & FD_CLOEXEC);
	case F_GETFL:
		return vfs_file_flags(f) & ~O_CLOEXEC;
	case F_SETFL:
		return vfs_file_set_flags(f, (int)arg);
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		PTR_OK(arg, sizeof(struct flock), cmd == F_GETLK || cmd == F_OFD_GETLK);
		return vfs_lock(f, cmd, (struct flock *)(uintptr_t)arg);
	default:
		return -EINVAL;
	}
}

static long sys_flock(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	return vfs_flock(f, (int)a[1]);
}

static long sys_ioctl(const uint64_t *a)
{
	FILE_OR_EBADF(f, a[0]);
	unsigned long req = a[1];

	if (!vfs_is_console(f))
		return -ENOTTY;
	switch (req) {
	case LINUX_TCGETS: {
		struct linux_termios *t = (void *)(uintptr_t)a[2];
		PTR_OK(t, sizeof(*t), true);
		/* A serial line at 115200 8N1 in canonical mode with echo, as
		 * a Linux console reports. */
		memset(t, 0, sizeof(*t));
		t->c_iflag = 0x500;             /* ICRNL | IXON */
		t->c_oflag = 0x5;               /* OPOST | ONLCR */
		t->c_cflag = 0x1000 | 0x30 | 0x80 | 0x2;   /* B115200 CS8 CREAD */
		t->c_lflag = 0x8a3b;            /* ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN */
		return 0;
	}
	case LINUX_TCSETS:
	case LINUX_TCSETSW:
	case LINUX_TCSETSF:
		PTR_OK(a[2], sizeof(struct linux_termios), false);
		return 0;       /* the serial console has no modes to change */
	case LINUX_TIOCGWINSZ: {
		uint16_t *ws = (void *)(uintptr_t)a[2];
		PTR_OK(ws, 8, true);
		ws[0] = 24;
		ws[1] = 80;
		ws[2] = ws[3] = 0;
		return 0;
	}
	case LINUX_TIOCGPGRP:
		PTR_OK(a[2], 4, true);
		*(int32_t *)(uintptr_t)a[2] = 1;
		return 0;
	default:
		return -ENOTTY;
	}
}

void sys_fs_register(syscall_fn *t)
{
	t[SYS_read] = sys_read;
	t[SYS_write] = sys_write;
	t[SYS_open] = sys_open;
	t[SYS_openat] = sys_openat;
	t[SYS_creat] = sys_creat;
	t[SYS_close] = sys_close;
	t[SYS_dup] = sys_dup;
	t[SYS_dup2] = sys_dup2;
	t[SYS_dup3] = sys_dup3;
	t[SYS_pread64] = sys_pread64;
	t[SYS_pwrite64] = sys_pwrite64;
	t[SYS_readv] = sys_readv;
	t[SYS_writev] = sys_writev;
	t[SYS_preadv] = sys_preadv;
	t[SYS_pwritev] = sys_pwritev;
	t[SYS_preadv2] = sys_preadv2;
	t[SYS_pwritev2] = sys_pwritev2;
	t[SYS_lseek] = sys_lseek;
	t[SYS_getdents64] = sys_getdents64;
	t[SYS_copy_file_range] = sys_copy_file_range;
	t[SYS_sendfile] = sys_sendfile;
	t[SYS_stat] = sys_stat;
	t[SYS_lstat] = sys_lstat;
	t[SYS_fstat] = sys_fstat;
	t[SYS_newfstatat] = sys_newfstatat;
	t[SYS_statx] = sys_statx;
	t[SYS_statfs] = sys_statfs;
	t[SYS_fstatfs] = sys_fstatfs;
	t[SYS_mkdir] = sys_mkdir;
	t[SYS_mkdirat] = sys_mkdirat;
	t[SYS_mknod] = sys_mknod;
	t[SYS_mknodat] = sys_mknodat;
	t[SYS_unlink] = sys_unlink;
	t[SYS_rmdir] = sys_rmdir;
	t[SYS_unlinkat] = sys_unlinkat;
	t[SYS_rename] = sys_rename;
	t[SYS_renameat] = sys_renameat;
	t[SYS_renameat2] = sys_renameat2;
	t[SYS_link] = sys_link;
	t[SYS_linkat] = sys_linkat;
	t[SYS_symlink] = sys_symlink;
	t[SYS_symlinkat] = sys_symlinkat;
	t[SYS_readlink] = sys_readlink;
	t[SYS_readlinkat] = sys_readlinkat;
	t[SYS_chmod] = sys_chmod;
	t[SYS_fchmod] = sys_fchmod;
	t[SYS_fchmodat] = sys_fchmodat;
	t[SYS_chown] = sys_chown;
	t[SYS_lchown] = sys_lchown;
	t[SYS_fchown] = sys_fchown;
	t[SYS_fchownat] = sys_fchownat;
	t[SYS_truncate] = sys_truncate;
	t[SYS_ftruncate] = sys_ftruncate;
	t[SYS_utimensat] = sys_utimensat;
	t[SYS_access] = sys_access;
	t[SYS_faccessat] = sys_faccessat;
	t[SYS_faccessat2] = sys_faccessat2;
	t[SYS_fsync] = sys_fsync;
	t[SYS_fdatasync] = sys_fdatasync;
	t[SYS_syncfs] = sys_syncfs;
	t[SYS_sync] = sys_sync;
	t[SYS_fallocate] = sys_fallocate;
	t[SYS_fadvise64] = sys_fadvise64;
	t[SYS_chdir] = sys_chdir;
	t[SYS_fchdir] = sys_fchdir;
	t[SYS_getcwd] = sys_getcwd;
	t[SYS_umask] = sys_umask;
	t[SYS_fcntl] = sys_fcntl;
	t[SYS_flock] = sys_flock;
	t[SYS_ioctl] = sys_ioctl;
}
