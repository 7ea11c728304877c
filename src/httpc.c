/*
 * httpc.c - outbound HTTP: the libcurl implementation of struct httpc
 * (httpc.h). The project's only libcurl user.
 *
 * One client per thread, one easy handle per client, reused for every
 * request: libcurl keeps the connection alive and caches the TLS session
 * in the handle. Fixed policy, set once when the handle is made:
 *   - https only (plain http only when http_allow_plain, for tests);
 *   - TLS 1.2 or newer, peer and host verification always on, CA file
 *     from the config;
 *   - connect and total timeouts from the config; CURLOPT_NOSIGNAL;
 *   - no redirect is followed, no content-encoding is asked for;
 *   - the response body is capped in the write callback (and early by
 *     the announced Content-Length): past the cap the transfer is aborted.
 * What it does not do: retry (a retried payment call is the caller's
 * decision), log bodies, or interpret statuses.
 *
 * Error mapping (httpc.h): E_UPSTREAM only when the request certainly did
 * not reach the peer (resolve, connect, TLS handshake or verification
 * failure); anything that may have happened after the request left is
 * E_UNKNOWN, so callers query instead of re-sending.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "cfg.h"
#include "httpc.h"
#include "util.h"

#define HTTPC_USER_AGENT "h5pay/0.1"

struct httpc_curl {
	CURL *h;
	bool allow_plain;
	size_t max_body;	/* cfg http_max_response_bytes */
	long timeout_ms;	/* cfg http_timeout_ms: the default */
	char errbuf[CURL_ERROR_SIZE];
};

struct httpc_sink {
	struct buf *body;
	size_t max;
	bool toobig;
};

void
httpc_resp_init(struct httpc_resp *rs, size_t max_body)
{
	rs->status = 0;
	rs->content_type[0] = '\0';
	rs->date[0] = '\0';
	buf_init(&rs->body, max_body ? max_body : 1);
}

void
httpc_resp_cleanup(struct httpc_resp *rs)
{
	buf_cleanup(&rs->body);
}

int
httpc_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* Write callback: append within the cap; returning less than n aborts the
 * transfer with CURLE_WRITE_ERROR. */
static size_t
httpc_sink_write(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct httpc_sink *s = ctx;
	size_t n = size * nmemb;

	if (n > s->max - s->body->len || buf_add(s->body, p, n) == -1) {
		s->toobig = true;
		return 0;
	}
	return n;
}

/* True for an absolute URL of an allowed scheme. */
static bool
httpc_url_allowed(const char *url, bool allow_plain)
{
	if (strncasecmp(url, "https://", 8) == 0)
		return url[8] != '\0';
	if (allow_plain && strncasecmp(url, "http://", 7) == 0)
		return url[7] != '\0';
	return false;
}

/*
 * Errors after which the request cannot have reached the peer: the name
 * did not resolve, the TCP connection was refused or the TLS handshake
 * (including certificate verification) failed, all before a byte of the
 * request was sent. Everything else is unknown.
 */
