/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What a parsed TCP segment becomes, decided once and compiled twice, like
 * parse.h: into the kernel programs (bpf/synscope.bpf.c) and into the
 * capture reader (user/offline/replay.c), so that `synscope -r` and a live trace
 * of the same traffic can never decide differently.
 *
 * ss_packet() is the whole per-packet path: it counts the packet, parses
 * it (parse.h), counts what is not a TCP segment by its reason, applies
 * --port/--host (and, live, --cgroup), keeps the pending SYN-ACK table and
 * top's flood maps, and says which event, if any, the packet becomes.
 * What differs between the builds is only their tables, supplied by the
 * includer before it includes this file:
 *
 *   struct ss_decider {           its state; must have these members:
 *           __u64 *c;             the counters (enum ss_counter)
 *           __u64 key0, key1;     the pending table's hash key
 *           __u8 tshift;          ss_pend_tshift(--timeout)
 *           __u32 live_t;         ss_pend_live_t(--timeout, tshift)
 *           ...                   whatever the functions below need
 *   };
 *   int ss_d_parse(struct ss_decider *x, struct ss_cursor *c, struct ss_pkt *pkt);
 *                                 the packet's headers (ss_parse_eth(), or
 *                                 on the host after another link layer)
 *   void ss_d_unparsed(struct ss_decider *x, int result);
 *                                 count a packet that is not a TCP segment
 *                                 (SS_C_NOT_IP + result - 1)
 *   int ss_d_ports_on(x), ss_d_port_listed(x, __u16 port);
 *   int ss_d_hosts_on(x), ss_d_host_listed(x, __u8 family, const __u32 *addr);
 *                                 --port and --host (ss_match())
 *   int ss_d_owner(struct ss_decider *x, const struct ss_pkt *pkt);
 *                                 --cgroup: 1 when a local socket of the
 *                                 subtree sends or receives the SYN,
 *                                 SYN-ACK or RST (asked of those only: the
 *                                 check costs map lookups, and an ACK pairs
 *                                 only with a SYN-ACK that passed)
 *   int ss_d_flood(struct ss_decider *x);
 *                                 top: 1 when the flood maps are kept
 *   void ss_d_target_add(x, const struct ss_target_key *k);
 *   __u32 *ss_d_sketch_total(x), *ss_d_sketch_cell(x, __u32 row, __u32 col);
 *   void ss_d_heavy_put(x, const struct ss_source_key *k, __u32 est);
 *                                 the flood maps (include/sketch.h): SYNs
 *                                 per target, the source sketch's epoch in
 *                                 progress, the heavy-source candidates
 *   __u64 ss_d_clock(struct ss_decider *x);
 *                                 the time of a SYN-ACK, ns
 *   struct ss_pend_set *ss_d_pend_set(struct ss_decider *x, __u32 index);
 *                                 the pending table's set (NULL: none)
 *   __u64 *ss_d_pend_occ(struct ss_decider *x, __u32 group);
 *                                 its group's count of used slots (NULL:
 *                                 none kept, nothing is skipped)
 *
 * The pending table (struct ss_pend_set in include/synscope.h) replaces a
 * kernel LRU hash: a SYN-ACK's insert cost a lock shared by all CPUs and
 * half of the SYN-ACK's time, an ACK's lookup hashed a 40-byte key. Here
 * every operation is one flow hash, one cache line, and at most one
 * atomic exchange:
 *  - The hash is symmetric in the two ends, so a RST from either side
 *    finds the set at once; the tag's lowest bit says which end sends the
 *    completing ACK, so only that direction completes.
 *  - A SYN-ACK takes its flow's own slot (a retransmission, or a new ISN),
 *    else an empty or stale one (older than --timeout: its handshake has
 *    timed out), else the oldest, which is counted (SS_C_PEND_EVICTED):
 *    no loss is silent. Its exchange returns what it replaced, so a race
 *    with another CPU's insert into the same slot is counted too.
 *  - An ACK completes when a slot holds its tag and its ACK number; the
 *    compare-and-swap that clears the slot lets only one of two racing
 *    ACKs (the ACK and a data segment on two CPUs) complete.
 * Under a SYN-ACK flood a set sees one insert per SS_PEND_SETS SYN-ACKs,
 * and an entry is lost only after seven newer ones in its set: at 300,000
 * SYN-ACKs/s that happens within a 100 ms round trip to 6 entries in
 * 10,000 (Poisson, 1.8 inserts per set on average), within 10 ms to none
 * that one would see.
 */
