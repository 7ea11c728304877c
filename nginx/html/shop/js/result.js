/*
 * result.js - the result page (result.html?order=NO): polls
 * GET /api/orders/{orderNo} until the order is final (PAID, FAILED,
 * CLOSED, or refunded), or gives up after POLL_MAX_MS with a "still
 * confirming" message and a refresh button. The server decides: while the
 * order is pending it asks the provider itself (docs/protocol.md §W2).
 */
(function () {
	'use strict';
	var H = window.H5;
	var POLL_MS = 2000;
	var POLL_MAX_MS = 60000;
	var LABEL = {
		CREATED: ['待支付', 'Awaiting payment'],
		PENDING: ['待支付', 'Awaiting payment'],
		UNKNOWN: ['确认中', 'Confirming'],
		PAID: ['已支付', 'Paid'],
		FAILED: ['支付失败', 'Failed'],
		CLOSED: ['已关闭', 'Closed'],
		PARTIALLY_REFUNDED: ['部分退款', 'Partially refunded'],
		REFUNDED: ['已退款', 'Refunded']
	};
	var orderNo = null;
	var started = 0;
	var timer = null;

	function bilingual(node, zh, en, cls) {
		node.textContent = '';
		node.className = 'state' + (cls ? ' ' + cls : '');
		node.appendChild(document.createTextNode(zh + ' '));
		node.appendChild(H.el('span', 'en', en));
	}

	function label(state) {
		var l = LABEL[state] || [state, state];
		return l[0] + ' / ' + l[1];
	}

	function render(o) {
		H.$('order-no').textContent = o.orderNo;
		H.$('amount').textContent = H.money(o.amount, o.currency);
		H.$('order-state').textContent = label(o.state);
		var box = H.$('lines');
		box.textContent = '';
		(Array.isArray(o.items) ? o.items : []).forEach(function (it) {
			var li = H.el('li');
			li.appendChild(H.el('span', '', it.name + ' × ' + it.qty));
			li.appendChild(H.el('span', 'price', H.money(it.lineAmount,
			    o.currency)));
			box.appendChild(li);
		});
		var st = H.$('state');
		st.setAttribute('data-state', o.state);
		switch (o.state) {
		case 'PAID':
		case 'PARTIALLY_REFUNDED':
		case 'REFUNDED':
			bilingual(st, '支付成功', 'Paid', 'paid');
			var p = H.payGet();
			if (p && p.orderNo === o.orderNo) {
				H.payPut(null);
				H.cartClear();
			}
			return true;
		case 'FAILED':
			bilingual(st, '支付失败', 'Payment failed', 'failed');
			H.notice(H.$('msg'), 'error', '本次支付未成功，您未被扣款。'
			    + '可返回购物车重新下单。', 'This payment did not '
			    + 'succeed. You can go back to the cart and pay '
			    + 'again.');
			return true;
		case 'CLOSED':
			bilingual(st, '订单已关闭', 'Order closed', 'failed');
			H.notice(H.$('msg'), '', '订单已过期或已取消。',
			    'The order expired or was cancelled.');
			return true;
		default:
			bilingual(st, '确认中…', 'Confirming…', '');
			return false;
		}
	}

	function stillConfirming() {
		H.notice(H.$('msg'), '', '支付结果仍在确认中，请稍后刷新查看。'
		    + '如已付款，无需重复支付。', 'Still confirming the payment. '
		    + 'Please refresh in a moment; if you have paid, do not '
		    + 'pay again.');
		H.$('msg').setAttribute('data-state', 'still-confirming');
		H.show(H.$('refresh'), true);
	}

	function poll() {
		timer = null;
		H.api('GET', '/api/orders/' + encodeURIComponent(orderNo))
		    .then(function (r) {
			if (r.status === 404) {
				bilingual(H.$('state'), '订单不存在',
				    'Order not found', 'failed');
				return;
			}
			if (r.status === 200 && r.data && render(r.data))
				return;
			next();
		}, next);
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
		H.show(H.$('msg'), false);
		started = Date.now();
		if (timer === null)
			poll();
	}

	document.addEventListener('DOMContentLoaded', function () {
		var m = /[?&]order=([0-9A-Za-z]{1,32})(?:&|$)/.exec(
		    window.location.search);
		if (!m) {
			bilingual(H.$('state'), '缺少订单号', 'No order number',
			    'failed');
			return;
		}
		orderNo = m[1];
		H.$('order-no').textContent = orderNo;
		H.$('refresh').addEventListener('click', start);
		start();
	});
}());
