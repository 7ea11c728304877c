/*
 * test_order.c - the order state machine: the pure decision table for
 * every state and input, and order_apply() against a temp SQLite file:
 * every transition, every source, forbidden ones, anomalies, refunds,
 * idempotence.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "notify.h"
#include "order.h"
#include "sign.h"
#include "store.h"
#include "t.h"
#include "util.h"

static struct store *st;
static char dbpath[] = "/tmp/h5pay-test-order-XXXXXX";
static const int64_t NOW = 1800000000;

static void
db_open(void)
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

static void
db_close(void)
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

static void
exec(const char *sql)
{
	struct err err;

	if (store_exec(st, sql, &err) == -1)
		fprintf(stderr, "exec: %s\n", err.msg);
}

static void
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

static void
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
static long long
q_int(const char *sql, const char *arg)
{
	sqlite3_stmt *s;
	long long v = -999;

	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return -998;
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static char qbuf[256];

static const char *
q_text(const char *sql, const char *arg)
{
	sqlite3_stmt *s;

	qbuf[0] = '\0';
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return "?";
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(qbuf, sizeof(qbuf), "%s",
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return qbuf;
}

static const char *
state_of(const char *no)
{
	return q_text("SELECT state FROM orders WHERE order_no = ?", no);
}

static long long
events_of(const char *no)
{
	return q_int("SELECT COUNT(*) FROM order_events e JOIN orders o ON "
	    "o.id = e.order_id WHERE o.order_no = ?", no);
}

static long long
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
static const char *
status_str(enum useepay_status s)
{
	static const char *const n[] = {"", "received", "pending", "succeed",
	    "failed", "closed", "cancelled", "weird"};

	return n[s];
}

static struct order_input
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
static int
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

/*
 * The decision table: for every state, what each provider status does.
 * Money matches the order. "=" means unchanged.
 */
static void
test_decide_table(void)
{
	static const struct {
		enum useepay_status status;
		const char *next[ORDER__COUNT];	/* by current state */
		enum order_anomaly an[ORDER__COUNT];
	} rows[] = {
		/* CREATED PENDING UNKNOWN PAID FAILED CLOSED PART REFUNDED */
		{UPS_SUCCEED, {"PAID", "PAID", "PAID", "=", "PAID", "PAID",
		    "=", "="}, {0, 0, 0, 0, OAN_PAID_AFTER_FAILED,
		    OAN_PAID_AFTER_CLOSED, 0, 0}},
		{UPS_FAILED, {"FAILED", "FAILED", "FAILED", "=", "=", "=", "=",
		    "="}, {0, 0, 0, OAN_STATUS_CONFLICT, 0, 0,
		    OAN_STATUS_CONFLICT, OAN_STATUS_CONFLICT}},
		{UPS_CLOSED, {"CLOSED", "CLOSED", "CLOSED", "=", "=", "=", "=",
		    "="}, {0, 0, 0, OAN_STATUS_CONFLICT, 0, 0,
		    OAN_STATUS_CONFLICT, OAN_STATUS_CONFLICT}},
		{UPS_CANCELLED, {"CLOSED", "CLOSED", "CLOSED", "=", "=", "=",
		    "=", "="}, {0, 0, 0, OAN_STATUS_CONFLICT, 0, 0,
		    OAN_STATUS_CONFLICT, OAN_STATUS_CONFLICT}},
		{UPS_PENDING, {"PENDING", "=", "PENDING", "=", "=", "=", "=",
		    "="}, {0}},
		{UPS_RECEIVED, {"PENDING", "=", "PENDING", "=", "=", "=", "=",
		    "="}, {0}},
		{UPS_NONE, {"=", "=", "=", "=", "=", "=", "=", "="}, {0}},
		{UPS_OTHER, {"=", "=", "=", "=", "=", "=", "=", "="}, {0}},
	};
	size_t r;
	int s;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
		for (s = 0; s < ORDER__COUNT; s++) {
			struct order o = {.id = 1, .state = s, .amount = 1000,
			    .currency = "HKD"};
			struct order_input in = pay_in(OSRC_NOTIFY,
			    rows[r].status, 1000, "HKD");
			struct order_decision d;
			const char *want = rows[r].next[s];

			order_decide(&o, &in, &d);
			if (strcmp(want, "=") == 0)
				want = order_state_name(o.state);
			if (strcmp(order_state_name(d.next), want) != 0 ||
			    d.anomaly != rows[r].an[s])
				fprintf(stderr, "  status=%s state=%s\n",
				    status_str(rows[r].status),
				    order_state_name(o.state));
			T_EQ_STR(order_state_name(d.next), want);
			T_EQ_INT(d.anomaly, rows[r].an[s]);
		}
}

