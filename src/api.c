/*
 * api.c - the payments API's rules (api.h, docs/integration.md): keys and
 * their scopes and rate limit, strict create bodies, the return-URL
 * allow-list, payments by reference with idempotent replays, cancel,
 * idempotent refunds, hosted checkout's pay and its signed return URL.
 *
 * Invariants:
 *   - a token is never stored or logged: its SHA-256 is the lookup key;
 *   - a reference (or Idempotency-Key) is one payment: replays with the
 *     same request get it back, another request is a conflict (the check
 *     and the insert share one write transaction);
 *   - a payment has at most one order, made on the buyer's first tap and
 *     sent to UseePay once by pay_submit() (never again after an unknown
 *     outcome: pay_existing() only queries);
 *   - every state change is order_apply()'s or refund_create()'s.
 * What it does not do: HTTP (web_api.c), SQL (store_api.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "api.h"
#include "app.h"
#include "cfg.h"
#include "keys.h"
#include "log.h"
#include "order.h"
#include "order_query.h"
#include "sign.h"
#include "store.h"
#include "store_order.h"
#include "store_refund.h"
#include "util.h"
#include "valid.h"

static const struct {
	const char *name;
	unsigned bit;
} scope_names[] = {
	{"payments:write", API_PAYMENTS_WRITE},
	{"payments:read", API_PAYMENTS_READ},
	{"refunds:write", API_REFUNDS_WRITE},
};
#define NSCOPES (sizeof(scope_names) / sizeof(scope_names[0]))

int
api_scopes_parse(const char *s, unsigned *mask, struct err *err)
{
	const char *p = s, *e;
	size_t i, n;

	*mask = 0;
	while (*p) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		for (i = 0; i < NSCOPES; i++)
			if (strlen(scope_names[i].name) == n &&
			    strncmp(scope_names[i].name, p, n) == 0)
				break;
		if (i == NSCOPES || (*mask & scope_names[i].bit))
			return err_set(err, E_INPUT, "scope \"%.*s\": unknown "
			    "or repeated (one of %s)", (int)(n > 32 ? 32 : n),
			    p, API_SCOPES_ALL);
		*mask |= scope_names[i].bit;
		p += n + (e != NULL);
		if (e != NULL && *p == '\0')
			return err_set(err, E_INPUT, "scopes: trailing comma");
	}
	if (*mask == 0)
		return err_set(err, E_INPUT, "scopes: at least one");
	return 0;
}

static void
token_hash(const char *token, char out[65])
{
	sign_sha256_hex(token, strlen(token), out);
}

int
api_key_add(struct app *app, const char *name, const char *scopes,
    char token[API_TOKEN_LEN + 1], struct err *err)
{
	char hash[65];
	unsigned mask;

	token[0] = '\0';
	if (!valid_token(name, strlen(name), 1, API_KEY_NAME_MAX, "_.-"))
		return err_set(err, E_INPUT, "name: 1-%d of [0-9A-Za-z_.-]",
		    API_KEY_NAME_MAX);
	if (scopes == NULL)
		scopes = API_SCOPES_ALL;
	if (strlen(scopes) > API_SCOPES_MAX ||
	    api_scopes_parse(scopes, &mask, err) == -1)
		return err->code ? -1 : err_set(err, E_INPUT, "scopes: long");
	memcpy(token, API_TOKEN_PREFIX, 4);
	if (sign_random_token(&app->rng, 32, token + 4,
	    API_TOKEN_LEN + 1 - 4) == -1 || strlen(token) != API_TOKEN_LEN)
		return err_set(err, E_INTERNAL, "api key: random");
	token_hash(token, hash);
	if (store_apikey_insert(app->store, name, hash, scopes,
	    app_now_s(app), err) == -1) {
		mem_wipe(token, API_TOKEN_LEN + 1);
		if (err->code == E_CONFLICT)
			return err_set(err, E_CONFLICT, "key %s exists", name);
		return -1;
	}
	return 0;
}

int
api_key_auth(struct app *app, const char *authz, struct api_caller *c,
    struct err *err)
{
	const char *tok = "";
	char hash[65];
	bool limited;
	struct err se;

	memset(c, 0, sizeof(*c));
	if (authz != NULL && strncasecmp(authz, "Bearer ", 7) == 0)
		tok = authz + 7;
	if (strlen(tok) != API_TOKEN_LEN ||
	    strncmp(tok, API_TOKEN_PREFIX, 4) != 0)
		tok = "";		/* looked up all the same (no hash
					   of "" is stored) */
	token_hash(tok, hash);
	err_clear(&se);
	if (store_apikey_use(app->store, hash, app_now_s(app),
	    API_RATE_WINDOW_SEC, app->cfg->api_rate_limit_per_min, &c->key,
	    &limited, &se) == -1) {
		if (se.code != E_NOTFOUND) {
			*err = se;
			return -1;
		}
		return err_set(err, E_AUTH, "%s api key", *tok ? "unknown" :
		    authz ? "malformed" : "no");
	}
	if (c->key.revoked_at != 0)
		return err_set(err, E_AUTH, "revoked api key %s", c->key.name);
	if (limited)
		return err_set(err, E_RATE, "api key %s: more than %lld "
		    "requests a minute", c->key.name,
		    (long long)app->cfg->api_rate_limit_per_min);
	if (api_scopes_parse(c->key.scopes, &c->scopes, err) == -1)
		return err_set(err, E_INTERNAL, "api key %s: stored scopes",
		    c->key.name);
	return 0;
}

