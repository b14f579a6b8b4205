/*
 * FUSE reply validation: the one gate every server reply passes. See
 * fuse_check.h for each rule.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fs/virtiofs/fuse_check.h"
#include "kernel/errno.h"

#define MAX_ERRNO 4095

int fuse_check_reply(const struct fuse_out_header *oh, uint32_t written, uint64_t unique,
		     uint32_t min, uint32_t max, uint32_t *payload)
{
	uint32_t n;

	if (written < sizeof(*oh) || oh->len != written || oh->unique != unique)
		return -EIO;
	if (oh->error > 0 || oh->error < -MAX_ERRNO)
		return -EIO;
	n = written - (uint32_t)sizeof(*oh);
	if (oh->error < 0)
		return n == 0 ? oh->error : -EIO;
	if (n < min || n > max)
		return -EIO;
	*payload = n;
	return 0;
}

int fuse_check_attr(const struct fuse_attr *a)
{
	switch (a->mode & 0170000) {
	case 0100000: case 0040000: case 0120000: case 0010000:
	case 0020000: case 0060000: case 0140000:
		return 0;
	default:
		return -EIO;
	}
}

int fuse_check_entry(const struct fuse_entry_out *e, bool allow_root)
{
	if (e->nodeid == 0 || (e->nodeid == FUSE_ROOT_ID && !allow_root))
		return -EIO;
	return fuse_check_attr(&e->attr);
}

int fuse_check_name(const char *name, uint32_t len)
{
	if (len == 0 || len > FUSE_NAME_MAX)
		return -EIO;
	if (memchr(name, 0, len) || memchr(name, '/', len))
		return -EIO;
	return 0;
}

int fuse_dirent_next(const void *buf, uint32_t len, uint32_t *pos, bool plus,
		     struct fuse_dirent_view *out)
{
	const uint8_t *p = (const uint8_t *)buf + *pos;
	uint32_t left, head = plus ? sizeof(struct fuse_direntplus) : sizeof(struct fuse_dirent);
	const struct fuse_dirent *d;
	uint64_t rec;

	if (*pos >= len)
		return 0;
	left = len - *pos;
	if (left < head)
		return -EIO;
	/* Records start 8-aligned in the payload; copy-free access is fine
	 * because the payload buffer itself is 8-aligned. */
	d = plus ? &((const struct fuse_direntplus *)p)->dirent : (const struct fuse_dirent *)p;
	if (d->namelen == 0 || d->namelen > FUSE_NAME_MAX)
		return -EIO;
	rec = FUSE_DIRENT_ALIGN((uint64_t)head + d->namelen);
	/* The last record's padding may be cut off by the server. */
	if ((uint64_t)head + d->namelen > left)
		return -EIO;
	if (fuse_check_name(d->name, d->namelen))
		return -EIO;
	out->entry = NULL;
	if (plus) {
		const struct fuse_entry_out *e = &((const struct fuse_direntplus *)p)->entry_out;
		bool dot = (d->namelen == 1 && d->name[0] == '.') ||
			   (d->namelen == 2 && d->name[0] == '.' && d->name[1] == '.');

		if (e->nodeid != 0 && fuse_check_entry(e, dot))
			return -EIO;
		out->entry = e;
	}
	out->ino = d->ino;
	out->off = d->off;
	out->type = d->type;
	out->name = d->name;
	out->namelen = d->namelen;
	*pos = rec > left ? len : *pos + (uint32_t)rec;
	return 1;
}
