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

/* Where the option walk runs: a map value may be indexed by a variable
 * without CAP_PERFMON, the stack and ring buffer memory may not. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ss_opts);
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

/* May an event of this kind be written now (monotonic ns)? */
static __always_inline int take_token(__u8 kind, __u64 now)
{
	__u64 cap = (__u64)cfg_event_rate * SS_NTOKEN, floor;
	struct ss_bucket *b;
	__u32 zero = 0;

	if (!cfg_event_rate)
		return 1;
	b = bpf_map_lookup_elem(&bucket, &zero);
	if (!b)
		return 1;
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

struct opt_walk_ctx {
	struct ss_cursor c;
	struct ss_opt_walk w;
};

static long opt_step_cb(__u64 i __attribute__((unused)), void *ctx)
{
	struct opt_walk_ctx *wc = ctx;
	struct ss_opts *o;
	__u32 zero = 0;

	o = bpf_map_lookup_elem(&opts_scratch, &zero);
	return o ? ss_opt_step(&wc->c, o, &wc->w) : 1;
}

/*
 * The option walk, as bpf_loop steps: the verifier checks one step, not
 * forty. A subprogram of its own so that its stack frame (which holds the
 * context pointer) is not reused by the caller: without CAP_PERFMON the
 * verifier rejects a partial overwrite of a slot that held a pointer.
 */
static __noinline int walk_options(void *ctx, __u32 is_skb, __u32 len, __u32 base, __u32 optlen)
{
	struct opt_walk_ctx wc = {
		.c = { .ctx = ctx, .is_skb = is_skb, .len = len, .off = 0 },
		.w = { .base = base, .len = optlen, .off = 0 },
	};

	bpf_loop(SS_TCP_OPT_MAX_BYTES, opt_step_cb, &wc, 0);
	return 0;
}

/* One clock read per event (`now`), shared by the bucket and the stamp. */
static __always_inline void emit(const struct ss_pkt *pkt, const struct ss_cursor *c,
				 __u32 ifindex, __u8 dir, __u8 kind, __u64 now)
{
	struct ss_opts *o = NULL;
	struct ss_event *e;
	__u64 flags = 0;
	__u32 zero = 0;

	if (!take_token(kind, now)) {
		count(SS_C_SAMPLED_OUT);
		return;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SS_C_LOST);
		return;
	}
	e->ts_ns = now;
	e->ifindex = ifindex;
	e->dir = dir;
	e->kind = kind;
	ss_fill_event(e, pkt);
	if (kind == SS_EV_SYN || kind == SS_EV_SYNACK)
		o = bpf_map_lookup_elem(&opts_scratch, &zero);
	if (o) {
		struct ss_opt_walk w;

		ss_copy_tcp_opts(c, pkt, o);
		ss_opt_walk_init(&w, pkt);
		walk_options(c->ctx, c->is_skb, c->len, w.base, w.len);
		if (o->present & SS_OPT_MALFORMED)
			count(SS_C_BAD_TCP_OPT);
		__builtin_memcpy(&e->opts, o, sizeof(e->opts));
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

static __always_inline void handle(void *ctx, __u32 is_skb, __u32 len, __u32 ifindex, __u8 dir)
{
	struct ss_cursor c = { .ctx = ctx, .is_skb = is_skb, .len = len, .off = 0 };
	/* Zeroed: without CAP_PERFMON the verifier rejects any read of stack
	 * bytes not written first, padding and untaken paths included. */
	struct ss_flow_key key = {};
	struct ss_pending *pend;
	struct ss_pkt pkt = {};
	int res, kind;

	count(SS_C_PACKETS);

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
		emit(&pkt, &c, ifindex, dir, kind, bpf_ktime_get_ns());
		break;
	case SS_EV_SYNACK: {
		__u64 now = bpf_ktime_get_ns();
		struct ss_pending p = { .expect_ack = pkt.seq + 1, .ts_ns = now };

		count(SS_C_SYNACK);
		/* The completing ACK flows the other way: client to server. */
		flow_key(&key, pkt.daddr, pkt.saddr, pkt.dport, pkt.sport, pkt.family);
		bpf_map_update_elem(&pending, &key, &p, BPF_ANY);
		emit(&pkt, &c, ifindex, dir, kind, now);
		break;
	}
	case SS_EV_RST:
		count(SS_C_RST);
		/* A reset handshake will never complete: forget it either way. */
		flow_key(&key, pkt.saddr, pkt.daddr, pkt.sport, pkt.dport, pkt.family);
		bpf_map_delete_elem(&pending, &key);
		flow_key(&key, pkt.daddr, pkt.saddr, pkt.dport, pkt.sport, pkt.family);
		bpf_map_delete_elem(&pending, &key);
		emit(&pkt, &c, ifindex, dir, kind, bpf_ktime_get_ns());
		break;
	case SS_EV_FIN:
		count(SS_C_FIN);
		break;
	case SS_EV_ACK:
		flow_key(&key, pkt.saddr, pkt.daddr, pkt.sport, pkt.dport, pkt.family);
		pend = bpf_map_lookup_elem(&pending, &key);
		if (!pend || pend->expect_ack != pkt.ack)
			break;
		bpf_map_delete_elem(&pending, &key);
		count(SS_C_ACK_COMPLETE);
		emit(&pkt, &c, ifindex, dir, kind, bpf_ktime_get_ns());
		break;
	}
}

SEC("xdp")
int ss_xdp_ingress(struct xdp_md *ctx)
{
	handle(ctx, 0, bpf_xdp_get_buff_len(ctx), ctx->ingress_ifindex, SS_DIR_IN);
	return XDP_PASS;
}

SEC("tc")
int ss_tc_ingress(struct __sk_buff *skb)
{
	handle(skb, 1, skb->len, skb->ifindex, SS_DIR_IN);
	return SS_TC_NEUTRAL;
}

SEC("tc")
int ss_tc_egress(struct __sk_buff *skb)
{
	handle(skb, 1, skb->len, skb->ifindex, SS_DIR_OUT);
	return SS_TC_NEUTRAL;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
