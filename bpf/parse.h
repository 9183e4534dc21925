/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The packet parser, written once and compiled twice: with clang -target bpf
 * for the XDP and tc programs, and with the host compiler for the capture
 * reader and the unit tests. So both builds classify a packet the same way.
 *
 * Every read is checked against `end` before it happens, every loop has a
 * named bound, and nothing here writes to the packet.
 *
 * The includer provides the __uN/__beN types (vmlinux.h in the kernel build,
 * <linux/types.h> on the host) and includes synscope.h first.
 */
#ifndef SS_PARSE_H
#define SS_PARSE_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Unroll a loop (clang; the verifier then checks each iteration's
 * constant offsets). gcc, for the host build, unrolls as it sees fit. */
#ifdef __clang__
#define SS_UNROLL _Pragma("unroll")
#else
#define SS_UNROLL
#endif

/* Loop bounds; override with -D for experiments. */
#ifndef SS_VLAN_MAX_DEPTH
#define SS_VLAN_MAX_DEPTH 2
#endif
#ifndef SS_IPV6_EXT_MAX_CHAIN
#define SS_IPV6_EXT_MAX_CHAIN 6
#endif
#define SS_TCP_OPT_MAX_BYTES 40 /* 60-byte header limit minus 20 fixed */

#define SS_ETH_P_IP     0x0800
#define SS_ETH_P_IPV6   0x86DD
#define SS_ETH_P_8021Q  0x8100
#define SS_ETH_P_8021AD 0x88A8

#define SS_IPPROTO_HOPOPTS  0
#define SS_IPPROTO_TCP      6
#define SS_IPPROTO_ROUTING  43
#define SS_IPPROTO_FRAGMENT 44
#define SS_IPPROTO_AH       51
#define SS_IPPROTO_DSTOPTS  60

/*
 * Count: (*p)++. In the kernel, the pointer goes through an empty asm
 * first, so that clang cannot merge two counts on different paths into one
 * increment at a computed offset: without CAP_PERFMON the verifier refuses
 * pointer arithmetic whose operand differs between paths. Each path then
 * adds its own constant, which it takes.
 */
#ifdef __bpf__
#define ss_inc(p) do { __u64 *p_ = (p); asm volatile("" : "+r"(p_)); (*p_)++; } while (0)
#else
#define ss_inc(p) ((*(p))++)
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ss_ntohs(x) __builtin_bswap16(x)
#define ss_ntohl(x) __builtin_bswap32(x)
#else
#define ss_ntohs(x) (x)
#define ss_ntohl(x) (x)
#endif

/* Wire headers, our own names so the host and BPF builds see one layout.
 * The parser copies each one out before reading it, so alignment in the
 * packet never matters. */
struct ss_hdr_eth {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
};

struct ss_hdr_vlan {
	__be16 tci;
	__be16 proto;
};

struct ss_hdr_ipv4 {
	__u8 ver_ihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__be16 check;
	__be32 saddr;
	__be32 daddr;
};

struct ss_hdr_ipv6 {
	__be32 ver_tc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__be32 saddr[4];
	__be32 daddr[4];
};

/* Hop-by-hop, routing, destination options, AH: next header, then length. */
struct ss_hdr_ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct ss_hdr_ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset in 8-byte units << 3, low bit = more fragments */
	__be32 id;
};

struct ss_hdr_tcp {
	__be16 sport;
	__be16 dport;
	__be32 seq;
	__be32 ack;
	__u8 doff_res;   /* data offset in the high nibble */
	__u8 flags;
	__be16 window;
	__be16 check;
	__be16 urg;
};

#define SS_IPV4_MF      0x2000
#define SS_IPV4_OFFMASK 0x1fff
#define SS_IPV6_OFFMASK 0xfff8

