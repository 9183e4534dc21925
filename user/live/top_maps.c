// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* top, live: the kernel's flood maps once per interval (top_maps.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "live/loader.h"
#include "live/top_maps.h"
#include "out/flood_view.h"
#include "synscope.skel.h"
#include "sketch.h"

struct target_total {
	struct ss_target_key key;
	uint64_t syn;              /* cumulative, summed over CPUs */
};

struct ss_top_maps {
	struct ss_loader *l;
	struct target_total *prev, *cur;   /* sorted by key: two reads in turn */
	int nprev;
	uint64_t *percpu;                  /* lookup buffer: ncpus values */
	uint32_t sketch_sum[SS_SKETCH_EPOCH_SLOTS];      /* one epoch, summed over CPUs */
	struct ss_source_key hkeys[SS_FLOOD_CANDIDATES]; /* heavy_sources' keys, one walk */
	struct target_total totals[2][SS_FLOOD_TARGETS];
};

static int cmp_target_key(const void *a, const void *b)
{
	return memcmp(&((const struct target_total *)a)->key,
		      &((const struct target_total *)b)->key, sizeof(struct ss_target_key));
}

/* SYNs per target in this interval: cumulative now minus cumulative then. */
int ss_top_maps_targets(struct ss_top_maps *st, struct flood_target *out, int max)
{
	int fd = bpf_map__fd(st->l->skel->maps.targets), n = 0, i, j, cpu;
	struct ss_target_key key, next, *prevkey = NULL;
	struct target_total *swap;

	while (n < SS_FLOOD_TARGETS && bpf_map_get_next_key(fd, prevkey, &next) == 0) {
		key = next;
		prevkey = &key;
		if (bpf_map_lookup_elem(fd, &key, st->percpu))
			continue; /* evicted meanwhile */
		st->cur[n].key = key;
		st->cur[n].syn = 0;
		for (cpu = 0; cpu < st->l->ncpus; cpu++)
			st->cur[n].syn += st->percpu[cpu];
		n++;
	}
	qsort(st->cur, n, sizeof(*st->cur), cmp_target_key);
	/* A key evicted under the walk restarts it at the first key: drop
	 * the repeats. */
	for (i = 1, j = n ? 1 : 0; i < n; i++)
		if (cmp_target_key(&st->cur[j - 1], &st->cur[i]) != 0)
			st->cur[j++] = st->cur[i];
	n = j;
	for (i = 0, j = 0; i < n && j < max; i++) {
		struct target_total *p = bsearch(&st->cur[i], st->prev, st->nprev,
						 sizeof(*st->prev), cmp_target_key);
		uint64_t base = p && p->syn <= st->cur[i].syn ? p->syn : 0;
		struct flood_target *t = &out[j++];

		t->family = st->cur[i].key.family;
		t->port = st->cur[i].key.port;
		memcpy(t->addr, st->cur[i].key.addr, sizeof(t->addr));
		t->syn = st->cur[i].syn - base;
	}
	swap = st->prev;
	st->prev = st->cur;
	st->cur = swap;
	st->nprev = n;
	return j;
}

/* Flip the sketch's epoch, then read, rank and clear the closed one. */
int ss_top_maps_sources(struct ss_top_maps *st, struct flood_source *out, int max)
{
	struct synscope_bpf *s = st->l->skel;
	int sfd = bpf_map__fd(s->maps.sketch), hfd = bpf_map__fd(s->maps.heavy_sources);
	uint32_t closed = s->bss->ss_epoch & 1, slot, row, cpu;
	struct ss_source_key *prevkey = NULL;
	int n = 0, nkeys = 0, i;

	s->bss->ss_epoch = closed ^ 1;
	/* Programs that read the old epoch just before the flip finish within
	 * microseconds; a millisecond keeps their counts in this interval. */
	usleep(1000);
	for (slot = 0; slot < SS_SKETCH_EPOCH_SLOTS; slot++) {
		uint32_t k = ss_sketch_slot(closed, 0, 0) + slot;

		st->sketch_sum[slot] = 0;
		if (bpf_map_lookup_elem(sfd, &k, st->percpu))
			return -errno;
		for (cpu = 0; cpu < (uint32_t)st->l->ncpus; cpu++)
			st->sketch_sum[slot] += (uint32_t)st->percpu[cpu];
	}
	/* A candidate's value is the estimate the kernel wrote when it last
	 * (re)inserted it, never 0; we zero it once reported. A zero means
	 * the source did not stand out since the last interval: it is stale,
	 * its estimate would be the sketch's noise (under a spoofed flood,
	 * rarely 0), so it is deleted, not shown. One still heavy is inserted
	 * again at its next power-of-two crossing. Keys are collected first:
	 * deleting or rewriting entries while walking a hash map restarts or
	 * skips the walk. */
	while (nkeys < SS_FLOOD_CANDIDATES && bpf_map_get_next_key(hfd, prevkey, &st->hkeys[nkeys]) == 0) {
		prevkey = &st->hkeys[nkeys];
		nkeys++;
	}
	for (i = 0; i < nkeys; i++) {
		const struct ss_source_key *key = &st->hkeys[i];
		uint32_t est = ~0u, val, zero = 0;

		if (bpf_map_lookup_elem(hfd, key, &val))
			continue; /* evicted meanwhile */
		if (!val) {
			bpf_map_delete_elem(hfd, key);
			continue;
		}
		for (row = 0; row < SS_SKETCH_ROWS; row++) {
			uint32_t c = st->sketch_sum[row * SS_SKETCH_WIDTH +
						    ss_sketch_col(key->addr, row)];
			if (c < est)
				est = c;
		}
		/* Inserted just after the flip: it stood out only in the new
		 * epoch, which the next interval reports. Keep it fresh. */
		if (est < SS_HH_MIN_COUNT)
			continue;
		bpf_map_update_elem(hfd, key, &zero, BPF_EXIST);
		if (n >= max)
			continue;
		out[n].family = key->family;
		memcpy(out[n].addr, key->addr, sizeof(key->addr));
		out[n].syn = est;
		n++;
	}
	/* Clear the closed epoch for its next turn: only counters that moved. */
	memset(st->percpu, 0, sizeof(uint64_t) * st->l->ncpus);
	for (slot = 0; slot < SS_SKETCH_EPOCH_SLOTS; slot++) {
		uint32_t k = ss_sketch_slot(closed, 0, 0) + slot;

		if (st->sketch_sum[slot])
			bpf_map_update_elem(sfd, &k, st->percpu, BPF_ANY);
	}
	slot = SS_SKETCH_TOTAL_SLOT(closed);
	bpf_map_update_elem(sfd, &slot, st->percpu, BPF_ANY);
	return n;
}

struct ss_top_maps *ss_top_maps_new(struct ss_loader *l)
{
	struct ss_top_maps *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->l = l;
	m->prev = m->totals[0];
	m->cur = m->totals[1];
	m->percpu = calloc(l->ncpus, sizeof(uint64_t));
	if (!m->percpu) {
		free(m);
		return NULL;
	}
	return m;
}

void ss_top_maps_free(struct ss_top_maps *m)
{
	if (m)
		free(m->percpu);
	free(m);
}
