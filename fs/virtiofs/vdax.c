/*
 * DAX in the kernel (docs/dax.md): the virtio-fs cache window as the data
 * path of a mount's regular files.
 *
 *   - The window (shared memory region 0) is identity-mapped write-back at
 *     mount; the range manager (dax.c) decides which 2 MiB piece of which
 *     file sits in which slot, and this file gives it FUSE_SETUPMAPPING and
 *     FUSE_REMOVEMAPPING.
 *   - read/write copy to and from the window. The window is PROT_NONE on
 *     the host except where a file is mapped, and a mapped page past the
 *     host file's end is a SIGBUS in QEMU: so the kernel touches only
 *     ranges it mapped, and only below the file size it knows (refreshed
 *     with GETATTR whenever an access reaches past it).
 *   - Writes that extend the file go through FUSE_WRITE, which moves the
 *     host's size with the data; writes inside the file go to the window.
 *   - When the window is too small for the access pattern (dax_thrashing),
 *     accesses to ranges not already mapped go through FUSE_READ/WRITE,
 *     except sequential ones (a 2 MiB range then serves 512 accesses) and
 *     one in DAX_PROBE_EVERY, still mapped to notice when the pattern
 *     changes.
 *   - mmap(MAP_SHARED) maps window pages into the application's address
 *     space (vio_dax_mmap), pinning the ranges until munmap.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fs/pcache.h"
#include "fs/virtiofs/dax.h"
#include "fs/virtiofs/vio.h"
#include "kernel/errno.h"
#include "kernel/heap.h"
#include "kernel/kprintf.h"
#include "kernel/vm.h"

#define PG 4096ull
#define DAX_PROBE_EVERY 4096
#define DAX_MAX_ALIGN_SHIFT DAX_RANGE_SHIFT     /* map_alignment above 2 MiB: no DAX */
#define DAX_FAIL_LIMIT 8                        /* consecutive map errors: stop using it */

/* One application mapping's window pins: per 2 MiB piece of the file it
 * covers, the range, how many of the mapping's pages use it and which. */
#define PIECE_PAGES (DAX_RANGE_SIZE / 4096)
struct dax_piece {
	struct dax_range *r;
	uint32_t pages;
	uint64_t mapped[PIECE_PAGES / 64];      /* a bit per page with an entry */
};

struct vio_dax_map {
	struct vfs_mapping *vm;
	uint64_t first;                 /* file offset of pieces[0] (2 MiB aligned) */
	uint32_t npieces;
	struct vio_dax_map *next;       /* the mount's mappings */
	struct dax_piece pieces[];
};

struct vio_dax {
	struct virtiofs *v;
	uint64_t base, len;             /* the window: guest-physical = virtual */
	struct dax_mgr m;
	bool broken;                    /* stopped using the window (said why) */
	uint32_t probe, fails;
	struct vio_dax_map *maps;
};

static struct vio_dax *dax_of(struct vnode *vn) { return vio_of(vn)->dax; }

static void *window(struct vio_dax *d, const struct dax_range *r, uint64_t pos)
{
	return (void *)(uintptr_t)(d->base + ((uint64_t)r->slot << DAX_RANGE_SHIFT) +
				   (pos & (DAX_RANGE_SIZE - 1)));
}

static void stop_using(struct vio_dax *d, const char *why, int err)
{
	if (!d->broken)
		kprintf("vfs: %s: DAX off: %s (%d); file data goes through FUSE_READ/WRITE\n",
			d->v->source, why, err);
	d->broken = true;
}

/* ---- the window operations the range manager calls ---- */

static int win_map(void *ctx, void *owner, uint64_t foff, uint64_t moff, uint64_t len, bool writable)
{
	struct vio_dax *d = ctx;
	struct vnode *vn = owner;
	/* fh -1: the mapping outlives any one open file, so the server opens
	 * the inode itself with the access the mapping needs (as Linux asks). */
	struct fuse_setupmapping_in in = {
		.fh = UINT64_MAX, .foffset = foff, .len = len, .moffset = moff,
		.flags = FUSE_SETUPMAPPING_FLAG_READ | (writable ? FUSE_SETUPMAPPING_FLAG_WRITE : 0),
	};
	struct fuse_req r = vio_req(FUSE_SETUPMAPPING, vn->nodeid);

	req_args(&r, &in, sizeof(in), NULL, 0);
	r.toff = (int64_t)foff;
	r.tlen = (int64_t)len;
	return fuse_request(&d->v->conn, &r);
}

