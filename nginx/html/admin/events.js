/* events.js - merchant events: the endpoint, the delivery log (each
 * attempt's status, latency and answer excerpt), resend, a test event
 * (docs/integration.md). Every value is inserted as text. */
'use strict';

(function () {
	var E = H5A.el, T = H5A.T;

	function attempts(list) {
		return E('ul', { cls: 'attempts' }, list.map(function (a) {
			return E('li', { text: H5A.when(a.at) + ' · ' +
			    (a.status ? 'HTTP ' + a.status : 'no answer') +
			    ' · ' + a.latencyMs + ' ms' +
			    (a.excerpt ? ' · ' + a.excerpt : '') +
			    (a.error ? ' · ' + a.error : '') });
		}));
	}

	function row(ev) {
		var b = E('button', { type: 'button', cls: 'secondary',
		    text: T('Resend'), 'data-event': ev.eventId });
		b.addEventListener('click', function () {
			b.disabled = true;
			H5A.api('POST', '/admin/api/events/' +
			    encodeURIComponent(ev.eventId) + '/resend')
			    .then(function () {
				H5A.status(ev.eventId + ' is due again.');
				load();
			}).catch(function (e) {
				b.disabled = false;
				H5A.status(e.message, true);
			});
		});
		var order = ev.orderNo ? E('a', { href: '/admin/order.html?no=' +
		    encodeURIComponent(ev.orderNo), text: ev.orderNo }) : '';
		return E('tr', { 'data-event': ev.eventId }, [
			E('td', { 'data-label': T('Created'),
			    text: H5A.when(ev.createdAt) }),
			E('td', { 'data-label': T('Type'), text: ev.type }),
			E('td', { 'data-label': T('Event id'), text: ev.eventId }),
			E('td', { 'data-label': T('Order') }, [order]),
			E('td', { 'data-label': T('State') }, [E('span', {
			    cls: 'badge ' + (ev.state === 'failed' ? 'warn' : ''),
			    text: T(ev.state) })]),
			E('td', { cls: 'num', 'data-label': T('Attempts'),
			    text: String(ev.attempts) }),
			E('td', { 'data-label': T('Last attempts') },
			    [attempts(ev.attemptsLog || [])]),
			E('td', {}, [b])
		]);
	}

	function load() {
		var q = new URLSearchParams(), st = document
		    .getElementById('f-state').value;
		if (st)
			q.set('state', st);
		q.set('limit', '100');
		H5A.status('Loading…');
		H5A.api('GET', '/admin/api/events?' + q.toString())
		    .then(function (r) {
			var tb = document.getElementById('rows');
			document.getElementById('endpoint').textContent =
			    r.endpoints.length ? r.endpoints.map(function (e) {
				return e.url; }).join(', ') :
			    'none configured (events are kept, not sent)';
			H5A.clear(tb);
			r.events.forEach(function (e) { tb.appendChild(row(e)); });
			H5A.status(r.events.length ? r.events.length +
			    ' events' : T('No events.'));
		}).catch(function (e) { H5A.status(e.message, true); });
	}

	document.getElementById('filters').addEventListener('submit',
	    function (ev) {
		ev.preventDefault();
		load();
	});
	document.getElementById('test').addEventListener('click', function () {
		H5A.api('POST', '/admin/api/events/test').then(function (r) {
			H5A.status('Test event ' + r.eventId + ' written.');
			load();
		}).catch(function (e) { H5A.status(e.message, true); });
	});
	H5A.nav('events').then(function () { load(); });
})();
