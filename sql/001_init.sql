-- 001_init: the database's identity. The migration mechanism itself creates
-- schema_version; later migrations add orders, sessions, notifications.
CREATE TABLE meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

INSERT INTO meta (key, value) VALUES ('created_at', strftime('%s', 'now'));
