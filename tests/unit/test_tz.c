/*
 * test_tz.c - the merchant's time zone (tz.c): which names are accepted
 * (IANA shapes with a zoneinfo file; no path tricks), and the offset the
 * zone gives at an instant, daylight saving included.
 */
#include "t.h"

#include "tz.h"

static void
test_valid(void)
{
	char big[66];

	T_OK(tz_valid("UTC"));
	T_OK(tz_valid("Asia/Hong_Kong"));
	T_OK(tz_valid("America/Argentina/Buenos_Aires"));
	T_OK(tz_valid("Etc/GMT-8"));
	T_OK(!tz_valid(""));
	T_OK(!tz_valid(NULL));
	T_OK(!tz_valid("Asia/Nowhere"));
	T_OK(!tz_valid("../../etc/passwd"));
	T_OK(!tz_valid("/etc/localtime"));
	T_OK(!tz_valid("Asia//Hong_Kong"));
	T_OK(!tz_valid("Asia/"));
	T_OK(!tz_valid("Asia/Hong Kong"));
	T_OK(!tz_valid("Asia/Hong_Kong.bak"));
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T_OK(!tz_valid(big));		/* 65 bytes */
}

static void
test_offset(void)
{
	struct err err;

	/* 2026-12-01 23:16 UTC is 07:16 on 2 Dec in Hong Kong */
	T_EQ_INT(tz_use("Asia/Hong_Kong", &err), 0);
	T_EQ_INT(tz_offset(1796166960), 8 * 3600);
	/* daylight saving: New York is -5 h in January, -4 h in July */
	T_EQ_INT(tz_use("America/New_York", &err), 0);
	T_EQ_INT(tz_offset(1767225600), -5 * 3600);	/* 2026-01-01 */
	T_EQ_INT(tz_offset(1783036800), -4 * 3600);	/* 2026-07-03 */
	T_EQ_INT(tz_use("UTC", &err), 0);
	T_EQ_INT(tz_offset(1796166960), 0);
	/* a refused name leaves the zone as it was */
	T_EQ_INT(tz_use("Asia/Nowhere", &err), -1);
	T_EQ_INT(err.code, E_INPUT);
	T_OK(strstr(err.msg, "merchant_timezone") != NULL);
	T_EQ_INT(tz_offset(1796166960), 0);
}

int
main(void)
{
	T_RUN(test_valid);
	T_RUN(test_offset);
	return t_done();
}
