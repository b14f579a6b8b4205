/*
 * Starting the application, and the system-call dispatcher.
 *
 * The image carries the application as an ELF file (section .app, from
 * `make APP=...`): a static PIE linked against Debian's musl with rcrt1.o,
 * so it relocates itself and can be loaded at any address. app_start()
 * copies its PT_LOAD segments into fresh pages, builds the initial stack the
 * ELF ABI describes (argc, argv, envp, auxiliary vector) and jumps to its
 * entry point in ring 0. musl's own start-up code then runs as on Linux.
 *
 *   make APP=apps/hello && tests/qemu-run --virtiofs DIR --image build/remora -- a b
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "drivers/virtio/virtio_fs.h"
#include "fs/vfs.h"
#include "kernel/clock.h"
#include "kernel/cmdline.h"
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/kprintf.h"
#include "kernel/mem.h"
#include "kernel/power.h"
#include "kernel/random.h"
#include "kernel/trap.h"
#include "kernel/pt.h"
#include "kernel/vm.h"
#include "kernel/x86.h"
#include "libc/libc.h"
#include "libc/syscall_names.h"
#include "libc/vdso/vdso.h"

#define MSR_STAR   0xC0000081
#define MSR_LSTAR  0xC0000082
#define MSR_FMASK  0xC0000084
#define EFER_SCE   (1u << 0)
#define RFLAGS_TF  (1u << 8)
#define RFLAGS_DF  (1u << 10)
#define RFLAGS_AC  (1u << 18)

#define NR_SYSCALLS 512         /* syscall_entry.asm has its own copy */
#define PAGE 4096ull

/* The embedded application (weak: the test image has none). */
extern const char app_image[] __attribute__((weak));
extern const char app_image_end[] __attribute__((weak));
extern const char app_name[] __attribute__((weak));

/* The vDSO's ELF file (libc/vdso/vdso_image.asm). */
extern const char vdso_image[], vdso_image_end[];

extern void syscall_entry(void);
extern void app_enter(uint64_t entry, uint64_t sp) __attribute__((noreturn));

/* syscall_entry indexes the table itself and calls syscall_dispatch only
 * for numbers without an entry or when tracing. */
syscall_fn syscall_table[NR_SYSCALLS];
bool syscall_trace;
static uint8_t reported[NR_SYSCALLS / 8];

long syscall_dispatch(struct syscall_frame *f);

bool app_present(void)
{
	return app_image && &app_image_end[0] > &app_image[0];
}

/* ---- application memory checks ---- */

/* The kernel's page tables (kernel/vm.c): one root, loaded once at boot
 * and never switched; the tables lie in identity-mapped RAM, so a table's
 * address is its own. Found at the first check, with the physical address
 * width (fixed by vm_init). */
static const uint64_t *pt_root;
static uint64_t phys_limit;

/* The leaf entry (a 4 KiB PTE or a 2 MiB PDE) that maps va, or 0 if none
 * does: vm_lookup's answer, walked here without pt_lookup's per-level
 * callbacks, since this runs for every buffer of every system call and
 * under emulation the calls cost more than the walk. */
static inline uint64_t leaf_entry(uint64_t va)
{
	uint64_t e = pt_root[(va >> 39) & 511];                                 /* PML4 */

	if (!(e & PTE_P))
		return 0;
	e = ((const uint64_t *)(uintptr_t)(e & PTE_ADDR))[(va >> 30) & 511];   /* PDPT */
	if (!(e & PTE_P))
		return 0;
	e = ((const uint64_t *)(uintptr_t)(e & PTE_ADDR))[(va >> 21) & 511];   /* PD */
	if (!(e & PTE_P) || (e & PTE_PS))
		return e & PTE_P ? e : 0;                                       /* 2 MiB page */
	e = ((const uint64_t *)(uintptr_t)(e & PTE_ADDR))[(va >> 12) & 511];   /* PT */
	return e & PTE_P ? e : 0;
}

