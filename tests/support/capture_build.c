// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Hand-made captures: see capture_build.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "capture_build.h"

#define CB_SNAPLEN 65535
#define CB_LINKTYPE_RAW 101    /* pcapng carries LINKTYPE_, not DLT_, values */

const struct cb_link cb_links[] = {
	{ .name = "ethernet-ipv4", .dlt = CB_DLT_EN10MB, .family = 4 },
	{ .name = "ethernet-ipv6", .dlt = CB_DLT_EN10MB, .family = 6 },
	{ .name = "ethernet-8021q-ipv6", .dlt = CB_DLT_EN10MB, .family = 6, .nvlan = 1 },
	{ .name = "ethernet-qinq-ipv4", .dlt = CB_DLT_EN10MB, .family = 4, .nvlan = 2, .qinq = 1 },
	{ .name = "sll-ipv4", .dlt = CB_DLT_LINUX_SLL, .family = 4 },
	{ .name = "sll-8021q-ipv6", .dlt = CB_DLT_LINUX_SLL, .family = 6, .nvlan = 1 },
	{ .name = "sll2-ipv6", .dlt = CB_DLT_LINUX_SLL2, .family = 6 },
	{ .name = "sll2-qinq-ipv4", .dlt = CB_DLT_LINUX_SLL2, .family = 4, .nvlan = 2, .qinq = 1 },
	{ .name = "raw-ipv4", .dlt = CB_DLT_RAW, .family = 4 },
	{ .name = "raw-ipv6", .dlt = CB_DLT_RAW, .family = 6 },
	{ .name = "ipv4", .dlt = CB_DLT_IPV4, .family = 4 },
	{ .name = "ipv6", .dlt = CB_DLT_IPV6, .family = 6 },
	{ .name = "null-ipv4", .dlt = CB_DLT_NULL, .family = 4 },
	{ .name = "null-ipv6-linux", .dlt = CB_DLT_NULL, .family = 6, .af6 = 10 },
	{ .name = "null-ipv6-bsd-swapped", .dlt = CB_DLT_NULL, .family = 6, .af6 = 24, .swap_af = 1 },
	{ .name = "null-ipv4-swapped", .dlt = CB_DLT_NULL, .family = 4, .swap_af = 1 },
	{ .name = "loop-ipv4", .dlt = CB_DLT_LOOP, .family = 4 },
	{ .name = "loop-ipv6-freebsd", .dlt = CB_DLT_LOOP, .family = 6, .af6 = 28 },
	{ .name = "loop-ipv6-macos", .dlt = CB_DLT_LOOP, .family = 6, .af6 = 30 },
	{ .name = "pcapng-ethernet-ipv4", .dlt = CB_DLT_EN10MB, .family = 4, .pcapng = 1 },
	{ .name = "pcapng-sll2-ipv6", .dlt = CB_DLT_LINUX_SLL2, .family = 6, .pcapng = 1 },
	{ .name = "pcapng-raw-ipv6", .dlt = CB_DLT_RAW, .family = 6, .pcapng = 1 },
};
const size_t cb_nlinks = sizeof(cb_links) / sizeof(cb_links[0]);

struct cb_writer {
	struct cb_link link;
	pcap_t *dead;
	pcap_dumper_t *dump;
	FILE *ng;                /* pcapng */
};

/* ---- pcapng by hand: SHB, one IDB with nanosecond timestamps, EPBs ------ */

static void ng_u32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f); /* host byte order; the SHB's magic says which */
}

static void ng_u16(FILE *f, uint16_t v)
{
	fwrite(&v, 2, 1, f);
}

static void ng_header(FILE *f, int dlt)
{
	static const uint8_t nanoseconds[4] = { 9, 0, 0, 0 }; /* 10^-9, padded */
	uint64_t section_len = UINT64_MAX; /* unknown */

	ng_u32(f, 0x0A0D0D0A);  /* section header block */
	ng_u32(f, 28);
	ng_u32(f, 0x1A2B3C4D);  /* byte-order magic */
	ng_u16(f, 1);
	ng_u16(f, 0);
	fwrite(&section_len, 8, 1, f);
	ng_u32(f, 28);

	ng_u32(f, 1);           /* interface description block */
	ng_u32(f, 32);
	ng_u16(f, dlt == CB_DLT_RAW ? CB_LINKTYPE_RAW : (uint16_t)dlt);
	ng_u16(f, 0);
	ng_u32(f, CB_SNAPLEN);
	ng_u16(f, 9);           /* option if_tsresol, 1 byte */
	ng_u16(f, 1);
	fwrite(nanoseconds, sizeof(nanoseconds), 1, f);
	ng_u32(f, 0);           /* opt_endofopt */
	ng_u32(f, 32);
}

