/*
 * cart.js - the cart (cart.html): change quantities (1-99) or remove, then
 * go to checkout (a real page load, see checkout.js). Display prices only.
 */
(function () {
	'use strict';
	var H = window.H5;
	var catalog = {};

	function render() {
		var c = H.cartGet(), box = H.$('lines');
		var sum = 0, cur = null, mixed = false, n = 0;
		box.textContent = '';
		Object.keys(c).forEach(function (sku) {
			var p = catalog[sku];
			if (!p) {
				/* gone from the catalog: drop it */
				H.cartSet(sku, 0);
				return;
			}
			n++;
			if (cur !== null && cur !== p.currency)
				mixed = true;
			cur = p.currency;
			sum += p.price * c[sku];
			box.appendChild(line(p, c[sku]));
		});
		H.$('cart-total').textContent = cur === null || mixed ? '—' :
		    H.money(sum, cur);
		H.show(H.$('to-checkout'), n > 0 && !mixed);
		if (n === 0)
			H.notice(H.$('msg'), '', '购物车是空的。',
			    'Your cart is empty.');
		else if (mixed)
			H.notice(H.$('msg'), 'error',
			    '一个订单只能使用一种货币，请分开购买。',
			    'One order can use only one currency: please buy '
			    + 'these separately.');
		else
			H.show(H.$('msg'), false);
	}

	function button(text, label, fn) {
		var b = H.el('button', 'secondary', text);
		b.type = 'button';
		b.setAttribute('aria-label', label);
		b.addEventListener('click', fn);
		return b;
	}

	function line(p, qty) {
		var c = H.el('div', 'card');
		c.setAttribute('data-sku', p.sku);
		c.appendChild(H.image(p));
		var info = H.el('div', 'info');
		info.appendChild(H.el('div', 'name', p.name));
		info.appendChild(H.el('div', 'price', H.money(p.price,
		    p.currency)));
		c.appendChild(info);
		var q = H.el('div', 'qty');
		q.appendChild(button('−', '减少 Decrease', function () {
			H.cartSet(p.sku, qty - 1);
			render();
		}));
		q.appendChild(H.el('span', 'n', qty));
		var plus = button('+', '增加 Increase', function () {
			H.cartSet(p.sku, qty + 1);
			render();
		});
		plus.disabled = qty >= 99;
		q.appendChild(plus);
		c.appendChild(q);
		return c;
	}

	document.addEventListener('DOMContentLoaded', function () {
		H.wechatGate(H.$('wechat-notice'));
		H.products().then(function (list) {
			list.forEach(function (p) {
				catalog[p.sku] = p;
			});
			render();
		}, function () {
			H.notice(H.$('msg'), 'error', '商品加载失败，请稍后重试。',
			    'Could not load the products. Please try again.');
		});
	});
}());
