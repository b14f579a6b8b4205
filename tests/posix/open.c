/*
 * open(2) flags, access modes, O_PATH, and EBADF on descriptors that are
 * not (or no longer) open.
 */
#include "posix.h"

#include <dirent.h>
#include <string.h>

void case_open(void)
{
	int fd;

	mkdir_p("d");
	mkfile("d/x", "in d");
	must(symlink("f", "lf"), "symlink lf");
	must(symlink("d", "ld"), "symlink ld");

	/* O_CREAT, O_EXCL */
	fd = open("f", O_WRONLY | O_CREAT | O_EXCL, 0640);
	say("creat_excl_new", "%s", FD(fd));
	say("write_new", "%s", R(write(fd, "hello", 5)));
	close(fd);
	say("creat_excl_new_stat", "%s", ST("f"));
	say("creat_excl_existing", "%s", OPEN("f", O_WRONLY | O_CREAT | O_EXCL, 0600));
	say("creat_excl_via_symlink", "%s", OPEN("lf", O_WRONLY | O_CREAT | O_EXCL, 0600));
	say("creat_existing", "%s", OPEN("f", O_WRONLY | O_CREAT, 0600));
	say("creat_existing_stat", "%s", ST("f"));
	say("excl_without_creat", "%s", OPEN("f", O_RDONLY | O_EXCL, 0));
	say("creat_dir", "%s", OPEN("d", O_WRONLY | O_CREAT, 0644));
	say("creat_dir_rdonly", "%s", OPEN("d", O_RDONLY | O_CREAT, 0644));
	say("creat_trailing_slash", "%s", OPEN("new/", O_WRONLY | O_CREAT, 0644));
	say("creat_trailing_slash_stat", "%s", LST("new"));
	say("creat_in_missing_dir", "%s", OPEN("missing/x", O_WRONLY | O_CREAT, 0644));
	say("creat_under_file", "%s", OPEN("f/x", O_WRONLY | O_CREAT, 0644));
	say("creat_setuid_mode", "%s", OPEN("suid", O_WRONLY | O_CREAT, 04755));
	say("creat_setuid_mode_stat", "%s", ST("suid"));
	say("creat_mode0", "%s", OPEN("mode0", O_RDWR | O_CREAT, 0));
	say("creat_mode0_stat", "%s", ST("mode0"));

	/* O_CREAT through symlinks: a dangling one creates its target, unless O_EXCL. */
	must(symlink("made", "dang"), "symlink dang");
	say("creat_dangling", "%s", OPEN("dang", O_WRONLY | O_CREAT, 0600));
	say("creat_dangling_target", "%s", ST("made"));
	must(symlink("made2", "dang2"), "symlink dang2");
	say("creat_excl_dangling", "%s", OPEN("dang2", O_WRONLY | O_CREAT | O_EXCL, 0600));
	say("creat_excl_dangling_target", "%s", ST("made2"));

	/* O_TRUNC */
	say("trunc_wronly", "%s", OPEN("f", O_WRONLY | O_TRUNC, 0));
	say("trunc_wronly_stat", "%s", ST("f"));
	mkfile("t2", "some data");
	say("trunc_rdonly", "%s", OPEN("t2", O_RDONLY | O_TRUNC, 0));
	say("trunc_rdonly_stat", "%s", ST("t2"));
	mkfile("t3", "more data");
	say("trunc_creat_existing", "%s", OPEN("t3", O_RDWR | O_CREAT | O_TRUNC, 0600));
	say("trunc_creat_existing_stat", "%s", ST("t3"));
	say("trunc_dir", "%s", OPEN("d", O_RDONLY | O_TRUNC, 0));

	/* O_APPEND */
	fd = open("a", O_WRONLY | O_CREAT | O_APPEND, 0644);
	say("append_open", "%s", FD(fd));
	say("append_write1", "%s", R(write(fd, "one", 3)));
	say("append_seek0", "%s", LSEEK(fd, 0, SEEK_SET));
	say("append_write2", "%s", R(write(fd, "two", 3)));
	say("append_offset", "%s", LSEEK(fd, 0, SEEK_CUR));
	say("append_pwrite0", "%s", R(pwrite(fd, "X", 1, 0)));
	say("append_offset_after_pwrite", "%s", LSEEK(fd, 0, SEEK_CUR));
	close(fd);
	say("append_content", "%s", CONTENT("a"));
	fd = open("a", O_RDWR | O_APPEND);
	say("append_rdwr_read", "%s", READ(fd, 3));
	say("append_rdwr_write", "%s", R(write(fd, "Y", 1)));
	say("append_rdwr_offset", "%s", LSEEK(fd, 0, SEEK_CUR));
	say("append_rdwr_read_at_end", "%s", READ(fd, 3));
	close(fd);
	say("append_rdwr_content", "%s", CONTENT("a"));

	/* O_DIRECTORY */
	say("directory_dir", "%s", OPEN("d", O_RDONLY | O_DIRECTORY, 0));
	say("directory_file", "%s", OPEN("a", O_RDONLY | O_DIRECTORY, 0));
	say("directory_symlink_to_dir", "%s", OPEN("ld", O_RDONLY | O_DIRECTORY, 0));
	say("directory_symlink_to_file", "%s", OPEN("lf", O_RDONLY | O_DIRECTORY, 0));
	say("directory_missing", "%s", OPEN("nope", O_RDONLY | O_DIRECTORY, 0));
	say("file_trailing_slash", "%s", OPEN("a/", O_RDONLY, 0));
	say("dir_trailing_slash", "%s", OPEN("d/", O_RDONLY, 0));

	/* O_NOFOLLOW: only the last component */
	say("nofollow_symlink", "%s", OPEN("lf", O_RDONLY | O_NOFOLLOW, 0));
	say("nofollow_file", "%s", OPEN("a", O_RDONLY | O_NOFOLLOW, 0));
	say("nofollow_middle", "%s", OPEN("ld/x", O_RDONLY | O_NOFOLLOW, 0));
	say("nofollow_dir_symlink", "%s", OPEN("ld", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0));
	say("nofollow_creat_dangling", "%s", OPEN("dang2", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644));
	say("nofollow_creat_dangling_target", "%s", ST("made2"));

	/* Through a symlink, without O_NOFOLLOW: the target is opened. */
	fd = open("lf", O_RDONLY);
	say("via_symlink", "%s", FD(fd));
	say("via_symlink_fstat", "%s", FST(fd));
	close(fd);
	say("missing", "%s", OPEN("nope", O_RDONLY, 0));
	say("empty_path", "%s", OPEN("", O_RDONLY, 0));
}

