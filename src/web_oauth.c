/*
 * web_oauth.c - the WeChat login (docs/protocol.md §W1) and the buyer's
 * session endpoints:
 *	GET  /oauth/start?ret=<path>	302 to WeChat's authorize page
 *	GET  /oauth/callback?code=&state=	session + 302 to ret, or a page
 *	GET  /api/me			the masked openid (R_BUYER)
 *	POST /api/logout		end the session
 *
 * What it does not do: SQL, HTTP to WeChat, token handling (oauth.c,
 * session.c, store_session.c).
 *
 * Invariants:
 * - a state is single use and bound to the browser cookie __Host-h5o; a
 *   callback never creates or replaces a session unless it carries the
 *   binder its state (or its cached code) was stored with (login CSRF,
 *   leaked callback links). Without the cookie (WeChat's webview may drop
 *   it) the state is spent and a small page restarts the login from this
 *   browser, its new state bound to a binder that page sets; with another
 *   browser's cookie the callback is refused;
 * - a failed state or code restarts the login at most once: the restarted
 *   state row carries restarts=1 and the browser a short-lived __Host-h5r
 *   marker; a second failure shows a page, never another redirect
 *   (WeChat answers loops with 10009);
 * - after a login the browser goes to ret, a validated relative path, so
 *   the code leaves the address bar (no resubmission, no Referer leak);
 * - codes, states, tokens and the AppSecret are never logged; openids are
 *   masked. Pages are static HTML with escaped text and no script.
 */
#include <json-c/json.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "form.h"
#include "log.h"
#include "oauth.h"
#include "session.h"
#include "sign.h"
#include "util.h"
#include "web.h"

#define RESTART_MARKER_TTL 300	/* s: long enough for one round trip */
#define BINDER_COOKIE_TTL OAUTH_STATE_TTL

/* "/oauth/start?ret=<ret percent-encoded>" (+ "&restart=1") into b. */
static void
start_url(struct buf *b, const char *ret, bool restart)
{
	buf_adds(b, "/oauth/start?ret=");
	form_encode_component(b, ret, strlen(ret));
	if (restart)
		buf_adds(b, "&restart=1");
}

/*
 * A small page: id names it for tests and support ("oauth-refused"), the
 * texts are static, the link (if any) goes to href. No script, no inline
 * style: the CSP forbids both.
 */
static void
page_full(struct resp *w, int status, const char *id, const char *title,
    const char *text, const char *href, const char *link_text, bool refresh)
{
	struct buf *b = &w->body;

	w->status = status;
	w->content_type = "text/html; charset=utf-8";
	buf_reset(b);
	/* no-referrer: the callback's address holds a code */
	buf_adds(b, "<!doctype html>\n<html lang=\"zh-CN\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">"
	    "<meta name=\"referrer\" content=\"no-referrer\">");
	if (refresh && href) {
		buf_adds(b, "<meta http-equiv=\"refresh\" content=\"0; url=");
		buf_add_html(b, href);
		buf_adds(b, "\">");
	}
	buf_adds(b, "<title>");
	buf_add_html(b, title);
	buf_adds(b, "</title></head>\n<body><main id=\"");
	buf_add_html(b, id);
	buf_adds(b, "\"><h1>");
	buf_add_html(b, title);
	buf_adds(b, "</h1>\n<p>");
	buf_add_html(b, text);
	buf_adds(b, "</p>\n");
	if (href) {
		buf_adds(b, "<p><a href=\"");
		buf_add_html(b, href);
		buf_adds(b, "\">");
		buf_add_html(b, link_text);
		buf_adds(b, "</a></p>\n");
	}
	buf_adds(b, "</main></body></html>\n");
}

static void
page(struct resp *w, int status, const char *id, const char *title,
    const char *text, const char *href, const char *link_text)
{
	page_full(w, status, id, title, text, href, link_text, false);
}

/* A page whose link starts the login again for ret. */
static void
page_retry(struct resp *w, int status, const char *id, const char *title,
    const char *text, const char *ret)
{
	struct buf href;

	buf_init(&href, 4 * STORE_RET_MAX + 64);
	start_url(&href, ret, false);
	page(w, status, id, title, text, buf_str(&href),
	    "重新登录 / Sign in again");
	buf_cleanup(&href);
}

/* The request's browser binder cookie, if well formed. */
static const char *
binder_of(const struct app *app, const struct req *r)
{
	const char *b = req_cookie(r, session_cookie_name(app->cfg,
	    SESSION_COOKIE_OAUTH));

	return oauth_nonce_valid(b) ? b : NULL;
}

static bool
restart_marked(const struct app *app, const struct req *r)
{
	const char *m = req_cookie(r, session_cookie_name(app->cfg,
	    SESSION_COOKIE_RESTART));

	return m != NULL && *m != '\0';
}

