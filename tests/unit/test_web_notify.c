/*
 * test_web_notify.c - POST /notify at the handler level, table-driven: a
 * notification body (signed, tampered, forged, malformed, oversized) goes
 * through the real route table and handler (web_notify.c -> useepay.c ->
 * notify.c -> order.c) on a temp SQLite file; each case says the status
 * and body UseePay gets back, the order's state after, and how many
 * notification and anomaly rows exist. Cases run in order on one database
 * (the duplicate case needs the first delivery).
 */
#include "fixture.h"

#define ORDER "H5NOTIFYTEST0001"
#define ORDER_CLOSED "H5NOTIFYTEST0002"

/* How the case's body is made from the genuine signed notification. */
enum body_kind {
	B_SIGNED,		/* fields below, signed with FX_KEY */
	B_FORGED,		/* the same, signed with another key */
	B_TAMPERED,		/* signed, then amount changed */
	B_PADDED,		/* signed, then blank fields added (still
				   verifies: blank fields are not signed) */
	B_RAW			/* raw: the literal text */
};

struct notify_case {
	const char *name;
	const char *method;
	enum body_kind kind;
	const char *order_no;		/* transactionId */
	const char *amount, *currency, *result;
	const char *sign_type;		/* signType field */
	const char *raw;		/* B_RAW */
	size_t raw_len;			/* B_RAW: 0 = strlen(raw) */
	/* expected */
	int status;
	const char *body;		/* exact answer body, or NULL */
	const char *state;		/* of order_no after, or NULL */
	long long notifications;	/* rows in total after */
	long long anomalies;		/* rows in total after */
};

static char big[LIM_NOTIFY_BODY + 64];

static const struct notify_case cases[] = {
	{"GET is not allowed", "GET", B_RAW, ORDER, NULL, NULL, NULL, NULL,
	    "", 0, 405, NULL, "PENDING", 0, 0},
	{"forged signature: 401, nothing stored", "POST", B_FORGED, ORDER,
	    "1000", "HKD", "succeed", "MD5", NULL, 0, 401, "FAIL", "PENDING",
	    0, 0},
	{"tampered amount: 401, nothing stored", "POST", B_TAMPERED, ORDER,
	    "1000", "HKD", "succeed", "MD5", NULL, 0, 401, "FAIL", "PENDING",
	    0, 0},
	{"another signType: 401", "POST", B_SIGNED, ORDER, "1000", "HKD",
	    "succeed", "RSA", NULL, 0, 401, "FAIL", "PENDING", 0, 0},
	{"malformed form: 400", "POST", B_RAW, ORDER, NULL, NULL, NULL, NULL,
	    "version=%zz&sign=1", 0, 400, NULL, "PENDING", 0, 0},
	{"oversized body: 413", "POST", B_RAW, ORDER, NULL, NULL, NULL, NULL,
	    big, sizeof(big) - 1, 413, NULL, "PENDING", 0, 0},
	{"wrong amount: 200, anomaly, not paid", "POST", B_SIGNED, ORDER, "1",
	    "HKD", "succeed", "MD5", NULL, 0, 200, "OK", "PENDING", 1, 1},
	{"genuine succeed: 200 OK after commit, PAID", "POST", B_SIGNED, ORDER,
	    "1000", "HKD", "succeed", "MD5", NULL, 0, 200, "OK", "PAID", 2, 1},
	{"the same body again: 200, counted, no row, nothing changes",
	    "POST", B_SIGNED, ORDER, "1000", "HKD", "succeed", "MD5", NULL, 0,
	    200, "OK", "PAID", 2, 1},
	{"padded with blank fields: the same delivery, counted, no row",
	    "POST", B_PADDED, ORDER, "1000", "HKD", "succeed", "MD5", NULL, 0,
	    200, "OK", "PAID", 2, 1},
	{"a later failed for a paid order: 200, conflict anomaly", "POST",
	    B_SIGNED, ORDER, "1000", "HKD", "failed", "MD5", NULL, 0, 200,
	    "OK", "PAID", 3, 2},
	{"succeed for a closed order: PAID with an anomaly", "POST", B_SIGNED,
	    ORDER_CLOSED, "1000", "HKD", "succeed", "MD5", NULL, 0, 200, "OK",
	    "PAID", 4, 3},
	{"verified but not ours: 200, unknown_order anomaly", "POST", B_SIGNED,
	    "H5NOSUCHORDER", "1000", "HKD", "succeed", "MD5", NULL, 0, 200,
	    "OK", NULL, 5, 4},
};

