/*
 * The VFS: the kernel-level file API that the POSIX layer (libc/, the
 * system calls) sits on. One contract per function below.
 *
 * Conventions
 *  - Every function returns 0 (or a count/offset >= 0) or a negative Linux
 *    errno; nothing here sets errno.
 *  - Paths: an absolute path starts at the root mount; a relative one at
 *    `base` (an open directory; NULL means the current directory), like the
 *    *at() calls with a dirfd. Components longer than 255 bytes give
 *    -ENAMETOOLONG, paths of 4096 bytes or more too. A trailing slash
 *    requires a directory (-ENOTDIR otherwise). Symlinks are followed in
 *    every component but the last; in the last unless the call says not to
 *    (flag VFS_NOFOLLOW), at most 40 in one walk (-ELOOP).
 *  - Flags and modes are Linux's values (<fcntl.h>, <sys/stat.h>); struct
 *    stat and struct statfs are Linux's x86_64 layouts (musl's headers).
 *  - cache=none semantics: nothing about a file is cached in the guest; each
 *    call asks the host, each change reaches the host before it returns.
 *
 * Files are reference-counted: vfs_open gives a reference, vfs_file_dup
 * adds one (dup(2)), vfs_close drops one; the host's file handle is
 * released (FUSE_RELEASE) when the last reference goes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

struct cmdline;
struct file;

#ifndef SEEK_DATA
#define SEEK_DATA 3     /* Linux's values; musl shows them only with _GNU_SOURCE */
#define SEEK_HOLE 4
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE  2
#endif

#define VFS_PATH_MAX 4096
#define VFS_NAME_MAX 255
#define VFS_SYMLOOP_MAX 40

/* Flags for the path calls (Linux's AT_* values). */
#define VFS_NOFOLLOW   AT_SYMLINK_NOFOLLOW  /* 0x100: don't follow a final symlink */
#define VFS_EMPTY_PATH AT_EMPTY_PATH        /* 0x1000: "" means base itself */
#define VFS_REMOVEDIR  AT_REMOVEDIR         /* 0x200: vfs_unlink removes a directory */
#define VFS_FOLLOW     AT_SYMLINK_FOLLOW    /* 0x400: vfs_link follows oldpath */

/* Mount the root (`root=TAG`, default the first virtio-fs device), each
 * `mount=TAG:/path`, and devfs at /dev (when /dev exists on the root or
 * always as a synthetic directory). Logs each mount. 0, or -ENODEV when no
 * root device exists (the kernel then runs without files). */
int vfs_init(const struct cmdline *cl);

/* Flush pending FORGETs, send FUSE_DESTROY to every mount and stop using
 * them. Called before power-off. */
void vfs_shutdown(void);

/* Open (and with O_CREAT create) path. flags: O_RDONLY/O_WRONLY/O_RDWR,
 * O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC
 * (kept for the fd layer), O_NONBLOCK (kept), O_PATH. mode is masked with
 * the umask. Errors as open(2): -ENOENT, -EEXIST (O_CREAT|O_EXCL),
 * -EISDIR (writing a directory), -ENOTDIR, -ELOOP (O_NOFOLLOW on a symlink),
 * -ENAMETOOLONG, -EACCES/-EPERM from the host, -EIO. */
int vfs_open(struct file *base, const char *path, int flags, mode_t mode, struct file **out);

/* Drop a reference; the last one releases the host file handle. Returns the
 * result of the host's FLUSH (close(2) reports write-back errors). */
int vfs_close(struct file *f);

/* Another reference to the same open file (shared offset), for dup(2). */
struct file *vfs_file_dup(struct file *f);

/* The open flags (O_ACCMODE | O_APPEND | O_NONBLOCK ...) and setting the
 * status flags F_SETFL may change (O_APPEND, O_NONBLOCK). */
int vfs_file_flags(const struct file *f);
int vfs_file_set_flags(struct file *f, int flags);

/* read(2)/write(2) at the file offset, which advances; O_APPEND writes go to
 * the end of the file as the host sees it. Counts may be short only at end
 * of file (reads). -EBADF for the wrong access mode or an O_PATH file,
 * -EISDIR for reads of a directory. */
ssize_t vfs_read(struct file *f, void *buf, size_t n);
ssize_t vfs_write(struct file *f, const void *buf, size_t n);

/* pread(2)/pwrite(2): at off, the file offset unchanged. -EINVAL for
 * off < 0. pwrite on O_APPEND files appends, as on Linux. */
ssize_t vfs_pread(struct file *f, void *buf, size_t n, off_t off);
ssize_t vfs_pwrite(struct file *f, const void *buf, size_t n, off_t off);

/* lseek(2): SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE. Returns the
 * new offset; -EINVAL for a negative result or unknown whence, -ENXIO for
 * SEEK_DATA/HOLE past the end. */
off_t vfs_lseek(struct file *f, off_t off, int whence);

/* getdents64(2): fill buf with struct linux_dirent64 records (d_ino,
 * d_off, d_reclen, d_type, d_name) from the directory position; 0 at the
 * end; -EINVAL if buf cannot hold the next record; -ENOTDIR. */
ssize_t vfs_getdents(struct file *f, void *buf, size_t n);

int vfs_fstat(struct file *f, struct stat *st);
/* stat/lstat/fstatat: flags VFS_NOFOLLOW, VFS_EMPTY_PATH. */
int vfs_stat(struct file *base, const char *path, struct stat *st, int flags);

