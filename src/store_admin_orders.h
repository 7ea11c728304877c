/*
 * store_admin_orders.h - the admin's reads of the order schema
 * (store_admin_orders.c, sql/003_orders.sql, sql/004_admin.sql): the order
 * list with filters and keyset paging, one order's detail, the per-day
 * figures. Reads only, apart from the stats cache of closed days.
 */
#ifndef H5PAY_STORE_ADMIN_ORDERS_H
#define H5PAY_STORE_ADMIN_ORDERS_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct store;
struct json_object;

enum store_admin_sort {
	SORT_CREATED_DESC = 0,
	SORT_CREATED_ASC,
	SORT_AMOUNT_DESC,
	SORT_AMOUNT_ASC,
	SORT__COUNT
};

/* A list filter; NULL strings / defaults mean "any". */
struct store_admin_filter {
	const char *state;
	const char *order_no;
	const char *openid;
	int64_t from, to;		/* created_at in [from, to) */
	int64_t amount_min, amount_max;	/* inclusive */
	enum store_admin_sort sort;
	bool has_cursor;		/* rows strictly after (key, id) */
	int64_t cursor_key, cursor_id;
	int64_t limit;
};

/* One list row; strings borrowed for the callback's duration. */
struct store_admin_order_row {
	int64_t id;
	const char *order_no, *openid, *currency, *subject, *state;
	const char *error_code, *error_msg;
	int64_t amount, refunded_amount, created_at, paid_at; /* paid_at 0 */
	int64_t open_anomalies;
};

/* Initialise f to "everything, newest first, 50 rows". */
void store_admin_filter_init(struct store_admin_filter *);

/* Rows matching f in its order, at most f->limit; cb returns 0 to go on,
 * -1 to stop (the function then returns -1 with cb's *err). */
int store_admin_orders_list(struct store *, const struct store_admin_filter *,
    int (*cb)(void *ctx, const struct store_admin_order_row *,
    struct err *), void *ctx, struct err *);

/*
 * The detail of order order_id as a JSON object (caller puts): "order"
 * (the row), "items", "events", "notifications", "refunds", "anomalies" (arrays of
 * rows, keys = column names in camelCase, oldest first). E_NOTFOUND when
 * no such order.
 */
int store_admin_order_detail(struct store *, int64_t order_id,
    struct json_object **out, struct err *);

/*
 * Per UTC day in [from, to): orders created (any currency), amount paid
 * (by paid_at) and refunds succeeded (count, amount, by updated_at) in
 * currency. As a JSON array of {"day": unix, "orders", "paidCount", "paidAmount",
 * "refundCount", "refundAmount"} for every day of the range (zeros
 * included). Caller puts.
 * Closed days (ended at least an hour before now) are read from and kept
 * in admin_stats_days, in a short transaction of its own: do not call
 * inside one.
 */
int store_admin_stats(struct store *, int64_t from, int64_t to,
    const char *currency, int64_t now, struct json_object **out,
    struct err *);
/*
 * The same per day of a zone off seconds east of UTC (|off| < 1 day):
 * from and to are its midnights ((from + off) % 86400 == 0), a row's day
 * is its zone's date. A fixed offset for the whole range: exact for zones
 * without daylight saving (Hong Kong, China). Only UTC days (off 0) use
 * the admin_stats_days cache (its rows have no zone).
 */
int store_admin_stats_tz(struct store *, int64_t from, int64_t to,
    int64_t off, const char *currency, int64_t now, struct json_object **out,
    struct err *);

#endif
