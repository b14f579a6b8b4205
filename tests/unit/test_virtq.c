/*
 * drivers/virtio/virtq.c against drivers/virtio/virtq.h, driven by a
 * simulated device (below) that reads the avail ring and the descriptors as
 * virtio 1.2 §2.7 says a device does, checks every chain the driver builds,
 * and writes used entries. The device is untrusted input to the driver, so
 * the adversarial cases have it write bad used indices, ids and lengths and
 * check that the queue breaks cleanly: exactly one log line, -EIO and NULL
 * from then on, and every outstanding token back through virtq_detach().
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtq.h"
#include "kernel/errno.h"
#include "check.h"

/* ---- The simulated device ------------------------------------------------ */

#define SIM_MAXBUF (VIRTQ_INDIRECT_MAX + 8)

struct sim_buf {
	uint8_t *addr;
	uint32_t len;
	bool write;
};

/* One chain as the device found it on the avail ring. */
struct sim_req {
	uint16_t head;
	bool indirect;                  /* the head names an indirect table */
	unsigned ndesc;                 /* ring descriptors the chain holds */
	uint16_t desc[SIM_MAXBUF];      /* ... and which ones */
	unsigned nbuf, nout;            /* buffers; the first nout device-readable */
	struct sim_buf buf[SIM_MAXBUF];
	uint32_t in_len;                /* device-writable bytes */
};

struct sim {
	uint16_t size;
	struct virtq_desc *desc;        /* the three ring addresses the driver */
	struct virtq_avail *avail;      /* gives the device (vq->desc, ...) */
	struct virtq_used *used;
	uint16_t last_avail;            /* next avail entry to read */
	uint16_t used_idx;              /* next used entry to write */
	uint8_t busy[32768];            /* ring descriptor is in a chain we hold */
};

static struct sim D;

/* A device-side failure: the driver built something the spec forbids. */
#define SIM_FAIL(expected, ...) do {                                    \
		char seen_[160];                                        \
		snprintf(seen_, sizeof seen_, __VA_ARGS__);             \
		check_fail_(__LINE__, "simulated device", (expected), seen_); \
	} while (0)

static void sim_reset(struct sim *d, struct virtq *vq)
{
	memset(d, 0, sizeof(*d));
	d->size = vq->size;
	d->desc = vq->desc;
	d->avail = vq->avail;
	d->used = vq->used;
}

/* §2.7.10: avail_event follows used->ring[size], used_event avail->ring[size]. */
static le16 *sim_avail_event(struct sim *d) { return (le16 *)&d->used->ring[d->size]; }
static le16 *sim_used_event(struct sim *d) { return &d->avail->ring[d->size]; }

static bool sim_take(struct sim *d, struct sim_req *r, uint16_t i)
{
	if (d->busy[i]) {
		SIM_FAIL("a descriptor no other chain in flight holds",
			 "descriptor %u, already in flight, in chain at head %u", i, r->head);
		return false;
	}
	d->busy[i] = 1;
	r->desc[r->ndesc++] = i;
	return true;
}

/* Reads the next chain the driver published, checking it as a device would
 * have to: head and next indices in range, no loop, no descriptor shared
 * with another chain in flight, device-readable buffers before writable ones
 * (§2.7.4.2), no zero lengths, and for indirect tables (§2.7.5.3) no NEXT on
 * the ring descriptor, a length that is a multiple of 16, no INDIRECT inside.
 * Returns false if the driver published nothing new. */
static bool sim_pop(struct sim *d, struct sim_req *r)
{
	struct virtq_desc *tab = d->desc;
	unsigned tabn = d->size;
	uint16_t i;

	if (d->avail->idx == d->last_avail)
		return false;
	memset(r, 0, sizeof(*r));
	r->head = d->avail->ring[d->last_avail & (d->size - 1)];
	d->last_avail++;
	if (r->head >= d->size) {
		SIM_FAIL("an avail entry below the queue size", "head %u, size %u", r->head, d->size);
		return true;
	}
	i = r->head;
	if (d->desc[i].flags & VIRTQ_DESC_F_INDIRECT) {
		struct virtq_desc *hd = &d->desc[i];

		r->indirect = true;
		if (!sim_take(d, r, i))
			return true;
		if (hd->flags & VIRTQ_DESC_F_NEXT)
			SIM_FAIL("an INDIRECT descriptor without NEXT", "flags 0x%x", hd->flags);
		if (hd->len == 0 || hd->len % sizeof(struct virtq_desc)) {
			SIM_FAIL("an indirect table length that is a non-zero multiple of 16",
				 "%u", hd->len);
			return true;
		}
		tab = (struct virtq_desc *)(uintptr_t)hd->addr;
		tabn = hd->len / sizeof(struct virtq_desc);
		i = 0;
	}
	for (unsigned k = 0;; k++) {
		struct virtq_desc *e;

		if (k >= tabn || k >= SIM_MAXBUF) {
			SIM_FAIL("a chain no longer than its table", "more than %u descriptors from head %u",
				 k, r->head);
			return true;
		}
		if (i >= tabn) {
			SIM_FAIL("a next index inside the table", "%u of %u", i, tabn);
			return true;
		}
		e = &tab[i];
		if (!r->indirect && !sim_take(d, r, i))
			return true;
		if (e->flags & VIRTQ_DESC_F_INDIRECT)
			SIM_FAIL("no INDIRECT flag inside a chain or table", "flags 0x%x at %u", e->flags, i);
		if (e->len == 0)
			SIM_FAIL("a non-empty buffer", "len 0 at descriptor %u", i);
		if (e->flags & VIRTQ_DESC_F_WRITE) {
			r->in_len += e->len;
		} else {
			if (r->nbuf > r->nout)
				SIM_FAIL("device-readable buffers before writable ones",
					 "a readable buffer after a writable one at %u", i);
			r->nout++;
		}
		r->buf[r->nbuf++] = (struct sim_buf){ (uint8_t *)(uintptr_t)e->addr, e->len,
						      (e->flags & VIRTQ_DESC_F_WRITE) != 0 };
		if (!(e->flags & VIRTQ_DESC_F_NEXT))
			return true;
		i = e->next;
	}
}

