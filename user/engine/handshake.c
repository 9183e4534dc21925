// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Handshake engine: pairs SYN, SYN-ACK and ACK events into one record per
 * connection attempt. Pure C: all time comes from the events' ts_ns and
 * from the now_ns given to hs_advance(), never from a clock.
 *
 * Decisions (see also handshake.h):
 *  - Flow key: ifindex, family, client and server address and port. The
 *    client is whoever sent the SYN (the SYN-ACK's destination, the ACK's
 *    source), so this host as client and as server look the same.
 *  - Events may arrive slightly out of order (per-CPU producers), so a flow
 *    is created by whichever of SYN / SYN-ACK / ACK comes first. A SYN-ACK
 *    waits for the SYN it answers. Latencies use event timestamps, never
 *    arrival order.
 *  - An ACK event is the kernel's word that a handshake completed (its
 *    pending table matched the SYN-ACK), so every one that fits becomes an
 *    established record, even when its SYN or SYN-ACK was never seen (shed,
 *    lost, or before the trace): the record then says what it lacks. An
 *    ACK that comes before its SYN-ACK is checked when the SYN-ACK comes.
 *  - A decided outcome (an ACK, a RST) is emitted at once when the record
 *    is whole (its SYN, and for an established one its SYN-ACK); else it
 *    waits until hs_advance() passes the deciding event's timestamp, in
 *    case the rest was only late, and is emitted with what it has.
 *  - A flow without a SYN that decides nothing is dropped at its deadline
 *    (first event + timeout); the events it held count as ignored.
 *  - syn_to_synack_us runs from the latest SYN sent before the first
 *    SYN-ACK (the retransmission the server most likely answered);
 *    synack_to_ack_us from the latest SYN-ACK before the ACK.
 *  - A SYN with a new ISN while an attempt is pending: the client gave up
 *    on the old attempt, which is emitted as HS_TIMEOUT (end_ts = the new
 *    SYN, or the deadline if that came first), and a new attempt starts.
 *  - A RST from the server before any SYN-ACK is HS_REFUSED; it must carry
 *    ACK = SYN seq + 1 (RFC 793 answers to a SYN always carry the ACK bit).
 *    Any other matching RST before completion is HS_RESET: from the client
 *    its seq is the client's next sequence number; from the server, after
 *    the SYN-ACK, its seq is SYN-ACK seq + 1 or its ack is SYN seq + 1.
 *  - An event at or after a flow's deadline first times the flow out, so
 *    the outcome does not depend on how often hs_advance() is called.
 *  - A full table evicts the undecided flow with the oldest deadline,
 *    without a record (stats.evicted, its SYNs in stats.syns_evicted). A
 *    decided one is never lost: when only decided flows are left, the
 *    oldest is emitted early.
 *  - Every SYN and ACK event is accounted for (hs_stats): once the table
 *    is flushed, SYN events = SYNs in records + in evicted flows + ignored,
 *    and ACK events = established records + ACKs ignored.
 *
 * Memory: flows live in fixed-size chunks allocated on demand up to
 * max_flows (never moved, so indices and pointers are stable); the hash
 * index is a power-of-two bucket array of 32-bit heads, doubled as the
 * table fills, chained through the entries. A keyed 64-bit mix of the key
 * picks the bucket, so spoofed sources cannot aim at one chain.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "engine/handshake.h"
#include "parse.h"

#define HS_NIL UINT32_MAX
#define HS_CHUNK_SHIFT 10
#define HS_CHUNK (1u << HS_CHUNK_SHIFT)
#define HS_MIN_BUCKETS 1024u
#define HS_DEFAULT_TIMEOUT_NS (10ull * 1000000000ull)
#define HS_DEFAULT_MAX_FLOWS 1000000u
#define HS_MAX_FLOWS_LIMIT (1u << 30)
/* How far back from the tail an insertion looks for its place in deadline
 * order. Disorder beyond that (corrupt capture timestamps) only makes some
 * timeouts late, never early, and keeps insertion O(1). */
#define HS_ORDER_WALK 64

/* Deadline lists: attempts waiting for packets, and outcomes decided
 * without a SYN that wait for the reorder window before being emitted. */
enum { HS_L_PENDING = 0, HS_L_DECIDED = 1, HS_NLISTS };

struct hs_key {
	uint32_t client[4], server[4];
	uint32_t ifindex;
	uint16_t client_port, server_port;
	uint8_t family;
	uint8_t pad[7];             /* six whole words: hashed and compared as such */
};

_Static_assert(sizeof(struct hs_key) == 48, "hs_key is six 64-bit words");
_Static_assert(offsetof(struct hs_side, pad) + sizeof(((struct hs_side *)0)->pad) == sizeof(struct hs_side),
	       "hs_side has no tail padding: sides compare as bytes");

