// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* user/fleet/exporter.c: every kernel counter has a family; records become
 * handshakes by interface, family, port and outcome (ports past the cap
 * fold into "other"); latency buckets at their bounds; kernel counters per
 * interface; the snapshot is what the last publish saw, and a scrape that
 * asks for a fresh one gets it from the tracing thread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "fleet/exporter.h"

#define SEC 1000000000ull

static void test_counter_families(void **state)
{
	const char *label, *fam;
	int i;

	(void)state;
	for (i = 0; i < SS_C_MAX; i++) {
		fam = ss_exporter_counter_family(i, &label);
		/* The totals of lost and shed are the sums of their kinds. */
		if (i == SS_C_LOST || i == SS_C_SHED) {
			assert_null(fam);
			continue;
		}
		if (!fam)
			fail_msg("kernel counter %d is not exported", i);
		assert_true(strncmp(fam, "synscope_", 9) == 0);
		assert_true(strlen(fam) > 6 && strcmp(fam + strlen(fam) - 6, "_total") == 0);
	}
	assert_null(ss_exporter_counter_family(SS_C_MAX, &label));
	assert_string_equal(ss_exporter_counter_family(SS_C_SYNACK, &label), "synscope_segments_total");
	assert_string_equal(label, "kind=\"syn_ack\"");
}

static struct hs_record rec(uint32_t ifindex, uint8_t family, uint16_t port, int outcome,
			    int64_t l1, int64_t l2)
{
	struct hs_record r;

	memset(&r, 0, sizeof(r));
	r.ifindex = ifindex;
	r.family = family;
	r.server_port = port;
	r.outcome = (uint8_t)outcome;
	r.syn_to_synack_us = l1;
	r.synack_to_ack_us = l2;
	return r;
}

/* Render x into a fresh writer; the caller frees it. */
static struct ss_prom *render(struct ss_exporter *x)
{
	struct ss_prom *p = ss_prom_new(SS_PROM_CAP_DEFAULT);

	assert_non_null(p);
	ss_exporter_render(x, p);
	assert_null(ss_prom_error(p));
	return p;
}

/* The text must hold this whole line. */
static void has_line(struct ss_prom *p, const char *line)
{
	const char *t = ss_prom_text(p, NULL), *at = t;
	size_t n = strlen(line);

	while ((at = strstr(at, line)))
		if ((at == t || at[-1] == '\n') && at[n] == '\n')
			return;
		else
			at++;
	fail_msg("no line '%s' in:\n%s", line, t);
}

static void publish(struct ss_exporter *x, const struct ss_iface_counters *rows, int n,
		    const struct hs_stats *hs, uint64_t now)
{
	struct ss_exp_inputs in = { .ifaces = rows, .nifaces = n, .hs = hs, .events_read = 9,
				    .pending = 2 };

	assert_int_equal(ss_exporter_publish(x, &in, now, 1), 1);
}

