// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The malformed-packet table (see malformed.h). Each builder starts from
 * a well-formed segment of tests/support/packets.h and breaks one thing; the
 * expectations say what a demanding user wants synscope to make of it.
 * Where the current behaviour is a choice rather than a rule, the comment
 * says why it is the right one.
 */
#include <stdio.h>
#include <string.h>
#include "malformed.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct tp_shape plain;

static struct tp_flow syn(int family)
{
	return tp_flow_client(family, TP_SYN);
}

/* A SYN without options: 20-byte TCP header. */
static struct tp_flow bare_syn(int family)
{
	struct tp_flow f = syn(family);

	tp_set_opts(&f, NULL, 0);
	return f;
}

/* The ACK that completes the primer of the family. */
static struct tp_flow completing_ack(int family)
{
	struct tp_flow ack;
	struct tpkt primer;

	tp_build_primer(&primer, family, &ack);
	return ack;
}

static void seg(struct tpkt *p, const struct tp_shape *s, const struct tp_flow *f)
{
	tp_build(p, s ? s : &plain, f);
}

/* IPv4 total length or IPv6 payload length, after tp_build(). */
static void set_ip_len(struct tpkt *p, uint16_t v)
{
	tp_set16(p, p->l3 + (p->family == 4 ? 2 : 4), v);
}

/* Keep the first `len` bytes, and the IP lengths as they were: the frame
 * ends before its headers say it does. */
static void drop_tail(struct tpkt *p, uint32_t len)
{
	p->len = p->hdr_len = len;
}

static void set_doff(struct tpkt *p, uint8_t words)
{
	tp_set8(p, p->l4 + 12, (uint8_t)(words << 4));
}

/* ---- VLAN tags ----------------------------------------------------------------- */

/* An S-tag alone (802.1ad with no C-tag after it) is how provider bridges
 * carry untagged customer frames: the segment inside is parsed. */
static void vlan_8021ad_then_ipv4(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, &(struct tp_shape){ .nvlan = 1, .qinq = 1 }, &f);
}

/* Two S-tags, or a C-tag then an S-tag: not the standard order, but each
 * is a tag synscope walks (two at most), so the SYN inside is seen. */
static void vlan_8021ad_then_8021ad(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, &(struct tp_shape){ .nvlan = 2, .qinq = 1 }, &f);
	tp_set16(p, 16, TP_ETH_P_8021AD);
}

static void vlan_8021q_then_8021ad(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	seg(p, &(struct tp_shape){ .nvlan = 2 }, &f);
	tp_set16(p, 16, TP_ETH_P_8021AD);
}

static void vlan_8021ad_then_arp(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, &(struct tp_shape){ .nvlan = 1, .qinq = 1, .ethertype = TP_ETH_P_ARP,
				   .l4 = TP_L4_NONE }, &f);
}

/* A third tag is beyond SS_VLAN_MAX_DEPTH: counted as not IP, even when
 * a real completing ACK sits behind it. */
static void vlan_three_tags_hiding_completing_ack(struct tpkt *p)
{
	struct tp_flow f = completing_ack(4);

	seg(p, &(struct tp_shape){ .nvlan = 3, .qinq = 1 }, &f);
}

static void vlan_three_8021q_tags(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	seg(p, &(struct tp_shape){ .nvlan = 3 }, &f);
}

static void vlan_tag_cut_in_half(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, &(struct tp_shape){ .nvlan = 1 }, &f);
	tp_cut(p, 16);
}

/* ---- IPv4 header ------------------------------------------------------------- */

static void ipv4_ihl_0(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, NULL, &f);
	tp_set8(p, p->l3, 0x40);
}

static void ipv4_ihl_4(struct tpkt *p)
{
	struct tp_flow f = completing_ack(4);

	seg(p, NULL, &f);
	tp_set8(p, p->l3, 0x44);
}

/* IHL 60 bytes in a 40-byte datagram. */
static void ipv4_ihl_past_total_length(struct tpkt *p)
{
	struct tp_flow f = bare_syn(4);

	seg(p, NULL, &f);
	tp_set8(p, p->l3, 0x4f);
}

/* IHL 60 bytes = the total length: the TCP header is read as IP options
 * and nothing is left for it. */
static void ipv4_ihl_swallows_tcp_header(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, NULL, &f);
	tp_set8(p, p->l3, 0x4f);
}