int
web_oauth_start(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	const char *ret = req_query(r, "ret");
	const char *rs = req_query(r, "restart");
	const char *binder = binder_of(app, r);
	bool restart = rs != NULL && strcmp(rs, "1") == 0;
	char state[OAUTH_NONCE_LEN + 1], fresh[OAUTH_NONCE_LEN + 1];
	struct buf url;
	int rc = -1;

	buf_init(&url, 8192);
	if (ret == NULL || *ret == '\0')
		ret = "/";
	if (!oauth_ret_valid(ret)) {
		/* an open redirect attempt or a broken link: no login */
		log_info("oauth", "ret_refused", "len=%zu", strlen(ret));
		page(w, 400, "oauth-bad-return", "无效的返回地址 / Invalid "
		    "return address", "登录后只能返回本站页面。 / After "
		    "signing in you can only return to a page of this shop.", "/",
		    "返回首页 / Home");
		rc = 0;
		goto out;
	}
	if (binder == NULL) {
		if (oauth_nonce_new(app, fresh, err) == -1)
			goto out;
		binder = fresh;
	}
	if (oauth_state_new(app, binder, ret, restart ? 1 : 0, state,
	    err) == -1)
		goto out;
	if (oauth_authorize_url(app->cfg, state, &url, err) == -1)
		goto out;
	session_purge_maybe(app);
	/* Lax: the cookie comes back on WeChat's top-level redirect */
	session_cookie_set(w, app->cfg, SESSION_COOKIE_OAUTH, binder,
	    BINDER_COOKIE_TTL);
	if (!restart && restart_marked(app, r))
		session_cookie_set(w, app->cfg, SESSION_COOKIE_RESTART, "", 0);
	resp_redirect(w, 302, buf_str(&url));
	log_info("oauth", "start", "restart=%d", restart ? 1 : 0);
	rc = 0;
out:
	mem_wipe(state, sizeof(state));
	buf_cleanup(&url);
	return rc;
}

/*
 * The state or the code did not work: start the login again, once. st is
 * the state's row when it was known (its ret and restart count), else
 * NULL. why is a static word for the log.
 */
static void
restart_or_fail(struct app *app, const struct req *r, struct resp *w,
    const struct store_oauth_state *st, const char *why)
{
	const char *ret = st ? st->ret : "/";
	struct buf loc;

	if ((st && st->restarts > 0) || restart_marked(app, r)) {
		log_info("oauth", "login_failed", "why=%s restarted=1", why);
		page_retry(w, 400, "oauth-expired", "登录已失效 / Sign-in "
		    "expired", "登录链接已失效或已被使用。请重新登录。 / This "
		    "sign-in link has expired or was already used. Please "
		    "sign in again.", ret);
		return;
	}
	log_info("oauth", "login_restart", "why=%s", why);
	buf_init(&loc, 4 * STORE_RET_MAX + 64);
	start_url(&loc, ret, true);
	session_cookie_set(w, app->cfg, SESSION_COOKIE_RESTART, "1",
	    RESTART_MARKER_TTL);
	resp_redirect(w, 302, buf_str(&loc));
	buf_cleanup(&loc);
}

/*
 * A callback whose state is not bound to this browser (no binder cookie):
 * never a session. The state is spent (an attacker's link dies here);
 * unless this login was already restarted, a page sets a fresh binder
 * and sends this browser through /oauth/start again, so the new state is
 * bound to a cookie set by this very chain. The code is not exchanged
 * and not echoed: the page is no-store and sends no Referer.
 */
static int
callback_unbound(struct app *app, const struct req *r, struct resp *w,
    const char *state, struct err *err)
{
	struct store_oauth_state st;
	char fresh[OAUTH_NONCE_LEN + 1];
	bool taken = false;
	struct buf loc;

	if (oauth_state_take(app, state, &st, &taken, err) == -1) {
		if (err->code != E_NOTFOUND)
			return -1;
		restart_or_fail(app, r, w, NULL, "unknown_state");
		return 0;
	}
	if (!taken) {
		restart_or_fail(app, r, w, &st, st.was_used ? "reused_state" :
		    "expired_state");
		return 0;
	}
	if (st.restarts > 0 || restart_marked(app, r)) {
		/* the cookie was lost twice: a person decides, no loop */
		log_info("oauth", "login_failed", "why=unbound restarted=1");
		page_retry(w, 400, "oauth-no-cookie", "无法完成登录 / Sign-in "
		    "could not finish", "浏览器没有保存登录所需的 Cookie。请"
		    "重新登录。 / Your browser did not keep the cookie this "
		    "sign-in needs. Please sign in again.", st.ret);
		return 0;
	}
	if (oauth_nonce_new(app, fresh, err) == -1)
		return -1;
	log_info("oauth", "login_restart", "why=unbound");
	buf_init(&loc, 4 * STORE_RET_MAX + 64);
	start_url(&loc, st.ret, true);
	session_cookie_set(w, app->cfg, SESSION_COOKIE_OAUTH, fresh,
	    BINDER_COOKIE_TTL);
	session_cookie_set(w, app->cfg, SESSION_COOKIE_RESTART, "1",
	    RESTART_MARKER_TTL);
	page_full(w, 200, "oauth-restart", "正在登录 / Signing in",
	    "正在重新登录，请稍候。 / Signing you in again, one moment.",
	    buf_str(&loc), "继续 / Continue", true);
	resp_header(w, "Cache-Control", "no-store");
	buf_cleanup(&loc);
	mem_wipe(fresh, sizeof(fresh));
	return 0;
}

