/*
 * Helpers shared by the applications in apps/: error messages, option
 * parsing, path joining and sorted directory listings. Header-only (every
 * function is static inline) so that each app directory builds from its own
 * .c files alone, and the shell, which #includes several tools into one
 * translation unit, gets one copy.
 *
 * Conventions every tool follows (so that the shell can call it as a
 * function): no exit(), no state that outlives a call (static buffers are
 * scratch space only), every allocation freed, stdout flushed before anything goes to stderr (so the
 * two streams interleave the same way on a pipe and on remora's console).
 */
#ifndef APPS_LIB_APPLIB_H
#define APPS_LIB_APPLIB_H

/* POSIX.1-2008 with the XSI option (S_ISVTX, readlink's and
 * symlink's declarations in every libc). */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "prog: path: strerror(errnum)" on stderr. */
static inline void app_err(const char *prog, const char *path, int errnum)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errnum));
}

/* "prog: " and a printf-formatted message with a newline, on stderr. */
__attribute__((format(printf, 2, 3)))
static inline void app_msg(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Single-letter options, POSIX style: "-la" is "-l -a", "--" ends them, a
 * lone "-" is an operand. Letters not in `letters` are an error. flags[c]
 * becomes 1 for each letter seen. Returns the index of the first operand,
 * or -1 after printing "prog: invalid option -- 'x'" and `usage`.
 * (Not getopt(3): its state is global, and the shell calls tools again.)
 */
static inline int app_options(int argc, char **argv, const char *prog, const char *letters,
			      unsigned char flags[256], const char *usage)
{
	int i;

	memset(flags, 0, 256);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--") == 0)
			return i + 1;
		for (a++; *a; a++) {
			if (!strchr(letters, *a)) {
				app_msg(prog, "invalid option -- '%c'", *a);
				fprintf(stderr, "usage: %s\n", usage);
				return -1;
			}
			flags[(unsigned char)*a] = 1;
		}
	}
	return i;
}

/* dir + "/" + name in a new string (no doubled slash); NULL if out of
 * memory. */
static inline char *app_join(const char *dir, const char *name)
{
	size_t d = strlen(dir), n = strlen(name);
	int slash = d > 0 && dir[d - 1] != '/';
	char *p = malloc(d + slash + n + 1);

	if (!p)
		return NULL;
	memcpy(p, dir, d);
	if (slash)
		p[d] = '/';
	memcpy(p + d + slash, name, n + 1);
	return p;
}

/* The last component of path ("a/b/" -> "b", "/" -> "/"), in a new
 * string. */
static inline char *app_basename(const char *path)
{
	size_t end = strlen(path), start;
	char *p;

	while (end > 1 && path[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (end == 1 && path[0] == '/')
		start = 0;
	p = malloc(end - start + 1);
	if (p) {
		memcpy(p, path + start, end - start);
		p[end - start] = '\0';
	}
	return p;
}

static inline int app_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names in directory `path`, sorted by strcmp (the C locale's order),
 * in *names (a malloc'd array of malloc'd strings; free with
 * app_free_names). dots: keep "." and "..". Returns the count, or -1 with
 * errno set.
 */
static inline long app_list_dir(const char *path, int dots, char ***names)
{
	DIR *d = opendir(path);
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int err;

	*names = NULL;
	if (!d)
		return -1;
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (!e) {
			err = errno;
			break;
		}
		if (!dots && (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0))
			continue;
		if (n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));
			if (!nv) {
				err = ENOMEM;
				break;
			}
			v = nv;
		}
		if (!(v[n] = strdup(e->d_name))) {
			err = ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (err) {
		while (n > 0)
			free(v[--n]);
		free(v);
		errno = err;
		return -1;
	}
	if (n)
		qsort(v, n, sizeof(*v), app_cmp_names);
	*names = v;
	return (long)n;
}

static inline void app_free_names(char **names, long n)
{
	for (long i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

#endif
