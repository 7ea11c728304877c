/*
 * sim_store.c - h5pay-sim's schema and its transaction and notification
 * statements; with sim_store_oauth.c the sim's only SQL user (as
 * store*.c are for h5payd), through store_stmt() and src/db/ (db.h). The
 * simulator stays on SQLite: its SQL is not written for a second engine.
 *
 * The schema is embedded here (not sql/: those are h5payd's migrations)
 * and applied with store_migrate_with(). Writes that read first run inside
 * the caller's store_begin() ... store_commit().
 * Invariant: a txn's refunded amount never exceeds its amount (CHECK).
 */
#include <string.h>

#include <json-c/json.h>

#include "sim.h"
#include "store.h"
#include "util.h"

static const struct migration sim_migrations[] = {
	{1, "sim_init",
	"CREATE TABLE txn ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('pay', 'refund')),"
	" merchant_no TEXT NOT NULL,"
	" transaction_id TEXT NOT NULL,"
	" original_id TEXT NOT NULL DEFAULT '',"
	" reference TEXT NOT NULL UNIQUE,"
	" amount INTEGER NOT NULL CHECK (amount > 0),"
	" currency TEXT NOT NULL,"
	" status TEXT NOT NULL,"
	" error_code TEXT NOT NULL DEFAULT '',"
	" error_msg TEXT NOT NULL DEFAULT '',"
	" sign_type TEXT NOT NULL,"
	" notify_url TEXT NOT NULL,"
	" echo TEXT NOT NULL DEFAULT '',"
	" reserved TEXT NOT NULL DEFAULT '',"
	" app_id TEXT NOT NULL DEFAULT '',"
	" subject TEXT NOT NULL DEFAULT '',"
	" openid TEXT NOT NULL DEFAULT '',"
	" sub_appid TEXT NOT NULL DEFAULT '',"
	" prepay_id TEXT,"
	" time_stamp TEXT NOT NULL DEFAULT '',"
	" nonce TEXT NOT NULL DEFAULT '',"
	" refunded INTEGER NOT NULL DEFAULT 0"
	"  CHECK (refunded >= 0 AND refunded <= amount),"
	" created_ms INTEGER NOT NULL,"
	" expires_ms INTEGER NOT NULL DEFAULT 0,"
	" updated_ms INTEGER NOT NULL,"
	" UNIQUE (merchant_no, transaction_id)"
	") STRICT;"
	"CREATE UNIQUE INDEX txn_prepay ON txn (prepay_id)"
	" WHERE prepay_id IS NOT NULL;"
	"CREATE TABLE notification ("
	" id INTEGER PRIMARY KEY,"
	" txn_id INTEGER NOT NULL REFERENCES txn (id),"
	" url TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN"
	"  ('pending', 'delivered', 'failed', 'dropped')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" due_ms INTEGER NOT NULL,"
	" created_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX notification_due ON notification (state, due_ms);"
	"CREATE TABLE notify_attempt ("
	" id INTEGER PRIMARY KEY,"
	" notification_id INTEGER NOT NULL REFERENCES notification (id),"
	" attempt INTEGER NOT NULL,"
	" at_ms INTEGER NOT NULL,"
	" http_status INTEGER NOT NULL,"
	" error TEXT NOT NULL DEFAULT '',"
	" body_excerpt TEXT NOT NULL DEFAULT ''"
	") STRICT;"
	"CREATE TABLE oauth_code ("
	" code TEXT PRIMARY KEY,"
	" openid TEXT NOT NULL,"
	" scope TEXT NOT NULL,"
	" issued_ms INTEGER NOT NULL,"
	" used INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE TABLE oauth_user ("
	" openid TEXT PRIMARY KEY,"
	" snapshot INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE TABLE oauth_exchange ("
	" id INTEGER PRIMARY KEY,"
	" at_ms INTEGER NOT NULL,"
	" errcode INTEGER NOT NULL,"
	" openid TEXT NOT NULL DEFAULT ''"
	") STRICT;"},
};

int
sim_store_migrate(struct store *s, struct err *err)
{
	int applied;

	return store_migrate_with(s, sim_migrations,
	    (int)(sizeof(sim_migrations) / sizeof(sim_migrations[0])),
	    &applied, err);
}

