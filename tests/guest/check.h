/*
 * A tiny case framework for the in-guest suites (tests/guest/fs_*.c). A suite
 * is a list of named cases, each a void function; a failing CHECK ends its
 * case. Every case prints one line the harness (tests/fs/run-tests) reads:
 *
 *   fstest: SUITE.CASE: PASS
 *   fstest: SUITE.CASE: FAIL: expected X, saw Y (file.c:LINE)
 *
 * and the suite ends with `fstest: SUITE: N passed, N failed`. Errno values
 * are printed by name ("expected -ENOENT, saw -EEXIST"). The kernel option
 * `fstest.only=CASE,CASE` runs only those cases (for debugging one).
 *
 *	static void case_hello(void) { CHECK_INT(2, 1 + 1); }
 *	static int run(const struct cmdline *cl)
 *	{
 *		check_begin(cl, "demo");
 *		CHECK_RUN(hello);
 *		return check_end();
 *	}
 *	SELFTEST_SUITE("demo", run);
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/kprintf.h"

struct check_state {
	const char *suite;
	const char *kase;
	const char *only;       /* fstest.only= */
	int passed, failed;
	bool case_failed;
};

static struct check_state check_;

/* "ENOENT" for 2, NULL for numbers without a name here. */
static inline const char *check_errname(long e)
{
	static const char *const names[] = {
		[EPERM] = "EPERM", [ENOENT] = "ENOENT", [EIO] = "EIO", [ENXIO] = "ENXIO",
		[E2BIG] = "E2BIG", [EBADF] = "EBADF", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
		[EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST",
		[EXDEV] = "EXDEV", [ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR",
		[EINVAL] = "EINVAL", [ENFILE] = "ENFILE", [EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY",
		[ETXTBSY] = "ETXTBSY", [EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC", [ESPIPE] = "ESPIPE",
		[EROFS] = "EROFS", [EMLINK] = "EMLINK", [EPIPE] = "EPIPE", [ERANGE] = "ERANGE",
		[ENAMETOOLONG] = "ENAMETOOLONG", [ENOSYS] = "ENOSYS", [ENOTEMPTY] = "ENOTEMPTY",
		[ELOOP] = "ELOOP", [ENODATA] = "ENODATA",
		[75] = "EOVERFLOW", [95] = "EOPNOTSUPP",
	};

	if (e > 0 && e < (long)(sizeof(names) / sizeof(names[0])) && names[e])
		return names[e];
	return NULL;
}

/* A result for a message: "-ENOENT" for a named negative errno, else the
 * number. */
static inline const char *check_fmt_result(char *buf, size_t n, long long v)
{
	const char *name = v < 0 ? check_errname((long)-v) : NULL;

	if (name)
		ksnprintf(buf, n, "-%s", name);
	else
		ksnprintf(buf, n, "%lld", v);
	return buf;
}

static inline const char *check_base_(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Report a failed check of the running case: the first one as the case's
 * FAIL line, later ones (soft checks) as "also:" lines. */
__attribute__((format(printf, 3, 4)))
static inline void check_fail_(const char *file, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("fstest: %s.%s: %s: %s (%s:%d)\n", check_.suite, check_.kase,
		check_.case_failed ? "also" : "FAIL", msg, check_base_(file), line);
	check_.case_failed = true;
}

static inline bool check_bytes_(const char *file, int line, const void *exp, const void *saw, size_t n)
{
	const unsigned char *e = exp, *s = saw;

	for (size_t i = 0; i < n; i++) {
		if (e[i] != s[i]) {
			check_fail_(file, line, "expected byte %zu of %zu to be 0x%02x, saw 0x%02x",
				    i, n, e[i], s[i]);
			return false;
		}
	}
	return true;
}

/* The checks. Each ends the case on failure (the case is a void function);
 * the _SOFT forms record the failure and go on. */
#define CHECK_INT(exp, saw)                                                         \
	do {                                                                        \
		long long e_ = (long long)(exp), s_ = (long long)(saw);             \
		if (e_ != s_) {                                                     \
			check_fail_(__FILE__, __LINE__, "expected %lld, saw %lld (%s)", \
				    e_, s_, #saw);                                  \
			return;                                                     \
		}                                                                   \
	} while (0)

/* exp is 0 or a negative errno; saw a kernel result. (The text of saw is
 * taken by the outer macros, before its macros, NULL included, expand.) */
#define CHECK_ERR_(exp, saw, text, act)                                             \
	do {                                                                        \
		long long e_ = (long long)(exp), s_ = (long long)(saw);             \
		if (e_ != s_) {                                                     \
			char eb_[24], sb_[24];                                      \
			check_fail_(__FILE__, __LINE__, "expected %s, saw %s from %s", \
				    check_fmt_result(eb_, sizeof(eb_), e_),         \
				    check_fmt_result(sb_, sizeof(sb_), s_), text);  \
			act;                                                        \
		}                                                                   \
	} while (0)
#define CHECK_ERR(exp, saw) CHECK_ERR_(exp, saw, #saw, return)
#define CHECK_ERR_SOFT(exp, saw) CHECK_ERR_(exp, saw, #saw, (void)0)

/* expr must succeed (>= 0); its value is the macro's value. */
#define CHECK_OK(expr)                                                              \
	({                                                                          \
		long long v_ = (long long)(expr);                                   \
		if (v_ < 0) {                                                       \
			char vb_[24];                                               \
			check_fail_(__FILE__, __LINE__, "expected success, saw %s from %s", \
				    check_fmt_result(vb_, sizeof(vb_), v_), #expr); \
			return;                                                     \
		}                                                                   \
		v_;                                                                 \
	})

#define CHECK_BYTES(exp, saw, n)                                                    \
	do {                                                                        \
		if (!check_bytes_(__FILE__, __LINE__, (exp), (saw), (n)))           \
			return;                                                     \
	} while (0)

#define CHECK_STR(exp, saw)                                                         \
	do {                                                                        \
		const char *e_ = (exp), *s_ = (saw);                                \
		if (strcmp(e_, s_)) {                                               \
			check_fail_(__FILE__, __LINE__, "expected \"%s\", saw \"%s\"", e_, s_); \
			return;                                                     \
		}                                                                   \
	} while (0)

/* A condition with its own "expected ..., saw ..." message. */
#define CHECK_THAT(cond, ...)                                                       \
	do {                                                                        \
		if (!(cond)) {                                                      \
			check_fail_(__FILE__, __LINE__, __VA_ARGS__);               \
			return;                                                     \
		}                                                                   \
	} while (0)
#define CHECK_THAT_SOFT(cond, ...)                                                  \
	do {                                                                        \
		if (!(cond))                                                        \
			check_fail_(__FILE__, __LINE__, __VA_ARGS__);               \
	} while (0)

/* Call a helper that checks (a void function using CHECK_*); end the case
 * if it failed. */
#define CHECK_CALL(call)                                                            \
	do {                                                                        \
		call;                                                               \
		if (check_.case_failed)                                             \
			return;                                                     \
	} while (0)

static inline void check_begin(const struct cmdline *cl, const char *suite)
{
	memset(&check_, 0, sizeof(check_));
	check_.suite = suite;
	check_.only = cmdline_get(cl, "fstest.only");
	kprintf("fstest: %s: begin\n", suite);
}

static inline void check_run_(const char *name, void (*fn)(void))
{
	if (check_.only && !cmdline_list_has(check_.only, name))
		return;
	check_.kase = name;
	check_.case_failed = false;
	fn();
	if (check_.case_failed) {
		check_.failed++;
	} else {
		kprintf("fstest: %s.%s: PASS\n", check_.suite, name);
		check_.passed++;
	}
}
#define CHECK_RUN(name) check_run_(#name, case_##name)

/* Print the summary; the number of failed cases is the suite's result. */
static inline int check_end(void)
{
	kprintf("fstest: %s: %d passed, %d failed\n", check_.suite, check_.passed, check_.failed);
	return check_.failed;
}
