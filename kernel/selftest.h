/*
 * In-guest self tests, chosen on the kernel command line with
 * test=NAME[,NAME...]. Each prints `selftest: NAME: PASS` or
 * `selftest: NAME: FAIL: expected ..., saw ...`, then a summary line
 * `selftest: N passed, N failed`. tests/boot/run-tests drives them.
 */
#pragma once

#include "kernel/cmdline.h"

/* Run the tests test= names. Returns the number that failed (0 if none were
 * asked for); an unknown name counts as a failure. */
int selftest_run(const struct cmdline *cl);

/* A test suite linked into the test image (tests/guest/): run when test=
 * names it, after the file systems are mounted. run() prints its own case
 * lines and returns the number of failed cases; selftest_run() then prints
 * `selftest: NAME: PASS` or `selftest: NAME: FAIL: N cases failed`. */
struct selftest_suite {
	const char *name;
	int (*run)(const struct cmdline *cl);
};
#define SELFTEST_SUITE(sname, fn)                                              \
	static const struct selftest_suite suite_##fn                          \
		__attribute__((used, section(".suites"), aligned(8))) = { sname, fn }
