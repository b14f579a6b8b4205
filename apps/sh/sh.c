/*
 * sh: a tiny shell for a system without fork or exec. Every command is a
 * function in this program: the tools of apps/ (ls, cat, cp, find,
 * sha256sum, compiled in from their directories) and the built-ins below
 * (echo, cd, pwd, mkdir, rm, rmdir, mv, help, exit).
 *
 *   sh               read commands from standard input
 *   sh FILE          read them from FILE
 *   sh -c 'CMD'      run one line
 *
 * A line is words separated by blanks. 'single' and "double" quotes and
 * backslashes work as in sh; $? is the last status; a word with an
 * unquoted * ? or [ is a glob(3) pattern (left as it is when nothing
 * matches); `> FILE` and `>> FILE` send the command's output to FILE; #
 * starts a comment. No pipes, no variables, no control flow.
 *
 * When standard input is a terminal the shell prints the prompt "$ " and
 * edits the line itself with the terminal in raw mode (echo, backspace,
 * ^U kills the line, ^C abandons it, ^D on an empty line ends the shell),
 * so it behaves the same whether or not the console does echo.
 * The exit status is that of the last command, or exit's argument.
 *   make APP=apps/sh && ./remora run build/remora
 */
#include "../lib/applib.h"
#include "../lib/tools.h"

#include "../cat/cat.c"
#include "../cp/cp.c"
#include "../find/find.c"
#include "../ls/ls.c"
#include "../sha256sum/sha256sum.c"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define SH_PROMPT "$ "

struct sh_state {
	int status;             /* $?: the last command's exit status */
	int done;               /* exit ran */
	int interactive;        /* stdin is a terminal: prompt */
	int tty;                /* ... in raw mode (saved: its old settings) */
	struct termios saved;
};

/* ------------------------------------------------------------------ */
/* Built-ins */

static int sh_echo(int argc, char **argv)
{
	int i = 1, newline = 1;

	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		newline = 0;
		i = 2;
	}
	for (; i < argc; i++)
		printf("%s%s", argv[i], i + 1 < argc ? " " : "");
	if (newline)
		putchar('\n');
	return fflush(stdout) == 0 ? 0 : 1;
}

static int sh_cd(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("HOME");

	if (argc > 2) {
		app_msg("cd", "too many arguments");
		return 1;
	}
	if (!dir || !*dir)
		dir = "/";
	if (chdir(dir) != 0) {
		app_err("cd", dir, errno);
		return 1;
	}
	return 0;
}

static int sh_pwd(int argc, char **argv)
{
	char buf[4096];

	(void)argc;
	(void)argv;
	if (!getcwd(buf, sizeof(buf))) {
		app_err("pwd", ".", errno);
		return 1;
	}
	printf("%s\n", buf);
	return 0;
}

static int sh_mkdir_p(const char *path)
{
	char *p = strdup(path);
	struct stat st;
	int err = 0;

	if (!p)
		return ENOMEM;
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST)
			err = errno;
		else if (stat(p, &st) != 0)
			err = errno;
		else if (!S_ISDIR(st.st_mode))
			err = ENOTDIR;
		*s = c;
		if (err || c == '\0')
			break;
	}
	free(p);
	return err;
}

static int sh_mkdir(int argc, char **argv)
{
	unsigned char f[256];
	int first = app_options(argc, argv, "mkdir", "p", f, "mkdir [-p] DIR...");
	int status = 0;

	if (first < 0)
		return 1;
	if (first == argc) {
		app_msg("mkdir", "missing operand");
		return 1;
	}
	for (int i = first; i < argc; i++) {
		int err = f['p'] ? sh_mkdir_p(argv[i]) : (mkdir(argv[i], 0777) ? errno : 0);
		if (err) {
			app_err("mkdir", argv[i], err);
			status = 1;
		}
	}
	return status;
}

