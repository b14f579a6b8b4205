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
