/*
 * pay.h - the buyer's payment (issue 5): turn a cart into an order priced
 * from the catalog, create the UseePay JSAPI transaction for it
 * (docs/protocol.md §4), and tell the buyer the state of their orders,
 * asking UseePay (§6) while an order is open.
 *
 * Every change of an existing order goes through order_apply() (order.c),
 * the same transition function the notify path and the reconciler use.
 */
#ifndef H5PAY_PAY_H
#define H5PAY_PAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store_buyer.h"

struct app;

#define PAY_MAX_LINES 20	/* distinct skus per order */
#define PAY_QTY_MAX 99
#define PAY_KEY_MIN 8		/* idempotency key: [0-9A-Za-z_-] */
#define PAY_KEY_MAX 64

struct pay_line {
	char sku[PRODUCT_SKU_MAX + 1];
	int64_t qty;
};

/* A /pay request as the buyer sent it (prices are never taken from it). */
struct pay_request {
	struct pay_line lines[PAY_MAX_LINES];
	size_t n;
	char key[PAY_KEY_MAX + 1];
	char client_ip[46];	/* the buyer's address (nginx), or "" */
};

/* What became of a /pay request that was not refused as bad input. */
enum pay_result {
	PAY_READY = 0,		/* PENDING with the invocation params */
	PAY_REFUSED,		/* the provider refused (order FAILED), or
				   verifiably never created it (order
				   UNKNOWN until the reconciler closes it) */
	PAY_UNKNOWN,		/* outcome unknown: order UNKNOWN / CREATED,
				   resolved by queries, never re-created */
	PAY_NOT_PAYABLE		/* the key's order is paid, failed,
				   closed, expired, or has no params */
};

struct json_object;

/*
 * Read a /pay body (a JSON object) into *rq: "idempotencyKey" a string,
 * "items" an array of objects with "sku" a string and "qty" a JSON
 * integer (1.5, "1", true are refused). Every other member (price,
 * amount, currency, ...) is ignored. Ranges are pay_request_check()'s.
 * -1 with E_INPUT naming the first problem.
 */
int pay_request_from_json(const struct json_object *, struct pay_request *,
    struct err *);

/*
 * Check the request's shape: 1..PAY_MAX_LINES lines, distinct skus of
 * [0-9A-Za-z_.-], quantities 1..99, a key of PAY_KEY_MIN..PAY_KEY_MAX of
 * [0-9A-Za-z_-]. -1 with E_INPUT naming the first problem.
 */
int pay_request_check(const struct pay_request *, struct err *);

/*
 * POST /pay for the buyer openid: the same (openid, key) always means the
 * same order. A new key: price every line from the catalog (unknown or
 * inactive sku, another currency than the configured one: E_INPUT), store
 * the order and its items as CREATED in one transaction, call UseePay
 * once, and apply its answer through order_apply (source "pay"). An
 * unknown outcome is followed by one query, never by a second create.
 * 0 with *res and *o (the order; buyer_order_cleanup it; o->jsapi is the
 * JSON text of the six invocation parameters when PAY_READY), or -1 with
 * *err (E_INPUT, E_STORE, E_INTERNAL; E_RATE when the buyer already
 * holds cfg->pay_max_open_orders_per_buyer payable orders).
 */
int pay_create(struct app *, const char *openid, const char *appid,
    const struct pay_request *, enum pay_result *res, struct buyer_order *o,
    struct err *);

/*
 * The second half of pay_create(), shared with hosted checkout (api.c):
 * the order order_no was just stored CREATED for openid (by the caller's
 * own transaction, now committed). Call UseePay once (the order's
 * remaining life, at most useepay_expiration_min, as its expiry;
 * client_ip, the buyer's address or "", as userInfo.ip) and
 * apply the answer through order_apply (source "pay"); an unknown outcome
 * is followed by one query, never a second create. 0 with *res and *o as
 * pay_create's; -1 with *err.
 */
int pay_submit(struct app *, const char *order_no, const char *openid,
    const char *client_ip, enum pay_result *res, struct buyer_order *o,
    struct err *);

/*
 * The order of (openid, key) exists: wait while another request is inside
 * its provider call (CREATED), resolve an unknown outcome by a query, and
 * say what it is (*res, *o as pay_create's). -1 with *err.
 */
int pay_existing(struct app *, const char *openid, const char *key,
    enum pay_result *res, struct buyer_order *o, struct err *);

/*
 * The buyer's order order_no: -1 with E_NOTFOUND when it does not exist
 * or belongs to another buyer. While it is open (CREATED, PENDING,
 * UNKNOWN) and its last provider check is older than
 * cfg->status_query_interval_sec, query UseePay (at most once per interval
 * per order, across all workers) and apply the answer (source "query")
 * before reading it. A failed query is logged, not returned.
 */
int pay_status(struct app *, const char *openid, const char *order_no,
    struct buyer_order *o, struct err *);

/* "H5" + UTC yyyymmddhhmmss + 14 random [0-9A-Za-z]: 30 characters. */
int pay_order_no_new(struct app *, char out[33], struct err *);

/*
 * orderInfo.subject from the lines' names (at most 128 bytes, cut on a
 * UTF-8 boundary, no edge white space): "NAME" or "NAME ×Q" for one line,
 * "NAME 等N件" for several. names[i] belongs to lines[i].
 */
void pay_subject(const char *const *names, const int64_t *qty, size_t n,
    char out[129]);

#endif