struct hs_flow {
	struct hs_key key;
	uint32_t hnext;              /* hash chain; free list when unused */
	uint32_t prev, next;         /* deadline list */
	uint64_t hash;               /* key_hash(key): rehashing needs no key read */
	uint64_t deadline;           /* decided flows: the deciding event */
	uint64_t syn_ts;             /* first SYN */
	uint64_t syn_last_ts;        /* latest SYN not after the SYN-ACK */
	uint64_t synack_ts;          /* first SYN-ACK */
	uint64_t synack_last_ts;     /* latest SYN-ACK not after the ACK */
	uint64_t ack_ts;
	uint32_t syn_seq, synack_seq;
	uint32_t synack_ack;         /* = client ISN + 1 */
	uint32_t ack_ack;            /* of the ACK, held or matched */
	uint32_t syn_retrans, synack_retrans;
	uint8_t have_syn, have_synack;
	uint8_t have_ack;            /* pending list: held, unchecked (no
				      * SYN-ACK yet); otherwise matched */
	uint8_t list;                /* HS_L_* */
	uint8_t outcome;             /* decided flows */
	uint8_t rst_from_client;
	uint8_t drop_packet, drop_dir;   /* the kernel's verdicts (hs_verdict) */
	uint32_t drop_reason, rst_reason;
	/* Last, and not cleared for a new flow: valid only when have_syn /
	 * have_synack say so. */
	struct hs_side syn, synack;
};

struct hs_list {
	uint32_t head, tail;
};

struct hs_engine {
	uint64_t timeout_ns;
	uint32_t max_flows;
	int hold;
	hs_emit_fn emit;
	void *arg;
	struct hs_flow **chunks;     /* ceil(max_flows / HS_CHUNK) slots */
	uint32_t carved;             /* entries ever handed out */
	uint32_t free_head;
	uint32_t *buckets;
	uint32_t nbuckets, max_buckets;
	uint64_t seed, seed2;
	struct hs_list lists[HS_NLISTS];
	struct hs_stats st;
};

static inline struct hs_flow *flow_at(const struct hs_engine *e, uint32_t i)
{
	return &e->chunks[i >> HS_CHUNK_SHIFT][i & (HS_CHUNK - 1)];
}

/* ---- hashing -------------------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* A keyed hash of the key's six words: the products are independent (the
 * CPU overlaps them), one mix at the end. */
static inline uint64_t key_hash(const struct hs_engine *e, const struct hs_key *k)
{
	uint64_t w[6];

	memcpy(w, k, sizeof(w));
	return mix64(((w[0] ^ e->seed) * 0x9e3779b97f4a7c15ull) +
		     ((w[1] ^ e->seed2) * 0xc2b2ae3d27d4eb4full) +
		     ((w[2] + e->seed) * 0x165667b19e3779f9ull) +
		     ((w[3] + e->seed2) * 0xd6e8feb86659fd93ull) +
		     ((w[4] ^ (e->seed >> 7)) * 0xff51afd7ed558ccdull) + w[5]);
}

static inline int key_eq(const struct hs_key *a, const struct hs_key *b)
{
	uint64_t x[6], y[6];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
		 (x[4] ^ y[4]) | (x[5] ^ y[5]));
}

static uint32_t lookup_h(const struct hs_engine *e, const struct hs_key *k, uint64_t h)
{
	uint32_t i = e->buckets[(uint32_t)h & (e->nbuckets - 1)];

	while (i != HS_NIL && (flow_at(e, i)->hash != h || !key_eq(&flow_at(e, i)->key, k)))
		i = flow_at(e, i)->hnext;
	return i;
}

static uint32_t lookup(const struct hs_engine *e, const struct hs_key *k)
{
	return lookup_h(e, k, key_hash(e, k));
}

static void hash_link(struct hs_engine *e, uint32_t i)
{
	struct hs_flow *f = flow_at(e, i);
	uint32_t b = (uint32_t)f->hash & (e->nbuckets - 1);

	f->hnext = e->buckets[b];
	e->buckets[b] = i;
}

static void hash_unlink(struct hs_engine *e, uint32_t i)
{
	uint32_t *pp = &e->buckets[(uint32_t)flow_at(e, i)->hash & (e->nbuckets - 1)];

	while (*pp != i)
		pp = &flow_at(e, *pp)->hnext;
	*pp = flow_at(e, i)->hnext;
}

/* Double the bucket array (load factor <= 1). On allocation failure keep
 * the old one: chains get longer but everything still works. */
