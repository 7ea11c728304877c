/*
 * store_refund.c - the SQL of refunds (sql/003_orders.sql,
 * sql/005_refund_checks.sql): the row and its state, what an order has in
 * flight, which open refunds are due, the row a query needs (its order
 * number, its schedule), moving the schedule on.
 *
 * What it does not do: decide anything (refund.c, order.c do). Every
 * statement is a cached prepared statement (store_stmt); text columns are
 * copied out before the next step.
 */
#include <string.h>

#include "store_refund.h"
#include "store.h"

#define CHECK_COLS "r.id, r.refund_no, o.order_no, r.created_at, " \
	"r.check_attempts, r.next_check_at, r.order_id, r.state"

static void
check_row(struct db_stmt *st, struct refund_check *c)
{
	memset(c, 0, sizeof(*c));
	c->id = db_col_int64(st, 0);
	store_col_copy(st, 1, c->refund_no, sizeof(c->refund_no));
	store_col_copy(st, 2, c->order_no, sizeof(c->order_no));
	c->created_at = db_col_int64(st, 3);
	c->check_attempts = db_col_int64(st, 4);
	c->next_check_at = db_col_int64(st, 5);
	c->order_id = db_col_int64(st, 6);
	store_col_copy(st, 7, c->state, sizeof(c->state));
}

static int
check_row_copy(struct db_stmt *st, void *dst, struct err *err)
{
	(void)err;
	check_row(st, dst);
	return 0;
}

int
store_refund_check_get(struct store *s, const char *refund_no,
    struct refund_check *c, struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "SELECT " CHECK_COLS " FROM refunds r JOIN orders o "
	    "ON o.id = r.order_id WHERE r.refund_no = ?", err);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, refund_no);
	return store_step_row(s, st, check_row_copy, c, "refund", err);
}

int
store_refund_due(struct store *s, int64_t now, int64_t created_before,
    struct refund_check *out, size_t max, size_t *n, struct err *err)
{
	struct db_stmt *st;
	int rc;

	*n = 0;
	/* one range scan per open state on refunds_state_check */
	st = store_stmt(s, "SELECT " CHECK_COLS " FROM refunds r JOIN orders o "
	    "ON o.id = r.order_id WHERE r.state IN ('CREATED', 'PENDING', "
	    "'UNKNOWN') AND r.next_check_at <= ? AND r.created_at <= ? "
	    "ORDER BY r.next_check_at, r.id LIMIT ?", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, created_before);
	db_bind_int64(st, 3, (int64_t)max);
	while ((rc = db_step(st)) == DB_ROW && *n < max)
		check_row(st, &out[(*n)++]);
	db_reset(st);
	if (rc != DB_DONE && rc != DB_ROW)
		return store_fail(s, err, "refund due");
	return 0;
}

int
store_refund_schedule(struct store *s, int64_t id, int64_t last_query_at,
    int64_t next_check_at, int64_t attempts, struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "UPDATE refunds SET last_query_at = ?, "
	    "next_check_at = ?, check_attempts = ? WHERE id = ?", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, last_query_at);
	db_bind_int64(st, 2, next_check_at);
	db_bind_int64(st, 3, attempts);
	db_bind_int64(st, 4, id);
	return store_step_done(s, st, E_STORE, "refund schedule", err);
}

static int
refund_row(struct db_stmt *st, void *dst, struct err *err)
{
	struct refund *r = dst;
	char state[32];

	memset(r, 0, sizeof(*r));
	r->id = db_col_int64(st, 0);
	store_col_copy(st, 1, r->refund_no, sizeof(r->refund_no));
	r->order_id = db_col_int64(st, 2);
	store_col_copy(st, 3, state, sizeof(state));
	r->amount = db_col_int64(st, 4);
	store_col_copy(st, 5, r->currency, sizeof(r->currency));
	if (refund_state_parse(state, &r->state) == -1)
		return err_set(err, E_INTERNAL, "refund %lld: bad state",
		    (long long)r->id);
	return 0;
}

int
store_refund_get(struct store *s, const char *refund_no, struct refund *r,
    struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "SELECT id, refund_no, order_id, state, amount, "
	    "currency FROM refunds WHERE refund_no = ?", err);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, refund_no);
	return store_step_row(s, st, refund_row, r, "refund", err);
}

int
store_refund_update(struct store *s, int64_t id, const char *state,
    const char *provider_ref, const char *error_code, const char *error_msg,
    int64_t now, struct err *err)
{
	struct db_stmt *st;

	st = store_stmt(s, "UPDATE refunds SET state = ?, "
	    "provider_ref = COALESCE(?, provider_ref), "
	    "error_code = COALESCE(?, error_code), "
	    "error_msg = COALESCE(?, error_msg), updated_at = ? "
	    "WHERE id = ?", err);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, state);
	store_bind_text_or_null(st, 2, provider_ref);
	store_bind_text_or_null(st, 3, error_code);
	store_bind_text_or_null(st, 4, error_msg);
	db_bind_int64(st, 5, now);
	db_bind_int64(st, 6, id);
	return store_step_done(s, st, E_STORE, "refund update", err);
}

int
store_refund_in_flight(struct store *s, int64_t order_id, int64_t *in_flight,
    struct err *err)
{
	static const char sql[] = "SELECT coalesce(sum(amount), 0) FROM "
	    "refunds WHERE order_id = ?1 AND state IN ('CREATED', 'PENDING', "
	    "'UNKNOWN')";
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, order_id);
	rc = db_step(st);
	if (rc == DB_ROW)
		*in_flight = db_col_int64(st, 0);
	db_reset(st);
	if (rc != DB_ROW)
		return store_fail(s, err, "admin_refundable");
	return 0;
}

int
store_refund_open_nos(struct store *s, int64_t order_id, char (*nos)[33],
    size_t max, size_t *n, struct err *err)
{
	static const char sql[] = "SELECT refund_no FROM refunds WHERE "
	    "order_id = ?1 AND state IN ('CREATED', 'PENDING', 'UNKNOWN') "
	    "ORDER BY id";
	struct db_stmt *st = store_stmt(s, sql, err);
	int rc;

	*n = 0;
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, order_id);
	while ((rc = db_step(st)) == DB_ROW && *n < max)
		store_col_copy(st, 0, nos[(*n)++], 33);
	db_reset(st);
	if (rc != DB_DONE && rc != DB_ROW)
		return store_fail(s, err, "admin_refunds_open");
	return 0;
}

int
store_refund_insert(struct store *s, const char *refund_no,
    int64_t order_id, int64_t amount, const char *currency,
    const char *reason, const char *admin, int64_t now, int64_t *id,
    struct err *err)
{
	static const struct db_sql sql = STORE_INSERT_ID("INSERT INTO refunds "
	    "(refund_no, order_id, amount, currency, state, reason, admin, "
	    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'CREATED', ?5, "
	    "?6, ?7, ?7)");
	struct db_stmt *st = store_stmt_pick(s, &sql, err);

	if (st == NULL)
		return -1;
	store_bind_text_or_empty(st, 1, refund_no);
	db_bind_int64(st, 2, order_id);
	db_bind_int64(st, 3, amount);
	store_bind_text_or_empty(st, 4, currency);
	store_bind_text_or_empty(st, 5, reason);
	store_bind_text_or_empty(st, 6, admin);
	db_bind_int64(st, 7, now);
	return store_step_id(s, st, E_CONFLICT, "admin_refund_insert", id,
	    err);
}