static void ng_packet(FILE *f, uint64_t ts_ns, const uint8_t *b, uint32_t caplen, uint32_t len)
{
	static const uint8_t zero[4];
	uint32_t pad = (4 - caplen % 4) % 4, total = 32 + caplen + pad;

	ng_u32(f, 6);           /* enhanced packet block */
	ng_u32(f, total);
	ng_u32(f, 0);           /* interface 0 */
	ng_u32(f, (uint32_t)(ts_ns >> 32));
	ng_u32(f, (uint32_t)ts_ns);
	ng_u32(f, caplen);
	ng_u32(f, len);
	fwrite(b, 1, caplen, f);
	fwrite(zero, 1, pad, f);
	ng_u32(f, total);
}

/* ---- writer ---------------------------------------------------------------- */

struct cb_writer *cb_open(const char *path, const struct cb_link *l)
{
	struct cb_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->link = *l;
	if (l->pcapng) {
		w->ng = fopen(path, "wb");
		if (!w->ng) {
			perror(path);
			free(w);
			return NULL;
		}
		ng_header(w->ng, l->dlt);
		return w;
	}
	w->dead = pcap_open_dead_with_tstamp_precision(l->dlt, CB_SNAPLEN,
						       PCAP_TSTAMP_PRECISION_NANO);
	w->dump = w->dead ? pcap_dump_open(w->dead, path) : NULL;
	if (!w->dump) {
		fprintf(stderr, "%s: %s\n", path, w->dead ? pcap_geterr(w->dead) : "pcap_open_dead");
		if (w->dead)
			pcap_close(w->dead);
		free(w);
		return NULL;
	}
	return w;
}

void cb_add_raw(struct cb_writer *w, uint64_t ts_ns, const uint8_t *b, uint32_t caplen,
		uint32_t len)
{
	struct pcap_pkthdr h;

	if (w->ng) {
		ng_packet(w->ng, ts_ns, b, caplen, len);
		return;
	}
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(ts_ns / 1000000000ull);
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000ull); /* nanoseconds here */
	h.caplen = caplen;
	h.len = len;
	pcap_dump((u_char *)w->dump, &h, b);
}

