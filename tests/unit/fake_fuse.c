/*
 * The fake virtio-fs device and FUSE server of fake_fuse.h, and the kernel
 * services fs/ needs, for the host. One request at a time, as the kernel
 * sends them: virtio_fs_request() gathers the device-readable buffers,
 * checks and parses the request as virtiofsd would, runs it against the
 * in-memory tree, and scatters the reply over the device-writable buffers
 * (so READ data lands directly in the caller's buffer, as with the real
 * device). Anything the kernel gets wrong is a violation, not a crash,
 * except what would kill the VM on a real host: touching the DAX window
 * where the host has no mapping (or past the file's end), or naming a
 * window or shared-mapping address in a request (see fake_fuse.h).
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/virtio/virtio_fs.h"
#include "fs/virtiofs/fuse.h"
#include "fs/virtiofs/fuse_conn.h"
#include "kernel/clock.h"
#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/heap.h"
#include "kernel/kprintf.h"
#include "kernel/mem.h"
#include "kernel/panic.h"
#include "kernel/random.h"
#include "kernel/vm.h"
#include "fake_fuse.h"

#define MAX_DEVS   8
#define BLK        4096         /* data/hole granularity for SEEK_DATA/HOLE */
#define FH_BASE    0x1000       /* fh = FH_BASE + slot: 0 is never valid */
#define PG         4096ull      /* the host's page: DAX mappings' granularity */
#define SVA_LEN    (1ull << 30) /* the shared va region */

/* ---- The tree ---------------------------------------------------------------- */

struct fent {
	char *name;
	struct fnode *node;
};

/* A POSIX byte-range lock, [start, end] inclusive. */
struct flk {
	uint64_t owner;
	uint64_t start, end;
	uint32_t type;                  /* F_RDLCK or F_WRLCK */
	uint32_t pid;
};

struct fnode {
	uint64_t id;
	uint32_t mode;
	uint32_t rdev;
	uint32_t nlink;                 /* names pointing at it */
	int64_t nlookup;                /* the server's lookup count */
	uint64_t mtime;
	int fd;                         /* regular files: a memfd of size bytes */
	uint8_t *data;                  /* ... mapped shared, vsize bytes */
	size_t size, vsize;
	uint8_t *blk;                   /* per BLK block: 1 data, 0 hole */
	size_t nblk;
	char *target;                   /* symlinks */
	struct fent *ents;              /* directories, in creation order */
	size_t nents;
	struct fnode *parent;           /* directories: for ".." */
	struct flk *locks;
	size_t nlocks;
};

struct fh {
	bool used;
	bool dir;
	uint64_t node;
	uint32_t flags;
};

/* One page of a DAX window, as the host maps it. */
struct wpage {
	struct fnode *node;             /* NULL: PROT_NONE */
	uint64_t foff;
	bool writable;
	uint32_t vrefs;                 /* shared va pages (vm_map_at) aliasing it */
};

struct fake_dev {
	struct virtio_fs vfs;           /* what the kernel holds */
	struct fake_opts o;
	struct virtio_shm shm;          /* vfs.dax points here when there is a window */
	uint8_t *win;                   /* the window's host address, or NULL */
	uint64_t winlen;
	struct wpage *wpages;           /* winlen / PG */
	bool win_vm_mapped;             /* the kernel vm_map'ed it */
	struct fnode **nodes;           /* by id; [0] unused */
	size_t nnodes;
	struct fh *fhs;
	size_t nfhs;
	uint64_t last_unique;
	bool broken, destroyed, inited;
	bool enosys[FUSE_OP_MAX];
	struct { uint32_t op; int err; } fail[16];
	int nfail;
	uint32_t fault_op;
	enum fake_fault fault;
	uint32_t hook_op;
	void (*hook)(struct virtio_fs *, void *);
	void *hook_arg;
	struct fake_rec *log;
	int nlog, caplog;
	uint64_t forget_msgs;
	/* The current request's lookups and handles, taken back if a fault
	 * voids its reply. */
	struct fnode *jlookup[512];
	int njlookup;
	uint64_t jfh[4];
	int njfh;
};

static void lk_apply(struct fnode *n, uint64_t owner, uint64_t start, uint64_t end, uint32_t type,
		     uint32_t pid);
static void catch_faults(void);

static struct fake_dev *devs[MAX_DEVS];
static int ndevs;

static int nviol;
static char viol_msg[512];
static bool viol_quiet;

static void viol(struct fake_dev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void viol(struct fake_dev *d, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!viol_quiet)
		fprintf(stderr, "    fake_fuse %s: violation: %s\n", d ? d->vfs.tag : "-", msg);
	if (!nviol++)
		snprintf(viol_msg, sizeof viol_msg, "%s: %s", d ? d->vfs.tag : "-", msg);
}

int fake_violations(char *buf, size_t n)
{
	if (n)
		snprintf(buf, n, "%s", nviol ? viol_msg : "none");
	return nviol;
}

void fake_violations_clear(void)
{
	nviol = 0;
	viol_msg[0] = 0;
}

void fake_violations_quiet(bool on)
{
	viol_quiet = on;
}

static struct fake_dev *dev_of(struct virtio_fs *fs)
{
	for (int i = 0; i < ndevs; i++)
		if (&devs[i]->vfs == fs)
			return devs[i];
	fprintf(stderr, "fake_fuse: %p is not a fake device\n", (void *)fs);
	abort();
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		abort();
	return p;
}

static struct fnode *node_new(struct fake_dev *d, uint32_t mode)
{
	struct fnode *n = xcalloc(1, sizeof(*n));

	d->nodes = realloc(d->nodes, (d->nnodes + 1) * sizeof(d->nodes[0]));
	if (!d->nodes)
		abort();
	n->id = d->nnodes;
	d->nodes[d->nnodes++] = n;
	n->mode = mode;
	n->mtime = 1700000000 + n->id;
	return n;
}

static struct fnode *node_by_id(struct fake_dev *d, uint64_t id)
{
	return id > 0 && id < d->nnodes ? d->nodes[id] : NULL;
}

static struct fent *dir_find(struct fnode *dir, const char *name)
{
	for (size_t i = 0; i < dir->nents; i++)
		if (!strcmp(dir->ents[i].name, name))
			return &dir->ents[i];
	return NULL;
}

static void dir_add(struct fnode *dir, const char *name, struct fnode *n)
{
	dir->ents = realloc(dir->ents, (dir->nents + 1) * sizeof(dir->ents[0]));
	if (!dir->ents)
		abort();
	dir->ents[dir->nents++] = (struct fent){ xstrdup(name), n };
	n->nlink++;
	if (S_ISDIR(n->mode) && !n->parent)
		n->parent = dir;
	dir->mtime++;
}

static void dir_del(struct fnode *dir, struct fent *e)
{
	size_t i = (size_t)(e - dir->ents);

	e->node->nlink--;
	free(e->name);
	memmove(&dir->ents[i], &dir->ents[i + 1], (dir->nents - i - 1) * sizeof(dir->ents[0]));
	dir->nents--;
	dir->mtime++;
}

static int subdirs(const struct fnode *dir)
{
	int n = 0;

	for (size_t i = 0; i < dir->nents; i++)
		n += S_ISDIR(dir->ents[i].node->mode) != 0;
	return n;
}

static uint64_t page_up(uint64_t x) { return (x + PG - 1) & ~(PG - 1); }

/* Resize a regular file: new bytes are zero and, as whole blocks, holes.
 * The bytes are a memfd's, so SETUPMAPPING can map them into a window and
 * a page wholly past the end is a SIGBUS there, as with a host file. */
static void file_resize(struct fnode *n, size_t size)
{
	size_t nblk = (size + BLK - 1) / BLK, vsize = page_up(size ? size : 1);
	size_t old = n->size;

	if (!n->data) {
		n->fd = memfd_create("fake_fuse", MFD_CLOEXEC);
		if (n->fd < 0) {
			perror("fake_fuse: memfd_create");
			abort();
		}
	}
	if (ftruncate(n->fd, (off_t)size) != 0) {
		perror("fake_fuse: ftruncate");
		abort();
	}
	if (!n->data || vsize != n->vsize) {
		void *p = n->data ? mremap(n->data, n->vsize, vsize, MREMAP_MAYMOVE)
				  : mmap(NULL, vsize, PROT_READ | PROT_WRITE, MAP_SHARED, n->fd, 0);

		if (p == MAP_FAILED) {
			perror("fake_fuse: mapping a file");
			abort();
		}
		n->data = p;
		n->vsize = vsize;
	}
	/* A host file system zeroes what was stored past the old end in its
	 * last page (through a mapping) when the file grows over it. */
	if (size > old && old % PG)
		memset(n->data + old, 0, (size < page_up(old) ? size : page_up(old)) - old);
	n->blk = realloc(n->blk, nblk ? nblk : 1);
	if (!n->blk)
		abort();
	if (nblk > n->nblk)
		memset(n->blk + n->nblk, 0, nblk - n->nblk);
	n->size = size;
	n->nblk = nblk;
}

static void file_mark(struct fnode *n, uint64_t off, uint64_t len, uint8_t v)
{
	for (uint64_t b = off / BLK; len && b < n->nblk && b * BLK < off + len; b++)
		n->blk[b] = v;
}

static void file_write(struct fnode *n, uint64_t off, const void *p, size_t len)
{
	if (off + len > n->size)
		file_resize(n, off + len);
	memcpy(n->data + off, p, len);
	file_mark(n, off, len, 1);
	n->mtime++;
}

/* ---- Devices ------------------------------------------------------------- */

struct virtio_fs *fake_dev_add(const char *tag, const struct fake_opts *o)
{
	struct fake_dev *d;
	struct fnode *root;

	if (ndevs == MAX_DEVS || strlen(tag) > VIRTIO_FS_TAG_LEN)
		abort();
	d = xcalloc(1, sizeof(*d));
	if (o)
		d->o = *o;
	if (!d->o.minor)
		d->o.minor = 36;
	if (!d->o.max_write)
		d->o.max_write = 1u << 20;
	if (!d->o.max_pages)
		d->o.max_pages = 256;
	strcpy(d->vfs.tag, tag);
	d->vfs.num_request_queues = 1;
	d->vfs.vector = -1;
	node_new(d, 0);                         /* id 0: never a node */
	free(d->nodes[0]);
	d->nodes[0] = NULL;
	root = node_new(d, S_IFDIR | 0755);     /* id 1 */
	root->nlink = 1;
	root->parent = root;
	if (d->o.dax_window) {
		/* Reserved PROT_NONE as QEMU does; 2 MiB-aligned like a BAR. */
		uint64_t len = d->o.dax_window, slop = 2ull << 20;
		uint8_t *p = mmap(NULL, len + slop, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				  -1, 0);
		uint8_t *w;

		if (len % PG || p == MAP_FAILED)
			abort();
		w = (uint8_t *)(((uintptr_t)p + slop - 1) & ~(uintptr_t)(slop - 1));
		if (w > p)
			munmap(p, (size_t)(w - p));
		munmap(w + len, (size_t)(p + slop - w));
		d->win = w;
		d->winlen = len;
		d->wpages = xcalloc(len / PG, sizeof(d->wpages[0]));
		d->shm = (struct virtio_shm){ .id = 0, .bar = 2, .addr = (uintptr_t)w, .len = len };
		d->vfs.dax = &d->shm;
		catch_faults();
	}
	devs[ndevs++] = d;
	return &d->vfs;
}

struct virtio_fs *virtio_fs_find(const char *tag)
{
	for (int i = 0; i < ndevs; i++)
		if (!tag || !strcmp(devs[i]->vfs.tag, tag))
			return &devs[i]->vfs;
	return NULL;
}

