/*
 * FUSE session over virtio-fs: INIT, the request/reply exchange, FORGET
 * batching and trace=fuse. See fuse_conn.h.
 *
 * A request travels as one virtqueue chain: device-readable parts
 * [fuse_in_header][op struct][name or data] then device-writable parts
 * [fuse_out_header][reply struct or data]. Data buffers are the caller's
 * own memory, named in the descriptors directly: no bounce copy.
 */
#include <stdint.h>
#include <string.h>

#include "drivers/virtio/virtio_fs.h"
#include "fs/virtiofs/fuse_check.h"
#include "fs/virtiofs/fuse_conn.h"
#include "kernel/clock.h"
#include "kernel/errno.h"
#include "kernel/heap.h"
#include "kernel/kprintf.h"

#define PAGE_SIZE 4096

static const char *const opnames[FUSE_OP_MAX] = {
	[FUSE_LOOKUP] = "LOOKUP", [FUSE_FORGET] = "FORGET", [FUSE_GETATTR] = "GETATTR",
	[FUSE_SETATTR] = "SETATTR", [FUSE_READLINK] = "READLINK", [FUSE_SYMLINK] = "SYMLINK",
	[FUSE_MKNOD] = "MKNOD", [FUSE_MKDIR] = "MKDIR", [FUSE_UNLINK] = "UNLINK",
	[FUSE_RMDIR] = "RMDIR", [FUSE_RENAME] = "RENAME", [FUSE_LINK] = "LINK",
	[FUSE_OPEN] = "OPEN", [FUSE_READ] = "READ", [FUSE_WRITE] = "WRITE",
	[FUSE_STATFS] = "STATFS", [FUSE_RELEASE] = "RELEASE", [FUSE_FSYNC] = "FSYNC",
	[FUSE_SETXATTR] = "SETXATTR", [FUSE_GETXATTR] = "GETXATTR",
	[FUSE_LISTXATTR] = "LISTXATTR", [FUSE_REMOVEXATTR] = "REMOVEXATTR",
	[FUSE_FLUSH] = "FLUSH", [FUSE_INIT] = "INIT", [FUSE_OPENDIR] = "OPENDIR",
	[FUSE_READDIR] = "READDIR", [FUSE_RELEASEDIR] = "RELEASEDIR",
	[FUSE_FSYNCDIR] = "FSYNCDIR", [FUSE_GETLK] = "GETLK", [FUSE_SETLK] = "SETLK",
	[FUSE_SETLKW] = "SETLKW", [FUSE_ACCESS] = "ACCESS", [FUSE_CREATE] = "CREATE",
	[FUSE_INTERRUPT] = "INTERRUPT", [FUSE_BMAP] = "BMAP", [FUSE_DESTROY] = "DESTROY",
	[FUSE_IOCTL] = "IOCTL", [FUSE_POLL] = "POLL", [FUSE_NOTIFY_REPLY] = "NOTIFY_REPLY",
	[FUSE_BATCH_FORGET] = "BATCH_FORGET", [FUSE_FALLOCATE] = "FALLOCATE",
	[FUSE_READDIRPLUS] = "READDIRPLUS", [FUSE_RENAME2] = "RENAME2", [FUSE_LSEEK] = "LSEEK",
	[FUSE_COPY_FILE_RANGE] = "COPY_FILE_RANGE", [FUSE_SETUPMAPPING] = "SETUPMAPPING",
	[FUSE_REMOVEMAPPING] = "REMOVEMAPPING", [FUSE_SYNCFS] = "SYNCFS",
	[FUSE_TMPFILE] = "TMPFILE", [FUSE_STATX] = "STATX",
};

const char *fuse_opname(uint32_t opcode)
{
	return opcode < FUSE_OP_MAX && opnames[opcode] ? opnames[opcode] : "OP?";
}

