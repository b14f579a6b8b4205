/*
 * fs/virtiofs/fuse_check.c against fs/virtiofs/fuse_check.h: the gate every
 * FUSE server reply passes. Replies and READDIR(PLUS) payloads are built
 * here byte by byte as a (possibly hostile) server would send them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/virtiofs/fuse_check.h"
#include "kernel/errno.h"
#include "check.h"

#define S_REG 0100000
#define S_DIR 0040000

/* A reply as the device leaves it in our buffer. */
static union {
	struct fuse_out_header oh;
	uint8_t b[4096];
} reply;

/* Fill the header (unique 7, the request's) and check it as a reply of
 * `written` bytes whose successful payload must lie in [min, max]. */
static int check_reply(uint32_t len, int32_t error, uint32_t written, uint32_t min, uint32_t max,
		       uint32_t *payload)
{
	reply.oh = (struct fuse_out_header){ .len = len, .error = error, .unique = 7 };
	return fuse_check_reply(&reply.oh, written, 7, min, max, payload);
}

/* A well-formed reply passes with its payload length; a header-only reply
 * passes with 0 when min is 0. */
static void reply_good(void)
{
	uint32_t n = 0xdead;

	CHECK_EQ(0, check_reply(56, 0, 56, 40, 40, &n));
	CHECK_EQ(40, n);
	n = 0xdead;
	CHECK_EQ(0, check_reply(16, 0, 16, 0, 100, &n));
	CHECK_EQ(0, n);
}

/* A reply to someone else's request (unique differs) is -EIO. */
static void reply_wrong_unique(void)
{
	uint32_t n;

	reply.oh = (struct fuse_out_header){ .len = 56, .error = 0, .unique = 8 };
	CHECK_EQ(-EIO, fuse_check_reply(&reply.oh, 56, 7, 40, 40, &n));
	reply.oh.unique = 7 | (1ull << 32);
	CHECK_EQ(-EIO, fuse_check_reply(&reply.oh, 56, 7, 40, 40, &n));
}

/* Fewer than 16 bytes written cannot hold a header: -EIO, even when
 * oh.len agrees (the device may leave old bytes in the buffer). */
static void reply_shorter_than_header(void)
{
	uint32_t n;

	CHECK_EQ(-EIO, check_reply(0, 0, 0, 0, 100, &n));
	CHECK_EQ(-EIO, check_reply(8, 0, 8, 0, 100, &n));
	CHECK_EQ(-EIO, check_reply(15, 0, 15, 0, 100, &n));
	CHECK_EQ(-EIO, check_reply(15, -ENOENT, 15, 0, 100, &n));
	CHECK_EQ(-EIO, check_reply(8, 0, 8, 0, UINT32_MAX, &n));   /* no room for "payload" -8 */
}

/* oh.len must equal what the device wrote, neither shorter nor longer. */
static void reply_len_not_written(void)
{
	uint32_t n;

	CHECK_EQ(-EIO, check_reply(55, 0, 56, 0, 100, &n));
	CHECK_EQ(-EIO, check_reply(57, 0, 56, 0, 100, &n));
	CHECK_EQ(-EIO, check_reply(UINT32_MAX, 0, 56, 0, 100, &n));
	CHECK_EQ(-EIO, check_reply(16, -ENOENT, 24, 0, 100, &n));
}

/* error must be 0 or in [-4095, -1]: positive values and values below
 * -4095 are -EIO; -4095 itself passes through. */
static void reply_error_range(void)
{
	uint32_t n;

	CHECK_EQ(-EIO, check_reply(16, 1, 16, 0, 100, &n));
	CHECK_EQ(-EIO, check_reply(16, INT32_MAX, 16, 0, 100, &n));
	CHECK_EQ(-EIO, check_reply(16, -4096, 16, 0, 100, &n));
	CHECK_EQ(-EIO, check_reply(16, INT32_MIN, 16, 0, 100, &n));
	CHECK_EQ(-4095, check_reply(16, -4095, 16, 0, 100, &n));
	CHECK_EQ(-1, check_reply(16, -1, 16, 0, 100, &n));
}

/* An error reply carries no payload; one that does is -EIO. */
static void reply_error_with_payload(void)
{
	uint32_t n;

	CHECK_EQ(-EIO, check_reply(20, -ENOENT, 20, 0, 100, &n));
	CHECK_EQ(-EIO, check_reply(17, -EACCES, 17, 0, 100, &n));
}

/* A successful payload must lie in [min, max]: 7 and 17 fail for [8, 16],
 * 8 and 16 pass. */
