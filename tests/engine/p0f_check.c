// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * p0f_check: user/p0f.c over a capture, for the agreement test with
 * Debian's p0f (tests/e2e_p0f.sh).
 *
 *   p0f_check [-f p0f.fp] CAPTURE
 *       every SYN and SYN-ACK: "<packet number> <syn|synack> <raw_sig> <label or ???>"
 *   p0f_check [-f p0f.fp] --p0f CAPTURE
 *       the packets p0f itself logs, as its -o log has them (without the
 *       time): "<packet number> mod=syn|cli=...|srv=...|subj=cli|os=...|
 *       dist=...|params=...|raw_sig=..."
 *   p0f_check [-f p0f.fp] --bench [CAPTURE]
 *       ns per ss_p0f_sig and per cached / uncached ss_p0f_match
 *   p0f_check --craft FILE [ethernet|sll|sll2|raw]
 *       write the crafted capture (SYNs in the layouts of p0f.fp
 *       signatures, every quirk, odd options, SYN-ACK cases)
 *   p0f_check --random FILE COUNT SEED
 *       write COUNT random segments (Ethernet): random fields, options,
 *       lengths and flags between a few hosts and ports
 *
 * The decoder is this file's own: Ethernet (802.1Q tags skipped), Linux
 * cooked v1 and v2, raw IP; IPv4 and IPv6 (no extension headers, as p0f);
 * TCP, with p0f's length checks. Which packets p0f logs, and the SYN MSS a
 * SYN-ACK is compared with, come from a model of p0f's connection table
 * (process.c, flow_dispatch): a repeated SYN is not logged again, a
 * SYN-ACK only once and only for a connection p0f follows, a tool's SYN
 * (class '!') ends the connection, and so do RST, FIN, and data its HTTP
 * module gives up on; connections older than 30 s are forgotten, counting
 * time and packets as p0f does (only what its capture filter lets in).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pcap/pcap.h>
#include "engine/p0f.h"
#include "capture_build.h"

#define DEFAULT_DB "/etc/p0f/p0f.fp"

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20

/* p0f's limits: config.h of 3.09b. */
#define P0F_MAX_CONN     1000   /* connections before the oldest 10% go */
#define P0F_CONN_MAX_AGE 30     /* seconds a connection is followed */
#define P0F_EXPIRE_EVERY 50     /* packets between expiry runs */
#define P0F_SPECIAL_MSS  1331   /* p0f-sendsyn's probe */
#define P0F_SPECIAL_WIN  1337
#define P0F_MAX_DIST     35

/* ---- decoding --------------------------------------------------------------- */

struct seg {
	struct ss_p0f_pkt p;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t type;           /* flags & (SYN | ACK | FIN | RST) */
	uint8_t p0f_sees;       /* p0f reads this link layer (no VLAN tag) */
	uint16_t mss;           /* the MSS option, for the connection model */
	uint32_t ts_sec;
	const uint8_t *payload; /* payload_len bytes (for the HTTP module's test) */
};

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

/* Where the network layer starts and what it says it is (0x0800, 0x86dd,
 * or 0 to guess from the version nibble). -1 when it is not IP. */
static int link_offset(int dlt, const uint8_t *b, uint32_t len, uint16_t *proto, uint8_t *tagged)
{
	uint32_t off;
	int tags = 0;

	*tagged = 0;
	switch (dlt) {
	case DLT_EN10MB:
		if (len < 14)
			return -1;
		*proto = rd16(b + 12);
		off = 14;
		while ((*proto == 0x8100 || *proto == 0x88a8) && tags < 2 && len >= off + 4) {
			*proto = rd16(b + off + 2);
			off += 4;
			tags++;
		}
		break;
	case DLT_LINUX_SLL:
		if (len < 16)
			return -1;
		*proto = rd16(b + 14);
		off = 16;
		while ((*proto == 0x8100 || *proto == 0x88a8) && tags < 2 && len >= off + 4) {
			*proto = rd16(b + off + 2);
			off += 4;
			tags++;
		}
		break;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		if (len < 20)
			return -1;
		*proto = rd16(b);
		off = 20;
		while ((*proto == 0x8100 || *proto == 0x88a8) && tags < 2 && len >= off + 4) {
			*proto = rd16(b + off + 2);
			off += 4;
			tags++;
		}
		break;
#endif
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		*proto = 0;
		off = 0;
		break;
	default:
		return -1;
	}
	/* p0f reads at a fixed offset per link type: a tagged frame is not
	 * IP to it. */
	*tagged = tags > 0;
	return (int)off;
}

/* One segment, with p0f's sanity checks (process.c, parse_packet): 1 when
 * it is a TCP segment p0f would look at. */
static int decode(int dlt, const struct pcap_pkthdr *h, const uint8_t *b, struct seg *s)
{
	uint32_t plen = h->caplen < h->len ? h->caplen : h->len, hlen, doff;
	const uint8_t *ip, *tcp;
	uint16_t proto;
	uint8_t tagged, ver;
	int off;

	memset(s, 0, sizeof(*s));
	s->ts_sec = (uint32_t)h->ts.tv_sec;
	if (plen > 65535)
		plen = 65535;
	off = link_offset(dlt, b, plen, &proto, &tagged);
	if (off < 0 || (uint32_t)off > plen)
		return 0;
	s->p0f_sees = !tagged;
	ip = b + off;
	plen -= (uint32_t)off;
	if (plen < 40)
		return 0;
	ver = ip[0] >> 4;
	if ((proto == 0x0800 && ver != 4) || (proto == 0x86dd && ver != 6) ||
	    (proto && proto != 0x0800 && proto != 0x86dd))
		return 0;

	if (ver == 4) {
		uint16_t tot = rd16(ip + 2), frag = rd16(ip + 6);

		hlen = (ip[0] & 0x0f) * 4u;
		if (plen > tot)
			plen = tot;
		if (plen < 40 || hlen < 20 || tot > plen || hlen + 20 > plen || ip[9] != 6)
			return 0;
		if (frag & ~0xc000)        /* MF or an offset: p0f skips fragments */
			return 0;
		s->p.family = 4;
		s->p.tos = ip[1];
		s->p.ip_opt_len = (uint8_t)(hlen - 20);
		s->p.ip_id = rd16(ip + 4);
		s->p.ip_frag = frag;
		s->p.ttl = ip[8];
		memcpy(s->src, ip + 12, 4);
		memcpy(s->dst, ip + 16, 4);
	} else if (ver == 6) {
		uint32_t vtf = rd32(ip), tot = rd16(ip + 4) + 40u;

		if (plen > tot)
			plen = tot;
		if (plen < 60 || tot > plen || ip[6] != 6)
			return 0;
		hlen = 40;
		s->p.family = 6;
		s->p.tos = (uint8_t)(vtf >> 20);
		s->p.flow = vtf & 0xfffff;
		s->p.ttl = ip[7];
		memcpy(s->src, ip + 8, 16);
		memcpy(s->dst, ip + 24, 16);
	} else {
		return 0;
	}

	tcp = ip + hlen;
	plen -= hlen;
	doff = (tcp[12] >> 4) * 4u;
	if (doff < 20 || doff > plen)
		return 0;
	s->sport = rd16(tcp);
	s->dport = rd16(tcp + 2);
	s->p.seq = rd32(tcp + 4);
	s->p.ack = rd32(tcp + 8);
	s->p.doff_res = tcp[12];
	s->p.flags = tcp[13];
	s->p.window = rd16(tcp + 14);
	s->p.urg = rd16(tcp + 18);
	s->p.opt_len = (uint8_t)(doff - 20);
	memcpy(s->p.opts, tcp + 20, doff - 20);
	s->p.payload_len = plen - doff;
	s->payload = tcp + doff;
	s->type = tcp[13] & (F_SYN | F_ACK | F_FIN | F_RST);
	/* SYN+FIN, SYN+RST, FIN+RST and no flag: p0f drops them. */
	if (((s->type & F_SYN) && (s->type & (F_FIN | F_RST))) ||
	    ((s->type & F_FIN) && (s->type & F_RST)) || !s->type)
		return 0;

	/* The MSS p0f's option walk keeps (the last MSS option that fits). */
	{
		uint32_t i = 0, n = s->p.opt_len, count = 0;
		const uint8_t *o = s->p.opts;

		while (i < n && count++ < 24) {
			uint8_t kind = o[i++];

			if (kind == 0)
				break;
			if (kind == 1)
				continue;
			if (kind == 2) {
				if (i + 3 > n)
					break;
				s->mss = rd16(o + i + 1);
				i += 3;
				continue;
			}
			if (kind == 3 || kind == 4 || kind == 8) {
				uint32_t need = kind == 3 ? 2 : kind == 4 ? 1 : 9;

				if (i + need > n)
					break;
				i += need;
				continue;
			}
			if (i == n || o[i] < 2 || o[i] > 40 || i - 1 + o[i] > n ||
			    (kind == 5 && (o[i] < 10 || o[i] > 34)))
				break;
			i += o[i] - 1u;
		}
	}
	return 1;
}

