/*
 * Physical memory: the kernel's page allocator, filled from the boot memory
 * map. All RAM is identity-mapped (kernel/vm.c), so a physical address is
 * also a pointer.
 */
#pragma once

#include <stdint.h>

#include "kernel/boot_info.h"
#include "kernel/pmm.h"

/* Build the allocator from bi's memory map and print the map. Before
 * vm_init() only memory below 4 GiB is mapped, so until then callers must
 * pass max <= 4 GiB (page_alloc() does). */
void mem_init(const struct boot_info *bi);

/* n zeroed contiguous pages below 4 GiB, or NULL. */
void *page_alloc(uint64_t n);

/* n zeroed contiguous pages inside [min, max), aligned to align pages; NULL
 * if none. */
void *page_alloc_range(uint64_t n, uint64_t align, uint64_t min, uint64_t max);

/* Return pages; a double or foreign free is a kernel bug and panics. */
void page_free(void *p, uint64_t n);

/* Highest RAM address + 1. */
uint64_t mem_top(void);

/* Bytes of free RAM now (sysinfo). */
uint64_t mem_free_bytes(void);
