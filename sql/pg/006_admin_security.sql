-- PostgreSQL text of sql/006_admin_security.sql (same tables, columns, keys and index
-- names; tests/pg/schema_check.py compares the two).
-- 006_admin_security: issue 12 (black-box attack findings).
--
-- A second factor for admin accounts: an RFC 6238 TOTP secret (base32,
-- as shown once in the otpauth:// URI by `h5pay admin totp USER`; NULL
-- when not enrolled) and the last time step a code was accepted for, so
-- a code works once. The secret is a shared key that must sit in the
-- clear to check codes: the database file is the h5pay user's (0600).
ALTER TABLE admin_users ADD COLUMN totp_secret TEXT
    CHECK (totp_secret IS NULL OR (length(totp_secret) BETWEEN 16 AND 64
        AND totp_secret !~ '[^A-Z2-7]'));
ALTER TABLE admin_users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- Login lockouts per (user name, client address) pair: kind 'pair', key
-- the SHA-256 hex of "<user>\n<address>". A user name alone is no longer
-- locked (anyone could lock the merchant out): see src/admin.h.
-- (SQLite rebuilds the table; here the CHECK is replaced in place.)
DELETE FROM admin_lockouts WHERE kind <> 'ip';
ALTER TABLE admin_lockouts DROP CONSTRAINT admin_lockouts_kind_check;
ALTER TABLE admin_lockouts ADD CONSTRAINT admin_lockouts_kind_check
    CHECK (kind IN ('user', 'ip', 'pair'));

CREATE INDEX admin_login_attempts_pair ON admin_login_attempts
    (username, ip, at);
