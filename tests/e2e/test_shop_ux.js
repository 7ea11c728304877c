/*
 * test_shop_ux.js - issue 13, the buyer's pages: each numbered item of the
 * issue at 320 px and 390 px, in Chromium against the real nginx (real
 * CSP), with the JSON API stubbed in the browser so every state can be
 * reached on purpose. Every page is checked with axe-core (no serious or
 * critical WCAG A/AA violation), for sideways overflow and 44 px tap
 * targets, and for console errors. Screenshots: <build>/e2e-out/
 * test_shop_ux/<width>-<page>-<lang>.png.
 *
 * e2e-stack: {"sim": false}
 */
'use strict';

const { env, run, shot, assert, assertClean, axe, assertFits,
    assertTargets, WECHAT_UA, PLAIN_UA } = require('./lib');

const HK_UA = WECHAT_UA.replace('Language/zh_CN', 'Language/zh_HK');
const NOW = Math.floor(Date.now() / 1000);
/* 2026-12-01 23:16 UTC is 2026-12-02 07:16 in Hong Kong */
const T_HK = Date.UTC(2026, 11, 1, 23, 16) / 1000;
const SHOP = { name: '茶舖 Tea House', logo: '/shop/img/logo.svg',
    timeZone: 'Asia/Hong_Kong', currency: 'HKD' };
const PRODUCTS = [
	{ sku: 'tea-oolong', name: '鳳凰單叢 Phoenix oolong tea with a long '
	  + 'name that wraps', description: '100 g, Chaozhou', price: 12800,
	  currency: 'HKD', image: '/shop/img/product.svg' },
	{ sku: 'cup-celadon', name: '青瓷茶杯 Celadon cup',
	  description: 'Longquan celadon', price: 8800, currency: 'HKD',
	  image: '' },
];
const JSAPI = { appId: 'wx1234567890abcdef', timeStamp: '1700000000',
    nonceStr: 'n0nce', package: 'prepay_id=wx1', signType: 'MD5',
    paySign: 'c2ln' };
const NO_PAID = 'H520261201231600aB3dEf9GhJkLmN';
const NO_PEND = 'H520261201231600PendPendPend01';
const NO_REF = 'H520261201231600RefundRefund02';
const NO_DEAD = 'H520261201231600DeadDeadDead03';

function order(no, state, extra) {
	return Object.assign({ orderNo: no, state, amount: 34400,
	    currency: 'HKD', subject: '鳳凰單叢 等2件', createdAt: T_HK,
	    expiresAt: state === 'PENDING' ? NOW + 600 : T_HK + 900,
	    refundedAmount: 0, items: [
		{ sku: 'tea-oolong', name: '鳳凰單叢 Phoenix oolong tea',
		  qty: 2, unitPrice: 12800, lineAmount: 25600 },
		{ sku: 'cup-celadon', name: '青瓷茶杯 Celadon cup', qty: 1,
		  unitPrice: 8800, lineAmount: 8800 }] }, extra || {});
}

const ORDERS = {
	[NO_PAID]: order(NO_PAID, 'PAID', { paidAt: T_HK + 60 }),
	[NO_PEND]: order(NO_PEND, 'PENDING'),
	[NO_REF]: order(NO_REF, 'PARTIALLY_REFUNDED', { paidAt: T_HK + 60,
	    refundedAmount: 8800 }),
	[NO_DEAD]: order(NO_DEAD, 'CLOSED'),
};

/*
 * Stub the API; o: {products, orders, pay: [answers...], delayProducts,
 * delayPay, delayOrder}. Returns {pays, seen} (bodies sent to /pay, paths asked).
 */
