/*
 * store_outbox.c - the SQL of merchant events (store_outbox.h,
 * sql/009_outbox.sql): outbox rows, claims with a lease, attempts, the log,
 * resend. What it does not do: build payloads or send (outbox.c,
 * outbox_send.c). Writers expect the caller's store_begin().
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "store.h"
#include "store_outbox.h"
#include "util.h"

int
store_outbox_insert(struct store *s, const struct outbox_new *n,
    struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "INSERT INTO outbox (event_id, type, order_id, "
	    "refund_id, body, next_at, created_at) VALUES (?,?,?,?,?,?,?)",
	    err);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, n->event_id);
	db_bind_text(st, 2, n->type);
	store_bind_id(st, 3, n->order_id);
	store_bind_id(st, 4, n->refund_id);
	db_bind_text(st, 5, n->body);
	db_bind_int64(st, 6, n->created_at);
	db_bind_int64(st, 7, n->created_at);
	return store_step_done(s, st, E_STORE, "outbox insert", err);
}

int
store_outbox_claim(struct store *s, int64_t now, int64_t lease_until,
    int64_t owner, struct outbox_claim *out, int max, int *n,
    struct err *err)
{
	struct db_stmt *st, *up;
	int rc = DB_DONE, i;

	*n = 0;
	st = store_stmt(s, "SELECT id, event_id, attempts, created_at, body "
	    "FROM outbox WHERE state IN ('pending', 'sending') AND "
	    "next_at <= ?1 AND lease_until <= ?1 ORDER BY next_at, id "
	    "LIMIT ?2", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, max);
	while (*n < max && (rc = db_step(st)) == DB_ROW) {
		struct outbox_claim *c = &out[*n];

		c->id = db_col_int64(st, 0);
		store_col_copy(st, 1, c->event_id, sizeof(c->event_id));
		c->attempts = db_col_int64(st, 2);
		c->created_at = db_col_int64(st, 3);
		c->body = xstrdup(store_col_text(st, 4));
		(*n)++;
	}
	db_reset(st);
	if (*n < max && rc != DB_DONE)
		goto fail_db;
	up = store_stmt(s, "UPDATE outbox SET state = 'sending', "
	    "lease_until = ?1, lease_owner = ?3 WHERE id = ?2", err);
	if (up == NULL)
		goto fail;
	for (i = 0; i < *n; i++) {
		db_bind_int64(up, 1, lease_until);
		db_bind_int64(up, 2, out[i].id);
		db_bind_int64(up, 3, owner);
		if (store_step_done(s, up, E_STORE, "outbox claim", err) == -1)
			goto fail;
	}
	return 0;
fail_db:
	store_fail(s, err, "outbox claim");
fail:
	for (i = 0; i < *n; i++)
		free(out[i].body);
	*n = 0;
	return -1;
}

int
store_outbox_release_dead(struct store *s, int (*alive)(int64_t pid),
    int64_t now, int *released, struct err *err)
{
	int64_t owners[64];
	struct db_stmt *st;
	int rc, n = 0, i;

	*released = 0;
	st = store_stmt(s, "SELECT DISTINCT lease_owner FROM outbox WHERE "
	    "state IN ('pending', 'sending') AND lease_until > ?1 AND "
	    "lease_owner IS NOT NULL LIMIT 64", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	while ((rc = db_step(st)) == DB_ROW && n < 64)
		owners[n++] = db_col_int64(st, 0);
	db_reset(st);
	if (rc != DB_DONE && rc != DB_ROW)
		return store_fail(s, err, "outbox owners");
	st = store_stmt(s, "UPDATE outbox SET lease_until = 0, next_at = "
	    "CASE WHEN next_at < ?2 THEN next_at ELSE ?2 END, "
	    "lease_owner = NULL WHERE state IN ('pending', 'sending') AND "
	    "lease_owner = ?1 AND lease_until > 0", err);
	if (st == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (alive(owners[i]))
			continue;
		db_bind_int64(st, 1, owners[i]);
		db_bind_int64(st, 2, now);
		if (store_step_done(s, st, E_STORE, "outbox release", err) ==
		    -1)
			return -1;
		*released += db_changes(store_db(s));
	}
	return 0;
}

int
store_outbox_attempt_insert(struct store *s, int64_t id, const char *url,
    long status, int64_t latency_ms, const char *excerpt, const char *error,
    int64_t now, struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "INSERT INTO outbox_attempts (outbox_id, url, "
	    "status, latency_ms, excerpt, error, created_at) "
	    "VALUES (?, substr(?, 1, 1024), ?, ?, ?, ?, ?)", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, url);
	db_bind_int64(st, 3, status);
	db_bind_int64(st, 4, latency_ms < 0 ? 0 : latency_ms);
	store_bind_text_or_empty(st, 5, excerpt);
	store_bind_text_or_null(st, 6, error);
	db_bind_int64(st, 7, now);
	return store_step_done(s, st, E_STORE, "outbox attempt", err);
}

int
store_outbox_finish(struct store *s, int64_t id, const char *state,
    int64_t next_at, long status, int64_t now, struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "UPDATE outbox SET attempts = attempts + 1, "
	    "last_status = ?3, "
	    "state = CASE WHEN state = 'sending' THEN ?2 ELSE state END, "
	    "next_at = CASE WHEN state = 'sending' THEN ?4 ELSE next_at END, "
	    "delivered_at = CASE WHEN state = 'sending' AND "
	    "?2 = 'delivered' THEN ?5 ELSE delivered_at END, "
	    "lease_until = 0, lease_owner = NULL WHERE id = ?1", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_text_static(st, 2, state);
	db_bind_int64(st, 3, status);
	db_bind_int64(st, 4, next_at);
	db_bind_int64(st, 5, now);
	return store_step_done(s, st, E_STORE, "outbox finish", err);
}

int
store_outbox_resend(struct store *s, const char *event_id, int64_t now,
    struct err *err)
{
	struct db_stmt *st;

	/* a row in flight keeps its lease: the sender's finish sees it is
	 * no longer 'sending', keeps it pending and drops the lease */
	st = store_stmt(s, "UPDATE outbox SET next_at = ?2, state = 'pending' "
	    "WHERE event_id = ?1", err);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, event_id);
	db_bind_int64(st, 2, now);
	if (store_step_done(s, st, E_STORE, "outbox resend", err) == -1)
		return -1;
	if (db_changes(store_db(s)) == 0)
		return err_set(err, E_NOTFOUND, "no such event");
	return 0;
}

