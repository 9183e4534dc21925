// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* user/engine/accounts.c: the kernel's counts split by what became of
 * each, the parts adding up to the whole, the rest "unread". Then the
 * engine fed a real mix through its API, the accounts of its figures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "engine/accounts.h"

static void test_parts(void **state)
{
	uint64_t c[SS_C_MAX] = { 0 };
	struct hs_stats st;
	struct ss_accounts a;

	(void)state;
	memset(&st, 0, sizeof(st));
	c[SS_C_ACK_COMPLETE] = 100;
	c[SS_C_LOST_ACK] = 3;
	c[SS_C_SYN] = 500;
	c[SS_C_SHED_SYN] = 40;
	c[SS_C_LOST_SYN] = 10;
	st.outcomes[HS_ESTABLISHED] = 95;
	st.acks_ignored = 2;
	st.syns_recorded = 400;
	st.syns_evicted = 45;
	st.syns_ignored = 5;
	ss_accounts_make(&a, c, &st, 7);
	assert_int_equal(a.completed, 100);
	assert_int_equal(a.established, 88);
	assert_int_equal(a.left_at_count, 7);
	assert_int_equal(a.ack_lost, 3);
	assert_int_equal(a.ack_unmatched, 2);
	assert_int_equal(a.ack_unread, 0);
	assert_int_equal(a.established + a.left_at_count + a.ack_lost + a.ack_unmatched +
			 a.ack_unread, a.completed);
	assert_int_equal(a.syns, 500);
	assert_int_equal(a.syn_unread, 0);
	assert_int_equal(a.syn_in_records + a.syn_evicted + a.syn_shed + a.syn_lost +
			 a.syn_unmatched + a.syn_unread, a.syns);

	/* While tracing: what is not accounted for yet is the rest. */
	st.outcomes[HS_ESTABLISHED] = 80;
	st.syns_recorded = 300;
	ss_accounts_make(&a, c, &st, 0);
	assert_int_equal(a.ack_unread, 15);
	assert_int_equal(a.syn_unread, 100);
	/* Never below zero (an engine ahead of a stale read of the counters). */
	c[SS_C_ACK_COMPLETE] = 50;
	c[SS_C_SYN] = 100;
	ss_accounts_make(&a, c, &st, 0);
	assert_int_equal(a.ack_unread, 0);
	assert_int_equal(a.syn_unread, 0);
	/* -c can only leave unprinted what was made. */
	ss_accounts_make(&a, c, &st, 1000);
	assert_int_equal(a.left_at_count, 80);
	assert_int_equal(a.established, 0);
}

static void record(const struct hs_record *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
}

static struct ss_event_syn event(int kind, uint16_t cport, uint64_t ts, uint32_t seq, uint32_t ack)
{
	struct ss_event_syn e;
	int from_client = kind != SS_EV_SYNACK;

	memset(&e, 0, sizeof(e));
	e.e.kind = (uint8_t)kind;
	e.e.family = 4;
	e.e.ts_ns = ts;
	e.e.ifindex = 2;
	e.e.saddr[0] = from_client ? 0x0100000a : 0x0200000a;
	e.e.daddr[0] = from_client ? 0x0200000a : 0x0100000a;
	e.e.sport = from_client ? cport : 80;
	e.e.dport = from_client ? 80 : cport;
	e.e.seq = seq;
	e.e.ack = ack;
	e.e.tcp_flags = kind == SS_EV_SYN ? SS_TCP_SYN : kind == SS_EV_SYNACK ?
			SS_TCP_SYN | SS_TCP_ACK : SS_TCP_ACK;
	return e;
}

/* The engine and the kernel's counters of the same events: complete
 * handshakes, ones whose SYN was shed (the kernel counted it, no event),
 * a SYN-ACK lost, flows evicted, and everything adds up after a flush. */
static void test_engine_mix(void **state)
{
	struct hs_config cfg = { .timeout_ns = 1000000000ull, .max_flows = 50 };
	uint64_t c[SS_C_MAX] = { 0 }, t = 1000;
	struct ss_accounts a;
	struct hs_stats st;
	struct ss_event_syn e;
	struct hs_engine *eng;
	int n = 0;
	uint16_t p;

	(void)state;
	eng = hs_new(&cfg, record, &n);
	assert_non_null(eng);
	for (p = 1; p <= 200; p++, t += 1000) {
		int shed = p % 5 == 0, lost_synack = p % 7 == 0, complete = p % 2 == 0;

		c[SS_C_SYN]++;
		if (shed) {
			c[SS_C_SHED_SYN]++;
		} else {
			e = event(SS_EV_SYN, p, t, 1000u * p, 0);
			hs_feed(eng, &e.e);
		}
		c[SS_C_SYNACK]++;
		if (!lost_synack) {
			e = event(SS_EV_SYNACK, p, t + 100, 7u * p, 1000u * p + 1);
			hs_feed(eng, &e.e);
		}
		if (complete) {
			c[SS_C_ACK_COMPLETE]++;
			e = event(SS_EV_ACK, p, t + 200, 1000u * p + 1, 7u * p + 1);
			hs_feed(eng, &e.e);
		}
	}
	hs_flush(eng);
	hs_get_stats(eng, &st);
	ss_accounts_make(&a, c, &st, 0);
	assert_int_equal(a.completed, 100);
	assert_int_equal(a.ack_unread, 0);
	assert_int_equal(a.established + a.ack_lost + a.ack_unmatched, a.completed);
	/* Every completion is a record, whatever it lacks. */
	assert_int_equal(a.established, 100);
	assert_int_equal(a.syn_unread, 0);
	assert_int_equal(a.syn_shed, 40);
	assert_true(a.syn_evicted > 0);
	assert_int_equal(a.syn_in_records + a.syn_evicted + a.syn_shed + a.syn_lost + a.syn_unmatched,
			 a.syns);
	hs_free(eng);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_engine_mix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
