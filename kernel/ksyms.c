/*
 * Address-to-name lookup over the table tools/ksyms.sh generates: entries
 * sorted by address, so a binary search finds the last symbol <= addr.
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/ksyms.h"

struct ksym {
	uint64_t addr;
	uint64_t name;          /* offset into ksyms_names */
};

extern const uint64_t ksyms_count;
extern const struct ksym ksyms_table[];
extern const char ksyms_names[];
extern const char __text_start[], __text_end[];

const char *ksyms_lookup(uint64_t addr, uint64_t *offset)
{
	size_t lo = 0, hi = ksyms_count;

	if (addr < (uintptr_t)__text_start || addr >= (uintptr_t)__text_end || hi == 0)
		return NULL;
	while (hi - lo > 1) {       /* invariant: table[lo].addr <= addr, or lo == 0 */
		size_t mid = lo + (hi - lo) / 2;
		if (ksyms_table[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (ksyms_table[lo].addr > addr)
		return NULL;
	*offset = addr - ksyms_table[lo].addr;
	return ksyms_names + ksyms_table[lo].name;
}
