// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Unit tests of the host build of bpf/parse.h.
 *
 * Every expected value comes from what the test wrote into the packet
 * (tests/support/packets.h), never from the parser's own output. Every packet is
 * also parsed cut at every length: a strict prefix must never parse as TCP,
 * and, in the ASan build, must never be read past its end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "synscope.h"
#include "parse.h"
#include "packets.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- buffers and parsing ----------------------------------------------- */

/*
 * The first `len` bytes of a packet in a heap block that ends exactly where
 * they end, so ASan reports any read past them. The data starts 2 bytes
 * into the block, as NET_IP_ALIGN places it in the kernel: parse.h reads
 * headers through structs that require 4-byte alignment, and UBSan rejects
 * a member access through a misaligned IP header (see the report).
 */
#define HEAP_ALIGN_PAD 2

struct heap_pkt {
	uint8_t *block;
	uint8_t *data;
	size_t len;
};

static struct heap_pkt heap_copy(const uint8_t *src, size_t len)
{
	struct heap_pkt h;

	h.block = malloc(len + HEAP_ALIGN_PAD);
	assert_non_null(h.block);
	h.data = h.block + HEAP_ALIGN_PAD;
	h.len = len;
	memcpy(h.data, src, len);
	return h;
}

static void heap_free(struct heap_pkt *h)
{
	free(h->block);
	h->block = h->data = NULL;
}

static int parse(const struct heap_pkt *h, struct ss_pkt *pkt, struct ss_cursor *c)
{
	c->pos = h->data;
	c->end = h->data + h->len;
	c->off = 0;
	memset(pkt, 0, sizeof(*pkt));
	return ss_parse_eth(c, pkt);
}

/* A segment's option bytes as copied (the event's), and their walk. */
struct topts {
	uint8_t raw[SS_OPT_RAW_SIZE];
	uint8_t raw_len;
	struct ss_opts o;
};

/* Copy the options out of a segment parsed from `h` and walk them. */
static void parse_opts(const struct heap_pkt *h, const struct ss_pkt *pkt, struct topts *t)
{
	struct ss_cursor c = { .pos = h->data, .end = h->data + h->len, .off = 0 };

	/* Poison first: the walk must clear what it does not write. */
	memset(t, 0xee, sizeof(*t));
	t->raw_len = ss_copy_tcp_opts(&c, pkt, t->raw);
	ss_walk_tcp_opts(t->raw, t->raw_len, &t->o);
}

/* ---- expectations ------------------------------------------------------ */

static void check_addr(const __u32 *got, const uint8_t *want, int family)
{
	uint8_t zero[16] = { 0 };
	size_t n = family == 4 ? 4 : 16;

	assert_memory_equal(got, want, n);
	assert_memory_equal((const uint8_t *)got + n, zero, 16 - n); /* IPv4: rest 0 */
}

/* The summary and raw bytes the options in `f` must decode to. */
struct opts_want {
	uint8_t present;
	uint16_t mss;
	uint8_t wscale;
	uint32_t ts_val, ts_ecr;
	uint8_t nkinds;
	uint8_t kinds[SS_OPT_KINDS_MAX];
};

static void check_opts(const struct topts *t, const uint8_t *raw, uint8_t raw_len,
		       const struct opts_want *w)
{
	uint8_t kinds[SS_OPT_KINDS_MAX] = { 0 };
	const struct ss_opts *o = &t->o;

	assert_int_equal(t->raw_len, raw_len);
	assert_memory_equal(t->raw, raw, raw_len);
	assert_int_equal(o->present, w->present);
	assert_int_equal(o->mss, w->present & SS_OPT_MSS ? w->mss : 0);
	assert_int_equal(o->wscale, w->present & SS_OPT_WSCALE ? w->wscale : 0);
	assert_int_equal(o->ts_val, w->present & SS_OPT_TS ? w->ts_val : 0);
	assert_int_equal(o->ts_ecr, w->present & SS_OPT_TS ? w->ts_ecr : 0);
	assert_int_equal(o->nkinds, w->nkinds);
	/* Recorded kinds in wire order, the rest of the array 0. */
	memcpy(kinds, w->kinds, w->nkinds);
	assert_memory_equal(o->kinds, kinds, SS_OPT_KINDS_MAX);
}

/* What the standard option block of tp_flow_client()/tp_flow_synack()
 * says: 2-4-8-1-3 with the TP_SYN_* or TP_SYNACK_* values. */
static struct opts_want std_opts_want(const struct tp_flow *f)
{
	int synack = (f->flags & TP_ACK) != 0;
	struct opts_want w = {
		.present = SS_OPT_MSS | SS_OPT_WSCALE | SS_OPT_SACK_OK | SS_OPT_TS,
		.mss = synack ? TP_SYNACK_MSS : TP_SYN_MSS,
		.wscale = synack ? TP_SYNACK_WSCALE : TP_SYN_WSCALE,
		.ts_val = synack ? TP_SYNACK_TSVAL : TP_SYN_TSVAL,
		.ts_ecr = synack ? TP_SYN_TSVAL : 0,
		.nkinds = 5,
		.kinds = { 2, 4, 8, 1, 3 },
	};