static void reply_payload_bounds(void)
{
	uint32_t n;

	CHECK_EQ(-EIO, check_reply(16 + 7, 0, 16 + 7, 8, 16, &n));
	CHECK_EQ(0, check_reply(16 + 8, 0, 16 + 8, 8, 16, &n));
	CHECK_EQ(8, n);
	CHECK_EQ(0, check_reply(16 + 16, 0, 16 + 16, 8, 16, &n));
	CHECK_EQ(16, n);
	CHECK_EQ(-EIO, check_reply(16 + 17, 0, 16 + 17, 8, 16, &n));
	CHECK_EQ(-EIO, check_reply(16, 0, 16, 1, 16, &n));
}

/* A well-formed error reply hands the server's -errno to the caller
 * unchanged, whatever min and max say. */
static void reply_enoent_passes_through(void)
{
	uint32_t n;

	CHECK_EQ(-ENOENT, check_reply(16, -ENOENT, 16, 40, 40, &n));
	CHECK_EQ(-ENOSYS, check_reply(16, -ENOSYS, 16, 0, 0, &n));
}

/* Exactly the seven file types pass, whatever the permission bits. */
static void attr_file_types(void)
{
	static const bool valid[16] = { [1] = true, [2] = true, [4] = true, [6] = true,
					[8] = true, [10] = true, [12] = true };
	struct fuse_attr a = { 0 };

	for (uint32_t t = 0; t < 16; t++) {
		char what[48];

		a.mode = t << 12 | 07777;
		snprintf(what, sizeof what, "mode 0%o %s", a.mode, valid[t] ? "accepted" : "rejected");
		if (fuse_check_attr(&a) != (valid[t] ? 0 : -EIO))
			CHECK_FAIL(what, valid[t] ? "rejected" : "accepted");
	}
}

/* Node id 0 is never a usable node, 1 (the root) only with allow_root; a
 * bad file type in the attr is -EIO. */
static void entry_node_ids(void)
{
	struct fuse_entry_out e = { .nodeid = 2, .attr = { .mode = S_REG | 0644 } };

	CHECK_EQ(0, fuse_check_entry(&e, false));
	e.nodeid = 0;
	CHECK_EQ(-EIO, fuse_check_entry(&e, false));
	CHECK_EQ(-EIO, fuse_check_entry(&e, true));
	e.nodeid = FUSE_ROOT_ID;
	CHECK_EQ(-EIO, fuse_check_entry(&e, false));
	CHECK_EQ(0, fuse_check_entry(&e, true));
	e.nodeid = 2;
	e.attr.mode = 0644;                     /* no file type */
	CHECK_EQ(-EIO, fuse_check_entry(&e, false));
	e.attr.mode = 0170644;
	CHECK_EQ(-EIO, fuse_check_entry(&e, true));
}

/* Names are 1..255 bytes without NUL or '/'; only [0, len) is looked at. */
static void name_rules(void)
{
	char big[300];

	memset(big, 'x', sizeof big);
	CHECK_EQ(0, fuse_check_name("a", 1));
	CHECK_EQ(0, fuse_check_name("..", 2));
	CHECK_EQ(0, fuse_check_name(big, 255));
	CHECK_EQ(-EIO, fuse_check_name(big, 256));
	CHECK_EQ(-EIO, fuse_check_name(big, UINT32_MAX));
	CHECK_EQ(-EIO, fuse_check_name("", 0));
	CHECK_EQ(-EIO, fuse_check_name("a\0b", 3));
	CHECK_EQ(-EIO, fuse_check_name("a/b", 3));
	CHECK_EQ(-EIO, fuse_check_name("/", 1));
	CHECK_EQ(0, fuse_check_name("ab/", 2));
	CHECK_EQ(0, fuse_check_name("ab\0", 2));
}

/* ---- READDIR and READDIRPLUS payloads ------------------------------------ */

static union {
	uint64_t align;
	uint8_t b[8192];
} pay;

struct ent {
	const char *name;
	uint32_t namelen;               /* the header's namelen; nbytes if 0 */
	uint64_t nodeid;                /* READDIRPLUS: entry_out.nodeid */
	uint32_t mode;                  /* READDIRPLUS: entry_out.attr.mode */
	uint32_t nbytes;                /* name bytes written; strlen(name) if 0 */
};

/* Write one record at pos (entry_out first if plus) and return the 8-aligned
 * position after its name bytes. ino is 100 + pos, off 1000 + pos, type
 * DT_REG. */
