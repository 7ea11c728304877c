/*
 * test_outbox.c - merchant events (outbox.c, store_outbox.c,
 * outbox_send.c): order_apply() writes exactly one outbox row per state
 * change and per anomaly, in its transaction (rolled back with it); the
 * payloads; claims, leases, resend; the back-off and the signature; one
 * delivery pass against a recording HTTP client.
 */
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "app.h"
#include "buf.h"
#include "cfg.h"
#include "httpc.h"
#include "keys.h"
#include "order.h"
#include "outbox.h"
#include "outbox_send.h"
#include "store.h"
#include "store_outbox.h"
#include "t.h"
#include "util.h"

static struct store *st;
static char dbpath[] = "/tmp/h5pay-test-outbox-XXXXXX";
static const int64_t NOW = 1800000000;

static void
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
}

static void
tdb_close(void)
{
	static const char *const sfx[] = {"", "-wal", "-shm", ".lock"};
	struct buf b;
	size_t i;

	store_close(st);
	buf_init(&b, 4096);
	for (i = 0; i < 4; i++) {
		buf_reset(&b);
		buf_printf(&b, "%s%s", dbpath, sfx[i]);
		unlink(buf_str(&b));
	}
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
add_refund(const char *refund_no, const char *order_no, int64_t amount)
{
	struct buf b;

	buf_init(&b, 4096);
	buf_printf(&b, "INSERT INTO refunds (refund_no, order_id, amount, "
	    "currency, state, admin, created_at, updated_at) SELECT '%s', id, "
	    "%lld, 'HKD', 'PENDING', 'admin', 1, 1 FROM orders WHERE "
	    "order_no = '%s'", refund_no, (long long)amount, order_no);
	exec(buf_str(&b));
	buf_cleanup(&b);
}

static long long
q_int(const char *sql)
{
	sqlite3_stmt *s;
	long long v = -999;

	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) !=
	    SQLITE_OK)
		return -998;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static char qbuf[8192];

static const char *
q_text(const char *sql)
{
	sqlite3_stmt *s;

	qbuf[0] = '\0';
	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) !=
	    SQLITE_OK)
		return "?";
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(qbuf, sizeof(qbuf), "%s",
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return qbuf;
}

/* The types of every outbox row, in order, comma-separated. */
static const char *
types(void)
{
	return q_text("SELECT coalesce(group_concat(type, ','), '') FROM "
	    "(SELECT type FROM outbox ORDER BY id)");
}

/* Field k of the data of the newest outbox row, as text ("null"). */
static char fbuf[256];

static const char *
last_field(const char *k)
{
	struct json_object *ev = json_tokener_parse(
	    q_text("SELECT body FROM outbox ORDER BY id DESC LIMIT 1")), *d,
	    *v = NULL;

	fbuf[0] = '\0';
	if (ev == NULL)
		return "?";
	if (json_object_object_get_ex(ev, "data", &d) &&
	    json_object_object_get_ex(d, k, &v))
		snprintf(fbuf, sizeof(fbuf), "%s", v == NULL ? "null" :
		    json_object_get_string(v));
	else if (json_object_object_get_ex(ev, k, &v))
		snprintf(fbuf, sizeof(fbuf), "%s", json_object_get_string(v));
	json_object_put(ev);
	return fbuf;
}

static struct order_input
pay_in(enum useepay_status s, int64_t amount)
{
	struct order_input in;

	memset(&in, 0, sizeof(in));
	in.source = OSRC_NOTIFY;
	in.kind = OIN_PAY_STATUS;
	in.status = s;
	in.result_code = "x";
	in.amount = amount;
	in.currency = "HKD";
	in.reference = "REF1";
	return in;
}

static int
apply(const char *no, const struct order_input *in)
{
	struct order_outcome out;
	struct err err;
	int rc;

	if (store_begin(st, &err) == -1)
		return -2;
	rc = order_apply(st, NOW, no, in, &out, &err);
	if (rc == 0 && store_commit(st, &err) == -1)
		return -2;
	if (rc == -1)
		store_rollback(st);
	return rc;
}

