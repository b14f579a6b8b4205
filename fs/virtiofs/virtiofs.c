/*
 * virtio-fs as a VFS file system: each vnode operation is one FUSE request
 * (or a few, for I/O larger than one request carries). With cache=none
 * nothing is kept between calls except node ids with their lookup counts;
 * with cache=auto|always the operations consult the caches of vcache.c
 * first and keep them in step with what they change.
 *
 * Data moves without copies: READ replies land in the caller's buffer and
 * WRITE payloads are read from it, because the buffer is named in the
 * virtqueue descriptors (the kernel identity-maps RAM).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "drivers/virtio/virtio_fs.h"
#include "fs/pcache.h"
#include "fs/virtiofs/fuse.h"
#include "fs/virtiofs/fuse_check.h"
#include "fs/virtiofs/fuse_conn.h"
#include "fs/virtiofs/virtiofs.h"
#include "fs/virtiofs/vio.h"
#include "fs/vnode.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/heap.h"
#include "kernel/kprintf.h"

#define READDIR_BUF 8192
#define req vio_req

static int entry_vnode_raw(struct mount *m, const struct fuse_entry_out *e, struct vnode **out);

/* Turn a checked entry reply into a referenced vnode, counting the lookup
 * (and, in a caching mount, remembering its attributes). */
static int entry_vnode(struct mount *m, const struct fuse_entry_out *e, struct vnode **out)
{
	struct vnode *vn;
	int err = entry_vnode_raw(m, e, &vn);

	if (err)
		return err;
	if (vio_caching(vn))
		vio_attr_set(vn, &e->attr, vio_expiry(vn, e->attr_valid, e->attr_valid_nsec));
	*out = vn;
	return 0;
}

/* Remember name -> node for the entry's validity (caching mounts). */
static void entry_cache(struct vnode *dir, const char *name, const struct fuse_entry_out *e,
			struct vnode *vn)
{
	if (vio_caching(dir))
		vio_dcache_put(dir, name, vn, vio_expiry(dir, e->entry_valid, e->entry_valid_nsec));
}

static int entry_vnode_raw(struct mount *m, const struct fuse_entry_out *e, struct vnode **out)
{
	struct vnode *vn;

	if (fuse_check_entry(e, false))
		return -EIO;
	vn = vnode_get(m, e->nodeid, e->attr.mode);
	if (!vn) {
		fuse_forget(&((struct virtiofs *)m->fs)->conn, e->nodeid, 1);
		return -ENOMEM;
	}
	vn->nlookup++;
	*out = vn;
	return 0;
}

void virtiofs_attr_to_stat(const struct fuse_attr *a, uint64_t dev, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = dev;
	st->st_ino = a->ino;
	st->st_nlink = a->nlink;
	st->st_mode = a->mode;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_rdev = a->rdev;
	st->st_size = (off_t)a->size;
	st->st_blksize = a->blksize ? a->blksize : 4096;
	st->st_blocks = (blkcnt_t)a->blocks;
	st->st_atim.tv_sec = (time_t)a->atime;
	st->st_atim.tv_nsec = a->atimensec;
	st->st_mtim.tv_sec = (time_t)a->mtime;
	st->st_mtim.tv_nsec = a->mtimensec;
	st->st_ctim.tv_sec = (time_t)a->ctime;
	st->st_ctim.tv_nsec = a->ctimensec;
}

static int virtiofs_lookup(struct vnode *dir, const char *name, struct vnode **out)
{
	struct fuse_entry_out e;
	struct fuse_req r = req(FUSE_LOOKUP, dir->nodeid);
	int err;

	if (vio_caching(dir) && (*out = vio_dcache_get(dir, name)))
		return 0;
	r.nin = 1;
	r.in[0] = (struct fuse_arg){ name, (uint32_t)strlen(name) + 1 };
	r.nout = 1;
	r.out[0] = (struct fuse_arg){ &e, sizeof(e) };
	r.min_out = sizeof(e);
	r.tname = name;
	err = fuse_request(conn_of(dir), &r);
	if (!err && e.nodeid == 0)
		err = -ENOENT;          /* a "negative entry": the name does not exist */
	if (err) {
		if (vio_caching(dir))
			vio_dcache_drop(dir, name);     /* an expired entry for it */
		return err;
	}
	err = entry_vnode(dir->mnt, &e, out);
	if (!err)
		entry_cache(dir, name, &e, *out);
	return err;
}

static int virtiofs_getattr(struct vnode *vn, struct file *f, struct stat *st)
{
	/* Writeback: data still in the guest changes size, blocks and mtime
	 * as the host will report them; send it first, so stat tells the
	 * truth (Linux keeps these current itself). */
	if (vio_flush_node(vn) > 0)
		vio_attr_drop(vn);
	if (vio_caching(vn) && vio_attr_get(vn, st))
		return 0;
	return vio_fuse_getattr(vn, f, st);
}

