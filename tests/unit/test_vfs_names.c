/*
 * The VFS over fake virtio-fs devices, continued from test_vfs.c: unlink,
 * rmdir, rename, link, symlink, readlink, mknod, mkdir with Linux's errors
 * (and the victim of UNLINK/RMDIR/RENAME held, as virtiofsd requires);
 * EXDEV across mounts; chdir and getcwd; /dev; fcntl locks forwarded to
 * the server or kept in the guest. Every case ends with the accounting of
 * vfs_harness.h.
 *   make -C tests/unit && FAKE_FUSE_VERBOSE=1 tests/unit/build/test_vfs_names
 * shows the kernel's console (with trace=fuse) on stderr.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfs_harness.h"

/* ---- Names ------------------------------------------------------------------------ */

/* Whether a LOOKUP of name came before the first request with opcode op
 * (since the log was cleared): the victim was held when op was sent. */
static bool looked_up_before(struct virtio_fs *d, uint32_t op, const char *name)
{
	for (int i = 0; i < fake_log_len(d); i++) {
		const struct fake_rec *rec = fake_log(d, i);

		if (rec->opcode == op)
			return false;
		if (rec->opcode == FUSE_LOOKUP && !strcmp(rec->name, name) && rec->error == 0)
			return true;
	}
	return false;
}

/* unlink and rmdir: the victim is looked up first (the fake refuses a
 * victim the kernel does not hold), and the errors are Linux's. */
VH_CASE(names_unlink_rmdir)
{
	struct virtio_fs *r = vh_root;
	struct stat st;
	struct file *f;
	char buf[8];

	fake_add_dir(r, "u", 0755);
	fake_add_file(r, "u/f", "F", 1);
	fake_add_file(r, "u/g", "G", 1);
	fake_add_dir(r, "u/d", 0755);
	fake_add_dir(r, "u/e", 0755);
	fake_add_dir(r, "u/e2", 0755);
	fake_add_dir(r, "u/full", 0755);
	fake_add_file(r, "u/full/x", "x", 1);
	fake_add_symlink(r, "u/lnk", "d");

	fake_log_clear(r);
	CHECK_EQ(0, vfs_unlink(NULL, "/u/f", 0));
	CHECK_EQ(0, fake_node(r, "u/f"));
	CHECK(looked_up_before(r, FUSE_UNLINK, "f"));
	CHECK_EQ(-ENOENT, vfs_unlink(NULL, "/u/f", 0));
	CHECK_EQ(-EISDIR, vfs_unlink(NULL, "/u/d", 0));
	CHECK_EQ(-EISDIR, vfs_unlink(NULL, "/u/d/", 0));
	CHECK_EQ(-ENOTDIR, vfs_unlink(NULL, "/u/g/", 0));
	CHECK_EQ(-ENOTDIR, vfs_unlink(NULL, "/u/g/x", 0));
	CHECK_EQ(-ENOENT, vfs_unlink(NULL, "/u/nodir/x", 0));
	CHECK_EQ(-EISDIR, vfs_unlink(NULL, "/", 0));
	CHECK_EQ(-EISDIR, vfs_unlink(NULL, "/u/.", 0));
	CHECK_EQ(-EISDIR, vfs_unlink(NULL, "/u/..", 0));
	CHECK_EQ(-EISDIR, vfs_unlink(NULL, "/mnt2", 0));
	CHECK_EQ(-EINVAL, vfs_unlink(NULL, "/u/g", 1));
	CHECK_EQ(0, vfs_unlink(NULL, "/u/lnk", 0));
	CHECK_EQ(0, fake_node(r, "u/lnk"));
	CHECK_EQ(S_IFDIR | 0755, fake_mode(r, "u/d"));

	/* An open file outlives its name. */
	if ((f = vh_open("/u/g", O_RDONLY))) {
		CHECK_EQ(0, vfs_unlink(NULL, "/u/g", 0));
		CHECK_EQ(1, vfs_read(f, buf, sizeof buf));
		CHECK_EQ('G', buf[0]);
		CHECK_EQ(0, vfs_fstat(f, &st));
		CHECK_EQ(0, st.st_nlink);
		CHECK_EQ(0, vfs_close(f));
	}

	fake_add_file(r, "u/g", "G", 1);
	fake_add_symlink(r, "u/lnk", "full");
	fake_log_clear(r);
	CHECK_EQ(0, vfs_rmdir(NULL, "/u/e"));
	CHECK(looked_up_before(r, FUSE_RMDIR, "e"));
	CHECK_EQ(0, vfs_rmdir(NULL, "/u/e2/"));
	CHECK_EQ(0, fake_node(r, "u/e2"));
	CHECK_EQ(-ENOENT, vfs_rmdir(NULL, "/u/e"));
	CHECK_EQ(-ENOTEMPTY, vfs_rmdir(NULL, "/u/full"));
	CHECK_EQ(-ENOTDIR, vfs_rmdir(NULL, "/u/g"));
	CHECK_EQ(-ENOTDIR, vfs_rmdir(NULL, "/u/g/"));
	CHECK_EQ(-ENOTDIR, vfs_rmdir(NULL, "/u/lnk"));
	CHECK_EQ(-EINVAL, vfs_rmdir(NULL, "/u/d/."));
	CHECK_EQ(-ENOTEMPTY, vfs_rmdir(NULL, "/u/d/.."));
	CHECK_EQ(-EBUSY, vfs_rmdir(NULL, "/"));
	CHECK_EQ(-EBUSY, vfs_rmdir(NULL, "/mnt2"));
	CHECK_EQ(0, vfs_unlink(NULL, "/u/d", VFS_REMOVEDIR));
	CHECK_EQ(0, fake_node(r, "u/d"));
}

