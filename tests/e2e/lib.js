/*
 * lib.js - shared helpers of the browser tests (tests/e2e/test_*.js).
 *
 * A test is started by run_e2e.py, which brings up the real stack
 * (deploy/stack.py, through tests/integration/harness.py) and passes it
 * in the environment:
 *   E2E_BASE   https://127.0.0.1:<port> of the shop (nginx)
 *   E2E_SIM    https://127.0.0.1:<port> of h5pay-sim, when it runs
 *   E2E_SPKI   comma list of base64 SHA-256 SPKI hashes to trust (the
 *              local test certificates: nothing else is accepted)
 *   E2E_OUT    directory for screenshots and traces (test output)
 *   E2E_CFG, E2E_BUILD   the h5payd config and the build directory
 *
 * The browser is Debian's /usr/bin/chromium driven by playwright-core
 * (no browser download), headless, with a fresh profile per context.
 */
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const WECHAT_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) ' +
    'AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 ' +
    'MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN';
const PLAIN_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) ' +
    'AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 ' +
    'Safari/604.1';

const env = {
	base: process.env.E2E_BASE,
	sim: process.env.E2E_SIM || '',
	spki: process.env.E2E_SPKI || '',
	out: process.env.E2E_OUT || fs.mkdtempSync(path.join(os.tmpdir(),
	    'h5pay-e2e-')),
	cfg: process.env.E2E_CFG || '',
	build: process.env.E2E_BUILD || '',
};
if (!env.base)
	throw new Error('E2E_BASE not set: run through run_e2e.py');
fs.mkdirSync(env.out, { recursive: true });

/*
 * A fresh browser profile with a phone viewport (390 x 844 unless opts
 * says {width, height, locale, desktop}) and the given UA. Returns
 * {context, page, problems}: problems collects page errors, CSP reports
 * and console errors, for assertClean().
 */
async function open(name, ua, opts) {
	const o = opts || {};
	const profile = fs.mkdtempSync(path.join(os.tmpdir(),
	    'h5pay-chromium-'));
	const args = [
		'--headless', '--no-sandbox', '--disable-gpu',
		'--disable-background-networking',
		'--disable-component-update', '--disable-sync',
		'--no-first-run', '--disable-dev-shm-usage',
	];
	if (env.spki)
		args.push('--ignore-certificate-errors-spki-list=' + env.spki);
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: process.env.E2E_CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args,
		userAgent: ua,
		viewport: { width: o.width || 390, height: o.height || 844 },
		deviceScaleFactor: 1,
		isMobile: !o.desktop,
		hasTouch: !o.desktop,
		locale: o.locale || 'zh-CN',
		timeout: 60000,
	});
	context.setDefaultTimeout(30000);
	const problems = [];
	const page = context.pages()[0] || await context.newPage();
	watch(page, problems);
	context.on('page', (p) => watch(p, problems));
	context._h5 = { profile, name };
	return { context, page, problems };
}

function watch(page, problems) {
	page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
	page.on('console', (m) => {
		const t = m.text();
		if (/Content Security Policy|Refused to/i.test(t))
			problems.push('csp: ' + t);
		else if (m.type() === 'error' && !page._h5quiet &&
		    !apiStatus(t, m))
			problems.push('console: ' + t);
	});
}

/* Chromium logs every HTTP error answer of a fetch; an API's 4xx/5xx is
 * an answer the page handles (and the tests assert how), a missing
 * script, style or image is not. */
function apiStatus(text, m) {
	const u = (m.location() && m.location().url) || '';
	return /^Failed to load resource/.test(text) &&
	    /\/(api|pay|oauth|admin\/api)(\/|$|\?)/.test(new URL(u,
	    'https://x/').pathname);
}

async function close(ctx) {
	const profile = ctx.context._h5 && ctx.context._h5.profile;
	await ctx.context.close();
	if (profile)
		fs.rmSync(profile, { recursive: true, force: true });
}

/* A screenshot into E2E_OUT (kept as test output). */
async function shot(page, name) {
	const file = path.join(env.out, name.replace(/[^A-Za-z0-9_.-]/g, '_') +
	    '.png');
	await page.screenshot({ path: file, fullPage: true });
	return file;
}

/*
 * axe-core (npm devDependency) over the page: WCAG 2.x A/AA rules; fails
 * on any violation of impact serious or critical, naming rule and nodes.
 * It is evaluated through the debugging protocol, which the page's CSP
 * does not govern (the pages themselves keep their strict policy).
 */
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function axe(page, what) {
	await page.evaluate(AXE + '\n;0');
	const res = await page.evaluate(() => window.axe.run(document, {
		runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa',
		    'wcag21a', 'wcag21aa'] },
	}));
	const bad = res.violations.filter((v) => v.impact === 'serious' ||
	    v.impact === 'critical').map((v) => v.id + ' (' + v.impact +
	    '): ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ') +
	    ' ' + (n.failureSummary || '').replace(/\s+/g, ' ')).join(' | '));
	assert.deepEqual(bad, [], (what || 'page') + ': axe-core violations');
}