/* IHL 60 bytes, a total length that agrees, a frame that ends first. */
static void ipv4_ihl_past_end_of_frame(struct tpkt *p)
{
	struct tp_flow f = bare_syn(4);

	seg(p, NULL, &f);
	tp_set8(p, p->l3, 0x4f);
	set_ip_len(p, 80);
}

static void ipv4_total_length_less_than_ihl(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, NULL, &f);
	set_ip_len(p, 19);
}

static void ipv4_total_length_shorter_than_tcp_header(struct tpkt *p)
{
	struct tp_flow f = completing_ack(4);

	seg(p, NULL, &f);
	set_ip_len(p, 20 + 10);
}

static void ipv4_total_length_cuts_tcp_options(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, NULL, &f);
	set_ip_len(p, 20 + 24);
}

/* The total length says 1500 bytes, the frame holds the headers only.
 * Parsed, with the payload length the header gives: a capture cut by its
 * snapshot length looks exactly like this, and must still count. */
static void ipv4_total_length_past_end_of_frame(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, NULL, &f);
	set_ip_len(p, 1500);
}

static const char *payload_1440(const struct ss_event_syn *e, const struct ss_opts *o)
{
	(void)o;
	return e->payload_len == 1500 - 20 - 40 ? NULL : "payload_len is not 1440";
}

/* Total length 0 is a GSO packet above 64 KiB (BIG TCP): the length comes
 * from the packet. */
static void ipv4_total_length_0(struct tpkt *p)
{
	struct tp_flow f = completing_ack(4);

	seg(p, &(struct tp_shape){ .payload = 10 }, &f);
	set_ip_len(p, 0);
}

/* A SYN is never merged by GRO, so a SYN of total length 0 is malformed
 * (the kernel's IP layer drops it). synscope cannot tell it from a GSO
 * packet and counts it, as tcpdump and tshark (which decode total length
 * 0 as "TSO") do; the live and offline counts stay comparable with them. */
static void ipv4_syn_total_length_0(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, NULL, &f);
	set_ip_len(p, 0);
}

/* (A completing ACK's event carries no payload length: test_parse checks
 * the parser's for total length 0.) */

static void ipv4_version_5(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, NULL, &f);
	tp_set8(p, p->l3, 0x55);
}

static void ipv6_header_in_ipv4_ethertype(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	seg(p, &(struct tp_shape){ .ethertype = TP_ETH_P_IP }, &f);
}

static void ipv4_header_in_ipv6_ethertype(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, &(struct tp_shape){ .ethertype = TP_ETH_P_IPV6 }, &f);
}

/* ---- fragments ------------------------------------------------------------- */

/* MF with offset 0 is a first fragment: with the whole TCP header in it,
 * the SYN is real (reassembly will not change its header). */
static void ipv4_more_fragments_offset_0_syn(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, &(struct tp_shape){ .ip4_frag = TP_IP4_MF }, &f);
}

/* RFC 1858: a first fragment too short for the TCP header. */
static void ipv4_more_fragments_offset_0_tcp_header_split(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, &(struct tp_shape){ .ip4_frag = TP_IP4_MF }, &f);
	tp_cut(p, p->l4 + 8);
}

static void ipv4_more_fragments_offset_0_options_split(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, &(struct tp_shape){ .ip4_frag = TP_IP4_MF }, &f);
	tp_cut(p, p->l4 + 20);
}

/* Later fragments carry no TCP header, whatever their bytes look like. */
static void ipv4_non_first_fragment_holding_syn(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, &(struct tp_shape){ .ip4_frag = 185 }, &f);
}

/* Offset 8 bytes with MF: the overlapping-fragment attack of RFC 1858. */
static void ipv4_middle_fragment_holding_completing_ack(struct tpkt *p)
{
	struct tp_flow f = completing_ack(4);

	seg(p, &(struct tp_shape){ .ip4_frag = TP_IP4_MF | 1 }, &f);
}

static void ipv4_dont_fragment_syn(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, &(struct tp_shape){ .ip4_frag = 0x4000 }, &f);
}

/* The reserved flag (RFC 3514's "evil bit") changes nothing. */
static void ipv4_reserved_flag_syn(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, &(struct tp_shape){ .ip4_frag = 0x8000 }, &f);
}

