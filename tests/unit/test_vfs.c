/*
 * The file-system stack (fs/ and fs/virtiofs/) on the host, over the
 * fake virtio-fs devices of fake_fuse.h, mounted by vfs_init() (see
 * vfs_harness.h): path walks, open flags, I/O and how it is cut into
 * requests, lseek, directories, each errno as Linux gives it. Every case
 * ends with the accounting of vfs_harness.h (no lookups or handles left on
 * the server, no vnodes or heap blocks left in the kernel). Names, the
 * current directory, /dev and locks are in test_vfs_names.c; malformed
 * replies, broken queues, hostile trees and long FORGET runs in
 * test_vfs_faults.c.
 *   make -C tests/unit && FAKE_FUSE_VERBOSE=1 tests/unit/build/test_vfs
 * shows the kernel's console (with trace=fuse) on stderr.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfs_harness.h"

#define MiB (1u << 20)

/* ---- Path walks ------------------------------------------------------------ */

/* ".", "..", repeated and trailing slashes; ".." stays at "/" and leaves a
 * mount for the directory covering it; anything after a file's name is
 * ENOTDIR. */
VH_CASE(walk_dots)
{
	struct virtio_fs *r = vh_root;
	struct stat st;

	fake_add_dir(r, "w", 0755);
	fake_add_dir(r, "w/a", 0755);
	fake_add_dir(r, "w/a/b", 0755);
	fake_add_file(r, "w/a/f", "data", 4);
	fake_add_dir(vh_two, "sub", 0755);

	CHECK_EQ(0, vh_at("/w/a/./b", 0, r, "w/a/b"));
	CHECK_EQ(0, vh_at("/w/a/b/..", 0, r, "w/a"));
	CHECK_EQ(0, vh_at("//w//a///b//", 0, r, "w/a/b"));
	CHECK_EQ(0, vh_at("/./w/./a/./f", 0, r, "w/a/f"));
	CHECK_EQ(0, vh_at("w/a/f", 0, r, "w/a/f"));
	CHECK_EQ(0, vh_at("/", 0, r, ""));
	CHECK_EQ(0, vh_at("///", 0, r, ""));
	CHECK_EQ(0, vh_at("/..", 0, r, ""));
	CHECK_EQ(0, vh_at("/../../..", 0, r, ""));
	CHECK_EQ(0, vh_at("/../w/../../w/a", 0, r, "w/a"));
	CHECK_EQ(-ENOTDIR, vfs_stat(NULL, "/w/a/f/", &st, 0));
	CHECK_EQ(-ENOTDIR, vfs_stat(NULL, "/w/a/f//", &st, VFS_NOFOLLOW));
	CHECK_EQ(-ENOTDIR, vfs_stat(NULL, "/w/a/f/.", &st, 0));
	CHECK_EQ(-ENOTDIR, vfs_stat(NULL, "/w/a/f/..", &st, 0));
	CHECK_EQ(-ENOTDIR, vfs_stat(NULL, "/w/a/f/x", &st, 0));
	CHECK_EQ(-ENOENT, vfs_stat(NULL, "/w/nope", &st, 0));
	CHECK_EQ(-ENOENT, vfs_stat(NULL, "/w/nope/..", &st, 0));
	CHECK_EQ(-ENOENT, vfs_stat(NULL, "", &st, 0));

	/* cache=none: one LOOKUP per named component, none for "." or "..". */
	fake_log_clear(r);
	CHECK_EQ(0, vh_at("/w/./a/b/../../a", 0, r, "w/a"));
	CHECK_EQ(4, fake_log_count(r, FUSE_LOOKUP));

	/* Out of the second mount: ".." of its root is "/", which covers it. */
	CHECK_EQ(0, vh_at("/mnt2/.", 0, vh_two, ""));
	CHECK_EQ(0, vh_at("/mnt2/..", 0, r, ""));
	CHECK_EQ(0, vh_at("/mnt2/sub/../..", 0, r, ""));
	CHECK_EQ(0, vh_at("/mnt2/sub/../../w/a", 0, r, "w/a"));
	CHECK_EQ(0, vh_at("/dev/../w", 0, r, "w"));
	CHECK_EQ(0, vfs_chdir(NULL, "/mnt2/sub"));
	CHECK_EQ(0, vh_at("..", 0, vh_two, ""));
	CHECK_EQ(0, vh_at("../..", 0, r, ""));
	CHECK_EQ(0, vh_at("../../w/a/b", 0, r, "w/a/b"));
	CHECK_EQ(0, vh_at(".", 0, vh_two, "sub"));
}

/* Relative, absolute and chained symlinks, in the middle and at the end,
 * into and out of the second mount; a trailing slash follows even with
 * NOFOLLOW; dangling and empty targets are ENOENT. */