/* ---- p0f's connection table ------------------------------------------------- */

struct conn {
	uint8_t live, ver;
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	uint32_t next_cli_seq, next_srv_seq;
	uint16_t syn_mss;
	uint8_t acked, sendsyn;
	uint32_t created;
	uint32_t req_len;        /* client bytes kept for the HTTP module */
	uint8_t req_head[6];     /* their start: "GET /" or "HEAD /"? */
};

struct model {
	struct conn *c;          /* in creation order, as p0f's by-age list */
	size_t n, cap, oldest;   /* oldest: first possibly live entry */
	size_t live;
	uint64_t packets;
	uint32_t last_expire;
};

static int addr_eq(const uint8_t *a, const uint8_t *b, uint8_t ver)
{
	return !memcmp(a, b, ver == 4 ? 4 : 16);
}

/* The connection of s and whether s goes client to server. */
static struct conn *lookup(struct model *m, const struct seg *s, int *to_srv)
{
	size_t i;

	for (i = m->oldest; i < m->n; i++) {
		struct conn *c = &m->c[i];

		if (!c->live || c->ver != s->p.family)
			continue;
		if (s->sport == c->cport && s->dport == c->sport &&
		    addr_eq(s->src, c->cli, c->ver) && addr_eq(s->dst, c->srv, c->ver)) {
			*to_srv = 1;
			return c;
		}
		if (s->dport == c->cport && s->sport == c->sport &&
		    addr_eq(s->dst, c->cli, c->ver) && addr_eq(s->src, c->srv, c->ver)) {
			*to_srv = 0;
			return c;
		}
	}
	return NULL;
}

static void drop(struct model *m, struct conn *c)
{
	c->live = 0;
	m->live--;
	while (m->oldest < m->n && !m->c[m->oldest].live)
		m->oldest++;
}

static struct conn *create(struct model *m, const struct seg *s)
{
	struct conn *c;

	if (m->live > P0F_MAX_CONN) {
		size_t kill = 1 + m->live * 10 / 100;

		while (kill-- && m->oldest < m->n)
			drop(m, &m->c[m->oldest]);
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 256;
		struct conn *nc = realloc(m->c, cap * sizeof(*nc));

		if (!nc)
			return NULL;
		m->c = nc;
		m->cap = cap;
	}
	c = &m->c[m->n++];
	memset(c, 0, sizeof(*c));
	c->live = 1;
	c->ver = s->p.family;
	memcpy(c->cli, s->src, 16);
	memcpy(c->srv, s->dst, 16);
	c->cport = s->sport;
	c->sport = s->dport;
	c->next_cli_seq = s->p.seq + 1;
	c->created = s->ts_sec;
	m->live++;
	return c;
}

/* p0f counts every packet it reads and, every EXPIRE_EVERY of them (at
 * most once per second of capture time), forgets connections older than
 * CONN_MAX_AGE. */
static void model_tick(struct model *m, uint32_t now)
{
	if (++m->packets % P0F_EXPIRE_EVERY || now == m->last_expire)
		return;
	m->last_expire = now;
	while (m->oldest < m->n && now - m->c[m->oldest].created > P0F_CONN_MAX_AGE)
		drop(m, &m->c[m->oldest]);
}

/* What p0f does with one segment it reads. */
enum verdict { NOT_LOGGED, LOGGED };

struct logged {
	const char *mod;         /* "syn", "syn+ack", "sendsyn probe", "sendsyn response" */
	uint8_t to_srv, sendsyn;
	const struct conn *conn; /* for the addresses */
};

/* Feeds s to the model; for a SYN or SYN-ACK p0f logs, fills *out and
 * sets s->p.syn_mss. db may be NULL (no signatures: nothing matches). */
static enum verdict model_feed(struct model *m, struct ss_p0f_db *db, struct seg *s,
			       struct logged *out, struct ss_p0f_result *r)
{
	struct conn *c;
	int to_srv = 0;

	c = lookup(m, s, &to_srv);
	memset(r, 0, sizeof(*r));

	switch (s->type) {
	case F_SYN:
		if (c) {
			if (to_srv && c->next_cli_seq - 1 == s->p.seq)
				return NOT_LOGGED;        /* a retransmission */
			drop(m, c);
		}
		c = create(m, s);
		if (!c)
			return NOT_LOGGED;
		if (s->p.window == P0F_SPECIAL_WIN && s->mss == P0F_SPECIAL_MSS)
			c->sendsyn = 1;
		s->p.syn_mss = 0;
		if (db)
			ss_p0f_match_result(db, &s->p, r);
		else
			r->dist = 0;
		*out = (struct logged){ c->sendsyn ? "sendsyn probe" : "syn", 1, c->sendsyn, c };
		c->syn_mss = s->mss;
		/* A tool's SYN: p0f stops following the connection. */
		if (r->label && r->app && !c->sendsyn)
			drop(m, c);
		return LOGGED;
	case F_SYN | F_ACK:
		if (!c)
			return NOT_LOGGED;                /* stray */
		s->p.syn_mss = c->syn_mss;
		if (c->sendsyn) {
			if (db)
				ss_p0f_match_result(db, &s->p, r);
			*out = (struct logged){ "sendsyn response", 0, 1, c };
			drop(m, c);
			return LOGGED;
		}
		if (to_srv || c->acked)
			return NOT_LOGGED;
		c->acked = 1;
		c->next_srv_seq = s->p.seq + 1;
		if (db)
			ss_p0f_match_result(db, &s->p, r);
		*out = (struct logged){ "syn+ack", 0, 0, c };
		if (r->label && r->app)
			drop(m, c);
		return LOGGED;
	case F_RST | F_ACK:
	case F_RST:
	case F_FIN | F_ACK:
	case F_FIN:
		if (c)
			drop(m, c);
		return NOT_LOGGED;
	case F_ACK:
		if (!c)
			return NOT_LOGGED;
		if (c->sendsyn || !c->acked) {
			drop(m, c);
			return NOT_LOGGED;
		}
		/* In-order data moves the expected sequence numbers (so a
		 * later SYN of the first number is no longer a repeat) and goes
		 * to the HTTP module, which gives up on a connection, and p0f
		 * with it, once the client has sent 15 bytes that do not start
		 * a GET or HEAD request, or the server sends first. Past a
		 * GET or HEAD (not in the tests' captures) the module's own
		 * rules are not modelled: the connection stays. */
		if (to_srv) {
			uint32_t i;

			if (c->next_cli_seq != s->p.seq)
				return NOT_LOGGED;
			for (i = 0; i < s->p.payload_len && c->req_len < 8192; i++, c->req_len++)
				if (c->req_len < sizeof(c->req_head))
					c->req_head[c->req_len] = s->payload[i];
			c->next_cli_seq += s->p.payload_len;
			if (s->p.payload_len && c->req_len >= 15 &&
			    memcmp(c->req_head, "GET /", 5) && memcmp(c->req_head, "HEAD /", 6))
				drop(m, c);
		} else {
			if (c->next_srv_seq != s->p.seq)
				return NOT_LOGGED;
			c->next_srv_seq += s->p.payload_len;
			if (s->p.payload_len && c->req_len < 15)
				drop(m, c);
		}
		return NOT_LOGGED;
	default:
		return NOT_LOGGED;
	}
}

/* The MSS of the last SYN of each 4-tuple: what a SYN-ACK that p0f does
 * not follow (so no connection of the model has it) is printed with, as
 * synscope's own handshake table would pair them. */
struct last_syn {
	uint8_t ver, cli[16], srv[16];
	uint16_t cport, sport, mss;
};

