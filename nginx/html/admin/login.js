/* login.js - the login form: POST /admin/api/login, keep the CSRF token.
 * Asks for the one-time code when the account has a second factor
 * ("otp_required"), and shows how long to wait after too many failures
 * (429: retryAfter seconds, counted down; the button stays off). */
'use strict';

(function () {
	var btn = document.getElementById('login-btn');
	var otpRow = document.getElementById('otp-row');
	var otp = document.getElementById('otp');
	var timer = null;

	function wait(seconds, message) {
		var left = Math.max(1, Math.ceil(seconds));
		clearInterval(timer);
		btn.disabled = true;
		function tick() {
			if (left <= 0) {
				clearInterval(timer);
				btn.disabled = false;
				H5A.status('');
				return;
			}
			H5A.status(message.replace(/ Try again in \d+ s\.$/,
			    '') + ' Try again in ' + left + ' s.', true);
			left--;
		}
		tick();
		timer = setInterval(tick, 1000);
	}

	document.getElementById('login-form').addEventListener('submit',
	    function (ev) {
		var body = {
			username: document.getElementById('username').value,
			password: document.getElementById('password').value
		};
		ev.preventDefault();
		if (!otpRow.classList.contains('hidden') && otp.value)
			body.otp = otp.value;
		H5A.status('');
		H5A.api('POST', '/admin/api/login', body).then(function (s) {
			sessionStorage.setItem('h5a-csrf', s.csrf);
			location.href = '/admin/dashboard.html';
		}).catch(function (e) {
			var j = e.body || {};
			otp.value = '';
			if (j.error === 'otp_required' || j.error === 'bad_otp') {
				/* the password was right: keep it for the code */
				otpRow.classList.remove('hidden');
				otp.required = true;
				otp.focus();
				H5A.status(e.message, true);
				return;
			}
			document.getElementById('password').value = '';
			if (e.status === 429 && j.retryAfter > 0) {
				wait(j.retryAfter, e.message);
				return;
			}
			H5A.status(e.message, true);
		});
	});
})();
