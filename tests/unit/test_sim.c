/*
 * test_sim.c - h5pay-sim's pure pieces and its store: the configuration
 * table, currency exponents, HTML escaping, and the store's invariants
 * (transactionId unique per merchant, refunds never above the amount,
 * OAuth codes single-use and expiring, one sender per notification).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"
#include "store.h"
#include "t.h"
#include "util.h"

static char dir[] = "/tmp/h5pay-test-sim-XXXXXX";

static const char *
write_file(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

#define BASE "listen = sim.sock\ndb_path = sim.db\nmerchant_no = M1\n" \
	"wechat_appid = wx1\nwechat_secret_file = s\n" \
	"wechat_private_key_file = k.pem\n"

static void
test_cfg(void)
{
	struct sim_cfg c;
	struct err err;
	char want[600];

	T_EQ_INT(sim_cfg_load(&c, write_file("a.conf", BASE
	    "md5_key_file = md5\nnotify_minute_ms = 5\n"), &err), 0);
	snprintf(want, sizeof(want), "%s/sim.sock", dir);
	T_EQ_STR(c.listen, want);
	T_EQ_INT(c.notify_minute_ms, 5);
	T_EQ_INT(c.threads, 4);
	T_EQ_INT(c.oauth_code_ttl_sec, 300);
	T_EQ_STR(c.currencies, "HKD,CNY");
	T_OK(c.cors_origin == NULL);
	sim_cfg_cleanup(&c);

	/* no way to verify requests */
	T_EQ_INT(sim_cfg_load(&c, write_file("b.conf", BASE), &err), -1);
	T_OK(strstr(err.msg, "md5_key_file") != NULL);
	/* RSA verification without a key to answer with */
	T_EQ_INT(sim_cfg_load(&c, write_file("c.conf", BASE
	    "merchant_public_key_file = p.pem\n"), &err), -1);
	T_OK(strstr(err.msg, "provider_private_key_file") != NULL);
	T_EQ_INT(sim_cfg_load(&c, write_file("d.conf", BASE
	    "md5_key_file = m\nbogus = 1\n"), &err), -1);
	T_OK(strstr(err.msg, "unknown key") != NULL);
	T_EQ_INT(sim_cfg_load(&c, write_file("e.conf", BASE
	    "md5_key_file = m\nmd5_key_file = n\n"), &err), -1);
	T_OK(strstr(err.msg, "twice") != NULL);
	T_EQ_INT(sim_cfg_load(&c, write_file("f.conf",
	    "listen = x\nmd5_key_file = m\n"), &err), -1);
	T_OK(strstr(err.msg, "required") != NULL);
	T_EQ_INT(sim_cfg_load(&c, write_file("g.conf", BASE
	    "md5_key_file = m\nthreads = 0\n"), &err), -1);
	T_EQ_INT(sim_cfg_load(&c, write_file("h.conf", BASE
	    "md5_key_file = m\ncors_origin = https://a.b/x\n"), &err), -1);
	T_EQ_INT(sim_cfg_load(&c, write_file("i.conf", BASE
	    "md5_key_file = m\nmerchant_no = 12345678901234567\n"), &err),
	    -1);
}

