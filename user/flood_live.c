// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * "synscope top" live: every interval, read the kernel's exact counters,
 * the per-target SYN map, the source sketch (flipping its epoch), and the
 * pending SYN-ACK table (half-open), then print the interval.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "exporter_live.h"
#include "flood.h"
#include "loader.h"
#include "output.h"
#include "synscope.skel.h"
#include "sketch.h"
#include "whowhy.h"

struct target_total {
	struct ss_target_key key;
	uint64_t syn;              /* cumulative, summed over CPUs */
};

struct flood_state {
	struct ss_loader *l;
	const struct ss_options *o;
	uint64_t prev_counters[SS_C_MAX];
	struct target_total *prev, *cur;   /* sorted by key */
	int nprev;
	uint64_t *percpu;                  /* lookup buffer: ncpus values */
	uint32_t *sketch_sum;              /* one epoch, summed over CPUs */
	uint64_t events;                   /* ring buffer records consumed */
	struct flood_target targets[4096];
	struct flood_source sources[1024];
	struct ss_source_key hkeys[1024];  /* heavy_sources' keys, one walk */
};

static int cmp_target_key(const void *a, const void *b)
{
	return memcmp(&((const struct target_total *)a)->key,
		      &((const struct target_total *)b)->key, sizeof(struct ss_target_key));
}