/* GETATTR from the host (and into the attribute cache of a caching mount). */
int vio_fuse_getattr(struct vnode *vn, struct file *f, struct stat *st)
{
	struct fuse_getattr_in in = { 0 };
	struct fuse_attr_out out;
	struct fuse_req r = req(FUSE_GETATTR, vn->nodeid);
	int err;

	if (f && f->has_fh && !S_ISDIR(vn->type)) {
		in.getattr_flags = FUSE_GETATTR_FH;
		in.fh = f->fh;
	}
	req_args(&r, &in, sizeof(in), &out, sizeof(out));
	err = fuse_request(conn_of(vn), &r);
	if (err)
		return err;
	if (fuse_check_attr(&out.attr))
		return -EIO;
	virtiofs_attr_to_stat(&out.attr, vn->mnt->dev, st);
	if (vio_caching(vn) && S_ISREG(vn->type))
		vio_attr_changed(vn, st);
	vio_dax_size(vn, st->st_size);
	if (vio_caching(vn)) {
		vio_attr_set(vn, &out.attr, vio_expiry(vn, out.attr_valid, out.attr_valid_nsec));
		vio_attr_get(vn, st);   /* with writeback's local size */
	}
	return 0;
}

static int virtiofs_setattr(struct vnode *vn, struct file *f, const struct vfs_attr *a)
{
	struct fuse_setattr_in in;
	struct fuse_attr_out out;
	struct fuse_req r = req(FUSE_SETATTR, vn->nodeid);
	int err;

	memset(&in, 0, sizeof(in));
	if (a->valid & VFS_ATTR_MODE) {
		in.valid |= FATTR_MODE;
		in.mode = a->mode & 07777;
	}
	if (a->valid & VFS_ATTR_UID) {
		in.valid |= FATTR_UID;
		in.uid = a->uid;
	}
	if (a->valid & VFS_ATTR_GID) {
		in.valid |= FATTR_GID;
		in.gid = a->gid;
	}
	if (a->valid & VFS_ATTR_SIZE) {
		in.valid |= FATTR_SIZE;
		in.size = (uint64_t)a->size;
		r.tlen = a->size;
	}
	if (a->valid & VFS_ATTR_ATIME) {
		if (a->atime.tv_nsec == UTIME_NOW) {
			in.valid |= FATTR_ATIME | FATTR_ATIME_NOW;
		} else {
			in.valid |= FATTR_ATIME;
			in.atime = (uint64_t)a->atime.tv_sec;
			in.atimensec = (uint32_t)a->atime.tv_nsec;
		}
	}
	if (a->valid & VFS_ATTR_MTIME) {
		if (a->mtime.tv_nsec == UTIME_NOW) {
			in.valid |= FATTR_MTIME | FATTR_MTIME_NOW;
		} else {
			in.valid |= FATTR_MTIME;
			in.mtime = (uint64_t)a->mtime.tv_sec;
			in.mtimensec = (uint32_t)a->mtime.tv_nsec;
		}
	}
	if (f && f->has_fh && !S_ISDIR(vn->type)) {
		in.valid |= FATTR_FH;
		in.fh = f->fh;
	}
	req_args(&r, &in, sizeof(in), &out, sizeof(out));
	if ((a->valid & VFS_ATTR_SIZE) && vio_caching(vn) && f)
		vio_flush_dirty(f);     /* dirty data below the new end stays ordered */
	if (a->valid & VFS_ATTR_SIZE)
		vio_dax_truncate(vn, a->size);  /* nothing mapped past the new end */
	err = fuse_request(conn_of(vn), &r);
	if (!err && fuse_check_attr(&out.attr) == 0)
		vio_dax_size(vn, (off_t)out.attr.size);
	if (!vio_caching(vn))
		return err;
	if (a->valid & VFS_ATTR_SIZE && !err)
		vio_truncated(vn, a->size);
	if (!err && fuse_check_attr(&out.attr) == 0)
		vio_attr_set(vn, &out.attr, vio_expiry(vn, out.attr_valid, out.attr_valid_nsec));
	else
		vio_attr_drop(vn);
	return err;
}

/* The flags FUSE OPEN/CREATE carry: what the host's open(2) should see. */
static uint32_t open_flags(struct fuse_conn *c, int flags)
{
	flags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC);
	if (!(c->flags & FUSE_ATOMIC_O_TRUNC))
		flags &= ~O_TRUNC;
	return (uint32_t)flags;
}

