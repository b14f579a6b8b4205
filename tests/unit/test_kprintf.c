/*
 * kernel/kprintf.c against kernel/kprintf.h: every supported conversion,
 * flag, width and length compared byte for byte with the host's snprintf,
 * then ksnprintf's truncation rules and the %p format.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernel/kprintf.h"
#include "check.h"

/* Formats with both and compares (string and return value). */
static void cmp_(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cmp_(int line, const char *fmt, ...)
{
	char want[256], got[256], what[300];
	va_list ap, aq;
	int nw, ng;

	va_start(ap, fmt);
	va_copy(aq, ap);
	nw = vsnprintf(want, sizeof want, fmt, ap);
	memset(got, 0x7f, sizeof got);
	ng = kvsnprintf(got, sizeof got, fmt, aq);
	va_end(aq);
	va_end(ap);
	snprintf(what, sizeof what, "format \"%s\"", fmt);
	check_str_(line, what, want, got);
	check_eq_(line, what, (uint64_t)nw, (uint64_t)ng);
}
#define CMP(...) cmp_(__LINE__, __VA_ARGS__)

static void integers(void)
{
	CMP("%d %i %d %d", 0, 42, -42, INT_MAX);
	CMP("%d", INT_MIN);
	CMP("%u %u %u", 0u, 12345u, UINT_MAX);
	CMP("%x %X %x %X", 0u, 0xabcdefu, UINT_MAX, 0xdeadbeefu);
	CMP("%o %o %o", 0u, 8u, UINT_MAX);
	CMP("%ld %ld %ld", 0L, LONG_MAX, LONG_MIN);
	CMP("%lld %lld", (long long)INT64_MAX, (long long)INT64_MIN);
	CMP("%lu %lx %lX %lo", ULONG_MAX, ULONG_MAX, 0x123456789abcdefUL, ULONG_MAX);
	CMP("%llu %llx", 18446744073709551615ULL, 0x8000000000000000ULL);
	CMP("%zu %zx %zd", (size_t)SIZE_MAX, (size_t)0x1000, (ssize_t)-5);
	CMP("%hd %hd %hu %hx", (short)-1, (short)SHRT_MIN, (unsigned short)65535, (unsigned short)0xbeef);
	CMP("%hhd %hhd %hhu %hhx %hho", (signed char)-128, (signed char)127, (unsigned char)255,
	    (unsigned char)0xab, (unsigned char)0377);
	/* Values wider than the modifier are converted as C says. */
	CMP("%hd %hu %hhd %hhu %hhx", 70000, 70000, 200, 300, 0x1ff);
	CMP("%d%d%u", 1, -2, 3u);
}

static void widths_and_flags(void)
{
	CMP("[%5d] [%-5d] [%05d] [%5d] [%-5d] [%05d]", 42, 42, 42, -42, -42, -42);
	CMP("[%1d] [%2d] [%3d] [%03d]", 1234, -1, -1, -1);
	CMP("[%0d] [%5d] [%05d] [%-5d]", 0, 0, 0, 0);
	/* '-' overrides '0' (C11 7.21.6.1); GCC warns about the combination. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
	CMP("[%-05d] [%0-5d] [%-08x]", -3, 4, 0xabu);
#pragma GCC diagnostic pop
	CMP("[%08x] [%-8X] [%8o] [%016lx]", 0xbeefu, 0xbeefu, 8u, 0xffffffffUL);
	CMP("[%20lld] [%-20lld] [%020lld]", (long long)INT64_MIN, (long long)INT64_MIN, (long long)INT64_MIN);
	CMP("[%*d] [%-*d] [%*d] [%0*x]", 6, 7, 6, 7, -6, 7, 4, 0xau);   /* negative * = left */
	CMP("[%10s] [%-10s] [%2s] [%s]", "abc", "abc", "abcdef", "");
	CMP("[%.2s] [%.0s] [%.10s] [%5.2s] [%-5.2s]", "abcdef", "abc", "abc", "abcdef", "abcdef");
	CMP("[%.*s] [%*.*s] [%.*s]", 3, "abcdef", 6, 2, "abcdef", -1, "abc");
	CMP("[%c] [%c%c] [%c]", 'x', 'a', 'b', 0x7f);
	CMP("[%3c] [%-3c]", 'x', 'y');
	CMP("100%% [%%] %s%%", "x");
	CMP("%s=%d, %s=%x", "a", 1, "b", 0u);
}

static void strings_literal(void)
{
	CMP("plain text, no conversions");
	CMP("%s", "a longer string with spaces and \t tabs");
	CMP("%s%s%s", "", "x", "");
}

static void pointers(void)
{
	char want[64], got[64];
	int x;
	void *p = &x;

	/* %p: "0x" and lowercase hex, like glibc's %p (= %#lx) for non-NULL. */
	snprintf(want, sizeof want, "%#lx", (unsigned long)(uintptr_t)p);
	CHECK_EQ((int)strlen(want), ksnprintf(got, sizeof got, "%p", p));
	CHECK_STR(want, got);
	snprintf(want, sizeof want, "%p", p);
	CHECK_STR(want, got);
	ksnprintf(got, sizeof got, "%p", (void *)0xffffffff80000000UL);
	CHECK_STR("0xffffffff80000000", got);
	ksnprintf(got, sizeof got, "%p", (void *)0x1000);
	CHECK_STR("0x1000", got);
	/* NULL prints as 0x0 (glibc says "(nil)"). */
	CHECK_EQ(3, ksnprintf(got, sizeof got, "%p", (void *)0));
	CHECK_STR("0x0", got);
}

static void truncation(void)
{
	char buf[16];

	memset(buf, 'z', sizeof buf);
	CHECK_EQ(11, ksnprintf(buf, 6, "hello %s", "world"));
	CHECK_STR("hello", buf);                                /* 5 bytes and the NUL */
	CHECK_EQ('z', buf[6]);                                  /* nothing past size */
	memset(buf, 'z', sizeof buf);
	CHECK_EQ(5, ksnprintf(buf, 1, "%d", -1234));
	CHECK_EQ('\0', buf[0]);
	CHECK_EQ('z', buf[1]);
	memset(buf, 'z', sizeof buf);
	CHECK_EQ(3, ksnprintf(buf, 0, "abc"));                  /* size 0 writes nothing */
	CHECK_EQ('z', buf[0]);
	CHECK_EQ(3, ksnprintf(NULL, 0, "%x", 0xabcu));
	/* Exactly fitting, and one short. */
	memset(buf, 'z', sizeof buf);
	CHECK_EQ(4, ksnprintf(buf, 5, "%4d", 7));
	CHECK_STR("   7", buf);
	memset(buf, 'z', sizeof buf);
	CHECK_EQ(4, ksnprintf(buf, 4, "%-4d", 7));
	CHECK_STR("7  ", buf);
	CHECK_EQ('z', buf[4]);
	/* The same as snprintf for every size. */
	for (size_t n = 0; n <= sizeof buf; n++) {
		char want[16];
		memset(want, 'z', sizeof want);
		memset(buf, 'z', sizeof buf);
		int nw = snprintf(want, n, "%s|%05d|%x", "ab", -12, 0xfeedu);
		int ng = ksnprintf(buf, n, "%s|%05d|%x", "ab", -12, 0xfeedu);
		if (!CHECK_EQ(nw, ng) || !CHECK(memcmp(want, buf, sizeof buf) == 0))
			break;
	}
}

static void put_count(char c, void *arg)
{
	(void)c;
	++*(int *)arg;
}

static int format(void (*put)(char, void *), void *arg, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvformat(put, arg, fmt, ap);
	va_end(ap);
	return n;
}

static void kvformat_counts(void)
{
	int calls = 0;

	/* kvformat calls put once per character and returns the count. */
	CHECK_EQ(14, format(put_count, &calls, "%5d|%-3s|%p", -1, "ab", (void *)0x10));
	CHECK_EQ(14, calls);
}

int main(void)
{
	RUN(integers);
	RUN(widths_and_flags);
	RUN(strings_literal);
	RUN(pointers);
	RUN(truncation);
	RUN(kvformat_counts);
	return CHECK_DONE();
}