/* Money mismatches record no payment, whatever the state. */
static void
test_decide_money(void)
{
	int s;

	for (s = 0; s < ORDER__COUNT; s++) {
		struct order o = {.id = 1, .state = s, .amount = 1000,
		    .currency = "HKD"};
		struct order_input in;
		struct order_decision d;

		in = pay_in(OSRC_NOTIFY, UPS_SUCCEED, 999, "HKD");
		order_decide(&o, &in, &d);
		T_EQ_INT(d.next, s);
		T_EQ_INT(d.anomaly, OAN_AMOUNT_MISMATCH);
		in = pay_in(OSRC_NOTIFY, UPS_SUCCEED, 1000, "CNY");
		order_decide(&o, &in, &d);
		T_EQ_INT(d.next, s);
		T_EQ_INT(d.anomaly, OAN_CURRENCY_MISMATCH);
		in = pay_in(OSRC_QUERY, UPS_SUCCEED, -1, "HKD");
		order_decide(&o, &in, &d);
		T_EQ_INT(d.next, s);
		T_EQ_INT(d.anomaly, OAN_AMOUNT_MISMATCH);
		in = pay_in(OSRC_QUERY, UPS_SUCCEED, 1000, NULL);
		order_decide(&o, &in, &d);
		T_EQ_INT(d.next, s);
		T_EQ_INT(d.anomaly, OAN_CURRENCY_MISMATCH);
		in = pay_in(OSRC_QUERY, UPS_SUCCEED, 1000, "hkd");
		order_decide(&o, &in, &d);
		T_EQ_INT(d.anomaly, OAN_CURRENCY_MISMATCH);
		/* a failure without money fields is still a usable failure */
		in = pay_in(OSRC_QUERY, UPS_CLOSED, -1, NULL);
		order_decide(&o, &in, &d);
		T_EQ_INT(d.anomaly, s == ORDER_PAID ||
		    s == ORDER_PARTIALLY_REFUNDED || s == ORDER_REFUNDED ?
		    OAN_STATUS_CONFLICT : OAN_NONE);
	}
}

/* The local inputs: create outcomes and the reconciler's expiry. */
static void
test_decide_local(void)
{
	static const struct {
		enum order_input_kind kind;
		const char *next[ORDER__COUNT];
	} rows[] = {
		{OIN_CREATE_OK, {"PENDING", "=", "=", "=", "=", "=", "=", "="}},
		{OIN_CREATE_FAILED, {"FAILED", "=", "=", "=", "=", "=", "=",
		    "="}},
		{OIN_CREATE_UNKNOWN, {"UNKNOWN", "=", "=", "=", "=", "=", "=",
		    "="}},
		{OIN_EXPIRE, {"CLOSED", "CLOSED", "CLOSED", "=", "=", "=", "=",
		    "="}},
	};
	size_t r;
	int s;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
		for (s = 0; s < ORDER__COUNT; s++) {
			struct order o = {.id = 1, .state = s, .amount = 1000,
			    .currency = "HKD"};
			struct order_input in = {.source = OSRC_PAY,
			    .kind = rows[r].kind, .amount = -1};
			struct order_decision d;
			const char *want = rows[r].next[s];

			order_decide(&o, &in, &d);
			if (strcmp(want, "=") == 0)
				want = order_state_name(o.state);
			T_EQ_STR(order_state_name(d.next), want);
			T_EQ_INT(d.anomaly, OAN_NONE);
		}
}

static void
test_names(void)
{
	enum order_state s;
	enum refund_state r;
	int i;

	for (i = 0; i < ORDER__COUNT; i++) {
		T_OK(order_state_parse(order_state_name(i), &s) == 0);
		T_EQ_INT(s, i);
	}
	for (i = 0; i < REFUND__COUNT; i++) {
		T_OK(refund_state_parse(refund_state_name(i), &r) == 0);
		T_EQ_INT(r, i);
	}
	T_OK(order_state_parse("paid", &s) == -1);
	T_OK(order_state_parse(NULL, &s) == -1);
	T_EQ_STR(order_source_name(OSRC_RECONCILER), "reconciler");
	T_EQ_STR(order_anomaly_name(OAN_PAID_AFTER_CLOSED),
	    "paid_after_closed");
}

/* PENDING -> PAID once; the same notification again changes nothing. */
static void
test_apply_paid_idempotent(void)
{
	struct order_input in = pay_in(OSRC_NOTIFY, UPS_SUCCEED, 1000, "HKD");
	struct order_outcome out;
	int i;

	add_order("A1", "PENDING", 1000);
	in.msg_sha256 = "00000000000000000000000000000000"
	    "00000000000000000000000000000000";
	T_EQ_INT(apply("A1", &in, &out), 0);
	T_OK(out.changed);
	T_EQ_INT(out.old_state, ORDER_PENDING);
	T_EQ_INT(out.new_state, ORDER_PAID);
	T_EQ_STR(state_of("A1"), "PAID");
	T_OK(q_int("SELECT paid_at FROM orders WHERE order_no = ?", "A1") ==
	    NOW);
	T_EQ_STR(q_text("SELECT provider_ref FROM orders WHERE order_no = ?",
	    "A1"), "REF1");
	for (i = 0; i < 3; i++) {
		T_EQ_INT(apply("A1", &in, &out), 0);
		T_OK(!out.changed);
		T_EQ_INT(out.anomaly, OAN_NONE);
	}
	in.source = OSRC_QUERY;
	T_EQ_INT(apply("A1", &in, &out), 0);
	T_OK(!out.changed);
	T_EQ_INT(events_of("A1"), 1);
	T_EQ_STR(q_text("SELECT source || ':' || old_state || '>' || "
	    "new_state || ':' || result_code || ':' || msg_sha256 FROM "
	    "order_events e JOIN orders o ON o.id = e.order_id WHERE "
	    "order_no = ?", "A1"), "notify:PENDING>PAID:succeed:"
	    "0000000000000000000000000000000000000000000000000000000000000000");
}

