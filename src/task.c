/*
 * task.c - the loop of h5payd's background children (task.h). SIGTERM is
 * blocked and only waited for with sigtimedwait() between passes; SIGINT
 * and SIGHUP (the supervisor's business) are ignored, SIGPIPE too (a peer
 * going away is an ordinary error of the pass).
 */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "task.h"

int
task_main(const struct task *t, const struct cfg *cfg,
    const struct keys *keys, int ready_fd)
{
	struct timespec ts;
	struct app app;
	struct err err;
	sigset_t set;
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
	if (t->start != NULL)
		t->start(&app, t->ctx);
	if (ready_fd != -1) {
		if (write(ready_fd, "1", 1) < 0) {
			/* the supervisor is gone; PDEATHSIG follows */
		}
		close(ready_fd);
	}
	for (;;) {
		if (t->pass(&app, t->ctx, &err) == -1)
			log_error(t->name, "pass_fail", "msg=\"%s\"", err.msg);
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
