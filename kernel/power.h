/*
 * Power-off with an exit status. First the isa-debug-exit device at I/O port
 * 0xf4 (QEMU then exits with (status << 1) | 1); where it is absent, ACPI S5
 * (QEMU exits 0). docs/kernel.md has the mapping.
 */
#pragma once

#define DEBUG_EXIT_PORT 0xf4

/* Prints "remora: power off, status N" and turns the machine off. */
void power_off(int status) __attribute__((noreturn));
