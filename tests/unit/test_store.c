/*
 * test_store.c - migrations (idempotent, upgrade in place), the
 * transaction helpers and group commit, on a temporary SQLite file.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"
#include "t.h"

static char dir[] = "/tmp/h5pay-test-store-XXXXXX";
static char path[256];

static const struct migration v1[] = {
	{1, "one", "CREATE TABLE a (x INTEGER NOT NULL) STRICT;"
	    "INSERT INTO a VALUES (1);"},
};

static const struct migration v2[] = {
	{1, "one", "CREATE TABLE a (x INTEGER NOT NULL) STRICT;"
	    "INSERT INTO a VALUES (1);"},
	{2, "two", "ALTER TABLE a ADD COLUMN y TEXT;"
	    "UPDATE a SET y = 'upgraded';"},
};

static const struct migration broken[] = {
	{1, "one", "CREATE TABLE a (x INTEGER NOT NULL) STRICT;"},
	{2, "two", "ALTER TABLE a ADD COLUMN y TEXT;"},
	{3, "bad", "CREATE TABLE b (z INTEGER); THIS IS NOT SQL;"},
};

static struct store *
open_db(const char *p)
{
	struct store_opts o = {"FULL", 1000, false};
	struct store *s = NULL;
	struct err err;

	if (store_open(&s, p, &o, &err) == -1)
		fprintf(stderr, "open: %s\n", err.msg);
	return s;
}

static long long
scalar(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(store_sqlite(s), sql, -1, &st, NULL) !=
	    SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
is_wal(struct store *s)
{
	sqlite3_stmt *st;
	int wal = 0;

	if (sqlite3_prepare_v2(store_sqlite(s), "PRAGMA journal_mode", -1,
	    &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		wal = strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	return wal;
}

static void
test_migrate_twice_changes_nothing(void)
{
	struct store *s;
	struct err err;
	int applied = -1, version = 0;

	snprintf(path, sizeof(path), "%s/twice.db", dir);
	s = open_db(path);
	T_OK(s != NULL);
	T_EQ_INT(store_migrate(s, &applied, &err), 0);
	T_EQ_INT(applied, store_migration_count);
	T_EQ_INT(store_schema_version(s, &version, &err), 0);
	T_EQ_INT(version, store_migrations[store_migration_count - 1].version);
	T_EQ_INT(store_migrate(s, &applied, &err), 0);
	T_EQ_INT(applied, 0);
	T_EQ_INT(scalar(s, "SELECT count(*) FROM schema_version"),
	    store_migration_count);
	T_EQ_INT(scalar(s, "SELECT count(*) FROM meta WHERE key = "
	    "'created_at'"), 1);
	store_close(s);
	/* a new connection (another process) also finds nothing to do */
	s = open_db(path);
	T_EQ_INT(store_migrate(s, &applied, &err), 0);
	T_EQ_INT(applied, 0);
	store_close(s);
}

static void
test_version1_upgrades_in_place(void)
{
	struct store *s;
	struct err err;
	int applied = -1, version = 0;

	snprintf(path, sizeof(path), "%s/upgrade.db", dir);
	s = open_db(path);
	T_EQ_INT(store_migrate_with(s, v1, 1, &applied, &err), 0);
	T_EQ_INT(applied, 1);
	T_EQ_INT(scalar(s, "SELECT x FROM a"), 1);
	store_close(s);

	s = open_db(path);
	T_EQ_INT(store_migrate_with(s, v2, 2, &applied, &err), 0);
	T_EQ_INT(applied, 1);
	T_EQ_INT(store_schema_version(s, &version, &err), 0);
	T_EQ_INT(version, 2);
	/* the data of version 1 survived the upgrade */
	T_EQ_INT(scalar(s, "SELECT count(*) FROM a WHERE x = 1 AND "
	    "y = 'upgraded'"), 1);
	store_close(s);
}

