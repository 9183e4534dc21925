// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * synscope kernel programs: XDP on ingress, tc (tcx or clsact) on ingress
 * and egress. They parse each packet, count it, and write only handshake
 * packets to the ring buffer. They never change a packet's fate: XDP
 * returns XDP_PASS, tc returns TC_ACT_UNSPEC (-1, which tcx calls
 * TCX_NEXT) so programs after ours still run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
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
/* Wake the consumer only once this much is queued; it also polls on a
 * short timeout, so a lone event waits at most one poll period. */
const volatile __u32 cfg_wakeup_bytes = 0;
/* Events per second per CPU before SYN and RST events are sampled out
 * (0 = no limit). SYN-ACK and completing-ACK events keep priority: they
 * may use the whole bucket, SYN and RST only what lies above a quarter. */
const volatile __u32 cfg_event_rate = 0;

/* One slot per counter (enum ss_counter). A slot per index, not one
 * struct, because the verifier inlines the lookup itself: indexing a
 * struct by a computed counter number is pointer arithmetic it refuses
 * without CAP_PERFMON when paths disagree on the index. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SS_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Per-CPU, so a plain increment is exact: a CPU runs one program at a
 * time (XDP in softirq, tc with bottom halves off). */
static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

/* Where the option walk runs: the summary, the option bytes it reads
 * (ss_load_opts() in parse.h) and the walk's position, in a map value.
 * There the verifier does not follow the position from one bpf_loop step
 * to the next; on the stack it would, and check the walk once per offset.
 * The pad puts o.raw on an eight-byte boundary (a map value starts on
 * one): ss_load_opts() loads it in aligned words. */
struct ss_opts_scratch {
	__u32 pad;
	struct ss_opts o;
	struct ss_opt_walk w;
};

_Static_assert((__builtin_offsetof(struct ss_opts_scratch, o) +
		__builtin_offsetof(struct ss_opts, raw)) % 8 == 0, "o.raw eight-aligned");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ss_opts_scratch);
} opts_scratch SEC(".maps");

/* Token bucket in nano-tokens (one event costs 1e9), refilled at
 * cfg_event_rate per second, holding at most one second's worth. */
struct ss_bucket {
	__u64 ntokens;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ss_bucket);
} bucket SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/* SYN-ACKs waiting for the ACK that completes them, keyed by that ACK's
 * flow. LRU: a flood of unanswered SYN-ACKs evicts the oldest, never
 * blocks a new one. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ss_flow_key);
	__type(value, struct ss_pending);
} pending SEC(".maps");

/*
 * Which flows may have an entry in `pending`, so that an ACK, the packet
 * of every established flow, looks `pending` up only when it may complete
 * a handshake: the lookup hashes a 40-byte key (a third of what an ACK
 * cost), this check is two array loads.
 *
 * A byte per hash slot of the ACK's flow. A SYN-ACK stamps its flow's slot
 * with its epoch, now >> cfg_pend_shift, and publishes that epoch in
 * pend_epoch (when it changed). The loader sets the shift so that an epoch
 * is at least --timeout long: an ACK later than that after the flow's last
 * SYN-ACK is one the handshake engine would no longer pair anyway.
 *
 * An ACK looks `pending` up when its slot's stamp s is within [G-2, G+1] of
 * the published epoch G. Why that suffices, for an ACK at most one epoch
 * after its SYN-ACK stamped e: G is the epoch of a clock read by some SYN-ACK
 * during a program run that wrote G; such writes race only within one
 * run, so G >= e - 1 and G <= e + 1. The stamp may since have been
 * overwritten by another flow on the same slot, whose clock read can be
 * older than ours by a run's length: s >= e - 1. So s - G lies in [-2, 1].
 *
 * Stale stamps cost only the lookup every ACK did before; nothing is
 * missed, no timer or walk is needed, and every write is a plain store
 * (no read-modify-write of shared bytes). Under a flood of SYN-ACKs the
 * slots fill with stamps for up to four epochs and ACKs do the lookup.
 */
#define SS_PEND_SLOTS_LOG2 20                   /* 1 MiB of stamps */
#define SS_PEND_WORDS (1u << (SS_PEND_SLOTS_LOG2 - 3))

/* ceil(log2(--timeout in ns)), set by the loader; 2^34 ns = 17 s covers
 * the default 10 s. */
const volatile __u8 cfg_pend_shift = 34;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SS_PEND_WORDS);
	__type(key, __u32);
	__type(value, __u64);   /* eight slots: a byte each, epoch mod 256 */
} pend_stamps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);   /* the epoch a SYN-ACK published last */
} pend_epoch SEC(".maps");