static void test_handshakes(void **state)
{
	struct ss_exporter *x = ss_exporter_new();
	struct hs_stats hs = { .flows = 3, .evicted = 4 };
	struct ss_why why = { 0 };
	struct hs_record r;
	struct ss_prom *p;

	(void)state;
	assert_non_null(x);
	/* ifindex 0 is never an interface: the series name says "other". */
	r = rec(0, 4, 80, HS_ESTABLISHED, 10, 11);
	ss_exporter_record(x, &r, NULL);
	r = rec(0, 4, 80, HS_ESTABLISHED, 11, 10000000);
	ss_exporter_record(x, &r, NULL);
	r = rec(0, 4, 80, HS_TIMEOUT, -1, -1);
	ss_exporter_record(x, &r, NULL);
	r = rec(0, 6, 443, HS_REFUSED, -1, -1);
	r.syn_retrans = 2;
	ss_exporter_record(x, &r, NULL);
	r = rec(0, 4, 80, HS_ESTABLISHED, 10000001, 25);
	r.synack_retrans = 1;
	ss_exporter_record(x, &r, NULL);
	/* Failed ones by cause: the kernel's, the listener's queue, none; a
	 * cookie SYN-ACK. */
	r = rec(0, 4, 81, HS_TIMEOUT, -1, -1);
	r.have_syn = 1;
	why.cause = "accept queue full";
	why.cause_from = "listener queue";
	ss_exporter_record(x, &r, &why);
	why.cause = "NETFILTER_DROP";
	why.cause_from = "kernel";
	ss_exporter_record(x, &r, &why);
	ss_exporter_record(x, &r, &why);
	why.cause = NULL;
	why.cause_from = NULL;
	ss_exporter_record(x, &r, &why);
	r.have_synack = 1;
	why.synack_cookie = 1;
	ss_exporter_record(x, &r, &why);
	publish(x, NULL, 0, &hs, SEC);
	p = render(x);
	has_line(p, "synscope_handshakes_total{iface=\"other\",family=\"ipv4\",server_port=\"80\",outcome=\"established\"} 3");
	has_line(p, "synscope_handshakes_total{iface=\"other\",family=\"ipv4\",server_port=\"80\",outcome=\"timeout\"} 1");
	has_line(p, "synscope_handshakes_total{iface=\"other\",family=\"ipv4\",server_port=\"80\",outcome=\"refused\"} 0");
	has_line(p, "synscope_handshakes_total{iface=\"other\",family=\"ipv6\",server_port=\"443\",outcome=\"refused\"} 1");
	/* A bound is in its own bucket (le: less or equal). */
	has_line(p, "synscope_syn_to_synack_seconds_bucket{iface=\"other\",family=\"ipv4\",le=\"1e-05\"} 1");
	has_line(p, "synscope_syn_to_synack_seconds_bucket{iface=\"other\",family=\"ipv4\",le=\"2.5e-05\"} 2");
	has_line(p, "synscope_syn_to_synack_seconds_bucket{iface=\"other\",family=\"ipv4\",le=\"10\"} 2");
	has_line(p, "synscope_syn_to_synack_seconds_bucket{iface=\"other\",family=\"ipv4\",le=\"+Inf\"} 3");
	has_line(p, "synscope_syn_to_synack_seconds_count{iface=\"other\",family=\"ipv4\"} 3");
	has_line(p, "synscope_syn_to_synack_seconds_sum{iface=\"other\",family=\"ipv4\"} 10.000022");
	has_line(p, "synscope_synack_to_ack_seconds_bucket{iface=\"other\",family=\"ipv4\",le=\"2.5e-05\"} 2");
	has_line(p, "synscope_synack_to_ack_seconds_bucket{iface=\"other\",family=\"ipv4\",le=\"10\"} 3");
	has_line(p, "synscope_retransmissions_total{iface=\"other\",family=\"ipv6\",packet=\"syn\"} 2");
	has_line(p, "synscope_retransmissions_total{iface=\"other\",family=\"ipv4\",packet=\"syn_ack\"} 1");
	has_line(p, "synscope_flows_tracked 3");
	has_line(p, "synscope_flows_evicted_total 4");
	has_line(p, "synscope_events_read_total 9");
	has_line(p, "synscope_pending_synacks 2");
	has_line(p, "synscope_failed_handshakes_total{cause=\"accept queue full\",from=\"listener queue\"} 1");
	has_line(p, "synscope_failed_handshakes_total{cause=\"NETFILTER_DROP\",from=\"kernel\"} 2");
	has_line(p, "synscope_failed_handshakes_total{cause=\"none\",from=\"none\"} 2");
	has_line(p, "synscope_synack_cookies_total 1");
	ss_prom_free(p);
	ss_exporter_free(x);
}

static void test_port_cap(void **state)
{
	struct ss_exporter *x = ss_exporter_new();
	struct hs_stats hs = { 0 };
	struct hs_record r;
	struct ss_prom *p;
	char line[192];
	int i;

	(void)state;
	for (i = 0; i < SS_EXP_PORTS + 6; i++) {
		r = rec(0, 4, (uint16_t)(1000 + i), HS_ESTABLISHED, 100, 100);
		ss_exporter_record(x, &r, NULL);
		ss_exporter_record(x, &r, NULL); /* a port seen twice takes one label */
	}
	publish(x, NULL, 0, &hs, SEC);
	p = render(x);
	snprintf(line, sizeof(line), "synscope_handshakes_total{iface=\"other\",family=\"ipv4\","
		 "server_port=\"%d\",outcome=\"established\"} 2", 1000 + SS_EXP_PORTS - 1);
	has_line(p, line);
	has_line(p, "synscope_handshakes_total{iface=\"other\",family=\"ipv4\",server_port=\"other\",outcome=\"established\"} 12");
	snprintf(line, sizeof(line), "server_port=\"%d\"", 1000 + SS_EXP_PORTS);
	assert_null(strstr(ss_prom_text(p, NULL), line));
	ss_prom_free(p);
	ss_exporter_free(x);
}

static void test_kernel_counters(void **state)
{
	struct ss_exporter *x = ss_exporter_new();
	struct ss_iface_counters rows[2];
	struct ss_prom *p;

	(void)state;
	memset(rows, 0, sizeof(rows));
	rows[0].ifindex = 7;
	strcpy(rows[0].name, "veth0");
	rows[0].c[SS_C_PACKETS] = 100;
	rows[0].c[SS_C_SYN] = 7;
	rows[0].c[SS_C_BAD_IPV6] = 2;
	rows[0].c[SS_C_LOST] = 5;
	rows[0].c[SS_C_LOST_SYNACK] = 5;
	strcpy(rows[1].name, "other");
	rows[1].c[SS_C_PACKETS] = 1;
	publish(x, rows, 2, NULL, SEC);
	p = render(x);
	has_line(p, "synscope_packets_total{iface=\"veth0\"} 100");
	has_line(p, "synscope_packets_total{iface=\"other\"} 1");
	has_line(p, "synscope_segments_total{iface=\"veth0\",kind=\"syn\"} 7");
	has_line(p, "synscope_unparsed_packets_total{iface=\"veth0\",reason=\"bad_ipv6\"} 2");
	has_line(p, "synscope_events_lost_total{iface=\"veth0\",kind=\"syn_ack\"} 5");
	has_line(p, "synscope_events_lost_total{iface=\"veth0\",kind=\"syn\"} 0");
	/* 100 packets: 7 SYNs and 2 unparsed, so 98 TCP segments. */
	has_line(p, "synscope_tcp_segments_total{iface=\"veth0\"} 98");
	/* No engine (top): no handshake families. */
	assert_null(strstr(ss_prom_text(p, NULL), "synscope_handshakes_total"));
	ss_prom_free(p);
	ss_exporter_free(x);
}

