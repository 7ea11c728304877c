/*
 * store_refund.c - the SQL of the refunds' query schedule
 * (sql/005_refund_checks.sql): which open refunds are due, the row a query
 * needs (its order number, its schedule), moving the schedule on.
 *
 * What it does not do: decide anything (refund.c, order.c do). Every
 * statement is a cached prepared statement (store_stmt); text columns are
 * copied out before the next step.
 */
#include <string.h>

#include <sqlite3.h>

#include "store_refund.h"
#include "store.h"

#define CHECK_COLS "r.id, r.refund_no, o.order_no, r.created_at, " \
	"r.check_attempts"

static void
check_row(sqlite3_stmt *st, struct refund_check *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, c->refund_no, sizeof(c->refund_no));
	store_col_copy(st, 2, c->order_no, sizeof(c->order_no));
	c->created_at = sqlite3_column_int64(st, 3);
	c->check_attempts = sqlite3_column_int64(st, 4);
}

int
store_refund_check_get(struct store *s, const char *refund_no,
    struct refund_check *c, struct err *err)
{
	sqlite3_stmt *st;
	int rc;

	st = store_stmt(s, "SELECT " CHECK_COLS " FROM refunds r JOIN orders o "
	    "ON o.id = r.order_id WHERE r.refund_no = ?", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, refund_no, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		check_row(st, c);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return err_set(err, E_NOTFOUND, "no refund");
	if (rc != SQLITE_ROW)
		return store_fail(s, err, "refund check get");
	return 0;
}

int
store_refund_due(struct store *s, int64_t now, int64_t created_before,
    struct refund_check *out, size_t max, size_t *n, struct err *err)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	/* one range scan per open state on refunds_state_check */
	st = store_stmt(s, "SELECT " CHECK_COLS " FROM refunds r JOIN orders o "
	    "ON o.id = r.order_id WHERE r.state IN ('CREATED', 'PENDING', "
	    "'UNKNOWN') AND r.next_check_at <= ? AND r.created_at <= ? "
	    "ORDER BY r.next_check_at, r.id LIMIT ?", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, created_before);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
		check_row(st, &out[(*n)++]);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(s, err, "refund due");
	return 0;
}

int
store_refund_schedule(struct store *s, int64_t id, int64_t last_query_at,
    int64_t next_check_at, int64_t attempts, struct err *err)
{
	sqlite3_stmt *st;

	st = store_stmt(s, "UPDATE refunds SET last_query_at = ?, "
	    "next_check_at = ?, check_attempts = ? WHERE id = ?", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, last_query_at);
	sqlite3_bind_int64(st, 2, next_check_at);
	sqlite3_bind_int64(st, 3, attempts);
	sqlite3_bind_int64(st, 4, id);
	return store_step_done(s, st, E_STORE, "refund schedule", err);
}
