/*
 * sim_control.c - the run-time switches of h5pay-sim: faults, and direct
 * actions for tests without a browser (pay, fail, close, expire a
 * transaction; age OAuth codes; mark test users as snapshot users).
 *
 * POST /sim/control takes one JSON object {"action": ..., ...}; GET shows
 * the fault state. Both answer only to a loopback REMOTE_ADDR: the fault
 * switches must never be reachable from anywhere else.
 * Invariant: struct sim_faults is read and written under sim->mu only.
 */
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "log.h"
#include "sim.h"
#include "store.h"
#include "util.h"
#include "valid.h"

const char *const sim_profiles[] = {
	"", "settlement", "nested", "wrong_key", "unsigned_refusal",
	"no_allowlist", "bad_clock", "no_amount", NULL,
};

void
sim_faults_snapshot(struct sim *sim, struct sim_faults *out)
{
	pthread_mutex_lock(&sim->mu);
	*out = sim->faults;
	pthread_mutex_unlock(&sim->mu);
}

bool
sim_fault_take(struct sim *sim, int64_t *counter)
{
	bool fired = false;

	pthread_mutex_lock(&sim->mu);
	if (*counter > 0) {
		(*counter)--;
		fired = true;
	}
	pthread_mutex_unlock(&sim->mu);
	return fired;
}

void
sim_notifier_kick(struct sim *sim)
{
	pthread_mutex_lock(&sim->mu);
	pthread_cond_signal(&sim->wake);
	pthread_mutex_unlock(&sim->mu);
}

static bool
prefix_hit(const char *prefix, const char *path)
{
	return strncmp(path, prefix, strlen(prefix)) == 0;
}

bool
sim_fault_before(struct sim *sim, const char *path, struct resp *w)
{
	int64_t ms = 0, status = 0;

	if (prefix_hit("/sim/control", path))
		return false;	/* the switches stay reachable */
	pthread_mutex_lock(&sim->mu);
	if (sim->faults.latency_ms > 0 &&
	    prefix_hit(sim->faults.latency_path, path))
		ms = sim->faults.latency_ms;
	if (sim->faults.error_count > 0 &&
	    prefix_hit(sim->faults.error_path, path)) {
		sim->faults.error_count--;
		status = sim->faults.error_status;
	}
	pthread_mutex_unlock(&sim->mu);
	for (; ms > 0 && !sim->stopping; ms -= 20) {
		struct timespec ts = {0, (ms < 20 ? ms : 20) * 1000000L};

		nanosleep(&ts, NULL);
	}
	if (status == 0)
		return false;
	log_info("sim", "fault_status", "path=%s status=%lld", path,
	    (long long)status);
	resp_text(w, (int)status, "text/html; charset=utf-8",
	    "<html><body><h1>Service Unavailable</h1></body></html>\n");
	return true;
}

static bool
is_loopback(const char *ip)
{
	return strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0;
}

/* ---- JSON member readers: absent is fine, a wrong type is refused ---- */

static int
j_int(struct json_object *o, const char *k, int64_t min, int64_t max,
    int64_t *out, struct err *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < min || json_object_get_int64(v) > max)
		return err_set(err, E_INPUT, "%s must be an integer in "
		    "%lld..%lld", k, (long long)min, (long long)max);
	*out = json_object_get_int64(v);
	return 0;
}

static int
j_bool(struct json_object *o, const char *k, bool *out, struct err *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return err_set(err, E_INPUT, "%s must be true or false", k);
	*out = json_object_get_boolean(v);
	return 0;
}

static int
j_str(struct json_object *o, const char *k, char *out, size_t sz,
    struct err *err)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	if (json_object_is_type(v, json_type_null)) {
		out[0] = '\0';
		return 0;
	}
	s = json_object_get_string(v);
	if (!json_object_is_type(v, json_type_string) || strlen(s) >= sz ||
	    (size_t)json_object_get_string_len(v) != strlen(s))
		return err_set(err, E_INPUT, "%s must be a string of less "
		    "than %zu bytes", k, sz);
	str_lcpy(out, s, sz);
	return 0;
}

