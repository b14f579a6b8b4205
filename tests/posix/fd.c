/*
 * Descriptors: dup, dup2, dup3, F_DUPFD, close-on-exec, F_GETFL/F_SETFL;
 * statfs; and the classic failure errnos gathered in one place.
 *
 * Descriptor numbers are host-specific (what the runner left open), so
 * they are printed only as comparisons ("lowest free: yes").
 */
#include "posix.h"

#include <limits.h>
#include <string.h>
#include <sys/statfs.h>

void case_dup(void)
{
	int fd, d, a, b, c, t, r;

	mkfile("f", "abcdefgh");
	mkfile("g", "GGGG");
	fd = open("f", O_RDWR);
	d = dup(fd);
	say("dup", "%s", FD(d));
	say("read_fd", "%s", READ(fd, 2));
	say("read_dup_shares_offset", "%s", READ(d, 2));
	say("offset_via_dup", "%s", LSEEK(d, 0, SEEK_CUR));
	say("close_original", "%s", R(close(fd)));
	say("dup_still_reads", "%s", READ(d, 2));

	/* the lowest free number */
	a = open("f", O_RDONLY);
	b = open("f", O_RDONLY);
	close(a);
	c = dup(b);
	say("lowest_free", "%s", yes(c == a));
	close(c);
	close(b);

	say("dup2_same", "%s", yes(dup2(d, d) == d));
	t = open("g", O_RDONLY);
	say("dup2_over_open", "%s", yes(dup2(d, t) == t));
	say("dup2_target_now_f", "%s", READ(t, 2));
	say("dup2_shares_offset", "%s", LSEEK(d, 0, SEEK_CUR));
	close(t);
	r = dup2(d, 200);
	say("dup2_high", "%s", yes(r == 200));
	say("dup2_high_fstat", "%s", FST(200));
	close(200);
	say("dup2_bad_old", "%s", R(dup2(-1, 201)));
	say("dup2_bad_new", "%s", R(dup2(d, -1)));
	say("dup2_new_too_big", "%s", R(dup2(d, INT_MAX)));
	say("dup3_same", "%s", R(dup3(d, d, 0)));
	say("dup3_bad_flags", "%s", R(dup3(d, 202, O_CLOEXEC | O_APPEND)));
	r = dup3(d, 202, O_CLOEXEC);
	say("dup3_cloexec", "%s", yes(r == 202));
	say("dup3_cloexec_getfd", "%s", R(fcntl(202, F_GETFD)));
	close(202);
	r = fcntl(d, F_DUPFD, 100);
	say("f_dupfd_min", "%s", yes(r >= 100));
	say("f_dupfd_getfd", "%s", R(fcntl(r, F_GETFD)));
	close(r);
	r = fcntl(d, F_DUPFD_CLOEXEC, 100);
	say("f_dupfd_cloexec_min", "%s", yes(r >= 100));
	say("f_dupfd_cloexec_getfd", "%s", R(fcntl(r, F_GETFD)));
	close(r);
	say("f_dupfd_negative", "%s", R(fcntl(d, F_DUPFD, -1)));
	close(d);

	/* close-on-exec is per descriptor, not shared by dup */
	fd = open("f", O_RDONLY | O_CLOEXEC);
	say("o_cloexec_getfd", "%s", R(fcntl(fd, F_GETFD)));
	d = dup(fd);
	say("dup_clears_cloexec", "%s", R(fcntl(d, F_GETFD)));
	say("setfd_0", "%s", R(fcntl(fd, F_SETFD, 0)));
	say("getfd_after_0", "%s", R(fcntl(fd, F_GETFD)));
	say("setfd_1", "%s", R(fcntl(d, F_SETFD, FD_CLOEXEC)));
	say("getfd_after_1", "%s", R(fcntl(d, F_GETFD)));
	say("getfd_other_unchanged", "%s", R(fcntl(fd, F_GETFD)));
	close(fd);
	close(d);
	say("close_twice", "%s", R(close(d)));
}