static int win_unmap(void *ctx, const uint64_t *moffs, unsigned n, uint64_t len)
{
	struct vio_dax *d = ctx;
	struct fuse_removemapping_in in = { .count = n };
	struct fuse_removemapping_one one[DAX_UNMAP_BATCH];
	struct fuse_req r = vio_req(FUSE_REMOVEMAPPING, 0);

	if (n == 0 || n > DAX_UNMAP_BATCH)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		one[i] = (struct fuse_removemapping_one){ .moffset = moffs[i], .len = len };
	req_args(&r, &in, sizeof(in), NULL, 0);
	r.in[r.nin++] = (struct fuse_arg){ one, (uint32_t)(n * sizeof(one[0])) };
	r.tlen = (int64_t)n;
	return fuse_request(&d->v->conn, &r);
}

static const struct dax_window_ops win_ops = { win_map, win_unmap };

/* ---- mount ---- */

int vio_dax_init(struct virtiofs *v, enum vio_dax_mode mode)
{
	const struct virtio_shm *shm = v->conn.dev->dax;
	const char *why = NULL;
	struct dax_range *ranges = NULL;
	struct dax_range **hash = NULL;
	struct vio_dax *d = NULL;
	uint32_t n;

	v->dax = NULL;
	if (mode == VIO_DAX_NEVER)
		return 0;
	if (!shm)
		why = "the device has no DAX window (shared memory region 0)";
	else if (shm->len < DAX_RANGE_SIZE)
		why = "the DAX window is smaller than one 2 MiB range";
	else if ((v->conn.flags & FUSE_MAP_ALIGNMENT) && v->conn.map_alignment > DAX_MAX_ALIGN_SHIFT)
		why = "the server's map_alignment is above 2 MiB";
	else if (shm->addr & (PG - 1))
		why = "the DAX window is not page-aligned";
	if (!why) {
		n = dax_nranges(shm->len);
		d = kmalloc(sizeof(*d));
		ranges = kmalloc(sizeof(*ranges) * n);
		hash = kmalloc(sizeof(*hash) * n);
		if (!d || !ranges || !hash)
			why = "out of memory for the range table";
		else if (!vm_map(shm->addr, (uint64_t)n << DAX_RANGE_SHIFT, PT_WB))
			why = "the DAX window cannot be mapped";
	}
	if (why) {
		kfree(d);
		kfree(ranges);
		kfree(hash);
		if (mode == VIO_DAX_ALWAYS) {
			kprintf("vfs: %s: dax=always, but %s: not mounting\n", v->conn.dev->tag, why);
			return -EINVAL;
		}
		kprintf("vfs: %s: no DAX: %s; file data goes through FUSE_READ/WRITE\n", v->conn.dev->tag, why);
		return 0;
	}
	d->v = v;
	d->base = shm->addr;
	d->len = (uint64_t)n << DAX_RANGE_SHIFT;
	dax_init(&d->m, d->len, ranges, hash, &win_ops, d);
	v->dax = d;
	kprintf("vfs: %s: DAX window %lu MiB at 0x%lx (%u ranges of 2 MiB)\n", v->conn.dev->tag, d->len >> 20,
		d->base, n);
	return 0;
}

void vio_dax_unmount(struct virtiofs *v)
{
	struct vio_dax *d = v->dax;
	struct dax_stats *s;

	if (!d)
		return;
	s = &d->m.st;
	kprintf("vfs: %s: DAX: %lu maps, %lu hits, %lu upgrades, %lu unmaps in %lu batches, "
		"%lu inline reclaims, %lu bypasses, %lu busy\n", v->source, s->maps, s->hits,
		s->upgrades, s->unmaps, s->unmap_batches, s->inline_reclaims, s->bypasses,
		s->busy_fails);
}

const struct dax_mgr *vio_dax_mgr(const struct virtiofs *v)
{
	return v->dax ? &v->dax->m : NULL;
}

