/*
 * kernel/pmm.c against the contract in kernel/pmm.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/errno.h"
#include "kernel/pmm.h"
#include "check.h"

#define KiB UINT64_C(1024)
#define MiB (KiB * 1024)
#define GiB (MiB * 1024)
#define PG  PAGE_SIZE

static struct pmm P;
static uint64_t *bitmap;

static void setup(uint64_t npages)
{
	free(bitmap);
	bitmap = malloc(pmm_bitmap_words(npages) * sizeof *bitmap);
	memset(bitmap, 0, pmm_bitmap_words(npages) * sizeof *bitmap);
	pmm_setup(&P, bitmap, npages);
}

/* Pages a series of single-page allocations hands out, into out[]. */
static int drain(uint64_t *out, int max)
{
	int n = 0;
	uint64_t a;

	while ((a = pmm_alloc(&P, 1, 1, 0, UINT64_MAX)) != 0) {
		if (n < max)
			out[n] = a;
		n++;
	}
	return n;
}

static void setup_everything_used(void)
{
	setup(100);
	CHECK_EQ(0, P.nfree);
	CHECK_EQ(0, pmm_alloc(&P, 1, 1, 0, UINT64_MAX));
	CHECK_EQ(0, pmm_bitmap_words(0));
	CHECK_EQ(1, pmm_bitmap_words(1));
	CHECK_EQ(1, pmm_bitmap_words(64));
	CHECK_EQ(2, pmm_bitmap_words(65));
}

static void add_free_rounds_inward(void)
{
	uint64_t got[8];

	setup(64);
	pmm_add_free(&P, 0x1800, 0x3000);       /* [0x1800, 0x4800): pages 2 and 3 whole */
	CHECK_EQ(2, P.nfree);
	pmm_add_free(&P, 0x8001, 0xfff);        /* inside one page: nothing whole */
	pmm_add_free(&P, 0x9000, 0xfff);        /* one byte short of a page */
	pmm_add_free(&P, 0xa000, 0);
	CHECK_EQ(2, P.nfree);
	int n = drain(got, 8);
	CHECK_EQ(2, n);
	CHECK_EQ(0x2000, got[0]);
	CHECK_EQ(0x3000, got[1]);
	CHECK_EQ(0, P.nfree);
}

static void add_free_twice_counts_once(void)
{
	setup(64);
	pmm_add_free(&P, 0x4000, 0x4000);
	pmm_add_free(&P, 0x6000, 0x4000);       /* overlaps pages 6 and 7 */
	CHECK_EQ(6, P.nfree);                   /* pages 4..9 */
}

static void add_free_clipped_to_npages(void)
{
	uint64_t got[64];

	setup(40);
	pmm_add_free(&P, 30 * PG, 100 * PG);
	CHECK_EQ(10, P.nfree);
	pmm_add_free(&P, 38 * PG, UINT64_MAX - 38 * PG);   /* "to the top" */
	CHECK_EQ(10, P.nfree);
	int n = drain(got, 64);
	CHECK_EQ(10, n);
	for (int i = 0; i < n && i < 64; i++)
		if (!CHECK(got[i] >= 30 * PG && got[i] < 40 * PG))
			break;
}

static void reserve_rounds_outward(void)
{
	uint64_t got[64];

	setup(64);
	pmm_add_free(&P, 0, 64 * PG);
	CHECK_EQ(63, P.nfree);                  /* page 0 is never free */
	pmm_reserve(&P, 0x5800, 0x1000);        /* touches pages 5 and 6 */
	CHECK_EQ(61, P.nfree);
	pmm_reserve(&P, 0x5000, 0x2000);        /* already reserved: no change */
	CHECK_EQ(61, P.nfree);
	pmm_reserve(&P, 0x9000, 0);             /* empty */
	CHECK_EQ(61, P.nfree);
	pmm_reserve(&P, 0xa000, 1);             /* one byte reserves its page */
	CHECK_EQ(60, P.nfree);
	pmm_reserve(&P, 60 * PG, 100 * PG);     /* clipped: pages 60..63 */
	CHECK_EQ(56, P.nfree);
	int n = drain(got, 64);
	CHECK_EQ(56, n);
	for (int i = 0; i < n && i < 64; i++)
		if (!CHECK(got[i] != 0x5000 && got[i] != 0x6000 && got[i] != 0xa000 && got[i] < 60 * PG))
			break;
}

