/*
 * oauth.c - WeChat web authorization, snsapi_base (docs/protocol.md §W1).
 *
 * What it does: build the authorize URL, exchange a code for the openid
 * through struct httpc (one retry on errcode -1), map errcodes, and keep
 * the single-use states and the code -> openid cache (through
 * store_session.c). What it does not do: HTTP handling, pages, cookies,
 * sessions (web_oauth.c, session.c).
 *
 * Invariants: the AppSecret, codes and access tokens never reach a log
 * line, an error message or the database; the exchange URL and the
 * response body are wiped once used. States and browser binders are
 * stored only as SHA-256.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "form.h"
#include "httpc.h"
#include "keys.h"
#include "lim.h"
#include "log.h"
#include "metrics.h"
#include "oauth.h"
#include "sign.h"
#include "util.h"
#include "valid.h"

static unsigned retry_backoff_ms = OAUTH_RETRY_BACKOFF_MS;

void
oauth_retry_backoff_set(unsigned ms)
{
	retry_backoff_ms = ms;
}

bool
oauth_ret_valid(const char *ret)
{
	size_t i, n;

	if (ret == NULL)
		return false;
	n = strlen(ret);
	if (n == 0 || n > STORE_RET_MAX || ret[0] != '/')
		return false;
	/* "//host" and "/\host" are network-path references to browsers */
	if (n > 1 && (ret[1] == '/' || ret[1] == '\\'))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)ret[i];

		if (c <= 0x20 || c >= 0x7f || c == '\\')
			return false;
	}
	/* back into the login would loop */
	if (strncmp(ret, "/oauth/", 7) == 0 || strcmp(ret, "/oauth") == 0)
		return false;
	return true;
}

