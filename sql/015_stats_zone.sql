-- 015_stats_zone: the dashboard's cache of closed days keeps the shop's
-- days, not only UTC ones.
--
-- admin_stats_days (004) held UTC days only (day % 86400 = 0), and the
-- dashboard shows days of merchant_timezone (issue 13), Asia/Hong_Kong by
-- default: with the default configuration every request recomputed the
-- whole range (tests/bench/admin_bench.sh, 1M orders, 30 days: p50 132 ms
-- against 1.7 ms with the cache). A row is now one day of one zone offset:
-- day is the day's first second (UTC), utc_offset the zone's offset from
-- UTC that day, so (day + utc_offset) is a multiple of 86400. The table
-- is a cache (every figure is recomputed from orders and refunds when
-- missing), so it is recreated empty.
DROP TABLE admin_stats_days;
CREATE TABLE admin_stats_days (
	day INTEGER NOT NULL,
	utc_offset INTEGER NOT NULL
	    CHECK (utc_offset > -86400 AND utc_offset < 86400),
	currency TEXT NOT NULL CHECK (length(currency) = 3),
	orders INTEGER NOT NULL,
	paid_count INTEGER NOT NULL,
	paid_amount INTEGER NOT NULL,
	refund_count INTEGER NOT NULL,
	refund_amount INTEGER NOT NULL,
	computed_at INTEGER NOT NULL,
	CHECK ((day + utc_offset) % 86400 = 0),
	PRIMARY KEY (day, utc_offset, currency)
) STRICT, WITHOUT ROWID;
