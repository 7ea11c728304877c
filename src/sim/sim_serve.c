/*
 * sim_serve.c - h5pay-sim's process: keys, the route table, the FastCGI
 * threads and the notifier thread.
 *
 * Accepting follows serve.c: the listening socket is non-blocking, each
 * thread polls it with a wake pipe and calls FCGX_Accept_r (which returns
 * -EAGAIN when another thread won), so SIGTERM stops idle threads at once
 * and busy ones finish their request. The fault switches apply to every
 * route but /sim/control, before the handler runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "httpc.h"
#include "log.h"
#include "sim.h"
#include "store.h"
#include "util.h"

#define LIM_SIM_BODY (64 * 1024)
#define LIM_SIM_SECRET 4096

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

static int wake_pipe[2] = {-1, -1};
static volatile sig_atomic_t draining;

int64_t
sim_clock_now(void *ctx)
{
	(void)ctx;
	return now_ms();
}

static void
on_term(int sig)
{
	int saved = errno;

	(void)sig;
	draining = 1;
	if (wake_pipe[1] != -1 && write(wake_pipe[1], "x", 1) < 0) {
		/* already woken */
	}
	errno = saved;
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

struct sim_thread {
	pthread_t tid;
	struct sim *sim;
	int fd;
	int ok;
};

static void
serve_one(struct app *app, FCGX_Request *fr)
{
	struct sim *sim = sim_of(app);
	struct req r;
	struct resp w;
	struct err err;

	req_init(&r, LIM_SIM_BODY);
	resp_init(&w);
	err_clear(&err);
	if (req_fcgx_read(&r, fr, &err) == -1 || req_prepare(&r, &err) == -1) {
		r.request_id = "-";
		resp_error(&w, &r, &err);
	} else {
		log_set_rid(r.request_id);
		if (!sim_fault_before(sim, r.path, &w))
			route_dispatch(sim_routes, sim_route_count, POOL_WEB,
			    app, &r, &w);
	}
	if (req_fcgx_send(&w, fr) == -1)
		log_info("http", "client_gone", "path=%s", r.path);
	log_debug("http", "done", "method=%s path=%s status=%d", r.method,
	    r.path, w.status);
	log_set_rid(NULL);
	resp_cleanup(&w);
	req_cleanup(&r);
}

static void *
sim_thread_main(void *arg)
{
	struct sim_thread *t = arg;
	struct store_opts so = {"NORMAL", 5000, false};
	FCGX_Request fr;
	struct app app;
	struct err err;
	int rc;

	memset(&app, 0, sizeof(app));
	app.ext = t->sim;
	app.pool = POOL_WEB;
	app.clock.now_ms = sim_clock_now;
	app.rng.bytes = random_bytes;
	if (store_open(&app.store, t->sim->cfg.db_path, &so, &err) == -1 ||
	    (app.httpc = httpc_curl_new(&t->sim->hcfg, &err)) == NULL) {
		log_error("sim", "thread_init", "msg=\"%s\"", err.msg);
		store_close(app.store);
		return NULL;
	}
	FCGX_InitRequest(&fr, t->fd, FCGI_FAIL_ACCEPT_ON_INTR);
	while (!draining) {
		struct pollfd p[2] = {
			{.fd = t->fd, .events = POLLIN},
			{.fd = wake_pipe[0], .events = POLLIN},
		};

		if (poll(p, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		rc = FCGX_Accept_r(&fr);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR)
			continue;
		if (rc < 0) {
			log_warn("sim", "accept", "rc=%d", rc);
			usleep(10000);
			continue;
		}
		serve_one(&app, &fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 0);
	httpc_free(app.httpc);
	store_close(app.store);
	return NULL;
}

int
sim_serve(struct sim *sim, int listen_fd)
{
	struct sim_thread *th;
	struct sigaction sa;
	pthread_t notifier;
	int i, n = (int)sim->cfg.threads;

	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	if (FCGX_Init() != 0)
		return 1;
	if (pthread_create(&notifier, NULL, sim_notifier_main, sim) != 0)
		return 1;
	th = xcalloc((size_t)n, sizeof(*th));
	for (i = 0; i < n; i++) {
		th[i].sim = sim;
		th[i].fd = listen_fd;
		if (pthread_create(&th[i].tid, NULL, sim_thread_main, &th[i]))
			abort();
	}
	log_info("sim", "ready", "threads=%d", n);
	for (;;) {
		struct pollfd p = {.fd = wake_pipe[0], .events = POLLIN};

		if (poll(&p, 1, -1) == 1 || draining)
			break;
	}
	sim->stopping = 1;
	sim_notifier_kick(sim);
	for (i = 0; i < n; i++)
		pthread_join(th[i].tid, NULL);
	pthread_join(notifier, NULL);
	free(th);
	log_info("sim", "stopped", "pid=%d", (int)getpid());
	return 0;
}