static void reserve_to_top(void)
{
	setup(64);
	pmm_add_free(&P, 0, 64 * PG);
	/* Everything from page 32 up, expressed as "up to the end of the address space". */
	pmm_reserve(&P, 32 * PG, UINT64_MAX - 32 * PG);
	CHECK_EQ(31, P.nfree);
	CHECK_EQ(0, pmm_alloc(&P, 1, 1, 32 * PG, UINT64_MAX));
	setup(64);
	pmm_add_free(&P, 0, 64 * PG);
	pmm_reserve(&P, 10 * PG, UINT64_MAX - 10 * PG - 100);
	CHECK_EQ(9, P.nfree);
}

static void page0_never_returned(void)
{
	setup(16);
	pmm_add_free(&P, 0, 16 * PG);
	CHECK_EQ(15, P.nfree);
	CHECK_EQ(0x1000, pmm_alloc(&P, 1, 1, 0, 2 * PG));
	CHECK_EQ(0, pmm_alloc(&P, 1, 1, 0, 2 * PG));      /* only page 0 left below 0x2000 */
	CHECK_EQ(14, P.nfree);
	/* Alignment 16 pages from 0: the only aligned start would be page 0. */
	CHECK_EQ(0, pmm_alloc(&P, 1, 16, 0, 16 * PG));
	CHECK_EQ(14, P.nfree);
}

static void bounds_above_4g(void)
{
	uint64_t a;

	setup(6 * GiB / PG);
	pmm_add_free(&P, 0, 6 * GiB);
	CHECK_EQ(6 * GiB / PG - 1, P.nfree);
	a = pmm_alloc(&P, 1, 1, 4 * GiB, UINT64_MAX);
	CHECK_EQ(4 * GiB, a);
	a = pmm_alloc(&P, 16, 1, 4 * GiB, 6 * GiB);
	CHECK(a >= 4 * GiB && a + 16 * PG <= 6 * GiB);
	/* The top: exactly the last 4 pages fit under max. */
	a = pmm_alloc(&P, 4, 1, 6 * GiB - 4 * PG, 6 * GiB);
	CHECK_EQ(6 * GiB - 4 * PG, a);
	CHECK_EQ(0, pmm_alloc(&P, 1, 1, 6 * GiB - 4 * PG, 6 * GiB));
	/* Beyond the bitmap: nothing. */
	CHECK_EQ(0, pmm_alloc(&P, 1, 1, 6 * GiB, UINT64_MAX));
	/* A window smaller than the run. */
	CHECK_EQ(0, pmm_alloc(&P, 3, 1, 1 * GiB, 1 * GiB + 2 * PG));
	/* An unaligned min rounds up; a max inside a page excludes that page. */
	a = pmm_alloc(&P, 1, 1, 2 * GiB + 1, 2 * GiB + 2 * PG + 5);
	CHECK_EQ(2 * GiB + PG, a);
	CHECK_EQ(0, pmm_alloc(&P, 1, 1, 2 * GiB + 1, 2 * GiB + 2 * PG + 5));
	/* Below 4 GiB when asked. */
	a = pmm_alloc(&P, 1, 1, 0, 4 * GiB);
	CHECK(a != 0 && a < 4 * GiB);
	CHECK_EQ(6 * GiB / PG - 1 - 1 - 16 - 4 - 1 - 1, P.nfree);
}

static void alignment_honored(void)
{
	uint64_t a;

	setup(4096);
	pmm_add_free(&P, 0, 4096 * PG);
	CHECK_EQ(0x1000, pmm_alloc(&P, 1, 1, 0, UINT64_MAX));
	a = pmm_alloc(&P, 1, 2, 0, UINT64_MAX);
	CHECK_EQ(0x2000, a);
	a = pmm_alloc(&P, 3, 4, 0, UINT64_MAX);
	CHECK_EQ(0x4000, a);
	a = pmm_alloc(&P, 1, 512, 0, UINT64_MAX);          /* 2 MiB */
	CHECK_EQ(2 * MiB, a);
	a = pmm_alloc(&P, 512, 512, 0, UINT64_MAX);
	CHECK_EQ(4 * MiB, a);
	/* Non-power-of-two and zero alignments are refused. */
	CHECK_EQ(0, pmm_alloc(&P, 1, 3, 0, UINT64_MAX));
	CHECK_EQ(0, pmm_alloc(&P, 1, 0, 0, UINT64_MAX));
	CHECK_EQ(0, pmm_alloc(&P, 0, 1, 0, UINT64_MAX));
}

