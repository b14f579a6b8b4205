/*
 * The *at calls relative to directory descriptors, utimensat with explicit
 * times, chmod and the set-id bits, faccessat, umask, and the musl
 * functions that reach for /proc/self/fd.
 *
 * Both halves run as root (remora's guest is uid 0; virtiofsd acts as root
 * on the host): the access results below are root's. Times need a file
 * system with nanoseconds and dates past 2038 (tmpfs, xfs, ext4 with
 * 256-byte inodes; not ext4 with 128-byte inodes).
 */
#include "posix.h"

#include <string.h>
#include <sys/stat.h>

void case_atcalls(void)
{
	int da, db, fd;

	mkdir_p("A");
	mkdir_p("B");
	mkfile("plain", "plain");
	da = open("A", O_RDONLY | O_DIRECTORY);
	db = open("B", O_PATH | O_DIRECTORY);     /* *at calls take O_PATH dirfds too */
	say("open_dirs", "%s %s", FD(da), FD(db));

	fd = openat(da, "f", O_WRONLY | O_CREAT | O_EXCL, 0644);
	say("openat_creat", "%s", FD(fd));
	say("openat_write", "%s", R(write(fd, "af", 2)));
	say("fstatat_empty_path", "%s", STAT_AT(fd, "", AT_EMPTY_PATH));
	say("fstatat_empty_path_no_flag", "%s", STAT_AT(fd, "", 0));
	say("fstatat_file_dirfd", "%s", STAT_AT(fd, "x", 0));
	say("openat_file_dirfd", "%s", OPENAT(fd, "x", O_RDONLY, 0));
	close(fd);
	say("seen_by_path", "%s", ST("A/f"));
	say("fstatat", "%s", STAT_AT(da, "f", 0));
	say("fstatat_dotdot", "%s", STAT_AT(da, "../plain", 0));
	say("fstatat_absolute", "%s", STAT_AT(da, abspath("plain"), 0));
	say("fstatat_fdcwd", "%s", STAT_AT(AT_FDCWD, "plain", 0));
	say("fstatat_bad_flag", "%s", STAT_AT(da, "f", 0x8));

	say("mkdirat", "%s", R(mkdirat(da, "sub", 0750)));
	say("mkdirat_stat", "%s", ST("A/sub"));
	say("mkdirat_opath", "%s", R(mkdirat(db, "bsub", 0700)));
	say("mkdirat_opath_stat", "%s", ST("B/bsub"));

	say("symlinkat", "%s", R(symlinkat("f", da, "lf")));
	say("readlinkat", "%s", READLINKAT(da, "lf"));
	say("fstatat_nofollow", "%s", STAT_AT(da, "lf", AT_SYMLINK_NOFOLLOW));
	say("fstatat_follow", "%s", STAT_AT(da, "lf", 0));
	say("readlinkat_not_link", "%s", READLINKAT(da, "f"));

	say("linkat", "%s", R(linkat(da, "f", db, "g", 0)));
	say("linkat_stat", "%s", ST("B/g"));
	say("linkat_follow", "%s", R(linkat(da, "lf", db, "g2", AT_SYMLINK_FOLLOW)));
	say("linkat_follow_stat", "%s", LST("B/g2"));
	say("linkat_nofollow", "%s", R(linkat(da, "lf", db, "lf2", 0)));
	say("linkat_nofollow_lstat", "%s", LST("B/lf2"));
	say("linkat_bad_flag", "%s", R(linkat(da, "f", db, "g3", 0x1)));

	say("renameat", "%s", R(renameat(da, "f", db, "h")));
	say("renameat_new", "%s", ST("B/h"));
	say("renameat_old", "%s", ST("A/f"));

	say("unlinkat_dir_no_flag", "%s", R(unlinkat(da, "sub", 0)));
	say("unlinkat_removedir", "%s", R(unlinkat(da, "sub", AT_REMOVEDIR)));
	say("unlinkat_removedir_gone", "%s", ST("A/sub"));
	say("unlinkat_removedir_file", "%s", R(unlinkat(db, "h", AT_REMOVEDIR)));
	say("unlinkat_file", "%s", R(unlinkat(db, "h", 0)));
	say("unlinkat_bad_flag", "%s", R(unlinkat(db, "g", 0x1)));
	say("unlinkat_nonempty", "%s", R(unlinkat(AT_FDCWD, "B", AT_REMOVEDIR)));

	say("fchmodat", "%s", R(fchmodat(db, "g", 0604, 0)));
	say("fchmodat_stat", "%s", ST("B/g"));
	say("faccessat", "%s", R(faccessat(db, "g", R_OK | W_OK, 0)));
	say("faccessat_missing", "%s", R(faccessat(db, "nope", F_OK, 0)));
	say("faccessat_eaccess", "%s", R(faccessat(db, "g", R_OK, AT_EACCESS)));

	/* a dirfd keeps naming its directory after a rename */
	say("rename_dir_of_dirfd", "%s", R(rename("A", "A2")));
	say("openat_after_rename", "%s", OPENAT(da, "after", O_WRONLY | O_CREAT, 0644));
	say("openat_after_rename_stat", "%s", ST("A2/after"));
	say("fstatat_dotdot_after_rename", "%s", STAT_AT(da, "../plain", 0));
	close(da);
	close(db);
}

