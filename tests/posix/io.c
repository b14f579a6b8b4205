/*
 * Offsets, holes and SEEK_DATA/SEEK_HOLE, truncation, large sparse files,
 * big transfers, vectored I/O, fallocate, sync.
 *
 * Hole offsets assume the host file system allocates in 4 KiB units (tmpfs
 * without huge pages, ext4/xfs/btrfs with 4 KiB blocks): both halves run
 * over the same kind of file system, so the diff holds either way.
 */
#include "posix.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

static char buf[1 << 16];

void case_offsets(void)
{
	int fd = open("f", O_RDWR | O_CREAT, 0644);
	long n;

	say("write", "%s", R(write(fd, "0123456789", 10)));
	say("offset_after_write", "%s", LSEEK(fd, 0, SEEK_CUR));
	say("set_3", "%s", LSEEK(fd, 3, SEEK_SET));
	say("read_2", "%s", READ(fd, 2));
	say("cur_minus_1", "%s", LSEEK(fd, -1, SEEK_CUR));
	say("cur_0", "%s", LSEEK(fd, 0, SEEK_CUR));
	say("end_0", "%s", LSEEK(fd, 0, SEEK_END));
	say("end_minus_4", "%s", LSEEK(fd, -4, SEEK_END));
	say("read_to_eof", "%s", READ(fd, 10));
	say("read_at_eof", "%s", READ(fd, 10));
	say("set_negative", "%s", LSEEK(fd, -1, SEEK_SET));
	say("cur_after_einval", "%s", LSEEK(fd, 0, SEEK_CUR));
	say("cur_minus_100", "%s", LSEEK(fd, -100, SEEK_CUR));
	say("end_minus_11", "%s", LSEEK(fd, -11, SEEK_END));
	say("whence_99", "%s", LSEEK(fd, 0, 99));
	say("pread_keeps_offset", "%s", PREAD(fd, 4, 2));
	say("cur_after_pread", "%s", LSEEK(fd, 0, SEEK_CUR));
	say("pwrite", "%s", R(pwrite(fd, "AB", 2, 4)));
	say("cur_after_pwrite", "%s", LSEEK(fd, 0, SEEK_CUR));
	say("pread_negative", "%s", R(pread(fd, buf, 1, -1)));
	say("pwrite_negative", "%s", R(pwrite(fd, "x", 1, -1)));
	say("pwrite_offset_overflow", "%s", R(pwrite(fd, "xy", 2, LLONG_MAX)));

	/* Past the end: reads see nothing, a write extends with zeros. */
	say("set_100", "%s", LSEEK(fd, 100, SEEK_SET));
	say("read_past_eof", "%s", READ(fd, 10));
	say("size_unchanged", "%s", FST(fd));
	say("write_at_100", "%s", R(write(fd, "x", 1)));
	say("size_after", "%s", FST(fd));
	n = pread(fd, buf, sizeof(buf), 0);
	say("pread_all", "%s", R(n));
	say("gap_zeros", "%s", yes(n == 101 && all_zero(buf + 10, 90)));
	say("content_head", "%s", q(buf, 10));
	say("end_plus_10", "%s", LSEEK(fd, 10, SEEK_END));
	close(fd);
}

/* Two descriptors of one file see each other's changes at once, and so
 * does a lookup by name (cache=none in remora; the page cache natively). */
