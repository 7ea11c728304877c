/*
 * order_state.h - the names and rows of the order schema: states of
 * orders and refunds, who observed a change, anomaly kinds, and the row
 * structs the state machine (order.c) and the store (store_order.c,
 * store_refund.c, store_notify.c) exchange. A leaf: it includes nothing of
 * the project, so the store never needs the state machine's header and
 * the state machine never needs the store's internals.
 */
#ifndef H5PAY_ORDER_STATE_H
#define H5PAY_ORDER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	OAN_PROVIDER_REFUSED,	/* refused unsigned: configuration (007) */
	OAN_UNRESOLVED,		/* closed, no query could resolve it (007) */
	OAN_SIGNATURE_FAILURES,	/* a burst of refused notifications */
	OAN_UNKNOWN_STALE,	/* an order UNKNOWN for too long */
	OAN__COUNT
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
	const char *meaning_sha256;	/* 64 hex: what identifies it */
	int64_t duplicate_of;		/* 0 = first of its hash */
	int64_t order_id;		/* the order it names as far as known
					 * when stored; 0 = none yet */
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

/* True for PAID and its refunded successors: money was taken. */
bool order_state_is_paid(enum order_state);

#endif