	return w;
}

/* A parsed segment against the flow and shape it was built from. */
static void check_tcp(const struct heap_pkt *h, const struct tpkt *p,
		      const struct tp_shape *s, const struct tp_flow *f,
		      const struct ss_pkt *pkt, const struct ss_cursor *c)
{
	uint32_t doff = 20 + f->optlen;

	assert_int_equal(pkt->family, f->family);
	check_addr(pkt->saddr, f->saddr, f->family);
	check_addr(pkt->daddr, f->daddr, f->family);
	assert_int_equal(pkt->sport, f->sport);
	assert_int_equal(pkt->dport, f->dport);
	assert_int_equal(pkt->seq, f->seq);
	assert_int_equal(pkt->ack, f->ack);
	assert_int_equal(pkt->window, f->window);
	assert_int_equal(pkt->ttl, f->ttl);
	assert_int_equal(pkt->tcp_flags, f->flags);
	assert_int_equal(pkt->vlan_depth, s->nvlan);
	assert_int_equal(pkt->doff, doff);
	assert_int_equal(pkt->payload_len, s->payload);
	assert_int_equal(pkt->tcp_off, p->l4);
	/* What a fingerprint reads. */
	assert_int_equal(pkt->tos, f->tos);
	assert_int_equal(pkt->urg, f->urg);
	assert_int_equal(pkt->doff_res, (doff / 4) << 4 | (f->tcp_res & 0x0f));
	if (f->family == 4) {
		assert_int_equal(pkt->ip_id, TP_IP_ID(f));
		assert_int_equal(pkt->ip_frag, s->ip4_frag);
		assert_int_equal(pkt->ip_opt_len, s->ip4_optlen);
		assert_int_equal(pkt->flow, 0);
	} else {
		assert_int_equal(pkt->flow, TP_FLOW6(f));
		assert_int_equal(pkt->ip_id, 0);
		assert_int_equal(pkt->ip_frag, 0);
		assert_int_equal(pkt->ip_opt_len, 0);
	}
	/* The cursor stops right after the TCP header. */
	assert_ptr_equal(c->pos, h->data);
	assert_int_equal(c->off, p->l4 + doff);
}

/*
 * Every strict prefix of the packet, each in a buffer of its own length.
 * Cutting a header must never yield TCP; a good segment cut in its headers
 * is TRUNCATED. Cutting only payload leaves the segment parseable. For a
 * parsed segment, the option copy is also run against each prefix with the
 * full packet's parse result: it must stop at the prefix's end.
 */
static void check_prefixes(const struct tpkt *p, int full_result, const struct ss_pkt *full)
{
	uint32_t len;

	for (len = 0; len < p->len; len++) {
		struct heap_pkt h = heap_copy(p->b, len);
		struct ss_cursor c;
		struct ss_pkt pkt;
		int res = parse(&h, &pkt, &c);

		if (len < p->hdr_len) {
			if (res == SS_PARSE_TCP)
				fail_msg("prefix of %u/%u bytes parsed as TCP", len, p->len);
			if (full_result == SS_PARSE_TCP && res != SS_PARSE_TRUNCATED)
				fail_msg("prefix of %u/%u bytes: result %d, want TRUNCATED",
					 len, p->len, res);
		} else if (full_result == SS_PARSE_TCP) {
			assert_int_equal(res, SS_PARSE_TCP);
		}

		if (full_result == SS_PARSE_TCP) {
			uint32_t opt_start = full->tcp_off + 20, optlen = full->doff - 20;
			struct topts o;

			/* The copy is all or nothing: a cut option block is not
			 * half-read. */
			parse_opts(&h, full, &o);
			assert_int_equal(o.raw_len, len >= opt_start + optlen ? optlen : 0);
			assert_memory_equal(o.raw, p->b + opt_start, o.raw_len);
		}
		heap_free(&h);
	}
}

/* ---- the packet table -------------------------------------------------- */

struct pcase {
	const char *name;
	int family;
	uint8_t flags;
	struct tp_shape shape;
	void (*build)(struct tpkt *p);      /* instead of tp_build(), if set */
	void (*mutate)(struct tpkt *p);     /* after tp_build(): break a field */
	int want;                           /* SS_PARSE_* */
};

/* The segment a case describes: a SYN-ACK answers the client's SYN, every
 * other kind goes from the client. */
static struct tp_flow case_flow(const struct pcase *c)
{
	struct tp_flow syn = tp_flow_client(c->family, TP_SYN), f;

