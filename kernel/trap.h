/*
 * Interrupts and exceptions. kernel/trap_entry.asm saves the registers into a
 * struct trapframe on the vector's IST stack and calls trap_dispatch().
 *
 * Every vector runs on an IST stack (never on the interrupted stack): the
 * application follows the SysV ABI and keeps live data in the 128-byte red
 * zone below its stack pointer, which a push onto that stack would destroy.
 */
#pragma once

#include <stdint.h>

/* Layout fixed by trap_entry.asm: pushed registers, then vector and error
 * code, then what the CPU pushed. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error;         /* 0 for vectors without an error code */
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trapframe) == 22 * 8, "trapframe layout");

/* IST slots (TSS.ist[n], 1-based) and what runs on each. */
#define IST_EXCEPTION 1     /* exceptions 0-31 except those below */
#define IST_NMI       2     /* NMI and machine check */
#define IST_DOUBLE    3     /* double fault */
#define IST_IRQ       4     /* external and inter-processor interrupts */

#define T_PAGE_FAULT  14
#define T_IRQ_BASE    32    /* first vector free for interrupts */

/* Load the GDT with its TSS and the IDT. Call once, early in kmain(). */
void trap_init(void);

void trap_dispatch(struct trapframe *tf);

/* Print the registers of tf on the console. */
void trap_print_frame(const struct trapframe *tf);

/* Route exceptions raised by code outside the kernel image (the
 * application's) to fn, with the signal number Linux would deliver. fn
 * must not return. */
void trap_set_app_fault(void (*fn)(struct trapframe *tf, int sig));
