/* Random bytes: see random.h for the order of sources. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "drivers/virtio/virtio_rng.h"
#include "kernel/clock.h"
#include "kernel/kprintf.h"
#include "kernel/random.h"
#include "kernel/x86.h"

enum source { SRC_RDRAND, SRC_VIRTIO, SRC_WEAK };

static enum source source = SRC_WEAK;
static uint64_t state;

void random_init(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	if (r[2] & (1u << 30))
		source = SRC_RDRAND;
	else if (virtio_rng_init())
		source = SRC_VIRTIO;
	else
		source = SRC_WEAK;
	kprintf("random: %s\n", source == SRC_RDRAND ? "RDRAND" : source == SRC_VIRTIO ? "virtio-rng"
		: "no hardware source: a TSC-seeded generator, not fit for cryptography");
}

static uint64_t weak64(void)
{
	uint64_t v;

	if (!state)
		state = rdtsc() ^ clock_realtime_ns() ^ 0x9e3779b97f4a7c15ull;
	/* splitmix64, stirred with the TSC */
	v = (state += 0x9e3779b97f4a7c15ull) ^ rdtsc();
	v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ull;
	v = (v ^ (v >> 27)) * 0x94d049bb133111ebull;
	return v ^ (v >> 31);
}

static bool rdrand64(uint64_t *v)
{
	unsigned char ok;

	for (int tries = 0; tries < 10; tries++) {
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

void random_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;

	if (source == SRC_VIRTIO && virtio_rng_read(buf, n) == (long)n)
		return;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v;

		if (source != SRC_RDRAND || !rdrand64(&v))
			v = weak64();
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}
