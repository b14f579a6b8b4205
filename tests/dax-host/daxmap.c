/*
 * daxmap: the Linux guest's file-mapping helper for tests/dax-host (busybox
 * has no mmap tool). Built static with musl-gcc by run-tests and put into
 * the guest's initramfs.
 *
 *     daxmap sum FILE               FNV-1a 64 of FILE read through mmap
 *     daxmap write FILE OFF TEXT    store TEXT at OFF through MAP_SHARED, msync
 *     daxmap stat FILE              "dax=1" if statx reports STATX_ATTR_DAX
 *
 * Prints one result line; exits 0 on success, 1 with a message on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The head of Linux's struct statx (include/uapi/linux/stat.h); musl 1.2.3
 * has no statx(). The kernel writes at most 256 bytes. */
struct statx_head {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint8_t rest[240];
};
#define STATX_BASIC_STATS_ 0x000007ffU
#define STATX_ATTR_DAX_ 0x00200000ULL   /* Linux 5.8 */

static int fail(const char *what, const char *file)
{
	fprintf(stderr, "daxmap: %s %s: %s\n", what, file, strerror(errno));
	return 1;
}

static int do_sum(const char *file)
{
	uint64_t h = 0xcbf29ce484222325ull;
	struct stat st;
	unsigned char *p;
	int fd;

	fd = open(file, O_RDONLY);
	if (fd < 0)
		return fail("open", file);
	if (fstat(fd, &st) < 0)
		return fail("fstat", file);
	if (st.st_size > 0) {
		p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return fail("mmap", file);
		for (off_t i = 0; i < st.st_size; i++) {
			h ^= p[i];
			h *= 0x100000001b3ull;
		}
		munmap(p, st.st_size);
	}
	close(fd);
	printf("fnv1a64 %016llx %lld\n", (unsigned long long)h, (long long)st.st_size);
	return 0;
}

static int do_write(const char *file, const char *offs, const char *text)
{
	long page = sysconf(_SC_PAGESIZE);
	off_t off = strtoll(offs, NULL, 0);
	off_t base = off & ~(off_t)(page - 1);
	size_t len = strlen(text), maplen = (off - base) + len;
	struct stat st;
	char *p;
	int fd;

	fd = open(file, O_RDWR);
	if (fd < 0)
		return fail("open", file);
	if (fstat(fd, &st) < 0)
		return fail("fstat", file);
	if (off + (off_t)len > st.st_size) {
		errno = EINVAL;   /* stores past EOF would SIGBUS */
		return fail("range past the end of", file);
	}
	p = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, base);
	if (p == MAP_FAILED)
		return fail("mmap", file);
	memcpy(p + (off - base), text, len);
	if (msync(p, maplen, MS_SYNC) < 0)
		return fail("msync", file);
	munmap(p, maplen);
	close(fd);
	printf("wrote %zu at %lld\n", len, (long long)off);
	return 0;
}

static int do_stat(const char *file)
{
	struct statx_head stx;

	if (syscall(SYS_statx, AT_FDCWD, file, 0, STATX_BASIC_STATS_, &stx) < 0)
		return fail("statx", file);
	printf("dax=%d\n", (stx.stx_attributes & STATX_ATTR_DAX_) ? 1 : 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "sum") == 0)
		return do_sum(argv[2]);
	if (argc == 5 && strcmp(argv[1], "write") == 0)
		return do_write(argv[2], argv[3], argv[4]);
	if (argc == 3 && strcmp(argv[1], "stat") == 0)
		return do_stat(argv[2]);
	fprintf(stderr, "usage: daxmap sum FILE | write FILE OFF TEXT | stat FILE\n");
	return 2;
}
