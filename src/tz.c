/*
 * tz.c - the merchant's time zone. The C library does the work: TZ names
 * the zone (":Asia/Hong_Kong", read from the system's zoneinfo), tzset()
 * loads it once in the single-threaded supervisor, and localtime_r()'s
 * tm_gmtoff gives the offset at any instant (daylight saving included).
 * What it does not do: parse zoneinfo files itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tz.h"

#define TZ_NAME_MAX 64

bool
tz_valid(const char *name)
{
	const char *dir = getenv("TZDIR"), *p;
	char path[512];
	size_t n, part = 0;

	if (name == NULL || (n = strlen(name)) == 0 || n > TZ_NAME_MAX)
		return false;
	if (strcmp(name, "UTC") == 0)
		return true;
	for (p = name; *p; p++) {
		if (*p == '/') {
			if (part == 0)
				return false;	/* leading or double '/' */
			part = 0;
			continue;
		}
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '+' ||
		    *p == '-'))
			return false;	/* no '.', so no ".." */
		part++;
	}
	if (part == 0)
		return false;		/* trailing '/' */
	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return false;
	return access(path, R_OK) == 0;
}

int
tz_use(const char *name, struct err *err)
{
	char tz[TZ_NAME_MAX + 2];

	if (!tz_valid(name))
		return err_set(err, E_INPUT, "merchant_timezone: \"%.64s\" is "
		    "not a time zone of this system", name ? name : "");
	(void)snprintf(tz, sizeof(tz), ":%s", name);
	if (setenv("TZ", tz, 1) == -1)
		return err_set(err, E_INTERNAL, "setenv TZ");
	tzset();
	return 0;
}

int64_t
tz_offset(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	return (int64_t)tm.tm_gmtoff;
}
