/*
 * cli_reconcile.c - h5pay reconcile -c FILE: one reconciler pass (see
 * reconcile.h), for cron or an operator. Prints the pass summary; exit 0
 * when the pass ran (provider failures included: they are retried next
 * time), 1 when the configuration, keys or database failed.
 */
#include <stdio.h>

#include "app.h"
#include "cli.h"
#include "httpc.h"
#include "keys.h"
#include "reconcile.h"

int
cli_reconcile(int argc, char **argv)
{
	struct reconcile_stats st;
	struct keys *k = NULL;
	struct app app;
	struct cfg c;
	struct err err;
	int i, rc = 1;

	if (cli_load_cfg(argc, argv, &c, &i) == -1)
		return 1;
	if (i != argc) {
		fprintf(stderr, "usage: h5pay reconcile -c FILE\n");
		goto out;
	}
	err_clear(&err);
	if (httpc_global_init() == -1)
		err_set(&err, E_INTERNAL, "curl_global_init failed");
	if (err.code != E_OK || keys_load(&k, &c, &err) == -1 ||
	    app_thread_init(&app, &c, k, POOL_TASKS, &err) == -1) {
		fprintf(stderr, "h5pay reconcile: %s\n", err.msg);
		goto out;
	}
	if (reconcile_pass(&app, &st, &err) == -1)
		fprintf(stderr, "h5pay reconcile: %s\n", err.msg);
	else
		rc = 0;
	printf("due=%d queried=%d changed=%d paid=%d closed=%d refunds=%d "
	    "refunds_applied=%d refunds_changed=%d anomalies=%d errors=%d\n",
	    st.due, st.queried, st.changed, st.paid, st.closed, st.refunds,
	    st.refunds_applied, st.refunds_changed, st.anomalies, st.errors);
	app_thread_cleanup(&app);
out:
	keys_free(k);
	cfg_cleanup(&c);
	return rc;
}