/* Removes path (a directory with everything in it). */
static int sh_rm_tree(const char *path)
{
	struct stat st;
	char **names;
	long n;
	int status = 0;

	if (lstat(path, &st) != 0) {
		app_err("rm", path, errno);
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		n = app_list_dir(path, 0, &names);
		if (n < 0) {
			app_err("rm", path, errno);
			return 1;
		}
		for (long i = 0; i < n; i++) {
			char *child = app_join(path, names[i]);
			status |= child ? sh_rm_tree(child) : 1;
			free(child);
		}
		app_free_names(names, n);
		if (status == 0 && rmdir(path) != 0) {
			app_err("rm", path, errno);
			status = 1;
		}
		return status;
	}
	if (unlink(path) != 0) {
		app_err("rm", path, errno);
		return 1;
	}
	return 0;
}

static int sh_rm(int argc, char **argv)
{
	unsigned char f[256];
	int first = app_options(argc, argv, "rm", "rRf", f, "rm [-rf] PATH...");
	int recursive, status = 0;

	if (first < 0)
		return 1;
	recursive = f['r'] || f['R'];
	if (first == argc && !f['f']) {
		app_msg("rm", "missing operand");
		return 1;
	}
	for (int i = first; i < argc; i++) {
		char *base = app_basename(argv[i]);
		struct stat st;
		int dots = base && (strcmp(base, ".") == 0 || strcmp(base, "..") == 0);
		free(base);
		if (dots) {
			app_msg("rm", "%s: refusing to remove '.' or '..'", argv[i]);
			status = 1;
		} else if (lstat(argv[i], &st) != 0) {
			if (errno != ENOENT || !f['f']) {
				app_err("rm", argv[i], errno);
				status = 1;
			}
		} else if (S_ISDIR(st.st_mode) && !recursive) {
			app_err("rm", argv[i], EISDIR);
			status = 1;
		} else {
			status |= sh_rm_tree(argv[i]);
		}
	}
	return status;
}

static int sh_rmdir(int argc, char **argv)
{
	int status = 0;

	if (argc < 2) {
		app_msg("rmdir", "missing operand");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (rmdir(argv[i]) != 0) {
			app_err("rmdir", argv[i], errno);
			status = 1;
		}
	}
	return status;
}

static int sh_mv(int argc, char **argv)
{
	struct stat st;
	const char *target;
	int into_dir, status = 0;

	if (argc < 3) {
		app_msg("mv", "usage: mv SRC DST | mv SRC... DIR");
		return 1;
	}
	target = argv[argc - 1];
	into_dir = stat(target, &st) == 0 && S_ISDIR(st.st_mode);
	if (argc > 3 && !into_dir) {
		app_err("mv", target, ENOTDIR);
		return 1;
	}
	for (int i = 1; i < argc - 1; i++) {
		char *base = into_dir ? app_basename(argv[i]) : NULL;
		char *dst = base ? app_join(target, base) : NULL;
		if (into_dir && !dst) {
			app_err("mv", argv[i], ENOMEM);
			status = 1;
		} else if (rename(argv[i], into_dir ? dst : target) != 0) {
			app_err("mv", argv[i], errno);
			status = 1;
		}
		free(base);
		free(dst);
	}
	return status;
}

static int sh_help(int argc, char **argv);

static const struct sh_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} sh_cmds[] = {
	{ "cat", cat_main, "cat [FILE...]" },
	{ "cd", sh_cd, "cd [DIR]" },
	{ "cp", cp_main, "cp [-r] SRC DST | cp [-r] SRC... DIR" },
	{ "echo", sh_echo, "echo [-n] [WORD...]" },
	{ "exit", NULL, "exit [STATUS]" },
	{ "find", find_main, "find [PATH...] [-name GLOB] [-type f|d|l]" },
	{ "help", sh_help, "help" },
	{ "ls", ls_main, "ls [-1adl] [PATH...]" },
	{ "mkdir", sh_mkdir, "mkdir [-p] DIR..." },
	{ "mv", sh_mv, "mv SRC DST | mv SRC... DIR" },
	{ "pwd", sh_pwd, "pwd" },
	{ "rm", sh_rm, "rm [-rf] PATH..." },
	{ "rmdir", sh_rmdir, "rmdir DIR..." },
	{ "sha256sum", sha256sum_main, "sha256sum [FILE...]" },
};

