/*
 * serve.c - the worker process: accept loop, per-thread app, drain.
 *
 * Accepting: the listening socket is non-blocking; each thread polls it
 * together with a wake pipe, then calls FCGX_Accept_r, which returns
 * -EAGAIN when another thread (or process) won the connection. So a
 * thread is never stuck inside accept(2) and SIGTERM (a write to the wake
 * pipe) stops every idle thread at once, while busy threads finish the
 * request they hold. Connections still queued stay in the shared backlog
 * for the other workers.
 *
 * The loop is the same for h5payd's workers and for h5pay-sim: what
 * differs (the per-thread app, the dispatch, the body cap, the drain
 * timeout) comes in through struct serve_opts; defaults are h5payd's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "cfg.h"
#include "log.h"
#include "metrics.h"
#include "req.h"
#include "serve.h"
#include "util.h"

static int wake_pipe[2] = {-1, -1};
static volatile sig_atomic_t draining;
static volatile sig_atomic_t drain_backlog;

/*
 * SIGTERM: retire (a reload: the new generation takes the backlog).
 * SIGUSR2: shut down (the supervisor already unlinked the socket, so
 * nothing new arrives): serve every connection still queued, then exit.
 */
static void
on_term(int sig)
{
	int saved = errno;

	if (sig == SIGUSR2)
		drain_backlog = 1;
	draining = 1;
	if (wake_pipe[1] != -1 && write(wake_pipe[1], "x", 1) < 0) {
		/* the pipe is full: already woken */
	}
	errno = saved;
}

struct worker_thread {
	pthread_t tid;
	const struct serve_opts *o;
	int ok;			/* set when its app is ready */
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
	int *ready;
};

static size_t
serve_body_cap(const struct serve_opts *o)
{
	if (o->body_cap)
		return o->body_cap;
	return o->pool == POOL_NOTIFY ? LIM_NOTIFY_BODY :
	    (size_t)o->cfg->max_body_bytes;
}

static void
serve_one(struct app *app, const struct serve_opts *o, FCGX_Request *fr)
{
	struct req r;
	struct resp w;
	struct err err;
	int64_t t0 = mono_ms(), us0 = metrics_now_us(), ms;

	req_init(&r, serve_body_cap(o));
	resp_init(&w);
	err_clear(&err);
	if (req_fcgx_read(&r, fr, &err) == -1 ||
	    req_prepare(&r, &err) == -1) {
		const char *rid = req_param(&r, "REQUEST_ID");

		log_set_rid(rid);
		r.request_id = rid ? rid : "-";
		log_info("http", "bad_request", "status=%d msg=\"%s\"",
		    err_http_status(err.code), err.msg);
		resp_error(&w, &r, &err);
	} else {
		log_set_rid(r.request_id);
		if (o->dispatch)
			o->dispatch(app, o, &r, &w);
		else
			route_dispatch(o->routes, o->nroutes, o->pool, app,
			    &r, &w);
	}
	if (req_fcgx_send(&w, fr) == -1)
		log_info("http", "client_gone", "path=%s", r.path);
	ms = mono_ms() - t0;
	metrics_http(r.route_index, w.status, metrics_now_us() - us0);
	if (w.status >= 500 || ms >= 1000)
		log_warn("http", "done", "method=%s path=%s status=%d ms=%lld",
		    r.method, r.path, w.status, (long long)ms);
	else
		log_debug("http", "done", "method=%s path=%s status=%d ms=%lld",
		    r.method, r.path, w.status, (long long)ms);
	log_set_rid(NULL);
	resp_cleanup(&w);
	req_cleanup(&r);
}

