/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * top, live: the kernel's flood maps read once per interval: SYNs per
 * target (a per-CPU LRU hash, cumulative: the interval's share is the
 * difference from the last read) and the heavy sources (the count-min
 * sketch of the epoch that just closed, and its candidates). See
 * include/sketch.h.
 */
#ifndef SS_TOP_MAPS_H
#define SS_TOP_MAPS_H

struct ss_loader;
struct ss_top_maps;
struct flood_target;
struct flood_source;

struct ss_top_maps *ss_top_maps_new(struct ss_loader *l);
void ss_top_maps_free(struct ss_top_maps *m);
/* SYNs per target since the last call: how many written (at most max),
 * or -errno. */
int ss_top_maps_targets(struct ss_top_maps *m, struct flood_target *out, int max);
/* Flip the sketch's epoch, then the heavy sources of the closed one (at
 * most max), or -errno; the closed epoch is cleared for its next turn. */
int ss_top_maps_sources(struct ss_top_maps *m, struct flood_source *out, int max);

#endif /* SS_TOP_MAPS_H */
