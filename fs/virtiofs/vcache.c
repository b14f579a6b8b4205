/*
 * The virtio-fs caches (cache=auto|always; docs/vfs.md): dentries and
 * attributes kept for the validity the host gives with them (forever with
 * always), and file data in the page cache (fs/pcache.c) with readahead,
 * close-to-open checks and, with writeback, dirty pages sent in batches.
 *
 * Lifecycles. A dentry holds a reference on its directory and on its
 * child, so a cached name keeps its node (and the server's lookup count)
 * alive; when the entry expires, is evicted or is dropped by a change, the
 * references go and an unused node is FORGOTTEN as usual (fs/vnode.h). A
 * node's pages are dropped before the node is freed; dirty pages exist only
 * while a file is open for writing on it (every close flushes them).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fs/pcache.h"
#include "fs/virtiofs/fuse_check.h"
#include "fs/virtiofs/virtiofs.h"
#include "fs/virtiofs/vio.h"
#include "kernel/clock.h"
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/heap.h"
#include "kernel/kprintf.h"

#define PG PCACHE_PAGE
#define DCACHE_HASH 1024
#define DCACHE_MAX 4096

/* ---- per-node state ---- */

struct vio_node *vio_node(struct vnode *vn)
{
	if (!vn->priv)
		vn->priv = kmalloc(sizeof(struct vio_node));
	return vn->priv;
}

void vio_node_free(struct vnode *vn)
{
	pcache_drop(vn, 0);
	kfree(vn->priv);
	vn->priv = NULL;
}

uint64_t vio_expiry(struct vnode *vn, uint64_t sec, uint32_t nsec)
{
	switch (vio_of(vn)->cache) {
	case VIO_CACHE_ALWAYS:
		return UINT64_MAX;
	case VIO_CACHE_AUTO:
		if (sec == 0 && nsec == 0)
			return 0;
		if (sec > 1000000000ull)
			return UINT64_MAX;
		return clock_monotonic_ns() + sec * 1000000000ull + nsec;
	default:
		return 0;
	}
}

static bool fresh(uint64_t expire)
{
	return expire == UINT64_MAX || clock_monotonic_ns() < expire;
}

/* ---- dentries ---- */

struct dentry {
	struct vnode *dir, *child;
	uint64_t expire;
	struct dentry *hnext, *prev, *next;     /* hash chain; LRU, newest first */
	char name[];
};

/* readahead=SIZE caps the window below the server's max_readahead (0: one
 * page at a time, for measuring what readahead buys). UINT32_MAX: no cap. */
static uint32_t ra_cap_bytes = UINT32_MAX;

static struct dentry *dhash[DCACHE_HASH];
static struct dentry *dlru, *dlru_tail;
static int ndentries;

static unsigned dslot(struct vnode *dir, const char *name)
{
	uint64_t h = (uintptr_t)dir * 0x9e3779b97f4a7c15ull;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 0x100000001b3ull;
	return (unsigned)(h >> 40) % DCACHE_HASH;
}

static struct dentry *dfind(struct vnode *dir, const char *name)
{
	for (struct dentry *d = dhash[dslot(dir, name)]; d; d = d->hnext)
		if (d->dir == dir && !strcmp(d->name, name))
			return d;
	return NULL;
}

static void dremove(struct dentry *d)
{
	struct dentry **pp = &dhash[dslot(d->dir, d->name)];

	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	if (d->prev)
		d->prev->next = d->next;
	else
		dlru = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		dlru_tail = d->prev;
	ndentries--;
	vnode_put(d->child);
	vnode_put(d->dir);
	kfree(d);
}

struct vnode *vio_dcache_get(struct vnode *dir, const char *name)
{
	struct dentry *d = dfind(dir, name);

	if (!d || !fresh(d->expire))
		return NULL;
	/* An expired entry stays until the new LOOKUP replaces it (or fails
	 * and drops it): so the node, with its cached pages, survives a
	 * re-lookup that returns it again. */
	return vnode_ref(d->child);
}

