/*
 * test_httpc.c - the libcurl client against a scripted HTTP server on
 * 127.0.0.1 in a thread (no other network): URL policy, the exact request
 * that leaves, keep-alive, the response cap (announced and streamed), no
 * redirects, and the error mapping (refused / reset / timeout / TLS).
 * No timing assertions: timeouts only decide outcomes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "httpc.h"
#include "t.h"
#include "util.h"

enum srv_mode {
	SRV_REPLY,	/* answer each request with `reply` (keep-alive) */
	SRV_CLOSE,	/* read the request, close without answering */
	SRV_SILENT,	/* read the request, answer nothing until the peer
			 * gives up */
	SRV_GARBAGE,	/* on connect, write `reply` (not TLS) and close */
};

struct srv {
	int lfd, port;
	enum srv_mode mode;
	int nreq;		/* requests to serve, then exit */
	const char *reply;
	int conns;		/* connections accepted */
	int served;
	struct buf got;		/* every request's bytes, in order */
	pthread_t th;
};

/* Read one request (headers + Content-Length body) into s->got. 1 when a
 * request was read, 0 when the peer closed first. */
static int
srv_read_request(struct srv *s, int fd)
{
	char b[4096];
	size_t start = s->got.len, hdr_end = 0, need = 0;
	ssize_t n;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		const char *h, *cl;

		if (poll(&p, 1, 20000) != 1)
			return 0;
		if ((n = read(fd, b, sizeof(b))) <= 0)
			return 0;
		if (buf_add(&s->got, b, (size_t)n) == -1)
			return 0;
		h = s->got.data + start;
		if (hdr_end == 0) {
			const char *e = strstr(h, "\r\n\r\n");

			if (e == NULL)
				continue;
			hdr_end = (size_t)(e - h) + 4;
			cl = strstr(h, "Content-Length: ");
			if (cl != NULL && cl < e) {
				int64_t v;
				const char *d = cl + 16;
				size_t dl = strcspn(d, "\r");

				if (parse_i64(d, dl, 0, 1 << 20, &v) == 0)
					need = (size_t)v;
			}
		}
		if (s->got.len - start >= hdr_end + need)
			return 1;
	}
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;

	while (s->served < s->nreq) {
		int fd = accept(s->lfd, NULL, NULL);

		if (fd == -1)
			break;
		s->conns++;
		if (s->mode == SRV_GARBAGE) {
			if (write(fd, s->reply, strlen(s->reply)) < 0)
				break;
			s->served++;
			close(fd);
			continue;
		}
		while (s->served < s->nreq && srv_read_request(s, fd)) {
			s->served++;
			if (s->mode == SRV_CLOSE)
				break;
			if (s->mode == SRV_SILENT) {
				char c;
				struct pollfd p = {.fd = fd, .events = POLLIN};

				/* until the client times out and closes */
				while (poll(&p, 1, 30000) == 1 &&
				    read(fd, &c, 1) > 0)
					;
				break;
			}
			if (write(fd, s->reply, strlen(s->reply)) < 0)
				break;
		}
		close(fd);
	}
	return NULL;
}

static void
srv_start(struct srv *s, enum srv_mode mode, int nreq, const char *reply)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->nreq = nreq;
	s->reply = reply;
	buf_init(&s->got, 1 << 20);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd == -1 || bind(s->lfd, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1 || listen(s->lfd, 8) == -1 ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &sl) == -1) {
		perror("srv_start");
		exit(1);
	}
	s->port = ntohs(sa.sin_port);
	if (pthread_create(&s->th, NULL, srv_main, s) != 0)
		exit(1);
}

/* Wait for the server to finish its script; s->got stays readable
 * until srv_free(). */
static void
srv_stop(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
}

static void
srv_free(struct srv *s)
{
	buf_cleanup(&s->got);
}

static void
cfg_make(struct cfg *c, bool allow_plain, int64_t timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->http_connect_timeout_ms = 5000;
	c->http_timeout_ms = timeout_ms;
	c->http_max_response_bytes = 1024;
	c->http_allow_plain = allow_plain;
}

static char *
url_of(const char *scheme, int port, const char *path)
{
	static char u[128];

	snprintf(u, sizeof(u), "%s://127.0.0.1:%d%s", scheme, port, path);
	return u;
}

/* One request; returns send()'s result and leaves err/resp filled. */
static int
do_req(struct httpc *h, const char *method, const char *url,
    const char *body, struct httpc_resp *rs, size_t max, struct err *err)
{
	struct httpc_req rq = {
		.method = method, .url = url,
		.content_type = body ? "application/x-www-form-urlencoded" :
		    NULL,
		.body = body, .body_len = body ? strlen(body) : 0,
	};

	httpc_resp_init(rs, max);
	err_clear(err);
	return httpc_send(h, &rq, rs, err);
}

