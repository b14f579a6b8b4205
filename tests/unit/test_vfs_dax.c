/*
 * DAX end to end on the host: the VFS, fs/virtiofs/vdax.c and the range
 * manager (dax.c) over fake_fuse.c's devices with real cache windows
 * (fake_fuse.h, "DAX"): a window page the host has not mapped, a page past
 * a file's end or a store into a read-only mapping crashes the test as it
 * would kill QEMU, and a window or shared-mapping address in a request
 * aborts it. Devices besides vfs_harness.h's "root" and "two" (no window):
 *   "dax8"   /dax     8 MiB window (4 ranges), dax=auto
 *   "dax4"   /dax4    4 MiB window (2 ranges): thrashing, every range pinned
 *   "big"    /big     1 GiB window (512 ranges), dax=always
 *   "nosys"  /nosys   8 MiB window, SETUPMAPPING answered ENOSYS
 *   "always" /always  no window, dax=always: not mounted
 *   "never"  /never   8 MiB window, dax=never: not used
 * Every case ends with vh_settle() and dax_settle(): no shared va page left,
 * every range of every window free again and nothing mapped on the host.
 *   make -C tests/unit && FAKE_FUSE_VERBOSE=1 tests/unit/build/test_vfs_dax
 * shows the kernel's console (with trace=fuse) on stderr.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs/vfs.h"
#include "fs/virtiofs/dax.h"
#include "fs/virtiofs/vio.h"
#include "vfs_harness.h"

#define MiB (1ull << 20)
#define R2 DAX_RANGE_SIZE
#define PGSZ 4096ull

static struct virtio_fs *dax8, *dax4, *big, *nosys, *always, *never;

/* ---- Helpers ------------------------------------------------------------------- */

/* Deterministic bytes: the byte at file offset off of pattern seed. */
static uint8_t pat(uint32_t seed, uint64_t off)
{
	uint64_t w = (off >> 3) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed + 1) * 0xbf58476d1ce4e5b9ull;

	w ^= w >> 29;
	return (uint8_t)(w >> (8 * (off & 7)));
}

static void fill(uint8_t *p, size_t n, uint32_t seed, uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		p[i] = pat(seed, off + i);
}