void vio_dcache_put(struct vnode *dir, const char *name, struct vnode *child, uint64_t expire)
{
	size_t n = strlen(name);
	struct dentry *d;
	unsigned h;

	if (!expire || !fresh(expire))
		return;
	if ((d = dfind(dir, name)))
		dremove(d);
	d = kmalloc(sizeof(*d) + n + 1);
	if (!d)
		return;
	memcpy(d->name, name, n + 1);
	d->dir = vnode_ref(dir);
	d->child = vnode_ref(child);
	d->expire = expire;
	h = dslot(dir, name);
	d->hnext = dhash[h];
	dhash[h] = d;
	d->next = dlru;
	if (dlru)
		dlru->prev = d;
	dlru = d;
	if (!dlru_tail)
		dlru_tail = d;
	if (++ndentries > DCACHE_MAX)
		dremove(dlru_tail);
}

void vio_dcache_drop(struct vnode *dir, const char *name)
{
	struct dentry *d = dfind(dir, name);

	if (d) {
		vio_attr_drop(d->child);
		dremove(d);
	}
}

void vio_dcache_drop_mount(struct mount *m)
{
	for (struct dentry *d = dlru, *next; d; d = next) {
		next = d->next;
		if (d->dir->mnt == m)
			dremove(d);
	}
}

/* ---- attributes ---- */

bool vio_attr_get(struct vnode *vn, struct stat *st)
{
	struct vio_node *n = vn->priv;

	if (!n || !n->attr_ok || !fresh(n->attr_expire))
		return false;
	*st = n->attr;
	if (n->wsize_ok && n->wsize > st->st_size)
		st->st_size = n->wsize;         /* data not yet written back */
	return true;
}

void vio_attr_set(struct vnode *vn, const struct fuse_attr *a, uint64_t expire)
{
	struct vio_node *n = vio_node(vn);

	if (!n)
		return;
	virtiofs_attr_to_stat(a, vn->mnt->dev, &n->attr);
	n->attr_expire = expire;
	n->attr_ok = expire != 0;
}

void vio_attr_drop(struct vnode *vn)
{
	struct vio_node *n = vn->priv;

	if (n)
		n->attr_ok = false;
}

/* ---- data ---- */

/* The file's size as this guest sees it (cached attributes, dirty data). */
static int file_size(struct file *f, off_t *size)
{
	struct stat st;
	int err = f->vn->mnt->ops->getattr(f->vn, f, &st);

	if (err)
		return err;
	*size = st.st_size;
	return 0;
}

/* Read pages [idx, idx+count) from the host straight into new page frames. */
static int fill(struct file *f, struct vio_node *n, uint64_t idx, off_t size)
{
	struct fuse_conn *c = conn_of(f->vn);
	uint64_t last = ((uint64_t)size - 1) / PG;
	uint32_t cap = c->max_readahead / PG, count = 0;
	struct cpage *pages[FUSE_REQ_PAGES];
	struct fuse_req r = vio_req(FUSE_READ, f->vn->nodeid);
	struct fuse_read_in in;
	struct pcache_stats ps;
	int err;

	/* Readahead: one page for a random reader; doubling for a sequential
	 * one, up to max_readahead (and what one request can carry). */
	pcache_stats(&ps);
	if (ra_cap_bytes != UINT32_MAX && cap > ra_cap_bytes / PG)
		cap = ra_cap_bytes / PG;
	if (cap > FUSE_REQ_PAGES)
		cap = FUSE_REQ_PAGES;
	if (cap > c->max_read / PG)
		cap = c->max_read / PG;
	if (cap > ps.max_pages / 4)
		cap = (uint32_t)(ps.max_pages / 4);
	if (cap < 1)
		cap = 1;
	n->ra_pages = (idx == n->ra_next && n->ra_pages) ? n->ra_pages * 2 : 1;
	if (n->ra_pages > cap)
		n->ra_pages = cap;
	while (count < n->ra_pages && idx + count <= last && (count == 0 || !pcache_find(f->vn, idx + count))) {
		pages[count] = pcache_add_unzeroed(f->vn, idx + count);
		if (!pages[count])
			break;
		count++;
	}
	if (count == 0)
		return -ENOMEM;
	in = (struct fuse_read_in){ .fh = f->fh, .offset = idx * PG, .size = count * PG,
				    .flags = (uint32_t)f->flags };
	req_args(&r, &in, sizeof(in), NULL, 0);
	r.nout = count;
	for (uint32_t i = 0; i < count; i++)
		r.out[i] = (struct fuse_arg){ pages[i]->data, PG };
	r.toff = (int64_t)in.offset;
	r.tlen = in.size;
	err = fuse_request(c, &r);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t at = (uint64_t)i * PG;
		pages[i]->valid = err ? 0 : (r.out_len > at ? (r.out_len - at > PG ? PG : (uint32_t)(r.out_len - at)) : 0);
		if (pages[i]->valid && pages[i]->valid < PG)
			memset((char *)pages[i]->data + pages[i]->valid, 0, PG - pages[i]->valid);
	}
	/* Short pages stay (they are the file's end); empty ones go. */
	for (uint32_t i = count; i-- > 0;)
		if (!pages[i]->valid)
			pcache_drop_page(pages[i]);
	n->ra_next = idx + count;
	return err;
}

