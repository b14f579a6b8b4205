/*
 * The VFS over fake virtio-fs devices when things go wrong, and over long
 * runs: FORGET accounting (with and without READDIRPLUS), every malformed
 * reply the fake can send (-EIO to the caller, nothing else, and the next
 * request works), a broken queue, a hostile tree, a root that is not a
 * directory, and shutdown. Devices besides vfs_harness.h's "root" and
 * "two": "brk" on /mnt3 (its queue gets broken), "evil" on /mnt4 (a
 * directory hard link), "notdir" on /mnt5 (its root says S_IFREG).
 *   make -C tests/unit && FAKE_FUSE_VERBOSE=1 tests/unit/build/test_vfs_faults
 * shows the kernel's console (with trace=fuse) on stderr.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfs_harness.h"

static struct virtio_fs *brk, *evil, *notdir;

/* ---- The fake itself ---------------------------------------------------------- */

/* A raw UNLINK, RMDIR or RENAME2 of a name in the root directory. */
static int raw_remove(struct virtio_fs *d, uint32_t op, const char *name)
{
	struct fuse_rename2_in in2 = { .newdir = FUSE_ROOT_ID };
	struct fuse_req r = { .opcode = op, .nodeid = FUSE_ROOT_ID, .toff = -1, .tlen = -1 };

	if (op == FUSE_RENAME2) {
		r.in[r.nin++] = (struct fuse_arg){ &in2, sizeof(in2) };
		r.in[r.nin++] = (struct fuse_arg){ name, (uint32_t)strlen(name) + 1 };
		r.in[r.nin++] = (struct fuse_arg){ "renamed", 8 };
	} else {
		r.in[r.nin++] = (struct fuse_arg){ name, (uint32_t)strlen(name) + 1 };
	}
	return fuse_request(virtiofs_conn(vh_dev(d)->m), &r);
}

/* The fake refuses, as virtiofsd does, to remove or rename a name whose
 * node the kernel does not hold: so the other cases, where these work,
 * show that the kernel looked the victim up first. */
VH_CASE(fake_refuses_unheld_victims)
{
	char msg[256];

	fake_add_file(vh_root, "unheld_f", "x", 1);
	fake_add_dir(vh_root, "unheld_d", 0755);
	fake_violations_quiet(true);
	CHECK_EQ(-EIO, raw_remove(vh_root, FUSE_UNLINK, "unheld_f"));
	CHECK_EQ(-EIO, raw_remove(vh_root, FUSE_RENAME2, "unheld_f"));
	CHECK_EQ(-EIO, raw_remove(vh_root, FUSE_RMDIR, "unheld_d"));
	fake_violations_quiet(false);
	CHECK_EQ(3, fake_violations(msg, sizeof msg));
	CHECK(strstr(msg, "does not hold") != NULL);
	fake_violations_clear();
	CHECK(fake_node(vh_root, "unheld_f") && fake_node(vh_root, "unheld_d"));
	CHECK_EQ(0, vfs_unlink(NULL, "/unheld_f", 0));
	CHECK_EQ(0, vfs_rmdir(NULL, "/unheld_d"));
}

/* ---- FORGET accounting ------------------------------------------------------ */

static void ignore(const char *name, unsigned type, void *ctx)
{
	(void)name;
	(void)type;
	(void)ctx;
}

/* Many kinds of calls on the mount at mnt (device d), some failing, with
 * files and directories held across renames and removals; the case's
 * vh_settle() then checks that every lookup was forgotten. */
