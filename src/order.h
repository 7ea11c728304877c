/*
 * order.h - the order state machine. Money is int64 minor units. Names
 * and rows are in order_state.h; notifications are notify.h's.
 *
 *   CREATED -> PENDING -> PAID | FAILED | CLOSED
 *   CREATED -> UNKNOWN (create outcome unknown) -> resolved by a query
 *   PAID -> PARTIALLY_REFUNDED -> REFUNDED (refunds)
 *
 * One transition function, order_apply(), takes every input about an order
 * whatever its source: a notification, the buyer's status poll, the
 * reconciler, the admin's "query now", the /pay call's own outcome. It
 * reads the order, decides, writes the new state, appends one event per
 * change and records anomalies. Rules (order_decide):
 *   - PAID never goes back; a later failed/closed for a paid order changes
 *     nothing and raises a status_conflict anomaly;
 *   - a succeed for an order we consider CLOSED or FAILED still makes it
 *     PAID (the money was taken) and raises paid_after_closed/failed;
 *   - a provider amount or currency different from the order's records no
 *     payment and raises amount_mismatch/currency_mismatch;
 *   - the same input twice changes nothing the second time (idempotent).
 */
#ifndef H5PAY_ORDER_H
#define H5PAY_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "order_state.h"
#include "useepay.h"

struct store;

enum order_input_kind {
	OIN_PAY_STATUS = 0,	/* provider status of the pay transaction */
	OIN_REFUND_STATUS,	/* provider status of a refund (refund_no) */
	OIN_CREATE_OK,		/* pay accepted: PENDING, ref + jsapi */
	OIN_CREATE_FAILED,	/* pay call refused: FAILED, error code/msg */
	OIN_CREATE_UNKNOWN,	/* pay call outcome unknown: UNKNOWN */
	OIN_EXPIRE		/* past expiry+grace, provider: unpaid */
};

/* One input. Pointers are borrowed for the call; NULL = absent. */
struct order_input {
	enum order_source source;
	enum order_input_kind kind;
	enum useepay_status status;	/* PAY_STATUS / REFUND_STATUS */
	const char *result_code;	/* raw provider resultCode */
	const char *error_code, *error_msg;
	const char *reference;		/* provider's id */
	int64_t amount;			/* as reported; -1 = absent */
	const char *currency;
	const char *refund_no;		/* REFUND_STATUS */
	const char *jsapi;		/* CREATE_OK: JSON text */
	const char *msg_sha256;		/* raw message's SHA-256, hex */
	int64_t notification_id;	/* 0 = none */
	const char *actor;		/* admin user name, or NULL */
	/* issue 10: CREATE_FAILED because UseePay refused us unsigned (a
	 * configuration error: anomaly provider_refused); EXPIRE of an
	 * order no query could resolve (anomaly unresolved) */
	bool refused_unsigned, unresolved;
};

/* What the pure decision says for a pay-level input. */
struct order_decision {
	enum order_state next;		/* == current: no change */
	enum order_anomaly anomaly;
	bool confirm;			/* a notified payment without amount or
					   currency: confirm by a query (no
					   anomaly, due for a check now) */
};

struct order_outcome {
	int64_t order_id;
	int64_t refund_id;		/* REFUND_STATUS: the refund, or 0 */
	enum order_state old_state, new_state;
	bool changed;			/* an event was appended */
	enum order_anomaly anomaly;	/* recorded, or OAN_NONE */
	bool confirm;			/* see order_decision */
};

/*
 * The pure rule for a pay-level input (every kind but REFUND_STATUS)
 * against an order: fills *d. No I/O. This is the table the unit tests
 * walk; order_apply() writes what it says.
 */
void order_decide(const struct order *, const struct order_input *,
    struct order_decision *);

/*
 * Apply one input to the order order_no, inside the caller's write
 * transaction (store_begin() .. store_commit()): re-read the order, decide,
 * update it, append an event when something changed, record an anomaly
 * when there is one. 0 with *out filled (also when nothing changed or the
 * input was an anomaly); -1 with E_NOTFOUND when no such order exists
 * (nothing written), E_INPUT for an unusable input, E_STORE on a database
 * failure (the caller rolls back).
 */
int order_apply(struct store *, int64_t now, const char *order_no,
    const struct order_input *, struct order_outcome *, struct err *);

/*
 * Record an anomaly not tied to an existing order (unknown order in a
 * verified notification). Inside the caller's transaction.
 */
int order_anomaly_record(struct store *, int64_t now, enum order_anomaly,
    enum order_source, int64_t notification_id, const char *detail,
    struct err *);

/*
 * The reconciler's schedule: when to query an open order next, after
 * `attempts` queries so far. +1, +2, +5, +10, +20 minutes after creation,
 * then hourly after now; never earlier than now + 30 s. /pay must set
 * next_check_at = order_next_check(created_at, 0, created_at) when it
 * inserts an order (the column's default, 0, means "due now").
 */
int64_t order_next_check(int64_t created_at, int64_t attempts, int64_t now);

#endif