/* The file's size for a read: what file_size() gives, without the call
 * through the vnode operations when the cached attributes are fresh and no
 * writeback data is waiting to go out (virtiofs_getattr would then send
 * nothing and answer from the same fields). True if so. */
static inline bool read_size_cached(struct file *f, struct vio_node *n, off_t *size)
{
	if (!n->attr_ok || (n->ndirty && n->wb_file && vio_of(f->vn)->writeback) || !fresh(n->attr_expire))
		return false;
	*size = n->attr.st_size;
	if (n->wsize_ok && n->wsize > *size)
		*size = n->wsize;       /* data not yet written back */
	return true;
}

ssize_t vio_cached_read(struct file *f, void *buf, size_t len, off_t off)
{
	struct vio_node *n = f->vn->priv ? f->vn->priv : vio_node(f->vn);
	size_t done = 0;
	off_t size;
	int err;

	if (!n)
		return vio_fuse_read(f, buf, len, off);
	if (!read_size_cached(f, n, &size) && (err = file_size(f, &size)))
		return err;
	if (off >= size)
		return 0;
	if ((uint64_t)len > (uint64_t)(size - off))
		len = (size_t)(size - off);
	if (!n->stamp_ok && n->attr_ok) {
		n->stamp_ok = true;
		n->stamp_size = n->attr.st_size;
		n->stamp_mtime = n->attr.st_mtim;
	}
	while (done < len) {
		uint64_t pos = (uint64_t)off + done, idx = pos / PG;
		uint32_t in = (uint32_t)(pos % PG), take;
		struct cpage *pg = pcache_find(f->vn, idx);

		if (pg && pg->valid <= in && pg->valid < PG && !pg->dirty) {
			/* A short page from when the file was shorter. */
			pcache_drop_page(pg);
			pg = NULL;
		}
		pcache_count(pg != NULL);
		if (!pg) {
			err = fill(f, n, idx, size);
			if (err)
				return done ? (ssize_t)done : err;
			pg = pcache_find(f->vn, idx);
		}
		if (!pg || pg->valid <= in)
			break;          /* the host's file ended before our idea of it */
		take = pg->valid - in;
		if (take > len - done)
			take = (uint32_t)(len - done);
		pcache_copy((char *)buf + done, (char *)pg->data + in, take);
		done += take;
	}
	return (ssize_t)done;
}

/* Bring the bytes of page idx that lie before the end of the file in
 * from the host, for a partial overwrite (writeback mode). */
