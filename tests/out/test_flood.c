// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The flood view's pure part: ranking, the alert state machine, the
 * incomplete share, and the three printouts (JSON checked by a small
 * validator and exact key/value text, the line style, alert lines). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "out/flood_view.h"

/* ---- helpers ---------------------------------------------------------- */

static void addr4(uint32_t *a, const char *s)
{
	memset(a, 0, 16);
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
}

static void addr6(uint32_t *a, const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static struct flood_target tgt(const char *addr, uint16_t port, uint64_t syn)
{
	struct flood_target t = { .port = port, .syn = syn };

	if (strchr(addr, ':')) {
		t.family = 6;
		addr6(t.addr, addr);
	} else {
		t.family = 4;
		addr4(t.addr, addr);
	}
	return t;
}

static struct flood_source src(const char *addr, uint64_t syn)
{
	struct flood_source s = { .syn = syn };

	if (strchr(addr, ':')) {
		s.family = 6;
		addr6(s.addr, addr);
	} else {
		s.family = 4;
		addr4(s.addr, addr);
	}
	return s;
}

static const char *fmt(uint8_t family, const uint32_t *addr)
{
	static char buf[4][64];
	static int i;
	char *b = buf[i++ & 3];

	inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, b, 64);
	return b;
}

#define assert_target(t, a, p, s) do {                          \
	assert_string_equal(fmt((t).family, (t).addr), a);      \
	assert_int_equal((t).port, p);                          \
	assert_int_equal((t).syn, s);                           \
} while (0)

#define assert_source(x, a, s) do {                             \
	assert_string_equal(fmt((x).family, (x).addr), a);      \
	assert_int_equal((x).syn, s);                           \
} while (0)

/* Print one interval into a string (caller frees). */
static char *print(enum flood_style style, const struct flood_interval *iv,
		   const struct flood_alerts *a, int top_n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	flood_print(f, style, "vs0: xdp(native) in, tcx out", iv, a, top_n);
	fclose(f);
	assert_non_null(buf);
	return buf;
}

static int count_str(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

#define assert_has(hay, needle) do {                                            \
	if (!strstr(hay, needle))                                               \
		fail_msg("missing\n  %s\nin\n  %s", needle, hay);               \
} while (0)

#define assert_lacks(hay, needle) do {                                          \
	if (strstr(hay, needle))                                                \
		fail_msg("unexpected\n  %s\nin\n  %s", needle, hay);            \
} while (0)

/* ---- a minimal JSON validator: the printout must parse ------------------ */

struct jp {
	const char *p;
	int depth;
};

static int j_value(struct jp *j);

static void j_ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static int j_string(struct jp *j)
{
	if (*j->p != '"')
		return -1;
	for (j->p++; *j->p && *j->p != '"'; j->p++) {
		if ((unsigned char)*j->p < 0x20)
			return -1;
		if (*j->p == '\\') {
			j->p++;
			if (!strchr("\"\\/bfnrtu", *j->p) || !*j->p)
				return -1;
		}
	}
	if (*j->p != '"')
		return -1;
	j->p++;
	return 0;
}