static void *
serve_thread(void *arg)
{
	struct worker_thread *t = arg;
	const struct serve_opts *o = t->o;
	FCGX_Request fr;
	struct app app;
	struct err err;
	int rc;

	rc = o->thread_init ? o->thread_init(&app, o, &err) :
	    app_thread_init(&app, o->cfg, o->keys, o->pool, &err);
	if (rc == -1) {
		log_error("serve", "thread_init", "msg=\"%s\"", err.msg);
		pthread_mutex_lock(t->mu);
		(*t->ready)++;
		pthread_cond_signal(t->cv);
		pthread_mutex_unlock(t->mu);
		return NULL;
	}
	FCGX_InitRequest(&fr, o->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
	pthread_mutex_lock(t->mu);
	t->ok = 1;
	(*t->ready)++;
	pthread_cond_signal(t->cv);
	pthread_mutex_unlock(t->mu);

	while (!draining) {
		struct pollfd p[2] = {
			{.fd = o->listen_fd, .events = POLLIN},
			{.fd = wake_pipe[0], .events = POLLIN},
		};

		if (poll(p, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_error("serve", "poll", "errno=%d", errno);
			break;
		}
		if (p[1].revents) {
			/* serve what is queued until accept says EAGAIN */
			while (drain_backlog && FCGX_Accept_r(&fr) == 0) {
				serve_one(&app, o, &fr);
				FCGX_Finish_r(&fr);
			}
			break;
		}
		if (!(p[0].revents & POLLIN))
			continue;
		rc = FCGX_Accept_r(&fr);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR)
			continue;	/* another thread took it */
		if (rc < 0) {
			log_warn("serve", "accept", "rc=%d", rc);
			usleep(10000);
			continue;
		}
		serve_one(&app, o, &fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 0);
	app_thread_cleanup(&app);
	return NULL;
}

static int
install_handlers(bool sigint_drains)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGUSR2, &sa, NULL) == -1 ||
	    (sigint_drains && sigaction(SIGINT, &sa, NULL) == -1))
		return -1;
	sa.sa_handler = SIG_IGN;
	/* Ctrl-C reaches the whole process group: the supervisor decides */
	if (!sigint_drains)
		sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	return 0;
}

int
serve_run(const struct serve_opts *o)
{
	struct worker_thread *th;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	int i, ready = 0, ok = 0;
	struct timespec deadline;

	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return 1;
	/* before FCGX_Init: libfcgi only installs handlers where none are */
	if (install_handlers(o->sigint_drains) == -1 || FCGX_Init() != 0)
		return 1;

	th = xcalloc((size_t)o->threads, sizeof(*th));
	for (i = 0; i < o->threads; i++) {
		th[i].o = o;
		th[i].mu = &mu;
		th[i].cv = &cv;
		th[i].ready = &ready;
		if (pthread_create(&th[i].tid, NULL, serve_thread, &th[i])) {
			log_error("serve", "thread_create", "i=%d", i);
			_exit(1);
		}
	}
	pthread_mutex_lock(&mu);
	while (ready < o->threads)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	for (i = 0; i < o->threads; i++)
		ok += th[i].ok;
	if (ok < o->threads) {
		log_error("serve", "start_fail", "pool=%s threads_ok=%d/%d",
		    o->pool == POOL_NOTIFY ? "notify" : "web", ok, o->threads);
		_exit(1);
	}
	if (o->ready_fd != -1) {
		if (write(o->ready_fd, "1", 1) < 0) {
			/* the supervisor is gone; PDEATHSIG will follow */
		}
		close(o->ready_fd);
	}
	log_debug("serve", "ready", "pool=%s pid=%d threads=%d",
	    o->pool == POOL_NOTIFY ? "notify" : "web", (int)getpid(),
	    o->threads);

	/* wait for SIGTERM, then give in-flight requests the drain time */
	for (;;) {
		struct pollfd p = {.fd = wake_pipe[0], .events = POLLIN};

		if (poll(&p, 1, -1) == 1 || draining)
			break;
	}
	if (o->on_drain)
		o->on_drain(o->ctx);
	/* the pipe stays readable: that is what wakes every idle thread */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += o->drain_timeout_sec ? o->drain_timeout_sec :
	    o->cfg->drain_timeout_sec;
	for (i = 0; i < o->threads; i++) {
		if (pthread_timedjoin_np(th[i].tid, NULL, &deadline) != 0) {
			log_warn("serve", "drain_timeout", "pid=%d",
			    (int)getpid());
			_exit(2);
		}
	}
	free(th);
	return 0;
}

int
serve_worker(const struct serve_opts *o)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	return serve_run(o);
}
