/*
 * test_useepay_msg.c - what UseePay sends us (useepay_msg.c,
 * useepay_json.c): notifications (signed, tampered, oversized, refunds,
 * folded fields, the doctor's self-test), the independent response
 * vectors with nested values, JSON answers as signed field lists, key
 * rotation, the optional request fields and per-call timeouts.
 */
#include "useepay_fixture.h"

/* ---------------------------------------------------------------------
 * notifications (§5)
 */

static char *
vector_form_raw(const char *name)
{
	struct json_object *root, *vs, *v, *x;
	char *out = NULL;
	size_t i;

	root = json_object_from_file(t_data(
	    "vectors/useepay_sign_vectors.json"));
	if (root == NULL || !json_object_object_get_ex(root, "vectors", &vs))
		goto out;
	for (i = 0; i < json_object_array_length(vs); i++) {
		v = json_object_array_get_idx(vs, i);
		if (json_object_object_get_ex(v, "name", &x) &&
		    strcmp(json_object_get_string(x), name) == 0 &&
		    json_object_object_get_ex(v, "formBody", &x))
			out = xstrdup(json_object_get_string(x));
	}
out:
	json_object_put(root);
	return out;
}

/* Replace the first `from` in s by `to` (same or shorter length). */
static void
str_subst(char *s, const char *from, const char *to)
{
	char *p = strstr(s, from);
	size_t fl = strlen(from), tl = strlen(to);

	if (p == NULL || tl > fl) {
		T_OK(!"substitution target missing");
		return;
	}
	memcpy(p, to, tl);
	memmove(p + tl, p + fl, strlen(p + fl) + 1);
}

struct notify_case {
	const char *name;
	const char *vector;
	bool rsa;			/* configured sign type */
	const char *merchant;		/* configured; NULL = MERCHANT */
	const char *from, *to;		/* edit of the body */
	int rc;
	enum err_code err;
};

static const struct notify_case notify_cases[] = {
	{"MD5 valid", "pay-notify-md5", false, NULL, NULL, NULL, 0, E_OK},
	{"RSA valid", "pay-notify-rsa", true, NULL, NULL, NULL, 0, E_OK},
	{"RSA, '+' in sign sent raw (decodes to space)", "pay-notify-rsa",
	    true, NULL, "%2B", "+", 0, E_OK},
	{"MD5 notify under RSA config", "pay-notify-md5", true, NULL, NULL,
	    NULL, -1, E_SIG},
	{"RSA notify under MD5 config", "pay-notify-rsa", false, NULL, NULL,
	    NULL, -1, E_SIG},
	{"wrong merchantNo", "pay-notify-md5", false, "500000000000001", NULL,
	    NULL, -1, E_SIG},
	{"tampered amount", "pay-notify-md5", false, NULL, "amount=1000",
	    "amount=1", -1, E_SIG},
	{"tampered resultCode, RSA", "pay-notify-rsa", true, NULL,
	    "resultCode=succeed", "resultCode=failed", -1, E_SIG},
	{"missing sign", "pay-notify-md5", false, NULL,
	    "&sign=d7db5ef6fdf94d46572b2686b6cbd662", "", -1, E_SIG},
	{"empty sign", "pay-notify-md5", false, NULL,
	    "sign=d7db5ef6fdf94d46572b2686b6cbd662", "sign=", -1, E_SIG},
	{"missing signType", "pay-notify-md5", false, NULL, "&signType=MD5",
	    "", -1, E_SIG},
	{"duplicated field", "pay-notify-md5", false, NULL, "version=1.0&",
	    "amount=1&", -1, E_INPUT},
	{"malformed form", "pay-notify-md5", false, NULL, "version=1.0",
	    "version=%z", -1, E_INPUT},
};