static int page_in(struct file *f, struct cpage *pg, off_t size)
{
	struct fuse_read_in in = { .fh = f->fh, .offset = pg->index * PG, .size = PG,
				   .flags = (uint32_t)f->flags };
	struct fuse_req r = vio_req(FUSE_READ, f->vn->nodeid);
	int err;

	if ((off_t)(pg->index * PG) >= size)
		return 0;
	req_args(&r, &in, sizeof(in), NULL, 0);
	r.nout = 1;
	r.out[0] = (struct fuse_arg){ pg->data, PG };
	r.toff = (int64_t)in.offset;
	r.tlen = PG;
	err = fuse_request(conn_of(f->vn), &r);
	if (!err)
		pg->valid = r.out_len;
	return err;
}

ssize_t vio_cached_write(struct file *f, const void *buf, size_t len, off_t off)
{
	struct vio_node *n = vio_node(f->vn);
	size_t done = 0;
	ssize_t put;

	if (!n)
		return vio_fuse_write(f, buf, len, off);
	if (!vio_of(f->vn)->writeback) {
		/* Write-through: to the host first, then keep the cached
		 * pages in step with what the host now has. */
		put = vio_fuse_write(f, buf, len, off);
		if (put <= 0)
			return put;
		for (uint64_t pos = (uint64_t)off; pos < (uint64_t)off + (uint64_t)put;) {
			uint64_t idx = pos / PG;
			uint32_t a = (uint32_t)(pos % PG);
			uint32_t b = (uint64_t)off + (uint64_t)put - idx * PG < PG
					     ? (uint32_t)((uint64_t)off + (uint64_t)put - idx * PG) : PG;
			struct cpage *pg = pcache_find(f->vn, idx);

			if (pg && a <= pg->valid) {
				memcpy((char *)pg->data + a, (const char *)buf + (pos - (uint64_t)off), b - a);
				if (b > pg->valid)
					pg->valid = b;
			} else if (pg) {
				pcache_drop_page(pg);   /* a gap in the page: refetch later */
			}
			pos = idx * PG + b;
		}
		vio_attr_drop(f->vn);
		n->stamp_stale = true;
		return put;
	}
	/* Writeback: into the cache; the host gets it at fsync, close, or
	 * when memory runs short. */
	if (!n->wsize_ok) {
		off_t size;
		int err = file_size(f, &size);
		if (err)
			return err;
		n->wsize = size;
		n->wsize_ok = true;
	}
	n->wb_file = f;         /* before any page: eviction may write back through it */
	while (done < len) {
		uint64_t pos = (uint64_t)off + done, idx = pos / PG;
		uint32_t a = (uint32_t)(pos % PG), b = a + (uint32_t)(len - done < PG - a ? len - done : PG - a);
		struct cpage *pg = pcache_find(f->vn, idx);

		if (!pg) {
			pg = pcache_add(f->vn, idx);
			if (!pg)
				return done ? (ssize_t)done : -ENOMEM;
			if (a != 0 || b != PG) {
				int err = page_in(f, pg, n->wsize);
				if (err) {
					pcache_drop_page(pg);
					return done ? (ssize_t)done : err;
				}
			}
		}
		memcpy((char *)pg->data + a, (const char *)buf + done, b - a);
		if (b > pg->valid)
			pg->valid = b;
		if (!pg->dirty) {
			n->ndirty++;
			pg->dirty = true;
			pg->dirty_from = a;
			pg->dirty_to = b;
		} else {
			if (a < pg->dirty_from)
				pg->dirty_from = a;
			if (b > pg->dirty_to)
				pg->dirty_to = b;
		}
		done += b - a;
	}
	if ((off_t)((uint64_t)off + len) > n->wsize)
		n->wsize = (off_t)((uint64_t)off + len);
	n->wb_file = f;
	n->stamp_stale = true;
	return (ssize_t)len;
}

/* Writeback: consecutive dirty pages that join up go out as one WRITE. */
struct batch {
	struct file *f;
	struct cpage *pg[FUSE_REQ_PAGES];
	uint32_t n, max;
	int err;
};

