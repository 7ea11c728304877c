/*
 * store_notify.h - the SQL of received notifications and anomalies
 * (store_notify.c, sql/003_orders.sql). Writers run inside the caller's
 * store_begin(); -1 with E_NOTFOUND for a missing row, E_STORE for a
 * database failure.
 */
#ifndef H5PAY_STORE_NOTIFY_H
#define H5PAY_STORE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "order_state.h"

struct store;

/* order_id, notification_id, refund_id: 0 = none. */
int store_anomaly_insert(struct store *, int64_t order_id,
    int64_t notification_id, int64_t refund_id, const char *kind,
    const char *source, const char *detail, int64_t now, struct err *);
/* The first notification of this meaning, whose transactionId is txn (or,
 * for a row stored before meanings were kept, of this body hash): 0 and
 * *id, or -1 with E_NOTFOUND. */
int store_notification_find(struct store *, const char *txn,
    const char *meaning_sha256, const char *body_sha256, int64_t *id,
    struct err *);
/* Count one more delivery of notification id (received at now). */
int store_notification_redelivered(struct store *, int64_t id, int64_t now,
    struct err *);
/* The order order_no (*order_id, 0 for no such order) and how many
 * notification rows it has (*n, 0 for none or no such order). */
int store_notification_count_order(struct store *, const char *order_no,
    int64_t *order_id, int64_t *n, struct err *);
int store_notification_insert(struct store *, const struct notification *,
    const char *outcome, int64_t *id, struct err *);
/* Record what notification id did and which order it names (0: none);
 * stored_order_id is the order_id it was inserted with: when they are the
 * same, only the outcome is written (the order index keeps its entry). */
int store_notification_finish(struct store *, int64_t id, const char *outcome,
    int64_t order_id, int64_t stored_order_id, struct err *);

#endif
