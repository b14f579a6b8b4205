/*
 * COM1 console (16550 UART, polled). Register offsets from the 16550 data
 * sheet: 0 data/divisor-low, 1 IER/divisor-high, 2 FCR, 3 LCR, 4 MCR, 5 LSR.
 * QEMU: `-serial stdio` (or `-nographic`) shows it.
 */
#include <stdarg.h>
#include <stddef.h>

#include "kernel/console.h"
#include "kernel/kprintf.h"
#include "kernel/x86.h"

#define COM1        0x3F8
#define UART_DATA   0
#define UART_IER    1
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define LSR_DR      0x01    /* a received byte is waiting */
#define LSR_THRE    0x20    /* transmit holding register empty */
#define LCR_DLAB    0x80

/* A byte that arrived before console_init (input piped into QEMU is
 * delivered from the first instant): turning the FIFO on empties the
 * receiver, so it is kept here. -1: none. */
static int early_byte = -1;

void console_init(void)
{
	outb(COM1 + UART_IER, 0x00);            /* no interrupts: we poll */
	if (inb(COM1 + UART_LSR) & LSR_DR)
		early_byte = inb(COM1 + UART_DATA);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DATA, 1);              /* divisor 1: 115200 baud */
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x03);            /* 8 bits, no parity, 1 stop */
	outb(COM1 + UART_FCR, 0x07);            /* enable and clear FIFOs */
	outb(COM1 + UART_MCR, 0x03);            /* DTR | RTS */
}

static void uart_putc(char c)
{
	/* Bounded wait: a missing UART reads 0xFF and must not hang us. */
	for (int i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
		pause();
	outb(COM1 + UART_DATA, (unsigned char)c);
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

size_t console_read(char *buf, size_t n)
{
	size_t got = 0;

	if (n == 0)
		return 0;
	if (early_byte >= 0) {
		char c = (char)early_byte;
		early_byte = -1;
		buf[got++] = c == '\r' ? '\n' : c;
		if (c == '\r' || c == '\n' || got == n)
			return got;
	}
	/* Block (halting between timer ticks) until the first byte, then take
	 * what is already there. */
	while (!got && !(inb(COM1 + UART_LSR) & LSR_DR))
		__asm__ volatile("sti; hlt" ::: "memory");
	while (got < n && (inb(COM1 + UART_LSR) & LSR_DR)) {
		char c = (char)inb(COM1 + UART_DATA);
		buf[got++] = c == '\r' ? '\n' : c;
		if (c == '\r' || c == '\n')
			break;  /* a line at a time, as a terminal in canonical mode */
	}
	return got;
}

static void put_console(char c, void *arg)
{
	(void)arg;
	console_write(&c, 1);
}

int kvprintf(const char *fmt, va_list ap)
{
	return kvformat(put_console, NULL, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}
