/*
 * cli_useepay.c - h5pay useepay pay|query|refund: one UseePay call from
 * the command line, for operators debugging a deployment and for the
 * simulator's integration tests.
 *
 * It loads the configuration and keys like h5payd, talks through the real
 * libcurl client, and prints ONE JSON object on stdout:
 *   {"outcome": "ok"|"failed"|"refused_unsigned"|"unknown"|
 *    "bad_signature"|"malformed"|
 *    "too_big", "resultCode", "errorCode", "errorMsg", "reference",
 *    "jsapi": {...} (pay) | "transaction": {...} (query), "message"}
 * Exit status: 0 when the outcome is known (ok, failed), 3 when it is not
 * (unknown, bad_signature, malformed, too_big), 2 for bad usage or a
 * request we refuse to send, 1 when the config or keys do not load.
 * What it does not do: touch the database (no order state changes).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "app.h"
#include "cfg.h"
#include "cli.h"
#include "httpc.h"
#include "keys.h"
#include "log.h"
#include "useepay.h"
#include "util.h"

struct cli_up_opts {
	const char *cmd;		/* pay | query | refund */
	const char *cfg_path;
	const char *order, *refund, *openid, *subject, *echo, *ip,
	    *reserved;
	int64_t amount;
};

static int
cli_up_usage(void)
{
	fprintf(stderr,
	    "usage: h5pay useepay pay -c FILE --order NO --amount N "
	    "--openid OID [--subject S] [--echo E] [--ip A] [--reserved R]\n"
	    "       h5pay useepay query -c FILE --order NO\n"
	    "       h5pay useepay refund -c FILE --refund NO --order NO "
	    "--amount N [--echo E]\n"
	    "Amounts are minor units of useepay_currency. Prints one JSON "
	    "object; exit 0 when\nthe outcome is known (ok, failed), 3 when "
	    "it is not.\n");
	return 2;
}

static int64_t
cli_up_now_ms(void *ctx)
{
	(void)ctx;
	return now_ms();
}

static void
cli_up_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static const char *
cli_up_outcome(enum err_code code)
{
	switch (code) {
	case E_UNKNOWN:
		return "unknown";
	case E_UPSTREAM_SIG:
		return "bad_signature";
	case E_TOOBIG:
		return "too_big";
	case E_INPUT:
		return "invalid";
	case E_INTERNAL:
		return "error";
	default:
		return "malformed";	/* E_UPSTREAM: garbage or unreachable */
	}
}

static int
cli_up_parse(int argc, char **argv, struct cli_up_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->amount = -1;
	if (argc < 2)
		return -1;
	o->cmd = argv[1];
	for (i = 2; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			return -1;
		if (strcmp(a, "-c") == 0)
			o->cfg_path = v;
		else if (strcmp(a, "--order") == 0)
			o->order = v;
		else if (strcmp(a, "--refund") == 0)
			o->refund = v;
		else if (strcmp(a, "--openid") == 0)
			o->openid = v;
		else if (strcmp(a, "--subject") == 0)
			o->subject = v;
		else if (strcmp(a, "--echo") == 0)
			o->echo = v;
		else if (strcmp(a, "--ip") == 0)
			o->ip = v;
		else if (strcmp(a, "--reserved") == 0)
			o->reserved = v;
		else if (strcmp(a, "--amount") == 0) {
			if (parse_i64z(v, 1, INT64_MAX, &o->amount) == -1) {
				fprintf(stderr, "h5pay useepay: bad --amount\n");
				return -1;
			}
		} else
			return -1;
	}
	if (o->cfg_path == NULL || o->order == NULL)
		return -1;
	if (strcmp(o->cmd, "pay") == 0)
		return o->amount > 0 && o->openid ? 0 : -1;
	if (strcmp(o->cmd, "query") == 0)
		return 0;
	if (strcmp(o->cmd, "refund") == 0)
		return o->amount > 0 && o->refund ? 0 : -1;
	return -1;
}

static struct json_object *
cli_up_txn(const struct useepay_txn *t)
{
	struct json_object *o = json_object_new_object();

	cli_up_str(o, "status", useepay_status_name(t->status));
	cli_up_str(o, "resultCode", t->result_code);
	cli_up_str(o, "transactionType", t->transaction_type);
	cli_up_str(o, "transactionId", t->transaction_id);
	cli_up_str(o, "originalTransactionId", t->original_transaction_id);
	cli_up_str(o, "reference", t->reference);
	json_object_object_add(o, "amount", t->amount >= 0 ?
	    json_object_new_int64(t->amount) : NULL);
	cli_up_str(o, "currency", t->currency);
	cli_up_str(o, "errorCode", t->error_code);
	cli_up_str(o, "errorMsg", t->error_msg);
	cli_up_str(o, "echoParam", t->echo);
	return o;
}

/* Perform the call and fill out; returns the exit status. */
static int
cli_up_call(struct app *a, const struct cli_up_opts *o,
    struct json_object *out)
{
	const struct cfg *c = a->cfg;
	struct err err;
	enum useepay_outcome oc = UP_FAILED;
	int rc;