static void
page_other_browser(struct resp *w, const char *ret)
{
	page_retry(w, 403, "oauth-other-browser", "请在同一浏览器中登录 / "
	    "Use one browser", "这个登录链接是在另一个浏览器中打开的。请在本"
	    "页面重新登录。 / This sign-in link was started in another "
	    "browser. Please sign in again here.", ret);
}

/* Logged in: session, clear the restart marker, back to ret. */
static int
login_done(struct app *app, const struct req *r, struct resp *w,
    const char *appid, const char *openid, const char *ret, bool cached,
    struct err *err)
{
	char masked[32];

	if (session_create(app, r, appid, openid, w, err) == -1)
		return -1;
	if (restart_marked(app, r))
		session_cookie_set(w, app->cfg, SESSION_COOKIE_RESTART, "", 0);
	log_info("oauth", "login", "openid=%s cached=%d",
	    log_mask(openid, masked, sizeof(masked)), cached ? 1 : 0);
	resp_redirect(w, 302, ret);
	return 0;
}

/*
 * A repeated callback (refresh, back button, WeChat's double call) with a
 * code we already exchanged for this state: the same login, no second
 * exchange. 1 when handled, 0 when the code is not in the cache for this
 * state, -1 on failure.
 */
static int
callback_cached(struct app *app, const struct req *r, struct resp *w,
    const char *code, const char *state, const char *bh, struct err *err)
{
	struct store_oauth_code c;
	char sh[65];

	if (oauth_code_cache_get(app, code, &c, err) == -1)
		return err->code == E_NOTFOUND ? 0 : -1;
	sign_sha256_hex(state, strlen(state), sh);
	if (!ct_equal(sh, strlen(sh), c.state_hash, strlen(c.state_hash)))
		return 0;
	/*
	 * Only the browser bound to the exchange may reuse it: a leaked
	 * callback link replayed elsewhere is someone else (bh is never
	 * empty here; a row stored without a binder matches no one).
	 */
	if (c.browser_hash[0] == '\0' || !ct_equal(bh, strlen(bh),
	    c.browser_hash, strlen(c.browser_hash))) {
		log_info("oauth", "refused", "why=cached_other_browser");
		page_other_browser(w, c.ret);
		return 1;
	}
	if (strcmp(c.appid, app->cfg->wechat_appid) != 0)
		return 0;
	if (login_done(app, r, w, c.appid, c.openid, c.ret, true, err) == -1)
		return -1;
	return 1;
}

