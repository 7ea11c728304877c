/*
 * store_anomaly.h - the SQL of the anomaly inbox (store_anomaly.c,
 * sql/003_orders.sql + 009): list open or resolved anomalies, count the
 * open ones, resolve one. Rows are written by order.c through
 * store_anomaly_insert (store_notify.h). -1 with E_NOTFOUND for a missing
 * row, E_CONFLICT for one already resolved, E_STORE.
 */
#ifndef H5PAY_STORE_ANOMALY_H
#define H5PAY_STORE_ANOMALY_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct store;
struct json_object;

/*
 * Newest first, ids below before_id (0: from the newest): a JSON array of
 * {id, kind, source, orderNo, detail, createdAt, resolvedAt, resolvedBy,
 * note}; resolved false = open ones. limit 1..500. *out is the caller's.
 */
int store_anomaly_list(struct store *, bool resolved, int64_t before_id,
    int limit, struct json_object **out, struct err *);

/*
 * Orders UNKNOWN since before `before` that have no unknown_stale anomaly
 * yet, oldest first: out[0..*n) (id and order_no filled), at most max.
 */
struct order;
int store_anomaly_unknown_stale(struct store *, int64_t before,
    struct order *out, int max, int *n, struct err *);

/* How many anomalies are open. */
int store_anomaly_count_open(struct store *, int64_t *n, struct err *);

/* Resolve anomaly id (inside the caller's transaction). */
int store_anomaly_resolve(struct store *, int64_t id, const char *by,
    const char *note, int64_t now, struct err *);

#endif
