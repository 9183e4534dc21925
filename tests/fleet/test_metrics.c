// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --metrics: the exposition writer's exact text (families, escapes,
 * numbers, histograms, refused input), and the server on 127.0.0.1 port 0
 * through a raw-socket HTTP client. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "fleet/metrics.h"

/* ---- the writer ------------------------------------------------------------- */

static struct ss_prom *prom;

static int prom_setup(void **state)
{
	(void)state;
	prom = ss_prom_new(SS_PROM_CAP_DEFAULT);
	return prom ? 0 : -1;
}

static int prom_teardown(void **state)
{
	(void)state;
	ss_prom_free(prom);
	prom = NULL;
	return 0;
}

static const char *text(void)
{
	const char *t = ss_prom_text(prom, NULL);

	if (!t)
		fail_msg("writer failed: %s", ss_prom_error(prom));
	return t;
}

static void test_family_and_samples(void **state)
{
	(void)state;
	ss_prom_family(prom, "synscope_handshakes_total", "counter", "Handshakes, by outcome.");
	ss_prom_u64(prom, "synscope_handshakes_total", "outcome=\"established\"", 42);
	ss_prom_u64(prom, "synscope_handshakes_total", "", 0);
	ss_prom_family(prom, "synscope_ratio", "gauge", NULL);
	ss_prom_double(prom, "synscope_ratio", NULL, 0.25);
	ss_prom_u64(prom, "synscope:max", "a=\"1\",b=\"2\"", UINT64_MAX);
	assert_string_equal(text(),
			    "# HELP synscope_handshakes_total Handshakes, by outcome.\n"
			    "# TYPE synscope_handshakes_total counter\n"
			    "synscope_handshakes_total{outcome=\"established\"} 42\n"
			    "synscope_handshakes_total 0\n"
			    "# HELP synscope_ratio \n"
			    "# TYPE synscope_ratio gauge\n"
			    "synscope_ratio 0.25\n"
			    "synscope:max{a=\"1\",b=\"2\"} 18446744073709551615\n");
	assert_null(ss_prom_error(prom));
}

static void test_help_escapes(void **state)
{
	(void)state;
	/* HELP escapes backslash and newline only; its quotes stay. */
	ss_prom_family(prom, "x", "untyped", "a\\b\nc \"d\" \xff");
	assert_string_equal(text(), "# HELP x a\\\\b\\nc \"d\" \xef\xbf\xbd\n# TYPE x untyped\n");
}

static void test_doubles(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 0, "0" }, { -0.0, "-0" }, { 1, "1" }, { -1, "-1" }, { 0.5, "0.5" }, { 0.1, "0.1" },
		{ 1.0 / 3, "0.3333333333333333" }, { 123456, "123456" }, { 1e6, "1e+06" },
		{ 1234567, "1.234567e+06" }, { 0.0001, "0.0001" }, { 0.00001, "1e-05" },
		{ 1.5e-7, "1.5e-07" }, { 1e21, "1e+21" }, { 9007199254740993.0, "9.007199254740992e+15" },
		{ 1e100, "1e+100" }, { 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 5e-324, "5e-324" }, { 2.2250738585072014e-308, "2.2250738585072014e-308" },
		{ INFINITY, "+Inf" }, { -INFINITY, "-Inf" }, { NAN, "NaN" }, { 1234.5, "1234.5" },
		{ 100, "100" }, { 0.001, "0.001" }, { 0.3, "0.3" },
	};
	char buf[40];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ss_prom_format_double(buf, sizeof(buf), cases[i].v);
		assert_string_equal(buf, cases[i].want);
	}
}

/* Random bit patterns: every finite double reads back as itself. */
static void test_doubles_round_trip(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char buf[40];

	(void)state;
	for (int i = 0; i < 50000; i++) {
		double v;
		int len;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		memcpy(&v, &x, sizeof(v));
		if (!isfinite(v))
			continue;
		len = ss_prom_format_double(buf, sizeof(buf), v);
		assert_true(len > 0 && len < 32);
		if (strtod(buf, NULL) != v)
			fail_msg("%s does not read back as %a", buf, v);
	}
}

