/*
 * Inside the virtio-fs file system: the per-mount and per-node state that
 * virtiofs.c (the vnode operations) and vcache.c (the caches) share.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "drivers/virtio/virtio_fs.h"
#include "fs/virtiofs/fuse.h"
#include "fs/virtiofs/fuse_conn.h"
#include "fs/vnode.h"

/* What the guest keeps (docs/vfs.md has the table with virtiofsd's modes). */
enum vio_cache {
	VIO_CACHE_NONE,         /* nothing: every call asks the host */
	VIO_CACHE_AUTO,         /* for the validity the host gives; data close-to-open */
	VIO_CACHE_ALWAYS,       /* everything, never expiring */
};

/* dax= mount option: use the device's window when it has one (auto), or
 * refuse to mount without one (always), or never. */
enum vio_dax_mode {
	VIO_DAX_AUTO,
	VIO_DAX_ALWAYS,
	VIO_DAX_NEVER,
};

struct vio_dax;

struct virtiofs {
	struct fuse_conn conn;
	struct mount mnt;
	char source[VIRTIO_FS_TAG_LEN + 1];
	enum vio_cache cache;
	bool writeback;         /* FUSE_WRITEBACK_CACHE agreed: writes stay until flushed */
	struct vio_dax *dax;    /* the window serves regular files' data; NULL: no DAX */
};

/* Per-node cache state (vn->priv), made on first use in a caching mount. */
struct vio_node {
	bool attr_ok;
	uint64_t attr_expire;           /* monotonic ns; UINT64_MAX: never */
	struct stat attr;
	/* The file's size and mtime when its cached pages were last known
	 * to match the host (close-to-open check). */
	bool stamp_ok;
	off_t stamp_size;
	struct timespec stamp_mtime;
	bool stamp_stale;               /* we wrote: refresh the stamp at close */
	/* Writeback: the size including data not yet sent, and the open file
	 * whose handle the dirty pages go out through. */
	bool wsize_ok;
	off_t wsize;
	struct file *wb_file;
	uint64_t ndirty;                /* dirty pages (so clean files cost no scan) */
	/* Readahead: where a sequential reader goes next, and the window. */
	uint64_t ra_next;
	uint32_t ra_pages;
	/* DAX: the file size window accesses are bounded by (vdax.c), and
	 * where the last access ended (sequential accesses keep mapping
	 * ranges while the window thrashes). */
	bool dsize_ok;
	off_t dsize;
	uint64_t dnext;
};

static inline struct virtiofs *vio_of(struct vnode *vn) { return vn->mnt->fs; }
static inline struct fuse_conn *conn_of(struct vnode *vn) { return &vio_of(vn)->conn; }
static inline bool vio_caching(struct vnode *vn) { return vio_of(vn)->cache != VIO_CACHE_NONE; }
/* The DAX window serves this node's data (regular files of a DAX mount). */
static inline bool vio_dax(struct vnode *vn) { return vio_of(vn)->dax && S_ISREG(vn->type); }

/* A request with no parts yet. Only the header fields are set: the part
 * arrays (room for 60 pages, about 2 KiB) are filled up to nin/nout by the
 * caller and never read past them, so they are not zeroed on this hot path. */
static inline struct fuse_req vio_req(uint32_t opcode, uint64_t nodeid)
{
	struct fuse_req r;

	r.opcode = opcode;
	r.nodeid = nodeid;
	r.nin = r.nout = 0;
	r.min_out = r.out_len = 0;
	r.tname = NULL;
	r.toff = r.tlen = -1;
	return r;
}

/* The common shape of a request: one struct to send and/or one struct to
 * receive (whose full size a success must carry). NULL/0 for none. */
static inline void req_args(struct fuse_req *r, const void *in, uint32_t inlen, void *out,
			    uint32_t outlen)
{
	if (inlen)
		r->in[r->nin++] = (struct fuse_arg){ in, inlen };
	if (outlen) {
		r->out[r->nout++] = (struct fuse_arg){ out, outlen };
		r->min_out = outlen;
	}
}

/* ---- vcache.c ---- */

