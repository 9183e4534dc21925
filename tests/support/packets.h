/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Crafted packets for the parser and BPF tests.
 *
 * Every byte is written explicitly in network order, from values the test
 * chose, so a test can compare what the parser reports with what it put in
 * the packet. The wire constants below are our own on purpose: they must
 * not come from the code under test.
 *
 * A packet has no Ethernet padding and no data after the last header unless
 * the shape asks for payload, so every strict prefix cuts a header.
 * tp_finish() fills the IPv4 total length, the IPv6 payload length, the UDP
 * length and the IPv4 header checksum (nothing here validates the TCP
 * checksum, so it is left 0). Tests that want a wrong length poke it after
 * tp_build() with tp_set16().
 *
 * Functions are static inline so that a test using only some of them
 * builds cleanly with -Wunused-function.
 */
#ifndef SS_TEST_PACKETS_H
#define SS_TEST_PACKETS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TP_MAX 1024

#define TP_ETH_P_IP     0x0800
#define TP_ETH_P_ARP    0x0806
#define TP_ETH_P_8021Q  0x8100
#define TP_ETH_P_8021AD 0x88A8
#define TP_ETH_P_IPV6   0x86DD

#define TP_PROTO_HOPOPTS  0
#define TP_PROTO_ICMP     1
#define TP_PROTO_IPIP     4
#define TP_PROTO_TCP      6
#define TP_PROTO_UDP      17
#define TP_PROTO_ROUTING  43
#define TP_PROTO_FRAGMENT 44
#define TP_PROTO_AH       51
#define TP_PROTO_ICMPV6   58
#define TP_PROTO_NONE     59
#define TP_PROTO_DSTOPTS  60

#define TP_IP4_MF 0x2000 /* IPv4 "more fragments" flag in the frag field */

#define TP_FIN 0x01
#define TP_SYN 0x02
#define TP_RST 0x04
#define TP_PSH 0x08
#define TP_ACK 0x10

/* Values of the standard option blocks (see tp_opts_linux()). */
#define TP_SYN_MSS     1460
#define TP_SYN_WSCALE  7
#define TP_SYN_TSVAL   0x11223344u
#define TP_SYNACK_MSS    1400
#define TP_SYNACK_WSCALE 9
#define TP_SYNACK_TSVAL  0x55667788u

struct tpkt {
	uint8_t b[TP_MAX];
	uint32_t len;
	uint32_t l3;       /* offset of the IP header */
	uint32_t l4;       /* offset of the L4 header (or of the data after IP) */
	uint32_t hdr_len;  /* bytes of headers: len minus payload */
	int family;        /* 4, 6, or 0 when no IP header was written */
	uint8_t l4proto;   /* what was written at l4 */
};

/* One TCP segment as the test means it. */
struct tp_flow {
	int family;                     /* 4 or 6 */
	uint8_t saddr[16], daddr[16];   /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	uint8_t ttl;                    /* TTL or hop limit */
	uint8_t optlen;                 /* TCP option bytes, a multiple of 4 */
	uint8_t opts[40];
	/* What a fingerprint reads; zero keeps the builder's defaults (TOS
	 * 0, IPv4 id 0x1234, IPv6 flow label 0x12345, urgent pointer 0). */
	uint8_t tos;                    /* IPv4 TOS / IPv6 traffic class */
	uint16_t ip_id_xor;             /* IPv4 id = 0x1234 ^ this */
	uint32_t flow_xor;              /* IPv6 flow label = 0x12345 ^ this */
	uint16_t urg;
	uint8_t tcp_res;                /* the low nibble of TCP byte 12 */
};

#define TP_IP_ID(f) ((uint16_t)(0x1234 ^ (f)->ip_id_xor))
#define TP_FLOW6(f) ((0x12345 ^ (f)->flow_xor) & 0xfffff)

