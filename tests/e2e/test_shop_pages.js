/*
 * test_shop_pages.js - the H5 pages in Chromium, served by the real nginx
 * (real CSP and headers), with the JSON API stubbed in the browser: what
 * the pages themselves must do whatever the server answers.
 *
 * - outside WeChat: the "open in WeChat" message, Pay disabled;
 * - product list: every value as text (a hostile name stays text), prices
 *   by the currency's minor-unit exponent, no CSP violation;
 * - cart and checkout: quantities, total, the request sent to /pay;
 * - WeChat bridge injected late: the page waits for WeixinJSBridgeReady,
 *   passes the provider's parameters unchanged; ':cancel' keeps the order
 *   payable and a second Pay reuses the idempotency key; ':ok' goes to the
 *   result page, which polls until PAID;
 * - result page gives up polling with a "still confirming" message;
 * - a 401 login_required goes to /oauth/start with this page as ret.
 *
 * No simulator here (its bridge would be injected into the pages):
 * e2e-stack: {"sim": false}
 */
'use strict';

const { env, run, shot, assert, assertClean, WECHAT_UA, PLAIN_UA } =
    require('./lib');

const PRODUCTS = [
	{ sku: 'tea-01', name: '凤凰单丛 Phoenix tea', description: '100 g',
	  price: 1250, currency: 'HKD', image: '' },
	{ sku: 'cup-02', name: '<img src=x id=pwn>茶杯 Cup',
	  description: '<b>bold</b>', price: 8800, currency: 'HKD',
	  image: 'https://evil.example/x.png' },
	{ sku: 'yen-03', name: 'Matcha', description: '',
	  price: 1500, currency: 'JPY', image: '' },
	{ sku: 'kwd-04', name: 'Dates', description: '',
	  price: 1234, currency: 'KWD', image: '' },
];
const JSAPI = {
	appId: 'wx1234567890abcdef', timeStamp: '1700000000',
	nonceStr: 'n0nce+/=ABC', package: 'prepay_id=wx2017 abc',
	signType: 'RSA', paySign: 'c2lnbmF0dXJl+/==',
};

/* Stub the API in this context; returns the list of /pay bodies. */
async function stubApi(context, opts) {
	const o = opts || {};
	const pays = [];
	let polls = 0;
	await context.route(/\/api\/products$/, (r) => r.fulfill({
		status: 200, contentType: 'application/json',
		body: JSON.stringify({ products: o.products || PRODUCTS }),
	}));
	await context.route(/\/api\/me$/, (r) => r.fulfill(o.loggedOut ? {
		status: 401, contentType: 'application/json',
		body: JSON.stringify({ error: 'login_required',
		    login: '/oauth/start?ret=%2Fapi%2Fme' }),
	} : { status: 200, contentType: 'application/json',
		body: '{"openid":"o***"}' }));
	await context.route(/\/pay$/, (r) => {
		pays.push(JSON.parse(r.request().postData()));
		r.fulfill({ status: 200, contentType: 'application/json',
		    body: JSON.stringify({ orderNo: 'H5T0001', amount: 23850,
			currency: 'HKD', expiresAt: Math.floor(Date.now() / 1000)
			+ 600, jsapi: JSAPI }) });
	});
	await context.route(/\/api\/orders\/H5T0001$/, (r) => {
		polls++;
		const paid = o.neverPaid ? false : polls >= 2;
		r.fulfill({ status: 200, contentType: 'application/json',
		    body: JSON.stringify({ orderNo: 'H5T0001',
			state: paid ? 'PAID' : 'PENDING', amount: 23850,
			currency: 'HKD', items: [
			    { sku: 'tea-01', name: '凤凰单丛 Phoenix tea', qty: 1,
			      unitPrice: 1250, lineAmount: 1250 },
			    { sku: 'cup-02', name: '<b>Cup</b>', qty: 2,
			      unitPrice: 8800, lineAmount: 17600 }] }) });
	});
	return pays;
}

