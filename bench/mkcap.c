// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * bench_mkcap: write a large, reproducible Ethernet capture for the
 * capture-reading benchmark, as `tcpdump -s 128 -w` would have saved it.
 *
 *   bench_mkcap OUT.pcap PACKETS [SEED]
 *
 * 256 connections are open at any time, their packets interleaved at
 * random, about 5 us apart. Each connection is one of:
 *   85%  handshake, established exchange, FIN both ways
 *    7%  SYN answered by RST (port closed)
 *    3%  SYN, one retransmission, no answer (times out)
 *    5%  handshake, some exchange, then a RST
 * The established part is short (2-40 segments) for 80% of connections
 * and bulk (100-400) for 20%: about 95% of the packets are established
 * data and ACKs, 5% SYN, SYN-ACK, completing ACK and RST. Data segments
 * are 1448 bytes on the wire, cut to 128 in the file. 10% of connections
 * are IPv6. Clients are in 198.18.0.0/16 and fd00:5c::/64, servers in
 * 198.19.0.0/28 and fd00:5c::5:0/124, ports 80 and 443. Sequence and
 * acknowledgement numbers are consistent, so tshark's TCP analysis sees
 * ordinary connections.
 *
 * Packets come from tests/support/packets.h. Prints the mix it wrote to stdout.
 * libpcap only: no <bpf/...> header in this file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "../tests/support/packets.h"

#define SNAPLEN 128
#define SLOTS 256
#define MSS 1448
/* Script steps past the established part: a SYN's retransmission, the end. */
#define STEP_RETX (1 << 20)
#define STEP_DONE (1 << 21)

enum conn_kind { K_NORMAL, K_REFUSED, K_UNANSWERED, K_RESET };

struct conn {
	enum conn_kind kind;
	struct tp_flow cli;      /* client -> server template */
	uint32_t cseq, sseq;     /* next sequence number of each side */
	uint32_t tsval;
	int step;                /* next packet of the script */
	int nest;                /* established segments to send */
	int sent_est;
};

