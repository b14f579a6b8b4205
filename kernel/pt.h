/*
 * x86_64 4-level page tables (Intel SDM vol. 3, 4.5), built through a small
 * interface so tests/unit/test_pt.c can run the builder on the host: tables
 * come from ops->alloc and are reached through ops->virt.
 *
 * Caching types use the PAT (Intel SDM vol. 3, 12.12): remora programs PAT
 * entry 1 as write-combining and keeps the reset values of entries 0 (WB) and
 * 3 (UC), so a type is chosen with the PWT and PCD bits alone and the PAT bit
 * is never set (its position differs between 4 KiB and 2 MiB entries).
 */
#pragma once

#include <stdint.h>

#define PTE_P    (1ull << 0)    /* present */
#define PTE_W    (1ull << 1)    /* writable */
#define PTE_U    (1ull << 2)    /* user */
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_PS   (1ull << 7)    /* 2 MiB page, in a page-directory entry */
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

#define PAGE_2M  (UINT64_C(2) << 20)

enum pt_cache {
	PT_WB,                  /* RAM, and the DAX window */
	PT_WC,                  /* write-combining: frame buffers */
	PT_UC,                  /* device registers */
};

/* PAT MSR value matching the encoding above: WB, WC, UC-, UC, then the same. */
#define PT_PAT_VALUE 0x0007010600070106ull

struct pt_ops {
	/* A zeroed 4 KiB table: its physical address, or 0 if memory ran out. */
	uint64_t (*alloc)(void *ctx);
	/* Where the CPU (or the host test) can read and write physical phys. */
	void *(*virt)(void *ctx, uint64_t phys);
	void *ctx;
};

/* Flags a caller may pass to pt_map. */
#define PT_WRITE PTE_W
#define PT_USER  PTE_U
#define PT_NOEXEC PTE_NX

/*
 * Map [va, va+len) to [pa, pa+len) in the tables rooted at root (physical
 * address of the PML4) with the given cache type and flags. va, pa and len
 * must be 4 KiB aligned and va canonical. Uses 2 MiB pages where va and pa
 * are both 2 MiB aligned and a whole 2 MiB remains; splits an existing 2 MiB
 * page when part of it is remapped. Replaces existing mappings.
 * Returns 0, -EINVAL for bad alignment or a non-canonical range, -ENOMEM.
 */
int pt_map(const struct pt_ops *ops, uint64_t root, uint64_t va, uint64_t pa,
	   uint64_t len, enum pt_cache cache, uint64_t flags);

/* Remove the mappings of [va, va+len) (4 KiB aligned); splits 2 MiB pages as
 * needed. Tables left empty are kept. Returns 0, -EINVAL or -ENOMEM. */
int pt_unmap(const struct pt_ops *ops, uint64_t root, uint64_t va, uint64_t len);

/* Translate va: 0 and *pa, *entry (the leaf entry) set, or -ENOENT. */
int pt_lookup(const struct pt_ops *ops, uint64_t root, uint64_t va, uint64_t *pa, uint64_t *entry);

/* The cache-type bits for a type. */
uint64_t pt_cache_bits(enum pt_cache cache);
