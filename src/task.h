/*
 * task.h - a background child of h5payd: the reconciler (reconcile.c) and
 * the merchant-events sender (outbox_send.c) run the same way. One process
 * with its own app (connection, HTTP client), a start step, then a pass
 * every period until SIGTERM, which is taken between passes only (a pass
 * is never cut in the middle); the supervisor's death ends it too
 * (PR_SET_PDEATHSIG), and it restarts the child when it dies.
 */
#ifndef H5PAY_TASK_H
#define H5PAY_TASK_H

#include <stdint.h>

#include "app.h"
#include "err.h"

struct cfg;
struct keys;

struct task {
	const char *name;		/* the log module */
	enum pool pool;
	int64_t period_ms;		/* between the end of a pass and the
					   start of the next */
	/* once, after the app is open and before the supervisor is told the
	 * task is ready (may be NULL); its failures are its own to log */
	void (*start)(struct app *, void *ctx);
	/* one pass: -1 with *err is logged ("pass_fail"), the task goes on */
	int (*pass)(struct app *, void *ctx, struct err *);
	void *ctx;
};

/*
 * The body of a task child: open this process's app, run start, tell the
 * supervisor it is ready (one byte on ready_fd, unless -1), then pass and
 * wait period_ms until SIGTERM. Returns the exit status (1 when the app
 * cannot be opened).
 */
int task_main(const struct task *, const struct cfg *, const struct keys *,
    int ready_fd);

#endif
