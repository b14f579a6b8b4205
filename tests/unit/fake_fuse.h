/*
 * A fake virtio-fs device with a scripted FUSE server behind it, for
 * host-built tests of the whole file-system stack (fs/ over
 * fs/virtiofs/): tests/unit/test_vfs*.c, through vfs_harness.h.
 *
 * fake_fuse.c implements, for the host, what the fs code takes from the rest
 * of the kernel: virtio_fs_request / virtio_fs_send_oneway / virtio_fs_find /
 * virtio_fs_get (drivers/virtio/virtio_fs.h), kmalloc/kfree, page frames
 * (page_alloc_range, page_free, mem_top), kprintf, console_read/console_write,
 * clock_monotonic_ns, random_bytes and panic. Each request is parsed as the
 * FUSE server would (header, then the opcode's arguments, each checked to be
 * exactly what the protocol says), answered from an in-memory tree
 * (directories, files, symlinks, hard links, FIFOs) with the errno a Linux
 * host gives, and the reply is written into the request's device-writable
 * buffers. The server keeps each node's lookup count as virtiofsd
 * does; a kernel that forgets more than it looked up, or sends a request for
 * a node it has forgotten, or a malformed request, is a "violation": the
 * fake records it (fake_violations()) and the test fails. Like virtiofsd
 * (QEMU 7.2), UNLINK, RMDIR and RENAME find their victim among the nodes the
 * kernel holds: a victim it does not hold gets EIO (and is a violation).
 * FALLOCATE does modes 0, KEEP_SIZE, PUNCH_HOLE|KEEP_SIZE and COLLAPSE_RANGE.
 * With FUSE_POSIX_LOCKS offered, GETLK/SETLK/SETLKW keep byte-range locks
 * per node and lock owner, as virtiofsd -o posix_lock does on the host.
 * NOTE: SETLKW is answered as SETLK (a conflict: EDEADLK, the fake cannot
 * wait), where virtiofsd 7.2 answers EOPNOTSUPP: the kernel's retry loop for
 * that halts the CPU between tries, which a host test cannot run.
 *
 * The server can be scripted: an errno for the next request of an opcode,
 * ENOSYS for an opcode, a hook run before a request (another host process
 * acting between two requests), a malformed next reply (enum fake_fault),
 * or a broken queue (every request -EIO).
 *
 * DAX (docs/dax.md). Each regular file's bytes live in a memfd. A device
 * made with fake_opts.dax_window has a cache window: host address space
 * reserved PROT_NONE, reported as shared memory region 0, which the kernel
 * uses as guest-physical = host address. FUSE_SETUPMAPPING mmaps the file's
 * memfd there (MAP_SHARED | MAP_FIXED, PROT_READ or PROT_READ|PROT_WRITE as
 * the flags say) and FUSE_REMOVEMAPPING puts PROT_NONE back, exactly as the
 * project's patched QEMU does (tools/dax-host/): so a kernel access to an
 * unmapped part of the window, a store into a read-only mapping, or an
 * access past the file's end (SIGBUS) crashes the test, as it would kill
 * the VM; a signal handler names the window page first. Requests are
 * checked as virtiofsd and QEMU check them (alignment, bounds, count).
 * vm_map accepts the window; vm_map_at/vm_unmap/vm_lookup keep a page table
 * for the "shared va" region (fake_shared_va(), where applications' shared
 * file mappings go): each page is a real host alias of the file page the
 * window page holds, so a test may load and store through it. A buffer
 * inside a window or the shared va region must never reach the device:
 * virtio_fs_host_visible() says false for them, and virtio_fs_request()
 * aborts the test if one arrives anyway (fuse_conn.c must have bounced it).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio/virtio_fs.h"

/* ---- Devices ------------------------------------------------------------ */

/* What the server answers to INIT. Zero fields take the defaults. */
struct fake_opts {
	uint32_t minor;                 /* protocol minor; default 36 (Debian 12) */
	uint32_t max_write;             /* default 1 MiB */
	uint16_t max_pages;             /* with FUSE_MAX_PAGES; default 256 */
	bool no_readdirplus;            /* don't offer FUSE_DO_READDIRPLUS */
	bool no_atomic_o_trunc;         /* don't offer FUSE_ATOMIC_O_TRUNC */
	bool root_not_dir;              /* GETATTR of node 1 says S_IFREG */
	bool posix_locks;               /* offer FUSE_POSIX_LOCKS (virtiofsd -o posix_lock) */
	uint64_t dax_window;            /* bytes of DAX window (a multiple of 4 KiB); 0: none */
	uint16_t map_alignment;         /* INIT's map_alignment (log2) with a window; 0: 12 */
};

/* A new device with this tag and an empty root directory (node 1, mode
 * 0755), with a DAX window if o->dax_window. The first one added is
 * virtio_fs_get(0). At most 8. */
struct virtio_fs *fake_dev_add(const char *tag, const struct fake_opts *o);

