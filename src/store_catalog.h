/*
 * store_catalog.h - the SQL of the buyer flow (store_catalog.c): the
 * product catalog, creating an order with its items, and the buyer's view
 * of orders (sql/003_orders.sql). State changes of existing orders go
 * through order_apply() (order.c), never through this file.
 */
#ifndef H5PAY_STORE_CATALOG_H
#define H5PAY_STORE_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct store;

#define PRODUCT_SKU_MAX 64
#define PRODUCT_NAME_MAX 128
#define PRODUCT_DESC_MAX 2000
#define PRODUCT_IMAGE_MAX 512
#define PRODUCT_PRICE_MAX 999999999999LL

struct product {
	char sku[PRODUCT_SKU_MAX + 1];
	char name[PRODUCT_NAME_MAX + 1];
	char description[PRODUCT_DESC_MAX + 1];
	int64_t price;			/* minor units of currency */
	char currency[4];
	char image[PRODUCT_IMAGE_MAX + 1];
	bool active;
	int64_t created_at, updated_at;
};

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
};

struct buyer_item {
	char sku[PRODUCT_SKU_MAX + 1];
	char name[PRODUCT_NAME_MAX + 1];
	int64_t unit_price;
	int64_t qty;
	int64_t line_amount;
};

/* Called per row; a non-zero return stops the iteration (returned). */
typedef int (*product_each_fn)(void *ctx, const struct product *);
typedef int (*buyer_order_each_fn)(void *ctx, const struct buyer_order *);
typedef int (*buyer_item_each_fn)(void *ctx, const struct buyer_item *);

/* 0 with *p, -1 with E_NOTFOUND / E_STORE. */
int store_product_get(struct store *, const char *sku, struct product *,
    struct err *);
/* Every product (active_only: only the active ones), by sku. */
int store_product_each(struct store *, bool active_only, product_each_fn,
    void *ctx, struct err *);
/* Insert, or update every field of the product with that sku. Checks
 * the values (E_INPUT) before the database does. */
int store_product_put(struct store *, const struct product *, int64_t now,
    struct err *);
/* -1 with E_NOTFOUND when there is no such sku. */
int store_product_set_active(struct store *, const char *sku, bool active,
    int64_t now, struct err *);

/*
 * Inside the caller's store_begin(): insert a CREATED order; *id gets its
 * row id. -1 with E_CONFLICT when (openid, idempotency_key) or the order
 * number already exists, E_STORE otherwise.
 */
int store_order_create(struct store *, const struct store_order_new *,
    int64_t *id, struct err *);
int store_order_item_add(struct store *, int64_t order_id,
    const struct buyer_item *, struct err *);

/* 0 with *o (buyer_order_cleanup it), -1 with E_NOTFOUND / E_STORE. */
int store_buyer_order_get(struct store *, const char *order_no,
    struct buyer_order *, struct err *);
int store_buyer_order_by_key(struct store *, const char *openid,
    const char *idempotency_key, struct buyer_order *, struct err *);
/* Orders of openid that can still be paid (CREATED, PENDING, UNKNOWN,
 * not expired at now): the count into *n. */
int store_buyer_open_orders(struct store *, const char *openid,
    int64_t now, int64_t *n, struct err *);
void buyer_order_cleanup(struct buyer_order *);
/* The order's items, in order. */
int store_buyer_items_each(struct store *, int64_t order_id,
    buyer_item_each_fn, void *ctx, struct err *);
/* The buyer's newest orders first, at most limit (the struct passed to fn
 * has jsapi NULL). */
int store_buyer_orders_each(struct store *, const char *openid, int limit,
    buyer_order_each_fn, void *ctx, struct err *);

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
