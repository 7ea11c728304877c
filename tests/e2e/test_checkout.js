/*
 * test_checkout.js - issue 11 part 2: hosted checkout end to end in
 * headless Chromium with a WeChat user agent. A tiny merchant shop
 * (merchant_shop.py, a fixture started here) creates a payment through
 * the payments API with its API key and sends the browser to the
 * payment's checkout URL; the buyer logs in through the simulator's
 * WeChat OAuth, sees the merchant's subject and amount, pays on the
 * simulator's sheet, and lands on the shop's return URL, where the shop
 * finds a valid signature and (asking the API, as it must) a PAID
 * payment. The cancel path: Cancel on the sheet, "back to the merchant":
 * the shop gets status "open", validly signed, and the API says CREATED
 * or PENDING (never ship on it).
 * Not here (issue 11 part 3, another branch): the shop receiving the
 * payment.paid event.
 *
 * e2e-stack: {"merchant": true, "config": {"status_query_interval_sec": "2"}}
 */
'use strict';

const { spawn, execFileSync } = require('child_process');
const path = require('path');
const { env, run, shot, assert, assertClean, WECHAT_UA } = require('./lib');

if (!env.sim) {
	console.log('SKIP: h5pay-sim is not built');
	process.exit(77);
}

const MERCHANT = 'https://127.0.0.1:' + process.env.E2E_MERCHANT_PORT;
let shop = null;
process.on('exit', () => {
	if (shop)
		shop.kill();
});

function startShop() {
	const token = execFileSync(path.join(env.build, 'h5pay'), ['apikey',
	    'add', '-c', env.cfg, 'e2e-shop'], { encoding: 'utf8' }).trim();
	assert.match(token, /^h5k_[A-Za-z0-9_-]{43}$/);
	shop = spawn('/usr/bin/python3', [path.join(__dirname,
	    'merchant_shop.py')], { env: Object.assign({}, process.env,
	    { MERCHANT_TOKEN: token }), stdio: ['ignore', 'pipe',
	    'inherit'] });
	return new Promise((resolve, reject) => {
		shop.stdout.on('data', (b) => {
			if (/ready/.test(String(b)))
				resolve();
		});
		shop.on('exit', (c) => reject(new Error('shop exited ' + c)));
	});
}

async function text(page, sel) {
	return (await page.locator(sel).innerText()).trim();
}

async function login(p, openid, name) {
	await p.waitForURL(/\/connect\/oauth2\/authorize/);
	await p.locator('input[name="sim_user"]').fill(openid);
	await shot(p, name + '-wechat-login');
	await p.locator('button[type="submit"]').click();
	await p.waitForURL(/\/shop\/pay\.html\?id=pay_[0-9A-Za-z]{32}$/);
}

async function sheet(p, action, name) {
	const s = p.locator('#h5pay-sim-sheet');
	await s.waitFor();
	assert.match(await s.locator('.sim-amount').innerText(), /42\.00/);
	await shot(p, name + '-sheet');
	await s.locator('button.sim-' + action).click();
}

run([
	['merchant shop -> API payment -> hosted checkout -> paid -> back',
	    async (t) => {
		await startShop();
		const c = await t.open('paid', WECHAT_UA);
		const p = c.page;
		await p.goto(MERCHANT + '/buy?ref=e2e-order-1');
		await login(p, 'oE2eCheckout01', 'paid-1');
		await p.locator('#pay:not([disabled])').waitFor();
		assert.equal(await text(p, '#subject'),
		    'Merchant order e2e-order-1');
		assert.match(await text(p, '#total'), /42\.00/);
		assert.match(await text(p, '#merchant'), /127\.0\.0\.1:\d+/);
		await shot(p, 'paid-2-checkout');
		await p.locator('#pay').click();
		await sheet(p, 'pay', 'paid-3');
		await p.waitForURL(new RegExp('^' + MERCHANT.replace(/\./g,
		    '\\.') + '/return\\?ref=e2e-order-1&payment_id=pay_'),
		    { timeout: 60000 });
		assert.equal(await text(p, '#sig'), 'valid');
		assert.equal(await text(p, '#status'), 'paid');
		assert.equal(await text(p, '#state'), 'PAID');
		await shot(p, 'paid-4-merchant-return');
		assertClean(c.problems, 'hosted checkout, paid');
		await t.close(c);
	}],

	['cancel on the sheet, back to the merchant: open, not paid',
	    async (t) => {
		const c = await t.open('cancel', WECHAT_UA);
		const p = c.page;
		await p.goto(MERCHANT + '/buy?ref=e2e-order-2');
		await login(p, 'oE2eCheckout02', 'cancel-1');
		await p.locator('#pay:not([disabled])').waitFor();
		await p.locator('#pay').click();
		await sheet(p, 'cancel', 'cancel-2');
		await p.locator('#msg[data-state="payable"]',
		    { hasText: '支付已取消' }).waitFor();
		await shot(p, 'cancel-3-cancelled');
		await p.locator('#back').click();
		await p.waitForURL(new RegExp('/return\\?ref=e2e-order-2&'));
		assert.equal(await text(p, '#sig'), 'valid');
		assert.equal(await text(p, '#status'), 'open');
		assert.match(await text(p, '#state'), /^(CREATED|PENDING)$/);
		await shot(p, 'cancel-4-merchant-return');
		/* a forged status does not verify */
		await p.goto(p.url().replace('status=open', 'status=paid'));
		assert.equal(await text(p, '#sig'), 'INVALID');
		assertClean(c.problems, 'hosted checkout, cancel');
		await t.close(c);
	}],
]);
