/*
 * The kernel's printf: one formatter, two sinks (console and buffer).
 * Host-tested by tests/unit/test_kprintf.c against the C library's snprintf.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kprintf.h"

struct spec {
	int left, zero, width, prec;
	int base, upper, is_signed;
};

static int emit_number(void (*put)(char, void *), void *arg, uint64_t v, int neg, const struct spec *s)
{
	const char *digits = s->upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, len, out = 0;

	do {
		tmp[n++] = digits[v % (unsigned)s->base];
		v /= (unsigned)s->base;
	} while (v);
	len = n + neg;
	if (!s->left && !s->zero)
		for (; len < s->width; len++, out++)
			put(' ', arg);
	if (neg) {
		put('-', arg);
		out++;
	}
	if (!s->left && s->zero)
		for (; len < s->width; len++, out++)
			put('0', arg);
	while (n)
		put(tmp[--n], arg), out++;
	for (; len < s->width; len++, out++)
		put(' ', arg);
	return out;
}

int kvformat(void (*put)(char, void *), void *arg, const char *fmt, va_list ap)
{
	int out = 0;

	for (; *fmt; fmt++) {
		struct spec s = { .prec = -1, .base = 10 };
		int lng = 0;

		if (*fmt != '%') {
			put(*fmt, arg);
			out++;
			continue;
		}
		for (fmt++;; fmt++) {
			if (*fmt == '-')
				s.left = 1;
			else if (*fmt == '0')
				s.zero = 1;
			else
				break;
		}
		if (*fmt == '*') {
			s.width = va_arg(ap, int);
			if (s.width < 0)
				s.left = 1, s.width = -s.width;
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			s.width = s.width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			s.prec = 0;
			if (*++fmt == '*') {
				s.prec = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				s.prec = s.prec * 10 + (*fmt++ - '0');
		}
		for (;; fmt++) {
			if (*fmt == 'l' || *fmt == 'z')
				lng = 2;
			else if (*fmt == 'h')
				lng = lng > 0 ? lng : lng - 1;
			else
				break;
		}
		if (s.left)
			s.zero = 0;

		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng == 2 ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (lng == -1)
				v = (short)v;
			else if (lng <= -2)
				v = (signed char)v;
			out += emit_number(put, arg, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, &s);
			break;
		}
		case 'X':
			s.upper = 1;
			/* fall through */
		case 'x':
		case 'o':
		case 'u': {
			uint64_t v = lng == 2 ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			if (lng == -1)
				v = (unsigned short)v;
			else if (lng <= -2)
				v = (unsigned char)v;
			s.base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
			out += emit_number(put, arg, v, 0, &s);
			break;
		}
		case 'p':
			put('0', arg), put('x', arg);
			s.base = 16;
			out += 2 + emit_number(put, arg, (uintptr_t)va_arg(ap, void *), 0, &s);
			break;
		case 'c': {
			char ch = (char)va_arg(ap, int);
			if (!s.left)
				for (int i = 1; i < s.width; i++, out++)
					put(' ', arg);
			put(ch, arg);
			out++;
			if (s.left)
				for (int i = 1; i < s.width; i++, out++)
					put(' ', arg);
			break;
		}
		case 's': {
			const char *str = va_arg(ap, const char *);
			int len = 0;
			if (!str)
				str = "(null)";
			while (str[len] && (s.prec < 0 || len < s.prec))
				len++;
			if (!s.left)
				for (int i = len; i < s.width; i++, out++)
					put(' ', arg);
			for (int i = 0; i < len; i++, out++)
				put(str[i], arg);
			if (s.left)
				for (int i = len; i < s.width; i++, out++)
					put(' ', arg);
			break;
		}
		case '%':
			put('%', arg);
			out++;
			break;
		case '\0':
			return out;
		default:
			put('%', arg), put(*fmt, arg);
			out += 2;
			break;
		}
	}
	return out;
}

struct bufsink {
	char *buf;
	size_t size, pos;
};

static void put_buf(char c, void *arg)
{
	struct bufsink *b = arg;

	if (b->pos + 1 < b->size)
		b->buf[b->pos] = c;
	b->pos++;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct bufsink b = { buf, size, 0 };
	int n = kvformat(put_buf, &b, fmt, ap);

	if (size)
		buf[b.pos < size ? b.pos : size - 1] = '\0';
	return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