/* Every source goes through the same function and is recorded. */
static void
test_apply_every_source(void)
{
	static const char *nos[] = {"S0", "S1", "S2", "S3", "S4"};
	struct order_outcome out;
	int i;

	for (i = 0; i < OSRC__COUNT; i++) {
		struct order_input in = pay_in((enum order_source)i,
		    UPS_SUCCEED, 500, "HKD");

		add_order(nos[i], i % 2 ? "UNKNOWN" : "PENDING", 500);
		if (i == OSRC_ADMIN)
			in.actor = "alice";
		T_EQ_INT(apply(nos[i], &in, &out), 0);
		T_EQ_STR(state_of(nos[i]), "PAID");
		T_EQ_STR(q_text("SELECT source FROM order_events e JOIN "
		    "orders o ON o.id = e.order_id WHERE order_no = ?",
		    nos[i]), order_source_name((enum order_source)i));
	}
	T_EQ_STR(q_text("SELECT actor FROM order_events e JOIN orders o ON "
	    "o.id = e.order_id WHERE order_no = ?", "S3"), "alice");
}

static void
test_apply_mismatch(void)
{
	struct order_input in = pay_in(OSRC_NOTIFY, UPS_SUCCEED, 1, "HKD");
	struct order_outcome out;

	add_order("M1", "PENDING", 1000);
	T_EQ_INT(apply("M1", &in, &out), 0);
	T_EQ_INT(out.anomaly, OAN_AMOUNT_MISMATCH);
	T_OK(!out.changed);
	in = pay_in(OSRC_NOTIFY, UPS_SUCCEED, 1000, "USD");
	T_EQ_INT(apply("M1", &in, &out), 0);
	T_EQ_INT(out.anomaly, OAN_CURRENCY_MISMATCH);
	T_EQ_STR(state_of("M1"), "PENDING");
	T_EQ_INT(events_of("M1"), 0);
	T_EQ_INT(anomalies_of("M1", "amount_mismatch"), 1);
	T_EQ_INT(anomalies_of("M1", "currency_mismatch"), 1);
	T_OK(q_int("SELECT paid_at IS NULL FROM orders WHERE order_no = ?",
	    "M1") == 1);
}

/* succeed then closed/failed stays PAID; closed then succeed -> PAID +
 * anomaly (acceptance 3). */
static void
test_apply_out_of_order(void)
{
	struct order_input ok = pay_in(OSRC_NOTIFY, UPS_SUCCEED, 700, "HKD");
	struct order_input closed = pay_in(OSRC_NOTIFY, UPS_CLOSED, 700,
	    "HKD");
	struct order_input failed = pay_in(OSRC_NOTIFY, UPS_FAILED, 700,
	    "HKD");
	struct order_outcome out;

	add_order("O1", "PENDING", 700);
	T_EQ_INT(apply("O1", &ok, &out), 0);
	T_EQ_INT(apply("O1", &closed, &out), 0);
	T_EQ_INT(out.anomaly, OAN_STATUS_CONFLICT);
	T_EQ_INT(apply("O1", &failed, &out), 0);
	T_EQ_STR(state_of("O1"), "PAID");
	T_EQ_INT(events_of("O1"), 1);

	add_order("O2", "PENDING", 700);
	closed.error_code = "3300";
	closed.error_msg = "Transaction is expired";
	T_EQ_INT(apply("O2", &closed, &out), 0);
	T_EQ_STR(state_of("O2"), "CLOSED");
	T_EQ_STR(q_text("SELECT error_code FROM orders WHERE order_no = ?",
	    "O2"), "3300");
	T_EQ_INT(apply("O2", &ok, &out), 0);
	T_EQ_INT(out.anomaly, OAN_PAID_AFTER_CLOSED);
	T_EQ_STR(state_of("O2"), "PAID");
	T_EQ_INT(anomalies_of("O2", "paid_after_closed"), 1);
	T_EQ_INT(events_of("O2"), 2);
	/* and the redelivered succeed raises nothing more */
	T_EQ_INT(apply("O2", &ok, &out), 0);
	T_EQ_INT(anomalies_of("O2", "paid_after_closed"), 1);

	add_order("O3", "PENDING", 700);
	T_EQ_INT(apply("O3", &failed, &out), 0);
	T_EQ_STR(state_of("O3"), "FAILED");
	T_EQ_INT(apply("O3", &closed, &out), 0);
	T_EQ_STR(state_of("O3"), "FAILED");
	T_EQ_INT(apply("O3", &ok, &out), 0);
	T_EQ_STR(state_of("O3"), "PAID");
	T_EQ_INT(anomalies_of("O3", "paid_after_failed"), 1);
}