VH_CASE(walk_symlinks)
{
	struct virtio_fs *r = vh_root;
	struct file *base;
	struct stat st;

	fake_add_dir(r, "s", 0755);
	fake_add_dir(r, "s/a", 0755);
	fake_add_file(r, "s/a/f", "x", 1);
	fake_add_symlink(r, "s/rel", "a/f");
	fake_add_symlink(r, "s/abs", "/s/a/f");
	fake_add_symlink(r, "s/chain", "rel");
	fake_add_symlink(r, "s/chain2", "/s/chain");
	fake_add_symlink(r, "s/ldir", "a");
	fake_add_symlink(r, "s/a/up", "../a/f");
	fake_add_symlink(r, "s/a/updir", "..");
	fake_add_symlink(r, "s/tomnt", "/mnt2/t");
	fake_add_symlink(r, "s/dangling", "nothing");
	fake_add_symlink(r, "s/empty", "");
	fake_add_symlink(r, "s/slashy", "a/");
	fake_add_symlink(r, "s/fslash", "a/f/");
	fake_add_file(vh_two, "t", "t", 1);
	fake_add_symlink(vh_two, "back", "../s/a");

	CHECK_EQ(0, vh_at("/s/rel", 0, r, "s/a/f"));
	CHECK_EQ(0, vh_at("/s/abs", 0, r, "s/a/f"));
	CHECK_EQ(0, vh_at("/s/chain", 0, r, "s/a/f"));
	CHECK_EQ(0, vh_at("/s/chain2", 0, r, "s/a/f"));
	CHECK_EQ(0, vh_at("/s/ldir/f", 0, r, "s/a/f"));
	CHECK_EQ(0, vh_at("/s/ldir/f", VFS_NOFOLLOW, r, "s/a/f"));
	CHECK_EQ(0, vh_at("/s/ldir/up", 0, r, "s/a/f"));
	CHECK_EQ(0, vh_at("/s/a/updir/rel", 0, r, "s/a/f"));
	CHECK_EQ(0, vh_at("/s/tomnt", 0, vh_two, "t"));
	CHECK_EQ(0, vh_at("/mnt2/back/f", 0, r, "s/a/f"));
	CHECK_EQ(0, vh_at("/s/ldir/", VFS_NOFOLLOW, r, "s/a"));
	CHECK_EQ(0, vh_at("/s/slashy", 0, r, "s/a"));
	CHECK_EQ(S_IFLNK | 0777, vh_lmode("/s/rel"));
	CHECK_EQ(S_IFLNK | 0777, vh_lmode("/s/ldir"));
	CHECK_EQ(S_IFLNK | 0777, vh_lmode("/s/dangling"));
	CHECK_EQ(-ENOTDIR, vfs_stat(NULL, "/s/rel/", &st, 0));
	CHECK_EQ(-ENOTDIR, vfs_stat(NULL, "/s/fslash", &st, 0));
	CHECK_EQ(-ENOENT, vfs_stat(NULL, "/s/dangling", &st, 0));
	CHECK_EQ(-ENOENT, vfs_stat(NULL, "/s/empty", &st, 0));

	/* Relative to a directory opened O_PATH, as the *at() calls do. */
	if (!(base = vh_open("/s/a", O_PATH | O_DIRECTORY)))
		return;
	CHECK_EQ(0, vfs_stat(base, "up", &st, 0));
	CHECK_EQ(FAKE_INO(fake_node(r, "s/a/f")), st.st_ino);
	CHECK_EQ(0, vfs_stat(base, "/s/ldir", &st, 0));
	CHECK_EQ(FAKE_INO(fake_node(r, "s/a")), st.st_ino);
	CHECK_EQ(0, vfs_close(base));
}

/* At most 40 symlinks per walk, whether in one chain or spread over the
 * components; loops end in ELOOP. */
VH_CASE(walk_symlink_limits)
{
	struct virtio_fs *r = vh_root;
	char name[16], target[16], path[200];
	struct file *f;
	struct stat st;

	fake_add_dir(r, "L", 0755);
	fake_add_file(r, "L/f", "x", 1);
	fake_add_symlink(r, "L/l1", "f");
	for (int i = 2; i <= 41; i++) {
		snprintf(name, sizeof name, "L/l%d", i);
		snprintf(target, sizeof target, "l%d", i - 1);
		fake_add_symlink(r, name, target);
	}
	fake_add_symlink(r, "L/d", ".");
	fake_add_symlink(r, "L/la", "lb");
	fake_add_symlink(r, "L/lb", "la");
	fake_add_symlink(r, "L/self", "self");
	fake_add_symlink(r, "L/abs", "/L/abs");
	fake_add_symlink(r, "L/deeper", "deeper/x");

	CHECK_EQ(0, vh_at("/L/l40", 0, r, "L/f"));
	CHECK_EQ(-ELOOP, vfs_stat(NULL, "/L/l41", &st, 0));
	CHECK_EQ(-ELOOP, vfs_open(NULL, "/L/l41", O_RDONLY, 0, &f));
	CHECK_EQ(S_IFLNK | 0777, vh_lmode("/L/l41"));
	strcpy(path, "/L");
	for (int i = 0; i < 40; i++)
		strcat(path, "/d");
	CHECK_EQ(0, vh_at(strcat(path, "/f"), 0, r, "L/f"));
	strcpy(path, "/L");
	for (int i = 0; i < 20; i++)
		strcat(path, "/d");
	CHECK_EQ(0, vh_at(strcat(path, "/l20"), 0, r, "L/f"));        /* 20 + 20 */
	path[strlen(path) - 2] = 0;
	CHECK_EQ(-ELOOP, vfs_stat(NULL, strcat(path, "21"), &st, 0));  /* 20 + 21 */
	CHECK_EQ(-ELOOP, vfs_stat(NULL, "/L/la", &st, 0));
	CHECK_EQ(-ELOOP, vfs_stat(NULL, "/L/self", &st, 0));
	CHECK_EQ(-ELOOP, vfs_stat(NULL, "/L/abs", &st, 0));
	CHECK_EQ(-ELOOP, vfs_stat(NULL, "/L/deeper", &st, 0));
	CHECK_EQ(-ELOOP, vfs_stat(NULL, "/L/la/x", &st, VFS_NOFOLLOW));
}

/* "/N//./././.../f": the shortest path to N/f of exactly len bytes (len odd
 * and at least 5, else one slash more). */
static char *padded_path(size_t len)
{
	char *p = malloc(len + 1);
	size_t pos = 0;

	pos += (size_t)sprintf(p, len % 2 ? "/N//" : "/N///");
	while (pos < len - 1) {
		memcpy(p + pos, "./", 2);
		pos += 2;
	}
	p[pos++] = 'f';
	p[pos] = 0;
	return p;
}

/* Components of 255 bytes work, 256 are ENAMETOOLONG (and never reach the
 * server); so are paths of 4096 bytes, while 4095 work. */