/* rename(2) and renameat2(2) flags, with Linux's errors. */
VH_CASE(names_rename)
{
	struct virtio_fs *r = vh_root;
	const struct fake_rec *rec;

	fake_add_dir(r, "r", 0755);
	fake_add_file(r, "r/a", "A", 1);
	fake_add_file(r, "r/b", "B", 1);
	fake_add_file(r, "r/h1", "H", 1);
	fake_add_link(r, "r/h1", "r/h2");
	fake_add_dir(r, "r/d1", 0755);
	fake_add_dir(r, "r/d1/x", 0755);
	fake_add_dir(r, "r/d2", 0755);
	fake_add_dir(r, "r/d3", 0755);
	fake_add_file(r, "r/d3/y", "y", 1);

	fake_log_clear(r);
	CHECK_EQ(0, vfs_rename(NULL, "/r/a", NULL, "/r/c", 0));
	CHECK(vh_data_is(r, "r/c", "A", 1));
	CHECK_EQ(0, fake_node(r, "r/a"));
	CHECK(looked_up_before(r, FUSE_RENAME2, "a"));
	CHECK_EQ(0, vfs_rename(NULL, "/r/c", NULL, "/r/b", 0));          /* replaces b */
	CHECK(vh_data_is(r, "r/b", "A", 1));
	fake_log_clear(r);
	CHECK_EQ(0, vfs_rename(NULL, "/r/b", NULL, "/r/b", 0));
	CHECK_EQ(0, vfs_rename(NULL, "/r/h1", NULL, "/r/h2", 0));        /* one file */
	CHECK_EQ(0, fake_log_count(r, FUSE_RENAME2));
	CHECK_EQ(fake_node(r, "r/h1"), fake_node(r, "r/h2"));
	CHECK_EQ(-ENOENT, vfs_rename(NULL, "/r/nope", NULL, "/r/x", 0));
	CHECK_EQ(-ENOENT, vfs_rename(NULL, "/r/b", NULL, "/r/nodir/x", 0));
	CHECK_EQ(-EINVAL, vfs_rename(NULL, "/r/d1", NULL, "/r/d1/x/in", 0));
	CHECK_EQ(-ENOTDIR, vfs_rename(NULL, "/r/d1", NULL, "/r/b", 0));
	CHECK_EQ(-EISDIR, vfs_rename(NULL, "/r/b", NULL, "/r/d2", 0));
	CHECK_EQ(-ENOTEMPTY, vfs_rename(NULL, "/r/d2", NULL, "/r/d3", 0));
	CHECK_EQ(-ENOTDIR, vfs_rename(NULL, "/r/b/", NULL, "/r/z", 0));
	CHECK_EQ(-ENOTDIR, vfs_rename(NULL, "/r/b", NULL, "/r/z/", 0));
	CHECK_EQ(0, vfs_rename(NULL, "/r/d1", NULL, "/r/d2", 0));        /* over an empty dir */
	CHECK_EQ(S_IFDIR | 0755, fake_mode(r, "r/d2/x"));
	CHECK_EQ(0, vfs_rename(NULL, "/r/d2/", NULL, "/r/d4/", 0));
	CHECK_EQ(S_IFDIR | 0755, fake_mode(r, "r/d4/x"));

	fake_log_clear(r);
	CHECK_EQ(-EEXIST, vfs_rename(NULL, "/r/b", NULL, "/r/h1", RENAME_NOREPLACE));
	CHECK_EQ(0, vfs_rename(NULL, "/r/b", NULL, "/r/b2", RENAME_NOREPLACE));
	CHECK_EQ(0, vfs_rename(NULL, "/r/b2", NULL, "/r/h1", RENAME_EXCHANGE));
	CHECK(vh_data_is(r, "r/b2", "H", 1));
	CHECK(vh_data_is(r, "r/h1", "A", 1));
	if (CHECK((rec = fake_log_find(r, FUSE_RENAME2, 0)) != NULL))
		CHECK_EQ(RENAME_NOREPLACE, rec->flags);
	CHECK_EQ(-ENOENT, vfs_rename(NULL, "/r/b2", NULL, "/r/none", RENAME_EXCHANGE));
	CHECK_EQ(-EINVAL, vfs_rename(NULL, "/r/b2", NULL, "/r/h1", 3));
	CHECK_EQ(-EINVAL, vfs_rename(NULL, "/r/b2", NULL, "/r/h1", 4));

	CHECK_EQ(-EBUSY, vfs_rename(NULL, "/r/.", NULL, "/r/z", 0));
	CHECK_EQ(-EBUSY, vfs_rename(NULL, "/r/b2", NULL, "/", 0));
	CHECK_EQ(-EBUSY, vfs_rename(NULL, "/mnt2", NULL, "/r/m", 0));
	CHECK_EQ(-EBUSY, vfs_rename(NULL, "/r/d4", NULL, "/mnt2", 0));

	/* No RENAME2 on the server: RENAME, and flags are EINVAL. */
	fake_enosys(r, FUSE_RENAME2, true);
	fake_log_clear(r);
	CHECK_EQ(0, vfs_rename(NULL, "/r/b2", NULL, "/r/b3", 0));
	CHECK_EQ(1, fake_log_count(r, FUSE_RENAME));
	CHECK_EQ(-EINVAL, vfs_rename(NULL, "/r/b3", NULL, "/r/b4", RENAME_NOREPLACE));
	fake_enosys(r, FUSE_RENAME2, false);
	CHECK(vh_data_is(r, "r/b3", "H", 1));
}

