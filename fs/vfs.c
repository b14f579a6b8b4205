/*
 * The VFS calls (fs/vfs.h): open files, I/O, directories, names and
 * attributes, on top of path resolution (fs/namei.c) and each mount's
 * vnode operations. cache=none: every call goes to the file system.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fs/vnode.h"
#include "kernel/errno.h"
#include "kernel/clock.h"
#include "kernel/heap.h"
#include "kernel/kprintf.h"
#include <sys/file.h>

static struct vnode *cwd;
static mode_t umask_ = 022;

struct vnode *vfs_cwd(void)
{
	if (!cwd)
		cwd = vnode_ref(vfs_root_mount()->root);
	return cwd;
}

mode_t vfs_umask(mode_t mask)
{
	mode_t old = umask_;

	umask_ = mask & 0777;
	return old;
}

static bool is_dot(const char *s) { return !strcmp(s, ".") || !strcmp(s, ".."); }

/* "", "." or "..": a last component that names no new entry. */
static bool is_special(const char *s) { return !s[0] || is_dot(s); }

/* The node `name` names in dir, mount roots first (a new reference). */
static int child(struct vnode *dir, const char *name, struct vnode **out)
{
	struct mount *m = vfs_mount_covering(dir, name);

	if (m) {
		*out = vnode_ref(m->root);
		return 0;
	}
	if (!dir->mnt->ops->lookup)
		return -ENOENT;
	return dir->mnt->ops->lookup(dir, name, out);
}

/* ---- open files ---- */

static struct file *file_new(struct vnode *vn, int flags)
{
	struct file *f = kmalloc(sizeof(*f));

	if (!f)
		return NULL;
	f->vn = vnode_ref(vn);
	f->refs = 1;
	f->flags = flags & ~O_CREAT & ~O_EXCL & ~O_NOCTTY & ~O_TRUNC;
	return f;
}

static void file_free(struct file *f)
{
	vnode_put(f->vn);
	kfree(f);
}

/* Open an existing node with f's flags, truncating if asked. */
static int open_existing(struct vnode *vn, int flags, struct file **out)
{
	int acc = flags & O_ACCMODE;
	struct file *f;
	int err;

	if ((flags & O_DIRECTORY) && !S_ISDIR(vn->type))
		return -ENOTDIR;
	if (S_ISDIR(vn->type) && (acc != O_RDONLY || (flags & (O_TRUNC | O_CREAT))) && !(flags & O_PATH))
		return -EISDIR;
	if (S_ISLNK(vn->type) && !(flags & O_PATH))
		return -ELOOP;          /* O_NOFOLLOW on a symlink */
	if (acc == O_ACCMODE && !(flags & O_PATH))
		return -EINVAL;
	f = file_new(vn, flags);
	if (!f)
		return -ENOMEM;
	if (flags & O_PATH) {
		/* A handle for *at() calls and fstat; no host open. */
		*out = f;
		return 0;
	}
	if (S_ISFIFO(vn->type) || S_ISSOCK(vn->type)) {
		/* The guest has no other process to talk to over a FIFO. */
		file_free(f);
		return -ENXIO;
	}
	f->flags |= flags & O_TRUNC;    /* the server sees O_TRUNC in OPEN */
	err = vn->mnt->ops->open ? vn->mnt->ops->open(vn, f) : -ENXIO;
	f->flags &= ~O_TRUNC;
	if (err) {
		file_free(f);
		return err;
	}
	if ((flags & O_TRUNC) && S_ISREG(vn->type) && acc != O_RDONLY && vn->mnt->ops->setattr &&
	    !f->truncated) {
		/* The server did not truncate as part of OPEN: do it now. */
		struct vfs_attr a = { .valid = VFS_ATTR_SIZE, .size = 0 };
		err = vn->mnt->ops->setattr(vn, f, &a);
		if (err) {
			vfs_close(f);
			return err;
		}
	}
	*out = f;
	return 0;
}

/* Open with O_CREAT: create the last component if it does not exist. A
 * symlink there is followed, and if its target does not exist the target
 * is created, as Linux does (ELOOP after VFS_SYMLOOP_MAX links). */
static int open_creat(struct file *base, const char *path, int flags, mode_t mode, int links,
		      struct file **out)
{
	struct vnode *dir, *vn;
	char last[VFS_NAME_MAX + 1];
	struct file *f;
	bool trailing;
	int err = vfs_walk_parent(base, path, &dir, last, &trailing);

