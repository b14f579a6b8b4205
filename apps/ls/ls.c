/*
 * ls [-1adl] [PATH...]: list directories, one name per line, sorted by
 * strcmp (the C locale). -a: include names starting with "."; -d: list
 * directories themselves; -l: the long format below; -1: accepted (one per
 * line is the only layout).
 *
 * The output is that of GNU ls with output to a pipe, run as
 *   LC_ALL=C ls -n --time-style='+%Y-%m-%d %H:%M' ...
 * (numeric owner and group; tests/apps/run-tests checks this on the host):
 *   total 12                          <- -l on a directory: st_blocks / 2
 *   drwxr-xr-x 2 0 0 4096 2024-01-02 03:04 dir
 *   -rw-r--r-- 1 0 0   12 2024-01-02 03:04 file.txt
 *   lrwxrwxrwx 1 0 0    8 2024-01-02 03:04 link -> file.txt
 * Columns are right-aligned to the widest entry of the listing; the time is
 * the mtime in local time (TZ; UTC when the system has no zone).
 *
 * Operands as GNU ls: errors first ("ls: PATH: strerror"), then the
 * non-directories as one listing, then each directory under a "PATH:"
 * header (omitted when the only operand is one directory), separated by
 * blank lines. Without -l or -d a symbolic link operand to a directory is
 * followed. Exit status 1 if anything could not be listed.
 */
#include "../lib/applib.h"
#include "../lib/tools.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct ls_entry {
	char *name;             /* as printed */
	char *path;             /* as given to lstat/readlink */
	struct stat st;
};

struct ls_opts {
	int all, dirs_as_files, lng;
};

static void ls_mode(mode_t m, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	char t = '?';

	if (S_ISREG(m)) t = '-';
	else if (S_ISDIR(m)) t = 'd';
	else if (S_ISLNK(m)) t = 'l';
	else if (S_ISCHR(m)) t = 'c';
	else if (S_ISBLK(m)) t = 'b';
	else if (S_ISFIFO(m)) t = 'p';
	else if (S_ISSOCK(m)) t = 's';
	out[0] = t;
	for (int i = 0; i < 9; i++)
		out[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
	if (m & S_ISUID)
		out[3] = (m & S_IXUSR) ? 's' : 'S';
	if (m & S_ISGID)
		out[6] = (m & S_IXGRP) ? 's' : 'S';
	if (m & S_ISVTX)
		out[9] = (m & S_IXOTH) ? 't' : 'T';
	out[10] = '\0';
}

static int ls_numlen(unsigned long long v)
{
	char buf[32];

	return snprintf(buf, sizeof(buf), "%llu", v);
}

/* Prints the entries of one listing; returns 1 if a link could not be
 * read. */
static int ls_print(struct ls_entry *e, size_t n, const struct ls_opts *o)
{
	int wlink = 0, wuid = 0, wgid = 0, wsize = 0, status = 0;

	if (!o->lng) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", e[i].name);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		int w;
		if ((w = ls_numlen(e[i].st.st_nlink)) > wlink) wlink = w;
		if ((w = ls_numlen(e[i].st.st_uid)) > wuid) wuid = w;
		if ((w = ls_numlen(e[i].st.st_gid)) > wgid) wgid = w;
		if ((w = ls_numlen((unsigned long long)e[i].st.st_size)) > wsize) wsize = w;
	}
	for (size_t i = 0; i < n; i++) {
		const struct stat *st = &e[i].st;
		char mode[11], when[64] = "?";
		struct tm tm;
		time_t t = st->st_mtime;

		ls_mode(st->st_mode, mode);
		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		printf("%s %*llu %*llu %*llu %*llu %s %s", mode,
		       wlink, (unsigned long long)st->st_nlink,
		       wuid, (unsigned long long)st->st_uid,
		       wgid, (unsigned long long)st->st_gid,
		       wsize, (unsigned long long)st->st_size, when, e[i].name);
		if (S_ISLNK(st->st_mode)) {
			size_t cap = (size_t)st->st_size + 1 > 256 ? (size_t)st->st_size + 1 : 256;
			char *target = malloc(cap);
			ssize_t len = target ? readlink(e[i].path, target, cap - 1) : -1;
			if (len >= 0) {
				target[len] = '\0';
				printf(" -> %s", target);
			} else {
				printf("\n");
				app_err("ls", e[i].path, target ? errno : ENOMEM);
				status = 1;
			}
			free(target);
			if (len < 0)
				continue;
		}
		printf("\n");
	}
	return status;
}