/* /pay's outcomes and UNKNOWN resolved by a query. */
static void
test_apply_create_and_unknown(void)
{
	struct order_input in = {.source = OSRC_PAY, .kind = OIN_CREATE_OK,
	    .amount = -1, .reference = "UP123",
	    .jsapi = "{\"appId\":\"wx1\",\"package\":\"prepay_id=1\"}"};
	struct order_outcome out;

	add_order("C1", "CREATED", 100);
	T_EQ_INT(apply("C1", &in, &out), 0);
	T_EQ_STR(state_of("C1"), "PENDING");
	T_EQ_STR(q_text("SELECT json_extract(jsapi, '$.package') FROM orders "
	    "WHERE order_no = ?", "C1"), "prepay_id=1");
	T_EQ_STR(q_text("SELECT provider_ref FROM orders WHERE order_no = ?",
	    "C1"), "UP123");
	/* a query got there first: PENDING stands, the params are kept */
	add_order("C0", "CREATED", 100);
	{
		struct order_input q = pay_in(OSRC_QUERY, UPS_PENDING, 100,
		    "HKD");

		T_EQ_INT(apply("C0", &q, &out), 0);
	}
	T_EQ_STR(state_of("C0"), "PENDING");
	T_EQ_INT(apply("C0", &in, &out), 0);
	T_OK(!out.changed);
	T_EQ_STR(q_text("SELECT json_extract(jsapi, '$.package') FROM orders "
	    "WHERE order_no = ?", "C0"), "prepay_id=1");
	T_EQ_INT(events_of("C0"), 1);
	/* a second create outcome cannot move it */
	in.kind = OIN_CREATE_FAILED;
	T_EQ_INT(apply("C1", &in, &out), 0);
	T_EQ_STR(state_of("C1"), "PENDING");

	add_order("C2", "CREATED", 100);
	in.kind = OIN_CREATE_FAILED;
	in.error_code = "1001";
	in.error_msg = "refused";
	T_EQ_INT(apply("C2", &in, &out), 0);
	T_EQ_STR(state_of("C2"), "FAILED");
	T_EQ_STR(q_text("SELECT error_msg FROM orders WHERE order_no = ?",
	    "C2"), "refused");

	add_order("C3", "CREATED", 100);
	in.kind = OIN_CREATE_UNKNOWN;
	in.error_code = NULL;
	in.error_msg = NULL;
	T_EQ_INT(apply("C3", &in, &out), 0);
	T_EQ_STR(state_of("C3"), "UNKNOWN");
	in = pay_in(OSRC_QUERY, UPS_PENDING, 100, "HKD");
	T_EQ_INT(apply("C3", &in, &out), 0);
	T_EQ_STR(state_of("C3"), "PENDING");
	in = pay_in(OSRC_QUERY, UPS_SUCCEED, 100, "HKD");
	T_EQ_INT(apply("C3", &in, &out), 0);
	T_EQ_STR(state_of("C3"), "PAID");
	T_EQ_INT(events_of("C3"), 3);
	T_EQ_STR(q_text("SELECT group_concat(new_state, ',') FROM (SELECT "
	    "new_state FROM order_events e JOIN orders o ON o.id = "
	    "e.order_id WHERE order_no = ? ORDER BY e.id)", "C3"),
	    "UNKNOWN,PENDING,PAID");
}

/* The reconciler's close never beats a payment. */
static void
test_apply_expire(void)
{
	struct order_input ex = {.source = OSRC_RECONCILER,
	    .kind = OIN_EXPIRE, .amount = -1};
	struct order_input ok = pay_in(OSRC_NOTIFY, UPS_SUCCEED, 100, "HKD");
	struct order_outcome out;

	add_order("E1", "PENDING", 100);
	T_EQ_INT(apply("E1", &ex, &out), 0);
	T_EQ_STR(state_of("E1"), "CLOSED");
	add_order("E2", "PENDING", 100);
	T_EQ_INT(apply("E2", &ok, &out), 0);
	T_EQ_INT(apply("E2", &ex, &out), 0);
	T_OK(!out.changed);
	T_EQ_STR(state_of("E2"), "PAID");
	add_order("E3", "UNKNOWN", 100);
	T_EQ_INT(apply("E3", &ex, &out), 0);
	T_EQ_STR(state_of("E3"), "CLOSED");
}

/* Issue 10 item 2: a notified succeed without amount or currency is not
 * an anomaly: the order becomes due for a query now; the query's matching
 * money makes it PAID; a query's mismatch is the anomaly. Item 3: a
 * refusal unsigned fails the order with provider_refused; an unresolved
 * expiry closes it with unresolved. */
