/*
 * Names: hard links and link counts, symlinks (readlink, lstat vs stat,
 * dangling, loops, in the middle of a path, trailing slashes), rename and
 * renameat2, mkdir/rmdir/mknod, path syntax, odd and long names.
 *
 * Directory link counts (2 + subdirectories) are what ext4, tmpfs and xfs
 * report; btrfs reports 1 for every directory.
 */
#include "posix.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE  (1 << 1)
#endif

static int same_file(const char *a, const char *b, int flags)
{
	struct stat sa, sb;

	if (fstatat(AT_FDCWD, a, &sa, flags) < 0 || fstatat(AT_FDCWD, b, &sb, flags) < 0)
		return -1;
	return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

static long rename2(const char *a, const char *b, unsigned flags)
{
	return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags);
}

void case_links(void)
{
	int fd;

	mkfile("f", "data");
	say("stat_one", "%s", ST("f"));
	say("link", "%s", R(link("f", "g")));
	say("stat_f_two", "%s", ST("f"));
	say("stat_g_two", "%s", ST("g"));
	say("same_inode", "%s", yes(same_file("f", "g", 0) == 1));
	fd = open("g", O_WRONLY | O_APPEND);
	say("write_via_g", "%s", R(write(fd, "+", 1)));
	close(fd);
	say("read_via_f", "%s", CONTENT("f"));
	mkdir_p("sub");
	say("link_other_dir", "%s", R(link("f", "sub/h")));
	say("stat_three", "%s", ST("sub/h"));
	fd = open("f", O_RDONLY);
	say("unlink_f", "%s", R(unlink("f")));
	say("stat_f_gone", "%s", ST("f"));
	say("stat_g_after", "%s", ST("g"));
	say("fstat_open_fd", "%s", FST(fd));
	close(fd);
	say("unlink_g", "%s", R(unlink("g")));
	say("stat_h_last", "%s", ST("sub/h"));
	say("content_h", "%s", CONTENT("sub/h"));

	say("link_existing", "%s", R(link("sub/h", "sub/h")));
	mkfile("other", "o");
	say("link_onto_file", "%s", R(link("sub/h", "other")));
	say("link_missing", "%s", R(link("nope", "x")));
	say("link_dir", "%s", R(link("sub", "subl")));
	say("link_into_missing_dir", "%s", R(link("other", "nodir/x")));
	say("link_trailing_slash_new", "%s", R(link("other", "x/")));
	say("link_trailing_slash_old", "%s", R(link("other/", "x")));

	/* link(2) does not follow a symlink (linkat without AT_SYMLINK_FOLLOW) */
	must(symlink("other", "sl"), "symlink");
	say("link_symlink", "%s", R(link("sl", "sl2")));
	say("link_symlink_lstat", "%s", LST("sl2"));
	say("link_symlink_target", "%s", ST("other"));

	/* directory link counts: 2 + subdirectories */
	mkdir_p("d");
	say("dir_nlink_new", "%s", ST("d"));
	mkdir_p("d/s1");
	mkdir_p("d/s2");
	mkfile("d/file", "");
	say("dir_nlink_two_subdirs", "%s", ST("d"));
	say("rmdir_s1", "%s", R(rmdir("d/s1")));
	say("dir_nlink_after_rmdir", "%s", ST("d"));
	say("rename_s2_out", "%s", R(rename("d/s2", "s2")));
	say("dir_nlink_after_move", "%s", ST("d"));
	say("dotdot_is_parent", "%s", yes(same_file("s2/..", ".", 0) == 1));
}

