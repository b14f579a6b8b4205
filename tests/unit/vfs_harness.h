/*
 * The VFS (fs/) mounted over fake virtio-fs devices (fake_fuse.h), shared by
 * test_vfs.c and test_vfs_faults.c. vh_init() mounts, through vfs_init()
 * and a parsed command line:
 *   "root" on /      protocol 7.36, READDIRPLUS, atomic O_TRUNC, POSIX locks,
 *                    max_read = max_write = 1 MiB
 *   "two"  on /mnt2  protocol 7.31, plain READDIR, no atomic O_TRUNC, no
 *                    POSIX locks, max_read 12 KiB (3 pages), max_write 5000
 * and whatever the test added with vh_add() before. Every case is declared
 * with VH_CASE and ends in vh_settle(): back to "/", pending FORGETs sent,
 * and then the server holds no lookups and no file handles, the vnode table,
 * the kernel heap and the page frames are back to their size after
 * mounting, and the fake saw no protocol violation. A failed check is reported once and then
 * taken as the new baseline, so one leak does not fail every later case.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/vnode.h"
#include "fs/virtiofs/fuse_conn.h"
#include "fs/virtiofs/virtiofs.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "check.h"
#include "fake_fuse.h"

#define VH_MAX_DEVS 8

struct vh_dev {
	const char *tag;
	const char *path;               /* mount point: "/" or "/name" */
	const char *opts;               /* mount options (mount=TAG:/path:opts), or NULL */
	struct fake_opts o;
	struct virtio_fs *d;
	struct mount *m;                /* NULL if the kernel did not mount it */
	int handles;                    /* server file handles allowed to stay open */
	bool quarantined;               /* leaked lookups were reported once */
};

static struct vh_dev vh_devs[VH_MAX_DEVS];
static int vh_ndevs;
static struct virtio_fs *vh_root, *vh_two;
static struct cmdline vh_cl;            /* mount paths point into it */
static int vh_base_vnodes;
static long vh_base_heap, vh_base_frames;

/* A device to mount on path ("/name") at vh_init; its fake server. */
static __attribute__((unused)) struct virtio_fs *vh_add(const char *tag, const char *path,
							 const struct fake_opts *o)
{
	struct vh_dev *v = &vh_devs[vh_ndevs++];

	v->tag = tag;
	v->path = path;
	if (o)
		v->o = *o;
	v->d = fake_dev_add(tag, &v->o);
	return v->d;
}

/* The same, mounted with these options ("dax=always,cache=auto"). */
static __attribute__((unused)) struct virtio_fs *vh_add_opts(const char *tag, const char *path,
							      const struct fake_opts *o, const char *opts)
{
	struct virtio_fs *d = vh_add(tag, path, o);

	vh_devs[vh_ndevs - 1].opts = opts;
	return d;
}

static __attribute__((unused)) struct vh_dev *vh_dev(struct virtio_fs *d)
{
	for (int i = 0; i < vh_ndevs; i++)
		if (vh_devs[i].d == d)
			return &vh_devs[i];
	abort();
}

/* Send every mount's pending FORGETs now. */
static __attribute__((unused)) void vh_flush(void)
{
	for (int i = 0; i < vh_ndevs; i++)
		if (vh_devs[i].m)
			fuse_forget_flush(virtiofs_conn(vh_devs[i].m));
}

/* Add "root" and "two" (first in vh_devs; root=root names the root), a
 * mount point on root for every other device, then vfs_init. */