/* IPv6 extension header in a chain. */
struct tp_ext6 {
	uint8_t type;        /* TP_PROTO_HOPOPTS, _ROUTING, _FRAGMENT, _AH, _DSTOPTS */
	uint16_t len;        /* total bytes; 0 = smallest (8, AH 16) */
	uint16_t frag_off;   /* fragment: offset in bytes, a multiple of 8 */
	uint8_t more;        /* fragment: M flag */
};

enum tp_l4 {
	TP_L4_TCP = 0,
	TP_L4_UDP,
	TP_L4_ICMPV6,
	TP_L4_NONE,  /* IP says TCP, but only payload follows (later fragment) */
};

/* How the segment is wrapped. All-zero = plain Ethernet + IP + TCP. */
struct tp_shape {
	uint8_t nvlan;          /* tags, 0..3 */
	uint8_t qinq;           /* outer tag uses the 802.1ad TPID */
	uint16_t ethertype;     /* innermost ethertype; 0 = from the family */
	uint8_t ip4_optlen;     /* IPv4 option bytes, a multiple of 4, <= 40 */
	uint16_t ip4_frag;      /* IPv4 flags+offset field (offset in 8-byte units) */
	uint8_t n_ext6;
	struct tp_ext6 ext6[8];
	uint8_t l4;             /* enum tp_l4 */
	uint16_t payload;       /* bytes after the L4 header */
};

static inline void tp_fail(const char *what)
{
	fprintf(stderr, "packets.h: %s\n", what);
	abort();
}

static inline void tp_put8(struct tpkt *p, uint8_t v)
{
	if (p->len >= TP_MAX)
		tp_fail("packet too long");
	p->b[p->len++] = v;
}

static inline void tp_put16(struct tpkt *p, uint16_t v)
{
	tp_put8(p, v >> 8);
	tp_put8(p, v & 0xff);
}

static inline void tp_put32(struct tpkt *p, uint32_t v)
{
	tp_put16(p, v >> 16);
	tp_put16(p, v & 0xffff);
}

static inline void tp_putn(struct tpkt *p, const void *src, uint32_t n)
{
	const uint8_t *s = src;
	uint32_t i;

	for (i = 0; i < n; i++)
		tp_put8(p, s ? s[i] : 0);
}

static inline void tp_fill(struct tpkt *p, uint8_t v, uint32_t n)
{
	while (n--)
		tp_put8(p, v);
}

static inline void tp_set8(struct tpkt *p, uint32_t off, uint8_t v)
{
	if (off >= p->len)
		tp_fail("poke past the end");
	p->b[off] = v;
}

static inline void tp_set16(struct tpkt *p, uint32_t off, uint16_t v)
{
	tp_set8(p, off, v >> 8);
	tp_set8(p, off + 1, v & 0xff);
}

static inline uint16_t tp_get16(const struct tpkt *p, uint32_t off)
{
	return (uint16_t)(p->b[off] << 8 | p->b[off + 1]);
}

static inline void tp_init(struct tpkt *p)
{
	memset(p, 0, sizeof(*p));
}

/* ---- layers ------------------------------------------------------------ */

static inline void tp_eth(struct tpkt *p, uint16_t ethertype)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	tp_putn(p, dst, 6);
	tp_putn(p, src, 6);
	tp_put16(p, ethertype);
}

/* A tag's body: TCI, then the ethertype of what follows. Its own TPID is
 * the previous ethertype field. */
static inline void tp_vlan(struct tpkt *p, uint16_t vid, uint16_t ethertype)
{
	tp_put16(p, vid & 0x0fff);
	tp_put16(p, ethertype);
}

