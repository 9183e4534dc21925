/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * top, live: the kernel's flood maps read once per interval, all of the
 * epoch that just closed: its SYNs, per target (a per-CPU LRU hash of
 * counts by epoch, cumulative), and the heavy sources (the count-min
 * sketch and its candidates). See include/sketch.h.
 */
#ifndef SS_TOP_MAPS_H
#define SS_TOP_MAPS_H

struct ss_loader;
struct ss_top_maps;
struct flood_epoch;

struct ss_top_maps *ss_top_maps_new(struct ss_loader *l);
void ss_top_maps_free(struct ss_top_maps *m);
/* Flip the epoch and read the closed one (flood_view.h: struct
 * flood_epoch): its SYNs, per target, and the heavy sources; the closed
 * one is cleared for its next turn. 0 or -errno. */
int ss_top_maps_read(struct ss_top_maps *m, struct flood_epoch *out);

#endif /* SS_TOP_MAPS_H */
