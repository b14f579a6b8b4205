/*
 * fs_trace: with trace=fuse the kernel prints one `fuse: ...` line per
 * request. Each case here does a known sequence between two markers,
 *   fstest: trace begin NAME
 *   fstest: trace end NAME
 * and the harness checks the opcodes (and some details) of the lines in
 * between. The tree: /trace/a.txt (at least 10 bytes), /trace/fNN.
 *
 *   tests/fs/run-tests trace
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

/* Send queued FORGETs first, so that none lands inside a section. */
static void begin(const char *name)
{
	fuse_forget_flush(virtiofs_conn(vfs_root_mount()));
	kprintf("fstest: trace begin %s\n", name);
}

static void end(const char *name)
{
	kprintf("fstest: trace end %s\n", name);
}

/* LOOKUP trace, LOOKUP a.txt, OPEN, READ 10, FLUSH, RELEASE. */
static void case_read(void)
{
	char buf[10];
	struct file *f;

	begin("read");
	CHECK_ERR(0, vfs_open(NULL, "/trace/a.txt", O_RDONLY, 0, &f));
	CHECK_INT(10, vfs_read(f, buf, 10));
	CHECK_ERR(0, vfs_close(f));
	end("read");
}

/* LOOKUP trace, LOOKUP missing -> -ENOENT. */
static void case_stat_missing(void)
{
	struct stat st;

	begin("stat_missing");
	CHECK_ERR(-ENOENT, vfs_stat(NULL, "/trace/missing", &st, 0));
	end("stat_missing");
}

/* LOOKUP trace, LOOKUP new (-ENOENT), CREATE, WRITE 5, FLUSH, RELEASE. */
static void case_create_write(void)
{
	struct file *f;

	begin("create_write");
	CHECK_ERR(0, vfs_open(NULL, "/trace/new", O_CREAT | O_EXCL | O_WRONLY, 0644, &f));
	CHECK_INT(5, vfs_write(f, "12345", 5));
	CHECK_ERR(0, vfs_close(f));
	end("create_write");
}

/* LOOKUP trace, MKDIR d; LOOKUP trace, OPENDIR, READDIR..., RELEASEDIR. */
static void case_mkdir_list(void)
{
	static unsigned char buf[4096];
	struct file *d;
	ssize_t n;

	begin("mkdir_list");
	CHECK_ERR(0, vfs_mkdir(NULL, "/trace/d", 0755));
	CHECK_ERR(0, vfs_open(NULL, "/trace", O_RDONLY | O_DIRECTORY, 0, &d));
	while ((n = vfs_getdents(d, buf, sizeof(buf))) > 0)
		;
	CHECK_ERR(0, vfs_close(d));
	CHECK_INT(0, n);
	end("mkdir_list");
}

/* 40 stats of distinct files: 80 lookups handed back, so exactly one
 * BATCH_FORGET of 64 nodes inside the section. */
static void case_forget_batch(void)
{
	char path[32];
	struct stat st;

	begin("forget_batch");
	for (int i = 0; i < 40; i++) {
		ksnprintf(path, sizeof(path), "/trace/f%02d", i);
		CHECK_ERR(0, vfs_stat(NULL, path, &st, 0));
	}
	end("forget_batch");
}

static int run(const struct cmdline *cl)
{
	check_begin(cl, "fs_trace");
	CHECK_RUN(read);
	CHECK_RUN(stat_missing);
	CHECK_RUN(create_write);
	CHECK_RUN(mkdir_list);
	CHECK_RUN(forget_batch);
	return check_end();
}
SELFTEST_SUITE("fs_trace", run);