static uint8_t *pattern(size_t n, uint32_t seed)
{
	uint8_t *p = malloc(n ? n : 1);

	fill(p, n, seed, 0);
	return p;
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* A host-made file of n pattern bytes. */
static void host_file(struct virtio_fs *d, const char *path, size_t n, uint32_t seed)
{
	uint8_t *p = pattern(n, seed);

	fake_add_file(d, path, p, n);
	free(p);
}

/* Whether the server's file holds exactly want[0..n); else a message with
 * the size and the first differing offset. */
static bool host_is_(int line, struct virtio_fs *d, const char *path, const uint8_t *want, size_t n)
{
	size_t len, i;
	const uint8_t *got = fake_data(d, path, &len);
	char e[128], s[128];

	if (got && len == n && memcmp(got, want, n) == 0)
		return true;
	for (i = 0; got && i < len && i < n && got[i] == want[i]; i++)
		;
	snprintf(e, sizeof e, "%s:\"%s\" to hold %zu expected bytes (line %d)", d->tag, path, n, line);
	snprintf(s, sizeof s, "%zu bytes, first difference at %zu (checksum %#lx, expected %#lx)",
		 got ? len : 0, i, got ? (unsigned long)fnv(got, len) : 0ul, (unsigned long)fnv(want, n));
	CHECK_FAIL(e, s);
	return false;
}
#define host_is(d, path, want, n) host_is_(__LINE__, (d), (path), (want), (n))

/* pread the whole of [0, n) in chunks; the bytes read, or the error. */
static ssize_t read_all(struct file *f, uint8_t *buf, size_t n, size_t chunk)
{
	size_t done = 0;

	while (done < n) {
		size_t k = n - done < chunk ? n - done : chunk;
		ssize_t got = vfs_pread(f, buf + done, k, (off_t)done);

		if (got < 0)
			return got;
		if (got == 0)
			break;
		done += (size_t)got;
	}
	return (ssize_t)done;
}

static ssize_t write_all(struct file *f, const uint8_t *buf, size_t n, size_t chunk)
{
	size_t done = 0;

	while (done < n) {
		size_t k = n - done < chunk ? n - done : chunk;
		ssize_t put = vfs_pwrite(f, buf + done, k, (off_t)done);

		if (put <= 0)
			return put;
		done += (size_t)put;
	}
	return (ssize_t)done;
}

static const struct dax_mgr *mgr(struct virtio_fs *d)
{
	struct vh_dev *v = vh_dev(d);

	return v->m ? vio_dax_mgr((struct virtiofs *)v->m->fs) : NULL;
}

/* The window offset of the range holding file offset foff of path's node
 * (as the host maps it), or UINT64_MAX. */
static uint64_t slot_of(struct virtio_fs *d, const char *path, uint64_t foff)
{
	uint64_t len, id = fake_node(d, path), node, fo;
	bool wr;

	fake_dax_window(d, &len);
	for (uint64_t m = 0; m < len; m += R2)
		if (fake_dax_page(d, m, &node, &fo, &wr) && node == id && fo == (foff & ~(R2 - 1)))
			return m;
	return UINT64_MAX;
}

/* Window pages the host maps for path's node. */
static uint64_t host_pages(struct virtio_fs *d, const char *path)
{
	return fake_dax_pages(d, fake_node(d, path));
}

/* SETUPMAPPINGs in the log (since the last clear) with/without WRITE. */
static int setups(struct virtio_fs *d, int write)
{
	int n = 0;

	for (int i = 0; i < fake_log_len(d); i++) {
		const struct fake_rec *r = fake_log(d, i);

		if (r->opcode == FUSE_SETUPMAPPING &&
		    (write < 0 || !!(r->flags & FUSE_SETUPMAPPING_FLAG_WRITE) == write))
			n++;
	}
	return n;
}

/* Ranges unmapped by REMOVEMAPPINGs in the log. */
static int unmapped(struct virtio_fs *d)
{
	int n = 0;

	for (int i = 0; i < fake_log_len(d); i++)
		if (fake_log(d, i)->opcode == FUSE_REMOVEMAPPING && fake_log(d, i)->error == 0)
			n += (int)fake_log(d, i)->flags;
	return n;
}

/* Whether a REMOVEMAPPING in the log names window offset moff: its index. */
static int removed_at(struct virtio_fs *d, uint64_t moff)
{
	for (int i = 0; i < fake_log_len(d); i++) {
		const struct fake_rec *r = fake_log(d, i);

		for (uint32_t k = 0; r->opcode == FUSE_REMOVEMAPPING && k < r->flags && k < 32; k++)
			if (r->moff[k] == moff)
				return i;
	}
	return -1;
}

static int log_index(struct virtio_fs *d, uint32_t op, int k)
{
	for (int i = 0; i < fake_log_len(d); i++)
		if (fake_log(d, i)->opcode == op && k-- == 0)
			return i;
	return -1;
}

/* A fresh shared va for a mapping of file offset off, as libc/sys_mem.c
 * picks one (same offset within 2 MiB); never reused. */
static uint64_t new_va(uint64_t len, uint64_t off)
{
	static uint64_t next;
	uint64_t base, size, va;

	base = fake_shared_va(&size);
	if (!next)
		next = base;
	va = ((next + R2 - 1) & ~(R2 - 1)) + (off & (R2 - 1));
	if (va + len > base + size)
		abort();
	next = va + len;
	return va;
}

static uint8_t *ptr(uint64_t a) { return (uint8_t *)(uintptr_t)a; }
static uint64_t page_up_(uint64_t x) { return (x + PGSZ - 1) & ~(PGSZ - 1); }

/* The pin count of the range holding foff of the file open as f, or -1. */
static int pins(struct virtio_fs *d, struct file *f, uint64_t foff)
{
	const struct dax_mgr *m = mgr(d);

	for (uint32_t i = 0; m && i < m->nranges; i++)
		if (m->ranges[i].owner == f->vn && m->ranges[i].fidx == foff / R2)
			return m->ranges[i].pins;
	return -1;
}

/* Hits on one range until the manager's thrashing signal (which spans
 * cases) has decayed; then the file is forgotten, freeing its range. */
static void calm(struct virtio_fs *d, const char *mnt)
{
	char path[64];
	uint8_t buf[64];
	struct file *f;

	if (!fake_node(d, "calm"))
		fake_add_file(d, "calm", "calm", 4);
	snprintf(path, sizeof path, "%s/calm", mnt);
	if (!(f = vh_open(path, O_RDONLY)))
		return;
	for (int i = 0; i < 100; i++)
		vfs_pread(f, buf, 4, 0);
	vfs_close(f);
	CHECK(!dax_thrashing(mgr(d)));
}

/* ---- The end of every case ----------------------------------------------------- */

static struct virtio_fs **dax_devs[] = { &dax8, &dax4, &big, &nosys };
static bool dax_left[4];        /* ranges may stay mapped: the kernel stopped using the window */

static void dax_settle(void)
{
	char what[160], seen[96];

	if (fake_vm_pages()) {
		snprintf(seen, sizeof seen, "%lu", (unsigned long)fake_vm_pages());
		CHECK_FAIL("no shared va page mapped after the case", seen);
	}
	for (int i = 0; i < 4; i++) {
		struct virtio_fs *d = *dax_devs[i];
		const struct dax_mgr *m = mgr(d);

		if (dax_left[i] || !m)
			continue;
		if (m->nfree != m->nranges || fake_dax_pages(d, 0)) {
			snprintf(what, sizeof what, "every range of %s free and unmapped after the case", d->tag);
			snprintf(seen, sizeof seen, "%u of %u free, %lu pages mapped on the host", m->nfree,
				 m->nranges, (unsigned long)fake_dax_pages(d, 0));
			CHECK_FAIL(what, seen);
			dax_left[i] = true;
		}
	}
}

#define DAX_CASE(name)                         \
	static void name##_body(void);         \
	static void name(void)                 \
	{                                      \
		name##_body();                 \
		vh_settle();                   \
		dax_settle();                  \
	}                                      \
	static void name##_body(void)

/* ---- The fake itself ------------------------------------------------------------ */

/* A raw REMOVEMAPPING of count entries carrying the first nsent of
 * {moffset, len} pairs. */
static int raw_unmap(uint32_t count, const struct fuse_removemapping_one *one, unsigned nsent)
{
	struct fuse_removemapping_in in = { .count = count };
	struct fuse_req r = { .opcode = FUSE_REMOVEMAPPING, .toff = -1, .tlen = -1 };

	r.in[r.nin++] = (struct fuse_arg){ &in, sizeof(in) };
	if (nsent)
		r.in[r.nin++] = (struct fuse_arg){ one, (uint32_t)(nsent * sizeof(one[0])) };
	return fuse_request(virtiofs_conn(vh_dev(dax8)->m), &r);
}

/* A raw SETUPMAPPING (fh -1). */
static int raw_setup(uint64_t nodeid, uint64_t foff, uint64_t len, uint64_t moff, uint64_t flags)
{
	struct fuse_setupmapping_in in = { .fh = UINT64_MAX, .foffset = foff, .len = len, .moffset = moff,
					   .flags = flags };
	struct fuse_req r = { .opcode = FUSE_SETUPMAPPING, .nodeid = nodeid, .toff = -1, .tlen = -1 };

	r.in[r.nin++] = (struct fuse_arg){ &in, sizeof(in) };
	return fuse_request(virtiofs_conn(vh_dev(dax8)->m), &r);
}

/* Run fn in a child process: its exit status (as waitpid says), and what it
 * wrote on stderr in msg. */
static int in_child(void (*fn)(void *), void *arg, char *msg, size_t n)
{
	int fds[2], st = 0;
	size_t got = 0;
	ssize_t k;
	pid_t pid;

	if (pipe(fds))
		abort();
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	while (got + 1 < n && (k = read(fds[0], msg + got, n - 1 - got)) > 0)
		got += (size_t)k;
	msg[got] = 0;
	close(fds[0]);
	waitpid(pid, &st, 0);
	return st;
}

static void touch_unmapped(void *arg)
{
	volatile uint8_t *w = fake_dax_window(dax8, NULL);

	(void)arg;
	(void)w[3 * R2 + 5];
}

/* Child: map the 5000-byte file read-only, check a byte, then touch the
 * page past its end (arg 0) or store into it (arg 1). */
static void touch_mapped(void *arg)
{
	volatile uint8_t *w = (uint8_t *)fake_dax_window(dax8, NULL) + 3 * R2;

	if (raw_setup(fake_node(dax8, "traps"), 0, R2, 3 * R2, FUSE_SETUPMAPPING_FLAG_READ) != 0)
		_exit(3);
	if (w[4999] != pat(7, 4999))
		_exit(4);
	if (arg)
		w[10] = 1;
	else
		(void)w[8192];
}

static void send_window_buffer(void *arg)
{
	struct fuse_in_header ih = { .len = sizeof(ih) + 64, .opcode = FUSE_GETATTR, .unique = 1u << 30 };
	struct fuse_out_header oh;
	struct virtq_buf bufs[3] = { { &ih, sizeof(ih) }, { arg, 64 }, { &oh, sizeof(oh) } };

	virtio_fs_request(dax8, bufs, 2, 1);
	_exit(5);
}

/* The fake has the host's teeth: a window page it has not mapped, a page
 * past the end of a mapped file, a store into a read-only mapping, and a
 * window or shared va address in a request each end the process, with a
 * message naming the page. The kernel can reach none of these; the other
 * cases rely on it. */
DAX_CASE(fake_window_traps)
{
	char msg[1024];
	struct file *f;
	uint64_t va = fake_shared_va(NULL);
	uint8_t *w = fake_dax_window(dax8, NULL), local[64];
	int st;

	host_file(dax8, "traps", 5000, 7);
	st = in_child(touch_unmapped, NULL, msg, sizeof msg);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	CHECK(strstr(msg, "DAX window offset 0x600005, which the host has not mapped") != NULL);

	if (!(f = vh_open("/dax/traps", O_RDONLY)))
		return;
	st = in_child(touch_mapped, (void *)0, msg, sizeof msg);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	CHECK(strstr(msg, "SIGBUS") && strstr(msg, "past the file's end"));
	st = in_child(touch_mapped, (void *)1, msg, sizeof msg);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	CHECK(strstr(msg, "a store into a read-only mapping") != NULL);

	st = in_child(send_window_buffer, w + 100, msg, sizeof msg);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	CHECK(strstr(msg, "lies in a DAX window or a shared file mapping") != NULL);
	st = in_child(send_window_buffer, ptr(va + 8192), msg, sizeof msg);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	CHECK(!virtio_fs_host_visible(w + 8 * MiB - 1, 1));
	CHECK(!virtio_fs_host_visible(w - 10, 11));
	CHECK(virtio_fs_host_visible(local, sizeof local));
	CHECK_EQ(0, vfs_close(f));
}

/* The fake checks mapping requests as virtiofsd and QEMU do: aligned,
 * inside the window, REMOVEMAPPING's count matching what it carries; each
 * bad one is EINVAL and a violation. A good pair maps and unmaps. */
DAX_CASE(fake_validates_mapping_requests)
{
	const uint64_t rd = FUSE_SETUPMAPPING_FLAG_READ;
	struct fuse_removemapping_one one[2] = { { 3 * R2, R2 }, { 9 * R2, R2 } };
	uint64_t id, node, foff;
	char msg[256];
	struct file *f;
	bool wr;

	host_file(dax8, "val", 3 * MiB, 9);
	if (!(f = vh_open("/dax/val", O_RDONLY)))
		return;
	id = fake_node(dax8, "val");
	CHECK_EQ(0, raw_setup(id, 2 * MiB, R2, 3 * R2, rd));
	CHECK(fake_dax_page(dax8, 3 * R2 + 4096, &node, &foff, &wr) && node == id &&
	      foff == 2 * MiB + 4096 && !wr);
	CHECK_EQ(R2 / PGSZ, fake_dax_pages(dax8, id));
	CHECK_EQ(0, raw_unmap(1, one, 1));
	CHECK_EQ(0, fake_dax_pages(dax8, 0));

	fake_violations_quiet(true);
	CHECK_EQ(-EINVAL, raw_setup(id, 0, R2, 3 * R2 + 512, rd));      /* unaligned */
	CHECK_EQ(-EINVAL, raw_setup(id, 100, R2, 0, rd));
	CHECK_EQ(-EINVAL, raw_setup(id, 0, 0, 0, rd));                  /* empty */
	CHECK_EQ(-EINVAL, raw_setup(id, 0, 2 * R2, 3 * R2, rd));        /* past the window */
	CHECK_EQ(-EINVAL, raw_setup(id, 0, R2, UINT64_MAX - R2 + 1, rd));
	CHECK_EQ(-EINVAL, raw_unmap(2, one, 1));                        /* count 2, one entry */
	CHECK_EQ(-EINVAL, raw_unmap(0, one, 0));
	CHECK_EQ(-EINVAL, raw_unmap(2, one, 2));                        /* the second outside */
	fake_violations_quiet(false);
	CHECK_EQ(8, fake_violations(msg, sizeof msg));
	CHECK(strstr(msg, "not aligned") != NULL);
	fake_violations_clear();
	CHECK_EQ(0, fake_dax_pages(dax8, 0));
	CHECK_EQ(0, vfs_close(f));
}

/* ---- Mounting -------------------------------------------------------------------- */

/* dax=auto uses a window, dax=always without one refuses the mount with
 * EINVAL, dax=never leaves the window alone, and a device without a window
 * mounts without DAX. */
DAX_CASE(mount_dax_modes)
{
	const char *con = fake_console();
	struct vfs_mapping *vm;
	uint8_t buf[100];
	struct file *f;

	CHECK(mgr(dax8) && mgr(dax8)->nranges == 4);
	CHECK(mgr(dax4) && mgr(dax4)->nranges == 2);
	CHECK(mgr(big) && mgr(big)->nranges == 512);
	CHECK(fake_dax_vm_mapped(dax8) && fake_dax_vm_mapped(big));
	CHECK(strstr(con, "vfs: dax8: DAX window 8 MiB at 0x") != NULL);
	CHECK(strstr(con, "vfs: big: DAX window 1024 MiB at 0x") != NULL);
	CHECK(strstr(con, "vfs: root: no DAX: the device has no DAX window") != NULL);
	CHECK(mgr(vh_root) == NULL);

	CHECK(vh_dev(always)->m == NULL);
	CHECK(strstr(con, "vfs: always: dax=always, but the device has no DAX window") != NULL);
	CHECK(strstr(con, "mount=always:/always:dax=always: cannot mount (-22)") != NULL);
	CHECK(fake_destroyed(always));

	if (!CHECK(vh_dev(never)->m != NULL))
		return;
	CHECK(mgr(never) == NULL);
	CHECK(!fake_dax_vm_mapped(never));
	host_file(never, "f", 100, 1);
	fake_log_clear(never);
	if (!(f = vh_open("/never/f", O_RDWR)))
		return;
	CHECK_EQ(100, vfs_pread(f, buf, sizeof buf, 0));
	CHECK_EQ(0, memcmp(buf, fake_data(never, "f", &(size_t){ 0 }), 100));
	CHECK_EQ(1, fake_log_count(never, FUSE_READ));
	CHECK_EQ(0, fake_log_count(never, FUSE_SETUPMAPPING));
	CHECK_EQ(-ENODEV, vfs_mmap(f, new_va(PGSZ, 0), PGSZ, 0, false, &vm));
	CHECK_EQ(0, vfs_close(f));
}

/* ---- Reading and writing through the window ------------------------------------------- */

/* A 20 MiB file through an 8 MiB window, in chunks that straddle ranges:
 * the bytes are right both ways, the window is recycled, and writes
 * inside the file change the host's file. Then two files interleaved. */
DAX_CASE(read_write_larger_than_window)
{
	size_t n = 20 * MiB;
	uint8_t *a = pattern(n, 11), *b = pattern(n, 12), *buf = malloc(n);
	struct file *f, *g;

	host_file(dax8, "big20", n, 11);
	host_file(dax8, "other", 5 * MiB + 3, 13);
	fake_log_clear(dax8);
	if (!(f = vh_open("/dax/big20", O_RDWR)) || !(g = vh_open("/dax/other", O_RDONLY)))
		goto out;
	CHECK_EQ(n, read_all(f, buf, n, 1234567));
	CHECK_EQ(fnv(a, n), fnv(buf, n));
	CHECK(setups(dax8, -1) >= 10);
	CHECK(unmapped(dax8) >= 6);
	CHECK(fake_dax_pages(dax8, 0) <= 4 * R2 / PGSZ);

	CHECK_EQ(n, write_all(f, b, n, 777777));
	host_is(dax8, "big20", b, n);
	CHECK_EQ(0, fake_log_count(dax8, FUSE_SETATTR));

	/* Interleaved: 64 KiB from each in turn, at unrelated offsets. */
	for (int i = 0; i < 40; i++) {
		uint64_t offa = ((uint64_t)i * 7919 * 4096) % (n - 65536), offb = ((uint64_t)i * 104729) % (5 * MiB);
		uint8_t want[65536];

		CHECK_EQ(65536, vfs_pread(f, buf, 65536, (off_t)offa));
		if (!CHECK_EQ(0, memcmp(buf, b + offa, 65536)))
			break;
		CHECK_EQ(65536, vfs_pread(g, buf, 65536, (off_t)offb));
		fill(want, 65536, 13, offb);
		if (!CHECK_EQ(0, memcmp(buf, want, 65536)))
			break;
	}
	CHECK_EQ(0, vfs_close(g));
	CHECK_EQ(0, vfs_close(f));
out:
	free(a);
	free(b);
	free(buf);
}

/* A 1 GiB window holds a 70 MiB file whole: 35 SETUPMAPPINGs, none
 * undone until the file is forgotten, then 35 ranges unmapped in batches
 * of at most 32. */
DAX_CASE(big_window_holds_the_file)
{
	size_t n = 70 * MiB;
	uint8_t *a = pattern(n, 21), *buf = malloc(n);
	struct file *f;
	int removes = 0;

	host_file(big, "f70", n, 21);
	fake_log_clear(big);
	if (!(f = vh_open("/big/f70", O_RDWR)))
		goto out;
	CHECK_EQ(n, read_all(f, buf, n, 3 * MiB + 12345));
	CHECK_EQ(0, memcmp(a, buf, n));
	CHECK_EQ(35, setups(big, 0));
	CHECK_EQ(0, fake_log_count(big, FUSE_REMOVEMAPPING));
	CHECK_EQ(0, fake_log_count(big, FUSE_READ));
	CHECK_EQ(35 * R2 / PGSZ, host_pages(big, "f70"));
	fill(buf, n, 22, 0);
	CHECK_EQ(n, write_all(f, buf, n, 8 * MiB));
	host_is(big, "f70", buf, n);
	CHECK_EQ(35, setups(big, 1));           /* each range upgraded once */
	CHECK_EQ(0, fake_log_count(big, FUSE_WRITE));
	fake_log_clear(big);
	CHECK_EQ(0, vfs_close(f));
	for (int i = 0; i < fake_log_len(big); i++) {
		const struct fake_rec *r = fake_log(big, i);

		if (r->opcode != FUSE_REMOVEMAPPING)
			continue;
		removes++;
		CHECK(r->flags >= 1 && r->flags <= 32);
		CHECK_EQ(R2, r->len);
	}
	CHECK_EQ(2, removes);
	CHECK_EQ(35, unmapped(big));
	CHECK_EQ(0, host_pages(big, "f70"));
out:
	free(a);
	free(buf);
}

/* A 4 MiB window (two ranges) under random reads over 32 MiB: the manager
 * notices the thrashing and sends misses through FUSE_READ (the bypass
 * count rises); every byte is still right, and so are random writes. Once
 * the pattern stays inside one range, the window serves it again. */
DAX_CASE(thrashing_small_window)
{
	size_t n = 32 * MiB;
	uint8_t *want = pattern(n, 31), buf[8192];
	const struct dax_mgr *m = mgr(dax4);
	uint64_t x = 12345, bypass0 = m->st.bypasses;
	struct file *f;

	host_file(dax4, "t", n, 31);
	fake_log_clear(dax4);
	if (!(f = vh_open("/dax4/t", O_RDWR)))
		goto out;
	for (int i = 0; i < 600; i++) {
		uint64_t off;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		off = (x >> 20) % (n - sizeof buf);
		if (i % 5 == 4) {
			fill(buf, 3000, 32, off);
			CHECK_EQ(3000, vfs_pwrite(f, buf, 3000, (off_t)off));
			memcpy(want + off, buf, 3000);
			continue;
		}
		if (!CHECK_EQ(sizeof buf, vfs_pread(f, buf, sizeof buf, (off_t)off)) ||
		    !CHECK_EQ(0, memcmp(buf, want + off, sizeof buf)))
			break;
	}
	if (!CHECK(dax_thrashing(m)) || !CHECK(m->st.bypasses - bypass0 >= 300) ||
	    !CHECK(fake_log_count(dax4, FUSE_READ) >= 300) || !CHECK(fake_log_count(dax4, FUSE_WRITE) >= 60) ||
	    !CHECK(setups(dax4, -1) < 100))
		fprintf(stderr, "    dax4 after random I/O: %lu maps, %lu hits, %lu bypasses, %lu inline "
			"reclaims, %d READs, %d WRITEs\n", (unsigned long)m->st.maps, (unsigned long)m->st.hits,
			(unsigned long)m->st.bypasses, (unsigned long)m->st.inline_reclaims,
			fake_log_count(dax4, FUSE_READ), fake_log_count(dax4, FUSE_WRITE));
	host_is(dax4, "t", want, n);

	/* Local reads: after a probe maps the range, hits decay the signal. */
	for (int i = 0; i < 200; i++)
		if (!CHECK_EQ(4096, vfs_pread(f, buf, 4096, (off_t)(5 * MiB + (uint64_t)(i % 64) * 4096))))
			break;
	CHECK(!dax_thrashing(m));
	fake_log_clear(dax4);
	for (int i = 0; i < 32; i++)
		CHECK_EQ(4096, vfs_pread(f, buf, 4096, (off_t)(5 * MiB + (uint64_t)i * 4096)));
	CHECK_EQ(0, memcmp(buf, want + 5 * MiB + 31 * 4096, 4096));
	CHECK_EQ(0, fake_log_count(dax4, FUSE_READ));
	CHECK_EQ(0, vfs_close(f));
out:
	free(want);
}

/* A range first mapped read-only is mapped again read-write, at the same
 * window offset, on the first write into it; later writes need nothing. */
DAX_CASE(read_only_range_upgraded_on_first_write)
{
	uint8_t *want = pattern(3 * MiB, 41), buf[4096];
	const struct dax_mgr *m = mgr(dax8);
	uint64_t up0 = m->st.upgrades, slot0, slot1, node, foff;
	const struct fake_rec *r;
	struct file *f;
	bool wr;

	host_file(dax8, "up", 3 * MiB, 41);
	if (!(f = vh_open("/dax/up", O_RDWR)))
		goto out;
	fake_log_clear(dax8);
	CHECK_EQ(4096, vfs_pread(f, buf, 4096, 0));
	CHECK_EQ(4096, vfs_pread(f, buf, 4096, (off_t)(2 * MiB + 4096)));
	CHECK_EQ(0, memcmp(buf, want + 2 * MiB + 4096, 4096));
	CHECK_EQ(2, setups(dax8, 0));
	CHECK_EQ(0, setups(dax8, 1));
	slot0 = slot_of(dax8, "up", 0);
	slot1 = slot_of(dax8, "up", 2 * MiB);
	CHECK(slot0 != UINT64_MAX && slot1 != UINT64_MAX);
	CHECK(fake_dax_page(dax8, slot0, &node, &foff, &wr) && !wr);

	fake_log_clear(dax8);
	memcpy(want + 100, "hello, window", 13);
	CHECK_EQ(13, vfs_pwrite(f, "hello, window", 13, 100));
	host_is(dax8, "up", want, 3 * MiB);
	if (CHECK_EQ(1, setups(dax8, 1)) && (r = fake_log_find(dax8, FUSE_SETUPMAPPING, 0))) {
		CHECK_EQ(FUSE_SETUPMAPPING_FLAG_READ | FUSE_SETUPMAPPING_FLAG_WRITE, r->flags);
		CHECK_EQ(slot0, r->moff[0]);
		CHECK_EQ(0, r->off);
		CHECK_EQ(R2, r->len);
		CHECK_EQ(UINT64_MAX, r->fh);
	}
	CHECK(fake_dax_page(dax8, slot0, &node, &foff, &wr) && wr);
	CHECK(fake_dax_page(dax8, slot1, &node, &foff, &wr) && !wr);
	CHECK_EQ(up0 + 1, m->st.upgrades);
	CHECK_EQ(0, fake_log_count(dax8, FUSE_WRITE));

	fake_log_clear(dax8);
	memcpy(want + 5000, "again", 5);
	CHECK_EQ(5, vfs_pwrite(f, "again", 5, 5000));
	CHECK_EQ(0, fake_log_count(dax8, FUSE_SETUPMAPPING));
	memcpy(want + 3 * MiB - 4, "end!", 4);
	CHECK_EQ(4, vfs_pwrite(f, "end!", 4, (off_t)(3 * MiB - 4)));
	CHECK_EQ(1, setups(dax8, 1));
	CHECK_EQ(slot1, fake_log_find(dax8, FUSE_SETUPMAPPING, 0)->moff[0]);
	host_is(dax8, "up", want, 3 * MiB);
	CHECK_EQ(0, vfs_close(f));
out:
	free(want);
}

/* Writes that extend the file go through FUSE_WRITE, which moves the
 * host's size; the window then serves the new bytes (and a hole's zeros). */
DAX_CASE(extending_writes_through_fuse_write)
{
	uint8_t *want = calloc(1, 6 * MiB), buf[8192];
	struct stat st;
	struct file *f, *a;

	fill(want, 100, 51, 0);
	fake_add_file(dax8, "ext", want, 100);
	if (!(f = vh_open("/dax/ext", O_RDWR)))
		goto out;
	CHECK_EQ(100, vfs_pread(f, buf, 4096, 0));      /* maps range 0 */
	fake_log_clear(dax8);

	fill(want + 100, 50, 52, 100);
	CHECK_EQ(50, vfs_pwrite(f, want + 100, 50, 100));
	CHECK_EQ(1, fake_log_count(dax8, FUSE_WRITE));
	CHECK_EQ(0, fake_log_count(dax8, FUSE_SETUPMAPPING));
	host_is(dax8, "ext", want, 150);
	CHECK_EQ(0, vfs_fstat(f, &st));
	CHECK_EQ(150, st.st_size);
	fake_log_clear(dax8);
	CHECK_EQ(150, vfs_pread(f, buf, sizeof buf, 0));
	CHECK_EQ(0, memcmp(buf, want, 150));
	CHECK_EQ(0, fake_log_count(dax8, FUSE_READ));

	/* Straddling the end: all of it through FUSE_WRITE. */
	fake_log_clear(dax8);
	fill(want + 120, 4000, 53, 120);
	CHECK_EQ(4000, vfs_pwrite(f, want + 120, 4000, 120));
	CHECK_EQ(1, fake_log_count(dax8, FUSE_WRITE));
	host_is(dax8, "ext", want, 4120);

	/* Far past the end: a hole, read back as zeros through the window. */
	fake_log_clear(dax8);
	fill(want + 5 * MiB, 3000, 54, 5 * MiB);
	CHECK_EQ(3000, vfs_pwrite(f, want + 5 * MiB, 3000, (off_t)(5 * MiB)));
	CHECK_EQ(1, fake_log_count(dax8, FUSE_WRITE));
	host_is(dax8, "ext", want, 5 * MiB + 3000);
	fake_log_clear(dax8);
	CHECK_EQ(8192, vfs_pread(f, buf, 8192, (off_t)(3 * MiB)));
	CHECK_EQ(0, memcmp(buf, want + 3 * MiB, 8192));
	CHECK_EQ(8000, vfs_pread(f, buf, 8000, (off_t)(5 * MiB - 5000)));
	CHECK_EQ(0, memcmp(buf, want + 5 * MiB - 5000, 8000));
	CHECK_EQ(0, fake_log_count(dax8, FUSE_READ));
	CHECK_EQ(0, fake_log_count(dax8, FUSE_GETATTR));

	/* O_APPEND, from another open file. */
	if ((a = vh_open("/dax/ext", O_WRONLY | O_APPEND))) {
		fill(want + 5 * MiB + 3000, 777, 55, 5 * MiB + 3000);
		CHECK_EQ(777, vfs_write(a, want + 5 * MiB + 3000, 777));
		CHECK_EQ(0, vfs_close(a));
	}
	host_is(dax8, "ext", want, 5 * MiB + 3777);
	CHECK_EQ(3777, vfs_pread(f, buf, sizeof buf, (off_t)(5 * MiB)));
	CHECK_EQ(0, memcmp(buf, want + 5 * MiB, 3777));
	CHECK_EQ(0, vfs_close(f));
out:
	free(want);
}

/* Reads at and past the end return what the file has and no more, and
 * never touch the window past it (the fake would die). */
DAX_CASE(reads_at_and_after_eof)
{
	uint8_t *want = pattern(2 * MiB, 61), *buf = malloc(3 * MiB);
	struct file *f, *g, *e;

	fake_add_file(dax8, "small", want, 5000);
	fake_add_file(dax8, "exact", want, 2 * MiB);
	fake_add_file(dax8, "empty", "", 0);
	if (!(f = vh_open("/dax/small", O_RDONLY)) || !(g = vh_open("/dax/exact", O_RDONLY)) ||
	    !(e = vh_open("/dax/empty", O_RDONLY)))
		goto out;
	fake_log_clear(dax8);
	CHECK_EQ(5000, vfs_pread(f, buf, 8192, 0));
	CHECK_EQ(0, memcmp(buf, want, 5000));
	CHECK_EQ(0, vfs_pread(f, buf, 8192, 5000));
	CHECK_EQ(0, vfs_pread(f, buf, 100, 6000));
	CHECK_EQ(0, vfs_pread(f, buf, 100, 8192));
	CHECK_EQ(0, vfs_pread(f, buf, 100, (off_t)(1ull << 40)));
	CHECK_EQ(904, vfs_pread(f, buf, 3 * MiB, 4096));
	CHECK_EQ(0, memcmp(buf, want + 4096, 904));
	CHECK_EQ(1, fake_log_count(dax8, FUSE_SETUPMAPPING));
	CHECK_EQ(0, fake_log_count(dax8, FUSE_READ));

	fake_log_clear(dax8);
	CHECK_EQ(2 * MiB, vfs_pread(g, buf, 3 * MiB, 0));
	CHECK_EQ(0, memcmp(buf, want, 2 * MiB));
	CHECK_EQ(0, vfs_pread(g, buf, 4096, (off_t)(2 * MiB)));
	CHECK_EQ(100, vfs_pread(g, buf, 4096, (off_t)(2 * MiB - 100)));
	CHECK_EQ(0, memcmp(buf, want + 2 * MiB - 100, 100));
	CHECK_EQ(1, fake_log_count(dax8, FUSE_SETUPMAPPING));
	CHECK_EQ(0, fake_log_find(dax8, FUSE_SETUPMAPPING, 0)->off);

	fake_log_clear(dax8);
	CHECK_EQ(0, vfs_pread(e, buf, 4096, 0));
	CHECK_EQ(0, fake_log_count(dax8, FUSE_SETUPMAPPING));
	CHECK_EQ(0, vfs_close(e));
	CHECK_EQ(0, vfs_close(g));
	CHECK_EQ(0, vfs_close(f));
out:
	free(want);
	free(buf);
}

/* Another host process appends to a file the guest has read: a read past
 * the size the guest knew asks GETATTR and sees the new bytes, in the range
 * already mapped and in a new one. Host changes inside the file show at
 * once. */
DAX_CASE(host_appends_behind_the_guests_back)
{
	uint8_t *want = pattern(4 * MiB, 71), *buf = malloc(4 * MiB);
	struct file *f;

	fake_add_file(dax8, "grow", want, MiB);
	if (!(f = vh_open("/dax/grow", O_RDONLY)))
		goto out;
	CHECK_EQ(MiB, read_all(f, buf, 4 * MiB, MiB));
	CHECK_EQ(0, memcmp(buf, want, MiB));
	fake_write(dax8, "grow", MiB, want + MiB, 2 * MiB + 5);
	fake_log_clear(dax8);
	CHECK_EQ(2 * MiB + 5, vfs_pread(f, buf, 4 * MiB, (off_t)MiB));
	CHECK_EQ(0, memcmp(buf, want + MiB, 2 * MiB + 5));
	CHECK(fake_log_count(dax8, FUSE_GETATTR) >= 1);
	CHECK_EQ(1, fake_log_count(dax8, FUSE_SETUPMAPPING));   /* range 1 only */
	CHECK_EQ(0, fake_log_count(dax8, FUSE_READ));

	fake_write(dax8, "grow", 10, "HOST", 4);
	memcpy(want + 10, "HOST", 4);
	fake_log_clear(dax8);
	CHECK_EQ(20, vfs_pread(f, buf, 20, 0));
	CHECK_EQ(0, memcmp(buf, want, 20));
	CHECK_EQ(0, fake_log_len(dax8));
	CHECK_EQ(0, vfs_close(f));
out:
	free(want);
	free(buf);
}

/* Truncation with ranges mapped: the ranges wholly past the new end are
 * unmapped before the SETATTR reaches the host, the range holding the end
 * stays; afterwards nothing past the end is touched. */
DAX_CASE(truncate_with_ranges_mapped)
{
	size_t n = 6 * MiB;             /* three of the four ranges: no reclaim */
	uint8_t *want = pattern(n, 81), *buf = malloc(n);
	struct vfs_attr a = { .valid = VFS_ATTR_SIZE };
	uint64_t s0, s1, s2;
	int set;
	struct file *f;

	host_file(dax8, "tr", n, 81);
	if (!(f = vh_open("/dax/tr", O_RDWR)))
		goto out;
	CHECK_EQ(n, read_all(f, buf, n, MiB));
	s0 = slot_of(dax8, "tr", 0);
	s1 = slot_of(dax8, "tr", 2 * MiB);
	s2 = slot_of(dax8, "tr", 4 * MiB);
	if (!CHECK(s0 != UINT64_MAX && s1 != UINT64_MAX && s2 != UINT64_MAX))
		goto close;

	fake_log_clear(dax8);
	a.size = (off_t)(3 * MiB + 100);
	CHECK_EQ(0, vfs_fsetattr(f, &a));
	set = log_index(dax8, FUSE_SETATTR, 0);
	CHECK(removed_at(dax8, s2) >= 0 && removed_at(dax8, s2) < set);
	CHECK(removed_at(dax8, s1) < 0 && removed_at(dax8, s0) < 0);
	CHECK_EQ(1, unmapped(dax8));
	CHECK_EQ(2 * R2 / PGSZ, host_pages(dax8, "tr"));
	host_is(dax8, "tr", want, 3 * MiB + 100);

	CHECK_EQ(3 * MiB + 100, read_all(f, buf, n, 999999));
	CHECK_EQ(0, memcmp(buf, want, 3 * MiB + 100));
	CHECK_EQ(0, vfs_pread(f, buf, 4096, (off_t)(3 * MiB + 100)));
	CHECK_EQ(0, vfs_pread(f, buf, 4096, (off_t)(3 * MiB + 8192)));
	memcpy(want + 3 * MiB, "tail", 4);
	CHECK_EQ(4, vfs_pwrite(f, "tail", 4, (off_t)(3 * MiB)));
	host_is(dax8, "tr", want, 3 * MiB + 100);

	/* By path (no handle), into range 0; then growing: zeros. */
	fake_log_clear(dax8);
	a.size = (off_t)MiB;
	CHECK_EQ(0, vfs_setattr(NULL, "/dax/tr", &a, 0));
	CHECK(removed_at(dax8, s1) >= 0 && removed_at(dax8, s1) < log_index(dax8, FUSE_SETATTR, 0));
	CHECK_EQ(MiB, read_all(f, buf, n, 3 * MiB));
	CHECK_EQ(0, memcmp(buf, want, MiB));
	a.size = (off_t)(5 * MiB);
	CHECK_EQ(0, vfs_fsetattr(f, &a));
	memset(want + MiB, 0, 4 * MiB);
	CHECK_EQ(5 * MiB, read_all(f, buf, n, 3 * MiB));
	CHECK_EQ(0, memcmp(buf, want, 5 * MiB));
	host_is(dax8, "tr", want, 5 * MiB);
close:
	CHECK_EQ(0, vfs_close(f));
out:
	free(want);
	free(buf);
}

/* open(O_TRUNC) of a file the guest holds open and has mapped: the server
 * truncates as part of OPEN (FUSE_ATOMIC_O_TRUNC). Before that, the
 * application's pages past the new end must lose their entries, and a read
 * through the other open file must then see an empty file, not the window
 * past the host's new end (QEMU's SIGBUS). Run last: when this breaks, the
 * process dies here. */
DAX_CASE(open_o_trunc_with_ranges_mapped)
{
	uint8_t *buf = malloc(3 * MiB);
	uint64_t va = new_va(3 * MiB, 0);
	struct vfs_mapping *vm = NULL;
	struct file *f, *t;
	size_t len = 1;

	host_file(dax8, "otrunc", 3 * MiB, 85);
	if (!(f = vh_open("/dax/otrunc", O_RDONLY)))
		goto out;
	CHECK_EQ(3 * MiB, read_all(f, buf, 3 * MiB, MiB));
	CHECK_EQ(0, vfs_mmap(f, va, 3 * MiB, 0, false, &vm));
	if ((t = vh_open("/dax/otrunc", O_WRONLY | O_TRUNC))) {
		fake_data(dax8, "otrunc", &len);
		CHECK_EQ(0, len);
		CHECK_EQ(0, fake_vm_pages());
		CHECK_EQ(0, vfs_pread(f, buf, 4096, 0));
		CHECK_EQ(0, vfs_pread(f, buf, 4096, (off_t)(2 * MiB + 8192)));
		CHECK_EQ(5, vfs_pwrite(t, "short", 5, 0));
		CHECK_EQ(5, vfs_pread(f, buf, 4096, 0));
		CHECK_EQ(0, memcmp(buf, "short", 5));
		CHECK_EQ(0, vfs_close(t));
	}
	if (vm)
		CHECK(vfs_munmap(vm, va, 3 * MiB));
	CHECK_EQ(0, vfs_close(f));
out:
	free(buf);
}

/* fallocate(COLLAPSE_RANGE) shortens the file on the host: afterwards the
 * window ranges and mapping pages past the new end are gone, and reads see
 * the shifted bytes and stop at the new end. */
DAX_CASE(collapse_range_shortens_the_window)
{
	size_t n = 5 * MiB;
	uint8_t *want = pattern(n, 87), *buf = malloc(n);
	uint64_t va = new_va(n, 0), s2, pa;
	struct vfs_mapping *vm = NULL;
	struct file *f;
	bool wr;

	host_file(dax8, "coll", n, 87);
	if (!(f = vh_open("/dax/coll", O_RDWR)))
		goto out;
	CHECK_EQ(n, read_all(f, buf, n, MiB));
	CHECK_EQ(0, vfs_mmap(f, va, n, 0, true, &vm));
	s2 = slot_of(dax8, "coll", 4 * MiB);
	fake_log_clear(dax8);
	CHECK_EQ(0, vfs_fallocate(f, 8 /* FALLOC_FL_COLLAPSE_RANGE */, (off_t)MiB, (off_t)(2 * MiB)));
	memmove(want + MiB, want + 3 * MiB, 2 * MiB);
	host_is(dax8, "coll", want, 3 * MiB);
	CHECK(removed_at(dax8, s2) >= 0);
	CHECK_EQ(3 * MiB / PGSZ, fake_vm_pages());
	CHECK(!fake_vm_translate(va + 3 * MiB, &pa, &wr));
	CHECK_EQ(3 * MiB, read_all(f, buf, n, MiB));
	CHECK_EQ(0, memcmp(buf, want, 3 * MiB));
	CHECK_EQ(0, vfs_pread(f, buf, 4096, (off_t)(3 * MiB)));
	CHECK_EQ(0, memcmp(ptr(va), want, 3 * MiB));
	if (vm)
		CHECK(vfs_munmap(vm, va, n));
	CHECK_EQ(0, vfs_close(f));
out:
	free(want);
	free(buf);
}

/* Closing the last reference forgets the node and unmaps its ranges. */
DAX_CASE(forget_unmaps_the_files_ranges)
{
	uint8_t *buf = malloc(5 * MiB);
	struct file *f;

	host_file(dax8, "fg", 5 * MiB, 91);
	if (!(f = vh_open("/dax/fg", O_RDONLY)))
		goto out;
	CHECK_EQ(5 * MiB, read_all(f, buf, 5 * MiB, 5 * MiB));
	CHECK_EQ(3 * R2 / PGSZ, host_pages(dax8, "fg"));
	CHECK_EQ(1, mgr(dax8)->nfree);
	fake_log_clear(dax8);
	CHECK_EQ(0, vfs_close(f));
	CHECK_EQ(0, host_pages(dax8, "fg"));
	CHECK_EQ(1, fake_log_count(dax8, FUSE_REMOVEMAPPING));
	CHECK_EQ(3, unmapped(dax8));
	CHECK_EQ(4, mgr(dax8)->nfree);
out:
	free(buf);
}

/* ---- Shared mappings ------------------------------------------------------------- */

/* mmap(MAP_SHARED, PROT_WRITE) of a 3 MiB + 100 file: the pages holding
 * file data get entries (to the window pages holding those file offsets),
 * the pages past the end none; stores through them are the host file's,
 * the host's writes are seen through them; munmap of part releases the
 * ranges no page uses any more, munmap of the rest frees the mapping. */
DAX_CASE(shared_mapping_stores_and_host_changes)
{
	size_t n = 3 * MiB + 100;
	uint8_t *want = pattern(n, 101), *win = fake_dax_window(dax8, NULL);
	uint64_t va = new_va(4 * MiB, 0), pa, node, foff, id;
	struct vfs_mapping *vm;
	struct file *f;
	bool wr;

	host_file(dax8, "m", n, 101);
	id = fake_node(dax8, "m");
	if (!(f = vh_open("/dax/m", O_RDWR)))
		goto out;
	if (!CHECK_EQ(0, vfs_mmap(f, va, 4 * MiB, 0, true, &vm)))
		goto close;
	CHECK_EQ(page_up_(n) / PGSZ, fake_vm_pages());
	for (uint64_t off = 0; off < 4 * MiB; off += PGSZ) {
		bool mapped = fake_vm_translate(va + off, &pa, &wr);

		if (!CHECK_EQ(off < n, mapped))
			break;
		if (!mapped)
			continue;
		if (!CHECK(wr && pa >= (uintptr_t)win && pa < (uintptr_t)win + 8 * MiB) ||
		    !CHECK(fake_dax_page(dax8, pa - (uintptr_t)win, &node, &foff, &wr)) ||
		    !CHECK(node == id && foff == off && wr))
			break;
	}
	CHECK_EQ(1, pins(dax8, f, 0));
	CHECK_EQ(1, pins(dax8, f, 2 * MiB));
	CHECK_EQ(0, memcmp(ptr(va), want, n));

	/* The application's stores, through the entry and through the va. */
	CHECK(fake_vm_translate(va + 2 * MiB + 8, &pa, &wr));
	memcpy(ptr(pa), "via window", 10);
	memcpy(want + 2 * MiB + 8, "via window", 10);
	memcpy(ptr(va + 99), "via va", 6);
	memcpy(want + 99, "via va", 6);
	host_is(dax8, "m", want, n);
	/* The host's. */
	fake_write(dax8, "m", 3 * MiB, "host!", 5);
	memcpy(want + 3 * MiB, "host!", 5);
	CHECK_EQ(0, memcmp(ptr(va + 3 * MiB), "host!", 5));

	/* The first 2 MiB: range 0 unpinned, range 1 still pinned. */
	CHECK(!vfs_munmap(vm, va, 2 * MiB));
	CHECK(!fake_vm_translate(va, &pa, &wr) && !fake_vm_translate(va + 2 * MiB - PGSZ, &pa, &wr));
	CHECK(fake_vm_translate(va + 2 * MiB, &pa, &wr));
	CHECK_EQ(0, pins(dax8, f, 0));
	CHECK_EQ(1, pins(dax8, f, 2 * MiB));
	CHECK_EQ(page_up_(n - 2 * MiB) / PGSZ, fake_vm_pages());
	CHECK(vfs_munmap(vm, va, 4 * MiB));
	CHECK_EQ(0, fake_vm_pages());
	CHECK_EQ(0, pins(dax8, f, 2 * MiB));
	host_is(dax8, "m", want, n);
close:
	CHECK_EQ(0, vfs_close(f));
out:
	free(want);
}

/* A mapping at a file offset past the first range, and a read-only one. */
DAX_CASE(shared_mapping_offsets_and_read_only)
{
	uint8_t *want = pattern(6 * MiB, 111);
	uint64_t off = 2 * MiB + 8 * PGSZ, va = new_va(8 * MiB, off), rva = new_va(2 * MiB, 0), pa;
	struct vfs_mapping *vm, *rm;
	struct file *f, *r, *w;
	bool wr;

	host_file(dax8, "mo", 6 * MiB, 111);
	if (!(f = vh_open("/dax/mo", O_RDWR)) || !(r = vh_open("/dax/mo", O_RDONLY)) ||
	    !(w = vh_open("/dax/mo", O_WRONLY)))
		goto out;
	CHECK_EQ(-EACCES, vfs_mmap(r, rva, 2 * MiB, 0, true, &rm));
	CHECK_EQ(-EACCES, vfs_mmap(w, rva, 2 * MiB, 0, false, &rm));
	CHECK_EQ(0, fake_vm_pages());
	if (CHECK_EQ(0, vfs_mmap(f, va, MiB, (off_t)off, true, &vm))) {
		CHECK_EQ(MiB / PGSZ, fake_vm_pages());
		CHECK_EQ(0, memcmp(ptr(va), want + off, MiB));
		memcpy(ptr(va + 5), "mid", 3);
		memcpy(want + off + 5, "mid", 3);
		host_is(dax8, "mo", want, 6 * MiB);
		CHECK_EQ(-1, pins(dax8, f, 0));
		CHECK_EQ(1, pins(dax8, f, 2 * MiB));
		CHECK(vfs_munmap(vm, va, MiB));
	}
	if (CHECK_EQ(0, vfs_mmap(r, rva, 2 * MiB, 0, false, &rm))) {
		CHECK(fake_vm_translate(rva + 4096, &pa, &wr) && !wr);
		CHECK_EQ(0, memcmp(ptr(rva), want, 2 * MiB));
		/* A write through the file upgrades the range under it. */
		CHECK_EQ(6, vfs_pwrite(f, "upward", 6, 4096));
		memcpy(want + 4096, "upward", 6);
		CHECK_EQ(0, memcmp(ptr(rva + 4096), "upward", 6));
		host_is(dax8, "mo", want, 6 * MiB);
		CHECK(vfs_munmap(rm, rva, 2 * MiB));
	}
	/* Wholly past the end: no page at all. */
	if (CHECK_EQ(0, vfs_mmap(f, va + 2 * MiB, MiB, (off_t)(8 * MiB), true, &vm))) {
		CHECK_EQ(0, fake_vm_pages());
		CHECK(vfs_munmap(vm, va + 2 * MiB, MiB));
	}
	/* The size unknown and GETATTR failing: the error, nothing left. */
	fake_fail_next(dax8, FUSE_GETATTR, -EIO);
	CHECK_EQ(-EIO, vfs_mmap(f, va + 4 * MiB, 4 * MiB, (off_t)(6 * MiB), true, &vm));
	CHECK_EQ(0, vfs_close(w));
	CHECK_EQ(0, vfs_close(r));
	CHECK_EQ(0, vfs_close(f));
out:
	free(want);
}

/* munmap of a mapping in two halves: after the second nothing of it is
 * left, so it must be gone (sys_mem.c drops it when vfs_munmap says so),
 * its file reference dropped and every range unpinned. */
DAX_CASE(munmap_in_pieces_frees_the_mapping)
{
	uint64_t va = new_va(4 * MiB, 0);
	struct vfs_mapping *vm;
	struct file *f;
	bool gone;

	host_file(dax8, "halves", 4 * MiB, 121);
	if (!(f = vh_open("/dax/halves", O_RDWR)))
		return;
	if (!CHECK_EQ(0, vfs_mmap(f, va, 4 * MiB, 0, true, &vm))) {
		vfs_close(f);
		return;
	}
	CHECK_EQ(0, vfs_close(f));
	CHECK(!vfs_munmap(vm, va + 2 * MiB, 2 * MiB));
	gone = vfs_munmap(vm, va, 2 * MiB);
	CHECK(gone);
	CHECK_EQ(0, fake_vm_pages());
	if (!gone)      /* what the caller can still do: unmap it all again */
		CHECK(vfs_munmap(vm, va, 4 * MiB));
}

/* Truncation under a shared mapping: entries for pages past the new end go
 * (before the host drops the pages), the ones below stay and still work. */
DAX_CASE(truncate_under_a_shared_mapping)
{
	size_t n = 6 * MiB, cut = 2 * MiB + PGSZ + 10;
	uint8_t *want = pattern(n, 131);
	uint64_t va = new_va(n, 0), pa, s2;
	struct vfs_attr a = { .valid = VFS_ATTR_SIZE, .size = (off_t)cut };
	struct vfs_mapping *vm;
	struct file *f;
	bool wr;

	host_file(dax8, "mt", n, 131);
	if (!(f = vh_open("/dax/mt", O_RDWR)))
		goto out;
	if (!CHECK_EQ(0, vfs_mmap(f, va, n, 0, true, &vm)))
		goto close;
	CHECK_EQ(n / PGSZ, fake_vm_pages());
	s2 = slot_of(dax8, "mt", 4 * MiB);
	fake_log_clear(dax8);
	CHECK_EQ(0, vfs_fsetattr(f, &a));
	CHECK(removed_at(dax8, s2) >= 0 && removed_at(dax8, s2) < log_index(dax8, FUSE_SETATTR, 0));
	CHECK_EQ(page_up_(cut) / PGSZ, fake_vm_pages());
	CHECK(fake_vm_translate(va + cut - 1, &pa, &wr));
	CHECK(!fake_vm_translate(va + page_up_(cut), &pa, &wr));
	CHECK(!fake_vm_translate(va + 5 * MiB, &pa, &wr));
	CHECK_EQ(1, pins(dax8, f, 2 * MiB));
	CHECK_EQ(-1, pins(dax8, f, 4 * MiB));
	CHECK_EQ(0, memcmp(ptr(va), want, cut));
	memcpy(ptr(va + cut - 3), "END", 3);
	memcpy(want + cut - 3, "END", 3);
	host_is(dax8, "mt", want, cut);
	CHECK(vfs_munmap(vm, va, n));
close:
	CHECK_EQ(0, vfs_close(f));
out:
	free(want);
}

/* With every range pinned by mappings, another mapping fails with ENOMEM
 * and plain reads go through FUSE_READ (dax_get's EBUSY); once the
 * mappings go, reclaim takes their ranges. */
DAX_CASE(every_range_pinned)
{
	uint8_t *wa = pattern(4 * MiB, 141), *wb = pattern(3 * MiB, 142), buf[8192];
	const struct dax_mgr *m = mgr(dax4);
	uint64_t va = new_va(4 * MiB, 0), vb = new_va(3 * MiB, 0), busy0 = m->st.busy_fails, sa0, sa1;
	struct vfs_mapping *vm, *bm;
	struct file *a, *b;

	host_file(dax4, "pa", 4 * MiB, 141);
	host_file(dax4, "pb", 3 * MiB, 142);
	calm(dax4, "/dax4");
	if (!(a = vh_open("/dax4/pa", O_RDWR)) || !(b = vh_open("/dax4/pb", O_RDWR)))
		goto out;
	if (!CHECK_EQ(0, vfs_mmap(a, va, 4 * MiB, 0, false, &vm)))
		goto close;
	CHECK_EQ(0, m->nfree);
	CHECK_EQ(-ENOMEM, vfs_mmap(b, vb, MiB, 0, false, &bm));
	CHECK_EQ(4 * MiB / PGSZ, fake_vm_pages());
	fake_log_clear(dax4);
	CHECK_EQ(sizeof buf, vfs_pread(b, buf, sizeof buf, 5000));
	CHECK_EQ(0, memcmp(buf, wb + 5000, sizeof buf));
	memcpy(wb + 2 * MiB + 1, "busy", 4);
	CHECK_EQ(4, vfs_pwrite(b, "busy", 4, (off_t)(2 * MiB + 1)));
	host_is(dax4, "pb", wb, 3 * MiB);
	CHECK_EQ(1, fake_log_count(dax4, FUSE_READ));
	CHECK_EQ(1, fake_log_count(dax4, FUSE_WRITE));
	CHECK(m->st.busy_fails >= busy0 + 2);
	CHECK_EQ(sizeof buf, vfs_pread(a, buf, sizeof buf, (off_t)MiB));     /* pinned: a hit */
	CHECK_EQ(0, memcmp(buf, wa + MiB, sizeof buf));
	CHECK_EQ(1, fake_log_count(dax4, FUSE_READ));
	CHECK_EQ(0, fake_log_count(dax4, FUSE_SETUPMAPPING));

	/* Half of a's mapping goes: its range is reclaimed for b, the other
	 * stays pinned. */
	sa0 = slot_of(dax4, "pa", 0);
	sa1 = slot_of(dax4, "pa", 2 * MiB);
	CHECK(!vfs_munmap(vm, va, 2 * MiB));
	CHECK_EQ(0, pins(dax4, a, 0));
	CHECK_EQ(1, pins(dax4, a, 2 * MiB));
	fake_log_clear(dax4);
	CHECK_EQ(sizeof buf, vfs_pread(b, buf, sizeof buf, 5000));
	CHECK_EQ(0, memcmp(buf, wb + 5000, sizeof buf));
	CHECK_EQ(0, fake_log_count(dax4, FUSE_READ));
	if (CHECK_EQ(1, fake_log_count(dax4, FUSE_SETUPMAPPING)))
		CHECK_EQ(sa0, fake_log_find(dax4, FUSE_SETUPMAPPING, 0)->moff[0]);
	CHECK(removed_at(dax4, sa0) >= 0 && removed_at(dax4, sa0) < log_index(dax4, FUSE_SETUPMAPPING, 0));
	CHECK(removed_at(dax4, sa1) < 0);
	CHECK_EQ(-ENOMEM, vfs_mmap(b, vb, 3 * MiB, 0, false, &bm));  /* needs both */
	CHECK_EQ(0, memcmp(ptr(va + 2 * MiB), wa + 2 * MiB, 2 * MiB));

	CHECK(vfs_munmap(vm, va, 4 * MiB));
	CHECK_EQ(0, pins(dax4, a, 2 * MiB));
	if (CHECK_EQ(0, vfs_mmap(b, vb, MiB, 0, false, &bm)))
		CHECK(vfs_munmap(bm, vb, MiB));
close:
	CHECK_EQ(0, vfs_close(b));
	CHECK_EQ(0, vfs_close(a));
out:
	free(wa);
	free(wb);
}

/* ---- Bounce buffers ------------------------------------------------------------- */

/* Buffers the device cannot reach: a window address of another mapped
 * file, and a shared mapping's va. FUSE_READ/WRITE through them are
 * bounced (the fake aborts if one reaches it); window copies need none. */
DAX_CASE(window_and_shared_buffers_are_bounced)
{
	uint8_t *wx = pattern(2 * MiB, 151), *wr_ = pattern(20000, 152), *wy = pattern(MiB, 153);
	uint8_t *win = fake_dax_window(dax8, NULL), *p;
	uint64_t va = new_va(2 * MiB, 0), slot;
	struct vfs_mapping *vm;
	struct file *x, *r, *r2, *y;
	size_t len;

	host_file(dax8, "x", 2 * MiB, 151);
	host_file(dax8, "y", MiB, 153);
	fake_add_file(vh_root, "plain", wr_, 20000);
	fake_add_file(vh_root, "plain2", "", 0);
	if (!(x = vh_open("/dax/x", O_RDWR)) || !(r = vh_open("/plain", O_RDONLY)) ||
	    !(r2 = vh_open("/plain2", O_RDWR)) || !(y = vh_open("/dax/y", O_RDONLY)))
		goto out;
	CHECK_EQ(1, vfs_pwrite(x, wx, 1, 0));                   /* maps x's range read-write */
	slot = slot_of(dax8, "x", 0);
	if (!CHECK(slot != UINT64_MAX))
		goto close;
	p = win + slot;

	/* READ into the window (x's bytes), WRITE from it. */
	fake_log_clear(vh_root);
	CHECK_EQ(5000, vfs_pread(r, p + 4096, 5000, 0));
	memcpy(wx + 4096, wr_, 5000);
	host_is(dax8, "x", wx, 2 * MiB);
	CHECK_EQ(1, fake_log_count(vh_root, FUSE_READ));
	CHECK(fake_log_find(vh_root, FUSE_READ, 0)->data != p + 4096);
	CHECK_EQ(3000, vfs_pwrite(r2, p + 100, 3000, 0));
	host_is(vh_root, "plain2", wx + 100, 3000);

	/* Through a shared mapping of x: READ into it, and a window copy. */
	if (CHECK_EQ(0, vfs_mmap(x, va, 2 * MiB, 0, true, &vm))) {
		CHECK_EQ(300, vfs_pread(r, ptr(va + 100), 300, 1000));
		memcpy(wx + 100, wr_ + 1000, 300);
		fake_log_clear(dax8);
		CHECK_EQ(4096, vfs_pread(y, ptr(va + 8192), 4096, 0));
		memcpy(wx + 8192, wy, 4096);
		CHECK_EQ(0, fake_log_count(dax8, FUSE_READ));
		CHECK_EQ(4000, vfs_pwrite(r2, ptr(va + 8192), 4000, 0));
		host_is(dax8, "x", wx, 2 * MiB);
		CHECK_EQ(0, memcmp(fake_data(vh_root, "plain2", &len), wy, 4000));
		CHECK(vfs_munmap(vm, va, 2 * MiB));
	}
close:
	CHECK_EQ(0, vfs_close(y));
	CHECK_EQ(0, vfs_close(r2));
	CHECK_EQ(0, vfs_close(r));
	CHECK_EQ(0, vfs_close(x));
out:
	free(wx);
	free(wr_);
	free(wy);
}

/* ---- A server that will not, or cannot ------------------------------------------- */

/* SETUPMAPPING answered ENOSYS: the kernel says so once and stops using the
 * window; every byte goes through FUSE_READ/WRITE, and mmap is ENODEV. The
 * FUSE fallback bounces a shared-mapping buffer too. */
DAX_CASE(setupmapping_enosys_falls_back_for_good)
{
	uint8_t *want = pattern(3 * MiB, 161), *buf = malloc(3 * MiB);
	struct vfs_mapping *vm;
	struct file *f, *g;

	fake_enosys(nosys, FUSE_SETUPMAPPING, true);
	host_file(nosys, "a", 3 * MiB, 161);
	fake_add_file(nosys, "b", "", 0);
	fake_log_clear(nosys);
	if (!(f = vh_open("/nosys/a", O_RDWR)) || !(g = vh_open("/nosys/b", O_RDWR)))
		goto out;
	CHECK_EQ(3 * MiB, read_all(f, buf, 3 * MiB, MiB));
	CHECK_EQ(0, memcmp(buf, want, 3 * MiB));
	CHECK(strstr(fake_console(), "vfs: nosys: DAX off: the server does not support SETUPMAPPING") != NULL);
	memcpy(want + 10, "fallback", 8);
	CHECK_EQ(8, vfs_pwrite(f, "fallback", 8, 10));
	host_is(nosys, "a", want, 3 * MiB);
	CHECK_EQ(3 * MiB, write_all(g, want, 3 * MiB, MiB));
	host_is(nosys, "b", want, 3 * MiB);
	CHECK_EQ(3 * MiB, read_all(g, buf, 3 * MiB, 2 * MiB));
	CHECK_EQ(0, memcmp(buf, want, 3 * MiB));
	CHECK_EQ(1, fake_log_count(nosys, FUSE_SETUPMAPPING));
	CHECK_EQ(-ENODEV, vfs_mmap(f, new_va(PGSZ, 0), PGSZ, 0, false, &vm));
	CHECK_EQ(0, vfs_close(g));
	CHECK_EQ(0, vfs_close(f));
out:
	free(want);
	free(buf);
}

/* Malformed replies and errors to SETUPMAPPING: the access falls back to
 * FUSE (or the mmap fails with the error), the data are right, nothing
 * crashes, and the window keeps working. A failing GETATTR gives the
 * application EIO. */
DAX_CASE(setupmapping_errors_and_malformed_replies)
{
	static const enum fake_fault faults[] = {
		FAKE_FAULT_WRONG_UNIQUE, FAKE_FAULT_LEN_SHORT, FAKE_FAULT_LEN_LONG, FAKE_FAULT_SHORT_HEADER,
		FAKE_FAULT_ERROR_POSITIVE, FAKE_FAULT_ERROR_BELOW, FAKE_FAULT_ERROR_PAYLOAD,
		FAKE_FAULT_OVERSIZED,
	};
	size_t n = 7 * MiB;
	uint8_t *want = pattern(n, 171), buf[4096];
	struct vfs_mapping *vm;
	struct file *f;

	host_file(dax8, "bad", n, 171);
	if (!(f = vh_open("/dax/bad", O_RDWR)))
		goto out;
	for (unsigned i = 0; i < sizeof faults / sizeof faults[0] + 1; i++) {
		uint64_t off = (i % 4) * R2 + 777;

		/* Nothing mapped, so the access needs a SETUPMAPPING. */
		vfs_close(f);
		if (!(f = vh_open("/dax/bad", O_RDWR)))
			goto out;
		fake_log_clear(dax8);
		if (i < sizeof faults / sizeof faults[0])
			fake_fault_next(dax8, FUSE_SETUPMAPPING, faults[i]);
		else
			fake_fail_next(dax8, FUSE_SETUPMAPPING, -EIO);
		if (!CHECK_EQ(sizeof buf, vfs_pread(f, buf, sizeof buf, (off_t)off)) ||
		    !CHECK_EQ(0, memcmp(buf, want + off, sizeof buf)))
			fprintf(stderr, "    with fault %s\n", fake_fault_name(faults[i]));
		CHECK_EQ(1, fake_log_count(dax8, FUSE_SETUPMAPPING));
		CHECK_EQ(1, fake_log_count(dax8, FUSE_READ));
		/* And the window still works. */
		CHECK_EQ(sizeof buf, vfs_pread(f, buf, sizeof buf, (off_t)off));
		CHECK_EQ(0, memcmp(buf, want + off, sizeof buf));
		CHECK_EQ(2, fake_log_count(dax8, FUSE_SETUPMAPPING));
		CHECK_EQ(1, fake_log_count(dax8, FUSE_READ));
	}
	/* An upgrade refused: the write goes through FUSE_WRITE. */
	fake_log_clear(dax8);
	fake_fail_next(dax8, FUSE_SETUPMAPPING, -EIO);
	memcpy(want + 1000, "upgrade", 7);
	CHECK_EQ(7, vfs_pwrite(f, "upgrade", 7, 1000));
	CHECK_EQ(1, fake_log_count(dax8, FUSE_WRITE));
	host_is(dax8, "bad", want, n);
	/* An mmap whose SETUPMAPPING fails. */
	fake_fail_next(dax8, FUSE_SETUPMAPPING, -EIO);
	CHECK_EQ(-EIO, vfs_mmap(f, new_va(4 * MiB, 4 * MiB), 4 * MiB, (off_t)(4 * MiB), false, &vm));
	CHECK_EQ(0, fake_vm_pages());
	/* GETATTR failing or malformed when a read reaches past the known size. */
	fake_write(dax8, "bad", n, "more", 4);
	fake_fail_next(dax8, FUSE_GETATTR, -EIO);
	CHECK_EQ(-EIO, vfs_pread(f, buf, 100, (off_t)n));
	fake_fault_next(dax8, FUSE_GETATTR, FAKE_FAULT_LEN_SHORT);
	CHECK_EQ(-EIO, vfs_pread(f, buf, 100, (off_t)n));
	CHECK_EQ(4, vfs_pread(f, buf, 100, (off_t)n));
	CHECK_EQ(0, memcmp(buf, "more", 4));
	CHECK(strstr(fake_console(), "dax8: DAX off") == NULL);
	CHECK_EQ(0, vfs_close(f));
out:
	free(want);
}

/* From the log: SETUPMAPPINGs of a window slot that held another file
 * range the host had not unmapped (a successful REMOVEMAPPING). An
 * upgrade (the same node and offset again) is not one. */
static int slots_reused_while_mapped(struct virtio_fs *d)
{
	struct { uint64_t node, foff; bool mapped; } slot[8] = { { 0 } };
	int bad = 0;

	for (int i = 0; i < fake_log_len(d); i++) {
		const struct fake_rec *r = fake_log(d, i);

		if (r->error)
			continue;
		if (r->opcode == FUSE_SETUPMAPPING && r->moff[0] / R2 < 8) {
			uint64_t k = r->moff[0] / R2;

			if (slot[k].mapped && (slot[k].node != r->nodeid || slot[k].foff != r->off)) {
				fprintf(stderr, "    log %d: SETUPMAPPING of node %lu at %#lx over node %lu's range "
					"at %#lx, never unmapped\n", i, (unsigned long)r->nodeid,
					(unsigned long)r->off, (unsigned long)slot[k].node, (unsigned long)slot[k].foff);
				bad++;
			}
			slot[k].node = r->nodeid;
			slot[k].foff = r->off;
			slot[k].mapped = true;
		}
		for (uint32_t k = 0; r->opcode == FUSE_REMOVEMAPPING && k < r->flags && k < 32; k++)
			if (r->moff[k] / R2 < 8)
				slot[r->moff[k] / R2].mapped = false;
	}
	return bad;
}

/* REMOVEMAPPING failing: the ranges stay mapped and the slots are not
 * reused until an unmap succeeds; accesses fall back to FUSE meanwhile.
 * When forgetting a file cannot unmap its ranges, the kernel stops using
 * the window ("DAX off") and never maps a slot again. (Last on dax4: the
 * window stays off.) */
DAX_CASE(removemapping_fails_dax_off)
{
	uint8_t *wa = pattern(4 * MiB, 181), *wb = pattern(2 * MiB, 182), *buf = malloc(4 * MiB);
	const struct dax_mgr *m = mgr(dax4);
	uint64_t sa0, sa1, node, foff;
	struct vfs_mapping *vm;
	struct file *a, *b;
	bool wr;

	host_file(dax4, "ra", 4 * MiB, 181);
	host_file(dax4, "rb", 2 * MiB, 182);
	calm(dax4, "/dax4");
	if (!(a = vh_open("/dax4/ra", O_RDONLY)) || !(b = vh_open("/dax4/rb", O_RDONLY)))
		goto out;
	fake_log_clear(dax4);
	/* Both of a's ranges fill the window. */
	CHECK_EQ(4 * MiB, vfs_pread(a, buf, 4 * MiB, 0));
	CHECK_EQ(0, memcmp(buf, wa, 4 * MiB));
	CHECK_EQ(0, m->nfree);
	sa0 = slot_of(dax4, "ra", 0);
	sa1 = slot_of(dax4, "ra", 2 * MiB);
	CHECK(sa0 != UINT64_MAX && sa1 != UINT64_MAX);
	/* b needs a slot: the inline reclaim's unmap fails, so b's read goes
	 * through FUSE_READ, and a's ranges stay mapped and in use. */
	fake_log_clear(dax4);
	fake_fail_next(dax4, FUSE_REMOVEMAPPING, -EIO);
	CHECK_EQ(4096, vfs_pread(b, buf, 4096, 100));
	CHECK_EQ(0, memcmp(buf, wb + 100, 4096));
	CHECK_EQ(1, fake_log_count(dax4, FUSE_REMOVEMAPPING));
	CHECK_EQ(0, fake_log_count(dax4, FUSE_SETUPMAPPING));
	CHECK_EQ(1, fake_log_count(dax4, FUSE_READ));
	CHECK_EQ(0, m->nfree);
	CHECK(fake_dax_page(dax4, sa0, &node, &foff, &wr) && node == fake_node(dax4, "ra"));
	CHECK(fake_dax_page(dax4, sa1, &node, &foff, &wr) && node == fake_node(dax4, "ra"));
	/* Unmaps work again: b gets a slot after a's range is unmapped. */
	CHECK_EQ(2 * MiB, read_all(b, buf, 2 * MiB, MiB));
	CHECK_EQ(0, memcmp(buf, wb, 2 * MiB));
	CHECK_EQ(0, slots_reused_while_mapped(dax4));
	CHECK_EQ(0, vfs_close(b));

	/* Forgetting a with its unmap failing: DAX off. */
	CHECK_EQ(4 * MiB, vfs_pread(a, buf, 4 * MiB, 0));
	CHECK_EQ(0, memcmp(buf, wa, 4 * MiB));
	fake_log_clear(dax4);
	fake_fail_next(dax4, FUSE_REMOVEMAPPING, -EIO);
	CHECK_EQ(0, vfs_close(a));
	CHECK_EQ(1, fake_log_count(dax4, FUSE_REMOVEMAPPING));
	CHECK(strstr(fake_console(), "vfs: dax4: DAX off: REMOVEMAPPING failed") != NULL);
	/* From now on: FUSE only, no slot mapped again. */
	if ((b = vh_open("/dax4/rb", O_RDWR))) {
		CHECK_EQ(2 * MiB, read_all(b, buf, 2 * MiB, MiB));
		CHECK_EQ(0, memcmp(buf, wb, 2 * MiB));
		CHECK_EQ(5, vfs_pwrite(b, "later", 5, 3));
		memcpy(wb + 3, "later", 5);
		host_is(dax4, "rb", wb, 2 * MiB);
		CHECK_EQ(-ENODEV, vfs_mmap(b, new_va(PGSZ, 0), PGSZ, 0, false, &vm));
		CHECK_EQ(0, vfs_close(b));
	}
	CHECK_EQ(0, fake_log_count(dax4, FUSE_SETUPMAPPING));
	CHECK(fake_log_count(dax4, FUSE_READ) >= 2);
	CHECK(fake_log_count(dax4, FUSE_WRITE) >= 1);
	dax_left[1] = true;
out:
	free(wa);
	free(wb);
	free(buf);
}

/* A malformed REMOVEMAPPING reply when a file is forgotten: the same as a
 * failure (DAX off), never a crash. (Last on big.) */
DAX_CASE(malformed_removemapping_reply)
{
	uint8_t *want = pattern(3 * MiB, 191), *buf = malloc(3 * MiB);
	struct file *f;

	host_file(big, "mr", 3 * MiB, 191);
	if (!(f = vh_open("/big/mr", O_RDWR)))
		goto out;
	CHECK_EQ(3 * MiB, read_all(f, buf, 3 * MiB, MiB));
	CHECK_EQ(0, memcmp(buf, want, 3 * MiB));
	fake_fault_next(big, FUSE_REMOVEMAPPING, FAKE_FAULT_LEN_LONG);
	CHECK_EQ(0, vfs_close(f));
	CHECK(strstr(fake_console(), "vfs: big: DAX off") != NULL);
	if ((f = vh_open("/big/mr", O_RDONLY))) {
		CHECK_EQ(3 * MiB, read_all(f, buf, 3 * MiB, MiB));
		CHECK_EQ(0, memcmp(buf, want, 3 * MiB));
		CHECK_EQ(0, vfs_close(f));
	}
	dax_left[2] = true;
out:
	free(want);
	free(buf);
}

int main(void)
{
	dax8 = vh_add_opts("dax8", "/dax", &(struct fake_opts){ .dax_window = 8 * MiB }, "dax=auto");
	dax4 = vh_add("dax4", "/dax4", &(struct fake_opts){ .dax_window = 4 * MiB });
	big = vh_add_opts("big", "/big", &(struct fake_opts){ .dax_window = 1024 * MiB }, "dax=always");
	nosys = vh_add("nosys", "/nosys", &(struct fake_opts){ .dax_window = 8 * MiB });
	always = vh_add_opts("always", "/always", NULL, "dax=always");
	never = vh_add_opts("never", "/never", &(struct fake_opts){ .dax_window = 8 * MiB }, "dax=never");
	vh_init();
	RUN(fake_window_traps);
	RUN(fake_validates_mapping_requests);
	RUN(mount_dax_modes);
	RUN(read_write_larger_than_window);
	RUN(big_window_holds_the_file);
	RUN(thrashing_small_window);
	RUN(read_only_range_upgraded_on_first_write);
	RUN(extending_writes_through_fuse_write);
	RUN(reads_at_and_after_eof);
	RUN(host_appends_behind_the_guests_back);
	RUN(truncate_with_ranges_mapped);
	RUN(forget_unmaps_the_files_ranges);
	RUN(collapse_range_shortens_the_window);
	RUN(shared_mapping_stores_and_host_changes);
	RUN(shared_mapping_offsets_and_read_only);
	RUN(truncate_under_a_shared_mapping);
	RUN(every_range_pinned);
	RUN(window_and_shared_buffers_are_bounced);
	RUN(setupmapping_enosys_falls_back_for_good);
	RUN(setupmapping_errors_and_malformed_replies);
	RUN(munmap_in_pieces_frees_the_mapping);
	RUN(removemapping_fails_dax_off);
	RUN(malformed_removemapping_reply);
	RUN(open_o_trunc_with_ranges_mapped);
	return CHECK_DONE();
}