/*
 * A read position in a packet. Headers are copied out at a scalar offset,
 * never read through a packet pointer moved by a variable amount: the
 * verifier allows that pointer arithmetic only with CAP_PERFMON, and
 * synscope must run with CAP_BPF + CAP_NET_ADMIN alone. Nor through a map
 * value pointer moved by a variable amount: allowed, but without
 * CAP_PERFMON it makes the verifier compare states exactly from there on
 * (explore_alu_limits), and the parse no longer verifies.
 *
 * In the kernel a header at a constant offset (the common layouts, spelled
 * apart in ss_parse_eth(), ss_parse_ipv4() and ss_parse_ipv6() so that
 * clang sees the constant) is read straight from the packet's linear part,
 * a packet pointer moved by a constant, which costs a few loads. Any other
 * read, or one past the linear part, is a call to bpf_xdp_load_bytes /
 * bpf_skb_load_bytes (as much as the rest of the parse), which also reach
 * into a non-linear skb or an XDP fragment.
 */
#ifdef __bpf__
/* What a kernel cursor reads. */
enum ss_src {
	SS_SRC_XDP,         /* ctx is a struct xdp_md */
	SS_SRC_SKB,         /* ctx is a struct __sk_buff */
};
#endif

struct ss_cursor {
#ifdef __bpf__
	void *ctx;          /* struct xdp_md or struct __sk_buff */
	const __u8 *data;   /* the packet's linear part, data .. data_end */
	const __u8 *data_end;
	__u64 src;          /* enum ss_src, a constant per program; a whole
			     * stack slot, so that the verifier still knows it
			     * once the cursor is spilled */
	__u32 len;          /* packet length */
#else
	const void *pos;    /* first byte (does not move) */
	const void *end;    /* one past the last readable byte */
#endif
	__u32 off;          /* read position: bytes consumed so far */
};

/* The packet's length. An XDP program of section "xdp" (not
 * "xdp.frags") only ever sees linear packets, and the common layouts are
 * read at constant offsets checked against data_end (ss_have()): their
 * parse never asks, and so never pays for the helper call. */
static __always_inline __u32 ss_len(struct ss_cursor *c)
{
#ifdef __bpf__
	if (c->src == SS_SRC_XDP && c->len == 0)
		c->len = bpf_xdp_get_buff_len(c->ctx);
	return c->len;
#else
	return (const __u8 *)c->end - (const __u8 *)c->pos;
#endif
}

#ifdef __bpf__
/* p += k for a constant k, in an asm of its own: clang cannot then merge
 * the additions of two paths into one of a computed amount, which the
 * verifier refuses without CAP_PERFMON when the paths disagree. */
#define SS_PTR_ADD(p, k) asm volatile("%[ptr] += %[imm]" : [ptr] "+r"(p) : [imm] "i"(k))

/* Are n bytes there at the constant offset off of the linear part? n may
 * vary (a header length, a multiple of 4 up to 60): each case compares a
 * packet pointer moved by a constant, which the verifier takes without
 * CAP_PERFMON. -1 when n is none of those. */
static __always_inline int ss_have_linear(const struct ss_cursor *c, __u32 off, __u32 n)
{
	const __u8 *p = c->data + off, *end = c->data_end;

	if (__builtin_constant_p(n))
		return p + n <= end;
#define SS_HAVE_CASE(k) case k: { const __u8 *q_ = p; SS_PTR_ADD(q_, k); return q_ <= end; }
	switch (n) {
	SS_HAVE_CASE(20) SS_HAVE_CASE(24) SS_HAVE_CASE(28) SS_HAVE_CASE(32)
	SS_HAVE_CASE(36) SS_HAVE_CASE(40) SS_HAVE_CASE(44) SS_HAVE_CASE(48)
	SS_HAVE_CASE(52) SS_HAVE_CASE(56) SS_HAVE_CASE(60)
	default: return -1;
	}
#undef SS_HAVE_CASE
}
#endif

/* Are n more bytes there at the read position? */
static __always_inline int ss_have(struct ss_cursor *c, __u32 n)
{
#ifdef __bpf__
	/* In the linear part: no length needed. Past it, an skb may still
	 * hold them (XDP: a linear packet does not). */
	if (__builtin_constant_p(c->off) && ss_have_linear(c, c->off, n) == 1)
		return 1;
	if (__builtin_constant_p(c->off) && c->src == SS_SRC_XDP && ss_have_linear(c, c->off, n) == 0)
		return 0;
#endif
	return (__u64)c->off + n <= ss_len(c);
}

