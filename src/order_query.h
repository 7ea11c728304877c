/*
 * order_query.h - asking UseePay about an order (docs/protocol.md §6) and
 * applying what it says, in one place:
 *   - one mapping from a provider transaction to an order input
 *     (order_input_from_txn), used for orders and refunds alike;
 *   - one "apply in its own write transaction" (order_apply_tx);
 *   - one reading of a query answer (order_query_verdict_of), the verdicts
 *     every caller branches on;
 *   - one query-and-apply (order_query_apply) used by the buyer's status
 *     poll and /pay (OQ_CLAIM), the reconciler (OQ_CLOSE | OQ_SCHEDULE)
 *     and the admin's "query now" (no flag). Refunds have their twin,
 *     refund_query_apply (refund.h), built on the same pieces.
 * Every state change goes through order_apply() (order.h). No transaction
 * is ever held across the provider call.
 */
#ifndef H5PAY_ORDER_QUERY_H
#define H5PAY_ORDER_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "order.h"
#include "useepay.h"

struct app;

/* Seconds after expires_at before an unpaid order is closed: leaves the
 * provider time to finish a payment made at the last moment. */
#define ORDER_CLOSE_GRACE_SEC 600
/* A query the provider keeps refusing (errorCode != 0000; e.g. it never
 * received the create) counts as "not paid" only this long after expiry:
 * the error table is unpublished (docs/protocol.md §8). */
#define ORDER_REFUSED_GIVE_UP_SEC 86400
/* An order no query can resolve (no usable answer: transport, signature,
 * malformed, another transaction) is closed this long after expiry with
 * an "unresolved" anomaly (issue 10 item 3): it must end, not be queried
 * hourly forever. A payment notified later still makes it PAID (with
 * paid_after_closed). */
#define ORDER_UNRESOLVED_GIVE_UP_SEC 86400

/* What a query said, whoever asked (orders and refunds). */
enum order_query_verdict {
	OQ_NOT_ASKED = 0,	/* OQ_CLAIM: another query holds the slot */
	OQ_NO_ANSWER,		/* transport, signature, malformed answer */
	OQ_REFUSED,		/* verified: the provider refused the query */
	OQ_ABSENT,		/* verified: no such transaction */
	OQ_OTHER,		/* verified: a transaction that is not the one
				   asked about (e.g. not a refund) */
	OQ_STATUS		/* verified: this transaction's status */
};

const char *order_query_verdict_name(enum order_query_verdict);

/*
 * The input for a provider transaction t (a query's transactionInfo):
 * status, codes, reference, amount, currency, with source, kind and actor
 * (NULL or an admin name). Pointers are borrowed from t and actor.
 */
void order_input_from_txn(struct order_input *, enum order_source,
    enum order_input_kind, const struct useepay_txn *t, const char *actor);

/*
 * order_apply() in its own write transaction (store_begin ..
 * store_commit): 0 with *out once committed; -1 as order_apply (nothing
 * written).
 */
int order_apply_tx(struct app *, const char *order_no,
    const struct order_input *, struct order_outcome *, struct err *);

/*
 * Read useepay_query's result (qrc its return value, q its answer) about
 * the transaction id of type ("pay" or "refund"). OQ_STATUS when it is a
 * verified status of exactly that transaction; otherwise *why (may be
 * NULL) says why, with the query's own error for OQ_NO_ANSWER.
 */
enum order_query_verdict order_query_verdict_of(int qrc,
    const struct useepay_query_res *q, const char *type, const char *id,
    struct err *why);

enum order_query_flags {
	OQ_CLAIM = 1 << 0,	/* first take the order's status-query slot
				   (last check at or before claim_not_after),
				   so one query per interval runs across all
				   workers; taken by another: OQ_NOT_ASKED */
	OQ_CLOSE = 1 << 1,	/* past expires_at + ORDER_CLOSE_GRACE_SEC and
				   verifiably unpaid: close it (OIN_EXPIRE) */
	OQ_SCHEDULE = 1 << 2	/* move the reconciler's schedule on */
};

struct order_query_req {
	enum order_source source;
	const char *actor;		/* admin name or NULL */
	unsigned flags;			/* enum order_query_flags */
	int64_t claim_not_after;	/* OQ_CLAIM */
};

struct order_query_res {
	enum order_query_verdict verdict;
	struct err why;			/* when verdict != OQ_STATUS */
	enum useepay_status status;	/* OQ_STATUS: the provider's */
	char error_code[17];		/* OQ_REFUSED: the query's errorCode */
	struct order_outcome oc;	/* the status applied (old_state and
					   new_state are the order's also when
					   nothing was applied) */
	bool closed;			/* OQ_CLOSE closed the order (after
					   the status in oc) */
};

/*
 * Ask UseePay about order order_no and apply a verified status of it
 * through order_apply() (source and actor of *rq); with OQ_CLOSE also
 * close it when the rule says so, with OQ_SCHEDULE move its reconciler
 * schedule on (whatever the answer), all in one write transaction after
 * the call. 0 with *res (also when there was no usable answer: see
 * res->verdict and res->why); -1 with E_NOTFOUND (no such order) or
 * E_STORE (nothing written).
 */
int order_query_apply(struct app *, const char *order_no,
    const struct order_query_req *rq, struct order_query_res *res,
    struct err *);

#endif
