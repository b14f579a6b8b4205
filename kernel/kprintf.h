/*
 * The kernel's printf. A small formatter of our own: musl's vfprintf uses SSE
 * registers (see docs/kernel.md) and the kernel is built general-registers-only.
 * Supports %d %i %u %x %X %o %p %s %c %% with flags '-' '0', a width (or *),
 * a precision for %s, and the length modifiers hh h l ll z.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/* Formats into the console (serial). Safe from any context, including panic. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

/* Formats into buf, always NUL-terminated when size > 0; returns the length
 * the full output would have had, like snprintf. */
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* The formatter itself: calls put(c, arg) for each output character. */
int kvformat(void (*put)(char c, void *arg), void *arg, const char *fmt, va_list ap);
