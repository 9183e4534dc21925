// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer harness: one Ethernet frame through the host build of the
 * parser and classifier, as synscope -r runs it (user/offline/replay.c's replay,
 * through tests/support/agree_host.c): the shared parser (bpf/parse.h), counters,
 * the pending SYN-ACK table, the event and its option summary.
 *
 * The input is replayed after the primers (a SYN-ACK of each family), so
 * the fuzzer can reach the completing ACK; each input starts from the
 * same state. Besides the sanitizers, the harness checks what must hold
 * for any frame (abort() = a finding):
 *   - exactly one parse class counted, and the counters the class and the
 *     flags call for; an event exactly when they say so;
 *   - the event's fields are the parser's; its option bytes are the
 *     packet's, and the walk userspace makes of them (ss_walk_tcp_opts())
 *     gives what this file's own, independent walk gives;
 *   - the frame cut one byte short of its TCP header is truncated;
 *   - a completing ACK completes a primer exactly when its flow and ack
 *     number are the primer's; afterwards, each primer is still completed
 *     by its own ACK unless the input consumed or reset it (a SYN-ACK of
 *     the same flow with another ISN takes a slot of its own).
 * The kernel build is compared with this one by test_corpus, which
 * replays the corpus this harness grows (make fuzz).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "synscope.h"
#include "parse.h"
#include "packets.h"
#include "test_agree.h"

static struct ss_options opts;
static struct ag_host *host;
static struct tpkt primers[AG_NPRIMERS], primer_acks[AG_NPRIMERS];
static struct ss_pkt primer_pkt[AG_NPRIMERS];   /* the primers as parsed */

#define REQUIRE(cond, ...)                                                      \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "fuzz_packet: " __VA_ARGS__);           \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)

static int parse(const uint8_t *data, size_t len, struct ss_pkt *pkt)
{
	struct ss_cursor c = { .pos = data, .end = data + len, .off = 0 };

	memset(pkt, 0, sizeof(*pkt));
	return ss_parse_eth(&c, pkt);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];
	int i;

	(void)argc;
	(void)argv;
	REQUIRE(ag_options(NULL, &opts, err, sizeof(err)) == 0, "%s", err);
	host = ag_host_new(&opts);
	REQUIRE(host, "out of memory");
	tp_build_primers(primers, primer_acks);
	for (i = 0; i < AG_NPRIMERS; i++)
		REQUIRE(parse(primers[i].b, primers[i].len, &primer_pkt[i]) == SS_PARSE_TCP,
			"primer %d does not parse", i);
	return 0;
}

/* Does pkt flow from a's source to a's destination (same family)? */
static int same_flow(const struct ss_pkt *pkt, const struct ss_pkt *a)
{
	return pkt->family == a->family && !memcmp(pkt->saddr, a->saddr, 16) &&
	       !memcmp(pkt->daddr, a->daddr, 16) && pkt->sport == a->sport &&
	       pkt->dport == a->dport;
}

/* ... from a's destination to a's source? */
static int reverse_flow(const struct ss_pkt *pkt, const struct ss_pkt *a)
{
	return pkt->family == a->family && !memcmp(pkt->saddr, a->daddr, 16) &&
	       !memcmp(pkt->daddr, a->saddr, 16) && pkt->sport == a->dport &&
	       pkt->dport == a->sport;
}

/*
 * An independent walk, written apart from parse.h's: a byte at a time,
 * with a state for "in an option of n more bytes". What it keeps: the
 * kinds in order (at most SS_OPT_KINDS_MAX), MSS, window scale, SACK-OK,
 * timestamps, and whether the walk stopped at a bad length.
 */
static void walk_reference(const uint8_t *b, size_t len, struct ss_opts *o)
{
	size_t i = 0, start = 0, olen = 0;
	enum { KIND, LEN, BODY } st = KIND;
	uint8_t kind = 0;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < len; i++) {
		if (st == KIND) {
			kind = b[i];
			if (o->nkinds < SS_OPT_KINDS_MAX)
				o->kinds[o->nkinds++] = kind;
			if (kind == 0)
				return;
			if (kind != 1) {
				start = i;
				st = LEN;
			}
			continue;
		}
		if (st == LEN) {
			olen = b[i];
			if (olen < 2 || start + olen > len) {
				o->present |= SS_OPT_MALFORMED;
				return;
			}
			st = olen == 2 ? KIND : BODY;
			if (olen == 2 && kind == 4)
				o->present |= SS_OPT_SACK_OK;
			continue;
		}
		if (i + 1 == start + olen) { /* the option's last byte */
			const uint8_t *v = b + start + 2;

			if (kind == 2 && olen == 4) {
				o->mss = (uint16_t)(v[0] << 8 | v[1]);
				o->present |= SS_OPT_MSS;
			} else if (kind == 3 && olen == 3) {
				o->wscale = v[0];
				o->present |= SS_OPT_WSCALE;
			} else if (kind == 8 && olen == 10) {
				o->ts_val = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
					    (uint32_t)v[2] << 8 | v[3];
				o->ts_ecr = (uint32_t)v[4] << 24 | (uint32_t)v[5] << 16 |
					    (uint32_t)v[6] << 8 | v[7];
				o->present |= SS_OPT_TS;
			}
			st = KIND;
		}
	}
	if (st == LEN)
		o->present |= SS_OPT_MALFORMED;     /* a kind with no length byte */
}

