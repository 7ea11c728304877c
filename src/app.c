/*
 * app.c - set-up and tear-down of the per-thread struct app.
 * The real clock and random source live here; tests build their own app.
 */
#include <string.h>

#include "app.h"
#include "cfg.h"
#include "httpc.h"
#include "store.h"
#include "util.h"

static int64_t
app_real_now_ms(void *ctx)
{
	(void)ctx;
	return now_ms();
}

/* httpc's idle hook: no reader is held through a peer's time (a process
 * has STORE_READERS of them, store_tx.c). */
static void
app_store_idle(void *store)
{
	store_idle(store);
}

int
app_thread_init(struct app *a, const struct cfg *cfg, const struct keys *keys,
    enum pool pool, struct err *err)
{
	struct store_opts so = {
		.synchronous = cfg->db_synchronous,
		.busy_timeout_ms = (int)cfg->db_busy_timeout_ms,
		.readonly = false,
	};

	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->keys = keys;
	a->pool = pool;
	a->clock.now_ms = app_real_now_ms;
	a->rng.bytes = random_bytes;
	/* the notify pool's threads lead its write batches: every statement
	 * of a notification runs on one of them (db_sqlite_mem.c) */
	if (pool == POOL_NOTIFY)
		db_sqlite_mem_thread_cache();
	if (store_open_cfg(&a->store, cfg, &so, err) == -1)
		return -1;
	if ((a->httpc = httpc_curl_new(cfg, err)) == NULL) {
		store_close(a->store);
		a->store = NULL;
		return -1;
	}
	a->httpc->idle = app_store_idle;
	a->httpc->idle_ctx = a->store;
	return 0;
}

void
app_idle(struct app *a)
{
	store_idle(a->store);
}

void
app_thread_cleanup(struct app *a)
{
	store_close(a->store);
	a->store = NULL;
	httpc_free(a->httpc);
	a->httpc = NULL;
}
