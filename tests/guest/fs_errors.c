/*
 * fs_errors: the errno of each failing call against what Linux returns for
 * the same call (checked on a Linux 6.x host with a small Python program
 * in a scratch directory on tmpfs; the expected values below are its
 * answers). Soft checks: a case reports every mismatch, not just the
 * first. The tree is /err (tests/fs/run-tests make_err_tree):
 *   file ("x"), dir/ (empty), full/x, noexec (0644), lfile -> file,
 *   rsrc and rsrc2 (sources for renames that must fail: a rename that
 *   wrongly succeeds moves only them, and the harness sees it),
 *   dangling -> nowhere, loop_a <-> loop_b, target and ch0..ch40 where
 *   ch0 -> target and chN -> ch(N-1) (chN needs N+1 follows).
 * EXDEV is fs_mounts' (it needs the second device).
 *
 *   tests/fs/run-tests errors
 */
#include <stdint.h>
#include <string.h>

#include "fs/vfs.h"
#include "kernel/heap.h"
#include "kernel/kprintf.h"
#include "kernel/selftest.h"
#include "tests/guest/check.h"
#include "tests/guest/fstest.h"

#define E CHECK_ERR_SOFT

/* The call's result with any file it opened closed again. */
static int try_open(const char *path, int flags, mode_t mode)
{
	struct file *f;
	int err = vfs_open(NULL, path, flags, mode, &f);

	if (!err)
		vfs_close(f);
	return err;
}

static int try_stat(const char *path, int flags)
{
	struct stat st;

	return vfs_stat(NULL, path, &st, flags);
}

static int try_readlink(const char *path)
{
	char buf[64];
	ssize_t n = vfs_readlink(NULL, path, buf, sizeof(buf));

	return n < 0 ? (int)n : 0;
}

static int try_truncate(const char *path, off_t size)
{
	struct vfs_attr a = { .valid = VFS_ATTR_SIZE, .size = size };

	return vfs_setattr(NULL, path, &a, 0);
}

static void case_enoent(void)
{
	E(-ENOENT, try_open("/err/missing", O_RDONLY, 0));
	E(-ENOENT, try_stat("/err/missing", 0));
	E(-ENOENT, try_open("/err/missing/x", O_RDONLY, 0));
	E(-ENOENT, try_open("/err/missing/new", O_CREAT | O_WRONLY, 0644));
	E(-ENOENT, vfs_mkdir(NULL, "/err/missing/sub", 0755));
	E(-ENOENT, try_open("", O_RDONLY, 0));
	E(-ENOENT, try_stat("", 0));
	E(-ENOENT, try_stat("/err/dangling", 0));
	E(-ENOENT, try_readlink("/err/missing"));
	E(-ENOENT, vfs_chdir(NULL, "/err/missing"));
	E(-ENOENT, vfs_symlink("", NULL, "/err/empty_target"));
	E(-ENOENT, vfs_symlink("t", NULL, "/err/newlink/"));
	E(-ENOENT, vfs_link(NULL, "/err/file", NULL, "/err/newl/", 0));
	E(-ENOENT, vfs_link(NULL, "/err/missing", NULL, "/err/newl", 0));
	E(-ENOENT, vfs_mknod(NULL, "/err/newnode/", S_IFIFO | 0644, 0));
	E(-ENOENT, vfs_mkdir(NULL, "", 0755));
	E(-ENOENT, try_truncate("/err/missing", 0));
}

/* Removing or renaming a name that does not exist. The guest has never
 * looked these names up (Linux looks the victim up before UNLINK, RMDIR
 * and RENAME, and answers ENOENT itself). */
static void case_enoent_remove(void)
{
	E(-ENOENT, vfs_unlink(NULL, "/err/missing", 0));
	E(-ENOENT, vfs_rmdir(NULL, "/err/missing"));
	E(-ENOENT, vfs_rename(NULL, "/err/missing", NULL, "/err/renamed", 0));
	E(-ENOENT, vfs_rename(NULL, "/err/rsrc", NULL, "/err/missing", RENAME_EXCHANGE));
}