bool uptr_ok(const void *p, size_t n, bool write)
{
	uint64_t a = (uintptr_t)p, end;

	if (n == 0)
		return true;
	if (a < PAGE || __builtin_add_overflow(a, n, &end))
		return false;
	if (!pt_root) {
		pt_root = (const uint64_t *)(uintptr_t)(read_cr3() & PTE_ADDR);
		phys_limit = vm_phys_limit();
	}
	/* Below the physical address width: RAM only, never a DAX window
	 * (the kernel must not touch window pages the host has not mapped).
	 * Above it: the program's shared file mappings, page by page. */
	if (a < phys_limit && !virtio_fs_host_visible(p, n))
		return false;
	/* Every page must be mapped write-back (not a hole, not a device's
	 * registers), and writable if the kernel is to write it (CR0.WP is
	 * on: a PROT_READ shared mapping is read-only). */
	for (uint64_t pg = a & ~(PAGE - 1); pg < end;) {
		uint64_t e = leaf_entry(pg);

		if (!e || (e & (PTE_PCD | PTE_PWT)) || (write && !(e & PTE_W)))
			return false;
		pg = (e & PTE_PS) ? (pg & ~(PAGE_2M - 1)) + PAGE_2M : pg + PAGE;
	}
	return true;
}

long ustr_len(const char *p, size_t max)
{
	/* Check page by page so a string ending just before unmapped memory
	 * is fine. */
	for (size_t n = 0; n < max; n++) {
		if ((n == 0 || (((uintptr_t)p + n) & (PAGE - 1)) == 0) && !uptr_ok(p + n, 1, false))
			return -EFAULT;
		if (p[n] == 0)
			return (long)n;
	}
	return -ENAMETOOLONG;
}

/* ---- dispatch ---- */

long syscall_dispatch(struct syscall_frame *f)
{
	const uint64_t *a = f->a;
	uint64_t nr = f->nr;
	long r;

	if (nr < NR_SYSCALLS && syscall_table[nr]) {
		r = syscall_table[nr](a);
	} else {
		if (nr >= NR_SYSCALLS || !(reported[nr / 8] & (1u << (nr % 8)))) {
			kprintf("remora: system call %lu (%s) is not implemented: ENOSYS\n", nr,
				syscall_name(nr));
			if (nr < NR_SYSCALLS)
				reported[nr / 8] |= (uint8_t)(1u << (nr % 8));
		}
		r = -ENOSYS;
	}
	if (syscall_trace)
		kprintf("syscall: %s(0x%lx, 0x%lx, 0x%lx, 0x%lx) = %ld\n", syscall_name(nr), a[0], a[1],
			a[2], a[3], r);
	return r;
}

void libc_init(const struct cmdline *cl)
{
	const char *t = cmdline_get(cl, "trace");
	struct file *con;

	syscall_trace = t && cmdline_list_has(t, "syscall");
	sys_fs_register(syscall_table);
	sys_mem_register(syscall_table);
	sys_misc_register(syscall_table);

	/* SYSCALL: enable it, enter at syscall_entry in the kernel's code
	 * segment (STAR[47:32]; SS = that + 8), and clear DF, TF and AC on
	 * entry (IF stays: syscall_entry says why). STAR[63:48] (SYSRET's
	 * selectors) is never used. */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, (uint64_t)SEL_KCODE << 32);
	wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_DF | RFLAGS_TF | RFLAGS_AC);

	vfs_set_fd_lookup(fd_get);

	/* stdin, stdout, stderr: the console. */
	if (vfs_open_console(O_RDWR, &con) == 0) {
		fd_install(con, 0, false);
		fd_install(vfs_file_dup(con), 1, false);
		fd_install(vfs_file_dup(con), 2, false);
	}
}

static void app_crashed(struct trapframe *tf, int sig)
{
	static const char *const names[] = { [4] = "SIGILL", [5] = "SIGTRAP", [7] = "SIGBUS",
					     [8] = "SIGFPE", [11] = "SIGSEGV" };

	/* A page not present inside a shared file mapping lies past the
	 * file's end: SIGBUS, as on Linux (a store to a read-only page is
	 * present, and stays SIGSEGV). */
	if (tf->vector == 14 && sig == 11 && !(tf->error & 1) && sys_mem_is_shared_fault(read_cr2()))
		sig = 7;
	kprintf("remora: the program crashed (%s): exception %lu at rip 0x%lx", names[sig], tf->vector,
		tf->rip);
	if (tf->vector == 14)
		kprintf(", address 0x%lx", read_cr2());
	kprintf("\n");
	trap_print_frame(tf);
	app_exit(128 + sig);
}