	if (err)
		return err;
	if (is_special(last) || trailing) {
		vnode_put(dir);
		return -EISDIR;
	}
	err = child(dir, last, &vn);
	if (err == 0) {
		if (flags & O_EXCL) {
			err = -EEXIST;
		} else if (S_ISLNK(vn->type) && !(flags & O_NOFOLLOW)) {
			char *target = kmalloc(VFS_PATH_MAX);
			ssize_t n = -ENOMEM;

			if (target && ++links > VFS_SYMLOOP_MAX)
				n = -ELOOP;
			else if (target)
				n = vn->mnt->ops->readlink ? vn->mnt->ops->readlink(vn, target, VFS_PATH_MAX - 1)
							   : -EINVAL;
			if (n == 0)
				n = -ENOENT;
			if (n > 0) {
				struct file at = { .vn = dir };

				target[n] = 0;
				err = open_creat(&at, target, flags, mode, links, out);
			} else {
				err = (int)n;
			}
			kfree(target);
		} else {
			err = open_existing(vn, flags, out);
		}
		vnode_put(vn);
		vnode_put(dir);
		return err;
	}
	if (err != -ENOENT || !dir->mnt->ops->create) {
		vnode_put(dir);
		return err == -ENOENT ? -EROFS : err;
	}
	f = file_new(dir, flags);       /* f->vn becomes the new node below */
	if (!f) {
		vnode_put(dir);
		return -ENOMEM;
	}
	/* CREATE carries O_EXCL, so a name made on the host since our
	 * LOOKUP still gives EEXIST. */
	f->flags |= flags & O_EXCL;
	err = dir->mnt->ops->create(dir, last, S_IFREG | (mode & 07777 & ~umask_), f, &vn);
	f->flags &= ~O_EXCL;
	vnode_put(dir);
	if (err) {
		file_free(f);
		return err;
	}
	vnode_put(f->vn);
	f->vn = vn;             /* the reference from create */
	*out = f;
	return 0;
}

int vfs_open(struct file *base, const char *path, int flags, mode_t mode, struct file **out)
{
	struct vnode *vn;
	int err;

	if (flags & O_CREAT) {
		if (flags & O_DIRECTORY)
			return -EINVAL;         /* Linux: O_CREAT|O_DIRECTORY */
		return open_creat(base, path, flags, mode, 0, out);
	}
	err = vfs_walk(base, path, (flags & O_NOFOLLOW) ? VFS_NOFOLLOW : 0, &vn);
	if (err)
		return err;
	err = open_existing(vn, flags, out);
	vnode_put(vn);
	return err;
}

static void release_locks(struct file *f, bool last);

int vfs_close(struct file *f)
{
	int err = 0;

	if (f->vn->mnt->ops->flush && f->has_fh)
		err = f->vn->mnt->ops->flush(f);
	release_locks(f, f->refs == 1);
	if (--f->refs > 0)
		return err;
	if (f->flock)
		vfs_flock(f, LOCK_UN);
	if (f->vn->mnt->ops->release)
		f->vn->mnt->ops->release(f);
	file_free(f);
	return err;
}

struct file *vfs_file_dup(struct file *f)
{
	f->refs++;
	return f;
}

int vfs_file_flags(const struct file *f)
{
	return f->flags;
}

int vfs_file_set_flags(struct file *f, int flags)
{
	const int settable = O_APPEND | O_NONBLOCK;

	f->flags = (f->flags & ~settable) | (flags & settable);
	return 0;
}

/* ---- I/O ---- */

static int check_read(struct file *f)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (S_ISDIR(f->vn->type))
		return -EISDIR;
	if (!f->vn->mnt->ops->read)
		return -EINVAL;
	return 0;
}

static int check_write(struct file *f)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (!f->vn->mnt->ops->write)
		return -EINVAL;
	return 0;
}

ssize_t vfs_pread(struct file *f, void *buf, size_t n, off_t off)
{
	int err = check_read(f);

	if (err)
		return err;
	if (off < 0 || n > (uint64_t)INT64_MAX - (uint64_t)off)
		return -EINVAL;         /* Linux: the range must not overflow */
	if (n == 0)
		return 0;
	return f->vn->mnt->ops->read(f, buf, n, off);
}

ssize_t vfs_read(struct file *f, void *buf, size_t n)
{
	ssize_t got = vfs_pread(f, buf, n, f->off);

	if (got > 0)
		f->off += got;
	return got;
}

/* Where an O_APPEND write goes: the end of the file as the host sees it. */
static int append_offset(struct file *f, off_t *off)
{
	struct stat st;
	int err;

	if (!f->vn->mnt->ops->getattr || !S_ISREG(f->vn->type))
		return 0;
	err = f->vn->mnt->ops->getattr(f->vn, f, &st);
	if (err)
		return err;
	*off = st.st_size;
	return 0;
}

ssize_t vfs_pwrite(struct file *f, const void *buf, size_t n, off_t off)
{
	int err = check_write(f);

	if (err)
		return err;
	if (off < 0)
		return -EINVAL;
	if (n == 0)
		return 0;
	if (n > (uint64_t)INT64_MAX - (uint64_t)off)
		return -EINVAL;         /* Linux: the range must not overflow */
	if ((f->flags & O_APPEND) && (err = append_offset(f, &off)))
		return err;
	if ((uint64_t)off + n > INT64_MAX)
		return -EFBIG;
	return f->vn->mnt->ops->write(f, buf, n, off);
}

