/*
 * The FUSE protocol, as virtio-fs carries it: our own transcription of the
 * message layouts, opcodes and flags, each marked with the protocol minor
 * version (7.x) it appeared in. Every request starts with fuse_in_header,
 * every reply with fuse_out_header; the op-specific part follows. All
 * fields are host-endian, which for virtio-fs on x86 is little-endian.
 *
 * remora speaks 7.31 or newer (FUSE_SETUPMAPPING for DAX arrived in 7.31);
 * fuse_conn.c is the one place where the negotiated minor gates features.
 * tests/unit/test_fuse_layout.c checks these layouts against the host's
 * <linux/fuse.h>.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define FUSE_KERNEL_VERSION       7
#define FUSE_KERNEL_MINOR_VERSION 38    /* what we announce in INIT */
#define FUSE_MIN_MINOR            31    /* the oldest server we accept */

#define FUSE_ROOT_ID 1                  /* node id of the mount's root */

/* Opcodes. */
enum fuse_opcode {
	FUSE_LOOKUP          = 1,
	FUSE_FORGET          = 2,       /* no reply */
	FUSE_GETATTR         = 3,
	FUSE_SETATTR         = 4,
	FUSE_READLINK        = 5,
	FUSE_SYMLINK         = 6,
	FUSE_MKNOD           = 8,
	FUSE_MKDIR           = 9,
	FUSE_UNLINK          = 10,
	FUSE_RMDIR           = 11,
	FUSE_RENAME          = 12,
	FUSE_LINK            = 13,
	FUSE_OPEN            = 14,
	FUSE_READ            = 15,
	FUSE_WRITE           = 16,
	FUSE_STATFS          = 17,
	FUSE_RELEASE         = 18,
	FUSE_FSYNC           = 20,
	FUSE_SETXATTR        = 21,
	FUSE_GETXATTR        = 22,
	FUSE_LISTXATTR       = 23,
	FUSE_REMOVEXATTR     = 24,
	FUSE_FLUSH           = 25,
	FUSE_INIT            = 26,
	FUSE_OPENDIR         = 27,
	FUSE_READDIR         = 28,
	FUSE_RELEASEDIR      = 29,
	FUSE_FSYNCDIR        = 30,
	FUSE_GETLK           = 31,
	FUSE_SETLK           = 32,
	FUSE_SETLKW          = 33,
	FUSE_ACCESS          = 34,
	FUSE_CREATE          = 35,
	FUSE_INTERRUPT       = 36,
	FUSE_BMAP            = 37,
	FUSE_DESTROY         = 38,
	FUSE_IOCTL           = 39,      /* 7.11 */
	FUSE_POLL            = 40,      /* 7.11 */
	FUSE_NOTIFY_REPLY    = 41,      /* 7.15 */
	FUSE_BATCH_FORGET    = 42,      /* 7.16, no reply */
	FUSE_FALLOCATE       = 43,      /* 7.19 */
	FUSE_READDIRPLUS     = 44,      /* 7.21 */
	FUSE_RENAME2         = 45,      /* 7.23 */
	FUSE_LSEEK           = 46,      /* 7.24 */
	FUSE_COPY_FILE_RANGE = 47,      /* 7.28 */
	FUSE_SETUPMAPPING    = 48,      /* 7.31 */
	FUSE_REMOVEMAPPING   = 49,      /* 7.31 */
	FUSE_SYNCFS          = 50,      /* 7.34 */
	FUSE_TMPFILE         = 51,      /* 7.37 */
	FUSE_STATX           = 52,      /* 7.39 */
	FUSE_OP_MAX          = 53,
};

struct fuse_in_header {
	uint32_t len;           /* whole request, header included */
	uint32_t opcode;
	uint64_t unique;        /* echoed in the reply; 0 is reserved */
	uint64_t nodeid;
	uint32_t uid;
	uint32_t gid;
	uint32_t pid;
	uint16_t total_extlen;  /* 7.36: extension length in 8-byte units */
	uint16_t padding;
};
_Static_assert(sizeof(struct fuse_in_header) == 40, "fuse_in_header");