static int j_number(struct jp *j)
{
	const char *s = j->p;

	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return -1;
	if (*j->p == '.') {
		j->p++;
		if (!(*j->p >= '0' && *j->p <= '9'))
			return -1;
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (*j->p == 'e' || *j->p == 'E') {
		j->p++;
		if (*j->p == '+' || *j->p == '-')
			j->p++;
		if (!(*j->p >= '0' && *j->p <= '9'))
			return -1;
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > s ? 0 : -1;
}

static int j_container(struct jp *j, char close, int object)
{
	j->p++;
	j_ws(j);
	if (*j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		j_ws(j);
		if (object) {
			if (j_string(j))
				return -1;
			j_ws(j);
			if (*j->p++ != ':')
				return -1;
		}
		if (j_value(j))
			return -1;
		j_ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p != close)
			return -1;
		j->p++;
		return 0;
	}
}

static int j_value(struct jp *j)
{
	j_ws(j);
	switch (*j->p) {
	case '{':
		return j_container(j, '}', 1);
	case '[':
		return j_container(j, ']', 0);
	case '"':
		return j_string(j);
	case 't':
		return strncmp(j->p, "true", 4) ? -1 : (j->p += 4, 0);
	case 'f':
		return strncmp(j->p, "false", 5) ? -1 : (j->p += 5, 0);
	case 'n':
		return strncmp(j->p, "null", 4) ? -1 : (j->p += 4, 0);
	default:
		return j_number(j);
	}
}

/* One JSON object and one newline, nothing else. */
static void assert_json_line(const char *s)
{
	struct jp j = { .p = s };

	if (*s != '{' || j_value(&j) != 0)
		fail_msg("not valid JSON at offset %td: %s", j.p - s, s);
	if (strcmp(j.p, "\n") != 0)
		fail_msg("trailing text after the object: '%s'", j.p);
}

static void test_json_validator_rejects(void **state)
{
	struct jp j;
	const char *bad[] = { "{\"a\":1,}", "{\"a\":[1,]}", "{\"a\" 1}", "{\"a\":01}",
			      "{\"a\":nan}", "{\"a\":\"x}", "{\"a\":1", "{a:1}" };
	const char *good[] = { "{}", "{\"a\":[]}", "{\"a\":[{\"b\":-1.5e3},\"c\",true,null]}" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j.p = bad[i];
		j.depth = 0;
		assert_int_not_equal(j_value(&j) == 0 && *j.p == '\0', 1);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		j.p = good[i];
		assert_int_equal(j_value(&j), 0);
		assert_int_equal(*j.p, '\0');
	}
}

/* ---- ranking ------------------------------------------------------------ */

static void test_top_targets_order(void **state)
{
	struct flood_target t[6];
	int n;

	(void)state;
	t[0] = tgt("198.18.0.2", 80, 10);
	t[1] = tgt("198.18.0.2", 8080, 500);
	t[2] = tgt("198.18.0.3", 22, 0);
	t[3] = tgt("10.0.0.1", 443, 70);
	t[4] = tgt("2001:db8::1", 443, 9000);
	t[5] = tgt("198.18.0.9", 53, 1);
	n = flood_top_targets(t, 6, 3);
	assert_int_equal(n, 3);
	assert_target(t[0], "2001:db8::1", 443, 9000);
	assert_target(t[1], "198.18.0.2", 8080, 500);
	assert_target(t[2], "10.0.0.1", 443, 70);
}

static void test_top_targets_zero_dropped_and_n_large(void **state)
{
	struct flood_target t[5];
	int n;

	(void)state;
	t[0] = tgt("198.18.0.2", 1, 0);
	t[1] = tgt("198.18.0.2", 2, 3);
	t[2] = tgt("198.18.0.2", 3, 0);
	t[3] = tgt("198.18.0.2", 4, 7);
	t[4] = tgt("198.18.0.2", 5, 0);
	/* n far above count: only the non-zero entries come back. */
	n = flood_top_targets(t, 5, FLOOD_TOP_MAX);
	assert_int_equal(n, 2);
	assert_target(t[0], "198.18.0.2", 4, 7);
	assert_target(t[1], "198.18.0.2", 2, 3);

	/* All zero, and nothing at all. */
	t[0] = tgt("198.18.0.2", 1, 0);
	t[1] = tgt("198.18.0.3", 1, 0);
	assert_int_equal(flood_top_targets(t, 2, 5), 0);
	assert_int_equal(flood_top_targets(t, 0, 5), 0);
	/* n = 1 keeps only the largest. */
	t[0] = tgt("198.18.0.2", 1, 5);
	t[1] = tgt("198.18.0.3", 1, 6);
	assert_int_equal(flood_top_targets(t, 2, 1), 1);
	assert_target(t[0], "198.18.0.3", 1, 6);
}

static void test_top_targets_ties(void **state)
{
	struct flood_target t[5], u[5];
	int n, i;

	(void)state;
	/* Equal counts: address order, then port, whatever the input order. */
	t[0] = tgt("198.18.0.9", 80, 100);
	t[1] = tgt("198.18.0.2", 443, 100);
	t[2] = tgt("198.18.0.2", 80, 100);
	t[3] = tgt("10.1.1.1", 80, 50);
	t[4] = tgt("198.18.0.10", 80, 100);
	for (i = 0; i < 5; i++)
		u[i] = t[4 - i];
	n = flood_top_targets(t, 5, 5);
	assert_int_equal(n, 5);
	assert_target(t[0], "198.18.0.2", 80, 100);
	assert_target(t[1], "198.18.0.2", 443, 100);
	assert_target(t[2], "198.18.0.9", 80, 100);
	assert_target(t[3], "198.18.0.10", 80, 100);
	assert_target(t[4], "10.1.1.1", 80, 50);
	assert_int_equal(flood_top_targets(u, 5, 5), 5);
	assert_memory_equal(t, u, sizeof(t));
	/* The cut at n falls inside the tie the same way from any order. */
	t[0] = tgt("198.18.0.9", 80, 100);
	t[1] = tgt("198.18.0.2", 80, 100);
	t[2] = tgt("198.18.0.5", 80, 100);
	assert_int_equal(flood_top_targets(t, 3, 2), 2);
	assert_target(t[0], "198.18.0.2", 80, 100);
	assert_target(t[1], "198.18.0.5", 80, 100);
}

static void test_top_sources(void **state)
{
	struct flood_source s[6], u[6];
	int n, i;

	(void)state;
	s[0] = src("198.18.0.1", 20000);
	s[1] = src("203.0.113.7", 0);
	s[2] = src("fd00:5c::1", 300);
	s[3] = src("198.18.0.7", 300);
	s[4] = src("192.0.2.1", 40);
	s[5] = src("198.18.0.3", 0);
	for (i = 0; i < 6; i++)
		u[i] = s[5 - i];
	n = flood_top_sources(s, 6, 100);
	assert_int_equal(n, 4);
	assert_source(s[0], "198.18.0.1", 20000);
	/* A tie between families: IPv4 first. */
	assert_source(s[1], "198.18.0.7", 300);
	assert_source(s[2], "fd00:5c::1", 300);
	assert_source(s[3], "192.0.2.1", 40);
	assert_int_equal(flood_top_sources(u, 6, 100), 4);
	assert_memory_equal(s, u, 4 * sizeof(s[0]));
	assert_int_equal(flood_top_sources(s, 4, 2), 2);
	assert_source(s[1], "198.18.0.7", 300);
	assert_int_equal(flood_top_sources(s, 0, 2), 0);
}

/* ---- incomplete share and alerts --------------------------------------- */

static void test_incomplete_pct(void **state)
{
	struct flood_interval iv = { .interval_s = 1 };

	(void)state;
	assert_true(flood_incomplete_pct(&iv) == 0.0);          /* no SYN */
	iv.syn = 1000;
	iv.established = 250;
	assert_true(flood_incomplete_pct(&iv) == 75.0);
	iv.established = 1000;
	assert_true(flood_incomplete_pct(&iv) == 0.0);
	iv.established = 1200; /* SYNs of the previous interval completed now */
	assert_true(flood_incomplete_pct(&iv) == 0.0);
	iv.established = 0;
	assert_true(flood_incomplete_pct(&iv) == 100.0);
	iv.syn = 3;
	iv.established = 1;
	assert_float_equal(flood_incomplete_pct(&iv), 200.0 / 3.0, 1e-9);
}

static void test_alert_syn_rate(void **state)
{
	struct flood_alerts a = { .syn_rate = 1000, .incomplete_pct = -1 };
	struct flood_interval iv = { .interval_s = 1, .syn = 500, .established = 0 };

	(void)state;
	flood_alerts_update(&a, &iv);                 /* below */
	assert_int_equal(a.active[FLOOD_ALERT_SYN_RATE], 0);
	assert_int_equal(a.changed[FLOOD_ALERT_SYN_RATE], 0);
	iv.syn = 1000;                                /* at the threshold: not above */
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.active[FLOOD_ALERT_SYN_RATE], 0);
	iv.syn = 1001;                                /* above: starts */
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.active[FLOOD_ALERT_SYN_RATE], 1);
	assert_int_equal(a.changed[FLOOD_ALERT_SYN_RATE], 1);
	iv.syn = 50000;                               /* stays, no new change */
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.active[FLOOD_ALERT_SYN_RATE], 1);
	assert_int_equal(a.changed[FLOOD_ALERT_SYN_RATE], 0);
	/* A rate, not a count: 1500 SYNs in 2 s is 750/s, below: ends. */
	iv.syn = 1500;
	iv.interval_s = 2;
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.active[FLOOD_ALERT_SYN_RATE], 0);
	assert_int_equal(a.changed[FLOOD_ALERT_SYN_RATE], -1);
	flood_alerts_update(&a, &iv);                 /* stays ended */
	assert_int_equal(a.changed[FLOOD_ALERT_SYN_RATE], 0);
	/* 600 SYNs in 0.5 s is 1200/s: starts again. */
	iv.syn = 600;
	iv.interval_s = 0.5;
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.changed[FLOOD_ALERT_SYN_RATE], 1);
	/* The other alert never moved: it is off. */
	assert_int_equal(a.active[FLOOD_ALERT_INCOMPLETE], 0);
	assert_int_equal(a.changed[FLOOD_ALERT_INCOMPLETE], 0);
}

