/*
 * Vector table for interrupts. Vectors 32-47 are left to the 8259 PIC's
 * remapped range (masked, but a spurious one may still arrive); 240-255 are
 * the kernel's fixed vectors (timer, spurious; see kernel/apic.h).
 */
#include <stddef.h>

#include "kernel/errno.h"
#include "kernel/irq.h"
#include "kernel/panic.h"

#define IRQ_FIRST 48
#define IRQ_LAST  239

struct irq_slot {
	irq_handler_fn fn;
	void *arg;
};

static struct irq_slot slots[256];

int irq_alloc(irq_handler_fn fn, void *arg)
{
	for (int v = IRQ_FIRST; v <= IRQ_LAST; v++) {
		if (!slots[v].fn) {
			slots[v] = (struct irq_slot){ fn, arg };
			return v;
		}
	}
	return -ENOSPC;
}

void irq_free(int vector)
{
	if (vector < IRQ_FIRST || vector > IRQ_LAST || !slots[vector].fn)
		panic("irq: freeing vector %d, which is not allocated", vector);
	slots[vector] = (struct irq_slot){ NULL, NULL };
}

void irq_set_fixed(int vector, irq_handler_fn fn, void *arg)
{
	slots[vector] = (struct irq_slot){ fn, arg };
}

void irq_dispatch(int vector)
{
	struct irq_slot *s = &slots[vector & 0xff];

	if (s->fn)              /* a vector with no handler is ignored */
		s->fn(s->arg);
}
