// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The kernel's own verdict on handshake packets (include/synscope.h: struct
 * ss_verdict), from two BTF tracepoints (no tracefs, no kprobe; they need
 * CAP_PERFMON beside CAP_BPF, so this object is loaded apart from the
 * packet programs, only when the capability is there):
 *   skb:kfree_skb       a packet freed with a drop reason
 *   tcp:tcp_send_reset  a RST sent, with its reason, in answer to a packet
 * Only packets of the traced network namespace, and of a handshake: a SYN,
 * a SYN-ACK, or an ACK that would complete one (to a listener or a request
 * socket, or to no socket, without data). They are rare, and may come
 * from any context, so they go to a BPF ring buffer (safe with several
 * producers), read when userspace polls. Nothing here changes a packet.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "synscope.h"

/* The traced network namespace's inode (the loader's /proc/self/ns/net). */
const volatile __u32 cfg_netns_ino = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SS_VD_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} vd_counters SEC(".maps");

/* Header layouts of our own: plain structs, read with probe reads. */
struct vd_ip4 {
	__u8 vihl, tos;
	__be16 tot_len, id, frag_off;
	__u8 ttl, protocol;
	__u16 check;
	__be32 saddr, daddr;
};

struct vd_ip6 {
	__be32 vtcfl;
	__be16 plen;
	__u8 nexthdr, hlim;
	__be32 saddr[4], daddr[4];
};

struct vd_tcp {
	__be16 sport, dport;
	__be32 seq, ack;
	__u8 doff, flags;
	__be16 win, csum, urg;
};

#include "acks_seen.h"

#define VD_ETH_P_IP 0x0800
#define VD_ETH_P_IPV6 0x86DD
#define VD_IPPROTO_TCP 6
#define VD_NO_STATE 0xff

static __always_inline void count(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&vd_counters, &i);

	if (v)
		(*v)++;
}

static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return sk->__sk_common.skc_net.net->ns.inum;
}

/*
 * The packet's network namespace, 0 when not known. Its device first; TCP
 * clears it on receive in some handshake paths (a SYN a listener took, an
 * ACK dropped at the cookie check), so then the tracepoint's own socket,
 * then the route's device, and the packet's socket last: one that crossed
 * a veth may still hold the sender's socket, of the other namespace.
 */
static __always_inline __u32 skb_netns(const struct sk_buff *skb, const struct sock *tp_sk)
{
	struct net_device *dev = skb->dev;
	struct dst_entry *dst;
	struct sock *ssk;

	if (dev)
		return dev->nd_net.net->ns.inum;
	if (tp_sk)
		return sk_netns(tp_sk);
	dst = (void *)(skb->_skb_refdst & ~1UL);   /* bit 0: SKB_DST_NOREF */
	if (dst)
		return BPF_CORE_READ(dst, dev, nd_net.net, ns.inum);
	ssk = skb->sk;
	return ssk ? sk_netns(ssk) : 0;
}

/* The state of the socket the packet concerns (VD_NO_STATE: none). The
 * packet's own socket only when of this namespace (see above). */
static __always_inline __u8 skb_sk_state(const struct sk_buff *skb, const struct sock *tp_sk)
{
	struct sock *ssk;

	if (tp_sk)
		return tp_sk->__sk_common.skc_state;
	ssk = skb->sk;
	if (ssk && sk_netns(ssk) == cfg_netns_ino)
		return ssk->__sk_common.skc_state;
	return VD_NO_STATE;
}

/*
 * The IP and TCP headers from skb->head + network_header (probe reads:
 * the TCP header is found from the IP header's length; transport_header
 * is not always set yet, or is the IP header on a tap's clone). One read
 * of 60 bytes takes both where there are no IP options or extension
 * headers (the common case: this runs for every packet the namespace
 * drops); else, or where those 60 bytes are not all there, a read each.
 * IPv6 extension headers are not walked: such a packet is not reported.
 * 0 and *payload the TCP payload's length, or -1: not a TCP segment.
 */
