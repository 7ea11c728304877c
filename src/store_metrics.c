/*
 * store_metrics.c - the database gauges of GET /metrics: read-only
 * queries, one snapshot (a read transaction) for all of them.
 *
 * What it does not do: write, or hold anything across calls but the
 * cached statements.
 */
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "metrics.h"
#include "store.h"
#include "store_metrics.h"

static const char *const open_states[3] = {"CREATED", "PENDING",
    "UNKNOWN"};

static int
state_slot(const char *s)
{
	int i;

	for (i = 0; i < 3; i++)
		if (strcmp(s, open_states[i]) == 0)
			return i;
	return -1;
}

/* Rows of (state, count, oldest created_at) into counts[] and the oldest
 * UNKNOWN / any age. */
static int
by_state(struct store *s, const char *sql, int64_t now, int64_t counts[3],
    int64_t *oldest_any, int64_t *oldest_unknown, struct err *err)
{
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc, i;

	if (st == NULL)
		return -1;
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t age = now - db_col_int64(st, 2);

		if ((i = state_slot(store_col_text(st, 0))) == -1)
			continue;
		counts[i] = db_col_int64(st, 1);
		if (age < 0)
			age = 0;
		if (oldest_any && age > *oldest_any)
			*oldest_any = age;
		if (i == 2)
			*oldest_unknown = age;
	}
	if (rc != DB_DONE)
		return store_stmt_fail(s, st, err, "metrics");
	db_reset(st);
	return 0;
}

static int
scalar(struct store *s, const char *sql, int64_t arg, int64_t *v,
    struct err *err)
{
	struct db_stmt *st = store_stmt(s, sql, err);

	if (st == NULL)
		return -1;
	if (strchr(sql, '?'))
		db_bind_int64(st, 1, arg);
	if (db_step(st) != DB_ROW)
		return store_stmt_fail(s, st, err, "metrics");
	*v = db_col_int64(st, 0);
	db_reset(st);
	return 0;
}

static int64_t
file_size(const char *path, const char *suffix)
{
	struct buf b;
	struct stat sb;
	int64_t n = 0;

	if (path == NULL)	/* PostgreSQL: no file of ours */
		return 0;
	buf_init(&b, 8192);
	if (buf_printf(&b, "%s%s", path, suffix) == 0 &&
	    stat(buf_str(&b), &sb) == 0)
		n = (int64_t)sb.st_size;
	buf_cleanup(&b);
	return n;
}

int
store_metrics_read(struct store *s, const char *db_path, int64_t now,
    struct metrics_db *out, struct err *err)
{
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (store_exec(s, "BEGIN", err) == -1)
		return -1;
	if (by_state(s, "SELECT state, COUNT(*), MIN(created_at) FROM orders "
	    "WHERE state IN ('CREATED', 'PENDING', 'UNKNOWN') GROUP BY state",
	    now, out->orders_open, &out->oldest_open_age,
	    &out->oldest_unknown_age, err) == -1 ||
	    by_state(s, "SELECT state, COUNT(*), MIN(created_at) FROM refunds "
	    "WHERE state IN ('CREATED', 'PENDING', 'UNKNOWN') GROUP BY state",
	    now, out->refunds_open, NULL, &out->oldest_unknown_refund_age,
	    err) == -1 ||
	    scalar(s, "SELECT COUNT(*) FROM orders WHERE (state = 'CREATED' "
	    "OR state = 'PENDING' OR state = 'UNKNOWN') AND next_check_at "
	    "<= ?1",
	    now, &out->reconcile_due, err) == -1 ||
	    scalar(s, "SELECT COUNT(*) FROM anomalies WHERE resolved_at IS "
	    "NULL", 0, &out->anomalies_open, err) == -1 ||
	    scalar(s, "SELECT COUNT(*) FROM outbox WHERE state IN "
	    "('pending', 'sending')", 0, &out->outbox_backlog, err) == -1 ||
	    scalar(s, "SELECT coalesce(?1 - MIN(created_at), 0) FROM outbox "
	    "WHERE state IN ('pending', 'sending')", now,
	    &out->outbox_oldest_age, err) == -1 ||
	    scalar(s, "SELECT COUNT(*) FROM outbox WHERE state = 'failed'", 0,
	    &out->outbox_failed, err) == -1)
		goto out;
	out->db_bytes = file_size(db_path, "");
	out->wal_bytes = file_size(db_path, "-wal");
	rc = 0;
out:
	store_exec(s, "COMMIT", NULL);
	return rc;
}
