/*
 * Memory calls: brk, mmap, munmap, mremap, mprotect, madvise, msync.
 *
 * The application shares the kernel's identity-mapped address space, so
 * "mapping" memory means handing out zeroed physical pages, which are
 * already mapped at their own address. Regions handed out are remembered
 * so munmap and mremap can give back exactly what was mapped.
 *   - Anonymous memory (private or shared: with one process, shared
 *     anonymous memory has nobody to share with): zeroed pages.
 *   - MAP_PRIVATE file mappings: the file's bytes are read in at map time.
 *   - MAP_SHARED file mappings are the file's own pages in the virtio-fs
 *     DAX window (fs/virtiofs/vdax.c), mapped at addresses above the
 *     identity map: stores reach the host's file, and the host's writes
 *     are seen at once. Without a window: ENODEV, with a console note.
 *   - mprotect is accepted but not enforced: all RAM is mapped read-write
 *     and executable in ring 0 (docs/libc.md).
 *   - MAP_FIXED works only inside memory this program already mapped.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fs/vfs.h"
#include "kernel/errno.h"
#include "kernel/heap.h"
#include "kernel/kprintf.h"
#include "kernel/mem.h"
#include "kernel/vm.h"
#include "libc/libc.h"

#define PAGE 4096ull
#define PAGES(n) (((n) + PAGE - 1) / PAGE)

struct region {
	uint64_t start, end;            /* [start, end), page-aligned */
	struct region *next;
};

static struct region *regions;
static uint64_t brk_base, brk_cur, brk_max;

/* Shared file mappings live at [SHARED_BASE, SHARED_END), above the
 * identity map of physical memory; addresses are never reused. */
#define SHARED_BASE (1ull << 46)
#define SHARED_END  (1ull << 47)
#define ALIGN_2M    (2ull << 20)
static struct vfs_mapping *smaps;
static uint64_t shared_next;

static uint64_t shared_base(void)
{
	return vm_phys_limit() > SHARED_BASE ? vm_phys_limit() : SHARED_BASE;
}

static bool in_shared(uint64_t a, uint64_t b)
{
	return a < SHARED_END && b > shared_base();
}

static struct region *region_find(uint64_t a)
{
	for (struct region *r = regions; r; r = r->next)
		if (a >= r->start && a < r->end)
			return r;
	return NULL;
}

static void *map_pages(uint64_t n)
{
	void *p = page_alloc_range(n, 1, 0x100000, UINT64_MAX);
	struct region *r;

	if (!p)
		return NULL;
	r = kmalloc(sizeof(*r));
	if (!r) {
		page_free(p, n);
		return NULL;
	}
	r->start = (uintptr_t)p;
	r->end = r->start + n * PAGE;
	r->next = regions;
	regions = r;
	return p;
}

/* Give back [a, b) wherever it overlaps mapped regions, splitting them. */
static int unmap_range(uint64_t a, uint64_t b)
{
	for (struct region **pp = &regions; *pp;) {
		struct region *r = *pp;
		uint64_t lo = a > r->start ? a : r->start, hi = b < r->end ? b : r->end;

		if (lo >= hi) {
			pp = &r->next;
			continue;
		}
		page_free((void *)lo, (hi - lo) / PAGE);
		if (lo == r->start && hi == r->end) {
			*pp = r->next;
			kfree(r);
			continue;
		}
		if (lo == r->start) {
			r->start = hi;
		} else if (hi == r->end) {
			r->end = lo;
		} else {
			struct region *tail = kmalloc(sizeof(*tail));
			if (!tail)
				return -ENOMEM;
			tail->start = hi;
			tail->end = r->end;
			tail->next = r->next;
			r->end = lo;
			r->next = tail;
		}
		pp = &r->next;
	}
	return 0;
}

static bool range_mapped(uint64_t a, uint64_t b)
{
	while (a < b) {
		struct region *r = region_find(a);
		if (!r)
			return false;
		a = r->end;
	}
	return true;
}