#define EXT(t) { .type = TP_PROTO_##t }
#define FRAG(off, m) { .type = TP_PROTO_FRAGMENT, .frag_off = (off), .more = (m) }
#define CHAIN6 EXT(HOPOPTS), EXT(DSTOPTS), EXT(ROUTING), FRAG(0, 0), EXT(AH), EXT(DSTOPTS)

static void ipv6_non_first_fragment_holding_syn(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	seg(p, &(struct tp_shape){ .n_ext6 = 1, .ext6 = { FRAG(1480, 0) } }, &f);
}

static void ipv6_first_fragment_syn(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	seg(p, &(struct tp_shape){ .n_ext6 = 1, .ext6 = { FRAG(0, 1) } }, &f);
}

static void ipv6_first_fragment_tcp_header_split(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	seg(p, &(struct tp_shape){ .n_ext6 = 1, .ext6 = { FRAG(0, 1) } }, &f);
	tp_cut(p, p->l4 + 8);
}

/* RFC 6946: offset 0, no M flag: a whole datagram. */
static void ipv6_atomic_fragment_completing_ack(struct tpkt *p)
{
	struct tp_flow f = completing_ack(6);

	seg(p, &(struct tp_shape){ .n_ext6 = 1, .ext6 = { FRAG(0, 0) } }, &f);
}

/* ---- IPv6 extension chains ------------------------------------------------------ */

static void ipv6_chain_of_6_then_syn(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	seg(p, &(struct tp_shape){ .n_ext6 = 6, .ext6 = { CHAIN6 } }, &f);
}

static void ipv6_chain_of_7_then_syn(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	seg(p, &(struct tp_shape){ .n_ext6 = 7, .ext6 = { CHAIN6, EXT(DSTOPTS) } }, &f);
}

static void ipv6_chain_of_8_then_completing_ack(struct tpkt *p)
{
	struct tp_flow f = completing_ack(6);

	seg(p, &(struct tp_shape){ .n_ext6 = 8, .ext6 = { CHAIN6, EXT(DSTOPTS), EXT(HOPOPTS) } },
	    &f);
}

/* Next header 59 (RFC 8200 4.7): nothing follows, whatever the bytes. */
static void ipv6_no_next_header_then_syn_bytes(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	seg(p, NULL, &f);
	tp_set8(p, p->l3 + 6, TP_PROTO_NONE);
}

static void ipv6_hop_by_hop_then_no_next_header(struct tpkt *p)
{
	struct tp_flow f = completing_ack(6);

	seg(p, &(struct tp_shape){ .n_ext6 = 1, .ext6 = { EXT(HOPOPTS) } }, &f);
	tp_set8(p, p->l3 + 40, TP_PROTO_NONE);
}

/*
 * AH counts its length in 4-byte units minus 2 (RFC 4302), not in 8-byte
 * units minus 1 like the other extension headers. A 16-byte AH, then the
 * ACK completing the primer, whose payload is laid out so that a parser
 * using 8-byte units (24 bytes) lands on a SYN: data offset 5, flags SYN.
 */
static void ipv6_ah_length_in_4_byte_units(struct tpkt *p)
{
	struct tp_flow f = completing_ack(6);

	seg(p, &(struct tp_shape){ .n_ext6 = 1, .ext6 = { { .type = TP_PROTO_AH, .len = 16 } },
				   .payload = 20 }, &f);
	tp_set8(p, p->l4 + 8 + 12, 0x50);
	tp_set8(p, p->l4 + 8 + 13, TP_SYN);
}

/* A 12-byte AH (no ICV) breaks IPv6's multiple-of-8 rule; walked by its
 * own length all the same, as the kernel's ipv6_skip_exthdr() does. */
static void ipv6_ah_12_bytes(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	seg(p, &(struct tp_shape){ .n_ext6 = 1, .ext6 = { { .type = TP_PROTO_AH, .len = 12 } } },
	    &f);
}

static void ipv6_ext_header_past_end_of_frame(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	seg(p, &(struct tp_shape){ .n_ext6 = 1, .ext6 = { EXT(HOPOPTS) } }, &f);
	tp_set8(p, p->l3 + 41, 255);    /* 2048 bytes */
}

