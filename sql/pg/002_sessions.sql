-- PostgreSQL text of sql/002_sessions.sql (same tables, columns, keys and index
-- names; tests/pg/schema_check.py compares the two).
-- 002_sessions: WeChat web authorization (docs/protocol.md §W1) and buyer
-- sessions. Secrets are never stored: states, codes, browser binders and
-- session tokens are kept as lowercase hex SHA-256 of the value.
-- Times are seconds since the epoch.

-- One row per /oauth/start: single use (used_at), short TTL, bound to the
-- browser cookie that started it. `restarts` is the loop marker: a login
-- that was already restarted once is not restarted again.
CREATE TABLE oauth_state (
	state_hash TEXT PRIMARY KEY,
	browser_hash TEXT NOT NULL,
	ret TEXT NOT NULL,
	restarts BIGINT NOT NULL DEFAULT 0 CHECK (restarts BETWEEN 0 AND 1),
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT
);
CREATE INDEX oauth_state_expires ON oauth_state (expires_at);

-- code -> openid for the code's 5-minute life, so a repeated callback
-- (refresh, back button, WeChat's double call) is the same login without a
-- second exchange (which WeChat answers with 40163). Only for the state the
-- code came back with; browser_hash is NULL when the callback had no cookie.
CREATE TABLE oauth_code (
	code_hash TEXT PRIMARY KEY,
	state_hash TEXT NOT NULL,
	browser_hash TEXT,
	appid TEXT NOT NULL,
	openid TEXT NOT NULL,
	ret TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX oauth_code_expires ON oauth_code (expires_at);

-- Buyer sessions: the cookie holds a random 256-bit token, the row only
-- its hash. The openid is stored with the appid that issued it.
CREATE TABLE buyer_session (
	token_hash TEXT PRIMARY KEY,
	appid TEXT NOT NULL,
	openid TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX buyer_session_expires ON buyer_session (expires_at);
CREATE INDEX buyer_session_openid ON buyer_session (appid, openid);