static int virtiofs_open(struct vnode *vn, struct file *f)
{
	struct fuse_conn *c = conn_of(vn);
	bool dir = S_ISDIR(vn->type);
	struct fuse_open_in in = { 0 };
	struct fuse_open_out out;
	struct fuse_req r = req(dir ? FUSE_OPENDIR : FUSE_OPEN, vn->nodeid);
	int err;

	in.flags = dir ? (uint32_t)(f->flags & (O_ACCMODE | O_DIRECTORY | O_NONBLOCK)) : open_flags(c, f->flags);
	/* Atomic O_TRUNC: the host truncates as part of OPEN, so nothing of
	 * the window past 0 may stay in use or be trusted (docs/dax.md). */
	if (!dir && (in.flags & O_TRUNC))
		vio_dax_truncate(vn, 0);
	req_args(&r, &in, sizeof(in), &out, sizeof(out));
	err = fuse_request(c, &r);
	if (err)
		return err;
	f->fh = out.fh;
	f->has_fh = true;
	/* The host decides too: DIRECT_IO bypasses the page cache for this
	 * open; KEEP_CACHE says cached pages are still good. */
	f->direct = (out.open_flags & FOPEN_DIRECT_IO) || !vio_caching(vn);
	f->truncated = (f->flags & O_TRUNC) && (c->flags & FUSE_ATOMIC_O_TRUNC);
	if (vio_caching(vn) && !dir) {
		if (f->truncated)
			vio_truncated(vn, 0);
		if (vio_of(vn)->cache != VIO_CACHE_ALWAYS)
			vio_attr_drop(vn);      /* auto revalidates on open; always keeps */
		err = vio_open_check(f, (out.open_flags & FOPEN_KEEP_CACHE) ||
					    vio_of(vn)->cache == VIO_CACHE_ALWAYS);
		if (err)
			return err;
	}
	/* Without atomic O_TRUNC the VFS truncates with SETATTR. */
	return 0;
}

static int virtiofs_create(struct vnode *dir, const char *name, mode_t mode, struct file *f,
		      struct vnode **out)
{
	struct fuse_conn *c = conn_of(dir);
	struct fuse_create_in in = { 0 };
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} rep;
	struct fuse_req r = req(FUSE_CREATE, dir->nodeid);
	int err;

	_Static_assert(sizeof(rep) == sizeof(struct fuse_entry_out) + sizeof(struct fuse_open_out),
		       "CREATE reply parts are contiguous");
	in.flags = open_flags(c, f->flags) | (f->flags & O_EXCL);
	in.mode = mode;
	in.umask = 0;   /* DONT_MASK: mode already has the umask applied */
	r.nin = 2;
	r.in[0] = (struct fuse_arg){ &in, sizeof(in) };
	r.in[1] = (struct fuse_arg){ name, (uint32_t)strlen(name) + 1 };
	r.nout = 1;
	r.out[0] = (struct fuse_arg){ &rep, sizeof(rep) };
	r.min_out = sizeof(rep);
	r.tname = name;
	err = fuse_request(c, &r);
	if (err)
		return err;
	err = entry_vnode(dir->mnt, &rep.e, out);
	if (err) {
		/* Don't leak the host's open file. */
		struct fuse_release_in rin = { .fh = rep.o.fh, .flags = in.flags };
		struct fuse_req rr = req(FUSE_RELEASE, rep.e.nodeid);

		rr.nin = 1;
		rr.in[0] = (struct fuse_arg){ &rin, sizeof(rin) };
		if (rep.e.nodeid > FUSE_ROOT_ID) {
			fuse_request(c, &rr);
			if (err != -EIO)
				fuse_forget(c, rep.e.nodeid, 1);
		}
		return err;
	}
	f->fh = rep.o.fh;
	f->has_fh = true;
	f->direct = (rep.o.open_flags & FOPEN_DIRECT_IO) || !vio_caching(dir);
	if (vio_caching(dir)) {
		vio_attr_drop(dir);
		entry_cache(dir, name, &rep.e, *out);
	}
	return 0;
}

static int virtiofs_flush(struct file *f)
{
	struct fuse_flush_in in = { .fh = f->fh };
	struct fuse_req r = req(FUSE_FLUSH, f->vn->nodeid);
	int err, wb = 0;

	if (!f->has_fh || S_ISDIR(f->vn->type))
		return 0;
	if (vio_caching(f->vn))
		wb = vio_flush_dirty(f);        /* close(2) reports write-back errors */
	req_args(&r, &in, sizeof(in), NULL, 0);
	err = fuse_request(conn_of(f->vn), &r);
	if (vio_caching(f->vn))
		vio_close_stamp(f);
	if (err == -ENOSYS)
		err = 0;
	return wb ? wb : err;
}

