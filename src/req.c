/*
 * req.c - requests and responses; the only libfcgi user.
 *
 * What it does: copy FastCGI params, read the body under a cap, decode the
 * query string and cookies, parse JSON or form bodies on request, and write
 * responses. What it does not do: routing, sessions, any business rule.
 * Invariant: every byte read from the network passes a size cap first.
 */
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "form.h"
#include "req.h"
#include "util.h"

void
req_init(struct req *r, size_t max_body)
{
	memset(r, 0, sizeof(*r));
	kvlist_init(&r->params);
	kvlist_init(&r->query);
	kvlist_init(&r->cookies);
	buf_init(&r->body, max_body);
	r->max_body = max_body;
	r->method = r->path = r->content_type = "";
	r->client_ip = r->request_id = r->user_agent = "-";
	r->path_tail = "";
	r->route_index = -1;
}

bool
req_can_defer(const struct req *r)
{
	return r->later.answer != NULL && r->resp != NULL;
}

void
req_defer(struct req *r, void (*start)(void *), void *ctx)
{
	r->later.start = start;
	r->later.ctx = ctx;
}

void
req_answer(struct req *r)
{
	r->later.answer(r);
}

void
req_cleanup(struct req *r)
{
	kvlist_cleanup(&r->params);
	kvlist_cleanup(&r->query);
	kvlist_cleanup(&r->cookies);
	buf_cleanup(&r->body);
}

void
req_set_param(struct req *r, const char *k, const char *v)
{
	kvlist_adds(&r->params, k, v);
}

int
req_set_body(struct req *r, const char *p, size_t n, struct err *err)
{
	buf_reset(&r->body);
	if (buf_add(&r->body, p, n) == -1)
		return err_set(err, E_TOOBIG, "body over %zu bytes",
		    r->max_body);
	return 0;
}

const char *
req_param(const struct req *r, const char *name)
{
	return kvlist_get(&r->params, name);
}

const char *
req_query(const struct req *r, const char *name)
{
	return kvlist_get(&r->query, name);
}

const char *
req_cookie(const struct req *r, const char *name)
{
	return kvlist_get(&r->cookies, name);
}

/* RFC 6265 cookie-string: "a=b; c=d". Values are not decoded (ours are
 * base64url/hex); malformed pairs are skipped, the first of a name wins. */
static void
req_parse_cookies(struct req *r, const char *h)
{
	while (*h) {
		const char *end, *eq, *k, *v;
		size_t kl, vl;

		while (*h == ' ' || *h == ';')
			h++;
		if (*h == '\0')
			break;
		end = strchr(h, ';');
		if (end == NULL)
			end = h + strlen(h);
		eq = memchr(h, '=', (size_t)(end - h));
		if (eq) {
			k = h;
			kl = (size_t)(eq - h);
			while (kl && k[kl - 1] == ' ')
				kl--;
			v = eq + 1;
			vl = (size_t)(end - v);
			while (vl && v[vl - 1] == ' ')
				vl--;
			if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
				v++;
				vl -= 2;
			}
			if (kl) {
				char name[128];

				if (kl < sizeof(name)) {
					memcpy(name, k, kl);
					name[kl] = '\0';
					if (kvlist_find(&r->cookies, name) == NULL)
						kvlist_add(&r->cookies, k, kl,
						    v, vl);
				}
			}
		}
		h = end;
	}
}

static const char *
param_or(const struct req *r, const char *name, const char *def)
{
	const char *v = kvlist_get(&r->params, name);

	return v && *v ? v : def;
}

