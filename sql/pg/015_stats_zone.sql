-- 015_stats_zone (PostgreSQL): the same table as sql/015_stats_zone.sql
-- (see its comment): one row per day of one zone offset; a cache,
-- recreated empty.
DROP TABLE admin_stats_days;
CREATE TABLE admin_stats_days (
	day BIGINT NOT NULL,
	utc_offset BIGINT NOT NULL
	    CHECK (utc_offset > -86400 AND utc_offset < 86400),
	currency TEXT NOT NULL CHECK (length(currency) = 3),
	orders BIGINT NOT NULL,
	paid_count BIGINT NOT NULL,
	paid_amount BIGINT NOT NULL,
	refund_count BIGINT NOT NULL,
	refund_amount BIGINT NOT NULL,
	computed_at BIGINT NOT NULL,
	CHECK ((day + utc_offset) % 86400 = 0),
	PRIMARY KEY (day, utc_offset, currency)
);
