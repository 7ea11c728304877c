/*
 * cart.js - the cart (cart.html): change quantities (1-99) or remove, see
 * each line's total, then go to checkout (a real page load, see
 * checkout.js). An item that is no longer sold stays in the list, named,
 * with a Remove button, and checkout waits until it is removed. Display
 * prices only.
 */
(function () {
	'use strict';
	var H = window.H5;
	var catalog = {};

	function render() {
		var c = H.cartGet(), box = H.$('lines');
		var sum = 0, cur = null, mixed = false, n = 0, gone = 0;
		box.textContent = '';
		Object.keys(c).sort().forEach(function (sku) {
			var p = catalog[sku];
			if (!p) {
				gone++;
				box.appendChild(goneLine(sku));
				return;
			}
			n++;
			if (cur !== null && cur !== p.currency)
				mixed = true;
			cur = p.currency;
			sum += p.price * c[sku];
			box.appendChild(line(p, c[sku]));
		});
		H.$('cart-total').textContent = cur === null || mixed || gone ?
		    '—' : H.money(sum, cur);
		var a = H.$('to-checkout'), ok = n > 0 && !mixed && !gone;
		if (ok) {
			a.href = '/shop/checkout.html';
			a.removeAttribute('aria-disabled');
			a.removeAttribute('role');
		} else {
			a.removeAttribute('href');
			a.setAttribute('aria-disabled', 'true');
			a.setAttribute('role', 'link');
		}
		if (n === 0 && gone === 0) {
			H.show(H.$('msg'), false);
			H.empty(box, H.t('empty.cart'));
		} else if (gone)
			H.notice(H.$('msg'), 'error', H.t('gone.some'));
		else if (mixed)
			H.notice(H.$('msg'), 'error', H.t('mixed'));
		else
			H.show(H.$('msg'), false);
	}

	function goneLine(sku) {
		var name = H.cartName(sku);
		var c = H.el('div', 'card gone');
		c.setAttribute('data-sku', sku);
		c.setAttribute('data-gone', '1');
		c.appendChild(H.image({}));
		var info = H.el('div', 'info');
		info.appendChild(H.el('div', 'name', H.t('gone', name)));
		c.appendChild(info);
		var row = H.el('div', 'row');
		row.appendChild(H.el('span', '', ''));
		var rm = H.button(H.t('remove'), 'secondary remove', function () {
			H.cartSet(sku, 0);
			render();
		});
		rm.setAttribute('aria-label', H.t('remove.label', name));
		row.appendChild(rm);
		c.appendChild(row);
		return c;
	}

	function qtyButton(text, label, fn) {
		var b = H.button(text, 'secondary', fn);
		b.setAttribute('aria-label', label);
		return b;
	}

	function line(p, qty) {
		var c = H.el('div', 'card');
		c.setAttribute('data-sku', p.sku);
		c.appendChild(H.image(p));
		var info = H.el('div', 'info');
		info.appendChild(H.el('div', 'name', p.name));
		info.appendChild(H.el('div', 'desc', H.t('each',
		    H.money(p.price, p.currency))));
		c.appendChild(info);
		var row = H.el('div', 'row');
		row.appendChild(H.el('span', 'price line-total',
		    H.money(p.price * qty, p.currency)));
		var q = H.el('div', 'qty');
		q.setAttribute('role', 'group');
		q.setAttribute('aria-label', H.t('qty') + ' ' + p.name);
		q.appendChild(qtyButton('−', H.t('dec', p.name), function () {
			H.cartSet(p.sku, qty - 1);
			render();
		}));
		var n = H.el('span', 'n', qty);
		n.setAttribute('aria-live', 'polite');
		q.appendChild(n);
		var plus = qtyButton('+', H.t('inc', p.name), function () {
			H.cartSet(p.sku, qty + 1, p.name);
			render();
		});
		plus.disabled = qty >= 99;
		q.appendChild(plus);
		row.appendChild(q);
		c.appendChild(row);
		return c;
	}

	document.addEventListener('DOMContentLoaded', function () {
		H.wechatGate(H.$('wechat-notice'));
		H.skeleton(H.$('lines'), Math.max(1, Math.min(3,
		    Object.keys(H.cartGet()).length)));
		H.products().then(function (list) {
			list.forEach(function (p) {
				catalog[p.sku] = p;
			});
			render();
		}, function (e) {
			H.unskeleton(H.$('lines'));
			H.notice(H.$('msg'), 'error', H.netText(e && e.status),
			    [H.button(H.t('retry'), 'secondary', function () {
				window.location.reload();
			})]);
		});
	});
}());