/* Write n bytes of `byte` into r's writable buffers, in order. */
static void sim_fill(struct sim_req *r, uint32_t n, uint8_t byte)
{
	for (unsigned b = r->nout; b < r->nbuf && n; b++) {
		uint32_t k = r->buf[b].len < n ? r->buf[b].len : n;

		memset(r->buf[b].addr, byte, k);
		n -= k;
	}
}

/* Write a used entry (not yet published). */
static void sim_push_raw(struct sim *d, uint32_t id, uint32_t len)
{
	struct virtq_used_elem *u = &d->used->ring[d->used_idx & (d->size - 1)];

	u->id = id;
	u->len = len;
	d->used_idx++;
}

/* Complete r: the device gives back its descriptors. */
static void sim_complete(struct sim *d, const struct sim_req *r, uint32_t len)
{
	for (unsigned k = 0; k < r->ndesc; k++)
		d->busy[r->desc[k]] = 0;
	sim_push_raw(d, r->head, len);
}

static void sim_publish(struct sim *d)
{
	d->used->idx = d->used_idx;
}

/* §2.7.10: the device interrupts when moving used idx from old to new iff
 * used_event lies in [old, new). Written from the spec, not virtio.h. */
static bool sim_would_interrupt(struct sim *d, uint16_t old, uint16_t new_idx)
{
	return (uint16_t)(*sim_used_event(d) - old) < (uint16_t)(new_idx - old);
}

/* ---- The driver's queue -------------------------------------------------- */

static struct virtq VQ;
static void *mem;
static int notifies, logs;
static char last_log[256];
static uint8_t arena[1 << 16];          /* buffer memory for requests */
static uint64_t rng = 0x9e3779b97f4a7c15;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static int count_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_log, sizeof last_log, fmt, ap);
	va_end(ap);
	logs++;
	return 0;
}

static void count_notify(struct virtq *vq, void *arg)
{
	CHECK(vq == &VQ);
	(*(int *)arg)++;
}

static bool setup(uint16_t size, bool indirect, bool event_idx)
{
	size_t n = virtq_mem_size(size);

	free(mem);
	mem = aligned_alloc(4096, n);
	memset(mem, 0, n);
	if (!CHECK_EQ(0, virtq_init(&VQ, 3, size, mem, indirect, event_idx)))
		return false;
	VQ.notify = count_notify;
	VQ.notify_arg = &notifies;
	VQ.log = count_log;
	VQ.name = "test";
	notifies = logs = 0;
	last_log[0] = 0;
	sim_reset(&D, &VQ);
	return true;
}

/* Add a request of nout + nin buffers of `len` bytes each from the arena. */
static int add_n(unsigned nout, unsigned nin, uint32_t len, void *token)
{
	struct virtq_buf b[SIM_MAXBUF];

	for (unsigned i = 0; i < nout + nin; i++)
		b[i] = (struct virtq_buf){ arena + i * len, len };
	return virtq_add(&VQ, b, nout, nin, token);
}

/* Add, kick and let the device take one request; false if any step failed. */
static bool add_and_pop(unsigned nout, unsigned nin, uint32_t len, void *token, struct sim_req *r)
{
	if (!CHECK_EQ(0, add_n(nout, nin, len, token)))
		return false;
	virtq_kick(&VQ);
	return CHECK(sim_pop(&D, r));
}

/* ---- The ordinary protocol ----------------------------------------------- */

/* virtq_init accepts exactly the powers of two up to 32768, and the layout
 * it makes fits in virtq_mem_size() bytes: each ring aligned as §2.7 wants
 * and as long as it says (avail 6 + 2n bytes, used 6 + 8n), the indirect
 * tables and slots after them, nothing overlapping. */