static inline void tp_ipv4(struct tpkt *p, const struct tp_flow *f, uint8_t proto,
		    uint8_t optlen, uint16_t frag)
{
	uint32_t i;

	if (optlen % 4 || optlen > 40)
		tp_fail("bad IPv4 option length");
	p->l3 = p->len;
	p->family = 4;
	tp_put8(p, 0x40 | (20 + optlen) / 4);
	tp_put8(p, f->tos);
	tp_put16(p, 0);                 /* total length: tp_finish() */
	tp_put16(p, TP_IP_ID(f));
	tp_put16(p, frag);
	tp_put8(p, f->ttl);
	tp_put8(p, proto);
	tp_put16(p, 0);                 /* checksum: tp_finish() */
	tp_putn(p, f->saddr, 4);
	tp_putn(p, f->daddr, 4);
	/* Router Alert (RFC 2113), then NOPs. */
	for (i = 0; i < optlen; i++) {
		static const uint8_t ra[4] = { 148, 4, 0, 0 };

		tp_put8(p, i < 4 ? ra[i] : 1);
	}
}

static inline void tp_ipv6(struct tpkt *p, const struct tp_flow *f, uint8_t nexthdr)
{
	p->l3 = p->len;
	p->family = 6;
	tp_put32(p, 0x60000000 | (uint32_t)f->tos << 20 | TP_FLOW6(f));
	tp_put16(p, 0);                 /* payload length: tp_finish() */
	tp_put8(p, nexthdr);
	tp_put8(p, f->ttl);
	tp_putn(p, f->saddr, 16);
	tp_putn(p, f->daddr, 16);
}

static inline void tp_ext6(struct tpkt *p, const struct tp_ext6 *e, uint8_t next)
{
	uint16_t len = e->len;

	switch (e->type) {
	case TP_PROTO_FRAGMENT:
		tp_put8(p, next);
		tp_put8(p, 0);
		tp_put16(p, (e->frag_off & 0xfff8) | (e->more ? 1 : 0));
		tp_put32(p, 0xdeadbeef);    /* identification */
		return;
	case TP_PROTO_AH:
		/* RFC 4302: length in 4-octet units minus 2; IPv6 wants a
		 * multiple of 8 (a test may break that rule: 12 or 20 bytes).
		 * SPI, sequence, then the ICV. */
		len = len ? len : 16;
		if (len % 4 || len < 12)
			tp_fail("bad AH length");
		tp_put8(p, next);
		tp_put8(p, len / 4 - 2);
		tp_put16(p, 0);
		tp_put32(p, 0x100);         /* SPI */
		tp_put32(p, 1);             /* sequence number */
		tp_fill(p, 0xa5, len - 12); /* ICV */
		return;
	case TP_PROTO_ROUTING:
		/* RFC 8200: length in 8-octet units not counting the first 8.
		 * Type 253 (RFC 4727, experimental), no segments left. */
		len = len ? len : 8;
		if (len % 8)
			tp_fail("bad routing header length");
		tp_put8(p, next);
		tp_put8(p, len / 8 - 1);
		tp_put8(p, 253);
		tp_put8(p, 0);
		tp_fill(p, 0, len - 4);
		return;
	case TP_PROTO_HOPOPTS:
	case TP_PROTO_DSTOPTS:
		/* One PadN option fills the header. */
		len = len ? len : 8;
		if (len % 8)
			tp_fail("bad options header length");
		tp_put8(p, next);
		tp_put8(p, len / 8 - 1);
		tp_put8(p, 1);
		tp_put8(p, len - 4);
		tp_fill(p, 0, len - 4);
		return;
	default:
		tp_fail("unknown extension header");
	}
}

static inline void tp_tcp(struct tpkt *p, const struct tp_flow *f)
{
	if (f->optlen % 4 || f->optlen > 40)
		tp_fail("bad TCP option length");
	tp_put16(p, f->sport);
	tp_put16(p, f->dport);
	tp_put32(p, f->seq);
	tp_put32(p, f->ack);
	tp_put8(p, (uint8_t)(((20 + f->optlen) / 4) << 4 | (f->tcp_res & 0x0f)));
	tp_put8(p, f->flags);
	tp_put16(p, f->window);
	tp_put16(p, 0);                 /* checksum, unchecked */
	tp_put16(p, f->urg);
	tp_putn(p, f->opts, f->optlen);
}