static int is_cooked(int dlt)
{
	return dlt == CB_DLT_LINUX_SLL || dlt == CB_DLT_LINUX_SLL2;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* The link-layer header for a frame whose Ethernet header said `proto`.
 * Returns its length. */
static uint32_t link_header(const struct cb_link *l, uint16_t proto, int family, int out,
			    uint8_t *h)
{
	static const uint8_t mac[8] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t pkttype = out ? 4 : 0; /* PACKET_OUTGOING : PACKET_HOST */
	uint32_t af = family == 6 ? l->af6 : 2;

	switch (l->dlt) {
	case CB_DLT_LINUX_SLL:
		put16(h, pkttype);
		put16(h + 2, 1);              /* ARPHRD_ETHER */
		put16(h + 4, 6);
		memcpy(h + 6, mac, 8);
		put16(h + 14, proto);
		return 16;
	case CB_DLT_LINUX_SLL2:
		put16(h, proto);
		put16(h + 2, 0);
		put32(h + 4, CB_SLL2_IFINDEX);
		put16(h + 8, 1);              /* ARPHRD_ETHER */
		h[10] = pkttype;
		h[11] = 6;
		memcpy(h + 12, mac, 8);
		return 20;
	case CB_DLT_NULL:
		if (l->swap_af)
			af = __builtin_bswap32(af);
		memcpy(h, &af, 4);
		return 4;
	case CB_DLT_LOOP:
		put32(h, af);
		return 4;
	default:
		return 0;
	}
}

void cb_add(struct cb_writer *w, uint64_t ts_ns, const struct tpkt *f, uint32_t keep_l3, int out)
{
	const struct cb_link *l = &w->link;
	uint8_t rec[TP_MAX + 32];
	uint32_t from, hlen, len, caplen;

	/* What of the frame the link type keeps: all of it (Ethernet), what
	 * follows the Ethernet header (cooked: tags stay, as libpcap puts
	 * them back), or the network layer. */
	from = l->dlt == CB_DLT_EN10MB ? 0 : is_cooked(l->dlt) ? 14 : f->l3;
	hlen = link_header(l, tp_get16(f, 12), f->family, out, rec);
	len = f->len - from;
	memcpy(rec + hlen, f->b + from, len);
	if (keep_l3 == CB_WHOLE)
		caplen = hlen + len;
	else if (keep_l3 == CB_CUT_LINK)
		caplen = l->dlt == CB_DLT_EN10MB ? 7 : hlen / 2;
	else
		caplen = hlen + (f->l3 - from) + keep_l3;
	if (caplen > hlen + len)
		tp_fail("cut past the end");
	cb_add_raw(w, ts_ns, rec, caplen, hlen + len);
}

int cb_close(struct cb_writer *w)
{
	int e = 0;

	if (w->ng)
		e = fclose(w->ng);
	if (w->dump) {
		pcap_dump_close(w->dump);
		pcap_close(w->dead);
	}
	free(w);
	return e ? -1 : 0;
}

/* ---- packets ------------------------------------------------------------------ */

/* A client-to-server segment of the family with these ports and flags. */
static struct tp_flow seg(int family, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags)
{
	struct tp_flow f = tp_flow_client(family, flags);

	f.sport = sport;
	f.dport = dport;
	f.seq = seq;
	return f;
}

static struct tp_flow reply(const struct tp_flow *f, uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct tp_flow r = tp_flow_reverse(f, flags, seq, ack);

	r.ttl = 63;
	return r;
}

static void frame(struct tpkt *p, const struct cb_link *l, const struct tp_flow *f)
{
	struct tp_shape s = { .nvlan = l ? l->nvlan : 0, .qinq = l ? l->qinq : 0 };

	tp_build(p, &s, f);
}

static void add(struct cb_writer *w, const struct cb_link *l, uint64_t ts,
		const struct tp_flow *f, int out)
{
	struct tpkt p;

	frame(&p, l, f);
	cb_add(w, ts, &p, CB_WHOLE, out);
}

/* ---- the standard scenario -------------------------------------------------- */

#define MS 1000000ull

const struct cb_expect cb_scenario_expect[CB_SCENARIO_RECORDS] = {
	{ "established", 40000, 80, 1499, 250, "2023-11-14T22:13:20.000000Z" },
	{ "refused", 40001, 81, -1, -1, "2023-11-14T22:13:20.002000Z" },
	{ "timeout", 40002, 82, -1, -1, "2023-11-14T22:13:20.003000Z" },
};

const char *cb_client(int family)
{
	return family == 6 ? "2001:db8::1" : "192.0.2.1";
}

const char *cb_server(int family)
{
	return family == 6 ? "2001:db8::2" : "198.51.100.2";
}

int cb_write_scenario(const char *path, const struct cb_link *l, int npkts)
{
	const uint64_t t = CB_BASE_NS;
	struct tp_flow a = seg(l->family, 40000, 80, 0x10000000, TP_SYN);
	struct tp_flow b = seg(l->family, 40001, 81, 0x20000000, TP_SYN);
	struct tp_flow c = seg(l->family, 40002, 82, 0x30000000, TP_SYN);
	struct tp_flow d = seg(l->family, 40003, 80, 0x40000000, TP_SYN);
	struct tp_flow e = seg(l->family, 40004, 80, 0x50000000, TP_SYN);
	struct tp_flow a2 = tp_flow_synack(&a), a3 = tp_flow_ack(&a2);
	struct tp_flow b2 = reply(&b, TP_RST | TP_ACK, 0, b.seq + 1);
	struct tp_flow u = seg(l->family, 5353, 5353, 0, 0);
	struct tp_shape udp = { .nvlan = l->nvlan, .qinq = l->qinq, .l4 = TP_L4_UDP, .payload = 12 };
	struct cb_writer *w = cb_open(path, l);
	struct tpkt p;
	int n = 0;

	if (!w)
		return -1;
#define STEP(code) do { if (n++ < npkts) { code; } } while (0)
	STEP(add(w, l, t + 999, &a, 1));
	STEP(add(w, l, t + 1500000, &a2, 0));
	STEP(add(w, l, t + 1750000, &a3, 1));
	STEP(add(w, l, t + 2 * MS, &b, 1));
	STEP(add(w, l, t + 2300000, &b2, 0));
	STEP(add(w, l, t + 3 * MS, &c, 1));
	/* Cut 10 bytes into the TCP header. */
	STEP(frame(&p, l, &d); cb_add(w, t + 3100000, &p, p.l4 - p.l3 + 10, 1));
	STEP(frame(&p, l, &e); cb_add(w, t + 3200000, &p, CB_CUT_LINK, 1));
	STEP(tp_build(&p, &udp, &u); cb_add(w, t + 5000 * MS, &p, CB_WHOLE, 1));
#undef STEP
	return cb_close(w);
}

/* ---- the zoo ------------------------------------------------------------------- */

struct zoo {
	struct cb_writer *w;
	uint64_t ts;
};

static void zoo_add(struct zoo *z, const struct tpkt *p)
{
	z->ts += MS;
	cb_add(z->w, z->ts, p, CB_WHOLE, 0);
}

static void zoo_seg(struct zoo *z, const struct tp_shape *s, const struct tp_flow *f)
{
	static const struct tp_shape plain;
	struct tpkt p;

	tp_build(&p, s ? s : &plain, f);
	zoo_add(z, &p);
}

/* Odd headers: each alone, counted by its own class. */
static void zoo_headers(struct zoo *z)
{
	struct tp_flow s4 = seg(4, 41000, 443, 1, TP_SYN), s6 = seg(6, 41001, 8080, 2, TP_SYN);
	struct tp_flow a4 = seg(4, 41002, 22, 3, TP_ACK | TP_PSH);
	const struct tp_shape shapes[] = {
		{ .ip4_optlen = 8 },
		{ .ip4_optlen = 40, .payload = 3 },
		{ .ip4_frag = TP_IP4_MF },                              /* first fragment */
		{ .ip4_frag = 185 },                                    /* later fragment */
		{ .ip4_frag = TP_IP4_MF, .l4 = TP_L4_NONE, .payload = 8 }, /* tiny first */
		{ .l4 = TP_L4_UDP, .payload = 4 },
		{ .nvlan = 3 },                                         /* third tag: not IP */
		{ .nvlan = 2, .qinq = 1, .payload = 100 },
		{ .ethertype = TP_ETH_P_IPV6 },                         /* IPv4 under IPv6's type */
	};
	const struct tp_shape shapes6[] = {
		{ .n_ext6 = 3, .ext6 = { { TP_PROTO_HOPOPTS }, { TP_PROTO_ROUTING, 16 }, { TP_PROTO_DSTOPTS } } },
		{ .n_ext6 = 1, .ext6 = { { TP_PROTO_AH, 24 } } },
		{ .n_ext6 = 1, .ext6 = { { TP_PROTO_FRAGMENT, 0, 0, 1 } } },       /* first */
		{ .n_ext6 = 1, .ext6 = { { TP_PROTO_FRAGMENT, 0, 1232, 1 } } },    /* later */
		{ .n_ext6 = 6, .ext6 = { { TP_PROTO_HOPOPTS }, { TP_PROTO_DSTOPTS }, { TP_PROTO_ROUTING },
					 { TP_PROTO_DSTOPTS }, { TP_PROTO_AH }, { TP_PROTO_DSTOPTS } } },
		{ .n_ext6 = 7, .ext6 = { { TP_PROTO_HOPOPTS }, { TP_PROTO_DSTOPTS }, { TP_PROTO_ROUTING },
					 { TP_PROTO_DSTOPTS }, { TP_PROTO_AH }, { TP_PROTO_DSTOPTS },
					 { TP_PROTO_DSTOPTS } } },                 /* too long */
		{ .l4 = TP_L4_ICMPV6 },
		{ .nvlan = 1, .payload = 900 },
	};
	struct tpkt p;
	size_t i;

	tp_build_arp(&p);
	zoo_add(z, &p);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		zoo_seg(z, &shapes[i], &s4);
		zoo_seg(z, &shapes[i], &a4);
	}
	for (i = 0; i < sizeof(shapes6) / sizeof(shapes6[0]); i++)
		zoo_seg(z, &shapes6[i], &s6);

	/* Lengths and versions the parser refuses. */
	tp_build(&p, &(struct tp_shape){ 0 }, &s4);
	tp_set8(&p, p.l3, 0x43);                    /* IHL 12 bytes */
	zoo_add(z, &p);
	tp_build(&p, &(struct tp_shape){ 0 }, &s4);
	tp_set8(&p, p.l3, 0x55);                    /* version 5 */
	zoo_add(z, &p);
	tp_build(&p, &(struct tp_shape){ 0 }, &s4);
	tp_set16(&p, p.l3 + 2, 16);                 /* total length < IHL */
	zoo_add(z, &p);
	tp_build(&p, &(struct tp_shape){ 0 }, &s6);
	tp_set8(&p, p.l3, 0x40);                    /* version 4 under IPv6's type */
	zoo_add(z, &p);
	tp_build(&p, &(struct tp_shape){ 0 }, &a4);
	tp_set8(&p, p.l4 + 12, 0x40);               /* data offset 16 bytes */
	zoo_add(z, &p);
	tp_build(&p, &(struct tp_shape){ 0 }, &s4);
	tp_set16(&p, p.l3 + 2, 20 + 24);            /* TCP data offset past the IP length */
	zoo_add(z, &p);
	tp_build(&p, &(struct tp_shape){ .payload = 300 }, &s4);
	tp_set16(&p, p.l3 + 2, 0);                  /* BIG TCP: length from the packet */
	zoo_add(z, &p);
	tp_build(&p, &(struct tp_shape){ .payload = 300 }, &s6);
	tp_set16(&p, p.l3 + 4, 0);
	zoo_add(z, &p);
}

