// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Handshake engine tests. Every test feeds a script of events and compares
 * each record the callback receives, field by field, with the expected one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine/handshake.h"

#define US 1000ull
#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (100 * SEC)
#define TMO (10 * SEC)          /* the default timeout */
#define CISN 0x10000000u        /* client ISN */
#define SISN 0x20000000u        /* server ISN */
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- fixture: an engine and the records it emitted ---------------------- */

struct fx {
	struct hs_engine *e;
	struct hs_record *recs;
	size_t n, cap;
};

static void on_record(const struct hs_record *r, void *arg)
{
	struct fx *x = arg;

	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		x->recs = realloc(x->recs, x->cap * sizeof(*x->recs));
		assert_non_null(x->recs);
	}
	x->recs[x->n++] = *r;
}

/* A fresh engine with this config (0 = defaults), records cleared. */
static void fx_reset(struct fx *x, uint64_t timeout_ns, uint32_t max_flows)
{
	struct hs_config cfg = { .timeout_ns = timeout_ns, .max_flows = max_flows };

	hs_free(x->e);
	x->n = 0;
	x->e = hs_new(&cfg, on_record, x);
	assert_non_null(x->e);
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	fx_reset(x, 0, 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	hs_free(x->e);
	free(x->recs);
	free(x);
	return 0;
}

static struct hs_stats stats(const struct fx *x)
{
	struct hs_stats st;

	hs_get_stats(x->e, &st);
	return st;
}

/* ---- building events ---------------------------------------------------- */

struct tuple {
	uint32_t ifindex;
	uint8_t family;
	uint8_t host_is_server;        /* only sets ss_event.dir */
	uint32_t client[4], server[4];
	uint16_t cport, sport;
};

static struct tuple mk_tuple(uint32_t ifindex, const char *client, uint16_t cport,
			     const char *server, uint16_t sport)
{
	struct tuple t = { .ifindex = ifindex, .cport = cport, .sport = sport };
	int af = strchr(client, ':') ? AF_INET6 : AF_INET;

	t.family = af == AF_INET6 ? 6 : 4;
	assert_int_equal(inet_pton(af, client, t.client), 1);
	assert_int_equal(inet_pton(af, server, t.server), 1);
	return t;
}

enum who { CLIENT, SERVER };

/* What each side's SYN / SYN-ACK says; different so mix-ups show. The
 * sequence and ACK numbers are the step's (check_side() takes them from
 * the record). */
static struct hs_side side_of(enum who w)
{
	static const uint8_t cli_opts[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0x11, 0x22, 0x33,
					      0x44, 0, 0, 0, 0, 1, 3, 3, 7 };
	static const uint8_t srv_opts[20] = { 2, 4, 0x05, 0x78, 4, 2, 8, 10, 0x55, 0x66, 0x77,
					      0x88, 0x11, 0x22, 0x33, 0x44, 1, 3, 3, 9 };
	struct hs_side s = {
		.win = w == CLIENT ? 64240 : 65160,
		.ttl = w == CLIENT ? 64 : 57,
		.tcp_flags = w == CLIENT ? SS_TCP_SYN : SS_TCP_SYN | SS_TCP_ACK,
		.cgroup_id = w == CLIENT ? 111 : 222,
		.flow = w == CLIENT ? 0x12345 : 0x54321,
		.ip_id = w == CLIENT ? 0x1111 : 0x2222,
		.ip_frag = w == CLIENT ? 0x4000 : 0,
		.urg = w == CLIENT ? 3 : 4,
		.payload_len = w == CLIENT ? 0 : 5,
		.tos = w == CLIENT ? 0x10 : 0x02,
		.ip_opt_len = w == CLIENT ? 0 : 4,
		.doff_res = w == CLIENT ? 0xa0 : 0xa1,
		.opt_len = 20,
	};

	memcpy(s.opts, w == CLIENT ? cli_opts : srv_opts, sizeof(cli_opts));
	ss_walk_tcp_opts(s.opts, s.opt_len, &s.walk);
	return s;
}

struct step {
	int kind;                 /* SS_EV_* */
	enum who from;
	uint64_t ts;
	uint32_t seq, ack;
	uint8_t flags;            /* extra TCP flags, e.g. ACK on a RST */
	int unmatched;            /* hs_feed must return 0 */
	int emits;                /* records this event must emit */
	const struct tuple *t;    /* NULL: the script's tuple */
};

#define SYN_X(ts_, c, ...) \
	{ .kind = SS_EV_SYN, .from = CLIENT, .ts = (ts_), .seq = (c), __VA_ARGS__ }
#define SYNACK_X(ts_, s, c, ...) \
	{ .kind = SS_EV_SYNACK, .from = SERVER, .ts = (ts_), .seq = (s), .ack = (c) + 1, __VA_ARGS__ }
#define ACK_X(ts_, c, s, ...) \
	{ .kind = SS_EV_ACK, .from = CLIENT, .ts = (ts_), .seq = (c) + 1, .ack = (s) + 1, __VA_ARGS__ }
#define RST(who, ts_, seq_, ack_, ...) \
	{ .kind = SS_EV_RST, .from = (who), .ts = (ts_), .seq = (seq_), .ack = (ack_), __VA_ARGS__ }
#define SYN(ts_, ...) SYN_X(ts_, CISN, __VA_ARGS__)
#define SYNACK(ts_, ...) SYNACK_X(ts_, SISN, CISN, __VA_ARGS__)
#define ACK(ts_, ...) ACK_X(ts_, CISN, SISN, __VA_ARGS__)

/* An event as the kernel writes it: a SYN or SYN-ACK carries the rest of
 * its side (struct ss_event_syn), the others only ss_event's fields. */
static struct ss_event_syn mk_event(const struct tuple *t, const struct step *s)
{
	static const uint8_t flags[] = {
		[SS_EV_SYN] = SS_TCP_SYN, [SS_EV_SYNACK] = SS_TCP_SYN | SS_TCP_ACK,
		[SS_EV_ACK] = SS_TCP_ACK, [SS_EV_RST] = SS_TCP_RST,
		[SS_EV_FIN] = SS_TCP_FIN | SS_TCP_ACK,
	};
	struct hs_side side = side_of(s->from);
	int c = s->from == CLIENT;
	struct ss_event_syn es;
	struct ss_event ev;

	memset(&es, 0, sizeof(es));
	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = s->ts;
	ev.ifindex = t->ifindex;
	ev.dir = c != t->host_is_server ? SS_DIR_OUT : SS_DIR_IN;
	ev.kind = (uint8_t)s->kind;
	ev.family = t->family;
	ev.tcp_flags = flags[s->kind] | s->flags;
	memcpy(ev.saddr, c ? t->client : t->server, sizeof(ev.saddr));
	memcpy(ev.daddr, c ? t->server : t->client, sizeof(ev.daddr));
	ev.sport = c ? t->cport : t->sport;
	ev.dport = c ? t->sport : t->cport;
	ev.seq = s->seq;
	ev.ack = s->ack;
	ev.window = side.win;
	ev.ttl = side.ttl;
	es.e = ev;
	if (s->kind == SS_EV_SYN || s->kind == SS_EV_SYNACK) {
		es.cgroup_id = side.cgroup_id;
		es.flow = side.flow;
		es.ip_id = side.ip_id;
		es.ip_frag = side.ip_frag;
		es.urg = side.urg;
		es.payload_len = side.payload_len;
		es.tos = side.tos;
		es.ip_opt_len = side.ip_opt_len;
		es.doff_res = side.doff_res;
		es.opt_len = side.opt_len;
		memcpy(es.opts, side.opts, sizeof(es.opts));
	}
	return es;
}

static void play(struct fx *x, const struct tuple *t, const struct step *s, size_t n)
{
	size_t i, before;
	struct ss_event_syn ev;
	int got;

	for (i = 0; i < n; i++) {
		before = x->n;
		ev = mk_event(s[i].t ? s[i].t : t, &s[i]);
		got = hs_feed(x->e, &ev.e);
		if (got != !s[i].unmatched)
			fail_msg("step %zu: hs_feed returned %d, want %d", i, got, !s[i].unmatched);
		if (x->n - before != (size_t)s[i].emits)
			fail_msg("step %zu: emitted %zu records, want %d", i, x->n - before,
				 s[i].emits);
	}
}

#define PLAY(x, t, ...) do { \
	const struct step steps_[] = { __VA_ARGS__ }; \
	play((x), (t), steps_, ARRAY_LEN(steps_)); \
} while (0)

