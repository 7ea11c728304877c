/*
 * test_admin_flow.js - the merchant admin in Chromium against the real
 * stack (nginx with the production CSP, h5payd, h5pay-sim) - issue 7,
 * acceptance 1 and 3:
 *   a buyer pays in the shop (WeChat UA, the simulator's OAuth and
 *   payment sheet, as in test_shop_flow.js); the admin logs in (a wrong
 *   password first), finds that order in the orders table, opens its
 *   detail (timeline, notifications), refunds part of it through the
 *   dialog (confirmation required), sees the refund SUCCEEDED after the
 *   simulator's refund notification, gets it in the CSV export and on the
 *   dashboard (today's figures, the chart, the audit list).
 *   A second order (admin_setup.py: paid through the simulator) carries a
 *   hostile subject, item name and echoParam: they stay text in the
 *   pages, the CSV neutralises them; no CSP violation anywhere.
 * Issue 13 (the merchant's pages): states and the timeline in words, one
 * money format (HK$), the refund dialog fresh each time with the amount
 * on its button (M1), a lockout that says how long (M3), an ended session
 * that says so and returns to its page (M4), the order detail fitting a
 * phone (M8), zh-HK and zh-CN (M9), axe-core on every page.
 * Screenshots in E2E_OUT at each step, phone and laptop sizes; the
 * README's three (shop list, payment result, admin order) are taken here
 * (H5PAY_DOCS_IMG=1 writes them to docs/img: update_screenshots.sh).
 */
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { env, run, shot, assert, assertClean, axe, assertFits, docShot,
    WECHAT_UA } = require('./lib');

const USER = 'e2eadmin';
const PASS = 'e2e-Passw0rd-' + process.pid;
const SUBJECT = '<script>window.pwned=1</script>Tea order';
const ITEM = '"><img src=x onerror="window.pwned=2">Phoenix tea';
let orderNo = null;	/* the buyer's */
let hostileNo = null;
let paid = 0;		/* the buyer's amount, minor units */

/* "HKD 256.00" / "256.00 HKD" -> 25600 */
function minor(text) {
	const m = /(\d+)\.(\d\d)/.exec(text);
	return parseInt(m[1], 10) * 100 + parseInt(m[2], 10);
}

function money(v) {
	return (v / 100).toFixed(2);
}

/* RFC 6238 TOTP (SHA-1, 30 s, 6 digits) of a base32 secret at time t. */
function totp(b32, t) {
	const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const ch of b32)
		bits += A.indexOf(ch).toString(2).padStart(5, '0');
	const key = Buffer.from(bits.match(/.{8}/g).map((b) =>
	    parseInt(b, 2)));
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
	const mac = require('node:crypto').createHmac('sha1', key)
	    .update(msg).digest();
	const o = mac[mac.length - 1] & 15;
	return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000)
	    .padStart(6, '0');
}

function setup(args, input) {
	return execFileSync('/usr/bin/python3',
	    [path.join(__dirname, 'admin_setup.py')].concat(args),
	    { input: input || '', env: process.env, timeout: 120000 })
	    .toString();
}

/* Click Search and wait until the table shows the answer. */
async function search(p) {
	await Promise.all([
		p.waitForResponse((r) => /\/admin\/api\/orders\?/.test(r.url())),
		p.click('#search'),
	]);
	await p.waitForSelector('#status:not(:has-text("Loading"))');
}

async function noPwn(page) {
	assert.equal(await page.evaluate(() => window.pwned), undefined,
	    'hostile text ran as code');
	assert.equal(await page.locator('img[src="x"]').count(), 0);
}