static __always_inline int parse(const struct sk_buff *skb, struct ss_verdict *v, __u32 *payload)
{
	unsigned char *head = skb->head;
	__u16 nh = skb->network_header, l4, proto = skb->protocol;
	union {
		struct { struct vd_ip4 ip; struct vd_tcp tcp; } v4;
		struct { struct vd_ip6 ip; struct vd_tcp tcp; } v6;
	} h;
	struct vd_tcp tcp;
	__u32 iplen, doff;
	int whole;

	if (nh == 0xffff)
		return -1;
	whole = bpf_probe_read_kernel(&h, sizeof(h.v6), head + nh) == 0;
	if (!whole && bpf_probe_read_kernel(&h, sizeof(h.v4.ip), head + nh))
		return -1;
	if (h.v4.ip.vihl >> 4 == 4 && proto != bpf_htons(VD_ETH_P_IPV6)) {
		__u32 ihl = (h.v4.ip.vihl & 0xf) * 4;

		if (ihl < 20 || h.v4.ip.protocol != VD_IPPROTO_TCP ||
		    (h.v4.ip.frag_off & bpf_htons(0x1fff)))
			return -1;
		v->family = 4;
		v->saddr[0] = h.v4.ip.saddr;
		v->daddr[0] = h.v4.ip.daddr;
		l4 = nh + ihl;
		iplen = bpf_ntohs(h.v4.ip.tot_len);
		iplen = iplen > ihl ? iplen - ihl : 0;
		if (whole && ihl == 20)
			tcp = h.v4.tcp;
		else if (bpf_probe_read_kernel(&tcp, sizeof(tcp), head + l4))
			return -1;
	} else if (h.v4.ip.vihl >> 4 == 6 && proto != bpf_htons(VD_ETH_P_IP)) {
		if (!whole && bpf_probe_read_kernel(&h, sizeof(h.v6.ip), head + nh))
			return -1;
		if (h.v6.ip.nexthdr != VD_IPPROTO_TCP)
			return -1;
		v->family = 6;
		__builtin_memcpy(v->saddr, h.v6.ip.saddr, 16);
		__builtin_memcpy(v->daddr, h.v6.ip.daddr, 16);
		l4 = nh + sizeof(struct vd_ip6);
		iplen = bpf_ntohs(h.v6.ip.plen);
		if (whole)
			tcp = h.v6.tcp;
		else if (bpf_probe_read_kernel(&tcp, sizeof(tcp), head + l4))
			return -1;
	} else {
		return -1;
	}
	v->sport = bpf_ntohs(tcp.sport);
	v->dport = bpf_ntohs(tcp.dport);
	v->seq = bpf_ntohl(tcp.seq);
	v->ack = bpf_ntohl(tcp.ack);
	v->tcp_flags = tcp.flags;
	doff = (tcp.doff >> 4) * 4;
	*payload = iplen > doff ? iplen - doff : 0;
	return 0;
}

/* A handshake packet: SYN or SYN-ACK; or an ACK without SYN, FIN, RST or
 * data, to a listener or a request socket, or to no socket, that the
 * tracing programs saw complete a SYN-ACK (any other is not a record's). */
static __always_inline int handshake(const struct ss_verdict *v, __u32 payload, __u8 state)
{
	__u8 f = v->tcp_flags;

	if (f & SS_TCP_RST)
		return 0;
	if (f & SS_TCP_SYN)
		return 1;
	if ((f & (SS_TCP_ACK | SS_TCP_FIN)) != SS_TCP_ACK || payload)
		return 0;
	if (state != VD_NO_STATE && state != BPF_TCP_LISTEN && state != BPF_TCP_NEW_SYN_RECV &&
	    state != BPF_TCP_SYN_RECV)
		return 0;
	return ss_acks_seen_has(v->seq, v->ack);
}

static __always_inline void submit(struct ss_verdict *v, const struct sk_buff *skb)
{
	struct ss_verdict *out;

	v->ifindex = skb->skb_iif;
	v->dir = skb->skb_iif ? SS_DIR_IN : SS_DIR_OUT;
	if (!v->ifindex && skb->dev)
		v->ifindex = skb->dev->ifindex;
	out = bpf_ringbuf_reserve(&verdicts, sizeof(*out), 0);
	if (!out) {
		count(SS_VD_C_LOST);
		return;
	}
	*out = *v;
	out->ts_ns = bpf_ktime_get_ns();
	/* No wakeup: userspace polls (a wakeup from here costs tens of us). */
	bpf_ringbuf_submit(out, BPF_RB_NO_WAKEUP);
	count(SS_VD_C_EVENTS);
}

/* Report skb, if a handshake packet of the traced namespace (sk: the
 * tracepoint's socket, may be NULL). */
static __always_inline void report(const struct sk_buff *skb, const struct sock *sk, __u8 kind,
				   __u32 reason)
{
	struct ss_verdict v = {};
	__u32 payload;

	if (skb_netns(skb, sk) != cfg_netns_ino || parse(skb, &v, &payload) ||
	    !handshake(&v, payload, skb_sk_state(skb, sk)))
		return;
	v.kind = kind;
	v.reason = reason;
	submit(&v, skb);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(ss_vd_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason,
	     struct sock *rx_sk)
{
	count(SS_VD_C_DROPS);
	/* NOT_SPECIFIED says nothing: the kernel frees a retransmitted SYN
	 * to a pending request that way, and answers it. */
	if (reason != bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED))
		report(skb, rx_sk, SS_VD_DROP, reason);
	return 0;
}

/* A RST in answer to a received packet (skb): that packet is reported. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(ss_vd_tcp_send_reset, const struct sock *sk, const struct sk_buff *skb,
	     enum sk_rst_reason reason)
{
	count(SS_VD_C_RESETS);
	if (skb)
		report(skb, sk, SS_VD_RST, reason);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
