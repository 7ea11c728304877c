-- 001_init (PostgreSQL): the database's identity; sql/001_init.sql is the
-- SQLite text. Both schemas are compared by tests/pg/schema_check.py.
-- h5pay_json_valid() stands in for SQLite's json_valid() in CHECKs
-- (PostgreSQL 15 has no IS JSON).
CREATE FUNCTION h5pay_json_valid(t text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	PERFORM t::jsonb;
	RETURN true;
EXCEPTION WHEN others THEN
	RETURN false;
END
$$;

CREATE TABLE meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

INSERT INTO meta (key, value)
    VALUES ('created_at', (extract(epoch FROM now())::bigint)::text);
