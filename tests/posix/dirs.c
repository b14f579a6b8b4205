/*
 * Directories: readdir (small and 5000 entries), rewinddir, telldir and
 * seekdir; files and directories still open after their last name went;
 * getcwd after chdir, fchdir, renames and removal of the current directory.
 *
 * readdir order is the file system's (hash order on ext4, creation order
 * on tmpfs): only sorted name sets and counts are printed. d_type is as the
 * host file system gives it (every common Linux one fills it in).
 */
#include "posix.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Count, hash of the sorted names ("name\n" each), first and last name,
 * and how many "." / ".." and duplicate entries a listing had. */
static void list_summary(const char *key, const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, dot = 0, dotdot = 0, dups = 0;
	uint64_t h = FNV_INIT;

	if (!d) {
		say(key, "%s", R(-1));
		return;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".")) {
			dot++;
			continue;
		}
		if (!strcmp(de->d_name, "..")) {
			dotdot++;
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			names = realloc(names, cap * sizeof(*names));
		}
		names[n++] = strdup(de->d_name);
	}
	if (errno) {
		say(key, "readdir after %zu: %s", n, R(-1));
	} else {
		qsort(names, n, sizeof(*names), cmpstr);
		for (size_t i = 0; i < n; i++) {
			h = fnv1a(h, names[i], strlen(names[i]));
			h = fnv1a(h, "\n", 1);
			if (i && !strcmp(names[i], names[i - 1]))
				dups++;
		}
		say(key, "count=%zu fnv=%016llx first=%s last=%s dot=%zu dotdot=%zu dups=%zu", n,
		    (unsigned long long)h, n ? names[0] : "-", n ? names[n - 1] : "-", dot, dotdot, dups);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
}

void case_readdir(void)
{
	DIR *d;
	struct dirent *de;
	long pos;
	char after[NAME_MAX + 1] = "", again[NAME_MAX + 1] = "";
	int fd;
	struct stat st;

	mkdir_p("d/sub");
	mkdir_p("empty");
	mkfile("d/a", "a");
	mkfile("d/b", "b");
	mkfile("d/c", "c");
	must(symlink("a", "d/l"), "symlink");
	must(mkfifo("d/p", 0644), "mkfifo");
	say("list", "%s", NAMES("d"));
	say("empty", "%s", NAMES("empty"));
	say("opendir_file", "%s", NAMES("d/a"));
	say("opendir_missing", "%s", NAMES("nope"));
	say("opendir_symlink_to_file", "%s", NAMES("d/l"));

	/* d_ino is st_ino (printed only as a comparison) */
	d = opendir("d");
	if (!d) {
		say("opendir", "%s", R(-1));
		return;
	}
	while ((de = readdir(d)) != NULL && strcmp(de->d_name, "a"))
		;
	say("d_ino_matches_stat", "%s", yes(de && stat("d/a", &st) == 0 && de->d_ino == st.st_ino));

	/* after rewinddir, changes made before it are seen (POSIX leaves
	 * changes after the last rewinddir unspecified: not tested) */
	mkfile("d/new", "");
	must(unlink("d/b"), "unlink d/b");
	rewinddir(d);
	{
		int n = 0, seen_new = 0, seen_b = 0;

		while ((de = readdir(d)) != NULL) {
			n++;
			seen_new |= !strcmp(de->d_name, "new");
			seen_b |= !strcmp(de->d_name, "b");
		}
		say("rewind_count", "%d", n);
		say("rewind_new_seen", "%s", yes(seen_new));
		say("rewind_removed_gone", "%s", yes(!seen_b));
	}

	/* telldir/seekdir: the entry after a saved position comes again */
	rewinddir(d);
	readdir(d);
	readdir(d);
	pos = telldir(d);
	de = readdir(d);
	if (de)
		snprintf(after, sizeof(after), "%s", de->d_name);
	while (readdir(d))
		;
	seekdir(d, pos);
	de = readdir(d);
	if (de)
		snprintf(again, sizeof(again), "%s", de->d_name);
	say("seekdir_same_entry", "%s", yes(after[0] && !strcmp(after, again)));
	closedir(d);

	/* fdopendir on an fd opened by name; the fd is the DIR's */
	fd = open("d", O_RDONLY | O_DIRECTORY);
	d = fdopendir(fd);
	say("fdopendir", "%s", d ? "ok" : R(-1));
	say("fdopendir_dirfd_same", "%s", yes(d && dirfd(d) == fd));
	if (d)
		closedir(d);
	say("fdopendir_closed_fd", "%s", R(fcntl(fd, F_GETFD)));

	/* "." and ".." after chdir */
	must(chdir("d/sub"), "chdir");
	say("list_dot", "%s", NAMES("."));
	say("list_dotdot", "%s", NAMES(".."));
	must(chdir(casedir()), "chdir back");
}

