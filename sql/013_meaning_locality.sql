-- 013_meaning_locality: the meaning index in the order of the orders
-- (issue 14).
--
-- notifications_meaning (008) was keyed by meaning_sha256 alone: a hash,
-- so each new notification's entry went to a random leaf of an index as
-- large as the table, and each group commit wrote one more 4 KiB WAL
-- frame (and, at the checkpoint, read it back and wrote it to the
-- database) per notification in it. The other pages a notification
-- dirties are shared by the commit's notifications (a table's or a time
-- index's right edge); this one was not: ~1 page of ~3 per notification
-- (perf stat under /notify load: 8.1 pwrite + 2.6 pread a notification,
-- 4.7 + 0.6 with this index).
--
-- The key is now (transaction_id, meaning_sha256). A payment's
-- transaction_id is the order number, which starts with the time it was
-- made (pay.c, pay_order_no_new), and orders are paid soon after they are
-- made, so a commit's entries land on a few neighbouring leaves. A
-- refund's is the refund number, random (refund.c: "R" and 24 hex
-- digits), so its entry still goes to a random leaf; refunds are few.
-- Uniqueness is the same: the meaning hashes transactionId (notify.c,
-- notify_meaning), so equal meanings have equal transaction ids, and a
-- notification is only parsed with one (useepay_msg.c, up_txn_fill). The
-- lookup (store_notify.c, store_notification_find) gives both columns.
DROP INDEX notifications_meaning;
CREATE UNIQUE INDEX notifications_meaning ON notifications
    (transaction_id, meaning_sha256) WHERE meaning_sha256 IS NOT NULL;
