/*
 * store_api.c - the SQL of the payments API (sql/010_api.sql): API keys,
 * API payments (joined with their order), refund idempotency records.
 *
 * Invariants: only SHA-256 hashes of API tokens reach the database, and a
 * key is found by its hash (an index lookup, no comparison of secrets in
 * C); every write takes the cross-process write lock (store_begin).
 * What it does not do: decide anything (api.c), change orders (order.c).
 */
#include <string.h>

#include "store.h"
#include "store_api.h"
#include "util.h"

int
store_apikey_insert(struct store *s, const char *name,
    const char *token_sha256, const char *scopes, int64_t now,
    struct err *err)
{
	static const char sql[] = "INSERT INTO api_keys (name, token_sha256, "
	    "scopes, created_at) VALUES (?, ?, ?, ?)";
	struct db_stmt *st;

	if (store_begin(s, err) == -1)
		return -1;
	if ((st = store_stmt(s, sql, err)) == NULL)
		goto fail;
	db_bind_text_static(st, 1, name);
	db_bind_text_static(st, 2, token_sha256);
	db_bind_text_static(st, 3, scopes);
	db_bind_int64(st, 4, now);
	if (store_step_done(s, st, E_CONFLICT, "api key insert", err) == -1)
		goto fail;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

#define KEY_COLS "id, name, scopes, created_at, coalesce(revoked_at, 0), " \
	"coalesce(last_used_at, 0)"

static void
key_row(struct db_stmt *st, int c, struct api_key *k)
{
	memset(k, 0, sizeof(*k));
	k->id = db_col_int64(st, c);
	store_col_copy(st, c + 1, k->name, sizeof(k->name));
	store_col_copy(st, c + 2, k->scopes, sizeof(k->scopes));
	k->created_at = db_col_int64(st, c + 3);
	k->revoked_at = db_col_int64(st, c + 4);
	k->last_used_at = db_col_int64(st, c + 5);
}

int
store_apikey_each(struct store *s, api_key_each_fn fn, void *ctx,
    struct err *err)
{
	static const char sql[] = "SELECT " KEY_COLS " FROM api_keys "
	    "ORDER BY id";
	struct api_key k;
	struct db_stmt *st;
	int rc;

	if ((st = store_stmt(s, sql, err)) == NULL)
		return -1;
	while ((rc = db_step(st)) == DB_ROW) {
		key_row(st, 0, &k);
		if (fn(ctx, &k) == -1) {
			db_reset(st);
			return err_set(err, E_INTERNAL, "api key list: "
			    "stopped");
		}
	}
	if (rc != DB_DONE)
		return store_stmt_fail(s, st, err, "api key list");
	db_reset(st);
	return 0;
}

int
store_apikey_revoke(struct store *s, const char *name, int64_t now,
    struct err *err)
{
	static const char sql[] = "UPDATE api_keys SET revoked_at = ? "
	    "WHERE name = ? AND revoked_at IS NULL";
	struct db_stmt *st;

	if (store_begin(s, err) == -1)
		return -1;
	if ((st = store_stmt(s, sql, err)) == NULL)
		goto fail;
	db_bind_int64(st, 1, now);
	db_bind_text_static(st, 2, name);
	if (store_step_done(s, st, E_STORE, "api key revoke", err) == -1)
		goto fail;
	if (db_changes(store_db(s)) == 0) {
		store_rollback(s);
		return err_set(err, E_NOTFOUND, "no active key %s", name);
	}
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

int
store_apikey_use(struct store *s, const char *token_sha256, int64_t now,
    int64_t window_sec, int64_t limit, struct api_key *k, bool *limited,
    struct err *err)
{
	static const char sel[] = "SELECT " KEY_COLS " FROM api_keys "
	    "WHERE token_sha256 = ?";
	/* one statement under the write lock: the window restarts when it
	 * is over (or the clock went back), else counts this request */
	static const char upd[] = "UPDATE api_keys SET "
	    "win_count = CASE WHEN ?1 - win_start >= ?2 OR ?1 < win_start "
	    "THEN 1 ELSE win_count + 1 END, "
	    "win_start = CASE WHEN ?1 - win_start >= ?2 OR ?1 < win_start "
	    "THEN ?1 ELSE win_start END, "
	    "last_used_at = CASE WHEN coalesce(last_used_at, 0) <= ?1 - 60 "
	    "THEN ?1 ELSE last_used_at END "
	    "WHERE id = ?3 AND revoked_at IS NULL "
	    "RETURNING win_count, last_used_at";
	struct db_stmt *st;
	int rc;

