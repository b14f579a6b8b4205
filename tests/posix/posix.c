/*
 * The POSIX suite's main program and its output helpers (contract in
 * posix.h). Natively:
 *
 *   musl-gcc -static -O2 -o build/posix/posix tests/posix/[a-z]*.c
 *   d=$(mktemp -d) && build/posix/posix $d
 *
 * In remora: make APP=tests/posix IMAGE=build/posix.img, booted with the
 * kernel command line "-- /". tests/posix/run-tests does both and diffs.
 */
#include "posix.h"

#include <dirent.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *cur_case = "posix";

static char base[PATH_MAX];     /* DIR as getcwd() reports it after chdir */
static size_t base_len;

/* The order cases run in; each one gets DIR/NAME as its directory. */
static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "open", case_open },
	{ "access_mode", case_access_mode },
	{ "o_path", case_o_path },
	{ "ebadf", case_ebadf },
	{ "offsets", case_offsets },
	{ "coherence", case_coherence },
	{ "holes", case_holes },
	{ "truncate", case_truncate },
	{ "large", case_large },
	{ "bigio", case_bigio },
	{ "iovec", case_iovec },
	{ "fallocate", case_fallocate },
	{ "sync", case_sync },
	{ "links", case_links },
	{ "symlinks", case_symlinks },
	{ "symloop", case_symloop },
	{ "rename", case_rename },
	{ "renameat2", case_renameat2 },
	{ "mkdir", case_mkdir },
	{ "paths", case_paths },
	{ "names", case_names },
	{ "readdir", case_readdir },
	{ "getdents", case_getdents },
	{ "bigdir", case_bigdir },
	{ "unlinked", case_unlinked },
	{ "getcwd", case_getcwd },
	{ "atcalls", case_atcalls },
	{ "utimens", case_utimens },
	{ "chmod", case_chmod },
	{ "chown", case_chown },
	{ "procfd", case_procfd },
	{ "access", case_access },
	{ "umask", case_umask },
	{ "dup", case_dup },
	{ "fcntl", case_fcntl },
	{ "locks", case_locks },
	{ "stdio", case_stdio },
	{ "devices", case_devices },
	{ "statfs", case_statfs },
	{ "errors", case_errors },
	{ "clock", case_clock },
};

/* --- Formatting -------------------------------------------------------- */

#define NBUF 32
#define BUFSZ 640

static char *ring(void)
{
	static char bufs[NBUF][BUFSZ];
	static unsigned next;

	return bufs[next++ % NBUF];
}

uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= FNV_PRIME;
	}
	return h;
}

void say(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%s.%s: ", cur_case, key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static const struct {
	int num;
	const char *name;
} errnames[] = {
#define E(x) { x, #x }
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR),
	E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(ETXTBSY),
	E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE),
	E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS),
	E(ENOTEMPTY), E(ELOOP), E(ENODATA), E(EOVERFLOW), E(EOPNOTSUPP),
	E(ENOTCONN), E(ESTALE), E(EDQUOT), E(ECANCELED), E(ENOTSUP),
#undef E
};

const char *errname(int e)
{
	char *b;

	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].num == e)
			return errnames[i].name;
	b = ring();
	snprintf(b, BUFSZ, "E#%d", e);
	return b;
}

const char *R(long r)
{
	int e = errno;
	char *b = ring();

	if (r < 0)
		snprintf(b, BUFSZ, "%ld %s", r, errname(e));
	else
		snprintf(b, BUFSZ, "%ld", r);
	return b;
}

const char *FD(int fd)
{
	int e = errno;
	char *b = ring();

	if (fd < 0)
		snprintf(b, BUFSZ, "%d %s", fd, errname(e));
	else
		snprintf(b, BUFSZ, "fd");
	return b;
}

const char *yes(int b)
{
	return b ? "yes" : "no";
}

/* Printable bytes as they are; the rest as \n, \t, \0, \xHH. Data longer
 * than fits is printed as its length and hash. */
const char *q(const void *buf, long n)
{
	const unsigned char *s = buf;
	char *b = ring();
	size_t o = 0;

	if (n < 0)
		return R(n);
	if (n > 96) {
		snprintf(b, BUFSZ, "len=%ld fnv=%016llx", n,
			 (unsigned long long)fnv1a(FNV_INIT, buf, (size_t)n));
		return b;
	}
	b[o++] = '"';
	for (long i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '\n')
			o += (size_t)snprintf(b + o, BUFSZ - o, "\\n");
		else if (c == '\t')
			o += (size_t)snprintf(b + o, BUFSZ - o, "\\t");
		else if (c == 0)
			o += (size_t)snprintf(b + o, BUFSZ - o, "\\0");
		else if (c == '"' || c == '\\')
			o += (size_t)snprintf(b + o, BUFSZ - o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(b + o, BUFSZ - o, "\\x%02x", c);
		else
			b[o++] = (char)c;
	}
	b[o++] = '"';
	b[o] = 0;
	return b;
}