static void
test_helpers(void)
{
	struct buf b;

	T_EQ_INT(sim_currency_exponent("HKD"), 2);
	T_EQ_INT(sim_currency_exponent("JPY"), 0);
	T_EQ_INT(sim_currency_exponent("KRW"), 0);
	T_EQ_INT(sim_currency_exponent("KWD"), 3);
	buf_init(&b, 1024);
	sim_html_escape(&b, "<a href=\"x\">'&'</a>");
	T_EQ_STR(buf_str(&b),
	    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
	buf_cleanup(&b);
}

static void
txn_fill(struct sim_txn *t, const char *tid, const char *ref)
{
	memset(t, 0, sizeof(*t));
	t->kind = SIM_PAY;
	str_lcpy(t->merchant_no, "M1", sizeof(t->merchant_no));
	str_lcpy(t->transaction_id, tid, sizeof(t->transaction_id));
	str_lcpy(t->reference, ref, sizeof(t->reference));
	t->amount = 1000;
	str_lcpy(t->currency, "HKD", sizeof(t->currency));
	str_lcpy(t->status, "pending", sizeof(t->status));
	str_lcpy(t->sign_type, "MD5", sizeof(t->sign_type));
	str_lcpy(t->notify_url, "https://x/notify", sizeof(t->notify_url));
	t->created_ms = t->updated_ms = 1000;
	t->expires_ms = 5000;
}

static void
test_store(void)
{
	struct store_opts so = {"NORMAL", 1000, false};
	struct store *s = NULL;
	struct sim_txn t, u;
	struct sim_notif n;
	struct err err;
	char path[512], openid[64], scope[32];
	int64_t ids[4], nid;
	int cnt;

	snprintf(path, sizeof(path), "%s/sim.db", dir);
	T_EQ_INT(store_open(&s, path, &so, &err), 0);
	T_EQ_INT(sim_store_migrate(s, &err), 0);
	T_EQ_INT(sim_store_migrate(s, &err), 0);	/* idempotent */

	txn_fill(&t, "T1", "REF1");
	T_EQ_INT(sim_txn_insert(s, &t, &err), 0);
	txn_fill(&u, "T1", "REF2");
	T_EQ_INT(sim_txn_insert(s, &u, &err), -1);
	T_EQ_INT(err.code, E_CONFLICT);
	T_EQ_INT(sim_txn_get(s, "M1", "T1", &u, &err), 0);
	T_EQ_STR(u.reference, "REF1");
	T_EQ_INT(sim_txn_get(s, "M1", "T9", &u, &err), -1);
	T_EQ_INT(err.code, E_NOTFOUND);

	/* refunded stays within 0..amount */
	T_EQ_INT(sim_txn_add_refunded(s, t.id, 600, &err), 0);
	T_EQ_INT(sim_txn_add_refunded(s, t.id, 401, &err), -1);
	T_EQ_INT(err.code, E_CONFLICT);
	T_EQ_INT(sim_txn_add_refunded(s, t.id, 400, &err), 0);
	T_EQ_INT(sim_txn_add_refunded(s, t.id, -1001, &err), -1);

	/* conditional status change */
	T_EQ_INT(sim_txn_set_status(s, t.id, "pending", "succeed", "0000",
	    "Success", 2000, &err), 0);
	T_EQ_INT(sim_txn_set_status(s, t.id, "pending", "closed", "3300",
	    "x", 2000, &err), -1);
	T_EQ_INT(err.code, E_CONFLICT);

	/* expiry: a pending pay past expires_ms is due */
	txn_fill(&u, "T2", "REF3");
	T_EQ_INT(sim_txn_insert(s, &u, &err), 0);
	T_EQ_INT(sim_txn_due(s, 4999, 0, ids, 4, &cnt, &err), 0);
	T_EQ_INT(cnt, 0);
	T_EQ_INT(sim_txn_due(s, 5000, 0, ids, 4, &cnt, &err), 0);
	T_EQ_INT(cnt, 1);
	T_EQ_INT(ids[0], u.id);

	/* codes: once, and not after their time */
	T_EQ_INT(sim_code_insert(s, "c1", "oA", "snsapi_base", 10000, &err),
	    0);
	T_EQ_INT(sim_code_take(s, "c1", 10001, openid, sizeof(openid), scope,
	    sizeof(scope), &err), -1);
	T_EQ_INT(err.code, E_INPUT);		/* expired, not used up */
	T_EQ_INT(sim_code_take(s, "c1", 9000, openid, sizeof(openid), scope,
	    sizeof(scope), &err), 0);
	T_EQ_STR(openid, "oA");
	T_EQ_STR(scope, "snsapi_base");
	T_EQ_INT(sim_code_take(s, "c1", 9000, openid, sizeof(openid), scope,
	    sizeof(scope), &err), -1);
	T_EQ_INT(err.code, E_CONFLICT);
	T_EQ_INT(sim_code_take(s, "nope", 0, openid, sizeof(openid), scope,
	    sizeof(scope), &err), -1);
	T_EQ_INT(err.code, E_NOTFOUND);

	/* one sender per notification */
	T_EQ_INT(sim_notif_insert(s, t.id, "https://x/n", "a=1", 100, 100,
	    &nid, &err), 0);
	T_EQ_INT(sim_notif_claim(s, nid, 99, 5000, &err), -1);	/* not due */
	T_EQ_INT(sim_notif_claim(s, nid, 100, 5000, &err), 0);
	T_EQ_INT(sim_notif_claim(s, nid, 200, 5000, &err), -1);	/* leased */
	T_EQ_INT(err.code, E_CONFLICT);
	T_EQ_INT(sim_notif_get(s, nid, &n, &err), 0);
	T_EQ_STR(n.body, "a=1");
	free(n.body);
	T_EQ_INT(sim_notif_attempt(s, nid, 1, 300, 200, "", "OK", "delivered",
	    300, &err), 0);
	T_EQ_INT(sim_notif_get(s, nid, &n, &err), -1);	/* no longer pending */
	store_close(s);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	T_RUN(test_cfg);
	T_RUN(test_helpers);
	T_RUN(test_store);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return t_done();
}
