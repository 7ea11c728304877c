-- 009_outbox: events to the merchant's systems through a transactional
-- outbox (issue 11, part 3; docs/integration.md).
--
-- order_apply() writes one outbox row in the same transaction as each state
-- change it makes (payment.paid / failed / closed, refund.succeeded /
-- failed) and each anomaly it records (anomaly.raised): an event exists if
-- and only if its change committed. body is the exact JSON sent, built
-- once (the event id inside it is random, "evt_" + 24 hex digits), so every
-- attempt sends the same bytes.
--
-- The delivery worker (outbox_send.c, h5payd's events child) claims due
-- rows in a short write transaction: state 'sending' with a lease
-- (lease_until, lease_owner = its pid); a worker killed mid-send leaves
-- the lease, which the next worker drops at start when its owner is dead
-- (or which runs out), and the row is sent again (at-least-once:
-- receivers dedupe by event id).
-- A 2xx answer makes it 'delivered'; otherwise it is due again after a
-- back-off, and 'failed' once it is older than three days (resend puts it
-- back to 'pending').
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	event_id TEXT NOT NULL UNIQUE CHECK (length(event_id) = 28 AND
	    substr(event_id, 1, 4) = 'evt_'),
	type TEXT NOT NULL CHECK (type IN ('payment.paid', 'payment.failed',
	    'payment.closed', 'refund.succeeded', 'refund.failed',
	    'anomaly.raised', 'test')),
	order_id INTEGER REFERENCES orders (id),
	refund_id INTEGER REFERENCES refunds (id),
	body TEXT NOT NULL CHECK (length(body) <= 4096),
	state TEXT NOT NULL DEFAULT 'pending'
	    CHECK (state IN ('pending', 'sending', 'delivered', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_at INTEGER NOT NULL,
	lease_until INTEGER NOT NULL DEFAULT 0,
	lease_owner INTEGER,		-- pid of the worker holding the lease
	last_status INTEGER,
	delivered_at INTEGER,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_due ON outbox (next_at, id)
    WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_created ON outbox (created_at, id);
CREATE INDEX outbox_order ON outbox (order_id);

-- One row per delivery attempt, for the log (admin, `h5pay events list`).
CREATE TABLE outbox_attempts (
	id INTEGER PRIMARY KEY,
	outbox_id INTEGER NOT NULL REFERENCES outbox (id),
	url TEXT NOT NULL CHECK (length(url) <= 1024),
	status INTEGER NOT NULL,	-- HTTP status; 0 = no answer
	latency_ms INTEGER NOT NULL CHECK (latency_ms >= 0),
	excerpt TEXT NOT NULL DEFAULT '' CHECK (length(excerpt) <= 256),
	error TEXT CHECK (error IS NULL OR length(error) <= 256),
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_attempts_event ON outbox_attempts (outbox_id, id);

-- The anomaly inbox (issue 11, part 4): why it was resolved
-- (resolution_note; who and when: resolved_by, resolved_at), and two more
-- kinds: a burst of notifications refused for
-- their signature (signature_failures, from a notify worker) and an order
-- UNKNOWN for longer than the reconciler's bound (unknown_stale). SQLite
-- cannot change a CHECK: the table is rebuilt as in 007 (nothing
-- references it), keeping 007's kinds.
CREATE TABLE anomalies_new (
	id INTEGER PRIMARY KEY,
	order_id INTEGER REFERENCES orders (id),
	notification_id INTEGER REFERENCES notifications (id),
	refund_id INTEGER REFERENCES refunds (id),
	kind TEXT NOT NULL
	    CHECK (kind IN ('amount_mismatch', 'currency_mismatch',
	        'unknown_order', 'paid_after_closed', 'paid_after_failed',
	        'status_conflict', 'unknown_refund', 'refund_mismatch',
	        'refund_over_amount', 'provider_refused', 'unresolved',
	        'signature_failures', 'unknown_stale')),
	source TEXT NOT NULL
	    CHECK (source IN ('notify', 'query', 'reconciler', 'admin', 'pay')),
	detail TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 1024),
	created_at INTEGER NOT NULL,
	resolved_at INTEGER,
	resolved_by TEXT,
	resolution_note TEXT
	    CHECK (resolution_note IS NULL OR length(resolution_note) <= 500)
) STRICT;
INSERT INTO anomalies_new (id, order_id, notification_id, refund_id, kind,
    source, detail, created_at, resolved_at, resolved_by)
    SELECT id, order_id, notification_id, refund_id, kind, source, detail,
    created_at, resolved_at, resolved_by FROM anomalies;
DROP TABLE anomalies;
ALTER TABLE anomalies_new RENAME TO anomalies;
CREATE INDEX anomalies_created ON anomalies (created_at, id);
CREATE INDEX anomalies_order ON anomalies (order_id);
CREATE INDEX anomalies_open ON anomalies (id) WHERE resolved_at IS NULL;
