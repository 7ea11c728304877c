/*
 * store_notify.c - the SQL of received notifications and anomalies
 * (store_notify.h, sql/003_orders.sql): a notification row (raw body, its
 * hash, what came of it), the first copy of a body hash, an anomaly row.
 * What it does not do: decide anything (notify.c, order.c). Writers expect
 * the caller's store_begin().
 */
#include <string.h>

#include "order_state.h"
#include "store.h"
#include "store_notify.h"

int
store_anomaly_insert(struct store *s, int64_t order_id,
    int64_t notification_id, int64_t refund_id, const char *kind,
    const char *source, const char *detail, int64_t now, struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "INSERT INTO anomalies (order_id, notification_id, "
	    "refund_id, kind, source, detail, created_at) "
	    "VALUES (?,?,?,?,?,?,?)", err);
	if (st == NULL)
		return -1;
	store_bind_id(st, 1, order_id);
	store_bind_id(st, 2, notification_id);
	store_bind_id(st, 3, refund_id);
	db_bind_text(st, 4, kind);
	db_bind_text(st, 5, source);
	db_bind_text(st, 6, detail);
	db_bind_int64(st, 7, now);
	return store_step_done(s, st, E_STORE, "anomaly insert", err);
}

static int
id_row(struct db_stmt *st, void *dst, struct err *err)
{
	(void)err;
	*(int64_t *)dst = db_col_int64(st, 0);
	return 0;
}

static int
id_count_row(struct db_stmt *st, void *dst, struct err *err)
{
	(void)err;
	((int64_t *)dst)[0] = db_col_int64(st, 0);
	((int64_t *)dst)[1] = db_col_int64(st, 1);
	return 0;
}

int
store_notification_find(struct store *s, const char *txn,
    const char *meaning, const char *sha, int64_t *id, struct err *err)
{
	struct db_stmt *st;

	/* the meaning index's key is (transaction_id, meaning_sha256):
	 * sql/013_meaning_locality.sql */
	st = store_stmt(s, "SELECT id FROM notifications WHERE "
	    "transaction_id = ?1 AND meaning_sha256 = ?2 UNION ALL "
	    "SELECT id FROM notifications WHERE body_sha256 = ?3 AND "
	    "duplicate_of IS NULL AND meaning_sha256 IS NULL LIMIT 1", err);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, txn);
	db_bind_text(st, 2, meaning);
	db_bind_text(st, 3, sha);
	return store_step_row(s, st, id_row, id, "notification", err);
}

int
store_notification_redelivered(struct store *s, int64_t id, int64_t now,
    struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "UPDATE notifications SET redeliveries = "
	    "redeliveries + 1, last_received_at = ? WHERE id = ?", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	return store_step_done(s, st, E_STORE, "notification redelivered",
	    err);
}

int
store_notification_count_order(struct store *s, const char *order_no,
    int64_t *order_id, int64_t *n, struct err *err)
{
	struct db_stmt *st;
	int64_t v[2];
	struct err e2;

	*order_id = 0;
	*n = 0;
	st = store_stmt(s, "SELECT o.id, (SELECT count(*) FROM notifications "
	    "WHERE order_id = o.id) FROM orders o WHERE o.order_no = ?", err);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, order_no ? order_no : "");
	if (store_step_row(s, st, id_count_row, v, "order", &e2) == -1) {
		if (e2.code == E_NOTFOUND)
			return 0;
		*err = e2;
		return -1;
	}
	*order_id = v[0];
	*n = v[1];
	return 0;
}

int
store_notification_insert(struct store *s, const struct notification *n,
    const char *outcome, int64_t *id, struct err *err)
{
	struct db_stmt *st;

	static const struct db_sql sql = STORE_INSERT_ID("INSERT INTO "
	    "notifications (received_at, body, body_sha256, verified, "
	    "transaction_type, transaction_id, result_code, outcome, "
	    "duplicate_of, meaning_sha256, order_id) VALUES "
	    "(?,?,?,?,?,?,?,?,?,?,?)");

	st = store_stmt_pick(s, &sql, err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, n->received_at);
	if (n->body)
		db_bind_blob(st, 2, n->body, n->body_len);
	else
		db_bind_null(st, 2);
	db_bind_text_static(st, 3, n->body_sha256);
	db_bind_int64(st, 4, n->verified ? 1 : 0);
	store_bind_text_or_null(st, 5, n->transaction_type);
	store_bind_text_or_null(st, 6, n->transaction_id);
	store_bind_text_or_null(st, 7, n->result_code);
	db_bind_text_static(st, 8, outcome);
	store_bind_id(st, 9, n->duplicate_of);
	store_bind_text_or_null(st, 10, n->meaning_sha256);
	store_bind_id(st, 11, n->order_id);
	return store_step_id(s, st, E_STORE, "notification insert", id, err);
}

int
store_notification_finish(struct store *s, int64_t id, const char *outcome,
    int64_t order_id, int64_t stored_order_id, struct err *err)
{
	struct db_stmt *st;

	/* SQLite rewrites an index entry for every column an UPDATE sets,
	 * changed or not (and checks its foreign key again) */
	st = store_stmt(s, order_id == stored_order_id ?
	    "UPDATE notifications SET outcome = ?1 WHERE id = ?2" :
	    "UPDATE notifications SET outcome = ?1, order_id = ?3 "
	    "WHERE id = ?2", err);
	if (st == NULL)
		return -1;
	db_bind_text_static(st, 1, outcome);
	db_bind_int64(st, 2, id);
	if (order_id != stored_order_id)
		store_bind_id(st, 3, order_id);
	return store_step_done(s, st, E_STORE, "notification finish", err);
}