VH_CASE(walk_name_limits)
{
	struct virtio_fs *r = vh_root;
	char n255[256], n256[257], path[600];
	char *p4095 = padded_path(4095), *p4096 = padded_path(4096);
	struct file *f;
	struct stat st;

	memset(n255, 'n', 255);
	n255[255] = 0;
	memset(n256, 'm', 256);
	n256[256] = 0;
	fake_add_dir(r, "N", 0755);
	fake_add_file(r, "N/f", "x", 1);
	snprintf(path, sizeof path, "N/%s", n255);
	fake_add_file(r, path, "x", 1);

	snprintf(path, sizeof path, "/N/%s", n255);
	CHECK_EQ(0, vh_at(path, 0, r, path + 1));
	fake_log_clear(r);
	snprintf(path, sizeof path, "/N/%s", n256);
	CHECK_EQ(-ENAMETOOLONG, vfs_stat(NULL, path, &st, 0));
	CHECK_EQ(-ENAMETOOLONG, vfs_mkdir(NULL, path, 0755));
	CHECK_EQ(-ENAMETOOLONG, vfs_open(NULL, path, O_CREAT | O_WRONLY, 0644, &f));
	CHECK_EQ(-ENAMETOOLONG, vfs_symlink("f", NULL, path));
	CHECK_EQ(-ENAMETOOLONG, vfs_rename(NULL, "/N/f", NULL, path, 0));
	snprintf(path, sizeof path, "/N/%s/f", n256);
	CHECK_EQ(-ENAMETOOLONG, vfs_stat(NULL, path, &st, 0));
	CHECK_EQ(0, fake_log_count(r, FUSE_MKDIR) + fake_log_count(r, FUSE_CREATE) +
		    fake_log_count(r, FUSE_SYMLINK) + fake_log_count(r, FUSE_RENAME2));

	CHECK_EQ(4095, strlen(p4095));
	CHECK_EQ(4096, strlen(p4096));
	CHECK_EQ(0, vh_at(p4095, 0, r, "N/f"));
	CHECK_EQ(-ENAMETOOLONG, vfs_stat(NULL, p4096, &st, 0));
	CHECK_EQ(-ENAMETOOLONG, vfs_open(NULL, p4096, O_RDONLY, 0, &f));
	CHECK_EQ(-ENAMETOOLONG, vfs_mkdir(NULL, p4096, 0755));
	CHECK_EQ(-ENAMETOOLONG, vfs_unlink(NULL, p4096, 0));
	CHECK_EQ(-ENAMETOOLONG, vfs_symlink(p4096, NULL, "/N/toolong"));
	free(p4095);
	free(p4096);
}

/* Linux limits the path given and each symlink body to 4095 bytes, not what
 * they make spliced together: a 4095-byte target is followed, and so is a
 * long target in the middle of a long path. */
VH_CASE(BUG_symlink_splice_length)
{
	struct virtio_fs *r = vh_root;
	char *p4095 = padded_path(4095), *ldir = malloc(2300), *path = malloc(2100);
	char buf[4096];

	fake_add_dir(r, "N2", 0755);
	fake_add_file(r, "N2/f", "x", 1);
	p4095[2] = '2';                                 /* "/N2/./.../f" */
	p4095[3] = '/';
	CHECK_EQ(0, vh_at(p4095, 0, r, "N2/f"));
	CHECK_EQ(0, vfs_symlink(p4095, NULL, "/N2/long"));
	CHECK_EQ(4095, vfs_readlink(NULL, "/N2/long", buf, sizeof buf));
	CHECK_EQ(0, vh_at("/N2/long", 0, r, "N2/f"));

	strcpy(ldir, "/N2");                            /* 2203 bytes naming N2 */
	for (int i = 0; i < 1100; i++)
		strcat(ldir, "/.");
	fake_add_symlink(r, "N2/ldir", ldir);
	strcpy(path, "/N2/ldir");                       /* 2009 bytes */
	for (int i = 0; i < 1000; i++)
		strcat(path, "/.");
	strcat(path, "/f");
	CHECK_EQ(0, vh_at(path, 0, r, "N2/f"));
	free(p4095);
	free(ldir);
	free(path);
}

/* ---- open ---------------------------------------------------------------------- */

/* O_CREAT with and without O_EXCL, through dangling symlinks (the target is
 * created), with the umask; and the cases Linux refuses. */
VH_CASE(open_create)
{
	struct virtio_fs *r = vh_root;
	const struct fake_rec *rec;
	struct file *f;

	fake_add_dir(r, "c", 0755);
	fake_add_dir(r, "c/d", 0755);
	fake_add_file(r, "c/old", "old", 3);
	fake_add_symlink(r, "c/dl", "new1");
	fake_add_symlink(r, "c/dabs", "/c/new2");
	fake_add_symlink(r, "c/dchain", "dl2");
	fake_add_symlink(r, "c/dl2", "d/new3");
	fake_add_symlink(r, "c/dnodir", "nodir/x");
	fake_add_symlink(r, "c/dl4", "new4");

	fake_log_clear(r);
	CHECK_EQ(0, vfs_open(NULL, "/c/n", O_CREAT | O_EXCL | O_WRONLY, 0666, &f));
	CHECK_EQ(0, vfs_close(f));
	CHECK_EQ(S_IFREG | 0644, fake_mode(r, "c/n"));
	if (CHECK((rec = fake_log_find(r, FUSE_CREATE, 0)) != NULL)) {
		CHECK_STR("n", rec->name);
		CHECK_EQ(O_WRONLY, rec->flags & O_ACCMODE);
	}
	CHECK_EQ(-EEXIST, vfs_open(NULL, "/c/n", O_CREAT | O_EXCL | O_WRONLY, 0666, &f));
	CHECK_EQ(-EEXIST, vfs_open(NULL, "/c/dl", O_CREAT | O_EXCL | O_WRONLY, 0666, &f));
	CHECK_EQ(0, fake_node(r, "c/new1"));

	/* An existing file is opened, not created. */
	fake_log_clear(r);
	if ((f = vh_open("/c/old", O_CREAT | O_RDWR))) {
		CHECK_EQ(0, fake_log_count(r, FUSE_CREATE));
		CHECK_EQ(1, fake_log_count(r, FUSE_OPEN));
		CHECK_EQ(0, vfs_close(f));
	}
	CHECK(vh_data_is(r, "c/old", "old", 3));

	/* Through dangling symlinks, relative, absolute, chained. */
	if ((f = vh_open("/c/dl", O_CREAT | O_WRONLY))) {
		CHECK_EQ(1, vfs_write(f, "1", 1));
		CHECK_EQ(0, vfs_close(f));
	}
	CHECK(vh_data_is(r, "c/new1", "1", 1));
	CHECK_EQ(S_IFLNK | 0777, fake_mode(r, "c/dl"));
	if ((f = vh_open("/c/dabs", O_CREAT | O_WRONLY)))
		CHECK_EQ(0, vfs_close(f));
	CHECK_EQ(S_IFREG | 0644, fake_mode(r, "c/new2"));
	if ((f = vh_open("/c/dchain", O_CREAT | O_WRONLY)))
		CHECK_EQ(0, vfs_close(f));
	CHECK_EQ(S_IFREG | 0644, fake_mode(r, "c/d/new3"));
	CHECK_EQ(-ENOENT, vfs_open(NULL, "/c/dnodir", O_CREAT | O_WRONLY, 0644, &f));
	CHECK_EQ(0, fake_node(r, "c/nodir"));

	/* O_NOFOLLOW: a symlink there is ELOOP, dangling or not. */
	CHECK_EQ(-ELOOP, vfs_open(NULL, "/c/dl", O_CREAT | O_NOFOLLOW | O_WRONLY, 0644, &f));
	CHECK_EQ(-ELOOP, vfs_open(NULL, "/c/dl4", O_CREAT | O_NOFOLLOW | O_WRONLY, 0644, &f));
	CHECK_EQ(0, fake_node(r, "c/new4"));

	/* A trailing slash, a directory, "." or "/": EISDIR; with O_DIRECTORY:
	 * EINVAL; a missing directory: ENOENT. */
	CHECK_EQ(-EISDIR, vfs_open(NULL, "/c/new5/", O_CREAT | O_WRONLY, 0644, &f));
	CHECK_EQ(-EISDIR, vfs_open(NULL, "/c/old/", O_CREAT | O_WRONLY, 0644, &f));
	CHECK_EQ(-EISDIR, vfs_open(NULL, "/c/d", O_CREAT | O_RDONLY, 0644, &f));
	CHECK_EQ(-EISDIR, vfs_open(NULL, "/c/.", O_CREAT | O_RDONLY, 0644, &f));
	CHECK_EQ(-EISDIR, vfs_open(NULL, "/", O_CREAT | O_RDONLY, 0644, &f));
	CHECK_EQ(-EISDIR, vfs_open(NULL, "/mnt2", O_CREAT | O_RDONLY, 0644, &f));
	CHECK_EQ(-EINVAL, vfs_open(NULL, "/c/new6", O_CREAT | O_DIRECTORY | O_RDONLY, 0644, &f));
	CHECK_EQ(-ENOENT, vfs_open(NULL, "/c/nodir/x", O_CREAT | O_WRONLY, 0644, &f));
	CHECK_EQ(0, fake_node(r, "c/new5"));
}

