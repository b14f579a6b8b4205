/*
 * What tests/unit/test_fuse_layout.c compares between fs/virtiofs/fuse.h and
 * the host's <linux/fuse.h>: every struct, field and constant of ours (the
 * test reads fuse.h and fails if one is missing here). Included inside table
 * initialisers twice: by test_fuse_layout.c against our header, and by
 * fuse_layout_linux.c, with FUSE_LAYOUT_HOST defined, against the host's.
 * Each defines
 *   S(s)                  struct s: its size
 *   F(s, f)               field f of struct s: offset and size
 *   FX(s, f)              a flexible array member: offset only
 *   FA(s, f, hf, size)    (host only) our field f is the host's hf
 *   C(name)               a constant both headers define
 *   CN(name, minor)       a constant from protocol 7.minor, absent from
 *                         older host headers
 * Where the protocol renamed a field after 7.38 (the minor Debian 12's
 * header speaks), the host side picks its name by its own minor version.
 */
#ifdef FUSE_LAYOUT_STRUCTS
S(fuse_in_header) F(fuse_in_header, len) F(fuse_in_header, opcode) F(fuse_in_header, unique)
F(fuse_in_header, nodeid) F(fuse_in_header, uid) F(fuse_in_header, gid) F(fuse_in_header, pid)
F(fuse_in_header, total_extlen) F(fuse_in_header, padding)
S(fuse_out_header) F(fuse_out_header, len) F(fuse_out_header, error) F(fuse_out_header, unique)
S(fuse_attr) F(fuse_attr, ino) F(fuse_attr, size) F(fuse_attr, blocks) F(fuse_attr, atime)
F(fuse_attr, mtime) F(fuse_attr, ctime) F(fuse_attr, atimensec) F(fuse_attr, mtimensec)
F(fuse_attr, ctimensec) F(fuse_attr, mode) F(fuse_attr, nlink) F(fuse_attr, uid)
F(fuse_attr, gid) F(fuse_attr, rdev) F(fuse_attr, blksize) F(fuse_attr, flags)
S(fuse_entry_out) F(fuse_entry_out, nodeid) F(fuse_entry_out, generation)
F(fuse_entry_out, entry_valid) F(fuse_entry_out, attr_valid)
F(fuse_entry_out, entry_valid_nsec) F(fuse_entry_out, attr_valid_nsec) F(fuse_entry_out, attr)
S(fuse_forget_in) F(fuse_forget_in, nlookup)
S(fuse_forget_one) F(fuse_forget_one, nodeid) F(fuse_forget_one, nlookup)
S(fuse_batch_forget_in) F(fuse_batch_forget_in, count) F(fuse_batch_forget_in, dummy)
S(fuse_getattr_in) F(fuse_getattr_in, getattr_flags) F(fuse_getattr_in, dummy)
F(fuse_getattr_in, fh)
S(fuse_attr_out) F(fuse_attr_out, attr_valid) F(fuse_attr_out, attr_valid_nsec)
F(fuse_attr_out, dummy) F(fuse_attr_out, attr)
S(fuse_mknod_in) F(fuse_mknod_in, mode) F(fuse_mknod_in, rdev) F(fuse_mknod_in, umask)
F(fuse_mknod_in, padding)
S(fuse_mkdir_in) F(fuse_mkdir_in, mode) F(fuse_mkdir_in, umask)
S(fuse_rename_in) F(fuse_rename_in, newdir)
S(fuse_rename2_in) F(fuse_rename2_in, newdir) F(fuse_rename2_in, flags)
F(fuse_rename2_in, padding)
S(fuse_link_in) F(fuse_link_in, oldnodeid)
S(fuse_setattr_in) F(fuse_setattr_in, valid) F(fuse_setattr_in, padding) F(fuse_setattr_in, fh)
F(fuse_setattr_in, size) F(fuse_setattr_in, lock_owner) F(fuse_setattr_in, atime)
F(fuse_setattr_in, mtime) F(fuse_setattr_in, ctime) F(fuse_setattr_in, atimensec)
F(fuse_setattr_in, mtimensec) F(fuse_setattr_in, ctimensec) F(fuse_setattr_in, mode)
F(fuse_setattr_in, unused4) F(fuse_setattr_in, uid) F(fuse_setattr_in, gid)
F(fuse_setattr_in, unused5)
S(fuse_open_in) F(fuse_open_in, flags) F(fuse_open_in, open_flags)
S(fuse_create_in) F(fuse_create_in, flags) F(fuse_create_in, mode) F(fuse_create_in, umask)
F(fuse_create_in, open_flags)
S(fuse_open_out) F(fuse_open_out, fh) F(fuse_open_out, open_flags)
#if defined(FUSE_LAYOUT_HOST) && FUSE_KERNEL_MINOR_VERSION >= 40
/* 7.40 names our padding backing_id (passthrough, which we do not use). */
FA(fuse_open_out, padding, backing_id, 4)
#else
F(fuse_open_out, padding)
#endif
S(fuse_release_in) F(fuse_release_in, fh) F(fuse_release_in, flags)
F(fuse_release_in, release_flags) F(fuse_release_in, lock_owner)
S(fuse_flush_in) F(fuse_flush_in, fh) F(fuse_flush_in, unused) F(fuse_flush_in, padding)
F(fuse_flush_in, lock_owner)
S(fuse_read_in) F(fuse_read_in, fh) F(fuse_read_in, offset) F(fuse_read_in, size)
F(fuse_read_in, read_flags) F(fuse_read_in, lock_owner) F(fuse_read_in, flags)
F(fuse_read_in, padding)
S(fuse_write_in) F(fuse_write_in, fh) F(fuse_write_in, offset) F(fuse_write_in, size)
F(fuse_write_in, write_flags) F(fuse_write_in, lock_owner) F(fuse_write_in, flags)
F(fuse_write_in, padding)
S(fuse_write_out) F(fuse_write_out, size) F(fuse_write_out, padding)
S(fuse_kstatfs) F(fuse_kstatfs, blocks) F(fuse_kstatfs, bfree) F(fuse_kstatfs, bavail)
F(fuse_kstatfs, files) F(fuse_kstatfs, ffree) F(fuse_kstatfs, bsize) F(fuse_kstatfs, namelen)
F(fuse_kstatfs, frsize) F(fuse_kstatfs, padding) F(fuse_kstatfs, spare)
S(fuse_statfs_out) F(fuse_statfs_out, st)
S(fuse_fsync_in) F(fuse_fsync_in, fh) F(fuse_fsync_in, fsync_flags) F(fuse_fsync_in, padding)
S(fuse_init_in) F(fuse_init_in, major) F(fuse_init_in, minor) F(fuse_init_in, max_readahead)
F(fuse_init_in, flags) F(fuse_init_in, flags2) F(fuse_init_in, unused)
S(fuse_init_out) F(fuse_init_out, major) F(fuse_init_out, minor)
F(fuse_init_out, max_readahead) F(fuse_init_out, flags) F(fuse_init_out, max_background)
F(fuse_init_out, congestion_threshold) F(fuse_init_out, max_write) F(fuse_init_out, time_gran)
F(fuse_init_out, max_pages) F(fuse_init_out, map_alignment) F(fuse_init_out, flags2)
#if defined(FUSE_LAYOUT_HOST) && FUSE_KERNEL_MINOR_VERSION < 40
/* Before 7.40 the host calls max_stack_depth unused[0]. */
FA(fuse_init_out, max_stack_depth, unused[0], 4) FA(fuse_init_out, unused, unused[1], 24)
#else
F(fuse_init_out, max_stack_depth) F(fuse_init_out, unused)
#endif
S(fuse_dirent) F(fuse_dirent, ino) F(fuse_dirent, off) F(fuse_dirent, namelen)
F(fuse_dirent, type) FX(fuse_dirent, name)
S(fuse_direntplus) F(fuse_direntplus, entry_out) F(fuse_direntplus, dirent)
S(fuse_lseek_in) F(fuse_lseek_in, fh) F(fuse_lseek_in, offset) F(fuse_lseek_in, whence)
F(fuse_lseek_in, padding)
S(fuse_lseek_out) F(fuse_lseek_out, offset)
S(fuse_fallocate_in) F(fuse_fallocate_in, fh) F(fuse_fallocate_in, offset)
F(fuse_fallocate_in, length) F(fuse_fallocate_in, mode) F(fuse_fallocate_in, padding)
S(fuse_copy_file_range_in) F(fuse_copy_file_range_in, fh_in) F(fuse_copy_file_range_in, off_in)
F(fuse_copy_file_range_in, nodeid_out) F(fuse_copy_file_range_in, fh_out)
F(fuse_copy_file_range_in, off_out) F(fuse_copy_file_range_in, len)
F(fuse_copy_file_range_in, flags)
S(fuse_setupmapping_in) F(fuse_setupmapping_in, fh) F(fuse_setupmapping_in, foffset)
F(fuse_setupmapping_in, len) F(fuse_setupmapping_in, flags) F(fuse_setupmapping_in, moffset)
S(fuse_removemapping_in) F(fuse_removemapping_in, count)
S(fuse_removemapping_one) F(fuse_removemapping_one, moffset) F(fuse_removemapping_one, len)
S(fuse_file_lock) F(fuse_file_lock, start) F(fuse_file_lock, end) F(fuse_file_lock, type)
F(fuse_file_lock, pid)
S(fuse_lk_in) F(fuse_lk_in, fh) F(fuse_lk_in, owner) F(fuse_lk_in, lk) F(fuse_lk_in, lk_flags)
F(fuse_lk_in, padding)
S(fuse_lk_out) F(fuse_lk_out, lk)
S(fuse_access_in) F(fuse_access_in, mask) F(fuse_access_in, padding)
#endif