static void check_event(const uint8_t *data, size_t len, const struct ss_pkt *pkt, int kind,
			const struct ag_result *r)
{
	const struct ss_event_syn *e = &r->ev;
	struct ss_event_syn want;
	struct ss_opts walked;
	const char *diff;

	(void)len;
	memset(&want, 0, sizeof(want));
	want.e.kind = (uint8_t)kind;
	ss_fill_event(&want.e, pkt);
	if (kind == SS_EV_SYN || kind == SS_EV_SYNACK) {
		ss_fill_event_syn(&want, pkt);
		want.opt_len = (uint8_t)(pkt->doff - 20);
		memcpy(want.opts, data + pkt->tcp_off + 20, want.opt_len);
	}
	REQUIRE(e->e.kind == kind, "event kind %u, flags call for %d", e->e.kind, kind);
	diff = ag_event_diff(e, &want);
	REQUIRE(!diff, "event %s differs from the parser's and the packet's", diff);
	REQUIRE(e->e.family == 4 || e->e.family == 6, "family %u", e->e.family);
	REQUIRE(e->e.vlan_depth <= 2, "vlan depth %u", e->e.vlan_depth);
	if (kind != SS_EV_SYN && kind != SS_EV_SYNACK)
		return;
	REQUIRE(r->opts.nkinds <= SS_OPT_KINDS_MAX, "%u kinds", r->opts.nkinds);
	walk_reference(e->opts, e->opt_len, &walked);
	REQUIRE(!memcmp(&walked, &r->opts, sizeof(walked)),
		"the option walk and the reference walk disagree");
}

/* The counters and event the parse result and the flags call for. */
static void check_classes(const uint8_t *data, size_t len, const struct ss_pkt *pkt, int res,
			  const struct ag_result *r, int *completed)
{
	uint64_t want[SS_C_MAX] = { [SS_C_PACKETS] = 1 };
	int kind = 0, i;

	*completed = -1;
	if (res != SS_PARSE_TCP) {
		want[ss_parse_counter(res)] = 1;
	} else {
		kind = ss_classify(pkt->tcp_flags);
		switch (kind) {
		case SS_EV_SYN: want[SS_C_SYN] = 1; break;
		case SS_EV_SYNACK: want[SS_C_SYNACK] = 1; break;
		case SS_EV_RST: want[SS_C_RST] = 1; break;
		case SS_EV_FIN: want[SS_C_FIN] = 1; kind = 0; break;
		case SS_EV_ACK:
			kind = 0;
			for (i = 0; i < AG_NPRIMERS; i++) {
				if (reverse_flow(pkt, &primer_pkt[i]) &&
				    pkt->ack == primer_pkt[i].seq + 1) {
					kind = SS_EV_ACK;
					want[SS_C_ACK_COMPLETE] = 1;
					*completed = i;
				}
			}
			break;
		default: break;
		}
		if (kind)
			want[SS_C_EVENTS] = 1;
	}
	for (i = 0; i < SS_C_MAX; i++)
		REQUIRE(r->delta[i] == want[i], "parse result %d, flags 0x%02x: counter %d moved "
			"by %lu, want %lu", res, pkt->tcp_flags, i, (unsigned long)r->delta[i],
			(unsigned long)want[i]);
	REQUIRE(r->nev == (kind != 0), "%d events for kind %d", r->nev, kind);
	if (kind)
		check_event(data, len, pkt, kind, r);
}

/* One byte short of the TCP header's end, in a buffer of exactly that
 * length: truncated, never read past. */
static void check_cut(const uint8_t *data, const struct ss_pkt *pkt)
{
	size_t len = pkt->tcp_off + pkt->doff - 1;
	uint8_t *cut = malloc(len ? len : 1);
	struct ss_pkt p2;
	int res;

	REQUIRE(cut, "out of memory");
	memcpy(cut, data, len);
	res = parse(cut, len, &p2);
	free(cut);
	REQUIRE(res == SS_PARSE_TRUNCATED, "cut inside its TCP header: result %d", res);
}

/* After the input, each primer's ACK completes it unless the input took
 * the entry (completed it), reset the flow, or replaced its SYN-ACK. */
static void check_pending(const struct ss_pkt *pkt, int res, int completed)
{
	struct ag_result r;
	int i, want;

	for (i = 0; i < AG_NPRIMERS; i++) {
		want = completed != i;
		if (res == SS_PARSE_TCP) {
			int kind = ss_classify(pkt->tcp_flags);

			if (kind == SS_EV_RST && (same_flow(pkt, &primer_pkt[i]) ||
						  reverse_flow(pkt, &primer_pkt[i])))
				want = 0;
		}
		ag_host_frame(host, primer_acks[i].b, primer_acks[i].len, &r);
		REQUIRE(r.delta[SS_C_ACK_COMPLETE] == (uint64_t)want,
			"primer %d: its ACK completes %lu, want %d", i,
			(unsigned long)r.delta[SS_C_ACK_COMPLETE], want);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_result r[AG_NPRIMERS + 1];
	struct ss_pkt pkt;
	int i, res, completed;

	if (size > AG_FRAME_MAX)
		return -1;      /* longer than any kernel test run: not kept */
	ag_host_primed(host, primers, data, (uint32_t)size, r);
	for (i = 0; i < AG_NPRIMERS; i++)
		REQUIRE(r[i].delta[SS_C_SYNACK] == 1 && r[i].nev == 1, "primer %d not a SYN-ACK", i);
	res = parse(data, size, &pkt);
	check_classes(data, size, &pkt, res, &r[AG_NPRIMERS], &completed);
	if (res == SS_PARSE_TCP) {
		REQUIRE(pkt.doff >= 20 && pkt.doff <= 60 && pkt.doff % 4 == 0, "doff %u", pkt.doff);
		REQUIRE(pkt.tcp_off + pkt.doff <= size, "TCP header past the frame");
		check_cut(data, &pkt);
	}
	check_pending(&pkt, res, completed);
	return 0;
}
