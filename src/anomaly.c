/*
 * anomaly.c - the anomaly inbox (anomaly.h): checks the inputs, runs the
 * resolve in its own transaction. What it does not do: SQL
 * (store_anomaly.c), record anomalies (order.c), audit (the handler).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "anomaly.h"
#include "log.h"
#include "outbox.h"
#include "store.h"
#include "store_anomaly.h"
#include "store_notify.h"

int
anomaly_raise(struct store *st, int64_t now, enum order_anomaly a,
    enum order_source src, const struct order *o, int64_t refund_id,
    const char *detail, struct err *err)
{
	if (store_anomaly_insert(st, o ? o->id : 0, 0, refund_id,
	    order_anomaly_name(a), order_source_name(src),
	    detail ? detail : "", now, err) == -1)
		return -1;
	log_warn("anomaly", "raised", "kind=%s source=%s order=%s",
	    order_anomaly_name(a), order_source_name(src),
	    o ? o->order_no : "-");
	return outbox_anomaly(st, now, o, refund_id, a, src, detail, err);
}

static pthread_mutex_t sigfail_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t sigfail_window, sigfail_count;

void
anomaly_sigfail_note(struct store *st, int64_t now, const char *ip)
{
	struct err err;
	char detail[160];
	bool raise;
	int64_t n;

	pthread_mutex_lock(&sigfail_mu);
	if (now - sigfail_window >= ANOMALY_SIGFAIL_WINDOW_SEC) {
		sigfail_window = now;
		sigfail_count = 0;
	}
	n = ++sigfail_count;
	raise = n == ANOMALY_SIGFAIL_BURST;
	pthread_mutex_unlock(&sigfail_mu);
	if (!raise)
		return;
	snprintf(detail, sizeof(detail), "refused=%lld within=%ds "
	    "last_ip=%.64s", (long long)n, ANOMALY_SIGFAIL_WINDOW_SEC,
	    ip ? ip : "-");
	if (store_begin(st, &err) == -1)
		goto fail;
	if (anomaly_raise(st, now, OAN_SIGNATURE_FAILURES, OSRC_NOTIFY, NULL, 0,
	    detail, &err) == -1 || store_commit(st, &err) == -1) {
		store_rollback(st);
		goto fail;
	}
	return;
fail:
	log_error("anomaly", "sigfail_store", "msg=\"%s\"", err.msg);
}

int
anomaly_unknown_stale_pass(struct store *st, int64_t now, int *raised,
    struct err *err)
{
	struct order o[100];
	char detail[96];
	int n, i;

	*raised = 0;
	if (store_begin(st, err) == -1)
		return -1;
	if (store_anomaly_unknown_stale(st, now - ANOMALY_UNKNOWN_STALE_SEC, o,
	    100, &n, err) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		snprintf(detail, sizeof(detail), "state=UNKNOWN for more than "
		    "%ds", ANOMALY_UNKNOWN_STALE_SEC);
		if (anomaly_raise(st, now, OAN_UNKNOWN_STALE, OSRC_RECONCILER,
		    &o[i], 0, detail, err) == -1)
			goto fail;
	}
	if (store_commit(st, err) == -1)
		goto fail;
	*raised = n;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

int
anomaly_list(struct store *st, const char *state, int64_t before_id,
    int64_t limit, struct json_object **out, struct err *err)
{
	bool resolved;

	*out = NULL;
	if (state == NULL || strcmp(state, "open") == 0)
		resolved = false;
	else if (strcmp(state, "resolved") == 0)
		resolved = true;
	else
		return err_set(err, E_INPUT, "state: open or resolved");
	if (limit < 1 || limit > 500)
		return err_set(err, E_INPUT, "limit: 1..500");
	return store_anomaly_list(st, resolved, before_id, (int)limit, out,
	    err);
}

int
anomaly_count_open(struct store *st, int64_t *n, struct err *err)
{
	return store_anomaly_count_open(st, n, err);
}

int
anomaly_resolve(struct store *st, int64_t now, int64_t id, const char *by,
    const char *note, struct err *err)
{
	size_t i, n = note ? strlen(note) : 0;

	if (n == 0 || n > ANOMALY_NOTE_MAX)
		return err_set(err, E_INPUT, "note: 1..%d bytes",
		    ANOMALY_NOTE_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)note[i] < 0x20 || note[i] == 0x7f)
			return err_set(err, E_INPUT, "note: no control "
			    "characters");
	if (id <= 0)
		return err_set(err, E_NOTFOUND, "no such anomaly");
	if (store_begin(st, err) == -1)
		return -1;
	if (store_anomaly_resolve(st, id, by, note, now, err) == -1 ||
	    store_commit(st, err) == -1) {
		store_rollback(st);
		return -1;
	}
	return 0;
}
