/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The event rings' consumer: one ring per CPU in memory-mapped arrays
 * (include/synscope.h), read in place, with no system call and no wakeup:
 * the session polls. Each CPU's consumer position is published after a
 * chunk of its events and at the end of a drain, one store to a cache
 * line of its own.
 *
 * Events of different CPUs are read in turns of a chunk each, so their
 * order across CPUs is only roughly that of their stamps; the handshake
 * engine takes them in any order.
 */
#ifndef SS_RING_H
#define SS_RING_H

#include <stddef.h>
#include <stdint.h>
#include "synscope.h"

/* Events of one CPU read before the next CPU's turn. */
#define SS_RING_CHUNK 256

/* One event (the slot's struct ss_event; a SYN or SYN-ACK is the event of
 * a struct ss_event_syn) and, with -w, its packet (NULL otherwise). */
typedef void (*ss_ring_fn)(void *ctx, const struct ss_event *ev, const struct ss_event_raw *raw);

/* Where the rings are: the maps' fds (raw_fd -1 without -w), the CPUs and
 * each ring's size, 2^slots_log2. */
struct ss_ring_maps {
	int ring_fd, raw_fd, head_fd, tail_fd;
	int ncpus;
	unsigned int slots_log2;
};

struct ss_ring {
	struct ss_ring_maps m;
	const struct ss_event_syn *slots;
	const struct ss_event_raw *raw;
	const struct ss_ev_pos *head;
	struct ss_ev_pos *tail;
	size_t slots_len, raw_len, head_len, tail_len;
	uint64_t read;                 /* events read so far */
};

/* Map the rings; -errno with a reason in err. */
int ss_ring_open(struct ss_ring *r, const struct ss_ring_maps *m, char *err, size_t n);
/* Read every event there is (including those written meanwhile): their
 * number. */
long ss_ring_consume(struct ss_ring *r, ss_ring_fn fn, void *ctx);
void ss_ring_close(struct ss_ring *r);

#endif /* SS_RING_H */