	if (c->flags == (TP_SYN | TP_ACK))
		f = tp_flow_synack(&syn);
	else
		f = tp_flow_client(c->family, c->flags);
	/* The fields a fingerprint reads, none at its builder's default. */
	f.tos = 0xb9;
	f.ip_id_xor = 0x0f0f;
	f.flow_xor = 0xabcde;
	f.urg = 0x4242;
	f.tcp_res = 0x5;
	return f;
}

static void mut_ihl4(struct tpkt *p) { tp_set8(p, p->l3, 0x44); }
static void mut_ip_version6(struct tpkt *p) { tp_set8(p, p->l3, 0x65); }
static void mut_ip6_version4(struct tpkt *p) { tp_set8(p, p->l3, 0x40); }
static void mut_totlen_lt_ihl(struct tpkt *p)
{
	tp_set16(p, p->l3 + 2, (p->b[p->l3] & 0x0f) * 4 - 1);
}
static void mut_ip_len0(struct tpkt *p)
{
	tp_set16(p, p->l3 + (p->family == 4 ? 2 : 4), 0); /* "BIG TCP" */
}
static void mut_ip6_plen4(struct tpkt *p) { tp_set16(p, p->l3 + 4, 4); }
static void mut_doff(struct tpkt *p, uint8_t words) { tp_set8(p, p->l4 + 12, words << 4); }
static void mut_doff4(struct tpkt *p) { mut_doff(p, 4); }
static void mut_doff0(struct tpkt *p) { mut_doff(p, 0); }
static void mut_doff15(struct tpkt *p) { mut_doff(p, 15); }
static void mut_cut_l4_8(struct tpkt *p) { tp_cut(p, p->l4 + 8); }
static void mut_cut_l4_10(struct tpkt *p) { tp_cut(p, p->l4 + 10); }
static void mut_cut_l4_20(struct tpkt *p) { tp_cut(p, p->l4 + 20); }

#define SYN TP_SYN
#define SYNACK (TP_SYN | TP_ACK)
#define ACK TP_ACK
#define RST (TP_RST | TP_ACK)
#define FIN (TP_FIN | TP_ACK)
#define EXT(t) { .type = TP_PROTO_##t }
#define FRAG(off, m) { .type = TP_PROTO_FRAGMENT, .frag_off = (off), .more = (m) }
#define LATER_FRAG_OFF 1480 /* bytes; the IPv4 field counts 8-byte units */

