-- 014_paid_locality: the paid-per-day index in the order orders are paid
-- (issue 14).
--
-- orders_paid (004) was keyed by (paid_at, currency, amount): paid_at is
-- the second the payment was recorded, so every order paid in one second
-- sorted by its amount inside that second, and each new entry went to a
-- random leaf among that second's. In a group commit of ~25 payments
-- that was ~15 of ~68 WAL frames (the WAL's frames mapped to their
-- B-trees through dbstat under the /notify benchmark), each also read
-- back and copied to the database at the checkpoint.
--
-- The key is now (paid_at, id, currency, amount): inside a second the
-- order id, which grows, so a commit's entries are appended next to each
-- other. The dashboard's query (store_admin_orders.c, sql_paid: a range
-- of paid_at, one currency, count and sum of amount) reads the same
-- entries from it, still without touching the table.
DROP INDEX orders_paid;
CREATE INDEX orders_paid ON orders (paid_at, id, currency, amount)
    WHERE paid_at IS NOT NULL;
