/*
 * sim_pay.c - the payer (docs/protocol.md §W2): /sim/jsbridge.js defines
 * window.WeixinJSBridge in the shop page (injected by the demo's nginx,
 * never by production) and fires WeixinJSBridgeReady; its
 * invoke('getBrandWCPayRequest', params, cb) asks POST /sim/pay/check to
 * check the six parameters, shows a payment sheet built with DOM
 * textContent only, and reports the choice to POST /sim/pay/confirm, then
 * calls back with WeChat's err_msg.
 *
 * Checked like WeChat: exactly the six names, every value a string,
 * appId the Official Account's, signType RSA, package "prepay_id=<known
 * id>", paySign verifying over "appId\ntimeStamp\nnonceStr\npackage\n"
 * and matching the prepay's own timeStamp/nonce, the payment still
 * payable. The page is on the shop's origin: these endpoints answer CORS
 * for cors_origin only.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "log.h"
#include "sim.h"
#include "store.h"
#include "util.h"

#define ERR_FAIL "get_brand_wcpay_request:fail"
#define ERR_SIG "get_brand_wcpay_request:fail_invalid signature"

static const char jsbridge_js[] =
"/* h5pay-sim: a stand-in for WeChat's WeixinJSBridge (tests and demo\n"
" * only; production pages run inside WeChat). */\n"
"(function () {\n"
"  'use strict';\n"
"  if (window.WeixinJSBridge) { return; }\n"
"  var me = document.currentScript;\n"
"  var base = me && me.src ? new URL(me.src).origin : '';\n"
"  function post(path, body) {\n"
"    return fetch(base + path, {method: 'POST', mode: 'cors',\n"
"      credentials: 'omit', headers: {'Content-Type': 'application/json'},\n"
"      body: JSON.stringify(body)}).then(function (r) { return r.json(); });\n"
"  }\n"
"  function el(tag, text, css) {\n"
"    var e = document.createElement(tag);\n"
"    if (text !== undefined) { e.textContent = String(text); }\n"
"    if (css) { Object.keys(css).forEach(function (k) {\n"
"      e.style[k] = css[k]; }); }\n"
"    return e;\n"
"  }\n"
"  function sheet(info, done) {\n"
"    var shade = el('div', undefined, {position: 'fixed', left: '0',\n"
"      top: '0', right: '0', bottom: '0', background: 'rgba(0,0,0,.5)',\n"
"      zIndex: '2147483647', display: 'flex', alignItems: 'flex-end'});\n"
"    var box = el('div', undefined, {background: '#fff', width: '100%',\n"
"      padding: '16px', fontFamily: 'sans-serif', textAlign: 'center'});\n"
"    shade.id = 'h5pay-sim-sheet';\n"
"    box.appendChild(el('div', 'h5pay-sim WeChat Pay', {color: '#888',\n"
"      fontSize: '12px'}));\n"
"    var m = el('div', info.merchant, {fontSize: '16px', margin: '8px'});\n"
"    m.className = 'sim-merchant';\n"
"    var s = el('div', info.subject, {color: '#555'});\n"
"    s.className = 'sim-subject';\n"
"    var a = el('div', info.amountText, {fontSize: '28px',\n"
"      margin: '12px'});\n"
"    a.className = 'sim-amount';\n"
"    box.appendChild(m); box.appendChild(s); box.appendChild(a);\n"
"    [['pay', 'Pay'], ['cancel', 'Cancel'], ['fail', 'Fail']].forEach(\n"
"      function (b) {\n"
"        var btn = el('button', b[1], {margin: '6px', padding: '8px 20px'});\n"
"        btn.type = 'button';\n"
"        btn.className = 'sim-' + b[0];\n"
"        btn.addEventListener('click', function () {\n"
"          shade.parentNode.removeChild(shade); done(b[0]); });\n"
"        box.appendChild(btn);\n"
"      });\n"
"    shade.appendChild(box);\n"
"    document.body.appendChild(shade);\n"
"  }\n"
"  function pay(params, cb) {\n"
"    var called = false;\n"
"    function back(msg) {\n"
"      if (called) { return; }\n"
"      called = true;\n"
"      if (typeof cb === 'function') { cb({err_msg: msg}); }\n"
"    }\n"
"    var p = {};\n"
"    if (params && typeof params === 'object') {\n"
"      Object.keys(params).forEach(function (k) { p[k] = params[k]; });\n"
"    }\n"
"    post('/sim/pay/check', p).then(function (res) {\n"
"      if (!res.ok) { back(res.err_msg || '" ERR_FAIL "'); return; }\n"
"      sheet(res, function (action) {\n"
"        var q = {action: action, params: p};\n"
"        post('/sim/pay/confirm', q).then(function (r) {\n"
"          back(r.err_msg || '" ERR_FAIL "');\n"
"        }, function () { back('" ERR_FAIL "'); });\n"
"      });\n"
"    }, function () { back('" ERR_FAIL "'); });\n"
"  }\n"
"  function ready() {\n"
"    window.WeixinJSBridge = {\n"
"      invoke: function (name, params, cb) {\n"
"        if (name === 'getBrandWCPayRequest') { pay(params, cb); return; }\n"
"        if (typeof cb === 'function') {\n"
"          cb({err_msg: name + ':fail_not supported by h5pay-sim'}); }\n"
"      },\n"
"      on: function () {}, call: function () {}\n"
"    };\n"
"    var ev;\n"
"    try { ev = new Event('WeixinJSBridgeReady'); } catch (e) {\n"
"      ev = document.createEvent('Event');\n"
"      ev.initEvent('WeixinJSBridgeReady', true, true); }\n"
"    document.dispatchEvent(ev);\n"
"  }\n"
"  /* injected asynchronously, as inside WeChat */\n"
"  if (document.readyState === 'loading') {\n"
"    document.addEventListener('DOMContentLoaded', function () {\n"
"      setTimeout(ready, 50); });\n"
"  } else { setTimeout(ready, 50); }\n"
"})();\n";