void case_symlinks(void)
{
	char lng[PATH_MAX + 2];
	int fd;

	mkfile("t", "target");
	mkdir_p("d");
	mkfile("d/in", "inside");
	mkdir_p("a/b");
	mkfile("a/fa", "in a");

	say("symlink", "%s", R(symlink("t", "lt")));
	say("readlink", "%s", READLINK("lt"));
	say("lstat", "%s", LST("lt"));
	say("stat", "%s", ST("lt"));
	say("content", "%s", CONTENT("lt"));
	{
		char b3[3];

		must(symlink("abcdef", "six"), "symlink six");
		say("readlink_short_buffer", "%s", R(readlink("six", b3, sizeof(b3))));
		say("readlink_short_buffer_data", "%s", q(b3, 3));
	}
	say("readlink_file", "%s", READLINK("t"));
	say("readlink_dir", "%s", READLINK("d"));
	say("readlink_missing", "%s", READLINK("nope"));

	/* dangling */
	say("dangling", "%s", R(symlink("nowhere", "ln")));
	say("dangling_stat", "%s", ST("ln"));
	say("dangling_lstat", "%s", LST("ln"));
	say("dangling_readlink", "%s", READLINK("ln"));
	say("dangling_open", "%s", OPEN("ln", O_RDONLY, 0));
	say("dangling_access", "%s", R(access("ln", F_OK)));

	/* in the middle of a path, and ".." after one (physical, not lexical) */
	say("dir_symlink", "%s", R(symlink("d", "ld")));
	say("middle_stat", "%s", ST("ld/in"));
	say("middle_lstat", "%s", LST("ld/in"));
	say("middle_content", "%s", CONTENT("ld/in"));
	must(symlink("a/b", "lab"), "symlink lab");
	say("dotdot_after_symlink", "%s", ST("lab/../fa"));
	must(symlink("../t", "d/up"), "symlink d/up");
	say("relative_to_link_dir", "%s", CONTENT("d/up"));
	say("relative_via_middle", "%s", CONTENT("ld/up"));
	must(symlink(".", "self"), "symlink self");
	say("self_chain", "%s", ST("self/self/self/t"));
	must(symlink("lt", "llt"), "symlink llt");
	say("two_levels", "%s", CONTENT("llt"));

	/* an absolute target (printed without DIR) */
	say("absolute", "%s", R(symlink(abspath("t"), "abs")));
	{
		char b[PATH_MAX];
		long n = readlink("abs", b, sizeof(b) - 1);

		if (n >= 0)
			b[n] = 0;
		say("absolute_readlink", "%s", n < 0 ? R(n) : relpath(b));
	}
	say("absolute_content", "%s", CONTENT("abs"));
	must(symlink(abspath("d"), "absd"), "symlink absd");
	say("absolute_middle", "%s", CONTENT("absd/in"));

	/* trailing slashes */
	say("slash_dir_link_stat", "%s", ST("ld/"));
	say("slash_dir_link_lstat", "%s", LST("ld/"));
	say("slash_file_link_stat", "%s", ST("lt/"));
	say("slash_file_link_lstat", "%s", LST("lt/"));
	say("slash_readlink", "%s", READLINK("ld/"));
	say("slash_dangling_lstat", "%s", LST("ln/"));
	say("slash_unlink_dir_link", "%s", R(unlink("ld/")));
	say("slash_rmdir_dir_link", "%s", R(rmdir("ld/")));
	say("slash_dir_link_still", "%s", LST("ld"));

	/* creation errors and modes */
	say("exists", "%s", R(symlink("x", "lt")));
	say("over_dangling", "%s", R(symlink("x", "ln")));
	say("over_dir", "%s", R(symlink("x", "d")));
	say("under_file", "%s", R(symlink("x", "t/y")));
	say("in_missing_dir", "%s", R(symlink("x", "nodir/y")));
	say("empty_target", "%s", R(symlink("", "empty")));
	say("trailing_slash_name", "%s", R(symlink("t", "newl/")));
	umask(077);
	must(symlink("t", "masked"), "symlink masked");
	umask(022);
	say("mode_ignores_umask", "%s", LST("masked"));

	/* long targets: PATH_MAX - 1 bytes fit, PATH_MAX do not */
	memset(lng, 'x', sizeof(lng));
	lng[PATH_MAX - 1] = 0;
	say("target_4095", "%s", R(symlink(lng, "long")));
	say("target_4095_lstat", "%s", LST("long"));
	say("target_4095_readlink", "%s", READLINK("long"));
	lng[PATH_MAX - 1] = 'x';
	lng[PATH_MAX] = 0;
	say("target_4096", "%s", R(symlink(lng, "toolong")));

	/* unlink and rename act on the link */
	say("unlink_link", "%s", R(unlink("llt")));
	say("unlink_link_target_stays", "%s", ST("lt"));
	say("rename_link", "%s", R(rename("ld", "ld2")));
	say("rename_link_readlink", "%s", READLINK("ld2"));
	say("rename_link_works", "%s", CONTENT("ld2/in"));

	/* O_CREAT through a symlink in the middle */
	fd = open("ld2/new", O_WRONLY | O_CREAT, 0644);
	say("creat_via_middle", "%s", FD(fd));
	close(fd);
	say("creat_via_middle_stat", "%s", ST("d/new"));
}