static void host_creates(struct virtio_fs *d, void *path)
{
	fake_add_file(d, path, "host", 4);
}

/* O_CREAT|O_EXCL must fail if the file exists when it is created: Linux
 * sends O_EXCL in FUSE_CREATE, so a host process creating the name between
 * the guest's LOOKUP and CREATE makes open fail with EEXIST. */
VH_CASE(BUG_create_excl_not_sent)
{
	const struct fake_rec *rec;
	struct file *f;
	int err;

	fake_add_dir(vh_root, "cx", 0755);
	fake_log_clear(vh_root);
	fake_hook_next(vh_root, FUSE_CREATE, host_creates, "cx/race");
	err = vfs_open(NULL, "/cx/race", O_CREAT | O_EXCL | O_WRONLY, 0644, &f);
	if (err == 0)
		vfs_close(f);
	CHECK_EQ(-EEXIST, err);
	if (CHECK((rec = fake_log_find(vh_root, FUSE_CREATE, 0)) != NULL))
		CHECK_EQ(O_EXCL, rec->flags & O_EXCL);
	CHECK(vh_data_is(vh_root, "cx/race", "host", 4));
}

/* O_DIRECTORY, O_NOFOLLOW, O_PATH, access modes, FIFOs, and dup. */
VH_CASE(open_flags)
{
	struct virtio_fs *r = vh_root;
	struct file *f, *g;
	struct stat st;
	char buf[8];

	fake_add_dir(r, "o", 0755);
	fake_add_file(r, "o/f", "0123456789", 10);
	fake_add_symlink(r, "o/lnk", "f");
	fake_add_symlink(r, "o/ldir", ".");
	fake_add_fifo(r, "o/fifo");

	CHECK_EQ(-ENOTDIR, vfs_open(NULL, "/o/f", O_DIRECTORY | O_RDONLY, 0, &f));
	CHECK_EQ(-ENOTDIR, vfs_open(NULL, "/o/lnk", O_DIRECTORY | O_RDONLY, 0, &f));
	CHECK_EQ(-ENOTDIR, vfs_open(NULL, "/o/ldir", O_DIRECTORY | O_NOFOLLOW | O_RDONLY, 0, &f));
	if ((f = vh_open("/o/ldir", O_DIRECTORY | O_RDONLY)))
		CHECK_EQ(0, vfs_close(f));
	CHECK_EQ(-EISDIR, vfs_open(NULL, "/o", O_WRONLY, 0, &f));
	CHECK_EQ(-EISDIR, vfs_open(NULL, "/o", O_RDWR, 0, &f));
	CHECK_EQ(-EISDIR, vfs_open(NULL, "/o", O_RDONLY | O_TRUNC, 0, &f));
	CHECK_EQ(-ELOOP, vfs_open(NULL, "/o/lnk", O_NOFOLLOW | O_RDONLY, 0, &f));
	if ((f = vh_open("/o/ldir/f", O_NOFOLLOW | O_RDONLY)))
		CHECK_EQ(0, vfs_close(f));
	CHECK_EQ(-EINVAL, vfs_open(NULL, "/o/f", O_ACCMODE, 0, &f));
	CHECK_EQ(-ENXIO, vfs_open(NULL, "/o/fifo", O_WRONLY | O_NONBLOCK, 0, &f));

	/* O_PATH: no OPEN, FLUSH or RELEASE; only fstat and *at() use it. */
	fake_log_clear(r);
	if ((f = vh_open("/o/f", O_PATH))) {
		CHECK_EQ(-EBADF, vfs_read(f, buf, 1));
		CHECK_EQ(-EBADF, vfs_write(f, "x", 1));
		CHECK_EQ(-EBADF, vfs_lseek(f, 0, SEEK_SET));
		CHECK_EQ(-EBADF, vfs_fsync(f, false));
		CHECK_EQ(0, vfs_fstat(f, &st));
		CHECK_EQ(10, st.st_size);
		CHECK_EQ(0, vfs_stat(f, "", &st, VFS_EMPTY_PATH));
		CHECK_EQ(FAKE_INO(fake_node(r, "o/f")), st.st_ino);
		CHECK_EQ(-ENOTDIR, vfs_stat(f, "x", &st, 0));
		CHECK_EQ(-ENOENT, vfs_stat(f, "", &st, 0));     /* without VFS_EMPTY_PATH */
		CHECK_EQ(0, vfs_close(f));
	}
	if ((f = vh_open("/o/lnk", O_PATH | O_NOFOLLOW))) {
		CHECK_EQ(0, vfs_fstat(f, &st));
		CHECK_EQ(S_IFLNK | 0777, st.st_mode);
		CHECK_EQ(0, vfs_close(f));
	}
	if ((f = vh_open("/o", O_PATH | O_DIRECTORY))) {
		CHECK_EQ(-EBADF, vfs_getdents(f, buf, sizeof buf));
		CHECK_EQ(0, vfs_close(f));
	}
	if ((f = vh_open("/o/fifo", O_PATH)))
		CHECK_EQ(0, vfs_close(f));
	CHECK_EQ(0, fake_log_count(r, FUSE_OPEN) + fake_log_count(r, FUSE_OPENDIR) +
		    fake_log_count(r, FUSE_FLUSH) + fake_log_count(r, FUSE_RELEASE));

	/* dup: one offset; FLUSH on every close, RELEASE on the last. */
	if (!(f = vh_open("/o/f", O_RDONLY)))
		return;
	g = vfs_file_dup(f);
	fake_log_clear(r);
	CHECK_EQ(3, vfs_read(g, buf, 3));
	CHECK_EQ(3, vfs_read(f, buf + 3, 3));
	CHECK(memcmp(buf, "012345", 6) == 0);
	CHECK_EQ(0, vfs_close(g));
	CHECK_EQ(1, fake_log_count(r, FUSE_FLUSH));
	CHECK_EQ(0, fake_log_count(r, FUSE_RELEASE));
	CHECK_EQ(6, vfs_lseek(f, 0, SEEK_CUR));
	CHECK_EQ(0, vfs_close(f));
	CHECK_EQ(2, fake_log_count(r, FUSE_FLUSH));
	CHECK_EQ(1, fake_log_count(r, FUSE_RELEASE));
}

