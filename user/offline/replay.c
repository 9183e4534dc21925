// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The kernel's per-packet path on the host (replay.h): what bpf/decide.h
 * asks of a build, supplied in memory. The kernel's own are in
 * bpf/synscope.bpf.c.
 *
 * No <bpf/...> header here, nor libpcap's: this is the code both the
 * capture reader and the two-builds tests link.
 */
#include <stdlib.h>
#include <string.h>
#include "synscope.h"
#include "parse.h"
#include "sketch.h"
#include "offline/flood_maps.h"
#include "offline/link.h"
#include "offline/replay.h"

struct ss_replay {
	const struct ss_options *o;        /* --port, --host, --timeout */
	uint64_t key0, key1;               /* the pending table's hash key */
	uint64_t counters[SS_C_MAX];
	struct ss_pend_set *pend;          /* the kernel's pending table, SS_PEND_SETS */
	__u64 *occ;                        /* and its groups' counts, SS_PEND_OCC */
	uint8_t tshift;                    /* its time unit and --timeout in it */
	uint32_t live_t;
	uint64_t swept;                    /* capture clock of the last sweep */
	uint8_t *scratch;                  /* a synthetic Ethernet frame */
	uint64_t now;                      /* the capture clock (never decreasing) */
	struct ss_flood_maps *flood;       /* top: the flood maps; NULL otherwise */
};

/* ---- what bpf/decide.h asks of this build ------------------------------ */

struct ss_decider {
	uint64_t *c;
	uint64_t key0, key1;
	uint8_t tshift;
	uint32_t live_t;
	struct ss_replay *r;
	const struct ss_frame *f;          /* the record being parsed */
	const uint8_t *start, *end;        /* where its parse began and ends */
};

/*
 * The headers. A tag after a non-Ethernet link header is walked by
 * ss_parse_eth on a copy with a synthetic Ethernet header: rare, and
 * exactly what the kernel does with the tagged frame. x->start is where
 * the cursor began (what the option copy is relative to).
 */
static inline int ss_d_parse(struct ss_decider *x, struct ss_cursor *c, struct ss_pkt *pkt)
{
	const struct ss_frame *f = x->f;
	struct ss_replay *r = x->r;
	size_t len;

	x->start = f->data;
	x->end = f->end;
	c->pos = (void *)f->data;
	c->end = (void *)f->end;
	if (f->cut)
		return SS_PARSE_TRUNCATED;
	if (f->eth)
		return ss_parse_eth(c, pkt);
	if (f->proto != SS_ETH_P_8021Q && f->proto != SS_ETH_P_8021AD)
		return ss_parse_l3(c, f->proto, pkt);

	len = (size_t)(f->end - f->data);
	if (len > SS_MAX_CAPLEN)
		len = SS_MAX_CAPLEN;
	memset(r->scratch, 0, 12);
	r->scratch[12] = f->proto >> 8;
	r->scratch[13] = f->proto & 0xff;
	memcpy(r->scratch + SS_ETH_HDR_LEN, f->data, len);
	x->start = r->scratch;
	x->end = r->scratch + SS_ETH_HDR_LEN + len;
	c->pos = (void *)x->start;
	c->end = (void *)x->end;
	return ss_parse_eth(c, pkt);
}

static inline void ss_d_unparsed(struct ss_decider *x, int res)
{
	x->c[SS_C_NOT_IP + res - SS_PARSE_NOT_IP]++;
}

static inline int ss_d_ports_on(struct ss_decider *x)
{
	return x->r->o->nports != 0;
}

static inline int ss_d_port_listed(struct ss_decider *x, uint16_t port)
{
	return ss_port_listed(x->r->o->ports, (uint32_t)x->r->o->nports, port);
}

static inline int ss_d_hosts_on(struct ss_decider *x)
{
	return x->r->o->nhosts != 0;
}

/* The kernel's LPM trie, as a scan: at most SS_MAX_HOSTS prefixes. */
static inline int ss_d_host_listed(struct ss_decider *x, uint8_t family, const uint32_t *addr)
{
	const struct ss_options *o = x->r->o;
	int i;

	for (i = 0; i < o->nhosts; i++)
		if (ss_prefix_match(&o->hosts[i], family, addr))
			return 1;
	return 0;
}

/* --cgroup is live only: a capture has no sockets. */
static inline int ss_d_owner(struct ss_decider *x, const struct ss_pkt *pkt)
{
	(void)x, (void)pkt;
	return 1;
}

static inline int ss_d_flood(struct ss_decider *x)
{
	return x->r->flood != NULL;
}

static inline void ss_d_target_add(struct ss_decider *x, const struct ss_target_key *k)
{
	ss_flood_maps_target_add(x->r->flood, k);
}

static inline uint32_t *ss_d_sketch_total(struct ss_decider *x)
{
	return ss_flood_maps_sketch_total(x->r->flood);
}