void case_access_mode(void)
{
	int r, w, rw, d;
	char c;

	mkfile("f", "hello");
	mkdir_p("d");
	r = open("f", O_RDONLY);
	w = open("f", O_WRONLY);
	rw = open("f", O_RDWR);
	d = open("d", O_RDONLY);
	say("open_rdonly", "%s", FD(r));
	say("open_wronly", "%s", FD(w));
	say("open_rdwr", "%s", FD(rw));
	say("open_dir", "%s", FD(d));
	say("rdonly_read", "%s", READ(r, 5));
	say("rdonly_write", "%s", R(write(r, "x", 1)));
	say("rdonly_pwrite", "%s", R(pwrite(r, "x", 1, 0)));
	say("rdonly_ftruncate", "%s", R(ftruncate(r, 0)));
	say("rdonly_fsync", "%s", R(fsync(r)));
	say("wronly_read", "%s", R(read(w, &c, 1)));
	say("wronly_pread", "%s", R(pread(w, &c, 1, 0)));
	say("wronly_write", "%s", R(write(w, "J", 1)));
	say("rdwr_read", "%s", READ(rw, 2));
	say("rdwr_write", "%s", R(write(rw, "LL", 2)));
	say("rdwr_pread", "%s", PREAD(rw, 10, 0));
	say("getfl_rdonly", "%s", oflags(fcntl(r, F_GETFL)));
	say("getfl_wronly", "%s", oflags(fcntl(w, F_GETFL)));
	say("getfl_rdwr", "%s", oflags(fcntl(rw, F_GETFL)));
	say("dir_read", "%s", R(read(d, &c, 1)));
	say("dir_write", "%s", R(write(d, "x", 1)));
	say("dir_open_wronly", "%s", OPEN("d", O_WRONLY, 0));
	say("dir_open_rdwr", "%s", OPEN("d", O_RDWR, 0));
	say("write_zero_bytes_rdonly", "%s", R(write(r, "", 0)));
	say("read_zero_bytes_wronly", "%s", R(read(w, &c, 0)));
	say("write_zero_bytes", "%s", R(write(rw, "", 0)));
	say("read_zero_bytes", "%s", R(read(rw, &c, 0)));
	close(r);
	close(w);
	close(rw);
	close(d);
	say("content", "%s", CONTENT("f"));
}