static void
test_notify_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(notify_cases) / sizeof(notify_cases[0]); i++) {
		const struct notify_case *nc = &notify_cases[i];
		struct useepay_txn txn;
		struct kvlist fields;
		struct cfg c = tcfg;
		struct err err;
		char *body = vector_form_raw(nc->vector);
		int rc, before = t_fail;

		T_OK(body != NULL);
		if (body == NULL)
			continue;
		if (nc->from)
			str_subst(body, nc->from, nc->to);
		c.useepay_sign_type = nc->rsa ? SIGN_RSA : SIGN_MD5;
		if (nc->merchant)
			c.useepay_merchant_no = (char *)(uintptr_t)nc->merchant;
		kvlist_init(&fields);
		err_clear(&err);
		rc = useepay_notify_parse(&c, nc->rsa ? &krsa : &kmd5, body,
		    strlen(body), &fields, &txn, &err);
		T_EQ_INT(rc, nc->rc);
		if (nc->rc == -1)
			T_EQ_INT(err.code, nc->err);
		else {
			T_EQ_INT(txn.status, UPS_SUCCEED);
			T_EQ_STR(txn.result_code, "succeed");
			T_EQ_STR(txn.transaction_type, "pay");
			T_EQ_STR(txn.transaction_id, ORDER);
			T_EQ_STR(txn.reference, "1012401011200000001");
			T_EQ_INT(txn.amount, 1000);
			T_EQ_STR(txn.currency, "HKD");
			T_EQ_STR(txn.error_code, "0000");
			T_EQ_STR(txn.error_msg,
			    "Approved or completed successfully");
			T_OK(txn.original_transaction_id == NULL);
			T_OK(txn.echo == NULL);
		}
		/* the decoded fields are kept either way */
		if (nc->err != E_INPUT)
			T_EQ_STR(kvlist_get(&fields, "transactionId"), ORDER);
		if (t_fail != before)
			fprintf(stderr, "  in case \"%s\" (err %d: %s)\n",
			    nc->name, (int)err.code, err.msg);
		useepay_txn_cleanup(&txn);
		kvlist_cleanup(&fields);
		free(body);
	}
}

static void
test_notify_oversize(void)
{
	struct useepay_txn txn;
	struct kvlist fields;
	struct err err;
	size_t n = LIM_NOTIFY_BODY + 1;
	char *body = xmalloc(n);

	memset(body, 'a', n);
	kvlist_init(&fields);
	T_EQ_INT(useepay_notify_parse(&tcfg, &kmd5, body, n, &fields, &txn,
	    &err), -1);
	T_EQ_INT(err.code, E_TOOBIG);
	T_EQ_INT(fields.n, 0);
	useepay_txn_cleanup(&txn);
	kvlist_cleanup(&fields);
	free(body);
}

/* A refund notify signed here (refund fields, echo, an unknown field). */
static void
test_notify_refund(void)
{
	struct useepay_txn txn;
	struct kvlist l, fields;
	struct buf sig, body;
	struct err err;

	kvlist_init(&l);
	kvlist_init(&fields);
	buf_init(&sig, 64);
	buf_init(&body, 4096);
	kvlist_adds(&l, "version", "1.0");
	kvlist_adds(&l, "merchantNo", MERCHANT);
	kvlist_adds(&l, "transactionId", "RF20240101000001");
	kvlist_adds(&l, "originalTransactionId", ORDER);
	kvlist_adds(&l, "reference", "2012401011200000001");
	kvlist_adds(&l, "transactionType", "refund");
	kvlist_adds(&l, "amount", "500");
	kvlist_adds(&l, "currency", "HKD");
	kvlist_adds(&l, "resultCode", "succeed");
	kvlist_adds(&l, "errorCode", "0000");
	kvlist_adds(&l, "echoParam", "r=1 & x");
	kvlist_adds(&l, "newField", "later addition");
	kvlist_adds(&l, "reserved", " ");
	kvlist_adds(&l, "signType", "MD5");
	T_OK(sign_md5(&l, MD5_KEY, &sig, &err) == 0);
	kvlist_adds(&l, "sign", buf_str(&sig));
	T_OK(form_encode(&body, &l) == 0);
	T_EQ_INT(useepay_notify_parse(&tcfg, &kmd5, body.data, body.len,
	    &fields, &txn, &err), 0);
	T_EQ_STR(txn.transaction_type, "refund");
	T_EQ_STR(txn.transaction_id, "RF20240101000001");
	T_EQ_STR(txn.original_transaction_id, ORDER);
	T_EQ_INT(txn.amount, 500);
	T_EQ_INT(txn.status, UPS_SUCCEED);
	T_EQ_STR(txn.echo, "r=1 & x");
	T_OK(txn.error_msg == NULL);
	T_EQ_INT(fields.n, l.n);
	useepay_txn_cleanup(&txn);
	kvlist_cleanup(&fields);
	kvlist_cleanup(&l);
	buf_cleanup(&sig);
	buf_cleanup(&body);
}