/* Flood view: SYNs per destination address and port. Per-CPU, so the
 * hot target of a flood is counted without contention. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ss_target_key);
	__type(value, __u64);
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
/* Set by the loader when the flood maps are wanted (top). */
const volatile __u8 cfg_flood = 0;

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

static __always_inline int host_listed(const struct ss_pkt *pkt, const __u32 *addr)
{
	if (pkt->family == 4) {
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

/* --port and --host: a segment matches when either end is listed. */
static __always_inline int filter_match(const struct ss_pkt *pkt)
{
	if (cfg_nports && !ss_port_listed(cfg_ports, cfg_nports, pkt->sport) &&
	    !ss_port_listed(cfg_ports, cfg_nports, pkt->dport))
		return 0;
	if (cfg_host_filter && !host_listed(pkt, pkt->saddr) &&
	    !host_listed(pkt, pkt->daddr))
		return 0;
	return 1;
}

#define SS_NTOKEN 1000000000ull

/* May an event of this kind be written now? The bucket runs on the coarse
 * monotonic clock (a tick's resolution, the same rate on average): a few
 * ns where bpf_ktime_get_ns() costs tens, and in a SYN flood nearly every
 * SYN is decided here and needs no other clock. */
static __always_inline int take_token(__u8 kind)
{
	__u64 cap = (__u64)cfg_event_rate * SS_NTOKEN, floor, now;
	struct ss_bucket *b;
	__u32 zero = 0;

	if (!cfg_event_rate)
		return 1;
	b = bpf_map_lookup_elem(&bucket, &zero);
	if (!b)
		return 1;
	now = bpf_ktime_get_coarse_ns();
	if (now - b->last_ns >= SS_NTOKEN)
		b->ntokens = cap;
	else
		b->ntokens += (now - b->last_ns) * cfg_event_rate;
	if (b->ntokens > cap)
		b->ntokens = cap;
	b->last_ns = now;
	floor = (kind == SS_EV_SYN || kind == SS_EV_RST) ? cap / 4 : 0;
	if (b->ntokens < floor + SS_NTOKEN)
		return 0;
	b->ntokens -= SS_NTOKEN;
	return 1;
}

/* The walk's bpf_loop context: the cursor on the option bytes, and the
 * scratch value (the summary, the walk's position). */
struct opt_walk_ctx {
	struct ss_cursor c;
	struct ss_opts_scratch *s;
};

static long opt_step_cb(__u64 i __attribute__((unused)), void *ctx)
{
	const struct opt_walk_ctx *wc = ctx;

	return ss_opt_step(&wc->c, &wc->s->o, &wc->s->w);
}

/*
 * The walk of the option bytes copied to s->o.raw, as bpf_loop steps: the
 * verifier checks one step, not forty. A subprogram of its own so that its
 * stack frame (which holds the cursor's pointers) is not reused by the
 * caller: without CAP_PERFMON the verifier rejects a partial overwrite of
 * a slot that held a pointer.
 */
static __noinline int walk_options(struct ss_opts_scratch *s)
{
	struct opt_walk_ctx wc = {
		.c = { .ctx = NULL, .data = (const __u8 *)&s->o, .data_end = NULL,
		       .src = SS_SRC_OPTS, .len = s->o.raw_len, .off = 0 },
		.s = s,
	};

	s->w.len = s->o.raw_len;
	s->w.off = 0;
	bpf_loop(SS_TCP_OPT_MAX_BYTES, opt_step_cb, &wc, 0);
	return 0;
}

/* The event's stamp is `now`, or, when 0, a clock read once the event
 * has its place in the ring (a sampled-out or lost one needs none). */
static __always_inline void emit(const struct ss_pkt *pkt, const struct ss_cursor *c,
				 __u32 ifindex, __u8 dir, __u8 kind, __u64 now)
{
	struct ss_opts_scratch *s = NULL;
	struct ss_event *e;
	__u64 flags = 0;
	__u32 zero = 0;

	if (!take_token(kind)) {
		count(SS_C_SAMPLED_OUT);
		return;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SS_C_LOST);
		return;
	}
	e->ts_ns = now ? now : bpf_ktime_get_ns();
	e->ifindex = ifindex;
	e->dir = dir;
	e->kind = kind;
	ss_fill_event(e, pkt);
	if (kind == SS_EV_SYN || kind == SS_EV_SYNACK)
		s = bpf_map_lookup_elem(&opts_scratch, &zero);
	if (s) {
		ss_copy_tcp_opts(c, pkt, &s->o);
		walk_options(s);
		if (s->o.present & SS_OPT_MALFORMED)
			count(SS_C_BAD_TCP_OPT);
		__builtin_memcpy(&e->opts, &s->o, sizeof(e->opts));
	} else {
		__builtin_memset(&e->opts, 0, sizeof(e->opts));
	}
	if (cfg_wakeup_bytes) {
		/* Wake the consumer only for the record that crosses the mark
		 * (AVAIL_DATA already counts this one, header included): a
		 * forced wakeup costs microseconds, so not one per event while
		 * the ring stays above it. The consumer also drains on its poll
		 * timeout, so a missed crossing only delays. */
		__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
		__u64 rec = sizeof(*e) + 8; /* BPF_RINGBUF_HDR_SZ */

		flags = avail >= cfg_wakeup_bytes && avail - rec < cfg_wakeup_bytes ?
			BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	}
	bpf_ringbuf_submit(e, flags);
	count(SS_C_EVENTS);
}

static __always_inline void count_target(const struct ss_pkt *pkt)
{
	struct ss_target_key k = { .port = pkt->dport, .family = pkt->family };
	__u64 one = 1, *v;

	__builtin_memcpy(k.addr, pkt->daddr, 16);
	v = bpf_map_lookup_elem(&targets, &k);
	if (v)
		(*v)++;
	else
		bpf_map_update_elem(&targets, &k, &one, BPF_NOEXIST);
}

static __always_inline void count_source(const struct ss_pkt *pkt)
{
	__u32 epoch = ss_epoch & 1, slot, row, est = ~0u, *c, *total;
	struct ss_source_key k = { .family = pkt->family };

	slot = SS_SKETCH_TOTAL_SLOT(epoch);
	total = bpf_map_lookup_elem(&sketch, &slot);
	if (!total)
		return;
	(*total)++;
	for (row = 0; row < SS_SKETCH_ROWS; row++) {
		slot = ss_sketch_slot(epoch, row, ss_sketch_col(pkt->saddr, row));
		c = bpf_map_lookup_elem(&sketch, &slot);
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
	 * costs a hash update only log2(rate) times per interval. */
	if (est & (est - 1))
		return;
	__builtin_memcpy(k.addr, pkt->saddr, 16);
	bpf_map_update_elem(&heavy_sources, &k, &est, BPF_ANY);
}

static __always_inline void flow_key(struct ss_flow_key *k, const __u32 *saddr,
				     const __u32 *daddr, __u16 sport, __u16 dport,
				     __u8 family)
{
	__builtin_memcpy(k->saddr, saddr, 16);
	__builtin_memcpy(k->daddr, daddr, 16);
	k->sport = sport;
	k->dport = dport;
	k->family = family;
	k->pad[0] = k->pad[1] = k->pad[2] = 0;
}

/* The stamp slot of a flow (as a pending key: the ACK's direction). */
static __always_inline __u32 pend_slot(const __u32 *saddr, const __u32 *daddr, __u16 sport,
				       __u16 dport, __u8 family)
{
	__u64 x = ((((__u64)saddr[0] << 32) | saddr[1]) * 0x9e3779b97f4a7c15ull) ^
		  ((((__u64)saddr[2] << 32) | saddr[3]) * 0xc2b2ae3d27d4eb4full) ^
		  ((((__u64)daddr[0] << 32) | daddr[1]) * 0x165667b19e3779f9ull) ^
		  ((((__u64)daddr[2] << 32) | daddr[3]) * 0xd6e8feb86659fd93ull) ^
		  ((((__u64)sport << 24) | ((__u64)dport << 8) | family) * 0xff51afd7ed558ccdull);

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return (__u32)(x >> (64 - SS_PEND_SLOTS_LOG2));
}

/* May the flow whose slot this is have an entry in `pending`? */
static __always_inline int pend_maybe(__u32 slot)
{
	__u32 word = slot >> 3, zero = 0;
	__u32 *g = bpf_map_lookup_elem(&pend_epoch, &zero);
	__u64 *w = bpf_map_lookup_elem(&pend_stamps, &word);
	__u8 s;

	if (!g || !w)
		return 1;
	s = *w >> ((slot & 7) * 8);
	return (__u8)(s - (__u8)*g + 2) <= 3;   /* s - G in [-2, 1], mod 256 */
}

/* Before a SYN-ACK's insert (an ACK that finds the stamp old finds no
 * entry either): stamp its flow's slot with its epoch, and publish that
 * epoch. The byte is stored at a fixed offset on each path: a variable
 * index into a map value makes the verifier, without CAP_PERFMON, compare
 * states exactly (see parse.h). */
static __always_inline void pend_stamp(__u32 slot, __u64 now)
{
	__u32 word = slot >> 3, zero = 0, epoch = now >> cfg_pend_shift;
	__u8 *w = bpf_map_lookup_elem(&pend_stamps, &word);
	__u32 *g = bpf_map_lookup_elem(&pend_epoch, &zero);
	__u8 stamp = epoch;

	if (g && *g != epoch)
		*g = epoch;     /* written only when it changes: no shared line
				 * dirtied per SYN-ACK */
	if (!w)
		return;
	switch (slot & 7) {
	case 0: w[0] = stamp; break;
	case 1: w[1] = stamp; break;
	case 2: w[2] = stamp; break;
	case 3: w[3] = stamp; break;
	case 4: w[4] = stamp; break;
	case 5: w[5] = stamp; break;
	case 6: w[6] = stamp; break;
	default: w[7] = stamp; break;
	}
}

static __always_inline void handle(void *ctx, const void *data, const void *data_end,
				   __u32 is_skb, __u32 len, __u32 ifindex, __u8 dir)
{
	struct ss_cursor c = { .ctx = ctx, .data = data, .data_end = data_end,
			       .src = is_skb ? SS_SRC_SKB : SS_SRC_XDP, .len = len, .off = 0 };
	/* Not zeroed: without CAP_PERFMON the verifier rejects any read of
	 * stack bytes not written first, but every path writes all it reads
	 * (the parser every field of pkt it returns SS_PARSE_TCP for,
	 * flow_key() the key's padding too). */
	struct ss_flow_key key;
	struct ss_pending *pend;
	struct ss_pkt pkt;
	int res, kind;

	count(SS_C_PACKETS);

	/* Keep pkt in memory: clang would otherwise hold each field in a
	 * register and, from every return of the parser, carry the zeros
	 * (stores of each field on each path out of it). */
	asm volatile("" : : "r"(&pkt) : "memory");
	res = ss_parse_eth(&c, &pkt);
	if (res != SS_PARSE_TCP) {
		count(ss_parse_counter(res));
		return;
	}
	count(SS_C_TCP);
	if (!filter_match(&pkt)) {
		count(SS_C_FILTERED);
		return;
	}

	kind = ss_classify(pkt.tcp_flags);
	switch (kind) {
	case SS_EV_SYN:
		count(SS_C_SYN);
		if (cfg_flood) {
			count_target(&pkt);
			count_source(&pkt);
		}
		emit(&pkt, &c, ifindex, dir, kind, 0);
		break;
	case SS_EV_SYNACK: {
		__u64 now = bpf_ktime_get_ns();
		struct ss_pending p = { .expect_ack = pkt.seq + 1, .ts_ns = now };

		count(SS_C_SYNACK);
		/* The completing ACK flows the other way: client to server. */
		flow_key(&key, pkt.daddr, pkt.saddr, pkt.dport, pkt.sport, pkt.family);
		pend_stamp(pend_slot(pkt.daddr, pkt.saddr, pkt.dport, pkt.sport, pkt.family), now);
		bpf_map_update_elem(&pending, &key, &p, BPF_ANY);
		emit(&pkt, &c, ifindex, dir, kind, now);
		break;
	}
	case SS_EV_RST:
		count(SS_C_RST);
		/* A reset handshake will never complete: forget it either way. */
		if (pend_maybe(pend_slot(pkt.saddr, pkt.daddr, pkt.sport, pkt.dport, pkt.family))) {
			flow_key(&key, pkt.saddr, pkt.daddr, pkt.sport, pkt.dport, pkt.family);
			bpf_map_delete_elem(&pending, &key);
		}
		if (pend_maybe(pend_slot(pkt.daddr, pkt.saddr, pkt.dport, pkt.sport, pkt.family))) {
			flow_key(&key, pkt.daddr, pkt.saddr, pkt.dport, pkt.sport, pkt.family);
			bpf_map_delete_elem(&pending, &key);
		}
		emit(&pkt, &c, ifindex, dir, kind, 0);
		break;
	case SS_EV_FIN:
		count(SS_C_FIN);
		break;
	case SS_EV_ACK:
		if (!pend_maybe(pend_slot(pkt.saddr, pkt.daddr, pkt.sport, pkt.dport, pkt.family)))
			break;
		flow_key(&key, pkt.saddr, pkt.daddr, pkt.sport, pkt.dport, pkt.family);
		pend = bpf_map_lookup_elem(&pending, &key);
		if (!pend || pend->expect_ack != pkt.ack)
			break;
		bpf_map_delete_elem(&pending, &key);
		count(SS_C_ACK_COMPLETE);
		emit(&pkt, &c, ifindex, dir, kind, 0);
		break;
	}
}

SEC("xdp")
int ss_xdp_ingress(struct xdp_md *ctx)
{
	handle(ctx, (void *)(long)ctx->data, (void *)(long)ctx->data_end, 0,
	       bpf_xdp_get_buff_len(ctx), ctx->ingress_ifindex, SS_DIR_IN);
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
