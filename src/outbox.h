/*
 * outbox.h - merchant events written through a transactional outbox
 * (issue 11 part 3, docs/integration.md). order_apply() calls these inside
 * its own write transaction, next to the order_events row and the anomaly
 * row, so an event is stored if and only if its change commits; the
 * delivery worker (outbox_send.h) sends the rows later.
 *
 * Each event is one JSON object, built once and stored as sent:
 *   {"id":"evt_<24 hex>","type":"payment.paid","created_at":<unix s>,
 *    "data":{...}}
 * The id is 12 bytes of the kernel CSPRNG (order_apply has no app, so
 * not the injected rng): stable across every attempt, the receiver's
 * dedupe key.
 */
#ifndef H5PAY_OUTBOX_H
#define H5PAY_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "order_state.h"

struct store;

/*
 * The order o moved to next: payment.paid / payment.failed /
 * payment.closed for those states (other states write nothing, 0).
 * data: order_no, state, amount, currency, paid_at (PAID) or null.
 */
int outbox_payment(struct store *, int64_t now, const struct order *o,
    enum order_state next, struct err *);

/*
 * Refund r of order o moved to rnext (order now onext with refunded in
 * total): refund.succeeded / refund.failed (other states write nothing).
 * data: order_no, order_state, refund_no, refund_state, refund_amount,
 * currency, refunded_amount.
 */
int outbox_refund(struct store *, int64_t now, const struct order *o,
    const struct refund *r, enum refund_state rnext, enum order_state onext,
    int64_t refunded, struct err *);

/*
 * An anomaly was recorded: anomaly.raised. data: kind, source, order_no
 * (o NULL: null), detail. refund_id (0 = none) is kept on the row.
 */
int outbox_anomaly(struct store *, int64_t now, const struct order *o,
    int64_t refund_id, enum order_anomaly, enum order_source,
    const char *detail, struct err *);

/* A "test" event (the admin's button, `h5pay events test`): data
 * {"test":true}. event_id gets its id. */
int outbox_test(struct store *, int64_t now, char event_id[29],
    struct err *);

/* A valid event id: "evt_" + 24 lowercase hex digits. */
bool outbox_event_id_valid(const char *);

/*
 * Make event_id due now again (delivered or failed ones too), in its own
 * write transaction: the admin's and the CLI's resend. -1 with E_INPUT for
 * a malformed id, E_NOTFOUND for an unknown one, E_STORE.
 */
int outbox_resend(struct store *, int64_t now, const char *event_id,
    struct err *);

/*
 * The delivery log (store_outbox_list): state NULL or one of pending,
 * sending, delivered, failed (else E_INPUT); limit 1..500. *out is the
 * caller's.
 */
struct json_object;
int outbox_list(struct store *, const char *state, int64_t limit,
    struct json_object **out, struct err *);

/* outbox_test() in its own write transaction. */
int outbox_test_commit(struct store *, int64_t now, char event_id[29],
    struct err *);

#endif