/* Lengths and the IPv4 header checksum from what was written, for the
 * headers that are whole. Idempotent. */
static inline void tp_finish(struct tpkt *p)
{
	if (p->family == 4 && p->len >= p->l3 + (p->b[p->l3] & 0x0f) * 4u) {
		uint32_t ihl = (p->b[p->l3] & 0x0f) * 4, sum = 0, i;

		tp_set16(p, p->l3 + 2, p->len - p->l3);
		tp_set16(p, p->l3 + 10, 0);
		for (i = 0; i < ihl; i += 2)
			sum += tp_get16(p, p->l3 + i);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		tp_set16(p, p->l3 + 10, (uint16_t)~sum);
	} else if (p->family == 6 && p->len >= p->l3 + 40) {
		tp_set16(p, p->l3 + 4, p->len - p->l3 - 40);
	}
	if (p->l4proto == TP_PROTO_UDP && p->len >= p->l4 + 8)
		tp_set16(p, p->l4 + 4, p->len - p->l4);
}

/*
 * The whole packet: Ethernet, tags, IP (options / extension chain), the L4
 * header, payload (0x5a bytes). Tags get VIDs 100, 200, 300 from the
 * outside in.
 */
static inline void tp_build(struct tpkt *p, const struct tp_shape *s, const struct tp_flow *f)
{
	uint16_t l3type = s->ethertype ? s->ethertype :
			  f->family == 6 ? TP_ETH_P_IPV6 : TP_ETH_P_IP;
	uint8_t proto;
	int i;

	tp_init(p);
	if (s->nvlan == 0) {
		tp_eth(p, l3type);
	} else {
		tp_eth(p, s->qinq ? TP_ETH_P_8021AD : TP_ETH_P_8021Q);
		for (i = 0; i < s->nvlan; i++)
			tp_vlan(p, 100 * (i + 1), i + 1 < s->nvlan ? TP_ETH_P_8021Q : l3type);
	}

	switch (s->l4) {
	case TP_L4_UDP: proto = TP_PROTO_UDP; break;
	case TP_L4_ICMPV6: proto = TP_PROTO_ICMPV6; break;
	default: proto = TP_PROTO_TCP; break;
	}

	if (f->family == 4) {
		tp_ipv4(p, f, proto, s->ip4_optlen, s->ip4_frag);
	} else {
		tp_ipv6(p, f, s->n_ext6 ? s->ext6[0].type : proto);
		for (i = 0; i < s->n_ext6; i++)
			tp_ext6(p, &s->ext6[i], i + 1 < s->n_ext6 ? s->ext6[i + 1].type : proto);
	}

	p->l4 = p->len;
	p->l4proto = proto;
	switch (s->l4) {
	case TP_L4_TCP:
		tp_tcp(p, f);
		break;
	case TP_L4_UDP:
		p->l4proto = TP_PROTO_UDP;
		tp_put16(p, f->sport);
		tp_put16(p, f->dport);
		tp_put16(p, 0);         /* length: tp_finish() */
		tp_put16(p, 0);
		break;
	case TP_L4_ICMPV6:
		tp_put8(p, 128);        /* echo request */
		tp_put8(p, 0);
		tp_put16(p, 0);
		tp_put16(p, 1);         /* id */
		tp_put16(p, 1);         /* sequence */
		break;
	case TP_L4_NONE:
		p->l4proto = 0;
		break;
	}
	p->hdr_len = p->len;
	tp_fill(p, 0x5a, s->payload);
	tp_finish(p);
}

/* Cut the packet to `len` bytes and let the IP lengths say so too. */
static inline void tp_cut(struct tpkt *p, uint32_t len)
{
	if (len > p->len)
		tp_fail("cut longer than packet");
	p->len = len;
	if (p->hdr_len > len)
		p->hdr_len = len;
	tp_finish(p);
}