static void maybe_grow_buckets(struct hs_engine *e)
{
	uint32_t n = e->nbuckets * 2, *nb, i, l;

	if (e->st.flows < e->nbuckets || e->nbuckets >= e->max_buckets)
		return;
	nb = malloc((size_t)n * sizeof(*nb));
	if (!nb)
		return;
	memset(nb, 0xff, (size_t)n * sizeof(*nb)); /* HS_NIL */
	free(e->buckets);
	e->buckets = nb;
	e->nbuckets = n;
	/* Every live flow is on exactly one deadline list. */
	for (l = 0; l < HS_NLISTS; l++)
		for (i = e->lists[l].head; i != HS_NIL; i = flow_at(e, i)->next)
			hash_link(e, i);
}

/* ---- deadline lists ------------------------------------------------------- */

static void list_unlink(struct hs_engine *e, uint32_t i)
{
	struct hs_flow *f = flow_at(e, i);
	struct hs_list *l = &e->lists[f->list];

	if (f->prev != HS_NIL)
		flow_at(e, f->prev)->next = f->next;
	else
		l->head = f->next;
	if (f->next != HS_NIL)
		flow_at(e, f->next)->prev = f->prev;
	else
		l->tail = f->prev;
}

/* Insert in deadline order, looking back from the tail: deadlines arrive
 * almost sorted, so this is O(1) in practice and bounded in the worst. */
static void list_insert(struct hs_engine *e, uint32_t i, int which)
{
	struct hs_list *l = &e->lists[which];
	struct hs_flow *f = flow_at(e, i);
	uint32_t after = l->tail;
	int walk = 0;

	while (after != HS_NIL && flow_at(e, after)->deadline > f->deadline &&
	       walk++ < HS_ORDER_WALK)
		after = flow_at(e, after)->prev;
	f->list = (uint8_t)which;
	f->prev = after;
	f->next = after == HS_NIL ? l->head : flow_at(e, after)->next;
	if (f->next != HS_NIL)
		flow_at(e, f->next)->prev = i;
	else
		l->tail = i;
	if (after != HS_NIL)
		flow_at(e, after)->next = i;
	else
		l->head = i;
}

