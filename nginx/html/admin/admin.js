/*
 * admin.js - shared by every admin page: the API client (session cookie is
 * HttpOnly; the CSRF token is kept in sessionStorage and sent as
 * X-CSRF-Token on every POST), DOM helpers that only ever set textContent,
 * money and date formatting, the navigation bar.
 * No innerHTML anywhere: every value from the server is inserted as text.
 */
'use strict';

var H5A = (function () {
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
					location.href = '/admin/';
					throw new Error('login required');
				}
				if (!r.ok) {
					var e = new Error(j.message ||
					    ('HTTP ' + r.status));
					e.status = r.status;
					e.body = j;
					throw e;
				}
				return j;
			});
		});
	}

	function money(minor, cur) {
		var neg = minor < 0, v = Math.abs(minor);
		var s = Math.floor(v / 100) + '.' + ('0' + (v % 100)).slice(-2);
		return (neg ? '-' : '') + s + (cur ? ' ' + cur : '');
	}

	function when(t) {
		if (!t)
			return '';
		return new Date(t * 1000).toISOString().replace('T', ' ')
		    .slice(0, 19) + ' UTC';
	}

	function day(t) {
		return new Date(t * 1000).toISOString().slice(0, 10);
	}

	function nav(active) {
		var n = document.getElementById('nav');
		if (!n)
			return;
		clear(n);
		[['Dashboard', '/admin/dashboard.html', 'dashboard'],
		    ['Orders', '/admin/orders.html', 'orders'],
		    ['Anomalies', '/admin/anomalies.html', 'anomalies'],
		    ['Events', '/admin/events.html', 'events']]
		    .forEach(function (x) {
			n.appendChild(el('a', { href: x[1], text: x[0],
			    cls: x[2] === active ? 'active' : '' }));
		});
		var who = el('span', { cls: 'who', id: 'who' });
		var out = el('button', { type: 'button', id: 'logout',
		    text: 'Log out' });
		out.addEventListener('click', function () {
			api('POST', '/admin/api/logout').then(function () {
				sessionStorage.removeItem('h5a-csrf');
				location.href = '/admin/';
			});
		});
		n.appendChild(who);
		n.appendChild(out);
		return api('GET', '/admin/api/session').then(function (s) {
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

	return { el: el, clear: clear, api: api, money: money, when: when,
	    day: day, nav: nav, status: status, csrf: csrf };
})();
