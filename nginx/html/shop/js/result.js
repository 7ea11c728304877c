/*
 * result.js - the result page (result.html?order=NO): polls
 * GET /api/orders/{orderNo} until the order is final (PAID, FAILED,
 * CLOSED, or refunded), or gives up after POLL_MAX_MS with a "still
 * confirming" message and a refresh button. The server decides: while the
 * order is pending it asks the provider itself (docs/protocol.md §W2).
 *
 * The headline and the status row always say the same thing: right after
 * WeChat Pay answered ':ok' (checkout.js leaves the order number in
 * sessionStorage) a pending order is "confirming"; opened any other way
 * it is "awaiting payment", with Pay when this phone can pay it.
 */
(function () {
	'use strict';
	var H = window.H5;
	var POLL_MS = 2000;
	var POLL_MAX_MS = 60000;
	var orderNo = null;
	var justPaid = false;
	var started = 0;
	var timer = null;
	var last = null;

	function headline(key, cls, icon) {
		var st = H.$('state');
		st.textContent = H.t(key);
		st.className = 'state' + (cls ? ' ' + cls : '');
		var i = H.$('icon');
		if (icon) {
			i.src = '/shop/img/' + icon + '.svg';
			H.show(i, true);
		} else {
			H.show(i, false);
		}
	}

	function row(dtId, ddId, text) {
		H.show(H.$(dtId), !!text);
		H.show(H.$(ddId), !!text);
		H.$(ddId).textContent = text || '';
	}

	function copySlot(no) {
		var slot = H.$('copy-slot');
		if (slot.getAttribute('data-no') === no)
			return;
		slot.textContent = '';
		slot.setAttribute('data-no', no);
		var b = H.copyButton(H.t('copy'), no, H.t('order.no.copy', no));
		b.classList.add('plain');
		b.id = 'copy-order';
		slot.appendChild(b);
	}

	function render(o) {
		var pending = o.state === 'PENDING' || o.state === 'CREATED' ||
		    o.state === 'UNKNOWN';
		var confirming = o.state === 'UNKNOWN' || (pending && justPaid);
		var stateKey = confirming ? 'st.CONFIRMING' : 'st.' + o.state;
		last = o;
		H.$('order-short').textContent = H.shortNo(o.orderNo);
		H.$('order-short').setAttribute('data-order-no', o.orderNo);
		copySlot(o.orderNo);
		H.$('amount').textContent = H.money(o.amount, o.currency);
		H.$('big-amount').textContent = H.money(o.amount, o.currency);
		H.$('order-state').textContent = H.t(stateKey);
		H.$('order-state').setAttribute('data-state', o.state);
		row('refunded-dt', 'refunded', o.refundedAmount > 0 ?
		    H.money(o.refundedAmount, o.currency) : '');
		H.$('created-at').textContent = H.fmtTime(o.createdAt);
		row('paid-dt', 'paid-at', o.paidAt ? H.fmtTime(o.paidAt) : '');
		var box = H.$('lines');
		H.unskeleton(box);
		(Array.isArray(o.items) ? o.items : []).forEach(function (it) {
			var li = H.el('li');
			li.appendChild(H.el('span', 'what', H.t('line', it.name,
			    it.qty)));
			li.appendChild(H.el('span', 'price', H.money(it.lineAmount,
			    o.currency)));
			box.appendChild(li);
		});
		var st = H.$('state');
		st.setAttribute('data-state', o.state);
		H.show(H.$('pay'), false);
		switch (o.state) {
		case 'PAID':
			headline('res.paid', 'paid', 'check');
			H.show(H.$('msg'), false);
			done(o);
			return true;
		case 'PARTIALLY_REFUNDED':
		case 'REFUNDED':
			headline(o.state === 'REFUNDED' ? 'res.refunded' :
			    'res.partial', 'refunded', 'refund');
			H.notice(H.$('msg'), '', H.t('res.refund.msg',
			    H.money(o.refundedAmount, o.currency)));
			done(o);
			return true;
		case 'FAILED':
			headline('res.failed', 'failed', 'fail');
			H.notice(H.$('msg'), 'error', H.t('res.failed.msg'));
			return true;
		case 'CLOSED':
			headline('res.closed', 'failed', 'fail');
			H.notice(H.$('msg'), '', H.t('res.closed.msg'));
			return true;
		default:
			if (confirming) {
				headline('res.confirming', '', 'wait');
				return false;
			}
			if (typeof o.expiresAt === 'number' &&
			    Date.now() / 1000 >= o.expiresAt) {
				/* not closed yet by the server, but past expiry */
				headline('res.closed', 'failed', 'fail');
				H.$('order-state').textContent = H.t('st.EXPIRED');
				H.notice(H.$('msg'), '', H.t('res.closed.msg'));
				return true;
			}
			headline('res.awaiting', '', 'wait');
			H.notice(H.$('msg'), '', H.t('res.awaiting.msg',
			    H.fmtTime(o.expiresAt)));
			H.$('msg').setAttribute('data-state', 'awaiting');
			H.show(H.$('pay'), H.payable(o));
			return false;
		}
	}

	/* Paid (or refunded): forget the attempt and empty its cart (not
	 * when it paid an earlier order: the cart is another one). */
	function done(o) {
		var p = H.payGet();
		if (p && p.orderNo === o.orderNo) {
			H.payPut(null);
			if (!p.earlier)
				H.cartClear();
		}
	}

	function stillConfirming() {
		if (last && !justPaid && last.state !== 'UNKNOWN') {
			/* awaiting payment: nothing to confirm, offer refresh */
			H.show(H.$('refresh'), true);
			return;
		}
		H.notice(H.$('msg'), '', H.t('res.still'));
		H.$('msg').setAttribute('data-state', 'still-confirming');
		H.show(H.$('refresh'), true);
	}

	function poll() {
		timer = null;
		H.api('GET', '/api/orders/' + encodeURIComponent(orderNo))
		    .then(function (r) {
			if (r.status === 404) {
				H.unskeleton(H.$('lines'));
				headline('res.notfound', 'failed', 'fail');
				return;
			}
			if (r.status === 200 && r.data && render(r.data))
				return;
			if (r.status !== 200 && !last) {
				H.notice(H.$('msg'), 'error', H.netText(r.status));
				H.$('msg').setAttribute('data-state',
				    navigator.onLine === false ? 'offline' :
				    'network');
			}
			next();
		});
	}

	function next() {
		if (Date.now() - started >= POLL_MAX_MS) {
			stillConfirming();
			return;
		}
		timer = setTimeout(poll, POLL_MS);
	}

	function start() {
		H.show(H.$('refresh'), false);
		started = Date.now();
		if (timer === null)
			poll();
	}

	document.addEventListener('DOMContentLoaded', function () {
		var m = /[?&]order=([0-9A-Za-z]{1,32})(?:&|$)/.exec(
		    window.location.search);
		if (!m) {
			headline('res.noorder', 'failed', 'fail');
			return;
		}
		orderNo = m[1];
		try {
			justPaid = sessionStorage.getItem('h5pay.paid.v1') ===
			    orderNo;
		} catch (e) {
			justPaid = false;
		}
		H.$('order-short').textContent = H.shortNo(orderNo);
		H.skeleton(H.$('lines'), 2, 'li');
		H.$('refresh').addEventListener('click', start);
		H.$('pay').addEventListener('click', function () {
			window.location.assign('/shop/checkout.html?order=' +
			    encodeURIComponent(orderNo));
		});
		H.shop().then(start);
	});
}());
