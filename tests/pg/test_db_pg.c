/*
 * test_db_pg.c - the PostgreSQL engine (src/db/db_pg.c) under the store,
 * against the throw-away cluster of tests/pg/pgctl.sh (ctest fixture
 * pg.cluster; H5PAY_TEST_PG_URL names a fresh database): migrations,
 * placeholders, RETURNING, error classes, bytea, savepoints, the write
 * lock across connections, the single-host task lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "order_state.h"
#include "store.h"
#include "store_notify.h"
#include "store_order.h"
#include "t.h"
#include "util.h"

static char *url;

static struct store *
open_pg(void)
{
	struct store_opts o = {"FULL", 1000, false};
	struct cfg c;
	struct store *s = NULL;
	struct err err;

	memset(&c, 0, sizeof(c));
	c.db_url = url;
	if (store_open_cfg(&s, &c, &o, &err) == -1)
		fprintf(stderr, "open: %s\n", err.msg);
	return s;
}

static int64_t
scalar(struct store *s, const char *sql)
{
	struct db_stmt *st;
	struct err err;
	int64_t v = -1;

	if ((st = db_prepare(store_db(s), sql, &err)) == NULL)
		return -2;
	if (db_step(st) == DB_ROW)
		v = db_col_int64(st, 0);
	db_finalize(st);
	return v;
}

static void
test_migrate(void)
{
	struct store *s = open_pg();
	struct err err;
	int applied = -1, version = -1;

	T_OK(s != NULL);
	if (s == NULL)
		return;
	T_EQ_INT(db_engine(store_db(s)), DB_PG);
	T_EQ_INT(store_exec(s, "DROP SCHEMA public CASCADE; "
	    "CREATE SCHEMA public", &err), 0);
	T_EQ_INT(store_migrate(s, &applied, &err), 0);
	T_EQ_INT(applied, store_migration_pg_count);
	T_EQ_INT(store_migration_pg_count, store_migration_count);
	T_EQ_INT(store_schema_version(s, &version, &err), 0);
	T_EQ_INT(version, store_migrations[store_migration_count - 1].version);
	/* idempotent */
	T_EQ_INT(store_migrate(s, &applied, &err), 0);
	T_EQ_INT(applied, 0);
	T_EQ_INT(store_ping(s, &version, &err), 0);
	T_EQ_INT(version, store_migrations[store_migration_count - 1].version);
	store_close(s);
}

static void
test_placeholders(void)
{
	static const char sql[] = "SELECT ?2::text || '?' || ?1::text, "
	    "'it''s ?', :b::bigint + :a::bigint + :b::bigint, ? "
	    "/* ? */ -- ?\n";
	struct store *s = open_pg();
	struct db_stmt *st;
	struct err err;

	if (s == NULL)
		return;
	st = store_stmt(s, sql, &err);
	T_OK(st != NULL);
	if (st == NULL)
		goto out;
	/* ?1 ?2, then :b is 3, :a is 4, the last ? is 5 */
	T_EQ_INT(db_bind_index(st, ":b"), 3);
	T_EQ_INT(db_bind_index(st, ":a"), 4);
	T_EQ_INT(db_bind_index(st, ":nope"), 0);
	db_bind_text(st, 1, "one");
	db_bind_text_static(st, 2, "two");
	db_bind_int64(st, 3, 40);
	db_bind_int64(st, 4, 2);
	db_bind_int64(st, 5, 7);
	T_EQ_INT(db_bind_int64(st, 6, 1), -1);
	T_EQ_INT(db_step(st), DB_ROW);
	T_EQ_STR(db_col_text(st, 0), "two?one");
	T_EQ_STR(db_col_text(st, 1), "it's ?");
	T_EQ_INT(db_col_int64(st, 2), 82);
	T_EQ_INT(db_col_type(st, 2), DB_TINT);
	T_EQ_STR(db_col_text(st, 3), "7");
	T_EQ_INT(db_step(st), DB_DONE);
	db_reset(st);
	/* the cached statement again: same object, fresh bindings */
	T_OK(store_stmt(s, sql, &err) == st);
	db_bind_text(st, 1, "a");
	db_bind_text(st, 2, "b");
	db_bind_int64(st, 3, 1);
	db_bind_int64(st, 4, 1);
	db_bind_null(st, 5);
	T_EQ_INT(db_step(st), DB_ROW);
	T_EQ_STR(db_col_text(st, 0), "b?a");
	T_OK(db_col_text(st, 3) == NULL);
	T_OK(db_col_is_null(st, 3));
	db_reset(st);
out:
	store_close(s);
}

