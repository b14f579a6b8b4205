/*
 * The kernel's address space: one set of page tables, identity-mapped
 * (virtual address == physical address). RAM and ACPI memory are mapped
 * write-back at vm_init(); device memory is mapped on request with the
 * caching type the caller names. Page 0 stays unmapped to catch NULL.
 */
#pragma once

#include <stdint.h>

#include "kernel/boot_info.h"
#include "kernel/pt.h"

/* Build the tables from the memory map and switch to them. Call once, after
 * mem_init(). */
void vm_init(const struct boot_info *bi);

/* Identity-map the pages covering [pa, pa+len) with the given caching type
 * (writable, not executable). Returns (void *)pa, or NULL on failure
 * (out of memory, or a range outside the physical address width). */
void *vm_map(uint64_t pa, uint64_t len, enum pt_cache cache);

/* Remove the mapping of the pages covering [pa, pa+len). */
void vm_unmap(uint64_t pa, uint64_t len);

/* 0 and the leaf entry if va is mapped, else -ENOENT. */
int vm_lookup(uint64_t va, uint64_t *pa, uint64_t *entry);