static void
test_apply_golive(void)
{
	struct order_input in = pay_in(OSRC_NOTIFY, UPS_SUCCEED, -1, NULL);
	struct order_input ex = {.source = OSRC_RECONCILER,
	    .kind = OIN_EXPIRE, .amount = -1, .unresolved = true};
	struct order_input cf = {.source = OSRC_PAY,
	    .kind = OIN_CREATE_FAILED, .amount = -1, .error_code = "1003",
	    .error_msg = "signature verification failed",
	    .refused_unsigned = true};
	struct order_outcome out;

	add_order("GL1", "PENDING", 1000);
	exec("UPDATE orders SET next_check_at = 99999999999 WHERE "
	    "order_no = 'GL1'");
	T_EQ_INT(apply("GL1", &in, &out), 0);
	T_OK(out.confirm);
	T_EQ_INT(out.anomaly, OAN_NONE);
	T_OK(!out.changed);
	T_EQ_STR(state_of("GL1"), "PENDING");
	T_EQ_INT(anomalies_of("GL1", "amount_mismatch"), 0);
	T_EQ_INT(q_int("SELECT next_check_at FROM orders WHERE order_no = ?",
	    "GL1"), NOW);
	/* amount only, matching: still a confirmation; a wrong amount is
	 * a real mismatch at once */
	in = pay_in(OSRC_NOTIFY, UPS_SUCCEED, 1000, NULL);
	T_EQ_INT(apply("GL1", &in, &out), 0);
	T_OK(out.confirm);
	in = pay_in(OSRC_NOTIFY, UPS_SUCCEED, 999, NULL);
	T_EQ_INT(apply("GL1", &in, &out), 0);
	T_OK(!out.confirm);
	T_EQ_INT(out.anomaly, OAN_AMOUNT_MISMATCH);
	/* the query confirms */
	in = pay_in(OSRC_RECONCILER, UPS_SUCCEED, 1000, "HKD");
	T_EQ_INT(apply("GL1", &in, &out), 0);
	T_EQ_STR(state_of("GL1"), "PAID");
	/* a query without money stays an anomaly (nothing else confirms) */
	add_order("GL2", "PENDING", 1000);
	in = pay_in(OSRC_QUERY, UPS_SUCCEED, -1, NULL);
	T_EQ_INT(apply("GL2", &in, &out), 0);
	T_OK(!out.confirm);
	T_EQ_INT(out.anomaly, OAN_AMOUNT_MISMATCH);
	/* item 3 */
	add_order("GL3", "CREATED", 1000);
	T_EQ_INT(apply("GL3", &cf, &out), 0);
	T_EQ_STR(state_of("GL3"), "FAILED");
	T_EQ_INT(anomalies_of("GL3", "provider_refused"), 1);
	add_order("GL4", "UNKNOWN", 1000);
	T_EQ_INT(apply("GL4", &ex, &out), 0);
	T_EQ_STR(state_of("GL4"), "CLOSED");
	T_EQ_INT(anomalies_of("GL4", "unresolved"), 1);
}

static void
test_apply_unknown_order(void)
{
	struct order_input in = pay_in(OSRC_NOTIFY, UPS_SUCCEED, 100, "HKD");
	struct order_outcome out;
	struct err err;

	T_EQ_INT(apply("NOPE", &in, &out), -(int)E_NOTFOUND - 10);
	T_EQ_INT(apply("bad/../no", &in, &out), -(int)E_NOTFOUND - 10);
	T_EQ_INT(apply("", &in, &out), -(int)E_NOTFOUND - 10);
	T_OK(store_begin(st, &err) == 0);
	T_OK(order_anomaly_record(st, NOW, OAN_UNKNOWN_ORDER, OSRC_NOTIFY, 0,
	    "transactionId=NOPE", &err) == 0);
	T_OK(store_commit(st, &err) == 0);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM anomalies WHERE kind = "
	    "'unknown_order' AND order_id IS NULL", NULL), 1);
}

/* A rolled-back transaction leaves nothing (the notify handler's 500). */
static void
test_apply_rollback(void)
{
	struct order_input in = pay_in(OSRC_NOTIFY, UPS_SUCCEED, 100, "HKD");
	struct order_outcome out;
	struct err err;

	add_order("R0", "PENDING", 100);
	T_OK(store_begin(st, &err) == 0);
	T_OK(order_apply(st, NOW, "R0", &in, &out, &err) == 0);
	T_OK(out.changed);
	store_rollback(st);
	T_EQ_STR(state_of("R0"), "PENDING");
	T_EQ_INT(events_of("R0"), 0);
}

static struct order_input
refund_in(const char *refund_no, enum useepay_status s, int64_t amount)
{
	struct order_input in = pay_in(OSRC_NOTIFY, s, amount, "HKD");

	in.kind = OIN_REFUND_STATUS;
	in.refund_no = refund_no;
	in.reference = "UPR1";
	return in;
}

/* PAID -> PARTIALLY_REFUNDED -> REFUNDED; duplicates, failures,
 * mismatches, unknown refunds. */