void case_symloop(void)
{
	char name[16], prev[16];

	mkfile("t", "end");
	mkdir_p("d");
	mkfile("d/x", "in d");
	must(symlink("b", "a"), "symlink a");
	must(symlink("a", "b"), "symlink b");
	must(symlink("s", "s"), "symlink s");
	say("stat", "%s", ST("a"));
	say("lstat", "%s", LST("a"));
	say("readlink", "%s", READLINK("a"));
	say("open", "%s", OPEN("a", O_RDONLY, 0));
	say("open_creat", "%s", OPEN("a", O_WRONLY | O_CREAT, 0644));
	say("open_nofollow", "%s", OPEN("a", O_RDONLY | O_NOFOLLOW, 0));
	say("middle", "%s", ST("a/x"));
	say("access", "%s", R(access("a", F_OK)));
	say("chdir", "%s", R(chdir("a")));
	say("truncate", "%s", R(truncate("a", 0)));
	say("self", "%s", ST("s"));
	say("self_middle", "%s", OPEN("s/x", O_RDONLY, 0));
	say("unlink_loop", "%s", R(unlink("s")));

	/* c0 -> t, cN -> c(N-1): cN takes N+1 follows; 40 is the limit */
	must(symlink("t", "c0"), "symlink c0");
	must(symlink("d", "e0"), "symlink e0");
	for (int i = 1; i <= 41; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		snprintf(prev, sizeof(prev), "c%d", i - 1);
		must(symlink(prev, name), name);
		snprintf(name, sizeof(name), "e%d", i);
		snprintf(prev, sizeof(prev), "e%d", i - 1);
		must(symlink(prev, name), name);
	}
	say("chain_39_stat", "%s", ST("c38"));
	say("chain_40_stat", "%s", ST("c39"));
	say("chain_41_stat", "%s", ST("c40"));
	say("chain_40_open", "%s", OPEN("c39", O_RDONLY, 0));
	say("chain_41_open", "%s", OPEN("c40", O_RDONLY, 0));
	say("chain_41_lstat", "%s", LST("c40"));
	say("dir_chain_40", "%s", ST("e39/x"));
	say("dir_chain_41", "%s", ST("e40/x"));
	say("dir_chain_40_plus_file_link", "%s", ST("e39/../c0"));
}