	err_clear(&err);
	if (strcmp(o->cmd, "pay") == 0) {
		struct useepay_pay_req rq = {
			.order_no = o->order, .amount = o->amount,
			.currency = c->useepay_currency,
			.subject = o->subject ? o->subject : "h5pay test order",
			.openid = o->openid,
			.expiration_min = (int)c->useepay_expiration_min,
			.echo = o->echo,
			.buyer_ip = o->ip,
			.reserved = o->reserved,
		};
		struct useepay_pay_res r;
		struct json_object *js;

		if ((rc = useepay_pay(a, &rq, &r, &err)) == 0) {
			oc = r.outcome;
			cli_up_str(out, "status", useepay_status_name(r.status));
			cli_up_str(out, "resultCode", r.result_code);
			cli_up_str(out, "errorCode", r.error_code);
			cli_up_str(out, "errorMsg", r.error_msg);
			cli_up_str(out, "reference", r.reference);
			js = NULL;
			if (r.outcome == UP_OK) {
				js = json_object_new_object();
				cli_up_str(js, "appId", r.jsapi.app_id);
				cli_up_str(js, "timeStamp", r.jsapi.time_stamp);
				cli_up_str(js, "nonceStr", r.jsapi.nonce_str);
				cli_up_str(js, "package", r.jsapi.package);
				cli_up_str(js, "signType", r.jsapi.sign_type);
				cli_up_str(js, "paySign", r.jsapi.pay_sign);
			}
			json_object_object_add(out, "jsapi", js);
			useepay_pay_res_cleanup(&r);
		}
	} else if (strcmp(o->cmd, "query") == 0) {
		struct useepay_query_res r;

		if ((rc = useepay_query(a, o->order, &r, &err)) == 0) {
			oc = r.outcome;
			cli_up_str(out, "resultCode", r.txn.result_code);
			cli_up_str(out, "errorCode", r.error_code);
			cli_up_str(out, "errorMsg", r.error_msg);
			cli_up_str(out, "reference", r.txn.reference);
			json_object_object_add(out, "transaction", r.found ?
			    cli_up_txn(&r.txn) : NULL);
			useepay_query_res_cleanup(&r);
		}
	} else {
		struct useepay_refund_req rq = {
			.refund_no = o->refund, .order_no = o->order,
			.amount = o->amount, .currency = c->useepay_currency,
			.echo = o->echo, .reserved = o->reserved,
		};
		struct useepay_refund_res r;

		if ((rc = useepay_refund(a, &rq, &r, &err)) == 0) {
			oc = r.outcome;
			cli_up_str(out, "status", useepay_status_name(r.status));
			cli_up_str(out, "resultCode", r.result_code);
			cli_up_str(out, "errorCode", r.error_code);
			cli_up_str(out, "errorMsg", r.error_msg);
			cli_up_str(out, "reference", r.reference);
			useepay_refund_res_cleanup(&r);
		}
	}
	if (rc == 0) {
		cli_up_str(out, "outcome", oc == UP_OK ? "ok" : oc ==
		    UP_REFUSED ? "refused_unsigned" : "failed");
		return 0;
	}
	cli_up_str(out, "outcome", cli_up_outcome(err.code));
	cli_up_str(out, "message", err.msg);
	if (err.code == E_INPUT)
		return 2;
	return err.code == E_INTERNAL ? 1 : 3;
}

int
cli_useepay(int argc, char **argv)
{
	struct cli_up_opts o;
	struct keys *keys = NULL;
	struct json_object *out = NULL;
	struct cfg c;
	struct app a;
	struct err err;
	enum log_level lvl;
	int rc = 1;

	if (cli_up_parse(argc, argv, &o) == -1)
		return cli_up_usage();
	if (httpc_global_init() == -1) {
		fprintf(stderr, "h5pay useepay: curl_global_init failed\n");
		return 1;
	}
	err_clear(&err);
	if (cfg_load(&c, o.cfg_path, &err) == -1) {
		fprintf(stderr, "h5pay useepay: %s\n", err.msg);
		return 1;
	}
	if (log_level_parse(c.log_level, &lvl) == 0)
		log_set_level(lvl);
	memset(&a, 0, sizeof(a));
	if (keys_load(&keys, &c, &err) == -1) {
		fprintf(stderr, "h5pay useepay: %s\n", err.msg);
		goto out;
	}
	a.cfg = &c;
	a.keys = keys;
	a.pool = POOL_TASKS;
	a.clock.now_ms = cli_up_now_ms;
	a.rng.bytes = random_bytes;
	if ((a.httpc = httpc_curl_new(&c, &err)) == NULL) {
		fprintf(stderr, "h5pay useepay: %s\n", err.msg);
		goto out;
	}
	out = json_object_new_object();
	json_object_object_add(out, "outcome", NULL);	/* first key */
	rc = cli_up_call(&a, &o, out);
	printf("%s\n", json_object_to_json_string_ext(out,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
out:
	json_object_put(out);
	httpc_free(a.httpc);
	keys_free(keys);
	cfg_cleanup(&c);
	return rc;
}
