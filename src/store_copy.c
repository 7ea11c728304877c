/*
 * store_copy.c - h5pay migrate-to-pg: an SQLite database into an empty
 * PostgreSQL schema of the same version, in one transaction, checked by
 * row counts (store_copy.h).
 *
 * What it does not do: convert schemas (both are made by the migrations
 * of one binary: sql/ and sql/pg/), or copy while h5payd writes (the
 * source is read in one read transaction; stop h5payd for a final copy).
 * Invariant: the table list below names every table of the schema in an
 * order where a row's references are copied before it; a table it does
 * not know stops the copy, so a new migration cannot be silently left out.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store_copy.h"

static const struct {
	const char *name;
	bool id;		/* an identity id column to move past */
} copy_tables[] = {
	{"meta", false},
	{"products", false},
	{"orders", true},
	{"order_items", true},
	{"notifications", true},
	{"refunds", true},
	{"order_events", true},
	{"anomalies", true},
	{"oauth_state", false},
	{"oauth_code", false},
	{"buyer_session", false},
	{"admin_users", true},
	{"admin_sessions", true},
	{"admin_login_attempts", true},
	{"admin_lockouts", false},
	{"admin_audit", true},
	{"admin_stats_days", false},
	{"outbox", true},
	{"outbox_attempts", true},
	{"api_keys", true},
	{"api_payments", true},
	{"api_refunds", true},
};
#define NTABLES (sizeof(copy_tables) / sizeof(copy_tables[0]))

static int
count_rows(struct store *s, const char *table, int64_t *n, struct err *err)
{
	struct db_stmt *st;
	char sql[128];
	int rc;

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	if ((st = db_prepare(store_db(s), sql, err)) == NULL)
		return -1;
	rc = db_step(st);
	*n = rc == DB_ROW ? db_col_int64(st, 0) : -1;
	if (rc != DB_ROW)
		store_fail(s, err, table);
	db_finalize(st);
	return rc == DB_ROW ? 0 : -1;
}

/* Every table of src is one copy_tables names (schema_version aside). */
static int
check_tables(struct store *src, struct err *err)
{
	struct db_stmt *st;
	const char *t;
	size_t i;
	int rc, ret = 0;

	if ((st = db_prepare(store_db(src), "SELECT name FROM sqlite_master "
	    "WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND "
	    "name <> 'schema_version'", err)) == NULL)
		return -1;
	while (ret == 0 && (rc = db_step(st)) == DB_ROW) {
		t = store_col_text(st, 0);
		for (i = 0; i < NTABLES; i++)
			if (strcmp(copy_tables[i].name, t) == 0)
				break;
		if (i == NTABLES)
			ret = err_set(err, E_INTERNAL, "table %s: unknown to "
			    "migrate-to-pg (add it to store_copy.c)", t);
	}
	if (ret == 0 && rc != DB_DONE)
		ret = store_fail(src, err, "tables");
	db_finalize(st);
	return ret;
}

/* Bind column i of the source row in as parameter i + 1 of ins. */
static int
copy_col(struct db_stmt *row, int i, struct db_stmt *ins, struct err *err)
{
	const void *p;
	size_t len;

	switch (db_col_type(row, i)) {
	case DB_TNULL:
		return db_bind_null(ins, i + 1);
	case DB_TINT:
		return db_bind_int64(ins, i + 1, db_col_int64(row, i));
	case DB_TTEXT:
		return db_bind_text_static(ins, i + 1, db_col_text(row, i));
	case DB_TBLOB:
		p = db_col_blob(row, i, &len);
		return db_bind_blob(ins, i + 1, p ? p : "", len);
	default:
		return err_set(err, E_STORE, "column %s: a float, which no "
		    "column holds", db_col_name(row, i));
	}
}