/* ---- expected records --------------------------------------------------- */

struct want {
	int outcome;
	int syn, synack, ack;        /* have_* */
	int rst_from_client;
	uint32_t syn_seq, synack_seq;
	uint64_t syn_ts, synack_ts, ack_ts, end_ts;
	int64_t l1, l2;              /* syn_to_synack_us, synack_to_ack_us */
	uint32_t syn_retrans, synack_retrans;
};

/* seq: the record's ISN of that side; ack: what its SYN-ACK carried. */
static void check_side(const struct hs_side *got, int have, enum who w, const struct tuple *t,
		       uint32_t seq, uint32_t ack)
{
	struct hs_side want = side_of(w);

	want.seq = seq;
	want.ack = ack;
	want.dir = (w == CLIENT) != t->host_is_server ? SS_DIR_OUT : SS_DIR_IN;
	if (!have)
		memset(&want, 0, sizeof(want));
	assert_memory_equal(got, &want, sizeof(want));
}

static void check_rec(const struct hs_record *r, const struct tuple *t, const struct want *w)
{
	assert_string_equal(hs_outcome_name(r->outcome), hs_outcome_name(w->outcome));
	assert_int_equal(r->ifindex, t->ifindex);
	assert_int_equal(r->family, t->family);
	assert_memory_equal(r->client, t->client, sizeof(r->client));
	assert_memory_equal(r->server, t->server, sizeof(r->server));
	assert_int_equal(r->client_port, t->cport);
	assert_int_equal(r->server_port, t->sport);
	assert_int_equal(r->have_syn, w->syn);
	assert_int_equal(r->have_synack, w->synack);
	assert_int_equal(r->have_ack, w->ack);
	assert_int_equal(r->rst_from_client, w->rst_from_client);
	assert_int_equal(r->syn_seq, w->syn_seq);
	assert_int_equal(r->synack_seq, w->synack_seq);
	assert_int_equal(r->syn_ts, w->syn_ts);
	assert_int_equal(r->synack_ts, w->synack_ts);
	assert_int_equal(r->ack_ts, w->ack_ts);
	assert_int_equal(r->end_ts, w->end_ts);
	assert_int_equal(r->syn_to_synack_us, w->l1);
	assert_int_equal(r->synack_to_ack_us, w->l2);
	assert_int_equal(r->syn_retrans, w->syn_retrans);
	assert_int_equal(r->synack_retrans, w->synack_retrans);
	check_side(&r->syn, w->syn, CLIENT, t, w->syn_seq, 0);
	/* A SYN-ACK acknowledges its SYN (the scripts' SYN-ACKs all do). */
	check_side(&r->synack, w->synack, SERVER, t, w->synack_seq,
		   w->syn ? w->syn_seq + 1 : r->synack.ack);
}

/* The one record emitted so far must be this one. */
static void check_only(const struct fx *x, const struct tuple *t, const struct want *w)
{
	assert_int_equal(x->n, 1);
	check_rec(&x->recs[0], t, w);
}

/* The usual handshake: SYN at T0, SYN-ACK at +500 us, ACK at +700 us. */
static const struct want established = {
	.outcome = HS_ESTABLISHED, .syn = 1, .synack = 1, .ack = 1,
	.syn_seq = CISN, .synack_seq = SISN,
	.syn_ts = T0, .synack_ts = T0 + 500 * US, .ack_ts = T0 + 700 * US,
	.end_ts = T0 + 700 * US, .l1 = 500, .l2 = 200,
};

static struct tuple v4(void)
{
	return mk_tuple(2, "10.0.0.1", 40000, "10.0.0.2", 80);
}

static struct tuple v6(void)
{
	return mk_tuple(3, "2001:db8::1", 51000, "2001:db8:ffff::2", 443);
}

/* ---- tests -------------------------------------------------------------- */

static void test_in_order_v4(void **state)
{
	struct fx *x = *state;
	struct tuple t = v4();
	struct hs_stats st;

	PLAY(x, &t, SYN(T0), SYNACK(T0 + 500 * US), ACK(T0 + 700 * US, .emits = 1));
	check_only(x, &t, &established);
	st = stats(x);
	assert_int_equal(st.outcomes[HS_ESTABLISHED], 1);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.flows_peak, 1);
	assert_int_equal(st.ignored, 0);
}

