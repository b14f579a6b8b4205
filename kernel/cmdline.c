/*
 * Command-line parser. One pass: read a token (quotes and backslashes
 * resolved) into buf, then file it as an option or, after "--", an argument.
 */
#include <stddef.h>
#include <string.h>

#include "kernel/cmdline.h"
#include "kernel/errno.h"

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Copies the token at *sp into out (room bytes); returns its length,
 * -E2BIG or -EINVAL. *quoted says whether any quote appeared (so "" is a
 * token, while nothing at all is not). */
static int read_token(const char **sp, char *out, size_t room, int *quoted)
{
	const char *s = *sp;
	size_t n = 0;
	char q = 0;

	*quoted = 0;
	for (; *s && (q || !is_blank(*s)); s++) {
		char ch = *s;
		if (q && ch == q) {
			q = 0;
			continue;
		}
		if (!q && (ch == '"' || ch == '\'')) {
			q = ch;
			*quoted = 1;
			continue;
		}
		if (ch == '\\' && q != '\'' && s[1])
			ch = *++s;
		if (n + 1 >= room)
			return -E2BIG;
		out[n++] = ch;
	}
	if (q)
		return -EINVAL;
	out[n] = '\0';
	*sp = s;
	return (int)n;
}

int cmdline_parse(struct cmdline *c, const char *s)
{
	size_t used = 0;
	int after_dashes = 0, n;

	c->nopts = 0;
	c->argc = 0;
	c->argv[0] = NULL;
	for (;;) {
		int quoted;
		char *tok;

		while (is_blank(*s))
			s++;
		if (!*s)
			break;
		tok = c->buf + used;
		n = read_token(&s, tok, sizeof(c->buf) - used, &quoted);
		if (n < 0)
			goto fail;
		used += (size_t)n + 1;

		if (!after_dashes && !quoted && strcmp(tok, "--") == 0) {
			after_dashes = 1;
		} else if (after_dashes) {
			if (c->argc == CMDLINE_MAX_ARGS) {
				n = -E2BIG;
				goto fail;
			}
			c->argv[c->argc++] = tok;
			c->argv[c->argc] = NULL;
		} else {
			char *eq = strchr(tok, '=');
			if (c->nopts == CMDLINE_MAX_OPTS) {
				n = -E2BIG;
				goto fail;
			}
			if (eq == tok || tok[0] == '\0') {
				n = -EINVAL;
				goto fail;
			}
			if (eq)
				*eq = '\0';
			c->opts[c->nopts++] = (struct cmdline_opt){ tok, eq ? eq + 1 : "" };
		}
	}
	return 0;
fail:
	c->nopts = 0;
	c->argc = 0;
	c->argv[0] = NULL;
	return n;
}

const char *cmdline_get(const struct cmdline *c, const char *key)
{
	for (int i = c->nopts - 1; i >= 0; i--)
		if (strcmp(c->opts[i].key, key) == 0)
			return c->opts[i].value;
	return NULL;
}

int cmdline_list_has(const char *list, const char *item)
{
	size_t len = strlen(item);

	while (list && *list) {
		const char *end = strchr(list, ',');
		size_t n = end ? (size_t)(end - list) : strlen(list);
		if (n == len && strncmp(list, item, len) == 0)
			return 1;
		list = end ? end + 1 : NULL;
	}
	return 0;
}
