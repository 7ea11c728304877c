/*
 * common.js - helpers shared by the shop pages (no framework, no build).
 *
 * Rules every page follows: values from the server or the user are only
 * ever inserted with textContent (never innerHTML); no inline script or
 * style (the Content-Security-Policy forbids them); amounts are integers
 * in minor units, formatted by the currency's exponent; the server
 * computes every price, the cart only remembers skus and quantities.
 */
(function () {
	'use strict';

	var CART_KEY = 'h5pay.cart.v1';
	var PAY_KEY = 'h5pay.pay.v1';

	/* ISO 4217 minor-unit exponents that are not 2. */
	var EXP = {
		BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0,
		PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0,
		XPF: 0,
		BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
		CLF: 4, UYW: 4
	};

	function exponent(currency) {
		return Object.prototype.hasOwnProperty.call(EXP, currency) ?
		    EXP[currency] : 2;
	}

	/* "HKD 1,234.50" from 123450 minor units; integers only. */
	function money(minor, currency) {
		if (typeof minor !== 'number' || !isFinite(minor) ||
		    Math.floor(minor) !== minor)
			return '—';
		var e = exponent(currency);
		var neg = minor < 0;
		var s = String(Math.abs(minor));
		while (s.length <= e)
			s = '0' + s;
		var ip = e ? s.slice(0, s.length - e) : s;
		var fp = e ? s.slice(s.length - e) : '';
		ip = ip.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
		return (neg ? '-' : '') + String(currency || '') + ' ' + ip +
		    (fp ? '.' + fp : '');
	}

	/* Create an element with a class and text (textContent only). */
	function el(tag, cls, text) {
		var n = document.createElement(tag);
		if (cls)
			n.className = cls;
		if (text !== undefined && text !== null)
			n.textContent = String(text);
		return n;
	}

	function $(id) {
		return document.getElementById(id);
	}

	function show(node, on) {
		if (node)
			node.classList.toggle('hidden', !on);
	}

	/* A notice: kind '' | 'error' | 'ok'; zh and en lines. */
	function notice(node, kind, zh, en) {
		if (!node)
			return;
		node.textContent = '';
		node.removeAttribute('data-state');
		node.className = 'notice' + (kind ? ' ' + kind : '');
		node.appendChild(el('div', '', zh));
		if (en)
			node.appendChild(el('div', 'en', en));
		show(node, true);
	}

	/* Inside WeChat: the User-Agent says so, or the bridge is there. */
	function inWeChat() {
		return /MicroMessenger/i.test(navigator.userAgent || '') ||
		    (typeof window.WeixinJSBridge === 'object' &&
		    window.WeixinJSBridge !== null);
	}

	/*
	 * Show the "open this page in WeChat" message in node when outside
	 * WeChat; returns true when outside. A bridge injected later hides it.
	 */
	function wechatGate(node) {
		if (inWeChat())
			return false;
		notice(node, 'error', '请在微信中打开此页面完成支付。',
		    'Please open this page in WeChat to pay.');
		node.setAttribute('data-outside-wechat', '1');
		document.addEventListener('WeixinJSBridgeReady', function () {
			show(node, false);
			node.removeAttribute('data-outside-wechat');
		});
		return true;
	}

	/* Only a same-site relative path is followed (no open redirect). */
	function safePath(p) {
		return typeof p === 'string' && p.charAt(0) === '/' &&
		    p.charAt(1) !== '/' && p.charAt(1) !== '\\';
	}

	/*
	 * Go through the login and come back to this page: the server names
	 * its login entry point in the 401; the return path is this page
	 * (the API path the server saw is not where the buyer should land).
	 */
	function login(loginUrl) {
		var base = '/oauth/start';
		if (safePath(loginUrl))
			base = loginUrl.split('?')[0];
		window.location.assign(base + '?ret=' + encodeURIComponent(
		    window.location.pathname + window.location.search));
	}

	/*
	 * fetch JSON: resolves {status, data} (data null when not JSON);
	 * a 401 login_required navigates to the login and never resolves.
	 */
	function api(method, path, body) {
		var opt = {
			method: method,
			credentials: 'same-origin',
			cache: 'no-store',
			headers: { 'Accept': 'application/json' }
		};
		if (body !== undefined) {
			opt.headers['Content-Type'] = 'application/json';
			opt.body = JSON.stringify(body);
		}
		return fetch(path, opt).then(function (res) {
			return res.json().then(function (d) {
				return d;
			}, function () {
				return null;
			}).then(function (data) {
				if (res.status === 401 && data &&
				    data.error === 'login_required') {
					login(data.login);
					return new Promise(function () {});
				}
				return { status: res.status, data: data };
			});
		});
	}

	/* The cart: {sku: qty} in localStorage; prices never stored. */
	function cartGet() {
		var c = {};
		try {
			var raw = JSON.parse(localStorage.getItem(CART_KEY) || '{}');
			Object.keys(raw).forEach(function (k) {
				var q = raw[k];
				if (/^[0-9A-Za-z_.-]{1,64}$/.test(k) &&
				    typeof q === 'number' && q >= 1 && q <= 99 &&
				    Math.floor(q) === q)
					c[k] = q;
			});
		} catch (e) {
			c = {};
		}
		return c;
	}

	function cartPut(c) {
		localStorage.setItem(CART_KEY, JSON.stringify(c));
	}

	function cartSet(sku, qty) {
		var c = cartGet();
		if (qty <= 0)
			delete c[sku];
		else
			c[sku] = Math.min(99, qty);
		cartPut(c);
		return c;
	}

	function cartCount() {
		var c = cartGet(), n = 0;
		Object.keys(c).forEach(function (k) {
			n += c[k];
		});
		return n;
	}

	function cartClear() {
		localStorage.removeItem(CART_KEY);
	}

	/* The pending payment attempt (idempotency key per cart content). */
	function payGet() {
		try {
			return JSON.parse(sessionStorage.getItem(PAY_KEY) ||
			    'null');
		} catch (e) {
			return null;
		}
	}

	function payPut(p) {
		if (p === null)
			sessionStorage.removeItem(PAY_KEY);
		else
			sessionStorage.setItem(PAY_KEY, JSON.stringify(p));
	}

	/* 32 random hex characters. */
	function randomKey() {
		var a = new Uint8Array(16), s = '';
		window.crypto.getRandomValues(a);
		for (var i = 0; i < a.length; i++)
			s += (a[i] < 16 ? '0' : '') + a[i].toString(16);
		return s;
	}

	function products() {
		return api('GET', '/api/products').then(function (r) {
			if (r.status !== 200 || !r.data ||
			    !Array.isArray(r.data.products))
				throw new Error('products ' + r.status);
			return r.data.products;
		});
	}

	/* Product picture: only same-origin paths (img-src 'self'). */
	function image(p) {
		var img = el('img');
		img.alt = '';
		img.src = safePath(p.image) ? p.image : '/shop/img/product.svg';
		return img;
	}

	function cartBadge() {
		var b = $('cart-count');
		if (b)
			b.textContent = String(cartCount());
	}

	function fmtTime(unixSec) {
		if (typeof unixSec !== 'number')
			return '';
		var d = new Date(unixSec * 1000);
		var p = function (n) {
			return (n < 10 ? '0' : '') + n;
		};
		return p(d.getHours()) + ':' + p(d.getMinutes());
	}

	window.H5 = {
		money: money, exponent: exponent, el: el, $: $, show: show,
		notice: notice, inWeChat: inWeChat, wechatGate: wechatGate,
		api: api, login: login, safePath: safePath,
		cartGet: cartGet, cartSet: cartSet, cartCount: cartCount,
		cartClear: cartClear, cartBadge: cartBadge,
		payGet: payGet, payPut: payPut, randomKey: randomKey,
		products: products, image: image, fmtTime: fmtTime
	};
}());
