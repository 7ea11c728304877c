/* dashboard.js - today's figures, a paid-amount-per-day SVG bar chart and
 * the per-day table (GET /admin/api/stats). SVG built with
 * createElementNS; every label is textContent. */
'use strict';

(function () {
	var E = H5A.el, NS = 'http://www.w3.org/2000/svg';

	function s(tag, attrs, text) {
		var e = document.createElementNS(NS, tag), k;
		for (k in attrs)
			if (Object.prototype.hasOwnProperty.call(attrs, k))
				e.setAttribute(k, String(attrs[k]));
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	function chart(days, cur) {
		var svg = document.getElementById('chart');
		var W = 800, H = 240, L = 60, B = 30, T = 10;
		var max = Math.max.apply(null, days.map(function (d) {
			return d.paidAmount;
		}).concat([1]));
		var bw = (W - L - 10) / Math.max(days.length, 1);
		H5A.clear(svg);
		svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
		[0, 0.5, 1].forEach(function (f) {
			var y = T + (H - B - T) * (1 - f);
			svg.appendChild(s('line', { x1: L, x2: W, y1: y, y2: y }));
			svg.appendChild(s('text', { x: 2, y: y + 3 },
			    H5A.money(Math.round(max * f))));
		});
		days.forEach(function (d, i) {
			var h = (H - B - T) * d.paidAmount / max;
			var r = s('rect', { cls: 'bar', x: L + i * bw + 1,
			    y: H - B - h, width: Math.max(bw - 2, 1),
			    height: h, 'data-day': H5A.day(d.day) });
			r.setAttribute('class', 'bar');
			r.appendChild(s('title', {}, H5A.day(d.day) + ': ' +
			    H5A.money(d.paidAmount, cur)));
			svg.appendChild(r);
			if (i % Math.ceil(days.length / 8) === 0)
				svg.appendChild(s('text', { x: L + i * bw,
				    y: H - 12 }, H5A.day(d.day).slice(5)));
		});
	}

	function figure(label, value, id) {
		return E('div', { cls: 'figure', id: id }, [E('span',
		    { text: label }), E('b', { text: value })]);
	}

	function load() {
		var q = new URLSearchParams();
		var f = document.getElementById('r-from').value;
		var t = document.getElementById('r-to').value;
		if (f)
			q.set('from', f);
		if (t)
			q.set('to', t);
		H5A.api('GET', '/admin/api/stats?' + q.toString())
		    .then(function (st) {
			var td = st.today, cur = st.currency;
			var box = document.getElementById('today');
			H5A.clear(box);
			var T = H5A.T;
			box.appendChild(figure(T('Orders'), String(td.orders),
			    'today-orders'));
			box.appendChild(figure(T('Paid orders'),
			    String(td.paidCount), 'today-paid'));
			box.appendChild(figure(T('Paid amount'),
			    H5A.money(td.paidAmount, cur), 'today-paid-amount'));
			box.appendChild(figure(T('Refunded'),
			    H5A.money(td.refundAmount, cur) + ' (' +
			    td.refundCount + ')', 'today-refunded'));
			box.appendChild(figure(T('Net'),
			    H5A.money(td.paidAmount - td.refundAmount, cur),
			    'today-net'));
			/* paid orders / orders created today (a day's payments
			 * can belong to orders of the day before) */
			box.appendChild(figure(T('Conversion'), td.orders > 0 ?
			    Math.round(100 * Math.min(td.paidCount, td.orders) /
			    td.orders) + '%' : '—', 'today-conversion'));
			chart(st.days, cur);
			var tb = document.getElementById('days');
			H5A.clear(tb);
			st.days.slice().reverse().forEach(function (d) {
				tb.appendChild(E('tr', {}, [
				    E('td', { text: H5A.day(d.day) }),
				    E('td', { cls: 'num', text: String(d.orders) }),
				    E('td', { cls: 'num', text: String(d.paidCount) }),
				    E('td', { cls: 'num', text: H5A.money(d.paidAmount, cur) }),
				    E('td', { cls: 'num', text: String(d.refundCount) }),
				    E('td', { cls: 'num', text: H5A.money(d.refundAmount, cur) })]));
			});
			H5A.status('');
		}).catch(function (e) { H5A.status(e.message, true); });
	}

	function audit() {
		H5A.api('GET', '/admin/api/audit?limit=20').then(function (r) {
			var tb = document.getElementById('audit');
			H5A.clear(tb);
			r.audit.forEach(function (a) {
				/* one row per action; the result as sent */
				tb.appendChild(E('tr', { cls: a.result === 'ok' ?
				    '' : 'anomaly' }, [
				    E('td', { text: H5A.when(a.at) }),
				    E('td', { text: a.admin }),
				    E('td', { text: a.action }),
				    E('td', { text: a.target }),
				    E('td', { text: a.result }),
				    E('td', { text: a.detail })]));
			});
		}).catch(function (e) { H5A.status(e.message, true); });
	}

	document.getElementById('range').addEventListener('submit',
	    function (ev) { ev.preventDefault(); load(); });
	H5A.nav('dashboard').then(function () {
		load();
		audit();
	});
})();