void app_exit(int status)
{
	fd_close_all();
	vfs_shutdown();
	power_off(status & 0xff);
}

/* ---- loading ---- */

static uint64_t parse_size(const char *s, uint64_t dflt)
{
	uint64_t v = 0;

	if (!s || !*s)
		return dflt;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	if (*s == 'k' || *s == 'K')
		v <<= 10;
	else if (*s == 'm' || *s == 'M')
		v <<= 20;
	else if (*s == 'g' || *s == 'G')
		v <<= 30;
	return v ? v : dflt;
}

static const char *load_error(const Elf64_Ehdr *eh, size_t size)
{
	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return "not an ELF file";
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
		return "not an x86-64 ELF file";
	if (eh->e_type != ET_DYN)
		return "not a position-independent executable (make APP= links a static PIE)";
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > size ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
		return "program headers outside the file";
	return NULL;
}

/* The vDSO (libc/vdso/vdso.c), for AT_SYSINFO_EHDR: copied to fresh pages
 * outside the kernel image (so a fault in it is the program's, as on Linux)
 * after one page holding what it reads, struct vdso_vvar. 0 if there is no
 * memory for it: musl then makes every clock call a system call. */
static uint64_t vdso_install(void)
{
	size_t size = (size_t)(vdso_image_end - vdso_image);
	char *mem = page_alloc_range(1 + (size + PAGE - 1) / PAGE, 1, 0x100000, UINT64_MAX);

	if (!mem)
		return 0;
	((struct vdso_vvar *)mem)->clock = clock_data();
	memcpy(mem + PAGE, vdso_image, size);
	return (uintptr_t)mem + PAGE;
}

/* Push helpers for building the initial stack downwards. */
static uint64_t push_bytes(uint64_t *sp, const void *p, size_t n)
{
	*sp -= n;
	memcpy((void *)*sp, p, n);
	return *sp;
}