#ifdef __bpf__
/*
 * Copy n bytes at the constant offset off of the packet's linear part, in
 * the widest loads aligned as the verifier assumes the packet is (two past
 * a four-byte boundary, NET_IP_ALIGN): the IP and TCP headers in words,
 * where memcpy() would copy byte by byte (clang knows no alignment for a
 * packet pointer). Where the packet is not so aligned, the JITs of the
 * architectures without strict alignment (x86-64, arm64) load unaligned;
 * the others check alignment against that same assumption.
 */
#define SS_PKT_ALIGN 2

static __always_inline void ss_copy_pkt(void *dst, const __u8 *data, __u32 off, __u32 n)
{
	__u32 head = (4 - ((SS_PKT_ALIGN + off) & 3)) & 3, i = 0;
	const __u8 *s = data + off;
	__u8 *d = dst;

	if ((head & 1) && i < n) {
		d[i] = s[i];
		i += 1;
	}
	if ((head & 2) && i + 2 <= n) {
		__u16 v = *(const __u16 *)(s + i);

		__builtin_memcpy(d + i, &v, 2);
		i += 2;
	}
#pragma unroll
	for (; i + 4 <= n; i += 4) {
		__u32 v = *(const __u32 *)(s + i);

		__builtin_memcpy(d + i, &v, 4);
	}
	if (i + 2 <= n) {
		__u16 v = *(const __u16 *)(s + i);

		__builtin_memcpy(d + i, &v, 2);
		i += 2;
	}
	if (i < n)
		d[i] = s[i];
}
#endif

/* Copy n bytes at offset off. 0 on success. */
static __always_inline int ss_load(struct ss_cursor *c, __u32 off, void *dst, __u32 n)
{
#ifdef __bpf__
	/* A constant offset into the linear part: a packet pointer moved by
	 * a constant, which the verifier takes without CAP_PERFMON. */
	if (__builtin_constant_p(off) && __builtin_constant_p(n) &&
	    c->data + off + n <= c->data_end) {
		ss_copy_pkt(dst, c->data, off, n);
		return 0;
	}
	if (c->src == SS_SRC_SKB)
		return bpf_skb_load_bytes(c->ctx, off, dst, n);
	return bpf_xdp_load_bytes(c->ctx, off, dst, n);
#else
	if ((__u64)off + n > ss_len(c))
		return -1;
	__builtin_memcpy(dst, (const __u8 *)c->pos + off, n);
	return 0;
#endif
}

/* Copy the header at the read position into *h; no move. */
#define SS_READ(c, h) (!ss_have(c, sizeof(*(h))) || ss_load(c, (c)->off, h, sizeof(*(h))))

/*
 * The header at the read position into *hdr; nonzero when it runs past the
 * packet. In the kernel, at a constant offset in the linear part (the
 * common layouts), it is read in place: a packet pointer moved by a
 * constant, each field one load. Otherwise (and always on the host, where
 * the capture's bytes need not be aligned) it is copied into *copy first.
 * The result is not a pointer that may be NULL: without CAP_PERFMON the
 * verifier refuses to compare a packet pointer with 0.
 */
#ifdef __bpf__
#define SS_HDR(c, copy, hdr)                                                              \
	((__builtin_constant_p((c)->off) &&                                              \
	  (c)->data + (c)->off + sizeof(*(copy)) <= (c)->data_end)                       \
		 ? ((*(hdr) = (const void *)((c)->data + (c)->off)), 0)                   \
		 : SS_READ(c, copy) ? 1 : ((*(hdr) = (copy)), 0))
#else
#define SS_HDR(c, copy, hdr) (SS_READ(c, copy) ? 1 : ((*(hdr) = (copy)), 0))
#endif

/* What the parser learned about a TCP segment. */
struct ss_pkt {
	__u32 saddr[4];     /* network byte order */
	__u32 daddr[4];
	__u16 sport;        /* host byte order from here on */
	__u16 dport;
	__u32 seq;
	__u32 ack;
	__u16 window;
	__u8 family;
	__u8 ttl;
	__u8 tcp_flags;
	__u8 vlan_depth;
	__u16 doff;         /* TCP header length in bytes, options included */
	__u32 payload_len;
	__u32 tcp_off;      /* offset of the TCP header from the cursor's start */
	/* For fingerprints (struct ss_event_syn). */
	__u32 flow;         /* IPv6 flow label */
	__u16 ip_id;
	__u16 ip_frag;
	__u16 urg;
	__u8 tos;
	__u8 ip_opt_len;
	__u8 doff_res;
	__u8 pad[3];
};

