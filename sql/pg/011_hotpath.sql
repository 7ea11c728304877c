-- 011_hotpath (PostgreSQL): the same indexes as sql/011_hotpath.sql (see
-- its comment): the body-hash index keeps only rows without a meaning
-- (stored before 008), the reconciler's index only open orders.
DROP INDEX notifications_first;
CREATE UNIQUE INDEX notifications_first ON notifications (body_sha256)
    WHERE duplicate_of IS NULL AND meaning_sha256 IS NULL;
DROP INDEX orders_state_check;
CREATE INDEX orders_state_check ON orders (state, next_check_at)
    WHERE state = 'CREATED' OR state = 'PENDING' OR state = 'UNKNOWN';