void case_coherence(void)
{
	int w = open("f", O_RDWR | O_CREAT, 0644), r = open("f", O_RDONLY), a1, a2;

	say("write", "%s", R(write(w, "abc", 3)));
	say("other_fd_reads", "%s", PREAD(r, 10, 0));
	say("stat_by_name", "%s", ST("f"));
	say("pwrite_far", "%s", R(pwrite(w, "Z", 1, 10)));
	say("other_fd_fstat", "%s", FST(r));
	say("truncate_by_name", "%s", R(truncate("f", 1)));
	say("other_fd_after_truncate", "%s", PREAD(r, 10, 0));
	say("writer_offset_kept", "%s", LSEEK(w, 0, SEEK_CUR));
	close(w);
	close(r);
	a1 = open("f", O_WRONLY | O_APPEND);
	a2 = open("f", O_WRONLY | O_APPEND);
	say("append_1", "%s", R(write(a1, "1", 1)));
	say("append_2", "%s", R(write(a2, "2", 1)));
	say("append_3", "%s", R(write(a1, "3", 1)));
	say("append_offsets", "%s", LSEEK(a2, 0, SEEK_CUR));
	close(a1);
	close(a2);
	say("content", "%s", CONTENT("f"));
	/* replaced by name while open: the descriptor keeps the old file */
	r = open("f", O_RDONLY);
	mkfile("g", "new");
	must(rename("g", "f"), "rename");
	say("old_fd_after_replace", "%s", PREAD(r, 10, 0));
	say("name_after_replace", "%s", CONTENT("f"));
	close(r);
}

void case_holes(void)
{
	int fd = open("h", O_RDWR | O_CREAT, 0644);
	struct stat st;
	long n;

	/* data [0,10), 1 byte at 128 KiB, size 1 MiB: holes in 4 KiB units */
	say("write_head", "%s", R(pwrite(fd, "AAAAAAAAAA", 10, 0)));
	say("write_mid", "%s", R(pwrite(fd, "B", 1, 128 * KiB)));
	say("ftruncate_1m", "%s", R(ftruncate(fd, MiB)));
	say("stat", "%s", FST(fd));
	fstat(fd, &st);
	say("sparse", "%s", yes(st.st_blocks * 512 < MiB / 2));
	say("data_0", "%s", LSEEK(fd, 0, SEEK_DATA));
	say("hole_0", "%s", LSEEK(fd, 0, SEEK_HOLE));
	say("data_4096", "%s", LSEEK(fd, 4096, SEEK_DATA));
	say("data_5000", "%s", LSEEK(fd, 5000, SEEK_DATA));
	say("hole_5000", "%s", LSEEK(fd, 5000, SEEK_HOLE));
	say("hole_128k", "%s", LSEEK(fd, 128 * KiB, SEEK_HOLE));
	say("data_132k", "%s", LSEEK(fd, 132 * KiB, SEEK_DATA));
	say("hole_132k", "%s", LSEEK(fd, 132 * KiB, SEEK_HOLE));
	say("hole_last_byte", "%s", LSEEK(fd, MiB - 1, SEEK_HOLE));
	say("data_at_size", "%s", LSEEK(fd, MiB, SEEK_DATA));
	say("hole_at_size", "%s", LSEEK(fd, MiB, SEEK_HOLE));
	say("data_negative", "%s", LSEEK(fd, -1, SEEK_DATA));
	say("offset_after_seeks", "%s", LSEEK(fd, 0, SEEK_CUR));
	n = pread(fd, buf, 4096, 4096);
	say("read_hole", "%s %s", R(n), yes(all_zero(buf, n)));
	say("read_around_mid", "%s", PREAD(fd, 4, 128 * KiB - 2));
	say("read_tail_hole", "%s", PREAD(fd, 8, MiB - 8));
	close(fd);

	/* Only a hole; empty; data to the end. */
	fd = open("allhole", O_RDWR | O_CREAT, 0644);
	say("allhole_ftruncate", "%s", R(ftruncate(fd, 64 * KiB)));
	say("allhole_stat", "%s", FST(fd));
	say("allhole_data_0", "%s", LSEEK(fd, 0, SEEK_DATA));
	say("allhole_hole_0", "%s", LSEEK(fd, 0, SEEK_HOLE));
	close(fd);
	fd = open("empty", O_RDWR | O_CREAT, 0644);
	say("empty_data_0", "%s", LSEEK(fd, 0, SEEK_DATA));
	say("empty_hole_0", "%s", LSEEK(fd, 0, SEEK_HOLE));
	close(fd);
	fd = open("full", O_RDWR | O_CREAT, 0644);
	memset(buf, 'z', 5000);
	say("full_write", "%s", R(write(fd, buf, 5000)));
	say("full_data_0", "%s", LSEEK(fd, 0, SEEK_DATA));
	say("full_hole_0", "%s", LSEEK(fd, 0, SEEK_HOLE));
	say("full_hole_4999", "%s", LSEEK(fd, 4999, SEEK_HOLE));
	close(fd);

	/* A hole made by writing past the end. */
	fd = open("gap", O_RDWR | O_CREAT, 0644);
	say("gap_write_far", "%s", R(pwrite(fd, "end", 3, 256 * KiB)));
	say("gap_stat", "%s", FST(fd));
	say("gap_data_0", "%s", LSEEK(fd, 0, SEEK_DATA));
	say("gap_hole_0", "%s", LSEEK(fd, 0, SEEK_HOLE));
	n = pread(fd, buf, sizeof(buf), 0);
	say("gap_read_zeros", "%s %s", R(n), yes(all_zero(buf, n)));
	close(fd);
}