/* ---- printing as p0f's log does ------------------------------------------- */

static void print_addr(FILE *f, const uint8_t *a, uint8_t ver)
{
	int i;

	if (ver == 4) {
		fprintf(f, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		return;
	}
	for (i = 0; i < 8; i++)
		fprintf(f, "%s%x", i ? ":" : "", rd16(a + 2 * i));
}

/* params=: how it matched, a far TTL, a non-zero DSCP (fp_tcp.c, dump_flags). */
static void print_params(FILE *f, const struct ss_p0f_result *r, const struct ss_p0f_pkt *p)
{
	uint8_t dscp = p->tos >> 2;
	int any = 0;

#define FLAG(cond, text) do { if (cond) { fprintf(f, "%s%s", any ? " " : "", text); any = 1; } } while (0)
	FLAG(r->label && r->generic, "generic");
	FLAG(r->label && r->fuzzy, "fuzzy");
	FLAG(r->label && r->random_ttl, "random_ttl");
	FLAG(r->dist > P0F_MAX_DIST, "excess_dist");
#undef FLAG
	if (dscp) {
		fprintf(f, "%stos:0x%02x", any ? " " : "", dscp);
		any = 1;
	}
	if (!any)
		fputs("none", f);
}

static void print_p0f_line(FILE *f, uint64_t num, const struct seg *s, const struct logged *lg,
			   const struct ss_p0f_result *r)
{
	char sig[SS_P0F_SIG_MAX];
	const struct conn *c = lg->conn;

	ss_p0f_sig(&s->p, sig, sizeof(sig));
	fprintf(f, "%llu mod=%s|cli=", (unsigned long long)num, lg->mod);
	print_addr(f, c->cli, c->ver);
	fprintf(f, "/%u|srv=", c->cport);
	print_addr(f, c->srv, c->ver);
	fprintf(f, "/%u|subj=%s|", c->sport, lg->to_srv ? "cli" : "srv");
	if (r->label)
		fprintf(f, "%s=%s", r->app || lg->sendsyn ? "app" : "os", r->label);
	else
		fputs("os=???", f);
	if (r->label && r->random_ttl)
		fprintf(f, "|dist=<= %u|params=", r->dist);
	else
		fprintf(f, "|dist=%u|params=", r->dist);
	print_params(f, r, &s->p);
	fprintf(f, "|raw_sig=%s\n", sig);
}

/* ---- reading a capture -------------------------------------------------------- */

struct opts {
	const char *db_path;
	int db_given;
	int p0f_mode;
	int bench;
	const char *craft;
	const char *craft_link;
	const char *capture;
};

static struct ss_p0f_db *open_db(const struct opts *o, int *err)
{
	char msg[256];
	struct ss_p0f_db *db;

	*err = 0;
	db = ss_p0f_db_load(o->db_path, msg, sizeof(msg));
	if (!db) {
		fprintf(stderr, "p0f_check: %s\n", msg);
		/* Without a database every label is "???", unless one was
		 * asked for by name. */
		*err = o->db_given;
	}
	return db;
}

/* p0f's default capture filter (p0f.c, prepare_bpf): on Ethernet also
 * inside one VLAN tag, unless libpcap cannot compile that. */
static int p0f_filter(pcap_t *pc, int dlt, struct bpf_program *f)
{
	if (dlt == DLT_EN10MB && !pcap_compile(pc, f, "tcp or (vlan and tcp)", 1, 0))
		return 0;
	return pcap_compile(pc, f, "tcp", 1, 0) ? -1 : 0;
}

static int run_capture(const struct opts *o, struct ss_p0f_db *db)
{
	char errbuf[PCAP_ERRBUF_SIZE], sig[SS_P0F_SIG_MAX];
	struct bpf_program filter;
	struct last_syn *ls = NULL;
	size_t nls = 0, cap_ls = 0;
	struct model m = { 0 };
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t num = 0;
	pcap_t *pc;
	int dlt, rc, ret = 0;

	pc = pcap_open_offline(o->capture, errbuf);
	if (!pc) {
		fprintf(stderr, "p0f_check: %s\n", errbuf);
		return 1;
	}
	dlt = pcap_datalink(pc);
	if (p0f_filter(pc, dlt, &filter)) {
		fprintf(stderr, "p0f_check: %s: cannot compile p0f's filter: %s\n", o->capture,
			pcap_geterr(pc));
		pcap_close(pc);
		return 1;
	}
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		struct ss_p0f_result r;
		struct logged lg;
		enum verdict v = NOT_LOGGED;
		int p0f_reads;
		struct seg s;
		size_t i;

		num++;
		/* What p0f's filter lets through is all it counts. */
		p0f_reads = pcap_offline_filter(&filter, h, data) != 0;
		if (p0f_reads)
			model_tick(&m, (uint32_t)h->ts.tv_sec);
		if (!decode(dlt, h, data, &s))
			continue;
		if (s.p0f_sees && p0f_reads)
			v = model_feed(&m, db, &s, &lg, &r);
		if (o->p0f_mode) {
			if (v == LOGGED)
				print_p0f_line(stdout, num, &s, &lg, &r);
			continue;
		}
		if (s.type != F_SYN && s.type != (F_SYN | F_ACK))
			continue;

		/* Unlogged SYN-ACKs: the MSS of the last SYN of the 4-tuple. */
		for (i = 0; i < nls; i++)
			if (ls[i].ver == s.p.family &&
			    (s.type == F_SYN ? s.sport == ls[i].cport && s.dport == ls[i].sport &&
					       addr_eq(s.src, ls[i].cli, s.p.family) &&
					       addr_eq(s.dst, ls[i].srv, s.p.family)
					     : s.dport == ls[i].cport && s.sport == ls[i].sport &&
					       addr_eq(s.dst, ls[i].cli, s.p.family) &&
					       addr_eq(s.src, ls[i].srv, s.p.family)))
				break;
		if (s.type == F_SYN) {
			if (i == nls) {
				struct last_syn *n = nls == cap_ls ?
					realloc(ls, (cap_ls = cap_ls ? 2 * cap_ls : 64) * sizeof(*ls)) : ls;

				if (!n) {
					fprintf(stderr, "p0f_check: out of memory\n");
					ret = 1;
					break;
				}
				ls = n;
				memset(&ls[nls], 0, sizeof(ls[nls]));
				ls[nls].ver = s.p.family;
				memcpy(ls[nls].cli, s.src, 16);
				memcpy(ls[nls].srv, s.dst, 16);
				ls[nls].cport = s.sport;
				ls[nls].sport = s.dport;
				nls++;
			}
			ls[i].mss = s.mss;
		} else if (v != LOGGED) {
			s.p.syn_mss = i < nls ? ls[i].mss : 0;
			if (db)
				ss_p0f_match_result(db, &s.p, &r);
			else
				memset(&r, 0, sizeof(r));
		}
		if (v != LOGGED && s.type == F_SYN) {
			if (db)
				ss_p0f_match_result(db, &s.p, &r);
			else
				memset(&r, 0, sizeof(r));
		}
		ss_p0f_sig(&s.p, sig, sizeof(sig));
		printf("%llu %s %s %s\n", (unsigned long long)num, s.type == F_SYN ? "syn" : "synack",
		       sig, r.label ? r.label : "???");
	}
	if (rc == -1) {
		fprintf(stderr, "p0f_check: %s: %s\n", o->capture, pcap_geterr(pc));
		ret = 1;
	}
	pcap_freecode(&filter);
	pcap_close(pc);
	free(m.c);
	free(ls);
	return ret;
}