int
sim_txn_insert(struct store *s, struct sim_txn *t, struct err *err)
{
	static const char sql[] = "INSERT INTO txn (kind, merchant_no, "
	    "transaction_id, original_id, reference, amount, currency, status, "
	    "error_code, error_msg, sign_type, notify_url, echo, reserved, "
	    "app_id, subject, openid, sub_appid, prepay_id, time_stamp, nonce, "
	    "created_ms, expires_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, t->kind == SIM_PAY ? "pay" : "refund");
	store_bind_text_or_null(st, 2, t->merchant_no);
	store_bind_text_or_null(st, 3, t->transaction_id);
	store_bind_text_or_null(st, 4, t->original_id);
	store_bind_text_or_null(st, 5, t->reference);
	db_bind_int64(st, 6, t->amount);
	store_bind_text_or_null(st, 7, t->currency);
	store_bind_text_or_null(st, 8, t->status);
	store_bind_text_or_null(st, 9, t->error_code);
	store_bind_text_or_null(st, 10, t->error_msg);
	store_bind_text_or_null(st, 11, t->sign_type);
	store_bind_text_or_null(st, 12, t->notify_url);
	store_bind_text_or_null(st, 13, t->echo);
	store_bind_text_or_null(st, 14, t->reserved);
	store_bind_text_or_null(st, 15, t->app_id);
	store_bind_text_or_null(st, 16, t->subject);
	store_bind_text_or_null(st, 17, t->openid);
	store_bind_text_or_null(st, 18, t->sub_appid);
	if (t->prepay_id[0])
		store_bind_text_or_null(st, 19, t->prepay_id);
	else
		db_bind_null(st, 19);
	store_bind_text_or_null(st, 20, t->time_stamp);
	store_bind_text_or_null(st, 21, t->nonce);
	db_bind_int64(st, 22, t->created_ms);
	db_bind_int64(st, 23, t->expires_ms);
	db_bind_int64(st, 24, t->updated_ms);
	rc = db_step(st);
	if (rc == DB_ROW) {
		t->id = db_col_int64(st, 0);
		db_reset(st);
		return 0;
	}
	db_reset(st);
	if (rc == -1 && db_errclass(store_db(s)) == DB_EUNIQUE)
		return err_set(err, E_CONFLICT, "transactionId %s reused",
		    t->transaction_id);
	return store_fail(s, err, "txn insert");
}

#define TXN_COLS "id, kind, merchant_no, transaction_id, original_id, " \
	"reference, amount, currency, status, error_code, error_msg, " \
	"sign_type, notify_url, echo, reserved, app_id, subject, openid, " \
	"sub_appid, COALESCE(prepay_id, ''), time_stamp, nonce, refunded, " \
	"created_ms, expires_ms, updated_ms"

static void
txn_read(struct db_stmt *st, struct sim_txn *t)
{
	const char *kind;

	memset(t, 0, sizeof(*t));
	t->id = db_col_int64(st, 0);
	kind = db_col_text(st, 1);
	t->kind = kind && strcmp(kind, "refund") == 0 ?
	    SIM_REFUND : SIM_PAY;
	store_col_copy(st, 2, t->merchant_no, sizeof(t->merchant_no));
	store_col_copy(st, 3, t->transaction_id, sizeof(t->transaction_id));
	store_col_copy(st, 4, t->original_id, sizeof(t->original_id));
	store_col_copy(st, 5, t->reference, sizeof(t->reference));
	t->amount = db_col_int64(st, 6);
	store_col_copy(st, 7, t->currency, sizeof(t->currency));
	store_col_copy(st, 8, t->status, sizeof(t->status));
	store_col_copy(st, 9, t->error_code, sizeof(t->error_code));
	store_col_copy(st, 10, t->error_msg, sizeof(t->error_msg));
	store_col_copy(st, 11, t->sign_type, sizeof(t->sign_type));
	store_col_copy(st, 12, t->notify_url, sizeof(t->notify_url));
	store_col_copy(st, 13, t->echo, sizeof(t->echo));
	store_col_copy(st, 14, t->reserved, sizeof(t->reserved));
	store_col_copy(st, 15, t->app_id, sizeof(t->app_id));
	store_col_copy(st, 16, t->subject, sizeof(t->subject));
	store_col_copy(st, 17, t->openid, sizeof(t->openid));
	store_col_copy(st, 18, t->sub_appid, sizeof(t->sub_appid));
	store_col_copy(st, 19, t->prepay_id, sizeof(t->prepay_id));
	store_col_copy(st, 20, t->time_stamp, sizeof(t->time_stamp));
	store_col_copy(st, 21, t->nonce, sizeof(t->nonce));
	t->refunded = db_col_int64(st, 22);
	t->created_ms = db_col_int64(st, 23);
	t->expires_ms = db_col_int64(st, 24);
	t->updated_ms = db_col_int64(st, 25);
}

