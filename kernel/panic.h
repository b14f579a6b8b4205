/*
 * panic(): the kernel's own invariant is broken. Prints the message, the
 * registers and a symbolized backtrace, then powers off with status
 * EXIT_PANIC. Each call site passes a message found nowhere else.
 */
#pragma once

#include <stdint.h>

#define EXIT_PANIC 125

struct trapframe;

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* As panic(), for a trap: the registers are the interrupted context's. */
void panic_trap(const struct trapframe *tf, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* Prints "  #n 0xaddr name+0xoff" lines, walking saved frame pointers from
 * rbp; rip is printed first as frame #0. */
void backtrace_print(uint64_t rip, uint64_t rbp);