/* payment.paid / failed / closed, once each; no event without a change
 * or for a non-final state. */
static void
test_payment_events(void)
{
	struct order_input in;

	exec("DELETE FROM outbox");
	add_order("E1", "PENDING", 1500);
	add_order("E2", "PENDING", 100);
	add_order("E3", "PENDING", 100);
	add_order("E4", "CREATED", 100);
	in = pay_in(UPS_SUCCEED, 1500);
	T_EQ_INT(apply("E1", &in), 0);
	T_EQ_STR(types(), "payment.paid");
	T_EQ_STR(last_field("order_no"), "E1");
	T_EQ_STR(last_field("state"), "PAID");
	T_EQ_STR(last_field("amount"), "1500");
	T_EQ_STR(last_field("currency"), "HKD");
	T_EQ_STR(last_field("paid_at"), "1800000000");
	T_EQ_STR(last_field("created_at"), "1800000000");
	T_EQ_STR(last_field("type"), "payment.paid");
	/* the id inside the body is the row's event id */
	T_EQ_STR(last_field("id"), q_text("SELECT event_id FROM outbox"));
	T_EQ_INT(q_int("SELECT length(event_id) = 28 AND event_id GLOB "
	    "'evt_[0-9a-f]*' FROM outbox"), 1);
	T_EQ_STR(q_text("SELECT state FROM outbox"), "pending");
	/* the duplicate changes nothing: no event */
	T_EQ_INT(apply("E1", &in), 0);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM outbox"), 1);
	in = pay_in(UPS_FAILED, 100);
	T_EQ_INT(apply("E2", &in), 0);
	T_EQ_STR(last_field("state"), "FAILED");
	T_EQ_STR(last_field("paid_at"), "null");
	in = pay_in(UPS_CLOSED, 100);
	T_EQ_INT(apply("E3", &in), 0);
	/* CREATED -> PENDING is no merchant event */
	memset(&in, 0, sizeof(in));
	in.source = OSRC_PAY;
	in.kind = OIN_CREATE_OK;
	in.amount = -1;
	in.reference = "REF4";
	T_EQ_INT(apply("E4", &in), 0);
	T_EQ_STR(types(), "payment.paid,payment.failed,payment.closed");
	/* ids differ */
	T_EQ_INT(q_int("SELECT COUNT(DISTINCT event_id) FROM outbox"), 3);
}

/* A paid-after-closed is a payment and an anomaly; a mismatch is only an
 * anomaly; an unknown order's anomaly has no order. */
static void
test_anomaly_events(void)
{
	struct order_input in;
	struct err err;

	exec("DELETE FROM outbox");
	add_order("A1", "CLOSED", 100);
	add_order("A2", "PENDING", 100);
	in = pay_in(UPS_SUCCEED, 100);
	T_EQ_INT(apply("A1", &in), 0);
	T_EQ_STR(types(), "anomaly.raised,payment.paid");
	T_EQ_STR(q_text("SELECT json_extract(body, '$.data.kind') FROM outbox "
	    "WHERE type = 'anomaly.raised'"), "paid_after_closed");
	T_EQ_STR(q_text("SELECT json_extract(body, '$.data.order_no') FROM "
	    "outbox WHERE type = 'anomaly.raised'"), "A1");
	exec("DELETE FROM outbox");
	in = pay_in(UPS_SUCCEED, 99);
	T_EQ_INT(apply("A2", &in), 0);
	T_EQ_STR(types(), "anomaly.raised");
	T_EQ_STR(last_field("kind"), "amount_mismatch");
	T_EQ_STR(last_field("source"), "notify");
	T_OK(strstr(last_field("detail"), "amount=99") != NULL);
	T_EQ_INT(q_int("SELECT order_id FROM outbox"),
	    q_int("SELECT id FROM orders WHERE order_no = 'A2'"));
	exec("DELETE FROM outbox");
	T_OK(store_begin(st, &err) == 0);
	T_OK(order_anomaly_record(st, NOW, OAN_UNKNOWN_ORDER, OSRC_NOTIFY, 0,
	    "orderNo=NOPE", &err) == 0);
	T_OK(store_commit(st, &err) == 0);
	T_EQ_STR(types(), "anomaly.raised");
	T_EQ_STR(last_field("kind"), "unknown_order");
	T_EQ_STR(last_field("order_no"), "null");
	T_EQ_INT(q_int("SELECT order_id IS NULL FROM outbox"), 1);
}