/*
 * An IP length of 0 is legal on a GSO packet above 64 KiB ("BIG TCP",
 * Linux 5.19 for IPv6, 6.3 for IPv4): the length is then only known from
 * the packet itself.
 */
#define SS_LEN_UNKNOWN 0xffffffffu

/* TCP header at the read position; l4len = bytes the IP header says follow. */
static __always_inline int ss_parse_tcp(struct ss_cursor *c, __u32 l4len,
					int first_fragment, struct ss_pkt *pkt)
{
	const struct ss_hdr_tcp *th;
	struct ss_hdr_tcp copy;
	__u32 doff;

	/* RFC 1858: a first fragment too short for the TCP header is not a
	 * segment we can classify; it is a fragment, not a malformed header. */
	if (l4len < sizeof(copy))
		return first_fragment ? SS_PARSE_FRAGMENT : SS_PARSE_BAD_TCP;
	if (SS_HDR(c, &copy, &th))
		return SS_PARSE_TRUNCATED;
	doff = (th->doff_res >> 4) * 4;
	if (doff < sizeof(copy))
		return SS_PARSE_BAD_TCP;
	if (doff > l4len)
		return first_fragment ? SS_PARSE_FRAGMENT : SS_PARSE_BAD_TCP;
	if (!ss_have(c, doff))
		return SS_PARSE_TRUNCATED;

	pkt->sport = ss_ntohs(th->sport);
	pkt->dport = ss_ntohs(th->dport);
	pkt->seq = ss_ntohl(th->seq);
	pkt->ack = ss_ntohl(th->ack);
	pkt->window = ss_ntohs(th->window);
	pkt->tcp_flags = th->flags;
	pkt->urg = ss_ntohs(th->urg);
	pkt->doff_res = th->doff_res;
	pkt->pad[0] = pkt->pad[1] = pkt->pad[2] = 0;
	pkt->doff = doff;
	pkt->payload_len = l4len == SS_LEN_UNKNOWN ? ss_len(c) - c->off - doff : l4len - doff;
	pkt->tcp_off = c->off;
	c->off += doff;
	return SS_PARSE_TCP;
}

static __always_inline int ss_parse_ipv4(struct ss_cursor *c, struct ss_pkt *pkt)
{
	const struct ss_hdr_ipv4 *ip;
	struct ss_hdr_ipv4 copy;
	__u32 ihl, tot_len, l4len;
	__u16 frag;

	if (SS_HDR(c, &copy, &ip))
		return SS_PARSE_TRUNCATED;
	if ((ip->ver_ihl >> 4) != 4)
		return SS_PARSE_BAD_IPV4;
	ihl = (ip->ver_ihl & 0x0f) * 4;
	if (ihl < sizeof(copy))
		return SS_PARSE_BAD_IPV4;
	tot_len = ss_ntohs(ip->tot_len);
	if (tot_len != 0 && tot_len < ihl)
		return SS_PARSE_BAD_IPV4;
	if (!ss_have(c, ihl))
		return SS_PARSE_TRUNCATED;
	if (ip->protocol != SS_IPPROTO_TCP)
		return SS_PARSE_NOT_TCP;
	frag = ss_ntohs(ip->frag_off);
	if (frag & SS_IPV4_OFFMASK)
		return SS_PARSE_FRAGMENT; /* later fragment: no TCP header */

	pkt->family = 4;
	pkt->ttl = ip->ttl;
	pkt->tos = ip->tos;
	pkt->ip_id = ss_ntohs(ip->id);
	pkt->ip_frag = frag;
	pkt->ip_opt_len = ihl - sizeof(copy);
	pkt->flow = 0;
	pkt->saddr[0] = ip->saddr;
	pkt->saddr[1] = pkt->saddr[2] = pkt->saddr[3] = 0;
	pkt->daddr[0] = ip->daddr;
	pkt->daddr[1] = pkt->daddr[2] = pkt->daddr[3] = 0;
	l4len = tot_len ? tot_len - ihl : SS_LEN_UNKNOWN;
	if (ihl == sizeof(copy)) {
		/* No options, the common case, spelled apart: at a constant
		 * offset in, the TCP header is at one too (see SS_HDR). */
		c->off += sizeof(copy);
		return ss_parse_tcp(c, l4len, !!(frag & SS_IPV4_MF), pkt);
	}
	c->off += ihl;
	return ss_parse_tcp(c, l4len, !!(frag & SS_IPV4_MF), pkt);
}

