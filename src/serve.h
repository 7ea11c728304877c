/*
 * serve.h - one worker process: T threads accepting FastCGI requests on
 * one listening socket, until SIGTERM asks it to drain.
 *
 * h5payd's workers use it as is; another FastCGI program on the same core
 * (h5pay-sim) fills the hooks at the end of struct serve_opts.
 */
#ifndef H5PAY_SERVE_H
#define H5PAY_SERVE_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "err.h"
#include "req.h"
#include "route.h"

struct serve_opts {
	const struct cfg *cfg;	/* h5payd's; NULL if the hooks replace it */
	const struct keys *keys;
	enum pool pool;
	int listen_fd;		/* non-blocking listening socket */
	int threads;
	int ready_fd;		/* written once when all threads serve; -1 */
	const struct route *routes;
	size_t nroutes;

	/* Zero/NULL: h5payd's behaviour, read from cfg. */
	size_t body_cap;	/* request body cap; 0: by pool, from cfg */
	int drain_timeout_sec;	/* 0: cfg->drain_timeout_sec */
	bool sigint_drains;	/* SIGINT drains like SIGTERM; else ignored */
	void *ctx;		/* the program's own context, for the hooks */
	/*
	 * Set up this thread's app; NULL: app_thread_init(). The app is
	 * released with app_thread_cleanup() (its store and httpc); on -1
	 * the hook has released everything itself.
	 */
	int (*thread_init)(struct app *, const struct serve_opts *,
	    struct err *);
	/* Serve one parsed request; NULL: route_dispatch() over routes. */
	void (*dispatch)(struct app *, const struct serve_opts *,
	    struct req *, struct resp *);
	/* Called once when the drain begins, before busy threads are
	 * waited for (e.g. to wake requests that sleep on purpose). */
	void (*on_drain)(void *ctx);
};

/*
 * Serve until SIGTERM (or SIGUSR2: serve what is still queued first),
 * then let in-flight requests finish (at most the drain timeout, else
 * _exit(2)) and return the process exit status: 0, or 1 when set-up
 * failed before any thread started. A thread whose app cannot be set up
 * makes the process _exit(1). Once per process; installs its own signal
 * handlers before FCGX_Init() (libfcgi otherwise installs its own).
 */
int serve_run(const struct serve_opts *);

/*
 * serve_run() in a worker freshly forked by h5payd's supervisor: the
 * worker also gets SIGTERM when the supervisor dies.
 */
int serve_worker(const struct serve_opts *);

#endif