static void
test_refund_events(void)
{
	struct order_input in;

	exec("DELETE FROM outbox");
	add_order("F1", "PAID", 1000);
	add_refund("RFA", "F1", 300);
	add_refund("RFB", "F1", 100);
	in = pay_in(UPS_SUCCEED, 300);
	in.kind = OIN_REFUND_STATUS;
	in.refund_no = "RFA";
	T_EQ_INT(apply("F1", &in), 0);
	T_EQ_STR(types(), "refund.succeeded");
	T_EQ_STR(last_field("refund_no"), "RFA");
	T_EQ_STR(last_field("refund_state"), "SUCCEEDED");
	T_EQ_STR(last_field("refund_amount"), "300");
	T_EQ_STR(last_field("refunded_amount"), "300");
	T_EQ_STR(last_field("order_state"), "PARTIALLY_REFUNDED");
	T_EQ_INT(q_int("SELECT refund_id FROM outbox"),
	    q_int("SELECT id FROM refunds WHERE refund_no = 'RFA'"));
	T_EQ_INT(apply("F1", &in), 0);	/* duplicate: nothing */
	in = pay_in(UPS_FAILED, 100);
	in.kind = OIN_REFUND_STATUS;
	in.refund_no = "RFB";
	T_EQ_INT(apply("F1", &in), 0);
	T_EQ_STR(types(), "refund.succeeded,refund.failed");
	T_EQ_STR(last_field("refund_state"), "FAILED");
	T_EQ_STR(last_field("refunded_amount"), "300");
	/* a mismatched refund amount: only the anomaly, with its refund */
	add_refund("RFC", "F1", 50);
	in = pay_in(UPS_SUCCEED, 51);
	in.kind = OIN_REFUND_STATUS;
	in.refund_no = "RFC";
	T_EQ_INT(apply("F1", &in), 0);
	T_EQ_STR(types(), "refund.succeeded,refund.failed,anomaly.raised");
	T_EQ_STR(last_field("kind"), "refund_mismatch");
	T_EQ_INT(q_int("SELECT refund_id FROM outbox ORDER BY id DESC"),
	    q_int("SELECT id FROM refunds WHERE refund_no = 'RFC'"));
}

/* The outbox row is part of the transition's transaction. */
static void
test_rollback(void)
{
	struct order_input in = pay_in(UPS_SUCCEED, 100);
	struct order_outcome out;
	struct err err;

	exec("DELETE FROM outbox");
	add_order("B1", "PENDING", 100);
	T_OK(store_begin(st, &err) == 0);
	T_OK(order_apply(st, NOW, "B1", &in, &out, &err) == 0);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM outbox"), 1);
	store_rollback(st);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM outbox"), 0);
	T_EQ_STR(q_text("SELECT state FROM orders WHERE order_no = 'B1'"),
	    "PENDING");
	/* a closed-then-paid anomaly and its events go too */
	add_order("B2", "CLOSED", 100);
	T_OK(store_begin(st, &err) == 0);
	T_OK(order_apply(st, NOW, "B2", &in, &out, &err) == 0);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM outbox"), 2);
	store_rollback(st);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM outbox"), 0);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM anomalies a JOIN orders o ON "
	    "o.id = a.order_id WHERE o.order_no = 'B2'"), 0);
}

static int dead(int64_t pid) { (void)pid; return 0; }
static int alive(int64_t pid) { (void)pid; return 1; }

