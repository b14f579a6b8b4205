/*
 * The kernel heap: kmalloc/kfree for kernel objects. Blocks are 16-byte
 * aligned. Small sizes come from per-size-class free lists carved out of
 * pages; larger ones are whole pages. Memory is zeroed.
 */
#pragma once

#include <stddef.h>

/* size bytes of zeroed memory, or NULL when memory runs out (or size is 0). */
void *kmalloc(size_t size);

/* Free a block from kmalloc; NULL is ignored; a pointer kmalloc did not
 * return panics. */
void kfree(void *p);

/* Bytes handed out and not yet freed, for tests. */
size_t heap_in_use(void);
