/*
 * serve.h - one worker process: T threads accepting FastCGI requests on
 * one listening socket, until SIGTERM asks it to drain.
 */
#ifndef H5PAY_SERVE_H
#define H5PAY_SERVE_H

#include <stddef.h>

#include "app.h"
#include "route.h"

struct serve_opts {
	const struct cfg *cfg;
	const struct keys *keys;
	enum pool pool;
	int listen_fd;		/* non-blocking listening socket */
	int threads;
	int ready_fd;		/* written once when all threads serve; -1 */
	const struct route *routes;
	size_t nroutes;
};

/*
 * Serve until SIGTERM, then let in-flight requests finish (at most
 * cfg->drain_timeout_sec) and return the process exit status.
 * Must run in a freshly forked child; installs its own signal handlers
 * before FCGX_Init() (libfcgi otherwise installs its own).
 */
int serve_worker(const struct serve_opts *);

#endif
