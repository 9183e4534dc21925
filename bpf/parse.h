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

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ss_ntohs(x) __builtin_bswap16(x)
#define ss_ntohl(x) __builtin_bswap32(x)
#else
#define ss_ntohs(x) (x)
#define ss_ntohl(x) (x)
#endif

/*
 * Wire headers, our own names so the host and BPF builds see one layout.
 * Packed on the host: a capture buffer puts the IP header at offset 14,
 * and reading its 32-bit fields through an aligned type is undefined
 * there. The layouts have no padding, so packing changes no offset; the
 * BPF build keeps natural alignment (the kernel aligns packet data).
 */
#ifdef __bpf__
#define SS_WIRE
#else
#define SS_WIRE __attribute__((packed))
#endif

struct SS_WIRE ss_hdr_eth {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
};

struct SS_WIRE ss_hdr_vlan {
	__be16 tci;
	__be16 proto;
};

struct SS_WIRE ss_hdr_ipv4 {
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

struct SS_WIRE ss_hdr_ipv6 {
	__be32 ver_tc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__be32 saddr[4];
	__be32 daddr[4];
};

/* Hop-by-hop, routing, destination options, AH: next header, then length. */
struct SS_WIRE ss_hdr_ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct SS_WIRE ss_hdr_ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset in 8-byte units << 3, low bit = more fragments */
	__be32 id;
};

struct SS_WIRE ss_hdr_tcp {
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

/* A read position in a packet and the end of readable bytes. */
struct ss_cursor {
	void *pos;
	void *end;
	__u32 off;          /* bytes consumed since the cursor started */
};

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
	void *tcp;          /* start of the TCP header */
};

/*
 * An IP length of 0 is legal on a GSO packet above 64 KiB ("BIG TCP",
 * Linux 5.19 for IPv6, 6.3 for IPv4): the length is then only known from
 * the packet itself.
 */
#define SS_LEN_UNKNOWN 0xffffffffu

/* TCP header at c->pos; l4len = bytes the IP header says follow it. */
static __always_inline int ss_parse_tcp(struct ss_cursor *c, __u32 l4len,
					int first_fragment, struct ss_pkt *pkt)
{
	struct ss_hdr_tcp *th = c->pos;
	__u32 doff;

	/* RFC 1858: a first fragment too short for the TCP header is not a
	 * segment we can classify; it is a fragment, not a malformed header. */
	if (l4len < sizeof(*th))
		return first_fragment ? SS_PARSE_FRAGMENT : SS_PARSE_BAD_TCP;
	if ((void *)(th + 1) > c->end)
		return SS_PARSE_TRUNCATED;
	doff = (th->doff_res >> 4) * 4;
	if (doff < sizeof(*th))
		return SS_PARSE_BAD_TCP;
	if (doff > l4len)
		return first_fragment ? SS_PARSE_FRAGMENT : SS_PARSE_BAD_TCP;
	if (c->pos + doff > c->end)
		return SS_PARSE_TRUNCATED;

	pkt->sport = ss_ntohs(th->sport);
	pkt->dport = ss_ntohs(th->dport);
	pkt->seq = ss_ntohl(th->seq);
	pkt->ack = ss_ntohl(th->ack);
	pkt->window = ss_ntohs(th->window);
	pkt->tcp_flags = th->flags;
	pkt->doff = doff;
	pkt->payload_len = l4len == SS_LEN_UNKNOWN ?
			   (__u32)(c->end - c->pos) - doff : l4len - doff;
	pkt->tcp = th;
	pkt->tcp_off = c->off;
	c->pos += doff;
	c->off += doff;
	return SS_PARSE_TCP;
}

static __always_inline int ss_parse_ipv4(struct ss_cursor *c, struct ss_pkt *pkt)
{
	struct ss_hdr_ipv4 *ip = c->pos;
	__u32 ihl, tot_len, l4len;
	__u16 frag;

	if ((void *)(ip + 1) > c->end)
		return SS_PARSE_TRUNCATED;
	if ((ip->ver_ihl >> 4) != 4)
		return SS_PARSE_BAD_IPV4;
	ihl = (ip->ver_ihl & 0x0f) * 4;
	if (ihl < sizeof(*ip))
		return SS_PARSE_BAD_IPV4;
	tot_len = ss_ntohs(ip->tot_len);
	if (tot_len != 0 && tot_len < ihl)
		return SS_PARSE_BAD_IPV4;
	if (c->pos + ihl > c->end)
		return SS_PARSE_TRUNCATED;
	if (ip->protocol != SS_IPPROTO_TCP)
		return SS_PARSE_NOT_TCP;
	frag = ss_ntohs(ip->frag_off);
	if (frag & SS_IPV4_OFFMASK)
		return SS_PARSE_FRAGMENT; /* later fragment: no TCP header */

	pkt->family = 4;
	pkt->ttl = ip->ttl;
	pkt->saddr[0] = ip->saddr;
	pkt->saddr[1] = pkt->saddr[2] = pkt->saddr[3] = 0;
	pkt->daddr[0] = ip->daddr;
	pkt->daddr[1] = pkt->daddr[2] = pkt->daddr[3] = 0;
	l4len = tot_len ? tot_len - ihl : SS_LEN_UNKNOWN;
	c->pos += ihl;
	c->off += ihl;
	return ss_parse_tcp(c, l4len, !!(frag & SS_IPV4_MF), pkt);
}

