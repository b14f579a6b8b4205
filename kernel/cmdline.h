/*
 * The kernel command line: `key=value` options (a bare `key` means "set",
 * with value ""), then `--`, then the application's arguments. Tokens are
 * separated by blanks; "double" or 'single' quotes group blanks into a token
 * and backslash escapes the next character outside single quotes, as in sh.
 *   console=ttyS0 test=clock,rtc -- app "hello world"
 * Pure code: tests/unit/test_cmdline.c runs it on the host.
 */
#pragma once

#include <stddef.h>

#define CMDLINE_LEN      1024
#define CMDLINE_MAX_OPTS 32
#define CMDLINE_MAX_ARGS 64

struct cmdline_opt {
	const char *key;
	const char *value;
};

struct cmdline {
	char buf[CMDLINE_LEN];   /* the tokens, each NUL-terminated */
	int nopts;
	struct cmdline_opt opts[CMDLINE_MAX_OPTS];
	int argc;
	const char *argv[CMDLINE_MAX_ARGS + 1]; /* NULL-terminated */
};

/* Parse s into c. Returns 0, -E2BIG if s has more tokens or bytes than c
 * holds, or -EINVAL for an unterminated quote or an empty key. On error c
 * holds nothing. */
int cmdline_parse(struct cmdline *c, const char *s);

/* The value of the last option named key, or NULL if there is none. */
const char *cmdline_get(const struct cmdline *c, const char *key);

/* True if the comma-separated list `list` contains `item`. */
int cmdline_list_has(const char *list, const char *item);