void vio_cache_init(const struct cmdline *cl);

/* The node's cache state (allocated on first use); NULL if out of memory. */
struct vio_node *vio_node(struct vnode *vn);
/* Free it, dropping the node's pages (the vnode is going away). */
void vio_node_free(struct vnode *vn);

/* When something the host said is valid for sec + nsec expires, by mode. */
uint64_t vio_expiry(struct vnode *vn, uint64_t sec, uint32_t nsec);

/* Dentry cache: (dir, name) → child, holding a reference on both. */
struct vnode *vio_dcache_get(struct vnode *dir, const char *name);
void vio_dcache_put(struct vnode *dir, const char *name, struct vnode *child, uint64_t expire);
void vio_dcache_drop(struct vnode *dir, const char *name);
/* Drop every entry of mount m (unmount). */
void vio_dcache_drop_mount(struct mount *m);

/* Attribute cache. */
bool vio_attr_get(struct vnode *vn, struct stat *st);
void vio_attr_set(struct vnode *vn, const struct fuse_attr *a, uint64_t expire);
void vio_attr_drop(struct vnode *vn);

/* File data through the page cache. */
ssize_t vio_cached_read(struct file *f, void *buf, size_t n, off_t off);
ssize_t vio_cached_write(struct file *f, const void *buf, size_t n, off_t off);
/* Send f's node's dirty pages (writeback mode): 0 or -errno. */
int vio_flush_dirty(struct file *f);
/* Fresh attributes from the host: in auto mode, drop cached pages of a
 * file the host has changed (size or mtime moved) since they were read. */
void vio_attr_changed(struct vnode *vn, const struct stat *st);
/* Send the node's dirty pages, if any, through its writeback file: 1 if
 * there was a writer, 0 if none, or -errno. */
int vio_flush_node(struct vnode *vn);
/* Open: check the node's cached pages against fresh attributes (drop
 * them if the size or mtime changed), unless keep. */
int vio_open_check(struct file *f, bool keep);
/* After closing a file we wrote through: take fresh attributes as the
 * new stamp, so our own changes do not look like the host's. */
void vio_close_stamp(struct file *f);
/* SETATTR size: drop cached data past the new end. */
void vio_truncated(struct vnode *vn, off_t size);

/* The raw FUSE I/O virtiofs.c already does (no cache). */
ssize_t vio_fuse_read(struct file *f, void *buf, size_t n, off_t off);
ssize_t vio_fuse_write(struct file *f, const void *buf, size_t n, off_t off);
int vio_fuse_getattr(struct vnode *vn, struct file *f, struct stat *st);

/* ---- vdax.c (docs/dax.md) ---- */

/* At mount, after INIT: set v->dax up from the device's window. 0 (with
 * one console line saying why when auto finds no usable window), or
 * -EINVAL when mode is always and there is none. */
int vio_dax_init(struct virtiofs *v, enum vio_dax_mode mode);
/* At unmount: the window's statistics on the console. */
void vio_dax_unmount(struct virtiofs *v);
/* The window's range manager (statistics, free ranges), for host tests
 * (tests/unit/test_vfs_dax.c); NULL without DAX. */
struct dax_mgr;
const struct dax_mgr *vio_dax_mgr(const struct virtiofs *v);
/* File data through the window (FUSE for what it cannot serve). */
ssize_t vio_dax_read(struct file *f, void *buf, size_t n, off_t off);
ssize_t vio_dax_write(struct file *f, const void *buf, size_t n, off_t off);
/* The host reported the file's size. */
void vio_dax_size(struct vnode *vn, off_t size);
/* Before a SETATTR that truncates to size: unmap what lies past it. */
int vio_dax_truncate(struct vnode *vn, off_t size);
/* The node is going away: give its ranges back. */
void vio_dax_forget(struct vnode *vn);
/* mmap(MAP_SHARED) of a regular file: vnode_ops mmap/munmap. */
int vio_dax_mmap(struct vfs_mapping *vm);
bool vio_dax_munmap(struct vfs_mapping *vm, uint64_t va, uint64_t len);
