/*
 * test_admin_stats.c - store_admin_stats: per-day figures (orders, paid,
 * refunds) with zero days, the currency filter, and the cache of closed
 * days (read back, never for today); store_admin_stats_tz: the days of a
 * zone 8 h east (Hong Kong), cached under its offset.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "store.h"
#include "store_admin.h"
#include "store_admin_orders.h"
#include "t.h"

static struct store *st;
static char dbpath[] = "/tmp/h5pay-test-admin-stats-XXXXXX";
static const int64_t DAY0 = 1795737600;	/* 2026-11-27 00:00 UTC */

static void
exec(const char *sql)
{
	struct err err;

	if (store_exec(st, sql, &err) == -1)
		fprintf(stderr, "%s: %s\n", sql, err.msg);
}

static void
order(int i, int64_t created, int64_t paid, int64_t amount, const char *cur)
{
	char sql[512], pv[32];

	snprintf(pv, sizeof(pv), "%lld", (long long)paid);
	snprintf(sql, sizeof(sql), "INSERT INTO orders (order_no, openid, "
	    "appid, amount, currency, subject, state, expires_at, paid_at, "
	    "created_at, updated_at) VALUES ('S%d', 'oStatsOpenid0001', 'wx', "
	    "%lld, '%s', 's', '%s', %lld, %s, %lld, %lld)", i,
	    (long long)amount, cur, paid ? "PAID" : "CLOSED",
	    (long long)created + 900, paid ? pv : "NULL", (long long)created,
	    (long long)created);
	exec(sql);
}

/* count(*) of a query with one text parameter; -1 on failure. */
static long long
q_int(const char *sql, const char *arg)
{
	struct db_stmt *q;
	struct err err;
	long long v = -1;

	if ((q = db_prepare(store_db(st), sql, &err)) == NULL)
		return -1;
	db_bind_text(q, 1, arg);
	if (db_step(q) == DB_ROW)
		v = db_col_int64(q, 0);
	db_finalize(q);
	return v;
}

static int64_t
fig(struct json_object *arr, int i, const char *k)
{
	return json_object_get_int64(json_object_object_get(
	    json_object_array_get_idx(arr, i), k));
}

static void
test_stats(void)
{
	struct json_object *a;
	struct err err;
	int64_t now = DAY0 + 3 * 86400 + 7200;	/* day 3, 02:00 */

	order(1, DAY0 + 100, DAY0 + 200, 1000, "HKD");
	order(2, DAY0 + 300, 0, 500, "HKD");
	order(3, DAY0 + 86400 + 5, DAY0 + 2 * 86400 + 5, 700, "HKD");
	order(4, DAY0 + 86400 + 6, DAY0 + 86400 + 9, 9999, "USD");
	order(5, DAY0 + 3 * 86400 + 1, DAY0 + 3 * 86400 + 2, 300, "HKD");
	exec("INSERT INTO refunds (refund_no, order_id, amount, currency, "
	    "state, admin, created_at, updated_at) VALUES ('R1', (SELECT id "
	    "FROM orders WHERE order_no = 'S1'), 250, 'HKD', 'SUCCEEDED', 'a', "
	    "1795737600, 1795910400)");

	T_EQ_INT(store_admin_stats(st, DAY0, DAY0 + 5 * 86400, "HKD", now, &a,
	    &err), 0);
	T_EQ_INT(json_object_array_length(a), 5);
	T_EQ_INT(fig(a, 0, "day"), DAY0);
	T_EQ_INT(fig(a, 0, "orders"), 2);
	T_EQ_INT(fig(a, 0, "paidCount"), 1);
	T_EQ_INT(fig(a, 0, "paidAmount"), 1000);
	T_EQ_INT(fig(a, 1, "orders"), 2);	/* any currency */
	T_EQ_INT(fig(a, 1, "paidAmount"), 0);	/* USD not summed */
	T_EQ_INT(fig(a, 2, "paidAmount"), 700);
	T_EQ_INT(fig(a, 2, "refundCount"), 1);
	T_EQ_INT(fig(a, 2, "refundAmount"), 250);
	T_EQ_INT(fig(a, 3, "paidAmount"), 300);
	T_EQ_INT(fig(a, 4, "orders"), 0);
	json_object_put(a);

	/* closed days (0..2) were kept; today (3) was not */
	exec("DELETE FROM refunds");
	exec("DELETE FROM orders WHERE order_no IN ('S1', 'S5')");
	T_EQ_INT(store_admin_stats(st, DAY0, DAY0 + 5 * 86400, "HKD", now, &a,
	    &err), 0);
	T_EQ_INT(fig(a, 0, "paidAmount"), 1000);	/* from the cache */
	T_EQ_INT(fig(a, 2, "refundAmount"), 250);
	T_EQ_INT(fig(a, 3, "paidAmount"), 0);	/* today: live */
	json_object_put(a);

	T_EQ_INT(store_admin_stats(st, DAY0 + 1, DAY0 + 86400, "HKD", now, &a,
	    &err), -1);
	T_EQ_INT(store_admin_stats(st, DAY0, DAY0 + 400 * 86400, "HKD", now,
	    &a, &err), -1);
	T_EQ_INT(store_admin_stats(st, DAY0, DAY0, "HKD", now, &a, &err), -1);
}

