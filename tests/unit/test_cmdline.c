/*
 * kernel/cmdline.c against kernel/cmdline.h.
 */
#include <stdio.h>
#include <string.h>

#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "check.h"

static struct cmdline C;

/* Parse, expecting success; the argv list must be NULL-terminated. */
static int parse(const char *s)
{
	memset(&C, 0x5a, sizeof C);
	return cmdline_parse(&C, s);
}

static void expect_empty(int line)
{
	check_eq_(line, "nopts", 0, (uint64_t)C.nopts);
	check_eq_(line, "argc", 0, (uint64_t)C.argc);
	check_eq_(line, "argv[0] == NULL", 1, C.argv[0] == NULL);
	check_str_(line, "cmdline_get after error", NULL, cmdline_get(&C, "a"));
}
#define EXPECT_EMPTY() expect_empty(__LINE__)

static void options(void)
{
	CHECK_EQ(0, parse("console=ttyS0 test=clock,rtc  \t quiet mem=1=2"));
	CHECK_EQ(4, C.nopts);
	CHECK_EQ(0, C.argc);
	CHECK(C.argv[0] == NULL);
	CHECK_STR("ttyS0", cmdline_get(&C, "console"));
	CHECK_STR("clock,rtc", cmdline_get(&C, "test"));
	CHECK_STR("", cmdline_get(&C, "quiet"));                /* bare flag */
	CHECK_STR("1=2", cmdline_get(&C, "mem"));               /* first '=' splits */
	CHECK_STR(NULL, cmdline_get(&C, "missing"));
	CHECK_STR(NULL, cmdline_get(&C, "consol"));
	CHECK_STR(NULL, cmdline_get(&C, "console=ttyS0"));
	CHECK_STR("console", C.opts[0].key);
	CHECK_STR("quiet", C.opts[2].key);
	/* key= gives an empty value too. */
	CHECK_EQ(0, parse("k="));
	CHECK_STR("", cmdline_get(&C, "k"));
}

static void last_duplicate_wins(void)
{
	CHECK_EQ(0, parse("a=1 b=2 a=3 a"));
	CHECK_STR("", cmdline_get(&C, "a"));
	CHECK_EQ(0, parse("a=1 b=2 a=3"));
	CHECK_STR("3", cmdline_get(&C, "a"));
	CHECK_STR("2", cmdline_get(&C, "b"));
}

static void dashes_separate_args(void)
{
	CHECK_EQ(0, parse("x=1 -- app hello x=2 -- -q"));
	CHECK_EQ(1, C.nopts);
	CHECK_STR("1", cmdline_get(&C, "x"));
	if (!CHECK_EQ(5, C.argc))
		return;
	CHECK_STR("app", C.argv[0]);
	CHECK_STR("hello", C.argv[1]);
	CHECK_STR("x=2", C.argv[2]);
	CHECK_STR("--", C.argv[3]);                             /* only the first -- separates */
	CHECK_STR("-q", C.argv[4]);
	CHECK(C.argv[5] == NULL);
	/* Nothing after "--". */
	CHECK_EQ(0, parse("a --"));
	CHECK_EQ(1, C.nopts);
	CHECK_EQ(0, C.argc);
	CHECK(C.argv[0] == NULL);
	/* Only args. */
	CHECK_EQ(0, parse("-- a"));
	CHECK_EQ(0, C.nopts);
	CHECK_EQ(1, C.argc);
	CHECK_STR("a", C.argv[0]);
	/* "--x" is an option name, not the separator. */
	CHECK_EQ(0, parse("--x a"));
	CHECK_EQ(2, C.nopts);
	CHECK_EQ(0, C.argc);
	CHECK_STR("", cmdline_get(&C, "--x"));
}

static void quotes(void)
{
	CHECK_EQ(0, parse("alpha=1 beta=\"two words\" gamma='single \"q\"' -- \"hello world\" 'it''s' a\"b c\"d"));
	CHECK_STR("two words", cmdline_get(&C, "beta"));
	CHECK_STR("single \"q\"", cmdline_get(&C, "gamma"));
	if (!CHECK_EQ(3, C.argc))
		return;
	CHECK_STR("hello world", C.argv[0]);
	CHECK_STR("its", C.argv[1]);
	CHECK_STR("ab cd", C.argv[2]);
	/* Blanks of every kind inside quotes are kept. */
	CHECK_EQ(0, parse("-- \"a\tb\nc\""));
	CHECK_STR("a\tb\nc", C.argv[0]);
	/* A quoted key. */
	CHECK_EQ(0, parse("\"k\"=v"));
	CHECK_STR("v", cmdline_get(&C, "k"));
}

static void backslashes(void)
{
	CHECK_EQ(0, parse("a=x\\ y b=\\\"q\\\" c=\"in \\\"dq\\\" \\\\\" d='no \\escape' -- \\-- e\\\\f"));
	CHECK_STR("x y", cmdline_get(&C, "a"));
	CHECK_STR("\"q\"", cmdline_get(&C, "b"));
	CHECK_STR("in \"dq\" \\", cmdline_get(&C, "c"));
	CHECK_STR("no \\escape", cmdline_get(&C, "d"));
	if (!CHECK_EQ(2, C.argc))
		return;
	CHECK_STR("--", C.argv[0]);                             /* an escaped -- is an argument */
	CHECK_STR("e\\f", C.argv[1]);
	CHECK_EQ(0, parse("-- 'a\\'"));                         /* backslash inside single quotes is literal */
	CHECK_STR("a\\", C.argv[0]);
}