/* O_TRUNC in OPEN when the server offers atomic O_TRUNC, else a SETATTR
 * of the size through the new handle; O_APPEND writes at the end the host
 * sees and leaves the offset after them; pwrite on O_APPEND appends. mnt is
 * the mount point ("" for the root). */
static void trunc_append(struct virtio_fs *d, const char *mnt, bool atomic)
{
	const struct fake_rec *rec;
	struct file *f, *g;
	char path[64];

	snprintf(path, sizeof path, "%s/ta/t", mnt);
	fake_add_dir(d, "ta", 0755);
	fake_add_file(d, "ta/t", "abcdef", 6);
	fake_log_clear(d);
	if ((f = vh_open(path, O_RDWR | O_TRUNC))) {
		if (CHECK((rec = fake_log_find(d, FUSE_OPEN, 0)) != NULL))
			CHECK_EQ(atomic ? O_TRUNC : 0, rec->flags & O_TRUNC);
		if (!atomic && CHECK((rec = fake_log_find(d, FUSE_SETATTR, 0)) != NULL)) {
			CHECK_EQ(FATTR_SIZE | FATTR_FH, rec->size & (FATTR_SIZE | FATTR_FH));
			CHECK_EQ(0, rec->off);
		}
		CHECK(vh_data_is(d, "ta/t", "", 0));
		CHECK_EQ(0, vfs_close(f));
	}

	fake_remove(d, "ta/t");
	fake_add_file(d, "ta/t", "12345", 5);
	if (!(f = vh_open(path, O_WRONLY | O_APPEND)))
		return;
	if (!(g = vh_open(path, O_WRONLY))) {
		vfs_close(f);
		return;
	}
	CHECK_EQ(0, vfs_lseek(f, 0, SEEK_SET));
	CHECK_EQ(3, vfs_write(f, "abc", 3));
	CHECK_EQ(8, vfs_lseek(f, 0, SEEK_CUR));
	CHECK_EQ(4, vfs_pwrite(g, "XYZW", 4, 8));       /* another writer */
	CHECK_EQ(1, vfs_write(f, "!", 1));
	CHECK_EQ(13, vfs_lseek(f, 0, SEEK_CUR));
	CHECK_EQ(1, vfs_pwrite(f, "P", 1, 0));
	CHECK_EQ(13, vfs_lseek(f, 0, SEEK_CUR));
	CHECK(vh_data_is(d, "ta/t", "12345abcXYZW!P", 14));
	CHECK_EQ(O_WRONLY | O_APPEND, vfs_file_flags(f) & (O_ACCMODE | O_APPEND));
	CHECK_EQ(0, vfs_close(g));
	CHECK_EQ(0, vfs_close(f));
}

VH_CASE(open_trunc_append)
{
	trunc_append(vh_root, "", true);
	trunc_append(vh_two, "/mnt2", false);
}

/* ---- I/O ------------------------------------------------------------------------ */

/* Write then read n bytes at off through the mount at mnt, whose requests
 * carry at most wmax/rmax bytes: one request per piece, each at the right
 * offset, each naming the caller's own buffer at the right place (zero
 * copy), and the bytes where they belong. */
