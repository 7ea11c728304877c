/*
 * list.js - the product list (index.html): GET /api/products, add to cart.
 * Prices shown here are for display only; /pay recomputes from the catalog.
 */
(function () {
	'use strict';
	var H = window.H5;

	function total(list) {
		var c = H.cartGet(), sum = 0, cur = null, mixed = false;
		list.forEach(function (p) {
			if (!c[p.sku])
				return;
			if (cur !== null && cur !== p.currency)
				mixed = true;
			cur = p.currency;
			sum += p.price * c[p.sku];
		});
		H.$('cart-total').textContent = cur === null ? '—' :
		    (mixed ? '—' : H.money(sum, cur));
		H.cartBadge();
	}

	function qtyLabel(sku) {
		var q = H.cartGet()[sku];
		return q ? '×' + q : '';
	}

	function card(p, list) {
		var c = H.el('div', 'card');
		c.setAttribute('data-sku', p.sku);
		c.appendChild(H.image(p));
		var info = H.el('div', 'info');
		info.appendChild(H.el('div', 'name', p.name));
		if (p.description)
			info.appendChild(H.el('div', 'desc', p.description));
		info.appendChild(H.el('div', 'price', H.money(p.price,
		    p.currency)));
		c.appendChild(info);
		var side = H.el('div', 'qty');
		var inCart = H.el('span', 'in-cart', qtyLabel(p.sku));
		var add = H.el('button', 'add', '加入 Add');
		add.type = 'button';
		add.setAttribute('aria-label', '加入购物车 Add ' + p.name);
		add.addEventListener('click', function () {
			var q = (H.cartGet()[p.sku] || 0) + 1;
			H.cartSet(p.sku, q);
			inCart.textContent = qtyLabel(p.sku);
			total(list);
		});
		side.appendChild(inCart);
		side.appendChild(add);
		c.appendChild(side);
		return c;
	}

	function render(list) {
		var box = H.$('products');
		box.textContent = '';
		if (list.length === 0) {
			H.notice(H.$('msg'), '', '暂无商品。', 'No products yet.');
			return;
		}
		list.forEach(function (p) {
			box.appendChild(card(p, list));
		});
		total(list);
	}

	document.addEventListener('DOMContentLoaded', function () {
		H.wechatGate(H.$('wechat-notice'));
		H.cartBadge();
		H.products().then(render, function () {
			H.notice(H.$('msg'), 'error', '商品加载失败，请稍后重试。',
			    'Could not load the products. Please try again.');
		});
	});
}());