/* s[0..n) is UTF-8 without control characters. */
static bool
utf8_text(const char *s, size_t n)
{
	size_t i = 0, k, need;
	unsigned char c;

	while (i < n) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3;
		else
			return false;
		if (i + need >= n)
			return false;
		for (k = 1; k <= need; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return false;
		/* no overlong forms, surrogates or code points past U+10FFFF */
		k = (unsigned char)s[i + 1];
		if ((c == 0xe0 && k < 0xa0) || (c == 0xed && k >= 0xa0) ||
		    (c == 0xf0 && k < 0x90) || (c == 0xf4 && k >= 0x90))
			return false;
		i += need + 1;
	}
	return true;
}

/* A string member: *out borrowed (json-c's), *n its length; no NUL. */
static bool
str_member(const struct json_object *o, const char *name, const char **out,
    size_t *n)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return false;
	*out = json_object_get_string(v);
	*n = (size_t)json_object_get_string_len(v);
	return strlen(*out) == *n;
}

static int
meta_check(struct json_object *m, struct api_pay_req *rq, struct err *err)
{
	const char *txt;
	size_t n = 0;

	if (!json_object_is_type(m, json_type_object))
		return err_set(err, E_INPUT, "metadata: an object");
	json_object_object_foreach(m, k, v) {
		size_t kl = strlen(k);

		if (++n > API_META_KEYS_MAX)
			return err_set(err, E_TOOBIG, "metadata: at most %d "
			    "keys", API_META_KEYS_MAX);
		if (!valid_token(k, kl, 1, API_META_KEY_MAX, "_.-"))
			return err_set(err, E_INPUT, "metadata: keys are "
			    "1-%d of [0-9A-Za-z_.-]", API_META_KEY_MAX);
		if (!json_object_is_type(v, json_type_string))
			return err_set(err, E_INPUT, "metadata.%s: a string",
			    k);
		if (json_object_get_string_len(v) > API_META_VALUE_MAX)
			return err_set(err, E_TOOBIG, "metadata.%s: at most "
			    "%d bytes", k, API_META_VALUE_MAX);
	}
	txt = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (strlen(txt) > API_METADATA_MAX)
		return err_set(err, E_TOOBIG, "metadata: at most %d bytes",
		    API_METADATA_MAX);
	str_lcpy(rq->metadata, txt, sizeof(rq->metadata));
	return 0;
}

int
api_pay_req_from_json(struct json_object *root, struct api_pay_req *rq,
    struct err *err)
{
	static const char *const known[] = {"amount", "currency", "subject",
	    "reference", "returnUrl", "expiresIn", "metadata"};
	struct json_object_iterator it, end;
	struct json_object *v;
	const char *s;
	size_t n, i;

