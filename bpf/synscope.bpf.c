// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * synscope kernel programs: XDP on ingress, tc (tcx or clsact) on ingress
 * and egress. They parse each packet (parse.h), decide what it is
 * (decide.h, shared with the capture reader), count it, and write only
 * handshake packets to the ring buffer. They never change a packet's
 * fate: XDP returns XDP_PASS, tc returns TC_ACT_UNSPEC (-1, which tcx
 * calls TCX_NEXT) so programs after ours still run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "synscope.h"
#include "parse.h"
#include "sketch.h"

#define SS_TC_NEUTRAL (-1) /* TC_ACT_UNSPEC == TCX_NEXT */

/* Set by the loader between open and load. */
const volatile __u16 cfg_ports[SS_MAX_PORTS] = {};
const volatile __u32 cfg_nports = 0;
const volatile __u8 cfg_host_v4 = 0;      /* hosts_v4 holds prefixes */
const volatile __u8 cfg_host_v6 = 0;      /* hosts_v6 holds prefixes */
const volatile __u8 cfg_host_filter = 0;  /* any --host given */
/* Each CPU's event ring: 2^cfg_ev_slots_log2 slots (the loader sets it,
 * and the maps' sizes to match; include/synscope.h). */
const volatile __u32 cfg_ev_slots_log2 = SS_EV_SLOTS_LOG2_MIN;
/* SYN and RST events are shed (counted) when a CPU's ring holds more than
 * this many events not yet read: the consumer has fallen behind, and what
 * is left of the ring stays for the SYN-ACKs and completing ACKs of real
 * connections, which are never shed. Half the ring (the loader); 0: never
 * for this reason. */
const volatile __u32 cfg_shed_slots = 0;
/* Set by the loader where the CPU never reorders a store with an earlier
 * one (x86): an event is then published with a plain store, which does
 * not wait, as an atomic add's full barrier does, for the slot's cache
 * lines to come back from the consumer's CPU. */
const volatile __u8 cfg_stores_ordered = 0;
/* Set by the loader when the verdict programs are loaded: only then are
 * completing ACKs marked for them (acks_seen.h). */
const volatile __u8 cfg_verdicts = 0;
/* --event-rate: SYN and RST events per second per CPU (0 = no limit). */
const volatile __u32 cfg_event_rate = 0;
/* The pending table's hash key (random, from the loader), its time unit
 * and --timeout in that unit (ss_pend_tshift(), ss_pend_live_t()). */
const volatile __u64 cfg_pend_key0 = 0;
const volatile __u64 cfg_pend_key1 = 0;
const volatile __u8 cfg_pend_tshift = 30;
const volatile __u32 cfg_pend_live_t = 10;
/* -w: bytes of each event's packet to copy after it (0 = none). */
const volatile __u32 cfg_snaplen = 0;
/* Set by the loader when the flood maps are wanted (top). */
const volatile __u8 cfg_flood = 0;
/* --cgroup: the subtree's cgroup v2 id and its level (0: no filter). */
const volatile __u64 cfg_cgroup_id = 0;
const volatile __u32 cfg_cgroup_level = 0;

/* Counters, per CPU and interface slot (if_slot), and the token bucket in
 * slot 0: a plain increment is exact, a CPU runs one program at a time
 * (XDP in softirq, tc with bottom halves off). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SS_IF_INDEXES);
	__type(key, __u32);
	__type(value, __u32);
} if_slot SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SS_IF_SLOTS);
	__type(key, __u32);
	__type(value, struct ss_percpu);
} percpu SEC(".maps");

/* Why packets were not TCP segments, per CPU, indexed by enum
 * ss_parse_result (userspace adds them to the counters): a map of its own
 * because the reason is known only at run time, and without CAP_PERFMON
 * the verifier takes a computed index into a map value only as a lookup
 * key. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SS_IF_SLOTS * (SS_PARSE_BAD_TCP + 1));
	__type(key, __u32);
	__type(value, __u64);
} not_tcp SEC(".maps");

/* The event rings (include/synscope.h): the slots, the packets of -w,
 * and each CPU's producer and consumer positions. Sizes set by the loader
 * (ncpus << cfg_ev_slots_log2 slots, ncpus positions; ev_raw: one entry
 * without -w). Mappable: userspace reads them in place. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ss_event_syn);
} ev_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ss_event_raw);
} ev_raw SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ss_ev_pos);
} ev_head SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ss_ev_pos);
} ev_tail SEC(".maps");

/* SYN-ACKs waiting for the ACK that completes them (decide.h). Mappable,
 * so userspace reads it without a system call per set (top's half-open),
 * and page-aligned, so each set is one cache line. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SS_PEND_SETS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ss_pend_set);
} pend SEC(".maps");

/* Its groups' counts of used slots (include/synscope.h). Mappable: the
 * sweep in userspace moves them too. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SS_PEND_OCC);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);   /* an array's mapped elements are 8 bytes apart */
} pend_occ SEC(".maps");

