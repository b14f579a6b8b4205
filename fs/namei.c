/*
 * Path resolution: one component at a time, each looked up in its
 * directory (for virtio-fs, one FUSE LOOKUP each: cache=none). Handles
 * "." and ".." (through the parent a directory was found in, and across
 * mount points), symlinks in any component (at most VFS_SYMLOOP_MAX per
 * walk, then -ELOOP), trailing slashes, and the length limits.
 *
 * The walk holds exactly one reference: on the directory it is in.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fs/vnode.h"
#include "kernel/errno.h"
#include "kernel/heap.h"

struct walk {
	struct vnode *cur;              /* referenced */
	char *rest;                     /* the path still to walk, in buf */
	char *buf;                      /* 2 * VFS_PATH_MAX */
	int links;
};

static bool is_dir(const struct vnode *vn) { return S_ISDIR(vn->type); }

/* The node ".." names from cur (a new reference). */
static int dotdot(struct vnode *cur, struct vnode **out)
{
	struct mount *root = vfs_root_mount();
	struct vnode *vn = cur;

	/* Climb out of mount roots: ".." of a mount's root is the directory
	 * holding the covered name. */
	while (vn == vn->mnt->root && vn->mnt->cdir) {
		struct vnode *up = vn->mnt->cdir;
		*out = vnode_ref(up);
		return 0;
	}
	if (vn == root->root || !vn->parent) {
		*out = vnode_ref(vn);   /* the root's ".." is the root */
		return 0;
	}
	*out = vnode_ref(vn->parent);
	return 0;
}

/* Look up one component of cur: mounts first, then the file system. */
static int step(struct vnode *cur, const char *name, struct vnode **out)
{
	struct mount *m = vfs_mount_covering(cur, name);
	int err;

	if (m) {
		*out = vnode_ref(m->root);
		return 0;
	}
	if (!cur->mnt->ops->lookup)
		return -ENOENT;
	err = cur->mnt->ops->lookup(cur, name, out);
	if (err)
		return err;
	if (is_dir(*out)) {
		/* A server that links a directory into its own subtree would
		 * make a loop of parent references (never freed, never
		 * forgotten): refuse it, as Linux does. */
		for (struct vnode *a = cur; a; a = a->parent) {
			if (a == *out) {
				vnode_put(*out);
				return -ELOOP;
			}
		}
		vnode_set_parent(*out, cur, name);
	}
	return 0;
}

/* Replace the walk's remaining path with target + "/" + rest. */
static int splice_link(struct walk *w, struct vnode *link, const char *rest)
{
	char *target = kmalloc(VFS_PATH_MAX);
	size_t tlen, rlen = strlen(rest);
	ssize_t n;

	if (!target)
		return -ENOMEM;
	if (++w->links > VFS_SYMLOOP_MAX) {
		kfree(target);
		return -ELOOP;
	}
	n = link->mnt->ops->readlink ? link->mnt->ops->readlink(link, target, VFS_PATH_MAX - 1) : -EINVAL;
	if (n < 0) {
		kfree(target);
		return (int)n;
	}
	if (n == 0) {
		kfree(target);
		return -ENOENT;
	}
	tlen = (size_t)n;
	/* Linux limits each string to PATH_MAX, not their combination; the
	 * walk buffer holds two of them. */
	if (tlen + 1 + rlen >= 2 * VFS_PATH_MAX) {
		kfree(target);
		return -ENAMETOOLONG;
	}
	/* rest lives inside w->buf: move it up behind the target's place,
	 * then put the target in front. A final symlink gets no '/'
	 * appended, which would demand a directory. */
	memmove(w->buf + tlen + 1, rest, rlen + 1);
	memcpy(w->buf, target, tlen);
	w->buf[tlen] = rlen ? '/' : 0;
	w->rest = w->buf;
	if (target[0] == '/') {
		vnode_put(w->cur);
		w->cur = vnode_ref(vfs_root_mount()->root);
	}
	kfree(target);
	return 0;
}

/*
 * /proc/self/fd/N names the file open at descriptor N, as Linux's procfs
 * does; musl reaches descriptors through it (fchmod on an O_PATH
 * descriptor, fchmodat with AT_SYMLINK_NOFOLLOW). There is no other /proc:
 * this prefix is recognised here, before the walk. True if the path has
 * it (then w->cur and w->rest are set, or *err).
 */
static struct file *(*fd_lookup)(int fd);

void vfs_set_fd_lookup(struct file *(*fn)(int fd))
{
	fd_lookup = fn;
}