static void virtiofs_release(struct file *f)
{
	bool dir = S_ISDIR(f->vn->type);
	struct fuse_release_in in = { .fh = f->fh, .flags = (uint32_t)(f->flags & ~(O_CREAT | O_EXCL | O_NOCTTY)) };
	struct fuse_req r = req(dir ? FUSE_RELEASEDIR : FUSE_RELEASE, f->vn->nodeid);

	struct vio_node *n = f->vn->priv;

	if (!f->has_fh)
		return;
	if (n && n->wb_file == f) {
		vio_flush_dirty(f);
		n->wb_file = NULL;
	}
	req_args(&r, &in, sizeof(in), NULL, 0);
	fuse_request(conn_of(f->vn), &r);
	f->has_fh = false;
}

static ssize_t virtiofs_read(struct file *f, void *buf, size_t n, off_t off)
{
	if (vio_dax(f->vn))
		return vio_dax_read(f, buf, n, off);
	if (!f->direct)
		return vio_cached_read(f, buf, n, off);
	return vio_fuse_read(f, buf, n, off);
}

static ssize_t virtiofs_write(struct file *f, const void *buf, size_t n, off_t off)
{
	ssize_t put;

	if (vio_dax(f->vn)) {
		/* The size (and times) may have moved on the host: cached
		 * attributes are stale, and an O_APPEND offset comes from them. */
		put = vio_dax_write(f, buf, n, off);
		if (put > 0 && vio_caching(f->vn))
			vio_attr_drop(f->vn);
		return put;
	}
	if (!f->direct)
		return vio_cached_write(f, buf, n, off);
	put = vio_fuse_write(f, buf, n, off);
	if (put > 0 && vio_caching(f->vn)) {
		/* Another open of the file may cache pages: they are stale. */
		pcache_drop(f->vn, 0);
		vio_attr_drop(f->vn);
	}
	return put;
}

/* READ from the host into buf (no cache), split at max_read. */
ssize_t vio_fuse_read(struct file *f, void *buf, size_t n, off_t off)
{
	struct fuse_conn *c = conn_of(f->vn);
	size_t done = 0;

	while (done < n) {
		uint32_t chunk = n - done < c->max_read ? (uint32_t)(n - done) : c->max_read;
		struct fuse_read_in in = { .fh = f->fh, .offset = (uint64_t)off + done, .size = chunk,
					   .flags = (uint32_t)f->flags };
		struct fuse_req r = req(FUSE_READ, f->vn->nodeid);
		int err;

		req_args(&r, &in, sizeof(in), NULL, 0);
		r.nout = 1;
		r.out[0] = (struct fuse_arg){ (char *)buf + done, chunk };
		r.toff = (int64_t)in.offset;
		r.tlen = chunk;
		err = fuse_request(c, &r);
		if (err)
			return done ? (ssize_t)done : err;
		done += r.out_len;
		if (r.out_len < chunk)
			break;  /* end of file */
	}
	return (ssize_t)done;
}

/* WRITE buf to the host (no cache), split at max_write. */
ssize_t vio_fuse_write(struct file *f, const void *buf, size_t n, off_t off)
{
	struct fuse_conn *c = conn_of(f->vn);
	size_t done = 0;

	while (done < n) {
		uint32_t chunk = n - done < c->max_write ? (uint32_t)(n - done) : c->max_write;
		struct fuse_write_in in = { .fh = f->fh, .offset = (uint64_t)off + done, .size = chunk,
					    .flags = (uint32_t)f->flags };
		struct fuse_write_out out;
		struct fuse_req r = req(FUSE_WRITE, f->vn->nodeid);
		int err;

		r.nin = 2;
		r.in[0] = (struct fuse_arg){ &in, sizeof(in) };
		r.in[1] = (struct fuse_arg){ (const char *)buf + done, chunk };
		req_args(&r, NULL, 0, &out, sizeof(out));
		r.toff = (int64_t)in.offset;
		r.tlen = chunk;
		err = fuse_request(c, &r);
		if (err)
			return done ? (ssize_t)done : err;
		if (out.size > chunk)
			return done ? (ssize_t)done : -EIO;     /* wrote more than sent? */
		done += out.size;
		if (out.size < chunk)
			break;
	}
	return (ssize_t)done;
}

