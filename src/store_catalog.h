/*
 * store_catalog.h - the SQL of the product catalog (store_catalog.c,
 * sql/003_orders.sql). Orders are store_order.h's, the buyer's view of
 * them store_buyer.h's.
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

/* Called per row; a non-zero return stops the iteration (returned). */
typedef int (*product_each_fn)(void *ctx, const struct product *);

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

#endif
