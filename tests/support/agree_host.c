// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Host side of the two-builds test: the offline mode's replay
 * (user/offline/replay.c and link.c: the code synscope -r runs, linked
 * from the library), fed record by record from a capture (ag_reader) or
 * frame by frame (ag_host).
 *
 * The Ethernet frame handed to the kernel side is built by this file's own
 * reading of the link headers, not by link.c's, so a link decoding bug
 * shows up as a disagreement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "offline/link.h"
#include "offline/replay.h"
#include "packets.h"
#include "test_agree.h"

struct ag_reader {
	pcap_t *p;
	int dlt;
	uint64_t n;
	struct ss_replay *rp;
};

struct ag_host {
	struct ss_replay *rp;
};

/* One record of link type dlt through the replay: what it counted and
 * the event it wrote. */
static void replay_record(struct ss_replay *rp, int dlt, const uint8_t *data, uint32_t caplen,
			  struct ag_result *r)
{
	const uint64_t *c = ss_replay_counters(rp);
	uint64_t before[SS_C_MAX];
	struct ss_frame f;
	int i;

	memset(r, 0, sizeof(*r));
	memcpy(before, c, sizeof(before));
	ss_link_decode(dlt, data, caplen, &f);
	r->nev = ss_replay_frame(rp, &f, 0, 0, &r->ev);
	if (r->nev && (r->ev.e.kind == SS_EV_SYN || r->ev.e.kind == SS_EV_SYNACK))
		ss_walk_tcp_opts(r->ev.opts, r->ev.opt_len, &r->opts);
	for (i = 0; i < SS_C_MAX; i++)
		r->delta[i] = c[i] - before[i];
}

int ag_options(const char *const *extra, struct ss_options *o, char *err, size_t n)
{
	const char *argv[16] = { "synscope", "-r", "-" };
	int argc = 3;

	for (; extra && *extra; extra++) {
		if (argc == (int)(sizeof(argv) / sizeof(argv[0]))) {
			snprintf(err, n, "too many arguments");
			return -1;
		}
		argv[argc++] = *extra;
	}
	return ss_options_parse(argc, (char **)argv, o, err, n);
}

#define AG_DIFF(a, b, f)                                                                \
	do {                                                                            \
		if ((a)->f != (b)->f)                                                   \
			return #f;                                                      \
	} while (0)

const char *ag_event_diff(const struct ss_event_syn *a, const struct ss_event_syn *b)
{
	AG_DIFF(a, b, e.family);
	AG_DIFF(a, b, e.tcp_flags);
	AG_DIFF(a, b, e.sport);
	AG_DIFF(a, b, e.dport);
	AG_DIFF(a, b, e.seq);
	AG_DIFF(a, b, e.ack);
	AG_DIFF(a, b, e.window);
	AG_DIFF(a, b, e.ttl);
	AG_DIFF(a, b, e.vlan_depth);
	if (memcmp(a->e.saddr, b->e.saddr, sizeof(a->e.saddr)))
		return "saddr";
	if (memcmp(a->e.daddr, b->e.daddr, sizeof(a->e.daddr)))
		return "daddr";
	if (a->e.kind != SS_EV_SYN && a->e.kind != SS_EV_SYNACK)
		return NULL;
	/* Not the cgroup: the socket's, not the packet's (a test run of the
	 * egress program sends from a socket in the test's own cgroup). */
	AG_DIFF(a, b, flow);
	AG_DIFF(a, b, ip_id);
	AG_DIFF(a, b, ip_frag);
	AG_DIFF(a, b, urg);
	AG_DIFF(a, b, payload_len);
	AG_DIFF(a, b, tos);
	AG_DIFF(a, b, ip_opt_len);
	AG_DIFF(a, b, doff_res);
	AG_DIFF(a, b, opt_len);
	if (a->opt_len <= SS_OPT_RAW_SIZE && memcmp(a->opts, b->opts, a->opt_len))
		return "opts";
	return NULL;
}

struct ag_host *ag_host_new(const struct ss_options *o)
{
	struct ag_host *h = calloc(1, sizeof(*h));

	if (h && !(h->rp = ss_replay_new(o, 0))) {
		free(h);
		return NULL;
	}
	return h;
}

void ag_host_frame(struct ag_host *h, const uint8_t *frame, uint32_t len, struct ag_result *r)
{
	replay_record(h->rp, DLT_EN10MB, frame, len, r);
}

void ag_host_clear_pending(struct ag_host *h)
{
	ss_replay_clear_pending(h->rp);
}

void ag_host_free(struct ag_host *h)
{
	if (!h)
		return;
	ss_replay_free(h->rp);
	free(h);
}

