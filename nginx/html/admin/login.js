/* login.js - the login form: POST /admin/api/login, keep the CSRF token. */
'use strict';

document.getElementById('login-form').addEventListener('submit', function (ev) {
	ev.preventDefault();
	H5A.status('');
	H5A.api('POST', '/admin/api/login', {
		username: document.getElementById('username').value,
		password: document.getElementById('password').value
	}).then(function (s) {
		sessionStorage.setItem('h5a-csrf', s.csrf);
		location.href = '/admin/dashboard.html';
	}).catch(function (e) {
		document.getElementById('password').value = '';
		H5A.status(e.message, true);
	});
});