/* What the fingerprint takes from an IPv6 header. */
static __always_inline void ss_fill_ipv6(struct ss_pkt *pkt, const struct ss_hdr_ipv6 *ip6)
{
	__u32 vtf = ss_ntohl(ip6->ver_tc_flow);

	pkt->ttl = ip6->hop_limit;
	pkt->tos = (vtf >> 20) & 0xff;
	pkt->flow = vtf & 0xfffff;
	pkt->ip_id = 0;
	pkt->ip_frag = 0;
	pkt->ip_opt_len = 0;
}

static __always_inline int ss_parse_ipv6(struct ss_cursor *c, struct ss_pkt *pkt)
{
	const struct ss_hdr_ipv6 *ip6;
	struct ss_hdr_ipv6 copy;
	__u32 plen, used = 0, len;
	int first_fragment = 0;
	__u8 next;
	int i;

	if (SS_HDR(c, &copy, &ip6))
		return SS_PARSE_TRUNCATED;
	if ((ss_ntohl(ip6->ver_tc_flow) >> 28) != 6)
		return SS_PARSE_BAD_IPV6;
	plen = ss_ntohs(ip6->payload_len);
	next = ip6->nexthdr;
	c->off += sizeof(copy);
	if (next == SS_IPPROTO_TCP) {
		/* No extension header, the common case, spelled apart (as
		 * the walk below would end): at a constant offset in, the
		 * TCP header is at one too (see ss_load()). */
		pkt->family = 6;
		ss_fill_ipv6(pkt, ip6);
		__builtin_memcpy(pkt->saddr, ip6->saddr, 16);
		__builtin_memcpy(pkt->daddr, ip6->daddr, 16);
		return ss_parse_tcp(c, plen ? plen : SS_LEN_UNKNOWN, 0, pkt);
	}

	for (i = 0; i < SS_IPV6_EXT_MAX_CHAIN; i++) {
		if (next == SS_IPPROTO_TCP)
			break;
		if (next == SS_IPPROTO_FRAGMENT) {
			struct ss_hdr_ipv6_frag fh;

			if (SS_READ(c, &fh))
				return SS_PARSE_TRUNCATED;
			if (ss_ntohs(fh.frag_off) & SS_IPV6_OFFMASK)
				return SS_PARSE_FRAGMENT;
			first_fragment = ss_ntohs(fh.frag_off) & 1;
			next = fh.nexthdr;
			len = sizeof(fh);
		} else if (next == SS_IPPROTO_HOPOPTS || next == SS_IPPROTO_ROUTING ||
			   next == SS_IPPROTO_DSTOPTS || next == SS_IPPROTO_AH) {
			struct ss_hdr_ipv6_ext eh;

			if (SS_READ(c, &eh))
				return SS_PARSE_TRUNCATED;
			/* RFC 8200: length in 8-octet units not counting the
			 * first 8; RFC 4302: AH counts 4-octet units minus 2. */
			if (next == SS_IPPROTO_AH)
				len = ((__u32)eh.hdrlen + 2) * 4;
			else
				len = ((__u32)eh.hdrlen + 1) * 8;
			next = eh.nexthdr;
		} else {
			return SS_PARSE_NOT_TCP;
		}
		if (!ss_have(c, len))
			return SS_PARSE_TRUNCATED;
		c->off += len;
		used += len;
	}
	if (next == SS_IPPROTO_HOPOPTS || next == SS_IPPROTO_ROUTING ||
	    next == SS_IPPROTO_DSTOPTS || next == SS_IPPROTO_AH ||
	    next == SS_IPPROTO_FRAGMENT)
		return SS_PARSE_BAD_IPV6; /* chain longer than we walk */
	if (next != SS_IPPROTO_TCP)
		return SS_PARSE_NOT_TCP;
	if (plen != 0 && plen < used)
		return SS_PARSE_BAD_IPV6;

	pkt->family = 6;
	ss_fill_ipv6(pkt, ip6);
	__builtin_memcpy(pkt->saddr, ip6->saddr, 16);
	__builtin_memcpy(pkt->daddr, ip6->daddr, 16);
	return ss_parse_tcp(c, plen ? plen - used : SS_LEN_UNKNOWN,
			    first_fragment, pkt);
}

