/* anomalies.js - the anomaly inbox: open or resolved anomalies; resolving
 * one takes a note (who resolved it is the session's admin; audited). Every
 * value is inserted as text. */
'use strict';

(function () {
	var E = H5A.el, T = H5A.T;

	function resolver(a) {
		var note = E('input', { maxlength: '500', placeholder: 'note',
		    'aria-label': 'resolution note' });
		var b = E('button', { type: 'button', text: T('Resolve') });
		b.addEventListener('click', function () {
			if (!note.value.trim()) {
				H5A.status(T('A note is required.'), true);
				return;
			}
			b.disabled = true;
			H5A.api('POST', '/admin/api/anomalies/' + a.id +
			    '/resolve', { note: note.value.trim() })
			    .then(function () {
				H5A.status('Anomaly ' + a.id + ' resolved.');
				load();
			}).catch(function (e) {
				b.disabled = false;
				H5A.status(e.message, true);
			});
		});
		return E('span', {}, [note, b]);
	}

	function row(a) {
		var order = a.orderNo ? E('a', { href: '/admin/order.html?no=' +
		    encodeURIComponent(a.orderNo), text: a.orderNo }) : '';
		return E('tr', { 'data-anomaly': String(a.id) }, [
			E('td', { 'data-label': T('Raised'),
			    text: H5A.when(a.createdAt) }),
			E('td', { 'data-label': T('Kind') }, [E('span',
			    { cls: 'badge warn', text: a.kind })]),
			E('td', { 'data-label': T('Source'), text: a.source }),
			E('td', { 'data-label': T('Order') }, [order]),
			E('td', { 'data-label': T('Detail'), text: a.detail }),
			E('td', { 'data-label': T('Resolved'), text: a.resolvedAt ?
			    H5A.when(a.resolvedAt) + ' by ' + a.resolvedBy +
			    (a.note ? ': ' + a.note : '') : '' }),
			E('td', {}, [a.resolvedAt ? null : resolver(a)])
		]);
	}

	function load() {
		var st = document.getElementById('f-state').value;
		H5A.status('Loading…');
		H5A.api('GET', '/admin/api/anomalies?state=' +
		    encodeURIComponent(st) + '&limit=200').then(function (r) {
			var tb = document.getElementById('rows');
			document.getElementById('count').textContent =
			    r.open + ' open';
			H5A.clear(tb);
			r.anomalies.forEach(function (a) {
				tb.appendChild(row(a));
			});
			H5A.status(r.anomalies.length ? '' : T('Nothing here.'));
		}).catch(function (e) { H5A.status(e.message, true); });
	}

	document.getElementById('filters').addEventListener('submit',
	    function (ev) {
		ev.preventDefault();
		load();
	});
	H5A.nav('anomalies').then(function () { load(); });
})();
