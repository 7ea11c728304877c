-- 012_checks (PostgreSQL): nothing to do. sql/012_checks.sql rewrites
-- SQLite's CHECK (x IN (...)) constraints as equivalent OR chains because
-- SQLite builds a temporary B-tree for each such check; PostgreSQL
-- evaluates IN lists directly and keeps its constraints as they are.
SELECT 1;
