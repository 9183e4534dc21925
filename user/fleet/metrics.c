// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * --metrics: the Prometheus text exposition format (0.0.4) and the HTTP
 * server that serves it. HTTP is libmicrohttpd's: this file only routes
 * and bounds. Everything runs on libmicrohttpd's one polling thread
 * (epoll): requests, the render callback, response clean-up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "fleet/metrics.h"

/*
 * What a hostile client can take. A real scraper (Prometheus) holds one
 * connection per target and sends a ~300-byte request.
 */
/* 16 addresses' worth of the per-IP limit, and well below the usual
 * 1024 open-file limit, which synscope's own fds share. */
#define METRICS_CONN_LIMIT 256
/* One address (a client opening 1,000 connections) never takes them all. */
#define METRICS_PER_IP_LIMIT 16
/* Idle seconds before a connection is closed: reclaims idle and
 * half-sent requests (an inactivity timeout: a byte a second renews it,
 * so the per-IP limit is what bounds slowloris). */
#define METRICS_TIMEOUT_S 5
/* Request line + headers + response headers per connection: a longer
 * request gets 414/431 and the connection is closed. */
#define METRICS_CONN_MEMORY (16u << 10)
/* A burst of connections waits here rather than having its SYNs dropped
 * (a dropped SYN costs a scraper a 1 s retransmission). */
#define METRICS_BACKLOG 256
/* Rendered responses still being sent, over all connections: 256 slow
 * readers must not hold 256 copies of a 16 MiB scrape. */
#define METRICS_IN_FLIGHT_MAX (64u << 20)
/* libmicrohttpd logs every refused connection: a flood of them must not
 * become a flood of stderr lines. */
#define LOG_BURST 10
#define LOG_WINDOW_S 10
#define PROM_FIRST_SIZE (16u << 10)

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_TEXT "text/plain; charset=utf-8"
#define SPEC_FORMS "(PORT, ADDR:PORT or [ADDR6]:PORT)"

/* ---- the exposition writer ------------------------------------------------ */

struct ss_prom {
	char *buf;
	size_t len;
	size_t size;              /* allocated */
	size_t cap;               /* size never grows past this */
	struct ss_metrics *owner; /* whose in-flight budget holds buf, or NULL */
	char error[192];          /* the first error; the text is void after it */
};

