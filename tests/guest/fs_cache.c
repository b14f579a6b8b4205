/*
 * fs_cache: what each cache mode promises when the host changes files
 * while the guest runs (docs/vfs.md). One suite per mode, each booted by
 * its own scenario of tests/fs/run-tests with the guest and virtiofsd set
 * up as the suite says:
 *
 *   fs_cache_none      cache=none, virtiofsd none: every change seen at once
 *   fs_cache_auto      cache=auto, virtiofsd auto (1 s validity): never
 *                      stale across close/open; names and sizes after expiry
 *   fs_cache_always    cache=always, virtiofsd always: may stay stale (reads
 *                      give the old or the new bytes, never others); our own
 *                      writes reach the host at once
 *   fs_cache_wb        cache=auto writeback, virtiofsd auto -o writeback:
 *                      the host has the data after fsync and after close
 *   fs_cache_kill      the same; the harness kills QEMU after an fsync
 *   fs_cache_pressure  cache.size=4M: a 16 MiB file read twice, bounded
 *   fs_cache_rereads   trace=fuse: a cached re-read sends no READ
 *
 * The guest pauses with `fstest: PAUSE TAG` for the harness to change the
 * host tree. What a mode allows either way is recorded, not asserted:
 *   fstest: seen SUITE.CASE WHAT        (old, new, mixed, a size, an errno)
 * File contents are tests/guest/fstest.h patterns; a seed names a version.
 *
 *   tests/fs/run-tests 'cache-*' 'writeback*' pressure rereads
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fs/pcache.h"
#include "fs/vfs.h"
#include "fs/vnode.h"
#include "fs/virtiofs/fuse_conn.h"
#include "fs/virtiofs/virtiofs.h"
#include "kernel/clock.h"
#include "kernel/kprintf.h"
#include "kernel/selftest.h"
#include "tests/guest/check.h"
#include "tests/guest/fstest.h"

#define MAXF (64u << 10)        /* the small files here are at most this */

/* virtiofsd -o cache=auto gives entries and attributes 1 s; wait a bit more. */
#define VALIDITY_WAIT_NS 1200000000ull

static unsigned char rbuf[MAXF + 4096], wbuf[MAXF];

/* ---- helpers ---- */

static void seen(const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("fstest: seen %s.%s %s\n", check_.suite, check_.kase, msg);
}

/* Sleep in hlt (the 100 Hz tick wakes us) until ns have passed. */
static void wait_ns(uint64_t ns)
{
	uint64_t end = clock_monotonic_ns() + ns;

	while (clock_monotonic_ns() < end)
		__asm__ volatile("sti; hlt" ::: "memory");
}

/* All of f from offset 0 with pread (f's offset stays): count or -errno. */
static ssize_t pread_all(struct file *f, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n && (r = vfs_pread(f, (char *)buf + got, n - got, (off_t)got)) > 0)
		got += (size_t)r;
	return r < 0 ? r : (ssize_t)got;
}

/* Is buf[0, n) pattern seed over exactly len bytes? */
static bool is_pat(const unsigned char *buf, ssize_t n, unsigned seed, size_t len)
{
	if (n != (ssize_t)len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pat_byte(seed, i))
			return false;
	return true;
}

/* A read of a file the host changed from pattern (so, olen) to (sn, nlen):
 * "old", "new", "mixed" (every byte is the old or the new file's byte at
 * its offset: an old page next to a new one), or NULL (other bytes). */
static const char *classify(const unsigned char *buf, ssize_t n, unsigned so, size_t olen,
			    unsigned sn, size_t nlen)
{
	bool old = n == (ssize_t)olen, new = n == (ssize_t)nlen;

	if (n < 0 || (size_t)n > (olen > nlen ? olen : nlen))
		return NULL;
	for (size_t i = 0; i < (size_t)n; i++) {
		bool o = i < olen && buf[i] == pat_byte(so, i);
		bool w = i < nlen && buf[i] == pat_byte(sn, i);

		if (!o && !w)
			return NULL;
		old &= o;
		new &= w;
	}
	return old ? "old" : new ? "new" : "mixed";
}

