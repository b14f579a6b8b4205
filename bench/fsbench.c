/*
 * fsbench: the file-system benchmark of `make bench`, one source built three
 * ways: into a remora image (make APP=bench/fsbench.c IMAGE=build/bench.img),
 * statically with musl for the Linux guest, and natively for the host row.
 *
 *   fsbench [OPTIONS] io DIR     psync (pread/pwrite) seqread, randread,
 *                                seqwrite, randwrite over 1 and 4 files,
 *                                4 KiB / 64 KiB / 1 MiB blocks, time-based
 *   fsbench [OPTIONS] meta DIR   create, stat, readdir, unlink of N files
 *   fsbench [OPTIONS] all DIR    io, then meta
 *   fsbench boot FILE            boot markers only: main, first read, exit
 *   fsbench marker PATH TEXT     writes PATH with TEXT and the statfs type
 *
 * It reproduces the virtio-fs project's published fio method (ioengine=psync,
 * 4 KiB blocks, the four access patterns, one file and four files) in one
 * thread: the four-file runs issue requests to the files in turn, since the
 * program must run unchanged on remora, which has one thread. bench/run
 * drives it; bench/README.md describes the output.
 *
 * Output: one line per result, "fsbench: KIND key=value ...", flushed at
 * once (the console is the only channel out of the guest). Latencies are
 * per request, from CLOCK_MONOTONIC read before and after each call, kept
 * in a log-linear histogram (1/64 of an octave, so percentiles are within
 * 1.6 %); the cost of one clock read is printed first so it can be weighed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define KIB 1024ull
#define MIB (1024ull * 1024)
#define NFILES_MAX 4
#define PATH_LEN 512

/* ---- clocks and markers ---- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* Boot-time markers: the host timestamps the line when it arrives on the
 * console; the guest's own clocks are printed beside it (on remora and on
 * Linux under TCG both start near boot, and REALTIME comes from the RTC,
 * whole seconds, so only the host's arrival time relates to QEMU's launch). */
static void mark(const char *name)
{
	uint64_t mono = clock_ns(CLOCK_MONOTONIC), real = clock_ns(CLOCK_REALTIME);

	printf("fsbench: mark name=%s mono_ns=%llu real_ns=%llu\n", name,
	       (unsigned long long)mono, (unsigned long long)real);
	fflush(stdout);
}

static int first_read_marked;

static void mark_first_read(void)
{
	if (!first_read_marked) {
		first_read_marked = 1;
		mark("first-read");
	}
}

static void die(const char *what, const char *path)
{
	int e = errno;

	printf("fsbench: error op=%s path=%s errno=%d msg=\"%s\"\n", what, path ? path : "-", e,
	       strerror(e));
	fflush(stdout);
	exit(1);
}

/* ---- latency histogram ---- */

/* Values below 2^HIST_SUB_BITS+1 ns are exact; above, each octave has
 * 2^HIST_SUB_BITS buckets. 2^40 ns (18 minutes) is the ceiling. */
#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_EXACT (2u * HIST_SUB)
#define HIST_MAX_LOG2 40
#define HIST_N (HIST_EXACT + (HIST_MAX_LOG2 - HIST_SUB_BITS) * HIST_SUB)

struct hist {
	uint64_t n, sum_ns, max_ns, min_ns;
	uint64_t bucket[HIST_N];
};

static unsigned hist_index(uint64_t v)
{
	unsigned e;

	if (v < HIST_EXACT)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);         /* e >= HIST_SUB_BITS + 1 */
	if (e >= HIST_MAX_LOG2)
		return HIST_N - 1;
	return HIST_EXACT + (e - HIST_SUB_BITS - 1) * HIST_SUB +
	       (unsigned)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

/* The middle of bucket i, in ns. */
static double hist_value(unsigned i)
{
	unsigned e, sub;

	if (i < HIST_EXACT)
		return i;
	e = (i - HIST_EXACT) / HIST_SUB + HIST_SUB_BITS + 1;
	sub = (i - HIST_EXACT) % HIST_SUB;
	return ((double)(HIST_SUB + sub) + 0.5) * (double)(1ull << (e - HIST_SUB_BITS));
}

static void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min_ns = UINT64_MAX;
}

static void hist_add(struct hist *h, uint64_t ns)
{
	h->bucket[hist_index(ns)]++;
	h->n++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	if (ns < h->min_ns)
		h->min_ns = ns;
}