/* ---- The server's tree, set up and inspected behind the kernel's back ----
 * Paths are relative to the device's root ("a/b"; "" is the root), each
 * component an existing directory entry (no symlinks followed). Setup
 * functions abort on misuse (a missing parent, an existing name). */

uint64_t fake_add_dir(struct virtio_fs *d, const char *path, uint32_t mode);
uint64_t fake_add_file(struct virtio_fs *d, const char *path, const void *data, size_t len);
uint64_t fake_add_symlink(struct virtio_fs *d, const char *path, const char *target);
uint64_t fake_add_fifo(struct virtio_fs *d, const char *path);
/* A second name for an existing node; also for directories, which no sane
 * server has (a hostile tree). */
uint64_t fake_add_link(struct virtio_fs *d, const char *existing, const char *path);
/* Remove a name (a directory with everything below it). 0 or -ENOENT. */
int fake_remove(struct virtio_fs *d, const char *path);
/* Another host process writes len bytes at off into a regular file
 * (extending it), or truncates it to size: the file's pages, and so any
 * window mapping of them, change at once. Abort if not a regular file. */
void fake_write(struct virtio_fs *d, const char *path, uint64_t off, const void *data, size_t len);
void fake_truncate(struct virtio_fs *d, const char *path, uint64_t size);

/* The st_ino the server reports for a node. */
#define FAKE_INO(nodeid) (100000 + (uint64_t)(nodeid))

/* Node id of path, 0 if it does not exist. */
uint64_t fake_node(struct virtio_fs *d, const char *path);
/* Its mode (type and permissions), 0 if it does not exist. */
uint32_t fake_mode(struct virtio_fs *d, const char *path);
/* A regular file's bytes (and length), NULL if not a regular file. */
const uint8_t *fake_data(struct virtio_fs *d, const char *path, size_t *len);
/* A symlink's target, NULL if not a symlink. */
const char *fake_target(struct virtio_fs *d, const char *path);

/* A POSIX lock held on the host by another process: lock owner
 * FAKE_HOST_OWNER(pid), type F_RDLCK/F_WRLCK over [start, end] inclusive;
 * GETLK reports pid as its holder. */
#define FAKE_HOST_OWNER(pid) (0xf000000000000000ull | (uint64_t)(pid))
void fake_add_lock(struct virtio_fs *d, const char *path, int type, uint64_t start, uint64_t end,
		   uint32_t pid);
/* Locks on path's node held by this lock owner (0: by anyone). */
int fake_locks(struct virtio_fs *d, const char *path, uint64_t owner);

/* The server's lookup count for a node (what the kernel must FORGET). */
int64_t fake_nlookup(struct virtio_fs *d, uint64_t nodeid);
/* Nodes with a nonzero lookup count, described ("node 7 \"a/b\": 2") into
 * buf for a failure message. */
int fake_lookups_held(struct virtio_fs *d, char *buf, size_t n);
/* File handles from OPEN/OPENDIR/CREATE not yet released. */
int fake_open_handles(struct virtio_fs *d);
/* Whether DESTROY arrived; FORGET/BATCH_FORGET messages received. */
bool fake_destroyed(struct virtio_fs *d);
uint64_t fake_forget_msgs(struct virtio_fs *d);

/* ---- Violations: the kernel broke the protocol ----------------------------- */

/* How many so far (all devices); the first message goes into buf. */
int fake_violations(char *buf, size_t n);
void fake_violations_clear(void);
/* While on, violations are counted but not printed (a test provoking them). */
void fake_violations_quiet(bool on);

/* ---- The request log ------------------------------------------------------ */

struct fake_rec {
	uint32_t opcode;
	uint64_t unique;
	uint64_t nodeid;
	uint64_t fh;            /* READ/WRITE/RELEASE/FLUSH/...; LINK: old node */
	uint64_t off;           /* READ/WRITE/READDIR/LSEEK/FALLOCATE offset */
	uint32_t size;          /* READ/WRITE/READDIR size; SETATTR valid */
	uint32_t flags;         /* OPEN/CREATE flags, RENAME2 flags, LSEEK whence,
				   FALLOCATE mode, BATCH_FORGET count,
				   GETLK/SETLK(W) lock type */
	uint64_t owner;         /* GETLK/SETLK(W): lock owner */
	uint64_t start, end;    /* GETLK/SETLK(W): the range, inclusive */
	uint64_t nlookup;       /* FORGET: lookups dropped (summed for a batch) */
	char name[256];         /* first name argument, if any */
	char name2[256];        /* second (RENAME new name, SYMLINK target) */
	const void *data;       /* READ: the buffer the data was written to;
				   WRITE: the buffer the data was read from */
	uint32_t data_len;
	int error;              /* what the server answered (0 or -errno) */
	uint32_t payload;       /* reply payload bytes (before any fault) */
	/* SETUPMAPPING: off = foffset, flags = FUSE_SETUPMAPPING_FLAG_*,
	 * moff[0] and len. REMOVEMAPPING: flags = count, each entry's moff
	 * (the first 32) and len the first entry's. */
	uint64_t moff[32];
	uint64_t len;
};