static void long_run(struct virtio_fs *d, const char *mnt)
{
	struct fuse_conn *c = virtiofs_conn(vh_dev(d)->m);
	uint64_t sent = c->n_forgets_sent, msgs = fake_forget_msgs(d);
	struct file *held, *dir, *dup, *opath;
	char p[128], q[128], buf[64];
	struct stat st;

#define P(s) (snprintf(p, sizeof p, "%s/%s", mnt, (s)), p)
#define Q(s) (snprintf(q, sizeof q, "%s/%s", mnt, (s)), q)
	CHECK_EQ(0, vfs_mkdir(NULL, P("lr"), 0755));
	CHECK_EQ(0, vfs_mkdir(NULL, P("lr/a"), 0755));
	CHECK_EQ(0, vfs_mkdir(NULL, P("lr/a/b"), 0755));
	CHECK_EQ(-EEXIST, vfs_mkdir(NULL, P("lr/a/b"), 0755));
	for (int i = 0; i < 20; i++) {
		struct file *f;
		char name[32];

		snprintf(name, sizeof name, "lr/%s/f%d", i % 2 ? "a" : "a/b", i);
		if (!(f = vh_open(P(name), O_CREAT | O_RDWR)))
			return;
		CHECK_EQ(2, vfs_write(f, "hi", 2));
		CHECK_EQ(0, vfs_fstat(f, &st));
		CHECK_EQ(0, vfs_close(f));
	}
	CHECK_EQ(0, vfs_symlink("a/b", NULL, P("lr/lb")));
	CHECK_EQ(0, vfs_stat(NULL, P("lr/lb/f0"), &st, 0));
	CHECK_EQ(0, vfs_stat(NULL, P("lr/a/b/../b/./f2"), &st, 0));
	CHECK_EQ(-ENOENT, vfs_stat(NULL, P("lr/a/b/nope"), &st, 0));
	CHECK_EQ(-ENOTDIR, vfs_stat(NULL, P("lr/a/b/f0/x"), &st, 0));
	CHECK_EQ(3, vfs_readlink(NULL, P("lr/lb"), buf, sizeof buf));

	/* Held while renamed and unlinked: the server must keep them. */
	if (!(held = vh_open(P("lr/a/b/f4"), O_RDWR)) || !(dir = vh_open(P("lr/a/b"), O_RDONLY)))
		return;
	CHECK(fake_nlookup(d, fake_node(d, "lr/a/b/f4")) >= 1);
	CHECK(list_dir(dir, 300, ignore, NULL) >= 12);
	CHECK_EQ(0, vfs_chdir(NULL, P("lr/a/b")));
	CHECK_EQ(0, vfs_rename(NULL, Q("lr/a"), NULL, P("lr/z"), 0));
	CHECK_EQ(0, vfs_link(NULL, "f4", NULL, "f4-link", 0));
	CHECK_EQ(0, vfs_unlink(NULL, "f4", 0));
	CHECK_EQ(0, vfs_rename(NULL, "f6", NULL, "f8", 0));
	CHECK_EQ(-ENOENT, vfs_unlink(NULL, "f4", 0));
	CHECK_EQ(0, vfs_mknod(NULL, "fifo", S_IFIFO | 0644, 0));
	CHECK_EQ(0, vfs_stat(NULL, "../../z/b/fifo", &st, 0));
	CHECK_EQ(0, vfs_chdir(NULL, ".."));
	CHECK_EQ(0, vfs_mkdir(NULL, "gone", 0755));
	CHECK_EQ(0, vfs_rmdir(NULL, "gone"));
	CHECK_EQ(-ENOTEMPTY, vfs_rmdir(NULL, "b"));
	CHECK_EQ(2, vfs_pwrite(held, "yo", 2, 0));
	CHECK_EQ(0, vfs_fstat(held, &st));
	CHECK_EQ(1, st.st_nlink);
	dup = vfs_file_dup(held);
	CHECK_EQ(0, vfs_close(held));
	CHECK_EQ(0, vfs_lseek(dir, 0, SEEK_SET));
	CHECK(list_dir(dir, 4096, ignore, NULL) >= 12);
	CHECK_EQ(0, vfs_close(dir));
	CHECK_EQ(0, vfs_close(dup));
	if ((opath = vh_open(P("lr/z/b/f8"), O_PATH))) {
		CHECK_EQ(0, vfs_stat(opath, "", &st, VFS_EMPTY_PATH));
		CHECK_EQ(0, vfs_close(opath));
	}
	CHECK_EQ(0, vfs_chdir(NULL, "/"));
	CHECK_EQ(0, vfs_rename(NULL, P("lr/z/b"), NULL, Q("lr/b2"), RENAME_NOREPLACE));
	CHECK_EQ(0, vfs_rename(NULL, P("lr/b2"), NULL, Q("lr/z"), RENAME_EXCHANGE));
	CHECK_EQ(0, vfs_stat(NULL, P("lr/z/f8"), &st, 0));     /* z is the old b */
	CHECK_EQ(0, vfs_stat(NULL, P("lr/b2/f1"), &st, 0));    /* b2 the old a */
	vh_flush();
	CHECK(c->n_forgets_sent > sent);
	CHECK(fake_forget_msgs(d) > msgs);
	CHECK_EQ(0, fake_nlookup(d, fake_node(d, "lr/z/f4-link")));
#undef P
#undef Q
}