static void
order_new(struct store_order_new *o, const char *no, int64_t amount)
{
	memset(o, 0, sizeof(*o));
	o->order_no = no;
	o->openid = "oPG";
	o->appid = "wxapp";
	o->amount = amount;
	o->currency = "HKD";
	o->subject = "pg test";
	o->expires_at = 2000;
	o->next_check_at = 1000;
	o->now = 1000;
}

static void
test_orders(void)
{
	struct store *s = open_pg();
	struct store_order_new o;
	struct order got;
	struct db_stmt *st;
	struct err err;
	int64_t id = 0, id2 = 0;

	if (s == NULL)
		return;
	order_new(&o, "PG1", 1234);
	T_EQ_INT(store_begin(s, &err), 0);
	T_EQ_INT(store_order_create(s, &o, &id, &err), 0);
	T_OK(id > 0);
	/* a second one gets the next id: RETURNING id */
	order_new(&o, "PG2", 99);
	T_EQ_INT(store_order_create(s, &o, &id2, &err), 0);
	T_OK(id2 > id);
	T_EQ_INT(store_commit(s, &err), 0);
	/* unique: the store's E_CONFLICT, the class DB_EUNIQUE */
	T_EQ_INT(store_begin(s, &err), 0);
	T_EQ_INT(store_order_create(s, &o, &id2, &err), -1);
	T_EQ_INT(err.code, E_CONFLICT);
	T_EQ_INT(db_errclass(store_db(s)), DB_EUNIQUE);
	store_rollback(s);
	T_EQ_INT(store_order_get(s, "PG1", &got, &err), 0);
	T_EQ_INT(got.id, id);
	T_EQ_INT(got.amount, 1234);
	T_EQ_STR(got.currency, "HKD");
	T_EQ_INT(got.state, ORDER_CREATED);
	/* the columns are known before the first step, as on SQLite */
	st = store_stmt(s, "SELECT id, order_no AS \"orderNo\", amount "
	    "FROM orders WHERE id = ?", &err);
	T_OK(st != NULL);
	if (st != NULL) {
		T_EQ_INT(db_col_count(st), 3);
		T_EQ_STR(db_col_name(st, 1), "orderNo");
		db_bind_int64(st, 1, id);
		T_EQ_INT(db_step(st), DB_ROW);
		T_EQ_STR(db_col_name(st, 2), "amount");
		T_EQ_INT(db_col_int64(st, 2), 1234);
		db_reset(st);
	}
	T_EQ_INT(store_order_get(s, "NOPE", &got, &err), -1);
	T_EQ_INT(err.code, E_NOTFOUND);
	/* db_changes counts what an UPDATE changed */
	T_EQ_INT(store_begin(s, &err), 0);
	T_EQ_INT(store_order_check_at(s, id, 5000, &err), 0);
	T_EQ_INT(db_changes(store_db(s)), 1);
	T_EQ_INT(store_commit(s, &err), 0);
	/* a CHECK: refunded above the amount */
	T_EQ_INT(store_begin(s, &err), 0);
	T_EQ_INT(store_exec(s, "UPDATE orders SET refunded_amount = "
	    "amount + 1 WHERE order_no = 'PG1'", &err), -1);
	T_EQ_INT(db_errclass(store_db(s)), DB_ECHECK);
	store_rollback(s);
	T_EQ_INT(scalar(s, "SELECT refunded_amount FROM orders WHERE "
	    "order_no = 'PG1'"), 0);
	store_close(s);
}