void fake_log_clear(struct virtio_fs *d);
int fake_log_len(struct virtio_fs *d);
const struct fake_rec *fake_log(struct virtio_fs *d, int i);
/* Requests with this opcode since the last clear. */
int fake_log_count(struct virtio_fs *d, uint32_t opcode);
/* The i-th (0-based) request with this opcode since the clear, or NULL. */
const struct fake_rec *fake_log_find(struct virtio_fs *d, uint32_t opcode, int i);

/* ---- Scripting -------------------------------------------------------------- */

/* The next request with this opcode gets err (a negative errno) from the
 * server without being carried out. */
void fake_fail_next(struct virtio_fs *d, uint32_t opcode, int err);
/* Every request with this opcode gets -ENOSYS while on. */
void fake_enosys(struct virtio_fs *d, uint32_t opcode, bool on);
/* Run fn before the next request with this opcode is handled. */
void fake_hook_next(struct virtio_fs *d, uint32_t opcode, void (*fn)(struct virtio_fs *, void *),
		    void *arg);

/* Malformed replies. A reply-level fault voids the reply: lookups and file
 * handles the request produced are taken back (the kernel cannot know of
 * them). Entry faults likewise do not count the entry's lookup. */
enum fake_fault {
	FAKE_FAULT_NONE,
	FAKE_FAULT_WRONG_UNIQUE,        /* out.unique is another request's */
	FAKE_FAULT_LEN_SHORT,           /* out.len = bytes written - 1 */
	FAKE_FAULT_LEN_LONG,            /* out.len = bytes written + 1 */
	FAKE_FAULT_SHORT_HEADER,        /* only 8 bytes written */
	FAKE_FAULT_ERROR_POSITIVE,      /* out.error = +2 */
	FAKE_FAULT_ERROR_BELOW,         /* out.error = -4096 */
	FAKE_FAULT_ERROR_PAYLOAD,       /* out.error = -ENOENT with 8 payload bytes */
	FAKE_FAULT_OVERSIZED,           /* len and byte count 8 past the buffers */
	FAKE_FAULT_SHORT_PAYLOAD,       /* a success payload one byte short */
	FAKE_FAULT_NODEID_0,            /* entry reply: node id 0 */
	FAKE_FAULT_NODEID_1,            /* entry reply: node id 1 (the root) */
	FAKE_FAULT_BAD_MODE,            /* entry or attr reply: file type 0170000 */
	FAKE_FAULT_DIRENT_SLASH,        /* READDIR(PLUS): a name "a/b" after one good record */
	FAKE_FAULT_DIRENT_TRUNCATED,    /* READDIR(PLUS): a record cut inside its header */
	FAKE_FAULT_READLINK_NUL,        /* READLINK: a NUL inside the target */
	FAKE_FAULT_WRITE_TOO_MUCH,      /* WRITE: out.size = in.size + 1 */
	FAKE_FAULT_COUNT
};
const char *fake_fault_name(enum fake_fault f);
/* The next reply to opcode (0: to any request) is malformed this way. A
 * fault that does not fit the reply (an entry fault on an error reply) is a
 * violation. */
void fake_fault_next(struct virtio_fs *d, uint32_t opcode, enum fake_fault f);

/* A broken queue: virtio_fs_request and virtio_fs_send_oneway give -EIO
 * without reaching the server. */
void fake_set_broken(struct virtio_fs *d, bool broken);

/* ---- DAX ------------------------------------------------------------------ */

/* The device's window (host address = guest-physical address) and its
 * length; NULL if it has none. */
void *fake_dax_window(struct virtio_fs *d, uint64_t *len);
/* What the host maps at window offset moff (page-aligned): false if
 * nothing (PROT_NONE); else the node, its file offset there and whether
 * the mapping is writable. */
bool fake_dax_page(struct virtio_fs *d, uint64_t moff, uint64_t *nodeid, uint64_t *foff, bool *writable);
/* Window pages mapped now: all (nodeid 0) or those of one node. */
uint64_t fake_dax_pages(struct virtio_fs *d, uint64_t nodeid);
/* Whether the kernel mapped the window into its address space (vm_map). */
bool fake_dax_vm_mapped(struct virtio_fs *d);

/* The region applications' shared file mappings go to: [base, base+len),
 * 2 MiB-aligned, reserved PROT_NONE on the host. */
uint64_t fake_shared_va(uint64_t *len);
/* A shared va page's entry (what vm_map_at made): false if none; else the
 * window address (guest-physical) and whether it is writable. */
bool fake_vm_translate(uint64_t va, uint64_t *pa, bool *writable);
/* Pages mapped in the shared va region. */
uint64_t fake_vm_pages(void);

/* ---- The rest of the kernel ---------------------------------------------- */

/* Console output since the last clear (kprintf lines, /dev/console writes). */
void fake_console_clear(void);
const char *fake_console(void);
/* What console_read() returns next (at most a line per call). */
void fake_console_input(const char *s);

/* Blocks from kmalloc, and page frames, not yet freed. */
long fake_heap_blocks(void);
long fake_frames(void);
