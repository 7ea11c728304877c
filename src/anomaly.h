/*
 * anomaly.h - the anomaly inbox (issue 11 part 4): the anomalies order.c
 * records (money for a closed order, mismatches, unknown orders...) listed
 * open or resolved, resolved by an admin with a note. Raising one also
 * writes an anomaly.raised event (outbox.h).
 */
#ifndef H5PAY_ANOMALY_H
#define H5PAY_ANOMALY_H

#include <stdint.h>

#include "err.h"
#include "order_state.h"

struct store;
struct json_object;

#define ANOMALY_NOTE_MAX 500		/* bytes of a resolution note */
/* signature_failures: this many refused notifications within the window
 * in one notify process raise one anomaly (at most one per window) */
#define ANOMALY_SIGFAIL_BURST 20
#define ANOMALY_SIGFAIL_WINDOW_SEC 60
/* unknown_stale: an order UNKNOWN for longer than this (the reconciler) */
#define ANOMALY_UNKNOWN_STALE_SEC 3600

/*
 * Record an anomaly (o may be NULL; only its id and order_no are read;
 * refund_id 0 = none) and its anomaly.raised event, inside the caller's
 * transaction.
 */
int anomaly_raise(struct store *, int64_t now, enum order_anomaly,
    enum order_source, const struct order *o, int64_t refund_id,
    const char *detail, struct err *);

/*
 * One notification refused for its signature at now (from ip): counts it
 * in this process and, at the ANOMALY_SIGFAIL_BURST-th within the window,
 * raises signature_failures in its own transaction. Thread-safe; never
 * fails the caller (a store failure is logged).
 */
void anomaly_sigfail_note(struct store *, int64_t now, const char *ip);

/*
 * The reconciler's check: raise unknown_stale once for every order UNKNOWN
 * since before now - ANOMALY_UNKNOWN_STALE_SEC (at most 100 per call), in
 * one transaction. *raised counts them.
 */
int anomaly_unknown_stale_pass(struct store *, int64_t now, int *raised,
    struct err *);

/*
 * state "open" (or NULL) or "resolved" (else E_INPUT); newest first below
 * before_id (0: from the newest); limit 1..500. *out (the caller's): a
 * JSON array, store_anomaly_list's shape.
 */
int anomaly_list(struct store *, const char *state, int64_t before_id,
    int64_t limit, struct json_object **out, struct err *);

int anomaly_count_open(struct store *, int64_t *n, struct err *);

/*
 * Resolve anomaly id as by (the admin's name) with note (1..500 bytes, no
 * control characters), in its own write transaction. -1 with E_INPUT (bad
 * note), E_NOTFOUND, E_CONFLICT (already resolved), E_STORE.
 */
int anomaly_resolve(struct store *, int64_t now, int64_t id, const char *by,
    const char *note, struct err *);

#endif