run([
	['fixtures: admin user and a paid order', async () => {
		assert.match(setup(['sim']), /^https:\/\/127\.0\.0\.1:/,
		    'the simulator must run for this test');
		setup(['user', USER], PASS + '\n');
		setup(['user', 'e2eotp'], PASS + '\n');
		hostileNo = JSON.parse(setup(['paid-order', SUBJECT, ITEM,
		    '1000'])).orderNo;
	}],
	['a buyer pays in the shop', async (t) => {
		const c = await t.open('buyer', WECHAT_UA);
		const p = c.page;
		await p.goto(env.base + '/shop/');
		const card = p.locator('.card[data-sku="tea-oolong"]');
		await card.waitFor();
		await docShot(p, 'shop-list');
		await card.locator('button.add').click();
		await card.locator('button.add').click();
		await p.goto(env.base + '/shop/checkout.html');
		/* the simulator's WeChat login, automatic mode (see
		 * test_shop_flow.js for why not its form) */
		await p.waitForURL(/\/connect\/oauth2\/authorize/);
		await p.goto(p.url().split('#')[0] + '&sim_user=' +
		    encodeURIComponent('oE2eAdminBuyer01'));
		await p.waitForURL(/\/shop\/checkout\.html$/);
		await p.locator('#pay:not([disabled])').waitFor();
		await p.locator('#pay').click();
		const sheet = p.locator('#h5pay-sim-sheet');
		await sheet.waitFor();
		await sheet.locator('button.sim-pay').click();
		await p.waitForURL(/\/shop\/result\.html\?order=H5[0-9A-Za-z]+$/);
		await p.locator('#state[data-state="PAID"]')
		    .waitFor({ timeout: 60000 });
		orderNo = /order=(H5[0-9A-Za-z]+)$/.exec(p.url())[1];
		paid = minor(await p.locator('#amount').innerText());
		assert.ok(paid > 10000, 'paid ' + paid);
		await shot(p, '00-buyer-paid');
		await docShot(p, 'shop-paid');
		assertClean(c.problems, 'buyer pages');
		await t.close(c);
	}],
	['log in (wrong password first), orders, detail, refund, CSV, ' +
	    'dashboard', async (t) => {
		const c = await t.open('admin', undefined, { locale: 'en-US' });
		const p = c.page;
		await p.goto(env.base + '/admin/');
		await p.fill('#username', USER);
		await p.fill('#password', 'wrong');
		await p.click('#login-btn');
		await p.waitForSelector('#status:has-text("Wrong user name")');
		await axe(p, 'login');
		await shot(p, '01-login-refused');
		await p.fill('#password', PASS);
		await p.click('#login-btn');
		await p.waitForURL(/\/admin\/dashboard\.html$/);

		// the orders table: the buyer's order among the paid ones
		await p.goto(env.base + '/admin/orders.html');
		await p.waitForSelector('#rows tr');
		await p.selectOption('#f-state', 'PAID');
		await search(p);
		const row = p.locator('#rows tr[data-order="' + orderNo + '"]');
		await row.waitFor();
		/* the state in words, the code kept for tools */
		assert.equal(await row.locator('.badge[data-state="PAID"]')
		    .innerText(), 'Paid');
		assert.ok((await row.innerText()).includes('HK$' + money(paid)));
		/* no total from the API: the page says which rows it shows */
		assert.match(await p.innerText('#status'), /^Orders 1–\d+/);
		// the hostile order's subject is text in the table
		const bad = p.locator('#rows tr[data-order="' + hostileNo + '"]');
		assert.match(await bad.innerText(), /<script>window\.pwned=1/);
		assert.equal(await bad.getAttribute('class'), '');
		await noPwn(p);
		await shot(p, '02-orders-phone');
		await assertFits(p, 'orders @390');
		await p.setViewportSize({ width: 1280, height: 800 });
		await axe(p, 'orders');
		await shot(p, '03-orders-laptop');
		// by its number
		await p.fill('#f-order', orderNo);
		await search(p);
		assert.equal(await p.locator('#rows tr').count(), 1);

		// detail: timeline and the simulator's notification
		await row.locator('a').click();
		await p.waitForURL(/order\.html\?no=/);
		await p.waitForSelector('#timeline li');
		/* the timeline in words: "Paid ... by UseePay notification" */
		const paidEv = p.locator('#timeline li[data-to="PAID"]').first();
		assert.match(await paidEv.innerText(), /^Paid .* by (UseePay notification|status query)/);
		assert.doesNotMatch(await p.innerText('#timeline'), /→/);
		assert.match(await p.innerText('#notifications'),
		    /pay succeed .* verified/);
		await axe(p, 'order detail');
		await shot(p, '04-detail-paid');

		// refund 100.00: over-refund refused by the page, the
		// confirmation box required
		await p.click('#refund-btn');
		await p.fill('#refund-amount', money(paid + 1));
		await p.click('#refund-submit');
		assert.match(await p.innerText('#refund-status'), /At most/);
		await p.fill('#refund-amount', '100.00');
		assert.equal(await p.innerText('#refund-submit'), 'Refund HK$100.00');
		await p.fill('#refund-reason', 'damaged box');
		await p.click('#refund-submit');
		assert.match(await p.innerText('#refund-status'), /confirmation/);
		await shot(p, '05-refund-dialog');
		await p.check('#refund-confirm');
		await p.click('#refund-submit');
		await p.waitForSelector('#status:has-text("Refund R")');
		// the simulator's refund notification completes it (the page
		// polls while a refund is in flight)
		await p.waitForSelector('#refunds .badge[data-state="SUCCEEDED"]',
		    { timeout: 60000 });
		await p.waitForSelector(
		    '#summary-rows .badge[data-state="PARTIALLY_REFUNDED"]');
		assert.match(await p.innerText('#summary-rows'), /HK\$100\.00/);
		assert.ok((await p.innerText('#summary-rows')).includes(
		    'HK$' + money(paid - 10000)), 'refundable');
		assert.match(await p.innerText('#timeline li[data-from="PAID"]' +
		    '[data-to="PARTIALLY_REFUNDED"]'), /^Partially refunded /);
		await p.locator('#timeline').scrollIntoViewIfNeeded();
		await p.evaluate(() => window.scrollTo(0, 0));
		await docShot(p, 'admin-order');
		await shot(p, '06-detail-refunded');
		/* M1: the dialog again: nothing kept from that refund */
		await p.click('#refund-btn');
		assert.equal(await p.inputValue('#refund-reason'), '');
		assert.equal(await p.inputValue('#refund-amount'), '');
		assert.equal(await p.isChecked('#refund-confirm'), false);
		assert.equal(await p.innerText('#refund-submit'), 'Refund');
		await p.click('#refund-cancel');
		/* M8: the detail on a phone: nothing off-screen */
		await p.setViewportSize({ width: 390, height: 844 });
		await assertFits(p, 'order detail @390');
		await shot(p, '06b-detail-phone');
		await p.setViewportSize({ width: 1280, height: 800 });

		// CSV of the filtered list, as the Export button requests it
		const csv = await p.evaluate(async () => {
			const r = await fetch('/admin/api/orders.csv');
			return { ct: r.headers.get('content-type'),
			    text: await r.text() };
		});
		fs.writeFileSync(path.join(env.out, 'orders.csv'), csv.text);
		assert.match(csv.ct, /^text\/csv/);
		const lines = csv.text.split('\r\n');
		const line = lines.find((l) => l.startsWith(orderNo + ','));
		/* amounts in currency units, times with their offset */
		assert.ok(line.includes(',PARTIALLY_REFUNDED,' + money(paid) +
		    ',HKD,100.00,'), line);
		assert.match(line, /^H5\w+,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00,/);
		const hl = lines.find((l) => l.startsWith(hostileNo + ','));
		assert.match(hl, /,<script>window\.pwned=1<\/script>Tea order,/);

		// dashboard: today's refund, a bar for today
		await p.goto(env.base + '/admin/dashboard.html');
		await p.waitForSelector('#today-refunded');
		assert.match(await p.innerText('#today-refunded'), /100\.00/);
		assert.ok((await p.innerText('#today-paid-amount')).includes(
		    money(paid + 1000)));
		const bars = await p.locator('#chart rect.bar').count();
		assert.ok(bars >= 28, 'bars: ' + bars);
		const h = await p.locator('#chart rect.bar').last()
		    .getAttribute('height');
		assert.ok(parseFloat(h) > 0, 'today has a bar');
		await p.waitForSelector('#audit td:has-text("refund_send")');
		/* refunds, net and conversion next to the gross */
		assert.ok((await p.innerText('#today-net')).includes(
		    money(paid + 1000 - 10000)));
		assert.match(await p.innerText('#today-conversion'), /\d+%/);
		await axe(p, 'dashboard');
		await shot(p, '07-dashboard-laptop');
		await p.setViewportSize({ width: 390, height: 844 });
		await shot(p, '08-dashboard-phone');

		// the hostile order: every value is text in the detail page
		await p.goto(env.base + '/admin/order.html?no=' + hostileNo);
		await p.waitForSelector('#items tr');
		assert.match(await p.innerText('#summary-rows'),
		    /<script>window\.pwned=1<\/script>Tea order/);
		assert.match(await p.innerText('#items'),
		    /"><img src=x onerror="window\.pwned=2">Phoenix tea/);
		// the provider's echoParam, decoded, shown as text
		assert.match(await p.innerText('#notifications'),
		    /echoParam\s+"><img src=x onerror=alert\(1\)>/);
		await noPwn(p);
		await shot(p, '09-hostile-detail');

		// log out: the API refuses the old cookie
		await p.click('#logout');
		await p.waitForURL(/\/admin\/$/);
		const st = await p.evaluate(async () =>
		    (await fetch('/admin/api/session')).status);
		assert.equal(st, 401);
		assertClean(c.problems, 'admin pages');
		await t.close(c);
	}],
	['too many failures: the page shows the wait; a second factor asks ' +
	    'for the code', async (t) => {
		const c = await t.open('admin-limits', undefined,
		    { locale: 'en-US' });
		const p = c.page;
		await p.goto(env.base + '/admin/');
		await p.fill('#username', 'nobody-here');
		for (let i = 0; i < 4; i++) {
			await p.fill('#password', 'wrong-' + i);
			await p.click('#login-btn');
			await p.waitForSelector('#status:not(:empty)');
			if (i < 3)
				await p.waitForSelector('#status:has-text(' +
				    '"Wrong user name")');
		}
		await p.waitForSelector('#status:has-text("Try again in")');
		assert.match(await p.innerText('#status'),
		    /Try again in ([1-9]|[12][0-9]|30) s\./);
		assert.ok(await p.locator('#login-btn').isDisabled(),
		    'the button waits too');
		await shot(p, '10-login-throttled');

		const u2 = 'e2eotp', uri = setup(['totp', u2]).trim();
		const secret = /[?&]secret=([A-Z2-7]+)/.exec(uri)[1];
		await p.reload();
		assert.ok(!(await p.locator('#otp').isVisible()));
		await p.fill('#username', u2);
		await p.fill('#password', PASS);
		await p.click('#login-btn');
		await p.locator('#otp').waitFor({ state: 'visible' });
		assert.match(await p.innerText('#status'), /6-digit code/);
		await shot(p, '11-login-otp');
		await p.fill('#otp', totp(secret, Date.now() / 1000));
		await p.click('#login-btn');
		await p.waitForURL(/\/admin\/dashboard\.html$/);
		assertClean(c.problems, 'admin login pages');
		await t.close(c);
	}],
	['M4 an ended session says so and returns to its page; M9 zh-HK, ' +
	    'zh-CN', async (t) => {
		const c = await t.open('admin2', undefined, { locale: 'zh-HK',
		    width: 1280, height: 800, desktop: true });
		const p = c.page;
		await p.goto(env.base + '/admin/');
		await p.fill('#username', USER);
		await p.fill('#password', PASS);
		await p.click('#login-btn');
		await p.waitForURL(/\/admin\/dashboard\.html$/);
		await p.waitForSelector('#today-net');
		assert.equal(await p.evaluate(() =>
		    document.documentElement.lang), 'zh-HK');
		assert.match(await p.innerText('#nav'), /訂單/);
		await axe(p, 'dashboard zh-HK');
		await shot(p, '10-dashboard-zh-HK');
		await p.goto(env.base + '/admin/order.html?no=' + orderNo);
		await p.waitForSelector('#timeline li[data-to="PAID"]');
		assert.equal(await p.innerText('#summary-rows .badge'), '部分退款');
		assert.match(await p.innerText('#timeline li[data-to="PAID"]'),
		    /^已支付 /);
		await axe(p, 'order zh-HK');
		await shot(p, '11-order-zh-HK');
		/* the switch: zh-CN */
		await p.selectOption('#lang', 'zh-CN');
		await p.waitForSelector('#timeline li[data-to="PAID"]');
		assert.match(await p.innerText('#nav'), /订单/);
		await shot(p, '12-order-zh-CN');
		/* the session ends (cookie gone): said, and back here after */
		await c.context.clearCookies();
		await p.reload();
		await p.waitForURL(/\/admin\/\?expired=1&ret=/);
		assert.match(await p.innerText('#status'), /登录已过期/);
		await shot(p, '13-session-ended');
		await p.fill('#username', USER);
		await p.fill('#password', PASS);
		await p.click('#login-btn');
		await p.waitForURL(new RegExp('/admin/order\\.html\\?no=' +
		    orderNo + '$'));
		assertClean(c.problems, 'admin pages (zh)');
		await t.close(c);
	}],
]);
