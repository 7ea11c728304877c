/*
 * refund.c - refunds: create one (reserve, call UseePay, apply its answer)
 * and resolve one in flight (CREATED, PENDING, UNKNOWN) from a query at
 * UseePay (docs/protocol.md §6, §7). Every answer goes through
 * order_apply() like a refund notification would (order.c decides: a
 * succeed adds the amount to the order's refunded amount, a failed one
 * gives the reservation back, a repeated answer changes nothing).
 *
 * Invariants: the refund row (CREATED) and the refundable check commit
 * before the provider call, so two concurrent refunds can never exceed the
 * order; an outcome we cannot know leaves the refund UNKNOWN (its amount
 * stays reserved) until a notification or a query. No transaction is held
 * across a provider call.
 * What it does not do: choose which refunds to ask about (the admin's
 * "query now" and the reconciler do), HTTP, SQL.
 */
#include <stdio.h>
#include <string.h>

#include "anomaly.h"
#include "app.h"
#include "log.h"
#include "refund.h"
#include "store.h"
#include "store_order.h"
#include "store_admin.h"
#include "store_notify.h"
#include "store_refund.h"
#include "util.h"
#include "valid.h"

static bool
refund_in_flight(const char *state)
{
	return strcmp(state, "CREATED") == 0 || strcmp(state, "PENDING") == 0 ||
	    strcmp(state, "UNKNOWN") == 0;
}

int
refund_query_apply(struct app *app, const char *refund_no,
    enum order_source src, const char *actor, struct refund_query_res *res,
    struct err *err)
{
	struct useepay_query_res q;
	struct refund_check c;
	struct order_input in;
	struct order ro;
	int64_t now, next;
	int qrc, rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&q, 0, sizeof(q));
	err_clear(&res->why);
	if (store_refund_check_get(app->store, refund_no, &c, err) == -1)
		return -1;
	qrc = useepay_query(app, refund_no, &q, &res->why);
	res->verdict = order_query_verdict_of(qrc, &q, "refund", refund_no,
	    &res->why);

	now = app_now_s(app);
	if (store_begin(app->store, err) == -1)
		goto out;
	/* re-read: another query may have moved the schedule meanwhile */
	if (store_refund_check_get(app->store, refund_no, &c, err) == -1)
		goto fail;
	if (res->verdict == OQ_STATUS) {
		order_input_from_txn(&in, src, OIN_REFUND_STATUS, &q.txn,
		    actor);
		in.refund_no = c.refund_no;
		res->status = q.txn.status;
		if (order_apply(app->store, now, c.order_no, &in, &res->oc,
		    err) == -1)
			goto fail;
	}
	next = order_next_check(c.created_at, c.check_attempts + 1, now);
	if (res->verdict != OQ_STATUS && refund_in_flight(c.state) &&
	    now >= c.created_at + REFUND_GIVE_UP_SEC) {
		/* issue 10 item 6: bounded; the amount stays reserved */
		if (c.next_check_at != REFUND_GAVE_UP) {
			memset(&ro, 0, sizeof(ro));
			ro.id = c.order_id;
			str_lcpy(ro.order_no, c.order_no, sizeof(ro.order_no));
			/* with its anomaly.raised event (anomaly.c) */
			if (anomaly_raise(app->store, now, OAN_UNRESOLVED, src,
			    &ro, c.id, "refund in flight, no query could "
			    "resolve it; the amount stays reserved until a "
			    "verified query", err) == -1)
				goto fail;
		}
		if (c.next_check_at != REFUND_GAVE_UP)
			log_warn("refund", "gave_up", "refund=%s verdict=%s",
			    c.refund_no,
			    order_query_verdict_name(res->verdict));
		next = REFUND_GAVE_UP;
		res->gave_up = true;
	}
	if (store_refund_schedule(app->store, c.id, now, next,
	    c.check_attempts + 1, err) == -1)
		goto fail;
	rc = store_commit(app->store, err);
	goto out;
fail:
	store_rollback(app->store);
out:
	useepay_query_res_cleanup(&q);
	return rc;
}

int
refund_query_open(struct app *app, int64_t order_id, enum order_source src,
    const char *actor, char (*nos)[33], struct refund_query_res *res,
    size_t *n, struct err *err)
{
	size_t i;

	if (store_refund_open_nos(app->store, order_id, nos,
	    REFUND_QUERY_OPEN_MAX, n, err) == -1)
		return -1;
	for (i = 0; i < *n; i++)
		if (refund_query_apply(app, nos[i], src, actor, &res[i],
		    err) == -1)
			return -1;
	return 0;
}