static uint32_t put(uint32_t pos, bool plus, struct ent e)
{
	uint32_t nb = e.nbytes ? e.nbytes : (uint32_t)strlen(e.name);
	struct fuse_dirent d = { .ino = 100 + pos, .off = 1000 + pos,
				 .namelen = e.namelen ? e.namelen : nb, .type = 8 };
	uint32_t start = pos;

	if (plus) {
		struct fuse_entry_out eo = { .nodeid = e.nodeid, .attr = { .ino = 100 + start, .mode = e.mode } };
		memcpy(pay.b + pos, &eo, sizeof eo);
		pos += sizeof eo;
	}
	memcpy(pay.b + pos, &d, sizeof d);
	pos += sizeof d;
	memcpy(pay.b + pos, e.name, nb);
	pos += nb;
	while (pos % 8)
		pay.b[pos++] = 0;
	return pos;
}

/* pay.b[0..len) copied to a heap block of exactly len bytes, so that
 * AddressSanitizer catches any read past the payload. Valid until the next
 * call. */
static uint8_t *exact_;

static const uint8_t *exact(uint32_t len)
{
	free(exact_);
	exact_ = malloc(len ? len : 1);
	memcpy(exact_, pay.b, len);
	return exact_;
}

/* Parse exact(len) and return how many records came out before the end
 * (or -1 at the first -EIO); the views land in out[]. */
static int parse(uint32_t len, bool plus, struct fuse_dirent_view *out, int max)
{
	const uint8_t *buf = exact(len);
	uint32_t pos = 0;
	int n = 0, r;

	while ((r = fuse_dirent_next(buf, len, &pos, plus, &out[n < max ? n : max - 1])) == 1) {
		if (!CHECK(pos <= len) || !CHECK(n < max))
			return -2;
		n++;
	}
	if (r == -EIO)
		return -1;
	CHECK_EQ(0, r);
	return n;
}

/* Several well-formed records come out in order with their ino, off,
 * type, name and (plus) entry, each pos 8-aligned; then the end (0). The
 * same holds with the last record's padding cut off. */
static void dirents_well_formed(bool plus)
{
	static const struct ent e[] = {
		{ .name = ".", .nodeid = FUSE_ROOT_ID, .mode = S_DIR | 0755 },
		{ .name = "..", .nodeid = 0 },
		{ .name = "file.txt", .nodeid = 5, .mode = S_REG | 0644 },
		{ .name = "a name", .nodeid = 6, .mode = S_REG },
		{ .name = "x", .nodeid = 7, .mode = S_DIR | 0700 },
	};
	struct fuse_dirent_view v[8];
	uint32_t at[6], len = 0;

	memset(&pay, 0xee, sizeof pay);
	for (int i = 0; i < 5; i++) {
		at[i] = len;
		len = put(len, plus, e[i]);
	}
	at[5] = len;
	for (int cut = 0; cut <= 1; cut++) {
		uint32_t l = cut ? at[4] + (plus ? 152 : 24) + 1 : len;   /* "x" without padding */

		if (!CHECK_EQ(5, parse(l, plus, v, 8)))
			return;
		for (int i = 0; i < 5; i++) {
			uint32_t dpos = at[i] + (plus ? 128 : 0);

			CHECK_EQ(strlen(e[i].name), v[i].namelen);
			CHECK(v[i].name == (const char *)exact_ + dpos + 24);
			CHECK_EQ(100 + at[i], v[i].ino);
			CHECK_EQ(1000 + at[i], v[i].off);
			CHECK_EQ(8, v[i].type);
			if (plus) {
				if (CHECK(v[i].entry == (const void *)(exact_ + at[i])))
					CHECK_EQ(e[i].nodeid, v[i].entry->nodeid);
			} else {
				CHECK(v[i].entry == NULL);
			}
		}
		const uint8_t *buf = exact(l);
		uint32_t pos = 0;
		for (int i = 0; i < 5; i++) {
			CHECK_EQ(1, fuse_dirent_next(buf, l, &pos, plus, &v[0]));
			CHECK_EQ(i < 4 || !cut ? at[i + 1] : l, pos);
		}
		CHECK_EQ(0, fuse_dirent_next(buf, l, &pos, plus, &v[0]));
	}
	uint32_t pos = len + 8;                 /* past the end */
	CHECK_EQ(0, fuse_dirent_next(exact(len), len, &pos, plus, &v[0]));
	CHECK_EQ(0, parse(0, plus, v, 8));      /* empty payload */
}

static void readdir_well_formed(void) { dirents_well_formed(false); }
static void readdirplus_well_formed(void) { dirents_well_formed(true); }

/* Records a hostile server could send, each -EIO: a header cut short
 * (first or second record), a name running past the payload, namelen 0,
 * 256 or 0xffffffff, a name with '/' or NUL. */