static void
test_apply_refunds(void)
{
	struct order_input in;
	struct order_outcome out;

	add_order("P1", "PAID", 1000);
	add_refund("RF1", "P1", 300, "PENDING");
	add_refund("RF2", "P1", 700, "PENDING");
	add_refund("RF3", "P1", 100, "PENDING");
	add_order("P2", "PAID", 1000);
	add_refund("RFX", "P2", 100, "PENDING");

	in = refund_in("RF1", UPS_SUCCEED, 300);
	T_EQ_INT(apply("P1", &in, &out), 0);
	T_OK(out.changed);
	T_EQ_STR(state_of("P1"), "PARTIALLY_REFUNDED");
	T_EQ_INT(q_int("SELECT refunded_amount FROM orders WHERE order_no = "
	    "?", "P1"), 300);
	T_EQ_STR(q_text("SELECT state FROM refunds WHERE refund_no = ?",
	    "RF1"), "SUCCEEDED");
	/* the duplicate */
	T_EQ_INT(apply("P1", &in, &out), 0);
	T_OK(!out.changed);
	T_EQ_INT(q_int("SELECT refunded_amount FROM orders WHERE order_no = "
	    "?", "P1"), 300);
	/* a refund of another order, or unknown */
	in = refund_in("RFX", UPS_SUCCEED, 100);
	T_EQ_INT(apply("P1", &in, &out), 0);
	T_EQ_INT(out.anomaly, OAN_UNKNOWN_REFUND);
	in = refund_in("NOSUCH", UPS_SUCCEED, 100);
	T_EQ_INT(apply("P1", &in, &out), 0);
	T_EQ_INT(out.anomaly, OAN_UNKNOWN_REFUND);
	T_EQ_INT(anomalies_of("P1", "unknown_refund"), 2);
	/* wrong amount */
	in = refund_in("RF2", UPS_SUCCEED, 701);
	T_EQ_INT(apply("P1", &in, &out), 0);
	T_EQ_INT(out.anomaly, OAN_REFUND_MISMATCH);
	T_EQ_STR(q_text("SELECT state FROM refunds WHERE refund_no = ?",
	    "RF2"), "PENDING");
	/* a failed refund changes the refund only */
	in = refund_in("RF3", UPS_FAILED, 100);
	in.error_code = "5001";
	T_EQ_INT(apply("P1", &in, &out), 0);
	T_EQ_STR(q_text("SELECT state || ':' || error_code FROM refunds "
	    "WHERE refund_no = ?", "RF3"), "FAILED:5001");
	T_EQ_STR(state_of("P1"), "PARTIALLY_REFUNDED");
	/* the rest */
	in = refund_in("RF2", UPS_SUCCEED, 700);
	T_EQ_INT(apply("P1", &in, &out), 0);
	T_EQ_STR(state_of("P1"), "REFUNDED");
	T_EQ_INT(q_int("SELECT refunded_amount FROM orders WHERE order_no = "
	    "?", "P1"), 1000);
	/* a late succeed of the failed one would pass the amount */
	in = refund_in("RF3", UPS_SUCCEED, 100);
	T_EQ_INT(apply("P1", &in, &out), 0);
	T_EQ_INT(out.anomaly, OAN_REFUND_OVER_AMOUNT);
	T_EQ_INT(q_int("SELECT refunded_amount FROM orders WHERE order_no = "
	    "?", "P1"), 1000);
	/* a succeed for the pay transaction does not move a refunded order */
	in = pay_in(OSRC_NOTIFY, UPS_SUCCEED, 1000, "HKD");
	T_EQ_INT(apply("P1", &in, &out), 0);
	T_EQ_STR(state_of("P1"), "REFUNDED");
	T_EQ_STR(q_text("SELECT group_concat(old_state || '>' || new_state || "
	    "'/' || amount, ',') FROM (SELECT * FROM order_events e JOIN "
	    "orders o ON o.id = e.order_id WHERE order_no = ? ORDER BY e.id)",
	    "P1"), "PAID>PARTIALLY_REFUNDED/300,"
	    "PARTIALLY_REFUNDED>PARTIALLY_REFUNDED/100,"
	    "PARTIALLY_REFUNDED>REFUNDED/700");
}

/* The schema refuses what the state machine must never write. */
static void
test_schema_checks(void)
{
	struct err err;

	T_OK(store_exec(st, "UPDATE orders SET state = 'BOGUS' WHERE "
	    "order_no = 'A1'", &err) == -1);
	T_OK(store_exec(st, "UPDATE orders SET refunded_amount = amount + 1 "
	    "WHERE order_no = 'A1'", &err) == -1);
	T_OK(store_exec(st, "UPDATE orders SET state = 'REFUNDED' WHERE "
	    "order_no = 'A1'", &err) == -1);
	T_OK(store_exec(st, "INSERT INTO orders (order_no, openid, appid, "
	    "amount, currency, subject, expires_at, created_at, updated_at) "
	    "VALUES ('x-1', 'o', 'a', 1, 'HKD', 's', 1, 1, 1)", &err) == -1);
	T_OK(store_exec(st, "INSERT INTO orders (order_no, openid, appid, "
	    "amount, currency, subject, expires_at, created_at, updated_at) "
	    "VALUES ('x1', 'o', 'a', 0, 'HKD', 's', 1, 1, 1)", &err) == -1);
	T_OK(store_exec(st, "INSERT INTO orders (order_no, openid, appid, "
	    "amount, currency, subject, expires_at, created_at, updated_at) "
	    "VALUES ('x1', 'o', 'a', 1.5, 'HKD', 's', 1, 1, 1)", &err) == -1);
	T_OK(store_exec(st, "INSERT INTO orders (order_no, openid, appid, "
	    "amount, currency, subject, idempotency_key, expires_at, "
	    "created_at, updated_at) VALUES ('x2', 'o', 'a', 1, 'HKD', 's', "
	    "'k', 1, 1, 1), ('x3', 'o', 'a', 1, 'HKD', 's', 'k', 1, 1, 1)",
	    &err) == -1);
}

static struct useepay_txn
txn_of(const char *type, const char *id, const char *orig,
    enum useepay_status s, int64_t amount)
{
	struct useepay_txn t;