static void case_eexist(void)
{
	E(-EEXIST, try_open("/err/file", O_CREAT | O_EXCL | O_WRONLY, 0644));
	E(-EEXIST, try_open("/err/dir", O_CREAT | O_EXCL | O_RDONLY, 0644));
	E(-EEXIST, try_open("/err/dangling", O_CREAT | O_EXCL | O_WRONLY, 0644));
	E(-EEXIST, try_open("/err/lfile", O_CREAT | O_EXCL | O_WRONLY, 0644));
	E(-EEXIST, vfs_mkdir(NULL, "/err/dir", 0755));
	E(-EEXIST, vfs_mkdir(NULL, "/err/file", 0755));
	E(-EEXIST, vfs_mkdir(NULL, "/err/dangling", 0755));
	E(-EEXIST, vfs_mkdir(NULL, "/", 0755));
	E(-EEXIST, vfs_mkdir(NULL, "/err/dir/.", 0755));
	E(-EEXIST, vfs_mkdir(NULL, "/err/dir/..", 0755));
	E(-EEXIST, vfs_symlink("t", NULL, "/err/file"));
	E(-EEXIST, vfs_link(NULL, "/err/file", NULL, "/err/lfile", 0));
	/* A trailing slash on an existing name: EEXIST, whatever its type. */
	E(-EEXIST, vfs_link(NULL, "/err/file", NULL, "/err/dir/", 0));
	E(-EEXIST, vfs_link(NULL, "/err/file", NULL, "/err/file/", 0));
	E(-EEXIST, vfs_symlink("t", NULL, "/err/dir/"));
	E(-EEXIST, vfs_symlink("t", NULL, "/err/file/"));
	E(-EEXIST, vfs_mknod(NULL, "/err/dir/", S_IFIFO | 0644, 0));
	E(-EEXIST, vfs_mkdir(NULL, "/err/dir/", 0755));
	E(-EEXIST, vfs_mknod(NULL, "/err/file", S_IFREG | 0644, 0));
	E(-EEXIST, vfs_mknod(NULL, "/err/dir", S_IFIFO | 0644, 0));
	E(-EEXIST, vfs_rename(NULL, "/err/rsrc", NULL, "/err/full/x", RENAME_NOREPLACE));
}

static void case_enotempty(void)
{
	E(-ENOTEMPTY, vfs_rmdir(NULL, "/err/full"));
	E(-ENOTEMPTY, vfs_unlink(NULL, "/err/full", VFS_REMOVEDIR));
	E(-ENOTEMPTY, vfs_rmdir(NULL, "/err/dir/.."));
	E(-ENOTEMPTY, vfs_rename(NULL, "/err/dir", NULL, "/err/full", 0));
}

static void case_eisdir(void)
{
	static char buf[16];
	struct file *f;

	E(-EISDIR, try_open("/err/dir", O_WRONLY, 0));
	E(-EISDIR, try_open("/err/dir", O_RDWR, 0));
	E(-EISDIR, try_open("/err/dir", O_WRONLY | O_CREAT, 0644));
	E(-EISDIR, try_open("/err/dir", O_RDONLY | O_CREAT, 0644));
	E(-EISDIR, try_open("/err/newfile/", O_WRONLY | O_CREAT, 0644));
	E(-EISDIR, try_open("/err/file/", O_WRONLY | O_CREAT, 0644));
	E(-EISDIR, vfs_unlink(NULL, "/err/dir", 0));
	E(-EISDIR, vfs_unlink(NULL, "/err/dir/", 0));
	E(-EISDIR, vfs_unlink(NULL, "/err/.", 0));
	E(-EISDIR, vfs_unlink(NULL, "/err/dir/..", 0));
	E(-EISDIR, try_truncate("/err/dir", 0));
	E(-EISDIR, vfs_rename(NULL, "/err/rsrc", NULL, "/err/dir", 0));
	CHECK_ERR(0, vfs_open(NULL, "/err/dir", O_RDONLY | O_DIRECTORY, 0, &f));
	E(-EISDIR, vfs_read(f, buf, sizeof(buf)));
	E(-EISDIR, vfs_pread(f, buf, sizeof(buf), 0));
	vfs_close(f);
}

