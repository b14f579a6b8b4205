/*
 * libFuzzer target for fs/virtiofs/fuse_check.c: the input is what a hostile
 * FUSE server put in our reply buffer. It goes through fuse_check_reply()
 * with several payload bounds, and, as a READDIR and as a READDIRPLUS
 * payload, through a fuse_dirent_next() loop. Each copy of the input sits in
 * a heap block of exactly its size, so AddressSanitizer sees any read past
 * it. Besides not crashing, what the functions accept must keep their
 * promises (REQUIRE below). Run by `make -C tests/fuzz check`.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/virtiofs/fuse_check.h"
#include "kernel/errno.h"

#define REQUIRE(c) do {                                                         \
		if (!(c)) {                                                     \
			fprintf(stderr, "fuzz_fuse_reply: %s:%d: broken promise: %s\n", \
				__FILE__, __LINE__, #c);                        \
			abort();                                                \
		}                                                               \
	} while (0)

/* Payload bounds callers use: none, any, exact struct sizes, a range. */
static const struct { uint32_t min, max; } bounds[] = {
	{ 0, 0 },
	{ 0, UINT32_MAX },
	{ sizeof(struct fuse_attr_out), sizeof(struct fuse_attr_out) },
	{ sizeof(struct fuse_entry_out), sizeof(struct fuse_entry_out) },
	{ 24, 64 },                     /* INIT: older servers send less */
	{ 0, 4096 },                    /* READ, READDIR of one page */
	{ 1, 255 },                     /* READLINK */
};

static void *copy_exact(const uint8_t *data, size_t size, size_t min)
{
	void *p = malloc(size < min ? min : size);

	memset(p, 0, size < min ? min : size);
	memcpy(p, data, size);
	return p;
}

/* Sum the bytes so every one is read (ASan checks each read). */
static uint32_t touch(const void *p, size_t n)
{
	const volatile uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += b[i];
	return s;
}

static void fuzz_reply(const uint8_t *data, size_t size)
{
	/* The reply buffer always holds a header; written is the device's
	 * claim of how much it wrote, never more than the buffer. */
	struct fuse_out_header *oh = copy_exact(data, size, sizeof(*oh));
	uint32_t written = (uint32_t)size;

	for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
		uint32_t payload = 0xdeadbeef;
		int r = fuse_check_reply(oh, written, 7, bounds[i].min, bounds[i].max, &payload);

		if (r == 0) {
			REQUIRE(written >= sizeof(*oh) && oh->len == written && oh->unique == 7);
			REQUIRE(oh->error == 0);
			REQUIRE(payload == written - sizeof(*oh));
			REQUIRE(payload >= bounds[i].min && payload <= bounds[i].max);
			touch((const uint8_t *)oh + sizeof(*oh), payload);
		} else if (r != -EIO) {
			REQUIRE(r < 0 && r >= -4095 && r == oh->error);
			REQUIRE(written == sizeof(*oh) && oh->len == written && oh->unique == 7);
		}
	}
	free(oh);
}

static void fuzz_dirents(const uint8_t *data, size_t size, bool plus)
{
	uint8_t *buf = copy_exact(data, size, 1);
	uint32_t len = (uint32_t)size, pos = 0, last;
	struct fuse_dirent_view v;
	int r, n = 0;

	for (;;) {
		last = pos;
		r = fuse_dirent_next(buf, len, &pos, plus, &v);
		if (r != 1)
			break;
		n++;
		REQUIRE(pos > last && pos <= len);
		REQUIRE(n <= (int)len);
		REQUIRE(v.namelen >= 1 && v.namelen <= FUSE_NAME_MAX);
		REQUIRE((const uint8_t *)v.name >= buf + last &&
			(const uint8_t *)v.name + v.namelen <= buf + len);
		REQUIRE(!memchr(v.name, 0, v.namelen) && !memchr(v.name, '/', v.namelen));
		if (plus) {
			bool dot = (v.namelen == 1 && v.name[0] == '.') ||
				   (v.namelen == 2 && v.name[0] == '.' && v.name[1] == '.');

			REQUIRE(v.entry && (const uint8_t *)v.entry == buf + last);
			REQUIRE(v.entry->nodeid == 0 || fuse_check_entry(v.entry, dot) == 0);
			REQUIRE(v.entry->nodeid != FUSE_ROOT_ID || dot);
		} else {
			REQUIRE(!v.entry);
		}
	}
	REQUIRE(r == 0 || r == -EIO);
	REQUIRE(r != 0 || pos >= len);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	fuzz_reply(data, size);
	fuzz_dirents(data, size, false);
	fuzz_dirents(data, size, true);
	/* A READDIR reply as it arrives: header, then records. */
	if (size >= sizeof(struct fuse_out_header)) {
		fuzz_dirents(data + sizeof(struct fuse_out_header), size - sizeof(struct fuse_out_header), false);
		fuzz_dirents(data + sizeof(struct fuse_out_header), size - sizeof(struct fuse_out_header), true);
	}
	return 0;
}