/* rename and link never cross a mount: EXDEV, even for a missing source. */
VH_CASE(names_exdev)
{
	fake_add_dir(vh_root, "x", 0755);
	fake_add_file(vh_root, "x/f", "f", 1);
	fake_add_file(vh_two, "f", "f", 1);
	fake_log_clear(vh_root);
	fake_log_clear(vh_two);
	CHECK_EQ(-EXDEV, vfs_rename(NULL, "/x/f", NULL, "/mnt2/g", 0));
	CHECK_EQ(-EXDEV, vfs_rename(NULL, "/mnt2/f", NULL, "/x/g", 0));
	CHECK_EQ(-EXDEV, vfs_rename(NULL, "/mnt2/nope", NULL, "/x/g", 0));
	CHECK_EQ(-EXDEV, vfs_rename(NULL, "/dev/null", NULL, "/x/null", 0));
	CHECK_EQ(-EXDEV, vfs_link(NULL, "/x/f", NULL, "/mnt2/g", 0));
	CHECK_EQ(-EXDEV, vfs_link(NULL, "/mnt2/f", NULL, "/x/g", 0));
	CHECK_EQ(0, fake_log_count(vh_root, FUSE_RENAME2) + fake_log_count(vh_two, FUSE_RENAME2) +
		    fake_log_count(vh_root, FUSE_LINK) + fake_log_count(vh_two, FUSE_LINK));
	CHECK(vh_data_is(vh_root, "x/f", "f", 1));
	CHECK(vh_data_is(vh_two, "f", "f", 1));
}

