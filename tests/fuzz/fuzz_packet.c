// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer harness: one Ethernet frame through the host build of the
 * parser and classifier, as synscope -r runs it (user/capture.c's replay,
 * through test_agree_host.c): the shared parser (bpf/parse.h), counters,
 * the pending SYN-ACK table, the event and its option summary.
 *
 * The input is replayed after the primers (a SYN-ACK of each family), so
 * the fuzzer can reach the completing ACK; each input starts from the
 * same state. Besides the sanitizers, the harness checks what must hold
 * for any frame (abort() = a finding):
 *   - exactly one parse class counted, and the counters the class and the
 *     flags call for; an event exactly when they say so;
 *   - the event's fields are the parser's; its option bytes are the
 *     packet's, and walking them in the packet (as the kernel does, under
 *     bpf_loop) gives the summary the host gets from the copy;
 *   - the frame cut one byte short of its TCP header is truncated;
 *   - a completing ACK completes a primer exactly when its flow and ack
 *     number are the primer's; afterwards, each primer is still completed
 *     by its own ACK unless the input consumed, reset or replaced it.
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

/* An independent walk: over the option bytes where they sit in the
 * packet (a cursor on them), with the step function the kernel runs once
 * per bpf_loop iteration; the event's summary comes from the copy. */
static void walk_in_packet(const uint8_t *data, size_t len, const struct ss_pkt *pkt,
			   struct ss_opts *o)
{
	const uint8_t *opts = data + pkt->tcp_off + sizeof(struct ss_hdr_tcp);
	struct ss_cursor c = { .pos = opts, .end = data + len, .off = 0 };
	struct ss_opt_walk w = { .len = pkt->doff - sizeof(struct ss_hdr_tcp), .off = 0 };
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < SS_TCP_OPT_MAX_BYTES; i++)
		if (ss_opt_step(&c, o, &w))
			break;
}

static void check_event(const uint8_t *data, size_t len, const struct ss_pkt *pkt, int kind,
			const struct ag_result *r)
{
	const struct ss_event *e = &r->ev;
	struct ss_event want;
	struct ss_opts walked;
	static const struct ss_opts none;
	const char *diff;

	memset(&want, 0, sizeof(want));
	ss_fill_event(&want, pkt);
	REQUIRE(e->kind == kind, "event kind %u, flags call for %d", e->kind, kind);
	diff = ag_event_diff(e, &want);
	REQUIRE(!diff, "event %s differs from the parser's", diff);
	REQUIRE(e->family == 4 || e->family == 6, "family %u", e->family);
	REQUIRE(e->vlan_depth <= 2, "vlan depth %u", e->vlan_depth);
	if (kind != SS_EV_SYN && kind != SS_EV_SYNACK) {
		REQUIRE(!memcmp(&e->opts, &none, sizeof(none)), "options on a kind %d event", kind);
		return;
	}
	REQUIRE(e->opts.raw_len == pkt->doff - 20, "%u option bytes copied of %u",
		e->opts.raw_len, pkt->doff - 20);
	REQUIRE(!memcmp(e->opts.raw, data + pkt->tcp_off + 20, e->opts.raw_len),
		"option bytes differ from the packet's");
	REQUIRE(e->opts.nkinds <= SS_OPT_KINDS_MAX, "%u kinds", e->opts.nkinds);
	walk_in_packet(data, len, pkt, &walked);
	walked.raw_len = e->opts.raw_len;
	memcpy(walked.raw, e->opts.raw, sizeof(walked.raw));
	REQUIRE(!memcmp(&walked, &e->opts, sizeof(walked)),
		"walking the options in the packet and in the copy disagree");
	REQUIRE(!!(e->opts.present & SS_OPT_MALFORMED) == (r->delta[SS_C_BAD_TCP_OPT] == 1),
		"malformed options not counted once");
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
		want[SS_C_TCP] = 1;
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
		if (kind == SS_EV_SYN || kind == SS_EV_SYNACK)
			want[SS_C_BAD_TCP_OPT] = r->delta[SS_C_BAD_TCP_OPT];
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
			if (kind == SS_EV_SYNACK && same_flow(pkt, &primer_pkt[i]))
				want = pkt->seq == primer_pkt[i].seq;
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