static int
txn_row(struct db_stmt *st, void *dst, struct err *err)
{
	(void)err;
	txn_read(st, dst);
	return 0;
}

static int
txn_one(struct store *s, struct db_stmt *st, struct sim_txn *t,
    struct err *err)
{
	return store_step_row(s, st, txn_row, t, "transaction", err);
}

int
sim_txn_get(struct store *s, const char *merchant_no, const char *tid,
    struct sim_txn *t, struct err *err)
{
	static const char sql[] = "SELECT " TXN_COLS " FROM txn WHERE "
	    "merchant_no = ? AND transaction_id = ?";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, merchant_no);
	store_bind_text_or_null(st, 2, tid);
	return txn_one(s, st, t, err);
}

int
sim_txn_get_ref(struct store *s, const char *ref, struct sim_txn *t,
    struct err *err)
{
	static const char sql[] = "SELECT " TXN_COLS " FROM txn WHERE "
	    "reference = ?";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, ref);
	return txn_one(s, st, t, err);
}

int
sim_txn_get_prepay(struct store *s, const char *prepay, struct sim_txn *t,
    struct err *err)
{
	static const char sql[] = "SELECT " TXN_COLS " FROM txn WHERE "
	    "prepay_id = ?";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, prepay);
	return txn_one(s, st, t, err);
}

int
sim_txn_get_id(struct store *s, int64_t id, struct sim_txn *t,
    struct err *err)
{
	static const char sql[] = "SELECT " TXN_COLS " FROM txn WHERE id = ?";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	return txn_one(s, st, t, err);
}

int
sim_txn_set_status(struct store *s, int64_t id, const char *from,
    const char *to, const char *code, const char *msg, int64_t now,
    struct err *err)
{
	static const char sql[] = "UPDATE txn SET status = ?, error_code = ?, "
	    "error_msg = ?, updated_ms = ? WHERE id = ? AND "
	    "(?6 IS NULL OR status = ?6)";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, to);
	store_bind_text_or_null(st, 2, code);
	store_bind_text_or_null(st, 3, msg);
	db_bind_int64(st, 4, now);
	db_bind_int64(st, 5, id);
	if (from)
		store_bind_text_or_null(st, 6, from);
	else
		db_bind_null(st, 6);
	if (store_step_done(s, st, E_STORE, "txn status", err) == -1)
		return -1;
	if (db_changes(store_db(s)) != 1)
		return err_set(err, E_CONFLICT, "transaction is not %s",
		    from ? from : "there");
	return 0;
}

int
sim_txn_add_refunded(struct store *s, int64_t id, int64_t delta,
    struct err *err)
{
	static const char sql[] = "UPDATE txn SET refunded = refunded + ? "
	    "WHERE id = ?";
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, delta);
	db_bind_int64(st, 2, id);
	rc = db_step(st);
	db_reset(st);
	if (rc == -1 && db_errclass(store_db(s)) == DB_ECHECK)
		return err_set(err, E_CONFLICT, "refund exceeds the amount");
	if (rc != DB_DONE)
		return store_fail(s, err, "txn refunded");
	return 0;
}

int
sim_txn_set_expires(struct store *s, int64_t id, int64_t ms, struct err *err)
{
	static const char sql[] = "UPDATE txn SET expires_ms = ? WHERE id = ?";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, ms);
	db_bind_int64(st, 2, id);
	return store_step_done(s, st, E_STORE, "txn expires", err);
}

int
sim_txn_due(struct store *s, int64_t now, int64_t refund_delay_ms,
    int64_t *ids, int max, int *n, struct err *err)
{
	static const char sql[] = "SELECT id FROM txn WHERE status = "
	    "'pending' AND ((kind = 'pay' AND expires_ms <= ?1) OR "
	    "(kind = 'refund' AND created_ms + ?2 <= ?1)) ORDER BY id LIMIT ?3";
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc;

	*n = 0;
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, refund_delay_ms);
	db_bind_int64(st, 3, max);
	while ((rc = db_step(st)) == DB_ROW && *n < max)
		ids[(*n)++] = db_col_int64(st, 0);
	db_reset(st);
	if (rc != DB_DONE && rc != DB_ROW)
		return store_fail(s, err, "txn due");
	return 0;
}