/* link, symlink, readlink, mknod, mkdir and their errors. */
VH_CASE(names_link_symlink_mknod_mkdir)
{
	struct virtio_fs *r = vh_root;
	const struct fake_rec *rec;
	struct stat st;
	struct file *f;
	char buf[16];

	fake_add_dir(r, "k", 0755);
	fake_add_file(r, "k/f", "F", 1);
	fake_add_dir(r, "k/d", 0755);
	fake_add_symlink(r, "k/s", "f");

	fake_log_clear(r);
	CHECK_EQ(0, vfs_link(NULL, "/k/f", NULL, "/k/f2", 0));
	CHECK_EQ(fake_node(r, "k/f"), fake_node(r, "k/f2"));
	if (CHECK((rec = fake_log_find(r, FUSE_LINK, 0)) != NULL))
		CHECK_EQ(fake_node(r, "k/f"), rec->fh);
	CHECK_EQ(0, vfs_stat(NULL, "/k/f2", &st, 0));
	CHECK_EQ(2, st.st_nlink);
	CHECK_EQ(-EPERM, vfs_link(NULL, "/k/d", NULL, "/k/d2", 0));
	CHECK_EQ(-EEXIST, vfs_link(NULL, "/k/f", NULL, "/k/f2", 0));
	CHECK_EQ(-EEXIST, vfs_link(NULL, "/k/f", NULL, "/k/f2/", 0));
	CHECK_EQ(-ENOENT, vfs_link(NULL, "/k/f", NULL, "/k/new/", 0));
	CHECK_EQ(-EEXIST, vfs_link(NULL, "/k/f", NULL, "/", 0));
	CHECK_EQ(-ENOENT, vfs_link(NULL, "/k/nope", NULL, "/k/x", 0));
	CHECK_EQ(-EINVAL, vfs_link(NULL, "/k/f", NULL, "/k/x", 1));
	CHECK_EQ(0, vfs_link(NULL, "/k/s", NULL, "/k/s2", 0));            /* the link itself */
	CHECK_EQ(S_IFLNK | 0777, fake_mode(r, "k/s2"));
	CHECK_EQ(0, vfs_link(NULL, "/k/s", NULL, "/k/s3", VFS_FOLLOW));   /* its target */
	CHECK_EQ(fake_node(r, "k/f"), fake_node(r, "k/s3"));

	fake_log_clear(r);
	CHECK_EQ(0, vfs_symlink("target", NULL, "/k/sl"));
	if (CHECK((rec = fake_log_find(r, FUSE_SYMLINK, 0)) != NULL))
		CHECK_STR("target", rec->name2);
	CHECK_STR("target", fake_target(r, "k/sl"));
	CHECK_EQ(6, vfs_readlink(NULL, "/k/sl", buf, sizeof buf));
	CHECK(memcmp(buf, "target", 6) == 0);
	CHECK_EQ(3, vfs_readlink(NULL, "/k/sl", buf, 3));
	CHECK(memcmp(buf, "tar", 3) == 0);
	CHECK_EQ(-EINVAL, vfs_readlink(NULL, "/k/sl", buf, 0));
	CHECK_EQ(-EINVAL, vfs_readlink(NULL, "/k/f", buf, sizeof buf));
	CHECK_EQ(-ENOENT, vfs_readlink(NULL, "/k/nope", buf, sizeof buf));
	if ((f = vh_open("/k/sl", O_PATH | O_NOFOLLOW))) {
		CHECK_EQ(6, vfs_readlink(f, "", buf, sizeof buf));
		CHECK_EQ(0, vfs_close(f));
	}
	CHECK_EQ(-EEXIST, vfs_symlink("t", NULL, "/k/sl"));
	CHECK_EQ(-EEXIST, vfs_symlink("t", NULL, "/k/f/"));
	CHECK_EQ(-ENOENT, vfs_symlink("t", NULL, "/k/newsl/"));
	CHECK_EQ(-ENOENT, vfs_symlink("", NULL, "/k/empty"));
	CHECK_EQ(-EEXIST, vfs_symlink("t", NULL, "/mnt2"));

	CHECK_EQ(0, vfs_mknod(NULL, "/k/fifo", S_IFIFO | 0666, 0));
	CHECK_EQ(S_IFIFO | 0644, fake_mode(r, "k/fifo"));
	CHECK_EQ(0, vfs_mknod(NULL, "/k/reg", 0600, 0));
	CHECK_EQ(S_IFREG | 0600, fake_mode(r, "k/reg"));
	CHECK_EQ(0, vfs_mknod(NULL, "/k/sock", S_IFSOCK | 0600, 0));
	CHECK_EQ(S_IFSOCK | 0600, fake_mode(r, "k/sock"));
	CHECK_EQ(-EPERM, vfs_mknod(NULL, "/k/chr", S_IFCHR | 0600, 0x0103));
	CHECK_EQ(-EPERM, vfs_mknod(NULL, "/k/blk", S_IFBLK | 0600, 0x0801));
	CHECK_EQ(-EEXIST, vfs_mknod(NULL, "/k/fifo", S_IFIFO | 0600, 0));
	CHECK_EQ(-EEXIST, vfs_mknod(NULL, "/k/f/", S_IFIFO | 0600, 0));
	CHECK_EQ(-ENOENT, vfs_mknod(NULL, "/k/new/", S_IFIFO | 0600, 0));

	CHECK_EQ(0, vfs_mkdir(NULL, "/k/m", 0777));
	CHECK_EQ(S_IFDIR | 0755, fake_mode(r, "k/m"));
	CHECK_EQ(-EEXIST, vfs_mkdir(NULL, "/k/m", 0777));
	CHECK_EQ(-EEXIST, vfs_mkdir(NULL, "/k/f", 0777));
	CHECK_EQ(0, vfs_mkdir(NULL, "/k/m2/", 0700));
	CHECK_EQ(S_IFDIR | 0700, fake_mode(r, "k/m2"));
	CHECK_EQ(-EEXIST, vfs_mkdir(NULL, "/", 0777));
	CHECK_EQ(-EEXIST, vfs_mkdir(NULL, "/k/.", 0777));
	CHECK_EQ(-EEXIST, vfs_mkdir(NULL, "/k/..", 0777));
	CHECK_EQ(-EEXIST, vfs_mkdir(NULL, "/mnt2", 0777));
	CHECK_EQ(-ENOTDIR, vfs_mkdir(NULL, "/k/f/x", 0777));
	CHECK_EQ(-ENOENT, vfs_mkdir(NULL, "/k/nope/x", 0777));
	CHECK_EQ(022, vfs_umask(077));
	CHECK_EQ(0, vfs_mkdir(NULL, "/k/m3", 0777));
	CHECK_EQ(S_IFDIR | 0700, fake_mode(r, "k/m3"));
	CHECK_EQ(077, vfs_umask(022));
}

/* mknod(2) of a directory is EPERM on Linux (may_mknod), of a type that is
 * no file type EINVAL. */
VH_CASE(BUG_mknod_type_errnos)
{
	CHECK_EQ(-EPERM, vfs_mknod(NULL, "/mknod_dir", S_IFDIR | 0755, 0));
	CHECK_EQ(-EINVAL, vfs_mknod(NULL, "/mknod_bad", 0170000 | 0644, 0));
	CHECK_EQ(-EINVAL, vfs_mknod(NULL, "/mknod_bad", 0030000 | 0644, 0));
	CHECK_EQ(0, fake_node(vh_root, "mknod_dir") + fake_node(vh_root, "mknod_bad"));
}

/* ---- The current directory ------------------------------------------------------ */

/* chdir and getcwd: nested directories, through a symlink (the physical
 * path), into and out of the second mount, fchdir, ERANGE; and after
 * renaming an ancestor, by path or by exchange. */
