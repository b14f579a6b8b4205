/*
 * fs_read: read the tree tests/fs/run-tests makes under /read and report
 * what the guest sees, for the harness to compare with the host:
 *   fstest: sum PATH SIZE HASH           FNV-1a of the whole file
 *   fstest: sumat PATH OFF LEN HASH      of a pread range
 *   fstest: stat|lstat PATH mode=.. size=.. nlink=.. ino=.. uid=.. gid=.. mtime=S.N
 *   fstest: seek PATH DATA|HOLE OFF RESULT
 *   fstest: statfs PATH bsize=.. frsize=.. blocks=.. files=.. namelen=..
 * What the guest can check alone (symlinks, hard links, the 10 000-entry
 * directory, offsets) it checks itself.
 *
 *   tests/fs/run-tests read
 */
#include <stdint.h>
#include <string.h>

#include "fs/vfs.h"
#include "kernel/kprintf.h"
#include "kernel/selftest.h"
#include "tests/guest/check.h"
#include "tests/guest/fstest.h"

#define MANY_N 10000            /* entries of /read/many: n00000x... */
#define BIG64 (64ul << 20)
#define SPARSE_SIZE (4ul << 20)

static void print_sum(const char *path, uint64_t size, uint64_t hash)
{
	kprintf("fstest: sum %s %lu %016lx\n", path, size, hash);
}

/* Whole files, read in 64 KiB calls; size -1: not known to the guest. */
static const struct {
	const char *path;
	int64_t size;
} files[] = {
	{ "/read/empty", 0 },
	{ "/read/one", 1 },
	{ "/read/f4095", 4095 },
	{ "/read/f4096", 4096 },
	{ "/read/f4097", 4097 },
	{ "/read/d1/d2/d3/deep.txt", -1 },
	{ "/read/hard1", 5000 },
	{ "/read/hard2", 5000 },
	{ "/read/sparse", (int64_t)SPARSE_SIZE },
	{ "/read/link_rel", -1 },               /* -> d1/d2/d3/deep.txt */
	{ "/read/link_abs", 4096 },             /* -> /read/f4096 */
	{ "/read/link_dir/d2/d3/deep.txt", -1 },/* link_dir -> d1 */
	{ "/read/link_dir/../f4097", 4097 },    /* ".." of the link's target */
	{ "/read/./d1/../d1/d2/./d3//deep.txt", -1 },
};

static void case_sums(void)
{
	unsigned char *buf = fstest_buf();

	CHECK_THAT(buf, "expected a 2 MiB buffer, saw none");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		uint64_t size, hash;

		CHECK_ERR(0, fstest_hash_file(files[i].path, buf, 65536, &size, &hash));
		if (files[i].size >= 0)
			CHECK_THAT(size == (uint64_t)files[i].size, "expected %s to be %ld bytes, saw %lu",
				   files[i].path, files[i].size, size);
		print_sum(files[i].path, size, hash);
	}
}

/* 64 MiB in reads of 1 MiB + 13 bytes (each crosses a FUSE READ
 * boundary), then preads at odd offsets. */
static void case_big64(void)
{
	unsigned char *buf = fstest_buf();
	static const struct { int64_t off, len; } ranges[] = {
		{ 0, 1 }, { 4095, 4098 }, { 1048575, 1048578 }, { 33554431, 2097152 },
		{ (int64_t)BIG64 - 100, 1000 }, { (int64_t)BIG64, 10 }, { (int64_t)BIG64 + 4096, 10 },
	};
	uint64_t size, hash;
	struct file *f;

	CHECK_THAT(buf, "expected a 2 MiB buffer, saw none");
	CHECK_ERR(0, fstest_hash_file("/read/big64", buf, (1u << 20) + 13, &size, &hash));
	CHECK_INT(BIG64, size);
	print_sum("/read/big64", size, hash);
	CHECK_ERR(0, vfs_open(NULL, "/read/big64", O_RDONLY, 0, &f));
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		ssize_t n = vfs_pread(f, buf, (size_t)ranges[i].len, ranges[i].off);
		int64_t want = ranges[i].off >= (int64_t)BIG64 ? 0 :
			       ranges[i].off + ranges[i].len > (int64_t)BIG64 ? (int64_t)BIG64 - ranges[i].off :
			       ranges[i].len;

		CHECK_THAT(n == want, "expected pread(%ld, %ld) to give %ld bytes, saw %ld",
			   ranges[i].off, ranges[i].len, want, n);
		kprintf("fstest: sumat /read/big64 %ld %ld %016lx\n", ranges[i].off, n,
			fnv1a(FNV_INIT, buf, (size_t)n));
	}
	CHECK_INT(0, vfs_lseek(f, 0, SEEK_CUR));        /* pread leaves the offset */
	CHECK_ERR(0, vfs_close(f));
}

