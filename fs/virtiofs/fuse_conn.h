/*
 * A FUSE session with one virtio-fs device: INIT and what it negotiated,
 * the generic request/reply exchange (every reply checked by
 * fuse_check_reply), batched FORGETs on the high-priority queue, and the
 * trace=fuse log (one line per request: opcode, node, offsets/lengths,
 * result, microseconds).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtio_fs.h"
#include "fs/virtiofs/fuse.h"

#define FUSE_FORGET_BATCH 64

struct fuse_conn {
	struct virtio_fs *dev;
	uint32_t minor;                 /* negotiated protocol minor */
	uint32_t flags;                 /* FUSE_* INIT flags both sides agreed */
	uint32_t max_write;             /* bytes of data per WRITE */
	uint32_t max_read;              /* bytes of data per READ */
	uint32_t max_readahead;
	uint16_t max_pages;
	uint16_t map_alignment;         /* log2, for DAX */
	uint32_t time_gran;
	uint64_t unique;                /* last unique used */
	bool trace;
	bool dead;                      /* INIT failed or DESTROY sent */
	int nforget;
	struct fuse_forget_one forget[FUSE_FORGET_BATCH];
	uint64_t n_forgets_sent;        /* nodes forgotten, for tests */
};

/* One part of a request or reply. Zero-length parts are skipped. */
struct fuse_arg {
	const void *p;
	uint32_t len;
};

/* A request: the in-parts follow the fuse_in_header the exchange builds;
 * the out-parts receive the reply after its fuse_out_header. Page-cache
 * I/O names up to FUSE_REQ_PAGES separate page frames. */
#define FUSE_REQ_PAGES 60
struct fuse_req {
	uint32_t opcode;
	uint64_t nodeid;
	unsigned nin, nout;
	struct fuse_arg in[3 + FUSE_REQ_PAGES];
	struct fuse_arg out[2 + FUSE_REQ_PAGES];
	uint32_t min_out;               /* least payload a success may carry */
	uint32_t out_len;               /* result: payload bytes received */
	/* For the trace line only: */
	const char *tname;              /* a name argument */
	int64_t toff, tlen;             /* -1: not shown */
};

/* Send INIT on dev and record the result in c. 0; -EPROTO-like -EIO if the
 * server speaks an older protocol than 7.31 or replies badly. */
int fuse_conn_init(struct fuse_conn *c, struct virtio_fs *dev, bool trace, bool writeback);

/* Exchange one request and its reply. Returns the server's result: 0 with
 * r->out_len set, or a negative errno (from the server, or -EIO for a
 * malformed reply or a broken queue). */
int fuse_request(struct fuse_conn *c, struct fuse_req *r);

/* Queue a FORGET of nlookup lookups of node; sent in batches. */
void fuse_forget(struct fuse_conn *c, uint64_t nodeid, uint64_t nlookup);

/* Send the queued FORGETs now (one BATCH_FORGET). */
void fuse_forget_flush(struct fuse_conn *c);

/* Flush forgets and send DESTROY; the connection is unusable afterwards. */
void fuse_conn_destroy(struct fuse_conn *c);

/* The opcode's name ("LOOKUP"), or "OP?" for an unknown one. */
const char *fuse_opname(uint32_t opcode);
