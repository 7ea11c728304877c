/*
 * checkout.js - the payment page (checkout.html). It is a real page load
 * inside /shop/, the payment authorization directory (iOS WeChat checks
 * the landing URL against it: docs/protocol.md §W3).
 *
 * Pay: POST /pay with the cart's skus and quantities and an idempotency
 * key -> H5Pay.invoke(jsapi) (bridge.js, shared with hosted checkout)
 * with the parameters exactly as returned -> on ':ok' the result page (':ok' is not
 * proof of payment, the result page asks the server); on ':cancel' or
 * ':fail' the buyer stays here and the same order can be paid again until
 * it expires: the same key returns the same order and parameters.
 */
(function () {
	'use strict';
	var H = window.H5;
	var outside = false;
	var busy = false;

	function cartItems() {
		var c = H.cartGet();
		return Object.keys(c).sort().map(function (sku) {
			return { sku: sku, qty: c[sku] };
		});
	}

	function nowSec() {
		return Math.floor(Date.now() / 1000);
	}

	/* The attempt for this cart: reuse its key while its order can be
	 * paid, else a new one. */
	function attempt(items) {
		var sig = JSON.stringify(items);
		var p = H.payGet();
		if (!p || p.sig !== sig || p.dead ||
		    (p.expiresAt && nowSec() >= p.expiresAt - 10))
			p = { key: H.randomKey(), sig: sig };
		H.payPut(p);
		return p;
	}

	function payButton(on, again) {
		var b = H.$('pay');
		b.disabled = !on || outside;
		b.textContent = '';
		b.appendChild(document.createTextNode(again ? '继续支付 ' :
		    '微信支付 '));
		b.appendChild(H.el('span', '', again ? 'Pay again' : 'Pay'));
	}

	function stillPayable(p, zh, en) {
		H.notice(H.$('msg'), '', zh + ' 订单 ' + p.orderNo + ' 在 ' +
		    H.fmtTime(p.expiresAt) + ' 前仍可支付。',
		    en + ' Order ' + p.orderNo + ' can still be paid until ' +
		    H.fmtTime(p.expiresAt) + '.');
		H.$('msg').setAttribute('data-state', 'payable');
		payButton(true, true);
	}

	function invoke(p, jsapi) {
		window.H5Pay.invoke(jsapi).then(function (how) {
			busy = false;
			if (how === 'ok') {
				p.state = 'ok';
				H.payPut(p);
				window.location.assign('/shop/result.html?order=' +
				    encodeURIComponent(p.orderNo));
			} else if (how === 'cancel') {
				stillPayable(p, '支付已取消。', 'Payment cancelled.');
			} else {
				stillPayable(p, '支付未完成。',
				    'The payment did not go through.');
			}
		}, function () {
			busy = false;
			H.notice(H.$('msg'), 'error',
			    '无法调起微信支付，请在微信中打开此页面。',
			    'WeChat Pay is not available: please open this '
			    + 'page in WeChat.');
			payButton(true, !!p.orderNo);
		});
	}

	function failed(r, p) {
		var d = r.data || {};
		busy = false;
		if (r.status === 502 || r.status === 504) {
			/* refused, or no verified answer: that order can never
			 * be paid (its parameters were never seen), the next tap
			 * is a new attempt */
			p.dead = true;
			H.payPut(p);
			H.notice(H.$('msg'), 'error', '支付下单失败，请稍后重试。',
			    'The payment could not be started. Please try '
			    + 'again.');
		} else if (r.status === 0 || r.status === 503 ||
		    r.status === 429) {
			/* no answer or busy: the same key next time, the server
			 * answers with the same order if it was created */
			H.notice(H.$('msg'), 'error',
			    '网络繁忙，请稍后再试。', 'The service is busy. '
			    + 'Please try again in a moment.');
		} else if (r.status === 409 && d.state === 'PAID') {
			window.location.assign('/shop/result.html?order=' +
			    encodeURIComponent(d.orderNo));
			return;
		} else if (r.status === 409) {
			p.dead = true;
			H.payPut(p);
			H.notice(H.$('msg'), 'error', '订单已失效，请重新支付。',
			    'That order is no longer payable. Please pay '
			    + 'again.');
		} else {
			H.notice(H.$('msg'), 'error', '无法提交订单，请检查购物车。',
			    'The order was refused. Please check your cart.'
			    + (d.message ? ' (' + d.message + ')' : ''));
		}
		payButton(true, false);
	}

	function pay() {
		var items = cartItems();
		if (busy || outside || items.length === 0)
			return;
		busy = true;
		payButton(false, false);
		H.notice(H.$('msg'), '', '正在创建订单…', 'Creating the order…');
		var p = attempt(items);
		H.api('POST', '/pay', { items: items, idempotencyKey: p.key })
		    .then(function (r) {
			var d = r.data;
			if (r.status !== 200 || !d || !d.jsapi || !d.orderNo) {
				failed(r, p);
				return;
			}
			p.orderNo = d.orderNo;
			p.expiresAt = d.expiresAt;
			H.payPut(p);
			H.notice(H.$('msg'), '', '请在微信支付中完成付款…',
			    'Complete the payment in WeChat Pay…');
			invoke(p, d.jsapi);
		}, function () {
			failed({ status: 0, data: null }, p);
		});
	}

	function render(catalog) {
		var items = cartItems(), box = H.$('lines');
		var sum = 0, cur = null, ok = items.length > 0;
		box.textContent = '';
		items.forEach(function (it) {
			var p = catalog[it.sku];
			if (!p) {
				ok = false;
				return;
			}
			if (cur !== null && cur !== p.currency)
				ok = false;
			cur = p.currency;
			sum += p.price * it.qty;
			var li = H.el('li');
			li.setAttribute('data-sku', it.sku);
			li.appendChild(H.el('span', '', p.name + ' × ' + it.qty));
			li.appendChild(H.el('span', 'price', H.money(p.price *
			    it.qty, p.currency)));
			box.appendChild(li);
		});
		H.$('cart-total').textContent = cur && ok ? H.money(sum, cur) :
		    '—';
		if (items.length === 0) {
			H.notice(H.$('msg'), '', '购物车是空的。',
			    'Your cart is empty.');
			return;
		}
		if (!ok) {
			H.notice(H.$('msg'), 'error', '购物车中有商品已下架或货币不一致。',
			    'Some items are no longer available or use another '
			    + 'currency: please update the cart.');
			return;
		}
		var p = H.payGet();
		if (p && p.orderNo && !p.dead && p.sig === JSON.stringify(items)
		    && p.expiresAt && nowSec() < p.expiresAt - 10) {
			stillPayable(p, '您有一笔未完成的订单。',
			    'You have an unpaid order.');
			return;
		}
		payButton(true, false);
	}

	document.addEventListener('DOMContentLoaded', function () {
		outside = H.wechatGate(H.$('wechat-notice'));
		document.addEventListener('WeixinJSBridgeReady', function () {
			if (outside) {
				outside = false;
				payButton(!busy, false);
			}
		});
		H.$('pay').addEventListener('click', pay);
		/* sign in before the buyer taps Pay (a 401 goes to the login
		 * and comes back here) */
		H.api('GET', '/api/me');
		H.products().then(function (list) {
			var catalog = {};
			list.forEach(function (p) {
				catalog[p.sku] = p;
			});
			render(catalog);
		}, function () {
			H.notice(H.$('msg'), 'error', '商品加载失败，请稍后重试。',
			    'Could not load the products. Please try again.');
		});
	});
}());