/* ---- sizes ---- */

void vio_dax_size(struct vnode *vn, off_t size)
{
	struct vio_node *n;

	if (!vio_dax(vn) || !(n = vio_node(vn)))
		return;
	n->dsize = size;
	n->dsize_ok = true;
}

/* The file size to bound window accesses by: the last one the host gave,
 * asked again when `want` reaches past it (the host may have appended). */
static int dax_file_size(struct file *f, off_t want, off_t *size)
{
	struct vio_node *n = vio_node(f->vn);
	struct stat st;
	int err;

	if (!n)
		return -ENOMEM;
	if (!n->dsize_ok || want > n->dsize) {
		err = vio_fuse_getattr(f->vn, f, &st);  /* sets dsize (vio_dax_size) */
		if (err)
			return err;
	}
	*size = n->dsize;
	return 0;
}

/* ---- read and write ---- */

/* The pinned range for pos, or NULL: then the caller goes through FUSE
 * (thrashing, every range pinned, or the window failed). */
static struct dax_range *get_range(struct vio_dax *d, struct vnode *vn, uint64_t pos, bool write,
				   bool seq)
{
	struct dax_range *r;
	int err;

	if (d->broken)
		return NULL;
	if (dax_thrashing(&d->m) && !seq && !dax_find(&d->m, vn, pos) && ++d->probe % DAX_PROBE_EVERY) {
		dax_note_bypass(&d->m);
		return NULL;
	}
	r = dax_get(&d->m, vn, pos, write, &err);
	if (r) {
		d->fails = 0;
	} else if (err == -ENOSYS || err == -EOPNOTSUPP) {
		stop_using(d, "the server does not support SETUPMAPPING/REMOVEMAPPING", err);
	} else if (err != -EBUSY && ++d->fails >= DAX_FAIL_LIMIT) {
		stop_using(d, "mapping requests keep failing", err);
	}
	return r;
}

/* After an access: reclaim in a batch when the window runs low and new
 * ranges keep being mapped, so the next misses find free ranges without
 * an unmap round trip each. Only cold ranges go (dax_reclaim_cold): a
 * working set that fills the window exactly is kept. Not when the gets
 * are hits, nor when thrashing (misses then go around the window). */
static void maybe_reclaim(struct vio_dax *d)
{
	if (d->m.nfree < d->m.low_water && dax_missing(&d->m) && !dax_thrashing(&d->m))
		dax_reclaim_cold(&d->m, 2 * d->m.low_water);
}

/* Is an access at off sequential (it starts where the last one on this
 * file ended)? Remembers where this one ends. */
static bool sequential(struct vnode *vn, off_t off, size_t len)
{
	struct vio_node *n = vn->priv;
	bool seq = n->dnext == (uint64_t)off && off != 0;

	n->dnext = (uint64_t)off + len;
	return seq;
}

/* Copy [off, off+len) between buf and the window, piece by piece (the
 * caller has bounded it by the file size); a piece the window cannot serve
 * goes through FUSE_READ/WRITE. */
static ssize_t window_io(struct file *f, char *buf, size_t len, off_t off, bool write)
{
	struct vio_dax *d = dax_of(f->vn);
	bool seq = sequential(f->vn, off, len);
	size_t done = 0;

	while (done < len) {
		uint64_t pos = (uint64_t)off + done;
		size_t chunk = DAX_RANGE_SIZE - (pos & (DAX_RANGE_SIZE - 1));
		struct dax_range *r;
		ssize_t n;

		if (chunk > len - done)
			chunk = len - done;
		r = get_range(d, f->vn, pos, write, seq || done);
		if (r) {
			if (write)
				memcpy(window(d, r, pos), buf + done, chunk);
			else
				memcpy(buf + done, window(d, r, pos), chunk);
			dax_put(&d->m, r);
			done += chunk;
			continue;
		}
		n = write ? vio_fuse_write(f, buf + done, chunk, (off_t)pos)
			  : vio_fuse_read(f, buf + done, chunk, (off_t)pos);
		if (n < 0)
			return done ? (ssize_t)done : n;
		done += (size_t)n;
		if ((size_t)n < chunk)
			break;          /* the host's file is shorter now */
	}
	maybe_reclaim(d);
	return (ssize_t)done;
}