static void test_escape(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(ss_prom_escape(buf, sizeof(buf), "a\"b\\c\nd"), 10);
	assert_string_equal(buf, "a\\\"b\\\\c\\nd");
	/* UTF-8 stays; what is not UTF-8 (a stray byte, an overlong form, a
	 * surrogate, past U+10FFFF, a cut sequence) becomes U+FFFD. */
	ss_prom_escape(buf, sizeof(buf), "\xc3\xa9\xf0\x9f\x98\x80");
	assert_string_equal(buf, "\xc3\xa9\xf0\x9f\x98\x80");
	ss_prom_escape(buf, sizeof(buf), "a\xff");
	assert_string_equal(buf, "a\xef\xbf\xbd");
	ss_prom_escape(buf, sizeof(buf), "\xc0\xaf");
	assert_string_equal(buf, "\xef\xbf\xbd\xef\xbf\xbd");
	ss_prom_escape(buf, sizeof(buf), "\xed\xa0\x80");
	assert_string_equal(buf, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ss_prom_escape(buf, sizeof(buf), "\xf4\x90\x80\x80");
	assert_int_equal(strlen(buf), 12);
	ss_prom_escape(buf, sizeof(buf), "\xe2\x82");
	assert_string_equal(buf, "\xef\xbf\xbd\xef\xbf\xbd");
	/* Cut like snprintf, never inside an escape. */
	assert_int_equal(ss_prom_escape(buf, 4, "ab\""), 4);
	assert_string_equal(buf, "ab");
	assert_int_equal(ss_prom_escape(buf, 5, "ab\""), 4);
	assert_string_equal(buf, "ab\\\"");
	assert_int_equal(ss_prom_escape(NULL, 0, "\\\\"), 4);
	assert_int_equal(ss_prom_escape(buf, sizeof(buf), ""), 0);
	assert_string_equal(buf, "");
}

static void test_escaped_label_in_sample(void **state)
{
	char value[64], labels[96];

	(void)state;
	ss_prom_escape(value, sizeof(value), "ve\"th\\0\n");
	snprintf(labels, sizeof(labels), "iface=\"%s\"", value);
	ss_prom_u64(prom, "up", labels, 1);
	assert_string_equal(text(), "up{iface=\"ve\\\"th\\\\0\\n\"} 1\n");
}

static void test_histogram(void **state)
{
	static const double bounds[] = { 0.001, 0.01, 1, 1e6 };
	static const uint64_t counts[] = { 1, 0, 5, 2 };

	(void)state;
	ss_prom_family(prom, "rtt_seconds", "histogram", "RTT.");
	ss_prom_histogram(prom, "rtt_seconds", "iface=\"lo\"", bounds, counts, 4, 3, 12.5);
	ss_prom_histogram(prom, "rtt_seconds", NULL, bounds, counts, 4, 0, 0);
	ss_prom_histogram(prom, "empty", "", NULL, NULL, 0, 0, 0);
	assert_string_equal(text(),
			    "# HELP rtt_seconds RTT.\n"
			    "# TYPE rtt_seconds histogram\n"
			    "rtt_seconds_bucket{iface=\"lo\",le=\"0.001\"} 1\n"
			    "rtt_seconds_bucket{iface=\"lo\",le=\"0.01\"} 1\n"
			    "rtt_seconds_bucket{iface=\"lo\",le=\"1\"} 6\n"
			    "rtt_seconds_bucket{iface=\"lo\",le=\"1e+06\"} 8\n"
			    "rtt_seconds_bucket{iface=\"lo\",le=\"+Inf\"} 11\n"
			    "rtt_seconds_sum{iface=\"lo\"} 12.5\n"
			    "rtt_seconds_count{iface=\"lo\"} 11\n"
			    "rtt_seconds_bucket{le=\"0.001\"} 1\n"
			    "rtt_seconds_bucket{le=\"0.01\"} 1\n"
			    "rtt_seconds_bucket{le=\"1\"} 6\n"
			    "rtt_seconds_bucket{le=\"1e+06\"} 8\n"
			    "rtt_seconds_bucket{le=\"+Inf\"} 8\n"
			    "rtt_seconds_sum 0\n"
			    "rtt_seconds_count 8\n"
			    "empty_bucket{le=\"+Inf\"} 0\n"
			    "empty_sum 0\n"
			    "empty_count 0\n");
}

/* Each call fails a fresh writer with this error, and the text is gone. */
static void expect_refused(void (*write)(struct ss_prom *), const char *error)
{
	struct ss_prom *p = ss_prom_new(1024);

	assert_non_null(p);
	ss_prom_u64(p, "before", NULL, 1);
	write(p);
	assert_null(ss_prom_text(p, NULL));
	assert_non_null(ss_prom_error(p));
	if (!strstr(ss_prom_error(p), error))
		fail_msg("error '%s', want '%s'", ss_prom_error(p), error);
	/* Later calls change nothing. */
	ss_prom_u64(p, "after", NULL, 1);
	assert_null(ss_prom_text(p, NULL));
	assert_non_null(strstr(ss_prom_error(p), error));
	ss_prom_free(p);
}

static void bad_name_digit(struct ss_prom *p) { ss_prom_u64(p, "1abc", NULL, 1); }
static void bad_name_dash(struct ss_prom *p) { ss_prom_double(p, "a-b", NULL, 1); }
static void bad_name_empty(struct ss_prom *p) { ss_prom_family(p, "", "gauge", "x"); }
static void bad_type(struct ss_prom *p) { ss_prom_family(p, "a", "countr", "x"); }
static void bad_label_unquoted(struct ss_prom *p) { ss_prom_u64(p, "a", "b=c", 1); }
static void bad_label_open(struct ss_prom *p) { ss_prom_u64(p, "a", "b=\"c", 1); }
static void bad_label_reserved(struct ss_prom *p) { ss_prom_u64(p, "a", "__name__=\"c\"", 1); }
static void bad_label_trailing(struct ss_prom *p) { ss_prom_u64(p, "a", "b=\"c\",", 1); }
static void bad_label_escape(struct ss_prom *p) { ss_prom_u64(p, "a", "b=\"\\q\"", 1); }
static void bad_label_newline(struct ss_prom *p) { ss_prom_u64(p, "a", "b=\"x\ny\"", 1); }
static void bad_label_utf8(struct ss_prom *p) { ss_prom_u64(p, "a", "b=\"\xff\"", 1); }
static void bad_label_name(struct ss_prom *p) { ss_prom_u64(p, "a", "b:c=\"1\"", 1); }
static void bad_histogram_le(struct ss_prom *p)
{
	static const double b[] = { 1 };
	static const uint64_t c[] = { 1 };

	ss_prom_histogram(p, "h", "le=\"1\"", b, c, 1, 0, 0);
}
static void bad_histogram_order(struct ss_prom *p)
{
	static const double b[] = { 1, 1 };
	static const uint64_t c[] = { 1, 1 };

	ss_prom_histogram(p, "h", NULL, b, c, 2, 0, 0);
}
static void bad_histogram_nan(struct ss_prom *p)
{
	const double b[] = { NAN };
	static const uint64_t c[] = { 1 };

	ss_prom_histogram(p, "h", NULL, b, c, 1, 0, 0);
}
static void past_cap(struct ss_prom *p)
{
	for (int i = 0; i < 100; i++)
		ss_prom_u64(p, "some_long_metric_name", NULL, UINT64_MAX);
}

static void test_refused(void **state)
{
	(void)state;
	expect_refused(bad_name_digit, "invalid metric name '1abc'");
	expect_refused(bad_name_dash, "invalid metric name 'a-b'");
	expect_refused(bad_name_empty, "invalid metric name ''");
	expect_refused(bad_type, "type 'countr' of a is not a Prometheus type");
	expect_refused(bad_label_unquoted, "invalid labels 'b=c' on a");
	expect_refused(bad_label_open, "invalid labels");
	expect_refused(bad_label_reserved, "invalid labels");
	expect_refused(bad_label_trailing, "invalid labels");
	expect_refused(bad_label_escape, "invalid labels");
	expect_refused(bad_label_newline, "invalid labels");
	expect_refused(bad_label_utf8, "invalid labels");
	expect_refused(bad_label_name, "invalid labels");
	expect_refused(bad_histogram_le, "invalid labels 'le=\"1\"' on h");
	expect_refused(bad_histogram_order, "histogram h: bounds must be finite and increasing");
	expect_refused(bad_histogram_nan, "histogram h: bounds");
	expect_refused(past_cap, "text past the 1024-byte cap");
}

/* Growing from the first allocation to the cap keeps every byte. */
static void test_growth(void **state)
{
	struct ss_prom *p = ss_prom_new(4u << 20);
	size_t len;
	const char *t;
	int n = 0;

	(void)state;
	assert_non_null(p);
	for (; n < 100000; n++)
		ss_prom_u64(p, "series", NULL, (uint64_t)n);
	t = ss_prom_text(p, &len);
	assert_non_null(t);
	assert_int_equal(len, strlen(t));
	for (int i = 0; i < n; i++) {
		char want[32];
		int w = snprintf(want, sizeof(want), "series %d\n", i);

		assert_memory_equal(t, want, (size_t)w);
		t += w;
	}
	assert_int_equal(*t, '\0');
	ss_prom_free(p);
}

/* ---- the server -------------------------------------------------------------- */

enum render_mode { RENDER_OK, RENDER_BAD_NAME, RENDER_HUGE, RENDER_15MIB };

struct renderer {
	int calls;
	enum render_mode mode;
};

static void render(void *arg, struct ss_prom *out)
{
	struct renderer *r = arg;

	r->calls++;
	switch (r->mode) {
	case RENDER_OK:
		ss_prom_family(out, "test_renders_total", "counter", "Render calls.");
		ss_prom_u64(out, "test_renders_total", NULL, (uint64_t)r->calls);
		break;
	case RENDER_BAD_NAME:
		ss_prom_u64(out, "bad name", NULL, 1);
		break;
	case RENDER_HUGE:
		/* Past the 16 MiB cap: ~40 bytes a line. */
		for (int i = 0; i < 500000 && !ss_prom_error(out); i++)
			ss_prom_u64(out, "test_huge_series_with_a_long_name", NULL, UINT64_MAX);
		break;
	case RENDER_15MIB:
		/* 54 bytes a line; its buffer doubles to 16 MiB. */
		for (int i = 0; i < (15 << 20) / 54; i++)
			ss_prom_u64(out, "test_big_series_with_a_long_name", NULL, UINT64_MAX);
		break;
	}
}

struct reply {
	int status;
	char head[4096];
	char *body;
	size_t body_len;
};

static void reply_free(struct reply *r)
{
	free(r->body);
	r->body = NULL;
}

/* The value of header name in r->head, or NULL (into buf). */
static const char *header(const struct reply *r, const char *name, char *buf, size_t n)
{
	size_t len = strlen(name);

	for (const char *line = strstr(r->head, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
		const char *h = line + 2;

		if (!strncasecmp(h, name, len) && h[len] == ':') {
			const char *v = h + len + 1, *end = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(buf, n, "%.*s", (int)(end - v), v);
			return buf;
		}
	}
	return NULL;
}

static int connect_to(const char *address)
{
	struct sockaddr_storage sa = { 0 };
	char host[64];
	const char *colon = strrchr(address, ':');
	socklen_t len;
	struct timeval tv = { 5, 0 };
	int fd;

	snprintf(host, sizeof(host), "%.*s", (int)(colon - address), address);
	if (host[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&sa;

		host[strlen(host) - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)atoi(colon + 1));
		assert_int_equal(inet_pton(AF_INET6, host + 1, &a6->sin6_addr), 1);
		len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&sa;

		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)atoi(colon + 1));
		assert_int_equal(inet_pton(AF_INET, host, &a4->sin_addr), 1);
		len = sizeof(*a4);
	}
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, len), 0);
	return fd;
}

