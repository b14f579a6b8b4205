/*
 * Interrupt vectors for devices and timers: a vector is allocated together
 * with its handler, which then runs (interrupts off, on the IRQ IST stack)
 * each time the vector fires. MSI/MSI-X messages name the vector; see
 * apic_msi_message() and pci_msix_set_entry().
 */
#pragma once

typedef void (*irq_handler_fn)(void *arg);

/* A free vector in [48, 239] bound to fn(arg), or -ENOSPC. */
int irq_alloc(irq_handler_fn fn, void *arg);

/* Release a vector from irq_alloc. */
void irq_free(int vector);

/* Bind one of the kernel's fixed vectors (240-255, kernel/apic.h). */
void irq_set_fixed(int vector, irq_handler_fn fn, void *arg);

/* Called by trap_dispatch for vectors >= 32. */
void irq_dispatch(int vector);