/* Network layer at the read position, given its ethertype. */
static __always_inline int ss_parse_l3(struct ss_cursor *c, __u16 proto,
				       struct ss_pkt *pkt)
{
	if (proto == SS_ETH_P_IP)
		return ss_parse_ipv4(c, pkt);
	if (proto == SS_ETH_P_IPV6)
		return ss_parse_ipv6(c, pkt);
	return SS_PARSE_NOT_IP;
}

/* Ethernet frame at the read position: up to SS_VLAN_MAX_DEPTH tags, then
 * IP, TCP. */
static __always_inline int ss_parse_eth(struct ss_cursor *c, struct ss_pkt *pkt)
{
	const struct ss_hdr_eth *eth;
	struct ss_hdr_eth copy;
	__u16 proto;
	int i;

	if (SS_HDR(c, &copy, &eth))
		return SS_PARSE_TRUNCATED;
	proto = ss_ntohs(eth->proto);
	c->off += sizeof(copy);
	pkt->vlan_depth = 0;
	/* Untagged, the common case, spelled apart (as the loop below would
	 * end at once): the network header is then at a constant offset,
	 * which the kernel reads straight from the packet (see ss_load()). */
	if (proto == SS_ETH_P_IP || proto == SS_ETH_P_IPV6)
		return ss_parse_l3(c, proto, pkt);

	for (i = 0; i < SS_VLAN_MAX_DEPTH; i++) {
		struct ss_hdr_vlan vh;

		if (proto != SS_ETH_P_8021Q && proto != SS_ETH_P_8021AD)
			break;
		if (SS_READ(c, &vh))
			return SS_PARSE_TRUNCATED;
		proto = ss_ntohs(vh.proto);
		c->off += sizeof(vh);
		pkt->vlan_depth++;
		/* One tag then IP, spelled apart too (as the loop would end). */
		if (i == 0 && (proto == SS_ETH_P_IP || proto == SS_ETH_P_IPV6))
			return ss_parse_l3(c, proto, pkt);
	}
	/* A third tag is left unparsed: counted as not IP. */
	return ss_parse_l3(c, proto, pkt);
}

#ifndef __bpf__
/* The option bytes of a parsed segment (at most 40) into opts; returns how
 * many (0 when the segment has none). The kernel copies them into the
 * event itself (bpf/synscope.bpf.c, emit()). */
static __always_inline __u8 ss_copy_tcp_opts(struct ss_cursor *c, const struct ss_pkt *pkt,
					     __u8 *opts)
{
	__u32 len = pkt->doff - sizeof(struct ss_hdr_tcp);

	if (len == 0 || len > SS_OPT_RAW_SIZE)
		return 0;
	if (ss_load(c, pkt->tcp_off + sizeof(struct ss_hdr_tcp), opts, len))
		return 0;
	return len;
}

/* Option summary flags (struct ss_opts.present). */
#define SS_OPT_MSS       0x01
#define SS_OPT_WSCALE    0x02
#define SS_OPT_SACK_OK   0x04
#define SS_OPT_TS        0x08
#define SS_OPT_MALFORMED 0x80 /* option walk stopped at a bad length */

#define SS_OPT_KINDS_MAX 12 /* option kinds recorded in wire order */

/* What the walk of a segment's options found (RFC 9293 3.1, RFC 7323,
 * RFC 2018). */