ssize_t vio_dax_read(struct file *f, void *buf, size_t len, off_t off)
{
	off_t size;
	int err;

	if ((err = dax_file_size(f, off + (off_t)len, &size)))
		return err;
	if (off >= size)
		return 0;
	if ((uint64_t)(size - off) < len)
		len = (size_t)(size - off);
	return window_io(f, buf, len, off, false);
}

ssize_t vio_dax_write(struct file *f, const void *buf, size_t len, off_t off)
{
	struct vio_node *n = vio_node(f->vn);
	off_t size;
	int err;

	if ((err = dax_file_size(f, off + (off_t)len, &size)))
		return err;
	if (off + (off_t)len > size) {
		/* Extending: FUSE_WRITE moves the host's size with the data,
		 * and the window (a shared mapping of the same file) sees it. */
		ssize_t put = vio_fuse_write(f, buf, len, off);

		if (put > 0 && off + put > n->dsize)
			n->dsize = off + put;
		return put;
	}
	return window_io(f, (char *)buf, len, off, true);      /* buf is only read */
}

/* ---- application mappings ---- */

static uint64_t page_up(uint64_t x) { return (x + PG - 1) & ~(PG - 1); }

/* Unmap the mapping's pages [from, to) (file offsets, page-aligned) that
 * are mapped, and unpin pieces no page uses any more. One page-table call
 * per piece: a whole 2 MiB page goes without being split. */
static void unmap_pages(struct vio_dax *d, struct vio_dax_map *mp, uint64_t from, uint64_t to)
{
	struct vfs_mapping *vm = mp->vm;
	uint64_t lo = from > (uint64_t)vm->off ? from : (uint64_t)vm->off;
	uint64_t hi = to < (uint64_t)vm->off + vm->len ? to : (uint64_t)vm->off + vm->len;

	while (lo < hi) {
		uint64_t stop = (lo | (DAX_RANGE_SIZE - 1)) + 1;
		struct dax_piece *p = &mp->pieces[(lo - mp->first) >> DAX_RANGE_SHIFT];
		uint32_t gone = 0;

		if (stop > hi)
			stop = hi;
		for (uint64_t pos = lo; pos < stop; pos += PG) {
			uint32_t i = (uint32_t)((pos & (DAX_RANGE_SIZE - 1)) / PG);

			if (p->mapped[i / 64] & (1ull << (i % 64))) {
				p->mapped[i / 64] &= ~(1ull << (i % 64));
				gone++;
			}
		}
		if (gone) {
			vm_unmap(vm->va + (lo - (uint64_t)vm->off), stop - lo);
			p->pages -= gone;
			if (p->pages == 0 && p->r) {
				dax_put(&d->m, p->r);
				p->r = NULL;
			}
		}
		lo = stop;
	}
}

static void map_forget(struct vio_dax *d, struct vio_dax_map *mp)
{
	for (struct vio_dax_map **pp = &d->maps; *pp; pp = &(*pp)->next)
		if (*pp == mp) {
			*pp = mp->next;
			break;
		}
	for (uint32_t i = 0; i < mp->npieces; i++)
		if (mp->pieces[i].r)
			dax_put(&d->m, mp->pieces[i].r);
	mp->vm->priv = NULL;
	kfree(mp);
}

