/*
 * order_query.c - ask UseePay about an order (docs/protocol.md §6) and
 * apply the verified answer through order_apply(), for every asker: the
 * buyer's status poll and /pay (pay.c), the reconciler (reconcile.c), the
 * admin's "query now" (web_admin_orders.c). Refunds use the mapping and
 * the verdicts from here (refund.c).
 *
 * Closing (OQ_CLOSE, the reconciler): an order past expires_at +
 * ORDER_CLOSE_GRACE_SEC is closed (OIN_EXPIRE) only after a verified answer
 * that says it is not paid: a final non-paid status, a non-final one (the
 * provider's own expiry has passed), or no such transaction; a refused
 * query counts only ORDER_REFUSED_GIVE_UP_SEC after expiry, no usable
 * answer at all only ORDER_UNRESOLVED_GIVE_UP_SEC after it (closed with an
 * "unresolved" anomaly: an order must end). A payment that
 * commits first wins: the close re-reads the order in its transaction and
 * leaves a PAID order alone; a payment that arrives after the close makes
 * it PAID with an anomaly (order.c).
 * What it does not do: hold a transaction across the provider call,
 * choose which orders to ask about, log query failures (the caller knows
 * what a failure means for it).
 */
#include <string.h>

#include "app.h"
#include "order_query.h"
#include "store.h"
#include "store_order.h"
#include "util.h"

const char *
order_query_verdict_name(enum order_query_verdict v)
{
	static const char *const n[] = {"not_asked", "no_answer", "refused",
	    "absent", "other", "status"};

	return (unsigned)v < sizeof(n) / sizeof(n[0]) ? n[v] : "?";
}

void
order_input_from_txn(struct order_input *in, enum order_source src,
    enum order_input_kind kind, const struct useepay_txn *t,
    const char *actor)
{
	memset(in, 0, sizeof(*in));
	in->source = src;
	in->kind = kind;
	in->status = t->status;
	in->result_code = t->result_code;
	in->error_code = t->error_code;
	in->error_msg = t->error_msg;
	in->reference = t->reference;
	in->amount = t->amount;
	in->currency = t->currency;
	in->actor = actor;
}

int
order_apply_tx(struct app *app, const char *order_no,
    const struct order_input *in, struct order_outcome *out, struct err *err)
{
	if (store_begin(app->store, err) == -1)
		return -1;
	if (order_apply(app->store, app_now_s(app), order_no, in, out,
	    err) == -1) {
		store_rollback(app->store);
		return -1;
	}
	return store_commit(app->store, err);	/* rolls back on failure */
}

enum order_query_verdict
order_query_verdict_of(int qrc, const struct useepay_query_res *q,
    const char *type, const char *id, struct err *why)
{
	const struct useepay_txn *t = &q->txn;

	if (qrc == -1)
		return OQ_NO_ANSWER;	/* *why is the query's error */
	if (q->outcome != UP_OK) {
		err_set(why, E_UPSTREAM, "query refused: %.64s",
		    q->error_code ? q->error_code : "");
		return OQ_REFUSED;
	}
	if (!q->found) {
		err_set(why, E_NOTFOUND, "no such transaction");
		return OQ_ABSENT;
	}
	/* [inferred] a transaction without transactionType is a payment */
	if (t->transaction_id == NULL || strcmp(t->transaction_id, id) != 0 ||
	    (t->transaction_type == NULL ? strcmp(type, "pay") != 0 :
	    strcmp(t->transaction_type, type) != 0)) {
		err_set(why, E_UPSTREAM, "not this %s", type);
		return OQ_OTHER;
	}
	return OQ_STATUS;
}

/* A status that says "not paid" (an unknown string says nothing). */
static bool
status_is_unpaid(enum useepay_status s)
{
	return s == UPS_FAILED || s == UPS_CLOSED || s == UPS_CANCELLED ||
	    s == UPS_RECEIVED || s == UPS_PENDING;
}