/* Claims take due rows once; a lease keeps them; a dead owner's lease is
 * dropped; finish and resend. */
static void
test_claim(void)
{
	struct outbox_claim c[4];
	struct err err;
	char id[29];
	int n, r, i;

	exec("DELETE FROM outbox_attempts");
	exec("DELETE FROM outbox");
	T_OK(store_begin(st, &err) == 0);
	T_OK(outbox_test(st, NOW, id, &err) == 0);
	T_OK(outbox_test(st, NOW + 5, id, &err) == 0);
	T_OK(store_commit(st, &err) == 0);
	T_OK(store_begin(st, &err) == 0);
	T_OK(store_outbox_claim(st, NOW, NOW + 100, 42, c, 4, &n, &err) == 0);
	T_OK(store_commit(st, &err) == 0);
	T_EQ_INT(n, 1);		/* the second is not due yet */
	T_EQ_INT(c[0].attempts, 0);
	T_EQ_INT(c[0].created_at, NOW);
	T_OK(strstr(c[0].body, "\"type\":\"test\"") != NULL);
	for (i = 0; i < n; i++)
		free(c[i].body);
	T_OK(store_begin(st, &err) == 0);
	T_OK(store_outbox_claim(st, NOW + 10, NOW + 100, 43, c, 4, &n, &err)
	    == 0);
	T_OK(store_commit(st, &err) == 0);
	T_EQ_INT(n, 1);		/* only the second: the first is leased */
	T_EQ_STR(c[0].event_id, id);
	free(c[0].body);
	T_EQ_INT(q_int("SELECT COUNT(*) FROM outbox WHERE state = 'sending'"),
	    2);
	/* owners alive: nothing released; dead: both due again */
	T_OK(store_begin(st, &err) == 0);
	T_OK(store_outbox_release_dead(st, alive, NOW + 10, &r, &err) == 0);
	T_EQ_INT(r, 0);
	T_OK(store_outbox_release_dead(st, dead, NOW + 10, &r, &err) == 0);
	T_EQ_INT(r, 2);
	T_OK(store_outbox_claim(st, NOW + 10, NOW + 100, 44, c, 4, &n, &err)
	    == 0);
	T_EQ_INT(n, 2);
	T_OK(store_outbox_attempt_insert(st, c[0].id, "https://m/x", 500, 12,
	    "oops", NULL, NOW + 10, &err) == 0);
	T_OK(store_outbox_finish(st, c[0].id, "pending", NOW + 20, 500,
	    NOW + 10, &err) == 0);
	T_OK(store_outbox_finish(st, c[1].id, "delivered", NOW + 10, 204,
	    NOW + 10, &err) == 0);
	T_OK(store_commit(st, &err) == 0);
	free(c[0].body);
	free(c[1].body);
	T_EQ_STR(q_text("SELECT group_concat(state || '/' || attempts || '/' "
	    "|| last_status || '/' || lease_until, ',') FROM (SELECT * FROM "
	    "outbox ORDER BY id)"), "pending/1/500/0,delivered/1/204/0");
	T_EQ_INT(q_int("SELECT delivered_at FROM outbox WHERE state = "
	    "'delivered'"), NOW + 10);
	/* not due before next_at */
	T_OK(store_begin(st, &err) == 0);
	T_OK(store_outbox_claim(st, NOW + 19, NOW + 100, 45, c, 4, &n, &err)
	    == 0);
	T_EQ_INT(n, 0);
	/* resend: a delivered row is due again; an unknown id is 404 */
	T_OK(store_outbox_resend(st, id, NOW + 19, &err) == 0);
	T_OK(store_outbox_resend(st, "evt_000000000000000000000000", NOW,
	    &err) == -1);
	T_EQ_INT(err.code, E_NOTFOUND);
	T_OK(store_outbox_claim(st, NOW + 19, NOW + 100, 45, c, 4, &n, &err)
	    == 0);
	T_OK(store_commit(st, &err) == 0);
	T_EQ_INT(n, 1);
	T_EQ_STR(c[0].event_id, id);
	free(c[0].body);
	/* a resend while in flight: not claimed twice at once, and not lost
	 * when the attempt in flight finishes */
	T_OK(store_begin(st, &err) == 0);
	T_OK(store_outbox_resend(st, id, NOW + 19, &err) == 0);
	T_OK(store_outbox_claim(st, NOW + 19, NOW + 100, 46, c, 4, &n, &err)
	    == 0);
	T_EQ_INT(n, 0);
	T_OK(store_outbox_finish(st, q_int("SELECT id FROM outbox WHERE "
	    "lease_until > 0"), "delivered", NOW + 19, 200, NOW + 19, &err) ==
	    0);
	T_OK(store_outbox_claim(st, NOW + 19, NOW + 100, 46, c, 4, &n, &err)
	    == 0);
	T_OK(store_commit(st, &err) == 0);
	T_EQ_INT(n, 1);
	T_EQ_STR(c[0].event_id, id);
	free(c[0].body);
}

