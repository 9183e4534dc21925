// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Writes the generated part of the fuzzers' seed corpora (make
 * fuzz-corpus; the output is committed under tests/corpus/):
 *
 *   DIR/packets/NAME.bin      one Ethernet frame each: every case of the
 *                             malformed-packet table (tests/support/malformed.c),
 *                             and well-formed segments of many shapes
 *   DIR/pcap/scenario-*.pcap  the offline tests' scenario (capture_build.c)
 *                             in a range of link types, pcap and pcapng
 *   DIR/pcap/malformed-N.*    the malformed table again, as captures of at
 *                             most SEED_MAX bytes, the primers first
 *
 * The captured part (tests/corpus/pcap/e2e-*) comes from capture-e2e.sh.
 * Every seed stays under the fuzzers' -max_len (see tests/fuzz.mk).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "capture_build.h"
#include "malformed.h"

#define SEED_MAX 2048   /* the capture fuzzer's -max_len */
#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16

static const char *outdir;

static void write_file(const char *dir, const char *name, const uint8_t *b, uint32_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", outdir, dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- packets ------------------------------------------------------------------- */

#define SYN TP_SYN
#define SYNACK (TP_SYN | TP_ACK)
#define EXT(t, l) { .type = TP_PROTO_##t, .len = (l) }

/* Well-formed segments and other protocols, in shapes the parser walks. */
static const struct {
	const char *name;
	int family;
	uint8_t flags;
	struct tp_shape shape;
} shapes[] = {
	{ "good_v4_syn", 4, SYN, { 0 } },
	{ "good_v6_syn", 6, SYN, { 0 } },
	{ "good_v4_synack", 4, SYNACK, { 0 } },
	{ "good_v6_synack_vlan", 6, SYNACK, { .nvlan = 1 } },
	{ "good_v4_syn_qinq", 4, SYN, { .nvlan = 2, .qinq = 1 } },
	{ "good_v4_rst", 4, TP_RST | TP_ACK, { 0 } },
	{ "good_v6_fin", 6, TP_FIN | TP_ACK, { 0 } },
	{ "good_v4_ack_payload", 4, TP_ACK | TP_PSH, { .payload = 100 } },
	{ "good_v6_ack_payload_qinq", 6, TP_ACK | TP_PSH, { .nvlan = 2, .qinq = 1, .payload = 60 } },
	{ "good_v4_ipopts40_synack", 4, SYNACK, { .ip4_optlen = 40 } },
	{ "good_v6_hopopts256_syn", 6, SYN, { .n_ext6 = 1, .ext6 = { EXT(HOPOPTS, 256) } } },
	{ "good_v6_routing_dstopts_rst", 6, TP_RST,
	  { .n_ext6 = 2, .ext6 = { EXT(ROUTING, 24), EXT(DSTOPTS, 0) } } },
	{ "good_v6_ah24_synack", 6, SYNACK, { .n_ext6 = 1, .ext6 = { EXT(AH, 24) } } },
	{ "other_v4_udp", 4, 0, { .l4 = TP_L4_UDP, .payload = 12 } },
	{ "other_v6_udp_dstopts", 6, 0, { .l4 = TP_L4_UDP, .n_ext6 = 1, .ext6 = { EXT(DSTOPTS, 0) } } },
	{ "other_v6_icmpv6", 6, 0, { .l4 = TP_L4_ICMPV6 } },
};

static void write_packets(void)
{
	char name[128];
	struct tp_flow f, syn;
	struct tpkt p;
	size_t i;

	for (i = 0; i < n_mcases; i++) {
		mcases[i].build(&p);
		snprintf(name, sizeof(name), "%s.bin", mcases[i].name);
		write_file("packets", name, p.b, p.len);
	}
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		syn = tp_flow_client(shapes[i].family, TP_SYN);
		f = shapes[i].flags == SYNACK ? tp_flow_synack(&syn)
					      : tp_flow_client(shapes[i].family, shapes[i].flags);
		tp_build(&p, &shapes[i].shape, &f);
		snprintf(name, sizeof(name), "%s.bin", shapes[i].name);
		write_file("packets", name, p.b, p.len);
	}
	tp_build_arp(&p);
	write_file("packets", "other_arp.bin", p.b, p.len);
}