/* Alignment above 64 pages must hold even when a whole used bitmap word lies
 * on an aligned index (pages 128..191 used, 192.. free: 192 is not a
 * multiple of 128). */
static void alignment_past_full_word(void)
{
	setup(1024);
	pmm_add_free(&P, 0, 1024 * PG);
	pmm_reserve(&P, 128 * PG, 64 * PG);
	CHECK_EQ(256 * PG, pmm_alloc(&P, 1, 128, 100 * PG, UINT64_MAX));
	CHECK_EQ(512 * PG, pmm_alloc(&P, 1, 256, 100 * PG, UINT64_MAX));
}

static void contiguous_runs(void)
{
	uint64_t a, b, c;

	setup(256);
	pmm_add_free(&P, 0, 256 * PG);
	a = pmm_alloc(&P, 8, 1, 0, UINT64_MAX);
	b = pmm_alloc(&P, 8, 1, 0, UINT64_MAX);
	CHECK(a && b);
	CHECK(a + 8 * PG <= b || b + 8 * PG <= a);
	CHECK_EQ(255 - 16, P.nfree);
	/* A hole of 4 pages (at a+2..a+5) does not satisfy a run of 5 but does of 4. */
	CHECK_EQ(0, pmm_free(&P, a + 2 * PG, 4));
	c = pmm_alloc(&P, 5, 1, a, a + 8 * PG + 8 * PG);
	CHECK(c == 0 || c >= b + 8 * PG);
	if (c)
		CHECK_EQ(0, pmm_free(&P, c, 5));
	CHECK_EQ(a + 2 * PG, pmm_alloc(&P, 4, 1, a, UINT64_MAX));
	/* A run right up to the last page. */
	CHECK_EQ(250 * PG, pmm_alloc(&P, 6, 1, 250 * PG, UINT64_MAX));
	CHECK_EQ(0, pmm_alloc(&P, 7, 1, 249 * PG, UINT64_MAX));
}

static void exhaustion(void)
{
	uint64_t got[64];

	setup(64);
	pmm_add_free(&P, 0, 64 * PG);
	CHECK_EQ(0, pmm_alloc(&P, 64, 1, 0, UINT64_MAX));    /* more than nfree */
	CHECK_EQ(PG, pmm_alloc(&P, 63, 1, 0, UINT64_MAX));
	CHECK_EQ(0, P.nfree);
	CHECK_EQ(0, pmm_alloc(&P, 1, 1, 0, UINT64_MAX));
	/* Free every other page: 31 free, no two adjacent. */
	for (uint64_t i = 2; i < 64; i += 2)
		CHECK_EQ(0, pmm_free(&P, i * PG, 1));
	CHECK_EQ(31, P.nfree);
	CHECK_EQ(0, pmm_alloc(&P, 2, 1, 0, UINT64_MAX));
	CHECK_EQ(31, drain(got, 64));
	CHECK_EQ(0, P.nfree);
}

static void bad_free_leaves_state(void)
{
	uint64_t snap[2], a;
	struct pmm before;

	setup(128);
	pmm_add_free(&P, 0, 128 * PG);
	a = pmm_alloc(&P, 4, 1, 0, UINT64_MAX);
	CHECK_EQ(PG, a);
	memcpy(snap, bitmap, sizeof snap);
	before = P;
#define SAME() do { CHECK(memcmp(snap, bitmap, sizeof snap) == 0); CHECK_EQ(before.nfree, P.nfree); } while (0)
	CHECK_EQ(-EINVAL, pmm_free(&P, 10 * PG, 1));            /* never allocated: free already */
	SAME();
	CHECK_EQ(-EINVAL, pmm_free(&P, a, 5));                  /* last page already free */
	SAME();
	CHECK_EQ(-EINVAL, pmm_free(&P, a + 1, 1));              /* unaligned */
	SAME();
	CHECK_EQ(-EINVAL, pmm_free(&P, 128 * PG, 1));           /* past the end */
	SAME();
	CHECK_EQ(-EINVAL, pmm_free(&P, 127 * PG, 2));           /* runs past the end */
	SAME();
	CHECK_EQ(-EINVAL, pmm_free(&P, UINT64_MAX & ~(PG - 1), 1));
	SAME();
	CHECK_EQ(-EINVAL, pmm_free(&P, 100 * PG, UINT64_MAX));  /* count wraps */
	SAME();
	CHECK_EQ(0, pmm_free(&P, a + PG, 2));
	CHECK_EQ(before.nfree + 2, P.nfree);
	CHECK_EQ(-EINVAL, pmm_free(&P, a + PG, 1));             /* double free */
	CHECK_EQ(before.nfree + 2, P.nfree);
	CHECK_EQ(0, pmm_free(&P, a, 1));
	CHECK_EQ(0, pmm_free(&P, a + 3 * PG, 1));
	CHECK_EQ(127, P.nfree);
#undef SAME
}