/* IPv6, ISNs that wrap (ISN + 1 == 0), sub-microsecond latency rounds down. */
static void test_in_order_v6_wrap(void **state)
{
	struct fx *x = *state;
	struct tuple t = v6();
	const uint32_t c = 0xffffffffu, s = 0xfffffffeu;
	const struct want w = {
		.outcome = HS_ESTABLISHED, .syn = 1, .synack = 1, .ack = 1,
		.syn_seq = c, .synack_seq = s,
		.syn_ts = T0, .synack_ts = T0 + 1234567, .ack_ts = T0 + 1234567 + 999,
		.end_ts = T0 + 1234567 + 999, .l1 = 1234, .l2 = 0,
	};

	PLAY(x, &t, SYN_X(T0, c), SYNACK_X(T0 + 1234567, s, c),
	     ACK_X(T0 + 1234567 + 999, c, s, .emits = 1));
	check_only(x, &t, &w);
}

/* Every arrival order of SYN, SYN-ACK and ACK gives the same record, emitted
 * by the last of the three; latencies come from the timestamps. */
static void test_reordered(void **state)
{
	static const int orders[][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	const struct step base[3] = {
		SYN(T0), SYNACK(T0 + 500 * US), ACK(T0 + 700 * US),
	};
	struct fx *x = *state;
	struct tuple t = v4();
	struct step s[3];
	int seen_synack;
	size_t o, k;

	for (o = 0; o < ARRAY_LEN(orders); o++) {
		fx_reset(x, 0, 0);
		seen_synack = 0;
		for (k = 0; k < 3; k++) {
			s[k] = base[orders[o][k]];
			s[k].emits = k == 2;
			seen_synack |= s[k].kind == SS_EV_SYNACK;
		}
		(void)seen_synack;
		play(x, &t, s, 3);
		check_only(x, &t, &established);
		assert_int_equal(stats(x).ignored, 0);
		assert_int_equal(stats(x).flows, 0);
		assert_int_equal(stats(x).syns_recorded, 1);
		assert_int_equal(stats(x).ack_events, 1);
		assert_int_equal(stats(x).acks_ignored, 0);
	}
}

/* Seen without its SYN (capture began mid-handshake, or the SYN was shed
 * or lost): a decided outcome waits for hs_advance() to pass the deciding
 * event, a flow that decided nothing is dropped at its deadline. An ACK
 * event alone is the kernel's word that a handshake completed: an
 * established record that lacks its SYN and SYN-ACK. */
static void test_without_syn(void **state)
{
	struct fx *x = *state;
	struct tuple t = v4();
	const struct {
		struct step s[2];
		size_t n;
		uint64_t due;             /* hs_advance() that settles it */
		int record;
		struct want w;
		uint64_t ignored;
	} cases[] = {
		{ { SYNACK(T0 + 500 * US), ACK(T0 + 700 * US) }, 2, T0 + 700 * US, 1,
		  { .outcome = HS_ESTABLISHED, .synack = 1, .ack = 1, .synack_seq = SISN,
		    .synack_ts = T0 + 500 * US, .ack_ts = T0 + 700 * US,
		    .end_ts = T0 + 700 * US, .l1 = -1, .l2 = 200 }, 0 },
		{ { SYNACK(T0 + 500 * US), RST(CLIENT, T0 + 600 * US, CISN + 1, 0) }, 2,
		  T0 + 600 * US, 1,
		  { .outcome = HS_RESET, .synack = 1, .rst_from_client = 1, .synack_seq = SISN,
		    .synack_ts = T0 + 500 * US, .end_ts = T0 + 600 * US, .l1 = -1, .l2 = -1 },
		  0 },
		{ { SYNACK(T0 + 500 * US) }, 1, T0 + 500 * US + TMO, 0, { 0 }, 1 },
		{ { ACK(T0 + 700 * US) }, 1, T0 + 700 * US, 1,
		  { .outcome = HS_ESTABLISHED, .ack = 1, .ack_ts = T0 + 700 * US,
		    .end_ts = T0 + 700 * US, .l1 = -1, .l2 = -1 }, 0 },
		{ { SYN(T0), ACK(T0 + 700 * US) }, 2, T0 + 700 * US, 1,
		  { .outcome = HS_ESTABLISHED, .syn = 1, .ack = 1, .syn_seq = CISN, .syn_ts = T0,
		    .ack_ts = T0 + 700 * US, .end_ts = T0 + 700 * US, .l1 = -1, .l2 = -1 }, 0 },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		fx_reset(x, 0, 0);
		play(x, &t, cases[i].s, cases[i].n);
		hs_advance(x->e, cases[i].due - 1);
		assert_int_equal(x->n, 0);
		assert_int_equal(stats(x).flows, 1);
		hs_advance(x->e, cases[i].due);
		assert_int_equal(stats(x).flows, 0);
		assert_int_equal(stats(x).ignored, cases[i].ignored);
		if (cases[i].record)
			check_only(x, &t, &cases[i].w);
		else
			assert_int_equal(x->n, 0);
	}
}

static void test_syn_retrans(void **state)
{
	struct fx *x = *state;
	struct tuple t = v4();
	/* Latency from the last SYN before the SYN-ACK. */
	const struct want w1 = {
		.outcome = HS_ESTABLISHED, .syn = 1, .synack = 1, .ack = 1,
		.syn_seq = CISN, .synack_seq = SISN, .syn_ts = T0,
		.synack_ts = T0 + 3 * SEC + 300 * US, .ack_ts = T0 + 3 * SEC + 500 * US,
		.end_ts = T0 + 3 * SEC + 500 * US, .l1 = 300, .l2 = 200, .syn_retrans = 2,
	};
	/* A SYN retransmitted after the SYN-ACK was not the one answered. */
	const struct want w2 = {
		.outcome = HS_ESTABLISHED, .syn = 1, .synack = 1, .ack = 1,
		.syn_seq = CISN, .synack_seq = SISN, .syn_ts = T0,
		.synack_ts = T0 + 400 * US, .ack_ts = T0 + SEC + 100 * US,
		.end_ts = T0 + SEC + 100 * US, .l1 = 400, .l2 = 1000 * 1000 - 300,
		.syn_retrans = 1,
	};

	PLAY(x, &t, SYN(T0), SYN(T0 + SEC), SYN(T0 + 3 * SEC), SYNACK(T0 + 3 * SEC + 300 * US),
	     ACK(T0 + 3 * SEC + 500 * US, .emits = 1));
	check_only(x, &t, &w1);

	fx_reset(x, 0, 0);
	PLAY(x, &t, SYN(T0), SYNACK(T0 + 400 * US), SYN(T0 + SEC),
	     ACK(T0 + SEC + 100 * US, .emits = 1));
	check_only(x, &t, &w2);
}

static void test_synack_retrans(void **state)
{
	struct fx *x = *state;
	struct tuple t = v6();
	const struct want w = {
		.outcome = HS_ESTABLISHED, .syn = 1, .synack = 1, .ack = 1,
		.syn_seq = CISN, .synack_seq = SISN, .syn_ts = T0,
		.synack_ts = T0 + 300 * US, .ack_ts = T0 + 2 * SEC + 400 * US,
		.end_ts = T0 + 2 * SEC + 400 * US, .l1 = 300, .l2 = 100, .synack_retrans = 2,
	};

	PLAY(x, &t, SYN(T0), SYNACK(T0 + 300 * US), SYNACK(T0 + SEC + 300 * US),
	     SYNACK(T0 + 2 * SEC + 300 * US), ACK(T0 + 2 * SEC + 400 * US, .emits = 1));
	check_only(x, &t, &w);
}

/* A SYN with a new ISN: the old attempt times out at that SYN. */
static void test_new_attempt(void **state)
{
	struct fx *x = *state;
	struct tuple t = v4();
	const uint32_t a = 111, b = 999;
	const struct want old = {
		.outcome = HS_TIMEOUT, .syn = 1, .syn_seq = a, .syn_ts = T0,
		.end_ts = T0 + 2 * SEC, .l1 = -1, .l2 = -1, .syn_retrans = 1,
	};
	const struct want new = {
		.outcome = HS_ESTABLISHED, .syn = 1, .synack = 1, .ack = 1,
		.syn_seq = b, .synack_seq = SISN, .syn_ts = T0 + 2 * SEC,
		.synack_ts = T0 + 2 * SEC + 100 * US, .ack_ts = T0 + 2 * SEC + 150 * US,
		.end_ts = T0 + 2 * SEC + 150 * US, .l1 = 100, .l2 = 50,
	};

	PLAY(x, &t, SYN_X(T0, a), SYN_X(T0 + SEC, a), SYN_X(T0 + 2 * SEC, b, .emits = 1),
	     /* the answer to the old attempt no longer matches */
	     SYNACK_X(T0 + 2 * SEC + 50 * US, SISN, a, .unmatched = 1),
	     SYNACK_X(T0 + 2 * SEC + 100 * US, SISN, b),
	     ACK_X(T0 + 2 * SEC + 150 * US, b, SISN, .emits = 1));
	assert_int_equal(x->n, 2);
	check_rec(&x->recs[0], &t, &old);
	check_rec(&x->recs[1], &t, &new);
	assert_int_equal(stats(x).outcomes[HS_TIMEOUT], 1);
	assert_int_equal(stats(x).ignored, 1);
}

/* Packets whose numbers do not fit are ignored and change nothing. */
static void test_wrong_numbers(void **state)
{
	struct fx *x = *state;
	struct tuple t = v4();

	PLAY(x, &t, SYN(T0),
	     SYNACK_X(T0 + 100 * US, SISN, CISN + 1, .unmatched = 1),   /* ack != ISN+1 */
	     RST(SERVER, T0 + 200 * US, 0, CISN + 2, .flags = SS_TCP_ACK, .unmatched = 1),
	     RST(SERVER, T0 + 200 * US, 0, 0, .unmatched = 1),           /* no ACK bit */
	     RST(CLIENT, T0 + 200 * US, CISN, 0, .unmatched = 1),
	     ACK_X(T0 + 650 * US, CISN, SISN + 5),                     /* held ... */
	     SYNACK(T0 + 500 * US),
	     SYNACK_X(T0 + 550 * US, SISN + 7, CISN, .unmatched = 1),   /* other seq */
	     ACK_X(T0 + 600 * US, CISN, SISN + 1, .unmatched = 1),       /* ack != ISN+1 */
	     RST(SERVER, T0 + 650 * US, SISN + 2, 0, .unmatched = 1),
	     RST(CLIENT, T0 + 650 * US, CISN + 2, 0, .unmatched = 1),
	     ACK(T0 + 700 * US, .emits = 1));
	check_only(x, &t, &established);
	/* ... and dropped when the SYN-ACK showed it acked something else. */
	assert_int_equal(stats(x).ignored, 9);
}

static void test_refused(void **state)
{
	struct fx *x = *state;
	struct tuple t4 = v4(), t6 = v6();
	const struct want w = {
		.outcome = HS_REFUSED, .syn = 1, .syn_seq = CISN, .syn_ts = T0,
		.end_ts = T0 + 80 * US, .l1 = -1, .l2 = -1, .syn_retrans = 1,
	};

	PLAY(x, &t4, SYN(T0), SYN(T0 + 10 * US),
	     RST(SERVER, T0 + 80 * US, 0, CISN + 1, .flags = SS_TCP_ACK, .emits = 1));
	check_only(x, &t4, &w);

	fx_reset(x, 0, 0);
	PLAY(x, &t6, SYN(T0), SYN(T0 + 10 * US),
	     RST(SERVER, T0 + 80 * US, 0, CISN + 1, .flags = SS_TCP_ACK, .emits = 1));
	check_only(x, &t6, &w);
	assert_int_equal(stats(x).outcomes[HS_REFUSED], 1);
}

/* A RST after the SYN-ACK, from either side, in the forms stacks send. */
static void test_reset(void **state)
{
	struct fx *x = *state;
	struct tuple t = v4();
	const struct {
		struct step rst;
		int with_synack;
	} cases[] = {
		{ RST(CLIENT, T0 + 600 * US, CISN + 1, 0, .emits = 1), 1 },
		{ RST(CLIENT, T0 + 600 * US, CISN + 1, SISN + 1, .flags = SS_TCP_ACK, .emits = 1), 1 },
		{ RST(SERVER, T0 + 600 * US, SISN + 1, 0, .emits = 1), 1 },
		{ RST(SERVER, T0 + 600 * US, SISN + 1, CISN + 1, .flags = SS_TCP_ACK, .emits = 1), 1 },
		/* the client gave up before any answer we saw */
		{ RST(CLIENT, T0 + 600 * US, CISN + 1, 0, .emits = 1), 0 },
	};
	const struct step pre[] = { SYN(T0), SYNACK(T0 + 500 * US) };
	struct want w;
	size_t i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		fx_reset(x, 0, 0);
		play(x, &t, pre, cases[i].with_synack ? 2 : 1);
		play(x, &t, &cases[i].rst, 1);
		w = (struct want){
			.outcome = HS_RESET, .syn = 1, .synack = cases[i].with_synack,
			.rst_from_client = cases[i].rst.from == CLIENT,
			.syn_seq = CISN, .synack_seq = cases[i].with_synack ? SISN : 0,
			.syn_ts = T0, .synack_ts = cases[i].with_synack ? T0 + 500 * US : 0,
			.end_ts = T0 + 600 * US, .l1 = cases[i].with_synack ? 500 : -1, .l2 = -1,
		};
		check_only(x, &t, &w);
		assert_int_equal(stats(x).outcomes[HS_RESET], 1);
	}
}

