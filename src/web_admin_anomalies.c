/*
 * web_admin_anomalies.c - the admin's anomaly inbox (issue 11 part 4).
 *
 *   GET  /admin/api/anomalies[?state=open|resolved&before=ID&limit=N]
 *        {open: <count of open ones>, anomalies: [{id, kind, source,
 *        orderNo, detail, createdAt, resolvedAt, resolvedBy, note}]}
 *   POST /admin/api/anomalies/{id}/resolve  {"note": "..."}  (CSRF;
 *        audited as anomaly_resolve, refusals too)
 *
 * What it does not do: SQL (anomaly.c, store_anomaly.c).
 */
#include <string.h>

#include <json-c/json.h>

#include "admin.h"
#include "anomaly.h"
#include "util.h"
#include "web.h"
#include "web_guard.h"

int
web_admin_anomalies_list(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *list, *o;
	int64_t limit = 100, before = 0, open = 0;
	const char *v;

	if ((v = req_query(r, "limit")) != NULL && *v &&
	    parse_i64z(v, 1, 500, &limit) == -1)
		return err_set(err, E_INPUT, "limit: 1..500");
	if ((v = req_query(r, "before")) != NULL && *v &&
	    parse_i64z(v, 1, INT64_MAX, &before) == -1)
		return err_set(err, E_INPUT, "before: an anomaly id");
	v = req_query(r, "state");
	if (anomaly_list(app->store, v && *v ? v : NULL, before, limit,
	    &list, err) == -1)
		return -1;
	if (anomaly_count_open(app->store, &open, err) == -1) {
		json_object_put(list);
		return -1;
	}
	o = json_object_new_object();
	json_object_object_add(o, "open", json_object_new_int64(open));
	json_object_object_add(o, "anomalies", list);
	resp_json(w, 200, o);
	return 0;
}

int
web_admin_anomalies_post(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	const char *tail = r->path_tail, *slash = strchr(tail, '/');
	struct json_object *in, *note, *o;
	char idtxt[24];
	int64_t id;
	int rc = -1;

	if (r->admin == NULL)
		return err_set(err, E_AUTH, "no admin session");
	if (slash == NULL || strcmp(slash, "/resolve") != 0 ||
	    parse_i64(tail, (size_t)(slash - tail), 1, INT64_MAX, &id) == -1)
		return err_set(err, E_NOTFOUND, "no such action");
	str_lcpy(idtxt, tail, (size_t)(slash - tail) + 1 < sizeof(idtxt) ?
	    (size_t)(slash - tail) + 1 : sizeof(idtxt));
	if ((in = req_json(r, err)) == NULL)
		return -1;
	if (!json_object_object_get_ex(in, "note", &note) ||
	    !json_object_is_type(note, json_type_string)) {
		err_set(err, E_INPUT, "note: required");
		goto out;
	}
	if (anomaly_resolve(app->store, app_now_s(app), id,
	    r->admin->username, json_object_get_string(note), err) == -1) {
		if (err->code != E_NOTFOUND)
			web_audit(app, r, "anomaly_resolve", idtxt,
			    err->code == E_STORE ? ADMIN_FAILED :
			    ADMIN_REFUSED, "%s", err_name(err->code));
		goto out;
	}
	web_audit(app, r, "anomaly_resolve", idtxt, ADMIN_OK, "note=%.200s",
	    json_object_get_string(note));
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "resolvedBy",
	    json_object_new_string(r->admin->username));
	resp_json(w, 200, o);
	rc = 0;
out:
	json_object_put(in);
	return rc;
}