VH_CASE(forget_accounting_readdirplus)
{
	fake_log_clear(vh_root);
	long_run(vh_root, "");
	CHECK(fake_log_count(vh_root, FUSE_READDIRPLUS) > 0);
}

VH_CASE(forget_accounting_readdir)
{
	fake_log_clear(vh_two);
	long_run(vh_two, "/mnt2");
	CHECK(fake_log_count(vh_two, FUSE_READDIR) > 0);
	CHECK_EQ(0, fake_log_count(vh_two, FUSE_READDIRPLUS));
}

/* FORGETs go out 64 nodes to a BATCH_FORGET as they pile up, the rest when
 * flushed. */
VH_CASE(forget_batches_of_64)
{
	const struct fake_rec *rec;
	struct stat st;
	char name[32];

	fake_add_dir(vh_root, "b64", 0755);
	for (int i = 0; i < 150; i++) {
		snprintf(name, sizeof name, "b64/f%d", i);
		fake_add_file(vh_root, name, "x", 1);
	}
	CHECK_EQ(0, vfs_chdir(NULL, "/b64"));
	fake_log_clear(vh_root);
	for (int i = 0; i < 150; i++) {
		snprintf(name, sizeof name, "f%d", i);
		CHECK_EQ(0, vfs_stat(NULL, name, &st, 0));
	}
	CHECK_EQ(2, fake_log_count(vh_root, FUSE_BATCH_FORGET));
	for (int k = 0; (rec = fake_log_find(vh_root, FUSE_BATCH_FORGET, k)); k++) {
		CHECK_EQ(64, rec->flags);
		CHECK_EQ(64, rec->nlookup);
	}
	CHECK_EQ(0, fake_nlookup(vh_root, fake_node(vh_root, "b64/f0")));
	CHECK_EQ(1, fake_nlookup(vh_root, fake_node(vh_root, "b64/f149")));
	vh_flush();
	if (CHECK((rec = fake_log_find(vh_root, FUSE_BATCH_FORGET, 2)) != NULL))
		CHECK_EQ(150 - 128, rec->flags);
}

/* ---- Malformed replies ------------------------------------------------------- */

/* The fixture every action works on, on root: m/f (100 bytes, open as fa),
 * m/s -> ./f, m/d (a directory, open as da). */
static struct file *fa, *da;
static int serial;

