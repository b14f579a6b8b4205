/*
 * The POSIX conformance suite: one ordinary C program, built twice from the
 * same sources, natively (musl-gcc -static) and into a remora image
 * (make APP=tests/posix IMAGE=build/posix.img), and run over two equivalent
 * fresh directories. It never judges anything itself: every case prints
 * what it observed, one concrete value per line, and tests/posix/run-tests
 * diffs the remora output against the host's.
 *
 *   posix DIR [CASE-glob ...]      (DIR: "/" in the guest, a temp dir natively)
 *
 * Output contract (stdout):
 *   ==== posix begin
 *   CASE.KEY: VALUE                 one observation; KEY unique in its case
 *   ==== posix end N cases
 * and exit status 0 whenever the program ran to its end. Values are
 * host-independent: modes, sizes, link counts, offsets, data, "alloc=yes"
 * for st_blocks > 0, errno names; never inode numbers, st_dev, st_blksize
 * or timestamps other than those the case itself set. Paths the program
 * prints are relative to DIR ("/CASE/..."), so "/" in the guest and
 * "/dev/shm/x" natively print the same.
 *
 * Each case runs in its own fresh directory DIR/CASE, with umask 022.
 * Write each observation as one call per say(), so errno is read right
 * after the call that set it.
 */
#pragma once

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define KiB (1LL << 10)
#define MiB (1LL << 20)
#define GiB (1LL << 30)
#define TiB (1LL << 40)

/* 64-bit FNV-1a, the hash tests/fs uses too. */
#define FNV_INIT  0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
uint64_t fnv1a(uint64_t h, const void *p, size_t n);

/* --- Output ------------------------------------------------------------ */

/* The running case's name (the prefix of every line it prints). */
extern const char *cur_case;

/* Print "CASE.KEY: VALUE". */
void say(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formatters. Each returns one of a ring of static buffers, valid for the
 * next 32 calls: enough for one say(). Those that take a result read errno
 * when it is negative, so pass them the call itself. */
const char *R(long r);                  /* "N" or "-1 ENAME" */
const char *FD(int fd);                 /* "fd" or "-1 ENAME" (fd stays open) */
const char *errname(int e);             /* "ENOENT", or "E#123" */
const char *yes(int b);                 /* "yes" / "no" */
const char *q(const void *buf, long n); /* quoted, escaped data; long data as len+hash */
const char *modestr(mode_t m);          /* "reg 0644", "dir 1777", "lnk 0777" */
const char *statstr(const struct stat *st);
const char *oflags(int fl);             /* "O_WRONLY|O_APPEND" */

/* Calls that also format their result. */
const char *OPEN(const char *path, int flags, mode_t mode);    /* opens, closes */
const char *OPENAT(int dfd, const char *path, int flags, mode_t mode);
const char *ST(const char *path);                              /* stat */
const char *LST(const char *path);                             /* lstat */
const char *STAT_AT(int dfd, const char *path, int flags);     /* fstatat */
const char *FST(int fd);                                       /* fstat */
const char *READ(int fd, long n);                              /* n bytes at the offset */
const char *PREAD(int fd, long n, off_t off);
const char *CONTENT(const char *path);                         /* the whole file */
const char *READLINK(const char *path);
const char *READLINKAT(int dfd, const char *path);
const char *LSEEK(int fd, off_t off, int whence);
const char *NAMES(const char *dir);    /* sorted entry names, with types */

/* --- Setup helpers (they print a line only when they fail) ------------- */

void mkfile(const char *path, const char *content);            /* 0644 */
void mkfile_mode(const char *path, const char *content, mode_t mode);
void mkdir_p(const char *path);                                /* 0755 */
void must(long r, const char *what);

/* DIR/CASE/rel as an absolute path (a ring buffer like the formatters). */
const char *abspath(const char *rel);
/* An absolute path as the program prints it: without DIR ("/CASE/x"). */
const char *relpath(const char *abs);
/* The absolute path of the current case's directory. */
const char *casedir(void);

/* Bytes [0, n) of buf all zero. */
int all_zero(const void *buf, long n);

/* --- The cases (one function each; see posix.c for the order) ---------- */

void case_open(void);
void case_access_mode(void);
void case_o_path(void);
void case_ebadf(void);
void case_offsets(void);
void case_coherence(void);
void case_holes(void);
void case_truncate(void);
void case_large(void);
void case_bigio(void);
void case_iovec(void);
void case_fallocate(void);
void case_sync(void);
void case_links(void);
void case_symlinks(void);
void case_symloop(void);
void case_rename(void);
void case_renameat2(void);
void case_mkdir(void);
void case_paths(void);
void case_names(void);
void case_readdir(void);
void case_getdents(void);
void case_bigdir(void);
void case_unlinked(void);
void case_getcwd(void);
void case_atcalls(void);
void case_utimens(void);
void case_chmod(void);
void case_chown(void);
void case_procfd(void);
void case_access(void);
void case_umask(void);
void case_dup(void);
void case_fcntl(void);
void case_locks(void);
void case_stdio(void);
void case_devices(void);
void case_statfs(void);
void case_errors(void);
void case_clock(void);