struct mix {
	uint64_t total, syn, synack, hs_ack, rst, est, fin, v6, conns, bytes;
};

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: fast, and the same file for the same seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static uint32_t rnd_range(uint32_t lo, uint32_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

static void conn_new(struct conn *c, struct mix *m)
{
	uint32_t r = rnd() % 100;
	int v6 = rnd() % 10 == 0;

	memset(c, 0, sizeof(*c));
	c->kind = r < 85 ? K_NORMAL : r < 92 ? K_REFUSED : r < 95 ? K_UNANSWERED : K_RESET;
	c->cli = tp_flow_client(v6 ? 6 : 4, TP_SYN);
	if (v6) {
		static const uint8_t pfx[8] = { 0xfd, 0x00, 0x00, 0x5c };
		uint32_t h = rnd();

		memcpy(c->cli.saddr, pfx, 8);
		memcpy(c->cli.daddr, pfx, 8);
		c->cli.saddr[12] = h >> 24;
		c->cli.saddr[13] = h >> 16;
		c->cli.saddr[14] = h >> 8;
		c->cli.saddr[15] = h | 1;
		c->cli.daddr[13] = 5;
		c->cli.daddr[15] = rnd() % 16;
		m->v6++;
	} else {
		c->cli.saddr[0] = 198;
		c->cli.saddr[1] = 18;
		c->cli.saddr[2] = rnd() & 0xff;
		c->cli.saddr[3] = (rnd() & 0xff) | 1;
		c->cli.daddr[0] = 198;
		c->cli.daddr[1] = 19;
		c->cli.daddr[2] = 0;
		c->cli.daddr[3] = rnd() % 16;
	}
	c->cli.sport = rnd_range(32768, 60999);
	c->cli.dport = rnd() % 2 ? 443 : 80;
	c->cseq = rnd();
	c->sseq = rnd();
	c->tsval = rnd();
	c->nest = rnd() % 5 ? (int)rnd_range(2, 40) : (int)rnd_range(100, 400);
	if (c->kind == K_RESET)
		c->nest = rnd_range(1, c->nest);
	m->conns++;
}

/* Linux's option block on established segments: NOP, NOP, timestamps. */
static void ts_opts(struct tp_flow *f, uint32_t tsval, uint32_t tsecr)
{
	const uint8_t o[12] = { 1, 1, 8, 10, tsval >> 24, tsval >> 16 & 0xff, tsval >> 8 & 0xff,
				tsval & 0xff, tsecr >> 24, tsecr >> 16 & 0xff, tsecr >> 8 & 0xff,
				tsecr & 0xff };

	tp_set_opts(f, o, sizeof(o));
}

/* The IP lengths of a packet whose payload was cut: the wire's, as
 * tcpdump -s would keep them. */
static void set_wire_payload(struct tpkt *p, uint32_t wire_payload)
{
	if (p->family == 4) {
		uint32_t sum = 0, i;

		tp_set16(p, p->l3 + 2, p->hdr_len - p->l3 + wire_payload);
		tp_set16(p, p->l3 + 10, 0);
		for (i = 0; i < 20; i += 2)
			sum += tp_get16(p, p->l3 + i);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		tp_set16(p, p->l3 + 10, (uint16_t)~sum);
	} else {
		tp_set16(p, p->l3 + 4, p->hdr_len - p->l3 - 40 + wire_payload);
	}
}

/*
 * Build the next packet of `c` into p; returns its wire length, or 0 when
 * the connection is over (nothing built).
 */
static uint32_t conn_next(struct conn *c, struct tpkt *p, struct mix *m)
{
	struct tp_shape shape = { 0 };
	struct tp_flow f;
	uint32_t payload = 0, fin_step;
	int from_server = 0;

	c->tsval += 1;
	switch (c->step++) {
	case 0: /* SYN */
	case STEP_RETX: /* its retransmission */
		f = c->cli;
		f.seq = c->cseq;
		m->syn++;
		if (c->kind == K_UNANSWERED)
			c->step = c->step == 1 ? STEP_RETX : STEP_DONE;
		goto build;
	case 1:
		if (c->kind == K_REFUSED) {
			f = tp_flow_reverse(&c->cli, TP_RST | TP_ACK, 0, c->cseq + 1);
			m->rst++;
			c->step = STEP_DONE;
			goto build;
		}
		f = tp_flow_synack(&c->cli);
		f.seq = c->sseq;
		f.ack = c->cseq + 1;
		m->synack++;
		goto build;
	case 2: /* the ACK that completes the handshake */
		c->cseq++;
		c->sseq++;
		f = c->cli;
		f.flags = TP_ACK;
		f.seq = c->cseq;
		f.ack = c->sseq;
		ts_opts(&f, c->tsval, c->tsval - 7);
		m->hs_ack++;
		goto build;
	default:
		break;
	}
	if (c->step > STEP_DONE)
		return 0;

	/* Established: the client asks (small), the server answers in MSS
	 * segments; every other server segment the client ACKs. */
	fin_step = 3 + c->nest;
	if ((uint32_t)c->step - 1 < fin_step) {
		int n = c->sent_est++;

		if (n == 0) {
			payload = rnd_range(60, 400);
		} else if (n % 3 == 2) {
			payload = 0;
		} else {
			from_server = 1;
			payload = MSS;
		}
		if (from_server) {
			f = tp_flow_reverse(&c->cli, TP_ACK | (payload ? TP_PSH : 0), c->sseq, c->cseq);
			c->sseq += payload;
		} else {
			f = c->cli;
			f.flags = TP_ACK | (payload ? TP_PSH : 0);
			f.seq = c->cseq;
			f.ack = c->sseq;
			c->cseq += payload;
		}
		ts_opts(&f, c->tsval, c->tsval - 7);
		m->est++;
		goto build;
	}
	if (c->kind == K_RESET) {
		f = c->cli;
		f.flags = TP_RST | TP_ACK;
		f.seq = c->cseq;
		f.ack = c->sseq;
		f.optlen = 0;
		m->rst++;
		c->step = STEP_DONE;
		goto build;
	}
	/* Close: FIN from the client, ACK, FIN from the server, ACK. */
	switch ((uint32_t)c->step - 1 - fin_step) {
	case 0:
		f = c->cli;
		f.flags = TP_FIN | TP_ACK;
		f.seq = c->cseq++;
		f.ack = c->sseq;
		m->fin++;
		break;
	case 1:
		f = tp_flow_reverse(&c->cli, TP_ACK, c->sseq, c->cseq);
		m->est++;
		break;
	case 2:
		f = tp_flow_reverse(&c->cli, TP_FIN | TP_ACK, c->sseq++, c->cseq);
		m->fin++;
		break;
	case 3:
		f = c->cli;
		f.flags = TP_ACK;
		f.seq = c->cseq;
		f.ack = c->sseq;
		m->est++;
		c->step = STEP_DONE;
		break;
	default:
		return 0;
	}
	ts_opts(&f, c->tsval, c->tsval - 7);
build:
	tp_build(p, &shape, &f);
	if (payload) {
		uint32_t cut = p->len + payload > SNAPLEN ? SNAPLEN - p->len : payload;

		tp_fill(p, 0x5a, cut);
		set_wire_payload(p, payload);
	}
	return p->hdr_len + payload;
}

int main(int argc, char **argv)
{
	static struct conn conns[SLOTS];
	struct mix m = { 0 };
	struct pcap_pkthdr h;
	pcap_dumper_t *d;
	uint64_t want, ts_us = 1700000000ull * 1000000;
	struct tpkt p;
	pcap_t *pc;
	int i;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bench_mkcap OUT.pcap PACKETS [SEED]\n");
		return 2;
	}
	want = strtoull(argv[2], NULL, 10);
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 0x5c5c5c5cull;
	if (!rng_state)
		rng_state = 1;
	if (want == 0 || want > 100000000) {
		fprintf(stderr, "bench_mkcap: PACKETS must be 1..100000000\n");
		return 2;
	}
	pc = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	d = pc ? pcap_dump_open(pc, argv[1]) : NULL;
	if (!d) {
		fprintf(stderr, "bench_mkcap: %s: %s\n", argv[1], pc ? pcap_geterr(pc) : "pcap");
		return 1;
	}
	for (i = 0; i < SLOTS; i++)
		conn_new(&conns[i], &m);
	while (m.total < want) {
		struct conn *c = &conns[rnd() % SLOTS];
		uint32_t wire = conn_next(c, &p, &m);

		if (!wire) {
			conn_new(c, &m);
			continue;
		}
		ts_us += 1 + rnd() % 9;
		h.ts.tv_sec = ts_us / 1000000;
		h.ts.tv_usec = ts_us % 1000000;
		h.caplen = p.len;
		h.len = wire;
		pcap_dump((u_char *)d, &h, p.b);
		m.total++;
		m.bytes += p.len + 16;
	}
	pcap_dump_close(d);
	pcap_close(pc);
	printf("packets %lu (%.1f MB file), connections started %lu (%.1f%% IPv6)\n",
	       (unsigned long)m.total, (m.bytes + 24) / 1e6, (unsigned long)m.conns,
	       100.0 * m.v6 / m.conns);
	printf("syn %lu, syn-ack %lu, completing ack %lu, rst %lu: %.2f%% of packets; "
	       "established %lu, fin %lu\n",
	       (unsigned long)m.syn, (unsigned long)m.synack, (unsigned long)m.hs_ack,
	       (unsigned long)m.rst,
	       100.0 * (m.syn + m.synack + m.hs_ack + m.rst) / m.total, (unsigned long)m.est,
	       (unsigned long)m.fin);
	printf("capture span %.1f s\n", (ts_us - 1700000000ull * 1000000) / 1e6);
	return 0;
}