/* Reads in odd sizes, and preads in reverse order, agree with one read. */
static void case_odd_chunks(void)
{
	static const char *const paths[] = {
		"/read/empty", "/read/one", "/read/f4095", "/read/f4096", "/read/f4097",
		"/read/hard1", "/read/d1/d2/d3/deep.txt",
	};
	static const size_t chunks[] = { 1, 3, 511, 4095, 4097, 65537 };
	unsigned char *buf = fstest_buf(), *whole = buf + (1u << 20);

	CHECK_THAT(buf, "expected a 2 MiB buffer, saw none");
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		uint64_t size0, hash0, size, hash;
		struct file *f;
		ssize_t n;

		CHECK_ERR(0, fstest_hash_file(paths[i], buf, 65536, &size0, &hash0));
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			CHECK_ERR(0, fstest_hash_file(paths[i], buf, chunks[c], &size, &hash));
			CHECK_THAT(size == size0 && hash == hash0,
				   "expected %s in %zu-byte reads to hash like one read (%lu %016lx), saw %lu %016lx",
				   paths[i], chunks[c], size0, hash0, size, hash);
		}
		/* 1000-byte preads from the end towards the start. */
		CHECK_ERR(0, vfs_open(NULL, paths[i], O_RDONLY, 0, &f));
		for (int64_t off = ((int64_t)size0 - 1) / 1000 * 1000; off >= 0 && size0; off -= 1000) {
			size_t want = size0 - (uint64_t)off < 1000 ? (size_t)(size0 - (uint64_t)off) : 1000;
			n = vfs_pread(f, whole + off, 1000, off);
			CHECK_THAT(n == (ssize_t)want, "expected pread(%s, 1000, %ld) = %zu, saw %ld",
				   paths[i], off, want, n);
		}
		vfs_close(f);
		hash = fnv1a(FNV_INIT, whole, size0);
		CHECK_THAT(hash == hash0, "expected %s read backwards by pread to hash %016lx, saw %016lx",
			   paths[i], hash0, hash);
	}
}

/* Short read at the end, then 0; the offset stops at the end. */
static void case_eof(void)
{
	unsigned char *buf = fstest_buf();
	struct file *f;

	CHECK_ERR(0, vfs_open(NULL, "/read/f4095", O_RDONLY, 0, &f));
	CHECK_INT(4095, vfs_read(f, buf, 10000));
	CHECK_INT(0, vfs_read(f, buf, 10000));
	CHECK_INT(4095, vfs_lseek(f, 0, SEEK_CUR));
	CHECK_INT(0, vfs_pread(f, buf, 10, 4095));
	CHECK_INT(0, vfs_pread(f, buf, 10, 1 << 20));
	CHECK_INT(1, vfs_pread(f, buf, 10, 4094));
	CHECK_INT(0, vfs_read(f, buf, 0));
	CHECK_ERR(0, vfs_close(f));
}

static void print_stat(const char *what, const char *path, const struct stat *st)
{
	kprintf("fstest: %s %s mode=0%o size=%ld nlink=%lu ino=%lu uid=%u gid=%u mtime=%ld.%09ld\n",
		what, path, st->st_mode, st->st_size, (unsigned long)st->st_nlink,
		(unsigned long)st->st_ino, st->st_uid, st->st_gid, st->st_mtim.tv_sec,
		st->st_mtim.tv_nsec);
}