	memset(rq, 0, sizeof(*rq));
	str_lcpy(rq->metadata, "{}", sizeof(rq->metadata));
	if (!json_object_is_type(root, json_type_object))
		return err_set(err, E_INPUT, "body: a JSON object");
	for (it = json_object_iter_begin(root),
	    end = json_object_iter_end(root);
	    !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *k = json_object_iter_peek_name(&it);

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			return err_set(err, E_INPUT, "%.40s: unknown member",
			    k);
	}
	if (!json_object_object_get_ex(root, "amount", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (rq->amount = json_object_get_int64(v)) < 1 ||
	    rq->amount > 999999999999LL)
		return err_set(err, E_INPUT, "amount: an integer "
		    "1-999999999999 (minor units)");
	if (!str_member(root, "currency", &s, &n) || !valid_currency(s, n))
		return err_set(err, E_INPUT, "currency: ISO 4217 (3 letters)");
	memcpy(rq->currency, s, 4);
	if (!str_member(root, "subject", &s, &n) || n == 0 ||
	    n > API_SUBJECT_MAX || !utf8_text(s, n) || s[0] == ' ' ||
	    s[n - 1] == ' ')
		return err_set(err, E_INPUT, "subject: 1-%d bytes of UTF-8, "
		    "no control characters or edge spaces", API_SUBJECT_MAX);
	memcpy(rq->subject, s, n + 1);
	if (!str_member(root, "reference", &s, &n) ||
	    !valid_token(s, n, 1, API_REFERENCE_MAX, "_.:-"))
		return err_set(err, E_INPUT, "reference: 1-%d of "
		    "[0-9A-Za-z_.:-]", API_REFERENCE_MAX);
	memcpy(rq->reference, s, n + 1);
	if (!str_member(root, "returnUrl", &s, &n) || n == 0 ||
	    n > API_RETURN_URL_MAX)
		return err_set(err, E_INPUT, "returnUrl: a URL of at most %d "
		    "bytes", API_RETURN_URL_MAX);
	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '#' ||
		    s[i] == '\\')
			return err_set(err, E_INPUT, "returnUrl: printable "
			    "ASCII, no spaces, '#' or '\\\\'");
	memcpy(rq->return_url, s, n + 1);
	if (json_object_object_get_ex(root, "expiresIn", &v) &&
	    (!json_object_is_type(v, json_type_int) ||
	    (rq->expires_in = json_object_get_int64(v)) < API_EXPIRES_MIN ||
	    rq->expires_in > API_EXPIRES_MAX))
		return err_set(err, E_INPUT, "expiresIn: seconds %d-%d",
		    API_EXPIRES_MIN, API_EXPIRES_MAX);
	if (json_object_object_get_ex(root, "metadata", &v) &&
	    meta_check(v, rq, err) == -1)
		return -1;
	return 0;
}

bool
api_origin_allowed(const char *origins, const char *url, bool plain)
{
	size_t ul = strlen(url), on = valid_origin_len(url, ul, plain), n;
	const char *p = origins, *e;

	if (on == 0 || origins == NULL)
		return false;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		e = p;
		while (*e && *e != ' ' && *e != '\t')
			e++;
		n = (size_t)(e - p);
		/* scheme and host case-insensitive, the port exact: an
		 * origin is ASCII, so strncasecmp is exact for digits */
		if (n == on && n > 0 && strncasecmp(p, url, n) == 0)
			return true;
		p = e;
	}
	return false;
}

bool
api_idem_key_valid(const char *k)
{
	return k != NULL && valid_token(k, strlen(k), 1, API_IDEM_KEY_MAX,
	    "_.:-");
}

/* SHA-256 of the request's meaning (fields in one order, not the bytes
 * sent: white space and member order do not matter). */
static void
pay_req_hash(const struct api_pay_req *rq, char out[65])
{
	struct json_object *o = json_object_new_array();
	const char *txt;

	json_object_array_add(o, json_object_new_int64(rq->amount));
	json_object_array_add(o, json_object_new_string(rq->currency));
	json_object_array_add(o, json_object_new_string(rq->subject));
	json_object_array_add(o, json_object_new_string(rq->reference));
	json_object_array_add(o, json_object_new_string(rq->return_url));
	json_object_array_add(o, json_object_new_int64(rq->expires_in));
	json_object_array_add(o, json_object_new_string(rq->metadata));
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	sign_sha256_hex(txt, strlen(txt), out);
	json_object_put(o);
}