static int send_batch(struct batch *b)
{
	struct fuse_conn *c = conn_of(b->f->vn);
	struct fuse_req r = vio_req(FUSE_WRITE, b->f->vn->nodeid);
	struct fuse_write_in in;
	struct fuse_write_out out;
	uint64_t total = 0, start = b->pg[0]->index * PG + b->pg[0]->dirty_from;
	int err;

	if (!b->n)
		return 0;
	r.nin = 1 + b->n;
	for (uint32_t i = 0; i < b->n; i++) {
		struct cpage *pg = b->pg[i];
		r.in[1 + i] = (struct fuse_arg){ (char *)pg->data + pg->dirty_from, pg->dirty_to - pg->dirty_from };
		total += pg->dirty_to - pg->dirty_from;
	}
	in = (struct fuse_write_in){ .fh = b->f->fh, .offset = start, .size = (uint32_t)total,
				     .flags = (uint32_t)b->f->flags, .write_flags = FUSE_WRITE_CACHE };
	r.in[0] = (struct fuse_arg){ &in, sizeof(in) };
	req_args(&r, NULL, 0, &out, sizeof(out));
	r.toff = (int64_t)start;
	r.tlen = (int64_t)total;
	err = fuse_request(c, &r);
	if (!err && out.size != total)
		err = -EIO;     /* the host took less than the whole batch */
	if (!err) {
		struct vio_node *n = b->f->vn->priv;
		for (uint32_t i = 0; i < b->n; i++) {
			b->pg[i]->dirty = false;
			if (n && n->ndirty)
				n->ndirty--;
		}
	}
	b->n = 0;
	return err;
}

static int collect(struct cpage *pg, void *arg)
{
	struct batch *b = arg;

	if (b->n) {
		struct cpage *last = b->pg[b->n - 1];
		if (last->index + 1 != pg->index || last->dirty_to != PG || pg->dirty_from != 0 ||
		    b->n == b->max) {
			if ((b->err = send_batch(b)))
				return b->err;
		}
	}
	b->pg[b->n++] = pg;
	return 0;
}

int vio_flush_dirty(struct file *f)
{
	struct vio_node *n = f->vn->priv;
	struct batch b = { .f = f };
	uint32_t maxw;
	int err;

	if (!n || !vio_of(f->vn)->writeback || !n->ndirty)
		return 0;
	if ((f->flags & O_ACCMODE) == O_RDONLY || !f->has_fh) {
		if (!n->wb_file)
			return 0;
		b.f = n->wb_file;
	}
	maxw = conn_of(f->vn)->max_write / PG;
	b.max = maxw < FUSE_REQ_PAGES ? (maxw ? maxw : 1) : FUSE_REQ_PAGES;
	err = pcache_each_dirty(f->vn, collect, &b);
	if (!err)
		err = send_batch(&b);
	if (!err && n->wsize_ok)
		n->wsize_ok = false;    /* the host has everything: ask it again */
	return err;
}

/* Eviction of a single dirty page (memory pressure). */
static int writeback_page(struct cpage *pg)
{
	struct vio_node *n = pg->vn->priv;
	struct batch b = { .n = 1, .max = 1 };

	if (!n || !n->wb_file)
		return -EIO;
	b.f = n->wb_file;
	b.pg[0] = pg;
	return send_batch(&b);
}

void vio_attr_changed(struct vnode *vn, const struct stat *st)
{
	struct vio_node *n = vn->priv;

	if (!n || !n->stamp_ok || n->ndirty || vio_of(vn)->cache != VIO_CACHE_AUTO)
		return;
	if (st->st_size == n->stamp_size && st->st_mtim.tv_sec == n->stamp_mtime.tv_sec &&
	    st->st_mtim.tv_nsec == n->stamp_mtime.tv_nsec)
		return;
	/* Fresh attributes show another version: our own write-through
	 * explains it if we wrote since the stamp; else the host changed the
	 * file and the pages are stale (Linux's auto_inval_data). */
	if (!n->stamp_stale)
		pcache_drop(vn, 0);
	n->stamp_size = st->st_size;
	n->stamp_mtime = st->st_mtim;
	n->stamp_stale = false;
}