static void case_enotdir(void)
{
	static unsigned char buf[256];
	struct file *f;

	E(-ENOTDIR, try_open("/err/file/x", O_RDONLY, 0));
	E(-ENOTDIR, try_open("/err/file/", O_RDONLY, 0));
	E(-ENOTDIR, try_open("/err/file", O_RDONLY | O_DIRECTORY, 0));
	E(-ENOTDIR, try_open("/err/lfile", O_RDONLY | O_DIRECTORY, 0));
	E(-ENOTDIR, try_stat("/err/file/", 0));
	E(-ENOTDIR, try_stat("/err/lfile/", VFS_NOFOLLOW));
	E(-ENOTDIR, try_stat("/err/file/.", 0));
	E(-ENOTDIR, try_stat("/err/file/..", 0));
	E(-ENOTDIR, vfs_mkdir(NULL, "/err/file/sub", 0755));
	E(-ENOTDIR, vfs_rmdir(NULL, "/err/file"));
	E(-ENOTDIR, vfs_rmdir(NULL, "/err/file/"));
	E(-ENOTDIR, vfs_unlink(NULL, "/err/file/", 0));
	E(-ENOTDIR, vfs_chdir(NULL, "/err/file"));
	E(-ENOTDIR, try_truncate("/err/file/", 0));
	E(-ENOTDIR, vfs_rename(NULL, "/err/dir", NULL, "/err/file", 0));
	E(-ENOTDIR, vfs_rename(NULL, "/err/rsrc", NULL, "/err/renamed/", 0));
	E(-ENOTDIR, vfs_rename(NULL, "/err/rsrc2/", NULL, "/err/renamed2", 0));
	E(-ENOTDIR, vfs_link(NULL, "/err/file/", NULL, "/err/linked", 0));
	CHECK_ERR(0, vfs_open(NULL, "/err/file", O_RDONLY, 0, &f));
	E(-ENOTDIR, vfs_getdents(f, buf, sizeof(buf)));
	E(-ENOTDIR, vfs_stat(f, "x", (struct stat *)buf, 0));    /* *at() with a file as base */
	vfs_close(f);
}

static void case_enametoolong(void)
{
	static char name[300], path[VFS_PATH_MAX + 16], target[VFS_PATH_MAX + 1];
	size_t n;

	/* A 256-byte component: too long; 255: just a missing name. */
	memcpy(name, "/err/", 5);
	memset(name + 5, 'a', 256);
	name[5 + 256] = 0;
	E(-ENAMETOOLONG, try_open(name, O_RDONLY, 0));
	E(-ENAMETOOLONG, try_stat(name, 0));
	E(-ENAMETOOLONG, vfs_mkdir(NULL, name, 0755));
	E(-ENAMETOOLONG, try_open(name, O_CREAT | O_WRONLY, 0644));
	E(-ENAMETOOLONG, vfs_symlink("x", NULL, name));
	E(-ENAMETOOLONG, vfs_rename(NULL, "/err/rsrc", NULL, name, 0));
	name[5 + 255] = 0;
	E(-ENOENT, try_open(name, O_RDONLY, 0));
	/* Paths: 4095 bytes resolve ("./" repeated, then "file"); 4096 bytes
	 * (4097 with the NUL) are too long. */
	memcpy(path, "/err/", 5);
	for (n = 5; n + 4 < 4095; n += 2)
		memcpy(path + n, "./", 2);
	n = 4095 - 4;
	memcpy(path + n, "file", 5);
	CHECK_INT(4095, strlen(path));
	E(0, try_stat(path, 0));
	memmove(path + 1, path, 4096);                  /* "//err/./.../file" */
	CHECK_INT(4096, strlen(path));
	E(-ENAMETOOLONG, try_stat(path, 0));
	E(-ENAMETOOLONG, try_open(path, O_RDONLY, 0));
	/* A symlink target of 4096 bytes; 4095 would do. */
	memset(target, 'b', VFS_PATH_MAX);
	target[VFS_PATH_MAX] = 0;
	E(-ENAMETOOLONG, vfs_symlink(target, NULL, "/err/longlink"));
}

