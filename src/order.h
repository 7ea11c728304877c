/*
 * order.h - the order state machine (issue 6). Money is int64 minor units.
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
#include "useepay.h"

struct store;

enum order_state {
	ORDER_CREATED = 0,
	ORDER_PENDING,
	ORDER_UNKNOWN,
	ORDER_PAID,
	ORDER_FAILED,
	ORDER_CLOSED,
	ORDER_PARTIALLY_REFUNDED,
	ORDER_REFUNDED,
	ORDER__COUNT
};

enum refund_state {
	REFUND_CREATED = 0,
	REFUND_PENDING,
	REFUND_UNKNOWN,
	REFUND_SUCCEEDED,
	REFUND_FAILED,
	REFUND__COUNT
};

/* Who observed it: stored in events and anomalies. */
enum order_source {
	OSRC_NOTIFY = 0,
	OSRC_QUERY,		/* the buyer's status poll */
	OSRC_RECONCILER,
	OSRC_ADMIN,
	OSRC_PAY,		/* the /pay call's own outcome */
	OSRC__COUNT
};

enum order_input_kind {
	OIN_PAY_STATUS = 0,	/* provider status of the pay transaction */
	OIN_REFUND_STATUS,	/* provider status of a refund (refund_no) */
	OIN_CREATE_OK,		/* pay accepted: PENDING, ref + jsapi */
	OIN_CREATE_FAILED,	/* pay call refused: FAILED, error code/msg */
	OIN_CREATE_UNKNOWN,	/* pay call outcome unknown: UNKNOWN */
	OIN_EXPIRE		/* past expiry+grace, provider: unpaid */
};

enum order_anomaly {
	OAN_NONE = 0,
	OAN_AMOUNT_MISMATCH,
	OAN_CURRENCY_MISMATCH,
	OAN_UNKNOWN_ORDER,
	OAN_PAID_AFTER_CLOSED,
	OAN_PAID_AFTER_FAILED,
	OAN_STATUS_CONFLICT,
	OAN_UNKNOWN_REFUND,
	OAN_REFUND_MISMATCH,
	OAN_REFUND_OVER_AMOUNT,
	OAN__COUNT
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
};

/* The state-machine view of an order row. */
struct order {
	int64_t id;
	char order_no[33];
	enum order_state state;
	int64_t amount;
	char currency[4];
	int64_t refunded_amount;
	int64_t expires_at;
	int64_t created_at;
	int64_t next_check_at;
	int64_t check_attempts;
};

struct refund {
	int64_t id;
	char refund_no[33];
	int64_t order_id;
	enum refund_state state;
	int64_t amount;
	char currency[4];
};

/* A change to an order row (store_order_update). NULL / 0 = keep. */
struct order_change {
	int64_t id;
	enum order_state state;
	int64_t refunded_amount;
	int64_t paid_at;
	const char *provider_ref;
	const char *jsapi;
	const char *error_code, *error_msg;
	int64_t now;
};

/* One row of the timeline (order_events). */
struct order_event {
	int64_t order_id;
	enum order_source source;
	enum order_state old_state, new_state;
	const char *result_code, *error_code, *error_msg;
	const char *msg_sha256;
	int64_t notification_id;	/* 0 = none */
	int64_t refund_id;		/* 0 = none */
	int64_t amount;			/* -1 = none */
	const char *actor;
	int64_t created_at;
};

/* A received notification (notifications table). */
struct notification {
	int64_t received_at;
	const void *body;		/* NULL for a duplicate */
	size_t body_len;
	const char *body_sha256;	/* 64 hex */
	bool verified;
	const char *transaction_type, *transaction_id, *result_code;
	int64_t duplicate_of;		/* 0 = first of its hash */
};

/* What the pure decision says for a pay-level input. */
struct order_decision {
	enum order_state next;		/* == current: no change */
	enum order_anomaly anomaly;
};

struct order_outcome {
	int64_t order_id;
	int64_t refund_id;		/* REFUND_STATUS: the refund, or 0 */
	enum order_state old_state, new_state;
	bool changed;			/* an event was appended */
	enum order_anomaly anomaly;	/* recorded, or OAN_NONE */
};

/* Names as stored in SQL ("PARTIALLY_REFUNDED", "notify", ...); static. */
const char *order_state_name(enum order_state);
const char *refund_state_name(enum refund_state);
const char *order_source_name(enum order_source);
const char *order_anomaly_name(enum order_anomaly);
/* Parse a stored name; -1 when unknown. */
int order_state_parse(const char *, enum order_state *);
int refund_state_parse(const char *, enum refund_state *);

/* True for PENDING/UNKNOWN/CREATED: the provider may still take money. */
bool order_state_is_open(enum order_state);

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

enum notify_outcome {
	NOTIFY_APPLIED = 0,	/* the order (or refund) changed */
	NOTIFY_NOOP,		/* nothing to change: already there */
	NOTIFY_DUPLICATE,	/* byte-identical to one already stored */
	NOTIFY_ANOMALY,		/* verified, unusable: anomaly stored */
	NOTIFY_IGNORED		/* a transactionType we do not handle */
};

const char *notify_outcome_name(enum notify_outcome);

/*
 * A verified notification (spec §5): in ONE write transaction store it
 * (raw body, its SHA-256; a byte-identical redelivery is stored as a
 * duplicate and changes nothing), find its order (pay: transactionId;
 * refund: originalTransactionId + transactionId as refund number), apply
 * it through order_apply(), record what came of it; commit. body_sha256
 * is computed by the caller before (outside the lock). 0 once committed:
 * only then may the caller acknowledge. -1 with E_STORE (nothing stored;
 * the provider must retry).
 */
int order_notify_process(struct store *, int64_t now, const char *body,
    size_t len, const char *body_sha256, const struct useepay_txn *,
    enum notify_outcome *, struct order_outcome *, struct err *);

/* The same inside the caller's transaction (no begin, no commit): for
 * group commit. On -1 the caller must undo what it did (a savepoint). */
int order_notify_apply_tx(struct store *, int64_t now, const char *body,
    size_t len, const char *body_sha256, const struct useepay_txn *,
    enum notify_outcome *, struct order_outcome *, struct err *);

/* One notification waiting for group commit (notify_batch.c). The
 * submitter fills the inputs; the results are valid once submit returns. */
struct notify_job {
	/* in: borrowed until order_notify_submit returns */
	int64_t now;
	const char *body;
	size_t len;
	const char *body_sha256;
	const struct useepay_txn *txn;
	/* out */
	enum notify_outcome res;
	struct order_outcome oo;
	struct err err;
	int rc;
	/* private */
	bool done;
	struct notify_job *next;
};

/*
 * Group commit (notify_batch.c): hand one verified notification to this
 * process's batch and wait until the batch holding it has committed (or
 * failed). The first waiting thread becomes the leader: it takes the
 * write lock, then every notification queued by then, applies each inside
 * its own savepoint on its own connection `st`, commits once (one fsync
 * for all) and wakes the others. 0 once this notification's transaction
 * committed (acknowledge it then); -1 with job->err when it did not
 * (nothing of it stored; answer 500).
 */
int order_notify_submit(struct store *st, struct notify_job *);

/* Largest batch committed by this process so far (tests, logs). */
int order_notify_max_batch(void);

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