static void empty_quoted_arg(void)
{
	CHECK_EQ(0, parse("-- \"\" '' x \"\""));
	if (!CHECK_EQ(4, C.argc))
		return;
	CHECK_STR("", C.argv[0]);
	CHECK_STR("", C.argv[1]);
	CHECK_STR("x", C.argv[2]);
	CHECK_STR("", C.argv[3]);
	CHECK(C.argv[4] == NULL);
}

static void quoted_dashes_not_separator(void)
{
	CHECK_EQ(0, parse("a=1 \"--\" b=2 -- c"));
	CHECK_STR("2", cmdline_get(&C, "b"));
	CHECK_EQ(1, C.argc);
	CHECK_STR("c", C.argv[0]);
	CHECK_EQ(0, parse("a=1 '--' b=2"));
	CHECK_EQ(0, C.argc);
	CHECK_STR("2", cmdline_get(&C, "b"));
}

static void unterminated_quote(void)
{
	CHECK_EQ(0, parse("ok=1"));
	CHECK_EQ(-EINVAL, cmdline_parse(&C, "a=1 b=2 -- x \"y z"));
	EXPECT_EMPTY();
	CHECK_EQ(-EINVAL, parse("a='1"));
	EXPECT_EMPTY();
	CHECK_EQ(-EINVAL, parse("a=\"1\\\""));                  /* the closing quote is escaped */
	EXPECT_EMPTY();
}

static void empty_key(void)
{
	CHECK_EQ(-EINVAL, parse("a=1 =2"));
	EXPECT_EMPTY();
	CHECK_EQ(-EINVAL, parse("a=1 \"\""));                   /* empty option before -- */
	EXPECT_EMPTY();
}

static void too_big(void)
{
	static char s[4 * CMDLINE_LEN];
	char *p;
	int i;

	/* CMDLINE_MAX_OPTS options fit; one more does not. */
	p = s;
	for (i = 0; i < CMDLINE_MAX_OPTS; i++)
		p += sprintf(p, "o%d=%d ", i, i);
	CHECK_EQ(0, parse(s));
	CHECK_EQ(CMDLINE_MAX_OPTS, C.nopts);
	CHECK_STR("31", cmdline_get(&C, "o31"));
	sprintf(p, "one=more");
	CHECK_EQ(-E2BIG, parse(s));
	EXPECT_EMPTY();

	/* CMDLINE_MAX_ARGS arguments fit; one more does not. */
	p = s + sprintf(s, "--");
	for (i = 0; i < CMDLINE_MAX_ARGS; i++)
		p += sprintf(p, " %d", i);
	CHECK_EQ(0, parse(s));
	CHECK_EQ(CMDLINE_MAX_ARGS, C.argc);
	CHECK_STR("63", C.argv[CMDLINE_MAX_ARGS - 1]);
	CHECK(C.argv[CMDLINE_MAX_ARGS] == NULL);
	sprintf(p, " x");
	CHECK_EQ(-E2BIG, parse(s));
	EXPECT_EMPTY();

	/* One token of CMDLINE_LEN - 1 bytes fills the buffer with its NUL; one more byte does not fit. */
	memset(s, 'k', CMDLINE_LEN - 1);
	s[CMDLINE_LEN - 1] = '\0';
	CHECK_EQ(0, parse(s));
	CHECK_EQ(1, C.nopts);
	CHECK_EQ(CMDLINE_LEN - 1, strlen(C.opts[0].key));
	s[CMDLINE_LEN - 1] = 'k';
	s[CMDLINE_LEN] = '\0';
	CHECK_EQ(-E2BIG, parse(s));
	EXPECT_EMPTY();

	/* Many short tokens whose total exceeds the buffer. */
	p = s + sprintf(s, "--");
	for (i = 0; i < 60; i++)
		p += sprintf(p, " %030d", i);                   /* 60 * 31 bytes > 1024 */
	CHECK_EQ(-E2BIG, parse(s));
	EXPECT_EMPTY();
}

static void empty_string(void)
{
	CHECK_EQ(0, parse(""));
	EXPECT_EMPTY();
	CHECK_EQ(0, parse("  \t \n "));
	EXPECT_EMPTY();
}

static void list_has(void)
{
	CHECK_EQ(1, cmdline_list_has("a,bc,d", "bc"));
	CHECK_EQ(1, cmdline_list_has("a,bc,d", "a"));
	CHECK_EQ(1, cmdline_list_has("a,bc,d", "d"));
	CHECK_EQ(0, cmdline_list_has("a,bc", "b"));
	CHECK_EQ(0, cmdline_list_has("a,bc", "c"));
	CHECK_EQ(0, cmdline_list_has("a,bc", "bcd"));
	CHECK_EQ(0, cmdline_list_has("a,bc", "a,bc"));
	CHECK_EQ(1, cmdline_list_has("clock", "clock"));
	CHECK_EQ(0, cmdline_list_has("", "clock"));
	CHECK_EQ(0, cmdline_list_has(NULL, "clock"));
	/* With the parser: test=clock,rtc. */
	CHECK_EQ(0, parse("test=clock,rtc"));
	CHECK_EQ(1, cmdline_list_has(cmdline_get(&C, "test"), "rtc"));
	CHECK_EQ(0, cmdline_list_has(cmdline_get(&C, "test"), "rt"));
}

int main(void)
{
	RUN(options);
	RUN(last_duplicate_wins);
	RUN(dashes_separate_args);
	RUN(quotes);
	RUN(backslashes);
	RUN(empty_quoted_arg);
	RUN(quoted_dashes_not_separator);
	RUN(unterminated_quote);
	RUN(empty_key);
	RUN(too_big);
	RUN(empty_string);
	RUN(list_has);
	return CHECK_DONE();
}
