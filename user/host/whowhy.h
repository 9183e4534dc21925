/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Who and why, for a live trace: the cgroup (path, systemd unit or
 * container) of the sockets a handshake's SYN and SYN-ACK came from, and
 * why a handshake failed:
 *  - the kernel's own verdict, when it gave one (bpf/verdict.bpf.c, with
 *    CAP_PERFMON): the reason it dropped the SYN, the SYN-ACK or the ACK
 *    that would have completed it, the reason it answered with a RST;
 *  - else the state of the listener it concerns: its accept queue, seen
 *    full while the handshake waited (listenq.h). A SYN to a full accept
 *    queue is consumed without an answer and without a drop reason, so
 *    that state is the verdict on it.
 * Nothing else is guessed: a cause never contradicts the outcome (a
 * refused handshake got a RST, whatever the namespace's counters did),
 * and there is none when neither says.
 * A SYN-ACK is said to carry a SYN cookie (an inference, and said so)
 * when it left without a socket while the namespace sent cookies.
 * Not thread-safe: the tracing thread owns it.
 */
#ifndef SS_WHOWHY_H
#define SS_WHOWHY_H

#include <stdint.h>
#include <stdio.h>
#include "engine/handshake.h"
#include "host/tcpstat.h"

/* What a record's extra fields say. Strings live until ss_whowhy_free
 * (or the next ss_whowhy_explain for the basis). */
struct ss_why {
	uint64_t client_cgroup_id, server_cgroup_id;  /* 0: no socket seen */
	const char *client_cgroup, *server_cgroup;    /* path, NULL: unknown */
	const char *client_unit, *server_unit;        /* NULL: none */
	const char *cause;         /* NULL: none known; a kernel reason
				    * ("NETFILTER_DROP"), or "accept queue full" */
	const char *cause_from;    /* "kernel" or "listener queue" */
	const char *drop_reason;   /* the kernel's reason a packet was dropped */
	const char *drop_packet;   /* which: "syn", "syn-ack", "ack" */
	const char *drop_dir;      /* "in" (received) or "out" (sent) */
	const char *rst_reason;    /* the kernel's reason for its RST */
	int have_queue;            /* the server's listener was seen: */
	uint32_t queue_len, queue_backlog; /* its accept queue at its longest
				    * while the handshake waited, its backlog */
	int synack_cookie;         /* 1: the SYN-ACK carried a SYN cookie (inferred) */
	const char *cookie_basis;  /* why we think so */
};

struct ss_reasons;

struct ss_whowhy_config {
	int cgroups;                        /* look cgroup ids up */
	struct ss_tcpstat_reader *tcp;      /* the namespace's statistics (the
					     * caller's; NULL: none) */
	const struct ss_reasons *reasons;   /* the kernel's verdicts are on:
					     * their names (NULL: off) */
	int listeners;                      /* sample the listeners' queues */
	uint64_t timeout_ns;                /* --timeout: how far back a
					     * window reaches */
};

struct ss_whowhy;

/* NULL when out of memory. */
struct ss_whowhy *ss_whowhy_new(const struct ss_whowhy_config *c);
void ss_whowhy_free(struct ss_whowhy *w);

/* Take samples (CLOCK_MONOTONIC ns, the events' clock: the statistics,
 * the listeners' queues) when the last ones are older than their period,
 * or now when force (the last, at exit). Call it once per batch. */
void ss_whowhy_sample(struct ss_whowhy *w, uint64_t now_ns, int force);
/* The record's who and why, into *out (valid until the next call). */
void ss_whowhy_explain(struct ss_whowhy *w, const struct hs_record *r, struct ss_why *out);

/* The statistics at the first and the last sample: 0, or -1 when none. */
int ss_whowhy_totals(const struct ss_whowhy *w, struct ss_tcpstat *first, struct ss_tcpstat *last);
/* "synscope: TCP statistics of the namespace while tracing: ListenOverflows
 * +3, ..." on f (nothing without samples). */
/* Why cgroups have no paths (no cgroup2 mount within reach), NULL when
 * they have or are not looked up. */
const char *ss_whowhy_cgroups_off(const struct ss_whowhy *w);
void ss_whowhy_summary(const struct ss_whowhy *w, FILE *f);

/* For tests: keep a sample of statistics read elsewhere. */
void ss_whowhy_add_sample(struct ss_whowhy *w, uint64_t ts_ns, const struct ss_tcpstat *st);

#endif /* SS_WHOWHY_H */
