/*
 * Configuration-space access by bus/device/function: ECAM (memory-mapped,
 * 4 KiB per function) when ACPI's MCFG describes segment 0, otherwise
 * configuration mechanism #1 (ports 0xCF8/0xCFC, 256 bytes per function).
 */
#pragma once

#include <stdint.h>

/* Choose the method; map the ECAM window. After acpi_init(). */
void pci_cfg_init(void);

/* 1 if ECAM is in use. The bus range it covers (legacy: 0-255). */
int pci_cfg_is_ecam(void);
void pci_cfg_bus_range(int *first, int *last);

/* Reads of an absent function or an offset out of reach return all ones;
 * writes there are dropped. off must be aligned to the access size. */
uint32_t pci_cfg_read(int bus, int dev, int fn, int off, int size);
void pci_cfg_write(int bus, int dev, int fn, int off, int size, uint32_t v);
