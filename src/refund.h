/*
 * refund.h - resolving a refund in flight by asking UseePay (spec §6):
 * one function used by the admin's "query now" (web_admin_orders.c) and by
 * the reconciler (reconcile.c), so a refund whose answer or notification
 * was lost is settled the same way whoever asks.
 */
#ifndef H5PAY_REFUND_H
#define H5PAY_REFUND_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "order.h"
#include "useepay.h"

struct app;

/* First query of a refund no sooner than this after its creation: leaves
 * the admin's own refund call (in flight meanwhile) time to finish. */
#define REFUND_FIRST_CHECK_SEC 60

enum refund_query_outcome {
	RQ_APPLIED = 0,		/* a verified refund status, applied */
	RQ_NO_ANSWER,		/* no usable answer (transport, signature,
				 * refused, no such transaction) */
	RQ_NOT_REFUND		/* a verified transaction that is not this
				 * refund */
};

struct refund_query_res {
	enum refund_query_outcome outcome;
	bool answered;			/* a verified answer came (maybe a
					 * refusal or "no such transaction") */
	struct err query_err;		/* why, when not RQ_APPLIED */
	enum useepay_status status;	/* RQ_APPLIED: the provider's */
	struct order_outcome oc;	/* RQ_APPLIED: what order_apply did */
};

/*
 * Ask UseePay about refund refund_no (useepay_query by its transactionId)
 * and, when the answer verified and is that refund (transactionType
 * "refund", same transactionId), apply it through order_apply()
 * (OIN_REFUND_STATUS, source src, actor: an admin name or NULL) in its own
 * write transaction (store_begin .. store_commit). Whatever the answer,
 * the refund's query schedule moves on in that transaction (last query
 * now, attempts + 1, next by order_next_check from its creation), so an
 * unanswered refund is asked again later, not at once.
 * No transaction is held across the provider call.
 * 0 with *res filled (also when there was no usable answer: nothing but
 * the schedule changed); -1 with E_NOTFOUND (no such refund or order),
 * E_STORE on a database failure (nothing written).
 */
int refund_query_apply(struct app *, const char *refund_no,
    enum order_source src, const char *actor, struct refund_query_res *res,
    struct err *);

#endif
