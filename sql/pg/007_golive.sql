-- PostgreSQL text of sql/007_golive.sql (same tables, columns, keys and index
-- names; tests/pg/schema_check.py compares the two).
-- 007_golive (issue 10): two anomaly kinds a merchant must see.
--   provider_refused  UseePay refused a call unsigned (or with HTTP 401/403):
--                     a merchant configuration error (merchant number, key,
--                     IP allow-list); the order is FAILED with the reason.
--   unresolved        an order no query could resolve (no usable answer)
--                     was closed ORDER_UNRESOLVED_GIVE_UP_SEC after expiry.
-- SQLite rebuilds the table; PostgreSQL replaces the CHECK in place.
ALTER TABLE anomalies DROP CONSTRAINT anomalies_kind_check;
ALTER TABLE anomalies ADD CONSTRAINT anomalies_kind_check
    CHECK (kind IN ('amount_mismatch', 'currency_mismatch',
        'unknown_order', 'paid_after_closed', 'paid_after_failed',
        'status_conflict', 'unknown_refund', 'refund_mismatch',
        'refund_over_amount', 'provider_refused', 'unresolved'));