static int a_stat(void) { struct stat st; return vfs_stat(NULL, "/m/f", &st, 0); }
static int a_fstat(void) { struct stat st; return vfs_fstat(fa, &st); }
static int a_chmod(void)
{
	struct vfs_attr a = { .valid = VFS_ATTR_MODE, .mode = 0644 };
	return vfs_fsetattr(fa, &a);
}
static int a_read(void) { char b[10]; return (int)vfs_pread(fa, b, 10, 0); }
static int a_write(void) { return (int)vfs_pwrite(fa, "w", 1, 0); }
static int open_close(const char *path, int flags)
{
	struct file *f;
	int err = vfs_open(NULL, path, flags, 0644, &f);

	return err ? err : vfs_close(f);
}
static int a_open(void) { return open_close("/m/f", O_RDONLY); }
static int a_opendir(void) { return open_close("/m/d", O_RDONLY | O_DIRECTORY); }
static int a_flush(void) { return open_close("/m/f", O_WRONLY); }
static const char *fresh(const char *prefix)
{
	static char p[64];

	snprintf(p, sizeof p, "/m/%s%d", prefix, serial++);
	return p;
}
static int a_create(void) { return open_close(fresh("new"), O_CREAT | O_EXCL | O_WRONLY); }
static int a_mkdir(void) { return vfs_mkdir(NULL, fresh("dir"), 0755); }
static int a_symlink(void) { return vfs_symlink("f", NULL, fresh("sl")); }
static int a_link(void) { return vfs_link(NULL, "/m/f", NULL, fresh("ln"), 0); }
static int a_mknod(void) { return vfs_mknod(NULL, fresh("fifo"), S_IFIFO | 0644, 0); }
static int a_unlink(void)
{
	const char *p = fresh("victim");

	fake_add_file(vh_root, p + 1, "v", 1);
	return vfs_unlink(NULL, p, 0);
}
static int a_rmdir(void)
{
	const char *p = fresh("vdir");

	fake_add_dir(vh_root, p + 1, 0755);
	return vfs_rmdir(NULL, p);
}
static int a_rename(void)
{
	char from[64];

	snprintf(from, sizeof from, "%s", fresh("from"));
	fake_add_file(vh_root, from + 1, "r", 1);
	return vfs_rename(NULL, from, NULL, fresh("to"), 0);
}
static int a_readlink(void) { char b[16]; return (int)vfs_readlink(NULL, "/m/s", b, sizeof b); }
static int a_statfs(void) { struct statfs sf; return vfs_statfs(NULL, "/m", &sf); }
static int a_lseek(void) { return (int)vfs_lseek(fa, 0, SEEK_DATA); }
static int a_fsync(void) { return vfs_fsync(fa, false); }
static int a_getdents(void)
{
	char b[4096];

	vfs_lseek(da, 0, SEEK_SET);
	return (int)vfs_getdents(da, b, sizeof b);
}
static int a_getlk(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	return vfs_lock(fa, F_GETLK, &fl);
}
static int a_setlk(void)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_len = 1 };
	return vfs_lock(fa, F_SETLK, &fl);
}

static const struct action {
	const char *name;
	uint32_t op;
	bool fixed;             /* a fixed-size success payload */
	int (*fn)(void);
} actions[] = {
	{ "stat", FUSE_LOOKUP, true, a_stat },
	{ "fstat", FUSE_GETATTR, true, a_fstat },
	{ "fchmod", FUSE_SETATTR, true, a_chmod },
	{ "pread", FUSE_READ, false, a_read },
	{ "pwrite", FUSE_WRITE, true, a_write },
	{ "open", FUSE_OPEN, true, a_open },
	{ "opendir", FUSE_OPENDIR, true, a_opendir },
	{ "close", FUSE_FLUSH, false, a_flush },
	{ "creat", FUSE_CREATE, true, a_create },
	{ "mkdir", FUSE_MKDIR, true, a_mkdir },
	{ "symlink", FUSE_SYMLINK, true, a_symlink },
	{ "link", FUSE_LINK, true, a_link },
	{ "mknod", FUSE_MKNOD, true, a_mknod },
	{ "unlink", FUSE_UNLINK, false, a_unlink },
	{ "rmdir", FUSE_RMDIR, false, a_rmdir },
	{ "rename", FUSE_RENAME2, false, a_rename },
	{ "readlink", FUSE_READLINK, false, a_readlink },
	{ "statfs", FUSE_STATFS, true, a_statfs },
	{ "lseek", FUSE_LSEEK, true, a_lseek },
	{ "fsync", FUSE_FSYNC, false, a_fsync },
	{ "getdents", FUSE_READDIRPLUS, false, a_getdents },
	{ "getlk", FUSE_GETLK, true, a_getlk },
	{ "setlk", FUSE_SETLK, false, a_setlk },
};
#define NACTIONS (sizeof actions / sizeof actions[0])

