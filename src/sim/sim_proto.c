/*
 * sim_proto.c - h5pay-sim's protocol helpers shared by its handlers:
 * verifying and signing UseePay messages with the configured keys
 * (docs/protocol.md §3), building notifications (§5), finishing a
 * transaction, ids, currency exponents, HTML escaping, strict JSON
 * fields (payerInfo, orderInfo).
 *
 * What it does not do: HTTP (handlers) or SQL (sim_store.c).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "form.h"
#include "lim.h"
#include "log.h"
#include "sim.h"
#include "store.h"
#include "util.h"
#include "valid.h"

int
sim_verify(struct sim *sim, const struct kvlist *l, struct err *err)
{
	const char *st = kvlist_get(l, "signType");

	if (st == NULL)
		return err_set(err, E_SIG, "signType missing");
	if (strcmp(st, "MD5") == 0) {
		if (sim->md5_key == NULL)
			return err_set(err, E_SIG, "signType MD5 not enabled");
		return sign_verify_md5(l, sim->md5_key, err);
	}
	if (strcmp(st, "RSA") == 0) {
		if (sim->merchant_pub == NULL)
			return err_set(err, E_SIG, "signType RSA not enabled");
		return sign_verify_rsa(l, sim->merchant_pub, err);
	}
	return err_set(err, E_SIG, "signType must be MD5 or RSA");
}

int
sim_sign(struct sim *sim, struct kvlist *l, const char *sign_type,
    struct err *err)
{
	struct buf sig;
	int rc = -1;

	buf_init(&sig, 4096);
	kvlist_adds(l, "signType", sign_type);
	if (strcmp(sign_type, "MD5") == 0 && sim->md5_key) {
		if (sign_md5(l, sim->md5_key, &sig, err) == -1)
			goto out;
	} else if (strcmp(sign_type, "RSA") == 0 && sim->provider_priv) {
		if (sign_rsa(l, sim->provider_priv, &sig, err) == -1)
			goto out;
	} else {
		err_set(err, E_INTERNAL, "no key for signType %s", sign_type);
		goto out;
	}
	kvlist_add(l, "sign", 4, sig.data, sig.len);
	rc = 0;
out:
	buf_cleanup(&sig);
	return rc;
}

static void
add_nonempty(struct kvlist *l, const char *k, const char *v)
{
	if (v && *v)
		kvlist_adds(l, k, v);
}

int
sim_notify_body(struct sim *sim, const struct sim_txn *t, struct buf *out,
    struct err *err)
{
	struct kvlist l;
	struct sim_faults f;
	char amount[24];
	bool money;
	int rc = -1;

	kvlist_init(&l);
	sim_faults_snapshot(sim, &f);
	money = !(t->kind == SIM_PAY && strcmp(f.profile, "no_amount") == 0);
	snprintf(amount, sizeof(amount), "%lld", (long long)t->amount);
	kvlist_adds(&l, "version", "1.0");
	kvlist_adds(&l, "merchantNo", t->merchant_no);
	kvlist_adds(&l, "transactionId", t->transaction_id);
	add_nonempty(&l, "originalTransactionId", t->original_id);
	kvlist_adds(&l, "reference", t->reference);
	kvlist_adds(&l, "transactionType", t->kind == SIM_PAY ? "pay" :
	    "refund");
	if (money) {
		kvlist_adds(&l, "amount", amount);
		kvlist_adds(&l, "currency", t->currency);
	}
	kvlist_adds(&l, "resultCode", t->status);
	add_nonempty(&l, "errorCode", t->error_code);
	add_nonempty(&l, "errorMsg", t->error_msg);
	add_nonempty(&l, "echoParam", t->echo);
	add_nonempty(&l, "reserved", t->reserved);
	if (sim_sign(sim, &l, t->sign_type, err) == -1)
		goto out;
	if (form_encode(out, &l) == -1) {
		err_set(err, E_TOOBIG, "notification body too large");
		goto out;
	}
	rc = 0;
out:
	kvlist_cleanup(&l);
	return rc;
}

int
sim_notify_queue(struct app *app, const struct sim_txn *t, int64_t *id,
    struct err *err)
{
	struct sim *sim = sim_of(app);
	struct buf body;
	int rc;

	buf_init(&body, LIM_NOTIFY_FORM);
	rc = sim_notify_body(sim, t, &body, err);
	if (rc == 0)
		rc = sim_notif_insert(app->store, t->id, t->notify_url,
		    buf_str(&body), app_now_ms(app) + (id ?
		    sim_notif_lease_ms(sim) : 0), app_now_ms(app), id, err);
	buf_cleanup(&body);
	return rc;
}

int
sim_txn_finish(struct app *app, int64_t id, const char *from, const char *to,
    const char *code, const char *msg, int64_t *notif_id, struct err *err)
{
	struct sim_txn t, orig;
	int64_t now = app_now_ms(app);

	if (store_begin(app->store, err) == -1)
		return -1;
	if (sim_txn_set_status(app->store, id, from, to, code, msg, now,
	    err) == -1 || sim_txn_get_id(app->store, id, &t, err) == -1)
		goto fail;
	/* a refund that did not succeed gives its amount back */
	if (t.kind == SIM_REFUND && strcmp(to, "succeed") != 0) {
		if (sim_txn_get(app->store, t.merchant_no, t.original_id, &orig,
		    err) == -1 || sim_txn_add_refunded(app->store, orig.id,
		    -t.amount, err) == -1)
			goto fail;
	}
	if (sim_notify_queue(app, &t, notif_id, err) == -1)
		goto fail;
	if (store_commit(app->store, err) == -1)
		return -1;
	log_info("sim", "txn_final", "txn=%s kind=%s status=%s",
	    t.transaction_id, t.kind == SIM_PAY ? "pay" : "refund", to);
	sim_notifier_kick(sim_of(app));
	return 0;