/* Flood view: SYNs per destination address and port. Per-CPU, so the
 * hot target of a flood is counted without contention. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ss_target_key);
	__type(value, struct ss_target_count);
} targets SEC(".maps");

/* Count-min sketch of SYN sources (see sketch.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SS_SKETCH_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
} sketch SEC(".maps");

/* Sources that stood out of the sketch's noise: few, so no thrashing. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct ss_source_key);
	__type(value, __u32);
} heavy_sources SEC(".maps");

/* Written by userspace each interval: which half of the sketch is live. */
volatile __u32 ss_epoch = 0;

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ss_lpm_v4);
	__type(value, __u8);
} hosts_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ss_lpm_v6);
	__type(value, __u8);
} hosts_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SS_OWNED_MAX);
	__type(key, struct ss_owned_key);
	__type(value, __u64);
} owned_ends SEC(".maps");

/* ---- what decide.h asks of this build ---------------------------------------- */

struct ss_decider {
	__u64 *c;
	__u64 key0, key1;
	__u8 tshift;
	__u32 live_t;
	void *ctx;       /* for --cgroup: the skb, the packet's direction */
	__u8 is_skb, dir;
	__u32 ifindex;
	__u32 slot;      /* the interface's counter slot */
	__u32 epoch;     /* the sketch's, read with its total */
};

/* The headers, for decide.h's ss_packet(). */
static __always_inline int ss_d_parse(struct ss_decider *x, struct ss_cursor *c, struct ss_pkt *pkt)
{
	(void)x;
	return ss_parse_eth(c, pkt);
}

/* Not a TCP segment: counted by reason in its own map, per slot (an index
 * computed from the result would be pointer arithmetic on the counters'
 * value, which the verifier follows path by path). */
static __always_inline void ss_d_unparsed(struct ss_decider *x, int res)
{
	__u32 key = x->slot * (SS_PARSE_BAD_TCP + 1) + res;
	__u64 *n = bpf_map_lookup_elem(&not_tcp, &key);

	if (n)
		(*n)++;
}

/* --port and --host (decide.h's ss_match()). */
static __always_inline int ss_d_ports_on(struct ss_decider *x)
{
	(void)x;
	return cfg_nports != 0;
}

static __always_inline int ss_d_port_listed(struct ss_decider *x, __u16 port)
{
	(void)x;
	return ss_port_listed(cfg_ports, cfg_nports, port);
}

static __always_inline int ss_d_hosts_on(struct ss_decider *x)
{
	(void)x;
	return cfg_host_filter;
}

static __always_inline int ss_d_host_listed(struct ss_decider *x, __u8 family, const __u32 *addr)
{
	(void)x;
	if (family == 4) {
		struct ss_lpm_v4 k = { .prefixlen = 32 };

		if (!cfg_host_v4)
			return 0;
		__builtin_memcpy(k.addr, addr, 4);
		return bpf_map_lookup_elem(&hosts_v4, &k) != NULL;
	} else {
		struct ss_lpm_v6 k = { .prefixlen = 128 };

		if (!cfg_host_v6)
			return 0;
		__builtin_memcpy(k.addr, addr, 16);
		return bpf_map_lookup_elem(&hosts_v6, &k) != NULL;
	}
}

