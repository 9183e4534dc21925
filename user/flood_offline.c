// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * "synscope top -r": the kernel's flood maps, kept in userspace over
 * capture time (see flood_offline.h).
 *
 *   targets   SYNs per destination address and port, exact within one
 *             interval, in a table bounded like the kernel's (4096
 *             entries; when full, the target updated longest ago goes).
 *   sources   the kernel's count-min sketch (include/sketch.h: same
 *             constants, same column hash, same candidate rule), one
 *             epoch per interval, and its candidate table (1024 entries,
 *             least recently inserted or refreshed evicted). A candidate's
 *             count is its sketch estimate. As live top does, only the
 *             candidates (re)inserted during the interval are reported,
 *             then dropped: one that stopped standing out would show only
 *             the sketch's noise. (Live keeps a candidate inserted just
 *             after its epoch flip for the next interval; offline there is
 *             no such race, so the table simply starts each interval empty.)
 *
 * Offline there is one "CPU": the kernel applies the candidate rule to
 * each CPU's sketch, here to the one sketch of the whole capture.
 */
#include <stdlib.h>
#include <string.h>
#include "synscope.h"
#include "sketch.h"
#include "flood.h"
#include "agelist.h"
#include "flood_offline.h"
#include "output.h"

#define FT_NIL UINT32_MAX

_Static_assert((FLOOD_OFF_TARGETS & (FLOOD_OFF_TARGETS - 1)) == 0, "buckets are masked");
_Static_assert(sizeof(struct ss_target_key) % 4 == 0, "ft_bucket hashes 32-bit words");

struct ft_node {
	struct ss_target_key key;
	uint64_t syn;
	uint32_t hnext;            /* hash chain */
	struct ss_age age;         /* update order */
};

struct candidate {
	struct ss_source_key key;
	uint64_t used;             /* f->cand_clock when inserted or refreshed */
};

struct flood_offline {
	struct flood_off_config c;
	enum flood_style style;
	uint64_t period;           /* --interval in ns */
	int started;
	uint64_t iv_start, iv_end; /* the interval in progress: [start, end) */
	uint64_t prev[SS_C_MAX];   /* counters at its start */
	struct flood_alerts alerts;

	/* Targets of the interval in progress. */
	struct ft_node tnodes[FLOOD_OFF_TARGETS];
	uint32_t tbuckets[FLOOD_OFF_TARGETS];
	uint32_t tcount;
	struct ss_age_list tage;

	/* The sketch's epoch of the interval in progress, and its total. */
	uint32_t sketch[SS_SKETCH_EPOCH_SLOTS];
	uint32_t total;

	struct candidate cand[FLOOD_OFF_CANDIDATES];
	int ncand;
	uint64_t cand_clock;

	/* Scratch for ranking, and the interval being printed. */
	struct flood_target targets[FLOOD_OFF_TARGETS];
	struct flood_source sources[FLOOD_OFF_CANDIDATES];
	struct flood_interval iv;
};

/* ---- targets ------------------------------------------------------------ */

static void ft_reset(struct flood_offline *f)
{
	memset(f->tbuckets, 0xff, sizeof(f->tbuckets));
	f->tcount = 0;
	ss_age_list_init(&f->tage);
}

static uint32_t ft_bucket(const struct ss_target_key *k)
{
	uint32_t w[sizeof(*k) / 4];
	uint64_t h = 0;
	size_t i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32) & (FLOOD_OFF_TARGETS - 1);
}

/* The kernel's count_target(): one more SYN to k. */
static void ft_count(struct flood_offline *f, const struct ss_target_key *k)
{
	uint32_t b = ft_bucket(k), i, *pp;

	for (i = f->tbuckets[b]; i != FT_NIL; i = f->tnodes[i].hnext)
		if (memcmp(&f->tnodes[i].key, k, sizeof(*k)) == 0) {
			f->tnodes[i].syn++;
			if (i != f->tage.newest) {
				ss_age_unlink(&f->tage, f->tnodes, i, age);
				ss_age_push(&f->tage, f->tnodes, i, age);
			}
			return;
		}
	if (f->tcount < FLOOD_OFF_TARGETS) {
		i = f->tcount++;
	} else {
		/* Full: the target updated longest ago makes room. */
		i = f->tage.oldest;
		pp = &f->tbuckets[ft_bucket(&f->tnodes[i].key)];
		while (*pp != i)
			pp = &f->tnodes[*pp].hnext;
		*pp = f->tnodes[i].hnext;
		ss_age_unlink(&f->tage, f->tnodes, i, age);
	}
	f->tnodes[i].key = *k;
	f->tnodes[i].syn = 1;
	f->tnodes[i].hnext = f->tbuckets[b];
	f->tbuckets[b] = i;
	ss_age_push(&f->tage, f->tnodes, i, age);
}