	memset(&t, 0, sizeof(t));
	t.status = s;
	t.result_code = xstrdup(status_str(s));
	t.transaction_type = xstrdup(type);
	t.transaction_id = xstrdup(id);
	t.original_transaction_id = orig ? xstrdup(orig) : NULL;
	t.reference = xstrdup("UPN1");
	t.amount = amount;
	t.currency = xstrdup("HKD");
	return t;
}

static int
notify(const char *body, const struct useepay_txn *t,
    enum notify_outcome *res)
{
	struct order_outcome oo;
	struct err err;
	char sha[65];
	int rc;

	sign_sha256_hex(body, strlen(body), sha);
	rc = notify_process(st, NOW, body, strlen(body), sha, t, res,
	    &oo, &err);
	if (rc == -1)
		fprintf(stderr, "notify: %s\n", err.msg);
	return rc;
}

/* The notify transaction: store, dedupe by body hash, apply, record. */
static void
test_notify_process(void)
{
	struct useepay_txn t = txn_of("pay", "N1", NULL, UPS_SUCCEED, 100);
	enum notify_outcome res;

	add_order("N1", "PENDING", 100);
	T_EQ_INT(notify("body-N1", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_APPLIED);
	T_EQ_STR(state_of("N1"), "PAID");
	T_EQ_STR(q_text("SELECT outcome || ':' || verified || ':' || body || "
	    "':' || (order_id IS NOT NULL) FROM notifications WHERE "
	    "transaction_id = ?", "N1"), "applied:1:body-N1:1");
	T_EQ_STR(q_text("SELECT e.notification_id = n.id FROM order_events e "
	    "JOIN notifications n ON n.transaction_id = ? JOIN orders o ON "
	    "o.id = e.order_id AND o.order_no = n.transaction_id", "N1"), "1");
	/* byte-identical redelivery: counted on the first row, no new row,
	 * nothing else (the security issue: a redelivery is a counter) */
	T_EQ_INT(notify("body-N1", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_DUPLICATE);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM notifications WHERE "
	    "transaction_id = ?", "N1"), 1);
	T_EQ_INT(q_int("SELECT redeliveries FROM notifications WHERE "
	    "transaction_id = ?", "N1"), 1);
	T_EQ_INT(events_of("N1"), 1);
	/* another body with the same meaning (padded, re-encoded): the same
	 * delivery, counted, not stored */
	T_EQ_INT(notify("body-N1 resent", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_DUPLICATE);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM notifications WHERE "
	    "transaction_id = ?", "N1"), 1);
	T_EQ_INT(q_int("SELECT redeliveries FROM notifications WHERE "
	    "transaction_id = ?", "N1"), 2);
	T_EQ_INT(events_of("N1"), 1);
	/* unknown order: anomaly tied to the notification */
	useepay_txn_cleanup(&t);
	t = txn_of("pay", "NOSUCH", NULL, UPS_SUCCEED, 100);
	T_EQ_INT(notify("body-nosuch", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_ANOMALY);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM anomalies a JOIN notifications n "
	    "ON n.id = a.notification_id WHERE n.transaction_id = ? AND "
	    "a.kind = 'unknown_order'", "NOSUCH"), 1);
	/* mismatch: anomaly, not paid */
	add_order("N2", "PENDING", 100);
	useepay_txn_cleanup(&t);
	t = txn_of("pay", "N2", NULL, UPS_SUCCEED, 101);
	T_EQ_INT(notify("body-N2", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_ANOMALY);
	T_EQ_STR(state_of("N2"), "PENDING");
	/* a type we do not handle */
	useepay_txn_cleanup(&t);
	t = txn_of("query", "N2", NULL, UPS_SUCCEED, 100);
	T_EQ_INT(notify("body-N2-query", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_IGNORED);
	T_EQ_STR(state_of("N2"), "PENDING");
	/* a refund notification */
	add_refund("NR1", "N1", 100, "PENDING");
	useepay_txn_cleanup(&t);
	t = txn_of("refund", "NR1", "N1", UPS_SUCCEED, 100);
	T_EQ_INT(notify("body-NR1", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_APPLIED);
	T_EQ_STR(state_of("N1"), "REFUNDED");
	/* a refund without originalTransactionId is not ours */
	useepay_txn_cleanup(&t);
	t = txn_of("refund", "NR1", NULL, UPS_SUCCEED, 100);
	T_EQ_INT(notify("body-NR1-noorig", &t, &res), 0);
	T_EQ_INT(res, NOTIFY_ANOMALY);
	useepay_txn_cleanup(&t);
}

/* Group commit: 8 threads, one connection each, submit while the write
 * lock is held elsewhere, so the first leader finds a queue: one batch,
 * one commit, every job acknowledged with its own result; a job that
 * fails (a body past the schema's cap) fails alone. */
#define GC_THREADS 8
#define GC_ORDERS 40

struct gc_thread {
	pthread_t tid;
	int index;
	int ok, failed, applied;
	int big_rc;
};

static void *
gc_run(void *arg)
{
	struct gc_thread *g = arg;
	struct store_opts so = {.synchronous = "NORMAL",
	    .busy_timeout_ms = 10000};
	struct store *mine;
	struct err err;
	char no[16], body[64], sha[65];
	int i;

	if (store_open(&mine, dbpath, &so, &err) == -1)
		return NULL;
	if (g->index == 3) {
		/* one poisoned job, queued with the others in the first batch:
		 * it fails alone */
		static char big[17000];
		struct useepay_txn t = txn_of("pay", "G1", NULL, UPS_SUCCEED,
		    100);
		struct notify_job bj;

		memset(big, 'x', sizeof(big) - 1);
		sign_sha256_hex(big, strlen(big), sha);
		memset(&bj, 0, sizeof(bj));
		bj.now = NOW;
		bj.body = big;
		bj.len = strlen(big);
		bj.body_sha256 = sha;
		bj.txn = &t;
		g->big_rc = notify_submit(mine, &bj);
		useepay_txn_cleanup(&t);
	}
	for (i = 0; i < GC_ORDERS; i++) {
		/* every thread notifies every order: one applies it, the
		 * rest are duplicates or no-ops */
		struct useepay_txn t;
		struct notify_job job;

		snprintf(no, sizeof(no), "G%d", i);
		snprintf(body, sizeof(body), "body-G%d-%d", i, g->index % 2);
		t = txn_of("pay", no, NULL, UPS_SUCCEED, 100);
		sign_sha256_hex(body, strlen(body), sha);
		memset(&job, 0, sizeof(job));
		job.now = NOW;
		job.body = body;
		job.len = strlen(body);
		job.body_sha256 = sha;
		job.txn = &t;
		if (notify_submit(mine, &job) == 0) {
			g->ok++;
			g->applied += job.res == NOTIFY_APPLIED;
		} else
			g->failed++;
		useepay_txn_cleanup(&t);
	}
	store_close(mine);
	return NULL;
}

static void
test_notify_group_commit(void)
{
	struct gc_thread g[GC_THREADS];
	struct err err;
	char no[16];
	int i, ok = 0, failed = 0, applied = 0;

	for (i = 0; i < GC_ORDERS; i++) {
		snprintf(no, sizeof(no), "G%d", i);
		add_order(no, "PENDING", 100);
	}
	/* hold the write lock: the submitters queue up behind a leader */
	T_OK(store_begin(st, &err) == 0);
	memset(g, 0, sizeof(g));
	for (i = 0; i < GC_THREADS; i++) {
		g[i].index = i;
		pthread_create(&g[i].tid, NULL, gc_run, &g[i]);
	}
	sleep(1);
	store_rollback(st);
	for (i = 0; i < GC_THREADS; i++) {
		pthread_join(g[i].tid, NULL);
		ok += g[i].ok;
		failed += g[i].failed;
		applied += g[i].applied;
	}
	T_EQ_INT(ok, GC_THREADS * GC_ORDERS);
	T_EQ_INT(failed, 0);
	T_EQ_INT(applied, GC_ORDERS);
	T_EQ_INT(g[3].big_rc, -1);
	T_OK(notify_max_batch() >= 2);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM orders WHERE order_no GLOB "
	    "'G[0-9]*' AND state = 'PAID'", NULL), GC_ORDERS);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM order_events e JOIN orders o ON "
	    "o.id = e.order_id WHERE o.order_no GLOB 'G[0-9]*'", NULL),
	    GC_ORDERS);
	/* every acknowledged one is kept: one row per meaning, the others
	 * counted on it; the failed one is neither */
	T_EQ_INT(q_int("SELECT COUNT(*) FROM notifications WHERE "
	    "transaction_id GLOB 'G[0-9]*'", NULL), GC_ORDERS);
	T_EQ_INT(q_int("SELECT SUM(redeliveries) FROM notifications WHERE "
	    "transaction_id GLOB 'G[0-9]*'", NULL),
	    (GC_THREADS - 1) * GC_ORDERS);
}

