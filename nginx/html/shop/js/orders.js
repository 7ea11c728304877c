/*
 * orders.js - the buyer's orders (orders.html): GET /api/orders, newest
 * first, one card each: date and time (merchant's time zone), state in
 * words, items, amount (and what was refunded), a link to the result
 * page and "Pay" for an order that can still be paid from this phone.
 */
(function () {
	'use strict';
	var H = window.H5;

	var TONE = {
		PAID: 'ok', PARTIALLY_REFUNDED: 'bad', REFUNDED: 'bad',
		PENDING: 'todo', CREATED: 'todo', UNKNOWN: 'todo',
		FAILED: 'bad', CLOSED: 'bad'
	};

	function stateText(o) {
		if ((o.state === 'PENDING' || o.state === 'CREATED') &&
		    typeof o.expiresAt === 'number' &&
		    Date.now() / 1000 >= o.expiresAt)
			return H.t('st.EXPIRED');
		return H.t('st.' + o.state);
	}

	function itemsText(o) {
		var it = Array.isArray(o.items) ? o.items : [];
		if (it.length === 0)
			return o.subject || '';
		var s = it.slice(0, 2).map(function (x) {
			return H.t('line', x.name, x.qty);
		}).join('、');
		if (it.length > 2)
			s += ' …';
		return s;
	}

	function count(o) {
		var n = 0;
		(Array.isArray(o.items) ? o.items : []).forEach(function (x) {
			n += x.qty;
		});
		return n;
	}

	function card(o) {
		var c = H.el('article', 'order');
		c.setAttribute('data-order', o.orderNo);
		c.setAttribute('data-state', o.state);
		var top = H.el('div', 'top');
		top.appendChild(H.el('span', 'when', H.fmtTime(o.createdAt)));
		top.appendChild(H.el('span', 'st ' + (TONE[o.state] || ''),
		    stateText(o)));
		c.appendChild(top);
		c.appendChild(H.el('div', 'items', itemsText(o)));
		var mid = H.el('div', 'top');
		mid.appendChild(H.el('span', 'muted mono', H.t('order.no') +
		    ' ' + H.shortNo(o.orderNo)));
		var amt = H.el('span', 'price', H.money(o.amount, o.currency));
		mid.appendChild(amt);
		c.appendChild(mid);
		if (o.refundedAmount > 0)
			c.appendChild(H.el('div', 'muted refunded',
			    H.t('refunded') + ' ' + H.money(o.refundedAmount,
			    o.currency)));
		var bottom = H.el('div', 'bottom');
		bottom.appendChild(H.el('span', 'muted', H.t('items.n',
		    count(o))));
		var links = H.el('div', 'links');
		var view = H.el('a', 'button secondary', H.t('view'));
		view.href = '/shop/result.html?order=' +
		    encodeURIComponent(o.orderNo);
		view.setAttribute('aria-label', H.t('view') + ' ' +
		    H.t('order.no') + ' ' + H.shortNo(o.orderNo));
		links.appendChild(view);
		if (H.payable(o)) {
			var pay = H.el('a', 'button pay', H.t('to.pay'));
			pay.href = '/shop/checkout.html?order=' +
			    encodeURIComponent(o.orderNo);
			links.appendChild(pay);
		}
		bottom.appendChild(links);
		c.appendChild(bottom);
		return c;
	}

	document.addEventListener('DOMContentLoaded', function () {
		var box = H.$('orders');
		H.skeleton(box, 3, 'order');
		H.shop().then(function () {
			return H.api('GET', '/api/orders');
		}).then(function (r) {
			H.unskeleton(box);
			if (r.status !== 200 || !r.data ||
			    !Array.isArray(r.data.orders)) {
				H.notice(H.$('msg'), 'error', H.netText(r.status),
				    [H.button(H.t('retry'), 'secondary',
				    function () {
					window.location.reload();
				})]);
				return;
			}
			if (r.data.orders.length === 0) {
				H.empty(box, H.t('empty.orders'));
				return;
			}
			r.data.orders.forEach(function (o) {
				box.appendChild(card(o));
			});
		});
	});
}());
