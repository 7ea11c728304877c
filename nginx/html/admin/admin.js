/*
 * admin.js - shared by every admin page: the API client (session cookie is
 * HttpOnly; the CSRF token is kept in sessionStorage and sent as
 * X-CSRF-Token on every POST), DOM helpers that only ever set textContent,
 * money and date formatting, the navigation bar, and the page language.
 * No innerHTML anywhere: every value from the server is inserted as text.
 *
 * Language: English, 繁體中文 (zh-HK) or 简体中文 (zh-CN), from the switch
 * in the navigation bar (kept in localStorage), else the browser's.
 * Messages are keyed by their English text (T('Orders')); the static text
 * of a page is translated once at load (whole text nodes that are keys),
 * before any server value is on the page.
 *
 * Times are shown in the merchant's time zone (merchant_timezone, from
 * GET /api/products "shop".timeZone) with the date; the server files days
 * (filters, dashboard, CSV) by the same zone.
 */
'use strict';

var H5A = (function () {
	var LANGS = ['en', 'zh-HK', 'zh-CN'];
	var LANG_LABEL = { en: 'English', 'zh-HK': '繁體', 'zh-CN': '简体' };
	/* English -> [zh-HK, zh-CN] */
	var TR = {
		'Merchant admin': ['商戶後台', '商户后台'],
		'h5pay admin': ['h5pay 商戶後台', 'h5pay 商户后台'],
		'Dashboard': ['概覽', '概览'],
		'Orders': ['訂單', '订单'],
		'Order': ['訂單', '订单'],
		'Log in': ['登入', '登录'],
		'Log out': ['登出', '退出登录'],
		'User name': ['用戶名稱', '用户名'],
		'Password': ['密碼', '密码'],
		'Language': ['語言', '语言'],
		'Wrong user name or password.': ['用戶名稱或密碼錯誤。',
		    '用户名或密码错误。'],
		'Too many failed attempts.': ['嘗試失敗次數過多。', '失败次数过多。'],
		'Try again in {0} s.': ['請於 {0} 秒後再試。', '请在 {0} 秒后重试。'],
		'One-time code': ['一次性驗證碼', '一次性验证码'],
		'Your session has ended. Log in again to return to the page you were on.': [
		    '登入已逾時，請重新登入以返回剛才的頁面。',
		    '登录已过期，请重新登录以返回刚才的页面。'],
		'Your session has ended: log in again.': ['登入已逾時，請重新登入。',
		    '登录已过期，请重新登录。'],
		'Loading…': ['載入中…', '加载中…'],
		'State': ['狀態', '状态'],
		'any': ['全部', '全部'],
		'From': ['由', '从'],
		'To': ['至', '至'],
		'Order number': ['訂單號', '订单号'],
		'Buyer openid': ['買家 openid', '买家 openid'],
		'Min amount': ['最低金額', '最低金额'],
		'Max amount': ['最高金額', '最高金额'],
		'Sort': ['排序', '排序'],
		'newest first': ['最新優先', '最新优先'],
		'oldest first': ['最舊優先', '最早优先'],
		'largest first': ['金額由大到小', '金额从大到小'],
		'smallest first': ['金額由小到大', '金额从小到大'],
		'Search': ['搜尋', '搜索'],
		'Export CSV': ['匯出 CSV', '导出 CSV'],
		'For Excel (UTF-8 BOM)': ['供 Excel 使用（UTF-8 BOM）',
		    '供 Excel 使用（UTF-8 BOM）'],
		'Created': ['建立時間', '创建时间'],
		'Amount': ['金額', '金额'],
		'Refunded': ['已退款', '已退款'],
		'Subject': ['摘要', '摘要'],
		'Buyer': ['買家', '买家'],
		'First page': ['第一頁', '第一页'],
		'Next page': ['下一頁', '下一页'],
		'Orders {0}–{1}, more on the next page': ['訂單 {0}–{1}，下一頁還有',
		    '订单 {0}–{1}，下一页还有'],
		'Orders {0}–{1} (all)': ['訂單 {0}–{1}（全部）',
		    '订单 {0}–{1}（全部）'],
		'No orders match.': ['沒有符合的訂單。', '没有符合的订单。'],
		'anomaly': ['異常', '异常'],
		'Anomalies': ['異常', '异常'],
		'Events': ['事件', '事件'],
		'Endpoint:': ['接收地址：', '接收地址：'],
		'Send test event': ['發送測試事件', '发送测试事件'],
		'Type': ['類型', '类型'],
		'Event id': ['事件編號', '事件编号'],
		'Attempts': ['嘗試次數', '尝试次数'],
		'Last attempts': ['最近嘗試', '最近尝试'],
		'Resend': ['重新發送', '重新发送'],
		'No events.': ['沒有事件。', '没有事件。'],
		'pending': ['等待發送', '等待发送'],
		'sending': ['發送中', '发送中'],
		'delivered': ['已送達', '已送达'],
		'failed': ['已放棄', '已放弃'],
		'Raised': ['發生時間', '发生时间'],
		'Kind': ['種類', '种类'],
		'Source': ['來源', '来源'],
		'Resolved': ['已處理', '已处理'],
		'Resolve': ['處理', '处理'],
		'open': ['未處理', '未处理'],
		'resolved': ['已處理', '已处理'],
		'Nothing here.': ['沒有項目。', '没有项目。'],
		'A note is required.': ['請填寫備註。', '请填写备注。'],
		'Items': ['商品', '商品'],
		'Name': ['名稱', '名称'],
		'Unit': ['單價', '单价'],
		'Qty': ['數量', '数量'],
		'Line': ['小計', '小计'],
		'Timeline': ['時間線', '时间线'],
		'Refunds': ['退款', '退款'],
		'Refund': ['退款', '退款'],
		'Refund…': ['退款…', '退款…'],
		'Refund {0}': ['退款 {0}', '退款 {0}'],
		'Reason': ['原因', '原因'],
		'By': ['操作人', '操作人'],
		'Decision': ['決定', '决定'],
		'Cancel': ['取消', '取消'],
		'Refundable': ['可退款', '可退款'],
		'Refundable:': ['可退款：', '可退款：'],
		'I confirm this refund to the buyer': ['我確認向買家退款',
		    '我确认向买家退款'],
		'Enter an amount like 12.50': ['請輸入金額，例如 12.50',
		    '请输入金额，例如 12.50'],
		'At most {0}': ['最多 {0}', '最多 {0}'],
		'Tick the confirmation box': ['請勾選確認', '请勾选确认'],
		'Notifications received': ['收到的通知', '收到的通知'],
		'Query provider now': ['立即向支付機構查詢', '立即向支付机构查询'],
		'Provider query: {0}': ['支付機構查詢：{0}', '支付机构查询：{0}'],
		'Provider reference': ['支付機構單號', '支付机构单号'],
		'Last error': ['最近錯誤', '最近错误'],
		'Paid': ['已支付', '已支付'],
		'Paid at': ['支付時間', '支付时间'],
		'Today': ['今日', '今日'],
		'Paid orders': ['已支付訂單', '已支付订单'],
		'Paid amount': ['收款金額', '收款金额'],
		'Refunds (count)': ['退款筆數', '退款笔数'],
		'Net': ['淨收款', '净收款'],
		'Conversion': ['支付轉化率', '支付转化率'],
		'Show': ['顯示', '显示'],
		'Paid amount per day': ['每日收款', '每日收款'],
		'Day': ['日期', '日期'],
		'Dates and times are in the shop\'s time zone.': [
		    '日期及時間按商店所在時區。', '日期和时间按商店所在时区。'],
		'Recent admin actions': ['最近的後台操作', '最近的后台操作'],
		'When': ['時間', '时间'],
		'Who': ['操作人', '操作人'],
		'Action': ['操作', '操作'],
		'Target': ['對象', '对象'],
		'Result': ['結果', '结果'],
		'Detail': ['詳情', '详情'],
		'verified': ['已驗證簽名', '已验证签名'],
		'NOT verified': ['簽名未通過', '签名未通过'],
		'duplicate of #{0}': ['重複（#{0}）', '重复（#{0}）'],
		'Refund {0}: {1}': ['退款 {0}：{1}', '退款 {0}：{1}'],
		'Release reservation': ['解除預留', '解除预留'],
		'Why is this refund known not to have been paid out? (recorded in the audit log)':
		    ['為何確定此退款未有付出？（記入審計日誌）',
		    '为何确定此退款未付出？（记入审计日志）'],
		'the provider did not answer; the amount stays reserved until it does': [
		    '支付機構未回覆；金額會保留直至有結果',
		    '支付机构未回复；金额会保留直至有结果'],
		'Refund recorded': ['退款入帳', '退款入账'],
		'Order created': ['訂單建立', '订单创建'],
		'by {0}': ['來源：{0}', '来源：{0}'],
		'UseePay notification': ['UseePay 通知', 'UseePay 通知'],
		'status query': ['狀態查詢', '状态查询'],
		'reconciler': ['自動對帳', '自动对账'],
		'admin': ['後台', '后台'],
		'payment request': ['支付請求', '支付请求'],
		'was {0}': ['原為{0}', '原为{0}'],
		'CREATED': ['已建立', '已创建'],
		'PENDING': ['待支付', '待支付'],
		'UNKNOWN': ['確認中', '确认中'],
		'PAID': ['已支付', '已支付'],
		'FAILED': ['支付失敗', '支付失败'],
		'CLOSED': ['已關閉', '已关闭'],
		'PARTIALLY_REFUNDED': ['部分退款', '部分退款'],
		'REFUNDED': ['已退款', '已退款'],
		'SUCCEEDED': ['退款成功', '退款成功'],
		'PROCESSING': ['處理中', '处理中']
	};
	/* English words for the state codes (the code stays in data-state) */
	var EN = {
		CREATED: 'Created', PENDING: 'Awaiting payment',
		UNKNOWN: 'Confirming', PAID: 'Paid', FAILED: 'Failed',
		CLOSED: 'Closed', PARTIALLY_REFUNDED: 'Partially refunded',
		REFUNDED: 'Refunded', SUCCEEDED: 'Succeeded',
		PROCESSING: 'Processing'
	};
	/* refund states: [en, zh-HK, zh-CN] */
	var RF = {
		PENDING: ['In progress', '處理中', '处理中'],
		PROCESSING: ['In progress', '處理中', '处理中'],
		SUCCEEDED: ['Succeeded', '退款成功', '退款成功'],
		FAILED: ['Failed', '退款失敗', '退款失败'],
		UNKNOWN: ['Awaiting the provider', '等待支付機構回覆',
		    '等待支付机构回复']
	};
	var SYM = { HKD: 'HK$', CNY: '¥', USD: 'US$', MOP: 'MOP$',
	    TWD: 'NT$', SGD: 'S$', EUR: '€', GBP: '£' };
	var lang = pick();
	var tz = null;

	function pick() {
		var s = null, i, l;
		try {
			s = localStorage.getItem('h5a-lang');
		} catch (e) {
			s = null;
		}
		if (LANGS.indexOf(s) >= 0)
			return s;
		var list = navigator.languages && navigator.languages.length ?
		    navigator.languages : [navigator.language || 'en'];
		for (i = 0; i < list.length; i++) {
			l = String(list[i]).toLowerCase();
			if (/^zh-(hk|tw|mo|hant)/.test(l))
				return 'zh-HK';
			if (/^zh/.test(l))
				return 'zh-CN';
			if (/^en/.test(l))
				return 'en';
		}
		return 'en';
	}

	/* The English message in the page's language, {n} from the args. */
	function T(en) {
		var args = arguments, s = en;
		if (lang !== 'en' && Object.prototype.hasOwnProperty.call(TR, en))
			s = TR[en][lang === 'zh-HK' ? 0 : 1];
		else if (lang === 'en' && Object.prototype.hasOwnProperty.call(
		    EN, en))
			s = EN[en];
		return s.replace(/\{(\d)\}/g, function (a, n) {
			var v = args[Number(n) + 1];
			return v === undefined || v === null ? '' : String(v);
		});
	}

	function el(tag, attrs, children) {
		var e = document.createElement(tag);
		var k;
		attrs = attrs || {};
		for (k in attrs) {
			if (!Object.prototype.hasOwnProperty.call(attrs, k))
				continue;
			if (k === 'text')
				e.textContent = attrs[k];
			else if (k === 'cls')
				e.className = attrs[k];
			else
				e.setAttribute(k, attrs[k]);
		}
		(children || []).forEach(function (c) {
			if (c === null || c === undefined)
				return;
			e.appendChild(typeof c === 'string' ?
			    document.createTextNode(c) : c);
		});
		return e;
	}

	function clear(e) {
		while (e.firstChild)
			e.removeChild(e.firstChild);
	}

	function csrf() {
		return sessionStorage.getItem('h5a-csrf') || '';
	}

	/* Only a path inside /admin/ is a return target. */
	function adminPath(p) {
		var re = /^\/admin\/[A-Za-z0-9_.\/-]*(\?[A-Za-z0-9_.=&%-]*)?$/;
		return typeof p === 'string' && re.test(p) &&
		    p.indexOf('//') < 0;
	}

	/*
	 * fetch JSON. A 401 on any page but the login means the session
	 * ended: back to the login, which says so and returns here after.
	 * Errors carry status, body and retryAfter (seconds, from the
	 * Retry-After header).
	 */
	function api(method, path, body) {
		var opt = { method: method, credentials: 'same-origin',
		    headers: {} };
		if (method !== 'GET') {
			opt.headers['X-CSRF-Token'] = csrf();
			opt.headers['Content-Type'] = 'application/json';
			opt.body = JSON.stringify(body || {});
		}
		return fetch(path, opt).then(function (r) {
			return r.json().catch(function () { return {}; })
			    .then(function (j) {
				if (r.status === 401 && path !==
				    '/admin/api/login') {
					location.href = '/admin/?expired=1&ret=' +
					    encodeURIComponent(location.pathname +
					    location.search);
					/* leaving: nothing more happens here */
					return new Promise(function () {});
				}
				if (!r.ok) {
					var e = new Error(j.message ||
					    ('HTTP ' + r.status));
					e.status = r.status;
					e.body = j;
					e.retryAfter = parseInt(r.headers.get(
					    'Retry-After') || '', 10);
					throw e;
				}
				return j;
			});
		});
	}

	/* "HK$1,234.50" (2-decimal currencies; the shop's catalog is). */
	function money(minor, cur) {
		if (typeof minor !== 'number' || !isFinite(minor))
			return '—';
		var neg = minor < 0, v = Math.abs(minor);
		var ip = String(Math.floor(v / 100)).replace(
		    /\B(?=(\d{3})+(?!\d))/g, ',');
		var s = ip + '.' + ('0' + (v % 100)).slice(-2);
		var c = cur || 'HKD';
		return (neg ? '-' : '') + (Object.prototype.hasOwnProperty.call(
		    SYM, c) ? SYM[c] : c + ' ') + s;
	}

	function zone() {
		if (tz !== null)
			return tz || undefined;
		try {
			var s = JSON.parse(sessionStorage.getItem('h5pay.shop.v1') ||
			    'null');
			tz = s && typeof s.timeZone === 'string' ? s.timeZone : '';
			new Intl.DateTimeFormat('en', { timeZone: tz || undefined });
		} catch (e) {
			tz = '';
		}
		return tz || undefined;
	}

	/* "2026-12-02 07:16:05" in the merchant's time zone. */
	function when(t) {
		if (!t)
			return '';
		var p = {};
		new Intl.DateTimeFormat('en-GB', { timeZone: zone(),
		    year: 'numeric', month: '2-digit', day: '2-digit',
		    hour: '2-digit', minute: '2-digit', second: '2-digit',
		    hourCycle: 'h23' }).formatToParts(new Date(t * 1000))
		    .forEach(function (x) { p[x.type] = x.value; });
		return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' +
		    p.minute + ':' + p.second;
	}

	/* A server day (a midnight of merchant_timezone) as YYYY-MM-DD. */
	function day(t) {
		return when(t).slice(0, 10);
	}

	/* The merchant's time zone, once per tab (public shop endpoint). */
	function loadZone() {
		if (sessionStorage.getItem('h5pay.shop.v1'))
			return Promise.resolve();
		return fetch('/api/products', { credentials: 'same-origin' })
		    .then(function (r) { return r.json(); })
		    .then(function (j) {
			if (j && j.shop)
				sessionStorage.setItem('h5pay.shop.v1',
				    JSON.stringify({ timeZone: j.shop.timeZone,
				    name: j.shop.name }));
			tz = null;
		}).catch(function () {});
	}

	/* Translate the static page text (before any server value). */
	function localize() {
		document.documentElement.lang = lang;
		var w = document.createTreeWalker(document.body,
		    NodeFilter.SHOW_TEXT), n, k, list = [];
		while ((n = w.nextNode()))
			list.push(n);
		list.forEach(function (x) {
			k = x.nodeValue.trim();
			if (k && (Object.prototype.hasOwnProperty.call(TR, k) ||
			    Object.prototype.hasOwnProperty.call(EN, k)))
				x.nodeValue = x.nodeValue.replace(k, T(k));
		});
		Array.prototype.forEach.call(document.querySelectorAll(
		    '[aria-label]'), function (e) {
			e.setAttribute('aria-label', T(e.getAttribute(
			    'aria-label')));
		});
		document.title = 'h5pay · ' + T(document.body.getAttribute(
		    'data-title') || 'Merchant admin');
	}

	function langSwitch() {
		var s = el('select', { id: 'lang', 'aria-label': T('Language') });
		LANGS.forEach(function (l) {
			var o = el('option', { value: l, text: LANG_LABEL[l],
			    lang: l });
			if (l === lang)
				o.selected = true;
			s.appendChild(o);
		});
		s.addEventListener('change', function () {
			try {
				localStorage.setItem('h5a-lang', s.value);
			} catch (e) {
				/* this page only */
			}
			location.reload();
		});
		return s;
	}

	function nav(active) {
		var n = document.getElementById('nav');
		if (!n)
			return Promise.resolve(null);
		clear(n);
		[['Dashboard', '/admin/dashboard.html', 'dashboard'],
		    ['Orders', '/admin/orders.html', 'orders'],
		    ['Anomalies', '/admin/anomalies.html', 'anomalies'],
		    ['Events', '/admin/events.html', 'events']]
		    .forEach(function (x) {
			n.appendChild(el('a', { href: x[1], text: T(x[0]),
			    cls: x[2] === active ? 'active' : '' }));
		});
		var who = el('span', { cls: 'who', id: 'who' });
		var out = el('button', { type: 'button', id: 'logout',
		    text: T('Log out') });
		out.addEventListener('click', function () {
			api('POST', '/admin/api/logout').then(function () {
				sessionStorage.removeItem('h5a-csrf');
				location.href = '/admin/';
			});
		});
		n.appendChild(who);
		n.appendChild(langSwitch());
		n.appendChild(out);
		return Promise.all([api('GET', '/admin/api/session'),
		    loadZone()]).then(function (x) {
			var s = x[0];
			sessionStorage.setItem('h5a-csrf', s.csrf);
			who.textContent = s.username;
			return s;
		});
	}

	function status(msg, bad) {
		var s = document.getElementById('status');
		if (!s)
			return;
		s.textContent = msg || '';
		s.className = bad ? 'status bad' : 'status';
	}

	/* A refund's state in words. */
	function refundWord(state) {
		var w = RF[state];
		return w ? w[LANGS.indexOf(lang)] : state;
	}

	/* A state badge (an order's, or a refund's): the words in this
	 * language, the code kept in data-state. */
	function badge(state, refund) {
		return el('span', { cls: 'badge ' + state, 'data-state': state,
		    text: refund ? refundWord(state) : T(state) });
	}

	/* deferred scripts run once the document is parsed: translate now,
	 * before the page scripts add anything */
	localize();

	return { el: el, clear: clear, api: api, money: money, when: when,
	    day: day, nav: nav, status: status, csrf: csrf, T: T,
	    badge: badge, refundWord: refundWord, adminPath: adminPath,
	    langSwitch: langSwitch,
	    lang: function () { return lang; } };
})();
