/*
 * web_health.c - GET /healthz (web pool) and GET /notify/healthz (notify
 * pool): proves the worker answers and its database connection works.
 * Names the pool that answered, so routing can be checked from outside.
 * The schema version is told only to loopback clients (monitoring on the
 * host): to anyone else it would date the deployment (issue 12).
 */
#include <stdbool.h>
#include <string.h>

#include <json-c/json.h>

#include "app.h"
#include "log.h"
#include "store.h"
#include "web.h"

/* The client (nginx's $remote_addr) is this host: 127.0.0.0/8 or ::1. */
static bool
client_loopback(const struct req *r)
{
	const char *ip = r->client_ip ? r->client_ip : "";

	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
	    strncmp(ip, "::ffff:127.", 11) == 0;
}

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
	if (client_loopback(r))
		json_object_object_add(o, "schema",
		    json_object_new_int(version));
	json_object_object_add(o, "pool", json_object_new_string(
	    app->pool == POOL_NOTIFY ? "notify" : "web"));
	resp_json(w, 200, o);
	return 0;
}