ssize_t vfs_write(struct file *f, const void *buf, size_t n)
{
	off_t off = f->off;
	ssize_t put;
	int err = check_write(f);

	if (err)
		return err;
	if (n == 0)
		return 0;
	if (n > (uint64_t)INT64_MAX - (uint64_t)off)
		return -EINVAL;
	/* The host opened the file O_APPEND too and writes at its end; we
	 * learn the end first so the new offset is right. */
	if ((f->flags & O_APPEND) && (err = append_offset(f, &off)))
		return err;
	if ((uint64_t)off + n > INT64_MAX)
		return -EFBIG;
	put = f->vn->mnt->ops->write(f, buf, n, off);
	if (put > 0)
		f->off = off + put;
	return put;
}

off_t vfs_lseek(struct file *f, off_t off, int whence)
{
	struct stat st;
	off_t pos;
	int err;

	if (f->flags & O_PATH)
		return -EBADF;
	if (S_ISCHR(f->vn->type) || S_ISFIFO(f->vn->type))
		return S_ISFIFO(f->vn->type) ? -ESPIPE : 0;
	switch (whence) {
	case SEEK_SET:
		pos = off;
		break;
	case SEEK_CUR:
		if (off > 0 && f->off > INT64_MAX - off)
			return -EINVAL;         /* Linux's vfs_setpos */
		pos = f->off + off;
		break;
	case SEEK_END:
		err = vfs_fstat(f, &st);
		if (err)
			return err;
		if (off > 0 && st.st_size > INT64_MAX - off)
			return -EINVAL;
		pos = st.st_size + off;
		break;
	case SEEK_DATA:
	case SEEK_HOLE:
		if (off < 0)
			return -ENXIO;
		if (S_ISDIR(f->vn->type) || !f->vn->mnt->ops->lseek)
			return -EINVAL;
		pos = f->vn->mnt->ops->lseek(f, off, whence);
		if (pos < 0)
			return pos;
		break;
	default:
		return -EINVAL;
	}
	if (pos < 0)
		return -EINVAL;
	if (S_ISDIR(f->vn->type)) {
		/* Directory positions are the server's cookies (each entry's
		 * d_off names the place after it): seeking to one, as
		 * seekdir() does with a telldir() value, continues there. */
		f->dir_off = (uint64_t)pos;
		f->dir_eof = false;
	}
	f->off = pos;
	return pos;
}

/* ---- directories ---- */

struct dirent_ctx {
	char *buf;
	size_t n, used;
};

/* struct linux_dirent64: d_ino, d_off, d_reclen, d_type, d_name[] */
static int fill_dirent64(void *vctx, const char *name, uint32_t namelen, uint64_t ino,
			 unsigned type, uint64_t next_off)
{
	struct dirent_ctx *c = vctx;
	size_t reclen = (19 + namelen + 1 + 7) & ~(size_t)7;
	char *p = c->buf + c->used;
	uint16_t rl = (uint16_t)reclen;
	int64_t doff = (int64_t)next_off;
	uint8_t t = (uint8_t)type;

	if (c->used + reclen > c->n)
		return 1;
	memcpy(p, &ino, 8);
	memcpy(p + 8, &doff, 8);
	memcpy(p + 16, &rl, 2);
	memcpy(p + 18, &t, 1);
	memcpy(p + 19, name, namelen);
	memset(p + 19 + namelen, 0, reclen - 19 - namelen);
	c->used += reclen;
	return 0;
}

ssize_t vfs_getdents(struct file *f, void *buf, size_t n)
{
	struct dirent_ctx c = { buf, n, 0 };
	int err;

	if (f->flags & O_PATH)
		return -EBADF;
	if (!S_ISDIR(f->vn->type))
		return -ENOTDIR;
	if (!f->vn->mnt->ops->readdir)
		return -ENOTDIR;
	err = f->vn->mnt->ops->readdir(f, fill_dirent64, &c);
	if (err)
		return c.used ? (ssize_t)c.used : err;
	if (c.used == 0 && !f->dir_eof)
		return -EINVAL;         /* the next entry does not fit */
	return (ssize_t)c.used;
}

/* ---- attributes ---- */

int vfs_fstat(struct file *f, struct stat *st)
{
	if (!f->vn->mnt->ops->getattr)
		return -ENOSYS;
	return f->vn->mnt->ops->getattr(f->vn, f->has_fh ? f : NULL, st);
}

/* The node a path call names: base itself for VFS_EMPTY_PATH with "". */
static int resolve(struct file *base, const char *path, int flags, struct vnode **out)
{
	if (path[0] == 0 && (flags & VFS_EMPTY_PATH)) {
		*out = vnode_ref(base ? base->vn : vfs_cwd());
		return 0;
	}
	return vfs_walk(base, path, flags & VFS_NOFOLLOW, out);
}

int vfs_stat(struct file *base, const char *path, struct stat *st, int flags)
{
	struct vnode *vn;
	int err = resolve(base, path, flags, &vn);

	if (err)
		return err;
	err = vn->mnt->ops->getattr ? vn->mnt->ops->getattr(vn, NULL, st) : -ENOSYS;
	vnode_put(vn);
	return err;
}