static void chunked_io(struct virtio_fs *d, const char *mnt, size_t n, uint64_t off, uint32_t wmax,
		       uint32_t rmax)
{
	uint8_t *w = malloc(n), *rd = malloc(n + 100);
	const struct fake_rec *rec;
	const uint8_t *data;
	size_t len, pieces;
	char path[64];
	struct file *f;

	for (size_t i = 0; i < n; i++)
		w[i] = (uint8_t)(i * 7 + 3 + i / 251);
	fake_add_dir(d, "io", 0755);
	fake_add_file(d, "io/big", NULL, 0);
	snprintf(path, sizeof path, "%s/io/big", mnt);
	if (!(f = vh_open(path, O_RDWR)))
		goto out;

	fake_log_clear(d);
	CHECK_EQ(n, vfs_pwrite(f, w, n, (off_t)off));
	pieces = (n + wmax - 1) / wmax;
	CHECK_EQ(pieces, fake_log_count(d, FUSE_WRITE));
	for (size_t k = 0; k < pieces && (rec = fake_log_find(d, FUSE_WRITE, (int)k)); k++) {
		uint32_t want = (uint32_t)(n - k * wmax < wmax ? n - k * wmax : wmax);

		CHECK_EQ(off + k * wmax, rec->off);
		CHECK_EQ(want, rec->size);
		CHECK_EQ(want, rec->data_len);
		CHECK(rec->data == w + k * wmax);
	}
	data = fake_data(d, "io/big", &len);
	if (CHECK(data != NULL) && CHECK_EQ(off + n, len)) {
		size_t z = 0;

		while (z < off && data[z] == 0)
			z++;
		CHECK_EQ(off, z);
		CHECK(memcmp(data + off, w, n) == 0);
	}

	/* n + 100 asked: the last piece comes back short (end of file). */
	fake_log_clear(d);
	memset(rd, 0xee, n + 100);
	CHECK_EQ(n, vfs_pread(f, rd, n + 100, (off_t)off));
	pieces = n / rmax + 1;                  /* up to the first short piece */
	if (pieces > (n + 100 + rmax - 1) / rmax)
		pieces = (n + 100 + rmax - 1) / rmax;
	CHECK_EQ(pieces, fake_log_count(d, FUSE_READ));
	for (size_t k = 0; (rec = fake_log_find(d, FUSE_READ, (int)k)); k++) {
		uint32_t want = (uint32_t)(n + 100 - k * rmax < rmax ? n + 100 - k * rmax : rmax);

		CHECK_EQ(off + k * rmax, rec->off);
		CHECK_EQ(want, rec->size);
		CHECK_EQ(want, rec->data_len);
		CHECK(rec->data == rd + k * rmax);
	}
	CHECK(memcmp(rd, w, n) == 0);
	CHECK_EQ(0xee, rd[n]);
	CHECK_EQ(0, vfs_pread(f, rd, 10, (off_t)(off + n)));
	CHECK_EQ(0, vfs_pread(f, rd, 10, (off_t)1 << 50));

	/* read(2)/write(2) move the offset by what they did. */
	CHECK_EQ(3, vfs_lseek(f, 3, SEEK_SET));
	CHECK_EQ(5, vfs_write(f, "hello", 5));
	CHECK_EQ(8, vfs_lseek(f, 0, SEEK_CUR));
	CHECK_EQ(0, vfs_lseek(f, 0, SEEK_SET));
	CHECK_EQ(9, vfs_read(f, rd, 9));
	data = fake_data(d, "io/big", &len);
	CHECK(data && memcmp(data + 3, "hello", 5) == 0 && memcmp(rd, data, 9) == 0);
	CHECK_EQ(9, vfs_lseek(f, 0, SEEK_CUR));
	CHECK_EQ((off_t)(off + n), vfs_lseek(f, 0, SEEK_END));
	CHECK_EQ(0, vfs_read(f, rd, 9));
	CHECK_EQ(0, vfs_close(f));
out:
	free(w);
	free(rd);
}

VH_CASE(io_chunks_1mib)
{
	chunked_io(vh_root, "", (5 * MiB) / 2 + 7, 4097, MiB, MiB);
}

VH_CASE(io_chunks_small)
{
	chunked_io(vh_two, "/mnt2", 30001, 3, 5000, 3 * 4096);
}

/* Access modes, bad offsets, empty I/O, fsync, fallocate, truncate,
 * chmod, statfs, access. */
VH_CASE(io_errors_and_attrs)
{
	struct virtio_fs *r = vh_root;
	struct vfs_attr a = { 0 };
	const struct fake_rec *rec;
	struct file *ro, *wo, *dir;
	struct statfs sf;
	struct stat st;
	char buf[16];

	fake_add_dir(r, "e", 0755);
	fake_add_file(r, "e/f", "0123456789", 10);
	if (!(ro = vh_open("/e/f", O_RDONLY)) || !(wo = vh_open("/e/f", O_WRONLY)) ||
	    !(dir = vh_open("/e", O_RDONLY | O_DIRECTORY)))
		return;
	fake_log_clear(r);
	CHECK_EQ(-EBADF, vfs_read(wo, buf, 1));
	CHECK_EQ(-EBADF, vfs_write(ro, "x", 1));
	CHECK_EQ(-EISDIR, vfs_read(dir, buf, 1));
	CHECK_EQ(-EBADF, vfs_write(dir, "x", 1));
	CHECK_EQ(-EINVAL, vfs_pread(ro, buf, 1, -1));
	CHECK_EQ(-EINVAL, vfs_pwrite(wo, "x", 1, -1));
	CHECK_EQ(-EINVAL, vfs_pwrite(wo, "xyz", 3, INT64_MAX - 1));    /* Linux: the range overflows */
	CHECK_EQ(-EINVAL, vfs_pread(ro, buf, 3, INT64_MAX - 1));
	CHECK_EQ(0, vfs_read(ro, buf, 0));
	CHECK_EQ(0, vfs_write(wo, buf, 0));
	CHECK_EQ(0, fake_log_count(r, FUSE_READ) + fake_log_count(r, FUSE_WRITE));

	CHECK_EQ(0, vfs_fsync(wo, true));
	if (CHECK((rec = fake_log_find(r, FUSE_FSYNC, 0)) != NULL))
		CHECK_EQ(FUSE_FSYNC_FDATASYNC, rec->flags);
	CHECK_EQ(0, vfs_fsync(dir, false));
	CHECK_EQ(1, fake_log_count(r, FUSE_FSYNCDIR));

	CHECK_EQ(-EBADF, vfs_fallocate(ro, 0, 0, 100));
	CHECK_EQ(-EINVAL, vfs_fallocate(wo, 0, 0, 0));
	CHECK_EQ(-EINVAL, vfs_fallocate(wo, 0, -1, 10));
	CHECK_EQ(0, vfs_fallocate(wo, 0, 0, 100));
	CHECK_EQ(0, vfs_fstat(ro, &st));
	CHECK_EQ(100, st.st_size);
	fake_enosys(r, FUSE_FALLOCATE, true);
	CHECK_EQ(-EOPNOTSUPP, vfs_fallocate(wo, 0, 0, 200));
	fake_enosys(r, FUSE_FALLOCATE, false);

	a.valid = VFS_ATTR_SIZE;
	a.size = 4;
	CHECK_EQ(-EINVAL, vfs_fsetattr(ro, &a));        /* ftruncate on O_RDONLY */
	CHECK_EQ(0, vfs_fsetattr(wo, &a));
	CHECK(vh_data_is(r, "e/f", "0123", 4));
	a.size = 2;
	CHECK_EQ(0, vfs_setattr(NULL, "/e/f", &a, 0));   /* truncate(2) */
	CHECK(vh_data_is(r, "e/f", "01", 2));
	CHECK_EQ(-EISDIR, vfs_setattr(NULL, "/e", &a, 0));
	a.size = -1;
	CHECK_EQ(-EINVAL, vfs_setattr(NULL, "/e/f", &a, 0));
	a = (struct vfs_attr){ .valid = VFS_ATTR_MODE, .mode = 0600 };
	CHECK_EQ(0, vfs_setattr(NULL, "/e/f", &a, 0));
	CHECK_EQ(S_IFREG | 0600, fake_mode(r, "e/f"));

	CHECK_EQ(0, vfs_statfs(NULL, "/e/f", &sf));
	CHECK_EQ(0x65735546, sf.f_type);
	CHECK_EQ(255, sf.f_namelen);
	CHECK_EQ(0, vfs_fstatfs(ro, &sf));
	CHECK_EQ(0, vfs_access(NULL, "/e/f", R_OK | W_OK, 0));
	CHECK_EQ(-EACCES, vfs_access(NULL, "/e/f", X_OK, 0));
	CHECK_EQ(0, vfs_access(NULL, "/e", X_OK, 0));
	CHECK_EQ(-ENOENT, vfs_access(NULL, "/e/nope", F_OK, 0));
	CHECK_EQ(-EINVAL, vfs_access(NULL, "/e/f", 8, 0));
	CHECK_EQ(0, vfs_close(ro));
	CHECK_EQ(0, vfs_close(wo));
	CHECK_EQ(0, vfs_close(dir));
}