static void test_alert_incomplete(void **state)
{
	struct flood_alerts a = { .syn_rate = 0, .incomplete_pct = 50 };
	struct flood_interval iv = { .interval_s = 1, .syn = 100, .established = 60 };

	(void)state;
	flood_alerts_update(&a, &iv);                 /* 40 % */
	assert_int_equal(a.active[FLOOD_ALERT_INCOMPLETE], 0);
	iv.established = 50;                          /* 50 %: not above */
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.active[FLOOD_ALERT_INCOMPLETE], 0);
	iv.established = 10;                          /* 90 %: starts */
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.active[FLOOD_ALERT_INCOMPLETE], 1);
	assert_int_equal(a.changed[FLOOD_ALERT_INCOMPLETE], 1);
	iv.syn = 1000000;                             /* stays */
	iv.established = 0;
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.active[FLOOD_ALERT_INCOMPLETE], 1);
	assert_int_equal(a.changed[FLOOD_ALERT_INCOMPLETE], 0);
	/* No new SYN while a thousand are still half-open: it holds ... */
	iv.syn = 0;
	iv.half_open = 1000;
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.active[FLOOD_ALERT_INCOMPLETE], 1);
	assert_int_equal(a.changed[FLOOD_ALERT_INCOMPLETE], 0);
	/* ... and ends once none is. */
	iv.half_open = 0;
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.active[FLOOD_ALERT_INCOMPLETE], 0);
	assert_int_equal(a.changed[FLOOD_ALERT_INCOMPLETE], -1);
	/* Off, no SYN and half-open ones: it does not start. */
	iv.half_open = 5;
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.active[FLOOD_ALERT_INCOMPLETE], 0);
	/* The SYN-rate alert is off (0) whatever the rate. */
	assert_int_equal(a.active[FLOOD_ALERT_SYN_RATE], 0);
	iv.syn = 1u << 30;
	iv.established = 1u << 30;
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.active[FLOOD_ALERT_SYN_RATE], 0);
	assert_int_equal(a.changed[FLOOD_ALERT_SYN_RATE], 0);
	assert_int_equal(a.active[FLOOD_ALERT_INCOMPLETE], 0);

	/* Threshold 0 %: any incomplete handshake alerts; none does not. */
	a = (struct flood_alerts){ .incomplete_pct = 0 };
	iv = (struct flood_interval){ .interval_s = 1, .syn = 10, .established = 10 };
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.active[FLOOD_ALERT_INCOMPLETE], 0);
	iv.established = 9;
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.changed[FLOOD_ALERT_INCOMPLETE], 1);
}