/* stat and lstat of everything; the harness compares with os.stat. */
static void case_stat(void)
{
	static const char *const paths[] = {
		"/read", "/read/d1", "/read/d1/d2/d3", "/read/many", "/read/empty", "/read/one",
		"/read/f4095", "/read/f4096", "/read/f4097", "/read/big64", "/read/hard1",
		"/read/hard2", "/read/sparse", "/read/d1/d2/d3/deep.txt", "/read/link_rel",
		"/read/link_abs", "/read/link_dir", "/read/dangling", "/read/loop_a",
	};
	struct stat st, fst;
	struct file *f;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		CHECK_ERR(0, vfs_stat(NULL, paths[i], &st, VFS_NOFOLLOW));
		print_stat("lstat", paths[i], &st);
		if (S_ISLNK(st.st_mode) && (!strcmp(paths[i], "/read/dangling") ||
					   !strcmp(paths[i], "/read/loop_a")))
			continue;
		CHECK_ERR(0, vfs_stat(NULL, paths[i], &st, 0));
		print_stat("stat", paths[i], &st);
	}
	/* fstat of an open file agrees with stat. */
	CHECK_ERR(0, vfs_stat(NULL, "/read/f4097", &st, 0));
	CHECK_ERR(0, vfs_open(NULL, "/read/f4097", O_RDONLY, 0, &f));
	CHECK_ERR(0, vfs_fstat(f, &fst));
	vfs_close(f);
	CHECK_INT(st.st_ino, fst.st_ino);
	CHECK_INT(st.st_size, fst.st_size);
	CHECK_INT(st.st_mode, fst.st_mode);
	CHECK_INT(st.st_dev, fst.st_dev);
	/* VFS_EMPTY_PATH on an O_PATH handle is the handle's node. */
	CHECK_ERR(0, vfs_open(NULL, "/read/f4096", O_PATH, 0, &f));
	CHECK_ERR(0, vfs_stat(f, "", &fst, VFS_EMPTY_PATH));
	vfs_close(f);
	CHECK_INT(4096, fst.st_size);
	CHECK_THAT(S_ISREG(fst.st_mode), "expected a regular file, saw mode 0%o", fst.st_mode);
}

