/*
 * pay.js - hosted checkout (pay.html?id=PAYMENT), for payments a
 * merchant's backend created through the payments API
 * (docs/integration.md). A real page load inside /shop/, the payment
 * authorization directory (docs/protocol.md §W3).
 *
 * Load: GET /api/me (a 401 goes through WeChat's silent login and comes
 * back here), GET /api/checkout/{id} (subject, amount, state, the signed
 * return URL). Pay: POST /api/checkout/{id}/pay -> H5Pay.invoke(jsapi)
 * (bridge.js, the shop's own bridge code) -> on 'ok' poll the server
 * until the payment is final (':ok' is not proof), then back to the
 * merchant's return URL; on 'cancel' / 'fail' the buyer may pay again or
 * go back (the merchant learns "open" and must not ship). A payment that
 * is already final goes back at once. The return URL always comes from
 * the server, signed; it is never proof of payment either.
 */
(function () {
	'use strict';
	var H = window.H5;
	var POLL_MS = 1500;
	var POLL_MAX_MS = 30000;
	var LANGS = ['zh-HK', 'zh-CN', 'en'];
	var MSG = {
		title: ['付款', '付款', 'Pay'],
		merchant: ['商戶：{0}', '商户：{0}', 'Merchant: {0}'],
		back: ['返回商戶', '返回商户', 'Back to the merchant'],
		going: ['正在返回商戶…', '正在返回商户…',
		    'Going back to the merchant…'],
		badlink: ['付款連結無效。', '支付链接无效。',
		    'This payment link is not valid.']
	};
	var id = null;
	var view = null;
	var busy = false;
	var outside = false;

	function tr(key, arg) {
		var i = LANGS.indexOf(H.lang());
		return MSG[key][i < 0 ? 0 : i].replace('{0}', arg || '');
	}

	function load() {
		return H.api('GET', '/api/checkout/' + encodeURIComponent(id))
		    .then(function (r) {
			if (r.status !== 200 || !r.data)
				throw new Error('checkout ' + r.status);
			view = r.data;
			return view;
		});
	}

	function payButton(state) {
		var b = H.$('pay');
		b.disabled = state === 'off' || state === 'busy' || outside;
		b.textContent = H.t(state === 'again' ? 'pay.again' : 'pay');
	}

	function backToMerchant() {
		load().then(function (v) {
			window.location.assign(v.returnUrl);
		}, function () {
			if (view)
				window.location.assign(view.returnUrl);
		});
	}

	function render(v) {
		H.$('subject').textContent = v.subject;
		H.$('amount').textContent = H.money(v.amount, v.currency);
		H.$('total').textContent = H.money(v.amount, v.currency);
		H.$('merchant').textContent = tr('merchant', v.returnHost);
		H.show(H.$('back'), true);
		if (v.final) {
			H.notice(H.$('msg'), '', tr('going'));
			H.$('msg').setAttribute('data-state', v.state);
			payButton('off');
			window.location.assign(v.returnUrl);
			return;
		}
		payButton('ready');
	}

	function settled() {
		H.notice(H.$('msg'), '', H.t('res.confirming'));
		H.$('msg').setAttribute('data-state', 'confirming');
		window.H5Pay.poll(load, function (v) {
			return v && v.final;
		}, POLL_MS, POLL_MAX_MS).then(function () {
			backToMerchant();
		});
	}

	function notPaid(text) {
		busy = false;
		H.toast(null);
		H.notice(H.$('msg'), '', text);
		H.$('msg').setAttribute('data-state', 'payable');
		payButton('again');
	}

	function pay() {
		if (busy || outside)
			return;
		busy = true;
		payButton('busy');
		H.toast(H.t('pay.creating'), 0);
		H.api('POST', '/api/checkout/' + encodeURIComponent(id) + '/pay',
		    {}).then(function (r) {
			var d = r.data;
			if (r.status === 409) {
				backToMerchant();
				return;
			}
			if (r.status !== 200 || !d || !d.jsapi) {
				notPaid(H.t('pay.refused'));
				return;
			}
			H.toast(H.t('pay.complete'), 0);
			window.H5Pay.invoke(d.jsapi).then(function (how) {
				H.toast(null);
				if (how === 'ok')
					settled();
				else if (how === 'cancel')
					notPaid(H.t('pay.cancelled'));
				else
					notPaid(H.t('pay.notdone'));
			}, function () {
				busy = false;
				H.toast(null);
				H.notice(H.$('msg'), 'error', H.t('pay.nobridge'));
				payButton('ready');
			});
		}, function () {
			notPaid(H.netText(0));
		});
	}

	document.addEventListener('DOMContentLoaded', function () {
		var m = /[?&]id=(pay_[0-9A-Za-z]{32})(&|$)/.exec(
		    window.location.search);
		document.title = tr('title');
		H.$('title').textContent = tr('title');
		H.$('back').textContent = tr('back');
		outside = H.wechatGate(H.$('wechat-notice'));
		document.addEventListener('WeixinJSBridgeReady', function () {
			if (outside) {
				outside = false;
				payButton(!busy && view && !view.final ? 'ready' :
				    'off');
			}
		});
		if (!m) {
			H.notice(H.$('msg'), 'error', tr('badlink'));
			return;
		}
		id = m[1];
		H.$('pay').addEventListener('click', pay);
		H.$('back').addEventListener('click', function (e) {
			e.preventDefault();
			backToMerchant();
		});
		/* the buyer's openid first (silent login, back to this page) */
		H.api('GET', '/api/me').then(load).then(render, function () {
			H.notice(H.$('msg'), 'error', H.netText(0));
		});
	});
}());
