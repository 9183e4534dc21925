// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * top over a capture: the kernel's flood maps, kept on the host (see
 * flood_maps.h).
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
#include "offline/agelist.h"
#include "offline/flood_maps.h"
#include "out/flood_view.h"

#define FT_NIL UINT32_MAX

_Static_assert((SS_FLOOD_TARGETS & (SS_FLOOD_TARGETS - 1)) == 0, "buckets are masked");
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

struct ss_flood_maps {
	/* Targets of the interval in progress. */
	struct ft_node tnodes[SS_FLOOD_TARGETS];
	uint32_t tbuckets[SS_FLOOD_TARGETS];
	uint32_t tcount;
	struct ss_age_list tage;

	/* The sketch's epoch of the interval in progress, and its total. */
	uint32_t sketch[SS_SKETCH_EPOCH_SLOTS];
	uint32_t total;

	struct candidate cand[SS_FLOOD_CANDIDATES];
	int ncand;
	uint64_t cand_clock;
};

/* ---- targets ------------------------------------------------------------ */

static void ft_reset(struct ss_flood_maps *f)
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
	return (uint32_t)(h >> 32) & (SS_FLOOD_TARGETS - 1);
}

/* One more SYN to k: the kernel's targets map, an LRU hash. */
void ss_flood_maps_target_add(struct ss_flood_maps *f, const struct ss_target_key *k)
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
	if (f->tcount < SS_FLOOD_TARGETS) {
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
void ss_flood_maps_heavy_put(struct ss_flood_maps *f, const struct ss_source_key *k)
{
	int i, victim = 0;

	f->cand_clock++;
	for (i = 0; i < f->ncand; i++)
		if (memcmp(&f->cand[i].key, k, sizeof(*k)) == 0) {
			f->cand[i].used = f->cand_clock;
			return;
		}
	if (f->ncand < SS_FLOOD_CANDIDATES) {
		victim = f->ncand++;
	} else {
		for (i = 1; i < f->ncand; i++)
			if (f->cand[i].used < f->cand[victim].used)
				victim = i;
	}
	f->cand[victim].key = *k;
	f->cand[victim].used = f->cand_clock;
}

static uint32_t sketch_estimate(const struct ss_flood_maps *f, const uint32_t *addr)
{
	uint32_t row, est = UINT32_MAX, c;

	for (row = 0; row < SS_SKETCH_ROWS; row++) {
		c = f->sketch[row * SS_SKETCH_WIDTH + ss_sketch_col(addr, row)];
		if (c < est)
			est = c;
	}
	return est;
}

uint32_t *ss_flood_maps_sketch_total(struct ss_flood_maps *f)
{
	return &f->total;
}

uint32_t *ss_flood_maps_sketch_cell(struct ss_flood_maps *f, uint32_t row, uint32_t col)
{
	return &f->sketch[row * SS_SKETCH_WIDTH + col];
}

/* ---- read once per interval -------------------------------------------- */

static int read_targets(struct ss_flood_maps *f, struct flood_target *out, int max)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < f->tcount && n < max; i++, n++) {
		const struct ft_node *t = &f->tnodes[i];

		out[n].family = t->key.family;
		out[n].port = t->key.port;
		memcpy(out[n].addr, t->key.addr, sizeof(t->key.addr));
		out[n].syn = t->syn;
	}
	ft_reset(f);
	return n;
}

static int read_sources(struct ss_flood_maps *f, struct flood_source *out, int max)
{
	int i, n = 0;

	if (!f->total)
		return 0;
	for (i = 0; i < f->ncand && n < max; i++) {
		uint32_t est = sketch_estimate(f, f->cand[i].key.addr);

		/* Always true offline (it was inserted at >= this estimate in
		 * this epoch); live's test, kept. */
		if (est < SS_HH_MIN_COUNT)
			continue;
		out[n].family = f->cand[i].key.family;
		memcpy(out[n].addr, f->cand[i].key.addr, sizeof(f->cand[i].key.addr));
		out[n].syn = est;
		n++;
	}
	/* The next epoch starts empty, and so does the candidate table (see
	 * the top of this file). */
	memset(f->sketch, 0, sizeof(f->sketch));
	f->total = 0;
	f->ncand = 0;
	return n;
}

void ss_flood_maps_read(struct ss_flood_maps *f, struct flood_epoch *out)
{
	out->syn = f->total;
	out->ntargets = read_targets(f, out->targets, SS_FLOOD_TARGETS);
	out->nsources = read_sources(f, out->sources, SS_FLOOD_CANDIDATES);
}

struct ss_flood_maps *ss_flood_maps_new(void)
{
	struct ss_flood_maps *f = calloc(1, sizeof(*f));

	if (f)
		ft_reset(f);
	return f;
}

void ss_flood_maps_free(struct ss_flood_maps *f)
{
	free(f);
}