static void init_sizes_and_layout(void)
{
	static const uint16_t bad[] = { 0, 3, 6, 12, 100, 32767, 49152, 65535 };

	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		static uint8_t small[4096];
		char what[64];

		snprintf(what, sizeof what, "-EINVAL for size %u", bad[i]);
		int err = virtq_init(&VQ, 0, bad[i], small, false, false);
		if (err != -EINVAL) {
			char seen[32];
			snprintf(seen, sizeof seen, "%d", err);
			CHECK_FAIL(what, seen);
		}
	}
	for (uint32_t size = 1; size <= 32768; size *= 2) {
		size_t n = virtq_mem_size((uint16_t)size);

		if (!CHECK_EQ(0, n % 4096) || !setup((uint16_t)size, true, true))
			return;
		const struct { const char *what; uintptr_t start, end; } part[] = {
			{ "desc", (uintptr_t)VQ.desc, (uintptr_t)(VQ.desc + size) },
			{ "avail", (uintptr_t)VQ.avail, (uintptr_t)VQ.avail + 6 + 2 * size },
			{ "used", (uintptr_t)VQ.used, (uintptr_t)VQ.used + 6 + 8 * size },
			{ "indirect", (uintptr_t)VQ.indirect,
			  (uintptr_t)(VQ.indirect + VIRTQ_INDIRECT_MAX * size) },
			{ "slot", (uintptr_t)VQ.slot, (uintptr_t)(VQ.slot + size) },
		};
		uintptr_t m = (uintptr_t)mem;
		char what[96];

		if (!CHECK_EQ(size, VQ.size) || !CHECK_EQ(size, VQ.num_free) ||
		    !CHECK_EQ(0, (uintptr_t)VQ.desc % 16) || !CHECK_EQ(0, (uintptr_t)VQ.avail % 2) ||
		    !CHECK_EQ(0, (uintptr_t)VQ.used % 4))
			return;
		for (int a = 0; a < 5; a++) {
			if (part[a].start < m || part[a].end > m + n) {
				snprintf(what, sizeof what, "%s inside the %zu bytes for size %u", part[a].what, n, size);
				CHECK_FAIL(what, "it outside");
				return;
			}
			for (int b = a + 1; b < 5; b++) {
				if (part[a].end > part[b].start && part[b].end > part[a].start) {
					snprintf(what, sizeof what, "%s and %s apart for size %u",
						 part[a].what, part[b].what, size);
					CHECK_FAIL(what, "them overlapping");
					return;
				}
			}
		}
	}
}

/* One request of a readable and a writable buffer goes to the device only
 * at kick (one notify), arrives as two descriptors with the right addresses,
 * lengths and flags, and comes back with its token and the length the
 * device wrote; the descriptors are free again and nothing is logged. */
static void round_trip_out_and_in(void)
{
	static char out[] = "hello";
	static char in[16];
	struct virtq_buf b[2] = { { out, 5 }, { in, sizeof in } };
	struct sim_req r;
	uint32_t len = 0;
	int tok;

	if (!setup(8, false, false))
		return;
	CHECK_EQ(0, virtq_add(&VQ, b, 1, 1, &tok));
	CHECK_EQ(6, VQ.num_free);
	CHECK(!sim_pop(&D, &r));                /* not published before the kick */
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	virtq_kick(&VQ);
	CHECK_EQ(1, notifies);
	if (!CHECK(sim_pop(&D, &r)) || !CHECK_EQ(2, r.nbuf) || !CHECK_EQ(1, r.nout))
		return;
	CHECK(!r.indirect);
	CHECK(r.buf[0].addr == (uint8_t *)out && r.buf[0].len == 5 && !r.buf[0].write);
	CHECK(r.buf[1].addr == (uint8_t *)in && r.buf[1].len == sizeof in && r.buf[1].write);
	CHECK(memcmp(r.buf[0].addr, "hello", 5) == 0);
	memcpy(r.buf[1].addr, "world", 5);
	CHECK(!virtq_has_used(&VQ));
	sim_complete(&D, &r, 5);
	sim_publish(&D);
	CHECK(virtq_has_used(&VQ));
	CHECK(virtq_get_used(&VQ, &len) == &tok);
	CHECK_EQ(5, len);
	CHECK(memcmp(in, "world", 5) == 0);
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	CHECK(!virtq_has_used(&VQ));
	CHECK_EQ(8, VQ.num_free);
	CHECK_EQ(0, VQ.inflight);
	CHECK_EQ(0, logs);
}

/* Without indirect descriptors a 3 out + 2 in request takes five ring
 * descriptors linked by NEXT, WRITE on the last two only, and gives all five
 * back on completion. */
static void chain_direct(void)
{
	struct sim_req r;
	uint32_t len;
	int tok;

	if (!setup(8, false, false) || !add_and_pop(3, 2, 32, &tok, &r))
		return;
	CHECK(!r.indirect);
	CHECK_EQ(5, r.ndesc);
	CHECK_EQ(3, VQ.num_free);
	if (!CHECK_EQ(5, r.nbuf) || !CHECK_EQ(3, r.nout))
		return;
	for (unsigned i = 0; i < 5; i++) {
		CHECK(r.buf[i].addr == arena + i * 32);
		CHECK_EQ(32, r.buf[i].len);
		CHECK_EQ(i >= 3, r.buf[i].write);
	}
	sim_complete(&D, &r, 64);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == &tok);
	CHECK_EQ(64, len);
	CHECK_EQ(8, VQ.num_free);
}

/* With indirect descriptors a 5-buffer request takes exactly one ring
 * descriptor (so it fits a queue of 4), whose table holds the 5 buffers in
 * order, NEXT-linked, with WRITE on the in part only. */