/* "pay_" + 32 of [0-9A-Za-z], rejection-sampled. */
static int
payment_id_new(struct app *app, char out[API_PAYMENT_ID_LEN + 1],
    struct err *err)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	unsigned char rnd[64];
	size_t n = 4, i;

	memcpy(out, "pay_", 4);
	while (n < API_PAYMENT_ID_LEN) {
		if (app_random(app, rnd, sizeof(rnd)) == -1)
			return err_set(err, E_INTERNAL, "payment id: random");
		for (i = 0; i < sizeof(rnd) && n < API_PAYMENT_ID_LEN; i++)
			if (rnd[i] < 248)
				out[n++] = alnum[rnd[i] % 62];
	}
	out[API_PAYMENT_ID_LEN] = '\0';
	return 0;
}

static bool
payment_id_valid(const char *id)
{
	return id != NULL && strlen(id) == API_PAYMENT_ID_LEN &&
	    strncmp(id, "pay_", 4) == 0 &&
	    valid_token(id + 4, API_PAYMENT_ID_LEN - 4, 1, 64, "");
}

/* Inside the transaction: a payment already made for rq (by key, then by
 * reference). 1 found (same request), 0 none, -1 E_CONFLICT / E_STORE. */
static int
pay_replay(struct app *app, const struct api_pay_req *rq, const char *idem,
    const char *hash, struct api_payment *p, struct err *err)
{
	int rc = -1;

	if (idem != NULL) {
		rc = store_api_payment_by_idem(app->store, idem, p, err);
		if (rc == 0 && strcmp(p->body_sha256, hash) != 0)
			return err_set(err, E_CONFLICT, "Idempotency-Key "
			    "reused with another request");
		if (rc == 0)
			return 1;
		if (err->code != E_NOTFOUND)
			return -1;
	}
	rc = store_api_payment_by_reference(app->store, rq->reference, p, err);
	if (rc == 0 && strcmp(p->body_sha256, hash) != 0)
		return err_set(err, E_CONFLICT, "reference %s exists with "
		    "another request", rq->reference);
	if (rc == 0)
		return 1;
	return err->code == E_NOTFOUND ? 0 : -1;
}

int
api_payment_create(struct app *app, const struct api_caller *c,
    const struct api_pay_req *rq, const char *idem, struct api_payment *p,
    bool *created, struct err *err)
{
	char hash[65], id[API_PAYMENT_ID_LEN + 1];
	int64_t now = app_now_s(app);
	int rc;

	*created = false;
	if (strcmp(rq->currency, app->cfg->useepay_currency) != 0)
		return err_set(err, E_INPUT, "currency: this merchant takes "
		    "%s", app->cfg->useepay_currency);
	if (!api_origin_allowed(app->cfg->api_return_origins, rq->return_url,
	    app->cfg->http_allow_plain))
		return err_set(err, E_INPUT, "returnUrl: not on an allowed "
		    "origin (api_return_origins)");
	if (idem != NULL && !api_idem_key_valid(idem))
		return err_set(err, E_INPUT, "Idempotency-Key: 1-%d of "
		    "[0-9A-Za-z_.:-]", API_IDEM_KEY_MAX);
	pay_req_hash(rq, hash);
	if (payment_id_new(app, id, err) == -1)
		return -1;
	if (store_begin(app->store, err) == -1)
		return -1;
	if ((rc = pay_replay(app, rq, idem, hash, p, err)) == -1)
		goto fail;
	if (rc == 1) {
		store_rollback(app->store);
		return 0;
	}
	memset(p, 0, sizeof(*p));
	str_lcpy(p->payment_id, id, sizeof(p->payment_id));
	p->key_id = c->key.id;
	str_lcpy(p->reference, rq->reference, sizeof(p->reference));
	if (idem != NULL)
		str_lcpy(p->idempotency_key, idem, sizeof(p->idempotency_key));
	str_lcpy(p->body_sha256, hash, sizeof(p->body_sha256));
	p->amount = rq->amount;
	str_lcpy(p->currency, rq->currency, sizeof(p->currency));
	str_lcpy(p->subject, rq->subject, sizeof(p->subject));
	str_lcpy(p->return_url, rq->return_url, sizeof(p->return_url));
	str_lcpy(p->metadata, rq->metadata, sizeof(p->metadata));
	p->created_at = now;
	p->expires_at = now + (rq->expires_in ? rq->expires_in :
	    API_EXPIRES_DEFAULT);
	if (store_api_payment_insert(app->store, p, err) == -1)
		goto fail;
	if (store_commit(app->store, err) == -1)
		return -1;
	*created = true;
	log_info("api", "payment_create", "payment=%s key=%s amount=%lld",
	    p->payment_id, c->key.name, (long long)p->amount);
	return store_api_payment_get(app->store, id, p, err);
fail:
	store_rollback(app->store);
	return -1;
}

