/*
 * store_admin.c - the admin's own SQL (sql/004_admin.sql): users,
 * sessions, login attempts, lockouts, the audit log. The admin's reads of
 * the order schema are in store_admin_orders.c.
 *
 * What it does not do: decide (admin.c) or speak HTTP (web_admin*.c).
 * Every statement is a cached prepared statement (store_stmt); text
 * columns are copied out before the next step.
 */
#include <string.h>

#include "store.h"
#include "store_admin.h"
#include "util.h"

/* --- users ---------------------------------------------------------------- */

int
store_admin_user_insert(struct store *s, const char *name,
    const char *pw_hash, int64_t now, struct err *err)
{
	static const char sql[] = "INSERT INTO admin_users (username, "
	    "pw_hash, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_empty(st, 1, name);
	store_bind_text_or_empty(st, 2, pw_hash);
	db_bind_int64(st, 3, now);
	return store_step_done(s, st, E_CONFLICT, "admin_user_insert", err);
}

int
store_admin_user_get(struct store *s, const char *name,
    struct store_admin_user *u, struct err *err)
{
	static const char sql[] = "SELECT id, username, pw_hash, disabled, "
	    "coalesce(totp_secret, ''), totp_last_step FROM admin_users "
	    "WHERE username = ?1";
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text_or_empty(st, 1, name);
	rc = db_step(st);
	if (rc == DB_ROW) {
		u->id = db_col_int64(st, 0);
		store_col_copy(st, 1, u->username, sizeof(u->username));
		store_col_copy(st, 2, u->pw_hash, sizeof(u->pw_hash));
		u->disabled = db_col_int(st, 3) != 0;
		store_col_copy(st, 4, u->totp_secret, sizeof(u->totp_secret));
		u->totp_last_step = db_col_int64(st, 5);
	}
	db_reset(st);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return err_set(err, E_NOTFOUND, "no admin user");
	return store_fail(s, err, "admin_user_get");
}

int
store_admin_user_set_hash(struct store *s, int64_t id, const char *pw_hash,
    int64_t now, struct err *err)
{
	static const char sql[] = "UPDATE admin_users SET pw_hash = ?2, "
	    "updated_at = ?3 WHERE id = ?1";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	store_bind_text_or_empty(st, 2, pw_hash);
	db_bind_int64(st, 3, now);
	return store_step_done(s, st, E_CONFLICT, "admin_user_set_hash", err);
}

int
store_admin_user_set_totp(struct store *s, int64_t id, const char *secret,
    int64_t now, struct err *err)
{
	static const char sql[] = "UPDATE admin_users SET totp_secret = ?2, "
	    "totp_last_step = 0, updated_at = ?3 WHERE id = ?1";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	if (secret)
		db_bind_text(st, 2, secret);
	else
		db_bind_null(st, 2);
	db_bind_int64(st, 3, now);
	return store_step_done(s, st, E_CONFLICT, "admin_user_set_totp", err);
}

int
store_admin_user_totp_used(struct store *s, int64_t id, int64_t step,
    struct err *err)
{
	static const char sql[] = "UPDATE admin_users SET totp_last_step = ?2 "
	    "WHERE id = ?1 AND totp_last_step < ?2";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, step);
	if (store_step_done(s, st, E_CONFLICT, "admin_user_totp_used",
	    err) == -1)
		return -1;
	if (db_changes(store_db(s)) != 1)
		return err_set(err, E_CONFLICT, "TOTP step already used");
	return 0;
}

int
store_admin_user_set_disabled(struct store *s, int64_t id, bool disabled,
    int64_t now, struct err *err)
{
	static const char sql[] = "UPDATE admin_users SET disabled = ?2, "
	    "updated_at = ?3 WHERE id = ?1";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, disabled ? 1 : 0);
	db_bind_int64(st, 3, now);
	return store_step_done(s, st, E_CONFLICT, "admin_user_set_disabled",
	    err);
}

/* --- sessions ------------------------------------------------------------- */

