/*
 * store_outbox.h - the SQL of merchant events (store_outbox.c,
 * sql/009_outbox.sql): the outbox rows order_apply() writes, the delivery
 * worker's claims and attempts, the log and resend. Writers run inside the
 * caller's store_begin(); -1 with E_NOTFOUND for a missing row, E_STORE
 * for a database failure.
 */
#ifndef H5PAY_STORE_OUTBOX_H
#define H5PAY_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct store;
struct json_object;

#define OUTBOX_EVENT_ID_LEN 28		/* "evt_" + 24 hex digits */

struct outbox_new {
	const char *event_id;		/* OUTBOX_EVENT_ID_LEN chars */
	const char *type;		/* "payment.paid", ... */
	int64_t order_id, refund_id;	/* 0 = none */
	const char *body;		/* the JSON sent, <= 4096 bytes */
	int64_t created_at;		/* also the first next_at */
};

/* An event claimed for sending. body is the caller's (free()). */
struct outbox_claim {
	int64_t id;
	char event_id[OUTBOX_EVENT_ID_LEN + 1];
	int64_t attempts;		/* before this one */
	int64_t created_at;
	char *body;
};

int store_outbox_insert(struct store *, const struct outbox_new *,
    struct err *);

/*
 * Claim up to max due rows (pending or sending, next_at <= now and no
 * live lease), oldest due first: each becomes 'sending' with lease_until
 * and owner (the worker's pid).
 * Fills out[0..*n). Inside the caller's transaction; on -1 the caller rolls
 * back and owns nothing.
 */
int store_outbox_claim(struct store *, int64_t now, int64_t lease_until,
    int64_t owner, struct outbox_claim *out, int max, int *n, struct err *);

/*
 * Drop the leases of workers that are gone: alive(pid) says whether a
 * lease owner still runs; every leased row of a dead owner becomes due
 * now. *released counts them.
 */
int store_outbox_release_dead(struct store *, int (*alive)(int64_t pid),
    int64_t now, int *released, struct err *);

/* Record one attempt of outbox row id (status 0: no HTTP answer). */
int store_outbox_attempt_insert(struct store *, int64_t id, const char *url,
    long status, int64_t latency_ms, const char *excerpt, const char *error,
    int64_t now, struct err *);

/*
 * After an attempt of a claimed row: state "delivered" (delivered_at =
 * now), "pending" (due again at next_at) or "failed"; attempts + 1 and the
 * lease dropped. A row no longer 'sending' (resent meanwhile) keeps its
 * state but still counts the attempt.
 */
int store_outbox_finish(struct store *, int64_t id, const char *state,
    int64_t next_at, long status, int64_t now, struct err *);

/*
 * Make event_id due now again, whatever its state (delivered and failed
 * rows too): 'pending', next_at = now. A row being sent right now keeps
 * its lease, so it is sent again once that attempt finished (never twice
 * at once). E_NOTFOUND when there is no such event.
 */
int store_outbox_resend(struct store *, const char *event_id, int64_t now,
    struct err *);

/*
 * The log, newest first: a JSON array of {eventId, type, orderNo,
 * state, attempts, nextAt, lastStatus, deliveredAt, createdAt, body,
 * attemptsLog: [{url, status, latencyMs, excerpt, error, at}] (the last
 * 20)} (camelCase like the rest of the admin API; the body is the event
 * as sent). state NULL = all; limit 1..500. *out is the caller's
 * (json_object_put).
 */
int store_outbox_list(struct store *, const char *state, int limit,
    struct json_object **out, struct err *);

#endif
