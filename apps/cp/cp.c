/*
 * cp [-r] SRC DST, cp [-r] SRC... DIR: copy files, keeping their
 * permission bits (mode & 07777; not owners or times). When DST is an
 * existing directory, or there are several sources, each SRC goes to
 * DIR/basename(SRC). An existing regular DST file is overwritten.
 *
 * -r (or -R) copies directories recursively, their entries in strcmp
 * order; symbolic links inside (and a symbolic-link SRC) are copied as
 * links. Without -r a link SRC is followed and a directory SRC is an error.
 * Copying a directory into itself stops at the copy. Each error prints
 * "cp: PATH: reason" and the copy goes on with the next file; status 1.
 *   ./remora run build/remora -r photos backup
 */
#include "../lib/applib.h"
#include "../lib/tools.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

struct cp_ctx {
	int recursive;
	int have_top;           /* top_dev/top_ino: the directory this run made */
	dev_t top_dev;
	ino_t top_ino;
};

static int cp_path(struct cp_ctx *c, const char *src, const char *dst, int top);

/* Writes all of buf to fd; 0 or an errno value. */
static int cp_write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copies regular file src (already open as sfd, stat *st) to dst. */
static int cp_file(int sfd, const struct stat *st, const char *src, const char *dst)
{
	static char buf[65536];
	struct stat dst_st;
	int dfd, err = 0;
	ssize_t n;

	if (stat(dst, &dst_st) == 0 && dst_st.st_dev == st->st_dev && dst_st.st_ino == st->st_ino) {
		app_msg("cp", "%s and %s are the same file", src, dst);
		return 1;
	}
	dfd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, st->st_mode & 07777);
	if (dfd < 0) {
		app_err("cp", dst, errno);
		return 1;
	}
	while ((n = read(sfd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			app_err("cp", src, errno);
			close(dfd);
			return 1;
		}
		if ((err = cp_write_all(dfd, buf, (size_t)n)) != 0)
			break;
	}
	/* open() applied the umask and leaves an existing file's mode alone. */
	if (!err && fchmod(dfd, st->st_mode & 07777) != 0)
		err = errno;
	if (close(dfd) != 0 && !err)
		err = errno;
	if (err) {
		app_err("cp", dst, err);
		return 1;
	}
	return 0;
}

static int cp_link(const char *src, const struct stat *st, const char *dst)
{
	size_t cap = (size_t)st->st_size + 1 > 256 ? (size_t)st->st_size + 1 : 256;
	char *target = malloc(cap);
	ssize_t n;
	int status = 0;

	if (!target) {
		app_err("cp", src, ENOMEM);
		return 1;
	}
	n = readlink(src, target, cap - 1);
	if (n < 0) {
		app_err("cp", src, errno);
		status = 1;
	} else {
		target[n] = '\0';
		if (symlink(target, dst) != 0) {
			app_err("cp", dst, errno);
			status = 1;
		}
	}
	free(target);
	return status;
}

static int cp_dir(struct cp_ctx *c, const char *src, const struct stat *st, const char *dst, int top)
{
	struct stat dst_st;
	char **names;
	long n;
	int status = 0;

	if (lstat(dst, &dst_st) == 0) {
		if (!S_ISDIR(dst_st.st_mode)) {
			app_msg("cp", "%s: cannot overwrite non-directory with directory %s", dst, src);
			return 1;
		}
		if (dst_st.st_dev == st->st_dev && dst_st.st_ino == st->st_ino) {
			app_msg("cp", "%s: cannot copy a directory into itself", dst);
			return 1;
		}
	} else if (errno != ENOENT) {
		app_err("cp", dst, errno);
		return 1;
	} else {
		/* Owner rwx while filling it; the real mode at the end. */
		if (mkdir(dst, (st->st_mode & 07777) | S_IRWXU) != 0 || lstat(dst, &dst_st) != 0) {
			app_err("cp", dst, errno);
			return 1;
		}
	}
	if (top) {
		c->have_top = 1;
		c->top_dev = dst_st.st_dev;
		c->top_ino = dst_st.st_ino;
	}
	n = app_list_dir(src, 0, &names);
	if (n < 0) {
		app_err("cp", src, errno);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		char *s = app_join(src, names[i]), *d = app_join(dst, names[i]);
		if (!s || !d) {
			app_err("cp", src, ENOMEM);
			status = 1;
		} else {
			status |= cp_path(c, s, d, 0);
		}
		free(s);
		free(d);
	}
	app_free_names(names, n);
	if (chmod(dst, st->st_mode & 07777) != 0) {
		app_err("cp", dst, errno);
		status = 1;
	}
	return status;
}

/* Copies src to exactly dst. top: src is an operand. */
static int cp_path(struct cp_ctx *c, const char *src, const char *dst, int top)
{
	struct stat st;
	int fd, status;

	if ((c->recursive ? lstat(src, &st) : stat(src, &st)) != 0) {
		app_err("cp", src, errno);
		return 1;
	}
	if (c->have_top && st.st_dev == c->top_dev && st.st_ino == c->top_ino) {
		app_msg("cp", "%s: cannot copy a directory into itself", src);
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (!c->recursive) {
			app_msg("cp", "%s: is a directory (not copied; use -r)", src);
			return 1;
		}
		return cp_dir(c, src, &st, dst, top);
	}
	if (S_ISLNK(st.st_mode))
		return cp_link(src, &st, dst);
	if (!S_ISREG(st.st_mode)) {
		app_msg("cp", "%s: not a regular file, directory or symbolic link", src);
		return 1;
	}
	fd = open(src, O_RDONLY);
	if (fd < 0) {
		app_err("cp", src, errno);
		return 1;
	}
	status = cp_file(fd, &st, src, dst);
	close(fd);
	return status;
}

int cp_main(int argc, char **argv)
{
	unsigned char flags[256];
	int first = app_options(argc, argv, "cp", "rR", flags, "cp [-r] SRC DST | cp [-r] SRC... DIR");
	struct cp_ctx c = { 0 };
	struct stat st;
	const char *target;
	int nsrc, into_dir, status = 0;

	if (first < 0)
		return 1;
	c.recursive = flags['r'] || flags['R'];
	nsrc = argc - first - 1;
	if (nsrc < 1) {
		if (nsrc < 0)
			app_msg("cp", "missing file operand");
		else
			app_msg("cp", "missing destination after %s", argv[first]);
		fprintf(stderr, "usage: cp [-r] SRC DST | cp [-r] SRC... DIR\n");
		return 1;
	}
	target = argv[argc - 1];
	if (stat(target, &st) == 0) {
		into_dir = S_ISDIR(st.st_mode);
		if (nsrc > 1 && !into_dir) {
			app_err("cp", target, ENOTDIR);
			return 1;
		}
	} else if (nsrc > 1 || errno != ENOENT) {
		app_err("cp", target, errno);
		return 1;
	} else {
		into_dir = 0;
	}
	for (int i = first; i < argc - 1; i++) {
		char *dst, *base;
		if (!into_dir) {
			status |= cp_path(&c, argv[i], target, 1);
			continue;
		}
		base = app_basename(argv[i]);
		dst = base ? app_join(target, base) : NULL;
		if (!dst)
			app_err("cp", argv[i], ENOMEM);
		status |= dst ? cp_path(&c, argv[i], dst, 1) : 1;
		free(base);
		free(dst);
		c.have_top = 0;
	}
	return status;
}