int
store_admin_session_insert(struct store *s, const char *sha, int64_t user_id,
    int64_t now, int64_t expires_at, const char *ip, const char *ua,
    struct err *err)
{
	static const char sql[] = "INSERT INTO admin_sessions (token_sha256, "
	    "user_id, created_at, expires_at, ip, user_agent) VALUES (?1, ?2, "
	    "?3, ?4, substr(?5, 1, 64), substr(?6, 1, 256))";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_empty(st, 1, sha);
	db_bind_int64(st, 2, user_id);
	db_bind_int64(st, 3, now);
	db_bind_int64(st, 4, expires_at);
	store_bind_text_or_empty(st, 5, ip);
	store_bind_text_or_empty(st, 6, ua);
	return store_step_done(s, st, E_CONFLICT, "admin_session_insert", err);
}

int
store_admin_session_find(struct store *s, const char *sha, int64_t now,
    int64_t *id, int64_t *user_id, char *username, size_t usz,
    int64_t *expires_at, struct err *err)
{
	static const char sql[] = "SELECT s.id, s.user_id, u.username, "
	    "s.expires_at FROM admin_sessions s JOIN admin_users u ON "
	    "u.id = s.user_id WHERE s.token_sha256 = ?1 AND s.revoked_at IS "
	    "NULL AND s.expires_at > ?2 AND u.disabled = 0";
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text_or_empty(st, 1, sha);
	db_bind_int64(st, 2, now);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_col_int64(st, 0);
		*user_id = db_col_int64(st, 1);
		store_col_copy(st, 2, username, usz);
		*expires_at = db_col_int64(st, 3);
	}
	db_reset(st);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return err_set(err, E_AUTH, "no live admin session");
	return store_fail(s, err, "admin_session_find");
}

int
store_admin_session_revoke(struct store *s, const char *sha, int64_t now,
    struct err *err)
{
	static const char sql[] = "UPDATE admin_sessions SET revoked_at = ?2 "
	    "WHERE token_sha256 = ?1 AND revoked_at IS NULL";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_empty(st, 1, sha);
	db_bind_int64(st, 2, now);
	return store_step_done(s, st, E_CONFLICT, "admin_session_revoke", err);
}

int
store_admin_sessions_revoke_user(struct store *s, int64_t user_id,
    int64_t now, struct err *err)
{
	static const char sql[] = "UPDATE admin_sessions SET revoked_at = ?2 "
	    "WHERE user_id = ?1 AND revoked_at IS NULL";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_int64(st, 2, now);
	return store_step_done(s, st, E_CONFLICT,
	    "admin_sessions_revoke_user", err);
}

/* --- login attempts and lockouts ------------------------------------------ */

int
store_admin_attempt_insert(struct store *s, int64_t now, const char *user,
    const char *ip, int64_t *id, struct err *err)
{
	static const struct db_sql sql = STORE_INSERT_ID("INSERT INTO "
	    "admin_login_attempts (at, username, ip, ok) VALUES (?1, "
	    "substr(?2, 1, 64), substr(?3, 1, 64), 0)");
	struct db_stmt *st = store_stmt_pick(s, &sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	store_bind_text_or_empty(st, 2, user);
	store_bind_text_or_empty(st, 3, ip);
	return store_step_id(s, st, E_CONFLICT, "admin_attempt_insert", id,
	    err);
}

int
store_admin_attempt_ok(struct store *s, int64_t id, struct err *err)
{
	static const char sql[] = "UPDATE admin_login_attempts SET ok = 1 "
	    "WHERE id = ?1";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	return store_step_done(s, st, E_CONFLICT, "admin_attempt_ok", err);
}

int
store_admin_attempt_fails(struct store *s, const char *kind, const char *key,
    int64_t since, int64_t *count, int64_t *last, struct err *err)
{
	static const char sql_user[] = "SELECT count(*), coalesce(max(at), 0) "
	    "FROM admin_login_attempts WHERE username = ?1 AND at >= ?2 AND "
	    "ok = 0";
	static const char sql_ip[] = "SELECT count(*), coalesce(max(at), 0) "
	    "FROM admin_login_attempts WHERE ip = ?1 AND at >= ?2 AND ok = 0";
	struct db_stmt *st = store_stmt(s, strcmp(kind, "ip") == 0 ? sql_ip :
	    sql_user, err);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text_or_empty(st, 1, key);
	db_bind_int64(st, 2, since);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*count = db_col_int64(st, 0);
		*last = db_col_int64(st, 1);
	}
	db_reset(st);
	if (rc != DB_ROW)
		return store_fail(s, err, "admin_attempt_fails");
	return 0;
}

