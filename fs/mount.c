/*
 * The mount table. The root mount is the virtio-fs device named by
 * `root=TAG` (default: the first found); `mount=TAG:/path` adds more (the
 * path must be a directory on what is already mounted); devfs covers /dev.
 * A mount covers a name in a directory: lookups of that name there give the
 * mount's root (fs/namei.c), so /dev works even where the host has none.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "drivers/virtio/virtio_fs.h"
#include "fs/virtiofs/vio.h"
#include "fs/vnode.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/heap.h"
#include "kernel/kprintf.h"

#define MAX_MOUNTS 16

static struct mount *mounts[MAX_MOUNTS];
static int nmounts;

struct mount *vfs_root_mount(void)
{
	return mounts[0];
}

struct mount *vfs_mount_covering(struct vnode *dir, const char *name)
{
	for (int i = 1; i < nmounts; i++)
		if (mounts[i]->cdir == dir && !strcmp(mounts[i]->cname, name))
			return mounts[i];
	return NULL;
}

int vfs_add_mount(struct mount *m)
{
	if (nmounts == MAX_MOUNTS)
		return -ENOSPC;
	m->dev = (uint64_t)nmounts + 1;
	mounts[nmounts++] = m;
	return 0;
}

/* Cover `path` (absolute, already resolvable up to its last component)
 * with m. need_dir: the name must exist as a directory (a real mount
 * point); devfs may cover a name that does not exist. */
static int cover(struct mount *m, const char *path, bool need_dir)
{
	struct vnode *dir, *vn;
	char last[VFS_NAME_MAX + 1];
	bool trailing;
	int err;

	if (path[0] != '/')
		return -EINVAL;
	err = vfs_walk_parent(NULL, path, &dir, last, &trailing);
	if (err)
		return err;
	if (!last[0] || !strcmp(last, ".") || !strcmp(last, "..")) {
		vnode_put(dir);
		return -EINVAL;
	}
	if (need_dir) {
		err = vfs_walk(NULL, path, 0, &vn);
		if (err) {
			vnode_put(dir);
			return err;
		}
		if (!S_ISDIR(vn->type))
			err = -ENOTDIR;
		vnode_put(vn);
		if (err) {
			vnode_put(dir);
			return err;
		}
	}
	m->cdir = dir;          /* keeps the reference */
	strcpy(m->cname, last);
	return vfs_add_mount(m);
}

static bool trace_fuse;
static char default_opts[64];

/* The kernel-wide defaults: cache=none|auto|always, writeback or
 * no_writeback, dax=auto|always|never (the root mount uses them; mount=
 * may override). */
static void root_opts(const struct cmdline *cl)
{
	const char *c = cmdline_get(cl, "cache");
	const char *dax = cmdline_get(cl, "dax");
	bool wb = false;

	for (int i = 0; i < cl->nopts; i++) {
		if (!strcmp(cl->opts[i].key, "writeback"))
			wb = true;
		else if (!strcmp(cl->opts[i].key, "no_writeback"))
			wb = false;
	}
	ksnprintf(default_opts, sizeof(default_opts), "cache=%s%s,dax=%s", c ? c : "none",
		  wb ? ",writeback" : "", dax ? dax : "auto");
}

/* defaults, then overrides: later options win in parse_opts. */
static void snprintf_opts(char *buf, size_t n, const char *dflt, const char *extra)
{
	ksnprintf(buf, n, "%s%s%s", dflt, *extra ? "," : "", extra);
}

static char *kstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = kmalloc(n);

	if (p)
		memcpy(p, s, n);
	return p ? p : (char *)"?";
}
static struct mount *devfs;

struct mount *vfs_devfs(void)
{
	return devfs;
}

int vfs_init(const struct cmdline *cl)
{
	const char *t = cmdline_get(cl, "trace");
	const char *root = cmdline_get(cl, "root");
	struct mount *m;
	int err;

	trace_fuse = t && cmdline_list_has(t, "fuse");
	root_opts(cl);
	vio_cache_init(cl);
	devfs = devfs_create();         /* the console needs it, root or not */
	if (!root && !virtio_fs_get(0)) {
		kprintf("vfs: no virtio-fs device; running without a root file system\n");
		return -ENODEV;
	}
	m = virtiofs_mount(root, trace_fuse, default_opts, &err);
	if (!m) {
		kprintf("vfs: cannot mount root %s (%d)\n", root ? root : "(first device)", err);
		return err;
	}
	m->path = "/";
	vfs_add_mount(m);
	kprintf("vfs: mounted %s on /\n", m->source);

	m = devfs;
	if (m && (err = cover(m, "/dev", false)) == 0) {
		m->path = "/dev";
		kprintf("vfs: mounted devfs on /dev\n");
	} else {
		kprintf("vfs: cannot mount devfs on /dev (%d)\n", m ? err : -ENOMEM);
	}

	for (int i = 0; i < cl->nopts; i++) {
		char tag[VIRTIO_FS_TAG_LEN + 1];
		const char *v = cl->opts[i].value, *colon;

		if (strcmp(cl->opts[i].key, "mount"))
			continue;
		char path[VFS_PATH_MAX], opts[128];
		const char *colon2;

		colon = strchr(v, ':');
		if (!colon || colon == v || (size_t)(colon - v) > VIRTIO_FS_TAG_LEN || colon[1] != '/') {
			kprintf("vfs: mount=%s: expected mount=TAG:/path[:options]\n", v);
			continue;
		}
		/* Per-mount options after a second colon override the
		 * kernel-wide cache= and writeback. */
		colon2 = strchr(colon + 1, ':');
		snprintf_opts(opts, sizeof(opts), default_opts, colon2 ? colon2 + 1 : "");
		if ((size_t)((colon2 ? colon2 : colon + strlen(colon)) - (colon + 1)) >= sizeof(path)) {
			kprintf("vfs: mount=%s: path too long\n", v);
			continue;
		}
		memcpy(path, colon + 1, (size_t)((colon2 ? colon2 : colon + strlen(colon)) - (colon + 1)));
		path[(colon2 ? colon2 : colon + strlen(colon)) - (colon + 1)] = 0;
		memcpy(tag, v, (size_t)(colon - v));
		tag[colon - v] = 0;
		if (!virtio_fs_find(tag)) {
			kprintf("vfs: mount=%s: no virtio-fs device with tag \"%s\"\n", v, tag);
			continue;
		}
		m = virtiofs_mount(tag, trace_fuse, opts, &err);
		if (!m) {
			kprintf("vfs: mount=%s: cannot mount (%d)\n", v, err);
			continue;
		}
		err = cover(m, path, true);
		if (err) {
			kprintf("vfs: mount=%s: mount point %s: error %d\n", v, path, err);
			virtiofs_unmount(m);
			continue;
		}
		m->path = kstrdup(path);
		kprintf("vfs: mounted %s on %s\n", m->source, m->path);
	}
	return 0;
}

void vfs_shutdown(void)
{
	for (int i = nmounts - 1; i >= 0; i--)
		if (mounts[i]->ops != NULL && mounts[i]->fs && strcmp(mounts[i]->source, "devfs"))
			virtiofs_unmount(mounts[i]);
	nmounts = 0;
}