/* Timeouts come from hs_advance() at the deadline (first SYN + timeout),
 * never before it. */
static void test_timeout(void **state)
{
	struct fx *x = *state;
	struct tuple t = v6();
	const struct {
		uint64_t timeout;         /* config; 0 = default */
		struct step s[3];
		size_t n;
		int synack;
	} cases[] = {
		{ 0, { SYN(T0), SYN(T0 + SEC) }, 2, 0 },                 /* no SYN-ACK */
		{ 0, { SYN(T0), SYN(T0 + SEC), SYNACK(T0 + SEC + 500 * US) }, 3, 1 }, /* no ACK */
		{ 2 * SEC, { SYN(T0), SYN(T0 + SEC), SYNACK(T0 + SEC + 500 * US) }, 3, 1 },
	};
	struct want w;
	uint64_t deadline;
	size_t i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		fx_reset(x, cases[i].timeout, 0);
		play(x, &t, cases[i].s, cases[i].n);
		deadline = T0 + (cases[i].timeout ? cases[i].timeout : TMO);
		hs_advance(x->e, T0);
		hs_advance(x->e, deadline - 1);
		assert_int_equal(x->n, 0);
		hs_advance(x->e, deadline);
		w = (struct want){
			.outcome = HS_TIMEOUT, .syn = 1, .synack = cases[i].synack,
			.syn_seq = CISN, .synack_seq = cases[i].synack ? SISN : 0, .syn_ts = T0,
			.synack_ts = cases[i].synack ? T0 + SEC + 500 * US : 0,
			.end_ts = deadline, .l1 = cases[i].synack ? 500 : -1, .l2 = -1,
			.syn_retrans = 1,
		};
		check_only(x, &t, &w);
		assert_int_equal(stats(x).flows, 0);
		assert_int_equal(stats(x).ignored, 0);
		hs_advance(x->e, deadline + TMO);
		assert_int_equal(x->n, 1);
	}
}

