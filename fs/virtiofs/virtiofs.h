/*
 * virtio-fs as a VFS file system (fs/virtiofs/virtiofs.c). The mount
 * functions are declared in fs/vnode.h with the other file systems'.
 */
#pragma once

#include <stdint.h>
#include <sys/stat.h>

#include "fs/virtiofs/fuse.h"

struct mount;
struct fuse_conn;

/* struct stat from a FUSE attribute, with st_dev = dev. */
void virtiofs_attr_to_stat(const struct fuse_attr *a, uint64_t dev, struct stat *st);

/* The FUSE session behind a virtio-fs mount, or NULL for other mounts. */
struct fuse_conn *virtiofs_conn(struct mount *m);