struct fuse_out_header {
	uint32_t len;           /* whole reply, header included */
	int32_t error;          /* 0 or -errno */
	uint64_t unique;
};
_Static_assert(sizeof(struct fuse_out_header) == 16, "fuse_out_header");

struct fuse_attr {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;        /* 512-byte units */
	uint64_t atime;
	uint64_t mtime;
	uint64_t ctime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint32_t rdev;
	uint32_t blksize;       /* 7.9 */
	uint32_t flags;         /* 7.36: FUSE_ATTR_* (was padding) */
};
_Static_assert(sizeof(struct fuse_attr) == 88, "fuse_attr");
#define FUSE_ATTR_SUBMOUNT (1u << 0)    /* 7.32 */
#define FUSE_ATTR_DAX      (1u << 1)    /* 7.36 */

/* LOOKUP, MKNOD, MKDIR, SYMLINK, LINK reply; CREATE reply's first part. */
struct fuse_entry_out {
	uint64_t nodeid;        /* never 0 (negative entry only if entry_valid) */
	uint64_t generation;
	uint64_t entry_valid;   /* seconds the name may be cached */
	uint64_t attr_valid;    /* seconds the attributes may be cached */
	uint32_t entry_valid_nsec;
	uint32_t attr_valid_nsec;
	struct fuse_attr attr;
};
_Static_assert(sizeof(struct fuse_entry_out) == 128, "fuse_entry_out");

struct fuse_forget_in {
	uint64_t nlookup;       /* lookups of this node to drop */
};
struct fuse_forget_one {        /* 7.16 */
	uint64_t nodeid;
	uint64_t nlookup;
};
struct fuse_batch_forget_in {   /* 7.16; count fuse_forget_one follow */
	uint32_t count;
	uint32_t dummy;
};

struct fuse_getattr_in {        /* 7.9 */
	uint32_t getattr_flags;
	uint32_t dummy;
	uint64_t fh;
};
#define FUSE_GETATTR_FH (1u << 0)

struct fuse_attr_out {
	uint64_t attr_valid;
	uint32_t attr_valid_nsec;
	uint32_t dummy;
	struct fuse_attr attr;
};
_Static_assert(sizeof(struct fuse_attr_out) == 104, "fuse_attr_out");

struct fuse_mknod_in {
	uint32_t mode;
	uint32_t rdev;
	uint32_t umask;         /* 7.12 */
	uint32_t padding;
};

struct fuse_mkdir_in {
	uint32_t mode;
	uint32_t umask;         /* 7.12 */
};

struct fuse_rename_in {         /* followed by "old\0new\0" */
	uint64_t newdir;
};
struct fuse_rename2_in {        /* 7.23 */
	uint64_t newdir;
	uint32_t flags;         /* RENAME_NOREPLACE 1, RENAME_EXCHANGE 2, RENAME_WHITEOUT 4 */
	uint32_t padding;
};

struct fuse_link_in {           /* followed by the new name */
	uint64_t oldnodeid;
};

/* SETATTR: `valid` says which fields mean something. */
#define FATTR_MODE         (1u << 0)
#define FATTR_UID          (1u << 1)
#define FATTR_GID          (1u << 2)
#define FATTR_SIZE         (1u << 3)
#define FATTR_ATIME        (1u << 4)
#define FATTR_MTIME        (1u << 5)
#define FATTR_FH           (1u << 6)
#define FATTR_ATIME_NOW    (1u << 7)    /* 7.9 */
#define FATTR_MTIME_NOW    (1u << 8)    /* 7.9 */
#define FATTR_LOCKOWNER    (1u << 9)    /* 7.9 */
#define FATTR_CTIME        (1u << 10)   /* 7.23 */
#define FATTR_KILL_SUIDGID (1u << 11)   /* 7.33 */

