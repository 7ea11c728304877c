/*
 * sim_store_oauth.c - h5pay-sim's WeChat OAuth tables: issued codes, the
 * users that signed in (and whether they chose the snapshot page), and a
 * record of every code exchange, for /sim/api/oauth.
 *
 * Same rules as sim_store.c: statements through store_stmt(), writes that
 * read first run inside the caller's store_begin() ... store_commit().
 * Invariant: a code is used at most once (the UPDATE checks used = 0).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "sim.h"
#include "store.h"
#include "util.h"

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

int
sim_code_insert(struct store *s, const char *code, const char *openid,
    const char *scope, int64_t now, struct err *err)
{
	static const char sql[] = "INSERT INTO oauth_code (code, openid, "
	    "scope, issued_ms) VALUES (?, ?, ?, ?)";
	static const char usr[] = "INSERT OR IGNORE INTO oauth_user (openid) "
	    "VALUES (?)";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, code);
	store_bind_text_or_null(st, 2, openid);
	store_bind_text_or_null(st, 3, scope);
	db_bind_int64(st, 4, now);
	if (store_step_done(s, st, E_STORE, "code insert", err) == -1)
		return -1;
	if ((st = store_stmt(s, usr, err)) == NULL)
		return -1;
	store_bind_text_or_null(st, 1, openid);
	return store_step_done(s, st, E_STORE, "user insert", err);
}

int
sim_code_take(struct store *s, const char *code, int64_t not_before,
    char *openid, size_t osz, char *scope, size_t ssz, struct err *err)
{
	static const char sel[] = "SELECT openid, scope, issued_ms, used "
	    "FROM oauth_code WHERE code = ?";
	static const char upd[] = "UPDATE oauth_code SET used = 1 WHERE "
	    "code = ? AND used = 0";
	struct db_stmt *st = store_stmt(s, sel, err);
	int64_t issued;
	int rc, used;

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, code);
	rc = db_step(st);
	if (rc != DB_ROW) {
		db_reset(st);
		if (rc == DB_DONE)
			return err_set(err, E_NOTFOUND, "unknown code");
		return store_fail(s, err, "code get");
	}
	store_col_copy(st, 0, openid, osz);
	store_col_copy(st, 1, scope, ssz);
	issued = db_col_int64(st, 2);
	used = db_col_int(st, 3);
	db_reset(st);
	if (used)
		return err_set(err, E_CONFLICT, "code used");
	if (issued < not_before)
		return err_set(err, E_INPUT, "code expired");
	if ((st = store_stmt(s, upd, err)) == NULL)
		return -1;
	store_bind_text_or_null(st, 1, code);
	if (store_step_done(s, st, E_STORE, "code use", err) == -1)
		return -1;
	if (db_changes(store_db(s)) != 1)
		return err_set(err, E_CONFLICT, "code used");
	return 0;
}

int
sim_code_age(struct store *s, int64_t ms, struct err *err)
{
	static const char sql[] = "UPDATE oauth_code SET issued_ms = "
	    "issued_ms - ?";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, ms);
	return store_step_done(s, st, E_STORE, "code age", err);
}

int
sim_user_set(struct store *s, const char *openid, int snapshot,
    struct err *err)
{
	static const char sql[] = "INSERT INTO oauth_user (openid, snapshot) "
	    "VALUES (?1, ?2) ON CONFLICT (openid) DO UPDATE SET snapshot = ?2";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, openid);
	db_bind_int64(st, 2, snapshot);
	return store_step_done(s, st, E_STORE, "user set", err);
}

int
sim_user_snapshot(struct store *s, const char *openid, int *snapshot,
    struct err *err)
{
	static const char sql[] = "SELECT snapshot FROM oauth_user WHERE "
	    "openid = ?";
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc;

	*snapshot = 0;
	if (st == NULL)
		return -1;
	store_bind_text_or_null(st, 1, openid);
	rc = db_step(st);
	if (rc == DB_ROW)
		*snapshot = db_col_int(st, 0);
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 :
	    store_fail(s, err, "user get");
}

int
sim_exchange_record(struct store *s, int64_t now, long errcode,
    const char *openid, struct err *err)
{
	static const char sql[] = "INSERT INTO oauth_exchange (at_ms, errcode, "
	    "openid) VALUES (?, ?, ?)";
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, errcode);
	store_bind_text_or_null(st, 3, openid ? openid : "");
	return store_step_done(s, st, E_STORE, "exchange insert", err);
}

struct json_object *
sim_oauth_stats(struct store *s, struct err *err)
{
	static const char by[] = "SELECT errcode, COUNT(*) FROM oauth_exchange "
	    "GROUP BY errcode ORDER BY errcode";
	static const char codes[] = "SELECT COUNT(*), COALESCE(SUM(used), 0) "
	    "FROM oauth_code";
	struct json_object *o, *m;
	struct db_stmt *st;
	int64_t total = 0;
	int rc;

	if ((st = store_stmt(s, by, err)) == NULL)
		return NULL;
	o = json_object_new_object();
	m = json_object_new_object();
	while ((rc = db_step(st)) == DB_ROW) {
		char k[24];
		int64_t n = db_col_int64(st, 1);

		snprintf(k, sizeof(k), "%lld",
		    (long long)db_col_int64(st, 0));
		jadd_i(m, k, n);
		total += n;
	}
	db_reset(st);
	jadd_i(o, "exchanges", total);
	json_object_object_add(o, "byErrcode", m);
	if (rc != DB_DONE)
		goto fail;
	if ((st = store_stmt(s, codes, err)) == NULL) {
		json_object_put(o);
		return NULL;
	}
	if ((rc = db_step(st)) == DB_ROW) {
		jadd_i(o, "codesIssued", db_col_int64(st, 0));
		jadd_i(o, "codesUsed", db_col_int64(st, 1));
	}
	db_reset(st);
	if (rc != DB_ROW)
		goto fail;
	return o;
fail:
	json_object_put(o);
	store_fail(s, err, "oauth stats");
	return NULL;
}

struct json_object *
sim_user_list(struct store *s, struct err *err)
{
	static const char sql[] = "SELECT u.openid, u.snapshot, (SELECT "
	    "COUNT(*) FROM oauth_exchange e WHERE e.openid = u.openid) FROM "
	    "oauth_user u ORDER BY u.openid LIMIT 200";
	struct db_stmt *st = store_stmt(s, sql, err);
	struct json_object *a;
	int rc;

	if (st == NULL)
		return NULL;
	a = json_object_new_array();
	while ((rc = db_step(st)) == DB_ROW) {
		struct json_object *o = json_object_new_object();

		jadd_s(o, "openid", db_col_text(st, 0));
		json_object_object_add(o, "snapshot", json_object_new_boolean(
		    db_col_int(st, 1)));
		jadd_i(o, "exchanges", db_col_int64(st, 2));
		json_object_array_add(a, o);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		json_object_put(a);
		store_fail(s, err, "user list");
		return NULL;
	}
	return a;
}