static const char *times_of(const char *path, int flags)
{
	struct stat st;
	static char b[128];

	if (fstatat(AT_FDCWD, path, &st, flags) < 0)
		return R(-1);
	snprintf(b, sizeof(b), "atime=%lld.%09ld mtime=%lld.%09ld", (long long)st.st_atim.tv_sec,
		 st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	return b;
}

static struct timespec mtime_of(const char *path, int flags)
{
	struct stat st = { 0 };

	fstatat(AT_FDCWD, path, &st, flags);
	return st.st_mtim;
}

static int ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

void case_utimens(void)
{
	const struct timespec t1[2] = { { 1000000000, 123456789 }, { 1234567890, 987654321 } };
	const struct timespec omit_a[2] = { { 0, UTIME_OMIT }, { 1500000000, 5 } };
	const struct timespec now_m[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
	const struct timespec y2100[2] = { { 4102444800, 1 }, { 4102444801, 999999999 } };
	const struct timespec zero[2] = { { 0, 0 }, { 0, 0 } };
	const struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	const struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	int fd, dfd;

	mkfile("f", "f");
	mkdir_p("d");
	must(symlink("f", "lf"), "symlink");
	say("set", "%s", R(utimensat(AT_FDCWD, "f", t1, 0)));
	say("set_values", "%s", times_of("f", 0));
	say("omit_atime", "%s", R(utimensat(AT_FDCWD, "f", omit_a, 0)));
	say("omit_atime_values", "%s", times_of("f", 0));
	say("now_mtime", "%s", R(utimensat(AT_FDCWD, "f", now_m, 0)));
	say("now_mtime_moved", "%s", yes(!ts_eq(mtime_of("f", 0), omit_a[1])));
	say("y2100", "%s", R(utimensat(AT_FDCWD, "f", y2100, 0)));
	say("y2100_values", "%s", times_of("f", 0));
	say("epoch", "%s", R(utimensat(AT_FDCWD, "f", zero, 0)));
	say("epoch_values", "%s", times_of("f", 0));
	say("null_means_now", "%s", R(utimensat(AT_FDCWD, "f", NULL, 0)));
	say("null_means_now_moved", "%s", yes(!ts_eq(mtime_of("f", 0), zero[1])));
	say("bad_nsec", "%s", R(utimensat(AT_FDCWD, "f", bad, 0)));
	say("missing", "%s", R(utimensat(AT_FDCWD, "nope", t1, 0)));

	/* through a symlink, and on the link itself */
	say("via_symlink", "%s", R(utimensat(AT_FDCWD, "lf", t1, 0)));
	say("via_symlink_target", "%s", times_of("f", 0));
	say("nofollow", "%s", R(utimensat(AT_FDCWD, "lf", y2100, AT_SYMLINK_NOFOLLOW)));
	say("nofollow_link", "%s", times_of("lf", AT_SYMLINK_NOFOLLOW));
	say("nofollow_target_unchanged", "%s", times_of("f", 0));

	/* futimens, a dirfd, a directory */
	fd = open("f", O_RDWR);
	say("futimens", "%s", R(futimens(fd, y2100)));
	say("futimens_values", "%s", times_of("f", 0));
	dfd = open("d", O_RDONLY | O_DIRECTORY);
	say("dirfd", "%s", R(utimensat(dfd, "..", t1, 0)));
	say("dir_values", "%s", times_of(".", 0));
	say("dir_itself", "%s", R(futimens(dfd, t1)));
	say("dir_itself_values", "%s", times_of("d", 0));
	close(dfd);

	/* data changes move mtime: write, ftruncate */
	must(futimens(fd, old), "futimens old");
	say("write", "%s", R(write(fd, "x", 1)));
	say("write_moved_mtime", "%s", yes(!ts_eq(mtime_of("f", 0), old[1])));
	must(futimens(fd, old), "futimens old");
	say("ftruncate", "%s", R(ftruncate(fd, 100)));
	say("ftruncate_moved_mtime", "%s", yes(!ts_eq(mtime_of("f", 0), old[1])));
	must(futimens(fd, old), "futimens old");
	say("chmod", "%s", R(fchmod(fd, 0600)));
	say("chmod_kept_mtime", "%s", yes(ts_eq(mtime_of("f", 0), old[1])));
	close(fd);
	must(utimensat(AT_FDCWD, "d", old, 0), "utimensat d");
	mkfile("d/new", "");
	say("create_moved_dir_mtime", "%s", yes(!ts_eq(mtime_of("d", 0), old[1])));
}

void case_chmod(void)
{
	int fd;
	static const mode_t modes[] = { 0600, 0, 07777, 04755, 02755, 01777, 0444, S_IFREG | 0640 };

	mkfile("f", "x");
	mkdir_p("d");
	must(symlink("f", "lf"), "symlink");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char key[32];

		snprintf(key, sizeof(key), "file_%o", (unsigned)modes[i]);
		say(key, "%s", R(chmod("f", modes[i])));
		strcat(key, "_stat");
		say(key, "%s", ST("f"));
	}
	say("dir_1777", "%s", R(chmod("d", 01777)));
	say("dir_1777_stat", "%s", ST("d"));
	say("dir_0", "%s", R(chmod("d", 0)));
	say("dir_0_stat", "%s", ST("d"));
	say("dir_0_create_as_root", "%s", OPEN("d/x", O_WRONLY | O_CREAT, 0644));
	say("dir_0755", "%s", R(chmod("d", 0755)));
	say("dir_0755_stat", "%s", ST("d"));
	say("via_symlink", "%s", R(chmod("lf", 0640)));
	say("via_symlink_target", "%s", ST("f"));
	say("via_symlink_link", "%s", LST("lf"));
	say("missing", "%s", R(chmod("nope", 0644)));
	fd = open("f", O_RDONLY);
	say("fchmod", "%s", R(fchmod(fd, 0604)));
	say("fchmod_stat", "%s", FST(fd));
	close(fd);
	say("fchmodat", "%s", R(fchmodat(AT_FDCWD, "f", 0660, 0)));
	say("fchmodat_stat", "%s", ST("f"));

	/* set-id bits: kept when root writes; a set-gid directory is inherited */
	fd = open("f", O_WRONLY);
	must(fchmod(fd, 06755), "fchmod 6755");
	say("suid_write", "%s", R(write(fd, "y", 1)));
	say("suid_after_write", "%s", FST(fd));
	say("suid_ftruncate", "%s", R(ftruncate(fd, 0)));
	say("suid_after_ftruncate", "%s", FST(fd));
	close(fd);
	mkdir_p("sg");
	say("setgid_dir", "%s", R(chmod("sg", 02775)));
	say("setgid_subdir", "%s", R(mkdir("sg/sub", 0755)));
	say("setgid_subdir_stat", "%s", ST("sg/sub"));
	say("setgid_file", "%s", OPEN("sg/file", O_WRONLY | O_CREAT, 0644));
	say("setgid_file_stat", "%s", ST("sg/file"));
}

static const char *owner(const char *path, int flags)
{
	struct stat st;
	static char b[160];

	if (fstatat(AT_FDCWD, path, &st, flags) < 0)
		return R(-1);
	snprintf(b, sizeof(b), "uid=%u gid=%u %s", (unsigned)st.st_uid, (unsigned)st.st_gid,
		 modestr(st.st_mode));
	return b;
}

/* Owners are printed only after the case set them (the creator's ids are
 * the host's). */
void case_chown(void)
{
	int fd;

	mkfile("f", "x");
	mkdir_p("d");
	must(symlink("f", "lf"), "symlink");
	say("chown", "%s", R(chown("f", 1000, 2000)));
	say("chown_stat", "%s", owner("f", 0));
	fd = open("f", O_RDONLY);
	say("fchown_gid_only", "%s", R(fchown(fd, (uid_t)-1, 3000)));
	say("fchown_gid_only_stat", "%s", owner("f", 0));
	say("fchown_nothing", "%s", R(fchown(fd, (uid_t)-1, (gid_t)-1)));
	say("fchown_nothing_stat", "%s", owner("f", 0));
	close(fd);
	say("lchown_link", "%s", R(lchown("lf", 4000, 4001)));
	say("lchown_link_stat", "%s", owner("lf", AT_SYMLINK_NOFOLLOW));
	say("lchown_target_unchanged", "%s", owner("f", 0));
	say("chown_via_link", "%s", R(chown("lf", 5000, 5001)));
	say("chown_via_link_target", "%s", owner("f", 0));
	say("chown_via_link_link", "%s", owner("lf", AT_SYMLINK_NOFOLLOW));
	say("fchownat_nofollow", "%s", R(fchownat(AT_FDCWD, "lf", 6000, 6001, AT_SYMLINK_NOFOLLOW)));
	say("fchownat_nofollow_stat", "%s", owner("lf", AT_SYMLINK_NOFOLLOW));
	say("chown_dir", "%s", R(chown("d", 7000, 7001)));
	say("chown_dir_stat", "%s", owner("d", 0));
	say("chown_missing", "%s", R(chown("nope", 1, 1)));
	/* a change of owner clears set-user-ID, and set-group-ID when group-executable */
	must(chmod("f", 06755), "chmod 6755");
	say("chown_clears_suid", "%s", R(chown("f", 0, 0)));
	say("chown_clears_suid_stat", "%s", owner("f", 0));
	must(chmod("f", 02644), "chmod 2644");
	say("chown_keeps_sgid_without_gx", "%s", R(chown("f", 0, 0)));
	say("chown_keeps_sgid_without_gx_stat", "%s", owner("f", 0));
	must(chmod("d", 06755), "chmod d 6755");
	say("chown_dir_setid", "%s", R(chown("d", 0, 0)));
	say("chown_dir_setid_stat", "%s", owner("d", 0));
}

/* musl implements these through /proc/self/fd/N when the kernel call
 * cannot: fchmod on an O_PATH fd, fchmodat(AT_SYMLINK_NOFOLLOW) on a
 * non-link. A remora without /proc/self/fd answers differently. */
void case_procfd(void)
{
	int p;

	mkfile("f", "x");
	must(symlink("f", "lf"), "symlink");
	p = open("f", O_PATH);
	say("fchmod_o_path", "%s", R(fchmod(p, 0640)));
	say("fchmod_o_path_stat", "%s", ST("f"));
	close(p);
	say("fchmodat_nofollow_file", "%s", R(fchmodat(AT_FDCWD, "f", 0600, AT_SYMLINK_NOFOLLOW)));
	say("fchmodat_nofollow_file_stat", "%s", ST("f"));
	say("fchmodat_nofollow_link", "%s", R(fchmodat(AT_FDCWD, "lf", 0600, AT_SYMLINK_NOFOLLOW)));
	say("fchmodat_nofollow_link_lstat", "%s", LST("lf"));
}

void case_access(void)
{
	static const struct {
		const char *name;
		mode_t mode;
	} files[] = {
		{ "r644", 0644 }, { "x755", 0755 }, { "x100", 0100 }, { "x010", 0010 }, { "none", 0 },
	};
	static const struct {
		const char *name;
		int mode;
	} modes[] = {
		{ "F_OK", F_OK }, { "R_OK", R_OK }, { "W_OK", W_OK }, { "X_OK", X_OK },
		{ "RWX", R_OK | W_OK | X_OK },
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		mkfile_mode(files[i].name, "", files[i].mode);
	mkdir_p("d");
	must(chmod("d", 0), "chmod d");
	mkdir_p("e");
	must(symlink("x755", "lx"), "symlink");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		for (size_t j = 0; j < sizeof(modes) / sizeof(modes[0]); j++) {
			char key[32];

			snprintf(key, sizeof(key), "%s_%s", files[i].name, modes[j].name);
			say(key, "%s", R(access(files[i].name, modes[j].mode)));
		}
	}
	say("dir_0_X_OK", "%s", R(access("d", X_OK)));
	say("dir_0_W_OK", "%s", R(access("d", W_OK)));
	say("dir_755_X_OK", "%s", R(access("e", X_OK)));
	say("missing", "%s", R(access("nope", F_OK)));
	say("under_file", "%s", R(access("r644/x", F_OK)));
	say("via_symlink_X_OK", "%s", R(access("lx", X_OK)));
	say("bad_mode", "%s", R(access("r644", 0x10)));
	say("euidaccess", "%s", R(faccessat(AT_FDCWD, "x755", X_OK, AT_EACCESS)));
	must(chmod("d", 0755), "chmod d back");
}

void case_umask(void)
{
	int fd;

	say("set_027_returns_initial", "%04o", (unsigned)umask(027));
	say("set_027_again_returns", "%04o", (unsigned)umask(027));
	say("file_0666", "%s", OPEN("f1", O_WRONLY | O_CREAT, 0666));
	say("file_0666_stat", "%s", ST("f1"));
	say("dir_0777", "%s", R(mkdir("d1", 0777)));
	say("dir_0777_stat", "%s", ST("d1"));
	say("fifo_0666", "%s", R(mkfifo("p1", 0666)));
	say("fifo_0666_stat", "%s", LST("p1"));
	say("mknod_0666", "%s", R(mknod("n1", S_IFREG | 0666, 0)));
	say("mknod_0666_stat", "%s", LST("n1"));
	say("symlink", "%s", R(symlink("f1", "l1")));
	say("symlink_stat", "%s", LST("l1"));
	fd = open("d1", O_RDONLY | O_DIRECTORY);
	say("openat_0777", "%s", OPENAT(fd, "g", O_WRONLY | O_CREAT, 0777));
	say("openat_0777_stat", "%s", ST("d1/g"));
	say("mkdirat_0777", "%s", R(mkdirat(fd, "sub", 0777)));
	say("mkdirat_0777_stat", "%s", ST("d1/sub"));
	close(fd);
	say("chmod_ignores_umask", "%s", R(chmod("f1", 0777)));
	say("chmod_ignores_umask_stat", "%s", ST("f1"));
	say("existing_file_mode_kept", "%s", OPEN("f1", O_WRONLY | O_CREAT, 0600));
	say("existing_file_mode_kept_stat", "%s", ST("f1"));

	say("set_0_returns", "%04o", (unsigned)umask(0));
	say("zero_file", "%s", OPEN("f0", O_WRONLY | O_CREAT, 0777));
	say("zero_file_stat", "%s", ST("f0"));
	say("zero_dir", "%s", R(mkdir("d0", 0777)));
	say("zero_dir_stat", "%s", ST("d0"));
	say("zero_suid_file", "%s", OPEN("s0", O_WRONLY | O_CREAT, 06777));
	say("zero_suid_file_stat", "%s", ST("s0"));
	say("set_777_returns", "%04o", (unsigned)umask(0777));
	say("all_file", "%s", OPEN("f7", O_WRONLY | O_CREAT, 0777));
	say("all_file_stat", "%s", ST("f7"));
	say("all_dir", "%s", R(mkdir("d7", 0777)));
	say("all_dir_stat", "%s", ST("d7"));
	say("all_dir_usable_by_root", "%s", OPEN("d7/x", O_WRONLY | O_CREAT, 0644));
	say("set_high_bits", "%04o", (unsigned)umask(07022));
	say("high_bits_dropped", "%04o", (unsigned)umask(022));
}
