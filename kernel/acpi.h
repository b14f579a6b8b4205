/*
 * ACPI tables, transcribed from the ACPI 6.4 specification (5.2.5 RSDP,
 * 5.2.6 table header, 5.2.9 FADT, 5.2.3.2 generic address structure) and the
 * PCI Firmware Specification 3.2 (4.1.2 MCFG). remora reads tables; it runs
 * no AML (the one value it needs from the DSDT, \_S5, is found by pattern).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct acpi_rsdp {
	char signature[8];              /* "RSD PTR " */
	uint8_t checksum;               /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;               /* 0: ACPI 1.0 (RSDT only); 2: XSDT */
	uint32_t rsdt_address;
	uint32_t length;                /* revision >= 2 from here on */
	uint64_t xsdt_address;
	uint8_t extended_checksum;      /* over `length` bytes */
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP layout");

struct acpi_header {
	char signature[4];
	uint32_t length;                /* whole table, header included */
	uint8_t revision;
	uint8_t checksum;               /* all bytes of the table sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
};
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header layout");

/* Generic Address Structure: the 64-bit address sits at offset 4. */
struct acpi_gas {
	uint8_t space_id;               /* 0 memory, 1 system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;            /* 1 byte, 2 word, 3 dword, 4 qword */
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS layout");

#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO     1

/* FADT ("FACP"), fields up to ACPI 6.x; older tables are shorter, so read
 * a field only if header.length covers it. */
struct acpi_fadt {
	struct acpi_header header;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;               /* port to write acpi_enable to */
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;          /* I/O port of PM1a_CNT */
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;                /* CMOS index of the century, 0 if none */
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;  /* hardware-reduced ACPI */
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags offset");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT x_dsdt offset");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT sleep_control offset");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT size");

#define ACPI_FADT_HW_REDUCED  (1u << 20)
#define ACPI_PM1_SLP_EN       (1u << 13)
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SCI_EN       (1u << 0)
#define ACPI_SLEEP_SLP_EN     (1u << 5)   /* sleep control register */
#define ACPI_SLEEP_TYP_SHIFT  2

/* MCFG: the ECAM windows of PCI segment groups. */
struct acpi_mcfg_alloc {
	uint64_t base;                  /* ECAM base for bus 0 of the segment */
	uint16_t segment;
	uint8_t start_bus;
	uint8_t end_bus;
	uint32_t reserved;
};
_Static_assert(sizeof(struct acpi_mcfg_alloc) == 16, "MCFG entry layout");

/* The entries follow at offset 44, so they are only 4-byte aligned: copy
 * each out with memcpy before reading its 64-bit base. */
struct acpi_mcfg {
	struct acpi_header header;
	uint8_t reserved[8];
};
_Static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG header layout");

/* Find the RSDP (rsdp_hint from the loader, else the first KiB of the EBDA
 * at ebda, else 0xE0000-0xFFFFF) and index the tables it lists. Returns 0 or
 * -ENOENT. Needs vm_init(). */
int acpi_init(uint64_t rsdp_hint, uint64_t ebda);

/* The index-th table with this signature (checksum verified, mapped in
 * full), or NULL. The DSDT is found as "DSDT". */
const struct acpi_header *acpi_find(const char sig[4], int index);