/* Nothing wider than the viewport (no horizontal scrolling). */
async function assertFits(page, what) {
	const r = await page.evaluate(() => {
		const w = document.documentElement.clientWidth;
		const out = [];
		document.querySelectorAll('body *').forEach((n) => {
			const b = n.getBoundingClientRect();
			if (b.width > 0 && (b.right > w + 1 || b.left < -1) &&
			    getComputedStyle(n).position !== 'fixed' &&
			    !n.closest('.sr-only'))
				out.push((n.id || n.className || n.tagName) +
				    ' ' + Math.round(b.left) + '..' +
				    Math.round(b.right));
		});
		return { w, sw: document.documentElement.scrollWidth, out };
	});
	assert.ok(r.sw <= r.w, (what || 'page') + ': scrolls sideways ' +
	    r.sw + ' > ' + r.w + ' ' + r.out.slice(0, 5).join(', '));
	assert.deepEqual(r.out.slice(0, 5), [], (what || 'page') +
	    ': off-screen');
}

/* Every visible button and link-button at least 44 x 44 px. */
async function assertTargets(page, what) {
	const small = await page.evaluate(() => {
		const out = [];
		document.querySelectorAll('button, a.button, a.nav, input')
		    .forEach((n) => {
			const b = n.getBoundingClientRect();
			if (b.width === 0 || n.closest('.sr-only'))
				return;
			if (b.height < 43.5 || b.width < 43.5)
				out.push((n.id || n.textContent.trim()) + ' ' +
				    Math.round(b.width) + 'x' +
				    Math.round(b.height));
		});
		return out;
	});
	assert.deepEqual(small, [], (what || 'page') + ': small tap targets');
}

/*
 * A README screenshot (the viewport only): into E2E_OUT as docs-NAME.png,
 * and with H5PAY_DOCS_IMG=1 also to docs/img/NAME.png of the source tree
 * (tests/e2e/update_screenshots.sh). Each must stay under 150 KB.
 */
async function docShot(page, name) {
	await page.waitForFunction(() => Array.from(document.images)
	    .every((i) => i.complete));
	const buf = await page.screenshot({ fullPage: false });
	assert.ok(buf.length < 150 * 1024, name + ': ' + buf.length +
	    ' bytes, over 150 KB');
	fs.writeFileSync(path.join(env.out, 'docs-' + name + '.png'), buf);
	if (process.env.H5PAY_DOCS_IMG === '1') {
		const dir = path.join(__dirname, '..', '..', 'docs', 'img');
		fs.mkdirSync(dir, { recursive: true });
		fs.writeFileSync(path.join(dir, name + '.png'), buf);
	}
}

function assertClean(problems, what) {
	assert.deepEqual(problems, [], (what || 'page') +
	    ': errors or CSP violations');
}

/*
 * Run named async steps in order; on the first failure take a
 * screenshot of every open page, print the error and exit 1.
 */
async function run(steps) {
	const live = [];
	const t = { open: async (name, ua, opts) => {
		const c = await open(name, ua, opts);
		live.push(c);
		return c;
	}, close: async (c) => {
		const i = live.indexOf(c);
		if (i >= 0)
			live.splice(i, 1);
		await close(c);
	} };
	let failed = false;
	for (const [name, fn] of steps) {
		const started = Date.now();
		try {
			await fn(t);
			console.log('ok   ' + name + ' (' +
			    (Date.now() - started) + ' ms)');
		} catch (e) {
			failed = true;
			console.log('FAIL ' + name + ': ' + (e && e.stack || e));
			for (const c of live) {
				for (const [i, p] of c.context.pages().entries()) {
					try {
						const f = await shot(p, 'FAIL-' +
						    name + '-' + i);
						console.log('     url ' + p.url() +
						    ' screenshot ' + f);
					} catch (e2) {
						/* page gone */
					}
				}
			}
			break;
		}
	}
	for (const c of live.splice(0)) {
		try {
			await close(c);
		} catch (e) {
			/* already closed */
		}
	}
	console.log(failed ? 'FAILED' : 'PASSED');
	process.exit(failed ? 1 : 0);
}

module.exports = { env, open, close, shot, run, assertClean, assert,
    axe, assertFits, assertTargets, docShot, WECHAT_UA, PLAIN_UA };