async function stub(context, o) {
	o = o || {};
	const rec = { pays: [], seen: [] };
	const json = (r, status, body) => r.fulfill({ status,
	    contentType: 'application/json', body: JSON.stringify(body) });
	await context.route(/\/(api|pay|oauth)(\/|$|\?)/, async (r) => {
		const u = new URL(r.request().url());
		rec.seen.push(u.pathname);
		if (rec.offline)	/* routes run even when offline */
			return r.abort('internetdisconnected');
		if (u.pathname === '/api/products') {
			if (o.delayProducts)
				await new Promise((f) => setTimeout(f,
				    o.delayProducts));
			return json(r, 200, { products: o.products || PRODUCTS,
			    shop: SHOP });
		}
		if (u.pathname === '/api/me')
			return json(r, 200, { openid: 'o***' });
		if (u.pathname === '/api/orders')
			return json(r, 200, { orders: o.orders ||
			    Object.values(ORDERS) });
		const m = /^\/api\/orders\/(\w+)$/.exec(u.pathname);
		if (m && o.delayOrder)
			await new Promise((f) => setTimeout(f, o.delayOrder));
		if (m)
			return ORDERS[m[1]] ? json(r, 200, ORDERS[m[1]]) :
			    json(r, 404, { error: 'not_found' });
		if (u.pathname === '/pay') {
			rec.pays.push(JSON.parse(r.request().postData()));
			if (o.delayPay)
				await new Promise((f) => setTimeout(f, o.delayPay));
			const a = (o.pay || []).shift();
			if (a)
				return json(r, a.status, a.body);
			return json(r, 200, { orderNo: NO_PEND, amount: 34400,
			    currency: 'HKD', expiresAt: NOW + 600, jsapi: JSAPI });
		}
		return json(r, 404, { error: 'not_found' });
	});
	return rec;
}

/* A WeixinJSBridge present from the start, answering ':cancel'. */
async function bridge(context, answer) {
	await context.addInitScript((a) => {
		window.__invokes = [];
		window.WeixinJSBridge = { invoke(name, params, cb) {
			window.__invokes.push({ name, params });
			setTimeout(() => cb({ err_msg: a }), 50);
		} };
	}, answer || 'get_brand_wcpay_request:cancel');
}

/* Start state in storage before any page script runs. */
async function storage(context, s) {
	await context.addInitScript((x) => {
		if (sessionStorage.getItem('__seeded'))
			return;
		sessionStorage.setItem('__seeded', '1');
		for (const [k, v] of Object.entries(x.local || {}))
			localStorage.setItem(k, typeof v === 'string' ? v :
			    JSON.stringify(v));
		for (const [k, v] of Object.entries(x.session || {}))
			sessionStorage.setItem(k, typeof v === 'string' ? v :
			    JSON.stringify(v));
	}, s);
}

const text = async (p, sel) => (await p.locator(sel).innerText()).trim();

/* Checks every page gets: fits the width, targets, axe, screenshot. */
async function page(p, name, width) {
	await assertFits(p, name + ' @' + width);
	await assertTargets(p, name + ' @' + width);
	await axe(p, name + ' @' + width);
	await shot(p, width + '-' + name);
}

const CART2 = { 'h5pay.cart.v1': { 'tea-oolong': 2, 'cup-celadon': 1 } };

