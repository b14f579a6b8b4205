/*
 * virtio-rng (virtio 1.2 §5.4): one queue into which the driver puts
 * buffers for the device to fill with entropy (QEMU: from the host's
 * getrandom). Used by kernel/random.c when the CPU lacks RDRAND.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Find and start the first virtio-rng device; false if there is none. */
bool virtio_rng_init(void);

/* Fill buf with n bytes from the device: bytes filled (n), or -EIO /
 * -ENODEV. Waits for the device. */
long virtio_rng_read(void *buf, size_t n);