static void reserve_over_allocated_and_free(void)
{
	uint64_t a;

	setup(64);
	pmm_add_free(&P, 0, 64 * PG);
	a = pmm_alloc(&P, 2, 1, 0, UINT64_MAX);         /* pages 1, 2 */
	CHECK_EQ(PG, a);
	pmm_reserve(&P, 0, 8 * PG);                     /* pages 0..7: 5 of them were free */
	CHECK_EQ(63 - 2 - 5, P.nfree);
	CHECK_EQ(8 * PG, pmm_alloc(&P, 1, 1, 0, UINT64_MAX));
	/* Freeing the earlier allocation still works: its pages are in use. */
	CHECK_EQ(0, pmm_free(&P, a, 2));
	CHECK_EQ(63 - 5 - 1, P.nfree);
}

/* QEMU -M q35 -m 6G as SeaBIOS reports it (e820), with the usual holes. */
static void q35_6g_map(void)
{
	uint64_t a;

	setup(8 * GiB / PG);
	pmm_add_free(&P, 0, 0x9fc00);                           /* 0 - 0x9fbff */
	pmm_add_free(&P, 0x100000, 0x7ffe0000 - 0x100000);      /* 0x100000 - 0x7ffdffff */
	pmm_add_free(&P, 0x100000000, 0x100000000);             /* 0x100000000 - 0x1ffffffff */
	pmm_reserve(&P, 0x9fc00, 0x400);
	pmm_reserve(&P, 0xf0000, 0x10000);
	pmm_reserve(&P, 0x7ffe0000, 0x20000);
	pmm_reserve(&P, 0xb0000000, 0x10000000);                /* MMCONFIG */
	pmm_reserve(&P, 0xfed1c000, 0x4000);
	pmm_reserve(&P, 0xfeffc000, 0x4000);
	pmm_reserve(&P, 0xfffc0000, 0x40000);
	uint64_t expect = (0x9f - 1) + (0x7ffe0000 - 0x100000) / PG + 0x100000000 / PG;
	CHECK_EQ(expect, P.nfree);
	pmm_reserve(&P, 0x100000, 0x200000);                    /* the kernel image */
	expect -= 0x200;
	CHECK_EQ(expect, P.nfree);

	CHECK_EQ(0x1000, pmm_alloc(&P, 1, 1, 0, 0x100000));
	CHECK_EQ(0, pmm_alloc(&P, 1, 1, 0x9f000, 0x100000));     /* partial page and hole */
	CHECK_EQ(0x400000, pmm_alloc(&P, 512, 512, 0x100000, 4 * GiB));
	/* A run may not straddle the hole below 4 GiB. */
	CHECK_EQ(0x100000000, pmm_alloc(&P, 0x40, 1, 0x7ffd0000, UINT64_MAX));
	CHECK_EQ(0x7ffd0000, pmm_alloc(&P, 0x10, 1, 0x7ffd0000, UINT64_MAX));
	a = pmm_alloc(&P, 1, 1, 4 * GiB, UINT64_MAX);
	CHECK_EQ(0x100040000, a);
	CHECK_EQ(0, pmm_alloc(&P, 1, 1, 0x200000000, UINT64_MAX));
	CHECK_EQ(0, pmm_alloc(&P, 1, 1, 0x80000000, 0x100000000));
	CHECK_EQ(expect - 1 - 512 - 0x40 - 0x10 - 1, P.nfree);
}

