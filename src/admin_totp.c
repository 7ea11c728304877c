/*
 * admin_totp.c - enrolling admin accounts for a second factor (RFC 6238
 * TOTP): a fresh 160-bit secret per enrolment, stored base32 with the
 * user, shown once as an otpauth:// URI (Key Uri Format: SHA1, 6 digits,
 * 30 s, issuer "h5pay"). Checking codes at login is admin.c's job
 * (sign_totp_verify).
 *
 * What it does not do: print (the CLI does) or keep the URI anywhere.
 * Invariants: the raw secret is wiped; every change is audited as "cli".
 */
#include <string.h>

#include "admin.h"
#include "form.h"
#include "sign_totp.h"
#include "store.h"
#include "store_admin.h"
#include "util.h"

/* Set (secret != NULL) or clear the user's secret, audited. */
static int
totp_set(struct store *s, const char *name, const char *secret, int64_t now,
    struct err *err)
{
	struct store_admin_user u;

	if (store_begin(s, err) == -1)
		return -1;
	if (store_admin_user_get(s, name, &u, err) == -1)
		goto fail;
	mem_wipe(u.pw_hash, sizeof(u.pw_hash));
	mem_wipe(u.totp_secret, sizeof(u.totp_secret));
	if (store_admin_user_set_totp(s, u.id, secret, now, err) == -1 ||
	    store_admin_audit_insert(s, now, "cli", secret ? "totp_enrol" :
	    "totp_remove", name, "", "ok", "", "", err) == -1)
		goto fail;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

int
admin_user_totp(struct store *s, const char *name, int64_t now,
    struct buf *uri, struct err *err)
{
	unsigned char raw[TOTP_SECRET_BYTES];
	struct buf b32;
	int rc = -1;

	buf_init(&b32, TOTP_SECRET_B32_MAX + 1);
	if (!admin_username_ok(name)) {
		err_set(err, E_INPUT, "user name: 1..64 of [0-9A-Za-z_.@-]");
		goto out;
	}
	if (random_bytes(NULL, raw, sizeof(raw)) == -1) {
		err_set(err, E_INTERNAL, "no random bytes for a secret");
		goto out;
	}
	sign_base32_encode(raw, sizeof(raw), &b32);
	if (totp_set(s, name, buf_str(&b32), now, err) == -1)
		goto out;
	buf_adds(uri, "otpauth://totp/h5pay:");
	form_encode_component(uri, name, strlen(name));
	buf_adds(uri, "?secret=");
	buf_adds(uri, buf_str(&b32));
	buf_adds(uri, "&issuer=h5pay&algorithm=SHA1&digits=6&period=30");
	rc = 0;
out:
	mem_wipe(raw, sizeof(raw));
	if (b32.data)
		mem_wipe(b32.data, b32.len);
	buf_cleanup(&b32);
	return rc;
}

int
admin_user_totp_off(struct store *s, const char *name, int64_t now,
    struct err *err)
{
	return totp_set(s, name, NULL, now, err);
}