	*limited = false;
	/* an unknown or revoked key is answered from a read: no write lock
	 * for requests that do not authenticate */
	if ((st = store_stmt(s, sel, err)) == NULL)
		return -1;
	db_bind_text_static(st, 1, token_sha256);
	rc = db_step(st);
	if (rc == DB_DONE) {
		db_reset(st);
		return err_set(err, E_NOTFOUND, "unknown api key");
	}
	if (rc != DB_ROW)
		return store_stmt_fail(s, st, err, "api key select");
	key_row(st, 0, k);
	db_reset(st);
	if (k->revoked_at != 0)
		return 0;
	if (store_begin(s, err) == -1)
		return -1;
	if ((st = store_stmt(s, upd, err)) == NULL)
		goto fail;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, window_sec);
	db_bind_int64(st, 3, k->id);
	rc = db_step(st);
	if (rc == DB_DONE) {		/* revoked meanwhile */
		db_reset(st);
		store_rollback(s);
		k->revoked_at = now;
		return 0;
	}
	if (rc != DB_ROW) {
		store_stmt_fail(s, st, err, "api key use");
		goto fail;
	}
	*limited = db_col_int64(st, 0) > limit;
	k->last_used_at = db_col_int64(st, 1);
	/* step to the end so the statement completes */
	while ((rc = db_step(st)) == DB_ROW)
		;
	db_reset(st);
	if (rc != DB_DONE) {
		store_fail(s, err, "api key use");
		goto fail;
	}
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

#define PAY_COLS "p.id, p.payment_id, p.key_id, p.reference, " \
	"coalesce(p.idempotency_key, ''), p.body_sha256, p.amount, " \
	"p.currency, p.subject, p.return_url, p.metadata, p.expires_at, " \
	"coalesce(p.cancelled_at, 0), p.created_at, coalesce(p.order_id, 0), " \
	"coalesce(o.order_no, ''), coalesce(o.state, ''), " \
	"coalesce(o.openid, ''), coalesce(o.refunded_amount, 0), " \
	"coalesce(o.paid_at, 0) FROM api_payments p " \
	"LEFT JOIN orders o ON o.id = p.order_id "

static int
pay_row(struct db_stmt *st, void *dst, struct err *err)
{
	struct api_payment *p = dst;

	(void)err;
	memset(p, 0, sizeof(*p));
	p->id = db_col_int64(st, 0);
	store_col_copy(st, 1, p->payment_id, sizeof(p->payment_id));
	p->key_id = db_col_int64(st, 2);
	store_col_copy(st, 3, p->reference, sizeof(p->reference));
	store_col_copy(st, 4, p->idempotency_key, sizeof(p->idempotency_key));
	store_col_copy(st, 5, p->body_sha256, sizeof(p->body_sha256));
	p->amount = db_col_int64(st, 6);
	store_col_copy(st, 7, p->currency, sizeof(p->currency));
	store_col_copy(st, 8, p->subject, sizeof(p->subject));
	store_col_copy(st, 9, p->return_url, sizeof(p->return_url));
	store_col_copy(st, 10, p->metadata, sizeof(p->metadata));
	p->expires_at = db_col_int64(st, 11);
	p->cancelled_at = db_col_int64(st, 12);
	p->created_at = db_col_int64(st, 13);
	p->order_id = db_col_int64(st, 14);
	store_col_copy(st, 15, p->order_no, sizeof(p->order_no));
	store_col_copy(st, 16, p->order_state, sizeof(p->order_state));
	store_col_copy(st, 17, p->openid, sizeof(p->openid));
	p->refunded_amount = db_col_int64(st, 18);
	p->paid_at = db_col_int64(st, 19);
	return 0;
}

static int
pay_by(struct store *s, const char *sql, const char *v,
    struct api_payment *p, struct err *err)
{
	struct db_stmt *st;

	if ((st = store_stmt(s, sql, err)) == NULL)
		return -1;
	db_bind_text_static(st, 1, v);
	return store_step_row(s, st, pay_row, p, "api payment", err);
}

int
store_api_payment_get(struct store *s, const char *payment_id,
    struct api_payment *p, struct err *err)
{
	static const char sql[] = "SELECT " PAY_COLS "WHERE p.payment_id = ?";

	return pay_by(s, sql, payment_id, p, err);
}

int
store_api_payment_by_reference(struct store *s, const char *reference,
    struct api_payment *p, struct err *err)
{
	static const char sql[] = "SELECT " PAY_COLS "WHERE p.reference = ?";

	return pay_by(s, sql, reference, p, err);
}

int
store_api_payment_by_idem(struct store *s, const char *key,
    struct api_payment *p, struct err *err)
{
	static const char sql[] = "SELECT " PAY_COLS
	    "WHERE p.idempotency_key = ?";

	return pay_by(s, sql, key, p, err);
}

int
store_api_payment_insert(struct store *s, const struct api_payment *p,
    struct err *err)
{
	static const char sql[] = "INSERT INTO api_payments (payment_id, "
	    "key_id, reference, idempotency_key, body_sha256, amount, "
	    "currency, subject, return_url, metadata, expires_at, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct db_stmt *st;