static void chain_indirect_one_descriptor(void)
{
	struct sim_req r;
	uint32_t len;
	int tok;

	if (!setup(4, true, false) || !add_and_pop(2, 3, 16, &tok, &r))
		return;
	CHECK(r.indirect);
	CHECK_EQ(1, r.ndesc);
	CHECK_EQ(3, VQ.num_free);
	CHECK_EQ(5 * sizeof(struct virtq_desc), D.desc[r.head].len);
	if (!CHECK_EQ(5, r.nbuf) || !CHECK_EQ(2, r.nout))
		return;
	const struct virtq_desc *t = (const struct virtq_desc *)(uintptr_t)D.desc[r.head].addr;
	for (unsigned i = 0; i < 5; i++) {
		CHECK(r.buf[i].addr == arena + i * 16);
		CHECK_EQ(16, r.buf[i].len);
		CHECK_EQ(i >= 2 ? VIRTQ_DESC_F_WRITE : 0, t[i].flags & VIRTQ_DESC_F_WRITE);
		CHECK_EQ(i < 4 ? VIRTQ_DESC_F_NEXT : 0, t[i].flags & VIRTQ_DESC_F_NEXT);
	}
	sim_complete(&D, &r, 48);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == &tok);
	CHECK_EQ(48, len);
	CHECK_EQ(4, VQ.num_free);
}

/* More buffers than an indirect table holds fall back to a direct chain if
 * the ring has room for them, and are -EINVAL if the ring never could. */
static void chain_longer_than_indirect_table(void)
{
	unsigned n = VIRTQ_INDIRECT_MAX + 1;
	struct sim_req r;
	int tok;

	if (!setup(128, true, false) || !add_and_pop(1, n - 1, 8, &tok, &r))
		return;
	CHECK(!r.indirect);
	CHECK_EQ(n, r.ndesc);
	CHECK_EQ(n, r.nbuf);
	CHECK_EQ(128 - n, VQ.num_free);
	if (!setup(16, true, false))
		return;
	CHECK_EQ(-EINVAL, add_n(1, n - 1, 8, &tok));
	CHECK_EQ(16, VQ.num_free);
}

/* virtq_add rejects no buffers, a zero-length buffer, a NULL token, a count
 * that overflows, and a direct chain longer than the ring with -EINVAL,
 * leaving nothing queued. */
static void add_rejects_invalid_args(void)
{
	struct virtq_buf b[3] = { { arena, 8 }, { arena + 8, 0 }, { arena + 16, 8 } };
	struct sim_req r;
	int tok;

	if (!setup(4, false, false))
		return;
	CHECK_EQ(-EINVAL, virtq_add(&VQ, b, 0, 0, &tok));
	CHECK_EQ(-EINVAL, virtq_add(&VQ, b, 1, 2, &tok));          /* b[1] is empty */
	CHECK_EQ(-EINVAL, virtq_add(&VQ, b + 1, 0, 1, &tok));
	CHECK_EQ(-EINVAL, virtq_add(&VQ, b, 1, 0, NULL));
	CHECK_EQ(-EINVAL, virtq_add(&VQ, b, UINT32_MAX, 2, &tok));  /* nout + nin wraps to 1 */
	CHECK_EQ(-EINVAL, add_n(2, 3, 8, &tok));                   /* 5 > size 4, no indirect */
	CHECK_EQ(4, VQ.num_free);
	CHECK_EQ(0, VQ.inflight);
	virtq_kick(&VQ);
	CHECK_EQ(0, notifies);
	CHECK(!sim_pop(&D, &r));
	CHECK_EQ(0, logs);
}

/* A full ring refuses with -ENOSPC, for single buffers, chains and
 * indirect requests alike, and accepts again once a completion has been
 * collected. */
static void ring_full_enospc_then_recovers(void)
{
	struct sim_req r[4], x;
	uint32_t len;
	int tok[5];

	if (!setup(4, false, false))
		return;
	for (int i = 0; i < 4; i++)
		if (!add_and_pop(0, 1, 8, &tok[i], &r[i]))
			return;
	CHECK_EQ(0, VQ.num_free);
	CHECK_EQ(-ENOSPC, add_n(0, 1, 8, &tok[4]));
	CHECK_EQ(-ENOSPC, add_n(1, 1, 8, &tok[4]));
	sim_complete(&D, &r[2], 0);
	sim_publish(&D);
	CHECK_EQ(-ENOSPC, add_n(0, 1, 8, &tok[4]));               /* not collected yet */
	CHECK(virtq_get_used(&VQ, &len) == &tok[2]);
	if (!add_and_pop(0, 1, 8, &tok[4], &x))
		return;
	CHECK_EQ(r[2].head, x.head);

	/* Chains: a 3-chain needs 3 free descriptors, a 2-chain fits in 2. */
	if (!setup(8, false, false) || !add_and_pop(1, 2, 8, &tok[0], &r[0]) ||
	    !add_and_pop(2, 1, 8, &tok[1], &r[1]))
		return;
	CHECK_EQ(2, VQ.num_free);
	CHECK_EQ(-ENOSPC, add_n(1, 2, 8, &tok[2]));
	if (!add_and_pop(1, 1, 8, &tok[2], &r[2]))
		return;
	CHECK_EQ(0, VQ.num_free);
	sim_complete(&D, &r[0], 16);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == &tok[0]);
	CHECK_EQ(16, len);
	CHECK(add_and_pop(1, 2, 8, &tok[3], &r[3]));

	/* Indirect: four 5-buffer requests fill a ring of 4. */
	if (!setup(4, true, false))
		return;
	for (int i = 0; i < 4; i++)
		if (!add_and_pop(2, 3, 8, &tok[i], &r[i]))
			return;
	CHECK_EQ(-ENOSPC, add_n(2, 3, 8, &tok[4]));
	sim_complete(&D, &r[0], 24);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == &tok[0]);
	CHECK(add_and_pop(2, 3, 8, &tok[4], &x));
	CHECK_EQ(0, logs);
}

