/*
 * sha256sum [FILE...]: print the SHA-256 of each FILE ("-" or none:
 * standard input) as coreutils does: 64 lowercase hex digits, two spaces,
 * the name. A name containing a backslash, newline or carriage return is
 * printed escaped (\\, \n, \r) with a backslash before the digest.
 * Errors: "sha256sum: FILE: strerror", status 1.
 *
 * The hash is FIPS 180-4, section 6.2, written here from the standard:
 * 512-bit blocks, 64 rounds, big-endian words and length.
 */
#include "../lib/applib.h"
#include "../lib/tools.h"

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

struct sha256 {
	uint32_t h[8];          /* the intermediate hash value H(i) */
	uint64_t len;           /* message bytes so far */
	unsigned char block[64];
	size_t used;            /* bytes waiting in block */
};

/* FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t sha256_ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_init(struct sha256 *s)
{
	/* FIPS 180-4 5.3.3: square roots of the first 8 primes. */
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
	s->used = 0;
}

/* FIPS 180-4 6.2.2: one 64-byte block into the hash value. */
static void sha256_block(struct sha256 *s, const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int t = 0; t < 16; t++)
		w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
		       (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
	for (int t = 16; t < 64; t++) {
		uint32_t s0 = sha256_ror(w[t - 15], 7) ^ sha256_ror(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = sha256_ror(w[t - 2], 17) ^ sha256_ror(w[t - 2], 19) ^ (w[t - 2] >> 10);
		w[t] = s1 + w[t - 7] + s0 + w[t - 16];
	}
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (int t = 0; t < 64; t++) {
		uint32_t S1 = sha256_ror(e, 6) ^ sha256_ror(e, 11) ^ sha256_ror(e, 25);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t t1 = h + S1 + ch + sha256_k[t] + w[t];
		uint32_t S0 = sha256_ror(a, 2) ^ sha256_ror(a, 13) ^ sha256_ror(a, 22);
		uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t2 = S0 + maj;
		h = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const unsigned char *p = data;

	s->len += n;
	if (s->used) {
		size_t take = 64 - s->used < n ? 64 - s->used : n;
		memcpy(s->block + s->used, p, take);
		s->used += take;
		p += take;
		n -= take;
		if (s->used < 64)
			return;
		sha256_block(s, s->block);
		s->used = 0;
	}
	for (; n >= 64; p += 64, n -= 64)
		sha256_block(s, p);
	memcpy(s->block, p, n);
	s->used = n;
}

/* FIPS 180-4 5.1.1: a 1 bit, zeros, and the length in bits as a 64-bit
 * big-endian number ending the last block. */
static void sha256_final(struct sha256 *s, unsigned char out[32])
{
	uint64_t bits = s->len * 8;
	unsigned char pad[72] = { 0x80 };
	size_t padlen = (s->used < 56 ? 56 : 120) - s->used;

	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(s, pad, padlen + 8);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (unsigned char)(s->h[i] >> (24 - 8 * j));
}

/* Hashes fd into out; 0 or an errno value. */
static int sha256_fd(int fd, unsigned char out[32])
{
	static unsigned char buf[65536];
	struct sha256 s;
	ssize_t n;

	sha256_init(&s);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		sha256_update(&s, buf, (size_t)n);
	}
	sha256_final(&s, out);
	return 0;
}

static void sha256_print(const unsigned char d[32], const char *name)
{
	int escape = strpbrk(name, "\\\n\r") != NULL;

	if (escape)
		putchar('\\');
	for (int i = 0; i < 32; i++)
		printf("%02x", d[i]);
	fputs("  ", stdout);
	for (const char *p = name; *p; p++) {
		if (escape && *p == '\\')
			fputs("\\\\", stdout);
		else if (escape && *p == '\n')
			fputs("\\n", stdout);
		else if (escape && *p == '\r')
			fputs("\\r", stdout);
		else
			putchar(*p);
	}
	putchar('\n');
}

int sha256sum_main(int argc, char **argv)
{
	unsigned char flags[256], digest[32];
	int first = app_options(argc, argv, "sha256sum", "", flags, "sha256sum [FILE...]");
	char *stdin_only[] = { "-" };
	char **files = argv + first;
	int nfiles = argc - first, status = 0;

	if (first < 0)
		return 1;
	if (nfiles == 0) {
		files = stdin_only;
		nfiles = 1;
	}
	for (int i = 0; i < nfiles; i++) {
		int is_stdin = strcmp(files[i], "-") == 0;
		int fd = is_stdin ? 0 : open(files[i], O_RDONLY);
		int err;

		if (fd < 0) {
			app_err("sha256sum", files[i], errno);
			status = 1;
			continue;
		}
		err = sha256_fd(fd, digest);
		if (!is_stdin)
			close(fd);
		if (err) {
			app_err("sha256sum", files[i], err);
			status = 1;
			continue;
		}
		sha256_print(digest, files[i]);
	}
	if (fflush(stdout) != 0) {
		app_err("sha256sum", "write error", errno);
		status = 1;
	}
	return status;
}