static bool fixture(void)
{
	static bool made;
	char data[100];

	if (!made) {
		memset(data, 'm', sizeof data);
		fake_add_dir(vh_root, "m", 0755);
		fake_add_file(vh_root, "m/f", data, sizeof data);
		fake_add_symlink(vh_root, "m/s", "./f");
		fake_add_dir(vh_root, "m/d", 0755);
		fake_add_file(vh_root, "m/d/e", "e", 1);
		made = true;
	}
	fa = vh_open("/m/f", O_RDWR);
	da = vh_open("/m/d", O_RDONLY | O_DIRECTORY);
	return fa && da;
}

static void unfixture(void)
{
	if (fa)
		CHECK_EQ(0, vfs_close(fa));
	if (da)
		CHECK_EQ(0, vfs_close(da));
	fa = da = NULL;
}

/* Run action a with fault f on its reply: -EIO, the faulty request was
 * sent, and a normal request works afterwards. */
static void try_fault(const struct action *a, enum fake_fault f, int want)
{
	char what[120], seen[32];
	int got;

	fake_log_clear(vh_root);
	fake_fault_next(vh_root, a->op, f);
	got = a->fn();
	if (got != want || fake_log_count(vh_root, a->op) == 0) {
		snprintf(what, sizeof what, "%s with a \"%s\" reply to %s: %d", a->name, fake_fault_name(f),
			 fuse_opname(a->op), want);
		snprintf(seen, sizeof seen, fake_log_count(vh_root, a->op) ? "%d" : "%d, not sent", got);
		CHECK_FAIL(what, seen);
		fake_fault_next(vh_root, 0, FAKE_FAULT_NONE);
	}
	if (a_stat() != 0) {
		snprintf(what, sizeof what, "stat after %s with a \"%s\" reply to succeed", a->name,
			 fake_fault_name(f));
		CHECK_FAIL(what, "an error");
	}
}

/* Every reply-level fault on every kind of request: -EIO. Every action
 * succeeds without one. */
VH_CASE(malformed_replies)
{
	static const enum fake_fault faults[] = {
		FAKE_FAULT_WRONG_UNIQUE, FAKE_FAULT_LEN_SHORT, FAKE_FAULT_LEN_LONG,
		FAKE_FAULT_SHORT_HEADER, FAKE_FAULT_ERROR_POSITIVE, FAKE_FAULT_ERROR_BELOW,
		FAKE_FAULT_ERROR_PAYLOAD, FAKE_FAULT_OVERSIZED, FAKE_FAULT_SHORT_PAYLOAD,
	};

	if (!fixture())
		return;
	for (unsigned i = 0; i < NACTIONS; i++)
		if (actions[i].fn() < 0)
			CHECK_FAIL(actions[i].name, "an error without a fault");
	for (unsigned k = 0; k < sizeof faults / sizeof faults[0]; k++)
		for (unsigned i = 0; i < NACTIONS; i++)
			if (faults[k] != FAKE_FAULT_SHORT_PAYLOAD || actions[i].fixed)
				try_fault(&actions[i], faults[k], -EIO);
	unfixture();
}

static const struct action *action(uint32_t op)
{
	for (unsigned i = 0; i < NACTIONS; i++)
		if (actions[i].op == op)
			return &actions[i];
	abort();
}

/* Faults inside well-framed replies: node ids 0 and 1 and bad file types in
 * entries, bad directory records, a NUL in a symlink target, a WRITE
 * claiming more than was sent. A LOOKUP's node id 0 is the protocol's
 * negative entry: ENOENT. */