/* SYNs per target in this interval: cumulative now minus cumulative then. */
static int read_targets(struct flood_state *st, struct flood_interval *iv)
{
	int fd = bpf_map__fd(st->l->skel->maps.targets), n = 0, i, j, cpu;
	struct ss_target_key key, next, *prevkey = NULL;
	struct target_total *swap;

	while (n < 4096 && bpf_map_get_next_key(fd, prevkey, &next) == 0) {
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
	for (i = 0; i < n; i++) {
		struct target_total *p = bsearch(&st->cur[i], st->prev, st->nprev,
						 sizeof(*st->prev), cmp_target_key);
		uint64_t base = p && p->syn <= st->cur[i].syn ? p->syn : 0;
		struct flood_target *t = &st->targets[i];

		t->family = st->cur[i].key.family;
		t->port = st->cur[i].key.port;
		memcpy(t->addr, st->cur[i].key.addr, sizeof(t->addr));
		t->syn = st->cur[i].syn - base;
	}
	swap = st->prev;
	st->prev = st->cur;
	st->cur = swap;
	st->nprev = n;
	iv->ntargets = flood_top_targets(st->targets, n, FLOOD_TOP_MAX);
	memcpy(iv->targets, st->targets, iv->ntargets * sizeof(*iv->targets));
	return 0;
}

/* Flip the sketch's epoch, then read, rank and clear the closed one. */
static int read_sources(struct flood_state *st, struct flood_interval *iv)
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
	while (nkeys < 1024 && bpf_map_get_next_key(hfd, prevkey, &st->hkeys[nkeys]) == 0) {
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
		st->sources[n].family = key->family;
		memcpy(st->sources[n].addr, key->addr, sizeof(key->addr));
		st->sources[n].syn = est;
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
	iv->nsources = flood_top_sources(st->sources, n, FLOOD_TOP_MAX);
	memcpy(iv->sources, st->sources, iv->nsources * sizeof(*iv->sources));
	return 0;
}

/* Half-open: pending SYN-ACKs younger than --timeout (the sweep also
 * clears the older ones, as the handshake engine times them out). */
static uint64_t read_half_open(struct flood_state *st)
{
	return ss_loader_sweep(st->l, ss_now_ns(CLOCK_MONOTONIC), st->o->timeout_ns);
}

static int on_event(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	((struct flood_state *)ctx)->events++;
	return 0;
}

int ss_flood_run(const struct ss_options *o, volatile sig_atomic_t *stop)
{
	struct flood_alerts alerts = { .syn_rate = o->alert_syn_rate,
				       .incomplete_pct = o->alert_incomplete };
	enum flood_style style = o->json ? FLOOD_JSON :
				 isatty(STDOUT_FILENO) ? FLOOD_SCREEN : FLOOD_LINE;
	struct flood_state *st = calloc(1, sizeof(*st));
	struct ss_loader l = { 0 };
	struct ss_fleet fl = { 0 };
	struct ss_tcpstat_reader *tcp = NULL;
	struct ss_tcpstat tcp_prev, tcp_now;
	struct ss_whowhy *ww = NULL;
	struct ring_buffer *rb = NULL;
	uint64_t c[SS_C_MAX], start, last, now, period = (uint64_t)(o->interval * 1e9), half_open = 0;
	int64_t utc_offset = (int64_t)(ss_now_ns(CLOCK_REALTIME) - ss_now_ns(CLOCK_MONOTONIC));
	struct flood_interval *iv = calloc(1, sizeof(*iv));
	char err[256], title[512];
	const char *lost = NULL;
	int ret = 1, done;

	if (!st || !iv)
		goto out;
	st->o = o;
	st->l = &l;
	if (ss_fleet_start(&fl, o))
		goto out;
	/* Each interval shows what the namespace's TCP statistics did. */
	tcp = ss_tcpstat_open(err, sizeof(err));
	if (!tcp)
		fprintf(stderr, "synscope: no TCP statistics: %s\n", err);
	if (ss_loader_load(&l, o, err, sizeof(err)) || ss_loader_attach_all(&l, o, err, sizeof(err))) {
		fprintf(stderr, "synscope: %s\n", err);
		goto out;
	}
	st->percpu = calloc(l.ncpus, sizeof(uint64_t));
	st->sketch_sum = calloc(SS_SKETCH_EPOCH_SLOTS, sizeof(uint32_t));
	st->prev = calloc(4096, sizeof(*st->prev));
	st->cur = calloc(4096, sizeof(*st->cur));
	rb = ring_buffer__new(ss_loader_ringbuf_fd(&l), on_event, st, NULL);
	if (!st->percpu || !st->sketch_sum || !st->prev || !st->cur || !rb) {
		fprintf(stderr, "synscope: out of memory\n");
		goto out;
	}
	if (ss_loader_drop_privs(&l, o->verbose) || ss_fleet_serve(&fl))
		goto out;
	ss_loader_describe(&l, title, sizeof(title));
	fprintf(stderr, "synscope: tracing %s (Ctrl-C to stop)\n", title);
	ss_loader_counters(&l, st->prev_counters);
	/* Statistics from here on, as the counters: from the attach. */
	if (tcp && ss_tcpstat_read(tcp, &tcp_prev)) {
		ss_tcpstat_close(tcp);
		tcp = NULL;
	}
	ww = ss_whowhy_new(0, tcp, o->timeout_ns);
	ss_whowhy_sample(ww, ss_now_ns(CLOCK_MONOTONIC), 1);

	start = last = ss_now_ns(CLOCK_MONOTONIC);
	for (;;) {
		ring_buffer__poll(rb, 50);
		ring_buffer__consume(rb);
		now = ss_now_ns(CLOCK_MONOTONIC);
		ss_loader_watch(&l, now);
		/* Stopping (--duration or a signal) closes the last, partial
		 * interval too: every SYN counted is in some interval. */
		done = *stop || (o->duration > 0 && now - start >= (uint64_t)(o->duration * 1e9));
		ss_fleet_publish(&fl, &l, NULL, st->events, 0, half_open, now, 0);
		if (!done && now - last < period)
			continue;
		if ((lost = ss_loader_lost_iface(&l)))
			break;
		if (now > last) {
			memset(iv, 0, sizeof(*iv));
			iv->interval_s = (now - last) / 1e9;
			iv->ts_ns = (int64_t)now + utc_offset;
			last = now;
			if (ss_loader_counters(&l, c))
				break;
			iv->syn = c[SS_C_SYN] - st->prev_counters[SS_C_SYN];
			iv->synack = c[SS_C_SYNACK] - st->prev_counters[SS_C_SYNACK];
			iv->established = c[SS_C_ACK_COMPLETE] - st->prev_counters[SS_C_ACK_COMPLETE];
			iv->rst = c[SS_C_RST] - st->prev_counters[SS_C_RST];
			iv->sampled_out = c[SS_C_SAMPLED_OUT] - st->prev_counters[SS_C_SAMPLED_OUT];
			iv->lost = c[SS_C_LOST] - st->prev_counters[SS_C_LOST];
			iv->events = c[SS_C_EVENTS] - st->prev_counters[SS_C_EVENTS];
			memcpy(st->prev_counters, c, sizeof(c));
			read_targets(st, iv);
			if (read_sources(st, iv))
				break;
			iv->half_open = half_open = read_half_open(st);
			if (tcp && ss_tcpstat_read(tcp, &tcp_now) == 0) {
				int k;

				iv->have_tcp = 1;
				iv->tcp.have = tcp_prev.have & tcp_now.have;
				for (k = 0; k < SS_TS_MAX; k++)
					iv->tcp.v[k] = tcp_now.v[k] >= tcp_prev.v[k] ?
						       tcp_now.v[k] - tcp_prev.v[k] : 0;
				tcp_prev = tcp_now;
			}
			flood_alerts_update(&alerts, iv);
			flood_print(stdout, style, title, iv, &alerts, o->top_n);
		}
		if (done)
			break;
	}
	ret = 0;
out:
	if (st && st->prev)
		ss_fleet_publish(&fl, &l, NULL, st->events, 0, half_open, ss_now_ns(CLOCK_MONOTONIC), 1);
	ss_fleet_stop(&fl);
	if (st && st->prev && ss_loader_counters(&l, c) == 0) {
		ss_out_counters(stderr, c);
		fprintf(stderr, "synscope: %lu ring buffer events consumed\n",
			(unsigned long)st->events);
		ss_whowhy_sample(ww, ss_now_ns(CLOCK_MONOTONIC), 1);
		ss_whowhy_summary(ww, stderr);
	}
	ring_buffer__free(rb);
	ss_whowhy_free(ww);
	ss_tcpstat_close(tcp);
	ss_loader_close(&l);
	if (st) {
		free(st->percpu);
		free(st->sketch_sum);
		free(st->prev);
		free(st->cur);
	}
	free(st);
	free(iv);
	if (lost) {
		fprintf(stderr, "synscope: interface %s disappeared while tracing\n", lost);
		ret = 1;
	}
	return ret;
}