/* Merge the fault members of o into the state (all or nothing). */
static int
control_faults(struct sim *sim, struct json_object *o, struct err *err)
{
	struct sim_faults f;

	sim_faults_snapshot(sim, &f);
	if (j_int(o, "latency_ms", 0, 600000, &f.latency_ms, err) == -1 ||
	    j_str(o, "latency_path", f.latency_path, sizeof(f.latency_path),
	    err) == -1 ||
	    j_int(o, "error_count", 0, 1000000, &f.error_count, err) == -1 ||
	    j_int(o, "error_status", 500, 599, &f.error_status, err) == -1 ||
	    j_str(o, "error_path", f.error_path, sizeof(f.error_path),
	    err) == -1 ||
	    j_int(o, "hang_count", 0, 1000000, &f.hang_count, err) == -1 ||
	    j_int(o, "hang_ms", 0, 600000, &f.hang_ms, err) == -1 ||
	    j_int(o, "malformed_count", 0, 1000000, &f.malformed_count,
	    err) == -1 ||
	    j_int(o, "bad_sign_count", 0, 1000000, &f.bad_sign_count,
	    err) == -1 ||
	    j_bool(o, "notify_duplicate", &f.notify_duplicate, err) == -1 ||
	    j_bool(o, "notify_out_of_order", &f.notify_out_of_order,
	    err) == -1 ||
	    j_int(o, "notify_drop_count", 0, 1000000, &f.notify_drop_count,
	    err) == -1 ||
	    j_int(o, "notify_bad_sign_count", 0, 1000000,
	    &f.notify_bad_sign_count, err) == -1 ||
	    j_bool(o, "notify_first", &f.notify_first, err) == -1 ||
	    j_int(o, "oauth_errcode", -1, 99999, &f.oauth_errcode,
	    err) == -1 ||
	    j_int(o, "oauth_errcode_count", 0, 1000000,
	    &f.oauth_errcode_count, err) == -1 ||
	    j_str(o, "oauth_auto_user", f.oauth_auto_user,
	    sizeof(f.oauth_auto_user), err) == -1 ||
	    j_bool(o, "refund_fail", &f.refund_fail, err) == -1 ||
	    j_str(o, "profile", f.profile, sizeof(f.profile), err) == -1)
		return -1;
	{
		size_t i;

		for (i = 0; sim_profiles[i] && strcmp(sim_profiles[i],
		    f.profile) != 0; i++)
			;
		if (sim_profiles[i] == NULL)
			return err_set(err, E_INPUT, "profile %s is not one "
			    "of the simulator's", f.profile);
	}
	if (f.error_count > 0 && f.error_status == 0)
		f.error_status = 503;
	if (f.oauth_auto_user[0] && !sim_openid_ok(f.oauth_auto_user))
		return err_set(err, E_INPUT, "oauth_auto_user must be 1..64 of "
		    "[0-9A-Za-z_-]");
	pthread_mutex_lock(&sim->mu);
	sim->faults = f;
	pthread_cond_signal(&sim->wake);
	pthread_mutex_unlock(&sim->mu);
	return 0;
}

static struct json_object *
faults_json(const struct sim_faults *f)
{
	struct json_object *o = json_object_new_object();

#define JI(k) json_object_object_add(o, #k, json_object_new_int64(f->k))
#define JB(k) json_object_object_add(o, #k, json_object_new_boolean(f->k))
#define JS(k) json_object_object_add(o, #k, json_object_new_string(f->k))
	JI(latency_ms); JS(latency_path); JI(error_count); JI(error_status);
	JS(error_path); JI(hang_count); JI(hang_ms); JI(malformed_count);
	JI(bad_sign_count); JB(notify_duplicate); JB(notify_out_of_order);
	JI(notify_drop_count); JI(notify_bad_sign_count); JB(notify_first);
	JI(oauth_errcode); JI(oauth_errcode_count); JS(oauth_auto_user);
	JB(refund_fail); JS(profile);
#undef JI
#undef JB
#undef JS
	return o;
}

