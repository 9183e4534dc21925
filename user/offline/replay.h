/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The kernel's per-packet path on the host: each record of a capture goes
 * through bpf/decide.h's ss_packet(), the code the kernel programs run,
 * with this build's tables (the counters, the pending SYN-ACK table, top's
 * flood maps) in memory and the capture clock for the kernel's. So the
 * events it makes are the ones the kernel would have written, and a
 * capture and a live run of the same traffic give the same records.
 */
#ifndef SS_REPLAY_H
#define SS_REPLAY_H

#include <stdint.h>
#include "cli/options.h"
#include "synscope.h"

struct ss_frame;
struct ss_flood_maps;
struct ss_replay;

/* The pending table's hash key offline, unless o->pend_key says: any key
 * will do, a fixed one makes runs repeatable. */
#define SS_REPLAY_KEY0 0x5c5c0fee1e5ca1edull
#define SS_REPLAY_KEY1 0x0dd5e7de7ec7ab1eull

/* o: --port, --host, --timeout, the key. flood: keep top's flood maps.
 * NULL when out of memory. */
struct ss_replay *ss_replay_new(const struct ss_options *o, int flood);
void ss_replay_free(struct ss_replay *r);
/*
 * One record, at capture time now (never decreasing), stamped ts: 1 when
 * the kernel would have written an event (then in *ev, an ss_event_syn
 * whatever its kind), 0 otherwise. Sweeps the pending table as live
 * userspace does, on capture time.
 */
int ss_replay_frame(struct ss_replay *r, const struct ss_frame *f, uint64_t now, uint64_t ts,
		    struct ss_event_syn *ev);
/* Clear the pending table's stale slots at now; the live ones (half-open). */
uint64_t ss_replay_sweep(struct ss_replay *r, uint64_t now);
/* Forget every pending SYN-ACK, as a fresh run would (tests). */
void ss_replay_clear_pending(struct ss_replay *r);
/* The counters (enum ss_counter), cumulative. */
const uint64_t *ss_replay_counters(const struct ss_replay *r);
/* top: the flood maps (NULL without them). */
struct ss_flood_maps *ss_replay_flood(struct ss_replay *r);

#endif /* SS_REPLAY_H */
