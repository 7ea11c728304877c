/*
 * login.js - the login form: POST /admin/api/login, keep the CSRF token,
 * then back to the page the session ended on (?ret=, a path inside
 * /admin/ only) or the dashboard. Asks for the one-time code when the
 * account has a second factor ("otp_required"), and shows how long to
 * wait after too many failures (429: retryAfter seconds, counted down;
 * the button stays off). The language switch sits above the form.
 */
'use strict';

(function () {
	var T = H5A.T;
	var btn = document.getElementById('login-btn');
	var otpRow = document.getElementById('otp-row');
	var otp = document.getElementById('otp');
	var q = new URLSearchParams(location.search);
	var ret = q.get('ret');
	var timer = null;

	function wait(seconds) {
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
			H5A.status(T('Too many failed attempts.') + ' ' +
			    T('Try again in {0} s.', left), true);
			left--;
		}
		tick();
		timer = setInterval(tick, 1000);
	}

	document.querySelector('.login').insertBefore(H5A.langSwitch(),
	    document.querySelector('.login h1'));
	if (q.get('expired'))
		H5A.status(T(ret && H5A.adminPath(ret) ? 'Your session has ' +
		    'ended. Log in again to return to the page you were on.' :
		    'Your session has ended: log in again.'), true);

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
			location.href = ret && H5A.adminPath(ret) ? ret :
			    '/admin/dashboard.html';
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
			if (e.status === 429) {
				wait(j.retryAfter > 0 ? j.retryAfter :
				    e.retryAfter > 0 ? e.retryAfter : 30);
				return;
			}
			H5A.status(e.status === 401 ? T('Wrong user name or ' +
			    'password.') : e.message, true);
		});
	});
})();
