/*
 * refund.c - resolve a refund in flight (CREATED, PENDING, UNKNOWN) from a
 * query at UseePay: the verified answer goes through order_apply() like a
 * refund notification would (order.c decides: a succeed adds the amount
 * to the order's refunded amount, a failed one gives the reservation
 * back, a repeated answer changes nothing).
 *
 * What it does not do: choose which refunds to ask about (the admin's
 * "query now" and the reconciler do), or hold a transaction across the
 * provider call.
 */
#include <string.h>

#include "app.h"
#include "refund.h"
#include "store.h"
#include "store_refund.h"

/* The usable refund status in q, or RQ_NO_ANSWER / RQ_NOT_REFUND with
 * *why saying why. */
static enum refund_query_outcome
refund_answer_check(const char *refund_no, int qrc,
    const struct useepay_query_res *q, struct err *why)
{
	if (qrc == -1)
		return q->found ? RQ_NOT_REFUND : RQ_NO_ANSWER;
	if (q->outcome != UP_OK) {
		err_set(why, E_UPSTREAM, "query refused: %.64s",
		    q->error_code ? q->error_code : "");
		return q->found ? RQ_NOT_REFUND : RQ_NO_ANSWER;
	}
	if (!q->found) {
		err_set(why, E_NOTFOUND, "no such transaction");
		return RQ_NO_ANSWER;
	}
	if (q->txn.transaction_type == NULL ||
	    strcmp(q->txn.transaction_type, "refund") != 0 ||
	    q->txn.transaction_id == NULL ||
	    strcmp(q->txn.transaction_id, refund_no) != 0) {
		err_set(why, E_UPSTREAM, "not this refund");
		return RQ_NOT_REFUND;
	}
	return RQ_APPLIED;
}

int
refund_query_apply(struct app *app, const char *refund_no,
    enum order_source src, const char *actor, struct refund_query_res *res,
    struct err *err)
{
	struct useepay_query_res q;
	struct refund_check c;
	struct order_input in;
	int64_t now;
	int qrc, rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&q, 0, sizeof(q));
	err_clear(&res->query_err);
	if (store_refund_check_get(app->store, refund_no, &c, err) == -1)
		return -1;
	qrc = useepay_query(app, refund_no, &q, &res->query_err);
	res->answered = qrc == 0;
	res->outcome = refund_answer_check(refund_no, qrc, &q,
	    &res->query_err);

	now = app_now_s(app);
	if (store_begin(app->store, err) == -1)
		goto out;
	/* re-read: another query may have moved the schedule meanwhile */
	if (store_refund_check_get(app->store, refund_no, &c, err) == -1)
		goto fail;
	if (res->outcome == RQ_APPLIED) {
		memset(&in, 0, sizeof(in));
		in.source = src;
		in.kind = OIN_REFUND_STATUS;
		in.status = q.txn.status;
		in.result_code = q.txn.result_code;
		in.error_code = q.txn.error_code;
		in.error_msg = q.txn.error_msg;
		in.reference = q.txn.reference;
		in.amount = q.txn.amount;
		in.currency = q.txn.currency;
		in.refund_no = c.refund_no;
		in.actor = actor;
		res->status = q.txn.status;
		if (order_apply(app->store, now, c.order_no, &in, &res->oc,
		    err) == -1)
			goto fail;
	}
	if (store_refund_schedule(app->store, c.id, now,
	    order_next_check(c.created_at, c.check_attempts + 1, now),
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