/* Every row of st as a JSON object keyed by column name, into arr. */
static int
rows_json(struct store *s, struct db_stmt *st, struct json_object *arr,
    const char *what, struct err *err)
{
	int rc, i, n = db_col_count(st);

	while ((rc = db_step(st)) == DB_ROW) {
		struct json_object *o = json_object_new_object();

		for (i = 0; i < n; i++) {
			struct json_object *v = NULL;

			if (db_col_type(st, i) == DB_TINT)
				v = json_object_new_int64(
				    db_col_int64(st, i));
			else if (!db_col_is_null(st, i))
				v = json_object_new_string(
				    store_col_text(st, i));
			json_object_object_add(o, db_col_name(st, i),
			    v);
		}
		json_object_array_add(arr, o);
	}
	db_reset(st);
	if (rc != DB_DONE)
		return store_fail(s, err, what);
	return 0;
}

int
store_outbox_list(struct store *s, const char *state, int limit,
    struct json_object **out, struct err *err)
{
	/* "quoted" aliases: the JSON keys; PostgreSQL folds bare ones */
	static const char sql[] = "SELECT x.id AS id, x.event_id AS "
	    "\"eventId\", x.type AS type, o.order_no AS \"orderNo\", "
	    "x.state AS state, x.attempts AS attempts, x.next_at AS "
	    "\"nextAt\", x.last_status AS \"lastStatus\", x.delivered_at AS "
	    "\"deliveredAt\", x.created_at AS \"createdAt\", x.body AS body "
	    "FROM outbox x LEFT JOIN orders o ON o.id = x.order_id "
	    "WHERE CAST(?1 AS TEXT) IS NULL OR x.state = ?1 "
	    "ORDER BY x.id DESC LIMIT ?2";
	static const char sql_att[] = "SELECT url, status, latency_ms AS "
	    "\"latencyMs\", excerpt, error, created_at AS at FROM (SELECT * "
	    "FROM outbox_attempts WHERE outbox_id = ?1 ORDER BY id DESC "
	    "LIMIT 20) AS a ORDER BY id";
	struct json_object *arr = json_object_new_array(), *ev, *id, *att;
	struct db_stmt *st;
	size_t i;

	*out = NULL;
	if ((st = store_stmt(s, sql, err)) == NULL)
		goto fail;
	store_bind_text_or_null(st, 1, state);
	db_bind_int64(st, 2, limit < 1 ? 1 : limit > 500 ? 500 : limit);
	if (rows_json(s, st, arr, "outbox list", err) == -1)
		goto fail;
	for (i = 0; i < json_object_array_length(arr); i++) {
		ev = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(ev, "id", &id))
			continue;
		if ((st = store_stmt(s, sql_att, err)) == NULL)
			goto fail;
		db_bind_int64(st, 1, json_object_get_int64(id));
		att = json_object_new_array();
		json_object_object_add(ev, "attemptsLog", att);
		if (rows_json(s, st, att, "outbox attempts", err) == -1)
			goto fail;
		json_object_object_del(ev, "id");
	}
	*out = arr;
	return 0;
fail:
	json_object_put(arr);
	return -1;
}