static long fill_from_file(void *p, uint64_t len, int fd, uint64_t off)
{
	struct file *f = fd_get(fd);
	ssize_t n;

	if (!f)
		return -EBADF;
	if ((vfs_file_flags(f) & O_ACCMODE) == O_WRONLY)
		return -EACCES;
	/* Bytes past the end of the file read as zeros, as on Linux (the
	 * pages were zeroed). */
	n = vfs_pread(f, p, len, (off_t)off);
	return n < 0 ? n : 0;
}

/* A shared mapping of fd: the file's pages at a fresh address whose offset
 * within 2 MiB matches off's, so whole ranges can use 2 MiB pages. */
static long map_shared(uint64_t len, uint64_t prot, int fd, uint64_t off)
{
	struct file *f = fd_get(fd);
	struct vfs_mapping *m;
	uint64_t va, n = PAGES(len) * PAGE;
	int err;

	if (!f)
		return -EBADF;
	if (!shared_next)
		shared_next = shared_base();
	va = ((shared_next + ALIGN_2M - 1) & ~(ALIGN_2M - 1)) + (off & (ALIGN_2M - 1));
	if (va + n > SHARED_END || va + n < va)
		return -ENOMEM;
	err = vfs_mmap(f, va, n, (off_t)off, prot & PROT_WRITE, &m);
	if (err == -ENODEV) {
		static bool said;
		if (!said) {
			said = true;
			kprintf("remora: mmap MAP_SHARED of a file needs a virtio-fs DAX window, and this "
				"file has none: ENODEV (docs/dax.md)\n");
		}
	}
	if (err)
		return err;
	shared_next = va + n;
	m->next = smaps;
	smaps = m;
	return (long)va;
}

bool sys_mem_is_shared_fault(uint64_t addr)
{
	for (struct vfs_mapping *m = smaps; m; m = m->next)
		if (addr >= m->eof_va && addr < m->va + m->len)
			return true;
	return false;
}

/* munmap/msync over shared mappings: for each one overlapping [a, b). */
static int unmap_shared(uint64_t a, uint64_t b)
{
	for (struct vfs_mapping **pp = &smaps; *pp;) {
		struct vfs_mapping *m = *pp;

		if (a < m->va + m->len && b > m->va && vfs_munmap(m, a, b - a)) {
			*pp = m->next;
			continue;
		}
		pp = &m->next;
	}
	return 0;
}

static long sys_mmap(const uint64_t *a)
{
	uint64_t addr = a[0], len = a[1], flags = a[3], off = a[5];
	int fd = (int)a[4], type = (int)(flags & MAP_TYPE);
	bool anon = flags & MAP_ANONYMOUS;
	uint64_t n;
	void *p;
	long err;

	if (len == 0 || (off & (PAGE - 1)) || len > (1ull << 46))
		return -EINVAL;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	n = PAGES(len);
	if (!anon && type != MAP_PRIVATE) {
		if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
			static bool said;
			if (!said) {
				said = true;
				kprintf("remora: mmap MAP_SHARED|MAP_FIXED of a file is not supported: "
					"EINVAL\n");
			}
			return -EINVAL;
		}
		return map_shared(len, a[2], fd, off);
	}
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr & (PAGE - 1))
			return -EINVAL;
		if (!range_mapped(addr, addr + n * PAGE))
			return -ENOMEM;         /* no memory of ours there to reuse */
		if (flags & MAP_FIXED_NOREPLACE)
			return -EEXIST;
		p = (void *)addr;
		memset(p, 0, n * PAGE);
	} else {
		p = map_pages(n);
		if (!p)
			return -ENOMEM;
	}
	if (!anon) {
		err = fill_from_file(p, len, fd, off);
		if (err) {
			if (!(flags & MAP_FIXED))
				unmap_range((uintptr_t)p, (uintptr_t)p + n * PAGE);
			return err;
		}
	}
	return (long)(uintptr_t)p;
}