void case_truncate(void)
{
	int fd = open("f", O_RDWR | O_CREAT, 0644), ro;

	say("write", "%s", R(write(fd, "abcdefghij", 10)));
	say("ftruncate_shrink", "%s", R(ftruncate(fd, 4)));
	say("after_shrink", "%s", PREAD(fd, 20, 0));
	say("ftruncate_grow", "%s", R(ftruncate(fd, 8)));
	say("after_grow", "%s", PREAD(fd, 20, 0));
	say("truncate_path_shrink", "%s", R(truncate("f", 2)));
	say("after_path_shrink", "%s", PREAD(fd, 20, 0));
	say("truncate_path_grow", "%s", R(truncate("f", 100000)));
	say("after_path_grow", "%s", FST(fd));
	say("offset_unchanged", "%s", LSEEK(fd, 0, SEEK_CUR));
	/* the offset stays past the new end: the next write leaves a gap */
	say("ftruncate_5", "%s", R(ftruncate(fd, 5)));
	say("write_at_old_offset", "%s", R(write(fd, "Z", 1)));
	say("stat_after_gap_write", "%s", FST(fd));
	say("tail", "%s", PREAD(fd, 10, 5));
	say("ftruncate_0", "%s", R(ftruncate(fd, 0)));
	say("stat_zero", "%s", FST(fd));
	say("ftruncate_negative", "%s", R(ftruncate(fd, -1)));
	close(fd);

	ro = open("f", O_RDONLY);
	say("ftruncate_rdonly", "%s", R(ftruncate(ro, 0)));
	close(ro);
	fd = open("f", O_WRONLY | O_APPEND);
	say("ftruncate_append", "%s", R(ftruncate(fd, 3)));
	close(fd);
	say("stat_after_append_trunc", "%s", ST("f"));
	mkdir_p("d");
	say("truncate_dir", "%s", R(truncate("d", 0)));
	say("truncate_missing", "%s", R(truncate("nope", 0)));
	say("truncate_negative", "%s", R(truncate("f", -5)));
	must(symlink("f", "lf"), "symlink");
	say("truncate_via_symlink", "%s", R(truncate("lf", 7)));
	say("stat_via_symlink", "%s", ST("f"));
	say("symlink_unchanged", "%s", LST("lf"));
}