static void set_deadline(struct hs_engine *e, uint32_t i, int which, uint64_t deadline)
{
	struct hs_flow *f = flow_at(e, i);

	if (f->list == which && f->deadline == deadline)
		return;
	list_unlink(e, i);
	f->deadline = deadline;
	list_insert(e, i, which);
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* ---- flow allocation ------------------------------------------------------ */

static void flow_free(struct hs_engine *e, uint32_t i)
{
	hash_unlink(e, i);
	list_unlink(e, i);
	flow_at(e, i)->hnext = e->free_head;
	e->free_head = i;
	e->st.flows--;
}

static void expire(struct hs_engine *e, uint32_t i);

/* Room for one more: the undecided flow with the oldest deadline goes,
 * counted; when every flow is decided, the oldest is emitted early (its
 * late SYN or SYN-ACK, if any, is then ignored). */
static void evict_oldest(struct hs_engine *e)
{
	uint32_t i = e->lists[HS_L_PENDING].head;
	struct hs_flow *f;

	if (i == HS_NIL) {
		expire(e, e->lists[HS_L_DECIDED].head);
		return;
	}
	f = flow_at(e, i);
	if (f->have_syn)
		e->st.syns_evicted += 1 + f->syn_retrans;
	flow_free(e, i);
	e->st.evicted++;
}

static uint32_t take_entry(struct hs_engine *e)
{
	uint32_t i = e->free_head, c, n;

	if (i != HS_NIL) {
		e->free_head = flow_at(e, i)->hnext;
		return i;
	}
	if (e->carved >= e->max_flows)
		return HS_NIL;
	c = e->carved >> HS_CHUNK_SHIFT;
	if (!e->chunks[c]) {
		/* The last chunk is cut to the cap: a small table stays small. */
		n = e->max_flows - (c << HS_CHUNK_SHIFT);
		n = n < HS_CHUNK ? n : HS_CHUNK;
		e->chunks[c] = malloc((size_t)n * sizeof(struct hs_flow));
		if (!e->chunks[c])
			return HS_NIL;
	}
	return e->carved++;
}

/* A new flow on the pending list, or HS_NIL when there is no room (and
 * may_evict is 0) or no memory. h: key_hash(k). */
static uint32_t flow_new(struct hs_engine *e, const struct hs_key *k, uint64_t h, uint64_t ts,
			 int may_evict)
{
	struct hs_flow *f;
	uint32_t i;

	if (e->st.flows >= e->max_flows) {
		if (!may_evict)
			return HS_NIL;
		evict_oldest(e);
	}
	i = take_entry(e);
	if (i == HS_NIL && may_evict && e->st.flows > 0) {
		/* Out of memory below the cap: treat the table as full. */
		evict_oldest(e);
		i = take_entry(e);
	}
	if (i == HS_NIL)
		return HS_NIL;
	f = flow_at(e, i);
	memset(f, 0, offsetof(struct hs_flow, syn));
	f->key = *k;
	f->hash = h;
	f->deadline = add_sat(ts, e->timeout_ns);
	e->st.flows++;
	if (e->st.flows > e->st.flows_peak)
		e->st.flows_peak = e->st.flows;
	maybe_grow_buckets(e);
	hash_link(e, i);
	list_insert(e, i, HS_L_PENDING);
	return i;
}

/* ---- records -------------------------------------------------------------- */

static int64_t latency_us(uint64_t from, uint64_t to)
{
	/* Timestamps from different CPUs or a merged capture can disagree by
	 * a little; a negative latency would read as "absent". */
	return to >= from ? (int64_t)((to - from) / 1000) : 0;
}

static void fill_record(const struct hs_flow *f, int outcome, uint64_t end_ts,
			struct hs_record *r)
{
	int acked = f->have_synack && f->have_ack;
	uint64_t from;


	memset(r, 0, offsetof(struct hs_record, syn));
	r->ifindex = f->key.ifindex;
	r->family = f->key.family;
	r->outcome = (uint8_t)outcome;
	r->have_syn = f->have_syn;
	r->have_synack = f->have_synack;
	r->have_ack = f->have_ack;
	if (outcome == HS_REFUSED || outcome == HS_RESET)
		r->rst_from_client = f->rst_from_client;
	memcpy(r->client, f->key.client, sizeof(r->client));
	memcpy(r->server, f->key.server, sizeof(r->server));
	r->client_port = f->key.client_port;
	r->server_port = f->key.server_port;
	r->end_ts = end_ts;
	r->syn_to_synack_us = -1;
	r->synack_to_ack_us = -1;
	r->syn_retrans = f->syn_retrans;
	r->synack_retrans = f->synack_retrans;
	r->drop_reason = f->drop_reason;
	r->rst_reason = f->rst_reason;
	r->drop_packet = f->drop_packet;
	r->drop_dir = f->drop_dir;
	if (f->have_syn) {
		r->syn_seq = f->syn_seq;
		r->syn_ts = f->syn_ts;
		r->syn = f->syn;
	} else {
		memset(&r->syn, 0, sizeof(r->syn));
	}
	if (f->have_synack) {
		r->synack_seq = f->synack_seq;
		r->synack_ts = f->synack_ts;
		r->synack = f->synack;
	} else {
		memset(&r->synack, 0, sizeof(r->synack));
	}
	if (f->have_syn && f->have_synack) {
		from = f->syn_last_ts <= f->synack_ts ? f->syn_last_ts : f->syn_ts;
		r->syn_to_synack_us = latency_us(from, f->synack_ts);
	}
	if (f->have_ack)
		r->ack_ts = f->ack_ts;
	if (acked) {
		from = f->synack_last_ts <= f->ack_ts ? f->synack_last_ts : f->synack_ts;
		r->synack_to_ack_us = latency_us(from, f->ack_ts);
	}
}

/* Emit the flow's record and free it. The record is built and the flow
 * freed first, so the callback sees consistent stats. */
static void finish(struct hs_engine *e, uint32_t i, int outcome, uint64_t end_ts)
{
	struct hs_flow *f = flow_at(e, i);
	struct hs_record r;

	if (f->have_syn)
		e->st.syns_recorded += 1 + f->syn_retrans;
	fill_record(f, outcome, end_ts, &r);
	flow_free(e, i);
	e->st.outcomes[outcome]++;
	if (e->emit)
		e->emit(&r, e->arg);
}

/* A flow that never saw a SYN: nothing to report, its events matched no
 * handshake. */
static void drop_orphan(struct hs_engine *e, uint32_t i)
{
	struct hs_flow *f = flow_at(e, i);

	e->st.ignored += f->have_synack ? 1 + f->synack_retrans : 0;
	flow_free(e, i);
}

/* The flow's deadline has come. */
static void expire(struct hs_engine *e, uint32_t i)
{
	struct hs_flow *f = flow_at(e, i);

	if (f->list == HS_L_DECIDED)
		finish(e, i, f->outcome, f->deadline);
	else if (f->have_syn)
		finish(e, i, HS_TIMEOUT, f->deadline);
	else
		drop_orphan(e, i);
}

/* Is a decided flow's record whole: its SYN, and for an established one
 * its SYN-ACK? With hold, none is: every decided record waits. */
static int whole(const struct hs_engine *e, const struct hs_flow *f, int outcome)
{
	return !e->hold && f->have_syn && (outcome != HS_ESTABLISHED || f->have_synack);
}

/* The ACK (or a RST) settled a flow: emit now if the record is whole,
 * else wait until hs_advance() passes ts in case the rest is only late. */
static void decide(struct hs_engine *e, uint32_t i, int outcome, uint64_t ts)
{
	struct hs_flow *f = flow_at(e, i);

	if (whole(e, f, outcome)) {
		finish(e, i, outcome, ts);
		return;
	}
	f->outcome = (uint8_t)outcome;
	set_deadline(e, i, HS_L_DECIDED, ts);
}

/* ---- events --------------------------------------------------------------- */

/* Key of the event's flow, with the event's source as client or server. */
static void make_key(const struct ss_event *ev, int src_is_client, struct hs_key *k)
{
	const uint32_t *c = src_is_client ? ev->saddr : ev->daddr;
	const uint32_t *s = src_is_client ? ev->daddr : ev->saddr;

	/* IPv4 events have zeros past the first word already. */
	memcpy(k->client, c, sizeof(k->client));
	memcpy(k->server, s, sizeof(k->server));
	k->ifindex = ev->ifindex;
	k->client_port = src_is_client ? ev->sport : ev->dport;
	k->server_port = src_is_client ? ev->dport : ev->sport;
	k->family = ev->family;
	memset(k->pad, 0, sizeof(k->pad));
}

/* Look a flow up (h: its key's hash); one whose deadline the event has
 * reached expires first. */
static uint32_t find_live(struct hs_engine *e, const struct hs_key *k, uint64_t h, uint64_t ts)
{
	uint32_t i = lookup_h(e, k, h);

	if (i != HS_NIL && ts >= flow_at(e, i)->deadline) {
		expire(e, i);
		i = HS_NIL;
	}
	return i;
}

/* What a SYN or SYN-ACK event says about its sender. */
static void side_from(const struct ss_event *ev, const struct ss_opts *walk, struct hs_side *s)
{
	const struct ss_event_syn *x = (const struct ss_event_syn *)ev;

	s->seq = ev->seq;
	s->ack = ev->ack;
	s->win = ev->window;
	s->ttl = ev->ttl;
	s->tcp_flags = ev->tcp_flags;
	s->cgroup_id = x->cgroup_id;
	s->flow = x->flow;
	s->ip_id = x->ip_id;
	s->ip_frag = x->ip_frag;
	s->urg = x->urg;
	s->payload_len = x->payload_len;
	s->tos = x->tos;
	s->ip_opt_len = x->ip_opt_len;
	s->doff_res = x->doff_res;
	s->opt_len = x->opt_len <= SS_OPT_RAW_SIZE ? x->opt_len : SS_OPT_RAW_SIZE;
	memcpy(s->opts, x->opts, sizeof(s->opts));
	memset(s->pad, 0, sizeof(s->pad));
	s->walk = *walk;
	s->dir = ev->dir;
}

/* Record a SYN of the attempt (the first, or a retransmission). The
 * caller moves the deadline: a decided flow keeps its own. */
static void note_syn(struct hs_flow *f, const struct ss_event *ev, const struct ss_opts *walk)
{
	if (!f->have_syn) {
		f->have_syn = 1;
		f->syn_seq = ev->seq;
		f->syn_ts = f->syn_last_ts = ev->ts_ns;
		side_from(ev, walk, &f->syn);
	} else {
		f->syn_retrans++;
		if (ev->ts_ns < f->syn_ts)
			f->syn_ts = ev->ts_ns;
		/* A SYN sent after the SYN-ACK was not the one it answered. */
		if (ev->ts_ns > f->syn_last_ts &&
		    (!f->have_synack || ev->ts_ns <= f->synack_ts))
			f->syn_last_ts = ev->ts_ns;
	}
}

/* An attempt with a SYN times out timeout_ns after its first SYN. */
static void syn_deadline(struct hs_engine *e, uint32_t i)
{
	set_deadline(e, i, HS_L_PENDING, add_sat(flow_at(e, i)->syn_ts, e->timeout_ns));
}

static void note_synack(struct hs_flow *f, const struct ss_event *ev, const struct ss_opts *walk)
{
	if (!f->have_synack) {
		f->have_synack = 1;
		f->synack_seq = ev->seq;
		f->synack_ack = ev->ack;
		f->synack_ts = f->synack_last_ts = ev->ts_ns;
		side_from(ev, walk, &f->synack);
		return;
	}
	f->synack_retrans++;
	if (ev->ts_ns < f->synack_ts)
		f->synack_ts = ev->ts_ns;
	if (ev->ts_ns > f->synack_last_ts && (!f->have_ack || ev->ts_ns <= f->ack_ts))
		f->synack_last_ts = ev->ts_ns;
}

static int on_syn(struct hs_engine *e, const struct ss_event *ev, const struct ss_opts *walk)
{
	struct hs_key k;
	uint64_t h;
	struct hs_flow *f;
	uint32_t i;

	make_key(ev, 1, &k);
	h = key_hash(e, &k);
	i = find_live(e, &k, h, ev->ts_ns);
	if (i != HS_NIL) {
		f = flow_at(e, i);
		if (f->have_syn && ev->seq == f->syn_seq) {
			note_syn(f, ev, walk);
			if (f->list == HS_L_PENDING)
				syn_deadline(e, i);
			return 1;
		}
		if (f->have_syn) {
			/* A new ISN: the client gave up on the old attempt, which
			 * got no (complete) answer in time: a timeout; or, decided,
			 * its outcome. */
			if (f->list == HS_L_DECIDED)
				expire(e, i);
			else
				finish(e, i, HS_TIMEOUT, ev->ts_ns);
		} else if (!f->have_synack || f->synack_ack == ev->seq + 1) {
			/* The late SYN of a flow begun by its SYN-ACK or ACK. */
			note_syn(f, ev, walk);
			if (f->list == HS_L_DECIDED) {
				if (whole(e, f, f->outcome))
					finish(e, i, f->outcome, f->deadline);
			} else {
				syn_deadline(e, i);
			}
			return 1;
		} else if (f->list == HS_L_DECIDED) {
			/* Not its SYN: report what was decided, start anew. */
			expire(e, i);
		} else {
			/* The SYN-ACK answered some SYN we never saw. */
			drop_orphan(e, i);
		}
	}
	i = flow_new(e, &k, h, ev->ts_ns, 1);
	if (i == HS_NIL) {
		e->st.ignored++;
		e->st.syns_ignored++;
		return 0;
	}
	note_syn(flow_at(e, i), ev, walk);
	syn_deadline(e, i);
	return 1;
}

/* A held ACK does not fit the SYN-ACK that came after it: it is dropped
 * and the flow waits again, undecided. */
static void unhold_ack(struct hs_engine *e, uint32_t i)
{
	struct hs_flow *f = flow_at(e, i);

	f->have_ack = 0;
	e->st.ignored++;
	e->st.acks_ignored++;
	set_deadline(e, i, HS_L_PENDING,
		     add_sat(f->have_syn ? f->syn_ts : f->synack_ts, e->timeout_ns));
}

static int on_synack(struct hs_engine *e, const struct ss_event *ev, const struct ss_opts *walk)
{
	struct hs_key k;
	uint64_t h;
	struct hs_flow *f;
	uint32_t i;

	make_key(ev, 0, &k);
	h = key_hash(e, &k);
	i = find_live(e, &k, h, ev->ts_ns);
	if (i == HS_NIL) {
		/* Possibly ahead of its SYN: keep it until the deadline. */
		i = flow_new(e, &k, h, ev->ts_ns, 1);
		if (i == HS_NIL) {
			e->st.ignored++;
			return 0;
		}
		note_synack(flow_at(e, i), ev, walk);
		return 1;
	}
	f = flow_at(e, i);
	if (f->have_synack) {
		if (ev->seq != f->synack_seq) {
			e->st.ignored++;
			return 0;
		}
		note_synack(f, ev, walk);
		return 1;
	}
	if (f->have_syn && ev->ack != f->syn_seq + 1) {
		e->st.ignored++;
		return 0;
	}
	note_synack(f, ev, walk);
	/* The ACK that came first can be checked now. */
	if (f->have_ack) {
		if (f->ack_ack != ev->seq + 1)
			unhold_ack(e, i);
		else if (whole(e, f, HS_ESTABLISHED))
			finish(e, i, HS_ESTABLISHED, f->ack_ts);
	}
	return 1;
}

static int on_ack(struct hs_engine *e, const struct ss_event *ev)
{
	struct hs_key k;
	uint64_t h;
	struct hs_flow *f;
	uint32_t i;

	make_key(ev, 1, &k);
	h = key_hash(e, &k);
	i = find_live(e, &k, h, ev->ts_ns);
	if (i == HS_NIL) {
		struct hs_key rev;

		/* Server to client: never completes a handshake. */
		make_key(ev, 0, &rev);
		if (lookup(e, &rev) != HS_NIL)
			goto ignored;
		/* Its SYN and SYN-ACK not seen (yet): the kernel says it
		 * completed one, so it may take the place of an undecided flow. */
		i = flow_new(e, &k, h, ev->ts_ns, 1);
		if (i == HS_NIL)
			goto ignored;
		f = flow_at(e, i);
	} else {
		f = flow_at(e, i);
		/* Decided already: this flow's handshake is over. */
		if (f->list == HS_L_DECIDED)
			goto ignored;
		if (f->have_synack && ev->ack != f->synack_seq + 1)
			goto ignored;
	}
	f->have_ack = 1;
	f->ack_ack = ev->ack;
	f->ack_ts = ev->ts_ns;
	decide(e, i, HS_ESTABLISHED, ev->ts_ns);
	return 1;
ignored:
	e->st.ignored++;
	e->st.acks_ignored++;
	return 0;
}

/* Does this RST belong to the attempt? See the decisions at the top. */
static int rst_matches(const struct hs_flow *f, const struct ss_event *ev, int from_client)
{
	uint32_t client_next; /* client ISN + 1 */

	if (!f->have_syn && !f->have_synack)
		return 0;
	client_next = f->have_syn ? f->syn_seq + 1 : f->synack_ack;
	if (from_client)
		return ev->seq == client_next;
	if ((ev->tcp_flags & SS_TCP_ACK) && ev->ack == client_next)
		return 1;
	return f->have_synack && ev->seq == f->synack_seq + 1;
}

static int on_rst(struct hs_engine *e, const struct ss_event *ev)
{
	struct hs_key k;
	struct hs_flow *f;
	uint32_t i;
	int from_client;

	/* The sender may be either side: try the server first. */
	for (from_client = 0; from_client < 2; from_client++) {
		make_key(ev, from_client, &k);
		i = find_live(e, &k, key_hash(e, &k), ev->ts_ns);
		if (i == HS_NIL)
			continue;
		f = flow_at(e, i);
		/* A decided flow is past its handshake. */
		if (f->list == HS_L_DECIDED || !rst_matches(f, ev, from_client))
			continue;
		f->rst_from_client = (uint8_t)from_client;
		decide(e, i, f->have_synack || from_client ? HS_RESET : HS_REFUSED, ev->ts_ns);
		return 1;
	}
	e->st.ignored++;
	return 0;
}

/* ---- the kernel's verdicts ------------------------------------------------ */

/* Is the verdict's packet one of this attempt's? Its numbers against the
 * SYN's (a reused port pair is another attempt): a SYN carries the ISN, a
 * SYN-ACK acknowledges it, the completing ACK follows it. Without a SYN
 * seen, the address and ports decide. */
static int verdict_fits(const struct hs_flow *f, const struct ss_verdict *v, int synack)
{
	if (!f->have_syn)
		return 1;
	if (synack)
		return v->ack == f->syn_seq + 1;
	if (v->tcp_flags & SS_TCP_SYN)
		return v->seq == f->syn_seq;
	return v->seq == f->syn_seq + 1;
}

int hs_verdict(struct hs_engine *e, const struct ss_verdict *v, const uint32_t *alt, int nalt)
{
	/* The packet's sender is the client for a SYN or an ACK, the server
	 * for a SYN-ACK. */
	int synack = (v->tcp_flags & (SS_TCP_SYN | SS_TCP_ACK)) == (SS_TCP_SYN | SS_TCP_ACK);
	struct ss_event ev = { .family = v->family, .sport = v->sport, .dport = v->dport };
	struct hs_key k;
	struct hs_flow *f;
	uint32_t i = HS_NIL;
	int a;

	e->st.verdicts++;
	if (v->family != 4 && v->family != 6)
		return 0;
	memcpy(ev.saddr, v->saddr, sizeof(ev.saddr));
	memcpy(ev.daddr, v->daddr, sizeof(ev.daddr));
	for (a = -1; a < nalt && i == HS_NIL; a++) {
		ev.ifindex = a < 0 ? v->ifindex : alt[a];
		if (a >= 0 && alt[a] == v->ifindex)
			continue;
		make_key(&ev, !synack, &k);
		i = lookup(e, &k);
		if (i != HS_NIL && !verdict_fits(flow_at(e, i), v, synack))
			i = HS_NIL;
	}
	if (i == HS_NIL)
		return 0;
	f = flow_at(e, i);
	/* The first of each kind: a retransmission dropped again says the same. */
	if (v->kind == SS_VD_DROP && !f->drop_reason) {
		f->drop_reason = v->reason + 1;
		f->drop_packet = synack ? SS_EV_SYNACK : (v->tcp_flags & SS_TCP_SYN) ? SS_EV_SYN : SS_EV_ACK;
		f->drop_dir = v->dir;
	} else if (v->kind == SS_VD_RST && !f->rst_reason) {
		f->rst_reason = v->reason + 1;
	}
	e->st.verdicts_joined++;
	return 1;
}

/* ---- API ------------------------------------------------------------------ */

struct hs_engine *hs_new(const struct hs_config *cfg, hs_emit_fn emit, void *arg)
{
	struct hs_engine *e = calloc(1, sizeof(*e));
	uint32_t nchunks, b = 1;
	int l;

	if (!e)
		return NULL;
	e->timeout_ns = cfg && cfg->timeout_ns ? cfg->timeout_ns : HS_DEFAULT_TIMEOUT_NS;
	e->max_flows = cfg && cfg->max_flows ? cfg->max_flows : HS_DEFAULT_MAX_FLOWS;
	e->hold = cfg && cfg->hold;
	if (e->max_flows > HS_MAX_FLOWS_LIMIT)
		e->max_flows = HS_MAX_FLOWS_LIMIT;
	e->emit = emit;
	e->arg = arg;
	e->free_head = HS_NIL;
	for (l = 0; l < HS_NLISTS; l++)
		e->lists[l].head = e->lists[l].tail = HS_NIL;
	while (b < e->max_flows)
		b <<= 1;
	e->max_buckets = b;
	e->nbuckets = b < HS_MIN_BUCKETS ? b : HS_MIN_BUCKETS;
	/* Keyed hash, no syscall: ASLR makes these addresses unpredictable to
	 * whoever forges the packets. */
	e->seed = mix64((uint64_t)(uintptr_t)e ^ mix64((uint64_t)(uintptr_t)&b) ^
			mix64((uint64_t)(uintptr_t)&hs_new));
	e->seed2 = mix64(e->seed ^ 0x5c5c5c5c5c5c5c5cull);
	nchunks = (e->max_flows + HS_CHUNK - 1) >> HS_CHUNK_SHIFT;
	e->chunks = calloc(nchunks, sizeof(*e->chunks));
	e->buckets = malloc((size_t)e->nbuckets * sizeof(*e->buckets));
	if (!e->chunks || !e->buckets) {
		hs_free(e);
		return NULL;
	}
	memset(e->buckets, 0xff, (size_t)e->nbuckets * sizeof(*e->buckets));
	return e;
}

/* The options of a SYN or SYN-ACK are walked here, where live and -r
 * meet, so the count of malformed ones is the same for both; the walk is
 * kept with the handshake for its record. */
static void walk_options(struct hs_engine *e, const struct ss_event *ev, struct ss_opts *o)
{
	const struct ss_event_syn *s = (const struct ss_event_syn *)ev;

	ss_walk_tcp_opts(s->opts, s->opt_len, o);
	if (o->present & SS_OPT_MALFORMED)
		e->st.bad_options++;
}

int hs_feed(struct hs_engine *e, const struct ss_event *ev)
{
	struct ss_opts walk;

	if (ev->family == 4 || ev->family == 6) {
		switch (ev->kind) {
		case SS_EV_SYN:
			e->st.syn_events++;
			walk_options(e, ev, &walk);
			return on_syn(e, ev, &walk);
		case SS_EV_SYNACK: walk_options(e, ev, &walk); return on_synack(e, ev, &walk);
		case SS_EV_ACK:
			e->st.ack_events++;
			return on_ack(e, ev);
		case SS_EV_RST: return on_rst(e, ev);
		default: break; /* FIN and anything else: not the handshake */
		}
	}
	e->st.ignored++;
	return 0;
}

void hs_advance(struct hs_engine *e, uint64_t now_ns)
{
	uint32_t i;
	int l;

	for (l = 0; l < HS_NLISTS; l++)
		while ((i = e->lists[l].head) != HS_NIL && flow_at(e, i)->deadline <= now_ns)
			expire(e, i);
}

void hs_flush(struct hs_engine *e)
{
	uint32_t i;

	while ((i = e->lists[HS_L_PENDING].head) != HS_NIL) {
		if (flow_at(e, i)->have_syn)
			finish(e, i, HS_OPEN, 0);
		else
			drop_orphan(e, i);
	}
	/* Decided flows only waited for a late SYN: report their outcome. */
	while ((i = e->lists[HS_L_DECIDED].head) != HS_NIL)
		expire(e, i);
}

void hs_get_stats(const struct hs_engine *e, struct hs_stats *st)
{
	*st = e->st;
}

void hs_free(struct hs_engine *e)
{
	uint32_t c, nchunks;

	if (!e)
		return;
	if (e->chunks) {
		nchunks = (e->max_flows + HS_CHUNK - 1) >> HS_CHUNK_SHIFT;
		for (c = 0; c < nchunks; c++)
			free(e->chunks[c]);
		free(e->chunks);
	}
	free(e->buckets);
	free(e);
}

const char *hs_outcome_name(int outcome)
{
	static const char *const names[HS_OUTCOME_MAX] = {
		[HS_ESTABLISHED] = "established", [HS_REFUSED] = "refused",
		[HS_RESET] = "reset", [HS_TIMEOUT] = "timeout", [HS_OPEN] = "open",
	};

	return outcome >= 0 && outcome < HS_OUTCOME_MAX ? names[outcome] : "?";
}