VH_CASE(malformed_payloads)
{
	static const uint32_t entry_ops[] = { FUSE_LOOKUP, FUSE_MKDIR, FUSE_SYMLINK, FUSE_LINK,
					      FUSE_MKNOD };
	struct virtio_fs *r = vh_root;
	struct file *f;
	struct stat st;
	char b[1024];

	if (!fixture())
		return;
	for (unsigned i = 0; i < sizeof entry_ops / sizeof entry_ops[0]; i++) {
		const struct action *a = action(entry_ops[i]);

		try_fault(a, FAKE_FAULT_NODEID_0, entry_ops[i] == FUSE_LOOKUP ? -ENOENT : -EIO);
		try_fault(a, FAKE_FAULT_NODEID_1, -EIO);
		try_fault(a, FAKE_FAULT_BAD_MODE, -EIO);
	}
	try_fault(action(FUSE_GETATTR), FAKE_FAULT_BAD_MODE, -EIO);
	try_fault(action(FUSE_CREATE), FAKE_FAULT_BAD_MODE, -EIO);
	try_fault(action(FUSE_READDIRPLUS), FAKE_FAULT_DIRENT_SLASH, -EIO);
	try_fault(action(FUSE_READDIRPLUS), FAKE_FAULT_DIRENT_TRUNCATED, -EIO);
	try_fault(action(FUSE_READLINK), FAKE_FAULT_READLINK_NUL, -EIO);
	fake_fault_next(r, FUSE_READLINK, FAKE_FAULT_READLINK_NUL);
	CHECK_EQ(-EIO, vfs_stat(NULL, "/m/s", &st, 0));
	try_fault(action(FUSE_WRITE), FAKE_FAULT_WRITE_TOO_MUCH, -EIO);

	/* CREATE's node id 0 or 1: the server's new open file cannot be
	 * released without a node (Linux does not either). */
	try_fault(action(FUSE_CREATE), FAKE_FAULT_NODEID_0, -EIO);
	try_fault(action(FUSE_CREATE), FAKE_FAULT_NODEID_1, -EIO);
	vh_dev(r)->handles += 2;

	/* READDIR without PLUS, on the second mount. */
	fake_add_dir(vh_two, "md", 0755);
	fake_add_file(vh_two, "md/e", "e", 1);
	if ((f = vh_open("/mnt2/md", O_RDONLY))) {
		fake_fault_next(vh_two, FUSE_READDIR, FAKE_FAULT_DIRENT_SLASH);
		CHECK_EQ(-EIO, vfs_getdents(f, b, sizeof b));
		fake_fault_next(vh_two, FUSE_READDIR, FAKE_FAULT_DIRENT_TRUNCATED);
		CHECK_EQ(-EIO, vfs_getdents(f, b, sizeof b));
		fake_fault_next(vh_two, FUSE_READDIR, FAKE_FAULT_LEN_LONG);
		CHECK_EQ(-EIO, vfs_getdents(f, b, sizeof b));
		CHECK(vfs_getdents(f, b, sizeof b) > 0);
		CHECK_EQ(0, vfs_close(f));
	}
	unfixture();
	CHECK(strstr(fake_console(), "malformed") != NULL);
}

/* ---- A broken queue --------------------------------------------------------- */

/* Once the device's queue is broken every call that needs the server is
 * -EIO, files already open included; nothing crashes; when it works again
 * so does the mount. */
