// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Command-line parsing: good options land in the struct, bad ones fail
 * with a message and never half-apply. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "cli/options.h"

static int parse(struct ss_options *o, char *err, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = "synscope";
	va_start(ap, err);
	for (char *a; (a = va_arg(ap, char *)) != NULL;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return ss_options_parse(argc, argv, o, err, 256);
}

#define PARSE(o, err, ...) parse(o, err, __VA_ARGS__, (char *)NULL)

static void test_defaults_and_ifaces(void **state)
{
	struct ss_options o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&o, err, "-i", "veth0", "--interface", "lo"), 0);
	assert_int_equal(o.nifaces, 2);
	assert_string_equal(o.ifaces[1], "lo");
	assert_int_equal(o.mode, SS_MODE_AUTO);
	assert_int_equal(o.json, 0);
	assert_true(o.timeout_ns == 10000000000ull);
	assert_int_equal(o.max_flows, 1000000);
}

static void test_full_set(void **state)
{
	struct ss_options o;
	char err[256];
	uint32_t a;

	(void)state;
	assert_int_equal(PARSE(&o, err, "-i", "eth9", "-o", "json", "--explain", "-c", "7",
			       "--duration", "2.5", "-p", "22", "--port", "443", "--host",
			       "198.18.0.0/15", "--host", "fd00:5c::1", "--mode", "tc",
			       "--timeout", "0.5", "--max-flows", "1000", "--event-rate", "0"), 0);
	assert_int_equal(o.json, 1);
	assert_int_equal(o.packets, 1); /* --explain implies --packets */
	assert_true(o.count == 7);
	assert_true(o.duration == 2.5);
	assert_int_equal(o.nports, 2);
	assert_int_equal(o.ports[1], 443);
	assert_int_equal(o.nhosts, 2);
	assert_int_equal(o.hosts[0].family, 4);
	assert_int_equal(o.hosts[0].len, 15);
	inet_pton(AF_INET, "198.18.0.0", &a);
	assert_true(o.hosts[0].addr[0] == a);
	assert_int_equal(o.hosts[1].family, 6);
	assert_int_equal(o.hosts[1].len, 128);
	assert_int_equal(o.mode, SS_MODE_TC);
	assert_true(o.timeout_ns == 500000000ull);
	assert_int_equal(o.max_flows, 1000);
	assert_int_equal(o.event_rate, 0);
}

static void test_bad_options(void **state)
{
	static const char *bad[][4] = {
		{ "-i", "lo", "-p", "0" },
		{ "-i", "lo", "-p", "65536" },
		{ "-i", "lo", "-p", "80x" },
		{ "-i", "lo", "-c", "-1" },
		{ "-i", "lo", "-c", "" },
		{ "-i", "lo", "--mode", "fast" },
		{ "-i", "lo", "-o", "xml" },
		{ "-i", "lo", "--host", "300.1.1.1" },
		{ "-i", "lo", "--host", "10.0.0.0/33" },
		{ "-i", "lo", "--host", "fd00::/129" },
		{ "-i", "lo", "--duration", "0" },
		{ "-i", "lo", "--timeout", "nan" },
		{ "-i", "lo", "--ringbuf-kib", "100" },
		{ "-i", "lo", "--bogus", "1" },
		{ "-i", "lo", "-r", "x.pcap" },
		{ "-r", "x.pcap", "--duration", "1" },
		{ "top", "-i", "lo", "--packets" },
		{ "-i", "lo", "extra", "arg" },
		{ "-p", "80", "-c", "1" }, /* no interface */
		{ "-i", "an-interface-name-too-long", "-c", "1" },
	};
	struct ss_options o;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = PARSE(&o, err, (char *)bad[i][0], (char *)bad[i][1],
			      (char *)bad[i][2], (char *)bad[i][3]);

		if (r != -1)
			fail_msg("case %zu (%s %s %s %s) parsed", i, bad[i][0], bad[i][1],
				 bad[i][2], bad[i][3]);
		assert_true(strlen(err) > 0);
		assert_null(strchr(err, '\n')); /* one line */
	}
	assert_int_equal(PARSE(&o, err, "-i"), -1);
	assert_non_null(strstr(err, "needs a value"));
	/* An interface given twice is said so; numbers are digits only. */
	assert_int_equal(PARSE(&o, err, "-i", "vs0", "-i", "lo", "-i", "vs0"), -1);
	assert_string_equal(err, "-i vs0 given twice");
	assert_int_equal(PARSE(&o, err, "-i", "any", "-i", "any"), -1);
	assert_string_equal(err, "-i any given twice");
	assert_int_equal(PARSE(&o, err, "-i", "lo", "-c", " -1"), -1);
	assert_int_equal(PARSE(&o, err, "-i", "lo", "-c", " 5"), -1);
	assert_int_equal(PARSE(&o, err, "-i", "lo", "--timeout", " 2"), -1);
}

