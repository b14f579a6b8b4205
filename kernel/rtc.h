/*
 * The CMOS real-time clock (MC146818 register layout), read-only.
 */
#pragma once

#include <stdint.h>

struct rtc_time {
	int year, month, day;   /* month 1-12, day 1-31 */
	int hour, min, sec;
};

/* Read the RTC (UTC, as QEMU keeps it) consistently: waits out an update. */
void rtc_read(struct rtc_time *t);

/* Seconds since 1970-01-01 for a valid date. */
uint64_t rtc_to_epoch(const struct rtc_time *t);