struct rec {
	int state;                      /* 0 unused, 1 in flight, 2 returned */
	unsigned nbuf, nout;
	uint32_t in_len, wrote;
	unsigned ndesc;                 /* ring descriptors it should take */
};

/* Many random add/complete cycles, completions in random order and in
 * random batches: every descriptor the device is given belongs to one chain
 * only (sim_pop checks), each token comes back once, in used-ring order, with
 * the length written; num_free always equals size minus the descriptors in
 * flight, so -ENOSPC comes exactly when the ring lacks room; at the end
 * num_free is back to size. */
static void random_cycles_keep_free_list(bool indirect)
{
	enum { NREC = 6000, SIZE = 16 };
	static struct rec rec[NREC];
	static struct sim_req held[SIZE];       /* popped, not completed */
	static struct rec *held_rec[SIZE];
	struct rec *unpopped[SIZE], *done[SIZE];
	unsigned nrec = 0, nheld = 0, nunpopped = 0, ndone = 0, desc_inflight = 0;

	if (!setup(SIZE, indirect, false))
		return;
	memset(rec, 0, sizeof rec);
	while (nrec < NREC || nheld || ndone) {
		unsigned action = nrec < NREC ? rnd() % 3 : 1 + rnd() % 2;

		if (action == 0) {
			for (unsigned k = 1 + rnd() % 4; k && nrec < NREC; k--) {
				struct rec *q = &rec[nrec];
				struct virtq_buf b[6];

				q->nbuf = 1 + rnd() % 6;
				q->nout = rnd() % (q->nbuf + 1);
				q->in_len = 0;
				for (unsigned i = 0; i < q->nbuf; i++) {
					b[i] = (struct virtq_buf){ arena + 256 * i, 1 + rnd() % 200 };
					if (i >= q->nout)
						q->in_len += b[i].len;
				}
				q->ndesc = indirect && q->nbuf > 1 ? 1 : q->nbuf;
				int err = virtq_add(&VQ, b, q->nout, q->nbuf - q->nout, q);
				if (err == -ENOSPC) {
					if (!CHECK(desc_inflight + q->ndesc > SIZE))
						return;
					break;
				}
				if (!CHECK_EQ(0, err))
					return;
				q->state = 1;
				desc_inflight += q->ndesc;
				unpopped[nunpopped++] = q;
				nrec++;
			}
			virtq_kick(&VQ);
			for (unsigned i = 0; i < nunpopped; i++) {
				struct sim_req *r = &held[nheld];
				struct rec *q = unpopped[i];

				if (!CHECK(sim_pop(&D, r)) || !CHECK_EQ(q->ndesc, r->ndesc) ||
				    !CHECK_EQ(q->nbuf, r->nbuf) || !CHECK_EQ(q->nout, r->nout) ||
				    !CHECK_EQ(q->in_len, r->in_len))
					return;
				held_rec[nheld++] = q;
			}
			nunpopped = 0;
		} else if (action == 1) {
			/* The device completes some of what it holds, in any order. */
			for (unsigned k = rnd() % (nheld + 1); k; k--) {
				unsigned j = rnd() % nheld;
				struct rec *q = held_rec[j];

				q->wrote = q->in_len ? rnd() % (q->in_len + 1) : 0;
				sim_fill(&held[j], q->wrote, (uint8_t)j);
				sim_complete(&D, &held[j], q->wrote);
				done[ndone++] = q;
				held[j] = held[nheld - 1];
				held_rec[j] = held_rec[nheld - 1];
				nheld--;
			}
			sim_publish(&D);
		} else {
			void *tok;
			uint32_t len;
			unsigned got = 0;

			while ((tok = virtq_get_used(&VQ, &len))) {
				struct rec *q = tok;

				if (!CHECK(got < ndone) || !CHECK(q == done[got]) || !CHECK_EQ(1, q->state) ||
				    !CHECK_EQ(q->wrote, len))
					return;
				q->state = 2;
				desc_inflight -= q->ndesc;
				got++;
			}
			if (!CHECK_EQ(ndone, got))
				return;
			ndone = 0;
		}
		if (!CHECK_EQ(SIZE - desc_inflight, VQ.num_free) || !CHECK_EQ(nheld + ndone, VQ.inflight))
			return;
	}
	for (unsigned i = 0; i < NREC; i++)
		if (!CHECK_EQ(2, rec[i].state))
			return;
	CHECK_EQ(SIZE, VQ.num_free);
	CHECK_EQ(0, VQ.inflight);
	CHECK_EQ(0, logs);
}

static void random_cycles_direct(void) { random_cycles_keep_free_list(false); }
static void random_cycles_indirect(void) { random_cycles_keep_free_list(true); }

/* 70000 requests, three in flight at a time, through a queue of 4: the
 * avail and used indices wrap past 65535 without losing or reordering a
 * token. With EVENT_IDX and a device that always asks to be notified of the
 * next entry, every kick notifies and used_event follows last_used. */