/* Flags and options: classes and the option summary. */
static void zoo_flags(struct zoo *z)
{
	static const uint8_t flags[] = {
		TP_FIN, TP_FIN | TP_ACK, 0, TP_PSH, 0x20 /* URG */, TP_SYN | TP_RST,
		TP_SYN | TP_FIN, TP_RST, TP_SYN | TP_ACK | TP_RST, 0xff, 0xc2 /* SYN+ECE+CWR */,
	};
	static const struct { uint8_t len, b[40]; } opts[] = {
		{ 4, { 2, 0, 5, 0xb4 } },                            /* MSS length 0 */
		{ 12, { 8, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 } },    /* TS running past */
		{ 4, { 1, 1, 1, 2 } },                               /* kind at the last byte */
		{ 8, { 3, 3, 14, 0, 9, 9, 9, 9 } },                  /* WS, EOL, junk after */
		{ 40, { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 2, 30, 6, 1, 2, 3, 4,
			2, 4, 0x05, 0xb4, 3, 3, 7, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1 } },
		{ 8, { 253, 4, 0xab, 0xcd, 34, 2, 1, 0 } },          /* experimental, TFO */
		{ 4, { 2, 5, 5, 0xb4 } },                            /* MSS of odd length */
	};
	struct tp_flow f;
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		f = seg(i % 2 ? 6 : 4, 42000 + i, 80, 100 + i, flags[i]);
		zoo_seg(z, NULL, &f);
	}
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		f = seg(i % 2 ? 4 : 6, 43000 + i, 443, 200 + i, i % 3 ? TP_SYN : TP_SYN | TP_ACK);
		tp_set_opts(&f, opts[i].b, opts[i].len);
		zoo_seg(z, NULL, &f);
	}
}

