/*
 * fuzz_api_payment.c - libFuzzer: a POST /api/v1/payments body (JSON from
 * a merchant's backend, or from whoever holds a key) through json-c's
 * strict tokener and api_pay_req_from_json, then the return URL through
 * api_origin_allowed, as web_api.c and api.c run them. Nothing may crash,
 * leak or read out of bounds; whatever passes must respect every cap the
 * API documents (checked again here independently): amount 1..10^12-1,
 * a 3-letter currency, a 1-128 byte subject without control bytes, a
 * reference of 1-64 of [0-9A-Za-z_.:-], metadata of at most 4096 bytes
 * that parses back to an object of at most 20 members.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
ok_chars(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z') || strchr(extra, *s) != NULL))
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	struct json_object *obj, *meta;
	struct api_pay_req rq;
	struct err err;
	size_t i, n;

	if (size > 64 * 1024)
		return 0;
	tok = json_tokener_new_ex(32);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (obj == NULL)
		return 0;
	if (api_pay_req_from_json(obj, &rq, &err) == 0) {
		n = strlen(rq.subject);
		if (rq.amount < 1 || rq.amount > 999999999999LL ||
		    strlen(rq.currency) != 3 || n < 1 || n > 128 ||
		    strlen(rq.reference) < 1 || strlen(rq.reference) > 64 ||
		    !ok_chars(rq.reference, "_.:-") ||
		    strlen(rq.metadata) > API_METADATA_MAX ||
		    strlen(rq.return_url) > API_RETURN_URL_MAX)
			abort();
		for (i = 0; i < n; i++)
			if ((unsigned char)rq.subject[i] < 0x20)
				abort();
		meta = json_tokener_parse(rq.metadata);
		if (meta == NULL || !json_object_is_type(meta,
		    json_type_object) || json_object_object_length(meta) > 20)
			abort();
		json_object_put(meta);
		(void)api_origin_allowed("https://m.example https://a.b:8443",
		    rq.return_url, false);
	}
	json_object_put(obj);
	return 0;
}