int
web_oauth_callback(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	const char *code = req_query(r, "code");
	const char *state = req_query(r, "state");
	const char *binder = binder_of(app, r);
	struct store_oauth_state st;
	struct store_oauth_code c;
	struct oauth_user u;
	bool state_ok, taken = false;
	char bh[65] = "";
	int rc;

	state_ok = state != NULL && oauth_nonce_valid(state);
	if (binder)
		sign_sha256_hex(binder, strlen(binder), bh);
	session_purge_maybe(app);

	/* §W1: no code means the user refused (or WeChat did) */
	if (code == NULL || *code == '\0') {
		const char *ret = "/";

		if (state_ok && oauth_state_take(app, state, &st, &taken,
		    err) == 0)
			ret = st.ret;
		log_info("oauth", "refused", "why=no_code");
		page_retry(w, 403, "oauth-refused", "未授权 / Authorization "
		    "refused", "没有获得微信授权，无法识别您的身份。 / WeChat "
		    "did not authorize this sign-in.", ret);
		return 0;
	}
	if (!state_ok) {
		restart_or_fail(app, r, w, NULL, "bad_state");
		return 0;
	}
	if (binder == NULL)
		return callback_unbound(app, r, w, state, err);
	if (oauth_code_valid(code)) {
		rc = callback_cached(app, r, w, code, state, bh, err);
		if (rc != 0)
			return rc == 1 ? 0 : -1;
	}
	if (oauth_state_take(app, state, &st, &taken, err) == -1) {
		if (err->code != E_NOTFOUND)
			return -1;
		restart_or_fail(app, r, w, NULL, "unknown_state");
		return 0;
	}
	if (!taken) {
		restart_or_fail(app, r, w, &st, st.was_used ? "reused_state" :
		    "expired_state");
		return 0;
	}
	/* a different binder is another browser (login CSRF) */
	if (!ct_equal(bh, strlen(bh), st.browser_hash,
	    strlen(st.browser_hash))) {
		log_info("oauth", "refused", "why=other_browser");
		page_other_browser(w, st.ret);
		return 0;
	}
	if (!oauth_code_valid(code)) {
		restart_or_fail(app, r, w, &st, "bad_code");
		return 0;
	}
	if (oauth_code_exchange(app, code, &u, err) == -1) {
		log_warn("oauth", "exchange_fail", "code=%s msg=\"%s\"",
		    err_name(err->code), err->msg);
		page_retry(w, 502, "oauth-unavailable", "微信暂时无法登录 / "
		    "WeChat sign-in unavailable", "请稍后重试。 / Please try "
		    "again in a moment.", st.ret);
		return 0;
	}
	switch (u.outcome) {
	case OAUTH_OK:
		memset(&c, 0, sizeof(c));
		sign_sha256_hex(state, strlen(state), c.state_hash);
		str_lcpy(c.browser_hash, bh, sizeof(c.browser_hash));
		str_lcpy(c.appid, app->cfg->wechat_appid, sizeof(c.appid));
		str_lcpy(c.openid, u.openid, sizeof(c.openid));
		str_lcpy(c.ret, st.ret, sizeof(c.ret));
		if (oauth_code_cache_put(app, code, &c, err) == -1)
			return -1;
		return login_done(app, r, w, c.appid, c.openid, c.ret, false,
		    err);
	case OAUTH_SNAPSHOT:
		log_info("oauth", "refused", "why=snapshot_user");
		page(w, 403, "oauth-snapshot", "请使用完整服务 / Open the "
		    "full service", "当前是朋友圈快照页，无法登录。请点击屏幕"
		    "下方的“使用完整服务”后继续。 / This is a preview page: tap "
		    "\"使用完整服务\" at the bottom of the screen to continue.",
		    NULL, NULL);
		return 0;
	case OAUTH_CODE_USED:
	case OAUTH_CODE_INVALID:
		restart_or_fail(app, r, w, &st, oauth_outcome_name(u.outcome));
		return 0;
	case OAUTH_CONFIG:
		log_error("oauth", "config_error", "errcode=%ld appid=%s "
		    "msg=\"WeChat refused the appid/AppSecret: check "
		    "wechat_appid, wechat_secret_file and the IP whitelist\"",
		    u.errcode, app->cfg->wechat_appid);
		page(w, 500, "oauth-config", "暂时无法登录 / Sign-in "
		    "unavailable", "商户的微信登录配置有误，请联系商户。 / The "
		    "shop's WeChat sign-in is misconfigured; please contact "
		    "the shop.", NULL, NULL);
		return 0;
	case OAUTH_BUSY:
	case OAUTH_UPSTREAM:
		log_warn("oauth", "exchange_refused", "errcode=%ld outcome=%s "
		    "attempts=%d", u.errcode, oauth_outcome_name(u.outcome),
		    u.attempts);
		page_retry(w, 503, "oauth-unavailable", "微信暂时无法登录 / "
		    "WeChat sign-in unavailable", "请稍后重试。 / Please try "
		    "again in a moment.", st.ret);
		return 0;
	}
	return err_set(err, E_INTERNAL, "oauth: outcome %d", (int)u.outcome);
}

int
web_me_get(struct app *app, struct req *r, struct resp *w, struct err *err)
{
	const struct session *s = r->buyer;
	struct json_object *o;
	char masked[32];

	if (s == NULL)
		return err_set(err, E_AUTH, "no session");
	o = json_object_new_object();
	json_object_object_add(o, "openid", json_object_new_string(
	    log_mask(s->openid, masked, sizeof(masked))));
	json_object_object_add(o, "appid", json_object_new_string(s->appid));
	json_object_object_add(o, "expiresAt",
	    json_object_new_int64(s->expires_at));
	resp_json(w, 200, o);
	return 0;
}

int
web_logout_post(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct json_object *o;

	if (session_logout(app, r, w, err) == -1)
		return -1;
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	resp_json(w, 200, o);
	return 0;
}