static void ipv6_payload_length_shorter_than_ext_chain(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	seg(p, &(struct tp_shape){ .n_ext6 = 1, .ext6 = { { .type = TP_PROTO_HOPOPTS, .len = 16 } } },
	    &f);
	set_ip_len(p, 8);
}

static void ipv6_payload_length_shorter_than_tcp_header(struct tpkt *p)
{
	struct tp_flow f = completing_ack(6);

	seg(p, NULL, &f);
	set_ip_len(p, 10);
}

/* ---- TCP header ------------------------------------------------------------------ */

static void tcp_data_offset_0(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, NULL, &f);
	set_doff(p, 0);
}

static void tcp_data_offset_4(struct tpkt *p)
{
	struct tp_flow f = completing_ack(6);

	seg(p, NULL, &f);
	set_doff(p, 4);
}

static void tcp_data_offset_past_ip_length(struct tpkt *p)
{
	struct tp_flow f = completing_ack(4);

	seg(p, NULL, &f);
	set_doff(p, 15);
}

/* Data offset 60 bytes, an IP length that agrees, 40 bytes in the frame. */
static void tcp_data_offset_past_end_of_frame(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, NULL, &f);
	set_doff(p, 15);
	set_ip_len(p, 20 + 60);
}

static void tcp_header_cut(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	seg(p, NULL, &f);
	drop_tail(p, p->l4 + 10);
}

/* The low nibble (reserved bits, AccECN's AE) does not change the data
 * offset. */
static void tcp_reserved_bits_syn(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, NULL, &f);
	tp_set8(p, p->l4 + 12, (uint8_t)(p->b[p->l4 + 12] | 0x0f));
}

/* ---- TCP options ----------------------------------------------------------------- */

static void syn_with_opts(struct tpkt *p, int family, const uint8_t *o, uint8_t len)
{
	struct tp_flow f = syn(family);

	tp_set_opts(&f, o, len);
	seg(p, NULL, &f);
}

#define OPT_CASE(name, family, ...)                                             \
	static void name(struct tpkt *p)                                        \
	{                                                                       \
		static const uint8_t o[] = { __VA_ARGS__ };                     \
		syn_with_opts(p, family, o, sizeof(o));                         \
	}

OPT_CASE(opt_eol_first, 4, 0, 0, 0, 0)
OPT_CASE(opt_eol_then_mss, 6, 0, 2, 4, 0x05, 0xb4, 1, 1, 1)
OPT_CASE(opt_length_0, 4, 30, 0, 0, 0)
OPT_CASE(opt_length_1, 6, 2, 1, 0x05, 0xb4)
OPT_CASE(opt_length_past_end, 4, 2, 4, 0x05, 0xb4, 8, 12, 0, 0)
OPT_CASE(opt_mss_length_3, 4, 2, 3, 0x05, 1)
OPT_CASE(opt_mss_length_6, 6, 2, 6, 0x05, 0xb4, 0, 0, 1, 1)
OPT_CASE(opt_window_scale_length_2, 4, 3, 2, 1, 1)
OPT_CASE(opt_window_scale_length_4, 4, 3, 4, 7, 0)
OPT_CASE(opt_timestamps_length_8, 6, 8, 8, 0, 0, 0, 1, 0, 0)
OPT_CASE(opt_timestamps_length_12, 4, 8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0)
OPT_CASE(opt_sack_permitted_length_3, 4, 4, 3, 0, 1)
OPT_CASE(opt_window_scale_15, 4, 3, 3, 15, 1)
OPT_CASE(opt_window_scale_255, 6, 1, 3, 3, 255)
OPT_CASE(opt_mss_twice, 4, 2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x18)
OPT_CASE(opt_forty_bytes, 6, 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 14,
	 1, 1, 1, 1, 30, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14)

static void opt_nop_run_40(struct tpkt *p)
{
	uint8_t o[40];

	memset(o, 1, sizeof(o));
	syn_with_opts(p, 4, o, sizeof(o));
}

/* 39 NOPs, then a kind in the last byte: no room for its length. */
static void opt_nop_run_then_kind_in_last_byte(struct tpkt *p)
{
	uint8_t o[40];

	memset(o, 1, sizeof(o));
	o[39] = 2;
	syn_with_opts(p, 6, o, sizeof(o));
}

