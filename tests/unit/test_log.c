/*
 * test_log.c - the one log escaper (issue 12 item 7): every string value
 * is escaped, in the format's quotes or bare, so request text cannot add
 * a key (evt=login user=admin), end a line or carry invalid UTF-8.
 */
#include <fcntl.h>
#include <unistd.h>

#include "log.h"
#include "t.h"

static const char *
esc(const char *s, size_t n, bool q)
{
	static char out[512];

	log_escape(s, n, q, out, sizeof(out));
	return out;
}

static void
test_escape_quoted(void)
{
	T_EQ_STR(esc("plain text", 10, true), "plain text");
	T_EQ_STR(esc("a\" evt=login user=admin", 23, true),
	    "a\\\" evt=login user=admin");
	T_EQ_STR(esc("back\\slash", 10, true), "back\\\\slash");
	T_EQ_STR(esc("l1\nlvl=error x", 14, true), "l1\\nlvl=error x");
	T_EQ_STR(esc("\r\t\x01\x1f\x7f", 5, true), "\\r\\t\\x01\\x1f\\x7f");
	/* valid UTF-8 stays; invalid bytes, overlongs, surrogates do not */
	T_EQ_STR(esc("登录", 6, true), "登录");
	T_EQ_STR(esc("\xff\xfe", 2, true), "\\xff\\xfe");
	T_EQ_STR(esc("\xc0\xaf", 2, true), "\\xc0\\xaf");
	T_EQ_STR(esc("\xed\xa0\x80", 3, true), "\\xed\\xa0\\x80");
	T_EQ_STR(esc("\xe6\x88", 2, true), "\\xe6\\x88");	/* cut short */
	/* C1 controls and Unicode line separators */
	T_EQ_STR(esc("\xc2\x85x\xe2\x80\xa8", 6, true), "\\u0085x\\u2028");
	/* a NUL inside the counted bytes */
	T_EQ_STR(esc("a\0b", 3, true), "a\\x00b");
}

static void
test_escape_bare(void)
{
	T_EQ_STR(esc("/shop/x.html", 12, false), "/shop/x.html");
	T_EQ_STR(esc("", 0, false), "\"\"");
	T_EQ_STR(esc("/x evt=login", 12, false), "\"/x evt=login\"");
	T_EQ_STR(esc("a=b", 3, false), "\"a=b\"");
	T_EQ_STR(esc("\"", 1, false), "\"\\\"\"");
	T_EQ_STR(esc("é", 2, false), "\"é\"");
}

static void
test_escape_truncates_on_a_boundary(void)
{
	char out[8];
	size_t n;

	n = log_escape("\"\"\"\"\"", 5, true, out, sizeof(out));
	T_EQ_STR(out, "\\\"\\\"\\\"");		/* 6 bytes, no half escape */
	T_EQ_INT(n, 6);
	n = log_escape("a b c d e", 9, false, out, sizeof(out));
	T_EQ_STR(out, "\"a b c\"");
	T_EQ_INT(n, 7);
	n = log_escape("登录登录", 12, true, out, sizeof(out));
	T_EQ_STR(out, "登录");
}

/* Run fn with fd 2 redirected to a file; the text written into out. */
static void
capture(void (*fn)(void), char *out, size_t outsz)
{
	char path[] = "/tmp/h5pay-test-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	T_OK(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	fn();
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, outsz - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
}

static void
forge_attempts(void)
{
	log_set_rid("rid1");
	log_info("admin", "login_fail", "user=%s msg=\"%s\"",
	    "x\" evt=login user=admin", "bad \"password\"");
	log_warn("http", "done", "method=%s path=%s status=%d ms=%lld",
	    "GET", "/a b=c\nlvl=error mod=x", 404, 12LL);
	log_info("t", "prec", "code=%.4s n=%zu u=%lu c=%c pct=100%% "
	    "star=%.*s", "ABCDEFG", (size_t)7, 9UL, 'q', 2, "xyz");
}

static void
test_log_write_escapes_every_value(void)
{
	char out[4096];

	capture(forge_attempts, out, sizeof(out));
	T_EQ_STR(out,
	    "lvl=info rid=rid1 mod=admin evt=login_fail "
	    "user=\"x\\\" evt=login user=admin\" msg=\"bad \\\"password\\\"\"\n"
	    "lvl=warn rid=rid1 mod=http evt=done method=GET "
	    "path=\"/a b=c\\nlvl=error mod=x\" status=404 ms=12\n"
	    "lvl=info rid=rid1 mod=t evt=prec code=ABCD n=7 u=9 c=q "
	    "pct=100% star=xy\n");
}

static void
long_line(void)
{
	char big[3000];

	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_info("t", "long", "msg=\"%s\" after=1", big);
}

static void
test_log_write_caps_the_line(void)
{
	char out[4096];
	size_t n;

	capture(long_line, out, sizeof(out));
	n = strlen(out);
	T_OK(n <= 1024);
	T_OK(n > 900);
	T_OK(out[n - 1] == '\n');
	T_OK(strchr(out, '\n') == out + n - 1);
	/* never a lone backslash before the cut: each quote keeps its \ */
	T_OK(out[n - 2] == '"' || out[n - 2] == '1');
}

int
main(void)
{
	T_RUN(test_escape_quoted);
	T_RUN(test_escape_bare);
	T_RUN(test_escape_truncates_on_a_boundary);
	T_RUN(test_log_write_escapes_every_value);
	T_RUN(test_log_write_caps_the_line);
	return t_done();
}
