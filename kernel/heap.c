/*
 * Kernel heap. Every block starts with a 16-byte header naming its size class
 * (or its page count), so kfree needs no size and can tell a foreign pointer.
 * Classes are powers of two from 32 to 2048 bytes, header included; a page
 * split into one class's blocks stays that class forever (no coalescing: the
 * kernel's allocations are few and long-lived). Bigger requests get whole
 * pages, returned to the page allocator on kfree.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernel/heap.h"
#include "kernel/mem.h"
#include "kernel/panic.h"

#define HDR           16
#define MIN_SHIFT     5             /* 32 bytes */
#define MAX_SHIFT     11            /* 2048 bytes */
#define NCLASS        (MAX_SHIFT - MIN_SHIFT + 1)
#define MAGIC_SMALL   0x6b6d616c6c6f6331ull   /* "kmalloc1" */
#define MAGIC_LARGE   0x6b6d616c6c6f6332ull
#define MAGIC_FREE    0x6b6672656564f00dull

struct hdr {
	uint64_t magic;
	uint64_t size;              /* class shift, or page count */
};
_Static_assert(sizeof(struct hdr) == HDR, "heap header size");

struct free_block {
	struct hdr h;
	struct free_block *next;
};

static struct free_block *free_list[NCLASS];
static size_t in_use;

static int class_of(size_t total)
{
	int s = MIN_SHIFT;

	while (((size_t)1 << s) < total)
		s++;
	return s;
}

static int refill(int shift)
{
	char *page = page_alloc(1);
	size_t bsize = (size_t)1 << shift;

	if (!page)
		return -1;
	for (size_t off = 0; off + bsize <= PAGE_SIZE; off += bsize) {
		struct free_block *b = (struct free_block *)(page + off);
		b->h.magic = MAGIC_FREE;
		b->h.size = (uint64_t)shift;
		b->next = free_list[shift - MIN_SHIFT];
		free_list[shift - MIN_SHIFT] = b;
	}
	return 0;
}

void *kmalloc(size_t size)
{
	struct hdr *h;

	if (size == 0 || size > ((size_t)1 << 40))
		return NULL;
	if (size + HDR <= ((size_t)1 << MAX_SHIFT)) {
		int shift = class_of(size + HDR);
		struct free_block *b = free_list[shift - MIN_SHIFT];
		if (!b) {
			if (refill(shift) != 0)
				return NULL;
			b = free_list[shift - MIN_SHIFT];
		}
		free_list[shift - MIN_SHIFT] = b->next;
		h = &b->h;
		memset(h, 0, (size_t)1 << shift);
		h->magic = MAGIC_SMALL;
		h->size = (uint64_t)shift;
		in_use += (size_t)1 << shift;
	} else {
		uint64_t n = (size + HDR + PAGE_SIZE - 1) / PAGE_SIZE;
		/* Large blocks may live anywhere in RAM: all of it is mapped. */
		h = page_alloc_range(n, 1, 0, UINT64_MAX);
		if (!h)
			return NULL;
		h->magic = MAGIC_LARGE;
		h->size = n;
		in_use += n * PAGE_SIZE;
	}
	return (char *)h + HDR;
}

void kfree(void *p)
{
	struct hdr *h;

	if (!p)
		return;
	h = (struct hdr *)((char *)p - HDR);
	if (((uintptr_t)p & (HDR - 1)) != 0)
		panic("heap: kfree of unaligned %p", p);
	if (h->magic == MAGIC_SMALL && h->size >= MIN_SHIFT && h->size <= MAX_SHIFT) {
		struct free_block *b = (struct free_block *)h;
		int shift = (int)h->size;
		in_use -= (size_t)1 << shift;
		b->h.magic = MAGIC_FREE;
		b->next = free_list[shift - MIN_SHIFT];
		free_list[shift - MIN_SHIFT] = b;
	} else if (h->magic == MAGIC_LARGE) {
		uint64_t n = h->size;
		in_use -= n * PAGE_SIZE;
		h->magic = MAGIC_FREE;
		page_free(h, n);
	} else if (h->magic == MAGIC_FREE) {
		panic("heap: double kfree of %p", p);
	} else {
		panic("heap: kfree of %p, which kmalloc did not return", p);
	}
}

size_t heap_in_use(void)
{
	return in_use;
}
