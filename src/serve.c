/*
 * serve.c - the worker process: accept loop, per-thread app, drain.
 *
 * Accepting: the listening socket is non-blocking; each thread waits on
 * it (EPOLLEXCLUSIVE: one idle thread per connection) together with a
 * wake pipe, then accepts (serve_accept), which says EAGAIN when another
 * thread (or process) won the connection. So a
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
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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

/*
 * One request in flight: the FastCGI request, what was read and the
 * answer being built. Allocated per accepted connection so a handler can
 * keep it past its return (req_defer: the notify pool's group commit
 * answers from the leader's thread).
 */
struct serve_call {
	FCGX_Request fr;
	struct req r;
	struct resp w;
	int64_t us0;		/* accepted at (mono_us) */
};

static struct serve_call *
serve_call_new(const struct serve_opts *o)
{
	struct serve_call *c = xcalloc(1, sizeof(*c));

	FCGX_InitRequest(&c->fr, o->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
	return c;
}

/*
 * Accept the next connection ourselves, then let libfcgi read the request
 * from it: FCGX_Accept_r reads from fr.ipcFd when one is open (that is how
 * it serves kept connections; keepConnection stops its leading
 * FCGX_Finish_r from closing ours). libfcgi's own accept polls every
 * AF_UNIX connection for up to 2 s before reading it, and closes with
 * shutdown(2) plus a poll for the peer's EOF: a sleep and a wake-up per
 * request, on the group commit leader's path too (perf: ~10 % of the
 * /notify profile in poll and its wake-ups). We read every request to its
 * end, so a plain close(2) loses nothing (serve_call_done sets detached).
 * 0: c holds a request; 1: nothing to take (another thread won it); the
 * FCGX_Accept_r error otherwise.
 */
static int
serve_accept(int listen_fd, struct serve_call *c)
{
	int fd, rc;

	if ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ECONNABORTED ? 1 : -errno;
	c->fr.ipcFd = fd;
	c->fr.keepConnection = 1;
	rc = FCGX_Accept_r(&c->fr);
	if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR)
		return 1;	/* a connection without a request (closed) */
	return rc;
}

/* Send the answer, close the request, account for it, free the call. */
static void
serve_call_done(struct serve_call *c)
{
	int64_t us, ms;

	if (req_fcgx_send(&c->w, &c->fr) == -1)
		log_info("http", "client_gone", "path=%s", c->r.path);
	c->fr.detached = 1;	/* close(2) only: see serve_accept */
	FCGX_Finish_r(&c->fr);
	us = mono_us() - c->us0;
	ms = us / 1000;
	metrics_http(c->r.route_index, c->w.status, us);
	if (c->w.status >= 500 || ms >= 1000)
		log_warn("http", "done", "method=%s path=%s status=%d ms=%lld",
		    c->r.method, c->r.path, c->w.status, (long long)ms);
	else
		log_debug("http", "done", "method=%s path=%s status=%d ms=%lld",
		    c->r.method, c->r.path, c->w.status, (long long)ms);
	resp_cleanup(&c->w);
	req_cleanup(&c->r);
	if (c->fr.ipcFd != -1)	/* a kept connection: ours alone */
		FCGX_Free(&c->fr, 1);
	free(c);
}

/* req_answer() of a deferred request, on whichever thread finished it. */
static void
serve_call_answer(struct req *r)
{
	struct serve_call *c = (struct serve_call *)(void *)((char *)r -
	    offsetof(struct serve_call, r));
	char rid[64];

	/* log lines of this request carry its id, then the thread's again */
	str_lcpy(rid, log_get_rid(), sizeof(rid));
	log_set_rid(c->r.request_id);
	serve_call_done(c);
	log_set_rid(rid);
}

/* Serve the accepted call c: answer it now, or hand it to whoever will
 * (a handler deferred it); either way c is not the caller's any more. */
