/*
 * Host side of the file-system tests: 64-bit FNV-1a of files or byte
 * ranges, the same hash the guest suites print (tests/guest/fstest.h).
 * tests/fs/run-tests builds it into build/fs-tools/ and feeds it requests
 * on stdin, one per line: "PATH<TAB>OFFSET<TAB>LENGTH" (LENGTH -1: to the
 * end). It answers each with "BYTES HASH" (BYTES: how many were hashed,
 * fewer at the end of the file) or "error ERRNO".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FNV_INIT  0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static char buf[1 << 20];

static int hash_range(const char *path, long long off, long long len, uint64_t *n, uint64_t *h)
{
	int fd = open(path, O_RDONLY);

	*n = 0;
	*h = FNV_INIT;
	if (fd < 0)
		return errno;
	while (len < 0 || (long long)*n < len) {
		size_t want = sizeof(buf);
		if (len >= 0 && (unsigned long long)(len - (long long)*n) < want)
			want = (size_t)(len - (long long)*n);
		ssize_t got = pread(fd, buf, want, off + (long long)*n);
		if (got < 0) {
			int e = errno;
			close(fd);
			return e;
		}
		if (got == 0)
			break;
		for (ssize_t i = 0; i < got; i++) {
			*h ^= (unsigned char)buf[i];
			*h *= FNV_PRIME;
		}
		*n += (uint64_t)got;
	}
	close(fd);
	return 0;
}

int main(void)
{
	char line[8192];

	while (fgets(line, sizeof(line), stdin)) {
		char *path = strtok(line, "\t\n"), *o = strtok(NULL, "\t\n"), *l = strtok(NULL, "\t\n");
		uint64_t n, h;
		int err;

		if (!path)
			continue;
		err = hash_range(path, o ? atoll(o) : 0, l ? atoll(l) : -1, &n, &h);
		if (err)
			printf("error %d\n", err);
		else
			printf("%" PRIu64 " %016" PRIx64 "\n", n, h);
		fflush(stdout);
	}
	return 0;
}
