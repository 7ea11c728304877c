-- 007_golive (issue 10): two anomaly kinds a merchant must see.
--   provider_refused  UseePay refused a call unsigned (or with HTTP 401/403):
--                     a merchant configuration error (merchant number, key,
--                     IP allow-list); the order is FAILED with the reason.
--   unresolved        an order no query could resolve (no usable answer)
--                     was closed ORDER_UNRESOLVED_GIVE_UP_SEC after expiry.
-- SQLite cannot change a CHECK in place: the table is rebuilt, rows and ids
-- kept (nothing references anomalies).

CREATE TABLE anomalies_new (
	id INTEGER PRIMARY KEY,
	order_id INTEGER REFERENCES orders (id),
	notification_id INTEGER REFERENCES notifications (id),
	refund_id INTEGER REFERENCES refunds (id),
	kind TEXT NOT NULL
	    CHECK (kind IN ('amount_mismatch', 'currency_mismatch',
	        'unknown_order', 'paid_after_closed', 'paid_after_failed',
	        'status_conflict', 'unknown_refund', 'refund_mismatch',
	        'refund_over_amount', 'provider_refused', 'unresolved')),
	source TEXT NOT NULL
	    CHECK (source IN ('notify', 'query', 'reconciler', 'admin', 'pay')),
	detail TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 1024),
	created_at INTEGER NOT NULL,
	resolved_at INTEGER,
	resolved_by TEXT
) STRICT;
INSERT INTO anomalies_new SELECT id, order_id, notification_id, refund_id,
    kind, source, detail, created_at, resolved_at, resolved_by FROM anomalies;
DROP TABLE anomalies;
ALTER TABLE anomalies_new RENAME TO anomalies;
CREATE INDEX anomalies_created ON anomalies (created_at, id);
CREATE INDEX anomalies_order ON anomalies (order_id);
CREATE INDEX anomalies_open ON anomalies (id) WHERE resolved_at IS NULL;