/* ---- sources ------------------------------------------------------------ */

/* bpf_map_update_elem(BPF_ANY) on the kernel's heavy_sources LRU map. */
static void cand_put(struct flood_offline *f, const struct ss_source_key *k)
{
	int i, victim = 0;

	f->cand_clock++;
	for (i = 0; i < f->ncand; i++)
		if (memcmp(&f->cand[i].key, k, sizeof(*k)) == 0) {
			f->cand[i].used = f->cand_clock;
			return;
		}
	if (f->ncand < FLOOD_OFF_CANDIDATES) {
		victim = f->ncand++;
	} else {
		for (i = 1; i < f->ncand; i++)
			if (f->cand[i].used < f->cand[victim].used)
				victim = i;
	}
	f->cand[victim].key = *k;
	f->cand[victim].used = f->cand_clock;
}

static uint32_t sketch_estimate(const struct flood_offline *f, const uint32_t *addr)
{
	uint32_t row, est = UINT32_MAX, c;

	for (row = 0; row < SS_SKETCH_ROWS; row++) {
		c = f->sketch[row * SS_SKETCH_WIDTH + ss_sketch_col(addr, row)];
		if (c < est)
			est = c;
	}
	return est;
}

/* The kernel's count_source(). */
static void count_source(struct flood_offline *f, uint8_t family, const uint32_t *saddr)
{
	struct ss_source_key k;
	uint32_t row, est = UINT32_MAX, *c;

	f->total++;
	for (row = 0; row < SS_SKETCH_ROWS; row++) {
		c = &f->sketch[row * SS_SKETCH_WIDTH + ss_sketch_col(saddr, row)];
		(*c)++;
		if (*c < est)
			est = *c;
	}
	if (est < SS_HH_MIN_COUNT ||
	    (uint64_t)est * SS_SKETCH_WIDTH < (uint64_t)f->total * SS_HH_NOISE_FACTOR)
		return;
	/* Insert on crossing, refresh at powers of two, as the kernel does. */
	if (est & (est - 1))
		return;
	memset(&k, 0, sizeof(k));
	memcpy(k.addr, saddr, sizeof(k.addr));
	k.family = family;
	cand_put(f, &k);
}

void flood_off_syn(struct flood_offline *f, uint8_t family, const uint32_t *saddr,
		   const uint32_t *daddr, uint16_t dport)
{
	struct ss_target_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, daddr, sizeof(k.addr));
	k.port = dport;
	k.family = family;
	ft_count(f, &k);
	count_source(f, family, saddr);
}

/* ---- intervals ---------------------------------------------------------- */

static uint64_t delta(struct flood_offline *f, int idx)
{
	return f->c.counters[idx] - f->prev[idx];
}