VH_CASE(cwd_getcwd)
{
	struct virtio_fs *r = vh_root;
	struct file *f;
	char buf[16];

	fake_add_dir(r, "cw", 0755);
	fake_add_dir(r, "cw/a", 0755);
	fake_add_dir(r, "cw/a/b", 0755);
	fake_add_dir(r, "cw/a/b/c", 0755);
	fake_add_file(r, "cw/f", "f", 1);
	fake_add_symlink(r, "cw/lnk", "a");
	fake_add_dir(r, "mv", 0755);
	fake_add_dir(r, "x1", 0755);
	fake_add_dir(r, "x1/in", 0755);
	fake_add_dir(r, "x2", 0755);
	fake_add_dir(r, "x2/out", 0755);
	fake_add_dir(vh_two, "cw", 0755);
	fake_add_dir(vh_two, "cw/deep", 0755);

	CHECK_STR("/", vh_cwd());
	CHECK_EQ(0, vfs_chdir(NULL, "/cw/a/b"));
	CHECK_STR("/cw/a/b", vh_cwd());
	CHECK_EQ(0, vfs_chdir(NULL, ".."));
	CHECK_STR("/cw/a", vh_cwd());
	CHECK_EQ(0, vfs_chdir(NULL, "b/c"));
	CHECK_STR("/cw/a/b/c", vh_cwd());
	CHECK_EQ(-ENOTDIR, vfs_chdir(NULL, "/cw/f"));
	CHECK_EQ(-ENOENT, vfs_chdir(NULL, "/cw/nope"));
	CHECK_STR("/cw/a/b/c", vh_cwd());
	CHECK_EQ(0, vfs_chdir(NULL, "/cw/lnk/b"));
	CHECK_STR("/cw/a/b", vh_cwd());

	CHECK_EQ(0, vfs_chdir(NULL, "/mnt2/cw/deep"));
	CHECK_STR("/mnt2/cw/deep", vh_cwd());
	CHECK_EQ(0, vfs_chdir(NULL, "../.."));
	CHECK_STR("/mnt2", vh_cwd());
	CHECK_EQ(0, vfs_chdir(NULL, ".."));
	CHECK_STR("/", vh_cwd());
	CHECK_EQ(0, vfs_chdir(NULL, "/dev"));
	CHECK_STR("/dev", vh_cwd());

	if ((f = vh_open("/cw/a", O_PATH | O_DIRECTORY))) {
		CHECK_EQ(0, vfs_fchdir(f));
		CHECK_EQ(0, vfs_close(f));
	}
	CHECK_STR("/cw/a", vh_cwd());
	CHECK_EQ(6, vfs_getcwd(buf, 6));
	CHECK_EQ(-ERANGE, vfs_getcwd(buf, 5));
	if ((f = vh_open("/cw/f", O_RDONLY))) {
		CHECK_EQ(-ENOTDIR, vfs_fchdir(f));
		CHECK_EQ(0, vfs_close(f));
	}

	CHECK_EQ(0, vfs_chdir(NULL, "/cw/a/b/c"));
	CHECK_EQ(0, vfs_rename(NULL, "/cw/a", NULL, "/cw/z", 0));
	CHECK_STR("/cw/z/b/c", vh_cwd());
	CHECK_EQ(0, vfs_rename(NULL, "/cw", NULL, "/mv/cw", 0));
	CHECK_STR("/mv/cw/z/b/c", vh_cwd());
	CHECK_EQ(0, vfs_rename(NULL, "../../../z", NULL, "../../../y", 0));
	CHECK_STR("/mv/cw/y/b/c", vh_cwd());
	CHECK_EQ(0, vh_at("../..", 0, r, "mv/cw/y"));
	CHECK_EQ(0, vfs_chdir(NULL, "/x1/in"));
	CHECK_EQ(0, vfs_rename(NULL, "/x1/in", NULL, "/x2/out", RENAME_EXCHANGE));
	CHECK_STR("/x2/out", vh_cwd());
	CHECK_EQ(0, vh_at(".", 0, r, "x2/out"));
}

/* A removed directory has no path: getcwd in it is ENOENT, as on Linux;
 * "." still works. */
VH_CASE(getcwd_after_rmdir)
{
	struct stat st;

	fake_add_dir(vh_root, "gone", 0755);
	fake_add_dir(vh_root, "gone2", 0755);
	fake_add_dir(vh_root, "gone2/in", 0755);

	CHECK_EQ(0, vfs_chdir(NULL, "/gone"));
	CHECK_EQ(0, vfs_rmdir(NULL, "/gone"));
	CHECK_STR("<error -2>", vh_cwd());
	CHECK_EQ(0, vfs_stat(NULL, ".", &st, 0));
	CHECK_EQ(0, vfs_chdir(NULL, "/gone2/in"));
	CHECK_EQ(0, vfs_rmdir(NULL, "../in"));
	CHECK_STR("<error -2>", vh_cwd());
}

/* The same for a directory a rename replaced (Linux: ENOENT): here the
 * victim keeps its parent and name, and getcwd names the directory that
 * replaced it. */
VH_CASE(BUG_getcwd_in_dir_replaced_by_rename)
{
	fake_add_dir(vh_root, "rp", 0755);
	fake_add_dir(vh_root, "rp/src", 0755);
	fake_add_dir(vh_root, "rp/dst", 0755);

	CHECK_EQ(0, vfs_chdir(NULL, "/rp/dst"));
	CHECK_EQ(0, vfs_rename(NULL, "/rp/src", NULL, "/rp/dst", 0));
	CHECK_STR("<error -2>", vh_cwd());
}

/* ---- /proc/self/fd/N -------------------------------------------------------------- */

static struct file *fds[8];

static struct file *fd_lookup(int fd)
{
	return fd >= 0 && fd < 8 ? fds[fd] : NULL;
}

/* /proc/self/fd/N is the file open at descriptor N (the only /proc there
 * is): stat, chmod of an O_PATH file, paths below a directory, creating
 * in it; a descriptor that is not open is ENOENT. */