/* An Ethernet frame with an ARP request (not IP). */
static inline void tp_build_arp(struct tpkt *p)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	tp_init(p);
	tp_eth(p, TP_ETH_P_ARP);
	tp_put16(p, 1);                 /* Ethernet */
	tp_put16(p, TP_ETH_P_IP);
	tp_put8(p, 6);
	tp_put8(p, 4);
	tp_put16(p, 1);                 /* request */
	tp_putn(p, mac, 6);
	tp_put32(p, 0xc0000201);
	tp_fill(p, 0, 6);
	tp_put32(p, 0xc0000202);
	p->hdr_len = p->len;
}

/* ---- TCP options and standard flows ------------------------------------ */

/* What Linux puts in a SYN: MSS, SACK_PERM, TS, NOP, WS = kinds 2-4-8-1-3,
 * 20 bytes. Returns the length. */
static inline uint8_t tp_opts_linux(uint8_t *o, uint16_t mss, uint32_t tsval,
			     uint32_t tsecr, uint8_t ws)
{
	const uint8_t b[20] = {
		2, 4, mss >> 8, mss & 0xff,
		4, 2,
		8, 10, tsval >> 24, tsval >> 16 & 0xff, tsval >> 8 & 0xff, tsval & 0xff,
		tsecr >> 24, tsecr >> 16 & 0xff, tsecr >> 8 & 0xff, tsecr & 0xff,
		1,
		3, 3, ws,
	};

	memcpy(o, b, sizeof(b));
	return sizeof(b);
}

static inline void tp_set_opts(struct tp_flow *f, const uint8_t *opts, uint8_t len)
{
	memset(f->opts, 0, sizeof(f->opts));
	memcpy(f->opts, opts, len);
	f->optlen = len;
}

/*
 * A client-to-server segment: 192.0.2.1:40000 -> 198.51.100.2:80, or
 * 2001:db8::1 -> 2001:db8::2:80. A SYN carries the Linux options; other
 * flags carry none.
 */
static inline struct tp_flow tp_flow_client(int family, uint8_t flags)
{
	static const uint8_t s4[4] = { 192, 0, 2, 1 }, d4[4] = { 198, 51, 100, 2 };
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t d6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	struct tp_flow f;

	memset(&f, 0, sizeof(f));
	f.family = family;
	memcpy(f.saddr, family == 4 ? s4 : s6, family == 4 ? 4 : 16);
	memcpy(f.daddr, family == 4 ? d4 : d6, family == 4 ? 4 : 16);
	f.sport = 40000;
	f.dport = 80;
	f.seq = 0x10000000;
	f.ack = (flags & TP_ACK) ? 0x20000001 : 0;
	f.flags = flags;
	f.window = 64240;
	f.ttl = 64;
	if (flags & TP_SYN)
		f.optlen = tp_opts_linux(f.opts, TP_SYN_MSS, TP_SYN_TSVAL, 0, TP_SYN_WSCALE);
	return f;
}

/* The other direction of `f`: addresses and ports swapped. */
static inline struct tp_flow tp_flow_reverse(const struct tp_flow *f, uint8_t flags,
				      uint32_t seq, uint32_t ack)
{
	struct tp_flow r = *f;

	memcpy(r.saddr, f->daddr, 16);
	memcpy(r.daddr, f->saddr, 16);
	r.sport = f->dport;
	r.dport = f->sport;
	r.seq = seq;
	r.ack = ack;
	r.flags = flags;
	r.optlen = 0;
	memset(r.opts, 0, sizeof(r.opts));
	return r;
}