/* Close the interval in progress at end_ns, print it, start the next. */
static void close_interval(struct flood_offline *f, uint64_t end_ns)
{
	struct flood_interval *iv = &f->iv;
	uint32_t i;
	int n;

	memset(iv, 0, sizeof(*iv));
	iv->ts_ns = (int64_t)end_ns;
	iv->interval_s = (double)(end_ns - f->iv_start) / 1e9;
	iv->syn = delta(f, SS_C_SYN);
	iv->synack = delta(f, SS_C_SYNACK);
	iv->established = delta(f, SS_C_ACK_COMPLETE);
	iv->rst = delta(f, SS_C_RST);
	iv->events = delta(f, SS_C_EVENTS);
	iv->sampled_out = delta(f, SS_C_SAMPLED_OUT);
	iv->lost = delta(f, SS_C_LOST);
	memcpy(f->prev, f->c.counters, sizeof(f->prev));

	if (f->tcount) {
		for (i = 0; i < f->tcount; i++) {
			const struct ft_node *t = &f->tnodes[i];

			f->targets[i].family = t->key.family;
			f->targets[i].port = t->key.port;
			memcpy(f->targets[i].addr, t->key.addr, sizeof(t->key.addr));
			f->targets[i].syn = t->syn;
		}
		iv->ntargets = flood_top_targets(f->targets, (int)f->tcount, FLOOD_TOP_MAX);
		memcpy(iv->targets, f->targets, iv->ntargets * sizeof(*iv->targets));
		ft_reset(f);
	}
	if (f->total) {
		for (i = 0, n = 0; i < (uint32_t)f->ncand; i++) {
			uint32_t est = sketch_estimate(f, f->cand[i].key.addr);

			/* Always true offline (it was inserted at >= this
			 * estimate in this epoch); live's test, kept. */
			if (est < SS_HH_MIN_COUNT)
				continue;
			f->sources[n].family = f->cand[i].key.family;
			memcpy(f->sources[n].addr, f->cand[i].key.addr, sizeof(f->cand[i].key.addr));
			f->sources[n].syn = est;
			n++;
		}
		iv->nsources = flood_top_sources(f->sources, n, FLOOD_TOP_MAX);
		memcpy(iv->sources, f->sources, iv->nsources * sizeof(*iv->sources));
		/* The next epoch starts empty, and so does the candidate
		 * table (see the top of this file). */
		memset(f->sketch, 0, sizeof(f->sketch));
		f->total = 0;
		f->ncand = 0;
	}
	iv->half_open = f->c.half_open ? f->c.half_open(f->c.arg, end_ns) : 0;
	flood_alerts_update(&f->alerts, iv);
	flood_print(f->c.out, f->style, "", iv, &f->alerts, f->c.o->top_n);

	f->iv_start = end_ns;
	f->iv_end = end_ns + f->period;
}

/* Intervals [from, to) without a record, n of them, left out. */
static void note_gap(struct flood_offline *f, uint64_t from, uint64_t to, uint64_t n)
{
	char a[40], b[40];

	ss_fmt_utc((int64_t)from, a, sizeof(a));
	ss_fmt_utc((int64_t)to, b, sizeof(b));
	if (f->style == FLOOD_JSON)
		fprintf(f->c.out, "{\"type\":\"gap\",\"from\":\"%s\",\"to\":\"%s\",\"intervals\":%lu}\n",
			a, b, (unsigned long)n);
	else
		fprintf(f->c.out, "%s no records until %s: %lu empty intervals not shown\n",
			a, b, (unsigned long)n);
}

int flood_off_clock(struct flood_offline *f, uint64_t now_ns)
{
	uint64_t empty;

	if (!f->started) {
		f->started = 1;
		f->iv_start = now_ns;
		f->iv_end = now_ns + f->period;
		memcpy(f->prev, f->c.counters, sizeof(f->prev));
		return 0;
	}
	if (now_ns < f->iv_end)
		return 0;
	close_interval(f, f->iv_end);
	/* Whole intervals before the one now_ns falls in: no record in them. */
	empty = (now_ns - f->iv_start) / f->period;
	if (empty >= FLOOD_OFF_MAX_EMPTY) {
		close_interval(f, f->iv_end);
		empty--;
		note_gap(f, f->iv_start, f->iv_start + empty * f->period, empty);
		/* Nothing changes in them: counters, targets and the sketch
		 * stay empty, and the alerts ended in the interval printed. */
		f->iv_start += empty * f->period;
		f->iv_end = f->iv_start + f->period;
		empty = 0;
	}
	while (empty--)
		close_interval(f, f->iv_end);
	return 1;
}

void flood_off_finish(struct flood_offline *f, uint64_t now_ns)
{
	if (!f->started)
		return;
	flood_off_clock(f, now_ns);
	close_interval(f, now_ns);
}

struct flood_offline *flood_off_new(const struct flood_off_config *c)
{
	struct flood_offline *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->c = *c;
	f->style = c->o->json ? FLOOD_JSON : FLOOD_LINE;
	f->period = (uint64_t)(c->o->interval * 1e9 + 0.5);
	if (f->period == 0)
		f->period = 1;
	f->alerts.syn_rate = c->o->alert_syn_rate;
	f->alerts.incomplete_pct = c->o->alert_incomplete;
	ft_reset(f);
	return f;
}

void flood_off_free(struct flood_offline *f)
{
	free(f);
}