static void trace_line(struct fuse_conn *c, const struct fuse_req *r, uint64_t unique,
		       int err, uint64_t ns)
{
	char detail[160];
	int n = 0;

	detail[0] = 0;
	if (r->tname)
		n += ksnprintf(detail + n, sizeof(detail) - n, " \"%s\"", r->tname);
	if (r->toff >= 0 && n < (int)sizeof(detail))
		n += ksnprintf(detail + n, sizeof(detail) - n, " off %ld", r->toff);
	if (r->tlen >= 0 && n < (int)sizeof(detail))
		ksnprintf(detail + n, sizeof(detail) - n, " len %ld", r->tlen);
	if (err)
		kprintf("fuse: %s #%lu %s node %lu%s -> error %d (%lu us)\n", c->dev->tag, unique,
			fuse_opname(r->opcode), r->nodeid, detail, err, ns / 1000);
	else
		kprintf("fuse: %s #%lu %s node %lu%s -> ok, %u bytes (%lu us)\n", c->dev->tag, unique,
			fuse_opname(r->opcode), r->nodeid, detail, r->out_len, ns / 1000);
}

static int exchange(struct fuse_conn *c, struct fuse_req *r)
{
	struct fuse_in_header ih;
	struct fuse_out_header oh;
	struct virtq_buf bufs[2 + 3 + 2 + 2 * FUSE_REQ_PAGES];
	unsigned nout = 0, nin = 0;
	uint64_t t0 = c->trace ? clock_monotonic_ns() : 0, in_len = sizeof(ih), max_out = 0;
	int written, err;

	if (c->dead)
		return -EIO;
	bufs[nout++] = (struct virtq_buf){ &ih, sizeof(ih) };
	for (unsigned i = 0; i < r->nin; i++) {
		if (!r->in[i].len)
			continue;
		bufs[nout++] = (struct virtq_buf){ r->in[i].p, r->in[i].len };
		in_len += r->in[i].len;
	}
	bufs[nout + nin++] = (struct virtq_buf){ &oh, sizeof(oh) };
	for (unsigned i = 0; i < r->nout; i++) {
		if (!r->out[i].len)
			continue;
		bufs[nout + nin++] = (struct virtq_buf){ r->out[i].p, r->out[i].len };
		max_out += r->out[i].len;
	}
	if (in_len > UINT32_MAX || max_out > UINT32_MAX - sizeof(oh))
		return -EINVAL;
	memset(&ih, 0, sizeof(ih));
	ih.len = (uint32_t)in_len;
	ih.opcode = r->opcode;
	ih.unique = ++c->unique;
	ih.nodeid = r->nodeid;
	/* uid/gid 0, pid 1: the guest's one program runs as root. */
	ih.pid = 1;
	memset(&oh, 0, sizeof(oh));
	r->out_len = 0;

	written = virtio_fs_request(c->dev, bufs, nout, nin);
	if (written < 0)
		err = written;
	else
		err = fuse_check_reply(&oh, (uint32_t)written, ih.unique, r->min_out,
				       (uint32_t)max_out, &r->out_len);
	if (err == -EIO && written >= 0 &&
	    !((uint32_t)written == sizeof(oh) && oh.len == sizeof(oh) && oh.unique == ih.unique &&
	      oh.error == -EIO))
		kprintf("fuse: %s: malformed %s reply (len %u, written %d, error %d, unique %lu/%lu)\n",
			c->dev->tag, fuse_opname(r->opcode), oh.len, written, oh.error, oh.unique,
			ih.unique);
	if (c->trace)
		trace_line(c, r, ih.unique, err, clock_monotonic_ns() - t0);
	return err;
}

/* A part the device cannot reach (an application's shared file mapping,
 * a DAX window address: virtiofsd sees only guest RAM) goes through a
 * kernel buffer instead. Rare, so plain kmalloc. */
