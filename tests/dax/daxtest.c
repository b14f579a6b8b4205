/*
 * daxtest: the guest half of the DAX tests (tests/dax/run-tests). A small
 * interpreter: it runs a script of file and mapping operations, one per
 * line, that the harness wrote into the shared directory, and prints one
 * result line per operation. The harness keeps its own model of every file
 * and knows what each line must say; afterwards it checks the host's files.
 *
 *     make APP=tests/dax/daxtest.c IMAGE=build/dax.img
 *     ./remora run --dax 64M --share DIR build/dax.img /script
 *
 * Script lines (numbers decimal; N names a descriptor slot, M a mapping
 * slot; '#' starts a comment):
 *     open N PATH FLAGS      FLAGS: r w rw, plus a(ppend) c(reat) t(runc)
 *     close N                fsync N
 *     size N                 fstat's st_size
 *     read N OFF LEN         pread; prints the count and FNV-1a 64 of the bytes
 *     readall N CHUNK [SEED] read() from 0 to EOF in CHUNK calls; with SEED,
 *                            also checks every byte against the pattern
 *     write N OFF LEN SEED   pwrite LEN bytes of pattern SEED at OFF
 *     fill N SIZE CHUNK SEED pwrite [0, SIZE) of pattern SEED in CHUNK calls
 *     append N LEN SEED [AT] write() on an O_APPEND descriptor; the pattern
 *                            is keyed to AT or to fstat's size before; prints
 *                            where the bytes went
 *     trunc N SIZE           ftruncate
 *     falloc N MODE OFF LEN  fallocate; MODE plain, keep (KEEP_SIZE), punch
 *                            (PUNCH_HOLE), zero (ZERO_RANGE), collapse, insert
 *     unlink PATH
 *     map M N OFF LEN PROT   mmap MAP_SHARED, PROT r or rw
 *     mread M OFF LEN        FNV-1a 64 of the mapping's bytes [OFF, +LEN)
 *     mcheck M OFF LEN SEED  the mapping's bytes against pattern SEED
 *     mwrite M OFF LEN SEED  stores of pattern SEED (keyed to file offsets)
 *     preadm N OFF LEN M MOFF   pread into the mapping's bytes at MOFF
 *     pwritem N OFF LEN M MOFF  pwrite from them
 *     msync M sync|async     unmap M [OFF LEN]
 *     touch M OFF r|w        one access expected to end the program
 *     pause TAG              print "dax: PAUSE TAG", wait for a line on stdin
 * Output: "dax: LINE OP -> RESULT" (RESULT "ok", "n=... fnv=...", "err=ENAME"
 * ...), then "dax: done". The pattern: the 8-byte little-endian word at
 * file offset k (k a multiple of 8) is (SEED << 40) | k, so a byte read
 * from the wrong offset or the wrong file never matches.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Linux's <linux/falloc.h>; musl's <fcntl.h> has only the first two. */
#ifndef FALLOC_FL_COLLAPSE_RANGE
#define FALLOC_FL_COLLAPSE_RANGE 0x08
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10
#endif
#ifndef FALLOC_FL_INSERT_RANGE
#define FALLOC_FL_INSERT_RANGE 0x20
#endif

#define NSLOTS 256
#define BUF_MAX (4u << 20)
#define FNV_INIT 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static int fds[NSLOTS];
static struct {
	uint8_t *p;
	uint64_t off, len;
} maps[NSLOTS];
static uint8_t *buf;
static int lineno;

static void out(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	/* One write per line: the console never interleaves halves. */
	if (write(1, line, (size_t)n) < 0)
		_exit(3);
}