static bool
httpc_not_delivered(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

static int
httpc_curl_send(struct httpc *hc, const struct httpc_req *rq,
    struct httpc_resp *rs, struct err *err)
{
	struct httpc_curl *c = hc->impl;
	struct curl_slist *hdrs = NULL;
	struct httpc_sink sink;
	struct buf ct;
	char *ctype = NULL;
	CURLcode rc;
	bool post;
	int ret = -1;

	buf_init(&ct, 256);
	if (rq->url == NULL || !httpc_url_allowed(rq->url, c->allow_plain)) {
		err_set(err, E_INPUT, "%s: refused URL scheme (https only)",
		    __func__);
		goto out;
	}
	if (rq->method != NULL && strcmp(rq->method, "POST") == 0)
		post = true;
	else if (rq->method == NULL || strcmp(rq->method, "GET") == 0)
		post = false;
	else {
		err_set(err, E_INPUT, "%s: method %s not supported", __func__,
		    rq->method);
		goto out;
	}

	buf_reset(&rs->body);
	rs->status = 0;
	rs->content_type[0] = '\0';
	rs->date[0] = '\0';
	sink.body = &rs->body;
	sink.max = c->max_body < rs->body.max ? c->max_body : rs->body.max;
	sink.toobig = false;
	c->errbuf[0] = '\0';

	/* "Expect:" off: no 100-continue round trip for larger bodies. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (post && rq->content_type != NULL) {
		if (buf_printf(&ct, "Content-Type: %s", rq->content_type) ==
		    -1) {
			err_set(err, E_INPUT, "%s: content type too long",
			    __func__);
			goto out;
		}
		hdrs = curl_slist_append(hdrs, buf_str(&ct));
	}
	for (size_t i = 0; rq->headers != NULL && rq->headers[i] != NULL;
	    i++) {
		if (strpbrk(rq->headers[i], "\r\n") != NULL) {
			err_set(err, E_INPUT, "%s: header has a line break",
			    __func__);
			goto out;
		}
		hdrs = curl_slist_append(hdrs, rq->headers[i]);
	}
	if (hdrs == NULL)
		abort();	/* allocation failure */

	curl_easy_setopt(c->h, CURLOPT_URL, rq->url);
	if (post) {
		curl_easy_setopt(c->h, CURLOPT_POST, 1L);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS,
		    rq->body ? rq->body : "");
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(rq->body ? rq->body_len : 0));
	} else
		curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, rq->timeout_ms > 0 ?
	    rq->timeout_ms : c->timeout_ms);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &sink);
	/* early refusal when the announced Content-Length is too big */
	curl_easy_setopt(c->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)sink.max);

	rc = curl_easy_perform(c->h);

	if (sink.toobig || rc == CURLE_FILESIZE_EXCEEDED) {
		err_set(err, E_TOOBIG, "%s: response body over %zu bytes",
		    __func__, sink.max);
		goto out;
	}
	if (rc != CURLE_OK) {
		err_set(err, httpc_not_delivered(rc) ? E_UPSTREAM : E_UNKNOWN,
		    "%s: curl %d: %s", __func__, (int)rc,
		    c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &rs->status);
	if (curl_easy_getinfo(c->h, CURLINFO_CONTENT_TYPE, &ctype) ==
	    CURLE_OK && ctype != NULL)
		str_lcpy(rs->content_type, ctype, sizeof(rs->content_type));
	{
		/* the server's clock, for h5pay doctor's skew check */
		struct curl_header *hd;

		if (curl_easy_header(c->h, "Date", 0, CURLH_HEADER, -1, &hd) ==
		    CURLHE_OK && hd->value != NULL)
			str_lcpy(rs->date, hd->value, sizeof(rs->date));
	}
	ret = 0;
out:
	/* the handle must not keep pointers to the caller's memory */
	if (c->h != NULL) {
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(c->h, CURLOPT_WRITEDATA, NULL);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, NULL);
	}
	curl_slist_free_all(hdrs);
	buf_cleanup(&ct);
	return ret;
}

static void
httpc_curl_free(struct httpc *hc)
{
	struct httpc_curl *c = hc->impl;

	if (c != NULL) {
		curl_easy_cleanup(c->h);
		free(c);
	}
	free(hc);
}

struct httpc *
httpc_curl_new(const struct cfg *cfg, struct err *err)
{
	struct httpc *hc = xcalloc(1, sizeof(*hc));
	struct httpc_curl *c = xcalloc(1, sizeof(*c));
	CURL *h;
	int bad = 0;

	hc->send = httpc_curl_send;
	hc->free = httpc_curl_free;
	hc->impl = c;
	c->allow_plain = cfg->http_allow_plain;
	c->max_body = (size_t)cfg->http_max_response_bytes;
	c->timeout_ms = (long)cfg->http_timeout_ms;
	if ((h = c->h = curl_easy_init()) == NULL) {
		err_set(err, E_INTERNAL, "%s: curl_easy_init failed", __func__);
		goto fail;
	}
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR,
	    c->allow_plain ? "http,https" : "https") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)cfg->http_connect_timeout_ms) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	    (long)cfg->http_timeout_ms) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK;
	if (cfg->http_ca_file != NULL)
		bad |= curl_easy_setopt(h, CURLOPT_CAINFO,
		    cfg->http_ca_file) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, HTTPC_USER_AGENT) !=
	    CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpc_sink_write) !=
	    CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK;
	/* libcurl copies an HTTPS request into its upload buffer before
	 * SSL_write, 64 KiB by default: massif of a web process in the flash
	 * sale had 19.9 % of its heap in these, one per request waiting on
	 * the provider. Our requests are a few KiB; 16 KiB is curl's least */
	bad |= curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 16384L) !=
	    CURLE_OK;
	if (bad) {
		err_set(err, E_INTERNAL, "%s: libcurl refused an option",
		    __func__);
		goto fail;
	}
	return hc;
fail:
	httpc_curl_free(hc);
	return NULL;
}
