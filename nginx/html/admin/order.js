/* order.js - one order: summary, items, the event timeline, every
 * notification received, refunds, anomalies; "query now"; the refund
 * dialog (amount <= refundable, a confirmation box). */
'use strict';

(function () {
	var E = H5A.el;
	var no = new URLSearchParams(location.search).get('no') || '';
	var cur = '', refundable = 0, poll = null;

	function kv(k, v) {
		return E('tr', {}, [E('th', { text: k }), E('td', { text: v })]);
	}

	function fill(id, nodes) {
		var t = document.getElementById(id);
		H5A.clear(t);
		nodes.forEach(function (n) { t.appendChild(n); });
	}

	function render(d) {
		var o = d.order;
		cur = o.currency;
		refundable = d.refundable;
		document.getElementById('title').textContent = 'Order ' +
		    o.orderNo;
		fill('summary-rows', [
			kv('State', o.state),
			kv('Amount', H5A.money(o.amount, o.currency)),
			kv('Refunded', H5A.money(o.refundedAmount, o.currency)),
			kv('Refundable', H5A.money(d.refundable, o.currency)),
			kv('Subject', o.subject),
			kv('Buyer', o.openid),
			kv('Created', H5A.when(o.createdAt)),
			kv('Paid', H5A.when(o.paidAt)),
			kv('Provider reference', o.providerRef || ''),
			kv('Last error', (o.errorCode || '') + ' ' +
			    (o.errorMsg || ''))
		]);
		document.getElementById('refund-btn').disabled =
		    d.refundable <= 0;
		fill('items', d.items.map(function (i) {
			return E('tr', {}, [E('td', { text: i.sku }),
			    E('td', { text: i.name }),
			    E('td', { cls: 'num', text: H5A.money(i.unitPrice) }),
			    E('td', { cls: 'num', text: String(i.qty) }),
			    E('td', { cls: 'num', text: H5A.money(i.lineAmount) })]);
		}));
		fill('timeline', d.events.map(function (e) {
			return E('li', {}, [
			    E('b', { text: e.oldState + ' → ' + e.newState }),
			    ' ' + H5A.when(e.createdAt) + ' · ' + e.source +
			    (e.actor ? ' (' + e.actor + ')' : '') +
			    (e.resultCode ? ' · ' + e.resultCode : '') +
			    (e.errorMsg ? ' · ' + e.errorMsg : '') +
			    (e.amount !== undefined && e.amount !== null ?
			    ' · ' + H5A.money(e.amount, cur) : '')]);
		}).concat(d.anomalies.map(function (a) {
			return E('li', { cls: 'anomaly' }, [E('b', {
			    text: 'anomaly: ' + a.kind }), ' ' +
			    H5A.when(a.createdAt) + ' · ' + a.detail]);
		})));
		document.getElementById('anomalies-card').className =
		    d.anomalies.length ? 'card' : 'card hidden';
		fill('anomalies', d.anomalies.map(function (a) {
			return E('li', {}, [E('span', { cls: 'badge warn',
			    text: a.kind }), ' ' + a.source + ' · ' +
			    H5A.when(a.createdAt) + ' · ' + a.detail]);
		}));
		fill('refunds', d.refunds.map(function (r) {
			return E('tr', { 'data-refund': r.refundNo }, [
			    E('td', { text: r.refundNo }),
			    E('td', { text: H5A.when(r.createdAt) }),
			    E('td', {}, [E('span', { cls: 'badge ' + r.state,
				text: r.state })]),
			    E('td', { cls: 'num', text: H5A.money(r.amount,
				r.currency) }),
			    E('td', { text: r.reason }),
			    E('td', { text: r.admin })]);
		}));
		fill('notifications', d.notifications.map(function (n) {
			return E('li', {}, [
			    E('b', { text: (n.transactionType || '?') + ' ' +
				(n.resultCode || '') }),
			    ' ' + H5A.when(n.receivedAt) + ' · ' +
			    (n.verified ? 'verified' : 'NOT verified') + ' · ' +
			    n.outcome + (n.duplicateOf ? ' (duplicate of #' +
			    n.duplicateOf + ')' : ''), fields(n.body || '')]);
		}));
		var pending = d.refunds.some(function (r) {
			return r.state !== 'SUCCEEDED' && r.state !== 'FAILED';
		});
		if (pending && !poll)
			poll = setInterval(load, 2000);
		if (!pending && poll) {
			clearInterval(poll);
			poll = null;
		}
	}

	/* the received form body, decoded, one field per row (as text) */
	function fields(body) {
		var rows = [];
		try {
			new URLSearchParams(body).forEach(function (v, k) {
				rows.push(E('tr', {}, [E('th', { text: k }),
				    E('td', { text: v })]));
			});
		} catch (e) {
			return E('pre', { cls: 'raw', text: body });
		}
		return E('table', { cls: 'fields' }, [E('tbody', {}, rows)]);
	}

	function load() {
		return H5A.api('GET', '/admin/api/orders/' +
		    encodeURIComponent(no)).then(render).catch(function (e) {
			H5A.status(e.message, true);
		});
	}

	function minor(v) {
		if (!/^\d+(\.\d{1,2})?$/.test(v.trim()))
			return NaN;
		var p = v.trim().split('.');
		return parseInt(p[0], 10) * 100 +
		    (p[1] ? parseInt((p[1] + '0').slice(0, 2), 10) : 0);
	}

	var dlg = document.getElementById('refund-dialog');
	document.getElementById('refund-btn').addEventListener('click',
	    function () {
		document.getElementById('refundable').textContent =
		    H5A.money(refundable, cur);
		document.getElementById('refund-amount').value = '';
		document.getElementById('refund-confirm').checked = false;
		document.getElementById('refund-status').textContent = '';
		dlg.showModal();
	});
	document.getElementById('refund-cancel').addEventListener('click',
	    function () { dlg.close(); });
	document.getElementById('refund-form').addEventListener('submit',
	    function (ev) {
		var amt = minor(document.getElementById('refund-amount').value);
		var st = document.getElementById('refund-status');
		ev.preventDefault();
		if (isNaN(amt) || amt <= 0)
			return void (st.textContent = 'Enter an amount like 12.50');
		if (amt > refundable)
			return void (st.textContent = 'At most ' +
			    H5A.money(refundable, cur));
		if (!document.getElementById('refund-confirm').checked)
			return void (st.textContent = 'Tick the confirmation box');
		H5A.api('POST', '/admin/api/orders/' + encodeURIComponent(no) +
		    '/refund', { amount: amt, reason:
		    document.getElementById('refund-reason').value })
		    .then(function (r) {
			dlg.close();
			H5A.status('Refund ' + r.refundNo + ': ' + r.refundState +
			    (r.errorMsg ? ' (' + r.errorCode + ' ' + r.errorMsg +
			    ')' : '') + (r.refundState === 'UNKNOWN' ?
			    ' - the provider did not answer; the amount stays ' +
			    'reserved until it does' : ''), r.refundState ===
			    'FAILED');
			load();
		}).catch(function (e) { st.textContent = e.message; });
	});
	document.getElementById('query-btn').addEventListener('click',
	    function () {
		H5A.api('POST', '/admin/api/orders/' + encodeURIComponent(no) +
		    '/query').then(function (r) {
			H5A.status('Provider query: ' + r.oldState + ' → ' +
			    r.newState + (r.anomaly ? ' (anomaly ' + r.anomaly +
			    ')' : ''));
			load();
		}).catch(function (e) { H5A.status(e.message, true); });
	});
	H5A.nav('orders').then(load);
})();