const char *modestr(mode_t m)
{
	const char *t;
	char *b = ring();

	switch (m & S_IFMT) {
	case S_IFREG: t = "reg"; break;
	case S_IFDIR: t = "dir"; break;
	case S_IFLNK: t = "lnk"; break;
	case S_IFIFO: t = "fifo"; break;
	case S_IFCHR: t = "chr"; break;
	case S_IFBLK: t = "blk"; break;
	case S_IFSOCK: t = "sock"; break;
	default: t = "type?"; break;
	}
	snprintf(b, BUFSZ, "%s %04o", t, (unsigned)(m & 07777));
	return b;
}

/* Directory sizes differ between file systems: not printed. */
const char *statstr(const struct stat *st)
{
	char *b = ring();
	const char *m = modestr(st->st_mode);

	if (S_ISDIR(st->st_mode))
		snprintf(b, BUFSZ, "%s nlink=%lu", m, (unsigned long)st->st_nlink);
	else if (S_ISREG(st->st_mode))
		snprintf(b, BUFSZ, "%s nlink=%lu size=%lld alloc=%s", m, (unsigned long)st->st_nlink,
			 (long long)st->st_size, yes(st->st_blocks > 0));
	else
		snprintf(b, BUFSZ, "%s nlink=%lu size=%lld", m, (unsigned long)st->st_nlink,
			 (long long)st->st_size);
	return b;
}

const char *oflags(int fl)
{
	static const struct {
		int bit;
		const char *name;
	} bits[] = {
		{ O_APPEND, "O_APPEND" }, { O_NONBLOCK, "O_NONBLOCK" }, { O_SYNC, "O_SYNC" },
		{ O_DSYNC, "O_DSYNC" }, { O_PATH, "O_PATH" },
	};
	char *b = ring();
	size_t o;

	/* musl's O_ACCMODE includes O_PATH (as O_SEARCH): mask the two bits */
	switch (fl & 3) {
	case O_RDONLY: o = (size_t)snprintf(b, BUFSZ, "O_RDONLY"); break;
	case O_WRONLY: o = (size_t)snprintf(b, BUFSZ, "O_WRONLY"); break;
	case O_RDWR: o = (size_t)snprintf(b, BUFSZ, "O_RDWR"); break;
	default: o = (size_t)snprintf(b, BUFSZ, "O_ACCMODE(3)"); break;
	}
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		/* O_SYNC includes O_DSYNC's bit: name each only when all its bits are set. */
		if ((fl & bits[i].bit) == bits[i].bit)
			o += (size_t)snprintf(b + o, BUFSZ - o, "|%s", bits[i].name);
	}
	return b;
}

/* --- Calls that format their own results ------------------------------- */

const char *OPEN(const char *path, int flags, mode_t mode)
{
	return OPENAT(AT_FDCWD, path, flags, mode);
}

const char *OPENAT(int dfd, const char *path, int flags, mode_t mode)
{
	int fd = openat(dfd, path, flags, mode);
	const char *s = FD(fd);

	if (fd >= 0)
		close(fd);
	return s;
}

const char *STAT_AT(int dfd, const char *path, int flags)
{
	struct stat st;

	if (fstatat(dfd, path, &st, flags) < 0)
		return R(-1);
	return statstr(&st);
}

const char *ST(const char *path)
{
	return STAT_AT(AT_FDCWD, path, 0);
}

const char *LST(const char *path)
{
	return STAT_AT(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW);
}

const char *FST(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return R(-1);
	return statstr(&st);
}

const char *READ(int fd, long n)
{
	static char buf[4096];
	long r;

	if (n > (long)sizeof(buf))
		n = sizeof(buf);
	r = read(fd, buf, (size_t)n);
	return r < 0 ? R(r) : q(buf, r);
}

const char *PREAD(int fd, long n, off_t off)
{
	static char buf[4096];
	long r;

	if (n > (long)sizeof(buf))
		n = sizeof(buf);
	r = pread(fd, buf, (size_t)n, off);
	return r < 0 ? R(r) : q(buf, r);
}

const char *CONTENT(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY);
	long n = 0, r = 0;

	if (fd < 0)
		return R(-1);
	while (n < (long)sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - (size_t)n)) > 0)
		n += r;
	if (r < 0) {
		const char *s = R(r);

		close(fd);
		return s;
	}
	close(fd);
	return q(buf, n);
}

const char *READLINKAT(int dfd, const char *path)
{
	char buf[PATH_MAX];
	long n = readlinkat(dfd, path, buf, sizeof(buf));

	return n < 0 ? R(n) : q(buf, n);
}

const char *READLINK(const char *path)
{
	return READLINKAT(AT_FDCWD, path);
}