int vfs_setattr(struct file *base, const char *path, const struct vfs_attr *a, int flags)
{
	struct vnode *vn;
	int err = resolve(base, path, flags, &vn);

	if (err)
		return err;
	if ((a->valid & VFS_ATTR_SIZE) && S_ISDIR(vn->type))
		err = -EISDIR;
	else if ((a->valid & VFS_ATTR_SIZE) && a->size < 0)
		err = -EINVAL;
	else
		err = vn->mnt->ops->setattr ? vn->mnt->ops->setattr(vn, NULL, a) : -EPERM;
	vnode_put(vn);
	return err;
}

int vfs_fsetattr(struct file *f, const struct vfs_attr *a)
{
	if (f->flags & O_PATH)
		return -EBADF;          /* fchmod, fchown, ftruncate on O_PATH */
	if (a->valid & VFS_ATTR_SIZE) {
		/* ftruncate: a regular file open for writing (Linux: EINVAL). */
		if (!S_ISREG(f->vn->type) || (f->flags & O_ACCMODE) == O_RDONLY)
			return -EINVAL;
		if (a->size < 0)
			return -EINVAL;
	}
	if (!f->vn->mnt->ops->setattr)
		return -EPERM;
	return f->vn->mnt->ops->setattr(f->vn, f->has_fh ? f : NULL, a);
}

int vfs_fsync(struct file *f, bool datasync)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if (!f->vn->mnt->ops->fsync)
		return 0;       /* devices: nothing to sync */
	return f->vn->mnt->ops->fsync(f, datasync);
}

int vfs_mmap(struct file *f, uint64_t va, uint64_t len, off_t off, bool write,
	     struct vfs_mapping **out)
{
	struct vfs_mapping *m;
	int err;

	if ((f->flags & O_PATH) || (f->flags & O_ACCMODE) == O_WRONLY)
		return -EACCES;
	if (write && (f->flags & O_ACCMODE) != O_RDWR)
		return -EACCES;
	if (!S_ISREG(f->vn->type) || !f->vn->mnt->ops->mmap)
		return -ENODEV;
	m = kmalloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	*m = (struct vfs_mapping){ .f = vfs_file_dup(f), .va = va, .len = len, .off = off, .write = write };
	err = f->vn->mnt->ops->mmap(m);
	if (err) {
		vfs_close(m->f);
		kfree(m);
		return err;
	}
	*out = m;
	return 0;
}

bool vfs_munmap(struct vfs_mapping *m, uint64_t va, uint64_t len)
{
	uint64_t lo = va > m->va ? va : m->va, hi = va + len < m->va + m->len ? va + len : m->va + m->len;

	if (lo >= hi || !m->f->vn->mnt->ops->munmap(m, lo, hi - lo))
		return false;
	vfs_close(m->f);
	kfree(m);
	return true;
}

int vfs_fallocate(struct file *f, int mode, off_t off, off_t len)
{
	if (off < 0 || len <= 0)
		return -EINVAL;
	if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
		return -EBADF;
	if (S_ISDIR(f->vn->type))
		return -EISDIR;
	if (!S_ISREG(f->vn->type))
		return -ENODEV;
	if (!f->vn->mnt->ops->fallocate)
		return -EOPNOTSUPP;
	return f->vn->mnt->ops->fallocate(f, mode, off, len);
}

int vfs_statfs(struct file *base, const char *path, struct statfs *st)
{
	struct vnode *vn;
	int err = vfs_walk(base, path, 0, &vn);

	if (err)
		return err;
	err = vn->mnt->ops->statfs ? vn->mnt->ops->statfs(vn, st) : -ENOSYS;
	vnode_put(vn);
	return err;
}

int vfs_fstatfs(struct file *f, struct statfs *st)
{
	return f->vn->mnt->ops->statfs ? f->vn->mnt->ops->statfs(f->vn, st) : -ENOSYS;
}

int vfs_access(struct file *base, const char *path, int mode, int flags)
{
	struct vnode *vn;
	struct stat st;
	int err;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	err = resolve(base, path, flags, &vn);
	if (err)
		return err;
	err = vn->mnt->ops->getattr ? vn->mnt->ops->getattr(vn, NULL, &st) : -ENOSYS;
	vnode_put(vn);
	if (err)
		return err;
	/* The guest runs as root: reading and writing are allowed; executing
	 * needs an execute bit somewhere (directories: always searchable). */
	if ((mode & X_OK) && !S_ISDIR(st.st_mode) && !(st.st_mode & 0111))
		return -EACCES;
	return 0;
}

/* ---- names ---- */

/* For calls that create `name` in dir when the path ended in '/': Linux
 * says EEXIST if the name exists, else ENOENT (only mkdir allows it). */
