/*
 * GDT, TSS and FPU/SSE set-up (Intel SDM vol. 3: 3.4.5 segment descriptors,
 * 8.7 the 64-bit TSS, 13.1 enabling SSE). The kernel itself is compiled
 * -mgeneral-regs-only, so vector state belongs to the application alone and
 * is never saved by the kernel.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/cpu.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

/* The 64-bit TSS: 4-byte reserved field first, so the 8-byte fields really
 * are unaligned and the struct is packed. */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];        /* stacks for privilege changes to rings 0-2 */
	uint64_t reserved1;
	uint64_t ist[7];        /* IST1..IST7 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;    /* beyond the limit: no I/O bitmap */
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS layout");
_Static_assert(offsetof(struct tss, ist) == 36, "TSS ist offset");

#define IST_STACK_SIZE 16384

static struct tss tss;
static uint8_t ist_stacks[7][IST_STACK_SIZE] __attribute__((aligned(16)));

static uint64_t gdt[] = {
	0,
	0x00AF9A000000FFFFull,          /* 0x08 kernel code, 64-bit */
	0x00CF92000000FFFFull,          /* 0x10 kernel data */
	0x00CFFA000000FFFFull,          /* 0x18 user code, 32-bit (SYSRET needs the slot) */
	0x00CFF2000000FFFFull,          /* 0x20 user data */
	0x00AFFA000000FFFFull,          /* 0x28 user code, 64-bit */
	0, 0,                           /* 0x30 TSS, 16 bytes, filled below */
};

struct __attribute__((packed)) desc_ptr {
	uint16_t limit;
	uint64_t base;
};

static void tss_descriptor(uint64_t *d, uint64_t base, uint32_t limit)
{
	d[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	d[1] = base >> 32;
}

static void sse_init(void)
{
	uint64_t cr0 = read_cr0();

	cr0 &= ~(uint64_t)(CR0_EM | CR0_TS);
	/* WP: ring 0 honours read-only pages too, so an application's store
	 * to a PROT_READ shared file mapping faults here instead of reaching
	 * a read-only mapping on the host (which would kill the VM). */
	cr0 |= CR0_MP | CR0_NE | CR0_WP;
	write_cr0(cr0);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	/* MXCSR keeps its reset value 0x1F80 (all exceptions masked), which is
	 * what the SysV ABI wants; no LDMXCSR (kvm_pvm cannot emulate it). */
	__asm__ volatile("fninit");
}

void cpu_init(void)
{
	struct desc_ptr gp = { sizeof(gdt) - 1, (uintptr_t)gdt };

	for (int i = 0; i < 7; i++)
		tss.ist[i] = (uintptr_t)&ist_stacks[i][IST_STACK_SIZE];
	tss.iomap_base = sizeof(tss);
	tss_descriptor(&gdt[SEL_TSS / 8], (uintptr_t)&tss, sizeof(tss) - 1);

	__asm__ volatile("lgdt %0" :: "m"(gp));
	/* Reload CS with a far return, then the data segments and the TR. */
	__asm__ volatile(
		"pushq %0\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw %w1, %%ds\n\t"
		"movw %w1, %%es\n\t"
		"movw %w1, %%ss\n\t"
		:: "i"(SEL_KCODE), "r"(SEL_KDATA) : "rax", "memory");
	__asm__ volatile("ltr %w0" :: "r"(SEL_TSS));
	sse_init();
}