/* A kind=response vector: its answerBody decodes into exactly its params
 * (nested members as their JSON text, null absent), whose canonical string
 * is the vector's; the answer verifies and a changed byte inside a nested
 * member does not; the query built on it finds the paid transaction. */
static void
check_response_vector(struct json_object *v)
{
	struct json_object *x, *params;
	const char *name, *body, *type, *sts;
	struct kvlist l;
	struct buf canon;
	struct cfg c = tcfg;
	struct keys *k;
	struct err err;
	struct fake_httpc f;
	struct app a;
	struct useepay_query_res qr;
	char *bad, *p;
	size_t np = 0;
	int before = t_fail;

	json_object_object_get_ex(v, "name", &x);
	name = json_object_get_string(x);
	json_object_object_get_ex(v, "answerBody", &x);
	body = json_object_get_string(x);
	json_object_object_get_ex(v, "signType", &x);
	type = json_object_get_string(x);
	json_object_object_get_ex(v, "stringToSign", &x);
	sts = json_object_get_string(x);
	T_OK(json_object_object_get_ex(v, "params", &params));
	c.useepay_sign_type = strcmp(type, "RSA") == 0 ? SIGN_RSA : SIGN_MD5;
	k = c.useepay_sign_type == SIGN_RSA ? &krsa : &kmd5;

	kvlist_init(&l);
	err_clear(&err);
	T_EQ_INT(useepay_response_decode(&c, k, body, strlen(body), &l, &err),
	    0);
	{
		json_object_object_foreach(params, key, val)
		{
			const struct kv *e = kvlist_find(&l, key);

			np++;
			T_OK(e != NULL);
			if (e != NULL)
				T_EQ_STR(e->val, json_object_get_string(val));
		}
	}
	T_EQ_INT(l.n, np);
	buf_init(&canon, 1 << 20);
	T_EQ_INT(sign_canonical(&l, c.useepay_sign_type == SIGN_MD5 ? MD5_KEY :
	    NULL, &canon, &err), 0);
	T_EQ_STR(buf_str(&canon), sts);
	buf_cleanup(&canon);
	kvlist_cleanup(&l);

	/* one byte inside the nested member changed: not what was signed */
	bad = xstrdup(body);
	p = strstr(bad, "HKD\\\"") ? strstr(bad, "HKD\\\"") : strstr(bad,
	    "\"settleCurrency\":\"HKD\"");
	T_OK(p != NULL);
	if (p != NULL) {
		p = strstr(p, "HKD");
		p[0] = 'X';
		kvlist_init(&l);
		T_EQ_INT(useepay_response_decode(&c, k, bad, strlen(bad), &l,
		    &err), -1);
		T_EQ_INT(err.code, E_UPSTREAM_SIG);
		kvlist_cleanup(&l);
	}
	free(bad);
	/* white space inside a nested member is part of what was signed */
	if ((p = strstr(body, "\"settlement\": [ ")) != NULL) {
		bad = xstrdup(body);
		p = bad + (p - body);
		memmove(p + 13, p + 14, strlen(p + 14) + 1);
		kvlist_init(&l);
		T_EQ_INT(useepay_response_decode(&c, k, bad, strlen(bad), &l,
		    &err), -1);
		T_EQ_INT(err.code, E_UPSTREAM_SIG);
		kvlist_cleanup(&l);
		free(bad);
	}

	/* item 1: the query answer with `settlement` confirms the payment */
	fake_httpc_init(&f);
	app_make(&a, &c, &f);
	fake_httpc_reply(&f, 200, body, strlen(body));
	T_EQ_INT(useepay_query(&a, ORDER, &qr, &err), 0);
	T_EQ_INT(qr.outcome, UP_OK);
	T_OK(qr.found);
	T_EQ_INT(qr.txn.status, UPS_SUCCEED);
	T_EQ_INT(qr.txn.amount, 1000);
	T_EQ_STR(s_or_null(qr.txn.currency), "HKD");
	T_EQ_STR(s_or_null(qr.txn.reference), "1012401011200000001");
	useepay_query_res_cleanup(&qr);
	fake_httpc_cleanup(&f);
	if (t_fail != before)
		fprintf(stderr, "  in vector \"%s\"\n", name);
}

