/*
 * Power-off. Order: (1) QEMU's isa-debug-exit at port 0xf4 (a write of S
 * makes QEMU exit with (S << 1) | 1; on a machine without it the write goes
 * nowhere); (2) ACPI S5: the \_S5 package's SLP_TYP from the DSDT written
 * with SLP_EN to PM1a/PM1b_CNT, or to the sleep control register on
 * hardware-reduced platforms (QEMU microvm); (3) halt.
 */
#include <stdint.h>
#include <string.h>

#include "kernel/acpi.h"
#include "kernel/kprintf.h"
#include "kernel/mmio.h"
#include "kernel/power.h"
#include "kernel/vm.h"
#include "kernel/x86.h"

/*
 * Find \_S5 in the DSDT without an AML interpreter: the bytes "_S5_" followed
 * by PackageOp (0x12), a PkgLength (1-4 bytes, count in bits 7:6 of the
 * first), NumElements, then SLP_TYPa and SLP_TYPb, each ZeroOp (0x00), OneOp
 * (0x01) or BytePrefix (0x0A) + byte. Returns 0 or -1.
 */
static int find_s5(uint8_t *typa, uint8_t *typb)
{
	const struct acpi_header *dsdt = acpi_find("DSDT", 0);
	const uint8_t *p, *end;

	if (!dsdt)
		return -1;
	p = (const uint8_t *)(dsdt + 1);
	end = (const uint8_t *)dsdt + dsdt->length;
	for (; p + 4 < end; p++) {
		if (memcmp(p, "_S5_", 4) != 0 || p + 5 >= end || p[4] != 0x12)
			continue;
		const uint8_t *q = p + 5;
		q += 1 + (*q >> 6);                     /* PkgLength */
		q += 1;                                 /* NumElements */
		uint8_t v[2];
		for (int i = 0; i < 2; i++) {
			if (q >= end)
				return -1;
			if (*q == 0x0a && q + 1 < end) {
				v[i] = q[1];
				q += 2;
			} else if (*q == 0x00 || *q == 0x01) {
				v[i] = *q++;
			} else {
				return -1;
			}
		}
		*typa = v[0];
		*typb = v[1];
		return 0;
	}
	return -1;
}

static void gas_write8(const struct acpi_gas *g, uint8_t v)
{
	if (g->space_id == ACPI_GAS_IO)
		outb((uint16_t)g->address, v);
	else if (g->space_id == ACPI_GAS_MEMORY && vm_map(g->address, 1, PT_UC))
		mmio_write8((uintptr_t)g->address, v);
}

static void acpi_s5(void)
{
	const struct acpi_fadt *f = (const void *)acpi_find("FACP", 0);
	uint8_t typa, typb;

	if (!f || find_s5(&typa, &typb) != 0)
		return;
	if (f->header.length >= offsetof(struct acpi_fadt, sleep_status_reg) &&
	    (f->flags & ACPI_FADT_HW_REDUCED) && f->sleep_control_reg.address) {
		gas_write8(&f->sleep_control_reg,
			   (uint8_t)(((typa & 7) << ACPI_SLEEP_TYP_SHIFT) | ACPI_SLEEP_SLP_EN));
		return;
	}
	if (!f->pm1a_cnt_blk)
		return;
	/* Switch to ACPI mode first if the firmware left us in legacy mode. */
	if (f->smi_cmd && f->acpi_enable && !(inw((uint16_t)f->pm1a_cnt_blk) & ACPI_PM1_SCI_EN)) {
		outb((uint16_t)f->smi_cmd, f->acpi_enable);
		for (int i = 0; i < 1000000 && !(inw((uint16_t)f->pm1a_cnt_blk) & ACPI_PM1_SCI_EN); i++)
			pause();
	}
	outw((uint16_t)f->pm1a_cnt_blk, (uint16_t)((typa << ACPI_PM1_SLP_TYP_SHIFT) | ACPI_PM1_SLP_EN));
	if (f->pm1b_cnt_blk)
		outw((uint16_t)f->pm1b_cnt_blk,
		     (uint16_t)((typb << ACPI_PM1_SLP_TYP_SHIFT) | ACPI_PM1_SLP_EN));
}

void power_off(int status)
{
	static int tried_acpi;

	cli();
	kprintf("remora: power off, status %d\n", status);
	outl(DEBUG_EXIT_PORT, (uint32_t)status);
	/* Once only: if the ACPI path itself faults, the panic that follows
	 * comes back here and must not loop. */
	if (!tried_acpi++)
		acpi_s5();
	/* Give the platform a moment to act on the write. */
	for (volatile long i = 0; i < 10000000; i++)
		;
	kprintf("remora: could not power off; halted\n");
	for (;;)
		hlt();
}
