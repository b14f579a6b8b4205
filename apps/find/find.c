/*
 * find [PATH...] [-name GLOB] [-type f|d|l] [-print]: walk each PATH
 * (default ".") depth first, a directory before its contents, the contents
 * sorted by strcmp so the output does not depend on the directory's order.
 * Prints every path that passes all the tests (they AND together; -name
 * matches the last component with fnmatch(3), -type the lstat type). Never
 * follows symbolic links. Unreadable paths: "find: PATH: strerror", the
 * walk goes on, status 1.
 *   ./remora run build/remora src -name '*.c'
 */
#include "../lib/applib.h"
#include "../lib/tools.h"

#include <fnmatch.h>
#include <sys/stat.h>

#define FIND_MAX_TESTS 32

struct find_test {
	char kind;              /* 'n' -name, 't' -type */
	const char *arg;        /* the glob, or "f"/"d"/"l" */
};

struct find_expr {
	struct find_test t[FIND_MAX_TESTS];
	int n;
};

static int find_matches(const struct find_expr *x, const char *path, const struct stat *st)
{
	for (int i = 0; i < x->n; i++) {
		const struct find_test *t = &x->t[i];
		if (t->kind == 'n') {
			char *base = app_basename(path);
			int ok = base && fnmatch(t->arg, base, 0) == 0;
			free(base);
			if (!ok)
				return 0;
		} else {
			char c = t->arg[0];
			if ((c == 'f' && !S_ISREG(st->st_mode)) || (c == 'd' && !S_ISDIR(st->st_mode)) ||
			    (c == 'l' && !S_ISLNK(st->st_mode)))
				return 0;
		}
	}
	return 1;
}

/* Visits path (already lstat'ed into *st); returns the exit status. */
static int find_walk(const struct find_expr *x, const char *path, const struct stat *st)
{
	char **names;
	long n;
	int status = 0;

	if (find_matches(x, path, st))
		printf("%s\n", path);
	if (!S_ISDIR(st->st_mode))
		return 0;
	n = app_list_dir(path, 0, &names);
	if (n < 0) {
		app_err("find", path, errno);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		char *child = app_join(path, names[i]);
		struct stat cst;
		if (!child) {
			app_err("find", path, ENOMEM);
			status = 1;
		} else if (lstat(child, &cst) != 0) {
			app_err("find", child, errno);
			status = 1;
		} else {
			status |= find_walk(x, child, &cst);
		}
		free(child);
	}
	app_free_names(names, n);
	return status;
}

int find_main(int argc, char **argv)
{
	struct find_expr x = { .n = 0 };
	char *dot[] = { "." };
	char **paths = argv + 1;
	int npaths = 0, i, status = 0;

	for (i = 1; i < argc && argv[i][0] != '-'; i++)
		npaths++;
	for (; i < argc; i++) {
		const char *p = argv[i];
		if (strcmp(p, "-print") == 0)
			continue;
		if (strcmp(p, "-name") != 0 && strcmp(p, "-type") != 0) {
			app_msg("find", "unknown predicate '%s'", p);
			fprintf(stderr, "usage: find [PATH...] [-name GLOB] [-type f|d|l]\n");
			return 1;
		}
		if (i + 1 >= argc) {
			app_msg("find", "missing argument to '%s'", p);
			return 1;
		}
		if (x.n == FIND_MAX_TESTS) {
			app_msg("find", "too many tests (at most %d)", FIND_MAX_TESTS);
			return 1;
		}
		if (p[1] == 't' && strcmp(argv[i + 1], "f") && strcmp(argv[i + 1], "d") &&
		    strcmp(argv[i + 1], "l")) {
			app_msg("find", "-type: unknown type '%s' (f, d or l)", argv[i + 1]);
			return 1;
		}
		x.t[x.n].kind = p[1] == 'n' ? 'n' : 't';
		x.t[x.n++].arg = argv[++i];
	}
	if (npaths == 0) {
		paths = dot;
		npaths = 1;
	}
	for (i = 0; i < npaths; i++) {
		struct stat st;
		if (lstat(paths[i], &st) != 0) {
			app_err("find", paths[i], errno);
			status = 1;
			continue;
		}
		status |= find_walk(&x, paths[i], &st);
	}
	if (fflush(stdout) != 0) {
		app_err("find", "write error", errno);
		status = 1;
	}
	return status;
}