struct fuse_setattr_in {
	uint32_t valid;
	uint32_t padding;
	uint64_t fh;
	uint64_t size;
	uint64_t lock_owner;
	uint64_t atime;
	uint64_t mtime;
	uint64_t ctime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t mode;
	uint32_t unused4;
	uint32_t uid;
	uint32_t gid;
	uint32_t unused5;
};
_Static_assert(sizeof(struct fuse_setattr_in) == 88, "fuse_setattr_in");
_Static_assert(offsetof(struct fuse_setattr_in, mode) == 68, "fuse_setattr_in.mode");

struct fuse_open_in {
	uint32_t flags;         /* open(2) flags, without O_CREAT|O_EXCL|O_NOCTTY */
	uint32_t open_flags;    /* 7.33: FUSE_OPEN_KILL_SUIDGID (was unused) */
};

struct fuse_create_in {         /* followed by the name */
	uint32_t flags;
	uint32_t mode;
	uint32_t umask;         /* 7.12 */
	uint32_t open_flags;    /* 7.33 (was padding) */
};

struct fuse_open_out {
	uint64_t fh;
	uint32_t open_flags;    /* FOPEN_* */
	uint32_t padding;
};
#define FOPEN_DIRECT_IO             (1u << 0)
#define FOPEN_KEEP_CACHE            (1u << 1)
#define FOPEN_NONSEEKABLE           (1u << 2)   /* 7.10 */
#define FOPEN_CACHE_DIR             (1u << 3)   /* 7.28 */
#define FOPEN_STREAM                (1u << 4)   /* 7.31 */
#define FOPEN_NOFLUSH               (1u << 5)   /* 7.35 */
#define FOPEN_PARALLEL_DIRECT_WRITES (1u << 6)  /* 7.36 */

struct fuse_release_in {
	uint64_t fh;
	uint32_t flags;
	uint32_t release_flags; /* FUSE_RELEASE_FLUSH ... */
	uint64_t lock_owner;
};
#define FUSE_RELEASE_FLUSH (1u << 0)

struct fuse_flush_in {
	uint64_t fh;
	uint32_t unused;
	uint32_t padding;
	uint64_t lock_owner;
};

struct fuse_read_in {
	uint64_t fh;
	uint64_t offset;
	uint32_t size;
	uint32_t read_flags;
	uint64_t lock_owner;    /* 7.9 */
	uint32_t flags;         /* 7.9: open flags */
	uint32_t padding;
};
_Static_assert(sizeof(struct fuse_read_in) == 40, "fuse_read_in");

struct fuse_write_in {          /* followed by the data */
	uint64_t fh;
	uint64_t offset;
	uint32_t size;
	uint32_t write_flags;   /* FUSE_WRITE_* */
	uint64_t lock_owner;    /* 7.9 */
	uint32_t flags;         /* 7.9: open flags */
	uint32_t padding;
};
_Static_assert(sizeof(struct fuse_write_in) == 40, "fuse_write_in");
#define FUSE_WRITE_CACHE     (1u << 0)
#define FUSE_WRITE_LOCKOWNER (1u << 1)
#define FUSE_WRITE_KILL_SUIDGID (1u << 2)       /* 7.31 */

struct fuse_write_out {
	uint32_t size;          /* bytes written */
	uint32_t padding;
};

struct fuse_kstatfs {
	uint64_t blocks;
	uint64_t bfree;
	uint64_t bavail;
	uint64_t files;
	uint64_t ffree;
	uint32_t bsize;
	uint32_t namelen;
	uint32_t frsize;
	uint32_t padding;
	uint32_t spare[6];
};
struct fuse_statfs_out {
	struct fuse_kstatfs st;
};
_Static_assert(sizeof(struct fuse_statfs_out) == 80, "fuse_statfs_out");