static void
test_bytea_savepoint(void)
{
	static const unsigned char body[] = { 'a', 0, 0xff, '\\', 'x', 1 };
	static const char sel[] = "SELECT body FROM notifications WHERE id = ?";
	struct store *s = open_pg();
	struct notification n;
	struct db_stmt *st;
	struct err err;
	const void *p;
	size_t len = 0;
	int64_t id = 0, id2 = 0;

	if (s == NULL)
		return;
	memset(&n, 0, sizeof(n));
	n.received_at = 1;
	n.body = body;
	n.body_len = sizeof(body);
	n.body_sha256 = "0000000000000000000000000000000000000000000000000000"
	    "000000000001";
	n.verified = true;
	T_EQ_INT(store_begin(s, &err), 0);
	T_EQ_INT(store_notification_insert(s, &n, "noop", &id, &err), 0);
	/* a failed statement inside a savepoint: undone, the tx lives on */
	T_EQ_INT(store_savepoint(s, &err), 0);
	T_EQ_INT(store_notification_insert(s, &n, "bogus", &id2, &err), -1);
	T_EQ_INT(db_errclass(store_db(s)), DB_ECHECK);
	store_savepoint_undo(s);
	T_OK(store_tx_alive(s));
	T_EQ_INT(store_commit(s, &err), 0);
	st = store_stmt(s, sel, &err);
	T_OK(st != NULL);
	if (st == NULL)
		goto out;
	db_bind_int64(st, 1, id);
	T_EQ_INT(db_step(st), DB_ROW);
	T_EQ_INT(db_col_type(st, 0), DB_TBLOB);
	p = db_col_blob(st, 0, &len);
	T_EQ_INT(len, sizeof(body));
	T_OK(p && memcmp(p, body, sizeof(body)) == 0);
	db_reset(st);
	/* a statement error outside a savepoint: commit refuses */
	T_EQ_INT(store_begin(s, &err), 0);
	T_EQ_INT(store_exec(s, "SELECT no_such_column FROM orders", &err),
	    -1);
	T_EQ_INT(store_commit(s, &err), -1);
	T_OK(!store_tx_alive(s));
out:
	store_close(s);
}

struct racer {
	int64_t began_ms;
	int rc;
};

static void *
race_begin(void *arg)
{
	struct racer *r = arg;
	struct store *s = open_pg();
	struct err err;

	r->rc = -1;
	if (s == NULL)
		return NULL;
	if (store_begin(s, &err) == 0) {
		r->began_ms = now_ms();
		r->rc = store_commit(s, &err);
	}
	store_close(s);
	return NULL;
}

/* Writers on two connections (two hosts) are serialised by the write
 * lock: the second store_begin() returns only after the first commits. */
static void
test_write_lock(void)
{
	struct store *a = open_pg();
	struct racer r = { 0, -1 };
	struct err err;
	pthread_t t;
	int64_t committed;

	if (a == NULL)
		return;
	T_EQ_INT(store_begin(a, &err), 0);
	T_EQ_INT(pthread_create(&t, NULL, race_begin, &r), 0);
	usleep(300 * 1000);
	committed = now_ms();
	T_EQ_INT(store_commit(a, &err), 0);
	pthread_join(t, NULL);
	T_EQ_INT(r.rc, 0);
	T_OK(r.began_ms >= committed);
	store_close(a);
}

static void
test_task_lock(void)
{
	struct store *a = open_pg(), *b = open_pg();
	struct err err;
	bool held = false;
	int i;

	if (a == NULL || b == NULL)
		goto out;
	T_EQ_INT(db_task_lock(store_db(a), 42, &held, &err), 0);
	T_OK(held);
	T_EQ_INT(db_task_lock(store_db(b), 42, &held, &err), 0);
	T_OK(!held);
	/* another task's key is free */
	T_EQ_INT(db_task_lock(store_db(b), 43, &held, &err), 0);
	T_OK(held);
	/* asking again while holding it: still held (no second count) */
	T_EQ_INT(db_task_lock(store_db(a), 42, &held, &err), 0);
	T_OK(held);
	/* the holder's connection ends (its host died): b takes over, once
	 * the server has noticed (the task loop asks every pass) */
	store_close(a);
	a = NULL;
	for (i = 0; i < 50; i++) {
		T_EQ_INT(db_task_lock(store_db(b), 42, &held, &err), 0);
		if (held)
			break;
		usleep(20 * 1000);
	}
	T_OK(held);
out:
	store_close(a);
	store_close(b);
}

int
main(void)
{
	if ((url = getenv("H5PAY_TEST_PG_URL")) == NULL) {
		fprintf(stderr, "H5PAY_TEST_PG_URL: not set (the ctest "
		    "fixture pg.cluster sets it)\n");
		return 1;
	}
	T_RUN(test_migrate);
	T_RUN(test_placeholders);
	T_RUN(test_orders);
	T_RUN(test_bytea_savepoint);
	T_RUN(test_write_lock);
	T_RUN(test_task_lock);
	return t_done();
}
