/*
 * web_admin_events.c - the admin's merchant events (issue 11 part 3,
 * docs/integration.md): the endpoint, the delivery log, resend, a test
 * event.
 *
 *   GET  /admin/api/events[?state=S&limit=N]   {endpoints:[{url}],
 *        events:[... with attemptsLog]} (store_outbox_list's shape)
 *   POST /admin/api/events/test                {eventId}   (CSRF)
 *   POST /admin/api/events/{eventId}/resend    {eventId}   (CSRF)
 *
 * Both POSTs are audited (events_test, events_resend). What it does not
 * do: SQL or sending (outbox.c; h5payd's events child sends).
 */
#include <string.h>

#include <json-c/json.h>

#include "admin.h"
#include "cfg.h"
#include "outbox.h"
#include "util.h"
#include "web.h"
#include "web_guard.h"

int
web_admin_events_list(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *events, *o, *eps, *ep;
	const char *state = req_query(r, "state"), *v;
	int64_t limit = 100;

	if (state != NULL && *state == '\0')
		state = NULL;
	if ((v = req_query(r, "limit")) != NULL && *v &&
	    parse_i64z(v, 1, 500, &limit) == -1)
		return err_set(err, E_INPUT, "limit: 1..500");
	if (outbox_list(app->store, state, limit, &events, err) == -1)
		return -1;
	o = json_object_new_object();
	eps = json_object_new_array();
	if (app->cfg->events_endpoint_url != NULL) {
		ep = json_object_new_object();
		json_object_object_add(ep, "url", json_object_new_string(
		    app->cfg->events_endpoint_url));
		json_object_array_add(eps, ep);
	}
	json_object_object_add(o, "endpoints", eps);
	json_object_object_add(o, "events", events);
	resp_json(w, 200, o);
	return 0;
}

static int
reply_id(struct resp *w, const char *id)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "eventId", json_object_new_string(id));
	resp_json(w, 200, o);
	return 0;
}

int
web_admin_events_post(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	const char *tail = r->path_tail;
	char id[29];

	if (r->admin == NULL)
		return err_set(err, E_AUTH, "no admin session");
	if (strcmp(tail, "test") == 0) {
		if (outbox_test_commit(app->store, app_now_s(app), id,
		    err) == -1) {
			web_audit(app, r, "events_test", "", ADMIN_FAILED, "%s",
			    err_name(err->code));
			return -1;
		}
		web_audit(app, r, "events_test", id, ADMIN_OK, "%s",
		    app->cfg->events_endpoint_url ? "" : "no endpoint");
		return reply_id(w, id);
	}
	if (strlen(tail) != 28 + 7 || strcmp(tail + 28, "/resend") != 0)
		return err_set(err, E_NOTFOUND, "no such action");
	memcpy(id, tail, 28);
	id[28] = '\0';
	if (!outbox_event_id_valid(id))
		return err_set(err, E_NOTFOUND, "no such event");
	if (outbox_resend(app->store, app_now_s(app), id, err) == -1) {
		if (err->code != E_NOTFOUND)
			web_audit(app, r, "events_resend", id, ADMIN_FAILED,
			    "%s", err_name(err->code));
		return -1;
	}
	web_audit(app, r, "events_resend", id, ADMIN_OK, "%s", "");
	return reply_id(w, id);
}
