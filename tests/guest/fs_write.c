/*
 * fs_write: change the tree under /write (tests/fs/run-tests makes it and,
 * after the VM is gone, checks every effect on the host byte for byte:
 * content, size, mode bits, times, link counts, symlink targets, file
 * types, names that must be gone). The guest checks what it can see
 * itself; each case here has a host check of the same name
 * (fs_write.host.CASE). Data comes from pat_fill(seed, ...), which the
 * harness regenerates: keep the seeds, offsets and lengths in step with
 * tests/fs/run-tests.
 *
 *   tests/fs/run-tests write
 */
#include <stdint.h>
#include <string.h>

#include "fs/vfs.h"
#include "kernel/kprintf.h"
#include "kernel/selftest.h"
#include "tests/guest/check.h"
#include "tests/guest/fstest.h"

static void case_create(void)
{
	static const char msg[] = "hello, host\n";
	char buf[32];
	struct file *f;
	struct stat st;

	CHECK_ERR(0, vfs_open(NULL, "/write/new.txt", O_CREAT | O_EXCL | O_WRONLY, 0640, &f));
	CHECK_INT(12, vfs_write(f, msg, 12));
	CHECK_ERR(0, vfs_fstat(f, &st));
	CHECK_ERR(0, vfs_close(f));
	CHECK_INT(12, st.st_size);
	CHECK_INT(S_IFREG | 0640, st.st_mode);
	/* O_CREAT without O_EXCL opens what is there, untruncated. */
	CHECK_ERR(0, vfs_open(NULL, "/write/new.txt", O_CREAT | O_RDWR, 0600, &f));
	CHECK_INT(12, vfs_read(f, buf, sizeof(buf)));
	CHECK_ERR(0, vfs_close(f));
	CHECK_BYTES(msg, buf, 12);
}

/* Writes at odd offsets and sizes; each its own seed, so order shows. The
 * third crosses the 1 MiB FUSE WRITE size; the last leaves a hole. */
static const struct { int64_t off; size_t len; } odd_ops[] = {
	{ 0, 7 }, { 4093, 5 }, { 1048573, 1048593 }, { 10, 1 }, { 2097160, 4099 },
};
#define ODD_SIZE (2097160 + 4099)

static void case_odd_writes(void)
{
	unsigned char *buf = fstest_buf(), *want = buf + (3u << 19);
	struct file *f;
	struct stat st;

	CHECK_THAT(buf, "expected a 2 MiB buffer, saw none");
	CHECK_ERR(0, vfs_open(NULL, "/write/odd", O_CREAT | O_RDWR, 0644, &f));
	for (size_t i = 0; i < sizeof(odd_ops) / sizeof(odd_ops[0]); i++) {
		pat_fill(11 + (unsigned)i, (uint64_t)odd_ops[i].off, buf, odd_ops[i].len);
		if (i % 2) {
			CHECK_INT(odd_ops[i].off, vfs_lseek(f, odd_ops[i].off, SEEK_SET));
			CHECK_INT(odd_ops[i].len, vfs_write(f, buf, odd_ops[i].len));
			CHECK_INT(odd_ops[i].off + (int64_t)odd_ops[i].len, vfs_lseek(f, 0, SEEK_CUR));
		} else {
			CHECK_INT(odd_ops[i].len, vfs_pwrite(f, buf, odd_ops[i].len, odd_ops[i].off));
		}
	}
	CHECK_ERR(0, vfs_fstat(f, &st));
	CHECK_INT(ODD_SIZE, st.st_size);
	/* Read back a window around the 4 KiB boundary write. */
	memset(want, 0, 8192);
	pat_fill(11, 0, want, 7);
	pat_fill(14, 10, want + 10, 1);
	pat_fill(12, 4093, want + 4093, 5);
	CHECK_INT(8192, vfs_pread(f, buf, 8192, 0));
	CHECK_BYTES(want, buf, 8192);
	CHECK_ERR(0, vfs_close(f));
}