int
api_payment_get(struct app *app, const char *payment_id,
    struct api_payment *p, struct err *err)
{
	if (!payment_id_valid(payment_id))
		return err_set(err, E_NOTFOUND, "malformed payment id");
	return store_api_payment_get(app->store, payment_id, p, err);
}

int
api_payment_by_reference(struct app *app, const char *reference,
    struct api_payment *p, struct err *err)
{
	if (reference == NULL || !valid_token(reference, strlen(reference), 1,
	    API_REFERENCE_MAX, "_.:-"))
		return err_set(err, E_NOTFOUND, "malformed reference");
	return store_api_payment_by_reference(app->store, reference, p, err);
}

const char *
api_payment_state(const struct app *app, const struct api_payment *p)
{
	if (p->order_id != 0)
		return p->order_state;
	if (p->cancelled_at != 0 || app_now_s(app) >= p->expires_at)
		return "CLOSED";
	return "CREATED";
}

int
api_payment_cancel(struct app *app, const struct api_caller *c,
    const char *payment_id, struct api_payment *p, struct err *err)
{
	struct order_input in;
	struct order_outcome oc;
	char actor[API_KEY_NAME_MAX + 5];
	enum order_state s;

	if (!payment_id_valid(payment_id))
		return err_set(err, E_NOTFOUND, "malformed payment id");
	(void)snprintf(actor, sizeof(actor), "api:%s", c->key.name);
	if (store_begin(app->store, err) == -1)
		return -1;
	if (store_api_payment_get(app->store, payment_id, p, err) == -1)
		goto fail;
	if (p->order_id != 0) {
		if (order_state_parse(p->order_state, &s) == -1) {
			err_set(err, E_INTERNAL, "stored state");
			goto fail;
		}
		if (order_state_is_paid(s) || s == ORDER_FAILED) {
			err_set(err, E_CONFLICT, "payment is %s",
			    p->order_state);
			goto fail;
		}
		memset(&in, 0, sizeof(in));
		in.source = OSRC_ADMIN;
		in.kind = OIN_EXPIRE;
		in.amount = -1;
		in.error_code = "CANCELLED";
		in.error_msg = "cancelled through the payments API";
		in.actor = actor;
		if (order_apply(app->store, app_now_s(app), p->order_no, &in,
		    &oc, err) == -1)
			goto fail;
	}
	if (p->cancelled_at == 0 && store_api_payment_cancel(app->store,
	    p->id, app_now_s(app), err) == -1)
		goto fail;
	if (store_commit(app->store, err) == -1)
		return -1;
	log_info("api", "payment_cancel", "payment=%s key=%s", payment_id,
	    c->key.name);
	return store_api_payment_get(app->store, payment_id, p, err);
fail:
	store_rollback(app->store);
	return -1;
}

static int
refund_view(struct app *app, const char *refund_no, int64_t order_id,
    struct api_refund_view *v, struct err *err)
{
	struct refund rf;