static long sys_munmap(const uint64_t *a)
{
	uint64_t addr = a[0], len = a[1];

	if ((addr & (PAGE - 1)) || len == 0)
		return -EINVAL;
	if (in_shared(addr, addr + PAGES(len) * PAGE))
		return unmap_shared(addr, addr + PAGES(len) * PAGE);
	return unmap_range(addr, addr + PAGES(len) * PAGE);
}

static long sys_mremap(const uint64_t *a)
{
	uint64_t old = a[0], oldn = PAGES(a[1]), newn = PAGES(a[2]), flags = a[3];
	struct region *r;
	void *p;

	if ((old & (PAGE - 1)) || newn == 0 || (flags & ~(uint64_t)(MREMAP_MAYMOVE | MREMAP_FIXED)))
		return -EINVAL;
	if (flags & MREMAP_FIXED)
		return -EINVAL;         /* needs an address we could not honour */
	r = region_find(old);
	if (!r || old + oldn * PAGE > r->end)
		return -EFAULT;
	if (newn <= oldn) {
		unmap_range(old + newn * PAGE, old + oldn * PAGE);
		return (long)old;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;         /* growing in place is not offered */
	p = map_pages(newn);
	if (!p)
		return -ENOMEM;
	memcpy(p, (void *)old, oldn * PAGE);
	unmap_range(old, old + oldn * PAGE);
	return (long)(uintptr_t)p;
}

static long sys_mprotect(const uint64_t *a)
{
	if (a[0] & (PAGE - 1))
		return -EINVAL;
	if (a[2] & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	return 0;       /* accepted, not enforced (see the top of this file) */
}

static long sys_madvise(const uint64_t *a)
{
	uint64_t addr = a[0], len = PAGES(a[1]) * PAGE;

	if (addr & (PAGE - 1))
		return -EINVAL;
	/* MADV_DONTNEED on private anonymous memory: the next read sees zeros. */
	if (a[2] == MADV_DONTNEED && range_mapped(addr, addr + len))
		memset((void *)addr, 0, len);
	return 0;
}

static long sys_msync(const uint64_t *a)
{
	uint64_t addr = a[0], end = addr + PAGES(a[1]) * PAGE, flags = a[2];
	int err = 0;

	if ((addr & (PAGE - 1)) || (flags & ~(uint64_t)(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	/* Shared mappings: the stores are already in the host's page cache
	 * (the window maps the file); FSYNC puts them on its disk. MS_ASYNC
	 * asks for nothing more than that, as on Linux. */
	if (!(flags & MS_SYNC))
		return 0;
	for (struct vfs_mapping *m = smaps; m; m = m->next)
		if (addr < m->va + m->len && end > m->va) {
			int e = vfs_fsync(m->f, false);
			if (e && !err)
				err = e;
		}
	return err;
}

/* brk: a region reserved at the first call, 1/8 of RAM up to 64 MiB; the
 * break moves inside it and memory past the break reads as zeros. */
static long sys_brk(const uint64_t *a)
{
	uint64_t want = a[0];

	if (!brk_base) {
		uint64_t max = mem_top() / 8 < (64ull << 20) ? mem_top() / 8 : (64ull << 20);
		void *p = page_alloc_range(PAGES(max), 1, 0x100000, UINT64_MAX);
		if (!p)
			return 0;
		brk_base = brk_cur = (uintptr_t)p;
		brk_max = brk_base + PAGES(max) * PAGE;
	}
	if (want >= brk_base && want <= brk_max) {
		if (want < brk_cur)
			memset((void *)want, 0, brk_cur - want);
		brk_cur = want;
	}
	return (long)brk_cur;
}

void sys_mem_register(syscall_fn *t)
{
	t[SYS_mmap] = sys_mmap;
	t[SYS_munmap] = sys_munmap;
	t[SYS_mremap] = sys_mremap;
	t[SYS_mprotect] = sys_mprotect;
	t[SYS_madvise] = sys_madvise;
	t[SYS_msync] = sys_msync;
	t[SYS_brk] = sys_brk;
}