static void test_alerts_off(void **state)
{
	struct flood_alerts a = { .syn_rate = 0, .incomplete_pct = -1 };
	struct flood_interval iv = { .interval_s = 1, .syn = 10000000, .established = 0 };
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		flood_alerts_update(&a, &iv);
		assert_int_equal(a.active[FLOOD_ALERT_SYN_RATE], 0);
		assert_int_equal(a.active[FLOOD_ALERT_INCOMPLETE], 0);
		assert_int_equal(a.changed[FLOOD_ALERT_SYN_RATE], 0);
		assert_int_equal(a.changed[FLOOD_ALERT_INCOMPLETE], 0);
	}
	/* An interval of no length has no rate: no alert. */
	a.syn_rate = 1;
	iv.interval_s = 0;
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.active[FLOOD_ALERT_SYN_RATE], 0);
}

static void test_both_alerts_independent(void **state)
{
	struct flood_alerts a = { .syn_rate = 100, .incomplete_pct = 80 };
	struct flood_interval iv = { .interval_s = 1, .syn = 1000, .established = 10 };

	(void)state;
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.changed[FLOOD_ALERT_SYN_RATE], 1);
	assert_int_equal(a.changed[FLOOD_ALERT_INCOMPLETE], 1);
	iv.established = 900;                         /* 10 %: only one ends */
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.changed[FLOOD_ALERT_SYN_RATE], 0);
	assert_int_equal(a.active[FLOOD_ALERT_SYN_RATE], 1);
	assert_int_equal(a.changed[FLOOD_ALERT_INCOMPLETE], -1);
	iv.syn = 50;                                  /* then the other */
	iv.established = 50;
	flood_alerts_update(&a, &iv);
	assert_int_equal(a.changed[FLOOD_ALERT_SYN_RATE], -1);
	assert_int_equal(a.changed[FLOOD_ALERT_INCOMPLETE], 0);
}