struct fuse_fsync_in {
	uint64_t fh;
	uint32_t fsync_flags;   /* FUSE_FSYNC_FDATASYNC */
	uint32_t padding;
};
#define FUSE_FSYNC_FDATASYNC (1u << 0)

/* INIT. The request's flags are what the client can do; the reply's are
 * what the server agrees to. flags2 (7.36) holds bits 32-63, valid only
 * with FUSE_INIT_EXT. */
struct fuse_init_in {
	uint32_t major;
	uint32_t minor;
	uint32_t max_readahead;
	uint32_t flags;
	uint32_t flags2;        /* 7.36 */
	uint32_t unused[11];
};
_Static_assert(sizeof(struct fuse_init_in) == 64, "fuse_init_in");

struct fuse_init_out {
	uint32_t major;
	uint32_t minor;
	uint32_t max_readahead;
	uint32_t flags;
	uint16_t max_background;        /* 7.13 */
	uint16_t congestion_threshold;  /* 7.13 */
	uint32_t max_write;             /* 7.5: largest WRITE payload */
	uint32_t time_gran;             /* 7.23: ns granularity of times */
	uint16_t max_pages;             /* 7.28: with FUSE_MAX_PAGES */
	uint16_t map_alignment;         /* 7.31: log2 of DAX mapping alignment */
	uint32_t flags2;                /* 7.36 */
	uint32_t max_stack_depth;       /* 7.40 (was unused) */
	uint32_t unused[6];
};
_Static_assert(sizeof(struct fuse_init_out) == 64, "fuse_init_out");
_Static_assert(offsetof(struct fuse_init_out, max_pages) == 28, "fuse_init_out.max_pages");

#define FUSE_ASYNC_READ         (1u << 0)
#define FUSE_POSIX_LOCKS        (1u << 1)
#define FUSE_FILE_OPS           (1u << 2)
#define FUSE_ATOMIC_O_TRUNC     (1u << 3)
#define FUSE_EXPORT_SUPPORT     (1u << 4)
#define FUSE_BIG_WRITES         (1u << 5)
#define FUSE_DONT_MASK          (1u << 6)
#define FUSE_SPLICE_WRITE       (1u << 7)
#define FUSE_SPLICE_MOVE        (1u << 8)
#define FUSE_SPLICE_READ        (1u << 9)
#define FUSE_FLOCK_LOCKS        (1u << 10)
#define FUSE_HAS_IOCTL_DIR      (1u << 11)
#define FUSE_AUTO_INVAL_DATA    (1u << 12)
#define FUSE_DO_READDIRPLUS     (1u << 13)      /* 7.21 */
#define FUSE_READDIRPLUS_AUTO   (1u << 14)      /* 7.21 */
#define FUSE_ASYNC_DIO          (1u << 15)      /* 7.22 */
#define FUSE_WRITEBACK_CACHE    (1u << 16)      /* 7.23 */
#define FUSE_NO_OPEN_SUPPORT    (1u << 17)      /* 7.23 */
#define FUSE_PARALLEL_DIROPS    (1u << 18)      /* 7.25 */
#define FUSE_HANDLE_KILLPRIV    (1u << 19)      /* 7.26 */
#define FUSE_POSIX_ACL          (1u << 20)      /* 7.26 */
#define FUSE_ABORT_ERROR        (1u << 21)      /* 7.27 */
#define FUSE_MAX_PAGES          (1u << 22)      /* 7.28 */
#define FUSE_CACHE_SYMLINKS     (1u << 23)      /* 7.28 */
#define FUSE_NO_OPENDIR_SUPPORT (1u << 24)      /* 7.29 */
#define FUSE_EXPLICIT_INVAL_DATA (1u << 25)     /* 7.30 */
#define FUSE_MAP_ALIGNMENT      (1u << 26)      /* 7.31 */
#define FUSE_SUBMOUNTS          (1u << 27)      /* 7.32 */
#define FUSE_HANDLE_KILLPRIV_V2 (1u << 28)      /* 7.33 */
#define FUSE_SETXATTR_EXT       (1u << 29)      /* 7.33 */
#define FUSE_INIT_EXT           (1u << 30)      /* 7.36 */
#define FUSE_INIT_RESERVED      (1u << 31)