	if ((st = store_stmt(s, sql, err)) == NULL)
		return -1;
	db_bind_text_static(st, 1, p->payment_id);
	db_bind_int64(st, 2, p->key_id);
	db_bind_text_static(st, 3, p->reference);
	store_bind_text_or_null(st, 4, p->idempotency_key[0] ?
	    p->idempotency_key : NULL);
	db_bind_text_static(st, 5, p->body_sha256);
	db_bind_int64(st, 6, p->amount);
	db_bind_text_static(st, 7, p->currency);
	db_bind_text_static(st, 8, p->subject);
	db_bind_text_static(st, 9, p->return_url);
	db_bind_text_static(st, 10, p->metadata);
	db_bind_int64(st, 11, p->expires_at);
	db_bind_int64(st, 12, p->created_at);
	return store_step_done(s, st, E_CONFLICT, "api payment insert", err);
}

int
store_api_payment_bind(struct store *s, int64_t id, int64_t order_id,
    struct err *err)
{
	static const char sql[] = "UPDATE api_payments SET order_id = ? "
	    "WHERE id = ? AND order_id IS NULL";
	struct db_stmt *st;

	if ((st = store_stmt(s, sql, err)) == NULL)
		return -1;
	db_bind_int64(st, 1, order_id);
	db_bind_int64(st, 2, id);
	if (store_step_done(s, st, E_CONFLICT, "api payment bind", err) == -1)
		return -1;
	if (db_changes(store_db(s)) != 1)
		return err_set(err, E_CONFLICT, "api payment has an order");
	return 0;
}

int
store_api_payment_cancel(struct store *s, int64_t id, int64_t now,
    struct err *err)
{
	static const char sql[] = "UPDATE api_payments SET cancelled_at = ? "
	    "WHERE id = ? AND cancelled_at IS NULL";
	struct db_stmt *st;

	if ((st = store_stmt(s, sql, err)) == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	return store_step_done(s, st, E_STORE, "api payment cancel", err);
}

static int
refund_row(struct db_stmt *st, void *dst, struct err *err)
{
	struct api_refund *r = dst;

	(void)err;
	memset(r, 0, sizeof(*r));
	store_col_copy(st, 0, r->body_sha256, sizeof(r->body_sha256));
	store_col_copy(st, 1, r->refund_no, sizeof(r->refund_no));
	store_col_copy(st, 2, r->error, sizeof(r->error));
	return 0;
}

int
store_api_refund_get(struct store *s, int64_t payment_rowid,
    const char *key, struct api_refund *r, struct err *err)
{
	static const char sql[] = "SELECT body_sha256, "
	    "coalesce(refund_no, ''), coalesce(error, '') FROM api_refunds "
	    "WHERE payment_id = ? AND idempotency_key = ?";
	struct db_stmt *st;

	if ((st = store_stmt(s, sql, err)) == NULL)
		return -1;
	db_bind_int64(st, 1, payment_rowid);
	db_bind_text_static(st, 2, key);
	return store_step_row(s, st, refund_row, r, "api refund", err);
}

int
store_api_refund_reserve(struct store *s, int64_t payment_rowid,
    const char *key, const char *body_sha256, int64_t now, struct err *err)
{
	static const char sql[] = "INSERT INTO api_refunds (payment_id, "
	    "idempotency_key, body_sha256, created_at) VALUES (?, ?, ?, ?)";
	struct db_stmt *st;

	if ((st = store_stmt(s, sql, err)) == NULL)
		return -1;
	db_bind_int64(st, 1, payment_rowid);
	db_bind_text_static(st, 2, key);
	db_bind_text_static(st, 3, body_sha256);
	db_bind_int64(st, 4, now);
	return store_step_done(s, st, E_CONFLICT, "api refund reserve", err);
}

int
store_api_refund_finish(struct store *s, int64_t payment_rowid,
    const char *key, const char *refund_no, const char *error,
    struct err *err)
{
	static const char upd[] = "UPDATE api_refunds SET refund_no = ?, "
	    "error = ? WHERE payment_id = ? AND idempotency_key = ?";
	static const char del[] = "DELETE FROM api_refunds "
	    "WHERE payment_id = ? AND idempotency_key = ?";
	struct db_stmt *st;
	bool drop = refund_no == NULL && error == NULL;

	if (store_begin(s, err) == -1)
		return -1;
	if ((st = store_stmt(s, drop ? del : upd, err)) == NULL)
		goto fail;
	if (!drop) {
		store_bind_text_or_null(st, 1, refund_no);
		store_bind_text_or_null(st, 2, error);
	}
	db_bind_int64(st, drop ? 1 : 3, payment_rowid);
	db_bind_text_static(st, drop ? 2 : 4, key);
	if (store_step_done(s, st, E_STORE, "api refund finish", err) == -1)
		goto fail;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}