VH_CASE(proc_self_fd)
{
	struct virtio_fs *r = vh_root;
	struct vfs_attr a = { .valid = VFS_ATTR_MODE, .mode = 0600 };
	struct stat st;
	struct file *f;

	fake_add_dir(r, "pf", 0755);
	fake_add_file(r, "pf/f", "f", 1);
	if (!(fds[3] = vh_open("/pf/f", O_PATH)) || !(fds[4] = vh_open("/pf", O_PATH | O_DIRECTORY)))
		return;
	vfs_set_fd_lookup(fd_lookup);
	CHECK_EQ(0, vh_at("/proc/self/fd/3", 0, r, "pf/f"));
	CHECK_EQ(0, vh_at("/proc/self/fd/4/f", 0, r, "pf/f"));
	CHECK_EQ(0, vh_at("/proc/self/fd/4/.", 0, r, "pf"));
	CHECK_EQ(-ENOTDIR, vfs_stat(NULL, "/proc/self/fd/3/", &st, 0));
	CHECK_EQ(-ENOENT, vfs_stat(NULL, "/proc/self/fd/5", &st, 0));
	CHECK_EQ(-ENOENT, vfs_stat(NULL, "/proc/self/fd/3x", &st, 0));
	CHECK_EQ(-ENOENT, vfs_stat(NULL, "/proc/self/fd", &st, 0));
	CHECK_EQ(0, vfs_setattr(NULL, "/proc/self/fd/3", &a, 0));
	CHECK_EQ(S_IFREG | 0600, fake_mode(r, "pf/f"));
	if ((f = vh_open("/proc/self/fd/4/new", O_CREAT | O_WRONLY)))
		CHECK_EQ(0, vfs_close(f));
	CHECK_EQ(S_IFREG | 0644, fake_mode(r, "pf/new"));
	vfs_set_fd_lookup(NULL);
	CHECK_EQ(-ENOENT, vfs_stat(NULL, "/proc/self/fd/3", &st, 0));
	CHECK_EQ(0, vfs_close(fds[3]));
	CHECK_EQ(0, vfs_close(fds[4]));
	fds[3] = fds[4] = NULL;
}

/* ---- /dev ----------------------------------------------------------------------- */

struct names {
	bool console, null;
	int dots, other_types;
};

static void dev_entry(const char *name, unsigned type, void *ctx)
{
	struct names *n = ctx;

	if (!strcmp(name, ".") || !strcmp(name, ".."))
		n->dots++;
	else if (type != 2)                     /* DT_CHR */
		n->other_types++;
	n->console |= !strcmp(name, "console");
	n->null |= !strcmp(name, "null");
}

/* /dev exists without a host directory: null and console, with Linux's
 * device numbers (and zero, urandom); the console is also reachable
 * without /dev. */
VH_CASE(dev_null_console)
{
	static const char typed[] = "typed line\nrest";
	struct names n = { 0 };
	struct stat st, root;
	struct statfs sf;
	struct file *f;
	char buf[64];

	CHECK_EQ(0, fake_node(vh_root, "dev"));
	CHECK_EQ(0, vfs_stat(NULL, "/", &root, 0));
	CHECK_EQ(0, vfs_stat(NULL, "/dev", &st, 0));
	CHECK(S_ISDIR(st.st_mode));
	CHECK(st.st_dev != root.st_dev);
	CHECK_EQ(0, vfs_stat(NULL, "/dev/null", &st, 0));
	CHECK_EQ(S_IFCHR | 0666, st.st_mode);
	CHECK_EQ((1u << 8) | 3, st.st_rdev);
	CHECK_EQ(0, vfs_stat(NULL, "/dev/console", &st, 0));
	CHECK_EQ(S_IFCHR | 0666, st.st_mode);
	CHECK_EQ((5u << 8) | 1, st.st_rdev);
	CHECK_EQ(-ENOENT, vfs_stat(NULL, "/dev/nope", &st, 0));
	CHECK_EQ(0, vfs_statfs(NULL, "/dev", &sf));
	CHECK_EQ(0x1373, sf.f_type);

	if ((f = vh_open("/dev/null", O_RDWR))) {
		CHECK_EQ(5, vfs_write(f, "12345", 5));
		CHECK_EQ(0, vfs_read(f, buf, sizeof buf));
		CHECK(!vfs_is_console(f));
		CHECK_EQ(0, vfs_close(f));
	}
	fake_console_clear();
	if ((f = vh_open("/dev/console", O_RDWR))) {
		CHECK(vfs_is_console(f));
		CHECK_EQ(14, vfs_write(f, "hello console\n", 14));
		CHECK(strstr(fake_console(), "hello console\n") != NULL);
		fake_console_input(typed);
		CHECK_EQ(11, vfs_read(f, buf, sizeof buf));
		CHECK(memcmp(buf, "typed line\n", 11) == 0);
		CHECK_EQ(0, vfs_close(f));
	}
	if (CHECK_EQ(0, vfs_open_console(O_RDWR, &f))) {
		CHECK(vfs_is_console(f));
		CHECK_EQ(4, vfs_read(f, buf, sizeof buf));
		CHECK(memcmp(buf, "rest", 4) == 0);
		CHECK_EQ(0, vfs_close(f));
	}
	fake_console_input(NULL);

	if ((f = vh_open("/dev/zero", O_RDONLY))) {
		memset(buf, 'z', sizeof buf);
		CHECK_EQ(sizeof buf, vfs_read(f, buf, sizeof buf));
		CHECK(buf[0] == 0 && buf[sizeof buf - 1] == 0);
		CHECK_EQ(0, vfs_close(f));
	}
	if ((f = vh_open("/dev/urandom", O_RDONLY))) {
		CHECK_EQ(sizeof buf, vfs_read(f, buf, sizeof buf));
		CHECK_EQ(0, vfs_close(f));
	}

	/* One getdents for all of it (see BUG_devfs_getdents_never_ends). */
	if ((f = vh_open("/dev", O_RDONLY | O_DIRECTORY))) {
		uint8_t dents[1024];
		ssize_t got = vfs_getdents(f, dents, sizeof dents);

		CHECK(got > 0);
		for (ssize_t pos = 0; pos < got; pos += dents[pos + 16] | dents[pos + 17] << 8)
			dev_entry((char *)dents + pos + 19, dents[pos + 18], &n);
		CHECK(n.console && n.null);
		CHECK_EQ(2, n.dots);
		CHECK_EQ(0, n.other_types);
		CHECK_EQ(0, vfs_close(f));
	}
}