/* Without FUSE_MAX_PAGES a request carries at most this many pages. */
#define FUSE_DEFAULT_MAX_PAGES 32       /* 128 KiB */
#define FUSE_MAX_MAX_PAGES     256      /* the most a server may ask for */

/* READDIR replies: records padded to 8 bytes. */
struct fuse_dirent {
	uint64_t ino;
	uint64_t off;           /* cookie for the next READDIR's offset */
	uint32_t namelen;
	uint32_t type;          /* DT_* (mode >> 12) */
	char name[];
};
_Static_assert(offsetof(struct fuse_dirent, name) == 24, "fuse_dirent");
#define FUSE_DIRENT_ALIGN(x) (((x) + 7) & ~(uint64_t)7)

/* READDIRPLUS: an entry (with a lookup reference!) before each dirent. */
struct fuse_direntplus {
	struct fuse_entry_out entry_out;
	struct fuse_dirent dirent;
};
_Static_assert(offsetof(struct fuse_direntplus, dirent) == 128, "fuse_direntplus");

struct fuse_lseek_in {          /* 7.24 */
	uint64_t fh;
	uint64_t offset;
	uint32_t whence;        /* SEEK_DATA 3, SEEK_HOLE 4 */
	uint32_t padding;
};
struct fuse_lseek_out {
	uint64_t offset;
};

struct fuse_fallocate_in {      /* 7.19 */
	uint64_t fh;
	uint64_t offset;
	uint64_t length;
	uint32_t mode;          /* FALLOC_FL_* */
	uint32_t padding;
};

struct fuse_copy_file_range_in { /* 7.28 */
	uint64_t fh_in;
	uint64_t off_in;
	uint64_t nodeid_out;
	uint64_t fh_out;
	uint64_t off_out;
	uint64_t len;
	uint64_t flags;
};

/* DAX (7.31): map [foffset, foffset+len) of the file at moffset of the
 * device's cache window. */
struct fuse_setupmapping_in {
	uint64_t fh;            /* or -1: the server opens the node itself */
	uint64_t foffset;
	uint64_t len;
	uint64_t flags;         /* FUSE_SETUPMAPPING_FLAG_* */
	uint64_t moffset;
};
#define FUSE_SETUPMAPPING_FLAG_WRITE (1ull << 0)
#define FUSE_SETUPMAPPING_FLAG_READ  (1ull << 1)

struct fuse_removemapping_in {  /* count fuse_removemapping_one follow */
	uint32_t count;
};
struct fuse_removemapping_one {
	uint64_t moffset;
	uint64_t len;
};

/* POSIX record locks (GETLK, SETLK, SETLKW): byte range [start, end]
 * inclusive, type F_RDLCK/F_WRLCK/F_UNLCK, owned by `owner`. */
struct fuse_file_lock {
	uint64_t start;
	uint64_t end;           /* OFFSET_MAX: to the end of the file */
	uint32_t type;
	uint32_t pid;           /* GETLK reply: the holder (0 if not ours) */
};
struct fuse_lk_in {
	uint64_t fh;
	uint64_t owner;
	struct fuse_file_lock lk;
	uint32_t lk_flags;      /* FUSE_LK_FLOCK: a flock(2) lock (7.9) */
	uint32_t padding;
};
struct fuse_lk_out {
	struct fuse_file_lock lk;
};
_Static_assert(sizeof(struct fuse_lk_in) == 48, "fuse_lk_in");
#define FUSE_LK_FLOCK (1u << 0)

struct fuse_access_in {
	uint32_t mask;
	uint32_t padding;
};
