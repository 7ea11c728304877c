-- 011_hotpath: fewer index pages written per notification (issue 14).
-- A PAID notification wrote ~10 randomly placed B-tree pages (each a 4 KiB
-- WAL frame and a checkpoint copy); two of them bought nothing:
--
-- notifications_first indexed every row's body hash, although a row stored
-- since 008 is found by its meaning (the same bytes have the same meaning).
-- It now holds only the rows stored before 008 (meaning NULL), so their
-- byte-identical redeliveries are still recognised, and costs nothing for
-- new rows.
--
-- orders_state_check held every order, so each transition moved an entry
-- (delete + insert). The reconciler and the due count only ask for open
-- orders: a partial index over those, and a paid order leaves it once.
-- Its condition is an OR chain, not IN (...): SQLite evaluates a constant
-- IN list of more than two values outside a WHERE clause (this condition,
-- for the old and the new row of every update) by building a temporary
-- B-tree each time. A query uses the index only if its WHERE holds the
-- same expression (store_order.c, store_metrics.c).
DROP INDEX notifications_first;
CREATE UNIQUE INDEX notifications_first ON notifications (body_sha256)
    WHERE duplicate_of IS NULL AND meaning_sha256 IS NULL;
DROP INDEX orders_state_check;
CREATE INDEX orders_state_check ON orders (state, next_check_at)
    WHERE state = 'CREATED' OR state = 'PENDING' OR state = 'UNKNOWN';
