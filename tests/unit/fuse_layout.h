/*
 * Tables of struct layouts and constant values, one built from our
 * fs/virtiofs/fuse.h (in test_fuse_layout.c) and one from the host's
 * <linux/fuse.h> (fuse_layout_linux.c), both from fuse_layout_list.h. The
 * two headers cannot meet in one translation unit: they define the same
 * names.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct layout_entry {
	const char *strct;      /* "fuse_attr" */
	const char *field;      /* NULL: the entry is the struct's own size */
	size_t offset, size;    /* size 0 for a flexible array member */
};

struct layout_const {
	const char *name;
	uint64_t value;         /* values of 32-bit type zero-extended */
	unsigned minor;         /* CN(): the 7.minor it appeared in; else 0 */
};

/* A constant's value, 32-bit ones zero-extended so that (1 << 31) and
 * (1u << 31) compare equal. */
#define LAYOUT_VALUE(x) (sizeof(x) <= 4 ? (uint64_t)(uint32_t)(x) : (uint64_t)(x))

extern const struct layout_entry layout_host[];
extern const size_t layout_host_n;
extern const struct layout_const consts_host[];
extern const size_t consts_host_n;
extern const unsigned layout_host_minor;        /* the host header's minor */
uint64_t layout_host_dirent_align(uint64_t x);  /* its FUSE_DIRENT_ALIGN */