void app_start(const struct cmdline *cl)
{
	const Elf64_Ehdr *eh = (const void *)app_image;
	const Elf64_Phdr *ph;
	size_t size = (size_t)(app_image_end - app_image);
	const char *why = load_error(eh, size);
	uint64_t lo = UINT64_MAX, hi = 0, npages, base, phdr = 0;
	uint64_t stack_size, sp, random[2];
	const char *argv0 = app_name && *app_name ? app_name : "app";
	uint64_t strp[CMDLINE_MAX_ARGS + CMDLINE_MAX_OPTS + 2];
	int argc = 0, envc = 0;
	uint32_t r[4];
	char *mem;

	if (why)
		goto fail;
	ph = (const void *)(app_image + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP) {
			why = "dynamically linked (it names an interpreter)";
			goto fail;
		}
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_filesz > ph[i].p_memsz || ph[i].p_offset > size ||
		    ph[i].p_filesz > size - ph[i].p_offset || ph[i].p_vaddr > (1ull << 40) ||
		    ph[i].p_memsz > (1ull << 40)) {
			why = "a segment lies outside the file";
			goto fail;
		}
		if (ph[i].p_vaddr < lo)
			lo = ph[i].p_vaddr;
		if (ph[i].p_vaddr + ph[i].p_memsz > hi)
			hi = ph[i].p_vaddr + ph[i].p_memsz;
		if (eh->e_phoff >= ph[i].p_offset && eh->e_phoff - ph[i].p_offset < ph[i].p_filesz)
			phdr = ph[i].p_vaddr + (eh->e_phoff - ph[i].p_offset);
	}
	if (hi == 0 || lo >= hi) {
		why = "no loadable segment";
		goto fail;
	}
	lo &= ~(PAGE - 1);
	npages = (hi - lo + PAGE - 1) / PAGE;
	mem = page_alloc_range(npages, 1, 0x100000, UINT64_MAX);
	if (!mem) {
		why = "not enough memory for its segments";
		goto fail;
	}
	base = (uintptr_t)mem - lo;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			memcpy((void *)(base + ph[i].p_vaddr), app_image + ph[i].p_offset, ph[i].p_filesz);

	/* The stack: stack=SIZE, default 1/8 of RAM up to 8 MiB. */
	stack_size = parse_size(cmdline_get(cl, "stack"), mem_top() / 8 < (8u << 20) ? mem_top() / 8 : (8u << 20));
	stack_size = (stack_size + PAGE - 1) & ~(PAGE - 1);
	/* One more page below the stack, left unmapped: an overflow faults
	 * (and ends the program with SIGSEGV) instead of overwriting memory. */
	mem = page_alloc_range(stack_size / PAGE + 1, 1, 0x100000, UINT64_MAX);
	if (!mem) {
		why = "not enough memory for its stack";
		goto fail;
	}
	vm_unmap((uintptr_t)mem, PAGE);
	mem += PAGE;
	sp = (uintptr_t)mem + stack_size;

	/* Strings first: argv[0], the arguments, the environment, then the
	 * 16 random bytes and the platform name. */
	strp[argc++] = push_bytes(&sp, argv0, strlen(argv0) + 1);
	for (int i = 0; i < cl->argc && argc < CMDLINE_MAX_ARGS + 1; i++)
		strp[argc++] = push_bytes(&sp, cl->argv[i], strlen(cl->argv[i]) + 1);
	for (int i = 0; i < cl->nopts; i++) {
		if (strcmp(cl->opts[i].key, "env"))
			continue;       /* env=K=V: the value is "K=V" */
		strp[argc + envc++] = push_bytes(&sp, cl->opts[i].value, strlen(cl->opts[i].value) + 1);
	}
	random_bytes(random, sizeof(random));
	uint64_t at_random = push_bytes(&sp, random, 16);
	uint64_t at_platform = push_bytes(&sp, "x86_64", 7);
	cpuid(1, 0, r);

	uint64_t auxv[][2] = {
		{ AT_PHDR, base + phdr }, { AT_PHENT, sizeof(Elf64_Phdr) }, { AT_PHNUM, eh->e_phnum },
		{ AT_PAGESZ, PAGE }, { AT_BASE, 0 }, { AT_FLAGS, 0 }, { AT_ENTRY, base + eh->e_entry },
		{ AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 }, { AT_SECURE, 0 },
		{ AT_HWCAP, r[3] }, { AT_CLKTCK, 100 }, { AT_RANDOM, at_random },
		{ AT_PLATFORM, at_platform }, { AT_EXECFN, strp[0] }, { AT_SYSINFO_EHDR, vdso_install() },
		{ AT_NULL, 0 },
	};
	size_t words = 1 + (size_t)argc + 1 + (size_t)envc + 1 + sizeof(auxv) / 8;

	/* argc must end up 16-byte aligned (the ABI's initial rsp). */
	sp &= ~15ull;
	if (words & 1)
		sp -= 8;
	push_bytes(&sp, auxv, sizeof(auxv));
	sp -= 8;
	*(uint64_t *)sp = 0;                            /* envp terminator */
	for (int i = envc; i-- > 0;) {
		sp -= 8;
		*(uint64_t *)sp = strp[argc + i];
	}
	sp -= 8;
	*(uint64_t *)sp = 0;                            /* argv terminator */
	for (int i = argc; i-- > 0;) {
		sp -= 8;
		*(uint64_t *)sp = strp[i];
	}
	sp -= 8;
	*(uint64_t *)sp = (uint64_t)argc;
	trap_set_app_fault(app_crashed);
	kprintf("remora: starting %s at 0x%lx (%lu KiB), stack %lu KiB, %d argument%s\n", argv0, base,
		npages * 4, stack_size >> 10, argc - 1, argc == 2 ? "" : "s");
	app_enter(base + eh->e_entry, sp);

fail:
	kprintf("remora: cannot start the application: %s\n", why);
	app_exit(127);
}