/* The notification form body of c (docs/protocol.md §5) into out. */
static void
make_body(const struct notify_case *c, struct buf *out)
{
	struct kvlist l;
	struct buf sig;
	struct err err;

	if (c->kind == B_RAW) {
		buf_add(out, c->raw, c->raw_len ? c->raw_len : strlen(c->raw));
		return;
	}
	kvlist_init(&l);
	kvlist_adds(&l, "version", "1.0");
	kvlist_adds(&l, "merchantNo", FX_MERCHANT);
	kvlist_adds(&l, "transactionType", "pay");
	kvlist_adds(&l, "transactionId", c->order_no);
	kvlist_adds(&l, "reference", "UPREF42");
	kvlist_adds(&l, "amount", c->amount);
	kvlist_adds(&l, "currency", c->currency);
	kvlist_adds(&l, "resultCode", c->result);
	kvlist_adds(&l, "errorCode", "0000");
	kvlist_adds(&l, "errorMsg", "Success");
	kvlist_adds(&l, "signType", c->sign_type);
	buf_init(&sig, 256);
	T_OK(sign_md5(&l, c->kind == B_FORGED ? "NOT-THE-KEY" : FX_KEY, &sig,
	    &err) == 0);
	kvlist_adds(&l, "sign", buf_str(&sig));
	buf_cleanup(&sig);
	if (c->kind == B_PADDED) {
		kvlist_adds(&l, "echoParam", "");
		kvlist_adds(&l, "reserved", "");
	}
	T_OK(form_encode(out, &l) == 0);
	kvlist_cleanup(&l);
	if (c->kind == B_TAMPERED) {
		/* "amount=1000" -> "amount=9000" after signing */
		char *p = strstr(buf_str(out), "amount=1000");

		T_OK(p != NULL);
		if (p != NULL)
			p[7] = '9';
	}
}

static void
test_notify_cases(void)
{
	struct buf body;
	size_t i;

	fx_init(POOL_NOTIFY);
	memset(big, 'a', sizeof(big) - 1);
	big[0] = 'x';
	big[1] = '=';
	fx_exec("INSERT INTO orders (order_no, openid, appid, amount, currency,"
	    " subject, state, expires_at, created_at, updated_at) VALUES "
	    "('" ORDER "', '" FX_OPENID "', '" FX_APPID "', 1000, 'HKD', 'Tea',"
	    " 'PENDING', 1800000900, 1800000000, 1800000000), "
	    "('" ORDER_CLOSED "', '" FX_OPENID "', '" FX_APPID "', 1000, 'HKD',"
	    " 'Tea', 'CLOSED', 1800000900, 1800000000, 1800000000)");
	buf_init(&body, sizeof(big) + 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct notify_case *c = &cases[i];

		buf_reset(&body);
		make_body(c, &body);
		fx_call(c->method, "/notify",
		    "application/x-www-form-urlencoded", body.data, body.len,
		    NULL);
		if (fx.w.status != c->status)
			fprintf(stderr, "case: %s: status %d\n", c->name,
			    fx.w.status);
		T_EQ_INT(fx.w.status, c->status);
		if (c->body)
			T_EQ_STR(fx_body(), c->body);
		if (c->state)
			T_EQ_STR(fx_q_text("SELECT state FROM orders WHERE "
			    "order_no = ?", c->order_no), c->state);
		T_EQ_INT(fx_q_int("SELECT count(*) FROM notifications", NULL),
		    c->notifications);
		T_EQ_INT(fx_q_int("SELECT count(*) FROM anomalies", NULL),
		    c->anomalies);
	}
	/* the two redeliveries are counted on the genuine first row */
	T_EQ_INT(fx_q_int("SELECT redeliveries FROM notifications WHERE "
	    "transaction_id = ? AND result_code = 'succeed' AND outcome = "
	    "'applied'", ORDER), 2);
	T_EQ_STR(fx_q_text("SELECT kind FROM anomalies ORDER BY id LIMIT 1",
	    NULL), "amount_mismatch");
	T_EQ_INT(fx_q_int("SELECT count(*) FROM order_events WHERE "
	    "new_state = 'PAID' AND source = 'notify'", NULL), 2);
	/* the notify pool never calls the provider */
	T_EQ_INT(fx.calls, 0);
	buf_cleanup(&body);
	fx_cleanup();
}

