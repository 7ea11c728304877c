/*
 * store_refund.h - the SQL of the refunds' query schedule (store_refund.c,
 * sql/005_refund_checks.sql). Refund state changes go through
 * order_apply() (order.c), never through this file.
 */
#ifndef H5PAY_STORE_REFUND_H
#define H5PAY_STORE_REFUND_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct store;

/* What querying a refund needs: the refund, its order, its schedule. */
struct refund_check {
	int64_t id;
	char refund_no[33];
	char order_no[33];		/* the refund's order */
	int64_t created_at;
	int64_t check_attempts;
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

#endif