static double hist_pct(const struct hist *h, double pct)
{
	uint64_t want = (uint64_t)((double)h->n * pct / 100.0), seen = 0;

	if (want >= h->n)
		want = h->n - 1;
	for (unsigned i = 0; i < HIST_N; i++) {
		seen += h->bucket[i];
		if (seen > want)
			return hist_value(i);
	}
	return (double)h->max_ns;
}

/* " lat_p50_us=... lat_p99_us=... ..." for a result line. */
static void print_lat(const struct hist *h)
{
	if (h->n == 0) {
		printf(" lat_n=0");
		return;
	}
	printf(" lat_n=%llu lat_mean_us=%.2f lat_min_us=%.2f lat_p50_us=%.2f lat_p99_us=%.2f"
	       " lat_p999_us=%.2f lat_max_us=%.2f",
	       (unsigned long long)h->n, (double)h->sum_ns / (double)h->n / 1e3,
	       (double)h->min_ns / 1e3, hist_pct(h, 50) / 1e3, hist_pct(h, 99) / 1e3,
	       hist_pct(h, 99.9) / 1e3, (double)h->max_ns / 1e3);
}

static struct hist lat;

/* "fsbench: phase name=NAME" just before a timed phase starts: lets a
 * trace=fuse log be cut into phases (bench/run does). */
static void phase(const char *name)
{
	printf("fsbench: phase name=%s\n", name);
	fflush(stdout);
}

/* ---- random numbers: xorshift64*, fixed seed, so every run asks for the
 * same offsets ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* ---- options ---- */

struct opts {
	double duration;                /* seconds per I/O test */
	uint64_t size;                  /* bytes per data file */
	uint64_t bs[8];                 /* block sizes */
	int nbs;
	int nfiles[2];                  /* 1 and/or 4 */
	int nnfiles;
	unsigned tests;                 /* bit per enum test */
	long meta_n;                    /* files for the metadata tests */
	const char *marker_text;        /* write DIR/.fsbench-marker first */
};

enum test { T_SEQREAD, T_RANDREAD, T_SEQWRITE, T_RANDWRITE, T_COUNT };
static const char *const test_name[T_COUNT] = { "seqread", "randread", "seqwrite", "randwrite" };

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	switch (*end) {
	case 'k': case 'K': v *= KIB; end++; break;
	case 'm': case 'M': v *= MIB; end++; break;
	case 'g': case 'G': v *= 1024 * MIB; end++; break;
	default: break;
	}
	if (end == s || *end) {
		fprintf(stderr, "fsbench: bad size %s\n", s);
		exit(2);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fsbench [-d SECS] [-s SIZE] [-b BS,...] [-f 1,4] [-t TEST,...] [-n N]\n"
		"               [-m MARKER-TEXT] io|meta|all DIR\n"
		"       fsbench boot FILE\n"
		"       fsbench marker PATH TEXT\n"
		"TEST: seqread randread seqwrite randwrite; SIZE/BS: 4k, 64k, 1m, 32m ...\n");
	exit(2);
}

/* ---- the I/O tests ---- */

struct fileset {
	int fd[NFILES_MAX];
	uint64_t off[NFILES_MAX];       /* next sequential offset */
	int n;
};

static void data_path(char *buf, const char *dir, int i)
{
	if (snprintf(buf, PATH_LEN, "%s/fsbench.%d", dir, i) >= PATH_LEN) {
		errno = ENAMETOOLONG;
		die("path", dir);
	}
}

/* Opens data file i, writing it out (not timed) unless it already holds
 * size bytes; bench/run makes them on the host to save the guest the time. */
static int data_open(const char *dir, int i, uint64_t size, char *buf, uint64_t bufsz)
{
	char path[PATH_LEN];
	struct stat st;
	int fd;

	data_path(path, dir, i);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		die("open", path);
	if (fstat(fd, &st) < 0)
		die("fstat", path);
	if ((uint64_t)st.st_size < size) {
		for (uint64_t off = 0; off < size; off += bufsz) {
			uint64_t n = size - off < bufsz ? size - off : bufsz;
			if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
				die("pwrite(layout)", path);
		}
		printf("fsbench: layout file=%s bytes=%llu\n", path, (unsigned long long)size);
		fflush(stdout);
	}
	return fd;
}