static void case_hardlink(void)
{
	struct stat a, b;

	CHECK_ERR(0, vfs_stat(NULL, "/read/hard1", &a, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/read/hard2", &b, 0));
	CHECK_INT(a.st_ino, b.st_ino);
	CHECK_INT(2, a.st_nlink);
	CHECK_INT(2, b.st_nlink);
	CHECK_INT(a.st_dev, b.st_dev);
}

static void case_readlink(void)
{
	static const struct { const char *path, *target; } links[] = {
		{ "/read/link_rel", "d1/d2/d3/deep.txt" },
		{ "/read/link_abs", "/read/f4096" },
		{ "/read/link_dir", "d1" },
		{ "/read/dangling", "does-not-exist" },
		{ "/read/loop_a", "loop_b" },
		{ "/read/loop_b", "loop_a" },
	};
	char buf[256];
	struct stat st;

	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		ssize_t n = vfs_readlink(NULL, links[i].path, buf, sizeof(buf) - 1);

		CHECK_INT(strlen(links[i].target), n);
		buf[n] = 0;
		CHECK_STR(links[i].target, buf);
		CHECK_ERR(0, vfs_stat(NULL, links[i].path, &st, VFS_NOFOLLOW));
		CHECK_INT(n, st.st_size);
	}
	/* Truncated to the buffer, no NUL added. */
	memset(buf, '#', sizeof(buf));
	CHECK_INT(3, vfs_readlink(NULL, "/read/link_rel", buf, 3));
	CHECK_BYTES("d1/#", buf, 4);
}

static void case_symlinks(void)
{
	struct stat st;
	struct file *f;

	CHECK_ERR(-ENOENT, vfs_stat(NULL, "/read/dangling", &st, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/read/dangling", &st, VFS_NOFOLLOW));
	CHECK_THAT(S_ISLNK(st.st_mode), "expected a symlink, saw mode 0%o", st.st_mode);
	CHECK_ERR(-ELOOP, vfs_stat(NULL, "/read/loop_a", &st, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/read/link_dir", &st, 0));
	CHECK_THAT(S_ISDIR(st.st_mode), "expected link_dir to lead to a directory, saw mode 0%o", st.st_mode);
	CHECK_ERR(0, vfs_stat(NULL, "/read/link_dir/", &st, VFS_NOFOLLOW));
	CHECK_THAT(S_ISDIR(st.st_mode), "expected link_dir/ to be the directory, saw mode 0%o", st.st_mode);
	CHECK_ERR(0, vfs_stat(NULL, "/read/link_dir", &st, VFS_NOFOLLOW));
	CHECK_THAT(S_ISLNK(st.st_mode), "expected lstat(link_dir) a symlink, saw mode 0%o", st.st_mode);
	CHECK_ERR(0, vfs_open(NULL, "/read/link_dir", O_RDONLY | O_DIRECTORY, 0, &f));
	vfs_close(f);
	CHECK_ERR(0, vfs_open(NULL, "/read/link_rel", O_RDONLY | O_PATH | O_NOFOLLOW, 0, &f));
	CHECK_ERR(0, vfs_fstat(f, &st));
	vfs_close(f);
	CHECK_THAT(S_ISLNK(st.st_mode), "expected O_PATH|O_NOFOLLOW to open the link, saw mode 0%o",
		   st.st_mode);
	/* Relative to an open directory (the *at() calls). */
	CHECK_ERR(0, vfs_open(NULL, "/read/d1", O_RDONLY | O_DIRECTORY, 0, &f));
	CHECK_ERR(0, vfs_stat(f, "d2/d3/deep.txt", &st, 0));
	CHECK_ERR(0, vfs_stat(f, "../link_abs", &st, 0));
	vfs_close(f);
	CHECK_INT(4096, st.st_size);
}

/* The names of /read/many: "n%05d" then i % 37 x's. -1 if not one. */
static int many_index(const char *name)
{
	int i = 0;
	size_t len = strlen(name);

	if (len < 6 || name[0] != 'n')
		return -1;
	for (int k = 1; k <= 5; k++) {
		if (name[k] < '0' || name[k] > '9')
			return -1;
		i = i * 10 + (name[k] - '0');
	}
	if (i >= MANY_N || len != 6 + (size_t)(i % 37))
		return -1;
	for (size_t k = 6; k < len; k++)
		if (name[k] != 'x')
			return -1;
	return i;
}

static uint8_t seen[MANY_N];

/* Read the open directory to its end in getdents calls of bufsize bytes
 * (at most `calls` calls if > 0), counting names in seen[]. */
static void scan_dir(struct file *d, unsigned char *buf, size_t bufsize, int calls, int *dots,
		     int *total)
{
	ssize_t n;

	while (calls-- != 0 && (n = vfs_getdents(d, buf, bufsize)) != 0) {
		CHECK_THAT(n > 0, "expected getdents(%zu) to succeed, saw %ld", bufsize, n);
		for (ssize_t pos = 0; pos < n;) {
			uint16_t reclen;
			uint8_t type;
			const char *name = (const char *)buf + pos + 19;
			int i;

			memcpy(&reclen, buf + pos + 16, 2);
			type = buf[pos + 18];
			CHECK_THAT(reclen >= 24 && reclen % 8 == 0 && pos + reclen <= n,
				   "expected a whole 8-aligned record at %ld of %ld, saw reclen %u",
				   pos, n, reclen);
			pos += reclen;
			(*total)++;
			if (!strcmp(name, ".") || !strcmp(name, "..")) {
				(*dots)++;
				CHECK_THAT(type == DT_DIR, "expected %s to be DT_DIR, saw %u", name, type);
				continue;
			}
			i = many_index(name);
			CHECK_THAT(i >= 0, "expected names n%%05d+x..., saw \"%s\"", name);
			CHECK_THAT(!seen[i], "expected \"%s\" once, saw it again", name);
			CHECK_THAT(type == DT_REG, "expected %s to be DT_REG, saw %u", name, type);
			seen[i] = 1;
		}
	}
}

static void check_all_seen(int dots, int total)
{
	for (int i = 0; i < MANY_N; i++)
		CHECK_THAT(seen[i], "expected entry n%05d, saw it missing (%d entries read)", i, total);
	CHECK_INT(2, dots);
	CHECK_INT(MANY_N + 2, total);
}

static void getdents_with(size_t bufsize)
{
	static unsigned char buf[65536];
	struct file *d;
	int dots = 0, total = 0;

	memset(seen, 0, sizeof(seen));
	CHECK_ERR(0, vfs_open(NULL, "/read/many", O_RDONLY | O_DIRECTORY, 0, &d));
	CHECK_CALL(scan_dir(d, buf, bufsize, -1, &dots, &total));
	CHECK_INT(0, vfs_getdents(d, buf, bufsize));    /* still at the end */
	CHECK_ERR(0, vfs_close(d));
	CHECK_CALL(check_all_seen(dots, total));
}

static void case_getdents_large(void) { getdents_with(65536); }
/* 80 bytes: one or two records a call (the longest, 42-byte names, take 64). */
static void case_getdents_small(void) { getdents_with(80); }

/* Part of the directory, rewind, then all of it. */
static void case_getdents_rewind(void)
{
	static unsigned char buf[4096];
	struct file *d;
	int dots = 0, total = 0;
	struct stat st;

	CHECK_ERR(0, vfs_open(NULL, "/read/many", O_RDONLY | O_DIRECTORY, 0, &d));
	memset(seen, 0, sizeof(seen));
	CHECK_CALL(scan_dir(d, buf, sizeof(buf), 3, &dots, &total));
	CHECK_THAT(total > 0 && total < MANY_N, "expected part of the directory, saw %d entries", total);
	CHECK_INT(0, vfs_lseek(d, 0, SEEK_SET));
	memset(seen, 0, sizeof(seen));
	dots = total = 0;
	CHECK_CALL(scan_dir(d, buf, sizeof(buf), -1, &dots, &total));
	CHECK_CALL(check_all_seen(dots, total));
	/* d_ino is the file's st_ino. */
	CHECK_INT(0, vfs_lseek(d, 0, SEEK_SET));
	ssize_t n = CHECK_OK(vfs_getdents(d, buf, sizeof(buf)));
	vfs_close(d);
	for (ssize_t pos = 0;; ) {
		CHECK_THAT(pos < n, "expected an n%%05d entry among the first %ld bytes, saw none", n);
		uint64_t ino;
		uint16_t reclen;
		const char *name = (const char *)buf + pos + 19;

		memcpy(&ino, buf + pos, 8);
		memcpy(&reclen, buf + pos + 16, 2);
		if (many_index(name) >= 0) {
			char path[80];
			ksnprintf(path, sizeof(path), "/read/many/%s", name);
			CHECK_ERR(0, vfs_stat(NULL, path, &st, 0));
			CHECK_INT(st.st_ino, ino);
			break;
		}
		pos += reclen;
	}
}

/* SEEK_SET/CUR/END on a plain file; SEEK_DATA/HOLE on /read/sparse
 * (data at [0, 4 KiB) and [1 MiB, 1 MiB + 4 KiB), 4 MiB long). */
static void case_seek(void)
{
	static const int64_t offs[] = {
		0, 100, 4095, 4096, 8192, 1048575, 1048576, 1048576 + 4095, 1048576 + 4096,
		(int64_t)SPARSE_SIZE - 1, (int64_t)SPARSE_SIZE, (int64_t)SPARSE_SIZE + 5000,
	};
	unsigned char b[8], want[8];
	struct file *f;

	CHECK_ERR(0, vfs_open(NULL, "/read/f4097", O_RDONLY, 0, &f));
	CHECK_INT(4097, vfs_lseek(f, 0, SEEK_END));
	CHECK_INT(4087, vfs_lseek(f, -10, SEEK_END));
	CHECK_INT(4, vfs_read(f, b, 4));
	CHECK_INT(4091, vfs_lseek(f, 0, SEEK_CUR));
	CHECK_INT(4081, vfs_lseek(f, -10, SEEK_CUR));
	CHECK_INT(10000, vfs_lseek(f, 10000, SEEK_SET));        /* past the end is allowed */
	CHECK_INT(0, vfs_read(f, b, 4));
	CHECK_ERR(-EINVAL, vfs_lseek(f, -1, SEEK_SET));
	CHECK_ERR(-EINVAL, vfs_lseek(f, -5000, SEEK_END));
	CHECK_INT(10000, vfs_lseek(f, 0, SEEK_CUR));            /* failed seeks move nothing */
	CHECK_ERR(-EINVAL, vfs_lseek(f, 0, 7));
	CHECK_ERR(0, vfs_close(f));

	CHECK_ERR(0, vfs_open(NULL, "/read/sparse", O_RDONLY, 0, &f));
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		for (int w = SEEK_DATA; w <= SEEK_HOLE; w++) {
			off_t r = vfs_lseek(f, offs[i], w);

			kprintf("fstest: seek /read/sparse %s %ld %ld\n", w == SEEK_DATA ? "DATA" : "HOLE",
				offs[i], r);
			if (offs[i] >= (int64_t)SPARSE_SIZE ||
			    (w == SEEK_DATA && offs[i] >= 1048576 + 4096 && r == -ENXIO))
				CHECK_ERR(-ENXIO, r);   /* past the end, or in the final hole */
			else
				CHECK_THAT(r >= offs[i] && r <= (int64_t)SPARSE_SIZE,
					   "expected lseek(%ld, %s) in [%ld, %lu], saw %ld", offs[i],
					   w == SEEK_DATA ? "SEEK_DATA" : "SEEK_HOLE", offs[i], SPARSE_SIZE, r);
			/* The offset moved there: data read at it is the file's. */
			if (r >= 0 && r < (off_t)SPARSE_SIZE) {
				CHECK_INT(r, vfs_lseek(f, 0, SEEK_CUR));
				CHECK_INT(r + 4 <= (off_t)SPARSE_SIZE ? 4 : (off_t)SPARSE_SIZE - r, vfs_read(f, b, 4));
				if (w == SEEK_DATA && (r <= 4096 - 4 || (r >= 1048576 && r <= 1048576 + 4096 - 4))) {
					pat_fill(9, (uint64_t)r, want, 4);
					CHECK_BYTES(want, b, 4);
				}
			}
		}
	}
	CHECK_ERR(0, vfs_close(f));
}

static void case_statfs(void)
{
	struct statfs sf, sf2;
	struct file *f;

	CHECK_ERR(0, vfs_statfs(NULL, "/read", &sf));
	kprintf("fstest: statfs /read bsize=%ld frsize=%ld blocks=%lu files=%lu namelen=%ld\n",
		(long)sf.f_bsize, (long)sf.f_frsize, (unsigned long)sf.f_blocks,
		(unsigned long)sf.f_files, (long)sf.f_namelen);
	CHECK_INT(0x65735546, sf.f_type);
	CHECK_INT(255, sf.f_namelen);
	CHECK_THAT(sf.f_bsize > 0 && sf.f_blocks > 0 && sf.f_bfree <= sf.f_blocks,
		   "expected bsize > 0, blocks > 0, bfree <= blocks, saw %ld %lu %lu",
		   (long)sf.f_bsize, (unsigned long)sf.f_blocks, (unsigned long)sf.f_bfree);
	CHECK_ERR(0, vfs_open(NULL, "/read/one", O_RDONLY, 0, &f));
	CHECK_ERR(0, vfs_fstatfs(f, &sf2));
	vfs_close(f);
	CHECK_INT(sf.f_blocks, sf2.f_blocks);
	CHECK_INT(sf.f_bsize, sf2.f_bsize);
}

static int run(const struct cmdline *cl)
{
	check_begin(cl, "fs_read");
	CHECK_RUN(sums);
	CHECK_RUN(big64);
	CHECK_RUN(odd_chunks);
	CHECK_RUN(eof);
	CHECK_RUN(stat);
	CHECK_RUN(hardlink);
	CHECK_RUN(readlink);
	CHECK_RUN(symlinks);
	CHECK_RUN(getdents_large);
	CHECK_RUN(getdents_small);
	CHECK_RUN(getdents_rewind);
	CHECK_RUN(seek);
	CHECK_RUN(statfs);
	return check_end();
}
SELFTEST_SUITE("fs_read", run);
