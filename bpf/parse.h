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
	SS_SRC_XDP,         /* a packet: ctx is a struct xdp_md */
	SS_SRC_SKB,         /* a packet: ctx is a struct __sk_buff */
	SS_SRC_OPTS,        /* the option bytes copied to a struct ss_opts (ss_load_opts()) */
};
#endif

struct ss_cursor {
#ifdef __bpf__
	void *ctx;          /* struct xdp_md or struct __sk_buff */
	const __u8 *data;   /* the packet's linear part, data .. data_end; for
			     * SS_SRC_OPTS the struct ss_opts (in a map value) */
	const __u8 *data_end;
	__u64 src;          /* enum ss_src, a constant per program; a whole
			     * stack slot, so that the verifier still knows it
			     * once the cursor is spilled */
	__u32 len;          /* packet length (SS_SRC_OPTS: bytes of options) */
#else
	const void *pos;    /* first byte (does not move) */
	const void *end;    /* one past the last readable byte */
#endif
	__u32 off;          /* read position: bytes consumed so far */
};

static __always_inline __u32 ss_len(const struct ss_cursor *c)
{
#ifdef __bpf__
	return c->len;
#else
	return (const __u8 *)c->end - (const __u8 *)c->pos;
#endif
}

/* Are n more bytes there at the read position? */
static __always_inline int ss_have(const struct ss_cursor *c, __u32 n)
{
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

/*
 * Read n (a constant, at most 8) option bytes at a variable offset, off the
 * struct ss_opts that holds them, without moving a pointer by a variable
 * amount (see above): the five words of raw[] are loaded at fixed offsets
 * (the caller puts raw[] on an eight-byte boundary), the one that holds
 * each byte is picked by comparisons, the byte by a shift. The empty asm
 * keeps clang from turning the choice back into one load at a computed
 * address.
 */
static __always_inline int ss_load_opts(const struct ss_cursor *c, __u32 off, __u8 *dst, __u32 n)
{
	const __u8 *raw = c->data + __builtin_offsetof(struct ss_opts, raw);
	__u64 w0 = *(const __u64 *)raw, w1 = *(const __u64 *)(raw + 8);
	__u64 w2 = *(const __u64 *)(raw + 16), w3 = *(const __u64 *)(raw + 24);
	__u64 w4 = *(const __u64 *)(raw + 32);
	__u32 k;

	_Static_assert(SS_OPT_RAW_SIZE == 5 * 8, "five words");
	asm volatile("" : "+r"(w0), "+r"(w1), "+r"(w2), "+r"(w3), "+r"(w4));
	for (k = 0; k < n; k++) {
		__u32 p = off + k;
		__u64 x;

		if (p >= c->len || p >= SS_OPT_RAW_SIZE)
			return -1;
		x = p < 16 ? (p < 8 ? w0 : w1) : p < 32 ? (p < 24 ? w2 : w3) : w4;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		dst[k] = x >> ((p & 7) * 8);
#else
		dst[k] = x >> ((7 - (p & 7)) * 8);
#endif
	}
	return 0;
}
#endif

/* Copy n bytes at offset off. 0 on success. */
static __always_inline int ss_load(const struct ss_cursor *c, __u32 off, void *dst, __u32 n)
{
#ifdef __bpf__
	if (c->src == SS_SRC_OPTS)
		return __builtin_constant_p(n) && n <= 8 ? ss_load_opts(c, off, dst, n) : -1;
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
	struct ss_hdr_tcp th;
	__u32 doff;

	/* RFC 1858: a first fragment too short for the TCP header is not a
	 * segment we can classify; it is a fragment, not a malformed header. */
	if (l4len < sizeof(th))
		return first_fragment ? SS_PARSE_FRAGMENT : SS_PARSE_BAD_TCP;
	if (SS_READ(c, &th))
		return SS_PARSE_TRUNCATED;
	doff = (th.doff_res >> 4) * 4;
	if (doff < sizeof(th))
		return SS_PARSE_BAD_TCP;
	if (doff > l4len)
		return first_fragment ? SS_PARSE_FRAGMENT : SS_PARSE_BAD_TCP;
	if (!ss_have(c, doff))
		return SS_PARSE_TRUNCATED;

	pkt->sport = ss_ntohs(th.sport);
	pkt->dport = ss_ntohs(th.dport);
	pkt->seq = ss_ntohl(th.seq);
	pkt->ack = ss_ntohl(th.ack);
	pkt->window = ss_ntohs(th.window);
	pkt->tcp_flags = th.flags;
	pkt->doff = doff;
	pkt->payload_len = l4len == SS_LEN_UNKNOWN ? ss_len(c) - c->off - doff : l4len - doff;
	pkt->tcp_off = c->off;
	c->off += doff;
	return SS_PARSE_TCP;
}

static __always_inline int ss_parse_ipv4(struct ss_cursor *c, struct ss_pkt *pkt)
{
	struct ss_hdr_ipv4 ip;
	__u32 ihl, tot_len, l4len;
	__u16 frag;

	if (SS_READ(c, &ip))
		return SS_PARSE_TRUNCATED;
	if ((ip.ver_ihl >> 4) != 4)
		return SS_PARSE_BAD_IPV4;
	ihl = (ip.ver_ihl & 0x0f) * 4;
	if (ihl < sizeof(ip))
		return SS_PARSE_BAD_IPV4;
	tot_len = ss_ntohs(ip.tot_len);
	if (tot_len != 0 && tot_len < ihl)
		return SS_PARSE_BAD_IPV4;
	if (!ss_have(c, ihl))
		return SS_PARSE_TRUNCATED;
	if (ip.protocol != SS_IPPROTO_TCP)
		return SS_PARSE_NOT_TCP;
	frag = ss_ntohs(ip.frag_off);
	if (frag & SS_IPV4_OFFMASK)
		return SS_PARSE_FRAGMENT; /* later fragment: no TCP header */

	pkt->family = 4;
	pkt->ttl = ip.ttl;
	pkt->saddr[0] = ip.saddr;
	pkt->saddr[1] = pkt->saddr[2] = pkt->saddr[3] = 0;
	pkt->daddr[0] = ip.daddr;
	pkt->daddr[1] = pkt->daddr[2] = pkt->daddr[3] = 0;
	l4len = tot_len ? tot_len - ihl : SS_LEN_UNKNOWN;
	if (ihl == sizeof(ip)) {
		/* No options, the common case, spelled apart: at a constant
		 * offset in, the TCP header is at one too (see ss_load()). */
		c->off += sizeof(ip);
		return ss_parse_tcp(c, l4len, !!(frag & SS_IPV4_MF), pkt);
	}
	c->off += ihl;
	return ss_parse_tcp(c, l4len, !!(frag & SS_IPV4_MF), pkt);
}

static __always_inline int ss_parse_ipv6(struct ss_cursor *c, struct ss_pkt *pkt)
{
	struct ss_hdr_ipv6 ip6;
	__u32 plen, used = 0, len;
	int first_fragment = 0;
	__u8 next;
	int i;

	if (SS_READ(c, &ip6))
		return SS_PARSE_TRUNCATED;
	if ((ss_ntohl(ip6.ver_tc_flow) >> 28) != 6)
		return SS_PARSE_BAD_IPV6;
	plen = ss_ntohs(ip6.payload_len);
	next = ip6.nexthdr;
	c->off += sizeof(ip6);
	if (next == SS_IPPROTO_TCP) {
		/* No extension header, the common case, spelled apart (as
		 * the walk below would end): at a constant offset in, the
		 * TCP header is at one too (see ss_load()). */
		pkt->family = 6;
		pkt->ttl = ip6.hop_limit;
		__builtin_memcpy(pkt->saddr, ip6.saddr, 16);
		__builtin_memcpy(pkt->daddr, ip6.daddr, 16);
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
	pkt->ttl = ip6.hop_limit;
	__builtin_memcpy(pkt->saddr, ip6.saddr, 16);
	__builtin_memcpy(pkt->daddr, ip6.daddr, 16);
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
	struct ss_hdr_eth eth;
	__u16 proto;
	int i;

	if (SS_READ(c, &eth))
		return SS_PARSE_TRUNCATED;
	proto = ss_ntohs(eth.proto);
	c->off += sizeof(eth);
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

/*
 * TCP options of a parsed segment (RFC 9293 3.1, RFC 7323, RFC 2018): the
 * bytes (at most 40) are copied to o->raw for userspace, and walked by
 * ss_opt_step below to fill the summary.
 */
static __always_inline void ss_copy_tcp_opts(const struct ss_cursor *c,
					     const struct ss_pkt *pkt, struct ss_opts *o)
{
	__u32 len = pkt->doff - sizeof(struct ss_hdr_tcp);

	__builtin_memset(o, 0, sizeof(*o));
	if (len == 0 || len > SS_TCP_OPT_MAX_BYTES)
		return;
	if (ss_load(c, pkt->tcp_off + sizeof(struct ss_hdr_tcp), o->raw, len))
		return;
	o->raw_len = len;
}

/* State of an option walk over the copied option bytes (struct ss_opts
 * raw[], read through a cursor): bytes [0, len), the next at off. */
struct ss_opt_walk {
	__u32 len;
	__u32 off;
};

/*
 * One option of the walk: record its kind, decode MSS, window scale,
 * SACK-permitted and timestamps. Returns 1 when the walk is over (end of
 * list, end of bytes, or a bad length, which sets SS_OPT_MALFORMED; what
 * was read before it stays). Each step consumes at least one byte, so
 * SS_TCP_OPT_MAX_BYTES steps always suffice. Bytes are read with ss_load
 * at a scalar offset: no variable index into memory, which the verifier
 * accepts without CAP_PERFMON on every path.
 */
static __always_inline int ss_opt_step(const struct ss_cursor *c, struct ss_opts *o,
				       struct ss_opt_walk *w)
{
	__u32 off = w->off, len = w->len, olen, n;
	__u8 tlv[2], v[8];

	if (off >= len || len > SS_TCP_OPT_MAX_BYTES)
		return 1;
	if (ss_load(c, off, tlv, 1))
		return 1;
	n = o->nkinds;
	if (n < SS_OPT_KINDS_MAX) {
		/* Fixed offsets only: see above. */
		switch (n) {
		case 0: o->kinds[0] = tlv[0]; break;
		case 1: o->kinds[1] = tlv[0]; break;
		case 2: o->kinds[2] = tlv[0]; break;
		case 3: o->kinds[3] = tlv[0]; break;
		case 4: o->kinds[4] = tlv[0]; break;
		case 5: o->kinds[5] = tlv[0]; break;
		case 6: o->kinds[6] = tlv[0]; break;
		case 7: o->kinds[7] = tlv[0]; break;
		case 8: o->kinds[8] = tlv[0]; break;
		case 9: o->kinds[9] = tlv[0]; break;
		case 10: o->kinds[10] = tlv[0]; break;
		default: o->kinds[11] = tlv[0]; break;
		}
		o->nkinds = n + 1;
	}
	if (tlv[0] == 0) /* end of option list */
		return 1;
	if (tlv[0] == 1) { /* NOP */
		w->off = off + 1;
		return 0;
	}
	if (off + 2 > len || ss_load(c, off, tlv, 2)) {
		o->present |= SS_OPT_MALFORMED;
		return 1;
	}
	olen = tlv[1];
	if (olen < 2 || off + olen > len) {
		o->present |= SS_OPT_MALFORMED;
		return 1;
	}
	if (tlv[0] == 2 && olen == 4 && !ss_load(c, off + 2, v, 2)) {
		o->mss = ((__u16)v[0] << 8) | v[1];
		o->present |= SS_OPT_MSS;
	} else if (tlv[0] == 3 && olen == 3 && !ss_load(c, off + 2, v, 1)) {
		o->wscale = v[0];
		o->present |= SS_OPT_WSCALE;
	} else if (tlv[0] == 4 && olen == 2) {
		o->present |= SS_OPT_SACK_OK;
	} else if (tlv[0] == 8 && olen == 10 && !ss_load(c, off + 2, v, 8)) {
		o->ts_val = ((__u32)v[0] << 24) | ((__u32)v[1] << 16) | ((__u32)v[2] << 8) | v[3];
		o->ts_ecr = ((__u32)v[4] << 24) | ((__u32)v[5] << 16) | ((__u32)v[6] << 8) | v[7];
		o->present |= SS_OPT_TS;
	}
	w->off = off + olen;
	return 0;
}

#ifndef __bpf__
/* Walk the option bytes copied to o->raw (the kernel walks them too, with
 * the same steps under bpf_loop). */
static __always_inline void ss_walk_tcp_opts(struct ss_opts *o)
{
	struct ss_cursor c = { .pos = o->raw, .end = o->raw + o->raw_len, .off = 0 };
	struct ss_opt_walk w = { .len = o->raw_len, .off = 0 };
	int i;

	o->nkinds = 0;
	o->present = 0;
	for (i = 0; i < SS_TCP_OPT_MAX_BYTES; i++)
		if (ss_opt_step(&c, o, &w))
			break;
}

/* Host convenience: copy and walk in one call; data..end is the buffer the
 * parsing cursor started on. */
static __always_inline void ss_parse_tcp_opts(const void *data, const struct ss_pkt *pkt,
					      const void *end, struct ss_opts *o)
{
	struct ss_cursor c = { .pos = data, .end = end, .off = 0 };

	ss_copy_tcp_opts(&c, pkt, o);
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
	e->payload_len = pkt->payload_len;
}

#endif /* SS_PARSE_H */