/* Random operations checked against a model: every returned run lies inside
 * the bounds, is aligned and was free; a 0 return means no run exists. */
static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(uint64_t n) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng % n; }

static void model_random(void)
{
	enum { N = 2048 };
	static bool freep[N];
	static uint64_t runs[4096][2];
	int nruns = 0;
	uint64_t nfree = 0;

	setup(N);
	memset(freep, 0, sizeof freep);
	for (int k = 0; k < 40; k++) {
		uint64_t base = rnd(N * PG), len = rnd(200 * PG);
		if (rnd(3)) {
			pmm_add_free(&P, base, len);
			for (uint64_t i = (base + PG - 1) / PG; i < (base + len) / PG && i < N; i++)
				if (i)
					freep[i] = true;
		} else {
			pmm_reserve(&P, base, len);
			for (uint64_t i = base / PG; len && i < (base + len + PG - 1) / PG && i < N; i++)
				freep[i] = false;
		}
	}
	for (int i = 0; i < N; i++)
		nfree += freep[i];
	if (!CHECK_EQ(nfree, P.nfree))
		return;
	for (int op = 0; op < 3000; op++) {
		if (nruns && (rnd(3) == 0 || nruns == 4096)) {
			int r = (int)rnd((uint64_t)nruns);
			if (!CHECK_EQ(0, pmm_free(&P, runs[r][0], runs[r][1])))
				return;
			for (uint64_t i = 0; i < runs[r][1]; i++)
				freep[runs[r][0] / PG + i] = true;
			nfree += runs[r][1];
			runs[r][0] = runs[nruns - 1][0], runs[r][1] = runs[nruns - 1][1];
			nruns--;
			continue;
		}
		uint64_t n = 1 + rnd(rnd(4) ? 4 : 70), align = 1ull << rnd(9);
		uint64_t min = rnd(N * PG), max = rnd(4) ? UINT64_MAX : min + rnd(N * PG);
		uint64_t a = pmm_alloc(&P, n, align, min, max);
		if (a) {
			uint64_t first = a / PG;
			bool ok = a % (align * PG) == 0 && a >= min && a + n * PG <= max && first + n <= N && first;
			for (uint64_t i = 0; ok && i < n; i++)
				ok = freep[first + i];
			if (!ok) {
				char e[128], s[64];
				snprintf(e, sizeof e, "a free run of %lu pages aligned %lu in [%#lx, %#lx)",
					 (unsigned long)n, (unsigned long)align, (unsigned long)min, (unsigned long)max);
				snprintf(s, sizeof s, "%#lx", (unsigned long)a);
				CHECK_FAIL(e, s);
				return;
			}
			for (uint64_t i = 0; i < n; i++)
				freep[first + i] = false;
			nfree -= n;
			runs[nruns][0] = a, runs[nruns][1] = n, nruns++;
		} else {
			uint64_t lo = (min + PG - 1) / PG, hi = max / PG > N ? N : max / PG;
			for (uint64_t i = (lo + align - 1) & ~(align - 1); i + n <= hi; i += align) {
				uint64_t j = 0;
				while (j < n && i + j && freep[i + j])
					j++;
				if (j == n) {
					char e[64], s[160];
					snprintf(e, sizeof e, "page %#lx (a free run)", (unsigned long)(i * PG));
					snprintf(s, sizeof s, "0 for %lu pages aligned %lu in [%#lx, %#lx)",
						 (unsigned long)n, (unsigned long)align, (unsigned long)min, (unsigned long)max);
					CHECK_FAIL(e, s);
					return;
				}
			}
		}
		if (!CHECK_EQ(nfree, P.nfree))
			return;
	}
}

int main(void)
{
	RUN(setup_everything_used);
	RUN(add_free_rounds_inward);
	RUN(add_free_twice_counts_once);
	RUN(add_free_clipped_to_npages);
	RUN(reserve_rounds_outward);
	RUN(reserve_to_top);
	RUN(page0_never_returned);
	RUN(bounds_above_4g);
	RUN(alignment_honored);
	RUN(alignment_past_full_word);
	RUN(contiguous_runs);
	RUN(exhaustion);
	RUN(bad_free_leaves_state);
	RUN(reserve_over_allocated_and_free);
	RUN(q35_6g_map);
	RUN(model_random);
	free(bitmap);
	return CHECK_DONE();
}
