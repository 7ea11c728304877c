-- 013_meaning_locality (PostgreSQL): the same index as
-- sql/013_meaning_locality.sql (see its comment): keyed by the order
-- number first, so a commit's new entries share B-tree pages instead of
-- each dirtying a random one.
DROP INDEX notifications_meaning;
CREATE UNIQUE INDEX notifications_meaning ON notifications
    (transaction_id, meaning_sha256) WHERE meaning_sha256 IS NOT NULL;
