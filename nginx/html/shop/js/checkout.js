/*
 * checkout.js - the payment page (checkout.html, or checkout.html?order=NO
 * to pay an order made earlier on this phone). It is a real page load
 * inside /shop/, the payment authorization directory (iOS WeChat checks
 * the landing URL against it: docs/protocol.md §W3).
 *
 * Outside WeChat nothing is sent to the server's login: the page says so
 * at once, with a QR code of the page and a copy-link button.
 *
 * Pay: wait for WeixinJSBridge (no order is created without it) -> POST
 * /pay with the items and an idempotency key ->
 * WeixinJSBridge.invoke('getBrandWCPayRequest', jsapi) (bridge.js, the
 * one copy, shared with hosted checkout) with the parameters exactly as
 * returned -> on ':ok' the result page (':ok' is not
 * proof of payment, the result page asks the server); on ':cancel' or
 * ':fail' the buyer stays here and the same order can be paid again until
 * it expires: the same key returns the same order and parameters. An
 * order that expired, failed or was closed is dropped when the page opens
 * (its status is asked) or when /pay says 409, and a fresh one is made in
 * the same tap.
 */
(function () {
	'use strict';
	var H = window.H5;
	var BRIDGE_WAIT_MS = 10000;
	var bridge = window.H5Pay.bridge;	/* bridge.js: one copy */
	var outside = false;
	var busy = false;
	var loadedAt = Date.now();
	var catalog = {};
	var forOrder = null;		/* ?order=NO: its key and items */
	var goneSkus = {};

	function cartItems() {
		if (forOrder)
			return forOrder.items.slice();
		var c = H.cartGet();
		return Object.keys(c).sort().map(function (sku) {
			return { sku: sku, qty: c[sku] };
		});
	}

	function nowSec() {
		return Math.floor(Date.now() / 1000);
	}

	function fresh(sig) {
		return { key: H.randomKey(), sig: sig, items: JSON.parse(sig) };
	}

	/* The attempt for these items: reuse its key while its order can be
	 * paid, else a new one. */
	function attempt(items) {
		var sig = JSON.stringify(items);
		var p = H.payGet();
		if (forOrder)
			p = { key: forOrder.key, sig: sig, items: items,
			    orderNo: forOrder.orderNo,
			    expiresAt: forOrder.expiresAt, earlier: true };
		if (!p || p.sig !== sig || p.dead ||
		    (p.expiresAt && nowSec() >= p.expiresAt - 10))
			p = fresh(sig);
		H.payPut(p);
		return p;
	}

	/* Pay button: state 'ready' | 'again' | 'busy' | 'off'. */
	function payButton(state, label) {
		var b = H.$('pay');
		b.disabled = state === 'off' || state === 'busy' || outside;
		if (state === 'busy')
			b.setAttribute('aria-busy', 'true');
		else
			b.removeAttribute('aria-busy');
		b.textContent = label || H.t(state === 'again' ? 'pay.again' :
		    'pay');
	}

	function payableMsg(p, text) {
		var m = H.$('msg');
		H.notice(m, '', text + ' ' + H.t('pay.payable',
		    H.shortNo(p.orderNo), H.fmtTime(p.expiresAt)));
		m.setAttribute('data-state', 'payable');
		m.setAttribute('data-order', p.orderNo);
		payButton('again');
	}

	function invoke(p, b, jsapi) {
		H.toast(H.t('pay.complete'), 0);
		window.H5Pay.call(b, jsapi).then(function (how) {
			busy = false;
			H.toast(null);
			if (how === 'ok') {
				p.state = 'ok';
				H.payPut(p);
				try {
					sessionStorage.setItem('h5pay.paid.v1',
					    p.orderNo);
				} catch (e) {
					/* the result page then says "awaiting" */
				}
				window.location.assign('/shop/result.html?order=' +
				    encodeURIComponent(p.orderNo));
			} else if (how === 'cancel') {
				payableMsg(p, H.t('pay.cancelled'));
			} else {
				payableMsg(p, H.t('pay.notdone'));
			}
		});
	}

	/* A removed or unknown item named by /pay's 400 (items[N]: ...). */
	function goneFromServer(d, items) {
		var m = /^items\[(\d+)\]: (unknown sku|sku not for sale)/.exec(
		    d && typeof d.message === 'string' ? d.message : '');
		if (!m || !items[Number(m[1])])
			return false;
		goneSkus[items[Number(m[1])].sku] = true;
		render();
		return true;
	}

	function failed(r, p, items) {
		var d = r.data || {};
		busy = false;
		H.toast(null);
		if (r.status === 502 || r.status === 504) {
			/* refused, or no verified answer: that order can never
			 * be paid (its parameters were never seen), the next tap
			 * is a new attempt */
			p.dead = true;
			H.payPut(p);
			H.notice(H.$('msg'), 'error', H.t('pay.refused'));
		} else if (r.status === 0 || r.status === 503 ||
		    r.status === 429) {
			/* no answer or busy: the same key next time, the server
			 * answers with the same order if it was created */
			H.notice(H.$('msg'), 'error', H.netText(r.status));
			H.$('msg').setAttribute('data-state', navigator.onLine
			    === false ? 'offline' : 'network');
		} else if (r.status === 409 && d.state === 'PAID') {
			window.location.assign('/shop/result.html?order=' +
			    encodeURIComponent(d.orderNo));
			return;
		} else if (r.status === 400 && goneFromServer(d, items)) {
			return;
		} else {
			H.notice(H.$('msg'), 'error', H.t('pay.invalid'));
		}
		payButton('ready');
	}

	function create(items, p, retried) {
		H.toast(H.t('pay.creating'), 0);
		payButton('busy', H.t('pay.creating'));
		H.api('POST', '/pay', { items: items, idempotencyKey: p.key })
		    .then(function (r) {
			var d = r.data;
			if (r.status === 409 && !retried && !(d && d.state ===
			    'PAID')) {
				/* that order expired or failed: a fresh one now */
				forOrder = null;
				p = fresh(JSON.stringify(items));
				H.payPut(p);
				create(items, p, true);
				return;
			}
			if (r.status !== 200 || !d || !d.jsapi || !d.orderNo) {
				failed(r, p, items);
				return;
			}
			p.orderNo = d.orderNo;
			p.expiresAt = d.expiresAt;
			H.payPut(p);
			H.toast(H.t('pay.opening'), 0);
			bridge(BRIDGE_WAIT_MS).then(function (b) {
				invoke(p, b, d.jsapi);
			}, function () {
				noBridge(p);
			});
		});
	}

	function noBridge(p) {
		busy = false;
		H.toast(null);
		H.notice(H.$('msg'), 'error', H.t('pay.nobridge'));
		H.$('msg').setAttribute('data-state', 'no-bridge');
		payButton(p && p.orderNo ? 'again' : 'ready');
	}

	function pay() {
		var items = cartItems();
		if (busy || outside || items.length === 0)
			return;
		busy = true;
		H.show(H.$('msg'), false);
		payButton('busy', H.t('pay.wait.bridge'));
		/* no order before the bridge is there to pay it */
		var wait = Math.max(0, loadedAt + BRIDGE_WAIT_MS - Date.now());
		bridge(wait).then(function () {
			create(items, attempt(items), false);
		}, function () {
			noBridge(null);
		});
	}

	function render() {
		var items = cartItems(), box = H.$('lines');
		var sum = 0, cur = null, ok = items.length > 0, gone = 0;
		box.textContent = '';
		items.forEach(function (it) {
			var p = catalog[it.sku];
			var li = H.el('li');
			li.setAttribute('data-sku', it.sku);
			if (!p || goneSkus[it.sku]) {
				ok = false;
				gone++;
				li.setAttribute('data-gone', '1');
				var name = p ? p.name : H.cartName(it.sku);
				li.appendChild(H.el('span', 'what', H.t('gone',
				    name)));
				if (!forOrder) {
					var rm = H.button(H.t('remove'),
					    'secondary remove', function () {
						H.cartSet(it.sku, 0);
						delete goneSkus[it.sku];
						render();
					});
					rm.setAttribute('aria-label',
					    H.t('remove.label', name));
					li.appendChild(rm);
				}
				box.appendChild(li);
				return;
			}
			if (cur !== null && cur !== p.currency)
				ok = false;
			cur = p.currency;
			sum += p.price * it.qty;
			li.appendChild(H.el('span', 'what', H.t('line', p.name,
			    it.qty)));
			li.appendChild(H.el('span', 'price', H.money(p.price *
			    it.qty, p.currency)));
			box.appendChild(li);
		});
		H.$('cart-total').textContent = cur && ok ? H.money(sum, cur) :
		    '—';
		if (items.length === 0) {
			H.show(H.$('msg'), false);
			box.classList.remove('panel');
			H.empty(box, H.t('empty.cart'));
			payButton('off');
			return;
		}
		if (gone) {
			H.notice(H.$('msg'), 'error', H.t('gone.some'));
			H.$('msg').setAttribute('data-state', 'gone');
			payButton('off');
			return;
		}
		if (!ok) {
			H.notice(H.$('msg'), 'error', H.t('mixed'));
			payButton('off');
			return;
		}
		H.show(H.$('msg'), false);
		payButton('ready');
		var p = H.payGet();
		if (forOrder)
			p = { key: forOrder.key, orderNo: forOrder.orderNo,
			    expiresAt: forOrder.expiresAt,
			    sig: JSON.stringify(items) };
		if (p && p.orderNo && !p.dead && p.sig === JSON.stringify(items)
		    && p.expiresAt && nowSec() < p.expiresAt - 10 && !outside)
			check(p);
	}

	/* Is the remembered order still payable? Ask before offering it. */
	function check(p) {
		H.api('GET', '/api/orders/' + encodeURIComponent(p.orderNo))
		    .then(function (r) {
			var st = r.data && r.data.state;
			if (r.status === 200 && (st === 'PENDING' ||
			    st === 'CREATED' || st === 'UNKNOWN')) {
				payableMsg(p, H.t('pay.unpaid'));
				return;
			}
			if (r.status === 200 && /PAID|REFUNDED/.test(st)) {
				window.location.assign('/shop/result.html?order=' +
				    encodeURIComponent(p.orderNo));
				return;
			}
			if (r.status === 200 || r.status === 404) {
				/* expired, failed or closed: start afresh */
				forOrder = null;
				H.payPut(fresh(JSON.stringify(cartItems())));
			}
		});
	}

	document.addEventListener('DOMContentLoaded', function () {
		var m = /[?&]order=([0-9A-Za-z]{1,32})(?:&|$)/.exec(
		    window.location.search);
		if (m && H.keyGet(m[1])) {
			var k = H.keyGet(m[1]);
			forOrder = { orderNo: m[1], key: k.key, items: k.items,
			    expiresAt: k.expiresAt };
		}
		outside = !H.inWeChat();
		if (outside)
			H.openInWeChat(H.$('wechat-notice'),
			    window.location.origin + '/shop/');
		document.addEventListener('WeixinJSBridgeReady', function () {
			if (outside) {
				outside = false;
				H.show(H.$('wechat-notice'), false);
				H.$('wechat-notice').removeAttribute(
				    'data-outside-wechat');
				render();
			}
		});
		H.$('pay').addEventListener('click', pay);
		H.skeleton(H.$('lines'), Math.max(1, Math.min(3,
		    cartItems().length)), 'li');
		/* inside WeChat, sign in before the buyer taps Pay (a 401 goes
		 * to the login and comes back here) */
		if (!outside)
			H.api('GET', '/api/me');
		H.products().then(function (list) {
			list.forEach(function (p) {
				catalog[p.sku] = p;
			});
			H.unskeleton(H.$('lines'));
			render();
		}, function (e) {
			H.unskeleton(H.$('lines'));
			H.notice(H.$('msg'), 'error', H.netText(e && e.status),
			    [H.button(H.t('retry'), 'secondary', function () {
				window.location.reload();
			})]);
		});
	});
}());