/* The server's SYN-ACK to SYN `syn`, with server-like options. */
static inline struct tp_flow tp_flow_synack(const struct tp_flow *syn)
{
	struct tp_flow r = tp_flow_reverse(syn, TP_SYN | TP_ACK, 0x20000000, syn->seq + 1);

	r.window = 65160;
	r.ttl = 63;
	r.optlen = tp_opts_linux(r.opts, TP_SYNACK_MSS, TP_SYNACK_TSVAL, TP_SYN_TSVAL,
				 TP_SYNACK_WSCALE);
	return r;
}

/* The client's ACK that completes `synack`. */
static inline struct tp_flow tp_flow_ack(const struct tp_flow *synack)
{
	struct tp_flow r = tp_flow_reverse(synack, TP_ACK, synack->ack, synack->seq + 1);

	r.window = 502;
	r.ttl = 64;
	return r;
}

/*
 * An ICMP (IPv4) or ICMPv6 "port unreachable" about `quoted`, sent back to
 * its source: the error quotes the offending packet from its IP header on,
 * whole (Linux quotes up to 576 bytes), so a TCP header sits inside it.
 * The ICMP checksum is left 0 (nothing here checks it).
 */
static inline void tp_build_icmp_error(struct tpkt *p, const struct tpkt *quoted)
{
	struct tp_flow r;
	int v4 = quoted->family == 4;

	memset(&r, 0, sizeof(r));
	r.family = quoted->family;
	r.ttl = 64;
	/* From the quoted packet's destination back to its source. */
	memcpy(r.saddr, quoted->b + quoted->l3 + (v4 ? 16 : 24), v4 ? 4 : 16);
	memcpy(r.daddr, quoted->b + quoted->l3 + (v4 ? 12 : 8), v4 ? 4 : 16);
	tp_init(p);
	tp_eth(p, v4 ? TP_ETH_P_IP : TP_ETH_P_IPV6);
	if (v4)
		tp_ipv4(p, &r, TP_PROTO_ICMP, 0, 0);
	else
		tp_ipv6(p, &r, TP_PROTO_ICMPV6);
	p->l4 = p->len;
	p->l4proto = v4 ? TP_PROTO_ICMP : TP_PROTO_ICMPV6;
	tp_put8(p, v4 ? 3 : 1);         /* destination unreachable */
	tp_put8(p, v4 ? 3 : 4);         /* port unreachable */
	tp_put16(p, 0);                 /* checksum */
	tp_put32(p, 0);                 /* unused */
	p->hdr_len = p->len;
	tp_putn(p, quoted->b + quoted->l3, quoted->len - quoted->l3);
	tp_finish(p);
}

/*
 * The primer: a server's SYN-ACK (tp_flow_synack() of the client's SYN)
 * that the corpus and malformed-packet tests replay before each input, so
 * that an input may complete it. *ack gets the ACK that does.
 */
static inline void tp_build_primer(struct tpkt *p, int family, struct tp_flow *ack)
{
	static const struct tp_shape plain;
	struct tp_flow syn = tp_flow_client(family, TP_SYN);
	struct tp_flow synack = tp_flow_synack(&syn);

	tp_build(p, &plain, &synack);
	if (ack)
		*ack = tp_flow_ack(&synack);
}

/* The primers the corpus and malformed-packet tests replay, one of each
 * family (IPv4 first); acks, unless NULL, gets the ACK completing each. */
#define TP_NPRIMERS 2

static inline void tp_build_primers(struct tpkt primers[TP_NPRIMERS],
				    struct tpkt acks[TP_NPRIMERS])
{
	static const int family[TP_NPRIMERS] = { 4, 6 };
	static const struct tp_shape plain;
	struct tp_flow ack;
	int i;

	for (i = 0; i < TP_NPRIMERS; i++) {
		tp_build_primer(&primers[i], family[i], &ack);
		if (acks)
			tp_build(&acks[i], &plain, &ack);
	}
}

/* xorshift32: deterministic, so a failing random case reproduces. */
static inline uint32_t tp_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

#endif /* SS_TEST_PACKETS_H */