static int virtiofs_readdir(struct file *f, vfs_filldir_fn fill, void *ctx)
{
	struct fuse_conn *c = conn_of(f->vn);
	bool plus = c->flags & FUSE_DO_READDIRPLUS;
	char *buf;
	int err = 0;

	if (f->dir_eof)
		return 0;
	buf = kmalloc(READDIR_BUF);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct fuse_read_in in = { .fh = f->fh, .offset = f->dir_off, .size = READDIR_BUF };
		struct fuse_req r = req(plus ? FUSE_READDIRPLUS : FUSE_READDIR, f->vn->nodeid);
		struct fuse_dirent_view d;
		uint32_t pos = 0;
		int got, stop = 0;

		req_args(&r, &in, sizeof(in), NULL, 0);
		r.nout = 1;
		r.out[0] = (struct fuse_arg){ buf, READDIR_BUF };
		r.toff = (int64_t)in.offset;
		r.tlen = READDIR_BUF;
		err = fuse_request(c, &r);
		if (err == -ENOSYS && plus) {
			/* The server agreed to READDIRPLUS but lacks it. */
			c->flags &= ~FUSE_DO_READDIRPLUS;
			plus = false;
			continue;
		}
		if (err)
			break;
		if (r.out_len == 0) {
			f->dir_eof = true;
			break;
		}
		/* First pass: validate everything and hand back every lookup
		 * READDIRPLUS made, whether or not the caller takes the entry
		 * ("." and ".." come without one). */
		while ((got = fuse_dirent_next(buf, r.out_len, &pos, plus, &d)) == 1) {
			bool dot = (d.namelen == 1 && d.name[0] == '.') ||
				   (d.namelen == 2 && d.name[0] == '.' && d.name[1] == '.');
			if (plus && d.entry->nodeid != 0 && !dot)
				fuse_forget(c, d.entry->nodeid, 1);
		}
		if (got < 0) {
			kprintf("fuse: %s: malformed directory entry in %s reply\n", c->dev->tag,
				fuse_opname(r.opcode));
			err = -EIO;
			break;
		}
		pos = 0;
		while (fuse_dirent_next(buf, r.out_len, &pos, plus, &d) == 1) {
			if (fill(ctx, d.name, d.namelen, d.ino, d.type, d.off)) {
				stop = 1;
				break;
			}
			f->dir_off = d.off;
		}
		if (stop)
			break;
	}
	kfree(buf);
	return err;
}

static int virtiofs_fsync(struct file *f, bool datasync)
{
	bool dir = S_ISDIR(f->vn->type);
	struct fuse_fsync_in in = { .fh = f->fh, .fsync_flags = datasync ? FUSE_FSYNC_FDATASYNC : 0 };
	struct fuse_req r = req(dir ? FUSE_FSYNCDIR : FUSE_FSYNC, f->vn->nodeid);
	int err;

	if (!f->has_fh)
		return -EBADF;
	if (!dir && vio_caching(f->vn) && (err = vio_flush_dirty(f)))
		return err;
	req_args(&r, &in, sizeof(in), NULL, 0);
	err = fuse_request(conn_of(f->vn), &r);
	return err == -ENOSYS ? 0 : err;
}

static off_t virtiofs_lseek(struct file *f, off_t off, int whence)
{
	struct fuse_lseek_in in = { .fh = f->fh, .offset = (uint64_t)off, .whence = (uint32_t)whence };
	struct fuse_lseek_out out;
	struct fuse_req r = req(FUSE_LSEEK, f->vn->nodeid);
	struct stat st;
	int err;

	req_args(&r, &in, sizeof(in), &out, sizeof(out));
	r.toff = off;
	if (vio_caching(f->vn) && (err = vio_flush_dirty(f)))
		return err;     /* holes as the host will have them */
	err = fuse_request(conn_of(f->vn), &r);
	if (err == 0)
		return out.offset > INT64_MAX ? -EIO : (off_t)out.offset;
	if (err != -ENOSYS)
		return err;
	/* No LSEEK on the server: the whole file is data, as Linux's generic
	 * implementation assumes. */
	err = virtiofs_getattr(f->vn, f, &st);
	if (err)
		return err;
	if (off >= st.st_size)
		return -ENXIO;
	return whence == SEEK_DATA ? off : st.st_size;
}

static int virtiofs_fallocate(struct file *f, int mode, off_t off, off_t len)
{
	struct fuse_fallocate_in in = { .fh = f->fh, .offset = (uint64_t)off, .length = (uint64_t)len,
					.mode = (uint32_t)mode };
	struct fuse_req r = req(FUSE_FALLOCATE, f->vn->nodeid);
	int err;

	req_args(&r, &in, sizeof(in), NULL, 0);
	r.toff = off;
	r.tlen = len;
	if (vio_caching(f->vn) && (err = vio_flush_dirty(f)))
		return err;
	err = fuse_request(conn_of(f->vn), &r);
	if (vio_caching(f->vn)) {
		pcache_drop(f->vn, 0);  /* punched holes read as zeros now */
		vio_truncated(f->vn, INT64_MAX);
	}
	if (!err && vio_dax(f->vn) && f->vn->priv) {
		/* A collapsed range shortens the file: nothing in the window
		 * may be touched past the new end (docs/dax.md). */
		struct vio_node *n = f->vn->priv;
		off_t before = n->dsize_ok ? n->dsize : INT64_MAX;
		struct stat st;
		int e = vio_fuse_getattr(f->vn, f, &st);

		if (e || st.st_size < before)
			vio_dax_truncate(f->vn, e ? 0 : st.st_size);    /* size unknown: drop all */
	}
	return err == -ENOSYS ? -EOPNOTSUPP : err;
}