static void
test_response_vectors(void)
{
	struct json_object *root, *vs, *v, *x;
	size_t i, seen = 0;

	root = json_object_from_file(t_data(
	    "vectors/useepay_sign_vectors.json"));
	T_OK(root != NULL && json_object_object_get_ex(root, "vectors", &vs));
	if (root == NULL)
		return;
	for (i = 0; i < json_object_array_length(vs); i++) {
		v = json_object_array_get_idx(vs, i);
		if (!json_object_object_get_ex(v, "kind", &x) ||
		    strcmp(json_object_get_string(x), "response") != 0)
			continue;
		check_response_vector(v);
		seen++;
	}
	T_OK(seen >= 2);
	json_object_put(root);
}

/* json members: each kind of value, null, caps. */
static void
test_json_fields(void)
{
	static const char big_pre[] = "{\"a\":\"";
	static const char mixed[] = "{ \"s\" : \"x\\u00e9\" , \"n\": -1.5e3,"
	    "\"t\":true,\"z\":null,\"o\":{\"k\":[1, {\"q\":\"]}\"}]},"
	    "\"e\":{} }";
	struct kvlist l;
	struct err err;
	struct buf b;
	size_t i;

	kvlist_init(&l);
	T_EQ_INT(useepay_json_fields(mixed, strlen(mixed), "t", &l, &err), 0);
	T_EQ_INT(l.n, 5);
	T_EQ_STR(s_or_null(kvlist_get(&l, "s")), "x\xc3\xa9");
	T_EQ_STR(s_or_null(kvlist_get(&l, "n")), "-1.5e3");
	T_EQ_STR(s_or_null(kvlist_get(&l, "t")), "true");
	T_OK(kvlist_get(&l, "z") == NULL);
	T_EQ_STR(s_or_null(kvlist_get(&l, "o")), "{\"k\":[1, {\"q\":\"]}\"}]}");
	T_EQ_STR(s_or_null(kvlist_get(&l, "e")), "{}");
	kvlist_cleanup(&l);

	/* one nested member over LIM_UP_JSON_VALUE */
	buf_init(&b, 1 << 20);
	buf_adds(&b, "{\"a\":[\"");
	for (i = 0; i < LIM_UP_JSON_VALUE; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\"]}");
	kvlist_init(&l);
	T_EQ_INT(useepay_json_fields(b.data, b.len, "t", &l, &err), -1);
	T_EQ_INT(err.code, E_UPSTREAM);
	kvlist_cleanup(&l);
	/* the same size as a string is fine (the answer cap bounds it) */
	buf_reset(&b);
	buf_adds(&b, big_pre);
	for (i = 0; i < LIM_UP_JSON_VALUE; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\"}");
	kvlist_init(&l);
	T_EQ_INT(useepay_json_fields(b.data, b.len, "t", &l, &err), 0);
	kvlist_cleanup(&l);
	buf_cleanup(&b);
}

/* The fold attack (security): a genuine notification's errorCode and
 * errorMsg sent as ONE errorCode value signs the same canonical string;
 * it must be refused, and so must any token field holding '&' or '='. */
