/*
 * sim_serve.c - h5pay-sim's process: keys, the route table, the FastCGI
 * threads and the notifier thread.
 *
 * The FastCGI threads are h5payd's (serve_run() in serve.c: poll with a
 * wake pipe, non-blocking accept, SIGTERM drain) with the sim's hooks: its
 * own per-thread app (the sim's database, an HTTPS client for
 * notifications), its body cap, and a dispatch that applies the fault
 * switches to every route but /sim/control before the handler runs.
 * SIGINT stops it as SIGTERM does (it is run from a terminal too).
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "httpc.h"
#include "lim.h"
#include "log.h"
#include "serve.h"
#include "sim.h"
#include "store.h"
#include "util.h"

/* longer than a notification's http_timeout_ms, which a request may wait */
#define SIM_DRAIN_SEC 30

const struct route sim_routes[] = {
	{"POST", "/api", sim_api_post, R_WEB},
	{"GET", "/connect/oauth2/authorize", sim_oauth_authorize, R_WEB},
	{"GET", "/sns/oauth2/access_token", sim_oauth_token, R_WEB},
	{"GET", "/sim/jsbridge.js", sim_pay_js, R_WEB},
	{"POST", "/sim/pay/check", sim_pay_check, R_WEB},
	{"OPTIONS", "/sim/pay/check", sim_pay_options, R_WEB},
	{"POST", "/sim/pay/confirm", sim_pay_confirm, R_WEB},
	{"OPTIONS", "/sim/pay/confirm", sim_pay_options, R_WEB},
	{"POST", "/sim/control", sim_control_post, R_WEB},
	{"GET", "/sim/control", sim_control_get, R_WEB},
	{"GET", "/sim/api/transactions", sim_inspect_txns, R_WEB},
	{"GET", "/sim/api/refunds", sim_inspect_refunds, R_WEB},
	{"GET", "/sim/api/notifications", sim_inspect_notifs, R_WEB},
	{"GET", "/sim/api/oauth", sim_inspect_oauth, R_WEB},
	{"GET", "/sim/", sim_inspect_page, R_WEB},
	{"GET", "/sim/healthz", sim_health, R_WEB},
};

const size_t sim_route_count = sizeof(sim_routes) / sizeof(sim_routes[0]);

int64_t
sim_clock_now(void *ctx)
{
	(void)ctx;
	return now_ms();
}

int
sim_init(struct sim *sim, struct err *err)
{
	struct sim_cfg *c = &sim->cfg;

	pthread_mutex_init(&sim->mu, NULL);
	pthread_cond_init(&sim->wake, NULL);
	if (c->md5_key_file && (sim->md5_key = cfg_read_secret(c->md5_key_file,
	    "md5_key_file", LIM_SIM_SECRET, err)) == NULL)
		return -1;
	if (c->merchant_public_key_file && (sim->merchant_pub =
	    sign_key_load_public(c->merchant_public_key_file, err)) == NULL)
		return -1;
	if (c->provider_private_key_file && (sim->provider_priv =
	    sign_key_load_private(c->provider_private_key_file, err)) == NULL)
		return -1;
	if ((sim->wechat_priv = sign_key_load_private(
	    c->wechat_private_key_file, err)) == NULL)
		return -1;
	if ((sim->wechat_secret = cfg_read_secret(c->wechat_secret_file,
	    "wechat_secret_file", LIM_SIM_SECRET, err)) == NULL)
		return -1;
	/* what httpc_curl_new reads: https only, verified against the CA */
	sim->hcfg.http_ca_file = c->http_ca_file;
	sim->hcfg.http_connect_timeout_ms = c->http_connect_timeout_ms;
	sim->hcfg.http_timeout_ms = c->http_timeout_ms;
	sim->hcfg.http_max_response_bytes = 64 * 1024;
	sim->hcfg.http_allow_plain = false;
	return 0;
}

void
sim_cleanup(struct sim *sim)
{
	secret_free(sim->md5_key);
	secret_free(sim->wechat_secret);
	sign_key_free(sim->merchant_pub);
	sign_key_free(sim->provider_priv);
	sign_key_free(sim->wechat_priv);
	sim->md5_key = sim->wechat_secret = NULL;
	sim->merchant_pub = sim->provider_priv = sim->wechat_priv = NULL;
	pthread_mutex_destroy(&sim->mu);
	pthread_cond_destroy(&sim->wake);
}

int
sim_health(struct app *app, struct req *r, struct resp *w, struct err *err)
{
	int version = 0;

	if (store_ping(app->store, &version, err) == -1)
		return -1;
	resp_text(w, 200, "application/json", "{\"status\":\"ok\"}");
	return 0;
}

/* Every thread's app: the sim's context, database and HTTPS client. */
static int
sim_thread_init(struct app *app, const struct serve_opts *o, struct err *err)
{
	struct sim *sim = o->ctx;
	struct store_opts so = {"NORMAL", 5000, false};

	memset(app, 0, sizeof(*app));
	app->ext = sim;
	app->pool = POOL_WEB;
	app->clock.now_ms = sim_clock_now;
	app->rng.bytes = random_bytes;
	if (store_open(&app->store, sim->cfg.db_path, &so, err) == -1)
		return -1;
	if ((app->httpc = httpc_curl_new(&sim->hcfg, err)) == NULL) {
		store_close(app->store);
		app->store = NULL;
		return -1;
	}
	return 0;
}

static void
sim_dispatch(struct app *app, const struct serve_opts *o, struct req *r,
    struct resp *w)
{
	if (!sim_fault_before(sim_of(app), r->path, w))
		route_dispatch(o->routes, o->nroutes, o->pool, app, r, w);
}

/* Wakes the notifier and every request that waits on purpose (hangs). */
static void
sim_stop(void *ctx)
{
	struct sim *sim = ctx;

	sim->stopping = 1;
	sim_notifier_kick(sim);
}

int
sim_serve(struct sim *sim, int listen_fd)
{
	struct serve_opts o;
	pthread_t notifier;
	int rc;

	memset(&o, 0, sizeof(o));
	o.pool = POOL_WEB;
	o.listen_fd = listen_fd;
	o.threads = (int)sim->cfg.threads;
	o.ready_fd = -1;
	o.routes = sim_routes;
	o.nroutes = sim_route_count;
	o.body_cap = LIM_SIM_BODY;
	o.drain_timeout_sec = SIM_DRAIN_SEC;
	o.sigint_drains = true;
	o.ctx = sim;
	o.thread_init = sim_thread_init;
	o.dispatch = sim_dispatch;
	o.on_drain = sim_stop;
	if (pthread_create(&notifier, NULL, sim_notifier_main, sim) != 0)
		return 1;
	log_info("sim", "ready", "threads=%d", o.threads);
	rc = serve_run(&o);
	sim_stop(sim);	/* again, in case serve_run() failed to start */
	pthread_join(notifier, NULL);
	log_info("sim", "stopped", "pid=%d", (int)getpid());
	return rc;
}