/* An event at or after the deadline first times the attempt out, so the
 * outcome does not depend on how often hs_advance() runs. */
static void test_event_after_deadline(void **state)
{
	struct fx *x = *state;
	struct tuple t = v4();
	const struct want w = {
		.outcome = HS_TIMEOUT, .syn = 1, .syn_seq = CISN, .syn_ts = T0,
		.end_ts = T0 + TMO, .l1 = -1, .l2 = -1,
	};

	PLAY(x, &t, SYN(T0), SYNACK(T0 + TMO, .emits = 1),
	     ACK(T0 + TMO + 100 * US, .emits = 0));
	check_only(x, &t, &w);
	/* The late SYN-ACK and ACK form a flow of their own, without a SYN. */
	hs_flush(x->e);
	assert_int_equal(x->n, 2);
	assert_int_equal(x->recs[1].outcome, HS_ESTABLISHED);
	assert_int_equal(x->recs[1].have_syn, 0);
}

/* Deadlines reach the engine out of order (a SYN-ACK ahead of its SYN, a
 * SYN from another CPU): each flow still times out at its own deadline. */
static void test_deadline_order(void **state)
{
	struct fx *x = *state;
	struct tuple a = v4(), b = v4(), c = v4();
	const struct step s[] = {
		SYN(T0 + 5 * MS, .t = &a),
		SYNACK(T0 + 3 * MS, .t = &b), SYN(T0 + 2 * MS, .t = &b),
		SYN(T0, .t = &c),
	};
	const struct { const struct tuple *t; uint64_t deadline; } order[] = {
		{ &c, T0 + TMO }, { &b, T0 + 2 * MS + TMO }, { &a, T0 + 5 * MS + TMO },
	};
	size_t i;

	b.cport++;
	c.cport += 2;
	play(x, NULL, s, ARRAY_LEN(s));
	for (i = 0; i < ARRAY_LEN(order); i++) {
		hs_advance(x->e, order[i].deadline - 1);
		assert_int_equal(x->n, i);
		hs_advance(x->e, order[i].deadline);
		assert_int_equal(x->n, i + 1);
		assert_int_equal(x->recs[i].client_port, order[i].t->cport);
		assert_int_equal(x->recs[i].end_ts, order[i].deadline);
	}
}

/* hs_flush: attempts with a SYN are open, decided ones keep their outcome,
 * the rest matched nothing. */
static void test_flush(void **state)
{
	struct fx *x = *state;
	struct tuple a = v4(), b = v4(), c = v4(), d = v4();
	const struct step s[] = {
		SYN(T0, .t = &a),
		SYN(T0 + 10 * US, .t = &b), SYNACK(T0 + 510 * US, .t = &b),
		SYNACK(T0 + 20 * US, .t = &c),
		SYNACK(T0 + 30 * US, .t = &d), ACK(T0 + 40 * US, .t = &d),
	};
	const struct want wa = {
		.outcome = HS_OPEN, .syn = 1, .syn_seq = CISN, .syn_ts = T0, .l1 = -1, .l2 = -1,
	};
	const struct want wb = {
		.outcome = HS_OPEN, .syn = 1, .synack = 1, .syn_seq = CISN, .synack_seq = SISN,
		.syn_ts = T0 + 10 * US, .synack_ts = T0 + 510 * US, .l1 = 500, .l2 = -1,
	};
	const struct want wd = {
		.outcome = HS_ESTABLISHED, .synack = 1, .ack = 1, .synack_seq = SISN,
		.synack_ts = T0 + 30 * US, .ack_ts = T0 + 40 * US, .end_ts = T0 + 40 * US,
		.l1 = -1, .l2 = 10,
	};
	struct hs_stats st;

	b.cport = 1;
	c.cport = 2;
	d.cport = 3;
	play(x, NULL, s, ARRAY_LEN(s));
	assert_int_equal(x->n, 0);
	hs_flush(x->e);
	assert_int_equal(x->n, 3);
	check_rec(&x->recs[0], &a, &wa);
	check_rec(&x->recs[1], &b, &wb);
	check_rec(&x->recs[2], &d, &wd);
	st = stats(x);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.flows_peak, 4);
	assert_int_equal(st.outcomes[HS_OPEN], 2);
	assert_int_equal(st.ignored, 1); /* c's SYN-ACK */
	hs_flush(x->e);
	assert_int_equal(x->n, 3);
}