static void index_wraps_past_65535(void)
{
	enum { N = 70000, DEPTH = 3 };
	static uint32_t ids[N];
	struct sim_req r[DEPTH];
	uint32_t len;

	if (!setup(4, false, true))
		return;
	for (unsigned i = 0; i < N + DEPTH; i++) {
		if (i >= DEPTH) {
			unsigned k = i - DEPTH;

			sim_complete(&D, &r[k % DEPTH], k % 3);
			sim_publish(&D);
			void *tok = virtq_get_used(&VQ, &len);
			if (!CHECK(tok == &ids[k]) || !CHECK_EQ(k % 3, len) ||
			    !CHECK_EQ((uint16_t)(k + 1), *sim_used_event(&D)))
				return;
		}
		if (i < N) {
			*sim_avail_event(&D) = D.last_avail;
			if (!add_and_pop(0, 1, 4, &ids[i], &r[i % DEPTH]))
				return;
		}
	}
	CHECK_EQ((uint16_t)N, D.avail->idx);
	CHECK_EQ((uint16_t)N, D.used->idx);
	CHECK_EQ(N, notifies);
	CHECK_EQ(4, VQ.num_free);
	CHECK_EQ(0, logs);
}

/* With EVENT_IDX, over random batches and random avail_event values near
 * the index, a kick notifies iff avail_event lies in [old idx, new idx)
 * (§2.7.10), a kick with nothing new never does, and the device's
 * VIRTQ_USED_F_NO_NOTIFY is ignored. */
static void event_idx_notify_when_asked(void)
{
	uint16_t published = 0;
	unsigned yes = 0, no = 0;
	static int tok;
	struct sim_req r;
	uint32_t len;

	if (!setup(8, false, true))
		return;
	for (int round = 0; round < 3000; round++) {
		unsigned k = rnd() % 4;
		uint16_t ev = (uint16_t)(published + rnd() % 8 - 2);

		for (unsigned i = 0; i < k; i++)
			if (!CHECK_EQ(0, add_n(0, 1, 8, &tok)))
				return;
		*sim_avail_event(&D) = ev;
		D.used->flags = rnd() & 1 ? VIRTQ_USED_F_NO_NOTIFY : 0;
		int before = notifies;
		virtq_kick(&VQ);
		uint16_t new_idx = (uint16_t)(published + k);
		bool want = (uint16_t)(ev - published) < (uint16_t)(new_idx - published);
		if (!CHECK_EQ(want, notifies - before) || !CHECK_EQ(new_idx, D.avail->idx))
			return;
		if (want)
			yes++;
		else
			no++;
		published = new_idx;
		while (sim_pop(&D, &r))
			sim_complete(&D, &r, 0);
		sim_publish(&D);
		while (virtq_get_used(&VQ, &len))
			;
	}
	CHECK(yes > 300 && no > 300);           /* both outcomes exercised */
	CHECK_EQ(yes, VQ.n_kicks);
}

/* Without EVENT_IDX, VIRTQ_USED_F_NO_NOTIFY suppresses the notify (the
 * index is still published) and avail_event is ignored. */
static void no_notify_flag_without_event_idx(void)
{
	int tok;
	struct sim_req r;

	if (!setup(8, false, false))
		return;
	*sim_avail_event(&D) = 1000;            /* would say "don't" with event idx */
	D.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	CHECK_EQ(0, add_n(0, 1, 8, &tok));
	virtq_kick(&VQ);
	CHECK_EQ(0, notifies);
	CHECK(sim_pop(&D, &r));
	D.used->flags = 0;
	CHECK_EQ(0, add_n(0, 1, 8, &tok));
	virtq_kick(&VQ);
	CHECK_EQ(1, notifies);
	virtq_kick(&VQ);                        /* nothing new */
	CHECK_EQ(1, notifies);
	CHECK(sim_pop(&D, &r));
}

/* With EVENT_IDX, virtq_want_interrupt(true) sets used_event so that the
 * device's next completion interrupts, and reports completions already
 * pending; want(false) sets it so that no near completion does; avail flags
 * stay 0 as §2.7.7 requires with EVENT_IDX. get_used re-arms for the entry
 * after the one it took while interrupts are wanted, and leaves them off
 * while they are not (a poller collecting must not turn them back on). */
static void want_interrupt_event_idx(void)
{
	int tok[4];
	struct sim_req r[4];
	uint32_t len;

	if (!setup(8, false, true))
		return;
	CHECK(!virtq_want_interrupt(&VQ, true));
	CHECK(sim_would_interrupt(&D, 0, 1));
	for (int i = 0; i < 4; i++)
		if (!add_and_pop(0, 1, 8, &tok[i], &r[i]))
			return;
	sim_complete(&D, &r[0], 1);
	sim_publish(&D);
	CHECK(virtq_want_interrupt(&VQ, true));         /* one pending */
	CHECK(virtq_get_used(&VQ, &len) == &tok[0]);
	CHECK(sim_would_interrupt(&D, 1, 2));           /* asks for the next */
	CHECK(!virtq_want_interrupt(&VQ, false));
	CHECK(!sim_would_interrupt(&D, 1, 2));
	CHECK(!sim_would_interrupt(&D, 1, 9));
	CHECK_EQ(0, D.avail->flags);

	sim_complete(&D, &r[1], 1);                     /* polled while off */
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == &tok[1]);
	CHECK(!sim_would_interrupt(&D, 2, 3));
	CHECK(!sim_would_interrupt(&D, 2, 4));

	CHECK(!virtq_want_interrupt(&VQ, true));        /* none pending */
	CHECK(sim_would_interrupt(&D, 2, 3));
	CHECK_EQ(0, D.avail->flags);
	sim_complete(&D, &r[2], 1);
	sim_publish(&D);
	CHECK(virtq_want_interrupt(&VQ, true));
	CHECK(virtq_get_used(&VQ, &len) == &tok[2]);
	CHECK(sim_would_interrupt(&D, 3, 4));           /* still on: re-armed */
}