VH_CASE(broken_queue)
{
	struct file *f, *dir, *nf;
	struct vfs_attr a = { .valid = VFS_ATTR_SIZE, .size = 1 };
	struct statfs sf;
	struct stat st;
	char buf[256];

	fake_add_dir(brk, "d", 0755);
	fake_add_file(brk, "d/f", "0123456789", 10);
	fake_add_symlink(brk, "d/s", "f");
	if (!(f = vh_open("/mnt3/d/f", O_RDWR)) || !(dir = vh_open("/mnt3/d", O_RDONLY)))
		return;
	vh_flush();
	fake_set_broken(brk, true);
	CHECK_EQ(-EIO, vfs_stat(NULL, "/mnt3/d/f", &st, 0));
	CHECK_EQ(-EIO, vfs_stat(NULL, "/mnt3", &st, 0));
	CHECK_EQ(-EIO, vfs_open(NULL, "/mnt3/d/f", O_RDONLY, 0, &nf));
	CHECK_EQ(-EIO, vfs_open(NULL, "/mnt3/new", O_CREAT | O_WRONLY, 0644, &nf));
	CHECK_EQ(-EIO, vfs_mkdir(NULL, "/mnt3/x", 0755));
	CHECK_EQ(-EIO, vfs_unlink(NULL, "/mnt3/d/f", 0));
	CHECK_EQ(-EIO, vfs_rmdir(NULL, "/mnt3/d"));
	CHECK_EQ(-EIO, vfs_rename(NULL, "/mnt3/d/f", NULL, "/mnt3/g", 0));
	CHECK_EQ(-EIO, vfs_symlink("t", NULL, "/mnt3/sl"));
	CHECK_EQ(-EIO, vfs_readlink(NULL, "/mnt3/d/s", buf, sizeof buf));
	CHECK_EQ(-EIO, vfs_statfs(NULL, "/mnt3", &sf));
	CHECK_EQ(-EIO, vfs_chdir(NULL, "/mnt3/d"));
	CHECK_EQ(-EIO, vfs_pread(f, buf, 4, 0));
	CHECK_EQ(-EIO, vfs_read(f, buf, 4));
	CHECK_EQ(-EIO, vfs_pwrite(f, "x", 1, 0));
	CHECK_EQ(-EIO, vfs_fstat(f, &st));
	CHECK_EQ(-EIO, vfs_fsetattr(f, &a));
	CHECK_EQ(-EIO, vfs_lseek(f, 0, SEEK_END));
	CHECK_EQ(-EIO, vfs_lseek(f, 0, SEEK_DATA));
	CHECK_EQ(-EIO, vfs_fsync(f, false));
	CHECK_EQ(-EIO, vfs_fallocate(f, 0, 0, 10));
	CHECK_EQ(-EIO, vfs_getdents(dir, buf, sizeof buf));
	CHECK_EQ(-EIO, vfs_close(f));                   /* FLUSH */
	CHECK_EQ(0, vfs_close(dir));                    /* no FLUSH for directories */
	fake_set_broken(brk, false);
	/* The RELEASEs were lost with the queue: the server keeps both. */
	vh_dev(brk)->handles += 2;
	CHECK_EQ(0, vfs_stat(NULL, "/mnt3/d/f", &st, 0));
	CHECK_EQ(10, st.st_size);
}

/* The server offered READDIRPLUS but answers ENOSYS: plain READDIR from
 * then on. */
VH_CASE(readdirplus_enosys_fallback)
{
	struct file *f;
	char buf[1024];

	fake_add_dir(brk, "rp", 0755);
	fake_add_file(brk, "rp/a", "a", 1);
	if (!(f = vh_open("/mnt3/rp", O_RDONLY)))
		return;
	fake_enosys(brk, FUSE_READDIRPLUS, true);
	fake_log_clear(brk);
	CHECK(vfs_getdents(f, buf, sizeof buf) > 0);
	CHECK_EQ(1, fake_log_count(brk, FUSE_READDIRPLUS));
	CHECK_EQ(0, vfs_lseek(f, 0, SEEK_SET));
	CHECK(vfs_getdents(f, buf, sizeof buf) > 0);
	CHECK_EQ(1, fake_log_count(brk, FUSE_READDIRPLUS));
	CHECK(fake_log_count(brk, FUSE_READDIR) >= 2);
	fake_enosys(brk, FUSE_READDIRPLUS, false);
	CHECK_EQ(0, vfs_close(f));
}

/* ---- Hostile trees and roots ------------------------------------------------- */

