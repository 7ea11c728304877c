-- 003_orders: the whole order schema (issues 5, 6, 7): catalog, orders and
-- their items, the event timeline, received notifications, anomalies and
-- refunds.
--
-- Conventions: money is INTEGER minor units of `currency` (ISO 4217, three
-- upper-case letters), never REAL. Times are INTEGER unix seconds (UTC).
-- Order states are decided by src/order.c only (order_apply); the CHECKs
-- below are the last line of defence, not the business rules.

CREATE TABLE products (
	sku TEXT PRIMARY KEY
	    CHECK (length(sku) BETWEEN 1 AND 64
	        AND sku NOT GLOB '*[^0-9A-Za-z_.-]*'),
	name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
	description TEXT NOT NULL DEFAULT ''
	    CHECK (length(description) <= 2000),
	price INTEGER NOT NULL CHECK (price > 0 AND price <= 999999999999),
	currency TEXT NOT NULL
	    CHECK (length(currency) = 3 AND currency GLOB '[A-Z][A-Z][A-Z]'),
	image TEXT NOT NULL DEFAULT '' CHECK (length(image) <= 512),
	active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE orders (
	id INTEGER PRIMARY KEY,
	-- our transactionId at UseePay: <= 32 of [0-9A-Za-z]
	-- (docs/protocol.md §4)
	order_no TEXT NOT NULL UNIQUE
	    CHECK (length(order_no) BETWEEN 1 AND 32
	        AND order_no NOT GLOB '*[^0-9A-Za-z]*'),
	openid TEXT NOT NULL CHECK (length(openid) BETWEEN 1 AND 128),
	appid TEXT NOT NULL CHECK (length(appid) BETWEEN 1 AND 64),
	amount INTEGER NOT NULL CHECK (amount > 0 AND amount <= 999999999999),
	currency TEXT NOT NULL
	    CHECK (length(currency) = 3 AND currency GLOB '[A-Z][A-Z][A-Z]'),
	subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 128),
	state TEXT NOT NULL DEFAULT 'CREATED'
	    CHECK (state IN ('CREATED', 'PENDING', 'UNKNOWN', 'PAID', 'FAILED',
	        'CLOSED', 'PARTIALLY_REFUNDED', 'REFUNDED')),
	provider_ref TEXT
	    CHECK (provider_ref IS NULL OR length(provider_ref) <= 64),
	-- the WeChat invocation parameters from redirectParam, passed through
	jsapi TEXT CHECK (jsapi IS NULL OR json_valid(jsapi)),
	idempotency_key TEXT CHECK (idempotency_key IS NULL
	    OR length(idempotency_key) BETWEEN 1 AND 128),
	expires_at INTEGER NOT NULL,
	paid_at INTEGER,
	-- reconciler schedule (src/reconcile.c): due when next_check_at <= now
	last_query_at INTEGER,
	next_check_at INTEGER NOT NULL DEFAULT 0,
	check_attempts INTEGER NOT NULL DEFAULT 0 CHECK (check_attempts >= 0),
	error_code TEXT CHECK (error_code IS NULL OR length(error_code) <= 64),
	error_msg TEXT CHECK (error_msg IS NULL OR length(error_msg) <= 512),
	refunded_amount INTEGER NOT NULL DEFAULT 0
	    CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	CHECK (state NOT IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
	    OR paid_at IS NOT NULL),
	CHECK (state <> 'REFUNDED' OR refunded_amount = amount),
	CHECK (state <> 'PARTIALLY_REFUNDED'
	    OR (refunded_amount > 0 AND refunded_amount < amount)),
	-- one order per buyer and idempotency key (a double tap is one order)
	UNIQUE (openid, idempotency_key)
) STRICT;

-- admin list: newest first, keyset paging on (created_at, id), optional
-- state / buyer filters
CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_state_created ON orders (state, created_at, id);
CREATE INDEX orders_openid_created ON orders (openid, created_at, id);
-- reconciler: open orders due for a provider query
CREATE INDEX orders_state_check ON orders (state, next_check_at);

CREATE TABLE order_items (
	id INTEGER PRIMARY KEY,
	order_id INTEGER NOT NULL REFERENCES orders (id),
	sku TEXT NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
	name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
	unit_price INTEGER NOT NULL CHECK (unit_price > 0),
	qty INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 99),
	line_amount INTEGER NOT NULL CHECK (line_amount = unit_price * qty)
) STRICT;
CREATE INDEX order_items_order ON order_items (order_id);