void case_large(void)
{
	int fd = open("big", O_RDWR | O_CREAT, 0644);
	struct stat st;

	/* across 4 GiB (a 32-bit offset would wrap) */
	say("pwrite_4g", "%s", R(pwrite(fd, "abcd", 4, 4 * GiB - 2)));
	say("stat_4g", "%s", FST(fd));
	say("pread_4g", "%s", PREAD(fd, 4, 4 * GiB - 2));
	say("pread_4g_tail", "%s", PREAD(fd, 8, 4 * GiB - 4));
	say("end_4g", "%s", LSEEK(fd, 0, SEEK_END));
	/* at 1 TiB */
	say("pwrite_1t", "%s", R(pwrite(fd, "XYZ", 3, TiB)));
	say("stat_1t", "%s", FST(fd));
	fstat(fd, &st);
	say("sparse", "%s", yes(st.st_blocks * 512 < MiB));
	say("end_1t", "%s", LSEEK(fd, 0, SEEK_END));
	say("data_0", "%s", LSEEK(fd, 0, SEEK_DATA));
	say("hole_4g", "%s", LSEEK(fd, 4 * GiB - 4096, SEEK_HOLE));
	say("data_after_4g", "%s", LSEEK(fd, 4 * GiB + 4096, SEEK_DATA));
	say("hole_after_1t", "%s", LSEEK(fd, TiB, SEEK_HOLE));
	say("pread_1t", "%s", PREAD(fd, 10, TiB - 2));
	say("pread_past_end", "%s", PREAD(fd, 10, TiB + 100));
	/* offsets beyond 2^31 and 2^32 through lseek arithmetic */
	say("set_3g", "%s", LSEEK(fd, 3 * GiB, SEEK_SET));
	say("cur_plus_2g", "%s", LSEEK(fd, 2 * GiB, SEEK_CUR));
	say("set_2t", "%s", LSEEK(fd, 2 * TiB, SEEK_SET));
	say("read_past_end", "%s", READ(fd, 4));
	say("write_2t", "%s", R(write(fd, "q", 1)));
	say("stat_2t", "%s", FST(fd));
	say("offset_2t", "%s", LSEEK(fd, 0, SEEK_CUR));
	/* shrink below each piece in turn */
	say("ftruncate_1_5t", "%s", R(ftruncate(fd, TiB + TiB / 2)));
	say("stat_1_5t", "%s", FST(fd));
	say("pread_1t_again", "%s", PREAD(fd, 3, TiB));
	say("ftruncate_5g", "%s", R(ftruncate(fd, 5 * GiB)));
	say("stat_5g", "%s", FST(fd));
	say("pread_1t_gone", "%s", PREAD(fd, 3, TiB));
	say("pread_4g_kept", "%s", PREAD(fd, 4, 4 * GiB - 2));
	say("ftruncate_3g", "%s", R(ftruncate(fd, 3 * GiB)));
	say("pread_4g_gone", "%s", PREAD(fd, 4, 4 * GiB - 2));
	say("stat_3g", "%s", FST(fd));
	close(fd);

	fd = open("grown", O_RDWR | O_CREAT, 0644);
	close(fd);
	say("truncate_path_1t", "%s", R(truncate("grown", TiB + 1)));
	say("stat_grown", "%s", ST("grown"));
	fd = open("grown", O_RDONLY);
	say("grown_read_end", "%s", PREAD(fd, 4, TiB - 1));
	say("grown_data_0", "%s", LSEEK(fd, 0, SEEK_DATA));
	close(fd);
	/* O_APPEND at a large size */
	fd = open("grown", O_WRONLY | O_APPEND);
	say("append_large", "%s", R(write(fd, "tail", 4)));
	say("append_large_offset", "%s", LSEEK(fd, 0, SEEK_CUR));
	close(fd);
	say("stat_appended", "%s", ST("grown"));
}

/* One write and one read far larger than a FUSE request (1 MiB on Debian's
 * virtiofsd), at an odd offset. */
void case_bigio(void)
{
	const long n = 3 * MiB + 5;
	unsigned char *p = malloc((size_t)n), *r = malloc((size_t)n + 100);
	int fd = open("f", O_RDWR | O_CREAT, 0644);
	long got;

	for (long i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + (i >> 8) * 13 + 1);
	say("pattern", "%s", q(p, n));
	say("pwrite", "%s", R(pwrite(fd, p, (size_t)n, 4093)));
	say("stat", "%s", FST(fd));
	got = pread(fd, r, (size_t)n + 100, 4093);
	say("pread", "%s", got < 0 ? R(got) : q(r, got));
	say("head_zeros", "%s", PREAD(fd, 8, 4088));
	say("lseek_write", "%s", LSEEK(fd, 0, SEEK_SET));
	say("write", "%s", R(write(fd, p, (size_t)n)));
	say("offset_after_write", "%s", LSEEK(fd, 0, SEEK_CUR));
	say("lseek_read", "%s", LSEEK(fd, 1, SEEK_SET));
	got = read(fd, r, (size_t)n);
	say("read", "%s", got < 0 ? R(got) : q(r, got));
	say("offset_after_read", "%s", LSEEK(fd, 0, SEEK_CUR));
	close(fd);
	free(p);
	free(r);
}