void case_rename(void)
{
	int fd;

	mkfile("a", "A");
	mkfile("b", "B");
	say("file_over_file", "%s", R(rename("a", "b")));
	say("old_gone", "%s", ST("a"));
	say("new_content", "%s", CONTENT("b"));
	say("new_stat", "%s", ST("b"));

	/* an open victim keeps its data */
	mkfile("c", "C");
	mkfile("c2", "D");
	fd = open("c", O_RDONLY);
	say("over_open_file", "%s", R(rename("c2", "c")));
	say("victim_read", "%s", READ(fd, 5));
	say("victim_fstat", "%s", FST(fd));
	close(fd);
	say("over_open_content", "%s", CONTENT("c"));

	/* the renamed file's open descriptor follows it */
	fd = open("b", O_RDWR);
	say("rename_open_file", "%s", R(rename("b", "b2")));
	say("open_file_write", "%s", R(pwrite(fd, "Z", 1, 1)));
	close(fd);
	say("open_file_content", "%s", CONTENT("b2"));

	say("to_itself", "%s", R(rename("b2", "b2")));
	say("to_itself_content", "%s", CONTENT("b2"));
	must(link("b2", "b3"), "link b3");
	say("hard_links_same_inode", "%s", R(rename("b2", "b3")));
	say("hard_links_both_stay", "%s", ST("b2"));

	/* directories */
	mkdir_p("s1");
	mkfile("s1/f", "s1f");
	mkdir_p("e1");
	say("dir_over_empty_dir", "%s", R(rename("s1", "e1")));
	say("dir_over_empty_dir_content", "%s", CONTENT("e1/f"));
	say("dir_over_empty_dir_old", "%s", ST("s1"));
	mkdir_p("s2");
	mkdir_p("n2");
	mkfile("n2/f", "keep");
	say("dir_over_nonempty_dir", "%s", R(rename("s2", "n2")));
	say("dir_over_nonempty_dir_kept", "%s", CONTENT("n2/f"));
	say("dir_over_file", "%s", R(rename("s2", "b3")));
	say("file_over_dir", "%s", R(rename("b3", "s2")));
	say("file_over_nonempty_dir", "%s", R(rename("b3", "n2")));
	mkdir_p("p/q");
	say("dir_into_itself", "%s", R(rename("p", "p/q/r")));
	say("dir_into_child", "%s", R(rename("p", "p/q")));
	say("dir_to_itself", "%s", R(rename("p", "p")));
	say("parent_into_child", "%s", R(rename("p/q", "p/q/x")));
	say("child_over_parent", "%s", R(rename("p/q", "p")));
	say("dot", "%s", R(rename(".", "x")));
	say("dotdot", "%s", R(rename("p/..", "x")));
	say("onto_dot", "%s", R(rename("b3", "p/.")));
	say("missing", "%s", R(rename("nope", "x")));
	say("into_missing_dir", "%s", R(rename("b3", "nodir/x")));
	say("under_file", "%s", R(rename("b3", "b2/x")));
	say("file_trailing_slash", "%s", R(rename("b3/", "x")));
	say("file_to_trailing_slash", "%s", R(rename("b3", "x/")));
	say("dir_trailing_slashes", "%s", R(rename("p/", "p2/")));
	say("dir_trailing_slashes_stat", "%s", ST("p2/q"));
	say("empty_old", "%s", R(rename("", "x")));

	/* across directories: the parents' link counts and ".." follow */
	mkdir_p("P1/sub");
	mkdir_p("P2");
	mkfile("P1/sub/f", "moved");
	say("move_dir", "%s", R(rename("P1/sub", "P2/sub")));
	say("move_dir_old_parent", "%s", ST("P1"));
	say("move_dir_new_parent", "%s", ST("P2"));
	say("move_dir_dotdot", "%s", yes(same_file("P2/sub/..", "P2", 0) == 1));
	say("move_dir_content", "%s", CONTENT("P2/sub/../sub/f"));
	say("move_file", "%s", R(rename("P2/sub/f", "P1/f")));
	say("move_file_content", "%s", CONTENT("P1/f"));

	/* onto a symlink replaces the link, not its target */
	mkfile("tgt", "target");
	must(symlink("tgt", "sl"), "symlink sl");
	mkfile("src", "source");
	say("over_symlink", "%s", R(rename("src", "sl")));
	say("over_symlink_lstat", "%s", LST("sl"));
	say("over_symlink_target", "%s", CONTENT("tgt"));
}

void case_renameat2(void)
{
	mkfile("a", "A");
	mkfile("b", "B");
	mkdir_p("d");
	mkfile("d/in", "in d");

	say("noreplace_existing", "%s", R(rename2("a", "b", RENAME_NOREPLACE)));
	say("noreplace_existing_a", "%s", CONTENT("a"));
	say("noreplace_existing_b", "%s", CONTENT("b"));
	say("noreplace_new", "%s", R(rename2("a", "a2", RENAME_NOREPLACE)));
	say("noreplace_new_old", "%s", ST("a"));
	say("noreplace_new_content", "%s", CONTENT("a2"));
	say("noreplace_itself", "%s", R(rename2("a2", "a2", RENAME_NOREPLACE)));
	say("noreplace_dir_over_dir", "%s", R(rename2("d", "a2", RENAME_NOREPLACE)));

	say("exchange_files", "%s", R(rename2("a2", "b", RENAME_EXCHANGE)));
	say("exchange_files_a2", "%s", CONTENT("a2"));
	say("exchange_files_b", "%s", CONTENT("b"));
	say("exchange_file_dir", "%s", R(rename2("b", "d", RENAME_EXCHANGE)));
	say("exchange_file_dir_b", "%s", ST("b"));
	say("exchange_file_dir_d", "%s", ST("d"));
	say("exchange_file_dir_b_in", "%s", CONTENT("b/in"));
	say("exchange_missing_new", "%s", R(rename2("b", "nope", RENAME_EXCHANGE)));
	say("exchange_missing_old", "%s", R(rename2("nope", "b", RENAME_EXCHANGE)));
	say("exchange_itself", "%s", R(rename2("b", "b", RENAME_EXCHANGE)));
	say("exchange_and_noreplace", "%s", R(rename2("b", "d", RENAME_EXCHANGE | RENAME_NOREPLACE)));
	say("unknown_flag", "%s", R(rename2("b", "d", 1u << 5)));

	/* exchange across directories: a subdirectory for a file */
	mkdir_p("P1/sd");
	mkdir_p("P2");
	mkfile("P2/f", "file");
	say("exchange_across", "%s", R(rename2("P1/sd", "P2/f", RENAME_EXCHANGE)));
	say("exchange_across_p1", "%s", ST("P1"));
	say("exchange_across_p2", "%s", ST("P2"));
	say("exchange_across_p1_sd", "%s", ST("P1/sd"));
	say("exchange_across_p2_f", "%s", ST("P2/f"));
	say("exchange_across_dotdot", "%s", yes(same_file("P2/f/..", "P2", 0) == 1));
	say("exchange_dir_into_itself", "%s", R(rename2("P2", "P2/f", RENAME_EXCHANGE)));
}