static __always_inline int ss_parse_ipv6(struct ss_cursor *c, struct ss_pkt *pkt)
{
	struct ss_hdr_ipv6 *ip6 = c->pos;
	__u32 plen, used = 0, len;
	int first_fragment = 0;
	__u8 next;
	int i;

	if ((void *)(ip6 + 1) > c->end)
		return SS_PARSE_TRUNCATED;
	if ((*(__u8 *)ip6 >> 4) != 6)
		return SS_PARSE_BAD_IPV6;
	plen = ss_ntohs(ip6->payload_len);
	next = ip6->nexthdr;
	c->pos = ip6 + 1;
	c->off += sizeof(*ip6);

	for (i = 0; i < SS_IPV6_EXT_MAX_CHAIN; i++) {
		if (next == SS_IPPROTO_TCP)
			break;
		if (next == SS_IPPROTO_FRAGMENT) {
			struct ss_hdr_ipv6_frag *fh = c->pos;

			if ((void *)(fh + 1) > c->end)
				return SS_PARSE_TRUNCATED;
			if (ss_ntohs(fh->frag_off) & SS_IPV6_OFFMASK)
				return SS_PARSE_FRAGMENT;
			first_fragment = ss_ntohs(fh->frag_off) & 1;
			next = fh->nexthdr;
			len = sizeof(*fh);
		} else if (next == SS_IPPROTO_HOPOPTS || next == SS_IPPROTO_ROUTING ||
			   next == SS_IPPROTO_DSTOPTS || next == SS_IPPROTO_AH) {
			struct ss_hdr_ipv6_ext *eh = c->pos;

			if ((void *)(eh + 1) > c->end)
				return SS_PARSE_TRUNCATED;
			/* RFC 8200: length in 8-octet units not counting the
			 * first 8; RFC 4302: AH counts 4-octet units minus 2. */
			if (next == SS_IPPROTO_AH)
				len = ((__u32)eh->hdrlen + 2) * 4;
			else
				len = ((__u32)eh->hdrlen + 1) * 8;
			next = eh->nexthdr;
		} else {
			return SS_PARSE_NOT_TCP;
		}
		if (c->pos + len > c->end)
			return SS_PARSE_TRUNCATED;
		c->pos += len;
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
	pkt->ttl = ip6->hop_limit;
	__builtin_memcpy(pkt->saddr, ip6->saddr, 16);
	__builtin_memcpy(pkt->daddr, ip6->daddr, 16);
	return ss_parse_tcp(c, plen ? plen - used : SS_LEN_UNKNOWN,
			    first_fragment, pkt);
}

/* Network layer at c->pos, given its ethertype. */
static __always_inline int ss_parse_l3(struct ss_cursor *c, __u16 proto,
				       struct ss_pkt *pkt)
{
	if (proto == SS_ETH_P_IP)
		return ss_parse_ipv4(c, pkt);
	if (proto == SS_ETH_P_IPV6)
		return ss_parse_ipv6(c, pkt);
	return SS_PARSE_NOT_IP;
}

/* Ethernet frame at c->pos: up to SS_VLAN_MAX_DEPTH tags, then IP, TCP. */
static __always_inline int ss_parse_eth(struct ss_cursor *c, struct ss_pkt *pkt)
{
	struct ss_hdr_eth *eth = c->pos;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return SS_PARSE_TRUNCATED;
	proto = ss_ntohs(eth->proto);
	c->pos = eth + 1;
	c->off += sizeof(*eth);
	pkt->vlan_depth = 0;

	for (i = 0; i < SS_VLAN_MAX_DEPTH; i++) {
		struct ss_hdr_vlan *vh = c->pos;

		if (proto != SS_ETH_P_8021Q && proto != SS_ETH_P_8021AD)
			break;
		if ((void *)(vh + 1) > c->end)
			return SS_PARSE_TRUNCATED;
		proto = ss_ntohs(vh->proto);
		c->pos = vh + 1;
		c->off += sizeof(*vh);
		pkt->vlan_depth++;
	}
	/* A third tag is left unparsed: counted as not IP. */
	return ss_parse_l3(c, proto, pkt);
}

/*
 * TCP options of a parsed segment (RFC 9293 3.1, RFC 7323, RFC 2018).
 * A bad length stops the walk and sets SS_OPT_MALFORMED; what was read
 * before it stays.
 */
/* Largest header offset: Ethernet, two tags, IPv6, six 2 KiB extensions. */
#define SS_HDR_OFF_MASK 0x3fff

/*
 * Copy a parsed segment's option bytes (at most 40) into o->raw. `data` is
 * where the parsing cursor started. The option pointer is rebuilt from
 * data plus a masked offset: every parse path (VLANs, IPv4 options, IPv6
 * extensions) then reaches this copy in one verifier state, where pkt->tcp
 * would carry each path's own pointer range. The length is a multiple of
 * 4 (the data offset counts words), so it is copied by words.
 */
static __always_inline void ss_copy_tcp_opts(void *data, const struct ss_pkt *pkt,
					     const void *end, struct ss_opts *o)
{
	const __u8 *opt = (const __u8 *)data +
			  (pkt->tcp_off & SS_HDR_OFF_MASK) + sizeof(struct ss_hdr_tcp);
	__u64 len = pkt->doff - sizeof(struct ss_hdr_tcp);
	__u64 i;

	__builtin_memset(o, 0, sizeof(*o));
	for (i = 0; i < SS_TCP_OPT_MAX_BYTES; i += 4) {
		if (i >= len || (const void *)(opt + i + 4) > end)
			break;
		__builtin_memcpy(&o->raw[i], opt + i, 4);
	}
	o->raw_len = i;
}

/*
 * Walk o->raw[0..raw_len) and fill the summary. Walking a copy by index,
 * not the packet, keeps the verifier's state count small: the packet
 * pointer ranges of each path would otherwise never prune. The kernel
 * build verifies this once, as a global function. 64-bit indexes: with
 * __u32 clang bounds-checks a zero-extended copy and indexes with the
 * original.
 */
static __always_inline void ss_walk_tcp_opts(struct ss_opts *o)
{
	__u64 len = o->raw_len, off = 0, olen, i;
	__u8 kind;

	if (len > SS_TCP_OPT_MAX_BYTES)
		len = SS_TCP_OPT_MAX_BYTES;
	for (i = 0; i < SS_TCP_OPT_MAX_BYTES; i++) {
		if (off >= len || off >= SS_TCP_OPT_MAX_BYTES)
			break;
		kind = o->raw[off];
		if (i < SS_OPT_KINDS_MAX) {
			o->kinds[i] = kind;
			o->nkinds = i + 1;
		}
		if (kind == 0) /* end of option list */
			break;
		if (kind == 1) { /* NOP */
			off = (off + 1) & 63;
			continue;
		}
		if (off + 1 >= len) {
			o->present |= SS_OPT_MALFORMED;
			break;
		}
		olen = o->raw[off + 1];
		if (olen < 2 || off + olen > len) {
			o->present |= SS_OPT_MALFORMED;
			break;
		}
		/* off < 40, so off + 9 < SS_OPT_RAW_SIZE. */
		if (kind == 2 && olen == 4) {
			o->mss = ((__u16)o->raw[off + 2] << 8) | o->raw[off + 3];
			o->present |= SS_OPT_MSS;
		} else if (kind == 3 && olen == 3) {
			o->wscale = o->raw[off + 2];
			o->present |= SS_OPT_WSCALE;
		} else if (kind == 4 && olen == 2) {
			o->present |= SS_OPT_SACK_OK;
		} else if (kind == 8 && olen == 10) {
			o->ts_val = ((__u32)o->raw[off + 2] << 24) |
				    ((__u32)o->raw[off + 3] << 16) |
				    ((__u32)o->raw[off + 4] << 8) | o->raw[off + 5];
			o->ts_ecr = ((__u32)o->raw[off + 6] << 24) |
				    ((__u32)o->raw[off + 7] << 16) |
				    ((__u32)o->raw[off + 8] << 8) | o->raw[off + 9];
			o->present |= SS_OPT_TS;
		}
		/* off + olen <= 40 already; the mask (a no-op here) widens the
		 * verifier's view of off to [0, 63] so that every path through
		 * this iteration meets the next in one prunable state. */
		off = (off + olen) & 63;
	}
}

#ifndef __bpf__
/* Host convenience: copy and walk in one call. */
static __always_inline void ss_parse_tcp_opts(void *data, const struct ss_pkt *pkt,
					      const void *end, struct ss_opts *o)
{
	ss_copy_tcp_opts(data, pkt, end, o);
	ss_walk_tcp_opts(o);
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

/* Is `port` (host order) one of the first `n` of `ports`? */
static __always_inline int ss_port_listed(const volatile __u16 *ports, __u32 n,
					  __u16 port)
{
	int i;

	for (i = 0; i < SS_MAX_PORTS; i++) {
		if ((__u32)i >= n)
			break;
		if (ports[i] == port)
			return 1;
	}
	return 0;
}

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
	e->payload_len = pkt->payload_len;
}

#endif /* SS_PARSE_H */
