/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * synscope: what the kernel programs and userspace share.
 *
 * Fixed-width types only, so the BPF object and the host agree on every
 * offset. The kernel build gets the __uN types from vmlinux.h, the host
 * build from <linux/types.h>.
 */
#ifndef SYNSCOPE_H
#define SYNSCOPE_H

#ifndef __bpf__
#include <linux/types.h>
#include <stdint.h>
#endif

/* Direction of a packet relative to the interface it was seen on. */
enum ss_dir {
	SS_DIR_IN = 0,
	SS_DIR_OUT = 1,
	SS_DIR_UNKNOWN = 2,  /* a capture whose link header does not say */
};

/* What an event reports. */
enum ss_kind {
	SS_EV_SYN = 1,     /* SYN without ACK: a connection attempt */
	SS_EV_SYNACK = 2,  /* SYN+ACK: the server's answer */
	SS_EV_ACK = 3,     /* the ACK that completes a handshake */
	SS_EV_RST = 4,     /* any RST */
	SS_EV_FIN = 5,     /* any FIN (counted, never an event) */
};

/* TCP header flag bits (byte 13 of the TCP header). */
#define SS_TCP_FIN 0x01
#define SS_TCP_SYN 0x02
#define SS_TCP_RST 0x04
#define SS_TCP_PSH 0x08
#define SS_TCP_ACK 0x10
#define SS_TCP_URG 0x20
#define SS_TCP_ECE 0x40
#define SS_TCP_CWR 0x80

#define SS_OPT_RAW_SIZE 40  /* TCP option bytes at most (60-byte header) */

/*
 * One handshake-relevant packet, 64 bytes: SYN, SYN-ACK, the ACK that
 * completes a handshake, RST. Ports, seq, ack and window are in host byte
 * order; addresses in network byte order (IPv4 in the first word, the
 * rest zero). A SYN or SYN-ACK is a struct ss_event_syn.
 */
struct ss_event {
	__u64 ts_ns;        /* CLOCK_MONOTONIC live, capture time offline */
	__u32 ifindex;
	__u8 kind;          /* enum ss_kind */
	__u8 dir;           /* enum ss_dir */
	__u8 family;        /* 4 or 6 */
	__u8 tcp_flags;     /* SS_TCP_* as on the wire */
	__u32 saddr[4];     /* network byte order words */
	__u32 daddr[4];
	__u16 sport;
	__u16 dport;
	__u32 seq;
	__u32 ack;
	__u16 window;       /* unscaled, as on the wire */
	__u8 ttl;           /* TTL or hop limit */
	__u8 vlan_depth;
};

/*
 * A SYN or SYN-ACK, 128 bytes: the event, what a fingerprint needs of the
 * IP and TCP headers, and the TCP option bytes as on the wire. The kernel
 * copies the options and leaves their walk to userspace (ss_walk_tcp_opts()
 * in bpf/parse.h), which also counts the malformed ones. Every slot of the
 * event rings has this size, whatever the event's kind.
 */
struct ss_event_syn {
	struct ss_event e;
	__u64 cgroup_id;    /* tc egress: the cgroup v2 id of the sending
			     * socket (a client's SYN, a listener's SYN-ACK);
			     * 0 where there is none (ingress, forwarded) */
	__u32 flow;         /* IPv6 flow label; 0 for IPv4 */
	__u16 ip_id;        /* IPv4 identification */
	__u16 ip_frag;      /* IPv4 flags and fragment offset (DF 0x4000) */
	__u16 urg;          /* TCP urgent pointer */
	__u16 payload_len;  /* TCP payload bytes, at most 65535 */
	__u8 tos;           /* IPv4 TOS / IPv6 traffic class */
	__u8 ip_opt_len;    /* IPv4 option bytes (IHL * 4 - 20); 0 for IPv6 */
	__u8 doff_res;      /* TCP header byte 12: data offset, reserved bits */
	__u8 opt_len;       /* bytes of opts[] that hold the options */
	__u8 opts[SS_OPT_RAW_SIZE];
};

/*
 * The event rings: one per CPU, a single producer (the programs on that
 * CPU, which never run nested) and one consumer (userspace), no lock. A
 * ring is 2^cfg_ev_slots_log2 slots of a struct ss_event_syn in the
 * memory-mapped array ev_ring (CPU c's slots at c << log2); its producer
 * position in ev_head[c], its consumer position in ev_tail[c], each on a
 * cache line of its own. The producer fills slot head & mask, then
 * publishes head + 1: a plain store where the CPU keeps stores in order
 * (x86; the loader sets cfg_stores_ordered), an atomic add (a full
 * barrier) elsewhere; either way the slot is written before the position.
 * It counts a loss when head - tail is the ring's size. It reads the
 * consumer's line only when the tail it last read (tail_seen, beside its
 * head) says the ring may be past its shed mark: the tail only grows, so
 * the ring is never fuller than that says. Userspace polls: no wakeup.
 *
 * With -w, the packet as the program saw it, up to the snap length
 * (cfg_snaplen; at most SS_SNAP_MAX), is in the same slot of ev_raw.
 */
