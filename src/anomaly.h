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

struct store;
struct json_object;

#define ANOMALY_NOTE_MAX 500		/* bytes of a resolution note */

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
