/*
 * order_fixture.h - the state machine's test fixture, shared by
 * test_order.c and test_notify.c: a migrated SQLite file in /tmp, rows
 * made by hand (orders, refunds), queries to read what was written, and
 * inputs for order_apply(). Static: one fixture per test program.
 */
#ifndef H5PAY_ORDER_FIXTURE_H
#define H5PAY_ORDER_FIXTURE_H

#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "order.h"
#include "store.h"
#include "t.h"
#include "util.h"

static struct store *st;
static char dbpath[] = "/tmp/h5pay-test-order-XXXXXX";
static const int64_t NOW = 1800000000;

static inline void
tdb_open(void)
{
	struct store_opts so = {.synchronous = "NORMAL",
	    .busy_timeout_ms = 1000};
	struct err err;
	int applied = 0, fd;

	fd = mkstemp(dbpath);
	T_OK(fd != -1);
	close(fd);
	T_OK(store_open(&st, dbpath, &so, &err) == 0);
	T_OK(store_migrate(st, &applied, &err) == 0);
	T_OK(applied >= 2);
}

static inline void
tdb_close(void)
{
	struct buf b;

	store_close(st);
	buf_init(&b, 4096);
	unlink(dbpath);
	buf_printf(&b, "%s-wal", dbpath);
	unlink(buf_str(&b));
	buf_reset(&b);
	buf_printf(&b, "%s-shm", dbpath);
	unlink(buf_str(&b));
	buf_reset(&b);
	buf_printf(&b, "%s.lock", dbpath);
	unlink(buf_str(&b));
	buf_cleanup(&b);
}

static inline void
exec(const char *sql)
{
	struct err err;

	if (store_exec(st, sql, &err) == -1)
		fprintf(stderr, "exec: %s\n", err.msg);
}

static inline void
add_order(const char *no, const char *state, int64_t amount)
{
	struct buf b;

	buf_init(&b, 4096);
	buf_printf(&b, "INSERT INTO orders (order_no, openid, appid, amount, "
	    "currency, subject, state, expires_at, paid_at, created_at, "
	    "updated_at) VALUES ('%s', 'oTESTopenid0001', 'wx1', %lld, "
	    "'HKD', 'test', '%s', %lld, %s, %lld, %lld)", no,
	    (long long)amount, state, (long long)(NOW + 1200),
	    strcmp(state, "PAID") == 0 ? "1" : "NULL", (long long)NOW,
	    (long long)NOW);
	exec(buf_str(&b));
	buf_cleanup(&b);
}

static inline void
add_refund(const char *refund_no, const char *order_no, int64_t amount,
    const char *state)
{
	struct buf b;

	buf_init(&b, 4096);
	buf_printf(&b, "INSERT INTO refunds (refund_no, order_id, amount, "
	    "currency, state, admin, created_at, updated_at) SELECT '%s', id, "
	    "%lld, 'HKD', '%s', 'admin', 1, 1 FROM orders WHERE order_no = "
	    "'%s'", refund_no, (long long)amount, state, order_no);
	exec(buf_str(&b));
	buf_cleanup(&b);
}

/* One integer from a query with one text parameter. */
static inline long long
q_int(const char *sql, const char *arg)
{
	sqlite3_stmt *s;
	long long v = -999;

	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) !=
	    SQLITE_OK)
		return -998;
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static char qbuf[256];

static inline const char *
q_text(const char *sql, const char *arg)
{
	sqlite3_stmt *s;

	qbuf[0] = '\0';
	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) !=
	    SQLITE_OK)
		return "?";
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(qbuf, sizeof(qbuf), "%s",
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return qbuf;
}

static inline const char *
state_of(const char *no)
{
	return q_text("SELECT state FROM orders WHERE order_no = ?", no);
}

static inline long long
events_of(const char *no)
{
	return q_int("SELECT COUNT(*) FROM order_events e JOIN orders o ON "
	    "o.id = e.order_id WHERE o.order_no = ?", no);
}

static inline long long
anomalies_of(const char *no, const char *kind)
{
	struct buf b;
	long long n;

	buf_init(&b, 512);
	buf_printf(&b, "SELECT COUNT(*) FROM anomalies a JOIN orders o ON "
	    "o.id = a.order_id WHERE o.order_no = ? AND a.kind = '%s'", kind);
	n = q_int(buf_str(&b), no);
	buf_cleanup(&b);
	return n;
}

/* resultCode strings (docs/protocol.md §8), without linking useepay.c */
static inline const char *
status_str(enum useepay_status s)
{
	static const char *const n[] = {"", "received", "pending", "succeed",
	    "failed", "closed", "cancelled", "weird"};

	return n[s];
}

static inline struct order_input
pay_in(enum order_source src, enum useepay_status s, int64_t amount,
    const char *cur)
{
	struct order_input in;

	memset(&in, 0, sizeof(in));
	in.source = src;
	in.kind = OIN_PAY_STATUS;
	in.status = s;
	in.result_code = status_str(s);
	in.amount = amount;
	in.currency = cur;
	in.reference = "REF1";
	return in;
}

/* Apply in its own transaction, as every caller does. */
static inline int
apply(const char *no, const struct order_input *in, struct order_outcome *o)
{
	struct err err;
	int rc;

	if (store_begin(st, &err) == -1)
		return -2;
	rc = order_apply(st, NOW, no, in, o, &err);
	if (rc == 0 && store_commit(st, &err) == -1)
		return -2;
	if (rc == -1) {
		store_rollback(st);
		return -(int)err.code - 10;
	}
	return 0;
}

#endif