static __always_inline void owned_key(struct ss_owned_key *k, __u8 family, const __u32 *addr,
				      __u16 port)
{
	k->family = family;
	k->pad = 0;
	k->port = port;
	if (family == 4) {
		k->addr[0] = addr[0];
		k->addr[1] = k->addr[2] = k->addr[3] = 0;
	} else {
		__builtin_memcpy(k->addr, addr, 16);
	}
}

/* An endpoint of a subtree socket, exact or a wildcard listener's. */
static __always_inline int owned(__u8 family, const __u32 *addr, __u16 port)
{
	struct ss_owned_key k;

	owned_key(&k, family, addr, port);
	if (bpf_map_lookup_elem(&owned_ends, &k))
		return 1;
	__builtin_memset(k.addr, 0, sizeof(k.addr));
	return bpf_map_lookup_elem(&owned_ends, &k) != NULL;
}

/*
 * --cgroup, for SYNs, SYN-ACKs and RSTs: does a socket of the subtree send
 * or receive it? On egress the packet has its socket: the cgroup helper
 * says, exactly (a SYN-ACK's request socket counts as its listener), and
 * the source joins owned_ends so the reply is known on ingress. Else
 * owned_ends: the sender on egress (a SYN-ACK with a cookie has no socket)
 * and the receiver on ingress or on lo, where both ends are local.
 */
static __always_inline int ss_d_owner(struct ss_decider *x, const struct ss_pkt *pkt)
{
	if (!cfg_cgroup_id)
		return 1;
	if (x->dir == SS_DIR_OUT) {
		if (x->is_skb) {
			struct __sk_buff *skb = x->ctx;

			if (skb->sk && bpf_skb_ancestor_cgroup_id(skb, cfg_cgroup_level) == cfg_cgroup_id) {
				struct ss_owned_key k;
				__u64 now = bpf_ktime_get_ns();

				owned_key(&k, pkt->family, pkt->saddr, pkt->sport);
				bpf_map_update_elem(&owned_ends, &k, &now, BPF_ANY);
				return 1;
			}
		}
		if (owned(pkt->family, pkt->saddr, pkt->sport))
			return 1;
		if (x->ifindex != 1)      /* LOOPBACK_IFINDEX: lo's receiver is local too */
			return 0;
	}
	return owned(pkt->family, pkt->daddr, pkt->dport);
}

/* top's flood maps (decide.h's ss_flood_count()). */
static __always_inline int ss_d_flood(struct ss_decider *x)
{
	(void)x;
	return cfg_flood;
}

/* Into the epoch ss_d_sketch_total() read. */
static __always_inline void ss_d_target_add(struct ss_decider *x, const struct ss_target_key *k)
{
	struct ss_target_count one = {}, *v;

	v = bpf_map_lookup_elem(&targets, k);
	if (v) {
		v->syn[x->epoch & 1]++;
	} else {
		one.syn[x->epoch & 1] = 1;
		bpf_map_update_elem(&targets, k, &one, BPF_NOEXIST);
	}
}

/* The epoch is read once per SYN, with its total: userspace flips it. */
static __always_inline __u32 *ss_d_sketch_total(struct ss_decider *x)
{
	__u32 slot;

	x->epoch = ss_epoch & 1;
	slot = SS_SKETCH_TOTAL_SLOT(x->epoch);
	return bpf_map_lookup_elem(&sketch, &slot);
}

static __always_inline __u32 *ss_d_sketch_cell(struct ss_decider *x, __u32 row, __u32 col)
{
	__u32 slot = ss_sketch_slot(x->epoch, row, col);

	return bpf_map_lookup_elem(&sketch, &slot);
}

static __always_inline void ss_d_heavy_put(struct ss_decider *x, const struct ss_source_key *k,
					   __u32 est)
{
	(void)x;
	bpf_map_update_elem(&heavy_sources, k, &est, BPF_ANY);
}

static __always_inline __u64 ss_d_clock(struct ss_decider *x)
{
	(void)x;
	return bpf_ktime_get_ns();
}

static __always_inline struct ss_pend_set *ss_d_pend_set(struct ss_decider *x, __u32 index)
{
	(void)x;
	return bpf_map_lookup_elem(&pend, &index);
}

static __always_inline __u64 *ss_d_pend_occ(struct ss_decider *x, __u32 group)
{
	(void)x;
	return bpf_map_lookup_elem(&pend_occ, &group);
}