static void io_test(const struct opts *o, const char *dir, struct fileset *fs, enum test t,
		    uint64_t bs, int nfiles, char *buf)
{
	const int is_write = t == T_SEQWRITE || t == T_RANDWRITE;
	const int is_random = t == T_RANDREAD || t == T_RANDWRITE;
	const uint64_t blocks = o->size / bs;
	const uint64_t limit = (uint64_t)(o->duration * 1e9);
	uint64_t ops = 0, bytes = 0, t0, t1, end;
	int k = 0;

	if (blocks == 0) {
		printf("fsbench: skip test=%s bs=%llu files=%d reason=file-smaller-than-block\n",
		       test_name[t], (unsigned long long)bs, nfiles);
		return;
	}
	hist_reset(&lat);
	for (int i = 0; i < nfiles; i++)
		fs->off[i] = 0;
	phase(test_name[t]);
	t0 = now_ns();
	t1 = t0;
	end = t0 + limit;
	while (t1 < end) {
		uint64_t off, a, b;
		ssize_t got;

		if (is_random) {
			off = (rng_next() % blocks) * bs;
		} else {
			off = fs->off[k];
			fs->off[k] = off + bs >= blocks * bs ? 0 : off + bs;
		}
		a = now_ns();
		got = is_write ? pwrite(fs->fd[k], buf, bs, (off_t)off)
			       : pread(fs->fd[k], buf, bs, (off_t)off);
		b = now_ns();
		if (got != (ssize_t)bs) {
			if (got >= 0)
				errno = EIO;
			die(is_write ? "pwrite" : "pread", dir);
		}
		if (!is_write)
			mark_first_read();
		hist_add(&lat, b - a);
		ops++;
		bytes += bs;
		t1 = b;
		if (++k == nfiles)
			k = 0;
	}
	{
		double secs = (double)(t1 - t0) / 1e9;
		printf("fsbench: io test=%s bs=%llu files=%d secs=%.3f ops=%llu bytes=%llu"
		       " mibps=%.3f iops=%.1f",
		       test_name[t], (unsigned long long)bs, nfiles, secs, (unsigned long long)ops,
		       (unsigned long long)bytes, (double)bytes / MIB / secs, (double)ops / secs);
		print_lat(&lat);
		printf("\n");
		fflush(stdout);
	}
}

static void run_io(const struct opts *o, const char *dir)
{
	uint64_t maxbs = 0;
	struct fileset fs;
	char *buf;

	for (int i = 0; i < o->nbs; i++)
		if (o->bs[i] > maxbs)
			maxbs = o->bs[i];
	if (maxbs < MIB)
		maxbs = MIB;
	if (posix_memalign((void **)&buf, 4096, maxbs))
		die("posix_memalign", NULL);
	for (uint64_t i = 0; i < maxbs; i += 8) {
		uint64_t r = rng_next();
		memcpy(buf + i, &r, 8);
	}
	fs.n = 0;
	for (int i = 0; i < o->nnfiles; i++)
		if (o->nfiles[i] > fs.n)
			fs.n = o->nfiles[i];
	for (int i = 0; i < fs.n; i++)
		fs.fd[i] = data_open(dir, i, o->size, buf, maxbs);
	printf("fsbench: io-config duration=%.3f size=%llu files=%d\n", o->duration,
	       (unsigned long long)o->size, fs.n);
	fflush(stdout);
	/* Order as published: for each block size and file count, the four
	 * patterns; reads first, so writes cannot leave anything for them. */
	for (int b = 0; b < o->nbs; b++)
		for (int f = 0; f < o->nnfiles; f++)
			for (int t = 0; t < T_COUNT; t++)
				if (o->tests & (1u << t))
					io_test(o, dir, &fs, (enum test)t, o->bs[b], o->nfiles[f], buf);
	for (int i = 0; i < fs.n; i++)
		close(fs.fd[i]);
	free(buf);
}

/* ---- metadata ---- */

static void meta_line(const char *op, long n, uint64_t t0, uint64_t t1, const struct hist *h)
{
	double secs = (double)(t1 - t0) / 1e9;

	printf("fsbench: meta op=%s n=%ld secs=%.3f ops_per_s=%.1f", op, n, secs, (double)n / secs);
	if (h)
		print_lat(h);
	printf("\n");
	fflush(stdout);
}

