-- 006_admin_security: issue 12 (black-box attack findings).
--
-- A second factor for admin accounts: an RFC 6238 TOTP secret (base32,
-- as shown once in the otpauth:// URI by `h5pay admin totp USER`; NULL
-- when not enrolled) and the last time step a code was accepted for, so
-- a code works once. The secret is a shared key that must sit in the
-- clear to check codes: the database file is the h5pay user's (0600).
ALTER TABLE admin_users ADD COLUMN totp_secret TEXT
    CHECK (totp_secret IS NULL OR (length(totp_secret) BETWEEN 16 AND 64
        AND totp_secret NOT GLOB '*[^A-Z2-7]*'));
ALTER TABLE admin_users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- Login lockouts per (user name, client address) pair: kind 'pair', key
-- the SHA-256 hex of "<user>\n<address>". A user name alone is no longer
-- locked (anyone could lock the merchant out): see src/admin.h.
CREATE TABLE admin_lockouts_new (
	kind TEXT NOT NULL CHECK (kind IN ('user', 'ip', 'pair')),
	key TEXT NOT NULL CHECK (length(key) <= 64),
	until INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (kind, key)
) STRICT;
INSERT INTO admin_lockouts_new (kind, key, until, created_at)
    SELECT kind, key, until, created_at FROM admin_lockouts
    WHERE kind = 'ip';
DROP TABLE admin_lockouts;
ALTER TABLE admin_lockouts_new RENAME TO admin_lockouts;

CREATE INDEX admin_login_attempts_pair ON admin_login_attempts
    (username, ip, at);
