/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The kernel's verdicts (bpf/verdict.bpf.c): the tracepoint programs
 * loaded and attached for the network namespace synscope runs in, and
 * their ring buffer read when the session polls. They need CAP_PERFMON
 * beside CAP_BPF: without it, or when the kernel refuses them, there are
 * none, and the session says so once.
 */
#ifndef SS_VERDICT_H
#define SS_VERDICT_H

#include <stddef.h>
#include <stdint.h>
#include "synscope.h"

struct ss_verdicts;

/* The programs, one per tracepoint (ss_verdicts_prog_fd()). */
enum ss_vd_prog {
	SS_VD_PROG_KFREE_SKB,
	SS_VD_PROG_TCP_SEND_RESET,
	SS_VD_PROG_MAX,
};

typedef void (*ss_verdict_fn)(void *ctx, const struct ss_verdict *v);

/* Load and attach (before the capabilities are dropped). NULL with the
 * reason in err when they cannot be had. */
struct ss_verdicts *ss_verdicts_open(int verbose, char *err, size_t n);
/* The map of completing ACKs the tracing programs fill and the verdict
 * programs read (include/synscope.h): for ss_loader_load(). */
int ss_verdicts_acks_fd(const struct ss_verdicts *v);
/* Every verdict written since the last call: how many. */
long ss_verdicts_consume(struct ss_verdicts *v, ss_verdict_fn fn, void *ctx);
/* The programs' counters (enum ss_vd_counter), summed over the CPUs. */
int ss_verdicts_counters(const struct ss_verdicts *v, uint64_t out[SS_VD_C_MAX]);
/* A program's fd, or -1: the library's, not to be closed. For a benchmark
 * that detaches them and attaches them itself; a session has no use of it. */
int ss_verdicts_prog_fd(const struct ss_verdicts *v, enum ss_vd_prog which);
/* Detach, keeping what was written readable. */
void ss_verdicts_detach(struct ss_verdicts *v);
/* Detach and free; NULL is fine. */
void ss_verdicts_close(struct ss_verdicts *v);

#endif /* SS_VERDICT_H */
