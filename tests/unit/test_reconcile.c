/*
 * test_reconcile.c - the reconciler against a temp SQLite file and a fake
 * httpc that answers UseePay queries (signed MD5 JSON, docs/protocol.md §6)
 * from a per-order script: paid, closed, still pending, unknown to the
 * provider, refused, transport failure, forged answer. Checks what it
 * applies, when it closes, that a payment beats a close, and the back-off
 * schedule. Refunds in flight: a succeed answer completes them (order
 * partially / fully refunded), a failed one gives the reservation back, a
 * forged or missing answer changes nothing but the schedule; exactly once.
 */
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "app.h"
#include "buf.h"
#include "cfg.h"
#include "form.h"
#include "httpc.h"
#include "keys.h"
#include "order.h"
#include "order_query.h"
#include "reconcile.h"
#include "refund.h"
#include "sign.h"
#include "store.h"
#include "t.h"
#include "util.h"

#define KEY "RECONCILE-TEST-KEY"
#define MERCHANT "500000000007362"

static struct store *st;
static char dbpath[] = "/tmp/h5pay-test-reconcile-XXXXXX";
static int64_t now_s_fake = 1800000000;
static int queries;

enum script { S_PAID, S_PAID_WRONG_AMOUNT, S_CLOSED, S_PENDING, S_ABSENT,
	S_REFUSED, S_TRANSPORT, S_FORGED, S_PAID_DURING_QUERY,
	S_REFUND_OK, S_REFUND_FAILED, S_REFUND_FORGED, S_REFUND_PAY };

static const struct {
	const char *order_no;
	enum script s;
} scripts[] = {
	{"RPAID", S_PAID}, {"RWRONG", S_PAID_WRONG_AMOUNT},
	{"RCLOSED", S_CLOSED}, {"RPEND", S_PENDING}, {"RPENDOLD", S_PENDING},
	{"RABSENT", S_ABSENT}, {"RABSENTOLD", S_ABSENT},
	{"RREFUSEDOLD", S_REFUSED}, {"RREFUSEDVERYOLD", S_REFUSED},
	{"RNET", S_TRANSPORT}, {"RNETOLD", S_TRANSPORT},
	{"RFORGEDOLD", S_FORGED}, {"RRACE", S_PAID_DURING_QUERY},
	{"RUNKNOWN", S_PAID}, {"RNOTDUE", S_PAID},
};

/* Refunds: our refund number, its order, the amount the provider says. */
static const struct {
	const char *refund_no, *order_no, *amount;
	enum script s;
} rscripts[] = {
	{"FOK", "ROK", "300", S_REFUND_OK},
	{"FFULL", "RFULL", "300", S_REFUND_OK},
	{"FFAIL", "RFAIL", "400", S_REFUND_FAILED},
	{"FFORGED", "RFORGE", "300", S_REFUND_FORGED},
	{"FNET", "RNETR", "300", S_TRANSPORT},
	{"FPAY", "RPAYR", "300", S_REFUND_PAY},
};

static int64_t
fake_now_ms(void *ctx)
{
	(void)ctx;
	return now_s_fake * 1000;
}

static void
exec(const char *sql)
{
	struct err err;

	if (store_exec(st, sql, &err) == -1)
		fprintf(stderr, "exec: %s\n", err.msg);
}