/* The system call under readdir: struct linux_dirent64 records. */
struct dirent64_raw {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Entries of one whole pass with a buffer of n bytes: "count=N aligned=yes"
 * (each d_reclen a multiple of 8 and inside the returned bytes). */
static const char *getdents_pass(int fd, size_t n)
{
	static char b[256];
	char buf[4096];
	long r, count = 0, calls = 0;
	int aligned = 1;

	while ((r = syscall(SYS_getdents64, fd, buf, n)) > 0) {
		calls++;
		for (long o = 0; o < r;) {
			struct dirent64_raw *d = (void *)(buf + o);

			if (d->d_reclen == 0 || d->d_reclen % 8 || o + d->d_reclen > r) {
				aligned = 0;
				break;
			}
			count++;
			o += d->d_reclen;
		}
	}
	if (r < 0)
		snprintf(b, sizeof(b), "%s after %ld entries", R(r), count);
	else
		snprintf(b, sizeof(b), "count=%ld aligned=%s more_than_one_call=%s", count, yes(aligned),
			 yes(calls > 1));
	return b;
}

void case_getdents(void)
{
	int fd, f;
	char buf[64];

	mkdir_p("d");
	for (int i = 0; i < 40; i++) {
		char name[48];

		snprintf(name, sizeof(name), "d/entry_with_a_longish_name_%02d", i);
		mkfile(name, "");
	}
	fd = open("d", O_RDONLY | O_DIRECTORY);
	say("buffer_too_small", "%s", R(syscall(SYS_getdents64, fd, buf, 10)));
	say("buffer_zero", "%s", R(syscall(SYS_getdents64, fd, buf, 0)));
	say("pass_4096", "%s", getdents_pass(fd, 4096));
	say("at_end", "%s", R(syscall(SYS_getdents64, fd, buf, sizeof(buf))));
	say("rewind", "%s", LSEEK(fd, 0, SEEK_SET));
	say("pass_64_after_rewind", "%s", getdents_pass(fd, 64));
	close(fd);
	f = open("d/entry_with_a_longish_name_00", O_RDONLY);
	say("on_file", "%s", R(syscall(SYS_getdents64, f, buf, sizeof(buf))));
	close(f);
	say("on_bad_fd", "%s", R(syscall(SYS_getdents64, f, buf, sizeof(buf))));
}

/* 5000 names of 9 to 48 bytes: many getdents calls; then a third removed. */
void case_bigdir(void)
{
	enum { N = 5000 };
	char name[64];
	long made = 0, removed = 0;
	struct stat st;

	mkdir_p("big");
	for (int i = 0; i < N; i++) {
		int fd;

		snprintf(name, sizeof(name), "big/f%05d_%.*s", i, i % 40, "abcdefghijklmnopqrstuvwxyz0123456789ABCD");
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd >= 0) {
			made++;
			close(fd);
		} else if (made == i) {
			say("create_failed_at", "%d %s", i, R(fd));
		}
	}
	say("created", "%ld", made);
	list_summary("list", "big");
	say("dir_stat", "%s", ST("big"));
	for (int i = 0; i < N; i += 3) {
		snprintf(name, sizeof(name), "big/f%05d_%.*s", i, i % 40, "abcdefghijklmnopqrstuvwxyz0123456789ABCD");
		if (unlink(name) == 0)
			removed++;
	}
	say("removed", "%ld", removed);
	list_summary("list_after_unlink", "big");
	say("stat_kept", "%s", ST("big/f04999_abcdefghijklmnopqrstuvwxyz0123456789ABC"));
	say("stat_removed", "%s", ST("big/f04998_abcdefghijklmnopqrstuvwxyz0123456789AB"));
	if (stat("big", &st) == 0)
		say("rmdir_nonempty", "%s", R(rmdir("big")));
}