static void
test_next_check(void)
{
	int64_t c = 1000000;

	T_EQ_INT(order_next_check(c, 0, c), c + 60);
	T_EQ_INT(order_next_check(c, 1, c + 60), c + 120);
	T_EQ_INT(order_next_check(c, 2, c + 120), c + 300);
	T_EQ_INT(order_next_check(c, 3, c + 300), c + 600);
	T_EQ_INT(order_next_check(c, 4, c + 600), c + 1200);
	T_EQ_INT(order_next_check(c, 5, c + 1200), c + 1200 + 3600);
	T_EQ_INT(order_next_check(c, 9, c + 9000), c + 9000 + 3600);
	/* a reconciler that was down does not hammer: at least +30 s */
	T_EQ_INT(order_next_check(c, 1, c + 5000), c + 5030);
}

int
main(void)
{
	db_open();
	T_RUN(test_names);
	T_RUN(test_decide_table);
	T_RUN(test_decide_money);
	T_RUN(test_decide_local);
	T_RUN(test_apply_paid_idempotent);
	T_RUN(test_apply_every_source);
	T_RUN(test_apply_mismatch);
	T_RUN(test_apply_out_of_order);
	T_RUN(test_apply_create_and_unknown);
	T_RUN(test_apply_expire);
	T_RUN(test_apply_golive);
	T_RUN(test_apply_unknown_order);
	T_RUN(test_apply_rollback);
	T_RUN(test_apply_refunds);
	T_RUN(test_schema_checks);
	T_RUN(test_notify_process);
	T_RUN(test_notify_group_commit);
	T_RUN(test_next_check);
	db_close();
	return t_done();
}