/* Without EVENT_IDX, virtq_want_interrupt toggles VIRTQ_AVAIL_F_NO_INTERRUPT
 * and reports completions already pending. */
static void want_interrupt_flag(void)
{
	int tok;
	struct sim_req r;

	if (!setup(8, false, false))
		return;
	CHECK(!virtq_want_interrupt(&VQ, false));
	CHECK_EQ(VIRTQ_AVAIL_F_NO_INTERRUPT, D.avail->flags);
	CHECK(!virtq_want_interrupt(&VQ, true));
	CHECK_EQ(0, D.avail->flags);
	if (!add_and_pop(0, 1, 8, &tok, &r))
		return;
	sim_complete(&D, &r, 1);
	sim_publish(&D);
	CHECK(!virtq_want_interrupt(&VQ, false));       /* false even if pending */
	CHECK_EQ(VIRTQ_AVAIL_F_NO_INTERRUPT, D.avail->flags);
	CHECK(virtq_want_interrupt(&VQ, true));
	CHECK_EQ(0, D.avail->flags);
}

/* ---- A device that breaks the protocol ----------------------------------- */

/* The queue is broken and stays so without further noise: one log line
 * (also after more get_used, add and set_broken calls), get_used NULL, adds
 * -EIO, and virtq_detach returns each of want[0..nwant) once, then NULL,
 * with every descriptor free again. */
static void expect_broken(void *const *want, unsigned nwant)
{
	bool seen[8] = { false };
	uint32_t len = 0xdead;
	int tok;
	void *t;

	if (!CHECK(VQ.broken) || !CHECK_EQ(1, logs))
		return;
	CHECK(strstr(last_log, "test") && strstr(last_log, "broken"));
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	CHECK(!virtq_has_used(&VQ));
	CHECK_EQ(-EIO, add_n(0, 1, 8, &tok));
	virtq_set_broken(&VQ, "again");
	CHECK_EQ(1, logs);
	for (unsigned n = 0;; n++) {
		t = virtq_detach(&VQ);
		if (!t) {
			CHECK_EQ(nwant, n);
			break;
		}
		unsigned i = 0;
		while (i < nwant && want[i] != t)
			i++;
		if (!CHECK(i < nwant) || !CHECK(!seen[i]))
			return;
		seen[i] = true;
	}
	CHECK(virtq_detach(&VQ) == NULL);
	CHECK_EQ(VQ.size, VQ.num_free);
	CHECK_EQ(0, VQ.inflight);
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	CHECK_EQ(1, logs);
}

/* Used idx advanced past the requests in flight (here by 2 with one in
 * flight, after a good completion) breaks the queue. */
static void bad_used_idx_ahead(void)
{
	int tok[3];
	struct sim_req r[3];
	uint32_t len;

	if (!setup(8, false, false))
		return;
	for (int i = 0; i < 3; i++)
		if (!add_and_pop(0, 1, 8, &tok[i], &r[i]))
			return;
	sim_complete(&D, &r[0], 1);
	sim_complete(&D, &r[1], 1);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == &tok[0]);
	CHECK(virtq_get_used(&VQ, &len) == &tok[1]);
	CHECK(!VQ.broken);
	sim_complete(&D, &r[2], 1);
	sim_push_raw(&D, r[0].head, 1);                 /* one more than in flight */
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	expect_broken((void *[]){ &tok[2] }, 1);
}

/* Used idx moved backwards looks like 65535 new entries: broken. */
static void bad_used_idx_backwards(void)
{
	int tok[2];
	struct sim_req r[2];
	uint32_t len;

	if (!setup(8, false, false) || !add_and_pop(0, 1, 8, &tok[0], &r[0]) ||
	    !add_and_pop(0, 1, 8, &tok[1], &r[1]))
		return;
	sim_complete(&D, &r[0], 0);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == &tok[0]);
	D.used->idx = 0;
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	expect_broken((void *[]){ &tok[1] }, 1);
}

/* A used id >= size breaks the queue; so does one that would name a real
 * head if truncated to 16 bits (0x10000 + head). */
static void bad_used_id_out_of_range(void)
{
	static const uint32_t bad[] = { 8, 0xffffffff, 0x10000 };
	int tok[2];
	struct sim_req r[2];
	uint32_t len;

	for (unsigned i = 0; i < 3; i++) {
		if (!setup(8, false, false) || !add_and_pop(0, 1, 8, &tok[0], &r[0]) ||
		    !add_and_pop(0, 1, 8, &tok[1], &r[1]))
			return;
		sim_push_raw(&D, bad[i] == 0x10000 ? 0x10000u + r[0].head : bad[i], 0);
		sim_publish(&D);
		CHECK(virtq_get_used(&VQ, &len) == NULL);
		expect_broken((void *[]){ &tok[0], &tok[1] }, 2);
	}
}

/* A used id naming a descriptor inside a chain (not its head), or a free
 * descriptor, is not a request in flight: broken. */