static int trailing_slash_create(struct vnode *dir, const char *name)
{
	struct vnode *vn;
	int err = child(dir, name, &vn);

	if (err == 0) {
		vnode_put(vn);
		return -EEXIST;
	}
	return err;
}

/* Walk to the parent of path's last component; "", "." and ".." give
 * special_err. */
static int parent_of(struct file *base, const char *path, struct vnode **dir, char *last,
		     bool *trailing, int special_err)
{
	int err = vfs_walk_parent(base, path, dir, last, trailing);

	if (err)
		return err;
	if (is_special(last)) {
		vnode_put(*dir);
		return special_err;
	}
	return 0;
}

/* Where mknod and symlink make a name: the parent (a reference in *dir)
 * and the last component, after Linux's checks for "", "." and "..", a
 * trailing slash, and a mount point there. 0 or -errno. */
static int new_name(struct file *base, const char *path, struct vnode **dir, char *last)
{
	bool trailing;
	int err = parent_of(base, path, dir, last, &trailing, -EEXIST);

	if (err)
		return err;
	if (trailing)
		err = trailing_slash_create(*dir, last);
	else if (vfs_mount_covering(*dir, last))
		err = -EEXIST;
	if (err)
		vnode_put(*dir);
	return err;
}

int vfs_mkdir(struct file *base, const char *path, mode_t mode)
{
	struct vnode *dir, *vn;
	char last[VFS_NAME_MAX + 1];
	bool trailing;
	int err = parent_of(base, path, &dir, last, &trailing, -EEXIST);

	if (err)
		return err;
	if (vfs_mount_covering(dir, last))
		err = -EEXIST;
	else if (!dir->mnt->ops->mkdir)
		err = -EPERM;
	else
		err = dir->mnt->ops->mkdir(dir, last, S_IFDIR | (mode & 07777 & ~umask_), &vn);
	if (!err) {
		vnode_set_parent(vn, dir, last);
		vnode_put(vn);
	}
	vnode_put(dir);
	return err;
}

int vfs_mknod(struct file *base, const char *path, mode_t mode, dev_t dev)
{
	struct vnode *dir, *vn;
	char last[VFS_NAME_MAX + 1];
	int err;

	/* Linux's may_mknod: a directory EPERM; not a file type EINVAL;
	 * device nodes EPERM (the guest may not make host devices). */
	switch (mode & S_IFMT) {
	case 0:
		mode |= S_IFREG;
		break;
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	case S_IFDIR:
	case S_IFCHR:
	case S_IFBLK:
		return -EPERM;
	default:
		return -EINVAL;
	}
	err = new_name(base, path, &dir, last);
	if (err)
		return err;
	if (!dir->mnt->ops->mknod)
		err = -EPERM;
	else
		err = dir->mnt->ops->mknod(dir, last, (mode & S_IFMT) | (mode & 07777 & ~umask_), dev, &vn);
	if (!err)
		vnode_put(vn);
	vnode_put(dir);
	return err;
}

/*
 * NOTE: unlink, rmdir and rename look the victim up first and hold it until
 * the reply, as Linux does through its dentries. virtiofsd (QEMU 7.2)
 * insists on it: it finds the victim in its table of nodes the client
 * holds, and answers EIO for one the client has forgotten.
 */
int vfs_unlink(struct file *base, const char *path, int flags)
{
	struct vnode *dir, *vn;
	char last[VFS_NAME_MAX + 1];
	bool trailing;
	int err;

	if (flags & ~VFS_REMOVEDIR)
		return -EINVAL;
	if (flags & VFS_REMOVEDIR)
		return vfs_rmdir(base, path);
	err = parent_of(base, path, &dir, last, &trailing, -EISDIR);
	if (err)
		return err;
	err = child(dir, last, &vn);
	if (err) {
		vnode_put(dir);
		return err;
	}
	if (S_ISDIR(vn->type))
		err = -EISDIR;
	else if (trailing)
		err = -ENOTDIR;
	else if (!dir->mnt->ops->unlink)
		err = -EPERM;
	else
		err = dir->mnt->ops->unlink(dir, last);
	vnode_put(vn);
	vnode_put(dir);
	return err;
}

int vfs_rmdir(struct file *base, const char *path)
{
	struct vnode *dir, *vn;
	char last[VFS_NAME_MAX + 1];
	bool trailing;
	int err = vfs_walk_parent(base, path, &dir, last, &trailing);

	if (err)
		return err;
	if (!last[0])
		err = -EBUSY;           /* "/" */
	else if (!strcmp(last, "."))
		err = -EINVAL;
	else if (!strcmp(last, ".."))
		err = -ENOTEMPTY;
	else if (vfs_mount_covering(dir, last))
		err = -EBUSY;
	if (err) {
		vnode_put(dir);
		return err;
	}
	err = child(dir, last, &vn);
	if (err) {
		vnode_put(dir);
		return err;
	}
	if (!S_ISDIR(vn->type))
		err = -ENOTDIR;
	else if (!dir->mnt->ops->rmdir)
		err = -EPERM;
	else
		err = dir->mnt->ops->rmdir(dir, last);
	if (!err)
		vn->gone = true;
	vnode_put(vn);
	vnode_put(dir);
	return err;
}