static const char *nkinds_1(const struct ss_event_syn *e, const struct ss_opts *o)
{
	(void)e;
	return o->nkinds == 1 && o->kinds[0] == 0 ? NULL : "kinds are not [EOL]";
}

static const char *nkinds_12(const struct ss_event_syn *e, const struct ss_opts *o)
{
	(void)e;
	return o->nkinds == SS_OPT_KINDS_MAX ? NULL : "not 12 kinds recorded";
}

/* RFC 7323 2.3: a shift above 14 is used as 14, but the event reports
 * the wire, as it does the unscaled window. */
static const char *wscale_15(const struct ss_event_syn *e, const struct ss_opts *o)
{
	(void)e;
	return o->wscale == 15 ? NULL : "wscale is not 15";
}

static const char *wscale_255(const struct ss_event_syn *e, const struct ss_opts *o)
{
	(void)e;
	return o->wscale == 255 ? NULL : "wscale is not 255";
}

/* The last MSS wins, as in Linux's tcp_parse_options(). */
static const char *mss_536(const struct ss_event_syn *e, const struct ss_opts *o)
{
	(void)e;
	return o->mss == 536 ? NULL : "mss is not the second one (536)";
}

static const uint8_t bad_opts[8] = { 2, 4, 0x05, 0xb4, 30, 0, 0, 0 };

static void opt_malformed_on_synack(struct tpkt *p)
{
	struct tp_flow s = syn(6), f = tp_flow_synack(&s);

	f.sport = 8443;                 /* not the primer's flow */
	tp_set_opts(&f, bad_opts, sizeof(bad_opts));
	seg(p, NULL, &f);
}

/* Options are summarised for SYN and SYN-ACK only: a RST's and a
 * completing ACK's are not read, so they are not counted as malformed. */
static void opt_malformed_on_rst(struct tpkt *p)
{
	struct tp_flow f = tp_flow_client(4, TP_RST | TP_ACK);

	tp_set_opts(&f, bad_opts, sizeof(bad_opts));
	seg(p, NULL, &f);
}

static void opt_malformed_on_completing_ack(struct tpkt *p)
{
	struct tp_flow f = completing_ack(6);

	tp_set_opts(&f, bad_opts, sizeof(bad_opts));
	seg(p, NULL, &f);
}

/* ---- flags ----------------------------------------------------------------------- */

static void flags_case(struct tpkt *p, int family, uint8_t flags)
{
	struct tp_flow f = tp_flow_client(family, flags);

	seg(p, NULL, &f);
}

/*
 * SYN+FIN: Linux drops it at a listener, so no handshake follows; it is
 * still a connection attempt on the wire (and a classic scan), counted as
 * a SYN so that top sees it; its record ends as a timeout.
 */
static void flags_syn_fin(struct tpkt *p) { flags_case(p, 4, TP_SYN | TP_FIN); }
/* Any RST is a RST: it ends whatever it belongs to. */
static void flags_syn_rst(struct tpkt *p) { flags_case(p, 6, TP_SYN | TP_RST); }
static void flags_syn_ack_rst(struct tpkt *p) { flags_case(p, 4, TP_SYN | TP_ACK | TP_RST); }
static void flags_all_set(struct tpkt *p) { flags_case(p, 6, 0xff); }
/* A null scan: TCP, nothing else. */
static void flags_none(struct tpkt *p) { flags_case(p, 4, 0); }
static void flags_fin_psh_urg(struct tpkt *p) { flags_case(p, 6, TP_FIN | TP_PSH | 0x20); }
/* RFC 3168: an ECN-setup SYN is a SYN. */
static void flags_syn_ece_cwr(struct tpkt *p) { flags_case(p, 4, TP_SYN | 0x40 | 0x80); }

/* The completing numbers with FIN: a FIN, not a completion. */
static void flags_fin_ack_with_completing_numbers(struct tpkt *p)
{
	struct tp_flow f = completing_ack(4);

	f.flags |= TP_FIN;
	seg(p, NULL, &f);
}

/* ---- not TCP, though a TCP header is inside --------------------------------- */

static void icmp_error_quoting(struct tpkt *p, const struct tp_flow *f)
{
	struct tpkt quoted;

	seg(&quoted, NULL, f);
	tp_build_icmp_error(p, &quoted);
}

static void icmp_error_quoting_tcp_syn(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	icmp_error_quoting(p, &f);
}