#ifdef FUSE_LAYOUT_CONSTANTS
C(FUSE_LOOKUP) C(FUSE_FORGET) C(FUSE_GETATTR) C(FUSE_SETATTR) C(FUSE_READLINK) C(FUSE_SYMLINK)
C(FUSE_MKNOD) C(FUSE_MKDIR) C(FUSE_UNLINK) C(FUSE_RMDIR) C(FUSE_RENAME) C(FUSE_LINK)
C(FUSE_OPEN) C(FUSE_READ) C(FUSE_WRITE) C(FUSE_STATFS) C(FUSE_RELEASE) C(FUSE_FSYNC)
C(FUSE_SETXATTR) C(FUSE_GETXATTR) C(FUSE_LISTXATTR) C(FUSE_REMOVEXATTR) C(FUSE_FLUSH)
C(FUSE_INIT) C(FUSE_OPENDIR) C(FUSE_READDIR) C(FUSE_RELEASEDIR) C(FUSE_FSYNCDIR) C(FUSE_GETLK)
C(FUSE_SETLK) C(FUSE_SETLKW) C(FUSE_ACCESS) C(FUSE_CREATE) C(FUSE_INTERRUPT) C(FUSE_BMAP)
C(FUSE_DESTROY) C(FUSE_IOCTL) C(FUSE_POLL) C(FUSE_NOTIFY_REPLY) C(FUSE_BATCH_FORGET)
C(FUSE_FALLOCATE) C(FUSE_READDIRPLUS) C(FUSE_RENAME2) C(FUSE_LSEEK) C(FUSE_COPY_FILE_RANGE)
C(FUSE_SETUPMAPPING) C(FUSE_REMOVEMAPPING) C(FUSE_SYNCFS) C(FUSE_TMPFILE)
#if !defined(FUSE_LAYOUT_HOST) || FUSE_KERNEL_MINOR_VERSION >= 39
CN(FUSE_STATX, 39)
#endif
C(FUSE_KERNEL_VERSION) C(FUSE_ROOT_ID) C(FUSE_ATTR_SUBMOUNT) C(FUSE_ATTR_DAX)
C(FUSE_GETATTR_FH) C(FUSE_LK_FLOCK) C(FATTR_MODE) C(FATTR_UID) C(FATTR_GID) C(FATTR_SIZE) C(FATTR_ATIME)
C(FATTR_MTIME) C(FATTR_FH) C(FATTR_ATIME_NOW) C(FATTR_MTIME_NOW) C(FATTR_LOCKOWNER)
C(FATTR_CTIME) C(FATTR_KILL_SUIDGID) C(FOPEN_DIRECT_IO) C(FOPEN_KEEP_CACHE)
C(FOPEN_NONSEEKABLE) C(FOPEN_CACHE_DIR) C(FOPEN_STREAM) C(FOPEN_NOFLUSH)
C(FOPEN_PARALLEL_DIRECT_WRITES) C(FUSE_RELEASE_FLUSH) C(FUSE_WRITE_CACHE)
C(FUSE_WRITE_LOCKOWNER) C(FUSE_WRITE_KILL_SUIDGID) C(FUSE_FSYNC_FDATASYNC) C(FUSE_ASYNC_READ)
C(FUSE_POSIX_LOCKS) C(FUSE_FILE_OPS) C(FUSE_ATOMIC_O_TRUNC) C(FUSE_EXPORT_SUPPORT)
C(FUSE_BIG_WRITES) C(FUSE_DONT_MASK) C(FUSE_SPLICE_WRITE) C(FUSE_SPLICE_MOVE)
C(FUSE_SPLICE_READ) C(FUSE_FLOCK_LOCKS) C(FUSE_HAS_IOCTL_DIR) C(FUSE_AUTO_INVAL_DATA)
C(FUSE_DO_READDIRPLUS) C(FUSE_READDIRPLUS_AUTO) C(FUSE_ASYNC_DIO) C(FUSE_WRITEBACK_CACHE)
C(FUSE_NO_OPEN_SUPPORT) C(FUSE_PARALLEL_DIROPS) C(FUSE_HANDLE_KILLPRIV) C(FUSE_POSIX_ACL)
C(FUSE_ABORT_ERROR) C(FUSE_MAX_PAGES) C(FUSE_CACHE_SYMLINKS) C(FUSE_NO_OPENDIR_SUPPORT)
C(FUSE_EXPLICIT_INVAL_DATA) C(FUSE_MAP_ALIGNMENT) C(FUSE_SUBMOUNTS) C(FUSE_HANDLE_KILLPRIV_V2)
C(FUSE_SETXATTR_EXT) C(FUSE_INIT_EXT) C(FUSE_INIT_RESERVED) C(FUSE_SETUPMAPPING_FLAG_WRITE)
C(FUSE_SETUPMAPPING_FLAG_READ)
#endif
