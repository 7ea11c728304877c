/*
 * store_anomaly.c - the SQL of the anomaly inbox (store_anomaly.h): list,
 * count, resolve. What it does not do: decide what is an anomaly
 * (order.c) or who may resolve one (anomaly.c, the admin guard).
 */
#include <string.h>

#include <json-c/json.h>

#include "order_state.h"
#include "store.h"
#include "store_anomaly.h"

int
store_anomaly_list(struct store *s, bool resolved, int64_t before_id,
    int limit, struct json_object **out, struct err *err)
{
	static const char sql_open[] = "SELECT a.id, a.kind, a.source, "
	    "o.order_no, a.detail, a.created_at, a.resolved_at, "
	    "a.resolved_by, a.resolution_note FROM anomalies a LEFT JOIN "
	    "orders o ON o.id = a.order_id WHERE a.resolved_at IS NULL AND "
	    "a.id < ?1 ORDER BY a.id DESC LIMIT ?2";
	static const char sql_done[] = "SELECT a.id, a.kind, a.source, "
	    "o.order_no, a.detail, a.created_at, a.resolved_at, "
	    "a.resolved_by, a.resolution_note FROM anomalies a LEFT JOIN "
	    "orders o ON o.id = a.order_id WHERE a.resolved_at IS NOT NULL "
	    "AND a.id < ?1 ORDER BY a.id DESC LIMIT ?2";
	static const char *const keys[] = {"id", "kind", "source", "orderNo",
	    "detail", "createdAt", "resolvedAt", "resolvedBy", "note"};
	struct json_object *arr, *o, *v;
	struct db_stmt *st;
	int rc, i;

	*out = NULL;
	if ((st = store_stmt(s, resolved ? sql_done : sql_open, err)) == NULL)
		return -1;
	db_bind_int64(st, 1, before_id > 0 ? before_id : INT64_MAX);
	db_bind_int64(st, 2, limit < 1 ? 1 : limit > 500 ? 500 : limit);
	arr = json_object_new_array();
	while ((rc = db_step(st)) == DB_ROW) {
		o = json_object_new_object();
		for (i = 0; i < 9; i++) {
			v = NULL;
			if (db_col_type(st, i) == DB_TINT)
				v = json_object_new_int64(
				    db_col_int64(st, i));
			else if (!db_col_is_null(st, i))
				v = json_object_new_string(
				    store_col_text(st, i));
			json_object_object_add(o, keys[i], v);
		}
		json_object_array_add(arr, o);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		json_object_put(arr);
		return store_fail(s, err, "anomaly list");
	}
	*out = arr;
	return 0;
}

static int
count_row(struct db_stmt *st, void *dst, struct err *err)
{
	(void)err;
	*(int64_t *)dst = db_col_int64(st, 0);
	return 0;
}

int
store_anomaly_count_open(struct store *s, int64_t *n, struct err *err)
{
	struct db_stmt *st = store_stmt(s, "SELECT COUNT(*) FROM anomalies "
	    "WHERE resolved_at IS NULL", err);

	if (st == NULL)
		return -1;
	return store_step_row(s, st, count_row, n, "anomaly count", err);
}

int
store_anomaly_resolve(struct store *s, int64_t id, const char *by,
    const char *note, int64_t now, struct err *err)
{
	struct db_stmt *st;
	int64_t open = 0;

	st = store_stmt(s, "SELECT resolved_at IS NULL FROM anomalies WHERE "
	    "id = ?1", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	if (store_step_row(s, st, count_row, &open, "anomaly", err) == -1)
		return -1;
	if (!open)
		return err_set(err, E_CONFLICT, "anomaly already resolved");
	st = store_stmt(s, "UPDATE anomalies SET resolved_at = ?2, "
	    "resolved_by = ?3, resolution_note = ?4 WHERE id = ?1 AND "
	    "resolved_at IS NULL", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, now);
	db_bind_text(st, 3, by);
	store_bind_text_or_empty(st, 4, note);
	return store_step_done(s, st, E_STORE, "anomaly resolve", err);
}

int
store_anomaly_unknown_stale(struct store *s, int64_t before,
    struct order *out, int max, int *n, struct err *err)
{
	struct db_stmt *st;
	int rc = DB_DONE;

	*n = 0;
	st = store_stmt(s, "SELECT o.id, o.order_no FROM orders o WHERE "
	    "o.state = 'UNKNOWN' AND o.created_at < ?1 AND NOT EXISTS "
	    "(SELECT 1 FROM anomalies a WHERE a.order_id = o.id AND "
	    "a.kind = 'unknown_stale') ORDER BY o.created_at, o.id LIMIT ?2",
	    err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, before);
	db_bind_int64(st, 2, max);
	while (*n < max && (rc = db_step(st)) == DB_ROW) {
		memset(&out[*n], 0, sizeof(out[*n]));
		out[*n].id = db_col_int64(st, 0);
		store_col_copy(st, 1, out[*n].order_no,
		    sizeof(out[*n].order_no));
		out[*n].state = ORDER_UNKNOWN;
		(*n)++;
	}
	db_reset(st);
	if (*n < max && rc != DB_DONE)
		return store_fail(s, err, "unknown stale");
	return 0;
}
