/*
 * fs_big: 256 MiB written sequentially in 1 MiB calls, then read back in
 * 1 MiB calls; both passes hash the bytes. The guest prints
 *   fstest: sum /big/data SIZE HASH
 * of what it wrote, and the harness hashes the host's file (tests/fs/fnv1a.c).
 * Data: xorshift64 words, so no two megabytes are alike.
 *
 *   tests/fs/run-tests big
 */
#include <stdint.h>
#include <string.h>

#include "fs/vfs.h"
#include "kernel/clock.h"
#include "kernel/kprintf.h"
#include "kernel/selftest.h"
#include "tests/guest/check.h"
#include "tests/guest/fstest.h"

#define BIG_SIZE (256ul << 20)
#define CHUNK    (1ul << 20)

static uint64_t written_hash;

static void fill(uint64_t *state, void *buf, size_t n)
{
	uint64_t x = *state, *w = buf;

	for (size_t i = 0; i < n / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
	*state = x;
}

static void case_write(void)
{
	unsigned char *buf = fstest_buf();
	uint64_t state = 0x9e3779b97f4a7c15ull, h = FNV_INIT, t0 = clock_monotonic_ns();
	struct file *f;
	struct stat st;

	CHECK_THAT(buf, "expected a 2 MiB buffer, saw none");
	CHECK_ERR(0, vfs_open(NULL, "/big/data", O_CREAT | O_EXCL | O_WRONLY, 0644, &f));
	for (uint64_t off = 0; off < BIG_SIZE; off += CHUNK) {
		fill(&state, buf, CHUNK);
		h = fnv1a(h, buf, CHUNK);
		CHECK_INT(CHUNK, vfs_write(f, buf, CHUNK));
	}
	CHECK_ERR(0, vfs_fstat(f, &st));
	CHECK_ERR(0, vfs_close(f));
	CHECK_INT(BIG_SIZE, st.st_size);
	written_hash = h;
	kprintf("fstest: sum /big/data %lu %016lx\n", BIG_SIZE, h);
	kprintf("fstest: big: wrote %lu MiB in %lu ms\n", BIG_SIZE >> 20,
		(clock_monotonic_ns() - t0) / 1000000);
}

static void case_read_back(void)
{
	unsigned char *buf = fstest_buf();
	uint64_t h = FNV_INIT, total = 0, t0 = clock_monotonic_ns();
	struct file *f;
	ssize_t n;

	CHECK_THAT(written_hash, "expected the write case to have run, saw no hash");
	CHECK_ERR(0, vfs_open(NULL, "/big/data", O_RDONLY, 0, &f));
	while ((n = vfs_read(f, buf, CHUNK)) > 0) {
		CHECK_THAT(n == CHUNK || total + (uint64_t)n == BIG_SIZE,
			   "expected whole 1 MiB reads before the end, saw %ld at %lu", n, total);
		h = fnv1a(h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	CHECK_ERR(0, vfs_close(f));
	CHECK_INT(0, n);
	CHECK_INT(BIG_SIZE, total);
	CHECK_THAT(h == written_hash, "expected the read-back hash %016lx, saw %016lx", written_hash, h);
	kprintf("fstest: big: read %lu MiB in %lu ms\n", total >> 20, (clock_monotonic_ns() - t0) / 1000000);
}

static int run(const struct cmdline *cl)
{
	check_begin(cl, "fs_big");
	CHECK_RUN(write);
	CHECK_RUN(read_back);
	return check_end();
}
SELFTEST_SUITE("fs_big", run);