/* ---- benchmark ------------------------------------------------------------------- */

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* Built-in packets when no capture is given: the SYNs of common systems. */
static size_t builtin_packets(struct ss_p0f_pkt *v, size_t max)
{
	static const uint8_t linux_opts[20] = { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 1, 2, 3, 0, 0, 0, 0, 1, 3, 3, 7 };
	static const uint8_t win_opts[12] = { 2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2 };
	static const uint8_t mac_opts[24] = { 2, 4, 5, 0xb4, 1, 3, 3, 6, 1, 1, 8, 10, 0, 0, 0, 9,
					      0, 0, 0, 0, 4, 2, 0, 0 };
	static const uint8_t bsd_opts[20] = { 2, 4, 5, 0xb4, 1, 3, 3, 6, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 0 };
	struct { uint8_t fam, ttl; uint16_t win; const uint8_t *o; uint8_t n; uint8_t flags; } t[] = {
		{ 4, 64, 64240, linux_opts, 20, F_SYN }, { 6, 64, 64800, linux_opts, 20, F_SYN },
		{ 4, 128, 64240, win_opts, 12, F_SYN }, { 4, 64, 65535, mac_opts, 24, F_SYN },
		{ 4, 64, 65535, bsd_opts, 20, F_SYN }, { 4, 57, 29200, linux_opts, 20, F_SYN },
		{ 4, 64, 65160, linux_opts, 20, F_SYN | F_ACK }, { 4, 120, 8192, win_opts, 12, F_SYN | F_ACK },
	};
	size_t i, n = sizeof(t) / sizeof(t[0]) < max ? sizeof(t) / sizeof(t[0]) : max;

	for (i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].family = t[i].fam;
		v[i].ttl = t[i].ttl;
		v[i].ip_id = 0x4d2;
		v[i].ip_frag = 0x4000;
		v[i].seq = 0x12345678;
		v[i].ack = t[i].flags & F_ACK ? 0x9abcdef0 : 0;
		v[i].window = t[i].win;
		v[i].flags = t[i].flags;
		v[i].doff_res = (uint8_t)((20 + t[i].n) / 4 << 4);
		v[i].opt_len = t[i].n;
		memcpy(v[i].opts, t[i].o, t[i].n);
		v[i].syn_mss = t[i].flags & F_ACK ? 1460 : 0;
	}
	return n;
}

static int run_bench(const struct opts *o, struct ss_p0f_db *db)
{
	enum { MAXP = 4096, MISS_ROUNDS = 16 << 16 };
	struct ss_p0f_pkt *v = calloc(MAXP, sizeof(*v));
	char errbuf[PCAP_ERRBUF_SIZE], sig[SS_P0F_SIG_MAX];
	uint64_t sum = 0, h0, m0, h1, m1, iters, k;
	double t0, ns_sig, ns_hit, ns_miss;
	size_t n = 0, i;

	if (!v)
		return 1;
	if (o->capture) {
		struct pcap_pkthdr *h;
		const u_char *data;
		pcap_t *pc = pcap_open_offline(o->capture, errbuf);
		int dlt;

		if (!pc) {
			fprintf(stderr, "p0f_check: %s\n", errbuf);
			free(v);
			return 1;
		}
		dlt = pcap_datalink(pc);
		while (n < MAXP && pcap_next_ex(pc, &h, &data) == 1) {
			struct seg s;

			if (decode(dlt, h, data, &s) && (s.type == F_SYN || s.type == (F_SYN | F_ACK)))
				v[n++] = s.p;
		}
		pcap_close(pc);
	}
	if (!n)
		n = builtin_packets(v, MAXP);

	iters = 2000000 / n + 1;
	t0 = now_ns();
	for (k = 0; k < iters; k++)
		for (i = 0; i < n; i++)
			sum += ss_p0f_sig(&v[i], sig, sizeof(sig));
	ns_sig = (now_ns() - t0) / (double)(iters * n);

	for (i = 0; i < n; i++)          /* warm the cache */
		sum += (uintptr_t)ss_p0f_match(db, &v[i], NULL, NULL);
	ss_p0f_cache_stats(db, &h0, &m0);
	t0 = now_ns();
	for (k = 0; k < iters; k++)
		for (i = 0; i < n; i++)
			sum += (uintptr_t)ss_p0f_match(db, &v[i], NULL, NULL);
	ns_hit = (now_ns() - t0) / (double)(iters * n);
	ss_p0f_cache_stats(db, &h1, &m1);
	if (m1 != m0) {
		fprintf(stderr, "p0f_check: %llu misses in the cached run (%zu distinct packets)\n",
			(unsigned long long)(m1 - m0), n);
	}

	/* Misses: each packet with every window in turn, so that a key comes
	 * back only after 65536 others have gone through the cache. */
	ss_p0f_cache_stats(db, &h0, &m0);
	t0 = now_ns();
	for (k = 0; k < MISS_ROUNDS; k++) {
		struct ss_p0f_pkt p = v[(k >> 16) % n];

		p.window = (uint16_t)k;
		sum += (uintptr_t)ss_p0f_match(db, &p, NULL, NULL);
	}
	ns_miss = (now_ns() - t0) / MISS_ROUNDS;
	ss_p0f_cache_stats(db, &h1, &m1);

	printf("packets %zu (distinct SYN/SYN-ACK inputs)\n", n);
	printf("ss_p0f_sig            %.1f ns\n", ns_sig);
	printf("ss_p0f_match cached   %.1f ns\n", ns_hit);
	printf("ss_p0f_match uncached %.1f ns (%llu of %u were misses)\n", ns_miss,
	       (unsigned long long)(m1 - m0), MISS_ROUNDS);
	fprintf(stderr, "(checksum %llu)\n", (unsigned long long)sum);
	free(v);
	return 0;
}

/* ---- the crafted capture ----------------------------------------------------------- */

#define OPT_MSS(v) 2, 4, (v) >> 8, (v) & 0xff
#define OPT_WS(s) 3, 3, (s)
#define OPT_SOK 4, 2
#define OPT_TS(a, b) 8, 10, (a) >> 24 & 0xff, (a) >> 16 & 0xff, (a) >> 8 & 0xff, (a) & 0xff, \
		     (b) >> 24 & 0xff, (b) >> 16 & 0xff, (b) >> 8 & 0xff, (b) & 0xff
#define NOP 1
#define EOL 0
#define OPTS(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* One segment as crafted: what tp_build() does not set, and its default. */
struct craft_seg {
	int family;
	int reply;            /* server to client */
	uint16_t cport;       /* client port */
	uint8_t flags, ttl, tos, ns;
	uint16_t win, frag, urg, payload;
	int32_t id;           /* -1: packets.h's 0x1234 */
	int32_t flow;         /* IPv6 flow label; -1: packets.h's 0x12345 */
	uint8_t ip4_optlen;
	uint32_t seq, ack;
	uint8_t optlen;
	uint8_t opts[40];
};

struct crafter {
	struct cb_writer *w;
	uint64_t ts;
	uint16_t next_port;
	int failed;
};

static struct craft_seg syn4(struct crafter *c, uint8_t ttl, uint16_t win, const uint8_t *o, size_t n)
{
	struct craft_seg s = { .family = 4, .flags = F_SYN, .ttl = ttl, .win = win,
			       .frag = 0x4000, .id = -1, .flow = -1, .seq = 0x10000000u };

	s.cport = c->next_port++;
	s.seq += s.cport;
	if (n > 40 || n % 4)
		tp_fail("crafted options: a multiple of 4, at most 40");
	memcpy(s.opts, o, n);
	s.optlen = (uint8_t)n;
	return s;
}

static struct craft_seg syn6(struct crafter *c, uint8_t ttl, uint16_t win, const uint8_t *o, size_t n)
{
	struct craft_seg s = syn4(c, ttl, win, o, n);

	s.family = 6;
	s.frag = 0;
	s.flow = 0;
	return s;
}

/* The server's answer to SYN s. */
static struct craft_seg synack_to(const struct craft_seg *s, uint8_t ttl, uint16_t win,
				  const uint8_t *o, size_t n)
{
	struct craft_seg r = *s;

	r.reply = 1;
	r.flags = F_SYN | F_ACK;
	r.ttl = ttl;
	r.win = win;
	r.ack = s->seq + 1;
	r.seq = 0x20000000u + s->cport;
	r.id = 0;
	r.payload = 0;
	memset(r.opts, 0, sizeof(r.opts));
	memcpy(r.opts, o, n);
	r.optlen = (uint8_t)n;
	return r;
}