/* The pending SYN-ACK table: what completes, what does not. */
static void zoo_pending(struct zoo *z)
{
	struct tp_flow syn = seg(4, 44000, 80, 0x1000, TP_SYN);
	struct tp_flow sa = tp_flow_synack(&syn), ack = tp_flow_ack(&sa), f;
	struct tp_shape data = { .payload = 50 };
	struct tpkt p;

	/* Retransmitted SYN-ACK, a wrong ACK, then a data ACK completes;
	 * a second ACK finds nothing. */
	zoo_seg(z, NULL, &syn);
	zoo_seg(z, NULL, &sa);
	zoo_seg(z, NULL, &sa);
	f = ack;
	f.ack++;
	zoo_seg(z, NULL, &f);
	f = ack;
	f.flags = TP_ACK | TP_PSH;
	zoo_seg(z, &data, &f);
	zoo_seg(z, NULL, &ack);

	/* A RST from either side forgets the SYN-ACK. */
	syn = seg(6, 44001, 443, 0x2000, TP_SYN);
	sa = tp_flow_synack(&syn);
	ack = tp_flow_ack(&sa);
	zoo_seg(z, NULL, &sa);
	f = ack;
	f.flags = TP_RST;
	zoo_seg(z, NULL, &f);
	zoo_seg(z, NULL, &ack);
	zoo_seg(z, NULL, &sa);
	f = reply(&ack, TP_RST | TP_ACK, sa.seq + 1, ack.seq);
	zoo_seg(z, NULL, &f);
	zoo_seg(z, NULL, &ack);

	/* An ACK the server's way does not complete; the client's does. */
	syn = seg(4, 44002, 8080, 0x3000, TP_SYN);
	sa = tp_flow_synack(&syn);
	ack = tp_flow_ack(&sa);
	zoo_seg(z, NULL, &sa);
	f = reply(&ack, TP_ACK, sa.seq + 1, ack.ack);
	f.ack = sa.seq + 1;
	zoo_seg(z, NULL, &f);
	zoo_seg(z, NULL, &ack);

	/* seq + 1 wraps. */
	sa.seq = 0xffffffffu;
	ack = tp_flow_ack(&sa);
	zoo_seg(z, NULL, &sa);
	zoo_seg(z, NULL, &ack);

	/* A SYN-ACK with a new seq replaces the expected ACK. */
	sa.seq = 0x5000;
	zoo_seg(z, NULL, &sa);
	f = tp_flow_ack(&sa);
	sa.seq = 0x6000;
	zoo_seg(z, NULL, &sa);
	zoo_seg(z, NULL, &f);
	f = tp_flow_ack(&sa);
	zoo_seg(z, NULL, &f);

	/* A completing ACK inside two tags, and one that is a FIN. */
	sa.seq = 0x7000;
	tp_build(&p, &(struct tp_shape){ .nvlan = 2 }, &sa);
	zoo_add(z, &p);
	f = tp_flow_ack(&sa);
	f.flags |= TP_FIN;
	zoo_seg(z, NULL, &f);
	f.flags = TP_ACK;
	tp_build(&p, &(struct tp_shape){ .nvlan = 1, .qinq = 1 }, &f);
	zoo_add(z, &p);
}