/* pay | fail | close | expire one transaction by transactionId. */
static int
control_txn(struct app *app, struct json_object *o, const char *action,
    struct err *err)
{
	struct sim *sim = sim_of(app);
	struct sim_txn t;
	char tid[65] = "";

	if (j_str(o, "transactionId", tid, sizeof(tid), err) == -1)
		return -1;
	if (tid[0] == '\0')
		return err_set(err, E_INPUT, "transactionId is required");
	if (sim_txn_get(app->store, sim->cfg.merchant_no, tid, &t, err) == -1)
		return -1;
	if (strcmp(action, "pay") == 0) {
		if (t.kind != SIM_PAY)
			return err_set(err, E_CONFLICT, "not a payment");
		if (t.expires_ms <= app_now_ms(app))
			return err_set(err, E_CONFLICT, "payment expired");
		return sim_txn_finish(app, t.id, "pending", "succeed", "0000",
		    "Success", NULL, err);
	}
	if (strcmp(action, "fail") == 0)
		return sim_txn_finish(app, t.id, "pending", "failed", "9000",
		    "Payment failed", NULL, err);
	if (strcmp(action, "close") == 0)
		return sim_txn_finish(app, t.id, "pending", "closed", "3300",
		    "Transaction is expired", NULL, err);
	/* expire: the notifier closes it on its next pass */
	if (t.kind != SIM_PAY || strcmp(t.status, "pending") != 0)
		return err_set(err, E_CONFLICT, "not a pending payment");
	if (sim_txn_set_expires(app->store, t.id, app_now_ms(app) - 1,
	    err) == -1)
		return -1;
	sim_notifier_kick(sim);
	return 0;
}

int
sim_control_post(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct sim *sim = sim_of(app);
	struct json_object *o, *v;
	const char *action;
	int rc = -1;

	if (!is_loopback(r->client_ip))
		return err_set(err, E_FORBIDDEN, "control from %s refused",
		    r->client_ip);
	if ((o = req_json(r, err)) == NULL)
		return -1;
	if (!json_object_object_get_ex(o, "action", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		err_set(err, E_INPUT, "action is required");
		goto out;
	}
	action = json_object_get_string(v);
	if (strcmp(action, "faults") == 0) {
		if (control_faults(sim, o, err) == -1)
			goto out;
	} else if (strcmp(action, "reset") == 0) {
		pthread_mutex_lock(&sim->mu);
		memset(&sim->faults, 0, sizeof(sim->faults));
		pthread_cond_signal(&sim->wake);
		pthread_mutex_unlock(&sim->mu);
	} else if (!strcmp(action, "pay") || !strcmp(action, "fail") ||
	    !strcmp(action, "close") || !strcmp(action, "expire")) {
		if (control_txn(app, o, action, err) == -1)
			goto out;
	} else if (strcmp(action, "age_codes") == 0) {
		int64_t sec = 0;

		if (j_int(o, "seconds", 1, 86400 * 365, &sec, err) == -1 ||
		    sim_code_age(app->store, sec * 1000, err) == -1)
			goto out;
	} else if (strcmp(action, "oauth_user") == 0) {
		char openid[65] = "";
		bool snap = false;

		if (j_str(o, "openid", openid, sizeof(openid), err) == -1 ||
		    j_bool(o, "snapshot", &snap, err) == -1)
			goto out;
		if (!sim_openid_ok(openid)) {
			err_set(err, E_INPUT, "openid must be 1..64 of "
			    "[0-9A-Za-z_-]");
			goto out;
		}
		if (sim_user_set(app->store, openid, snap, err) == -1)
			goto out;
	} else {
		err_set(err, E_INPUT, "unknown action");
		goto out;
	}
	log_info("sim", "control", "action=%s", action);
	rc = sim_control_get(app, r, w, err);
out:
	json_object_put(o);
	return rc;
}

int
sim_control_get(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct sim_faults f;
	struct json_object *o;

	if (!is_loopback(r->client_ip))
		return err_set(err, E_FORBIDDEN, "control from %s refused",
		    r->client_ip);
	sim_faults_snapshot(sim_of(app), &f);
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "faults", faults_json(&f));
	resp_json(w, 200, o);
	return 0;
}