int
req_prepare(struct req *r, struct err *err)
{
	const char *qs, *cookie;
	size_t qlen;

	r->method = param_or(r, "REQUEST_METHOD", "GET");
	r->path = param_or(r, "DOCUMENT_URI", NULL);
	if (r->path == NULL) {
		/* without nginx's normalised path, take REQUEST_URI's path */
		r->path = param_or(r, "SCRIPT_NAME", "/");
	}
	r->content_type = param_or(r, "CONTENT_TYPE", "");
	r->client_ip = param_or(r, "REMOTE_ADDR", "-");
	r->request_id = param_or(r, "REQUEST_ID", "-");
	r->user_agent = param_or(r, "HTTP_USER_AGENT", "");

	qs = param_or(r, "QUERY_STRING", "");
	qlen = strlen(qs);
	if (qlen > LIM_QUERY)
		return err_set(err, E_TOOBIG, "query string %zu bytes", qlen);
	if (form_decode(qs, qlen, &r->query, err) == -1)
		return -1;
	cookie = param_or(r, "HTTP_COOKIE", "");
	if (strlen(cookie) > LIM_COOKIE_HEADER)
		return err_set(err, E_TOOBIG, "cookie header too large");
	req_parse_cookies(r, cookie);
	return 0;
}

bool
req_content_type_is(const struct req *r, const char *type)
{
	size_t n = strlen(type);
	const char *ct = r->content_type;

	if (strncasecmp(ct, type, n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

struct json_object *
req_json(const struct req *r, struct err *err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;

	if (!req_content_type_is(r, "application/json")) {
		err_set(err, E_INPUT, "Content-Type must be application/json");
		return NULL;
	}
	if (r->body.len == 0) {
		err_set(err, E_INPUT, "empty body");
		return NULL;
	}
	tok = json_tokener_new_ex(32);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, r->body.data, (int)r->body.len);
	jerr = json_tokener_get_error(tok);
	if (obj && jerr == json_tokener_success &&
	    json_tokener_get_parse_end(tok) != r->body.len) {
		/* trailing bytes after the value */
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	if (obj == NULL || jerr != json_tokener_success) {
		json_object_put(obj);
		err_set(err, E_INPUT, "body is not valid JSON");
		return NULL;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		err_set(err, E_INPUT, "body must be a JSON object");
		return NULL;
	}
	return obj;
}

int
req_form(const struct req *r, struct kvlist *out, struct err *err)
{
	if (!req_content_type_is(r, "application/x-www-form-urlencoded"))
		return err_set(err, E_INPUT, "Content-Type must be "
		    "application/x-www-form-urlencoded");
	return form_decode(r->body.data ? r->body.data : "", r->body.len, out,
	    err);
}

void
resp_init(struct resp *w)
{
	memset(w, 0, sizeof(*w));
	w->status = 200;
	w->content_type = "application/json";
	kvlist_init(&w->headers);
	buf_init(&w->body, LIM_RESP_BODY);
}

void
resp_cleanup(struct resp *w)
{
	kvlist_cleanup(&w->headers);
	buf_cleanup(&w->body);
	if (w->stream.free)
		w->stream.free(w->stream.ctx);
	memset(&w->stream, 0, sizeof(w->stream));
}

void
resp_header(struct resp *w, const char *name, const char *value)
{
	kvlist_adds(&w->headers, name, value);
}

void
resp_json(struct resp *w, int status, struct json_object *obj)
{
	const char *s;

	w->status = status;
	w->content_type = "application/json";
	buf_reset(&w->body);
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (buf_adds(&w->body, s) == -1) {
		w->status = 500;
		buf_reset(&w->body);
		buf_adds(&w->body, "{\"error\":\"internal_error\"}");
	}
	json_object_put(obj);
}

void
resp_error_code(struct resp *w, const struct req *r, enum err_code code,
    const char *error, const char *message)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(error));
	json_object_object_add(o, "message", json_object_new_string(message));
	if (r && r->request_id && strcmp(r->request_id, "-") != 0)
		json_object_object_add(o, "requestId",
		    json_object_new_string(r->request_id));
	resp_json(w, err_http_status(code), o);
}

void
resp_error(struct resp *w, const struct req *r, const struct err *err)
{
	resp_error_code(w, r, err->code, err_name(err->code),
	    err_public(err->code));
}

void
resp_text(struct resp *w, int status, const char *ctype, const char *text)
{
	w->status = status;
	w->content_type = ctype;
	buf_reset(&w->body);
	buf_adds(&w->body, text);
}

void
resp_redirect(struct resp *w, int status, const char *location)
{
	w->status = status;
	w->content_type = "text/plain; charset=utf-8";
	resp_header(w, "Location", location);
	buf_reset(&w->body);
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

/* A header value must not smuggle a line break into the response. */
static bool
header_safe(const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n')
			return false;
	return true;
}

/* "key: val\r\n" */
static int
header_add(struct buf *h, const char *key, const char *val)
{
	if (buf_adds(h, key) == -1 || buf_add(h, ": ", 2) == -1 ||
	    buf_adds(h, val) == -1)
		return -1;
	return buf_add(h, "\r\n", 2);
}

int
resp_write(struct resp *w, int (*write)(void *, const char *, size_t),
    void *wctx)
{
	struct buf h;
	size_t i;
	int rc = -1;

	buf_init(&h, 64 * 1024);
	/* appends, not printf: every answer writes these */
	buf_adds(&h, "Status: ");
	buf_add_int(&h, w->status);
	buf_addc(&h, ' ');
	buf_adds(&h, http_reason(w->status));
	buf_adds(&h, "\r\n");
	if (w->content_type)
		header_add(&h, "Content-Type", w->content_type);
	for (i = 0; i < w->headers.n; i++) {
		const struct kv *e = &w->headers.v[i];

		if (!header_safe(e->key) || !header_safe(e->val))
			continue;
		if (header_add(&h, e->key, e->val) == -1)
			goto out;
	}
	if (kvlist_find(&w->headers, "Cache-Control") == NULL)
		buf_adds(&h, "Cache-Control: no-store\r\n");
	if (w->stream.fn == NULL) {
		buf_adds(&h, "Content-Length: ");
		buf_add_int(&h, (long long)w->body.len);
		buf_adds(&h, "\r\n");
	}
	if (buf_adds(&h, "\r\n") == -1)
		goto out;
	if (write(wctx, h.data, h.len) == -1)
		goto out;
	if (w->stream.fn)
		rc = w->stream.fn(w->stream.ctx, write, wctx);
	else
		rc = w->body.len ? write(wctx, w->body.data, w->body.len) : 0;
out:
	buf_cleanup(&h);
	return rc;
}

int
req_fcgx_read(struct req *r, struct FCGX_Request *fr, struct err *err)
{
	char **e, tmp[8192];
	const char *cl;
	size_t used = 0;
	int64_t want = 0;
	int n;
	bool toobig = false;

	for (e = fr->envp; e && *e; e++) {
		const char *eq = strchr(*e, '=');

		if (eq)
			kvlist_add(&r->params, *e, (size_t)(eq - *e), eq + 1,
			    strlen(eq + 1));
	}
	cl = kvlist_get(&r->params, "CONTENT_LENGTH");
	if (cl && *cl && parse_i64z(cl, 0, INT64_MAX, &want) == -1)
		return err_set(err, E_INPUT, "bad CONTENT_LENGTH");
	if ((uint64_t)want > r->max_body)
		toobig = true;
	/* read (or, past the cap, drain) exactly what nginx sends */
	while ((n = FCGX_GetStr(tmp, sizeof(tmp), fr->in)) > 0) {
		if ((size_t)n > used)
			used = (size_t)n;
		if (!toobig && buf_add(&r->body, tmp, (size_t)n) == -1)
			toobig = true;
	}
	mem_wipe(tmp, used);	/* what a body left here, not all 8 KiB */
	if (toobig) {
		buf_reset(&r->body);
		return err_set(err, E_TOOBIG, "body over %zu bytes",
		    r->max_body);
	}
	return 0;
}

static int
fcgx_write(void *ctx, const char *p, size_t n)
{
	FCGX_Stream *out = ctx;

	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n;

		if (FCGX_PutStr(p, chunk, out) != chunk)
			return -1;
		p += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

int
req_fcgx_send(struct resp *w, struct FCGX_Request *fr)
{
	return resp_write(w, fcgx_write, fr->out);
}