static void case_eloop(void)
{
	E(-ELOOP, try_stat("/err/loop_a", 0));
	E(-ELOOP, try_open("/err/loop_a", O_RDONLY, 0));
	E(-ELOOP, try_stat("/err/loop_a/x", VFS_NOFOLLOW));
	E(-ELOOP, try_open("/err/lfile", O_RDONLY | O_NOFOLLOW, 0));
	E(-ELOOP, try_open("/err/lfile", O_WRONLY | O_NOFOLLOW | O_CREAT, 0644));
	E(-ELOOP, try_open("/err/loop_a", O_WRONLY | O_CREAT, 0644));
	E(0, try_stat("/err/loop_a", VFS_NOFOLLOW));
	/* 40 symlinks in one walk are allowed, 41 are not. */
	E(0, try_stat("/err/ch39", 0));
	E(-ELOOP, try_stat("/err/ch40", 0));
}

static void case_ebadf(void)
{
	static char buf[64];
	struct file *f;

	CHECK_ERR(0, vfs_open(NULL, "/err/file", O_RDONLY, 0, &f));
	E(-EBADF, vfs_write(f, "x", 1));
	E(-EBADF, vfs_pwrite(f, "x", 1, 0));
	E(-EBADF, vfs_fallocate(f, 0, 0, 10));
	vfs_close(f);
	CHECK_ERR(0, vfs_open(NULL, "/err/file", O_WRONLY, 0, &f));
	E(-EBADF, vfs_read(f, buf, 1));
	E(-EBADF, vfs_pread(f, buf, 1, 0));
	vfs_close(f);
	/* O_PATH handles do no I/O. */
	CHECK_ERR(0, vfs_open(NULL, "/err/file", O_PATH, 0, &f));
	E(-EBADF, vfs_read(f, buf, 1));
	E(-EBADF, vfs_write(f, "x", 1));
	E(-EBADF, vfs_lseek(f, 0, SEEK_SET));
	E(-EBADF, vfs_fsync(f, false));
	E(-EBADF, vfs_fsetattr(f, &(struct vfs_attr){ .valid = VFS_ATTR_SIZE, .size = 0 }));
	vfs_close(f);
	CHECK_ERR(0, vfs_open(NULL, "/err/dir", O_PATH, 0, &f));
	E(-EBADF, vfs_getdents(f, buf, sizeof(buf)));
	vfs_close(f);
}