static void meta_name(char *buf, const char *d, long i)
{
	if (snprintf(buf, PATH_LEN, "%s/f%06ld", d, i) >= PATH_LEN) {
		errno = ENAMETOOLONG;
		die("path", d);
	}
}

/* create, stat, readdir, unlink of n empty files in DIR/fsbench-meta: each
 * create is open(O_CREAT|O_EXCL) + close, each stat a stat() by path, the
 * readdir one pass of opendir/readdir/closedir over the n entries (timed
 * per entry; a pass is repeated while it took under 0.2 s, up to 100). */
static void run_meta(const struct opts *o, const char *dir)
{
	char d[PATH_LEN], path[PATH_LEN];
	const long n = o->meta_n;
	uint64_t t0, t1;
	struct stat st;

	snprintf(d, sizeof(d), "%s/fsbench-meta", dir);
	if (mkdir(d, 0755) < 0) {
		if (errno != EEXIST)
			die("mkdir", d);
		/* Left over from an interrupted run: start empty. */
		for (long i = 0; i < n; i++) {
			meta_name(path, d, i);
			unlink(path);
		}
	}
	hist_reset(&lat);
	phase("create");
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		uint64_t a, b;
		int fd;

		meta_name(path, d, i);
		a = now_ns();
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			die("create", path);
		close(fd);
		b = now_ns();
		hist_add(&lat, b - a);
	}
	t1 = now_ns();
	meta_line("create", n, t0, t1, &lat);

	hist_reset(&lat);
	phase("stat");
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		uint64_t a, b;

		meta_name(path, d, i);
		a = now_ns();
		if (stat(path, &st) < 0)
			die("stat", path);
		b = now_ns();
		hist_add(&lat, b - a);
	}
	t1 = now_ns();
	meta_line("stat", n, t0, t1, &lat);

	{
		long entries = 0, passes = 0;
		uint64_t start;

		hist_reset(&lat);
		phase("readdir");
		start = now_ns();
		do {
			long seen = 0;
			uint64_t a = now_ns(), b;
			DIR *dp = opendir(d);
			struct dirent *de;

			if (!dp)
				die("opendir", d);
			while ((de = readdir(dp)) != NULL)
				if (de->d_name[0] != '.')
					seen++;
			closedir(dp);
			b = now_ns();
			if (seen != n) {
				printf("fsbench: error op=readdir path=%s expected=%ld saw=%ld\n", d, n, seen);
				fflush(stdout);
				exit(1);
			}
			hist_add(&lat, b - a);
			entries += seen;
			passes++;
		} while (now_ns() - start < 200000000ull && passes < 100);
		t1 = now_ns();
		printf("fsbench: meta op=readdir n=%ld passes=%ld secs=%.3f entries_per_s=%.1f"
		       " ops_per_s=%.1f pass_p50_us=%.2f\n",
		       n, passes, (double)(t1 - start) / 1e9, (double)entries / ((double)(t1 - start) / 1e9),
		       (double)entries / ((double)(t1 - start) / 1e9), hist_pct(&lat, 50) / 1e3);
		fflush(stdout);
	}

	hist_reset(&lat);
	phase("unlink");
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		uint64_t a, b;

		meta_name(path, d, i);
		a = now_ns();
		if (unlink(path) < 0)
			die("unlink", path);
		b = now_ns();
		hist_add(&lat, b - a);
	}
	t1 = now_ns();
	meta_line("unlink", n, t0, t1, &lat);
	rmdir(d);
}

/* ---- marker and boot ---- */

/* Writes PATH: TEXT, then "statfs_type=0x..." of PATH's directory, so the
 * host sees that this guest wrote into the shared directory and over which
 * file system (FUSE 0x65735546, 9p 0x01021997, ...). */