const steps = [];
for (const width of [320, 390]) {
	const W = { width };
	/* every language at 390 px; Traditional Chinese (the default) at 320 */
	const LANGS = width === 390 ? ['zh-HK', 'zh-CN', 'en'] : ['zh-HK'];

	steps.push(['@' + width + ' #7 #14 list: cards fit, shop name, ' +
	    'checkout disabled on an empty cart', async (t) => {
		const c = await t.open('list', HK_UA, W);
		await stub(c.context);
		const p = c.page;
		await p.goto(env.base + '/shop/');
		await p.locator('.card[data-sku="tea-oolong"]').waitFor();
		assert.equal(await text(p, '.shop-name'), SHOP.name);
		assert.equal(await p.locator('#to-cart').getAttribute(
		    'aria-disabled'), 'true');
		assert.equal(await p.locator('#to-cart').getAttribute('href'),
		    null);
		/* the name column keeps most of the card's width */
		const w = await p.locator('.card[data-sku="tea-oolong"] .name')
		    .evaluate((n) => n.getBoundingClientRect().width);
		assert.ok(w >= width - 140, 'name column ' + w + ' px');
		await page(p, 'list-zh-HK', width);
		await p.locator('.card[data-sku="tea-oolong"] button.add').click();
		assert.match(await text(p, '#h5-toast'), /已加入購物車/);
		assert.equal(await text(p, '#cart-total'), 'HK$128.00');
		assert.equal(await p.locator('#to-cart').getAttribute('href'),
		    '/shop/cart.html');
		assertClean(c.problems, 'list');
		await t.close(c);
	}]);

	steps.push(['@' + width + ' #12 languages: zh-HK from WeChat, the ' +
	    'switch, HK$, times in Hong Kong with the date', async (t) => {
		const c = await t.open('lang', HK_UA, W);
		await stub(c.context);
		await storage(c.context, { local: CART2 });
		const p = c.page;
		await p.goto(env.base + '/shop/cart.html');
		await p.locator('.card[data-sku="cup-celadon"]').waitFor();
		assert.equal(await p.evaluate(() =>
		    document.documentElement.lang), 'zh-HK');
		assert.equal(await text(p, 'h1'), '購物車');
		await page(p, 'cart-zh-HK', width);
		for (const [l, h1, nav] of [['en', 'Cart', 'Shop'],
		    ['zh-CN', '购物车', '继续购物']]) {
			await p.locator('#lang-switch button[data-lang="' + l +
			    '"]').click();
			await p.waitForLoadState('load');
			await p.locator('.card[data-sku="cup-celadon"]').waitFor();
			assert.equal(await text(p, 'h1'), h1);
			assert.equal(await text(p, 'header .nav'), nav);
			assert.equal(await p.locator('#lang-switch button[data-lang="'
			    + l + '"]').getAttribute('aria-pressed'), 'true');
			await shot(p, width + '-cart-' + l);
		}
		/* same amounts in every language; line totals in the cart */
		assert.equal(await text(p, '.card[data-sku="tea-oolong"] ' +
		    '.line-total'), 'HK$256.00');
		assert.equal(await text(p, '#cart-total'), 'HK$344.00');
		/* the chosen language stays; times in the merchant's zone */
		await p.goto(env.base + '/shop/orders.html');
		await p.locator('.order').first().waitFor();
		assert.match(await text(p, '.order[data-order="' + NO_PAID +
		    '"] .when'), /^2026-12-02 07:16$/);
		assertClean(c.problems, 'languages');
		await t.close(c);
	}]);

	steps.push(['@' + width + ' #2 my orders: words, dates, items, pay ' +
	    'a pending order', async (t) => {
		for (const l of LANGS) {
			const c = await t.open('orders', WECHAT_UA, W);
			await stub(c.context);
			await storage(c.context, { local: {
			    'h5pay.lang.v1': l,
			    'h5pay.keys.v1': { [NO_PEND]: { key: 'k'.repeat(32),
				items: [{ sku: 'cup-celadon', qty: 1 },
				    { sku: 'tea-oolong', qty: 2 }],
				expiresAt: NOW + 600, at: 1 } } } });
			const p = c.page;
			await p.goto(env.base + '/shop/orders.html');
			await p.locator('.order').nth(3).waitFor();
			const pend = p.locator('.order[data-order="' + NO_PEND +
			    '"]');
			const want = { 'zh-HK': ['待支付', '已支付', '部分退款', '去支付'],
			    'zh-CN': ['待支付', '已支付', '部分退款', '去支付'],
			    en: ['Awaiting payment', 'Paid', 'Partially refunded',
				'Pay'] }[l];
			assert.equal(await text(p, '.order[data-order="' + NO_PEND +
			    '"] .st'), want[0]);
			assert.equal(await text(p, '.order[data-order="' + NO_PAID +
			    '"] .st'), want[1]);
			assert.equal(await text(p, '.order[data-order="' + NO_REF +
			    '"] .st'), want[2]);
			assert.match(await pend.locator('.items').innerText(),
			    /鳳凰單叢 Phoenix oolong tea × 2/);
			assert.match(await pend.innerText(), /HK\$344\.00/);
			assert.match(await pend.innerText(), /2026-12-02 07:16/);
			assert.equal(await text(p, '.order[data-order="' + NO_PEND +
			    '"] a.pay'), want[3]);
			/* only a pending order offers Pay */
			assert.equal(await p.locator('a.pay').count(), 1);
			assert.match(await text(p, '.order[data-order="' + NO_REF +
			    '"] .refunded'), /HK\$88\.00/);
			await page(p, 'orders-' + l, width);
			if (l === LANGS[LANGS.length - 1]) {
				/* 去支付 pays that order with its own key */
				const c2 = c;
				await bridge(c2.context);
				await pend.locator('a.pay').click();
				await p.waitForURL(/checkout\.html\?order=/);
				await p.locator('#lines li[data-sku]').nth(1)
				    .waitFor();
				await p.locator('#msg[data-state="payable"]').waitFor();
				assert.equal(await text(p, '#cart-total'),
				    'HK$344.00');
			}
			assertClean(c.problems, 'orders ' + l);
			await t.close(c);
		}
	}]);

	steps.push(['@' + width + ' #11 #12 paid: icon, paid time, short ' +
	    'number and copy, back to the shop / my orders', async (t) => {
		for (const l of LANGS) {
			const c = await t.open('paid', WECHAT_UA, W);
			await c.context.grantPermissions(['clipboard-read',
			    'clipboard-write'], { origin: env.base });
			await stub(c.context);
			await storage(c.context, { local: {
			    'h5pay.lang.v1': l } });
			const p = c.page;
			await p.goto(env.base + '/shop/result.html?order=' +
			    NO_PAID);
			await p.locator('#state[data-state="PAID"]').waitFor();
			assert.equal(await text(p, '#state'), { 'zh-HK': '支付成功',
			    'zh-CN': '支付成功', en: 'Payment successful' }[l]);
			assert.equal(await p.locator('#icon').getAttribute('src'),
			    '/shop/img/check.svg');
			assert.equal(await text(p, '#paid-at'), '2026-12-02 07:17');
			assert.equal(await text(p, '#order-short'),
			    NO_PAID.slice(-8, -4) + ' ' + NO_PAID.slice(-4));
			assert.equal(await text(p, '#big-amount'), 'HK$344.00');
			assert.equal(await p.locator('a[href="/shop/"].button')
			    .count(), 1);
			assert.equal(await p.locator(
			    'a[href="/shop/orders.html"].button').count(), 1);
			await page(p, 'result-paid-' + l, width);
			if (l === 'zh-HK') {
				await p.locator('#copy-order').click();
				await p.locator('#h5-toast', { hasText: '已複製' })
				    .waitFor();
				assert.equal(await p.evaluate(() =>
				    navigator.clipboard.readText()), NO_PAID);
			}
			assertClean(c.problems, 'paid ' + l);
			await t.close(c);
		}
	}]);

	steps.push(['@' + width + ' #3 refunded: not "paid", the refunded ' +
	    'amount', async (t) => {
		const c = await t.open('refund', WECHAT_UA, W);
		await stub(c.context);
		const p = c.page;
		await p.goto(env.base + '/shop/result.html?order=' + NO_REF);
		await p.locator('#state[data-state="PARTIALLY_REFUNDED"]')
		    .waitFor();
		assert.equal(await text(p, '#state'), '已部分退款');
		assert.doesNotMatch(await text(p, 'main'), /支付成功/);
		assert.equal(await text(p, '#refunded'), 'HK$88.00');
		assert.match(await text(p, '#msg'), /已退款 HK\$88\.00/);
		await page(p, 'result-refunded', width);
		assertClean(c.problems, 'refunded');
		await t.close(c);
	}]);

	steps.push(['@' + width + ' #6 pending opened later: headline and ' +
	    'status agree, Pay offered', async (t) => {
		const c = await t.open('pending', WECHAT_UA, W);
		await stub(c.context);
		await storage(c.context, { local: { 'h5pay.keys.v1': {
		    [NO_PEND]: { key: 'k'.repeat(32), items: [{ sku:
			'tea-oolong', qty: 2 }, { sku: 'cup-celadon', qty: 1 }],
			expiresAt: NOW + 600, at: 1 } } } });
		const p = c.page;
		await p.goto(env.base + '/shop/result.html?order=' + NO_PEND);
		await p.locator('#msg[data-state="awaiting"]').waitFor();
		/* the headline and the status row say the same */
		assert.equal(await text(p, '#state'), '待支付');
		assert.equal(await text(p, '#order-state'), '待支付');
		assert.equal(await p.locator('#pay').isVisible(), true);
		await page(p, 'result-pending', width);
		await p.locator('#pay').click();
		await p.waitForURL(/checkout\.html\?order=/);
		assertClean(c.problems, 'pending');
		await t.close(c);
	}]);

	steps.push(['@' + width + ' #5 loading: skeletons, no checkout ' +
	    'until loaded, busy Pay with a toast', async (t) => {
		const c = await t.open('slow', WECHAT_UA, W);
		await stub(c.context, { delayProducts: 1500, delayPay: 1500,
		    delayOrder: 1500 });
		await bridge(c.context);
		await storage(c.context, { local: CART2 });
		const p = c.page;
		await p.goto(env.base + '/shop/', { waitUntil: 'commit' });
		await p.locator('#products .skeleton').first().waitFor();
		assert.equal(await p.locator('#products').getAttribute(
		    'aria-busy'), 'true');
		assert.equal(await p.locator('#to-cart').getAttribute(
		    'aria-disabled'), 'true');
		await shot(p, width + '-list-loading');
		await p.locator('.card[data-sku="tea-oolong"]').waitFor();
		await p.goto(env.base + '/shop/result.html?order=' + NO_PAID,
		    { waitUntil: 'commit' });
		await p.locator('#lines .skeleton').first().waitFor();
		await p.locator('#state[data-state="PAID"]').waitFor();
		await p.goto(env.base + '/shop/checkout.html');
		await p.locator('#pay:not([disabled])').waitFor();
		await p.locator('#pay').click();
		await p.locator('#pay[aria-busy="true"]').waitFor();
		assert.equal(await p.locator('#pay').isDisabled(), true);
		assert.match(await text(p, '#h5-toast'), /正在创建订单/);
		await shot(p, width + '-checkout-busy');
		await p.locator('#msg[data-state="payable"]').waitFor();
		assertClean(c.problems, 'loading');
		await t.close(c);
	}]);

	steps.push(['@' + width + ' #8 an item no longer sold: named, ' +
	    'removable, Pay waits', async (t) => {
		const c = await t.open('gone', WECHAT_UA, W);
		await stub(c.context, { pay: [{ status: 400, body: {
		    error: 'bad_request', message: 'items[0]: sku not for sale' }
		    }] });
		await bridge(c.context);
		await storage(c.context, { local: {
		    'h5pay.cart.v1': { 'old-99': 1, 'tea-oolong': 1 },
		    'h5pay.names.v1': { 'old-99': '舊茶 Old tea' } } });
		const p = c.page;
		await p.goto(env.base + '/shop/cart.html');
		await p.locator('.card[data-gone]').waitFor();
		assert.match(await text(p, '.card[data-gone] .name'),
		    /舊茶 Old tea/);
		assert.equal(await p.locator('#to-checkout').getAttribute(
		    'aria-disabled'), 'true');
		await page(p, 'cart-gone', width);
		await p.goto(env.base + '/shop/checkout.html');
		await p.locator('#lines li[data-gone]').waitFor();
		assert.doesNotMatch(await text(p, 'main'), /unknown sku|items\[/);
		assert.equal(await p.locator('#pay').isDisabled(), true);
		await page(p, 'checkout-gone', width);
		await p.locator('#lines li[data-gone] button.remove').click();
		await p.locator('#pay:not([disabled])').waitFor();
		/* removed from the catalog after the page loaded: /pay names it */
		await p.locator('#pay').click();
		await p.locator('#lines li[data-gone][data-sku="tea-oolong"]')
		    .waitFor();
		assert.match(await text(p, '#lines li[data-gone]'),
		    /鳳凰單叢 Phoenix oolong tea/);
		assert.equal(await p.locator('#pay').isDisabled(), true);
		assertClean(c.problems, 'gone');
		await t.close(c);
	}]);

	steps.push(['@' + width + ' #14 empty cart, empty orders, product ' +
	    'detail with its image', async (t) => {
		const c = await t.open('empty', WECHAT_UA, W);
		await stub(c.context, { orders: [] });
		const p = c.page;
		await p.goto(env.base + '/shop/cart.html');
		await p.locator('[data-empty] a[href="/shop/"]').waitFor();
		assert.equal(await text(p, '[data-empty] a'), '去逛逛');
		assert.equal(await p.locator('#to-checkout').getAttribute(
		    'aria-disabled'), 'true');
		await page(p, 'cart-empty', width);
		await p.goto(env.base + '/shop/checkout.html');
		await p.locator('[data-empty] a[href="/shop/"]').waitFor();
		assert.equal(await p.locator('#pay').isDisabled(), true);
		await p.goto(env.base + '/shop/orders.html');
		await p.locator('[data-empty] a[href="/shop/"]').waitFor();
		await page(p, 'orders-empty', width);
		await p.goto(env.base + '/shop/');
		await p.locator('.card[data-sku="tea-oolong"] a.name').click();
		await p.waitForURL(/product\.html\?sku=tea-oolong$/);
		await p.locator('#detail img.hero').waitFor();
		assert.equal(await p.locator('#detail img.hero').getAttribute(
		    'src'), '/shop/img/product.svg');
		assert.ok(await p.locator('#detail img.hero').evaluate((i) =>
		    i.complete && i.naturalWidth > 0), 'image loaded');
		await p.locator('#detail button.add').click();
		assert.equal(await text(p, '#cart-count'), '1');
		await page(p, 'product', width);
		assertClean(c.problems, 'empty');
		await t.close(c);
	}]);
}

steps.push(['#4 outside WeChat: said at once, no login bounce, QR code ' +
    'and copy link', async (t) => {
	for (const width of [320, 390]) {
		const c = await t.open('outside', PLAIN_UA, { width,
		    locale: 'en-US' });
		const rec = await stub(c.context);
		await storage(c.context, { local: CART2 });
		const p = c.page;
		await p.goto(env.base + '/shop/checkout.html');
		await p.locator('#wechat-notice svg.qr').waitFor();
		assert.match(await text(p, '#wechat-notice'),
		    /Please open this page in WeChat/);
		assert.equal(await p.locator('#wechat-notice input')
		    .inputValue(), env.base + '/shop/');
		assert.equal(await p.locator('#pay').isDisabled(), true);
		assert.deepEqual(rec.seen.filter((s) => s !== '/api/products'),
		    [], 'no login or order request outside WeChat');
		assert.equal(p.url(), env.base + '/shop/checkout.html');
		await page(p, 'checkout-outside-en', width);
		assertClean(c.problems, 'outside');
		await t.close(c);
	}
}]);

for (const width of [320, 390]) {
steps.push(['@' + width + ' #1 a dead order is dropped; a 409 makes a ' +
    'fresh order in the same tap', async (t) => {
	const c = await t.open('dead', WECHAT_UA, { width });
	const rec = await stub(c.context, { pay: [{ status: 409, body: {
	    error: 'order_not_payable', state: 'FAILED' } }] });
	await bridge(c.context);
	const sig = JSON.stringify([{ sku: 'cup-celadon', qty: 1 },
	    { sku: 'tea-oolong', qty: 2 }]);
	await storage(c.context, { local: CART2, session: {
	    'h5pay.pay.v1': { key: 'd'.repeat(32), sig, orderNo: NO_DEAD,
		expiresAt: NOW + 600 } } });
	const p = c.page;
	await p.goto(env.base + '/shop/checkout.html');
	await p.locator('#pay:not([disabled])').waitFor();
	/* its status was asked: closed, so no "can still be paid" */
	await p.waitForFunction(() => JSON.parse(sessionStorage.getItem(
	    'h5pay.pay.v1')).orderNo === undefined);
	assert.equal(await p.locator('#msg').isVisible(), false);
	assert.ok(rec.seen.includes('/api/orders/' + NO_DEAD));
	await p.locator('#pay').click();
	await p.locator('#msg[data-state="payable"]').waitFor();
	/* the first key met a 409, the second (fresh) made the order */
	assert.equal(rec.pays.length, 2);
	assert.notEqual(rec.pays[0].idempotencyKey, 'd'.repeat(32));
	assert.notEqual(rec.pays[1].idempotencyKey, rec.pays[0].idempotencyKey);
	assert.equal(await p.evaluate(() => window.__invokes.length), 1);
	assert.doesNotMatch(await text(p, '#msg'), /失效/);
	await shot(p, width + '-checkout-fresh-order');
	assertClean(c.problems, 'dead order');
	await t.close(c);
}]);

steps.push(['@' + width + ' #10 offline: said so, not "busy"',
    async (t) => {
	const c = await t.open('offline', WECHAT_UA, { width });
	const rec = await stub(c.context);
	await bridge(c.context);
	await storage(c.context, { local: CART2 });
	const p = c.page;
	await p.goto(env.base + '/shop/checkout.html');
	await p.locator('#pay:not([disabled])').waitFor();
	await c.context.setOffline(true);
	rec.offline = true;
	await p.locator('#pay').click();
	await p.locator('#msg[data-state="offline"]').waitFor();
	assert.match(await text(p, '#msg'), /离线/);
	assert.doesNotMatch(await text(p, '#msg'), /繁忙/);
	await shot(p, width + '-checkout-offline');
	await c.context.setOffline(false);
	/* what the browser fetched while the test held it offline failed by
	 * design: Chromium asks for the favicon (<link rel="icon">) when it
	 * likes, and once in CI that was after the switch */
	assertClean(c.problems.filter((m) =>
	    !/^console: Failed to load resource: net::ERR_INTERNET_DISCONNECTED$/
	    .test(m)), 'offline');
	await t.close(c);
}]);

steps.push(['@' + width + ' #9 no bridge in WeChat: "not available", ' +
    'no order made', async (t) => {
	const c = await t.open('nobridge', WECHAT_UA, { width });
	const rec = await stub(c.context);
	await storage(c.context, { local: CART2 });
	const p = c.page;
	await p.goto(env.base + '/shop/checkout.html');
	await p.locator('#pay:not([disabled])').waitFor();
	await p.locator('#pay').click();
	await p.locator('#msg[data-state="no-bridge"]').waitFor(
	    { timeout: 15000 });
	assert.match(await text(p, '#msg'), /暂时无法使用微信支付/);
	assert.match(await text(p, '#msg'), /尚未创建订单/);
	assert.equal(rec.pays.length, 0, 'no order before the bridge');
	assert.equal(await p.locator('#pay').isDisabled(), false);
	await shot(p, width + '-checkout-no-bridge');
	assertClean(c.problems, 'no bridge');
	await t.close(c);
}]);
}

run(steps);