static void
test_backoff_signature(void)
{
	struct buf line;
	struct err err;

	T_EQ_INT(outbox_backoff(1, 10), 10);
	T_EQ_INT(outbox_backoff(2, 10), 30);
	T_EQ_INT(outbox_backoff(3, 10), 60);
	T_EQ_INT(outbox_backoff(4, 10), 300);
	T_EQ_INT(outbox_backoff(5, 10), 900);
	T_EQ_INT(outbox_backoff(6, 10), 3600);
	T_EQ_INT(outbox_backoff(60, 10), 3600);
	T_EQ_INT(outbox_backoff(0, 10), 10);
	buf_init(&line, 512);
	/* python3: hmac.new(b'whsec_test', b'1800000000.{"a":1}',
	 * hashlib.sha256).hexdigest() */
	T_OK(outbox_signature("whsec_test", 1800000000, "{\"a\":1}", 7, &line,
	    &err) == 0);
	T_EQ_STR(buf_str(&line), "H5pay-Signature: t=1800000000,v1="
	    "7de5e6bbc99c65ef0ddccacd4308ba03a5a12eb8859a0db070c5ca731c4fdc19");
	buf_cleanup(&line);
}

/* A recording client: the last request's headers and body; answers
 * with status (0: a transport failure). */
struct rec_httpc {
	struct httpc base;
	int calls;
	long status;
	char url[256], hdrs[1024], body[4200];
};

static int
rec_send(struct httpc *h, const struct httpc_req *rq, struct httpc_resp *rs,
    struct err *err)
{
	struct rec_httpc *r = (struct rec_httpc *)h;
	size_t i, o = 0;

	r->calls++;
	snprintf(r->url, sizeof(r->url), "%s", rq->url);
	snprintf(r->body, sizeof(r->body), "%.*s", (int)rq->body_len,
	    rq->body);
	r->hdrs[0] = '\0';
	for (i = 0; rq->headers && rq->headers[i]; i++)
		o += (size_t)snprintf(r->hdrs + o, sizeof(r->hdrs) - o,
		    "%s\n", rq->headers[i]);
	if (r->status == 0)
		return err_set(err, E_UPSTREAM, "connection refused");
	rs->status = r->status;
	buf_adds(&rs->body, "answer\x01" "body");
	return 0;
}

static void rec_free(struct httpc *h) { (void)h; }

static int64_t clock_s = NOW;

static int64_t
test_now_ms(void *ctx)
{
	(void)ctx;
	return clock_s * 1000;
}

