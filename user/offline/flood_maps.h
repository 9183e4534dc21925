/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * top over a capture: the kernel's flood maps kept on the host, bounded
 * like the kernel's (include/sketch.h), written by the per-packet path
 * (bpf/decide.h's ss_flood_count(), through offline/replay.c) and read by
 * top once per interval of capture time. Nothing here allocates or makes
 * a system call per packet.
 */
#ifndef SS_FLOOD_MAPS_H
#define SS_FLOOD_MAPS_H

#include <stdint.h>
#include "synscope.h"
#include "sketch.h"

struct ss_flood_maps;
struct flood_epoch;

struct ss_flood_maps *ss_flood_maps_new(void);
void ss_flood_maps_free(struct ss_flood_maps *f);

/* The tables the per-packet path writes (decide.h's table operations). */
void ss_flood_maps_target_add(struct ss_flood_maps *f, const struct ss_target_key *k);
uint32_t *ss_flood_maps_sketch_total(struct ss_flood_maps *f);
uint32_t *ss_flood_maps_sketch_cell(struct ss_flood_maps *f, uint32_t row, uint32_t col);
void ss_flood_maps_heavy_put(struct ss_flood_maps *f, const struct ss_source_key *k);

/* Once per interval: its SYNs per target, and the heavy sources of its
 * sketch epoch (at most max each); both tables start the next interval
 * empty. How many were written. */
/* The interval's epoch: its SYNs, targets and sources; then a new one. */
void ss_flood_maps_read(struct ss_flood_maps *f, struct flood_epoch *out);

#endif /* SS_FLOOD_MAPS_H */