int
sim_pay_js(struct app *app, struct req *r, struct resp *w, struct err *err)
{
	resp_text(w, 200, "application/javascript; charset=utf-8",
	    jsbridge_js);
	return 0;
}

/* CORS for the shop origin. false (and *err) for another origin. */
static bool
cors(struct sim *sim, struct req *r, struct resp *w, struct err *err)
{
	const char *origin = req_param(r, "HTTP_ORIGIN");

	if (origin == NULL || *origin == '\0')
		return true;	/* not a browser's cross-origin call */
	if (sim->cfg.cors_origin == NULL ||
	    strcmp(origin, sim->cfg.cors_origin) != 0) {
		err_set(err, E_FORBIDDEN, "origin not allowed");
		return false;
	}
	resp_header(w, "Access-Control-Allow-Origin", sim->cfg.cors_origin);
	resp_header(w, "Vary", "Origin");
	return true;
}

int
sim_pay_options(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	if (!cors(sim_of(app), r, w, err))
		return -1;
	resp_header(w, "Access-Control-Allow-Methods", "POST");
	resp_header(w, "Access-Control-Allow-Headers", "Content-Type");
	resp_header(w, "Access-Control-Max-Age", "600");
	w->status = 204;
	w->content_type = NULL;
	return 0;
}

static void
answer(struct resp *w, bool ok, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "err_msg", json_object_new_string(msg));
	resp_json(w, 200, o);
}

/*
 * Check the six parameters; on success *t is the payable transaction.
 * Returns the err_msg to answer on failure, NULL when valid.
 */
static const char *
params_check(struct app *app, struct json_object *p, struct sim_txn *t,
    struct err *err)
{
	static const char *const names[] = {"appId", "timeStamp", "nonceStr",
	    "package", "signType", "paySign"};
	struct sim *sim = sim_of(app);
	const char *v[6];
	struct buf msg;
	size_t i;
	int rc;

