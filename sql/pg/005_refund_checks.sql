-- PostgreSQL text of sql/005_refund_checks.sql (same tables, columns, keys and index
-- names; tests/pg/schema_check.py compares the two).
-- 005_refund_checks: the reconciler's schedule for refunds still in flight
-- (CREATED, PENDING, UNKNOWN), like the orders' (sql/003_orders.sql): a
-- refund whose notification never came is queried at UseePay on a back-off
-- (src/reconcile.c, src/refund.c). Due when next_check_at <= now (0, the
-- default for rows that existed before, means "due now").

ALTER TABLE refunds ADD COLUMN last_query_at BIGINT;
ALTER TABLE refunds ADD COLUMN next_check_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN check_attempts BIGINT NOT NULL DEFAULT 0
    CHECK (check_attempts >= 0);

-- reconciler: open refunds due for a provider query
CREATE INDEX refunds_state_check ON refunds (state, next_check_at);