/* MKDIR, MKNOD, SYMLINK, LINK: a request whose reply is an entry. */
static int new_entry(struct vnode *dir, struct fuse_req *r, struct vnode **out)
{
	struct fuse_entry_out e;
	int err;

	r->nout = 1;
	r->out[0] = (struct fuse_arg){ &e, sizeof(e) };
	r->min_out = sizeof(e);
	err = fuse_request(conn_of(dir), r);
	if (vio_caching(dir))
		vio_attr_drop(dir);     /* its mtime and link count moved */
	if (err)
		return err;
	err = entry_vnode(dir->mnt, &e, out);
	if (!err)
		entry_cache(dir, r->tname, &e, *out);
	return err;
}

static int virtiofs_mkdir(struct vnode *dir, const char *name, mode_t mode, struct vnode **out)
{
	struct fuse_mkdir_in in = { .mode = mode, .umask = 0 };
	struct fuse_req r = req(FUSE_MKDIR, dir->nodeid);

	r.nin = 2;
	r.in[0] = (struct fuse_arg){ &in, sizeof(in) };
	r.in[1] = (struct fuse_arg){ name, (uint32_t)strlen(name) + 1 };
	r.tname = name;
	return new_entry(dir, &r, out);
}

static int virtiofs_mknod(struct vnode *dir, const char *name, mode_t mode, dev_t dev, struct vnode **out)
{
	struct fuse_mknod_in in = { .mode = mode, .rdev = (uint32_t)dev, .umask = 0 };
	struct fuse_req r = req(FUSE_MKNOD, dir->nodeid);

	r.nin = 2;
	r.in[0] = (struct fuse_arg){ &in, sizeof(in) };
	r.in[1] = (struct fuse_arg){ name, (uint32_t)strlen(name) + 1 };
	r.tname = name;
	return new_entry(dir, &r, out);
}

static int virtiofs_symlink(struct vnode *dir, const char *name, const char *target, struct vnode **out)
{
	struct fuse_req r = req(FUSE_SYMLINK, dir->nodeid);

	/* SYMLINK carries the new name, then the target, each NUL-ended. */
	r.nin = 2;
	r.in[0] = (struct fuse_arg){ name, (uint32_t)strlen(name) + 1 };
	r.in[1] = (struct fuse_arg){ target, (uint32_t)strlen(target) + 1 };
	r.tname = name;
	return new_entry(dir, &r, out);
}

static int virtiofs_link(struct vnode *vn, struct vnode *dir, const char *name, struct vnode **out)
{
	struct fuse_link_in in = { .oldnodeid = vn->nodeid };
	struct fuse_req r = req(FUSE_LINK, dir->nodeid);

	if (vio_caching(vn))
		vio_attr_drop(vn);

	r.nin = 2;
	r.in[0] = (struct fuse_arg){ &in, sizeof(in) };
	r.in[1] = (struct fuse_arg){ name, (uint32_t)strlen(name) + 1 };
	r.tname = name;
	return new_entry(dir, &r, out);
}

static int remove_name(struct vnode *dir, uint32_t op, const char *name)
{
	struct fuse_req r = req(op, dir->nodeid);

	if (vio_caching(dir)) {
		vio_dcache_drop(dir, name);
		vio_attr_drop(dir);
	}

	r.nin = 1;
	r.in[0] = (struct fuse_arg){ name, (uint32_t)strlen(name) + 1 };
	r.tname = name;
	return fuse_request(conn_of(dir), &r);
}

static int virtiofs_unlink(struct vnode *dir, const char *name) { return remove_name(dir, FUSE_UNLINK, name); }
static int virtiofs_rmdir(struct vnode *dir, const char *name) { return remove_name(dir, FUSE_RMDIR, name); }

static int virtiofs_rename(struct vnode *odir, const char *oname, struct vnode *ndir, const char *nname,
		       unsigned flags)
{
	struct fuse_conn *c = conn_of(odir);
	struct fuse_rename2_in in2 = { .newdir = ndir->nodeid, .flags = flags };
	struct fuse_rename_in in1 = { .newdir = ndir->nodeid };
	struct fuse_req r = req(FUSE_RENAME2, odir->nodeid);
	int err;

	if (vio_caching(odir)) {
		vio_dcache_drop(odir, oname);
		vio_dcache_drop(ndir, nname);
		vio_attr_drop(odir);
		vio_attr_drop(ndir);
	}
	r.nin = 3;
	r.in[0] = (struct fuse_arg){ &in2, sizeof(in2) };
	r.in[1] = (struct fuse_arg){ oname, (uint32_t)strlen(oname) + 1 };
	r.in[2] = (struct fuse_arg){ nname, (uint32_t)strlen(nname) + 1 };
	r.tname = oname;
	err = fuse_request(c, &r);
	if (err != -ENOSYS)
		return err;
	if (flags)
		return -EINVAL;         /* Linux: flags the file system can't do */
	r.opcode = FUSE_RENAME;
	r.in[0] = (struct fuse_arg){ &in1, sizeof(in1) };
	return fuse_request(c, &r);
}