int vfs_rename(struct file *obase, const char *oldpath, struct file *nbase,
	       const char *newpath, unsigned flags)
{
	struct vnode *odir, *ndir, *ovn = NULL, *nvn = NULL;
	char oname[VFS_NAME_MAX + 1], nname[VFS_NAME_MAX + 1];
	bool otrail, ntrail;
	int err;

	if (flags & ~3u || flags == 3u)
		return -EINVAL;         /* NOREPLACE|EXCHANGE together, or unknown */
	err = vfs_walk_parent(obase, oldpath, &odir, oname, &otrail);
	if (err)
		return err;
	err = vfs_walk_parent(nbase, newpath, &ndir, nname, &ntrail);
	if (err) {
		vnode_put(odir);
		return err;
	}
	if (is_special(oname) || is_special(nname))
		err = -EBUSY;
	else if (vfs_mount_covering(odir, oname) || vfs_mount_covering(ndir, nname))
		err = -EBUSY;
	else if (odir->mnt != ndir->mnt)
		err = -EXDEV;
	else if (!odir->mnt->ops->rename)
		err = -EPERM;
	if (err)
		goto out;
	/* Hold the source and, if it exists, the target (see the NOTE). */
	err = child(odir, oname, &ovn);
	if (err)
		goto out;
	err = child(ndir, nname, &nvn);
	if (err == -ENOENT && !(flags & RENAME_EXCHANGE)) {
		nvn = NULL;
		err = 0;
	}
	if (err)
		goto out;
	if ((otrail || ntrail) && !S_ISDIR(ovn->type) && !(flags & RENAME_EXCHANGE))
		err = -ENOTDIR;
	else if (nvn && (flags & RENAME_NOREPLACE))
		err = -EEXIST;
	else if (nvn && !(flags & RENAME_EXCHANGE) && S_ISDIR(ovn->type) && !S_ISDIR(nvn->type))
		err = -ENOTDIR;
	else if (nvn && !(flags & RENAME_EXCHANGE) && !S_ISDIR(ovn->type) && S_ISDIR(nvn->type))
		err = -EISDIR;
	else if (nvn == ovn)
		err = 0;                /* two names of one file: nothing to do */
	else
		err = odir->mnt->ops->rename(odir, oname, ndir, nname, flags);
	if (!err && nvn != ovn)
		vnode_renamed(odir, oname, ndir, nname, flags & RENAME_EXCHANGE);
	if (!err && nvn && nvn != ovn && !(flags & RENAME_EXCHANGE))
		nvn->gone = true;       /* replaced: a cwd there has no name now */
out:
	vnode_put(nvn);
	vnode_put(ovn);
	vnode_put(ndir);
	vnode_put(odir);
	return err;
}

int vfs_link(struct file *obase, const char *oldpath, struct file *nbase,
	     const char *newpath, int flags)
{
	struct vnode *vn, *dir, *nvn;
	char last[VFS_NAME_MAX + 1];
	bool trailing;
	int err;

	if (flags & ~(VFS_FOLLOW | VFS_EMPTY_PATH))
		return -EINVAL;
	err = resolve(obase, oldpath, (flags & VFS_EMPTY_PATH) | ((flags & VFS_FOLLOW) ? 0 : VFS_NOFOLLOW), &vn);
	if (err)
		return err;
	err = parent_of(nbase, newpath, &dir, last, &trailing, -EEXIST);
	if (err) {
		vnode_put(vn);
		return err;
	}
	if (S_ISDIR(vn->type))
		err = -EPERM;
	else if (trailing)
		err = trailing_slash_create(dir, last);
	else if (vfs_mount_covering(dir, last))
		err = -EEXIST;
	else if (vn->mnt != dir->mnt)
		err = -EXDEV;
	else if (!dir->mnt->ops->link)
		err = -EPERM;
	else
		err = dir->mnt->ops->link(vn, dir, last, &nvn);
	if (!err)
		vnode_put(nvn);
	vnode_put(dir);
	vnode_put(vn);
	return err;
}