/* Issue 13 (M2): 23:16 UTC on 1 Dec is 07:16 on 2 Dec in Hong Kong. */
static void
test_stats_tz(void)
{
	const int64_t off = 8 * 3600, hk0 = DAY0 + 10 * 86400 - off;
	struct json_object *a;
	struct err err;
	int64_t now = hk0 + 5 * 86400;

	exec("DELETE FROM refunds");
	exec("DELETE FROM orders");
	/* hk0 is 2026-12-07 00:00 HKT. 2026-12-07 23:16 UTC = 12-08 07:16
	 * HKT: HK day 1 */
	order(21, hk0 + 86400 + 7 * 3600 + 16 * 60,
	    hk0 + 86400 + 7 * 3600 + 17 * 60, 4400, "HKD");
	/* 15:59 UTC the same UTC day = 12-07 23:59 HKT: HK day 0 */
	order(22, hk0 + 86400 - 60, hk0 + 86400 - 30, 100, "HKD");
	T_EQ_INT(store_admin_stats_tz(st, hk0, hk0 + 3 * 86400, off, "HKD",
	    now, &a, &err), 0);
	T_EQ_INT(json_object_array_length(a), 3);
	T_EQ_INT(fig(a, 0, "day"), hk0);
	T_EQ_INT(fig(a, 0, "orders"), 1);
	T_EQ_INT(fig(a, 0, "paidAmount"), 100);
	T_EQ_INT(fig(a, 1, "orders"), 1);
	T_EQ_INT(fig(a, 1, "paidAmount"), 4400);
	json_object_put(a);
	/* UTC days would put both on one day */
	T_EQ_INT(store_admin_stats(st, DAY0 + 10 * 86400, DAY0 + 11 * 86400,
	    "HKD", now, &a, &err), 0);
	T_EQ_INT(fig(a, 0, "orders"), 2);
	json_object_put(a);
	/* a zone's closed days are kept under its offset (sql/015): their
	 * figures stay when the rows go, as UTC days' do */
	T_EQ_INT(q_int("SELECT count(*) FROM admin_stats_days WHERE "
	    "utc_offset = 28800 AND currency = ?", "HKD"), 3);
	exec("DELETE FROM orders");
	T_EQ_INT(store_admin_stats_tz(st, hk0, hk0 + 3 * 86400, off, "HKD",
	    now, &a, &err), 0);
	T_EQ_INT(fig(a, 0, "paidAmount"), 100);
	T_EQ_INT(fig(a, 1, "paidAmount"), 4400);
	json_object_put(a);
	T_EQ_INT(store_admin_stats(st, DAY0 + 10 * 86400, DAY0 + 11 * 86400,
	    "HKD", now, &a, &err), 0);
	T_EQ_INT(fig(a, 0, "orders"), 2);
	json_object_put(a);
	/* another offset's days are not served from UTC+8's rows */
	T_EQ_INT(store_admin_stats_tz(st, hk0 - 3600, hk0 - 3600 + 3 * 86400,
	    9 * 3600, "HKD", now, &a, &err), 0);
	T_EQ_INT(fig(a, 1, "paidAmount"), 0);
	T_EQ_INT(fig(a, 1, "orders"), 0);
	json_object_put(a);
	/* a day not closed yet (it ended less than an hour ago) is not
	 * kept: today's figures follow the rows */
	order(23, hk0 + 4 * 86400 + 60, hk0 + 4 * 86400 + 90, 700, "HKD");
	T_EQ_INT(store_admin_stats_tz(st, hk0 + 4 * 86400, hk0 + 5 * 86400,
	    off, "HKD", hk0 + 5 * 86400 + 1800, &a, &err), 0);
	T_EQ_INT(fig(a, 0, "paidAmount"), 700);
	json_object_put(a);
	exec("DELETE FROM orders");
	T_EQ_INT(store_admin_stats_tz(st, hk0 + 4 * 86400, hk0 + 5 * 86400,
	    off, "HKD", hk0 + 5 * 86400 + 1800, &a, &err), 0);
	T_EQ_INT(fig(a, 0, "paidAmount"), 0);
	json_object_put(a);
	/* the range must be the zone's midnights */
	T_EQ_INT(store_admin_stats_tz(st, DAY0, DAY0 + 86400, off, "HKD",
	    now, &a, &err), -1);
	T_EQ_INT(err.code, E_INPUT);
}

int
main(void)
{
	struct store_opts so = {.synchronous = "NORMAL",
	    .busy_timeout_ms = 1000};
	struct err err;
	char p[80];
	int applied, fd;

	fd = mkstemp(dbpath);
	T_OK(fd != -1);
	close(fd);
	T_OK(store_open(&st, dbpath, &so, &err) == 0);
	T_OK(store_migrate(st, &applied, &err) == 0);
	T_RUN(test_stats);
	T_RUN(test_stats_tz);
	store_close(st);
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s.lock", dbpath);
	unlink(p);
	return t_done();
}