static void icmpv6_error_quoting_tcp_syn(struct tpkt *p)
{
	struct tp_flow f = syn(6);

	icmp_error_quoting(p, &f);
}

static void icmp_error_quoting_completing_ack(struct tpkt *p)
{
	struct tp_flow f = completing_ack(4);

	icmp_error_quoting(p, &f);
}

/* IP in IP: synscope does not look inside tunnels. */
static void ipip_tunnel_holding_syn(struct tpkt *p)
{
	struct tp_flow f = syn(4), outer = f;
	struct tpkt inner;

	seg(&inner, NULL, &f);
	outer.saddr[3] = 100;
	outer.daddr[3] = 200;
	tp_init(p);
	tp_eth(p, TP_ETH_P_IP);
	tp_ipv4(p, &outer, TP_PROTO_IPIP, 0, 0);
	p->l4 = p->hdr_len = p->len;
	tp_putn(p, inner.b + inner.l3, inner.len - inner.l3);
	tp_finish(p);
}

/* ---- controls: real handshake packets -------------------------------------------- */

static void control_syn(struct tpkt *p)
{
	struct tp_flow f = syn(4);

	seg(p, NULL, &f);
}

static void control_synack_qinq(struct tpkt *p)
{
	struct tp_flow s = syn(6), f = tp_flow_synack(&s);

	f.sport = 8443;                 /* not the primer's flow */
	seg(p, &(struct tp_shape){ .nvlan = 2, .qinq = 1 }, &f);
}

static void control_completing_ack(struct tpkt *p)
{
	struct tp_flow f = completing_ack(4);

	seg(p, NULL, &f);
}

static void control_completing_ack_with_data(struct tpkt *p)
{
	struct tp_flow f = completing_ack(6);

	f.flags |= TP_PSH;
	seg(p, &(struct tp_shape){ .nvlan = 1, .payload = 100 }, &f);
}

/* One off the expected number: TCP, no completion. */
static void control_wrong_ack_number(struct tpkt *p)
{
	struct tp_flow f = completing_ack(4);

	f.ack++;
	seg(p, NULL, &f);
}

static void control_rst(struct tpkt *p)
{
	struct tp_flow f = tp_flow_client(6, TP_RST);

	seg(p, NULL, &f);
}

/* ---- the table ------------------------------------------------------------------- */

#define STD_OPTS (SS_OPT_MSS | SS_OPT_WSCALE | SS_OPT_SACK_OK | SS_OPT_TS)
/* (A TCP segment has no counter of its own: it is a packet that moved no
 * not-TCP counter.) */
#define W_SYN(opts) { SS_C_SYN, SS_C_EVENTS }, SS_EV_SYN, (opts)
#define W_SYN_BAD_OPT(opts) { SS_C_SYN, SS_C_EVENTS }, SS_EV_SYN, (opts) | SS_OPT_MALFORMED
#define W_SYNACK { SS_C_SYNACK, SS_C_EVENTS }, SS_EV_SYNACK, STD_OPTS
#define W_COMPLETE { SS_C_ACK_COMPLETE, SS_C_EVENTS }, SS_EV_ACK, 0
#define W_RST { SS_C_RST, SS_C_EVENTS }, SS_EV_RST, 0
#define W_FIN { SS_C_FIN }, 0, 0
#define W_TCP_ONLY { 0 }, 0, 0
#define W_NOT(c) { c }, 0, 0

#define CASE(name, ...) { #name, name, __VA_ARGS__ }

static const char *vlan_1(const struct ss_event_syn *e, const struct ss_opts *o)
{
	(void)o;
	return e->e.vlan_depth == 1 ? NULL : "vlan_depth is not 1";
}

static const char *vlan_2(const struct ss_event_syn *e, const struct ss_opts *o)
{
	(void)o;
	return e->e.vlan_depth == 2 ? NULL : "vlan_depth is not 2";
}