/* getdents at the end of a directory returns 0 (readdir's NULL without an
 * error); on /dev it is EINVAL, every time ("no room for the next entry"):
 * devfs never says it reached the end. */
VH_CASE(BUG_devfs_getdents_never_ends)
{
	struct names n = { 0 };
	struct file *f;

	if (!(f = vh_open("/dev", O_RDONLY | O_DIRECTORY)))
		return;
	CHECK(list_dir(f, 4096, dev_entry, &n) >= 4);
	CHECK_EQ(0, vfs_close(f));
}

/* ---- fcntl locks ---------------------------------------------------------------- */

static struct flock lk(short type, short whence, off_t start, off_t len)
{
	return (struct flock){ .l_type = type, .l_whence = whence, .l_start = start, .l_len = len };
}

/* The server offers POSIX locks: GETLK reports a host process's lock,
 * SETLK conflicts with it, each close drops the process's locks (POSIX) and
 * the last close the open file's (OFD), through explicit unlocks. */
VH_CASE(locks_on_server)
{
	struct virtio_fs *r = vh_root;
	const struct fake_rec *rec;
	struct file *f, *g, *ro;
	struct flock fl;

	fake_add_dir(r, "lk", 0755);
	fake_add_file(r, "lk/f", "0123456789012345678901234567890123456789012345678901234567890123456789"
			    "012345678901234567890123456789", 100);
	fake_add_lock(r, "lk/f", F_WRLCK, 10, 19, 4242);
	if (!(f = vh_open("/lk/f", O_RDWR)) || !(g = vh_open("/lk/f", O_RDWR)) ||
	    !(ro = vh_open("/lk/f", O_RDONLY)))
		return;

	fake_log_clear(r);
	fl = lk(F_WRLCK, SEEK_SET, 0, 0);
	CHECK_EQ(0, vfs_lock(f, F_GETLK, &fl));
	CHECK_EQ(F_WRLCK, fl.l_type);
	CHECK_EQ(SEEK_SET, fl.l_whence);
	CHECK_EQ(10, fl.l_start);
	CHECK_EQ(10, fl.l_len);
	CHECK_EQ(4242, fl.l_pid);
	if (CHECK((rec = fake_log_find(r, FUSE_GETLK, 0)) != NULL)) {
		CHECK_EQ(0, rec->start);
		CHECK_EQ(INT64_MAX, rec->end);
		CHECK_EQ(F_WRLCK, rec->flags);
	}
	fl = lk(F_RDLCK, SEEK_SET, 0, 10);
	CHECK_EQ(0, vfs_lock(f, F_GETLK, &fl));
	CHECK_EQ(F_UNLCK, fl.l_type);
	fl = lk(F_WRLCK, SEEK_SET, 15, 15);
	CHECK_EQ(-EAGAIN, vfs_lock(f, F_SETLK, &fl));
	fl = lk(F_RDLCK, SEEK_SET, 30, 10);
	CHECK_EQ(0, vfs_lock(f, F_SETLK, &fl));
	fl = lk(F_WRLCK, SEEK_END, -50, -5);              /* [45, 49] */
	CHECK_EQ(0, vfs_lock(f, F_SETLKW, &fl));
	if (CHECK((rec = fake_log_find(r, FUSE_SETLKW, 0)) != NULL)) {
		CHECK_EQ(45, rec->start);
		CHECK_EQ(49, rec->end);
	}
	CHECK_EQ(2, fake_locks(r, "lk/f", 1));
	fl = lk(F_WRLCK, SEEK_SET, 0, 0);
	CHECK_EQ(-EBADF, vfs_lock(ro, F_SETLK, &fl));

	/* The same process's locks never conflict with it; another open
	 * file's OFD lock does, and its holder has no pid. */
	fl = lk(F_WRLCK, SEEK_SET, 30, 10);
	CHECK_EQ(0, vfs_lock(g, F_GETLK, &fl));
	CHECK_EQ(F_UNLCK, fl.l_type);
	fl = lk(F_WRLCK, SEEK_SET, 70, 10);
	CHECK_EQ(0, vfs_lock(f, F_OFD_SETLK, &fl));
	fl = lk(F_RDLCK, SEEK_SET, 60, 20);
	CHECK_EQ(0, vfs_lock(g, F_OFD_GETLK, &fl));
	CHECK_EQ(F_WRLCK, fl.l_type);
	CHECK_EQ(70, fl.l_start);
	CHECK_EQ(10, fl.l_len);
	CHECK_EQ(-1, fl.l_pid);
	fl = lk(F_RDLCK, SEEK_SET, 75, 1);
	CHECK_EQ(-EAGAIN, vfs_lock(g, F_OFD_SETLK, &fl));
	fl = (struct flock){ .l_type = F_RDLCK, .l_pid = 7 };
	CHECK_EQ(-EINVAL, vfs_lock(g, F_OFD_SETLK, &fl));

	/* Closing g drops the process's locks, not f's OFD lock. */
	fake_log_clear(r);
	CHECK_EQ(0, vfs_close(g));
	if (CHECK((rec = fake_log_find(r, FUSE_SETLK, 0)) != NULL)) {
		CHECK_EQ(F_UNLCK, rec->flags);
		CHECK_EQ(1, rec->owner);
		CHECK_EQ(0, rec->start);
		CHECK_EQ(INT64_MAX, rec->end);
	}
	CHECK_EQ(0, fake_locks(r, "lk/f", 1));
	CHECK_EQ(2, fake_locks(r, "lk/f", 0));
	CHECK_EQ(0, vfs_close(ro));
	fake_log_clear(r);
	CHECK_EQ(0, vfs_close(f));
	if (CHECK((rec = fake_log_find(r, FUSE_SETLK, 0)) != NULL)) {
		CHECK_EQ(F_UNLCK, rec->flags);
		CHECK(rec->owner != 1);
	}
	CHECK_EQ(1, fake_locks(r, "lk/f", 0));            /* the host's */
	CHECK_EQ(1, fake_locks(r, "lk/f", FAKE_HOST_OWNER(4242)));
}