int
store_admin_attempt_fails_pair(struct store *s, const char *user,
    const char *ip, int64_t since, int64_t *count, int64_t *last,
    struct err *err)
{
	static const char sql[] = "SELECT count(*), coalesce(max(at), 0) "
	    "FROM admin_login_attempts WHERE username = substr(?1, 1, 64) "
	    "AND ip = substr(?2, 1, 64) AND at >= ?3 AND ok = 0";
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text_or_empty(st, 1, user);
	store_bind_text_or_empty(st, 2, ip);
	db_bind_int64(st, 3, since);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*count = db_col_int64(st, 0);
		*last = db_col_int64(st, 1);
	}
	db_reset(st);
	if (rc != DB_ROW)
		return store_fail(s, err, "admin_attempt_fails_pair");
	return 0;
}

int
store_admin_attempt_clear(struct store *s, const char *user, const char *ip,
    int64_t before, struct err *err)
{
	static const char sql[] = "DELETE FROM admin_login_attempts WHERE "
	    "(username = ?1 AND ip = substr(?3, 1, 64) AND ok = 0) OR at < ?2";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_empty(st, 1, user);
	db_bind_int64(st, 2, before);
	store_bind_text_or_empty(st, 3, ip);
	return store_step_done(s, st, E_CONFLICT, "admin_attempt_clear", err);
}

int
store_admin_lockout_get(struct store *s, const char *kind, const char *key,
    int64_t *until, struct err *err)
{
	static const char sql[] = "SELECT until FROM admin_lockouts WHERE "
	    "kind = ?1 AND key = substr(?2, 1, 64)";
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	store_bind_text_or_empty(st, 1, kind);
	store_bind_text_or_empty(st, 2, key);
	*until = 0;
	rc = db_step(st);
	if (rc == DB_ROW)
		*until = db_col_int64(st, 0);
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return store_fail(s, err, "admin_lockout_get");
	return 0;
}

int
store_admin_lockout_set(struct store *s, const char *kind, const char *key,
    int64_t until, int64_t now, struct err *err)
{
	static const char sql[] = "INSERT INTO admin_lockouts (kind, key, "
	    "until, created_at) VALUES (?1, substr(?2, 1, 64), ?3, ?4) "
	    "ON CONFLICT (kind, key) DO UPDATE SET until = excluded.until, "
	    "created_at = excluded.created_at";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_empty(st, 1, kind);
	store_bind_text_or_empty(st, 2, key);
	db_bind_int64(st, 3, until);
	db_bind_int64(st, 4, now);
	return store_step_done(s, st, E_CONFLICT, "admin_lockout_set", err);
}

int
store_admin_audit_insert(struct store *s, int64_t at, const char *admin,
    const char *action, const char *target, const char *detail,
    const char *result, const char *ip, const char *rid, struct err *err)
{
	static const char sql[] = "INSERT INTO admin_audit (at, admin, action, "
	    "target, detail, result, ip, request_id) VALUES (?1, "
	    "substr(?2, 1, 64), ?3, substr(?4, 1, 128), substr(?5, 1, 1024), "
	    "?6, substr(?7, 1, 64), substr(?8, 1, 64))";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, at);
	store_bind_text_or_empty(st, 2, admin && *admin ? admin : "-");
	store_bind_text_or_empty(st, 3, action);
	store_bind_text_or_empty(st, 4, target);
	store_bind_text_or_empty(st, 5, detail);
	store_bind_text_or_empty(st, 6, result);
	store_bind_text_or_empty(st, 7, ip);
	store_bind_text_or_empty(st, 8, rid);
	return store_step_done(s, st, E_CONFLICT, "admin_audit_insert", err);
}