static void
test_send_pass(void)
{
	struct rec_httpc rec = {.base = {.send = rec_send, .free = rec_free},
	    .status = 503};
	struct outbox_send_stats ss;
	struct keys k;
	struct cfg c;
	struct app a;
	struct err err;
	struct buf want;
	char id[29];

	exec("DELETE FROM outbox_attempts");
	exec("DELETE FROM outbox");
	memset(&k, 0, sizeof(k));
	k.events_secret = "whsec_test";
	memset(&c, 0, sizeof(c));
	c.events_endpoint_url = "https://merchant.example/hook";
	c.events_retry_base_sec = 10;
	c.http_timeout_ms = 1000;
	c.http_connect_timeout_ms = 1000;
	memset(&a, 0, sizeof(a));
	a.cfg = &c;
	a.keys = &k;
	a.store = st;
	a.httpc = &rec.base;
	a.clock.now_ms = test_now_ms;
	clock_s = NOW;
	T_OK(store_begin(st, &err) == 0);
	T_OK(outbox_test(st, NOW, id, &err) == 0);
	T_OK(store_commit(st, &err) == 0);
	/* down: one attempt, due again after 10 s */
	T_OK(outbox_send_pass(&a, &ss, &err) == 0);
	T_EQ_INT(ss.sent, 1);
	T_EQ_INT(ss.delivered, 0);
	T_EQ_STR(rec.url, "https://merchant.example/hook");
	T_EQ_STR(rec.body, q_text("SELECT body FROM outbox"));
	buf_init(&want, 1024);
	outbox_signature("whsec_test", NOW, rec.body, strlen(rec.body), &want,
	    &err);
	buf_printf(&want, "\nH5pay-Event-Id: %s\nH5pay-Event-Type: test\n", id);
	T_EQ_STR(rec.hdrs, buf_str(&want));
	buf_cleanup(&want);
	T_EQ_STR(q_text("SELECT state || '/' || attempts || '/' || next_at "
	    "FROM outbox"), "pending/1/1800000010");
	T_EQ_STR(q_text("SELECT status || '/' || excerpt FROM "
	    "outbox_attempts"), "503/answer?body");
	/* not due yet: nothing sent */
	clock_s = NOW + 5;
	T_OK(outbox_send_pass(&a, &ss, &err) == 0);
	T_EQ_INT(ss.sent, 0);
	/* no answer at all: the error is kept, next step 30 s */
	clock_s = NOW + 10;
	rec.status = 0;
	T_OK(outbox_send_pass(&a, &ss, &err) == 0);
	T_EQ_STR(q_text("SELECT state || '/' || attempts || '/' || next_at "
	    "FROM outbox"), "pending/2/1800000040");
	T_EQ_STR(q_text("SELECT error FROM outbox_attempts ORDER BY id DESC"),
	    "connection refused");
	/* back: delivered, never sent again */
	clock_s = NOW + 40;
	rec.status = 204;
	T_OK(outbox_send_pass(&a, &ss, &err) == 0);
	T_EQ_INT(ss.delivered, 1);
	T_EQ_STR(q_text("SELECT state || '/' || attempts FROM outbox"),
	    "delivered/3");
	clock_s = NOW + 4000;
	T_OK(outbox_send_pass(&a, &ss, &err) == 0);
	T_EQ_INT(ss.sent, 0);
	T_EQ_INT(rec.calls, 3);
	/* past three days of failures: failed, still resendable */
	exec("UPDATE outbox SET state = 'pending', next_at = 0");
	clock_s = NOW + OUTBOX_GIVE_UP_SEC;
	rec.status = 500;
	T_OK(outbox_send_pass(&a, &ss, &err) == 0);
	T_EQ_INT(ss.failed, 1);
	T_EQ_STR(q_text("SELECT state FROM outbox"), "failed");
	/* no endpoint: an error, nothing claimed */
	c.events_endpoint_url = NULL;
	T_OK(outbox_send_pass(&a, &ss, &err) == -1);
	T_EQ_INT(err.code, E_INPUT);
}

int
main(void)
{
	tdb_open();
	T_RUN(test_payment_events);
	T_RUN(test_anomaly_events);
	T_RUN(test_refund_events);
	T_RUN(test_rollback);
	T_RUN(test_claim);
	T_RUN(test_backoff_signature);
	T_RUN(test_send_pass);
	tdb_close();
	return t_done();
}
