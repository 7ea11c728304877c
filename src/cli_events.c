/*
 * cli_events.c - h5pay events list|resend|test: the merchant-event log
 * from the command line (docs/integration.md).
 *
 *   h5pay events list -c FILE [--state S] [--limit N] [--json]
 *       newest first: event id, type, state, attempts, last HTTP status,
 *       order number, created (TSV); --json: the full log with payloads
 *       and the last attempts
 *   h5pay events resend -c FILE EVENT_ID    due again now (any state)
 *   h5pay events test -c FILE               write a "test" event
 *
 * The events child of h5payd sends what is due. Exit 0 done, 1 failure,
 * 2 usage.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cfg.h"
#include "cli.h"
#include "outbox.h"
#include "store.h"
#include "store_outbox.h"
#include "util.h"

static int
cli_events_usage(void)
{
	fprintf(stderr,
	    "usage: h5pay events list -c FILE [--state pending|sending|"
	    "delivered|failed]\n"
	    "           [--limit N] [--json]\n"
	    "       h5pay events resend -c FILE EVENT_ID\n"
	    "       h5pay events test -c FILE\n");
	return 2;
}

static const char *
jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return "-";
	return json_object_get_string(v);
}

static void
cli_events_print(struct json_object *arr, bool as_json)
{
	size_t i;

	if (as_json) {
		printf("%s\n", json_object_to_json_string_ext(arr,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		return;
	}
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);

		printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", jstr(e, "eventId"),
		    jstr(e, "type"), jstr(e, "state"), jstr(e, "attempts"),
		    jstr(e, "lastStatus"), jstr(e, "orderNo"),
		    jstr(e, "createdAt"));
	}
}

int
cli_events(int argc, char **argv)
{
	static const char *const states[] = {"pending", "sending",
	    "delivered", "failed"};
	struct json_object *arr = NULL;
	struct store_opts so;
	struct store *s = NULL;
	struct cfg c;
	struct err err;
	const char *cmd, *state = NULL, *id = NULL;
	char newid[29];
	bool as_json = false;
	int64_t limit = 50;
	int i, applied, rc = 1;
	size_t k;

	if (argc < 2)
		return cli_events_usage();
	cmd = argv[1];
	if (strcmp(cmd, "list") != 0 && strcmp(cmd, "resend") != 0 &&
	    strcmp(cmd, "test") != 0)
		return cli_events_usage();
	if (cli_load_cfg(argc - 1, argv + 1, &c, &i) == -1)
		return 1;
	i++;			/* index in argv, past "events CMD -c F" */
	for (; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(cmd, "list") == 0 && strcmp(o, "--json") == 0) {
			as_json = true;
		} else if (strcmp(cmd, "list") == 0 &&
		    strcmp(o, "--state") == 0 && v) {
			for (k = 0; k < 4 && strcmp(v, states[k]) != 0; k++)
				;
			if (k == 4)
				goto usage;
			state = states[k];
			i++;
		} else if (strcmp(cmd, "list") == 0 &&
		    strcmp(o, "--limit") == 0 && v) {
			if (parse_i64z(v, 1, 500, &limit) == -1) {
				fprintf(stderr, "h5pay events: --limit: "
				    "1..500\n");
				goto out;
			}
			i++;
		} else if (strcmp(cmd, "resend") == 0 && id == NULL &&
		    o[0] != '-') {
			id = o;
		} else
			goto usage;
	}
	if (strcmp(cmd, "resend") == 0 && id == NULL)
		goto usage;

	memset(&so, 0, sizeof(so));
	so.synchronous = c.db_synchronous;
	so.busy_timeout_ms = (int)c.db_busy_timeout_ms;
	err_clear(&err);
	if (store_open_cfg(&s, &c, &so, &err) == -1 ||
	    store_migrate(s, &applied, &err) == -1)
		goto fail;
	if (strcmp(cmd, "list") == 0) {
		if (store_outbox_list(s, state, (int)limit, &arr, &err) == -1)
			goto fail;
		cli_events_print(arr, as_json);
	} else if (strcmp(cmd, "resend") == 0) {
		if (outbox_resend(s, now_s(), id, &err) == -1)
			goto fail;
		printf("%s\tdue now\n", id);
	} else {
		if (outbox_test_commit(s, now_s(), newid, &err) == -1)
			goto fail;
		printf("%s\n", newid);
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "h5pay events: %s\n", err.msg);
	goto out;
usage:
	rc = cli_events_usage();
out:
	json_object_put(arr);
	store_close(s);
	cfg_cleanup(&c);
	return rc;
}
