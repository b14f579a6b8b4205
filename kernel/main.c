/*
 * kmain: the boot sequence, one subsystem per line, in dependency order.
 * boot/ has translated the loader's information into *bi; interrupts are off
 * and we run on the boot stack with the first 4 GiB identity-mapped.
 */
#include <stdint.h>

#include "drivers/pci/pci.h"
#include "drivers/virtio/virtio_fs.h"
#include "fs/vfs.h"
#include "libc/libc.h"
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/boot_info.h"
#include "kernel/clock.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/kprintf.h"
#include "kernel/mem.h"
#include "kernel/panic.h"
#include "kernel/power.h"
#include "kernel/random.h"
#include "kernel/selftest.h"
#include "kernel/trap.h"
#include "kernel/vm.h"
#include "kernel/x86.h"

static struct cmdline cmdline;

static void cmdline_init(const char *s)
{
	int err = cmdline_parse(&cmdline, s);

	if (err)
		kprintf("cmdline: cannot parse (error %d); ignored: %s\n", err, s);
	for (int i = 0; i < cmdline.nopts; i++)
		kprintf("cmdline: option %s=%s\n", cmdline.opts[i].key, cmdline.opts[i].value);
	for (int i = 0; i < cmdline.argc; i++)
		kprintf("cmdline: arg[%d] = \"%s\"\n", i, cmdline.argv[i]);
}

void kmain(struct boot_info *bi)
{
	int failed;

	console_init();                 /* COM1, for everything below */
	kprintf("\nremora 0.1: x86_64 unikernel with a virtio-fs root\n");
	kprintf("boot: loader %s\n", bi->loader);
	cpu_init();                     /* GDT, TSS with IST stacks, SSE */
	trap_init();                    /* IDT: every vector reported */
	cmdline_init(bi->cmdline);      /* key=value options -- app args */
	mem_init(bi);                   /* page allocator from the memory map */
	vm_init(bi);                    /* kernel page tables: RAM write-back */
	acpi_init(bi->rsdp, bi->ebda);  /* RSDP, FADT, MCFG, ... */
	apic_init();                    /* local APIC on, 8259s masked */
	clock_init();                   /* kvmclock or TSC; RTC wall clock */
	apic_timer_start();             /* periodic tick */
	sti();
	pci_init(&cmdline);             /* enumerate, size and map BARs */
	virtio_fs_init(&cmdline);       /* start each virtio-fs device */
	random_init();                  /* RDRAND, virtio-rng or weak */
	vfs_init(&cmdline);             /* mount root=, mount=, /dev */
	libc_init(&cmdline);            /* SYSCALL, stdin/stdout/stderr */

	if (cmdline_get(&cmdline, "test")) {
		failed = selftest_run(&cmdline);
		vfs_shutdown();         /* FORGETs out, DESTROY */
		power_off(failed ? 1 : 0);
	}
	if (app_present())
		app_start(&cmdline);    /* never returns: exit_group powers off */
	kprintf("remora: no application in this image (build one with make APP=...)\n");
	vfs_shutdown();
	power_off(0);
}