static __attribute__((unused)) void vh_init(void)
{
	struct vh_dev later[VH_MAX_DEVS];
	int nlater = vh_ndevs;
	char line[1024];
	int n;

	memcpy(later, vh_devs, sizeof later);
	vh_ndevs = 0;
	vh_root = vh_add("root", "/", &(struct fake_opts){ .posix_locks = true });
	vh_two = vh_add("two", "/mnt2", &(struct fake_opts){ .minor = 31, .no_readdirplus = true,
						      .no_atomic_o_trunc = true, .max_pages = 3,
						      .max_write = 5000 });
	for (int i = 0; i < nlater; i++)
		vh_devs[vh_ndevs++] = later[i];

	n = snprintf(line, sizeof line, "trace=fuse root=root");
	for (int i = 1; i < vh_ndevs; i++) {
		fake_add_dir(vh_root, vh_devs[i].path + 1, 0755);
		n += snprintf(line + n, sizeof line - (size_t)n, " mount=%s:%s%s%s", vh_devs[i].tag,
			      vh_devs[i].path, vh_devs[i].opts ? ":" : "", vh_devs[i].opts ? vh_devs[i].opts : "");
	}
	if (cmdline_parse(&vh_cl, line) || vfs_init(&vh_cl) != 0) {
		fprintf(stderr, "vfs_harness: cannot mount: %s\n", fake_console());
		abort();
	}
	for (int i = 0; i < vh_ndevs; i++) {
		struct vh_dev *v = &vh_devs[i];

		v->m = i == 0 ? vfs_root_mount() : vfs_mount_covering(vfs_root_mount()->root, v->path + 1);
		if (v->m && virtiofs_conn(v->m) == NULL)
			v->m = NULL;
	}
	vfs_chdir(NULL, "/");
	vh_flush();
	vh_base_vnodes = vnode_count();
	vh_base_heap = fake_heap_blocks();
	vh_base_frames = fake_frames();
}

/* The end of every case: see the top of this file. */
static __attribute__((unused)) void vh_settle(void)
{
	char held[1024], what[160], seen[32];
	int err = vfs_chdir(NULL, "/");

	if (err) {
		snprintf(seen, sizeof seen, "%d", err);
		CHECK_FAIL("chdir(\"/\") at the end of the case", seen);
	}
	vh_flush();
	for (int i = 0; i < vh_ndevs; i++) {
		struct vh_dev *v = &vh_devs[i];
		int h;

		if (!v->quarantined && fake_lookups_held(v->d, held, sizeof held)) {
			snprintf(what, sizeof what, "no lookups held on \"%s\" after closing everything", v->tag);
			CHECK_FAIL(what, held);
			v->quarantined = true;
		}
		if ((h = fake_open_handles(v->d)) != v->handles) {
			snprintf(what, sizeof what, "%d file handles open on \"%s\"", v->handles, v->tag);
			snprintf(seen, sizeof seen, "%d", h);
			CHECK_FAIL(what, seen);
			v->handles = h;
		}
	}
	if (vnode_count() != vh_base_vnodes) {
		snprintf(what, sizeof what, "%d live vnodes (as after mounting)", vh_base_vnodes);
		snprintf(seen, sizeof seen, "%d", vnode_count());
		CHECK_FAIL(what, seen);
		vh_base_vnodes = vnode_count();
	}
	if (fake_heap_blocks() != vh_base_heap) {
		snprintf(what, sizeof what, "%ld kmalloc blocks (as after mounting)", vh_base_heap);
		snprintf(seen, sizeof seen, "%ld", fake_heap_blocks());
		CHECK_FAIL(what, seen);
		vh_base_heap = fake_heap_blocks();
	}
	if (fake_frames() != vh_base_frames) {
		snprintf(what, sizeof what, "%ld page frames (as after mounting)", vh_base_frames);
		snprintf(seen, sizeof seen, "%ld", fake_frames());
		CHECK_FAIL(what, seen);
		vh_base_frames = fake_frames();
	}
	if (fake_violations(held, sizeof held)) {
		CHECK_FAIL("no FUSE protocol violations", held);
		fake_violations_clear();
	}
}

/* A case: its body, then vh_settle(). The body may return early. */
#define VH_CASE(name)                          \
	static void name##_body(void);         \
	static void name(void)                 \
	{                                      \
		name##_body();                 \
		vh_settle();                   \
	}                                      \
	static void name##_body(void)

/* ---- Helpers: each reports its own failure ---------------------------------- */