static void
serve_one(struct app *app, const struct serve_opts *o, struct serve_call *c)
{
	struct req *r = &c->r;
	struct resp *w = &c->w;
	struct err err;

	c->us0 = mono_us();
	req_init(r, serve_body_cap(o));
	resp_init(w);
	r->resp = w;
	r->later.answer = serve_call_answer;
	err_clear(&err);
	if (req_fcgx_read(r, &c->fr, &err) == -1 ||
	    req_prepare(r, &err) == -1) {
		const char *rid = req_param(r, "REQUEST_ID");

		log_set_rid(rid);
		r->request_id = rid ? rid : "-";
		log_info("http", "bad_request", "status=%d msg=\"%s\"",
		    err_http_status(err.code), err.msg);
		resp_error(w, r, &err);
	} else {
		log_set_rid(r->request_id);
		if (o->dispatch)
			o->dispatch(app, o, r, w);
		else
			route_dispatch(o->routes, o->nroutes, o->pool, app,
			    r, w);
	}
	app_idle(app);	/* its reader back to the pool while it waits */
	if (r->later.start != NULL)
		r->later.start(r->later.ctx);	/* c may be gone now */
	else
		serve_call_done(c);
	log_set_rid(NULL);
}

/*
 * This thread's wait set: the listening socket with EPOLLEXCLUSIVE (a new
 * connection wakes one idle thread, not all of them: with poll(2) every
 * idle thread of every worker woke for each connection and all but one
 * went back to sleep, measured as most of the context switches per
 * request) and the wake pipe (every thread: SIGTERM reaches them all).
 */
static int
serve_epoll(int listen_fd, struct err *err)
{
	struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE,
	    .data.fd = listen_fd};
	struct epoll_event wev = {.events = EPOLLIN, .data.fd = wake_pipe[0]};
	int ep;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return err_set(err, E_INTERNAL, "epoll_create1: %s",
		    strerror(errno));
	if (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &lev) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, wake_pipe[0], &wev) == -1) {
		err_set(err, E_INTERNAL, "epoll_ctl: %s", strerror(errno));
		close(ep);
		return -1;
	}
	return ep;
}

static void *
serve_thread(void *arg)
{
	struct worker_thread *t = arg;
	const struct serve_opts *o = t->o;
	struct serve_call *c;
	struct app app;
	struct err err;
	int rc, ep;

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
	if ((ep = serve_epoll(o->listen_fd, &err)) == -1) {
		log_error("serve", "epoll", "msg=\"%s\"", err.msg);
		app_thread_cleanup(&app);
		pthread_mutex_lock(t->mu);
		(*t->ready)++;
		pthread_cond_signal(t->cv);
		pthread_mutex_unlock(t->mu);
		return NULL;
	}
	c = serve_call_new(o);
	pthread_mutex_lock(t->mu);
	t->ok = 1;
	(*t->ready)++;
	pthread_cond_signal(t->cv);
	pthread_mutex_unlock(t->mu);

	while (!draining) {
		struct epoll_event ev;

		if (epoll_wait(ep, &ev, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_error("serve", "epoll_wait", "errno=%d", errno);
			break;
		}
		if (ev.data.fd == wake_pipe[0]) {
			/* serve what is queued until accept says EAGAIN */
			while (drain_backlog && FCGX_Accept_r(&c->fr) == 0) {
				serve_one(&app, o, c);
				c = serve_call_new(o);
			}
			break;
		}
		if ((rc = serve_accept(o->listen_fd, c)) == 1)
			continue;	/* another thread took it */
		if (rc < 0) {
			log_warn("serve", "accept", "rc=%d", rc);
			usleep(10000);
			continue;
		}
		serve_one(&app, o, c);
		c = serve_call_new(o);
	}
	close(ep);
	FCGX_Free(&c->fr, 0);
	free(c);
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

	/*
	 * The web pool's threads mostly wait (on the provider, on a write
	 * batch), so they seldom contend for malloc; glibc still gives them
	 * up to 8 arenas per core, each keeping what its threads freed at
	 * their peak (a flash sale left 15 arenas of ~3.5 MB, a third free,
	 * in each web process). The notify pool keeps glibc's default: its
	 * threads do contend (M_ARENA_MAX 2 cost /notify throughput).
	 */
	if (o->pool == POOL_WEB)
		(void)mallopt(M_ARENA_MAX, 4);
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