	if (p == NULL || !json_object_is_type(p, json_type_object))
		return ERR_FAIL;
	if (json_object_object_length(p) != 6)
		return ERR_FAIL;	/* a missing, extra or misspelt name */
	for (i = 0; i < 6; i++) {
		struct json_object *x;

		if (!json_object_object_get_ex(p, names[i], &x) ||
		    !json_object_is_type(x, json_type_string))
			return ERR_FAIL;	/* absent, or not a string */
		v[i] = json_object_get_string(x);
		if (strlen(v[i]) > 512 || *v[i] == '\0')
			return ERR_FAIL;
	}
	if (strcmp(v[0], sim->cfg.wechat_appid) != 0 ||
	    strcmp(v[4], "RSA") != 0 || strncmp(v[3], "prepay_id=", 10) != 0)
		return ERR_FAIL;
	buf_init(&msg, 4096);
	buf_printf(&msg, "%s\n%s\n%s\n%s\n", v[0], v[1], v[2], v[3]);
	rc = sign_verify_rsa_bytes(sim->wechat_priv, msg.data, msg.len, v[5],
	    err);
	buf_cleanup(&msg);
	if (rc == -1)
		return ERR_SIG;
	if (sim_txn_get_prepay(app->store, v[3] + 10, t, err) == -1 ||
	    strcmp(t->time_stamp, v[1]) != 0 || strcmp(t->nonce, v[2]) != 0)
		return ERR_FAIL;
	if (strcmp(t->status, "pending") != 0 ||
	    t->expires_ms <= app_now_ms(app))
		return "get_brand_wcpay_request:fail_order closed or paid";
	return NULL;
}

static void
amount_text(const struct sim_txn *t, char *out, size_t sz)
{
	int e = sim_currency_exponent(t->currency);
	int64_t p = 1;
	int i;

	for (i = 0; i < e; i++)
		p *= 10;
	if (e == 0)
		snprintf(out, sz, "%s %lld", t->currency, (long long)t->amount);
	else
		snprintf(out, sz, "%s %lld.%0*lld", t->currency,
		    (long long)(t->amount / p), e, (long long)(t->amount % p));
}

int
sim_pay_check(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct sim *sim = sim_of(app);
	struct json_object *p, *o;
	struct sim_txn t;
	struct err cerr;
	const char *bad;
	char amount[64];

	if (!cors(sim, r, w, err) || (p = req_json(r, err)) == NULL)
		return -1;
	bad = params_check(app, p, &t, &cerr);
	json_object_put(p);
	if (bad) {
		log_info("sim", "pay_check_refused", "err_msg=\"%s\"", bad);
		answer(w, false, bad);
		return 0;
	}
	amount_text(&t, amount, sizeof(amount));
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "merchant",
	    json_object_new_string(sim->cfg.merchant_name));
	json_object_object_add(o, "subject", json_object_new_string(t.subject));
	json_object_object_add(o, "amountText", json_object_new_string(amount));
	json_object_object_add(o, "currency", json_object_new_string(
	    t.currency));
	json_object_object_add(o, "transactionId",
	    json_object_new_string(t.transaction_id));
	resp_json(w, 200, o);
	return 0;
}

int
sim_pay_confirm(struct app *app, struct req *r, struct resp *w,
    struct err *err)
{
	struct sim *sim = sim_of(app);
	struct json_object *body, *p = NULL, *a;
	const char *bad, *action = "", *msg;
	struct sim_txn t;
	struct err cerr;

	if (!cors(sim, r, w, err) || (body = req_json(r, err)) == NULL)
		return -1;
	if (json_object_object_get_ex(body, "action", &a) &&
	    json_object_is_type(a, json_type_string))
		action = json_object_get_string(a);
	json_object_object_get_ex(body, "params", &p);
	bad = params_check(app, p, &t, &cerr);
	if (bad) {
		msg = bad;
	} else if (strcmp(action, "pay") == 0) {
		if (sim_txn_finish(app, t.id, "pending", "succeed", "0000",
		    "Success", NULL, &cerr) == -1) {
			log_warn("sim", "pay_confirm", "msg=\"%s\"", cerr.msg);
			msg = ERR_FAIL;
		} else {
			msg = "get_brand_wcpay_request:ok";
		}
	} else if (strcmp(action, "cancel") == 0) {
		msg = "get_brand_wcpay_request:cancel";
	} else {
		msg = ERR_FAIL;
	}
	log_info("sim", "pay_confirm", "action=%.16s err_msg=\"%s\"", action,
	    msg);
	json_object_put(body);	/* action was borrowed from it */
	answer(w, strcmp(msg, "get_brand_wcpay_request:ok") == 0, msg);
	return 0;
}
