/* order.js - one order: summary, items, the event timeline (in plain
 * words: what happened, when, from which source), every notification
 * received, refunds, anomalies; "query now"; the refund dialog (amount <=
 * refundable, a confirmation box; a fresh form each time, the amount on
 * its button). */
'use strict';

(function () {
	var E = H5A.el, T = H5A.T;
	var SOURCE = { notify: 'UseePay notification', query: 'status query',
	    reconciler: 'reconciler', admin: 'admin', pay: 'payment request' };
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
		document.getElementById('title').textContent = T('Order') +
		    ' ' + o.orderNo;
		var st = kv(T('State'), '');
		st.lastChild.appendChild(H5A.badge(o.state));
		fill('summary-rows', [
			st,
			kv(T('Amount'), H5A.money(o.amount, o.currency)),
			kv(T('Refunded'), H5A.money(o.refundedAmount, o.currency)),
			kv(T('Refundable'), H5A.money(d.refundable, o.currency)),
			kv(T('Subject'), o.subject),
			kv(T('Buyer'), o.openid),
			kv(T('Created'), H5A.when(o.createdAt)),
			kv(T('Paid at'), H5A.when(o.paidAt)),
			kv(T('Provider reference'), o.providerRef || ''),
			kv(T('Last error'), (o.errorCode || '') + ' ' +
			    (o.errorMsg || ''))
		]);
		document.getElementById('refund-btn').disabled =
		    d.refundable <= 0;
		fill('items', d.items.map(function (i) {
			return E('tr', {}, [E('td', { text: i.sku }),
			    E('td', { text: i.name }),
			    E('td', { cls: 'num', text: H5A.money(i.unitPrice,
				cur) }),
			    E('td', { cls: 'num', text: String(i.qty) }),
			    E('td', { cls: 'num', text: H5A.money(i.lineAmount,
				cur) })]);
		}));
		fill('timeline', d.events.map(event).concat(
		    d.anomalies.map(function (a) {
			return E('li', { cls: 'anomaly' }, [E('b', {
			    text: T('anomaly') + ': ' + a.kind }), ' ' +
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
			    E('td', {}, [H5A.badge(r.state, true)]),
			    E('td', { cls: 'num', text: H5A.money(r.amount,
				r.currency) }),
			    E('td', { text: r.reason }),
			    E('td', { text: r.admin }),
			    E('td', {}, r.gaveUp ? [release(r)] : [])]);
		}));
		fill('notifications', d.notifications.map(function (n) {
			return E('li', {}, [
			    E('b', { text: (n.transactionType || '?') + ' ' +
				(n.resultCode || '') }),
			    ' ' + H5A.when(n.receivedAt) + ' · ' +
			    T(n.verified ? 'verified' : 'NOT verified') + ' · ' +
			    n.outcome + (n.duplicateOf ? ' (' + T(
			    'duplicate of #{0}', n.duplicateOf) + ')' : ''),
			    fields(n.body || '')]);
		}));
		var pending = d.refunds.some(function (r) {
			return r.state !== 'SUCCEEDED' && r.state !== 'FAILED' &&
			    !r.gaveUp;
		});
		if (pending && !poll)
			poll = setInterval(load, 2000);
		if (!pending && poll) {
			clearInterval(poll);
			poll = null;
		}
	}

	/*
	 * One event in words: the new state (or "refund recorded" when only
	 * the refunded amount changed), when, from which source, the amount;
	 * the earlier state and the provider's codes in small print.
	 */
	function event(e) {
		var what = T(e.newState);
		if (e.oldState === e.newState)
			what = T('Refund recorded');
		if (!e.oldState)
			what = T('Order created');
		var src = T(SOURCE[e.source] || e.source) + (e.actor ? ' (' +
		    e.actor + ')' : '');
		var parts = [E('b', { text: what }), ' ' +
		    H5A.when(e.createdAt) + ' · ' + T('by {0}', src)];
		if (e.amount !== undefined && e.amount !== null)
			parts.push(' · ' + H5A.money(e.amount, cur));
		if (e.oldState && e.oldState !== e.newState)
			parts.push(E('span', { cls: 'note', text: ' · ' +
			    T('was {0}', T(e.oldState)) }));
		var codes = [e.resultCode, e.errorCode, e.errorMsg].filter(
		    function (x) { return x; }).join(' ');
		if (codes)
			parts.push(E('span', { cls: 'note', text: ' · ' + codes }));
		return E('li', { 'data-from': e.oldState || '',
		    'data-to': e.newState || '' }, parts);
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
	var submit = document.getElementById('refund-submit');

	/* the button says what it will do: "Refund HK$100.00" */
	function submitLabel() {
		var amt = minor(document.getElementById('refund-amount').value);
		submit.textContent = !isNaN(amt) && amt > 0 ?
		    T('Refund {0}', H5A.money(amt, cur)) : T('Refund');
	}

	document.getElementById('refund-amount').addEventListener('input',
	    submitLabel);
	document.getElementById('refund-btn').addEventListener('click',
	    function () {
		/* a fresh form: nothing kept from the previous refund */
		document.getElementById('refund-form').reset();
		document.getElementById('refundable').textContent =
		    H5A.money(refundable, cur);
		document.getElementById('refund-status').textContent = '';
		submitLabel();
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
			return void (st.textContent = T('Enter an amount like ' +
			    '12.50'));
		if (amt > refundable)
			return void (st.textContent = T('At most {0}',
			    H5A.money(refundable, cur)));
		if (!document.getElementById('refund-confirm').checked)
			return void (st.textContent = T('Tick the confirmation ' +
			    'box'));
		H5A.api('POST', '/admin/api/orders/' + encodeURIComponent(no) +
		    '/refund', { amount: amt, reason:
		    document.getElementById('refund-reason').value })
		    .then(function (r) {
			dlg.close();
			H5A.status(T('Refund {0}: {1}', r.refundNo,
			    H5A.refundWord(r.refundState)) +
			    (r.errorMsg ? ' (' + r.errorCode +
			    ' ' + r.errorMsg + ')' : '') + (r.refundState ===
			    'UNKNOWN' ? ' - ' + T('the provider did not answer; ' +
			    'the amount stays reserved until it does') : ''),
			    r.refundState === 'FAILED');
			load();
		}).catch(function (e) { st.textContent = e.message; });
	});
	/* A refund no query could resolve: the merchant's decision (after
	 * checking with UseePay) releases its reservation. */
	function release(r) {
		var b = E('button', { cls: 'btn', text: T('Release reservation') });

		b.addEventListener('click', function () {
			var note = window.prompt(T('Why is this refund known not ' +
			    'to have been paid out? (recorded in the audit log)'));

			if (!note)
				return;
			H5A.api('POST', '/admin/api/orders/' +
			    encodeURIComponent(no) + '/refund-release',
			    { refundNo: r.refundNo, note: note }).then(function () {
				H5A.status(T('Refund {0}: {1}', r.refundNo,
				    H5A.refundWord('FAILED')));
				load();
			}).catch(function (e) { H5A.status(e.message, true); });
		});
		return b;
	}
	document.getElementById('query-btn').addEventListener('click',
	    function () {
		H5A.api('POST', '/admin/api/orders/' + encodeURIComponent(no) +
		    '/query').then(function (r) {
			H5A.status(T('Provider query: {0}', r.oldState ===
			    r.newState ? T(r.newState) : T(r.oldState) + ' → ' +
			    T(r.newState)) + (r.anomaly ? ' (' + T('anomaly') +
			    ' ' + r.anomaly + ')' : ''));
			load();
		}).catch(function (e) { H5A.status(e.message, true); });
	});
	H5A.nav('orders').then(load);
})();