/* A WeixinJSBridge that appears 700 ms after load and records calls. */
async function fakeBridge(context) {
	await context.addInitScript(() => {
		window.__invokes = [];
		window.__answers = [];
		setTimeout(() => {
			window.WeixinJSBridge = {
				invoke(name, params, cb) {
					window.__invokes.push({ name, params });
					const a = window.__answers.shift() ||
					    'get_brand_wcpay_request:ok';
					setTimeout(() => cb({ err_msg: a }), 50);
				},
			};
			document.dispatchEvent(new Event('WeixinJSBridgeReady'));
		}, 700);
	});
}

async function text(page, sel) {
	return (await page.locator(sel).innerText()).trim();
}

run([
	['headers: strict CSP on the shop pages', async (t) => {
		const c = await t.open('csp', PLAIN_UA);
		const res = await c.page.goto(env.base + '/shop/');
		assert.equal(res.status(), 200);
		const csp = res.headers()['content-security-policy'] || '';
		assert.match(csp, /script-src 'self'/);
		assert.doesNotMatch(csp, /unsafe-inline/);
		await t.close(c);
	}],

	['outside WeChat: message, list rendered as text', async (t) => {
		const c = await t.open('outside', PLAIN_UA);
		await stubApi(c.context);
		await c.page.goto(env.base + '/shop/');
		await c.page.locator('.card').nth(3).waitFor();
		const n = await text(c.page, '#wechat-notice');
		/* one language at a time: the browser's (zh-CN here) */
		assert.match(n, /请在微信中打开/);
		const names = await c.page.locator('.card .name').allInnerTexts();
		assert.deepEqual(names, PRODUCTS.map((p) => p.name));
		assert.equal(await c.page.locator('#pwn').count(), 0,
		    'a product name became markup');
		assert.equal(await c.page.locator('.card .desc b').count(), 0);
		const prices = await c.page.locator('.card .price')
		    .allInnerTexts();
		assert.deepEqual(prices, ['HK$12.50', 'HK$88.00', 'JP¥1,500',
		    'KWD 1.234']);
		/* a foreign image URL is never loaded (img-src 'self') */
		const src = await c.page.locator('.card[data-sku="cup-02"] img')
		    .getAttribute('src');
		assert.equal(src, '/shop/img/product.svg');
		await shot(c.page, 'outside-wechat-list');
		assertClean(c.problems, 'product list');
		await t.close(c);
	}],

	['outside WeChat: checkout cannot pay', async (t) => {
		const c = await t.open('outside-co', PLAIN_UA);
		await stubApi(c.context);
		await c.page.goto(env.base + '/shop/');
		await c.page.locator('.card[data-sku="tea-01"] button').click();
		await c.page.goto(env.base + '/shop/checkout.html');
		await c.page.locator('#lines li[data-sku]').first().waitFor();
		assert.match(await text(c.page, '#wechat-notice'),
		    /请在微信中打开/);
		assert.equal(await c.page.locator('#pay').isDisabled(), true);
		await shot(c.page, 'outside-wechat-checkout');
		assertClean(c.problems, 'checkout');
		await t.close(c);
	}],

	['WeChat: cart, checkout, cancel, pay again, paid', async (t) => {
		const c = await t.open('wechat', WECHAT_UA);
		const pays = await stubApi(c.context);
		await fakeBridge(c.context);
		const p = c.page;
		await p.goto(env.base + '/shop/');
		await p.locator('.card').first().waitFor();
		assert.equal(await p.locator('#wechat-notice').isVisible(),
		    false);
		await p.locator('.card[data-sku="tea-01"] button').click();
		await p.locator('.card[data-sku="cup-02"] button').click();
		await p.locator('.card[data-sku="cup-02"] button').click();
		assert.equal(await text(p, '#cart-count'), '3');
		assert.equal(await text(p, '#cart-total'), 'HK$188.50');
		await shot(p, 'wechat-list');

		await p.locator('#cart-link').click();
		await p.waitForURL(/\/shop\/cart\.html$/);
		await p.locator('.card[data-sku="cup-02"]').waitFor();
		/* + then - on the cup: back to 2 */
		await p.locator('.card[data-sku="cup-02"] button').nth(1)
		    .click();
		assert.equal(await text(p, '.card[data-sku="cup-02"] .n'), '3');
		await p.locator('.card[data-sku="cup-02"] button').nth(0)
		    .click();
		assert.equal(await text(p, '.card[data-sku="cup-02"] .n'), '2');
		assert.equal(await text(p, '#cart-total'), 'HK$188.50');
		await shot(p, 'wechat-cart');

		/* checkout is a real page load inside /shop/ */
		await p.locator('#to-checkout').click();
		await p.waitForURL(/\/shop\/checkout\.html$/);
		await p.locator('#lines li[data-sku]').nth(1).waitFor();
		assert.equal(await text(p, '#cart-total'), 'HK$188.50');
		await p.locator('#pay:not([disabled])').waitFor();
		await shot(p, 'wechat-checkout');

		await p.evaluate(() => {
			window.__answers.push('get_brand_wcpay_request:cancel');
		});
		await p.locator('#pay').click();
		await p.locator('#msg[data-state="payable"]').waitFor();
		assert.match(await text(p, '#msg'), /支付已取消/);
		assert.match(await text(p, '#msg'), /H5T0001/);
		await shot(p, 'wechat-cancelled');
		assert.equal(pays.length, 1);
		assert.deepEqual(pays[0].items, [{ sku: 'cup-02', qty: 2 },
		    { sku: 'tea-01', qty: 1 }]);
		assert.match(pays[0].idempotencyKey, /^[0-9a-f]{32}$/);
		assert.equal(Object.keys(pays[0]).sort().join(),
		    'idempotencyKey,items', 'no price sent to /pay');
		const inv = await p.evaluate(() => window.__invokes);
		assert.equal(inv.length, 1);
		assert.equal(inv[0].name, 'getBrandWCPayRequest');
		assert.deepEqual(inv[0].params, JSAPI);

		/* pay again: same key, same order */
		await p.locator('#pay').click();
		await p.waitForURL(/\/shop\/result\.html\?order=H5T0001$/);
		assert.equal(pays.length, 2);
		assert.equal(pays[1].idempotencyKey, pays[0].idempotencyKey);
		await p.locator('#state[data-state="PAID"]').waitFor();
		assert.match(await text(p, '#state'), /支付成功/);
		assert.equal(await text(p, '#amount'), 'HK$238.50');
		assert.equal(await p.locator('#lines b').count(), 0);
		await shot(p, 'wechat-paid');
		/* the cart is emptied once paid */
		assert.equal(await p.evaluate(() =>
		    localStorage.getItem('h5pay.cart.v1')), null);
		assertClean(c.problems, 'pay flow');
		await t.close(c);
	}],

	['result page: still confirming after the poll timeout', async (t) => {
		const c = await t.open('confirming', WECHAT_UA);
		await stubApi(c.context, { neverPaid: true });
		/* just paid (checkout leaves the order number), and a fast
		 * clock: the 60 s poll budget passes in a moment */
		await c.context.addInitScript(() => {
			sessionStorage.setItem('h5pay.paid.v1', 'H5T0001');
			const real = Date.now.bind(Date);
			const t0 = real();
			Date.now = () => t0 + (real() - t0) * 20;
		});
		await c.page.goto(env.base +
		    '/shop/result.html?order=H5T0001');
		await c.page.locator('#msg[data-state="still-confirming"]')
		    .waitFor({ timeout: 60000 });
		assert.match(await text(c.page, '#msg'), /仍在确认中/);
		assert.equal(await c.page.locator('#refresh').isVisible(), true);
		await shot(c.page, 'still-confirming');
		await t.close(c);
	}],

	['not logged in: to /oauth/start and back here', async (t) => {
		const c = await t.open('login', WECHAT_UA);
		await stubApi(c.context, { loggedOut: true });
		let login = null;
		await c.context.route(/\/oauth\/start/, (r) => {
			login = r.request().url();
			r.fulfill({ status: 200, contentType: 'text/plain',
			    body: 'login' });
		});
		await c.page.goto(env.base + '/shop/checkout.html');
		await c.page.waitForURL(/\/oauth\/start/);
		const u = new URL(login);
		assert.equal(u.pathname, '/oauth/start');
		assert.equal(u.searchParams.get('ret'), '/shop/checkout.html');
		await t.close(c);
	}],
]);
