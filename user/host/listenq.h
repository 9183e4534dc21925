/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The accept queues of the namespace's TCP listeners, sampled through
 * sock_diag (no privilege needed) while tracing: for a listener, the
 * kernel reports the connections waiting in its accept queue and its
 * backlog. A SYN that finds the queue full (more waiting than the
 * backlog) is consumed without an answer and without a drop reason, so
 * the queue's state is the verdict on it (whowhy.h).
 *
 * Each listener keeps its recent samples (at least --timeout back), so a
 * record can be told the queue at its fullest while it waited.
 */
#ifndef SS_LISTENQ_H
#define SS_LISTENQ_H

#include <stddef.h>
#include <stdint.h>

/* A sample this often (while tracing; the caller's loop is faster). */
#define SS_LQ_PERIOD_NS (20ull * 1000000)

struct ss_listenq;

/* reach_ns: how far back a window may start (--timeout and some). NULL
 * with the reason in err when sock_diag cannot be had. */
struct ss_listenq *ss_listenq_new(uint64_t reach_ns, char *err, size_t n);
void ss_listenq_free(struct ss_listenq *q);
/* Take a sample when the last is SS_LQ_PERIOD_NS old, or now when force. */
void ss_listenq_sample(struct ss_listenq *q, uint64_t now_ns, int force);
/* The listener of family/addr/port (an exact one, else a wildcard),
 * its accept queue at its longest in [from, to] (CLOCK_MONOTONIC ns,
 * widened by a sample period each way) and its backlog: 0, or -1 when no
 * such listener was seen then. */
int ss_listenq_at(const struct ss_listenq *q, uint8_t family, const uint32_t *addr, uint16_t port,
		  uint64_t from, uint64_t to, uint32_t *len, uint32_t *backlog);

#endif /* SS_LISTENQ_H */
