/*
 * web_health.c - GET /healthz (web pool) and GET /notify/healthz (notify
 * pool): proves the worker answers and its database connection works.
 * Names the pool that answered, so routing can be checked from outside.
 */
#include <json-c/json.h>

#include "app.h"
#include "log.h"
#include "store.h"
#include "web.h"

int
web_health_get(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *o;
	int version = 0;

	if (store_ping(app->store, &version, err) == -1) {
		log_error("health", "db_fail", "msg=\"%s\"", err->msg);
		o = json_object_new_object();
		json_object_object_add(o, "status",
		    json_object_new_string("fail"));
		json_object_object_add(o, "db", json_object_new_string("fail"));
		resp_json(w, 503, o);
		return 0;
	}
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "db", json_object_new_string("ok"));
	json_object_object_add(o, "schema", json_object_new_int(version));
	json_object_object_add(o, "pool", json_object_new_string(
	    app->pool == POOL_NOTIFY ? "notify" : "web"));
	resp_json(w, 200, o);
	return 0;
}
