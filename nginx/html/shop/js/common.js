/*
 * common.js - helpers shared by the shop pages (no framework, no build).
 *
 * Rules every page follows: values from the server or the user are only
 * ever inserted with textContent (never innerHTML); no inline script or
 * style (the Content-Security-Policy forbids them); amounts are integers
 * in minor units, formatted by the currency's exponent and symbol; the
 * server computes every price, the cart only remembers skus, quantities
 * and (to name an item that is no longer sold) the names it was shown.
 *
 * Language: Traditional Chinese (zh-HK), Simplified (zh-CN) or English,
 * from the buyer's choice (the switch at the bottom of each page, kept in
 * localStorage), else WeChat's "Language/xx" in the User-Agent, else the
 * browser's languages. Every message exists in the three languages with
 * the same meaning (MSG below). Times are shown with their date in the
 * merchant's time zone (GET /api/products "shop".timeZone).
 */
(function () {
	'use strict';

	var CART_KEY = 'h5pay.cart.v1';
	var NAMES_KEY = 'h5pay.names.v1';
	var PAY_KEY = 'h5pay.pay.v1';
	var KEYS_KEY = 'h5pay.keys.v1';
	var LANG_KEY = 'h5pay.lang.v1';
	var SHOP_KEY = 'h5pay.shop.v1';
	var LANGS = ['zh-HK', 'zh-CN', 'en'];
	var LANG_LABEL = { 'zh-HK': '繁體', 'zh-CN': '简体', en: 'English' };

	/* One message, three languages; {0}, {1} are filled by t(). */
	var MSG = {
		'title.list': ['商品', '商品', 'Products'],
		'title.cart': ['購物車', '购物车', 'Cart'],
		'title.checkout': ['結帳', '结算', 'Checkout'],
		'title.orders': ['我的訂單', '我的订单', 'My orders'],
		'title.result': ['支付結果', '支付结果', 'Payment result'],
		'title.product': ['商品詳情', '商品详情', 'Product'],
		'nav.cart': ['購物車', '购物车', 'Cart'],
		'nav.shop': ['繼續購物', '继续购物', 'Shop'],
		'nav.orders': ['我的訂單', '我的订单', 'My orders'],
		'nav.back': ['返回', '返回', 'Back'],
		'lang': ['語言', '语言', 'Language'],
		'total': ['合計', '合计', 'Total'],
		'to.checkout': ['去結帳', '去结算', 'Checkout'],
		'checkout': ['結帳', '结算', 'Checkout'],
		'add': ['加入購物車', '加入购物车', 'Add to cart'],
		'add.short': ['加入', '加入', 'Add'],
		'add.label': ['把 {0} 加入購物車', '把 {0} 加入购物车',
		    'Add {0} to the cart'],
		'added': ['已加入購物車', '已加入购物车', 'Added to the cart'],
		'in.cart': ['購物車中 {0} 件', '购物车中 {0} 件', '{0} in cart'],
		'dec': ['減少 {0}', '减少 {0}', 'One fewer {0}'],
		'inc': ['增加 {0}', '增加 {0}', 'One more {0}'],
		'qty': ['數量', '数量', 'Quantity'],
		'remove': ['移除', '移除', 'Remove'],
		'remove.label': ['從購物車移除 {0}', '从购物车移除 {0}',
		    'Remove {0} from the cart'],
		'each': ['單價 {0}', '单价 {0}', '{0} each'],
		'loading': ['載入中…', '加载中…', 'Loading…'],
		'empty.cart': ['購物車是空的', '购物车是空的',
		    'Your cart is empty'],
		'empty.orders': ['還沒有訂單', '还没有订单', 'No orders yet'],
		'empty.products': ['暫時沒有商品', '暂时没有商品',
		    'No products yet'],
		'browse': ['去逛逛', '去逛逛', 'Browse the shop'],
		'load.failed': ['載入失敗，請稍後再試。', '加载失败，请稍后重试。',
		    'Could not load this page. Please try again.'],
		'retry': ['重試', '重试', 'Try again'],
		'offline': ['你目前處於離線狀態，請檢查網絡後再試。',
		    '您当前处于离线状态，请检查网络后重试。',
		    'You are offline. Check your connection and try again.'],
		'network': ['網絡連線出現問題，請稍後再試。',
		    '网络连接出现问题，请稍后重试。',
		    'The connection failed. Please try again.'],
		'busy': ['服務繁忙，請稍後再試。', '服务繁忙，请稍后重试。',
		    'The service is busy. Please try again in a moment.'],
		'gone': ['「{0}」已停售', '“{0}”已停售',
		    '"{0}" is no longer sold'],
		'gone.some': ['購物車中有已停售的商品，請先移除。',
		    '购物车中有已停售的商品，请先移除。',
		    'Your cart has items that are no longer sold: please remove '
		    + 'them first.'],
		'gone.unknown': ['已停售的商品（{0}）', '已停售的商品（{0}）',
		    'An item no longer sold ({0})'],
		'mixed': ['一張訂單只能使用一種貨幣，請分開購買。',
		    '一个订单只能使用一种货币，请分开购买。',
		    'One order can use only one currency: please buy these '
		    + 'separately.'],
		'outside': ['請在微信中打開此頁面完成支付。',
		    '请在微信中打开此页面完成支付。',
		    'Please open this page in WeChat to pay.'],
		'outside.how': ['用微信掃描二維碼，或複製連結後在微信中打開。',
		    '用微信扫描二维码，或复制链接后在微信中打开。',
		    'Scan the QR code with WeChat, or copy the link and open it '
		    + 'in WeChat.'],
		'qr.alt': ['此頁面的二維碼', '此页面的二维码',
		    'QR code of this page'],
		'link': ['頁面連結', '页面链接', 'Link to this page'],
		'copy': ['複製', '复制', 'Copy'],
		'copy.link': ['複製連結', '复制链接', 'Copy link'],
		'copied': ['已複製', '已复制', 'Copied'],
		'copy.failed': ['無法複製，請長按選取。', '无法复制，请长按选择。',
		    'Could not copy: select it and copy by hand.'],
		'pay': ['微信支付', '微信支付', 'Pay with WeChat'],
		'pay.again': ['繼續支付', '继续支付', 'Pay now'],
		'pay.creating': ['正在建立訂單…', '正在创建订单…',
		    'Creating the order…'],
		'pay.opening': ['正在打開微信支付…', '正在打开微信支付…',
		    'Opening WeChat Pay…'],
		'pay.wait.bridge': ['正在連接微信支付…', '正在连接微信支付…',
		    'Connecting to WeChat Pay…'],
		'pay.complete': ['請在微信支付中完成付款…', '请在微信支付中完成付款…',
		    'Complete the payment in WeChat Pay…'],
		'pay.cancelled': ['支付已取消。', '支付已取消。',
		    'Payment cancelled.'],
		'pay.notdone': ['支付未完成。', '支付未完成。',
		    'The payment did not go through.'],
		'pay.payable': ['訂單 {0} 在 {1} 前仍可支付。',
		    '订单 {0} 在 {1} 前仍可支付。',
		    'Order {0} can still be paid until {1}.'],
		'pay.unpaid': ['你有一張未完成的訂單。', '您有一笔未完成的订单。',
		    'You have an unpaid order.'],
		'pay.nobridge': ['暫時無法使用微信支付，請稍後再試。尚未建立訂單。',
		    '暂时无法使用微信支付，请稍后重试。尚未创建订单。',
		    'WeChat Pay is not available right now. Please try again; '
		    + 'no order was created.'],
		'pay.refused': ['未能發起支付，請稍後再試。', '支付下单失败，请稍后重试。',
		    'The payment could not be started. Please try again.'],
		'pay.invalid': ['未能提交訂單，請檢查購物車。', '无法提交订单，请检查购物车。',
		    'The order was refused. Please check your cart.'],
		'pay.amount': ['金額以下單時的商品價格為準。', '金额以下单时的商品价格为准。',
		    'The amount is computed from the current prices when you pay.'],
		'st.CREATED': ['待支付', '待支付', 'Awaiting payment'],
		'st.PENDING': ['待支付', '待支付', 'Awaiting payment'],
		'st.UNKNOWN': ['確認中', '确认中', 'Confirming'],
		'st.CONFIRMING': ['確認中', '确认中', 'Confirming'],
		'st.PAID': ['已支付', '已支付', 'Paid'],
		'st.FAILED': ['支付失敗', '支付失败', 'Payment failed'],
		'st.CLOSED': ['已關閉', '已关闭', 'Closed'],
		'st.EXPIRED': ['已過期', '已过期', 'Expired'],
		'st.PARTIALLY_REFUNDED': ['部分退款', '部分退款',
		    'Partially refunded'],
		'st.REFUNDED': ['已退款', '已退款', 'Refunded'],
		'res.paid': ['支付成功', '支付成功', 'Payment successful'],
		'res.confirming': ['正在確認支付結果…', '正在确认支付结果…',
		    'Confirming your payment…'],
		'res.awaiting': ['待支付', '待支付', 'Awaiting payment'],
		'res.failed': ['支付失敗', '支付失败', 'Payment failed'],
		'res.failed.msg': ['本次支付未成功，你沒有被扣款。可返回購物車重新下單。',
		    '本次支付未成功，您未被扣款。可返回购物车重新下单。',
		    'This payment did not succeed and you were not charged. You '
		    + 'can go back to the cart and pay again.'],
		'res.closed': ['訂單已關閉', '订单已关闭', 'Order closed'],
		'res.closed.msg': ['訂單已過期或已取消，沒有扣款。',
		    '订单已过期或已取消，没有扣款。',
		    'The order expired or was cancelled; nothing was charged.'],
		'res.refunded': ['已全額退款', '已全额退款', 'Refunded in full'],
		'res.partial': ['已部分退款', '已部分退款', 'Partially refunded'],
		'res.refund.msg': ['已退款 {0}，款項將退回你的付款帳戶。',
		    '已退款 {0}，款项将退回您的付款账户。',
		    '{0} was refunded to your payment account.'],
		'res.notfound': ['找不到這張訂單', '找不到这个订单',
		    'Order not found'],
		'res.noorder': ['缺少訂單號', '缺少订单号', 'No order number'],
		'res.still': ['支付結果仍在確認中，請稍後刷新。如已付款，請勿重複支付。',
		    '支付结果仍在确认中，请稍后刷新查看。如已付款，无需重复支付。',
		    'Still confirming the payment. Please refresh in a moment; '
		    + 'if you have paid, do not pay again.'],
		'res.awaiting.msg': ['此訂單尚未支付，可在 {0} 前完成支付。',
		    '此订单尚未支付，可在 {0} 前完成支付。',
		    'This order is not paid yet; you can pay it until {0}.'],
		'refresh': ['刷新', '刷新', 'Refresh'],
		'back.shop': ['返回商城', '返回商城', 'Back to the shop'],
		'view.orders': ['查看訂單', '查看订单', 'View my orders'],
		'view': ['查看', '查看', 'View'],
		'to.pay': ['去支付', '去支付', 'Pay'],
		'order.no': ['訂單號', '订单号', 'Order number'],
		'order.no.copy': ['複製完整訂單號 {0}', '复制完整订单号 {0}',
		    'Copy the full order number {0}'],
		'amount': ['金額', '金额', 'Amount'],
		'refunded': ['已退款', '已退款', 'Refunded'],
		'status': ['狀態', '状态', 'Status'],
		'paid.at': ['支付時間', '支付时间', 'Paid at'],
		'created.at': ['下單時間', '下单时间', 'Ordered at'],
		'items.n': ['共 {0} 件', '共 {0} 件', '{0} items'],
		'items': ['商品', '商品', 'Items'],
		'line': ['{0} × {1}', '{0} × {1}', '{0} × {1}']
	};

	/* ISO 4217 minor-unit exponents that are not 2. */
	var EXP = {
		BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0,
		PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0,
		XPF: 0,
		BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
		CLF: 4, UYW: 4
	};
	/* Symbols shown before the amount; other currencies: "KWD 1.234". */
	var SYM = {
		HKD: 'HK$', MOP: 'MOP$', CNY: '¥', TWD: 'NT$', USD: 'US$',
		SGD: 'S$', AUD: 'A$', CAD: 'C$', EUR: '€', GBP: '£',
		JPY: 'JP¥', KRW: '₩'
	};

	var lang = pickLang();
	var shopInfo = null;

	function has(o, k) {
		return Object.prototype.hasOwnProperty.call(o, k);
	}

	/* zh_HK / zh-Hant / zh-TW / zh-MO -> zh-HK; other zh -> zh-CN. */
	function norm(tag) {
		var s = String(tag || '').replace('_', '-').toLowerCase();
		if (/^zh-(hk|tw|mo|hant)/.test(s))
			return 'zh-HK';
		if (/^zh/.test(s))
			return 'zh-CN';
		if (/^en/.test(s))
			return 'en';
		return null;
	}

	function pickLang() {
		var s = null, m, i, l;
		try {
			s = localStorage.getItem(LANG_KEY);
		} catch (e) {
			s = null;
		}
		if (LANGS.indexOf(s) >= 0)
			return s;
		m = /Language\/([A-Za-z_-]{2,10})/.exec(navigator.userAgent || '');
		if (m && (l = norm(m[1])))
			return l;
		var list = navigator.languages && navigator.languages.length ?
		    navigator.languages : [navigator.language];
		for (i = 0; i < list.length; i++)
			if ((l = norm(list[i])))
				return l;
		return 'zh-HK';
	}

	/* The message key in the current language, {n} filled from args. */
	function t(key) {
		var m = MSG[key], args = arguments;
		if (!m)
			return key;
		var s = m[LANGS.indexOf(lang)];
		return s.replace(/\{(\d)\}/g, function (all, n) {
			var v = args[Number(n) + 1];
			return v === undefined || v === null ? '' : String(v);
		});
	}

	function setLang(l) {
		if (LANGS.indexOf(l) < 0)
			return;
		try {
			localStorage.setItem(LANG_KEY, l);
		} catch (e) {
			/* private mode: this page only */
		}
		window.location.reload();
	}

	function exponent(currency) {
		return has(EXP, currency) ? EXP[currency] : 2;
	}

	/* "HK$1,234.50" from 123450 minor units; integers only. */
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
		var sym = has(SYM, currency) ? SYM[currency] :
		    String(currency || '') + ' ';
		return (neg ? '-' : '') + sym + ip + (fp ? '.' + fp : '');
	}

	/* The merchant's time zone, if this browser knows it. */
	function timeZone() {
		var tz = shopInfo && shopInfo.timeZone;
		if (typeof tz !== 'string' || !/^[A-Za-z0-9_+\/-]{1,64}$/.test(tz))
			return undefined;
		try {
			new Intl.DateTimeFormat('en', { timeZone: tz });
			return tz;
		} catch (e) {
			return undefined;
		}
	}

	/* "2026-12-02 07:16" in the merchant's time zone. */
	function fmtTime(unixSec) {
		if (typeof unixSec !== 'number' || !(unixSec > 0))
			return '';
		var parts = {};
		new Intl.DateTimeFormat('en-GB', {
			timeZone: timeZone(), year: 'numeric', month: '2-digit',
			day: '2-digit', hour: '2-digit', minute: '2-digit',
			hourCycle: 'h23'
		}).formatToParts(new Date(unixSec * 1000)).forEach(function (p) {
			parts[p.type] = p.value;
		});
		return parts.year + '-' + parts.month + '-' + parts.day + ' ' +
		    parts.hour + ':' + parts.minute;
	}

	/* The last 8 characters of an order number, "ABCD EFGH". */
	function shortNo(no) {
		var s = String(no || '');
		s = s.slice(-8);
		return s.length === 8 ? s.slice(0, 4) + ' ' + s.slice(4) : s;
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

	function button(text, cls, fn) {
		var b = el('button', cls || '', text);
		b.type = 'button';
		if (fn)
			b.addEventListener('click', fn);
		return b;
	}

	/* A notice: kind '' | 'error' | 'ok'; text; optional action nodes. */
	function notice(node, kind, text, actions) {
		if (!node)
			return;
		node.textContent = '';
		node.removeAttribute('data-state');
		node.className = 'notice' + (kind ? ' ' + kind : '');
		node.setAttribute('role', kind === 'error' ? 'alert' : 'status');
		node.appendChild(el('div', 'text', text));
		if (actions && actions.length) {
			var a = el('div', 'actions');
			actions.forEach(function (x) {
				a.appendChild(x);
			});
			node.appendChild(a);
		}
		show(node, true);
	}

	var toastTimer = null;

	/* A short message over the page; ms 0 keeps it until toast(null). */
	function toast(text, ms) {
		var n = $('h5-toast');
		if (!n) {
			n = el('div', 'toast hidden');
			n.id = 'h5-toast';
			n.setAttribute('role', 'status');
			n.setAttribute('aria-live', 'polite');
			document.body.appendChild(n);
		}
		clearTimeout(toastTimer);
		if (text === null) {
			show(n, false);
			return;
		}
		n.textContent = text;
		show(n, true);
		if (ms !== 0)
			toastTimer = setTimeout(function () {
				show(n, false);
			}, ms || 1800);
	}

	/* A "load failed" message naming offline when it is. */
	function netText(status) {
		if (navigator.onLine === false)
			return t('offline');
		if (status === 503 || status === 429)
			return t('busy');
		if (!status)
			return t('network');
		return t('load.failed');
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
		notice(node, 'error', t('outside'));
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
	 * status 0 when there was no answer (offline, network); a 401
	 * login_required navigates to the login and never resolves.
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
		}, function () {
			return { status: 0, data: null };
		});
	}

	function lsGet(key) {
		try {
			var v = JSON.parse(localStorage.getItem(key) || '{}');
			return v && typeof v === 'object' ? v : {};
		} catch (e) {
			return {};
		}
	}

	function lsPut(key, v) {
		try {
			localStorage.setItem(key, JSON.stringify(v));
		} catch (e) {
			/* full or private: not kept */
		}
	}

	/* The cart: {sku: qty} in localStorage; prices never stored. */
	function cartGet() {
		var c = {}, raw = lsGet(CART_KEY);
		Object.keys(raw).forEach(function (k) {
			var q = raw[k];
			if (/^[0-9A-Za-z_.-]{1,64}$/.test(k) &&
			    typeof q === 'number' && q >= 1 && q <= 99 &&
			    Math.floor(q) === q)
				c[k] = q;
		});
		return c;
	}

	function cartSet(sku, qty, name) {
		var c = cartGet();
		if (qty <= 0)
			delete c[sku];
		else
			c[sku] = Math.min(99, qty);
		lsPut(CART_KEY, c);
		if (typeof name === 'string') {
			var n = lsGet(NAMES_KEY);
			n[sku] = name.slice(0, 128);
			lsPut(NAMES_KEY, n);
		}
		return c;
	}

	/* The name the buyer was shown for sku (for items no longer sold). */
	function cartName(sku) {
		var n = lsGet(NAMES_KEY)[sku];
		return typeof n === 'string' && n ? n : t('gone.unknown', sku);
	}

	function cartCount() {
		var c = cartGet(), n = 0;
		Object.keys(c).forEach(function (k) {
			n += c[k];
		});
		return n;
	}

	function cartClear() {
		try {
			localStorage.removeItem(CART_KEY);
		} catch (e) {
			/* nothing kept */
		}
	}

	/* The current cart's payment attempt (idempotency key per content). */
	function payGet() {
		try {
			return JSON.parse(sessionStorage.getItem(PAY_KEY) ||
			    'null');
		} catch (e) {
			return null;
		}
	}

	function payPut(p) {
		try {
			if (p === null)
				sessionStorage.removeItem(PAY_KEY);
			else
				sessionStorage.setItem(PAY_KEY, JSON.stringify(p));
		} catch (e) {
			/* not kept */
		}
		if (p && p.orderNo)
			keyPut(p.orderNo, p);
	}

	/*
	 * The key and items of each order made here ({orderNo: {key, items,
	 * expiresAt}}, the 20 newest), so "My orders" and the result page can
	 * pay a pending order again: the same key answers the same order.
	 */
	function keyPut(no, p) {
		var m = lsGet(KEYS_KEY);
		m[no] = { key: p.key, items: p.items || [],
		    expiresAt: p.expiresAt || 0, at: Date.now() };
		var ks = Object.keys(m).sort(function (a, b) {
			return (m[b].at || 0) - (m[a].at || 0);
		});
		ks.slice(20).forEach(function (k) {
			delete m[k];
		});
		lsPut(KEYS_KEY, m);
	}

	function keyGet(no) {
		var k = lsGet(KEYS_KEY)[no];
		return k && typeof k.key === 'string' && Array.isArray(k.items) ?
		    k : null;
	}

	/* Can the buyer pay this order from here (pending, not expired)? */
	function payable(o) {
		return (o.state === 'PENDING' || o.state === 'CREATED') &&
		    typeof o.expiresAt === 'number' &&
		    Date.now() / 1000 < o.expiresAt - 10 && keyGet(o.orderNo)
		    !== null;
	}

	/* 32 random hex characters. */
	function randomKey() {
		var a = new Uint8Array(16), s = '';
		window.crypto.getRandomValues(a);
		for (var i = 0; i < a.length; i++)
			s += (a[i] < 16 ? '0' : '') + a[i].toString(16);
		return s;
	}

	function setShop(s) {
		if (!s || typeof s !== 'object')
			return;
		shopInfo = {
			name: typeof s.name === 'string' ? s.name : '',
			logo: safePath(s.logo) ? s.logo : '',
			timeZone: typeof s.timeZone === 'string' ? s.timeZone :
			    ''
		};
		try {
			sessionStorage.setItem(SHOP_KEY, JSON.stringify(shopInfo));
		} catch (e) {
			/* not kept */
		}
		brand();
	}

	/* The products; rejects with {status} when they could not load. */
	function products() {
		return api('GET', '/api/products').then(function (r) {
			if (r.status !== 200 || !r.data ||
			    !Array.isArray(r.data.products))
				throw { status: r.status };
			setShop(r.data.shop);
			return r.data.products;
		});
	}

	/* The shop's name and time zone (cached for this tab). */
	function shop() {
		if (shopInfo)
			return Promise.resolve(shopInfo);
		return products().then(function () {
			return shopInfo;
		}, function () {
			return null;
		});
	}

	/* Product picture: only same-origin paths (img-src 'self'). */
	function image(p, cls) {
		var img = el('img', cls || '');
		img.alt = '';
		img.src = safePath(p.image) ? p.image : '/shop/img/product.svg';
		return img;
	}

	function cartBadge() {
		var b = $('cart-count');
		if (b) {
			var n = cartCount();
			b.textContent = String(n);
			show(b, n > 0);
		}
	}

	/* The header's logo and shop name from the config. */
	function brand() {
		var b = document.querySelector('header.bar .brand');
		if (!b || !shopInfo)
			return;
		var img = b.querySelector('img');
		if (img && shopInfo.logo)
			img.src = shopInfo.logo;
		var n = b.querySelector('.shop-name');
		if (n)
			n.textContent = shopInfo.name;
	}

	/* Fill data-i18n texts, the title, and the language switch. */
	function localize() {
		document.documentElement.lang = lang;
		Array.prototype.forEach.call(document.querySelectorAll(
		    '[data-i18n]'), function (n) {
			n.textContent = t(n.getAttribute('data-i18n'));
		});
		Array.prototype.forEach.call(document.querySelectorAll(
		    '[data-i18n-label]'), function (n) {
			n.setAttribute('aria-label',
			    t(n.getAttribute('data-i18n-label')));
		});
		var tk = document.body.getAttribute('data-title');
		if (tk)
			document.title = t(tk);
		var main = document.querySelector('main');
		if (main && !$('lang-switch')) {
			var nav = el('nav', 'lang');
			nav.id = 'lang-switch';
			nav.setAttribute('aria-label', t('lang'));
			LANGS.forEach(function (l) {
				var b = button(LANG_LABEL[l], '', function () {
					setLang(l);
				});
				b.lang = l;
				b.setAttribute('data-lang', l);
				b.setAttribute('aria-pressed', l === lang ?
				    'true' : 'false');
				nav.appendChild(b);
			});
			main.appendChild(nav);
		}
		try {
			shopInfo = JSON.parse(sessionStorage.getItem(SHOP_KEY) ||
			    'null');
		} catch (e) {
			shopInfo = null;
		}
		brand();
	}

	/* Copy text; resolves true when copied. */
	function copy(text) {
		if (navigator.clipboard && navigator.clipboard.writeText)
			return navigator.clipboard.writeText(text).then(function () {
				return true;
			}, function () {
				return false;
			});
		return Promise.resolve(false);
	}

	/* A copy button for text; a toast says whether it worked. */
	function copyButton(label, text, aria) {
		var b = button(label, 'secondary', function () {
			copy(text).then(function (ok) {
				toast(ok ? t('copied') : t('copy.failed'));
			});
		});
		if (aria)
			b.setAttribute('aria-label', aria);
		return b;
	}

	/* An empty state: a line of text and a "browse the shop" action. */
	function empty(box, text) {
		var d = el('div', 'empty');
		d.setAttribute('data-empty', '1');
		d.appendChild(el('p', '', text));
		var a = el('a', 'button', t('browse'));
		a.href = '/shop/';
		d.appendChild(a);
		box.appendChild(d);
	}

	/* n grey placeholder cards while loading (hidden from readers). */
	function skeleton(box, n, cls) {
		var tag = box.tagName === 'UL' ? 'li' : 'div';
		box.textContent = '';
		box.setAttribute('aria-busy', 'true');
		for (var i = 0; i < n; i++) {
			var c = el(tag, (cls || 'card') + ' skeleton');
			c.setAttribute('aria-hidden', 'true');
			c.appendChild(el('div', 'sk pic'));
			var info = el('div', 'info');
			info.appendChild(el('div', 'sk w60'));
			info.appendChild(el('div', 'sk w40'));
			c.appendChild(info);
			box.appendChild(c);
		}
		var sr = el(tag, 'sr-only', t('loading'));
		sr.setAttribute('data-skeleton', '1');
		box.appendChild(sr);
	}

	function unskeleton(box) {
		box.textContent = '';
		box.removeAttribute('aria-busy');
	}

	/* Load a same-origin script once (the QR code maker, when needed). */
	function script(src) {
		return new Promise(function (resolve, reject) {
			var s = el('script');
			s.src = src;
			s.onload = resolve;
			s.onerror = reject;
			document.head.appendChild(s);
		});
	}

	/* An SVG QR code of text, drawn with DOM calls (no markup strings). */
	function qrSvg(text, label) {
		/* global qrcode */
		var q = qrcode(0, 'M');
		q.addData(text);
		q.make();
		var n = q.getModuleCount(), m = 4, ns = 'http://www.w3.org/2000/svg';
		var svg = document.createElementNS(ns, 'svg');
		svg.setAttribute('viewBox', '0 0 ' + (n + 2 * m) + ' ' +
		    (n + 2 * m));
		svg.setAttribute('class', 'qr');
		svg.setAttribute('role', 'img');
		svg.setAttribute('aria-label', label);
		var d = '';
		for (var r = 0; r < n; r++)
			for (var c = 0; c < n; c++)
				if (q.isDark(r, c))
					d += 'M' + (c + m) + ' ' + (r + m) + 'h1v1h-1z';
		var bg = document.createElementNS(ns, 'rect');
		bg.setAttribute('width', '100%');
		bg.setAttribute('height', '100%');
		bg.setAttribute('fill', '#fff');
		svg.appendChild(bg);
		var p = document.createElementNS(ns, 'path');
		p.setAttribute('d', d);
		p.setAttribute('fill', '#000');
		svg.appendChild(p);
		return svg;
	}

	/*
	 * Outside WeChat: in node, the "open in WeChat" text, a QR code of
	 * url and a copy-link row. (Payment by QR code goes here once the
	 * provider offers it.)
	 */
	function openInWeChat(node, url) {
		notice(node, 'error', t('outside'));
		node.setAttribute('data-outside-wechat', '1');
		node.appendChild(el('p', 'muted', t('outside.how')));
		var row = el('div', 'link-row');
		var inp = el('input');
		inp.type = 'text';
		inp.readOnly = true;
		inp.value = url;
		inp.setAttribute('aria-label', t('link'));
		row.appendChild(inp);
		row.appendChild(copyButton(t('copy.link'), url));
		script('/shop/vendor/qrcode.js').then(function () {
			node.insertBefore(qrSvg(url, t('qr.alt')), row);
		}, function () {
			/* the link alone still works */
		});
		node.appendChild(row);
	}

	document.addEventListener('DOMContentLoaded', localize);

	window.H5 = {
		t: t, lang: function () {
			return lang;
		}, setLang: setLang,
		money: money, exponent: exponent, el: el, $: $, show: show,
		button: button, notice: notice, toast: toast, netText: netText,
		inWeChat: inWeChat, wechatGate: wechatGate,
		openInWeChat: openInWeChat,
		api: api, login: login, safePath: safePath,
		cartGet: cartGet, cartSet: cartSet, cartName: cartName,
		cartCount: cartCount, cartClear: cartClear, cartBadge: cartBadge,
		payGet: payGet, payPut: payPut, keyGet: keyGet, payable: payable,
		randomKey: randomKey,
		products: products, shop: shop, image: image, fmtTime: fmtTime,
		shortNo: shortNo, copyButton: copyButton, empty: empty,
		skeleton: skeleton, unskeleton: unskeleton
	};
}());