static void
test_notify_fold(void)
{
	static const char *const genuine[] = {
		"version", "1.0", "merchantNo", MERCHANT,
		"transactionId", ORDER, "reference", "1012401011200000001",
		"transactionType", "pay", "amount", "1000", "currency", "HKD",
		"resultCode", "succeed", "errorCode", "0000",
		"errorMsg", "Success", NULL,
	};
	struct kvlist l, fields;
	struct useepay_txn txn;
	struct buf sig, body;
	struct err err;
	const char *const *p;
	int pass;

	for (pass = 0; pass < 4; pass++) {
		kvlist_init(&l);
		for (p = genuine; *p; p += 2) {
			/* pass 1: errorCode=0000&errorMsg=Success folded into
			 * errorCode; pass 2: errorMsg swallowing merchantNo */
			if ((pass == 1 && strcmp(p[0], "errorMsg") == 0) ||
			    (pass == 2 && strcmp(p[0], "merchantNo") == 0))
				continue;
			if (pass == 1 && strcmp(p[0], "errorCode") == 0) {
				kvlist_adds(&l, "errorCode",
				    "0000&errorMsg=Success");
				continue;
			}
			if (pass == 2 && strcmp(p[0], "errorMsg") == 0) {
				kvlist_adds(&l, "errorMsg", "Success&"
				    "merchantNo=" MERCHANT);
				continue;
			}
			if (pass == 3 && strcmp(p[0], "errorMsg") == 0) {
				kvlist_adds(&l, "errorMsg", "A & B, x=1&y=2");
				kvlist_adds(&l, "echoParam", "e&c=h o+");
				continue;
			}
			kvlist_adds(&l, p[0], p[1]);
		}
		kvlist_adds(&l, "signType", "MD5");
		buf_init(&sig, 64);
		T_EQ_INT(sign_md5(&l, MD5_KEY, &sig, &err), 0);
		kvlist_adds(&l, "sign", buf_str(&sig));
		buf_init(&body, 8192);
		T_EQ_INT(form_encode(&body, &l), 0);
		kvlist_init(&fields);
		err_clear(&err);
		if (pass == 0 || pass == 3) {
			T_EQ_INT(useepay_notify_parse(&tcfg, &kmd5, body.data,
			    body.len, &fields, &txn, &err), 0);
			useepay_txn_cleanup(&txn);
		} else {
			T_EQ_INT(useepay_notify_parse(&tcfg, &kmd5, body.data,
			    body.len, &fields, &txn, &err), -1);
			T_EQ_INT(err.code, E_SIG);
			T_OK(strstr(err.msg, "folded") != NULL);
		}
		kvlist_cleanup(&fields);
		buf_cleanup(&body);
		buf_cleanup(&sig);
		kvlist_cleanup(&l);
	}
}

/* Rotation (issue 10): a notification signed with the second MD5 key, or
 * with UseePay's second public key, verifies; with a key we do not hold it
 * does not; MD5 is accepted under RSA only while an MD5 key is loaded. */