bool
oauth_nonce_valid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != OAUTH_NONCE_LEN)
		return false;
	for (i = 0; i < OAUTH_NONCE_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool
oauth_code_valid(const char *s)
{
	return s != NULL && valid_token(s, strlen(s), 1, OAUTH_CODE_MAX, "-_");
}

/* public_base_url without its trailing slashes: length to use. */
static size_t
base_len(const char *base)
{
	size_t n = strlen(base);

	while (n && base[n - 1] == '/')
		n--;
	return n;
}

int
oauth_authorize_url(const struct cfg *c, const char *state, struct buf *out,
    struct err *err)
{
	struct buf redir;
	int rc = -1;

	buf_init(&redir, LIM_OAUTH_URL);
	if (buf_add(&redir, c->public_base_url,
	    base_len(c->public_base_url)) == -1 ||
	    buf_adds(&redir, "/oauth/callback") == -1) {
		err_set(err, E_INPUT, "%s: public_base_url too long", __func__);
		goto out;
	}
	/* §W1: exactly this order; WeChat matches the URL strictly */
	if (buf_adds(out, c->wechat_authorize_url) == -1 ||
	    buf_adds(out, strchr(c->wechat_authorize_url, '?') ?
	    "&appid=" : "?appid=") == -1 ||
	    form_encode_component(out, c->wechat_appid,
	    strlen(c->wechat_appid)) == -1 ||
	    buf_adds(out, "&redirect_uri=") == -1 ||
	    form_encode_component(out, redir.data, redir.len) == -1 ||
	    buf_adds(out, "&response_type=code&scope=snsapi_base&state=") ==
	    -1 ||
	    form_encode_component(out, state, strlen(state)) == -1 ||
	    buf_adds(out, "&connect_redirect=1#wechat_redirect") == -1) {
		err_set(err, E_TOOBIG, "%s: URL too long", __func__);
		goto out;
	}
	rc = 0;
out:
	buf_cleanup(&redir);
	return rc;
}

enum oauth_outcome
oauth_errcode_map(long errcode)
{
	switch (errcode) {
	case 0:
		return OAUTH_OK;
	case 40163:
		return OAUTH_CODE_USED;
	case 40029:
	case 41008:
		return OAUTH_CODE_INVALID;
	case 40125:	/* invalid appsecret */
	case 40013:	/* invalid appid */
	case 40164:	/* caller IP not in the account's whitelist */
	case 41002:	/* appid missing */
	case 41004:	/* appsecret missing */
		return OAUTH_CONFIG;
	case -1:
		return OAUTH_BUSY;
	default:
		return OAUTH_UPSTREAM;
	}
}

const char *
oauth_outcome_name(enum oauth_outcome o)
{
	switch (o) {
	case OAUTH_OK: return "ok";
	case OAUTH_SNAPSHOT: return "snapshot_user";
	case OAUTH_CODE_USED: return "code_used";
	case OAUTH_CODE_INVALID: return "code_invalid";
	case OAUTH_CONFIG: return "config_error";
	case OAUTH_BUSY: return "busy";
	case OAUTH_UPSTREAM: return "upstream_error";
	}
	return "?";
}

/* Drop an error message that could quote a secret (a URL in a transport
 * error): keep the code, replace the text. */
static void
err_scrub(struct err *err, const char *secret, const char *code)
{
	if (err == NULL)
		return;
	if ((secret && *secret && strstr(err->msg, secret)) ||
	    (code && *code && strstr(err->msg, code)) ||
	    strstr(err->msg, "secret=") || strstr(err->msg, "code="))
		err_set(err, err->code, "oauth exchange failed (message "
		    "withheld: it quoted the request)");
}

/* Parse the access_token answer into *u. Only errcode, openid and
 * is_snapshotuser are read: the tokens are not kept. */
static int
exchange_parse(const struct buf *body, struct oauth_user *u, struct err *err)
{
	struct json_tokener *tok;
	struct json_object *o = NULL, *v;
	int rc = -1;

	if (body->len == 0)
		return err_set(err, E_UPSTREAM, "oauth: empty answer");
	tok = json_tokener_new_ex(16);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, body->data, (int)body->len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != body->len ||
	    !json_object_is_type(o, json_type_object)) {
		json_tokener_free(tok);
		err_set(err, E_UPSTREAM, "oauth: answer is not a JSON object");
		goto out;
	}
	json_tokener_free(tok);
	/* §W1: errors are HTTP 200 with errcode; branch on errcode only */
	if (json_object_object_get_ex(o, "errcode", &v)) {
		if (!json_object_is_type(v, json_type_int)) {
			err_set(err, E_UPSTREAM, "oauth: errcode not a number");
			goto out;
		}
		u->errcode = (long)json_object_get_int64(v);
		if (u->errcode != 0) {
			u->outcome = oauth_errcode_map(u->errcode);
			rc = 0;
			goto out;
		}
	}
	if (!json_object_object_get_ex(o, "openid", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !valid_openid(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v))) {
		err_set(err, E_UPSTREAM, "oauth: no valid openid");
		goto out;
	}
	str_lcpy(u->openid, json_object_get_string(v), sizeof(u->openid));
	u->outcome = OAUTH_OK;
	if (json_object_object_get_ex(o, "is_snapshotuser", &v) &&
	    ((json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) == 1) ||
	    (json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), "1") == 0))) {
		u->outcome = OAUTH_SNAPSHOT;
		u->openid[0] = '\0';
	}
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

static int
exchange_once(struct app *app, const char *code, struct oauth_user *u,
    struct err *err)
{
	const struct cfg *c = app->cfg;
	const char *secret = app->keys ? app->keys->wechat_secret : NULL;
	struct httpc_req rq = {.method = "GET"};
	struct httpc_resp rs;
	int64_t us0;
	struct buf url;
	int rc = -1;

