/*
 * test_metrics.c - metrics.c: hooks are no-ops before metrics_init,
 * bucket boundaries (a bound is inclusive), statuses outside the list
 * and unmatched routes, counts shared with a forked child, and a cut
 * output reported as an error.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"

#include "buf.h"
#include "metrics.h"
#include "route.h"

static const struct metrics_route table[] = {
	{"POST", "/notify"},
	{"GET", "/healthz"},
};

static char *
render(void)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	T_EQ_INT(metrics_render(&b, table, 2, NULL), 0);
	return buf_detach(&b);
}

static bool
has(const char *text, const char *line)
{
	const char *p = strstr(text, line);

	return p != NULL && (p == text || p[-1] == '\n') &&
	    p[strlen(line)] == '\n';
}

static void
test_off_until_init(void)
{
	struct buf b;

	metrics_http(0, 200, 10);	/* no region yet: nothing happens */
	T_OK(!metrics_enabled());
	buf_init(&b, 1024);
	T_EQ_INT(metrics_render(&b, table, 2, NULL), 0);
	T_OK(strstr(buf_str(&b), "h5pay_http") == NULL);
	buf_cleanup(&b);
	T_EQ_INT(metrics_init(), 0);
	T_OK(metrics_enabled());
}

static void
test_http_buckets(void)
{
	char *t;

	metrics_http(0, 200, 1000);	/* exactly 1 ms: in le="0.001" */
	metrics_http(0, 200, 1001);	/* just over: le="0.0025" */
	metrics_http(0, 200, 60000000);	/* a minute: only +Inf */
	metrics_http(1, 299, 5);	/* a status without a label */
	metrics_http(-1, 404, 5);	/* no route matched */
	metrics_http(9999, 404, 5);	/* out of range: unmatched too */
	t = render();
	T_OK(has(t, "h5pay_http_request_duration_seconds_bucket{method="
	    "\"POST\",route=\"/notify\",status=\"200\",le=\"0.001\"} 1"));
	T_OK(has(t, "h5pay_http_request_duration_seconds_bucket{method="
	    "\"POST\",route=\"/notify\",status=\"200\",le=\"0.0025\"} 2"));
	T_OK(has(t, "h5pay_http_request_duration_seconds_bucket{method="
	    "\"POST\",route=\"/notify\",status=\"200\",le=\"10\"} 2"));
	T_OK(has(t, "h5pay_http_request_duration_seconds_bucket{method="
	    "\"POST\",route=\"/notify\",status=\"200\",le=\"+Inf\"} 3"));
	T_OK(has(t, "h5pay_http_request_duration_seconds_sum{method="
	    "\"POST\",route=\"/notify\",status=\"200\"} 60.002001"));
	T_OK(has(t, "h5pay_http_requests_total{method=\"POST\",route="
	    "\"/notify\",status=\"200\"} 3"));
	T_OK(has(t, "h5pay_http_requests_total{method=\"GET\",route="
	    "\"/healthz\",status=\"other\"} 1"));
	T_OK(has(t, "h5pay_http_requests_total{method=\"other\",route="
	    "\"unmatched\",status=\"404\"} 2"));
	T_OK(has(t, "h5pay_db_up 0"));
	free(t);
}

static void
test_notify_and_child(void)
{
	pid_t pid;
	int status;
	char *t;

	metrics_notify(MN_APPLIED);
	metrics_notify_refused(MR_SIGNATURE);
	metrics_notify_batch(3, 2000);
	/* a forked worker adds to the same region */
	pid = fork();
	if (pid == 0) {
		metrics_notify(MN_APPLIED);
		metrics_notify_batch(70, 5);
		metrics_provider(MP_USEEPAY, "query", MO_UNKNOWN, 10000000);
		metrics_provider(MP_USEEPAY, "bogus", MO_OK, 1);
		metrics_worker_restart(METRICS_POOL_NOTIFY);
		_exit(0);
	}
	T_OK(pid > 0);
	T_EQ_INT(waitpid(pid, &status, 0), pid);
	t = render();
	T_OK(has(t, "h5pay_notify_total{outcome=\"applied\"} 2"));
	T_OK(has(t, "h5pay_notify_total{outcome=\"refused\"} 1"));
	T_OK(has(t, "h5pay_notify_refused_total{reason=\"signature\"} 1"));
	T_OK(has(t, "h5pay_notify_batch_size_bucket{le=\"4\"} 1"));
	T_OK(has(t, "h5pay_notify_batch_size_bucket{le=\"64\"} 1"));
	T_OK(has(t, "h5pay_notify_batch_size_bucket{le=\"+Inf\"} 2"));
	T_OK(has(t, "h5pay_notify_batch_size_sum 73"));
	T_OK(has(t, "h5pay_provider_requests_total{provider=\"useepay\","
	    "op=\"query\",outcome=\"unknown\"} 1"));
	T_OK(has(t, "h5pay_provider_request_duration_seconds_bucket{provider="
	    "\"useepay\",op=\"query\",outcome=\"unknown\",le=\"10\"} 1"));
	/* an operation outside the list has no series of its own */
	T_OK(strstr(t, "bogus") == NULL);
	T_OK(has(t, "h5pay_worker_restarts_total{pool=\"notify\"} 1"));
	free(t);
}

static void
test_cut_output_fails(void)
{
	struct buf b;

	buf_init(&b, 2048);
	T_EQ_INT(metrics_render(&b, table, 2, NULL), -1);
	buf_cleanup(&b);
}

int
main(void)
{
	T_RUN(test_off_until_init);
	T_RUN(test_http_buckets);
	T_RUN(test_notify_and_child);
	T_RUN(test_cut_output_fails);
	return t_done();
}