int vfs_mkdir(struct file *base, const char *path, mode_t mode);
/* mknod(2) for S_IFREG and S_IFIFO (others: -EPERM, as for an unprivileged
 * Linux caller without CAP_MKNOD). */
int vfs_mknod(struct file *base, const char *path, mode_t mode, dev_t dev);
/* unlinkat(2): with VFS_REMOVEDIR removes a directory (-ENOTEMPTY). */
int vfs_unlink(struct file *base, const char *path, int flags);
int vfs_rmdir(struct file *base, const char *path);
/* renameat2(2): flags RENAME_NOREPLACE (1), RENAME_EXCHANGE (2). -EXDEV
 * across mounts. */
int vfs_rename(struct file *obase, const char *oldpath, struct file *nbase,
	       const char *newpath, unsigned flags);
/* linkat(2): flags VFS_FOLLOW. -EXDEV across mounts, -EPERM for directories. */
int vfs_link(struct file *obase, const char *oldpath, struct file *nbase,
	     const char *newpath, int flags);
int vfs_symlink(const char *target, struct file *base, const char *path);
/* readlinkat(2): bytes copied (not NUL-terminated, truncated to n);
 * -EINVAL if not a symlink. */
ssize_t vfs_readlink(struct file *base, const char *path, char *buf, size_t n);

/* Attribute changes (chmod, chown, truncate, utimensat). `valid` says which
 * fields apply; a time's tv_nsec may be UTIME_NOW or UTIME_OMIT. */
#define VFS_ATTR_MODE  (1u << 0)
#define VFS_ATTR_UID   (1u << 1)
#define VFS_ATTR_GID   (1u << 2)
#define VFS_ATTR_SIZE  (1u << 3)
#define VFS_ATTR_ATIME (1u << 4)
#define VFS_ATTR_MTIME (1u << 5)
struct vfs_attr {
	unsigned valid;
	mode_t mode;            /* permission bits only */
	uid_t uid;
	gid_t gid;
	off_t size;
	struct timespec atime, mtime;
};
/* flags: VFS_NOFOLLOW, VFS_EMPTY_PATH. */
int vfs_setattr(struct file *base, const char *path, const struct vfs_attr *a, int flags);
int vfs_fsetattr(struct file *f, const struct vfs_attr *a);

int vfs_fsync(struct file *f, bool datasync);
int vfs_fallocate(struct file *f, int mode, off_t off, off_t len);
int vfs_statfs(struct file *base, const char *path, struct statfs *st);
int vfs_fstatfs(struct file *f, struct statfs *st);
/* access/faccessat: mode F_OK or R_OK|W_OK|X_OK, checked against the
 * attributes (uid 0 in the guest). */
int vfs_access(struct file *base, const char *path, int mode, int flags);

/* Current directory. vfs_getcwd writes the absolute path with its NUL:
 * bytes written, -ERANGE if n is too small. */
int vfs_chdir(struct file *base, const char *path);
int vfs_fchdir(struct file *f);
int vfs_getcwd(char *buf, size_t n);

/* The file mode creation mask: sets it, returns the previous one. */
mode_t vfs_umask(mode_t mask);

/* A new open file for the console (/dev/console), whether or not /dev is
 * mounted: stdin, stdout and stderr of the application. */
int vfs_open_console(int flags, struct file **out);

/* True if f is the console (for the terminal ioctls). */
bool vfs_is_console(const struct file *f);

/* fcntl record locks: cmd F_GETLK/F_SETLK/F_SETLKW (process-owned) or
 * F_OFD_GETLK/F_OFD_SETLK/F_OFD_SETLKW (owned by the open file). When the
 * server offers POSIX locks (virtiofsd -o posix_lock) they are host locks,
 * which exclude host processes and other guests; otherwise they are kept
 * in the guest, where one process never conflicts with itself, and the
 * console says once that nothing outside is excluded (docs/libc.md). */
struct flock;
int vfs_lock(struct file *f, int cmd, struct flock *fl);

/* flock(2): LOCK_SH, LOCK_EX, LOCK_UN, with LOCK_NB. Kept in the guest
 * (virtiofsd offers no flock forwarding without -o flock); see vfs_lock. */
int vfs_flock(struct file *f, int op);

/* Shared file mappings (mmap MAP_SHARED; needs a DAX window, docs/dax.md).
 * The caller (libc/sys_mem.c) picks the virtual address; the file system
 * fills the page tables with the file's pages there. */
struct vfs_mapping {
	struct file *f;                 /* a reference, held while mapped */
	uint64_t va, len;               /* page-aligned */
	off_t off;                      /* file offset of va */
	bool write;
	/* Set by the file system: pages from here on lie past the file's end
	 * and have no entry (a touch there is SIGBUS; a page below it without
	 * one was unmapped: SIGSEGV). */
	uint64_t eof_va;
	void *priv;                     /* the file system's */
	struct vfs_mapping *next;       /* the caller's list */
};
/* A new mapping of f (a reference is taken): *out, or -ENODEV when the
 * file system cannot share this file's pages, -EACCES for a writable
 * mapping of a file not open for writing, -ENOMEM. */
int vfs_mmap(struct file *f, uint64_t va, uint64_t len, off_t off, bool write,
	     struct vfs_mapping **out);
/* Unmap [va, va+len) of m; when none of m is left, free it (and drop the
 * file reference): returns true then. */
bool vfs_munmap(struct vfs_mapping *m, uint64_t va, uint64_t len);

/* How /proc/self/fd/N finds descriptor N's file (the descriptor table lives
 * in libc/fd.c); see fs/namei.c. */
void vfs_set_fd_lookup(struct file *(*fn)(int fd));
