/*
 * Helpers shared by the file-system suites (tests/guest/fs_*.c): the FNV-1a
 * hash the harness recomputes on the host (tests/fs/fnv1a.c), the byte
 * pattern it regenerates (tests/fs/run-tests pattern()), a 2 MiB I/O
 * buffer, and whole-file read/write shorthands over fs/vfs.h.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fs/vfs.h"
#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/kprintf.h"
#include "kernel/mem.h"

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE  1
#define FALLOC_FL_PUNCH_HOLE 2
#endif

/* d_type values of struct linux_dirent64 (<dirent.h>'s DT_*). */
#ifndef DT_REG
#define DT_FIFO 1
#define DT_DIR  4
#define DT_REG  8
#define DT_LNK  10
#endif

/* 64-bit FNV-1a: offset basis and prime from the FNV reference. */
#define FNV_INIT  0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static inline uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* The pattern byte at file offset k for a seed: cheap, position-dependent,
 * and not periodic at 256 (the k >> 8 term), so a misplaced page shows. */
static inline uint8_t pat_byte(unsigned seed, uint64_t k)
{
	return (uint8_t)(k * 7 + (k >> 8) * 13 + seed * 101);
}

static inline void pat_fill(unsigned seed, uint64_t off, void *buf, size_t n)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < n; i++)
		p[i] = pat_byte(seed, off + i);
}

/* One 2 MiB buffer (physically contiguous: page_alloc), made on first use
 * and kept for the life of the kernel. Large I/O goes through it. */
#define FSTEST_BUF_SIZE (2u << 20)

static inline unsigned char *fstest_buf(void)
{
	static unsigned char *buf;

	if (!buf)
		buf = page_alloc(FSTEST_BUF_SIZE / 4096);
	return buf;
}

/* Read path from its start to the end with read(2)-style calls of `chunk`
 * bytes into buf (at least chunk bytes); the file's length and FNV-1a.
 * 0 or a negative errno. */
static inline int fstest_hash_file(const char *path, void *buf, size_t chunk, uint64_t *size,
				   uint64_t *hash)
{
	struct file *f;
	uint64_t h = FNV_INIT, total = 0;
	ssize_t n;
	int err;

	*size = *hash = 0;
	err = vfs_open(NULL, path, O_RDONLY, 0, &f);
	if (err)
		return err;
	while ((n = vfs_read(f, buf, chunk)) > 0) {
		h = fnv1a(h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	vfs_close(f);
	if (n < 0)
		return (int)n;
	*size = total;
	*hash = h;
	return 0;
}

/* The whole of a (small) file into buf, at most n bytes: the count or a
 * negative errno. */
static inline ssize_t fstest_read_file(const char *path, void *buf, size_t n)
{
	struct file *f;
	ssize_t got = 0, r;
	int err = vfs_open(NULL, path, O_RDONLY, 0, &f);

	if (err)
		return err;
	while ((size_t)got < n && (r = vfs_read(f, (char *)buf + got, n - (size_t)got)) > 0)
		got += r;
	vfs_close(f);
	return r < 0 ? r : got;
}

/* Create or replace path with n bytes: 0 or a negative errno. */
static inline int fstest_write_file(const char *path, mode_t mode, const void *buf, size_t n)
{
	struct file *f;
	ssize_t w;
	int err = vfs_open(NULL, path, O_WRONLY | O_CREAT | O_TRUNC, mode, &f);

	if (err)
		return err;
	w = vfs_write(f, buf, n);
	err = vfs_close(f);
	if (w < 0)
		return (int)w;
	if ((size_t)w != n)
		return -EIO;
	return err;
}

/* Print `fstest: PAUSE tag` and wait for a line on the console: the
 * harness answers with a newline once it has looked at the host. */
static inline void fstest_pause(const char *tag)
{
	char c[64];
	size_t n;

	kprintf("fstest: PAUSE %s\n", tag);
	for (;;) {
		n = console_read(c, sizeof(c));
		if (n && c[n - 1] == '\n')
			return;
	}
}