static const struct pcase cases[] = {
	/* Handshake segments, plain. */
	{ "v4_syn", 4, SYN, {0}, NULL, NULL, SS_PARSE_TCP },
	{ "v4_synack", 4, SYNACK, {0}, NULL, NULL, SS_PARSE_TCP },
	{ "v4_ack", 4, ACK, {0}, NULL, NULL, SS_PARSE_TCP },
	{ "v4_rst", 4, RST, {0}, NULL, NULL, SS_PARSE_TCP },
	{ "v4_fin", 4, FIN, {0}, NULL, NULL, SS_PARSE_TCP },
	{ "v6_syn", 6, SYN, {0}, NULL, NULL, SS_PARSE_TCP },
	{ "v6_synack", 6, SYNACK, {0}, NULL, NULL, SS_PARSE_TCP },
	{ "v6_ack", 6, ACK, {0}, NULL, NULL, SS_PARSE_TCP },
	{ "v6_rst", 6, RST, {0}, NULL, NULL, SS_PARSE_TCP },
	{ "v6_fin", 6, FIN, {0}, NULL, NULL, SS_PARSE_TCP },
	{ "v4_ack_payload", 4, ACK | TP_PSH, { .payload = 100 }, NULL, NULL, SS_PARSE_TCP },
	{ "v6_ack_payload", 6, ACK | TP_PSH, { .payload = 33 }, NULL, NULL, SS_PARSE_TCP },
	/* IP length 0 ("BIG TCP"): the payload length comes from the packet. */
	{ "v4_totlen0", 4, ACK, { .payload = 10 }, NULL, mut_ip_len0, SS_PARSE_TCP },
	{ "v6_plen0", 6, ACK, { .payload = 10 }, NULL, mut_ip_len0, SS_PARSE_TCP },

	/* VLAN tags: two are parsed, a third is not IP. */
	{ "v4_vlan_syn", 4, SYN, { .nvlan = 1 }, NULL, NULL, SS_PARSE_TCP },
	{ "v6_vlan_synack", 6, SYNACK, { .nvlan = 1 }, NULL, NULL, SS_PARSE_TCP },
	{ "v4_qinq_syn", 4, SYN, { .nvlan = 2, .qinq = 1 }, NULL, NULL, SS_PARSE_TCP },
	{ "v6_qinq_ack", 6, ACK, { .nvlan = 2, .qinq = 1 }, NULL, NULL, SS_PARSE_TCP },
	{ "v4_double_8021q", 4, RST, { .nvlan = 2 }, NULL, NULL, SS_PARSE_TCP },
	{ "v4_vlan_ad_single", 4, SYN, { .nvlan = 1, .qinq = 1 }, NULL, NULL, SS_PARSE_TCP },
	{ "v4_three_tags", 4, SYN, { .nvlan = 3, .qinq = 1 }, NULL, NULL, SS_PARSE_NOT_IP },

	/* IPv4 options. */
	{ "v4_ipopts4_syn", 4, SYN, { .ip4_optlen = 4 }, NULL, NULL, SS_PARSE_TCP },
	{ "v4_ipopts40_synack", 4, SYNACK, { .ip4_optlen = 40 }, NULL, NULL, SS_PARSE_TCP },
	{ "v4_qinq_ipopts_payload", 4, ACK,
	  { .nvlan = 2, .qinq = 1, .ip4_optlen = 12, .payload = 7 }, NULL, NULL, SS_PARSE_TCP },

	/* IPv6 extension headers, one of each, then chains. */
	{ "v6_hopopts", 6, SYN, { .n_ext6 = 1, .ext6 = { EXT(HOPOPTS) } }, NULL, NULL, SS_PARSE_TCP },
	{ "v6_hopopts_256", 6, SYN, { .n_ext6 = 1, .ext6 = { { .type = TP_PROTO_HOPOPTS, .len = 256 } } },
	  NULL, NULL, SS_PARSE_TCP },
	{ "v6_routing", 6, SYNACK, { .n_ext6 = 1, .ext6 = { { .type = TP_PROTO_ROUTING, .len = 24 } } },
	  NULL, NULL, SS_PARSE_TCP },
	{ "v6_dstopts", 6, ACK, { .n_ext6 = 1, .ext6 = { EXT(DSTOPTS) } }, NULL, NULL, SS_PARSE_TCP },
	{ "v6_atomic_fragment", 6, SYN, { .n_ext6 = 1, .ext6 = { FRAG(0, 0) } }, NULL, NULL, SS_PARSE_TCP },
	{ "v6_ah", 6, RST, { .n_ext6 = 1, .ext6 = { { .type = TP_PROTO_AH, .len = 24 } } },
	  NULL, NULL, SS_PARSE_TCP },
	{ "v6_chain6", 6, SYN,
	  { .n_ext6 = 6, .ext6 = { EXT(HOPOPTS), EXT(DSTOPTS), EXT(ROUTING), FRAG(0, 0), EXT(AH),
				   EXT(DSTOPTS) } }, NULL, NULL, SS_PARSE_TCP },
	{ "v6_qinq_chain6_payload", 6, ACK,
	  { .nvlan = 2, .qinq = 1, .payload = 5, .n_ext6 = 6,
	    .ext6 = { EXT(HOPOPTS), EXT(DSTOPTS), EXT(ROUTING), FRAG(0, 0), EXT(AH), EXT(DSTOPTS) } },
	  NULL, NULL, SS_PARSE_TCP },
	{ "v6_chain7", 6, SYN,
	  { .n_ext6 = 7, .ext6 = { EXT(HOPOPTS), EXT(DSTOPTS), EXT(ROUTING), FRAG(0, 0), EXT(AH),
				   EXT(DSTOPTS), EXT(DSTOPTS) } }, NULL, NULL, SS_PARSE_BAD_IPV6 },
	{ "v6_plen_lt_ext", 6, SYN, { .n_ext6 = 1, .ext6 = { EXT(HOPOPTS) } }, NULL, mut_ip6_plen4,
	  SS_PARSE_BAD_IPV6 },

	/* Fragments: parsed only with the whole TCP header in hand. */
	{ "v4_first_fragment", 4, SYN, { .ip4_frag = TP_IP4_MF }, NULL, NULL, SS_PARSE_TCP },
	{ "v4_later_fragment", 4, 0, { .ip4_frag = LATER_FRAG_OFF / 8, .l4 = TP_L4_NONE, .payload = 16 },
	  NULL, NULL, SS_PARSE_FRAGMENT },
	{ "v4_middle_fragment", 4, 0,
	  { .ip4_frag = TP_IP4_MF | LATER_FRAG_OFF / 8, .l4 = TP_L4_NONE, .payload = 16 },
	  NULL, NULL, SS_PARSE_FRAGMENT },
	{ "v4_tiny_first_fragment", 4, SYN, { .ip4_frag = TP_IP4_MF }, NULL, mut_cut_l4_8,
	  SS_PARSE_FRAGMENT },
	{ "v4_first_fragment_opts_split", 4, SYN, { .ip4_frag = TP_IP4_MF }, NULL, mut_cut_l4_20,
	  SS_PARSE_FRAGMENT },
	{ "v6_first_fragment", 6, SYN, { .n_ext6 = 1, .ext6 = { FRAG(0, 1) } }, NULL, NULL, SS_PARSE_TCP },
	{ "v6_later_fragment", 6, 0,
	  { .n_ext6 = 1, .ext6 = { FRAG(LATER_FRAG_OFF, 0) }, .l4 = TP_L4_NONE, .payload = 16 },
	  NULL, NULL, SS_PARSE_FRAGMENT },
	{ "v6_later_fragment_after_hop", 6, 0,
	  { .n_ext6 = 2, .ext6 = { EXT(HOPOPTS), FRAG(8, 1) }, .l4 = TP_L4_NONE, .payload = 16 },
	  NULL, NULL, SS_PARSE_FRAGMENT },
	{ "v6_tiny_first_fragment", 6, SYN, { .n_ext6 = 1, .ext6 = { FRAG(0, 1) } }, NULL, mut_cut_l4_8,
	  SS_PARSE_FRAGMENT },

	/* Bad IP headers. */
	{ "v4_ihl4", 4, SYN, {0}, NULL, mut_ihl4, SS_PARSE_BAD_IPV4 },
	{ "v4_version6", 4, SYN, {0}, NULL, mut_ip_version6, SS_PARSE_BAD_IPV4 },
	{ "v4_totlen_lt_ihl", 4, SYN, {0}, NULL, mut_totlen_lt_ihl, SS_PARSE_BAD_IPV4 },
	{ "v4_opts_totlen_lt_ihl", 4, SYN, { .ip4_optlen = 8 }, NULL, mut_totlen_lt_ihl,
	  SS_PARSE_BAD_IPV4 },
	{ "v6_version4", 6, SYN, {0}, NULL, mut_ip6_version4, SS_PARSE_BAD_IPV6 },

	/* Bad TCP data offsets and lengths. */
	{ "v4_doff4", 4, SYN, {0}, NULL, mut_doff4, SS_PARSE_BAD_TCP },
	{ "v4_doff0", 4, ACK, {0}, NULL, mut_doff0, SS_PARSE_BAD_TCP },
	{ "v6_doff4", 6, SYN, {0}, NULL, mut_doff4, SS_PARSE_BAD_TCP },
	{ "v4_doff_beyond_ip", 4, ACK, {0}, NULL, mut_doff15, SS_PARSE_BAD_TCP },
	{ "v6_doff_beyond_ip", 6, SYN, {0}, NULL, mut_doff15, SS_PARSE_BAD_TCP },
	{ "v4_ip_shorter_than_tcp", 4, ACK, {0}, NULL, mut_cut_l4_10, SS_PARSE_BAD_TCP },
	{ "v6_ip_shorter_than_tcp", 6, ACK, {0}, NULL, mut_cut_l4_10, SS_PARSE_BAD_TCP },

	/* Not IP, not TCP. */
	{ "arp", 4, 0, {0}, tp_build_arp, NULL, SS_PARSE_NOT_IP },
	{ "vlan_arp_ethertype", 4, 0, { .nvlan = 1, .ethertype = TP_ETH_P_ARP, .l4 = TP_L4_NONE }, NULL, NULL,
	  SS_PARSE_NOT_IP },
	{ "v4_udp", 4, 0, { .l4 = TP_L4_UDP, .payload = 4 }, NULL, NULL, SS_PARSE_NOT_TCP },
	{ "v4_udp_later_fragment", 4, 0, { .l4 = TP_L4_UDP, .ip4_frag = 100 }, NULL, NULL,
	  SS_PARSE_NOT_TCP },
	{ "v6_udp", 6, 0, { .l4 = TP_L4_UDP }, NULL, NULL, SS_PARSE_NOT_TCP },
	{ "v6_icmpv6", 6, 0, { .l4 = TP_L4_ICMPV6 }, NULL, NULL, SS_PARSE_NOT_TCP },
	{ "v6_hop_icmpv6", 6, 0, { .l4 = TP_L4_ICMPV6, .n_ext6 = 1, .ext6 = { EXT(HOPOPTS) } },
	  NULL, NULL, SS_PARSE_NOT_TCP },
	{ "v6_qinq_dst_udp", 6, 0,
	  { .nvlan = 2, .qinq = 1, .l4 = TP_L4_UDP, .n_ext6 = 1, .ext6 = { EXT(DSTOPTS) } },
	  NULL, NULL, SS_PARSE_NOT_TCP },
	/* A full chain of six that ends in UDP is not TCP, not a bad chain. */
	{ "v6_chain6_udp", 6, 0,
	  { .l4 = TP_L4_UDP, .n_ext6 = 6,
	    .ext6 = { EXT(HOPOPTS), EXT(DSTOPTS), EXT(ROUTING), FRAG(0, 0), EXT(AH), EXT(DSTOPTS) } },
	  NULL, NULL, SS_PARSE_NOT_TCP },
};