static void case_holes(void)
{
	unsigned char buf[64], zero[64] = { 0 };
	struct file *f;
	struct stat st;

	CHECK_ERR(0, vfs_open(NULL, "/write/hole", O_CREAT | O_RDWR | O_TRUNC, 0644, &f));
	pat_fill(20, 0, buf, 10);
	CHECK_INT(10, vfs_write(f, buf, 10));
	pat_fill(20, 100000, buf, 10);
	CHECK_INT(10, vfs_pwrite(f, buf, 10, 100000));
	CHECK_ERR(0, vfs_fstat(f, &st));
	CHECK_INT(100010, st.st_size);
	CHECK_INT(64, vfs_pread(f, buf, 64, 50000));
	CHECK_BYTES(zero, buf, 64);
	/* write() after lseek past the end makes a hole too. */
	CHECK_INT(200000, vfs_lseek(f, 200000, SEEK_SET));
	pat_fill(20, 200000, buf, 5);
	CHECK_INT(5, vfs_write(f, buf, 5));
	CHECK_ERR(0, vfs_close(f));
}

/* /write/append holds "host\n". */
static void case_append(void)
{
	struct file *f;

	CHECK_ERR(0, vfs_open(NULL, "/write/append", O_WRONLY | O_APPEND, 0, &f));
	CHECK_INT(4, vfs_write(f, "one\n", 4));
	CHECK_INT(9, vfs_lseek(f, 0, SEEK_CUR));
	CHECK_INT(0, vfs_lseek(f, 0, SEEK_SET));
	CHECK_INT(4, vfs_write(f, "two\n", 4));         /* still at the end */
	CHECK_INT(13, vfs_lseek(f, 0, SEEK_CUR));
	CHECK_INT(6, vfs_pwrite(f, "three\n", 6, 0));   /* Linux: pwrite appends too */
	CHECK_ERR(0, vfs_close(f));
}

/* /write/trunc holds 1000 bytes. */
static void case_trunc(void)
{
	struct file *f;
	struct stat st;

	CHECK_ERR(0, vfs_open(NULL, "/write/trunc", O_WRONLY | O_TRUNC, 0, &f));
	CHECK_ERR(0, vfs_fstat(f, &st));
	CHECK_INT(0, st.st_size);
	CHECK_INT(3, vfs_write(f, "new", 3));
	CHECK_ERR(0, vfs_close(f));
}