static void emit(struct crafter *c, const struct craft_seg *s)
{
	struct tp_flow f = tp_flow_client(s->family, F_SYN);
	struct tp_shape shape = { .ip4_optlen = s->ip4_optlen, .payload = s->payload };
	struct tpkt p;

	f.sport = s->cport;
	f.dport = 80;
	if (s->reply)
		f = tp_flow_reverse(&f, s->flags, s->seq, s->ack);
	f.seq = s->seq;
	f.ack = s->ack;
	f.flags = s->flags;
	f.window = s->win;
	f.ttl = s->ttl;
	tp_set_opts(&f, s->opts, s->optlen);
	if (s->family == 4)
		shape.ip4_frag = s->frag;
	tp_build(&p, &shape, &f);
	if (s->family == 4) {
		tp_set8(&p, p.l3 + 1, s->tos);
		if (s->id >= 0)
			tp_set16(&p, p.l3 + 4, (uint16_t)s->id);
	} else {
		uint32_t flow = s->flow >= 0 ? (uint32_t)s->flow : 0x12345;

		tp_set8(&p, p.l3, (uint8_t)(0x60 | s->tos >> 4));
		tp_set8(&p, p.l3 + 1, (uint8_t)((s->tos & 0x0f) << 4 | (flow >> 16 & 0x0f)));
		tp_set16(&p, p.l3 + 2, (uint16_t)flow);
	}
	if (s->ns)
		tp_set8(&p, p.l4 + 12, p.b[p.l4 + 12] | 0x01);
	tp_set16(&p, p.l4 + 18, s->urg);
	tp_finish(&p);
	c->ts += 1000000;            /* 1 ms apart */
	cb_add(c->w, c->ts, &p, CB_WHOLE, 0);
}