static inline uint32_t *ss_d_sketch_cell(struct ss_decider *x, uint32_t row, uint32_t col)
{
	return ss_flood_maps_sketch_cell(x->r->flood, row, col);
}

static inline void ss_d_heavy_put(struct ss_decider *x, const struct ss_source_key *k,
				  uint32_t est)
{
	(void)est;
	ss_flood_maps_heavy_put(x->r->flood, k);
}

static inline uint64_t ss_d_clock(struct ss_decider *x)
{
	return x->r->now;
}

static inline struct ss_pend_set *ss_d_pend_set(struct ss_decider *x, uint32_t index)
{
	return &x->r->pend[index];
}

static inline __u64 *ss_d_pend_occ(struct ss_decider *x, uint32_t group)
{
	return &x->r->occ[group];
}

#include "decide.h"

/* ---- the replay ---------------------------------------------------------- */

struct ss_replay *ss_replay_new(const struct ss_options *o, int flood)
{
	struct ss_replay *r = calloc(1, sizeof(*r));
	int keyed = o->pend_key[0] || o->pend_key[1];

	if (!r)
		return NULL;
	r->o = o;
	r->key0 = keyed ? o->pend_key[0] : SS_REPLAY_KEY0;
	r->key1 = keyed ? o->pend_key[1] : SS_REPLAY_KEY1;
	r->tshift = ss_pend_tshift(o->timeout_ns);
	r->live_t = ss_pend_live_t(o->timeout_ns, r->tshift);
	r->scratch = malloc(SS_ETH_HDR_LEN + SS_MAX_CAPLEN);
	r->pend = aligned_alloc(64, (size_t)SS_PEND_SETS * sizeof(*r->pend));
	r->occ = calloc(SS_PEND_OCC, sizeof(*r->occ));
	if (flood)
		r->flood = ss_flood_maps_new();
	if (!r->scratch || !r->pend || !r->occ || (flood && !r->flood)) {
		ss_replay_free(r);
		return NULL;
	}
	memset(r->pend, 0, (size_t)SS_PEND_SETS * sizeof(*r->pend));
	return r;
}

void ss_replay_free(struct ss_replay *r)
{
	if (!r)
		return;
	free(r->scratch);
	free(r->pend);
	free(r->occ);
	ss_flood_maps_free(r->flood);
	free(r);
}

/* The kernel's emit(), minus the ring buffer and its rate limit. ev is an
 * ss_event_syn, whatever the kind. */
static void make_event(struct ss_replay *r, const struct ss_decider *x, const struct ss_pkt *pkt,
		       uint64_t ts_ns, uint8_t kind, struct ss_event_syn *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->e.ts_ns = ts_ns;
	ev->e.ifindex = x->f->ifindex;
	ev->e.dir = x->f->dir;
	ev->e.kind = kind;
	ss_fill_event(&ev->e, pkt);
	if (kind == SS_EV_SYN || kind == SS_EV_SYNACK) {
		struct ss_cursor c = { .pos = x->start, .end = x->end, .off = 0 };

		ss_fill_event_syn(ev, pkt);
		ev->opt_len = ss_copy_tcp_opts(&c, pkt, ev->opts);
	}
	r->counters[SS_C_EVENTS]++;
}

uint64_t ss_replay_sweep(struct ss_replay *r, uint64_t now)
{
	r->swept = now;
	return ss_pend_sweep(r->pend, r->occ, SS_PEND_SETS, now, r->tshift, r->live_t);
}

int ss_replay_frame(struct ss_replay *r, const struct ss_frame *f, uint64_t now, uint64_t ts,
		    struct ss_event_syn *ev)
{
	struct ss_decider x = { .c = r->counters, .key0 = r->key0, .key1 = r->key1,
				.tshift = r->tshift, .live_t = r->live_t, .r = r, .f = f };
	struct ss_cursor c = { 0 };
	struct ss_pkt pkt = { 0 };
	__u64 stamp = 0;
	int kind;

	r->now = now;
	/* The sweep live userspace makes (live/session.c), on capture time. */
	if (now - r->swept >= (uint64_t)SS_PEND_SWEEP_UNITS << r->tshift)
		ss_replay_sweep(r, now);
	kind = ss_packet(&x, &c, &pkt, &stamp);
	if (!kind)
		return 0;
	make_event(r, &x, &pkt, ts, (uint8_t)kind, ev);
	return 1;
}

void ss_replay_clear_pending(struct ss_replay *r)
{
	memset(r->pend, 0, (size_t)SS_PEND_SETS * sizeof(*r->pend));
	memset(r->occ, 0, SS_PEND_OCC * sizeof(*r->occ));
}

const uint64_t *ss_replay_counters(const struct ss_replay *r)
{
	return r->counters;
}

struct ss_flood_maps *ss_replay_flood(struct ss_replay *r)
{
	return r->flood;
}