static void case_ftruncate(void)
{
	unsigned char *buf = fstest_buf();
	struct vfs_attr a = { .valid = VFS_ATTR_SIZE };
	struct file *f;
	struct stat st;

	CHECK_ERR(0, vfs_open(NULL, "/write/ftrunc", O_CREAT | O_RDWR, 0644, &f));
	pat_fill(30, 0, buf, 10000);
	CHECK_INT(10000, vfs_write(f, buf, 10000));
	a.size = 5000;
	CHECK_ERR(0, vfs_fsetattr(f, &a));               /* shrink */
	CHECK_ERR(0, vfs_fstat(f, &st));
	CHECK_INT(5000, st.st_size);
	a.size = 8192;
	CHECK_ERR(0, vfs_fsetattr(f, &a));               /* grow: zeros */
	CHECK_ERR(0, vfs_fstat(f, &st));
	CHECK_INT(8192, st.st_size);
	CHECK_INT(8192, vfs_pread(f, buf, 10000, 0));
	CHECK_ERR(0, vfs_close(f));
	for (int i = 5000; i < 8192; i++)
		CHECK_THAT(buf[i] == 0, "expected zeros after regrowing, saw 0x%02x at %d", buf[i], i);
	/* By path: /write/ptrunc holds 3000 bytes. */
	a.size = 100;
	CHECK_ERR(0, vfs_setattr(NULL, "/write/ptrunc", &a, 0));
	a.size = 200;
	CHECK_ERR(0, vfs_setattr(NULL, "/write/ptrunc", &a, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/write/ptrunc", &st, 0));
	CHECK_INT(200, st.st_size);
}

static void case_rename_file(void)
{
	struct stat st;

	CHECK_ERR(0, vfs_rename(NULL, "/write/ren_src", NULL, "/write/ren_dst", 0));
	CHECK_ERR(-ENOENT, vfs_stat(NULL, "/write/ren_src", &st, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/write/ren_dst", &st, 0));
	CHECK_INT(7, st.st_size);                       /* "source\n" */
}

static void case_rename_over_empty_dir(void)
{
	struct stat st;

	CHECK_ERR(0, vfs_rename(NULL, "/write/rd_src", NULL, "/write/rd_dst", 0));
	CHECK_ERR(-ENOENT, vfs_stat(NULL, "/write/rd_src", &st, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/write/rd_dst/inner", &st, 0));
}

/* Move a directory that is the current directory; getcwd follows it. */
static void case_rename_dir_into_dir(void)
{
	char cwd[128];
	struct stat st;

	CHECK_ERR(0, vfs_chdir(NULL, "/write/mvdir"));
	CHECK_ERR(0, vfs_rename(NULL, "/write/mvdir", NULL, "/write/target/mvdir", 0));
	CHECK_INT(sizeof("/write/target/mvdir"), vfs_getcwd(cwd, sizeof(cwd)));
	CHECK_STR("/write/target/mvdir", cwd);
	CHECK_ERR(0, vfs_stat(NULL, "payload", &st, 0));
	CHECK_ERR(0, vfs_stat(NULL, "../../ren_dst", &st, 0));   /* ".." is the new parent */
	CHECK_ERR(0, vfs_chdir(NULL, "/"));
	CHECK_ERR(-ENOENT, vfs_stat(NULL, "/write/mvdir", &st, 0));
}

/* Trailing slashes are fine when both are directories. */
static void case_rename_dir_slash(void)
{
	struct stat st;

	CHECK_ERR(0, vfs_rename(NULL, "/write/slashdir/", NULL, "/write/slashdir2/", 0));
	CHECK_ERR(0, vfs_stat(NULL, "/write/slashdir2/f", &st, 0));
}

static void case_rename_noreplace(void)
{
	struct stat st;

	CHECK_ERR(-EEXIST, vfs_rename(NULL, "/write/nr_a", NULL, "/write/nr_b", RENAME_NOREPLACE));
	CHECK_ERR(0, vfs_stat(NULL, "/write/nr_a", &st, 0));
	CHECK_ERR(0, vfs_rename(NULL, "/write/nr_c", NULL, "/write/nr_d", RENAME_NOREPLACE));
	CHECK_ERR(-ENOENT, vfs_stat(NULL, "/write/nr_c", &st, 0));
}

static void case_rename_exchange(void)
{
	char buf[32];
	struct stat st;

	CHECK_ERR(0, vfs_rename(NULL, "/write/ex_a", NULL, "/write/ex_b", RENAME_EXCHANGE));
	CHECK_INT(10, fstest_read_file("/write/ex_a", buf, sizeof(buf)));
	CHECK_BYTES("exchange b", buf, 10);
	/* A file and a directory trade places. */
	CHECK_ERR(0, vfs_rename(NULL, "/write/ex_file", NULL, "/write/ex_dir", RENAME_EXCHANGE));
	CHECK_ERR(0, vfs_stat(NULL, "/write/ex_file/in_dir", &st, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/write/ex_dir", &st, 0));
	CHECK_THAT(S_ISREG(st.st_mode), "expected ex_dir to be the file now, saw mode 0%o", st.st_mode);
}

/* /write/lnk_src holds "linked\n". */
static void case_link(void)
{
	struct stat a, b;
	struct file *f;
	char buf[32];

	CHECK_ERR(0, vfs_link(NULL, "/write/lnk_src", NULL, "/write/lnk_dst", 0));
	CHECK_ERR(0, vfs_stat(NULL, "/write/lnk_src", &a, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/write/lnk_dst", &b, 0));
	CHECK_INT(a.st_ino, b.st_ino);
	CHECK_INT(2, a.st_nlink);
	CHECK_ERR(0, vfs_open(NULL, "/write/lnk_dst", O_WRONLY | O_APPEND, 0, &f));
	CHECK_INT(5, vfs_write(f, "more\n", 5));
	CHECK_ERR(0, vfs_close(f));
	CHECK_INT(12, fstest_read_file("/write/lnk_src", buf, sizeof(buf)));
	CHECK_BYTES("linked\nmore\n", buf, 12);
	/* A link to a symlink itself (no VFS_FOLLOW), and through it. */
	CHECK_ERR(0, vfs_link(NULL, "/write/lnk_sym", NULL, "/write/lnk_sym2", 0));
	CHECK_ERR(0, vfs_stat(NULL, "/write/lnk_sym2", &a, VFS_NOFOLLOW));
	CHECK_THAT(S_ISLNK(a.st_mode), "expected a link to the symlink, saw mode 0%o", a.st_mode);
	CHECK_ERR(0, vfs_link(NULL, "/write/lnk_sym", NULL, "/write/lnk_followed", VFS_FOLLOW));
	CHECK_ERR(0, vfs_stat(NULL, "/write/lnk_followed", &b, VFS_NOFOLLOW));
	CHECK_THAT(S_ISREG(b.st_mode), "expected VFS_FOLLOW to link the file, saw mode 0%o", b.st_mode);
}

static void case_symlink(void)
{
	char buf[64];
	struct stat st;

	CHECK_ERR(0, vfs_symlink("target/with/../path", NULL, "/write/sym"));
	CHECK_ERR(0, vfs_symlink("/write/new.txt", NULL, "/write/sym_abs"));
	CHECK_INT(12, fstest_read_file("/write/sym_abs", buf, sizeof(buf)));
	CHECK_BYTES("hello, host\n", buf, 12);
	CHECK_ERR(0, vfs_stat(NULL, "/write/sym", &st, VFS_NOFOLLOW));
	CHECK_INT(19, st.st_size);
}

static int set_mode(const char *path, mode_t mode)
{
	struct vfs_attr a = { .valid = VFS_ATTR_MODE, .mode = mode };

	return vfs_setattr(NULL, path, &a, 0);
}

static void case_chmod(void)
{
	struct stat st;
	struct file *f;
	struct vfs_attr a = { .valid = VFS_ATTR_MODE, .mode = 0604 };

	CHECK_ERR(0, set_mode("/write/chm", 0751));
	CHECK_ERR(0, vfs_stat(NULL, "/write/chm", &st, 0));
	CHECK_INT(S_IFREG | 0751, st.st_mode);
	CHECK_ERR(0, set_mode("/write/chmdir", 01755));
	CHECK_ERR(0, set_mode("/write/chm_suid", 04755));
	CHECK_ERR(0, vfs_open(NULL, "/write/chm_f", O_RDONLY, 0, &f));
	CHECK_ERR(0, vfs_fsetattr(f, &a));               /* fchmod */
	CHECK_ERR(0, vfs_close(f));
}

static void case_utimens(void)
{
	struct vfs_attr a = { .valid = VFS_ATTR_ATIME | VFS_ATTR_MTIME };
	struct stat st;
	struct file *f;

	a.atime = (struct timespec){ 1000000000, 123456789 };
	a.mtime = (struct timespec){ 1234567890, 987654321 };
	CHECK_ERR(0, vfs_setattr(NULL, "/write/ut", &a, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/write/ut", &st, 0));
	CHECK_INT(1234567890, st.st_mtim.tv_sec);
	CHECK_INT(987654321, st.st_mtim.tv_nsec);
	CHECK_INT(1000000000, st.st_atim.tv_sec);
	CHECK_INT(123456789, st.st_atim.tv_nsec);
	a.atime = (struct timespec){ 0, UTIME_NOW };
	a.mtime = (struct timespec){ 0, UTIME_NOW };
	CHECK_ERR(0, vfs_setattr(NULL, "/write/utnow", &a, 0));
	a.atime = (struct timespec){ 0, UTIME_OMIT };
	a.mtime = (struct timespec){ 1300000000, 42 };
	CHECK_ERR(0, vfs_setattr(NULL, "/write/utomit", &a, 0));
	/* futimens on an open file. */
	a.valid = VFS_ATTR_MTIME;
	a.mtime = (struct timespec){ 1400000000, 500000000 };
	CHECK_ERR(0, vfs_open(NULL, "/write/ut_f", O_WRONLY, 0, &f));
	CHECK_ERR(0, vfs_fsetattr(f, &a));
	CHECK_ERR(0, vfs_close(f));
}

static void case_mknod(void)
{
	struct stat st;
	struct file *f;

	CHECK_ERR(0, vfs_mknod(NULL, "/write/fifo", S_IFIFO | 0640, 0));
	CHECK_ERR(0, vfs_stat(NULL, "/write/fifo", &st, 0));
	CHECK_INT(S_IFIFO | 0640, st.st_mode);
	/* The contract: a FIFO has nobody at the other end in this guest. */
	CHECK_ERR(-ENXIO, vfs_open(NULL, "/write/fifo", O_RDONLY | O_NONBLOCK, 0, &f));
	CHECK_ERR(0, vfs_mknod(NULL, "/write/mknod_reg", S_IFREG | 0600, 0));
	CHECK_ERR(0, vfs_mknod(NULL, "/write/mknod_0", 0604, 0));   /* type 0: regular */
	CHECK_ERR(0, vfs_stat(NULL, "/write/mknod_reg", &st, 0));
	CHECK_INT(S_IFREG | 0600, st.st_mode);
	CHECK_INT(0, st.st_size);
}

static void case_mkdir_rmdir_unlink(void)
{
	struct stat st;

	CHECK_ERR(0, vfs_mkdir(NULL, "/write/newdir", 0750));
	CHECK_ERR(0, vfs_mkdir(NULL, "/write/newdir/sub", 0700));
	CHECK_ERR(0, vfs_mkdir(NULL, "/write/slash/", 0755));
	CHECK_ERR(0, vfs_mkdir(NULL, "/write/gone", 0755));
	CHECK_ERR(0, vfs_stat(NULL, "/write/newdir", &st, 0));
	CHECK_INT(S_IFDIR | 0750, st.st_mode);
	CHECK_INT(3, st.st_nlink);
	CHECK_ERR(0, vfs_rmdir(NULL, "/write/gone"));
	CHECK_ERR(-ENOENT, vfs_stat(NULL, "/write/gone", &st, 0));
	CHECK_ERR(0, vfs_mkdir(NULL, "/write/gone2", 0755));
	CHECK_ERR(0, vfs_unlink(NULL, "/write/gone2/", VFS_REMOVEDIR));
	CHECK_ERR(0, vfs_unlink(NULL, "/write/del", 0));
	CHECK_ERR(-ENOENT, vfs_stat(NULL, "/write/del", &st, 0));
}

/* Unlinked while open: the open file still works (the host keeps it). */
static void case_unlink_open(void)
{
	struct file *f;
	char buf[8];

	CHECK_ERR(0, vfs_open(NULL, "/write/open_unlinked", O_CREAT | O_RDWR, 0644, &f));
	CHECK_INT(5, vfs_write(f, "still", 5));
	CHECK_ERR(0, vfs_unlink(NULL, "/write/open_unlinked", 0));
	CHECK_INT(5, vfs_pwrite(f, "there", 5, 5));
	CHECK_INT(8, vfs_pread(f, buf, 8, 2));
	CHECK_ERR(0, vfs_close(f));
	CHECK_BYTES("illthere", buf, 8);
}

static void case_fsync(void)
{
	unsigned char *buf = fstest_buf();
	struct file *f;

	CHECK_ERR(0, vfs_open(NULL, "/write/synced", O_CREAT | O_WRONLY, 0644, &f));
	pat_fill(40, 0, buf, 65536);
	CHECK_INT(65536, vfs_write(f, buf, 65536));
	CHECK_ERR(0, vfs_fsync(f, false));
	CHECK_ERR(0, vfs_fsync(f, true));
	CHECK_ERR(0, vfs_close(f));
	CHECK_ERR(0, vfs_open(NULL, "/write", O_RDONLY | O_DIRECTORY, 0, &f));
	CHECK_ERR(0, vfs_fsync(f, false));
	CHECK_ERR(0, vfs_close(f));
}

static void case_fallocate(void)
{
	unsigned char *buf = fstest_buf();
	struct file *f;
	struct stat st;

	CHECK_ERR(0, vfs_open(NULL, "/write/falloc", O_CREAT | O_RDWR, 0644, &f));
	CHECK_ERR(0, vfs_fallocate(f, 0, 0, 1 << 20));
	CHECK_ERR(0, vfs_fstat(f, &st));
	CHECK_INT(1 << 20, st.st_size);
	CHECK_THAT(st.st_blocks >= 2048, "expected >= 2048 blocks allocated, saw %ld", (long)st.st_blocks);
	CHECK_ERR(0, vfs_fallocate(f, FALLOC_FL_KEEP_SIZE, 1 << 20, 1 << 20));
	CHECK_ERR(0, vfs_fstat(f, &st));
	CHECK_INT(1 << 20, st.st_size);
	CHECK_THAT(st.st_blocks >= 4096, "expected >= 4096 blocks allocated, saw %ld", (long)st.st_blocks);
	pat_fill(50, 0, buf, 65536);
	CHECK_INT(65536, vfs_pwrite(f, buf, 65536, 0));
	CHECK_ERR(0, vfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 8192));
	CHECK_INT(16, vfs_pread(f, buf, 16, 8000));
	for (int i = 0; i < 16; i++)
		CHECK_THAT(buf[i] == 0, "expected the punched hole to read 0, saw 0x%02x", buf[i]);
	CHECK_ERR(0, vfs_close(f));
}

/* open(O_CREAT) through a dangling symlink creates its target (Linux). */
static void case_creat_dangling(void)
{
	struct file *f;

	CHECK_ERR(0, vfs_open(NULL, "/write/dangling", O_CREAT | O_WRONLY, 0600, &f));
	CHECK_INT(5, vfs_write(f, "made\n", 5));
	CHECK_ERR(0, vfs_close(f));
}

static void case_umask(void)
{
	struct file *f;
	mode_t old = vfs_umask(077);

	CHECK_INT(022, old);
	CHECK_ERR(0, vfs_open(NULL, "/write/umasked", O_CREAT | O_WRONLY, 0666, &f));
	CHECK_ERR(0, vfs_close(f));
	CHECK_ERR(0, vfs_mkdir(NULL, "/write/umaskdir", 0777));
	CHECK_INT(077, vfs_umask(old));
}

/* Two references to one open file share the offset. */
static void case_dup(void)
{
	struct file *f, *g;

	CHECK_ERR(0, vfs_open(NULL, "/write/dup", O_CREAT | O_WRONLY | O_TRUNC, 0644, &f));
	g = vfs_file_dup(f);
	CHECK_INT(2, vfs_write(f, "ab", 2));
	CHECK_INT(2, vfs_write(g, "cd", 2));
	CHECK_ERR(0, vfs_close(f));
	CHECK_INT(2, vfs_write(g, "ef", 2));             /* still open */
	CHECK_ERR(0, vfs_close(g));
}

static int run(const struct cmdline *cl)
{
	check_begin(cl, "fs_write");
	CHECK_RUN(create);
	CHECK_RUN(odd_writes);
	CHECK_RUN(holes);
	CHECK_RUN(append);
	CHECK_RUN(trunc);
	CHECK_RUN(ftruncate);
	CHECK_RUN(rename_file);
	CHECK_RUN(rename_over_empty_dir);
	CHECK_RUN(rename_dir_into_dir);
	CHECK_RUN(rename_dir_slash);
	CHECK_RUN(rename_noreplace);
	CHECK_RUN(rename_exchange);
	CHECK_RUN(link);
	CHECK_RUN(symlink);
	CHECK_RUN(chmod);
	CHECK_RUN(utimens);
	CHECK_RUN(mknod);
	CHECK_RUN(mkdir_rmdir_unlink);
	CHECK_RUN(unlink_open);
	CHECK_RUN(fsync);
	CHECK_RUN(fallocate);
	CHECK_RUN(creat_dangling);
	CHECK_RUN(umask);
	CHECK_RUN(dup);
	return check_end();
}
SELFTEST_SUITE("fs_write", run);
