/* orders.js - the orders table: filters, keyset paging (the API gives no
 * total: the page says which rows it shows and whether more follow), CSV
 * export. */
'use strict';

(function () {
	var E = H5A.el, T = H5A.T, next = null, shown = 0;

	function minor(v) {
		/* "12.34" -> 1234; blank -> "" ; garbage -> NaN (refused) */
		if (v.trim() === '')
			return '';
		if (!/^\d+(\.\d{1,2})?$/.test(v.trim()))
			return NaN;
		var p = v.trim().split('.');
		return parseInt(p[0], 10) * 100 +
		    (p[1] ? parseInt((p[1] + '0').slice(0, 2), 10) : 0);
	}

	function params() {
		var q = new URLSearchParams(), f = document.getElementById('filters');
		['state', 'from', 'to', 'order_no', 'openid', 'sort']
		    .forEach(function (k) {
			var v = f.elements[k].value.trim();
			if (v)
				q.set(k, v);
		});
		['min', 'max'].forEach(function (k) {
			var v = minor(f.elements[k].value);
			if (v !== '') {
				if (isNaN(v))
					throw new Error(T(k === 'min' ?
					    'Min amount' : 'Max amount') + ': ' +
					    T('Enter an amount like 12.50'));
				q.set(k, String(v));
			}
		});
		return q;
	}

	function row(o) {
		var a = E('a', { href: '/admin/order.html?no=' +
		    encodeURIComponent(o.orderNo), text: o.orderNo });
		var st = H5A.badge(o.state);
		var tds = [
			E('td', { 'data-label': T('Order') }, [a]),
			E('td', { 'data-label': T('Created'),
			    text: H5A.when(o.createdAt) }),
			E('td', { 'data-label': T('State') }, [st, o.anomalies > 0 ?
			    E('span', { cls: 'badge warn', text: T('anomaly') }) :
			    null]),
			E('td', { cls: 'num', 'data-label': T('Amount'),
			    text: H5A.money(o.amount, o.currency) }),
			E('td', { cls: 'num', 'data-label': T('Refunded'),
			    text: H5A.money(o.refundedAmount, o.currency) }),
			E('td', { 'data-label': T('Subject'), text: o.subject }),
			E('td', { 'data-label': T('Buyer'), text: o.openid })
		];
		return E('tr', { cls: o.anomalies > 0 ? 'anomaly' : '',
		    'data-order': o.orderNo }, tds);
	}

	function load(cursor) {
		var q;
		try {
			q = params();
		} catch (e) {
			H5A.status(e.message, true);
			return;
		}
		q.set('limit', '50');
		if (cursor)
			q.set('cursor', cursor);
		H5A.status(T('Loading…'));
		H5A.api('GET', '/admin/api/orders?' + q.toString())
		    .then(function (r) {
			var tb = document.getElementById('rows');
			H5A.clear(tb);
			r.orders.forEach(function (o) { tb.appendChild(row(o)); });
			next = r.next;
			if (!cursor)
				shown = 0;
			var first = shown + 1;
			shown += r.orders.length;
			document.getElementById('more').disabled = !next;
			document.getElementById('first').disabled = !cursor;
			H5A.status(r.orders.length ? T(next ? 'Orders {0}–{1}, ' +
			    'more on the next page' : 'Orders {0}–{1} (all)',
			    first, shown) : T('No orders match.'));
		}).catch(function (e) { H5A.status(e.message, true); });
	}

	document.getElementById('filters').addEventListener('submit',
	    function (ev) {
		ev.preventDefault();
		load(null);
	});
	document.getElementById('more').addEventListener('click',
	    function () { if (next) load(next); });
	document.getElementById('first').addEventListener('click',
	    function () { load(null); });
	document.getElementById('csv').addEventListener('click', function () {
		try {
			var q = params();
			if (document.getElementById('csv-bom').checked)
				q.set('bom', '1');
			location.href = '/admin/api/orders.csv?' + q.toString();
		} catch (e) {
			H5A.status(e.message, true);
		}
	});
	var u = new URLSearchParams(location.search);
	if (u.get('order_no'))
		document.getElementById('f-order').value = u.get('order_no');
	H5A.nav('orders').then(function () { load(null); });
})();
