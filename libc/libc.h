/*
 * The libc seam, inside the kernel: the Linux x86_64 system-call ABI that
 * musl's syscall wrappers use. The application is an ordinary static-PIE
 * program linked against Debian's musl; it runs in ring 0 in the kernel's
 * address space and enters through `syscall` (libc/syscall_entry.asm).
 * Each sys_*.c file implements one family; docs/libc.md lists every call.
 *
 * Pointers from the application are addresses in the one identity-mapped
 * address space; the seam checks them against mapped RAM (uptr_ok) before
 * use, so a bad pointer gives EFAULT, never a kernel fault.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cmdline;
struct file;

/* The registers syscall_entry saved, in its push order (lowest address
 * first): the arguments in order, so `a` is what an implementation takes. */
struct syscall_frame {
	uint64_t a[6];                          /* rdi rsi rdx r10 r8 r9 */
	uint64_t nr;
	uint64_t rip, rflags, rsp;
};

/* One system call's implementation: args in a[0..5], returns the result
 * or -errno. */
typedef long (*syscall_fn)(const uint64_t *a);

/* Register families into the table (called once from libc_init). */
void sys_fs_register(syscall_fn *table);
void sys_mem_register(syscall_fn *table);
/* A page fault at addr inside a live shared file mapping, on a page past
 * the file's end (which has no entry): true, and the program gets SIGBUS
 * as on Linux, not SIGSEGV. */
bool sys_mem_is_shared_fault(uint64_t addr);
void sys_misc_register(syscall_fn *table);

/* Set up SYSCALL (LSTAR, STAR, FMASK, EFER.SCE) and the standard fds. */
void libc_init(const struct cmdline *cl);

/* True if an application was linked into this image. */
bool app_present(void);

/* Load the application, build its stack and start it; never returns (the
 * program ends through exit_group). */
void app_start(const struct cmdline *cl) __attribute__((noreturn));

/* End the program: flush and unmount file systems, power off with status. */
void app_exit(int status) __attribute__((noreturn));

/* ---- application memory ---- */

/* True if [p, p+n) is RAM the application may touch (writable if write). */
bool uptr_ok(const void *p, size_t n, bool write);
/* Length of the NUL-terminated string at p if it lies in application
 * memory and is shorter than max: >= 0, or -EFAULT / -ENAMETOOLONG. */
long ustr_len(const char *p, size_t max);

/* ---- file descriptors (libc/fd.c) ---- */

#define FD_MAX 1024

/* Install f at the lowest free descriptor >= min: the fd, or -EMFILE. The
 * table takes over the caller's reference. */
int fd_install(struct file *f, int min, bool cloexec);
struct fdent {
	struct file *f;
	bool cloexec;
};
extern struct fdent fd_table[FD_MAX];    /* fd.c's table: use the functions */

/* The file at fd (no new reference), or NULL. Inline: every file call
 * starts here. */
static inline struct file *fd_get(int fd)
{
	return fd >= 0 && fd < FD_MAX ? fd_table[fd].f : NULL;
}
/* Close fd: 0, -EBADF, or the file's close error. */
int fd_close(int fd);
/* Replace newfd with oldfd's file (dup2/dup3 semantics). */
int fd_dup2(int oldfd, int newfd, bool cloexec);
int fd_get_cloexec(int fd);
/* Close every descriptor (the program is ending: cached writes go out). */
void fd_close_all(void);
int fd_set_cloexec(int fd, bool on);
