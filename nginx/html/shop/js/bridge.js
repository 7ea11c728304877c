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

	/* Resolve with the bridge, waiting at most ms (default 10 s) for
	 * WeixinJSBridgeReady; reject after that. */
	function bridge(ms) {
		return new Promise(function (resolve, reject) {
			var b = window.WeixinJSBridge;
			if (b && typeof b.invoke === 'function') {
				resolve(b);
				return;
			}
			var t = setTimeout(function () {
				reject(new Error('no bridge'));
			}, ms === undefined ? BRIDGE_WAIT_MS : ms);
			document.addEventListener('WeixinJSBridgeReady',
			    function () {
				clearTimeout(t);
				resolve(window.WeixinJSBridge);
			}, { once: true });
		});
	}

	/* Open the payment sheet on bridge b: resolves 'ok' | 'cancel' |
	 * 'fail' from the err_msg WeChat answers. */
	function call(b, jsapi) {
		return new Promise(function (resolve) {
			b.invoke('getBrandWCPayRequest', jsapi, function (res) {
				var m = res && typeof res.err_msg === 'string' ?
				    res.err_msg : '';
				resolve(/:ok$/.test(m) ? 'ok' : /:cancel$/.test(m) ?
				    'cancel' : 'fail');
			});
		});
	}

	/* bridge(ms) then call(): rejects when there is no bridge. */
	function invoke(jsapi, ms) {
		return bridge(ms).then(function (b) {
			return call(b, jsapi);
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

	window.H5Pay = { bridge: bridge, call: call, invoke: invoke,
	    poll: poll };
}());