struct virtio_fs *virtio_fs_get(int n)
{
	return n >= 0 && n < ndevs ? &devs[n]->vfs : NULL;
}

/* ---- Setup and inspection by path ----------------------------------------- */

/* The directory holding path's last component, which goes to *last. */
static struct fnode *walk_parent(struct fake_dev *d, const char *path, char *last)
{
	struct fnode *cur = d->nodes[1];
	const char *s = path, *slash;

	while ((slash = strchr(s, '/'))) {
		char name[256];
		struct fent *e;

		if ((size_t)(slash - s) >= sizeof name)
			return NULL;
		memcpy(name, s, (size_t)(slash - s));
		name[slash - s] = 0;
		e = dir_find(cur, name);
		if (!e || !S_ISDIR(e->node->mode))
			return NULL;
		cur = e->node;
		s = slash + 1;
	}
	if (strlen(s) > 255)
		return NULL;
	strcpy(last, s);
	return cur;
}

static struct fnode *walk_path(struct fake_dev *d, const char *path)
{
	char last[256];
	struct fnode *dir;
	struct fent *e;

	if (!*path)
		return d->nodes[1];
	dir = walk_parent(d, path, last);
	if (!dir || !(e = dir_find(dir, last)))
		return NULL;
	return e->node;
}

static struct fnode *setup_new(struct virtio_fs *fs, const char *path, uint32_t mode)
{
	struct fake_dev *d = dev_of(fs);
	char last[256];
	struct fnode *dir = walk_parent(d, path, last), *n;

	if (!dir || !*last || dir_find(dir, last)) {
		fprintf(stderr, "fake_fuse: cannot create \"%s\" on %s\n", path, fs->tag);
		abort();
	}
	n = node_new(d, mode);
	dir_add(dir, last, n);
	if (S_ISDIR(mode))
		n->parent = dir;
	return n;
}

uint64_t fake_add_dir(struct virtio_fs *fs, const char *path, uint32_t mode)
{
	return setup_new(fs, path, S_IFDIR | (mode & 07777))->id;
}

uint64_t fake_add_file(struct virtio_fs *fs, const char *path, const void *data, size_t len)
{
	struct fnode *n = setup_new(fs, path, S_IFREG | 0644);

	file_resize(n, 0);
	if (len)
		file_write(n, 0, data, len);
	return n->id;
}

uint64_t fake_add_symlink(struct virtio_fs *fs, const char *path, const char *target)
{
	struct fnode *n = setup_new(fs, path, S_IFLNK | 0777);

	n->target = xstrdup(target);
	return n->id;
}

uint64_t fake_add_fifo(struct virtio_fs *fs, const char *path)
{
	return setup_new(fs, path, S_IFIFO | 0644)->id;
}

uint64_t fake_add_link(struct virtio_fs *fs, const char *existing, const char *path)
{
	struct fake_dev *d = dev_of(fs);
	struct fnode *n = walk_path(d, existing), *dir;
	char last[256];

	dir = walk_parent(d, path, last);
	if (!n || !dir || !*last || dir_find(dir, last)) {
		fprintf(stderr, "fake_fuse: cannot link \"%s\" to \"%s\"\n", path, existing);
		abort();
	}
	dir_add(dir, last, n);
	return n->id;
}

static void remove_tree(struct fnode *dir, struct fent *e)
{
	struct fnode *n = e->node;

	if (S_ISDIR(n->mode) && n->nlink == 1)
		while (n->nents)
			remove_tree(n, &n->ents[n->nents - 1]);
	dir_del(dir, e);
}

int fake_remove(struct virtio_fs *fs, const char *path)
{
	struct fake_dev *d = dev_of(fs);
	char last[256];
	struct fnode *dir = walk_parent(d, path, last);
	struct fent *e;

	if (!dir || !(e = dir_find(dir, last)))
		return -ENOENT;
	remove_tree(dir, e);
	return 0;
}

static struct fnode *walk_file(struct virtio_fs *fs, const char *path)
{
	struct fnode *n = walk_path(dev_of(fs), path);

	if (!n || !S_ISREG(n->mode)) {
		fprintf(stderr, "fake_fuse: \"%s\" on %s is not a regular file\n", path, fs->tag);
		abort();
	}
	return n;
}

void fake_write(struct virtio_fs *fs, const char *path, uint64_t off, const void *data, size_t len)
{
	struct fnode *n = walk_file(fs, path);

	if (len)
		file_write(n, off, data, len);
}

void fake_truncate(struct virtio_fs *fs, const char *path, uint64_t size)
{
	struct fnode *n = walk_file(fs, path);

	file_resize(n, size);
	n->mtime++;
}

uint64_t fake_node(struct virtio_fs *fs, const char *path)
{
	struct fnode *n = walk_path(dev_of(fs), path);

	return n ? n->id : 0;
}

uint32_t fake_mode(struct virtio_fs *fs, const char *path)
{
	struct fnode *n = walk_path(dev_of(fs), path);

	return n ? n->mode : 0;
}

const uint8_t *fake_data(struct virtio_fs *fs, const char *path, size_t *len)
{
	struct fnode *n = walk_path(dev_of(fs), path);

	if (!n || !S_ISREG(n->mode))
		return NULL;
	*len = n->size;
	return n->data;
}

const char *fake_target(struct virtio_fs *fs, const char *path)
{
	struct fnode *n = walk_path(dev_of(fs), path);

	return n && S_ISLNK(n->mode) ? n->target : NULL;
}

void fake_add_lock(struct virtio_fs *fs, const char *path, int type, uint64_t start, uint64_t end,
		   uint32_t pid)
{
	struct fnode *n = walk_path(dev_of(fs), path);

	if (!n || start > end || (type != F_RDLCK && type != F_WRLCK)) {
		fprintf(stderr, "fake_fuse: cannot lock \"%s\" on %s\n", path, fs->tag);
		abort();
	}
	lk_apply(n, FAKE_HOST_OWNER(pid), start, end, (uint32_t)type, pid);
}

int fake_locks(struct virtio_fs *fs, const char *path, uint64_t owner)
{
	struct fnode *n = walk_path(dev_of(fs), path);
	int k = 0;

	for (size_t i = 0; n && i < n->nlocks; i++)
		k += !owner || n->locks[i].owner == owner;
	return k;
}

int64_t fake_nlookup(struct virtio_fs *fs, uint64_t nodeid)
{
	struct fnode *n = node_by_id(dev_of(fs), nodeid);

	return n ? n->nlookup : -1;
}

/* Some name of n, for messages ("?" once unlinked). */
static void node_path(struct fake_dev *d, struct fnode *n, char *buf, size_t len)
{
	for (size_t id = 1; id < d->nnodes; id++) {
		struct fnode *dir = d->nodes[id];

		for (size_t i = 0; dir && S_ISDIR(dir->mode) && i < dir->nents; i++) {
			if (dir->ents[i].node == n) {
				char up[512];

				if (dir->id == 1)
					snprintf(buf, len, "%s", dir->ents[i].name);
				else {
					node_path(d, dir, up, sizeof up);
					snprintf(buf, len, "%s/%s", up, dir->ents[i].name);
				}
				return;
			}
		}
	}
	snprintf(buf, len, n->id == 1 ? "" : "?");
}

int fake_lookups_held(struct virtio_fs *fs, char *buf, size_t len)
{
	struct fake_dev *d = dev_of(fs);
	size_t pos = 0;
	int held = 0;

	if (len)
		buf[0] = 0;
	for (size_t id = 2; id < d->nnodes; id++) {
		struct fnode *n = d->nodes[id];
		char p[300];

		if (!n || !n->nlookup)
			continue;
		held++;
		node_path(d, n, p, sizeof p);
		if (pos < len)
			pos += (size_t)snprintf(buf + pos, len - pos, "%snode %zu \"%s\": %lld", pos ? ", " : "",
						id, p, (long long)n->nlookup);
	}
	return held;
}

int fake_open_handles(struct virtio_fs *fs)
{
	struct fake_dev *d = dev_of(fs);
	int n = 0;

	for (size_t i = 0; i < d->nfhs; i++)
		n += d->fhs[i].used;
	return n;
}

bool fake_destroyed(struct virtio_fs *fs) { return dev_of(fs)->destroyed; }
uint64_t fake_forget_msgs(struct virtio_fs *fs) { return dev_of(fs)->forget_msgs; }

/* ---- The log ------------------------------------------------------------- */

void fake_log_clear(struct virtio_fs *fs)
{
	dev_of(fs)->nlog = 0;
}

int fake_log_len(struct virtio_fs *fs)
{
	return dev_of(fs)->nlog;
}

const struct fake_rec *fake_log(struct virtio_fs *fs, int i)
{
	struct fake_dev *d = dev_of(fs);

	return i >= 0 && i < d->nlog ? &d->log[i] : NULL;
}

int fake_log_count(struct virtio_fs *fs, uint32_t opcode)
{
	struct fake_dev *d = dev_of(fs);
	int n = 0;

	for (int i = 0; i < d->nlog; i++)
		n += d->log[i].opcode == opcode;
	return n;
}

const struct fake_rec *fake_log_find(struct virtio_fs *fs, uint32_t opcode, int k)
{
	struct fake_dev *d = dev_of(fs);

	for (int i = 0; i < d->nlog; i++)
		if (d->log[i].opcode == opcode && k-- == 0)
			return &d->log[i];
	return NULL;
}

static struct fake_rec *log_new(struct fake_dev *d)
{
	if (d->nlog == d->caplog) {
		d->caplog = d->caplog ? 2 * d->caplog : 256;
		d->log = realloc(d->log, (size_t)d->caplog * sizeof(d->log[0]));
		if (!d->log)
			abort();
	}
	memset(&d->log[d->nlog], 0, sizeof(d->log[0]));
	return &d->log[d->nlog++];
}

/* ---- Scripting ------------------------------------------------------------- */

void fake_fail_next(struct virtio_fs *fs, uint32_t opcode, int err)
{
	struct fake_dev *d = dev_of(fs);

	if (d->nfail == (int)(sizeof d->fail / sizeof d->fail[0]))
		abort();
	d->fail[d->nfail].op = opcode;
	d->fail[d->nfail++].err = err;
}

void fake_enosys(struct virtio_fs *fs, uint32_t opcode, bool on)
{
	dev_of(fs)->enosys[opcode] = on;
}

void fake_hook_next(struct virtio_fs *fs, uint32_t opcode, void (*fn)(struct virtio_fs *, void *), void *arg)
{
	struct fake_dev *d = dev_of(fs);

	d->hook_op = opcode;
	d->hook = fn;
	d->hook_arg = arg;
}

void fake_fault_next(struct virtio_fs *fs, uint32_t opcode, enum fake_fault f)
{
	struct fake_dev *d = dev_of(fs);

	d->fault_op = opcode;
	d->fault = f;
}

void fake_set_broken(struct virtio_fs *fs, bool broken)
{
	dev_of(fs)->broken = broken;
}

const char *fake_fault_name(enum fake_fault f)
{
	static const char *const names[FAKE_FAULT_COUNT] = {
		"none", "wrong unique", "len short", "len long", "short header", "positive error",
		"error below -4095", "error with payload", "oversized", "short payload", "node id 0",
		"node id 1", "bad mode", "dirent with '/'", "truncated dirent", "readlink NUL",
		"write too much",
	};
	return f < FAKE_FAULT_COUNT ? names[f] : "?";
}

/* ---- Requests -------------------------------------------------------------- */

struct rq {
	struct fake_dev *d;
	struct fuse_in_header ih;
	struct fake_rec *rec;
	const uint8_t *arg;             /* after the in header */
	uint32_t arglen, pos;
	uint8_t *out;                   /* reply payload (after the out header) */
	uint32_t outcap, outlen;
	const struct virtq_buf *bufs;
	unsigned nout, nin;
	enum fake_fault fault;          /* for this reply */
	bool fault_used;                /* a handler applied it */
};