/* OQ_CLOSE: does the answer let us close o now? */
static bool
close_due(const struct order *o, int64_t now,
    const struct order_query_res *res, const struct useepay_query_res *q)
{
	if (now < o->expires_at + ORDER_CLOSE_GRACE_SEC)
		return false;
	switch (res->verdict) {
	case OQ_STATUS:
		return status_is_unpaid(q->txn.status) &&
		    res->oc.anomaly == OAN_NONE;
	case OQ_ABSENT:
		return true;
	case OQ_REFUSED:
		return now >= o->expires_at + ORDER_REFUSED_GIVE_UP_SEC;
	case OQ_NO_ANSWER:
	case OQ_OTHER:
		return now >= o->expires_at + ORDER_UNRESOLVED_GIVE_UP_SEC;
	default:
		return false;
	}
}

/* Take the status-query slot in its own transaction: *taken. */
static int
query_claim(struct app *app, const struct order *o, int64_t not_after,
    bool *taken, struct err *err)
{
	if (store_begin(app->store, err) == -1)
		return -1;
	if (store_order_query_claim(app->store, o->id, app_now_s(app),
	    not_after, taken, err) == -1) {
		store_rollback(app->store);
		return -1;
	}
	return store_commit(app->store, err);
}

/* Everything the answer asks to write, in one transaction. */
static int
query_write(struct app *app, const struct order *o,
    const struct order_query_req *rq, const struct useepay_query_res *q,
    struct order_query_res *res, struct err *err)
{
	int64_t now = app_now_s(app);
	struct order_outcome co;
	struct order_input in;

	if (store_begin(app->store, err) == -1)
		return -1;
	if (res->verdict == OQ_STATUS) {
		order_input_from_txn(&in, rq->source, OIN_PAY_STATUS, &q->txn,
		    rq->actor);
		if (order_apply(app->store, now, o->order_no, &in, &res->oc,
		    err) == -1)
			goto fail;
	}
	if ((rq->flags & OQ_CLOSE) && close_due(o, now, res, q)) {
		memset(&in, 0, sizeof(in));
		in.source = rq->source;
		in.kind = OIN_EXPIRE;
		in.amount = -1;
		in.actor = rq->actor;
		in.unresolved = res->verdict == OQ_NO_ANSWER ||
		    res->verdict == OQ_OTHER;
		if (res->verdict == OQ_STATUS) {
			in.result_code = q->txn.result_code;
			in.error_code = q->txn.error_code;
			in.error_msg = q->txn.error_msg;
		} else {
			in.error_code = q->error_code;
			in.error_msg = q->error_msg;
		}
		if (order_apply(app->store, now, o->order_no, &in, &co,
		    err) == -1)
			goto fail;
		res->closed = co.changed;
	}
	if ((rq->flags & OQ_SCHEDULE) && store_order_schedule(app->store,
	    o->id, now, order_next_check(o->created_at, o->check_attempts + 1,
	    now), o->check_attempts + 1, err) == -1)
		goto fail;
	return store_commit(app->store, err);
fail:
	store_rollback(app->store);
	return -1;
}

int
order_query_apply(struct app *app, const char *order_no,
    const struct order_query_req *rq, struct order_query_res *res,
    struct err *err)
{
	struct useepay_query_res q;
	struct order o;
	bool taken = true;
	int qrc, rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&q, 0, sizeof(q));
	err_clear(&res->why);
	if (store_order_get(app->store, order_no, &o, err) == -1)
		return -1;
	res->oc.order_id = o.id;
	res->oc.old_state = res->oc.new_state = o.state;
	if ((rq->flags & OQ_CLAIM) && query_claim(app, &o, rq->claim_not_after,
	    &taken, err) == -1)
		return -1;
	if (!taken) {
		res->verdict = OQ_NOT_ASKED;
		err_set(&res->why, E_CONFLICT, "another query holds the slot");
		return 0;
	}
	qrc = useepay_query(app, o.order_no, &q, &res->why);
	res->verdict = order_query_verdict_of(qrc, &q, "pay", o.order_no,
	    &res->why);
	if (res->verdict == OQ_STATUS)
		res->status = q.txn.status;
	if (res->verdict == OQ_REFUSED && q.error_code != NULL)
		str_lcpy(res->error_code, q.error_code,
		    sizeof(res->error_code));
	if (res->verdict == OQ_STATUS || (rq->flags & (OQ_CLOSE |
	    OQ_SCHEDULE))) {
		if (query_write(app, &o, rq, &q, res, err) == -1)
			goto out;
	}
	rc = 0;
out:
	useepay_query_res_cleanup(&q);
	return rc;
}
