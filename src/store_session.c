/*
 * store_session.c - the SQL of WeChat web authorization and buyer sessions
 * (sql/002_sessions.sql): OAuth states, the code -> openid cache, sessions.
 *
 * What it does not do: decide anything. Validity rules (TTLs, cookie
 * binding, restart markers) live in oauth.c and session.c; this file only
 * reads and writes rows. Invariants: only hashes of states, codes, browser
 * binders and session tokens reach the database; every write takes the
 * cross-process write lock (store_begin) so writers queue fairly.
 */
#include <string.h>

#include "store.h"
#include "store_session.h"
#include "util.h"

int
store_oauth_state_insert(struct store *s, const char *state_hash,
    const char *browser_hash, const char *ret, int restarts, int64_t now,
    int64_t expires_at, struct err *err)
{
	static const char sql[] = "INSERT INTO oauth_state (state_hash, "
	    "browser_hash, ret, restarts, created_at, expires_at) "
	    "VALUES (?, ?, ?, ?, ?, ?)";
	struct db_stmt *st;

	if (store_begin(s, err) == -1)
		return -1;
	if ((st = store_stmt(s, sql, err)) == NULL)
		goto fail;
	db_bind_text_static(st, 1, state_hash);
	db_bind_text_static(st, 2, browser_hash);
	db_bind_text_static(st, 3, ret);
	db_bind_int64(st, 4, restarts);
	db_bind_int64(st, 5, now);
	db_bind_int64(st, 6, expires_at);
	if (store_step_done(s, st, E_STORE, "state insert", err) == -1)
		goto fail;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

int
store_oauth_state_take(struct store *s, const char *state_hash, int64_t now,
    struct store_oauth_state *out, bool *taken, struct err *err)
{
	static const char sel[] = "SELECT browser_hash, ret, restarts, "
	    "expires_at, used_at IS NOT NULL FROM oauth_state "
	    "WHERE state_hash = ?";
	static const char upd[] = "UPDATE oauth_state SET used_at = ? "
	    "WHERE state_hash = ? AND used_at IS NULL";
	struct db_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	*taken = false;
	if (store_begin(s, err) == -1)
		return -1;
	if ((st = store_stmt(s, sel, err)) == NULL)
		goto fail;
	db_bind_text_static(st, 1, state_hash);
	rc = db_step(st);
	if (rc == DB_DONE) {
		db_reset(st);
		store_rollback(s);
		return err_set(err, E_NOTFOUND, "unknown state");
	}
	if (rc != DB_ROW) {
		store_stmt_fail(s, st, err, "state select");
		goto fail;
	}
	store_col_copy(st, 0, out->browser_hash, sizeof(out->browser_hash));
	store_col_copy(st, 1, out->ret, sizeof(out->ret));
	out->restarts = db_col_int(st, 2);
	out->expires_at = db_col_int64(st, 3);
	out->was_used = db_col_int(st, 4) != 0;
	db_reset(st);
	if (out->was_used || out->expires_at <= now) {
		store_rollback(s);
		return 0;
	}
	if ((st = store_stmt(s, upd, err)) == NULL)
		goto fail;
	db_bind_int64(st, 1, now);
	db_bind_text_static(st, 2, state_hash);
	if (store_step_done(s, st, E_STORE, "state take", err) == -1)
		goto fail;
	if (db_changes(store_db(s)) != 1) {
		err_set(err, E_INTERNAL, "state take: no row changed");
		goto fail;
	}
	if (store_commit(s, err) == -1)
		return -1;
	*taken = true;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int
store_oauth_code_put(struct store *s, const char *code_hash,
    const struct store_oauth_code *c, int64_t now, int64_t expires_at,
    struct err *err)
{
	/* DO NOTHING: two workers racing on one code keep the first answer */
	static const char sql[] = "INSERT INTO oauth_code "
	    "(code_hash, state_hash, browser_hash, appid, openid, ret, "
	    "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT DO NOTHING";
	struct db_stmt *st;

	if (store_begin(s, err) == -1)
		return -1;
	if ((st = store_stmt(s, sql, err)) == NULL)
		goto fail;
	db_bind_text_static(st, 1, code_hash);
	db_bind_text_static(st, 2, c->state_hash);
	if (c->browser_hash[0])
		db_bind_text_static(st, 3, c->browser_hash);
	else
		db_bind_null(st, 3);
	db_bind_text_static(st, 4, c->appid);
	db_bind_text_static(st, 5, c->openid);
	db_bind_text_static(st, 6, c->ret);
	db_bind_int64(st, 7, now);
	db_bind_int64(st, 8, expires_at);
	if (store_step_done(s, st, E_STORE, "code put", err) == -1)
		goto fail;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

static int
code_row(struct db_stmt *st, void *dst, struct err *err)
{
	struct store_oauth_code *out = dst;

	(void)err;
	store_col_copy(st, 0, out->state_hash, sizeof(out->state_hash));
	store_col_copy(st, 1, out->browser_hash, sizeof(out->browser_hash));
	store_col_copy(st, 2, out->appid, sizeof(out->appid));
	store_col_copy(st, 3, out->openid, sizeof(out->openid));
	store_col_copy(st, 4, out->ret, sizeof(out->ret));
	return 0;
}

int
store_oauth_code_get(struct store *s, const char *code_hash, int64_t now,
    struct store_oauth_code *out, struct err *err)
{
	static const char sql[] = "SELECT state_hash, browser_hash, appid, "
	    "openid, ret FROM oauth_code WHERE code_hash = ? AND "
	    "expires_at > ?";
	struct db_stmt *st;

	memset(out, 0, sizeof(*out));
	if ((st = store_stmt(s, sql, err)) == NULL)
		return -1;
	db_bind_text_static(st, 1, code_hash);
	db_bind_int64(st, 2, now);
	return store_step_row(s, st, code_row, out, "cached code", err);
}

int
store_session_insert(struct store *s, const char *token_hash,
    const char *appid, const char *openid, int64_t now, int64_t expires_at,
    struct err *err)
{
	static const char sql[] = "INSERT INTO buyer_session (token_hash, "
	    "appid, openid, created_at, expires_at) VALUES (?, ?, ?, ?, ?)";
	struct db_stmt *st;

	if (store_begin(s, err) == -1)
		return -1;
	if ((st = store_stmt(s, sql, err)) == NULL)
		goto fail;
	db_bind_text_static(st, 1, token_hash);
	db_bind_text_static(st, 2, appid);
	db_bind_text_static(st, 3, openid);
	db_bind_int64(st, 4, now);
	db_bind_int64(st, 5, expires_at);
	if (store_step_done(s, st, E_STORE, "session insert", err) == -1)
		goto fail;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

static int
session_row(struct db_stmt *st, void *dst, struct err *err)
{
	struct store_session *out = dst;

	(void)err;
	store_col_copy(st, 0, out->appid, sizeof(out->appid));
	store_col_copy(st, 1, out->openid, sizeof(out->openid));
	out->created_at = db_col_int64(st, 2);
	out->expires_at = db_col_int64(st, 3);
	return 0;
}

int
store_session_get(struct store *s, const char *token_hash, int64_t now,
    struct store_session *out, struct err *err)
{
	static const char sql[] = "SELECT appid, openid, created_at, "
	    "expires_at FROM buyer_session WHERE token_hash = ? AND "
	    "expires_at > ?";
	struct db_stmt *st;

	memset(out, 0, sizeof(*out));
	if ((st = store_stmt(s, sql, err)) == NULL)
		return -1;
	db_bind_text_static(st, 1, token_hash);
	db_bind_int64(st, 2, now);
	return store_step_row(s, st, session_row, out, "session", err);
}

int
store_session_delete(struct store *s, const char *token_hash,
    struct err *err)
{
	static const char sql[] = "DELETE FROM buyer_session "
	    "WHERE token_hash = ?";
	struct db_stmt *st;

	if (store_begin(s, err) == -1)
		return -1;
	if ((st = store_stmt(s, sql, err)) == NULL)
		goto fail;
	db_bind_text_static(st, 1, token_hash);
	if (store_step_done(s, st, E_STORE, "session delete", err) == -1)
		goto fail;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

int
store_oauth_purge(struct store *s, int64_t now, int64_t state_grace,
    int64_t *deleted, struct err *err)
{
	static const char q1[] = "DELETE FROM buyer_session "
	    "WHERE expires_at <= ?";
	static const char q2[] = "DELETE FROM oauth_code WHERE expires_at <= ?";
	static const char q3[] = "DELETE FROM oauth_state "
	    "WHERE expires_at <= ?";
	const char *qs[] = {q1, q2, q3};
	int64_t limits[3] = {now, now, now - state_grace};
	struct db_stmt *st;
	size_t i;

	*deleted = 0;
	if (store_begin(s, err) == -1)
		return -1;
	for (i = 0; i < 3; i++) {
		if ((st = store_stmt(s, qs[i], err)) == NULL)
			goto fail;
		db_bind_int64(st, 1, limits[i]);
		if (store_step_done(s, st, E_STORE, "purge", err) == -1)
			goto fail;
		*deleted += db_changes(store_db(s));
	}
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}
