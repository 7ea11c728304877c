/*
 * test_admin_flow.js - the merchant admin in Chromium against the real
 * stack (nginx with the production CSP, h5payd, h5pay-sim) - issue 7,
 * acceptance 1 and 3:
 *   a buyer's order paid through the simulator (admin_setup.py), with a
 *   hostile subject, item name and echoParam; log in; find the order in
 *   the orders table; open its detail (timeline, notifications); refund
 *   part of it through the dialog (confirmation required); see the refund
 *   SUCCEEDED after the simulator's refund notification; the CSV export
 *   has it (neutralised cells); the dashboard shows today's refund and the
 *   chart. Hostile strings stay text; no CSP violation. Screenshots in
 *   E2E_OUT at each step, phone and laptop sizes.
 */
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { env, run, shot, assert, assertClean } = require('./lib');

const USER = 'e2eadmin';
const PASS = 'e2e-Passw0rd-' + process.pid;
const SUBJECT = '<script>window.pwned=1</script>Tea order';
const ITEM = '"><img src=x onerror="window.pwned=2">Phoenix tea';
let orderNo = null;

function setup(args, input) {
	return execFileSync('/usr/bin/python3',
	    [path.join(__dirname, 'admin_setup.py')].concat(args),
	    { input: input || '', env: process.env, timeout: 120000 })
	    .toString();
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
		orderNo = JSON.parse(setup(['paid-order', SUBJECT, ITEM,
		    '1000'])).orderNo;
	}],
	['log in (wrong password first), orders, detail, refund, CSV, ' +
	    'dashboard', async (t) => {
		const c = await t.open('admin');
		const p = c.page;
		await p.goto(env.base + '/admin/');
		await p.fill('#username', USER);
		await p.fill('#password', 'wrong');
		await p.click('#login-btn');
		await p.waitForSelector('#status:has-text("Wrong user name")');
		await shot(p, '01-login-refused');
		await p.fill('#password', PASS);
		await p.click('#login-btn');
		await p.waitForURL(/\/admin\/dashboard\.html$/);

		// the orders table: find the paid order by its number
		await p.goto(env.base + '/admin/orders.html');
		await p.waitForSelector('#rows tr');
		await p.fill('#f-order', orderNo);
		await p.click('#search');
		const row = p.locator('#rows tr[data-order="' + orderNo + '"]');
		await row.waitFor();
		assert.match(await row.innerText(), /PAID/);
		assert.match(await row.innerText(), /<script>window\.pwned=1/);
		await noPwn(p);
		await shot(p, '02-orders-phone');
		await p.setViewportSize({ width: 1280, height: 800 });
		await shot(p, '03-orders-laptop');

		// detail: timeline and the simulator's notification
		await row.locator('a').click();
		await p.waitForURL(/order\.html\?no=/);
		await p.waitForSelector('#timeline li');
		assert.match(await p.innerText('#timeline'), /PENDING → PAID/);
		assert.match(await p.innerText('#items'),
		    /"><img src=x onerror=/);
		assert.match(await p.innerText('#notifications'),
		    /verified/);
		// the provider's echoParam, decoded, shown as text
		assert.match(await p.innerText('#notifications'),
		    /echoParam\s+"><img src=x onerror=alert\(1\)>/);
		await noPwn(p);
		await shot(p, '04-detail-paid');

		// refund 3.00 of 10.00: over-refund refused by the page,
		// the confirmation box required
		await p.click('#refund-btn');
		await p.fill('#refund-amount', '10.01');
		await p.click('#refund-submit');
		assert.match(await p.innerText('#refund-status'), /At most/);
		await p.fill('#refund-amount', '3.00');
		await p.fill('#refund-reason', 'damaged box');
		await p.click('#refund-submit');
		assert.match(await p.innerText('#refund-status'), /confirmation/);
		await shot(p, '05-refund-dialog');
		await p.check('#refund-confirm');
		await p.click('#refund-submit');
		await p.waitForSelector('#status:has-text("Refund R")');
		// the simulator's refund notification completes it (the page
		// polls while a refund is in flight)
		await p.waitForSelector('#refunds td:has-text("SUCCEEDED")',
		    { timeout: 60000 });
		await p.waitForSelector(
		    '#summary-rows td:has-text("PARTIALLY_REFUNDED")');
		assert.match(await p.innerText('#summary-rows'), /3\.00 HKD/);
		assert.match(await p.innerText('#timeline'),
		    /PAID → PARTIALLY_REFUNDED/);
		await shot(p, '06-detail-refunded');

		// CSV of the filtered list, as the Export button requests it
		const csv = await p.evaluate(async (no) => {
			const r = await fetch('/admin/api/orders.csv?order_no=' +
			    no);
			return { ct: r.headers.get('content-type'),
			    text: await r.text() };
		}, orderNo);
		fs.writeFileSync(path.join(env.out, 'orders.csv'), csv.text);
		assert.match(csv.ct, /^text\/csv/);
		const line = csv.text.split('\r\n')[1];
		assert.ok(line.startsWith(orderNo + ','), line);
		assert.match(line, /,PARTIALLY_REFUNDED,1000,HKD,300,/);
		assert.match(line, /"<script>window\.pwned=1<\/script>Tea order"|<script>window\.pwned=1<\/script>Tea order/);

		// dashboard: today's refund, a bar for today
		await p.goto(env.base + '/admin/dashboard.html');
		await p.waitForSelector('#today-refunded');
		assert.match(await p.innerText('#today-refunded'), /3\.00/);
		assert.match(await p.innerText('#today-paid-amount'), /10\.00/);
		const bars = await p.locator('#chart rect.bar').count();
		assert.ok(bars >= 28, 'bars: ' + bars);
		const h = await p.locator('#chart rect.bar').last()
		    .getAttribute('height');
		assert.ok(parseFloat(h) > 0, 'today has a bar');
		await p.waitForSelector('#audit td:has-text("refund_send")');
		await shot(p, '07-dashboard-laptop');
		await p.setViewportSize({ width: 390, height: 844 });
		await shot(p, '08-dashboard-phone');

		// log out: the API refuses the old cookie
		await p.click('#logout');
		await p.waitForURL(/\/admin\/$/);
		const st = await p.evaluate(async () =>
		    (await fetch('/admin/api/session')).status);
		assert.equal(st, 401);
		assertClean(c.problems, 'admin pages');
		await t.close(c);
	}],
]);