	buf_init(&url, LIM_OAUTH_URL);
	httpc_resp_init(&rs, (size_t)c->http_max_response_bytes);
	if (app->httpc == NULL || secret == NULL) {
		err_set(err, E_INTERNAL, "oauth: no HTTP client or no secret");
		goto out;
	}
	/* §W1 step 2, server side only */
	if (buf_add(&url, c->wechat_api_base_url,
	    base_len(c->wechat_api_base_url)) == -1 ||
	    buf_adds(&url, "/sns/oauth2/access_token?appid=") == -1 ||
	    form_encode_component(&url, c->wechat_appid,
	    strlen(c->wechat_appid)) == -1 ||
	    buf_adds(&url, "&secret=") == -1 ||
	    form_encode_component(&url, secret, strlen(secret)) == -1 ||
	    buf_adds(&url, "&code=") == -1 ||
	    form_encode_component(&url, code, strlen(code)) == -1 ||
	    buf_adds(&url, "&grant_type=authorization_code") == -1) {
		err_set(err, E_INTERNAL, "oauth: exchange URL too long");
		goto out;
	}
	rq.url = url.data;
	rq.timeout_ms = (long)c->wechat_oauth_timeout_ms;
	u->attempts++;
	us0 = metrics_now_us();
	if (httpc_send(app->httpc, &rq, &rs, err) == -1) {
		metrics_provider(MP_WECHAT, "oauth_token", err->code ==
		    E_UNKNOWN ? MO_UNKNOWN : MO_ERROR, metrics_now_us() - us0);
		err_scrub(err, secret, code);
		goto out;
	}
	metrics_provider(MP_WECHAT, "oauth_token", rs.status == 200 ? MO_OK :
	    MO_ERROR, metrics_now_us() - us0);
	if (rs.status != 200) {
		err_set(err, E_UPSTREAM, "oauth: HTTP %ld from the token "
		    "endpoint", rs.status);
		goto out;
	}
	rc = exchange_parse(&rs.body, u, err);
out:
	if (url.data)
		mem_wipe(url.data, url.cap);
	if (rs.body.data)
		mem_wipe(rs.body.data, rs.body.cap);
	httpc_resp_cleanup(&rs);
	buf_cleanup(&url);
	return rc;
}

int
oauth_code_exchange(struct app *app, const char *code, struct oauth_user *u,
    struct err *err)
{
	int attempt;

	memset(u, 0, sizeof(*u));
	if (!oauth_code_valid(code))
		return err_set(err, E_INPUT, "oauth: malformed code");
	for (attempt = 0; attempt < 2; attempt++) {
		if (attempt > 0) {
			/* -1 is "system busy": one retry after a pause (§W1) */
			struct timespec ts = {retry_backoff_ms / 1000,
			    (long)(retry_backoff_ms % 1000) * 1000000L};

			log_info("oauth", "exchange_retry", "errcode=-1 "
			    "backoff_ms=%u", retry_backoff_ms);
			while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
				;
		}
		u->errcode = 0;
		u->outcome = OAUTH_OK;
		if (exchange_once(app, code, u, err) == -1)
			return -1;
		if (u->outcome != OAUTH_BUSY)
			return 0;
	}
	return 0;
}

int
oauth_nonce_new(struct app *app, char *out, struct err *err)
{
	unsigned char raw[OAUTH_NONCE_LEN / 2];

	if (app_random(app, raw, sizeof(raw)) == -1)
		return err_set(err, E_INTERNAL, "oauth: no random bytes");
	hex_encode(raw, sizeof(raw), out);
	mem_wipe(raw, sizeof(raw));
	return 0;
}

int
oauth_state_new(struct app *app, const char *browser, const char *ret,
    int restarts, char *state, struct err *err)
{
	char sh[65], bh[65];
	int64_t now = app_now_s(app);

	if (!oauth_nonce_valid(browser) || !oauth_ret_valid(ret))
		return err_set(err, E_INPUT, "oauth: bad binder or return "
		    "path");
	if (oauth_nonce_new(app, state, err) == -1)
		return -1;
	sign_sha256_hex(state, strlen(state), sh);
	sign_sha256_hex(browser, strlen(browser), bh);
	return store_oauth_state_insert(app->store, sh, bh, ret,
	    restarts ? 1 : 0, now, now + OAUTH_STATE_TTL, err);
}

int
oauth_state_take(struct app *app, const char *state,
    struct store_oauth_state *out, bool *taken, struct err *err)
{
	char sh[65];

	sign_sha256_hex(state, strlen(state), sh);
	return store_oauth_state_take(app->store, sh, app_now_s(app), out,
	    taken, err);
}

int
oauth_code_cache_put(struct app *app, const char *code,
    const struct store_oauth_code *c, struct err *err)
{
	char ch[65];
	int64_t now = app_now_s(app);

	sign_sha256_hex(code, strlen(code), ch);
	return store_oauth_code_put(app->store, ch, c, now,
	    now + OAUTH_CODE_TTL, err);
}

int
oauth_code_cache_get(struct app *app, const char *code,
    struct store_oauth_code *c, struct err *err)
{
	char ch[65];

	sign_sha256_hex(code, strlen(code), ch);
	return store_oauth_code_get(app->store, ch, app_now_s(app), c, err);
}