static void write_marker(const char *path, const char *text)
{
	char dir[PATH_LEN], line[PATH_LEN + 64];
	struct statfs sf;
	char *slash;
	int fd, len;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	if (statfs(dir, &sf) < 0)
		die("statfs", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open", path);
	len = snprintf(line, sizeof(line), "%s\nstatfs_type=0x%llx\n", text,
		       (unsigned long long)(unsigned long)sf.f_type);
	if (write(fd, line, (size_t)len) != len)
		die("write", path);
	if (close(fd) < 0)
		die("close", path);
	printf("fsbench: marker path=%s statfs_type=0x%llx\n", path,
	       (unsigned long long)(unsigned long)sf.f_type);
	fflush(stdout);
}

static int run_boot(const char *file)
{
	char buf[4096];
	int fd = open(file, O_RDONLY);

	if (fd < 0)
		die("open", file);
	if (read(fd, buf, sizeof(buf)) < 0)
		die("read", file);
	mark_first_read();
	close(fd);
	return 0;
}

/* The cost of one CLOCK_MONOTONIC read (two per timed request). */
static void clock_cost(void)
{
	const int n = 2000;
	uint64_t t0 = now_ns(), t1;

	for (int i = 0; i < n; i++)
		(void)now_ns();
	t1 = now_ns();
	printf("fsbench: clock ns_per_read=%.1f\n", (double)(t1 - t0) / n);
	fflush(stdout);
}

/* ---- main ---- */

static void parse_list(const char *arg, void (*each)(struct opts *, const char *), struct opts *o)
{
	char tmp[256], *save = NULL;

	snprintf(tmp, sizeof(tmp), "%s", arg);
	for (char *w = strtok_r(tmp, ",", &save); w; w = strtok_r(NULL, ",", &save))
		each(o, w);
}

static void add_bs(struct opts *o, const char *w)
{
	if (o->nbs < 8)
		o->bs[o->nbs++] = parse_size(w);
}

static void add_nfiles(struct opts *o, const char *w)
{
	int n = atoi(w);

	if ((n != 1 && n != NFILES_MAX) || o->nnfiles >= 2) {
		fprintf(stderr, "fsbench: -f takes 1 and/or %d\n", NFILES_MAX);
		exit(2);
	}
	o->nfiles[o->nnfiles++] = n;
}

static void add_test(struct opts *o, const char *w)
{
	for (int t = 0; t < T_COUNT; t++)
		if (strcmp(w, test_name[t]) == 0) {
			o->tests |= 1u << t;
			return;
		}
	fprintf(stderr, "fsbench: unknown test %s\n", w);
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = { .duration = 5, .size = 32 * MIB, .meta_n = 10000 };
	const char *cmd, *dir;
	int i;

	mark("main");
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "-d"))
			o.duration = atof(argv[++i]);
		else if (!strcmp(a, "-s"))
			o.size = parse_size(argv[++i]);
		else if (!strcmp(a, "-b"))
			parse_list(argv[++i], add_bs, &o);
		else if (!strcmp(a, "-f"))
			parse_list(argv[++i], add_nfiles, &o);
		else if (!strcmp(a, "-t"))
			parse_list(argv[++i], add_test, &o);
		else if (!strcmp(a, "-n"))
			o.meta_n = atol(argv[++i]);
		else if (!strcmp(a, "-m"))
			o.marker_text = argv[++i];
		else
			usage();
	}
	if (i >= argc)
		usage();
	cmd = argv[i++];
	if (!strcmp(cmd, "boot")) {
		if (i + 1 != argc)
			usage();
		return run_boot(argv[i]);
	}
	if (!strcmp(cmd, "marker")) {
		if (i + 2 != argc)
			usage();
		write_marker(argv[i], argv[i + 1]);
		return 0;
	}
	if (i + 1 != argc || (strcmp(cmd, "io") && strcmp(cmd, "meta") && strcmp(cmd, "all")))
		usage();
	dir = argv[i];
	if (!o.nbs) {
		o.bs[o.nbs++] = 4 * KIB;
		o.bs[o.nbs++] = 64 * KIB;
		o.bs[o.nbs++] = MIB;
	}
	if (!o.nnfiles) {
		o.nfiles[o.nnfiles++] = 1;
		o.nfiles[o.nnfiles++] = NFILES_MAX;
	}
	if (!o.tests)
		o.tests = (1u << T_COUNT) - 1;
	if (o.duration <= 0 || o.size == 0 || o.meta_n <= 0)
		usage();
	if (o.marker_text) {
		char path[PATH_LEN];
		const char *sep = dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/";
		if (snprintf(path, sizeof(path), "%s%s.fsbench-marker", dir, sep) >= PATH_LEN)
			usage();
		write_marker(path, o.marker_text);
	}
	clock_cost();
	if (strcmp(cmd, "meta"))
		run_io(&o, dir);
	if (strcmp(cmd, "io"))
		run_meta(&o, dir);
	printf("fsbench: done\n");
	fflush(stdout);
	return 0;
}