#include "acks_seen.h"
#include "decide.h"

/* ---- events ------------------------------------------------------------------ */

#define SS_NTOKEN 1000000000ull

/* --event-rate: may a SYN or RST event be written now? The bucket runs on
 * the coarse monotonic clock (a tick's resolution, the same rate on
 * average): a few ns where bpf_ktime_get_ns() costs tens. */
static __always_inline int take_token(struct ss_percpu *b)
{
	__u64 cap = (__u64)cfg_event_rate * SS_NTOKEN, now;

	now = bpf_ktime_get_coarse_ns();
	if (now - b->last_ns >= SS_NTOKEN)
		b->ntokens = cap;
	else
		b->ntokens += (now - b->last_ns) * cfg_event_rate;
	if (b->ntokens > cap)
		b->ntokens = cap;
	b->last_ns = now;
	if (b->ntokens < SS_NTOKEN)
		return 0;
	b->ntokens -= SS_NTOKEN;
	return 1;
}

/* Copy len (1..SS_SNAP_MAX or ..40) packet bytes at off into dst. */
static __always_inline long load_bytes(void *ctx, int is_skb, __u32 off, void *dst, __u32 len)
{
	return is_skb ? bpf_skb_load_bytes(ctx, off, dst, len)
		      : bpf_xdp_load_bytes(ctx, off, dst, len);
}

/*
 * The option bytes of a SYN or SYN-ACK into dst; their count, 0 when they
 * could not be read. The common layouts put the TCP header at a constant
 * offset: there the options are read in place, a word at a time, each
 * word's bound checked (the packet's end may come before the 40 bytes).
 * Elsewhere, a load helper.
 */
static __always_inline __u32 copy_options(void *ctx, int is_skb, const __u8 *data,
					  const __u8 *data_end, const struct ss_pkt *pkt, __u8 *dst)
{
	__u32 olen = pkt->doff - sizeof(struct ss_hdr_tcp), i;
	const __u8 *p;

	if (olen == 0 || olen > SS_OPT_RAW_SIZE)
		return 0;
	p = data;
	switch (pkt->tcp_off) {
	case 14 + 20: SS_PTR_ADD(p, 14 + 20 + 20); break;       /* IPv4 */
	case 18 + 20: SS_PTR_ADD(p, 18 + 20 + 20); break;       /* 802.1Q, IPv4 */
	case 14 + 40: SS_PTR_ADD(p, 14 + 40 + 20); break;       /* IPv6 */
	case 18 + 40: SS_PTR_ADD(p, 18 + 40 + 20); break;       /* 802.1Q, IPv6 */
	default: goto helper;
	}
#pragma unroll
	for (i = 0; i < SS_OPT_RAW_SIZE / 4; i++) {
		__u32 v;

		if (i * 4 >= olen)
			return olen;
		if (p + i * 4 + 4 > data_end)
			goto helper;
		v = *(const __u32 *)(p + i * 4);
		__builtin_memcpy(dst + i * 4, &v, 4);
	}
	return olen;
helper:
	return load_bytes(ctx, is_skb, pkt->tcp_off + sizeof(struct ss_hdr_tcp), dst, olen) ? 0 : olen;
}

/* Count an event that was not written, by kind (a constant on each of
 * the verifier's paths: the kind comes from decide.h's switch). */
static __always_inline void count_unwritten(struct ss_percpu *pc, int kind, int lost)
{
	if (lost) {
		ss_inc(&pc->c[SS_C_LOST]);
		switch (kind) {
		case SS_EV_SYN: ss_inc(&pc->c[SS_C_LOST_SYN]); break;
		case SS_EV_SYNACK: ss_inc(&pc->c[SS_C_LOST_SYNACK]); break;
		case SS_EV_ACK: ss_inc(&pc->c[SS_C_LOST_ACK]); break;
		default: ss_inc(&pc->c[SS_C_LOST_RST]); break;
		}
	} else {
		ss_inc(&pc->c[SS_C_SHED]);
		if (kind == SS_EV_SYN)
			ss_inc(&pc->c[SS_C_SHED_SYN]);
		else
			ss_inc(&pc->c[SS_C_SHED_RST]);
	}
}