static void
jadd_s(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void
jadd_i(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

struct json_object *
sim_txn_list(struct store *s, enum sim_kind kind, struct err *err)
{
	static const char sql[] = "SELECT " TXN_COLS " FROM txn WHERE "
	    "kind = ? ORDER BY id DESC LIMIT 1000";
	struct db_stmt *st = store_stmt(s, sql, err);
	struct json_object *a;
	struct sim_txn t;
	int rc;

	if (st == NULL)
		return NULL;
	store_bind_text_or_null(st, 1, kind == SIM_PAY ? "pay" : "refund");
	a = json_object_new_array();
	while ((rc = db_step(st)) == DB_ROW) {
		struct json_object *o = json_object_new_object();

		txn_read(st, &t);
		jadd_s(o, "transactionId", t.transaction_id);
		if (kind == SIM_REFUND)
			jadd_s(o, "originalTransactionId", t.original_id);
		jadd_s(o, "merchantNo", t.merchant_no);
		jadd_s(o, "reference", t.reference);
		jadd_i(o, "amount", t.amount);
		jadd_s(o, "currency", t.currency);
		jadd_s(o, "resultCode", t.status);
		jadd_s(o, "errorCode", t.error_code);
		jadd_s(o, "errorMsg", t.error_msg);
		jadd_s(o, "signType", t.sign_type);
		jadd_s(o, "notifyUrl", t.notify_url);
		jadd_s(o, "echoParam", t.echo);
		if (kind == SIM_PAY) {
			jadd_s(o, "appId", t.app_id);
			jadd_s(o, "subject", t.subject);
			jadd_s(o, "subOpenid", t.openid);
			jadd_s(o, "subAppid", t.sub_appid);
			jadd_s(o, "prepayId", t.prepay_id);
			jadd_i(o, "refunded", t.refunded);
			jadd_i(o, "expiresMs", t.expires_ms);
		}
		jadd_i(o, "createdMs", t.created_ms);
		jadd_i(o, "updatedMs", t.updated_ms);
		json_object_array_add(a, o);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		json_object_put(a);
		store_fail(s, err, "txn list");
		return NULL;
	}
	return a;
}

int
sim_notif_insert(struct store *s, int64_t txn_id, const char *url,
    const char *body, int64_t due_ms, int64_t now, int64_t *id,
    struct err *err)
{
	static const char sql[] = "INSERT INTO notification (txn_id, url, "
	    "body, state, due_ms, created_ms) VALUES (?, ?, ?, 'pending', ?, "
	    "?) RETURNING id";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, txn_id);
	store_bind_text_or_null(st, 2, url);
	store_bind_text_or_null(st, 3, body);
	db_bind_int64(st, 4, due_ms);
	db_bind_int64(st, 5, now);
	return store_step_id(s, st, E_STORE, "notification insert", id, err);
}

int
sim_notif_due(struct store *s, int64_t now, bool newest_first,
    struct sim_notif *out, int max, int *n, struct err *err)
{
	static const char asc[] = "SELECT id, txn_id, due_ms, attempts, url, "
	    "body FROM notification WHERE state = 'pending' AND due_ms <= ? "
	    "ORDER BY due_ms, id LIMIT ?";
	static const char desc[] = "SELECT id, txn_id, due_ms, attempts, url, "
	    "body FROM notification WHERE state = 'pending' AND due_ms <= ? "
	    "ORDER BY id DESC LIMIT ?";
	struct db_stmt *st = store_stmt(s, newest_first ? desc : asc, err);
	int rc;

	*n = 0;
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, max);
	while ((rc = db_step(st)) == DB_ROW && *n < max) {
		struct sim_notif *x = &out[(*n)++];

		x->id = db_col_int64(st, 0);
		x->txn_id = db_col_int64(st, 1);
		x->due_ms = db_col_int64(st, 2);
		x->attempts = db_col_int(st, 3);
		store_col_copy(st, 4, x->url, sizeof(x->url));
		x->body = xstrdup(store_col_text(st, 5));
	}
	db_reset(st);
	if (rc != DB_DONE && rc != DB_ROW)
		return store_fail(s, err, "notification due");
	return 0;
}

int
sim_notif_attempt(struct store *s, int64_t id, int attempt, int64_t at,
    long status, const char *error, const char *excerpt, const char *state,
    int64_t next_due, struct err *err)
{
	static const char ins[] = "INSERT INTO notify_attempt "
	    "(notification_id, attempt, at_ms, http_status, error, "
	    "body_excerpt) VALUES (?, ?, ?, ?, ?, ?)";
	static const char upd[] = "UPDATE notification SET state = ?, "
	    "attempts = ?, due_ms = ? WHERE id = ?";
	struct db_stmt *st;

	if ((st = store_stmt(s, ins, err)) == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, attempt);
	db_bind_int64(st, 3, at);
	db_bind_int64(st, 4, status);
	store_bind_text_or_null(st, 5, error);
	store_bind_text_or_null(st, 6, excerpt);
	if (store_step_done(s, st, E_STORE, "attempt insert", err) == -1)
		return -1;
	if ((st = store_stmt(s, upd, err)) == NULL)
		return -1;
	store_bind_text_or_null(st, 1, state);
	db_bind_int64(st, 2, attempt);
	db_bind_int64(st, 3, next_due);
	db_bind_int64(st, 4, id);
	return store_step_done(s, st, E_STORE, "notification update", err);
}