static void bad_used_id_not_a_head(void)
{
	int tok[2];
	struct sim_req r[2];
	uint32_t len;

	if (!setup(8, false, false) || !add_and_pop(1, 2, 8, &tok[0], &r[0]) ||
	    !add_and_pop(0, 1, 8, &tok[1], &r[1]) || !CHECK_EQ(3, r[0].ndesc))
		return;
	sim_push_raw(&D, r[0].desc[1], 8);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	expect_broken((void *[]){ &tok[0], &tok[1] }, 2);

	/* Descriptor 7 is still free: two requests took 0..3. */
	if (!setup(8, false, false) || !add_and_pop(1, 2, 8, &tok[0], &r[0]) ||
	    !add_and_pop(0, 1, 8, &tok[1], &r[1]))
		return;
	sim_push_raw(&D, 7, 0);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	expect_broken((void *[]){ &tok[0], &tok[1] }, 2);
}

/* A chain completed twice: the second entry names a head no longer in
 * flight, whether both entries come in one batch or the second after the
 * first was collected. */
static void bad_double_completion(void)
{
	int tok[3];
	struct sim_req r[3];
	uint32_t len;

	if (!setup(8, false, false) || !add_and_pop(0, 1, 8, &tok[0], &r[0]) ||
	    !add_and_pop(0, 1, 8, &tok[1], &r[1]))
		return;
	sim_complete(&D, &r[0], 2);
	sim_complete(&D, &r[0], 2);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == &tok[0]);
	CHECK(!VQ.broken);
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	expect_broken((void *[]){ &tok[1] }, 1);

	if (!setup(8, true, false) || !add_and_pop(1, 1, 8, &tok[0], &r[0]) ||
	    !add_and_pop(1, 1, 8, &tok[1], &r[1]) || !add_and_pop(1, 1, 8, &tok[2], &r[2]))
		return;
	sim_complete(&D, &r[1], 8);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == &tok[1]);
	sim_push_raw(&D, r[1].head, 8);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	expect_broken((void *[]){ &tok[0], &tok[2] }, 2);
}

/* A used len above the request's writable bytes breaks the queue: 25 for
 * 16 + 8 writable bytes (24 is accepted), 1 for a request with none,
 * 0xffffffff. */
static void bad_used_len(void)
{
	struct virtq_buf b[3] = { { arena, 4 }, { arena + 64, 16 }, { arena + 128, 8 } };
	int tok[2];
	struct sim_req r[2];
	uint32_t len;

	if (!setup(8, false, false))
		return;
	for (int i = 0; i < 2; i++) {
		if (!CHECK_EQ(0, virtq_add(&VQ, b, 1, 2, &tok[i])))
			return;
		virtq_kick(&VQ);
		if (!CHECK(sim_pop(&D, &r[i])))
			return;
	}
	sim_complete(&D, &r[0], 24);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == &tok[0]);
	CHECK_EQ(24, len);
	sim_complete(&D, &r[1], 25);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	expect_broken((void *[]){ &tok[1] }, 1);

	if (!setup(8, false, false) || !add_and_pop(2, 0, 8, &tok[0], &r[0]))
		return;
	sim_complete(&D, &r[0], 1);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	expect_broken((void *[]){ &tok[0] }, 1);

	if (!setup(8, true, false) || !add_and_pop(1, 2, 8, &tok[0], &r[0]))
		return;
	sim_complete(&D, &r[0], 0xffffffff);
	sim_publish(&D);
	CHECK(virtq_get_used(&VQ, &len) == NULL);
	expect_broken((void *[]){ &tok[0] }, 1);
}

/* virtq_set_broken on a healthy queue (a driver giving up on its device)
 * also logs once and hands back everything through detach, including
 * requests added but never kicked. */
static void set_broken_detaches_all(void)
{
	int tok[3];
	struct sim_req r;

	if (!setup(8, true, true) || !add_and_pop(1, 3, 8, &tok[0], &r) ||
	    !CHECK_EQ(0, add_n(1, 1, 8, &tok[1])) || !CHECK_EQ(0, add_n(0, 1, 8, &tok[2])))
		return;
	virtq_set_broken(&VQ, "given up");
	CHECK(strstr(last_log, "given up") != NULL);
	expect_broken((void *[]){ &tok[0], &tok[1], &tok[2] }, 3);
}

int main(void)
{
	RUN(init_sizes_and_layout);
	RUN(round_trip_out_and_in);
	RUN(chain_direct);
	RUN(chain_indirect_one_descriptor);
	RUN(chain_longer_than_indirect_table);
	RUN(add_rejects_invalid_args);
	RUN(ring_full_enospc_then_recovers);
	RUN(random_cycles_direct);
	RUN(random_cycles_indirect);
	RUN(index_wraps_past_65535);
	RUN(event_idx_notify_when_asked);
	RUN(no_notify_flag_without_event_idx);
	RUN(want_interrupt_event_idx);
	RUN(want_interrupt_flag);
	RUN(bad_used_idx_ahead);
	RUN(bad_used_idx_backwards);
	RUN(bad_used_id_out_of_range);
	RUN(bad_used_id_not_a_head);
	RUN(bad_double_completion);
	RUN(bad_used_len);
	RUN(set_broken_detaches_all);
	free(mem);
	return CHECK_DONE();
}