/* Shed a SYN or RST event? When the consumer has fallen behind (used:
 * the events of this CPU's ring it has not read), or past --event-rate. */
static __always_inline int shed(__u64 used)
{
	__u32 zero = 0;
	/* the token bucket is slot 0's: --event-rate is for all interfaces */
	struct ss_percpu *tb;

	if (cfg_shed_slots && used > cfg_shed_slots)
		return 1;
	if (!cfg_event_rate)
		return 0;
	tb = bpf_map_lookup_elem(&percpu, &zero);
	return !tb || !take_token(tb);
}

/*
 * Write the event into this CPU's ring (include/synscope.h). A SYN or
 * SYN-ACK also carries what a fingerprint needs and its option bytes,
 * copied as they are: their walk is userspace's. Its stamp is `now`, or,
 * when 0, a clock read once the event has its slot (a shed or lost one
 * needs none). The packet pointers are read again from the context: the
 * parse's ranges, carried here, would have the verifier walk every parse
 * path through this function once more.
 */
static __always_inline int emit(void *ctx, int is_skb, __u32 pkt_len, __u32 ifindex,
				const struct ss_pkt *pkt, struct ss_percpu *pc, __u32 kind_dir,
				__u64 now)
{
	int kind = kind_dir & 0xff, dir = kind_dir >> 8;
	__u32 cpu = bpf_get_smp_processor_id(), idx;
	struct ss_ev_pos *head, *tail;
	struct ss_event_syn *s;
	const __u8 *data, *data_end;
	__u64 h, used;

	if (cfg_verdicts && kind == SS_EV_ACK)
		ss_acks_seen_mark(pkt->seq, pkt->ack);
	head = bpf_map_lookup_elem(&ev_head, &cpu);
	if (!head)
		return 0;
	h = head->pos;
	/* The ring is at most this full (the tail only grows). The consumer's
	 * line is read again only when that could shed or lose the event:
	 * about once per half ring, not once per event. */
	used = h - head->tail_seen;
	if (used > (cfg_shed_slots ? cfg_shed_slots : (1u << cfg_ev_slots_log2) - 1)) {
		tail = bpf_map_lookup_elem(&ev_tail, &cpu);
		if (!tail)
			return 0;
		head->tail_seen = *(volatile __u64 *)&tail->pos;
		used = h - head->tail_seen;
	}
	if ((kind == SS_EV_SYN || kind == SS_EV_RST) && shed(used)) {
		count_unwritten(pc, kind, 0);
		return 0;
	}
	idx = cpu << cfg_ev_slots_log2 | ((__u32)h & ((1u << cfg_ev_slots_log2) - 1));
	s = used < (1u << cfg_ev_slots_log2) ? bpf_map_lookup_elem(&ev_ring, &idx) : NULL;
	if (!s) {
		count_unwritten(pc, kind, 1);
		return 0;
	}
	s->e.ts_ns = now ? now : bpf_ktime_get_ns();
	s->e.ifindex = ifindex;
	s->e.kind = kind;
	s->e.dir = dir;
	ss_fill_event(&s->e, pkt);
	if (kind == SS_EV_SYN || kind == SS_EV_SYNACK) {
		if (is_skb) {
			struct __sk_buff *skb = ctx;

			data = (void *)(long)skb->data;
			data_end = (void *)(long)skb->data_end;
		} else {
			struct xdp_md *xdp = ctx;

			data = (void *)(long)xdp->data;
			data_end = (void *)(long)xdp->data_end;
		}
		ss_fill_event_syn(s, pkt);
		s->cgroup_id = is_skb && dir == SS_DIR_OUT ? bpf_skb_cgroup_id(ctx) : 0;
		s->opt_len = copy_options(ctx, is_skb, data, data_end, pkt, s->opts);
	}
	if (cfg_snaplen) {
		struct ss_event_raw *r = bpf_map_lookup_elem(&ev_raw, &idx);
		/* n 64-bit, so its bound check is the register the helper
		 * gets. */
		__u64 n = pkt_len < cfg_snaplen ? pkt_len : cfg_snaplen;

		if (r) {
			if (n > SS_SNAP_MAX)
				n = SS_SNAP_MAX;
			r->wire_len = pkt_len;
			if (n == 0 || load_bytes(ctx, is_skb, 0, r->data, n))
				n = 0;
			r->caplen = n;
		}
	}
	/* Publish: the slot is written before the consumer can see its
	 * position move. The compiler barrier keeps the slot's stores first;
	 * ordered stores (x86) keep them first on the CPU; elsewhere the
	 * atomic add's full barrier does. */
	if (cfg_stores_ordered) {
		asm volatile("" ::: "memory");
		*(volatile __u64 *)&head->pos = h + 1;
	} else {
		/* The fetch form, its result kept: only it is fully ordered in
		 * every JIT (arm64's plain atomic add is relaxed). */
		__u64 old = __sync_fetch_and_add(&head->pos, 1);

		asm volatile("" : : "r"(old));
	}
	ss_inc(&pc->c[SS_C_EVENTS]);
	return 0;
}

