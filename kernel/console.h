/*
 * The console: COM1, a 16550 UART at I/O port 0x3F8, polled, 115200 8N1.
 * Everything the kernel prints goes here; the test harness reads it.
 */
#pragma once

#include <stddef.h>

/* Program the UART. Call first in kmain(); printing before it is lost. */
void console_init(void);

/* Write bytes, turning "\n" into "\r\n". Callable from any context. */
void console_write(const char *s, size_t n);

/* Read up to n bytes typed on the console: waits for the first byte, then
 * returns what has arrived, up to and including a newline ('\r' becomes
 * '\n'). Interrupts are enabled while waiting. */
size_t console_read(char *buf, size_t n);