const char *LSEEK(int fd, off_t off, int whence)
{
	return R(lseek(fd, off, whence));
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name with its non-printable bytes (and spaces) escaped, so that a
 * list of names stays one line. Static: one at a time. */
static const char *escape(const char *name)
{
	static char b[4 * 256 + 1];
	size_t o = 0;

	for (const unsigned char *s = (const unsigned char *)name; *s && o < sizeof(b) - 5; s++) {
		if (*s <= 0x20 || *s >= 0x7f || *s == '\\')
			o += (size_t)snprintf(b + o, sizeof(b) - o, "\\x%02x", *s);
		else
			b[o++] = (char)*s;
	}
	b[o] = 0;
	return b;
}

/* "name:type name:type ..." sorted by name; d_type as the file system
 * reports it (unk where it does not). */
const char *NAMES(const char *dir)
{
	char *b = ring(), *names[64];
	size_t n = 0, o = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return R(-1);
	errno = 0;
	while ((de = readdir(d)) != NULL && n < 64) {
		const char *t;

		switch (de->d_type) {
		case DT_REG: t = "reg"; break;
		case DT_DIR: t = "dir"; break;
		case DT_LNK: t = "lnk"; break;
		case DT_FIFO: t = "fifo"; break;
		case DT_UNKNOWN: t = "unk"; break;
		default: t = "other"; break;
		}
		names[n] = malloc(4 * strlen(de->d_name) + 8);
		sprintf(names[n++], "%s:%s", escape(de->d_name), t);
	}
	if (errno) {
		const char *s = R(-1);

		closedir(d);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		return s;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmpstr);
	b[0] = 0;
	for (size_t i = 0; i < n; i++) {
		o += (size_t)snprintf(b + o, o < BUFSZ ? BUFSZ - o : 0, "%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	if (n == 0)
		snprintf(b, BUFSZ, "(empty)");
	return b;
}

/* --- Setup helpers ----------------------------------------------------- */

void must(long r, const char *what)
{
	if (r < 0)
		say("setup_failed", "%s: %s", what, errname(errno));
}

void mkfile_mode(const char *path, const char *content, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	size_t n = strlen(content);

	if (fd < 0) {
		must(-1, path);
		return;
	}
	if (write(fd, content, n) != (ssize_t)n)
		must(-1, path);
	if (fchmod(fd, mode) < 0)
		must(-1, path);
	close(fd);
}

void mkfile(const char *path, const char *content)
{
	mkfile_mode(path, content, 0644);
}

void mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			must(-1, tmp);
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		must(-1, tmp);
}

const char *casedir(void)
{
	return abspath("");
}

const char *abspath(const char *rel)
{
	static char bufs[8][PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 8];
	const char *sep = base_len == 1 ? "" : "/";
	int n;

	if (*rel)
		n = snprintf(b, PATH_MAX, "%s%s%s/%s", base, sep, cur_case, rel);
	else
		n = snprintf(b, PATH_MAX, "%s%s%s", base, sep, cur_case);
	if (n >= PATH_MAX)
		say("setup_failed", "path too long under %s", base);
	return b;
}

const char *relpath(const char *abs)
{
	if (base_len == 1)
		return abs;
	if (strncmp(abs, base, base_len) == 0 && (abs[base_len] == '/' || abs[base_len] == 0))
		return abs[base_len] ? abs + base_len : "/";
	return abs;
}

int all_zero(const void *buf, long n)
{
	const unsigned char *s = buf;

	for (long i = 0; i < n; i++)
		if (s[i])
			return 0;
	return 1;
}

/* --- main ---------------------------------------------------------------- */

static int selected(const char *name, int argc, char **argv)
{
	if (argc <= 2)
		return 1;
	for (int i = 2; i < argc; i++)
		if (fnmatch(argv[i], name, 0) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	int ran = 0;

	/* Line-buffered even on a pipe: a crash loses at most one line. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022);
	printf("==== posix begin\n");
	if (chdir(dir) < 0 || !getcwd(base, sizeof(base))) {
		say("setup", "cannot enter %s: %s", dir, errname(errno));
		printf("==== posix end 0 cases\n");
		return 0;
	}
	base_len = strlen(base);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!selected(cases[i].name, argc, argv))
			continue;
		cur_case = cases[i].name;
		umask(022);
		if (mkdir(cur_case, 0755) < 0 || chdir(cur_case) < 0) {
			say("setup", "cannot make its directory: %s", errname(errno));
			continue;
		}
		cases[i].fn();
		ran++;
		umask(022);
		if (chdir(base) < 0) {
			say("setup", "cannot go back to %s: %s", dir, errname(errno));
			break;
		}
	}
	cur_case = "posix";
	printf("==== posix end %d cases\n", ran);
	return 0;
}