struct ss_opts {
	__u16 mss;
	__u8 wscale;
	__u8 present;                    /* SS_OPT_* */
	__u8 kinds[SS_OPT_KINDS_MAX];    /* wire order (EOL included), nkinds valid */
	__u8 nkinds;                     /* number of kinds recorded */
	__u8 pad[3];
	__u32 ts_val;
	__u32 ts_ecr;
};

/*
 * Walk len option bytes: record the kinds in order, decode MSS, window
 * scale, SACK-permitted and timestamps. The walk ends at the end of the
 * list, at the end of the bytes, or at a bad length, which sets
 * SS_OPT_MALFORMED (what was read before it stays).
 */
static inline void ss_walk_tcp_opts_general(const __u8 *b, __u32 len, struct ss_opts *o)
{
	__u32 off = 0, olen;
	__u8 kind;

	__builtin_memset(o, 0, sizeof(*o));
	if (len > SS_OPT_RAW_SIZE)
		len = SS_OPT_RAW_SIZE;
	while (off < len) {
		kind = b[off];
		if (o->nkinds < SS_OPT_KINDS_MAX)
			o->kinds[o->nkinds++] = kind;
		if (kind == 0) /* end of option list */
			return;
		if (kind == 1) { /* NOP */
			off++;
			continue;
		}
		if (off + 2 > len) {
			o->present |= SS_OPT_MALFORMED;
			return;
		}
		olen = b[off + 1];
		if (olen < 2 || off + olen > len) {
			o->present |= SS_OPT_MALFORMED;
			return;
		}
		if (kind == 2 && olen == 4) {
			o->mss = (__u16)(b[off + 2] << 8 | b[off + 3]);
			o->present |= SS_OPT_MSS;
		} else if (kind == 3 && olen == 3) {
			o->wscale = b[off + 2];
			o->present |= SS_OPT_WSCALE;
		} else if (kind == 4 && olen == 2) {
			o->present |= SS_OPT_SACK_OK;
		} else if (kind == 8 && olen == 10) {
			o->ts_val = (__u32)b[off + 2] << 24 | (__u32)b[off + 3] << 16 |
				    (__u32)b[off + 4] << 8 | b[off + 5];
			o->ts_ecr = (__u32)b[off + 6] << 24 | (__u32)b[off + 7] << 16 |
				    (__u32)b[off + 8] << 8 | b[off + 9];
			o->present |= SS_OPT_TS;
		}
		off += olen;
	}
}

/* Linux's SYN and SYN-ACK options (MSS, SACK-permitted, timestamps, NOP,
 * window scale: 20 bytes), nearly every handshake on a Linux network, as
 * the general walk reads them but without its loop. */
static inline int ss_walk_linux_opts(const __u8 *b, __u32 len, struct ss_opts *o)
{
	static const __u8 kinds[5] = { 2, 4, 8, 1, 3 };

	if (len != 20 || b[0] != 2 || b[1] != 4 || b[4] != 4 || b[5] != 2 || b[6] != 8 ||
	    b[7] != 10 || b[16] != 1 || b[17] != 3 || b[18] != 3)
		return 0;
	__builtin_memset(o, 0, sizeof(*o));
	__builtin_memcpy(o->kinds, kinds, sizeof(kinds));
	o->nkinds = 5;
	o->mss = (__u16)(b[2] << 8 | b[3]);
	o->wscale = b[19];
	o->ts_val = (__u32)b[8] << 24 | (__u32)b[9] << 16 | (__u32)b[10] << 8 | b[11];
	o->ts_ecr = (__u32)b[12] << 24 | (__u32)b[13] << 16 | (__u32)b[14] << 8 | b[15];
	o->present = SS_OPT_MSS | SS_OPT_SACK_OK | SS_OPT_TS | SS_OPT_WSCALE;
	return 1;
}

/* The walk of a segment's options (the general walk gives the same for
 * every input: tests/bpf/test_parse.c compares them). */
static inline void ss_walk_tcp_opts(const __u8 *b, __u32 len, struct ss_opts *o)
{
	if (!ss_walk_linux_opts(b, len, o))
		ss_walk_tcp_opts_general(b, len, o);
}

/* Host convenience: copy and walk in one call; data..end is the buffer the
 * parsing cursor started on. */
