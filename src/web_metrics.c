/*
 * web_metrics.c - GET /metrics (notify pool): the Prometheus text
 * exposition of metrics.c's shared counters plus the database gauges.
 *
 * Never public: the public site sends only /notify and the /notify/ prefix
 * to the notify pool, and this handler answers 404 unless the request has
 * the FastCGI param H5PAY_METRICS=1, which only the loopback-only server
 * in nginx/h5pay-metrics.conf sets. So a routing mistake in front of the
 * notify socket still cannot expose it.
 */
#include <string.h>

#include "app.h"
#include "cfg.h"
#include "log.h"
#include "metrics.h"
#include "store_metrics.h"
#include "web.h"

#define LIM_METRICS_TEXT (4 * 1024 * 1024)	/* > the most it can be */

int
web_metrics_get(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	const char *gate = req_param(r, "H5PAY_METRICS");
	struct metrics_db db;
	struct err dberr;
	struct metrics_route labels[128];
	struct buf b;
	size_t i;
	int rc, dbok;

	if (gate == NULL || strcmp(gate, "1") != 0)
		return err_set(err, E_NOTFOUND, "%s", r->path);
	err_clear(&dberr);
	dbok = store_metrics_read(app->store, app->cfg->db_path,
	    app_now_s(app), &db, &dberr) == 0;
	if (!dbok)
		log_error("metrics", "db_fail", "msg=\"%s\"", dberr.msg);
	buf_init(&b, LIM_METRICS_TEXT);
	for (i = 0; i < route_count && i < sizeof(labels) / sizeof(labels[0]);
	    i++) {
		labels[i].method = route_table[i].method;
		labels[i].path = route_table[i].path;
	}
	rc = metrics_render(&b, labels, i, dbok ? &db : NULL);
	if (rc == -1) {
		buf_cleanup(&b);
		return err_set(err, E_INTERNAL, "metrics text over %d bytes",
		    LIM_METRICS_TEXT);
	}
	resp_text(w, 200, "text/plain; version=0.0.4; charset=utf-8",
	    buf_str(&b));
	buf_cleanup(&b);
	return 0;
}