static void
test_url_policy(void)
{
	static const struct {
		bool allow_plain;
		const char *url;
	} refused[] = {
		{false, "http://127.0.0.1:1/api"},
		{false, "HTTP://127.0.0.1:1/api"},
		{true, "ftp://127.0.0.1:1/api"},
		{true, "file:///etc/passwd"},
		{true, "127.0.0.1:1/api"},
		{true, "https://"},
		{true, ""},
	};
	struct httpc_resp rs;
	struct httpc *h;
	struct cfg c;
	struct err err;
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		cfg_make(&c, refused[i].allow_plain, 2000);
		h = httpc_curl_new(&c, &err);
		T_OK(h != NULL);
		T_EQ_INT(do_req(h, "GET", refused[i].url, NULL, &rs, 1024,
		    &err), -1);
		T_EQ_INT(err.code, E_INPUT);
		httpc_resp_cleanup(&rs);
		httpc_free(h);
	}
	cfg_make(&c, true, 2000);
	h = httpc_curl_new(&c, &err);
	T_EQ_INT(do_req(h, "PUT", "http://127.0.0.1:1/", NULL, &rs, 1024,
	    &err), -1);
	T_EQ_INT(err.code, E_INPUT);
	httpc_resp_cleanup(&rs);
	httpc_free(h);
	httpc_free(NULL);
}

#define OK_REPLY "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\n" \
	"Content-Length: 5\r\n\r\nhello"

/* The bytes that leave, the answer that comes back, keep-alive. */
static void
test_roundtrip(void)
{
	const char *body = "a=1&b=%7B%22x%22%3A%22y+z%22%7D";
	struct httpc_resp rs;
	struct httpc *h;
	struct srv s;
	struct cfg c;
	struct err err;
	const char *got;

	srv_start(&s, SRV_REPLY, 3, OK_REPLY);
	cfg_make(&c, true, 10000);
	h = httpc_curl_new(&c, &err);
	T_EQ_INT(do_req(h, "POST", url_of("http", s.port, "/api"), body, &rs,
	    1024, &err), 0);
	T_EQ_INT(rs.status, 201);
	T_EQ_STR(rs.content_type, "text/plain");
	T_EQ_INT(rs.body.len, 5);
	T_EQ_STR(buf_str(&rs.body), "hello");
	httpc_resp_cleanup(&rs);
	T_EQ_INT(do_req(h, "GET", url_of("http", s.port, "/q?x=1"), NULL, &rs,
	    1024, &err), 0);
	T_EQ_STR(buf_str(&rs.body), "hello");
	httpc_resp_cleanup(&rs);
	/* a POST again after a GET: the handle's method is reset */
	T_EQ_INT(do_req(h, "POST", url_of("http", s.port, "/api"), "k=v", &rs,
	    1024, &err), 0);
	httpc_resp_cleanup(&rs);
	httpc_free(h);
	srv_stop(&s);

	T_EQ_INT(s.served, 3);
	T_EQ_INT(s.conns, 1);	/* one connection, kept alive */
	got = buf_str(&s.got);
	T_OK(strncmp(got, "POST /api HTTP/1.1\r\n", 20) == 0);
	T_OK(strstr(got, "\r\nContent-Type: application/x-www-form-urlencoded"
	    "\r\n") != NULL);
	T_OK(strstr(got, "\r\nContent-Length: 31\r\n") != NULL);
	T_OK(strstr(got, "\r\n\r\na=1&b=%7B%22x%22%3A%22y+z%22%7DGET /q?x=1 "
	    "HTTP/1.1\r\n") != NULL);
	T_OK(strstr(got, "Expect:") == NULL);
	T_OK(strstr(got, "Accept-Encoding") == NULL);
	T_OK(strstr(got, "\r\n\r\nk=v") != NULL);
	T_OK(strstr(got, "User-Agent: h5pay/") != NULL);
	srv_free(&s);
}

struct cap_case {
	const char *name;
	const char *reply;
	size_t resp_max;	/* the caller's buffer ceiling */
	int rc;
	enum err_code err;
	size_t len;
};

static char big_cl[2200], big_chunked[2300], exact[1200];

static void
cap_replies(void)
{
	char x[2001];
	size_t n;

	memset(x, 'x', sizeof(x) - 1);
	x[sizeof(x) - 1] = '\0';
	snprintf(big_cl, sizeof(big_cl), "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2000\r\n\r\n%s", x);
	snprintf(big_chunked, sizeof(big_chunked), "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n7d0\r\n%s\r\n0\r\n\r\n", x);
	n = (size_t)snprintf(exact, sizeof(exact), "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 1024\r\n\r\n");
	memset(exact + n, 'y', 1024);
	exact[n + 1024] = '\0';
}

static const struct cap_case cap_cases[] = {
	{"announced length over the cap", big_cl, 1 << 20, -1, E_TOOBIG, 0},
	{"streamed (chunked) over the cap", big_chunked, 1 << 20, -1,
	    E_TOOBIG, 0},
	{"exactly at the cap", exact, 1 << 20, 0, E_OK, 1024},
	{"over the caller's smaller ceiling", exact, 100, -1, E_TOOBIG, 0},
};

