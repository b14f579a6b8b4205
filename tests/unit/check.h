/*
 * Minimal unit-test harness shared by tests/unit/test_*.c. Each case is a
 * void function run with RUN(fn); it prints
 *   PASS unit/<file>:<case>
 *   FAIL unit/<file>:<case>: expected X, saw Y      (the first failed check)
 * with the location of every failed check on stderr. main returns
 * CHECK_DONE(). If $CHECK_CASE_FILE is set, the running case's name is kept
 * in that file, so that run-tests can name the case when a sanitizer error
 * (built with -fno-sanitize-recover) or a crash kills the process.
 */
#pragma once

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *check_file_;
static const char *check_case_;
static int check_case_failed_;
static int check_npass_, check_nfail_;

static __attribute__((unused)) const char *check_base_(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static __attribute__((unused)) void check_fail_(int line, const char *what, const char *expected, const char *seen)
{
	if (!check_case_failed_)
		printf("FAIL unit/%s:%s: expected %s, saw %s\n", check_file_, check_case_, expected, seen);
	fprintf(stderr, "    at %s:%d: %s\n", check_file_, line, what);
	fflush(stdout);
	check_case_failed_ = 1;
}

/* Integers: in decimal when both are small (errno values are negative),
 * else both in hex. */
static __attribute__((unused)) void check_fmt_int_(char *buf, size_t n, uint64_t v, int hex)
{
	int64_t s = (int64_t)v;

	if (!hex)
		snprintf(buf, n, "%" PRId64, s);
	else if (s < 0 && s > -0x10000)
		snprintf(buf, n, "-0x%" PRIx64, -v);
	else
		snprintf(buf, n, "0x%" PRIx64, v);
}

static __attribute__((unused)) int check_small_(uint64_t v)
{
	return (int64_t)v > -4096 && (int64_t)v < 4096;
}

static __attribute__((unused)) int check_eq_(int line, const char *what, uint64_t expected, uint64_t seen)
{
	char e[32], s[32];

	if (expected == seen)
		return 1;
	int hex = !check_small_(expected) || !check_small_(seen);
	check_fmt_int_(e, sizeof e, expected, hex);
	check_fmt_int_(s, sizeof s, seen, hex);
	check_fail_(line, what, e, s);
	return 0;
}

static __attribute__((unused)) int check_str_(int line, const char *what, const char *expected, const char *seen)
{
	char e[600], s[600];

	if (expected == seen || (expected && seen && strcmp(expected, seen) == 0))
		return 1;
	if (expected) snprintf(e, sizeof e, "\"%s\"", expected); else snprintf(e, sizeof e, "NULL");
	if (seen) snprintf(s, sizeof s, "\"%s\"", seen); else snprintf(s, sizeof s, "NULL");
	check_fail_(line, what, e, s);
	return 0;
}

/* Each returns 1 if the check held, so a case can bail out: if (!CHECK(..)) return; */
#define CHECK(cond) ((cond) ? 1 : (check_fail_(__LINE__, "CHECK(" #cond ")", #cond, "false"), 0))
#define CHECK_EQ(expected, seen) \
	check_eq_(__LINE__, "CHECK_EQ(" #expected ", " #seen ")", (uint64_t)(expected), (uint64_t)(seen))
#define CHECK_STR(expected, seen) \
	check_str_(__LINE__, "CHECK_STR(" #expected ", " #seen ")", (expected), (seen))
/* A failure with a message of the caller's own (expected/seen already formatted). */
#define CHECK_FAIL(expected, seen) check_fail_(__LINE__, "CHECK_FAIL", (expected), (seen))

/* Records the running case ("" between cases) for run-tests. */
static __attribute__((unused)) void check_note_case_(const char *name)
{
	const char *path = getenv("CHECK_CASE_FILE");
	FILE *f;

	if (path && (f = fopen(path, "w"))) {
		fputs(name, f);
		fclose(f);
	}
}

static __attribute__((unused)) void check_run_(const char *file, const char *name, void (*fn)(void))
{
	if (!check_file_)
		setvbuf(stdout, NULL, _IOLBF, 0);
	check_file_ = check_base_(file);
	check_case_ = name;
	check_case_failed_ = 0;
	check_note_case_(name);
	fn();
	check_note_case_("");
	if (check_case_failed_) {
		check_nfail_++;
	} else {
		check_npass_++;
		printf("PASS unit/%s:%s\n", check_file_, name);
	}
	check_case_ = NULL;
	fflush(stdout);
}

#define RUN(fn) check_run_(__FILE__, #fn, fn)
#define CHECK_DONE() (check_nfail_ ? 1 : 0)
