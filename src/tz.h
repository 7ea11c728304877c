/*
 * tz.h - the merchant's time zone (merchant_timezone) as the process's
 * local zone, and its offset from UTC at a given time.
 */
#ifndef H5PAY_TZ_H
#define H5PAY_TZ_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

/* Is name an IANA zone we can use: [A-Za-z0-9_+-] parts joined by '/',
 * 1-64 bytes, no "." part, with a zoneinfo file (TZDIR or
 * /usr/share/zoneinfo)? "UTC" always is. */
bool tz_valid(const char *name);

/* Make name the process's local zone (TZ=:name, tzset). Call while the
 * process has one thread (start-up, reload in the supervisor); children
 * forked later inherit it. -1 with E_INPUT when !tz_valid(name). */
int tz_use(const char *name, struct err *);

/* Seconds east of UTC of the local zone at unix time t (0 for UTC). */
int64_t tz_offset(int64_t t);

#endif
