/*
 * CMOS RTC: index port 0x70, data 0x71. Registers 0 sec, 2 min, 4 hour,
 * 7 day, 8 month, 9 year, 0x32 century (the index ACPI's FADT usually names);
 * status A bit 7 = update in progress; status B bit 2 = binary (else BCD),
 * bit 1 = 24-hour. A read is repeated until two in a row agree.
 */
#include <stdint.h>

#include "kernel/rtc.h"
#include "kernel/x86.h"

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg | 0x80);         /* bit 7: keep NMIs disabled */
	return inb(0x71);
}

static void read_raw(uint8_t r[7])
{
	for (long i = 0; i < 10000000 && (cmos(0x0a) & 0x80); i++)
		pause();
	r[0] = cmos(0x00);
	r[1] = cmos(0x02);
	r[2] = cmos(0x04);
	r[3] = cmos(0x07);
	r[4] = cmos(0x08);
	r[5] = cmos(0x09);
	r[6] = cmos(0x32);
}

static int bcd(uint8_t v) { return (v & 0x0f) + (v >> 4) * 10; }

void rtc_read(struct rtc_time *t)
{
	uint8_t a[7], b[7], status;
	int same, tries = 0;

	read_raw(a);
	do {
		for (int i = 0; i < 7; i++)
			b[i] = a[i];
		read_raw(a);
		same = 1;
		for (int i = 0; i < 7; i++)
			same &= a[i] == b[i];
	} while (!same && ++tries < 5);

	status = cmos(0x0b);
	int pm = !(status & 0x02) && (a[2] & 0x80);
	a[2] &= 0x7f;
	if (!(status & 0x04)) {
		t->sec = bcd(a[0]), t->min = bcd(a[1]), t->hour = bcd(a[2]);
		t->day = bcd(a[3]), t->month = bcd(a[4]), t->year = bcd(a[5]);
		a[6] = (uint8_t)bcd(a[6]);
	} else {
		t->sec = a[0], t->min = a[1], t->hour = a[2];
		t->day = a[3], t->month = a[4], t->year = a[5];
	}
	if (!(status & 0x02))                   /* 12-hour mode */
		t->hour = (t->hour % 12) + (pm ? 12 : 0);
	t->year += (a[6] >= 19 && a[6] <= 99) ? a[6] * 100 : 2000;
}

uint64_t rtc_to_epoch(const struct rtc_time *t)
{
	/* Days from civil: count March-based years so leap days come last. */
	int y = t->year - (t->month <= 2);
	int era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned mp = (unsigned)(t->month + (t->month > 2 ? -3 : 9));
	unsigned doy = (153 * mp + 2) / 5 + (unsigned)t->day - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + doe - 719468;

	return (uint64_t)(days * 86400 + t->hour * 3600 + t->min * 60 + t->sec);
}