static void
test_key_rotation(void)
{
	char *md5 = vector_form_raw("pay-notify-md5");
	char *rsa = vector_form_raw("pay-notify-rsa");
	struct keys k;
	struct cfg c = tcfg;
	struct kvlist fields;
	struct useepay_txn txn;
	struct err err;
	int i;

	T_OK(md5 != NULL && rsa != NULL);
	if (md5 == NULL || rsa == NULL)
		goto out;
	for (i = 0; i < 7; i++) {
		const char *body = i < 3 ? md5 : rsa;
		int want = 0, before = t_fail;

		k = i < 3 ? kmd5 : krsa;
		c.useepay_sign_type = k.sign_type;
		switch (i) {
		case 0:		/* the old key is the next one: verifies */
			k.md5_key = "NEWKEY0000000000";
			k.md5_key_next = MD5_KEY;
			break;
		case 1:		/* neither key: refused */
			k.md5_key = "NEWKEY0000000000";
			k.md5_key_next = "OTHER";
			want = -1;
			break;
		case 2:		/* MD5 while RSA is configured, key kept */
			k = krsa;
			c.useepay_sign_type = SIGN_RSA;
			k.md5_key = MD5_KEY;
			break;
		case 3:		/* UseePay's second public key */
			k.provider_pub = sign_key_load_public(t_data(
			    "vectors/rsa1024_pub.pem"), &err);
			k.provider_pub_next = krsa.provider_pub;
			break;
		case 4:		/* no key of UseePay's: refused */
			k.provider_pub_next = NULL;
			k.provider_pub = sign_key_load_public(t_data(
			    "vectors/rsa1024_pub.pem"), &err);
			want = -1;
			break;
		case 5:		/* RSA while MD5 is configured, pub kept */
			k = kmd5;
			c.useepay_sign_type = SIGN_MD5;
			k.provider_pub = krsa.provider_pub;
			break;
		case 6:		/* MD5 configured, no public key: refused */
			k = kmd5;
			c.useepay_sign_type = SIGN_MD5;
			want = -1;
			break;
		}
		kvlist_init(&fields);
		err_clear(&err);
		T_EQ_INT(useepay_notify_parse(&c, &k, body, strlen(body),
		    &fields, &txn, &err), want);
		if (want == -1)
			T_EQ_INT(err.code, E_SIG);
		else
			T_EQ_STR(s_or_null(txn.transaction_id), ORDER);
		if (t_fail != before)
			fprintf(stderr, "  in rotation case %d: %s\n", i,
			    err.msg);
		useepay_txn_cleanup(&txn);
		kvlist_cleanup(&fields);
		if (i == 3 || i == 4)
			sign_key_free(k.provider_pub);
	}
out:
	free(md5);
	free(rsa);
}

/* Items 5 and 7: userInfo.ip, terminalType and reserved are sent (and
 * signed) when given; each call carries its own timeout. */
static void
test_optional_fields_and_timeouts(void)
{
	struct useepay_pay_req rq = pay_req;
	struct useepay_pay_res pr;
	struct useepay_query_res qr;
	struct useepay_refund_res rr;
	struct kvlist l, sent;
	struct cfg c = tcfg;
	struct fake_httpc f;
	struct app a;
	struct err err;

	c.useepay_send_user_info = true;
	c.useepay_terminal_type = "WAP";
	rq.buyer_ip = "203.0.113.7";
	rq.reserved = "r-1";
	kvlist_init(&l);
	T_EQ_INT(useepay_pay_build(&c, &kmd5, &rq, &l, &err), 0);
	T_EQ_STR(s_or_null(kvlist_get(&l, "userInfo")),
	    "{\"ip\":\"203.0.113.7\"}");
	T_EQ_STR(s_or_null(kvlist_get(&l, "terminalType")), "WAP");
	T_EQ_STR(s_or_null(kvlist_get(&l, "reserved")), "r-1");
	T_EQ_INT(sign_verify_md5(&l, MD5_KEY, &err), 0);
	kvlist_cleanup(&l);
	/* IPv6 is an address too; garbage or the switch off: no userInfo */
	rq.buyer_ip = "2001:db8::1";
	kvlist_init(&l);
	T_EQ_INT(useepay_pay_build(&c, &kmd5, &rq, &l, &err), 0);
	T_EQ_STR(s_or_null(kvlist_get(&l, "userInfo")),
	    "{\"ip\":\"2001:db8::1\"}");
	kvlist_cleanup(&l);
	rq.buyer_ip = "1.2.3.4\",\"x\":\"";
	kvlist_init(&l);
	T_EQ_INT(useepay_pay_build(&c, &kmd5, &rq, &l, &err), 0);
	T_OK(kvlist_get(&l, "userInfo") == NULL);
	kvlist_cleanup(&l);
	rq.buyer_ip = "203.0.113.7";
	c.useepay_send_user_info = false;
	c.useepay_terminal_type = NULL;
	rq.reserved = NULL;
	kvlist_init(&l);
	T_EQ_INT(useepay_pay_build(&c, &kmd5, &rq, &l, &err), 0);
	T_OK(kvlist_get(&l, "userInfo") == NULL);
	T_OK(kvlist_get(&l, "terminalType") == NULL);
	T_OK(kvlist_get(&l, "reserved") == NULL);
	kvlist_cleanup(&l);

	/* timeouts: one per call */
	c.useepay_pay_timeout_ms = 31000;
	c.useepay_query_timeout_ms = 9000;
	c.useepay_refund_timeout_ms = 27000;
	fake_httpc_init(&f);
	app_make(&a, &c, &f);
	fake_httpc_fail(&f, E_UNKNOWN);
	T_EQ_INT(useepay_pay(&a, &rq, &pr, &err), -1);
	T_EQ_INT(f.timeout_ms, 31000);
	T_EQ_INT(useepay_query(&a, ORDER, &qr, &err), -1);
	T_EQ_INT(f.timeout_ms, 9000);
	T_EQ_INT(useepay_refund(&a, &refund_req, &rr, &err), -1);
	T_EQ_INT(f.timeout_ms, 27000);
	/* the body sent is the one built (userInfo included when on) */
	c.useepay_send_user_info = true;
	T_EQ_INT(useepay_pay(&a, &rq, &pr, &err), -1);
	kvlist_init(&sent);
	T_EQ_INT(form_decode(f.body.data, f.body.len, &sent, &err), 0);
	T_EQ_STR(s_or_null(kvlist_get(&sent, "userInfo")),
	    "{\"ip\":\"203.0.113.7\"}");
	kvlist_cleanup(&sent);
	fake_httpc_cleanup(&f);
}

