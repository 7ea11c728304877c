/*
 * refund.h - refunds: creating one (refund_create: reserve the amount,
 * call UseePay, apply its answer) and resolving one in flight by asking
 * UseePay (refund_query_apply, docs/protocol.md §6, §7): used by the
 * admin (web_admin_orders.c) and by the reconciler (reconcile.c), so a
 * refund is created and settled the same way whoever asks.
 */
#ifndef H5PAY_REFUND_H
#define H5PAY_REFUND_H

#include <stdbool.h>
#include <stdint.h>

#include "admin.h"
#include "err.h"
#include "order.h"
#include "order_query.h"
#include "useepay.h"

struct app;

/* First query of a refund no sooner than this after its creation: leaves
 * the admin's own refund call (in flight meanwhile) time to finish. */
#define REFUND_FIRST_CHECK_SEC 60
/* Issue 10 item 6: a refund in flight that no query could resolve this
 * long after its creation stops being queried automatically: it keeps its
 * reservation (UNKNOWN), gets an "unresolved" anomaly, and only a verified
 * query (the admin's "query now") resolves it. next_check_at
 * REFUND_GAVE_UP marks it. */
#define REFUND_GIVE_UP_SEC (7 * 86400)
#define REFUND_GAVE_UP INT64_MAX

struct refund_query_res {
	enum order_query_verdict verdict;	/* OQ_STATUS: applied */
	struct err why;			/* when verdict != OQ_STATUS */
	enum useepay_status status;	/* OQ_STATUS: the provider's */
	struct order_outcome oc;	/* OQ_STATUS: what order_apply did */
	bool gave_up;			/* REFUND_GIVE_UP_SEC reached */
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

/* At most this many refunds in flight are queried by refund_query_open. */
#define REFUND_QUERY_OPEN_MAX 10

/*
 * refund_query_apply() for each refund of order order_id still in flight
 * (CREATED, PENDING, UNKNOWN; at most REFUND_QUERY_OPEN_MAX, oldest
 * first): nos[i] and res[i] for each, *n how many. A refund without a
 * usable answer does not stop the others. -1 with E_STORE.
 */
int refund_query_open(struct app *, int64_t order_id, enum order_source src,
    const char *actor, char (*nos)[33], struct refund_query_res *res,
    size_t *n, struct err *);

/*
 * What can still be refunded of o: *refundable (0 unless o is PAID or
 * PARTIALLY_REFUNDED) after its refunded amount and the refunds in flight
 * (*in_flight: CREATED, PENDING, UNKNOWN, still reserved). -1 with E_STORE.
 */
int refund_refundable(struct app *, const struct order *o,
    int64_t *refundable, int64_t *in_flight, struct err *);

/*
 * The admin's decision on a refund given up (REFUND_GAVE_UP: in flight,
 * no query could resolve it for REFUND_GIVE_UP_SEC) that UseePay confirmed
 * elsewhere never left: the refund becomes FAILED through order_apply()
 * (source admin, actor who->admin, error "ADMIN" with the note), which
 * releases its reservation; audited. A refund still being queried, or no
 * longer in flight, is E_CONFLICT (audited as refused). A later verified
 * succeed still counts (order.c: the money left, a status_conflict
 * anomaly). 0 with *oc; -1 with E_NOTFOUND, E_CONFLICT, E_INPUT (note
 * over REFUND_REASON_MAX), E_STORE.
 */
int refund_release(struct app *, const char *order_no, const char *refund_no,
    const char *note, const struct admin_who *who, struct order_outcome *oc,
    struct err *);

#define REFUND_REASON_MAX 256

struct refund_create_res {
	char refund_no[33];
	enum refund_state state;	/* PENDING, SUCCEEDED, FAILED, or
					   UNKNOWN: the provider's answer is
					   unknown; the amount stays reserved
					   until a notification or a query */
	struct order_outcome oc;	/* what order_apply did */
	char error_code[17];		/* FAILED: the provider's */
	char error_msg[REFUND_REASON_MAX + 1];
	struct err send_err;		/* UNKNOWN: why */
};

/*
 * Refund amount (minor units, > 0) of the paid order order_no. In one
 * write transaction: check that the order is PAID or PARTIALLY_REFUNDED
 * and that amount fits what is left once the refunded amount and the
 * refunds in flight are counted, insert the refund CREATED (so two
 * concurrent refunds can never exceed the order), audit it. Then call
 * UseePay (§7) outside any transaction and apply its answer through
 * order_apply() (an answer we cannot know leaves the refund UNKNOWN). Each
 * step is audited as `who`. 0 with *res once the refund exists (whatever
 * the provider said); -1 with E_INPUT (amount, reason over
 * REFUND_REASON_MAX), E_NOTFOUND (no such order), E_CONFLICT (not
 * refundable, beyond the refundable amount; audited as refused), E_STORE.
 */
int refund_create(struct app *, const char *order_no, int64_t amount,
    const char *reason, const struct admin_who *who,
    struct refund_create_res *res, struct err *);

#endif