static ssize_t virtiofs_readlink(struct vnode *vn, char *buf, size_t n)
{
	struct fuse_req r = req(FUSE_READLINK, vn->nodeid);
	int err;

	if (!S_ISLNK(vn->type))
		return -EINVAL;
	r.nout = 1;
	r.out[0] = (struct fuse_arg){ buf, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n };
	err = fuse_request(conn_of(vn), &r);
	if (err)
		return err;
	if (memchr(buf, 0, r.out_len))
		return -EIO;    /* a target with a NUL in it */
	return r.out_len;
}

static int virtiofs_statfs(struct vnode *vn, struct statfs *st)
{
	struct fuse_statfs_out out;
	struct fuse_req r = req(FUSE_STATFS, vn->nodeid);
	int err;

	req_args(&r, NULL, 0, &out, sizeof(out));
	err = fuse_request(conn_of(vn), &r);
	if (err)
		return err;
	memset(st, 0, sizeof(*st));
	st->f_type = 0x65735546;        /* FUSE_SUPER_MAGIC, as Linux reports */
	st->f_bsize = out.st.bsize;
	st->f_blocks = out.st.blocks;
	st->f_bfree = out.st.bfree;
	st->f_bavail = out.st.bavail;
	st->f_files = out.st.files;
	st->f_ffree = out.st.ffree;
	st->f_namelen = out.st.namelen;
	st->f_frsize = out.st.frsize;
	return 0;
}

/*
 * NOTE: pid is sent as 0: virtiofsd (QEMU 7.2) turns these requests into
 * F_OFD_* locks on the host, which fail with EINVAL for a non-zero l_pid.
 * It also refuses SETLKW (EOPNOTSUPP): the VFS then retries SETLK.
 */
static int virtiofs_lock(struct file *f, uint64_t owner, int cmd, uint64_t *start, uint64_t *end,
			 int *type, uint32_t *pid)
{
	struct fuse_conn *c = conn_of(f->vn);
	struct fuse_lk_in in = { .fh = f->fh, .owner = owner,
				 .lk = { .start = *start, .end = *end, .type = (uint32_t)*type, .pid = 0 } };
	struct fuse_lk_out out;
	struct fuse_req r = req(cmd == F_GETLK ? FUSE_GETLK : cmd == F_SETLK ? FUSE_SETLK : FUSE_SETLKW,
				f->vn->nodeid);
	int err;

	if (!(c->flags & FUSE_POSIX_LOCKS) || !f->has_fh)
		return -ENOSYS;
	req_args(&r, &in, sizeof(in), NULL, 0);
	if (cmd == F_GETLK) {
		req_args(&r, NULL, 0, &out, sizeof(out));
	}
	r.toff = (int64_t)*start;
	r.tlen = (int64_t)(*end - *start);
	err = fuse_request(c, &r);
	if (err)
		return err;
	if (cmd == F_GETLK) {
		if ((out.lk.type != F_RDLCK && out.lk.type != F_WRLCK && out.lk.type != F_UNLCK) ||
		    out.lk.start > out.lk.end || out.lk.end > INT64_MAX)
			return -EIO;
		*type = (int)out.lk.type;
		*start = out.lk.start;
		*end = out.lk.end;
		*pid = out.lk.pid;
	}
	return 0;
}

static int virtiofs_mmap(struct vfs_mapping *vm)
{
	return vio_dax_mmap(vm);
}

static bool virtiofs_munmap(struct vfs_mapping *vm, uint64_t va, uint64_t len)
{
	return vio_dax_munmap(vm, va, len);
}

static void virtiofs_forget(struct vnode *vn)
{
	vio_dax_forget(vn);
	if (vn->priv)
		vio_node_free(vn);
	if (vn->nodeid != FUSE_ROOT_ID)
		fuse_forget(conn_of(vn), vn->nodeid, vn->nlookup);
}

static const struct vnode_ops virtiofs_ops = {
	.lookup = virtiofs_lookup,
	.getattr = virtiofs_getattr,
	.setattr = virtiofs_setattr,
	.open = virtiofs_open,
	.create = virtiofs_create,
	.flush = virtiofs_flush,
	.release = virtiofs_release,
	.read = virtiofs_read,
	.write = virtiofs_write,
	.readdir = virtiofs_readdir,
	.fsync = virtiofs_fsync,
	.lseek = virtiofs_lseek,
	.fallocate = virtiofs_fallocate,
	.mkdir = virtiofs_mkdir,
	.mknod = virtiofs_mknod,
	.symlink = virtiofs_symlink,
	.link = virtiofs_link,
	.unlink = virtiofs_unlink,
	.rmdir = virtiofs_rmdir,
	.rename = virtiofs_rename,
	.readlink = virtiofs_readlink,
	.statfs = virtiofs_statfs,
	.lock = virtiofs_lock,
	.mmap = virtiofs_mmap,
	.munmap = virtiofs_munmap,
	.forget = virtiofs_forget,
};