/* A server that shows a directory inside its own subtree (A/B/up is A):
 * Linux refuses the lookup that would make the loop (d_splice_alias:
 * ELOOP). Whatever the kernel answers, once everything is closed it must
 * hold nothing: no vnode kept alive by a cycle of parent references, no
 * lookup left unforgotten. */
VH_CASE(BUG_hostile_directory_cycle)
{
	struct stat st;

	fake_add_dir(evil, "A", 0755);
	fake_add_dir(evil, "A/B", 0755);
	fake_add_link(evil, "A", "A/B/up");
	vfs_stat(NULL, "/mnt4/A/B/up/B", &st, 0);
	if (vfs_chdir(NULL, "/mnt4/A/B/up") == 0)
		fprintf(stderr, "    getcwd in /mnt4/A/B/up: %s\n", vh_cwd());
}

/* A device whose root is not a directory is not mounted; the mount point
 * stays the root file system's directory. */
VH_CASE(mount_root_not_a_directory)
{
	struct stat st, root;

	CHECK(vh_dev(notdir)->m == NULL);
	CHECK(strstr(fake_console(), "notdir: root node unusable") != NULL);
	CHECK_EQ(0, vfs_stat(NULL, "/", &root, 0));
	CHECK_EQ(0, vfs_stat(NULL, "/mnt5", &st, 0));
	CHECK_EQ(root.st_dev, st.st_dev);
	CHECK_EQ(FAKE_INO(fake_node(vh_root, "mnt5")), st.st_ino);
}

/* ---- Shutdown ------------------------------------------------------------------- */

/* vfs_shutdown sends the pending FORGETs, then DESTROY, to every mount:
 * afterwards no server holds a lookup. (Not a VH_CASE: nothing is mounted
 * after it.) */
static void shutdown_forgets_and_destroys(void)
{
	char held[512];
	struct stat st;

	fake_add_file(vh_root, "last", "x", 1);
	CHECK_EQ(0, vfs_stat(NULL, "/last", &st, 0));   /* a FORGET pending */
	CHECK_EQ(1, fake_nlookup(vh_root, fake_node(vh_root, "last")));
	fake_log_clear(vh_root);
	vfs_shutdown();
	CHECK_EQ(0, fake_nlookup(vh_root, fake_node(vh_root, "last")));
	if (CHECK_EQ(2, fake_log_len(vh_root))) {
		CHECK_EQ(FUSE_BATCH_FORGET, fake_log(vh_root, 0)->opcode);
		CHECK_EQ(FUSE_DESTROY, fake_log(vh_root, 1)->opcode);
	}
	for (int i = 0; i < vh_ndevs; i++) {
		struct vh_dev *v = &vh_devs[i];

		if (!v->m)
			continue;
		if (!CHECK(fake_destroyed(v->d)))
			fprintf(stderr, "    no DESTROY on %s\n", v->tag);
		if (!v->quarantined && fake_lookups_held(v->d, held, sizeof held))
			CHECK_FAIL("no lookups held after shutdown", held);
	}
	if (fake_violations(held, sizeof held))
		CHECK_FAIL("no FUSE protocol violations", held);
}

int main(void)
{
	brk = vh_add("brk", "/mnt3", NULL);
	evil = vh_add("evil", "/mnt4", NULL);
	notdir = vh_add("notdir", "/mnt5", &(struct fake_opts){ .root_not_dir = true });
	vh_init();
	RUN(fake_refuses_unheld_victims);
	RUN(forget_accounting_readdirplus);
	RUN(forget_accounting_readdir);
	RUN(forget_batches_of_64);
	RUN(malformed_replies);
	RUN(malformed_payloads);
	RUN(broken_queue);
	RUN(readdirplus_enosys_fallback);
	RUN(mount_root_not_a_directory);
	RUN(BUG_hostile_directory_cycle);
	RUN(shutdown_forgets_and_destroys);
	return CHECK_DONE();
}
