/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The completing ACKs the tracing programs saw, for the verdict programs:
 * one map, declared in both BPF objects by this header; the loader makes
 * them the same (it reuses the verdict object's, ss_verdicts_acks_fd()).
 * A pure ACK freed or answered with a RST is a handshake's only when it
 * completed a SYN-ACK synscope saw: otherwise every ACK a firewall drops
 * (an ACK flood, a port scan) would be a verdict. Direct-mapped by its
 * numbers; an entry holds seq << 32 | ack. The verdict comes in the same
 * softirq as the ACK, long before 2^SS_ACKS_SEEN_LOG2 later ACKs could
 * take its entry.
 */
#ifndef SS_ACKS_SEEN_H
#define SS_ACKS_SEEN_H

#define SS_ACKS_SEEN_LOG2 10

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1u << SS_ACKS_SEEN_LOG2);
	__type(key, __u32);
	__type(value, __u64);
} ss_acks_seen SEC(".maps");

static __always_inline __u64 *ss_acks_seen_entry(__u32 seq, __u32 ack)
{
	__u32 slot = ((seq ^ ack) * 0x9E3779B1u) >> (32 - SS_ACKS_SEEN_LOG2);

	return bpf_map_lookup_elem(&ss_acks_seen, &slot);
}

/* The tracing programs: this ACK completed a SYN-ACK. */
static __always_inline void ss_acks_seen_mark(__u32 seq, __u32 ack)
{
	__u64 *e = ss_acks_seen_entry(seq, ack);

	if (e)
		*e = (__u64)seq << 32 | ack;
}

/* The verdict programs: did it? */
static __always_inline int ss_acks_seen_has(__u32 seq, __u32 ack)
{
	__u64 *e = ss_acks_seen_entry(seq, ack);

	return e && *e == ((__u64)seq << 32 | ack);
}

#endif
