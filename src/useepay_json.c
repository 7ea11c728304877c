/*
 * useepay_json.c - a UseePay JSON object (a synchronous answer, or JSON
 * text inside one of its fields: transactionInfo, redirectParam) as the
 * list of fields its signature covers (docs/protocol.md §2, §3).
 *
 * UseePay documents string values, but also nested ones (a `settlement`
 * list inside transactionInfo) and its answers may carry numbers,
 * booleans or objects. §3 signs "JSON text fields byte for byte as sent
 * or received", so the canonical value of a member is:
 *   a string          its decoded value;
 *   null              absent (like an empty value: not signed);
 *   anything else     its JSON text exactly as received (object, array,
 *                     number, true/false), white space inside included.
 * json-c validates the text and decodes strings but keeps no source spans,
 * so a small scanner walks the already-validated text once more to find
 * each top-level member's raw value span; the two walks are zipped in
 * order (json-c keeps insertion order; duplicate keys are refused, which
 * also keeps the two walks aligned).
 *
 * What it does not do: verify (useepay.c), interpret any member.
 * Caps (named, generous): nesting depth LIM_UP_JSON_DEPTH, one raw member
 * LIM_UP_JSON_VALUE bytes, at most LIM_FORM_FIELDS members; the whole text
 * is already capped by http_max_response_bytes.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "form.h"
#include "useepay.h"

static bool
uj_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t
uj_skip_ws(const char *p, size_t n, size_t i)
{
	while (i < n && uj_ws(p[i]))
		i++;
	return i;
}

/* p[i] is '"': the index after the closing quote, or SIZE_MAX. */
static size_t
uj_string_end(const char *p, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '"')
			return i + 1;
	}
	return SIZE_MAX;
}

/* The index after the value starting at p[i], or SIZE_MAX. The text was
 * validated by json-c: this only has to find where the value ends. */
static size_t
uj_value_end(const char *p, size_t n, size_t i)
{
	size_t depth = 0;

	if (i >= n)
		return SIZE_MAX;
	if (p[i] == '"')
		return uj_string_end(p, n, i);
	if (p[i] != '{' && p[i] != '[') {
		while (i < n && !uj_ws(p[i]) && p[i] != ',' && p[i] != '}' &&
		    p[i] != ']')
			i++;
		return i;
	}
	while (i < n) {
		char c = p[i];

		if (c == '"') {
			if ((i = uj_string_end(p, n, i)) == SIZE_MAX)
				return SIZE_MAX;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
		i++;
	}
	return SIZE_MAX;
}

int
useepay_json_fields(const char *p, size_t n, const char *what,
    struct kvlist *out, struct err *err)
{
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL;
	struct json_object_iterator it, end;
	size_t i, used, members = 0;
	int rc = -1;

	if (n == 0 || n > INT_MAX) {
		err_set(err, E_UPSTREAM, "useepay: %s is empty or too long",
		    what);
		goto out;
	}
	if ((tok = json_tokener_new_ex(LIM_UP_JSON_DEPTH)) == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, p, (int)n);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		err_set(err, E_UPSTREAM, "useepay: %s is not valid JSON (or "
		    "nested deeper than %d)", what, LIM_UP_JSON_DEPTH);
		goto out;
	}
	for (used = json_tokener_get_parse_end(tok); used < n; used++)
		if (!uj_ws(p[used])) {
			err_set(err, E_UPSTREAM, "useepay: %s has bytes after "
			    "the JSON value", what);
			goto out;
		}
	if (!json_object_is_type(o, json_type_object)) {
		err_set(err, E_UPSTREAM, "useepay: %s is not a JSON object",
		    what);
		goto out;
	}
	if ((size_t)json_object_object_length(o) > LIM_FORM_FIELDS) {
		err_set(err, E_UPSTREAM, "useepay: %s has too many fields",
		    what);
		goto out;
	}
	it = json_object_iter_begin(o);
	end = json_object_iter_end(o);
	i = uj_skip_ws(p, n, 0);
	if (i >= n || p[i] != '{')
		goto scan_fail;
	i = uj_skip_ws(p, n, i + 1);
	if (i < n && p[i] == '}')
		i = n;		/* {} */
	while (i < n) {
		const char *key;
		struct json_object *v;
		size_t vs, ve;

		/* "key" : value */
		if (p[i] != '"' || (i = uj_string_end(p, n, i)) == SIZE_MAX)
			goto scan_fail;
		i = uj_skip_ws(p, n, i);
		if (i >= n || p[i] != ':')
			goto scan_fail;
		vs = uj_skip_ws(p, n, i + 1);
		if ((ve = uj_value_end(p, n, vs)) == SIZE_MAX)
			goto scan_fail;
		if (json_object_iter_equal(&it, &end)) {
			err_set(err, E_UPSTREAM, "useepay: %s repeats a key",
			    what);
			goto out;
		}
		members++;
		key = json_object_iter_peek_name(&it);
		v = json_object_iter_peek_value(&it);
		json_object_iter_next(&it);
		if (key == NULL || key[0] == '\0') {
			err_set(err, E_UPSTREAM, "useepay: %s has an empty key",
			    what);
			goto out;
		}
		if (json_object_is_type(v, json_type_string)) {
			const char *s = json_object_get_string(v);
			size_t len = (size_t)json_object_get_string_len(v);

			if (memchr(s, '\0', len) != NULL) {
				err_set(err, E_UPSTREAM, "useepay: %s.%.64s "
				    "holds a NUL", what, key);
				goto out;
			}
			kvlist_add(out, key, strlen(key), s, len);
		} else if (v != NULL) {
			/* §3: nested JSON is signed as the text received */
			if (ve - vs > LIM_UP_JSON_VALUE) {
				err_set(err, E_UPSTREAM, "useepay: %s.%.64s is "
				    "over %d bytes", what, key,
				    LIM_UP_JSON_VALUE);
				goto out;
			}
			kvlist_add(out, key, strlen(key), p + vs, ve - vs);
		}
		i = uj_skip_ws(p, n, ve);
		if (i < n && p[i] == ',') {
			i = uj_skip_ws(p, n, i + 1);
			continue;
		}
		if (i >= n || p[i] != '}')
			goto scan_fail;
		break;
	}
	if (members != (size_t)json_object_object_length(o)) {
		err_set(err, E_UPSTREAM, "useepay: %s repeats a key", what);
		goto out;
	}
	rc = 0;
	goto out;
scan_fail:
	err_set(err, E_UPSTREAM, "useepay: %s: cannot find its members",
	    what);
out:
	json_object_put(o);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}