static void
test_cap(void)
{
	size_t i;

	cap_replies();
	for (i = 0; i < sizeof(cap_cases) / sizeof(cap_cases[0]); i++) {
		const struct cap_case *cc = &cap_cases[i];
		struct httpc_resp rs;
		struct httpc *h;
		struct srv s;
		struct cfg c;
		struct err err;
		int before = t_fail;

		srv_start(&s, SRV_REPLY, 1, cc->reply);
		cfg_make(&c, true, 10000);
		h = httpc_curl_new(&c, &err);
		T_EQ_INT(do_req(h, "GET", url_of("http", s.port, "/"), NULL,
		    &rs, cc->resp_max, &err), cc->rc);
		if (cc->rc == -1)
			T_EQ_INT(err.code, cc->err);
		else
			T_EQ_INT(rs.body.len, cc->len);
		httpc_resp_cleanup(&rs);
		httpc_free(h);
		srv_stop(&s);
		srv_free(&s);
		if (t_fail != before)
			fprintf(stderr, "  in case \"%s\" (%s)\n", cc->name,
			    err.msg);
	}
}

static void
test_no_redirect(void)
{
	struct httpc_resp rs;
	struct httpc *h;
	struct srv s;
	struct cfg c;
	struct err err;

	srv_start(&s, SRV_REPLY, 1, "HTTP/1.1 302 Found\r\nLocation: "
	    "/elsewhere\r\nContent-Length: 0\r\n\r\n");
	cfg_make(&c, true, 10000);
	h = httpc_curl_new(&c, &err);
	T_EQ_INT(do_req(h, "POST", url_of("http", s.port, "/api"), "a=1", &rs,
	    1024, &err), 0);
	T_EQ_INT(rs.status, 302);
	httpc_resp_cleanup(&rs);
	httpc_free(h);
	srv_stop(&s);
	T_EQ_INT(s.served, 1);
	T_OK(strstr(buf_str(&s.got), "/elsewhere") == NULL);
	srv_free(&s);
}

/* E_UPSTREAM only when the request cannot have been delivered. */
static void
test_error_mapping(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct httpc_resp rs;
	struct httpc *h;
	struct srv s;
	struct cfg c;
	struct err err;
	int fd;

	/* connection refused: a bound port nobody listens on */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	T_OK(fd != -1 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	cfg_make(&c, true, 10000);
	h = httpc_curl_new(&c, &err);
	T_EQ_INT(do_req(h, "POST", url_of("http", ntohs(sa.sin_port), "/api"),
	    "a=1", &rs, 1024, &err), -1);
	T_EQ_INT(err.code, E_UPSTREAM);
	httpc_resp_cleanup(&rs);
	close(fd);

	/* closed after reading the request: it may have been processed */
	srv_start(&s, SRV_CLOSE, 1, NULL);
	T_EQ_INT(do_req(h, "POST", url_of("http", s.port, "/api"), "a=1", &rs,
	    1024, &err), -1);
	T_EQ_INT(err.code, E_UNKNOWN);
	httpc_resp_cleanup(&rs);
	srv_stop(&s);
	T_EQ_INT(s.served, 1);
	srv_free(&s);
	httpc_free(h);

	/* no answer within the total timeout */
	cfg_make(&c, true, 300);
	h = httpc_curl_new(&c, &err);
	srv_start(&s, SRV_SILENT, 1, NULL);
	T_EQ_INT(do_req(h, "POST", url_of("http", s.port, "/api"), "a=1", &rs,
	    1024, &err), -1);
	T_EQ_INT(err.code, E_UNKNOWN);
	httpc_resp_cleanup(&rs);
	httpc_free(h);		/* closes the connection: the server ends */
	srv_stop(&s);
	srv_free(&s);

	/* TLS handshake fails (the peer does not speak TLS) */
	cfg_make(&c, false, 10000);
	h = httpc_curl_new(&c, &err);
	srv_start(&s, SRV_GARBAGE, 1, "HTTP/1.1 400 Bad Request\r\n"
	    "Content-Length: 0\r\n\r\n");
	T_EQ_INT(do_req(h, "POST", url_of("https", s.port, "/api"), "a=1",
	    &rs, 1024, &err), -1);
	T_EQ_INT(err.code, E_UPSTREAM);
	httpc_resp_cleanup(&rs);
	httpc_free(h);
	srv_stop(&s);
	srv_free(&s);
}

int
main(void)
{
	if (httpc_global_init() == -1)
		return 1;
	T_RUN(test_url_policy);
	T_RUN(test_roundtrip);
	T_RUN(test_cap);
	T_RUN(test_no_redirect);
	T_RUN(test_error_mapping);
	return t_done();
}