/* ---- printing ----------------------------------------------------------- */

/* 2023-11-14T22:13:20.123456Z; 2 s; two targets, two sources. */
static void crafted(struct flood_interval *iv)
{
	memset(iv, 0, sizeof(*iv));
	iv->ts_ns = 1700000000123456789ll;
	iv->interval_s = 2;
	iv->syn = 5000;
	iv->synack = 1200;
	iv->established = 1000;
	iv->rst = 30;
	iv->half_open = 7;
	iv->events = 4000;
	iv->shed = 990;
	iv->lost = 10;
	iv->ntargets = 2;
	iv->targets[0] = tgt("198.18.0.2", 8080, 4000);
	iv->targets[1] = tgt("2001:db8::1", 443, 1000);
	iv->nsources = 2;
	iv->sources[0] = src("198.18.0.1", 3000);
	iv->sources[1] = src("fd00:5c::1", 64);
}

static void test_print_json(void **state)
{
	struct flood_alerts a = { .syn_rate = 1000, .incomplete_pct = 50 };
	struct flood_interval iv;
	char *s;

	(void)state;
	crafted(&iv);
	flood_alerts_update(&a, &iv);  /* 2500/s > 1000/s, 80 % > 50 %: both start */
	s = print(FLOOD_JSON, &iv, &a, 5);
	assert_json_line(s);
	assert_int_equal(count_str(s, "\n"), 1);
	assert_has(s, "{\"type\":\"interval\",");
	assert_has(s, "\"ts\":\"2023-11-14T22:13:20.123456Z\"");
	assert_has(s, "\"interval_s\":2.000,");
	assert_has(s, ",\"syn\":5000,");
	assert_has(s, "\"synack\":1200,");
	assert_has(s, "\"established\":1000,");
	assert_has(s, "\"rst\":30,");
	assert_has(s, "\"half_open\":7,");
	assert_has(s, "\"incomplete_pct\":80.0,");
	assert_has(s, "\"events\":4000,");
	assert_has(s, "\"shed\":990,");
	assert_has(s, "\"lost\":10,");
	assert_has(s, "\"top_targets\":[{\"addr\":\"198.18.0.2\",\"port\":8080,\"syn\":4000},"
		      "{\"addr\":\"2001:db8::1\",\"port\":443,\"syn\":1000}],");
	assert_has(s, "\"top_sources\":[{\"addr\":\"198.18.0.1\",\"syn\":3000},"
		      "{\"addr\":\"fd00:5c::1\",\"syn\":64}],");
	assert_has(s, "\"alerts\":[\"syn_rate\",\"incomplete\"],");
	assert_has(s, "\"alert_changes\":[{\"alert\":\"syn_rate\",\"state\":\"start\"},"
		      "{\"alert\":\"incomplete\",\"state\":\"start\"}]}\n");
	free(s);

	/* top_n cuts both arrays; the alerts stay, with no change. */
	flood_alerts_update(&a, &iv);
	s = print(FLOOD_JSON, &iv, &a, 1);
	assert_json_line(s);
	assert_has(s, "\"top_targets\":[{\"addr\":\"198.18.0.2\",\"port\":8080,\"syn\":4000}],");
	assert_has(s, "\"top_sources\":[{\"addr\":\"198.18.0.1\",\"syn\":3000}],");
	assert_has(s, "\"alerts\":[\"syn_rate\",\"incomplete\"],\"alert_changes\":[]}");
	free(s);

	/* The SYN rate ends, the incomplete alert stays. */
	iv.syn = 1500;                     /* 750/s */
	iv.established = 100;
	flood_alerts_update(&a, &iv);
	s = print(FLOOD_JSON, &iv, &a, 5);
	assert_json_line(s);
	assert_has(s, "\"alerts\":[\"incomplete\"],"
		      "\"alert_changes\":[{\"alert\":\"syn_rate\",\"state\":\"end\"}]}");
	free(s);
}

