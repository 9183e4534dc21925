// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The writer's own formatting (user/out/wbuf.c) against what it replaces:
 * printf's %lu, %ld, %06ld, %.1f and %.2f, inet_ntop(), gmtime_r() and the
 * stdio JSON string escape, over edge values and many random ones. The
 * same bytes, or a test fails (tests/e2e/e2e_golden.sh checks whole outputs).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>
#include "out/output.h"
#include "out/wbuf.h"

static uint64_t rng = 0x5c05e5eedull;

static uint64_t rnd64(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

/* p[0..n) as a C string. */
static const char *cstr(char *p, size_t n)
{
	p[n] = '\0';
	return p;
}

static void test_integers(void **state)
{
	static const uint64_t edges[] = { 0, 1, 9, 10, 99, 100, 101, 999, 1000, 65535, 4294967295ull,
					  4294967296ull, 9999999999999999999ull, UINT64_MAX };
	char got[64], want[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		snprintf(want, sizeof(want), "%lu", (unsigned long)edges[i]);
		assert_string_equal(cstr(got, fmt_u64(got, edges[i])), want);
		snprintf(want, sizeof(want), "%ld", (long)edges[i]);
		assert_string_equal(cstr(got, fmt_i64(got, (int64_t)edges[i])), want);
	}
	for (i = 0; i < 1000000; i++) {
		uint64_t v = rnd64() >> (rnd64() % 64);

		snprintf(want, sizeof(want), "%lu", (unsigned long)v);
		assert_string_equal(cstr(got, fmt_u64(got, v)), want);
		snprintf(want, sizeof(want), "%ld", (long)v);
		assert_string_equal(cstr(got, fmt_i64(got, (int64_t)v)), want);
	}
	snprintf(want, sizeof(want), "%ld", (long)INT64_MIN);
	assert_string_equal(cstr(got, fmt_i64(got, INT64_MIN)), want);
}

/* The latencies' conversions: every microsecond of the ranges where the
 * text writer uses them near each boundary, and random ones. */
static void check_fixed(double d, int decimals)
{
	char got[64], want[64];

	snprintf(want, sizeof(want), "%.*f", decimals, d);
	assert_string_equal(cstr(got, fmt_fixed(got, d, decimals)), want);
}

static void test_fixed(void **state)
{
	int64_t us;
	int i, k;

	(void)state;
	for (us = 10000; us < 2000000; us++)          /* "%.1fms" of us / 1000.0 */
		check_fixed(us / 1000.0, 1);
	for (us = 9990000; us < 10000000; us++)
		check_fixed(us / 1000.0, 1);
	for (us = 10000000; us < 12000000; us++)      /* "%.2fs" of us / 1e6 */
		check_fixed(us / 1e6, 2);
	for (i = 0; i < 2000000; i++) {
		us = (int64_t)(rnd64() % 100000000000000ull);
		check_fixed(us / 1000.0, 1);
		check_fixed(us / 1e6, 2);
	}
	for (i = 0; i < 500000; i++) {                /* any double, any decimals */
		double d = (double)(rnd64() >> 11) / (double)(1ull << (rnd64() % 53));

		for (k = 0; k <= 6; k++)
			check_fixed(d, k);
	}
	check_fixed(0.0, 1);
	check_fixed(0.25, 1);                         /* ties, to even */
	check_fixed(0.35, 1);
	check_fixed(1.25, 1);
	check_fixed(9999.95, 1);
	check_fixed(2.675, 2);
}

static void check_v6(const uint8_t *a)
{
	char got[64], want[64];

	assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
	assert_string_equal(cstr(got, fmt_ipv6(got, a)), want);
}

static void test_addresses(void **state)
{
	char got[64], want[64];
	uint8_t a[16];
	unsigned pat, i, j;

	(void)state;
	/* Every pattern of zero and non-zero groups, with small and large
	 * values, and with the IPv4-mapped group (ffff) in place. */
	for (pat = 0; pat < 256; pat++)
		for (j = 0; j < 4; j++) {
			for (i = 0; i < 8; i++) {
				unsigned v = (pat >> i) & 1 ? (j == 0 ? 1 : j == 1 ? 0xabc :
							       j == 2 ? 0xffff : 0x10 * (i + 1)) : 0;

				a[2 * i] = (uint8_t)(v >> 8);
				a[2 * i + 1] = (uint8_t)v;
			}
			check_v6(a);
			a[10] = a[11] = 0xff;     /* ::ffff:... */
			check_v6(a);
		}
	for (i = 0; i < 1000000; i++) {
		uint64_t x = rnd64(), y = rnd64(), z = rnd64();

		memcpy(a, &x, 8);
		memcpy(a + 8, &y, 8);
		for (j = 0; j < 8; j++)             /* zero some groups */
			if ((z >> (2 * j)) & 1)
				a[2 * j] = a[2 * j + 1] = 0;
		if ((z >> 20) & 1)
			a[2 * (z >> 24 & 7)] = 0;       /* leading zeros to drop */
		check_v6(a);
		assert_non_null(inet_ntop(AF_INET, a, want, sizeof(want)));
		assert_string_equal(cstr(got, fmt_ipv4(got, a)), want);
	}
}

/* What the stdio writer printed for an event time (output.c keeps it
 * for the flood view): RFC 3339 through gmtime_r, and "%06ld". */
static void test_times(void **state)
{
	static const int64_t edges[] = { 0, 1, 999, 1000, 999999999, 1000000000,
					 951782399999999999ll, 951868800000000000ll,
					 253402300799999999ll, 253402300800000000ll,
					 4294967295999999999ll, -1, -999, -1000, -1500000,
					 -1000000000, -86400000000000ll };
	struct ss_tcache tc;
	char got[64], want[64];
	size_t i;

	(void)state;
	/* Text records print local time, as tcpdump does: a zone with a
	 * half-hour offset, then one with summer time (a known day each). */
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	tcache_init(&tc);
	assert_string_equal(cstr(got, fmt_clock(&tc, got, 1782907200000001000ll)), "14:00:00.000001");
	assert_string_equal(cstr(got, fmt_clock(&tc, got, 1767268800000000000ll)), "13:00:00.000000");
	setenv("TZ", "XST-05:30", 1);
	tzset();
	tcache_init(&tc);
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		ss_fmt_utc(edges[i], want, sizeof(want));
		assert_string_equal(cstr(got, fmt_utc(&tc, got, edges[i])), want);
	}
	for (i = 0; i < 2000000; i++) {
		/* Mostly in time order with repeats of a second (the cache),
		 * sometimes anywhere up to year 36812. */
		int64_t ns = i % 8 ? (int64_t)(1700000000000000000ll + i * 123456789ll)
				   : (int64_t)(rnd64() >> 24);
		time_t sec = ns / 1000000000;
		struct tm tm;

		ss_fmt_utc(ns, want, sizeof(want));
		assert_string_equal(cstr(got, fmt_utc(&tc, got, ns)), want);
		localtime_r(&sec, &tm);
		snprintf(want, sizeof(want), "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (long)(ns % 1000000000 / 1000));
		assert_string_equal(cstr(got, fmt_clock(&tc, got, ns)), want);
	}
	unsetenv("TZ");
	tzset();
}

/* ss_json_str() wrote through stdio; fmt_json_body() must write the same. */
static void test_json_strings(void **state)
{
	char in[64], got[6 * sizeof(in) + 4], *want = NULL;
	size_t wlen, i, j, n;
	FILE *f;

	(void)state;
	for (i = 0; i < 200000; i++) {
		n = rnd64() % (sizeof(in) - 1);
		for (j = 0; j < n; j++) {
			in[j] = (char)(rnd64() % 256);
			if (!in[j])
				in[j] = '"';
		}
		in[n] = '\0';
		f = open_memstream(&want, &wlen);
		assert_non_null(f);
		ss_json_str(f, in);
		fclose(f);
		got[0] = '"';
		n = fmt_json_body(got + 1, in);
		got[n + 1] = '"';
		got[n + 2] = '\0';
		assert_string_equal(got, want);
		free(want);
		want = NULL;
	}
}

/* Padding: printf's %-*s and %*s; and the buffer across its flushes:
 * the file holds exactly what printf would have written. */
static void test_writer(void **state)
{
	static struct ss_wbuf w;
	char tmpl[] = "/tmp/ss-wbuf-XXXXXX";
	size_t i, total = 0, cap = 4 << 20;
	char *want = malloc(cap), *got = malloc(cap);
	int fd = mkstemp(tmpl);
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	assert_non_null(want);
	assert_non_null(got);
	wb_init(&w, fd);
	for (i = 0; i < 100000; i++) {
		char s[24];
		size_t len = rnd64() % 20, width = rnd64() % 24, k;

		for (k = 0; k < len; k++)
			s[k] = (char)('a' + rnd64() % 26);
		s[len] = '\0';
		if (i % 2) {
			wb_left(&w, s, len, width);
			total += (size_t)snprintf(want + total, cap - total, "%-*s\n", (int)width, s);
		} else {
			wb_right(&w, s, len, width);
			total += (size_t)snprintf(want + total, cap - total, "%*s\n", (int)width, s);
		}
		wb_char(&w, '\n');
	}
	assert_int_equal(wb_flush(&w), 0);
	assert_int_equal(w.written, total);
	assert_true(total > SS_WBUF_SIZE);            /* it did flush on its own */
	n = pread(fd, got, cap, 0);
	assert_int_equal(n, (ssize_t)total);
	assert_memory_equal(got, want, total);
	unlink(tmpl);
	close(fd);
	free(want);
	free(got);
	/* A failed write: the first error is kept, nothing more is written. */
	wb_init(&w, -1);
	wb_lit(&w, "lost");
	assert_true(wb_flush(&w) < 0);
	assert_true(w.err != 0);
	assert_true(wb_flush(&w) < 0);
	assert_int_equal(w.written, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_json_strings),
		cmocka_unit_test(test_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