/* The whole file at path must be pattern seed, len bytes. */
static void expect_file(const char *path, unsigned seed, size_t len)
{
	ssize_t n = fstest_read_file(path, rbuf, sizeof(rbuf));
	size_t i = 0;

	CHECK_THAT(n >= 0, "expected to read %s, saw %ld", path, (long)n);
	while (i < (size_t)n && i < len && rbuf[i] == pat_byte(seed, i))
		i++;
	CHECK_THAT(n == (ssize_t)len && i == len,
		   "expected %s: %zu bytes of pattern %u, saw %ld bytes, the first %zu of them right",
		   path, len, seed, (long)n, i);
}

static void expect_text(const char *path, const char *text)
{
	ssize_t n = fstest_read_file(path, rbuf, sizeof(rbuf) - 1);

	CHECK_THAT(n >= 0, "expected to read %s, saw %ld", path, (long)n);
	rbuf[n] = 0;
	CHECK_STR(text, (const char *)rbuf);
}

static void expect_size(const char *path, off_t size)
{
	struct stat st;

	CHECK_ERR(0, vfs_stat(NULL, path, &st, 0));
	CHECK_THAT(st.st_size == size, "expected stat %s size %ld, saw %ld", path, (long)size,
		   (long)st.st_size);
}

static void expect_gone(const char *path)
{
	struct stat st;
	struct file *f = NULL;
	int err;

	err = vfs_stat(NULL, path, &st, 0);
	CHECK_THAT(err == -ENOENT, "expected stat %s: -ENOENT, saw %d (size %ld)", path, err,
		   err ? 0L : (long)st.st_size);
	err = vfs_open(NULL, path, O_RDONLY, 0, &f);
	if (!err)
		vfs_close(f);
	CHECK_THAT(err == -ENOENT, "expected open %s: -ENOENT, saw %d", path, err);
}

/* stat's result for a seen line: "size N" or the errno. */
static const char *stat_word(const char *path, char *buf, size_t n)
{
	struct stat st;
	int err = vfs_stat(NULL, path, &st, 0);

	if (err)
		return check_fmt_result(buf, n, err);
	ksnprintf(buf, n, "size=%ld", (long)st.st_size);
	return buf;
}

static int write_pat(struct file *f, unsigned seed, off_t off, size_t len)
{
	ssize_t w;

	pat_fill(seed, (uint64_t)off, wbuf, len);
	w = vfs_pwrite(f, wbuf, len, off);
	return w < 0 ? (int)w : w == (ssize_t)len ? 0 : -EIO;
}

/* ======================================================================
 * cache=none: the harness changes the host at each pause; the very next
 * call sees it. /none/f: pattern 1, 10000 bytes -> pattern 2, 6000 (same
 * inode); /none/r -> /none/r2; /none/d deleted; /none/n created.
 */

static struct file *held;

static void none_prime(void)
{
	ssize_t n;

	CHECK_ERR(0, vfs_open(NULL, "/none/f", O_RDONLY, 0, &held));
	n = pread_all(held, rbuf, sizeof(rbuf));
	CHECK_THAT(is_pat(rbuf, n, 1, 10000), "expected /none/f: 10000 bytes of pattern 1, saw %ld", (long)n);
	CHECK_CALL(expect_size("/none/f", 10000));
}

static void case_none_content(void)
{
	struct stat st;
	ssize_t n;

	none_prime();
	fstest_pause("none_content");
	if (check_.case_failed || !held)
		return;
	CHECK_CALL(expect_size("/none/f", 6000));
	CHECK_ERR(0, vfs_fstat(held, &st));
	CHECK_INT(6000, st.st_size);
	n = pread_all(held, rbuf, sizeof(rbuf));
	CHECK_THAT(is_pat(rbuf, n, 2, 6000), "expected the open file to read 6000 bytes of pattern 2, "
		   "saw %ld bytes (%s)", (long)n, classify(rbuf, n, 1, 10000, 2, 6000) ?: "other");
	CHECK_CALL(expect_file("/none/f", 2, 6000));
}

static void case_none_close(void)
{
	CHECK_THAT(held, "expected /none/f open, saw it not");
	CHECK_ERR(0, vfs_close(held));
	held = NULL;
}

static void case_none_rename(void)
{
	struct stat st;

	CHECK_ERR_SOFT(0, vfs_stat(NULL, "/none/r", &st, 0));
	CHECK_ERR_SOFT(-ENOENT, vfs_stat(NULL, "/none/r2", &st, 0));
	fstest_pause("none_rename");
	if (check_.case_failed)
		return;
	CHECK_CALL(expect_gone("/none/r"));
	CHECK_CALL(expect_text("/none/r2", "rename me\n"));
}

