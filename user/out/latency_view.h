/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Latency histograms for the terminal: SYN to SYN-ACK and SYN-ACK to ACK
 * side by side, one row per bucket (engine/latency.h: the metrics'
 * buckets), from the first bucket with a handshake to the last, each bar
 * scaled to the fullest bucket of its side. Used by the exit summary and
 * by top's screen.
 */
#ifndef SS_LATENCY_VIEW_H
#define SS_LATENCY_VIEW_H

#include <stdio.h>
#include "engine/latency.h"

/* Nothing when neither has a latency. prefix starts every line. */
void ss_lat_print(FILE *f, const char *prefix, const struct ss_lat_hist *syn_synack,
		  const struct ss_lat_hist *synack_ack);
/* The counts as a JSON array, the last above the last bound. */
void ss_lat_json(FILE *f, const struct ss_lat_hist *h);

#endif /* SS_LATENCY_VIEW_H */
