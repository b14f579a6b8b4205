/*
 * Inside the VFS: vnodes, open files, mounts and the operations a file
 * system provides. Only fs/ includes this; everyone else uses fs/vfs.h.
 *
 * Vnode lifecycle. A vnode stands for one node of one mount (for virtio-fs,
 * one FUSE node id). It is created by a lookup-like reply (LOOKUP, CREATE,
 * MKDIR, MKNOD, SYMLINK, LINK), and each such reply also adds one to
 * `nlookup`, the count the server keeps for that node. `refs` counts the
 * kernel's holders: path walks in progress, open files, the current
 * directory, child directories (through `parent`), mounts. When refs drops
 * to 0 the vnode is freed at once (cache=none keeps nothing) and its
 * nlookup is handed to the file system's forget(), which for virtio-fs
 * queues a FORGET so the server can close the host file descriptor it
 * holds for the node. The vnode table finds a live vnode by (mount, node
 * id), so a node reached twice is one vnode with one count.
 *
 * Directories remember the parent they were looked up in and their name,
 * for ".." and getcwd. A rename by this kernel updates them; a rename on
 * the host is not seen (documented in docs/vfs.md).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include "fs/vfs.h"

struct vnode;
struct file;
struct mount;

/* Called for each directory entry by readdir: return 0 to go on, 1 to stop
 * before this entry (it will be returned again next time). */
typedef int (*vfs_filldir_fn)(void *ctx, const char *name, uint32_t namelen, uint64_t ino,
			      unsigned type, uint64_t next_off);

/* A file system's operations. `dir` arguments are directories; names are
 * single components (no '/', not "." or ".."). Functions creating or
 * finding a node return it with one reference in *out. Unsupported
 * operations are NULL (the VFS returns -EPERM/-EINVAL as Linux would). */
struct vnode_ops {
	int (*lookup)(struct vnode *dir, const char *name, struct vnode **out);
	int (*getattr)(struct vnode *vn, struct file *f, struct stat *st);
	int (*setattr)(struct vnode *vn, struct file *f, const struct vfs_attr *a);
	int (*open)(struct vnode *vn, struct file *f);          /* f->flags set */
	int (*create)(struct vnode *dir, const char *name, mode_t mode, struct file *f,
		      struct vnode **out);                     /* open too */
	int (*flush)(struct file *f);
	void (*release)(struct file *f);
	ssize_t (*read)(struct file *f, void *buf, size_t n, off_t off);
	ssize_t (*write)(struct file *f, const void *buf, size_t n, off_t off);
	int (*readdir)(struct file *f, vfs_filldir_fn fill, void *ctx);
	int (*fsync)(struct file *f, bool datasync);
	off_t (*lseek)(struct file *f, off_t off, int whence);  /* SEEK_DATA/HOLE */
	int (*fallocate)(struct file *f, int mode, off_t off, off_t len);
	int (*mkdir)(struct vnode *dir, const char *name, mode_t mode, struct vnode **out);
	int (*mknod)(struct vnode *dir, const char *name, mode_t mode, dev_t dev, struct vnode **out);
	int (*symlink)(struct vnode *dir, const char *name, const char *target, struct vnode **out);
	int (*link)(struct vnode *vn, struct vnode *dir, const char *name, struct vnode **out);
	int (*unlink)(struct vnode *dir, const char *name);
	int (*rmdir)(struct vnode *dir, const char *name);
	int (*rename)(struct vnode *odir, const char *oname, struct vnode *ndir, const char *nname,
		      unsigned flags);
	ssize_t (*readlink)(struct vnode *vn, char *buf, size_t n);
	/* Byte-range lock on the server: cmd F_GETLK/F_SETLK/F_SETLKW, range
	 * [*start, *end] inclusive; *type in and out; for GETLK the
	 * conflicting lock comes back in *type, *start, *end and *pid.
	 * -ENOSYS when the server does not forward locks. */
	int (*lock)(struct file *f, uint64_t owner, int cmd, uint64_t *start, uint64_t *end,
		    int *type, uint32_t *pid);
	int (*statfs)(struct vnode *vn, struct statfs *st);
	/* mmap(MAP_SHARED): map vm->len bytes of vm->f from vm->off at vm->va
	 * in the kernel's page tables (vm->write: writable), sharing the
	 * file's pages with the host. -ENODEV when this file cannot be. */
	int (*mmap)(struct vfs_mapping *vm);
	/* Remove [va, va+len) (page-aligned, inside vm) of such a mapping.
	 * True when nothing of it is left (its file-system state is freed):
	 * all of it removed at once or in pieces. */
	bool (*munmap)(struct vfs_mapping *vm, uint64_t va, uint64_t len);
	/* The last reference is gone: hand back nlookup and free fs state. */
	void (*forget)(struct vnode *vn);
};