/* ---- captures ------------------------------------------------------------------ */

static const char *const scenario_links[] = {
	"ethernet-ipv4", "ethernet-qinq-ipv4", "sll-8021q-ipv6", "sll2-ipv6", "raw-ipv4",
	"ipv6", "null-ipv6-bsd-swapped", "loop-ipv6-macos", "pcapng-sll2-ipv6",
	"pcapng-raw-ipv6",
};

static void write_scenarios(void)
{
	char path[512];
	size_t i, l;

	for (i = 0; i < sizeof(scenario_links) / sizeof(scenario_links[0]); i++) {
		for (l = 0; l < cb_nlinks; l++)
			if (strcmp(cb_links[l].name, scenario_links[i]) == 0)
				break;
		if (l == cb_nlinks) {
			fprintf(stderr, "gen_corpus: no link %s\n", scenario_links[i]);
			exit(1);
		}
		snprintf(path, sizeof(path), "%s/pcap/scenario-%s.%s", outdir, cb_links[l].name,
			 cb_links[l].pcapng ? "pcapng" : "pcap");
		if (cb_write_scenario(path, &cb_links[l], CB_SCENARIO_PKTS))
			exit(1);
	}
}

/* The link types the malformed captures take turns in (pcap files). */
static const struct cb_link malformed_links[] = {
	{ .name = "ethernet", .dlt = CB_DLT_EN10MB, .family = 4 },
	{ .name = "sll2", .dlt = CB_DLT_LINUX_SLL2, .family = 4 },
	{ .name = "sll", .dlt = CB_DLT_LINUX_SLL, .family = 4 },
};
#define NLINKS (sizeof(malformed_links) / sizeof(malformed_links[0]))

/* Bytes a frame takes in a pcap of the link type (Ethernet or cooked). */
static uint32_t record_size(const struct cb_link *l, const struct tpkt *p)
{
	uint32_t link = l->dlt == CB_DLT_EN10MB ? 0 : l->dlt == CB_DLT_LINUX_SLL2 ? 20 - 14 : 16 - 14;

	return PCAP_REC_HDR + p->len + link;
}

static void write_malformed_captures(void)
{
	struct tpkt primers[TP_NPRIMERS], p;
	struct cb_writer *w = NULL;
	const struct cb_link *l = NULL;
	uint64_t ts = CB_BASE_NS;
	uint32_t size = 0;
	char path[512];
	size_t i, nfiles = 0;
	int j;

	tp_build_primers(primers, NULL);
	for (i = 0; i < n_mcases; i++) {
		mcases[i].build(&p);
		if (w && size + record_size(l, &p) > SEED_MAX) {
			if (cb_close(w))
				exit(1);
			w = NULL;
		}
		if (!w) {
			l = &malformed_links[nfiles % NLINKS];
			snprintf(path, sizeof(path), "%s/pcap/malformed-%zu-%s.pcap", outdir, ++nfiles,
				 l->name);
			w = cb_open(path, l);
			if (!w)
				exit(1);
			size = PCAP_FILE_HDR;
			for (j = 0; j < TP_NPRIMERS; j++) {
				cb_add(w, ts += 1000, &primers[j], CB_WHOLE, 0);
				size += record_size(l, &primers[j]);
			}
		}
		cb_add(w, ts += 1000, &p, CB_WHOLE, 0);
		size += record_size(l, &p);
	}
	if (w && cb_close(w))
		exit(1);
}

int main(int argc, char **argv)
{
	char dir[512];

	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	outdir = argv[1];
	snprintf(dir, sizeof(dir), "%s/packets", outdir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/pcap", outdir);
	mkdir(dir, 0755);
	write_packets();
	write_scenarios();
	write_malformed_captures();
	return 0;
}