int
refund_refundable(struct app *app, const struct order *o,
    int64_t *refundable, int64_t *in_flight, struct err *err)
{
	*refundable = 0;
	if (store_refund_in_flight(app->store, o->id, in_flight, err) == -1)
		return -1;
	if (order_state_is_paid(o->state) && o->state != ORDER_REFUNDED)
		*refundable = o->amount - o->refunded_amount - *in_flight;
	return 0;
}

/*
 * Reserve the refund: check refundable and insert the CREATED row,
 * audited, in one transaction. A refusal is audited on its own.
 */
static int
refund_reserve(struct app *app, const char *order_no, int64_t amount,
    const char *reason, const struct admin_who *who, struct order *o,
    char refund_no[33], int64_t *refund_id, struct err *err)
{
	unsigned char rnd[12];
	int64_t refundable, in_flight, now = app_now_s(app);
	char hex[25];

	if (app_random(app, rnd, sizeof(rnd)) == -1)
		return err_set(err, E_INTERNAL, "no random bytes");
	hex_encode(rnd, sizeof(rnd), hex);
	snprintf(refund_no, 33, "R%s", hex);
	if (store_begin(app->store, err) == -1)
		return -1;
	if (store_order_get(app->store, order_no, o, err) == -1 ||
	    refund_refundable(app, o, &refundable, &in_flight, err) == -1)
		goto fail;
	if (o->state != ORDER_PAID && o->state != ORDER_PARTIALLY_REFUNDED) {
		err_set(err, E_CONFLICT, "order %s is %s", order_no,
		    order_state_name(o->state));
		goto refused;
	}
	if (amount > refundable) {
		err_set(err, E_CONFLICT, "refund %lld beyond refundable %lld",
		    (long long)amount, (long long)refundable);
		goto refused;
	}
	if (store_refund_insert(app->store, refund_no, o->id, amount,
	    o->currency, reason, who && who->admin ? who->admin : "", now,
	    refund_id, err) == -1 || admin_audit_ok_tx(app, who,
	    "refund_create", order_no, refund_no, err) == -1)
		goto fail;
	return store_commit(app->store, err);
refused:
	store_rollback(app->store);
	admin_auditf(app, who, "refund_create", order_no, ADMIN_REFUSED,
	    "amount=%lld %s", (long long)amount, err->msg);
	return -1;
fail:
	store_rollback(app->store);
	return -1;
}

/* The provider did not answer knowably: keep the amount reserved. */
static void
refund_mark_unknown(struct app *app, int64_t refund_id)
{
	struct err e2;

	if (store_begin(app->store, &e2) == -1)
		goto fail;
	if (store_refund_update(app->store, refund_id, "UNKNOWN", NULL, NULL,
	    NULL, app_now_s(app), &e2) == -1) {
		store_rollback(app->store);
		goto fail;
	}
	if (store_commit(app->store, &e2) == 0)
		return;
fail:
	/* it stays CREATED, still reserved, and is queried like UNKNOWN */
	log_error("refund", "mark_unknown_fail", "refund=%lld msg=\"%s\"",
	    (long long)refund_id, e2.msg);
}

