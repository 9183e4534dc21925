// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The pictures: --explain's ladder (out/output.c) and the latency
 * histograms (engine/latency.c, out/latency_view.c), on records made up
 * here, written to a temporary file and read back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "engine/handshake.h"
#include "engine/latency.h"
#include "out/latency_view.h"
#include "out/output.h"

#define US 1000ull
#define T0 (1700000000ull * 1000000000ull)

static struct hs_record rec(int outcome)
{
	struct hs_record r;

	memset(&r, 0, sizeof(r));
	r.family = 4;
	r.outcome = (uint8_t)outcome;
	inet_pton(AF_INET, "198.18.0.1", r.client);
	inet_pton(AF_INET, "198.18.0.2", r.server);
	r.client_port = 52860;
	r.server_port = 8080;
	r.have_syn = 1;
	r.syn_seq = 3709187018u;
	r.syn_ts = T0;
	r.syn_to_synack_us = r.synack_to_ack_us = -1;
	return r;
}

/* What the ladder of r prints. */
static char *ladder(const struct hs_record *r)
{
	struct ss_out o;
	FILE *f = tmpfile();
	char *buf = calloc(1, 8192);

	assert_non_null(f);
	assert_non_null(buf);
	ss_out_init(&o, fileno(f), 0, 1, 0, 0, NULL);
	ss_out_ladder(&o, r);
	assert_int_equal(ss_out_flush(&o), 0);
	ss_out_free(&o);
	rewind(f);
	assert_true(fread(buf, 1, 8191, f) > 0);
	fclose(f);
	return buf;
}

static void test_ladder_established(void **state)
{
	struct hs_record r = rec(HS_ESTABLISHED);
	char *s;

	(void)state;
	r.have_synack = r.have_ack = 1;
	r.synack_seq = 3241269183u;
	r.synack.ack = r.syn_seq + 1;
	r.synack_ts = T0 + 21 * US;
	r.ack_ts = T0 + 40 * US;
	r.syn_to_synack_us = 21;
	r.synack_to_ack_us = 19;
	s = ladder(&r);
	assert_string_equal(s,
		"       client                                   server\n"
		"       198.18.0.1:52860                198.18.0.2:8080\n"
		"       |------------ SYN seq 3709187018 ------------>|\n"
		"       |<-- SYN-ACK seq 3241269183 ack 3709187019 ---|  +21us\n"
		"       |------------ ACK ack 3241269184 ------------>|  +19us\n"
		"       established: the connection is open, 40us after the first SYN\n\n");
	free(s);
}

static void test_ladder_refused_and_retrans(void **state)
{
	struct hs_record r = rec(HS_REFUSED);
	char *s;

	(void)state;
	r.syn_retrans = 2;
	r.end_ts = T0 + 3000000 * US + 80 * US;
	s = ladder(&r);
	assert_non_null(strstr(s, "|---- SYN seq 3709187018 (sent 3 times) ---->|\n"));
	/* From the server, with the time since the SYN. */
	assert_non_null(strstr(s, "|<------------------- RST -------------------|  +3000.1ms\n"));
	assert_non_null(strstr(s, "refused: the SYN was answered with a RST (port 8080 closed, or a firewall's reject)"));
	free(s);

	r = rec(HS_RESET);
	r.have_synack = 1;
	r.synack_seq = 7;
	r.synack.ack = r.syn_seq + 1;
	r.synack_ts = T0 + 10 * US;
	r.syn_to_synack_us = 10;
	r.rst_from_client = 1;
	r.end_ts = T0 + 25 * US;
	s = ladder(&r);
	assert_non_null(strstr(s, "------------------- RST ------------------->|  +15us\n"));
	assert_non_null(strstr(s, "reset by the client before the handshake completed"));
	free(s);
}