static bool bounce(struct fuse_arg *a, unsigned n, void **saved, bool copy_in)
{
	for (unsigned i = 0; i < n; i++) {
		if (!a[i].len || virtio_fs_host_visible(a[i].p, a[i].len))
			continue;
		saved[i] = (void *)a[i].p;
		a[i].p = kmalloc(a[i].len);
		if (!a[i].p) {
			a[i].p = saved[i];
			return false;
		}
		if (copy_in)
			memcpy((void *)a[i].p, saved[i], a[i].len);
	}
	return true;
}

static void unbounce(struct fuse_arg *a, unsigned n, void **saved, uint32_t copy_out)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t k = copy_out < a[i].len ? copy_out : a[i].len;

		if (saved[i]) {
			memcpy(saved[i], a[i].p, k);
			kfree((void *)a[i].p);
			a[i].p = saved[i];
		}
		copy_out -= k;
	}
}

int fuse_request(struct fuse_conn *c, struct fuse_req *r)
{
	void *in_saved[3 + FUSE_REQ_PAGES], *out_saved[2 + FUSE_REQ_PAGES];
	bool visible = true;
	int err;

	for (unsigned i = 0; i < r->nin && visible; i++)
		visible = !r->in[i].len || virtio_fs_host_visible(r->in[i].p, r->in[i].len);
	for (unsigned i = 0; i < r->nout && visible; i++)
		visible = !r->out[i].len || virtio_fs_host_visible(r->out[i].p, r->out[i].len);
	if (visible)
		return exchange(c, r);
	memset(in_saved, 0, sizeof(in_saved[0]) * r->nin);
	memset(out_saved, 0, sizeof(out_saved[0]) * r->nout);
	err = -ENOMEM;
	if (bounce(r->in, r->nin, in_saved, true) && bounce(r->out, r->nout, out_saved, false))
		err = exchange(c, r);
	unbounce(r->in, r->nin, in_saved, 0);
	unbounce(r->out, r->nout, out_saved, err ? 0 : r->out_len);
	return err;
}

int fuse_conn_init(struct fuse_conn *c, struct virtio_fs *dev, bool trace, bool writeback)
{
	struct fuse_init_in in;
	struct fuse_init_out out;
	struct fuse_req r;
	int err;

	memset(c, 0, sizeof(*c));
	c->dev = dev;
	c->trace = trace;
	memset(&in, 0, sizeof(in));
	in.major = FUSE_KERNEL_VERSION;
	in.minor = FUSE_KERNEL_MINOR_VERSION;
	in.max_readahead = 128 * 1024;
	/* What we can do: no async reads (one thread), big writes, the
	 * umask is applied by us (DONT_MASK), READDIRPLUS, bigger requests
	 * (MAX_PAGES), DAX alignment reporting. O_TRUNC is sent with OPEN. */
	in.flags = FUSE_ATOMIC_O_TRUNC | FUSE_BIG_WRITES | FUSE_DONT_MASK | FUSE_DO_READDIRPLUS |
		   FUSE_POSIX_LOCKS | (writeback ? FUSE_WRITEBACK_CACHE : 0) |
		   FUSE_MAX_PAGES | FUSE_MAP_ALIGNMENT | FUSE_EXPORT_SUPPORT | FUSE_INIT_EXT;
	memset(&out, 0, sizeof(out));
	memset(&r, 0, sizeof(r));
	r.opcode = FUSE_INIT;
	r.nodeid = 0;
	r.nin = 1;
	r.in[0] = (struct fuse_arg){ &in, sizeof(in) };
	r.nout = 1;
	r.out[0] = (struct fuse_arg){ &out, sizeof(out) };
	/* Servers older than 7.23 send a 24-byte reply; anything shorter
	 * than the fields we read is malformed. */
	r.min_out = 24;
	r.toff = r.tlen = -1;
	err = fuse_request(c, &r);
	if (err) {
		kprintf("fuse: %s: INIT failed (%d)\n", dev->tag, err);
		c->dead = true;
		return err;
	}
	if (out.major != FUSE_KERNEL_VERSION || out.minor < FUSE_MIN_MINOR) {
		kprintf("fuse: %s: server speaks %u.%u; remora needs %u.%u or newer\n", dev->tag,
			out.major, out.minor, FUSE_KERNEL_VERSION, FUSE_MIN_MINOR);
		c->dead = true;
		return -EIO;
	}
	c->minor = out.minor < FUSE_KERNEL_MINOR_VERSION ? out.minor : FUSE_KERNEL_MINOR_VERSION;
	c->flags = out.flags & in.flags;
	c->max_readahead = out.max_readahead < in.max_readahead ? out.max_readahead : in.max_readahead;
	c->time_gran = out.time_gran;
	/* Request size: max_pages pages if the server set FUSE_MAX_PAGES,
	 * else the protocol default of 32 pages; never beyond 256. */
	c->max_pages = FUSE_DEFAULT_MAX_PAGES;
	if ((c->flags & FUSE_MAX_PAGES) && out.max_pages)
		c->max_pages = out.max_pages < FUSE_MAX_MAX_PAGES ? out.max_pages : FUSE_MAX_MAX_PAGES;
	c->max_read = (uint32_t)c->max_pages * PAGE_SIZE;
	c->max_write = out.max_write < c->max_read ? out.max_write : c->max_read;
	if (c->max_write < PAGE_SIZE)
		c->max_write = PAGE_SIZE;
	c->map_alignment = (c->flags & FUSE_MAP_ALIGNMENT) ? out.map_alignment : 0;
	kprintf("fuse: %s: protocol 7.%u, max_write %u, max_read %u, max_readahead %u%s%s%s%s\n",
		dev->tag, c->minor, c->max_write, c->max_read, c->max_readahead,
		(c->flags & FUSE_DO_READDIRPLUS) ? ", readdirplus" : "",
		(c->flags & FUSE_POSIX_LOCKS) ? ", posix locks" : "",
		(c->flags & FUSE_WRITEBACK_CACHE) ? ", writeback cache" : "",
		(c->flags & FUSE_MAP_ALIGNMENT) ? ", map_alignment" : "");
	return 0;
}