/* h5pay doctor's self-test notification: signed with our own key (MD5
 * key, or the merchant RSA key), parsed as a verified unknown type; one
 * signed with anything else is refused. */
static void
test_selftest_notification(void)
{
	int rsa;

	for (rsa = 0; rsa < 2; rsa++) {
		struct cfg c = tcfg;
		struct keys *k = rsa ? &krsa : &kmd5;
		struct kvlist l, fields;
		struct useepay_txn txn;
		struct buf body;
		struct err err;

		c.useepay_sign_type = rsa ? SIGN_RSA : SIGN_MD5;
		kvlist_init(&l);
		T_EQ_INT(useepay_selftest_build(&c, k, "DOCTOR0011", &l, &err),
		    0);
		buf_init(&body, 8192);
		T_EQ_INT(form_encode(&body, &l), 0);
		kvlist_init(&fields);
		T_EQ_INT(useepay_notify_parse(&c, k, body.data, body.len,
		    &fields, &txn, &err), 0);
		T_EQ_STR(s_or_null(txn.transaction_type),
		    USEEPAY_SELFTEST_TYPE);
		T_EQ_STR(s_or_null(txn.transaction_id), "DOCTOR0011");
		useepay_txn_cleanup(&txn);
		kvlist_cleanup(&fields);
		/* UseePay's key is not ours: a self-test signed with it
		 * (RSA) or with another MD5 key is refused */
		buf_reset(&body);
		kvlist_cleanup(&l);
		kvlist_init(&l);
		{
			struct keys other = *k;

			other.md5_key = "SOMEONE-ELSE";
			other.merchant_priv = provider_priv;
			T_EQ_INT(useepay_selftest_build(&c, &other,
			    "DOCTOR0012", &l, &err), 0);
		}
		T_EQ_INT(form_encode(&body, &l), 0);
		kvlist_init(&fields);
		T_EQ_INT(useepay_notify_parse(&c, k, body.data, body.len,
		    &fields, &txn, &err), -1);
		T_EQ_INT(err.code, E_SIG);
		kvlist_cleanup(&fields);
		buf_cleanup(&body);
		kvlist_cleanup(&l);
	}
}

int
main(void)
{
	setup();
	T_RUN(test_notify_cases);
	T_RUN(test_notify_oversize);
	T_RUN(test_notify_refund);
	T_RUN(test_response_vectors);
	T_RUN(test_json_fields);
	T_RUN(test_notify_fold);
	T_RUN(test_key_rotation);
	T_RUN(test_optional_fields_and_timeouts);
	T_RUN(test_selftest_notification);
	teardown();
	return t_done();
}