#ifndef SS_DECIDE_H
#define SS_DECIDE_H

#include "sketch.h"
#include "pend_hash.h"

/* Slot i of a set, at a constant offset on each path: a map value pointer
 * moved by a variable amount makes the verifier, without CAP_PERFMON,
 * compare states exactly (see parse.h). */
static __always_inline __u64 *ss_pend_way(struct ss_pend_set *set, int i)
{
	switch (i) {
	case 0: return &set->w[0];
	case 1: return &set->w[1];
	case 2: return &set->w[2];
	case 3: return &set->w[3];
	case 4: return &set->w[4];
	case 5: return &set->w[5];
	case 6: return &set->w[6];
	default: return &set->w[7];
	}
}

_Static_assert(SS_PEND_WAYS == 8, "ss_pend_way spells out eight ways");

/*
 * Arithmetic the verifier follows as one path: clang would turn a compare
 * into a branch (BPF has no conditional move or set-on-condition), and a
 * branch per way and outcome would have the verifier walk each of their
 * combinations (3^8 for the insert's scan, times the parse's paths). The
 * empty asm hides the value's range from clang, which then cannot prove
 * the shift equivalent to a compare. ss_is_below() and ss_max() take
 * values below 2^63.
 */
#ifdef __bpf__
#define SS_OPAQUE(v) asm volatile("" : "+r"(v))
#else
#define SS_OPAQUE(v) ((void)0)
#endif

static __always_inline __u64 ss_is_zero(__u64 v)          /* 1 when v == 0 */
{
	SS_OPAQUE(v);
	return ((v | -v) >> 63) ^ 1;
}

static __always_inline __u64 ss_is_below(__u64 a, __u64 b)  /* 1 when a < b */
{
	__u64 d = a - b;

	SS_OPAQUE(d);
	return d >> 63;
}

static __always_inline __u64 ss_max(__u64 a, __u64 b)
{
	__u64 m = -ss_is_below(a, b);

	return a ^ ((a ^ b) & m);
}

#define SS_PEND_MATCH(v, want) (((v) & ~(SS_PEND_T_MASK << SS_PEND_T_SHIFT)) == (want))

/*
 * A SYN-ACK: its completing ACK will carry expect_ack. The slot: its own
 * (a retransmission: the same tag and ACK number), else an empty or stale
 * one, else the oldest, whose loss is counted. Chosen by the largest
 * score, same << 14 | free << 13 | age, with the way in the low bits. A
 * slot with the same tag but another ACK number is another flow's (tags
 * are 20 bits) or an older handshake of this one: neither is replaced as
 * if it were this entry.
 */
static __always_inline void ss_pend_put(struct ss_decider *x, const struct ss_pend_where *w,
					__u32 expect_ack, __u64 now_ns)
{
	struct ss_pend_set *set = ss_d_pend_set(x, w->index);
	__u32 t = (__u32)(now_ns >> x->tshift) & SS_PEND_T_MASK;
	__u64 key = (__u64)w->tag << SS_PEND_TAG_SHIFT | expect_ack;
	__u64 id = key | (__u64)t << SS_PEND_T_SHIFT;
	__u64 cur, seen, old, *slot, best = 0, age, same, empty, stale;
	int i, victim, live;

	if (!set)
		return;
SS_UNROLL
	for (i = 0; i < SS_PEND_WAYS; i++) {
		cur = set->w[i];
		age = ss_pend_age(cur, t);
		same = ss_is_zero((cur ^ key) & ~(SS_PEND_T_MASK << SS_PEND_T_SHIFT));
		empty = ss_is_zero(cur);
		stale = 1 - ss_is_below(age, x->live_t);
		best = ss_max(best, (same << 14 | (empty | stale) << 13 | age) << 3 | i);
	}
	victim = best & 7;
	live = best < (1ull << (13 + 3));
	slot = ss_pend_way(set, victim);
	seen = *slot;
	old = __sync_lock_test_and_set(slot, id);
	/* An empty slot filled: its group counts one more. No branch on
	 * old, whose value the eviction check below still needs: the
	 * verifier would walk the rest of the program once per outcome. */
	{
		__u64 *occ = ss_d_pend_occ(x, ss_pend_group(w->index));

		if (occ)
			__sync_fetch_and_add(occ, ss_is_zero(old));
	}
	/* What was lost: the live entry we chose, or, when another CPU wrote
	 * the slot meanwhile (and counted what it replaced), its new entry;
	 * nothing when an ACK took it or it was this entry. */
	if (old == seen ? live : old != 0 && !SS_PEND_MATCH(old, key))
		ss_inc(&x->c[SS_C_PEND_EVICTED]);
}