static void case_none_delete(void)
{
	CHECK_CALL(expect_text("/none/d", "delete me\n"));
	fstest_pause("none_delete");
	CHECK_CALL(expect_gone("/none/d"));
}

static void case_none_create(void)
{
	struct stat st;

	CHECK_ERR_SOFT(-ENOENT, vfs_stat(NULL, "/none/n", &st, 0));
	fstest_pause("none_create");
	if (check_.case_failed)
		return;
	CHECK_CALL(expect_text("/none/n", "created\n"));
}

/* Nothing went through the page cache. */
static void case_none_no_pages(void)
{
	struct pcache_stats ps;

	pcache_stats(&ps);
	CHECK_INT(0, ps.pages);
	CHECK_INT(0, ps.hits + ps.misses);
}

static int run_none(const struct cmdline *cl)
{
	check_begin(cl, "fs_cache_none");
	CHECK_RUN(none_content);
	CHECK_RUN(none_close);
	CHECK_RUN(none_rename);
	CHECK_RUN(none_delete);
	CHECK_RUN(none_create);
	CHECK_RUN(none_no_pages);
	return check_end();
}
SELFTEST_SUITE("fs_cache_none", run_none);

/* ======================================================================
 * cache=auto (virtiofsd cache=auto: entries and attributes valid 1 s,
 * OPEN without KEEP_CACHE). Everything is primed, then one pause in which
 * the harness changes the host:
 *   /auto/f      held open: pattern 11, 10000 -> 12, 14000 (same inode)
 *   /auto/c2o    pattern 13, 8192 -> 14, 8192 (same size: only mtime tells)
 *   /auto/c2os   pattern 17, 3000 -> 18, 9000
 *   /auto/g      5000 bytes -> 7000 (appended)
 *   /auto/del    deleted
 *   /auto/ren    renamed to /auto/ren2
 *   /auto/rep    replaced by a rename over it (a new inode): 19 -> 20, 4000
 *   /auto/new    created
 *   /auto/mine   written by the guest (pattern 25, 6000) and read back
 *                before the pause; the host appends 1000 bytes of 'm'
 * Close-to-open must hold at once; names and sizes after the validity.
 */

