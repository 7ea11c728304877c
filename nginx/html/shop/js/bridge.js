/*
 * bridge.js - the one copy of the WeChat Pay call, shared by the shop's
 * checkout (checkout.js) and hosted checkout (pay.js): wait for
 * WeixinJSBridge, invoke getBrandWCPayRequest with the server's six
 * parameters exactly as returned (docs/protocol.md §W2), and say how the
 * sheet ended: 'ok', 'cancel' or 'fail'. ':ok' is never proof of
 * payment: the caller asks the server (poll()).
 */
(function () {
	'use strict';
	var BRIDGE_WAIT_MS = 10000;

	/* Resolve with the bridge, waiting for WeixinJSBridgeReady. */
	function bridge() {
		return new Promise(function (resolve, reject) {
			var b = window.WeixinJSBridge;
			if (b && typeof b.invoke === 'function') {
				resolve(b);
				return;
			}
			var t = setTimeout(function () {
				reject(new Error('no bridge'));
			}, BRIDGE_WAIT_MS);
			document.addEventListener('WeixinJSBridgeReady',
			    function () {
				clearTimeout(t);
				resolve(window.WeixinJSBridge);
			}, { once: true });
		});
	}

	/* Open the payment sheet: resolves 'ok' | 'cancel' | 'fail';
	 * rejects when there is no bridge (not in WeChat). */
	function invoke(jsapi) {
		return bridge().then(function (b) {
			return new Promise(function (resolve) {
				b.invoke('getBrandWCPayRequest', jsapi,
				    function (res) {
					var m = res && typeof res.err_msg ===
					    'string' ? res.err_msg : '';
					resolve(/:ok$/.test(m) ? 'ok' :
					    /:cancel$/.test(m) ? 'cancel' :
					    'fail');
				});
			});
		});
	}

	/* Call get() (a promise) every everyMs until done(value) or maxMs:
	 * resolves with the last value (null when none arrived). */
	function poll(get, done, everyMs, maxMs) {
		var until = Date.now() + maxMs, last = null;
		return new Promise(function (resolve) {
			function step() {
				get().then(function (v) {
					last = v;
					if (done(v) || Date.now() >= until)
						resolve(last);
					else
						setTimeout(step, everyMs);
				}, function () {
					if (Date.now() >= until)
						resolve(last);
					else
						setTimeout(step, everyMs);
				});
			}
			step();
		});
	}

	window.H5Pay = { bridge: bridge, invoke: invoke, poll: poll };
}());
