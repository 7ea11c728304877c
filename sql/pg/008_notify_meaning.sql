-- PostgreSQL text of sql/008_notify_meaning.sql (same tables, columns, keys and index
-- names; tests/pg/schema_check.py compares the two).
-- 008_notify_meaning: a notification is recognised by its meaning, not
-- by its bytes (issue 12, item 3).
--
-- A genuine body padded with blank fields or re-encoded verifies like the
-- original: with only the raw body's hash as the key, each variant was a
-- new 16 KiB row. meaning_sha256 is the SHA-256 of the verified fields
-- that identify a delivery (src/notify.c, notify_meaning): the first
-- notification of a meaning is a row; every redelivery of it, whatever
-- its bytes, only counts (redeliveries, last_received_at) on that row.
-- Rows from before this migration have no meaning hash; a redelivery of
-- one is still found by its body hash.
ALTER TABLE notifications ADD COLUMN meaning_sha256 TEXT
    CHECK (meaning_sha256 IS NULL OR length(meaning_sha256) = 64);
ALTER TABLE notifications ADD COLUMN redeliveries BIGINT NOT NULL DEFAULT 0
    CHECK (redeliveries >= 0);
ALTER TABLE notifications ADD COLUMN last_received_at BIGINT;
CREATE UNIQUE INDEX notifications_meaning ON notifications (meaning_sha256)
    WHERE meaning_sha256 IS NOT NULL;