/* n slots of w's set emptied: its group's count goes down. */
static __always_inline void ss_pend_emptied(struct ss_decider *x, const struct ss_pend_where *w,
					    __u32 n)
{
	__u64 *occ = ss_d_pend_occ(x, ss_pend_group(w->index));

	if (occ)
		__sync_fetch_and_add(occ, -(__u64)n);   /* BPF has no atomic sub */
}

/* 0 when no slot of w's group is used: its set need not be read. */
static __always_inline int ss_pend_maybe(struct ss_decider *x, const struct ss_pend_where *w)
{
	__u64 *occ = ss_d_pend_occ(x, ss_pend_group(w->index));

	return !occ || *(volatile __u64 *)occ != 0;
}

/*
 * An ACK: does it complete a pending SYN-ACK younger than --timeout? Then
 * the slot is cleared. Only a match reads the clock (*now_ns: the event's
 * stamp too): an established ACK never does. A stale match is cleared and
 * completes nothing, so a slot's fate does not depend on whether
 * userspace swept it yet (ss_pend_sweep()).
 */
static __always_inline int ss_pend_take(struct ss_decider *x, const struct ss_pend_where *w,
					__u32 ack, __u64 *now_ns)
{
	struct ss_pend_set *set = ss_d_pend_set(x, w->index);
	__u64 want = (__u64)w->tag << SS_PEND_TAG_SHIFT | ack, cur, *slot;
	__u32 t;
	int i;

	if (!set)
		return 0;
SS_UNROLL
	for (i = 0; i < SS_PEND_WAYS; i++) {
		cur = set->w[i];
		if (SS_PEND_MATCH(cur, want)) {
			slot = ss_pend_way(set, i);
			*now_ns = ss_d_clock(x);
			t = (__u32)(*now_ns >> x->tshift) & SS_PEND_T_MASK;
			if (__sync_val_compare_and_swap(slot, cur, 0) != cur)
				return 0;
			ss_pend_emptied(x, w, 1);
			return ss_pend_age(cur, t) < x->live_t;
		}
	}
	return 0;
}

/* A RST: a reset handshake never completes; forget it, either direction. */
static __always_inline void ss_pend_drop(struct ss_decider *x, const struct ss_pend_where *w)
{
	struct ss_pend_set *set = ss_d_pend_set(x, w->index);
	__u32 flow = w->tag >> 1, n = 0;
	__u64 cur;
	int i;

	if (!set)
		return;
SS_UNROLL
	for (i = 0; i < SS_PEND_WAYS; i++) {
		cur = set->w[i];
		if (ss_pend_tag(cur) >> 1 == flow)
			n += __sync_val_compare_and_swap(ss_pend_way(set, i), cur, 0) == cur;
	}
	ss_pend_emptied(x, w, n);
}

/*
 * --port and --host. Each filter given keeps a segment when either of its
 * ends is listed; given both, a segment must pass both (tcpdump's "port P
 * and host H").
 */
static __always_inline int ss_match(struct ss_decider *x, const struct ss_pkt *pkt)
{
	if (ss_d_ports_on(x) && !ss_d_port_listed(x, pkt->sport) &&
	    !ss_d_port_listed(x, pkt->dport))
		return 0;
	if (ss_d_hosts_on(x) && !ss_d_host_listed(x, pkt->family, pkt->saddr) &&
	    !ss_d_host_listed(x, pkt->family, pkt->daddr))
		return 0;
	return 1;
}

/*
 * top's flood maps, for a SYN that passed: one more SYN to the epoch's
 * total and to its target, its source into the count-min sketch; a
 * source whose estimate stands out of the sketch's noise becomes a
 * candidate (include/sketch.h). The total first: it reads the epoch the
 * rest counts into, so one interval's figures come from one window.
 */
