/*
 * orders.js - the buyer's orders (orders.html): GET /api/orders, newest
 * first, each linking to its result page.
 */
(function () {
	'use strict';
	var H = window.H5;

	document.addEventListener('DOMContentLoaded', function () {
		H.api('GET', '/api/orders').then(function (r) {
			var box = H.$('orders');
			if (r.status !== 200 || !r.data ||
			    !Array.isArray(r.data.orders)) {
				H.notice(H.$('msg'), 'error', '订单加载失败。',
				    'Could not load your orders.');
				return;
			}
			if (r.data.orders.length === 0) {
				H.notice(H.$('msg'), '', '还没有订单。',
				    'No orders yet.');
				return;
			}
			r.data.orders.forEach(function (o) {
				var li = H.el('li');
				var a = H.el('a', '', o.orderNo);
				a.href = '/shop/result.html?order=' +
				    encodeURIComponent(o.orderNo);
				li.appendChild(a);
				li.appendChild(H.el('span', '', o.state));
				li.appendChild(H.el('span', 'price',
				    H.money(o.amount, o.currency)));
				box.appendChild(li);
			});
		});
	});
}());
