// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * gen_golden: write the capture behind the output golden files
 * (tests/golden/, checked by tests/e2e/e2e_golden.sh).
 *
 *   gen_golden OUT.pcap
 *
 * The same bytes every time (a fixed xorshift seed). Its handshakes are
 * picked to exercise the writers rather than the engine: every outcome,
 * retransmissions, latencies on each side of every rounding and unit
 * boundary of the text format (us, ms with one decimal, s with two),
 * IPv6 addresses with zero runs of every length and place, IPv4-mapped
 * and -compatible forms, times across second, day, month, year and
 * leap-day boundaries, option lists long, odd, malformed and empty,
 * windows and TTLs at their extremes.
 *
 * libpcap only (through tests/support/capture_build.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture_build.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

static const struct tp_shape plain;

/* Packets are collected, then written in time order. */
struct rec {
	uint64_t ts;
	uint32_t seq;                 /* order of creation: the tie-break */
	struct tpkt p;
};

static struct rec *recs;
static uint32_t nrecs, cap;

static void put(uint64_t ts, const struct tp_flow *f)
{
	if (nrecs == cap) {
		cap = cap ? 2 * cap : 1024;
		recs = realloc(recs, cap * sizeof(*recs));
		if (!recs) {
			fprintf(stderr, "gen_golden: out of memory\n");
			exit(1);
		}
	}
	recs[nrecs].ts = ts;
	recs[nrecs].seq = nrecs;
	tp_build(&recs[nrecs].p, &plain, f);
	nrecs++;
}

static int by_time(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : 1;
}

/* IPv6 addresses: zero runs of every length at every place, the forms
 * inet_ntop prints with an embedded IPv4 address, and random ones. */
static void addr6(uint8_t *a, int n)
{
	int i, start, len;

	memset(a, 0, 16);
	switch (n % 12) {
	case 0: /* :: */ break;
	case 1: a[15] = 1; break;                                /* ::1 */
	case 2: a[10] = a[11] = 0xff; a[12] = 198; a[13] = 18; a[14] = 0; a[15] = n; break;
	case 3: a[12] = 198; a[13] = 19; a[14] = 7; a[15] = n; break; /* ::a.b.c.d */
	case 4: a[0] = 0x20; a[1] = 0x01; a[15] = n; break;      /* 2001::n */
	case 5: a[0] = 0xfe; a[1] = 0x80; break;                 /* fe80:: */
	default:
		for (i = 0; i < 16; i++)
			a[i] = rnd();
		/* One or two zero runs, of one to six groups. */
		start = rnd() % 8;
		len = 1 + rnd() % 6;
		for (i = start; i < start + len && i < 8; i++)
			a[2 * i] = a[2 * i + 1] = 0;
		if (rnd() % 2) {
			start = rnd() % 8;
			for (i = start; i < start + 1 + (int)(rnd() % 3) && i < 8; i++)
				a[2 * i] = a[2 * i + 1] = 0;
		}
		/* Some groups with leading zeros to drop. */
		if (rnd() % 2)
			a[2 * (rnd() % 8)] = 0;
		break;
	}
}

enum end { E_ESTABLISHED, E_REFUSED, E_RESET_SRV, E_RESET_CLI, E_TIMEOUT, E_OPEN, E_NEND };

/* Option blocks: Linux's, none, MSS only, a long run of NOPs and odd
 * kinds (more than the twelve kinds recorded), EOL in the middle,
 * a window scale above 14, a malformed length. */
static uint8_t options(uint8_t *o, int n, int synack)
{
	static const uint8_t odd[] = { 1, 1, 30, 4, 0xfd, 6, 1, 2, 3, 4, 5, 1, 1, 1, 1, 1,
				       1, 1, 1, 1, 4, 2, 0, 0 };
	static const uint8_t eol[] = { 2, 4, 0x05, 0xb4, 0, 1, 3, 3, 7, 0, 0, 0 };
	static const uint8_t bigws[] = { 2, 4, 0x02, 0x18, 1, 3, 3, 15 };
	static const uint8_t bad[] = { 2, 4, 0x05, 0xb4, 8, 12, 1, 2, 3, 4, 5, 6 };
	static const uint8_t mss[] = { 2, 4, 0xff, 0xff };

	switch (n % 7) {
	case 0: return 0;
	case 1: memcpy(o, mss, sizeof(mss)); return sizeof(mss);
	case 2: memcpy(o, odd, sizeof(odd)); return sizeof(odd);
	case 3: memcpy(o, eol, sizeof(eol)); return sizeof(eol);
	case 4: memcpy(o, bigws, sizeof(bigws)); return sizeof(bigws);
	case 5: memcpy(o, bad, sizeof(bad)); return sizeof(bad);
	default:
		return tp_opts_linux(o, synack ? 1400 : 1460, rnd(), synack ? rnd() : 0,
				     rnd() % 15);
	}
}

/* SYN to SYN-ACK delays in ns: both sides of every boundary of the text
 * format's latency (us below 10 ms, ms with one decimal below 10 s, s
 * with two), the ties of its rounding, and microsecond truncation. */
static const uint64_t delays[] = {
	0, 999, 1000, 1999, 9999000, 9999999, 10000000, 10049000, 10050000, 10051000,
	10149999, 10150000, 10250000, 10350000, 10750000, 12345678, 99949000, 99950000,
	99999999, 100000000, 1234567891, 9999949000ull, 9999950000ull, 9999999999ull,
	10000000000ull, 10004999000ull, 10005000000ull, 10015000000ull, 12345678901ull,
	19999999999ull,
};

/* Capture times: seconds, days, months, years and a leap day turning
 * over, the pcap epoch's ends. */
static const uint64_t bases_s[] = {
	0, 1, 59, 946684799, 951782399, 1709164799, 1700000000, 1767225599,
	4107542399ull, 4294967290ull,
};

int main(int argc, char **argv)
{
	const struct cb_link eth = { .name = "golden", .dlt = CB_DLT_EN10MB, .family = 4 };
	struct cb_writer *w;
	uint64_t t;
	unsigned i, n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_golden OUT.pcap\n");
		return 2;
	}
	for (i = 0; i < sizeof(bases_s) / sizeof(bases_s[0]); i++) {
		unsigned k;

		/* Each block: a time just before the turn, handshakes spaced
		 * so some fall on either side; time moves forward only. */
		t = bases_s[i] * 1000000000ull + 999990000ull;
		for (k = 0; k < 80; k++, n++) {
			int fam = n % 3 == 2 ? 6 : 4;
			int end = (int)(rnd() % E_NEND);
			uint64_t d = delays[rnd() % (sizeof(delays) / sizeof(delays[0]))];
			uint64_t d2 = delays[rnd() % (sizeof(delays) / sizeof(delays[0]))];
			struct tp_flow syn = tp_flow_client(fam, TP_SYN), sa, ack, r;
			int rs = n % 5 == 1 ? 1 + n % 3 : 0, ra = n % 7 == 3 ? 1 + n % 2 : 0, j;

			if (fam == 4) {
				uint32_t c = rnd(), s = rnd();

				memcpy(syn.saddr, &c, 4);
				memcpy(syn.daddr, &s, 4);
				if (n % 11 == 0)
					memset(syn.saddr, 0, 4);
				if (n % 13 == 0)
					memset(syn.daddr, 0xff, 4);
			} else {
				addr6(syn.saddr, (int)n);
				addr6(syn.daddr, (int)(n / 12 + 5));
			}
			syn.sport = n % 17 == 0 ? 1 : (uint16_t)(1024 + rnd() % 64000);
			syn.dport = n % 19 == 0 ? 65535 : (uint16_t)(1 + rnd() % 9000);
			syn.seq = rnd();
			syn.window = n % 9 == 0 ? 0 : n % 9 == 1 ? 65535 : (uint16_t)rnd();
			syn.ttl = n % 10 == 0 ? 0 : n % 10 == 1 ? 255 : (uint8_t)rnd();
			syn.optlen = options(syn.opts, (int)n, 0);
			put(t, &syn);
			for (j = 0; j < rs; j++)
				put(t + (uint64_t)(j + 1) * 1000, &syn);   /* SYN retransmissions */
			switch (end) {
			case E_REFUSED:
				r = tp_flow_reverse(&syn, TP_RST | TP_ACK, 0, syn.seq + 1);
				put(t + d, &r);
				break;
			case E_TIMEOUT:
				break;
			default:
				sa = tp_flow_synack(&syn);
				sa.seq = rnd();
				sa.window = (uint16_t)rnd();
				sa.ttl = (uint8_t)rnd();
				sa.optlen = options(sa.opts, (int)(n / 7), 1);
				put(t + d, &sa);
				for (j = 0; j < ra; j++)
					put(t + d + (uint64_t)(j + 1) * 700, &sa);
				ack = tp_flow_ack(&sa);
				if (end == E_ESTABLISHED)
					put(t + d + d2, &ack);
				else if (end == E_RESET_SRV) {
					r = tp_flow_reverse(&syn, TP_RST, sa.seq + 1, 0);
					put(t + d + d2, &r);
				} else if (end == E_RESET_CLI) {
					r = tp_flow_reverse(&sa, TP_RST, syn.seq + 1, 0);
					put(t + d + d2, &r);
				}
				break;
			}
			t += 1000 + rnd() % 900;
		}
	}
	qsort(recs, nrecs, sizeof(*recs), by_time);
	w = cb_open(argv[1], &eth);
	if (!w)
		return 1;
	for (i = 0; i < nrecs; i++)
		cb_add(w, recs[i].ts, &recs[i].p, CB_WHOLE, 0);
	free(recs);
	return cb_close(w) ? 1 : 0;
}
