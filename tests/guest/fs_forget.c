/*
 * fs_forget: the kernel hands back every lookup it made (batched FORGETs),
 * so virtiofsd closes the host file descriptor it keeps per node. The
 * harness pre-creates /forget/f00000 ... f09999 and counts the open fds
 * of the virtiofsd process that serves, each time the guest pauses:
 *   fstest: PAUSE fdbase    before anything: the baseline
 *   fstest: PAUSE fdheld    200 files held open: the count must have risen
 *                           (proves the harness counts the right process)
 *   fstest: PAUSE fdcount   after opening and closing all 10 000: back to
 *                           within ~100 of the baseline (FORGETs go out in
 *                           batches of up to 64, so some may still wait)
 * and answers each pause with a newline on the console.
 *
 *   tests/fs/run-tests forget
 */
#include <stdint.h>
#include <string.h>

#include "fs/vfs.h"
#include "fs/vnode.h"
#include "fs/virtiofs/fuse_conn.h"
#include "fs/virtiofs/virtiofs.h"
#include "kernel/kprintf.h"
#include "kernel/selftest.h"
#include "tests/guest/check.h"
#include "tests/guest/fstest.h"

#define NFILES 10000
#define NHELD  200

static int vnodes_base;

static void name_of(char *buf, size_t n, int i)
{
	ksnprintf(buf, n, "/forget/f%05d", i);
}

static void case_baseline(void)
{
	vnodes_base = vnode_count();
	fstest_pause("fdbase");
}

static void case_hold_open(void)
{
	static struct file *held[NHELD];
	char path[32];
	int i, err = 0;

	for (i = 0; i < NHELD; i++) {
		name_of(path, sizeof(path), i);
		if ((err = vfs_open(NULL, path, O_RDONLY, 0, &held[i])) != 0)
			break;
	}
	if (!err)
		fstest_pause("fdheld");
	while (i-- > 0)
		vfs_close(held[i]);
	CHECK_ERR(0, err);
}

static void case_getdents(void)
{
	static unsigned char buf[16384];
	struct file *d;
	ssize_t n;
	int entries = 0;

	CHECK_ERR(0, vfs_open(NULL, "/forget", O_RDONLY | O_DIRECTORY, 0, &d));
	while ((n = vfs_getdents(d, buf, sizeof(buf))) > 0)
		for (ssize_t pos = 0; pos < n; pos += *(uint16_t *)(buf + pos + 16))
			entries++;
	vfs_close(d);
	CHECK_INT(0, n);
	CHECK_INT(NFILES + 2, entries);
}

static void case_open_close_all(void)
{
	char path[32];
	struct file *f;
	struct stat st;

	for (int i = 0; i < NFILES; i++) {
		name_of(path, sizeof(path), i);
		CHECK_ERR(0, vfs_open(NULL, path, O_RDONLY, 0, &f));
		CHECK_ERR(0, vfs_close(f));
		if (i % 10 == 0)
			CHECK_ERR(0, vfs_stat(NULL, path, &st, 0));
	}
}

/* Every vnode made by the walk is gone again, and the lookups it counted
 * are sent or queued (fewer than a batch queued). */
static void case_released(void)
{
	struct fuse_conn *c = virtiofs_conn(vfs_root_mount());

	CHECK_INT(vnodes_base, vnode_count());
	CHECK_THAT(c, "expected the root to be a virtio-fs mount, saw none");
	CHECK_THAT(c->nforget < FUSE_FORGET_BATCH, "expected fewer than %d FORGETs queued, saw %d",
		   FUSE_FORGET_BATCH, c->nforget);
	kprintf("fstest: forget: %lu nodes forgotten, %d queued\n", c->n_forgets_sent, c->nforget);
	fstest_pause("fdcount");
}

static int run(const struct cmdline *cl)
{
	check_begin(cl, "fs_forget");
	CHECK_RUN(baseline);
	CHECK_RUN(hold_open);
	CHECK_RUN(getdents);
	CHECK_RUN(open_close_all);
	CHECK_RUN(released);
	return check_end();
}
SELFTEST_SUITE("fs_forget", run);