/* open(path) that must succeed (mode 0644); NULL after a reported failure. */
static __attribute__((unused)) struct file *vh_open_at(int line, const char *path, int flags)
{
	struct file *f = NULL;
	char what[300], seen[32];
	int err = vfs_open(NULL, path, flags, 0644, &f);

	if (!err)
		return f;
	snprintf(what, sizeof what, "open(\"%.200s\", %#o) to succeed (line %d)", path, flags, line);
	snprintf(seen, sizeof seen, "%d", err);
	CHECK_FAIL(what, seen);
	return NULL;
}
#define vh_open(path, flags) vh_open_at(__LINE__, (path), (flags))

/* Where path leads: 0 if to the node fpath of device d (st_dev and st_ino),
 * else the stat error, or 1 (after a message) if to another node. */
static __attribute__((unused)) int vh_at_(int line, const char *path, int flags, struct virtio_fs *d,
					  const char *fpath)
{
	struct stat st;
	int err = vfs_stat(NULL, path, &st, flags);
	struct vh_dev *v = vh_dev(d);

	if (err)
		return err;
	if (v->m && st.st_dev == v->m->dev && st.st_ino == FAKE_INO(fake_node(d, fpath)))
		return 0;
	fprintf(stderr, "    line %d: \"%s\" is dev %lu ino %lu, not %s:\"%s\" (dev %lu ino %lu)\n", line,
		path, (unsigned long)st.st_dev, (unsigned long)st.st_ino, v->tag, fpath,
		v->m ? (unsigned long)v->m->dev : 0ul, (unsigned long)FAKE_INO(fake_node(d, fpath)));
	return 1;
}
#define vh_at(path, flags, d, fpath) vh_at_(__LINE__, (path), (flags), (d), (fpath))

/* Whether two paths name the same node (0), else an error or 1. */
static __attribute__((unused)) int vh_same(const char *a, const char *b)
{
	struct stat sa, sb;
	int err = vfs_stat(NULL, a, &sa, 0);

	if (err || (err = vfs_stat(NULL, b, &sb, 0)))
		return err;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino ? 0 : 1;
}

/* st_mode of path (not following a final symlink), or 0. */
static __attribute__((unused)) unsigned vh_lmode(const char *path)
{
	struct stat st;

	return vfs_stat(NULL, path, &st, VFS_NOFOLLOW) ? 0 : st.st_mode;
}

/* The current directory, or "<error N>". */
static __attribute__((unused)) const char *vh_cwd(void)
{
	static char buf[4096];
	int n = vfs_getcwd(buf, sizeof buf);

	if (n < 0)
		snprintf(buf, sizeof buf, "<error %d>", n);
	return buf;
}

/* Whether the file at fpath on d holds exactly these bytes. */
static __attribute__((unused)) bool vh_data_is(struct virtio_fs *d, const char *fpath, const void *p,
					       size_t len)
{
	size_t n;
	const uint8_t *data = fake_data(d, fpath, &n);

	return data && n == len && memcmp(data, p, len) == 0;
}

/* Read all of directory f with getdents buffers of bufsize bytes, calling
 * each(name, d_type) per record; the records' layout is checked. Returns
 * the record count, or the first error. */
static __attribute__((unused)) int list_dir(struct file *f, size_t bufsize, void (*each)(const char *, unsigned, void *),
		    void *ctx)
{
	uint8_t *buf = malloc(bufsize);
	int count = 0;
	ssize_t got;

	while ((got = vfs_getdents(f, buf, bufsize)) > 0) {
		for (size_t pos = 0; pos < (size_t)got;) {
			uint16_t reclen;

			memcpy(&reclen, buf + pos + 16, 2);
			if (!CHECK(reclen >= 24 && reclen % 8 == 0 && pos + reclen <= (size_t)got) ||
			    !CHECK(memchr(buf + pos + 19, 0, reclen - 19u) != NULL)) {
				free(buf);
				return -1000;
			}
			each((const char *)buf + pos + 19, buf[pos + 18], ctx);
			count++;
			pos += reclen;
		}
	}
	free(buf);
	return got < 0 ? (int)got : count;
}