static void build_case(const struct pcase *c, struct tpkt *p, struct tp_flow *f)
{
	*f = case_flow(c);
	if (c->build)
		c->build(p);
	else
		tp_build(p, &c->shape, f);
	if (c->mutate)
		c->mutate(p);
}

static void run_case(void **state)
{
	const struct pcase *c = *state;
	struct tpkt p;
	struct tp_flow f;
	struct heap_pkt h;
	struct ss_cursor cur;
	struct ss_pkt pkt;
	int res;

	build_case(c, &p, &f);
	h = heap_copy(p.b, p.len);
	res = parse(&h, &pkt, &cur);
	assert_int_equal(res, c->want);
	if (res == SS_PARSE_TCP) {
		struct topts o;

		check_tcp(&h, &p, &c->shape, &f, &pkt, &cur);
		parse_opts(&h, &pkt, &o);
		if (f.optlen) {
			struct opts_want w = std_opts_want(&f);

			check_opts(&o, f.opts, f.optlen, &w);
		} else {
			struct opts_want none = { 0 };

			check_opts(&o, NULL, 0, &none);
		}
	}
	check_prefixes(&p, res, &pkt);
	heap_free(&h);
}

/* ---- TCP options ------------------------------------------------------- */

struct ocase {
	const char *name;
	uint8_t len;
	uint8_t bytes[40];
	struct opts_want want;
};

