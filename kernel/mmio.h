/*
 * The only place `volatile` appears for device memory: one accessor per width.
 * 64-bit registers are read and written as two 32-bit halves, low first, as
 * the virtio and PCI specs allow and some devices require.
 */
#pragma once

#include <stdint.h>

static inline uint8_t mmio_read8(uintptr_t a) { return *(volatile uint8_t *)a; }
static inline uint16_t mmio_read16(uintptr_t a) { return *(volatile uint16_t *)a; }
static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void mmio_write16(uintptr_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

static inline uint64_t mmio_read64(uintptr_t a)
{
	uint64_t lo = mmio_read32(a);
	return lo | ((uint64_t)mmio_read32(a + 4) << 32);
}

static inline void mmio_write64(uintptr_t a, uint64_t v)
{
	mmio_write32(a, (uint32_t)v);
	mmio_write32(a + 4, (uint32_t)(v >> 32));
}