static void test_tcpstat(void **state)
{
	struct ss_exporter *x = ss_exporter_new();
	struct ss_tcpstat ts = { .have = 1u << SS_TS_LISTEN_OVERFLOWS };
	struct ss_exp_inputs in = { .tcp = &ts };
	struct ss_prom *p;

	(void)state;
	ts.v[SS_TS_LISTEN_OVERFLOWS] = 17;
	ts.v[SS_TS_LISTEN_DROPS] = 99; /* not read: not exported */
	ss_exporter_publish(x, &in, SEC, 1);
	p = render(x);
	has_line(p, "synscope_netns_tcp_total{counter=\"ListenOverflows\"} 17");
	assert_null(strstr(ss_prom_text(p, NULL), "ListenDrops"));
	ss_prom_free(p);
	ss_exporter_free(x);
}

/* Records after a publish are not seen until the next one. */
static void test_snapshot(void **state)
{
	struct ss_exporter *x = ss_exporter_new();
	struct hs_stats hs = { 0 };
	struct hs_record r = rec(0, 4, 22, HS_RESET, -1, -1);
	struct ss_prom *p;
	const char *line = "synscope_handshakes_total{iface=\"other\",family=\"ipv4\",server_port=\"22\",outcome=\"reset\"} ";

	(void)state;
	ss_exporter_record(x, &r, NULL);
	publish(x, NULL, 0, &hs, SEC);
	ss_exporter_record(x, &r, NULL);
	p = render(x); /* waits for a fresh one, gets none: the last */
	has_line(p, "synscope_handshakes_total{iface=\"other\",family=\"ipv4\",server_port=\"22\",outcome=\"reset\"} 1");
	ss_prom_free(p);
	publish(x, NULL, 0, &hs, 2 * SEC);
	p = render(x);
	assert_non_null(strstr(ss_prom_text(p, NULL), line));
	has_line(p, "synscope_handshakes_total{iface=\"other\",family=\"ipv4\",server_port=\"22\",outcome=\"reset\"} 2");
	ss_prom_free(p);
	ss_exporter_free(x);
}

struct scrape {
	struct ss_exporter *x;
	struct ss_prom *p;
	int done;
};

static void *scrape_thread(void *arg)
{
	struct scrape *s = arg;

	s->p = ss_prom_new(SS_PROM_CAP_DEFAULT);
	ss_exporter_render(s->x, s->p);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A scrape asks; the tracing thread sees it due and publishes; the scrape
 * renders what that publish carried. */
static void test_scrape_asks(void **state)
{
	struct ss_exporter *x = ss_exporter_new();
	struct hs_stats hs = { 0 };
	struct hs_record r = rec(0, 4, 8080, HS_ESTABLISHED, 5, 5);
	struct scrape s = { .x = x };
	struct ss_exp_inputs in = { .hs = &hs };
	struct timespec pause = { 0, 1000000 };
	pthread_t t;
	int i, published = 0;

	(void)state;
	assert_true(ss_exporter_due(x, 5 * SEC)); /* never published */
	publish(x, NULL, 0, &hs, 5 * SEC);
	assert_false(ss_exporter_due(x, 5 * SEC + SEC / 2));
	assert_true(ss_exporter_due(x, 6 * SEC));
	ss_exporter_record(x, &r, NULL);
	assert_int_equal(pthread_create(&t, NULL, scrape_thread, &s), 0);
	for (i = 0; i < 2000 && !published; i++) {
		if (ss_exporter_due(x, 5 * SEC + SEC / 2))
			published = ss_exporter_publish(x, &in, 5 * SEC + SEC / 2, 0);
		nanosleep(&pause, NULL);
	}
	pthread_join(t, NULL);
	assert_true(published);
	assert_true(s.done);
	has_line(s.p, "synscope_handshakes_total{iface=\"other\",family=\"ipv4\",server_port=\"8080\",outcome=\"established\"} 1");
	ss_prom_free(s.p);
	ss_exporter_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_families),
		cmocka_unit_test(test_handshakes),
		cmocka_unit_test(test_port_cap),
		cmocka_unit_test(test_kernel_counters),
		cmocka_unit_test(test_tcpstat),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_scrape_asks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