static void craft_all(struct crafter *c)
{
	struct craft_seg s, r;
	int i;

	/* -- the layouts of p0f.fp signatures ------------------------------- */
	/* Windows 7 or 8, 8 hops away */
	s = syn4(c, 120, 8192, OPTS(OPT_MSS(1460), NOP, OPT_WS(2), NOP, NOP, OPT_SOK));
	emit(c, &s);
	/* Windows XP */
	s = syn4(c, 113, 65535, OPTS(OPT_MSS(1460), NOP, NOP, OPT_SOK));
	emit(c, &s);
	/* Windows 7 or 8 without DF: 'df' and 'id+' gone, a fuzzy match */
	s = syn4(c, 128, 8192, OPTS(OPT_MSS(1460), NOP, OPT_WS(8), NOP, NOP, OPT_SOK));
	s.frag = 0;
	emit(c, &s);
	/* Windows, a window no specific signature has: generic NT kernel */
	s = syn4(c, 125, 12345, OPTS(OPT_MSS(1460), NOP, NOP, OPT_SOK));
	emit(c, &s);
	/* Mac OS X 10.x, 10.9+, iOS: window scale 3, 4, 2 */
	for (i = 0; i < 3; i++) {
		static const uint8_t ws[3] = { 3, 4, 2 };

		s = syn4(c, 61, 65535, OPTS(OPT_MSS(1460), NOP, OPT_WS(0), NOP, NOP,
					    OPT_TS(0x0badcafe, 0), OPT_SOK, EOL, EOL));
		s.opts[7] = ws[i];
		emit(c, &s);
	}
	/* Mac OS X over IPv6 */
	s = syn6(c, 64, 65535, OPTS(OPT_MSS(1440), NOP, OPT_WS(5), NOP, NOP,
				    OPT_TS(0x0badcafe, 0), OPT_SOK, EOL, EOL));
	emit(c, &s);
	/* FreeBSD 9.x, 8.x, and a scale only the generic signature has */
	for (i = 0; i < 3; i++) {
		static const uint8_t ws[3] = { 6, 3, 9 };

		s = syn4(c, 64, 65535, OPTS(OPT_MSS(1460), NOP, OPT_WS(0), OPT_SOK, OPT_TS(77, 0)));
		s.opts[7] = ws[i];
		emit(c, &s);
	}
	/* OpenBSD 4.x-5.x */
	s = syn4(c, 64, 16384, OPTS(OPT_MSS(1460), NOP, NOP, OPT_SOK, NOP, OPT_WS(3), NOP, NOP,
				    OPT_TS(123456, 0)));
	emit(c, &s);
	/* Solaris 10: the window is 34 times the MSS */
	s = syn4(c, 255, 34 * 1460, OPTS(OPT_MSS(1460), NOP, OPT_WS(0), NOP, NOP, OPT_SOK));
	emit(c, &s);
	/* Solaris 8, options last-to-first */
	s = syn4(c, 64, 32850, OPTS(NOP, OPT_WS(1), NOP, NOP, OPT_TS(5, 0), NOP, NOP, OPT_SOK,
				    OPT_MSS(1460)));
	emit(c, &s);
	/* Linux 2.6 (window 4 MSS), 2.4, 2.0 (no DF, no quirk at all) */
	s = syn4(c, 64, 4 * 1460, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(99, 0), NOP, OPT_WS(7)));
	emit(c, &s);
	s = syn4(c, 58, 4 * 1400, OPTS(OPT_MSS(1400), OPT_SOK, OPT_TS(99, 0), NOP, OPT_WS(1)));
	emit(c, &s);
	s = syn4(c, 64, 16384, OPTS(OPT_MSS(1460)));
	s.frag = 0;
	emit(c, &s);
	/* Linux 3.11+: window 20 MSS, scale 7; then 12 bytes off the MSS for
	 * the timestamps (mss-12) */
	s = syn4(c, 64, 20 * 1460, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(7)));
	emit(c, &s);
	s = syn4(c, 50, 20 * 1448, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(10)));
	emit(c, &s);
	/* ...with its own timestamp 0, the mss-12 rule does not apply */
	s = syn4(c, 50, 20 * 1448, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(0, 0), NOP, OPT_WS(10)));
	emit(c, &s);
	/* Linux, fuzzy: 44 hops (TTL 20), then a TTL above 64, then ECN
	 * flags on the SYN, then no DF and IP ID 0 ('id-') */
	s = syn4(c, 20, 20 * 1460, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(7)));
	emit(c, &s);
	s = syn4(c, 100, 20 * 1460, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(7)));
	emit(c, &s);
	s = syn4(c, 64, 20 * 1460, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(7)));
	s.flags |= 0xc0;
	emit(c, &s);
	s = syn4(c, 64, 20 * 1460, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(7)));
	s.frag = 0;
	s.id = 0;
	emit(c, &s);
	/* Linux generic: window 10 MSS with scale 9, any window */
	s = syn4(c, 64, 10 * 1460, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(9)));
	emit(c, &s);
	s = syn4(c, 64, 64240, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(7)));
	emit(c, &s);
	/* The same over IPv6 without and with a flow label ('flow' makes it
	 * unknown), and with the window a multiple of the MSS for IPv6 */
	s = syn6(c, 64, 20 * 1440, OPTS(OPT_MSS(1440), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(7)));
	emit(c, &s);
	s = syn6(c, 64, 20 * 1440, OPTS(OPT_MSS(1440), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(7)));
	s.flow = 0xabcde;
	emit(c, &s);
	s = syn6(c, 64, 20 * 1428, OPTS(OPT_MSS(1220), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(7)));
	emit(c, &s);
	/* NeXTSTEP's signature is '4:' only, yet p0f matches IPv6 with it */
	s = syn6(c, 64, 4 * 1024, OPTS(OPT_MSS(1024)));
	emit(c, &s);
	/* Android (window 44 MSS), the Google crawler ('4:', no quirk) */
	s = syn4(c, 64, 44 * 1460, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(3)));
	emit(c, &s);
	s = syn4(c, 52, 4 * 1430, OPTS(OPT_MSS(1430), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(6)));
	s.frag = 0;
	emit(c, &s);
	/* Windows window as MTU multiple (mtu*2): OpenVMS 8.x '4:128' */
	s = syn4(c, 128, 2 * 1500, OPTS(OPT_MSS(1460), NOP, OPT_WS(0)));
	s.frag = 0;
	emit(c, &s);
	/* NMap's SYN scan: a tool, random TTL (dist "<= N") */
	s = syn4(c, 47, 1024, OPTS(OPT_MSS(1460)));
	s.frag = 0;
	emit(c, &s);
	/* NMap OS detection probe T2-like, 'ack+' only with bit 24 of the
	 * ACK field set (p0f's check) */
	s = syn4(c, 40, 63, OPTS(OPT_MSS(1400), OPT_WS(0), OPT_SOK, OPT_TS(0xffffffffu, 0), EOL));
	s.frag = 0;
	s.ack = 0x01000000;
	emit(c, &s);
	s = syn4(c, 40, 63, OPTS(OPT_MSS(1400), OPT_WS(0), OPT_SOK, OPT_TS(0xffffffffu, 0), EOL));
	s.frag = 0;
	s.ack = 0x00ffffff;
	emit(c, &s);
	/* p0f-sendsyn's probe and its answer */
	s = syn4(c, 192, P0F_SPECIAL_WIN, OPTS(OPT_MSS(P0F_SPECIAL_MSS), NOP, EOL, 0, 0, 0, 0, 0, 0,
					       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
	s.frag = 0;
	emit(c, &s);
	r = synack_to(&s, 64, 14600, OPTS(OPT_MSS(1460)));
	r.frag = 0x4000;
	emit(c, &r);

	/* -- quirks, one by one, on a layout no signature has ---------------- */
	{
		static const uint8_t base[8] = { OPT_MSS(1380), NOP, OPT_WS(5) };
		struct craft_seg q0 = syn4(c, 64, 1000, base, sizeof(base));

		for (i = 0; i < 17; i++) {
			s = q0;
			s.cport = c->next_port++;
			switch (i) {
			case 0: s.frag = 0; break;                        /* no quirk */
			case 1: s.frag = 0; s.id = 0; break;              /* id- */
			case 2: s.id = 0; break;                          /* df, no id+ */
			case 3: s.tos = 0x02; break;                      /* ecn (ECT) */
			case 4: s.frag |= 0x8000; break;                  /* 0+ */
			case 5: s.seq = 0; break;                         /* seq- */
			case 6: s.ack = 0x7f000000; break;                /* ack+ */
			case 7: s.urg = 7; break;                         /* uptr+ */
			case 8: s.flags |= F_URG; break;                  /* urgf+ */
			case 9: s.flags |= F_PSH; break;                  /* pushf+ */
			case 10: s.ns = 1; break;                         /* ecn (NS bit) */
			case 11: s.tos = 0xb8; break;                     /* params tos:0x2e */
			case 12: s.payload = 5; break;                    /* pclass + */
			case 13: s.ip4_optlen = 4; break;                 /* olen 4 */
			case 14: s.ip4_optlen = 8; s.tos = 0x01; break;   /* olen 8, ecn (CE) */
			case 15: s.flags |= F_URG | F_PSH; s.urg = 1; s.seq = 0; break;
			case 16: s.family = 6; s.frag = 0; s.flow = 0x54321; s.tos = 0x03; break;
			}
			emit(c, &s);
		}
	}
	/* Option quirks */
	s = syn4(c, 64, 1000, OPTS(OPT_MSS(1380), OPT_TS(0, 0), NOP, NOP));      /* ts1- */
	emit(c, &s);
	s = syn4(c, 64, 1000, OPTS(OPT_MSS(1380), OPT_TS(5, 6), NOP, NOP));      /* ts2+ */
	emit(c, &s);
	s = syn4(c, 64, 1000, OPTS(OPT_MSS(1380), EOL, 0, 7, 0));                /* opt+ */
	emit(c, &s);
	s = syn4(c, 64, 1000, OPTS(OPT_MSS(1380), EOL, 0, 0, 7));                /* last byte: no opt+ */
	emit(c, &s);
	s = syn4(c, 64, 1000, OPTS(OPT_MSS(1380), EOL, 0, 0, 0, 0, 0, 0, 0));    /* eol+7 */
	emit(c, &s);
	s = syn4(c, 64, 1000, OPTS(OPT_MSS(1380), NOP, OPT_WS(15)));             /* exws */
	emit(c, &s);
	s = syn4(c, 64, 1000, OPTS(2, 5, 5, 0x64, NOP, NOP, NOP, NOP));          /* bad: MSS length 5 */
	emit(c, &s);
	s = syn4(c, 64, 1000, OPTS(OPT_MSS(1380), NOP, NOP, 8, 10, 1, 2, 3, 4)); /* bad: TS cut */
	emit(c, &s);
	s = syn4(c, 64, 1000, OPTS(OPT_MSS(1380), 30, 1, 0, 0));                 /* bad: length 1 */
	emit(c, &s);
	s = syn4(c, 64, 1000, OPTS(OPT_MSS(1380), 5, 8, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0)); /* bad: SACK < 10 */
	emit(c, &s);
	s = syn4(c, 64, 1000, OPTS(OPT_MSS(1380), 5, 10, 1, 2, 3, 4, 5, 6, 7, 8, NOP, NOP)); /* sack */
	emit(c, &s);
	s = syn4(c, 64, 1000, OPTS(OPT_MSS(1380), 30, 4, 0, 0x81, 253, 4, 1, 2)); /* ?30,?253 */
	emit(c, &s);
	s = syn4(c, 64, 1000, OPTS(OPT_MSS(1380), 3, 2, 7, NOP, 4, 3, NOP, NOP)); /* bad: WS, SOK lengths */
	emit(c, &s);
	{
		uint8_t nops[40];

		memset(nops, NOP, sizeof(nops));
		s = syn4(c, 64, 1000, nops, sizeof(nops));                       /* 24 options, then bad */
		emit(c, &s);
		s = syn4(c, 64, 1000, nops, 24);                                 /* exactly 24 */
		emit(c, &s);
	}
	s = syn4(c, 64, 1000, OPTS(OPT_MSS(99), NOP, OPT_WS(5)));                /* MSS < 100: no mss* */
	s.win = 99 * 10;
	emit(c, &s);
	s = syn4(c, 64, 0, OPTS(OPT_MSS(1380), NOP, OPT_WS(5)));                 /* window 0 */
	emit(c, &s);
	s = syn4(c, 64, 1500 * 3, OPTS(OPT_MSS(1380), NOP, OPT_WS(5)));           /* mtu*3 (1500) */
	emit(c, &s);
	s = syn4(c, 64, 1420 * 3, OPTS(OPT_MSS(1380), NOP, OPT_WS(5)));           /* mtu*3 (mss+40) */
	emit(c, &s);
	s = syn4(c, 64, 1428 * 3, OPTS(OPT_MSS(1380), NOP, OPT_WS(5)));           /* mtu*3 (actual headers) */
	emit(c, &s);
	s = syn4(c, 64, 1460 * 7, OPTS(OPT_MSS(1380), NOP, OPT_WS(5)));           /* mss*7 (1460) */
	emit(c, &s);
	s = syn6(c, 64, 1440 * 7, OPTS(OPT_MSS(1380), NOP, OPT_WS(5)));           /* mss*7 (IPv6 1440) */
	emit(c, &s);
	s = syn6(c, 64, 1440 * 7, OPTS(OPT_MSS(1380), NOP, OPT_WS(5)));           /* IPv4 has no 1440 rule */
	s.family = 4;
	s.frag = 0x4000;
	emit(c, &s);
	s = syn4(c, 130, 1000, OPTS(OPT_MSS(1380), NOP, OPT_WS(5)));             /* TTL 130: dist 125, '?' */
	emit(c, &s);
	s = syn4(c, 1, 1000, OPTS(OPT_MSS(1380), NOP, OPT_WS(5)));
	emit(c, &s);

	/* -- SYN-ACKs ---------------------------------------------------------- */
	/* Linux 3.x answering: window 10 MSS, DF, IP ID 0 */
	s = syn4(c, 64, 29200, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(7)));
	emit(c, &s);
	r = synack_to(&s, 64, 14600, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(2000, 1000), NOP, OPT_WS(7)));
	emit(c, &r);
	/* Its second SYN-ACK: p0f logs only the first */
	emit(c, &r);
	/* Windows 7 answering, scale 8 */
	s = syn4(c, 128, 8192, OPTS(OPT_MSS(1460), NOP, OPT_WS(8), NOP, NOP, OPT_SOK));
	emit(c, &s);
	r = synack_to(&s, 128, 8192, OPTS(OPT_MSS(1460), NOP, OPT_WS(8), OPT_SOK, OPT_TS(9, 8)));
	r.id = 0x4321;
	emit(c, &r);
	/* FreeBSD 9 answering */
	s = syn4(c, 64, 65535, OPTS(OPT_MSS(1460), NOP, OPT_WS(6), OPT_SOK, OPT_TS(77, 0)));
	emit(c, &s);
	r = synack_to(&s, 64, 65535, OPTS(OPT_MSS(1460), NOP, OPT_WS(6), OPT_SOK, OPT_TS(1, 77)));
	r.id = 0x777;
	emit(c, &r);
	/* The window a multiple of the SYN's MSS only (1000 * 4): Linux 2.4-2.6 */
	s = syn4(c, 64, 8000, OPTS(OPT_MSS(1000)));
	emit(c, &s);
	r = synack_to(&s, 64, 4000, OPTS(OPT_MSS(1460)));
	emit(c, &r);
	/* ...of the SYN's MSS minus 12 */
	s = syn4(c, 64, 8000, OPTS(OPT_MSS(1012)));
	emit(c, &s);
	r = synack_to(&s, 64, 4000, OPTS(OPT_MSS(1460)));
	emit(c, &r);
	/* A SYN-ACK echoing p0f-sendsyn's MSS prints '*' */
	s = syn4(c, 64, 8000, OPTS(OPT_MSS(1331)));
	emit(c, &s);
	r = synack_to(&s, 64, 13310, OPTS(OPT_MSS(1331)));
	emit(c, &r);
	/* IPv6 SYN-ACK with a flow label and ECN */
	s = syn6(c, 64, 28800, OPTS(OPT_MSS(1440), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(7)));
	emit(c, &s);
	r = synack_to(&s, 64, 28560, OPTS(OPT_MSS(1428), OPT_SOK, OPT_TS(3, 1000), NOP, OPT_WS(7)));
	r.flow = 0x1f00d;
	r.flags |= 0x40;
	emit(c, &r);
	/* A SYN-ACK nobody asked for (no SYN): p0f ignores it */
	s = syn4(c, 64, 29200, OPTS(OPT_MSS(1460)));
	r = synack_to(&s, 64, 14600, OPTS(OPT_MSS(1460)));
	emit(c, &r);
	/* A SYN-ACK from the client's side: p0f ignores it too */
	s = syn4(c, 64, 29200, OPTS(OPT_MSS(1460)));
	emit(c, &s);
	r = s;
	r.flags = F_SYN | F_ACK;
	r.ack = 1;
	emit(c, &r);
	/* The answer to a tool's SYN: p0f stopped following it */
	s = syn4(c, 60, 2048, OPTS(OPT_MSS(1460)));
	s.frag = 0;
	emit(c, &s);
	r = synack_to(&s, 64, 14600, OPTS(OPT_MSS(1460)));
	emit(c, &r);

	/* -- repeated SYNs -------------------------------------------------------- */
	s = syn4(c, 64, 29200, OPTS(OPT_MSS(1460), OPT_SOK, OPT_TS(1000, 0), NOP, OPT_WS(7)));
	emit(c, &s);
	emit(c, &s);                  /* a retransmission: not logged */
	s.seq += 1000;
	emit(c, &s);                  /* a new attempt: logged */
	r = s;
	r.flags = F_RST;
	r.seq++;
	emit(c, &r);                  /* a RST ends the connection... */
	emit(c, &s);                  /* ...so the same SYN is logged again */
	/* A SYN with a FIN, a SYN with a RST, a first fragment: p0f drops them */
	s = syn4(c, 64, 29200, OPTS(OPT_MSS(1460)));
	s.flags |= F_FIN;
	emit(c, &s);
	s.flags = F_SYN | F_RST;
	emit(c, &s);
	s.flags = F_SYN;
	s.frag = 0x2000;
	emit(c, &s);
}