static void send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t w = send(fd, data, len, MSG_NOSIGNAL);

		if (w <= 0)
			return; /* the server may close first: its reply says why */
		data += w;
		len -= (size_t)w;
	}
}

/* One reply from fd: headers, then Content-Length bytes of body (none
 * for HEAD). -1 when the connection closes or times out first. */
static int read_reply(int fd, int head_request, struct reply *r)
{
	char buf[8192], cl[32];
	size_t have = 0, want;
	char *end;

	memset(r, 0, sizeof(*r));
	for (;;) {
		ssize_t got = recv(fd, r->head + have, sizeof(r->head) - 1 - have, MSG_PEEK);

		if (got <= 0)
			return -1;
		r->head[have + (size_t)got] = '\0';
		end = strstr(r->head, "\r\n\r\n");
		/* Take the headers only, leave the body in the socket. */
		want = end ? (size_t)(end + 4 - r->head) - have : (size_t)got;
		if (recv(fd, buf, want, 0) != (ssize_t)want)
			return -1;
		have += want;
		r->head[have] = '\0';
		if (end)
			break;
		if (have >= sizeof(r->head) - 1)
			return -1;
	}
	if (sscanf(r->head, "HTTP/1.1 %d", &r->status) != 1)
		return -1;
	want = header(r, "Content-Length", cl, sizeof(cl)) ? strtoul(cl, NULL, 10) : 0;
	if (head_request)
		want = 0;
	r->body = malloc(want + 1);
	assert_non_null(r->body);
	while (r->body_len < want) {
		ssize_t got = recv(fd, r->body + r->body_len, want - r->body_len, 0);

		if (got <= 0)
			return -1;
		r->body_len += (size_t)got;
	}
	r->body[r->body_len] = '\0';
	return 0;
}