void case_fcntl(void)
{
	int fd, d;

	mkfile("f", "0123456789");
	fd = open("f", O_WRONLY | O_APPEND);
	say("getfl_wronly_append", "%s", oflags(fcntl(fd, F_GETFL)));
	close(fd);
	fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	say("getfl_creat_trunc_not_kept", "%s", oflags(fcntl(fd, F_GETFL)));
	say("content_after_trunc", "%s", CONTENT("f"));
	say("write", "%s", R(write(fd, "abc", 3)));
	d = dup(fd);

	/* O_APPEND on: writes go to the end whatever the offset */
	say("setfl_append", "%s", R(fcntl(fd, F_SETFL, O_APPEND)));
	say("getfl_after_setfl", "%s", oflags(fcntl(fd, F_GETFL)));
	say("getfl_dup_shares", "%s", oflags(fcntl(d, F_GETFL)));
	say("seek_0", "%s", LSEEK(fd, 0, SEEK_SET));
	say("append_write", "%s", R(write(fd, "Z", 1)));
	say("offset_after_append", "%s", LSEEK(fd, 0, SEEK_CUR));
	say("content_appended", "%s", CONTENT("f"));
	/* O_APPEND off again */
	say("setfl_0", "%s", R(fcntl(d, F_SETFL, 0)));
	say("getfl_after_clear", "%s", oflags(fcntl(fd, F_GETFL)));
	say("seek_1", "%s", LSEEK(fd, 1, SEEK_SET));
	say("overwrite", "%s", R(write(fd, "Y", 1)));
	say("content_overwritten", "%s", CONTENT("f"));
	/* the access mode does not change; O_NONBLOCK does (and means nothing on files) */
	say("setfl_rdonly", "%s", R(fcntl(fd, F_SETFL, O_RDONLY)));
	say("getfl_mode_kept", "%s", oflags(fcntl(fd, F_GETFL)));
	say("setfl_nonblock", "%s", R(fcntl(fd, F_SETFL, O_NONBLOCK | O_APPEND)));
	say("getfl_nonblock", "%s", oflags(fcntl(fd, F_GETFL)));
	say("nonblock_read", "%s", PREAD(fd, 3, 0));
	say("unknown_cmd", "%s", R(fcntl(fd, 9999)));
	close(d);
	close(fd);
	fd = open(".", O_RDONLY | O_DIRECTORY);
	say("getfl_dir", "%s", oflags(fcntl(fd, F_GETFL)));
	close(fd);
}

void case_statfs(void)
{
	struct statfs a = { 0 }, b = { 0 };
	int fd = open(".", O_RDONLY | O_DIRECTORY);

	say("statfs", "%s", R(statfs(".", &a)));
	say("fstatfs", "%s", R(fstatfs(fd, &b)));
	/* f_type differs (tmpfs, ext4 vs FUSE): not printed */
	say("namelen", "%ld", (long)a.f_namelen);
	say("bsize_positive", "%s", yes(a.f_bsize > 0));
	say("blocks_consistent", "%s", yes(a.f_bfree <= a.f_blocks && a.f_bavail <= a.f_blocks));
	say("same_fs", "%s", yes(a.f_blocks == b.f_blocks && a.f_namelen == b.f_namelen));
	say("missing", "%s", R(statfs("nope", &a)));
	close(fd);
}

/* The classic failures in one list (others are next to their feature). */
void case_errors(void)
{
	int fd, ro;
	char c;

	mkfile("f", "x");
	mkdir_p("d");
	mkdir_p("full/sub");
	ro = open("f", O_RDONLY);
	fd = open("d", O_RDONLY);
	say("ENOENT_open", "%s", OPEN("nope", O_RDONLY, 0));
	say("ENOENT_path_component", "%s", OPEN("nope/x", O_RDONLY, 0));
	say("ENOENT_stat_empty", "%s", ST(""));
	say("ENOTDIR_component", "%s", OPEN("f/x", O_RDONLY, 0));
	say("ENOTDIR_trailing_slash", "%s", ST("f/"));
	say("ENOTDIR_rmdir_file", "%s", R(rmdir("f")));
	say("ENOTDIR_chdir_file", "%s", R(chdir("f")));
	say("EISDIR_open_write", "%s", OPEN("d", O_WRONLY, 0));
	say("EISDIR_read", "%s", R(read(fd, &c, 1)));
	say("EISDIR_unlink", "%s", R(unlink("d")));
	say("EISDIR_truncate", "%s", R(truncate("d", 0)));
	say("EEXIST_mkdir", "%s", R(mkdir("d", 0755)));
	say("EEXIST_excl", "%s", OPEN("f", O_CREAT | O_EXCL | O_WRONLY, 0644));
	say("EEXIST_link", "%s", R(link("f", "d")));
	say("EEXIST_symlink", "%s", R(symlink("x", "f")));
	say("ENOTEMPTY_rmdir", "%s", R(rmdir("full")));
	say("ENOTEMPTY_rename", "%s", R(rename("d", "full")));
	say("EBADF_write_rdonly", "%s", R(write(ro, "x", 1)));
	say("EBADF_close_twice", "%s", R(close(ro) < 0 ? -1 : close(ro)));
	say("EINVAL_lseek", "%s", LSEEK(fd, -1, SEEK_SET));
	say("EINVAL_readlink", "%s", READLINK("f"));
	say("EINVAL_rename_into_self", "%s", R(rename("full", "full/sub/x")));
	say("EINVAL_rmdir_dot", "%s", R(rmdir(".")));
	say("EINVAL_truncate_negative", "%s", R(truncate("f", -1)));
	say("EPERM_link_dir", "%s", R(link("d", "d2")));
	say("ERANGE_getcwd", "%s", getcwd(&c, 1) ? "ok" : R(-1));
	close(fd);
	fd = open("empty", O_RDWR | O_CREAT, 0644);
	say("ENXIO_seek_data", "%s", LSEEK(fd, 0, SEEK_DATA));
	close(fd);
	must(symlink("f", "lf"), "symlink");
	say("ELOOP_nofollow", "%s", OPEN("lf", O_RDONLY | O_NOFOLLOW, 0));
}