static int run_craft(const struct opts *o)
{
	static const struct { const char *name; int dlt; } links[] = {
		{ "ethernet", CB_DLT_EN10MB }, { "sll", CB_DLT_LINUX_SLL },
		{ "sll2", CB_DLT_LINUX_SLL2 }, { "raw", CB_DLT_RAW },
	};
	struct cb_link l = { .name = "p0f-crafted", .dlt = CB_DLT_EN10MB, .family = 4 };
	struct crafter c = { .ts = CB_BASE_NS, .next_port = 41000 };
	size_t i;

	for (i = 0; o->craft_link && i < sizeof(links) / sizeof(links[0]); i++)
		if (!strcmp(o->craft_link, links[i].name))
			break;
	if (i == sizeof(links) / sizeof(links[0])) {
		fprintf(stderr, "p0f_check: unknown link type '%s' (ethernet, sll, sll2, raw)\n",
			o->craft_link);
		return 2;
	}
	if (o->craft_link)
		l.dlt = links[i].dlt;
	c.w = cb_open(o->craft, &l);
	if (!c.w)
		return 1;
	craft_all(&c);
	if (cb_close(c.w)) {
		fprintf(stderr, "p0f_check: %s: %s\n", o->craft, strerror(errno));
		return 1;
	}
	return 0;
}

/* ---- the random capture ------------------------------------------------------------ */

/* Random option bytes: good options, wrong lengths, any byte, EOL with
 * padding that is sometimes not zero; n of them. */
static void random_options(uint32_t *r, uint8_t *o, uint32_t n)
{
	uint32_t i = 0;

	while (i < n) {
		uint32_t room = n - i, v = tp_rand(r);

		switch (tp_rand(r) % 10) {
		case 0:
			if (room >= 4) {
				o[i++] = 2;
				o[i++] = tp_rand(r) % 8 ? 4 : (uint8_t)(tp_rand(r) % 8);
				o[i++] = (uint8_t)(v >> 8);
				o[i++] = (uint8_t)v;
			}
			break;
		case 1:
			if (room >= 3) {
				o[i++] = 3;
				o[i++] = tp_rand(r) % 8 ? 3 : 2;
				o[i++] = (uint8_t)(v % 20);
			}
			break;
		case 2:
			if (room >= 2) {
				o[i++] = 4;
				o[i++] = tp_rand(r) % 8 ? 2 : 3;
			}
			break;
		case 3:
			if (room >= 10) {
				o[i++] = 8;
				o[i++] = tp_rand(r) % 8 ? 10 : 9;
				memset(o + i, 0, 8);
				if (v & 1)
					o[i + 3] = (uint8_t)(v >> 8);
				if (v & 2)
					o[i + 7] = (uint8_t)(v >> 16);
				i += 8;
			}
			break;
		case 4:
			if (room >= 2) {
				uint32_t len = 2 + tp_rand(r) % 40;

				o[i++] = 5;
				o[i++] = (uint8_t)len;
				while (i < n && len-- > 2)
					o[i++] = (uint8_t)tp_rand(r);
			}
			break;
		case 5:
			o[i++] = (uint8_t)v;
			break;
		case 6:
			o[i++] = 0;
			while (i < n)
				o[i++] = tp_rand(r) % 6 ? 0 : (uint8_t)tp_rand(r);
			break;
		case 7:
			if (room >= 2) {
				uint32_t len = tp_rand(r) % 44;

				o[i++] = (uint8_t)(9 + v % 247);
				o[i++] = (uint8_t)len;
			}
			break;
		default:
			o[i++] = 1;
			break;
		}
	}
}

/*
 * count random TCP segments over Ethernet, of a few hosts and ports so
 * that connections repeat: mostly SYNs and SYN-ACKs, also RSTs, FINs,
 * ACKs and flags p0f drops; random header fields, options, payloads,
 * lengths that lie, records cut short, fragments, and time gaps longer
 * than p0f follows a connection.
 */
