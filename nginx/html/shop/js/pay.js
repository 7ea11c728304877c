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
	var id = null;
	var view = null;
	var busy = false;
	var outside = false;

	function load() {
		return H.api('GET', '/api/checkout/' + encodeURIComponent(id))
		    .then(function (r) {
			if (r.status !== 200 || !r.data)
				throw new Error('checkout ' + r.status);
			view = r.data;
			return view;
		});
	}

	function payButton(on, again) {
		var b = H.$('pay');
		b.disabled = !on || outside;
		b.textContent = '';
		b.appendChild(document.createTextNode(again ? '继续支付 ' :
		    '微信支付 '));
		b.appendChild(H.el('span', '', again ? 'Pay again' : 'Pay'));
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
		H.$('merchant').textContent = '商户 Merchant: ' + v.returnHost;
		H.show(H.$('back'), true);
		if (v.final) {
			H.$('msg').setAttribute('data-state', v.state);
			H.notice(H.$('msg'), '', '正在返回商户…',
			    'Going back to the merchant…');
			payButton(false, false);
			window.location.assign(v.returnUrl);
			return;
		}
		payButton(true, false);
	}

	function settled() {
		H.notice(H.$('msg'), '', '正在确认支付结果…',
		    'Confirming the payment…');
		H.$('msg').setAttribute('data-state', 'confirming');
		window.H5Pay.poll(load, function (v) {
			return v && v.final;
		}, POLL_MS, POLL_MAX_MS).then(function () {
			backToMerchant();
		});
	}

	function notPaid(zh, en) {
		busy = false;
		H.notice(H.$('msg'), '', zh, en);
		H.$('msg').setAttribute('data-state', 'payable');
		payButton(true, true);
	}

	function pay() {
		if (busy || outside)
			return;
		busy = true;
		payButton(false, false);
		H.notice(H.$('msg'), '', '正在创建订单…', 'Creating the order…');
		H.api('POST', '/api/checkout/' + encodeURIComponent(id) + '/pay',
		    {}).then(function (r) {
			var d = r.data;
			if (r.status === 409) {
				backToMerchant();
				return;
			}
			if (r.status !== 200 || !d || !d.jsapi) {
				notPaid('支付下单失败，请稍后重试。',
				    'The payment could not be started. Please '
				    + 'try again.');
				return;
			}
			H.notice(H.$('msg'), '', '请在微信支付中完成付款…',
			    'Complete the payment in WeChat Pay…');
			window.H5Pay.invoke(d.jsapi).then(function (how) {
				if (how === 'ok')
					settled();
				else if (how === 'cancel')
					notPaid('支付已取消。', 'Payment cancelled.');
				else
					notPaid('支付未完成。',
					    'The payment did not go through.');
			}, function () {
				busy = false;
				H.notice(H.$('msg'), 'error',
				    '无法调起微信支付，请在微信中打开此页面。',
				    'WeChat Pay is not available: please open '
				    + 'this page in WeChat.');
				payButton(true, false);
			});
		}, function () {
			notPaid('网络繁忙，请稍后再试。',
			    'The service is busy. Please try again.');
		});
	}

	document.addEventListener('DOMContentLoaded', function () {
		var m = /[?&]id=(pay_[0-9A-Za-z]{32})(&|$)/.exec(
		    window.location.search);
		outside = H.wechatGate(H.$('wechat-notice'));
		document.addEventListener('WeixinJSBridgeReady', function () {
			if (outside) {
				outside = false;
				payButton(!busy && view && !view.final, false);
			}
		});
		if (!m) {
			H.notice(H.$('msg'), 'error', '支付链接无效。',
			    'This payment link is not valid.');
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
			H.notice(H.$('msg'), 'error', '无法加载订单，请稍后重试。',
			    'Could not load the payment. Please try again.');
		});
	});
}());