static void test_ladder_timeout_missing_v6(void **state)
{
	struct hs_record r = rec(HS_TIMEOUT);
	char *s, *line;
	size_t len = 0;

	(void)state;
	s = ladder(&r);
	assert_non_null(strstr(s, "|  ... nothing more\n"));
	assert_non_null(strstr(s, "timed out: the SYN got no answer"));
	free(s);

	/* An ACK without its SYN (shed or before the trace), IPv6: the
	 * arrows widen to the ends' names; every post in one column. */
	r = rec(HS_ESTABLISHED);
	r.family = 6;
	inet_pton(AF_INET6, "fd00:5c::1:2:3:4", r.client);
	inet_pton(AF_INET6, "fd00:5c::ffff:eeee:dddd:cccc", r.server);
	r.have_syn = 0;
	r.have_synack = r.have_ack = 1;
	r.synack_seq = 9;
	r.synack.ack = 11;
	r.synack_to_ack_us = 5;
	s = ladder(&r);
	assert_non_null(strstr(s, "|  (its SYN was not seen)\n"));
	for (line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
		char *bar = strrchr(line, '|');

		if (line[7] != '|' || bar == line + 7)
			continue;
		if (!len)
			len = (size_t)(bar - line);
		assert_int_equal((size_t)(bar - line), len);
	}
	assert_true(len > 44);
	free(s);
}

/* The buckets: each bound belongs to its own bucket, above the last is
 * the last, an absent latency is not counted. */
static void test_latency_buckets(void **state)
{
	struct ss_lat_hist h, d, empty;
	int i;

	(void)state;
	memset(&h, 0, sizeof(h));
	memset(&empty, 0, sizeof(empty));
	for (i = 0; i < SS_LAT_BUCKETS; i++) {
		ss_lat_add(&h, (int64_t)ss_lat_bounds_us[i]);
		ss_lat_add(&h, (int64_t)ss_lat_bounds_us[i] + 1);
	}
	ss_lat_add(&h, 0);
	ss_lat_add(&h, -1);
	assert_int_equal(h.count, 2 * SS_LAT_BUCKETS + 1);
	assert_int_equal(h.n[0], 2);                  /* 0 and 10 */
	for (i = 1; i < SS_LAT_BUCKETS; i++)
		assert_int_equal(h.n[i], 2);          /* bound[i-1] + 1 and bound[i] */
	assert_int_equal(h.n[SS_LAT_BUCKETS], 1);     /* 10 s + 1 us */
	ss_lat_sub(&d, &h, &empty);
	assert_memory_equal(&d, &h, sizeof(h));
	ss_lat_sub(&d, &h, &h);
	assert_memory_equal(&d, &empty, sizeof(h));
}

/* The terminal histogram: rows from the first bucket used to the last,
 * the fullest bar full, the counts as given. */
static void test_latency_view(void **state)
{
	struct ss_lat_hist a, b;
	char buf[4096] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	int i;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ss_lat_print(f, "x: ", &a, &b);
	fflush(f);
	assert_string_equal(buf, "");                  /* nothing to show */
	for (i = 0; i < 40; i++)
		ss_lat_add(&a, 30);
	for (i = 0; i < 10; i++)
		ss_lat_add(&a, 700);
	ss_lat_add(&b, 20000000);
	ss_lat_print(f, "x: ", &a, &b);
	fclose(f);
	assert_non_null(strstr(buf, "x: latency    syn>synack: 50, mean 164us"));
	assert_non_null(strstr(buf, "synack>ack: 1, mean 20s\n"));
	assert_non_null(strstr(buf, "x:   <= 50us         40 ##############################         0 \n"));
	assert_non_null(strstr(buf, "x:   <= 1ms          10 ########  "));
	assert_non_null(strstr(buf, "x:   >  10s           0                                        1 ##############################\n"));
	assert_null(strstr(buf, "<= 25us"));           /* before the first used */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ladder_established),
		cmocka_unit_test(test_ladder_refused_and_retrans),
		cmocka_unit_test(test_ladder_timeout_missing_v6),
		cmocka_unit_test(test_latency_buckets),
		cmocka_unit_test(test_latency_view),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
