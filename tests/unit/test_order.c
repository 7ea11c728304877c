/*
 * test_order.c - the order state machine: the pure decision table for
 * every state and input, and order_apply() against a temp SQLite file:
 * every transition, every source, forbidden ones, anomalies, refunds,
 * idempotence, the reconciler's schedule. (Notifications: test_notify.c.)
 */
#include "order_fixture.h"

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
	tdb_open();
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
	T_RUN(test_next_check);
	tdb_close();
	return t_done();
}