struct ss_ev_pos {
	__u64 pos;
	__u64 tail_seen;    /* ev_head: the producer's last read of ev_tail */
	__u64 pad[6];
};
#define SS_EV_SLOTS_LOG2_MIN 6
#define SS_EV_SLOTS_LOG2_MAX 20

_Static_assert(sizeof(struct ss_event_syn) == 128, "an event ring slot is 128 bytes");
_Static_assert(sizeof(struct ss_ev_pos) == 64, "a ring position has its own cache line");

#define SS_SNAP_MAX 256

struct ss_event_raw {
	__u32 wire_len;     /* the packet's length */
	__u16 caplen;       /* bytes of data[] that hold it */
	__u16 pad;
	__u8 data[SS_SNAP_MAX];
};

/*
 * The kernel's verdict on a handshake packet (bpf/verdict.bpf.c, loaded
 * with CAP_PERFMON): a SYN, SYN-ACK or would-be completing ACK of the
 * traced network namespace freed with a drop reason (skb:kfree_skb), or
 * a RST sent in answer to one, with its reason (tcp:tcp_send_reset). The
 * reasons are the running kernel's enum values (skb_drop_reason,
 * sk_rst_reason), named in userspace from its BTF: they differ between
 * kernels. Ports, seq and ack in host order, addresses in network order.
 */
enum ss_verdict_kind {
	SS_VD_DROP = 1,
	SS_VD_RST = 2,
};

struct ss_verdict {
	__u64 ts_ns;        /* CLOCK_MONOTONIC */
	__u32 reason;
	__u32 ifindex;      /* where it came in (skb_iif), else its device; 0: unknown */
	__u8 kind;          /* enum ss_verdict_kind */
	__u8 dir;           /* enum ss_dir: the packet's, as the namespace sees it */
	__u8 family;        /* 4 or 6 */
	__u8 tcp_flags;
	__u16 sport, dport;
	__u32 seq, ack;
	__u32 saddr[4];
	__u32 daddr[4];
};

/* The verdict programs' counters (per CPU). */
enum ss_vd_counter {
	SS_VD_C_DROPS = 0,    /* kfree_skb calls seen */
	SS_VD_C_RESETS,       /* tcp_send_reset calls seen */
	SS_VD_C_EVENTS,       /* verdicts written */
	SS_VD_C_LOST,         /* verdicts dropped: ring full */
	SS_VD_C_MAX,
};

/*
 * Per-CPU counters, summed in userspace. SS_C_PACKETS and the reasons a
 * packet is not a TCP segment are counted for every packet; the TCP
 * classes only for segments that pass the filters (the others are
 * SS_C_FILTERED). TCP segments are not counted apart: they are the
 * packets that are not counted as anything else (ss_counters_tcp()).
 */
enum ss_counter {
	SS_C_PACKETS = 0,     /* every packet the program saw */
	SS_C_NOT_IP,          /* neither IPv4 nor IPv6 */
	SS_C_NOT_TCP,         /* IP, another protocol */
	SS_C_FRAGMENT,        /* IP fragment with no whole TCP header */
	SS_C_BAD_TRUNCATED,   /* not parsed: a header runs past the packet */
	SS_C_BAD_IPV4,        /* not parsed: bad IPv4 version/IHL/length */
	SS_C_BAD_IPV6,        /* not parsed: IPv6 extension chain too long or bad */
	SS_C_BAD_TCP,         /* not parsed: bad TCP data offset */
	SS_C_FILTERED,        /* TCP segments excluded by --port/--host, and
	                       * SYNs, SYN-ACKs and RSTs by --cgroup */
	SS_C_SYN,
	SS_C_SYNACK,
	SS_C_ACK_COMPLETE,    /* ACKs that complete a seen SYN-ACK */
	SS_C_RST,
	SS_C_FIN,
	SS_C_PEND_EVICTED,    /* pending SYN-ACKs younger than --timeout
			       * overwritten by another flow's (set full) */
	SS_C_EVENTS,          /* events written to the ring buffer */
	SS_C_LOST,            /* events dropped: ring buffer full (all kinds) */
	SS_C_SHED,            /* SYN and RST events shed (both kinds) */
	/* By kind, in enum ss_kind's order. Lost: the ring was full. Shed:
	 * only SYNs and RSTs, when the consumer falls behind (the ring past
	 * half full) or past --event-rate; never a SYN-ACK or an ACK. */
	SS_C_LOST_SYN,
	SS_C_LOST_SYNACK,
	SS_C_LOST_ACK,
	SS_C_LOST_RST,
	SS_C_SHED_SYN,
	SS_C_SHED_RST,
	SS_C_MAX,
};

