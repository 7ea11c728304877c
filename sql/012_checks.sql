-- 012_checks: CHECK constraints without constant IN lists (issue 14).
-- SQLite evaluates `x IN (a, b, c, ...)` of more than two constants outside
-- a WHERE clause by building a temporary B-tree, once per statement
-- execution: a CHECK (state IN (...)) costs ~2 us and a handful of mallocs
-- on every INSERT and on every UPDATE of its column (measured: 3 such
-- checks 7.1 us per insert, the same checks as OR chains 1.1 us). A PAID
-- notification ran nine of them. Each becomes the equivalent chain
-- (x = a OR x = b ...; NOT IN: x <> a AND ...): the same rows pass, NULL
-- included, so no stored row needs checking and no table is rebuilt.
--
-- SQLite cannot ALTER a CHECK; this is its documented procedure for
-- changing constraints that leave the stored rows as they are
-- (lang_altertable.html, "simpler procedure"): the table's CREATE text is
-- edited in sqlite_schema, and the migration runner (store.c) raises
-- schema_version after every migration, so every connection reloads the
-- schema. A replace() whose old text is absent changes nothing;
-- tests/unit/test_store.c asserts that no table keeps a constant IN list
-- of more than two values.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql,
    'state IN (''CREATED'', ''PENDING'', ''UNKNOWN'', ''PAID'', ''FAILED'',
	        ''CLOSED'', ''PARTIALLY_REFUNDED'', ''REFUNDED'')',
    '(state = ''CREATED'' OR state = ''PENDING'' OR state = ''UNKNOWN'' OR state = ''PAID'' OR state = ''FAILED'' OR
	        state = ''CLOSED'' OR state = ''PARTIALLY_REFUNDED'' OR state = ''REFUNDED'')')
    WHERE type = 'table' AND name = 'orders';
UPDATE sqlite_schema SET sql = replace(sql,
    'state NOT IN (''PAID'', ''PARTIALLY_REFUNDED'', ''REFUNDED'')',
    '(state <> ''PAID'' AND state <> ''PARTIALLY_REFUNDED'' AND state <> ''REFUNDED'')')
    WHERE type = 'table' AND name = 'orders';
UPDATE sqlite_schema SET sql = replace(sql,
    'outcome IN (''applied'', ''noop'', ''duplicate'', ''anomaly'',
	        ''ignored'')',
    '(outcome = ''applied'' OR outcome = ''noop'' OR outcome = ''duplicate'' OR outcome = ''anomaly'' OR
	        outcome = ''ignored'')')
    WHERE type = 'table' AND name = 'notifications';
UPDATE sqlite_schema SET sql = replace(sql,
    'state IN (''CREATED'', ''PENDING'', ''UNKNOWN'', ''SUCCEEDED'',
	        ''FAILED'')',
    '(state = ''CREATED'' OR state = ''PENDING'' OR state = ''UNKNOWN'' OR state = ''SUCCEEDED'' OR
	        state = ''FAILED'')')
    WHERE type = 'table' AND name = 'refunds';
UPDATE sqlite_schema SET sql = replace(sql,
    'source IN (''notify'', ''query'', ''reconciler'', ''admin'', ''pay'')',
    '(source = ''notify'' OR source = ''query'' OR source = ''reconciler'' OR source = ''admin'' OR source = ''pay'')')
    WHERE type = 'table' AND name = 'order_events';
UPDATE sqlite_schema SET sql = replace(sql,
    'old_state IN
	    (''CREATED'', ''PENDING'', ''UNKNOWN'', ''PAID'', ''FAILED'', ''CLOSED'',
	    ''PARTIALLY_REFUNDED'', ''REFUNDED'')',
    '(old_state = ''CREATED'' OR old_state = ''PENDING'' OR old_state = ''UNKNOWN'' OR old_state = ''PAID'' OR old_state = ''FAILED'' OR old_state = ''CLOSED'' OR
	    old_state = ''PARTIALLY_REFUNDED'' OR old_state = ''REFUNDED'')')
    WHERE type = 'table' AND name = 'order_events';
UPDATE sqlite_schema SET sql = replace(sql,
    'new_state IN
	    (''CREATED'', ''PENDING'', ''UNKNOWN'', ''PAID'', ''FAILED'', ''CLOSED'',
	    ''PARTIALLY_REFUNDED'', ''REFUNDED'')',
    '(new_state = ''CREATED'' OR new_state = ''PENDING'' OR new_state = ''UNKNOWN'' OR new_state = ''PAID'' OR new_state = ''FAILED'' OR new_state = ''CLOSED'' OR
	    new_state = ''PARTIALLY_REFUNDED'' OR new_state = ''REFUNDED'')')
    WHERE type = 'table' AND name = 'order_events';
UPDATE sqlite_schema SET sql = replace(sql,
    'result IN (''ok'', ''refused'', ''failed'')',
    '(result = ''ok'' OR result = ''refused'' OR result = ''failed'')')
    WHERE type = 'table' AND name = 'admin_audit';
UPDATE sqlite_schema SET sql = replace(sql,
    'kind IN (''user'', ''ip'', ''pair'')',
    '(kind = ''user'' OR kind = ''ip'' OR kind = ''pair'')')
    WHERE type = 'table' AND name = 'admin_lockouts';
UPDATE sqlite_schema SET sql = replace(sql,
    'type IN (''payment.paid'', ''payment.failed'',
	    ''payment.closed'', ''refund.succeeded'', ''refund.failed'',
	    ''anomaly.raised'', ''test'')',
    '(type = ''payment.paid'' OR type = ''payment.failed'' OR
	    type = ''payment.closed'' OR type = ''refund.succeeded'' OR type = ''refund.failed'' OR
	    type = ''anomaly.raised'' OR type = ''test'')')
    WHERE type = 'table' AND name = 'outbox';
UPDATE sqlite_schema SET sql = replace(sql,
    'state IN (''pending'', ''sending'', ''delivered'', ''failed'')',
    '(state = ''pending'' OR state = ''sending'' OR state = ''delivered'' OR state = ''failed'')')
    WHERE type = 'table' AND name = 'outbox';
UPDATE sqlite_schema SET sql = replace(sql,
    'kind IN (''amount_mismatch'', ''currency_mismatch'',
	        ''unknown_order'', ''paid_after_closed'', ''paid_after_failed'',
	        ''status_conflict'', ''unknown_refund'', ''refund_mismatch'',
	        ''refund_over_amount'', ''provider_refused'', ''unresolved'',
	        ''signature_failures'', ''unknown_stale'')',
    '(kind = ''amount_mismatch'' OR kind = ''currency_mismatch'' OR
	        kind = ''unknown_order'' OR kind = ''paid_after_closed'' OR kind = ''paid_after_failed'' OR
	        kind = ''status_conflict'' OR kind = ''unknown_refund'' OR kind = ''refund_mismatch'' OR
	        kind = ''refund_over_amount'' OR kind = ''provider_refused'' OR kind = ''unresolved'' OR
	        kind = ''signature_failures'' OR kind = ''unknown_stale'')')
    WHERE type = 'table' AND name = 'anomalies';
UPDATE sqlite_schema SET sql = replace(sql,
    'source IN (''notify'', ''query'', ''reconciler'', ''admin'', ''pay'')',
    '(source = ''notify'' OR source = ''query'' OR source = ''reconciler'' OR source = ''admin'' OR source = ''pay'')')
    WHERE type = 'table' AND name = 'anomalies';
PRAGMA writable_schema = OFF;