static void test_print_json_empty(void **state)
{
	struct flood_alerts a = { .incomplete_pct = -1 };
	struct flood_interval iv = { .ts_ns = 0, .interval_s = 0.25 };
	char *s;

	(void)state;
	flood_alerts_update(&a, &iv);
	s = print(FLOOD_JSON, &iv, &a, 5);
	assert_json_line(s);
	assert_string_equal(s,
		"{\"type\":\"interval\",\"ts\":\"1970-01-01T00:00:00.000000Z\",\"interval_s\":0.250,"
		"\"syn\":0,\"synack\":0,\"established\":0,\"rst\":0,\"half_open\":0,"
		"\"incomplete_pct\":0.0,\"events\":0,\"shed\":0,\"lost\":0,"
		"\"top_targets\":[],\"top_sources\":[],"
		"\"syn_to_synack_hist\":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"
		"\"synack_to_ack_hist\":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"
		"\"alerts\":[],\"alert_changes\":[]}\n");
	free(s);
}

/* Every key the issue asks for, each exactly once at the top level. */
static void test_print_json_keys(void **state)
{
	static const char *keys[] = { "ts", "interval_s", "syn", "synack", "established",
				      "rst", "half_open", "incomplete_pct", "events",
				      "shed", "lost", "top_targets", "top_sources",
				      "alerts", "alert_changes" };
	struct flood_alerts a = { .syn_rate = 1, .incomplete_pct = 0 };
	struct flood_interval iv;
	char *s, key[64];
	size_t i;

	(void)state;
	crafted(&iv);
	flood_alerts_update(&a, &iv);
	s = print(FLOOD_JSON, &iv, &a, 5);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int depth = 0, found = 0;

		snprintf(key, sizeof(key), "\"%s\":", keys[i]);
		for (const char *p = s; *p; p++) {
			if (*p == '{' || *p == '[')
				depth++;
			else if (*p == '}' || *p == ']')
				depth--;
			else if (depth == 1 && strncmp(p, key, strlen(key)) == 0 &&
				 (p[-1] == '{' || p[-1] == ','))
				found++;
		}
		if (found != 1)
			fail_msg("top-level key %s found %d times in %s", key, found, s);
	}
	free(s);
}