/* The kernel's own names (fs/virtiofs/fuse_conn.c, linked in). */
static const char *opname(uint32_t op)
{
	return fuse_opname(op);
}

/* Copy the next n argument bytes into p; a short request is a violation. */
static bool take(struct rq *q, void *p, uint32_t n)
{
	if (q->arglen - q->pos < n) {
		viol(q->d, "%s: %u argument bytes, expected at least %u more after %u",
		     opname(q->ih.opcode), q->arglen, n, q->pos);
		return false;
	}
	memcpy(p, q->arg + q->pos, n);
	q->pos += n;
	return true;
}

/* The next NUL-terminated string argument. */
static const char *take_str(struct rq *q)
{
	const uint8_t *s = q->arg + q->pos;
	const uint8_t *nul = memchr(s, 0, q->arglen - q->pos);

	if (!nul) {
		viol(q->d, "%s: string argument without its NUL", opname(q->ih.opcode));
		return NULL;
	}
	q->pos = (uint32_t)(nul + 1 - q->arg);
	return (const char *)s;
}

/* A name argument: a valid single component. */
static const char *take_name(struct rq *q)
{
	const char *s = take_str(q);

	if (!s)
		return NULL;
	if (!*s || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, "..") || strlen(s) > 255) {
		viol(q->d, "%s: bad name \"%.40s\" (%zu bytes)", opname(q->ih.opcode), s, strlen(s));
		return NULL;
	}
	return s;
}

static bool args_done(struct rq *q)
{
	if (q->pos != q->arglen) {
		viol(q->d, "%s: %u argument bytes, used %u", opname(q->ih.opcode), q->arglen, q->pos);
		return false;
	}
	return true;
}

static void *reply(struct rq *q, uint32_t n)
{
	if (n > q->outcap) {
		viol(q->d, "%s: a %u-byte reply does not fit the kernel's %u bytes", opname(q->ih.opcode),
		     n, q->outcap);
		return NULL;
	}
	q->outlen = n;
	memset(q->out, 0, n);
	return q->out;
}

static void count_lookup(struct rq *q, struct fnode *n)
{
	n->nlookup++;
	if (q->d->njlookup < (int)(sizeof q->d->jlookup / sizeof q->d->jlookup[0]))
		q->d->jlookup[q->d->njlookup++] = n;
}

static void fill_attr(struct fnode *n, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = FAKE_INO(n->id);
	a->mode = n->mode;
	a->nlink = S_ISDIR(n->mode) ? 2 + (uint32_t)subdirs(n) : n->nlink;
	a->uid = 1000;
	a->gid = 1000;
	a->rdev = n->rdev;
	a->blksize = 4096;
	if (S_ISREG(n->mode))
		a->size = n->size;
	else if (S_ISLNK(n->mode))
		a->size = strlen(n->target);
	else if (S_ISDIR(n->mode))
		a->size = 4096;
	a->blocks = (a->size + 511) / 512;
	a->atime = a->mtime = a->ctime = n->mtime;
	a->mtimensec = 123;
}

/* An entry reply for n, counting its lookup unless a fault spoils it. */
static int entry(struct rq *q, struct fnode *n, uint32_t extra)
{
	struct fuse_entry_out *e = reply(q, sizeof(*e) + extra);

	if (!e)
		return -EIO;
	e->nodeid = n->id;
	fill_attr(n, &e->attr);
	switch (q->fault) {
	case FAKE_FAULT_NODEID_0:
		e->nodeid = 0;
		break;
	case FAKE_FAULT_NODEID_1:
		e->nodeid = FUSE_ROOT_ID;
		break;
	case FAKE_FAULT_BAD_MODE:
		e->attr.mode = 0170000 | (n->mode & 07777);
		break;
	default:
		count_lookup(q, n);
		return 0;
	}
	q->fault_used = true;
	return 0;
}

static struct fnode *req_node(struct rq *q)
{
	struct fnode *n = node_by_id(q->d, q->ih.nodeid);

	if (!n)
		viol(q->d, "%s on node %lu, which does not exist", opname(q->ih.opcode),
		     (unsigned long)q->ih.nodeid);
	return n;
}

static struct fnode *req_dir(struct rq *q, int *err)
{
	struct fnode *n = req_node(q);

	*err = !n ? -EIO : !S_ISDIR(n->mode) ? -ENOTDIR : 0;
	return *err ? NULL : n;
}

static uint64_t fh_new(struct rq *q, struct fnode *n, uint32_t flags, bool dir)
{
	struct fake_dev *d = q->d;
	size_t i;

	for (i = 0; i < d->nfhs && d->fhs[i].used; i++)
		;
	if (i == d->nfhs) {
		d->fhs = realloc(d->fhs, ++d->nfhs * sizeof(d->fhs[0]));
		if (!d->fhs)
			abort();
	}
	d->fhs[i] = (struct fh){ true, dir, n->id, flags };
	if (d->njfh < (int)(sizeof d->jfh / sizeof d->jfh[0]))
		d->jfh[d->njfh++] = FH_BASE + i;
	return FH_BASE + i;
}

/* The open file fh of this request's node; a wrong one is a violation. */
static struct fh *fh_get(struct rq *q, uint64_t fh, bool dir)
{
	struct fake_dev *d = q->d;
	struct fh *h = fh >= FH_BASE && fh - FH_BASE < d->nfhs ? &d->fhs[fh - FH_BASE] : NULL;

	if (!h || !h->used) {
		viol(d, "%s on node %lu with fh %#lx, which is not open", opname(q->ih.opcode),
		     (unsigned long)q->ih.nodeid, (unsigned long)fh);
		return NULL;
	}
	if (h->node != q->ih.nodeid || h->dir != dir) {
		viol(d, "%s on node %lu with fh %#lx, which is %s of node %lu", opname(q->ih.opcode),
		     (unsigned long)q->ih.nodeid, (unsigned long)fh, h->dir ? "a directory handle" : "a file handle",
		     (unsigned long)h->node);
		return NULL;
	}
	return h;
}

static bool readable(const struct fh *h) { return (h->flags & O_ACCMODE) != O_WRONLY; }
static bool writable(const struct fh *h) { return (h->flags & O_ACCMODE) != O_RDONLY; }

/* ---- Operations ---------------------------------------------------------- */

static int op_init(struct rq *q)
{
	struct fuse_init_in in;
	struct fuse_init_out *out;
	struct fake_dev *d = q->d;

	if (!take(q, &in, sizeof(in)) || !args_done(q))
		return -EINVAL;
	if (d->inited)
		viol(d, "a second INIT");
	if (in.major != 7 || in.minor < 31)
		viol(d, "INIT %u.%u", in.major, in.minor);
	if (!(out = reply(q, sizeof(*out))))
		return -EIO;
	d->inited = true;
	out->major = 7;
	out->minor = d->o.minor;
	out->max_readahead = in.max_readahead;
	out->flags = (FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_DONT_MASK | FUSE_EXPORT_SUPPORT |
		      FUSE_MAX_PAGES | FUSE_ATOMIC_O_TRUNC | FUSE_DO_READDIRPLUS | FUSE_PARALLEL_DIROPS) &
		     in.flags;
	if (d->o.no_readdirplus)
		out->flags &= ~FUSE_DO_READDIRPLUS;
	if (d->o.no_atomic_o_trunc)
		out->flags &= ~FUSE_ATOMIC_O_TRUNC;
	if (d->o.posix_locks)
		out->flags |= FUSE_POSIX_LOCKS & in.flags;
	/* virtiofsd with DAX: mappings aligned to its page size. */
	if (d->win && (in.flags & FUSE_MAP_ALIGNMENT)) {
		out->flags |= FUSE_MAP_ALIGNMENT;
		out->map_alignment = d->o.map_alignment ? d->o.map_alignment : 12;
	}
	out->max_background = 64;
	out->max_write = d->o.max_write;
	out->time_gran = 1;
	out->max_pages = d->o.max_pages;
	return 0;
}

static int op_lookup(struct rq *q)
{
	const char *name = take_name(q);
	struct fnode *dir;
	struct fent *e;
	int err;

	if (!name || !args_done(q))
		return -EINVAL;
	if (!(dir = req_dir(q, &err)))
		return err;
	if (!(e = dir_find(dir, name)))
		return -ENOENT;
	return entry(q, e->node, 0);
}

static int op_getattr(struct rq *q)
{
	struct fuse_getattr_in in;
	struct fuse_attr_out *out;
	struct fnode *n;

	if (!take(q, &in, sizeof(in)) || !args_done(q))
		return -EINVAL;
	if (!(n = req_node(q)))
		return -EIO;
	if ((in.getattr_flags & FUSE_GETATTR_FH) && !fh_get(q, in.fh, false))
		return -EBADF;
	if (!(out = reply(q, sizeof(*out))))
		return -EIO;
	fill_attr(n, &out->attr);
	if (n->id == FUSE_ROOT_ID && q->d->o.root_not_dir)
		out->attr.mode = S_IFREG | 0644;
	if (q->fault == FAKE_FAULT_BAD_MODE) {
		out->attr.mode = 0170644;
		q->fault_used = true;
	}
	return 0;
}

static int op_setattr(struct rq *q)
{
	struct fuse_setattr_in in;
	struct fuse_attr_out *out;
	struct fnode *n;

	if (!take(q, &in, sizeof(in)) || !args_done(q))
		return -EINVAL;
	if (!(n = req_node(q)))
		return -EIO;
	q->rec->size = in.valid;
	q->rec->off = in.size;
	if (in.valid & FATTR_FH) {
		struct fh *h = fh_get(q, in.fh, false);

		if (!h)
			return -EBADF;
		q->rec->fh = in.fh;
		if ((in.valid & FATTR_SIZE) && !writable(h))
			return -EINVAL;         /* ftruncate on a read-only fd */
	}
	if (in.valid & FATTR_SIZE) {
		if (S_ISDIR(n->mode))
			return -EISDIR;
		if (!S_ISREG(n->mode))
			return -EINVAL;
		file_resize(n, in.size);
	}
	if (in.valid & FATTR_MODE)
		n->mode = (n->mode & S_IFMT) | (in.mode & 07777);
	if (in.valid & FATTR_MTIME)
		n->mtime = (in.valid & FATTR_MTIME_NOW) ? n->mtime + 1 : in.mtime;
	if (!(out = reply(q, sizeof(*out))))
		return -EIO;
	fill_attr(n, &out->attr);
	return 0;
}

static int op_open(struct rq *q, bool dir)
{
	struct fuse_open_in in;
	struct fuse_open_out *out;
	struct fnode *n;

	if (!take(q, &in, sizeof(in)) || !args_done(q))
		return -EINVAL;
	if (!(n = req_node(q)))
		return -EIO;
	q->rec->flags = in.flags;
	if (in.flags & (O_CREAT | O_EXCL | O_NOCTTY))
		viol(q->d, "%s with flags %#o", opname(q->ih.opcode), in.flags);
	if (dir && !S_ISDIR(n->mode))
		return -ENOTDIR;
	if (!dir && S_ISDIR(n->mode))
		return -EISDIR;
	if (!dir && S_ISLNK(n->mode))
		return -ELOOP;
	if (!dir && (in.flags & O_TRUNC) && S_ISREG(n->mode)) {
		file_resize(n, 0);
		n->mtime++;
	}
	if (!(out = reply(q, sizeof(*out))))
		return -EIO;
	out->fh = fh_new(q, n, in.flags, dir);
	q->rec->fh = out->fh;
	return 0;
}

