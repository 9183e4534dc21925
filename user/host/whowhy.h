/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Who and why, for a live trace: the cgroup (path, systemd unit or
 * container) of the sockets a handshake's SYN and SYN-ACK came from, and
 * why a handshake failed, read from the namespace's TCP statistics
 * (tcpstat.h) sampled while tracing.
 *
 * Why is an inference: the statistics are per network namespace, not per
 * connection. A SYN that got no SYN-ACK is marked with the counters that
 * moved while it waited; a SYN-ACK is said to carry a SYN cookie when the
 * namespace sent cookies while it was sent and the SYN-ACK left without a
 * socket (a cookie SYN-ACK has no request socket behind it), its options
 * being the other witness. Not thread-safe: the tracing thread owns it.
 */
#ifndef SS_WHOWHY_H
#define SS_WHOWHY_H

#include <stdint.h>
#include <stdio.h>
#include "engine/handshake.h"
#include "host/tcpstat.h"

/* A SYN that got no SYN-ACK, the likeliest first. */
enum ss_cause {
	SS_CAUSE_NONE = 0,
	SS_CAUSE_ACCEPT_QUEUE,   /* ListenOverflows or ListenDrops moved */
	SS_CAUSE_SYN_COOKIES,    /* SyncookiesSent or TCPReqQFullDoCookies moved */
	SS_CAUSE_SYN_QUEUE,      /* TCPReqQFullDrop moved: request queue full, no cookies */
	SS_CAUSE_MAX,
};

/* What a record's extra fields say. Strings live until ss_whowhy_free. */
struct ss_why {
	uint64_t client_cgroup_id, server_cgroup_id;  /* 0: no socket seen */
	const char *client_cgroup, *server_cgroup;    /* path, NULL: unknown */
	const char *client_unit, *server_unit;        /* NULL: none */
	enum ss_cause cause;
	const char *cause_basis;   /* "ListenOverflows +2, ListenDrops +2" */
	int synack_cookie;         /* 1: the SYN-ACK carried a SYN cookie (inferred) */
	const char *cookie_basis;  /* why we think so */
};

struct ss_whowhy;

/* cgroups: look cgroup ids up; tcp: sample the namespace's statistics
 * (the reader is the caller's, opened in the traced namespace; NULL: no
 * causes). timeout_ns: how long a handshake may wait (--timeout), which
 * bounds how far back a window reaches. NULL when out of memory. */
struct ss_whowhy *ss_whowhy_new(int cgroups, struct ss_tcpstat_reader *tcp, uint64_t timeout_ns);
void ss_whowhy_free(struct ss_whowhy *w);

/* Take a sample (CLOCK_MONOTONIC ns, the events' clock) when the last one
 * is older than the sampling period, or now when force (the last, at
 * exit). Call it once per batch. */
void ss_whowhy_sample(struct ss_whowhy *w, uint64_t now_ns, int force);
/* The record's who and why, into *out (valid until the next call). */
void ss_whowhy_explain(struct ss_whowhy *w, const struct hs_record *r, struct ss_why *out);

/* The statistics at the first and the last sample: 0, or -1 when none. */
int ss_whowhy_totals(const struct ss_whowhy *w, struct ss_tcpstat *first, struct ss_tcpstat *last);
/* "synscope: TCP statistics of the namespace while tracing: ListenOverflows
 * +3, ..." on f (nothing without samples). */
void ss_whowhy_summary(const struct ss_whowhy *w, FILE *f);

/* Inline so the writers (output.c) print causes without linking the
 * lookups; NULL for none. */
static inline const char *ss_cause_name(enum ss_cause c)
{
	switch (c) {
	case SS_CAUSE_ACCEPT_QUEUE: return "accept queue full";
	case SS_CAUSE_SYN_COOKIES:  return "syn cookies";
	case SS_CAUSE_SYN_QUEUE:    return "syn queue full";
	default:                    return NULL;
	}
}

/* For tests: keep a sample of statistics read elsewhere (enables causes). */
void ss_whowhy_add_sample(struct ss_whowhy *w, uint64_t ts_ns, const struct ss_tcpstat *st);

/* Pure, for tests: the cause that counters moving from a to b point to,
 * with its basis ("ListenOverflows +2") in buf. */
enum ss_cause ss_cause_of(const struct ss_tcpstat *a, const struct ss_tcpstat *b, char *buf, size_t n);

#endif /* SS_WHOWHY_H */
