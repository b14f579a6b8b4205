/*
 * The IDT and the C side of every interrupt. Exceptions are reported and are
 * fatal (the kernel has no faults it expects yet); external interrupts go to
 * the handler kernel/irq.c registered for the vector, then get an EOI.
 */
#include <stdint.h>

#include "kernel/apic.h"
#include "kernel/cpu.h"
#include "kernel/irq.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;            /* bits 0-2: IST slot, 0 = none */
	uint8_t type_attr;      /* P | DPL | type (0xE interrupt gate) */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

struct __attribute__((packed)) idt_ptr {
	uint16_t limit;
	uint64_t base;
};

extern const uint64_t trap_vectors[256];
static struct idt_gate idt[256] __attribute__((aligned(16)));

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault",
	"coprocessor segment overrun", "invalid TSS", "segment not present",
	"stack fault", "general protection", "page fault", "reserved 15",
	"x87 floating point", "alignment check", "machine check",
	"SIMD floating point", "virtualization", "control protection",
	"reserved 22", "reserved 23", "reserved 24", "reserved 25", "reserved 26",
	"reserved 27", "hypervisor injection", "VMM communication", "security",
	"reserved 31",
};

static uint8_t ist_for(int v)
{
	if (v == 2 || v == 18)
		return IST_NMI;
	if (v == 8)
		return IST_DOUBLE;
	if (v < T_IRQ_BASE)
		return IST_EXCEPTION;
	return IST_IRQ;
}

void trap_init(void)
{
	struct idt_ptr p = { sizeof(idt) - 1, (uintptr_t)idt };

	for (int v = 0; v < 256; v++) {
		uint64_t h = trap_vectors[v];
		idt[v] = (struct idt_gate){
			.offset_lo = (uint16_t)h,
			.selector = SEL_KCODE,
			.ist = ist_for(v),
			.type_attr = 0x8E,      /* present, DPL 0, 64-bit interrupt gate */
			.offset_mid = (uint16_t)(h >> 16),
			.offset_hi = (uint32_t)(h >> 32),
		};
	}
	__asm__ volatile("lidt %0" :: "m"(p));
}

void trap_print_frame(const struct trapframe *tf)
{
	kprintf("vector %lu error 0x%lx rip 0x%016lx cs 0x%lx rflags 0x%lx\n",
		tf->vector, tf->error, tf->rip, tf->cs, tf->rflags);
	kprintf("rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", tf->rax, tf->rbx, tf->rcx, tf->rdx);
	kprintf("rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", tf->rsi, tf->rdi, tf->rbp, tf->rsp);
	kprintf("r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", tf->r8, tf->r9, tf->r10, tf->r11);
	kprintf("r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", tf->r12, tf->r13, tf->r14, tf->r15);
	kprintf("cr0 %016lx cr2 %016lx cr3 %016lx cr4 %016lx\n",
		read_cr0(), read_cr2(), read_cr3(), read_cr4());
}

static void (*app_fault)(struct trapframe *tf, int sig);
extern char __image_start[], __image_end[];

void trap_set_app_fault(void (*fn)(struct trapframe *tf, int sig))
{
	app_fault = fn;
}

/* The signal Linux would send for an exception in application code. */
static int exception_signal(uint64_t vector)
{
	switch (vector) {
	case 0: case 16: case 19: return 8;     /* #DE #MF #XM: SIGFPE */
	case 1: case 3: return 5;               /* #DB #BP: SIGTRAP */
	case 6: return 4;                       /* #UD: SIGILL */
	case 17: return 7;                      /* #AC: SIGBUS */
	default: return 11;                     /* #GP #PF ...: SIGSEGV */
	}
}

static void exception(struct trapframe *tf)
{
	const char *name = exception_names[tf->vector];

	/* A fault in the application's code (outside the kernel image) ends
	 * the application, not the kernel; NMI, double fault and machine
	 * check are never the application's. */
	if (app_fault && tf->vector != 2 && tf->vector != 8 && tf->vector != 18 &&
	    (tf->rip < (uintptr_t)__image_start || tf->rip >= (uintptr_t)__image_end))
		app_fault(tf, exception_signal(tf->vector));

	if (tf->vector == T_PAGE_FAULT) {
		uint64_t e = tf->error;
		panic_trap(tf, "page fault at cr2 0x%lx (%s, %s, %s%s)", read_cr2(),
			   e & 1 ? "protection violation" : "not present",
			   e & 2 ? "write" : "read", e & 4 ? "user" : "kernel",
			   e & 16 ? ", instruction fetch" : "");
	}
	panic_trap(tf, "exception %lu (%s), error code 0x%lx", tf->vector, name, tf->error);
}

void trap_dispatch(struct trapframe *tf)
{
	if (tf->vector < T_IRQ_BASE) {
		exception(tf);
		return;
	}
	if (tf->vector == APIC_SPURIOUS_VECTOR)
		return;                 /* no EOI for spurious interrupts */
	irq_dispatch((int)tf->vector);
	apic_eoi();
}
