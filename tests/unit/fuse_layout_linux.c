/*
 * The host's <linux/fuse.h> side of test_fuse_layout.c: sizes, offsets and
 * constant values for everything fuse_layout_list.h names, as the Linux
 * uapi header defines them.
 */
#include <stddef.h>
#include <stdint.h>

#include <linux/fuse.h>

#include "fuse_layout.h"

#define FUSE_LAYOUT_HOST

#define S(s)                { #s, NULL, 0, sizeof(struct s) },
#define F(s, f)             { #s, #f, offsetof(struct s, f), sizeof(((struct s *)0)->f) },
#define FX(s, f)            { #s, #f, offsetof(struct s, f), 0 },
#define FA(s, f, hf, size)  { #s, #f, offsetof(struct s, hf), size },
#define C(n)                { #n, LAYOUT_VALUE(n), 0 },
#define CN(n, minor)        { #n, LAYOUT_VALUE(n), minor },

const struct layout_entry layout_host[] = {
#define FUSE_LAYOUT_STRUCTS
#include "fuse_layout_list.h"
#undef FUSE_LAYOUT_STRUCTS
};
const size_t layout_host_n = sizeof layout_host / sizeof layout_host[0];

const struct layout_const consts_host[] = {
#define FUSE_LAYOUT_CONSTANTS
#include "fuse_layout_list.h"
#undef FUSE_LAYOUT_CONSTANTS
};
const size_t consts_host_n = sizeof consts_host / sizeof consts_host[0];

const unsigned layout_host_minor = FUSE_KERNEL_MINOR_VERSION;

uint64_t layout_host_dirent_align(uint64_t x)
{
	return FUSE_DIRENT_ALIGN(x);
}
