/*
 * The boot CPU's own state: GDT with a TSS (whose IST stacks every interrupt
 * runs on, see kernel/trap.h), and the FPU/SSE unit enabled for applications.
 */
#pragma once

#include <stdint.h>

/* Segment selectors. The user ones are laid out for SYSRET (STAR). */
#define SEL_KCODE   0x08
#define SEL_KDATA   0x10
#define SEL_UDATA   0x20
#define SEL_UCODE   0x28
#define SEL_TSS     0x30

/* Load the GDT and TSS, enable SSE. Call once, first thing in kmain(). */
void cpu_init(void);