/* One request on a new connection, closed after. */
static int http(const char *address, const char *request, struct reply *r)
{
	int fd = connect_to(address), ret;

	send_all(fd, request, strlen(request));
	ret = read_reply(fd, !strncmp(request, "HEAD ", 5), r);
	close(fd);
	return ret;
}

/* The server closes fd within a few seconds (what it sends before is read and dropped). */
static int closed_by_server(int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t got = recv(fd, buf, sizeof(buf), 0);

		if (got == 0 || (got < 0 && errno == ECONNRESET))
			return 1;
		if (got < 0)
			return 0;
	}
}

static struct renderer renderer;
static struct ss_metrics *server;

static int server_setup(void **state)
{
	char err[256];

	(void)state;
	memset(&renderer, 0, sizeof(renderer));
	server = ss_metrics_start("127.0.0.1:0", render, &renderer, err, sizeof(err));
	if (!server)
		fprintf(stderr, "ss_metrics_start: %s\n", err);
	return server ? 0 : -1;
}

static int server_teardown(void **state)
{
	(void)state;
	ss_metrics_stop(server);
	server = NULL;
	return 0;
}

static void test_address(void **state)
{
	const char *a = ss_metrics_address(server);
	unsigned port = 0;

	(void)state;
	assert_int_equal(sscanf(a, "127.0.0.1:%u", &port), 1);
	assert_true(port > 0 && port < 65536);
}