void case_mkdir(void)
{
	mkfile("f", "x");
	must(symlink("nowhere", "dang"), "symlink dang");
	say("mkdir", "%s", R(mkdir("d", 0755)));
	say("stat", "%s", ST("d"));
	say("existing", "%s", R(mkdir("d", 0755)));
	say("existing_slash", "%s", R(mkdir("d/", 0755)));
	say("trailing_slash", "%s", R(mkdir("n/", 0755)));
	say("trailing_slash_stat", "%s", ST("n"));
	say("over_file", "%s", R(mkdir("f", 0755)));
	say("over_dangling", "%s", R(mkdir("dang", 0755)));
	say("in_missing", "%s", R(mkdir("nope/x", 0755)));
	say("under_file", "%s", R(mkdir("f/x", 0755)));
	say("empty", "%s", R(mkdir("", 0755)));
	say("mode_7777", "%s", R(mkdir("m", 07777)));
	say("mode_7777_stat", "%s", ST("m"));
	say("mode_0", "%s", R(mkdir("m0", 0)));
	say("mode_0_stat", "%s", ST("m0"));
	say("create_in_mode_0", "%s", OPEN("m0/f", O_WRONLY | O_CREAT, 0644));
	mkfile("d/f", "");
	say("rmdir_nonempty", "%s", R(rmdir("d")));
	say("rmdir_file", "%s", R(rmdir("f")));
	say("rmdir_missing", "%s", R(rmdir("nope")));
	say("rmdir_dot", "%s", R(rmdir(".")));
	say("rmdir_dotdot", "%s", R(rmdir("..")));
	say("rmdir_slash_dot", "%s", R(rmdir("n/.")));
	say("rmdir_slash_dotdot", "%s", R(rmdir("n/..")));
	must(symlink("n", "ln"), "symlink ln");
	say("rmdir_symlink", "%s", R(rmdir("ln")));
	say("rmdir_trailing_slash", "%s", R(rmdir("n/")));
	say("rmdir_gone", "%s", ST("n"));
	say("unlink_dir", "%s", R(unlink("d")));
	say("unlink_missing", "%s", R(unlink("nope")));
	say("unlink_trailing_slash_file", "%s", R(unlink("f/")));
	say("unlink_empty", "%s", R(unlink("")));

	/* mknod: FIFOs and regular files (no device numbers needed) */
	say("mkfifo", "%s", R(mkfifo("p", 0644)));
	say("mkfifo_stat", "%s", LST("p"));
	say("mkfifo_existing", "%s", R(mkfifo("p", 0644)));
	say("mknod_reg", "%s", R(mknod("r", S_IFREG | 0600, 0)));
	say("mknod_reg_stat", "%s", LST("r"));
	say("mknod_zero_type", "%s", R(mknod("r0", 0640, 0)));
	say("mknod_zero_type_stat", "%s", LST("r0"));
	say("unlink_fifo", "%s", R(unlink("p")));
}