	memset(v, 0, sizeof(*v));
	if (!valid_order_no(refund_no, strlen(refund_no)))
		return err_set(err, E_NOTFOUND, "malformed refund id");
	if (store_refund_get(app->store, refund_no, &rf, err) == -1)
		return -1;
	if (rf.order_id != order_id)
		return err_set(err, E_NOTFOUND, "refund of another payment");
	str_lcpy(v->refund_no, rf.refund_no, sizeof(v->refund_no));
	v->state = rf.state;
	v->amount = rf.amount;
	str_lcpy(v->currency, rf.currency, sizeof(v->currency));
	return 0;
}

/* The answer recorded for (payment, key): 0 answered (*v or *err), 1 no
 * record. */
static int
refund_replay(struct app *app, const struct api_payment *p,
    const char *idem, const char *hash, struct api_refund_view *v,
    struct err *err)
{
	struct api_refund ar;

	if (store_api_refund_get(app->store, p->id, idem, &ar, err) == -1)
		return err->code == E_NOTFOUND ? 1 : -1;
	if (strcmp(ar.body_sha256, hash) != 0)
		return err_set(err, E_CONFLICT, "Idempotency-Key reused with "
		    "another request");
	if (ar.refund_no[0])
		return refund_view(app, ar.refund_no, p->order_id, v, err);
	if (ar.error[0])
		return err_set(err, E_CONFLICT, "%s", ar.error);
	return err_set(err, E_CONFLICT, "the first request with this "
	    "Idempotency-Key is still running: retry");
}

int
api_refund_create(struct app *app, const struct api_caller *c,
    const char *payment_id, int64_t amount, const char *reason,
    const char *idem, const struct admin_who *who,
    struct api_refund_view *v, struct err *err)
{
	struct refund_create_res res;
	struct api_payment p;
	struct buf b;
	char hash[65];
	int rc;

	(void)c;
	memset(v, 0, sizeof(*v));
	if (!api_idem_key_valid(idem))
		return err_set(err, E_INPUT, "Idempotency-Key: required, 1-%d "
		    "of [0-9A-Za-z_.:-]", API_IDEM_KEY_MAX);
	if (reason == NULL)
		reason = "";
	if (strlen(reason) > REFUND_REASON_MAX)
		return err_set(err, E_INPUT, "reason: at most %d bytes",
		    REFUND_REASON_MAX);
	if (api_payment_get(app, payment_id, &p, err) == -1)
		return -1;
	if (p.order_id == 0)
		return err_set(err, E_CONFLICT, "payment is not paid");
	buf_init(&b, 512);
	(void)buf_printf(&b, "%lld\n%s", (long long)amount, reason);
	sign_sha256_hex(buf_str(&b), b.len, hash);
	buf_cleanup(&b);
	if (store_begin(app->store, err) == -1)
		return -1;
	rc = refund_replay(app, &p, idem, hash, v, err);
	if (rc != 1) {
		store_rollback(app->store);
		return rc;
	}
	if (store_api_refund_reserve(app->store, p.id, idem, hash,
	    app_now_s(app), err) == -1) {
		store_rollback(app->store);
		return -1;
	}
	if (store_commit(app->store, err) == -1)
		return -1;
	if (refund_create(app, p.order_no, amount, reason, who, &res,
	    err) == -1) {
		struct err fe;
		bool keep = err->code == E_CONFLICT || err->code == E_INPUT;

		err_clear(&fe);
		if (store_api_refund_finish(app->store, p.id, idem, NULL,
		    keep ? err->msg : NULL, &fe) == -1)
			log_error("api", "refund_finish_fail", "payment=%s "
			    "msg=\"%s\"", payment_id, fe.msg);
		return -1;
	}
	if (store_api_refund_finish(app->store, p.id, idem, res.refund_no,
	    NULL, err) == -1)
		log_error("api", "refund_finish_fail", "payment=%s refund=%s "
		    "msg=\"%s\"", payment_id, res.refund_no, err->msg);
	return refund_view(app, res.refund_no, p.order_id, v, err);
}

int
api_refund_get(struct app *app, const char *payment_id,
    const char *refund_no, struct api_refund_view *v, struct err *err)
{
	struct api_payment p;

	if (api_payment_get(app, payment_id, &p, err) == -1)
		return -1;
	if (p.order_id == 0)
		return err_set(err, E_NOTFOUND, "no refunds");
	return refund_view(app, refund_no, p.order_id, v, err);
}