static const char *errname(int e)
{
	switch (e) {
	case EACCES: return "EACCES";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case ENODEV: return "ENODEV";
	case ENOENT: return "ENOENT";
	case ENOMEM: return "ENOMEM";
	case EIO: return "EIO";
	case EPERM: return "EPERM";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case EEXIST: return "EEXIST";
	case EISDIR: return "EISDIR";
	case EOVERFLOW: return "EOVERFLOW";
	case EFAULT: return "EFAULT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return "E?";
	}
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t pat_word(uint64_t seed, uint64_t k) { return (seed << 40) | (k & ~7ull); }

/* Bytes [off, off+n) of pattern seed into p. */
static void pat_fill(uint8_t *p, uint64_t off, size_t n, uint64_t seed)
{
	size_t i = 0;

	while (i < n && ((off + i) & 7)) {
		p[i] = (uint8_t)(pat_word(seed, off + i) >> (8 * ((off + i) & 7)));
		i++;
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t w = pat_word(seed, off + i);
		memcpy(p + i, &w, 8);
	}
	for (; i < n; i++)
		p[i] = (uint8_t)(pat_word(seed, off + i) >> (8 * ((off + i) & 7)));
}

/* The first offset in [off, off+n) where p differs from pattern seed, or
 * UINT64_MAX. */
static uint64_t pat_find_diff(const uint8_t *p, uint64_t off, size_t n, uint64_t seed)
{
	uint8_t want[4096];

	for (size_t i = 0; i < n; i += sizeof(want)) {
		size_t c = n - i < sizeof(want) ? n - i : sizeof(want);
		pat_fill(want, off + i, c, seed);
		if (memcmp(want, p + i, c)) {
			for (size_t j = 0; j < c; j++)
				if (want[j] != p[i + j])
					return off + i + j;
		}
	}
	return UINT64_MAX;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int open_flags(const char *s)
{
	int acc = O_RDONLY, fl = 0;
	bool r = strchr(s, 'r'), w = strchr(s, 'w');

	if (r && w)
		acc = O_RDWR;
	else if (w)
		acc = O_WRONLY;
	if (strchr(s, 'a'))
		fl |= O_APPEND;
	if (strchr(s, 'c'))
		fl |= O_CREAT;
	if (strchr(s, 't'))
		fl |= O_TRUNC;
	return acc | fl;
}

static unsigned long long num(const char *s)
{
	return s ? strtoull(s, NULL, 0) : 0;
}

static int slot(const char *s)
{
	long v = s ? strtol(s, NULL, 10) : -1;

	if (v < 0 || v >= NSLOTS) {
		out("dax: %d: bad slot %s\n", lineno, s ? s : "(none)");
		exit(2);
	}
	return (int)v;
}

static void res_err(const char *op, int e) { out("dax: %d %s -> err=%s\n", lineno, op, errname(e)); }

/* readall: the whole file through read() in chunk-sized calls. */
static void op_readall(int fd, size_t chunk, const char *seed_s)
{
	uint64_t h = FNV_INIT, total = 0, bad = UINT64_MAX, t0 = now_ms();
	ssize_t n;

	if (chunk == 0 || chunk > BUF_MAX)
		chunk = BUF_MAX;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		res_err("readall", errno);
		return;
	}
	while ((n = read(fd, buf, chunk)) > 0) {
		h = fnv(h, buf, (size_t)n);
		if (seed_s && bad == UINT64_MAX)
			bad = pat_find_diff(buf, total, (size_t)n, num(seed_s));
		total += (uint64_t)n;
	}
	if (n < 0) {
		out("dax: %d readall -> err=%s after=%" PRIu64 "\n", lineno, errname(errno), total);
		return;
	}
	if (!seed_s)
		out("dax: %d readall -> n=%" PRIu64 " fnv=%016" PRIx64 " ms=%" PRIu64 "\n", lineno, total, h,
		    now_ms() - t0);
	else if (bad == UINT64_MAX)
		out("dax: %d readall -> n=%" PRIu64 " fnv=%016" PRIx64 " pattern=ok ms=%" PRIu64 "\n", lineno,
		    total, h, now_ms() - t0);
	else
		out("dax: %d readall -> n=%" PRIu64 " fnv=%016" PRIx64 " pattern=bad@%" PRIu64 " ms=%" PRIu64 "\n",
		    lineno, total, h, bad, now_ms() - t0);
}

static void op_fill(int fd, uint64_t size, size_t chunk, uint64_t seed)
{
	uint64_t done = 0, t0 = now_ms();

	if (chunk == 0 || chunk > BUF_MAX)
		chunk = BUF_MAX;
	while (done < size) {
		size_t c = size - done < chunk ? (size_t)(size - done) : chunk;
		ssize_t n;

		pat_fill(buf, done, c, seed);
		n = pwrite(fd, buf, c, (off_t)done);
		if (n < 0) {
			out("dax: %d fill -> err=%s after=%" PRIu64 "\n", lineno, errname(errno), done);
			return;
		}
		if ((size_t)n != c) {
			out("dax: %d fill -> short=%zd after=%" PRIu64 "\n", lineno, n, done);
			return;
		}
		done += c;
	}
	out("dax: %d fill -> n=%" PRIu64 " ms=%" PRIu64 "\n", lineno, done, now_ms() - t0);
}

static void run_line(char *line)
{
	char *w[8] = { 0 };
	int nw = 0;
	char *save = NULL;
	const char *op;

	for (char *t = strtok_r(line, " \t\r\n", &save); t && nw < 8; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (*t == '#')
			break;
		w[nw++] = t;
	}
	if (nw == 0)
		return;
	op = w[0];
	if (!strcmp(op, "open")) {
		int s = slot(w[1]), fd = open(w[2], open_flags(w[3] ? w[3] : "r"), 0644);
		if (fd < 0)
			return res_err(op, errno);
		fds[s] = fd;
		out("dax: %d open -> ok\n", lineno);
	} else if (!strcmp(op, "close")) {
		int s = slot(w[1]);
		if (close(fds[s]) < 0)
			return res_err(op, errno);
		fds[s] = -1;
		out("dax: %d close -> ok\n", lineno);
	} else if (!strcmp(op, "fsync")) {
		if (fsync(fds[slot(w[1])]) < 0)
			return res_err(op, errno);
		out("dax: %d fsync -> ok\n", lineno);
	} else if (!strcmp(op, "size")) {
		struct stat st;
		if (fstat(fds[slot(w[1])], &st) < 0)
			return res_err(op, errno);
		out("dax: %d size -> size=%lld\n", lineno, (long long)st.st_size);
	} else if (!strcmp(op, "read")) {
		size_t len = (size_t)num(w[3]);
		ssize_t n;
		if (len > BUF_MAX)
			len = BUF_MAX;
		n = pread(fds[slot(w[1])], buf, len, (off_t)num(w[2]));
		if (n < 0)
			return res_err(op, errno);
		out("dax: %d read -> n=%zd fnv=%016" PRIx64 "\n", lineno, n, fnv(FNV_INIT, buf, (size_t)n));
	} else if (!strcmp(op, "readall")) {
		op_readall(fds[slot(w[1])], (size_t)num(w[2]), w[3]);
	} else if (!strcmp(op, "write")) {
		size_t len = (size_t)num(w[3]);
		uint64_t off = num(w[2]);
		ssize_t n;
		if (len > BUF_MAX)
			len = BUF_MAX;
		pat_fill(buf, off, len, num(w[4]));
		n = pwrite(fds[slot(w[1])], buf, len, (off_t)off);
		if (n < 0)
			return res_err(op, errno);
		out("dax: %d write -> n=%zd\n", lineno, n);
	} else if (!strcmp(op, "fill")) {
		op_fill(fds[slot(w[1])], num(w[2]), (size_t)num(w[3]), num(w[4]));
	} else if (!strcmp(op, "append")) {
		/* The pattern is keyed to AT (where the harness expects the
		 * append to land), or to fstat's size; the result says where
		 * the write really went (the offset after it, less its size). */
		int fd = fds[slot(w[1])];
		size_t len = (size_t)num(w[2]);
		struct stat st;
		off_t at;
		ssize_t n;
		if (len > BUF_MAX)
			len = BUF_MAX;
		if (w[4]) {
			st.st_size = (off_t)num(w[4]);
		} else if (fstat(fd, &st) < 0) {
			return res_err(op, errno);
		}
		pat_fill(buf, (uint64_t)st.st_size, len, num(w[3]));
		n = write(fd, buf, len);
		if (n < 0)
			return res_err(op, errno);
		at = lseek(fd, 0, SEEK_CUR);
		out("dax: %d append -> n=%zd at=%lld\n", lineno, n, (long long)(at - n));
	} else if (!strcmp(op, "trunc")) {
		if (ftruncate(fds[slot(w[1])], (off_t)num(w[2])) < 0)
			return res_err(op, errno);
		out("dax: %d trunc -> ok\n", lineno);
	} else if (!strcmp(op, "falloc")) {
		const char *m = w[2] ? w[2] : "";
		int mode = !strcmp(m, "punch") ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
			 : !strcmp(m, "collapse") ? FALLOC_FL_COLLAPSE_RANGE
			 : !strcmp(m, "zero") ? FALLOC_FL_ZERO_RANGE
			 : !strcmp(m, "insert") ? FALLOC_FL_INSERT_RANGE
			 : !strcmp(m, "keep") ? FALLOC_FL_KEEP_SIZE : 0;
		if (fallocate(fds[slot(w[1])], mode, (off_t)num(w[3]), (off_t)num(w[4])) < 0)
			return res_err(op, errno);
		out("dax: %d falloc -> ok\n", lineno);
	} else if (!strcmp(op, "unlink")) {
		if (unlink(w[1]) < 0)
			return res_err(op, errno);
		out("dax: %d unlink -> ok\n", lineno);
	} else if (!strcmp(op, "map")) {
		int m = slot(w[1]);
		int prot = w[5] && strchr(w[5], 'w') ? PROT_READ | PROT_WRITE : PROT_READ;
		uint64_t off = num(w[3]), len = num(w[4]);
		void *p = mmap(NULL, len, prot, MAP_SHARED, fds[slot(w[2])], (off_t)off);
		if (p == MAP_FAILED)
			return res_err(op, errno);
		maps[m].p = p;
		maps[m].off = off;
		maps[m].len = len;
		out("dax: %d map -> ok\n", lineno);
	} else if (!strcmp(op, "mread")) {
		int m = slot(w[1]);
		uint64_t off = num(w[2]), len = num(w[3]);
		out("dax: %d mread -> n=%" PRIu64 " fnv=%016" PRIx64 "\n", lineno, len,
		    fnv(FNV_INIT, maps[m].p + off, (size_t)len));
	} else if (!strcmp(op, "mcheck")) {
		int m = slot(w[1]);
		uint64_t off = num(w[2]), len = num(w[3]);
		uint64_t bad = pat_find_diff(maps[m].p + off, maps[m].off + off, (size_t)len, num(w[4]));
		if (bad == UINT64_MAX)
			out("dax: %d mcheck -> pattern=ok\n", lineno);
		else
			out("dax: %d mcheck -> pattern=bad@%" PRIu64 "\n", lineno, bad);
	} else if (!strcmp(op, "mwrite")) {
		int m = slot(w[1]);
		uint64_t off = num(w[2]), len = num(w[3]);
		pat_fill(maps[m].p + off, maps[m].off + off, (size_t)len, num(w[4]));
		out("dax: %d mwrite -> ok\n", lineno);
	} else if (!strcmp(op, "preadm") || !strcmp(op, "pwritem")) {
		/* The buffer is in a mapping: read/write to or from DAX pages. */
		int fd = fds[slot(w[1])];
		uint64_t off = num(w[2]), len = num(w[3]);
		uint8_t *p = maps[slot(w[4])].p + num(w[5]);
		ssize_t n = op[1] == 'r' ? pread(fd, p, (size_t)len, (off_t)off)
					 : pwrite(fd, p, (size_t)len, (off_t)off);
		if (n < 0)
			return res_err(op, errno);
		out("dax: %d %s -> n=%zd\n", lineno, op, n);
	} else if (!strcmp(op, "msync")) {
		int m = slot(w[1]);
		int fl = w[2] && !strcmp(w[2], "async") ? MS_ASYNC : MS_SYNC;
		if (msync(maps[m].p, maps[m].len, fl) < 0)
			return res_err(op, errno);
		out("dax: %d msync -> ok\n", lineno);
	} else if (!strcmp(op, "unmap")) {
		int m = slot(w[1]);
		uint64_t off = w[2] ? num(w[2]) : 0, len = w[3] ? num(w[3]) : maps[m].len;
		if (munmap(maps[m].p + off, len) < 0)
			return res_err(op, errno);
		out("dax: %d unmap -> ok\n", lineno);
	} else if (!strcmp(op, "touch")) {
		int m = slot(w[1]);
		volatile uint8_t *p = maps[m].p + num(w[2]);
		bool wr = w[3] && !strcmp(w[3], "w");
		uint8_t v;
		out("dax: %d touch -> about to %s 0x%" PRIxPTR "\n", lineno, wr ? "store to" : "load from",
		    (uintptr_t)p);
		if (wr) {
			*p = 0x5a;
			v = 0x5a;
		} else {
			v = *p;
		}
		out("dax: %d touch -> survived value=%u\n", lineno, v);
	} else if (!strcmp(op, "pause")) {
		char c;
		out("dax: PAUSE %s\n", w[1] ? w[1] : "?");
		while (read(0, &c, 1) == 1 && c != '\n')
			;
		out("dax: %d pause -> ok\n", lineno);
	} else {
		out("dax: %d: unknown op %s\n", lineno, op);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	FILE *f;
	char line[1024];

	if (argc != 2) {
		out("usage: daxtest SCRIPT\n");
		return 2;
	}
	buf = malloc(BUF_MAX);
	f = fopen(argv[1], "r");
	if (!buf || !f) {
		out("dax: cannot read %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	for (int i = 0; i < NSLOTS; i++)
		fds[i] = -1;
	out("dax: start\n");
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		run_line(line);
	}
	fclose(f);
	out("dax: done\n");
	return 0;
}
