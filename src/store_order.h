/*
 * store_order.h - the SQL of orders (store_order.c, sql/003_orders.sql):
 * read and change an order, its items and its timeline, the reconciler's
 * schedule, the status-query slot. Writers run inside the caller's
 * store_begin() .. store_commit(); -1 with E_NOTFOUND for a missing row,
 * E_CONFLICT for a duplicate, E_STORE for a database failure. State
 * changes are decided by order_apply() (order.c), never here.
 */
#ifndef H5PAY_STORE_ORDER_H
#define H5PAY_STORE_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "order_state.h"

struct store;
struct buyer_item;

/* A new order row (state CREATED) as /pay writes it. */
struct store_order_new {
	const char *order_no;
	const char *openid, *appid;
	int64_t amount;
	const char *currency;
	const char *subject;
	const char *idempotency_key;
	int64_t expires_at, next_check_at, now;
};

int store_order_get(struct store *, const char *order_no, struct order *,
    struct err *);
int store_order_update(struct store *, const struct order_change *,
    struct err *);
int store_order_event_insert(struct store *, const struct order_event *,
    struct err *);
/* Make order id due for its next reconciler check at next_check_at
 * (nothing else changes). */
int store_order_check_at(struct store *, int64_t id, int64_t next_check_at,
    struct err *);
/* Open orders (CREATED/PENDING/UNKNOWN) with next_check_at <= now, the
 * most overdue first; at most max into out[], *n gets how many. */
int store_order_due(struct store *, int64_t now, struct order *out,
    size_t max, size_t *n, struct err *);
int store_order_schedule(struct store *, int64_t id, int64_t last_query_at,
    int64_t next_check_at, int64_t attempts, struct err *);

/*
 * Inside the caller's store_begin(): insert a CREATED order; *id gets its
 * row id. -1 with E_CONFLICT when (openid, idempotency_key) or the order
 * number already exists, E_STORE otherwise.
 */
int store_order_create(struct store *, const struct store_order_new *,
    int64_t *id, struct err *);
int store_order_item_add(struct store *, int64_t order_id,
    const struct buyer_item *, struct err *);
/*
 * Inside the caller's store_begin(): take the order's provider-query slot
 * when its last check (or its creation) is at or before not_after: sets
 * last_query_at = now. *taken says whether this call took it, so at most
 * one status query per order runs per interval whatever the number of
 * workers and polling pages.
 */
int store_order_query_claim(struct store *, int64_t id, int64_t now,
    int64_t not_after, bool *taken, struct err *);

#endif