int
api_checkout_get(struct app *app, const char *payment_id,
    struct api_payment *p, struct err *err)
{
	struct buyer_order o;

	if (api_payment_get(app, payment_id, p, err) == -1)
		return -1;
	if (p->order_id == 0)
		return 0;
	/* the shop's status poll: queries an open order at most once per
	 * status_query_interval_sec across all workers */
	if (pay_status(app, p->openid, p->order_no, &o, err) == -1)
		return -1;
	buyer_order_cleanup(&o);
	return store_api_payment_get(app->store, payment_id, p, err);
}

int
api_checkout_pay(struct app *app, const char *payment_id,
    const char *openid, const char *appid, const char *client_ip,
    enum pay_result *res, struct buyer_order *o, struct err *err)
{
	struct store_order_new no;
	struct api_payment p;
	char order_no[33];
	int64_t now = app_now_s(app), id, exp;

	memset(o, 0, sizeof(*o));
	if (!payment_id_valid(payment_id))
		return err_set(err, E_NOTFOUND, "malformed payment id");
	if (pay_order_no_new(app, order_no, err) == -1)
		return -1;
	if (store_begin(app->store, err) == -1)
		return -1;
	if (store_api_payment_get(app->store, payment_id, &p, err) == -1)
		goto fail;
	if (p.order_id != 0) {
		store_rollback(app->store);
		if (strcmp(p.openid, openid) != 0)
			return err_set(err, E_CONFLICT, "payment is being "
			    "paid by another buyer");
		return pay_existing(app, openid, payment_id, res, o, err);
	}
	if (p.cancelled_at != 0 || now >= p.expires_at) {
		err_set(err, E_CONFLICT, "payment is %s", p.cancelled_at ?
		    "cancelled" : "expired");
		goto fail;
	}
	exp = now + app->cfg->useepay_expiration_min * 60;
	memset(&no, 0, sizeof(no));
	no.order_no = order_no;
	no.openid = openid;
	no.appid = appid;
	no.amount = p.amount;
	no.currency = p.currency;
	no.subject = p.subject;
	no.idempotency_key = payment_id;
	no.now = now;
	no.expires_at = exp < p.expires_at ? exp : p.expires_at;
	no.next_check_at = order_next_check(now, 0, now);
	if (store_order_create(app->store, &no, &id, err) == -1 ||
	    store_api_payment_bind(app->store, p.id, id, err) == -1)
		goto fail;
	if (store_commit(app->store, err) == -1)
		return -1;
	log_info("api", "checkout_order", "payment=%s order=%s", payment_id,
	    order_no);
	return pay_submit(app, order_no, openid, client_ip, res, o, err);
fail:
	store_rollback(app->store);
	return -1;
}

const char *
api_return_status(const struct app *app, const struct api_payment *p)
{
	const char *s = api_payment_state(app, p);

	if (strcmp(s, "PAID") == 0 || strcmp(s, "PARTIALLY_REFUNDED") == 0 ||
	    strcmp(s, "REFUNDED") == 0)
		return "paid";
	if (strcmp(s, "FAILED") == 0)
		return "failed";
	if (strcmp(s, "CLOSED") == 0)
		return "closed";
	return "open";
}

int
api_return_url(const struct app *app, const struct api_payment *p,
    struct buf *out, struct err *err)
{
	const char *key = app->keys ? app->keys->api_return_secret : NULL;
	const char *status = api_return_status(app, p);
	char msg[128], sig[65];
	int n;

	if (key == NULL)
		return err_set(err, E_INTERNAL, "api_return_secret_file: not "
		    "configured");
	n = snprintf(msg, sizeof(msg), "payment_id=%s&status=%s",
	    p->payment_id, status);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return err_set(err, E_INTERNAL, "return signature");
	sign_hmac_sha256_hex(key, strlen(key), msg, (size_t)n, sig);
	if (buf_printf(out, "%s%c%s&sig=%s", p->return_url,
	    strchr(p->return_url, '?') ? '&' : '?', msg, sig) == -1)
		return err_set(err, E_TOOBIG, "return URL");
	return 0;
}
