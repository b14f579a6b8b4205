/*
 * test=virtio-bench: how long one 4 KiB pread takes over the request queue,
 * for choosing the completion mode (virtio.wait=poll|irq|adaptive). Prints
 * `bench: pread4k N ops, X ns/op, irqs I, hlt waits H`; asserts nothing
 * about time (docs/virtio.md has the numbers). Reads /bench.dat if present,
 * else /hello.txt.
 */
#include <stdint.h>

#include "drivers/virtio/virtio_fs.h"
#include "fs/vfs.h"
#include "kernel/clock.h"
#include "kernel/kprintf.h"
#include "kernel/selftest.h"

static int run(const struct cmdline *cl)
{
	static char buf[4096];
	struct virtio_fs *dev = virtio_fs_get(0);
	uint64_t irq0, hlt0, t0, t1;
	struct file *f;
	const int n = 2000;
	int err;

	(void)cl;
	err = vfs_open(NULL, "/bench.dat", O_RDONLY, 0, &f);
	if (err)
		err = vfs_open(NULL, "/hello.txt", O_RDONLY, 0, &f);
	if (err || !dev) {
		kprintf("bench: no file to read (%d)\n", err);
		return 1;
	}
	irq0 = dev->irqs;
	hlt0 = dev->n_waits_hlt;
	t0 = clock_monotonic_ns();
	for (int i = 0; i < n; i++) {
		ssize_t got = vfs_pread(f, buf, sizeof(buf), 0);
		if (got < 0) {
			kprintf("bench: pread failed (%ld)\n", (long)got);
			vfs_close(f);
			return 1;
		}
	}
	t1 = clock_monotonic_ns();
	kprintf("bench: pread4k %d ops, %lu ns/op, irqs %lu, hlt waits %lu\n", n,
		(t1 - t0) / n, dev->irqs - irq0, dev->n_waits_hlt - hlt0);
	vfs_close(f);
	return 0;
}
SELFTEST_SUITE("virtio-bench", run);
