/*
 * panic() and the backtrace. A backtrace walks the rbp chain (the kernel keeps
 * frame pointers, -fno-omit-frame-pointer): [rbp] is the caller's rbp and
 * [rbp+8] the return address. Each step is checked before it is followed, so a
 * corrupt stack ends the walk rather than faulting inside panic.
 */
#include <stdarg.h>
#include <stdint.h>

#include "kernel/console.h"
#include "kernel/kprintf.h"
#include "kernel/ksyms.h"
#include "kernel/panic.h"
#include "kernel/power.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

#define BACKTRACE_MAX 32

static int panicking;

static void print_frame_line(int n, uint64_t addr)
{
	uint64_t off;
	const char *name = ksyms_lookup(addr, &off);

	if (name)
		kprintf("  #%d 0x%016lx %s+0x%lx\n", n, addr, name, off);
	else
		kprintf("  #%d 0x%016lx ?\n", n, addr);
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
	int n = 0;

	kprintf("backtrace:\n");
	print_frame_line(n++, rip);
	while (n < BACKTRACE_MAX && rbp != 0) {
		/* A frame lives on a mapped, aligned stack in the low canonical half,
		 * and callers' frames lie above their callees'. */
		if ((rbp & 7) || rbp < 0x1000 || rbp >= (1ull << 47))
			break;
		uint64_t next = ((uint64_t *)rbp)[0];
		uint64_t ret = ((uint64_t *)rbp)[1];
		if (ret == 0)
			break;
		/* The return address points after the call; name the call itself. */
		print_frame_line(n++, ret - 1);
		if (next <= rbp)
			break;
		rbp = next;
	}
}

static void panic_enter(void)
{
	cli();
	if (panicking++) {
		/* A panic while panicking: say so and stop without more help. */
		console_write("\npanic: nested panic\n", 21);
		power_off(EXIT_PANIC);
	}
}

static void panic_message(const char *fmt, va_list ap)
{
	kprintf("\npanic: ");
	kvprintf(fmt, ap);
	kprintf("\n");
}

void panic(const char *fmt, ...)
{
	va_list ap;
	uint64_t rbp = (uintptr_t)__builtin_frame_address(0);
	uint64_t rsp, rbx, r12, r13, r14, r15;

	/* The callee-saved registers still hold the caller's values here. */
	__asm__ volatile("mov %%rbx, %0; mov %%r12, %1; mov %%r13, %2; mov %%r14, %3; mov %%r15, %4"
			 : "=m"(rbx), "=m"(r12), "=m"(r13), "=m"(r14), "=m"(r15));
	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	panic_enter();
	va_start(ap, fmt);
	panic_message(fmt, ap);
	va_end(ap);
	kprintf("rbx %016lx r12 %016lx r13 %016lx r14 %016lx\n", rbx, r12, r13, r14);
	kprintf("r15 %016lx rsp %016lx rbp %016lx rflags %016lx\n", r15, rsp,
		((uint64_t *)rbp)[0], read_rflags());
	kprintf("cr0 %016lx cr2 %016lx cr3 %016lx cr4 %016lx\n",
		read_cr0(), read_cr2(), read_cr3(), read_cr4());
	backtrace_print((uintptr_t)__builtin_return_address(0) - 1, ((uint64_t *)rbp)[0]);
	power_off(EXIT_PANIC);
}

void panic_trap(const struct trapframe *tf, const char *fmt, ...)
{
	va_list ap;

	panic_enter();
	va_start(ap, fmt);
	panic_message(fmt, ap);
	va_end(ap);
	trap_print_frame(tf);
	backtrace_print(tf->rip, tf->rbp);
	power_off(EXIT_PANIC);
}
