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
	uint64_t syn;              /* one epoch's count, cumulative, summed over CPUs */
};

struct ss_top_maps {
	struct ss_loader *l;
	/* Per epoch, the targets' counts when it last closed, sorted by key;
	 * the read in progress; and where the two merge. */
	struct target_total *prev[2], *cur, *merged;
	int nprev[2];
	uint64_t *percpu;                  /* lookup buffer: ncpus values */
	struct ss_target_count *percpu_t;  /* the same for targets */
	uint32_t sketch_sum[SS_SKETCH_EPOCH_SLOTS];      /* one epoch, summed over CPUs */
	struct ss_source_key hkeys[SS_FLOOD_CANDIDATES]; /* heavy_sources' keys, one walk */
	struct target_total totals[4][SS_FLOOD_TARGETS];
};

static int cmp_target_key(const void *a, const void *b)
{
	return memcmp(&((const struct target_total *)a)->key,
		      &((const struct target_total *)b)->key, sizeof(struct ss_target_key));
}

/* SYNs per target in the closed epoch: its count now minus its count when
 * it last closed (a target evicted and back since starts again). */
static int read_targets(struct ss_top_maps *st, uint32_t closed, struct flood_target *out, int max)
{
	int fd = bpf_map__fd(st->l->skel->maps.targets), n = 0, i, j, cpu;
	struct ss_target_key key, next, *prevkey = NULL;
	struct target_total *swap;

	while (n < SS_FLOOD_TARGETS && bpf_map_get_next_key(fd, prevkey, &next) == 0) {
		key = next;
		prevkey = &key;
		if (bpf_map_lookup_elem(fd, &key, st->percpu_t))
			continue; /* evicted meanwhile */
		st->cur[n].key = key;
		st->cur[n].syn = 0;
		for (cpu = 0; cpu < st->l->ncpus; cpu++)
			st->cur[n].syn += st->percpu_t[cpu].syn[closed];
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
		struct target_total *p = bsearch(&st->cur[i], st->prev[closed], st->nprev[closed],
						 sizeof(*st->cur), cmp_target_key);
		uint64_t base = p && p->syn <= st->cur[i].syn ? p->syn : 0;
		struct flood_target *t;

		if (st->cur[i].syn == base)
			continue;
		t = &out[j++];
		t->family = st->cur[i].key.family;
		t->port = st->cur[i].key.port;
		memcpy(t->addr, st->cur[i].key.addr, sizeof(t->addr));
		t->syn = st->cur[i].syn - base;
	}
	/* The new bases: what was read, and the old bases of targets the
	 * walk did not reach (an eviction under it restarts it), so that a
	 * target read next time is not taken from zero. Both sorted. */
	{
		const struct target_total *p = st->prev[closed];
		int a = 0, b = 0, m = 0, np = st->nprev[closed];
		int room = SS_FLOOD_TARGETS - n;   /* what was read comes first */

		while (a < n || b < np) {
			int c = a == n ? 1 : b == np ? -1 : cmp_target_key(&st->cur[a], &p[b]);

			if (c <= 0) {
				st->merged[m++] = st->cur[a++];
				b += c == 0;
			} else if (room > 0) {
				st->merged[m++] = p[b++];
				room--;
			} else {
				b++;
			}
		}
		swap = st->prev[closed];
		st->prev[closed] = st->merged;
		st->merged = swap;
		st->nprev[closed] = m;
	}
	return j;
}

/* The heavy sources of the closed epoch; then it is cleared for its next
 * turn. Its total of SYNs into *syn. */
static int read_sources(struct ss_top_maps *st, uint32_t closed, struct flood_source *out, int max,
			uint64_t *syn)
{
	struct synscope_bpf *s = st->l->skel;
	int sfd = bpf_map__fd(s->maps.sketch), hfd = bpf_map__fd(s->maps.heavy_sources);
	uint32_t slot, row, cpu;
	struct ss_source_key *prevkey = NULL;
	int n = 0, nkeys = 0, i;

	for (slot = 0; slot < SS_SKETCH_EPOCH_SLOTS; slot++) {
		uint32_t k = ss_sketch_slot(closed, 0, 0) + slot;

		st->sketch_sum[slot] = 0;
		if (bpf_map_lookup_elem(sfd, &k, st->percpu))
			return -errno;
		for (cpu = 0; cpu < (uint32_t)st->l->ncpus; cpu++)
			st->sketch_sum[slot] += (uint32_t)st->percpu[cpu];
	}
	slot = SS_SKETCH_TOTAL_SLOT(closed);
	if (bpf_map_lookup_elem(sfd, &slot, st->percpu))
		return -errno;
	*syn = 0;
	for (cpu = 0; cpu < (uint32_t)st->l->ncpus; cpu++)
		*syn += (uint32_t)st->percpu[cpu];
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

/* Flip the epoch, then read the closed one: its SYNs, its targets, its
 * sources. The kernel reads the epoch once per SYN and counts everything
 * of that SYN into it (bpf/decide.h ss_flood_count). */
int ss_top_maps_read(struct ss_top_maps *st, struct flood_epoch *out)
{
	struct synscope_bpf *s = st->l->skel;
	uint32_t closed = s->bss->ss_epoch & 1;
	int n;

	s->bss->ss_epoch = closed ^ 1;
	/* Programs that read the old epoch just before the flip finish within
	 * microseconds; a millisecond keeps their counts in this epoch. */
	usleep(1000);
	out->ntargets = read_targets(st, closed, out->targets, SS_FLOOD_TARGETS);
	n = read_sources(st, closed, out->sources, SS_FLOOD_CANDIDATES, &out->syn);
	if (n < 0)
		return n;
	out->nsources = n;
	return 0;
}

struct ss_top_maps *ss_top_maps_new(struct ss_loader *l)
{
	struct ss_top_maps *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->l = l;
	m->prev[0] = m->totals[0];
	m->prev[1] = m->totals[1];
	m->cur = m->totals[2];
	m->merged = m->totals[3];
	m->percpu = calloc(l->ncpus, sizeof(uint64_t));
	m->percpu_t = calloc(l->ncpus, sizeof(*m->percpu_t));
	if (!m->percpu || !m->percpu_t) {
		ss_top_maps_free(m);
		return NULL;
	}
	return m;
}

void ss_top_maps_free(struct ss_top_maps *m)
{
	if (m) {
		free(m->percpu);
		free(m->percpu_t);
	}
	free(m);
}