int vio_flush_node(struct vnode *vn)
{
	struct vio_node *n = vn->priv;
	int err;

	if (!n || !n->wb_file || !vio_of(vn)->writeback || !n->ndirty)
		return 0;
	err = vio_flush_dirty(n->wb_file);
	return err ? err : 1;
}

int vio_open_check(struct file *f, bool keep)
{
	struct vio_node *n = vio_node(f->vn);
	struct stat st;
	int err;

	if (!n || !S_ISREG(f->vn->type))
		return 0;
	/* Never drop dirty pages: the host gets them before we compare. */
	if ((err = vio_flush_node(f->vn)) < 0)
		return err;
	n->ra_pages = 0;
	if (keep)
		return 0;
	/* Close-to-open: fresh attributes; pages from another version of
	 * the file go. */
	err = vio_fuse_getattr(f->vn, f, &st);
	if (err)
		return err;
	if (n->stamp_ok && (st.st_size != n->stamp_size || st.st_mtim.tv_sec != n->stamp_mtime.tv_sec ||
			    st.st_mtim.tv_nsec != n->stamp_mtime.tv_nsec)) {
		pcache_drop(f->vn, 0);
		n->stamp_ok = false;
	}
	if (!n->stamp_ok) {
		n->stamp_ok = true;
		n->stamp_size = st.st_size;
		n->stamp_mtime = st.st_mtim;
	}
	return 0;
}

void vio_close_stamp(struct file *f)
{
	struct vio_node *n = f->vn->priv;
	struct stat st;

	if (!n || !n->stamp_stale)
		return;
	n->stamp_stale = false;
	if (vio_fuse_getattr(f->vn, f, &st) == 0) {
		n->stamp_ok = true;
		n->stamp_size = st.st_size;
		n->stamp_mtime = st.st_mtim;
	} else {
		n->stamp_ok = false;
	}
}

static int count_dirty(struct cpage *pg, void *arg)
{
	(void)pg;
	((struct vio_node *)arg)->ndirty++;
	return 0;
}

void vio_truncated(struct vnode *vn, off_t size)
{
	struct vio_node *n = vn->priv;
	uint64_t keep = ((uint64_t)size + PG - 1) / PG;
	struct cpage *pg;

	pcache_drop(vn, keep);
	if (size % PG && (pg = pcache_find(vn, (uint64_t)size / PG))) {
		uint32_t end = (uint32_t)(size % PG);
		if (pg->valid > end) {
			memset((char *)pg->data + end, 0, PG - end);
			pg->valid = end;
		}
		if (pg->dirty && pg->dirty_to > end)
			pg->dirty_to = end;
		if (pg->dirty && pg->dirty_from >= pg->dirty_to)
			pg->dirty = false;
	}
	if (n) {
		n->wsize_ok = false;
		n->attr_ok = false;
		n->stamp_stale = true;
		n->ndirty = 0;
		pcache_each_dirty(vn, count_dirty, n);
	}
}

static uint64_t parse_bytes(const char *s)
{
	uint64_t v = 0;

	for (; s && *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	if (s && (*s == 'k' || *s == 'K'))
		v <<= 10;
	else if (s && (*s == 'm' || *s == 'M'))
		v <<= 20;
	else if (s && (*s == 'g' || *s == 'G'))
		v <<= 30;
	return v;
}

void vio_cache_init(const struct cmdline *cl)
{
	const char *s = cmdline_get(cl, "cache.size");
	const char *ra = cmdline_get(cl, "readahead");
	uint64_t bytes = 0;

	if (ra)
		ra_cap_bytes = (uint32_t)(parse_bytes(ra) > UINT32_MAX - 1 ? UINT32_MAX - 1 : parse_bytes(ra));

	for (; s && *s >= '0' && *s <= '9'; s++)
		bytes = bytes * 10 + (uint64_t)(*s - '0');
	if (s && (*s == 'k' || *s == 'K'))
		bytes <<= 10;
	else if (s && (*s == 'm' || *s == 'M'))
		bytes <<= 20;
	else if (s && (*s == 'g' || *s == 'G'))
		bytes <<= 30;
	pcache_init(bytes / PG, writeback_page);
}