void fuse_forget_flush(struct fuse_conn *c)
{
	struct {
		struct fuse_in_header ih;
		struct fuse_batch_forget_in b;
		struct fuse_forget_one one[FUSE_FORGET_BATCH];
	} msg;
	int n = c->nforget;
	uint32_t len = (uint32_t)(sizeof(msg.ih) + sizeof(msg.b) + n * sizeof(msg.one[0]));

	if (!n)
		return;
	c->nforget = 0;
	memset(&msg.ih, 0, sizeof(msg.ih));
	msg.ih.len = len;
	msg.ih.opcode = FUSE_BATCH_FORGET;
	msg.ih.unique = ++c->unique;
	msg.ih.pid = 1;
	msg.b.count = (uint32_t)n;
	msg.b.dummy = 0;
	memcpy(msg.one, c->forget, n * sizeof(msg.one[0]));
	if (virtio_fs_send_oneway(c->dev, &msg, len) == 0)
		c->n_forgets_sent += (uint64_t)n;
	if (c->trace)
		kprintf("fuse: %s #%lu BATCH_FORGET %d nodes (no reply)\n", c->dev->tag, msg.ih.unique, n);
}

void fuse_forget(struct fuse_conn *c, uint64_t nodeid, uint64_t nlookup)
{
	if (c->dead || !nlookup)
		return;
	if (c->nforget == FUSE_FORGET_BATCH)
		fuse_forget_flush(c);
	c->forget[c->nforget++] = (struct fuse_forget_one){ nodeid, nlookup };
}

void fuse_conn_destroy(struct fuse_conn *c)
{
	struct fuse_req r;

	if (c->dead)
		return;
	fuse_forget_flush(c);
	memset(&r, 0, sizeof(r));
	r.opcode = FUSE_DESTROY;
	r.toff = r.tlen = -1;
	fuse_request(c, &r);
	c->dead = true;
}
