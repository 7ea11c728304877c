/*
 * task.c - the loop of h5payd's background children (task.h). SIGTERM is
 * blocked and only waited for with sigtimedwait() between passes; SIGINT
 * and SIGHUP (the supervisor's business) are ignored, SIGPIPE too (a peer
 * going away is an ordinary error of the pass).
 *
 * One host at a time: before each pass the task holds (or takes) its lock
 * in the database (db_task_lock; a PostgreSQL advisory lock of this
 * connection, always held on SQLite). A host without it stands by and
 * takes over when the holder's connection ends (its host died); start
 * runs once the lock is first held, so the events sender's dropping of
 * stale leases never races the sender of another host.
 */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "task.h"

/* The task's lock key: "h5" and the FNV-1a hash of its name. */
static int64_t
task_key(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return (int64_t)0x6835 << 32 | (int64_t)h;
}

/* Whether this host runs the task now; logs each change. */
static bool
task_held(const struct task *t, struct app *app, bool *was)
{
	struct err err;
	bool held = false;

	if (db_task_lock(store_db(app->store), task_key(t->name), &held,
	    &err) == -1) {
		log_error(t->name, "lock_fail", "msg=\"%s\"", err.msg);
		held = false;
	}
	/* SQLite: always held, nothing to tell */
	if (held != *was && db_engine(store_db(app->store)) == DB_PG)
		log_info(t->name, held ? "active" : "standby", "pid=%d",
		    (int)getpid());
	*was = held;
	return held;
}

int
task_main(const struct task *t, const struct cfg *cfg,
    const struct keys *keys, int ready_fd)
{
	struct timespec ts;
	struct app app;
	struct err err;
	sigset_t set;
	bool held = false, started = false;
	int sig;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (app_thread_init(&app, cfg, keys, t->pool, &err) == -1) {
		log_error(t->name, "init", "msg=\"%s\"", err.msg);
		return 1;
	}
	if (task_held(t, &app, &held)) {
		if (t->start != NULL)
			t->start(&app, t->ctx);
		started = true;
	}
	if (ready_fd != -1) {
		if (write(ready_fd, "1", 1) < 0) {
			/* the supervisor is gone; PDEATHSIG follows */
		}
		close(ready_fd);
	}
	for (;;) {
		if (task_held(t, &app, &held)) {
			if (!started && t->start != NULL)
				t->start(&app, t->ctx);
			started = true;
			if (t->pass(&app, t->ctx, &err) == -1)
				log_error(t->name, "pass_fail", "msg=\"%s\"",
				    err.msg);
		}
		ts.tv_sec = (time_t)(t->period_ms / 1000);
		ts.tv_nsec = (long)(t->period_ms % 1000) * 1000000L;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM)
			break;
		if (sig == -1 && errno != EAGAIN && errno != EINTR)
			break;
	}
	app_thread_cleanup(&app);
	log_info(t->name, "stop", "pid=%d", (int)getpid());
	return 0;
}