static void test_scrape(void **state)
{
	char buf[128];
	struct reply r;

	(void)state;
	assert_int_equal(http(ss_metrics_address(server), "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "Content-Type", buf, sizeof(buf)),
			    "text/plain; version=0.0.4; charset=utf-8");
	assert_string_equal(r.body, "# HELP test_renders_total Render calls.\n"
				    "# TYPE test_renders_total counter\n"
				    "test_renders_total 1\n");
	assert_int_equal(renderer.calls, 1);
	assert_int_equal(ss_metrics_scrapes(server), 1);
	reply_free(&r);
	/* The query string is not part of the path. */
	assert_int_equal(http(ss_metrics_address(server), "GET /metrics?x=1 HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "test_renders_total 2\n"));
	assert_int_equal(renderer.calls, 2);
	reply_free(&r);
}

static void test_head(void **state)
{
	char get_len[32], head_len[32], buf[128];
	struct reply r;
	int fd;

	(void)state;
	assert_int_equal(http(ss_metrics_address(server), "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
	assert_non_null(header(&r, "Content-Length", get_len, sizeof(get_len)));
	reply_free(&r);
	/* Same headers, no body: the next bytes on the connection are the close. */
	fd = connect_to(ss_metrics_address(server));
	send_all(fd, "HEAD /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 55);
	assert_int_equal(read_reply(fd, 1, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "Content-Length", head_len, sizeof(head_len)), get_len);
	assert_string_equal(header(&r, "Content-Type", buf, sizeof(buf)), "text/plain; version=0.0.4; charset=utf-8");
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0);
	close(fd);
	reply_free(&r);
	assert_int_equal(renderer.calls, 2);
	assert_int_equal(ss_metrics_scrapes(server), 2);
}

static void test_routes(void **state)
{
	static const struct {
		const char *request;
		int status;
		const char *body_has;
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: t\r\n\r\n", 200, "/metrics" },
		{ "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", 404, "/metrics" },
		{ "GET /metrics/ HTTP/1.1\r\nHost: t\r\n\r\n", 404, "" },
		{ "GET /metricsx HTTP/1.1\r\nHost: t\r\n\r\n", 404, "" },
		{ "POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc", 405, "GET" },
		{ "DELETE / HTTP/1.1\r\nHost: t\r\n\r\n", 405, "" },
		{ "PUT /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000000\r\n\r\n", 405, "" },
		/* HTTP/1.1 without Host: refused (strict). */
		{ "GET /metrics HTTP/1.1\r\n\r\n", 400, "" },
	};
	char allow[64];
	struct reply r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(http(ss_metrics_address(server), cases[i].request, &r), 0);
		if (r.status != cases[i].status)
			fail_msg("%s: status %d, want %d", cases[i].request, r.status, cases[i].status);
		assert_non_null(strstr(r.body, cases[i].body_has));
		if (r.status == 405)
			assert_string_equal(header(&r, "Allow", allow, sizeof(allow)), "GET, HEAD");
		reply_free(&r);
	}
	assert_int_equal(renderer.calls, 0);
	assert_int_equal(ss_metrics_scrapes(server), 0);
}

/* Two scrapes on one connection: two renders, and the connection stays. */
static void test_keep_alive(void **state)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
	struct reply r;
	int fd = connect_to(ss_metrics_address(server));

	(void)state;
	for (int i = 1; i <= 2; i++) {
		char want[64];

		send_all(fd, req, sizeof(req) - 1);
		assert_int_equal(read_reply(fd, 0, &r), 0);
		assert_int_equal(r.status, 200);
		snprintf(want, sizeof(want), "test_renders_total %d\n", i);
		assert_non_null(strstr(r.body, want));
		reply_free(&r);
	}
	close(fd);
	assert_int_equal(renderer.calls, 2);
}

/* A GET that announces a body is answered without reading it, then closed. */
static void test_body_not_read(void **state)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\nabc";
	struct reply r;
	int fd = connect_to(ss_metrics_address(server));

	(void)state;
	send_all(fd, req, sizeof(req) - 1);
	assert_int_equal(read_reply(fd, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_true(closed_by_server(fd));
	close(fd);
	reply_free(&r);
}

static void test_render_failures(void **state)
{
	struct reply r;

	(void)state;
	renderer.mode = RENDER_BAD_NAME;
	assert_int_equal(http(ss_metrics_address(server), "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 500);
	reply_free(&r);
	renderer.mode = RENDER_HUGE;
	assert_int_equal(http(ss_metrics_address(server), "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 500);
	reply_free(&r);
	assert_int_equal(ss_metrics_scrapes(server), 0);
	/* And the next scrape is fine. */
	renderer.mode = RENDER_OK;
	assert_int_equal(http(ss_metrics_address(server), "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	assert_int_equal(renderer.calls, 3);
	assert_int_equal(ss_metrics_scrapes(server), 1);
}

/* A 1 MB request line: refused, closed, and the server goes on. */
static void test_huge_request_line(void **state)
{
	size_t n = 1u << 20;
	char *req = malloc(n + 64);
	struct reply r;
	int fd;

	(void)state;
	assert_non_null(req);
	memcpy(req, "GET /", 5);
	memset(req + 5, 'a', n);
	strcpy(req + 5 + n, " HTTP/1.1\r\nHost: t\r\n\r\n");
	fd = connect_to(ss_metrics_address(server));
	send_all(fd, req, strlen(req));
	assert_int_equal(read_reply(fd, 0, &r), 0);
	assert_true(r.status == 414 || r.status == 431);
	assert_true(closed_by_server(fd));
	close(fd);
	reply_free(&r);
	free(req);
	assert_int_equal(http(ss_metrics_address(server), "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

/* Scrapes that clients do not read stay in flight: past 64 MiB of them
 * the next scrape gets 503 instead of another buffer; once they are gone,
 * scrapes are answered again. */
static void test_in_flight_budget(void **state)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
	int readers[4], fd;
	struct reply r;
	char peek[16];
	int status = 0;

	(void)state;
	renderer.mode = RENDER_15MIB;
	for (int i = 0; i < 4; i++) {
		readers[i] = connect_to(ss_metrics_address(server));
		send_all(readers[i], req, sizeof(req) - 1);
		/* Its answer has started: rendered, queued, in flight. */
		assert_int_equal(recv(readers[i], peek, sizeof(peek), MSG_PEEK | MSG_WAITALL), (ssize_t)sizeof(peek));
	}
	assert_int_equal(http(ss_metrics_address(server), req, &r), 0);
	assert_int_equal(r.status, 503);
	reply_free(&r);
	assert_int_equal(renderer.calls, 4);
	for (int i = 0; i < 4; i++)
		close(readers[i]);
	renderer.mode = RENDER_OK;
	/* The server frees them when it next writes to the closed sockets. */
	for (int tries = 0; tries < 40 && status != 200; tries++) {
		fd = connect_to(ss_metrics_address(server));
		send_all(fd, req, sizeof(req) - 1);
		assert_int_equal(read_reply(fd, 0, &r), 0);
		status = r.status;
		reply_free(&r);
		close(fd);
		if (status != 200)
			usleep(50 * 1000);
	}
	assert_int_equal(status, 200);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Stopping with clients connected (idle, half a request, kept alive)
 * returns at once and closes them. */
static void test_stop_with_clients(void **state)
{
	struct renderer own = { 0 };
	struct ss_metrics *m;
	struct reply r;
	char err[256];
	int idle, half, kept;
	double t;

	(void)state;
	m = ss_metrics_start("127.0.0.1:0", render, &own, err, sizeof(err));
	assert_non_null(m);
	idle = connect_to(ss_metrics_address(m));
	half = connect_to(ss_metrics_address(m));
	send_all(half, "GET /metr", 9);
	kept = connect_to(ss_metrics_address(m));
	send_all(kept, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", 35);
	assert_int_equal(read_reply(kept, 0, &r), 0);
	reply_free(&r);
	t = now_s();
	ss_metrics_stop(m);
	assert_true(now_s() - t < 2);
	assert_true(closed_by_server(idle));
	assert_true(closed_by_server(half));
	assert_true(closed_by_server(kept));
	close(idle);
	close(half);
	close(kept);
	ss_metrics_stop(NULL);
}

static void test_bad_specs(void **state)
{
	static const char *const bad[] = {
		"", "x", ":", "70000", "-1", "+80", " 80", "80 ", "1.2.3.4", "1.2.3.4:", "1.2.3.4:x",
		"300.1.1.1:80", "::1:80", "[::1]", "[::1]80", "[::1:80", "[1.2.3.4]:80", "[::1]:",
		"host.example:80", "1.2.3.4:123456", "0x7f000001:80", "[fe80::1%lo]:80",
	};
	char err[256], want[320];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(ss_metrics_start(bad[i], render, NULL, err, sizeof(err)));
		snprintf(want, sizeof(want), "bad metrics address '%s' (PORT, ADDR:PORT or [ADDR6]:PORT)", bad[i]);
		assert_string_equal(err, want);
	}
	assert_null(ss_metrics_start(NULL, render, NULL, err, sizeof(err)));
}

static void expect_bound(const char *spec, const char *prefix)
{
	struct renderer own = { 0 };
	struct ss_metrics *m;
	struct reply r;
	char err[256];

	m = ss_metrics_start(spec, render, &own, err, sizeof(err));
	if (!m)
		fail_msg("%s: %s", spec, err);
	if (strncmp(ss_metrics_address(m), prefix, strlen(prefix)))
		fail_msg("%s: bound %s, want %s...", spec, ss_metrics_address(m), prefix);
	assert_int_equal(http(ss_metrics_address(m), "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	ss_metrics_stop(m);
}

static int have_ipv6_loopback(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM, 0), ok;

	ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void test_good_specs(void **state)
{
	(void)state;
	/* A port alone means loopback. */
	expect_bound("0", "127.0.0.1:");
	expect_bound(":0", "127.0.0.1:");
	expect_bound("localhost:0", "127.0.0.1:");
	expect_bound("127.0.0.1:00", "127.0.0.1:");
	if (have_ipv6_loopback())
		expect_bound("[::1]:0", "[::1]:");
	else
		fprintf(stderr, "no IPv6 loopback: [::1]:0 not tried\n");
}

static void test_port_in_use(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	char spec[32], err[256], want[128];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(spec, sizeof(spec), "%u", ntohs(a.sin_port));
	assert_null(ss_metrics_start(spec, render, NULL, err, sizeof(err)));
	snprintf(want, sizeof(want), "cannot listen on 127.0.0.1:%u: Address already in use", ntohs(a.sin_port));
	assert_string_equal(err, want);
	close(fd);
	/* A non-local address. */
	assert_null(ss_metrics_start("192.0.2.1:0", render, NULL, err, sizeof(err)));
	assert_string_equal(err, "cannot listen on 192.0.2.1:0: Cannot assign requested address");
}

int main(void)
{
	const struct CMUnitTest writer[] = {
		cmocka_unit_test_setup_teardown(test_family_and_samples, prom_setup, prom_teardown),
		cmocka_unit_test_setup_teardown(test_help_escapes, prom_setup, prom_teardown),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_doubles_round_trip),
		cmocka_unit_test(test_escape),
		cmocka_unit_test_setup_teardown(test_escaped_label_in_sample, prom_setup, prom_teardown),
		cmocka_unit_test_setup_teardown(test_histogram, prom_setup, prom_teardown),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_growth),
	};
	const struct CMUnitTest http_server[] = {
		cmocka_unit_test_setup_teardown(test_address, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_scrape, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_head, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_routes, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_keep_alive, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_body_not_read, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_render_failures, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_huge_request_line, server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_in_flight_budget, server_setup, server_teardown),
		cmocka_unit_test(test_stop_with_clients),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_good_specs),
		cmocka_unit_test(test_port_in_use),
	};
	int failed = cmocka_run_group_tests_name("exposition writer", writer, NULL, NULL);

	return failed | cmocka_run_group_tests_name("metrics server", http_server, NULL, NULL);
}