static inline void ss_parse_tcp_opts(const void *data, const struct ss_pkt *pkt,
				     const void *end, struct ss_opts *o)
{
	struct ss_cursor c = { .pos = data, .end = end, .off = 0 };
	__u8 raw[SS_OPT_RAW_SIZE];

	ss_walk_tcp_opts(raw, ss_copy_tcp_opts(&c, pkt, raw), o);
}
#endif

/* The event kind a segment's flags call for; 0 = nothing to report. */
static __always_inline int ss_classify(__u8 flags)
{
	if (flags & SS_TCP_RST)
		return SS_EV_RST;
	if (flags & SS_TCP_SYN)
		return (flags & SS_TCP_ACK) ? SS_EV_SYNACK : SS_EV_SYN;
	if (flags & SS_TCP_FIN)
		return SS_EV_FIN;
	if (flags & SS_TCP_ACK)
		return SS_EV_ACK; /* a candidate: completes only a pending SYN-ACK */
	return 0;
}

/* Counter for a parse result that is not TCP. */
static __always_inline int ss_parse_counter(int result)
{
	switch (result) {
	case SS_PARSE_NOT_IP: return SS_C_NOT_IP;
	case SS_PARSE_NOT_TCP: return SS_C_NOT_TCP;
	case SS_PARSE_FRAGMENT: return SS_C_FRAGMENT;
	case SS_PARSE_TRUNCATED: return SS_C_BAD_TRUNCATED;
	case SS_PARSE_BAD_IPV4: return SS_C_BAD_IPV4;
	case SS_PARSE_BAD_IPV6: return SS_C_BAD_IPV6;
	default: return SS_C_BAD_TCP;
	}
}

/* Is `port` (host order) one of the first `n` of `ports`? Spelled out so
 * each read is at a fixed offset: a loop over a volatile array will not
 * unroll, and indexing it by a counter needs CAP_PERFMON in the kernel. */
#define SS_PORT_AT(k) (n > (k) && ports[k] == port)
static __always_inline int ss_port_listed(const volatile __u16 *ports, __u32 n,
					  __u16 port)
{
	return SS_PORT_AT(0) || SS_PORT_AT(1) || SS_PORT_AT(2) || SS_PORT_AT(3) ||
	       SS_PORT_AT(4) || SS_PORT_AT(5) || SS_PORT_AT(6) || SS_PORT_AT(7) ||
	       SS_PORT_AT(8) || SS_PORT_AT(9) || SS_PORT_AT(10) || SS_PORT_AT(11) ||
	       SS_PORT_AT(12) || SS_PORT_AT(13) || SS_PORT_AT(14) || SS_PORT_AT(15);
}
#undef SS_PORT_AT
_Static_assert(SS_MAX_PORTS == 16, "ss_port_listed spells out 16 ports");

/* Event fields that come from the packet (not time, interface, kind). */
static __always_inline void ss_fill_event(struct ss_event *e, const struct ss_pkt *pkt)
{
	e->family = pkt->family;
	e->tcp_flags = pkt->tcp_flags;
	__builtin_memcpy(e->saddr, pkt->saddr, 16);
	__builtin_memcpy(e->daddr, pkt->daddr, 16);
	e->sport = pkt->sport;
	e->dport = pkt->dport;
	e->seq = pkt->seq;
	e->ack = pkt->ack;
	e->window = pkt->window;
	e->ttl = pkt->ttl;
	e->vlan_depth = pkt->vlan_depth;
}

/* The fingerprint fields of a SYN or SYN-ACK (not the options, the cgroup). */
static __always_inline void ss_fill_event_syn(struct ss_event_syn *s, const struct ss_pkt *pkt)
{
	s->flow = pkt->flow;
	s->ip_id = pkt->ip_id;
	s->ip_frag = pkt->ip_frag;
	s->urg = pkt->urg;
	s->payload_len = pkt->payload_len > 0xffff ? 0xffff : pkt->payload_len;
	s->tos = pkt->tos;
	s->ip_opt_len = pkt->ip_opt_len;
	s->doff_res = pkt->doff_res;
}

#endif /* SS_PARSE_H */