void case_unlinked(void)
{
	int fd, fd2, dfd;
	DIR *d;
	struct dirent *de;
	int listed = 0;
	static char buf[1 << 20];

	fd = open("u", O_RDWR | O_CREAT, 0644);
	say("write", "%s", R(write(fd, "hello", 5)));
	fd2 = open("u", O_RDONLY);
	say("unlink", "%s", R(unlink("u")));
	say("fstat", "%s", FST(fd));
	say("stat_name", "%s", ST("u"));
	say("write_more", "%s", R(write(fd, " world", 6)));
	say("pread", "%s", PREAD(fd, 64, 0));
	say("second_fd_read", "%s", READ(fd2, 64));
	say("fchmod", "%s", R(fchmod(fd, 0600)));
	say("fstat_after_fchmod", "%s", FST(fd));
	say("ftruncate", "%s", R(ftruncate(fd, 3)));
	say("fstat_after_ftruncate", "%s", FST(fd2));
	say("end", "%s", LSEEK(fd, 0, SEEK_END));
	d = opendir(".");
	while (d && (de = readdir(d)) != NULL)
		listed |= !strcmp(de->d_name, "u");
	if (d)
		closedir(d);
	say("listed", "%s", yes(listed));
	/* a new file under the old name is another file */
	mkfile("u", "new file");
	say("new_under_name", "%s", ST("u"));
	say("old_fd_unaffected", "%s", PREAD(fd, 64, 0));
	close(fd);
	say("second_fd_after_close", "%s", PREAD(fd2, 64, 0));
	/* 1 MiB through an unlinked file */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 31 + 7);
	fd = open("u2", O_RDWR | O_CREAT, 0644);
	must(unlink("u2"), "unlink u2");
	say("big_write", "%s", R(write(fd, buf, sizeof(buf))));
	memset(buf, 0, sizeof(buf));
	{
		long n = pread(fd, buf, sizeof(buf), 0);

		say("big_read", "%s", n < 0 ? R(n) : q(buf, n));
	}
	say("big_fstat", "%s", FST(fd));
	close(fd);
	close(fd2);

	/* a removed directory still open */
	mkdir_p("ud");
	mkfile("ud/x", "");
	must(unlink("ud/x"), "unlink ud/x");
	dfd = open("ud", O_RDONLY | O_DIRECTORY);
	say("rmdir_open_dir", "%s", R(rmdir("ud")));
	say("removed_dir_fstat", "%s", FST(dfd));
	say("removed_dir_openat_creat", "%s", OPENAT(dfd, "y", O_WRONLY | O_CREAT, 0644));
	say("removed_dir_mkdirat", "%s", R(mkdirat(dfd, "z", 0755)));
	say("removed_dir_fstatat_dot", "%s", STAT_AT(dfd, ".", 0));
	d = fdopendir(dfd);
	errno = 0;
	de = d ? readdir(d) : NULL;
	say("removed_dir_readdir", "%s", de ? de->d_name : errno ? R(-1) : "end");
	if (d)
		closedir(d);
}

static void cwd(const char *key)
{
	char b[PATH_MAX];

	if (getcwd(b, sizeof(b)))
		say(key, "%s", relpath(b));
	else
		say(key, "%s", R(-1));
}

void case_getcwd(void)
{
	char b[PATH_MAX];
	size_t len;
	int fd;

	mkdir_p("a/b");
	mkfile("f", "");
	cwd("start");
	say("chdir_ab", "%s", R(chdir("a/b")));
	cwd("in_ab");
	say("chdir_dotdot", "%s", R(chdir("..")));
	cwd("in_a");
	say("chdir_dot", "%s", R(chdir(".")));
	cwd("still_in_a");
	must(chdir(casedir()), "chdir back");
	must(symlink("a/b", "lb"), "symlink");
	say("chdir_symlink", "%s", R(chdir("lb")));
	cwd("via_symlink");
	say("chdir_dotdot_physical", "%s", R(chdir("..")));
	cwd("after_symlink_dotdot");
	must(chdir(casedir()), "chdir back");
	fd = open("a", O_RDONLY | O_DIRECTORY);
	say("fchdir", "%s", R(fchdir(fd)));
	cwd("after_fchdir");
	close(fd);
	fd = open("f", O_RDONLY);
	say("fchdir_file", "%s", R(fchdir(fd)));
	close(fd);
	cwd("after_fchdir_file");
	say("chdir_absolute", "%s", R(chdir(casedir())));
	cwd("after_absolute");
	say("chdir_file", "%s", R(chdir("f")));
	say("chdir_missing", "%s", R(chdir("nope")));
	say("chdir_empty", "%s", R(chdir("")));
	cwd("after_failures");

	/* buffer sizes: the path and its NUL exactly, one byte less */
	len = getcwd(b, sizeof(b)) ? strlen(b) : 0;
	say("exact_size", "%s", getcwd(b, len + 1) ? "ok" : R(-1));
	say("one_short", "%s", getcwd(b, len) ? "ok" : R(-1));
	say("size_1", "%s", getcwd(b, 1) ? "ok" : R(-1));
	{
		char *m = getcwd(NULL, 0);

		say("malloced", "%s", m ? relpath(m) : R(-1));
		free(m);
	}

	/* the current directory renamed under us */
	must(chdir("a/b"), "chdir a/b");
	say("rename_parent", "%s", R(rename(abspath("a"), abspath("a2"))));
	cwd("after_parent_renamed");
	say("rename_cwd", "%s", R(rename(abspath("a2/b"), abspath("b2"))));
	cwd("after_cwd_renamed");
	say("dotdot_after_rename", "%s", R(chdir("..")));
	cwd("parent_after_rename");

	/* ... and removed */
	mkdir_p("gone");
	must(chdir("gone"), "chdir gone");
	say("rmdir_cwd", "%s", R(rmdir(abspath("gone"))));
	cwd("removed");
	say("removed_stat_dot", "%s", ST("."));
	say("removed_create", "%s", OPEN("x", O_WRONLY | O_CREAT, 0644));
	say("removed_chdir_dotdot", "%s", R(chdir("..")));
	cwd("after_removed_dotdot");
}