static __always_inline void handle(void *ctx, const void *data, const void *data_end,
				   __u32 is_skb, __u32 len, __u32 ifindex, __u8 dir)
{
	struct ss_cursor c = { .ctx = ctx, .data = data, .data_end = data_end,
			       .src = is_skb ? SS_SRC_SKB : SS_SRC_XDP, .len = len, .off = 0 };
	struct ss_decider x;
	struct ss_percpu *pc;
	__u32 slot, idx, *sp;
	/* Not zeroed: without CAP_PERFMON the verifier rejects any read of
	 * stack bytes not written first, but every path writes all it reads
	 * (the parser every field of pkt it returns SS_PARSE_TCP for). */
	struct ss_pkt pkt;
	__u64 now = 0;
	int kind;

	/* One path on: a NULL check that returns (the masked index is always
	 * in the array) and no branch on the slot, which would double the
	 * verifier's states past its limit without CAP_PERFMON. An ifindex
	 * past the array shares the slot of its low bits: userspace gives
	 * slots below SS_IF_INDEXES only, so it is "other". */
	idx = ifindex & (SS_IF_INDEXES - 1);
	sp = bpf_map_lookup_elem(&if_slot, &idx);
	if (!sp)
		return;
	slot = *sp & (SS_IF_SLOTS - 1);
	pc = bpf_map_lookup_elem(&percpu, &slot);
	if (!pc)
		return;
	/* Keep pkt in memory: clang would otherwise hold each field in a
	 * register and, from every return of the parser, carry the zeros
	 * (stores of each field on each path out of it). Before the
	 * decider's fields are set, which clang then keeps in registers. */
	asm volatile("" : : "r"(&pkt) : "memory");
	x.c = pc->c;
	x.key0 = cfg_pend_key0;
	x.key1 = cfg_pend_key1;
	x.tshift = cfg_pend_tshift;
	x.live_t = cfg_pend_live_t;
	x.ctx = ctx;
	x.is_skb = is_skb;
	x.dir = dir;
	x.ifindex = ifindex;
	x.slot = slot;
	kind = ss_packet(&x, &c, &pkt, &now);
	if (kind)
		emit(ctx, is_skb, cfg_snaplen ? ss_len(&c) : 0, ifindex, &pkt, pc, kind | dir << 8, now);
}

/* The length is 0, "ask when needed" (ss_len() in parse.h): the common
 * layouts never do. */
SEC("xdp")
int ss_xdp_ingress(struct xdp_md *ctx)
{
	handle(ctx, (void *)(long)ctx->data, (void *)(long)ctx->data_end, 0, 0,
	       ctx->ingress_ifindex, SS_DIR_IN);
	return XDP_PASS;
}

SEC("tc")
int ss_tc_ingress(struct __sk_buff *skb)
{
	handle(skb, (void *)(long)skb->data, (void *)(long)skb->data_end, 1, skb->len,
	       skb->ifindex, SS_DIR_IN);
	return SS_TC_NEUTRAL;
}

SEC("tc")
int ss_tc_egress(struct __sk_buff *skb)
{
	handle(skb, (void *)(long)skb->data, (void *)(long)skb->data_end, 1, skb->len,
	       skb->ifindex, SS_DIR_OUT);
	return SS_TC_NEUTRAL;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