static int run_random(const char *path, uint32_t count, uint32_t seed)
{
	static const uint8_t flag_set[] = {
		F_SYN, F_SYN, F_SYN, F_SYN | F_ACK, F_SYN | F_ACK, F_SYN | F_ACK, F_ACK, F_RST,
		F_RST | F_ACK, F_FIN | F_ACK, F_SYN | F_FIN, F_SYN | F_PSH, F_SYN | F_ACK | F_PSH,
	};
	struct cb_link l = { .name = "p0f-random", .dlt = CB_DLT_EN10MB, .family = 4 };
	struct cb_writer *w = cb_open(path, &l);
	uint64_t ts = CB_BASE_NS;
	uint32_t r = seed ? seed : 1, k;

	if (!w)
		return 1;
	for (k = 0; k < count; k++) {
		uint8_t b[14 + 60 + 60 + 64];
		uint32_t v6 = tp_rand(&r) % 3 == 0, ihl = 20, doff, optn, pay, len, tot, i;
		uint32_t host_a = tp_rand(&r) % 3, host_b = tp_rand(&r) % 3;
		uint16_t port_a = (uint16_t)(40000 + tp_rand(&r) % 6), port_b = (uint16_t)(80 + tp_rand(&r) % 2);
		uint8_t *ip = b + 14, *tcp, flags;
		int reverse = tp_rand(&r) % 2, real;

		memset(b, 0, sizeof(b));
		b[12] = v6 ? 0x86 : 0x08;
		b[13] = v6 ? 0xdd : 0x00;
		if (!v6) {
			static const uint16_t frag[] = { 0, 0x4000, 0x4000, 0x4000, 0x8000, 0xc000, 0x2000, 0x0010 };

			ihl = 20 + (tp_rand(&r) % 4 ? 0 : 4 * (tp_rand(&r) % 4));
			ip[0] = (uint8_t)(0x40 | ihl / 4);
			ip[1] = tp_rand(&r) % 3 ? 0 : (uint8_t)tp_rand(&r);
			if (tp_rand(&r) % 4) {
				ip[4] = (uint8_t)tp_rand(&r);
				ip[5] = (uint8_t)(tp_rand(&r) | 1);
			}
			put16(ip + 6, frag[tp_rand(&r) % 8]);
			ip[8] = (uint8_t)tp_rand(&r);
			ip[9] = tp_rand(&r) % 50 ? 6 : 17;
			ip[12] = ip[16] = 198;
			ip[13] = ip[17] = 18;
			ip[15] = (uint8_t)(1 + (reverse ? host_b : host_a));
			ip[19] = (uint8_t)(101 + (reverse ? host_a : host_b));
			for (i = 20; i < ihl; i++)
				ip[i] = i == 20 ? 148 : 1;
		} else {
			uint32_t vtf = 6u << 28 | (tp_rand(&r) % 3 ? 0 : tp_rand(&r) & 0x0ff00000) |
				       (tp_rand(&r) % 2 ? tp_rand(&r) & 0xfffff : 0);

			ihl = 40;
			put32(ip, vtf);
			ip[6] = tp_rand(&r) % 50 ? 6 : 0;
			ip[7] = (uint8_t)tp_rand(&r);
			ip[8] = ip[24] = 0xfd;
			ip[9] = ip[25] = 0x00;
			ip[10] = ip[26] = 0x00;
			ip[11] = ip[27] = 0x5c;
			ip[23] = (uint8_t)(1 + (reverse ? host_b : host_a));
			ip[39] = (uint8_t)(101 + (reverse ? host_a : host_b));
		}
		tcp = ip + ihl;
		flags = tp_rand(&r) % 10 ? flag_set[tp_rand(&r) % sizeof(flag_set)] : (uint8_t)tp_rand(&r);
		if (tp_rand(&r) % 6 == 0)
			flags |= (uint8_t)(tp_rand(&r) & (F_URG | 0xc0));
		optn = tp_rand(&r) % 11 * 4;
		/* A third of them in the layout of a real system, with its
		 * window and TTL more or less, for labels and fuzzy matches */
		real = tp_rand(&r) % 3 == 0;
		if (real) {
			static const struct { uint8_t n, b[24], ttl; } sys[] = {
				{ 20, { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 1, 0, 0, 0, 0, 0, 1, 3, 3, 7 }, 64 },
				{ 12, { 2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2 }, 128 },
				{ 8, { 2, 4, 5, 0xb4, 1, 1, 4, 2 }, 128 },
				{ 24, { 2, 4, 5, 0xb4, 1, 3, 3, 4, 1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 0, 0, 4, 2, 0, 0 }, 64 },
				{ 20, { 2, 4, 5, 0xb4, 1, 3, 3, 6, 4, 2, 8, 10, 0, 0, 1, 0, 0, 0, 0, 0 }, 64 },
				{ 4, { 2, 4, 5, 0xb4 }, 64 },
			};
			uint32_t t = tp_rand(&r) % (sizeof(sys) / sizeof(sys[0]));

			optn = sys[t].n;
			memcpy(tcp + 20, sys[t].b, optn);
			if (tp_rand(&r) % 2)
				tcp[23] = (uint8_t)(0x80 + tp_rand(&r) % 0x40);   /* another MSS */
			ip[v6 ? 7 : 8] = (uint8_t)(sys[t].ttl - tp_rand(&r) % 40);
			if (!v6 && tp_rand(&r) % 4)
				put16(ip + 6, 0x4000);
		}
		doff = 20 + optn;
		put16(tcp, reverse ? port_b : port_a);
		put16(tcp + 2, reverse ? port_a : port_b);
		put32(tcp + 4, tp_rand(&r) % 5 ? 0x1000u * (port_a - 39999) : tp_rand(&r) % 2 ? 0 : tp_rand(&r));
		put32(tcp + 8, tp_rand(&r) % 3 ? 0 : tp_rand(&r));
		tcp[12] = (uint8_t)((tp_rand(&r) % 20 ? doff / 4 : tp_rand(&r) % 16) << 4 |
				    (tp_rand(&r) % 8 ? 0 : tp_rand(&r) % 16));
		tcp[13] = flags;
		put16(tcp + 14, tp_rand(&r) % 2 ? (uint16_t)tp_rand(&r) :
				(uint16_t)((1 + tp_rand(&r) % 45) * (tp_rand(&r) % 2 ? 1460 : 1448)));
		put16(tcp + 18, tp_rand(&r) % 5 ? 0 : (uint16_t)tp_rand(&r));
		if (!real)
			random_options(&r, tcp + 20, optn);
		if (optn && tcp[20] == 2 && tp_rand(&r) % 2) {
			static const uint16_t wins[] = { 8192, 65535, 16384, 64240, 29200, 5840 };

			put16(tcp + 14, tp_rand(&r) % 2 ? wins[tp_rand(&r) % 6] :
					(uint16_t)(rd16(tcp + 22) * (1 + tp_rand(&r) % 44)));
		}
		pay = tp_rand(&r) % 6 ? 0 : tp_rand(&r) % 64;
		for (i = 0; i < pay; i++)
			tcp[doff + i] = (uint8_t)tp_rand(&r);
		tot = ihl + doff + pay;
		if (!v6)
			put16(ip + 2, (uint16_t)(tp_rand(&r) % 30 ? tot : tp_rand(&r) % 200));
		else
			put16(ip + 4, (uint16_t)(tp_rand(&r) % 30 ? tot - 40 : tp_rand(&r) % 200));
		len = 14 + tot + (tp_rand(&r) % 10 ? 0 : 6);   /* Ethernet padding */
		ts += tp_rand(&r) % 200 == 0 ? 31000000000ull : 1000000ull * (tp_rand(&r) % 50);
		cb_add_raw(w, ts, b, tp_rand(&r) % 40 ? len : tp_rand(&r) % len, len);
	}
	return cb_close(w) ? 1 : 0;
}

/* ---- main ------------------------------------------------------------------------ */

static int usage(void)
{
	fprintf(stderr,
		"usage: p0f_check [-f p0f.fp] [--p0f] CAPTURE\n"
		"       p0f_check [-f p0f.fp] --bench [CAPTURE]\n"
		"       p0f_check --craft FILE [ethernet|sll|sll2|raw]\n"
		"       p0f_check --random FILE COUNT SEED\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = { .db_path = DEFAULT_DB };
	struct ss_p0f_db *db = NULL;
	int i, ret, db_err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f") && i + 1 < argc) {
			o.db_path = argv[++i];
			o.db_given = 1;
		} else if (!strcmp(argv[i], "--p0f")) {
			o.p0f_mode = 1;
		} else if (!strcmp(argv[i], "--bench")) {
			o.bench = 1;
		} else if (!strcmp(argv[i], "--random") && i + 3 < argc) {
			return run_random(argv[i + 1], (uint32_t)strtoul(argv[i + 2], NULL, 0),
					  (uint32_t)strtoul(argv[i + 3], NULL, 0));
		} else if (!strcmp(argv[i], "--craft") && i + 1 < argc) {
			o.craft = argv[++i];
			if (i + 1 < argc)
				o.craft_link = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage();
		} else if (!o.capture) {
			o.capture = argv[i];
		} else {
			return usage();
		}
	}
	if (o.craft)
		return run_craft(&o);
	if (!o.capture && !o.bench)
		return usage();

	db = open_db(&o, &db_err);
	if (db_err || (o.bench && !db))
		return 1;
	ret = o.bench ? run_bench(&o, db) : run_capture(&o, db);
	ss_p0f_db_free(db);
	return ret;
}