void case_o_path(void)
{
	int p, pd, pl, fd;
	char c;
	struct stat st;

	mkfile("f", "path data");
	mkdir_p("d");
	mkfile("d/in", "inside");
	must(symlink("f", "lf"), "symlink lf");

	p = open("f", O_PATH);
	say("open", "%s", FD(p));
	say("read", "%s", R(read(p, &c, 1)));
	say("write", "%s", R(write(p, "x", 1)));
	say("pread", "%s", R(pread(p, &c, 1, 0)));
	say("fstat", "%s", FST(p));
	say("fstatat_empty_path", "%s", STAT_AT(p, "", AT_EMPTY_PATH));
	say("ftruncate", "%s", R(ftruncate(p, 0)));
	say("fsync", "%s", R(fsync(p)));
	say("getfl", "%s", oflags(fcntl(p, F_GETFL)));
	fd = dup(p);
	say("dup", "%s", FD(fd));
	say("dup_fstat", "%s", FST(fd));
	close(fd);
	say("close", "%s", R(close(p)));
	say("content_unchanged", "%s", CONTENT("f"));

	pd = open("d", O_PATH | O_DIRECTORY);
	say("open_dir", "%s", FD(pd));
	say("openat_in_dir", "%s", OPENAT(pd, "in", O_RDONLY, 0));
	say("fstatat_in_dir", "%s", STAT_AT(pd, "in", 0));
	{
		DIR *dd;

		/* Reading a directory needs a descriptor open for reading. */
		errno = 0;
		dd = fdopendir(pd);
		say("fdopendir_readdir", "%s", dd && readdir(dd) ? "entry" : R(-1));
		if (dd)
			closedir(dd);
		else
			close(pd);
	}
	pd = open("d", O_PATH | O_DIRECTORY);
	say("fchdir", "%s", R(fchdir(pd)));
	say("fchdir_stat_in", "%s", ST("in"));
	must(chdir(casedir()), "chdir back");
	close(pd);

	pl = open("lf", O_PATH | O_NOFOLLOW);
	say("open_symlink_nofollow", "%s", FD(pl));
	say("symlink_fstat", "%s", FST(pl));
	say("symlink_readlinkat_empty", "%s", READLINKAT(pl, ""));
	close(pl);
	pl = open("lf", O_PATH);
	say("open_symlink_follow_fstat", "%s", FST(pl));
	close(pl);

	say("missing", "%s", OPEN("nope", O_PATH, 0));
	/* open(2) drops every flag O_PATH does not know, O_CREAT included. */
	say("creat_ignored", "%s", OPEN("newp", O_PATH | O_CREAT | O_WRONLY, 0644));
	say("creat_ignored_stat", "%s", LST("newp"));
	say("trunc_ignored", "%s", OPEN("f", O_PATH | O_TRUNC | O_WRONLY, 0));
	say("trunc_ignored_stat", "%s", ST("f"));
	p = open("f", O_PATH | O_RDWR);
	say("rdwr_ignored_write", "%s", R(write(p, "x", 1)));
	close(p);
	p = open("d", O_PATH);
	say("dir_without_o_directory_fstat", "%s", fstat(p, &st) < 0 ? R(-1) : modestr(st.st_mode));
	close(p);
}

void case_ebadf(void)
{
	int fd = open("f", O_RDWR | O_CREAT, 0644), bad;
	char c;
	struct stat st;

	close(fd);
	bad = fd;                 /* just closed: nothing else opens in between */
	say("read", "%s", R(read(bad, &c, 1)));
	say("write", "%s", R(write(bad, "x", 1)));
	say("pread", "%s", R(pread(bad, &c, 1, 0)));
	say("pwrite", "%s", R(pwrite(bad, "x", 1, 0)));
	say("lseek", "%s", R(lseek(bad, 0, SEEK_SET)));
	say("fstat", "%s", R(fstat(bad, &st)));
	say("ftruncate", "%s", R(ftruncate(bad, 0)));
	say("fsync", "%s", R(fsync(bad)));
	say("fchmod", "%s", R(fchmod(bad, 0600)));
	say("fchdir", "%s", R(fchdir(bad)));
	say("dup", "%s", R(dup(bad)));
	say("dup2", "%s", R(dup2(bad, 100)));
	say("fcntl_getfd", "%s", R(fcntl(bad, F_GETFD)));
	say("fcntl_getfl", "%s", R(fcntl(bad, F_GETFL)));
	say("close", "%s", R(close(bad)));
	say("close_minus1", "%s", R(close(-1)));
	say("read_minus1", "%s", R(read(-1, &c, 1)));
	say("read_huge_fd", "%s", R(read(1 << 20, &c, 1)));
	say("openat_relative", "%s", OPENAT(bad, "f", O_RDONLY, 0));
	say("openat_absolute", "%s", OPENAT(bad, abspath("f"), O_RDONLY, 0));
	say("fstatat_relative", "%s", STAT_AT(bad, "f", 0));
	say("mkdirat", "%s", R(mkdirat(bad, "d", 0755)));
	say("unlinkat", "%s", R(unlinkat(bad, "f", 0)));
	say("fstatat_empty_path", "%s", STAT_AT(bad, "", AT_EMPTY_PATH));
	say("file_still_there", "%s", ST("f"));
}