struct mount {
	const char *path;               /* where it is mounted, for the log */
	const char *source;             /* the device tag, or "devfs" */
	const struct vnode_ops *ops;
	void *fs;                       /* the file system's own state */
	struct vnode *root;             /* held while mounted */
	/* Covered name: lookups of `cname` in `cdir` give `root` instead. The
	 * root mount has none. */
	struct vnode *cdir;
	char cname[VFS_NAME_MAX + 1];
	uint64_t dev;                   /* st_dev reported for its files */
};

struct vnode {
	struct mount *mnt;
	uint64_t nodeid;                /* the file system's name for it */
	uint64_t nlookup;               /* server-side lookup count to forget */
	int refs;
	mode_t type;                    /* S_IFMT bits: never change for a node */
	struct vnode *parent;           /* directories: where it was found (ref) */
	char *name;                     /* directories: its name there */
	struct vnode *hnext;            /* vnode table chain */
	void *priv;                     /* file system's per-node state */
	bool plocked;                   /* process-owned locks were taken */
	bool gone;                      /* a directory this kernel removed */
};

struct file {
	struct vnode *vn;
	int refs;
	int flags;                      /* O_* as opened; status flags settable */
	off_t off;
	uint64_t fh;                    /* the server's file handle */
	bool has_fh;
	bool direct;                    /* no page cache for this open (FOPEN_DIRECT_IO, cache=none) */
	bool truncated;                 /* open() already truncated (atomic O_TRUNC) */
	/* Directories: the cookie for the next READDIR and whether the host
	 * said the stream ended. */
	uint64_t dir_off;
	bool dir_eof;
	bool ofd_locked;                /* OFD locks were taken through it */
	int flock;                      /* flock(2) state: 0, LOCK_SH, LOCK_EX */
	void *priv;
};

/* Find the live vnode for (mnt, nodeid) and add a reference, or create one
 * with refs 1, nlookup 0 and this type. NULL if out of memory. */
struct vnode *vnode_get(struct mount *mnt, uint64_t nodeid, mode_t type);

/* Add a reference. */
struct vnode *vnode_ref(struct vnode *vn);

/* Drop a reference; the last one frees the vnode, calls its forget() and
 * drops its parent reference. NULL is ignored. */
void vnode_put(struct vnode *vn);

/* Record where a directory was found (takes a reference on parent). */
void vnode_set_parent(struct vnode *vn, struct vnode *parent, const char *name);

/* A rename moved (odir, oname) to (ndir, nname), or swapped them: update
 * the parent and name live directories remember. */
void vnode_renamed(struct vnode *odir, const char *oname, struct vnode *ndir, const char *nname,
		   bool exchange);

/* Live vnodes, for tests and the FORGET accounting check. */
int vnode_count(void);

/* Walk `path` from base (NULL: cwd). On success *out holds a reference to
 * the node (follow a final symlink unless VFS_NOFOLLOW is in flags).
 * vfs_walk_parent stops before the last component: *dir is its directory,
 * the component is copied into last (VFS_NAME_MAX+1 bytes; it may be "."
 * or "..", and it is "" for a path of only slashes), and *trailing_slash
 * says whether a '/' followed it. Errors: see vfs.h. */
int vfs_walk(struct file *base, const char *path, int flags, struct vnode **out);
int vfs_walk_parent(struct file *base, const char *path, struct vnode **dir, char *last,
		    bool *trailing_slash);

/* The current directory (a reference is held by the VFS). */
struct vnode *vfs_cwd(void);

/* Mount table (fs/mount.c). */
struct mount *vfs_mount_covering(struct vnode *dir, const char *name);
struct mount *vfs_root_mount(void);
int vfs_add_mount(struct mount *m);

/* Devfs (fs/devfs.c): a mount for /dev with console and null. */
struct mount *devfs_create(void);
#define DEVFS_CONSOLE_ID 2
/* The devfs mount (created at vfs_init, mounted on /dev if there is a root). */
struct mount *vfs_devfs(void);

/* Virtio-fs (fs/virtiofs/virtiofs.c): a mount for the device with this tag. */
/* opts: NULL or "cache=none|auto|always,writeback|no_writeback". */
struct mount *virtiofs_mount(const char *tag, bool trace, const char *opts, int *err);
void virtiofs_unmount(struct mount *m);