void case_iovec(void)
{
	int fd = open("f", O_RDWR | O_CREAT, 0644);
	char a[4] = { 0 }, b[8] = { 0 }, c[5] = { 0 };
	struct iovec w[3] = { { "ab", 2 }, { "", 0 }, { "cdef", 4 } };
	struct iovec r[3] = { { a, 3 }, { b, 0 }, { c, 5 } };
	struct iovec w2[2] = { { "XY", 2 }, { "Z", 1 } };
	struct iovec r2[2] = { { a, 2 }, { b, 8 } };
	long n;

	say("writev", "%s", R(writev(fd, w, 3)));
	say("offset", "%s", LSEEK(fd, 0, SEEK_CUR));
	say("pwritev", "%s", R(pwritev(fd, w2, 2, 10)));
	say("offset_after_pwritev", "%s", LSEEK(fd, 0, SEEK_CUR));
	say("stat", "%s", FST(fd));
	say("lseek_0", "%s", LSEEK(fd, 0, SEEK_SET));
	n = readv(fd, r, 3);
	say("readv", "%s %s %s", R(n), q(a, 3), q(c, 5));
	say("offset_after_readv", "%s", LSEEK(fd, 0, SEEK_CUR));
	memset(b, '.', sizeof(b));
	n = preadv(fd, r2, 2, 5);
	say("preadv", "%s %s %s", R(n), q(a, 2), q(b, 8));
	say("writev_zero_iov", "%s", R(writev(fd, w, 0)));
	say("readv_at_eof", "%s", R(preadv(fd, r, 3, 100)));
	say("content", "%s", CONTENT("f"));
	close(fd);
}

void case_fallocate(void)
{
	int fd = open("f", O_RDWR | O_CREAT, 0644), ro;
	long n;

	say("alloc_8k", "%s", R(fallocate(fd, 0, 0, 8192)));
	say("stat_8k", "%s", FST(fd));
	n = pread(fd, buf, sizeof(buf), 0);
	say("read_zeros", "%s %s", R(n), yes(all_zero(buf, n)));
	say("keep_size", "%s", R(fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192)));
	say("stat_keep_size", "%s", FST(fd));
	say("alloc_extends", "%s", R(fallocate(fd, 0, 20000, 100)));
	say("stat_extended", "%s", FST(fd));
	memset(buf, 'd', 12288);
	say("write_data", "%s", R(pwrite(fd, buf, 12288, 0)));
	say("punch", "%s", R(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096)));
	say("stat_punched", "%s", FST(fd));
	n = pread(fd, buf, 4096, 4096);
	say("punched_zeros", "%s %s", R(n), yes(all_zero(buf, n)));
	say("before_punch", "%s", PREAD(fd, 2, 4094));
	say("after_punch", "%s", PREAD(fd, 2, 8192));
	say("punch_without_keep_size", "%s", R(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096)));
	say("len_0", "%s", R(fallocate(fd, 0, 0, 0)));
	say("negative_offset", "%s", R(fallocate(fd, 0, -1, 10)));
	close(fd);
	ro = open("f", O_RDONLY);
	say("rdonly", "%s", R(fallocate(ro, 0, 0, 4096)));
	close(ro);
}

void case_sync(void)
{
	int fd = open("f", O_RDWR | O_CREAT, 0644), d = open(".", O_RDONLY | O_DIRECTORY);

	say("write", "%s", R(write(fd, "synced", 6)));
	say("fsync", "%s", R(fsync(fd)));
	say("fdatasync", "%s", R(fdatasync(fd)));
	say("fsync_dir", "%s", R(fsync(d)));
	say("syncfs", "%s", R(syncfs(fd)));
	sync();
	say("after_sync", "%s", CONTENT("f"));
	close(fd);
	close(d);
	fd = open("s", O_RDWR | O_CREAT | O_SYNC, 0644);
	say("o_sync_getfl", "%s", oflags(fcntl(fd, F_GETFL)));
	say("o_sync_write", "%s", R(write(fd, "s", 1)));
	close(fd);
}
