/*
 * The kernel's address space: one set of page tables, identity-mapped
 * (virtual address == physical address). RAM and ACPI memory are mapped
 * write-back at vm_init(); device memory is mapped on request with the
 * caching type the caller names. Page 0 stays unmapped to catch NULL.
 */
#pragma once

#include <stdbool.h>
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

/* Map [va, va+len) to [pa, pa+len) (all 4 KiB aligned) with the given
 * caching type, writable or read-only, never executable: for addresses
 * outside the identity map (at or above the physical address width), such
 * as applications' shared file mappings. 0, -EINVAL, -ENOMEM. Undo with
 * vm_unmap(va, len). */
int vm_map_at(uint64_t va, uint64_t pa, uint64_t len, enum pt_cache cache, bool writable);

/* The first address above the identity map (1 << physical address width). */
uint64_t vm_phys_limit(void);

/* 0 and the leaf entry if va is mapped, else -ENOENT. */
int vm_lookup(uint64_t va, uint64_t *pa, uint64_t *entry);
