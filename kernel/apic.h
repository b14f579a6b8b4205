/*
 * The local APIC (xAPIC, memory-mapped; Intel SDM vol. 3, chapter 11): timer,
 * EOI, self-IPIs, and the address/data pair an MSI or MSI-X message needs to
 * reach this CPU. The legacy 8259 PICs are remapped and masked.
 */
#pragma once

#include <stdint.h>

#define APIC_TIMER_VECTOR    0xf0
#define APIC_SPURIOUS_VECTOR 0xff
#define APIC_TIMER_HZ        100

/* Map and enable the local APIC, mask the 8259s. Before clock_init(). */
void apic_init(void);

/* Start the periodic timer at APIC_TIMER_HZ, calibrated against the
 * monotonic clock. After clock_init(). */
void apic_timer_start(void);

/* Timer interrupts taken since apic_timer_start(). */
uint64_t apic_timer_ticks(void);

/* Signal end of interrupt. */
void apic_eoi(void);

/* Send `vector` to this CPU (a fixed self-IPI). */
void apic_self_ipi(int vector);

/* This CPU's APIC ID. */
uint32_t apic_id(void);

/* The MSI message (PCI Local Bus 3.0, 6.8; SDM 11.11) that delivers vector
 * to this CPU: fixed delivery, edge-triggered, physical destination. */
void apic_msi_message(int vector, uint64_t *addr, uint32_t *data);