static int op_create(struct rq *q)
{
	struct fuse_create_in in;
	const char *name;
	struct fnode *dir, *n;
	struct fent *e;
	int err;

	if (!take(q, &in, sizeof(in)) || !(name = take_name(q)) || !args_done(q))
		return -EINVAL;
	q->rec->flags = in.flags;
	snprintf(q->rec->name, sizeof q->rec->name, "%s", name);
	if (!(dir = req_dir(q, &err)))
		return err;
	if ((in.mode & S_IFMT) != S_IFREG)
		viol(q->d, "CREATE with mode %#o", in.mode);
	if ((e = dir_find(dir, name))) {
		/* openat(O_CREAT) on an existing name. */
		if (in.flags & O_EXCL)
			return -EEXIST;
		n = e->node;
		if (S_ISDIR(n->mode))
			return -EISDIR;
		if (in.flags & O_TRUNC)
			file_resize(n, 0);
	} else {
		n = node_new(q->d, S_IFREG | (in.mode & 07777));
		file_resize(n, 0);
		dir_add(dir, name, n);
	}
	err = entry(q, n, sizeof(struct fuse_open_out));
	if (err)
		return err;
	struct fuse_open_out *o = (struct fuse_open_out *)(q->out + sizeof(struct fuse_entry_out));
	o->fh = fh_new(q, n, in.flags & ~(uint32_t)(O_CREAT | O_EXCL), false);
	q->rec->fh = o->fh;
	return 0;
}

static int op_release(struct rq *q, bool dir)
{
	struct fuse_release_in in;
	struct fh *h;

	if (!take(q, &in, sizeof(in)) || !args_done(q))
		return -EINVAL;
	q->rec->fh = in.fh;
	if (!(h = fh_get(q, in.fh, dir)))
		return -EBADF;
	h->used = false;
	return 0;
}

static int op_flush(struct rq *q)
{
	struct fuse_flush_in in;

	if (!take(q, &in, sizeof(in)) || !args_done(q))
		return -EINVAL;
	q->rec->fh = in.fh;
	return fh_get(q, in.fh, false) ? 0 : -EBADF;
}

static int op_fsync(struct rq *q, bool dir)
{
	struct fuse_fsync_in in;

	if (!take(q, &in, sizeof(in)) || !args_done(q))
		return -EINVAL;
	q->rec->fh = in.fh;
	q->rec->flags = in.fsync_flags;
	return fh_get(q, in.fh, dir) ? 0 : -EBADF;
}

static int op_read(struct rq *q)
{
	struct fuse_read_in in;
	struct fnode *n;
	struct fh *h;
	uint8_t *out;
	uint64_t len;

	if (!take(q, &in, sizeof(in)) || !args_done(q))
		return -EINVAL;
	q->rec->fh = in.fh;
	q->rec->off = in.offset;
	q->rec->size = in.size;
	if (q->nin >= 2) {
		q->rec->data = q->bufs[q->nout + 1].addr;
		q->rec->data_len = q->bufs[q->nout + 1].len;
	}
	if (!(n = req_node(q)) || !(h = fh_get(q, in.fh, false)))
		return -EBADF;
	if (!readable(h))
		return -EBADF;
	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (in.size > q->outcap)
		viol(q->d, "READ of %u bytes into %u", in.size, q->outcap);
	len = in.offset >= n->size ? 0 : n->size - in.offset;
	if (len > in.size)
		len = in.size;
	if (!(out = reply(q, (uint32_t)len)))
		return -EIO;
	memcpy(out, n->data + in.offset, len);
	return 0;
}

static int op_write(struct rq *q)
{
	struct fuse_write_in in;
	struct fuse_write_out *out;
	struct fnode *n;
	struct fh *h;
	uint64_t off;

	if (!take(q, &in, sizeof(in)))
		return -EINVAL;
	q->rec->fh = in.fh;
	q->rec->off = in.offset;
	q->rec->size = in.size;
	q->rec->flags = in.flags;
	if (q->nout >= 3) {
		q->rec->data = q->bufs[2].addr;
		q->rec->data_len = q->bufs[2].len;
	}
	if (q->arglen - q->pos != in.size) {
		viol(q->d, "WRITE of %u bytes carrying %u", in.size, q->arglen - q->pos);
		return -EINVAL;
	}
	if (!(n = req_node(q)) || !(h = fh_get(q, in.fh, false)))
		return -EBADF;
	if (!writable(h))
		return -EBADF;
	/* pwrite on a host fd opened O_APPEND appends, whatever the offset. */
	off = (h->flags & O_APPEND) ? n->size : in.offset;
	if (in.size)
		file_write(n, off, q->arg + q->pos, in.size);
	if (!(out = reply(q, sizeof(*out))))
		return -EIO;
	out->size = in.size;
	if (q->fault == FAKE_FAULT_WRITE_TOO_MUCH) {
		out->size = in.size + 1;
		q->fault_used = true;
	}
	return 0;
}

/* One READDIR(PLUS) record at *pos if it fits in max; plus entries other
 * than "." and ".." count a lookup (nodeid 0 = none). */
static bool put_dirent(struct rq *q, bool plus, uint32_t *pos, uint32_t max, const char *name,
		       uint32_t namelen, struct fnode *n, uint64_t off, uint64_t nodeid)
{
	uint32_t head = plus ? sizeof(struct fuse_direntplus) : sizeof(struct fuse_dirent);
	uint32_t rec = (uint32_t)FUSE_DIRENT_ALIGN(head + namelen);
	struct fuse_dirent d = { .ino = FAKE_INO(n->id), .off = off, .namelen = namelen,
				 .type = (n->mode & S_IFMT) >> 12 };
	uint8_t *p = q->out + *pos;

	if (*pos + rec > max)
		return false;
	memset(p, 0, rec);
	if (plus) {
		struct fuse_entry_out e = { .nodeid = nodeid };

		fill_attr(n, &e.attr);
		memcpy(p, &e, sizeof(e));
		p += sizeof(e);
		if (nodeid)
			count_lookup(q, n);
	}
	memcpy(p, &d, sizeof(d));
	memcpy(p + sizeof(d), name, namelen);
	*pos += rec;
	return true;
}

static int op_readdir(struct rq *q, bool plus)
{
	struct fuse_read_in in;
	struct fnode *dir;
	uint32_t pos = 0, max;
	uint64_t i;

	if (!take(q, &in, sizeof(in)) || !args_done(q))
		return -EINVAL;
	q->rec->fh = in.fh;
	q->rec->off = in.offset;
	q->rec->size = in.size;
	if (!(dir = req_node(q)) || !fh_get(q, in.fh, true))
		return -EBADF;
	max = in.size < q->outcap ? in.size : q->outcap;
	if (!reply(q, max))
		return -EIO;
	if (q->fault == FAKE_FAULT_DIRENT_SLASH || q->fault == FAKE_FAULT_DIRENT_TRUNCATED) {
		/* ".", one good entry (counted), then the bad record. */
		put_dirent(q, plus, &pos, max, ".", 1, dir, 1, 0);
		if (dir->nents)
			put_dirent(q, plus, &pos, max, dir->ents[0].name, (uint32_t)strlen(dir->ents[0].name),
				   dir->ents[0].node, 3, dir->ents[0].node->id);
		if (q->fault == FAKE_FAULT_DIRENT_SLASH) {
			put_dirent(q, plus, &pos, max, "a/b", 3, dir, 4, 0);
		} else {
			uint32_t start = pos;

			put_dirent(q, plus, &pos, max, "cut", 3, dir, 4, 0);
			pos = start + (plus ? 140 : 12);        /* inside the header */
		}
		q->outlen = pos;
		q->fault_used = true;
		return 0;
	}
	for (i = in.offset; i < 2 + dir->nents; i++) {
		const char *name = i == 0 ? "." : i == 1 ? ".." : dir->ents[i - 2].name;
		struct fnode *n = i == 0 ? dir : i == 1 ? dir->parent : dir->ents[i - 2].node;

		/* "." and ".." carry their node ids but no lookup, as Linux
		 * expects (fuse_direntplus_link skips them). */
		if (!put_dirent(q, plus, &pos, max, name, (uint32_t)strlen(name), n, i + 1,
				i < 2 ? 0 : n->id))
			break;
	}
	q->outlen = pos;
	return 0;
}

static int new_node_checks(struct rq *q, struct fnode **dir, const char *name)
{
	int err;

	if (!(*dir = req_dir(q, &err)))
		return err;
	snprintf(q->rec->name, sizeof q->rec->name, "%s", name);
	if (dir_find(*dir, name))
		return -EEXIST;
	return 0;
}

static int op_mkdir(struct rq *q)
{
	struct fuse_mkdir_in in;
	const char *name;
	struct fnode *dir, *n;
	int err;

	if (!take(q, &in, sizeof(in)) || !(name = take_name(q)) || !args_done(q))
		return -EINVAL;
	q->rec->flags = in.mode;
	if ((err = new_node_checks(q, &dir, name)))
		return err;
	n = node_new(q->d, S_IFDIR | (in.mode & 07777));
	dir_add(dir, name, n);
	n->parent = dir;
	return entry(q, n, 0);
}

static int op_mknod(struct rq *q)
{
	struct fuse_mknod_in in;
	const char *name;
	struct fnode *dir, *n;
	int err;

	if (!take(q, &in, sizeof(in)) || !(name = take_name(q)) || !args_done(q))
		return -EINVAL;
	q->rec->flags = in.mode;
	switch (in.mode & S_IFMT) {
	case S_IFREG: case S_IFIFO: case S_IFSOCK:
		break;
	case S_IFCHR: case S_IFBLK:
		return -EPERM;
	default:
		viol(q->d, "MKNOD with mode %#o", in.mode);
		return -EINVAL;
	}
	if ((err = new_node_checks(q, &dir, name)))
		return err;
	n = node_new(q->d, in.mode);
	if (S_ISREG(in.mode))
		file_resize(n, 0);
	dir_add(dir, name, n);
	return entry(q, n, 0);
}

static int op_symlink(struct rq *q)
{
	const char *name, *target;
	struct fnode *dir, *n;
	int err;

	if (!(name = take_name(q)) || !(target = take_str(q)) || !args_done(q))
		return -EINVAL;
	snprintf(q->rec->name2, sizeof q->rec->name2, "%s", target);
	if (!*target)
		viol(q->d, "SYMLINK with an empty target");
	if (strlen(target) >= 4096)
		return -ENAMETOOLONG;
	if ((err = new_node_checks(q, &dir, name)))
		return err;
	n = node_new(q->d, S_IFLNK | 0777);
	n->target = xstrdup(target);
	dir_add(dir, name, n);
	return entry(q, n, 0);
}

static int op_link(struct rq *q)
{
	struct fuse_link_in in;
	const char *name;
	struct fnode *dir, *old;
	int err;

	if (!take(q, &in, sizeof(in)) || !(name = take_name(q)) || !args_done(q))
		return -EINVAL;
	q->rec->fh = in.oldnodeid;
	if (!(old = node_by_id(q->d, in.oldnodeid)) || (old->id != 1 && old->nlookup <= 0)) {
		viol(q->d, "LINK of node %lu, which the kernel does not hold", (unsigned long)in.oldnodeid);
		return -EIO;
	}
	if ((err = new_node_checks(q, &dir, name)))
		return err;
	if (S_ISDIR(old->mode))
		return -EPERM;
	dir_add(dir, name, old);
	return entry(q, old, 0);
}

/* virtiofsd (QEMU 7.2, lookup_name()) finds the victim of UNLINK, RMDIR and
 * RENAME in its table of nodes the client holds, and answers EIO for one the
 * client has not looked up (or has forgotten). */