struct json_object *
sim_notif_list(struct store *s, struct err *err)
{
	static const char sql[] = "SELECT n.id, t.transaction_id, t.kind, "
	    "n.url, n.body, n.state, n.attempts, n.due_ms, n.created_ms, "
	    "a.attempt, a.at_ms, a.http_status, a.error, a.body_excerpt "
	    "FROM notification n JOIN txn t ON t.id = n.txn_id "
	    "LEFT JOIN notify_attempt a ON a.notification_id = n.id "
	    "ORDER BY n.id, a.id LIMIT 5000";
	struct db_stmt *st = store_stmt(s, sql, err);
	struct json_object *arr, *cur = NULL, *atts = NULL;
	int64_t cur_id = -1;
	int rc;

	if (st == NULL)
		return NULL;
	arr = json_object_new_array();
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t id = db_col_int64(st, 0);
		char buf[1024];

		if (id != cur_id) {
			cur = json_object_new_object();
			jadd_i(cur, "id", id);
			store_col_copy(st, 1, buf, sizeof(buf));
			jadd_s(cur, "transactionId", buf);
			store_col_copy(st, 2, buf, sizeof(buf));
			jadd_s(cur, "transactionType", buf);
			store_col_copy(st, 3, buf, sizeof(buf));
			jadd_s(cur, "url", buf);
			jadd_s(cur, "body", db_col_text(st, 4));
			store_col_copy(st, 5, buf, sizeof(buf));
			jadd_s(cur, "state", buf);
			jadd_i(cur, "attempts", db_col_int64(st, 6));
			jadd_i(cur, "dueMs", db_col_int64(st, 7));
			jadd_i(cur, "createdMs", db_col_int64(st, 8));
			atts = json_object_new_array();
			json_object_object_add(cur, "tries", atts);
			json_object_array_add(arr, cur);
			cur_id = id;
		}
		if (!db_col_is_null(st, 9)) {
			struct json_object *a = json_object_new_object();

			jadd_i(a, "attempt", db_col_int64(st, 9));
			jadd_i(a, "atMs", db_col_int64(st, 10));
			jadd_i(a, "status", db_col_int64(st, 11));
			store_col_copy(st, 12, buf, sizeof(buf));
			jadd_s(a, "error", buf);
			store_col_copy(st, 13, buf, sizeof(buf));
			jadd_s(a, "body", buf);
			json_object_array_add(atts, a);
		}
	}
	db_reset(st);
	if (rc != DB_DONE) {
		json_object_put(arr);
		store_fail(s, err, "notification list");
		return NULL;
	}
	return arr;
}

static int
notif_row(struct db_stmt *st, void *dst, struct err *err)
{
	struct sim_notif *x = dst;

	(void)err;
	x->id = db_col_int64(st, 0);
	x->txn_id = db_col_int64(st, 1);
	x->due_ms = db_col_int64(st, 2);
	x->attempts = db_col_int(st, 3);
	store_col_copy(st, 4, x->url, sizeof(x->url));
	x->body = xstrdup(store_col_text(st, 5));
	return 0;
}

int
sim_notif_get(struct store *s, int64_t id, struct sim_notif *x,
    struct err *err)
{
	static const char sql[] = "SELECT id, txn_id, due_ms, attempts, url, "
	    "body FROM notification WHERE id = ? AND state = 'pending'";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	return store_step_row(s, st, notif_row, x, "notification", err);
}

int
sim_notif_claim(struct store *s, int64_t id, int64_t now, int64_t until,
    struct err *err)
{
	static const char sql[] = "UPDATE notification SET due_ms = ? WHERE "
	    "id = ? AND state = 'pending' AND due_ms <= ?";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, until);
	db_bind_int64(st, 2, id);
	db_bind_int64(st, 3, now);
	if (store_step_done(s, st, E_STORE, "notification claim", err) == -1)
		return -1;
	if (db_changes(store_db(s)) != 1)
		return err_set(err, E_CONFLICT, "notification taken");
	return 0;
}
