/*
 * fuzz_pay_request.c - libFuzzer: a /pay body (hostile JSON from the
 * buyer's browser) through json-c's strict tokener, pay_request_from_json
 * and pay_request_check, as web_pay.c runs them. Nothing may crash, leak
 * or read out of bounds; whatever passes must be a request /pay can
 * price: 1-20 distinct skus of [0-9A-Za-z_.-], quantities 1-99, a key of
 * 8-64 of [0-9A-Za-z_-] (checked again here independently).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pay.h"

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
	struct json_object *obj;
	struct pay_request rq;
	struct err err;
	size_t i, j;

	if (size > 64 * 1024)
		return 0;
	tok = json_tokener_new_ex(32);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (obj == NULL)
		return 0;
	if (json_object_is_type(obj, json_type_object) &&
	    pay_request_from_json(obj, &rq, &err) == 0 &&
	    pay_request_check(&rq, &err) == 0) {
		if (rq.n < 1 || rq.n > PAY_MAX_LINES ||
		    strlen(rq.key) < PAY_KEY_MIN ||
		    strlen(rq.key) > PAY_KEY_MAX || !ok_chars(rq.key, "_-"))
			abort();
		for (i = 0; i < rq.n; i++) {
			if (rq.lines[i].qty < 1 || rq.lines[i].qty > 99 ||
			    rq.lines[i].sku[0] == '\0' ||
			    !ok_chars(rq.lines[i].sku, "_.-"))
				abort();
			for (j = 0; j < i; j++)
				if (strcmp(rq.lines[i].sku,
				    rq.lines[j].sku) == 0)
					abort();
		}
	}
	json_object_put(obj);
	return 0;
}
