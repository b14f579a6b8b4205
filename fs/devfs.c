/*
 * devfs: the directory mounted on /dev, with two character devices:
 *   console  the serial console (reads wait for typed input, a line at a time)
 *   null     reads give end of file, writes are discarded
 *   zero     reads give zeros, writes are discarded
 *   random, urandom  reads give random bytes (kernel/random.h); writes are
 *            accepted and discarded, as Linux mixes them in
 * Node ids: 1 the directory, 2 console, 3 null, 4 zero, 5 random, 6 urandom.
 */
#include <stdint.h>
#include <string.h>

#include "fs/vnode.h"
#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/heap.h"
#include "kernel/random.h"

#define DEVFS_ROOT    1
#define DEVFS_CONSOLE DEVFS_CONSOLE_ID
#define DEVFS_NULL    3
#define DEVFS_ZERO    4
#define DEVFS_RANDOM  5
#define DEVFS_URANDOM 6

static const struct {
	const char *name;
	uint64_t id;
	dev_t rdev;
} devs[] = {
	{ "console", DEVFS_CONSOLE, (5u << 8) | 1 },    /* Linux's 5:1 */
	{ "null", DEVFS_NULL, (1u << 8) | 3 },          /* Linux's 1:3 */
	{ "zero", DEVFS_ZERO, (1u << 8) | 5 },
	{ "random", DEVFS_RANDOM, (1u << 8) | 8 },
	{ "urandom", DEVFS_URANDOM, (1u << 8) | 9 },
};
#define NDEVS (sizeof(devs) / sizeof(devs[0]))

static int devfs_lookup(struct vnode *dir, const char *name, struct vnode **out)
{
	for (unsigned i = 0; i < NDEVS; i++) {
		if (!strcmp(name, devs[i].name)) {
			*out = vnode_get(dir->mnt, devs[i].id, S_IFCHR);
			return *out ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}

static int devfs_getattr(struct vnode *vn, struct file *f, struct stat *st)
{
	(void)f;
	memset(st, 0, sizeof(*st));
	st->st_dev = vn->mnt->dev;
	st->st_ino = vn->nodeid;
	st->st_blksize = 4096;
	if (vn->nodeid == DEVFS_ROOT) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	st->st_mode = S_IFCHR | 0666;
	st->st_nlink = 1;
	for (unsigned i = 0; i < NDEVS; i++)
		if (devs[i].id == vn->nodeid)
			st->st_rdev = devs[i].rdev;
	return 0;
}

static int devfs_open(struct vnode *vn, struct file *f)
{
	(void)vn;
	(void)f;
	return 0;
}

static ssize_t devfs_read(struct file *f, void *buf, size_t n, off_t off)
{
	(void)off;
	switch (f->vn->nodeid) {
	case DEVFS_NULL:
		return 0;
	case DEVFS_ZERO:
		memset(buf, 0, n);
		return (ssize_t)n;
	case DEVFS_RANDOM:
	case DEVFS_URANDOM:
		if (n > (1u << 25))
			n = 1u << 25;
		random_bytes(buf, n);
		return (ssize_t)n;
	default:
		return (ssize_t)console_read(buf, n);
	}
}

static ssize_t devfs_write(struct file *f, const void *buf, size_t n, off_t off)
{
	(void)off;
	if (f->vn->nodeid == DEVFS_CONSOLE)
		console_write(buf, n);
	return (ssize_t)n;
}

static int devfs_readdir(struct file *f, vfs_filldir_fn fill, void *ctx)
{
	/* Positions: 0 ".", 1 "..", 2.. the devices. */
	while (f->dir_off < 2 + NDEVS) {
		uint64_t i = f->dir_off;
		const char *name = i == 0 ? "." : i == 1 ? ".." : devs[i - 2].name;
		uint64_t ino = i < 2 ? DEVFS_ROOT : devs[i - 2].id;
		unsigned type = i < 2 ? 4 /* DT_DIR */ : 2 /* DT_CHR */;

		if (fill(ctx, name, (uint32_t)strlen(name), ino, type, i + 1))
			return 0;
		f->dir_off = i + 1;
	}
	f->dir_eof = true;
	return 0;
}

static int devfs_statfs(struct vnode *vn, struct statfs *st)
{
	(void)vn;
	memset(st, 0, sizeof(*st));
	st->f_type = 0x1373;    /* DEVFS_SUPER_MAGIC */
	st->f_bsize = 4096;
	st->f_namelen = VFS_NAME_MAX;
	return 0;
}

static const struct vnode_ops devfs_ops = {
	.lookup = devfs_lookup,
	.getattr = devfs_getattr,
	.open = devfs_open,
	.read = devfs_read,
	.write = devfs_write,
	.readdir = devfs_readdir,
	.statfs = devfs_statfs,
};

struct mount *devfs_create(void)
{
	struct mount *m = kmalloc(sizeof(*m));

	if (!m)
		return NULL;
	m->source = "devfs";
	m->ops = &devfs_ops;
	m->root = vnode_get(m, DEVFS_ROOT, S_IFDIR);
	if (!m->root) {
		kfree(m);
		return NULL;
	}
	return m;
}