static void case_einval(void)
{
	static char buf[64];
	struct file *f;

	E(-EINVAL, vfs_rmdir(NULL, "/err/dir/."));
	E(-EINVAL, vfs_rmdir(NULL, "."));
	E(-EINVAL, try_readlink("/err/file"));
	E(-EINVAL, try_readlink("/err/dir"));
	E(-EINVAL, vfs_rename(NULL, "/err/dir", NULL, "/err/dir/sub", 0));
	E(-EINVAL, vfs_rename(NULL, "/err/rsrc", NULL, "/err/renamed", RENAME_NOREPLACE | RENAME_EXCHANGE));
	E(-EINVAL, try_open("/err/newdir_x", O_CREAT | O_DIRECTORY | O_RDONLY, 0755));
	E(-EINVAL, try_open("/err/dir", O_CREAT | O_DIRECTORY | O_RDONLY, 0755));
	E(-EINVAL, try_truncate("/err/file", -1));
	E(-EINVAL, vfs_unlink(NULL, "/err/file", 0x8000));
	E(-EINVAL, vfs_access(NULL, "/err/file", 0x40, 0));
	CHECK_ERR(0, vfs_open(NULL, "/err/file", O_RDONLY, 0, &f));
	E(-EINVAL, vfs_lseek(f, -1, SEEK_SET));
	E(-EINVAL, vfs_lseek(f, 0, 99));
	E(-EINVAL, vfs_pread(f, buf, 1, -1));
	/* ftruncate on a file not open for writing. */
	E(-EINVAL, vfs_fsetattr(f, &(struct vfs_attr){ .valid = VFS_ATTR_SIZE, .size = 0 }));
	vfs_close(f);
	CHECK_ERR(0, vfs_open(NULL, "/err/file", O_WRONLY, 0, &f));
	E(-EINVAL, vfs_fallocate(f, 0, 0, 0));
	E(-EINVAL, vfs_pwrite(f, "x", 1, -1));
	E(-EINVAL, vfs_fsetattr(f, &(struct vfs_attr){ .valid = VFS_ATTR_SIZE, .size = -1 }));
	vfs_close(f);
	CHECK_ERR(0, vfs_open(NULL, "/err/dir", O_RDONLY | O_DIRECTORY, 0, &f));
	E(-EINVAL, vfs_getdents(f, buf, 16));           /* no record fits */
	/* ftruncate on a directory (open read-only, as directories are). */
	E(-EINVAL, vfs_fsetattr(f, &(struct vfs_attr){ .valid = VFS_ATTR_SIZE, .size = 0 }));
	vfs_close(f);
}

/* The rest: EPERM, EBUSY, ENXIO, EACCES, ERANGE. */
static void case_misc(void)
{
	char small[1];
	struct file *f;

	E(-EPERM, vfs_link(NULL, "/err/dir", NULL, "/err/dirlink", 0));
	E(-EPERM, vfs_mknod(NULL, "/err/chr", S_IFCHR | 0644, 0x103)); /* contract: as unprivileged */
	E(-EBUSY, vfs_rename(NULL, "/err/dir/.", NULL, "/err/x", 0));
	E(-EBUSY, vfs_rmdir(NULL, "/"));
	E(-EACCES, vfs_access(NULL, "/err/noexec", X_OK, 0));
	E(0, vfs_access(NULL, "/err/noexec", R_OK | W_OK, 0));
	E(0, vfs_access(NULL, "/err/dir", X_OK, 0));
	E(-ERANGE, vfs_getcwd(small, sizeof(small)));
	CHECK_ERR(0, vfs_open(NULL, "/err/file", O_RDONLY, 0, &f));
	E(-ENXIO, vfs_lseek(f, 100, SEEK_DATA));
	E(-ENXIO, vfs_lseek(f, 100, SEEK_HOLE));
	E(-ENXIO, vfs_lseek(f, 1, SEEK_HOLE));          /* at the end: ENXIO too */
	E(1, vfs_lseek(f, 0, SEEK_HOLE));
	vfs_close(f);
}

static int run(const struct cmdline *cl)
{
	check_begin(cl, "fs_errors");
	CHECK_RUN(enoent);
	CHECK_RUN(enoent_remove);
	CHECK_RUN(eexist);
	CHECK_RUN(enotempty);
	CHECK_RUN(eisdir);
	CHECK_RUN(enotdir);
	CHECK_RUN(enametoolong);
	CHECK_RUN(eloop);
	CHECK_RUN(ebadf);
	CHECK_RUN(einval);
	CHECK_RUN(misc);
	return check_end();
}
SELFTEST_SUITE("fs_errors", run);
