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
 * The shop is also the merchant's events endpoint: it receives the
 * payment.paid event (signature verified), and the merchant's staff see
 * its delivery in the admin's events page and resend it (the shop gets
 * the same event id again: at least once, deduplicated by id).
 *
 * e2e-stack: {"merchant": true, "config": {"status_query_interval_sec": "2"}}
 */
'use strict';

const { spawn, execFileSync } = require('child_process');
const path = require('path');
const { env, run, shot, assert, assertClean, axe, WECHAT_UA } =
    require('./lib');

if (!env.sim) {
	console.log('SKIP: h5pay-sim is not built');
	process.exit(77);
}

const MERCHANT = 'https://127.0.0.1:' + process.env.E2E_MERCHANT_PORT;
let shop = null;
let paidOrder = null, paidEvent = null;
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

/* What the shop's events endpoint received (merchant_shop.py /events),
 * asked from here with the stack's CA. */
function received() {
	const ca = require('fs').readFileSync(process.env.E2E_CA);
	return new Promise((resolve, reject) => {
		require('https').get(MERCHANT + '/events', { ca }, (res) => {
			let b = '';
			res.on('data', (d) => { b += d; });
			res.on('end', () => {
				try {
					assert.equal(res.statusCode, 200);
					resolve(JSON.parse(b));
				} catch (e) {
					reject(e);
				}
			});
		}).on('error', reject);
	});
}

async function until(what, fn, ms) {
	const end = Date.now() + (ms || 30000);
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error('timed out waiting for ' + what);
		await new Promise((r) => setTimeout(r, 250));
	}
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
		paidOrder = await text(p, '#order');
		assert.match(paidOrder, /^H5[0-9A-Za-z]+$/);
		/* the shop's events endpoint got payment.paid, signed */
		paidEvent = await until('payment.paid at the shop', async () => {
			const r = await received();
			assert.equal(r.bad_signatures, 0);
			return r.events.find((e) => e.type === 'payment.paid' &&
			    e.order_no === paidOrder);
		});
		assert.match(paidEvent.id, /^evt_[0-9a-f]{24}$/);
		assertClean(c.problems, 'hosted checkout, paid');
		await t.close(c);
	}],

	['the admin sees the delivery and resends the event', async (t) => {
		const user = 'e2eevents', pass = 'e2e-Events-' + process.pid;
		execFileSync('/usr/bin/python3', [path.join(__dirname,
		    'admin_setup.py'), 'user', user], { input: pass + '\n',
		    env: process.env, timeout: 120000 });
		const c = await t.open('admin-events', undefined,
		    { locale: 'en-US' });
		const p = c.page;
		await p.goto(env.base + '/admin/');
		await p.fill('#username', user);
		await p.fill('#password', pass);
		await p.click('#login-btn');
		await p.waitForURL(/\/admin\/dashboard\.html$/);
		await p.goto(env.base + '/admin/events.html');
		const row = p.locator('tr[data-event="' + paidEvent.id + '"]');
		await row.waitFor();
		assert.match(await row.innerText(), /payment\.paid/);
		assert.match(await row.innerText(), /delivered/);
		assert.match(await row.innerText(), /HTTP 200/);
		assert.match(await row.innerText(), new RegExp(paidOrder));
		await shot(p, 'events-1-delivery-log');
		await axe(p, 'admin events');
		await row.locator('button[data-event]').click();
		/* the same event id again at the shop: a repeat, not new */
		await until('the resent event', async () => {
			const r = await received();
			const e = r.events.find((x) => x.id === paidEvent.id);
			return e && e.deliveries >= 2;
		});
		await p.goto(env.base + '/admin/events.html');
		await until('two attempts in the log', async () =>
		    /\b2\b/.test(await p.locator('tr[data-event="' +
		    paidEvent.id + '"] td.num').innerText()) ||
		    (await p.reload(), false));
		await shot(p, 'events-2-resent');
		assertClean(c.problems, 'admin events');
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
