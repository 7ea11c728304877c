/*
 * store_refund.h - the SQL of refunds (store_refund.c, sql/003_orders.sql,
 * sql/005_refund_checks.sql): the row, what an order has in flight, the
 * query schedule. Writers run inside the caller's store_begin(); -1 with
 * E_NOTFOUND for a missing row, E_STORE for a database failure. Refund
 * state changes are decided by order_apply() (order.c), never here.
 */
#ifndef H5PAY_STORE_REFUND_H
#define H5PAY_STORE_REFUND_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "order_state.h"

struct store;

/* What querying a refund needs: the refund, its order, its schedule. */
struct refund_check {
	int64_t id;
	char refund_no[33];
	char order_no[33];		/* the refund's order */
	int64_t created_at;
	int64_t check_attempts;
	int64_t next_check_at;
	int64_t order_id;
	char state[16];			/* CREATED, PENDING, UNKNOWN, ... */
};

/* The refund refund_no: 0 with *c, -1 with E_NOTFOUND or E_STORE. */
int store_refund_check_get(struct store *, const char *refund_no,
    struct refund_check *c, struct err *);

/*
 * Refunds in flight (CREATED, PENDING, UNKNOWN) with next_check_at <= now
 * and created_at <= created_before, the most overdue first; at most max
 * into out[], *n gets how many. -1 with E_STORE.
 */
int store_refund_due(struct store *, int64_t now, int64_t created_before,
    struct refund_check *out, size_t max, size_t *n, struct err *);

/* Move refund id's schedule on (inside the caller's transaction). */
int store_refund_schedule(struct store *, int64_t id, int64_t last_query_at,
    int64_t next_check_at, int64_t attempts, struct err *);

int store_refund_get(struct store *, const char *refund_no, struct refund *,
    struct err *);
int store_refund_update(struct store *, int64_t id, const char *state,
    const char *provider_ref, const char *error_code, const char *error_msg,
    int64_t now, struct err *);

/* The amount of order_id's refunds in flight (CREATED, PENDING, UNKNOWN):
 * still reserved. */
int store_refund_in_flight(struct store *, int64_t order_id,
    int64_t *in_flight, struct err *);
/* The refund numbers of an order's refunds still in flight (CREATED,
 * PENDING, UNKNOWN), oldest first, at most max into nos; *n how many. */
int store_refund_open_nos(struct store *, int64_t order_id,
    char (*nos)[33], size_t max, size_t *n, struct err *);
/* A new refund row (state CREATED); *id gets its rowid. */
int store_refund_insert(struct store *, const char *refund_no,
    int64_t order_id, int64_t amount, const char *currency,
    const char *reason, const char *admin, int64_t now, int64_t *id,
    struct err *);

#endif