static void
test_failed_migration_rolls_back(void)
{
	struct store *s;
	struct err err;
	int applied = -1, version = 0;

	snprintf(path, sizeof(path), "%s/broken.db", dir);
	s = open_db(path);
	T_EQ_INT(store_migrate_with(s, broken, 3, &applied, &err), -1);
	T_EQ_INT(err.code, E_STORE);
	T_OK(strstr(err.msg, "003_bad") != NULL);
	T_EQ_INT(applied, 2);
	T_EQ_INT(store_schema_version(s, &version, &err), 0);
	T_EQ_INT(version, 2);
	/* nothing of the failed migration is left behind */
	T_EQ_INT(scalar(s, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'b'"), 0);
	store_close(s);
}

static void
test_transactions(void)
{
	struct store *s, *s2;
	struct err err;

	snprintf(path, sizeof(path), "%s/tx.db", dir);
	s = open_db(path);
	s2 = open_db(path);
	T_EQ_INT(store_exec(s, "CREATE TABLE t (v INTEGER)", &err), 0);
	T_EQ_INT(store_begin(s, &err), 0);
	T_EQ_INT(store_begin(s, &err), -1);	/* no nesting */
	T_EQ_INT(err.code, E_INTERNAL);
	T_EQ_INT(store_exec(s, "INSERT INTO t VALUES (1)", &err), 0);
	store_rollback(s);
	T_EQ_INT(scalar(s2, "SELECT count(*) FROM t"), 0);
	T_EQ_INT(store_begin(s, &err), 0);
	T_EQ_INT(store_exec(s, "INSERT INTO t VALUES (2)", &err), 0);
	T_EQ_INT(store_commit(s, &err), 0);
	T_EQ_INT(scalar(s2, "SELECT count(*) FROM t"), 1);
	T_EQ_INT(store_commit(s, &err), -1);	/* nothing open */
	/* the write lock is released: the other connection can write */
	T_EQ_INT(store_begin(s2, &err), 0);
	T_EQ_INT(store_commit(s2, &err), 0);
	T_EQ_INT(scalar(s, "PRAGMA foreign_keys"), 1);
	T_OK(is_wal(s));
	T_EQ_INT(scalar(s, "PRAGMA synchronous"), 2);	/* FULL */
	store_close(s);
	store_close(s2);
}

/*
 * An insert's new id (store_step_id over STORE_INSERT_ID: on SQLite the
 * text has no RETURNING and the id is the row's rowid): the id of the
 * row this statement made, whatever another insert made before it; an
 * insert that makes no row fails instead of giving a stale id.
 */
static void
test_insert_id(void)
{
	static const struct db_sql ins = STORE_INSERT_ID("INSERT INTO k "
	    "(name) VALUES (?) ON CONFLICT (name) DO NOTHING");
	struct db_stmt *st;
	struct store *s;
	struct err err;
	int64_t a = 0, b = 0, c = 0;

	snprintf(path, sizeof(path), "%s/id.db", dir);
	s = open_db(path);
	T_EQ_INT(store_exec(s, "CREATE TABLE k (id INTEGER PRIMARY KEY, "
	    "name TEXT NOT NULL UNIQUE); CREATE TABLE other (id INTEGER "
	    "PRIMARY KEY); INSERT INTO other (id) VALUES (1000)", &err), 0);
	T_EQ_INT(store_begin(s, &err), 0);
	T_OK((st = store_stmt_pick(s, &ins, &err)) != NULL);
	db_bind_text(st, 1, "a");
	T_EQ_INT(store_step_id(s, st, E_CONFLICT, "k", &a, &err), 0);
	T_EQ_INT(store_exec(s, "INSERT INTO other (id) VALUES (2000)", &err),
	    0);
	st = store_stmt_pick(s, &ins, &err);
	db_bind_text(st, 1, "b");
	T_EQ_INT(store_step_id(s, st, E_CONFLICT, "k", &b, &err), 0);
	T_EQ_INT(a, scalar(s, "SELECT id FROM k WHERE name = 'a'"));
	T_EQ_INT(b, scalar(s, "SELECT id FROM k WHERE name = 'b'"));
	T_OK(a != b);
	/* "a" again: no row made, so no id (not b's, not a's) */
	st = store_stmt_pick(s, &ins, &err);
	db_bind_text(st, 1, "a");
	c = -7;
	T_EQ_INT(store_step_id(s, st, E_CONFLICT, "k", &c, &err), -1);
	T_EQ_INT(c, -7);
	T_EQ_INT(store_commit(s, &err), 0);
	T_EQ_INT(scalar(s, "SELECT count(*) FROM k"), 2);
	store_close(s);
}

/*
 * Group commit: threads of one process, each with its own store, write at
 * once; every transaction whose store_commit() said 0 is there, every
 * rolled-back one (a duplicate key, failing alone inside its batch) is
 * not, a transaction reads its own writes, and commits were shared.
 */
#define GC_THREADS 16
#define GC_TX 40

struct gc {
	pthread_t tid;
	int index, committed, refused, saw_own;
};

static void *
gc_run(void *arg)
{
	struct gc *g = arg;
	struct store *s = open_db(path);
	struct err err;
	char sql[160];
	int i;

	for (i = 0; s != NULL && i < GC_TX; i++) {
		if (store_begin(s, &err) == -1)
			continue;
		/* every 5th writes a new key, then repeats one: refused, and
		 * undone alone (its new key too) */
		if (i % 5 == 4)
			snprintf(sql, sizeof(sql), "INSERT INTO g VALUES (%d); "
			    "INSERT INTO g VALUES (%d)", g->index * 1000 + 500 +
			    i, g->index * 1000);
		else
			snprintf(sql, sizeof(sql), "INSERT INTO g VALUES (%d)",
			    g->index * 1000 + i);
		if (store_exec(s, sql, &err) == -1) {
			store_rollback(s);
			g->refused++;
			continue;
		}
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM g WHERE k = %d",
		    g->index * 1000 + i);
		g->saw_own += scalar(s, sql) == 1;
		if (store_commit(s, &err) == 0)
			g->committed++;
	}
	store_close(s);
	return NULL;
}

static void
test_group_commit(void)
{
	struct gc g[GC_THREADS];
	struct store *s;
	struct err err;
	int i, committed = 0;

	snprintf(path, sizeof(path), "%s/gc.db", dir);
	s = open_db(path);
	/* ours (schema_version), or the threads' opens refuse the file */
	T_EQ_INT(store_schema_version(s, &i, &err), 0);
	T_EQ_INT(store_exec(s, "CREATE TABLE g (k INTEGER PRIMARY KEY)",
	    &err), 0);
	memset(g, 0, sizeof(g));
	for (i = 0; i < GC_THREADS; i++) {
		g[i].index = i + 1;
		T_EQ_INT(pthread_create(&g[i].tid, NULL, gc_run, &g[i]), 0);
	}
	for (i = 0; i < GC_THREADS; i++) {
		pthread_join(g[i].tid, NULL);
		T_EQ_INT(g[i].committed, GC_TX - GC_TX / 5);
		T_EQ_INT(g[i].refused, GC_TX / 5);
		T_EQ_INT(g[i].saw_own, GC_TX - GC_TX / 5);
		committed += g[i].committed;
	}
	T_EQ_INT(scalar(s, "SELECT count(*) FROM g"), committed);
	T_EQ_INT(scalar(s, "SELECT count(*) FROM g WHERE k % 1000 >= 500"),
	    0);
	T_OK(store_batch_max() >= 2);	/* some commit held several */
	store_close(s);
}

/* How many constant IN lists of more than two values the CHECKs of the
 * tables hold (012_checks: each costs a temporary B-tree per row). */
static int
in_lists(struct store *s)
{
	sqlite3_stmt *st;
	const char *sql, *p, *q;
	int n = 0, commas;

	if (sqlite3_prepare_v2(store_sqlite(s), "SELECT sql FROM sqlite_schema "
	    "WHERE type = 'table' AND sql IS NOT NULL", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		sql = (const char *)sqlite3_column_text(st, 0);
		for (p = sql; (p = strcasestr(p, " IN")) != NULL; p += 3) {
			q = p + 3;
			while (*q == ' ' || *q == '\t' || *q == '\n')
				q++;
			if (*q != '(')
				continue;
			for (commas = 0; *q && *q != ')'; q++)
				commas += *q == ',';
			n += commas >= 2;
		}
	}
	sqlite3_finalize(st);
	return n;
}

/* Whether the connection's plan for sql builds a temporary B-tree. */
static int
plans_ephemeral(sqlite3 *db, const char *sql)
{
	char ex[512];
	sqlite3_stmt *st;
	int found = 0;

	snprintf(ex, sizeof(ex), "EXPLAIN %s", sql);
	if (sqlite3_prepare_v2(db, ex, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW)
		found |= strcmp((const char *)sqlite3_column_text(st, 1),
		    "OpenEphemeral") == 0;
	sqlite3_finalize(st);
	return found;
}

static int
exec_rc(struct store *s, const char *sql)
{
	return sqlite3_exec(store_sqlite(s), sql, NULL, NULL, NULL) & 0xff;
}

static void
test_checks_rewritten_in_place(void)
{
	static const char upd[] = "UPDATE orders SET state = 'PAID', "
	    "paid_at = 2 WHERE id = 1";
	struct store *s, *other;
	struct err err;
	int applied, n11 = 0, version = 0;

	snprintf(path, sizeof(path), "%s/checks.db", dir);
	while (n11 < store_migration_count &&
	    store_migrations[n11].version <= 11)
		n11++;
	s = open_db(path);
	T_EQ_INT(store_migrate_with(s, store_migrations, n11, &applied,
	    &err), 0);
	T_EQ_INT(exec_rc(s, "INSERT INTO orders (order_no, openid, appid, "
	    "amount, currency, subject, state, expires_at, created_at, "
	    "updated_at) VALUES ('C1', 'o1', 'wx1', 100, 'HKD', 's', "
	    "'PENDING', 9, 1, 1)"), SQLITE_OK);
	T_OK(in_lists(s) > 0);
	/* another connection that loaded the schema of 011 */
	other = open_db(path);
	T_EQ_INT(plans_ephemeral(store_sqlite(other), upd), 1);

	T_EQ_INT(store_migrate(s, &applied, &err), 0);
	T_EQ_INT(store_schema_version(s, &version, &err), 0);
	T_EQ_INT(version, store_migrations[store_migration_count - 1].version);
	T_EQ_INT(in_lists(s), 0);
	/* both connections now run the rewritten checks (the other one
	 * reloads its schema at its next statement: the cookie moved) ... */
	T_EQ_INT(plans_ephemeral(store_sqlite(s), upd), 0);
	T_EQ_INT(scalar(other, "SELECT count(*) FROM orders"), 1);
	T_EQ_INT(plans_ephemeral(store_sqlite(other), upd), 0);
	/* ... which refuse and accept what the old ones did */
	T_EQ_INT(exec_rc(other, "UPDATE orders SET state = 'BOGUS' "
	    "WHERE id = 1"), SQLITE_CONSTRAINT);
	/* paid without paid_at */
	T_EQ_INT(exec_rc(other, "UPDATE orders SET state = 'PAID' "
	    "WHERE id = 1"), SQLITE_CONSTRAINT);
	T_EQ_INT(exec_rc(other, upd), SQLITE_OK);
	T_EQ_INT(exec_rc(other, "INSERT INTO order_events (order_id, source, "
	    "old_state, new_state, created_at) VALUES (1, 'notify', "
	    "'PENDING', 'SHIPPED', 3)"), SQLITE_CONSTRAINT);
	T_EQ_INT(exec_rc(other, "INSERT INTO order_events (order_id, source, "
	    "old_state, new_state, created_at) VALUES (1, 'notify', "
	    "'PENDING', 'PAID', 3)"), SQLITE_OK);
	T_EQ_INT(scalar(s, "SELECT count(*) FROM orders WHERE order_no = "
	    "'C1' AND state = 'PAID'"), 1);
	T_EQ_INT(scalar(s, "SELECT count(*) FROM pragma_integrity_check "
	    "WHERE integrity_check <> 'ok'"), 0);
	store_close(other);
	store_close(s);
}

/* A read on its own thread (test_readers_capped). */
struct borrower {
	struct store *s;
	struct sqlite3 *got;
	long long x;
};

static void *
borrow(void *arg)
{
	struct borrower *b = arg;

	b->x = scalar(b->s, "SELECT x FROM a");
	b->got = store_sqlite(b->s);
	return NULL;
}

static bool
in(struct sqlite3 *h, struct sqlite3 *const *set, int n)
{
	int found = 0, k;

	for (k = 0; k < n; k++)
		found += h == set[k];
	return found == 1;
}

/* A process opens at most STORE_READERS readers: a read that finds them
 * all borrowed waits for one to come back (it gets that one), and only
 * after store_reader_wait_ms opens one more, closed when given back. */
static void
test_readers_capped(void)
{
	enum { N = 20, CAP = STORE_READERS };
	struct store *s[N];
	struct sqlite3 *had[CAP];
	struct borrower b;
	pthread_t th;
	struct err err;
	int applied, i, open, waiting, saved = store_reader_wait_ms;

	snprintf(path, sizeof(path), "%s/pool.db", dir);
	s[0] = open_db(path);
	T_EQ_INT(store_migrate_with(s[0], v1, 1, &applied, &err), 0);
	for (i = 1; i < N; i++)
		T_OK((s[i] = open_db(path)) != NULL);
	for (i = 0; i < CAP; i++) {
		T_EQ_INT(scalar(s[i], "SELECT x FROM a"), 1);
		had[i] = store_sqlite(s[i]);
		T_OK(had[i] != NULL && !in(had[i], had, i));
	}
	store_readers(s[0], &open, &waiting);
	T_EQ_INT(open, CAP);
	/* all borrowed: the next read waits, then gets the one given back */
	store_reader_wait_ms = 60000;
	b = (struct borrower){.s = s[CAP]};
	T_EQ_INT(pthread_create(&th, NULL, borrow, &b), 0);
	for (i = 0; i < 10000 && waiting == 0; i++) {
		usleep(1000);
		store_readers(s[0], &open, &waiting);
	}
	T_EQ_INT(waiting, 1);
	T_OK(b.got == NULL);
	store_idle(s[5]);
	T_EQ_INT(pthread_join(th, NULL), 0);
	T_EQ_INT(b.x, 1);
	T_OK(b.got == had[5]);
	store_readers(s[0], &open, &waiting);
	T_EQ_INT(open, CAP);
	T_EQ_INT(waiting, 0);
	/* past the wait: one more is opened, and closed when given back */
	store_reader_wait_ms = 1;
	T_EQ_INT(scalar(s[CAP + 1], "SELECT x FROM a"), 1);
	T_OK(!in(store_sqlite(s[CAP + 1]), had, CAP));
	store_readers(s[0], &open, &waiting);
	T_EQ_INT(open, CAP + 1);
	store_idle(s[CAP + 1]);
	store_readers(s[0], &open, &waiting);
	T_EQ_INT(open, CAP);
	store_reader_wait_ms = saved;
	/* given back, the same connections serve every store */
	for (i = 0; i < N; i++)
		store_idle(s[i]);
	for (i = N - 1; i >= N - CAP; i--) {
		T_EQ_INT(scalar(s[i], "SELECT x FROM a"), 1);
		T_OK(in(store_sqlite(s[i]), had, CAP));
	}
	for (i = 0; i < N; i++)
		store_idle(s[i]);
	/* a commit of one store is seen by the next read of another */
	T_EQ_INT(store_begin(s[3], &err), 0);
	T_EQ_INT(store_exec(s[3], "UPDATE a SET x = 2", &err), 0);
	T_EQ_INT(scalar(s[3], "SELECT x FROM a"), 2);	/* on the writer */
	T_EQ_INT(scalar(s[7], "SELECT x FROM a"), 1);	/* not committed */
	store_idle(s[7]);
	T_EQ_INT(store_commit(s[3], &err), 0);
	T_EQ_INT(scalar(s[7], "SELECT x FROM a"), 2);
	for (i = 0; i < N; i++)
		store_close(s[i]);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	T_RUN(test_migrate_twice_changes_nothing);
	T_RUN(test_version1_upgrades_in_place);
	T_RUN(test_failed_migration_rolls_back);
	T_RUN(test_transactions);
	T_RUN(test_insert_id);
	T_RUN(test_group_commit);
	T_RUN(test_checks_rewritten_in_place);
	T_RUN(test_readers_capped);
	return t_done();
}