static int sh_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("commands (output redirection: > FILE, >> FILE):\n");
	for (size_t i = 0; i < sizeof(sh_cmds) / sizeof(sh_cmds[0]); i++)
		printf("  %s\n", sh_cmds[i].usage);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Words */

struct sh_buf {
	char *p;
	size_t n, cap;
};

static int sh_put(struct sh_buf *b, char c)
{
	if (b->n + 1 >= b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char *p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	b->p[b->n++] = c;
	b->p[b->n] = '\0';
	return 0;
}

struct sh_word {
	char *text;             /* the word, quotes removed */
	char *pat;              /* the same as a glob pattern: quoted *?[\ escaped */
	int glob;               /* an unquoted * ? or [ */
	int op;                 /* 0, or '>' / 'a' (>>) for an operator */
};

struct sh_words {
	struct sh_word *v;
	int n, cap;
};

static void sh_words_free(struct sh_words *w)
{
	for (int i = 0; i < w->n; i++) {
		free(w->v[i].text);
		free(w->v[i].pat);
	}
	free(w->v);
	w->v = NULL;
	w->n = w->cap = 0;
}

static int sh_words_add(struct sh_words *w, struct sh_word x)
{
	if (w->n == w->cap) {
		int cap = w->cap ? w->cap * 2 : 16;
		struct sh_word *v = realloc(w->v, (size_t)cap * sizeof(*v));
		if (!v)
			return -1;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n++] = x;
	return 0;
}

/* Appends character c of a word: quoted or not. */
static int sh_word_char(struct sh_buf *text, struct sh_buf *pat, int *glob, char c, int quoted)
{
	if (!quoted && (c == '*' || c == '?' || c == '['))
		*glob = 1;
	if (quoted && strchr("*?[\\", c) && sh_put(pat, '\\'))
		return -1;
	return sh_put(text, c) || sh_put(pat, c) ? -1 : 0;
}

/* Splits line into words; 0, or -1 after a message (syntax or memory). */
static int sh_split(const char *s, int status, struct sh_words *out)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", status);
	for (;;) {
		struct sh_buf text = { 0 }, pat = { 0 };
		int glob = 0, have = 0, err = 0;
		char q = 0;

		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (!*s || *s == '#')
			return 0;
		if (*s == '>') {
			int append = s[1] == '>';
			s += append ? 2 : 1;
			if (sh_words_add(out, (struct sh_word){ NULL, NULL, 0, append ? 'a' : '>' }))
				goto nomem;
			continue;
		}
		for (; *s; s++) {
			char c = *s;
			if (!q && (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>'))
				break;
			if (q == '\'' ) {
				if (c == '\'')
					q = 0;
				else
					err |= sh_word_char(&text, &pat, &glob, c, 1);
				continue;
			}
			if (c == '$' && s[1] == '?') {
				for (const char *d = num; *d; d++)
					err |= sh_word_char(&text, &pat, &glob, *d, 1);
				s++;
				have = 1;
				continue;
			}
			if (q == '"') {
				if (c == '"')
					q = 0;
				else if (c == '\\' && s[1] && strchr("$`\"\\", s[1]))
					err |= sh_word_char(&text, &pat, &glob, *++s, 1);
				else
					err |= sh_word_char(&text, &pat, &glob, c, 1);
				continue;
			}
			if (c == '\'' || c == '"') {
				q = c;
				have = 1;
			} else if (c == '\\' && s[1]) {
				err |= sh_word_char(&text, &pat, &glob, *++s, 1);
			} else {
				err |= sh_word_char(&text, &pat, &glob, c, 0);
			}
		}
		if (q) {
			free(text.p);
			free(pat.p);
			app_msg("sh", "syntax error: unterminated %c quote", q);
			return -1;
		}
		if (!text.p && have) {              /* "" is a word */
			text.p = strdup("");
			pat.p = strdup("");
			err |= !text.p || !pat.p;
		}
		if (err || (text.p && sh_words_add(out, (struct sh_word){ text.p, pat.p, glob, 0 }))) {
			free(text.p);
			free(pat.p);
			goto nomem;
		}
	}
nomem:
	app_err("sh", "parse", ENOMEM);
	return -1;
}

/* The argument vector of words (globs expanded) into *argv (NULL-ended;
 * strings borrowed from w or owned by *g), the redirection into *redir
 * and *append. Returns argc, or -1 after a message. */
static int sh_expand(struct sh_words *w, char ***argv, glob_t *g, const char **redir, int *append)
{
	char **v = calloc((size_t)w->n + 1, sizeof(*v));
	int n = 0, flags = 0;

	*redir = NULL;
	memset(g, 0, sizeof(*g));
	if (!v) {
		app_err("sh", "parse", ENOMEM);
		return -1;
	}
	/* Pass 1: globs, collected in g; pass 2 picks the words in order. */
	for (int i = 0; i < w->n; i++) {
		if (w->v[i].op) {
			if (i + 1 >= w->n || w->v[i + 1].op) {
				app_msg("sh", "syntax error: %s needs a file name",
					w->v[i].op == 'a' ? ">>" : ">");
				goto fail;
			}
			*redir = w->v[i + 1].text;
			*append = w->v[i].op == 'a';
			i++;
			continue;
		}
		if (!w->v[i].glob) {
			v[n++] = w->v[i].text;
			continue;
		}
		size_t before = g->gl_pathc;
		int r = glob(w->v[i].pat, flags, NULL, g);
		flags = GLOB_APPEND;
		if (r == GLOB_NOMATCH) {
			v[n++] = w->v[i].text;
		} else if (r != 0) {
			app_msg("sh", "%s: cannot expand", w->v[i].text);
			goto fail;
		} else {
			char **nv = realloc(v, ((size_t)n + (g->gl_pathc - before) + (size_t)(w->n - i) + 1) * sizeof(*v));
			if (!nv) {
				app_err("sh", "parse", ENOMEM);
				goto fail;
			}
			v = nv;
			for (size_t k = before; k < g->gl_pathc; k++)
				v[n++] = g->gl_pathv[k];
		}
	}
	v[n] = NULL;
	*argv = v;
	return n;
fail:
	free(v);
	if (flags)
		globfree(g);
	memset(g, 0, sizeof(*g));
	return -1;
}

/* ------------------------------------------------------------------ */
/* Running a line */

static int sh_exit_status(int argc, char **argv, int last)
{
	char *end;
	long v;

	if (argc < 2)
		return last;
	v = strtol(argv[1], &end, 10);
	if (!*argv[1] || *end) {
		app_msg("exit", "%s: numeric argument required", argv[1]);
		return 2;
	}
	return (int)(v & 0xff);
}

static int sh_call(struct sh_state *sh, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(sh_cmds) / sizeof(sh_cmds[0]); i++) {
		if (strcmp(argv[0], sh_cmds[i].name) != 0)
			continue;
		if (!sh_cmds[i].fn) {
			sh->done = 1;
			return sh_exit_status(argc, argv, sh->status);
		}
		return sh_cmds[i].fn(argc, argv);
	}
	app_msg("sh", "%s: command not found (try help)", argv[0]);
	return 127;
}

static void sh_run_line(struct sh_state *sh, const char *line)
{
	struct sh_words w = { 0 };
	char **argv = NULL;
	glob_t g;
	const char *redir;
	int argc, append = 0, saved = -1;

	if (sh_split(line, sh->status, &w) != 0) {
		sh->status = 2;
		goto out;
	}
	if (w.n == 0)
		goto out;
	argc = sh_expand(&w, &argv, &g, &redir, &append);
	if (argc < 0) {
		sh->status = 2;
		goto out;
	}
	fflush(stdout);
	if (redir) {
		int fd = open(redir, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0666);
		if (fd < 0 || (saved = dup(1)) < 0 || dup2(fd, 1) < 0) {
			app_err("sh", redir, errno);
			if (fd >= 0)
				close(fd);
			if (saved >= 0)
				close(saved);
			sh->status = 1;
			goto out_glob;
		}
		close(fd);
	}
	sh->status = argc > 0 ? sh_call(sh, argc, argv) : 0;
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, 1);
		close(saved);
	}