const struct mcase mcases[] = {
	CASE(vlan_8021ad_then_ipv4, W_SYN(STD_OPTS), vlan_1),
	CASE(vlan_8021ad_then_8021ad, W_SYN(STD_OPTS), vlan_2),
	CASE(vlan_8021q_then_8021ad, W_SYN(STD_OPTS), vlan_2),
	CASE(vlan_8021ad_then_arp, W_NOT(SS_C_NOT_IP), NULL),
	CASE(vlan_three_tags_hiding_completing_ack, W_NOT(SS_C_NOT_IP), NULL),
	CASE(vlan_three_8021q_tags, W_NOT(SS_C_NOT_IP), NULL),
	CASE(vlan_tag_cut_in_half, W_NOT(SS_C_BAD_TRUNCATED), NULL),

	CASE(ipv4_ihl_0, W_NOT(SS_C_BAD_IPV4), NULL),
	CASE(ipv4_ihl_4, W_NOT(SS_C_BAD_IPV4), NULL),
	CASE(ipv4_ihl_past_total_length, W_NOT(SS_C_BAD_IPV4), NULL),
	CASE(ipv4_ihl_swallows_tcp_header, W_NOT(SS_C_BAD_TCP), NULL),
	CASE(ipv4_ihl_past_end_of_frame, W_NOT(SS_C_BAD_TRUNCATED), NULL),
	CASE(ipv4_total_length_less_than_ihl, W_NOT(SS_C_BAD_IPV4), NULL),
	CASE(ipv4_total_length_shorter_than_tcp_header, W_NOT(SS_C_BAD_TCP), NULL),
	CASE(ipv4_total_length_cuts_tcp_options, W_NOT(SS_C_BAD_TCP), NULL),
	CASE(ipv4_total_length_past_end_of_frame, W_SYN(STD_OPTS), payload_1440),
	CASE(ipv4_total_length_0, W_COMPLETE, NULL),
	CASE(ipv4_syn_total_length_0, W_SYN(STD_OPTS), NULL),
	CASE(ipv4_version_5, W_NOT(SS_C_BAD_IPV4), NULL),
	CASE(ipv6_header_in_ipv4_ethertype, W_NOT(SS_C_BAD_IPV4), NULL),
	CASE(ipv4_header_in_ipv6_ethertype, W_NOT(SS_C_BAD_IPV6), NULL),

	CASE(ipv4_more_fragments_offset_0_syn, W_SYN(STD_OPTS), NULL),
	CASE(ipv4_more_fragments_offset_0_tcp_header_split, W_NOT(SS_C_FRAGMENT), NULL),
	CASE(ipv4_more_fragments_offset_0_options_split, W_NOT(SS_C_FRAGMENT), NULL),
	CASE(ipv4_non_first_fragment_holding_syn, W_NOT(SS_C_FRAGMENT), NULL),
	CASE(ipv4_middle_fragment_holding_completing_ack, W_NOT(SS_C_FRAGMENT), NULL),
	CASE(ipv4_dont_fragment_syn, W_SYN(STD_OPTS), NULL),
	CASE(ipv4_reserved_flag_syn, W_SYN(STD_OPTS), NULL),
	CASE(ipv6_non_first_fragment_holding_syn, W_NOT(SS_C_FRAGMENT), NULL),
	CASE(ipv6_first_fragment_syn, W_SYN(STD_OPTS), NULL),
	CASE(ipv6_first_fragment_tcp_header_split, W_NOT(SS_C_FRAGMENT), NULL),
	CASE(ipv6_atomic_fragment_completing_ack, W_COMPLETE, NULL),

	CASE(ipv6_chain_of_6_then_syn, W_SYN(STD_OPTS), NULL),
	CASE(ipv6_chain_of_7_then_syn, W_NOT(SS_C_BAD_IPV6), NULL),
	CASE(ipv6_chain_of_8_then_completing_ack, W_NOT(SS_C_BAD_IPV6), NULL),
	CASE(ipv6_no_next_header_then_syn_bytes, W_NOT(SS_C_NOT_TCP), NULL),
	CASE(ipv6_hop_by_hop_then_no_next_header, W_NOT(SS_C_NOT_TCP), NULL),
	CASE(ipv6_ah_length_in_4_byte_units, W_COMPLETE, NULL),
	CASE(ipv6_ah_12_bytes, W_SYN(STD_OPTS), NULL),
	CASE(ipv6_ext_header_past_end_of_frame, W_NOT(SS_C_BAD_TRUNCATED), NULL),
	CASE(ipv6_payload_length_shorter_than_ext_chain, W_NOT(SS_C_BAD_IPV6), NULL),
	CASE(ipv6_payload_length_shorter_than_tcp_header, W_NOT(SS_C_BAD_TCP), NULL),

	CASE(tcp_data_offset_0, W_NOT(SS_C_BAD_TCP), NULL),
	CASE(tcp_data_offset_4, W_NOT(SS_C_BAD_TCP), NULL),
	CASE(tcp_data_offset_past_ip_length, W_NOT(SS_C_BAD_TCP), NULL),
	CASE(tcp_data_offset_past_end_of_frame, W_NOT(SS_C_BAD_TRUNCATED), NULL),
	CASE(tcp_header_cut, W_NOT(SS_C_BAD_TRUNCATED), NULL),
	CASE(tcp_reserved_bits_syn, W_SYN(STD_OPTS), NULL),

	CASE(opt_eol_first, W_SYN(0), nkinds_1),
	CASE(opt_eol_then_mss, W_SYN(0), nkinds_1),
	CASE(opt_nop_run_40, W_SYN(0), nkinds_12),
	CASE(opt_nop_run_then_kind_in_last_byte, W_SYN_BAD_OPT(0), nkinds_12),
	CASE(opt_length_0, W_SYN_BAD_OPT(0), NULL),
	CASE(opt_length_1, W_SYN_BAD_OPT(0), NULL),
	CASE(opt_length_past_end, W_SYN_BAD_OPT(SS_OPT_MSS), NULL),
	/* A known kind of the wrong length is skipped, not decoded and not
	 * malformed: Linux ignores it the same way (so the MSS in force is
	 * the default, and the event must not claim one). */
	CASE(opt_mss_length_3, W_SYN(0), NULL),
	CASE(opt_mss_length_6, W_SYN(0), NULL),
	CASE(opt_window_scale_length_2, W_SYN(0), NULL),
	CASE(opt_window_scale_length_4, W_SYN(0), NULL),
	CASE(opt_timestamps_length_8, W_SYN(0), NULL),
	CASE(opt_timestamps_length_12, W_SYN(0), NULL),
	CASE(opt_sack_permitted_length_3, W_SYN(0), NULL),
	CASE(opt_window_scale_15, W_SYN(SS_OPT_WSCALE), wscale_15),
	CASE(opt_window_scale_255, W_SYN(SS_OPT_WSCALE), wscale_255),
	CASE(opt_mss_twice, W_SYN(SS_OPT_MSS), mss_536),
	CASE(opt_forty_bytes, W_SYN(STD_OPTS), NULL),
	CASE(opt_malformed_on_synack, { SS_C_SYNACK, SS_C_EVENTS },
	     SS_EV_SYNACK, SS_OPT_MSS | SS_OPT_MALFORMED, NULL),
	CASE(opt_malformed_on_rst, W_RST, NULL),
	CASE(opt_malformed_on_completing_ack, W_COMPLETE, NULL),

	CASE(flags_syn_fin, W_SYN(STD_OPTS), NULL),
	CASE(flags_syn_rst, W_RST, NULL),
	CASE(flags_syn_ack_rst, W_RST, NULL),
	CASE(flags_all_set, W_RST, NULL),
	CASE(flags_none, W_TCP_ONLY, NULL),
	CASE(flags_fin_psh_urg, W_FIN, NULL),
	CASE(flags_syn_ece_cwr, W_SYN(STD_OPTS), NULL),
	CASE(flags_fin_ack_with_completing_numbers, W_FIN, NULL),

	CASE(icmp_error_quoting_tcp_syn, W_NOT(SS_C_NOT_TCP), NULL),
	CASE(icmpv6_error_quoting_tcp_syn, W_NOT(SS_C_NOT_TCP), NULL),
	CASE(icmp_error_quoting_completing_ack, W_NOT(SS_C_NOT_TCP), NULL),
	CASE(ipip_tunnel_holding_syn, W_NOT(SS_C_NOT_TCP), NULL),

	CASE(control_syn, W_SYN(STD_OPTS), NULL),
	CASE(control_synack_qinq, W_SYNACK, vlan_2),
	CASE(control_completing_ack, W_COMPLETE, NULL),
	CASE(control_completing_ack_with_data, W_COMPLETE, vlan_1),
	CASE(control_wrong_ack_number, W_TCP_ONLY, NULL),
	CASE(control_rst, W_RST, NULL),
};
const size_t n_mcases = ARRAY_SIZE(mcases);