static void dirents_malformed(bool plus)
{
	uint32_t head = plus ? 152 : 24, len, pos;
	struct fuse_dirent_view v[4];

	len = put(0, plus, (struct ent){ .name = "ok", .nodeid = 9, .mode = S_REG });
	for (uint32_t l = 1; l < head; l++)                 /* truncated header */
		if (!CHECK_EQ(-1, parse(l, plus, v, 4)))
			break;
	CHECK_EQ(-1, parse(len + head - 1, plus, v, 4));    /* second one truncated */
	pos = 0;
	const uint8_t *buf = exact(len + 10);
	CHECK_EQ(1, fuse_dirent_next(buf, len + 10, &pos, plus, &v[0]));
	CHECK_EQ(len, pos);
	CHECK_EQ(-EIO, fuse_dirent_next(buf, len + 10, &pos, plus, &v[0]));

	len = put(0, plus, (struct ent){ .name = "abcde", .namelen = 10 });
	CHECK_EQ(-1, parse(len, plus, v, 4));               /* namelen past the end */
	put(0, plus, (struct ent){ .name = "abcdefghij", .nodeid = 9, .mode = S_REG });
	CHECK_EQ(-1, parse(head + 9, plus, v, 4));          /* ... by one byte */
	CHECK_EQ(1, parse(head + 10, plus, v, 4));          /* just fits: fine */

	static const struct ent bad[] = {
		{ .name = "", .namelen = UINT32_MAX }, { .name = "a/b" }, { .name = "/" },
		{ .name = "a\0b", .nbytes = 3 },
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		len = put(0, plus, bad[i]);
		if (CHECK_EQ(-1, parse(len, plus, v, 4)) != 1)
			fprintf(stderr, "    (bad name %u)\n", i);
	}
	/* namelen 0 and 256 with enough bytes behind them. */
	memset(&pay, 'n', sizeof pay);
	put(0, plus, (struct ent){ .name = "" });
	CHECK_EQ(-1, parse(head + 64, plus, v, 4));
	put(0, plus, (struct ent){ .name = "", .namelen = 256 });
	memset(pay.b + head, 'n', 256);
	CHECK_EQ(-1, parse(head + 256, plus, v, 4));
	put(0, plus, (struct ent){ .name = "", .namelen = 255, .nodeid = 9, .mode = S_REG });
	memset(pay.b + head, 'n', 255);
	CHECK_EQ(1, parse(head + 255, plus, v, 4));         /* 255 is the limit */
}

static void readdir_malformed(void) { dirents_malformed(false); }
static void readdirplus_malformed(void) { dirents_malformed(true); }

/* READDIRPLUS entries: node id 1 (the root) is accepted for "." and ".."
 * only; node id 0 means no lookup and is accepted whatever the attr says;
 * any other node id needs a valid file type. */
static void readdirplus_entries(void)
{
	static const struct { const char *name; uint64_t nodeid; uint32_t mode; int want; } c[] = {
		{ "sub", 1, S_DIR, -1 },
		{ "...", 1, S_DIR, -1 },
		{ ".x", 1, S_DIR, -1 },
		{ "x.", 1, S_DIR, -1 },
		{ ".", 1, S_DIR, 1 },
		{ "..", 1, S_DIR, 1 },
		{ "file", 0, 0, 1 },
		{ "..", 0, 0, 1 },
		{ "file", 5, 0, -1 },
		{ "file", 5, 0170000, -1 },
		{ "file", 5, S_REG | 0644, 1 },
	};
	struct fuse_dirent_view v[2];

	for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
		uint32_t len = put(0, true, (struct ent){ .name = c[i].name, .nodeid = c[i].nodeid,
								   .mode = c[i].mode });
		int got = parse(len, true, v, 2);

		if (got != c[i].want) {
			char what[80], seen[16];

			snprintf(what, sizeof what, "%s for \"%s\" node id %llu mode 0%o",
				 c[i].want == 1 ? "1 record" : "-EIO", c[i].name,
				 (unsigned long long)c[i].nodeid, c[i].mode);
			snprintf(seen, sizeof seen, "%d", got);
			CHECK_FAIL(what, seen);
		} else if (got == 1) {
			CHECK(v[0].entry && v[0].entry->nodeid == c[i].nodeid);
		}
	}
}

int main(void)
{
	RUN(reply_good);
	RUN(reply_wrong_unique);
	RUN(reply_shorter_than_header);
	RUN(reply_len_not_written);
	RUN(reply_error_range);
	RUN(reply_error_with_payload);
	RUN(reply_payload_bounds);
	RUN(reply_enoent_passes_through);
	RUN(attr_file_types);
	RUN(entry_node_ids);
	RUN(name_rules);
	RUN(readdir_well_formed);
	RUN(readdirplus_well_formed);
	RUN(readdir_malformed);
	RUN(readdirplus_malformed);
	RUN(readdirplus_entries);
	free(exact_);
	return CHECK_DONE();
}
