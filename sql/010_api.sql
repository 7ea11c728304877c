-- 010_api: the payments API (issue 11 parts 1 and 2): API keys, payments
-- created by the merchant's backend, and the idempotency records of their
-- refunds. An API payment becomes an order (the orders table and its one
-- state machine) when the buyer taps pay in hosted checkout; until then it
-- is only this row. One payment has at most one order (order_id UNIQUE), so
-- "one UseePay transaction per order" keeps holding.

CREATE TABLE api_keys (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
	    CHECK (length(name) BETWEEN 1 AND 64
	        AND name NOT GLOB '*[^0-9A-Za-z_.-]*'),
	-- SHA-256 hex of the token: the token itself is shown once, never stored
	token_sha256 TEXT NOT NULL UNIQUE CHECK (length(token_sha256) = 64),
	scopes TEXT NOT NULL CHECK (length(scopes) BETWEEN 1 AND 128),
	created_at INTEGER NOT NULL,
	revoked_at INTEGER,
	last_used_at INTEGER,
	-- the rate limit's fixed window (src/api.c): start and count
	win_start INTEGER NOT NULL DEFAULT 0,
	win_count INTEGER NOT NULL DEFAULT 0 CHECK (win_count >= 0)
) STRICT;

CREATE TABLE api_payments (
	id INTEGER PRIMARY KEY,
	-- the public id: "pay_" + 32 of [0-9A-Za-z] (unguessable: it is the
	-- checkout page's only credential)
	payment_id TEXT NOT NULL UNIQUE CHECK (length(payment_id) = 36),
	key_id INTEGER NOT NULL REFERENCES api_keys (id),
	-- the merchant's own order reference: one payment per reference
	reference TEXT NOT NULL UNIQUE
	    CHECK (length(reference) BETWEEN 1 AND 64
	        AND reference NOT GLOB '*[^0-9A-Za-z_.:-]*'),
	idempotency_key TEXT UNIQUE
	    CHECK (idempotency_key IS NULL
	        OR length(idempotency_key) BETWEEN 1 AND 64),
	-- SHA-256 hex of the canonical request: same reference or key with
	-- another body is a conflict
	body_sha256 TEXT NOT NULL CHECK (length(body_sha256) = 64),
	amount INTEGER NOT NULL CHECK (amount > 0 AND amount <= 999999999999),
	currency TEXT NOT NULL
	    CHECK (length(currency) = 3 AND currency GLOB '[A-Z][A-Z][A-Z]'),
	subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 128),
	return_url TEXT NOT NULL CHECK (length(return_url) BETWEEN 9 AND 512),
	metadata TEXT NOT NULL DEFAULT '{}'
	    CHECK (json_valid(metadata) AND length(metadata) <= 4096),
	expires_at INTEGER NOT NULL,
	cancelled_at INTEGER,
	order_id INTEGER UNIQUE REFERENCES orders (id),
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX api_payments_order ON api_payments (order_id);

-- An API refund request by its Idempotency-Key: reserved (refund_no NULL)
-- before refund_create runs, so a concurrent twin never makes a second one.
CREATE TABLE api_refunds (
	id INTEGER PRIMARY KEY,
	payment_id INTEGER NOT NULL REFERENCES api_payments (id),
	idempotency_key TEXT NOT NULL
	    CHECK (length(idempotency_key) BETWEEN 1 AND 64),
	body_sha256 TEXT NOT NULL CHECK (length(body_sha256) = 64),
	refund_no TEXT CHECK (refund_no IS NULL OR length(refund_no) <= 32),
	-- the refusal (E_CONFLICT and the like) when refund_create said no
	error TEXT CHECK (error IS NULL OR length(error) <= 256),
	created_at INTEGER NOT NULL,
	UNIQUE (payment_id, idempotency_key)
) STRICT;