/* SEEK_SET/CUR/END and their errors; SEEK_DATA/HOLE from the server's
 * LSEEK, or (LSEEK unsupported) the whole file as data. */
VH_CASE(lseek_whence)
{
	struct virtio_fs *r = vh_root;
	struct vfs_attr a = { .valid = VFS_ATTR_SIZE, .size = 5 * 4096 };
	struct file *f, *dir;

	fake_add_dir(r, "sk", 0755);
	if (!(f = vh_open("/sk/h", O_CREAT | O_RDWR)))
		return;
	/* Blocks: 0 data, 1 hole, 2 data, 3 and 4 holes; 20480 bytes. */
	CHECK_EQ(1, vfs_pwrite(f, "A", 1, 0));
	CHECK_EQ(10, vfs_pwrite(f, "0123456789", 10, 2 * 4096 + 5));
	CHECK_EQ(0, vfs_fsetattr(f, &a));

	CHECK_EQ(0, vfs_lseek(f, 0, SEEK_DATA));
	CHECK_EQ(1, vfs_lseek(f, 1, SEEK_DATA));
	CHECK_EQ(4096, vfs_lseek(f, 0, SEEK_HOLE));
	CHECK_EQ(8192, vfs_lseek(f, 4096, SEEK_DATA));
	CHECK_EQ(8192, vfs_lseek(f, 0, SEEK_CUR));
	CHECK_EQ(8192, vfs_lseek(f, 5000, SEEK_DATA));
	CHECK_EQ(12288, vfs_lseek(f, 8200, SEEK_HOLE));
	CHECK_EQ(-ENXIO, vfs_lseek(f, 12288, SEEK_DATA));
	CHECK_EQ(12288, vfs_lseek(f, 12288, SEEK_HOLE));
	CHECK_EQ(20479, vfs_lseek(f, 20479, SEEK_HOLE));
	CHECK_EQ(-ENXIO, vfs_lseek(f, 20480, SEEK_DATA));
	CHECK_EQ(-ENXIO, vfs_lseek(f, 20480, SEEK_HOLE));
	CHECK_EQ(-ENXIO, vfs_lseek(f, -1, SEEK_DATA));
	CHECK_EQ(20479, vfs_lseek(f, 0, SEEK_CUR));     /* errors leave it */

	CHECK_EQ(-EINVAL, vfs_lseek(f, -1, SEEK_SET));
	CHECK_EQ(100, vfs_lseek(f, 100, SEEK_SET));
	CHECK_EQ(90, vfs_lseek(f, -10, SEEK_CUR));
	CHECK_EQ(-EINVAL, vfs_lseek(f, -91, SEEK_CUR));
	CHECK_EQ(20475, vfs_lseek(f, -5, SEEK_END));
	CHECK_EQ(-EINVAL, vfs_lseek(f, -30000, SEEK_END));
	CHECK_EQ(-EINVAL, vfs_lseek(f, 0, 7));
	CHECK_EQ((off_t)1 << 40, vfs_lseek(f, (off_t)1 << 40, SEEK_SET));

	fake_enosys(r, FUSE_LSEEK, true);
	CHECK_EQ(4100, vfs_lseek(f, 4100, SEEK_DATA));
	CHECK_EQ(20480, vfs_lseek(f, 4100, SEEK_HOLE));
	CHECK_EQ(-ENXIO, vfs_lseek(f, 20480, SEEK_DATA));
	fake_enosys(r, FUSE_LSEEK, false);
	CHECK_EQ(0, vfs_close(f));

	if (!(dir = vh_open("/sk", O_RDONLY)))
		return;
	CHECK_EQ(-EINVAL, vfs_lseek(dir, 0, SEEK_DATA));
	CHECK_EQ(-EINVAL, vfs_lseek(dir, -1, SEEK_SET));
	CHECK_EQ(0, vfs_close(dir));
}

/* Linux computes a SEEK_CUR or SEEK_END target in loff_t and refuses one
 * that wrapped negative with EINVAL (generic_file_llseek_size ->
 * vfs_setpos); it does not return EOVERFLOW on x86_64. */
VH_CASE(BUG_lseek_overflow_errno)
{
	struct file *f;

	fake_add_file(vh_root, "skov", "0123456789", 10);
	if (!(f = vh_open("/skov", O_RDONLY)))
		return;
	CHECK_EQ(5, vfs_lseek(f, 5, SEEK_SET));
	CHECK_EQ(-EINVAL, vfs_lseek(f, INT64_MAX, SEEK_CUR));
	CHECK_EQ(-EINVAL, vfs_lseek(f, INT64_MAX, SEEK_END));
	CHECK_EQ(5, vfs_lseek(f, 0, SEEK_CUR));
	CHECK_EQ(0, vfs_close(f));
}

/* ---- Directories ---------------------------------------------------------------- */

/* getdents with room for no record is EINVAL; with room for exactly one it
 * returns that one; the next call continues after it; lseek to a record's
 * d_off (seekdir) continues after that record. */