static void test_eviction(void **state)
{
	struct fx *x = *state;
	struct tuple t = v4(), other = v6();
	struct step syn = SYN(0);
	struct hs_stats st;
	uint16_t port;

	fx_reset(x, 0, 3);
	for (port = 1; port <= 5; port++) {
		t.cport = port;
		syn.ts = T0 + port * US;
		play(x, &t, &syn, 1);
		assert_true(stats(x).flows <= 3);
	}
	/* A completing ACK (the kernel's word) takes the place of the oldest
	 * undecided flow: 3. */
	PLAY(x, &other, ACK(T0 + 10 * US));
	st = stats(x);
	assert_int_equal(st.flows, 3);
	assert_int_equal(st.flows_peak, 3);
	assert_int_equal(st.evicted, 3);
	assert_int_equal(st.syns_evicted, 3);
	assert_int_equal(st.ignored, 0);
	assert_int_equal(x->n, 0);
	/* The evicted ones were the oldest: 1, 2, 3; 1's answer matches
	 * nothing now and waits as a SYN-ACK without SYN, evicting 4. */
	t.cport = 1;
	PLAY(x, &t, SYNACK(T0 + 20 * US));
	hs_flush(x->e);
	st = stats(x);
	assert_int_equal(st.evicted, 4);
	assert_int_equal(st.syns_evicted, 4);
	assert_int_equal(st.ignored, 1);
	assert_int_equal(x->n, 2);
	assert_int_equal(x->recs[0].client_port, 5);
	assert_int_equal(x->recs[0].outcome, HS_OPEN);
	assert_int_equal(x->recs[1].outcome, HS_ESTABLISHED);
	assert_int_equal(x->recs[1].have_syn, 0);
	/* Every SYN accounted for. */
	assert_int_equal(st.syn_events, 5);
	assert_int_equal(st.syns_recorded + st.syns_evicted + st.syns_ignored, st.syn_events);
	assert_int_equal(st.ack_events, st.outcomes[HS_ESTABLISHED] + st.acks_ignored);

	/* A decided flow is never lost: with only decided flows left, the
	 * oldest is emitted early to make room. */
	fx_reset(x, 0, 1);
	PLAY(x, &other, ACK(T0 + 10 * US));
	PLAY(x, &t, SYN(T0 + 20 * US, .emits = 1));
	assert_int_equal(x->n, 1);
	assert_int_equal(x->recs[0].outcome, HS_ESTABLISHED);
	assert_int_equal(stats(x).evicted, 0);
	assert_int_equal(stats(x).flows, 1);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A SYN flood from random spoofed sources: the table stays at its cap, the
 * counters add up, and a real handshake in the middle of it completes.
 * (Speed is measured by make bench, not asserted here.) */
static void test_flood(void **state)
{
	const struct { uint32_t max_flows; uint64_t flows; } cases[] = {
		{ 1000, 1000 },
		{ 0, 200000 },      /* default cap: every flow kept, table grows */
	};
	const uint64_t nsyn = 200000;
	struct fx *x = *state;
	struct tuple t = v4(), real = mk_tuple(2, "192.0.2.7", 33333, "10.0.0.2", 80);
	struct step syn = SYN(0);
	struct hs_stats st;
	uint64_t seed = 0x9e3779b97f4a7c15ull, r, i;
	size_t c;

	for (c = 0; c < ARRAY_LEN(cases); c++) {
		fx_reset(x, 0, cases[c].max_flows);
		for (i = 0; i < nsyn; i++) {
			r = xorshift(&seed);
			t.client[0] = (uint32_t)r;
			t.cport = (uint16_t)(r >> 32);
			syn.seq = (uint32_t)(r >> 40);
			syn.ts = T0 + i * US;
			play(x, &t, &syn, 1);
			if (cases[c].max_flows)
				assert_true(stats(x).flows <= cases[c].max_flows);
		}
		st = stats(x);
		assert_int_equal(st.flows, cases[c].flows);
		assert_int_equal(st.flows_peak, cases[c].flows);
		assert_int_equal(st.evicted, nsyn - cases[c].flows);
		assert_int_equal(st.ignored, 0);
		assert_int_equal(x->n, 0);

		PLAY(x, &real, SYN(T0 + nsyn * US), SYNACK(T0 + nsyn * US + 500 * US),
		     ACK(T0 + nsyn * US + 700 * US, .emits = 1));
		assert_int_equal(x->recs[0].outcome, HS_ESTABLISHED);
		assert_int_equal(x->recs[0].syn_to_synack_us, 500);

		hs_advance(x->e, UINT64_MAX);
		st = stats(x);
		assert_int_equal(st.flows, 0);
		assert_int_equal(st.outcomes[HS_TIMEOUT] + st.evicted + st.outcomes[HS_ESTABLISHED],
				 nsyn + 1);
		assert_int_equal(x->n, 1 + st.outcomes[HS_TIMEOUT]);
		/* The accounts: every SYN in a record or an evicted flow. */
		assert_int_equal(st.syn_events, nsyn + 1);
		assert_int_equal(st.syns_recorded, st.outcomes[HS_TIMEOUT] + 1);
		assert_int_equal(st.syns_evicted, st.evicted);
		assert_int_equal(st.syns_ignored, 0);
		assert_int_equal(st.ack_events, st.outcomes[HS_ESTABLISHED] + st.acks_ignored);
	}
}

/* The same 4-tuple on two interfaces is two flows. */
static void test_two_ifindexes(void **state)
{
	struct fx *x = *state;
	struct tuple a = v4(), b = v4();
	const uint32_t ca = 100, cb = 200, sa = 300, sb = 400;
	const struct step s[] = {
		SYN_X(T0, ca, .t = &a), SYN_X(T0 + 10 * US, cb, .t = &b),
		SYNACK_X(T0 + 200 * US, sb, cb, .t = &b),
		SYNACK_X(T0 + 20 * US, sa, cb, .t = &a, .unmatched = 1),  /* b's numbers */
		SYNACK_X(T0 + 300 * US, sa, ca, .t = &a),
		ACK_X(T0 + 310 * US, cb, sb, .t = &a, .unmatched = 1),
		ACK_X(T0 + 400 * US, ca, sa, .t = &a, .emits = 1),
		ACK_X(T0 + 500 * US, cb, sb, .t = &b, .emits = 1),
	};
	const struct want wa = {
		.outcome = HS_ESTABLISHED, .syn = 1, .synack = 1, .ack = 1,
		.syn_seq = ca, .synack_seq = sa, .syn_ts = T0, .synack_ts = T0 + 300 * US,
		.ack_ts = T0 + 400 * US, .end_ts = T0 + 400 * US, .l1 = 300, .l2 = 100,
	};
	const struct want wb = {
		.outcome = HS_ESTABLISHED, .syn = 1, .synack = 1, .ack = 1,
		.syn_seq = cb, .synack_seq = sb, .syn_ts = T0 + 10 * US,
		.synack_ts = T0 + 200 * US, .ack_ts = T0 + 500 * US, .end_ts = T0 + 500 * US,
		.l1 = 190, .l2 = 300,
	};

	b.ifindex = 7;
	play(x, NULL, s, ARRAY_LEN(s));
	assert_int_equal(x->n, 2);
	check_rec(&x->recs[0], &a, &wa);
	check_rec(&x->recs[1], &b, &wb);
}

/* This host as client and as server at once, v4 and v6, interleaved; and
 * the same two addresses with the roles swapped. */
static void test_both_directions(void **state)
{
	struct fx *x = *state;
	struct tuple out4 = mk_tuple(2, "10.0.0.1", 40000, "10.0.0.2", 443);
	struct tuple in4 = mk_tuple(2, "10.0.0.2", 40000, "10.0.0.1", 443);
	struct tuple out6 = mk_tuple(2, "2001:db8::1", 40000, "2001:db8::2", 443);
	struct tuple in6 = mk_tuple(2, "2001:db8::2", 40000, "2001:db8::1", 443);
	const struct tuple *all[] = { &out4, &in4, &out6, &in6 };
	struct step s[3 * ARRAY_LEN(all)];
	const struct step base[3] = { SYN(T0), SYNACK(T0 + 500 * US), ACK(T0 + 700 * US) };
	size_t k, f;

	in4.host_is_server = in6.host_is_server = 1;
	/* Step k of every flow before step k + 1 of any. */
	for (k = 0; k < 3; k++)
		for (f = 0; f < ARRAY_LEN(all); f++) {
			s[k * ARRAY_LEN(all) + f] = base[k];
			s[k * ARRAY_LEN(all) + f].t = all[f];
			s[k * ARRAY_LEN(all) + f].emits = k == 2;
		}
	play(x, NULL, s, ARRAY_LEN(s));
	assert_int_equal(x->n, ARRAY_LEN(all));
	for (f = 0; f < ARRAY_LEN(all); f++)
		check_rec(&x->recs[f], all[f], &established);
}

/* Events that belong to no handshake. */
static void test_ignored(void **state)
{
	struct fx *x = *state;
	struct tuple t = v4();
	struct ss_event_syn ev;
	const struct step fin = { .kind = SS_EV_FIN, .from = CLIENT, .ts = T0, .unmatched = 1 };

	PLAY(x, &t, RST(SERVER, T0, 0, CISN + 1, .flags = SS_TCP_ACK, .unmatched = 1),
	     RST(CLIENT, T0, CISN + 1, 0, .unmatched = 1),
	     SYN(T0 + 1),
	     /* an ACK from the server never completes; not held either */
	     { .kind = SS_EV_ACK, .from = SERVER, .ts = T0 + 2, .seq = SISN + 1,
	       .ack = CISN + 1, .unmatched = 1 });
	play(x, &t, &fin, 1);
	ev = mk_event(&t, &fin);
	ev.e.family = 5;
	assert_int_equal(hs_feed(x->e, &ev.e), 0);
	assert_int_equal(stats(x).ignored, 5);
	assert_int_equal(stats(x).flows, 1);
	assert_int_equal(x->n, 0);
}

/* SYN and SYN-ACK events whose options do not walk are counted, whatever
 * becomes of them; the others' options are not looked at. */
static void test_bad_options(void **state)
{
	struct fx *x = *state;
	struct tuple t = v4();
	const struct step syn = SYN(T0), synack = SYNACK(T0 + 1 * MS), ack = ACK(T0 + 2 * MS);
	struct ss_event_syn ev;

	ev = mk_event(&t, &syn);
	ev.opts[1] = 1;                 /* MSS of length 1 */
	assert_int_equal(hs_feed(x->e, &ev.e), 1);
	assert_int_equal(stats(x).bad_options, 1);
	ev = mk_event(&t, &synack);
	ev.opt_len = 19;                /* the window scale cut */
	assert_int_equal(hs_feed(x->e, &ev.e), 1);
	assert_int_equal(stats(x).bad_options, 2);
	ev = mk_event(&t, &ack);
	memset(ev.opts, 0xff, sizeof(ev.opts));
	ev.opt_len = 40;                /* an ACK's "options" are not read */
	assert_int_equal(hs_feed(x->e, &ev.e), 1);
	assert_int_equal(stats(x).bad_options, 2);
	assert_int_equal(x->n, 1);
	ev = mk_event(&t, &syn);        /* good ones are not counted */
	ev.e.sport = 1;
	hs_feed(x->e, &ev.e);
	assert_int_equal(stats(x).bad_options, 2);
}

/* ---- the kernel's verdicts ------------------------------------------------ */

/* A verdict on a packet of tuple t, sent by `from`, as bpf/verdict.bpf.c
 * writes it. */
static struct ss_verdict mk_verdict(const struct tuple *t, enum who from, int kind, uint8_t flags,
				    uint32_t seq, uint32_t ack, uint32_t reason, uint32_t ifindex)
{
	struct ss_verdict v = {
		.ts_ns = T0, .reason = reason, .ifindex = ifindex, .kind = (uint8_t)kind,
		.dir = SS_DIR_IN, .family = t->family, .tcp_flags = flags, .seq = seq, .ack = ack,
	};
	int c = from == CLIENT;

	memcpy(v.saddr, c ? t->client : t->server, sizeof(v.saddr));
	memcpy(v.daddr, c ? t->server : t->client, sizeof(v.daddr));
	v.sport = c ? t->cport : t->sport;
	v.dport = c ? t->sport : t->cport;
	return v;
}

/* Verdicts join their attempt by interface (or another one given),
 * addresses, ports and numbers; the first drop and the first RST reason
 * stay; with hold, a decided record waits for a late one. */
static void test_verdicts(void **state)
{
	struct fx *x = *state;
	struct tuple t = v4(), other = v4(), t6 = v6();
	struct hs_config cfg = { .hold = 1 };
	struct ss_verdict v;
	uint32_t alt[] = { 7, 2 };

	other.cport++;
	hs_free(x->e);
	x->n = 0;
	x->e = hs_new(&cfg, on_record, x);
	assert_non_null(x->e);

	PLAY(x, &t, SYN(T0), SYN(T0 + 1 * SEC));
	/* Not this attempt: another port, another ISN, another interface. */
	v = mk_verdict(&other, CLIENT, SS_VD_DROP, SS_TCP_SYN, CISN, 0, 5, 2);
	assert_int_equal(hs_verdict(x->e, &v, NULL, 0), 0);
	v = mk_verdict(&t, CLIENT, SS_VD_DROP, SS_TCP_SYN, CISN + 9, 0, 5, 2);
	assert_int_equal(hs_verdict(x->e, &v, NULL, 0), 0);
	v = mk_verdict(&t, CLIENT, SS_VD_DROP, SS_TCP_SYN, CISN, 0, 5, 9);
	assert_int_equal(hs_verdict(x->e, &v, NULL, 0), 0);
	/* ... found on the other interfaces given. */
	assert_int_equal(hs_verdict(x->e, &v, alt, 2), 1);
	/* A second drop (the retransmission's) does not replace the first. */
	v = mk_verdict(&t, CLIENT, SS_VD_DROP, SS_TCP_SYN, CISN, 0, 6, 2);
	assert_int_equal(hs_verdict(x->e, &v, NULL, 0), 1);
	/* The RST decides; its reason comes after, and the record waits. */
	PLAY(x, &t, RST(SERVER, T0 + 1 * SEC + 80 * US, 0, CISN + 1, .flags = SS_TCP_ACK));
	assert_int_equal(x->n, 0);
	v = mk_verdict(&t, CLIENT, SS_VD_RST, SS_TCP_SYN, CISN, 0, 2, 2);
	assert_int_equal(hs_verdict(x->e, &v, NULL, 0), 1);
	hs_advance(x->e, T0 + 1 * SEC + 80 * US);
	assert_int_equal(x->n, 1);
	assert_string_equal(hs_outcome_name(x->recs[0].outcome), "refused");
	assert_int_equal(x->recs[0].drop_reason, 5 + 1);
	assert_int_equal(x->recs[0].drop_packet, SS_EV_SYN);
	assert_int_equal(x->recs[0].drop_dir, SS_DIR_IN);
	assert_int_equal(x->recs[0].rst_reason, 2 + 1);

	/* A dropped SYN-ACK (sent by the server: it acknowledges the ISN) and
	 * a dropped completing ACK, IPv6. */
	x->n = 0;
	PLAY(x, &t6, SYN(T0), SYNACK(T0 + 500 * US));
	v = mk_verdict(&t6, SERVER, SS_VD_DROP, SS_TCP_SYN | SS_TCP_ACK, SISN, CISN + 2, 7, 3);
	assert_int_equal(hs_verdict(x->e, &v, NULL, 0), 0);
	v = mk_verdict(&t6, SERVER, SS_VD_DROP, SS_TCP_SYN | SS_TCP_ACK, SISN, CISN + 1, 7, 3);
	v.dir = SS_DIR_OUT;
	assert_int_equal(hs_verdict(x->e, &v, NULL, 0), 1);
	hs_flush(x->e);
	assert_int_equal(x->n, 1);
	assert_int_equal(x->recs[0].drop_reason, 7 + 1);
	assert_int_equal(x->recs[0].drop_packet, SS_EV_SYNACK);
	assert_int_equal(x->recs[0].drop_dir, SS_DIR_OUT);
	assert_int_equal(x->recs[0].rst_reason, 0);

	x->n = 0;
	PLAY(x, &t, SYN(T0 + 2 * SEC), SYNACK(T0 + 2 * SEC + 500 * US));
	v = mk_verdict(&t, CLIENT, SS_VD_DROP, SS_TCP_ACK, CISN + 1, SISN + 1, 8, 2);
	assert_int_equal(hs_verdict(x->e, &v, NULL, 0), 1);
	hs_flush(x->e);
	assert_int_equal(x->n, 1);
	assert_int_equal(x->recs[0].drop_packet, SS_EV_ACK);
	assert_int_equal(stats(x).verdicts, 9);
	assert_int_equal(stats(x).verdicts_joined, 5);
}

static void test_outcome_names(void **state)
{
	static const char *const want[HS_OUTCOME_MAX] = {
		"established", "refused", "reset", "timeout", "open",
	};
	int i;

	(void)state;
	for (i = 0; i < HS_OUTCOME_MAX; i++)
		assert_string_equal(hs_outcome_name(i), want[i]);
	assert_string_equal(hs_outcome_name(HS_OUTCOME_MAX), "?");
	assert_string_equal(hs_outcome_name(-1), "?");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_in_order_v4),
		T(test_in_order_v6_wrap),
		T(test_reordered),
		T(test_without_syn),
		T(test_syn_retrans),
		T(test_synack_retrans),
		T(test_new_attempt),
		T(test_wrong_numbers),
		T(test_refused),
		T(test_reset),
		T(test_timeout),
		T(test_event_after_deadline),
		T(test_deadline_order),
		T(test_flush),
		T(test_eviction),
		T(test_flood),
		T(test_two_ifindexes),
		T(test_both_directions),
		T(test_ignored),
		T(test_bad_options),
		T(test_verdicts),
		T(test_outcome_names),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