/* An order keeps at most LIM_NOTIFY_ROWS_PER_ORDER notification rows: a
 * new genuine one past it is applied, not stored. */
static void
test_rows_capped(void)
{
	const struct notify_case c = {"cap", "POST", B_SIGNED, ORDER, "1000",
	    "HKD", "succeed", "MD5", NULL, 0, 200, "OK", "PAID", 0, 0};
	struct buf body;
	char sql[512];

	fx_init(POOL_NOTIFY);
	fx_exec("INSERT INTO orders (order_no, openid, appid, amount, currency,"
	    " subject, state, expires_at, created_at, updated_at) VALUES "
	    "('" ORDER "', '" FX_OPENID "', '" FX_APPID "', 1000, 'HKD', 'Tea',"
	    " 'PENDING', 1800000900, 1800000000, 1800000000)");
	snprintf(sql, sizeof(sql), "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL "
	    "SELECT i + 1 FROM k WHERE i < %d) INSERT INTO notifications "
	    "(received_at, body, body_sha256, verified, transaction_type, "
	    "transaction_id, result_code, order_id, outcome) SELECT 1, CAST('x' || "
	    "i AS BLOB), printf('%%064d', i), 1, 'pay', '" ORDER "', 'pending', 1, "
	    "'noop' FROM k", LIM_NOTIFY_ROWS_PER_ORDER);
	fx_exec(sql);
	buf_init(&body, 4096);
	make_body(&c, &body);
	fx_call("POST", "/notify", "application/x-www-form-urlencoded",
	    body.data, body.len, NULL);
	T_EQ_INT(fx.w.status, 200);
	T_EQ_STR(fx_q_text("SELECT state FROM orders WHERE order_no = ?",
	    ORDER), "PAID");
	T_EQ_INT(fx_q_int("SELECT count(*) FROM notifications", NULL),
	    LIM_NOTIFY_ROWS_PER_ORDER);
	buf_cleanup(&body);
	fx_cleanup();
}

/* /notify is not served by the web pool, and the notify pool serves
 * nothing else. */
static void
test_pools(void)
{
	fx_init(POOL_WEB);
	fx_call("POST", "/notify", "application/x-www-form-urlencoded", "a=b",
	    3, NULL);
	T_EQ_INT(fx.w.status, 404);
	fx_cleanup();
	fx_init(POOL_NOTIFY);
	fx_call("GET", "/api/products", NULL, NULL, 0, NULL);
	T_EQ_INT(fx.w.status, 404);
	fx_call("GET", "/notify/healthz", NULL, NULL, 0, NULL);
	T_EQ_INT(fx.w.status, 200);
	fx_cleanup();
}

int
main(void)
{
	T_RUN(test_notify_cases);
	T_RUN(test_rows_capped);
	T_RUN(test_pools);
	return t_done();
}
