/*
 * store_dev.c - synthetic orders for benchmarks (`h5pay dev-fill`): n
 * orders spread over `days` days, deterministic (xorshift), in batches.
 * Never called by the daemon.
 */
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_dev.h"

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int
dev_fill_one(struct store *s, int64_t i, int64_t days, int64_t now,
    const char *cur, uint64_t *rng, struct err *err)
{
	static const struct db_sql sql_o = STORE_INSERT_ID("INSERT INTO orders "
	    "(order_no, openid, appid, amount, currency, subject, state, "
	    "provider_ref, expires_at, paid_at, created_at, updated_at) "
	    "VALUES (?1, ?2, '127.0.0.1', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	    "?10)");
	static const char sql_i[] = "INSERT INTO order_items (order_id, sku, "
	    "name, unit_price, qty, line_amount) VALUES (?1, ?2, ?3, ?4, 1, "
	    "?4)";
	static const char sql_e[] = "INSERT INTO order_events (order_id, "
	    "source, old_state, new_state, result_code, created_at) VALUES "
	    "(?1, 'notify', 'PENDING', ?2, ?3, ?4)";
	static const char *const st[] = { "PAID", "PAID", "PAID", "PAID",
		"PAID", "PAID", "CLOSED", "CLOSED", "PENDING", "FAILED" };
	struct db_stmt *q;
	char no[40], openid[40], sku[16], name[48];
	uint64_t r = xorshift(rng);
	int64_t created = now - days * 86400 + (int64_t)((uint64_t)i *
	    (uint64_t)(days * 86400) / 1000003 % (uint64_t)(days * 86400));
	int64_t amount = 100 + (int64_t)(r % 99900), oid;
	const char *state = st[r / 7 % 10];
	bool paid = strcmp(state, "PAID") == 0;

	snprintf(no, sizeof(no), "DEV%012lld", (long long)i);
	snprintf(openid, sizeof(openid), "oDev%020llu",
	    (unsigned long long)(r / 131 % 5000));
	snprintf(sku, sizeof(sku), "SKU%llu", (unsigned long long)(r % 50));
	snprintf(name, sizeof(name), "Product %llu",
	    (unsigned long long)(r % 50));
	if ((q = store_stmt_pick(s, &sql_o, err)) == NULL)
		return -1;
	store_bind_text_or_empty(q, 1, no);
	store_bind_text_or_empty(q, 2, openid);
	db_bind_int64(q, 3, amount);
	store_bind_text_or_empty(q, 4, cur);
	store_bind_text_or_empty(q, 5, name);
	store_bind_text_or_empty(q, 6, state);
	store_bind_text_or_empty(q, 7, no);
	db_bind_int64(q, 8, created + 900);
	if (paid)
		db_bind_int64(q, 9, created + 60);
	else
		db_bind_null(q, 9);
	db_bind_int64(q, 10, created);
	if (store_step_id(s, q, E_CONFLICT, "dev_fill order", &oid, err) ==
	    -1)
		return -1;
	if ((q = store_stmt(s, sql_i, err)) == NULL)
		return -1;
	db_bind_int64(q, 1, oid);
	store_bind_text_or_empty(q, 2, sku);
	store_bind_text_or_empty(q, 3, name);
	db_bind_int64(q, 4, amount);
	if (store_step_done(s, q, E_CONFLICT, "dev_fill item", err) == -1)
		return -1;
	if (strcmp(state, "PENDING") == 0)
		return 0;
	if ((q = store_stmt(s, sql_e, err)) == NULL)
		return -1;
	db_bind_int64(q, 1, oid);
	store_bind_text_or_empty(q, 2, state);
	store_bind_text_or_empty(q, 3, paid ? "succeed" :
	    strcmp(state, "FAILED") == 0 ? "failed" : "closed");
	db_bind_int64(q, 4, created + 60);
	return store_step_done(s, q, E_CONFLICT, "dev_fill event", err);
}

int
store_dev_fill(struct store *s, int64_t n, int64_t days, int64_t now,
    const char *cur, struct err *err)
{
	static const struct db_sql sql_max = {
		.sqlite = "SELECT coalesce(max(CAST(substr(order_no, 4) AS "
		    "INTEGER)), 0) FROM orders WHERE order_no GLOB "
		    "'DEV[0-9]*'",
		.pg = "SELECT coalesce(max(CAST(substring(order_no FROM "
		    "'^DEV([0-9]+)') AS BIGINT)), 0) FROM orders WHERE "
		    "order_no ~ '^DEV[0-9]'",
	};
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	struct db_stmt *q;
	int64_t i, start = 0;

	if ((q = store_stmt(s, db_sql_pick(store_db(s), &sql_max), err)) ==
	    NULL)
		return -1;
	if (db_step(q) == DB_ROW)
		start = db_col_int64(q, 0);
	db_reset(q);
	/* back-dated rows: the cached figures of closed days are void */
	if (store_exec(s, "DELETE FROM admin_stats_days", err) == -1)
		return -1;
	for (i = 1; i <= n; i++) {
		if ((i - 1) % 10000 == 0 && store_begin(s, err) == -1)
			return -1;
		if (dev_fill_one(s, start + i, days, now, cur, &rng,
		    err) == -1) {
			store_rollback(s);
			return -1;
		}
		if ((i % 10000 == 0 || i == n) && store_commit(s, err) == -1)
			return -1;
	}
	return 0;
}