/* One rule for -r: every option only a live trace has is refused, by
 * name; the options a capture can use are accepted. */
static void test_live_only_with_r(void **state)
{
	static const char *live[][2] = {
		{ "--mode", "xdp" }, { "--event-rate", "1" }, { "--ringbuf-kib", "64" },
		{ "--metrics", "9464" }, { "--cgroup", "/a" }, { "--duration", "1" },
	};
	struct ss_options o;
	char err[256], want[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		assert_int_equal(PARSE(&o, err, "-r", "x.pcap", (char *)live[i][0], (char *)live[i][1]), -1);
		snprintf(want, sizeof(want), "%s applies to live tracing, not to -r", live[i][0]);
		assert_string_equal(err, want);
		assert_int_equal(PARSE(&o, err, "-i", "lo", (char *)live[i][0], (char *)live[i][1]), 0);
	}
	assert_int_equal(PARSE(&o, err, "-r", "x.pcap", "-p", "80", "--host", "10.0.0.1", "--timeout", "2",
			       "--max-flows", "10", "-c", "3", "-o", "json", "--packets", "-w", "y.pcap"), 0);
	assert_int_equal(PARSE(&o, err, "top", "-r", "x.pcap", "--interval", "0.5", "--top-n", "3",
			       "--alert-syn-rate", "10", "--alert-incomplete", "5"), 0);
}

static void test_prefix_match(void **state)
{
	struct ss_prefix p;
	uint32_t a[4] = { 0 };

	(void)state;
	assert_int_equal(ss_prefix_parse("198.18.7.9/15", &p), 0);
	inet_pton(AF_INET, "198.19.200.1", a);
	assert_true(ss_prefix_match(&p, 4, a));
	inet_pton(AF_INET, "198.20.0.1", a);
	assert_false(ss_prefix_match(&p, 4, a));
	assert_false(ss_prefix_match(&p, 6, a));

	assert_int_equal(ss_prefix_parse("fd00:5c::/64", &p), 0);
	inet_pton(AF_INET6, "fd00:5c::1234", a);
	assert_true(ss_prefix_match(&p, 6, a));
	inet_pton(AF_INET6, "fd00:5d::1", a);
	assert_false(ss_prefix_match(&p, 6, a));

	assert_int_equal(ss_prefix_parse("0.0.0.0/0", &p), 0);
	inet_pton(AF_INET, "1.2.3.4", a);
	assert_true(ss_prefix_match(&p, 4, a));
}

/* The pending table's time unit from --timeout: the smallest power of two
 * of ns at least 1/16 of it (and 2^20), so that a live slot is at most 16
 * units old; and --timeout in those units, rounded up. */
static void test_pend_time(void **state)
{
	uint64_t t;

	(void)state;
	assert_int_equal(ss_pend_tshift(10ull * 1000000000ull), 30);    /* default 10 s */
	assert_int_equal(ss_pend_live_t(10ull * 1000000000ull, 30), 10);
	assert_int_equal(ss_pend_tshift(16ull << 30), 30);
	assert_int_equal(ss_pend_live_t(16ull << 30, 30), 16);
	assert_int_equal(ss_pend_tshift((16ull << 30) + 1), 31);
	assert_int_equal(ss_pend_live_t((16ull << 30) + 1, 31), 9);
	assert_int_equal(ss_pend_tshift(1), SS_PEND_TSHIFT_MIN);
	assert_int_equal(ss_pend_live_t(1, SS_PEND_TSHIFT_MIN), 1);
	assert_int_equal(ss_pend_tshift(1000000), SS_PEND_TSHIFT_MIN);    /* 1 ms */
	/* --timeout's range (options.c: up to 10^6 s): always 1..16 units. */
	for (t = 1000000; t <= 1000000ull * 1000000000ull; t = t * 3 + 7) {
		uint8_t sh = ss_pend_tshift(t);
		uint32_t live = ss_pend_live_t(t, sh);

		assert_true(live >= 1 && live <= 16);
		assert_true(((uint64_t)live << sh) >= t);
		assert_true(sh == SS_PEND_TSHIFT_MIN || (16ull << (sh - 1)) < t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_ifaces),
		cmocka_unit_test(test_full_set),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_live_only_with_r),
		cmocka_unit_test(test_prefix_match),
		cmocka_unit_test(test_pend_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