static __always_inline void ss_flood_count(struct ss_decider *x, const struct ss_pkt *pkt)
{
	struct ss_target_key tk = { .port = pkt->dport, .family = pkt->family };
	struct ss_source_key sk = { .family = pkt->family };
	__u32 row, est = ~0u, *c, *total;

	total = ss_d_sketch_total(x);
	if (!total)
		return;
	(*total)++;
	__builtin_memcpy(tk.addr, pkt->daddr, 16);
	ss_d_target_add(x, &tk);
	for (row = 0; row < SS_SKETCH_ROWS; row++) {
		c = ss_d_sketch_cell(x, row, ss_sketch_col(pkt->saddr, row));
		if (!c)
			return;
		(*c)++;
		if (*c < est)
			est = *c;
	}
	if (est < SS_HH_MIN_COUNT ||
	    (__u64)est * SS_SKETCH_WIDTH < (__u64)*total * SS_HH_NOISE_FACTOR)
		return;
	/* Insert on crossing and refresh at powers of two: a heavy source
	 * costs a table update only log2(rate) times per interval. */
	if (est & (est - 1))
		return;
	__builtin_memcpy(sk.addr, pkt->saddr, 16);
	ss_d_heavy_put(x, &sk, est);
}

/*
 * A parsed TCP segment: count it, keep the pending table, and return the
 * event it becomes (enum ss_kind), or 0 for none. *now_ns gets the clock
 * when the decision read it (a SYN-ACK, a completing ACK): the kernel
 * stamps the event with the same read.
 */
static __always_inline int ss_decide(struct ss_decider *x, const struct ss_pkt *pkt,
				     __u64 *now_ns)
{
	struct ss_pend_where w;
	int kind;

	if (!ss_match(x, pkt)) {
		ss_inc(&x->c[SS_C_FILTERED]);
		return 0;
	}
	kind = ss_classify(pkt->tcp_flags);
	if ((kind == SS_EV_SYN || kind == SS_EV_SYNACK || kind == SS_EV_RST) &&
	    !ss_d_owner(x, pkt)) {
		ss_inc(&x->c[SS_C_FILTERED]);
		return 0;
	}
	switch (kind) {
	case SS_EV_SYN:
		ss_inc(&x->c[SS_C_SYN]);
		if (ss_d_flood(x))
			ss_flood_count(x, pkt);
		return SS_EV_SYN;
	case SS_EV_SYNACK:
		ss_inc(&x->c[SS_C_SYNACK]);
		*now_ns = ss_d_clock(x);
		/* The completing ACK flows the other way: client to server. */
		ss_pend_locate(x->key0, x->key1, pkt->daddr, pkt->saddr, pkt->dport, pkt->sport, pkt->family, &w);
		ss_pend_put(x, &w, pkt->seq + 1, *now_ns);
		return SS_EV_SYNACK;
	case SS_EV_RST:
		ss_inc(&x->c[SS_C_RST]);
		ss_pend_locate(x->key0, x->key1, pkt->saddr, pkt->daddr, pkt->sport, pkt->dport, pkt->family, &w);
		if (ss_pend_maybe(x, &w))
			ss_pend_drop(x, &w);
		return SS_EV_RST;
	case SS_EV_FIN:
		ss_inc(&x->c[SS_C_FIN]);
		return 0;
	case SS_EV_ACK:
		ss_pend_locate(x->key0, x->key1, pkt->saddr, pkt->daddr, pkt->sport, pkt->dport, pkt->family, &w);
		if (!ss_pend_maybe(x, &w) || !ss_pend_take(x, &w, pkt->ack, now_ns))
			return 0;
		ss_inc(&x->c[SS_C_ACK_COMPLETE]);
		return SS_EV_ACK;
	default:
		return 0;
	}
}


/*
 * The whole per-packet path: count the packet, parse it, count what is not
 * a TCP segment by its reason, else decide (ss_decide()). Returns the
 * event the packet becomes, or 0.
 */
static __always_inline int ss_packet(struct ss_decider *x, struct ss_cursor *cur,
				     struct ss_pkt *pkt, __u64 *now_ns)
{
	int res;

	ss_inc(&x->c[SS_C_PACKETS]);
	res = ss_d_parse(x, cur, pkt);
	if (res != SS_PARSE_TCP) {
		ss_d_unparsed(x, res);
		return 0;
	}
	return ss_decide(x, pkt, now_ns);
}

#endif /* SS_DECIDE_H */