int cb_write_zoo(const char *path)
{
	static const struct cb_link eth = { .name = "zoo", .dlt = CB_DLT_EN10MB, .family = 4 };
	struct zoo z = { .w = cb_open(path, &eth), .ts = CB_BASE_NS };

	if (!z.w)
		return -1;
	zoo_headers(&z);
	zoo_flags(&z);
	zoo_pending(&z);
	return cb_close(z.w);
}

/* ---- snapshot length ---------------------------------------------------------- */

int cb_write_snaplen(const char *path)
{
	static const struct cb_link eth = { .name = "snaplen", .dlt = CB_DLT_EN10MB, .family = 4 };
	struct tp_flow s4 = seg(4, 45000, 80, 1, TP_SYN), s6 = seg(6, 45001, 80, 2, TP_SYN);
	const struct tp_shape hop = { .n_ext6 = 1, .ext6 = { { TP_PROTO_HOPOPTS, 16 } } };
	const struct tp_shape tag = { .nvlan = 1 }, data = { .payload = 200 };
	/* (shape, flow, bytes kept from the frame's start) */
	const struct { const struct tp_shape *s; const struct tp_flow *f; uint32_t keep; } cuts[] = {
		{ NULL, &s4, 0 },
		{ NULL, &s4, 8 },            /* Ethernet header */
		{ &tag, &s4, 16 },           /* the tag */
		{ NULL, &s4, 14 + 10 },      /* IPv4 header */
		{ NULL, &s4, 14 + 20 + 10 }, /* TCP header */
		{ NULL, &s4, 14 + 20 + 30 }, /* TCP options */
		{ NULL, &s6, 14 + 30 },      /* IPv6 header */
		{ &hop, &s6, 14 + 40 + 8 },  /* extension header */
		{ &hop, &s6, 14 + 56 + 19 }, /* TCP header, after the extension */
		{ &data, &s4, 14 + 20 + 40 + 10 }, /* payload: still a whole segment */
		{ &data, &s6, 14 + 40 + 40 },      /* exactly the headers */
	};
	static const struct tp_shape plain;
	struct cb_writer *w = cb_open(path, &eth);
	uint64_t ts = CB_BASE_NS;
	struct tpkt p;
	size_t i;

	if (!w)
		return -1;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		tp_build(&p, cuts[i].s ? cuts[i].s : &plain, cuts[i].f);
		if (cuts[i].keep > p.len)
			tp_fail("snaplen cut past the end");
		cb_add_raw(w, ts += MS, p.b, cuts[i].keep, p.len);
	}
	return cb_close(w);
}
