/*
 * test_shop_flow.js - issue 5, acceptance 1: the buyer flow end to end in
 * headless Chromium with a WeChat user agent, against the real stack:
 * nginx + h5payd + h5pay-sim (its WeChat OAuth, and its WeixinJSBridge
 * injected into the shop pages by the test nginx config, as WeChat
 * injects its own).
 *
 *   open the shop -> add two products -> checkout -> login through the
 *   simulator (401 -> /oauth/start -> pick a test user -> back to
 *   checkout) -> Pay -> the simulator's sheet: Pay -> the result page
 *   shows paid (by the notification or the status poll's query);
 *   Cancel on the sheet -> back on checkout, the same order still
 *   payable -> Pay again -> same order number -> paid;
 *   Fail on the sheet -> "did not go through", still payable.
 * Screenshots of every step are kept in <build>/e2e-out/test_shop_flow/.
 *
 * e2e-stack: {"config": {"status_query_interval_sec": "2"}}
 */
'use strict';

const { env, run, shot, assert, assertClean, WECHAT_UA } = require('./lib');

if (!env.sim) {
	console.log('SKIP: h5pay-sim is not built');
	process.exit(77);
}

async function text(page, sel) {
	return (await page.locator(sel).innerText()).trim();
}

async function addToCart(p, sku, times) {
	for (let i = 0; i < times; i++)
		await p.locator('.card[data-sku="' + sku + '"] button.add')
		    .click();
}

/* From checkout, through the simulator's WeChat login, back to checkout. */
async function login(p, openid, name) {
	await p.waitForURL(/\/connect\/oauth2\/authorize/);
	await p.locator('input[name="sim_user"]').waitFor();
	await shot(p, name + '-wechat-login');
	/* as a person does in the demo: type an openid, press Authorize */
	await p.locator('input[name="sim_user"]').fill(openid);
	await p.locator('button[type="submit"]').click();
	await p.waitForURL(/\/shop\/checkout\.html$/);
}

async function sheet(p, action) {
	const s = p.locator('#h5pay-sim-sheet');
	await s.waitFor();
	return s;
}

async function payOnSheet(p, action, name) {
	const s = await sheet(p);
	await shot(p, name + '-sheet');
	await s.locator('button.sim-' + action).click();
}

run([
	['pay: shop, login, two products, Pay on the sheet, paid', async (t) => {
		const c = await t.open('pay', WECHAT_UA);
		const p = c.page;
		await p.goto(env.base + '/shop/');
		await p.locator('.card[data-sku="tea-oolong"]').waitFor();
		assert.equal(await p.locator('#wechat-notice').isVisible(),
		    false);
		/* each demo product has its own picture, served by nginx */
		const img = p.locator('.card[data-sku="tea-oolong"] img');
		assert.equal(await img.getAttribute('src'),
		    '/shop/img/tea-oolong.svg');
		assert.ok(await img.evaluate((i) => i.complete &&
		    i.naturalWidth > 0), 'product image loaded');
		await shot(p, 'pay-1-list');
		await addToCart(p, 'tea-oolong', 2);
		await addToCart(p, 'cup-celadon', 1);
		assert.equal(await text(p, '#cart-count'), '3');
		assert.equal(await text(p, '#cart-total'), 'HK$344.00');
		await p.locator('#cart-link').click();
		await p.locator('.card[data-sku="cup-celadon"]').waitFor();
		await shot(p, 'pay-2-cart');
		await p.locator('#to-checkout').click();
		await login(p, 'oE2eBuyerPay01', 'pay-3');
		await p.locator('#lines li[data-sku]').nth(1).waitFor();
		assert.equal(await text(p, '#cart-total'), 'HK$344.00');
		await p.locator('#pay:not([disabled])').waitFor();
		await shot(p, 'pay-4-checkout');
		await p.locator('#pay').click();
		const s = await sheet(p);
		assert.match(await s.locator('.sim-amount').innerText(),
		    /344\.00/);
		await payOnSheet(p, 'pay', 'pay-5');
		await p.waitForURL(/\/shop\/result\.html\?order=H5[0-9A-Za-z]+$/);
		await p.locator('#state[data-state="PAID"]')
		    .waitFor({ timeout: 60000 });
		assert.match(await text(p, '#state'), /支付成功/);
		assert.equal(await text(p, '#amount'), 'HK$344.00');
		assert.equal(await p.locator('#lines li').count(), 2);
		await shot(p, 'pay-6-paid');
		/* paid: the cart is empty again */
		await p.goto(env.base + '/shop/');
		await p.locator('.card').first().waitFor();
		assert.equal(await text(p, '#cart-count'), '0');
		/* and the order is in "my orders" */
		await p.goto(env.base + '/shop/orders.html');
		await p.locator('#orders .order').first().waitFor();
		/* the state in words (issue 13), with its items */
		assert.equal(await text(p, '#orders .order .st'), '已支付');
		assert.match(await text(p, '#orders .order'),
		    /凤凰单丛 Phoenix oolong tea × 2/);
		await shot(p, 'pay-7-orders');
		assertClean(c.problems, 'pay flow');
		await t.close(c);
	}],

	['cancel, then fail, then pay the same order', async (t) => {
		const c = await t.open('cancel', WECHAT_UA);
		const p = c.page;
		await p.goto(env.base + '/shop/');
		await p.locator('.card[data-sku="mooncake-box"]').waitFor();
		await addToCart(p, 'mooncake-box', 1);
		await addToCart(p, 'eggroll-tin', 2);
		await p.goto(env.base + '/shop/checkout.html');
		await login(p, 'oE2eBuyerCancel01', 'cancel-1');
		await p.locator('#pay:not([disabled])').waitFor();
		await p.locator('#pay').click();
		await payOnSheet(p, 'cancel', 'cancel-2');
		await p.locator('#msg[data-state="payable"]',
		    { hasText: '支付已取消' }).waitFor();
		assert.match(await text(p, '#msg'), /支付已取消/);
		assert.match(page_url(p), /\/shop\/checkout\.html$/);
		/* the page shows a short form; the full number is kept */
		const first = await p.locator('#msg').getAttribute('data-order');
		assert.match(first, /^H5[0-9A-Za-z]{28}$/);
		assert.match(await text(p, '#msg'), new RegExp(
		    first.slice(-8, -4) + ' ' + first.slice(-4)));
		await shot(p, 'cancel-3-cancelled');

		/* a reload keeps the order payable (same key, same order) */
		await p.reload();
		await p.locator('#msg[data-state="payable"]',
		    { hasText: '未完成的订单' }).waitFor();
		assert.equal(await p.locator('#msg').getAttribute('data-order'),
		    first);

		await p.locator('#pay').click();
		await payOnSheet(p, 'fail', 'cancel-4');
		await p.locator('#msg[data-state="payable"]',
		    { hasText: '支付未完成' }).waitFor();
		assert.match(await text(p, '#msg'), /支付未完成/);
		assert.equal(await p.locator('#msg').getAttribute('data-order'),
		    first);
		await shot(p, 'cancel-5-failed');

		await p.locator('#pay').click();
		await payOnSheet(p, 'pay', 'cancel-6');
		await p.waitForURL(new RegExp('/shop/result\\.html\\?order=' +
		    first + '$'));
		await p.locator('#state[data-state="PAID"]')
		    .waitFor({ timeout: 60000 });
		assert.equal(await text(p, '#amount'), 'HK$404.00');
		await shot(p, 'cancel-7-paid');
		assertClean(c.problems, 'cancel flow');
		await t.close(c);
	}],
]);

function page_url(p) {
	return p.url();
}
