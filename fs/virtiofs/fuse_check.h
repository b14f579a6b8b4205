/*
 * Checking what the FUSE server sends back. The server (virtiofsd) is
 * untrusted input: each reply goes through fuse_check_reply() before any
 * field is used, new node ids and names through the helpers below. Every
 * violation gives -EIO to the caller and nothing else. Pure code: tested on
 * the host (tests/unit/test_fuse_check.c) and fuzzed (tests/fuzz/).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "fs/virtiofs/fuse.h"

#define FUSE_NAME_MAX 255

/* Check a reply the device says is `written` bytes long, for the request
 * with this `unique`, whose successful payload must be between min and max
 * bytes. Returns the server's error (a negative errno, passed through) or
 * 0 with *payload set to the payload length; -EIO if the reply is
 * malformed: shorter than a header, len not equal to written, unique not
 * ours, error outside [-4095, 0], an error reply carrying a payload, or a
 * payload outside [min, max]. */
int fuse_check_reply(const struct fuse_out_header *oh, uint32_t written, uint64_t unique,
		     uint32_t min, uint32_t max, uint32_t *payload);

/* 0 if a's file type is one a server may report (S_IFREG, S_IFDIR,
 * S_IFLNK, S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK), else -EIO. */
int fuse_check_attr(const struct fuse_attr *a);

/* 0 if e names a usable new node: node id not 0 and not the root (1) unless
 * allow_root, and a valid attr; else -EIO. */
int fuse_check_entry(const struct fuse_entry_out *e, bool allow_root);

/* 0 if name[0..len) is a valid directory entry name: 1-255 bytes, no NUL,
 * no '/'; else -EIO. */
int fuse_check_name(const char *name, uint32_t len);

/* One directory entry from a READDIR or READDIRPLUS reply. */
struct fuse_dirent_view {
	const struct fuse_entry_out *entry;     /* READDIRPLUS only, else NULL */
	uint64_t ino;
	uint64_t off;                           /* cookie to continue after it */
	uint32_t type;                          /* DT_* */
	const char *name;                       /* not NUL-terminated */
	uint32_t namelen;
};

/* Parse the entry at *pos of a reply payload buf[0..len). Returns 1 and
 * advances *pos past it, 0 at the end of the payload, or -EIO for a
 * truncated record, a bad name, or (plus) a bad entry. An entry's node id
 * of 0 in READDIRPLUS means "no lookup was done" and is allowed. */
int fuse_dirent_next(const void *buf, uint32_t len, uint32_t *pos, bool plus,
		     struct fuse_dirent_view *out);