int vfs_symlink(const char *target, struct file *base, const char *path)
{
	struct vnode *dir, *vn;
	char last[VFS_NAME_MAX + 1];
	size_t tlen = strnlen(target, VFS_PATH_MAX);
	int err;

	if (tlen == 0)
		return -ENOENT;
	if (tlen >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	err = new_name(base, path, &dir, last);
	if (err)
		return err;
	if (!dir->mnt->ops->symlink)
		err = -EPERM;
	else
		err = dir->mnt->ops->symlink(dir, last, target, &vn);
	if (!err)
		vnode_put(vn);
	vnode_put(dir);
	return err;
}

ssize_t vfs_readlink(struct file *base, const char *path, char *buf, size_t n)
{
	struct vnode *vn;
	char *tmp;
	ssize_t len;
	int err;

	if (n == 0)
		return -EINVAL;
	err = resolve(base, path, VFS_NOFOLLOW | VFS_EMPTY_PATH, &vn);
	if (err)
		return err;
	if (!S_ISLNK(vn->type) || !vn->mnt->ops->readlink) {
		vnode_put(vn);
		return -EINVAL;
	}
	/* Read the whole target, then truncate to the caller's size. */
	tmp = kmalloc(VFS_PATH_MAX);
	if (!tmp) {
		vnode_put(vn);
		return -ENOMEM;
	}
	len = vn->mnt->ops->readlink(vn, tmp, VFS_PATH_MAX);
	vnode_put(vn);
	if (len > 0) {
		if ((size_t)len > n)
			len = (ssize_t)n;
		memcpy(buf, tmp, (size_t)len);
	}
	kfree(tmp);
	return len;
}

/* ---- current directory ---- */

static int set_cwd(struct vnode *vn)
{
	if (!S_ISDIR(vn->type))
		return -ENOTDIR;
	vnode_ref(vn);
	vnode_put(vfs_cwd());
	cwd = vn;
	return 0;
}

int vfs_chdir(struct file *base, const char *path)
{
	struct vnode *vn;
	int err = vfs_walk(base, path, 0, &vn);

	if (err)
		return err;
	err = set_cwd(vn);
	vnode_put(vn);
	return err;
}

int vfs_fchdir(struct file *f)
{
	return set_cwd(f->vn);
}

int vfs_getcwd(char *buf, size_t n)
{
	char *tmp = kmalloc(VFS_PATH_MAX);
	size_t pos = VFS_PATH_MAX - 1, len;
	struct vnode *vn = vfs_cwd();
	int err = 0;

	if (!tmp)
		return -ENOMEM;
	tmp[pos] = 0;
	while (vn != vfs_root_mount()->root) {
		const char *name;
		size_t nl;

		if (vn->gone) {
			err = -ENOENT; /* removed: Linux says ENOENT */
			break;
		}

		if (vn == vn->mnt->root && vn->mnt->cdir) {
			name = vn->mnt->cname;
			nl = strlen(name);
			vn = vn->mnt->cdir;
		} else if (vn->parent && vn->name) {
			name = vn->name;
			nl = strlen(name);
			vn = vn->parent;
		} else {
			err = -ENOENT;  /* detached: removed or reached on the host */
			break;
		}
		if (nl + 1 > pos) {
			err = -ENAMETOOLONG;
			break;
		}
		pos -= nl;
		memcpy(tmp + pos, name, nl);
		tmp[--pos] = '/';
	}
	if (!err && pos == VFS_PATH_MAX - 1)
		tmp[--pos] = '/';
	len = VFS_PATH_MAX - pos;       /* with the NUL */
	if (!err && len > n)
		err = -ERANGE;
	if (!err)
		memcpy(buf, tmp + pos, len);
	kfree(tmp);
	return err ? err : (int)len;
}

/* ---- the console ---- */

int vfs_open_console(int flags, struct file **out)
{
	struct mount *d = vfs_devfs();
	struct vnode *vn;
	int err;

	if (!d)
		return -ENODEV;
	err = d->ops->lookup(d->root, "console", &vn);
	if (err)
		return err;
	err = open_existing(vn, flags, out);
	vnode_put(vn);
	return err;
}

bool vfs_is_console(const struct file *f)
{
	return f->vn->mnt == vfs_devfs() && f->vn->nodeid == DEVFS_CONSOLE_ID;
}

/* ---- locks ---- */

#define OFFSET_MAX INT64_MAX
#define PROCESS_OWNER 1         /* the one process's POSIX lock owner */

static void local_lock_note(void)
{
	static bool said;

	if (!said) {
		said = true;
		kprintf("remora: file locks are kept in this guest only: the server does not forward "
			"POSIX locks (start virtiofsd with -o posix_lock), so host processes and other "
			"guests are not excluded\n");
	}
}

int vfs_lock(struct file *f, int cmd, struct flock *fl)
{
	bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	int op = (cmd == F_GETLK || cmd == F_OFD_GETLK) ? F_GETLK
		 : (cmd == F_SETLK || cmd == F_OFD_SETLK) ? F_SETLK : F_SETLKW;
	int acc = f->flags & O_ACCMODE, type = fl->l_type;
	int64_t base, start, end;
	uint32_t pid = 0;
	struct stat st;
	int err;

	if (f->flags & O_PATH)
		return -EBADF;
	if (type != F_RDLCK && type != F_WRLCK && type != F_UNLCK)
		return -EINVAL;
	if (op == F_GETLK && type == F_UNLCK)
		return -EINVAL;         /* Linux's fcntl_getlk */
	if (ofd && fl->l_pid != 0)
		return -EINVAL;
	if (op != F_GETLK && ((type == F_RDLCK && acc == O_WRONLY) || (type == F_WRLCK && acc == O_RDONLY)))
		return -EBADF;
	switch (fl->l_whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->off;
		break;
	case SEEK_END:
		if ((err = vfs_fstat(f, &st)))
			return err;
		base = st.st_size;
		break;
	default:
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, (int64_t)fl->l_start, &start) || start < 0)
		return -EINVAL;
	if (fl->l_len > 0) {
		if (__builtin_add_overflow(start, (int64_t)fl->l_len - 1, &end))
			return -EOVERFLOW;
	} else if (fl->l_len == 0) {
		end = OFFSET_MAX;
	} else {
		end = start - 1;
		start += fl->l_len;
		if (start < 0)
			return -EINVAL;
	}
	uint64_t owner = ofd ? (uint64_t)(uintptr_t)f : PROCESS_OWNER;
	uint64_t lstart = (uint64_t)start, lend = (uint64_t)end;
	err = f->vn->mnt->ops->lock ? f->vn->mnt->ops->lock(f, owner, op, &lstart, &lend, &type, &pid)
				    : -ENOSYS;
	if (err == -EOPNOTSUPP && op == F_SETLKW) {
		/* A server that cannot wait: wait here, retrying SETLK
		 * every 10 ms (halting in between) until the holder, a host
		 * process or another guest, lets go. */
		do {
			uint64_t until = clock_monotonic_ns() + 10000000;
			while (clock_monotonic_ns() < until)
				__asm__ volatile("sti; hlt" ::: "memory");
			type = fl->l_type;
			lstart = (uint64_t)start;
			lend = (uint64_t)end;
			err = f->vn->mnt->ops->lock(f, owner, F_SETLK, &lstart, &lend, &type, &pid);
		} while (err == -EAGAIN);
	}
	if (err == -ENOSYS) {
		/* Kept in the guest. One process never conflicts with its own
		 * POSIX locks, so they always succeed and F_GETLK finds none.
		 * Open-file (OFD) locks could conflict between two open files
		 * of this process; without a server to arbitrate they are
		 * refused rather than faked. */
		local_lock_note();
		if (ofd)
			return -ENOLCK;
		type = F_UNLCK;
		err = 0;
	} else if (err) {
		return err;
	}
	if (op == F_GETLK) {
		fl->l_type = (short)type;
		if (type != F_UNLCK) {
			/* The conflicting lock, as the server describes it. */
			fl->l_whence = SEEK_SET;
			fl->l_start = (off_t)lstart;
			fl->l_len = lend == OFFSET_MAX ? 0 : (off_t)(lend - lstart + 1);
			fl->l_pid = ofd ? -1 : (pid_t)pid;
		}
		return 0;
	}
	if (ofd)
		f->ofd_locked = true;
	else
		f->vn->plocked = true;
	return 0;
}