/* What each CPU keeps: the counters, and --event-rate's token bucket in
 * nano-tokens (one value, so one map lookup per packet). */
struct ss_percpu {
	__u64 c[SS_C_MAX];
	__u64 ntokens;
	__u64 last_ns;
};

/* Result of the shared parser. 0 means a TCP segment was parsed; the
 * others have the counters SS_C_NOT_IP + result - 1. */
enum ss_parse_result {
	SS_PARSE_TCP = 0,
	SS_PARSE_NOT_IP,
	SS_PARSE_NOT_TCP,
	SS_PARSE_FRAGMENT,
	SS_PARSE_TRUNCATED,
	SS_PARSE_BAD_IPV4,
	SS_PARSE_BAD_IPV6,
	SS_PARSE_BAD_TCP,
};

_Static_assert(SS_C_BAD_TCP - SS_C_NOT_IP == SS_PARSE_BAD_TCP - SS_PARSE_NOT_IP,
	       "one counter per parse result, in the same order");


/*
 * The pending SYN-ACK table: SYN-ACKs waiting for the ACK that completes
 * them. Set-associative: a flow hash picks a set (one cache line) of
 * SS_PEND_WAYS slots. A slot is one word, so that one atomic exchange
 * claims or clears it: the flow's tag (more bits of that hash, never 0),
 * the SYN-ACK's time in units of 2^tshift ns, and the ACK number the
 * completing ACK carries. See bpf/decide.h.
 */
#define SS_PEND_WAYS 8
#define SS_PEND_SETS_LOG2 14          /* 16384 sets: 131072 slots, 1 MiB */
#define SS_PEND_SETS (1u << SS_PEND_SETS_LOG2)
#define SS_PEND_TAG_SHIFT 44          /* bits 63..44: the tag */
#define SS_PEND_T_SHIFT 32            /* bits 43..32: the time */
#define SS_PEND_T_MASK 0xfffull       /* (12 bits: 4096 units) */
/* A time unit is at least 1/16 of --timeout (and at least 2^20 ns), so a
 * live slot is at most 16 units old, and the 12 bits wrap only after 256
 * timeouts: userspace clears stale slots long before (ss_pend_sweep()). */
#define SS_PEND_TSHIFT_MIN 20
/* Userspace sweeps that often, in time units (ss_pend_sweep()). */
#define SS_PEND_SWEEP_UNITS 256

struct ss_pend_set {
	__u64 w[SS_PEND_WAYS];
};

/*
 * How many slots are used in each group of SS_PEND_SETS / SS_PEND_OCC
 * consecutive sets (pend_occ, 32 KiB): an ACK or a RST whose group is
 * empty skips its set. On a busy host an established ACK's set is a
 * random line of the 1 MiB table, a cache miss the test runs (one flow,
 * hot lines) never show; the counts stay in cache. Every change of a
 * slot between empty and used moves its count, atomically: the kernel's
 * insert (after its exchange: the ACK it waits for can only come once
 * the SYN-ACK's program has returned), the kernel's take and drop, and
 * the sweep.
 */
#define SS_PEND_OCC_LOG2 12
#define SS_PEND_OCC (1u << SS_PEND_OCC_LOG2)
static inline __u32 ss_pend_group(__u32 set_index)
{
	return set_index >> (SS_PEND_SETS_LOG2 - SS_PEND_OCC_LOG2);
}

static inline __u32 ss_pend_tag(__u64 slot)
{
	return (__u32)(slot >> SS_PEND_TAG_SHIFT);
}

static inline __u32 ss_pend_t(__u64 slot)
{
	return (__u32)(slot >> SS_PEND_T_SHIFT) & SS_PEND_T_MASK;
}

/* The time unit for --timeout: 2^shift ns, the smallest power of two at
 * least timeout / 16 (and 2^SS_PEND_TSHIFT_MIN). */
static inline __u8 ss_pend_tshift(__u64 timeout_ns)
{
	__u8 shift = SS_PEND_TSHIFT_MIN;

	while (shift < 58 && (16ull << shift) < timeout_ns)
		shift++;
	return shift;
}

/* --timeout in those units, rounded up (1..16): a slot younger than this
 * is live (its handshake can still complete). */
static inline __u32 ss_pend_live_t(__u64 timeout_ns, __u8 tshift)
{
	__u64 t = (timeout_ns + (1ull << tshift) - 1) >> tshift;

	return t ? (__u32)t : 1;
}

