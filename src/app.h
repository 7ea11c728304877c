/*
 * app.h - what every handler gets: the configuration, this thread's
 * database connection and HTTP client, the loaded keys, and the injected
 * clock and random source (so tests are deterministic).
 *
 * One struct app per worker thread; cfg and keys are shared read-only.
 */
#ifndef H5PAY_APP_H
#define H5PAY_APP_H

#include <stddef.h>
#include <stdint.h>

struct cfg;
struct store;
struct httpc;
struct keys;

enum pool {
	POOL_WEB = 1, POOL_NOTIFY = 2, POOL_TASKS = 4,
	POOL_EVENTS = 8		/* the merchant-event delivery child */
};

struct app_clock {
	int64_t (*now_ms)(void *ctx);	/* wall clock, ms since epoch */
	void *ctx;
};

struct app_rng {
	/* fill buf with n random bytes; 0 or -1 */
	int (*bytes)(void *ctx, unsigned char *buf, size_t n);
	void *ctx;
};

struct app {
	const struct cfg *cfg;
	struct store *store;		/* this thread's connection */
	struct httpc *httpc;		/* this thread's client (may be NULL) */
	const struct keys *keys;	/* signing keys, loaded at start-up */
	struct app_clock clock;
	struct app_rng rng;
	enum pool pool;
	void *ext;			/* a program's own context (h5pay-sim) */
};

static inline int64_t
app_now_ms(const struct app *a)
{
	return a->clock.now_ms(a->clock.ctx);
}

static inline int64_t
app_now_s(const struct app *a)
{
	return a->clock.now_ms(a->clock.ctx) / 1000;
}

static inline int
app_random(const struct app *a, void *buf, size_t n)
{
	return a->rng.bytes(a->rng.ctx, buf, n);
}



struct err;

/*
 * Per-thread set-up of a worker thread's app (called after fork(), in the
 * thread that will use it): opens this thread's database connection and
 * HTTP client. cfg and keys must outlive the app.
 */
int app_thread_init(struct app *, const struct cfg *, const struct keys *,
    enum pool, struct err *);
void app_thread_cleanup(struct app *);
/*
 * The thread is about to wait (for the next request, or for a batch): its
 * database reader goes back to the process's pool (store_idle; before an
 * outbound call httpc's idle hook does the same).
 */
void app_idle(struct app *);
#endif