static bool victim_held(struct rq *q, struct fnode *n, const char *name)
{
	if (n->nlookup > 0)
		return true;
	viol(q->d, "%s of \"%s\" (node %lu), which the kernel does not hold", opname(q->ih.opcode),
	     name, (unsigned long)n->id);
	return false;
}

static int op_remove(struct rq *q, bool rmdir)
{
	const char *name = take_name(q);
	struct fnode *dir;
	struct fent *e;
	int err;

	if (!name || !args_done(q))
		return -EINVAL;
	snprintf(q->rec->name, sizeof q->rec->name, "%s", name);
	if (!(dir = req_dir(q, &err)))
		return err;
	if (!(e = dir_find(dir, name)))
		return -ENOENT;
	if (!victim_held(q, e->node, name))
		return -EIO;
	if (rmdir && !S_ISDIR(e->node->mode))
		return -ENOTDIR;
	if (!rmdir && S_ISDIR(e->node->mode))
		return -EISDIR;
	if (rmdir && e->node->nents)
		return -ENOTEMPTY;
	dir_del(dir, e);
	return 0;
}

/* Is a inside the tree of directory top (or top itself)? */
static bool is_under(struct fnode *a, struct fnode *top)
{
	for (int depth = 0; depth < 1000; depth++) {
		if (a == top)
			return true;
		if (a->id == FUSE_ROOT_ID || !a->parent)
			return false;
		a = a->parent;
	}
	return false;
}

