/*
 * list.js - the product list (index.html) and the product detail page
 * (product.html?sku=): GET /api/products, add to cart. Prices shown here
 * are for display only; /pay recomputes from the catalog. Until the list
 * is there, grey cards stand in and the checkout link is disabled; it
 * stays disabled while the cart is empty.
 */
(function () {
	'use strict';
	var H = window.H5;

	/* The footer: cart total and the checkout link (only when useful). */
	function total(list) {
		var c = H.cartGet(), sum = 0, cur = null, mixed = false, n = 0;
		list.forEach(function (p) {
			if (!c[p.sku])
				return;
			if (cur !== null && cur !== p.currency)
				mixed = true;
			cur = p.currency;
			sum += p.price * c[p.sku];
			n++;
		});
		H.$('cart-total').textContent = cur === null ? '—' :
		    (mixed ? '—' : H.money(sum, cur));
		H.cartBadge();
		var a = H.$('to-cart');
		if (H.cartCount() > 0) {
			a.href = '/shop/cart.html';
			a.removeAttribute('aria-disabled');
			a.removeAttribute('role');
		} else {
			a.removeAttribute('href');
			a.setAttribute('aria-disabled', 'true');
			a.setAttribute('role', 'link');
		}
		return n;
	}

	function qtyLabel(sku) {
		var q = H.cartGet()[sku];
		return q ? H.t('in.cart', q) : '';
	}

	function addButton(p, list, inCart, long) {
		var add = H.button(H.t(long ? 'add' : 'add.short'), 'add',
		    function () {
			var q = (H.cartGet()[p.sku] || 0) + 1;
			H.cartSet(p.sku, q, p.name);
			inCart.textContent = qtyLabel(p.sku);
			total(list);
			H.toast(H.t('added'));
		});
		add.setAttribute('aria-label', H.t('add.label', p.name));
		return add;
	}

	function detailHref(p) {
		return '/shop/product.html?sku=' + encodeURIComponent(p.sku);
	}

	function card(p, list) {
		var c = H.el('div', 'card');
		c.setAttribute('data-sku', p.sku);
		var pic = H.el('a', 'pic');
		pic.href = detailHref(p);
		pic.setAttribute('tabindex', '-1');
		pic.setAttribute('aria-hidden', 'true');
		pic.appendChild(H.image(p));
		c.appendChild(pic);
		var info = H.el('div', 'info');
		var name = H.el('a', 'name', p.name);
		name.href = detailHref(p);
		info.appendChild(name);
		if (p.description)
			info.appendChild(H.el('div', 'desc', p.description));
		c.appendChild(info);
		var row = H.el('div', 'row');
		row.appendChild(H.el('span', 'price', H.money(p.price,
		    p.currency)));
		var side = H.el('div', 'qty');
		var inCart = H.el('span', 'in-cart', qtyLabel(p.sku));
		side.appendChild(inCart);
		side.appendChild(addButton(p, list, inCart, false));
		row.appendChild(side);
		c.appendChild(row);
		return c;
	}

	function failed(e) {
		H.unskeleton(H.$('products'));
		H.notice(H.$('msg'), 'error', H.netText(e && e.status),
		    [H.button(H.t('retry'), 'secondary', function () {
			window.location.reload();
		})]);
		H.$('msg').setAttribute('data-state', navigator.onLine ===
		    false ? 'offline' : 'failed');
	}

	function renderList(list) {
		var box = H.$('products');
		H.unskeleton(box);
		if (list.length === 0) {
			H.empty(box, H.t('empty.products'));
			return;
		}
		list.forEach(function (p) {
			box.appendChild(card(p, list));
		});
		total(list);
	}

	function renderDetail(list) {
		var box = H.$('detail');
		var m = /[?&]sku=([0-9A-Za-z_.-]{1,64})(?:&|$)/.exec(
		    window.location.search);
		var p = null;
		H.unskeleton(box);
		list.forEach(function (x) {
			if (m && x.sku === m[1])
				p = x;
		});
		total(list);
		if (!p) {
			H.empty(box, m ? H.t('gone', H.cartName(m[1])) :
			    H.t('empty.products'));
			return;
		}
		document.title = p.name;
		box.setAttribute('data-sku', p.sku);
		box.appendChild(H.image(p, 'hero'));
		box.appendChild(H.el('h2', 'name', p.name));
		if (p.description)
			box.appendChild(H.el('p', 'desc', p.description));
		var row = H.el('div', 'card');
		row.appendChild(H.el('span', 'price', H.money(p.price,
		    p.currency)));
		var inCart = H.el('span', 'in-cart', qtyLabel(p.sku));
		var side = H.el('div', 'qty');
		side.appendChild(inCart);
		side.appendChild(addButton(p, list, inCart, true));
		row.appendChild(side);
		row.className = 'row';
		box.appendChild(row);
	}

	document.addEventListener('DOMContentLoaded', function () {
		var detail = H.$('detail') !== null;
		H.wechatGate(H.$('wechat-notice'));
		H.cartBadge();
		H.skeleton(detail ? H.$('detail') : H.$('products'), detail ?
		    1 : 3);
		H.products().then(detail ? renderDetail : renderList, failed);
	});
}());
