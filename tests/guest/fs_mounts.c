/*
 * fs_mounts: a second virtio-fs device mounted at /mnt2 (kernel option
 * mount=TAG2:/mnt2). The harness shares two host directories:
 *   root:   rootmarker, rootfile, mnt2/covered (hidden by the mount)
 *   second: hello.txt, x, sub/deep
 * The guest reads and writes through the mount, checks EXDEV across it,
 * "..", getcwd, and that the covered directory stays hidden; the harness
 * then checks that the write landed in the second share only.
 *
 *   tests/fs/run-tests mounts
 */
#include <stdint.h>
#include <string.h>

#include "fs/vfs.h"
#include "kernel/kprintf.h"
#include "kernel/selftest.h"
#include "tests/guest/check.h"
#include "tests/guest/fstest.h"

#define E CHECK_ERR_SOFT

static void case_read_second(void)
{
	static const char want[] = "from the second share\n";
	char buf[64];

	CHECK_INT(sizeof(want) - 1, fstest_read_file("/mnt2/hello.txt", buf, sizeof(buf)));
	CHECK_BYTES(want, buf, sizeof(want) - 1);
}

static void case_covered_hidden(void)
{
	static unsigned char buf[4096];
	struct file *d;
	struct stat st;
	ssize_t n;
	int names = 0;

	CHECK_ERR(-ENOENT, vfs_stat(NULL, "/mnt2/covered", &st, 0));
	CHECK_ERR(0, vfs_open(NULL, "/mnt2", O_RDONLY | O_DIRECTORY, 0, &d));
	while ((n = vfs_getdents(d, buf, sizeof(buf))) > 0) {
		for (ssize_t pos = 0; pos < n; pos += *(uint16_t *)(buf + pos + 16)) {
			const char *name = (const char *)buf + pos + 19;
			CHECK_THAT(strcmp(name, "covered"), "expected /mnt2 to list the second share, saw \"covered\"");
			names += !strcmp(name, "hello.txt") || !strcmp(name, "sub") || !strcmp(name, "x");
		}
	}
	vfs_close(d);
	CHECK_INT(0, n);
	CHECK_INT(3, names);
}

static void case_write_second(void)
{
	static const char msg[] = "written from the guest\n";

	CHECK_ERR(0, fstest_write_file("/mnt2/written.txt", 0644, msg, sizeof(msg) - 1));
	CHECK_ERR(0, vfs_mkdir(NULL, "/mnt2/newdir", 0755));
	CHECK_ERR(0, fstest_write_file("/mnt2/newdir/f", 0600, "f", 1));
}

static void case_exdev(void)
{
	struct stat st;

	E(-EXDEV, vfs_rename(NULL, "/mnt2/x", NULL, "/x2", 0));
	E(-EXDEV, vfs_rename(NULL, "/rootfile", NULL, "/mnt2/rootfile", 0));
	E(-EXDEV, vfs_rename(NULL, "/rootfile", NULL, "/mnt2/x", RENAME_EXCHANGE));
	E(-EXDEV, vfs_rename(NULL, "/mnt2/sub", NULL, "/sub2", 0));
	E(-EXDEV, vfs_link(NULL, "/mnt2/x", NULL, "/xlink", 0));
	E(-EXDEV, vfs_link(NULL, "/rootfile", NULL, "/mnt2/rootlink", 0));
	E(0, vfs_stat(NULL, "/mnt2/x", &st, 0));
	E(0, vfs_stat(NULL, "/rootfile", &st, 0));
}

/* The mount point itself. */
static void case_mount_point(void)
{
	E(-EBUSY, vfs_rmdir(NULL, "/mnt2"));
	E(-EBUSY, vfs_rename(NULL, "/mnt2", NULL, "/mnt3", 0));
	E(-EEXIST, vfs_mkdir(NULL, "/mnt2", 0755));
}

static void case_dotdot(void)
{
	struct stat root, up, m, sub;

	CHECK_ERR(0, vfs_stat(NULL, "/", &root, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/mnt2/..", &up, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/mnt2", &m, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/mnt2/sub/../..", &sub, 0));
	CHECK_INT(root.st_ino, up.st_ino);
	CHECK_INT(root.st_dev, up.st_dev);
	CHECK_INT(root.st_ino, sub.st_ino);
	CHECK_THAT(m.st_dev != root.st_dev, "expected /mnt2 on another st_dev than /, saw both %lu",
		   (unsigned long)m.st_dev);
	CHECK_ERR(0, vfs_stat(NULL, "/mnt2/../rootmarker", &up, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/mnt2/./sub/../../mnt2/hello.txt", &up, 0));
}

static void case_getcwd(void)
{
	char cwd[64];
	struct stat st;

	CHECK_ERR(0, vfs_chdir(NULL, "/mnt2/sub"));
	CHECK_INT(sizeof("/mnt2/sub"), vfs_getcwd(cwd, sizeof(cwd)));
	CHECK_STR("/mnt2/sub", cwd);
	CHECK_ERR(0, vfs_stat(NULL, "deep", &st, 0));
	CHECK_ERR(0, vfs_stat(NULL, "../../rootmarker", &st, 0));
	CHECK_ERR(0, vfs_chdir(NULL, ".."));
	CHECK_INT(sizeof("/mnt2"), vfs_getcwd(cwd, sizeof(cwd)));
	CHECK_STR("/mnt2", cwd);
	CHECK_ERR(0, vfs_chdir(NULL, ".."));
	CHECK_INT(sizeof("/"), vfs_getcwd(cwd, sizeof(cwd)));
	CHECK_STR("/", cwd);
	CHECK_ERR(0, vfs_stat(NULL, "rootmarker", &st, 0));
}

static int run(const struct cmdline *cl)
{
	check_begin(cl, "fs_mounts");
	CHECK_RUN(read_second);
	CHECK_RUN(covered_hidden);
	CHECK_RUN(write_second);
	CHECK_RUN(exdev);
	CHECK_RUN(mount_point);
	CHECK_RUN(dotdot);
	CHECK_RUN(getcwd);
	return check_end();
}
SELFTEST_SUITE("fs_mounts", run);
