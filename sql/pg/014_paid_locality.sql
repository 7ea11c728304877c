-- 014_paid_locality (PostgreSQL): the same index as
-- sql/014_paid_locality.sql (see its comment): inside a second, entries
-- in the order of the order id, so a commit's new entries share B-tree
-- pages instead of each going to a random one by amount.
DROP INDEX orders_paid;
CREATE INDEX orders_paid ON orders (paid_at, id, currency, amount)
    WHERE paid_at IS NOT NULL;