/* The signed JSON answer to a query about order_no (docs/protocol.md §6). */
static void
answer(const char *order_no, enum script s, struct buf *out)
{
	struct json_object *o = json_object_new_object(), *ti;
	struct kvlist l;
	struct buf sig;
	struct err err;
	size_t i;
	const char *status = s == S_CLOSED ? "closed" : s == S_PENDING ?
	    "pending" : "succeed";

	kvlist_init(&l);
	kvlist_adds(&l, "merchantNo", MERCHANT);
	kvlist_adds(&l, "transactionType", "query");
	kvlist_adds(&l, "signType", "MD5");
	if (s == S_REFUSED) {
		kvlist_adds(&l, "resultCode", "failed");
		kvlist_adds(&l, "errorCode", "9001");
		kvlist_adds(&l, "errorMsg", "transaction not exist");
	} else {
		kvlist_adds(&l, "resultCode", "succeed");
		kvlist_adds(&l, "errorCode", "0000");
		kvlist_adds(&l, "errorMsg", "Success");
	}
	if (s != S_REFUSED && s != S_ABSENT) {
		ti = json_object_new_object();
		json_object_object_add(ti, "transactionId",
		    json_object_new_string(order_no));
		json_object_object_add(ti, "transactionType",
		    json_object_new_string("pay"));
		json_object_object_add(ti, "reference",
		    json_object_new_string("UPREF1"));
		json_object_object_add(ti, "amount", json_object_new_string(
		    s == S_PAID_WRONG_AMOUNT ? "1" : "1000"));
		json_object_object_add(ti, "currency",
		    json_object_new_string("HKD"));
		json_object_object_add(ti, "resultCode",
		    json_object_new_string(status));
		json_object_object_add(ti, "errorCode", json_object_new_string(
		    s == S_CLOSED ? "3300" : "0000"));
		kvlist_adds(&l, "transactionInfo",
		    json_object_to_json_string_ext(ti, JSON_C_TO_STRING_PLAIN));
		json_object_put(ti);
	}
	buf_init(&sig, 256);
	T_OK(sign_md5(&l, s == S_FORGED ? "OTHERKEY" : KEY, &sig, &err) == 0);
	kvlist_adds(&l, "sign", buf_str(&sig));
	buf_cleanup(&sig);
	for (i = 0; i < l.n; i++)
		json_object_object_add(o, l.v[i].key,
		    json_object_new_string(l.v[i].val));
	buf_adds(out, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	kvlist_cleanup(&l);
}

/* The signed answer to a query about a refund (rscripts[i]). */
static void
answer_refund(size_t i, struct buf *out)
{
	struct json_object *o = json_object_new_object(), *ti;
	enum script s = rscripts[i].s;
	struct kvlist l;
	struct buf sig;
	struct err err;
	size_t k;

	kvlist_init(&l);
	kvlist_adds(&l, "merchantNo", MERCHANT);
	kvlist_adds(&l, "transactionType", "query");
	kvlist_adds(&l, "signType", "MD5");
	kvlist_adds(&l, "resultCode", "succeed");
	kvlist_adds(&l, "errorCode", "0000");
	kvlist_adds(&l, "errorMsg", "Success");
	ti = json_object_new_object();
	json_object_object_add(ti, "transactionId",
	    json_object_new_string(rscripts[i].refund_no));
	json_object_object_add(ti, "originalTransactionId",
	    json_object_new_string(rscripts[i].order_no));
	/* S_REFUND_PAY: an answer about some other kind of transaction */
	json_object_object_add(ti, "transactionType", json_object_new_string(
	    s == S_REFUND_PAY ? "pay" : "refund"));
	json_object_object_add(ti, "reference",
	    json_object_new_string("UPREFUND1"));
	json_object_object_add(ti, "amount",
	    json_object_new_string(rscripts[i].amount));
	json_object_object_add(ti, "currency", json_object_new_string("HKD"));
	json_object_object_add(ti, "resultCode", json_object_new_string(
	    s == S_REFUND_FAILED ? "failed" : "succeed"));
	json_object_object_add(ti, "errorCode", json_object_new_string(
	    s == S_REFUND_FAILED ? "5001" : "0000"));
	kvlist_adds(&l, "transactionInfo",
	    json_object_to_json_string_ext(ti, JSON_C_TO_STRING_PLAIN));
	json_object_put(ti);
	buf_init(&sig, 256);
	T_OK(sign_md5(&l, s == S_REFUND_FORGED ? "OTHERKEY" : KEY, &sig,
	    &err) == 0);
	kvlist_adds(&l, "sign", buf_str(&sig));
	buf_cleanup(&sig);
	for (k = 0; k < l.n; k++)
		json_object_object_add(o, l.v[k].key,
		    json_object_new_string(l.v[k].val));
	buf_adds(out, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	kvlist_cleanup(&l);
}

static int
fake_send(struct httpc *h, const struct httpc_req *rq,
    struct httpc_resp *rs, struct err *err)
{
	struct kvlist f;
	const char *no;
	size_t i;
	int rc = -1;

	(void)h;
	queries++;
	kvlist_init(&f);
	T_EQ_STR(rq->method, "POST");
	T_EQ_STR(rq->url, "https://pay.test/api");
	if (form_decode(rq->body, rq->body_len, &f, err) == -1)
		goto out;
	T_EQ_STR(kvlist_get(&f, "transactionType"), "query");
	T_OK(sign_verify_md5(&f, KEY, err) == 0);
	no = kvlist_get(&f, "transactionId");
	for (i = 0; no && i < sizeof(rscripts) / sizeof(rscripts[0]); i++) {
		if (strcmp(rscripts[i].refund_no, no) != 0)
			continue;
		if (rscripts[i].s == S_TRANSPORT) {
			err_set(err, E_UNKNOWN, "timeout");
			goto out;
		}
		rs->status = 200;
		str_lcpy(rs->content_type, "application/json",
		    sizeof(rs->content_type));
		answer_refund(i, &rs->body);
		rc = 0;
		goto out;
	}
	for (i = 0; no && i < sizeof(scripts) / sizeof(scripts[0]); i++)
		if (strcmp(scripts[i].order_no, no) == 0)
			break;
	if (no == NULL || i == sizeof(scripts) / sizeof(scripts[0])) {
		err_set(err, E_INTERNAL, "unscripted %s", no ? no : "?");
		goto out;
	}
	if (scripts[i].s == S_TRANSPORT) {
		err_set(err, E_UNKNOWN, "timeout");
		goto out;
	}
	if (scripts[i].s == S_PAID_DURING_QUERY) {
		/* the notification commits while the query is in flight */
		exec("UPDATE orders SET state = 'PAID', paid_at = 1 WHERE "
		    "order_no = 'RRACE'");
	}
	rs->status = 200;
	str_lcpy(rs->content_type, "application/json",
	    sizeof(rs->content_type));
	answer(no, scripts[i].s == S_PAID_DURING_QUERY ? S_PENDING :
	    scripts[i].s, &rs->body);
	rc = 0;
out:
	kvlist_cleanup(&f);
	return rc;
}

static void
fake_free(struct httpc *h)
{
	(void)h;
}

static struct httpc fake = {.send = fake_send, .free = fake_free};

static void
add(const char *no, const char *state, int64_t age, int64_t next_check)
{
	struct buf b;
	int64_t created = now_s_fake - age;

	buf_init(&b, 4096);
	buf_printf(&b, "INSERT INTO orders (order_no, openid, appid, amount, "
	    "currency, subject, state, expires_at, next_check_at, created_at, "
	    "updated_at) VALUES ('%s', 'oOpenid0000001', 'wx1', 1000, 'HKD', "
	    "'s', '%s', %lld, %lld, %lld, %lld)", no, state,
	    (long long)(created + 1200), (long long)next_check,
	    (long long)created, (long long)created);
	exec(buf_str(&b));
	buf_cleanup(&b);
}

static char qbuf[256];

static const char *
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

static const char *
state_of(const char *no)
{
	return q_text("SELECT state FROM orders WHERE order_no = ?", no);
}

static long long
int_of(const char *sql, const char *no)
{
	return strtoll(q_text(sql, no), NULL, 10);
}

static struct keys keys;
static struct cfg cfg;

/* A fresh migrated database at path (a mkstemp template) and an app on
 * it that talks to the fake provider. */
static void
setup(struct app *app, char *path)
{
	struct store_opts so = {.synchronous = "NORMAL",
	    .busy_timeout_ms = 1000};
	struct err err;
	int applied, fd;

	fd = mkstemp(path);
	close(fd);
	T_OK(store_open(&st, path, &so, &err) == 0);
	T_OK(store_migrate(st, &applied, &err) == 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.useepay_base_url = (char *)"https://pay.test";
	cfg.useepay_merchant_no = (char *)MERCHANT;
	cfg.useepay_sign_type = SIGN_MD5;
	cfg.http_max_response_bytes = 65536;
	memset(&keys, 0, sizeof(keys));
	keys.sign_type = SIGN_MD5;
	keys.md5_key = (char *)KEY;
	memset(app, 0, sizeof(*app));
	app->cfg = &cfg;
	app->keys = &keys;
	app->store = st;
	app->httpc = &fake;
	app->clock.now_ms = fake_now_ms;
	app->pool = POOL_TASKS;
}

static void
test_pass(void)
{
	struct app app;
	struct reconcile_stats rs;
	struct err err;
	const int64_t old = 1200 + ORDER_CLOSE_GRACE_SEC + 60;
	const int64_t very_old = 1200 + ORDER_REFUSED_GIVE_UP_SEC + 60;

	setup(&app, dbpath);

	add("RPAID", "PENDING", 90, 0);
	add("RWRONG", "PENDING", 90, 0);
	add("RCLOSED", "PENDING", 90, 0);
	add("RPEND", "PENDING", 90, 0);		/* not expired: stays */
	add("RPENDOLD", "PENDING", old, 0);	/* expired: closed */
	add("RABSENT", "UNKNOWN", 90, 0);	/* not expired: stays */
	add("RABSENTOLD", "UNKNOWN", old, 0);	/* closed */
	add("RREFUSEDOLD", "UNKNOWN", old, 0);	/* refused: not proof */
	add("RREFUSEDVERYOLD", "UNKNOWN", very_old, 0);
	add("RNET", "PENDING", 90, 0);
	add("RNETOLD", "PENDING", old, 0);	/* no answer: never closed */
	add("RFORGEDOLD", "PENDING", old, 0);	/* forged: never closed */
	add("RRACE", "PENDING", old, 0);	/* paid while querying */
	add("RUNKNOWN", "CREATED", 300, 0);	/* /pay died: resolved */
	add("RNOTDUE", "PENDING", 90, now_s_fake + 5);
	add("RDONE", "PENDING", 90, 0);
	exec("UPDATE orders SET state = 'PAID', paid_at = 1 WHERE order_no = "
	    "'RDONE'");

	queries = 0;
	T_OK(reconcile_pass(&app, &rs, &err) == 0);
	T_EQ_INT(queries, 14);
	T_EQ_INT(rs.due, 14);
	T_EQ_INT(rs.queried, 11);	/* not: 2 transport errors, 1 forged */
	T_EQ_INT(rs.errors, 3);		/* + the forged answer */
	T_EQ_STR(state_of("RPAID"), "PAID");
	T_EQ_STR(q_text("SELECT source FROM order_events e JOIN orders o ON "
	    "o.id = e.order_id WHERE order_no = ?", "RPAID"), "reconciler");
	T_EQ_STR(state_of("RWRONG"), "PENDING");
	T_EQ_INT(int_of("SELECT COUNT(*) FROM anomalies a JOIN orders o ON "
	    "o.id = a.order_id WHERE order_no = ? AND kind = "
	    "'amount_mismatch'", "RWRONG"), 1);
	T_EQ_STR(state_of("RCLOSED"), "CLOSED");
	T_EQ_STR(state_of("RPEND"), "PENDING");
	T_EQ_STR(state_of("RPENDOLD"), "CLOSED");
	T_EQ_STR(state_of("RABSENT"), "UNKNOWN");
	T_EQ_STR(state_of("RABSENTOLD"), "CLOSED");
	T_EQ_STR(state_of("RREFUSEDOLD"), "UNKNOWN");
	T_EQ_STR(state_of("RREFUSEDVERYOLD"), "CLOSED");
	T_EQ_STR(state_of("RNET"), "PENDING");
	T_EQ_STR(state_of("RNETOLD"), "PENDING");
	T_EQ_STR(state_of("RFORGEDOLD"), "PENDING");
	T_EQ_STR(state_of("RRACE"), "PAID");
	T_EQ_STR(state_of("RUNKNOWN"), "PAID");
	T_EQ_STR(state_of("RNOTDUE"), "PENDING");
	T_EQ_STR(state_of("RDONE"), "PAID");
	T_EQ_INT(rs.paid, 2);
	T_EQ_INT(rs.closed, 4);
	T_EQ_INT(rs.changed, 6);	/* RRACE was paid by another */
	/* the schedule moved on: +2 min after creation for the young ones,
	 * never sooner than 30 s from now */
	T_EQ_INT(int_of("SELECT check_attempts FROM orders WHERE order_no = "
	    "?", "RPEND"), 1);
	T_EQ_INT(int_of("SELECT next_check_at FROM orders WHERE order_no = ?",
	    "RPEND"), now_s_fake - 90 + 120);
	T_EQ_INT(int_of("SELECT last_query_at FROM orders WHERE order_no = ?",
	    "RNET"), now_s_fake);
	T_EQ_INT(int_of("SELECT next_check_at FROM orders WHERE order_no = ?",
	    "RNETOLD"), now_s_fake + 30);
	T_EQ_INT(int_of("SELECT check_attempts FROM orders WHERE order_no = "
	    "?", "RNOTDUE"), 0);

	/* at once again: nothing is due */
	queries = 0;
	T_OK(reconcile_pass(&app, &rs, &err) == 0);
	T_EQ_INT(queries, 0);
	/* 31 s later the overdue ones come back; the expired pending one
	 * closes once the provider's answer proves it unpaid */
	now_s_fake += 31;
	queries = 0;
	T_OK(reconcile_pass(&app, &rs, &err) == 0);
	T_OK(queries >= 4);
	T_EQ_STR(state_of("RNETOLD"), "PENDING");
	T_EQ_STR(state_of("RNOTDUE"), "PAID");
	store_close(st);
	unlink(dbpath);
}

/* A paid order no (1000 HKD) with refunded already refunded, and one
 * refund of it: refund_no, amount, state, created age seconds ago. */
static void
add_refund(const char *order_no, int64_t refunded, const char *refund_no,
    int64_t amount, const char *rstate, int64_t age)
{
	struct buf b;

	add(order_no, "PENDING", 3600, now_s_fake + 99999);
	buf_init(&b, 1024);
	buf_printf(&b, "UPDATE orders SET state = '%s', paid_at = %lld, "
	    "refunded_amount = %lld WHERE order_no = '%s'", refunded ?
	    "PARTIALLY_REFUNDED" : "PAID", (long long)(now_s_fake - 3000),
	    (long long)refunded, order_no);
	exec(buf_str(&b));
	buf_reset(&b);
	buf_printf(&b, "INSERT INTO refunds (refund_no, order_id, amount, "
	    "currency, state, admin, created_at, updated_at) VALUES ('%s', "
	    "(SELECT id FROM orders WHERE order_no = '%s'), %lld, 'HKD', "
	    "'%s', 'admin', %lld, %lld)", refund_no, order_no,
	    (long long)amount, rstate, (long long)(now_s_fake - age),
	    (long long)(now_s_fake - age));
	exec(buf_str(&b));
	buf_cleanup(&b);
}

static const char *
rstate_of(const char *no)
{
	return q_text("SELECT state FROM refunds WHERE refund_no = ?", no);
}

static long long
refunded_of(const char *no)
{
	return int_of("SELECT refunded_amount FROM orders WHERE order_no = ?",
	    no);
}

static long long
events_of(const char *no)
{
	return int_of("SELECT COUNT(*) FROM order_events e JOIN orders o ON "
	    "o.id = e.order_id WHERE order_no = ?", no);
}

static void
test_refunds(void)
{
	static char path[] = "/tmp/h5pay-test-reconcile-refund-XXXXXX";
	struct refund_query_res rq;
	struct reconcile_stats rs;
	struct app app;
	struct err err;

	setup(&app, path);
	add_refund("ROK", 0, "FOK", 300, "UNKNOWN", 120);
	add_refund("RFULL", 700, "FFULL", 300, "PENDING", 4000);
	add_refund("RFAIL", 0, "FFAIL", 400, "UNKNOWN", 120);
	add_refund("RFORGE", 0, "FFORGED", 300, "UNKNOWN", 120);
	add_refund("RNETR", 0, "FNET", 300, "PENDING", 120);
	add_refund("RPAYR", 0, "FPAY", 300, "UNKNOWN", 120);
	/* too young (the admin's own call may be in flight), and done */
	add_refund("RYOUNG", 0, "FOK2", 300, "CREATED", 10);
	add_refund("RDONE", 300, "FDONE", 300, "SUCCEEDED", 120);

	queries = 0;
	T_OK(reconcile_pass(&app, &rs, &err) == 0);
	T_EQ_INT(queries, 6);
	T_EQ_INT(rs.due, 0);
	T_EQ_INT(rs.refunds, 6);
	T_EQ_INT(rs.refunds_applied, 3);
	T_EQ_INT(rs.refunds_changed, 3);
	T_EQ_INT(rs.errors, 2);		/* transport, forged */
	T_EQ_INT(rs.anomalies, 0);
	/* succeed: the UNKNOWN refund completes, the order is refunded */
	T_EQ_STR(rstate_of("FOK"), "SUCCEEDED");
	T_EQ_STR(state_of("ROK"), "PARTIALLY_REFUNDED");
	T_EQ_INT(refunded_of("ROK"), 300);
	T_EQ_STR(q_text("SELECT source FROM order_events e JOIN orders o ON "
	    "o.id = e.order_id WHERE order_no = ?", "ROK"), "reconciler");
	T_EQ_STR(rstate_of("FFULL"), "SUCCEEDED");
	T_EQ_STR(state_of("RFULL"), "REFUNDED");
	T_EQ_INT(refunded_of("RFULL"), 1000);
	/* failed: the reservation is given back (no refund in flight) */
	T_EQ_STR(rstate_of("FFAIL"), "FAILED");
	T_EQ_STR(state_of("RFAIL"), "PAID");
	T_EQ_INT(refunded_of("RFAIL"), 0);
	T_EQ_STR(q_text("SELECT error_code FROM refunds WHERE refund_no = ?",
	    "FFAIL"), "5001");
	/* forged, unanswered, not a refund: nothing changes but the
	 * schedule */
	T_EQ_STR(rstate_of("FFORGED"), "UNKNOWN");
	T_EQ_STR(rstate_of("FNET"), "PENDING");
	T_EQ_STR(rstate_of("FPAY"), "UNKNOWN");
	T_EQ_INT(refunded_of("RFORGE") + refunded_of("RNETR") +
	    refunded_of("RPAYR"), 0);
	T_EQ_INT(events_of("RFORGE") + events_of("RNETR") +
	    events_of("RPAYR"), 0);
	T_EQ_INT(int_of("SELECT check_attempts FROM refunds WHERE refund_no "
	    "= ?", "FFORGED"), 1);
	T_EQ_INT(int_of("SELECT last_query_at FROM refunds WHERE refund_no "
	    "= ?", "FNET"), now_s_fake);
	/* +2 min after creation, never sooner than 30 s from now */
	T_EQ_INT(int_of("SELECT next_check_at FROM refunds WHERE refund_no "
	    "= ?", "FNET"), now_s_fake + 30);
	T_EQ_STR(rstate_of("FOK2"), "CREATED");
	T_EQ_INT(int_of("SELECT check_attempts FROM refunds WHERE refund_no "
	    "= ?", "FOK2"), 0);

	/* at once again: nothing is due */
	queries = 0;
	T_OK(reconcile_pass(&app, &rs, &err) == 0);
	T_EQ_INT(queries, 0);
	T_EQ_INT(rs.refunds, 0);
	/* the same answer again (a later query): nothing more */
	T_OK(refund_query_apply(&app, "FOK", OSRC_RECONCILER, NULL, &rq,
	    &err) == 0);
	T_EQ_INT(rq.verdict, OQ_STATUS);
	T_OK(!rq.oc.changed);
	T_EQ_INT(refunded_of("ROK"), 300);
	T_EQ_INT(events_of("ROK"), 1);
	T_OK(refund_query_apply(&app, "FFAIL", OSRC_ADMIN, "root", &rq,
	    &err) == 0);
	T_OK(!rq.oc.changed);
	T_EQ_STR(rstate_of("FFAIL"), "FAILED");
	/* no such refund */
	T_OK(refund_query_apply(&app, "FNOPE", OSRC_ADMIN, "root", &rq,
	    &err) == -1);
	T_EQ_INT(err.code, E_NOTFOUND);
	/* a minute later the unanswered ones come back, the young one is due */
	now_s_fake += 61;
	queries = 0;
	T_OK(reconcile_pass(&app, &rs, &err) == 0);
	T_EQ_INT(rs.refunds, 4);	/* FFORGED FNET FPAY FOK2 */
	T_EQ_INT(queries, 4);
	store_close(st);
	unlink(path);
}

int
main(void)
{
	T_RUN(test_pass);
	T_RUN(test_refunds);
	return t_done();
}