int vio_dax_mmap(struct vfs_mapping *vm)
{
	struct vnode *vn = vm->f->vn;
	struct vio_dax *d = dax_of(vn);
	uint64_t first = (uint64_t)vm->off & ~(DAX_RANGE_SIZE - 1), end = (uint64_t)vm->off + vm->len;
	uint32_t npieces = (uint32_t)((end - first + DAX_RANGE_SIZE - 1) >> DAX_RANGE_SHIFT);
	struct vio_dax_map *mp;
	off_t size;
	uint64_t lim;
	int err;

	if (!vio_dax(vn) || d->broken)
		return -ENODEV;
	if ((err = dax_file_size(vm->f, (off_t)end, &size)))
		return err;
	mp = kmalloc(sizeof(*mp) + npieces * sizeof(mp->pieces[0]));
	if (!mp)
		return -ENOMEM;
	mp->vm = vm;
	mp->first = first;
	mp->npieces = npieces;
	vm->priv = mp;
	mp->next = d->maps;
	d->maps = mp;
	/* Only the pages that hold file data get an entry: a page wholly past
	 * the end is not backed on the host, so the application faults there
	 * (Linux sends SIGBUS) instead of the host killing the VM. */
	lim = page_up((uint64_t)size);
	if (lim > end)
		lim = end;
	vm->eof_va = vm->va + (lim > (uint64_t)vm->off ? lim - (uint64_t)vm->off : 0);
	for (uint64_t pos = (uint64_t)vm->off; pos < lim;) {
		struct dax_piece *p = &mp->pieces[(pos - first) >> DAX_RANGE_SHIFT];
		uint64_t stop = (pos | (DAX_RANGE_SIZE - 1)) + 1;

		if (stop > lim)
			stop = lim;
		p->r = dax_get(&d->m, vn, pos, vm->write, &err);
		if (!p->r)
			goto fail;
		if (vm_map_at(vm->va + (pos - (uint64_t)vm->off), (uint64_t)(uintptr_t)window(d, p->r, pos),
			      stop - pos, PT_WB, vm->write) != 0) {
			err = -ENOMEM;
			goto fail;
		}
		p->pages = (uint32_t)((stop - pos) / PG);
		for (uint64_t q = pos; q < stop; q += PG) {
			uint32_t i = (uint32_t)((q & (DAX_RANGE_SIZE - 1)) / PG);

			p->mapped[i / 64] |= 1ull << (i % 64);
		}
		pos = stop;
	}
	return 0;
fail:
	unmap_pages(d, mp, (uint64_t)vm->off, end);
	map_forget(d, mp);
	return err == -EBUSY ? -ENOMEM : err;   /* every range pinned by other mappings */
}

bool vio_dax_munmap(struct vfs_mapping *vm, uint64_t va, uint64_t len)
{
	struct vio_dax_map *mp = vm->priv;
	struct vio_dax *d;
	bool left = false;

	if (!mp)
		return true;
	d = dax_of(vm->f->vn);
	unmap_pages(d, mp, (uint64_t)vm->off + (va - vm->va), (uint64_t)vm->off + (va - vm->va) + len);
	/* Gone when removed whole, or when its last mapped page went (pages
	 * past the file's end never had one). */
	for (uint32_t i = 0; i < mp->npieces && !left; i++)
		left = mp->pieces[i].pages != 0;
	if (left && (va > vm->va || va + len < vm->va + vm->len))
		return false;
	map_forget(d, mp);
	return true;
}

/* ---- truncation and forgetting ---- */

int vio_dax_truncate(struct vnode *vn, off_t size)
{
	struct vio_dax *d = dax_of(vn);
	struct vio_node *n = vn->priv;
	int left;

	if (!vio_dax(vn))
		return 0;
	/* Application pages past the new end lose their entries first: the
	 * host will not back them any more. */
	for (struct vio_dax_map *mp = d->maps; mp; mp = mp->next) {
		struct vfs_mapping *vm = mp->vm;
		uint64_t end = page_up((uint64_t)size);

		if (vm->f->vn != vn)
			continue;
		unmap_pages(d, mp, end, UINT64_MAX);
		if (end < (uint64_t)vm->off)
			vm->eof_va = vm->va;
		else if (vm->va + (end - (uint64_t)vm->off) < vm->eof_va)
			vm->eof_va = vm->va + (end - (uint64_t)vm->off);
	}
	if (n)
		n->dsize_ok = false;
	left = dax_drop(&d->m, vn, (uint64_t)size);
	if (left < 0)
		stop_using(d, "REMOVEMAPPING failed", left);
	return 0;
}

void vio_dax_forget(struct vnode *vn)
{
	struct vio_dax *d = dax_of(vn);
	int left;

	if (!vio_dax(vn))
		return;
	left = dax_drop(&d->m, vn, 0);
	/* A range still owned by a freed node could alias the next node
	 * allocated at that address: stop using the window instead. */
	if (left != 0)
		stop_using(d, left < 0 ? "REMOVEMAPPING failed" : "a forgotten file is still mapped",
			   left);
}