fail:
	store_rollback(app->store);
	return -1;
}

int
sim_currency_exponent(const char *c)
{
	static const char *const zero[] = {"BIF", "CLP", "DJF", "GNF", "ISK",
	    "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF",
	    "XOF", "XPF"};
	static const char *const three[] = {"BHD", "IQD", "JOD", "KWD", "LYD",
	    "OMR", "TND"};
	size_t i;

	for (i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (strcmp(c, zero[i]) == 0)
			return 0;
	for (i = 0; i < sizeof(three) / sizeof(three[0]); i++)
		if (strcmp(c, three[i]) == 0)
			return 3;
	return 2;
}

int
sim_random_hex(struct app *app, size_t n, char *out)
{
	unsigned char raw[64];

	if (n > sizeof(raw) || app_random(app, raw, n) == -1)
		return -1;
	hex_encode(raw, n, out);
	return 0;
}

int
sim_new_id(struct app *app, const char *prefix, char *out, size_t sz)
{
	char hex[17];

	if (sim_random_hex(app, 8, hex) == -1)
		return -1;
	if ((size_t)snprintf(out, sz, "%s%lld%s", prefix,
	    (long long)app_now_ms(app), hex) >= sz)
		return -1;
	return 0;
}

/* Parse JSON text strictly: one object, nothing after it. */
struct json_object *
sim_json_object(const char *s)
{
	struct json_tokener *tok = json_tokener_new_ex(16);
	struct json_object *o;
	size_t n = strlen(s);

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)n);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != n ||
	    !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* A string member of o, non-empty, at most max bytes, or NULL. */
const char *
sim_json_str(struct json_object *o, const char *k, size_t max)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (*s == '\0' || strlen(s) > max ||
	    (size_t)json_object_get_string_len(v) != strlen(s))
		return NULL;
	return s;
}

bool
sim_openid_ok(const char *s)
{
	return s != NULL && valid_token(s, strlen(s), 1, 64, "_-");
}
