/*
 * Random bytes for getrandom() and /dev/urandom: the CPU's RDRAND where it
 * has it, else a virtio-rng device, else (said once on the console) a
 * generator seeded from the TSC and the clocks, fine for hash seeds and
 * not for keys.
 */
#pragma once

#include <stddef.h>

/* Choose the source (after pci_init) and log it. */
void random_init(void);

/* Fill buf with n random bytes. */
void random_bytes(void *buf, size_t n);