/* No POSIX locks on the server: kept in the guest, where the one process
 * never conflicts with itself; OFD locks are refused; said once. */
VH_CASE(locks_in_guest)
{
	struct virtio_fs *d = vh_two;
	struct file *f;
	struct flock fl;

	fake_add_file(d, "lf", "0123456789", 10);
	if (!(f = vh_open("/mnt2/lf", O_RDWR)))
		return;
	fake_console_clear();
	fake_log_clear(d);
	fl = lk(F_WRLCK, SEEK_SET, 0, 0);
	CHECK_EQ(0, vfs_lock(f, F_SETLK, &fl));
	CHECK_EQ(0, vfs_lock(f, F_SETLKW, &fl));
	fl = lk(F_WRLCK, SEEK_SET, 0, 0);
	CHECK_EQ(0, vfs_lock(f, F_GETLK, &fl));
	CHECK_EQ(F_UNLCK, fl.l_type);
	fl = lk(F_WRLCK, SEEK_SET, 0, 0);
	CHECK_EQ(-ENOLCK, vfs_lock(f, F_OFD_SETLK, &fl));
	CHECK_EQ(-ENOLCK, vfs_lock(f, F_OFD_GETLK, &fl));
	CHECK_EQ(-EINVAL, vfs_lock(f, F_SETLK, &(struct flock){ .l_type = 9 }));
	CHECK_EQ(0, fake_log_count(d, FUSE_GETLK) + fake_log_count(d, FUSE_SETLK) +
		    fake_log_count(d, FUSE_SETLKW));
	CHECK(strstr(fake_console(), "file locks are kept in this guest only") != NULL);
	fake_console_clear();
	CHECK_EQ(0, vfs_lock(f, F_SETLK, &fl));
	CHECK(strstr(fake_console(), "file locks") == NULL);
	CHECK_EQ(0, vfs_close(f));
	CHECK_EQ(0, fake_log_count(d, FUSE_SETLK));
}

/* F_GETLK asks about a lock one could take: l_type F_UNLCK is EINVAL on
 * Linux (fcntl_getlk), as the server path gives; the local path says 0. */
VH_CASE(BUG_local_getlk_unlck)
{
	struct flock fl = lk(F_UNLCK, SEEK_SET, 0, 0);
	struct file *f;

	fake_add_file(vh_two, "lu", "x", 1);
	if (!(f = vh_open("/mnt2/lu", O_RDWR)))
		return;
	CHECK_EQ(-EINVAL, vfs_lock(f, F_GETLK, &fl));
	CHECK_EQ(0, vfs_close(f));
}

int main(void)
{
	vh_init();
	RUN(names_unlink_rmdir);
	RUN(names_rename);
	RUN(names_exdev);
	RUN(names_link_symlink_mknod_mkdir);
	RUN(BUG_mknod_type_errnos);
	RUN(cwd_getcwd);
	RUN(getcwd_after_rmdir);
	RUN(BUG_getcwd_in_dir_replaced_by_rename);
	RUN(proc_self_fd);
	RUN(dev_null_console);
	RUN(BUG_devfs_getdents_never_ends);
	RUN(locks_in_guest);
	RUN(BUG_local_getlk_unlck);
	RUN(locks_on_server);
	return CHECK_DONE();
}
