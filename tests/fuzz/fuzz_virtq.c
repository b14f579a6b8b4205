/*
 * libFuzzer target for drivers/virtio/virtq.c with a hostile device: the
 * input is a script of driver calls (add, kick, get_used, want_interrupt)
 * interleaved with what the device writes into the shared rings (used
 * entries with any id and len, any used idx, avail_event and used flags).
 * Valid ids are made likely by letting the device pick among the heads it
 * took from the avail ring. Invariants (REQUIRE below): nothing crashes, a
 * token comes back at most once and only after it was added, with a len no
 * larger than its writable bytes; num_free never exceeds the size; once
 * broken the queue logs once, adds fail with -EIO, get_used returns NULL;
 * at the end virtq_detach() returns exactly the tokens still outstanding.
 * Run by `make -C tests/fuzz check`.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio/virtq.h"
#include "kernel/errno.h"

#define REQUIRE(c) do {                                                         \
		if (!(c)) {                                                     \
			fprintf(stderr, "fuzz_virtq: %s:%d: broken promise: %s\n", \
				__FILE__, __LINE__, #c);                        \
			abort();                                                \
		}                                                               \
	} while (0)

#define MAXTOK 256

enum { UNUSED, INFLIGHT, RETURNED, DETACHED };

struct tok {
	int state;
	uint32_t in_len;        /* writable bytes */
	uint16_t head;          /* the head the driver put on the avail ring */
};

static struct tok toks[MAXTOK];
static unsigned ntok, broken_logs;
static uint8_t bufmem[8 * 256];         /* what the buffers point at */

struct script {
	const uint8_t *p;
	size_t left;
};

static uint8_t take8(struct script *s)
{
	if (!s->left)
		return 0;
	s->left--;
	return *s->p++;
}

static uint16_t take16(struct script *s) { return (uint16_t)(take8(s) | take8(s) << 8); }
static uint32_t take32(struct script *s) { return take16(s) | (uint32_t)take16(s) << 16; }

static int count_log(const char *fmt, ...)
{
	if (strstr(fmt, "broken"))
		broken_logs++;
	return 0;
}

static struct tok *as_tok(void *t)
{
	struct tok *k = t;

	REQUIRE(k >= toks && k < toks + ntok);
	return k;
}

/* The device: heads taken from the avail ring, not yet completed. */
struct dev {
	uint16_t last_avail, used_idx;
	uint16_t heads[1 << 10];
	unsigned nheads;
};

static void dev_take_avail(struct virtq *vq, struct dev *d)
{
	while (d->last_avail != vq->avail->idx) {
		uint16_t h = vq->avail->ring[d->last_avail & (vq->size - 1)];

		REQUIRE(h < vq->size);
		if (d->nheads < sizeof d->heads / sizeof d->heads[0])
			d->heads[d->nheads++] = h;
		d->last_avail++;
	}
}

static void add(struct virtq *vq, struct script *s)
{
	struct virtq_buf b[40];
	uint8_t c = take8(s);
	unsigned n = c & 0x80 ? 1 + take8(s) % 40 : 1 + c % 6;
	unsigned nout = take8(s) % (n + 1);
	uint32_t in_len = 0;
	bool direct, broken;
	unsigned free_before;
	int r;

	for (unsigned i = 0; i < n; i++) {
		b[i] = (struct virtq_buf){ bufmem + 8 * (i % 256), 1 + take8(s) % 8 };
		if (i >= nout)
			in_len += b[i].len;
	}
	if (ntok == MAXTOK)
		return;
	toks[ntok] = (struct tok){ UNUSED, in_len, 0 };
	direct = !vq->use_indirect || n == 1 || n > VIRTQ_INDIRECT_MAX;
	free_before = vq->num_free;
	broken = vq->broken;
	r = virtq_add(vq, b, nout, n - nout, &toks[ntok]);
	if (broken) {
		REQUIRE(r == -EIO);
	} else if (direct && n > vq->size) {
		REQUIRE(r == -EINVAL);
	} else if (free_before < (direct ? n : 1)) {
		REQUIRE(r == -ENOSPC);
	} else {
		REQUIRE(r == 0);
		REQUIRE(vq->num_free == free_before - (direct ? n : 1));
	}
	if (r == 0) {
		toks[ntok].state = INFLIGHT;
		toks[ntok++].head = vq->avail->ring[(uint16_t)(vq->avail_idx - 1) & (vq->size - 1)];
	}
}

/* The device writes a used entry (not yet published): mostly a head it
 * took, else an id built to probe the checks. */
