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
#endif

/* Direction of a packet relative to the interface it was seen on. */
enum ss_dir {
	SS_DIR_IN = 0,
	SS_DIR_OUT = 1,
};

/* What an event reports. */
enum ss_kind {
	SS_EV_SYN = 1,     /* SYN without ACK: a connection attempt */
	SS_EV_SYNACK = 2,  /* SYN+ACK: the server's answer */
	SS_EV_ACK = 3,     /* the ACK that completes a handshake */
	SS_EV_RST = 4,     /* any RST */
	SS_EV_FIN = 5,     /* any FIN (reserved; not emitted yet) */
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

/* Option summary flags (struct ss_opts.present). */
#define SS_OPT_MSS       0x01
#define SS_OPT_WSCALE    0x02
#define SS_OPT_SACK_OK   0x04
#define SS_OPT_TS        0x08
#define SS_OPT_MALFORMED 0x80 /* option walk stopped at a bad length */

#define SS_OPT_KINDS_MAX 12 /* option kinds recorded in wire order */
#define SS_OPT_RAW_SIZE 40

struct ss_opts {
	__u16 mss;
	__u8 wscale;
	__u8 present;                    /* SS_OPT_* */
	__u8 kinds[SS_OPT_KINDS_MAX];    /* wire order (EOL included), nkinds valid */
	__u8 nkinds;                     /* number of kinds recorded */
	__u8 raw_len;                    /* option bytes copied to raw[] */
	__u8 pad[2];
	__u32 ts_val;
	__u32 ts_ecr;
	__u8 raw[SS_OPT_RAW_SIZE];      /* the option bytes as on the wire */
};

/*
 * One handshake-relevant packet. Ports, seq, ack and window are in host
 * byte order; addresses are in network byte order (IPv4 in the first
 * word, the rest zero).
 */
struct ss_event {
	__u64 ts_ns;        /* CLOCK_MONOTONIC live, capture time offline */
	__u32 ifindex;
	__u8 dir;           /* enum ss_dir */
	__u8 kind;          /* enum ss_kind */
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
	__u32 payload_len;  /* TCP payload bytes, from the IP lengths */
	struct ss_opts opts; /* filled for SYN and SYN-ACK only */
};

/*
 * Per-CPU counters, summed in userspace. Everything up to SS_C_FRAGMENT is
 * counted for every packet; the TCP classes only for packets that pass the
 * filters (the rest are SS_C_FILTERED).
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
	SS_C_TCP,             /* parsed TCP segments */
	SS_C_FILTERED,        /* TCP segments excluded by --port/--host */
	SS_C_SYN,
	SS_C_SYNACK,
	SS_C_ACK_COMPLETE,    /* ACKs that complete a seen SYN-ACK */
	SS_C_RST,
	SS_C_FIN,
	SS_C_BAD_TCP_OPT,     /* SYN/SYN-ACK whose options were malformed */
	SS_C_EVENTS,          /* events written to the ring buffer */
	SS_C_LOST,            /* events dropped: ring buffer full */
	SS_C_SAMPLED_OUT,     /* events skipped by the per-CPU rate limit */
	SS_C_MAX,
};

/* Result of the shared parser. 0 means a TCP segment was parsed. */
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

/* Key of the pending SYN-ACK table: the flow of the ACK we expect. */
struct ss_flow_key {
	__u32 saddr[4];
	__u32 daddr[4];
	__u16 sport;
	__u16 dport;
	__u8 family;
	__u8 pad[3];
};

struct ss_pending {
	__u32 expect_ack;   /* SYN-ACK seq + 1 */
	__u32 pad;
	__u64 ts_ns;
};

/* The kernel's pending filter (bpf/synscope.bpf.c, pend_maybe()) ages
 * its stamps in epochs of 2^shift ns, at least the handshake timeout long
 * (an ACK later than that would no longer be paired) and at least 2^24 ns,
 * far longer than one program run. */
#define SS_PEND_SHIFT_MIN 24
#define SS_PEND_SHIFT_MAX 62

static inline __u8 ss_pend_shift(__u64 timeout_ns)
{
	__u8 shift = SS_PEND_SHIFT_MIN;

	while (shift < SS_PEND_SHIFT_MAX && (1ull << shift) < timeout_ns)
		shift++;
	return shift;
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

#define SS_MAX_PORTS 16

#endif /* SYNSCOPE_H */