/* Drop the locks a close gives up: the process's POSIX locks on the file
 * (any close does that, POSIX says), and on the last close the open
 * file's own OFD locks. */
static void release_locks(struct file *f, bool last)
{
	uint64_t start = 0, end = OFFSET_MAX;
	int type = F_UNLCK;
	uint32_t pid;

	if (!f->vn->mnt->ops->lock)
		return;
	if (f->vn->plocked) {
		f->vn->mnt->ops->lock(f, PROCESS_OWNER, F_SETLK, &start, &end, &type, &pid);
		f->vn->plocked = false;
	}
	if (last && f->ofd_locked)
		f->vn->mnt->ops->lock(f, (uint64_t)(uintptr_t)f, F_SETLK, &start, &end, &type, &pid);
}

static void flock_note(void)
{
	static bool said;

	if (!said) {
		said = true;
		kprintf("remora: flock() locks are kept in this guest only: host processes and "
			"other guests are not excluded\n");
	}
}

/* flock(2) locks belong to open files. The table is small because a
 * single program rarely holds many. */
#define FLOCK_MAX 64
static struct file *flockers[FLOCK_MAX];

int vfs_flock(struct file *f, int op)
{
	int want = op & ~LOCK_NB;

	if (f->flags & O_PATH)
		return -EBADF;
	if (want != LOCK_SH && want != LOCK_EX && want != LOCK_UN)
		return -EINVAL;
	if (want == LOCK_UN) {
		for (int i = 0; i < FLOCK_MAX; i++)
			if (flockers[i] == f)
				flockers[i] = NULL;
		f->flock = 0;
		return 0;
	}
	for (int i = 0; i < FLOCK_MAX; i++) {
		struct file *o = flockers[i];
		if (o && o != f && o->vn == f->vn && (want == LOCK_EX || o->flock == LOCK_EX))
			/* Only this program could release it, and it is
			 * waiting here: blocking would never end. */
			return (op & LOCK_NB) ? -EAGAIN : -EDEADLK;
	}
	flock_note();
	if (!f->flock) {
		int i;
		for (i = 0; i < FLOCK_MAX && flockers[i]; i++)
			;
		if (i == FLOCK_MAX)
			return -ENOLCK;
		flockers[i] = f;
	}
	f->flock = want;
	return 0;
}