static void prom_fail(struct ss_prom *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void prom_fail(struct ss_prom *p, const char *fmt, ...)
{
	va_list ap;

	if (p->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
}

struct ss_prom *ss_prom_new(size_t cap)
{
	struct ss_prom *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cap = cap;
	p->size = cap < PROM_FIRST_SIZE ? cap : PROM_FIRST_SIZE;
	p->buf = malloc(p->size ? p->size : 1);
	if (!p->buf) {
		free(p);
		return NULL;
	}
	p->buf[0] = '\0';
	return p;
}

void ss_prom_free(struct ss_prom *p)
{
	if (!p)
		return;
	free(p->buf);
	free(p);
}

const char *ss_prom_text(const struct ss_prom *p, size_t *len)
{
	if (p->error[0])
		return NULL;
	if (len)
		*len = p->len;
	return p->buf;
}

const char *ss_prom_error(const struct ss_prom *p)
{
	return p->error[0] ? p->error : NULL;
}

/* Room for need bytes (NUL included), doubling up to the cap. */
static bool prom_reserve(struct ss_prom *p, size_t need)
{
	size_t size = p->size;
	char *buf;

	if (need <= p->size)
		return true;
	if (need > p->cap) {
		if (p->cap % (1u << 20) == 0)
			prom_fail(p, "text past the %zu MiB cap", p->cap >> 20);
		else
			prom_fail(p, "text past the %zu-byte cap", p->cap);
		return false;
	}
	while (size < need)
		size = size > p->cap / 2 ? p->cap : size * 2;
	buf = realloc(p->buf, size);
	if (!buf) {
		prom_fail(p, "out of memory");
		return false;
	}
	p->buf = buf;
	p->size = size;
	return true;
}

static void prom_printf(struct ss_prom *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void prom_printf(struct ss_prom *p, const char *fmt, ...)
{
	va_list ap;
	int w;

	while (!p->error[0]) {
		va_start(ap, fmt);
		w = vsnprintf(p->buf + p->len, p->size - p->len, fmt, ap);
		va_end(ap);
		if (w < 0) {
			prom_fail(p, "cannot format a line");
			return;
		}
		if ((size_t)w < p->size - p->len) {
			p->len += (size_t)w;
			return;
		}
		/* Cut: the NUL vsnprintf wrote stays past len, so the text is whole. */
		p->buf[p->len] = '\0';
		prom_reserve(p, p->len + (size_t)w + 1);
	}
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * form, no surrogate, nothing past U+10FFFF), 0 if there is none. s is
 * NUL-terminated: a NUL is never a continuation byte, so reads stop there. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if (s[0] == 0xe0)
			lo = 0xa0;
		if (s[0] == 0xed)
			hi = 0x9f;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if (s[0] == 0xf0)
			lo = 0x90;
		if (s[0] == 0xf4)
			hi = 0x8f;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

/* The escaping both a label value and a HELP text need; a HELP text keeps
 * its double quotes (the format escapes only backslash and newline there). */
static size_t escape_into(char *dst, size_t n, const char *value, bool quote)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t len = 0, written = 0;
	bool cut = false;

	while (*s) {
		const char *piece = (const char *)s;
		size_t plen, seq = 1;

		if (*s == '\\') {
			piece = "\\\\";
			plen = 2;
		} else if (*s == '\n') {
			piece = "\\n";
			plen = 2;
		} else if (*s == '"' && quote) {
			piece = "\\\"";
			plen = 2;
		} else if ((seq = utf8_seq_len(s)) != 0) {
			plen = seq;
		} else {
			piece = "\xef\xbf\xbd"; /* U+FFFD for the one byte */
			plen = 3;
			seq = 1;
		}
		/* Whole pieces only: half an escape would end the quoted value. */
		if (!cut && written + plen < n) {
			memcpy(dst + written, piece, plen);
			written += plen;
		} else {
			cut = true;
		}
		len += plen;
		s += seq;
	}
	if (n)
		dst[written] = '\0';
	return len;
}

size_t ss_prom_escape(char *dst, size_t n, const char *value)
{
	return escape_into(dst, n, value, true);
}

static bool name_start(char c, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

static bool name_char(char c, bool colon)
{
	return name_start(c, colon) || (c >= '0' && c <= '9');
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* (the exposition format's metric names) */
static bool metric_name_valid(const char *name)
{
	if (!name || !name_start(*name, true))
		return false;
	while (*++name)
		if (!name_char(*name, true))
			return false;
	return true;
}

/*
 * 'a="x",b="y"': label names [a-zA-Z_][a-zA-Z0-9_]* and not "__..."
 * (reserved for Prometheus), values escaped UTF-8. Prometheus fails a
 * whole scrape on one bad line, so a bad set fails it here, loudly.
 * reserved: a name the caller may not use (histograms own "le").
 */
static bool labels_valid(const char *s, const char *reserved)
{
	if (!s || !*s)
		return true;
	for (;;) {
		const char *name = s;

		if (!name_start(*s, false))
			return false;
		while (name_char(*s, false))
			s++;
		if (name[0] == '_' && name[1] == '_')
			return false;
		if (reserved && (size_t)(s - name) == strlen(reserved) && !strncmp(name, reserved, (size_t)(s - name)))
			return false;
		if (s[0] != '=' || s[1] != '"')
			return false;
		s += 2;
		while (*s != '"') {
			size_t seq;

			if (*s == '\\') {
				if (s[1] != '\\' && s[1] != '"' && s[1] != 'n')
					return false;
				s += 2;
				continue;
			}
			if (!*s || *s == '\n' || !(seq = utf8_seq_len((const unsigned char *)s)))
				return false;
			s += seq;
		}
		s++;
		if (!*s)
			return true;
		if (*s++ != ',')
			return false;
	}
}

int ss_prom_format_double(char *dst, size_t n, double v)
{
	char e[40];
	int digits, exp;

	if (isnan(v))
		return snprintf(dst, n, "NaN");
	if (isinf(v))
		return snprintf(dst, n, v > 0 ? "+Inf" : "-Inf");
	if (v == 0)
		return snprintf(dst, n, signbit(v) ? "-0" : "0");
	/* The fewest significant digits that read back as v (17 always do).
	 * The correctly rounded d-digit form is the one to try: if any
	 * d-digit decimal reads back as v, the nearest one does. */
	for (digits = 1; digits <= 17; digits++) {
		snprintf(e, sizeof(e), "%.*e", digits - 1, v);
		if (digits == 17 || strtod(e, NULL) == v)
			break;
	}
	exp = atoi(strchr(e, 'e') + 1);
	/* Go's shortest %g: an exponent when it is below -4 or 6 and above,
	 * as client_golang writes bucket bounds ("1e+06"); C's %e spells the
	 * exponent the same way (sign, at least two digits). */
	if (exp < -4 || exp >= 6)
		return snprintf(dst, n, "%s", e);
	return snprintf(dst, n, "%.*f", digits - 1 - exp > 0 ? digits - 1 - exp : 0, v);
}

static bool sample_ok(struct ss_prom *p, const char *name, const char *labels, const char *reserved)
{
	if (p->error[0])
		return false;
	if (!metric_name_valid(name)) {
		prom_fail(p, "invalid metric name '%.64s'", name ? name : "(null)");
		return false;
	}
	if (!labels_valid(labels, reserved)) {
		prom_fail(p, "invalid labels '%.96s' on %.64s", labels, name);
		return false;
	}
	return true;
}

static void put_sample(struct ss_prom *p, const char *name, const char *suffix, const char *labels,
		       const char *value)
{
	if (labels && *labels)
		prom_printf(p, "%s%s{%s} %s\n", name, suffix, labels, value);
	else
		prom_printf(p, "%s%s %s\n", name, suffix, value);
}

void ss_prom_family(struct ss_prom *p, const char *name, const char *type, const char *help)
{
	static const char *const types[] = { "counter", "gauge", "histogram", "summary", "untyped" };
	bool known = false;
	char *escaped;
	size_t len;

	if (!sample_ok(p, name, NULL, NULL))
		return;
	for (size_t i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
		known |= !strcmp(type, types[i]);
	if (!known) {
		prom_fail(p, "type '%.32s' of %.64s is not a Prometheus type", type ? type : "(null)", name);
		return;
	}
	help = help ? help : "";
	len = escape_into(NULL, 0, help, false);
	escaped = malloc(len + 1);
	if (!escaped) {
		prom_fail(p, "out of memory");
		return;
	}
	escape_into(escaped, len + 1, help, false);
	prom_printf(p, "# HELP %s %s\n# TYPE %s %s\n", name, escaped, name, type);
	free(escaped);
}

void ss_prom_u64(struct ss_prom *p, const char *name, const char *labels, uint64_t v)
{
	char value[24];

	if (!sample_ok(p, name, labels, NULL))
		return;
	snprintf(value, sizeof(value), "%llu", (unsigned long long)v);
	put_sample(p, name, "", labels, value);
}

void ss_prom_double(struct ss_prom *p, const char *name, const char *labels, double v)
{
	char value[40];

	if (!sample_ok(p, name, labels, NULL))
		return;
	ss_prom_format_double(value, sizeof(value), v);
	put_sample(p, name, "", labels, value);
}

void ss_prom_histogram(struct ss_prom *p, const char *name, const char *labels, const double *bounds,
		       const uint64_t *counts, int nbounds, uint64_t inf, double sum)
{
	const char *sep = labels && *labels ? "," : "";
	char bound[40], value[40];
	uint64_t total = 0;

	if (!sample_ok(p, name, labels, "le"))
		return;
	labels = labels ? labels : "";
	for (int i = 0; i < nbounds; i++) {
		/* Prometheus reads le as a number: each bucket's bound must be one, and above the last. */
		if (isnan(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1])) || isinf(bounds[i])) {
			prom_fail(p, "histogram %.64s: bounds must be finite and increasing", name);
			return;
		}
	}
	for (int i = 0; i < nbounds; i++) {
		total += counts[i];
		ss_prom_format_double(bound, sizeof(bound), bounds[i]);
		prom_printf(p, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels, sep, bound, (unsigned long long)total);
	}
	total += inf;
	prom_printf(p, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)total);
	ss_prom_format_double(value, sizeof(value), sum);
	put_sample(p, name, "_sum", labels, value);
	snprintf(value, sizeof(value), "%llu", (unsigned long long)total);
	put_sample(p, name, "_count", labels, value);
}

/* ---- the server ------------------------------------------------------------ */

struct ss_metrics {
	struct MHD_Daemon *daemon;
	int fd;                       /* the listening socket until the daemon owns it, else -1 */
	ss_metrics_render_fn render;
	void *arg;
	char address[INET6_ADDRSTRLEN + 8];
	_Atomic uint64_t scrapes;     /* read from other threads */
	_Atomic size_t in_flight;     /* bytes of rendered responses not yet freed */
	struct MHD_Response *index, *not_found, *not_allowed, *busy, *failed;
	pthread_mutex_t log_lock;     /* libmicrohttpd may log from the caller's thread too */
	time_t log_window;
	uint32_t log_lines, log_suppressed;
};

static void metrics_log(struct ss_metrics *m, const char *fmt, va_list ap)
{
	char line[256];
	time_t now = time(NULL);
	size_t len;

	vsnprintf(line, sizeof(line), fmt, ap);
	/* One line: libmicrohttpd ends its messages with a newline, and a
	 * client's bytes may appear in them. */
	len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	pthread_mutex_lock(&m->log_lock);
	if (now - m->log_window >= LOG_WINDOW_S) {
		if (m->log_suppressed)
			fprintf(stderr, "synscope: metrics: %" PRIu32 " more messages in %d s not shown\n",
				m->log_suppressed, LOG_WINDOW_S);
		m->log_window = now;
		m->log_lines = m->log_suppressed = 0;
	}
	if (m->log_lines < LOG_BURST) {
		m->log_lines++;
		fprintf(stderr, "synscope: metrics: %s\n", line);
	} else {
		m->log_suppressed++;
	}
	pthread_mutex_unlock(&m->log_lock);
}

static void metrics_logf(struct ss_metrics *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void metrics_logf(struct ss_metrics *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	metrics_log(m, fmt, ap);
	va_end(ap);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	metrics_log(cls, fmt, ap);
}

/* A response's body is freed here, on the server thread, once sent or dropped. */
static void release_scrape(void *cls)
{
	struct ss_prom *p = cls;

	atomic_fetch_sub(&p->owner->in_flight, p->size);
	ss_prom_free(p);
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned int status, struct MHD_Response *r)
{
	/* A shared response is reference-counted: queueing it again is fine. */
	return r ? MHD_queue_response(conn, status, r) : MHD_NO;
}

static enum MHD_Result answer_scrape(struct ss_metrics *m, struct MHD_Connection *conn)
{
	struct MHD_Response *r;
	struct ss_prom *p;
	enum MHD_Result ret;

	if (atomic_load(&m->in_flight) >= METRICS_IN_FLIGHT_MAX) {
		metrics_logf(m, "scrapes still being sent hold %u MiB: answered 503", METRICS_IN_FLIGHT_MAX >> 20);
		return answer(conn, MHD_HTTP_SERVICE_UNAVAILABLE, m->busy);
	}
	p = ss_prom_new(SS_PROM_CAP_DEFAULT);
	if (!p) {
		metrics_logf(m, "scrape failed: out of memory (answered 500)");
		return answer(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, m->failed);
	}
	m->render(m->arg, p);
	if (p->error[0]) {
		metrics_logf(m, "scrape failed: %s (answered 500)", p->error);
		ss_prom_free(p);
		return answer(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, m->failed);
	}
	p->owner = m;
	atomic_fetch_add(&m->in_flight, p->size);
	r = MHD_create_response_from_buffer_with_free_callback_cls(p->len, p->buf, release_scrape, p);
	if (!r) {
		release_scrape(p);
		return answer(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, m->failed);
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE_METRICS) != MHD_YES) {
		MHD_destroy_response(r);
		return answer(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, m->failed);
	}
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	if (ret == MHD_YES)
		atomic_fetch_add(&m->scrapes, 1);
	return ret;
}

static enum MHD_Result route(struct ss_metrics *m, struct MHD_Connection *conn, const char *url)
{
	if (!strcmp(url, "/metrics"))
		return answer_scrape(m, conn);
	if (!strcmp(url, "/"))
		return answer(conn, MHD_HTTP_OK, m->index);
	return answer(conn, MHD_HTTP_NOT_FOUND, m->not_found);
}

static bool announces_body(struct MHD_Connection *conn)
{
	const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (len && strcmp(len, "0")) ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/*
 * Called once a request's headers are in and once more at its end (a body
 * would come in between). An answer queued on the first call makes
 * libmicrohttpd close the connection after it, the rest of the request
 * unread: right for a method we refuse or a request with a body, which
 * this server never reads. A plain GET or HEAD is answered at its end, so
 * the connection stays open for the next scrape. libmicrohttpd leaves out
 * the body for HEAD.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **req_state)
{
	static int headers_seen;
	struct ss_metrics *m = cls;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, m->not_allowed);
	if (!*req_state && !announces_body(conn)) {
		*req_state = &headers_seen;
		return MHD_YES;
	}
	return route(m, conn, url);
}

static struct MHD_Response *text_response(const char *text, const char *allow)
{
	struct MHD_Response *r;

	/* No free callback: the text is static. */
	r = MHD_create_response_from_buffer_with_free_callback_cls(strlen(text), (void *)text, NULL, NULL);
	if (!r)
		return NULL;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE_TEXT) != MHD_YES ||
	    (allow && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

/* Decimal, 0-65535, nothing else (no sign, no space). 0 on success. */
static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* spec → address; 0 on success. */
static int parse_spec(const char *spec, struct sockaddr_storage *sa, socklen_t *salen)
{
	char host[INET6_ADDRSTRLEN];
	const char *port, *end;
	size_t hostlen;
	uint16_t pnum;
	bool v6 = false;

	if (spec[0] == '[') {
		end = strchr(spec, ']');
		if (!end || end[1] != ':')
			return -1;
		spec++;
		port = end + 2;
		v6 = true;
	} else if ((end = strrchr(spec, ':')) != NULL) {
		/* An IPv6 address without brackets: where its port starts is a guess. */
		if (memchr(spec, ':', (size_t)(end - spec)))
			return -1;
		port = end + 1;
	} else {
		end = spec;
		port = spec;
	}
	hostlen = (size_t)(end - spec);
	if (hostlen >= sizeof(host) || parse_port(port, &pnum))
		return -1;
	memcpy(host, spec, hostlen);
	host[hostlen] = '\0';
	/* Only a port: loopback, so the counters are not served to the network unasked. */
	if (!hostlen || !strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	memset(sa, 0, sizeof(*sa));
	if (v6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(pnum);
		*salen = sizeof(*a6);
		return inet_pton(AF_INET6, host, &a6->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)sa;

	a4->sin_family = AF_INET;
	a4->sin_port = htons(pnum);
	*salen = sizeof(*a4);
	return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -1;
}

static void format_address(const struct sockaddr_storage *sa, char *buf, size_t n)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
		snprintf(buf, n, "[%s]:%u", host, ntohs(a6->sin6_port));
	} else {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
		snprintf(buf, n, "%s:%u", host, ntohs(a4->sin_port));
	}
}

/* The listening socket is ours, not libmicrohttpd's, so a bind error is
 * reported with its errno and port 0 can be read back. -1 with err set. */
static int listen_on(const struct sockaddr_storage *sa, socklen_t salen, char *err, size_t n)
{
	char shown[INET6_ADDRSTRLEN + 8];
	int fd, one = 1, zero = 0;

	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* "[::]:PORT" means every address, IPv4 too, whatever
	 * net.ipv6.bindv6only says. */
	if (sa->ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))
		goto fail;
	/* A restart may find the last run's connections in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)sa, salen) || listen(fd, METRICS_BACKLOG))
		goto fail;
	return fd;
fail:
	format_address(sa, shown, sizeof(shown));
	snprintf(err, n, "cannot listen on %s: %s", shown, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

struct ss_metrics *ss_metrics_bind(const char *spec, ss_metrics_render_fn render, void *arg, char *err, size_t n)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	struct ss_metrics *m = NULL;
	int fd = -1;

	if (!spec || parse_spec(spec, &sa, &salen)) {
		snprintf(err, n, "bad metrics address '%s' " SPEC_FORMS, spec ? spec : "");
		return NULL;
	}
	fd = listen_on(&sa, salen, err, n);
	if (fd < 0)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, n, "out of memory");
		close(fd);
		return NULL;
	}
	m->fd = fd;
	pthread_mutex_init(&m->log_lock, NULL);
	m->render = render;
	m->arg = arg;
	salen = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &salen);
	format_address(&sa, m->address, sizeof(m->address));
	m->index = text_response("synscope: Prometheus metrics at /metrics\n", NULL);
	m->not_found = text_response("not found: metrics are at /metrics\n", NULL);
	m->not_allowed = text_response("method not allowed: GET or HEAD\n", "GET, HEAD");
	m->busy = text_response("too many scrapes in flight\n", NULL);
	m->failed = text_response("scrape failed: see synscope's stderr\n", NULL);
	if (!m->index || !m->not_found || !m->not_allowed || !m->busy || !m->failed) {
		snprintf(err, n, "out of memory");
		ss_metrics_stop(m);
		return NULL;
	}
	return m;
}

int ss_metrics_serve(struct ss_metrics *m, char *err, size_t n)
{
	sigset_t all, old;

	/* The server thread inherits a full signal mask: SIGINT and SIGTERM
	 * go to synscope's own threads, whose poll they are meant to wake.
	 * It inherits the caller's credentials too: call this once the
	 * capabilities are dropped. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	m->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
				     MHD_USE_ERROR_LOG,
				     0, NULL, NULL, on_request, m,
				     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, m,
				     MHD_OPTION_LISTEN_SOCKET, (MHD_socket)m->fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_CONN_LIMIT,
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)METRICS_PER_IP_LIMIT,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_TIMEOUT_S,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_CONN_MEMORY,
				     /* Refuse what HTTP/1.1 refuses (no Host, spaces in names): no guessing. */
				     MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
				     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!m->daemon) {
		snprintf(err, n, "cannot start the metrics server on %s", m->address);
		return -1;
	}
	m->fd = -1; /* libmicrohttpd closes it */
	return 0;
}

struct ss_metrics *ss_metrics_start(const char *spec, ss_metrics_render_fn render, void *arg, char *err, size_t n)
{
	struct ss_metrics *m = ss_metrics_bind(spec, render, arg, err, n);

	if (m && ss_metrics_serve(m, err, n)) {
		ss_metrics_stop(m);
		return NULL;
	}
	return m;
}

int ss_metrics_check_spec(const char *spec, char *err, size_t n)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);

	if (spec && !parse_spec(spec, &sa, &salen))
		return 0;
	snprintf(err, n, "bad metrics address '%s' " SPEC_FORMS, spec ? spec : "");
	return -1;
}

const char *ss_metrics_address(const struct ss_metrics *m)
{
	return m->address;
}

uint64_t ss_metrics_scrapes(const struct ss_metrics *m)
{
	return atomic_load(&m->scrapes);
}

void ss_metrics_stop(struct ss_metrics *m)
{
	if (!m)
		return;
	/* Joins the thread; open connections are closed and their responses freed. */
	if (m->daemon)
		MHD_stop_daemon(m->daemon);
	else if (m->fd >= 0)
		close(m->fd);
	if (m->log_suppressed)
		fprintf(stderr, "synscope: metrics: %" PRIu32 " more messages not shown\n", m->log_suppressed);
	if (m->index)
		MHD_destroy_response(m->index);
	if (m->not_found)
		MHD_destroy_response(m->not_found);
	if (m->not_allowed)
		MHD_destroy_response(m->not_allowed);
	if (m->busy)
		MHD_destroy_response(m->busy);
	if (m->failed)
		MHD_destroy_response(m->failed);
	pthread_mutex_destroy(&m->log_lock);
	free(m);
}