/* The age of a slot at time unit now (both mod 4096). */
static inline __u32 ss_pend_age(__u64 slot, __u32 now_t)
{
	return (now_t - ss_pend_t(slot)) & SS_PEND_T_MASK;
}

/* Host filter entries (LPM trie): prefix length then address bytes. */
struct ss_lpm_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct ss_lpm_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/*
 * Counters per interface: the loader gives each interface it attaches to
 * a slot (1 .. SS_IF_SLOTS - 1) in the if_slot array, indexed by ifindex;
 * slot 0 counts the rest (an ifindex past SS_IF_INDEXES, more interfaces
 * than slots) and holds the token bucket of --event-rate for all. An
 * array, not a hash: its lookup is a bound check and an add.
 */
#define SS_IF_SLOTS 64
#define SS_IF_INDEXES 65536

/*
 * --cgroup: the local endpoints of sockets in the subtree (an address of
 * zeros: a wildcard listener). Userspace keeps it from sock_diag (the
 * sockets there before the trace, listeners made since); the kernel adds
 * the source of each packet a subtree socket sends (a client's port, so
 * the reply on ingress, where a packet has no socket yet, is known). The
 * value: when last seen, CLOCK_MONOTONIC ns (userspace ages entries out).
 */
struct ss_owned_key {
	__u8 family;                 /* 4 or 6 */
	__u8 pad;
	__u16 port;                  /* host order */
	__u32 addr[4];               /* network order, IPv4 in addr[0] */
};
#define SS_OWNED_MAX 65536

#define SS_MAX_PORTS 16

#ifndef __bpf__
/* One interface's kernel counters, summed over the CPUs: what the loader
 * reads (ss_loader_counters_by_iface) and the exporter serves. ifindex 0:
 * the "other" row (no slot of its own). */
struct ss_iface_counters {
	int ifindex;
	char name[16];               /* IF_NAMESIZE */
	uint64_t c[SS_C_MAX];
};

/*
 * The counters from one read of each per-CPU map: pc, the `percpu` map's
 * value on each of ncpus CPUs; not_tcp[r * ncpus + cpu], the `not_tcp`
 * map's (one lookup per parse result r, SS_PARSE_NOT_IP..SS_PARSE_BAD_TCP).
 */
static inline void ss_counters_sum(const struct ss_percpu *pc, const uint64_t *not_tcp, int ncpus,
				   uint64_t out[SS_C_MAX])
{
	int cpu, i, r;

	for (i = 0; i < SS_C_MAX; i++)
		out[i] = 0;
	for (cpu = 0; cpu < ncpus; cpu++)
		for (i = 0; i < SS_C_MAX; i++)
			out[i] += pc[cpu].c[i];
	for (r = SS_PARSE_NOT_IP; r <= SS_PARSE_BAD_TCP; r++)
		for (cpu = 0; cpu < ncpus; cpu++)
			out[SS_C_NOT_IP + r - 1] += not_tcp[r * ncpus + cpu];
}

/*
 * Userspace's part of the table: clear the slots older than --timeout
 * (their handshakes have timed out; a slot's 12-bit time would otherwise
 * look young again after 4096 units), their groups' counts with them
 * (occ: SS_PEND_OCC counts, or NULL), and return how many are live: the
 * half-open handshakes. A slot the kernel rewrote meanwhile is left as it
 * is (compare-and-swap).
 */
static inline uint64_t ss_pend_sweep(struct ss_pend_set *sets, __u64 *occ, uint32_t nsets,
				     uint64_t now_ns, uint8_t tshift, uint32_t live_t)
{
	uint32_t t = (uint32_t)(now_ns >> tshift) & SS_PEND_T_MASK, i, j;
	uint64_t live = 0, cur;

	for (i = 0; i < nsets; i++)
		for (j = 0; j < SS_PEND_WAYS; j++) {
			cur = __atomic_load_n(&sets[i].w[j], __ATOMIC_RELAXED);
			if (!cur)
				continue;
			if (ss_pend_age(cur, t) < live_t)
				live++;
			else if (__sync_val_compare_and_swap(&sets[i].w[j], cur, 0) == cur && occ)
				__atomic_fetch_sub(&occ[ss_pend_group(i)], 1, __ATOMIC_RELAXED);
		}
	return live;
}

/* Parsed TCP segments: the packets counted as nothing else. */
static inline uint64_t ss_counters_tcp(const uint64_t *c)
{
	return c[SS_C_PACKETS] - c[SS_C_NOT_IP] - c[SS_C_NOT_TCP] - c[SS_C_FRAGMENT] -
	       c[SS_C_BAD_TRUNCATED] - c[SS_C_BAD_IPV4] - c[SS_C_BAD_IPV6] - c[SS_C_BAD_TCP];
}
#endif

#endif /* SYNSCOPE_H */