static bool proc_fd_start(struct walk *w, bool parent_of_last, int *err)
{
	static const char prefix[] = "/proc/self/fd/";
	const char *p = w->buf + sizeof(prefix) - 1;
	struct file *f;
	long fd = 0;

	*err = 0;
	if (!fd_lookup || strncmp(w->buf, prefix, sizeof(prefix) - 1) || *p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9' && fd < 1000000)
		fd = fd * 10 + (*p++ - '0');
	if (*p && *p != '/')
		return false;
	if (parent_of_last) {
		const char *q = p;
		while (*q == '/')
			q++;
		if (!*q)
			return false;   /* creating or removing the link itself: not here */
	}
	f = fd_lookup((int)fd);
	if (!f) {
		*err = -ENOENT;
		return true;
	}
	w->cur = vnode_ref(f->vn);
	w->rest = (char *)p;
	return true;
}

/*
 * The walk. With parent_of_last, stops before the last component and
 * copies it into last. *trailing says whether the path ended in '/'.
 */
static int walk(struct file *base, const char *path, int flags, bool parent_of_last,
		struct vnode **out, char *last, bool *trailing)
{
	struct walk w;
	size_t plen = strnlen(path, VFS_PATH_MAX);
	int err = 0;

	if (plen >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (plen == 0 || !vfs_root_mount())
		return -ENOENT;         /* no root: nothing is there */
	w.buf = kmalloc(2 * VFS_PATH_MAX);
	if (!w.buf)
		return -ENOMEM;
	memcpy(w.buf, path, plen + 1);
	w.rest = w.buf;
	w.links = 0;
	if (proc_fd_start(&w, parent_of_last, &err)) {
		if (err) {
			kfree(w.buf);
			return err;
		}
	} else if (path[0] == '/')
		w.cur = vnode_ref(vfs_root_mount()->root);
	else if (base)
		w.cur = vnode_ref(base->vn);
	else
		w.cur = vnode_ref(vfs_cwd());
	if (trailing)
		*trailing = plen > 0 && path[plen - 1] == '/';

	for (;;) {
		char name[VFS_NAME_MAX + 1];
		const char *s = w.rest, *e;
		struct vnode *next;
		size_t len;
		bool is_last, slash_after;

		while (*s == '/')
			s++;
		if (!*s) {
			/* Nothing left: the path was only slashes ("/"), or
			 * every component has been walked. For a parent walk
			 * of "/" the last component is "" (the callers give
			 * EBUSY, EEXIST, ... as Linux does for "/"). */
			if (parent_of_last)
				last[0] = 0;
			break;
		}
		for (e = s; *e && *e != '/'; e++)
			;
		len = (size_t)(e - s);
		if (len > VFS_NAME_MAX) {
			err = -ENAMETOOLONG;
			goto out;
		}
		memcpy(name, s, len);
		name[len] = 0;
		slash_after = *e == '/';
		while (*e == '/')
			e++;
		is_last = !*e;
		w.rest = (char *)e;

		if (!is_dir(w.cur)) {
			err = -ENOTDIR;
			goto out;
		}
		if (is_last && parent_of_last) {
			memcpy(last, name, len + 1);
			if (trailing)
				*trailing = slash_after;
			break;
		}
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, ".."))
			err = dotdot(w.cur, &next);
		else
			err = step(w.cur, name, &next);
		if (err)
			goto out;
		if (S_ISLNK(next->type) && (!is_last || slash_after || !(flags & VFS_NOFOLLOW))) {
			/* A symlink to follow: its target replaces it in the
			 * path; the walk goes on from the current directory. */
			err = splice_link(&w, next, w.rest);
			vnode_put(next);
			if (err)
				goto out;
			continue;
		}
		vnode_put(w.cur);
		w.cur = next;
		if (is_last && slash_after && !is_dir(w.cur)) {
			err = -ENOTDIR;
			goto out;
		}
	}
	if (!parent_of_last && trailing && *trailing && !is_dir(w.cur)) {
		err = -ENOTDIR;
		goto out;
	}
	*out = w.cur;
	kfree(w.buf);
	return 0;
out:
	vnode_put(w.cur);
	kfree(w.buf);
	return err;
}

int vfs_walk(struct file *base, const char *path, int flags, struct vnode **out)
{
	bool trailing;

	if (!path[0])
		return -ENOENT;         /* before ENOTDIR, as Linux checks */
	if (base && !S_ISDIR(base->vn->type) && path[0] != '/')
		return -ENOTDIR;
	return walk(base, path, flags, false, out, NULL, &trailing);
}

int vfs_walk_parent(struct file *base, const char *path, struct vnode **dir, char *last,
		    bool *trailing_slash)
{
	if (!path[0])
		return -ENOENT;
	if (base && !S_ISDIR(base->vn->type) && path[0] != '/')
		return -ENOTDIR;
	return walk(base, path, 0, true, dir, last, trailing_slash);
}