static int
copy_table(struct store *src, struct store *dst, const char *table, bool id,
    int64_t *copied, struct err *err)
{
	struct db_stmt *row = NULL, *ins = NULL;
	struct buf b;
	char sql[128];
	int i, n, rc, ret = -1;

	*copied = 0;
	/* by id: a notification's duplicate_of points at an earlier one */
	snprintf(sql, sizeof(sql), "SELECT * FROM %s%s", table,
	    id ? " ORDER BY id" : "");
	buf_init(&b, 8192);
	if ((row = db_prepare(store_db(src), sql, err)) == NULL)
		goto out;
	n = db_col_count(row);
	buf_printf(&b, "INSERT INTO %s (", table);
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", db_col_name(row, i));
	buf_adds(&b, ") VALUES (");
	for (i = 0; i < n; i++)
		buf_adds(&b, i ? ", ?" : "?");
	buf_adds(&b, ")");
	if ((ins = db_prepare(store_db(dst), buf_str(&b), err)) == NULL)
		goto out;
	while ((rc = db_step(row)) == DB_ROW) {
		for (i = 0; i < n; i++)
			if (copy_col(row, i, ins, err) == -1)
				goto out;
		if (store_step_done(dst, ins, E_STORE, table, err) == -1)
			goto out;
		(*copied)++;
	}
	if (rc != DB_DONE) {
		store_fail(src, err, table);
		goto out;
	}
	ret = 0;
out:
	db_finalize(row);
	db_finalize(ins);
	buf_cleanup(&b);
	return ret;
}

int
store_copy_to_pg(struct store *src, struct store *dst, int64_t *rows,
    struct err *err)
{
	int64_t n, have, copied;
	int vs, vd, ret = -1;
	char sql[256];
	size_t i;

	*rows = 0;
	if (db_engine(store_db(src)) != DB_SQLITE ||
	    db_engine(store_db(dst)) != DB_PG)
		return err_set(err, E_INPUT, "from SQLite to PostgreSQL only");
	if (store_schema_version(src, &vs, err) == -1 ||
	    store_schema_version(dst, &vd, err) == -1)
		return -1;
	if (vs != vd)
		return err_set(err, E_CONFLICT, "schema versions differ: "
		    "SQLite %d, PostgreSQL %d (h5pay migrate both with this "
		    "binary first)", vs, vd);
	if (check_tables(src, err) == -1)
		return -1;
	if (store_exec(src, "BEGIN", err) == -1)
		return -1;
	if (store_begin(dst, err) == -1)
		goto out;
	for (i = 0; i < NTABLES; i++) {
		const char *t = copy_tables[i].name;

		if (count_rows(dst, t, &have, err) == -1)
			goto fail;
		/* meta holds the new database's own created_at: replaced */
		if (have > 0 && strcmp(t, "meta") != 0) {
			err_set(err, E_CONFLICT, "PostgreSQL table %s has %lld "
			    "rows: migrate-to-pg wants an empty database", t,
			    (long long)have);
			goto fail;
		}
	}
	if (store_exec(dst, "DELETE FROM meta", err) == -1)
		goto fail;
	for (i = 0; i < NTABLES; i++) {
		const char *t = copy_tables[i].name;

		if (copy_table(src, dst, t, copy_tables[i].id, &copied,
		    err) == -1 || count_rows(src, t, &n, err) == -1 ||
		    count_rows(dst, t, &have, err) == -1)
			goto fail;
		if (n != copied || have != copied) {
			err_set(err, E_STORE, "%s: %lld rows in SQLite, %lld "
			    "copied, %lld in PostgreSQL", t, (long long)n,
			    (long long)copied, (long long)have);
			goto fail;
		}
		if (copy_tables[i].id) {
			snprintf(sql, sizeof(sql), "SELECT setval("
			    "pg_get_serial_sequence('%s', 'id'), "
			    "(SELECT COALESCE(MAX(id), 0) + 1 FROM %s), false)",
			    t, t);
			if (store_exec(dst, sql, err) == -1)
				goto fail;
		}
		*rows += copied;
	}
	if (store_commit(dst, err) == -1)
		goto out;
	ret = 0;
	goto out;
fail:
	store_rollback(dst);
out:
	store_exec(src, "COMMIT", NULL);
	return ret;
}