/* Mount options: cache=none|auto|always, writeback, no_writeback,
 * dax=auto|always|never. */
static int parse_opts(const char *opts, enum vio_cache *cache, bool *writeback, enum vio_dax_mode *dax)
{
	while (opts && *opts) {
		const char *e = opts;
		size_t n;

		while (*e && *e != ',')
			e++;
		n = (size_t)(e - opts);
		if (n == 10 && !strncmp(opts, "cache=none", n))
			*cache = VIO_CACHE_NONE;
		else if (n == 10 && !strncmp(opts, "cache=auto", n))
			*cache = VIO_CACHE_AUTO;
		else if (n == 12 && !strncmp(opts, "cache=always", n))
			*cache = VIO_CACHE_ALWAYS;
		else if (n == 9 && !strncmp(opts, "writeback", n))
			*writeback = true;
		else if (n == 12 && !strncmp(opts, "no_writeback", n))
			*writeback = false;
		else if (n == 8 && !strncmp(opts, "dax=auto", n))
			*dax = VIO_DAX_AUTO;
		else if (n == 10 && !strncmp(opts, "dax=always", n))
			*dax = VIO_DAX_ALWAYS;
		else if (n == 9 && !strncmp(opts, "dax=never", n))
			*dax = VIO_DAX_NEVER;
		else if (n)
			return -EINVAL;
		opts = *e ? e + 1 : e;
	}
	return 0;
}

static const char *const cache_names[] = { "none", "auto", "always" };

struct mount *virtiofs_mount(const char *tag, bool trace, const char *opts, int *err)
{
	enum vio_cache cache = VIO_CACHE_NONE;
	enum vio_dax_mode dax = VIO_DAX_AUTO;
	bool writeback = false;

	struct virtio_fs *dev = virtio_fs_find(tag);
	struct virtiofs *v;
	struct stat st;
	struct vnode *root;

	if (!dev) {
		*err = -ENODEV;
		return NULL;
	}
	if (dev->mounted) {
		*err = -EBUSY;
		return NULL;
	}
	if (parse_opts(opts, &cache, &writeback, &dax)) {
		kprintf("vfs: %s: bad mount options \"%s\"\n", dev->tag, opts);
		*err = -EINVAL;
		return NULL;
	}
	if (writeback && cache == VIO_CACHE_NONE) {
		kprintf("vfs: %s: writeback needs a cache (cache=auto or always); ignored\n", dev->tag);
		writeback = false;
	}
	v = kmalloc(sizeof(*v));
	if (!v) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = fuse_conn_init(&v->conn, dev, trace, writeback);
	if (*err) {
		kfree(v);
		return NULL;
	}
	*err = vio_dax_init(v, dax);
	if (*err) {
		fuse_conn_destroy(&v->conn);
		kfree(v);
		return NULL;
	}
	dev->mounted = true;
	v->cache = cache;
	v->writeback = writeback && (v->conn.flags & FUSE_WRITEBACK_CACHE);
	if (writeback && !v->writeback)
		kprintf("vfs: %s: the server refused the writeback cache; writing through\n", dev->tag);
	kprintf("vfs: %s: cache=%s%s\n", dev->tag, cache_names[cache], v->writeback ? ", writeback" : "");
	memcpy(v->source, dev->tag, sizeof(v->source));
	v->mnt.source = v->source;
	v->mnt.ops = &virtiofs_ops;
	v->mnt.fs = v;
	/* The root is node 1 by definition; it needs no LOOKUP and is never
	 * forgotten. Its type is checked with GETATTR. */
	root = vnode_get(&v->mnt, FUSE_ROOT_ID, S_IFDIR);
	if (!root) {
		*err = -ENOMEM;
		return NULL;
	}
	v->mnt.root = root;
	*err = virtiofs_getattr(root, NULL, &st);
	if (!*err && !S_ISDIR(st.st_mode))
		*err = -ENOTDIR;
	if (*err) {
		kprintf("vfs: %s: root node unusable (%d)\n", dev->tag, *err);
		return NULL;
	}
	return &v->mnt;
}

void virtiofs_unmount(struct mount *m)
{
	struct virtiofs *v = m->fs;

	vio_dax_unmount(v);
	fuse_conn_destroy(&v->conn);
}

struct fuse_conn *virtiofs_conn(struct mount *m)
{
	return m->ops == &virtiofs_ops ? &((struct virtiofs *)m->fs)->conn : NULL;
}
