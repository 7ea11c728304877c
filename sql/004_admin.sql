-- 004_admin: the merchant admin (issue 7): users, sessions, login
-- throttling and lockouts, and the audit log of every admin action.
--
-- Secrets are never stored: passwords as scrypt hashes (src/sign_pw.c,
-- encoded with their parameters), sessions by the SHA-256 of their token.
-- The CSRF token is derived from the session token (src/admin.c), so it is
-- bound to the session and needs no column. Times are unix seconds (UTC).

CREATE TABLE admin_users (
	id INTEGER PRIMARY KEY,
	username TEXT NOT NULL UNIQUE
	    CHECK (length(username) BETWEEN 1 AND 64
	        AND username NOT GLOB '*[^0-9A-Za-z_.@-]*'),
	pw_hash TEXT NOT NULL CHECK (length(pw_hash) BETWEEN 20 AND 256),
	disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE admin_sessions (
	id INTEGER PRIMARY KEY,
	token_sha256 TEXT NOT NULL UNIQUE CHECK (length(token_sha256) = 64),
	user_id INTEGER NOT NULL REFERENCES admin_users (id),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	ip TEXT NOT NULL DEFAULT '' CHECK (length(ip) <= 64),
	user_agent TEXT NOT NULL DEFAULT '' CHECK (length(user_agent) <= 256),
	revoked_at INTEGER
) STRICT;
CREATE INDEX admin_sessions_user ON admin_sessions (user_id);
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);

-- One row per login attempt, written BEFORE the password is checked (as a
-- failure, turned into a success afterwards) so parallel guesses all
-- count. username is what was typed (also for unknown users).
CREATE TABLE admin_login_attempts (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	username TEXT NOT NULL CHECK (length(username) <= 64),
	ip TEXT NOT NULL CHECK (length(ip) <= 64),
	ok INTEGER NOT NULL DEFAULT 0 CHECK (ok IN (0, 1))
) STRICT;
CREATE INDEX admin_login_attempts_user ON admin_login_attempts (username, at);
CREATE INDEX admin_login_attempts_ip ON admin_login_attempts (ip, at);

-- A temporary lockout of a user name or a client address.
CREATE TABLE admin_lockouts (
	kind TEXT NOT NULL CHECK (kind IN ('user', 'ip')),
	key TEXT NOT NULL CHECK (length(key) <= 64),
	until INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (kind, key)
) STRICT;

-- Who did what, when, with which result. admin is the user name (or what
-- was typed at a failed login, or "cli" for the operator CLI).
CREATE TABLE admin_audit (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	admin TEXT NOT NULL CHECK (length(admin) BETWEEN 1 AND 64),
	action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
	target TEXT NOT NULL DEFAULT '' CHECK (length(target) <= 128),
	detail TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 1024),
	result TEXT NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
	ip TEXT NOT NULL DEFAULT '' CHECK (length(ip) <= 64),
	request_id TEXT NOT NULL DEFAULT '' CHECK (length(request_id) <= 64)
) STRICT;
CREATE INDEX admin_audit_at ON admin_audit (at, id);

-- The admin's order list sorted by amount (keyset on (amount, id)), and the
-- dashboard's paid amount per day.
CREATE INDEX orders_amount ON orders (amount, id);
CREATE INDEX orders_paid ON orders (paid_at, currency, amount)
    WHERE paid_at IS NOT NULL;

-- The dashboard's per-day figures of closed days (a day is closed an hour
-- after it ended), computed once from orders/refunds and kept: every
-- writer stamps rows with the current time, so a closed day's figures no
-- longer change. `h5pay dev-fill` (back-dated rows) empties it.
CREATE TABLE admin_stats_days (
	day INTEGER NOT NULL CHECK (day % 86400 = 0),
	currency TEXT NOT NULL CHECK (length(currency) = 3),
	orders INTEGER NOT NULL,
	paid_count INTEGER NOT NULL,
	paid_amount INTEGER NOT NULL,
	refund_count INTEGER NOT NULL,
	refund_amount INTEGER NOT NULL,
	computed_at INTEGER NOT NULL,
	PRIMARY KEY (day, currency)
) STRICT, WITHOUT ROWID;