void ag_host_primed(struct ag_host *h, const struct tpkt *primers, const uint8_t *frame,
		    uint32_t len, struct ag_result r[AG_NPRIMERS + 1])
{
	int i;

	ag_host_clear_pending(h);
	for (i = 0; i < AG_NPRIMERS; i++)
		ag_host_frame(h, primers[i].b, primers[i].len, &r[i]);
	ag_host_frame(h, frame, len, &r[AG_NPRIMERS]);
}

struct ag_reader *ag_open(const char *path, const struct ss_options *o, char *err, size_t n)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct ag_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	r->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!r->p) {
		snprintf(err, n, "%s", perr);
		free(r);
		return NULL;
	}
	r->dlt = pcap_datalink(r->p);
	if (!ss_link_supported(r->dlt) || !(r->rp = ss_replay_new(o, 0))) {
		snprintf(err, n, "link type %d, or out of memory", r->dlt);
		pcap_close(r->p);
		free(r);
		return NULL;
	}
	return r;
}

void ag_close(struct ag_reader *r)
{
	ss_replay_free(r->rp);
	pcap_close(r->p);
	free(r);
}

/* AF_INET and every AF_INET6 of the loopback link types. */
static uint16_t test_af_type(uint32_t af)
{
	static const struct { uint32_t af; uint16_t type; } afs[] = {
		{ 2, 0x0800 }, { 10, 0x86dd }, { 24, 0x86dd }, { 28, 0x86dd }, { 30, 0x86dd },
	};
	size_t i;

	for (i = 0; i < sizeof(afs) / sizeof(afs[0]); i++)
		if (afs[i].af == af)
			return afs[i].type;
	return 0;
}

/* The test's reading of a link header: its length and the ethertype. */
static int link_header(int dlt, const uint8_t *b, uint32_t caplen, uint32_t *hlen,
		       uint16_t *type)
{
	uint32_t af;

	switch (dlt) {
	case DLT_LINUX_SLL:     /* packet type, ARPHRD, address, protocol */
		*hlen = 16;
		if (caplen >= 16)
			*type = (uint16_t)(b[14] << 8 | b[15]);
		break;
	case DLT_LINUX_SLL2:    /* protocol first */
		*hlen = 20;
		if (caplen >= 20)
			*type = (uint16_t)(b[0] << 8 | b[1]);
		break;
	case DLT_NULL:          /* address family in the writer's byte order */
		*hlen = 4;
		if (caplen >= 4) {
			memcpy(&af, b, 4);
			*type = test_af_type(af) ? test_af_type(af)
						 : test_af_type(__builtin_bswap32(af));
		}
		break;
	case DLT_LOOP:          /* ... in network order */
		*hlen = 4;
		if (caplen >= 4)
			*type = test_af_type((uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
		break;
	case DLT_IPV4:
		*hlen = 0;
		*type = 0x0800;
		break;
	case DLT_IPV6:
		*hlen = 0;
		*type = 0x86dd;
		break;
	default:                /* raw IP: the version nibble */
		*hlen = 0;
		if (caplen < 1)
			return -1;
		*type = (b[0] >> 4) == 4 ? 0x0800 : (b[0] >> 4) == 6 ? 0x86dd : 0;
		break;
	}
	return caplen >= *hlen ? 0 : -1;
}

static void to_ethernet(int dlt, const uint8_t *b, uint32_t caplen, struct ag_packet *p)
{
	uint32_t hlen = 0;
	uint16_t type = 0;

	p->frame_len = 0;
	if (dlt == DLT_EN10MB) {
		if (caplen <= AG_FRAME_MAX) {
			memcpy(p->frame, b, caplen);
			p->frame_len = caplen;
		}
		p->too_long = caplen > AG_FRAME_MAX;
		return;
	}
	if (link_header(dlt, b, caplen, &hlen, &type))
		return;
	if (caplen - hlen + AG_ETH_HLEN > AG_FRAME_MAX) {
		p->too_long = 1;
		return;
	}
	memset(p->frame, 0, 12);
	p->frame[12] = type >> 8;
	p->frame[13] = type & 0xff;
	memcpy(p->frame + AG_ETH_HLEN, b + hlen, caplen - hlen);
	p->frame_len = caplen - hlen + AG_ETH_HLEN;
}

int ag_next(struct ag_reader *r, struct ag_packet *p)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int e;

	e = pcap_next_ex(r->p, &h, &data);
	if (e == PCAP_ERROR_BREAK)
		return 0;
	if (e != 1)
		return -1;
	memset(p, 0, sizeof(*p));
	p->n = ++r->n;
	p->caplen = h->caplen;
	to_ethernet(r->dlt, data, h->caplen, p);
	replay_record(r->rp, r->dlt, data, h->caplen, &p->host);
	return 1;
}