out_glob:
	globfree(&g);
out:
	free(argv);
	sh_words_free(&w);
}

/* ------------------------------------------------------------------ */
/* Reading lines */

static void sh_tty_restore(struct sh_state *sh)
{
	if (sh->tty)
		tcsetattr(0, TCSANOW, &sh->saved);
}

/* Puts the terminal on stdin in raw mode: we echo and edit. */
static void sh_tty_raw(struct sh_state *sh)
{
	struct termios t;

	sh->interactive = isatty(0);
	if (!sh->interactive || tcgetattr(0, &sh->saved) != 0)
		return;
	t = sh->saved;
	t.c_iflag &= ~(tcflag_t)(ICRNL | INLCR | IGNCR | IXON);
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | ISIG | IEXTEN);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(0, TCSANOW, &t) == 0)
		sh->tty = 1;
}

/* One line from the raw terminal into b (without its end); 0, or -1 at
 * the end of input. */
static int sh_read_tty(struct sh_buf *b)
{
	static int after_cr;    /* a '\n' right after '\r' is the same Enter */
	unsigned char c;
	ssize_t r;

	if (!b->p && sh_put(b, '\0'))
		return -1;
	b->n = 0;
	b->p[0] = '\0';
	for (;;) {
		r = read(0, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (c == '\n' && after_cr) {
			after_cr = 0;
			continue;
		}
		after_cr = c == '\r';
		if (c == '\r' || c == '\n') {
			fputs("\n", stdout);
			fflush(stdout);
			return 0;
		}
		if (c == 0x04) {                /* ^D */
			if (b->n == 0) {
				fputs("\n", stdout);
				fflush(stdout);
				return -1;
			}
		} else if (c == 0x7f || c == 0x08) {
			if (b->n > 0) {
				b->p[--b->n] = '\0';
				fputs("\b \b", stdout);
			}
		} else if (c == 0x15) {         /* ^U */
			for (; b->n > 0; b->n--)
				fputs("\b \b", stdout);
			b->p[0] = '\0';
		} else if (c == 0x03) {         /* ^C */
			fputs("^C\n" SH_PROMPT, stdout);
			b->n = 0;
			b->p[0] = '\0';
		} else if (c == 0x1b) {         /* ESC [ ... final byte: ignored */
			if (read(0, &c, 1) == 1 && c == '[')
				while (read(0, &c, 1) == 1 && !(c >= 0x40 && c <= 0x7e))
					;
		} else if (c >= 0x20) {
			if (sh_put(b, (char)c))
				return -1;
			putchar(c);
		}
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	struct sh_state sh = { 0 };
	struct sh_buf line = { 0 };
	FILE *in = stdin;

	if (argc > 1 && strcmp(argv[1], "-c") == 0) {
		if (argc < 3) {
			app_msg("sh", "-c: missing command");
			return 2;
		}
		sh_run_line(&sh, argv[2]);
		return sh.status;
	}
	if (argc > 1) {
		in = fopen(argv[1], "r");
		if (!in) {
			app_err("sh", argv[1], errno);
			return 127;
		}
	} else {
		sh_tty_raw(&sh);
	}
	while (!sh.done) {
		if (sh.interactive) {
			fputs(SH_PROMPT, stdout);
			fflush(stdout);
		}
		if (sh.tty) {
			if (sh_read_tty(&line) != 0)
				break;
		} else {
			ssize_t n = getline(&line.p, &line.cap, in);
			if (n < 0)
				break;
		}
		sh_run_line(&sh, line.p);
	}
	sh_tty_restore(&sh);
	free(line.p);
	if (in != stdin)
		fclose(in);
	return sh.status;
}