static int op_rename(struct rq *q, bool two)
{
	struct fuse_rename2_in in2 = { 0 };
	struct fuse_rename_in in1;
	const char *oname, *nname;
	struct fnode *odir, *ndir, *src;
	struct fent *oe, *ne;
	int err;

	if (two ? !take(q, &in2, sizeof(in2)) : !take(q, &in1, sizeof(in1)))
		return -EINVAL;
	if (!two)
		in2.newdir = in1.newdir;
	if (!(oname = take_name(q)) || !(nname = take_name(q)) || !args_done(q))
		return -EINVAL;
	snprintf(q->rec->name, sizeof q->rec->name, "%s", oname);
	snprintf(q->rec->name2, sizeof q->rec->name2, "%s", nname);
	q->rec->flags = in2.flags;
	q->rec->fh = in2.newdir;
	if (!(odir = req_dir(q, &err)))
		return err;
	ndir = node_by_id(q->d, in2.newdir);
	if (!ndir || (ndir->id != 1 && ndir->nlookup <= 0)) {
		viol(q->d, "RENAME into node %lu, which the kernel does not hold", (unsigned long)in2.newdir);
		return -EIO;
	}
	if (!S_ISDIR(ndir->mode))
		return -ENOTDIR;
	if (in2.flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE) ||
	    in2.flags == (RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if (!(oe = dir_find(odir, oname)))
		return -ENOENT;
	if (!victim_held(q, oe->node, oname))
		return -EIO;
	src = oe->node;
	ne = dir_find(ndir, nname);
	if (in2.flags & RENAME_EXCHANGE) {
		if (!ne)
			return -ENOENT;
		if ((S_ISDIR(src->mode) && is_under(ndir, src)) ||
		    (S_ISDIR(ne->node->mode) && is_under(odir, ne->node)))
			return -EINVAL;
		struct fnode *dst = ne->node;
		oe->node = dst;
		ne->node = src;
		if (S_ISDIR(src->mode))
			src->parent = ndir;
		if (S_ISDIR(dst->mode))
			dst->parent = odir;
		return 0;
	}
	if (ne && (in2.flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (S_ISDIR(src->mode) && is_under(ndir, src))
		return -EINVAL;                 /* into its own subtree */
	if (ne) {
		struct fnode *dst = ne->node;

		if (dst == src)
			return 0;               /* two names of one node: nothing */
		if (S_ISDIR(src->mode) && !S_ISDIR(dst->mode))
			return -ENOTDIR;
		if (!S_ISDIR(src->mode) && S_ISDIR(dst->mode))
			return -EISDIR;
		if (S_ISDIR(dst->mode) && dst->nents)
			return -ENOTEMPTY;
		dir_del(ndir, ne);
		oe = dir_find(odir, oname);     /* the array may have moved */
	}
	src->nlink++;                           /* dir_del drops one */
	dir_del(odir, oe);
	ndir->ents = realloc(ndir->ents, (ndir->nents + 1) * sizeof(ndir->ents[0]));
	if (!ndir->ents)
		abort();
	ndir->ents[ndir->nents++] = (struct fent){ xstrdup(nname), src };
	if (S_ISDIR(src->mode))
		src->parent = ndir;
	return 0;
}

static int op_readlink(struct rq *q)
{
	struct fnode *n;
	uint32_t len;
	char *out;

	if (!args_done(q))
		return -EINVAL;
	if (!(n = req_node(q)))
		return -EIO;
	if (!S_ISLNK(n->mode))
		return -EINVAL;
	len = (uint32_t)strlen(n->target);
	if (len > q->outcap)
		len = q->outcap;        /* readlink(2) truncates */
	if (!(out = reply(q, len)))
		return -EIO;
	memcpy(out, n->target, len);
	if (q->fault == FAKE_FAULT_READLINK_NUL && len >= 2) {
		out[len / 2] = 0;
		q->fault_used = true;
	}
	return 0;
}

static int op_statfs(struct rq *q)
{
	struct fuse_statfs_out *out;

	if (!args_done(q) || !req_node(q))
		return -EINVAL;
	if (!(out = reply(q, sizeof(*out))))
		return -EIO;
	out->st = (struct fuse_kstatfs){ .blocks = 1000000, .bfree = 500000, .bavail = 400000,
					 .files = 70000, .ffree = 60000, .bsize = 4096,
					 .namelen = 255, .frsize = 4096 };
	return 0;
}

static int op_lseek(struct rq *q)
{
	struct fuse_lseek_in in;
	struct fuse_lseek_out *out;
	struct fnode *n;
	uint64_t pos, b;

	if (!take(q, &in, sizeof(in)) || !args_done(q))
		return -EINVAL;
	q->rec->fh = in.fh;
	q->rec->off = in.offset;
	q->rec->flags = in.whence;
	if (!(n = req_node(q)) || !fh_get(q, in.fh, false))
		return -EBADF;
	if (in.whence != 3 && in.whence != 4) {
		viol(q->d, "LSEEK whence %u", in.whence);
		return -EINVAL;
	}
	if (in.offset >= n->size)
		return -ENXIO;
	pos = n->size;                          /* SEEK_HOLE: EOF is a hole */
	for (b = in.offset / BLK; b < n->nblk; b++) {
		if (n->blk[b] == (in.whence == 3)) {
			pos = b * BLK > in.offset ? b * BLK : in.offset;
			break;
		}
	}
	if (in.whence == 3 && b == n->nblk)
		return -ENXIO;                  /* no data after offset */
	if (!(out = reply(q, sizeof(*out))))
		return -EIO;
	out->offset = pos;
	return 0;
}

static int op_fallocate(struct rq *q)
{
	struct fuse_fallocate_in in;
	struct fnode *n;
	struct fh *h;

	if (!take(q, &in, sizeof(in)) || !args_done(q))
		return -EINVAL;
	q->rec->fh = in.fh;
	q->rec->off = in.offset;
	q->rec->size = (uint32_t)in.length;
	q->rec->flags = in.mode;
	if (!(n = req_node(q)) || !(h = fh_get(q, in.fh, false)))
		return -EBADF;
	if (!writable(h))
		return -EBADF;
	switch (in.mode) {
	case 0:                                 /* allocate, extending */
		if (in.offset + in.length > n->size)
			file_resize(n, in.offset + in.length);
		file_mark(n, in.offset, in.length, 1);
		return 0;
	case 1:                                 /* FALLOC_FL_KEEP_SIZE */
		file_mark(n, in.offset, in.length, 1);
		return 0;
	case 8:                                 /* COLLAPSE_RANGE: whole blocks, not to the end */
		if (in.offset % BLK || in.length % BLK || in.offset + in.length >= n->size)
			return -EINVAL;
		memmove(n->data + in.offset, n->data + in.offset + in.length,
			n->size - in.offset - in.length);
		memmove(n->blk + in.offset / BLK, n->blk + (in.offset + in.length) / BLK,
			n->nblk - (in.offset + in.length) / BLK);
		file_resize(n, n->size - in.length);
		n->mtime++;
		return 0;
	case 3:                                 /* PUNCH_HOLE | KEEP_SIZE */
		for (uint64_t i = in.offset; i < in.offset + in.length && i < n->size; i++)
			n->data[i] = 0;
		for (uint64_t b = (in.offset + BLK - 1) / BLK; (b + 1) * BLK <= in.offset + in.length &&
		     b < n->nblk; b++)
			n->blk[b] = 0;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* ---- POSIX locks (virtiofsd -o posix_lock: an OFD lock per owner on the host) ---- */

static bool lk_overlap(const struct flk *l, uint64_t start, uint64_t end)
{
	return l->start <= end && start <= l->end;
}

/* The first lock of another owner that a lock of this type on [start, end]
 * would conflict with, or NULL. */
static const struct flk *lk_conflict(const struct fnode *n, uint64_t owner, uint64_t start,
				     uint64_t end, uint32_t type)
{
	for (size_t i = 0; i < n->nlocks; i++) {
		const struct flk *l = &n->locks[i];

		if (l->owner != owner && lk_overlap(l, start, end) && (l->type == F_WRLCK || type == F_WRLCK))
			return l;
	}
	return NULL;
}

/* Make owner's lock on [start, end] this type (F_UNLCK: none), cutting its
 * existing locks there, as POSIX says. */
static void lk_apply(struct fnode *n, uint64_t owner, uint64_t start, uint64_t end, uint32_t type,
		     uint32_t pid)
{
	struct flk *out = xcalloc(2 * n->nlocks + 1, sizeof(*out));    /* each splits in at most two */
	size_t k = 0;

	for (size_t i = 0; i < n->nlocks; i++) {
		struct flk l = n->locks[i];

		if (l.owner != owner || !lk_overlap(&l, start, end)) {
			out[k++] = l;
			continue;
		}
		if (l.start < start) {
			out[k] = l;
			out[k++].end = start - 1;
		}
		if (l.end > end) {
			out[k] = l;
			out[k++].start = end + 1;
		}
	}
	if (type != F_UNLCK)
		out[k++] = (struct flk){ owner, start, end, type, pid };
	free(n->locks);
	n->locks = out;
	n->nlocks = k;
}

static int op_lock(struct rq *q)
{
	uint32_t op = q->ih.opcode;
	struct fuse_lk_in in;
	struct fuse_lk_out *out;
	const struct flk *c;
	struct fnode *n;
	struct fh *h;

	if (!take(q, &in, sizeof(in)) || !args_done(q))
		return -EINVAL;
	q->rec->fh = in.fh;
	q->rec->owner = in.owner;
	q->rec->start = in.lk.start;
	q->rec->end = in.lk.end;
	q->rec->flags = in.lk.type;
	if (!(n = req_node(q)) || !(h = fh_get(q, in.fh, false)))
		return -EBADF;
	if (!q->d->o.posix_locks) {
		viol(q->d, "%s, but POSIX locks were not offered in INIT", opname(op));
		return -ENOSYS;
	}
	if (in.lk_flags & FUSE_LK_FLOCK)
		viol(q->d, "%s with FUSE_LK_FLOCK, which was not offered", opname(op));
	if (in.lk.start > in.lk.end || in.lk.end > INT64_MAX ||
	    (in.lk.type != F_RDLCK && in.lk.type != F_WRLCK && in.lk.type != F_UNLCK)) {
		viol(q->d, "%s of type %u over [%lu, %lu]", opname(op), in.lk.type,
		     (unsigned long)in.lk.start, (unsigned long)in.lk.end);
		return -EINVAL;
	}
	if (op == FUSE_GETLK) {
		if (in.lk.type == F_UNLCK)
			return -EINVAL;         /* the host's fcntl(F_OFD_GETLK) */
		if (!(out = reply(q, sizeof(*out))))
			return -EIO;
		c = lk_conflict(n, in.owner, in.lk.start, in.lk.end, in.lk.type);
		if (c)
			out->lk = (struct fuse_file_lock){ c->start, c->end, c->type, c->pid };
		else
			out->lk = (struct fuse_file_lock){ in.lk.start, in.lk.end, F_UNLCK, 0 };
		return 0;
	}
	if ((in.lk.type == F_RDLCK && !readable(h)) || (in.lk.type == F_WRLCK && !writable(h)))
		return -EBADF;
	if (in.lk.type != F_UNLCK && lk_conflict(n, in.owner, in.lk.start, in.lk.end, in.lk.type))
		return op == FUSE_SETLK ? -EAGAIN : -EDEADLK;   /* SETLKW: the fake cannot wait */
	lk_apply(n, in.owner, in.lk.start, in.lk.end, in.lk.type, in.lk.pid);
	return 0;
}

/* ---- DAX: the window, as QEMU (patched, tools/dax-host/) and virtiofsd map it ---- */

/* QEMU's virtio_shm_range_ok: a nonempty, page-aligned range inside. */
static bool win_range_ok(struct fake_dev *d, uint64_t off, uint64_t len)
{
	return len != 0 && off <= d->winlen && len <= d->winlen - off && off % PG == 0 && len % PG == 0;
}

/* PROT_NONE back over [off, off+len) of the window. */
static void win_reserve(struct fake_dev *d, uint64_t off, uint64_t len)
{
	if (mmap(d->win + off, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) == MAP_FAILED) {
		perror("fake_fuse: reserving window pages");
		abort();
	}
	for (uint64_t p = off / PG; p < (off + len) / PG; p++) {
		d->wpages[p].node = NULL;
		d->wpages[p].writable = false;
	}
}

/* Window pages [off, off+len) still aliased by shared va pages: the host
 * changing them would change (or kill) an application's mapping. */
static uint64_t win_vrefs(struct fake_dev *d, uint64_t off, uint64_t len, struct fnode *n, uint64_t foff)
{
	uint64_t k = 0;

	for (uint64_t p = 0; p < len / PG; p++) {
		struct wpage *w = &d->wpages[off / PG + p];

		if (w->vrefs && (!n || w->node != n || w->foff != foff + p * PG))
			k++;
	}
	return k;
}

static int op_setupmapping(struct rq *q)
{
	struct fake_dev *d = q->d;
	struct fuse_setupmapping_in in;
	uint64_t align;
	bool wr;
	struct fnode *n;
	struct fh *h;

	if (!take(q, &in, sizeof(in)) || !args_done(q))
		return -EINVAL;
	q->rec->fh = in.fh;
	q->rec->off = in.foffset;
	q->rec->moff[0] = in.moffset;
	q->rec->len = in.len;
	q->rec->flags = (uint32_t)in.flags;
	if (!(n = req_node(q)))
		return -EIO;
	if (!d->win) {
		viol(d, "SETUPMAPPING on a device without a DAX window");
		return -ENOSYS;                 /* virtiofsd: the front-end cannot map */
	}
	if (!d->win_vm_mapped)
		viol(d, "SETUPMAPPING before the kernel mapped the window (vm_map)");
	if (!S_ISREG(n->mode)) {
		viol(d, "SETUPMAPPING of node %lu, mode %#o", (unsigned long)n->id, n->mode);
		return -EINVAL;
	}
	if (!(in.flags & FUSE_SETUPMAPPING_FLAG_READ) ||
	    (in.flags & ~(FUSE_SETUPMAPPING_FLAG_READ | FUSE_SETUPMAPPING_FLAG_WRITE)))
		viol(d, "SETUPMAPPING flags %#lx", (unsigned long)in.flags);
	wr = in.flags & FUSE_SETUPMAPPING_FLAG_WRITE;
	/* virtiofsd: aligned to the map_alignment it announced. */
	align = 1ull << (d->o.map_alignment ? d->o.map_alignment : 12);
	if (in.len == 0 || (in.foffset | in.len | in.moffset) % align) {
		viol(d, "SETUPMAPPING foffset %#lx len %#lx moffset %#lx: not aligned to %#lx",
		     (unsigned long)in.foffset, (unsigned long)in.len, (unsigned long)in.moffset,
		     (unsigned long)align);
		return -EINVAL;
	}
	if (in.fh != UINT64_MAX) {
		if (!(h = fh_get(q, in.fh, false)))
			return -EBADF;
		if ((wr && !writable(h)) || !readable(h))
			return -EBADF;
	}
	/* QEMU: inside the window, no file offset overflow. */
	if (!win_range_ok(d, in.moffset, in.len) || in.foffset > (uint64_t)INT64_MAX - in.len) {
		viol(d, "SETUPMAPPING moffset %#lx len %#lx foffset %#lx: outside the %#lx-byte window",
		     (unsigned long)in.moffset, (unsigned long)in.len, (unsigned long)in.foffset,
		     (unsigned long)d->winlen);
		return -EINVAL;
	}
	if (win_vrefs(d, in.moffset, in.len, n, in.foffset))
		viol(d, "SETUPMAPPING over window offset %#lx, whose pages an application still maps "
		     "(to other file pages)", (unsigned long)in.moffset);
	if (mmap(d->win + in.moffset, in.len, PROT_READ | (wr ? PROT_WRITE : 0), MAP_SHARED | MAP_FIXED,
		 n->fd, (off_t)in.foffset) == MAP_FAILED) {
		int err = errno;

		win_reserve(d, in.moffset, in.len);
		return -err;
	}
	for (uint64_t p = 0; p < in.len / PG; p++)
		d->wpages[in.moffset / PG + p] = (struct wpage){ n, in.foffset + p * PG, wr,
							    d->wpages[in.moffset / PG + p].vrefs };
	return 0;
}

static int op_removemapping(struct rq *q)
{
	struct fake_dev *d = q->d;
	struct fuse_removemapping_in in;
	int err = 0;

	if (!take(q, &in, sizeof(in)))
		return -EINVAL;
	q->rec->flags = in.count;
	/* virtiofsd: count checked against the bytes carried. */
	if (in.count == 0 || (uint64_t)in.count * sizeof(struct fuse_removemapping_one) != q->arglen - q->pos) {
		viol(d, "REMOVEMAPPING of %u entries carrying %u bytes", in.count, q->arglen - q->pos);
		return -EINVAL;
	}
	if (!d->win) {
		viol(d, "REMOVEMAPPING on a device without a DAX window");
		return -ENOSYS;
	}
	/* Every entry is tried; the first error is the answer. */
	for (uint32_t i = 0; i < in.count; i++) {
		struct fuse_removemapping_one one;

		take(q, &one, sizeof(one));
		if (i < 32)
			q->rec->moff[i] = one.moffset;
		if (i == 0)
			q->rec->len = one.len;
		if (!win_range_ok(d, one.moffset, one.len)) {
			viol(d, "REMOVEMAPPING moffset %#lx len %#lx: outside the %#lx-byte window or unaligned",
			     (unsigned long)one.moffset, (unsigned long)one.len, (unsigned long)d->winlen);
			if (!err)
				err = -EINVAL;
			continue;
		}
		if (win_vrefs(d, one.moffset, one.len, NULL, 0))
			viol(d, "REMOVEMAPPING of window offset %#lx, whose pages an application still maps",
			     (unsigned long)one.moffset);
		win_reserve(d, one.moffset, one.len);
	}
	return err;
}

static int handle(struct rq *q)
{
	struct fake_dev *d = q->d;
	uint32_t op = q->ih.opcode;

	if (op != FUSE_INIT && !d->inited)
		viol(d, "%s before INIT", opname(op));
	if (d->destroyed)
		viol(d, "%s after DESTROY", opname(op));
	/* Using a node id the kernel has forgotten (the server may have
	 * reused it). RELEASE only needs the handle. */
	if (q->ih.nodeid > FUSE_ROOT_ID && op != FUSE_RELEASE && op != FUSE_RELEASEDIR) {
		struct fnode *n = node_by_id(d, q->ih.nodeid);

		if (n && n->nlookup <= 0)
			viol(d, "%s on node %lu, which the kernel has forgotten", opname(op),
			     (unsigned long)q->ih.nodeid);
	}
	if (op < FUSE_OP_MAX && d->enosys[op])
		return -ENOSYS;
	for (int i = 0; i < d->nfail; i++) {
		if (d->fail[i].op == op) {
			int err = d->fail[i].err;

			memmove(&d->fail[i], &d->fail[i + 1], (size_t)(d->nfail - i - 1) * sizeof(d->fail[0]));
			d->nfail--;
			return err;
		}
	}
	switch (op) {
	case FUSE_INIT:        return op_init(q);
	case FUSE_DESTROY:     d->destroyed = true; return args_done(q) ? 0 : -EINVAL;
	case FUSE_LOOKUP:      return op_lookup(q);
	case FUSE_GETATTR:     return op_getattr(q);
	case FUSE_SETATTR:     return op_setattr(q);
	case FUSE_OPEN:        return op_open(q, false);
	case FUSE_OPENDIR:     return op_open(q, true);
	case FUSE_CREATE:      return op_create(q);
	case FUSE_RELEASE:     return op_release(q, false);
	case FUSE_RELEASEDIR:  return op_release(q, true);
	case FUSE_FLUSH:       return op_flush(q);
	case FUSE_FSYNC:       return op_fsync(q, false);
	case FUSE_FSYNCDIR:    return op_fsync(q, true);
	case FUSE_READ:        return op_read(q);
	case FUSE_WRITE:       return op_write(q);
	case FUSE_READDIR:     return op_readdir(q, false);
	case FUSE_READDIRPLUS: return op_readdir(q, true);
	case FUSE_MKDIR:       return op_mkdir(q);
	case FUSE_MKNOD:       return op_mknod(q);
	case FUSE_SYMLINK:     return op_symlink(q);
	case FUSE_LINK:        return op_link(q);
	case FUSE_UNLINK:      return op_remove(q, false);
	case FUSE_RMDIR:       return op_remove(q, true);
	case FUSE_RENAME:      return op_rename(q, false);
	case FUSE_RENAME2:     return op_rename(q, true);
	case FUSE_READLINK:    return op_readlink(q);
	case FUSE_STATFS:      return op_statfs(q);
	case FUSE_LSEEK:       return op_lseek(q);
	case FUSE_FALLOCATE:   return op_fallocate(q);
	case FUSE_GETLK:
	case FUSE_SETLK:
	case FUSE_SETLKW:      return op_lock(q);
	case FUSE_SETUPMAPPING:  return op_setupmapping(q);
	case FUSE_REMOVEMAPPING: return op_removemapping(q);
	default:
		viol(d, "unexpected opcode %u", op);
		return -ENOSYS;
	}
}

/* Take back what a voided reply produced. */
static void undo(struct fake_dev *d)
{
	for (int i = 0; i < d->njlookup; i++)
		d->jlookup[i]->nlookup--;
	for (int i = 0; i < d->njfh; i++)
		d->fhs[d->jfh[i] - FH_BASE].used = false;
	d->njlookup = d->njfh = 0;
}

static bool entry_fault(enum fake_fault f)
{
	return f == FAKE_FAULT_NODEID_0 || f == FAKE_FAULT_NODEID_1 || f == FAKE_FAULT_BAD_MODE ||
	       f == FAKE_FAULT_DIRENT_SLASH || f == FAKE_FAULT_DIRENT_TRUNCATED ||
	       f == FAKE_FAULT_READLINK_NUL || f == FAKE_FAULT_WRITE_TOO_MUCH;
}

int virtio_fs_request(struct virtio_fs *fs, const struct virtq_buf *bufs, unsigned nout, unsigned nin)
{
	struct fake_dev *d = dev_of(fs);
	struct rq q = { .d = d, .bufs = bufs, .nout = nout, .nin = nin };
	struct fuse_out_header oh;
	uint64_t total = 0, cap = 0;
	uint8_t *req, *rep;
	uint32_t written;
	int err;

	if (d->broken)
		return -EIO;
	if (nout < 1 || nin < 1 || bufs[0].len != sizeof(struct fuse_in_header) ||
	    bufs[nout].len != sizeof(struct fuse_out_header)) {
		viol(d, "request of %u+%u buffers, header buffers %u and %u bytes", nout, nin,
		     nout ? bufs[0].len : 0, nin ? bufs[nout].len : 0);
		return -EINVAL;
	}
	for (unsigned i = 0; i < nout + nin; i++) {
		if (!bufs[i].addr || !bufs[i].len) {
			viol(d, "buffer %u: %p, %u bytes", i, bufs[i].addr, bufs[i].len);
			return -EINVAL;
		}
		/* The device sees guest RAM only: a window or shared va
		 * address in a descriptor is the VM's end on a real host. */
		if (!virtio_fs_host_visible(bufs[i].addr, bufs[i].len)) {
			fprintf(stderr, "fake_fuse %s: request buffer %u (%p, %u bytes) lies in a DAX window "
				"or a shared file mapping: the device cannot reach it (fuse_request must bounce it)\n",
				d->vfs.tag, i, bufs[i].addr, bufs[i].len);
			abort();
		}
		if (i < nout)
			total += bufs[i].len;
		else
			cap += bufs[i].len;
	}
	/* The request, gathered into a block of exactly its size. */
	req = xcalloc(1, total);
	for (unsigned i = 0, pos = 0; i < nout; pos += bufs[i].len, i++)
		memcpy(req + pos, bufs[i].addr, bufs[i].len);
	memcpy(&q.ih, req, sizeof(q.ih));
	if (q.ih.len != total)
		viol(d, "in header len %u, request %lu bytes", q.ih.len, (unsigned long)total);
	if (q.ih.unique <= d->last_unique)
		viol(d, "unique %lu after %lu", (unsigned long)q.ih.unique, (unsigned long)d->last_unique);
	d->last_unique = q.ih.unique;
	q.arg = req + sizeof(q.ih);
	q.arglen = (uint32_t)(total - sizeof(q.ih));
	rep = xcalloc(1, cap + 64);
	q.out = rep + sizeof(oh);
	q.outcap = (uint32_t)(cap - sizeof(oh));
	q.rec = log_new(d);
	q.rec->opcode = q.ih.opcode;
	q.rec->unique = q.ih.unique;
	q.rec->nodeid = q.ih.nodeid;
	d->njlookup = d->njfh = 0;

	if (d->hook && (d->hook_op == 0 || d->hook_op == q.ih.opcode)) {
		void (*fn)(struct virtio_fs *, void *) = d->hook;

		d->hook = NULL;
		fn(fs, d->hook_arg);
	}
	if (d->fault && (d->fault_op == 0 || d->fault_op == q.ih.opcode)) {
		q.fault = d->fault;
		d->fault = FAKE_FAULT_NONE;
	}
	if (q.ih.opcode == FUSE_LOOKUP || q.ih.opcode == FUSE_UNLINK || q.ih.opcode == FUSE_RMDIR) {
		const char *s = (const char *)q.arg;

		if (memchr(s, 0, q.arglen))
			snprintf(q.rec->name, sizeof q.rec->name, "%s", s);
	}
	err = handle(&q);
	if (err > 0 || err < -4095)
		abort();
	q.rec->error = err;
	q.rec->payload = err ? 0 : q.outlen;
	written = (uint32_t)sizeof(oh) + (err ? 0 : q.outlen);
	oh = (struct fuse_out_header){ .len = written, .error = err, .unique = q.ih.unique };

	if (q.fault && entry_fault(q.fault) && !q.fault_used)
		viol(d, "fault \"%s\" does not fit this %s reply (error %d)", fake_fault_name(q.fault),
		     opname(q.ih.opcode), err);
	switch (q.fault) {
	case FAKE_FAULT_WRONG_UNIQUE:
		oh.unique = q.ih.unique + 1000;
		break;
	case FAKE_FAULT_LEN_SHORT:
		oh.len = written - 1;
		break;
	case FAKE_FAULT_LEN_LONG:
		oh.len = written + 1;
		break;
	case FAKE_FAULT_SHORT_HEADER:
		written = 8;
		break;
	case FAKE_FAULT_ERROR_POSITIVE:
		oh.error = 2;
		oh.len = written = sizeof(oh);
		break;
	case FAKE_FAULT_ERROR_BELOW:
		oh.error = -4096;
		oh.len = written = sizeof(oh);
		break;
	case FAKE_FAULT_ERROR_PAYLOAD:
		oh.error = -ENOENT;
		oh.len = written = sizeof(oh) + 8;
		memset(q.out, 0x5a, 8);
		break;
	case FAKE_FAULT_OVERSIZED:
		oh.len = written = (uint32_t)cap + 8;
		break;
	case FAKE_FAULT_SHORT_PAYLOAD:
		if (err || !q.outlen)
			viol(d, "fault \"short payload\" on an empty %s reply", opname(q.ih.opcode));
		oh.len = --written;
		break;
	default:
		break;
	}
	if (q.fault && !entry_fault(q.fault))
		undo(d);
	memcpy(rep, &oh, sizeof(oh));
	/* Scatter over the device-writable buffers. */
	for (unsigned i = nout, pos = 0; i < nout + nin && pos < written && pos < cap; i++) {
		uint32_t k = written - pos < bufs[i].len ? written - pos : bufs[i].len;

		memcpy((void *)(uintptr_t)bufs[i].addr, rep + pos, k);
		pos += k;
	}
	free(rep);
	free(req);
	return (int)written;
}

int virtio_fs_send_oneway(struct virtio_fs *fs, const void *msg, uint32_t len)
{
	struct fake_dev *d = dev_of(fs);
	struct fuse_in_header ih;
	struct fuse_forget_one single;
	struct fuse_batch_forget_in b;
	struct fake_rec *rec;
	const uint8_t *p = msg;
	uint32_t count;

	if (d->broken)
		return -EIO;
	if (!virtio_fs_host_visible(msg, len)) {
		fprintf(stderr, "fake_fuse %s: one-way message (%p, %u bytes) in a DAX window or a shared file "
			"mapping: the device cannot reach it\n", d->vfs.tag, msg, len);
		abort();
	}
	if (len < sizeof(ih)) {
		viol(d, "one-way message of %u bytes", len);
		return 0;
	}
	memcpy(&ih, p, sizeof(ih));
	if (ih.len != len)
		viol(d, "one-way message: in header len %u, %u bytes", ih.len, len);
	if (ih.unique <= d->last_unique)
		viol(d, "unique %lu after %lu", (unsigned long)ih.unique, (unsigned long)d->last_unique);
	d->last_unique = ih.unique;
	if (d->destroyed)
		viol(d, "%s after DESTROY", opname(ih.opcode));
	d->forget_msgs++;
	rec = log_new(d);
	rec->opcode = ih.opcode;
	rec->unique = ih.unique;
	rec->nodeid = ih.nodeid;
	if (ih.opcode == FUSE_FORGET) {
		struct fuse_forget_in in;

		if (len != sizeof(ih) + sizeof(in)) {
			viol(d, "FORGET of %u bytes", len);
			return 0;
		}
		memcpy(&in, p + sizeof(ih), sizeof(in));
		single = (struct fuse_forget_one){ ih.nodeid, in.nlookup };
		p = (const uint8_t *)&single;
		count = 1;
		rec->flags = 1;
		rec->nlookup = in.nlookup;
		goto apply;
	}
	if (ih.opcode != FUSE_BATCH_FORGET) {
		viol(d, "one-way %s", opname(ih.opcode));
		return 0;
	}
	if (len < sizeof(ih) + sizeof(b)) {
		viol(d, "BATCH_FORGET of %u bytes", len);
		return 0;
	}
	memcpy(&b, p + sizeof(ih), sizeof(b));
	if (b.count == 0 ||
	    len != sizeof(ih) + sizeof(b) + (uint64_t)b.count * sizeof(struct fuse_forget_one)) {
		viol(d, "BATCH_FORGET of %u bytes for %u nodes", len, b.count);
		return 0;
	}
	count = b.count;
	rec->flags = count;
	p += sizeof(ih) + sizeof(b);
apply:
	for (uint32_t i = 0; i < count; i++) {
		struct fuse_forget_one one;
		struct fnode *n;

		memcpy(&one, p + i * sizeof(one), sizeof(one));
		rec->nlookup += ih.opcode == FUSE_BATCH_FORGET ? one.nlookup : 0;
		n = node_by_id(d, one.nodeid);
		if (!n || one.nodeid == FUSE_ROOT_ID || one.nlookup == 0) {
			viol(d, "FORGET of node %lu (%lu lookups)", (unsigned long)one.nodeid,
			     (unsigned long)one.nlookup);
			continue;
		}
		n->nlookup -= (int64_t)one.nlookup;
		if (n->nlookup < 0)
			viol(d, "FORGET of %lu lookups of node %lu leaves its count at %lld",
			     (unsigned long)one.nlookup, (unsigned long)one.nodeid, (long long)n->nlookup);
	}
	return 0;
}

/* ---- The rest of the kernel, for the host ---------------------------------- */

static long heap_blocks;
static size_t heap_bytes;

void *kmalloc(size_t size)
{
	void *p;

	if (!size)
		return NULL;
	p = calloc(1, size);
	if (p) {
		heap_blocks++;
		heap_bytes += malloc_usable_size(p);
	}
	return p;
}

void kfree(void *p)
{
	if (!p)
		return;
	heap_blocks--;
	heap_bytes -= malloc_usable_size(p);
	free(p);
}

size_t heap_in_use(void)
{
	return heap_bytes;
}

/* Page frames (the page cache's) from the host heap, page-aligned; the
 * host's addresses stand in for physical ones. */
static long frames;

void *page_alloc_range(uint64_t n, uint64_t align, uint64_t min, uint64_t max)
{
	uint64_t a = 4096 * (align ? align : 1);
	void *p = aligned_alloc(a, n * 4096);

	if (!p)
		return NULL;
	if ((uintptr_t)p < min || (uintptr_t)p + n * 4096 > max) {
		free(p);
		return NULL;
	}
	memset(p, 0, n * 4096);
	frames += (long)n;
	return p;
}

void page_free(void *p, uint64_t n)
{
	frames -= (long)n;
	free(p);
}

/* ---- The kernel's address space, for DAX -------------------------------------
 * The host address of a window is its guest-physical address, and vm_map
 * of it is the identity. The shared va region stands for the addresses
 * above the identity map where libc/sys_mem.c puts shared file mappings:
 * vm_map_at keeps one entry per page and makes the host page there an
 * alias (MAP_SHARED of the same memfd page) of what the window page holds,
 * so loads and stores through it are the application's. */

struct vpage {
	bool present, writable;
	struct fake_dev *d;
	uint64_t pa;                    /* the window address */
};

static uint8_t *sva;                    /* SVA_LEN bytes, reserved PROT_NONE */
static struct vpage *vpages;
static uint64_t nvpages;

uint64_t fake_shared_va(uint64_t *len)
{
	if (!sva) {
		uint64_t slop = 2ull << 20;
		uint8_t *p = mmap(NULL, SVA_LEN + slop, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				  -1, 0);

		if (p == MAP_FAILED)
			abort();
		sva = (uint8_t *)(((uintptr_t)p + slop - 1) & ~(uintptr_t)(slop - 1));
		vpages = xcalloc(SVA_LEN / PG, sizeof(vpages[0]));
		catch_faults();
	}
	if (len)
		*len = SVA_LEN;
	return (uintptr_t)sva;
}

static bool overlaps(uint64_t a, uint64_t len, const void *base, uint64_t blen)
{
	return base && a < (uintptr_t)base + blen && a + len > (uintptr_t)base;
}

static bool in_sva(uint64_t a, uint64_t len)
{
	return sva && a >= (uintptr_t)sva && len <= SVA_LEN && a - (uintptr_t)sva <= SVA_LEN - len;
}

/* The device whose window holds [pa, pa+len) wholly, or NULL. */
static struct fake_dev *win_of(uint64_t pa, uint64_t len)
{
	for (int i = 0; i < ndevs; i++) {
		struct fake_dev *d = devs[i];

		if (d->win && pa >= (uintptr_t)d->win && len <= d->winlen &&
		    pa - (uintptr_t)d->win <= d->winlen - len)
			return d;
	}
	return NULL;
}

void *vm_map(uint64_t pa, uint64_t len, enum pt_cache cache)
{
	struct fake_dev *d = win_of(pa, len);

	if (!d || len == 0) {
		viol(NULL, "vm_map of [%#lx, +%#lx), which is no DAX window", (unsigned long)pa,
		     (unsigned long)len);
		return NULL;
	}
	if (cache != PT_WB)
		viol(d, "the DAX window mapped with caching type %d, not write-back", (int)cache);
	d->win_vm_mapped = true;
	return (void *)(uintptr_t)pa;
}

int vm_map_at(uint64_t va, uint64_t pa, uint64_t len, enum pt_cache cache, bool writable)
{
	struct fake_dev *d = win_of(pa, len);

	if ((va | pa | len) % PG || len == 0 || !in_sva(va, len) || !d) {
		viol(NULL, "vm_map_at(%#lx, %#lx, %#lx): not page-aligned, or not shared va to a DAX window",
		     (unsigned long)va, (unsigned long)pa, (unsigned long)len);
		return -EINVAL;
	}
	if (cache != PT_WB)
		viol(d, "a shared mapping with caching type %d, not write-back", (int)cache);
	for (uint64_t k = 0; k < len / PG; k++) {
		struct vpage *v = &vpages[(va - (uintptr_t)sva) / PG + k];
		struct wpage *w = &d->wpages[(pa - (uintptr_t)d->win) / PG + k];
		uint8_t *host = (uint8_t *)(uintptr_t)va + k * PG;
		bool wr = writable;

		if (v->present) {
			viol(d, "vm_map_at over shared va %#lx, which is mapped", (unsigned long)(va + k * PG));
			continue;
		}
		if (!w->node) {
			viol(d, "shared va %#lx mapped to window offset %#lx, which the host has not mapped",
			     (unsigned long)(va + k * PG), (unsigned long)(pa + k * PG - (uintptr_t)d->win));
			continue;
		}
		if (writable && !w->writable) {
			viol(d, "shared va %#lx mapped writable to window offset %#lx, which the host maps "
			     "read-only", (unsigned long)(va + k * PG),
			     (unsigned long)(pa + k * PG - (uintptr_t)d->win));
			wr = false;
		}
		if (mmap(host, PG, PROT_READ | (wr ? PROT_WRITE : 0), MAP_SHARED | MAP_FIXED, w->node->fd,
			 (off_t)w->foff) == MAP_FAILED) {
			perror("fake_fuse: aliasing a window page");
			abort();
		}
		*v = (struct vpage){ true, writable, d, pa + k * PG };
		w->vrefs++;
		nvpages++;
	}
	return 0;
}

void vm_unmap(uint64_t a, uint64_t len)
{
	if (in_sva(a, len) && a % PG == 0) {
		for (uint64_t k = 0; k < page_up(len) / PG; k++) {
			struct vpage *v = &vpages[(a - (uintptr_t)sva) / PG + k];

			if (!v->present)
				continue;
			v->d->wpages[(v->pa - (uintptr_t)v->d->win) / PG].vrefs--;
			if (mmap((uint8_t *)(uintptr_t)a + k * PG, PG, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
				abort();
			*v = (struct vpage){ 0 };
			nvpages--;
		}
		return;
	}
	if (win_of(a, len))
		return;                         /* the window: nothing to do here */
	viol(NULL, "vm_unmap(%#lx, %#lx) of neither shared va nor a window", (unsigned long)a,
	     (unsigned long)len);
}

int vm_lookup(uint64_t va, uint64_t *pa, uint64_t *entry)
{
	struct vpage *v;

	if (!in_sva(va, 1))
		return -ENOENT;
	v = &vpages[(va - (uintptr_t)sva) / PG];
	if (!v->present)
		return -ENOENT;
	*pa = v->pa + va % PG;
	*entry = (v->pa & PTE_ADDR) | PTE_P | (v->writable ? PTE_W : 0) | PTE_NX;
	return 0;
}

bool fake_vm_translate(uint64_t va, uint64_t *pa, bool *writable)
{
	uint64_t e, p;

	if (vm_lookup(va, &p, &e))
		return false;
	*pa = p;
	*writable = e & PTE_W;
	return true;
}

uint64_t fake_vm_pages(void)
{
	return nvpages;
}

/* Guest RAM: anything but a window or the shared va region. */
bool virtio_fs_host_visible(const void *p, uint64_t len)
{
	uint64_t a = (uintptr_t)p;

	if (overlaps(a, len ? len : 1, sva, SVA_LEN))
		return false;
	for (int i = 0; i < ndevs; i++)
		if (overlaps(a, len ? len : 1, devs[i]->win, devs[i]->winlen))
			return false;
	return true;
}

void *fake_dax_window(struct virtio_fs *fs, uint64_t *len)
{
	struct fake_dev *d = dev_of(fs);

	if (len)
		*len = d->winlen;
	return d->win;
}

bool fake_dax_page(struct virtio_fs *fs, uint64_t moff, uint64_t *nodeid, uint64_t *foff, bool *writable)
{
	struct fake_dev *d = dev_of(fs);
	struct wpage *w;

	if (!d->win || moff >= d->winlen)
		return false;
	w = &d->wpages[moff / PG];
	if (!w->node)
		return false;
	*nodeid = w->node->id;
	*foff = w->foff;
	*writable = w->writable;
	return true;
}

uint64_t fake_dax_pages(struct virtio_fs *fs, uint64_t nodeid)
{
	struct fake_dev *d = dev_of(fs);
	uint64_t k = 0;

	for (uint64_t p = 0; d->win && p < d->winlen / PG; p++)
		k += d->wpages[p].node && (!nodeid || d->wpages[p].node->id == nodeid);
	return k;
}

bool fake_dax_vm_mapped(struct virtio_fs *fs)
{
	return dev_of(fs)->win_vm_mapped;
}

/* A fault in a window or the shared va region is what kills the VM on a
 * real host (QEMU's SIGSEGV or SIGBUS): say which page and why, then abort.
 * Any other fault goes to the handler that was there (the sanitizer's). */
static struct sigaction old_segv, old_bus;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	uint64_t a = (uintptr_t)si->si_addr;
	struct sigaction *old = sig == SIGBUS ? &old_bus : &old_segv;
	char msg[400];
	int n = -1;

	if (in_sva(a, 1)) {
		struct vpage *v = &vpages[(a - (uintptr_t)sva) / PG];

		n = snprintf(msg, sizeof msg, "fake_fuse: %s at shared va %#lx: %s\n",
			     sig == SIGBUS ? "SIGBUS" : "SIGSEGV", (unsigned long)a,
			     !v->present ? "no page there (the application would fault)"
			     : sig == SIGBUS ? "the page lies past the file's end"
			     : "a store into a read-only page");
	}
	for (int i = 0; n < 0 && i < ndevs; i++) {
		struct fake_dev *d = devs[i];
		struct wpage *w;

		if (!overlaps(a, 1, d->win, d->winlen))
			continue;
		w = &d->wpages[(a - (uintptr_t)d->win) / PG];
		if (!w->node)
			n = snprintf(msg, sizeof msg, "fake_fuse %s: %s at DAX window offset %#lx, which the host "
				     "has not mapped: QEMU would die here\n", d->vfs.tag,
				     sig == SIGBUS ? "SIGBUS" : "SIGSEGV", (unsigned long)(a - (uintptr_t)d->win));
		else
			n = snprintf(msg, sizeof msg, "fake_fuse %s: %s at DAX window offset %#lx (node %lu, "
				     "file offset %#lx, mapped %s; the file has %#lx bytes): %s: QEMU would die "
				     "here\n", d->vfs.tag, sig == SIGBUS ? "SIGBUS" : "SIGSEGV",
				     (unsigned long)(a - (uintptr_t)d->win), (unsigned long)w->node->id,
				     (unsigned long)(w->foff + a % PG), w->writable ? "read-write" : "read-only",
				     (unsigned long)w->node->size,
				     sig == SIGBUS ? "past the file's end" : "a store into a read-only mapping");
	}
	if (n > 0) {
		if (write(2, msg, (size_t)n) < 0)
			_exit(125);
		signal(SIGABRT, SIG_DFL);
		abort();
	}
	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	sigaction(sig, old, NULL);              /* SIG_DFL: the fault recurs and kills */
	if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN)
		old->sa_handler(sig);
}

static void catch_faults(void)
{
	static bool done;
	struct sigaction sa;

	if (done)
		return;
	done = true;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
}

uint64_t mem_top(void)
{
	return 1ull << 30;              /* 1 GiB of "RAM": a 64 MiB page cache */
}

long fake_frames(void)
{
	return frames;
}

long fake_heap_blocks(void)
{
	return heap_blocks;
}

/* Deterministic bytes (a 64-bit LCG), enough for /dev/random reads. */
void random_bytes(void *buf, size_t n)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;
	uint8_t *p = buf;

	for (size_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		p[i] = (uint8_t)(x >> 56);
	}
}

uint64_t clock_monotonic_ns(void)
{
	static uint64_t t;

	return t += 1000;
}

static char *con;
static size_t con_len, con_cap;
static const char *con_in;
static int verbose = -1;

void console_write(const char *s, size_t n)
{
	if (verbose < 0)
		verbose = getenv("FAKE_FUSE_VERBOSE") != NULL;
	if (verbose)
		fwrite(s, 1, n, stderr);
	if (con_len + n + 1 > con_cap) {
		if (con_len + n + 1 > (16u << 20))
			return;                 /* keep the first 16 MiB */
		con_cap = (con_len + n + 1) * 2;
		con = realloc(con, con_cap);
		if (!con)
			abort();
	}
	memcpy(con + con_len, s, n);
	con_len += n;
	con[con_len] = 0;
}

size_t console_read(char *buf, size_t n)
{
	size_t k = 0;

	while (con_in && *con_in && k < n) {
		char c = *con_in++;

		buf[k++] = c;
		if (c == '\n')
			break;
	}
	return k;
}

void fake_console_clear(void)
{
	con_len = 0;
	if (con)
		con[0] = 0;
}

const char *fake_console(void)
{
	return con ? con : "";
}

void fake_console_input(const char *s)
{
	con_in = s;
}

static void put_console(char c, void *arg)
{
	(void)arg;
	console_write(&c, 1);
}

int kvprintf(const char *fmt, va_list ap)
{
	return kvformat(put_console, NULL, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "panic: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}