static void auto_prime(void)
{
	struct stat st;
	struct file *w;
	ssize_t n;

	CHECK_ERR(0, vfs_open(NULL, "/auto/mine", O_CREAT | O_EXCL | O_WRONLY, 0644, &w));
	n = write_pat(w, 25, 0, 6000);
	CHECK_ERR(0, vfs_close(w));
	CHECK_ERR(0, n);
	CHECK_CALL(expect_file("/auto/mine", 25, 6000));

	CHECK_ERR(0, vfs_open(NULL, "/auto/f", O_RDONLY, 0, &held));
	n = pread_all(held, rbuf, sizeof(rbuf));
	CHECK_THAT(is_pat(rbuf, n, 11, 10000), "expected /auto/f: 10000 bytes of pattern 11, saw %ld", (long)n);
	CHECK_CALL(expect_file("/auto/c2o", 13, 8192));
	CHECK_CALL(expect_file("/auto/c2os", 17, 3000));
	CHECK_CALL(expect_file("/auto/rep", 19, 4000));
	CHECK_CALL(expect_size("/auto/g", 5000));
	CHECK_ERR(0, vfs_stat(NULL, "/auto/del", &st, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/auto/ren", &st, 0));
	CHECK_ERR(-ENOENT, vfs_stat(NULL, "/auto/new", &st, 0));
}

static void case_auto_prime(void)
{
	auto_prime();
	fstest_pause("auto_change");
}

/* Close-to-open: an open after the host's change sees it, however fresh
 * the cached attributes are. */
static void case_auto_close_to_open(void)
{
	CHECK_CALL(expect_file("/auto/c2os", 18, 9000));
}

static void case_auto_close_to_open_same_size(void)
{
	CHECK_CALL(expect_file("/auto/c2o", 14, 8192));
}

/* A file we wrote ourselves (its pages cached), then changed on the host. */
static void case_auto_close_to_open_own(void)
{
	ssize_t n = fstest_read_file("/auto/mine", rbuf, sizeof(rbuf));

	pat_fill(25, 0, wbuf, 6000);
	memset(wbuf + 6000, 'm', 1000);
	CHECK_INT(7000, n);
	CHECK_BYTES(wbuf, rbuf, 7000);
}

/* A file kept open may show old data: record what it shows. */
static void case_auto_open_reread(void)
{
	const char *what;
	ssize_t n;

	CHECK_THAT(held, "expected /auto/f open, saw it not");
	n = pread_all(held, rbuf, sizeof(rbuf));
	what = classify(rbuf, n, 11, 10000, 12, 14000);
	seen("%s %ld bytes", what ?: "garbage", (long)n);
	CHECK_THAT(what, "expected the open /auto/f to read the old or the new bytes, saw %ld bytes of other data",
		   (long)n);
}

static void case_auto_before_expiry(void)
{
	char a[24], b[24], c[24], d[24];

	seen("g %s del %s ren %s new %s", stat_word("/auto/g", a, sizeof(a)),
	     stat_word("/auto/del", b, sizeof(b)), stat_word("/auto/ren", c, sizeof(c)),
	     stat_word("/auto/new", d, sizeof(d)));
}

static void case_auto_wait_validity(void)
{
	uint64_t t0 = clock_monotonic_ns();

	wait_ns(VALIDITY_WAIT_NS);
	CHECK_THAT(clock_monotonic_ns() - t0 >= VALIDITY_WAIT_NS, "expected %llu ns to pass, saw %llu",
		   VALIDITY_WAIT_NS, (unsigned long long)(clock_monotonic_ns() - t0));
}

static void case_auto_stat_expired(void)
{
	struct stat st;

	CHECK_CALL(expect_size("/auto/g", 7000));
	CHECK_THAT(held, "expected /auto/f open, saw it not");
	CHECK_ERR(0, vfs_fstat(held, &st));
	CHECK_INT(14000, st.st_size);
}

static void case_auto_deleted_expired(void)
{
	CHECK_CALL(expect_gone("/auto/del"));
}

static void case_auto_renamed_expired(void)
{
	CHECK_CALL(expect_gone("/auto/ren"));
	CHECK_CALL(expect_text("/auto/ren2", "rename me\n"));
}

static void case_auto_replaced_expired(void)
{
	CHECK_CALL(expect_file("/auto/rep", 20, 4000));
}

static void case_auto_created_expired(void)
{
	CHECK_CALL(expect_text("/auto/new", "created\n"));
}

/* Still open after the expiry: old data is still allowed; after close and
 * reopen the new file. */
static void case_auto_held_reopen(void)
{
	const char *what;
	ssize_t n;

	CHECK_THAT(held, "expected /auto/f open, saw it not");
	n = pread_all(held, rbuf, sizeof(rbuf));
	what = classify(rbuf, n, 11, 10000, 12, 14000);
	seen("%s %ld bytes", what ?: "garbage", (long)n);
	CHECK_ERR(0, vfs_close(held));
	held = NULL;
	CHECK_THAT(what, "expected the open /auto/f to read the old or the new bytes, saw %ld bytes of other data",
		   (long)n);
	CHECK_CALL(expect_file("/auto/f", 12, 14000));
}

static int run_auto(const struct cmdline *cl)
{
	check_begin(cl, "fs_cache_auto");
	CHECK_RUN(auto_prime);
	CHECK_RUN(auto_close_to_open);
	CHECK_RUN(auto_close_to_open_same_size);
	CHECK_RUN(auto_close_to_open_own);
	CHECK_RUN(auto_open_reread);
	CHECK_RUN(auto_before_expiry);
	CHECK_RUN(auto_wait_validity);
	CHECK_RUN(auto_stat_expired);
	CHECK_RUN(auto_deleted_expired);
	CHECK_RUN(auto_renamed_expired);
	CHECK_RUN(auto_replaced_expired);
	CHECK_RUN(auto_created_expired);
	CHECK_RUN(auto_held_reopen);
	return check_end();
}
SELFTEST_SUITE("fs_cache_auto", run_auto);

/* ======================================================================
 * cache=always (virtiofsd cache=always: validity of a day, KEEP_CACHE):
 * staleness is allowed and recorded; reads give old or new bytes, never
 * others. The guest's own writes go to the host at once (no writeback).
 *   /always/f     pattern 21, 10000 -> 22, 6000 (same inode)
 *   /always/del   deleted on the host
 *   /always/mine  written by the guest
 */

static void always_prime(void)
{
	struct stat st;

	CHECK_CALL(expect_file("/always/f", 21, 10000));
	CHECK_CALL(expect_size("/always/f", 10000));
	CHECK_ERR(0, vfs_stat(NULL, "/always/del", &st, 0));
}

static void case_always_prime(void)
{
	always_prime();
	fstest_pause("always_change");
}

static void case_always_stale_read(void)
{
	char sz[24];
	const char *what;
	ssize_t n = fstest_read_file("/always/f", rbuf, sizeof(rbuf));

	what = classify(rbuf, n, 21, 10000, 22, 6000);
	seen("read %s %ld bytes, stat %s", what ?: "garbage", (long)n, stat_word("/always/f", sz, sizeof(sz)));
	CHECK_THAT(n >= 0, "expected reading /always/f to work, saw %ld", (long)n);
	CHECK_THAT(what, "expected /always/f to read the old or the new bytes, saw %ld bytes of other data",
		   (long)n);
}

static void case_always_stale_deleted(void)
{
	char sz[24];
	struct file *f;
	ssize_t n = 0;
	int err;

	stat_word("/always/del", sz, sizeof(sz));
	err = vfs_open(NULL, "/always/del", O_RDONLY, 0, &f);
	if (!err) {
		n = pread_all(f, rbuf, sizeof(rbuf) - 1);
		vfs_close(f);
	}
	seen("stat %s, open %d, read %ld", sz, err, (long)n);
	CHECK_THAT(err == 0 || err == -ENOENT || err == -ESTALE,
		   "expected open of a name deleted on the host: 0, -ENOENT or -ESTALE, saw %d", err);
	if (!err && n >= 0) {
		rbuf[n] = 0;
		CHECK_THAT(n == 0 || !strcmp((char *)rbuf, "delete me\n"),
			   "expected the deleted file's old bytes or none, saw %ld other bytes", (long)n);
	}
}

/* Written and not closed: the host has it already (checked at the pause). */
static void case_always_own_write(void)
{
	struct file *w, *r;
	ssize_t n;

	CHECK_ERR(0, vfs_open(NULL, "/always/mine", O_CREAT | O_TRUNC | O_WRONLY, 0644, &w));
	CHECK_ERR(0, write_pat(w, 23, 0, 3000));
	fstest_pause("always_own");
	CHECK_ERR(0, vfs_open(NULL, "/always/mine", O_RDONLY, 0, &r));
	n = pread_all(r, rbuf, sizeof(rbuf));
	vfs_close(r);
	vfs_close(w);
	CHECK_THAT(is_pat(rbuf, n, 23, 3000), "expected our 3000 bytes of pattern 23 back, saw %ld", (long)n);
}

/* Writing into a file whose cached pages may be stale: our own bytes read
 * back, and the host has them at once. */
static void case_always_own_overwrite(void)
{
	struct file *f;
	ssize_t n;

	CHECK_ERR(0, vfs_open(NULL, "/always/f", O_RDWR, 0, &f));
	CHECK_ERR(0, write_pat(f, 24, 100, 64));
	n = vfs_pread(f, rbuf, 64, 100);
	pat_fill(24, 100, wbuf, 64);
	fstest_pause("always_own2");
	vfs_close(f);
	CHECK_INT(64, n);
	CHECK_BYTES(wbuf, rbuf, 64);
}

static int run_always(const struct cmdline *cl)
{
	check_begin(cl, "fs_cache_always");
	CHECK_RUN(always_prime);
	CHECK_RUN(always_stale_read);
	CHECK_RUN(always_stale_deleted);
	CHECK_RUN(always_own_write);
	CHECK_RUN(always_own_overwrite);
	return check_end();
}
SELFTEST_SUITE("fs_cache_always", run_always);

/* ======================================================================
 * Writeback (cache=auto writeback; virtiofsd cache=auto -o writeback).
 * The harness looks at the host at each pause:
 *   wb_unsynced    /wb/f written (pattern 31, 40000), not synced: absent
 *                  or partly there is allowed, other bytes are not
 *   wb_synced      after fsync: all of it
 *   wb_unsynced2   /wb/f appended (pattern 34, 10000 at 40000) and the
 *                  host-made /wb/h (pattern 33, 20000) patched (pattern 32,
 *                  100 at 5000, a partial page read in first): either
 *   wb_closed      after close: both exactly
 * No stat, read or open of /wb/f between a write and its pause: each of
 * those sends dirty data first (the kernel's choice, docs/vfs.md). Also
 * /wb/s (stat of unsent data) and /wb/big (one 2 MiB write through a
 * 1 MiB page cache: cache.size=1M).
 */

static struct file *wbf, *wbh;

static void case_wb_unsynced(void)
{
	CHECK_ERR(0, vfs_open(NULL, "/wb/f", O_CREAT | O_EXCL | O_RDWR, 0644, &wbf));
	CHECK_ERR(0, write_pat(wbf, 31, 0, 40000));
	fstest_pause("wb_unsynced");
}

static void case_wb_synced(void)
{
	CHECK_THAT(wbf, "expected /wb/f open, saw it not");
	CHECK_ERR(0, vfs_fsync(wbf, false));
	fstest_pause("wb_synced");
}

static void case_wb_unsynced2(void)
{
	CHECK_THAT(wbf, "expected /wb/f open, saw it not");
	CHECK_ERR(0, vfs_open(NULL, "/wb/h", O_RDWR, 0, &wbh));
	CHECK_ERR(0, write_pat(wbh, 32, 5000, 100));
	CHECK_ERR(0, write_pat(wbf, 34, 40000, 10000));
	fstest_pause("wb_unsynced2");
}

/* Our own view: everything we wrote, whatever the host has. */
static void case_wb_readback(void)
{
	ssize_t n;

	CHECK_THAT(wbf && wbh, "expected /wb/f and /wb/h open, saw them not");
	n = pread_all(wbf, rbuf, sizeof(rbuf));
	CHECK_INT(50000, n);
	pat_fill(31, 0, wbuf, 40000);
	pat_fill(34, 40000, wbuf + 40000, 10000);
	CHECK_BYTES(wbuf, rbuf, 50000);
	n = pread_all(wbh, rbuf, sizeof(rbuf));
	CHECK_INT(20000, n);
	pat_fill(33, 0, wbuf, 20000);
	pat_fill(32, 5000, wbuf + 5000, 100);
	CHECK_BYTES(wbuf, rbuf, 20000);
}

/* stat tells the size with data not yet sent. */
static void case_wb_stat_size(void)
{
	struct file *f;
	struct stat st;

	CHECK_ERR(0, vfs_open(NULL, "/wb/s", O_CREAT | O_EXCL | O_WRONLY, 0644, &f));
	int w = write_pat(f, 35, 0, 12345), s = vfs_fstat(f, &st);

	CHECK_ERR(0, vfs_close(f));
	CHECK_ERR(0, w);
	CHECK_ERR(0, s);
	CHECK_INT(12345, st.st_size);
	CHECK_CALL(expect_size("/wb/s", 12345));
}

/* One write larger than the page cache's budget (the scenario boots with
 * cache.size=1M: 256 pages): the dirty pages must go out to make room,
 * not pile up past the budget. */
static void case_wb_budget(void)
{
	unsigned char *buf = fstest_buf();
	struct pcache_stats ps;
	struct file *f;
	ssize_t w;

	CHECK_THAT(buf, "expected a 2 MiB buffer, saw none");
	pat_fill(36, 0, buf, FSTEST_BUF_SIZE);
	CHECK_ERR(0, vfs_open(NULL, "/wb/big", O_CREAT | O_EXCL | O_WRONLY, 0644, &f));
	w = vfs_write(f, buf, FSTEST_BUF_SIZE);
	pcache_stats(&ps);
	kprintf("fstest: pcache wb_budget pages=%lu max_pages=%lu evictions=%lu writebacks=%lu\n",
		ps.pages, ps.max_pages, ps.evictions, ps.writebacks);
	CHECK_ERR(0, vfs_close(f));
	CHECK_INT(FSTEST_BUF_SIZE, w);
	CHECK_THAT(ps.pages <= ps.max_pages, "expected at most %lu pages cached after one %u-byte write, saw %lu",
		   ps.max_pages, FSTEST_BUF_SIZE, ps.pages);
}

static void case_wb_closed(void)
{
	int a = wbf ? vfs_close(wbf) : -EBADF, b = wbh ? vfs_close(wbh) : -EBADF;

	wbf = wbh = NULL;
	fstest_pause("wb_closed");
	CHECK_ERR(0, a);
	CHECK_ERR(0, b);
}

static int run_wb(const struct cmdline *cl)
{
	check_begin(cl, "fs_cache_wb");
	CHECK_RUN(wb_unsynced);
	CHECK_RUN(wb_synced);
	CHECK_RUN(wb_unsynced2);
	CHECK_RUN(wb_readback);
	CHECK_RUN(wb_stat_size);
	CHECK_RUN(wb_budget);
	CHECK_RUN(wb_closed);
	return check_end();
}
SELFTEST_SUITE("fs_cache_wb", run_wb);

/* ======================================================================
 * Writeback and a power cut: /kill/f gets A (pattern 41, 200000 bytes),
 * fsync, then B (pattern 42, 60000 bytes at 200000) without one; at
 * `PAUSE wb_kill` the harness kills QEMU. The host must have all of A.
 */

static struct file *killf;

static void case_kill_write_fsync(void)
{
	CHECK_ERR(0, vfs_open(NULL, "/kill/f", O_CREAT | O_EXCL | O_WRONLY, 0644, &killf));
	CHECK_ERR(0, write_pat(killf, 41, 0, 40000));
	for (off_t off = 40000; off < 200000; off += 40000)
		CHECK_ERR(0, write_pat(killf, 41, off, 40000));
	CHECK_ERR(0, vfs_fsync(killf, false));
}

static void case_kill_write_more(void)
{
	CHECK_THAT(killf, "expected /kill/f open, saw it not");
	CHECK_ERR(0, write_pat(killf, 42, 200000, 60000));
	fstest_pause("wb_kill");        /* never returns: QEMU is killed here */
	CHECK_THAT(false, "expected to be killed at the pause, saw the guest go on");
}

static int run_kill(const struct cmdline *cl)
{
	check_begin(cl, "fs_cache_kill");
	CHECK_RUN(kill_write_fsync);
	CHECK_RUN(kill_write_more);
	return check_end();
}
SELFTEST_SUITE("fs_cache_kill", run_kill);

/* ======================================================================
 * Memory pressure (cache.size=4M: 1024 pages): /pressure/big, 16 MiB,
 * read twice in 64 KiB calls and at scattered offsets; the page cache
 * never holds more than its budget, and the data is right each time
 *   fstest: sum /pressure/big SIZE HASH        (checked on the host)
 *   fstest: sumat /pressure/big OFF LEN HASH
 */

#define BIG_SIZE (16ull << 20)
#define BUDGET_PAGES 1024u      /* cache.size=4M, as the scenario boots it */

static uint64_t big_hash, most_pages;

static void stats_line(const char *when)
{
	struct pcache_stats ps;

	pcache_stats(&ps);
	kprintf("fstest: pcache %s pages=%lu max_pages=%lu hits=%lu misses=%lu evictions=%lu most=%lu\n",
		when, ps.pages, ps.max_pages, ps.hits, ps.misses, ps.evictions, most_pages);
}

static void read_big(uint64_t *size, uint64_t *hash)
{
	unsigned char *buf = fstest_buf();
	uint64_t h = FNV_INIT, total = 0;
	struct pcache_stats ps;
	struct file *f;
	ssize_t n;

	*size = *hash = 0;
	CHECK_ERR(0, vfs_open(NULL, "/pressure/big", O_RDONLY, 0, &f));
	while ((n = vfs_read(f, buf, 65536)) > 0) {
		h = fnv1a(h, buf, (size_t)n);
		total += (uint64_t)n;
		pcache_stats(&ps);
		if (ps.pages > most_pages)
			most_pages = ps.pages;
	}
	vfs_close(f);
	CHECK_OK(n);
	*size = total;
	*hash = h;
}

static void case_pressure_budget(void)
{
	struct pcache_stats ps;

	pcache_stats(&ps);
	CHECK_INT(BUDGET_PAGES, ps.max_pages);
}

static void case_pressure_first(void)
{
	struct pcache_stats ps;
	uint64_t size, t0 = clock_monotonic_ns();

	CHECK_CALL(read_big(&size, &big_hash));
	kprintf("fstest: sum /pressure/big %lu %016lx\n", size, big_hash);
	kprintf("fstest: pressure: first pass %lu ms\n", (clock_monotonic_ns() - t0) / 1000000);
	stats_line("first");
	pcache_stats(&ps);
	CHECK_INT(BIG_SIZE, size);
	CHECK_THAT(most_pages <= ps.max_pages, "expected at most %lu pages cached, saw %lu", ps.max_pages,
		   most_pages);
	CHECK_THAT(ps.evictions >= BIG_SIZE / PCACHE_PAGE - ps.max_pages,
		   "expected >= %llu evictions (a 16 MiB file through the budget), saw %lu",
		   BIG_SIZE / PCACHE_PAGE - ps.max_pages, ps.evictions);
}

static void case_pressure_second(void)
{
	struct pcache_stats ps;
	uint64_t size, hash, t0 = clock_monotonic_ns();

	CHECK_CALL(read_big(&size, &hash));
	kprintf("fstest: pressure: second pass %lu ms\n", (clock_monotonic_ns() - t0) / 1000000);
	stats_line("second");
	pcache_stats(&ps);
	CHECK_INT(BIG_SIZE, size);
	CHECK_THAT(hash == big_hash, "expected the second pass to hash %016lx as the first, saw %016lx",
		   big_hash, hash);
	CHECK_THAT(most_pages <= ps.max_pages, "expected at most %lu pages cached, saw %lu", ps.max_pages,
		   most_pages);
}

static void case_pressure_scattered(void)
{
	static const int64_t offs[] = { 15 << 20, 1234567, 0, 8 << 20, (16 << 20) - 5000, 4095, 12345678,
					1234567 + 65536 };
	unsigned char *buf = fstest_buf();
	struct pcache_stats ps;
	struct file *f;

	CHECK_ERR(0, vfs_open(NULL, "/pressure/big", O_RDONLY, 0, &f));
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		ssize_t n = vfs_pread(f, buf, 100000, offs[i]);

		if (n < 0) {
			vfs_close(f);
			CHECK_OK(n);
		}
		kprintf("fstest: sumat /pressure/big %ld %ld %016lx\n", offs[i], n, fnv1a(FNV_INIT, buf, (size_t)n));
		pcache_stats(&ps);
		if (ps.pages > most_pages)
			most_pages = ps.pages;
	}
	vfs_close(f);
	stats_line("scattered");
	CHECK_THAT(most_pages <= ps.max_pages, "expected at most %lu pages cached, saw %lu", ps.max_pages,
		   most_pages);
}

static int run_pressure(const struct cmdline *cl)
{
	check_begin(cl, "fs_cache_pressure");
	CHECK_RUN(pressure_budget);
	CHECK_RUN(pressure_first);
	CHECK_RUN(pressure_second);
	CHECK_RUN(pressure_scattered);
	return check_end();
}
SELFTEST_SUITE("fs_cache_pressure", run_pressure);

/* ======================================================================
 * Cached re-reads (trace=fuse): /rereads/f (pattern 51, 256 KiB) read
 * whole, closed, and read again, between markers the harness counts READ
 * requests in:
 *   fstest: trace begin NAME ... fstest: trace end NAME
 * first: READs; second: none; third (after the validity expired, so the
 * open revalidates): none either, the file being unchanged.
 */

#define REREAD_SIZE (256u << 10)

static uint64_t reread_want;

static void reread(const char *name)
{
	uint64_t size, hash;

	fuse_forget_flush(virtiofs_conn(vfs_root_mount()));     /* none inside a section */
	kprintf("fstest: trace begin %s\n", name);
	CHECK_ERR(0, fstest_hash_file("/rereads/f", fstest_buf(), 65536, &size, &hash));
	kprintf("fstest: trace end %s\n", name);
	CHECK_INT(REREAD_SIZE, size);
	CHECK_THAT(hash == reread_want, "expected /rereads/f to hash %016lx (pattern 51), saw %016lx",
		   reread_want, hash);
}

static void case_rereads_first(void)
{
	unsigned char *buf = fstest_buf();

	pat_fill(51, 0, buf, REREAD_SIZE);
	reread_want = fnv1a(FNV_INIT, buf, REREAD_SIZE);
	CHECK_CALL(reread("first"));
}

static void case_rereads_second(void)
{
	CHECK_CALL(reread("second"));
}

static void case_rereads_after_expiry(void)
{
	wait_ns(VALIDITY_WAIT_NS);
	CHECK_CALL(reread("third"));
}

static int run_rereads(const struct cmdline *cl)
{
	check_begin(cl, "fs_cache_rereads");
	CHECK_RUN(rereads_first);
	CHECK_RUN(rereads_second);
	CHECK_RUN(rereads_after_expiry);
	return check_end();
}
SELFTEST_SUITE("fs_cache_rereads", run_rereads);
