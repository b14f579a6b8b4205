/*
 * The kernel's own function names, for backtraces. The table is generated at
 * build time from a first link (tools/ksyms.sh) and embedded in .ksyms.
 */
#pragma once

#include <stdint.h>

/* Name of the function containing addr, and addr's offset into it; NULL if
 * addr lies outside the kernel's text. */
const char *ksyms_lookup(uint64_t addr, uint64_t *offset);