#define M SS_OPT_MSS
#define W SS_OPT_WSCALE
#define S SS_OPT_SACK_OK
#define T SS_OPT_TS
#define BAD SS_OPT_MALFORMED

static const struct ocase ocases[] = {
	{ "none", 0, {0}, { 0 } },
	{ "linux_syn", 20,
	  { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2, 0xb3, 0xb4, 1, 3, 3, 7 },
	  { M | W | S | T, 1460, 7, 0xa1a2a3a4, 0xb1b2b3b4, 5, { 2, 4, 8, 1, 3 } } },
	/* Windows order: MSS, NOP, WS, NOP, NOP, SACK_PERM. */
	{ "windows_order", 12, { 2, 4, 0x05, 0x78, 1, 3, 3, 8, 1, 1, 4, 2 },
	  { M | W | S, 1400, 8, 0, 0, 6, { 2, 1, 3, 1, 1, 4 } } },
	/* 16 NOPs then MSS: only 12 kinds fit, the walk still decodes MSS. */
	{ "more_than_12_kinds", 20, { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 0x02, 0x18 },
	  { M, 536, 0, 0, 0, 12, { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 } } },
	/* Full 40 bytes: Linux block, 4 NOPs, a 16-byte unknown kind. */
	{ "forty_bytes", 40,
	  { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 14,
	    1, 1, 1, 1, 30, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 },
	  { M | W | S | T, 1460, 14, 1, 2, 10, { 2, 4, 8, 1, 3, 1, 1, 1, 1, 30 } } },
	/* EOL ends the list: the WS after it is not read. */
	{ "eol", 8, { 2, 4, 0x05, 0xb4, 0, 3, 3, 7 }, { M, 1460, 0, 0, 0, 2, { 2, 0 } } },
	{ "eol_first", 4, { 0, 0, 0, 0 }, { 0, 0, 0, 0, 0, 1, { 0 } } },
	{ "unknown_skipped", 8, { 30, 6, 1, 2, 3, 4, 4, 2 }, { S, 0, 0, 0, 0, 2, { 30, 4 } } },
	/* A known kind with the wrong length is skipped, not decoded. */
	{ "wrong_length_known", 8, { 2, 6, 0x05, 0xb4, 0, 0, 3, 2 }, { 0, 0, 0, 0, 0, 2, { 2, 3 } } },
	/* TS claims 12 bytes, 4 remain. */
	{ "length_past_end", 8, { 2, 4, 0x05, 0xb4, 8, 12, 0, 0 },
	  { M | BAD, 1460, 0, 0, 0, 2, { 2, 8 } } },
	{ "length_one", 4, { 1, 30, 1, 0 }, { BAD, 0, 0, 0, 0, 2, { 1, 30 } } },
	{ "length_zero", 8, { 2, 4, 0x05, 0xb4, 30, 0, 0, 0 }, { M | BAD, 1460, 0, 0, 0, 2, { 2, 30 } } },
	/* A kind in the last byte has no length byte. */
	{ "kind_in_last_byte", 4, { 1, 1, 1, 2 }, { BAD, 0, 0, 0, 0, 4, { 1, 1, 1, 2 } } },
};