static void ls_free(struct ls_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].path);
	}
	free(e);
}

static int ls_cmp_entries(const void *a, const void *b)
{
	return strcmp(((const struct ls_entry *)a)->name, ((const struct ls_entry *)b)->name);
}

/* Lists the contents of directory `path`; returns the exit status. */
static int ls_dir(const char *path, const struct ls_opts *o)
{
	char **names;
	long n = app_list_dir(path, o->all, &names);
	struct ls_entry *e;
	size_t k = 0;
	unsigned long long blocks = 0;
	int status = 0;

	if (n < 0) {
		app_err("ls", path, errno);
		return 1;
	}
	e = calloc((size_t)n + 1, sizeof(*e));
	if (!e) {
		app_free_names(names, n);
		app_err("ls", path, ENOMEM);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		if (!o->all && names[i][0] == '.') {
			free(names[i]);
			continue;
		}
		e[k].name = names[i];
		e[k].path = app_join(path, names[i]);
		if (!e[k].path) {
			app_err("ls", path, ENOMEM);
			free(names[i]);
			status = 1;
			continue;
		}
		if (o->lng && lstat(e[k].path, &e[k].st) != 0) {
			app_err("ls", e[k].path, errno);
			free(e[k].name);
			free(e[k].path);
			status = 1;
			continue;
		}
		blocks += (unsigned long long)e[k].st.st_blocks;
		k++;
	}
	free(names);
	if (o->lng)
		printf("total %llu\n", (blocks + 1) / 2);
	status |= ls_print(e, k, o);
	ls_free(e, k);
	return status;
}

int ls_main(int argc, char **argv)
{
	unsigned char flags[256];
	int first = app_options(argc, argv, "ls", "1adl", flags, "ls [-1adl] [PATH...]");
	struct ls_opts o;
	struct ls_entry *files, *dirs;
	size_t nfiles = 0, ndirs = 0;
	char *dot[] = { "." };
	char **ops = argv + first;
	int nops = argc - first, status = 0;

	if (first < 0)
		return 1;
	o.all = flags['a'];
	o.dirs_as_files = flags['d'];
	o.lng = flags['l'];
	if (nops == 0) {
		ops = dot;
		nops = 1;
	}
	files = calloc((size_t)nops, sizeof(*files));
	dirs = calloc((size_t)nops, sizeof(*dirs));
	if (!files || !dirs) {
		free(files);
		free(dirs);
		app_err("ls", ops[0], ENOMEM);
		return 1;
	}
	for (int i = 0; i < nops; i++) {
		struct stat st;
		int r;
		if (o.lng || o.dirs_as_files) {
			r = lstat(ops[i], &st);
		} else {
			/* Follow a link to a directory; a dangling one is listed as
			 * itself. */
			r = stat(ops[i], &st);
			if (r != 0 && errno == ENOENT)
				r = lstat(ops[i], &st);
		}
		if (r != 0) {
			app_err("ls", ops[i], errno);
			status = 1;
			continue;
		}
		int is_dir = S_ISDIR(st.st_mode) && !o.dirs_as_files;
		struct ls_entry *e = is_dir ? &dirs[ndirs++] : &files[nfiles++];
		e->name = strdup(ops[i]);
		e->path = strdup(ops[i]);
		e->st = st;
		if (!e->name || !e->path) {
			app_err("ls", ops[i], ENOMEM);
			free(e->name);
			free(e->path);
			*(is_dir ? &ndirs : &nfiles) -= 1;
			status = 1;
		}
	}
	qsort(files, nfiles, sizeof(*files), ls_cmp_entries);
	qsort(dirs, ndirs, sizeof(*dirs), ls_cmp_entries);
	if (nfiles)
		status |= ls_print(files, nfiles, &o);
	for (size_t i = 0; i < ndirs; i++) {
		if (nfiles || i > 0)
			printf("\n");
		if (nfiles || nops > 1)
			printf("%s:\n", dirs[i].name);
		status |= ls_dir(dirs[i].path, &o);
	}
	ls_free(files, nfiles);
	ls_free(dirs, ndirs);
	if (fflush(stdout) != 0) {
		app_err("ls", "write error", errno);
		status = 1;
	}
	return status;
}