static void test_print_line(void **state)
{
	struct flood_alerts a = { .syn_rate = 1000, .incomplete_pct = 50 };
	struct flood_interval iv;
	char *s, *nl;

	(void)state;
	crafted(&iv);
	flood_alerts_update(&a, &iv);
	s = print(FLOOD_LINE, &iv, &a, 5);
	/* The alert START lines come first, then the interval's one line. */
	assert_int_equal(count_str(s, "\n"), 3);
	assert_true(strncmp(s, "ALERT START: SYN rate 2500/s, threshold 1000/s\n"
			       "ALERT START: incomplete handshakes 80.0%, threshold 50.0%\n",
			    strlen("ALERT START: SYN rate 2500/s, threshold 1000/s\n"
				   "ALERT START: incomplete handshakes 80.0%, threshold 50.0%\n")) == 0);
	nl = strstr(s, "%\n") + 2;
	assert_true(strncmp(nl, "2023-11-14T22:13:20.123456Z ", 28) == 0);
	assert_has(nl, " syn/s 2500 ");
	assert_has(nl, " synack/s 600 ");
	assert_has(nl, " established/s 500 ");
	assert_has(nl, " rst/s 15 ");
	assert_has(nl, " half-open 7 ");
	assert_has(nl, " incomplete 80.0% ");
	assert_has(nl, " shed/s 495 ");
	assert_has(nl, " lost/s 5 ");
	assert_has(nl, " top-target 198.18.0.2:8080 2000/s ");
	assert_has(nl, " top-source 198.18.0.1 1500/s");
	assert_has(nl, " [ALERT syn-rate] [ALERT incomplete]\n");
	free(s);

	/* Next interval, still above: no START line again, just the line. */
	flood_alerts_update(&a, &iv);
	s = print(FLOOD_LINE, &iv, &a, 5);
	assert_int_equal(count_str(s, "\n"), 1);
	assert_lacks(s, "ALERT START");
	assert_lacks(s, "ALERT END");
	assert_has(s, "[ALERT syn-rate]");
	free(s);

	/* Both end (no SYN, none half-open): END lines with the values that
	 * ended them. */
	iv.syn = 0;
	iv.established = 0;
	iv.half_open = 0;
	iv.ntargets = iv.nsources = 0;
	flood_alerts_update(&a, &iv);
	s = print(FLOOD_LINE, &iv, &a, 5);
	assert_int_equal(count_str(s, "\n"), 3);
	assert_has(s, "ALERT END: SYN rate 0/s, threshold 1000/s\n");
	assert_has(s, "ALERT END: incomplete handshakes 0.0%, threshold 50.0%\n");
	assert_has(s, " syn/s 0 ");
	assert_has(s, " top-target - 0/s top-source - 0/s\n");
	assert_lacks(s, "[ALERT");
	free(s);
}

static void test_print_line_ipv6_target(void **state)
{
	struct flood_alerts a = { .incomplete_pct = -1 };
	struct flood_interval iv;
	char *s;

	(void)state;
	crafted(&iv);
	iv.targets[0] = tgt("fd00:5c::2", 443, 100);
	iv.sources[0] = src("fd00:5c::1", 50);
	flood_alerts_update(&a, &iv);
	s = print(FLOOD_LINE, &iv, &a, 5);
	assert_int_equal(count_str(s, "\n"), 1);
	assert_has(s, " top-target [fd00:5c::2]:443 50/s top-source fd00:5c::1 25/s\n");
	free(s);
}

static void test_print_screen(void **state)
{
	struct flood_alerts a = { .syn_rate = 1000, .incomplete_pct = -1 };
	struct flood_interval iv;
	char *s;

	(void)state;
	crafted(&iv);
	flood_alerts_update(&a, &iv);
	s = print(FLOOD_SCREEN, &iv, &a, 5);
	assert_true(strncmp(s, "\033[H\033[2J", 7) == 0);
	assert_has(s, "synscope top - vs0: xdp(native) in, tcx out - 2023-11-14T22:13:20.123456Z");
	assert_has(s, "SYN/s 2500 ");
	assert_has(s, "ALERT: SYN rate above 1000/s");
	assert_lacks(s, "incomplete handshakes above");
	assert_has(s, "TOP TARGETS");
	assert_has(s, "198.18.0.2:8080");
	assert_has(s, "[2001:db8::1]:443");
	assert_has(s, "198.18.0.1");
	assert_has(s, "fd00:5c::1");
	free(s);
	/* top_n = 1: one row. */
	s = print(FLOOD_SCREEN, &iv, &a, 1);
	assert_lacks(s, "[2001:db8::1]:443");
	assert_lacks(s, "fd00:5c::1");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_validator_rejects),
		cmocka_unit_test(test_top_targets_order),
		cmocka_unit_test(test_top_targets_zero_dropped_and_n_large),
		cmocka_unit_test(test_top_targets_ties),
		cmocka_unit_test(test_top_sources),
		cmocka_unit_test(test_incomplete_pct),
		cmocka_unit_test(test_alert_syn_rate),
		cmocka_unit_test(test_alert_incomplete),
		cmocka_unit_test(test_alerts_off),
		cmocka_unit_test(test_both_alerts_independent),
		cmocka_unit_test(test_print_json),
		cmocka_unit_test(test_print_json_empty),
		cmocka_unit_test(test_print_json_keys),
		cmocka_unit_test(test_print_line),
		cmocka_unit_test(test_print_line_ipv6_target),
		cmocka_unit_test(test_print_screen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