-- Every received notification that verified (unverified ones are refused
-- with 401 and only logged). A byte-identical redelivery is stored as a row
-- pointing at the first one (duplicate_of) without its body.
CREATE TABLE notifications (
	id INTEGER PRIMARY KEY,
	received_at INTEGER NOT NULL,
	body BLOB CHECK (body IS NULL OR length(body) <= 16384),
	body_sha256 TEXT NOT NULL CHECK (length(body_sha256) = 64),
	verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
	transaction_type TEXT,
	transaction_id TEXT,
	result_code TEXT,
	order_id INTEGER REFERENCES orders (id),
	outcome TEXT NOT NULL
	    CHECK (outcome IN ('applied', 'noop', 'duplicate', 'anomaly',
	        'ignored')),
	duplicate_of INTEGER REFERENCES notifications (id),
	CHECK ((outcome = 'duplicate') = (duplicate_of IS NOT NULL)),
	CHECK (duplicate_of IS NOT NULL OR body IS NOT NULL)
) STRICT;
-- duplicates are recognised by the hash of the raw body
CREATE UNIQUE INDEX notifications_first ON notifications (body_sha256)
    WHERE duplicate_of IS NULL;
CREATE INDEX notifications_order ON notifications (order_id, id);

CREATE TABLE refunds (
	id INTEGER PRIMARY KEY,
	-- our transactionId of the refund at UseePay (docs/protocol.md §7)
	refund_no TEXT NOT NULL UNIQUE
	    CHECK (length(refund_no) BETWEEN 1 AND 32
	        AND refund_no NOT GLOB '*[^0-9A-Za-z]*'),
	order_id INTEGER NOT NULL REFERENCES orders (id),
	amount INTEGER NOT NULL CHECK (amount > 0 AND amount <= 999999999999),
	currency TEXT NOT NULL
	    CHECK (length(currency) = 3 AND currency GLOB '[A-Z][A-Z][A-Z]'),
	state TEXT NOT NULL DEFAULT 'CREATED'
	    CHECK (state IN ('CREATED', 'PENDING', 'UNKNOWN', 'SUCCEEDED',
	        'FAILED')),
	provider_ref TEXT
	    CHECK (provider_ref IS NULL OR length(provider_ref) <= 64),
	reason TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 256),
	admin TEXT NOT NULL CHECK (length(admin) BETWEEN 1 AND 64),
	error_code TEXT CHECK (error_code IS NULL OR length(error_code) <= 64),
	error_msg TEXT CHECK (error_msg IS NULL OR length(error_msg) <= 512),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX refunds_order ON refunds (order_id, id);
CREATE INDEX refunds_created ON refunds (created_at, id);

-- The timeline: one row per change of an order (state, or refunded amount),
-- whatever its source.
CREATE TABLE order_events (
	id INTEGER PRIMARY KEY,
	order_id INTEGER NOT NULL REFERENCES orders (id),
	source TEXT NOT NULL
	    CHECK (source IN ('notify', 'query', 'reconciler', 'admin', 'pay')),
	old_state TEXT NOT NULL CHECK (old_state IN
	    ('CREATED', 'PENDING', 'UNKNOWN', 'PAID', 'FAILED', 'CLOSED',
	    'PARTIALLY_REFUNDED', 'REFUNDED')),
	new_state TEXT NOT NULL CHECK (new_state IN
	    ('CREATED', 'PENDING', 'UNKNOWN', 'PAID', 'FAILED', 'CLOSED',
	    'PARTIALLY_REFUNDED', 'REFUNDED')),
	result_code TEXT
	    CHECK (result_code IS NULL OR length(result_code) <= 64),
	error_code TEXT CHECK (error_code IS NULL OR length(error_code) <= 64),
	error_msg TEXT CHECK (error_msg IS NULL OR length(error_msg) <= 512),
	-- sha256 hex of the raw provider message (notify body), when any
	msg_sha256 TEXT CHECK (msg_sha256 IS NULL OR length(msg_sha256) = 64),
	notification_id INTEGER REFERENCES notifications (id),
	refund_id INTEGER REFERENCES refunds (id),
	amount INTEGER CHECK (amount IS NULL OR amount >= 0),
	actor TEXT CHECK (actor IS NULL OR length(actor) <= 64),
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX order_events_order ON order_events (order_id, id);

-- Things a merchant must look at: money taken for an order we had given up,
-- a verified message that does not match the order, an unknown order.
CREATE TABLE anomalies (
	id INTEGER PRIMARY KEY,
	order_id INTEGER REFERENCES orders (id),
	notification_id INTEGER REFERENCES notifications (id),
	refund_id INTEGER REFERENCES refunds (id),
	kind TEXT NOT NULL
	    CHECK (kind IN ('amount_mismatch', 'currency_mismatch',
	        'unknown_order', 'paid_after_closed', 'paid_after_failed',
	        'status_conflict', 'unknown_refund', 'refund_mismatch',
	        'refund_over_amount')),
	source TEXT NOT NULL
	    CHECK (source IN ('notify', 'query', 'reconciler', 'admin', 'pay')),
	detail TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 1024),
	created_at INTEGER NOT NULL,
	resolved_at INTEGER,
	resolved_by TEXT
) STRICT;
CREATE INDEX anomalies_created ON anomalies (created_at, id);
CREATE INDEX anomalies_order ON anomalies (order_id);
CREATE INDEX anomalies_open ON anomalies (id) WHERE resolved_at IS NULL;