void case_paths(void)
{
	char p[PATH_MAX + 8];
	size_t n = 0;

	mkdir_p("d/e");
	mkfile("d/f", "f");
	mkfile("top", "top");
	say("dot_slash", "%s", ST("./d/f"));
	say("double_slash", "%s", ST("d//f"));
	say("dot_component", "%s", ST("d/./f"));
	say("dotdot_component", "%s", ST("d/e/../f"));
	say("dotdot_through_missing", "%s", ST("nope/../top"));
	say("dotdot_through_file", "%s", ST("top/../top"));
	say("file_dot", "%s", ST("top/."));
	say("dir_dot", "%s", ST("d/."));
	say("dir_many_slashes", "%s", ST("d///e//"));
	say("absolute", "%s", ST(abspath("d/f")));
	say("absolute_dotdot", "%s", ST(abspath("d/e/../../top")));

	/* realpath: symlinks and dot-dots resolved, printed without DIR */
	must(symlink("d/e", "lde"), "symlink lde");
	must(symlink("nowhere", "dang"), "symlink dang");
	{
		char b[PATH_MAX];
		static const char *const in[] = { "d/e/../f", "lde/..", "lde/../f", ".", "dang", "nope/x", "top/" };

		for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
			char key[32];

			snprintf(key, sizeof(key), "realpath_%zu", i);
			say(key, "%s -> %s", in[i], realpath(in[i], b) ? relpath(b) : R(-1));
		}
	}

	/* lengths: a path of PATH_MAX - 1 bytes is walked, PATH_MAX is not */
	for (int i = 0; i < 2046; i++)
		n += (size_t)snprintf(p + n, sizeof(p) - n, "./");
	snprintf(p + n, sizeof(p) - n, "top");
	say("path_4095_len", "%zu", strlen(p));
	say("path_4095", "%s", ST(p));
	snprintf(p + n, sizeof(p) - n, "/top");
	say("path_4096_len", "%zu", strlen(p));
	say("path_4096", "%s", ST(p));
}

void case_names(void)
{
	static const char *const odd[] = {
		"with space", "tab\there", "new\nline", "caf\xc3\xa9", "\xff\xfe", "-dash",
		".hidden", "...", "a:b", "back\\slash", "quote\"", "UPPER", "upper",
	};
	char n255[300];
	int fd;

	mkdir_p("d");
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		char key[32];

		snprintf(key, sizeof(key), "create_%zu", i);
		fd = open(odd[i], O_WRONLY | O_CREAT | O_EXCL, 0644);
		say(key, "%s %s", q(odd[i], (long)strlen(odd[i])), FD(fd));
		if (fd >= 0) {
			must(write(fd, odd[i], strlen(odd[i])), "write");
			close(fd);
		}
	}
	say("list", "%s", NAMES("."));
	say("read_newline_name", "%s", CONTENT("new\nline"));
	say("read_binary_name", "%s", CONTENT("\xff\xfe"));
	say("case_sensitive", "%s", CONTENT("UPPER"));

	/* NAME_MAX: 255 bytes are a name, 256 are ENAMETOOLONG everywhere */
	memset(n255, 'n', sizeof(n255));
	n255[255] = 0;
	say("name_255", "%s", OPEN(n255, O_WRONLY | O_CREAT, 0644));
	say("name_255_stat", "%s", ST(n255));
	n255[0] = 'm';
	say("name_255_mkdir", "%s", R(mkdir(n255, 0755)));
	n255[0] = 's';
	say("name_255_symlink", "%s", R(symlink("x", n255)));
	n255[0] = 'r';
	say("name_255_rename", "%s", R(rename("d", n255)));
	n255[0] = 'n';
	n255[255] = 'n';
	n255[256] = 0;
	say("name_256_open", "%s", OPEN(n255, O_WRONLY | O_CREAT, 0644));
	say("name_256_stat", "%s", ST(n255));
	say("name_256_mkdir", "%s", R(mkdir(n255, 0755)));
	say("name_256_symlink_name", "%s", R(symlink("x", n255)));
	say("name_256_symlink_target", "%s", R(symlink(n255, "lt")));
	say("name_256_via_symlink", "%s", ST("lt"));
	{
		char r255[256], middle[600];

		memset(r255, 'n', 255);
		r255[0] = 'r';
		r255[255] = 0;
		say("name_256_rename_to", "%s", R(rename(r255, n255)));
		snprintf(middle, sizeof(middle), "%s/x", n255);
		say("name_256_in_middle", "%s", ST(middle));
	}
}
