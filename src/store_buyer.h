/*
 * store_buyer.h - the SQL of the buyer's view of orders (store_buyer.c,
 * sql/003_orders.sql): one order with its provider parameters, by number
 * or by idempotency key, its items, the buyer's newest orders. Reads only.
 */
#ifndef H5PAY_STORE_BUYER_H
#define H5PAY_STORE_BUYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store_catalog.h"

struct store;

/* The buyer's view of an order (more columns than struct order). */
struct buyer_order {
	int64_t id;
	char order_no[33];
	char openid[129];
	char state[24];
	int64_t amount;
	char currency[4];
	char subject[129];
	char *jsapi;		/* JSON text or NULL; owned (cleanup) */
	int64_t expires_at, created_at, paid_at;	/* paid_at 0: none */
	int64_t last_query_at;		/* 0: never */
	char error_code[65];
	int64_t refunded_amount;	/* minor units refunded so far */
};

struct buyer_item {
	char sku[PRODUCT_SKU_MAX + 1];
	char name[PRODUCT_NAME_MAX + 1];
	int64_t unit_price;
	int64_t qty;
	int64_t line_amount;
};

typedef int (*buyer_order_each_fn)(void *ctx, const struct buyer_order *);
typedef int (*buyer_item_each_fn)(void *ctx, const struct buyer_item *);

/* Orders of openid that can still be paid (CREATED, PENDING, UNKNOWN,
 * not expired at now): the count into *n. */
int store_buyer_open_orders(struct store *, const char *openid,
    int64_t now, int64_t *n, struct err *);
void buyer_order_cleanup(struct buyer_order *);
/* 0 with *o (buyer_order_cleanup it), -1 with E_NOTFOUND / E_STORE. */
int store_buyer_order_get(struct store *, const char *order_no,
    struct buyer_order *, struct err *);
int store_buyer_order_by_key(struct store *, const char *openid,
    const char *idempotency_key, struct buyer_order *, struct err *);
/* The order's items, in order. */
int store_buyer_items_each(struct store *, int64_t order_id,
    buyer_item_each_fn, void *ctx, struct err *);
/* The buyer's newest orders first, at most limit (the struct passed to fn
 * has jsapi NULL). */
int store_buyer_orders_each(struct store *, const char *openid, int limit,
    buyer_order_each_fn, void *ctx, struct err *);

#endif