int
refund_create(struct app *app, const char *order_no, int64_t amount,
    const char *reason, const struct admin_who *who,
    struct refund_create_res *res, struct err *err)
{
	struct useepay_refund_req rq;
	struct useepay_refund_res rs;
	struct order_input oi;
	struct order o;
	int64_t refund_id;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&rs, 0, sizeof(rs));
	err_clear(&res->send_err);
	if (amount <= 0 || amount > 999999999999)
		return err_set(err, E_INPUT, "amount: a positive integer "
		    "(minor units)");
	if (reason == NULL)
		reason = "";
	if (strlen(reason) > REFUND_REASON_MAX)
		return err_set(err, E_INPUT, "reason: text up to %d bytes",
		    REFUND_REASON_MAX);
	if (refund_reserve(app, order_no, amount, reason, who, &o,
	    res->refund_no, &refund_id, err) == -1)
		return -1;

	memset(&rq, 0, sizeof(rq));
	rq.refund_no = res->refund_no;
	rq.order_no = order_no;
	rq.amount = amount;
	rq.currency = o.currency;
	res->oc.order_id = o.id;
	res->oc.old_state = res->oc.new_state = o.state;
	if (useepay_refund(app, &rq, &rs, &res->send_err) == -1) {
		refund_mark_unknown(app, refund_id);
		res->state = REFUND_UNKNOWN;
		admin_auditf(app, who, "refund_send", order_no, ADMIN_FAILED,
		    "%s %s", res->refund_no, err_name(res->send_err.code));
		return 0;
	}
	memset(&oi, 0, sizeof(oi));
	oi.source = OSRC_ADMIN;
	oi.kind = OIN_REFUND_STATUS;
	oi.status = rs.outcome == UP_OK ? rs.status : UPS_FAILED;
	if (rs.outcome == UP_OK && oi.status == UPS_NONE)
		oi.status = UPS_PENDING;
	oi.result_code = rs.result_code;
	oi.error_code = rs.error_code;
	oi.error_msg = rs.error_msg;
	oi.reference = rs.reference;
	oi.amount = amount;
	oi.currency = o.currency;
	oi.refund_no = res->refund_no;
	oi.actor = who ? who->admin : NULL;
	if (order_apply_tx(app, order_no, &oi, &res->oc, err) == -1) {
		admin_auditf(app, who, "refund_send", order_no, ADMIN_FAILED,
		    "%s apply: %s", res->refund_no, err_name(err->code));
		goto out;
	}
	res->state = rs.outcome != UP_OK ? REFUND_FAILED :
	    oi.status == UPS_SUCCEED ? REFUND_SUCCEEDED : REFUND_PENDING;
	if (rs.outcome != UP_OK) {
		str_lcpy(res->error_code, rs.error_code ? rs.error_code : "",
		    sizeof(res->error_code));
		str_lcpy(res->error_msg, rs.error_msg ? rs.error_msg : "",
		    sizeof(res->error_msg));
	}
	admin_auditf(app, who, "refund_send", order_no,
	    rs.outcome == UP_OK ? ADMIN_OK : ADMIN_REFUSED,
	    "%s amount=%lld status=%s%s%.64s", res->refund_no,
	    (long long)amount, useepay_status_name(oi.status),
	    rs.outcome != UP_OK ? " error=" : "",
	    rs.outcome != UP_OK && rs.error_code ? rs.error_code : "");
	rc = 0;
out:
	useepay_refund_res_cleanup(&rs);
	return rc;
}

int
refund_release(struct app *app, const char *order_no, const char *refund_no,
    const char *note, const struct admin_who *who, struct order_outcome *oc,
    struct err *err)
{
	struct refund_check c;
	struct order_input in;

	memset(oc, 0, sizeof(*oc));
	if (note == NULL || note[0] == '\0' ||
	    strlen(note) > REFUND_REASON_MAX)
		return err_set(err, E_INPUT, "note: why, up to %d bytes",
		    REFUND_REASON_MAX);
	if (!valid_order_no(refund_no, strlen(refund_no)))
		return err_set(err, E_NOTFOUND, "no such refund");
	if (store_begin(app->store, err) == -1)
		return -1;
	if (store_refund_check_get(app->store, refund_no, &c, err) == -1)
		goto fail;
	if (strcmp(c.order_no, order_no) != 0) {
		err_set(err, E_NOTFOUND, "refund %s is not this order's",
		    refund_no);
		goto fail;
	}
	if (!refund_in_flight(c.state) || c.next_check_at != REFUND_GAVE_UP) {
		err_set(err, E_CONFLICT, "refund %s is %s%s", refund_no,
		    c.state, refund_in_flight(c.state) ? " and still queried" :
		    "");
		store_rollback(app->store);
		admin_auditf(app, who, "refund_release", order_no,
		    ADMIN_REFUSED, "%s %s", refund_no, err->msg);
		return -1;
	}
	memset(&in, 0, sizeof(in));
	in.source = OSRC_ADMIN;
	in.kind = OIN_REFUND_STATUS;
	in.status = UPS_FAILED;
	in.error_code = "ADMIN";
	in.error_msg = note;
	in.refund_no = c.refund_no;
	in.amount = -1;
	in.actor = who ? who->admin : NULL;
	if (order_apply(app->store, app_now_s(app), order_no, &in, oc,
	    err) == -1 || admin_audit_ok_tx(app, who, "refund_release",
	    order_no, refund_no, err) == -1)
		goto fail;
	return store_commit(app->store, err);
fail:
	store_rollback(app->store);
	return -1;
}