static void run_opts_case(void **state)
{
	const struct ocase *c = *state;
	struct tp_flow f = tp_flow_client(4, TP_SYN);
	struct tp_shape s = { 0 };
	struct heap_pkt h;
	struct ss_cursor cur;
	struct ss_pkt pkt;
	struct topts o;
	struct tpkt p;

	tp_set_opts(&f, c->bytes, c->len);
	tp_build(&p, &s, &f);
	h = heap_copy(p.b, p.len);
	assert_int_equal(parse(&h, &pkt, &cur), SS_PARSE_TCP);
	assert_int_equal(pkt.doff, 20 + c->len);
	parse_opts(&h, &pkt, &o);
	check_opts(&o, c->bytes, c->len, &c->want);
	check_prefixes(&p, SS_PARSE_TCP, &pkt);
	heap_free(&h);
}

/* ---- classification and counters -------------------------------------- */

static void test_classify(void **state)
{
	static const struct { uint8_t flags; int kind; } t[] = {
		{ 0, 0 },
		{ TP_SYN, SS_EV_SYN },
		{ TP_SYN | SS_TCP_ECE | SS_TCP_CWR, SS_EV_SYN },
		{ TP_SYN | TP_FIN, SS_EV_SYN },
		{ TP_SYN | TP_ACK, SS_EV_SYNACK },
		{ TP_SYN | TP_ACK | SS_TCP_ECE, SS_EV_SYNACK },
		{ TP_ACK, SS_EV_ACK },
		{ TP_ACK | TP_PSH, SS_EV_ACK },
		{ TP_RST, SS_EV_RST },
		{ TP_RST | TP_ACK, SS_EV_RST },
		{ TP_RST | TP_SYN, SS_EV_RST },
		{ TP_FIN, SS_EV_FIN },
		{ TP_FIN | TP_ACK, SS_EV_FIN },
		{ TP_PSH, 0 },
		{ SS_TCP_URG, 0 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		if (ss_classify(t[i].flags) != t[i].kind)
			fail_msg("flags 0x%02x: kind %d, want %d", t[i].flags,
				 ss_classify(t[i].flags), t[i].kind);
	}
}

static void test_parse_counter(void **state)
{
	static const struct { int result, counter; } t[] = {
		{ SS_PARSE_NOT_IP, SS_C_NOT_IP },
		{ SS_PARSE_NOT_TCP, SS_C_NOT_TCP },
		{ SS_PARSE_FRAGMENT, SS_C_FRAGMENT },
		{ SS_PARSE_TRUNCATED, SS_C_BAD_TRUNCATED },
		{ SS_PARSE_BAD_IPV4, SS_C_BAD_IPV4 },
		{ SS_PARSE_BAD_IPV6, SS_C_BAD_IPV6 },
		{ SS_PARSE_BAD_TCP, SS_C_BAD_TCP },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		assert_int_equal(ss_parse_counter(t[i].result), t[i].counter);
}

/* ---- garbage ----------------------------------------------------------- */

static uint32_t rng_state = 0x12345678;

static uint32_t rnd(void)
{
	return tp_rand(&rng_state);
}

static void test_garbage_fixed(void **state)
{
	uint8_t b[64];
	struct heap_pkt h;
	struct ss_cursor c;
	struct ss_pkt pkt;

	memset(b, 0xff, sizeof(b));        /* ethertype 0xffff */
	h = heap_copy(b, sizeof(b));
	assert_int_equal(parse(&h, &pkt, &c), SS_PARSE_NOT_IP);
	heap_free(&h);

	memset(b, 0, sizeof(b));           /* ethertype 0 */
	h = heap_copy(b, sizeof(b));
	assert_int_equal(parse(&h, &pkt, &c), SS_PARSE_NOT_IP);
	heap_free(&h);

	h = heap_copy(b, 13);              /* shorter than Ethernet */
	assert_int_equal(parse(&h, &pkt, &c), SS_PARSE_TRUNCATED);
	heap_free(&h);

	/* IPv4 ethertype, then zeros: version 0. */
	b[12] = 0x08;
	h = heap_copy(b, sizeof(b));
	assert_int_equal(parse(&h, &pkt, &c), SS_PARSE_BAD_IPV4);
	heap_free(&h);
}

/* Walk a copy whose bytes past raw_len are poisoned: the summary must not
 * change, so the walk reads nothing past raw_len. */
static void check_walk_bounded(const struct topts *copied)
{
	struct topts ta = *copied, tb = *copied;
	struct ss_opts a, b;

	memset(tb.raw + tb.raw_len, 0xee, SS_OPT_RAW_SIZE - tb.raw_len);
	ss_walk_tcp_opts(ta.raw, ta.raw_len, &a);
	ss_walk_tcp_opts(tb.raw, tb.raw_len, &b);
	assert_true(a.nkinds <= SS_OPT_KINDS_MAX);
	assert_int_equal(a.present, b.present);
	assert_int_equal(a.mss, b.mss);
	assert_int_equal(a.wscale, b.wscale);
	assert_int_equal(a.ts_val, b.ts_val);
	assert_int_equal(a.ts_ecr, b.ts_ecr);
	assert_int_equal(a.nkinds, b.nkinds);
	assert_memory_equal(a.kinds, b.kinds, SS_OPT_KINDS_MAX);
}

/*
 * Random bytes, often behind a real ethertype and IP version so the parse
 * gets deep. Whatever the result, nothing may be read past the buffer (the
 * ASan build checks), and a TCP result must describe a header inside it.
 */
static void test_garbage_random(void **state)
{
	static const uint16_t types[] = { TP_ETH_P_IP, TP_ETH_P_IPV6, TP_ETH_P_8021Q,
					  TP_ETH_P_8021AD };
	int iter, ntcp = 0;

	for (iter = 0; iter < 200000; iter++) {
		uint8_t b[160];
		uint32_t len = rnd() % sizeof(b), i;
		struct heap_pkt h;
		struct ss_cursor c;
		struct ss_pkt pkt;
		int res;

		for (i = 0; i < len; i++)
			b[i] = rnd();
		if (len >= 28 && rnd() % 4) {
			uint16_t t = types[rnd() % ARRAY_SIZE(types)];
			int ip = t == TP_ETH_P_IP || t == TP_ETH_P_IPV6 ? 14 : 18;

			b[12] = t >> 8;
			b[13] = t & 0xff;
			if (ip == 18) {         /* one tag, then IPv4 */
				b[16] = TP_ETH_P_IP >> 8;
				b[17] = TP_ETH_P_IP & 0xff;
			}
			b[ip] = (t == TP_ETH_P_IPV6 ? 0x60 : 0x40) | (b[ip] & 0x0f);
			if (rnd() % 2)          /* protocol / next header: TCP */
				b[ip + (t == TP_ETH_P_IPV6 ? 6 : 9)] = TP_PROTO_TCP;
		}
		h = heap_copy(b, len);
		res = parse(&h, &pkt, &c);
		assert_true(res >= SS_PARSE_TCP && res <= SS_PARSE_BAD_TCP);
		if (res == SS_PARSE_TCP) {
			struct topts o;

			ntcp++;
			assert_true(pkt.family == 4 || pkt.family == 6);
			assert_true(pkt.vlan_depth <= 2);
			assert_true(pkt.doff >= 20 && pkt.doff <= 60 && pkt.doff % 4 == 0);
			assert_true(pkt.tcp_off + pkt.doff <= len);
			assert_int_equal(c.off, pkt.tcp_off + pkt.doff);
			struct ss_cursor cc = { .pos = h.data, .end = h.data + h.len, .off = 0 };

			memset(&o, 0xee, sizeof(o));
			o.raw_len = ss_copy_tcp_opts(&cc, &pkt, o.raw);
			assert_int_equal(o.raw_len, pkt.doff - 20);
			check_walk_bounded(&o);
		}
		heap_free(&h);
	}
	/* The forced headers must have produced some segments to check. */
	assert_true(ntcp > 0);
}

/* The walk alone, on random option bytes of every length. */
static void test_walk_random(void **state)
{
	int iter;

	for (iter = 0; iter < 200000; iter++) {
		struct topts o;
		uint32_t i;

		memset(&o, 0, sizeof(o));
		o.raw_len = rnd() % (SS_TCP_OPT_MAX_BYTES + 1);
		for (i = 0; i < o.raw_len; i++) {
			/* Mostly small kinds and lengths, so options chain. */
			o.raw[i] = rnd() % 2 ? rnd() % 12 : rnd();
		}
		check_walk_bounded(&o);
	}
}

/* ---- main -------------------------------------------------------------- */

int main(void)
{
	static struct CMUnitTest packet_tests[ARRAY_SIZE(cases)];
	static struct CMUnitTest opt_tests[ARRAY_SIZE(ocases)];
	static const struct CMUnitTest other_tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_parse_counter),
		cmocka_unit_test(test_garbage_fixed),
		cmocka_unit_test(test_garbage_random),
		cmocka_unit_test(test_walk_random),
	};
	size_t i;
	int failed = 0;

	/* One cmocka test per table row, named after it. */
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		packet_tests[i].name = cases[i].name;
		packet_tests[i].test_func = run_case;
		packet_tests[i].initial_state = (void *)&cases[i];
	}
	for (i = 0; i < ARRAY_SIZE(ocases); i++) {
		opt_tests[i].name = ocases[i].name;
		opt_tests[i].test_func = run_opts_case;
		opt_tests[i].initial_state = (void *)&ocases[i];
	}
	failed += _cmocka_run_group_tests("packets", packet_tests, ARRAY_SIZE(packet_tests),
					  NULL, NULL);
	failed += _cmocka_run_group_tests("tcp_options", opt_tests, ARRAY_SIZE(opt_tests),
					  NULL, NULL);
	failed += cmocka_run_group_tests_name("misc", other_tests, NULL, NULL);
	return failed ? 1 : 0;
}