static void write_used(struct virtq *vq, struct dev *d, struct script *s)
{
	uint8_t sel = take8(s), l = take8(s);
	uint32_t id, len;

	if (sel < 0xc0 && d->nheads) {
		unsigned j = sel % d->nheads;

		id = d->heads[j];
		if (sel & 1)            /* a well-behaved device forgets it */
			d->heads[j] = d->heads[--d->nheads];
	} else {
		switch (sel & 3) {
		case 0:
			id = take32(s);
			break;
		case 1:                 /* a head, were it truncated to 16 bits */
			id = (d->nheads ? d->heads[take8(s) % d->nheads] : take8(s)) |
			     (uint32_t)(take8(s) | 1) << 16;
			break;
		case 2:                 /* inside a chain, free, or just past the ring */
			id = take8(s) % (2u * vq->size);
			break;
		default:
			id = UINT32_MAX - take8(s);
			break;
		}
	}
	len = l < 0xc0 ? l : take32(s);
	vq->used->ring[d->used_idx & (vq->size - 1)] = (struct virtq_used_elem){ id, len };
	d->used_idx++;
}

/* Whatever get_used hands out is exactly what the device wrote in the next
 * used entry, for a request in flight, and only when the used index had
 * not run ahead of the requests in flight. */
static void get_used(struct virtq *vq, struct script *s)
{
	for (unsigned k = take8(s) % 8 + 1; k; k--) {
		bool was_broken = vq->broken;
		uint16_t ahead = (uint16_t)(vq->used->idx - vq->last_used), inflight = vq->inflight;
		struct virtq_used_elem e = vq->used->ring[vq->last_used & (vq->size - 1)];
		uint32_t len = 0xdeadbeef;
		void *t = virtq_get_used(vq, &len);

		if (!t)
			return;
		REQUIRE(!was_broken && !vq->broken);
		REQUIRE(ahead <= inflight);
		struct tok *tk = as_tok(t);
		REQUIRE(tk->state == INFLIGHT);
		REQUIRE(e.id == tk->head && e.len == len);
		REQUIRE(len <= tk->in_len);
		tk->state = RETURNED;
	}
}

static unsigned count_inflight(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ntok; i++)
		n += toks[i].state == INFLIGHT;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script s = { data, size };
	static struct dev d;
	struct virtq vq;
	uint8_t cfg = take8(&s);
	uint16_t qsize = (uint16_t)(1u << (cfg % 6));          /* 1 .. 32 */
	size_t memsize = virtq_mem_size(qsize);
	void *mem = aligned_alloc(4096, memsize);

	memset(mem, 0, memsize);
	memset(&d, 0, sizeof d);
	memset(toks, 0, sizeof toks);
	ntok = broken_logs = 0;
	REQUIRE(virtq_init(&vq, 0, qsize, mem, cfg & 0x10, cfg & 0x20) == 0);
	vq.log = count_log;
	vq.trace = cfg & 0x40;
	vq.name = "fuzz";

	while (s.left) {
		switch (take8(&s) % 8) {
		case 0:
			add(&vq, &s);
			break;
		case 1:
			virtq_kick(&vq);
			dev_take_avail(&vq, &d);
			break;
		case 2:
			write_used(&vq, &d, &s);
			break;
		case 3:                 /* publish what was written */
			vq.used->idx = d.used_idx;
			break;
		case 4:                 /* publish any index */
			d.used_idx = take16(&s);
			vq.used->idx = d.used_idx;
			break;
		case 5:
			get_used(&vq, &s);
			break;
		case 6: {
			bool want = take8(&s) & 1, pending = virtq_want_interrupt(&vq, want);

			REQUIRE(!pending || (want && !vq.broken));
			REQUIRE(!virtq_has_used(&vq) || !vq.broken);
			break;
		}
		case 7:                 /* the device's notification suppression */
			*(le16 *)&vq.used->ring[qsize] = take16(&s);
			vq.used->flags = take16(&s);
			break;
		}
		REQUIRE(vq.num_free <= qsize);
		REQUIRE(vq.inflight == count_inflight());
		REQUIRE(broken_logs == (vq.broken ? 1u : 0u));
	}

	/* The end: nothing more from a broken queue; detach hands back exactly
	 * the tokens still outstanding, each once. */
	if (vq.broken) {
		uint32_t len;
		REQUIRE(virtq_get_used(&vq, &len) == NULL);
	}
	unsigned outstanding = count_inflight(), detached = 0;
	void *t;
	while ((t = virtq_detach(&vq))) {
		struct tok *k = as_tok(t);

		REQUIRE(k->state == INFLIGHT);
		k->state = DETACHED;
		detached++;
		REQUIRE(detached <= outstanding);
	}
	REQUIRE(detached == outstanding);
	REQUIRE(vq.num_free == qsize && vq.inflight == 0);
	REQUIRE(broken_logs <= 1);
	free(mem);
	return 0;
}