static void small_buffers(struct virtio_fs *d, const char *mnt)
{
	static const char name40[] = "a-rather-long-name-of-exactly-40-bytes..";
	uint8_t buf[256];
	char path[64];
	struct file *f;
	int64_t after_dot;

	fake_add_dir(d, "g", 0755);
	snprintf(path, sizeof path, "g/%s", name40);
	fake_add_file(d, path, "x", 1);
	snprintf(path, sizeof path, "%s/g", mnt);
	if (!(f = vh_open(path, O_RDONLY | O_DIRECTORY)))
		return;
	CHECK_EQ(-EINVAL, vfs_getdents(f, buf, 0));
	CHECK_EQ(-EINVAL, vfs_getdents(f, buf, 23));            /* "." takes 24 */
	CHECK_EQ(24, vfs_getdents(f, buf, 24));
	CHECK_STR(".", (char *)buf + 19);
	memcpy(&after_dot, buf + 8, 8);
	CHECK_EQ(24, vfs_getdents(f, buf, 24 + 23));
	CHECK_STR("..", (char *)buf + 19);
	CHECK_EQ(-EINVAL, vfs_getdents(f, buf, 63));           /* 19 + 41 -> 64 */
	CHECK_EQ(64, vfs_getdents(f, buf, 64));
	CHECK_STR(name40, (char *)buf + 19);
	CHECK_EQ(8, buf[18]);                                   /* DT_REG */
	CHECK_EQ(0, vfs_getdents(f, buf, sizeof buf));
	CHECK_EQ(0, vfs_getdents(f, buf, sizeof buf));
	CHECK_EQ(0, vfs_lseek(f, 0, SEEK_SET));
	CHECK_EQ(24 + 24 + 64, vfs_getdents(f, buf, sizeof buf));
	CHECK_EQ(after_dot, vfs_lseek(f, after_dot, SEEK_SET));
	CHECK_EQ(24 + 64, vfs_getdents(f, buf, sizeof buf));
	CHECK_STR("..", (char *)buf + 19);
	CHECK_EQ(0, vfs_close(f));
	snprintf(path, sizeof path, "%s/g/%s", mnt, name40);
	if ((f = vh_open(path, O_RDONLY))) {
		CHECK_EQ(-ENOTDIR, vfs_getdents(f, buf, sizeof buf));
		CHECK_EQ(0, vfs_close(f));
	}
}

VH_CASE(getdents_small_buffer)
{
	small_buffers(vh_root, "");
	small_buffers(vh_two, "/mnt2");
}

#define BIG_N 300

struct seen {
	int n[BIG_N];
	int dot, dotdot, bad;
};

/* Entry i of the big directory: files, every 10th a directory, every 15th
 * (not 10th) a symlink; names of 5 to 65 bytes. */
static void big_name(int i, char *buf)
{
	int len = sprintf(buf, "e%03d-", i);

	memset(buf + len, 'x', (size_t)(i % 61));
	buf[len + i % 61] = 0;
}

static unsigned big_type(int i)
{
	return i % 10 == 0 ? 4 : i % 15 == 0 ? 10 : 8;
}

static void see(const char *name, unsigned type, void *ctx)
{
	struct seen *s = ctx;
	char want[80];
	int i;

	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		*(strlen(name) == 1 ? &s->dot : &s->dotdot) += 1;
		if (type != 4)
			s->bad++;
		return;
	}
	i = atoi(name + 1);
	if (name[0] != 'e' || i < 0 || i >= BIG_N) {
		s->bad++;
		return;
	}
	big_name(i, want);
	if (strcmp(name, want) || type != big_type(i))
		s->bad++;
	else
		s->n[i]++;
}

/* A directory spanning many READDIR(PLUS) replies: every name exactly once,
 * with its type, with small and large getdents buffers. */
static void large_dir(struct virtio_fs *d, const char *mnt, uint32_t op)
{
	char name[96], path[64];
	struct file *f;
	struct seen s;

	fake_add_dir(d, "big", 0755);
	for (int i = 0; i < BIG_N; i++) {
		big_name(i, name + sprintf(name, "big/"));
		if (big_type(i) == 4)
			fake_add_dir(d, name, 0755);
		else if (big_type(i) == 10)
			fake_add_symlink(d, name, "target");
		else
			fake_add_file(d, name, "x", 1);
	}
	snprintf(path, sizeof path, "%s/big", mnt);
	if (!(f = vh_open(path, O_RDONLY | O_DIRECTORY)))
		return;
	for (size_t bufsize = 700; bufsize <= 65536; bufsize *= 93) {
		memset(&s, 0, sizeof s);
		fake_log_clear(d);
		CHECK_EQ(0, vfs_lseek(f, 0, SEEK_SET));
		CHECK_EQ(BIG_N + 2, list_dir(f, bufsize, see, &s));
		CHECK_EQ(0, s.bad);
		CHECK_EQ(1, s.dot);
		CHECK_EQ(1, s.dotdot);
		for (int i = 0; i < BIG_N; i++)
			if (s.n[i] != 1 && !CHECK_EQ(1, s.n[i]))
				fprintf(stderr, "    entry %d seen %d times (buffer %zu)\n", i, s.n[i], bufsize);
		CHECK(fake_log_count(d, op) >= 4);
		CHECK_EQ(0, fake_log_count(d, op == FUSE_READDIR ? FUSE_READDIRPLUS : FUSE_READDIR));
	}
	CHECK_EQ(0, vfs_close(f));
}

VH_CASE(getdents_large_dir_readdirplus)
{
	large_dir(vh_root, "", FUSE_READDIRPLUS);
}

VH_CASE(getdents_large_dir_readdir)
{
	large_dir(vh_two, "/mnt2", FUSE_READDIR);
}

int main(void)
{
	vh_init();
	RUN(walk_dots);
	RUN(walk_symlinks);
	RUN(walk_symlink_limits);
	RUN(walk_name_limits);
	RUN(BUG_symlink_splice_length);
	RUN(open_create);
	RUN(BUG_create_excl_not_sent);
	RUN(open_flags);
	RUN(open_trunc_append);
	RUN(io_chunks_1mib);
	RUN(io_chunks_small);
	RUN(io_errors_and_attrs);
	RUN(lseek_whence);
	RUN(BUG_lseek_overflow_errno);
	RUN(getdents_small_buffer);
	RUN(getdents_large_dir_readdirplus);
	RUN(getdents_large_dir_readdir);
	return CHECK_DONE();
}
